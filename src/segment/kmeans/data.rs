//! The data as k-means reads them: one row-major slice, its distinct rows, its mean
//! per-feature variance, and the range of scales where squared distances are safe.

use ndarray::ArrayView2;

use crate::kernels::{fmax, map_chunks};

/// The range of squared magnitudes (of |x|^2 or max |x|^2) within which k-means's
/// sums, squared distances and inertia cannot overflow, nor the squares underflow.
#[derive(Clone, Copy)]
pub(super) struct SafeScale {
    hi: f64,
}

impl SafeScale {
    pub(super) fn new(n: usize, d: usize) -> Self {
        // Inertia and the centroid sums are at most 4 n d max|x|^2.
        Self {
            hi: 1e300 / (4.0 * n as f64 * d as f64),
        }
    }

    /// Whether a squared magnitude `m2` is safe; false for NaN, and for 0 (which may
    /// be an underflow: all-zero data then take the rescaled path, harmlessly).
    pub(super) fn holds_squared(self, m2: f64) -> bool {
        (1e-280..=self.hi).contains(&m2)
    }

    /// Whether the largest |value| `a` is safe (0 for all-zero data is).
    pub(super) fn holds(self, a: f64) -> bool {
        a == 0.0 || (a >= 1e-140 && a * a <= self.hi)
    }
}

/// Distinct rows, counting no further than `stop` (enough to validate k).
pub(super) fn count_distinct_rows(x: &ArrayView2<f64>, stop: usize) -> usize {
    let mut seen: std::collections::HashSet<Vec<u64>> = std::collections::HashSet::new();
    for r in x.rows() {
        // +0.0 folds -0.0 into 0.0 so equal values have equal bits.
        seen.insert(r.iter().map(|v| (v + 0.0).to_bits()).collect());
        if seen.len() >= stop {
            break;
        }
    }
    seen.len()
}

/// The data as one row-major slice (borrowed when the caller's array already is one).
pub(super) struct Data<'a> {
    pub(super) x: std::borrow::Cow<'a, [f64]>,
    pub(super) n: usize,
    pub(super) d: usize,
}

impl<'a> Data<'a> {
    pub(super) fn new(x: &ArrayView2<'a, f64>) -> Self {
        let (n, d) = x.dim();
        let x = match x.to_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(x.iter().copied().collect()),
        };
        Self { x, n, d }
    }

    pub(super) fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// Mean over columns of the column variances (population), in one pass: each fixed
/// chunk's means and sums of squared deviations (two passes over the chunk, in cache),
/// merged in chunk order (Chan, Golub & LeVeque).
pub(super) fn mean_variance(data: &Data) -> (f64, f64) {
    let (n, d) = (data.n, data.d);
    let parts = map_chunks(n, |lo, hi| {
        let rows = &data.x[lo * d..hi * d];
        let mut mean = vec![0.0; d];
        // One maximum per column, like the sums: a single running maximum would chain
        // every compare after the last (4% of the k-means++ bench).
        let mut col_max = vec![0.0f64; d];
        for r in rows.chunks_exact(d) {
            for ((m, x), &v) in mean.iter_mut().zip(col_max.iter_mut()).zip(r) {
                *m += v;
                *x = fmax(*x, v.abs());
            }
        }
        let max_abs = col_max.iter().fold(0.0f64, |m, &v| fmax(m, v));
        let count = (hi - lo) as f64;
        mean.iter_mut().for_each(|m| *m /= count);
        let mut m2 = vec![0.0; d];
        for r in rows.chunks_exact(d) {
            for ((s, &v), m) in m2.iter_mut().zip(r).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        (count, mean, m2, max_abs)
    });
    let mut total = 0.0;
    let mut max_abs = 0.0f64;
    let mut mean = vec![0.0; d];
    let mut m2 = vec![0.0; d];
    for (count, cm, cm2, cmax) in parts {
        max_abs = fmax(max_abs, cmax);
        let merged = total + count;
        for j in 0..d {
            let delta = cm[j] - mean[j];
            mean[j] += delta * count / merged;
            m2[j] += cm2[j] + delta * delta * total * count / merged;
        }
        total = merged;
    }
    (m2.iter().sum::<f64>() / (n as f64 * d as f64), max_abs)
}
