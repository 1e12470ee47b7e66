//! The fitted model: parameters, states, report, forecasts and the checks of a saved model.

use super::*;

/// A fitted ETS model: parameters, initial and final states, fit statistics.
///
/// Its [`FitReport`] ([`FittedModel::report`]) has the log-likelihood, AIC, AICc and
/// BIC on R's scale, `n_params` the estimated parameters (smoothing parameters, free
/// initial states and the variance) and `n_obs` the series' length; no standard errors.
/// [`FittedModel::parameters`] lists them in that order: `alpha`, `beta`, `gamma`,
/// `phi` (those the model has), the free initial states `l`, `b`, `s1`, ... (seasonal
/// states most recent first; the last one, fixed by the others, is left out) and
/// `sigma2`.
///
/// With serde, a model is checked as it is read: a season length of at least 1 (2 to
/// [`MAX_SEASON_LENGTH`] for seasonal models), β, γ and φ present exactly when the
/// model has a trend, a season and damping, finite smoothing parameters in `[0, 1]`
/// (φ in `(0, 1]`) inside the admissible region, states of length
/// `1 + trend + season length` (seasonal models), finite, a finite non-negative σ².
/// A file that breaks one of these is an [`Error`] (naming the field) at load time,
/// not a panic in [`forecast`](Self::forecast).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawEts")
)]
pub struct FittedEts {
    pub(super) spec: EtsSpec,
    pub(super) m: usize,
    pub(super) alpha: f64,
    pub(super) beta: Option<f64>,
    pub(super) gamma: Option<f64>,
    pub(super) phi: Option<f64>,
    /// Initial state (level, slope if any, seasonal states most recent first).
    pub(super) initial_state: Vec<f64>,
    /// State after the last observation, same layout.
    pub(super) last_state: Vec<f64>,
    pub(super) sigma2: f64,
    pub(super) report: FitReport,
    pub(super) fitted: Vec<f64>,
    pub(super) residuals: Vec<f64>,
}

/// [`FittedEts`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
pub(super) struct RawEts {
    pub(super) spec: EtsSpec,
    pub(super) m: usize,
    pub(super) alpha: f64,
    pub(super) beta: Option<f64>,
    pub(super) gamma: Option<f64>,
    pub(super) phi: Option<f64>,
    pub(super) initial_state: Vec<f64>,
    pub(super) last_state: Vec<f64>,
    pub(super) sigma2: f64,
    #[serde(default)]
    pub(super) report: Option<FitReport>,
    /// Version 0.1's criteria, in place of `report`.
    #[serde(default)]
    pub(super) criteria: Option<crate::forecast::LegacyCriteria>,
    pub(super) fitted: Vec<f64>,
    pub(super) residuals: Vec<f64>,
}

/// Checks smoothing parameters and initial states against a model and its season
/// length: β, γ and φ present exactly when the model has a trend, a season and
/// damping, smoothing parameters in `[0, 1]` (φ in `(0, 1]`) inside the admissible
/// region, initial states of length `1 + trend + season length` (seasonal models),
/// finite.
pub(super) fn check_coefficients(spec: EtsSpec, m: usize, c: &EtsCoefficients) -> Result<()> {
    use crate::forecast::invalid;
    use crate::validate::all_finite as finite;
    use crate::validate::same_len as len;
    for (name, value, present) in [
        ("beta", c.beta, spec.has_trend()),
        ("gamma", c.gamma, spec.seasonal()),
        ("phi", c.phi, spec.damped()),
    ] {
        if value.is_some() != present {
            return Err(invalid(
                name,
                format!("{value:?}"),
                format!(
                    "{spec} {} this parameter",
                    if present { "needs" } else { "has no" }
                ),
            ));
        }
    }
    for (name, value) in [
        ("alpha", Some(c.alpha)),
        ("beta", c.beta),
        ("gamma", c.gamma),
    ] {
        if let Some(v) = value
            && !(0.0..=1.0).contains(&v)
        {
            return Err(invalid(name, v, "a smoothing parameter is in [0, 1]"));
        }
    }
    if let Some(v) = c.phi
        && !(v > 0.0 && v <= 1.0)
    {
        return Err(invalid("phi", v, "the damping parameter is in (0, 1]"));
    }
    let p = Smoothing {
        alpha: c.alpha,
        beta: c.beta.unwrap_or(0.0),
        gamma: c.gamma.unwrap_or(0.0),
        phi: c.phi.unwrap_or(1.0),
    };
    if !admissible(spec, if spec.seasonal() { m } else { 1 }, &p) {
        return Err(invalid(
            "alpha",
            format!("{p:?}"),
            format!("the smoothing parameters are outside {spec}'s admissible region"),
        ));
    }
    let states = 1 + usize::from(spec.has_trend()) + if spec.seasonal() { m } else { 0 };
    len("initial_state", states, c.initial_state.len())?;
    finite("initial_state", &c.initial_state)?;
    Ok(())
}

