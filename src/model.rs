//! The model contract every model of the crate follows: **params -> fit -> fitted**.
//!
//! A model starts as a plain builder of its settings (`BetaGeo::params()`,
//! `KMeans::params(8)`, `Ets::auto()`), with defaults from the field's usual tools.
//! [`Fit::fit`] checks the settings and the data and returns the fitted model or a
//! typed [`Error`]; nothing is checked twice, and a fitted model holds
//! only what prediction needs. Fitted models are `Clone + Debug + Send + Sync` and,
//! with the `serde` feature, saved and loaded (and checked as they load).
//!
//! What a fitted model can do depends on its kind, one trait per kind:
//!
//! | kind | trait | models |
//! | --- | --- | --- |
//! | repeat purchases | [`PurchaseModel`](crate::clv::PurchaseModel) | BG/NBD, MBG/NBD, Pareto/NBD, BG/BB |
//! | spend per purchase | [`SpendModel`](crate::clv::SpendModel) | Gamma-Gamma |
//! | binary outcome | [`Classifier`] | logistic regression |
//! | clusters | [`Clusterer`] | k-means |
//! | feature scaling | [`Transformer`] | standardizer |
//! | time series | [`Forecaster`](crate::forecast::Forecaster) | ETS, ARIMA |
//!
//! Every model fitted by maximum likelihood (or least squares) reports one
//! [`FitReport`] through [`FittedModel`]: log-likelihood, information criteria,
//! standard errors, iterations and convergence, the same fields for a CLV model, a
//! churn model and a forecaster. Models that optimize share one [`Optimizer`] with
//! one meaning of regularization strength.
//!
//! The traits are in [`prelude`](crate::prelude): `use patronage::prelude::*;`.
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::clv::BetaGeo;
//!
//! let summary = patronage::simulate::Simulation::new(2_000).seed(3).summary_continuous()?;
//! let model = BetaGeo::params().penalty(0.001).fit(&summary)?;
//! let report = model.report();
//! assert!(report.converged && report.aicc > report.aic);
//! for p in model.parameters() {
//!     assert!(p.estimate > 0.0 && p.standard_error.is_some(), "{}", p.name);
//! }
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use ndarray::{Array1, Array2, ArrayView2};

/// Fits a model to data: implemented by each model's params (its validated builder).
///
/// `D` is what the model learns from, borrowed: a
/// [`&CustomerSummary`](crate::CustomerSummary) for the CLV models, an
/// `ArrayView2<f64>` of features for k-means and the standardizer, features with
/// `bool` labels for a classifier, a [`&Series`](crate::forecast::Series) for a
/// forecaster, the values of a series for an STL decomposition.
///
/// # Errors
/// Each model's settings out of range ([`Error::InvalidParameter`]), data it cannot
/// learn from (empty, non-finite, not identifiable), or an optimizer that does not
/// converge ([`Error::NotConverged`]).
pub trait Fit<D> {
    /// The fitted model.
    type Fitted;

    /// Checks the settings and the data and fits the model.
    ///
    /// # Errors
    /// As the trait documents, per model.
    fn fit(&self, data: D) -> Result<Self::Fitted>;
}

