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

mod estimate;
mod fitted;
mod likelihood;
mod model;

pub use fitted::FittedEts;

use estimate::*;
use fitted::*;
use likelihood::*;
use model::*;

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
                "a seasonal ETS model needs a seasonal period between 2 and \
                 {MAX_SEASON_LENGTH}; forecast longer seasons through a decomposition \
                 (forecast::mstl::Stlf, R's stlf)"
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
/// **Seasons longer than [`MAX_SEASON_LENGTH`]** (weekly data, `m = 52`; daily data
/// with a yearly season): as R's `ets()`, which warns "I can't handle data with
/// frequency greater than 24. Seasonality will be ignored", only non-seasonal models
/// are candidates, so the fit ignores the season. [`models_season`](Self::models_season)
/// tells in advance; [`require_season(true)`](Self::require_season) makes it an error
/// instead. Forecast such series with [`Stlf`](crate::forecast::mstl::Stlf) (STL or
/// MSTL, then ETS on the seasonally adjusted series, as R's `stlf`).
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
    require_season: bool,
    optimizer: Optimizer,
}

impl Default for AutoEts {
    fn default() -> Self {
        Self {
            criterion: Criterion::Aicc,
            season_length: None,
            damped: None,
            additive_only: false,
            require_season: false,
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

    /// With `true`, [`fit`](Fit::fit) is [`Error::InvalidParameter`] (naming
    /// `season_length`) when the season length is beyond [`MAX_SEASON_LENGTH`], rather
    /// than falling back to non-seasonal models (default `false`, R's behaviour).
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::forecast::{ets::Ets, Series};
    /// let weekly = Series::new(&vec![10.0; 120], 52)?;
    /// assert!(Ets::auto().require_season(true).fit(&weekly).is_err());
    /// assert!(Ets::auto().fit(&weekly).is_ok()); // non-seasonal, as R's ets()
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn require_season(mut self, require: bool) -> Self {
        self.require_season = require;
        self
    }

    /// Whether a season of length `m` is among the candidates' components: `2 <= m <=`
    /// [`MAX_SEASON_LENGTH`] (the series must also cover more than `m` observations).
    pub fn models_season(&self, m: usize) -> bool {
        (2..=MAX_SEASON_LENGTH).contains(&m)
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
        if self.models_season(m) && series.len() > m {
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
    /// settings out of range, or (with [`require_season`](Self::require_season)) a
    /// season length above [`MAX_SEASON_LENGTH`].
    fn fit(&self, series: &Series) -> Result<FittedEts> {
        self.optimizer.check()?;
        let m = self.season_length.unwrap_or(series.season_length());
        if self.require_season && m > MAX_SEASON_LENGTH {
            return Err(Error::InvalidParameter {
                name: "season_length",
                value: m.to_string(),
                reason: format!(
                    "ETS models seasons of 2 to {MAX_SEASON_LENGTH} periods; forecast \
                     longer seasons through a decomposition (forecast::mstl::Stlf, R's \
                     stlf)"
                ),
            });
        }
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

#[cfg(test)]
mod tests;
