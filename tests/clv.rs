//! BG/NBD, Gamma-Gamma and discounted CLV against the published values and lifetimes
//! (REFERENCE.md "BG/NBD", "Gamma-Gamma", "Discounted CLV", "Exact-data
//! log-likelihoods", Hardie's note 027), parameter recovery, and error paths.

mod common;

use patronage::clv::value::Valuation;
use patronage::clv::value::{lifetime_value, lifetime_value_continuous};
use patronage::clv::{BetaGeo, GammaGamma, PurchaseModel};
use patronage::prelude::*;
use patronage::simulate::Simulation;
use patronage::{CustomerSummary, Day, Error, Horizon, SummaryParams, TransactionLog};

use common::{abs, cdnow_csv, cdnow_exact, csv, rel};

#[test]
fn bgnbd_matches_the_paper_and_lifetimes() {
    let s = cdnow_csv();
    let m = BetaGeo::params().fit(&s).unwrap();
    rel(m.r(), 0.242593, 1e-4, "r");
    rel(m.alpha(), 4.413532, 1e-4, "alpha");
    rel(m.a(), 0.792886, 1e-4, "a");
    rel(m.b(), 2.425752, 1e-4, "b");
    abs(
        m.report().log_likelihood,
        -9582.4256,
        1e-3,
        "log-likelihood",
    );
    let (x, tx, t) = (s.frequency(), s.recency(), s.age());
    for (i, e, p) in [
        (0, 1.225910, 0.726609),
        (1, 0.203251, 0.212227),
        (2, 0.194781, 1.0),
    ] {
        abs(
            m.conditional_expected_purchases(39.0, x[i], tx[i], t[i])
                .unwrap(),
            e,
            1e-5,
            "E[X(39)|customer]",
        );
        abs(
            m.probability_alive(x[i], tx[i], t[i]).unwrap(),
            p,
            1e-5,
            "P(alive)",
        );
    }
    abs(
        m.expected_purchases_new_customer(39.0).unwrap(),
        1.195016,
        1e-5,
        "E[X(39)]",
    );
    abs(
        m.expected_purchases_new_customer(78.0).unwrap(),
        1.857972,
        1e-5,
        "E[X(78)]",
    );
    for (n, p) in [0.574307, 0.199193, 0.085322, 0.045797].iter().enumerate() {
        abs(
            m.probability_of_n_purchases(39.0, n as u32).unwrap(),
            *p,
            1e-5,
            "P(X(39) = n)",
        );
    }
    let total: f64 = (0..s.len())
        .map(|i| {
            m.conditional_expected_purchases(39.0, x[i], tx[i], t[i])
                .unwrap()
        })
        .sum();
    abs(total, 1653.4233, 1e-2, "sum of E[X(39)|customer]");
    let se = m.report().standard_errors.as_ref().unwrap();
    assert!(se.iter().all(|v| v.is_finite() && *v > 0.0));
}

#[test]
fn exact_data_reaches_the_papers_log_likelihoods() {
    let exact = cdnow_exact();
    let m = BetaGeo::params().fit(&exact).unwrap();
    abs(
        m.report().log_likelihood,
        -9582.4292,
        1e-3,
        "exact BG/NBD LL",
    );
    let csv_fit = BetaGeo::params().fit(&cdnow_csv()).unwrap();
    for (a, b) in [
        (m.r(), csv_fit.r()),
        (m.alpha(), csv_fit.alpha()),
        (m.a(), csv_fit.a()),
        (m.b(), csv_fit.b()),
    ] {
        rel(a, b, 1e-3, "exact vs CSV parameters");
    }
    abs(
        m.expected_purchases_new_customer(52.0).unwrap(),
        1.444004,
        1e-4,
        "E[X(52)]",
    );
    // 25.7566 purchases moves by 1e-3 when the parameters move in their 5th digit
    // (between our exact-data optimum and the BTYD vignette's): held to 1e-4 relative.
    rel(
        m.conditional_expected_purchases(52.0, 26.0, 30.85714, 31.0)
            .unwrap(),
        25.75659,
        1e-4,
        "x = 26 customer",
    );
    abs(
        m.probability_alive(26.0, 30.85714, 31.0).unwrap(),
        0.9688523,
        1e-4,
        "x = 26 P(alive)",
    );
    for (x, want) in [
        (10.0, 0.3474606),
        (15.0, 0.04283391),
        (20.0, 0.004158973),
        (25.0, 0.0003583685),
    ] {
        abs(
            m.conditional_expected_purchases(52.0, x, 20.0, 39.0)
                .unwrap(),
            want,
            1e-4,
            "t_x = 20 series",
        );
    }
    let gg = GammaGamma::params().fit(&exact).unwrap();
    abs(
        gg.report().log_likelihood,
        -4055.9177,
        1e-3,
        "exact Gamma-Gamma LL",
    );
}

