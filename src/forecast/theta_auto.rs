//! The Theta family of Fiorucci et al. (2016) as statsforecast implements it:
//! the standard (STM), optimised (OTM), dynamic standard (DSTM) and dynamic optimised
//! (DOTM) Theta models, and [`AutoTheta`], which fits them all and keeps the one with
//! the smallest in-sample squared error (statsforecast's `AutoTheta`; its `Theta`,
//! `OptimizedTheta`, `DynamicTheta` and `DynamicOptimizedTheta` are
//! [`AutoTheta::variant`] with one [`ThetaVariant`]).
//!
//! 1. **Seasonality test** (season length `m >= 4`, at least `2m` observations, not
//!    constant): the 90% test of [`theta`](super::theta) (`|r_m|` against
//!    `1.645 sqrt((1 + 2 Σ_{k<m} r_k²) / n)`).
//! 2. **Seasonal adjustment** (seasonal series): classical decomposition (statsmodels'
//!    `seasonal_decompose`, the same as R's `decompose`), multiplicative by default;
//!    additive when asked, when the series has a value `<= 0`, or when a
//!    multiplicative index is below 0.01. The series is divided by (or has subtracted)
//!    its seasonal indices, and the forecasts are multiplied by (or added to) the
//!    indices of their positions in the cycle.
//! 3. **The state space model** on the adjusted series `y_0, ..., y_{n-1}`, with
//!    `q = 1 - α` and states level `l`, running mean `ȳ`, intercept `A` and slope `B`:
//!    the one-step forecast at time `i` is
//!    `μ_i = l_{i-1} + (1 - 1/θ) (A_{i-1} q^i + B_{i-1} (1 - q^{i+1}) / α)`; then
//!    `l_i = α y_i + q l_{i-1}` and `ȳ_i = (i ȳ_{i-1} + y_i) / (i + 1)`.
//!    The *standard* models (STM, OTM) keep `A` and `B` at the least-squares line
//!    through the whole series (against `t = 1, ..., n`); the *dynamic* models (DSTM,
//!    DOTM) update them as each observation arrives:
//!    `B_i = ((i - 1) B_{i-1} + 6 (y_i - ȳ_{i-1}) / (i + 1)) / (i + 2)`,
//!    `A_i = ȳ_i - B_i (i + 2) / 2`. At `t = 0`, `l_0 = α y_0 + q ℓ` from the initial
//!    level `ℓ`, `ȳ_0 = y_0`; the standard models forecast `μ_0 = ℓ + (1 - 1/θ)(A + B)`,
//!    the dynamic ones start with `A_0 = y_0`, `B_0 = 0` and `μ_0 = y_0`. Forecasts
//!    `h` steps ahead run the same recursion with `y_i = μ_i`.
//! 4. **Estimation**: `ℓ` and `α` (and `θ` for the optimised models; the standard ones
//!    have `θ = 2`) minimize the sum of squared one-step errors from the fourth
//!    observation on, by statsforecast's bounded adaptive Nelder-Mead (start
//!    `(y_0 / 2, 0.5, 2)`, bounds `ℓ ∈ [-1e10, 1e10]`, `α ∈ [0.1, 0.99]`,
//!    `θ ∈ [1, 1e10]`, first simplex 5% steps, stop when the standard deviation of the
//!    simplex values is below 1e-4 or after 1,000 iterations). The criterion
//!    statsforecast reports (its `mse`) is that sum over the mean absolute value of the
//!    series: [`FittedAutoTheta::criterion`]; [`FittedAutoTheta::mse`] is the mean of
//!    the same squared errors. The stopping rule is absolute, so on a series of tiny
//!    magnitude (criterion values below about 1e-4) the search stops near its start,
//!    as statsforecast's does; rescale such a series first. An evaluation that
//!    overflows scores `+inf` here (statsforecast scores a NaN as `-inf`).
//! 5. **Intervals**: statsforecast draws 200 paths (seed 0) from the recursion above
//!    with Gaussian errors (σ the sample standard deviation of the residuals from the
//!    fourth on, on the scale of the original series), updating `A` and `B` as the
//!    dynamic models do for every variant, and takes their empirical quantiles. The
//!    recursion is linear in the errors, so each simulated value is exactly Gaussian:
//!    here the bounds are `m_h ± z σ_h` with `m_h` the noise-free path and `σ_h²` its
//!    variance (propagated exactly), the limit of statsforecast's quantiles as the
//!    number of paths grows (statsforecast's own bounds carry the Monte Carlo error of
//!    200 draws, a few tenths of `σ`). For the standard models `m_h` differs slightly
//!    from the point forecast, as statsforecast's simulated paths do. Seasonal series
//!    have their bounds multiplied by (or added to) the seasonal indices.
//!
//! Fitted values are the one-step forecasts `μ_t` re-seasonalized; residuals are the
//! series minus them. (For an additive decomposition statsforecast adds the seasonal
//! component to its residuals, and so reports fitted values on the adjusted scale and
//! a larger σ; here residuals are the series minus the re-seasonalized fit in both
//! cases, so with `Decomposition::Additive` only the point forecasts and parameters
//! agree with statsforecast.)
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::forecast::theta_auto::{AutoTheta, ThetaVariant};
//! use patronage::forecast::Series;
//! let y: Vec<f64> = (0..48)
//!     .map(|t| (100.0 + 2.0 * t as f64) * [0.9, 1.0, 1.2, 0.9][t % 4] + ((t * 7) % 5) as f64)
//!     .collect();
//! let series = Series::new(&y, 4)?;
//! let model = AutoTheta::params().fit(&series)?;
//! assert!(model.seasonal_indices().is_some());
//! println!("{:?}: alpha {}, theta {}", model.variant(), model.alpha(), model.theta());
//! let f = model.forecast(8, &[0.8, 0.95])?;
//! assert_eq!(f.mean.len(), 8);
//! assert!(f.intervals[1].lower[0] < f.intervals[0].lower[0]);
//! // One variant only (statsforecast's `DynamicOptimizedTheta`):
//! let dotm = AutoTheta::params().variant(ThetaVariant::DynamicOptimized).fit(&series)?;
//! assert_eq!(dotm.variant(), ThetaVariant::DynamicOptimized);
//! assert!(model.mse() <= dotm.mse());
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::forecast::theta::{is_constant, mean, seasonal_figure, seasonality_test};
use crate::forecast::{
    Forecast, Forecaster, Interval, Series, check_finite_forecast, check_request, normal_quantile,
};
use crate::model::Fit;

