//! k-means against scikit-learn 1.9 on iris (REFERENCE.md "k-means from given
//! centroids"), invariants, determinism across thread counts, and error paths.

use ndarray::{Array2, s};
use patronage::Error;
use patronage::prelude::*;
use patronage::segment::quality::{
    calinski_harabasz, davies_bouldin, silhouette, silhouette_sampled,
};
use patronage::segment::scale::{Standardizer, log1p_columns};
use patronage::segment::{Algorithm, FittedKMeans, Init, KMeans, profile_clusters};

fn iris() -> Array2<f64> {
    let text = std::fs::read_to_string("tests/data/iris.csv").unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').take(4).map(|v| v.parse().unwrap()).collect())
        .collect();
    Array2::from_shape_fn((rows.len(), 4), |(i, j)| rows[i][j])
}

fn sizes(labels: &[usize], k: usize) -> Vec<usize> {
    (0..k)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

#[test]
fn given_centroids_match_scikit_learn_lloyd() {
    let x = iris();
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
        let init = x.select(ndarray::Axis(0), &[0, 50, 100]);
        let m = KMeans::params(3)
            .init(Init::Given(init))
            .tol(0.0)
            .algorithm(algorithm)
            .fit(x.view())
            .unwrap();
        assert_eq!(m.iterations(), 4, "{algorithm:?}");
        assert!(close(m.inertia(), 78.85144143, 1e-9), "{}", m.inertia());
        assert_eq!(sizes(m.labels(), 3), vec![50, 62, 38]);
        let want = [
            [5.006, 3.428, 1.462, 0.246],
            [5.901613, 2.748387, 4.393548, 1.433871],
            [6.85, 3.073684, 5.742105, 2.071053],
        ];
        for (c, w) in want.iter().enumerate() {
            for (j, wj) in w.iter().enumerate() {
                assert!(
                    (m.centroids()[[c, j]] - wj).abs() < 5e-7,
                    "centroid {c},{j}"
                );
            }
        }

        let init = x.slice(s![0..3, ..]).to_owned();
        let m = KMeans::params(3)
            .init(Init::Given(init))
            .tol(0.0)
            .algorithm(algorithm)
            .fit(x.view())
            .unwrap();
        assert_eq!(m.iterations(), 12, "{algorithm:?}");
        assert!(close(m.inertia(), 78.85566583, 1e-9), "{}", m.inertia());
        assert_eq!(sizes(m.labels(), 3), vec![39, 61, 50]);
    }
}

#[test]
fn kmeans_plus_plus_restarts_reach_the_optimum() {
    let x = iris();
    let m = KMeans::params(3).n_init(10).seed(0).fit(x.view()).unwrap();
    assert!(close(m.inertia(), 78.8514, 1e-6), "{}", m.inertia());
    assert!(m.converged());
    // Labels are each point's nearest centroid at convergence.
    assert_eq!(m.predict(x.view()).unwrap(), m.labels());
    let dist = m.transform(x.view()).unwrap();
    let inertia: f64 = m
        .labels()
        .iter()
        .enumerate()
        .map(|(i, &l)| dist[[i, l]].powi(2))
        .sum();
    assert!(close(inertia, m.inertia(), 1e-12));
}

fn blobs(n: usize, seed: u64) -> Array2<f64> {
    // Deterministic pseudo-random blobs without a dependency on the generator used in
    // the crate: 6 centres on a grid, uniform noise.
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    Array2::from_shape_fn((n, 3), |(i, j)| {
        ((i % 6) * (j + 1)) as f64 * 3.0 + next() * 2.0
    })
}

#[test]
fn hamerly_equals_lloyd_and_threads_do_not_matter() {
    let x = blobs(20_000, 5);
    let lloyd = KMeans::params(6)
        .seed(3)
        .n_init(2)
        .algorithm(Algorithm::Lloyd)
        .fit(x.view())
        .unwrap();
    let hamerly = KMeans::params(6)
        .seed(3)
        .n_init(2)
        .algorithm(Algorithm::Hamerly)
        .fit(x.view())
        .unwrap();
    assert_eq!(lloyd.labels(), hamerly.labels());
    assert_eq!(lloyd.iterations(), hamerly.iterations());
    assert!(close(lloyd.inertia(), hamerly.inertia(), 1e-12));
    #[cfg(feature = "parallel")]
    {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let single = one.install(|| KMeans::params(6).seed(3).n_init(2).fit(x.view()).unwrap());
        let multi = KMeans::params(6).seed(3).n_init(2).fit(x.view()).unwrap();
        assert_eq!(single, multi);
    }
}

