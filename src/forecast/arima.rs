//! Seasonal ARIMA models: exact Gaussian maximum likelihood through a Kalman filter, and
//! automatic order selection ([`Arima::auto`]) by the Hyndman-Khandakar stepwise search.
//!
//! # The model
//!
//! ARIMA(p,d,q)(P,D,Q)\[m\] for a series `y_t`:
//!
//! ```text
//! φ(B) Φ(B^m) (1 - B)^d (1 - B^m)^D (y_t - c_t) = θ(B) Θ(B^m) e_t,   e_t ~ N(0, σ²)
//! φ(B) = 1 - φ_1 B - … - φ_p B^p          θ(B) = 1 + θ_1 B + … + θ_q B^q
//! ```
//!
//! with `Φ`, `Θ` the seasonal polynomials in `B^m` and `c_t` an optional constant: a mean
//! `μ` when `d + D = 0`, a drift `β t` (t = 1, …, n) when `d + D = 1`, as R's
//! `include.mean` / `include.drift`. The sign conventions and coefficient names (`ar1`,
//! `ma1`, `sar1`, `sma1`, `intercept`, `drift`) are R's.
//!
//! # Estimation (as R's `stats::arima`)
//!
//! The series is differenced first; the likelihood is the exact Gaussian likelihood of
//! the `n - d - mD` differences under the stationary ARMA model, from a Kalman filter whose
//! initial state covariance is the exact stationary one (Gardner et al. 1980). R runs the
//! filter on the undifferenced series with a diffuse prior (variance 10⁶) on the
//! nonstationary part and drops the first `d + mD` innovations, which gives the same
//! likelihood up to that approximation. The filter is run in its Chandrasekhar form
//! (Morf, Sidhu & Kailath 1974; Mélard 1984): with a stationary start, the state
//! covariance changes by a rank-one matrix each step, so a likelihood costs `O(n r)` for a
//! state of dimension `r = max(p + mP, q + mQ + 1)` and allocates nothing.
//!
//! - [`Method::CssMl`] (the default, as R): minimize the conditional sum of squares
//!   first, then maximize the exact likelihood from there. Stops with an error when the
//!   CSS estimate has a nonstationary AR part (R does the same).
//! - [`Method::Ml`]: exact maximum likelihood from zero coefficients.
//! - [`Method::Css`]: conditional sum of squares only (conditioning on the first
//!   `p + mP` differences).
//!
//! The AR parts are optimized through R's `transform.pars` map (partial
//! autocorrelations through `tanh`), so every iterate is stationary; after the
//! optimization a non-invertible MA part is reflected to its invertible twin (same
//! likelihood), as R does. σ² is the innovations' mean square, `/(n - d - mD)`.
//! Standard errors are the square roots of the diagonal of the inverse observed
//! information (numerical Hessian of the log-likelihood).
//! Information criteria count σ² as a parameter and use `n - d - mD` observations
//! (the [`FitReport`]'s `n_obs`).
//!
//! The log-likelihood is the exact one of the differences; it agrees with statsmodels'
//! exact diffuse likelihood (244.6965 for the airline model on log AirPassengers, where R
//! prints 244.6995 through its approximate diffuse start).
//!
//! Residuals are the standardized innovations `v_t / sqrt(F_t)`, as R's. For the first
//! `d + mD` observations, which the differencing consumes, they are R's values: those of
//! R's filter on the undifferenced series with its diffuse prior (variance 10⁶ on the
//! pre-sample values), small but not zero, so that training accuracy measures match R's
//! `accuracy()`. With [`Method::Css`] they are the conditional residuals, 0 for the first
//! `d + mD + p + mP`. Fitted values are the series minus the residuals.
//!
//! Forecasts run the state-space model of the whole integrated process forward from the
//! filtered state (R's `KalmanForecast`): the variance at horizon `h` is `s² (Z P_h Z')`,
//! which tends to `s² Σ_{j<h} ψ_j²` (the ψ weights of the full integrated model) once
//! the filter has forgotten its start. As R's `forecast` package, `s²` is the
//! [residual variance](FittedArima::residual_variance) (residual sum of squares over
//! `n - d - mD - k`), not the ML σ².
//!
//! # Automatic selection
//!
//! [`Arima::auto`] follows R's `forecast::auto.arima` (Hyndman & Khandakar 2008): `D` from
//! the seasonal strength of an [STL](crate::forecast::decompose) decomposition (R's
//! `nsdiffs`: a seasonal difference when it exceeds 0.64), `d` from repeated KPSS tests
//! at 5%, then a stepwise
//! search over (p, q, P, Q, constant) minimizing AICc from R's starting models through
//! R's neighbour moves, rejecting models with an AR or MA root within 1.01 of the unit
//! circle. See [`AutoArima`].
//!
//! ```
//! use patronage::forecast::{arima::Arima, Series};
//! // A noisy seasonal series with a trend.
//! let y: Vec<f64> = (0..72)
//!     .map(|t| 50.0 + 0.5 * t as f64 + 8.0 * (t as f64 * std::f64::consts::PI / 6.0).sin()
//!         + ((t * 7919) % 13) as f64 * 0.3)
//!     .collect();
//! use patronage::prelude::*;
//! let series = Series::new(&y, 12)?;
//! let model = Arima::params(0, 1, 1).seasonal(0, 1, 1).fit(&series)?;
//! assert_eq!(model.order().to_string(), "ARIMA(0,1,1)(0,1,1)[12]");
//! let f = model.forecast(12, &[0.95])?;
//! assert!(f.intervals[0].upper[11] - f.intervals[0].lower[11]
//!     > f.intervals[0].upper[0] - f.intervals[0].lower[0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use std::fmt;

use crate::error::{Error, Result};
use crate::forecast::decompose::{SeasonalWindow, Stl};
use crate::forecast::{
    Forecast, Forecaster, Series, check_finite_forecast, check_request, normal_intervals,
};
use crate::math::optim::{OptimOptions, bfgs, cholesky_inverse, numerical_hessian};
use crate::model::{Fit, FitReport, FittedModel};

const MODEL: &str = "ARIMA";
/// Largest AR or MA order (each of p, q, P, Q) accepted.
pub const MAX_ORDER: usize = 50;
/// Most models the exhaustive search of [`Arima::auto`] (with
/// [`stepwise(false)`](AutoArima::stepwise)) fits: 500. The candidates are counted before
/// any is fitted (orders capped as the search caps them, twice when a constant is
/// allowed), and a search over more is [`Error::LimitExceeded`]; R's defaults
/// (`max.p = max.q = 5`, `max.P = max.Q = 2`, `max.order = 5`) give 192.
pub const MAX_CANDIDATES: usize = 500;
/// Largest lag a model reaches: `p + m P`, `q + m Q` and `d + m D` are each at most
/// this, which bounds the state space (and so memory and time) whatever the period;
/// 400 covers a yearly season of daily data with one seasonal term.
pub const MAX_LAG: usize = 400;

/// How the coefficients are estimated (R's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Method {
    /// Conditional sum of squares for starting values, then exact maximum likelihood
    /// (R's default `"CSS-ML"`).
    #[default]
    CssMl,
    /// Exact maximum likelihood from zero coefficients (`"ML"`).
    Ml,
    /// Conditional sum of squares only (`"CSS"`).
    Css,
}

/// The orders of a seasonal ARIMA(p,d,q)(P,D,Q)\[m\] model.
///
/// Displays as R prints it: `ARIMA(2,1,1)(0,1,0)[12]`, the seasonal part only when
/// `m > 1` and a seasonal order is non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Order {
    /// Non-seasonal AR order p.
    pub p: usize,
    /// Non-seasonal differences d.
    pub d: usize,
    /// Non-seasonal MA order q.
    pub q: usize,
    /// Seasonal AR order P.
    pub seasonal_p: usize,
    /// Seasonal differences D.
    pub seasonal_d: usize,
    /// Seasonal MA order Q.
    pub seasonal_q: usize,
    /// Seasonal period m.
    pub period: usize,
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ARIMA({},{},{})", self.p, self.d, self.q)?;
        if self.period > 1 && self.seasonal_p + self.seasonal_d + self.seasonal_q > 0 {
            write!(
                f,
                "({},{},{})[{}]",
                self.seasonal_p, self.seasonal_d, self.seasonal_q, self.period
            )?;
        }
        Ok(())
    }
}

/// Builder for a seasonal ARIMA model with given orders (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Arima {
    p: usize,
    d: usize,
    q: usize,
    sp: usize,
    sd: usize,
    sq: usize,
    period: Option<usize>,
    constant: bool,
    method: Method,
    fixed: Option<Vec<f64>>,
}

impl Arima {
    /// A non-seasonal ARIMA(p, d, q) without constant, fitted by CSS then ML.
    ///
    /// ```
    /// use patronage::forecast::arima::{Arima, Method};
    /// let spec = Arima::params(1, 1, 1).seasonal(0, 1, 1).method(Method::Ml);
    /// # let _ = spec;
    /// ```
    pub fn params(p: usize, d: usize, q: usize) -> Arima {
        Arima {
            p,
            d,
            q,
            sp: 0,
            sd: 0,
            sq: 0,
            period: None,
            constant: false,
            method: Method::CssMl,
            fixed: None,
        }
    }

    /// The seasonal orders (P, D, Q); the period is the series' season length unless
    /// [`period`](Self::period) overrides it.
    pub fn seasonal(mut self, p: usize, d: usize, q: usize) -> Self {
        self.sp = p;
        self.sd = d;
        self.sq = q;
        self
    }

    /// Overrides the seasonal period m (otherwise the series' season length).
    pub fn period(mut self, m: usize) -> Self {
        self.period = Some(m);
        self
    }

    /// Includes a constant: the mean when `d + D = 0`, a drift when `d + D = 1` (R's
    /// `include.mean` / `include.drift`). Not allowed when `d + D >= 2`.
    pub fn constant(mut self, constant: bool) -> Self {
        self.constant = constant;
        self
    }

    /// The estimation method (default [`Method::CssMl`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// The automatic model search (see [`AutoArima`]).
    pub fn auto() -> AutoArima {
        AutoArima::default()
    }

    /// Evaluates the model at given coefficients instead of estimating them (R's
    /// `Arima(y, model = fit)`, `arima(y, fixed = coef)` with every coefficient
    /// fixed): [`fit`](Fit::fit) runs the Kalman filter once, with the log-likelihood,
    /// residuals and forecasts of the model at these coefficients. `coefficients` are in
    /// R's order ([`FittedArima::names`]): `ar`, `ma`, `sar`, `sma`, then the constant
    /// when the model has one. The AR parts must be stationary; the MA parts are used
    /// as given. The criteria count the same parameters as an estimated model (so that
    /// they compare with its fit); there are no standard errors, and the report has 0
    /// iterations and `converged = false` (nothing was optimized).
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::forecast::{arima::Arima, Series};
    /// let y: Vec<f64> = (0..60).map(|t| 10.0 + ((t * 7919) % 13) as f64 * 0.3).collect();
    /// let series = Series::new(&y, 1)?;
    /// let fit = Arima::params(1, 0, 0).constant(true).fit(&series)?;
    /// let again = Arima::params(1, 0, 0).constant(true).fixed(fit.coefficients()).fit(&series)?;
    /// assert!((again.report().log_likelihood - fit.report().log_likelihood).abs() < 1e-9);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn fixed(mut self, coefficients: &[f64]) -> Self {
        self.fixed = Some(coefficients.to_vec());
        self
    }

    fn fit_unscaled(&self, series: &Series) -> Result<FittedArima> {
        let spec = self.spec(series)?;
        let fit = fit_spec(series.values(), &spec)?;
        if !fit.converged {
            return Err(Error::NotConverged {
                model: MODEL,
                iterations: fit.iterations,
                reason: fit.message.to_string(),
                last_iterate: fit.model.coef.clone(),
            });
        }
        Ok(fit.model)
    }

    fn spec(&self, series: &Series) -> Result<Spec> {
        let m = self.period.unwrap_or(series.season_length());
        for (name, v) in [
            ("p", self.p),
            ("q", self.q),
            ("seasonal p", self.sp),
            ("seasonal q", self.sq),
        ] {
            if v > MAX_ORDER {
                return Err(Error::InvalidParameter {
                    name: "order",
                    value: format!("{name} = {v}"),
                    reason: format!("AR and MA orders are at most {MAX_ORDER}"),
                });
            }
        }
        if self.d > 3 {
            return Err(Error::InvalidParameter {
                name: "d",
                value: self.d.to_string(),
                reason: "at most 3 differences (2 is already unusual)".into(),
            });
        }
        if self.sd > 2 {
            return Err(Error::InvalidParameter {
                name: "seasonal d",
                value: self.sd.to_string(),
                reason: "at most 2 seasonal differences (1 is usual)".into(),
            });
        }
        if m == 0 {
            return Err(Error::InvalidParameter {
                name: "period",
                value: "0".into(),
                reason: "the seasonal period is at least 1".into(),
            });
        }
        let seasonal = self.sp + self.sd + self.sq > 0;
        if seasonal && m < 2 {
            return Err(Error::InvalidParameter {
                name: "period",
                value: m.to_string(),
                reason: "seasonal orders need a period of at least 2: set the series' season length or call .period(m)".into(),
            });
        }
        for (orders, order, seasonal_order) in [
            ("p + m P", self.p, self.sp),
            ("q + m Q", self.q, self.sq),
            ("d + m D", self.d, self.sd),
        ] {
            let lag = seasonal_order
                .checked_mul(m)
                .and_then(|l| l.checked_add(order));
            if lag.is_none_or(|l| l > MAX_LAG) {
                return Err(Error::InvalidParameter {
                    name: "period",
                    value: m.to_string(),
                    reason: format!(
                        "{orders} reaches past the longest lag, MAX_LAG = {MAX_LAG}: use a \
                         shorter period or fewer seasonal terms"
                    ),
                });
            }
        }
        if self.constant && self.d + self.sd >= 2 {
            return Err(Error::InvalidParameter {
                name: "constant",
                value: "true".into(),
                reason: format!(
                    "a constant is allowed only when d + D <= 1 (here {}): with two differences it would be a quadratic trend",
                    self.d + self.sd
                ),
            });
        }
        Ok(Spec {
            p: self.p,
            d: self.d,
            q: self.q,
            sp: self.sp,
            sd: self.sd,
            sq: self.sq,
            m: if seasonal { m } else { m.max(1) },
            constant: self.constant,
            fixed_constant: None,
            method: self.method,
        })
    }
}

impl Fit<&Series> for Arima {
    type Fitted = FittedArima;

