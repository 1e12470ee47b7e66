//! Linear regression by least squares: ordinary, weighted and ridge, solved by
//! Householder QR, with statsmodels' OLS summary.

use ndarray::{Array1, ArrayView2};

use super::design::{Design, check_rank};
use super::inference::{Coefficient, Reference, table};
use super::qr::{gram_inverse, invert_upper, merge_r, singular_values, solve_upper};
use crate::error::{Error, Result};
use crate::model::{Fit, FitReport, FittedModel};

const MODEL: &str = "linear regression";

/// Rows per block of the residual pass (column-major block buffers).
const BLOCK: usize = 64;

/// Linear regression settings (a builder, from [`LinearRegression::params`]);
/// [`Fit::fit`] returns a fitted [`LinearRegression`].
///
/// Data: the design `x` (`n x p` features, an `ArrayView2<f64>`) and the response `y`,
/// `(x, &y)`; for weighted least squares, `(x, &y, &w)` with weights `w > 0`
/// (statsmodels' `WLS(y, X, weights=w)`: row `i`'s squared residual counts `w_i`
/// times, as with variances `sigma^2 / w_i`). Slices are anything that reads as
/// `&[f64]`.
///
/// ```
/// use ndarray::array;
/// use patronage::prelude::*;
/// use patronage::regression::LinearRegression;
/// let x = array![[1.0, 0.5], [2.0, 0.1], [3.0, 0.9], [4.0, 0.4], [5.0, 0.7], [6.0, 0.2]];
/// let y = [3.1, 4.9, 7.2, 9.0, 10.8, 13.1];
/// let model = LinearRegression::params().feature_names(&["visits", "discount"]).fit((x.view(), &y))?;
/// let table = model.summary();
/// assert_eq!(table[1].name, "visits");
/// assert!(table[1].p_value.unwrap() < 0.001 && model.statistics().r_squared > 0.99);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearRegressionParams {
    intercept: bool,
    feature_names: Option<Vec<String>>,
    penalty: f64,
    robust: bool,
}

impl Default for LinearRegressionParams {
    fn default() -> Self {
        Self {
            intercept: true,
            feature_names: None,
            penalty: 0.0,
            robust: true,
        }
    }
}

impl LinearRegressionParams {
    /// Whether to fit an intercept (default true), the first coefficient, named
    /// `intercept` (statsmodels' `add_constant`, its `const`).
    #[must_use]
    pub fn intercept(mut self, yes: bool) -> Self {
        self.intercept = yes;
        self
    }

    /// Names of the feature columns, used in the tables (default `x0`, `x1`, ...).
    #[must_use]
    pub fn feature_names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.feature_names = Some(names.iter().map(|s| s.as_ref().to_string()).collect());
        self
    }

    /// Ridge penalty (default 0, none), in the crate's one meaning of regularization
    /// strength ([`Optimizer`](crate::model::Optimizer)): the fit minimizes the mean
    /// half squared residual plus `penalty * sum(beta_j^2)` over the coefficients
    /// (not the intercept),
    /// `(1 / 2W) sum_i w_i (y_i - x_i beta)^2 + penalty * sum_j beta_j^2`, `W` the sum of
    /// the weights (`n` without). scikit-learn's `Ridge(alpha)` is
    /// `penalty = alpha / (2 W)`. Solved by QR of the design augmented with
    /// `sqrt(2 W penalty)` times the identity. A penalized fit has no standard errors,
    /// tests or intervals (they would ignore the bias), and collinear columns are
    /// allowed.
    ///
    /// ```
    /// use ndarray::array;
    /// use patronage::prelude::*;
    /// use patronage::regression::LinearRegression;
    /// // Two identical columns: an error without a penalty, shared weight with one.
    /// let x = array![[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]];
    /// let y = [1.0, 2.1, 2.9, 4.2];
    /// assert!(LinearRegression::params().fit((x.view(), &y)).is_err());
    /// let ridge = LinearRegression::params().penalty(0.01).fit((x.view(), &y))?;
    /// let b = ridge.coefficients();
    /// assert!((b[1] - b[2]).abs() < 1e-12 && ridge.report().standard_errors.is_none());
    /// # Ok::<(), patronage::Error>(())
    /// ```
    #[must_use]
    pub fn penalty(mut self, penalty: f64) -> Self {
        self.penalty = penalty;
        self
    }

    /// Whether to compute heteroskedasticity-robust standard errors HC0-HC3 (default
    /// true; one more pass's worth of arithmetic over the rows).
    #[must_use]
    pub fn robust(mut self, yes: bool) -> Self {
        self.robust = yes;
        self
    }
}

