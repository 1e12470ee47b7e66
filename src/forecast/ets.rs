//! Exponential smoothing in state-space form (ETS), after Hyndman, Koehler, Ord &
//! Snyder (2008), *Forecasting with Exponential Smoothing: The State Space Approach*, and
//! R's `forecast::ets`.
//!
//! A model is named ETS(error, trend, season): error additive (A) or multiplicative
//! (M), trend none (N), additive (A) or additive damped (Ad), season none (N), additive
//! (A) or multiplicative (M), with seasonal period `m`. With level `l`, trend `b`,
//! seasonal states `s` and `q = l + φ b` (φ = 1 without damping, `b = 0` without trend),
//! every model shares the one-step forecast and the error-correction updates
//!
//! ```text
//! ŷ_t = q            (season N)      q + s_{t-m}   (A)      q · s_{t-m}   (M)
//! p_t = y_t          (season N)      y_t - s_{t-m} (A)      y_t / s_{t-m} (M)
//! l_t = q + α (p_t - q)
//! b_t = φ b_{t-1} + β (p_t - q)
//! s_t = s_{t-m} + γ (y_t - q - s_{t-m})   (A)    s_{t-m} + γ (y_t / q - s_{t-m})   (M)
//! ```
//!
//! (Hyndman et al. 2008, Table 2.1 in error-correction form; β here is their β, so the
//! slope's own smoothing weight is β/α.) The error type changes only the likelihood and
//! the prediction intervals: additive errors `e_t = y_t - ŷ_t`, multiplicative
//! `e_t = (y_t - ŷ_t) / ŷ_t`.
//!
//! **Estimation.** Smoothing parameters and the initial states (level, slope, `m - 1`
//! seasonal states; the last makes the seasonal states sum to 0 (A) or `m` (M)) are
//! chosen to maximize the Gaussian likelihood with the innovation variance concentrated
//! out, on R's scale:
//! `log L = -½ [n ln Σ e_t² + 2 Σ ln |ŷ_t|]` (the second term for multiplicative errors
//! only). Parameters stay in the usual region `1e-4 ≤ β ≤ α ≤ 0.9999`,
//! `1e-4 ≤ γ ≤ 1 - α`, `0.8 ≤ φ ≤ 0.98`, intersected with the admissible (forecastable)
//! region of Hyndman et al. (2008, ch. 10), as R's `bounds = "both"`. The optimizer is
//! BFGS on logistic-transformed parameters with the exact gradient of the likelihood
//! (propagated through the recursions), with the initial states rescaled by their
//! curvature (a state's curvature grows like 1/σ², so a closely fitted series is
//! otherwise too ill-conditioned for BFGS to reach the optimum), run from four
//! smoothing-parameter starts (R's `initparam` start among them; two for models
//! without trend or season, five for damped trends); initial states start from a
//! classical decomposition of the first three seasons as R's `ets` does. On twelve R
//! datasets the fit reaches R's log-likelihood, or a higher one, for every model R's
//! `ets()` considers. AIC, AICc and BIC count every estimated parameter plus the
//! variance, so they are comparable with R's.
//!
//! **Forecasts.** Point forecasts run the recursions without errors. Intervals are
//! analytic for Hyndman et al.'s classes 1-3 (every model but additive error with
//! multiplicative season): class 1 (additive error, no multiplicative season)
//! `var_h = σ² (1 + Σ_{j<h} c_j²)`, `c_j = α + β φ_j + γ [j mod m = 0]`; class 2
//! (multiplicative error, additive season) and class 3 (multiplicative error and season)
//! by their chapter 6 recursions, the class 3 mean included. ETS(A, ·, M) intervals
//! come from 5,000 seeded simulated paths.
//!
//! ```
//! use patronage::forecast::ets::{Ets, EtsSpec};
//! use patronage::forecast::Series;
//! // A noisy upward line: Holt's linear method follows it.
//! let y: Vec<f64> = (0..40).map(|t| 10.0 + 0.5 * t as f64 + [0.3, -0.2, 0.1, -0.3][t % 4]).collect();
//! use patronage::prelude::*;
//! let fit = Ets::holt(false).fit(&Series::new(&y, 1)?)?;
//! assert_eq!(fit.spec().to_string(), "ETS(A,A,N)");
//! let f = fit.forecast(2, &[0.95])?;
//! assert!((f.mean[0] - 30.0).abs() < 1.0);
//! # Ok::<(), patronage::Error>(())
//! ```

use super::{
    Forecast, Forecaster, Interval, Series, check_finite_forecast, check_request, normal_intervals,
};
use crate::error::{Error, Result};
use crate::math::optim::{Minimum, OptimOptions, bfgs};
use crate::model::{Fit, FitReport, FittedModel, Optimized, Optimizer};

/// The error component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ErrorType {
    /// Additive errors (A).
    Additive,
    /// Multiplicative (relative) errors (M); needs strictly positive data.
    Multiplicative,
}

/// The trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TrendType {
    /// No trend (N).
    None,
    /// Additive trend (A).
    Additive,
    /// Additive damped trend (Ad).
    Damped,
}

/// The seasonal component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SeasonType {
    /// No season (N).
    None,
    /// Additive season (A).
    Additive,
    /// Multiplicative season (M); needs strictly positive data.
    Multiplicative,
}

/// One member of the ETS family, displayed as R prints it (`ETS(M,Ad,M)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EtsSpec {
    /// Error component.
    pub error: ErrorType,
    /// Trend component.
    pub trend: TrendType,
    /// Seasonal component.
    pub season: SeasonType,
}

impl EtsSpec {
    /// A model from its three components.
    pub fn new(error: ErrorType, trend: TrendType, season: SeasonType) -> Self {
        Self {
            error,
            trend,
            season,
        }
    }

    fn has_trend(self) -> bool {
        self.trend != TrendType::None
    }
    fn damped(self) -> bool {
        self.trend == TrendType::Damped
    }
    fn seasonal(self) -> bool {
        self.season != SeasonType::None
    }
    fn multiplicative(self) -> bool {
        self.error == ErrorType::Multiplicative || self.season == SeasonType::Multiplicative
    }
    /// Number of smoothing parameters (α, β, γ, φ as present).
    fn n_smoothing(self) -> usize {
        1 + usize::from(self.has_trend())
            + usize::from(self.seasonal())
            + usize::from(self.damped())
    }
    /// Number of free initial states.
    fn n_states(self, m: usize) -> usize {
        1 + usize::from(self.has_trend()) + if self.seasonal() { m - 1 } else { 0 }
    }
}

impl std::fmt::Display for EtsSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = match self.error {
            ErrorType::Additive => "A",
            ErrorType::Multiplicative => "M",
        };
        let t = match self.trend {
            TrendType::None => "N",
            TrendType::Additive => "A",
            TrendType::Damped => "Ad",
        };
        let s = match self.season {
            SeasonType::None => "N",
            SeasonType::Additive => "A",
            SeasonType::Multiplicative => "M",
        };
        write!(f, "ETS({e},{t},{s})")
    }
}

/// Smallest and largest smoothing parameter, and the damping range (R's defaults).
const LOWER: f64 = 1e-4;
const UPPER: f64 = 0.9999;
const PHI_LOWER: f64 = 0.8;
const PHI_UPPER: f64 = 0.98;
/// Largest seasonal period for seasonal ETS models (as R: more states than that are not
/// estimable from typical series).
pub const MAX_SEASON_LENGTH: usize = 24;

/// Smallest sum of squared errors per observation (on the scaled series) the
/// likelihood uses: an exact fit would otherwise have an infinite likelihood.
const SSE_FLOOR: f64 = 1e-24;

/// The optimizer's defaults: at most 500 BFGS iterations per start, gradient
/// tolerance 1e-6 on the per-observation objective.
const DEFAULT_OPTIMIZER: Optimizer = Optimizer::new(500, 1e-6);

/// Parameters of one ETS fit: `Ets::params(spec).fit(&series)` (through [`Fit`]).
///
/// The optimizer's settings come from [`Optimized`]: `.max_iter(n)` BFGS iterations per
/// start (default 500) and `.tol(t)`, the gradient tolerance on the per-observation
/// negative log-likelihood (default 1e-6).
#[derive(Debug, Clone, PartialEq)]
pub struct Ets {
    spec: EtsSpec,
    season_length: Option<usize>,
    optimizer: Optimizer,
    fixed: Option<EtsCoefficients>,
}

/// The smoothing parameters and initial states of an ETS model, to evaluate a model at
/// given values rather than estimate them ([`Ets::fixed`], [`FittedEts::apply_to`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EtsCoefficients {
    /// Level smoothing α.
    pub alpha: f64,
    /// Trend smoothing β: `Some` exactly when the model has a trend.
    pub beta: Option<f64>,
    /// Seasonal smoothing γ: `Some` exactly when the model is seasonal.
    pub gamma: Option<f64>,
    /// Damping φ: `Some` exactly when the trend is damped.
    pub phi: Option<f64>,
    /// Initial level, slope (models with a trend) and `m` seasonal states (seasonal
    /// models, most recent first), as [`FittedEts::initial_state`].
    pub initial_state: Vec<f64>,
}

impl Ets {
    /// An ETS model of the given components. The seasonal period comes from the series
    /// unless set with [`season_length`](Self::season_length).
    pub fn params(spec: EtsSpec) -> Self {
        Self {
            spec,
            season_length: None,
            optimizer: DEFAULT_OPTIMIZER,
            fixed: None,
        }
    }

    /// Simple exponential smoothing: ETS(A,N,N).
    pub fn simple() -> Self {
        Self::params(EtsSpec::new(
            ErrorType::Additive,
            TrendType::None,
            SeasonType::None,
        ))
    }

