//! The design of a regression: the caller's features with an optional intercept column
//! (first), the response and the row weights, checked once; the names of the columns;
//! the tall-skinny QR of the (weighted) design and the collinearity check on its factor.

use ndarray::{ArrayView2, CowArray, Ix2};

use super::qr::{QR_CHUNK, dot, householder_r, merge_r, solve_upper};
use crate::error::{Error, Result};

/// The checked design: features (standard layout), response, weights, names.
pub(crate) struct Design<'a> {
    pub(crate) x: CowArray<'a, f64, Ix2>,
    pub(crate) y: &'a [f64],
    pub(crate) weights: Option<&'a [f64]>,
    pub(crate) intercept: bool,
    /// Names of the `k` columns: `intercept` (when fitted), then the features.
    pub(crate) names: Vec<String>,
}

impl<'a> Design<'a> {
    /// Checks the inputs: at least one row; `y`, the weights and the names one per
    /// row / column; every feature and response finite; weights finite and `> 0`;
    /// more rows than columns.
    pub(crate) fn new(
        model: &'static str,
        x: ArrayView2<'a, f64>,
        y: &'a [f64],
        weights: Option<&'a [f64]>,
        intercept: bool,
        feature_names: Option<&[String]>,
    ) -> Result<Self> {
        let (n, p) = x.dim();
        if n == 0 {
            return Err(Error::Empty { field: "x" });
        }
        if y.len() != n {
            return Err(Error::LengthMismatch {
                field: "y",
                expected: n,
                found: y.len(),
            });
        }
        if let Some(w) = weights
            && w.len() != n
        {
            return Err(Error::LengthMismatch {
                field: "weights",
                expected: n,
                found: w.len(),
            });
        }
        let mut names = Vec::with_capacity(p + 1);
        if intercept {
            names.push("intercept".to_string());
        }
        match feature_names {
            Some(given) => {
                if given.len() != p {
                    return Err(Error::LengthMismatch {
                        field: "feature_names",
                        expected: p,
                        found: given.len(),
                    });
                }
                names.extend(given.iter().cloned());
            }
            None => names.extend((0..p).map(|j| format!("x{j}"))),
        }
        crate::kernels::check_finite(&x)?;
        for (row, &v) in y.iter().enumerate() {
            crate::validate::finite("y", row, v)?;
        }
        if let Some(w) = weights {
            for (row, &v) in w.iter().enumerate() {
                crate::validate::finite("weights", row, v)?;
                if v <= 0.0 {
                    return Err(Error::InvalidValue {
                        field: "weights",
                        row,
                        value: v,
                        reason: "weights must be > 0 (drop the rows instead of weighting them 0)"
                            .into(),
                    });
                }
            }
        }
        let k = names.len();
        if k == 0 {
            return Err(Error::InsufficientData {
                model,
                reason: "the design has no columns: give features or fit an intercept".into(),
            });
        }
        if n <= k {
            return Err(Error::InsufficientData {
                model,
                reason: format!(
                    "{n} rows for {k} coefficients: the fit needs more rows than coefficients"
                ),
            });
        }
        Ok(Self {
            x: if x.is_standard_layout() {
                CowArray::from(x)
            } else {
                CowArray::from(x.as_standard_layout().into_owned())
            },
            y,
            weights,
            intercept,
            names,
        })
    }

    pub(crate) fn n(&self) -> usize {
        self.y.len()
    }

    /// Number of columns, intercept included.
    pub(crate) fn k(&self) -> usize {
        self.names.len()
    }

    /// The features of row `i` (without the intercept).
    #[inline(always)]
    pub(crate) fn row(&self, i: usize) -> &[f64] {
        let p = self.x.ncols();
        let data = self.x.as_slice().unwrap_or(&[]);
        &data[i * p..(i + 1) * p]
    }

    /// The weight of row `i` (1 without weights).
    #[inline(always)]
    pub(crate) fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// The linear predictor `x_i . beta` (intercept first in `beta`).
    #[inline(always)]
    pub(crate) fn linear(&self, i: usize, beta: &[f64]) -> f64 {
        let row = self.row(i);
        if self.intercept {
            beta[0] + dot(row, &beta[1..])
        } else {
            dot(row, beta)
        }
    }

