//! Logistic regression for churn risk, with an optional L2 penalty, sample and class
//! weights, and inference (standard errors, z, p-values, intervals) for unpenalized fits.
//!
//! The fit minimizes the mean weighted log-loss plus `penalty * ||w||^2` (the crate's
//! one meaning of [`penalty`](crate::model::Regularized::penalty); the intercept is not
//! penalized):
//! `(1 / W) sum_i s_i * logloss_i + penalty * sum_j w_j^2`, where `s_i` are sample
//! weights times class weights and `W` is their sum (the number of rows when
//! unweighted; with [`balanced`](LogisticRegressionParams::balanced) class weights the
//! weights also sum to the number of rows, as in scikit-learn). This is scikit-learn's
//! objective with `C = 1 / (2 * penalty * W)`: to reproduce a fit with a given `C`, use
//! `penalty = 1 / (2 * C * W)`. A penalty of 0 (the default) fits the plain maximum
//! likelihood, as statsmodels' `Logit`.
//!
//! Solver: Newton's method (iteratively reweighted least squares) with a Cholesky solve
//! of the `(p + 1) x (p + 1)` Hessian and a backtracking line search, for up to
//! [`NEWTON_MAX_FEATURES`] features; above that, BFGS on the same objective
//! ([`crate::math::optim::bfgs`]), which never forms the Hessian from the data. Each
//! iteration makes one pass over the rows computing the loss, gradient and (Newton)
//! Hessian together, in parallel over fixed chunks of rows reduced in a fixed order.
//!
//! ```
//! use ndarray::array;
//! use patronage::prelude::*;
//! use patronage::churn::LogisticRegression;
//!
//! let x = array![[0.5], [1.0], [1.5], [2.0], [2.5], [3.0], [3.5], [4.0]];
//! let y = [false, false, true, false, true, false, true, true];
//! let model = LogisticRegression::params().fit((x.view(), &y))?;
//! let p = model.predict_proba(array![[1.0], [4.0]].view())?;
//! assert!(p[0] < 0.5 && p[1] > 0.5);
//! assert!(model.report().standard_errors.is_some()); // unpenalized: inference available
//! # Ok::<(), patronage::Error>(())
//! ```

use ndarray::{Array1, ArrayView2};

use crate::churn::ChurnData;
use crate::error::{Error, Result};
use crate::math::optim::{OptimOptions, bfgs, cholesky, cholesky_inverse};
use crate::model::{Classifier, Fit, FitReport, FittedModel, Optimized, Optimizer, Regularized};

/// Above this many features the solver is BFGS rather than Newton.
pub const NEWTON_MAX_FEATURES: usize = 200;

/// Logistic regression settings (a builder, from [`LogisticRegression::params`]);
/// [`Fit::fit`] returns a fitted [`LogisticRegression`].
///
/// Data: features `x` (`n x p`, an `ArrayView2<f64>`) with labels (`true` = churned),
/// `(x, &y)`; with per-row sample weights, `(x, &y, &w)`; or a labelled
/// [`&ChurnData`](ChurnData) from [`label`](crate::churn::label), whose feature names the
/// model keeps unless names were set here. Labels and weights are anything that reads
/// as a slice (`&[bool]`, `&Vec<bool>`, `&[bool; N]`).
///
/// Optimizer settings ([`Optimized`], [`Regularized`]): `.max_iter(n)` (default 100),
/// `.tol(t)` on the largest gradient component of the mean objective (default 1e-8),
/// `.penalty(l)` (default 0, none). The penalty adds `l * sum(w_j^2)` over the
/// coefficients (not the intercept) to the mean weighted log-loss, so scikit-learn's
/// `C` is `1 / (2 * l * W)` for `W` the sum of the weights (the rows when unweighted):
/// `LogisticRegression(C=1.0)` on 1,000 rows is `.penalty(1.0 / (2.0 * 1.0 * 1000.0))`.
/// A penalized fit has no standard errors.
///
/// ```
/// use ndarray::array;
/// use patronage::prelude::*;
/// use patronage::churn::LogisticRegression;
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = [false, false, true, true]; // separable: needs a penalty
/// let c = 1.0; // scikit-learn's C
/// let penalty = 1.0 / (2.0 * c * y.len() as f64);
/// let m = LogisticRegression::params().penalty(penalty).fit((x.view(), &y))?;
/// assert!(m.coefficients()[0] > 0.0);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogisticRegressionParams {
    optimizer: Optimizer,
    fit_intercept: bool,
    balanced: bool,
    feature_names: Option<Vec<String>>,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        Self {
            optimizer: Optimizer::new(100, 1e-8),
            fit_intercept: true,
            balanced: false,
            feature_names: None,
        }
    }
}

