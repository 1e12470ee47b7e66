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

mod auto;
mod estimate;
mod fitted;
mod kalman;
#[cfg(feature = "serde")]
mod load;
mod roots;
mod spec;
mod unit_root;
mod xreg;

pub use super::Criterion;
pub use auto::AutoArima;
pub use fitted::FittedArima;
pub use xreg::{FittedRegression, MAX_REGRESSORS, Regressors};

use estimate::*;
use fitted::*;
use kalman::*;
#[cfg(feature = "serde")]
use load::*;
use roots::*;
use spec::*;
use unit_root::*;

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

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests;
