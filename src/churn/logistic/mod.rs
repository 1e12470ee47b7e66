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

mod fit;
mod inference;
#[cfg(feature = "serde")]
mod load;
mod objective;
mod passes;
mod solver;

use ndarray::{Array1, ArrayView2};

pub use self::inference::CoefficientRow;
#[cfg(feature = "serde")]
use self::load::RawLogistic;
use self::objective::{CHUNK, dot, sigmoid};
pub use self::passes::{LogisticPass, LogisticPasses, LogisticSums};
use crate::churn::ChurnData;
use crate::error::{Error, Result};
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