impl Optimized for LogisticRegressionParams {
    fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }
}

impl Regularized for LogisticRegressionParams {}

impl LogisticRegression {
    /// The settings to fit with: unpenalized, with an intercept, no class weights,
    /// `tol` 1e-8 on the gradient of the mean objective, at most 100 iterations.
    pub fn params() -> LogisticRegressionParams {
        LogisticRegressionParams::default()
    }
}

impl LogisticRegressionParams {
    /// Whether to fit an intercept (default true).
    #[must_use]
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.fit_intercept = yes;
        self
    }

    /// Weight classes inversely to their frequency, `n / (2 * n_class)`, as
    /// scikit-learn's `class_weight="balanced"` (the class weights sum to `n`).
    #[must_use]
    pub fn balanced(mut self, yes: bool) -> Self {
        self.balanced = yes;
        self
    }

    /// Names of the feature columns, kept by the fitted model for its tables.
    #[must_use]
    pub fn feature_names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.feature_names = Some(names.iter().map(|s| s.as_ref().to_string()).collect());
        self
    }

    /// The fit behind every [`Fit`] impl: features `x`, labels `y`, optional sample
    /// weights, and the feature names to keep when none were set.
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::LengthMismatch`] when `y`, the weights or
    /// the feature names do not match `x`; [`Error::NonFinite`] for NaN or infinite
    /// features or weights; [`Error::Negative`] for a negative weight;
    /// [`Error::InsufficientData`] when only one class is present or, without a penalty,
    /// when the classes are (quasi-) completely separated: detected when the iterates
    /// diverge or the fit's largest |log-odds| exceeds 30 (add a penalty);
    /// [`Error::InvalidParameter`] for an optimizer setting out of range
    /// ([`Optimizer::check`]); [`Error::NotConverged`] with the last coefficients
    /// (intercept last) when `max_iter` is reached.
    fn fit_rows(
        &self,
        x: ArrayView2<f64>,
        y: &[bool],
        sample_weight: Option<&[f64]>,
        default_names: Option<&[String]>,
    ) -> Result<LogisticRegression> {
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
        if let Some(w) = sample_weight
            && w.len() != n
        {
            return Err(Error::LengthMismatch {
                field: "sample_weight",
                expected: n,
                found: w.len(),
            });
        }
        let feature_names = self
            .feature_names
            .as_deref()
            .or(default_names)
            .map(<[String]>::to_vec);
        if let Some(names) = &feature_names
            && names.len() != p
        {
            return Err(Error::LengthMismatch {
                field: "feature_names",
                expected: p,
                found: names.len(),
            });
        }
        self.optimizer.check()?;
        let Optimizer {
            max_iter,
            tol,
            penalty,
        } = self.optimizer;
        // One vectorized pass checks every value and finds the largest; the per-column
        // maxima are read only when some column may need rescaling (a per-column pass
        // on every fit cost 9% of the logit-1M fit bench).
        let max_abs = crate::kernels::check_finite_max_abs(&x)?;
        let col_max: Vec<f64> = if max_abs > LARGE_FEATURE {
            x.columns()
                .into_iter()
                .map(|c| c.iter().fold(0.0f64, |m, v| m.max(v.abs())))
                .collect()
        } else {
            vec![0.0; p]
        };
        if let Some(w) = sample_weight {
            for (row, &v) in w.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        field: "sample_weight",
                        row,
                        value: v,
                    });
                }
                if v < 0.0 {
                    return Err(Error::Negative {
                        field: "sample_weight",
                        row,
                        value: v,
                    });
                }
            }
        }
        let positives = y.iter().filter(|&&v| v).count();
        if positives == 0 || positives == n {
            return Err(Error::InsufficientData {
                model: "logistic regression",
                reason: "only one class is present in y".into(),
            });
        }

        // Row weights: sample weight times class weight.
        let (w0, w1) = if self.balanced {
            (
                n as f64 / (2.0 * (n - positives) as f64),
                n as f64 / (2.0 * positives as f64),
            )
        } else {
            (1.0, 1.0)
        };
        let weights: Vec<f64> = (0..n)
            .map(|i| sample_weight.map_or(1.0, |w| w[i]) * if y[i] { w1 } else { w0 })
            .collect();
        let total_weight: f64 = weights.iter().sum();
        if !total_weight.is_finite() {
            let row = (0..n)
                .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
                .unwrap_or(0);
            return Err(Error::InvalidValue {
                field: "sample_weight",
                row,
                value: sample_weight.map_or(weights[row], |w| w[row]),
                reason: "the weights sum beyond the range of f64; rescale them".into(),
            });
        }
        if total_weight <= 0.0 {
            return Err(Error::InsufficientData {
                model: "logistic regression",
                reason: "all sample weights are zero".into(),
            });
        }
        // Columns with values so large that the gradient and Hessian sums (squares of
        // the values) could overflow are fitted scaled by a power of two c_j, exactly:
        // the coefficient on the scaled column is w_j / c_j, and the penalty on it is
        // scaled by c_j^2 so the objective is unchanged.
        let col_scale: Vec<f64> = col_max
            .iter()
            .map(|&m| {
                if m > LARGE_FEATURE {
                    crate::segment::scale::pow2_scale(m)
                } else {
                    1.0
                }
            })
            .collect();
        let rescaled = col_scale.iter().any(|&c| c != 1.0);
        let mut problem = Problem {
            x: if rescaled {
                let mut owned = x.to_owned();
                for (mut col, &c) in owned.columns_mut().into_iter().zip(&col_scale) {
                    col.mapv_inplace(|v| v * c);
                }
                ndarray::CowArray::from(owned)
            } else {
                x.as_standard_layout()
            },
            y: y.iter().map(|&v| f64::from(u8::from(v))).collect(),
            weights,
            p,
            intercept: self.fit_intercept,
            // Mean objective: loss / W + (ridge / 2) ||w||^2 = loss / W + penalty ||w||^2.
            ridge: 2.0 * penalty,
            ridge_scale: if rescaled {
                col_scale.iter().map(|c| c * c).collect()
            } else {
                Vec::new()
            },
            total_weight,
        };
        let dim = p + usize::from(self.fit_intercept);
        let (beta, iterations) = if p <= NEWTON_MAX_FEATURES {
            problem.newton_warm(tol, max_iter)?
        } else {
            problem.quasi_newton(tol, max_iter)?
        };
        let unpenalized = penalty == 0.0;
        if unpenalized && problem.max_abs_linear_predictor(&beta) > SEPARATION_Z {
            return Err(separated());
        }
        let (mut coef, intercept) = if self.fit_intercept {
            (beta[..p].to_vec(), beta[p])
        } else {
            (beta.clone(), 0.0)
        };
        for (w, c) in coef.iter_mut().zip(&col_scale) {
            *w *= c;
        }
        // The log-likelihood without the penalty.
        problem.ridge = 0.0;
        let (loss, _) = problem.evaluate(&beta, false);
        let log_likelihood = -loss * total_weight;
        let standard_errors = if unpenalized {
            // Observed information X' W X at the optimum (unscaled), inverted.
            let (_, grad_hess) = problem.evaluate(&beta, true);
            let info: Vec<f64> = grad_hess[dim..].iter().map(|h| h * total_weight).collect();
            let cov = cholesky_inverse(&info, dim).ok_or_else(separated)?;
            Some(
                (0..dim)
                    .map(|i| cov[i * dim + i].sqrt() * col_scale.get(i).copied().unwrap_or(1.0))
                    .collect(),
            )
        } else {
            None
        };
        Ok(LogisticRegression {
            coefficients: coef,
            intercept,
            feature_names,
            report: FitReport::new(
                log_likelihood,
                dim,
                total_weight,
                standard_errors,
                iterations,
                true,
            ),
            fit_intercept: self.fit_intercept,
        })
    }
}

/// Fits on features `x` (`n x p`) and labels `y` (`true` = churned).
///
/// # Errors
/// [`Error::Empty`] for no rows; [`Error::LengthMismatch`] when `y` or the feature names
/// do not match `x`; [`Error::NonFinite`] for NaN or infinite features;
/// [`Error::InsufficientData`] when only one class is present or, without a penalty,
/// when the classes are (quasi-) completely separated: detected when the iterates
/// diverge or the fit's largest |log-odds| exceeds 30 (add a penalty);
/// [`Error::InvalidParameter`] for an optimizer setting out of range;
/// [`Error::NotConverged`] with the last coefficients (intercept last) when `max_iter`
/// is reached.
impl<Y> Fit<(ArrayView2<'_, f64>, &Y)> for LogisticRegressionParams
where
    Y: AsRef<[bool]> + ?Sized,
{
    type Fitted = LogisticRegression;

    fn fit(&self, (x, y): (ArrayView2<'_, f64>, &Y)) -> Result<LogisticRegression> {
        self.fit_rows(x, y.as_ref(), None, None)
    }
}

/// Fits on features `x`, labels `y` and per-row sample weights `w` (finite, `>= 0`,
/// not all 0), which multiply the class weights when
/// [`balanced`](LogisticRegressionParams::balanced).
///
/// # Errors
/// As the unweighted fit, and [`Error::LengthMismatch`] for weights not one per row,
/// [`Error::NonFinite`] or [`Error::Negative`] naming a weight's row,
/// [`Error::InvalidValue`] for weights whose sum is beyond f64, and
/// [`Error::InsufficientData`] when all weights are 0.
impl<Y, W> Fit<(ArrayView2<'_, f64>, &Y, &W)> for LogisticRegressionParams
where
    Y: AsRef<[bool]> + ?Sized,
    W: AsRef<[f64]> + ?Sized,
{
    type Fitted = LogisticRegression;

    fn fit(&self, (x, y, w): (ArrayView2<'_, f64>, &Y, &W)) -> Result<LogisticRegression> {
        self.fit_rows(x, y.as_ref(), Some(w.as_ref()), None)
    }
}

/// Fits on a labelled churn data set: its features and churn labels, keeping its
/// feature names unless names were set on the params.
///
/// # Errors
/// As the fit on `(x, &y)`.
impl Fit<&ChurnData> for LogisticRegressionParams {
    type Fitted = LogisticRegression;

    fn fit(&self, data: &ChurnData) -> Result<LogisticRegression> {
        self.fit_rows(
            data.features.view(),
            &data.churned,
            None,
            Some(&data.feature_names),
        )
    }
}

fn separated() -> Error {
    Error::InsufficientData {
        model: "logistic regression",
        reason: "the classes are (quasi-)completely separated by the features, so the unpenalized maximum likelihood does not exist; add an L2 penalty with .penalty(l)".into(),
    }
}

/// The data and objective of one fit, on the scale of the mean objective.
struct Problem<'a> {
    x: ndarray::CowArray<'a, f64, ndarray::Ix2>,
    y: Vec<f64>,
    weights: Vec<f64>,
    p: usize,
    intercept: bool,
    ridge: f64,
    /// Per-coefficient factors of the ridge (c_j^2 for a rescaled column); empty when
    /// no column is rescaled.
    ridge_scale: Vec<f64>,
    total_weight: f64,
}

/// An unpenalized fit whose largest |log-odds| exceeds this (fitted probabilities
/// within about 1e-13 of 0 or 1) is reported as (quasi-)separated: the likelihood keeps
/// rising as coefficients grow, so the "optimum" is only where the optimizer stopped.
const SEPARATION_Z: f64 = 30.0;

/// Rows per chunk of parallel work.
const CHUNK: usize = 8192;

/// Feature columns with a |value| above this are fitted rescaled (see `fit_weighted`):
/// the Hessian sums squares of the values over the rows.
const LARGE_FEATURE: f64 = 1e100;

/// Rows above which Newton starts from a subsample's fit (see `newton_warm`).
const WARM_START_ROWS: usize = 50_000;

/// Gradient-only chord steps tried before falling back to full Newton.
const CHORD_STEPS: usize = 12;

/// Dot product with four independent accumulators, so it vectorizes.
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
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

/// `intercept + x . coefficients` with `x` and the coefficients scaled by powers of two
/// so that no product or partial sum overflows (each term is at most 1), scaled back:
/// infinite only when the true value is beyond f64, never NaN.
fn scaled_linear(intercept: f64, x: &[f64], coef: &[f64]) -> f64 {
    use crate::segment::scale::pow2_scale;
    let sx = pow2_scale(x.iter().fold(1.0f64, |m, v| m.max(v.abs())));
    let sb = pow2_scale(coef.iter().fold(intercept.abs(), |m, v| m.max(v.abs())));
    let z = x
        .iter()
        .zip(coef)
        .fold(intercept * sb * sx, |acc, (v, b)| acc + (v * sx) * (b * sb));
    z / sx / sb
}

/// The logistic function, stable for large `|z|`.
fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

impl Problem<'_> {
    fn dim(&self) -> usize {
        self.p + usize::from(self.intercept)
    }

    /// Mean objective and gradient (`out[..dim]`), plus the Hessian (row-major, after
    /// the gradient) when asked; one pass over the rows. Rows are processed in blocks:
    /// the block is transposed so the Hessian's entries are dot products over
    /// contiguous columns, which vectorize.
    fn evaluate(&self, beta: &[f64], hessian: bool) -> (f64, Vec<f64>) {
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

    fn max_abs_linear_predictor(&self, beta: &[f64]) -> f64 {
        let p = self.p;
        let b0 = if self.intercept { beta[p] } else { 0.0 };
        self.x
            .rows()
            .into_iter()
            .map(|r| (r.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() + b0).abs())
            .fold(0.0, f64::max)
    }

    /// Newton for large inputs in three stages: a full Newton fit to an evenly strided
    /// subsample (same mean objective, so nearly the same optimum), one Hessian pass over
    /// all rows there, then chord steps `β ← β - H₀⁻¹ g(β)` that each need only a
    /// gradient pass (several times cheaper than a Hessian pass). Near the optimum the
    /// chord iteration contracts fast; if it does not, full Newton takes over from where
    /// it stands. The answer is the full-data optimum either way.
    fn newton_warm(&self, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let n = self.y.len();
        let dim = self.dim();
        if n < 4 * WARM_START_ROWS {
            return self.newton(vec![0.0; dim], tol, max_iter);
        }
        let stride = n / WARM_START_ROWS;
        let rows: Vec<usize> = (0..n).step_by(stride).collect();
        let sub_weights: Vec<f64> = rows.iter().map(|&i| self.weights[i]).collect();
        let sub_total: f64 = sub_weights.iter().sum();
        if sub_total <= 0.0 {
            return self.newton(vec![0.0; dim], tol, max_iter);
        }
        let sub = Problem {
            x: ndarray::CowArray::from(self.x.select(ndarray::Axis(0), &rows)),
            y: rows.iter().map(|&i| self.y[i]).collect(),
            weights: sub_weights,
            p: self.p,
            intercept: self.intercept,
            ridge: self.ridge,
            ridge_scale: self.ridge_scale.clone(),
            total_weight: sub_total,
        };
        let start = match sub.newton(vec![0.0; dim], tol, max_iter) {
            Ok((b, _)) => b,
            // The subsample may be separable when the data are not: start at zero.
            Err(_) => return self.newton(vec![0.0; dim], tol, max_iter),
        };
        let (mut loss, gh) = self.evaluate(&start, true);
        let mut beta = start;
        let hess = gh[dim..].to_vec();
        let mut grad = gh[..dim].to_vec();
        let gmax = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut previous = gmax(&grad);
        for it in 1..=CHORD_STEPS {
            if previous <= tol {
                return Ok((beta, it - 1));
            }
            let Some(step) = solve_spd(&hess, &grad, dim) else {
                break;
            };
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - s).collect();
            let (l, out) = self.evaluate(&trial, false);
            let g = gmax(&out[..dim]);
            // Accept only clear progress; otherwise hand over to full Newton.
            if !(l.is_finite() && l <= loss + 1e-12 * loss.abs() && g < 0.5 * previous) {
                break;
            }
            (beta, loss, previous) = (trial, l, g);
            grad.copy_from_slice(&out[..dim]);
        }
        if previous <= tol {
            return Ok((beta, CHORD_STEPS));
        }
        self.newton(beta, tol, max_iter)
    }

    /// Newton / IRLS with a Cholesky solve and backtracking on the objective.
    fn newton(&self, start: Vec<f64>, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let dim = self.dim();
        let mut beta = start;
        let (mut loss, mut gh) = self.evaluate(&beta, true);
        for it in 1..=max_iter {
            let grad = &gh[..dim];
            if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= tol {
                return Ok((beta, it - 1));
            }
            let hess = &gh[dim..];
            let step = solve_spd(hess, grad, dim).ok_or_else(|| {
                if self.ridge == 0.0 {
                    separated()
                } else {
                    not_converged(it, "singular Hessian", &beta)
                }
            })?;
            // Full Newton step first, evaluated with its Hessian (one pass); halve the
            // step with cheaper loss-only passes if the objective did not decrease.
            let mut t = 1.0;
            let mut accepted = false;
            for k in 0..50 {
                let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
                let (l, out) = self.evaluate(&trial, k == 0);
                if l.is_finite() && l <= loss + 1e-12 * loss.abs() {
                    beta = trial;
                    (loss, gh) = if k == 0 {
                        (l, out)
                    } else {
                        self.evaluate(&beta, true)
                    };
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                // No decrease possible: at the optimum up to rounding, or stuck.
                let gmax = gh[..dim].iter().fold(0.0f64, |m, g| m.max(g.abs()));
                if gmax <= tol.sqrt() {
                    return Ok((beta, it));
                }
                return Err(not_converged(
                    it,
                    "the line search could not decrease the objective",
                    &beta,
                ));
            }
            if self.ridge == 0.0 && (loss < 1e-10 || beta.iter().any(|b| b.abs() > 1e4)) {
                return Err(separated());
            }
        }
        let grad = &gh[..dim];
        if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= tol {
            return Ok((beta, max_iter));
        }
        Err(not_converged(max_iter, "iteration limit reached", &beta))
    }

    /// BFGS for many features (no Hessian from the data).
    fn quasi_newton(&self, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let dim = self.dim();
        let opts = OptimOptions {
            max_iter: max_iter.max(10 * dim),
            gtol: tol,
            ftol: 0.0,
        };
        let m = bfgs(
            |b, g| {
                let (l, out) = self.evaluate(b, false);
                g.copy_from_slice(&out[..dim]);
                l
            },
            &vec![0.0; dim],
            &opts,
        );
        if self.ridge == 0.0 && (m.value < 1e-10 || m.x.iter().any(|b| b.abs() > 1e4)) {
            return Err(separated());
        }
        if !m.converged {
            return Err(not_converged(m.iterations, m.message, &m.x));
        }
        Ok((m.x, m.iterations))
    }
}

fn not_converged(iterations: usize, reason: &str, beta: &[f64]) -> Error {
    Error::NotConverged {
        model: "logistic regression",
        iterations,
        reason: reason.into(),
        last_iterate: beta.to_vec(),
    }
}

/// Solves `A x = b` for symmetric positive-definite `A` by Cholesky; retries with a
/// small diagonal jitter before giving up.
fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let scale = (0..n)
        .map(|i| a[i * n + i].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    let l = cholesky(a, n).or_else(|| {
        let mut j = a.to_vec();
        for i in 0..n {
            j[i * n + i] += 1e-10 * scale;
        }
        cholesky(&j, n)
    })?;
    // Forward then back substitution.
    let mut z = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * z[k]).sum();
        z[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (z[i] - s) / l[i * n + i];
    }
    Some(x)
}

/// `exp(coefficient)` where it is finite.
fn odds_ratio(coefficient: f64) -> Option<f64> {
    Some(coefficient.exp()).filter(|v| v.is_finite())
}

/// One row of [`LogisticRegression::summary`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CoefficientRow {
    /// The feature's name (`x0`, `x1`, ... without names; `intercept` last).
    pub name: String,
    /// The coefficient (log-odds per unit).
    pub coefficient: f64,
    /// `exp(coefficient)`, or `None` where it is beyond f64 (a coefficient above about
    /// 709, as a feature on a tiny scale gives).
    pub odds_ratio: Option<f64>,
    /// Standard error (unpenalized fits).
    pub standard_error: Option<f64>,
    /// z value.
    pub z: Option<f64>,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// 95% confidence interval of the coefficient.
    pub interval_95: Option<(f64, f64)>,
}

/// A fitted logistic regression (from [`LogisticRegression::params`] and [`Fit`]):
/// probabilities through [`Classifier`], its fit (log-likelihood, criteria, standard
/// errors of unpenalized fits, iterations) through [`FittedModel`], the coefficient
/// table through [`summary`](Self::summary).
///
/// Parameters ([`FittedModel::parameters`]) are the coefficients in feature order
/// (named by the feature names, or `x0`, `x1`, ...), then the intercept (`intercept`)
/// when one is fitted; the report counts `k` = coefficients plus intercept and
/// `n` = the sum of the row weights (the rows when unweighted).
///
/// With serde, a model is checked as it is read: finite coefficients and intercept
/// (0 without one), one feature name per coefficient when names are given, and a fit
/// report as [`FitReport`] makes it for those parameters (finite log-likelihood, its
/// criteria, one standard error per parameter, each finite and non-negative). A file
/// that breaks one of these is an [`Error`] (naming the field) at load time, not a
/// panic in [`summary`](Self::summary).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawLogistic")
)]
pub struct LogisticRegression {
    coefficients: Vec<f64>,
    intercept: f64,
    feature_names: Option<Vec<String>>,
    report: FitReport,
    fit_intercept: bool,
}

/// [`LogisticRegression`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawLogistic {
    coefficients: Vec<f64>,
    intercept: f64,
    feature_names: Option<Vec<String>>,
    report: FitReport,
    fit_intercept: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLogistic> for LogisticRegression {
    type Error = Error;

    fn try_from(raw: RawLogistic) -> Result<LogisticRegression> {
        use crate::validate::{
            all_finite as finite, invalid_parameter as invalid, same_len as len,
        };
        let p = raw.coefficients.len();
        finite("coefficients", &raw.coefficients)?;
        finite("intercept", &[raw.intercept])?;
        if !raw.fit_intercept && raw.intercept != 0.0 {
            return Err(invalid(
                "intercept",
                raw.intercept,
                "a model fitted without an intercept has intercept 0",
            ));
        }
        if let Some(names) = &raw.feature_names {
            len("feature_names", p, names.len())?;
        }
        // Only a fit makes a logistic regression: the empty report of a model built
        // from given parameters is not one.
        if raw.report.is_unfitted() {
            return Err(invalid(
                "report.log_likelihood",
                raw.report.log_likelihood,
                "a saved logistic regression carries the report of its fit",
            ));
        }
        let report = raw
            .report
            .loaded("logistic regression", p + usize::from(raw.fit_intercept))?;
        Ok(LogisticRegression {
            coefficients: raw.coefficients,
            intercept: raw.intercept,
            feature_names: raw.feature_names,
            report,
            fit_intercept: raw.fit_intercept,
        })
    }
}

impl FittedModel for LogisticRegression {
    fn report(&self) -> &FitReport {
        &self.report
    }

    /// The feature names (or `x0`, `x1`, ...), then `intercept` when one is fitted.
    fn parameter_names(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..self.coefficients.len())
            .map(|j| self.feature_name(j))
            .collect();
        if self.fit_intercept {
            names.push("intercept".into());
        }
        names
    }

    /// The coefficients, then the intercept when one is fitted.
    fn parameter_values(&self) -> Vec<f64> {
        let mut values = self.coefficients.clone();
        if self.fit_intercept {
            values.push(self.intercept);
        }
        values
    }
}

impl Classifier for LogisticRegression {
    /// The probability of `true` (churn) for each row.
    ///
    /// # Errors
    /// As [`decision_function`](LogisticRegression::decision_function).
    fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        self.linear(x, sigmoid, true)
    }
}

impl LogisticRegression {
    /// The name of feature `j`: its given name, or `x{j}`.
    fn feature_name(&self, j: usize) -> String {
        self.feature_names
            .as_ref()
            .and_then(|n| n.get(j).cloned())
            .unwrap_or_else(|| format!("x{j}"))
    }

    /// Coefficients, one per feature.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The intercept (0 when not fitted).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Feature names, when given.
    pub fn feature_names(&self) -> Option<&[String]> {
        self.feature_names.as_deref()
    }

    /// Odds ratios `exp(coefficient)`, one per feature.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the first coefficient whose exponential is beyond
    /// f64 (above about 709: rescale that feature, or read the coefficient itself).
    pub fn odds_ratios(&self) -> Result<Vec<f64>> {
        self.coefficients
            .iter()
            .enumerate()
            .map(|(row, &c)| {
                odds_ratio(c).ok_or_else(|| Error::InvalidValue {
                    field: "coefficients",
                    row,
                    value: c,
                    reason: "its odds ratio exp(coefficient) is beyond f64; rescale the \
                             feature or read the log-odds coefficient"
                        .into(),
                })
            })
            .collect()
    }

    /// The coefficient table: estimates, odds ratios, and for unpenalized fits standard
    /// errors, z, two-sided p-values and 95% intervals; the intercept last.
    pub fn summary(&self) -> Vec<CoefficientRow> {
        let normal = statrs::distribution::Normal::standard();
        let mut rows = Vec::new();
        let mut push = |name: String, coef: f64, se: Option<f64>| {
            use statrs::distribution::ContinuousCDF;
            let z = se.map(|s| coef / s);
            rows.push(CoefficientRow {
                name,
                coefficient: coef,
                odds_ratio: odds_ratio(coef),
                standard_error: se,
                z,
                p_value: z.map(|z| 2.0 * normal.cdf(-z.abs())),
                interval_95: se.map(|s| {
                    (
                        coef - 1.959_963_984_540_054 * s,
                        coef + 1.959_963_984_540_054 * s,
                    )
                }),
            });
        };
        let se = self.report.standard_errors.as_deref();
        for (j, &c) in self.coefficients.iter().enumerate() {
            push(self.feature_name(j), c, se.and_then(|s| s.get(j).copied()));
        }
        if self.fit_intercept {
            let p = self.coefficients.len();
            push(
                "intercept".into(),
                self.intercept,
                se.and_then(|s| s.get(p).copied()),
            );
        }
        rows
    }

    fn check_columns(&self, x: &ArrayView2<f64>) -> Result<()> {
        if x.ncols() != self.coefficients.len() {
            return Err(Error::LengthMismatch {
                field: "x columns",
                expected: self.coefficients.len(),
                found: x.ncols(),
            });
        }
        Ok(())
    }

    /// The linear predictor (log-odds) of each row.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for the wrong number of columns; [`Error::NonFinite`].
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        self.linear(x, |z| z, false)
    }

    /// `link(intercept + x . coefficients)` per row, in parallel chunks of rows.
    ///
    /// Validation rides along: a NaN or infinite feature makes its row's linear
    /// predictor non-finite, so only such rows are re-read to find the culprit, and the
    /// data are read once.
    ///
    /// A finite row whose predictor overflowed (or became NaN as inf - inf) is
    /// recomputed with scaling: its sign and size then give a probability of 0 or 1
    /// (`saturate`), or, for the log-odds themselves, an error naming the row when they
    /// are beyond f64.
    fn linear(
        &self,
        x: ArrayView2<f64>,
        link: impl Fn(f64) -> f64 + Sync,
        saturate: bool,
    ) -> Result<Array1<f64>> {
        self.check_columns(&x)?;
        let x = x.as_standard_layout();
        let data = x.as_slice().unwrap_or(&[]);
        let p = self.coefficients.len();
        let mut out = vec![0.0; x.nrows()];
        let fill = |(c, chunk): (usize, &mut [f64])| -> Vec<usize> {
            let mut suspects = Vec::new();
            for (k, o) in chunk.iter_mut().enumerate() {
                let i = c * CHUNK + k;
                let z = self.intercept + dot(&data[i * p..(i + 1) * p], &self.coefficients);
                if !z.is_finite() {
                    suspects.push(i);
                }
                *o = z;
            }
            // The link runs over the chunk afterwards, on cached values, so the row
            // stream above is not interleaved with exponentials.
            chunk.iter_mut().for_each(|o| *o = link(*o));
            suspects
        };
        #[cfg(feature = "parallel")]
        let suspects: Vec<Vec<usize>> = {
            use rayon::prelude::*;
            out.par_chunks_mut(CHUNK).enumerate().map(fill).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let suspects: Vec<Vec<usize>> = out.chunks_mut(CHUNK).enumerate().map(fill).collect();
        // Rows in order: the first with a non-finite value is the error.
        for row in suspects.into_iter().flatten() {
            let r = &data[row * p..(row + 1) * p];
            if let Some(&value) = r.iter().find(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    field: "x",
                    row,
                    value,
                });
            }
            let z = scaled_linear(self.intercept, r, &self.coefficients);
            if !z.is_finite() && !saturate {
                let value = r
                    .iter()
                    .fold(0.0f64, |m, &v| if v.abs() > m.abs() { v } else { m });
                return Err(Error::InvalidValue {
                    field: "x",
                    row,
                    value,
                    reason:
                        "its log-odds (intercept + x . coefficients) are beyond the range of f64"
                            .into(),
                });
            }
            out[row] = link(z);
        }
        Ok(Array1::from(out))
    }
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod warm_start_tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The subsample warm start with chord steps lands on the same optimum as Newton
    /// from zero (the full-data optimum), penalized or not.
    #[test]
    fn warm_start_reaches_the_full_data_optimum() {
        let (n, p) = (4 * WARM_START_ROWS + 123, 5);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        let x = ndarray::Array2::from_shape_fn((n, p), |_| rng.random::<f64>() * 2.0 - 1.0);
        let y: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| {
                let z = 0.3
                    + r.iter()
                        .enumerate()
                        .map(|(j, v)| (j as f64 - 2.0) * v)
                        .sum::<f64>();
                f64::from(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-z).exp())))
            })
            .collect();
        for ridge in [0.0, 1.0 / n as f64] {
            let problem = Problem {
                x: ndarray::CowArray::from(x.view()),
                y: y.clone(),
                weights: vec![1.0; n],
                p,
                intercept: true,
                ridge,
                ridge_scale: Vec::new(),
                total_weight: n as f64,
            };
            let (warm, _) = problem.newton_warm(1e-10, 100).unwrap();
            let (cold, _) = problem.newton(vec![0.0; p + 1], 1e-10, 100).unwrap();
            for (a, b) in warm.iter().zip(&cold) {
                assert!((a - b).abs() < 1e-8, "{warm:?} vs {cold:?}");
            }
        }
    }
}