/// Heteroskedasticity-robust ("sandwich") standard errors of the coefficients, as
/// statsmodels' `HC0_se` ... `HC3_se`, in coefficient order. With weights they are
/// computed on the whitened design and residuals, as statsmodels' WLS does.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RobustStandardErrors {
    /// White's: `(X'X)^-1 X' diag(e^2) X (X'X)^-1`.
    pub hc0: Vec<f64>,
    /// HC0 scaled by `n / (n - k)`.
    pub hc1: Vec<f64>,
    /// With `e_i^2 / (1 - h_i)`, `h_i` the leverage; `None` when a row has leverage 1
    /// (a column nonzero in one row only), where it is not defined.
    pub hc2: Option<Vec<f64>>,
    /// With `e_i^2 / (1 - h_i)^2` (the jackknife); `None` as HC2.
    pub hc3: Option<Vec<f64>>,
}

/// Which covariance of the coefficients a table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Covariance {
    /// The classical `sigma^2 (X'X)^-1`.
    #[default]
    NonRobust,
    /// HC0.
    Hc0,
    /// HC1.
    Hc1,
    /// HC2.
    Hc2,
    /// HC3.
    Hc3,
}

/// The fit statistics of a least-squares fit, as statsmodels' `OLS` / `WLS` results
/// and summary name them. With weights, sums of squares are weighted, and the residual
/// diagnostics (Durbin-Watson, Jarque-Bera, skew, kurtosis) and the condition number use
/// the whitened residuals `sqrt(w) e` and design `sqrt(w) X`, as statsmodels' summary.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearStatistics {
    /// Rows.
    pub n_obs: usize,
    /// Model degrees of freedom: coefficients without the intercept.
    pub df_model: usize,
    /// Residual degrees of freedom: rows minus coefficients.
    pub df_resid: usize,
    /// Sum of squared (weighted) residuals.
    pub ssr: f64,
    /// Total sum of squares about the (weighted) mean of `y`.
    pub centered_tss: f64,
    /// Total sum of squares about 0.
    pub uncentered_tss: f64,
    /// Residual variance `ssr / df_resid` (statsmodels' `scale`, `mse_resid`).
    pub scale: f64,
    /// `1 - ssr / tss`, with the centered TSS when an intercept is fitted and the
    /// uncentered TSS otherwise (as statsmodels).
    pub r_squared: f64,
    /// `1 - (n - c) / df_resid * (1 - R^2)`, `c` = 1 with an intercept, else 0.
    pub adj_r_squared: f64,
    /// The F statistic of all coefficients but the intercept being 0; `None` for a
    /// design with no such coefficient.
    pub f_statistic: Option<f64>,
    /// Its p-value.
    pub f_p_value: Option<f64>,
    /// Durbin-Watson statistic of the residuals in row order.
    pub durbin_watson: f64,
    /// Jarque-Bera normality statistic of the residuals.
    pub jarque_bera: f64,
    /// Its p-value (chi-squared, 2 degrees of freedom).
    pub jarque_bera_p_value: f64,
    /// Skewness of the residuals (biased moments, as `scipy.stats.skew`).
    pub skew: f64,
    /// Kurtosis of the residuals (not excess: 3 for a normal sample).
    pub kurtosis: f64,
    /// Condition number of the design (intercept column included): the ratio of its
    /// largest to smallest singular value.
    pub condition_number: f64,
    /// Variance inflation factor of each feature (not the intercept), as statsmodels'
    /// `variance_inflation_factor` (0.15) on the features: `1 / (1 - R_j^2)` for the
    /// feature regressed on the other features and a constant, unweighted, with or
    /// without an intercept in the model; infinite when the features with a constant
    /// are collinear.
    pub vif: Vec<f64>,
}

