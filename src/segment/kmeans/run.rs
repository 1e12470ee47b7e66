//! One k-means run from given centroids: the iterations (Lloyd's or Hamerly's
//! assignment pass, then the centroid update), empty-cluster re-seeding, and the
//! closing E-step.

use ndarray::{Array2, ArrayView2};

use super::FittedKMeans;
use super::assign::Assigner;
use super::data::{Data, SafeScale};
use super::distance::sq_dist;
use super::hamerly::{half_nearest_distances, hamerly_pass, update_bounds};
use super::lloyd::lloyd_pass;
use crate::error::Result;
use crate::kernels::{check_finite, fmax, map_chunks_mut};
use crate::math::simd::vectorized;

/// Per-chunk results of an assignment pass.
pub(super) struct Pass {
    pub(super) sums: Vec<f64>,
    pub(super) counts: Vec<usize>,
    pub(super) changed: usize,
    /// Whether every point's distances were finite (false when a value is NaN or
    /// infinite, or a distance overflows).
    pub(super) finite: bool,
    /// The largest |x|^2 of the chunk's points (first pass only; 0 otherwise).
    pub(super) max_xx: f64,
}

/// One k-means run from the given centroids; `None` when `guard` finds the data's
/// scale unsafe on the first pass.
// The run's settings are independent values; a struct for them would only rename them.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_kmeans(
    data: &Data,
    mut centroids: Vec<f64>,
    k: usize,
    max_iter: usize,
    tol: f64,
    hamerly: bool,
    check: Option<&ArrayView2<f64>>,
    guard: Option<SafeScale>,
) -> Result<Option<FittedKMeans>> {
    let (n, d) = (data.n, data.d);
    // Without a pass, nothing has read the data yet.
    if max_iter == 0
        && let Some(x) = check
    {
        check_finite(x)?;
    }
    let mut labels = vec![usize::MAX; n];
    // Hamerly bounds per point: [upper, lower] (none for Lloyd).
    let mut bounds = vec![[0.0f64, 0.0f64]; if hamerly { n } else { 0 }];
    let mut first = true;
    let mut iterations = 0;
    let mut strict = false;
    let mut half_nearest = vec![0.0; k];
    let mut moved = vec![0.0; k];
    for it in 0..max_iter {
        iterations = it + 1;
        let passes = if hamerly {
            half_nearest_distances(&centroids, k, d, &mut half_nearest);
            hamerly_pass(
                data,
                &centroids,
                k,
                &half_nearest,
                !first,
                &mut labels,
                &mut bounds,
            )
        } else {
            lloyd_pass(data, &centroids, k, &mut labels)
        };
        first = false;
        if it == 0 && !first_pass_safe(&passes, check, guard)? {
            return Ok(None);
        }
        let (changed, shift_total) = reduce_and_update_centroids(
            data,
            &passes,
            &mut centroids,
            &mut labels,
            &mut bounds,
            &mut moved,
        );
        if changed == 0 {
            strict = true;
            break;
        }
        if shift_total <= tol {
            break;
        }
        if hamerly {
            update_bounds(&moved, &labels, &mut bounds);
        }
    }
    // Inertia against the final centroids; after a non-strict stop, the labels are
    // first recomputed against them (scikit-learn's closing E-step), in the same pass.
    let assigner = Assigner::new(&centroids, k, d);
    let asg = &assigner;
    let inertia: f64 = map_chunks_mut(&mut labels, |lo, lab| {
        vectorized(
            #[inline(always)]
            || closing_chunk(data, asg, lo, lab, !strict),
        )
    })
    .iter()
    .sum();
    Ok(Some(FittedKMeans {
        centroids: Array2::from_shape_vec((k, d), centroids)
            .unwrap_or_else(|_| Array2::zeros((k, d))),
        labels,
        inertia,
        iterations,
        converged: strict || iterations < max_iter,
    }))
}