/// One of the four Theta models of Fiorucci et al. (2016).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ThetaVariant {
    /// Standard Theta model (STM): θ = 2, fixed trend line.
    Standard,
    /// Optimised Theta model (OTM): θ estimated, fixed trend line.
    Optimized,
    /// Dynamic standard Theta model (DSTM): θ = 2, trend line updated each step.
    DynamicStandard,
    /// Dynamic optimised Theta model (DOTM): θ estimated, trend line updated each step.
    DynamicOptimized,
}

impl ThetaVariant {
    /// The four variants in statsforecast's order (STM, OTM, DSTM, DOTM): on a tie in
    /// the criterion [`AutoTheta`] keeps the first.
    pub const ALL: [ThetaVariant; 4] = [
        ThetaVariant::Standard,
        ThetaVariant::Optimized,
        ThetaVariant::DynamicStandard,
        ThetaVariant::DynamicOptimized,
    ];

    fn dynamic(self) -> bool {
        matches!(
            self,
            ThetaVariant::DynamicStandard | ThetaVariant::DynamicOptimized
        )
    }

    fn optimized(self) -> bool {
        matches!(
            self,
            ThetaVariant::Optimized | ThetaVariant::DynamicOptimized
        )
    }
}

/// The kind of classical seasonal decomposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Decomposition {
    /// Series divided by its seasonal indices (statsforecast's default).
    #[default]
    Multiplicative,
    /// Seasonal indices subtracted.
    Additive,
}

/// The params of statsforecast's Theta family (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AutoTheta {
    season_length: Option<usize>,
    variant: Option<ThetaVariant>,
    decomposition: Decomposition,
}

/// The smallest series the family fits: statsforecast needs more observations than
/// its 3 parameters.
const MIN_OBSERVATIONS: usize = 4;

