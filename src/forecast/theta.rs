//! The standard Theta method (Assimakopoulos & Nikolopoulos 2000) as R's
//! `forecast::thetaf` computes it (Hyndman & Billah 2003: simple exponential smoothing
//! with drift).
//!
//! 1. **Seasonality test** (series with season length `m > 1`, not constant, more than
//!    `2m` observations): with `r_k` the sample autocorrelations, the series is
//!    seasonal when `|r_m| / sqrt((1 + 2 Σ_{k<m} r_k²) / n)` exceeds the 95% normal
//!    quantile 1.645 (a one-sided test at 90% two-sided).
//! 2. **Seasonal adjustment** (seasonal series): classical multiplicative decomposition
//!    as R's `decompose(type = "multiplicative")` (centred moving average of order `m`,
//!    seasonal indices the mean ratio per position in the cycle, normalized to mean
//!    1); the series is divided by its indices. If an index is below 1e-4 in absolute
//!    value (or not finite), the method goes on without adjustment, as R does (with a
//!    warning there).
//! 3. **SES** on the (adjusted) series, as R's `ses()`: ETS(A,N,N) with α in
//!    `[1e-4, 0.9999]` and initial level `l0` minimizing the mean squared one-step error
//!    (for each α the best `l0` is a least-squares solution; α by Brent's method to
//!    1e-10). R's `ets` reaches the same minimum by Nelder-Mead, to its tolerance.
//! 4. **Drift**: half the slope `b` of the least-squares line through the (adjusted)
//!    series against time; the forecast `h` steps ahead (`j = h - 1`) is
//!    `l_n + b/2 (j + (1 - (1 - α)^n) / α)`, times the seasonal index of its position
//!    in the cycle.
//! 5. **Intervals** as `thetaf`: `mean ± z σ sqrt(1 + j α²)` with σ² the SES residual
//!    variance on the adjusted scale (sum of squares over `n - 2`), not re-seasonalized.
//!
//! Fitted values are SES's one-step forecasts times the seasonal indices; residuals are
//! the series minus them (R's `thetaf(y)$fitted` and `$residuals`).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::{theta::Theta, Series};
//! let y: Vec<f64> = (0..48)
//!     .map(|t| (100.0 + 2.0 * t as f64) * [0.9, 1.0, 1.2, 0.9][t % 4] + ((t * 7) % 5) as f64)
//!     .collect();
//! let model = Theta::params().fit(&Series::new(&y, 4)?)?;
//! assert!(model.is_seasonal());
//! let f = model.forecast(8, &[0.8, 0.95])?;
//! assert_eq!(f.mean.len(), 8);
//! assert!(f.intervals[1].lower[0] < f.intervals[0].lower[0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::forecast::boxcox::brent_fmin;
use crate::forecast::{
    Forecast, Forecaster, Series, check_finite_forecast, check_request, normal_intervals,
};
use crate::model::Fit;

/// R's bounds of the SES smoothing parameter.
const ALPHA_BOUNDS: (f64, f64) = (1e-4, 0.9999);

/// The params of the Theta method (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Theta {
    fixed: Option<(f64, f64)>,
    season_length: Option<usize>,
}

impl Theta {
    /// The standard Theta method, with the season length of the series.
    pub fn params() -> Self {
        Self::default()
    }

    /// Overrides the series' season length.
    #[must_use]
    pub fn season_length(mut self, m: usize) -> Self {
        self.season_length = Some(m);
        self
    }

    /// Evaluates the method at a given SES smoothing parameter `alpha` (in `(0, 1]`)
    /// and initial level `level` (on the seasonally adjusted scale) instead of
    /// estimating them, as R's `ets(y, model = fit)` evaluates a model.
    #[must_use]
    pub fn fixed_ses(mut self, alpha: f64, level: f64) -> Self {
        self.fixed = Some((alpha, level));
        self
    }
}

impl Fit<&Series> for Theta {
    type Fitted = FittedTheta;