    /// Holt's linear method, ETS(A,A,N), or its damped form ETS(A,Ad,N).
    pub fn holt(damped: bool) -> Self {
        let trend = if damped {
            TrendType::Damped
        } else {
            TrendType::Additive
        };
        Self::params(EtsSpec::new(ErrorType::Additive, trend, SeasonType::None))
    }

    /// Holt-Winters: additive ETS(A,A,A) or multiplicative ETS(M,A,M), damped or not.
    pub fn holt_winters(season: SeasonType, damped: bool) -> Self {
        let trend = if damped {
            TrendType::Damped
        } else {
            TrendType::Additive
        };
        let error = match season {
            SeasonType::Multiplicative => ErrorType::Multiplicative,
            _ => ErrorType::Additive,
        };
        Self::params(EtsSpec::new(error, trend, season))
    }

    /// Automatic selection among the admissible models (see [`AutoEts`]).
    pub fn auto() -> AutoEts {
        AutoEts::default()
    }

    /// Overrides the series' seasonal period.
    pub fn season_length(mut self, m: usize) -> Self {
        self.season_length = Some(m);
        self
    }

    /// Evaluates the model at given smoothing parameters and initial states instead of
    /// estimating them (R's `ets(y, model = fit)`): [`fit`](Fit::fit) then runs the
    /// recursions once over the series, with the log-likelihood, criteria, residuals
    /// and forecasts of the model at these values. The criteria count the same
    /// parameters as an estimated model, so that they compare with its fit; the
    /// report has 0 iterations and `converged = false` (nothing was optimized).
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::forecast::{ets::Ets, Series};
    /// let y: Vec<f64> = (0..40).map(|t| 10.0 + 0.5 * t as f64 + [0.3, -0.2, 0.1, -0.3][t % 4]).collect();
    /// let series = Series::new(&y, 1)?;
    /// let fit = Ets::holt(false).fit(&series)?;
    /// let again = Ets::holt(false).fixed(fit.coefficients()).fit(&series)?;
    /// assert!((again.report().log_likelihood - fit.report().log_likelihood).abs() < 1e-9);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn fixed(mut self, coefficients: EtsCoefficients) -> Self {
        self.fixed = Some(coefficients);
        self
    }
}

impl Optimized for Ets {
    fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }
    fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }
}

impl Fit<&Series> for Ets {
    type Fitted = FittedEts;

    /// Fits the model by maximum likelihood (or evaluates it at the values given to
    /// [`fixed`](Ets::fixed)).
    ///
    /// # Errors
    /// - [`Error::InvalidParameter`] for a seasonal model with `m < 2` or `m > 24`, or
    ///   optimizer settings out of range ([`Optimizer::check`]); for fixed values, a
    ///   smoothing parameter missing or present against the model, outside `[0, 1]`
    ///   (φ outside `(0, 1]`) or outside the admissible region, or initial states of
    ///   the wrong length or not finite.
    /// - [`Error::InvalidValue`] naming the first value that is not strictly positive
    ///   when the model has a multiplicative component.
    /// - [`Error::InsufficientData`] when the series has fewer observations than
    ///   estimated parameters + 2 (so that AICc is defined).
    /// - [`Error::NotConverged`] when no start reaches a finite likelihood (or the
    ///   fixed values give none).
    fn fit(&self, series: &Series) -> Result<FittedEts> {
        let m = self.season_length.unwrap_or(series.season_length());
        check_model(self.spec, m, series)?;
        if let Some(c) = &self.fixed {
            return evaluate_fixed(self.spec, m, series.values(), c);
        }
        self.optimizer.check()?;
        fit_model(self.spec, m, series.values(), &self.optimizer, None)
    }
}

fn check_model(spec: EtsSpec, m: usize, series: &Series) -> Result<()> {
    if spec.seasonal() && !(2..=MAX_SEASON_LENGTH).contains(&m) {
        return Err(Error::InvalidParameter {
            name: "season_length",
            value: m.to_string(),
            reason: format!(
                "a seasonal ETS model needs a seasonal period between 2 and {MAX_SEASON_LENGTH}"
            ),
        });
    }
    if spec.multiplicative()
        && let Some((row, &value)) = series.values().iter().enumerate().find(|(_, v)| **v <= 0.0)
    {
        return Err(Error::InvalidValue {
            field: "series",
            row,
            value,
            reason: format!("{spec} has a multiplicative component and needs positive data"),
        });
    }
    let m_eff = if spec.seasonal() { m } else { 1 };
    let k = spec.n_smoothing() + spec.n_states(m_eff) + 1;
    if series.len() < k + 2 {
        return Err(Error::InsufficientData {
            model: "ETS",
            reason: format!(
                "{spec} estimates {k} parameters and needs at least {} observations, got {}",
                k + 2,
                series.len()
            ),
        });
    }
    Ok(())
}

pub use super::Criterion;

/// Automatic ETS selection as R's `ets()`: every admissible model is fitted and the one
/// with the lowest information criterion (AICc by default) is kept.
///
/// Candidates: error A or M, trend N, A or Ad, season N, A or M (seasonal models only
/// when `2 <= m <= 24` and the series covers more than `m` observations and enough for
/// the model's parameters); multiplicative components only for strictly positive data;
/// additive error with multiplicative season is left out (R's `restrict = TRUE`: its
/// likelihood is numerically unstable). Models whose fit fails are skipped.
///
/// Models are fitted in an order that lets each start from a fitted twin: a
/// multiplicative-error model from its additive-error twin (the same recursions), a
/// damped trend from the undamped one; such a model runs two starts (the twin's optimum
/// and one generic start) instead of four. A fixed specification may therefore reach a
/// slightly different optimum inside `fit` than fitted alone.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::forecast::{ets::Ets, Series};
/// let y: Vec<f64> = (0..60).map(|t| 50.0 * (1.0 + 0.3 * ((t % 12) as f64 / 12.0 * 6.283).sin()) * 1.01f64.powi(t as i32)).collect();
/// let fit = Ets::auto().fit(&Series::new(&y, 12)?)?;
/// assert!(fit.spec().to_string().ends_with(",M)") || fit.spec().to_string().ends_with(",A)"));
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AutoEts {
    criterion: Criterion,
    season_length: Option<usize>,
    damped: Option<bool>,
    additive_only: bool,
    optimizer: Optimizer,
}

impl Default for AutoEts {
    fn default() -> Self {
        Self {
            criterion: Criterion::Aicc,
            season_length: None,
            damped: None,
            additive_only: false,
            optimizer: DEFAULT_OPTIMIZER,
        }
    }
}

impl Optimized for AutoEts {
    fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }
    fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }
}

impl AutoEts {
    /// The information criterion to minimize (default AICc).
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// Overrides the series' seasonal period.
    pub fn season_length(mut self, m: usize) -> Self {
        self.season_length = Some(m);
        self
    }

    /// Only damped (`Some(true)`) or only undamped (`Some(false)`) trends; both when
    /// `None` (default).
    pub fn damped(mut self, damped: Option<bool>) -> Self {
        self.damped = damped;
        self
    }

    /// Only additive components (error, trend and season).
    pub fn additive_only(mut self, additive_only: bool) -> Self {
        self.additive_only = additive_only;
        self
    }

    /// The candidate models for a series (in the order they are tried).
    pub fn candidates(&self, series: &Series) -> Vec<EtsSpec> {
        let m = self.season_length.unwrap_or(series.season_length());
        let positive = series.values().iter().all(|v| *v > 0.0);
        let mut out = Vec::new();
        let errors: &[ErrorType] = if positive && !self.additive_only {
            &[ErrorType::Additive, ErrorType::Multiplicative]
        } else {
            &[ErrorType::Additive]
        };
        let mut trends = vec![TrendType::None];
        if self.damped != Some(true) {
            trends.push(TrendType::Additive);
        }
        if self.damped != Some(false) {
            trends.push(TrendType::Damped);
        }
        let mut seasons = vec![SeasonType::None];
        if (2..=MAX_SEASON_LENGTH).contains(&m) && series.len() > m {
            seasons.push(SeasonType::Additive);
            if positive && !self.additive_only {
                seasons.push(SeasonType::Multiplicative);
            }
        }
        for &error in errors {
            for &trend in &trends {
                for &season in &seasons {
                    if error == ErrorType::Additive && season == SeasonType::Multiplicative {
                        continue;
                    }
                    let spec = EtsSpec::new(error, trend, season);
                    if check_model(spec, m, series).is_ok() {
                        out.push(spec);
                    }
                }
            }
        }
        out
    }
}

impl Fit<&Series> for AutoEts {
    type Fitted = FittedEts;

    /// Fits every candidate and returns the best by the criterion.
    ///
    /// # Errors
    /// [`Error::InsufficientData`] when no candidate can be fitted (too short a series:
    /// even ETS(A,N,N) needs 5 observations); [`Error::InvalidParameter`] for optimizer
    /// settings out of range.
    fn fit(&self, series: &Series) -> Result<FittedEts> {
        self.optimizer.check()?;
        let m = self.season_length.unwrap_or(series.season_length());
        let mut fitted: Vec<FittedEts> = Vec::new();
        let mut last_error = None;
        for spec in self.candidates(series) {
            // Warm start from the closest model already fitted: the additive-error twin
            // (same recursions, so the same optimum is a natural start for
            // multiplicative errors), else the undamped twin of a damped model.
            let twin = |e: ErrorType, t: TrendType| {
                fitted
                    .iter()
                    .find(|f| f.spec == EtsSpec::new(e, t, spec.season))
            };
            let warm = match (spec.error, spec.trend) {
                (ErrorType::Multiplicative, t) => twin(ErrorType::Additive, t),
                (e, TrendType::Damped) => twin(e, TrendType::Additive),
                _ => None,
            }
            .or_else(|| {
                (spec.trend == TrendType::Damped)
                    .then(|| twin(spec.error, TrendType::Additive))
                    .flatten()
            });
            match fit_model(spec, m, series.values(), &self.optimizer, warm) {
                Ok(fit) => fitted.push(fit),
                Err(e) => last_error = Some(e),
            }
        }
        let best = fitted
            .into_iter()
            .map(|f| (self.criterion.of(&f.report), f))
            .filter(|(score, _)| score.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((_, fit)) => Ok(fit),
            None => Err(last_error.unwrap_or(Error::InsufficientData {
                model: "ETS",
                reason: format!(
                    "a series of {} observations is too short for any ETS model",
                    series.len()
                ),
            })),
        }
    }
}

