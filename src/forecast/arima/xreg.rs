//! Regression with ARIMA errors (R's `Arima(y, order, xreg = X)`): see [`Regressors`]
//! and [`FittedRegression`].

use ndarray::ArrayView2;

use super::*;

/// Most regressor columns a regression with ARIMA errors takes.
pub const MAX_REGRESSORS: usize = 100;

/// Regressor columns for [regression with ARIMA errors](FittedRegression): one row per
/// period (aligned with the series, or with the forecast horizon), one named column per
/// regressor (promotions, holidays, price).
///
/// ```
/// use ndarray::array;
/// use patronage::forecast::arima::Regressors;
/// let x = Regressors::new(&["promo", "price"], array![[1.0, 9.5], [0.0, 9.9], [0.0, 10.1]].view())?;
/// assert_eq!((x.rows(), x.names().len()), (3, 2));
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Regressors {
    names: Vec<String>,
    /// Column-major: `columns[j][t]`.
    columns: Vec<Vec<f64>>,
}

impl Regressors {
    /// Regressors from a matrix with one row per period and one column per name.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] (field `regressor names`) when the names do not match
    /// the columns; [`Error::InvalidParameter`] for no columns, more than
    /// [`MAX_REGRESSORS`], an empty or repeated name or one of the model's own
    /// (`intercept`, `drift`); [`Error::Empty`] for no rows; [`Error::NonFinite`]
    /// (field `regressors`) naming the first row holding a NaN or infinite value.
    pub fn new(names: &[&str], x: ArrayView2<f64>) -> Result<Regressors> {
        crate::validate::same_len("regressor names", x.ncols(), names.len())?;
        Error::check_count(
            "regressors",
            names.len(),
            1,
            "MAX_REGRESSORS",
            MAX_REGRESSORS,
        )?;
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() || names[..i].contains(name) || ["intercept", "drift"].contains(name)
            {
                return Err(crate::forecast::invalid(
                    "regressor names",
                    name,
                    "names are non-empty, distinct, and not `intercept` or `drift`",
                ));
            }
        }
        if x.nrows() == 0 {
            return Err(Error::Empty {
                field: "regressors",
            });
        }
        if let Some(((row, _), &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: "regressors",
                row,
                value,
            });
        }
        Ok(Regressors {
            names: names.iter().map(|s| s.to_string()).collect(),
            columns: x.columns().into_iter().map(|c| c.to_vec()).collect(),
        })
    }

    /// The regressors' names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of rows (periods).
    pub fn rows(&self) -> usize {
        self.columns[0].len()
    }

    /// Column `j`.
    pub fn column(&self, j: usize) -> Option<&[f64]> {
        self.columns.get(j).map(Vec::as_slice)
    }
}