    /// Fits the model to `series` (or evaluates it at the coefficients given to
    /// [`fixed`](Arima::fixed)).
    ///
    /// # Errors
    /// - [`Error::InvalidParameter`]: an order above [`MAX_ORDER`], d > 3 or D > 2,
    ///   seasonal orders with a period below 2, a lag `p + mP`, `q + mQ` or `d + mD`
    ///   beyond [`MAX_LAG`], a constant with `d + D >= 2`.
    /// - [`Error::InsufficientData`]: fewer than `k + 2` differenced observations for `k`
    ///   coefficients (or not more than `p + mP` for the CSS step); a differenced series
    ///   that is exactly constant while AR or MA terms are requested; a CSS start with a
    ///   nonstationary AR part ([`Method::CssMl`], as R; try [`Method::Ml`]).
    /// - With fixed coefficients: [`Error::LengthMismatch`] (field `coefficients`) for
    ///   a count other than the model's, [`Error::NonFinite`] for a coefficient that is
    ///   not finite, [`Error::InvalidParameter`] (name `coefficients`) for a
    ///   non-stationary AR or seasonal AR part.
    /// - [`Error::NotConverged`]: the optimizer stopped before converging; `last_iterate`
    ///   holds the coefficients in R's order (ar, ma, sar, sma, constant).
    /// - [`Error::InvalidValue`] naming the series' largest value (field `series`) when
    ///   the fitted model is beyond the range of f64 (σ² of a series of values near
    ///   1e155 and above overflows). Series of very large or very small values are
    ///   fitted scaled by a power of two and the model scaled back, so they otherwise
    ///   fit as the same series in ordinary units would.
    fn fit(&self, series: &Series) -> Result<FittedArima> {
        match &self.fixed {
            Some(coefs) => rescaled(series, self.constant, |s, c| {
                let spec = self.spec(s)?;
                let mut coefs = coefs.clone();
                if spec.has_constant()
                    && let Some(last) = coefs.last_mut()
                {
                    *last *= c;
                }
                evaluate_fixed(s.values(), &spec, &coefs)
            }),
            None => rescaled(series, self.constant, |s, _| self.fit_unscaled(s)),
        }
    }
}

/// A fitted seasonal ARIMA model (see the [module docs](self)).
///
/// Its [`FitReport`] ([`FittedModel::report`]) counts σ² as a parameter
/// (`n_params` = estimated coefficients + 1) over `n_obs = n - d - mD` observations.
/// [`FittedModel::parameters`] lists the estimated coefficients (every coefficient but
/// a constant held fixed) in R's order, then `sigma2` ([`sigma2`](Self::sigma2)); the
/// standard errors are the coefficients' (see [`std_errors`](Self::std_errors)) and σ²'s
/// asymptotic one, `σ² sqrt(2 / n_obs)`, and are `None` where the observed information
/// is not positive definite or the model was evaluated at fixed coefficients.
///
/// With serde, a model is checked as it is read: orders within the fitting limits,
/// coefficient, standard-error and covariance lengths matching the orders, state,
/// state covariance and differencing tail of the dimensions the orders imply, finite
/// coefficients and states, non-negative variances, a symmetric state covariance with
/// a non-negative diagonal. A file that breaks one of these is
/// an [`Error`] (naming the field) at load time, not a panic in
/// [`forecast`](Self::forecast) (which also refuses, with a typed error, a forecast
/// that a valid but extreme file takes beyond the range of f64). NaN standard errors (a
/// singular Hessian) and an infinite AICc (a short series) are written as strings and
/// read back exactly.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawArima")
)]
pub struct FittedArima {
    order: Order,
    method: Method,
    names: Vec<String>,
    coef: Vec<f64>,
    #[cfg_attr(
        feature = "serde",
        serde(serialize_with = "crate::serde_float::vec::serialize")
    )]
    std_errors: Vec<f64>,
    #[cfg_attr(
        feature = "serde",
        serde(serialize_with = "crate::serde_float::vec::serialize")
    )]
    covariance: Vec<f64>,
    sigma2: f64,
    residual_variance: f64,
    report: FitReport,
    n_used: usize,
    residuals: Vec<f64>,
    fitted: Vec<f64>,
    // What forecasting needs.
    phi: Vec<f64>,
    theta: Vec<f64>,
    delta: Vec<f64>,
    state: Vec<f64>,
    state_cov: Vec<f64>,
    tail: Vec<f64>,
    constant: ConstantKind,
    constant_value: f64,
    n: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum ConstantKind {
    None,
    Mean,
    Drift,
}

/// [`FittedArima`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawArima {
    order: Order,
    method: Method,
    names: Vec<String>,
    coef: Vec<f64>,
    #[serde(deserialize_with = "crate::serde_float::vec::deserialize")]
    std_errors: Vec<f64>,
    #[serde(deserialize_with = "crate::serde_float::vec::deserialize")]
    covariance: Vec<f64>,
    sigma2: f64,
    residual_variance: f64,
    #[serde(default)]
    report: Option<FitReport>,
    /// Version 0.1's criteria, in place of `report`.
    #[serde(default)]
    criteria: Option<crate::forecast::LegacyCriteria>,
    n_used: usize,
    residuals: Vec<f64>,
    fitted: Vec<f64>,
    phi: Vec<f64>,
    theta: Vec<f64>,
    delta: Vec<f64>,
    state: Vec<f64>,
    state_cov: Vec<f64>,
    tail: Vec<f64>,
    constant: ConstantKind,
    constant_value: f64,
    n: usize,
}

#[cfg(feature = "serde")]
impl TryFrom<RawArima> for FittedArima {
    type Error = Error;

    fn try_from(raw: RawArima) -> Result<FittedArima> {
        use crate::validate::{
            all_finite as finite, all_non_negative as non_negative, invalid_parameter as invalid,
            same_len as len,
        };
        let o = raw.order;
        for (name, v) in [
            ("order.p", o.p),
            ("order.q", o.q),
            ("order.seasonal_p", o.seasonal_p),
            ("order.seasonal_q", o.seasonal_q),
        ] {
            if v > MAX_ORDER {
                return Err(invalid(
                    name,
                    v,
                    format!("AR and MA orders are at most {MAX_ORDER}"),
                ));
            }
        }
        if o.d > 3 {
            return Err(invalid("order.d", o.d, "at most 3 differences"));
        }
        if o.seasonal_d > 2 {
            return Err(invalid(
                "order.seasonal_d",
                o.seasonal_d,
                "at most 2 seasonal differences",
            ));
        }
        let seasonal = o.seasonal_p + o.seasonal_d + o.seasonal_q > 0;
        if o.period == 0 || (seasonal && o.period < 2) {
            return Err(invalid(
                "order.period",
                o.period,
                "the period is at least 1, and at least 2 with seasonal orders",
            ));
        }
        for (orders, order, seasonal_order) in [
            ("p + m P", o.p, o.seasonal_p),
            ("q + m Q", o.q, o.seasonal_q),
            ("d + m D", o.d, o.seasonal_d),
        ] {
            let lag = seasonal_order
                .checked_mul(o.period)
                .and_then(|l| l.checked_add(order));
            if lag.is_none_or(|l| l > MAX_LAG) {
                return Err(invalid(
                    "order.period",
                    o.period,
                    format!("{orders} reaches past the longest lag, MAX_LAG = {MAX_LAG}"),
                ));
            }
        }
        let spec = Spec {
            p: o.p,
            d: o.d,
            q: o.q,
            sp: o.seasonal_p,
            sd: o.seasonal_d,
            sq: o.seasonal_q,
            m: o.period,
            constant: raw.constant != ConstantKind::None,
            fixed_constant: None,
            method: raw.method,
        };
        if raw.constant != ConstantKind::None && spec.kind() != raw.constant {
            return Err(invalid(
                "constant",
                format!("{:?}", raw.constant),
                "a mean needs d + D = 0 and a drift d + D >= 1",
            ));
        }
        let k = spec.n_coef();
        if raw.names != spec.names() {
            return Err(invalid(
                "names",
                raw.names.join(", "),
                format!("the coefficients of {} are {}", o, spec.names().join(", ")),
            ));
        }
        len("coef", k, raw.coef.len())?;
        finite("coef", &raw.coef)?;
        len("std_errors", k, raw.std_errors.len())?;
        if let Some(row) = raw
            .std_errors
            .iter()
            .position(|v| v.is_infinite() || *v < 0.0)
        {
            return Err(Error::InvalidValue {
                field: "std_errors",
                row,
                value: raw.std_errors[row],
                reason: "a standard error is zero or more (or NaN where undefined)".into(),
            });
        }
        len("covariance", k * k, raw.covariance.len())?;
        if let Some(row) = raw.covariance.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                field: "covariance",
                row,
                value: raw.covariance[row],
            });
        }
        non_negative("sigma2", &[raw.sigma2])?;
        non_negative("residual_variance", &[raw.residual_variance])?;
        if raw.n_used > raw.n {
            return Err(invalid(
                "n_used",
                raw.n_used,
                format!("at most n = {}", raw.n),
            ));
        }
        len("residuals", raw.n, raw.residuals.len())?;
        finite("residuals", &raw.residuals)?;
        len("fitted", raw.n, raw.fitted.len())?;
        finite("fitted", &raw.fitted)?;
        len("phi", spec.p_full(), raw.phi.len())?;
        finite("phi", &raw.phi)?;
        len("theta", spec.q_full(), raw.theta.len())?;
        finite("theta", &raw.theta)?;
        let delta = delta_poly(spec.d, spec.sd, spec.m);
        len("delta", delta.len(), raw.delta.len())?;
        if raw.delta != delta {
            return Err(invalid(
                "delta",
                format!("{:?}", raw.delta),
                format!("the differencing polynomial of {o} is {delta:?}"),
            ));
        }
        let r = spec.state_dim();
        len("state", r, raw.state.len())?;
        finite("state", &raw.state)?;
        len("state_cov", r * r, raw.state_cov.len())?;
        finite("state_cov", &raw.state_cov)?;
        // A covariance matrix: symmetric (the filter writes it so, exactly) with a
        // non-negative diagonal.
        for i in 0..r {
            let d = raw.state_cov[i * r + i];
            if d < 0.0 {
                return Err(Error::Negative {
                    field: "state_cov",
                    row: i * r + i,
                    value: d,
                });
            }
            for j in 0..i {
                let (lower, upper) = (raw.state_cov[i * r + j], raw.state_cov[j * r + i]);
                if lower != upper {
                    return Err(Error::InvalidValue {
                        field: "state_cov",
                        row: i * r + j,
                        value: lower,
                        reason: format!(
                            "a covariance matrix is symmetric, but its mirror state_cov[{}] is {upper}",
                            j * r + i
                        ),
                    });
                }
            }
        }
        len("tail", delta.len(), raw.tail.len())?;
        finite("tail", &raw.tail)?;
        finite("constant_value", &[raw.constant_value])?;
        // A 0.1 file: every coefficient estimated but a constant held fixed (its
        // standard error exactly 0, the degenerate fits of `Arima::auto`).
        let fixed_constant =
            raw.constant != ConstantKind::None && raw.std_errors.last() == Some(&0.0);
        let legacy = raw.report.is_none();
        let report = crate::forecast::loaded_report(
            raw.report,
            raw.criteria,
            k + 1 - usize::from(fixed_constant),
            raw.n_used as f64,
        )?;
        // σ² and the estimated coefficients (all, or none but a fixed constant).
        if !(1..=k + 1).contains(&report.n_params) {
            return Err(invalid(
                "report.n_params",
                report.n_params,
                format!("counts the estimated coefficients (at most {k}) and σ²"),
            ));
        }
        if report.n_obs != raw.n_used as f64 {
            return Err(invalid(
                "report.n_obs",
                report.n_obs,
                format!(
                    "the observations the likelihood uses, n_used = {}",
                    raw.n_used
                ),
            ));
        }
        // An exact fit (σ² = 0, a degenerate model) has an infinite likelihood.
        if report.log_likelihood != f64::INFINITY {
            report.check_loaded(MODEL, report.n_params)?;
        }
        let mut model = FittedArima {
            order: raw.order,
            method: raw.method,
            names: raw.names,
            coef: raw.coef,
            std_errors: raw.std_errors,
            covariance: raw.covariance,
            sigma2: raw.sigma2,
            residual_variance: raw.residual_variance,
            report,
            n_used: raw.n_used,
            residuals: raw.residuals,
            fitted: raw.fitted,
            phi: raw.phi,
            theta: raw.theta,
            delta: raw.delta,
            state: raw.state,
            state_cov: raw.state_cov,
            tail: raw.tail,
            constant: raw.constant,
            constant_value: raw.constant_value,
            n: raw.n,
        };
        if legacy {
            model.report.standard_errors = model.report_errors(model.report.n_params);
        }
        Ok(model)
    }
}

impl FittedArima {
    /// The model's orders.
    pub fn order(&self) -> Order {
        self.order
    }

    /// The estimation method used.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Coefficient names in R's order: `ar1..arp`, `ma1..maq`, `sar1..sarP`,
    /// `sma1..smaQ`, then `intercept` or `drift`.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Coefficient estimates, in the order of [`names`](Self::names).
    pub fn coefficients(&self) -> &[f64] {
        &self.coef
    }

