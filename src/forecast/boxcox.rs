//! The Box-Cox transformation, Guerrero's choice of λ, and forecasting on the Box-Cox
//! scale, as R's forecast package does (`BoxCox`, `InvBoxCox`, `BoxCox.lambda`, and the
//! `lambda` / `biasadj` arguments of `ets()` and `Arima()`).
//!
//! - [`box_cox`]: `w = (sign(y)|y|^λ - 1) / λ`, or `ln y` for `λ = 0` (R's `BoxCox`).
//! - [`inv_box_cox`]: the inverse `y = sign(λw + 1)|λw + 1|^(1/λ)`, or `exp w`; with a
//!   forecast variance `σ²` per value, [`inv_box_cox_biasadj`] gives the bias-adjusted
//!   mean `y (1 + σ² (1 - λ) / (2 y^(2λ)))` (R's `InvBoxCox(..., biasadj = TRUE,
//!   fvar)`), which estimates the mean of the back-transformed forecast distribution
//!   rather than its median.
//! - [`guerrero`]: λ by Guerrero's (1993) method as R's `BoxCox.lambda(x, method =
//!   "guerrero", lower, upper)`: split the last `⌊n/p⌋ p` observations into blocks of
//!   `p = max(2, m)` (`m` the season length), take each block's standard deviation
//!   `s` and mean `μ`, and minimize the coefficient of variation of `s / μ^(1-λ)` over
//!   `[lower, upper]` with R's `optimize` (Brent's method, tolerance `ε^(1/4)`,
//!   ported step for step so that λ agrees to rounding). A series of at most `2m`
//!   observations gets λ = 1, as in R.
//! - [`BoxCox`]: any forecaster's params (ETS, ARIMA, ...) fitted on the transformed
//!   series; forecasts and interval bounds are transformed back, the mean
//!   bias-adjusted when asked (R's `forecast(ets(y, lambda = λ, biasadj = TRUE))`).
//!
//! ```
//! use patronage::forecast::boxcox::{box_cox, guerrero, inv_box_cox};
//! use patronage::forecast::Series;
//! let y: Vec<f64> = (0..48).map(|t| (10.0 + t as f64) * [0.8, 1.0, 1.3, 0.9][t % 4]).collect();
//! let series = Series::new(&y, 4)?;
//! let lambda = guerrero(&series, -1.0, 2.0)?;
//! assert!((-1.0..=2.0).contains(&lambda));
//! let w = box_cox(&y, lambda)?;
//! let back = inv_box_cox(&w, lambda)?;
//! assert!(back.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-9 * b));
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::forecast::{Forecast, Forecaster, Series, check_finite_forecast};
use crate::model::{Fit, FitReport, FittedModel};

fn check_lambda(lambda: f64) -> Result<()> {
    if lambda.is_finite() {
        Ok(())
    } else {
        Err(crate::forecast::invalid(
            "lambda",
            lambda,
            "the Box-Cox parameter must be finite",
        ))
    }
}

/// The Box-Cox transform of each value with parameter `lambda` (R's `BoxCox`):
/// `(sign(y)|y|^λ - 1) / λ`, or `ln y` for `λ = 0`.
///
/// # Errors
/// [`Error::InvalidParameter`] for a non-finite `lambda`; [`Error::NonFinite`] naming
/// field `series` and the row of a non-finite value; [`Error::InvalidValue`] for a value
/// that is not positive when `λ <= 0` (R gives NA or -Inf there), or whose transform
/// overflows.
pub fn box_cox(values: &[f64], lambda: f64) -> Result<Vec<f64>> {
    check_lambda(lambda)?;
    values
        .iter()
        .enumerate()
        .map(|(row, &y)| {
            crate::validate::finite("series", row, y)?;
            if lambda <= 0.0 && y <= 0.0 {
                return Err(crate::validate::invalid_value(
                    "series",
                    row,
                    y,
                    "a Box-Cox transform with lambda <= 0 needs positive values",
                ));
            }
            let w = transform(y, lambda);
            if w.is_finite() {
                Ok(w)
            } else {
                Err(crate::validate::invalid_value(
                    "series",
                    row,
                    y,
                    format!("its Box-Cox transform with lambda = {lambda} overflows"),
                ))
            }
        })
        .collect()
}

fn transform(y: f64, lambda: f64) -> f64 {
    if lambda == 0.0 {
        y.ln()
    } else {
        (y.signum() * y.abs().powf(lambda) - 1.0) / lambda
    }
}