/// A regression with ARIMA errors, fitted by
/// [`Arima::fit`](Fit::fit) on `(&series, &regressors)`:
///
/// ```text
/// y_t = c_t + β_1 x_1t + … + β_k x_kt + u_t,   u_t ~ ARIMA(p,d,q)(P,D,Q)[m]
/// ```
///
/// with `c_t` the model's constant (an intercept when `d + D = 0`, a drift `δ t` when
/// `d + D = 1`, as [`Arima::constant`]). As R's `Arima(y, xreg = X)`, the coefficients
/// (ARMA, constant, β) maximize the exact Gaussian likelihood of the differenced
/// `y - c - Xβ`; here β is profiled out (for given ARMA coefficients the best β is the
/// generalized least squares fit on the Kalman-whitened differences), which reaches the
/// same maximum. Coefficients are named as R's: `ar1`, …, `intercept` or `drift`, then
/// the regressors' names. Residuals are the innovations of the error model; fitted
/// values the series minus them. Forecasts need the regressors' future values
/// ([`forecast_with`](Self::forecast_with)): they are `c + Xβ` plus the error model's
/// forecast, with its intervals, whose variance is the residual sum of squares over
/// `n - d - mD` minus the number of coefficients (R's `forecast`).
///
/// ```
/// use ndarray::Array2;
/// use patronage::prelude::*;
/// use patronage::forecast::{arima::{Arima, Regressors}, Series};
/// // Weekly sales lifted by promotions, with autocorrelated noise.
/// let promo: Vec<f64> = (0..112).map(|t| f64::from(t % 5 == 0)).collect();
/// let mut noise = 0.0;
/// let y: Vec<f64> = (0..100)
///     .map(|t| {
///         noise = 0.6 * noise + ((t * 7919) % 11) as f64 / 5.0 - 1.0;
///         50.0 + 8.0 * promo[t] + noise
///     })
///     .collect();
/// let x = |r: std::ops::Range<usize>| Array2::from_shape_vec((r.len(), 1), promo[r].to_vec());
/// let past = Regressors::new(&["promo"], x(0..100).unwrap().view())?;
/// let fit = Arima::params(1, 0, 0).constant(true).fit((&Series::new(&y, 1)?, &past))?;
/// assert!((fit.coefficient("promo").unwrap() - 8.0).abs() < 1.0);
/// let future = Regressors::new(&["promo"], x(100..112).unwrap().view())?;
/// let f = fit.forecast_with(&future, &[0.95])?;
/// assert_eq!(f.mean.len(), 12);
/// assert!(fit.forecast(12, &[0.95]).is_err()); // the future promotions are needed
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// With serde, a model is checked as it is read: the error model by its own checks,
/// as many names, coefficients and standard errors, as many β as regressor names (one
/// more coefficient for a constant), finite coefficients, fitted values as long as the
/// error model's.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRegression")
)]
pub struct FittedRegression {
    errors: FittedArima,
    names: Vec<String>,
    coef: Vec<f64>,
    std_errors: Vec<f64>,
    regressor_names: Vec<String>,
    beta: Vec<f64>,
    constant: ConstantKind,
    constant_value: f64,
    n: usize,
    width: f64,
    fitted: Vec<f64>,
    report: FitReport,
}

/// [`FittedRegression`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawRegression {
    errors: FittedArima,
    names: Vec<String>,
    coef: Vec<f64>,
    std_errors: Vec<f64>,
    regressor_names: Vec<String>,
    beta: Vec<f64>,
    constant: ConstantKind,
    constant_value: f64,
    n: usize,
    width: f64,
    fitted: Vec<f64>,
    report: FitReport,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRegression> for FittedRegression {
    type Error = Error;

    fn try_from(raw: RawRegression) -> Result<Self> {
        use crate::validate::{all_finite, same_len};
        let k = raw.errors.coefficients().len()
            + usize::from(raw.constant != ConstantKind::None)
            + raw.regressor_names.len();
        same_len("names", k, raw.names.len())?;
        same_len("coef", k, raw.coef.len())?;
        same_len("std_errors", k, raw.std_errors.len())?;
        same_len("beta", raw.regressor_names.len(), raw.beta.len())?;
        if raw.regressor_names.is_empty() {
            return Err(Error::Empty {
                field: "regressor_names",
            });
        }
        all_finite("coef", &raw.coef)?;
        all_finite("beta", &raw.beta)?;
        all_finite("constant_value", &[raw.constant_value])?;
        same_len("fitted", raw.errors.fitted().len(), raw.fitted.len())?;
        all_finite("fitted", &raw.fitted)?;
        same_len("n", raw.errors.fitted().len(), raw.n)?;
        if !(raw.width.is_finite() && raw.width >= 1.0) {
            return Err(crate::forecast::invalid(
                "width",
                raw.width,
                "the interval scale is finite and at least 1",
            ));
        }
        Ok(FittedRegression {
            errors: raw.errors,
            names: raw.names,
            coef: raw.coef,
            std_errors: raw.std_errors,
            regressor_names: raw.regressor_names,
            beta: raw.beta,
            constant: raw.constant,
            constant_value: raw.constant_value,
            n: raw.n,
            width: raw.width,
            fitted: raw.fitted,
            report: raw.report,
        })
    }
}

impl FittedRegression {
    /// Coefficient names in R's order: ARMA, `intercept` or `drift`, regressors.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Coefficients in the order of [`names`](Self::names).
    pub fn coefficients(&self) -> &[f64] {
        &self.coef
    }