    /// The estimate of the coefficient called `name` (`"ma1"`, `"drift"`, …).
    pub fn coefficient(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.coef[i])
    }

    /// Standard errors, in the order of [`names`](Self::names): NaN when the observed
    /// information is not positive definite (R prints NaN there too); 0 for a constant
    /// that was fixed rather than estimated (the degenerate fits of [`Arima::auto`]).
    pub fn std_errors(&self) -> &[f64] {
        &self.std_errors
    }

    /// The coefficients' covariance matrix, row-major, in the order of
    /// [`names`](Self::names) (NaN where it could not be computed).
    pub fn covariance(&self) -> &[f64] {
        &self.covariance
    }

    /// Non-seasonal AR coefficients φ_1..φ_p.
    pub fn ar(&self) -> &[f64] {
        &self.coef[..self.order.p]
    }

    /// Non-seasonal MA coefficients θ_1..θ_q.
    pub fn ma(&self) -> &[f64] {
        let o = self.order;
        &self.coef[o.p..o.p + o.q]
    }

    /// Seasonal AR coefficients Φ_1..Φ_P.
    pub fn seasonal_ar(&self) -> &[f64] {
        let o = self.order;
        &self.coef[o.p + o.q..o.p + o.q + o.seasonal_p]
    }

    /// Seasonal MA coefficients Θ_1..Θ_Q.
    pub fn seasonal_ma(&self) -> &[f64] {
        let o = self.order;
        let s = o.p + o.q + o.seasonal_p;
        &self.coef[s..s + o.seasonal_q]
    }

    /// The mean, when the model has one (`d + D = 0` with a constant).
    pub fn intercept(&self) -> Option<f64> {
        (self.constant == ConstantKind::Mean).then_some(self.constant_value)
    }

    /// The drift per period, when the model has one (`d + D = 1` with a constant).
    pub fn drift(&self) -> Option<f64> {
        (self.constant == ConstantKind::Drift).then_some(self.constant_value)
    }

    /// The innovation variance σ² as R's `stats::arima` estimates it: the innovations'
    /// mean square over `n - d - mD` (for [`Method::Css`], the conditional sum of squares
    /// over its `n - d - mD - p - mP` terms).
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }

    /// The residual variance R's `forecast` package reports as σ² and uses for
    /// prediction intervals: the residual sum of squares over `n - d - mD - k` for `k`
    /// estimated coefficients. [`forecast`](Self::forecast) uses this one.
    pub fn residual_variance(&self) -> f64 {
        self.residual_variance
    }

    /// Observations the likelihood uses: `n - d - mD`.
    pub fn n_used(&self) -> usize {
        self.n_used
    }

    /// The model at its coefficients, run over another series (or the same one)
    /// without re-estimating them (R's `Arima(y, model = fit)`): the same orders,
    /// method and constant, [`fixed`](Arima::fixed) at [`coefficients`](Self::coefficients).
    ///
    /// # Errors
    /// As [`Arima`]'s [`fit`](Fit::fit): a series too short for the model.
    pub fn apply_to(&self, series: &Series) -> Result<FittedArima> {
        let o = self.order;
        Arima::params(o.p, o.d, o.q)
            .seasonal(o.seasonal_p, o.seasonal_d, o.seasonal_q)
            .period(o.period)
            .method(self.method)
            .constant(self.constant != ConstantKind::None)
            .fixed(&self.coef)
            .fit(series)
    }

    /// The report's standard errors: the estimated coefficients' (the first
    /// `n_params - 1`) and σ²'s asymptotic `σ² sqrt(2 / n_used)`, or `None` where one is
    /// not finite.
    fn report_errors(&self, n_params: usize) -> Option<Vec<f64>> {
        let mut se = self.std_errors.get(..n_params.saturating_sub(1))?.to_vec();
        se.push(self.sigma2 * (2.0 / self.n_used as f64).sqrt());
        se.iter().all(|v| v.is_finite()).then_some(se)
    }

    fn forecast_unchecked(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        let r = self.state.len();
        let nd = self.delta.len();
        let rd = r + nd;
        let mut a = vec![0.0; rd];
        a[..r].copy_from_slice(&self.state);
        a[r..].copy_from_slice(&self.tail);
        let mut p = vec![0.0; rd * rd];
        for i in 0..r {
            p[i * rd..i * rd + r].copy_from_slice(&self.state_cov[i * r..(i + 1) * r]);
        }
        let mut rvec = vec![0.0; r];
        rvec[0] = 1.0;
        for (i, &t) in self.theta.iter().enumerate() {
            if i + 1 < r {
                rvec[i + 1] = t;
            }
        }
        let phi_at = |i: usize| self.phi.get(i).copied().unwrap_or(0.0);
        // Transition T (dense; forecasting is not the hot path).
        let mut tm = vec![0.0; rd * rd];
        for i in 0..r {
            tm[i * rd] = phi_at(i);
            if i + 1 < r {
                tm[i * rd + i + 1] = 1.0;
            }
        }
        if nd > 0 {
            tm[r * rd] = 1.0;
            for (j, &dj) in self.delta.iter().enumerate() {
                tm[r * rd + r + j] = dj;
            }
            for i in 1..nd {
                tm[(r + i) * rd + r + i - 1] = 1.0;
            }
        }
        let mut z = vec![0.0; rd];
        z[0] = 1.0;
        z[r..].copy_from_slice(&self.delta);
        let mut mean = Vec::with_capacity(h);
        let mut sd = Vec::with_capacity(h);
        // T's non-zeros by row, in column order: at most two per row but the
        // differencing row's `d + mD + 1`, so that T P T' costs O(rd²) per step rather
        // than O(rd³) (a seasonal model with a long period has rd in the hundreds). The
        // sums run over the same terms in the same order as the dense product's.
        let nonzeros: Vec<Vec<(usize, f64)>> = (0..rd)
            .map(|i| {
                (0..rd)
                    .filter(|&k| tm[i * rd + k] != 0.0)
                    .map(|k| (k, tm[i * rd + k]))
                    .collect()
            })
            .collect();
        let mut tmp = vec![0.0; rd * rd];
        let mut a_new = vec![0.0; rd];
        for step in 0..h {
            if step > 0 {
                for i in 0..rd {
                    a_new[i] = (0..rd).map(|k| tm[i * rd + k] * a[k]).sum();
                }
                a.copy_from_slice(&a_new);
                // P <- T P T' + V
                for i in 0..rd {
                    for j in 0..rd {
                        tmp[i * rd + j] = nonzeros[i].iter().map(|&(k, t)| t * p[k * rd + j]).sum();
                    }
                }
                for i in 0..rd {
                    for j in 0..rd {
                        let mut s: f64 =
                            nonzeros[j].iter().map(|&(k, t)| tmp[i * rd + k] * t).sum();
                        if i < r && j < r {
                            s += rvec[i] * rvec[j];
                        }
                        p[i * rd + j] = s;
                    }
                }
            }
            let m: f64 = z.iter().zip(&a).map(|(zi, ai)| zi * ai).sum();
            let mut v = 0.0;
            for i in 0..rd {
                if z[i] == 0.0 {
                    continue;
                }
                for j in 0..rd {
                    v += z[i] * p[i * rd + j] * z[j];
                }
            }
            let t = (self.n + step + 1) as f64;
            let c = match self.constant {
                ConstantKind::None => 0.0,
                ConstantKind::Mean => self.constant_value,
                ConstantKind::Drift => self.constant_value * t,
            };
            mean.push(m + c);
            // A NaN variance (inf - inf after overflow) stays NaN for the output check
            // (f64::max would turn it into 0); sqrt(v) sqrt(s²) where v s² overflows
            // though the standard deviation is finite.
            let v = if v.is_nan() { v } else { v.max(0.0) };
            let s = (v * self.residual_variance).sqrt();
            sd.push(if s.is_finite() {
                s
            } else {
                v.sqrt() * self.residual_variance.sqrt()
            });
        }
        let intervals = normal_intervals(&mean, &sd, levels);
        Ok(Forecast { mean, intervals })
    }
}

impl Forecaster for FittedArima {
    /// Point forecasts and Gaussian prediction intervals for the next `h` periods, at
    /// each coverage level in `levels` (fractions, 0.95 for 95%).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h = 0` or a level outside (0, 1);
    /// [`Error::NonFinite`] naming the first step (row 0 is one step ahead) whose
    /// forecast (field `forecast`) or interval bound (`forecast interval`) is beyond the
    /// range of f64, as [`FittedEts`](crate::forecast::ets::FittedEts)'s forecasts.
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        let f = self.forecast_unchecked(h, levels)?;
        check_finite_forecast(&f)?;
        Ok(f)
    }

    /// Fitted values (one-step-ahead predictions): the series minus the residuals.
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// Residuals, one per observation (see the [module docs](self)).
    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

impl FittedModel for FittedArima {
    /// Log-likelihood, AIC, AICc and BIC (σ² counted as a parameter, `n - d - mD`
    /// observations). With [`Method::Css`] they come from the conditional likelihood,
    /// as R's `loglik` (R reports no AIC there).
    fn report(&self) -> &FitReport {
        &self.report
    }

    fn parameter_names(&self) -> Vec<String> {
        let k = self.report.n_params.saturating_sub(1).min(self.names.len());
        let mut names = self.names[..k].to_vec();
        names.push("sigma2".into());
        names
    }

    fn parameter_values(&self) -> Vec<f64> {
        let k = self.report.n_params.saturating_sub(1).min(self.coef.len());
        let mut values = self.coef[..k].to_vec();
        values.push(self.sigma2);
        values
    }
}

/// Series whose largest `|value|` is outside `[2^-256, 2^256]` are fitted scaled by a
/// power of two (exact) and the model scaled back, so that squares and sums of squares
/// neither overflow nor underflow; other series are fitted as they are.
const RESCALE_ABOVE: f64 = 1.157_920_892_373_162e77; // 2^256
const RESCALE_BELOW: f64 = 8.636_168_555_094_445e-78; // 2^-256

/// Fits `series` through `fit`, on the series scaled by a power of two when its values
/// are very large or very small (`fit` gets the series and the factor it was scaled
/// by), then checks that the model is finite (see
/// [`FittedArima::check_finite`]).
///
/// `constant_last` says whether the last coefficient of a
/// [`Error::NotConverged`]'s `last_iterate` is a constant, which is then scaled back
/// too (the ARMA coefficients do not depend on the scale).
fn rescaled(
    series: &Series,
    constant_last: bool,
    fit: impl FnOnce(&Series, f64) -> Result<FittedArima>,
) -> Result<FittedArima> {
    let x = series.values();
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let model = if max > RESCALE_ABOVE || (max > 0.0 && max < RESCALE_BELOW) {
        let s = crate::segment::scale::pow2_scale(max);
        let scaled: Vec<f64> = x.iter().map(|v| v * s).collect();
        match fit(&Series::new(&scaled, series.season_length())?, s) {
            Ok(model) => model.scaled_by(1.0 / s),
            Err(Error::NotConverged {
                model,
                iterations,
                reason,
                mut last_iterate,
            }) => {
                if let (true, Some(c)) = (constant_last, last_iterate.last_mut()) {
                    *c /= s;
                }
                return Err(Error::NotConverged {
                    model,
                    iterations,
                    reason,
                    last_iterate,
                });
            }
            Err(e) => return Err(e),
        }
    } else {
        fit(series, 1.0)?
    };
    model.check_finite(x)?;
    Ok(model)
}

impl FittedArima {
    /// The model of the series times `c` (a power of two, so exact), from the model of
    /// the series: AR and MA coefficients and the (relative) state covariance are
    /// unchanged; the constant, its standard error, the states, residuals and fitted
    /// values scale by `c`, the variances by `c²`, and the log-likelihood shifts by
    /// `-n_used ln c` (the density of the scaled differences).
    fn scaled_by(mut self, c: f64) -> FittedArima {
        if self.constant != ConstantKind::None {
            let nc = self.coef.len();
            let last = nc - 1;
            self.coef[last] *= c;
            self.std_errors[last] *= c;
            for j in 0..nc {
                self.covariance[last * nc + j] *= c;
                self.covariance[j * nc + last] *= c;
            }
            self.constant_value *= c;
        }
        self.sigma2 *= c * c;
        self.residual_variance *= c * c;
        for v in self
            .residuals
            .iter_mut()
            .chain(&mut self.fitted)
            .chain(&mut self.state)
            .chain(&mut self.tail)
        {
            *v *= c;
        }
        let shift = self.n_used as f64 * c.ln();
        let ic = &mut self.report;
        ic.log_likelihood -= shift;
        ic.aic += 2.0 * shift;
        ic.aicc += 2.0 * shift;
        ic.bic += 2.0 * shift;
        self.report.standard_errors = self.report_errors(self.report.n_params);
        self
    }