#[test]
fn bgnbd_is_stable_in_hard_regimes() {
    // Hardie's note 027.
    let m = BetaGeo::from_params(0.25, 4.0, 0.80, 2.50).unwrap();
    abs(
        m.customer_log_likelihood(0.0, 0.0, 40.0).unwrap(),
        -0.59947382,
        1e-8,
        "LL(0, 0, 40)",
    );
    abs(
        m.customer_log_likelihood(200.0, 38.0, 40.0).unwrap(),
        100.7957,
        1e-4,
        "LL(200, 38, 40)",
    );
    let p = m.probability_alive(1000.0, 10.0, 100.0).unwrap();
    assert!(p.is_finite() && p < 1e-100, "{p}");
    let e = m
        .conditional_expected_purchases(52.0, 5000.0, 99.0, 100.0)
        .unwrap();
    assert!(e.is_finite() && e > 0.0);
}

#[test]
fn gamma_gamma_and_clv_match_lifetimes() {
    let s = cdnow_csv();
    let gg = GammaGamma::params().fit(&s).unwrap();
    rel(gg.p(), 6.248802, 1e-4, "p");
    rel(gg.q(), 3.744588, 1e-4, "q");
    rel(gg.v(), 15.447748, 1e-4, "v");
    let (x, m) = (s.frequency(), s.monetary_value());
    for (i, want) in [(0, 24.658616), (1, 18.911480), (2, 35.171002)] {
        abs(
            gg.conditional_expected_spend(x[i], m[i]).unwrap(),
            want,
            1e-4,
            "E[spend|customer]",
        );
    }
    assert!(gg.frequency_spend_correlation().expect("fitted").abs() < 0.2);

    let bg = BetaGeo::params().fit(&s).unwrap();
    // lifetimes' month for weekly models: 4.345 weeks.
    let clv = Valuation::monthly(12, 0.01)
        .days_per_month(4.345 * 7.0)
        .value(&bg, &gg, &s)
        .unwrap();
    for (i, want) in [(0, 36.2785), (1, 4.6375), (2, 8.3441)] {
        abs(clv[i], want, 1e-3, "CLV");
    }
    abs(clv.iter().sum::<f64>(), 71509.9, 1.0, "total CLV");
    // Continuous discounting at the equivalent rate is close to the monthly version.
    let delta = 1.01f64.ln() * 12.0 * Horizon::DAYS_PER_MONTH / (4.345 * 7.0);
    let cont = lifetime_value_continuous(&bg, &gg, &s, Horizon::months(12.0), delta, 520).unwrap();
    assert!(
        (cont[0] - clv[0]).abs() < 0.01 * clv[0],
        "{} vs {}",
        cont[0],
        clv[0]
    );
}

#[test]
fn parameters_are_recovered_from_simulated_customers() {
    // Continuous-time summaries straight from the process (not rounded to days).
    let s = Simulation::new(100_000)
        .seed(2024)
        .summary_continuous()
        .unwrap();
    let m = BetaGeo::params().fit(&s).unwrap();
    let se = m.report().standard_errors.clone().unwrap();
    for ((got, want), se) in [m.r(), m.alpha(), m.a(), m.b()]
        .into_iter()
        .zip([0.25, 4.0, 0.8, 2.5])
        .zip(se)
    {
        assert!((got - want).abs() <= 1.96 * se, "{got} vs {want} (se {se})");
    }
}

