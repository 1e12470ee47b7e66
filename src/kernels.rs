//! Non-domain kernels the crate's modules share: fixed-chunk parallel maps whose
//! results do not depend on the number of threads, the finiteness scan of a feature
//! matrix, seed mixing and seeded sampling of distinct indices, and the gathering of
//! row runs by group (the transaction log's customers, the baskets' orders).

use ndarray::ArrayView2;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};
use crate::hashing::KeyedMap;

/// Points per chunk of parallel work; fixed so reductions do not depend on threads.
pub(crate) const CHUNK: usize = 4096;

/// Maps fixed chunks of `0..n` in parallel (or sequentially) and returns the results in
/// chunk order.
pub(crate) fn map_chunks<T: Send>(n: usize, f: impl Fn(usize, usize) -> T + Sync + Send) -> Vec<T> {
    let chunks = n.div_ceil(CHUNK);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..chunks)
            .into_par_iter()
            .map(|c| f(c * CHUNK, ((c + 1) * CHUNK).min(n)))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..chunks)
            .map(|c| f(c * CHUNK, ((c + 1) * CHUNK).min(n)))
            .collect()
    }
}

/// Runs `f(chunk_start, chunk)` over fixed chunks of a per-point mutable slice, in
/// parallel, and returns the results in chunk order.
pub(crate) fn map_chunks_mut<A: Send, T: Send>(
    a: &mut [A],
    f: impl Fn(usize, &mut [A]) -> T + Sync + Send,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, ca)| f(c * CHUNK, ca))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        a.chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, ca)| f(c * CHUNK, ca))
            .collect()
    }
}

/// Runs `f(chunk_start, chunk_of_a, chunk_of_b)` over matching fixed chunks of two
/// per-point mutable slices (stride `sa` and `sb` elements per point), in parallel, and
/// returns the results in chunk order.
pub(crate) fn zip_chunks_mut<A: Send, B: Send, T: Send>(
    a: &mut [A],
    sa: usize,
    b: &mut [B],
    sb: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) -> T + Sync + Send,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_chunks_mut(CHUNK * sa)
            .zip(b.par_chunks_mut(CHUNK * sb))
            .enumerate()
            .map(|(c, (ca, cb))| f(c * CHUNK, ca, cb))
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        a.chunks_mut(CHUNK * sa)
            .zip(b.chunks_mut(CHUNK * sb))
            .enumerate()
            .map(|(c, (ca, cb))| f(c * CHUNK, ca, cb))
            .collect()
    }
}

/// `max` as one instruction (the second operand when either is NaN).
#[inline(always)]
pub(crate) fn fmax(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

/// [`Error::LengthMismatch`] (field `x columns`) unless `x` has the `expected` columns
/// of the fit that checks it.
pub(crate) fn check_columns(x: &ArrayView2<f64>, expected: usize) -> Result<()> {
    if x.ncols() != expected {
        return Err(Error::LengthMismatch {
            field: "x columns",
            expected,
            found: x.ncols(),
        });
    }
    Ok(())
}

/// [`Error::NonFinite`] (field `x`) naming the first row with a NaN or infinite
/// value: one parallel pass over a contiguous array, the row scan only to name the row.
pub(crate) fn check_finite(x: &ArrayView2<f64>) -> Result<()> {
    check_finite_named("x", x)
}

/// [`check_finite`] for the matrix called `field`.
pub(crate) fn check_finite_named(field: &'static str, x: &ArrayView2<f64>) -> Result<()> {
    // Without the maximum the scan is a plain fold (cheaper than the lanes below).
    if let Some(all) = x.as_slice() {
        let d = x.ncols().max(1);
        let finite = |lo: usize, hi: usize| {
            all[lo * d..hi * d]
                .iter()
                .fold(true, |ok, v| ok & v.is_finite())
        };
        if map_chunks(x.nrows(), finite).iter().all(|&ok| ok) {
            return Ok(());
        }
    }
    first_non_finite(field, x)
}

/// The row scan behind the checks: [`Error::NonFinite`] for the first row with a NaN or
/// infinite value (and that value), else `Ok`.
fn first_non_finite(field: &'static str, x: &ArrayView2<f64>) -> Result<()> {
    for (row, r) in x.rows().into_iter().enumerate() {
        if let Some(&value) = r.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFinite { field, row, value });
        }
    }
    Ok(())
}

