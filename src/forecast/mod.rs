//! Revenue forecasting: regular series from the transaction log, exponential smoothing
//! (ETS) and ARIMA models with automatic selection, and accuracy metrics.

/// A forecast at horizons `1..=h`: the point forecast and, per requested level, the
/// lower and upper bounds of the prediction interval.
///
/// `lower[i][j]` and `upper[i][j]` are the bounds at level `levels[i]` (e.g. 80.0 or 95.0,
/// in percent) for horizon `j + 1`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Forecast {
    /// Point forecasts (the mean of the predictive distribution), one per horizon.
    pub mean: Vec<f64>,
    /// The interval levels, in percent, in the order requested.
    pub levels: Vec<f64>,
    /// Lower bounds, one vector per level, each with one value per horizon.
    pub lower: Vec<Vec<f64>>,
    /// Upper bounds, one vector per level, each with one value per horizon.
    pub upper: Vec<Vec<f64>>,
}
