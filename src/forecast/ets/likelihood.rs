//! The likelihood and its exact gradient on the optimizer's coordinates.

use super::*;

/// Layout of the optimizer's parameter vector for one model.
pub(super) struct Layout {
    pub(super) spec: EtsSpec,
    pub(super) m: usize,
    /// Index of β, γ, φ in the vector (α is 0).
    pub(super) ib: Option<usize>,
    pub(super) ig: Option<usize>,
    pub(super) ip: Option<usize>,
    /// Index of the first state (level).
    pub(super) states: usize,
    pub(super) len: usize,
}

impl Layout {
    pub(super) fn new(spec: EtsSpec, m: usize) -> Self {
        let mut i = 1;
        let mut next = |present: bool| {
            present.then(|| {
                i += 1;
                i - 1
            })
        };
        let ib = next(spec.has_trend());
        let ig = next(spec.seasonal());
        let ip = next(spec.damped());
        let states = i;
        Layout {
            spec,
            m,
            ib,
            ig,
            ip,
            states,
            len: states + spec.n_states(m),
        }
    }

    /// Smoothing parameters from the unconstrained vector, and the Jacobian
    /// d(α, β, γ, φ)/d(u_α, u_β, u_γ, u_φ) (4 x 4, row per parameter).
    pub(super) fn smoothing(&self, u: &[f64]) -> (Smoothing, [[f64; 4]; 4]) {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let mut jac = [[0.0; 4]; 4];
        let sa = sig(u[0]);
        let alpha = LOWER + (UPPER - LOWER) * sa;
        jac[0][0] = (UPPER - LOWER) * sa * (1.0 - sa);
        let mut p = Smoothing {
            alpha,
            beta: 0.0,
            gamma: 0.0,
            phi: 1.0,
        };
        if let Some(i) = self.ib {
            // β in (LOWER, α)
            let s = sig(u[i]);
            p.beta = LOWER + (alpha - LOWER) * s;
            jac[1][1] = (alpha - LOWER) * s * (1.0 - s);
            jac[1][0] = s * jac[0][0];
        }
        if let Some(i) = self.ig {
            // γ in (LOWER, 1 - α)
            let s = sig(u[i]);
            p.gamma = LOWER + (1.0 - alpha - LOWER) * s;
            jac[2][2] = (1.0 - alpha - LOWER) * s * (1.0 - s);
            jac[2][0] = -s * jac[0][0];
        }
        if let Some(i) = self.ip {
            let s = sig(u[i]);
            p.phi = PHI_LOWER + (PHI_UPPER - PHI_LOWER) * s;
            jac[3][3] = (PHI_UPPER - PHI_LOWER) * s * (1.0 - s);
        }
        (p, jac)
    }

    /// Unconstrained coordinates of smoothing parameters (inverse of `smoothing`).
    pub(super) fn unconstrain(&self, p: &Smoothing, u: &mut [f64]) {
        let logit = |x: f64| {
            let x = x.clamp(1e-6, 1.0 - 1e-6);
            (x / (1.0 - x)).ln()
        };
        u[0] = logit((p.alpha - LOWER) / (UPPER - LOWER));
        if let Some(i) = self.ib {
            u[i] = logit((p.beta - LOWER) / (p.alpha - LOWER));
        }
        if let Some(i) = self.ig {
            u[i] = logit((p.gamma - LOWER) / (1.0 - p.alpha - LOWER));
        }
        if let Some(i) = self.ip {
            u[i] = logit((p.phi - PHI_LOWER) / (PHI_UPPER - PHI_LOWER));
        }
    }

    /// The optimizer vector of a related fitted model (same season type and period,
    /// slope present or not alike) on the series scaled by `scale`; damping starts at
    /// the fitted φ or 0.98.
    pub(super) fn warm_start(&self, fit: &FittedEts, scale: f64) -> Vec<f64> {
        let p = Smoothing {
            alpha: fit.alpha,
            beta: fit.beta.unwrap_or(0.1 * fit.alpha),
            gamma: fit.gamma.unwrap_or(0.01),
            phi: fit.phi.unwrap_or(0.98),
        };
        let mut u = vec![0.0; self.len];
        self.unconstrain(&p, &mut u);
        let k = 1 + usize::from(self.spec.has_trend());
        let free = self.len - self.states;
        for (i, v) in fit.initial_state.iter().take(free).enumerate() {
            let additive = i < k || self.spec.season == SeasonType::Additive;
            u[self.states + i] = if additive { v / scale } else { *v };
        }
        u
    }

    /// The full initial state (level, slope, m seasonal states most recent first) from
    /// the free states in `u`.
    pub(super) fn full_state(&self, u: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend_from_slice(&u[self.states..self.len]);
        if self.spec.seasonal() {
            let k = 1 + usize::from(self.spec.has_trend());
            let sum: f64 = out[k..].iter().sum();
            let total = if self.spec.season == SeasonType::Multiplicative {
                self.m as f64
            } else {
                0.0
            };
            out.push(total - sum);
        }
    }
}