    /// A coefficient by name.
    pub fn coefficient(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.coef[i])
    }

    /// Standard errors (inverse observed information), in the order of
    /// [`names`](Self::names); NaN where the information is not positive definite.
    pub fn std_errors(&self) -> &[f64] {
        &self.std_errors
    }

    /// The model of the errors `u = y - c - Xβ` (its coefficients, σ², residuals).
    pub fn errors(&self) -> &FittedArima {
        &self.errors
    }

    /// The orders of the error model.
    pub fn order(&self) -> Order {
        self.errors.order()
    }

    /// The ML innovation variance σ².
    pub fn sigma2(&self) -> f64 {
        self.errors.sigma2()
    }

    /// The residual variance the intervals use (R's `Arima(...)$sigma2`): the residual
    /// sum of squares over `n - d - mD` minus the number of coefficients (ARMA,
    /// constant and regressors).
    pub fn residual_variance(&self) -> f64 {
        self.errors.residual_variance() * self.width * self.width
    }

    /// The regressors' names, as fitted.
    pub fn regressor_names(&self) -> &[String] {
        &self.regressor_names
    }

    /// Forecasts `future.rows()` periods ahead given the regressors' values over them.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] (field `future regressors`) for another number of
    /// columns than fitted; [`Error::InvalidParameter`] (name `future regressors`)
    /// when the names differ from the fitted ones (misaligned columns); those of
    /// [`Forecaster::forecast`] for the horizon and levels.
    pub fn forecast_with(&self, future: &Regressors, levels: &[f64]) -> Result<Forecast> {
        crate::validate::same_len(
            "future regressors",
            self.regressor_names.len(),
            future.names.len(),
        )?;
        if future.names != self.regressor_names {
            return Err(crate::forecast::invalid(
                "future regressors",
                future.names.join(", "),
                format!(
                    "the columns must be the fitted ones, in order: {}",
                    self.regressor_names.join(", ")
                ),
            ));
        }
        let h = future.rows();
        check_request(h, levels)?;
        let f = self.errors.forecast(h, levels)?;
        let shift: Vec<f64> = (0..h)
            .map(|j| {
                let c = match self.constant {
                    ConstantKind::None => 0.0,
                    ConstantKind::Mean => self.constant_value,
                    ConstantKind::Drift => self.constant_value * (self.n + j + 1) as f64,
                };
                c + future
                    .columns
                    .iter()
                    .zip(&self.beta)
                    .map(|(col, b)| col[j] * b)
                    .sum::<f64>()
            })
            .collect();
        let mean: Vec<f64> = f.mean.iter().zip(&shift).map(|(m, s)| m + s).collect();
        let intervals = f
            .intervals
            .iter()
            .map(|i| {
                let bound = |b: &[f64]| -> Vec<f64> {
                    b.iter()
                        .zip(&f.mean)
                        .zip(&shift)
                        .map(|((b, m), s)| m + (b - m) * self.width + s)
                        .collect()
                };
                crate::forecast::Interval {
                    level: i.level,
                    lower: bound(&i.lower),
                    upper: bound(&i.upper),
                }
            })
            .collect();
        let out = Forecast { mean, intervals };
        check_finite_forecast(&out)?;
        Ok(out)
    }
}

impl Forecaster for FittedRegression {
    /// Always an error: a regression forecasts only with the regressors' future values.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (name `future regressors`): use
    /// [`forecast_with`](FittedRegression::forecast_with).
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        Err(crate::forecast::invalid(
            "future regressors",
            "none",
            format!(
                "a regression with ARIMA errors needs the future values of {}: call \
                 forecast_with(&future, levels)",
                self.regressor_names.join(", ")
            ),
        ))
    }

    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    fn residuals(&self) -> &[f64] {
        self.errors.residuals()
    }
}

impl FittedModel for FittedRegression {
    fn report(&self) -> &FitReport {
        &self.report
    }

    fn parameter_names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn parameter_values(&self) -> Vec<f64> {
        self.coef.clone()
    }
}

