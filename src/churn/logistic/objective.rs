//! The objective of one fit: the mean weighted log-loss plus the ridge, with its
//! gradient and Hessian in one parallel pass over the rows.

/// The data and objective of one fit, on the scale of the mean objective.
pub(super) struct Problem<'a> {
    pub(super) x: ndarray::CowArray<'a, f64, ndarray::Ix2>,
    pub(super) y: Vec<f64>,
    pub(super) weights: Vec<f64>,
    pub(super) p: usize,
    pub(super) intercept: bool,
    pub(super) ridge: f64,
    /// Per-coefficient factors of the ridge (c_j^2 for a rescaled column); empty when
    /// no column is rescaled.
    pub(super) ridge_scale: Vec<f64>,
    pub(super) total_weight: f64,
}

/// Rows per chunk of parallel work.
pub(super) const CHUNK: usize = 8192;

/// Dot product with four independent accumulators, so it vectorizes.
#[inline]
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..4 {
            acc[t] += x[t] * y[t];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

/// `ln(1 + e^z)` without overflow.
fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The logistic function, stable for large `|z|`.
pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Problem<'_> {
    pub(super) fn dim(&self) -> usize {
        self.p + usize::from(self.intercept)
    }

    /// Mean objective and gradient (`out[..dim]`), plus the Hessian (row-major, after
    /// the gradient) when asked; one pass over the rows, in parallel over fixed chunks
    /// reduced in a fixed order.
    pub(super) fn evaluate(&self, beta: &[f64], hessian: bool) -> (f64, Vec<f64>) {
        let (p, dim) = (self.p, self.dim());
        let len = sums_len(dim, hessian);
        // Standard layout by construction, so the rows are one slice.
        let data = self.x.as_slice().unwrap_or(&[]);
        let chunk = |lo: usize, hi: usize| {
            let mut acc = vec![0.0; len];
            let rows = Rows {
                x: &data[lo * p..hi * p],
                y: &self.y[lo..hi],
                weights: &self.weights[lo..hi],
            };
            accumulate(&rows, p, self.intercept, beta, hessian, &mut acc);
            acc
        };
        let n = self.y.len();
        let chunks = n.div_ceil(CHUNK);
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<f64>> = {
            use rayon::prelude::*;
            (0..chunks)
                .into_par_iter()
                .map(|c| chunk(c * CHUNK, ((c + 1) * CHUNK).min(n)))
                .collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Vec<f64>> = (0..chunks)
            .map(|c| chunk(c * CHUNK, ((c + 1) * CHUNK).min(n)))
            .collect();
        let mut total = vec![0.0; len];
        for part in &parts {
            merge_sums(&mut total, part);
        }
        mean_objective(&total, self.total_weight, &self.penalty(), beta, hessian)
    }

    /// The ridge of this problem.
    pub(super) fn penalty(&self) -> Ridge<'_> {
        Ridge {
            p: self.p,
            intercept: self.intercept,
            ridge: self.ridge,
            scale: &self.ridge_scale,
        }
    }

    pub(super) fn max_abs_linear_predictor(&self, beta: &[f64]) -> f64 {
        let p = self.p;
        let b0 = if self.intercept { beta[p] } else { 0.0 };
        self.x
            .rows()
            .into_iter()
            .map(|r| (r.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + b0).abs())
            .fold(0.0, f64::max)
    }
}

/// Rows of a pass: features row-major (`p` per row), labels as 0/1 and row weights.
pub(super) struct Rows<'a> {
    pub(super) x: &'a [f64],
    pub(super) y: &'a [f64],
    pub(super) weights: &'a [f64],
}

/// Length of a sums buffer: the gradient (`dim`), the Hessian's lower triangle
/// (row-major `dim x dim`, when asked), the loss, and the largest |log-odds|.
pub(super) fn sums_len(dim: usize, hessian: bool) -> usize {
    dim + if hessian { dim * dim } else { 0 } + 2
}