/// Negative log-likelihood per observation (R's `lik / n`) on the scaled series, with
/// its gradient with respect to `u` when `grad` is non-empty. Returns +inf outside the
/// parameter region or where a multiplicative model meets a non-positive state.
///
/// The gradient is computed in reverse mode: the forward pass records each step's
/// intermediate values, the backward pass carries adjoints of the level, slope and
/// seasonal ring back to the smoothing parameters and the initial states, so a gradient
/// costs about two likelihood evaluations whatever the number of states.
pub(super) fn objective(
    layout: &Layout,
    y: &[f64],
    u: &[f64],
    grad: &mut [f64],
    work: &mut Work,
) -> f64 {
    let spec = layout.spec;
    let m = layout.m;
    let (p, jac) = layout.smoothing(u);
    if !admissible(spec, if spec.seasonal() { m } else { 1 }, &p) {
        return f64::INFINITY;
    }
    let want_grad = !grad.is_empty();
    let Some((sse, slog)) = forward(layout, y, u, &p, want_grad, work) else {
        return f64::INFINITY;
    };
    let n = y.len() as f64;
    if !sse.is_finite() {
        return f64::INFINITY;
    }
    // A series the model fits exactly (a constant, a line) has sse 0: floor it so the
    // likelihood stays finite and the optimizer can still settle.
    let floored = sse < SSE_FLOOR * n;
    let sse = sse.max(SSE_FLOOR * n);
    let value = sse.ln() + 2.0 * slog / n;
    if !value.is_finite() {
        return f64::INFINITY;
    }
    if want_grad {
        let de = if floored { 0.0 } else { 2.0 / sse };
        let dslog = 2.0 / n;
        let adjoints = backward(layout, y, &p, de, dslog, work);
        write_gradient(layout, &jac, &adjoints, &work.ring_bar, grad);
    }
    value
}

/// The forward pass of [`objective`]: runs the filter from the initial state in `u`
/// and returns the sum of squared errors and Σ ln|ŷ| (multiplicative errors; 0
/// otherwise), recording each step in `work.trace` when `want_grad`. `None` where a
/// multiplicative model meets a (near) zero state or forecast.
#[inline(always)]
fn forward(
    layout: &Layout,
    y: &[f64],
    u: &[f64],
    p: &Smoothing,
    want_grad: bool,
    work: &mut Work,
) -> Option<(f64, f64)> {
    let spec = layout.spec;
    let m = layout.m;
    let k = 1 + usize::from(spec.has_trend());
    let ms = if spec.seasonal() { m } else { 0 };
    layout.full_state(u, &mut work.init);
    work.ring.clear();
    // ring[j] is the seasonal state for observation j (mod m): the initial states are
    // stored most recent first, so observation 0 uses the last one.
    work.ring.extend((0..ms).map(|j| work.init[k + m - 1 - j]));
    work.trace.clear();
    let mut l = work.init[0];
    let mut b = if k == 2 { work.init[1] } else { 0.0 };
    let mult_err = spec.error == ErrorType::Multiplicative;
    let (mut sse, mut slog, mut yhat_product) = (0.0, 0.0, 1.0f64);
    let mut pos = 0;
    for &yt in y {
        let s = if ms > 0 { work.ring[pos] } else { 0.0 };
        let q = l + p.phi * b;
        let (yhat, pp, t) = match spec.season {
            SeasonType::None => (q, yt, 0.0),
            SeasonType::Additive => (q + s, yt - s, yt - q),
            SeasonType::Multiplicative => {
                if s.abs() < 1e-10 || q.abs() < 1e-10 {
                    return None;
                }
                (q * s, yt / s, yt / q)
            }
        };
        if spec.multiplicative() && (yhat.abs() < 1e-10 || !yhat.is_finite()) {
            return None;
        }
        let e = if mult_err {
            (yt - yhat) / yhat
        } else {
            yt - yhat
        };
        sse += e * e;
        if mult_err {
            // Σ ln|ŷ| as the log of a running product, renormalized rarely: one
            // logarithm per many steps instead of one per step.
            yhat_product *= yhat.abs();
            if !(1e-150..=1e150).contains(&yhat_product) {
                slog += yhat_product.ln();
                yhat_product = 1.0;
            }
        }
        if want_grad {
            work.trace.push(Step {
                b,
                s,
                q,
                yhat,
                e,
                pp,
                t,
            });
        }
        l = q + p.alpha * (pp - q);
        b = p.phi * b + p.beta * (pp - q);
        if ms > 0 {
            work.ring[pos] = s + p.gamma * (t - s);
            pos = if pos + 1 == ms { 0 } else { pos + 1 };
        }
    }
    slog += yhat_product.ln();
    Some((sse, slog))
}

/// The adjoints the backward pass carries to the parameters and the initial state.
struct Adjoints {
    /// Of the smoothing parameters (α, β, γ, φ).
    smoothing: [f64; 4],
    /// Of the initial level.
    level: f64,
    /// Of the initial slope.
    slope: f64,
}