#[cfg(feature = "serde")]
impl TryFrom<RawEts> for FittedEts {
    type Error = Error;

    fn try_from(raw: RawEts) -> Result<FittedEts> {
        use crate::validate::{
            all_finite as finite, all_non_negative as non_negative, invalid_parameter as invalid,
            same_len as len,
        };
        let spec = raw.spec;
        let m = raw.m;
        if m == 0 || (spec.seasonal() && !(2..=MAX_SEASON_LENGTH).contains(&m)) {
            return Err(invalid(
                "m",
                m,
                format!(
                    "the season length is at least 1, and between 2 and {MAX_SEASON_LENGTH} for a seasonal model"
                ),
            ));
        }
        let coefficients = EtsCoefficients {
            alpha: raw.alpha,
            beta: raw.beta,
            gamma: raw.gamma,
            phi: raw.phi,
            initial_state: raw.initial_state,
        };
        check_coefficients(spec, m, &coefficients)?;
        let states = coefficients.initial_state.len();
        len("last_state", states, raw.last_state.len())?;
        finite("last_state", &raw.last_state)?;
        non_negative("sigma2", &[raw.sigma2])?;
        finite("fitted", &raw.fitted)?;
        len("residuals", raw.fitted.len(), raw.residuals.len())?;
        finite("residuals", &raw.residuals)?;
        let k = n_params(spec, m);
        let report =
            crate::forecast::loaded_report(raw.report, raw.criteria, k, raw.fitted.len() as f64)?;
        report.check_loaded("ETS", k)?;
        if report.standard_errors.is_some() {
            return Err(invalid(
                "report.standard_errors",
                "Some(..)",
                "an ETS model has no standard errors",
            ));
        }
        Ok(FittedEts {
            spec,
            m,
            alpha: raw.alpha,
            beta: raw.beta,
            gamma: raw.gamma,
            phi: raw.phi,
            initial_state: coefficients.initial_state,
            last_state: raw.last_state,
            sigma2: raw.sigma2,
            report,
            fitted: raw.fitted,
            residuals: raw.residuals,
        })
    }
}

/// The parameters an ETS model's criteria count: smoothing parameters, free initial
/// states and the variance (`m` the season length, 1 for a non-seasonal model).
pub(super) fn n_params(spec: EtsSpec, m: usize) -> usize {
    spec.n_smoothing() + spec.n_states(if spec.seasonal() { m } else { 1 }) + 1
}

