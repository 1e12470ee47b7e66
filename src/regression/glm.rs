//! Generalized linear models by iteratively reweighted least squares: Poisson,
//! negative binomial (NB2) and Gamma with log links, binomial with the logit link
//! (fitted by the churn model's logistic regression), with statsmodels' `GLM` results.

use ndarray::{Array1, ArrayView2};
use statrs::function::gamma::ln_gamma;

use super::design::{Design, check_rank};
use super::inference::{Coefficient, Reference, table};
use super::qr::dot;
use crate::churn::LogisticRegression;
use crate::error::{Error, Result};
use crate::math::optim::{cholesky, cholesky_inverse};
use crate::model::{Fit, FitReport, FittedModel, Optimized, Optimizer};

const MODEL: &str = "generalized linear model";

/// Rows above which IRLS starts from the fit to an evenly strided subsample.
const WARM_START_ROWS: usize = 50_000;

/// Rows per block of a pass (column-major block buffers).
const BLOCK: usize = 64;

/// The distribution of the response and its link, as statsmodels' `sm.families`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Family {
    /// Counts (`y >= 0`), log link; variance `mu`. `sm.families.Poisson()`.
    Poisson,
    /// Over-dispersed counts (`y >= 0`), log link; variance `mu + alpha mu^2` with a
    /// given `alpha > 0` (NB2). `sm.families.NegativeBinomial(alpha=alpha)`.
    NegativeBinomial {
        /// The dispersion `alpha` (finite, `> 0`).
        alpha: f64,
    },
    /// Positive continuous amounts (`y > 0`, e.g. spend), log link; variance
    /// `phi mu^2` with the dispersion `phi` estimated by Pearson chi^2 / df_resid.
    /// `sm.families.Gamma(link=sm.families.links.Log())`.
    Gamma,
    /// Proportions of successes (`0 <= y <= 1`, with the number of trials per row as
    /// the fit's third input; 1 without), logit link. `sm.families.Binomial()` with the
    /// two-column (successes, failures) response. Fitted by
    /// [`LogisticRegression`](crate::churn::LogisticRegression).
    Binomial,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::Poisson => "Poisson",
            Family::NegativeBinomial { .. } => "negative binomial",
            Family::Gamma => "Gamma",
            Family::Binomial => "binomial",
        }
    }

    fn check(self) -> Result<()> {
        if let Family::NegativeBinomial { alpha } = self {
            crate::validate::argument("alpha", alpha, true)?;
        }
        Ok(())
    }

    /// Checks one response value.
    fn check_y(self, row: usize, y: f64) -> Result<()> {
        let (ok, rule) = match self {
            Family::Poisson | Family::NegativeBinomial { .. } => (y >= 0.0, "counts must be >= 0"),
            Family::Gamma => (y > 0.0, "the Gamma family needs y > 0"),
            Family::Binomial => (
                (0.0..=1.0).contains(&y),
                "a binomial y is a proportion in [0, 1]",
            ),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidValue {
                field: "y",
                row,
                value: y,
                reason: rule.into(),
            })
        }
    }

    /// Variance function `V(mu)` (per trial for the binomial).
    fn variance(self, mu: f64) -> f64 {
        match self {
            Family::Poisson => mu,
            Family::NegativeBinomial { alpha } => mu + alpha * mu * mu,
            Family::Gamma => mu * mu,
            Family::Binomial => mu * (1.0 - mu),
        }
    }

    /// The mean from the linear predictor (inverse link).
    fn mean(self, eta: f64) -> f64 {
        match self {
            Family::Binomial => {
                if eta >= 0.0 {
                    1.0 / (1.0 + (-eta).exp())
                } else {
                    let e = eta.exp();
                    e / (1.0 + e)
                }
            }
            _ => eta.exp(),
        }
    }

    /// Unit deviance of one row (times its trials `n` for the binomial).
    fn deviance(self, y: f64, mu: f64, eta: f64, n: f64) -> f64 {
        let xlogy = |a: f64, b: f64| if a == 0.0 { 0.0 } else { a * (a / b).ln() };
        match self {
            Family::Poisson => 2.0 * (xlogy(y, mu) - (y - mu)),
            Family::NegativeBinomial { alpha } => {
                let ia = 1.0 / alpha;
                2.0 * (xlogy(y, mu) - (y + ia) * ((alpha * y).ln_1p() - (alpha * mu).ln_1p()))
            }
            Family::Gamma => 2.0 * ((y - mu) / mu - (y / mu).ln()),
            Family::Binomial => {
                // ln mu = -log1p(e^-eta), ln(1 - mu) = -log1p(e^eta).
                let (lm, l1m) = (-log1p_exp(-eta), -log1p_exp(eta));
                let term = |a: f64, lp: f64| if a == 0.0 { 0.0 } else { a * (a.ln() - lp) };
                2.0 * n * (term(y, lm) + term(1.0 - y, l1m))
            }
        }
    }
}

