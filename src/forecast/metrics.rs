//! Forecast accuracy: MAE, RMSE, MAPE, sMAPE, MASE, and rolling-origin
//! cross-validation.
//!
//! Definitions follow Hyndman & Koehler (2006) and R's `forecast::accuracy`, with
//! errors `e_t = y_t - ŷ_t`:
//!
//! | metric | definition |
//! | --- | --- |
//! | MAE | `mean |e_t|` |
//! | RMSE | `sqrt(mean e_t²)` |
//! | MAPE | `100 · mean |e_t / y_t|` (undefined when an actual is 0: an error) |
//! | sMAPE | `100 · mean 2|e_t| / (|y_t| + |ŷ_t|)` (a pair of zeros counts 0) |
//! | MASE | `MAE / mean |y_t - y_{t-m}|`, the scale from the training series' seasonal naive forecast (`m = 1`: naive) |
//!
//! ```
//! use patronage::forecast::{metrics, Series};
//! let train = Series::new(&[10.0, 12.0, 11.0, 13.0, 12.0], 1)?;
//! let acc = metrics::accuracy(&[14.0, 13.0], &[13.0, 13.0], &train)?;
//! assert_eq!(acc.mae, 0.5);
//! assert_eq!(acc.mase, 0.5 / 1.5); // naive scale: mean of |2|, |1|, |2|, |1|
//! # Ok::<(), patronage::Error>(())
//! ```

use super::{Forecast, Forecaster, Series};
use crate::error::{Error, Result};
use crate::model::Fit;

/// Accuracy of a forecast against actuals (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Accuracy {
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute percentage error, in percent (NaN when an actual is 0).
    pub mape: f64,
    /// Symmetric MAPE, in percent.
    pub smape: f64,
    /// Mean absolute scaled error (NaN when the training series is constant).
    pub mase: f64,
}

fn check_pair(actual: &[f64], forecast: &[f64]) -> Result<()> {
    if actual.is_empty() {
        return Err(Error::Empty { field: "actual" });
    }
    if forecast.len() != actual.len() {
        return Err(Error::LengthMismatch {
            field: "forecast",
            expected: actual.len(),
            found: forecast.len(),
        });
    }
    for (field, values) in [("actual", actual), ("forecast", forecast)] {
        if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite { field, row, value });
        }
    }
    Ok(())
}

/// The errors `actual - forecast`, each halved when one of them overflows (as
/// `f64::MAX - f64::MIN` does), with the factor (1 or 2) that undoes the halving.
/// Halving is exact (barring subnormals), so the usual case is untouched.
fn errors(actual: &[f64], forecast: &[f64]) -> (Vec<f64>, f64) {
    let e: Vec<f64> = actual.iter().zip(forecast).map(|(a, f)| a - f).collect();
    if e.iter().all(|v| v.is_finite()) {
        return (e, 1.0);
    }
    let half = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| 0.5 * a - 0.5 * f)
        .collect();
    (half, 2.0)
}

/// The sum of finite values scaled by a power of two `s` so that it cannot overflow
/// (each term is below 1 in magnitude), and `s`: `sum / s` is the sum, and the mean
/// `sum / n / s` is finite. Scaling by a power of two is exact, so the usual case rounds
/// as a plain sum.
fn scaled_sum(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let max = values.clone().fold(0.0f64, |m, v| m.max(v.abs()));
    let s = crate::segment::scale::pow2_scale(max);
    (values.map(|v| v * s).sum(), s)
}

/// Root mean square of finite values, scaled before squaring as `hypot` does: finite
/// (at most the largest `|value|`), and no square underflows to 0 where the answer is
/// not 0.
fn scaled_rms(values: &[f64]) -> f64 {
    let s = crate::segment::scale::pow2_scale(values.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    (values.iter().map(|v| (v * s) * (v * s)).sum::<f64>() / values.len() as f64).sqrt() / s
}

/// The row of the largest `|value|` (the first of equals).
fn argmax_abs(values: &[f64]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, v)| {
        if v.abs() > values[best].abs() {
            i
        } else {
            best
        }
    })
}