impl FittedEts {
    /// The model's components.
    pub fn spec(&self) -> EtsSpec {
        self.spec
    }
    /// The seasonal period used (1 for non-seasonal models).
    pub fn season_length(&self) -> usize {
        self.m
    }
    /// Level smoothing α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Trend smoothing β (models with a trend).
    pub fn beta(&self) -> Option<f64> {
        self.beta
    }
    /// Seasonal smoothing γ (seasonal models).
    pub fn gamma(&self) -> Option<f64> {
        self.gamma
    }
    /// Damping φ (damped models).
    pub fn phi(&self) -> Option<f64> {
        self.phi
    }
    /// Initial level, slope (models with a trend) and seasonal states (most recent
    /// first, so the last one applies to the first observation).
    pub fn initial_state(&self) -> &[f64] {
        &self.initial_state
    }
    /// The state after the last observation, laid out as [`initial_state`](Self::initial_state).
    pub fn last_state(&self) -> &[f64] {
        &self.last_state
    }
    /// Innovation variance: `Σ e_t² / (n - k)` with `e_t` the additive or relative
    /// errors and `k` the smoothing parameters and free initial states (the report's
    /// `n_params` less the variance), as R's `ets`.
    pub fn sigma2(&self) -> f64 {
        self.sigma2
    }
    /// The smoothing parameters and initial states, to evaluate the model on another
    /// series ([`Ets::fixed`]).
    pub fn coefficients(&self) -> EtsCoefficients {
        EtsCoefficients {
            alpha: self.alpha,
            beta: self.beta,
            gamma: self.gamma,
            phi: self.phi,
            initial_state: self.initial_state.clone(),
        }
    }
    /// The model at its smoothing parameters and initial states, run over another
    /// series (or the same one) without re-estimating anything (R's
    /// `ets(y, model = fit)`): `Ets::params(spec).season_length(m).fixed(coefficients)`.
    ///
    /// # Errors
    /// As [`Ets`]'s [`fit`](Fit::fit): a series too short for the model or with
    /// non-positive values for a multiplicative one.
    pub fn apply_to(&self, series: &Series) -> Result<FittedEts> {
        Ets::params(self.spec)
            .season_length(self.m)
            .fixed(self.coefficients())
            .fit(series)
    }

    pub(super) fn params(&self) -> Smoothing {
        Smoothing {
            alpha: self.alpha,
            beta: self.beta.unwrap_or(0.0),
            gamma: self.gamma.unwrap_or(0.0),
            phi: self.phi.unwrap_or(1.0),
        }
    }

    /// Point forecasts `h` periods ahead (no intervals).
    pub(super) fn point_forecasts(&self, h: usize) -> Vec<f64> {
        let (spec, m) = (self.spec, self.m);
        let p = self.params();
        let l = self.last_state[0];
        let b = if spec.has_trend() {
            self.last_state[1]
        } else {
            0.0
        };
        let seasons = &self.last_state[1 + usize::from(spec.has_trend())..];
        let mut out = Vec::with_capacity(h);
        let mut phi_h = 0.0;
        let mut phi_pow = 1.0;
        for step in 1..=h {
            phi_pow *= p.phi;
            phi_h += phi_pow;
            let q = l + phi_h * b;
            out.push(match spec.season {
                SeasonType::None => q,
                // Seasonal states are stored most recent first: step h uses the state
                // of the same season one cycle back.
                SeasonType::Additive => q + seasons[m - 1 - (step - 1) % m],
                SeasonType::Multiplicative => q * seasons[m - 1 - (step - 1) % m],
            });
        }
        out
    }

    pub(super) fn forecast_unchecked(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        let point = self.point_forecasts(h);
        let p = self.params();
        let (m, spec, sigma2) = (self.m, self.spec, self.sigma2);
        // c_j = α + β φ_j + γ [j mod m = 0], j = 1..h-1 (class 1 and 2 weights).
        let mut c = Vec::with_capacity(h);
        let (mut phi_j, mut phi_pow) = (0.0, 1.0);
        for j in 1..h {
            phi_pow *= p.phi;
            phi_j += phi_pow;
            let seasonal = if spec.seasonal() && j % m == 0 {
                p.gamma
            } else {
                0.0
            };
            c.push(p.alpha + p.beta * phi_j + seasonal);
        }
        // Variances are computed in units scaled by a power of two (`unit`, exact) so
        // that squares of large forecasts do not overflow where the standard deviation
        // itself is finite; sd = sqrt(scaled variance) / unit.
        let (mean, var, unit) = match (spec.error, spec.season) {
            (ErrorType::Additive, SeasonType::None | SeasonType::Additive) => {
                let unit = crate::segment::scale::pow2_scale(sigma2.sqrt());
                let s2 = sigma2 * unit * unit;
                let mut acc = 0.0;
                let var = (0..h)
                    .map(|i| {
                        if i > 0 {
                            acc += c[i - 1] * c[i - 1];
                        }
                        s2 * (1.0 + acc)
                    })
                    .collect();
                (point, var, unit)
            }
            (ErrorType::Multiplicative, SeasonType::None | SeasonType::Additive) => {
                // Over the finite forecasts: an overflowed one is reported at its step.
                let unit = crate::segment::scale::pow2_scale(
                    point
                        .iter()
                        .filter(|v| v.is_finite())
                        .fold(0.0f64, |m, v| m.max(v.abs())),
                );
                let scaled: Vec<f64> = point.iter().map(|v| v * unit).collect();
                let mut theta = vec![0.0; h];
                for j in 0..h {
                    theta[j] = scaled[j] * scaled[j]
                        + sigma2 * (0..j).map(|i| c[i] * c[i] * theta[j - 1 - i]).sum::<f64>();
                }
                let var = (0..h)
                    .map(|j| (1.0 + sigma2) * theta[j] - scaled[j] * scaled[j])
                    .collect();
                (point, var, unit)
            }
            (ErrorType::Multiplicative, SeasonType::Multiplicative) => self.class3(h),
            (ErrorType::Additive, SeasonType::Multiplicative) => {
                return Ok(self.simulated_forecast(point, h, levels));
            }
        };
        // A NaN variance (inf - inf after overflow) stays NaN, for the finiteness check.
        let sd: Vec<f64> = var
            .iter()
            .map(|&v: &f64| {
                if v.is_nan() {
                    v
                } else {
                    v.max(0.0).sqrt() / unit
                }
            })
            .collect();
        Ok(Forecast {
            intervals: normal_intervals(&mean, &sd, levels),
            mean,
        })
    }