#[test]
fn error_paths() {
    let bad = CustomerSummary::from_columns(&[0.0], &[0.0], &[1.0], None).unwrap();
    assert!(matches!(
        GammaGamma::params().fit(&bad),
        Err(Error::InsufficientData { .. })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(
            &[1.0, 2.0],
            &[1.0, 2.0],
            &[1.0, 2.0],
            Some(&[5.0, 0.0])
        )
        .and_then(|s| GammaGamma::params().fit(&s)),
        Err(Error::InvalidValue {
            field: "monetary_value",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[1.0], Some(&[5.0, 2.0]))
            .and_then(|s| GammaGamma::params().fit(&s)),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        GammaGamma::params().penalty(-1.0).fit(&cdnow_csv()),
        Err(Error::InvalidParameter { .. })
    ));
    let bg = BetaGeo::params();
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[-1.0], &[0.0], &[1.0], None)
            .and_then(|s| bg.fit(&s)),
        Err(Error::Negative {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[2.0], &[1.0], None)
            .and_then(|s| bg.fit(&s)),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[0.0], &[1.0], None)
            .and_then(|s| bg.fit(&s)),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.5], &[1.0], &[2.0], None)
            .and_then(|s| bg.fit(&s)),
        Err(Error::InvalidValue {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[f64::NAN], &[1.0], &[2.0], None)
            .and_then(|s| bg.fit(&s)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[], &[], &[], None).and_then(|s| bg.fit(&s)),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[2.0], None)
            .and_then(|s| bg.fit((&s, &(&[-1.0])[..]))),
        Err(Error::Negative {
            field: "weights",
            ..
        })
    ));
    assert!(matches!(
        bg.clone().max_iter(1).fit(&cdnow_csv()),
        Err(Error::NotConverged { .. })
    ));
    let s = cdnow_csv();
    let (m, g) = (
        BetaGeo::from_params(0.24, 4.4, 0.79, 2.4).unwrap(),
        GammaGamma::from_params(6.2, 3.7, 15.4).unwrap(),
    );
    assert!(matches!(
        lifetime_value(&m, &g, &s, 0, 0.01),
        Err(Error::InvalidParameter { name: "months", .. })
    ));
    assert!(matches!(
        lifetime_value(&m, &g, &s, 12, -0.01),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        lifetime_value_continuous(&m, &g, &s, Horizon::weeks(10.0), 0.01, 0),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn bgbb_matches_the_paper_on_donations() {
    let rows = csv("tests/data/donations.csv");
    let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let m = patronage::CustomerSummary::from_columns(&col(0), &col(1), &col(2), None)
        .and_then(|s| patronage::clv::BetaGeoBetaBinom::params().fit((&s, &(&col(3))[..])))
        .unwrap();
    rel(m.alpha(), 1.203522, 1e-3, "alpha");
    rel(m.beta(), 0.749716, 1e-3, "beta");
    rel(m.gamma(), 0.656718, 1e-3, "gamma");
    rel(m.delta(), 2.783442, 1e-3, "delta");
    abs(m.report().log_likelihood, -33225.58, 1e-2, "log-likelihood");
    abs(
        m.expected_purchases_new_customer(10.0).unwrap(),
        3.179805,
        1e-4,
        "E[X(10)]",
    );
    // A donor active in every period is very likely alive; P(alive) lies in 0..=1.
    let p = m.probability_alive(6.0, 6.0, 6.0).unwrap();
    assert!(p > 0.9 && p <= 1.0, "{p}");
    let e = m
        .conditional_expected_purchases(5.0, 6.0, 6.0, 6.0)
        .unwrap();
    assert!(e > 0.0 && e < 5.0, "{e}");
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[2.0], &[1.0], &[6.0], None)
            .and_then(|s| patronage::clv::BetaGeoBetaBinom::params().fit(&s)),
        Err(Error::InvalidValue {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.5], &[6.0], None)
            .and_then(|s| patronage::clv::BetaGeoBetaBinom::params().fit(&s)),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
}

#[test]
fn mbgnbd_matches_lifetimes() {
    let s = cdnow_csv();
    let m = patronage::clv::ModifiedBetaGeo::params().fit(&s).unwrap();
    rel(m.r(), 0.524838, 1e-3, "r");
    rel(m.alpha(), 6.182988, 1e-3, "alpha");
    rel(m.a(), 0.891356, 1e-3, "a");
    rel(m.b(), 1.614000, 1e-3, "b");
    // Predictions are consistent: expectations grow with the horizon, P(alive) in 0..=1,
    // and a zero-repeat customer may be dead (unlike BG/NBD).
    assert!(m.probability_alive(0.0, 0.0, 39.0).unwrap() < 1.0);
    let (x, tx, t) = (s.frequency(), s.recency(), s.age());
    for i in 0..50 {
        let p = m.probability_alive(x[i], tx[i], t[i]).unwrap();
        assert!((0.0..=1.0).contains(&p));
        let (e1, e2) = (
            m.conditional_expected_purchases(10.0, x[i], tx[i], t[i])
                .unwrap(),
            m.conditional_expected_purchases(40.0, x[i], tx[i], t[i])
                .unwrap(),
        );
        assert!(0.0 <= e1 && e1 <= e2);
    }
    let new = m.expected_purchases_new_customer(39.0).unwrap();
    assert!(new > 0.5 && new < 2.0, "{new}");
}

/// The rounding bias the issue asks about: the same 100,000 simulated customers, their
/// purchases rounded to whole days (as a transaction log holds them) and summarized in
/// weeks, fit alpha a little high, as lifetimes does (4.18 for a true 4.0). Printed with
/// `--nocapture`; the assertion pins its direction and size.
#[test]
fn day_rounding_biases_alpha_upward_a_little() {
    let sim = Simulation::new(100_000).seed(2024);
    let continuous = BetaGeo::params()
        .fit(&sim.summary_continuous().unwrap())
        .unwrap();
    let log = patronage::TransactionLog::new(&sim.transactions().unwrap()).unwrap();
    let rounded = log
        .summarize(&patronage::SummaryParams::new(Day(728)).time_unit_days(7.0))
        .unwrap();
    let daily = BetaGeo::params().fit(&rounded).unwrap();
    println!(
        "true r 0.25 alpha 4.0 a 0.8 b 2.5; continuous: {:.4} {:.4} {:.4} {:.4}; rounded to days: {:.4} {:.4} {:.4} {:.4}",
        continuous.r(),
        continuous.alpha(),
        continuous.a(),
        continuous.b(),
        daily.r(),
        daily.alpha(),
        daily.a(),
        daily.b()
    );
    assert!(daily.alpha() > continuous.alpha());
    assert!((daily.alpha() - 4.0) / 4.0 < 0.10, "{}", daily.alpha());
}

/// Real logs hold $0 orders: a repeat buyer whose repeat orders were all free has a mean
/// spend of 0. `fit` rejects that row and names `eligible_only`, which fits the other
/// repeat buyers exactly as a fit on the hand-filtered columns and counts what it left
/// out.
#[test]
fn gamma_gamma_eligible_only_leaves_out_zero_spend() {
    use common::cdnow_rows;
    use patronage::{SummaryParams, TransactionLog};
    let mut rows = cdnow_rows();
    // Make every order of three customers with several purchase days free.
    let mut days: std::collections::BTreeMap<u32, std::collections::BTreeSet<Day>> =
        Default::default();
    for r in &rows {
        days.entry(r.customer).or_default().insert(r.day);
    }
    let free: Vec<u32> = days
        .iter()
        .filter(|(_, d)| d.len() >= 3)
        .map(|(&c, _)| c)
        .take(3)
        .collect();
    assert_eq!(free.len(), 3);
    for r in rows.iter_mut().filter(|r| free.contains(&r.customer)) {
        r.amount = 0.0;
    }
    let log = TransactionLog::new(&rows).unwrap();
    let s = log
        .summarize(&SummaryParams::new(Day::from_ymd(1998, 6, 30).unwrap()).time_unit_days(7.0))
        .unwrap();

    let err = GammaGamma::params().fit(&s).unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { field: "monetary_value", value, .. } if value == 0.0),
        "{err}"
    );
    assert!(err.to_string().contains("eligible_only"), "{err}");

    let gg = GammaGamma::params().eligible_only(true).fit(&s).unwrap();
    let (x, m) = (s.frequency(), s.monetary_value());
    let keep: Vec<usize> = (0..s.len()).filter(|&i| x[i] > 0.0 && m[i] > 0.0).collect();
    let by_hand = patronage::CustomerSummary::from_columns(
        &keep.iter().map(|&i| x[i]).collect::<Vec<_>>(),
        &keep.iter().map(|&i| x[i]).collect::<Vec<_>>(),
        &keep.iter().map(|&i| x[i]).collect::<Vec<_>>(),
        Some(&keep.iter().map(|&i| m[i]).collect::<Vec<_>>()),
    )
    .and_then(|s| GammaGamma::params().fit(&s))
    .unwrap();
    assert_eq!(
        (gg.p(), gg.q(), gg.v()),
        (by_hand.p(), by_hand.q(), by_hand.v())
    );
    let counted = gg.rows();
    assert_eq!(counted.non_positive_spend, 3);
    assert_eq!(counted.fitted, keep.len());
    assert_eq!(counted.no_repeat, x.iter().filter(|&&f| f == 0.0).count());
    assert_eq!(counted.fitted + counted.no_repeat + 3, s.len());
    assert_eq!(by_hand.rows().non_positive_spend, 0);

    // The same rows as a log arrives, in time order with customers interleaved.
    let mut by_day = rows.clone();
    by_day.sort_by_key(|r| r.day);
    let s_by_day = TransactionLog::new(&by_day)
        .unwrap()
        .summarize(&SummaryParams::new(Day::from_ymd(1998, 6, 30).unwrap()).time_unit_days(7.0))
        .unwrap();
    let gg_by_day = GammaGamma::params()
        .eligible_only(true)
        .fit(&s_by_day)
        .unwrap();
    assert_eq!(
        (gg_by_day.p(), gg_by_day.q(), gg_by_day.v()),
        (gg.p(), gg.q(), gg.v())
    );
    assert_eq!(gg_by_day.rows(), counted);

    // Nothing eligible: a typed error, not a fit.
    let none =
        CustomerSummary::from_columns(&[1.0, 0.0], &[3.0, 0.0], &[5.0, 5.0], Some(&[0.0, 0.0]))
            .unwrap();
    assert!(matches!(
        GammaGamma::params().eligible_only(true).fit(&none),
        Err(Error::InsufficientData { .. })
    ));
    // A non-finite spend is still a data error, not an ineligible row.
    assert!(matches!(
        patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[1.0], Some(&[f64::NAN]))
            .and_then(|s| GammaGamma::params().fit(&s)),
        Err(Error::NonFinite {
            field: "monetary_value",
            row: 0,
            ..
        })
    ));
}