/// A fitted ETS model: parameters, initial and final states, fit statistics.
///
/// Its [`FitReport`] ([`FittedModel::report`]) has the log-likelihood, AIC, AICc and
/// BIC on R's scale, `n_params` the estimated parameters (smoothing parameters, free
/// initial states and the variance) and `n_obs` the series' length; no standard errors.
/// [`FittedModel::parameters`] lists them in that order: `alpha`, `beta`, `gamma`,
/// `phi` (those the model has), the free initial states `l`, `b`, `s1`, ... (seasonal
/// states most recent first; the last one, fixed by the others, is left out) and
/// `sigma2`.
///
/// With serde, a model is checked as it is read: a season length of at least 1 (2 to
/// [`MAX_SEASON_LENGTH`] for seasonal models), β, γ and φ present exactly when the
/// model has a trend, a season and damping, finite smoothing parameters in `[0, 1]`
/// (φ in `(0, 1]`) inside the admissible region, states of length
/// `1 + trend + season length` (seasonal models), finite, a finite non-negative σ².
/// A file that breaks one of these is an [`Error`] (naming the field) at load time,
/// not a panic in [`forecast`](Self::forecast).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawEts")
)]
pub struct FittedEts {
    spec: EtsSpec,
    m: usize,
    alpha: f64,
    beta: Option<f64>,
    gamma: Option<f64>,
    phi: Option<f64>,
    /// Initial state (level, slope if any, seasonal states most recent first).
    initial_state: Vec<f64>,
    /// State after the last observation, same layout.
    last_state: Vec<f64>,
    sigma2: f64,
    report: FitReport,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// [`FittedEts`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawEts {
    spec: EtsSpec,
    m: usize,
    alpha: f64,
    beta: Option<f64>,
    gamma: Option<f64>,
    phi: Option<f64>,
    initial_state: Vec<f64>,
    last_state: Vec<f64>,
    sigma2: f64,
    #[serde(default)]
    report: Option<FitReport>,
    /// Version 0.1's criteria, in place of `report`.
    #[serde(default)]
    criteria: Option<super::LegacyCriteria>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// Checks smoothing parameters and initial states against a model and its season
/// length: β, γ and φ present exactly when the model has a trend, a season and
/// damping, smoothing parameters in `[0, 1]` (φ in `(0, 1]`) inside the admissible
/// region, initial states of length `1 + trend + season length` (seasonal models),
/// finite.
fn check_coefficients(spec: EtsSpec, m: usize, c: &EtsCoefficients) -> Result<()> {
    use super::{check_all_finite as finite, invalid};
    use crate::validate::same_len as len;
    for (name, value, present) in [
        ("beta", c.beta, spec.has_trend()),
        ("gamma", c.gamma, spec.seasonal()),
        ("phi", c.phi, spec.damped()),
    ] {
        if value.is_some() != present {
            return Err(invalid(
                name,
                format!("{value:?}"),
                format!(
                    "{spec} {} this parameter",
                    if present { "needs" } else { "has no" }
                ),
            ));
        }
    }
    for (name, value) in [
        ("alpha", Some(c.alpha)),
        ("beta", c.beta),
        ("gamma", c.gamma),
    ] {
        if let Some(v) = value
            && !(0.0..=1.0).contains(&v)
        {
            return Err(invalid(name, v, "a smoothing parameter is in [0, 1]"));
        }
    }
    if let Some(v) = c.phi
        && !(v > 0.0 && v <= 1.0)
    {
        return Err(invalid("phi", v, "the damping parameter is in (0, 1]"));
    }
    let p = Smoothing {
        alpha: c.alpha,
        beta: c.beta.unwrap_or(0.0),
        gamma: c.gamma.unwrap_or(0.0),
        phi: c.phi.unwrap_or(1.0),
    };
    if !admissible(spec, if spec.seasonal() { m } else { 1 }, &p) {
        return Err(invalid(
            "alpha",
            format!("{p:?}"),
            format!("the smoothing parameters are outside {spec}'s admissible region"),
        ));
    }
    let states = 1 + usize::from(spec.has_trend()) + if spec.seasonal() { m } else { 0 };
    len("initial_state", states, c.initial_state.len())?;
    finite("initial_state", &c.initial_state)?;
    Ok(())
}

#[cfg(feature = "serde")]
impl TryFrom<RawEts> for FittedEts {
    type Error = Error;

    fn try_from(raw: RawEts) -> Result<FittedEts> {
        use crate::validate::{
            all_finite as finite, all_non_negative as non_negative, invalid_parameter as invalid,
            same_len as len,
        };
        let spec = raw.spec;
        let m = raw.m;
        if m == 0 || (spec.seasonal() && !(2..=MAX_SEASON_LENGTH).contains(&m)) {
            return Err(invalid(
                "m",
                m,
                format!(
                    "the season length is at least 1, and between 2 and {MAX_SEASON_LENGTH} for a seasonal model"
                ),
            ));
        }
        let coefficients = EtsCoefficients {
            alpha: raw.alpha,
            beta: raw.beta,
            gamma: raw.gamma,
            phi: raw.phi,
            initial_state: raw.initial_state,
        };
        check_coefficients(spec, m, &coefficients)?;
        let states = coefficients.initial_state.len();
        len("last_state", states, raw.last_state.len())?;
        finite("last_state", &raw.last_state)?;
        non_negative("sigma2", &[raw.sigma2])?;
        finite("fitted", &raw.fitted)?;
        len("residuals", raw.fitted.len(), raw.residuals.len())?;
        finite("residuals", &raw.residuals)?;
        let k = n_params(spec, m);
        let report = super::loaded_report(raw.report, raw.criteria, k, raw.fitted.len() as f64)?;
        report.check_loaded("ETS", k)?;
        if report.standard_errors.is_some() {
            return Err(invalid(
                "report.standard_errors",
                "Some(..)",
                "an ETS model has no standard errors",
            ));
        }
        Ok(FittedEts {
            spec,
            m,
            alpha: raw.alpha,
            beta: raw.beta,
            gamma: raw.gamma,
            phi: raw.phi,
            initial_state: coefficients.initial_state,
            last_state: raw.last_state,
            sigma2: raw.sigma2,
            report,
            fitted: raw.fitted,
            residuals: raw.residuals,
        })
    }
}

/// The parameters an ETS model's criteria count: smoothing parameters, free initial
/// states and the variance (`m` the season length, 1 for a non-seasonal model).
fn n_params(spec: EtsSpec, m: usize) -> usize {
    spec.n_smoothing() + spec.n_states(if spec.seasonal() { m } else { 1 }) + 1
}

impl FittedEts {
    /// The model's components.
    pub fn spec(&self) -> EtsSpec {
        self.spec
    }
    /// The seasonal period used (1 for non-seasonal models).
    pub fn season_length(&self) -> usize {
        self.m
    }
    /// Level smoothing α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Trend smoothing β (models with a trend).
    pub fn beta(&self) -> Option<f64> {
        self.beta
    }
    /// Seasonal smoothing γ (seasonal models).
    pub fn gamma(&self) -> Option<f64> {
        self.gamma
    }
    /// Damping φ (damped models).
    pub fn phi(&self) -> Option<f64> {
        self.phi
    }
    /// Initial level, slope (models with a trend) and seasonal states (most recent
    /// first, so the last one applies to the first observation).
    pub fn initial_state(&self) -> &[f64] {
        &self.initial_state
    }
    /// The state after the last observation, laid out as [`initial_state`](Self::initial_state).
    pub fn last_state(&self) -> &[f64] {
        &self.last_state
    }
    /// Innovation variance: `Σ e_t² / (n - k)` with `e_t` the additive or relative
    /// errors and `k` the estimated parameters, as R.
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }
    /// The smoothing parameters and initial states, to evaluate the model on another
    /// series ([`Ets::fixed`]).
    pub fn coefficients(&self) -> EtsCoefficients {
        EtsCoefficients {
            alpha: self.alpha,
            beta: self.beta,
            gamma: self.gamma,
            phi: self.phi,
            initial_state: self.initial_state.clone(),
        }
    }
    /// The model at its smoothing parameters and initial states, run over another
    /// series (or the same one) without re-estimating anything (R's
    /// `ets(y, model = fit)`): `Ets::params(spec).season_length(m).fixed(coefficients)`.
    ///
    /// # Errors
    /// As [`Ets`]'s [`fit`](Fit::fit): a series too short for the model or with
    /// non-positive values for a multiplicative one.
    pub fn apply_to(&self, series: &Series) -> Result<FittedEts> {
        Ets::params(self.spec)
            .season_length(self.m)
            .fixed(self.coefficients())
            .fit(series)
    }

    fn params(&self) -> Smoothing {
        Smoothing {
            alpha: self.alpha,
            beta: self.beta.unwrap_or(0.0),
            gamma: self.gamma.unwrap_or(0.0),
            phi: self.phi.unwrap_or(1.0),
        }
    }

