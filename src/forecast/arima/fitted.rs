//! The fitted model: its coefficients, report, forecasts and the rescaling of extreme series.

use super::*;

/// A fitted seasonal ARIMA model (see the [module docs](super)).
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
    pub(super) order: Order,
    pub(super) method: Method,
    pub(super) names: Vec<String>,
    pub(super) coef: Vec<f64>,
    #[cfg_attr(
        feature = "serde",
        serde(serialize_with = "crate::serde_float::vec::serialize")
    )]
    pub(super) std_errors: Vec<f64>,
    #[cfg_attr(
        feature = "serde",
        serde(serialize_with = "crate::serde_float::vec::serialize")
    )]
    pub(super) covariance: Vec<f64>,
    pub(super) sigma2: f64,
    pub(super) residual_variance: f64,
    pub(super) report: FitReport,
    pub(super) n_used: usize,
    pub(super) residuals: Vec<f64>,
    pub(super) fitted: Vec<f64>,
    // What forecasting needs.
    pub(super) phi: Vec<f64>,
    pub(super) theta: Vec<f64>,
    pub(super) delta: Vec<f64>,
    pub(super) state: Vec<f64>,
    pub(super) state_cov: Vec<f64>,
    pub(super) tail: Vec<f64>,
    pub(super) constant: ConstantKind,
    pub(super) constant_value: f64,
    pub(super) n: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(super) enum ConstantKind {
    None,
    Mean,
    Drift,
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
    pub(super) fn report_errors(&self, n_params: usize) -> Option<Vec<f64>> {
        let mut se = self.std_errors.get(..n_params.saturating_sub(1))?.to_vec();
        se.push(self.sigma2 * (2.0 / self.n_used as f64).sqrt());
        se.iter().all(|v| v.is_finite()).then_some(se)
    }

    pub(super) fn forecast_unchecked(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
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

    /// Residuals, one per observation (see the [module docs](super)).
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
pub(super) const RESCALE_ABOVE: f64 = 1.157_920_892_373_162e77; // 2^256
pub(super) const RESCALE_BELOW: f64 = 8.636_168_555_094_445e-78; // 2^-256

/// Fits `series` through `fit`, on the series scaled by a power of two when its values
/// are very large or very small (`fit` gets the series and the factor it was scaled
/// by), then checks that the model is finite (see
/// [`FittedArima::check_finite`]).
///
/// `constant_last` says whether the last coefficient of a
/// [`Error::NotConverged`]'s `last_iterate` is a constant, which is then scaled back
/// too (the ARMA coefficients do not depend on the scale).
pub(super) fn rescaled(
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
    pub(super) fn scaled_by(mut self, c: f64) -> FittedArima {
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
    pub(super) fn check_finite(&self, x: &[f64]) -> Result<()> {
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