/// `ln(1 + e^z)`, stable for large `|z|`.
fn log1p_exp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// GLM settings (a builder, from [`Glm::params`]); [`Fit::fit`] returns a fitted
/// [`Glm`].
///
/// Data: the features `x` (`n x p`, an `ArrayView2<f64>`) and the response `y`,
/// `(x, &y)`; for the binomial family, `(x, &y, &trials)` with `y` the proportion of
/// successes among `trials` (statsmodels' two-column response `[successes, failures]`).
///
/// Optimizer settings ([`Optimized`]): `.max_iter(n)` (default 100) and `.tol(t)`
/// (default 1e-10): IRLS stops when no coefficient moves by more than
/// `t * (1 + |beta_j|)` (for the binomial, the logistic regression's tolerance on its
/// gradient). statsmodels' default stops when the deviance changes by less than 1e-8,
/// which leaves its coefficients up to about 1e-6 (relative) from the converged values
/// on the tests' NB2 data; its values at `tol=1e-13` agree with ours to 1e-8.
///
/// ```
/// use ndarray::array;
/// use patronage::prelude::*;
/// use patronage::regression::{Family, Glm};
/// // Visits per customer against a loyalty flag and tenure.
/// let x = array![[0.0, 1.0], [0.0, 2.0], [1.0, 1.5], [1.0, 3.0], [0.0, 4.0], [1.0, 0.5], [0.0, 2.5], [1.0, 3.5]];
/// let visits = [1.0, 2.0, 4.0, 7.0, 3.0, 2.0, 1.0, 9.0];
/// let model = Glm::params(Family::NegativeBinomial { alpha: 0.3 })
///     .feature_names(&["loyal", "tenure"])
///     .fit((x.view(), &visits))?;
/// let loyal = &model.summary()[1];
/// assert!(loyal.estimate > 0.0 && loyal.standard_error.is_some());
/// assert!(model.statistics().deviance < model.statistics().null_deviance);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GlmParams {
    family: Family,
    intercept: bool,
    feature_names: Option<Vec<String>>,
    optimizer: Optimizer,
}

impl Optimized for GlmParams {
    fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }
}

impl GlmParams {
    /// Whether to fit an intercept (default true), the first coefficient, named
    /// `intercept`.
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
}

/// The fit statistics of a GLM, as statsmodels' `GLMResults` names them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GlmStatistics {
    /// Rows.
    pub n_obs: usize,
    /// Coefficients without the intercept.
    pub df_model: usize,
    /// Rows minus coefficients.
    pub df_resid: usize,
    /// Deviance: twice the log-likelihood gap to the saturated model.
    pub deviance: f64,
    /// Deviance of the intercept-only model (the mean of `y`, weighted by the trials
    /// for the binomial), statsmodels' `null_deviance`.
    pub null_deviance: f64,
    /// Pearson chi^2: `sum (y - mu)^2 / V(mu)`.
    pub pearson_chi2: f64,
    /// The dispersion the standard errors are scaled by: Pearson chi^2 / df_resid for
    /// the Gamma family (statsmodels' default `scale`), 1 for the others.
    pub scale: f64,
}

