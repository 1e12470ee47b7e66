//! Intermittent demand: Croston's method and its variants (SBA, TSB), and the temporal
//! aggregation methods ADIDA and IMAPA, exactly as statsforecast defines them.
//!
//! Item-level demand (units of one product per day) is mostly zeros with occasional
//! orders of varying size. These methods forecast the mean demand per period by
//! smoothing the sizes of the non-zero demands and how often they come:
//!
//! | method | statsforecast | point forecast |
//! | --- | --- | --- |
//! | [`Intermittent::croston`] | `CrostonClassic` | `z / p`: SES (α = 0.1) of the non-zero sizes `z` over SES (α = 0.1) of the intervals `p` between them |
//! | [`Intermittent::sba`] | `CrostonSBA` | `0.95 z / p` (Syntetos-Boylan approximation: Croston debiased with α = 0.1) |
//! | [`Intermittent::croston_optimized`] | `CrostonOptimized` | `z / p`, each SES with its own α minimizing the in-sample squared one-step error over `[0.1, 0.3]` (golden-section search) |
//! | [`Intermittent::tsb`] | `TSB(alpha_d, alpha_p)` | `d z`: SES (`alpha_p`) of the demand occurrence `d` (1 where demand is non-zero, 0 elsewhere, every period) times SES (`alpha_d`) of the sizes |
//! | [`Intermittent::adida`] | `ADIDA` | sums over blocks of `k` periods (`k` the mean interval between demands, rounded half to even as Python's `round`; blocks aligned on the last period, an incomplete first block dropped), optimized SES of the block sums, divided by `k` |
//! | [`Intermittent::imapa`] | `IMAPA` | the mean over `k = 1, ..., K` (`K` the rounded mean interval) of ADIDA's forecast at aggregation `k` |
//!
//! Here SES of `x_1, ..., x_n` starts at `x_1` and its forecast is
//! `f_{t+1} = α x_t + (1 - α) f_t`. "Optimized SES" (CrostonOptimized, ADIDA, IMAPA) is
//! statsforecast's golden-section search for α in `[0.1, 0.3]`, to 1e-12, of the sum of
//! squared one-step errors.
//!
//! **Point forecasts only.** Like statsforecast (which gives these models intervals only
//! through conformal prediction), a fitted model answers
//! [`forecast(h, &[])`](Forecaster::forecast) with the same value at every step and no
//! intervals; asking for a level is an [`Error::InvalidParameter`].
//!
//! **In-sample fit.** [`Forecaster::fitted`] holds statsforecast's in-sample one-step
//! forecasts of observations `1..n` (statsforecast has none for the first observation,
//! where it writes NaN): `fitted()[i]` is the forecast of observation `i + 1`, and
//! [`Forecaster::residuals`] the matching actual minus fitted. Croston, SBA and TSB
//! compute them in one pass; CrostonOptimized, ADIDA and IMAPA refit on every prefix
//! (quadratic time), so they compute them only when asked with
//! [`in_sample(true)`](Intermittent::in_sample), for series up to
//! [`MAX_IN_SAMPLE`] periods; otherwise their `fitted()` and `residuals()` are empty.
//!
//! **Input.** Demand is non-negative and finite, with at least two periods and at least
//! one non-zero demand: a series without demand is an [`Error::InsufficientData`] (its
//! forecast would be zero; statsforecast returns zeros or the last value).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::intermittent::Intermittent;
//! let demand = [0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 4.0, 0.0, 0.0, 0.0, 1.0, 0.0];
//! let model = Intermittent::croston().fit(&demand[..])?;
//! let f = model.forecast(3, &[])?;
//! assert_eq!(f.mean.len(), 3);
//! assert!(f.mean[0] > 0.0 && f.mean[0] == f.mean[2]);
//! assert!(f.intervals.is_empty());
//! let sba = Intermittent::sba().fit(&demand[..])?;
//! assert!((sba.point_forecast() - 0.95 * model.point_forecast()).abs() < 1e-12);
//! // Negative demand is an error naming the row.
//! let bad = Intermittent::tsb(0.2, 0.1).fit(&[1.0, -2.0][..]);
//! assert!(matches!(bad, Err(patronage::Error::Negative { field: "demand", row: 1, .. })));
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::forecast::{Forecast, Forecaster, Series, check_horizon};
use crate::model::Fit;