/// A fitted linear regression (from [`LinearRegression::params`] and [`Fit`]):
/// coefficients (intercept first), their covariance and coefficient tables, robust
/// standard errors and the fit statistics of statsmodels' summary.
///
/// Parameters ([`FittedModel::parameters`]) are `intercept` (when fitted) then the
/// features; the report's log-likelihood is the Gaussian one at the maximum-likelihood
/// variance `ssr / n` (plus `sum(ln w) / 2` with weights, as statsmodels' WLS), `k` the
/// coefficients and `n` the rows, so AIC and BIC are statsmodels'. Unpenalized fits
/// keep the covariance `scale (X'WX)^-1` in the report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawLinear")
)]
pub struct LinearRegression {
    names: Vec<String>,
    coefficients: Vec<f64>,
    intercept: bool,
    penalty: f64,
    report: FitReport,
    statistics: LinearStatistics,
    robust: Option<RobustStandardErrors>,
}

impl LinearRegression {
    /// The settings to fit with: an intercept, no penalty, robust standard errors.
    pub fn params() -> LinearRegressionParams {
        LinearRegressionParams::default()
    }

    /// The coefficients, `intercept` first when fitted, then one per feature.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The coefficients' names, in the order of [`coefficients`](Self::coefficients).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The fit statistics (R^2, F, log-likelihood diagnostics, VIF, ...).
    pub fn statistics(&self) -> &LinearStatistics {
        &self.statistics
    }

    /// Robust standard errors HC0-HC3 (unpenalized fits with
    /// [`robust`](LinearRegressionParams::robust) on).
    pub fn robust_standard_errors(&self) -> Option<&RobustStandardErrors> {
        self.robust.as_ref()
    }

    /// The ridge penalty the model was fitted with (0 for none).
    pub fn penalty(&self) -> f64 {
        self.penalty
    }

    /// The coefficient table with classical standard errors, t tests and 95% intervals:
    /// statsmodels' `summary()` table.
    pub fn summary(&self) -> Vec<Coefficient> {
        // A level of 0.95 is always valid, so the table is never an error.
        self.coefficient_table(Covariance::NonRobust, 0.95)
            .unwrap_or_default()
    }

    /// The coefficient table with the given covariance and confidence level: t tests on
    /// `n - k` degrees of freedom for every covariance, as statsmodels'
    /// `get_robustcov_results` on an OLS fit. Standard errors, statistics and intervals are
    /// `None` for penalized fits, and for HC2 / HC3 where they are not defined.
    ///
    /// ```
    /// use ndarray::array;
    /// use patronage::prelude::*;
    /// use patronage::regression::{Covariance, LinearRegression};
    /// let x = array![[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0]];
    /// let y = [1.2, 1.9, 3.4, 3.9, 5.3, 5.8, 7.4];
    /// let model = LinearRegression::params().fit((x.view(), &y))?;
    /// let hc3 = model.coefficient_table(Covariance::Hc3, 0.9)?;
    /// let (lo, hi) = hc3[1].interval.unwrap();
    /// assert!(lo < 1.0 && 1.0 < hi);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a level outside `(0, 1)`.
    pub fn coefficient_table(
        &self,
        covariance: Covariance,
        level: f64,
    ) -> Result<Vec<Coefficient>> {
        let robust = self.robust.as_ref();
        let t = Reference::StudentT(self.statistics.df_resid as f64);
        let (se, reference) = match covariance {
            Covariance::NonRobust => (self.report.standard_errors.as_deref(), t),
            Covariance::Hc0 => (robust.map(|r| r.hc0.as_slice()), t),
            Covariance::Hc1 => (robust.map(|r| r.hc1.as_slice()), t),
            Covariance::Hc2 => (robust.and_then(|r| r.hc2.as_deref()), t),
            Covariance::Hc3 => (robust.and_then(|r| r.hc3.as_deref()), t),
        };
        table(&self.names, &self.coefficients, se, reference, level)
    }

    /// The fitted values `x beta` of new rows `x` (the features, without an intercept
    /// column).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for the wrong number of columns; [`Error::NonFinite`]
    /// naming the row of a NaN or infinite feature.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        predict_linear(&self.coefficients, self.intercept, x)
    }
}

