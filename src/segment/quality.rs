//! Cluster quality: silhouette (exact, or on a seeded sample), Davies-Bouldin and
//! Calinski-Harabasz indices, and [`choose_k`] to compare numbers of clusters.
//!
//! Definitions (as scikit-learn's `metrics`), for points `x`, labels and Euclidean
//! distance:
//! - silhouette of a point: `(b - a) / max(a, b)`, `a` the mean distance to the other
//!   members of its cluster, `b` the smallest mean distance to another cluster's
//!   members; 0 for a point alone in its cluster. The score is the mean over points,
//!   in -1..=1, higher is better.
//! - Davies-Bouldin: the mean over clusters of `max_j (s_i + s_j) / d(c_i, c_j)`, `s` the
//!   mean distance of members to their centroid; lower is better.
//! - Calinski-Harabasz: `(B / (k - 1)) / (W / (n - k))`, between- and within-cluster
//!   dispersion; higher is better.
//!
//! ```
//! use ndarray::array;
//! use patronage::segment::quality::{calinski_harabasz, davies_bouldin, silhouette};
//! let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
//! let labels = [0, 0, 1, 1];
//! assert!(silhouette(x.view(), &labels)? > 0.89);
//! assert!(davies_bouldin(x.view(), &labels)? < 0.11);
//! assert!(calinski_harabasz(x.view(), &labels)? > 100.0);
//! # Ok::<(), patronage::Error>(())
//! ```

use std::ops::RangeInclusive;

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::KMeans;
use crate::error::{Error, Result};
use crate::kernels::{check_finite, check_finite_max_abs, sample_indices};
use crate::math::simd::vectorized_wide;
use crate::model::Fit;

/// Checks the inputs and returns the number of clusters, with `x` scaled by a power of
/// two when its values are so large (or so small) that squared distances or sums would
/// overflow (or underflow) f64. Every index here is scale-invariant, and scaling by a
/// power of two is exact, so the scaled data give the data's answer.
fn validate(x: &ArrayView2<f64>, labels: &[usize]) -> Result<(usize, Option<Array2<f64>>)> {
    let (k, max_abs) = check(x, labels, true)?;
    let n = x.nrows();
    // Sums of n d squared differences of values up to max_abs stay far below f64::MAX.
    let hi = (1e300 / (4.0 * n as f64 * x.ncols() as f64)).sqrt();
    let scaled = (max_abs > hi || (max_abs > 0.0 && max_abs < 1e-140)).then(|| {
        let s = super::scale::pow2_scale(max_abs);
        x.mapv(|v| v * s)
    });
    Ok((k, scaled))
}

/// The checks of [`validate`] (values finite, labels below n, 2 to n - 1 clusters
/// used): the number of clusters and, `with_max`, the largest |value| (else 0).
fn check(x: &ArrayView2<f64>, labels: &[usize], with_max: bool) -> Result<(usize, f64)> {
    let n = x.nrows();
    super::check_rows_labels(x, labels)?;
    let max_abs = if with_max {
        check_finite_max_abs(x)?
    } else {
        check_finite(x)?;
        0.0
    };
    let k = super::cluster_count(labels)?;
    let used = {
        let mut seen = vec![false; k];
        labels.iter().for_each(|&l| seen[l] = true);
        seen.iter().filter(|&&s| s).count()
    };
    if used < 2 || used >= n {
        return Err(Error::InsufficientData {
            model: "cluster quality",
            reason: format!("needs 2 to n - 1 clusters, found {used} for {n} points"),
        });
    }
    Ok((k, max_abs))
}

