//! Estimation: initial states, multi-start BFGS, and the fit at the optimum or at given values.

use super::*;

/// Initial states as R's `ets`: a classical decomposition of the first three seasons
/// for the seasonal states, a regression on the first (seasonally adjusted)
/// observations for level and slope. Returns (level, slope?, m-1 free seasonal states
/// most recent first).
pub(super) fn initial_states(spec: EtsSpec, m: usize, y: &[f64]) -> Vec<f64> {
    let n = y.len();
    let mut seasonal = vec![
        if spec.season == SeasonType::Multiplicative {
            1.0
        } else {
            0.0
        };
        m
    ];
    let mut adjusted = y.to_vec();
    if spec.seasonal() {
        let mult = spec.season == SeasonType::Multiplicative;
        let span = (3 * m).min(n);
        let w = &y[..span];
        // Trend by a centred moving average of order m (2 x m for even m), or by a
        // straight line when fewer than three seasons are available.
        let trend: Vec<Option<f64>> = if span > 2 * m {
            let half = m / 2;
            (0..span)
                .map(|t| {
                    if t < half || t + half >= span {
                        return None;
                    }
                    Some(if m.is_multiple_of(2) {
                        (0.5 * w[t - half]
                            + w[t + 1 - half..t + half].iter().sum::<f64>()
                            + 0.5 * w[t + half])
                            / m as f64
                    } else {
                        w[t - half..=t + half].iter().sum::<f64>() / m as f64
                    })
                })
                .collect()
        } else {
            let (a, b) = line_fit(w);
            (0..span).map(|t| Some(a + b * (t + 1) as f64)).collect()
        };
        let mut sum = vec![0.0; m];
        let mut count = vec![0usize; m];
        for t in 0..span {
            if let Some(tr) = trend[t] {
                let d = if mult { w[t] / tr } else { w[t] - tr };
                if d.is_finite() {
                    sum[t % m] += d;
                    count[t % m] += 1;
                }
            }
        }
        for j in 0..m {
            seasonal[j] = if count[j] > 0 {
                sum[j] / count[j] as f64
            } else if mult {
                1.0
            } else {
                0.0
            };
        }
        // Normalize: mean 0 (A) or 1 (M).
        let mean = seasonal.iter().sum::<f64>() / m as f64;
        for s in &mut seasonal {
            if mult {
                *s = (*s / mean).max(1e-2);
            } else {
                *s -= mean;
            }
        }
        for t in 0..n {
            adjusted[t] = if mult {
                y[t] / seasonal[t % m]
            } else {
                y[t] - seasonal[t % m]
            };
        }
    }
    let maxn = 10.max(2 * m).min(n);
    let mut out = Vec::new();
    if spec.has_trend() {
        let (a, b) = line_fit(&adjusted[..maxn]);
        // R's l0 is the intercept at t = 0 with t = 1..maxn.
        out.push(a);
        out.push(b);
    } else {
        out.push(adjusted[..maxn].iter().sum::<f64>() / maxn as f64);
    }
    if spec.seasonal() {
        // Free states most recent first: seasons m, m-1, ..., 2 (season 1 is implied).
        for j in (1..m).rev() {
            out.push(seasonal[j]);
        }
    }
    out
}

/// Least-squares line `a + b t` through `(t, w[t-1])`, `t = 1..=len`.
pub(super) fn line_fit(w: &[f64]) -> (f64, f64) {
    let n = w.len() as f64;
    let tm = (n + 1.0) / 2.0;
    let ym = w.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in w.iter().enumerate() {
        let dt = (i + 1) as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - b * tm, b)
}

/// BFGS iterations each start gets before the best are continued.
pub(super) const SCOUT_ITERATIONS: usize = 80;

/// How many of the best scouted starts are continued to convergence.
pub(super) const CONTINUED_STARTS: usize = 1;

/// Smoothing-parameter starts, each `(α, β, γ, φ)` with β and γ as fractions of their
/// ranges `(1e-4, α)` and `(1e-4, 1 - α)`: R's `initparam` start, a reactive level
/// (the generic start [`AutoEts`] runs beside a warm start), a start with β half of α
/// (from which BFGS finds the optima with β next to α, the slope as reactive as the
/// level, that R reaches for a trend on smooth series such as `co2` or `nottem`), and a
/// slow, strongly damped one (damped models have local optima at both ends of φ's
/// range). Models without trend or season use the first two;
/// damped models add a fifth, a reactive level and slope with strong damping.
pub(super) fn starts(spec: EtsSpec, m: usize) -> Vec<Smoothing> {
    let r_alpha = LOWER + 0.2 * (UPPER - LOWER) / m as f64;
    let r_phi = PHI_LOWER + 0.99 * (PHI_UPPER - PHI_LOWER);
    let count = if spec.damped() {
        5
    } else if spec.has_trend() || spec.seasonal() {
        4
    } else {
        2
    };
    [
        (r_alpha, 0.1, 0.05, r_phi),
        (0.8, 0.05, 0.05, 0.95),
        (0.5, 0.5, 0.2, 0.9),
        (0.05, 0.1, 0.05, 0.85),
        (0.95, 0.5, 0.2, 0.85),
    ]
    .into_iter()
    .take(count)
    .map(|(alpha, beta_frac, gamma_frac, phi)| Smoothing {
        alpha,
        beta: LOWER + beta_frac * (alpha - LOWER),
        gamma: LOWER + gamma_frac * (1.0 - alpha - LOWER),
        phi,
    })
    .collect()
}