/// How a model fitted by maximum likelihood (or least squares) fits its data: the same
/// fields for every model of the crate.
///
/// With serde, a non-finite criterion (AICc is infinite when `n <= k + 1`) is written as
/// a string (`"inf"`) so that it reads back exactly; JSON has no infinity.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitReport {
    /// Log-likelihood at the estimate (weighted sum over observations), without any
    /// penalty.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_float"))]
    pub log_likelihood: f64,
    /// Number of estimated parameters `k` the criteria count.
    #[cfg_attr(feature = "serde", serde(default))]
    pub n_params: usize,
    /// Number of observations `n` (customers, rows or periods; weighted where the model
    /// takes weights).
    #[cfg_attr(feature = "serde", serde(default, with = "crate::serde_float"))]
    pub n_obs: f64,
    /// Akaike: `2k - 2 LL`.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_float"))]
    pub aic: f64,
    /// Small-sample corrected: `AIC + 2k(k+1)/(n-k-1)`, infinite when `n <= k + 1`.
    #[cfg_attr(feature = "serde", serde(default, with = "crate::serde_float"))]
    pub aicc: f64,
    /// Bayesian: `k ln(n) - 2 LL`.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_float"))]
    pub bic: f64,
    /// Standard errors of the parameters, in the order of
    /// [`FittedModel::parameters`], where the observed information is positive
    /// definite.
    pub standard_errors: Option<Vec<f64>>,
    /// The covariance matrix of the estimates (row-major, `n_params` x `n_params`: the
    /// inverse observed information, whose diagonal the standard errors are the roots
    /// of), where the model keeps it: the CLV models, for intervals on their
    /// predictions ([`clv::intervals`](crate::clv::intervals)). `None` for the others
    /// and where the information is not positive definite.
    #[cfg_attr(feature = "serde", serde(default))]
    pub covariance: Option<Vec<f64>>,
    /// Optimizer iterations (0 for a closed form or a model built from given
    /// parameters).
    pub iterations: usize,
    /// Whether the optimizer met its tolerance (a fit that does not is an error unless
    /// the model documents otherwise; `false` for a model built from given parameters).
    #[cfg_attr(feature = "serde", serde(default))]
    pub converged: bool,
}

impl FitReport {
    /// The report of a fit with log-likelihood `log_likelihood`, `k` parameters and
    /// `n` observations.
    pub(crate) fn new(
        log_likelihood: f64,
        k: usize,
        n: f64,
        standard_errors: Option<Vec<f64>>,
        iterations: usize,
        converged: bool,
    ) -> Self {
        let kf = k as f64;
        let aic = 2.0 * kf - 2.0 * log_likelihood;
        let aicc = if n > kf + 1.0 {
            aic + 2.0 * kf * (kf + 1.0) / (n - kf - 1.0)
        } else {
            f64::INFINITY
        };
        Self {
            log_likelihood,
            n_params: k,
            n_obs: n,
            aic,
            aicc,
            bic: kf * n.ln() - 2.0 * log_likelihood,
            standard_errors,
            covariance: None,
            iterations,
            converged,
        }
    }

    /// The report with the covariance of the estimates, and standard errors from its
    /// diagonal.
    pub(crate) fn with_covariance(mut self, covariance: Option<Vec<f64>>) -> Self {
        let k = self.n_params;
        self.standard_errors = covariance
            .as_ref()
            .map(|c| (0..k).map(|j| c[j * k + j].sqrt()).collect());
        self.covariance = covariance;
        self
    }