fn inverse(w: f64, lambda: f64) -> f64 {
    if lambda == 0.0 {
        w.exp()
    } else {
        let xx = w * lambda + 1.0;
        xx.signum() * xx.abs().powf(1.0 / lambda)
    }
}

/// The inverse Box-Cox transform (R's `InvBoxCox` without bias adjustment).
///
/// # Errors
/// [`Error::InvalidParameter`] for a non-finite `lambda`; [`Error::NonFinite`] naming
/// field `transformed` and the row of a non-finite value; [`Error::InvalidValue`] for a
/// value outside the transform's range (`w > -1/λ` when `λ < 0`, where R gives NA) or
/// whose inverse overflows.
pub fn inv_box_cox(values: &[f64], lambda: f64) -> Result<Vec<f64>> {
    check_lambda(lambda)?;
    values
        .iter()
        .enumerate()
        .map(|(row, &w)| inverse_checked(row, w, lambda))
        .collect()
}

fn inverse_checked(row: usize, w: f64, lambda: f64) -> Result<f64> {
    crate::validate::finite("transformed", row, w)?;
    if lambda < 0.0 && w > -1.0 / lambda {
        return Err(crate::validate::invalid_value(
            "transformed",
            row,
            w,
            format!(
                "beyond the range of a Box-Cox transform with lambda = {lambda} (at most {})",
                -1.0 / lambda
            ),
        ));
    }
    let y = inverse(w, lambda);
    if y.is_finite() {
        Ok(y)
    } else {
        Err(crate::validate::invalid_value(
            "transformed",
            row,
            w,
            format!("its inverse Box-Cox transform with lambda = {lambda} overflows"),
        ))
    }
}

/// The bias-adjusted inverse (R's `InvBoxCox(w, lambda, biasadj = TRUE, fvar)`):
/// `y (1 + fvar (1 - λ) / (2 y^(2λ)))` with `y` the plain inverse and `fvar` the
/// variance of each value on the transformed scale.
///
/// # Errors
/// As [`inv_box_cox`]; [`Error::LengthMismatch`] when `fvar` has another length;
/// [`Error::NonFinite`] / [`Error::Negative`] naming field `fvar` and the row of a bad
/// variance; [`Error::NonFinite`] naming field `transformed` when the adjusted value is
/// not finite.
pub fn inv_box_cox_biasadj(values: &[f64], lambda: f64, fvar: &[f64]) -> Result<Vec<f64>> {
    check_lambda(lambda)?;
    crate::validate::same_len("fvar", values.len(), fvar.len())?;
    values
        .iter()
        .zip(fvar)
        .enumerate()
        .map(|(row, (&w, &v))| {
            crate::validate::non_negative("fvar", row, v)?;
            let y = inverse_checked(row, w, lambda)?;
            let adjusted = bias_adjust(y, lambda, v);
            crate::validate::finite("transformed", row, adjusted)?;
            Ok(adjusted)
        })
        .collect()
}

fn bias_adjust(y: f64, lambda: f64, fvar: f64) -> f64 {
    y * (1.0 + 0.5 * fvar * (1.0 - lambda) / y.powf(2.0 * lambda))
}

/// λ by Guerrero's method over `[lower, upper]`, as R's `BoxCox.lambda(x, method =
/// "guerrero", lower, upper)` (see the [module docs](self)); R's defaults are
/// `lower = -1`, `upper = 2`. A series of at most `2m` observations (`m` its season
/// length) gets 1, as in R.
///
/// # Errors
/// [`Error::InvalidParameter`] unless `lower < upper`, both finite;
/// [`Error::InvalidValue`] naming field `series` and the row of the first value that is
/// not positive (R warns and clamps `lower` at 0; the method is defined for positive
/// data); [`Error::InsufficientData`] for fewer than two blocks of `max(2, m)`
/// observations, or when the criterion is not finite at the optimum (every block
/// constant, or a level beyond f64's range).
pub fn guerrero(series: &Series, lower: f64, upper: f64) -> Result<f64> {
    if !(lower.is_finite() && upper.is_finite() && lower < upper) {
        return Err(crate::forecast::invalid(
            "lower",
            format!("{lower} (upper {upper})"),
            "the bounds of lambda are finite with lower < upper",
        ));
    }
    let x = series.values();
    if let Some((row, &v)) = x.iter().enumerate().find(|(_, v)| **v <= 0.0) {
        return Err(crate::validate::invalid_value(
            "series",
            row,
            v,
            "Guerrero's method needs positive values",
        ));
    }
    let m = series.season_length();
    if x.len() <= m.saturating_mul(2) {
        return Ok(1.0);
    }
    let period = m.max(2);
    let n_blocks = x.len() / period;
    let start = x.len() - n_blocks * period;
    let (means, sds): (Vec<f64>, Vec<f64>) = x[start..]
        .chunks_exact(period)
        .map(|block| (r_mean(block), r_sd(block)))
        .unzip();
    if n_blocks < 2 {
        return Err(Error::InsufficientData {
            model: "Guerrero's lambda",
            reason: format!(
                "{} observations make {n_blocks} block(s) of {period}; at least 2 are needed",
                x.len()
            ),
        });
    }
    let mut ratios = vec![0.0; n_blocks];
    let mut criterion = |lam: f64| {
        for (r, (mu, s)) in ratios.iter_mut().zip(means.iter().zip(&sds)) {
            *r = s / mu.powf(1.0 - lam);
        }
        r_sd(&ratios) / r_mean(&ratios)
    };
    // R's optimize replaces a non-finite value by the largest double.
    let lambda = brent_fmin(lower, upper, f64::EPSILON.powf(0.25), |lam| {
        let cv = criterion(lam);
        if cv.is_finite() { cv } else { f64::MAX }
    });
    if !criterion(lambda).is_finite() {
        return Err(Error::InsufficientData {
            model: "Guerrero's lambda",
            reason: "the criterion is not finite (constant blocks, or a level beyond f64's range)"
                .into(),
        });
    }
    Ok(lambda)
}

