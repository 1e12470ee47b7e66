//! CLV benches: BG/NBD on the CDNOW summary and on synthetic-1M summarized at day
//! resolution (in weeks), Pareto/NBD on the CDNOW summary, predictions for 1M customers,
//! Gamma-Gamma on synthetic-1M's repeat buyers.

use patronage::prelude::*;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::Horizon;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd, expected_purchases, probability_alive};
use patronage::simulate::Simulation;
use patronage::{CustomerSummary, Day, SummaryParams, TransactionLog};

fn cdnow() -> CustomerSummary {
    let text = std::fs::read_to_string("tests/data/cdnow_customers_summary_with_transactions.csv")
        .expect("test data");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    let col = |k: usize| -> Vec<f64> { rows.iter().map(|r| r[k]).collect() };
    CustomerSummary::from_columns(&col(1), &col(2), &col(3), Some(&col(4)))
        .and_then(|s| s.with_time_unit_days(7.0))
        .expect("valid")
}

fn clv(c: &mut Criterion) {
    let small = cdnow();
    let log = TransactionLog::new(&Simulation::synthetic_1m().transactions().expect("valid"))
        .expect("valid");
    let big = log
        .summarize(&SummaryParams::new(Day(728)).time_unit_days(7.0))
        .expect("valid");
    let model = BetaGeo::params().fit(&big).expect("fits");
    // Time unit one day: frequency and T are integer-valued floats.
    let days = log
        .summarize(&SummaryParams::new(Day(728)).time_unit_days(1.0))
        .expect("valid");
    let day_model = BetaGeo::params().fit(&days).expect("fits");
    let mut g = c.benchmark_group("clv");
    g.sample_size(10);
    g.bench_function("BG/NBD fit, CDNOW", |b| {
        b.iter(|| BetaGeo::params().fit(black_box(&small)))
    });
    g.bench_function("Pareto/NBD fit, CDNOW", |b| {
        b.iter(|| ParetoNbd::params().fit(black_box(&small)))
    });
    g.bench_function("BG/NBD fit, synthetic-1M (day resolution)", |b| {
        b.iter(|| BetaGeo::params().fit(black_box(&big)))
    });
    g.bench_function("conditional expected purchases, 1M", |b| {
        b.iter(|| expected_purchases(&model, black_box(&big), Horizon::weeks(52.0)).unwrap())
    });
    g.bench_function("conditional expected purchases, 1M, time unit 1 day", |b| {
        b.iter(|| expected_purchases(&day_model, black_box(&days), Horizon::days(365.0)))
    });
    g.bench_function("P(alive), 1M", |b| {
        b.iter(|| probability_alive(&model, black_box(&big)))
    });
    g.bench_function("Gamma-Gamma fit, synthetic-1M repeat buyers", |b| {
        b.iter(|| GammaGamma::params().fit(black_box(&big)))
    });
    g.finish();
}

/// sBG (contractual churn): the paper's one-cohort fit, 1M simulated subscribers one
/// row each (checked into renewal data, then fitted), and DERL.
fn sbg(c: &mut Criterion) {
    use patronage::clv::{RenewalData, ShiftedBetaGeometric};
    use rand::SeedableRng;
    use rand_distr::{Beta, Distribution};
    let cohort = [1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0];
    let data = RenewalData::from_survivors(&cohort).expect("valid");
    // 1M subscribers, churn probabilities Beta(0.704, 1.182), observed 1 to 24 periods.
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(19);
    let theta = Beta::new(0.704, 1.182).expect("valid");
    let (mut periods, mut churned) = (Vec::new(), Vec::new());
    for i in 0..1_000_000u32 {
        let p: f64 = theta.sample(&mut rng);
        let window = i % 24 + 1;
        let u: f64 = rand::Rng::random(&mut rng);
        // Periods to churn: geometric, by inversion.
        let t = (u.ln() / (1.0 - p).ln()).ceil().max(1.0);
        let gone = t <= f64::from(window);
        periods.push(if gone { t } else { f64::from(window) });
        churned.push(gone);
    }
    let model = ShiftedBetaGeometric::params().fit(&data).expect("fits");
    // The timed path is a real fit, near the truth.
    let big = RenewalData::from_customers(&periods, &churned).expect("valid");
    let recovered = ShiftedBetaGeometric::params().fit(&big).expect("fits");
    assert!((recovered.alpha() - 0.704).abs() < 0.05 && (recovered.beta() - 1.182).abs() < 0.1);
    let mut g = c.benchmark_group("sbg");
    g.sample_size(10);
    g.bench_function("sBG fit, one cohort of 8 periods", |b| {
        b.iter(|| ShiftedBetaGeometric::params().fit(black_box(&data)))
    });
    g.bench_function("sBG renewal data from 1M customers, and fit", |b| {
        b.iter(|| {
            let d = RenewalData::from_customers(black_box(&periods), black_box(&churned))?;
            ShiftedBetaGeometric::params().fit(&d)
        })
    });
    g.bench_function("sBG DERL, d = 0.1, 100 tenures", |b| {
        b.iter(|| {
            (0..100u32)
                .map(|n| model.discounted_expected_residual_lifetime(black_box(0.1), n))
                .sum::<patronage::Result<f64>>()
        })
    });
    g.finish();
}