/// Least squares of `y` on the columns `x` (normal equations, Cholesky): the
/// coefficients and the residual sum of squares; `None` when the columns are
/// collinear.
pub(super) fn least_squares(x: &[Vec<f64>], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    let k = x.len();
    let mut xtx = vec![0.0; k * k];
    let mut xty = vec![0.0; k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = x[i].iter().zip(&x[j]).map(|(a, b)| a * b).sum();
            xtx[i * k + j] = s;
            xtx[j * k + i] = s;
        }
        xty[i] = x[i].iter().zip(y).map(|(a, b)| a * b).sum();
    }
    let inv = crate::math::optim::cholesky_inverse(&xtx, k)?;
    let beta: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| inv[i * k + j] * xty[j]).sum())
        .collect();
    let ssq = y
        .iter()
        .enumerate()
        .map(|(t, v)| {
            let fit: f64 = x.iter().zip(&beta).map(|(c, b)| c[t] * b).sum();
            (v - fit).powi(2)
        })
        .sum();
    Some((beta, ssq))
}

/// The profile problem: the differenced series and regressor columns.
struct Profile<'a> {
    spec: Spec,
    dy: &'a [f64],
    dx: &'a [Vec<f64>],
}

impl Profile<'_> {
    /// At ARMA coefficients `nat` (natural scale): the GLS β, Σ ṽ², Σ ln F.
    fn at(&self, nat: &[f64], ws: &mut Work) -> Option<(Vec<f64>, f64, f64)> {
        let problem = Problem {
            spec: self.spec,
            dx: self.dy,
            creg: 1.0,
            const_scale: 1.0,
        };
        problem.load(nat, ws);
        let n = self.dy.len();
        let mut white = vec![vec![0.0; n]; self.dx.len() + 1];
        let mut sumlog = 0.0;
        for (c, out) in white.iter_mut().enumerate() {
            let col = if c == 0 { self.dy } else { &self.dx[c - 1] };
            ws.w.copy_from_slice(col);
            let (_, sl) = problem.ml_pass(ws, |t, v, f| out[t] = v / f.sqrt())?;
            sumlog = sl;
        }
        let (y, x) = white.split_first()?;
        let (beta, ssq) = least_squares(x, y)?;
        Some((beta, ssq, sumlog))
    }

    fn objective(&self, nat: &[f64], ws: &mut Work) -> f64 {
        let n = self.dy.len() as f64;
        match self.at(nat, ws) {
            Some((_, ssq, sumlog)) if ssq > 0.0 => {
                let v = 0.5 * ((ssq / n).ln() + sumlog / n);
                if v.is_nan() { f64::INFINITY } else { v }
            }
            _ => f64::INFINITY,
        }
    }

    /// The exact per-observation objective at ARMA coefficients and β (natural scale,
    /// one vector), for the Hessian.
    fn full(&self, par: &[f64], ws: &mut Work) -> f64 {
        let na = self.spec.n_arma();
        let problem = Problem {
            spec: self.spec,
            dx: self.dy,
            creg: 1.0,
            const_scale: 1.0,
        };
        problem.load(&par[..na], ws);
        for (t, w) in ws.w.iter_mut().enumerate() {
            *w = self.dy[t]
                - self
                    .dx
                    .iter()
                    .zip(&par[na..])
                    .map(|(c, b)| c[t] * b)
                    .sum::<f64>();
        }
        problem.ml(ws)
    }
}