/// R's `mean`: the sum over n, refined by the mean of the deviations.
fn r_mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| v - m).sum::<f64>() / n
}

/// R's `sd`: the square root of the two-pass sample variance (n - 1).
fn r_sd(x: &[f64]) -> f64 {
    let m = r_mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (x.len() as f64 - 1.0)).sqrt()
}

/// R's `optimize` (`Brent_fmin` in R's `optimize.c`): the minimum of `f` on
/// `[ax, bx]` by golden-section search and parabolic interpolation, step for step.
pub(crate) fn brent_fmin(ax: f64, bx: f64, tol: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    let c = (3.0 - 5.0f64.sqrt()) * 0.5;
    let eps = f64::EPSILON.sqrt();
    let (mut a, mut b) = (ax, bx);
    let mut v = a + c * (b - a);
    let mut w = v;
    let mut x = v;
    let mut d = 0.0f64;
    let mut e = 0.0f64;
    let mut fx = f(x);
    let mut fv = fx;
    let mut fw = fx;
    let tol3 = tol / 3.0;
    // Each step shrinks [a, b] or moves by at least tol1; 200 steps bound a pathological
    // (non-finite) criterion.
    for _ in 0..200 {
        let xm = (a + b) * 0.5;
        let tol1 = eps * x.abs() + tol3;
        let t2 = tol1 * 2.0;
        if (x - xm).abs() <= t2 - (b - a) * 0.5 {
            break;
        }
        let mut p = 0.0;
        let mut q = 0.0;
        let mut r = 0.0;
        if e.abs() > tol1 {
            r = (x - w) * (fx - fv);
            q = (x - v) * (fx - fw);
            p = (x - v) * q - (x - w) * r;
            q = (q - r) * 2.0;
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            r = e;
            e = d;
        }
        if p.abs() >= (q * 0.5 * r).abs() || p <= q * (a - x) || p >= q * (b - x) {
            e = if x < xm { b - x } else { a - x };
            d = c * e;
        } else {
            d = p / q;
            let u = x + d;
            if u - a < t2 || b - u < t2 {
                d = if x >= xm { -tol1 } else { tol1 };
            }
        }
        let u = if d.abs() >= tol1 {
            x + d
        } else if d > 0.0 {
            x + tol1
        } else {
            x - tol1
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                b = x;
            } else {
                a = x;
            }
            v = w;
            w = x;
            x = u;
            fv = fw;
            fw = fx;
            fx = fu;
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                v = w;
                fv = fw;
                w = u;
                fw = fu;
            } else if fu <= fv || v == x || v == w {
                v = u;
                fv = fu;
            }
        }
    }
    x
}

/// How [`BoxCox`] picks λ.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Lambda {
    /// A given λ.
    Fixed(f64),
    /// Guerrero's method over `[lower, upper]` ([`guerrero`]).
    Guerrero {
        /// Lower bound (R's default -1).
        lower: f64,
        /// Upper bound (R's default 2).
        upper: f64,
    },
}

