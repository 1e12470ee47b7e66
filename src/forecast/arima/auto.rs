//! Automatic order selection (R's `auto.arima`).

use super::xreg::least_squares;
use super::*;

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
    pub(super) max_p: usize,
    pub(super) max_q: usize,
    pub(super) max_sp: usize,
    pub(super) max_sq: usize,
    pub(super) max_order: usize,
    pub(super) max_d: usize,
    pub(super) max_sd: usize,
    pub(super) d: Option<usize>,
    pub(super) sd: Option<usize>,
    pub(super) stepwise: bool,
    pub(super) approximation: Option<bool>,
    pub(super) allow_drift: bool,
    pub(super) allow_mean: bool,
    pub(super) seasonal: bool,
    pub(super) criterion: Criterion,
    pub(super) period: Option<usize>,
    pub(super) nmodels: usize,
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
pub(super) struct Cand {
    pub(super) p: usize,
    pub(super) q: usize,
    pub(super) sp: usize,
    pub(super) sq: usize,
    pub(super) constant: bool,
}

impl Fit<&Series> for AutoArima {
    type Fitted = FittedArima;

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
    fn fit(&self, series: &Series) -> Result<FittedArima> {
        // The search never returns NotConverged (a candidate that fails is skipped).
        rescaled(series, false, |s, _| self.fit_unscaled(s))
    }
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

    pub(super) fn fit_unscaled(&self, series: &Series) -> Result<FittedArima> {
        let x = series.values();
        let n = x.len();
        let m = self.checked_period(series)?;
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
        if m == 1 {
            max_sp = 0;
            max_sq = 0;
        }
        let (dx, d, sd) = self.differenced(x, m)?;
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
            return degenerate_or_fit(x, &constant_difference_spec(base, &dx)?);
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
        let caps = Caps {
            max_p,
            max_q,
            max_sp,
            max_sq,
        };
        let approximation = self.approximation.unwrap_or(n > 150 || m > 12);
        let offset = if approximation {
            approximation_offset(x, &base)
        } else {
            0.0
        };
        let ctx = Search {
            x,
            d,
            sd,
            m,
            approximation,
            offset,
            criterion,
            xreg: None,
        };
        let best = self.search(&ctx, caps)?;
        let Some((_, cand)) = best else {
            return Err(insufficient("no candidate model could be fitted".into()));
        };
        self.refit(series, ctx, cand)
    }

    /// The search with regressors (R's `auto.arima(y, xreg = X)`): the differences
    /// chosen on the residuals of the least-squares regression of the series on the
    /// regressors (with an intercept), then every candidate fitted as a regression with
    /// ARIMA errors by exact maximum likelihood (no CSS approximation).
    pub(super) fn fit_regression(
        &self,
        series: &Series,
        xreg: &Regressors,
    ) -> Result<FittedRegression> {
        let x = series.values();
        let n = x.len();
        crate::validate::same_len("regressors", n, xreg.rows())?;
        let m = self.checked_period(series)?;
        let mut cols = vec![vec![1.0; n]];
        cols.extend((0..xreg.names().len()).filter_map(|j| xreg.column(j).map(<[f64]>::to_vec)));
        let Some((beta, _)) = least_squares(&cols, x) else {
            return Err(crate::forecast::invalid(
                "regressors",
                xreg.names().join(", "),
                "the regressors (with an intercept) are collinear",
            ));
        };
        let xx: Vec<f64> = (0..n)
            .map(|t| x[t] - cols.iter().zip(&beta).map(|(c, b)| c[t] * b).sum::<f64>())
            .collect();
        let third = n / 3;
        let (mut max_sp, mut max_sq) = (self.max_sp.min(third / m), self.max_sq.min(third / m));
        if m == 1 {
            max_sp = 0;
            max_sq = 0;
        }
        let (mut max_p, mut max_q) = (self.max_p.min(third), self.max_q.min(third));
        if m > 1 {
            if max_sp > 0 {
                max_p = max_p.min(m - 1);
            }
            if max_sq > 0 {
                max_q = max_q.min(m - 1);
            }
        }
        let criterion = if n <= 3 {
            Criterion::Aic
        } else {
            self.criterion
        };
        let (_, d, sd) = self.differenced(&xx, m)?;
        let ctx = Search {
            x,
            d,
            sd,
            m,
            approximation: false,
            offset: 0.0,
            criterion,
            xreg: Some(xreg),
        };
        let caps = Caps {
            max_p,
            max_q,
            max_sp,
            max_sq,
        };
        let Some((_, cand)) = self.search(&ctx, caps)? else {
            return Err(insufficient("no candidate model could be fitted".into()));
        };
        ctx.regression(cand, xreg)
    }

