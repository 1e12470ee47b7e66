//! Nearest-centroid search through `|c|^2 - 2 x.c` in tiers (`f32`, `f64`, exact),
//! labels identical to the direct computation.

use super::distance::{centroid_blocks, dists_to_all, fmin, min_of, sq_dist, transpose};
use crate::kernels::fmax;

/// Nearest-centroid search through `|c|^2 - 2 x.c` (the squared distance less `|x|^2`),
/// which costs two operations per coordinate instead of three. Its rounding error is
/// bounded by `(d + 2) eps (|x| + |c|)^2`, so when the two smallest values are further
/// apart than a safe multiple of that, the smallest is the nearest centroid by the exact
/// distances too; otherwise the point is resolved with the exact distances. Labels are
/// therefore exactly those of the direct computation (first index on ties).
pub(super) struct Assigner<'c> {
    pub(super) k: usize,
    d: usize,
    /// `-2 c`, transposed (`d x k`).
    m2t: Vec<f64>,
    /// `|c|^2` per centroid.
    norms: Vec<f64>,
    /// Largest `|c|^2`.
    r2: f64,
    /// Safety factor of the error bound: `16 (d + 2) eps`.
    factor: f64,
    /// The centroids transposed, for the exact fallback.
    exact_t: Vec<f64>,
    centroids: &'c [f64],
    /// `-2 c` transposed and `|c|^2`, rounded to `f32`, for the first, four-lane tier.
    m2t32: Vec<f32>,
    norms32: Vec<f32>,
    /// Safety factor of the `f32` tier's error bound: `16 (d + 3) eps_f32`.
    factor32: f64,
}

/// Scratch space for [`Assigner::nearest`].
pub(super) struct Scratch {
    s32: Vec<f32>,
    s64: Vec<f64>,
}

impl<'c> Assigner<'c> {
    pub(super) fn new(centroids: &'c [f64], k: usize, d: usize) -> Self {
        let exact_t = transpose(centroids, k, d);
        let m2t: Vec<f64> = exact_t.iter().map(|v| -2.0 * v).collect();
        let norms: Vec<f64> = (0..k)
            .map(|c| {
                centroids[c * d..(c + 1) * d]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
            })
            .collect();
        let r2 = norms.iter().copied().fold(0.0, f64::max);
        Self {
            k,
            d,
            r2,
            factor: 16.0 * (d as f64 + 2.0) * f64::EPSILON,
            m2t32: m2t.iter().map(|&v| v as f32).collect(),
            norms32: norms.iter().map(|&v| v as f32).collect(),
            factor32: 16.0 * (d as f64 + 3.0) * f64::from(f32::EPSILON),
            m2t,
            norms,
            exact_t,
            centroids,
        }
    }

    /// A scratch buffer for [`nearest`](Self::nearest).
    pub(super) fn buffer(&self) -> Scratch {
        Scratch {
            s32: vec![0.0; self.k],
            s64: vec![0.0; self.k],
        }
    }

    /// The nearest centroid of `x` (first index on exact ties) given `xx = |x|^2`
    /// (summed in order); `buf` comes from [`buffer`](Self::buffer).
    #[inline(always)]
    pub(super) fn nearest(&self, x: &[f64], xx: f64, buf: &mut Scratch) -> usize {
        let scale = xx + self.r2;
        // First tier: the same expression in f32, eight lanes per AVX2 register (four
        // per SSE2 register without the `simd` feature). Its
        // error (inputs rounded to f32, d + 1 products and sums) is within
        // gamma_(d+3) (|x| + |c|)^2 <= 2 gamma_(d+3) (|x|^2 + r2) per value, so a gap
        // above `factor32 * scale` (more than twice that) decides the nearest centroid.
        // The range keeps f32 clear of overflow and of underflow errors that matter.
        if scale > 1e-20
            && scale < 1e30
            && let Some(best) = self.nearest32(x, scale, &mut buf.s32)
        {
            return best;
        }
        self.nearest64(x, xx, &mut buf.s64)
    }

    /// The `f32` tier of [`nearest`](Self::nearest); `None` when undecided.
    #[inline(always)]
    fn nearest32(&self, x: &[f64], scale: f64, buf: &mut [f32]) -> Option<usize> {
        let k = self.k;
        let bound = (self.factor32 * scale) as f32;
        centroid_blocks!(k, |c0, B| self.block32::<B>(x, c0, buf); 16, 8, 4, 2, 1);
        let m1 = min32(buf);
        // Decided when m1 is the only value within `bound` of m1. The bound is 16 times
        // the error bound E = (d + 3) eps_f32 scale, and deciding needs only 2 E, so
        // rounding `bound` and `m1 + bound` to f32 (at most 2^-23 scale + 2^-24 bound,
        // since |m1| <= 2 scale) leaves the threshold above m1 + 15 E.
        let thr = m1 + bound;
        // How many values are within reach of m1, and (when just one) its position.
        let (mut count, mut at) = (0u32, 0u32);
        for (c, &v) in buf.iter().enumerate() {
            let hit = u32::from(v <= thr);
            count += hit;
            at |= 0u32.wrapping_sub(hit) & c as u32;
        }
        (count == 1).then_some(at as usize)
    }