    /// Hyndman et al. (2008, sec. 6.4) class 3 mean and variance (multiplicative error
    /// and season): moments of the product of the level-trend and seasonal parts.
    /// With a damped trend the level-trend block uses `(1, φ)` and `[[1, φ], [0, φ]]`
    /// (R's implementation puts 1 where the damped forecast needs φ).
    ///
    /// The level and trend are scaled by a power of two (`unit`, returned) so that the
    /// variance recursion does not overflow where the standard deviation is finite:
    /// the mean is returned unscaled, the variance in `unit^2` units.
    pub(super) fn class3(&self, h: usize) -> (Vec<f64>, Vec<f64>, f64) {
        let (m, spec, s2) = (self.m, self.spec, self.sigma2);
        let p = self.params();
        let k = 1 + usize::from(spec.has_trend());
        // Level-trend block: x1' = F1 x1 + G1 x1 e, seasonal block: x2' = F2 x2 + G2 x2 e.
        let (f1, g1): (Vec<f64>, Vec<f64>) = if k == 1 {
            (vec![1.0], vec![p.alpha])
        } else {
            (
                vec![1.0, p.phi, 0.0, p.phi],
                vec![p.alpha, p.alpha * p.phi, p.beta, p.beta * p.phi],
            )
        };
        // Seasonal states most recent first: s'_1 = s_m (+ γ s_m e), s'_{i+1} = s_i.
        let mut f2 = vec![0.0; m * m];
        f2[m - 1] = 1.0;
        for i in 1..m {
            f2[i * m + i - 1] = 1.0;
        }
        let mut g2 = vec![0.0; m * m];
        g2[m - 1] = p.gamma;
        let n = k * m;
        // vec(M) in R is column-major over the k x m matrix Mh = x1 x2': index j*k + i.
        // With Kronecker products ordered (seasonal ⊗ level-trend) as R.
        let f21 = kron(&f2, m, &f1, k);
        let g21 = kron(&g2, m, &g1, k);
        let kk: Vec<f64> = kron(&g2, m, &f1, k)
            .iter()
            .zip(kron(&f2, m, &g1, k))
            .map(|(a, b)| a + b)
            .collect();
        let h1 = [1.0, p.phi];
        let unit = crate::segment::scale::pow2_scale(
            self.last_state[..k]
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs())),
        );
        let x1_scaled: Vec<f64> = self.last_state[..k].iter().map(|v| v * unit).collect();
        let x1 = &x1_scaled;
        let x2 = &self.last_state[k..];
        // Mh (k x m), stored row-major as mh[i * m + j].
        let mut mh: Vec<f64> = (0..k)
            .flat_map(|i| x2.iter().map(move |s| x1[i] * s))
            .collect();
        let mut vh = vec![0.0; n * n];
        let (mut mean, mut var) = (Vec::with_capacity(h), Vec::with_capacity(h));
        for _ in 0..h {
            // mu = H1 Mh H2' with H1 = (1, φ): level plus damped slope, last season.
            let mu: f64 = (0..k).map(|i| h1[i] * mh[i * m + m - 1]).sum();
            // H21 = H2 ⊗ H1 weights the entries (i, m-1) of Mh in vec order.
            let base = (m - 1) * k;
            let mut hvh = 0.0;
            for a in 0..k {
                for b in 0..k {
                    hvh += h1[a] * h1[b] * vh[(base + a) * n + base + b];
                }
            }
            mean.push(mu);
            var.push((1.0 + s2) * hvh + s2 * mu * mu);
            let vec_m: Vec<f64> = (0..n).map(|idx| mh[(idx % k) * m + idx / k]).collect();
            let mut outer_plus = vh.clone();
            let mut outer3 = vh.iter().map(|v| 3.0 * v).collect::<Vec<_>>();
            for a in 0..n {
                for b in 0..n {
                    let o = vec_m[a] * vec_m[b];
                    outer_plus[a * n + b] += o;
                    outer3[a * n + b] += 2.0 * o;
                }
            }
            let t1 = sandwich(&f21, &vh, &f21, n);
            let t2 = sandwich(&f21, &vh, &g21, n);
            let t3 = sandwich(&g21, &vh, &f21, n);
            let t4 = sandwich(&kk, &outer_plus, &kk, n);
            let t5 = sandwich(&g21, &outer3, &g21, n);
            for i in 0..n * n {
                vh[i] = t1[i] + s2 * (t2[i] + t3[i] + t4[i] + s2 * t5[i]);
            }
            // Mh' = F1 Mh F2' + σ² G1 Mh G2'.
            let a = block_product(&f1, &mh, &f2, k, m);
            let b = block_product(&g1, &mh, &g2, k, m);
            mh = a.iter().zip(&b).map(|(x, y)| x + s2 * y).collect();
        }
        let mean = mean.iter().map(|v| v / unit).collect();
        (mean, var, unit)
    }

    /// Intervals from simulated sample paths (ETS(A,·,M)); the mean stays the point
    /// forecast.
    pub(super) fn simulated_forecast(&self, point: Vec<f64>, h: usize, levels: &[f64]) -> Forecast {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        const PATHS: usize = 5_000;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x05ee_de75);
        let Ok(normal) = Normal::new(0.0, self.sigma2.max(0.0).sqrt()) else {
            // Unreachable for a fitted model (σ² is finite); degrade to no intervals' width.
            let intervals = levels
                .iter()
                .map(|&level| Interval {
                    level,
                    lower: point.clone(),
                    upper: point.clone(),
                })
                .collect();
            return Forecast {
                mean: point,
                intervals,
            };
        };
        // All paths advance one step at a time and each step's quantiles are taken
        // before the next: memory is PATHS states, not PATHS x h values (400 MB at
        // h = MAX_HORIZON).
        let p = self.params();
        let k = 1 + usize::from(self.spec.has_trend());
        let width = self.last_state.len();
        let mut states: Vec<f64> = (0..PATHS)
            .flat_map(|_| self.last_state.iter().copied())
            .collect();
        let mut row = vec![0.0; PATHS];
        let mut intervals: Vec<Interval> = levels
            .iter()
            .map(|&level| Interval {
                level,
                lower: Vec::with_capacity(h),
                upper: Vec::with_capacity(h),
            })
            .collect();
        for _ in 0..h {
            for (state, y) in states.chunks_exact_mut(width).zip(row.iter_mut()) {
                let e = normal.sample(&mut rng);
                *y = step_state(self.spec, self.m, &p, state, k, |yhat| yhat + e);
            }
            row.sort_by(f64::total_cmp);
            for interval in &mut intervals {
                let level = interval.level;
                interval
                    .lower
                    .push(quantile_sorted(&row, 0.5 - level / 2.0));
                interval
                    .upper
                    .push(quantile_sorted(&row, 0.5 + level / 2.0));
            }
        }
        Forecast {
            mean: point,
            intervals,
        }
    }
}