/// NaN and infinite values are caught on whichever pass reads the data first (the
/// variance, k-means++, a Lloyd or a Hamerly pass, or none with `max_iter(0)`), naming
/// the first bad row; huge but finite values, whose squares overflow, are accepted.
#[test]
fn non_finite_values_are_caught_on_every_first_pass() {
    let x = blobs(3_000, 11);
    let init = x.slice(s![0..4, ..]).to_owned();
    let fits: Vec<(&str, KMeans)> = vec![
        ("variance", KMeans::params(4).seed(1)),
        ("k-means++", KMeans::params(4).seed(1).tol(0.0)),
        ("random", KMeans::params(4).init(Init::Random).tol(0.0)),
        (
            "lloyd",
            KMeans::params(4)
                .init(Init::Given(init.clone()))
                .tol(0.0)
                .algorithm(Algorithm::Lloyd),
        ),
        (
            "hamerly",
            KMeans::params(4)
                .init(Init::Given(init.clone()))
                .tol(0.0)
                .algorithm(Algorithm::Hamerly),
        ),
        (
            "no pass",
            KMeans::params(4)
                .init(Init::Given(init.clone()))
                .tol(0.0)
                .max_iter(0),
        ),
    ];
    for bad_value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut bad = x.clone();
        bad[[2_500, 1]] = bad_value;
        bad[[2_900, 0]] = bad_value;
        for (name, fit) in &fits {
            match fit.fit(bad.view()) {
                Err(Error::NonFinite {
                    field: "x",
                    row: 2_500,
                    value,
                }) => {
                    assert!(value.is_nan() == bad_value.is_nan(), "{name}")
                }
                other => panic!("{name} with {bad_value}: {other:?}"),
            }
        }
    }
    let mut huge = x.clone();
    huge[[10, 0]] = 1e200;
    for (name, fit) in &fits {
        match fit.fit(huge.view()) {
            // Without an iteration the point at 1e200 stays with a centroid near 0: its
            // squared distance, 1e400, makes the inertia unrepresentable (issue 15).
            Err(Error::InvalidValue {
                field: "x",
                row: 10,
                ..
            }) if *name == "no pass" => {}
            r => assert!(r.is_ok(), "{name}: finite values are valid: {r:?}"),
        }
    }
}

#[test]
fn inertia_never_rises_between_iterations() {
    let x = blobs(3_000, 9);
    let init = x.slice(s![0..5, ..]).to_owned();
    let mut last = f64::INFINITY;
    for iters in 1..15 {
        let m = KMeans::params(5)
            .init(Init::Given(init.clone()))
            .max_iter(iters)
            .tol(0.0)
            .fit(x.view())
            .unwrap();
        assert!(
            m.inertia() <= last + 1e-9 * last.min(1e300),
            "iteration {iters}: {} > {last}",
            m.inertia()
        );
        last = m.inertia();
    }
}

#[test]
fn degenerate_but_valid_inputs() {
    let same = Array2::from_elem((10, 2), 3.0);
    let m = KMeans::params(1).fit(same.view()).unwrap();
    assert_eq!(m.inertia(), 0.0);
    let x = blobs(12, 1);
    let m = KMeans::params(12).fit(x.view()).unwrap();
    assert!(m.inertia() < 1e-20);
    assert_eq!(sizes(m.labels(), 12), vec![1; 12]);
    // An initial centroid far from all data starts empty and is re-seeded.
    let init = ndarray::array![[0.0, 0.0, 0.0], [1e6, 1e6, 1e6]];
    let m = KMeans::params(2)
        .init(Init::Given(init))
        .fit(blobs(200, 2).view())
        .unwrap();
    assert!(m.centroids().iter().all(|v| v.is_finite() && *v < 100.0));
    assert!(sizes(m.labels(), 2).iter().all(|&s| s > 0));
}