/// `Error::InvalidValue` for a metric whose true value is beyond the range of f64,
/// naming the forecast with the largest error.
fn beyond_f64(metric: &str, forecast: &[f64], e: &[f64]) -> Error {
    let row = argmax_abs(e);
    Error::InvalidValue {
        field: "forecast",
        row,
        value: forecast[row],
        reason: format!(
            "{metric} is beyond the range of f64 (its error against the actual is too \
             large); rescale the series"
        ),
    }
}

/// Mean absolute error.
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`] or [`Error::NonFinite`] for bad inputs;
/// [`Error::InvalidValue`] naming the forecast with the largest error when the mean
/// absolute error is beyond the range of f64 (errors near `2 f64::MAX`).
pub fn mae(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    let (e, factor) = errors(actual, forecast);
    let (sum, s) = scaled_sum(e.iter().map(|v| v.abs()));
    let v = sum / actual.len() as f64 / s * factor;
    if !v.is_finite() {
        return Err(beyond_f64("MAE", forecast, &e));
    }
    Ok(v)
}

/// Root mean squared error, computed without overflow (the errors are scaled before
/// squaring, as `hypot` does).
///
/// # Errors
/// As [`mae`].
pub fn rmse(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    let (e, factor) = errors(actual, forecast);
    let v = scaled_rms(&e) * factor;
    if !v.is_finite() {
        return Err(beyond_f64("RMSE", forecast, &e));
    }
    Ok(v)
}

/// Mean absolute percentage error, in percent.
///
/// # Errors
/// As [`mae`], and [`Error::InvalidValue`] naming the first actual that is 0, or the
/// actual with the largest percentage error when MAPE is beyond the range of f64 (an
/// actual so small, such as `f64::MIN_POSITIVE`, that `|e / y|` overflows).
pub fn mape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    if let Some(row) = actual.iter().position(|a| *a == 0.0) {
        return Err(Error::InvalidValue {
            field: "actual",
            row,
            value: 0.0,
            reason: "MAPE divides by the actual; use sMAPE or MASE for series with zeros".into(),
        });
    }
    let (e, factor) = errors(actual, forecast);
    let ratios: Vec<f64> = e.iter().zip(actual).map(|(e, a)| (e / a).abs()).collect();
    let (sum, s) = scaled_sum(ratios.iter().copied());
    let v = 100.0 * sum / actual.len() as f64 / s * factor;
    if !v.is_finite() {
        let row = argmax_abs(&ratios);
        return Err(Error::InvalidValue {
            field: "actual",
            row,
            value: actual[row],
            reason: "the percentage error against this actual is beyond the range of f64 \
                     (the actual is too close to 0); use sMAPE or MASE"
                .into(),
        });
    }
    Ok(v)
}

/// Symmetric mean absolute percentage error, in percent (0 to 200).
///
/// # Errors
/// As [`mae`] for bad inputs (the value itself is always finite).
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64> {
    check_pair(actual, forecast)?;
    let sum: f64 = actual
        .iter()
        .zip(forecast)
        .map(|(a, f)| {
            let (e, d) = ((a - f).abs(), a.abs() + f.abs());
            if d == 0.0 {
                0.0
            } else if e.is_finite() && d.is_finite() {
                // 2 (e / d) rounds as 2 e / d (doubling is exact) but cannot overflow.
                2.0 * (e / d)
            } else {
                // Halved: the same ratio without overflow.
                2.0 * ((0.5 * a - 0.5 * f).abs() / (0.5 * a.abs() + 0.5 * f.abs()))
            }
        })
        .sum();
    Ok(100.0 * sum / actual.len() as f64)
}

/// The MASE scale: mean absolute error of the seasonal naive forecast
/// `y_t = y_{t-m}` on the training series (`m` its seasonal period; the naive forecast
/// when `m = 1` or the series is shorter than `m + 1`), computed without overflow.
///
/// # Errors
/// [`Error::InsufficientData`] for a training series of one observation, or one whose
/// naive forecast has no error (the scale would be 0 and MASE infinite or NaN);
/// [`Error::InvalidValue`] naming the training value with the largest naive error when
/// the scale is beyond the range of f64.
pub fn mase_scale(training: &Series) -> Result<f64> {
    let y = training.values();
    let m = if y.len() > training.season_length() {
        training.season_length()
    } else {
        1
    };
    if y.len() <= m {
        return Err(Error::InsufficientData {
            model: "MASE",
            reason: "the training series needs at least two observations".into(),
        });
    }
    let (e, factor) = errors(&y[m..], &y[..y.len() - m]);
    let (sum, s) = scaled_sum(e.iter().map(|v| v.abs()));
    let scale = sum / e.len() as f64 / s * factor;
    if scale == 0.0 {
        return Err(Error::InsufficientData {
            model: "MASE",
            reason: "the training series' naive forecast has no error (a constant or exactly \
                     repeating series), so MASE is undefined"
                .into(),
        });
    }
    if !scale.is_finite() {
        let row = argmax_abs(&e);
        return Err(Error::InvalidValue {
            field: "training",
            row: row + m,
            value: y[row + m],
            reason: "the naive forecast's mean absolute error (the MASE scale) is beyond the \
                     range of f64; rescale the series"
                .into(),
        });
    }
    Ok(scale)
}

/// `mae / scale`, or [`Error::InsufficientData`] when the ratio is beyond f64 (a
/// training series whose naive errors are tiny against the forecast errors).
fn scaled_error(mae: f64, scale: f64) -> Result<f64> {
    let v = mae / scale;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::InsufficientData {
            model: "MASE",
            reason: format!(
                "the training series' naive errors (scale {scale:e}) are so small against \
                 the forecast errors (MAE {mae:e}) that MASE is beyond the range of f64"
            ),
        })
    }
}

/// Mean absolute scaled error: MAE over [`mase_scale`] of the training series.
///
/// # Errors
/// As [`mae`] and [`mase_scale`]; [`Error::InsufficientData`] when MASE is beyond the
/// range of f64 (a scale such as `f64::MIN_POSITIVE`).
pub fn mase(actual: &[f64], forecast: &[f64], training: &Series) -> Result<f64> {
    scaled_error(mae(actual, forecast)?, mase_scale(training)?)
}

/// All metrics at once. MAPE is NaN (not an error) when an actual is 0 or MAPE is
/// beyond f64 (as [`mape`] errs), and MASE is NaN when the training series' naive
/// forecast has no error (see [`mase_scale`]) or MASE is beyond f64.
///
/// # Errors
/// As [`mae`] and [`rmse`], and [`mase_scale`]'s error for a training series of one
/// observation.
pub fn accuracy(actual: &[f64], forecast: &[f64], training: &Series) -> Result<Accuracy> {
    let mae = mae(actual, forecast)?;
    let mase = match mase_scale(training) {
        Ok(scale) => scaled_error(mae, scale).unwrap_or(f64::NAN),
        Err(_) if training.len() > 1 => f64::NAN,
        Err(e) => return Err(e),
    };
    Ok(Accuracy {
        mae,
        rmse: rmse(actual, forecast)?,
        mape: mape(actual, forecast).unwrap_or(f64::NAN),
        smape: smape(actual, forecast)?,
        mase,
    })
}

/// Errors of rolling-origin forecasts ([`cross_validate`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CrossValidation {
    /// Length of the training window at each origin.
    pub origins: Vec<usize>,
    /// `errors[i][h]`: actual minus forecast at origin `i`, `h + 1` steps ahead (NaN
    /// where the step falls beyond the series).
    pub errors: Vec<Vec<f64>>,
    /// Mean absolute error per horizon step over the origins that reach it (NaN for a
    /// step no origin reaches).
    pub mae: Vec<f64>,
    /// Root mean squared error per horizon step.
    pub rmse: Vec<f64>,
    /// MASE per horizon step, scaled by the full series' seasonal naive MAE (NaN where
    /// [`mase`] would be an error: a scale of 0 or a ratio beyond f64).
    pub mase: Vec<f64>,
}

/// Rolling-origin (time-series) cross-validation, as R's `tsCV` with a fixed step:
/// the model is fitted on the first `initial` observations, then `initial + step`, ...
/// and each fit forecasts `horizon` steps; errors are grouped by step ahead.
///
/// `model` is the params of any forecaster ([`Ets`](super::ets::Ets),
/// [`AutoEts`](super::ets::AutoEts), [`Arima`](super::arima::Arima),
/// [`AutoArima`](super::arima::AutoArima)), fitted afresh at each origin; for any other
/// way to forecast, see [`cross_validate_with`].
///
/// ```
/// use patronage::forecast::{ets::Ets, metrics::cross_validate, Series};
/// let y: Vec<f64> = (0..40).map(|t| 20.0 + t as f64 + [1.0, -1.0][t % 2]).collect();
/// let cv = cross_validate(&Series::new(&y, 1)?, 3, 5, 20, &Ets::holt(false))?;
/// assert_eq!(cv.origins, vec![20, 25, 30, 35]);
/// assert_eq!(cv.mae.len(), 3);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// As [`cross_validate_with`], with the model's fit and forecast errors.
pub fn cross_validate<M>(
    series: &Series,
    horizon: usize,
    step: usize,
    initial: usize,
    model: &M,
) -> Result<CrossValidation>
where
    M: for<'a> Fit<&'a Series>,
    for<'a> <M as Fit<&'a Series>>::Fitted: Forecaster,
{
    cross_validate_with(series, horizon, step, initial, |train, h| {
        model.fit(train)?.forecast(h, &[])
    })
}