impl Arima {
    fn fit_regression(&self, series: &Series, x: &Regressors) -> Result<FittedRegression> {
        let n = series.len();
        crate::validate::same_len("regressors", n, x.rows())?;
        if self.fixed.is_some() {
            return Err(crate::forecast::invalid(
                "fixed",
                "coefficients",
                "fixed coefficients are not supported with regressors",
            ));
        }
        if self.method != Method::CssMl && self.method != Method::Ml {
            return Err(crate::forecast::invalid(
                "method",
                format!("{:?}", self.method),
                "a regression with ARIMA errors is fitted by exact maximum likelihood",
            ));
        }
        let mut spec = self.spec(series)?;
        let kind = spec.kind();
        spec.constant = false;
        spec.method = Method::Ml;
        // The design: the constant's column (1 or t), then the regressors.
        let mut columns: Vec<Vec<f64>> = Vec::new();
        let mut names = spec.names();
        match kind {
            ConstantKind::Mean => {
                columns.push(vec![1.0; n]);
                names.push("intercept".into());
            }
            ConstantKind::Drift => {
                columns.push((1..=n).map(|t| t as f64).collect());
                names.push("drift".into());
            }
            ConstantKind::None => {}
        }
        columns.extend(x.columns.iter().cloned());
        names.extend(x.names.iter().cloned());
        let y = series.values();
        let dy = differenced(y, &spec)?;
        let n_used = dy.len();
        let na = spec.n_arma();
        let nb = columns.len();
        if n_used < na + nb + 2 {
            return Err(insufficient(format!(
                "{n_used} observations after differencing for {} coefficients and the \
                 variance",
                na + nb
            )));
        }
        let dx: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| difference(c, spec.d, spec.sd, spec.m))
            .collect();
        if least_squares(&dx, &dy).is_none() || dx.iter().any(|c| is_constant(c) && c[0] == 0.0) {
            return Err(crate::forecast::invalid(
                "regressors",
                x.names.join(", "),
                "the regressors (after differencing, with the constant) are collinear or zero",
            ));
        }
        let profile = Profile {
            spec,
            dy: &dy,
            dx: &dx,
        };
        let mut ws = Work::new(&spec, n_used);
        let (p, q, sp, sq) = (spec.p, spec.q, spec.sp, spec.sq);
        let mut nat = vec![0.0; na];
        let mut best: Option<(f64, Vec<f64>, bool, usize)> = None;
        if na > 0 {
            // Starts: zero ARMA coefficients, and the ARIMA fit (CSS then ML) of the
            // errors of the least-squares regression on the differences (R's start).
            let mut starts = vec![vec![0.0; na]];
            if let Some((beta, _)) = least_squares(&dx, &dy) {
                let u: Vec<f64> = (0..n)
                    .map(|t| {
                        y[t] - columns
                            .iter()
                            .zip(&beta)
                            .map(|(c, b)| c[t] * b)
                            .sum::<f64>()
                    })
                    .collect();
                let mut s0 = spec;
                s0.method = Method::CssMl;
                if let Ok(est) = estimate(&u, &s0) {
                    let mut z = est.nat.clone();
                    let ar_ok = invpartrans(&z[..p]).zip(invpartrans(&z[p + q..p + q + sp]));
                    if let Some((ar, sar)) = ar_ok {
                        z[..p].copy_from_slice(&ar);
                        z[p + q..p + q + sp].copy_from_slice(&sar);
                        starts.push(z);
                    }
                }
            }
            for z0 in starts {
                let res = minimize(
                    |zz| {
                        let problem = Problem {
                            spec,
                            dx: &dy,
                            creg: 1.0,
                            const_scale: 1.0,
                        };
                        problem.natural(zz, true, &mut nat);
                        profile.objective(&nat, &mut ws)
                    },
                    &z0,
                    &ML_OPTIONS,
                );
                if res.value.is_finite() && best.as_ref().is_none_or(|b| res.value < b.0) {
                    best = Some((res.value, res.x, res.converged, res.iterations));
                }
            }
        } else {
            best = Some((profile.objective(&[], &mut ws), Vec::new(), true, 0));
        }
        let Some((value, z, converged, iterations)) = best else {
            return Err(insufficient(
                "no start reaches a finite likelihood for the regression's errors".into(),
            ));
        };
        if !converged || !value.is_finite() {
            return Err(Error::NotConverged {
                model: MODEL,
                iterations,
                reason: "the regression with ARIMA errors did not converge".into(),
                last_iterate: z,
            });
        }
        let problem = Problem {
            spec,
            dx: &dy,
            creg: 1.0,
            const_scale: 1.0,
        };
        problem.natural(&z, true, &mut nat);
        ma_invert(&mut nat[p..p + q]);
        ma_invert(&mut nat[p + q + sp..p + q + sp + sq]);
        let (beta, _, _) = profile
            .at(&nat, &mut ws)
            .ok_or_else(|| insufficient("the fitted error model is degenerate".into()))?;
        // Standard errors from the Hessian of the full likelihood (natural scale).
        let mut par = nat.clone();
        par.extend_from_slice(&beta);
        let k = par.len();
        let hess = numerical_hessian(|pp: &[f64]| profile.full(pp, &mut ws), &par);
        let scaled: Vec<f64> = hess.iter().map(|h| h * n_used as f64).collect();
        let std_errors = match cholesky_inverse(&scaled, k) {
            Some(inv) => (0..k)
                .map(|i| {
                    let v = inv[i * k + i];
                    if v >= 0.0 { v.sqrt() } else { f64::NAN }
                })
                .collect(),
            None => vec![f64::NAN; k],
        };
        // The error series and its model at the estimates.
        let u: Vec<f64> = (0..n)
            .map(|t| {
                y[t] - columns
                    .iter()
                    .zip(&beta)
                    .map(|(c, b)| c[t] * b)
                    .sum::<f64>()
            })
            .collect();
        let mut espec = spec;
        espec.method = Method::Ml;
        let errors = evaluate_fixed(&u, &espec, &nat)?;
        let fitted: Vec<f64> = y
            .iter()
            .zip(errors.residuals())
            .map(|(v, e)| v - e)
            .collect();
        let report = FitReport::new(
            errors.report().log_likelihood,
            k + 1,
            n_used as f64,
            Some(std_errors.clone()),
            iterations,
            converged,
        );
        let (constant_value, reg_beta) = match kind {
            ConstantKind::None => (0.0, beta.clone()),
            _ => (beta[0], beta[1..].to_vec()),
        };
        let width = ((n_used - na) as f64 / (n_used - na - nb) as f64).sqrt();
        let mut coef = nat;
        coef.extend_from_slice(&beta);
        let out = FittedRegression {
            errors,
            names,
            coef,
            std_errors,
            regressor_names: x.names.clone(),
            beta: reg_beta,
            constant: kind,
            constant_value,
            n,
            width,
            fitted,
            report,
        };
        crate::validate::all_finite("coefficients", &out.coef)?;
        Ok(out)
    }
}

