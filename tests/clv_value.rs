//! CLV diagnostics on the CDNOW sample: calibration vs holdout table, model fit table,
//! tracking curve; their error paths.

mod common;

use patronage::clv::diagnostics::{calibration_holdout_table, model_fit_table, tracking};
use patronage::clv::{BetaGeo, expected_purchases};
use patronage::prelude::*;
use patronage::{Day, Error, SummaryParams, TransactionLog};

fn cdnow_log() -> TransactionLog<u32> {
    let rows = common::cdnow_rows();
    TransactionLog::new(&rows).unwrap()
}

#[test]
fn diagnostics_on_cdnow() {
    let log = cdnow_log();
    let params = SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()).time_unit_days(7.0);
    let split = log
        .calibration_holdout(&params, Day::from_ymd(1998, 6, 30).unwrap())
        .unwrap();
    let cal = &split.calibration;
    let bg = BetaGeo::params().fit(cal).unwrap();

    // Calibration vs holdout: buckets partition the customers, their means add up to the
    // holdout totals, and the model tracks the holdout (BG/NBD under-predicts the CDNOW holdout by about 12%).
    let table = calibration_holdout_table(&bg, &split, 7).unwrap();
    assert_eq!(table.iter().map(|r| r.customers).sum::<usize>(), 2357);
    assert_eq!(table[0].frequency, 0);
    assert_eq!(table[0].customers, 1411);
    assert!(table.last().unwrap().open_ended);
    let actual: f64 = table.iter().map(|r| r.actual * r.customers as f64).sum();
    let expected: f64 = table.iter().map(|r| r.expected * r.customers as f64).sum();
    let holdout: f64 = split.frequency_holdout.iter().sum();
    assert!((actual - holdout).abs() < 1e-6);
    let e_all: f64 = expected_purchases(&bg, cal, split.duration_holdout)
        .unwrap()
        .iter()
        .sum();
    assert!((expected - e_all).abs() < 1e-6);
    assert!(
        (expected - holdout).abs() < 0.15 * holdout, // 1653 vs 1882 distinct purchase days
        "{expected} vs {holdout}"
    );
    for r in &table {
        assert!(
            (r.expected - r.actual).abs() < 0.6 + 0.3 * r.actual,
            "{r:?}"
        );
    }
    // Frequency-0 customers: expected holdout purchases per FHL 2005 about 0.23 per customer.
    assert!(
        table[0].expected > 0.15 && table[0].expected < 0.3,
        "{:?}",
        table[0]
    );

    // Model fit table: expectations sum to the number of customers; zero repeats close to the
    // observed 1411 (the paper's histogram).
    let fit = model_fit_table(|t, n| bg.probability_of_n_purchases(t, n), cal, 7).unwrap();
    let total: f64 = fit.iter().map(|r| r.expected).sum();
    assert!((total - 2357.0).abs() < 1e-6, "{total}");
    assert_eq!(fit.iter().map(|r| r.observed).sum::<usize>(), 2357);
    assert_eq!(fit[0].observed, 1411);
    assert!((fit[0].expected - 1411.0).abs() < 40.0, "{:?}", fit[0]);
    for r in &fit {
        assert!(
            (r.expected - r.observed as f64).abs() < 40.0 + 0.25 * r.observed as f64,
            "{r:?}"
        );
    }

    // Tracking: 78 weekly periods from 1997-01-01; at week 39 the cumulative actual equals the
    // calibration repeat purchases, and the model's 78-week total is within 5% of the actual.
    let track = tracking(&bg, &log, Day::from_ymd(1997, 1, 1).unwrap(), 7, 78, 7.0).unwrap();
    assert_eq!(track.actual.len(), 78);
    assert!(track.actual.windows(2).all(|w| w[0] <= w[1]));
    assert!(track.expected.windows(2).all(|w| w[0] <= w[1]));
    let cal_repeats: f64 = cal.frequency().iter().sum();
    // Week 39 ends 1997-10-01 (exclusive), i.e. the calibration end 1997-09-30 inclusive.
    assert_eq!(track.period_end[38], Day::from_ymd(1997, 10, 1).unwrap());
    assert_eq!(track.actual[38], cal_repeats);
    let (a, e) = (track.actual[77], track.expected[77]);
    assert!((a - e).abs() < 0.05 * a, "{a} vs {e}");
}