    /// Point forecasts `h` periods ahead (no intervals).
    fn point_forecasts(&self, h: usize) -> Vec<f64> {
        let (spec, m) = (self.spec, self.m);
        let p = self.params();
        let l = self.last_state[0];
        let b = if spec.has_trend() {
            self.last_state[1]
        } else {
            0.0
        };
        let seasons = &self.last_state[1 + usize::from(spec.has_trend())..];
        let mut out = Vec::with_capacity(h);
        let mut phi_h = 0.0;
        let mut phi_pow = 1.0;
        for step in 1..=h {
            phi_pow *= p.phi;
            phi_h += phi_pow;
            let q = l + phi_h * b;
            out.push(match spec.season {
                SeasonType::None => q,
                // Seasonal states are stored most recent first: step h uses the state
                // of the same season one cycle back.
                SeasonType::Additive => q + seasons[m - 1 - (step - 1) % m],
                SeasonType::Multiplicative => q * seasons[m - 1 - (step - 1) % m],
            });
        }
        out
    }

    fn forecast_unchecked(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        let point = self.point_forecasts(h);
        let p = self.params();
        let (m, spec, sigma2) = (self.m, self.spec, self.sigma2);
        // c_j = α + β φ_j + γ [j mod m = 0], j = 1..h-1 (class 1 and 2 weights).
        let mut c = Vec::with_capacity(h);
        let (mut phi_j, mut phi_pow) = (0.0, 1.0);
        for j in 1..h {
            phi_pow *= p.phi;
            phi_j += phi_pow;
            let seasonal = if spec.seasonal() && j % m == 0 {
                p.gamma
            } else {
                0.0
            };
            c.push(p.alpha + p.beta * phi_j + seasonal);
        }
        // Variances are computed in units scaled by a power of two (`unit`, exact) so
        // that squares of large forecasts do not overflow where the standard deviation
        // itself is finite; sd = sqrt(scaled variance) / unit.
        let (mean, var, unit) = match (spec.error, spec.season) {
            (ErrorType::Additive, SeasonType::None | SeasonType::Additive) => {
                let unit = crate::segment::scale::pow2_scale(sigma2.sqrt());
                let s2 = sigma2 * unit * unit;
                let mut acc = 0.0;
                let var = (0..h)
                    .map(|i| {
                        if i > 0 {
                            acc += c[i - 1] * c[i - 1];
                        }
                        s2 * (1.0 + acc)
                    })
                    .collect();
                (point, var, unit)
            }
            (ErrorType::Multiplicative, SeasonType::None | SeasonType::Additive) => {
                // Over the finite forecasts: an overflowed one is reported at its step.
                let unit = crate::segment::scale::pow2_scale(
                    point
                        .iter()
                        .filter(|v| v.is_finite())
                        .fold(0.0f64, |m, v| m.max(v.abs())),
                );
                let scaled: Vec<f64> = point.iter().map(|v| v * unit).collect();
                let mut theta = vec![0.0; h];
                for j in 0..h {
                    theta[j] = scaled[j] * scaled[j]
                        + sigma2 * (0..j).map(|i| c[i] * c[i] * theta[j - 1 - i]).sum::<f64>();
                }
                let var = (0..h)
                    .map(|j| (1.0 + sigma2) * theta[j] - scaled[j] * scaled[j])
                    .collect();
                (point, var, unit)
            }
            (ErrorType::Multiplicative, SeasonType::Multiplicative) => self.class3(h),
            (ErrorType::Additive, SeasonType::Multiplicative) => {
                return Ok(self.simulated_forecast(point, h, levels));
            }
        };
        // A NaN variance (inf - inf after overflow) stays NaN, for the finiteness check.
        let sd: Vec<f64> = var
            .iter()
            .map(|&v: &f64| {
                if v.is_nan() {
                    v
                } else {
                    v.max(0.0).sqrt() / unit
                }
            })
            .collect();
        Ok(Forecast {
            intervals: normal_intervals(&mean, &sd, levels),
            mean,
        })
    }

    /// Hyndman et al. (2008, sec. 6.4) class 3 mean and variance (multiplicative error
    /// and season): moments of the product of the level-trend and seasonal parts.
    /// With a damped trend the level-trend block uses `(1, φ)` and `[[1, φ], [0, φ]]`
    /// (R's implementation puts 1 where the damped forecast needs φ).
    ///
    /// The level and trend are scaled by a power of two (`unit`, returned) so that the
    /// variance recursion does not overflow where the standard deviation is finite:
    /// the mean is returned unscaled, the variance in `unit^2` units.
    fn class3(&self, h: usize) -> (Vec<f64>, Vec<f64>, f64) {
        let (m, spec, s2) = (self.m, self.spec, self.sigma2);
        let p = self.params();
        let k = 1 + usize::from(spec.has_trend());
        // Level-trend block: x1' = F1 x1 + G1 x1 e, seasonal block: x2' = F2 x2 + G2 x2 e.
        let (f1, g1): (Vec<f64>, Vec<f64>) = if k == 1 {
            (vec![1.0], vec![p.alpha])
        } else {
            (
                vec![1.0, p.phi, 0.0, p.phi],
                vec![p.alpha, p.alpha * p.phi, p.beta, p.beta * p.phi],
            )
        };
        // Seasonal states most recent first: s'_1 = s_m (+ γ s_m e), s'_{i+1} = s_i.
        let mut f2 = vec![0.0; m * m];
        f2[m - 1] = 1.0;
        for i in 1..m {
            f2[i * m + i - 1] = 1.0;
        }
        let mut g2 = vec![0.0; m * m];
        g2[m - 1] = p.gamma;
        let kron = |a: &[f64], ar: usize, b: &[f64], br: usize| -> Vec<f64> {
            let n = ar * br;
            let mut out = vec![0.0; n * n];
            for i in 0..ar {
                for j in 0..ar {
                    let aij = a[i * ar + j];
                    if aij == 0.0 {
                        continue;
                    }
                    for r in 0..br {
                        for s in 0..br {
                            out[(i * br + r) * n + j * br + s] = aij * b[r * br + s];
                        }
                    }
                }
            }
            out
        };
        let n = k * m;
        // vec(M) in R is column-major over the k x m matrix Mh = x1 x2': index j*k + i.
        // With Kronecker products ordered (seasonal ⊗ level-trend) as R.
        let f21 = kron(&f2, m, &f1, k);
        let g21 = kron(&g2, m, &g1, k);
        let kk: Vec<f64> = kron(&g2, m, &f1, k)
            .iter()
            .zip(kron(&f2, m, &g1, k))
            .map(|(a, b)| a + b)
            .collect();
        let matmul = |a: &[f64], b: &[f64]| -> Vec<f64> {
            let mut out = vec![0.0; n * n];
            for i in 0..n {
                for l in 0..n {
                    let ail = a[i * n + l];
                    if ail == 0.0 {
                        continue;
                    }
                    for j in 0..n {
                        out[i * n + j] += ail * b[l * n + j];
                    }
                }
            }
            out
        };
        // a v b': a and b are sparse (Kronecker products of shifts and 2 x 2 blocks), so
        // both products skip their zeros, O(n nnz) rather than O(n^3) per step. Each
        // entry sums its terms in the same order as the dense product.
        let sandwich = |a: &[f64], v: &[f64], b: &[f64]| {
            let av = matmul(a, v);
            let mut out = vec![0.0; n * n];
            for j in 0..n {
                for l in 0..n {
                    let bjl = b[j * n + l];
                    if bjl == 0.0 {
                        continue;
                    }
                    for i in 0..n {
                        out[i * n + j] += av[i * n + l] * bjl;
                    }
                }
            }
            out
        };
        let h1 = [1.0, p.phi];
        let unit = crate::segment::scale::pow2_scale(
            self.last_state[..k]
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs())),
        );
        let x1_scaled: Vec<f64> = self.last_state[..k].iter().map(|v| v * unit).collect();
        let x1 = &x1_scaled;
        let x2 = &self.last_state[k..];
        // Mh (k x m), stored row-major as mh[i * m + j].
        let mut mh: Vec<f64> = (0..k)
            .flat_map(|i| x2.iter().map(move |s| x1[i] * s))
            .collect();
        let mut vh = vec![0.0; n * n];
        let (mut mean, mut var) = (Vec::with_capacity(h), Vec::with_capacity(h));
        for _ in 0..h {
            // mu = H1 Mh H2' with H1 = (1, φ): level plus damped slope, last season.
            let mu: f64 = (0..k).map(|i| h1[i] * mh[i * m + m - 1]).sum();
            // H21 = H2 ⊗ H1 weights the entries (i, m-1) of Mh in vec order.
            let base = (m - 1) * k;
            let mut hvh = 0.0;
            for a in 0..k {
                for b in 0..k {
                    hvh += h1[a] * h1[b] * vh[(base + a) * n + base + b];
                }
            }
            mean.push(mu);
            var.push((1.0 + s2) * hvh + s2 * mu * mu);
            let vec_m: Vec<f64> = (0..n).map(|idx| mh[(idx % k) * m + idx / k]).collect();
            let mut outer_plus = vh.clone();
            let mut outer3 = vh.iter().map(|v| 3.0 * v).collect::<Vec<_>>();
            for a in 0..n {
                for b in 0..n {
                    let o = vec_m[a] * vec_m[b];
                    outer_plus[a * n + b] += o;
                    outer3[a * n + b] += 2.0 * o;
                }
            }
            let t1 = sandwich(&f21, &vh, &f21);
            let t2 = sandwich(&f21, &vh, &g21);
            let t3 = sandwich(&g21, &vh, &f21);
            let t4 = sandwich(&kk, &outer_plus, &kk);
            let t5 = sandwich(&g21, &outer3, &g21);
            for i in 0..n * n {
                vh[i] = t1[i] + s2 * (t2[i] + t3[i] + t4[i] + s2 * t5[i]);
            }
            // Mh' = F1 Mh F2' + σ² G1 Mh G2'.
            let prod = |a: &[f64], b: &[f64]| -> Vec<f64> {
                // a (k x k) * mh (k x m) * b' (m x m)
                let mut am = vec![0.0; k * m];
                for i in 0..k {
                    for l in 0..k {
                        for j in 0..m {
                            am[i * m + j] += a[i * k + l] * mh[l * m + j];
                        }
                    }
                }
                let mut out = vec![0.0; k * m];
                for i in 0..k {
                    for j in 0..m {
                        out[i * m + j] = (0..m).map(|l| am[i * m + l] * b[j * m + l]).sum();
                    }
                }
                out
            };
            let a = prod(&f1, &f2);
            let b = prod(&g1, &g2);
            mh = a.iter().zip(&b).map(|(x, y)| x + s2 * y).collect();
        }
        let mean = mean.iter().map(|v| v / unit).collect();
        (mean, var, unit)
    }

    /// Intervals from simulated sample paths (ETS(A,·,M)); the mean stays the point
    /// forecast.
    fn simulated_forecast(&self, point: Vec<f64>, h: usize, levels: &[f64]) -> Forecast {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        const PATHS: usize = 5_000;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x05ee_de75);
        let Ok(normal) = Normal::new(0.0, self.sigma2.max(0.0).sqrt()) else {
            // Unreachable for a fitted model (σ² is finite); degrade to no intervals' width.
            let intervals = levels
                .iter()
                .map(|&level| Interval {
                    level,
                    lower: point.clone(),
                    upper: point.clone(),
                })
                .collect();
            return Forecast {
                mean: point,
                intervals,
            };
        };
        // All paths advance one step at a time and each step's quantiles are taken
        // before the next: memory is PATHS states, not PATHS x h values (400 MB at
        // h = MAX_HORIZON).
        let p = self.params();
        let k = 1 + usize::from(self.spec.has_trend());
        let width = self.last_state.len();
        let mut states: Vec<f64> = (0..PATHS)
            .flat_map(|_| self.last_state.iter().copied())
            .collect();
        let mut row = vec![0.0; PATHS];
        let mut intervals: Vec<Interval> = levels
            .iter()
            .map(|&level| Interval {
                level,
                lower: Vec::with_capacity(h),
                upper: Vec::with_capacity(h),
            })
            .collect();
        for _ in 0..h {
            for (state, y) in states.chunks_exact_mut(width).zip(row.iter_mut()) {
                let e = normal.sample(&mut rng);
                *y = step_state(self.spec, self.m, &p, state, k, |yhat| yhat + e);
            }
            row.sort_by(f64::total_cmp);
            for interval in &mut intervals {
                let level = interval.level;
                interval
                    .lower
                    .push(quantile_sorted(&row, 0.5 - level / 2.0));
                interval
                    .upper
                    .push(quantile_sorted(&row, 0.5 + level / 2.0));
            }
        }
        Forecast {
            mean: point,
            intervals,
        }
    }
}