impl AutoTheta {
    /// All four variants, the season length of the series, multiplicative
    /// decomposition.
    pub fn params() -> Self {
        Self::default()
    }

    /// Overrides the series' season length.
    #[must_use]
    pub fn season_length(mut self, m: usize) -> Self {
        self.season_length = Some(m);
        self
    }

    /// Fits only this variant (statsforecast's `Theta`, `OptimizedTheta`,
    /// `DynamicTheta`, `DynamicOptimizedTheta`).
    #[must_use]
    pub fn variant(mut self, variant: ThetaVariant) -> Self {
        self.variant = Some(variant);
        self
    }

    /// The kind of seasonal decomposition (multiplicative by default; a series with a
    /// value `<= 0` is always decomposed additively).
    #[must_use]
    pub fn decomposition(mut self, kind: Decomposition) -> Self {
        self.decomposition = kind;
        self
    }
}

impl Fit<&Series> for AutoTheta {
    type Fitted = FittedAutoTheta;

    /// Tests for seasonality, adjusts, fits the variant(s) and keeps the best.
    ///
    /// # Errors
    /// [`Error::InsufficientData`] for fewer than 4 observations;
    /// [`Error::InvalidParameter`] for a season length of 0; [`Error::NonFinite`]
    /// naming field `forecast` when the fit overflows.
    fn fit(&self, series: &Series) -> Result<FittedAutoTheta> {
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
        let y = series.values();
        let n = y.len();
        if n < MIN_OBSERVATIONS {
            return Err(Error::InsufficientData {
                model: "AutoTheta",
                reason: format!("{n} observation(s); at least {MIN_OBSERVATIONS} are needed"),
            });
        }
        let seasonal = if m >= 4
            && m.checked_mul(2).is_some_and(|d| n >= d)
            && !is_constant(y)
            && seasonality_test(y, m)
        {
            let mut kind = self.decomposition;
            if y.iter().any(|v| *v <= 0.0) {
                kind = Decomposition::Additive;
            }
            let mut figure = seasonal_figure(y, m, kind == Decomposition::Multiplicative);
            if kind == Decomposition::Multiplicative && figure.iter().any(|f| *f < 0.01) {
                kind = Decomposition::Additive;
                figure = seasonal_figure(y, m, false);
            }
            Some((kind, figure))
        } else {
            None
        };
        let adjusted: Vec<f64> = match &seasonal {
            Some((Decomposition::Multiplicative, s)) => {
                y.iter().enumerate().map(|(t, v)| v / s[t % m]).collect()
            }
            Some((Decomposition::Additive, s)) => {
                y.iter().enumerate().map(|(t, v)| v - s[t % m]).collect()
            }
            None => y.to_vec(),
        };
        let variants: &[ThetaVariant] = match &self.variant {
            Some(v) => std::slice::from_ref(v),
            None => &ThetaVariant::ALL,
        };
        let mean_abs = mean(&adjusted.iter().map(|v| v.abs()).collect::<Vec<_>>()).max(TOL);
        let mut best: Option<(ThetaVariant, [f64; 3], f64)> = None;
        for &variant in variants {
            let params = estimate(&adjusted, variant);
            let sse = run(&adjusted, variant, params, None);
            let criterion = sse / mean_abs;
            if criterion.is_finite() && best.as_ref().is_none_or(|b| criterion < b.2) {
                best = Some((variant, params, criterion));
            }
        }
        let Some((variant, [level0, alpha, theta], criterion)) = best else {
            return Err(Error::NonFinite {
                field: "forecast",
                row: 0,
                value: f64::NAN,
            });
        };
        let mut mu = vec![0.0; n];
        let mut state = [0.0; 4];
        let sse = run(
            &adjusted,
            variant,
            [level0, alpha, theta],
            Some((&mut mu, &mut state)),
        );
        let fitted: Vec<f64> = match &seasonal {
            Some((Decomposition::Multiplicative, s)) => {
                mu.iter().enumerate().map(|(t, f)| f * s[t % m]).collect()
            }
            Some((Decomposition::Additive, s)) => {
                mu.iter().enumerate().map(|(t, f)| f + s[t % m]).collect()
            }
            None => mu,
        };
        let residuals: Vec<f64> = y.iter().zip(&fitted).map(|(v, f)| v - f).collect();
        let sigma = residual_sd(&residuals);
        let (decomposition, indices) = match seasonal {
            Some((k, s)) => (Some(k), Some(s)),
            None => (None, None),
        };
        let model = FittedAutoTheta {
            variant,
            alpha,
            theta,
            initial_level: level0,
            mse: sse / (n - 3) as f64,
            criterion,
            sigma,
            n,
            state,
            decomposition,
            indices,
            fitted,
            residuals,
        };
        model.check()?;
        Ok(model)
    }
}