/// The backward pass of [`objective`] over `work.trace`, with the loss's derivatives
/// `de` (per e², scaled) and `dslog` (per ln|ŷ|): the adjoints of the smoothing
/// parameters and the initial level and slope; those of the initial seasonal ring are
/// left in `work.ring_bar`.
#[inline(always)]
fn backward(
    layout: &Layout,
    y: &[f64],
    p: &Smoothing,
    de: f64,
    dslog: f64,
    work: &mut Work,
) -> Adjoints {
    let spec = layout.spec;
    let ms = if spec.seasonal() { layout.m } else { 0 };
    let mult_err = spec.error == ErrorType::Multiplicative;
    // Adjoints: of the smoothing parameters, and of the state entering each step.
    let (mut a_bar, mut b_bar_par, mut g_bar, mut phi_bar) = (0.0, 0.0, 0.0, 0.0);
    let (mut l_bar, mut b_bar) = (0.0, 0.0);
    work.ring_bar.clear();
    work.ring_bar.resize(ms, 0.0);
    for (t_idx, st) in work.trace.iter().enumerate().rev() {
        let pos = if ms > 0 { t_idx % ms } else { 0 };
        let yt = y[t_idx];
        // s' = s + γ (t - s)
        let s_out_bar = if ms > 0 { work.ring_bar[pos] } else { 0.0 };
        let mut s_bar = (1.0 - p.gamma) * s_out_bar;
        let t_bar = p.gamma * s_out_bar;
        g_bar += (st.t - st.s) * s_out_bar;
        // b' = φ b + β (p - q), l' = q + α (p - q)
        let diff = st.pp - st.q;
        let mut b_in_bar = p.phi * b_bar;
        phi_bar += st.b * b_bar;
        b_bar_par += diff * b_bar;
        a_bar += diff * l_bar;
        let p_bar = p.beta * b_bar + p.alpha * l_bar;
        let mut q_bar = (1.0 - p.alpha) * l_bar - p.beta * b_bar;
        // p and t from y, s and q; the loss from e and ŷ.
        let e_bar = de * st.e;
        let yhat_bar = if mult_err {
            -yt / (st.yhat * st.yhat) * e_bar + dslog / st.yhat
        } else {
            -e_bar
        };
        match spec.season {
            SeasonType::None => q_bar += yhat_bar,
            SeasonType::Additive => {
                s_bar -= p_bar;
                q_bar -= t_bar;
                q_bar += yhat_bar;
                s_bar += yhat_bar;
            }
            SeasonType::Multiplicative => {
                s_bar -= yt / (st.s * st.s) * p_bar;
                q_bar -= yt / (st.q * st.q) * t_bar;
                q_bar += st.s * yhat_bar;
                s_bar += st.q * yhat_bar;
            }
        }
        // q = l + φ b
        b_in_bar += p.phi * q_bar;
        phi_bar += st.b * q_bar;
        l_bar = q_bar;
        b_bar = b_in_bar;
        if ms > 0 {
            work.ring_bar[pos] = s_bar;
        }
    }
    Adjoints {
        smoothing: [a_bar, b_bar_par, g_bar, phi_bar],
        level: l_bar,
        slope: b_bar,
    }
}

/// The gradient in `u` from the adjoints: in z = (α, β, γ, φ as present, free states),
/// then through the logistic transforms (`jac`) to u.
#[inline(always)]
fn write_gradient(
    layout: &Layout,
    jac: &[[f64; 4]; 4],
    adjoints: &Adjoints,
    ring_bar: &[f64],
    grad: &mut [f64],
) {
    let spec = layout.spec;
    let m = layout.m;
    let k = 1 + usize::from(spec.has_trend());
    let ms = if spec.seasonal() { m } else { 0 };
    let dz = adjoints.smoothing;
    let idx = [Some(0), layout.ib, layout.ig, layout.ip];
    for (col, ic) in idx.iter().enumerate() {
        if let Some(ic) = *ic {
            grad[ic] = (0..4).map(|row| dz[row] * jac[row][col]).sum();
        }
    }
    let st0 = layout.states;
    grad[st0] = adjoints.level;
    if k == 2 {
        grad[st0 + 1] = adjoints.slope;
    }
    // Free seasonal state f (0-based, most recent first) sits in ring slot m-1-f;
    // the implied last state (slot 0) is total - sum(free).
    for f in 0..ms.saturating_sub(1) {
        grad[st0 + k + f] = ring_bar[m - 1 - f] - ring_bar[0];
    }
}

/// One step's intermediate values, kept for the backward pass.
#[derive(Debug, Clone, Copy)]
pub(super) struct Step {
    pub(super) b: f64,
    pub(super) s: f64,
    pub(super) q: f64,
    pub(super) yhat: f64,
    pub(super) e: f64,
    pub(super) pp: f64,
    pub(super) t: f64,
}

/// Scratch buffers for [`objective`].
#[derive(Default)]
pub(super) struct Work {
    pub(super) init: Vec<f64>,
    pub(super) ring: Vec<f64>,
    pub(super) ring_bar: Vec<f64>,
    pub(super) trace: Vec<Step>,
}