impl Forecaster for FittedEts {
    /// Forecasts `h` periods ahead with intervals at each level (fractions in (0, 1)).
    ///
    /// Means and variances are analytic except for ETS(A,·,M), whose intervals come
    /// from 5,000 simulated paths with a fixed seed (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h = 0` or a level outside (0, 1);
    /// [`Error::NonFinite`] naming the first step (row 0 is one step ahead) whose
    /// forecast or interval bound is beyond the range of f64 (the multiplicative
    /// models' variances grow geometrically with the horizon).
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        let f = self.forecast_unchecked(h, levels)?;
        check_finite_forecast(&f)?;
        Ok(f)
    }

    /// One-step-ahead fitted values `ŷ_t`.
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// Response residuals `y_t - ŷ_t`.
    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

impl FittedModel for FittedEts {
    fn report(&self) -> &FitReport {
        &self.report
    }

    fn parameter_names(&self) -> Vec<String> {
        let spec = self.spec;
        let mut names = vec!["alpha".to_string()];
        for (name, present) in [
            ("beta", spec.has_trend()),
            ("gamma", spec.seasonal()),
            ("phi", spec.damped()),
        ] {
            if present {
                names.push(name.into());
            }
        }
        names.push("l".into());
        if spec.has_trend() {
            names.push("b".into());
        }
        let free = spec.n_states(self.m) - 1 - usize::from(spec.has_trend());
        names.extend((1..=free).map(|i| format!("s{i}")));
        names.push("sigma2".into());
        names
    }

    fn parameter_values(&self) -> Vec<f64> {
        let mut values = vec![self.alpha];
        values.extend(self.beta);
        values.extend(self.gamma);
        values.extend(self.phi);
        values.extend(&self.initial_state[..self.spec.n_states(self.m)]);
        values.push(self.sigma2);
        values
    }
}

/// Linear-interpolation quantile of sorted data (R's type 7).
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    if lo + 1 < sorted.len() {
        sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
    } else {
        sorted[lo]
    }
}

/// Advances a state (level, slope, seasons most recent first) by one observation
/// drawn as `observe(ŷ)`; returns the observation.
fn step_state(
    spec: EtsSpec,
    m: usize,
    p: &Smoothing,
    state: &mut [f64],
    k: usize,
    observe: impl FnOnce(f64) -> f64,
) -> f64 {
    let l = state[0];
    let b = if k == 2 { state[1] } else { 0.0 };
    let q = l + p.phi * b;
    let s = if spec.seasonal() {
        state[k + m - 1]
    } else {
        0.0
    };
    let yhat = match spec.season {
        SeasonType::None => q,
        SeasonType::Additive => q + s,
        SeasonType::Multiplicative => q * s,
    };
    let y = observe(yhat);
    let pp = match spec.season {
        SeasonType::None => y,
        SeasonType::Additive => y - s,
        SeasonType::Multiplicative => y / s,
    };
    state[0] = q + p.alpha * (pp - q);
    if k == 2 {
        state[1] = p.phi * b + p.beta * (pp - q);
    }
    if spec.seasonal() {
        let t = match spec.season {
            SeasonType::Additive => y - q,
            _ => y / q,
        };
        let new = s + p.gamma * (t - s);
        state[k..].rotate_right(1);
        state[k] = new;
    }
    y
}

#[derive(Debug, Clone, Copy)]
struct Smoothing {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

/// Whether (α, β, γ, φ) lies in the admissible region of Hyndman et al. (2008, ch. 10):
/// for seasonal models, every root of the characteristic polynomial inside the unit
/// circle (checked with the Schur-Cohn recursion rather than root finding).
fn admissible(spec: EtsSpec, m: usize, p: &Smoothing) -> bool {
    let (a, b, g, phi) = (p.alpha, p.beta, p.gamma, p.phi);
    if !spec.seasonal() {
        if a < 1.0 - 1.0 / phi || a > 1.0 + 1.0 / phi {
            return false;
        }
        if spec.has_trend() && (b < a * (phi - 1.0) || b > (1.0 + phi) * (2.0 - a)) {
            return false;
        }
        return true;
    }
    if g < (1.0 - 1.0 / phi - a).max(0.0) || g > 1.0 + 1.0 / phi - a {
        return false;
    }
    if a < 1.0 - 1.0 / phi - g * (1.0 - m as f64 + phi + phi * m as f64) / (2.0 * phi * m as f64) {
        return false;
    }
    if b < -(1.0 - phi) * (g / m as f64 + a) {
        return false;
    }
    // P(z) = φ(1-α-γ) + (α+β-αφ+γ-1) z + (α+β-αφ) (z² + ... + z^{m-1}) + (α+β-φ) z^m + z^{m+1}
    let mut c = [0.0; MAX_SEASON_LENGTH + 2];
    c[0] = phi * (1.0 - a - g);
    c[1] = a + b - a * phi + g - 1.0;
    c[2..m].fill(a + b - a * phi);
    c[m] = a + b - phi;
    c[m + 1] = 1.0;
    schur_stable(&mut c[..m + 2])
}

/// Schur-Cohn test: all roots of `c[0] + c[1] z + ... + c[n] z^n` within the closed unit
/// disk (up to 1e-10), via the step-down recursion `p ← (c_n p - c_0 p*) / z`.
fn schur_stable(c: &mut [f64]) -> bool {
    let mut next = [0.0; MAX_SEASON_LENGTH + 2];
    let mut len = c.len();
    if len > next.len() {
        return false;
    }
    while len > 1 {
        let n = len - 1;
        let (c0, cn) = (c[0], c[n]);
        if cn == 0.0 || c0.abs() >= (1.0 + 1e-10) * cn.abs() {
            return false;
        }
        let mut scale = 0.0f64;
        for i in 1..=n {
            next[i - 1] = cn * c[i] - c0 * c[n - i];
            scale = scale.max(next[i - 1].abs());
        }
        len = n;
        // Rescale to keep magnitudes bounded.
        if scale == 0.0 || !scale.is_finite() {
            return scale == 0.0;
        }
        let inv = 1.0 / scale;
        for i in 0..len {
            c[i] = next[i] * inv;
        }
    }
    true
}

/// Layout of the optimizer's parameter vector for one model.
struct Layout {
    spec: EtsSpec,
    m: usize,
    /// Index of β, γ, φ in the vector (α is 0).
    ib: Option<usize>,
    ig: Option<usize>,
    ip: Option<usize>,
    /// Index of the first state (level).
    states: usize,
    len: usize,
}

impl Layout {
    fn new(spec: EtsSpec, m: usize) -> Self {
        let mut i = 1;
        let mut next = |present: bool| {
            present.then(|| {
                i += 1;
                i - 1
            })
        };
        let ib = next(spec.has_trend());
        let ig = next(spec.seasonal());
        let ip = next(spec.damped());
        let states = i;
        Layout {
            spec,
            m,
            ib,
            ig,
            ip,
            states,
            len: states + spec.n_states(m),
        }
    }