/// Mean silhouette over all points (exact, `O(n^2 d)`; see [`silhouette_sampled`] for
/// large data).
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::NonFinite`],
/// [`Error::InvalidValue`] for a label of n or more, and [`Error::InsufficientData`]
/// unless there are 2 to n - 1 clusters.
pub fn silhouette(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let (k, scaled) = validate(&x, labels)?;
    let x = scaled.as_ref().map_or(x, |s| s.view());
    let (n, d) = x.dim();
    // Points sorted by cluster, coordinates transposed (d x n): the distances from one
    // point to a run of others then vectorize, and each cluster is one contiguous run.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| labels[i]);
    let mut xt = vec![0.0; d * n];
    for (p, &i) in order.iter().enumerate() {
        for j in 0..d {
            xt[j * n + p] = x[[i, j]];
        }
    }
    let mut start = vec![0usize; k + 1];
    for &l in labels {
        start[l + 1] += 1;
    }
    for c in 0..k {
        start[c + 1] += start[c];
    }
    // Per-point sums of distances to each cluster, S[p][c], over pairs p < q only
    // (d(p, q) = d(q, p)): the sorted points are cut into blocks of at most BLOCK
    // within one cluster; block b computes its pairs with itself and with every later
    // block, adding each distance to its own point's row sum (for the other block's
    // cluster) and to a column sum of the other point (for block b's cluster). Blocks
    // are fixed and their results are added in block order, so the sums do not depend
    // on the number of threads.
    const BLOCK: usize = 64;
    let mut blocks: Vec<(usize, usize, usize)> = Vec::new();
    for c in 0..k {
        let mut lo = start[c];
        while lo < start[c + 1] {
            let hi = (lo + BLOCK).min(start[c + 1]);
            blocks.push((lo, hi, c));
            lo = hi;
        }
    }
    // Each block's coordinates as lanes of eight points (`d` lanes per group of eight,
    // zero-padded), with a 1/0 mask for the padding.
    let tiles: Vec<(Vec<[f64; 8]>, [f64; 8])> = blocks
        .iter()
        .map(|&(lo, hi, _)| {
            let groups = (hi - lo).div_ceil(8);
            let mut tile = vec![[0.0; 8]; groups * d];
            for q in lo..hi {
                let (g, t) = ((q - lo) / 8, (q - lo) % 8);
                for j in 0..d {
                    tile[g * d + j][t] = xt[j * n + q];
                }
            }
            let mut mask = [0.0; 8];
            let last = (hi - lo) - (groups - 1) * 8;
            mask[..last].fill(1.0);
            (tile, mask)
        })
        .collect();
    let tiles = &tiles;
    let (xt, blocks_ref) = (&xt, &blocks);
    let task = |b: usize| -> (Vec<f64>, Vec<f64>) {
        vectorized_wide(
            #[inline(always)]
            || {
                let (lo, hi, _) = blocks_ref[b];
                let mut rows = vec![0.0; (hi - lo) * k];
                let mut cols = vec![0.0; n - hi];
                let mut xi = vec![0.0; d];
                for i in lo..hi {
                    for (j, v) in xi.iter_mut().enumerate() {
                        *v = xt[j * n + i];
                    }
                    let row = &mut rows[(i - lo) * k..(i - lo + 1) * k];
                    row[labels[order[i]]] += distance_sum(&xi, xt, n, lo, hi);
                    for (&(blo, bhi, bc), (tile, mask)) in
                        blocks_ref[b + 1..].iter().zip(&tiles[b + 1..])
                    {
                        row[bc] += tile_sum_into(&xi, tile, mask, &mut cols[blo - hi..bhi - hi]);
                    }
                }
                (rows, cols)
            },
        )
    };
    #[cfg(feature = "parallel")]
    let parts: Vec<(Vec<f64>, Vec<f64>)> = {
        use rayon::prelude::*;
        (0..blocks.len()).into_par_iter().map(task).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<(Vec<f64>, Vec<f64>)> = (0..blocks.len()).map(task).collect();
    let mut sums = vec![0.0; n * k];
    for (&(lo, hi, _), (rows, _)) in blocks.iter().zip(&parts) {
        sums[lo * k..hi * k].copy_from_slice(rows);
    }
    for (&(_, hi, c), (_, cols)) in blocks.iter().zip(&parts) {
        for (p, v) in cols.iter().enumerate() {
            sums[(hi + p) * k + c] += v;
        }
    }
    let size = |c: usize| start[c + 1] - start[c];
    let total: f64 = (0..n)
        .map(|p| {
            let own = labels[order[p]];
            if size(own) <= 1 {
                return 0.0;
            }
            let s = &sums[p * k..(p + 1) * k];
            let a = s[own] / (size(own) - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && size(c) > 0)
                .map(|c| s[c] / size(c) as f64)
                .fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .sum();
    Ok(total / n as f64)
}

/// Sum of Euclidean distances from `xi` to the points `lo..hi` of the transposed data
/// (`d x n`), eight at a time so the arithmetic and square roots vectorize.
#[inline(always)]
fn distance_sum(xi: &[f64], xt: &[f64], n: usize, lo: usize, hi: usize) -> f64 {
    const B: usize = 8;
    let mut total = [0.0f64; B];
    let mut p = lo;
    while p + B <= hi {
        let mut acc = [0.0f64; B];
        for (j, &v) in xi.iter().enumerate() {
            let row = &xt[j * n + p..j * n + p + B];
            for t in 0..B {
                let e = v - row[t];
                acc[t] += e * e;
            }
        }
        for t in 0..B {
            total[t] += acc[t].sqrt();
        }
        p += B;
    }
    let mut rest = 0.0;
    for q in p..hi {
        let mut acc = 0.0;
        for (j, &v) in xi.iter().enumerate() {
            let e = v - xt[j * n + q];
            acc += e * e;
        }
        rest += acc.sqrt();
    }
    total.iter().sum::<f64>() + rest
}

/// Sum of Euclidean distances from `xi` to the points of a block tile (groups of eight
/// points, `d` lanes each; `mask` zeroes the padding of the last group), also adding
/// each distance to the point's entry of `cols`.
#[inline(always)]
fn tile_sum_into(xi: &[f64], tile: &[[f64; 8]], mask: &[f64; 8], cols: &mut [f64]) -> f64 {
    let d = xi.len();
    let groups = tile.len() / d;
    let mut total = [0.0f64; 8];
    for (g, lanes) in tile.chunks_exact(d).enumerate() {
        let mut acc = [0.0f64; 8];
        for (&v, row) in xi.iter().zip(lanes) {
            for t in 0..8 {
                let e = v - row[t];
                acc[t] += e * e;
            }
        }
        let mut dist = [0.0f64; 8];
        for t in 0..8 {
            dist[t] = acc[t].sqrt();
        }
        if g + 1 == groups {
            for t in 0..8 {
                dist[t] *= mask[t];
            }
            for (c, v) in cols[g * 8..].iter_mut().zip(&dist) {
                *c += v;
            }
        } else {
            let out = &mut cols[g * 8..g * 8 + 8];
            for t in 0..8 {
                out[t] += dist[t];
            }
        }
        for t in 0..8 {
            total[t] += dist[t];
        }
    }
    total.iter().sum()
}

/// Silhouette on a seeded random sample of `sample_size` points (without replacement),
/// computed within the sample as scikit-learn's `silhouette_score(sample_size=...)`;
/// the exact score when `sample_size >= n`.
///
/// # Errors
/// As [`silhouette`], for the sample; [`Error::InvalidParameter`] for a sample of
/// fewer than 2 points.
pub fn silhouette_sampled(
    x: ArrayView2<f64>,
    labels: &[usize],
    sample_size: usize,
    seed: u64,
) -> Result<f64> {
    // The sample is scaled by `silhouette` as it needs; the whole data are only checked.
    check(&x, labels, false)?;
    let n = x.nrows();
    if sample_size < 2 {
        return Err(Error::InvalidParameter {
            name: "sample_size",
            value: sample_size.to_string(),
            reason: "sample at least 2 points".into(),
        });
    }
    if sample_size >= n {
        return silhouette(x, labels);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let idx = sample_indices(n, sample_size, &mut rng);
    let sub = Array2::from_shape_fn((sample_size, x.ncols()), |(i, j)| x[[idx[i], j]]);
    let sub_labels: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
    silhouette(sub.view(), &sub_labels)
}

/// Squared Euclidean distance between two points, summed over coordinates in order.
fn sq_dist<'a>(a: impl IntoIterator<Item = &'a f64>, b: impl IntoIterator<Item = &'a f64>) -> f64 {
    a.into_iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum()
}

fn centroids(x: &ArrayView2<f64>, labels: &[usize], k: usize) -> (Array2<f64>, Vec<usize>) {
    let d = x.ncols();
    let mut c = Array2::zeros((k, d));
    let mut sizes = vec![0usize; k];
    for (r, &l) in x.rows().into_iter().zip(labels) {
        sizes[l] += 1;
        for j in 0..d {
            c[[l, j]] += r[j];
        }
    }
    for l in 0..k {
        if sizes[l] > 0 {
            for j in 0..d {
                c[[l, j]] /= sizes[l] as f64;
            }
        }
    }
    (c, sizes)
}

/// Davies-Bouldin index (lower is better).
///
/// As scikit-learn's `davies_bouldin_score`, a pair of clusters with the same centroid
/// adds nothing (their ratio would be infinite), so the index is always finite: 0 when
/// every centroid coincides or no cluster has spread.
///
/// # Errors
/// As [`silhouette`].
pub fn davies_bouldin(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let (k, scaled) = validate(&x, labels)?;
    let x = scaled.as_ref().map_or(x, |s| s.view());
    let (c, sizes) = centroids(&x, labels, k);
    let mut spread = vec![0.0; k];
    for (r, &l) in x.rows().into_iter().zip(labels) {
        spread[l] += sq_dist(r, c.row(l)).sqrt();
    }
    let used: Vec<usize> = (0..k).filter(|&l| sizes[l] > 0).collect();
    for &l in &used {
        spread[l] /= sizes[l] as f64;
    }
    let mut total = 0.0;
    for &i in &used {
        let worst = used
            .iter()
            .filter(|&&j| j != i)
            .map(|&j| {
                let dc = sq_dist(c.row(i), c.row(j)).sqrt();
                if dc > 0.0 {
                    (spread[i] + spread[j]) / dc
                } else {
                    0.0
                }
            })
            .fold(0.0, f64::max);
        total += worst;
    }
    Ok(total / used.len() as f64)
}

/// Calinski-Harabasz index (higher is better).
///
/// As scikit-learn's `calinski_harabasz_score`, it is 1 when no cluster has spread
/// (the ratio would be infinite), so the index is always finite.
///
/// # Errors
/// As [`silhouette`].
pub fn calinski_harabasz(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let (k, scaled) = validate(&x, labels)?;
    let x = scaled.as_ref().map_or(x, |s| s.view());
    let n = x.nrows();
    let (c, sizes) = centroids(&x, labels, k);
    let mean: Vec<f64> = x
        .columns()
        .into_iter()
        .map(|col| col.sum() / n as f64)
        .collect();
    let used = sizes.iter().filter(|&&s| s > 0).count();
    let between: f64 = (0..k)
        .map(|l| sizes[l] as f64 * sq_dist(c.row(l), &mean))
        .sum();
    let within: f64 = x
        .rows()
        .into_iter()
        .zip(labels)
        .map(|(r, &l)| sq_dist(r, c.row(l)))
        .sum();
    Ok(if within > 0.0 {
        between * (n - used) as f64 / (within * (used - 1) as f64)
    } else {
        1.0
    })
}

/// One k tried by [`choose_k`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KChoice {
    /// Number of clusters.
    pub k: usize,
    /// The fit's inertia.
    pub inertia: f64,
    /// Silhouette (on a sample of at most `sample_size` points).
    pub silhouette: f64,
    /// Davies-Bouldin index.
    pub davies_bouldin: f64,
    /// Calinski-Harabasz index.
    pub calinski_harabasz: f64,
}

/// The table of [`choose_k`] and its suggestion.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChooseK {
    /// One row per k, ascending.
    pub rows: Vec<KChoice>,
    /// The suggested k: the highest silhouette (ties go to the smaller k). Inertia always
    /// falls with k, so it cannot choose alone; read the table for an elbow too.
    pub suggested: usize,
}

/// Fits `params` with each k in `ks` (k >= 2) and reports inertia, silhouette (sampled
/// on `sample_size` points with the params' seed), Davies-Bouldin and
/// Calinski-Harabasz per k.
///
/// # Errors
/// [`Error::InvalidParameter`] for an empty range or one that starts below 2; any
/// error of the k-means fit ([`Fit::fit`] on [`KMeans`]).
///
/// ```
/// use ndarray::Array2;
/// use patronage::segment::{quality::choose_k, KMeans};
/// // Three tight groups on a line.
/// let x = Array2::from_shape_fn((60, 1), |(i, _)| (i / 20) as f64 * 10.0 + (i % 20) as f64 * 0.01);
/// let table = choose_k(x.view(), 2..=5, &KMeans::params(2).seed(1), 1000)?;
/// assert_eq!(table.suggested, 3);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn choose_k(
    x: ArrayView2<f64>,
    ks: RangeInclusive<usize>,
    params: &KMeans,
    sample_size: usize,
) -> Result<ChooseK> {
    if ks.is_empty() || *ks.start() < 2 {
        return Err(Error::InvalidParameter {
            name: "ks",
            value: format!("{ks:?}"),
            reason: "use a non-empty range of k starting at 2 or more".into(),
        });
    }
    let mut rows = Vec::new();
    for k in ks {
        let p = params.clone().k(k);
        let fit = Fit::fit(&p, x)?;
        rows.push(KChoice {
            k,
            inertia: fit.inertia(),
            silhouette: silhouette_sampled(x, fit.labels(), sample_size, p.seed)?,
            davies_bouldin: davies_bouldin(x, fit.labels())?,
            calinski_harabasz: calinski_harabasz(x, fit.labels())?,
        });
    }
    let suggested = rows
        .iter()
        .fold(None::<&KChoice>, |best, r| match best {
            Some(b) if b.silhouette >= r.silhouette => Some(b),
            _ => Some(r),
        })
        .map_or(2, |r| r.k);
    Ok(ChooseK { rows, suggested })
}