/// Minimizes [`objective`] from `u` by BFGS with the initial states rescaled.
///
/// In the unconstrained coordinates the smoothing parameters have curvature of order 1
/// while a state's grows like 1/σ² (σ the relative size of the errors): on a series the
/// model fits closely (R's `co2`, errors of 0.1%) the Hessian's diagonal spans nine
/// orders of magnitude, and BFGS, which starts from a multiple of the identity, creeps
/// along the valley and stops on a small change of the objective far from the optimum.
/// So each state is divided by the square root of the curvature along it at `u` (a
/// forward difference of the analytic gradient, for the level, the slope and the first
/// seasonal state, whose scale the other seasonal states share); states whose curvature
/// is below 1 keep their scale. The result is in the original coordinates
/// (its gradient stays in the rescaled ones).
pub(super) fn descend(
    layout: &Layout,
    y: &[f64],
    u: &[f64],
    opts: &OptimOptions,
    work: &mut Work,
) -> Minimum {
    let len = u.len();
    let mut scale = vec![1.0; len];
    let (mut g0, mut g1) = (vec![0.0; len], vec![0.0; len]);
    if objective(layout, y, u, &mut g0, work).is_finite() {
        let mut probe = u.to_vec();
        // Level, slope, and the first free seasonal state for all of them (each enters
        // every m-th error alike).
        let k = 1 + usize::from(layout.spec.has_trend());
        for j in layout.states..(layout.states + k + 1).min(len) {
            let h = 1e-6 * u[j].abs().max(1.0);
            probe[j] = u[j] + h;
            let finite = objective(layout, y, &probe, &mut g1, work).is_finite();
            probe[j] = u[j];
            let curvature = (g1[j] - g0[j]) / h;
            if finite && curvature.is_finite() && curvature > 1.0 {
                scale[j] = 1.0 / curvature.sqrt();
            }
        }
        let first_season = layout.states + k;
        for j in first_season + 1..len {
            scale[j] = scale[first_season];
        }
    }
    let z0: Vec<f64> = u.iter().zip(&scale).map(|(u, s)| u / s).collect();
    let mut x = vec![0.0; len];
    let mut res = bfgs(
        |z: &[f64], g: &mut [f64]| {
            for ((x, z), s) in x.iter_mut().zip(z).zip(&scale) {
                *x = z * s;
            }
            let value = objective(layout, y, &x, g, work);
            for (g, s) in g.iter_mut().zip(&scale) {
                *g *= s;
            }
            value
        },
        &z0,
        opts,
    );
    for (x, s) in res.x.iter_mut().zip(&scale) {
        *x *= s;
    }
    res
}

/// Fits one model. With `warm` (a fitted model of the same season type and slope
/// presence) the starts are that model's optimum and one generic start; otherwise the
/// generic starts of [`starts`].
pub(super) fn fit_model(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    optimizer: &Optimizer,
    warm: Option<&FittedEts>,
) -> Result<FittedEts> {
    let max_iter = optimizer.max_iter;
    let m = if spec.seasonal() { m } else { 1 };
    // Work on y / scale so states and the gradient are O(1).
    let scale = series_scale(y);
    let ys: Vec<f64> = y.iter().map(|v| v / scale).collect();
    let layout = Layout::new(spec, m);
    let init = initial_states(spec, m, &ys);
    let mut work = Work::default();
    let opts = OptimOptions {
        max_iter,
        gtol: optimizer.tol,
        ftol: 1e-10,
    };
    // Multi-start in two stages: a short run from every start, then the most
    // promising runs continued to convergence.
    let scout = OptimOptions {
        max_iter: SCOUT_ITERATIONS.min(max_iter),
        ..opts
    };
    // (value, optimum, converged, iterations) per start.
    let mut scouted: Vec<(f64, Vec<f64>, bool, usize)> = Vec::new();
    let generic = starts(spec, m);
    let mut candidates: Vec<Vec<f64>> = Vec::new();
    if let Some(w) = warm {
        candidates.push(layout.warm_start(w, scale));
    }
    for start in generic
        .iter()
        .skip(if warm.is_some() { 1 } else { 0 })
        .take(if warm.is_some() { 1 } else { usize::MAX })
    {
        let mut u = vec![0.0; layout.len];
        layout.unconstrain(start, &mut u);
        u[layout.states..].copy_from_slice(&init);
        candidates.push(u);
    }
    for u in candidates {
        if !objective(&layout, &ys, &u, &mut [], &mut work).is_finite() {
            continue;
        }
        let res = descend(&layout, &ys, &u, &scout, &mut work);
        if res.value.is_finite() {
            scouted.push((res.value, res.x, res.converged, res.iterations));
        }
    }
    scouted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, Vec<f64>, bool, usize)> = None;
    for (value, x, converged, iterations) in scouted.into_iter().take(CONTINUED_STARTS) {
        let (value, x, converged, iterations) = if converged {
            (value, x, converged, iterations)
        } else {
            let res = descend(&layout, &ys, &x, &opts, &mut work);
            let iterations = iterations + res.iterations;
            if res.value.is_finite() && res.value <= value {
                (res.value, res.x, res.converged, iterations)
            } else {
                (value, x, res.converged, iterations)
            }
        };
        if best.as_ref().is_none_or(|(v, ..)| value < *v) {
            best = Some((value, x, converged, iterations));
        }
    }
    let Some((_, u, converged, iterations)) = best else {
        return Err(Error::NotConverged {
            model: "ETS",
            iterations: 0,
            reason: format!("{spec} has no finite likelihood from any start"),
            last_iterate: init,
        });
    };
    finish(spec, m, y, scale, &layout, &u, iterations, converged)
}

