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
    /// the gradient) when asked; one pass over the rows. Rows are processed in blocks:
    /// the block is transposed so the Hessian's entries are dot products over
    /// contiguous columns, which vectorize.
    pub(super) fn evaluate(&self, beta: &[f64], hessian: bool) -> (f64, Vec<f64>) {
        let (p, dim) = (self.p, self.dim());
        let len = dim + if hessian { dim * dim } else { 0 };
        // Standard layout by construction, so the rows are one slice.
        let data = self.x.as_slice().unwrap_or(&[]);
        const BLOCK: usize = 64;
        let chunk = |lo: usize, hi: usize| {
            let mut acc = vec![0.0; len + 1];
            // Column-major block: column j holds feature j of the block's rows.
            let mut cols = vec![0.0; dim * BLOCK];
            let mut hw = [0.0f64; BLOCK];
            let mut start = lo;
            while start < hi {
                let m = (hi - start).min(BLOCK);
                for r in 0..m {
                    let i = start + r;
                    let row = &data[i * p..(i + 1) * p];
                    let mut z = if self.intercept { beta[p] } else { 0.0 };
                    for (j, (&v, &b)) in row.iter().zip(beta).enumerate() {
                        cols[j * BLOCK + r] = v;
                        z += v * b;
                    }
                    if self.intercept {
                        cols[p * BLOCK + r] = 1.0;
                    }
                    let (s, y) = (self.weights[i], self.y[i]);
                    acc[len] += s * (log1p_exp(z) - y * z);
                    let mu = sigmoid(z);
                    // Gradient weight in the last spare slot of hw's twin: reuse acc.
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
        let mut total = vec![0.0; len + 1];
        for part in &parts {
            for (t, v) in total.iter_mut().zip(part) {
                *t += v;
            }
        }
        let w = self.total_weight;
        let mut out: Vec<f64> = total[..len].iter().map(|v| v / w).collect();
        let mut loss = total[len] / w;
        // Ridge on the coefficients, not the intercept.
        for j in 0..p {
            let ridge = self.ridge * self.ridge_scale.get(j).copied().unwrap_or(1.0);
            loss += 0.5 * ridge * beta[j] * beta[j];
            out[j] += ridge * beta[j];
        }
        if hessian {
            let hh = &mut out[dim..];
            for a in 0..dim {
                for b in 0..a {
                    hh[b * dim + a] = hh[a * dim + b];
                }
            }
            for j in 0..p {
                hh[j * dim + j] += self.ridge * self.ridge_scale.get(j).copied().unwrap_or(1.0);
            }
        }
        (loss, out)
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