impl Forecaster for FittedEts {
    /// Forecasts `h` periods ahead with intervals at each level (fractions in (0, 1)).
    ///
    /// Means and variances are analytic except for ETS(A,·,M), whose intervals come
    /// from 5,000 simulated paths with a fixed seed (see the [module docs](super)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h = 0` or a level outside (0, 1);
    /// [`Error::NonFinite`] naming the first step (row 0 is one step ahead) whose
    /// forecast or interval bound is beyond the range of f64 (the multiplicative
    /// models' variances grow geometrically with the horizon).
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        let f = self.forecast_unchecked(h, levels)?;
        check_finite_forecast(&f)?;
        Ok(f)
    }

    /// One-step-ahead fitted values `ŷ_t`.
    fn fitted(&self) -> &[f64] {
        &self.fitted
    }

    /// Response residuals `y_t - ŷ_t`.
    fn residuals(&self) -> &[f64] {
        &self.residuals
    }
}

impl FittedModel for FittedEts {
    fn report(&self) -> &FitReport {
        &self.report
    }

    fn parameter_names(&self) -> Vec<String> {
        let spec = self.spec;
        let mut names = vec!["alpha".to_string()];
        for (name, present) in [
            ("beta", spec.has_trend()),
            ("gamma", spec.seasonal()),
            ("phi", spec.damped()),
        ] {
            if present {
                names.push(name.into());
            }
        }
        names.push("l".into());
        if spec.has_trend() {
            names.push("b".into());
        }
        let free = spec.n_states(self.m) - 1 - usize::from(spec.has_trend());
        names.extend((1..=free).map(|i| format!("s{i}")));
        names.push("sigma2".into());
        names
    }

