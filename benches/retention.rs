//! Cross-sell and retention benches: "baskets-100k" (100,000 baskets over 1,000 items,
//! sizes 1 + Poisson(4), items drawn with weight 1/rank^1.1, plus 20 planted item
//! pairs each added to 2% of baskets, seeded) from order lines to rules; the cohort
//! matrix of synthetic-1M; Kaplan-Meier on 1M lifetimes.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::Period;
use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};
use patronage::cohort::retention;
use patronage::prelude::*;
use patronage::simulate::Simulation;
use patronage::survival::KaplanMeier;
use patronage::{Day, TransactionLog};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Poisson};
use rand_xoshiro::Xoshiro256PlusPlus;

fn baskets_100k() -> Vec<OrderLine<u32, u32>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let items = 1000;
    let weights: Vec<f64> = (1..=items).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
    let mut cumulative = Vec::with_capacity(items);
    let mut acc = 0.0;
    for w in &weights {
        acc += w;
        cumulative.push(acc);
    }
    let size = Poisson::new(4.0).expect("valid");
    let pairs: Vec<(u32, u32)> = (0..20).map(|k| (100 + 2 * k, 101 + 2 * k)).collect();
    let mut lines = Vec::new();
    for order in 0..100_000u32 {
        let n = 1 + size.sample(&mut rng) as usize;
        for _ in 0..n {
            let u = rng.random::<f64>() * acc;
            let item = cumulative.partition_point(|&c| c < u) as u32;
            lines.push(OrderLine { order, item });
        }
        for &(a, b) in &pairs {
            if rng.random::<f64>() < 0.02 {
                lines.push(OrderLine { order, item: a });
                lines.push(OrderLine { order, item: b });
            }
        }
    }
    lines
}

fn benches(c: &mut Criterion) {
    let lines = baskets_100k();
    let mut g = c.benchmark_group("retention");
    g.sample_size(10);
    g.bench_function(
        "baskets-100k: lines to rules (support 0.005, confidence 0.1)",
        |b| {
            b.iter(|| {
                let baskets = Baskets::new(black_box(&lines)).expect("lines");
                let sets = baskets
                    .frequent_itemsets(MinSupport::Fraction(0.005), None)
                    .expect("valid");
                baskets
                    .rules(&sets, Metric::Confidence, 0.1)
                    .expect("valid")
            })
        },
    );
    let log = TransactionLog::new(&Simulation::synthetic_1m().transactions().expect("valid"))
        .expect("valid");
    g.bench_function("synthetic-1M: monthly cohort matrix", |b| {
        b.iter(|| retention(black_box(&log), Period::Month))
    });
    let (_, durations, events) =
        patronage::survival::lifetimes(&log, Day(728), patronage::Horizon::days(180.0))
            .expect("valid");
    g.bench_function("Kaplan-Meier on 1M lifetimes", |b| {
        b.iter(|| KaplanMeier::params().fit((black_box(&durations), &events)))
    });
    g.finish();
}

criterion_group!(retention_benches, benches);
criterion_main!(retention_benches);