    /// [`Error::InvalidValue`] naming the series' largest value when a fitted quantity
    /// (σ², the residual variance, a coefficient, residual, fitted value or state) is
    /// beyond the range of f64, as for a series so large that its variance overflows.
    fn check_finite(&self, x: &[f64]) -> Result<()> {
        let finite = |v: &[f64]| v.iter().all(|v| v.is_finite());
        let ok = self.sigma2.is_finite()
            && self.residual_variance.is_finite()
            && self.constant_value.is_finite()
            && finite(&self.coef)
            && self.std_errors.iter().all(|v| !v.is_infinite())
            && self.covariance.iter().all(|v| !v.is_infinite())
            && finite(&self.residuals)
            && finite(&self.fitted)
            && finite(&self.state)
            && finite(&self.state_cov)
            && finite(&self.tail);
        if ok {
            return Ok(());
        }
        let row = x.iter().enumerate().fold(
            0,
            |best, (i, v)| if v.abs() > x[best].abs() { i } else { best },
        );
        Err(Error::InvalidValue {
            field: "series",
            row,
            value: x[row],
            reason: format!(
                "the fitted model's variance (σ² {:e}) or another of its quantities is beyond \
                 the range of f64; rescale the series (divide it by a power of ten)",
                self.sigma2
            ),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Model specification and the objective functions.

#[derive(Debug, Clone, Copy, PartialEq)]
struct Spec {
    p: usize,
    d: usize,
    q: usize,
    sp: usize,
    sd: usize,
    sq: usize,
    m: usize,
    constant: bool,
    /// A constant held at this value rather than estimated (R's `fixed`).
    fixed_constant: Option<f64>,
    method: Method,
}

impl Spec {
    fn n_arma(&self) -> usize {
        self.p + self.q + self.sp + self.sq
    }
    fn has_constant(&self) -> bool {
        self.constant || self.fixed_constant.is_some()
    }
    /// Coefficients reported (ARMA + constant).
    fn n_coef(&self) -> usize {
        self.n_arma() + usize::from(self.has_constant())
    }
    /// Coefficients estimated.
    fn n_free(&self) -> usize {
        self.n_arma() + usize::from(self.constant)
    }
    fn p_full(&self) -> usize {
        self.p + self.m * self.sp
    }
    fn q_full(&self) -> usize {
        self.q + self.m * self.sq
    }
    fn n_diff(&self) -> usize {
        self.d + self.m * self.sd
    }
    fn state_dim(&self) -> usize {
        self.p_full().max(self.q_full() + 1)
    }
    fn order(&self) -> Order {
        Order {
            p: self.p,
            d: self.d,
            q: self.q,
            seasonal_p: self.sp,
            seasonal_d: self.sd,
            seasonal_q: self.sq,
            period: self.m,
        }
    }
    fn kind(&self) -> ConstantKind {
        if !self.has_constant() {
            ConstantKind::None
        } else if self.d + self.sd == 0 {
            ConstantKind::Mean
        } else {
            ConstantKind::Drift
        }
    }
    /// The differenced constant regressor: 1 for a mean or a lag-1 drift, m for a
    /// seasonal drift.
    fn creg(&self) -> f64 {
        if self.sd == 1 && self.d == 0 {
            self.m as f64
        } else {
            1.0
        }
    }
    fn names(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.n_coef());
        v.extend((1..=self.p).map(|i| format!("ar{i}")));
        v.extend((1..=self.q).map(|i| format!("ma{i}")));
        v.extend((1..=self.sp).map(|i| format!("sar{i}")));
        v.extend((1..=self.sq).map(|i| format!("sma{i}")));
        match self.kind() {
            ConstantKind::Mean => v.push("intercept".into()),
            ConstantKind::Drift => v.push("drift".into()),
            ConstantKind::None => {}
        }
        v
    }
}

/// The series differenced `d` times at lag 1 and `sd` times at lag `m`.
fn difference(x: &[f64], d: usize, sd: usize, m: usize) -> Vec<f64> {
    let mut w = x.to_vec();
    for _ in 0..d {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
    }
    for _ in 0..sd {
        if w.len() <= m {
            return Vec::new();
        }
        w = (m..w.len()).map(|i| w[i] - w[i - m]).collect();
    }
    w
}

/// Coefficients δ of the differencing polynomial `(1-B)^d (1-B^m)^D = 1 - Σ δ_i B^i`.
fn delta_poly(d: usize, sd: usize, m: usize) -> Vec<f64> {
    let mut poly = vec![1.0];
    let mul = |poly: &Vec<f64>, lag: usize| {
        let mut out = vec![0.0; poly.len() + lag];
        for (i, &c) in poly.iter().enumerate() {
            out[i] += c;
            out[i + lag] -= c;
        }
        out
    };
    for _ in 0..d {
        poly = mul(&poly, 1);
    }
    for _ in 0..sd {
        poly = mul(&poly, m);
    }
    poly[1..].iter().map(|c| -c).collect()
}

/// R's `partrans`: maps unconstrained values to the coefficients of a stationary AR
/// polynomial (tanh to partial autocorrelations, then Durbin-Levinson).
fn partrans(raw: &[f64], out: &mut [f64]) {
    let p = raw.len();
    let mut work = [0.0; MAX_ORDER];
    for j in 0..p {
        out[j] = raw[j].tanh();
        work[j] = out[j];
    }
    for j in 1..p {
        let a = out[j];
        for k in 0..j {
            work[k] -= a * out[j - k - 1];
        }
        out[..j].copy_from_slice(&work[..j]);
    }
}

/// R's `invpartrans`: the inverse of [`partrans`], `None` when the AR part is not
/// stationary.
fn invpartrans(phi: &[f64]) -> Option<Vec<f64>> {
    let p = phi.len();
    let mut new = phi.to_vec();
    let mut work = phi.to_vec();
    for j in (1..p).rev() {
        let a = new[j];
        if a.abs() >= 1.0 {
            return None;
        }
        for k in 0..j {
            work[k] = (new[k] + a * new[j - k - 1]) / (1.0 - a * a);
        }
        new[..j].copy_from_slice(&work[..j]);
    }
    if new.iter().any(|v| v.abs() >= 1.0) {
        return None;
    }
    Some(new.iter().map(|v| v.atanh()).collect())
}

/// Whether `1 - Σ ar_i z^i` has all its roots outside the circle of radius `radius`
/// (Schur-Cohn through the backward Durbin-Levinson recursion).
fn ar_roots_outside(ar: &[f64], radius: f64) -> bool {
    let mut p = ar.len();
    while p > 0 && ar[p - 1] == 0.0 {
        p -= 1;
    }
    if p == 0 {
        return true;
    }
    let mut scale = 1.0;
    let mut c: Vec<f64> = ar[..p]
        .iter()
        .map(|&a| {
            scale *= radius;
            a * scale
        })
        .collect();
    let mut work = c.clone();
    for j in (0..p).rev() {
        let a = c[j];
        if a.is_nan() || a.abs() >= 1.0 {
            return false;
        }
        for k in 0..j {
            work[k] = (c[k] + a * c[j - k - 1]) / (1.0 - a * a);
        }
        c[..j].copy_from_slice(&work[..j]);
    }
    true
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    fn new(re: f64, im: f64) -> Self {
        Complex { re, im }
    }
    fn add(self, o: Self) -> Self {
        Complex::new(self.re + o.re, self.im + o.im)
    }
    fn sub(self, o: Self) -> Self {
        Complex::new(self.re - o.re, self.im - o.im)
    }
    fn mul(self, o: Self) -> Self {
        Complex::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    fn div(self, o: Self) -> Self {
        let d = o.re * o.re + o.im * o.im;
        Complex::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
}

/// Roots of `Σ c_i z^i` (increasing powers, `c` trimmed so the last is non-zero) by the
/// Durand-Kerner iteration.
fn polyroot(c: &[f64]) -> Vec<Complex> {
    let n = c.len() - 1;
    if n == 0 {
        return Vec::new();
    }
    let lead = c[n];
    let monic: Vec<f64> = c.iter().map(|v| v / lead).collect();
    // Cauchy bound for the starting radius.
    let radius = 1.0
        + monic[..n]
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .min(1e6);
    let mut roots: Vec<Complex> = (0..n)
        .map(|k| {
            let ang = 2.0 * std::f64::consts::PI * k as f64 / n as f64 + 0.4;
            Complex::new(radius * ang.cos(), radius * ang.sin())
        })
        .collect();
    let eval = |z: Complex| {
        let mut acc = Complex::new(1.0, 0.0);
        for i in (0..n).rev() {
            acc = acc.mul(z).add(Complex::new(monic[i], 0.0));
        }
        acc
    };
    for _ in 0..1000 {
        let mut change = 0.0f64;
        for i in 0..n {
            let mut den = Complex::new(1.0, 0.0);
            for j in 0..n {
                if i != j {
                    den = den.mul(roots[i].sub(roots[j]));
                }
            }
            if den.abs() == 0.0 {
                den = Complex::new(1e-12, 0.0);
            }
            let step = eval(roots[i]).div(den);
            roots[i] = roots[i].sub(step);
            change = change.max(step.abs() / (1.0 + roots[i].abs()));
        }
        if change < 1e-15 {
            break;
        }
    }
    roots
}

/// R's `maInvert`: reflects the roots of `1 + Σ ma_i z^i` inside the unit circle.
fn ma_invert(ma: &mut [f64]) {
    let mut q0 = ma.len();
    while q0 > 0 && ma[q0 - 1] == 0.0 {
        q0 -= 1;
    }
    if q0 == 0 {
        return;
    }
    let mut c = Vec::with_capacity(q0 + 1);
    c.push(1.0);
    c.extend_from_slice(&ma[..q0]);
    let mut roots = polyroot(&c);
    if roots.iter().all(|r| r.abs() >= 1.0) {
        return;
    }
    if q0 == 1 {
        ma[0] = 1.0 / ma[0];
        return;
    }
    for r in roots.iter_mut() {
        if r.abs() < 1.0 {
            *r = Complex::new(1.0, 0.0).div(*r);
        }
    }
    // x <- 1; for r: x <- c(x, 0) - c(0, x) / r
    let mut x = vec![Complex::new(1.0, 0.0)];
    for r in &roots {
        let mut next = x.clone();
        next.push(Complex::new(0.0, 0.0));
        for i in 0..x.len() {
            next[i + 1] = next[i + 1].sub(x[i].div(*r));
        }
        x = next;
    }
    for i in 0..q0 {
        ma[i] = x[i + 1].re;
    }
}

/// Expands (ar, ma, sar, sma) into the full polynomials φ (length p + mP) and θ (length
/// q + mQ), as R's `transPars` without transformation.
fn expand(spec: &Spec, par: &[f64], phi: &mut [f64], theta: &mut [f64]) {
    let (p, q, sp, sq, m) = (spec.p, spec.q, spec.sp, spec.sq, spec.m);
    phi.iter_mut().for_each(|v| *v = 0.0);
    theta.iter_mut().for_each(|v| *v = 0.0);
    phi[..p].copy_from_slice(&par[..p]);
    theta[..q].copy_from_slice(&par[p..p + q]);
    for j in 0..sp {
        let s = par[p + q + j];
        phi[(j + 1) * m - 1] += s;
        for i in 0..p {
            phi[(j + 1) * m + i] -= par[i] * s;
        }
    }
    for j in 0..sq {
        let s = par[p + q + sp + j];
        theta[(j + 1) * m - 1] += s;
        for i in 0..q {
            theta[(j + 1) * m + i] += par[p + i] * s;
        }
    }
}

/// Buffers reused by every likelihood evaluation.
struct Work {
    r: usize,
    phi: Vec<f64>,
    theta: Vec<f64>,
    /// φ padded to r.
    phir: Vec<f64>,
    /// (1, θ_1, …) padded to r.
    rvec: Vec<f64>,
    psi: Vec<f64>,
    /// Autocovariances of the differenced series (unit innovation variance), lags 0..=r.
    gamma: Vec<f64>,
    /// Autocovariances of the pure AR part, lags 0..=r + q'.
    gamma_ar: Vec<f64>,
    /// Levinson coefficients, order j in row j - 1.
    lev: Vec<f64>,
    g: Vec<f64>,
    l: Vec<f64>,
    a: Vec<f64>,
    l2: Vec<f64>,
    a2: Vec<f64>,
    w: Vec<f64>,
    resid: Vec<f64>,
    phi_nz: Vec<(usize, f64)>,
    theta_nz: Vec<(usize, f64)>,
    /// Non-zero autocovariances of the MA coefficients (lag, value).
    macov: Vec<(usize, f64)>,
}

impl Work {
    fn new(spec: &Spec, n_w: usize) -> Work {
        let r = spec.state_dim();
        let pf = spec.p_full();
        let qf = spec.q_full();
        Work {
            r,
            phi: vec![0.0; pf],
            theta: vec![0.0; qf],
            phir: vec![0.0; r],
            rvec: vec![0.0; r],
            psi: vec![0.0; r],
            gamma: vec![0.0; r + 1],
            gamma_ar: vec![0.0; r + qf + 2],
            lev: vec![0.0; pf * pf],
            g: vec![0.0; r],
            l: vec![0.0; r],
            a: vec![0.0; r],
            l2: vec![0.0; r],
            a2: vec![0.0; r],
            w: vec![0.0; n_w],
            resid: vec![0.0; n_w],
            phi_nz: Vec::with_capacity(pf),
            theta_nz: Vec::with_capacity(qf + 1),
            macov: Vec::with_capacity(qf + 1),
        }
    }
}

/// The data and specification of one fit.
struct Problem<'a> {
    spec: Spec,
    /// Differenced series.
    dx: &'a [f64],
    creg: f64,
    /// Scale of the constant on the optimizer's scale (R's parscale).
    const_scale: f64,
}

impl Problem<'_> {
    /// Natural parameters (R's order) from the optimizer's vector: AR parts through
    /// `partrans` when `transform`, the constant rescaled.
    fn natural(&self, z: &[f64], transform: bool, nat: &mut [f64]) {
        let s = &self.spec;
        let (p, q, sp, sq) = (s.p, s.q, s.sp, s.sq);
        if transform {
            partrans(&z[..p], &mut nat[..p]);
            nat[p..p + q].copy_from_slice(&z[p..p + q]);
            partrans(&z[p + q..p + q + sp], &mut nat[p + q..p + q + sp]);
            nat[p + q + sp..p + q + sp + sq].copy_from_slice(&z[p + q + sp..p + q + sp + sq]);
        } else {
            nat[..s.n_arma()].copy_from_slice(&z[..s.n_arma()]);
        }
        if s.constant {
            nat[s.n_arma()] = z[s.n_arma()] * self.const_scale;
        } else if let Some(c) = s.fixed_constant {
            nat[s.n_arma()] = c;
        }
    }

    /// Loads natural parameters into the work buffers: polynomials and w = dx - c.
    fn load(&self, nat: &[f64], ws: &mut Work) {
        let s = &self.spec;
        expand(s, nat, &mut ws.phi, &mut ws.theta);
        let shift = if s.has_constant() {
            nat[s.n_arma()] * self.creg
        } else {
            0.0
        };
        for (w, &x) in ws.w.iter_mut().zip(self.dx) {
            *w = x - shift;
        }
        ws.phi_nz.clear();
        ws.phi_nz.extend(
            ws.phi
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, &v)| (i, v)),
        );
        ws.theta_nz.clear();
        ws.theta_nz.extend(
            ws.theta
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, &v)| (i, v)),
        );
    }

    /// Conditional sum of squares objective `0.5 ln(ssq / nu)` at the loaded parameters;
    /// residuals in `ws.resid`.
    fn css(&self, ws: &mut Work) -> f64 {
        let ncond = self.spec.p_full();
        let n = ws.w.len();
        let mut ssq = 0.0;
        for l in 0..ncond.min(n) {
            ws.resid[l] = 0.0;
        }
        for l in ncond..n {
            let mut tmp = ws.w[l];
            for &(j, ph) in &ws.phi_nz {
                tmp -= ph * ws.w[l - j - 1];
            }
            for &(j, th) in &ws.theta_nz {
                if j >= l - ncond {
                    break;
                }
                tmp -= th * ws.resid[l - j - 1];
            }
            ws.resid[l] = tmp;
            ssq += tmp * tmp;
        }
        let nu = (n - ncond) as f64;
        let v = 0.5 * (ssq / nu).ln();
        if v.is_finite() { v } else { f64::INFINITY }
    }

    /// Autocovariances γ(0..=r) (unit innovation variance) and ψ weights of the loaded
    /// ARMA, then the first column `g` of the stationary state covariance. Returns false
    /// when the AR part is not stationary.
    ///
    /// The AR part's autocovariances come from the Levinson recursion run down (to the
    /// partial autocorrelations) and up again, `O(p'^2)`; the ARMA's are their
    /// convolution with the MA coefficients, `γ(k) = Σ_ij θ_i θ_j γ_AR(k + j - i)`.
    fn stationary_start(&self, ws: &mut Work) -> bool {
        let r = ws.r;
        let pf = ws.phi.len();
        let qf = ws.theta.len();
        ws.phir.iter_mut().for_each(|v| *v = 0.0);
        ws.phir[..pf].copy_from_slice(&ws.phi);
        ws.rvec.iter_mut().for_each(|v| *v = 0.0);
        ws.rvec[0] = 1.0;
        ws.rvec[1..=qf].copy_from_slice(&ws.theta);
        // ψ weights 0..r.
        for j in 0..r {
            let mut v = if j == 0 {
                1.0
            } else if j <= qf {
                ws.theta[j - 1]
            } else {
                0.0
            };
            for &(i, ph) in &ws.phi_nz {
                if i + 1 > j {
                    break;
                }
                v += ph * ws.psi[j - i - 1];
            }
            ws.psi[j] = v;
        }
        // AR autocovariances.
        let ng = ws.gamma_ar.len();
        if pf == 0 {
            ws.gamma_ar.iter_mut().for_each(|v| *v = 0.0);
            ws.gamma_ar[0] = 1.0;
        } else {
            let lev = &mut ws.lev;
            lev[(pf - 1) * pf..].copy_from_slice(&ws.phi);
            for j in (1..pf).rev() {
                // order j + 1 (row j) down to order j (row j - 1)
                let kappa = lev[j * pf + j];
                let den = 1.0 - kappa * kappa;
                if den.is_nan() || den <= 0.0 {
                    return false;
                }
                for k in 0..j {
                    lev[(j - 1) * pf + k] =
                        (lev[j * pf + k] + kappa * lev[j * pf + j - 1 - k]) / den;
                }
            }
            let mut g0 = 1.0;
            for j in 0..pf {
                let kappa = lev[j * pf + j];
                let den = 1.0 - kappa * kappa;
                if den.is_nan() || den <= 0.0 {
                    return false;
                }
                g0 /= den;
            }
            let gam = &mut ws.gamma_ar;
            gam[0] = g0;
            for j in 1..=pf.min(ng - 1) {
                let row = &lev[(j - 1) * pf..(j - 1) * pf + j];
                let mut v = 0.0;
                for (i, c) in row.iter().enumerate() {
                    v += c * gam[j - 1 - i];
                }
                gam[j] = v;
            }
            for k in pf + 1..ng {
                let mut v = 0.0;
                for &(i, ph) in &ws.phi_nz {
                    v += ph * gam[k - i - 1];
                }
                gam[k] = v;
            }
        }
        // ARMA autocovariances by convolution with θ (θ_0 = 1): γ(k) = Σ_d c_d γ_AR(k - d)
        // with c_d = Σ_i θ_{i+d} θ_i the MA coefficients' autocovariance.
        let gam = &ws.gamma_ar;
        let th = |i: usize| if i == 0 { 1.0 } else { ws.theta[i - 1] };
        ws.macov.clear();
        {
            let nz = |f: &mut dyn FnMut(usize)| {
                f(0);
                for &(i, _) in &ws.theta_nz {
                    f(i + 1);
                }
            };
            let mut c0 = 0.0;
            nz(&mut |i| c0 += th(i) * th(i));
            ws.macov.push((0, c0));
            for d in 1..=qf {
                let mut c = 0.0;
                nz(&mut |i| {
                    if i + d <= qf {
                        c += th(i) * th(i + d);
                    }
                });
                if c != 0.0 {
                    ws.macov.push((d, c));
                }
            }
        }
        for k in 0..=r {
            let mut v = 0.0;
            for &(d, c) in &ws.macov {
                v += c * gam[k.abs_diff(d)];
                if d > 0 {
                    v += c * gam[k + d];
                }
            }
            ws.gamma[k] = v;
        }
        // g_j = Σ_{k >= j} φ_k γ(k - j + 1) + R_k ψ_{k - j}.
        for j in 0..r {
            let mut v = 0.0;
            for &(k, ph) in &ws.phi_nz {
                if k >= j {
                    v += ph * ws.gamma[k - j + 1];
                }
            }
            v += if j == 0 { ws.psi[0] } else { 0.0 };
            for &(k, t) in &ws.theta_nz {
                let k = k + 1;
                if k >= j {
                    v += t * ws.psi[k - j];
                }
            }
            ws.g[j] = v;
        }
        ws.gamma.iter().all(|v| v.is_finite())
    }

    /// The exact likelihood sums `(Σ v_t²/F_t, Σ ln F_t)` at the loaded parameters, by
    /// the Chandrasekhar recursions. `None` when the model is degenerate.
    fn ml_sums(&self, ws: &mut Work) -> Option<(f64, f64)> {
        if !self.stationary_start(ws) {
            return None;
        }
        let r = ws.r;
        let f0 = ws.g[0];
        if !(f0 > 0.0 && f0.is_finite()) {
            return None;
        }
        // δP_0 = M L L' with L = F0 φ + S g, M = -1/F0.
        for i in 0..r {
            let gn = if i + 1 < r { ws.g[i + 1] } else { 0.0 };
            ws.l[i] = f0 * ws.phir[i] + gn;
        }
        let mut mm = -1.0 / f0;
        ws.a.iter_mut().for_each(|v| *v = 0.0);
        ws.a2[r - 1] = 0.0;
        ws.l2[r - 1] = 0.0;
        let (mut ssq, mut sumlog) = (0.0, 0.0);
        // Products of F_t, flushed to the log sum before they overflow (F_t >= 1 up to
        // rounding: the one-step variance is at least the innovation variance).
        let mut prod = 1.0f64;
        let Work {
            g,
            l,
            a,
            l2,
            a2,
            phir,
            w,
            ..
        } = ws;
        let n = w.len();
        let mut t = 0;
        let mut frozen = false;
        while t < n {
            let wt = w[t];
            let f = g[0];
            if f.is_nan() || f <= 0.0 {
                return None;
            }
            let v = wt - a[0];
            ssq += v * v / f;
            prod *= f;
            if !(1e-200..=1e200).contains(&prod) {
                sumlog += prod.ln();
                prod = 1.0;
            }
            let vf = v / f;
            {
                let (a_in, a_out) = (&a[1..], &mut a2[..r - 1]);
                for ((o, &ai), (&gi, &ph)) in a_out
                    .iter_mut()
                    .zip(a_in)
                    .zip(g[1..].iter().zip(&phir[..r - 1]))
                {
                    *o = ph * wt + ai + gi * vf;
                }
                a2[r - 1] = phir[r - 1] * wt;
            }
            std::mem::swap(a, a2);
            t += 1;
            if frozen {
                continue;
            }
            let li = l[0];
            let ml = mm * li;
            let f1 = f + li * ml;
            let lf = li / f;
            let mut norm = 0.0;
            for ((o, &ln), &gn) in l2[..r - 1].iter_mut().zip(&l[1..]).zip(&g[1..]) {
                let v = ln - gn * lf;
                *o = v;
                norm += v * v;
            }
            l2[r - 1] = 0.0;
            for (gi, &li) in g.iter_mut().zip(l.iter()) {
                *gi += li * ml;
            }
            std::mem::swap(l, l2);
            if f1.is_nan() || f1 <= 0.0 {
                return None;
            }
            mm -= ml * ml / f1;
            if norm * mm.abs() < 1e-14 {
                // The covariance has converged: F and g stay as they are.
                frozen = true;
            }
        }
        sumlog += prod.ln();
        Some((ssq, sumlog))
    }

    fn ml(&self, ws: &mut Work) -> f64 {
        let n = ws.w.len() as f64;
        match self.ml_sums(ws) {
            Some((ssq, sumlog)) => {
                let v = 0.5 * ((ssq / n).ln() + sumlog / n);
                if v.is_nan() { f64::INFINITY } else { v }
            }
            None => f64::INFINITY,
        }
    }

    /// The covariance form of the filter (O(r²) a step): standardized residuals, the
    /// sums, and the predicted state and covariance after the last observation.
    fn full_filter(&self, ws: &mut Work) -> Option<FilterOut> {
        if !self.stationary_start(ws) {
            return None;
        }
        let r = ws.r;
        // Stationary covariance from its first row g and T Q T' + R R' = Q.
        let mut pm = vec![0.0; r * r];
        for i in (0..r).rev() {
            for j in (i..r).rev() {
                let v = if i == 0 {
                    ws.g[j]
                } else {
                    let g1 = |k: usize| if k < r { ws.g[k] } else { 0.0 };
                    let inner = if j + 1 < r {
                        pm[(i + 1) * r + j + 1]
                    } else {
                        0.0
                    };
                    ws.phir[i] * ws.phir[j] * ws.g[0]
                        + ws.phir[i] * g1(j + 1)
                        + ws.phir[j] * g1(i + 1)
                        + inner
                        + ws.rvec[i] * ws.rvec[j]
                };
                pm[i * r + j] = v;
                pm[j * r + i] = v;
            }
        }
        let q0 = pm.clone();
        let n = ws.w.len();
        let mut a = vec![0.0; r];
        let mut k = vec![0.0; r];
        let mut resid = vec![0.0; n];
        let (mut ssq, mut sumlog) = (0.0, 0.0);
        for (t, res) in resid.iter_mut().enumerate() {
            let f = pm[0];
            if f.is_nan() || f <= 0.0 {
                return None;
            }
            let wt = ws.w[t];
            let v = wt - a[0];
            ssq += v * v / f;
            sumlog += f.ln();
            *res = v / f.sqrt();
            k.copy_from_slice(&pm[..r]);
            let vf = v / f;
            for i in 0..r {
                let next = if i + 1 < r {
                    a[i + 1] + k[i + 1] * vf
                } else {
                    0.0
                };
                a[i] = ws.phir[i] * wt + next;
            }
            for i in 0..r {
                for j in i..r {
                    let shifted = if j + 1 < r {
                        pm[(i + 1) * r + j + 1] - k[i + 1] * k[j + 1] / f
                    } else {
                        0.0
                    };
                    let v = shifted + ws.rvec[i] * ws.rvec[j];
                    pm[i * r + j] = v;
                }
            }
            for i in 0..r {
                for j in 0..i {
                    pm[i * r + j] = pm[j * r + i];
                }
            }
        }
        Some(FilterOut {
            resid,
            ssq,
            sumlog,
            state: a,
            cov: pm,
            q0,
        })
    }
}