/// [`check_finite`] that also returns the largest |value| (0 for no values), read in
/// the same pass.
pub(crate) fn check_finite_max_abs(x: &ArrayView2<f64>) -> Result<f64> {
    if let Some(all) = x.as_slice() {
        let d = x.ncols().max(1);
        // Eight independent lanes: one running maximum is a chain of dependent
        // compares that does not vectorize, and this scan of every value runs before
        // each fit and quality index (the lanes took the sampled-silhouette bench, which
        // scans 1M rows to check them, from +24% back to the plain finiteness check).
        let scan = |lo: usize, hi: usize| {
            let values = &all[lo * d..hi * d];
            let (mut finite, mut max) = ([true; 8], [0.0f64; 8]);
            let chunks = values.chunks_exact(8);
            let rest = chunks.remainder();
            for c in chunks {
                for i in 0..8 {
                    let a = c[i].abs();
                    finite[i] &= a < f64::INFINITY;
                    max[i] = fmax(max[i], a);
                }
            }
            for (i, v) in rest.iter().enumerate() {
                let a = v.abs();
                finite[i] &= a < f64::INFINITY;
                max[i] = fmax(max[i], a);
            }
            (
                finite.iter().all(|&f| f),
                max.iter().fold(0.0, |m, &v| fmax(m, v)),
            )
        };
        let parts = map_chunks(x.nrows(), scan);
        if parts.iter().all(|&(ok, _)| ok) {
            return Ok(parts.iter().fold(0.0, |m, &(_, v)| fmax(m, v)));
        }
    }
    first_non_finite("x", x)?;
    Ok(x.iter().fold(0.0f64, |m, v| m.max(v.abs())))
}

/// SplitMix64 finalizer over (seed, stream): independent, reproducible seeds per
/// stream (a k-means run, a block of simulated customers).
pub(crate) fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `m <= n` distinct indices of `0..n`: the first `m` positions of a partial
/// Fisher-Yates shuffle, with the permutation kept sparse (only displaced positions are
/// stored), so the cost is `O(m)` whatever `n`. The map's keys are indices from the
/// seeded generator, not caller data; it takes the crate's keyed hash all the same
/// (one hash for every map, and this is not a hot path: one map per sample).
pub(crate) fn sample_indices(n: usize, m: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut displaced: KeyedMap<usize, usize> = KeyedMap::default();
    (0..m)
        .map(|i| {
            let j = rng.random_range(i..n);
            let at_j = displaced.get(&j).copied().unwrap_or(j);
            let at_i = displaced.get(&i).copied().unwrap_or(i);
            displaced.insert(j, at_i);
            at_j
        })
        .collect()
}

/// Where runs of rows land when they are moved together by group: the row offsets of
/// each of `groups` groups, given each run's start (`run_start`, one longer than the
/// runs) and group (`run_group`). A group's runs keep their order.
pub(crate) fn group_offsets(run_start: &[u32], run_group: &[u32], groups: usize) -> Vec<u32> {
    let mut offsets = vec![0u32; groups + 1];
    for (r, &g) in run_group.iter().enumerate() {
        offsets[g as usize + 1] += run_start[r + 1] - run_start[r];
    }
    for g in 0..groups {
        offsets[g + 1] += offsets[g];
    }
    offsets
}

/// `column` (one value per row, in runs) with each group's runs moved together, at the
/// [`group_offsets`] computed from the same runs.
pub(crate) fn gather_runs<T: Copy + Default>(
    column: &[T],
    run_start: &[u32],
    run_group: &[u32],
    offsets: &[u32],
) -> Vec<T> {
    let mut cursor: Vec<u32> = offsets[..offsets.len() - 1].to_vec();
    let mut out = vec![T::default(); column.len()];
    for (r, &g) in run_group.iter().enumerate() {
        let (lo, hi) = (run_start[r] as usize, run_start[r + 1] as usize);
        let at = cursor[g as usize] as usize;
        // Rows of a time-ordered log are mostly runs of one: a plain move, not a
        // call to copy a slice (day-ordered synthetic-1M, log + summary: 240 -> 231 ms).
        if hi - lo == 1 {
            out[at] = column[lo];
        } else {
            out[at..at + hi - lo].copy_from_slice(&column[lo..hi]);
        }
        cursor[g as usize] += (hi - lo) as u32;
    }
    out
}