#[test]
fn diagnostics_error_paths() {
    let log = cdnow_log();
    let params = SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()).time_unit_days(7.0);
    let split = log
        .calibration_holdout(&params, Day::from_ymd(1998, 6, 30).unwrap())
        .unwrap();
    let bg = BetaGeo::from_params(0.25, 4.0, 0.8, 2.5).unwrap();
    assert!(matches!(
        calibration_holdout_table(&bg, &split, 0),
        Err(Error::InvalidParameter {
            name: "max_frequency",
            ..
        })
    ));
    let mut short = split.clone();
    short.frequency_holdout.pop();
    assert!(matches!(
        calibration_holdout_table(&bg, &short, 5),
        Err(Error::LengthMismatch {
            field: "frequency_holdout",
            ..
        })
    ));
    assert!(matches!(
        model_fit_table(
            |t, n| bg.probability_of_n_purchases(t, n),
            &split.calibration,
            0
        ),
        Err(Error::InvalidParameter {
            name: "max_repeats",
            ..
        })
    ));
    let origin = Day::from_ymd(1997, 1, 1).unwrap();
    assert!(matches!(
        tracking(&bg, &log, origin, 0, 10, 7.0),
        Err(Error::InvalidParameter {
            name: "period_days",
            ..
        })
    ));
    assert!(matches!(
        tracking(&bg, &log, origin, 7, 0, 7.0),
        Err(Error::InvalidParameter {
            name: "n_periods",
            ..
        })
    ));
    assert!(matches!(
        tracking(&bg, &log, origin, 7, 10, f64::NAN),
        Err(Error::InvalidParameter {
            name: "time_unit_days",
            ..
        })
    ));
}

#[test]
fn bgbb_probability_of_n_transactions_is_a_distribution_with_the_papers_mean() {
    // REFERENCE.md: the BG/BB parameters on donations; a new donor's expected transactions in
    // the first 10 periods is 3.179805 (the mean of P(X(10) = x)).
    let m = patronage::clv::BetaGeoBetaBinom::from_params(1.203522, 0.749716, 0.656718, 2.783442)
        .unwrap();
    for n in [1u32, 6, 10, 30] {
        let p: Vec<f64> = (0..=n)
            .map(|x| m.probability_of_n_transactions(n, x).unwrap())
            .collect();
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        let total: f64 = p.iter().sum();
        assert!((total - 1.0).abs() < 1e-10, "n = {n}: {total}");
        let mean: f64 = p.iter().enumerate().map(|(x, v)| x as f64 * v).sum();
        assert!(
            (mean - m.expected_purchases_new_customer(n as f64).unwrap()).abs() < 1e-9,
            "n = {n}"
        );
    }
    let mean10: f64 = (0..=10u32)
        .map(|x| f64::from(x) * m.probability_of_n_transactions(10, x).unwrap())
        .sum();
    assert!((mean10 - 3.179805).abs() < 1e-4, "{mean10}");
    assert_eq!(m.probability_of_n_transactions(3, 4).unwrap(), 0.0);
}

#[test]
fn valuation_margin_scales_value_and_is_validated() {
    use patronage::clv::GammaGamma;
    use patronage::clv::value::{Valuation, lifetime_value};
    let log = cdnow_log();
    let weekly = log
        .summarize(&SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()).time_unit_days(7.0))
        .unwrap();
    let bg = BetaGeo::params().fit(&weekly).unwrap();
    let gg = GammaGamma::params().fit(&weekly).unwrap();
    let revenue = lifetime_value(&bg, &gg, &weekly, 12, 0.01).unwrap();
    let profit = Valuation::monthly(12, 0.01)
        .margin(0.25)
        .value(&bg, &gg, &weekly)
        .unwrap();
    for (r, p) in revenue.iter().zip(&profit) {
        assert!((p - 0.25 * r).abs() <= 1e-12 * r.abs().max(1.0));
    }
    // The per-(x, T) cache changes nothing: the value equals the per-customer formula.
    use patronage::clv::PurchaseModel;
    let s = gg
        .conditional_expected_spend(weekly.frequency()[0], weekly.monetary_value()[0])
        .unwrap();
    let mut direct = 0.0;
    let mut prev = 0.0;
    for i in 1..=12 {
        let e = bg
            .conditional_expected_purchases(
                patronage::Horizon::DAYS_PER_MONTH / 7.0 * i as f64,
                weekly.frequency()[0],
                weekly.recency()[0],
                weekly.age()[0],
            )
            .unwrap();
        direct += s * (e - prev) / 1.01f64.powi(i);
        prev = e;
    }
    assert!(
        (revenue[0] - direct).abs() < 1e-10 * direct.max(1.0),
        "{} vs {direct}",
        revenue[0]
    );
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Valuation::monthly(12, 0.01)
                .margin(bad)
                .value(&bg, &gg, &weekly),
            Err(Error::InvalidParameter { name: "margin", .. })
        ));
    }
    assert!(matches!(
        Valuation::continuous(patronage::Horizon::weeks(52.0), 0.01, 0).value(&bg, &gg, &weekly),
        Err(Error::InvalidParameter { name: "steps", .. })
    ));
}