/// Each model evaluates the total log-likelihood of data at given parameters: the
/// papers' printed (rounded) parameters reach the papers' log-likelihoods on the exact
/// CDNOW data and the donations (to within what rounding the parameters to 3-4 digits
/// moves them near an optimum), and at a fit's own parameters it is the report's value.
#[test]
fn log_likelihood_at_given_parameters() {
    use patronage::clv::{BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNbd};
    let exact = cdnow_exact();
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    abs(
        bg.log_likelihood(&exact).unwrap(),
        -9582.4292,
        0.05,
        "BG/NBD at the paper's",
    );
    let pn = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669).unwrap();
    abs(
        pn.log_likelihood(&exact).unwrap(),
        -9594.9762,
        0.05,
        "Pareto/NBD at the note's",
    );
    let gg = GammaGamma::from_params(6.25, 3.74, 15.44).unwrap();
    abs(
        gg.log_likelihood(&exact).unwrap(),
        -4055.9177,
        0.05,
        "Gamma-Gamma at the paper's",
    );
    let rows = csv("tests/data/donations.csv");
    let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let (x, tx, n, w) = (col(0), col(1), col(2), col(3));
    // The donors one row each (the file counts identical histories).
    let mut donors = [vec![], vec![], vec![]];
    for i in 0..x.len() {
        for _ in 0..w[i] as usize {
            donors[0].push(x[i]);
            donors[1].push(tx[i]);
            donors[2].push(n[i]);
        }
    }
    let donors = CustomerSummary::from_columns(&donors[0], &donors[1], &donors[2], None).unwrap();
    let bb = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783).unwrap();
    abs(
        bb.log_likelihood(&donors).unwrap(),
        -33225.58,
        0.05,
        "BG/BB at the paper's",
    );

    // At the fit's parameters: the report's value, and no other parameters do better.
    let csv_summary = cdnow_csv();
    let fitted = BetaGeo::params().fit(&csv_summary).unwrap();
    rel(
        fitted.log_likelihood(&csv_summary).unwrap(),
        fitted.report().log_likelihood,
        1e-12,
        "BG/NBD fitted",
    );
    assert!(
        bg.log_likelihood(&csv_summary).unwrap() <= fitted.log_likelihood(&csv_summary).unwrap()
    );
    let mbg = ModifiedBetaGeo::params().fit(&csv_summary).unwrap();
    rel(
        mbg.log_likelihood(&csv_summary).unwrap(),
        mbg.report().log_likelihood,
        1e-12,
        "MBG/NBD fitted",
    );
    let pn_fit = ParetoNbd::params().fit(&csv_summary).unwrap();
    rel(
        pn_fit.log_likelihood(&csv_summary).unwrap(),
        pn_fit.report().log_likelihood,
        1e-12,
        "Pareto/NBD fitted",
    );
    let gg_fit = GammaGamma::params().fit(&csv_summary).unwrap();
    rel(
        gg_fit.log_likelihood(&csv_summary).unwrap(),
        gg_fit.report().log_likelihood,
        1e-12,
        "Gamma-Gamma fitted",
    );
    let bb_fit = patronage::CustomerSummary::from_columns(&x, &tx, &n, None)
        .and_then(|s| BetaGeoBetaBinom::params().fit((&s, &(&w)[..])))
        .unwrap();
    rel(
        bb_fit.log_likelihood(&donors).unwrap(),
        bb_fit.report().log_likelihood,
        1e-10,
        "BG/BB fitted",
    );
    // One customer's log-likelihood sums to the total.
    let one: f64 = (0..exact.len())
        .map(|i| {
            bg.customer_log_likelihood(exact.frequency()[i], exact.recency()[i], exact.age()[i])
                .unwrap()
        })
        .sum();
    rel(
        one,
        bg.log_likelihood(&exact).unwrap(),
        1e-10,
        "sum of customers",
    );
    // A summary that is not discrete is BG/BB's error.
    let fractional = CustomerSummary::from_columns(&[2.0], &[1.5], &[6.0], None).unwrap();
    assert!(matches!(
        bb.log_likelihood(&fractional),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    let not_discrete = CustomerSummary::from_columns(&[2.0], &[1.0], &[6.0], None).unwrap();
    assert!(matches!(
        bb.log_likelihood(&not_discrete),
        Err(Error::InvalidValue {
            field: "frequency",
            ..
        })
    ));
}

#[test]
fn gamma_gamma_fits_where_rounding_stalls_the_line_search() {
    // Simulated spends on which the fit stopped with a gradient of 1e-7 to 8e-7 (the
    // mean log-likelihood's rounding hides any further decrease) and was reported as
    // not converged. The fit is a maximum: moving any parameter 0.1% either way does
    // not raise the log-likelihood beyond its rounding.
    for (n, seed, (p, q, v)) in [
        (3_000, 0, (2.0, 10.0, 5.0)),
        (500, 4, (10.0, 30.0, 2.0)),
        (500, 24, (10.0, 30.0, 2.0)),
        (3_000, 26, (3.0, 20.0, 50.0)),
    ] {
        let rows = Simulation::new(n)
            .seed(seed)
            .spend(p, q, v)
            .observation_end(Day(400))
            .transactions()
            .unwrap();
        let s = TransactionLog::new(&rows)
            .unwrap()
            .summarize(&SummaryParams::new(Day(400)).time_unit_days(7.0))
            .unwrap();
        let gg = GammaGamma::params()
            .fit(&s)
            .unwrap_or_else(|e| panic!("n {n} seed {seed}: {e}"));
        let ll = gg.log_likelihood(&s).unwrap();
        let base = [gg.p(), gg.q(), gg.v()];
        for k in 0..3 {
            for factor in [0.999, 1.001] {
                let mut moved = base;
                moved[k] *= factor;
                let other = GammaGamma::from_params(moved[0], moved[1], moved[2])
                    .unwrap()
                    .log_likelihood(&s)
                    .unwrap();
                assert!(
                    other <= ll + 1e-9 * ll.abs(),
                    "n {n} seed {seed}: {other} > {ll}"
                );
            }
        }
    }
}