struct FilterOut {
    resid: Vec<f64>,
    ssq: f64,
    sumlog: f64,
    state: Vec<f64>,
    cov: Vec<f64>,
    /// The stationary covariance the filter started from.
    q0: Vec<f64>,
}

/// R's residuals for the first `d + mD` observations: its Kalman filter on the
/// undifferenced (constant-adjusted) series `z`, with the stationary covariance `q0` for
/// the ARMA part and variance κ = 10⁶ on the `d + mD` pre-sample values (R's
/// `makeARIMA`), standardized innovations `v_t / sqrt(F_t)`. They are near zero.
fn diffuse_start_residuals(
    z: &[f64],
    q0: &[f64],
    phir: &[f64],
    rvec: &[f64],
    delta: &[f64],
) -> Vec<f64> {
    const KAPPA: f64 = 1e6;
    let r = phir.len();
    let nd = delta.len();
    let rd = r + nd;
    // Sparse transition: (row, col, value).
    let mut tr: Vec<(usize, usize, f64)> = Vec::with_capacity(3 * rd);
    for (i, &ph) in phir.iter().enumerate() {
        if ph != 0.0 {
            tr.push((i, 0, ph));
        }
        if i + 1 < r {
            tr.push((i, i + 1, 1.0));
        }
    }
    tr.push((r, 0, 1.0));
    for (j, &dj) in delta.iter().enumerate() {
        if dj != 0.0 {
            tr.push((r, r + j, dj));
        }
    }
    for i in 1..nd {
        tr.push((r + i, r + i - 1, 1.0));
    }
    let mut p = vec![0.0; rd * rd];
    for i in 0..r {
        p[i * rd..i * rd + r].copy_from_slice(&q0[i * r..(i + 1) * r]);
    }
    for i in r..rd {
        p[i * rd + i] = KAPPA;
    }
    let mut a = vec![0.0; rd];
    let mut tp = vec![0.0; rd * rd];
    let mut mvec = vec![0.0; rd];
    let mut out = Vec::with_capacity(nd);
    for (l, &y) in z.iter().take(nd).enumerate() {
        if l > 0 {
            // a <- T a ; P <- T P T' + V
            let mut an = vec![0.0; rd];
            for &(i, k, v) in &tr {
                an[i] += v * a[k];
            }
            a = an;
            tp.iter_mut().for_each(|v| *v = 0.0);
            for &(i, k, v) in &tr {
                for j in 0..rd {
                    tp[i * rd + j] += v * p[k * rd + j];
                }
            }
            p.iter_mut().for_each(|v| *v = 0.0);
            for &(j, k, v) in &tr {
                for i in 0..rd {
                    p[i * rd + j] += tp[i * rd + k] * v;
                }
            }
            for i in 0..r {
                for j in 0..r {
                    p[i * rd + j] += rvec[i] * rvec[j];
                }
            }
        }
        // Z = (1, 0, …, 0, δ)
        let mut resid = y - a[0];
        for (j, &dj) in delta.iter().enumerate() {
            resid -= dj * a[r + j];
        }
        for (i, m) in mvec.iter_mut().enumerate() {
            let mut v = p[i * rd];
            for (j, &dj) in delta.iter().enumerate() {
                v += dj * p[i * rd + r + j];
            }
            *m = v;
        }
        let mut gain = mvec[0];
        for (j, &dj) in delta.iter().enumerate() {
            gain += dj * mvec[r + j];
        }
        if gain.is_nan() || gain <= 0.0 {
            out.push(0.0);
            continue;
        }
        out.push(resid / gain.sqrt());
        for i in 0..rd {
            a[i] += mvec[i] * resid / gain;
        }
        for i in 0..rd {
            for j in 0..rd {
                p[i * rd + j] -= mvec[i] * mvec[j] / gain;
            }
        }
    }
    out
}

/// Forward-difference gradient on the optimizer's scale, given `f(x) = f0` (R's `optim`
/// uses central differences with step 1e-3; forward steps of 1e-7 are as accurate here
/// and cost half as many likelihoods).
fn fd_gradient<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x: &[f64],
    f0: f64,
    g: &mut [f64],
    xp: &mut [f64],
) {
    xp.copy_from_slice(x);
    for i in 0..x.len() {
        let h = 1e-7 * x[i].abs().max(1.0);
        xp[i] = x[i] + h;
        let fp = f(xp);
        xp[i] = x[i];
        g[i] = (fp - f0) / h;
    }
}

fn minimize<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    opts: &OptimOptions,
) -> crate::math::optim::Minimum {
    let mut xp = vec![0.0; x0.len()];
    bfgs(
        |x: &[f64], g: &mut [f64]| {
            let v = f(x);
            if v.is_finite() {
                fd_gradient(&mut f, x, v, g, &mut xp);
            }
            v
        },
        x0,
        opts,
    )
}

/// Stopping rules: the ML stage to a gradient of 1e-5 on the per-observation objective
/// (coefficients to about 1e-5), the CSS start more loosely, at most 100 iterations (R's
/// `maxit`).
const ML_OPTIONS: OptimOptions = OptimOptions {
    max_iter: 100,
    gtol: 1e-5,
    ftol: 1e-10,
};
const CSS_START_OPTIONS: OptimOptions = OptimOptions {
    max_iter: 100,
    gtol: 1e-4,
    ftol: 1e-8,
};

/// The outcome of a fit before the convergence policy is applied.
struct RawFit {
    model: FittedArima,
    converged: bool,
    iterations: usize,
    message: &'static str,
}

fn insufficient(reason: String) -> Error {
    Error::InsufficientData {
        model: MODEL,
        reason,
    }
}

/// All-equal test as R's `is.constant` (all.equal with tolerance 1.5e-8).
fn is_constant(x: &[f64]) -> bool {
    if x.is_empty() {
        return true;
    }
    let x0 = x[0];
    let diff: f64 = x.iter().map(|v| (v - x0).abs()).sum();
    let scale: f64 = x.iter().map(|v| v.abs()).sum();
    let n = x.len() as f64;
    if scale / n > 1.5e-8 {
        diff / scale < 1.5e-8
    } else {
        diff / n < 1.5e-8
    }
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Validated data and optimized coefficients of one fit.
struct Estimate {
    dx: Vec<f64>,
    creg: f64,
    const_scale: f64,
    /// The optimizer's vector (AR parts transformed when `transformed`).
    z: Vec<f64>,
    /// Coefficients in R's order.
    nat: Vec<f64>,
    transformed: bool,
    converged: bool,
    iterations: usize,
    message: &'static str,
    /// Coefficients given rather than estimated: no Hessian.
    fixed: bool,
}

impl Estimate {
    fn problem(&self, spec: &Spec) -> Problem<'_> {
        Problem {
            spec: *spec,
            dx: &self.dx,
            creg: self.creg,
            const_scale: self.const_scale,
        }
    }
}

