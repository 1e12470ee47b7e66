//! Issue 15, class 0: ordinary small data on which a CLV fit used to hang, wander to
//! absurd parameters or return garbage. Every fit here must return quickly (the test
//! would hang otherwise) with either a typed error naming the data problem or a model
//! whose parameters and predictions are finite, with probabilities in [0, 1].

use patronage::clv::{
    BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNbd, PurchaseModel,
};
use patronage::prelude::*;
use patronage::{CustomerSummary, Error};

fn summary(frequency: &[f64], recency: &[f64], age: &[f64]) -> CustomerSummary {
    CustomerSummary::from_columns(frequency, recency, age, None).expect("valid columns")
}

/// The fit failed with `InsufficientData` whose reason mentions `needle`.
fn assert_insufficient<T: std::fmt::Debug>(result: patronage::Result<T>, needle: &str) {
    match result {
        Err(Error::InsufficientData { reason, .. }) => {
            assert!(
                reason.contains(needle),
                "reason {reason:?} lacks {needle:?}"
            )
        }
        other => panic!("expected InsufficientData ({needle}), got {other:?}"),
    }
}

/// Either a typed "data do not identify the model" error, or a model whose parameters
/// and predictions on the data are finite, with probabilities in [0, 1].
fn assert_sane<M: PurchaseModel + std::fmt::Debug>(
    result: patronage::Result<M>,
    params: impl Fn(&M) -> Vec<f64>,
    extra: impl Fn(&M, f64, f64, f64),
    s: &CustomerSummary,
) {
    let m = match result {
        Err(Error::InsufficientData { reason, .. }) => {
            eprintln!("InsufficientData: {reason}");
            assert!(reason.contains("not identif"), "{reason}");
            return;
        }
        Err(e) => panic!("unexpected error {e:?}"),
        Ok(m) => m,
    };
    eprintln!("Ok: {m:?}");
    let p = params(&m);
    assert!(
        p.iter().all(|v| v.is_finite() && *v > 0.0 && *v < 1e9),
        "{p:?}"
    );
    for i in 0..s.len() {
        let (x, tx, t) = (s.frequency()[i], s.recency()[i], s.age()[i]);
        let alive = m.probability_alive(x, tx, t).unwrap();
        assert!((0.0..=1.0).contains(&alive), "{m:?} P(alive) {alive}");
        for h in [1.0, 10.0, 52.0] {
            let e = m.conditional_expected_purchases(h, x, tx, t).unwrap();
            assert!(e.is_finite() && e >= 0.0, "{m:?} E[Y({h})] {e}");
        }
        extra(&m, x, tx, t);
    }
    let e = m.expected_purchases_new_customer(52.0).unwrap();
    assert!(e.is_finite() && e >= 0.0, "{m:?} E[X(52)] {e}");
}

fn prob(p: f64, what: &str) {
    assert!((0.0..=1.0).contains(&p), "{what} = {p}");
}

fn pareto_sane(s: &CustomerSummary) {
    assert_sane(
        ParetoNbd::params().fit(s),
        |m: &ParetoNbd| vec![m.r(), m.alpha(), m.s(), m.beta()],
        |m, x, tx, t| {
            for n in 0..5 {
                prob(m.probability_of_n_purchases(10.0, n).unwrap(), "P(X = n)");
                prob(
                    m.conditional_probability_of_n_purchases(10.0, n, x, tx, t)
                        .unwrap(),
                    "P(X = n | x, t_x, T)",
                );
            }
        },
        s,
    );
}

fn bgnbd_sane(s: &CustomerSummary) {
    assert_sane(
        BetaGeo::params().fit(s),
        |m: &BetaGeo| vec![m.r(), m.alpha(), m.a(), m.b()],
        |m, _, _, _| {
            for n in 0..5 {
                prob(m.probability_of_n_purchases(10.0, n).unwrap(), "P(X = n)");
            }
        },
        s,
    );
    assert_sane(
        ModifiedBetaGeo::params().fit(s),
        |m: &ModifiedBetaGeo| vec![m.r(), m.alpha(), m.a(), m.b()],
        |_, _, _, _| {},
        s,
    );
}