/// statsforecast's floor of the mean absolute value in its criterion.
const TOL: f64 = 1e-10;

/// statsforecast's σ: the sample standard deviation of the residuals from the fourth
/// on (of all of them when fewer than 2 remain).
fn residual_sd(residuals: &[f64]) -> f64 {
    let tail = if residuals.len() >= 5 {
        &residuals[3..]
    } else {
        residuals
    };
    let mu = tail.iter().sum::<f64>() / tail.len() as f64;
    let ss: f64 = tail.iter().map(|r| (r - mu) * (r - mu)).sum();
    (ss / (tail.len() - 1) as f64).sqrt()
}

/// One step of the state recursion at time `i` from `state = [l, ȳ, A, B]`, given
/// `pows = (q^i, q^(i+1))`: returns the forecast `μ_i` and moves the state on with
/// `y_i = y` (or `μ_i` when `y` is `None`).
#[inline]
fn step(
    state: &mut [f64; 4],
    i: usize,
    dynamic: bool,
    (alpha, k): (f64, f64),
    (qi, qi1): (f64, f64),
    y: Option<f64>,
) -> f64 {
    let [level, mean_y, a, b] = *state;
    let fi = i as f64;
    let mu = level + k * (a * qi + b * (1.0 - qi1) / alpha);
    let y = y.unwrap_or(mu);
    state[0] = alpha * y + (1.0 - alpha) * level;
    state[1] = (fi * mean_y + y) / (fi + 1.0);
    if dynamic {
        let b = ((fi - 1.0) * b + 6.0 * (y - mean_y) / (fi + 1.0)) / (fi + 2.0);
        state[3] = b;
        state[2] = state[1] - b * (fi + 2.0) / 2.0;
    }
    mu
}

/// A noise-free step of statsforecast's simulation of future paths: as [`step`] for
/// the dynamic models, except that `B` is updated with the new running mean.
fn simulation_step(state: &mut [f64; 4], i: usize, alpha: f64, k: f64) -> f64 {
    let [level, mean_y, a, b] = *state;
    let q = 1.0 - alpha;
    let fi = i as f64;
    let x = level + k * (a * q.powf(fi) + b * (1.0 - q.powf(fi + 1.0)) / alpha);
    state[0] = alpha * x + q * level;
    state[1] = (fi * mean_y + x) / (fi + 1.0);
    state[3] = ((fi - 1.0) * b + 6.0 * (x - state[1]) / (fi + 1.0)) / (fi + 2.0);
    state[2] = state[1] - state[3] * (fi + 2.0) / 2.0;
    x
}

/// The initial state (`t = 0`) and the forecast `μ_0`.
fn init_state(y: &[f64], dynamic: bool, level0: f64, alpha: f64, k: f64) -> ([f64; 4], f64) {
    let (a, b, mu) = if dynamic {
        (y[0], 0.0, y[0])
    } else {
        let n = y.len() as f64;
        let y_mean = y.iter().sum::<f64>() / n;
        let weighted = y
            .iter()
            .enumerate()
            .map(|(t, v)| v * (t + 1) as f64)
            .sum::<f64>()
            / n;
        let b = 6.0 * (2.0 * weighted - (n + 1.0) * y_mean) / (n * n - 1.0);
        let a = y_mean - (n + 1.0) * b / 2.0;
        (a, b, level0 + k * (a + b))
    };
    ([alpha * y[0] + (1.0 - alpha) * level0, y[0], a, b], mu)
}