/// The differenced series, or [`Error::InsufficientData`] when it is too short for the
/// model's coefficients and variance.
fn differenced(x: &[f64], spec: &Spec) -> Result<Vec<f64>> {
    let n = x.len();
    let nd = spec.n_diff();
    if n <= nd {
        return Err(insufficient(format!(
            "{n} observations leave none after {} differences",
            nd
        )));
    }
    let dx = difference(x, spec.d, spec.sd, spec.m);
    let n_used = dx.len();
    let k = spec.n_free() + 1;
    if n_used < k + 1 || n_used <= spec.p_full() {
        return Err(insufficient(format!(
            "{n_used} observations after differencing for {} coefficients and the variance (need at least {}{})",
            spec.n_free(),
            k + 1,
            if spec.p_full() > k {
                format!(", and more than p + mP = {}", spec.p_full())
            } else {
                String::new()
            }
        )));
    }
    Ok(dx)
}

/// The model at given coefficients (R's order, checked here), without optimizing.
fn evaluate_fixed(x: &[f64], spec: &Spec, coefs: &[f64]) -> Result<FittedArima> {
    crate::validate::same_len("coefficients", spec.n_coef(), coefs.len())?;
    crate::forecast::check_all_finite("coefficients", coefs)?;
    let (p, q, sp) = (spec.p, spec.q, spec.sp);
    for (part, ar) in [
        ("AR", &coefs[..p]),
        ("seasonal AR", &coefs[p + q..p + q + sp]),
    ] {
        if !ar_roots_outside(ar, 1.0) {
            return Err(Error::InvalidParameter {
                name: "coefficients",
                value: format!("{ar:?}"),
                reason: format!(
                    "the {part} part is not stationary (a root on or inside the unit circle)"
                ),
            });
        }
    }
    let dx = differenced(x, spec)?;
    let est = Estimate {
        creg: spec.creg(),
        const_scale: 1.0,
        dx,
        z: coefs.to_vec(),
        nat: coefs.to_vec(),
        transformed: spec.method != Method::Css,
        converged: false,
        iterations: 0,
        message: "fixed coefficients",
        fixed: true,
    };
    finish(x, spec, &est)
}

/// Validates, then optimizes (CSS and/or ML as `spec.method` says).
fn estimate(x: &[f64], spec: &Spec) -> Result<Estimate> {
    let dx = differenced(x, spec)?;
    let n_used = dx.len();
    if spec.n_arma() > 0 && is_constant(&dx) {
        return Err(insufficient(
            "the differenced series is constant: AR and MA terms cannot be estimated; fit ARIMA(0,d,0) with a constant".into(),
        ));
    }
    let creg = spec.creg();
    let mut problem = Problem {
        spec: *spec,
        dx: &dx,
        creg,
        const_scale: 1.0,
    };
    let n_arma = spec.n_arma();
    let nf = spec.n_free();
    // Initial values: zeros, and the constant by least squares on the differences.
    let mut init = vec![0.0; nf];
    if spec.constant {
        let beta = mean(&dx) / creg;
        let s2 = dx.iter().map(|v| (v - beta * creg).powi(2)).sum::<f64>() / (n_used as f64 - 1.0);
        let se = (s2 / (n_used as f64 * creg * creg)).sqrt();
        problem.const_scale = if se > 0.0 && se.is_finite() {
            10.0 * se
        } else {
            1.0
        };
        init[n_arma] = beta / problem.const_scale;
    }
    let mut ws = Work::new(spec, n_used);
    let mut nat = vec![0.0; spec.n_coef()];
    let (p, q, sp, sq) = (spec.p, spec.q, spec.sp, spec.sq);
    let mut converged = true;
    let mut iterations = 0;
    let mut message = "no free coefficients";

    let css_at = |z: &[f64], ws: &mut Work, nat: &mut [f64], problem: &Problem| {
        problem.natural(z, false, nat);
        problem.load(nat, ws);
        problem.css(ws)
    };

    // z: the optimizer's vector at the end; `transformed` says on which scale.
    let mut z = init.clone();
    let transformed;
    if spec.method == Method::Css {
        if nf > 0 {
            let res = minimize(
                |zz| css_at(zz, &mut ws, &mut nat, &problem),
                &init,
                &ML_OPTIONS,
            );
            converged = res.converged;
            iterations = res.iterations;
            message = res.message;
            z = res.x;
        }
        transformed = false;
    } else {
        if spec.method == Method::CssMl && nf > 0 {
            let res = minimize(
                |zz| css_at(zz, &mut ws, &mut nat, &problem),
                &init,
                &CSS_START_OPTIONS,
            );
            if res.converged {
                z = res.x;
            }
            if !ar_roots_outside(&z[..p], 1.0) {
                return Err(insufficient(
                    "the conditional-sum-of-squares start has a non-stationary AR part (as R's arima); try Method::Ml".into(),
                ));
            }
            if !ar_roots_outside(&z[p + q..p + q + sp], 1.0) {
                return Err(insufficient(
                    "the conditional-sum-of-squares start has a non-stationary seasonal AR part (as R's arima); try Method::Ml".into(),
                ));
            }
        }
        // To the transformed scale, with invertible MA parts.
        let Some(ar_raw) = invpartrans(&z[..p]) else {
            return Err(insufficient("non-stationary AR start".into()));
        };
        let Some(sar_raw) = invpartrans(&z[p + q..p + q + sp]) else {
            return Err(insufficient("non-stationary seasonal AR start".into()));
        };
        z[..p].copy_from_slice(&ar_raw);
        z[p + q..p + q + sp].copy_from_slice(&sar_raw);
        ma_invert(&mut z[p..p + q]);
        ma_invert(&mut z[p + q + sp..p + q + sp + sq]);
        if nf > 0 {
            let res = minimize(
                |zz| {
                    problem.natural(zz, true, &mut nat);
                    problem.load(&nat, &mut ws);
                    problem.ml(&mut ws)
                },
                &z,
                &ML_OPTIONS,
            );
            converged = res.converged;
            iterations = res.iterations;
            message = res.message;
            z = res.x;
        }
        transformed = true;
    }
    problem.natural(&z, transformed, &mut nat);
    // Invertible MA parts (same likelihood), then back to the optimizer's scale.
    if transformed {
        ma_invert(&mut nat[p..p + q]);
        ma_invert(&mut nat[p + q + sp..p + q + sp + sq]);
        z[p..p + q].copy_from_slice(&nat[p..p + q]);
        z[p + q + sp..p + q + sp + sq].copy_from_slice(&nat[p + q + sp..p + q + sp + sq]);
    }

    Ok(Estimate {
        creg,
        const_scale: problem.const_scale,
        dx,
        z,
        nat,
        transformed,
        converged,
        iterations,
        message,
        fixed: false,
    })
}

/// Log-likelihood and σ² of an estimate without residuals or standard errors (what the
/// automatic search compares).
fn light(spec: &Spec, est: &Estimate) -> Option<(f64, f64)> {
    let problem = est.problem(spec);
    let mut ws = Work::new(spec, est.dx.len());
    problem.load(&est.nat, &mut ws);
    let nu = est.dx.len() as f64;
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    if spec.method == Method::Css {
        let obj = problem.css(&mut ws);
        let ll = -0.5 * (2.0 * nu * obj + nu + nu * ln2pi);
        Some((ll, (2.0 * obj).exp()))
    } else {
        let (ssq, sumlog) = problem.ml_sums(&mut ws)?;
        let s2 = ssq / nu;
        Some((-0.5 * (nu * s2.ln() + sumlog + nu + nu * ln2pi), s2))
    }
}

fn fit_spec(x: &[f64], spec: &Spec) -> Result<RawFit> {
    let est = estimate(x, spec)?;
    let model = finish(x, spec, &est)?;
    Ok(RawFit {
        model,
        converged: est.converged,
        iterations: est.iterations,
        message: est.message,
    })
}

/// Standard errors, residuals, likelihood and the filtered state of an estimate.
fn finish(x: &[f64], spec: &Spec, est: &Estimate) -> Result<FittedArima> {
    let problem = est.problem(spec);
    let n = x.len();
    let nd = spec.n_diff();
    let n_used = est.dx.len();
    let nf = spec.n_free();
    let n_arma = spec.n_arma();
    let z = &est.z;
    let nat = &est.nat;
    let transformed = est.transformed;
    let mut ws = Work::new(spec, n_used);
    // Covariance of the estimates: inverse Hessian (times n_used) on the optimizer's
    // scale, mapped to the natural scale by the Jacobian.
    let nc = spec.n_coef();
    let mut covariance = vec![f64::NAN; nc * nc];
    let mut std_errors = vec![f64::NAN; nc];
    if nf > 0 && !est.fixed {
        let mut nat2 = vec![0.0; nc];
        let hess = numerical_hessian(
            |zz: &[f64]| {
                problem.natural(zz, transformed, &mut nat2);
                problem.load(&nat2, &mut ws);
                if transformed {
                    problem.ml(&mut ws)
                } else {
                    problem.css(&mut ws)
                }
            },
            z,
        );
        let scaled: Vec<f64> = hess.iter().map(|h| h * n_used as f64).collect();
        if let Some(inv) = cholesky_inverse(&scaled, nf) {
            // Jacobian d nat / d z (nf x nf), central differences.
            let mut jac = vec![0.0; nf * nf];
            let mut zp = z.clone();
            let mut np_ = vec![0.0; nc];
            let mut nm_ = vec![0.0; nc];
            for j in 0..nf {
                let h = 1e-6 * z[j].abs().max(1.0);
                zp[j] = z[j] + h;
                problem.natural(&zp, transformed, &mut np_);
                zp[j] = z[j] - h;
                problem.natural(&zp, transformed, &mut nm_);
                zp[j] = z[j];
                for i in 0..nf {
                    jac[i * nf + j] = (np_[i] - nm_[i]) / (2.0 * h);
                }
            }
            // J inv J'
            for i in 0..nf {
                for j in 0..nf {
                    let mut s = 0.0;
                    for a in 0..nf {
                        for b in 0..nf {
                            s += jac[i * nf + a] * inv[a * nf + b] * jac[j * nf + b];
                        }
                    }
                    covariance[i * nc + j] = s;
                }
            }
            for i in 0..nf {
                let v = covariance[i * nc + i];
                std_errors[i] = if v >= 0.0 { v.sqrt() } else { f64::NAN };
            }
        }
    }
    if spec.fixed_constant.is_some() {
        let i = nc - 1;
        for j in 0..nc {
            covariance[i * nc + j] = 0.0;
            covariance[j * nc + i] = 0.0;
        }
        std_errors[i] = 0.0;
    }

    // Final pass: residuals, σ², likelihood, filtered state.
    problem.load(nat, &mut ws);
    let nu = n_used as f64;
    let out = problem
        .full_filter(&mut ws)
        .ok_or_else(|| insufficient("the fitted model has a degenerate state covariance".into()))?;
    let (sigma2, log_likelihood, resid_w) = if spec.method == Method::Css {
        let obj = problem.css(&mut ws);
        let ncond = spec.p_full();
        let s2 = (2.0 * obj).exp();
        let ll = -0.5 * (2.0 * nu * obj + nu + nu * (2.0 * std::f64::consts::PI).ln());
        let mut res = ws.resid.clone();
        res[..ncond].iter_mut().for_each(|v| *v = 0.0);
        (s2, ll, res)
    } else {
        let s2 = out.ssq / nu;
        let ll = -0.5 * (nu * s2.ln() + out.sumlog + nu + nu * (2.0 * std::f64::consts::PI).ln());
        (s2, ll, out.resid.clone())
    };
    let mut residuals = vec![0.0; n];
    residuals[nd..].copy_from_slice(&resid_w);
    let kind = spec.kind();
    let cval = if spec.has_constant() {
        nat[n_arma]
    } else {
        0.0
    };
    let adj = |t: usize| match kind {
        ConstantKind::None => x[t],
        ConstantKind::Mean => x[t] - cval,
        ConstantKind::Drift => x[t] - cval * (t + 1) as f64,
    };
    let delta = delta_poly(spec.d, spec.sd, spec.m);
    if nd > 0 && spec.method != Method::Css {
        let z: Vec<f64> = (0..nd).map(adj).collect();
        let start = diffuse_start_residuals(&z, &out.q0, &ws.phir, &ws.rvec, &delta);
        residuals[..nd].copy_from_slice(&start);
    }
    let fitted: Vec<f64> = x.iter().zip(&residuals).map(|(y, e)| y - e).collect();
    let tail: Vec<f64> = (0..delta.len()).map(|i| adj(n - 1 - i)).collect();
    let report = FitReport::new(
        log_likelihood,
        nf + 1,
        n_used as f64,
        None,
        est.iterations,
        est.converged,
    );
    let ssr: f64 = residuals.iter().map(|e| e * e).sum();
    let residual_variance = ssr / (n_used - nf) as f64;
    let mut model = FittedArima {
        order: spec.order(),
        method: spec.method,
        names: spec.names(),
        coef: nat.clone(),
        std_errors,
        covariance,
        sigma2,
        residual_variance,
        report,
        n_used,
        residuals,
        fitted,
        phi: ws.phi.clone(),
        theta: ws.theta.clone(),
        delta,
        state: out.state,
        state_cov: out.cov,
        tail,
        constant: kind,
        constant_value: cval,
        n,
    };
    model.report.standard_errors = model.report_errors(nf + 1);
    Ok(model)
}

// ---------------------------------------------------------------------------------------
// Automatic selection.

pub use super::Criterion;

