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

criterion_group!(benches, clv);
criterion_main!(benches);