    /// The settings' checks, and the seasonal period the search uses: 1 when not
    /// seasonal or when no seasonal term fits within `MAX_LAG`.
    fn checked_period(&self, series: &Series) -> Result<usize> {
        let m = self.period.unwrap_or(series.season_length());
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
            return Ok(1);
        }
        Ok(m)
    }

    /// The differencing choice (given, or by the seasonal and unit-root tests): the
    /// differenced series, `d` and `D`. An error when no observation is left.
    fn differenced(&self, x: &[f64], m: usize) -> Result<(Vec<f64>, usize, usize)> {
        let n = x.len();
        let sd = if m == 1 {
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
        Ok((dx, d, sd))
    }

    /// The candidate fits: every model within the caps, or the stepwise search.
    /// Returns the best criterion and its candidate, if any could be fitted.
    fn search(&self, ctx: &Search<'_>, caps: Caps) -> Result<Option<(f64, Cand)>> {
        let allow_drift = self.allow_drift && ctx.d + ctx.sd == 1;
        let allow_mean = self.allow_mean && ctx.d + ctx.sd == 0;
        if !self.stepwise {
            return self.exhaustive(ctx, caps, allow_drift || allow_mean);
        }
        let constant = allow_drift || allow_mean;
        let start = if ctx.x.len() < 10 { 1 } else { 2 };
        Ok(ctx.stepwise(
            Cand {
                p: start.min(caps.max_p),
                q: start.min(caps.max_q),
                sp: 1.min(caps.max_sp),
                sq: 1.min(caps.max_sq),
                constant,
            },
            caps,
            allow_drift || allow_mean,
            self.nmodels,
        ))
    }

    /// The exhaustive search: every order within the caps and `max_order`, with and
    /// without a constant when `max_k`. An error past `MAX_CANDIDATES` models.
    fn exhaustive(&self, ctx: &Search<'_>, caps: Caps, max_k: bool) -> Result<Option<(f64, Cand)>> {
        let Caps {
            max_p,
            max_q,
            max_sp,
            max_sq,
        } = caps;
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
        Ok(best)
    }

    /// The final refit of the chosen candidate by exact likelihood. When the search
    /// used the approximation and the candidate fails without it, the whole search is
    /// redone without the approximation, keeping the differencing.
    fn refit(&self, series: &Series, ctx: Search<'_>, cand: Cand) -> Result<FittedArima> {
        let exact = Search {
            approximation: false,
            ..ctx
        };
        if ctx.approximation {
            match exact.candidate(cand) {
                Some(_) => {}
                None => {
                    return AutoArima {
                        approximation: Some(false),
                        d: Some(ctx.d),
                        sd: Some(ctx.sd),
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

/// R's check of a candidate: no AR or MA root (seasonal ones in `B^m`) within 1.01 of
/// the unit circle; `coef` in R's order.
fn roots_ok(coef: &[f64], c: Cand, m: usize) -> bool {
    let (p, q, sp, sq) = (c.p, c.q, c.sp, c.sq);
    let rho: f64 = 1.01;
    let rho_s = rho.powi(m as i32);
    let neg: Vec<f64> = coef[p..p + q].iter().map(|v| -v).collect();
    let sneg: Vec<f64> = coef[p + q + sp..p + q + sp + sq]
        .iter()
        .map(|v| -v)
        .collect();
    ar_roots_outside(&coef[..p], rho)
        && ar_roots_outside(&coef[p + q..p + q + sp], rho_s)
        && ar_roots_outside(&neg, rho)
        && ar_roots_outside(&sneg, rho_s)
}

/// The model of a series whose differenced series `dx` is exactly constant: the
/// constant held fixed where the differencing leaves one, none where it is differenced
/// away; an error for a polynomial trend of high degree.
fn constant_difference_spec(base: Spec, dx: &[f64]) -> Result<Spec> {
    let (d, sd, m) = (base.d, base.sd, base.m);
    Ok(if sd > 0 && d == 0 {
        Spec {
            fixed_constant: Some(mean(dx) / m as f64),
            ..base
        }
    } else if (sd > 0 && d > 0) || d == 2 {
        base
    } else if d < 2 {
        Spec {
            fixed_constant: Some(mean(dx)),
            ..base
        }
    } else {
        return Err(insufficient(
            "the series is a polynomial trend of high degree, not suitable for ARIMA".into(),
        ));
    })
}

/// The offset that puts the approximate (CSS) criteria on the exact likelihood's
/// scale: from the fit of the differenced series' null model `base` (0 when it fails).
fn approximation_offset(x: &[f64], base: &Spec) -> f64 {
    let n = x.len();
    match fit_spec(x, base) {
        Ok(f) => -2.0 * f.model.report.log_likelihood - n as f64 * f.model.sigma2.ln(),
        Err(_) => 0.0,
    }
}

/// The number of orders `(p, q, P, Q)` with each at most its cap and
/// `p + q + P + Q <= max_order`, counted without listing them: for each `(p, q)`, the
/// `(P, Q)` pairs in the box under the diagonal `P + Q <= rest`, a column at a time (at
/// most `(MAX_ORDER + 1)³` steps; every count fits in a u64).
pub(super) fn count_candidates(caps: [usize; 4], max_order: usize) -> u64 {
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
pub(super) struct Caps {
    pub(super) max_p: usize,
    pub(super) max_q: usize,
    pub(super) max_sp: usize,
    pub(super) max_sq: usize,
}

#[derive(Clone, Copy)]
pub(super) struct Search<'a> {
    pub(super) x: &'a [f64],
    pub(super) d: usize,
    pub(super) sd: usize,
    pub(super) m: usize,
    pub(super) approximation: bool,
    pub(super) offset: f64,
    pub(super) criterion: Criterion,
    /// Regressors: candidates are regressions with ARIMA errors (exact ML).
    pub(super) xreg: Option<&'a Regressors>,
}

impl Search<'_> {
    pub(super) fn spec(&self, c: Cand) -> Spec {
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
    pub(super) fn candidate(&self, c: Cand) -> Option<f64> {
        let spec = self.spec(c);
        if let Some(xreg) = self.xreg {
            let fit = self.regression(c, xreg).ok()?;
            let ic = self.criterion.of(fit.report());
            return (roots_ok(fit.coefficients(), c, self.m) && ic.is_finite()).then_some(ic);
        }
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
        let ok = roots_ok(&est.nat, c, self.m);
        (ok && ic.is_finite()).then_some(ic)
    }

    /// The regression with errors of candidate `c`, fitted.
    pub(super) fn regression(&self, c: Cand, xreg: &Regressors) -> Result<FittedRegression> {
        let series = Series::new(self.x, self.m)?;
        Arima::params(c.p, self.d, c.q)
            .seasonal(c.sp, self.sd, c.sq)
            .period(self.m)
            .constant(c.constant && self.d + self.sd <= 1)
            .fit((&series, xreg))
    }

    /// The full fit (standard errors, residuals, state) of a chosen candidate.
    pub(super) fn final_fit(&self, c: Cand) -> Option<FittedArima> {
        let spec = self.spec(c);
        let est = estimate(self.x, &spec).ok()?;
        finish(self.x, &spec, &est).ok()
    }

    /// R's stepwise search: the starting models, then from the best so far, its
    /// neighbours until none improves the criterion or `nmodels` were tried.
    pub(super) fn stepwise(
        &self,
        start: Cand,
        caps: Caps,
        toggle_constant: bool,
        nmodels: usize,
    ) -> Option<(f64, Cand)> {
        let mut tried: Vec<Cand> = Vec::with_capacity(nmodels);
        let mut best: Option<(f64, Cand)> = None;
        let mut current = self.starting_models(start, caps, &mut tried, &mut best);
        let mut startk = 0;
        while startk < tried.len() && tried.len() < nmodels {
            startk = tried.len();
            for c in neighbours(current, caps, toggle_constant) {
                if tried.contains(&c) {
                    continue;
                }
                if tried.len() >= nmodels {
                    break;
                }
                if self.consider(c, &mut tried, &mut best) {
                    current = c;
                    break;
                }
            }
        }
        best
    }

    /// Fits candidate `c`, records it as tried, and keeps it in `best` when its
    /// criterion is lower. Returns whether it became the best.
    fn consider(&self, c: Cand, tried: &mut Vec<Cand>, best: &mut Option<(f64, Cand)>) -> bool {
        tried.push(c);
        if let Some(ic) = self.candidate(c)
            && best.is_none_or(|b| ic < b.0)
        {
            *best = Some((ic, c));
            return true;
        }
        false
    }

    /// The stepwise search's starting models: `start`, the null model, a first-order
    /// AR and a first-order MA (seasonal too when seasonal), and the null model without
    /// its constant. Returns the best of them to move from.
    fn starting_models(
        &self,
        start: Cand,
        caps: Caps,
        tried: &mut Vec<Cand>,
        best: &mut Option<(f64, Cand)>,
    ) -> Cand {
        let mut current = start;
        let Caps {
            max_p,
            max_q,
            max_sp,
            max_sq,
        } = caps;
        let m1 = self.m > 1;
        self.consider(start, tried, best);
        let null = Cand {
            p: 0,
            q: 0,
            sp: 0,
            sq: 0,
            constant: start.constant,
        };
        if self.consider(null, tried, best) {
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
            if self.consider(c, tried, best) {
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
            if self.consider(c, tried, best) {
                current = c;
            }
        }
        if start.constant {
            let c = Cand {
                constant: false,
                ..null
            };
            if self.consider(c, tried, best) {
                current = c;
            }
        }
        current
    }
}

/// The stepwise moves from `cur`, in R's order: the seasonal orders by one (each, then
/// both), the non-seasonal orders likewise, and the constant toggled when
/// `toggle_constant`; moves past the caps are left out.
fn neighbours(cur: Cand, caps: Caps, toggle_constant: bool) -> Vec<Cand> {
    let Caps {
        max_p,
        max_q,
        max_sp,
        max_sq,
    } = caps;
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
    moves
}

/// A model whose differenced series is exactly constant: no optimization, σ² from the
/// residuals (0 for an exact fit, whose likelihood is infinite, as in R).
pub(super) fn degenerate_or_fit(x: &[f64], spec: &Spec) -> Result<FittedArima> {
    fit_spec(x, spec).map(|f| f.model)
}