/// Builder for the automatic ARIMA search (R's `forecast::auto.arima`), from
/// [`Arima::auto`].
///
/// 1. A constant series gives ARIMA(0,0,0) with its value as a fixed mean.
/// 2. Seasonal differences `D` (at most `max_seasonal_d`, only when `m > 1` and the series
///    is longer than `2m`): differenced while the seasonal strength exceeds 0.64 (R's
///    default `nsdiffs` test "seas"). The strength is `max(0, 1 - var(R) / var(R + S))`
///    for the remainder `R` and seasonal `S` of an [STL](crate::forecast::decompose)
///    decomposition with a seasonal window of 11 and R's other `stl()` defaults, as
///    R's `nsdiffs` measures it (`mstl`); 0 when the series is not longer than `2m`.
/// 3. Differences `d` (at most `max_d`): differenced while the KPSS level-stationarity
///    statistic (Bartlett window, `trunc(3 sqrt(n) / 13)` lags, as `urca::ur.kpss` in
///    R's `ndiffs`) exceeds its 5% critical value 0.463.
/// 4. A differenced series that is constant gives ARIMA(0,d,0)(0,D,0) with the constant
///    fixed at the mean difference (when `d + D <= 1`), as R.
/// 5. Stepwise search (R's): the starting models ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0),
///    (1,d,0)(1,D,0), (0,d,1)(0,D,1) with a constant when `d + D <= 1`, and
///    (0,d,0)(0,D,0) without; then from the best model its neighbours (P±1, Q±1, both,
///    p±1, q±1, both, the constant toggled), moving to the first improvement, until no
///    neighbour improves or 94 models were fitted. Orders are capped at `max_p` = 5,
///    `max_q` = 5, `max_seasonal_p` = 2, `max_seasonal_q` = 2 (and a third of the series
///    length, in seasons for P and Q; p and q below m when seasonal terms are allowed).
///    With [`stepwise(false)`](Self::stepwise) every model with
///    `p + q + P + Q <= max_order` is fitted instead.
/// 6. Each candidate is fitted by CSS then ML (or CSS alone when `approximation` holds,
///    by default for series longer than 150 or with `m > 12`, the winner then refitted by
///    ML); a candidate that fails, or whose AR or MA polynomial has a root within 1.01
///    of the unit circle, is skipped.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::forecast::{arima::Arima, Series};
/// // A random walk with drift and a seasonal pattern.
/// let y: Vec<f64> = (0..96)
///     .map(|t| 200.0 + 1.5 * t as f64 + 20.0 * ((t % 12) as f64 - 5.5).abs()
///         + ((t * 7919) % 17) as f64)
///     .collect();
/// let model = Arima::auto().fit(&Series::new(&y, 12)?)?;
/// println!("{} AICc {:.2}", model.order(), model.report().aicc);
/// let f = model.forecast(12, &[0.8, 0.95])?;
/// assert_eq!(f.mean.len(), 12);
/// # Ok::<(), patronage::Error>(())
/// ```
///
#[derive(Debug, Clone, PartialEq)]
pub struct AutoArima {
    max_p: usize,
    max_q: usize,
    max_sp: usize,
    max_sq: usize,
    max_order: usize,
    max_d: usize,
    max_sd: usize,
    d: Option<usize>,
    sd: Option<usize>,
    stepwise: bool,
    approximation: Option<bool>,
    allow_drift: bool,
    allow_mean: bool,
    seasonal: bool,
    criterion: Criterion,
    period: Option<usize>,
    nmodels: usize,
}