    fn parameter_values(&self) -> Vec<f64> {
        let mut values = vec![self.alpha];
        values.extend(self.beta);
        values.extend(self.gamma);
        values.extend(self.phi);
        values.extend(&self.initial_state[..self.spec.n_states(self.m)]);
        values.push(self.sigma2);
        values
    }
}

/// Linear-interpolation quantile of sorted data (R's type 7).
pub(super) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    if lo + 1 < sorted.len() {
        sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
    } else {
        sorted[lo]
    }
}

/// The Kronecker product of the `ar x ar` matrix `a` and the `br x br` matrix `b`
/// (row-major), skipping `a`'s zeros.
fn kron(a: &[f64], ar: usize, b: &[f64], br: usize) -> Vec<f64> {
    let n = ar * br;
    let mut out = vec![0.0; n * n];
    for i in 0..ar {
        for j in 0..ar {
            let aij = a[i * ar + j];
            if aij == 0.0 {
                continue;
            }
            for r in 0..br {
                for s in 0..br {
                    out[(i * br + r) * n + j * br + s] = aij * b[r * br + s];
                }
            }
        }
    }
    out
}

/// `a b` for `n x n` matrices (row-major), skipping `a`'s zeros.
fn sparse_matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for l in 0..n {
            let ail = a[i * n + l];
            if ail == 0.0 {
                continue;
            }
            for j in 0..n {
                out[i * n + j] += ail * b[l * n + j];
            }
        }
    }
    out
}

/// `a v b'` for `n x n` matrices: a and b are sparse (Kronecker products of shifts and
/// 2 x 2 blocks), so both products skip their zeros, O(n nnz) rather than O(n^3) per
/// step. Each entry sums its terms in the same order as the dense product.
fn sandwich(a: &[f64], v: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let av = sparse_matmul(a, v, n);
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        for l in 0..n {
            let bjl = b[j * n + l];
            if bjl == 0.0 {
                continue;
            }
            for i in 0..n {
                out[i * n + j] += av[i * n + l] * bjl;
            }
        }
    }
    out
}

/// `a mh b'` for the `k x k` level-trend block `a`, the `k x m` matrix `mh` and the
/// `m x m` seasonal block `b` (all row-major).
fn block_product(a: &[f64], mh: &[f64], b: &[f64], k: usize, m: usize) -> Vec<f64> {
    let mut am = vec![0.0; k * m];
    for i in 0..k {
        for l in 0..k {
            for j in 0..m {
                am[i * m + j] += a[i * k + l] * mh[l * m + j];
            }
        }
    }
    let mut out = vec![0.0; k * m];
    for i in 0..k {
        for j in 0..m {
            out[i * m + j] = (0..m).map(|l| am[i * m + l] * b[j * m + l]).sum();
        }
    }
    out
}