/// A forecaster fitted on the Box-Cox transform of the series (R's `lambda` argument of
/// `ets()` and `Arima()`): wraps the params of any model that fits a `&Series`.
///
/// Forecast means are transformed back, bias-adjusted with [`biasadj(true)`](Self::biasadj)
/// (the variance of each step read from the widest requested interval, or a 95%
/// interval when none is requested, as R reads it from its default 80% and 95%
/// intervals); interval bounds are transformed back without adjustment. The fitted
/// values are transformed back (bias-adjusted with the sample variance of the
/// residuals, as R's `ets`); the residuals stay on the transformed scale (R's
/// innovation residuals).
///
/// ```
/// use patronage::prelude::*;
/// use patronage::forecast::boxcox::{BoxCox, Lambda};
/// use patronage::forecast::{ets::Ets, Series};
/// let y: Vec<f64> = (0..60).map(|t| (50.0 + 2.0 * t as f64) * [0.8, 1.1, 1.3, 0.8][t % 4]).collect();
/// let series = Series::new(&y, 4)?;
/// let model = BoxCox::new(Ets::holt_winters(patronage::forecast::ets::SeasonType::Additive, false))
///     .lambda(Lambda::Guerrero { lower: -1.0, upper: 2.0 })
///     .biasadj(true)
///     .fit(&series)?;
/// let f = model.forecast(8, &[0.8, 0.95])?;
/// assert!(f.mean.iter().all(|v| *v > 0.0));
/// assert!(f.intervals[1].lower[0] < f.mean[0] && f.mean[0] < f.intervals[1].upper[0]);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BoxCox<P> {
    params: P,
    lambda: Lambda,
    biasadj: bool,
}

impl<P> BoxCox<P> {
    /// `params` fitted on the series transformed with λ from Guerrero's method over
    /// `[-1, 2]` (R's `lambda = "auto"` uses `[-0.9, 2]`: pass it with
    /// [`lambda`](Self::lambda)), no bias adjustment.
    pub fn new(params: P) -> Self {
        Self {
            params,
            lambda: Lambda::Guerrero {
                lower: -1.0,
                upper: 2.0,
            },
            biasadj: false,
        }
    }

    /// How λ is chosen.
    #[must_use]
    pub fn lambda(mut self, lambda: Lambda) -> Self {
        self.lambda = lambda;
        self
    }

    /// Whether forecast means (and fitted values) are bias-adjusted (R's `biasadj`).
    #[must_use]
    pub fn biasadj(mut self, biasadj: bool) -> Self {
        self.biasadj = biasadj;
        self
    }
}

impl<'a, P, F> Fit<&'a Series> for BoxCox<P>
where
    P: for<'s> Fit<&'s Series, Fitted = F>,
    F: Forecaster,
{
    type Fitted = FittedBoxCox<F>;

    /// Chooses λ, transforms the series, fits the wrapped model on it and transforms its
    /// fitted values back.
    ///
    /// # Errors
    /// Those of [`guerrero`] (positive values) or [`box_cox`] (non-positive values for
    /// λ <= 0), and those of the wrapped model's fit; [`Error::InvalidValue`] naming
    /// field `transformed` when a fitted value cannot be transformed back.
    fn fit(&self, series: &'a Series) -> Result<FittedBoxCox<F>> {
        let lambda = match self.lambda {
            Lambda::Fixed(l) => {
                check_lambda(l)?;
                l
            }
            Lambda::Guerrero { lower, upper } => guerrero(series, lower, upper)?,
        };
        let w = box_cox(series.values(), lambda)?;
        let transformed = series_like(series, w)?;
        let inner = self.params.fit(&transformed)?;
        let fitted = if self.biasadj {
            let var = sample_variance(inner.residuals());
            let fvar = vec![var; inner.fitted().len()];
            inv_box_cox_biasadj(inner.fitted(), lambda, &fvar)?
        } else {
            inv_box_cox(inner.fitted(), lambda)?
        };
        Ok(FittedBoxCox {
            inner,
            lambda,
            biasadj: self.biasadj,
            fitted,
        })
    }
}

fn series_like(series: &Series, values: Vec<f64>) -> Result<Series> {
    Series::new(&values, series.season_length())
}

/// R's `var`: sample variance (n - 1); 0 for fewer than two values.
fn sample_variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let s = r_sd(x);
    s * s
}

/// A model fitted on the Box-Cox scale (see [`BoxCox`]).
///
/// With serde, a model is checked as it is read: the wrapped model by its own checks,
/// a finite λ, and finite fitted values, as many as the wrapped model's.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawBoxCox<F>",
        bound(deserialize = "F: serde::Deserialize<'de> + Forecaster")
    )
)]
pub struct FittedBoxCox<F> {
    inner: F,
    lambda: f64,
    biasadj: bool,
    fitted: Vec<f64>,
}