/// A fitted generalized linear model (from [`Glm::params`] and [`Fit`]): coefficients
/// (intercept first) with their covariance (`scale` times the inverse Fisher
/// information), the coefficient table with z tests, and the deviance statistics.
///
/// The report's log-likelihood is statsmodels' `llf` (for the Gamma family at the
/// estimated dispersion), `k` the coefficients and `n` the rows, so AIC is
/// statsmodels' `aic` and BIC its `bic_llf`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawGlm")
)]
pub struct Glm {
    family: Family,
    names: Vec<String>,
    coefficients: Vec<f64>,
    intercept: bool,
    report: FitReport,
    statistics: GlmStatistics,
}

impl Glm {
    /// The settings to fit `family` with: an intercept, at most 100 iterations,
    /// tolerance 1e-10.
    pub fn params(family: Family) -> GlmParams {
        GlmParams {
            family,
            intercept: true,
            feature_names: None,
            optimizer: Optimizer::new(100, 1e-10),
        }
    }

    /// The family (and its link).
    pub fn family(&self) -> Family {
        self.family
    }

    /// The coefficients, `intercept` first when fitted, then one per feature (on the
    /// link scale: log for counts and amounts, log-odds for the binomial).
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The coefficients' names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Deviance, Pearson chi^2, dispersion and degrees of freedom.
    pub fn statistics(&self) -> &GlmStatistics {
        &self.statistics
    }

    /// The coefficient table with z tests and 95% intervals, statsmodels' `summary()`.
    pub fn summary(&self) -> Vec<Coefficient> {
        // A level of 0.95 is always valid.
        self.coefficient_table(0.95).unwrap_or_default()
    }

    /// The coefficient table with intervals at `level`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a level outside `(0, 1)`.
    pub fn coefficient_table(&self, level: f64) -> Result<Vec<Coefficient>> {
        table(
            &self.names,
            &self.coefficients,
            self.report.standard_errors.as_deref(),
            Reference::Normal,
            level,
        )
    }

    /// The linear predictor `x beta` of new rows (without an intercept column).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for the wrong number of columns; [`Error::NonFinite`].
    pub fn predict_linear(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        super::ols::predict_linear(&self.coefficients, self.intercept, x)
    }

    /// The predicted mean of new rows: `exp(x beta)` for the log links, the probability
    /// for the binomial.
    ///
    /// # Errors
    /// As [`predict_linear`](Self::predict_linear).
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        let family = self.family;
        Ok(self.predict_linear(x)?.mapv(|eta| family.mean(eta)))
    }
}

