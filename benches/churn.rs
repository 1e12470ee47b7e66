//! Churn model benches on "logit-1M": 1,000,000 rows x 20 standard normal features,
//! true coefficients evenly spaced from -1 to 1, intercept -0.5, labels drawn from the
//! model, seeded.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use patronage::churn::LogisticRegression;
use patronage::churn::metrics::roc_auc;
use patronage::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

fn logit_1m() -> (Array2<f64>, Vec<bool>) {
    let (n, p) = (1_000_000, 20);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let beta: Vec<f64> = (0..p)
        .map(|j| -1.0 + 2.0 * j as f64 / (p - 1) as f64)
        .collect();
    let x = Array2::from_shape_fn((n, p), |_| StandardNormal.sample(&mut rng));
    let y = x
        .rows()
        .into_iter()
        .map(|r| {
            let z = -0.5 + r.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>();
            rng.random::<f64>() < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    (x, y)
}

fn churn(c: &mut Criterion) {
    let (x, y) = logit_1m();
    // scikit-learn's C = 1 on n rows.
    let penalty = 1.0 / (2.0 * y.len() as f64);
    let model = LogisticRegression::params()
        .penalty(penalty)
        .fit((x.view(), &y))
        .expect("fits");
    let scores = model.predict_proba(x.view()).expect("valid").to_vec();
    let labels = &y;
    let mut g = c.benchmark_group("logit-1M");
    g.sample_size(10);
    g.bench_function("fit, C = 1", |b| {
        b.iter(|| {
            LogisticRegression::params()
                .penalty(penalty)
                .fit((black_box(x.view()), &y))
        })
    });
    g.bench_function("predict_proba", |b| {
        b.iter(|| model.predict_proba(black_box(x.view())))
    });
    g.bench_function("roc_auc", |b| {
        b.iter(|| roc_auc(black_box(labels), &scores))
    });
    g.finish();
}

criterion_group!(benches, churn);
criterion_main!(benches);