    /// Smoothing parameters from the unconstrained vector, and the Jacobian
    /// d(α, β, γ, φ)/d(u_α, u_β, u_γ, u_φ) (4 x 4, row per parameter).
    fn smoothing(&self, u: &[f64]) -> (Smoothing, [[f64; 4]; 4]) {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let mut jac = [[0.0; 4]; 4];
        let sa = sig(u[0]);
        let alpha = LOWER + (UPPER - LOWER) * sa;
        jac[0][0] = (UPPER - LOWER) * sa * (1.0 - sa);
        let mut p = Smoothing {
            alpha,
            beta: 0.0,
            gamma: 0.0,
            phi: 1.0,
        };
        if let Some(i) = self.ib {
            // β in (LOWER, α)
            let s = sig(u[i]);
            p.beta = LOWER + (alpha - LOWER) * s;
            jac[1][1] = (alpha - LOWER) * s * (1.0 - s);
            jac[1][0] = s * jac[0][0];
        }
        if let Some(i) = self.ig {
            // γ in (LOWER, 1 - α)
            let s = sig(u[i]);
            p.gamma = LOWER + (1.0 - alpha - LOWER) * s;
            jac[2][2] = (1.0 - alpha - LOWER) * s * (1.0 - s);
            jac[2][0] = -s * jac[0][0];
        }
        if let Some(i) = self.ip {
            let s = sig(u[i]);
            p.phi = PHI_LOWER + (PHI_UPPER - PHI_LOWER) * s;
            jac[3][3] = (PHI_UPPER - PHI_LOWER) * s * (1.0 - s);
        }
        (p, jac)
    }

    /// Unconstrained coordinates of smoothing parameters (inverse of `smoothing`).
    fn unconstrain(&self, p: &Smoothing, u: &mut [f64]) {
        let logit = |x: f64| {
            let x = x.clamp(1e-6, 1.0 - 1e-6);
            (x / (1.0 - x)).ln()
        };
        u[0] = logit((p.alpha - LOWER) / (UPPER - LOWER));
        if let Some(i) = self.ib {
            u[i] = logit((p.beta - LOWER) / (p.alpha - LOWER));
        }
        if let Some(i) = self.ig {
            u[i] = logit((p.gamma - LOWER) / (1.0 - p.alpha - LOWER));
        }
        if let Some(i) = self.ip {
            u[i] = logit((p.phi - PHI_LOWER) / (PHI_UPPER - PHI_LOWER));
        }
    }

    /// The optimizer vector of a related fitted model (same season type and period,
    /// slope present or not alike) on the series scaled by `scale`; damping starts at
    /// the fitted φ or 0.98.
    fn warm_start(&self, fit: &FittedEts, scale: f64) -> Vec<f64> {
        let p = Smoothing {
            alpha: fit.alpha,
            beta: fit.beta.unwrap_or(0.1 * fit.alpha),
            gamma: fit.gamma.unwrap_or(0.01),
            phi: fit.phi.unwrap_or(0.98),
        };
        let mut u = vec![0.0; self.len];
        self.unconstrain(&p, &mut u);
        let k = 1 + usize::from(self.spec.has_trend());
        let free = self.len - self.states;
        for (i, v) in fit.initial_state.iter().take(free).enumerate() {
            let additive = i < k || self.spec.season == SeasonType::Additive;
            u[self.states + i] = if additive { v / scale } else { *v };
        }
        u
    }