/// Runs the model over `y` at `[level0, alpha, theta]`: the sum of squared one-step
/// errors from the fourth observation on, and optionally the one-step forecasts and
/// the last state.
fn run(
    y: &[f64],
    variant: ThetaVariant,
    [level0, alpha, theta]: [f64; 3],
    mut out: Option<(&mut Vec<f64>, &mut [f64; 4])>,
) -> f64 {
    let dynamic = variant.dynamic();
    let k = 1.0 - 1.0 / theta;
    let q = 1.0 - alpha;
    // q^i by the C library's pow, as statsforecast computes it, once per exponent.
    let pows: Vec<f64> = (0..=y.len()).map(|i| q.powf(i as f64)).collect();
    let (mut state, mu0) = init_state(y, dynamic, level0, alpha, k);
    if let Some((mu, _)) = out.as_mut() {
        mu[0] = mu0;
    }
    let mut sse = 0.0;
    for (i, &v) in y.iter().enumerate().skip(1) {
        let f = step(
            &mut state,
            i,
            dynamic,
            (alpha, k),
            (pows[i], pows[i + 1]),
            Some(v),
        );
        if let Some((mu, _)) = out.as_mut() {
            mu[i] = f;
        }
        if i >= 3 {
            sse += (v - f) * (v - f);
        }
    }
    if let Some((_, last)) = out {
        *last = state;
    }
    sse
}

/// statsforecast's estimate of `[level0, alpha, theta]` for a variant.
fn estimate(y: &[f64], variant: ThetaVariant) -> [f64; 3] {
    let start = [y[0] / 2.0, 0.5, 2.0];
    let mean_abs = mean(&y.iter().map(|v| v.abs()).collect::<Vec<_>>()).max(TOL);
    let dim = if variant.optimized() { 3 } else { 2 };
    let lower = [-1e10, 0.1, 1.0];
    let upper = [1e10, 0.99, 1e10];
    let objective = |x: &[f64]| -> f64 {
        let theta = if dim == 3 { x[2] } else { 2.0 };
        let v = run(y, variant, [x[0], x[1], theta], None) / mean_abs;
        // statsforecast scores a NaN as -inf (and so keeps it); a failed evaluation
        // is the worst value here.
        if v.is_nan() {
            f64::INFINITY
        } else {
            v.max(-1e10)
        }
    };
    let x = nelder_mead(objective, &start[..dim], &lower[..dim], &upper[..dim]);
    [x[0], x[1], if dim == 3 { x[2] } else { 2.0 }]
}