/// Adds the sums of `rows` at `beta` (intercept last) to `acc` (laid out as
/// [`sums_len`] says): the weighted log-loss, its gradient and, when asked, the lower
/// triangle of its Hessian, and the largest |log-odds| seen. Rows are processed in
/// blocks transposed so the Hessian's entries are dot products over contiguous
/// columns, which vectorize.
pub(super) fn accumulate(
    rows: &Rows<'_>,
    p: usize,
    intercept: bool,
    beta: &[f64],
    hessian: bool,
    acc: &mut [f64],
) {
    const BLOCK: usize = 64;
    let dim = p + usize::from(intercept);
    let len = sums_len(dim, hessian);
    let (loss_at, zmax_at) = (len - 2, len - 1);
    // Column-major block: column j holds feature j of the block's rows.
    let mut cols = vec![0.0; dim * BLOCK];
    let mut hw = [0.0f64; BLOCK];
    let n = rows.y.len();
    let mut start = 0;
    while start < n {
        let m = (n - start).min(BLOCK);
        for r in 0..m {
            let i = start + r;
            let row = &rows.x[i * p..(i + 1) * p];
            let mut z = if intercept { beta[p] } else { 0.0 };
            for (j, (&v, &b)) in row.iter().zip(beta).enumerate() {
                cols[j * BLOCK + r] = v;
                z += v * b;
            }
            if intercept {
                cols[p * BLOCK + r] = 1.0;
            }
            let (s, y) = (rows.weights[i], rows.y[i]);
            acc[loss_at] += s * (log1p_exp(z) - y * z);
            acc[zmax_at] = acc[zmax_at].max(z.abs());
            let mu = sigmoid(z);
            let rw = s * (mu - y);
            for j in 0..dim {
                acc[j] += rw * cols[j * BLOCK + r];
            }
            hw[r] = s * mu * (1.0 - mu);
        }
        if hessian {
            let hh = &mut acc[dim..dim + dim * dim];
            for a in 0..dim {
                let ca = &cols[a * BLOCK..a * BLOCK + m];
                // Weighted column a, then dot with columns 0..=a.
                let mut wa = [0.0f64; BLOCK];
                for r in 0..m {
                    wa[r] = hw[r] * ca[r];
                }
                for b in 0..=a {
                    hh[a * dim + b] += dot(&wa[..m], &cols[b * BLOCK..b * BLOCK + m]);
                }
            }
        }
        start += m;
    }
}

/// Adds the sums `part` into `total` (same layout): sums add, the largest |log-odds|
/// is the larger.
pub(super) fn merge_sums(total: &mut [f64], part: &[f64]) {
    let last = total.len() - 1;
    for (t, v) in total[..last].iter_mut().zip(part) {
        *t += v;
    }
    total[last] = total[last].max(part[last]);
}

/// The L2 penalty of a fit: `ridge / 2 * scale_j * w_j^2` on each coefficient (scale 1
/// when `scale` is empty), none on the intercept.
pub(super) struct Ridge<'a> {
    pub(super) p: usize,
    pub(super) intercept: bool,
    pub(super) ridge: f64,
    pub(super) scale: &'a [f64],
}

/// The mean objective `loss / w + ridge` and its gradient (and full symmetric Hessian
/// when asked) from raw sums laid out as [`sums_len`] says.
pub(super) fn mean_objective(
    sums: &[f64],
    total_weight: f64,
    ridge: &Ridge<'_>,
    beta: &[f64],
    hessian: bool,
) -> (f64, Vec<f64>) {
    let p = ridge.p;
    let dim = p + usize::from(ridge.intercept);
    let len = sums_len(dim, hessian) - 2;
    let w = total_weight;
    let mut out: Vec<f64> = sums[..len].iter().map(|v| v / w).collect();
    let mut loss = sums[len] / w;
    let factor = |j: usize| ridge.ridge * ridge.scale.get(j).copied().unwrap_or(1.0);
    for j in 0..p {
        loss += 0.5 * factor(j) * beta[j] * beta[j];
        out[j] += factor(j) * beta[j];
    }
    if hessian {
        let hh = &mut out[dim..];
        for a in 0..dim {
            for b in 0..a {
                hh[b * dim + a] = hh[a * dim + b];
            }
        }
        for j in 0..p {
            hh[j * dim + j] += factor(j);
        }
    }
    (loss, out)
}