/// [`FittedBoxCox`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawBoxCox<F> {
    inner: F,
    lambda: f64,
    biasadj: bool,
    fitted: Vec<f64>,
}

#[cfg(feature = "serde")]
impl<F: Forecaster> TryFrom<RawBoxCox<F>> for FittedBoxCox<F> {
    type Error = Error;

    fn try_from(raw: RawBoxCox<F>) -> Result<Self> {
        check_lambda(raw.lambda)?;
        crate::validate::same_len("fitted", raw.inner.fitted().len(), raw.fitted.len())?;
        crate::validate::all_finite("fitted", &raw.fitted)?;
        Ok(FittedBoxCox {
            inner: raw.inner,
            lambda: raw.lambda,
            biasadj: raw.biasadj,
            fitted: raw.fitted,
        })
    }
}

impl<F> FittedBoxCox<F> {
    /// The model fitted on the transformed series.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// λ.
    pub fn lambda_value(&self) -> f64 {
        self.lambda
    }

    /// Whether forecast means are bias-adjusted.
    pub fn is_biasadj(&self) -> bool {
        self.biasadj
    }
}

impl<F: Forecaster> Forecaster for FittedBoxCox<F> {
    /// The wrapped model's forecast transformed back: means (bias-adjusted when set)
    /// and interval bounds.
    ///
    /// # Errors
    /// Those of the wrapped model's forecast; [`Error::InvalidValue`] or
    /// [`Error::NonFinite`] when a forecast or bound is outside the range the transform
    /// can invert (`w > -1/λ` for λ < 0) or overflows.
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        crate::forecast::check_request(h, levels)?;
        let widest = levels.iter().copied().fold(None, |acc: Option<f64>, l| {
            Some(acc.map_or(l, |a| a.max(l)))
        });
        let variance_level = widest.unwrap_or(0.95);
        let mut asked = levels.to_vec();
        if self.biasadj && widest.is_none() {
            asked.push(variance_level);
        }
        let f = self.inner.forecast(h, &asked)?;
        let mean = if self.biasadj {
            let z = crate::forecast::normal_quantile(variance_level);
            let interval = f
                .intervals
                .iter()
                .find(|i| i.level == variance_level)
                .ok_or_else(|| Error::InvalidParameter {
                    name: "levels",
                    value: format!("{variance_level}"),
                    reason: "the wrapped forecaster gave no interval at this level".into(),
                })?;
            let fvar: Vec<f64> = interval
                .upper
                .iter()
                .zip(&interval.lower)
                .map(|(u, l)| ((u - l) / z / 2.0).powi(2))
                .collect();
            inv_box_cox_biasadj(&f.mean, self.lambda, &fvar)?
        } else {
            inv_box_cox(&f.mean, self.lambda)?
        };
        let intervals = f
            .intervals
            .iter()
            .take(levels.len())
            .map(|i| {
                Ok(crate::forecast::Interval {
                    level: i.level,
                    lower: inv_box_cox(&i.lower, self.lambda)?,
                    upper: inv_box_cox(&i.upper, self.lambda)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let out = Forecast { mean, intervals };
        check_finite_forecast(&out)?;
        Ok(out)
    }

    /// The wrapped model's fitted values transformed back (bias-adjusted when set).
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// The wrapped model's residuals, on the transformed scale.
    fn residuals(&self) -> &[f64] {
        self.inner.residuals()
    }
}

impl<F: FittedModel> FittedModel for FittedBoxCox<F> {
    /// The wrapped model's report, on the transformed scale (as R's).
    fn report(&self) -> &FitReport {
        self.inner.report()
    }

    fn parameter_names(&self) -> Vec<String> {
        self.inner.parameter_names()
    }

    fn parameter_values(&self) -> Vec<f64> {
        self.inner.parameter_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_finds_a_parabola_minimum() {
        let x = brent_fmin(-1.0, 2.0, 1e-10, |l| (l - 0.3) * (l - 0.3) + 1.0);
        assert!((x - 0.3).abs() < 1e-8, "{x}");
    }

    #[test]
    fn transform_round_trips() {
        for lambda in [-0.7, -0.2, 0.0, 0.4, 1.0, 1.7] {
            let y = [0.5, 1.0, 3.0, 100.0];
            let w = box_cox(&y, lambda).unwrap();
            let back = inv_box_cox(&w, lambda).unwrap();
            for (a, b) in back.iter().zip(&y) {
                assert!((a - b).abs() < 1e-12 * b, "{lambda}: {a} vs {b}");
            }
        }
    }
}
