//! Pareto/NBD against lifetimes, Fader, Hardie & Lee's note and the BTYD / CLVTools
//! checks (REFERENCE.md "Pareto/NBD and MBG/NBD", "Exact-data log-likelihoods and
//! prediction checks"), its purchase distribution against quadrature (mpmath), parameter
//! recovery on simulated customers, and error paths.

mod common;

use patronage::clv::diagnostics::model_fit_table;
use patronage::clv::value::Valuation;
use patronage::clv::{GammaGamma, ParetoNbd, PurchaseModel};
use patronage::prelude::*;
use patronage::{CustomerSummary, Day, Error, SummaryParams, TransactionLog};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp, Gamma};

use common::{abs, cdnow_csv, cdnow_exact, csv, rel};

/// lifetimes 0.11.3's maximum-likelihood parameters on the CSV.
fn lifetimes_fit() -> ParetoNbd {
    ParetoNbd::from_params(0.553284, 10.577696, 0.606253, 11.668935).unwrap()
}

#[test]
fn pareto_nbd_matches_lifetimes_and_the_note() {
    // Both CSVs hold the same (frequency, recency, T) rows.
    let plain = csv("tests/data/cdnow_customers_summary.csv");
    let s = cdnow_csv();
    for (i, row) in plain.iter().enumerate() {
        assert_eq!(
            [row[1], row[2], row[3]],
            [s.frequency()[i], s.recency()[i], s.age()[i]]
        );
    }
    let m = ParetoNbd::params().fit(&s).unwrap();
    rel(m.r(), 0.553284, 1e-3, "r");
    rel(m.alpha(), 10.577696, 1e-3, "alpha");
    rel(m.s(), 0.606253, 1e-3, "s");
    rel(m.beta(), 11.668935, 1e-3, "beta");
    // The note prints -9595.0 (fitted to the exact data; the CSV rounds times).
    let report = m.report();
    abs(report.log_likelihood, -9595.0, 0.05, "log-likelihood");
    abs(report.aic, 8.0 - 2.0 * report.log_likelihood, 1e-9, "AIC");
    abs(
        report.bic,
        4.0 * 2357f64.ln() - 2.0 * report.log_likelihood,
        1e-9,
        "BIC",
    );
    let se = report.standard_errors.as_ref().unwrap();
    assert!(se.iter().all(|v| v.is_finite() && *v > 0.0), "{se:?}");
    // Our optimum is at least as good as lifetimes' (which stops at a looser tolerance).
    let ll_at = |p: &ParetoNbd| -> f64 {
        (0..s.len())
            .map(|i| {
                p.customer_log_likelihood(s.frequency()[i], s.recency()[i], s.age()[i])
                    .unwrap()
            })
            .sum()
    };
    abs(ll_at(&m), report.log_likelihood, 1e-6, "summed customer LL");
    assert!(ll_at(&m) >= ll_at(&lifetimes_fit()) - 1e-9);

    let (x, tx, t) = (s.frequency(), s.recency(), s.age());
    for (i, e, p) in [
        (0, 1.455095, 0.869114),
        (1, 0.170976, 0.167868),
        (2, 0.107058, 0.295091),
    ] {
        abs(
            m.conditional_expected_purchases(39.0, x[i], tx[i], t[i])
                .unwrap(),
            e,
            1e-4,
            "E[X(39)|customer]",
        );
        abs(
            m.probability_alive(x[i], tx[i], t[i]).unwrap(),
            p,
            1e-4,
            "P(alive)",
        );
        // At lifetimes' own parameters the agreement is closer still.
        let l = lifetimes_fit();
        abs(
            l.conditional_expected_purchases(39.0, x[i], tx[i], t[i])
                .unwrap(),
            e,
            1e-6,
            "E[X(39)|customer] at lifetimes' parameters",
        );
        abs(
            l.probability_alive(x[i], tx[i], t[i]).unwrap(),
            p,
            1e-6,
            "P(alive) at lifetimes' parameters",
        );
    }
}