/// `x beta` per row, intercept first in `beta`.
pub(crate) fn predict_linear(
    beta: &[f64],
    intercept: bool,
    x: ArrayView2<f64>,
) -> Result<Array1<f64>> {
    let p = beta.len() - usize::from(intercept);
    crate::kernels::check_columns(&x, p)?;
    crate::kernels::check_finite(&x)?;
    let b0 = if intercept { beta[0] } else { 0.0 };
    let b = &beta[usize::from(intercept)..];
    Ok(x.rows()
        .into_iter()
        .map(|r| b0 + r.iter().zip(b).map(|(v, c)| v * c).sum::<f64>())
        .collect())
}

impl FittedModel for LinearRegression {
    fn report(&self) -> &FitReport {
        &self.report
    }

    fn parameter_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn parameter_values(&self) -> Vec<f64> {
        self.coefficients.clone()
    }
}

/// Fits by ordinary least squares (ridge with a penalty).
///
/// # Errors
/// [`Error::Empty`] for no rows; [`Error::LengthMismatch`] when `y` or the feature
/// names do not match `x`; [`Error::NonFinite`] naming the field (`x`, `y`) and row of
/// a NaN or infinite value; [`Error::InsufficientData`] for no more rows than
/// coefficients, a constant response (with an intercept) or an exact fit (zero
/// residuals: no inference); [`Error::Collinear`] naming a constant column (with an
/// intercept), a column of zeros or a column that is a combination of others
/// (unpenalized fits); [`Error::InvalidParameter`] for a negative or non-finite
/// penalty.
impl<Y> Fit<(ArrayView2<'_, f64>, &Y)> for LinearRegressionParams
where
    Y: AsRef<[f64]> + ?Sized,
{
    type Fitted = LinearRegression;

    fn fit(&self, (x, y): (ArrayView2<'_, f64>, &Y)) -> Result<LinearRegression> {
        self.fit_rows(x, y.as_ref(), None)
    }
}

/// Fits by weighted least squares with weights `w` (finite, `> 0`, one per row).
///
/// # Errors
/// As the unweighted fit, and [`Error::LengthMismatch`] for weights not one per row,
/// [`Error::NonFinite`] or [`Error::InvalidValue`] naming a weight that is not finite
/// and positive.
impl<Y, W> Fit<(ArrayView2<'_, f64>, &Y, &W)> for LinearRegressionParams
where
    Y: AsRef<[f64]> + ?Sized,
    W: AsRef<[f64]> + ?Sized,
{
    type Fitted = LinearRegression;

    fn fit(&self, (x, y, w): (ArrayView2<'_, f64>, &Y, &W)) -> Result<LinearRegression> {
        self.fit_rows(x, y.as_ref(), Some(w.as_ref()))
    }
}

/// One chunk's share of the residual pass.
struct ResidualPart {
    /// Whitened residuals `sqrt(w) (y - x beta)`.
    resid: Vec<f64>,
    /// `sum w (y - ybar)^2`.
    centered: f64,
    /// Diagonals of the HC0, HC2, HC3 sandwiches before scaling: `sum omega z_j^2` with
    /// `z = R^-1 R^-T sqrt(w) x`.
    meat: [Vec<f64>; 3],
    /// Whether some row had leverage 1 (to rounding).
    full_leverage: bool,
}

impl LinearRegressionParams {
    fn fit_rows(
        &self,
        x: ArrayView2<f64>,
        y: &[f64],
        w: Option<&[f64]>,
    ) -> Result<LinearRegression> {
        crate::validate::argument("penalty", self.penalty, false)?;
        let design = Design::new(
            MODEL,
            x,
            y,
            w,
            self.intercept,
            self.feature_names.as_deref(),
        )?;
        let (n, k) = (design.n(), design.k());
        let kk = k + 1;
        let r_full = design.qr()?;
        let full_rank = check_rank(&r_full, kk, k, &design.names);
        let penalized = self.penalty > 0.0;
        if !penalized {
            full_rank.clone()?;
        }
        let total_weight: f64 = w.map_or(n as f64, |w| w.iter().sum());
        // The factor of the fitted (possibly ridge-augmented) problem.
        let r_fit = if penalized {
            let mut d = vec![0.0; kk * kk];
            let s = (2.0 * total_weight * self.penalty).sqrt();
            for j in usize::from(self.intercept)..k {
                d[j * kk + j] = s;
            }
            merge_r(&r_full, &d, kk)
        } else {
            r_full.clone()
        };
        let rk: Vec<f64> = (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| r_fit[i * kk + j])
            .collect();
        let qty: Vec<f64> = (0..k).map(|i| r_fit[i * kk + k]).collect();
        let beta = solve_upper(&rk, &qty, k);
        if beta.iter().any(|b| !b.is_finite()) {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: "the coefficients are beyond the range of f64; rescale the features".into(),
            });
        }
        // The unpenalized design's factor, for its condition number, VIF and the
        // covariance.
        let rd: Vec<f64> = (0..k)
            .flat_map(|i| (0..k).map(move |j| (i, j)))
            .map(|(i, j)| r_full[i * kk + j])
            .collect();
        let want_robust = self.robust && !penalized;
        let ri = invert_upper(&rd, k);
        let ybar = (0..n).map(|i| design.weight(i) * y[i]).sum::<f64>() / total_weight;
        let parts = crate::kernels::map_chunks(n, |lo, hi| {
            crate::math::simd::vectorized(
                #[inline(always)]
                || residual_chunk(&design, &beta, &rd, ybar, want_robust, lo, hi),
            )
        });
        let mut resid = Vec::with_capacity(n);
        let mut centered = 0.0;
        let mut meat = [vec![0.0; k], vec![0.0; k], vec![0.0; k]];
        let mut full_leverage = false;
        for part in parts {
            resid.extend_from_slice(&part.resid);
            centered += part.centered;
            for (m, pm) in meat.iter_mut().zip(&part.meat) {
                for (a, b) in m.iter_mut().zip(pm) {
                    *a += b;
                }
            }
            full_leverage |= part.full_leverage;
        }
        let uncentered: f64 = (0..n).map(|i| design.weight(i) * y[i] * y[i]).sum();
        let ssr: f64 = resid.iter().map(|e| e * e).sum();
        let tss = if self.intercept { centered } else { uncentered };
        if self.intercept && centered == 0.0 {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: "the response is constant: there is nothing to explain".into(),
            });
        }
        if !penalized && ssr <= 1e-28 * uncentered {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: "the features fit the response exactly (zero residuals), so there is \
                         no residual variance for inference"
                    .into(),
            });
        }
        let nf = n as f64;
        let df_resid = n - k;
        let df_model = k - usize::from(self.intercept);
        let dfr = df_resid as f64;
        let scale = ssr / dfr;
        let r_squared = 1.0 - ssr / tss;
        let c = if self.intercept { 1.0 } else { 0.0 };
        let adj_r_squared = 1.0 - (nf - c) / dfr * (1.0 - r_squared);
        let (f_statistic, f_p_value) = if df_model > 0 {
            let f = ((tss - ssr) / df_model as f64) / scale;
            let p = statrs::distribution::FisherSnedecor::new(df_model as f64, dfr)
                .map(|d| statrs::distribution::ContinuousCDF::sf(&d, f))
                .ok();
            (Some(f), p)
        } else {
            (None, None)
        };
        let sum_ln_w: f64 = w.map_or(0.0, |w| w.iter().map(|v| v.ln()).sum());
        let log_likelihood =
            -0.5 * nf * ((2.0 * std::f64::consts::PI).ln() + (ssr / nf).ln() + 1.0)
                + 0.5 * sum_ln_w;
        let (durbin_watson, skew, kurtosis, jarque_bera) = residual_diagnostics(&resid);
        let condition_number = if full_rank.is_ok() {
            let sv = singular_values(&rd, k);
            sv[0] / sv[k - 1]
        } else {
            f64::INFINITY
        };
        let vif = if self.intercept && w.is_none() && full_rank.is_ok() {
            centered_vif(&rd, k)
        } else {
            // The features' own centered, unweighted design (statsmodels' VIF looks at
            // the features only).
            let centered = Design {
                x: ndarray::CowArray::from(design.x.view()),
                y: design.y,
                weights: None,
                intercept: true,
                names: std::iter::once("intercept".to_string())
                    .chain(design.names[usize::from(self.intercept)..].iter().cloned())
                    .collect(),
            };
            let kc = centered.k();
            let rc = centered.qr()?;
            if check_rank(&rc, kc + 1, kc, &centered.names).is_ok() {
                let rcd: Vec<f64> = (0..kc)
                    .flat_map(|i| (0..kc).map(move |j| (i, j)))
                    .map(|(i, j)| rc[i * (kc + 1) + j])
                    .collect();
                centered_vif(&rcd, kc)
            } else {
                vec![f64::INFINITY; kc - 1]
            }
        };
        let covariance = (!penalized).then(|| {
            gram_inverse(&ri, k)
                .into_iter()
                .map(|v| v * scale)
                .collect::<Vec<f64>>()
        });
        let robust = want_robust.then(|| {
            let se = |d: &[f64], factor: f64| -> Vec<f64> {
                d.iter().map(|v| (factor * v).sqrt()).collect()
            };
            RobustStandardErrors {
                hc0: se(&meat[0], 1.0),
                hc1: se(&meat[0], nf / dfr),
                hc2: (!full_leverage).then(|| se(&meat[1], 1.0)),
                hc3: (!full_leverage).then(|| se(&meat[2], 1.0)),
            }
        });
        let report =
            FitReport::new(log_likelihood, k, nf, None, 0, true).with_covariance(covariance);
        Ok(LinearRegression {
            names: design.names.clone(),
            coefficients: beta,
            intercept: self.intercept,
            penalty: self.penalty,
            report,
            statistics: LinearStatistics {
                n_obs: n,
                df_model,
                df_resid,
                ssr,
                centered_tss: centered,
                uncentered_tss: uncentered,
                scale,
                r_squared,
                adj_r_squared,
                f_statistic,
                f_p_value,
                durbin_watson,
                jarque_bera,
                jarque_bera_p_value: (-0.5 * jarque_bera).exp(),
                skew,
                kurtosis,
                condition_number,
                vif,
            },
            robust,
        })
    }
}