    /// The full initial state (level, slope, m seasonal states most recent first) from
    /// the free states in `u`.
    fn full_state(&self, u: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(&u[self.states..self.len]);
        if self.spec.seasonal() {
            let k = 1 + usize::from(self.spec.has_trend());
            let sum: f64 = out[k..].iter().sum();
            let total = if self.spec.season == SeasonType::Multiplicative {
                self.m as f64
            } else {
                0.0
            };
            out.push(total - sum);
        }
    }
}

/// Negative log-likelihood per observation (R's `lik / n`) on the scaled series, with
/// its gradient with respect to `u` when `grad` is non-empty. Returns +inf outside the
/// parameter region or where a multiplicative model meets a non-positive state.
///
/// The gradient is computed in reverse mode: the forward pass records each step's
/// intermediate values, the backward pass carries adjoints of the level, slope and
/// seasonal ring back to the smoothing parameters and the initial states, so a gradient
/// costs about two likelihood evaluations whatever the number of states.
fn objective(layout: &Layout, y: &[f64], u: &[f64], grad: &mut [f64], work: &mut Work) -> f64 {
    let spec = layout.spec;
    let m = layout.m;
    let (p, jac) = layout.smoothing(u);
    if !admissible(spec, if spec.seasonal() { m } else { 1 }, &p) {
        return f64::INFINITY;
    }
    let want_grad = !grad.is_empty();
    let k = 1 + usize::from(spec.has_trend());
    let ms = if spec.seasonal() { m } else { 0 };
    layout.full_state(u, &mut work.init);
    work.ring.clear();
    // ring[j] is the seasonal state for observation j (mod m): the initial states are
    // stored most recent first, so observation 0 uses the last one.
    work.ring.extend((0..ms).map(|j| work.init[k + m - 1 - j]));
    work.trace.clear();
    let mut l = work.init[0];
    let mut b = if k == 2 { work.init[1] } else { 0.0 };
    let mult_err = spec.error == ErrorType::Multiplicative;
    let (mut sse, mut slog, mut yhat_product) = (0.0, 0.0, 1.0f64);
    let mut pos = 0;
    for &yt in y {
        let s = if ms > 0 { work.ring[pos] } else { 0.0 };
        let q = l + p.phi * b;
        let (yhat, pp, t) = match spec.season {
            SeasonType::None => (q, yt, 0.0),
            SeasonType::Additive => (q + s, yt - s, yt - q),
            SeasonType::Multiplicative => {
                if s.abs() < 1e-10 || q.abs() < 1e-10 {
                    return f64::INFINITY;
                }
                (q * s, yt / s, yt / q)
            }
        };
        if spec.multiplicative() && (yhat.abs() < 1e-10 || !yhat.is_finite()) {
            return f64::INFINITY;
        }
        let e = if mult_err {
            (yt - yhat) / yhat
        } else {
            yt - yhat
        };
        sse += e * e;
        if mult_err {
            // Σ ln|ŷ| as the log of a running product, renormalized rarely: one
            // logarithm per many steps instead of one per step.
            yhat_product *= yhat.abs();
            if !(1e-150..=1e150).contains(&yhat_product) {
                slog += yhat_product.ln();
                yhat_product = 1.0;
            }
        }
        if want_grad {
            work.trace.push(Step {
                b,
                s,
                q,
                yhat,
                e,
                pp,
                t,
            });
        }
        l = q + p.alpha * (pp - q);
        b = p.phi * b + p.beta * (pp - q);
        if ms > 0 {
            work.ring[pos] = s + p.gamma * (t - s);
            pos = if pos + 1 == ms { 0 } else { pos + 1 };
        }
    }
    slog += yhat_product.ln();
    let n = y.len() as f64;
    if !sse.is_finite() {
        return f64::INFINITY;
    }
    // A series the model fits exactly (a constant, a line) has sse 0: floor it so the
    // likelihood stays finite and the optimizer can still settle.
    let floored = sse < SSE_FLOOR * n;
    let sse = sse.max(SSE_FLOOR * n);
    let value = sse.ln() + 2.0 * slog / n;
    if !value.is_finite() {
        return f64::INFINITY;
    }
    if want_grad {
        // Adjoints: of the smoothing parameters, and of the state entering each step.
        let (mut a_bar, mut b_bar_par, mut g_bar, mut phi_bar) = (0.0, 0.0, 0.0, 0.0);
        let (mut l_bar, mut b_bar) = (0.0, 0.0);
        work.ring_bar.clear();
        work.ring_bar.resize(ms, 0.0);
        let de = if floored { 0.0 } else { 2.0 / sse };
        let dslog = 2.0 / n;
        for (t_idx, st) in work.trace.iter().enumerate().rev() {
            let pos = if ms > 0 { t_idx % ms } else { 0 };
            let yt = y[t_idx];
            // s' = s + γ (t - s)
            let s_out_bar = if ms > 0 { work.ring_bar[pos] } else { 0.0 };
            let mut s_bar = (1.0 - p.gamma) * s_out_bar;
            let t_bar = p.gamma * s_out_bar;
            g_bar += (st.t - st.s) * s_out_bar;
            // b' = φ b + β (p - q), l' = q + α (p - q)
            let diff = st.pp - st.q;
            let mut b_in_bar = p.phi * b_bar;
            phi_bar += st.b * b_bar;
            b_bar_par += diff * b_bar;
            a_bar += diff * l_bar;
            let p_bar = p.beta * b_bar + p.alpha * l_bar;
            let mut q_bar = (1.0 - p.alpha) * l_bar - p.beta * b_bar;
            // p and t from y, s and q; the loss from e and ŷ.
            let e_bar = de * st.e;
            let yhat_bar = if mult_err {
                -yt / (st.yhat * st.yhat) * e_bar + dslog / st.yhat
            } else {
                -e_bar
            };
            match spec.season {
                SeasonType::None => q_bar += yhat_bar,
                SeasonType::Additive => {
                    s_bar -= p_bar;
                    q_bar -= t_bar;
                    q_bar += yhat_bar;
                    s_bar += yhat_bar;
                }
                SeasonType::Multiplicative => {
                    s_bar -= yt / (st.s * st.s) * p_bar;
                    q_bar -= yt / (st.q * st.q) * t_bar;
                    q_bar += st.s * yhat_bar;
                    s_bar += st.q * yhat_bar;
                }
            }
            // q = l + φ b
            b_in_bar += p.phi * q_bar;
            phi_bar += st.b * q_bar;
            l_bar = q_bar;
            b_bar = b_in_bar;
            if ms > 0 {
                work.ring_bar[pos] = s_bar;
            }
        }
        // Gradient in z = (α, β, γ, φ as present, free states), then through the
        // logistic transforms to u.
        let dz = [a_bar, b_bar_par, g_bar, phi_bar];
        let idx = [Some(0), layout.ib, layout.ig, layout.ip];
        for (col, ic) in idx.iter().enumerate() {
            if let Some(ic) = *ic {
                grad[ic] = (0..4).map(|row| dz[row] * jac[row][col]).sum();
            }
        }
        let st0 = layout.states;
        grad[st0] = l_bar;
        if k == 2 {
            grad[st0 + 1] = b_bar;
        }
        // Free seasonal state f (0-based, most recent first) sits in ring slot m-1-f;
        // the implied last state (slot 0) is total - sum(free).
        for f in 0..ms.saturating_sub(1) {
            grad[st0 + k + f] = work.ring_bar[m - 1 - f] - work.ring_bar[0];
        }
    }
    value
}

/// One step's intermediate values, kept for the backward pass.
#[derive(Debug, Clone, Copy)]
struct Step {
    b: f64,
    s: f64,
    q: f64,
    yhat: f64,
    e: f64,
    pp: f64,
    t: f64,
}

/// Scratch buffers for [`objective`].
#[derive(Default)]
struct Work {
    init: Vec<f64>,
    ring: Vec<f64>,
    ring_bar: Vec<f64>,
    trace: Vec<Step>,
}

/// Initial states as R's `ets`: a classical decomposition of the first three seasons
/// for the seasonal states, a regression on the first (seasonally adjusted)
/// observations for level and slope. Returns (level, slope?, m-1 free seasonal states
/// most recent first).
fn initial_states(spec: EtsSpec, m: usize, y: &[f64]) -> Vec<f64> {
    let n = y.len();
    let mut seasonal = vec![
        if spec.season == SeasonType::Multiplicative {
            1.0
        } else {
            0.0
        };
        m
    ];
    let mut adjusted = y.to_vec();
    if spec.seasonal() {
        let mult = spec.season == SeasonType::Multiplicative;
        let span = (3 * m).min(n);
        let w = &y[..span];
        // Trend by a centred moving average of order m (2 x m for even m), or by a
        // straight line when fewer than three seasons are available.
        let trend: Vec<Option<f64>> = if span > 2 * m {
            let half = m / 2;
            (0..span)
                .map(|t| {
                    if t < half || t + half >= span {
                        return None;
                    }
                    Some(if m.is_multiple_of(2) {
                        (0.5 * w[t - half]
                            + w[t + 1 - half..t + half].iter().sum::<f64>()
                            + 0.5 * w[t + half])
                            / m as f64
                    } else {
                        w[t - half..=t + half].iter().sum::<f64>() / m as f64
                    })
                })
                .collect()
        } else {
            let (a, b) = line_fit(w);
            (0..span).map(|t| Some(a + b * (t + 1) as f64)).collect()
        };
        let mut sum = vec![0.0; m];
        let mut count = vec![0usize; m];
        for t in 0..span {
            if let Some(tr) = trend[t] {
                let d = if mult { w[t] / tr } else { w[t] - tr };
                if d.is_finite() {
                    sum[t % m] += d;
                    count[t % m] += 1;
                }
            }
        }
        for j in 0..m {
            seasonal[j] = if count[j] > 0 {
                sum[j] / count[j] as f64
            } else if mult {
                1.0
            } else {
                0.0
            };
        }
        // Normalize: mean 0 (A) or 1 (M).
        let mean = seasonal.iter().sum::<f64>() / m as f64;
        for s in &mut seasonal {
            if mult {
                *s = (*s / mean).max(1e-2);
            } else {
                *s -= mean;
            }
        }
        for t in 0..n {
            adjusted[t] = if mult {
                y[t] / seasonal[t % m]
            } else {
                y[t] - seasonal[t % m]
            };
        }
    }
    let maxn = 10.max(2 * m).min(n);
    let mut out = Vec::new();
    if spec.has_trend() {
        let (a, b) = line_fit(&adjusted[..maxn]);
        // R's l0 is the intercept at t = 0 with t = 1..maxn.
        out.push(a);
        out.push(b);
    } else {
        out.push(adjusted[..maxn].iter().sum::<f64>() / maxn as f64);
    }
    if spec.seasonal() {
        // Free states most recent first: seasons m, m-1, ..., 2 (season 1 is implied).
        for j in (1..m).rev() {
            out.push(seasonal[j]);
        }
    }
    out
}

/// Least-squares line `a + b t` through `(t, w[t-1])`, `t = 1..=len`.
fn line_fit(w: &[f64]) -> (f64, f64) {
    let n = w.len() as f64;
    let tm = (n + 1.0) / 2.0;
    let ym = w.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in w.iter().enumerate() {
        let dt = (i + 1) as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - b * tm, b)
}

/// BFGS iterations each start gets before the best are continued.
const SCOUT_ITERATIONS: usize = 80;

/// How many of the best scouted starts are continued to convergence.
const CONTINUED_STARTS: usize = 1;

/// Smoothing-parameter starts, each `(α, β, γ, φ)` with β and γ as fractions of their
/// ranges `(1e-4, α)` and `(1e-4, 1 - α)`: R's `initparam` start, a reactive level
/// (the generic start [`AutoEts`] runs beside a warm start), a start with β half of α
/// (from which BFGS finds the optima with β next to α, the slope as reactive as the
/// level, that R reaches for a trend on smooth series such as `co2` or `nottem`), and a
/// slow, strongly damped one (damped models have local optima at both ends of φ's
/// range). Models without trend or season use the first two;
/// damped models add a fifth, a reactive level and slope with strong damping.
fn starts(spec: EtsSpec, m: usize) -> Vec<Smoothing> {
    let r_alpha = LOWER + 0.2 * (UPPER - LOWER) / m as f64;
    let r_phi = PHI_LOWER + 0.99 * (PHI_UPPER - PHI_LOWER);
    let count = if spec.damped() {
        5
    } else if spec.has_trend() || spec.seasonal() {
        4
    } else {
        2
    };
    [
        (r_alpha, 0.1, 0.05, r_phi),
        (0.8, 0.05, 0.05, 0.95),
        (0.5, 0.5, 0.2, 0.9),
        (0.05, 0.1, 0.05, 0.85),
        (0.95, 0.5, 0.2, 0.85),
    ]
    .into_iter()
    .take(count)
    .map(|(alpha, beta_frac, gamma_frac, phi)| Smoothing {
        alpha,
        beta: LOWER + beta_frac * (alpha - LOWER),
        gamma: LOWER + gamma_frac * (1.0 - alpha - LOWER),
        phi,
    })
    .collect()
}

/// Minimizes [`objective`] from `u` by BFGS with the initial states rescaled.
///
/// In the unconstrained coordinates the smoothing parameters have curvature of order 1
/// while a state's grows like 1/σ² (σ the relative size of the errors): on a series the
/// model fits closely (R's `co2`, errors of 0.1%) the Hessian's diagonal spans nine
/// orders of magnitude, and BFGS, which starts from a multiple of the identity, creeps
/// along the valley and stops on a small change of the objective far from the optimum.
/// So each state is divided by the square root of the curvature along it at `u` (a
/// forward difference of the analytic gradient, for the level, the slope and the first
/// seasonal state, whose scale the other seasonal states share); states whose curvature
/// is below 1 keep their scale. The result is in the original coordinates
/// (its gradient stays in the rescaled ones).
fn descend(layout: &Layout, y: &[f64], u: &[f64], opts: &OptimOptions, work: &mut Work) -> Minimum {
    let len = u.len();
    let mut scale = vec![1.0; len];
    let (mut g0, mut g1) = (vec![0.0; len], vec![0.0; len]);
    if objective(layout, y, u, &mut g0, work).is_finite() {
        let mut probe = u.to_vec();
        // Level, slope, and the first free seasonal state for all of them (each enters
        // every m-th error alike).
        let k = 1 + usize::from(layout.spec.has_trend());
        for j in layout.states..(layout.states + k + 1).min(len) {
            let h = 1e-6 * u[j].abs().max(1.0);
            probe[j] = u[j] + h;
            let finite = objective(layout, y, &probe, &mut g1, work).is_finite();
            probe[j] = u[j];
            let curvature = (g1[j] - g0[j]) / h;
            if finite && curvature.is_finite() && curvature > 1.0 {
                scale[j] = 1.0 / curvature.sqrt();
            }
        }
        let first_season = layout.states + k;
        for j in first_season + 1..len {
            scale[j] = scale[first_season];
        }
    }
    let z0: Vec<f64> = u.iter().zip(&scale).map(|(u, s)| u / s).collect();
    let mut x = vec![0.0; len];
    let mut res = bfgs(
        |z: &[f64], g: &mut [f64]| {
            for ((x, z), s) in x.iter_mut().zip(z).zip(&scale) {
                *x = z * s;
            }
            let value = objective(layout, y, &x, g, work);
            for (g, s) in g.iter_mut().zip(&scale) {
                *g *= s;
            }
            value
        },
        &z0,
        opts,
    );
    for (x, s) in res.x.iter_mut().zip(&scale) {
        *x *= s;
    }
    res
}

/// Fits one model. With `warm` (a fitted model of the same season type and slope
/// presence) the starts are that model's optimum and one generic start; otherwise the
/// generic starts of [`starts`].
fn fit_model(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    optimizer: &Optimizer,
    warm: Option<&FittedEts>,
) -> Result<FittedEts> {
    let max_iter = optimizer.max_iter;
    let m = if spec.seasonal() { m } else { 1 };
    // Work on y / scale so states and the gradient are O(1).
    let scale = series_scale(y);
    let ys: Vec<f64> = y.iter().map(|v| v / scale).collect();
    let layout = Layout::new(spec, m);
    let init = initial_states(spec, m, &ys);
    let mut work = Work::default();
    let opts = OptimOptions {
        max_iter,
        gtol: optimizer.tol,
        ftol: 1e-10,
    };
    // Multi-start in two stages: a short run from every start, then the most
    // promising runs continued to convergence.
    let scout = OptimOptions {
        max_iter: SCOUT_ITERATIONS.min(max_iter),
        ..opts
    };
    // (value, optimum, converged, iterations) per start.
    let mut scouted: Vec<(f64, Vec<f64>, bool, usize)> = Vec::new();
    let generic = starts(spec, m);
    let mut candidates: Vec<Vec<f64>> = Vec::new();
    if let Some(w) = warm {
        candidates.push(layout.warm_start(w, scale));
    }
    for start in generic
        .iter()
        .skip(if warm.is_some() { 1 } else { 0 })
        .take(if warm.is_some() { 1 } else { usize::MAX })
    {
        let mut u = vec![0.0; layout.len];
        layout.unconstrain(start, &mut u);
        u[layout.states..].copy_from_slice(&init);
        candidates.push(u);
    }
    for u in candidates {
        if !objective(&layout, &ys, &u, &mut [], &mut work).is_finite() {
            continue;
        }
        let res = descend(&layout, &ys, &u, &scout, &mut work);
        if res.value.is_finite() {
            scouted.push((res.value, res.x, res.converged, res.iterations));
        }
    }
    scouted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, Vec<f64>, bool, usize)> = None;
    for (value, x, converged, iterations) in scouted.into_iter().take(CONTINUED_STARTS) {
        let (value, x, converged, iterations) = if converged {
            (value, x, converged, iterations)
        } else {
            let res = descend(&layout, &ys, &x, &opts, &mut work);
            let iterations = iterations + res.iterations;
            if res.value.is_finite() && res.value <= value {
                (res.value, res.x, res.converged, iterations)
            } else {
                (value, x, res.converged, iterations)
            }
        };
        if best.as_ref().is_none_or(|(v, ..)| value < *v) {
            best = Some((value, x, converged, iterations));
        }
    }
    let Some((_, u, converged, iterations)) = best else {
        return Err(Error::NotConverged {
            model: "ETS",
            iterations: 0,
            reason: format!("{spec} has no finite likelihood from any start"),
            last_iterate: init,
        });
    };
    finish(spec, m, y, scale, &layout, &u, iterations, converged)
}