/// The longest series (in periods) for which the quadratic-time in-sample fit of
/// CrostonOptimized, ADIDA and IMAPA ([`Intermittent::in_sample`]) is computed: 5,000.
pub const MAX_IN_SAMPLE: usize = 5_000;

/// Which intermittent-demand method (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Method {
    /// Croston's method with α = 0.1 (statsforecast's `CrostonClassic`).
    Croston,
    /// Syntetos-Boylan approximation: 0.95 times Croston (`CrostonSBA`).
    Sba,
    /// Croston with each α optimized over `[0.1, 0.3]` (`CrostonOptimized`).
    CrostonOptimized,
    /// Teunter-Syntetos-Babai (`TSB(alpha_d, alpha_p)`).
    Tsb {
        /// Smoothing parameter of the demand sizes, in `[0, 1]`.
        alpha_d: f64,
        /// Smoothing parameter of the demand probability, in `[0, 1]`.
        alpha_p: f64,
    },
    /// Aggregate-disaggregate intermittent demand approach (`ADIDA`).
    Adida,
    /// Intermittent multiple aggregation prediction algorithm (`IMAPA`).
    Imapa,
}

impl Method {
    /// Whether the in-sample fit takes quadratic time (a refit per prefix).
    fn quadratic_in_sample(self) -> bool {
        matches!(
            self,
            Method::CrostonOptimized | Method::Adida | Method::Imapa
        )
    }
}

/// The params of an intermittent-demand forecaster: a [`Method`] and whether to compute
/// the in-sample fit. Fit it on a [`&Series`](Series) or a `&[f64]` of demand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intermittent {
    method: Method,
    in_sample: bool,
}

impl Intermittent {
    /// Params of `method`, with the in-sample fit on for the linear-time methods
    /// (Croston, SBA, TSB) and off for the others.
    pub fn params(method: Method) -> Self {
        Self {
            method,
            in_sample: !method.quadratic_in_sample(),
        }
    }

    /// Croston's method (statsforecast's `CrostonClassic`).
    pub fn croston() -> Self {
        Self::params(Method::Croston)
    }

    /// The Syntetos-Boylan approximation (`CrostonSBA`).
    pub fn sba() -> Self {
        Self::params(Method::Sba)
    }

    /// Croston with optimized smoothing parameters (`CrostonOptimized`).
    pub fn croston_optimized() -> Self {
        Self::params(Method::CrostonOptimized)
    }

    /// Teunter-Syntetos-Babai with smoothing parameters `alpha_d` (sizes) and `alpha_p`
    /// (probability), each in `[0, 1]` (checked at fit).
    pub fn tsb(alpha_d: f64, alpha_p: f64) -> Self {
        Self::params(Method::Tsb { alpha_d, alpha_p })
    }

    /// ADIDA (`ADIDA`).
    pub fn adida() -> Self {
        Self::params(Method::Adida)
    }

    /// IMAPA (`IMAPA`).
    pub fn imapa() -> Self {
        Self::params(Method::Imapa)
    }

    /// Whether to compute the in-sample one-step forecasts ([`Forecaster::fitted`]).
    /// Costs one pass for Croston, SBA and TSB, a refit per prefix (quadratic time,
    /// series up to [`MAX_IN_SAMPLE`] periods) for the others.
    #[must_use]
    pub fn in_sample(mut self, in_sample: bool) -> Self {
        self.in_sample = in_sample;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    fn fit_values(&self, y: &[f64]) -> Result<FittedIntermittent> {
        if let Method::Tsb { alpha_d, alpha_p } = self.method {
            check_alpha("alpha_d", alpha_d)?;
            check_alpha("alpha_p", alpha_p)?;
        }
        check_demand(y)?;
        if self.in_sample && self.method.quadratic_in_sample() && y.len() > MAX_IN_SAMPLE {
            return Err(Error::LimitExceeded {
                what: "series length for an in-sample fit of CrostonOptimized, ADIDA or IMAPA",
                size: y.len() as u64,
                limit: MAX_IN_SAMPLE as u64,
                hint: "fit with .in_sample(false) for the point forecast alone",
            });
        }
        let point = match self.method {
            Method::Croston => croston(y, 0.1, 0.1),
            Method::Sba => 0.95 * croston(y, 0.1, 0.1),
            Method::CrostonOptimized => croston_optimized(y),
            Method::Tsb { alpha_d, alpha_p } => tsb(y, alpha_d, alpha_p),
            Method::Adida => adida(y),
            Method::Imapa => imapa(y),
        };
        let fitted = if self.in_sample {
            match self.method {
                Method::Croston => croston_fitted(y, Some((0.1, 0.1))),
                Method::Sba => croston_fitted(y, Some((0.1, 0.1)))
                    .into_iter()
                    .map(|v| 0.95 * v)
                    .collect(),
                Method::CrostonOptimized => croston_fitted(y, None),
                Method::Tsb { alpha_d, alpha_p } => tsb_fitted(y, alpha_d, alpha_p),
                Method::Adida => adida_fitted(y),
                Method::Imapa => imapa_fitted(y),
            }
        } else {
            Vec::new()
        };
        let residuals = fitted.iter().zip(&y[1..]).map(|(f, v)| v - f).collect();
        let model = FittedIntermittent {
            method: self.method,
            n_obs: y.len(),
            point,
            fitted,
            residuals,
        };
        model.check()?;
        Ok(model)
    }
}

impl Fit<&Series> for Intermittent {
    type Fitted = FittedIntermittent;

