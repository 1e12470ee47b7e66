//! Predictions of the CLV models on hostile arguments (issue 15, class 4): a negative or
//! non-finite horizon, a history that breaks a summary's rules, BG/BB counts that do
//! not fit together or span too many opportunities, and parameters at the models'
//! removable singularities. Each is a typed error naming the argument, or a finite
//! answer in range.

use patronage::Error;
use patronage::clv::{
    BetaGeo, BetaGeoBetaBinom, GammaGamma, MAX_OPPORTUNITIES, ModifiedBetaGeo, ParetoNbd,
    PurchaseModel,
};
use patronage::prelude::*;

fn models() -> Vec<(&'static str, Box<dyn PurchaseModel>)> {
    vec![
        (
            "BG/NBD",
            Box::new(BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap()),
        ),
        (
            "MBG/NBD",
            Box::new(ModifiedBetaGeo::from_params(0.525, 6.183, 0.891, 1.614).unwrap()),
        ),
        (
            "Pareto/NBD",
            Box::new(ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669).unwrap()),
        ),
    ]
}

fn is_param<T: std::fmt::Debug>(r: patronage::Result<T>, name: &str) {
    match r {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter {name}, got {other:?}"),
    }
}

fn names_field<T: std::fmt::Debug>(r: patronage::Result<T>, field: &str) {
    match r {
        Err(Error::NonFinite {
            field: f, row: 0, ..
        })
        | Err(Error::Negative {
            field: f, row: 0, ..
        })
        | Err(Error::InvalidValue {
            field: f, row: 0, ..
        }) => assert_eq!(f, field),
        other => panic!("expected an error naming {field}, got {other:?}"),
    }
}

/// lifetimes returns -0.099 for t = -1; here every horizon must be finite and >= 0.
#[test]
fn horizons_must_be_finite_and_non_negative() {
    for (name, m) in models() {
        for t in [-1.0, -1e-300, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            is_param(m.conditional_expected_purchases(t, 2.0, 30.0, 38.0), "t");
            is_param(m.expected_purchases_if_alive(t, 2.0, 38.0), "t");
            is_param(m.expected_purchases_new_customer(t), "t");
        }
        assert_eq!(
            m.expected_purchases_new_customer(0.0).unwrap(),
            0.0,
            "{name}"
        );
        assert_eq!(
            m.conditional_expected_purchases(0.0, 2.0, 30.0, 38.0)
                .unwrap(),
            0.0,
            "{name}"
        );
    }
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    is_param(bg.probability_of_n_purchases(-1.0, 2), "t");
    let pn = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669).unwrap();
    is_param(pn.probability_of_n_purchases(f64::NAN, 2), "t");
    is_param(
        pn.conditional_probability_of_n_purchases(-3.0, 1, 2.0, 30.0, 38.0),
        "t",
    );
    let s = patronage::simulate::Simulation::new(50)
        .seed(1)
        .summary_continuous()
        .unwrap();
    is_param(
        patronage::clv::expected_purchases(&bg, &s, patronage::Horizon::days(-1.0)),
        "horizon",
    );
}

/// A history is checked as a summary's row is: each value finite and >= 0, frequency
/// whole, recency <= T, recency > 0 when frequency > 0.
#[test]
fn histories_follow_the_summary_rules() {
    let cases: [(f64, f64, f64, &str); 8] = [
        (f64::NAN, 1.0, 2.0, "frequency"),
        (-1.0, 1.0, 2.0, "frequency"),
        (1.5, 1.0, 2.0, "frequency"),
        (1.0, f64::INFINITY, 2.0, "recency"),
        (1.0, 3.0, 2.0, "recency"),
        (1.0, 0.0, 2.0, "recency"),
        (1.0, 1.0, -2.0, "age"),
        (0.0, 0.0, f64::NAN, "age"),
    ];
    for (name, m) in models() {
        for &(x, tx, age, field) in &cases {
            names_field(m.probability_alive(x, tx, age), field);
            names_field(m.conditional_expected_purchases(1.0, x, tx, age), field);
        }
        // Recency does not enter the alive expectation; the rest is checked.
        names_field(m.expected_purchases_if_alive(1.0, 1.5, 2.0), "frequency");
        names_field(m.expected_purchases_if_alive(1.0, 1.0, -2.0), "age");
        let p = m.probability_alive(0.0, 0.0, 0.0).unwrap();
        assert!((0.0..=1.0).contains(&p), "{name}: {p}");
    }
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    names_field(bg.customer_log_likelihood(2.0, 40.0, 38.0), "recency");
    let pn = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669).unwrap();
    names_field(pn.customer_log_likelihood(-2.0, 30.0, 38.0), "frequency");
    names_field(
        pn.conditional_probability_of_n_purchases(3.0, 1, 2.0, 40.0, 38.0),
        "recency",
    );
}

/// Extreme but valid histories give finite, non-negative expectations and
/// probabilities in [0, 1].
#[test]
fn extreme_histories_stay_in_range() {
    for (name, m) in models() {
        for &(x, tx, age) in &[
            (1e6, 1e3, 1e3),
            (1e12, 1.0, 1e4),
            (0.0, 0.0, 1e12),
            (3.0, 1e-300, 1e-300),
            (1e15, 1e15, 1e15),
        ] {
            let p = m.probability_alive(x, tx, age).unwrap();
            assert!((0.0..=1.0).contains(&p), "{name} {x} {tx} {age}: {p}");
            for t in [1e-9, 1.0, 52.0, 1e6] {
                let e = m.conditional_expected_purchases(t, x, tx, age).unwrap();
                assert!(e.is_finite() && e >= 0.0, "{name} {t} {x} {tx} {age}: {e}");
            }
        }
    }
}

