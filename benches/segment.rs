//! k-means on "blobs-1M": 1,000,000 points in 8 dimensions, 16 Gaussian clusters with
//! centres ~ N(0, 2^2) per coordinate and unit noise, seeded.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array2, s};
use patronage::prelude::*;
use patronage::segment::quality::silhouette_sampled;
use patronage::segment::{Algorithm, Init, KMeans};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

fn blobs(n: usize, d: usize, k: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let centre = Normal::new(0.0, 2.0).expect("valid");
    let noise = Normal::new(0.0, 1.0).expect("valid");
    let centres: Vec<f64> = (0..k * d).map(|_| centre.sample(&mut rng)).collect();
    let mut x = Array2::zeros((n, d));
    for mut row in x.rows_mut() {
        let c = rng.random_range(0..k);
        for (j, v) in row.iter_mut().enumerate() {
            *v = centres[c * d + j] + noise.sample(&mut rng);
        }
    }
    x
}

fn kmeans(c: &mut Criterion) {
    let x = blobs(1_000_000, 8, 16, 42);
    let init = x.slice(s![0..16, ..]).to_owned();
    let mut g = c.benchmark_group("blobs-1M");
    g.sample_size(10);
    for iters in [1usize, 10] {
        g.bench_function(
            format!("Lloyd, {iters} iterations from given centroids"),
            |b| {
                let p = KMeans::params(16)
                    .init(Init::Given(init.clone()))
                    .max_iter(iters)
                    .tol(0.0)
                    .algorithm(Algorithm::Lloyd);
                b.iter(|| p.fit(black_box(x.view())))
            },
        );
    }
    g.bench_function("Hamerly, 10 iterations from given centroids", |b| {
        let p = KMeans::params(16)
            .init(Init::Given(init.clone()))
            .max_iter(10)
            .tol(0.0)
            .algorithm(Algorithm::Hamerly);
        b.iter(|| p.fit(black_box(x.view())))
    });
    g.bench_function("k-means++ init + 1 Lloyd iteration", |b| {
        let p = KMeans::params(16)
            .n_init(1)
            .max_iter(1)
            .algorithm(Algorithm::Lloyd)
            .seed(1);
        b.iter(|| p.fit(black_box(x.view())))
    });
    let labels = KMeans::params(16)
        .init(Init::Given(init.clone()))
        .max_iter(5)
        .fit(x.view())
        .expect("fits")
        .labels()
        .to_vec();
    g.bench_function("silhouette sampled on 10,000 points", |b| {
        b.iter(|| silhouette_sampled(black_box(x.view()), &labels, 10_000, 7))
    });
    g.finish();
}

criterion_group!(benches, kmeans);
criterion_main!(benches);