#[test]
fn exact_data_reaches_the_notes_log_likelihood() {
    let exact = cdnow_exact();
    let m = ParetoNbd::params().fit(&exact).unwrap();
    abs(
        m.report().log_likelihood,
        -9594.9762,
        1e-3,
        "exact Pareto/NBD LL",
    );
    let csv_fit = ParetoNbd::params().fit(&cdnow_csv()).unwrap();
    for (a, b) in [
        (m.r(), csv_fit.r()),
        (m.alpha(), csv_fit.alpha()),
        (m.s(), csv_fit.s()),
        (m.beta(), csv_fit.beta()),
    ] {
        rel(a, b, 1e-3, "exact vs CSV parameters");
    }
    // These predictions move in their 4th digit with the parameters along the
    // likelihood's flat ridge (s.e. of beta 6.2 at beta 11.7): the BTYD / CLVTools
    // values are held to the stated 1e-4 only where the ridge allows (see below).
    abs(
        m.expected_purchases_new_customer(52.0).unwrap(),
        1.473434,
        1e-4,
        "E[X(52)]",
    );
    rel(
        m.conditional_expected_purchases(52.0, 26.0, 30.85714, 31.0)
            .unwrap(),
        25.45647,
        1e-4,
        "x = 26 customer",
    );
    abs(
        m.probability_alive(26.0, 30.85714, 31.0).unwrap(),
        0.997874,
        1e-4,
        "x = 26 P(alive)",
    );
    let series = [
        (10.0, 0.7062289),
        (15.0, 0.1442396),
        (20.0, 0.02250658),
        (25.0, 0.00309267),
    ];
    for (x, want) in series {
        abs(
            m.conditional_expected_purchases(52.0, x, 20.0, 39.0)
                .unwrap(),
            want,
            5e-4,
            "t_x = 20 series",
        );
    }
    // An equally good optimum reproduces all seven reference values at once: these
    // parameters, the least-squares fit of the four to the six expectations (relative
    // residual 2e-7), are within 1e-5 of our maximum log-likelihood and also give the
    // reference P(alive), a check of the formulas with three values to spare.
    let ridge =
        ParetoNbd::from_params(0.5533709884, 10.579519094, 0.6059069491, 11.658091772).unwrap();
    let ll: f64 = (0..exact.len())
        .map(|i| {
            ridge
                .customer_log_likelihood(exact.frequency()[i], exact.recency()[i], exact.age()[i])
                .unwrap()
        })
        .sum();
    abs(ll, m.report().log_likelihood, 1e-5, "LL on the ridge");
    rel(
        ridge.expected_purchases_new_customer(52.0).unwrap(),
        1.473434,
        1e-6,
        "E[X(52)] on the ridge",
    );
    rel(
        ridge
            .conditional_expected_purchases(52.0, 26.0, 30.85714, 31.0)
            .unwrap(),
        25.45647,
        1e-6,
        "x = 26 customer on the ridge",
    );
    abs(
        ridge.probability_alive(26.0, 30.85714, 31.0).unwrap(),
        0.997874,
        1e-6,
        "x = 26 P(alive) on the ridge",
    );
    for (x, want) in series {
        rel(
            ridge
                .conditional_expected_purchases(52.0, x, 20.0, 39.0)
                .unwrap(),
            want,
            1e-6,
            "t_x = 20 series on the ridge",
        );
    }
}

#[test]
fn fits_in_days_are_the_weekly_fit_rescaled() {
    // The model is scale-equivariant: in days the shapes stay and the scales grow
    // sevenfold; the default start finds that optimum too.
    let log = TransactionLog::new(&common::cdnow_rows()).unwrap();
    let end = Day::from_ymd(1997, 9, 30).unwrap();
    let weeks = ParetoNbd::params()
        .fit(
            &log.summarize(&SummaryParams::new(end).time_unit_days(7.0))
                .unwrap(),
        )
        .unwrap();
    let days = ParetoNbd::params()
        .fit(
            &log.summarize(&SummaryParams::new(end).time_unit_days(1.0))
                .unwrap(),
        )
        .unwrap();
    rel(days.r(), weeks.r(), 1e-4, "r");
    rel(days.s(), weeks.s(), 1e-3, "s");
    rel(days.alpha(), 7.0 * weeks.alpha(), 1e-4, "alpha");
    rel(days.beta(), 7.0 * weeks.beta(), 1e-3, "beta");
    rel(
        days.probability_alive(2.0, 7.0 * 30.43, 7.0 * 38.86)
            .unwrap(),
        weeks.probability_alive(2.0, 30.43, 38.86).unwrap(),
        1e-5,
        "P(alive)",
    );
}