#[test]
fn quality_metrics_agree_with_hand_values() {
    let x = ndarray::array![[0.0, 0.0], [0.0, 2.0], [4.0, 0.0], [4.0, 2.0]];
    let labels = [0, 0, 1, 1];
    // Point 0: a = 2, b = (4 + sqrt 20) / 2.
    let b = (4.0 + 20f64.sqrt()) / 2.0;
    assert!((silhouette(x.view(), &labels).unwrap() - (b - 2.0) / b).abs() < 1e-12);
    // s = 1 per cluster, centroid distance 4: DB = 0.5.
    assert!((davies_bouldin(x.view(), &labels).unwrap() - 0.5).abs() < 1e-12);
    // B = 4 * 4 = 16, W = 4; CH = (16 / 1) / (4 / 2) = 8.
    assert!((calinski_harabasz(x.view(), &labels).unwrap() - 8.0).abs() < 1e-12);
    assert_eq!(
        silhouette_sampled(x.view(), &labels, 100, 1).unwrap(),
        silhouette(x.view(), &labels).unwrap()
    );
    let iris = iris();
    let m = KMeans::params(3).seed(1).fit(iris.view()).unwrap();
    // scikit-learn: silhouette 0.5528 for the k = 3 optimum on raw iris.
    assert!((silhouette(iris.view(), m.labels()).unwrap() - 0.5528).abs() < 1e-3);
    let p = profile_clusters(iris.view(), m.labels()).unwrap();
    assert_eq!(p.iter().map(|c| c.size).sum::<usize>(), 150);
}

#[test]
fn scaling_round_trips() {
    let x = iris();
    let s = Standardizer::params().fit(x.view()).unwrap();
    let z = s.transform(x.view()).unwrap();
    for c in z.columns() {
        assert!(c.mean().unwrap().abs() < 1e-12);
        assert!((c.std(0.0) - 1.0).abs() < 1e-12);
    }
    let back = s.inverse_transform(z.view()).unwrap();
    assert!(
        back.iter()
            .zip(x.iter())
            .all(|(a, b)| (a - b).abs() < 1e-12)
    );
    let logged = log1p_columns(x.view(), &[0, 3]).unwrap();
    assert!((logged[[0, 0]] - 6.1f64.ln()).abs() < 1e-12);
}