/// statsforecast's bounded Nelder-Mead with adaptive coefficients (Gao & Han 2012):
/// first simplex the start and, per coordinate, the start with that coordinate 5%
/// larger (1e-4 when it is 0), every point clamped to the bounds; stops when the
/// population standard deviation of the simplex values is below 1e-4, or after 1,000
/// iterations; returns the best vertex as ranked at the start of the last iteration.
fn nelder_mead(f: impl Fn(&[f64]) -> f64, x0: &[f64], lower: &[f64], upper: &[f64]) -> Vec<f64> {
    const INIT_STEP: f64 = 0.05;
    const ZERO_PERT: f64 = 1e-4;
    const MAX_ITER: usize = 1000;
    const TOL_STD: f64 = 1e-4;
    let n = x0.len();
    let nf = n as f64;
    let (reflect, expand, contract, shrink) =
        (1.0, 1.0 + 2.0 / nf, 0.75 - 1.0 / (2.0 * nf), 1.0 - 1.0 / nf);
    let clamp = |x: &mut [f64]| {
        for (j, v) in x.iter_mut().enumerate() {
            *v = v.max(lower[j]).min(upper[j]);
        }
    };
    let mut start = x0.to_vec();
    clamp(&mut start);
    let mut simplex: Vec<Vec<f64>> = vec![start; n + 1];
    for (i, row) in simplex.iter_mut().enumerate().take(n) {
        let v = row[i];
        let v = if v == 0.0 {
            ZERO_PERT
        } else {
            v * (1.0 + INIT_STEP)
        };
        row[i] = v.clamp(lower[i], upper[i]);
    }
    let mut values: Vec<f64> = simplex.iter().map(|x| f(x)).collect();
    let mut order: Vec<usize> = (0..=n).collect();
    let mut best = 0;
    let point = |a: &[f64], b: &[f64], c: f64| -> Vec<f64> {
        // a + c (b - a), clamped.
        let mut x: Vec<f64> = a.iter().zip(b).map(|(a, b)| a + c * (b - a)).collect();
        clamp(&mut x);
        x
    };
    for _ in 0..MAX_ITER {
        order.clear();
        order.extend(0..=n);
        // A stable sort, as libstdc++'s insertion sort of so few elements.
        order.sort_by(|&i, &j| {
            if values[i] < values[j] {
                std::cmp::Ordering::Less
            } else if values[j] < values[i] {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        });
        best = order[0];
        let worst = order[n];
        let second_worst = order[n - 1];
        let avg = values.iter().sum::<f64>() / (n + 1) as f64;
        let sd =
            (values.iter().map(|v| (v - avg) * (v - avg)).sum::<f64>() / (n + 1) as f64).sqrt();
        if sd < TOL_STD {
            break;
        }
        let mut centroid = vec![0.0; n];
        for row in &simplex {
            for (c, v) in centroid.iter_mut().zip(row) {
                *c += v;
            }
        }
        for (c, w) in centroid.iter_mut().zip(&simplex[worst]) {
            *c = (*c - w) / nf;
        }
        let xr = point(&centroid, &simplex[worst], -reflect);
        let fr = f(&xr);
        if values[best] <= fr && fr < values[second_worst] {
            simplex[worst] = xr;
            values[worst] = fr;
            continue;
        }
        if fr < values[best] {
            let xe = point(&centroid, &xr, expand);
            let fe = f(&xe);
            if fe < fr {
                simplex[worst] = xe;
                values[worst] = fe;
            } else {
                simplex[worst] = xr;
                values[worst] = fr;
            }
            continue;
        }
        if values[second_worst] <= fr && fr < values[worst] {
            let xc = point(&centroid, &xr, contract);
            let fc = f(&xc);
            if fc <= fr {
                simplex[worst] = xc;
                values[worst] = fc;
                continue;
            }
        } else {
            let xc = point(&centroid, &xr, -contract);
            let fc = f(&xc);
            if fc < values[worst] {
                simplex[worst] = xc;
                values[worst] = fc;
                continue;
            }
        }
        let anchor = simplex[best].clone();
        for j in 0..=n {
            if j != best {
                simplex[j] = point(&anchor, &simplex[j], shrink);
                values[j] = f(&simplex[j]);
            }
        }
    }
    simplex[best].clone()
}

/// A fitted Theta model of statsforecast's family (see the [module docs](self)).
///
/// With serde, a model is checked as it is read: α in `(0, 1)`, θ at least 1, finite
/// parameters and states, a finite non-negative σ and criteria, seasonal indices
/// (when present) finite, at least 2 of them, and positive for a multiplicative
/// decomposition, fitted values and residuals finite, one per observation.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawAutoTheta")
)]
pub struct FittedAutoTheta {
    variant: ThetaVariant,
    alpha: f64,
    theta: f64,
    initial_level: f64,
    mse: f64,
    criterion: f64,
    sigma: f64,
    n: usize,
    state: [f64; 4],
    decomposition: Option<Decomposition>,
    indices: Option<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

/// [`FittedAutoTheta`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawAutoTheta {
    variant: ThetaVariant,
    alpha: f64,
    theta: f64,
    initial_level: f64,
    mse: f64,
    criterion: f64,
    sigma: f64,
    n: usize,
    state: [f64; 4],
    decomposition: Option<Decomposition>,
    indices: Option<Vec<f64>>,
    fitted: Vec<f64>,
    residuals: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawAutoTheta> for FittedAutoTheta {
    type Error = Error;

    fn try_from(raw: RawAutoTheta) -> Result<Self> {
        let model = FittedAutoTheta {
            variant: raw.variant,
            alpha: raw.alpha,
            theta: raw.theta,
            initial_level: raw.initial_level,
            mse: raw.mse,
            criterion: raw.criterion,
            sigma: raw.sigma,
            n: raw.n,
            state: raw.state,
            decomposition: raw.decomposition,
            indices: raw.indices,
            fitted: raw.fitted,
            residuals: raw.residuals,
        };
        model.check()?;
        Ok(model)
    }
}

impl FittedAutoTheta {
    fn check(&self) -> Result<()> {
        use crate::validate::{all_finite, finite, non_negative, same_len};
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(crate::forecast::invalid(
                "alpha",
                self.alpha,
                "the Theta models' alpha is in (0, 1)",
            ));
        }
        if !(self.theta >= 1.0 && self.theta.is_finite()) {
            return Err(crate::forecast::invalid(
                "theta",
                self.theta,
                "theta is finite and at least 1",
            ));
        }
        finite("initial_level", 0, self.initial_level)?;
        all_finite("state", &self.state)?;
        for (field, v) in [
            ("mse", self.mse),
            ("criterion", self.criterion),
            ("sigma", self.sigma),
        ] {
            finite(field, 0, v)?;
            non_negative(field, 0, v)?;
        }
        if self.n < MIN_OBSERVATIONS {
            return Err(crate::forecast::invalid(
                "n",
                self.n,
                "the Theta models are fitted on at least 4 observations",
            ));
        }
        match (&self.decomposition, &self.indices) {
            (None, None) => {}
            (Some(kind), Some(s)) => {
                if s.len() < 2 {
                    return Err(crate::forecast::invalid(
                        "indices",
                        s.len(),
                        "a season has at least 2 positions",
                    ));
                }
                all_finite("indices", s)?;
                if *kind == Decomposition::Multiplicative
                    && let Some(row) = s.iter().position(|v| *v <= 0.0)
                {
                    return Err(crate::validate::invalid_value(
                        "indices",
                        row,
                        s[row],
                        "multiplicative seasonal indices are positive",
                    ));
                }
            }
            _ => {
                return Err(crate::forecast::invalid(
                    "indices",
                    "missing",
                    "a decomposition has its seasonal indices and only then",
                ));
            }
        }
        same_len("fitted", self.n, self.fitted.len())?;
        all_finite("fitted", &self.fitted)?;
        same_len("residuals", self.n, self.residuals.len())?;
        all_finite("residuals", &self.residuals)
    }