#[test]
fn purchase_distribution_matches_quadrature() {
    // mpmath (40 digits): P(X(t) = n) as the alive term plus the integral over the death
    // time of NBD(n) times the Pareto (II) lifetime density; the conditional one from
    // P(alive) by quadrature and the posterior rates.
    let m = lifetimes_fit();
    for (n, want) in [
        (0, 0.5935302791516447),
        (1, 0.16558601268233294),
        (2, 0.08250468278740533),
        (3, 0.049052648989183024),
        (10, 0.004195445139972857),
    ] {
        abs(
            m.probability_of_n_purchases(39.0, n).unwrap(),
            want,
            1e-12,
            "P(X(39) = n)",
        );
    }
    for (n, want) in [
        (0, 0.40809751698548596),
        (1, 0.21926485269447024),
        (2, 0.15174443419705116),
    ] {
        abs(
            m.conditional_probability_of_n_purchases(39.0, n, 2.0, 30.43, 38.86)
                .unwrap(),
            want,
            1e-12,
            "P(X(T, T + 39] = n | customer 1)",
        );
    }
    for (n, want) in [(20, 0.017934100463567627), (25, 0.027292889650067056)] {
        abs(
            m.conditional_probability_of_n_purchases(52.0, n, 26.0, 30.85714, 31.0)
                .unwrap(),
            want,
            1e-12,
            "P(X(T, T + 52] = n | x = 26)",
        );
    }
    for (p, cases) in [
        (
            [0.3, 2.0, 1.4, 400.0],
            vec![
                (0, 0.4208194066889272),
                (2, 0.07131824263625555),
                (10, 0.015405751609295764),
            ],
        ),
        (
            [2.0, 300.0, 0.2, 1.5],
            vec![(0, 0.8626477547198057), (3, 0.0026617014824030006)],
        ),
        (
            [0.5, 0.01, 0.7, 50.0],
            vec![
                (0, 0.023091017030942202),
                (1, 0.011408583298932812),
                (40, 0.0018184950998735452),
            ],
        ),
    ] {
        let e = ParetoNbd::from_params(p[0], p[1], p[2], p[3]).unwrap();
        for (n, want) in cases {
            abs(
                e.probability_of_n_purchases(39.0, n).unwrap(),
                want,
                1e-10,
                "extreme P(X(39) = n)",
            );
        }
    }
    // Far-apart scales, and probabilities far below the closed form's cancellation.
    let far = ParetoNbd::from_params(0.5, 5.01, 0.7, 10005.0).unwrap();
    for (n, want) in [
        (0, 0.33785388923924604),
        (10, 0.017726666651725725),
        (100, 1.069693165282391e-7),
        (1000, 1.9569509137287713e-55),
        (3000, 1.2009519295697952e-160),
    ] {
        rel(
            far.probability_of_n_purchases(39.0, n).unwrap(),
            want,
            1e-10,
            "far-apart P(X(39) = n)",
        );
    }
    // The distributions sum to one and have the closed-form means.
    for t in [5.0, 39.0, 78.0] {
        let p: Vec<f64> = (0..400)
            .map(|n| m.probability_of_n_purchases(t, n).unwrap())
            .collect();
        abs(p.iter().sum(), 1.0, 1e-9, "sum of P(X(t) = n)");
        let mean: f64 = p.iter().enumerate().map(|(n, v)| n as f64 * v).sum();
        abs(
            mean,
            m.expected_purchases_new_customer(t).unwrap(),
            1e-8,
            "mean of X(t)",
        );
        for (x, tx, age) in [(0.0, 0.0, 38.0), (2.0, 30.43, 38.86), (12.0, 10.0, 39.0)] {
            let p: Vec<f64> = (0..400)
                .map(|n| {
                    m.conditional_probability_of_n_purchases(t, n, x, tx, age)
                        .unwrap()
                })
                .collect();
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
            abs(p.iter().sum(), 1.0, 1e-9, "sum of conditional P(n)");
            let mean: f64 = p.iter().enumerate().map(|(n, v)| n as f64 * v).sum();
            abs(
                mean,
                m.conditional_expected_purchases(t, x, tx, age).unwrap(),
                1e-8,
                "conditional mean",
            );
        }
    }
}

