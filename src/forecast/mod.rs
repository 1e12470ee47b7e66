//! Revenue and demand forecasting: regular series from a transaction log, exponential
//! smoothing (ETS) and ARIMA models with automatic selection, and accuracy metrics.
//!
//! - [`series`]: a [`Series`] per day, week or calendar month (revenue, orders, active or
//!   new customers) from a [`TransactionLog`](crate::TransactionLog); empty periods are
//!   zeros, never skipped.
//! - [`ets`]: the ETS state-space family of Hyndman et al. (2008), fitted by maximum
//!   likelihood, with [`Ets::auto`](ets::Ets::auto) choosing by AICc as R's `ets()` does.
//! - [`arima`]: seasonal ARIMA with the exact Gaussian likelihood from a Kalman filter,
//!   and [`Arima::auto`](arima::Arima::auto) (Hyndman-Khandakar stepwise search).
//! - [`decompose`]: STL, the seasonal-trend decomposition by loess, as R's `stl()`;
//!   `Arima::auto` measures seasonal strength on it.
//! - [`mstl`]: MSTL, the decomposition by several seasonal periods (7 and 365.25 for
//!   days) as R's `mstl()`, and [`Stlf`](mstl::Stlf), forecasting through it (seasonal
//!   naive per component, ETS on the adjusted series) as R's `stlf` — the way to
//!   forecast daily data, or weekly data with `m = 52`, which ETS cannot model.
//! - [`boxcox`]: the Box-Cox transform, Guerrero's λ (R's `BoxCox.lambda`) and any
//!   forecaster fitted on the Box-Cox scale with bias-adjusted means.
//! - [`intermittent`]: Croston, SBA, TSB, ADIDA and IMAPA for intermittent demand, as
//!   statsforecast defines them (point forecasts).
//! - [`theta`]: the standard Theta method as R's `thetaf` (SES with drift, classical
//!   multiplicative seasonal adjustment when a seasonality test says so).
//! - [`theta_auto`]: statsforecast's Theta family (Fiorucci et al. 2016): the
//!   standard, optimised, dynamic and dynamic optimised Theta models, and
//!   [`AutoTheta`](theta_auto::AutoTheta), which keeps the one with the smallest
//!   in-sample squared error.
//! - [`metrics`]: MAE, RMSE, MAPE, sMAPE, MASE and rolling-origin cross-validation.
//!
//! The models follow the crate's [model contract](crate::model): their params
//! ([`Ets`](ets::Ets), [`AutoEts`](ets::AutoEts), [`Arima`](arima::Arima),
//! [`AutoArima`](arima::AutoArima)) implement [`Fit`](crate::model::Fit) for a
//! `&Series`; the fitted models implement [`Forecaster`] and
//! [`FittedModel`](crate::model::FittedModel). Every fitted model answers
//! `forecast(h, levels)` with a [`Forecast`]: the point forecasts and, per requested
//! level, lower and upper bounds; its [`FitReport`] has the log-likelihood, AIC, AICc
//! and BIC. A model can also be evaluated at given coefficients rather than estimated
//! ([`Arima::fixed`](arima::Arima::fixed), [`Ets::fixed`](ets::Ets::fixed), or a fitted
//! model's `apply_to(&series)`, as R's `Arima(y, model = fit)` and
//! `ets(y, model = fit)`).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::{ets::Ets, Series};
//! // Trend, a seasonal pattern and some irregular noise, 4 years of months.
//! let y: Vec<f64> = (0..48)
//!     .map(|t| 100.0 + 2.0 * t as f64 + 10.0 * ((t % 12) as f64 - 5.5).abs() + ((t * 7) % 5) as f64)
//!     .collect();
//! let series = Series::new(&y, 12)?;
//! let model = Ets::auto().fit(&series)?;
//! let f = model.forecast(12, &[0.8, 0.95])?;
//! assert_eq!(f.mean.len(), 12);
//! assert!(f.intervals[1].lower[0] < f.intervals[0].lower[0]); // 95% is wider than 80%
//! # Ok::<(), patronage::Error>(())
//! ```

pub mod arima;
pub mod boxcox;
pub mod decompose;
pub mod ets;
pub mod intermittent;
pub mod metrics;
pub mod mstl;
pub mod series;
pub mod theta;
pub mod theta_auto;

pub use series::{Period, Series};

use crate::error::{Error, Result};
use crate::model::FitReport;

/// Point forecasts and prediction intervals for the `h` periods after a series ends.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Forecast {
    /// Point forecasts (the mean of the predictive distribution), one per step ahead.
    pub mean: Vec<f64>,
    /// One interval per requested level, in the order requested.
    pub intervals: Vec<Interval>,
}

/// A prediction interval at one coverage level.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    /// Coverage as a fraction (0.95 for a 95% interval).
    pub level: f64,
    /// Lower bounds, one per step ahead.
    pub lower: Vec<f64>,
    /// Upper bounds, one per step ahead.
    pub upper: Vec<f64>,
}

/// The longest forecast horizon, in periods, that `forecast(h, levels)` and
/// [`metrics::cross_validate`] accept: 10,000 periods (27 years of days), so that a
/// mistaken `h` (such as `usize::MAX`) is a typed error rather than an allocation that
/// takes the process down.
pub const MAX_HORIZON: usize = 10_000;

