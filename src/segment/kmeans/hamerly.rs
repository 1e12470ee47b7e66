//! Hamerly's assignment pass: per-point bounds that skip points whose nearest
//! centroid provably cannot change.

use super::data::Data;
use super::distance::{dists_to_all, min_of, sq_dist, transpose};
use super::run::Pass;
use crate::kernels::{fmax, zip_chunks_mut};

/// The largest and second largest of non-negative values (0 for none).
fn top_two(v: &[f64]) -> (f64, f64) {
    let (mut top, mut second) = (0.0f64, 0.0f64);
    for &m in v {
        if m > top {
            second = top;
            top = m;
        } else if m > second {
            second = m;
        }
    }
    (top, second)
}

/// Half the distance from each centroid to its nearest other centroid, into
/// `half_nearest`.
#[inline]
pub(super) fn half_nearest_distances(
    centroids: &[f64],
    k: usize,
    d: usize,
    half_nearest: &mut [f64],
) {
    for a in 0..k {
        let ca = &centroids[a * d..(a + 1) * d];
        half_nearest[a] = (0..k)
            .filter(|&b| b != a)
            .map(|b| sq_dist(ca, &centroids[b * d..(b + 1) * d]))
            .fold(f64::INFINITY, f64::min)
            .sqrt()
            / 2.0;
    }
}

/// Loosens each point's bounds by how far the centroids moved: the upper bound grows
/// by its own centroid's move, the lower bound shrinks by the largest move of any
/// other centroid.
#[inline]
pub(super) fn update_bounds(moved: &[f64], labels: &[usize], bounds: &mut [[f64; 2]]) {
    let (m1, m2) = top_two(moved);
    let arg = moved.iter().position(|&m| m == m1).unwrap_or(0);
    for (b, &l) in bounds.iter_mut().zip(labels) {
        b[0] += moved[l];
        b[1] -= if l == arg { m2 } else { m1 };
    }
}

/// One Hamerly assignment pass (`use_bounds` false on the first, which sets the bounds).
pub(super) fn hamerly_pass(
    data: &Data,
    centroids: &[f64],
    k: usize,
    half_nearest: &[f64],
    use_bounds: bool,
    labels: &mut [usize],
    bounds: &mut [[f64; 2]],
) -> Vec<Pass> {
    let d = data.d;
    let transposed = transpose(centroids, k, d);
    let ct = &transposed;
    zip_chunks_mut(labels, 1, bounds, 1, |lo, lab, bnd| {
        let mut pass = Pass {
            sums: vec![0.0; k * d],
            counts: vec![0; k],
            changed: 0,
            finite: true,
            max_xx: 0.0,
        };
        let mut dists = vec![0.0; k];
        for (off, (label, b)) in lab.iter_mut().zip(bnd.iter_mut()).enumerate() {
            let x = data.row(lo + off);
            let old = *label;
            let mut skip = false;
            if use_bounds {
                let m = half_nearest[old].max(b[1]);
                if b[0] <= m {
                    skip = true;
                } else {
                    b[0] = sq_dist(x, &centroids[old * d..(old + 1) * d]).sqrt();
                    skip = b[0] <= m;
                }
            }
            if !use_bounds {
                pass.max_xx = fmax(pass.max_xx, x.iter().map(|v| v * v).sum());
            }
            if !skip {
                dists_to_all(x, ct, k, &mut dists);
                // Branch-free minimum, then its first index.
                let d1 = min_of(&dists);
                pass.finite &= d1.is_finite();
                let best = dists.iter().position(|&v| v == d1).unwrap_or(0);
                *label = best;
                b[0] = d1.sqrt();
                dists[best] = f64::INFINITY;
                b[1] = min_of(&dists).sqrt();
            }
            if *label != old {
                pass.changed += 1;
            }
            pass.counts[*label] += 1;
            for (s, v) in pass.sums[*label * d..(*label + 1) * d].iter_mut().zip(x) {
                *s += v;
            }
        }
        pass
    })
}