    /// Whether this is the empty report of a model built from given parameters.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) fn is_unfitted(&self) -> bool {
        *self == Self::default()
    }

    /// Checks a report read from a file against the `k` parameters of its model: every
    /// field as [`new`](Self::new) makes it (criteria from the log-likelihood, to
    /// rounding), standard errors one per parameter, finite and `>= 0`. The empty
    /// report of a model built from given parameters passes. A report written by 0.1
    /// (log-likelihood, AIC, BIC, standard errors and iterations only; such reports were
    /// written for converged fits only) gains `k`, `n` (from its BIC), AICc and
    /// convergence first.
    #[cfg(feature = "serde")]
    pub(crate) fn loaded(mut self, model: &'static str, k: usize) -> Result<Self> {
        let written_by_0_1 = self.n_params == 0 && self.n_obs == 0.0 && self.aicc == 0.0;
        if written_by_0_1 && !self.is_unfitted() && k > 0 {
            let n = ((self.bic + 2.0 * self.log_likelihood) / k as f64).exp();
            let upgraded = Self::new(
                self.log_likelihood,
                k,
                n,
                self.standard_errors.take(),
                self.iterations,
                true,
            );
            self = Self {
                aic: self.aic,
                bic: self.bic,
                ..upgraded
            };
        }
        self.check_loaded(model, k)?;
        Ok(self)
    }

    #[cfg(feature = "serde")]
    pub(crate) fn check_loaded(&self, model: &'static str, k: usize) -> Result<()> {
        if self.is_unfitted() {
            return Ok(());
        }
        let bad = |name: &'static str, value: String, reason: String| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason: format!("a saved {model} model's fit report {reason}"),
            })
        };
        if !self.log_likelihood.is_finite() {
            return bad(
                "report.log_likelihood",
                self.log_likelihood.to_string(),
                "must have a finite log-likelihood".into(),
            );
        }
        if self.n_params != k {
            return bad(
                "report.n_params",
                self.n_params.to_string(),
                format!("must count the model's {k} parameters"),
            );
        }
        if !(self.n_obs.is_finite() && self.n_obs > 0.0) {
            return bad(
                "report.n_obs",
                self.n_obs.to_string(),
                "must count a positive, finite number of observations".into(),
            );
        }
        let expected = Self::new(
            self.log_likelihood,
            k,
            self.n_obs,
            None,
            self.iterations,
            self.converged,
        );
        for (name, found, want) in [
            ("report.aic", self.aic, expected.aic),
            ("report.aicc", self.aicc, expected.aicc),
            ("report.bic", self.bic, expected.bic),
        ] {
            let same = found == want || (found - want).abs() <= 1e-9 * want.abs().max(1.0);
            if !same {
                return bad(
                    name,
                    found.to_string(),
                    format!("must be {want} for its log-likelihood, k and n"),
                );
            }
        }
        if let Some(se) = &self.standard_errors {
            crate::validate::same_len("report.standard_errors", k, se.len())?;
            crate::validate::all_non_negative("report.standard_errors", se)?;
        }
        if let Some(cov) = &self.covariance {
            crate::validate::same_len("report.covariance", k * k, cov.len())?;
            for (row, &c) in cov.iter().enumerate() {
                let (i, j) = (row / k, row % k);
                let diagonal = self.standard_errors.as_ref().map(|se| se[i] * se[i]);
                let fine = c.is_finite()
                    && c == cov[j * k + i]
                    && (i != j
                        || (c >= 0.0
                            && diagonal.is_none_or(|d| (d - c).abs() <= 1e-9 * c.max(1e-300))))
                    && c * c <= cov[i * k + i] * cov[j * k + j] * (1.0 + 1e-9);
                if !fine {
                    return Err(crate::validate::invalid_value(
                        "report.covariance",
                        row,
                        c,
                        "a covariance matrix is finite and symmetric, with the squared \
                         standard errors on its diagonal and |c_ij| <= sqrt(c_ii c_jj)",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One estimated parameter of a fitted model, with its standard error where the
/// model's likelihood defines one.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Parameter {
    /// The field's name for it (`r`, `alpha`, `ar1`, a feature's name, ...).
    pub name: String,
    /// The estimate.
    pub estimate: f64,
    /// Its standard error (square root of the diagonal of the inverse observed
    /// information), where defined.
    pub standard_error: Option<f64>,
}

/// A fitted model with a likelihood: its [`FitReport`] and its named parameters.
pub trait FittedModel {
    /// How the model fits its data.
    fn report(&self) -> &FitReport;

    /// The estimated parameters in the model's order, each with its standard error
    /// where the report has them.
    fn parameters(&self) -> Vec<Parameter> {
        let names = self.parameter_names();
        let values = self.parameter_values();
        let se = self.report().standard_errors.as_deref();
        names
            .into_iter()
            .zip(values)
            .enumerate()
            .map(|(i, (name, estimate))| Parameter {
                name,
                estimate,
                standard_error: se.and_then(|s| s.get(i).copied()),
            })
            .collect()
    }

    /// The parameters' names, in the model's order.
    fn parameter_names(&self) -> Vec<String>;

    /// The parameters' values, in the model's order.
    fn parameter_values(&self) -> Vec<f64>;
}

/// Settings shared by every model that optimizes: iterations, tolerance and
/// regularization strength.
///
/// **Regularization has one meaning across the crate**: the fit minimizes the mean
/// negative log-likelihood per (weighted) observation plus `penalty * sum(theta^2)`
/// over the penalized parameters `theta` (bigger = stronger, 0 = none). For the CLV
/// models `theta` are the model's parameters (all of them, as lifetimes squares them), exactly lifetimes'
/// `penalizer_coef`; for logistic regression `theta` are the coefficients without the
/// intercept, so scikit-learn's `C` is `1 / (2 * penalty * n)` for `n` (weighted) rows,
/// and `penalty = 1 / (2 * C * n)`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Optimizer {
    /// Largest number of iterations (`>= 1`).
    pub max_iter: usize,
    /// Convergence tolerance (finite, `> 0`), on the model's documented criterion.
    pub tol: f64,
    /// Regularization strength (finite, `>= 0`); ignored by models without a penalty.
    pub penalty: f64,
}

impl Optimizer {
    /// Settings with `max_iter` iterations, tolerance `tol` and no penalty.
    pub const fn new(max_iter: usize, tol: f64) -> Self {
        Self {
            max_iter,
            tol,
            penalty: 0.0,
        }
    }

    /// Checks the settings: `max_iter >= 1`, `tol` finite and `> 0`, `penalty` finite
    /// and `>= 0`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the setting.
    pub fn check(&self) -> Result<()> {
        if self.max_iter == 0 {
            return Err(Error::InvalidParameter {
                name: "max_iter",
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidParameter {
                name: "tol",
                value: self.tol.to_string(),
                reason: "must be finite and > 0".into(),
            });
        }
        if !(self.penalty.is_finite() && self.penalty >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "penalty",
                value: self.penalty.to_string(),
                reason: "must be finite and >= 0 (0 for no penalty)".into(),
            });
        }
        Ok(())
    }
}

/// The optimizer settings of a model's params, set the same way on every model:
/// `.max_iter(n)`, `.tol(t)` and, where the model has a penalty, `.penalty(l)` (see
/// [`Optimizer`] for its meaning). Values are checked when the model is fitted.
pub trait Optimized: Sized {
    /// The settings.
    fn optimizer(&self) -> &Optimizer;

    /// The settings, to change.
    fn optimizer_mut(&mut self) -> &mut Optimizer;

    /// Largest number of iterations.
    #[must_use]
    fn max_iter(mut self, max_iter: usize) -> Self {
        self.optimizer_mut().max_iter = max_iter;
        self
    }

    /// Convergence tolerance.
    #[must_use]
    fn tol(mut self, tol: f64) -> Self {
        self.optimizer_mut().tol = tol;
        self
    }
}

/// A model whose fit can be regularized, with one meaning of strength (see
/// [`Optimizer`]).
pub trait Regularized: Optimized {
    /// Regularization strength: mean negative log-likelihood plus
    /// `penalty * sum(theta^2)`; 0 (the default) for none.
    #[must_use]
    fn penalty(mut self, penalty: f64) -> Self {
        self.optimizer_mut().penalty = penalty;
        self
    }
}

/// A fitted binary classifier: probabilities of the positive class (`true`) per row of a
/// feature matrix.
pub trait Classifier {
    /// P(label = true) for each row of `x`.
    ///
    /// # Errors
    /// A feature matrix whose columns do not match the fit, or non-finite features.
    fn predict_proba(&self, x: ArrayView2<f64>) -> Result<Array1<f64>>;

    /// The label per row: `true` where P(true) `>= threshold`.
    ///
    /// # Errors
    /// As [`predict_proba`](Self::predict_proba), and
    /// [`Error::InvalidParameter`] for a threshold outside `[0, 1]`.
    fn predict(&self, x: ArrayView2<f64>, threshold: f64) -> Result<Vec<bool>> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(Error::InvalidParameter {
                name: "threshold",
                value: threshold.to_string(),
                reason: "must be a probability in [0, 1]".into(),
            });
        }
        Ok(self
            .predict_proba(x)?
            .iter()
            .map(|&p| p >= threshold)
            .collect())
    }
}

/// A fitted clustering: assigns rows of a feature matrix to its clusters.
pub trait Clusterer {
    /// Number of clusters.
    fn n_clusters(&self) -> usize;

    /// The nearest cluster of each row of `x`.
    ///
    /// # Errors
    /// A feature matrix whose columns do not match the fit, or non-finite features.
    fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>>;
}

/// A fitted transformation of feature matrices (scaling), with its inverse.
pub trait Transformer {
    /// The transformed copy of `x`.
    ///
    /// # Errors
    /// A matrix whose columns do not match the fit, or non-finite values.
    fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>>;

    /// The inverse of [`transform`](Self::transform).
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    fn inverse_transform(&self, z: ArrayView2<f64>) -> Result<Array2<f64>>;
}