/// The checks on the first pass's results: an unchecked run's first pass reads every
/// value (see `fit`), so a non-finite distance means checking the data (an error for a
/// NaN or infinite value); and it read every point's |x|^2, so with a `guard`, data
/// too large or too small for safe squared distances give `false` (the caller refits
/// rescaled, see `KMeans`'s `fit`).
#[inline]
fn first_pass_safe(
    passes: &[Pass],
    check: Option<&ArrayView2<f64>>,
    guard: Option<SafeScale>,
) -> Result<bool> {
    if let Some(x) = check
        && !passes.iter().all(|p| p.finite)
    {
        check_finite(x)?;
    }
    if let Some(safe) = guard {
        let max_xx = passes.iter().fold(0.0f64, |m, p| fmax(m, p.max_xx));
        let finite = passes.iter().all(|p| p.finite);
        if !(finite && safe.holds_squared(max_xx)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Sums the chunks' passes, re-seeds empty clusters, and moves each centroid to its
/// points' mean, recording in `moved` how far each moved. Returns the number of points
/// whose label changed and the sum of the centroids' squared shifts.
#[inline]
fn reduce_and_update_centroids(
    data: &Data,
    passes: &[Pass],
    centroids: &mut [f64],
    labels: &mut [usize],
    bounds: &mut [[f64; 2]],
    moved: &mut [f64],
) -> (usize, f64) {
    let (k, d) = (moved.len(), data.d);
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0usize; k];
    let mut changed = 0;
    for p in passes {
        for (s, v) in sums.iter_mut().zip(&p.sums) {
            *s += v;
        }
        for (c, v) in counts.iter_mut().zip(&p.counts) {
            *c += v;
        }
        changed += p.changed;
    }
    if counts.contains(&0) {
        relocate_empty_clusters(data, centroids, labels, bounds, &mut sums, &mut counts);
    }
    // New centroids and how far each moved.
    let mut shift_total = 0.0;
    for c in 0..k {
        let old = &centroids[c * d..(c + 1) * d];
        let new: Vec<f64> = if counts[c] > 0 {
            sums[c * d..(c + 1) * d]
                .iter()
                .map(|s| s / counts[c] as f64)
                .collect()
        } else {
            old.to_vec()
        };
        let shift = sq_dist(old, &new);
        shift_total += shift;
        moved[c] = shift.sqrt();
        centroids[c * d..(c + 1) * d].copy_from_slice(&new);
    }
    (changed, shift_total)
}

/// The closing E-step for the points `lo..lo + labels.len()`: each point is
/// reassigned when `reassign`. Returns the points' inertia against the final centroids.
#[inline(always)]
fn closing_chunk(
    data: &Data,
    asg: &Assigner,
    lo: usize,
    labels: &mut [usize],
    reassign: bool,
) -> f64 {
    let d = data.d;
    let mut buf = asg.buffer();
    let mut total = 0.0;
    // As in `lloyd_chunk`: |x|^2 for a block of points first.
    const B: usize = 32;
    let mut xxs = [0.0f64; B];
    for (b, labs) in labels.chunks_mut(B).enumerate() {
        let first = lo + b * B;
        for (xx, x) in xxs.iter_mut().zip(data.x[first * d..].chunks_exact(d)) {
            *xx = x.iter().map(|v| v * v).sum();
        }
        for (off, label) in labs.iter_mut().enumerate() {
            let x = data.row(first + off);
            if reassign {
                *label = asg.nearest(x, xxs[off], &mut buf);
            }
            total += asg.dist(x, *label);
        }
    }
    total
}

/// Gives every empty cluster the point farthest from its centroid (among clusters with
/// more than one point), as scikit-learn does, updating sums and counts.
fn relocate_empty_clusters(
    data: &Data,
    centroids: &[f64],
    labels: &mut [usize],
    bounds: &mut [[f64; 2]],
    sums: &mut [f64],
    counts: &mut [usize],
) {
    let d = data.d;
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
    if empty.is_empty() {
        return;
    }
    let mut far: Vec<(f64, usize)> = (0..data.n)
        .map(|i| {
            let l = labels[i];
            (sq_dist(data.row(i), &centroids[l * d..(l + 1) * d]), i)
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut next = far.iter();
    for c in empty {
        for &(_, i) in next.by_ref() {
            let old = labels[i];
            if counts[old] > 1 {
                counts[old] -= 1;
                for (s, v) in sums[old * d..(old + 1) * d].iter_mut().zip(data.row(i)) {
                    *s -= v;
                }
                labels[i] = c;
                counts[c] = 1;
                sums[c * d..(c + 1) * d].copy_from_slice(data.row(i));
                // Force an exact look at this point next iteration (Hamerly).
                if let Some(b) = bounds.get_mut(i) {
                    *b = [f64::INFINITY, 0.0];
                }
                break;
            }
        }
    }
}