impl Default for AutoArima {
    fn default() -> Self {
        AutoArima {
            max_p: 5,
            max_q: 5,
            max_sp: 2,
            max_sq: 2,
            max_order: 5,
            max_d: 2,
            max_sd: 1,
            d: None,
            sd: None,
            stepwise: true,
            approximation: None,
            allow_drift: true,
            allow_mean: true,
            seasonal: true,
            criterion: Criterion::Aicc,
            period: None,
            nmodels: 94,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Cand {
    p: usize,
    q: usize,
    sp: usize,
    sq: usize,
    constant: bool,
}

impl AutoArima {
    /// Largest non-seasonal AR and MA orders (default 5 each).
    pub fn max_pq(mut self, p: usize, q: usize) -> Self {
        self.max_p = p;
        self.max_q = q;
        self
    }

    /// Largest seasonal AR and MA orders (default 2 each).
    pub fn max_seasonal_pq(mut self, p: usize, q: usize) -> Self {
        self.max_sp = p;
        self.max_sq = q;
        self
    }

    /// Largest `p + q + P + Q` in the exhaustive search (default 5).
    pub fn max_order(mut self, order: usize) -> Self {
        self.max_order = order;
        self
    }

    /// Fixes the number of differences instead of testing for it.
    pub fn d(mut self, d: usize) -> Self {
        self.d = Some(d);
        self
    }

    /// Fixes the number of seasonal differences instead of testing for it.
    pub fn seasonal_d(mut self, d: usize) -> Self {
        self.sd = Some(d);
        self
    }

    /// Largest number of differences the tests may choose (defaults 2 and 1).
    pub fn max_differences(mut self, d: usize, seasonal_d: usize) -> Self {
        self.max_d = d;
        self.max_sd = seasonal_d;
        self
    }

    /// Stepwise search (default) or every model up to [`max_order`](Self::max_order).
    pub fn stepwise(mut self, stepwise: bool) -> Self {
        self.stepwise = stepwise;
        self
    }

    /// Compare candidates by CSS (true) or by exact likelihood (false); by default true
    /// for series longer than 150 or with a period above 12, as R.
    pub fn approximation(mut self, approximation: bool) -> Self {
        self.approximation = Some(approximation);
        self
    }

    /// Whether a drift (`d + D = 1`) may be included (default true).
    pub fn allow_drift(mut self, allow: bool) -> Self {
        self.allow_drift = allow;
        self
    }

    /// Whether a mean (`d + D = 0`) may be included (default true).
    pub fn allow_mean(mut self, allow: bool) -> Self {
        self.allow_mean = allow;
        self
    }

    /// Whether seasonal models are considered (default true).
    pub fn seasonal(mut self, seasonal: bool) -> Self {
        self.seasonal = seasonal;
        self
    }

    /// The criterion to minimize (default AICc).
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// Overrides the seasonal period (otherwise the series' season length).
    pub fn period(mut self, m: usize) -> Self {
        self.period = Some(m);
        self
    }

    /// Chooses and fits a model (see the [type docs](AutoArima)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a period of 0 or a largest order above
    /// [`MAX_ORDER`]; [`Error::InsufficientData`] when differencing leaves no
    /// observations or no candidate model can be fitted; [`Error::LimitExceeded`] when
    /// the exhaustive search (`stepwise(false)`) would fit more than [`MAX_CANDIDATES`]
    /// models (counted before any is fitted); [`Error::InvalidValue`] for a series whose
    /// model is beyond the range of f64, as [`Arima::fit`]. A period beyond [`MAX_LAG`]
    /// gets a non-seasonal search, as a period of 1 does.
    pub fn fit(&self, series: &Series) -> Result<FittedArima> {
        // The search never returns NotConverged (a candidate that fails is skipped).
        rescaled(series, false, |s, _| self.fit_unscaled(s))
    }

    fn fit_unscaled(&self, series: &Series) -> Result<FittedArima> {
        let x = series.values();
        let n = x.len();
        let mut m = self.period.unwrap_or(series.season_length());
        if m == 0 {
            return Err(Error::InvalidParameter {
                name: "period",
                value: "0".into(),
                reason: "the seasonal period is at least 1".into(),
            });
        }
        for (name, p, q) in [
            ("max_pq", self.max_p, self.max_q),
            ("max_seasonal_pq", self.max_sp, self.max_sq),
        ] {
            if p.max(q) > MAX_ORDER {
                return Err(Error::InvalidParameter {
                    name,
                    value: format!("({p}, {q})"),
                    reason: format!("AR and MA orders are at most {MAX_ORDER}"),
                });
            }
        }
        if !self.seasonal || m > MAX_LAG {
            // No seasonal term fits within MAX_LAG (a seasonal difference alone reaches
            // lag m): the search is non-seasonal, as for a period of 1.
            m = 1;
        }
        if is_constant(x) {
            let spec = Spec {
                p: 0,
                d: 0,
                q: 0,
                sp: 0,
                sd: 0,
                sq: 0,
                m,
                constant: false,
                fixed_constant: self.allow_mean.then_some(x[0]),
                method: Method::CssMl,
            };
            return degenerate_or_fit(x, &spec);
        }
        let third = n / 3;
        let max_p0 = self.max_p.min(third);
        let max_q0 = self.max_q.min(third);
        let mut max_sp = self.max_sp.min(third / m);
        let mut max_sq = self.max_sq.min(third / m);
        let criterion = if n <= 3 {
            Criterion::Aic
        } else {
            self.criterion
        };
        let sd = if m == 1 {
            max_sp = 0;
            max_sq = 0;
            0
        } else if let Some(sd) = self.sd {
            sd
        } else if n <= 2 * m {
            0
        } else {
            nsdiffs(x, m, self.max_sd)
        };
        let mut dx = x.to_vec();
        for _ in 0..sd {
            dx = difference(&dx, 0, 1, m);
        }
        let d = match self.d {
            Some(d) => d,
            None => ndiffs(&dx, self.max_d),
        };
        for _ in 0..d {
            dx = difference(&dx, 1, 0, 1);
        }
        if dx.is_empty() {
            return Err(insufficient(format!(
                "{n} observations leave none after {d} differences and {sd} seasonal differences"
            )));
        }
        let base = Spec {
            p: 0,
            d,
            q: 0,
            sp: 0,
            sd,
            sq: 0,
            m,
            constant: false,
            fixed_constant: None,
            method: Method::CssMl,
        };
        if is_constant(&dx) {
            let spec = if sd > 0 && d == 0 {
                Spec {
                    fixed_constant: Some(mean(&dx) / m as f64),
                    ..base
                }
            } else if (sd > 0 && d > 0) || d == 2 {
                base
            } else if d < 2 {
                Spec {
                    fixed_constant: Some(mean(&dx)),
                    ..base
                }
            } else {
                return Err(insufficient(
                    "the series is a polynomial trend of high degree, not suitable for ARIMA"
                        .into(),
                ));
            };
            return degenerate_or_fit(x, &spec);
        }
        let (mut max_p, mut max_q) = (max_p0, max_q0);
        if m > 1 {
            if max_sp > 0 {
                max_p = max_p.min(m - 1);
            }
            if max_sq > 0 {
                max_q = max_q.min(m - 1);
            }
        }
        let approximation = self.approximation.unwrap_or(n > 150 || m > 12);
        let offset = if approximation {
            match fit_spec(x, &base) {
                Ok(f) => -2.0 * f.model.report.log_likelihood - n as f64 * f.model.sigma2.ln(),
                Err(_) => 0.0,
            }
        } else {
            0.0
        };
        let allow_drift = self.allow_drift && d + sd == 1;
        let allow_mean = self.allow_mean && d + sd == 0;
        let ctx = Search {
            x,
            d,
            sd,
            m,
            approximation,
            offset,
            criterion,
        };
        let best = if !self.stepwise {
            let max_k = allow_drift || allow_mean;
            let count = count_candidates([max_p, max_q, max_sp, max_sq], self.max_order)
                .saturating_mul(1 + u64::from(max_k));
            if count > MAX_CANDIDATES as u64 {
                return Err(Error::LimitExceeded {
                    what: "models of the exhaustive ARIMA search",
                    size: count,
                    limit: MAX_CANDIDATES as u64,
                    hint: "lower max_order or the largest orders, or use the stepwise search",
                });
            }
            let mut best: Option<(f64, Cand)> = None;
            for i in 0..=max_p {
                for j in 0..=max_q {
                    for ii in 0..=max_sp {
                        for jj in 0..=max_sq {
                            if i + j + ii + jj > self.max_order {
                                continue;
                            }
                            for kk in 0..=usize::from(max_k) {
                                let c = Cand {
                                    p: i,
                                    q: j,
                                    sp: ii,
                                    sq: jj,
                                    constant: kk == 1,
                                };
                                if let Some(ic) = ctx.candidate(c)
                                    && best.is_none_or(|b| ic < b.0)
                                {
                                    best = Some((ic, c));
                                }
                            }
                        }
                    }
                }
            }
            best
        } else {
            let constant = allow_drift || allow_mean;
            let start = if n < 10 { 1 } else { 2 };
            let caps = Caps {
                max_p,
                max_q,
                max_sp,
                max_sq,
            };
            ctx.stepwise(
                Cand {
                    p: start.min(max_p),
                    q: start.min(max_q),
                    sp: 1.min(max_sp),
                    sq: 1.min(max_sq),
                    constant,
                },
                caps,
                allow_drift || allow_mean,
                self.nmodels,
            )
        };
        let Some((_, cand)) = best else {
            return Err(insufficient("no candidate model could be fitted".into()));
        };
        let exact = Search {
            approximation: false,
            ..ctx
        };
        if approximation {
            match exact.candidate(cand) {
                Some(_) => {}
                None => {
                    return AutoArima {
                        approximation: Some(false),
                        d: Some(d),
                        sd: Some(sd),
                        stepwise: true,
                        ..self.clone()
                    }
                    .fit_unscaled(series);
                }
            }
        }
        exact
            .final_fit(cand)
            .ok_or_else(|| insufficient("the chosen model could not be refitted".into()))
    }
}

/// The number of orders `(p, q, P, Q)` with each at most its cap and
/// `p + q + P + Q <= max_order`, counted without listing them: for each `(p, q)`, the
/// `(P, Q)` pairs in the box under the diagonal `P + Q <= rest`, a column at a time (at
/// most `(MAX_ORDER + 1)³` steps; every count fits in a u64).
fn count_candidates(caps: [usize; 4], max_order: usize) -> u64 {
    let [cp, cq, csp, csq] = caps.map(|c| c.min(MAX_ORDER) as u64);
    let max_order = max_order as u64;
    let mut total = 0u64;
    for p in 0..=cp {
        for q in 0..=cq {
            let Some(rest) = max_order.checked_sub(p + q) else {
                continue;
            };
            for sp in 0..=csp.min(rest) {
                total += csq.min(rest - sp) + 1;
            }
        }
    }
    total
}

#[derive(Clone, Copy)]
struct Caps {
    max_p: usize,
    max_q: usize,
    max_sp: usize,
    max_sq: usize,
}

#[derive(Clone, Copy)]
struct Search<'a> {
    x: &'a [f64],
    d: usize,
    sd: usize,
    m: usize,
    approximation: bool,
    offset: f64,
    criterion: Criterion,
}

impl Search<'_> {
    fn spec(&self, c: Cand) -> Spec {
        Spec {
            p: c.p,
            d: self.d,
            q: c.q,
            sp: c.sp,
            sd: self.sd,
            sq: c.sq,
            m: self.m,
            constant: c.constant && self.d + self.sd <= 1,
            fixed_constant: None,
            method: if self.approximation {
                Method::Css
            } else {
                Method::CssMl
            },
        }
    }

    /// R's `myarima`: fits a candidate and returns its criterion, or None for a model
    /// that fails or has an AR or MA root within 1.01 of the unit circle.
    fn candidate(&self, c: Cand) -> Option<f64> {
        let spec = self.spec(c);
        let est = estimate(self.x, &spec).ok()?;
        let (ll, sigma2) = light(&spec, &est)?;
        let nstar = self.x.len() - spec.n_diff();
        let npar = spec.n_free() + 1;
        let (nf, kf) = (nstar as f64, npar as f64);
        let aic = if self.approximation {
            self.offset + nf * sigma2.ln() + 2.0 * kf
        } else {
            -2.0 * ll + 2.0 * kf
        };
        let bic = aic + kf * (nf.ln() - 2.0);
        let aicc = aic + 2.0 * kf * (kf + 1.0) / (nf - kf - 1.0);
        let ic = match self.criterion {
            Criterion::Aic => aic,
            Criterion::Aicc => aicc,
            Criterion::Bic => bic,
        };
        let (p, q, sp, sq) = (c.p, c.q, c.sp, c.sq);
        let coef = &est.nat;
        let rho: f64 = 1.01;
        let rho_s = rho.powi(self.m as i32);
        let neg: Vec<f64> = coef[p..p + q].iter().map(|v| -v).collect();
        let sneg: Vec<f64> = coef[p + q + sp..p + q + sp + sq]
            .iter()
            .map(|v| -v)
            .collect();
        let ok = ar_roots_outside(&coef[..p], rho)
            && ar_roots_outside(&coef[p + q..p + q + sp], rho_s)
            && ar_roots_outside(&neg, rho)
            && ar_roots_outside(&sneg, rho_s);
        (ok && ic.is_finite()).then_some(ic)
    }

    /// The full fit (standard errors, residuals, state) of a chosen candidate.
    fn final_fit(&self, c: Cand) -> Option<FittedArima> {
        let spec = self.spec(c);
        let est = estimate(self.x, &spec).ok()?;
        finish(self.x, &spec, &est).ok()
    }

    fn stepwise(
        &self,
        start: Cand,
        caps: Caps,
        toggle_constant: bool,
        nmodels: usize,
    ) -> Option<(f64, Cand)> {
        let mut tried: Vec<Cand> = Vec::with_capacity(nmodels);
        let mut best: Option<(f64, Cand)> = None;
        let mut current = start;
        let consider = |c: Cand, tried: &mut Vec<Cand>, best: &mut Option<(f64, Cand)>| -> bool {
            tried.push(c);
            if let Some(ic) = self.candidate(c)
                && best.is_none_or(|b| ic < b.0)
            {
                *best = Some((ic, c));
                return true;
            }
            false
        };
        let Caps {
            max_p,
            max_q,
            max_sp,
            max_sq,
        } = caps;
        let m1 = self.m > 1;
        // Starting models.
        consider(start, &mut tried, &mut best);
        let null = Cand {
            p: 0,
            q: 0,
            sp: 0,
            sq: 0,
            constant: start.constant,
        };
        if consider(null, &mut tried, &mut best) {
            current = null;
        }
        if max_p > 0 || max_sp > 0 {
            let c = Cand {
                p: usize::from(max_p > 0),
                q: 0,
                sp: usize::from(m1 && max_sp > 0),
                sq: 0,
                constant: start.constant,
            };
            if consider(c, &mut tried, &mut best) {
                current = c;
            }
        }
        if max_q > 0 || max_sq > 0 {
            let c = Cand {
                p: 0,
                q: usize::from(max_q > 0),
                sp: 0,
                sq: usize::from(m1 && max_sq > 0),
                constant: start.constant,
            };
            if consider(c, &mut tried, &mut best) {
                current = c;
            }
        }
        if start.constant {
            let c = Cand {
                constant: false,
                ..null
            };
            if consider(c, &mut tried, &mut best) {
                current = c;
            }
        }
        let mut startk = 0;
        while startk < tried.len() && tried.len() < nmodels {
            startk = tried.len();
            let cur = current;
            let mut moves: Vec<Cand> = Vec::with_capacity(17);
            let with = |dp: isize, dq: isize, dsp: isize, dsq: isize| -> Option<Cand> {
                let p = cur.p as isize + dp;
                let q = cur.q as isize + dq;
                let sp = cur.sp as isize + dsp;
                let sq = cur.sq as isize + dsq;
                if p < 0
                    || q < 0
                    || sp < 0
                    || sq < 0
                    || p > max_p as isize
                    || q > max_q as isize
                    || sp > max_sp as isize
                    || sq > max_sq as isize
                {
                    return None;
                }
                Some(Cand {
                    p: p as usize,
                    q: q as usize,
                    sp: sp as usize,
                    sq: sq as usize,
                    constant: cur.constant,
                })
            };
            for (dp, dq, dsp, dsq) in [
                (0, 0, -1, 0),
                (0, 0, 0, -1),
                (0, 0, 1, 0),
                (0, 0, 0, 1),
                (0, 0, -1, -1),
                (0, 0, -1, 1),
                (0, 0, 1, -1),
                (0, 0, 1, 1),
                (-1, 0, 0, 0),
                (0, -1, 0, 0),
                (1, 0, 0, 0),
                (0, 1, 0, 0),
                (-1, -1, 0, 0),
                (-1, 1, 0, 0),
                (1, -1, 0, 0),
                (1, 1, 0, 0),
            ] {
                if let Some(c) = with(dp, dq, dsp, dsq) {
                    moves.push(c);
                }
            }
            if toggle_constant {
                moves.push(Cand {
                    constant: !cur.constant,
                    ..cur
                });
            }
            for c in moves {
                if tried.contains(&c) {
                    continue;
                }
                if tried.len() >= nmodels {
                    break;
                }
                if consider(c, &mut tried, &mut best) {
                    current = c;
                    break;
                }
            }
        }
        best
    }
}

/// A model whose differenced series is exactly constant: no optimization, σ² from the
/// residuals (0 for an exact fit, whose likelihood is infinite, as in R).
fn degenerate_or_fit(x: &[f64], spec: &Spec) -> Result<FittedArima> {
    fit_spec(x, spec).map(|f| f.model)
}

// ---------------------------------------------------------------------------------------
// Unit-root and seasonality tests.

/// KPSS level-stationarity statistic with a Bartlett window of `trunc(3 sqrt(n)/13)` lags
/// (as `urca::ur.kpss(type = "mu")` called by R's `ndiffs`).
fn kpss_statistic(x: &[f64]) -> f64 {
    let n = x.len();
    let nf = n as f64;
    let mu = mean(x);
    let e: Vec<f64> = x.iter().map(|v| v - mu).collect();
    let mut s = 0.0;
    let mut num = 0.0;
    for v in &e {
        s += v;
        num += s * s;
    }
    num /= nf * nf;
    let lmax = (3.0 * nf.sqrt() / 13.0).trunc() as usize;
    let mut den = e.iter().map(|v| v * v).sum::<f64>() / nf;
    for lag in 1..=lmax.min(n.saturating_sub(1)) {
        let cov: f64 = (lag..n).map(|t| e[t] * e[t - lag]).sum();
        den += 2.0 / nf * (1.0 - lag as f64 / (lmax as f64 + 1.0)) * cov;
    }
    num / den
}

/// Number of differences by repeated KPSS tests at the 5% level (R's `ndiffs`).
fn ndiffs(x: &[f64], max_d: usize) -> usize {
    let mut d = 0;
    if x.len() < 2 || is_constant(x) {
        return 0;
    }
    // p-value < 0.05 exactly when the statistic exceeds the 5% critical value.
    let dodiff = |x: &[f64]| {
        let s = kpss_statistic(x);
        s.is_finite() && s > 0.463
    };
    let mut cur = x.to_vec();
    let mut go = dodiff(&cur);
    while go && d < max_d {
        d += 1;
        cur = difference(&cur, 1, 0, 1);
        if cur.len() < 2 || is_constant(&cur) {
            return d;
        }
        go = dodiff(&cur);
    }
    d
}

/// Seasonal strength `max(0, 1 - var(R) / var(R + S))` of an STL decomposition with a
/// seasonal window of 11 (R's `forecast:::seas.heuristic`, which runs `mstl(x)`: for one
/// seasonal period that is `stl(x, s.window = 11)` with `stl()`'s other defaults). 0 when
/// STL cannot run (not more than two seasons), as R's `nsdiffs` falls back to no
/// difference when its test fails.
fn seasonal_strength(x: &[f64], m: usize) -> f64 {
    Stl::params(m, SeasonalWindow::Span(11))
        .fit(x)
        .map_or(0.0, |fit| fit.seasonal_strength())
}

/// Number of seasonal differences: while the seasonal strength exceeds 0.64 (R's
/// `nsdiffs(test = "seas")`).
fn nsdiffs(x: &[f64], m: usize, max_sd: usize) -> usize {
    if is_constant(x) || m >= x.len() {
        return 0;
    }
    let mut sd = 0;
    let mut cur = x.to_vec();
    let mut go = seasonal_strength(&cur, m) > 0.64;
    while go && sd < max_sd {
        sd += 1;
        cur = difference(&cur, 0, 1, m);
        if is_constant(&cur) {
            return sd;
        }
        go = cur.len() >= 2 * m && sd < max_sd && seasonal_strength(&cur, m) > 0.64;
    }
    sd
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    fn airline_spec() -> Spec {
        Spec {
            p: 1,
            d: 1,
            q: 1,
            sp: 1,
            sd: 1,
            sq: 1,
            m: 4,
            constant: false,
            fixed_constant: None,
            method: Method::Ml,
        }
    }

    #[test]
    fn candidate_count_matches_the_search_loops() {
        for caps in [[5, 5, 2, 2], [0, 0, 0, 0], [11, 11, 4, 4], [3, 0, 1, 7]] {
            for max_order in [0, 1, 5, 8, 30, usize::MAX] {
                let mut brute = 0u64;
                for i in 0..=caps[0] {
                    for j in 0..=caps[1] {
                        for ii in 0..=caps[2] {
                            for jj in 0..=caps[3] {
                                if i + j + ii + jj <= max_order {
                                    brute += 1;
                                }
                            }
                        }
                    }
                }
                assert_eq!(
                    count_candidates(caps, max_order),
                    brute,
                    "{caps:?} {max_order}"
                );
            }
        }
        // R's auto.arima(stepwise = FALSE) defaults, with a constant: 192 models.
        assert_eq!(2 * count_candidates([5, 5, 2, 2], 5), 192);
        assert_eq!(
            count_candidates([MAX_ORDER; 4], usize::MAX),
            (MAX_ORDER as u64 + 1).pow(4)
        );
    }

    #[test]
    fn chandrasekhar_matches_covariance_filter() {
        let spec = airline_spec();
        let x: Vec<f64> = (0..60)
            .map(|t| ((t * 37 % 17) as f64).sin() * 3.0 + t as f64 * 0.1)
            .collect();
        let dx = difference(&x, 1, 1, 4);
        let problem = Problem {
            spec,
            dx: &dx,
            creg: 1.0,
            const_scale: 1.0,
        };
        let mut ws = Work::new(&spec, dx.len());
        problem.load(&[0.5, -0.3, -0.4, 0.6], &mut ws);
        let (ssq, sumlog) = problem.ml_sums(&mut ws).unwrap();
        let out = problem.full_filter(&mut ws).unwrap();
        assert!((ssq - out.ssq).abs() < 1e-9 * ssq, "{ssq} {}", out.ssq);
        assert!(
            (sumlog - out.sumlog).abs() < 1e-9,
            "{sumlog} {}",
            out.sumlog
        );
    }

    #[test]
    fn stationary_covariance_matches_brute_force() {
        // ARMA(2,1)(1,0,1)[4]: first column of sum_k T^k R R' T'^k.
        let spec = Spec {
            p: 2,
            d: 0,
            q: 1,
            sp: 1,
            sd: 0,
            sq: 1,
            m: 4,
            constant: false,
            fixed_constant: None,
            method: Method::Ml,
        };
        let dx = [0.0; 10];
        let problem = Problem {
            spec,
            dx: &dx,
            creg: 1.0,
            const_scale: 1.0,
        };
        let mut ws = Work::new(&spec, 10);
        problem.load(&[0.5, -0.2, 0.4, 0.3, -0.5], &mut ws);
        assert!(problem.stationary_start(&mut ws));
        let r = ws.r;
        let mut q = vec![0.0; r * r];
        let mut x = ws.rvec.clone(); // T^k R
        for _ in 0..2000 {
            for i in 0..r {
                for j in 0..r {
                    q[i * r + j] += x[i] * x[j];
                }
            }
            let mut nx = vec![0.0; r];
            for i in 0..r {
                nx[i] = ws.phir[i] * x[0] + if i + 1 < r { x[i + 1] } else { 0.0 };
            }
            x = nx;
        }
        for (j, (qj, gj)) in q.iter().zip(&ws.g).enumerate() {
            assert!((qj - gj).abs() < 1e-10, "{j}: {qj} vs {gj}");
        }
    }

    #[test]
    fn partrans_round_trip_and_stationarity() {
        let raw = [0.3, -1.2, 0.8];
        let mut phi = [0.0; 3];
        partrans(&raw, &mut phi);
        assert!(ar_roots_outside(&phi, 1.0));
        let back = invpartrans(&phi).unwrap();
        for (a, b) in raw.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(!ar_roots_outside(&[1.2], 1.0));
        assert!(!ar_roots_outside(&[0.5, 0.6], 1.0));
        assert!(ar_roots_outside(&[0.5, 0.3], 1.0));
        // A root at 1/0.995 = 1.005 is inside 1.01.
        assert!(!ar_roots_outside(&[0.995], 1.01));
    }

    #[test]
    fn ma_invert_reflects_roots() {
        let mut ma = [2.0];
        ma_invert(&mut ma);
        assert!((ma[0] - 0.5).abs() < 1e-15);
        // (1 + 2z)(1 + 0.5z) = 1 + 2.5z + z^2 -> (1 + 0.5z)^2 = 1 + z + 0.25 z^2
        let mut ma = [2.5, 1.0];
        ma_invert(&mut ma);
        assert!(
            (ma[0] - 1.0).abs() < 1e-9 && (ma[1] - 0.25).abs() < 1e-9,
            "{ma:?}"
        );
        let roots = polyroot(&[6.0, -5.0, 1.0]);
        let mut mods: Vec<f64> = roots.iter().map(|r| r.abs()).collect();
        mods.sort_by(f64::total_cmp);
        assert!((mods[0] - 2.0).abs() < 1e-10 && (mods[1] - 3.0).abs() < 1e-10);
    }

    #[test]
    fn delta_polynomial() {
        assert_eq!(delta_poly(1, 0, 12), vec![1.0]);
        let d = delta_poly(1, 1, 4);
        assert_eq!(d, vec![1.0, 0.0, 0.0, 1.0, -1.0]);
    }

    #[test]
    fn ar1_stationary_variance() {
        // AR(1) with phi = 0.6: gamma(0) = 1 / (1 - 0.36).
        let spec = Spec {
            p: 1,
            d: 0,
            q: 0,
            sp: 0,
            sd: 0,
            sq: 0,
            m: 1,
            constant: false,
            fixed_constant: None,
            method: Method::Ml,
        };
        let dx = [0.0; 5];
        let problem = Problem {
            spec,
            dx: &dx,
            creg: 1.0,
            const_scale: 1.0,
        };
        let mut ws = Work::new(&spec, 5);
        problem.load(&[0.6], &mut ws);
        assert!(problem.stationary_start(&mut ws));
        assert!((ws.g[0] - 1.0 / 0.64).abs() < 1e-12);
    }
}