impl<'a> Fit<(&'a Series, &'a Regressors)> for Arima {
    type Fitted = FittedRegression;

    /// Fits a regression on `regressors` with errors of this ARIMA model (see
    /// [`FittedRegression`]); the constant, when set, is R's `include.mean` /
    /// `include.drift`.
    ///
    /// # Errors
    /// - [`Error::LengthMismatch`] (field `regressors`) when the regressors have
    ///   another number of rows than the series.
    /// - [`Error::InvalidParameter`]: those of [`Arima::fit`] for the orders; fixed
    ///   coefficients or [`Method::Css`] (not supported with regressors); regressors
    ///   that are collinear (with the constant) or all zero after differencing.
    /// - [`Error::InsufficientData`]: fewer than `k + 2` differenced observations for
    ///   `k` coefficients.
    /// - [`Error::NotConverged`] when the optimizer stops before converging.
    fn fit(&self, data: (&'a Series, &'a Regressors)) -> Result<FittedRegression> {
        self.fit_regression(data.0, data.1)
    }
}

impl<'a> Fit<(&'a Series, &'a Regressors)> for AutoArima {
    type Fitted = FittedRegression;

    /// R's `auto.arima(y, xreg = X)`: the differences chosen on the residuals of the
    /// least-squares regression of the series on the regressors (with an intercept),
    /// then the stepwise (or exhaustive) search over the orders and the constant, each
    /// candidate a regression with ARIMA errors fitted by exact maximum likelihood.
    /// R switches to a conditional-sum-of-squares approximation during the search for
    /// series longer than 150 or periods above 12; this search is always exact, so on
    /// such series it may pick another model than R's.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] (field `regressors`) for another number of rows than
    /// the series; [`Error::InvalidParameter`] for collinear regressors or settings out
    /// of range; [`Error::InsufficientData`] when no candidate can be fitted.
    fn fit(&self, data: (&'a Series, &'a Regressors)) -> Result<FittedRegression> {
        self.fit_regression(data.0, data.1)
    }
}
