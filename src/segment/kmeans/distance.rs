//! Distance kernels shared by the assignment passes and k-means++: squared distances
//! to every centroid in register blocks, the transposed centroid layout, minima.

/// Runs `$body` for the centroids `0..k` in register blocks of the given sizes, largest
/// first (`$c0` the block's first centroid, `$B` its size as a constant), so that each
/// block's accumulators stay in registers whatever `k`. With sizes down to 1 every
/// centroid is covered once.
macro_rules! centroid_blocks {
    ($k:expr, |$c0:ident, $B:ident| $body:expr; $($size:literal),+) => {{
        let k = $k;
        let mut $c0 = 0;
        $(
            while $size <= k - $c0 {
                const $B: usize = $size;
                $body;
                $c0 += $size;
            }
        )+
    }};
}
pub(super) use centroid_blocks;

/// Squared distances from `x` to every centroid, with the centroids transposed
/// (`d x k`, row `j` holding coordinate `j` of every centroid) so the inner loop runs
/// across centroids and vectorizes. Sums over coordinates in order, as [`sq_dist`].
#[inline(always)]
pub(super) fn dists_to_all(x: &[f64], transposed: &[f64], k: usize, out: &mut [f64]) {
    centroid_blocks!(k, |c0, B| block_dists::<B>(x, transposed, k, c0, out); 8, 4, 2, 1);
}

/// Distances to centroids `c0..c0 + B`, accumulated in registers.
#[inline(always)]
fn block_dists<const B: usize>(
    x: &[f64],
    transposed: &[f64],
    k: usize,
    c0: usize,
    out: &mut [f64],
) {
    let mut acc = [0.0f64; B];
    for (j, &xj) in x.iter().enumerate() {
        let row = &transposed[j * k + c0..j * k + c0 + B];
        for t in 0..B {
            let v = xj - row[t];
            acc[t] += v * v;
        }
    }
    out[c0..c0 + B].copy_from_slice(&acc);
}

pub(super) fn transpose(centroids: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut t = vec![0.0; k * d];
    for c in 0..k {
        for j in 0..d {
            t[j * k + c] = centroids[c * d + j];
        }
    }
    t
}

#[inline]
pub(super) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The smallest value, in a form the compiler vectorizes.
#[inline]
pub(super) fn min_of(v: &[f64]) -> f64 {
    v.iter()
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m })
}

/// `min` as one instruction (the second operand when either is NaN).
#[inline(always)]
pub(super) fn fmin(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

pub(super) fn nearest(x: &[f64], centroids: &[f64], k: usize, d: usize) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for c in 0..k {
        let dist = sq_dist(x, &centroids[c * d..(c + 1) * d]);
        if dist < best.1 {
            best = (c, dist);
        }
    }
    best
}