/// Pareto/NBD with two covariates on 100k customers simulated from a covariate model,
/// recency and T at day resolution (in weeks), as a log gives them: with two
/// categorical covariates (channel, region: rows compress on (x, t_x, T, z)) and with
/// one categorical and one continuous covariate (every row distinct).
fn covariates(c: &mut Criterion) {
    use ndarray::Array2;
    use patronage::clv::covariates::{CovariateData, CovariateModel, Covariates};
    let n = 100_000;
    let categorical = Array2::from_shape_fn((n, 2), |(i, k)| {
        if k == 0 {
            (i % 5 < 2) as u8 as f64
        } else {
            ((i / 7) % 4) as f64 / 3.0
        }
    });
    let continuous = Array2::from_shape_fn((n, 2), |(i, k)| {
        if k == 0 {
            (i % 5 < 2) as u8 as f64
        } else {
            // A deterministic spread in [-1.7, 1.7].
            ((i as f64 * 0.618_033_988_75).fract() - 0.5) * 3.4
        }
    });
    let ages: Vec<f64> = (0..n)
        .map(|i| (182 + (i * 13) % 365) as f64 / 7.0)
        .collect();
    let summary_for = |z: &Array2<f64>| {
        let cov = Covariates::new(&["web", "region"], z.view()).expect("valid");
        let truth = CovariateModel::from_parts(
            ParetoNbd::from_params(0.9, 8.0, 0.7, 14.0).expect("valid"),
            &cov,
            &Covariates::none(n),
            &[0.5, -0.3],
            &[],
        )
        .expect("valid");
        let s = truth
            .simulate(&ages, &cov, &Covariates::none(n), 3)
            .expect("simulated");
        let day = |v: &[f64]| -> Vec<f64> { v.iter().map(|t| (t * 7.0).ceil() / 7.0).collect() };
        let tx: Vec<f64> = day(s.recency())
            .iter()
            .zip(s.age())
            .map(|(a, b)| a.min(*b))
            .collect();
        CustomerSummary::from_columns(s.frequency(), &tx, s.age(), None).expect("valid")
    };
    let (s_cat, s_cont) = (summary_for(&categorical), summary_for(&continuous));
    let mut g = c.benchmark_group("clv covariates");
    g.sample_size(10);
    for (name, s, z) in [
        (
            "Pareto/NBD fit, 2 categorical covariates, 100k",
            &s_cat,
            &categorical,
        ),
        (
            "Pareto/NBD fit, categorical + continuous covariate, 100k",
            &s_cont,
            &continuous,
        ),
    ] {
        let cov = Covariates::new(&["web", "region"], z.view()).expect("valid");
        let data = CovariateData::new(s).purchase(cov).expect("rows");
        g.bench_function(name, |b| {
            b.iter(|| ParetoNbd::params().fit(black_box(&data)).expect("fits"))
        });
    }
    g.finish();
}

criterion_group!(benches, clv);
criterion_group!(sbg_benches, sbg);
criterion_group!(covariate_benches, covariates);
criterion_main!(benches, sbg_benches, covariate_benches);