    /// `|c|^2 - 2 x.c` in f32 for centroids `c0..c0 + B`, accumulated in registers.
    #[inline(always)]
    fn block32<const B: usize>(&self, x: &[f64], c0: usize, out: &mut [f32]) {
        let k = self.k;
        let mut acc = [0.0f32; B];
        acc.copy_from_slice(&self.norms32[c0..c0 + B]);
        for (j, &xj) in x.iter().enumerate() {
            let xj = xj as f32;
            let row = &self.m2t32[j * k + c0..j * k + c0 + B];
            for t in 0..B {
                acc[t] += xj * row[t];
            }
        }
        out[c0..c0 + B].copy_from_slice(&acc);
    }

    /// The `f64` tiers of [`nearest`](Self::nearest): `|c|^2 - 2 x.c` in f64,
    /// then the exact distances.
    #[inline(always)]
    fn nearest64(&self, x: &[f64], xx: f64, buf: &mut [f64]) -> usize {
        let k = self.k;
        centroid_blocks!(k, |c0, B| self.block::<B>(x, c0, buf); 16, 8, 4, 2, 1);
        // Smallest and second smallest (counting repeats), four lanes at a time.
        const L: usize = 4;
        let mut lo = [f64::INFINITY; L];
        let mut hi = [f64::INFINITY; L];
        let mut quads = buf.chunks_exact(L);
        for q in quads.by_ref() {
            for t in 0..L {
                hi[t] = fmin(hi[t], fmax(lo[t], q[t]));
                lo[t] = fmin(lo[t], q[t]);
            }
        }
        for (t, &v) in quads.remainder().iter().enumerate() {
            hi[t] = fmin(hi[t], fmax(lo[t], v));
            lo[t] = fmin(lo[t], v);
        }
        let merge = |(l1, h1): (f64, f64), (l2, h2): (f64, f64)| {
            (fmin(l1, l2), fmin(fmax(l1, l2), fmin(h1, h2)))
        };
        let (m1, m2) = merge(
            merge((lo[0], hi[0]), (lo[1], hi[1])),
            merge((lo[2], hi[2]), (lo[3], hi[3])),
        );
        let scale = xx + self.r2;
        let bound = self.factor * scale;
        if scale < 1e300 && m2 - m1 > bound {
            // The unique position of m1 (m2 > m1), as a masked sum of lane indices.
            let mut at = 0u64;
            for (c, &v) in buf.iter().enumerate() {
                at |= 0u64.wrapping_sub(u64::from(v == m1)) & c as u64;
            }
            at as usize
        } else {
            let exact = &mut buf[..self.k];
            dists_to_all(x, &self.exact_t, self.k, exact);
            let d1 = min_of(exact);
            exact.iter().position(|&v| v == d1).unwrap_or(0)
        }
    }

    /// `|c|^2 - 2 x.c` for centroids `c0..c0 + B`, accumulated in registers.
    #[inline(always)]
    fn block<const B: usize>(&self, x: &[f64], c0: usize, out: &mut [f64]) {
        let k = self.k;
        let mut acc = [0.0f64; B];
        acc.copy_from_slice(&self.norms[c0..c0 + B]);
        for (j, &xj) in x.iter().enumerate() {
            let row = &self.m2t[j * k + c0..j * k + c0 + B];
            for t in 0..B {
                acc[t] += xj * row[t];
            }
        }
        out[c0..c0 + B].copy_from_slice(&acc);
    }

    /// Exact squared distance from `x` to centroid `c`.
    #[inline]
    pub(super) fn dist(&self, x: &[f64], c: usize) -> f64 {
        sq_dist(x, &self.centroids[c * self.d..(c + 1) * self.d])
    }
}

/// The smallest value (infinity for none), four lanes at a time.
#[inline(always)]
fn min32(v: &[f32]) -> f32 {
    const L: usize = 4;
    let mut lo = [f32::INFINITY; L];
    let mut quads = v.chunks_exact(L);
    for q in quads.by_ref() {
        for t in 0..L {
            lo[t] = fmin32(lo[t], q[t]);
        }
    }
    for (t, &x) in quads.remainder().iter().enumerate() {
        lo[t] = fmin32(lo[t], x);
    }
    fmin32(fmin32(lo[0], lo[1]), fmin32(lo[2], lo[3]))
}

/// [`fmin`] for `f32`.
#[inline(always)]
fn fmin32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}
