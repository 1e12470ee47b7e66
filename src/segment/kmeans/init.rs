//! Initial centroids: greedy k-means++ and `k` distinct random rows.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::data::Data;
use super::distance::{dists_to_all, fmin, sq_dist, transpose};
use crate::kernels::{CHUNK, map_chunks_mut, sample_indices};
use crate::math::simd::vectorized;

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`).
///
/// Each step is one pass over the data: it folds the previously chosen centroid into
/// every point's closest squared distance and, while the point is in cache, sums
/// `min(closest, d(candidate))` for every candidate, per fixed chunk. The chunk sums of
/// the chosen candidate are the next step's sampling weights: a draw picks its chunk
/// from their running sum, then its point from the running sum inside that chunk
/// (recomputed, 4096 points). The same draw as scikit-learn's search in the running sum
/// over all points, up to rounding at chunk boundaries; identical for any thread count.
///
/// Also returns whether the first pass's potential was finite (it is not when a value
/// is NaN or infinite).
pub(super) fn kmeans_plus_plus(
    data: &Data,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> (Vec<f64>, bool) {
    let (n, d) = (data.n, data.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centroids = Vec::with_capacity(k * d);
    let first = rng.random_range(0..n);
    centroids.extend_from_slice(data.row(first));
    // Squared distance to the nearest chosen centroid, except `pending` (the latest),
    // which the next pass folds in.
    let mut closest = vec![0.0; n];
    let mut chunk_pot: Vec<f64> = map_chunks_mut(&mut closest, |lo, cl| {
        let mut acc = 0.0;
        for (off, c) in cl.iter_mut().enumerate() {
            *c = sq_dist(data.row(lo + off), &centroids[..d]);
            acc += *c;
        }
        acc
    });
    let finite = chunk_pot.iter().sum::<f64>().is_finite();
    let mut pending = first;
    let mut cumulative = vec![0.0; chunk_pot.len()];
    let mut cand = vec![0.0; (trials + 1) * d];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, &v) in cumulative.iter_mut().zip(&chunk_pot) {
            acc += v;
            *c = acc;
        }
        let potential = acc;
        let p = data.row(pending);
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                let chunk = cumulative
                    .partition_point(|&c| c < target)
                    .min(cumulative.len() - 1);
                let lo = chunk * CHUNK;
                let hi = (lo + CHUNK).min(n);
                let mut acc = if chunk == 0 {
                    0.0
                } else {
                    cumulative[chunk - 1]
                };
                for (i, &c) in closest.iter().enumerate().take(hi).skip(lo) {
                    acc += fmin(c, sq_dist(data.row(i), p));
                    if acc >= target {
                        return i;
                    }
                }
                hi - 1
            })
            .collect();
        // Column 0: the pending centroid; then the candidates.
        cand[..d].copy_from_slice(p);
        for (t, &c) in candidates.iter().enumerate() {
            cand[(t + 1) * d..(t + 2) * d].copy_from_slice(data.row(c));
        }
        let cand_t = transpose(&cand, trials + 1, d);
        let ct = &cand_t;
        let partial: Vec<Vec<f64>> = map_chunks_mut(&mut closest, |lo, cl| {
            vectorized(
                #[inline(always)]
                || {
                    let mut pot = vec![0.0; trials];
                    let mut dists = vec![0.0; trials + 1];
                    for (off, c) in cl.iter_mut().enumerate() {
                        dists_to_all(data.row(lo + off), ct, trials + 1, &mut dists);
                        let near = fmin(*c, dists[0]);
                        *c = near;
                        for (p, &dist) in pot.iter_mut().zip(&dists[1..]) {
                            *p += fmin(dist, near);
                        }
                    }
                    pot
                },
            )
        });
        let pots: Vec<f64> = (0..trials)
            .map(|t| partial.iter().fold(0.0, |s, p| s + p[t]))
            .collect();
        let best = argmin(&pots);
        pending = candidates[best];
        for (cp, p) in chunk_pot.iter_mut().zip(&partial) {
            *cp = p[best];
        }
        centroids.extend_from_slice(data.row(pending));
    }
    (centroids, finite)
}

pub(super) fn random_rows(data: &Data, k: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    sample_indices(data.n, k, rng)
        .iter()
        .flat_map(|&i| data.row(i).iter().copied())
        .collect()
}

/// Index of the smallest value (the first on ties).
fn argmin(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x < v[best] {
            best = i;
        }
    }
    best
}