    /// The variant fitted (the one chosen, for [`AutoTheta`] with all four).
    pub fn variant(&self) -> ThetaVariant {
        self.variant
    }

    /// The smoothing parameter α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// θ (2 for the standard variants).
    pub fn theta(&self) -> f64 {
        self.theta
    }

    /// The initial level `ℓ` (statsforecast's `initial_smoothed`), on the seasonally
    /// adjusted scale.
    pub fn initial_level(&self) -> f64 {
        self.initial_level
    }

    /// The mean squared one-step error on the adjusted scale, from the fourth
    /// observation on.
    pub fn mse(&self) -> f64 {
        self.mse
    }

    /// statsforecast's selection criterion (its `mse`): the sum of squared one-step
    /// errors from the fourth observation on, over the mean absolute value of the
    /// adjusted series.
    pub fn criterion(&self) -> f64 {
        self.criterion
    }

    /// The σ of the prediction intervals: the sample standard deviation of the
    /// residuals from the fourth on, on the scale of the series.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The kind of seasonal decomposition applied (`None` when the series was not
    /// found seasonal).
    pub fn decomposition(&self) -> Option<Decomposition> {
        self.decomposition
    }

    /// The seasonal indices per position in the cycle, counted from the first
    /// observation (`None` for a non-seasonal fit).
    pub fn seasonal_indices(&self) -> Option<&[f64]> {
        self.indices.as_deref()
    }

    fn reseasonalize(&self, j: usize, v: f64) -> f64 {
        match (&self.decomposition, &self.indices) {
            (Some(Decomposition::Multiplicative), Some(s)) => v * s[(self.n + j) % s.len()],
            (Some(Decomposition::Additive), Some(s)) => v + s[(self.n + j) % s.len()],
            _ => v,
        }
    }
}