#[test]
fn error_paths() {
    let x = iris();
    let empty = Array2::<f64>::zeros((0, 4));
    assert!(matches!(
        KMeans::params(3).fit(empty.view()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        KMeans::params(3).fit(Array2::<f64>::zeros((5, 0)).view()),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        KMeans::params(0).fit(x.view()),
        Err(Error::InvalidParameter { name: "k", .. })
    ));
    assert!(matches!(
        KMeans::params(3).n_init(0).fit(x.view()),
        Err(Error::InvalidParameter { name: "n_init", .. })
    ));
    assert!(matches!(
        KMeans::params(3).tol(f64::NAN).fit(x.view()),
        Err(Error::InvalidParameter { name: "tol", .. })
    ));
    let same = Array2::from_elem((10, 2), 3.0);
    assert!(matches!(
        KMeans::params(2).fit(same.view()),
        Err(Error::InvalidParameter { name: "k", .. })
    ));
    let mut bad = x.clone();
    bad[[7, 2]] = f64::NAN;
    let before = bad.clone();
    assert!(matches!(
        KMeans::params(3).fit(bad.view()),
        Err(Error::NonFinite {
            field: "x",
            row: 7,
            ..
        })
    ));
    assert!(
        bad.iter()
            .zip(before.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "input untouched"
    );
    let wrong = Array2::<f64>::zeros((2, 4));
    assert!(matches!(
        KMeans::params(3).init(Init::Given(wrong)).fit(x.view()),
        Err(Error::InvalidParameter { name: "init", .. })
    ));
    let m = KMeans::params(3).fit(x.view()).unwrap();
    assert!(matches!(
        m.predict(Array2::<f64>::zeros((2, 3)).view()),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        silhouette(x.view(), &[0; 150]),
        Err(Error::InsufficientData { .. })
    ));
    assert!(matches!(
        silhouette(x.view(), &[0; 3]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        Standardizer::params().fit(empty.view()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        log1p_columns(x.view(), &[9]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        log1p_columns((-x.clone()).view(), &[0]),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        patronage::segment::quality::choose_k(x.view(), 1..=3, &KMeans::params(2), 100),
        Err(Error::InvalidParameter { .. })
    ));
}

/// Lloyd and Hamerly fits from the same centroids for exactly `iters` iterations.
fn lloyd_and_hamerly(
    x: &Array2<f64>,
    init: &Array2<f64>,
    iters: usize,
) -> (FittedKMeans, FittedKMeans) {
    let fit = |algorithm| {
        KMeans::params(init.nrows())
            .init(Init::Given(init.clone()))
            .max_iter(iters)
            .tol(0.0)
            .algorithm(algorithm)
            .fit(x.view())
            .unwrap()
    };
    (fit(Algorithm::Lloyd), fit(Algorithm::Hamerly))
}

#[test]
fn fast_assignment_matches_exact_distances_on_hard_inputs() {
    // A large offset makes |x|^2 - 2 x.c + |c|^2 cancel badly; Hamerly uses the direct
    // distances, so the two must still agree on every label, for 1 to 6 iterations
    // (each a different closing E-step).
    let mut x = blobs(6_000, 11);
    x.mapv_inplace(|v| v + 1e7);
    let init = x.slice(s![0..6, ..]).to_owned();
    for iters in 1..=6 {
        let (lloyd, hamerly) = lloyd_and_hamerly(&x, &init, iters);
        assert_eq!(lloyd.labels(), hamerly.labels(), "{iters} iterations");
        assert!(close(lloyd.inertia(), hamerly.inertia(), 1e-12));
    }
    // Exact ties go to the first centroid, as with the direct distances.
    let x = ndarray::array![[0.0, 0.0], [2.0, 0.0], [-2.0, 0.0], [0.0, 1.0]];
    let init = ndarray::array![[1.0, 0.0], [-1.0, 0.0]];
    let m = KMeans::params(2)
        .init(Init::Given(init))
        .max_iter(1)
        .algorithm(Algorithm::Lloyd)
        .fit(x.view())
        .unwrap();
    assert_eq!(m.iterations(), 1);
    // First pass: (0,0) and (0,1) tie and go to 0; then centroids (2/3, 1/3), (-2, 0).
    assert_eq!(m.labels(), &[0, 0, 1, 0]);
}

#[test]
fn near_ties_get_the_exact_nearest_centroid() {
    // Points within 1e-9 of the bisector of two clusters: the single-precision first
    // tier cannot separate them and must hand them on. After a non-strict stop every
    // label is the nearest final centroid by the direct distances (first on ties).
    let mut pts = Vec::new();
    for j in -400i32..400 {
        pts.extend_from_slice(&[0.5 + f64::from(j) * 1e-9, 0.3, -0.2]);
        pts.extend_from_slice(&[f64::from(j % 7) * 0.01, 0.3 + f64::from(j) * 1e-3, 0.0]);
        pts.extend_from_slice(&[1.0 - f64::from(j % 5) * 0.01, 0.3, f64::from(j) * 1e-3]);
    }
    let x = Array2::from_shape_vec((pts.len() / 3, 3), pts).unwrap();
    let init = ndarray::array![[0.0, 0.3, -0.2], [1.0, 0.3, -0.2], [0.5, 5.0, 0.0]];
    for iters in 1..=4 {
        let (lloyd, hamerly) = lloyd_and_hamerly(&x, &init, iters);
        assert_eq!(lloyd.labels(), hamerly.labels(), "{iters} iterations");
        let c = lloyd.centroids();
        for (i, r) in x.rows().into_iter().enumerate() {
            let d: Vec<f64> = c
                .rows()
                .into_iter()
                .map(|cr| r.iter().zip(cr).map(|(a, b)| (a - b) * (a - b)).sum())
                .collect();
            let best = (0..3).fold(0, |b, t| if d[t] < d[b] { t } else { b });
            assert_eq!(lloyd.labels()[i], best, "row {i}, {iters} iterations");
        }
    }
}

#[test]
fn silhouette_matches_direct_pairs_and_ignores_threads() {
    let x = blobs(700, 4);
    let labels: Vec<usize> = (0..700).map(|i| (i * 7 + i / 3) % 5).collect();
    let dist = |i: usize, j: usize| -> f64 {
        (0..3)
            .map(|c| (x[[i, c]] - x[[j, c]]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let size = |c: usize| labels.iter().filter(|&&l| l == c).count();
    let direct: f64 = (0..700)
        .map(|i| {
            let mut sums = [0.0; 5];
            for j in 0..700 {
                sums[labels[j]] += dist(i, j);
            }
            let own = labels[i];
            let a = sums[own] / (size(own) - 1) as f64;
            let b = (0..5)
                .filter(|&c| c != own)
                .map(|c| sums[c] / size(c) as f64)
                .fold(f64::INFINITY, f64::min);
            (b - a) / a.max(b)
        })
        .sum::<f64>()
        / 700.0;
    let fast = silhouette(x.view(), &labels).unwrap();
    assert!(close(fast, direct, 1e-12), "{fast} vs {direct}");
    #[cfg(feature = "parallel")]
    {
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(
            one.install(|| silhouette(x.view(), &labels).unwrap())
                .to_bits(),
            fast.to_bits()
        );
    }
}