/// Small sets of ordinary customers (frequency <= 4, T <= 39), found by a seeded random
/// search, on which the Pareto/NBD fit wandered off (before the parameter box).
const WANDERING: &[(&[f64], &[f64], &[f64])] = &[
    // Ran 204 s (dev profile) before returning Ok.
    (
        &[1.0, 2.0, 0.0, 3.0, 0.0],
        &[
            19.75483619555083,
            21.360993373275257,
            0.0,
            0.40931056559990897,
            0.0,
        ],
        &[
            24.76492099788813,
            27.76405537336997,
            17.37840887339391,
            6.2812930031623475,
            29.39703881722515,
        ],
    ),
    // Returned Ok with r = 9.4e133, s = 9.9e18 and P(X(10) = 0) = 1.0000000000000004.
    (
        &[4.0, 4.0, 4.0, 2.0, 1.0, 4.0],
        &[18.3, 17.63, 6.9, 13.17, 1.38, 33.88],
        &[37.38, 23.63, 10.19, 38.62, 3.41, 35.38],
    ),
    // NotConverged after wandering to ln r = 41 (r = 6e17).
    (
        &[2.0, 0.0, 2.0, 3.0, 4.0],
        &[0.9, 0.0, 0.49, 4.4, 9.43],
        &[3.78, 30.45, 1.42, 7.87, 18.36],
    ),
    // Returned Ok with r = 1.4e10, alpha = 6.5e10.
    (
        &[1.0, 2.0, 3.0, 4.0, 3.0],
        &[12.7, 3.5, 4.05, 17.56, 4.09],
        &[15.62, 4.16, 13.96, 23.31, 38.01],
    ),
];

#[test]
fn pareto_nbd_small_data_returns_promptly() {
    for (f, r, t) in WANDERING {
        pareto_sane(&summary(f, r, t));
        bgnbd_sane(&summary(f, r, t));
    }
}

#[test]
fn no_repeat_purchases_is_a_typed_error() {
    let age: Vec<f64> = (0..50).map(|i| 1.0 + f64::from(i % 39)).collect();
    let zeros = vec![0.0; 50];
    let s = summary(&zeros, &zeros, &age);
    assert_insufficient(BetaGeo::params().fit(&s), "no repeat purchases");
    assert_insufficient(ModifiedBetaGeo::params().fit(&s), "no repeat purchases");
    assert_insufficient(ParetoNbd::params().fit(&s), "no repeat purchases");
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&zeros, &zeros, &age, None)
            .and_then(|s| BetaGeo::params().fit(&s)),
        "no repeat purchases",
    );
    let periods: Vec<f64> = age.iter().map(|t| t.round()).collect();
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&zeros, &zeros, &periods, None)
            .and_then(|s| BetaGeoBetaBinom::params().fit(&s)),
        "no repeat transactions",
    );
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&zeros, &zeros, &zeros, Some(&vec![10.0; 50]))
            .and_then(|s| GammaGamma::params().fit(&s)),
        "no repeat buyers",
    );
}

#[test]
fn every_age_zero_is_a_typed_error() {
    let zeros = vec![0.0; 50];
    let s = summary(&zeros, &zeros, &zeros);
    assert_insufficient(BetaGeo::params().fit(&s), "every T is 0");
    assert_insufficient(ModifiedBetaGeo::params().fit(&s), "every T is 0");
    assert_insufficient(ParetoNbd::params().fit(&s), "every T is 0");
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&zeros, &zeros, &zeros, None)
            .and_then(|s| BetaGeoBetaBinom::params().fit(&s)),
        "0 opportunities",
    );
}

#[test]
fn zero_weights_are_a_typed_error() {
    let (f, r, t) = ([1.0, 2.0], [3.0, 5.0], [10.0, 12.0]);
    let w = [0.0, 0.0];
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&f, &r, &t, None)
            .and_then(|s| BetaGeo::params().fit((&s, &(&w)[..]))),
        "every weight is 0",
    );
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&f, &r, &t, None)
            .and_then(|s| ParetoNbd::params().fit((&s, &(&w)[..]))),
        "every weight is 0",
    );
    assert_insufficient(
        patronage::CustomerSummary::from_columns(&f, &r, &t, None)
            .and_then(|s| BetaGeoBetaBinom::params().fit((&s, &(&w)[..]))),
        "every weight is 0",
    );
}