    /// Tests for seasonality, adjusts, fits SES and the drift.
    ///
    /// # Errors
    /// [`Error::InsufficientData`] for fewer than 3 observations;
    /// [`Error::InvalidParameter`] for a season length of 0, or a fixed `alpha` outside
    /// `(0, 1]` or non-finite level; [`Error::NonFinite`] naming field `forecast` when
    /// the fit overflows.
    fn fit(&self, series: &Series) -> Result<FittedTheta> {
        let m = match self.season_length {
            Some(0) => {
                return Err(crate::forecast::invalid(
                    "season_length",
                    0,
                    "use 1 for a series without seasonality",
                ));
            }
            Some(m) => m,
            None => series.season_length(),
        };
        if let Some((alpha, level)) = self.fixed {
            if !(alpha > 0.0 && alpha <= 1.0) {
                return Err(crate::forecast::invalid(
                    "alpha",
                    alpha,
                    "SES's alpha is in (0, 1]",
                ));
            }
            if !level.is_finite() {
                return Err(crate::forecast::invalid("level", level, "must be finite"));
            }
        }
        let y = series.values();
        let n = y.len();
        if n < 3 {
            return Err(Error::InsufficientData {
                model: "Theta",
                reason: format!("{n} observation(s); at least 3 are needed"),
            });
        }
        let seasonal = if m > 1
            && m.checked_mul(2).is_some_and(|d| n > d)
            && !is_constant(y)
            && seasonality_test(y, m)
        {
            multiplicative_indices(y, m)
        } else {
            None
        };
        let adjusted: Vec<f64> = match &seasonal {
            Some(s) => y.iter().enumerate().map(|(t, v)| v / s[t % m]).collect(),
            None => y.to_vec(),
        };
        let (alpha, level0) = match self.fixed {
            Some(p) => p,
            None => fit_ses(&adjusted),
        };
        let (fitted_adj, last_level, sse) = ses_pass(&adjusted, alpha, level0);
        let sigma2 = sse / (n - 2) as f64;
        let drift = ols_slope(&adjusted) / 2.0;
        let fitted: Vec<f64> = match &seasonal {
            Some(s) => fitted_adj
                .iter()
                .enumerate()
                .map(|(t, f)| f * s[t % m])
                .collect(),
            None => fitted_adj,
        };
        let residuals = y.iter().zip(&fitted).map(|(v, f)| v - f).collect();
        let model = FittedTheta {
            alpha,
            initial_level: level0,
            last_level,
            drift,
            sigma2,
            n,
            indices: seasonal,
            fitted,
            residuals,
        };
        model.check()?;
        Ok(model)
    }
}

pub(super) fn is_constant(y: &[f64]) -> bool {
    y.iter().all(|v| *v == y[0])
}

/// R's `mean` (the sum over n, refined by the mean deviation).
pub(super) fn mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    if m.is_finite() {
        m + x.iter().map(|v| v - m).sum::<f64>() / n
    } else {
        m
    }
}

/// thetaf's test: `|r_m| / sqrt((1 + 2 Σ_{k<m} r_k²) / n) > qnorm(0.95)`.
pub(super) fn seasonality_test(y: &[f64], m: usize) -> bool {
    let n = y.len();
    let mu = mean(y);
    let d: Vec<f64> = y.iter().map(|v| v - mu).collect();
    let c0: f64 = d.iter().map(|v| v * v).sum::<f64>() / n as f64;
    let acf = |k: usize| -> f64 {
        let ck: f64 = d[..n - k]
            .iter()
            .zip(&d[k..])
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / n as f64;
        ck / c0
    };
    let sum_sq: f64 = (1..m).map(|k| acf(k).powi(2)).sum();
    let stat = ((1.0 + 2.0 * sum_sq) / n as f64).sqrt();
    acf(m).abs() / stat > 1.644_853_626_951_472_2
}

/// The seasonal indices of R's `decompose(y, "multiplicative")`, one per position in
/// the cycle counted from the first observation, or `None` when one is below 1e-4 in
/// absolute value or not finite.
fn multiplicative_indices(y: &[f64], m: usize) -> Option<Vec<f64>> {
    let figure = seasonal_figure(y, m, true);
    figure
        .iter()
        .all(|f| f.is_finite() && f.abs() >= 1e-4)
        .then_some(figure)
}