/// The mean absolute value of the series (1 when it is 0 or not finite): the scale the
/// fit works on.
fn series_scale(y: &[f64]) -> f64 {
    let s = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

/// The model at given smoothing parameters and initial states (checked here), run over
/// `y` without optimizing.
fn evaluate_fixed(spec: EtsSpec, m: usize, y: &[f64], c: &EtsCoefficients) -> Result<FittedEts> {
    let m = if spec.seasonal() { m } else { 1 };
    check_coefficients(spec, m, c)?;
    let p = Smoothing {
        alpha: c.alpha,
        beta: c.beta.unwrap_or(0.0),
        gamma: c.gamma.unwrap_or(0.0),
        phi: c.phi.unwrap_or(1.0),
    };
    let scale = series_scale(y);
    evaluate(spec, m, y, scale, p, c.initial_state.clone(), 0, false)
}

/// Rebuilds the fit on the original scale from the optimum.
#[allow(clippy::too_many_arguments)]
fn finish(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    scale: f64,
    layout: &Layout,
    u: &[f64],
    iterations: usize,
    converged: bool,
) -> Result<FittedEts> {
    let (p, _) = layout.smoothing(u);
    let mut state = Vec::new();
    layout.full_state(u, &mut state);
    let k = 1 + usize::from(spec.has_trend());
    // Level and slope scale with the data; additive seasonal states too.
    for (i, v) in state.iter_mut().enumerate() {
        if i < k || spec.season == SeasonType::Additive {
            *v *= scale;
        }
    }
    evaluate(spec, m, y, scale, p, state, iterations, converged).map_err(|e| match e {
        Error::NotConverged {
            model,
            iterations,
            reason,
            ..
        } => Error::NotConverged {
            model,
            iterations,
            reason,
            last_iterate: u.to_vec(),
        },
        e => e,
    })
}

/// Runs the model at smoothing parameters `p` from the initial state `state` (original
/// scale) over `y`: fitted values, residuals, likelihood (`scale` sets the floor of the
/// sum of squares, as in the fit).
#[allow(clippy::too_many_arguments)]
fn evaluate(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    scale: f64,
    p: Smoothing,
    mut state: Vec<f64>,
    iterations: usize,
    converged: bool,
) -> Result<FittedEts> {
    let k = 1 + usize::from(spec.has_trend());
    let initial_state = state.clone();
    let n = y.len();
    let (mut fitted, mut residuals) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut sse, mut slog) = (0.0, 0.0);
    for &yt in y {
        let mut yhat_seen = 0.0;
        step_state(spec, m, &p, &mut state, k, |yhat| {
            yhat_seen = yhat;
            yt
        });
        let e = match spec.error {
            ErrorType::Additive => yt - yhat_seen,
            ErrorType::Multiplicative => (yt - yhat_seen) / yhat_seen,
        };
        sse += e * e;
        if spec.error == ErrorType::Multiplicative {
            slog += yhat_seen.abs().ln();
        }
        fitted.push(yhat_seen);
        residuals.push(yt - yhat_seen);
    }
    let n_params = n_params(spec, m);
    let sse_floor = SSE_FLOOR
        * n as f64
        * if spec.error == ErrorType::Additive {
            scale * scale
        } else {
            1.0
        };
    let log_likelihood = -0.5 * (n as f64 * sse.max(sse_floor).ln() + 2.0 * slog);
    if !log_likelihood.is_finite() {
        return Err(Error::NotConverged {
            model: "ETS",
            iterations: 0,
            reason: format!("{spec} reached a non-finite likelihood"),
            last_iterate: initial_state,
        });
    }
    Ok(FittedEts {
        spec,
        m,
        alpha: p.alpha,
        beta: spec.has_trend().then_some(p.beta),
        gamma: spec.seasonal().then_some(p.gamma),
        phi: spec.damped().then_some(p.phi),
        initial_state,
        last_state: state,
        sigma2: sse / (n - n_params) as f64,
        report: FitReport::new(
            log_likelihood,
            n_params,
            n as f64,
            None,
            iterations,
            converged,
        ),
        fitted,
        residuals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let y: Vec<f64> = (0..60)
            .map(|t| {
                (10.0 + 0.1 * t as f64) * (1.0 + 0.2 * ((t % 12) as f64 - 5.5) / 5.5)
                    + 0.3 * ((t * 7 % 11) as f64 - 5.0) / 5.0
            })
            .collect();
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let ys: Vec<f64> = y.iter().map(|v| v / mean).collect();
        for error in [ErrorType::Additive, ErrorType::Multiplicative] {
            for trend in [TrendType::None, TrendType::Additive, TrendType::Damped] {
                for season in [
                    SeasonType::None,
                    SeasonType::Additive,
                    SeasonType::Multiplicative,
                ] {
                    let spec = EtsSpec::new(error, trend, season);
                    let layout = Layout::new(spec, 12);
                    let mut u = vec![0.0; layout.len];
                    layout.unconstrain(
                        &Smoothing {
                            alpha: 0.3,
                            beta: 0.05,
                            gamma: 0.1,
                            phi: 0.9,
                        },
                        &mut u,
                    );
                    u[layout.states..].copy_from_slice(&initial_states(spec, 12, &ys));
                    let mut work = Work::default();
                    let mut g = vec![0.0; layout.len];
                    let f0 = objective(&layout, &ys, &u, &mut g, &mut work);
                    assert!(f0.is_finite(), "{spec}");
                    for i in 0..layout.len {
                        let h = 1e-6;
                        let mut up = u.clone();
                        up[i] += h;
                        let mut dn = u.clone();
                        dn[i] -= h;
                        let fd = (objective(&layout, &ys, &up, &mut [], &mut work)
                            - objective(&layout, &ys, &dn, &mut [], &mut work))
                            / (2.0 * h);
                        assert!(
                            (fd - g[i]).abs() < 1e-5 * (1.0 + fd.abs()),
                            "{spec} param {i}: analytic {} numeric {fd}",
                            g[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn schur_cohn_agrees_with_known_roots() {
        // (z - 0.5)(z + 0.8) = z² + 0.3 z - 0.4: stable.
        assert!(schur_stable(&mut [-0.4, 0.3, 1.0]));
        // (z - 1.2)(z + 0.1) = z² - 1.1 z - 0.12: a root outside.
        assert!(!schur_stable(&mut [-0.12, -1.1, 1.0]));
        // (z² + 0.25)(z - 0.9): complex pair inside, real root inside.
        assert!(schur_stable(&mut [-0.225, 0.25, -0.9, 1.0]));
        // (z² + 1.44)(z - 0.5): complex pair outside.
        assert!(!schur_stable(&mut [-0.72, 1.44, -0.5, 1.0]));
    }
}