/// Repeat buyers who all spend the same: no between-customer variation for the
/// Gamma-Gamma's heterogeneity (q, v grow together without bound).
#[test]
fn gamma_gamma_identical_spend_returns_promptly() {
    let f = [1.0, 2.0, 3.0, 1.0, 4.0];
    for spend in [[20.0; 5], [20.0, 20.5, 19.5, 20.0, 20.1]] {
        match patronage::CustomerSummary::from_columns(&f, &f, &f, Some(&spend))
            .and_then(|s| GammaGamma::params().fit(&s))
        {
            Err(Error::InsufficientData { reason, .. }) => {
                assert!(reason.contains("not identif"), "{reason}")
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(m) => {
                assert!([m.p(), m.q(), m.v()].iter().all(|v| v.is_finite()), "{m:?}");
                for (x, s) in f.iter().zip(&spend) {
                    let e = m.conditional_expected_spend(*x, *s).unwrap();
                    assert!(e.is_finite() && e > 0.0, "{m:?}: {e}");
                }
            }
        }
    }
}

/// Small BG/BB data: everyone transacting at every opportunity (no sign of dropout), and
/// a handful of ordinary rows.
#[test]
fn bgbb_small_data_returns_promptly() {
    let cases: [(&[f64], &[f64], &[f64]); 2] = [
        (&[6.0, 6.0, 6.0, 6.0], &[6.0, 6.0, 6.0, 6.0], &[6.0; 4]),
        (
            &[1.0, 3.0, 0.0, 2.0, 4.0],
            &[2.0, 5.0, 0.0, 6.0, 4.0],
            &[6.0; 5],
        ),
    ];
    for (x, tx, n) in cases {
        match patronage::CustomerSummary::from_columns(x, tx, n, None)
            .and_then(|s| BetaGeoBetaBinom::params().fit(&s))
        {
            Err(Error::InsufficientData { reason, .. }) => {
                assert!(reason.contains("not identif"), "{reason}")
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(m) => {
                let p = [m.alpha(), m.beta(), m.gamma(), m.delta()];
                assert!(p.iter().all(|v| v.is_finite()), "{m:?}");
                for i in 0..x.len() {
                    let (x, tx, n) = (x[i] as u32, tx[i] as u32, n[i] as u32);
                    prob(
                        m.probability_alive(f64::from(x), f64::from(tx), f64::from(n))
                            .unwrap(),
                        "P(alive)",
                    );
                    let e = m
                        .conditional_expected_purchases(5.0, x as f64, tx as f64, n as f64)
                        .unwrap();
                    assert!(e.is_finite() && e >= 0.0, "{m:?}: {e}");
                }
            }
        }
    }
}

/// BG/NBD family on repeat buyers whose last purchase is at T (no sign of dropout) and
/// on a few ordinary customers.
#[test]
fn bgnbd_small_data_returns_promptly() {
    bgnbd_sane(&summary(
        &[1.0, 2.0, 3.0, 1.0, 2.0],
        &[10.0, 20.0, 30.0, 5.0, 12.0],
        &[10.0, 20.0, 30.0, 5.0, 12.0],
    ));
    bgnbd_sane(&summary(
        &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        &[0.0, 0.0, 3.0, 0.0, 0.0, 0.0],
        &[20.0, 31.0, 39.0, 4.0, 12.0, 25.0],
    ));
    pareto_sane(&summary(
        &[0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        &[0.0, 0.0, 3.0, 0.0, 0.0, 0.0],
        &[20.0, 31.0, 39.0, 4.0, 12.0, 25.0],
    ));
}

/// Pareto/NBD likelihood terms with parameters far outside the fits' box (as an
/// unbounded optimizer used to reach) are a bounded amount of work.
#[test]
fn pareto_nbd_likelihood_work_is_bounded_for_extreme_parameters() {
    for p in [
        [2.2e123, 1.0e124, 0.5, 3.0],
        [1e300, 1e300, 1e-300, 1.0],
        [0.5, 1e-300, 1e300, 1e300],
        [f64::MAX, 1.0, 1.0, f64::MIN_POSITIVE],
    ] {
        let m = ParetoNbd::from_params(p[0], p[1], p[2], p[3]).unwrap();
        for (x, tx, t) in [(0.0, 0.0, 39.0), (2.0, 30.4, 38.9), (4.0, 1.0, 30.0)] {
            // Only that these return: the values at such parameters are not meaningful.
            let _ = m.customer_log_likelihood(x, tx, t).unwrap();
            let _ = m.probability_alive(x, tx, t).unwrap();
        }
    }
}