    /// Fits the method to the series' values (its season length is ignored).
    ///
    /// # Errors
    /// As the `&[f64]` implementation.
    fn fit(&self, series: &Series) -> Result<FittedIntermittent> {
        self.fit_values(series.values())
    }
}

impl Fit<&[f64]> for Intermittent {
    type Fitted = FittedIntermittent;

    /// Fits the method to demand per period.
    ///
    /// # Errors
    /// - [`Error::NonFinite`] / [`Error::Negative`] naming field `demand` and the first
    ///   bad row;
    /// - [`Error::InsufficientData`] for fewer than two periods or no non-zero demand;
    /// - [`Error::InvalidParameter`] for a TSB smoothing parameter outside `[0, 1]`;
    /// - [`Error::LimitExceeded`] for an in-sample fit of CrostonOptimized, ADIDA or
    ///   IMAPA on more than [`MAX_IN_SAMPLE`] periods.
    fn fit(&self, demand: &[f64]) -> Result<FittedIntermittent> {
        self.fit_values(demand)
    }
}

fn check_alpha(name: &'static str, alpha: f64) -> Result<()> {
    if (0.0..=1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(crate::forecast::invalid(
            name,
            alpha,
            "a smoothing parameter is in [0, 1]",
        ))
    }
}

fn check_demand(y: &[f64]) -> Result<()> {
    for (row, &v) in y.iter().enumerate() {
        crate::validate::non_negative("demand", row, v)?;
    }
    if y.len() < 2 {
        return Err(Error::InsufficientData {
            model: "intermittent demand",
            reason: format!("{} period(s) of demand; at least 2 are needed", y.len()),
        });
    }
    if y.iter().all(|&v| v == 0.0) {
        return Err(Error::InsufficientData {
            model: "intermittent demand",
            reason: "every period has zero demand: there is nothing to smooth (the forecast \
                     of a series without demand is zero)"
                .into(),
        });
    }
    Ok(())
}

/// A fitted intermittent-demand forecaster: the constant point forecast and, when
/// computed, the in-sample one-step forecasts (see the [module docs](self)).
///
/// With serde, a model is checked as it is read: a finite, non-negative point forecast,
/// TSB parameters in `[0, 1]`, finite non-negative fitted values, at most `n_obs - 1` of
/// them and as many residuals, finite.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawIntermittent")
)]
pub struct FittedIntermittent {
    method: Method,
    n_obs: usize,
    point: f64,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// [`FittedIntermittent`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawIntermittent {
    method: Method,
    n_obs: usize,
    point: f64,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawIntermittent> for FittedIntermittent {
    type Error = Error;

    fn try_from(raw: RawIntermittent) -> Result<Self> {
        let model = FittedIntermittent {
            method: raw.method,
            n_obs: raw.n_obs,
            point: raw.point,
            fitted: raw.fitted,
            residuals: raw.residuals,
        };
        model.check()?;
        Ok(model)
    }
}

impl FittedIntermittent {
    fn check(&self) -> Result<()> {
        use crate::validate::{all_finite, non_negative, same_len};
        if let Method::Tsb { alpha_d, alpha_p } = self.method {
            check_alpha("alpha_d", alpha_d)?;
            check_alpha("alpha_p", alpha_p)?;
        }
        if self.n_obs < 2 {
            return Err(crate::forecast::invalid(
                "n_obs",
                self.n_obs,
                "an intermittent-demand model is fitted on at least 2 periods",
            ));
        }
        non_negative("point", 0, self.point)?;
        for (row, &v) in self.fitted.iter().enumerate() {
            non_negative("fitted", row, v)?;
        }
        if !self.fitted.is_empty() {
            same_len("fitted", self.n_obs - 1, self.fitted.len())?;
        }
        same_len("residuals", self.fitted.len(), self.residuals.len())?;
        all_finite("residuals", &self.residuals)
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The point forecast, the same at every horizon.
    pub fn point_forecast(&self) -> f64 {
        self.point
    }

    /// The number of periods the model was fitted on.
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }
}

impl Forecaster for FittedIntermittent {
    /// The point forecast repeated `h` times, without intervals.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h` outside `1..=`[`MAX_HORIZON`](crate::forecast::MAX_HORIZON),
    /// or any level (these methods give point forecasts only: pass `&[]`).
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_horizon("h", h)?;
        if let Some(level) = levels.first() {
            return Err(crate::forecast::invalid(
                "levels",
                level,
                "intermittent-demand methods give point forecasts only (as statsforecast \
                 without conformal intervals): pass &[]",
            ));
        }
        Ok(Forecast {
            mean: vec![self.point; h],
            intervals: Vec::new(),
        })
    }