/// [`cross_validate`] with any forecasting closure: `model(train, h)` returns the
/// forecast `h` steps ahead from the training window `train`, for example
/// `|s, h| Ets::auto().fit(s)?.forecast(h, &[])`, or a benchmark such as the naive
/// forecast.
///
/// ```
/// use patronage::forecast::{metrics::cross_validate_with, Forecast, Series};
/// let y: Vec<f64> = (0..40).map(|t| 20.0 + t as f64 + [1.0, -1.0][t % 2]).collect();
/// let naive = |s: &Series, h: usize| -> patronage::Result<Forecast> {
///     let last = s.values()[s.len() - 1];
///     Ok(Forecast { mean: vec![last; h], intervals: vec![] })
/// };
/// let cv = cross_validate_with(&Series::new(&y, 1)?, 1, 5, 20, naive)?;
/// assert_eq!(cv.origins, vec![20, 25, 30, 35]);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `horizon` or `step` 0, `horizon` above
/// [`MAX_HORIZON`](super::MAX_HORIZON) or `initial` outside `1..len`; the first error
/// the model returns; [`Error::NonFinite`] (field `forecast`, row the step) for a
/// forecast the model returns that is not finite, and [`Error::InvalidValue`] (field
/// `forecast`) for one whose error against the actual is beyond the range of f64.
pub fn cross_validate_with<F>(
    series: &Series,
    horizon: usize,
    step: usize,
    initial: usize,
    mut model: F,
) -> Result<CrossValidation>
where
    F: FnMut(&Series, usize) -> Result<Forecast>,
{
    for (name, v) in [("horizon", horizon), ("step", step)] {
        if v == 0 {
            return Err(Error::InvalidParameter {
                name,
                value: "0".into(),
                reason: "must be at least 1".into(),
            });
        }
    }
    super::check_horizon("horizon", horizon)?;
    let n = series.len();
    if initial == 0 || initial >= n {
        return Err(Error::InvalidParameter {
            name: "initial",
            value: initial.to_string(),
            reason: format!("the first training window must hold 1..{n} observations"),
        });
    }
    let y = series.values();
    let scale = mase_scale(series).unwrap_or(f64::NAN);
    let (mut origins, mut errors) = (Vec::new(), Vec::new());
    let mut end = initial;
    while end < n {
        let f = model(&series.head(end)?, horizon)?;
        if let Some(h) = f.mean.iter().take(horizon).position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: "forecast",
                row: h,
                value: f.mean[h],
            });
        }
        let mut row = Vec::with_capacity(horizon);
        for h in 0..horizon {
            row.push(match (y.get(end + h), f.mean.get(h)) {
                (Some(a), Some(p)) if (a - p).is_finite() => a - p,
                (Some(_), Some(&p)) => {
                    return Err(Error::InvalidValue {
                        field: "forecast",
                        row: h,
                        value: p,
                        reason: format!(
                            "the error against the actual at row {} (origin {end}) is beyond \
                             the range of f64; rescale the series",
                            end + h
                        ),
                    });
                }
                _ => f64::NAN,
            });
        }
        origins.push(end);
        errors.push(row);
        end = end.saturating_add(step);
    }
    // Per step, the errors (all finite) of the origins that reach it; their mean
    // absolute value and root mean square are finite whatever their size.
    let at_step = |h: usize| -> Vec<f64> {
        errors
            .iter()
            .map(|r: &Vec<f64>| r[h])
            .filter(|e| e.is_finite())
            .collect()
    };
    let (mut mae, mut rmse) = (Vec::with_capacity(horizon), Vec::with_capacity(horizon));
    for h in 0..horizon {
        let v = at_step(h);
        if v.is_empty() {
            mae.push(f64::NAN);
            rmse.push(f64::NAN);
        } else {
            let (sum, s) = scaled_sum(v.iter().map(|e| e.abs()));
            mae.push(sum / v.len() as f64 / s);
            rmse.push(scaled_rms(&v));
        }
    }
    let mase = mae
        .iter()
        .map(|&m| scaled_error(m, scale).unwrap_or(f64::NAN))
        .collect();
    Ok(CrossValidation {
        origins,
        errors,
        mae,
        rmse,
        mase,
    })
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let a = [2.0, 4.0, 0.0];
        let f = [1.0, 5.0, 0.0];
        assert_eq!(mae(&a, &f).unwrap(), 2.0 / 3.0);
        assert!((rmse(&a, &f).unwrap() - (2.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert!(matches!(
            mape(&a, &f),
            Err(Error::InvalidValue { row: 2, .. })
        ));
        // 2|e|/(|a|+|f|): 2/3, 2/9, 0.
        assert!((smape(&a, &f).unwrap() - 100.0 * (2.0 / 3.0 + 2.0 / 9.0) / 3.0).abs() < 1e-12);
        assert!(matches!(
            mae(&a, &f[..2]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(mae(&[], &[]), Err(Error::Empty { .. })));
        assert!(matches!(
            rmse(&[1.0], &[f64::NAN]),
            Err(Error::NonFinite {
                field: "forecast",
                ..
            })
        ));
        let seasonal = Series::new(&[1.0, 5.0, 2.0, 6.0, 4.0, 9.0], 2).unwrap();
        // |2-1|, |6-5|, |4-2|, |9-6| → 7/4.
        assert_eq!(mase_scale(&seasonal).unwrap(), 1.75);
        assert!(mase_scale(&Series::new(&[1.0], 1).unwrap()).is_err());
        // A constant (or exactly seasonal) training series: an error, not inf/NaN.
        let flat = Series::new(&[3.0; 6], 1).unwrap();
        assert!(matches!(
            mase(&[1.0], &[2.0], &flat),
            Err(Error::InsufficientData { .. })
        ));
        let repeating = Series::new(&[1.0, 5.0, 1.0, 5.0], 2).unwrap();
        assert!(mase_scale(&repeating).is_err());
        let all = accuracy(&[1.0, 2.0], &[2.0, 2.0], &flat).unwrap();
        assert!(all.mase.is_nan() && all.mae == 0.5);
    }

    #[test]
    fn cross_validate_extreme_arguments_are_bounded() {
        let y: Vec<f64> = (0..30).map(|t| 10.0 + (t % 4) as f64).collect();
        let s = Series::new(&y, 1).unwrap();
        let naive = |s: &Series, h: usize| -> Result<Forecast> {
            let last = *s.values().last().unwrap();
            Ok(Forecast {
                mean: vec![last; h],
                intervals: vec![],
            })
        };
        assert!(matches!(
            cross_validate_with(&s, usize::MAX, 1, 10, naive),
            Err(Error::InvalidParameter {
                name: "horizon",
                ..
            })
        ));
        // A step past the end leaves one origin, without overflowing.
        let cv = cross_validate_with(&s, 2, usize::MAX, 10, naive).unwrap();
        assert_eq!(cv.origins, vec![10]);
        assert_eq!(cv.errors[0], vec![y[10] - y[9], y[11] - y[9]]);
    }
}