impl Forecaster for FittedAutoTheta {
    /// Point forecasts as statsforecast's and Gaussian intervals, the limit of its
    /// simulated ones (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `h` outside `1..=`[`MAX_HORIZON`](crate::forecast::MAX_HORIZON)
    /// or a level outside `(0, 1)`; [`Error::NonFinite`] when a forecast overflows.
    fn forecast(&self, h: usize, levels: &[f64]) -> Result<Forecast> {
        check_request(h, levels)?;
        let alpha = self.alpha;
        let q = 1.0 - alpha;
        let k = 1.0 - 1.0 / self.theta;
        let dynamic = self.variant.dynamic();
        let mut point_state = self.state;
        let mut mean = Vec::with_capacity(h);
        // The simulation's noise-free path (A and B always updated), and the
        // covariance of its (level, running mean, B) given the errors so far.
        let mut sim_state = self.state;
        let mut cov = [[0.0f64; 3]; 3];
        let s2 = self.sigma * self.sigma;
        let mut centre = Vec::with_capacity(h);
        let mut sd = Vec::with_capacity(h);
        for j in 0..h {
            let i = self.n + j;
            let fi = i as f64;
            let pows = (q.powf(fi), q.powf(fi + 1.0));
            let mu = step(&mut point_state, i, dynamic, (alpha, k), pows, None);
            mean.push(self.reseasonalize(j, mu));
            centre.push(simulation_step(&mut sim_state, i, alpha, k));
            // x = c · (l, ȳ, B) + const + ε, with A = ȳ - B (i + 1) / 2.
            let a_i = pows.0;
            let b_i = (1.0 - pows.1) / alpha;
            let c = [1.0, k * a_i, k * (b_i - a_i * (fi + 1.0) / 2.0)];
            let pc: [f64; 3] = std::array::from_fn(|r| (0..3).map(|s| cov[r][s] * c[s]).sum());
            let var_x = (0..3).map(|r| c[r] * pc[r]).sum::<f64>() + s2;
            sd.push(var_x.sqrt());
            // The next state's rows M and error loadings g.
            let w = 6.0 * fi / ((fi + 1.0) * (fi + 1.0) * (fi + 2.0));
            let m = [
                [alpha * c[0] + q, alpha * c[1], alpha * c[2]],
                [
                    c[0] / (fi + 1.0),
                    (c[1] + fi) / (fi + 1.0),
                    c[2] / (fi + 1.0),
                ],
                [
                    w * c[0],
                    w * (c[1] - 1.0),
                    w * c[2] + (fi - 1.0) / (fi + 2.0),
                ],
            ];
            let g = [alpha, 1.0 / (fi + 1.0), w];
            let mp: [[f64; 3]; 3] = std::array::from_fn(|r| {
                std::array::from_fn(|s| (0..3).map(|t| m[r][t] * cov[t][s]).sum())
            });
            cov = std::array::from_fn(|r| {
                std::array::from_fn(|s| {
                    (0..3).map(|t| mp[r][t] * m[s][t]).sum::<f64>() + s2 * g[r] * g[s]
                })
            });
        }
        let intervals = levels
            .iter()
            .map(|&level| {
                let z = normal_quantile(level);
                let (lower, upper) = centre
                    .iter()
                    .zip(&sd)
                    .enumerate()
                    .map(|(j, (c, s))| {
                        (
                            self.reseasonalize(j, c - z * s),
                            self.reseasonalize(j, c + z * s),
                        )
                    })
                    .unzip();
                Interval {
                    level,
                    lower,
                    upper,
                }
            })
            .collect();
        let out = Forecast { mean, intervals };
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
    fn nelder_mead_finds_quadratic_minima() {
        let x = nelder_mead(
            |x| (x[0] - 3.0).powi(2) * 100.0 + (x[1] - 0.2).powi(2) * 100.0,
            &[1.0, 0.5],
            &[-10.0, -10.0],
            &[10.0, 10.0],
        );
        assert!(
            (x[0] - 3.0).abs() < 1e-2 && (x[1] - 0.2).abs() < 1e-2,
            "{x:?}"
        );
        // A minimum beyond a bound is found on the bound. (Clamping can also leave the
        // simplex flat on a bound it should leave, as in statsforecast.)
        let x = nelder_mead(
            |x| (x[0] - 3.0).powi(2) + (x[1] + 1.0).powi(2),
            &[1.0, 0.5],
            &[-10.0, 0.1],
            &[10.0, 0.99],
        );
        assert!((x[0] - 3.0).abs() < 1e-2 && x[1] == 0.1, "{x:?}");
    }
}