    /// The one-step forecasts of observations `1..n` (`fitted()[i]` forecasts
    /// observation `i + 1`), or empty when not computed.
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// Observation `i + 1` minus `fitted()[i]`, or empty when not computed.
    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

// ---------------------------------------------------------------------------------
// The methods, following statsforecast's definitions (models.py and src/ses.cpp).

/// SES streaming over values: the forecast after the values pushed so far.
struct Ses {
    alpha: f64,
    count: usize,
    first: f64,
    /// The one-step forecast of the last value pushed.
    fitted: f64,
    last: f64,
}

impl Ses {
    fn new(alpha: f64) -> Self {
        Self {
            alpha,
            count: 0,
            first: 0.0,
            fitted: 0.0,
            last: 0.0,
        }
    }

    fn push(&mut self, x: f64) {
        if self.count == 0 {
            self.first = x;
            self.fitted = x;
        } else {
            self.fitted = self.alpha * self.last + (1.0 - self.alpha) * self.fitted;
        }
        self.last = x;
        self.count += 1;
    }

    /// statsforecast's `ses_forecast(x, alpha)[0]` over the values pushed.
    fn forecast(&self) -> f64 {
        if self.count == 1 {
            self.first
        } else {
            self.alpha * self.last + (1.0 - self.alpha) * self.fitted
        }
    }
}

/// statsforecast's `ses_forecast`: the forecast and the fitted values (the first one,
/// NaN in statsforecast, is never read; it holds `x[0]` here).
fn ses_forecast(x: &[f64], alpha: f64) -> (f64, Vec<f64>) {
    let mut fitted = Vec::with_capacity(x.len());
    let mut ses = Ses::new(alpha);
    for &v in x {
        ses.push(v);
        fitted.push(ses.fitted);
    }
    (ses.forecast(), fitted)
}

/// statsforecast's `ses_sse`.
fn ses_sse(alpha: f64, x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let complement = 1.0 - alpha;
    let mut forecast = x[0];
    let mut sse = 0.0;
    for i in 1..x.len() {
        forecast = alpha * x[i - 1] + complement * forecast;
        let err = x[i] - forecast;
        sse += err * err;
    }
    sse
}

/// statsforecast's `golden_section_ses` over `[0.1, 0.3]`.
fn golden_section_ses(x: &[f64]) -> f64 {
    let gr = (5.0f64.sqrt() + 1.0) / 2.0;
    let (mut a, mut b) = (0.1, 0.3);
    let mut c = b - (b - a) / gr;
    let mut d = a + (b - a) / gr;
    let mut fc = ses_sse(c, x);
    let mut fd = ses_sse(d, x);
    // The bracket shrinks by 1/gr per step: about 57 steps to 1e-12.
    while (b - a).abs() >= 1e-12 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - (b - a) / gr;
            fc = ses_sse(c, x);
        } else if fd < fc {
            a = c;
            c = d;
            fc = fd;
            d = a + (b - a) / gr;
            fd = ses_sse(d, x);
        } else {
            break;
        }
    }
    (b + a) / 2.0
}