#[test]
fn pareto_nbd_is_stable_in_hard_regimes() {
    let m = lifetimes_fit();
    // A heavy buyer silent for 90 weeks is almost surely gone, with no NaN on the way.
    let p = m.probability_alive(1000.0, 10.0, 100.0).unwrap();
    assert!(p.is_finite() && p < 1e-100, "{p}");
    let e = m
        .conditional_expected_purchases(52.0, 5000.0, 99.0, 100.0)
        .unwrap();
    assert!(e.is_finite() && e > 0.0, "{e}");
    // A buyer whose last purchase ends the window is alive.
    assert_eq!(m.probability_alive(3.0, 20.0, 20.0).unwrap(), 1.0);
    // alpha == beta (the 2F1 argument is 0) and s == 1 (the expectation's log limit)
    // are continuous with their neighbours.
    let at = |alpha: f64, beta: f64, s: f64| ParetoNbd::from_params(0.5, alpha, s, beta).unwrap();
    let (x, tx, age) = (4.0, 20.0, 39.0);
    for (a, b) in [
        (at(10.0, 10.0, 0.6), at(10.0, 10.0 + 1e-7, 0.6)),
        (at(10.0, 10.0, 0.6), at(10.0 + 1e-7, 10.0, 0.6)),
        (at(10.0, 12.0, 1.0), at(10.0, 12.0, 1.0 + 1e-7)),
    ] {
        for (u, v) in [
            (
                a.customer_log_likelihood(x, tx, age).unwrap(),
                b.customer_log_likelihood(x, tx, age).unwrap(),
            ),
            (
                a.probability_alive(x, tx, age).unwrap(),
                b.probability_alive(x, tx, age).unwrap(),
            ),
            (
                a.conditional_expected_purchases(52.0, x, tx, age).unwrap(),
                b.conditional_expected_purchases(52.0, x, tx, age).unwrap(),
            ),
            (
                a.expected_purchases_new_customer(52.0).unwrap(),
                b.expected_purchases_new_customer(52.0).unwrap(),
            ),
        ] {
            assert!(
                u.is_finite() && (u - v).abs() < 1e-5 * u.abs().max(1.0),
                "{u} vs {v}"
            );
        }
    }
    // Dropout scale far above the purchase scale (and the reverse): the fit's
    // likelihood terms stay finite and ordered.
    for p in [
        ParetoNbd::from_params(0.5, 0.01, 0.7, 1e6).unwrap(),
        ParetoNbd::from_params(0.5, 1e6, 0.7, 0.01).unwrap(),
    ] {
        for (x, tx, age) in [(0.0, 0.0, 39.0), (3.0, 5.0, 39.0), (300.0, 38.0, 39.0)] {
            let ll = p.customer_log_likelihood(x, tx, age).unwrap();
            let pa = p.probability_alive(x, tx, age).unwrap();
            assert!(ll.is_finite() && (0.0..=1.0).contains(&pa), "{ll} {pa}");
        }
    }
}

/// Customers simulated from the Pareto/NBD process itself.
fn simulate(n: usize, p: [f64; 4], seed: u64) -> CustomerSummary {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let rate = Gamma::new(p[0], 1.0 / p[1]).unwrap();
    let dropout = Gamma::new(p[2], 1.0 / p[3]).unwrap();
    let (mut x, mut tx, mut age) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // Ages spread over 10..50 time units.
        let t = 10.0 + 40.0 * (i as f64 + 0.5) / n as f64;
        let lambda: f64 = rate.sample(&mut rng);
        let mu: f64 = dropout.sample(&mut rng);
        let death = Exp::new(mu).unwrap().sample(&mut rng).min(t);
        let gap = Exp::new(lambda).unwrap();
        let (mut now, mut count, mut last) = (0.0, 0.0, 0.0);
        loop {
            now += gap.sample(&mut rng);
            if now > death {
                break;
            }
            count += 1.0;
            last = now;
        }
        x.push(count);
        tx.push(last);
        age.push(t);
    }
    CustomerSummary::from_columns(&x, &tx, &age, None).unwrap()
}

#[test]
fn parameters_are_recovered_from_simulated_customers() {
    let truth = [0.8, 8.0, 0.5, 12.0];
    let s = simulate(40_000, truth, 7);
    let m = ParetoNbd::params().fit(&s).unwrap();
    let se = m.report().standard_errors.clone().unwrap();
    for ((got, want), se) in [m.r(), m.alpha(), m.s(), m.beta()]
        .into_iter()
        .zip(truth)
        .zip(se)
    {
        assert!((got - want).abs() <= 3.0 * se, "{got} vs {want} (se {se})");
    }
}