/// The seasonal figure of classical decomposition (R's `decompose`, statsmodels'
/// `seasonal_decompose`), one value per position in the cycle counted from the first
/// observation: the mean per position of the series over (multiplicative) or minus
/// (additive) its centred moving average of order `m`, normalized to mean 1 (or 0).
pub(super) fn seasonal_figure(y: &[f64], m: usize, multiplicative: bool) -> Vec<f64> {
    let n = y.len();
    let filter: Vec<f64> = if m.is_multiple_of(2) {
        let mut f = vec![1.0 / m as f64; m + 1];
        f[0] = 0.5 / m as f64;
        f[m] = 0.5 / m as f64;
        f
    } else {
        vec![1.0 / m as f64; m]
    };
    let half = filter.len() / 2;
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for i in half..n.saturating_sub(filter.len() - 1 - half) {
        // R's filter(sides = 2): sum over j of filter[j] * y[i + half - j].
        let trend: f64 = filter
            .iter()
            .enumerate()
            .map(|(j, f)| f * y[i + half - j])
            .sum();
        sums[i % m] += if multiplicative {
            y[i] / trend
        } else {
            y[i] - trend
        };
        counts[i % m] += 1;
    }
    let figure: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / *c as f64)
        .collect();
    let total = mean(&figure);
    if multiplicative {
        figure.iter().map(|f| f / total).collect()
    } else {
        figure.iter().map(|f| f - total).collect()
    }
}

/// Least-squares slope of `x` against `0, 1, ..., n - 1`.
fn ols_slope(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let tbar = (n - 1.0) / 2.0;
    let xbar = mean(x);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (t, v) in x.iter().enumerate() {
        let dt = t as f64 - tbar;
        sxy += dt * (v - xbar);
        sxx += dt * dt;
    }
    sxy / sxx
}

/// One pass of SES: fitted values (the level before each observation), the last level
/// and the sum of squared errors.
fn ses_pass(y: &[f64], alpha: f64, level0: f64) -> (Vec<f64>, f64, f64) {
    let mut level = level0;
    let mut sse = 0.0;
    let mut fitted = Vec::with_capacity(y.len());
    for &v in y {
        fitted.push(level);
        let e = v - level;
        sse += e * e;
        level += alpha * e;
    }
    (fitted, level, sse)
}

/// For a given α, the initial level minimizing the sum of squared one-step errors, and
/// that sum. The level before observation `t` is `w_t l0 + c_t` with `w_t = (1-α)^t`.
fn profile(y: &[f64], alpha: f64) -> (f64, f64) {
    let mut c = 0.0;
    let mut w = 1.0;
    let (mut num, mut den) = (0.0, 0.0);
    for &v in y {
        num += w * (v - c);
        den += w * w;
        c += alpha * (v - c);
        w *= 1.0 - alpha;
    }
    let level0 = num / den;
    let (_, _, sse) = ses_pass(y, alpha, level0);
    (level0, sse)
}

/// α and l0 minimizing the SES sum of squared errors, α in R's bounds.
fn fit_ses(y: &[f64]) -> (f64, f64) {
    let alpha = brent_fmin(ALPHA_BOUNDS.0, ALPHA_BOUNDS.1, 1e-10, |a| {
        let sse = profile(y, a).1;
        if sse.is_finite() { sse } else { f64::MAX }
    });
    // Brent never evaluates at the bounds; an optimum there is kept when it is lower.
    [ALPHA_BOUNDS.0, alpha, ALPHA_BOUNDS.1]
        .into_iter()
        .map(|a| (a, profile(y, a)))
        .min_by(|p, q| p.1.1.total_cmp(&q.1.1))
        .map_or((alpha, profile(y, alpha).0), |(a, (l, _))| (a, l))
}