/// statsforecast's `_optimized_ses_forecast(x)[0]`.
fn optimized_ses_forecast(x: &[f64]) -> f64 {
    let alpha = golden_section_ses(x);
    let mut ses = Ses::new(alpha);
    x.iter().for_each(|&v| ses.push(v));
    ses.forecast()
}

/// The non-zero demand sizes and the intervals between them (the first interval counts
/// from the start: index + 1).
fn sizes_and_intervals(y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut sizes = Vec::new();
    let mut intervals = Vec::new();
    let mut prev = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            sizes.push(v);
            intervals.push((i + 1 - prev) as f64);
            prev = i + 1;
        }
    }
    (sizes, intervals)
}

/// Croston's `z / p` with fixed smoothing parameters, in one pass without allocation.
fn croston(y: &[f64], alpha_z: f64, alpha_p: f64) -> f64 {
    let mut z = Ses::new(alpha_z);
    let mut p = Ses::new(alpha_p);
    let mut prev = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            z.push(v);
            p.push((i + 1 - prev) as f64);
            prev = i + 1;
        }
    }
    ratio(z.forecast(), p.forecast())
}

/// `z / p`, or `z` when `p` is 0 (statsforecast's guard; intervals are at least 1).
fn ratio(z: f64, p: f64) -> f64 {
    if p != 0.0 { z / p } else { z }
}

fn croston_optimized(y: &[f64]) -> f64 {
    let (sizes, intervals) = sizes_and_intervals(y);
    ratio(
        optimized_ses_forecast(&sizes),
        optimized_ses_forecast(&intervals),
    )
}

/// statsforecast's `expand_fitted_demand(fitted, y)` from index 1 on: `f[k]` is the
/// forecast after `k` demands (`f[0]` unused).
fn expand_demand(f: &[f64], y: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(y.len().saturating_sub(1));
    let mut idx = 0usize;
    let mut current = 0.0;
    for i in 1..y.len() {
        if y[i - 1] > 0.0 {
            idx += 1;
            current = f[idx];
        } else if idx == 0 {
            current = y[i - 1];
        }
        out.push(current);
    }
    out
}

/// statsforecast's `expand_fitted_intervals(fitted, y)` from index 1 on.
fn expand_intervals(f: &[f64], y: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(y.len().saturating_sub(1));
    let mut idx = 0usize;
    let mut current = 1.0;
    for i in 1..y.len() {
        if y[i - 1] != 0.0 {
            idx += 1;
            current = if f[idx] == 0.0 { 1.0 } else { f[idx] };
        }
        out.push(current);
    }
    out
}

/// Croston's in-sample fit: fixed `(alpha_z, alpha_p)`, or `None` for
/// CrostonOptimized's refit per prefix.
fn croston_fitted(y: &[f64], alphas: Option<(f64, f64)>) -> Vec<f64> {
    let (sizes, intervals) = sizes_and_intervals(y);
    let (zf, pf) = match alphas {
        Some((az, ap)) => {
            let (zp, mut zf) = ses_forecast(&sizes, az);
            zf.push(zp);
            let (pp, mut pf) = ses_forecast(&intervals, ap);
            pf.push(pp);
            (zf, pf)
        }
        None => {
            let prefix_forecasts = |x: &[f64], zero_to_one: bool| -> Vec<f64> {
                let mut f = Vec::with_capacity(x.len() + 1);
                f.push(f64::NAN); // never read: index 0 is before any demand
                for i in 0..x.len() {
                    let v = optimized_ses_forecast(&x[..=i]);
                    f.push(if zero_to_one && v == 0.0 { 1.0 } else { v });
                }
                f
            };
            (
                prefix_forecasts(&sizes, false),
                prefix_forecasts(&intervals, true),
            )
        }
    };
    expand_demand(&zf, y)
        .iter()
        .zip(expand_intervals(&pf, y))
        .map(|(z, p)| z / p)
        .collect()
}

fn tsb(y: &[f64], alpha_d: f64, alpha_p: f64) -> f64 {
    let mut z = Ses::new(alpha_d);
    let mut d = Ses::new(alpha_p);
    for &v in y {
        d.push(if v != 0.0 { 1.0 } else { 0.0 });
        if v > 0.0 {
            z.push(v);
        }
    }
    d.forecast() * z.forecast()
}