/// Checks a forecast request: `1 <= h <= MAX_HORIZON` and every level strictly inside
/// (0, 1).
pub(crate) fn check_request(h: usize, levels: &[f64]) -> Result<()> {
    check_horizon("h", h)?;
    for &level in levels {
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "levels",
                value: format!("{level}"),
                reason: "levels are fractions in (0, 1): 0.8 for an 80% interval".into(),
            });
        }
    }
    Ok(())
}

/// `Error::InvalidParameter` naming `name` unless `1 <= h <=` [`MAX_HORIZON`].
pub(crate) fn check_horizon(name: &'static str, h: usize) -> Result<()> {
    Error::check_count(name, h, 1, "MAX_HORIZON", MAX_HORIZON)
}

pub(crate) use crate::validate::invalid_parameter as invalid;

/// The two-sided standard normal quantile for a coverage level (1.959964 for 0.95).
pub(crate) fn normal_quantile(level: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    statrs::distribution::Normal::standard().inverse_cdf(0.5 + level / 2.0)
}

/// Gaussian intervals `mean ± z sd` for each level.
pub(crate) fn normal_intervals(mean: &[f64], sd: &[f64], levels: &[f64]) -> Vec<Interval> {
    levels
        .iter()
        .map(|&level| {
            let z = normal_quantile(level);
            Interval {
                level,
                lower: mean.iter().zip(sd).map(|(m, s)| m - z * s).collect(),
                upper: mean.iter().zip(sd).map(|(m, s)| m + z * s).collect(),
            }
        })
        .collect()
}

/// [`Error::NonFinite`] for the first step whose mean or an interval bound is not
/// finite: field `forecast` for the mean, `forecast interval` for a bound. Every
/// forecaster (ETS, ARIMA) checks its output with it, so a forecast beyond the range of
/// f64 is this error rather than an infinite or NaN bound.
pub(crate) fn check_finite_forecast(f: &Forecast) -> Result<()> {
    let bad_mean = f.mean.iter().position(|v| !v.is_finite());
    let bad_bound = f
        .intervals
        .iter()
        .flat_map(|i| {
            let lo = i.lower.iter().position(|v| !v.is_finite());
            let hi = i.upper.iter().position(|v| !v.is_finite());
            [lo, hi]
        })
        .flatten()
        .min();
    let (field, row, values) = match (bad_mean, bad_bound) {
        (Some(m), Some(b)) if b < m => ("forecast interval", b, None),
        (Some(m), _) => ("forecast", m, Some(&f.mean)),
        (None, Some(b)) => ("forecast interval", b, None),
        (None, None) => return Ok(()),
    };
    let value = match values {
        Some(v) => v[row],
        None => f
            .intervals
            .iter()
            .flat_map(|i| [i.lower[row], i.upper[row]])
            .find(|v| !v.is_finite())
            .unwrap_or(f64::INFINITY),
    };
    Err(Error::NonFinite { field, row, value })
}

/// The information criteria of a model saved before fitted models held a
/// [`FitReport`] (version 0.1): only the log-likelihood is read, and the report is
/// rebuilt from it (an AICc written as `null` by older versions is computed again).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
pub(crate) struct LegacyCriteria {
    #[serde(with = "crate::serde_float")]
    pub(crate) log_likelihood: f64,
}

/// The report of a saved model: its `report`, or one rebuilt from the `criteria` of a
/// file from version 0.1 with `k` parameters and `n` observations.
#[cfg(feature = "serde")]
pub(crate) fn loaded_report(
    report: Option<FitReport>,
    legacy: Option<LegacyCriteria>,
    k: usize,
    n: f64,
) -> Result<FitReport> {
    match (report, legacy) {
        (Some(report), _) => Ok(report),
        (None, Some(c)) => Ok(FitReport::new(c.log_likelihood, k, n, None, 0, true)),
        (None, None) => Err(Error::InvalidParameter {
            name: "report",
            value: "missing".into(),
            reason: "a saved forecaster has its fit report".into(),
        }),
    }
}

/// Which information criterion an automatic search ([`ets::AutoEts`],
/// [`arima::AutoArima`]) minimizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Criterion {
    /// Akaike's criterion.
    Aic,
    /// Small-sample corrected AIC (R's default).
    #[default]
    Aicc,
    /// Bayesian criterion.
    Bic,
}

impl Criterion {
    /// The criterion's value in a model's fit report.
    pub fn of(self, ic: &FitReport) -> f64 {
        match self {
            Criterion::Aic => ic.aic,
            Criterion::Aicc => ic.aicc,
            Criterion::Bic => ic.bic,
        }
    }
}

/// A fitted forecaster: forecasts with intervals, and its one-step fit to the history.
/// Implemented by [`FittedEts`](ets::FittedEts), [`FittedArima`](arima::FittedArima),
/// [`FittedBoxCox`](boxcox::FittedBoxCox), [`FittedStlf`](mstl::FittedStlf),
/// [`FittedTheta`](theta::FittedTheta), [`FittedAutoTheta`](theta_auto::FittedAutoTheta) and
/// [`FittedIntermittent`](intermittent::FittedIntermittent).
pub trait Forecaster {
    /// Forecasts `h` periods ahead with prediction intervals at each of `levels`
    /// (probabilities in `(0, 1)`).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h` above
    /// [`MAX_HORIZON`] or a level outside `(0, 1)`.
    fn forecast(&self, h: usize, levels: &[f64]) -> crate::Result<Forecast>;

    /// One-step-ahead fitted values over the history.
    fn fitted(&self) -> &[f64];

    /// Residuals over the history (actual minus fitted on the model's error scale).
    fn residuals(&self) -> &[f64];
}
