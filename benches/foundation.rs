//! Foundation benches on the "synthetic-1M" workload (1,000,000 customers, about 3
//! million transactions): log construction from rows grouped by customer, in day order
//! and shuffled, summaries, RFM scoring, and the generator.
//!
//! Targets (issue 17): log + summary of the day-ordered rows under 100 ms with 2
//! threads; shuffled rows within 1.5x of grouped rows.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::rfm::RfmParams;
use patronage::simulate::{RowOrder, Simulation};
use patronage::{Day, SummaryParams, TransactionLog};

fn foundation(c: &mut Criterion) {
    let sim = Simulation::synthetic_1m();
    let rows = sim.transactions().expect("valid workload");
    let params = SummaryParams::new(Day(728)).time_unit_days(7.0);
    let log = TransactionLog::new(&rows).expect("valid rows");
    let summary = log.summarize(&params).expect("non-empty");

    let mut g = c.benchmark_group("synthetic-1M");
    g.sample_size(10);
    g.bench_function("TransactionLog::new", |b| {
        b.iter(|| TransactionLog::new(black_box(&rows)))
    });
    g.bench_function("new + summarize", |b| {
        b.iter(|| TransactionLog::new(black_box(&rows)).and_then(|log| log.summarize(&params)))
    });
    // The same rows in day order (how event logs and order tables are exported,
    // customers interleaved) and shuffled: interning then meets every customer's id in
    // many runs.
    let by_day = sim
        .clone()
        .row_order(RowOrder::ByDay)
        .transactions()
        .expect("valid");
    let shuffled = sim
        .clone()
        .row_order(RowOrder::Shuffled)
        .transactions()
        .expect("valid");
    g.bench_function("TransactionLog::new (day order)", |b| {
        b.iter(|| TransactionLog::new(black_box(&by_day)))
    });
    g.bench_function("new + summarize (day order)", |b| {
        b.iter(|| TransactionLog::new(black_box(&by_day)).and_then(|log| log.summarize(&params)))
    });
    g.bench_function("TransactionLog::new (shuffled)", |b| {
        b.iter(|| TransactionLog::new(black_box(&shuffled)))
    });
    g.bench_function("new + summarize (shuffled)", |b| {
        b.iter(|| TransactionLog::new(black_box(&shuffled)).and_then(|log| log.summarize(&params)))
    });
    // The same day-ordered rows as three columns (a table's or a columnar file's layout).
    let ids: Vec<u64> = by_day.iter().map(|t| t.customer).collect();
    let days: Vec<patronage::Day> = by_day.iter().map(|t| t.day).collect();
    let amounts: Vec<f64> = by_day.iter().map(|t| t.amount).collect();
    g.bench_function("TransactionLog::from_columns (day order)", |b| {
        b.iter(|| TransactionLog::from_columns(black_box(&ids), &days, &amounts))
    });
    drop((ids, days, amounts));
    let strings: Vec<_> = by_day
        .iter()
        .map(|t| patronage::Transaction {
            customer: format!("customer-{}", t.customer),
            day: t.day,
            amount: t.amount,
        })
        .collect();
    g.bench_function("TransactionLog::new (String ids, day order)", |b| {
        b.iter(|| TransactionLog::new(black_box(&strings)))
    });
    drop((by_day, shuffled, strings));
    g.bench_function("summarize (drop excluded)", |b| {
        b.iter_with_large_drop(|| log.summarize(black_box(&params)))
    });
    g.bench_function("summarize", |b| {
        b.iter(|| log.summarize(black_box(&params)))
    });
    let mut reused = summary.clone();
    g.bench_function("summarize_into (reused output)", |b| {
        b.iter(|| log.summarize_into(black_box(&params), &mut reused))
    });
    g.bench_function("rfm score", |b| {
        b.iter(|| RfmParams::default().score(black_box(&summary), Day(729)))
    });
    g.bench_function("quality_report", |b| {
        b.iter(|| black_box(&log).quality_report())
    });
    g.bench_function("simulate", |b| b.iter(|| black_box(&sim).transactions()));
    g.finish();
}

criterion_group!(benches, foundation);
criterion_main!(benches);