/// The mean absolute value of the series (1 when it is 0 or not finite): the scale the
/// fit works on.
pub(super) fn series_scale(y: &[f64]) -> f64 {
    let s = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

/// The model at given smoothing parameters and initial states (checked here), run over
/// `y` without optimizing.
pub(super) fn evaluate_fixed(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    c: &EtsCoefficients,
) -> Result<FittedEts> {
    let m = if spec.seasonal() { m } else { 1 };
    check_coefficients(spec, m, c)?;
    let p = Smoothing {
        alpha: c.alpha,
        beta: c.beta.unwrap_or(0.0),
        gamma: c.gamma.unwrap_or(0.0),
        phi: c.phi.unwrap_or(1.0),
    };
    let scale = series_scale(y);
    evaluate(spec, m, y, scale, p, c.initial_state.clone(), 0, false)
}

/// Rebuilds the fit on the original scale from the optimum.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    scale: f64,
    layout: &Layout,
    u: &[f64],
    iterations: usize,
    converged: bool,
) -> Result<FittedEts> {
    let (p, _) = layout.smoothing(u);
    let mut state = Vec::new();
    layout.full_state(u, &mut state);
    let k = 1 + usize::from(spec.has_trend());
    // Level and slope scale with the data; additive seasonal states too.
    for (i, v) in state.iter_mut().enumerate() {
        if i < k || spec.season == SeasonType::Additive {
            *v *= scale;
        }
    }
    evaluate(spec, m, y, scale, p, state, iterations, converged).map_err(|e| match e {
        Error::NotConverged {
            model,
            iterations,
            reason,
            ..
        } => Error::NotConverged {
            model,
            iterations,
            reason,
            last_iterate: u.to_vec(),
        },
        e => e,
    })
}

/// Runs the model at smoothing parameters `p` from the initial state `state` (original
/// scale) over `y`: fitted values, residuals, likelihood (`scale` sets the floor of the
/// sum of squares, as in the fit).
#[allow(clippy::too_many_arguments)]
pub(super) fn evaluate(
    spec: EtsSpec,
    m: usize,
    y: &[f64],
    scale: f64,
    p: Smoothing,
    mut state: Vec<f64>,
    iterations: usize,
    converged: bool,
) -> Result<FittedEts> {
    let k = 1 + usize::from(spec.has_trend());
    let initial_state = state.clone();
    let n = y.len();
    let (mut fitted, mut residuals) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut sse, mut slog) = (0.0, 0.0);
    for &yt in y {
        let mut yhat_seen = 0.0;
        step_state(spec, m, &p, &mut state, k, |yhat| {
            yhat_seen = yhat;
            yt
        });
        let e = match spec.error {
            ErrorType::Additive => yt - yhat_seen,
            ErrorType::Multiplicative => (yt - yhat_seen) / yhat_seen,
        };
        sse += e * e;
        if spec.error == ErrorType::Multiplicative {
            slog += yhat_seen.abs().ln();
        }
        fitted.push(yhat_seen);
        residuals.push(yt - yhat_seen);
    }
    let n_params = n_params(spec, m);
    let sse_floor = SSE_FLOOR
        * n as f64
        * if spec.error == ErrorType::Additive {
            scale * scale
        } else {
            1.0
        };
    let log_likelihood = -0.5 * (n as f64 * sse.max(sse_floor).ln() + 2.0 * slog);
    if !log_likelihood.is_finite() {
        return Err(Error::NotConverged {
            model: "ETS",
            iterations: 0,
            reason: format!("{spec} reached a non-finite likelihood"),
            last_iterate: initial_state,
        });
    }
    Ok(FittedEts {
        spec,
        m,
        alpha: p.alpha,
        beta: spec.has_trend().then_some(p.beta),
        gamma: spec.seasonal().then_some(p.gamma),
        phi: spec.damped().then_some(p.phi),
        initial_state,
        last_state: state,
        // R's divisor: n minus the smoothing parameters and free initial states
        // (`length(model$par)`), not counting the variance itself.
        sigma2: sse / (n - (n_params - 1)) as f64,
        report: FitReport::new(
            log_likelihood,
            n_params,
            n as f64,
            None,
            iterations,
            converged,
        ),
        fitted,
        residuals,
    })
}