/// A fitted Theta model (see the [module docs](self)).
///
/// With serde, a model is checked as it is read: α in `(0, 1]`, finite levels and
/// drift, a finite non-negative σ², seasonal indices (when present) finite and at least
/// 1e-4 in absolute value, fitted values and residuals finite, one per observation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawTheta")
)]
pub struct FittedTheta {
    alpha: f64,
    initial_level: f64,
    last_level: f64,
    drift: f64,
    sigma2: f64,
    n: usize,
    indices: Option<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// [`FittedTheta`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawTheta {
    alpha: f64,
    initial_level: f64,
    last_level: f64,
    drift: f64,
    sigma2: f64,
    n: usize,
    indices: Option<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawTheta> for FittedTheta {
    type Error = Error;

    fn try_from(raw: RawTheta) -> Result<Self> {
        let model = FittedTheta {
            alpha: raw.alpha,
            initial_level: raw.initial_level,
            last_level: raw.last_level,
            drift: raw.drift,
            sigma2: raw.sigma2,
            n: raw.n,
            indices: raw.indices,
            fitted: raw.fitted,
            residuals: raw.residuals,
        };
        model.check()?;
        Ok(model)
    }
}

impl FittedTheta {
    fn check(&self) -> Result<()> {
        use crate::validate::{all_finite, finite, non_negative, same_len};
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(crate::forecast::invalid(
                "alpha",
                self.alpha,
                "SES's alpha is in (0, 1]",
            ));
        }
        finite("initial_level", 0, self.initial_level)?;
        finite("last_level", 0, self.last_level)?;
        finite("drift", 0, self.drift)?;
        non_negative("sigma2", 0, self.sigma2)?;
        if self.n < 3 {
            return Err(crate::forecast::invalid(
                "n",
                self.n,
                "Theta is fitted on at least 3 observations",
            ));
        }
        if let Some(s) = &self.indices {
            if s.len() < 2 {
                return Err(crate::forecast::invalid(
                    "indices",
                    s.len(),
                    "a season has at least 2 positions",
                ));
            }
            all_finite("indices", s)?;
            if let Some(row) = s.iter().position(|v| v.abs() < 1e-4) {
                return Err(crate::validate::invalid_value(
                    "indices",
                    row,
                    s[row],
                    "seasonal indices are at least 1e-4 in absolute value",
                ));
            }
        }
        same_len("fitted", self.n, self.fitted.len())?;
        all_finite("fitted", &self.fitted)?;
        same_len("residuals", self.n, self.residuals.len())?;
        all_finite("residuals", &self.residuals)
    }

    /// SES's smoothing parameter α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// SES's initial level, on the seasonally adjusted scale.
    pub fn initial_level(&self) -> f64 {
        self.initial_level
    }

    /// The drift: half the slope of the least-squares line through the (adjusted)
    /// series.
    pub fn drift(&self) -> f64 {
        self.drift
    }

    /// SES's residual variance on the adjusted scale (sum of squares over `n - 2`).
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }

    /// Whether the seasonality test led to a seasonal adjustment.
    pub fn is_seasonal(&self) -> bool {
        self.indices.is_some()
    }

    /// The multiplicative seasonal indices per position in the cycle, counted from the
    /// first observation (`None` for a non-seasonal fit).
    pub fn seasonal_indices(&self) -> Option<&[f64]> {
        self.indices.as_deref()
    }
}

impl Forecaster for FittedTheta {
    /// Point forecasts and intervals as R's `thetaf` (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h` outside `1..=`[`MAX_HORIZON`](crate::forecast::MAX_HORIZON)
    /// or a level outside `(0, 1)`; [`Error::NonFinite`] when a forecast overflows.
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        let a = self.alpha.max(1e-10);
        let n = self.n;
        let n_i32 = i32::try_from(n).unwrap_or(i32::MAX);
        let carry = (1.0 - (1.0 - a).powi(n_i32)) / a;
        let mean: Vec<f64> = (0..h)
            .map(|j| {
                let m = self.last_level + self.drift * (j as f64 + carry);
                match &self.indices {
                    Some(s) => m * s[(n + j) % s.len()],
                    None => m,
                }
            })
            .collect();
        let sd: Vec<f64> = (0..h)
            .map(|j| (self.sigma2 * (j as f64 * a * a + 1.0)).sqrt())
            .collect();
        let out = Forecast {
            intervals: normal_intervals(&mean, &sd, levels),
            mean,
        };
        check_finite_forecast(&out)?;
        Ok(out)
    }

    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_level_is_the_least_squares_optimum() {
        let y = [3.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0];
        let (l0, sse) = profile(&y, 0.3);
        for d in [-1e-3, 1e-3] {
            assert!(ses_pass(&y, 0.3, l0 + d).2 > sse);
        }
    }
}