#[test]
fn weights_penalizer_and_shared_tools() {
    let s = cdnow_csv();
    let m = ParetoNbd::params().fit(&s).unwrap();
    // Weighted rows equal repeated rows.
    let (x, tx, t) = (s.frequency(), s.recency(), s.age());
    let mut repeated = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..300 {
        for _ in 0..(i % 3 + 1) {
            repeated.0.push(x[i]);
            repeated.1.push(tx[i]);
            repeated.2.push(t[i]);
        }
    }
    let w: Vec<f64> = (0..300).map(|i| (i % 3 + 1) as f64).collect();
    let a = patronage::CustomerSummary::from_columns(&x[..300], &tx[..300], &t[..300], None)
        .and_then(|s| ParetoNbd::params().fit((&s, &(&w)[..])))
        .unwrap();
    let b = patronage::CustomerSummary::from_columns(&repeated.0, &repeated.1, &repeated.2, None)
        .and_then(|s| ParetoNbd::params().fit(&s))
        .unwrap();
    for (u, v) in [
        (a.r(), b.r()),
        (a.alpha(), b.alpha()),
        (a.s(), b.s()),
        (a.beta(), b.beta()),
    ] {
        rel(u, v, 1e-6, "weighted vs repeated");
    }
    abs(
        a.report().log_likelihood,
        b.report().log_likelihood,
        1e-6,
        "weighted vs repeated LL",
    );
    // The penalizer shrinks the parameters.
    let p = ParetoNbd::params().penalty(0.01).fit(&s).unwrap();
    let sq = |m: &ParetoNbd| m.r().powi(2) + m.alpha().powi(2) + m.s().powi(2) + m.beta().powi(2);
    assert!(sq(&p) < sq(&m) && p.report().log_likelihood < m.report().log_likelihood);

    // CLV in lifetimes' monthly convention, by hand for customer 1.
    let gg = GammaGamma::params().fit(&s).unwrap();
    let clv = Valuation::monthly(12, 0.01)
        .days_per_month(4.345 * 7.0)
        .value(&m, &gg, &s)
        .unwrap();
    let spend = gg
        .conditional_expected_spend(x[0], s.monetary_value()[0])
        .unwrap();
    let by_hand: f64 = (1..=12)
        .map(|i| {
            let e = |k: i32| {
                m.conditional_expected_purchases(4.345 * f64::from(k), x[0], tx[0], t[0])
                    .unwrap()
            };
            spend * (e(i) - e(i - 1)) / 1.01f64.powi(i)
        })
        .sum();
    abs(clv[0], by_hand, 1e-9, "CLV of customer 1");
    assert!(clv.iter().all(|v| v.is_finite() && *v >= 0.0));

    // The papers' histogram of repeat counts: expected customers add up.
    let table = model_fit_table(|t, n| m.probability_of_n_purchases(t, n), &s, 7).unwrap();
    let total: f64 = table.iter().map(|r| r.expected).sum();
    abs(total, 2357.0, 1e-6, "histogram total");
    let zero: f64 = t
        .iter()
        .map(|&age| m.probability_of_n_purchases(age, 0).unwrap())
        .sum();
    abs(table[0].expected, zero, 1e-6, "histogram, no repeats");
}

#[test]
fn error_paths() {
    let pn = ParetoNbd::params();
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[-1.0], &[0.0], &[1.0], None)
            .and_then(|s| pn.fit(&s)),
        Err(Error::Negative {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[2.0], &[1.0], None)
            .and_then(|s| pn.fit(&s)),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[0.0], &[1.0], None)
            .and_then(|s| pn.fit(&s)),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.5], &[1.0], &[2.0], None)
            .and_then(|s| pn.fit(&s)),
        Err(Error::InvalidValue {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[f64::NAN], &[1.0], &[2.0], None)
            .and_then(|s| pn.fit(&s)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[], &[], &[], None).and_then(|s| pn.fit(&s)),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[2.0], None)
            .and_then(|s| pn.fit((&s, &(&[-1.0])[..]))),
        Err(Error::Negative {
            field: "weights",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[2.0], None)
            .and_then(|s| pn.fit((&s, &(&[1.0, 2.0])[..]))),
        Err(Error::LengthMismatch {
            field: "weights",
            ..
        })
    ));
    assert!(matches!(
        pn.clone().penalty(-1.0).fit(&cdnow_csv()),
        Err(Error::InvalidParameter {
            name: "penalty",
            ..
        })
    ));
    assert!(matches!(
        pn.clone().penalty(f64::NAN).fit(&cdnow_csv()),
        Err(Error::InvalidParameter {
            name: "penalty",
            ..
        })
    ));
    assert!(matches!(
        pn.clone().max_iter(1).fit(&cdnow_csv()),
        Err(Error::NotConverged {
            model: "Pareto/NBD",
            ..
        })
    ));
}