/// At a = 1 (BG/NBD, MBG/NBD) and gamma = 1 (BG/BB) the closed forms are 0 / 0; the
/// answer is the limit: at 1 (and within rounding of it) it equals the mean of the
/// values at 1 -+ 1e-4, computed by the closed forms, to O(1e-8) (the curvature).
#[test]
fn removable_singularities_give_the_limit() {
    let h = 1e-4;
    let check = |f: &dyn Fn(f64) -> f64, what: &str| {
        let mid = (f(1.0 - h) + f(1.0 + h)) / 2.0;
        assert!(mid.is_finite() && mid > 0.0, "{what}: {mid}");
        for v in [1.0, 1.0 + 1e-13, 1.0 - 1e-9] {
            let at = f(v);
            assert!(
                (at - mid).abs() <= 1e-8 * mid,
                "{what} at {v}: {at} vs {mid}"
            );
        }
    };
    check(
        &|a| {
            let m = BetaGeo::from_params(0.243, 4.414, a, 2.426).unwrap();
            m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)
                .unwrap()
        },
        "BG/NBD conditional",
    );
    check(
        &|a| {
            let m = BetaGeo::from_params(0.243, 4.414, a, 2.426).unwrap();
            m.expected_purchases_new_customer(52.0).unwrap()
        },
        "BG/NBD new",
    );
    check(
        &|a| {
            let m = ModifiedBetaGeo::from_params(0.525, 6.183, a, 1.614).unwrap();
            m.expected_purchases_new_customer(52.0).unwrap()
        },
        "MBG/NBD new",
    );
    check(
        &|a| {
            let m = ModifiedBetaGeo::from_params(0.525, 6.183, a, 1.614).unwrap();
            m.conditional_expected_purchases(20.0, 3.0, 10.0, 30.0)
                .unwrap()
        },
        "MBG/NBD conditional",
    );
    check(
        &|g| {
            let m = BetaGeoBetaBinom::from_params(1.204, 0.750, g, 2.783).unwrap();
            m.expected_purchases_new_customer(10.0).unwrap()
        },
        "BG/BB new",
    );
    check(
        &|g| {
            let m = BetaGeoBetaBinom::from_params(1.204, 0.750, g, 2.783).unwrap();
            m.conditional_expected_purchases(5.0, 3.0, 4.0, 6.0)
                .unwrap()
        },
        "BG/BB conditional",
    );
}

/// BG/BB histories: x <= t_x <= n, t_x > 0 when x > 0, n bounded; lifetimes returns NaN
/// for x > t_x.
#[test]
fn bgbb_histories_are_checked() {
    let m = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783).unwrap();
    names_field(m.probability_alive(3.0, 2.0, 6.0), "frequency");
    names_field(m.probability_alive(2.0, 7.0, 6.0), "recency");
    names_field(m.probability_alive(2.0, 0.0, 6.0), "frequency");
    names_field(
        m.conditional_expected_purchases(5.0, 3.0, 2.0, 6.0),
        "frequency",
    );
    let limit = |r: patronage::Result<f64>| match r {
        Err(Error::LimitExceeded { limit, .. }) => {
            assert_eq!(limit, u64::from(MAX_OPPORTUNITIES))
        }
        other => panic!("{other:?}"),
    };
    limit(m.probability_alive(1.0, 1.0, f64::from(u32::MAX)));
    limit(m.conditional_expected_purchases(5.0, 1.0, 1.0, (MAX_OPPORTUNITIES + 1) as f64));
    limit(m.probability_of_n_transactions(u32::MAX, 3));
    // At the limit: bounded work, answers in range.
    let p = m
        .probability_alive(1.0, 1.0, f64::from(MAX_OPPORTUNITIES))
        .unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");
    let p = m
        .probability_of_n_transactions(MAX_OPPORTUNITIES, 3)
        .unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");
    let e = m
        .expected_purchases_new_customer((u32::MAX) as f64)
        .unwrap();
    assert!(e.is_finite() && e > 0.0, "{e}");
    // Fitting on too many opportunities is the same typed error, naming no row's size
    // beyond the limit's.
    let r = patronage::CustomerSummary::from_columns(&[1.0, 0.0], &[1.0, 0.0], &[2e6, 3.0], None)
        .and_then(|s| BetaGeoBetaBinom::params().fit(&s));
    assert!(matches!(r, Err(Error::LimitExceeded { .. })), "{r:?}");
}

/// The BG/BB probabilities over x sum to 1 with the ratio recurrence, far out too.
#[test]
fn bgbb_probabilities_sum_to_one() {
    let m = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783).unwrap();
    for n in [0u32, 1, 6, 50, 400] {
        let total: f64 = (0..=n)
            .map(|x| m.probability_of_n_transactions(n, x).unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-10, "n = {n}: {total}");
    }
}

/// Gamma-Gamma spend arguments follow the same rules (frequency whole and >= 0,
/// monetary value finite and >= 0).
#[test]
fn spend_arguments_are_checked() {
    let gg = GammaGamma::from_params(6.25, 3.74, 15.44).unwrap();
    names_field(gg.conditional_expected_spend(-1.0, 10.0), "frequency");
    names_field(gg.conditional_expected_spend(1.5, 10.0), "frequency");
    names_field(
        gg.conditional_expected_spend(2.0, f64::NAN),
        "monetary_value",
    );
    names_field(gg.conditional_expected_spend(2.0, -3.0), "monetary_value");
    let e = gg.conditional_expected_spend(2.0, 1e300).unwrap();
    assert!(e.is_finite() && e > 0.0, "{e}");
}