impl FittedModel for Glm {
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

/// Fits the GLM to features `x` and response `y`.
///
/// # Errors
/// [`Error::Empty`]; [`Error::LengthMismatch`] for `y` or the names; [`Error::NonFinite`]
/// naming the field and row; [`Error::InvalidValue`] for a response outside the
/// family's range (negative counts, `y <= 0` for Gamma, a proportion outside
/// `[0, 1]`); [`Error::InvalidParameter`] for a bad `alpha` or optimizer setting;
/// [`Error::Collinear`] for a constant or dependent column;
/// [`Error::InsufficientData`] for no more rows than coefficients, all-zero counts,
/// one binomial outcome only, or (quasi-)separation: a combination of the features on
/// which the counts are all zero (or the binomial outcomes all one way), so that the
/// maximum likelihood estimate does not exist; [`Error::NotConverged`] with the last
/// coefficients (intercept first) when `max_iter` is reached otherwise.
impl<Y> Fit<(ArrayView2<'_, f64>, &Y)> for GlmParams
where
    Y: AsRef<[f64]> + ?Sized,
{
    type Fitted = Glm;

    fn fit(&self, (x, y): (ArrayView2<'_, f64>, &Y)) -> Result<Glm> {
        self.fit_rows(x, y.as_ref(), None)
    }
}

/// Fits a binomial GLM to proportions `y` of `trials` (finite, `> 0`) per row.
///
/// # Errors
/// As the fit on `(x, &y)`; [`Error::InvalidParameter`] for a family other than
/// binomial; [`Error::LengthMismatch`], [`Error::NonFinite`] or [`Error::InvalidValue`]
/// for trials not one per row, finite and positive.
impl<Y, N> Fit<(ArrayView2<'_, f64>, &Y, &N)> for GlmParams
where
    Y: AsRef<[f64]> + ?Sized,
    N: AsRef<[f64]> + ?Sized,
{
    type Fitted = Glm;

    fn fit(&self, (x, y, trials): (ArrayView2<'_, f64>, &Y, &N)) -> Result<Glm> {
        if self.family != Family::Binomial {
            return Err(Error::InvalidParameter {
                name: "trials",
                value: self.family.name().into(),
                reason: "only the binomial family takes trials per row".into(),
            });
        }
        self.fit_rows(x, y.as_ref(), Some(trials.as_ref()))
    }
}

/// The sums of one pass at a coefficient vector.
struct Pass {
    /// `X' u`, the score (for the log links: `u = (y - mu) mu / V`).
    score: Vec<f64>,
    /// Lower triangle of the Fisher information `X' W X` (`W = mu^2 / V`).
    info: Vec<f64>,
    deviance: f64,
    /// Whether some mean or weight was not finite.
    overflow: bool,
    /// Rows with `y = 0` whose mean is below 1e-10 of the mean response.
    vanishing: usize,
}

impl Pass {
    fn add(&mut self, other: &Pass) {
        for (a, b) in self.score.iter_mut().zip(&other.score) {
            *a += b;
        }
        for (a, b) in self.info.iter_mut().zip(&other.info) {
            *a += b;
        }
        self.deviance += other.deviance;
        self.overflow |= other.overflow;
        self.vanishing += other.vanishing;
    }
}

impl GlmParams {
    fn fit_rows(&self, x: ArrayView2<f64>, y: &[f64], trials: Option<&[f64]>) -> Result<Glm> {
        self.family.check()?;
        self.optimizer.check()?;
        let design = Design::new(
            MODEL,
            x,
            y,
            trials,
            self.intercept,
            self.feature_names.as_deref(),
        )
        .map_err(|e| match e {
            Error::InvalidValue {
                field: "weights",
                row,
                value,
                ..
            } => Error::InvalidValue {
                field: "trials",
                row,
                value,
                reason: "trials must be > 0".into(),
            },
            Error::NonFinite {
                field: "weights",
                row,
                value,
            } => Error::NonFinite {
                field: "trials",
                row,
                value,
            },
            Error::LengthMismatch {
                field: "weights",
                expected,
                found,
            } => Error::LengthMismatch {
                field: "trials",
                expected,
                found,
            },
            other => other,
        })?;
        for (row, &v) in y.iter().enumerate() {
            self.family.check_y(row, v)?;
        }
        // Collinearity from the QR of the design, as least squares. On many rows an
        // evenly strided subsample goes first: columns dependent on all rows are
        // dependent on any subset, so a full-rank subsample clears the design; a
        // rank-deficient one is checked (and named) on all rows.
        let (n, k) = (design.n(), design.k());
        let check_all = |d: &Design<'_>| -> Result<()> {
            let r = d.qr()?;
            check_rank(&r, k + 1, k, &d.names)
        };
        if n >= 4 * WARM_START_ROWS {
            let rows: Vec<usize> = (0..n).step_by(n / WARM_START_ROWS).collect();
            let sx = design.x.select(ndarray::Axis(0), &rows);
            let sy: Vec<f64> = rows.iter().map(|&i| y[i]).collect();
            let sw: Option<Vec<f64>> = trials.map(|t| rows.iter().map(|&i| t[i]).collect());
            let sub = Design {
                x: ndarray::CowArray::from(sx.view()),
                y: &sy,
                weights: sw.as_deref(),
                intercept: design.intercept,
                names: design.names.clone(),
            };
            if check_all(&sub).is_err() {
                check_all(&design)?;
            }
        } else {
            check_all(&design)?;
        }
        let total: f64 = (0..n).map(|i| design.weight(i)).sum();
        let ybar = (0..n).map(|i| design.weight(i) * y[i]).sum::<f64>() / total;
        let (beta, iterations, cov) = if self.family == Family::Binomial {
            self.fit_binomial(&design)?
        } else {
            self.irls(&design, ybar)?
        };
        self.finish(&design, beta, iterations, cov, ybar)
    }

    /// The binomial fit through the churn model's logistic regression: each row becomes
    /// a success row weighted `n y` and a failure row weighted `n (1 - y)` (rows of
    /// weight 0 dropped), whose weighted log-loss is the binomial likelihood up to a
    /// constant.
    fn fit_binomial(&self, design: &Design<'_>) -> Result<(Vec<f64>, usize, Vec<f64>)> {
        let (n, p) = (design.n(), design.x.ncols());
        let mut rows = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for i in 0..n {
            let t = design.weight(i);
            for (label, w) in [(true, t * design.y[i]), (false, t * (1.0 - design.y[i]))] {
                if w > 0.0 {
                    rows.push(i);
                    labels.push(label);
                    weights.push(w);
                }
            }
        }
        let expanded = if rows.len() == n {
            None
        } else {
            Some(design.x.select(ndarray::Axis(0), &rows))
        };
        let view = expanded.as_ref().map_or(design.x.view(), |e| e.view());
        let fit = LogisticRegression::params()
            .fit_intercept(design.intercept)
            .max_iter(self.optimizer.max_iter)
            .tol(self.optimizer.tol)
            .fit((view, &labels, &weights))
            .map_err(|e| match e {
                Error::NotConverged {
                    iterations,
                    reason,
                    mut last_iterate,
                    ..
                } => {
                    // Intercept first, as the GLMs report it.
                    if design.intercept {
                        last_iterate.rotate_right(1);
                    }
                    Error::NotConverged {
                        model: MODEL,
                        iterations,
                        reason,
                        last_iterate,
                    }
                }
                other => other,
            })?;
        let mut beta = Vec::with_capacity(p + 1);
        if design.intercept {
            beta.push(fit.intercept());
        }
        beta.extend_from_slice(fit.coefficients());
        // The covariance: the inverse Fisher information at the estimate.
        let pass = self.pass(design, &beta);
        let cov = self.covariance(&pass, design.k(), &beta, fit.report().iterations)?;
        Ok((beta, fit.report().iterations, cov))
    }

    /// IRLS (Fisher scoring) for the log-link families, with step halving on the
    /// deviance; on many rows it starts from the fit to a strided subsample.
    fn irls(&self, design: &Design<'_>, ybar: f64) -> Result<(Vec<f64>, usize, Vec<f64>)> {
        let (n, k) = (design.n(), design.k());
        if ybar <= 0.0 {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: "all counts are zero".into(),
            });
        }
        let mut start = vec![0.0; k];
        if design.intercept {
            start[0] = ybar.ln();
        }
        let mut iterations = 0;
        if n >= 4 * WARM_START_ROWS {
            let stride = n / WARM_START_ROWS;
            let rows: Vec<usize> = (0..n).step_by(stride).collect();
            let sx = design.x.select(ndarray::Axis(0), &rows);
            let sy: Vec<f64> = rows.iter().map(|&i| design.y[i]).collect();
            if let Ok(sub) = Design::new(
                MODEL,
                sx.view(),
                &sy,
                None,
                design.intercept,
                Some(&design.names[usize::from(design.intercept)..]),
            ) && let Ok((b, it, _)) = self.iterate(&sub, start.clone(), 1e-6)
            {
                start = b;
                iterations = it;
            }
        }
        let (beta, it, pass) = self.iterate(design, start, self.optimizer.tol)?;
        let cov = self.covariance(&pass, k, &beta, iterations + it)?;
        Ok((beta, iterations + it, cov))
    }

    /// Fisher scoring from `beta` until no coefficient moves by more than
    /// `tol * (1 + |beta_j|)`; returns the estimate, the iterations and the pass there.
    fn iterate(
        &self,
        design: &Design<'_>,
        mut beta: Vec<f64>,
        tol: f64,
    ) -> Result<(Vec<f64>, usize, Pass)> {
        let k = design.k();
        let mut pass = self.pass(design, &beta);
        if pass.overflow || !pass.deviance.is_finite() {
            return Err(self.diverged(0, &beta, "the starting means overflow", pass.vanishing));
        }
        for it in 1..=self.optimizer.max_iter {
            let step = solve_lower_info(&pass.info, &pass.score, k).ok_or_else(|| {
                self.diverged(
                    it,
                    &beta,
                    "the Fisher information is singular",
                    pass.vanishing,
                )
            })?;
            let mut t = 1.0;
            let mut accepted = None;
            for _ in 0..30 {
                let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
                let next = self.pass(design, &trial);
                if !next.overflow
                    && next.deviance.is_finite()
                    && next.deviance <= pass.deviance + 1e-12 * pass.deviance.abs()
                {
                    accepted = Some((trial, next));
                    break;
                }
                t *= 0.5;
            }
            let Some((trial, next)) = accepted else {
                // No decrease: at the optimum to rounding, or stuck.
                let small = step
                    .iter()
                    .zip(&beta)
                    .all(|(s, b)| s.abs() <= tol.sqrt() * (1.0 + b.abs()));
                if small {
                    return Ok((beta, it, pass));
                }
                return Err(self.diverged(
                    it,
                    &beta,
                    "step halving could not decrease the deviance",
                    pass.vanishing,
                ));
            };
            let moved = trial
                .iter()
                .zip(&beta)
                .all(|(a, b)| (a - b).abs() <= tol * (1.0 + b.abs()));
            beta = trial;
            pass = next;
            if moved {
                return Ok((beta, it, pass));
            }
        }
        Err(self.diverged(
            self.optimizer.max_iter,
            &beta,
            "iteration limit reached",
            pass.vanishing,
        ))
    }

    /// The error of a fit that stops: separation when means of zero counts vanish,
    /// non-convergence otherwise.
    fn diverged(&self, iterations: usize, beta: &[f64], reason: &str, vanishing: usize) -> Error {
        if beta.iter().any(|b| !b.is_finite() || b.abs() > 1e4) || vanishing > 0 {
            return Error::InsufficientData {
                model: MODEL,
                reason: format!(
                    "the {} likelihood has no maximum: the response is zero on a combination \
                     of the features (separation), so a coefficient runs to infinity; drop or \
                     merge the feature, or the rows",
                    self.family.name()
                ),
            };
        }
        Error::NotConverged {
            model: MODEL,
            iterations,
            reason: reason.into(),
            last_iterate: beta.to_vec(),
        }
    }

    /// The covariance `scale (X'WX)^-1` (scale 1 here; the Gamma dispersion is applied
    /// in `finish`).
    fn covariance(
        &self,
        pass: &Pass,
        k: usize,
        beta: &[f64],
        iterations: usize,
    ) -> Result<Vec<f64>> {
        if pass.vanishing > 0 && beta.iter().any(|b| b.abs() > 20.0) {
            return Err(self.diverged(iterations, beta, "separation", pass.vanishing));
        }
        let full = symmetric(&pass.info, k);
        cholesky_inverse(&full, k)
            .ok_or_else(|| self.diverged(iterations, beta, "singular information", pass.vanishing))
    }

    /// One pass over the rows at `beta`: score, information and deviance.
    fn pass(&self, design: &Design<'_>, beta: &[f64]) -> Pass {
        let k = design.k();
        let parts = crate::kernels::map_chunks(design.n(), |lo, hi| {
            crate::math::simd::vectorized(
                #[inline(always)]
                || self.pass_chunk(design, beta, lo, hi),
            )
        });
        let mut total = Pass {
            score: vec![0.0; k],
            info: vec![0.0; k * k],
            deviance: 0.0,
            overflow: false,
            vanishing: 0,
        };
        for p in &parts {
            total.add(p);
        }
        total
    }

    /// The sums of [`pass`](Self::pass) over rows `lo..hi`.
    #[inline(always)]
    fn pass_chunk(&self, design: &Design<'_>, beta: &[f64], lo: usize, hi: usize) -> Pass {
        let k = design.k();
        let family = self.family;
        let off = usize::from(design.intercept);
        {
            let mut out = Pass {
                score: vec![0.0; k],
                info: vec![0.0; k * k],
                deviance: 0.0,
                overflow: false,
                vanishing: 0,
            };
            let mut cols = vec![0.0; k * BLOCK];
            let mut w = [0.0f64; BLOCK];
            let mut wa = [0.0f64; BLOCK];
            let mut start = lo;
            while start < hi {
                let m = (hi - start).min(BLOCK);
                for b in 0..m {
                    let i = start + b;
                    let row = design.row(i);
                    if design.intercept {
                        cols[b] = 1.0;
                    }
                    for (j, &v) in row.iter().enumerate() {
                        cols[(j + off) * BLOCK + b] = v;
                    }
                    let eta = design.linear(i, beta);
                    let mu = family.mean(eta);
                    let y = design.y[i];
                    let n = design.weight(i);
                    let v = family.variance(mu);
                    // d mu / d eta: mu for the log link, mu (1 - mu) for the logit.
                    let dmu = if family == Family::Binomial { v } else { mu };
                    let (wi, ui) = (n * dmu * dmu / v, n * (y - mu) * dmu / v);
                    if !(wi.is_finite() && ui.is_finite()) {
                        out.overflow = true;
                    }
                    if y == 0.0 && mu < 1e-10 {
                        out.vanishing += 1;
                    }
                    w[b] = wi;
                    out.deviance += family.deviance(y, mu, eta, n);
                    for j in 0..k {
                        out.score[j] += ui * cols[j * BLOCK + b];
                    }
                }
                for a in 0..k {
                    let ca = &cols[a * BLOCK..a * BLOCK + m];
                    for b in 0..m {
                        wa[b] = w[b] * ca[b];
                    }
                    for c in 0..=a {
                        out.info[a * k + c] += dot(&wa[..m], &cols[c * BLOCK..c * BLOCK + m]);
                    }
                }
                start += m;
            }
            out
        }
    }

    /// The statistics and report at the estimate.
    fn finish(
        &self,
        design: &Design<'_>,
        beta: Vec<f64>,
        iterations: usize,
        cov: Vec<f64>,
        ybar: f64,
    ) -> Result<Glm> {
        let family = self.family;
        let (n, k) = (design.n(), design.k());
        let eta0 = match family {
            Family::Binomial => (ybar / (1.0 - ybar)).ln(),
            _ => ybar.ln(),
        };
        let mu0 = family.mean(eta0);
        // Per chunk, in parallel, reduced in chunk order: deviance, null deviance,
        // Pearson chi^2, the log-likelihood without the Gamma terms, and the Gamma sums
        // of ln(y / mu), y / mu and ln y (its log-likelihood needs the dispersion, known
        // only from the Pearson total).
        let parts = crate::kernels::map_chunks(n, |lo, hi| {
            let mut acc = [0.0f64; 7];
            for i in lo..hi {
                let (y, t) = (design.y[i], design.weight(i));
                let eta = design.linear(i, &beta);
                let mu = family.mean(eta);
                acc[0] += family.deviance(y, mu, eta, t);
                acc[1] += family.deviance(y, mu0, eta0, t);
                acc[2] += t * (y - mu) * (y - mu) / family.variance(mu);
                acc[3] += match family {
                    Family::Poisson => y * eta - mu - ln_gamma(y + 1.0),
                    Family::NegativeBinomial { alpha } => {
                        let ia = 1.0 / alpha;
                        let l1 = (alpha * mu).ln_1p();
                        y * (alpha.ln() + eta - l1) - ia * l1 + ln_gamma(y + ia)
                            - ln_gamma(y + 1.0)
                            - ln_gamma(ia)
                    }
                    Family::Gamma => {
                        acc[4] += (y / mu).ln();
                        acc[5] += y / mu;
                        acc[6] += y.ln();
                        0.0
                    }
                    Family::Binomial => {
                        let s = t * y;
                        ln_gamma(t + 1.0)
                            - ln_gamma(s + 1.0)
                            - ln_gamma(t - s + 1.0)
                            - s * log1p_exp(-eta)
                            - (t - s) * log1p_exp(eta)
                    }
                };
            }
            acc
        });
        let mut sums = [0.0f64; 7];
        for part in &parts {
            for (a, b) in sums.iter_mut().zip(part) {
                *a += b;
            }
        }
        let [
            deviance,
            null_deviance,
            pearson,
            mut ll,
            ln_ratio,
            ratio,
            ln_y,
        ] = sums;
        let df_resid = n - k;
        let scale = if family == Family::Gamma {
            pearson / df_resid as f64
        } else {
            1.0
        };
        if family == Family::Gamma {
            // sum of nu ln(nu y / mu) - nu y / mu - ln Gamma(nu) - ln y, nu = 1 / scale.
            let nu = 1.0 / scale;
            let nf = n as f64;
            ll = nu * (nf * nu.ln() + ln_ratio) - nu * ratio - nf * ln_gamma(nu) - ln_y;
        }
        if !(ll.is_finite() && deviance.is_finite()) {
            return Err(self.diverged(
                iterations,
                &beta,
                "the likelihood at the estimate is not finite",
                0,
            ));
        }
        let cov: Vec<f64> = cov.iter().map(|c| c * scale).collect();
        let report =
            FitReport::new(ll, k, n as f64, None, iterations, true).with_covariance(Some(cov));
        Ok(Glm {
            family,
            names: design.names.clone(),
            coefficients: beta,
            intercept: design.intercept,
            report,
            statistics: GlmStatistics {
                n_obs: n,
                df_model: k - usize::from(design.intercept),
                df_resid,
                deviance,
                null_deviance,
                pearson_chi2: pearson,
                scale,
            },
        })
    }
}

/// The full symmetric matrix of a lower triangle (row-major `k x k`).
fn symmetric(lower: &[f64], k: usize) -> Vec<f64> {
    let mut full = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..=a {
            full[a * k + b] = lower[a * k + b];
            full[b * k + a] = lower[a * k + b];
        }
    }
    full
}

/// Solves `I x = s` for the information given by its lower triangle, by Cholesky.
fn solve_lower_info(lower: &[f64], s: &[f64], k: usize) -> Option<Vec<f64>> {
    let l = cholesky(&symmetric(lower, k), k)?;
    let mut z = vec![0.0; k];
    for i in 0..k {
        let t: f64 = (0..i).map(|c| l[i * k + c] * z[c]).sum();
        z[i] = (s[i] - t) / l[i * k + i];
    }
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let t: f64 = (i + 1..k).map(|c| l[c * k + i] * x[c]).sum();
        x[i] = (z[i] - t) / l[i * k + i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// [`Glm`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawGlm {
    family: Family,
    names: Vec<String>,
    coefficients: Vec<f64>,
    intercept: bool,
    report: FitReport,
    statistics: GlmStatistics,
}

#[cfg(feature = "serde")]
impl TryFrom<RawGlm> for Glm {
    type Error = Error;

    fn try_from(raw: RawGlm) -> Result<Self> {
        raw.family.check()?;
        super::check_saved_coefficients(MODEL, &raw.names, &raw.coefficients, raw.intercept)?;
        let report = raw.report.loaded(MODEL, raw.coefficients.len())?;
        Ok(Self {
            family: raw.family,
            names: raw.names,
            coefficients: raw.coefficients,
            intercept: raw.intercept,
            report,
            statistics: raw.statistics,
        })
    }
}