/// The VIF of each column but the first (the intercept) of a design with an intercept
/// first, from its triangular factor `r`: `[(R'R)^-1]_jj` times the column's centered
/// sum of squares (the rows of `R` below the first).
fn centered_vif(r: &[f64], k: usize) -> Vec<f64> {
    let g = gram_inverse(&invert_upper(r, k), k);
    (1..k)
        .map(|j| {
            let sst: f64 = (1..=j).map(|i| r[i * k + j] * r[i * k + j]).sum();
            g[j * k + j] * sst
        })
        .collect()
}

/// Durbin-Watson, skew, kurtosis and Jarque-Bera of the residuals.
fn residual_diagnostics(e: &[f64]) -> (f64, f64, f64, f64) {
    let nf = e.len() as f64;
    let ss: f64 = e.iter().map(|v| v * v).sum();
    let diff: f64 = e.windows(2).map(|w| (w[1] - w[0]) * (w[1] - w[0])).sum();
    let mean = e.iter().sum::<f64>() / nf;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in e {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
    let skew = m3 / m2.powf(1.5);
    let kurtosis = m4 / (m2 * m2);
    let jb = nf / 6.0 * (skew * skew + 0.25 * (kurtosis - 3.0) * (kurtosis - 3.0));
    (diff / ss, skew, kurtosis, jb)
}

/// The residuals of rows `lo..hi`, their share of the centered TSS and, when `robust`,
/// of the diagonals of the HC sandwiches `R^-1 (sum omega q q') R^-T` with
/// `q = R^-T sqrt(w) x` (the leverage is `|q|^2`), as `sum omega (R^-1 q)_j^2`.
#[inline(always)]
fn residual_chunk(
    design: &Design<'_>,
    beta: &[f64],
    r: &[f64],
    ybar: f64,
    robust: bool,
    lo: usize,
    hi: usize,
) -> ResidualPart {
    let k = design.k();
    let off = usize::from(design.intercept);
    let mut resid = Vec::with_capacity(hi - lo);
    let mut centered = 0.0;
    let mut meat = if robust {
        [vec![0.0; k], vec![0.0; k], vec![0.0; k]]
    } else {
        [Vec::new(), Vec::new(), Vec::new()]
    };
    let mut full_leverage = false;
    let mut q = vec![0.0; k * BLOCK];
    let mut omega = [[0.0f64; BLOCK]; 3];
    let mut start = lo;
    while start < hi {
        let m = (hi - start).min(BLOCK);
        for b in 0..m {
            let i = start + b;
            let wi = design.weight(i);
            let s = wi.sqrt();
            let e = s * (design.y[i] - design.linear(i, beta));
            resid.push(e);
            centered += wi * (design.y[i] - ybar) * (design.y[i] - ybar);
            if robust {
                if design.intercept {
                    q[b] = s;
                }
                for (j, &v) in design.row(i).iter().enumerate() {
                    q[(j + off) * BLOCK + b] = s * v;
                }
            }
        }
        if robust {
            // Forward substitution with R' over the block's rows at once.
            for j in 0..k {
                for l in 0..j {
                    let rlj = r[l * k + j];
                    let (ql, qj) = q.split_at_mut(j * BLOCK);
                    let ql = &ql[l * BLOCK..l * BLOCK + m];
                    for (a, &b) in qj[..m].iter_mut().zip(ql) {
                        *a -= rlj * b;
                    }
                }
                let inv = 1.0 / r[j * k + j];
                for a in &mut q[j * BLOCK..j * BLOCK + m] {
                    *a *= inv;
                }
            }
            let base = resid.len() - m;
            for b in 0..m {
                let h: f64 = (0..k).map(|j| q[j * BLOCK + b] * q[j * BLOCK + b]).sum();
                let e2 = resid[base + b] * resid[base + b];
                let one_minus = 1.0 - h;
                if one_minus <= 1e-12 {
                    full_leverage = true;
                }
                omega[0][b] = e2;
                omega[1][b] = e2 / one_minus;
                omega[2][b] = e2 / (one_minus * one_minus);
            }
            // Back substitution with R: z = R^-1 q = (X'WX)^-1 sqrt(w) x, so that the
            // sandwich's diagonal is sum omega z_j^2. Only the standard errors are
            // reported, so this O(k) accumulation per row replaces three O(k^2 / 2)
            // outer products (measured: the HC part of the 1M x 20 bench about halves).
            for j in (0..k).rev() {
                for l in j + 1..k {
                    let rjl = r[j * k + l];
                    let (qj, ql) = q.split_at_mut(l * BLOCK);
                    let ql = &ql[..m];
                    for (a, &b) in qj[j * BLOCK..j * BLOCK + m].iter_mut().zip(ql) {
                        *a -= rjl * b;
                    }
                }
                let inv = 1.0 / r[j * k + j];
                for a in &mut q[j * BLOCK..j * BLOCK + m] {
                    *a *= inv;
                }
            }
            for (v, om) in omega.iter().enumerate() {
                let acc = &mut meat[v];
                for (j, a) in acc.iter_mut().enumerate() {
                    let zj = &q[j * BLOCK..j * BLOCK + m];
                    let mut s = 0.0;
                    for b in 0..m {
                        s += om[b] * zj[b] * zj[b];
                    }
                    *a += s;
                }
            }
        }
        start += m;
    }
    ResidualPart {
        resid,
        centered,
        meat,
        full_leverage,
    }
}

/// [`LinearRegression`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawLinear {
    names: Vec<String>,
    coefficients: Vec<f64>,
    intercept: bool,
    penalty: f64,
    report: FitReport,
    statistics: LinearStatistics,
    robust: Option<RobustStandardErrors>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLinear> for LinearRegression {
    type Error = Error;

    fn try_from(raw: RawLinear) -> Result<Self> {
        let k = raw.coefficients.len();
        super::check_saved_coefficients(MODEL, &raw.names, &raw.coefficients, raw.intercept)?;
        crate::validate::argument("penalty", raw.penalty, false)?;
        let report = raw.report.loaded(MODEL, k)?;
        if let Some(r) = &raw.robust {
            for (field, se) in [
                ("robust.hc0", Some(&r.hc0)),
                ("robust.hc1", Some(&r.hc1)),
                ("robust.hc2", r.hc2.as_ref()),
                ("robust.hc3", r.hc3.as_ref()),
            ] {
                if let Some(se) = se {
                    crate::validate::same_len(field, k, se.len())?;
                    crate::validate::all_non_negative(field, se)?;
                }
            }
        }
        Ok(Self {
            names: raw.names,
            coefficients: raw.coefficients,
            intercept: raw.intercept,
            penalty: raw.penalty,
            report,
            statistics: raw.statistics,
            robust: raw.robust,
        })
    }
}