fn tsb_fitted(y: &[f64], alpha_d: f64, alpha_p: f64) -> Vec<f64> {
    let occurrence: Vec<f64> = y
        .iter()
        .map(|&v| if v != 0.0 { 1.0 } else { 0.0 })
        .collect();
    let (_, df) = ses_forecast(&occurrence, alpha_p);
    let sizes: Vec<f64> = y.iter().copied().filter(|&v| v > 0.0).collect();
    let (zp, mut zf) = ses_forecast(&sizes, alpha_d);
    zf.push(zp);
    expand_demand(&zf, y)
        .iter()
        .zip(&df[1..])
        .map(|(z, d)| d * z)
        .collect()
}

/// Python's `round` (half to even) of a positive mean interval, at least 1.
fn round_half_even(x: f64) -> usize {
    let r = x.round();
    let r = if (x - x.trunc() - 0.5).abs() == 0.0 && r % 2.0 != 0.0 {
        r - 1.0
    } else {
        r
    };
    (r as usize).max(1)
}

/// The mean interval between demands (up to the last one).
fn mean_interval(y: &[f64]) -> Option<f64> {
    let mut count = 0usize;
    let mut last = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if v != 0.0 {
            count += 1;
            last = i + 1;
        }
    }
    (count > 0).then(|| last as f64 / count as f64)
}

/// statsforecast's `chunk_forecast(y, k)`: optimized SES of the sums over blocks of
/// `k` aligned on the end of `y` (an incomplete first block dropped).
fn chunk_forecast(y: &[f64], k: usize) -> f64 {
    let n = y.len();
    let lost = n % k;
    let n_cut = n - lost;
    if n_cut < k {
        return y[n - 1];
    }
    let sums: Vec<f64> = y[lost..].chunks_exact(k).map(|c| c.iter().sum()).collect();
    if sums.len() <= 1 {
        return sums[0];
    }
    optimized_ses_forecast(&sums)
}

fn adida(y: &[f64]) -> f64 {
    // check_demand guarantees a demand: the mean interval exists.
    let k = mean_interval(y).map_or(1, round_half_even);
    chunk_forecast(y, k) / k as f64
}

fn adida_fitted(y: &[f64]) -> Vec<f64> {
    // Aggregation level per demand seen so far: the running mean interval, rounded half
    // to even (numpy's round), expanded over the periods as expand_fitted_intervals.
    let (_, intervals) = sizes_and_intervals(y);
    let mut levels = Vec::with_capacity(intervals.len() + 1);
    levels.push(f64::NAN); // never read
    let mut sum = 0.0;
    for (i, p) in intervals.iter().enumerate() {
        sum += p;
        levels.push(round_half_even(sum / (i + 1) as f64) as f64);
    }
    let levels = expand_intervals(&levels, y);
    levels
        .iter()
        .enumerate()
        .map(|(i, &k)| {
            let k = k as usize;
            chunk_forecast(&y[..=i], k) / k as f64
        })
        .collect()
}

fn imapa(y: &[f64]) -> f64 {
    let max_k = mean_interval(y).map_or(1, round_half_even);
    let n = y.len();
    let forecasts: Vec<f64> = (1..=max_k)
        .map(|k| {
            let sums: Vec<f64> = y[n % k..].chunks_exact(k).map(|c| c.iter().sum()).collect();
            optimized_ses_forecast(&sums) / k as f64
        })
        .collect();
    forecasts.iter().sum::<f64>() / forecasts.len() as f64
}

/// statsforecast's `imapa_fitted_vals` (C++: `std::round`, half away from zero).
fn imapa_fitted(y: &[f64]) -> Vec<f64> {
    (1..y.len())
        .map(|i| {
            let prefix = &y[..i];
            let Some(mean) = mean_interval(prefix) else {
                return 0.0;
            };
            let max_k = (mean.round() as usize).max(1).min(i);
            let sum: f64 = (1..=max_k)
                .map(|k| chunk_forecast(prefix, k) / k as f64)
                .sum();
            sum / max_k as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_python() {
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(2.4999), 2);
        assert_eq!(round_half_even(2.6), 3);
        assert_eq!(round_half_even(0.5), 1);
    }

    #[test]
    fn golden_section_finds_interior_minimum() {
        // SSE of SES is smooth in alpha; brute force over a fine grid agrees.
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0];
        let a = golden_section_ses(&x);
        let best = (0..=2000)
            .map(|i| 0.1 + 0.2 * i as f64 / 2000.0)
            .min_by(|p, q| ses_sse(*p, &x).total_cmp(&ses_sse(*q, &x)))
            .unwrap();
        assert!((a - best).abs() < 2e-4, "{a} vs {best}");
    }
}
