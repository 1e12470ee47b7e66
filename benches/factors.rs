//! Factor-analysis benches: the correlation matrix of 100k customers x 30 variables
//! driven by five factors, maximum-likelihood extraction of five factors with varimax
//! from it, and regression scores for the 100k customers. One thread for the
//! extraction (its cost is the 30 x 30 eigen-decompositions).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use patronage::factors::{Correlation, FactorAnalysis, Rotation, ScoreMethod};
use patronage::prelude::*;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn data(n: usize, p: usize, k: usize) -> Array2<f64> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let factors =
        Array2::from_shape_simple_fn((n, k), || -> f64 { StandardNormal.sample(&mut rng) });
    Array2::from_shape_fn((n, p), |(i, j)| {
        let noise: f64 = StandardNormal.sample(&mut rng);
        0.8 * factors[[i, j % k]] + 0.3 * factors[[i, (j + 1) % k]] + 0.6 * noise
    })
}

fn factors(c: &mut Criterion) {
    let x = data(100_000, 30, 5);
    let corr = Correlation::from_data(x.view()).expect("valid");
    let params = FactorAnalysis::params(5).rotation(Rotation::Varimax);
    let fit = params.fit(&corr).expect("fits");
    let mut g = c.benchmark_group("factors");
    g.sample_size(10);
    g.bench_function("correlation, 100k x 30", |b| {
        b.iter(|| Correlation::from_data(black_box(x.view())).expect("valid"))
    });
    g.bench_function(
        "ML factor analysis, 30 variables, 5 factors, varimax",
        |b| b.iter(|| params.fit(black_box(&corr)).expect("fits")),
    );
    g.bench_function("regression scores, 100k x 30", |b| {
        b.iter(|| {
            fit.scores(black_box(x.view()), ScoreMethod::Regression)
                .expect("scores")
        })
    });
    g.finish();
}

criterion_group!(benches, factors);
criterion_main!(benches);