    /// The `(k + 1) x (k + 1)` triangular factor of the weighted design with the
    /// weighted response as its last column, `sqrt(w) [X y]`: Householder QR of fixed
    /// chunks of rows in parallel, merged in chunk order.
    pub(crate) fn qr(&self) -> Result<Vec<f64>> {
        let k = self.k();
        let kk = k + 1;
        let n = self.n();
        let factor = |lo: usize, hi: usize| -> Vec<f64> {
            let m = hi - lo;
            let mut a = vec![0.0; m * kk];
            let c = usize::from(self.intercept);
            let s: Vec<f64> = (lo..hi).map(|i| self.weight(i).sqrt()).collect();
            // Row-major rows to column-major columns, a tile of rows at a time: a whole
            // row at a time writes one value into each of `kk` cache lines `m` apart;
            // a tile of 16 rows fills the lines it touches (10% of the OLS 1M x 20
            // bench).
            const TILE: usize = 16;
            for r0 in (0..m).step_by(TILE) {
                let r1 = (r0 + TILE).min(m);
                for j in 0..k - c {
                    for r in r0..r1 {
                        a[(c + j) * m + r] = s[r] * self.row(lo + r)[j];
                    }
                }
            }
            for r in 0..m {
                if self.intercept {
                    a[r] = s[r];
                }
                a[k * m + r] = s[r] * self.y[lo + r];
            }
            crate::math::simd::vectorized(
                #[inline(always)]
                || householder_r(&mut a, m, kk),
            )
        };
        let chunks = n.div_ceil(QR_CHUNK);
        let run = |c: usize| factor(c * QR_CHUNK, ((c + 1) * QR_CHUNK).min(n));
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<f64>> = {
            use rayon::prelude::*;
            (0..chunks).into_par_iter().map(run).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Vec<f64>> = (0..chunks).map(run).collect();
        let mut r = parts[0].clone();
        for part in &parts[1..] {
            r = merge_r(&r, part, kk);
        }
        if r.iter().any(|v| !v.is_finite()) {
            return Err(Error::InsufficientData {
                model: "least squares",
                reason: "the weighted sums of squares of the design are beyond the range of \
                         f64; rescale the features, the response or the weights"
                    .into(),
            });
        }
        Ok(r)
    }
}

/// Relative size `|r_jj| / ||x_j||` below which column `j` is taken as a linear
/// combination of the earlier columns (the sine of its angle to their span). Longley's
/// design, condition number 4.9e9, has its smallest ratio near 1e-6; exactly collinear
/// columns give ratios near 1e-15 after rounding.
pub(crate) const COLLINEAR_TOL: f64 = 1e-10;

/// Checks the `k x k` triangular factor `r` (row-major, leading block of a larger
/// factor with row stride `stride`) for a column that is a combination of earlier
/// ones; the error names it and the columns it combines.
pub(crate) fn check_rank(r: &[f64], stride: usize, k: usize, names: &[String]) -> Result<()> {
    let at = |i: usize, j: usize| r[i * stride + j];
    for j in 0..k {
        let norm = (0..=j).map(|i| at(i, j) * at(i, j)).sum::<f64>().sqrt();
        if at(j, j).abs() > COLLINEAR_TOL * norm && norm > 0.0 {
            continue;
        }
        let column = names[j].clone();
        if norm == 0.0 {
            return Err(Error::Collinear {
                column,
                with: Vec::new(),
                reason: "is all zeros (with the row weights): drop it".into(),
            });
        }
        // Coefficients of column j on the earlier (independent) columns.
        let lead: Vec<f64> = (0..j)
            .flat_map(|i| (0..j).map(move |c| (i, c)))
            .map(|(i, c)| at(i, c))
            .collect();
        let rhs: Vec<f64> = (0..j).map(|i| at(i, j)).collect();
        let coef = solve_upper(&lead, &rhs, j);
        let contribution = |i: usize| {
            let ni = (0..=i).map(|l| at(l, i) * at(l, i)).sum::<f64>().sqrt();
            (coef[i] * ni).abs()
        };
        let mut with: Vec<usize> = (0..j).filter(|&i| contribution(i) > 1e-6 * norm).collect();
        with.sort_by(|&a, &b| contribution(b).total_cmp(&contribution(a)));
        let with: Vec<String> = with.into_iter().map(|i| names[i].clone()).collect();
        let reason = if with.len() == 1 && with[0] == "intercept" {
            "is constant, so it duplicates the intercept: drop it (or fit without an intercept)"
                .to_string()
        } else {
            format!(
                "is a linear combination of {} (the design is rank deficient): drop one of \
                 them",
                with.join(", ")
            )
        };
        return Err(Error::Collinear {
            column,
            with,
            reason,
        });
    }
    Ok(())
}
