//! The recursions of the state-space model and its admissible parameter region.

use super::*;

/// Advances a state (level, slope, seasons most recent first) by one observation
/// drawn as `observe(ŷ)`; returns the observation.
pub(super) fn step_state(
    spec: EtsSpec,
    m: usize,
    p: &Smoothing,
    state: &mut [f64],
    k: usize,
    observe: impl FnOnce(f64) -> f64,
) -> f64 {
    let l = state[0];
    let b = if k == 2 { state[1] } else { 0.0 };
    let q = l + p.phi * b;
    let s = if spec.seasonal() {
        state[k + m - 1]
    } else {
        0.0
    };
    let yhat = match spec.season {
        SeasonType::None => q,
        SeasonType::Additive => q + s,
        SeasonType::Multiplicative => q * s,
    };
    let y = observe(yhat);
    let pp = match spec.season {
        SeasonType::None => y,
        SeasonType::Additive => y - s,
        SeasonType::Multiplicative => y / s,
    };
    state[0] = q + p.alpha * (pp - q);
    if k == 2 {
        state[1] = p.phi * b + p.beta * (pp - q);
    }
    if spec.seasonal() {
        let t = match spec.season {
            SeasonType::Additive => y - q,
            _ => y / q,
        };
        let new = s + p.gamma * (t - s);
        state[k..].rotate_right(1);
        state[k] = new;
    }
    y
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Smoothing {
    pub(super) alpha: f64,
    pub(super) beta: f64,
    pub(super) gamma: f64,
    pub(super) phi: f64,
}

/// Whether (α, β, γ, φ) lies in the admissible region of Hyndman et al. (2008, ch. 10):
/// for seasonal models, every root of the characteristic polynomial inside the unit
/// circle (checked with the Schur-Cohn recursion rather than root finding).
pub(super) fn admissible(spec: EtsSpec, m: usize, p: &Smoothing) -> bool {
    let (a, b, g, phi) = (p.alpha, p.beta, p.gamma, p.phi);
    if !spec.seasonal() {
        if a < 1.0 - 1.0 / phi || a > 1.0 + 1.0 / phi {
            return false;
        }
        if spec.has_trend() && (b < a * (phi - 1.0) || b > (1.0 + phi) * (2.0 - a)) {
            return false;
        }
        return true;
    }
    if g < (1.0 - 1.0 / phi - a).max(0.0) || g > 1.0 + 1.0 / phi - a {
        return false;
    }
    if a < 1.0 - 1.0 / phi - g * (1.0 - m as f64 + phi + phi * m as f64) / (2.0 * phi * m as f64) {
        return false;
    }
    if b < -(1.0 - phi) * (g / m as f64 + a) {
        return false;
    }
    // P(z) = φ(1-α-γ) + (α+β-αφ+γ-1) z + (α+β-αφ) (z² + ... + z^{m-1}) + (α+β-φ) z^m + z^{m+1}
    let mut c = [0.0; MAX_SEASON_LENGTH + 2];
    c[0] = phi * (1.0 - a - g);
    c[1] = a + b - a * phi + g - 1.0;
    c[2..m].fill(a + b - a * phi);
    c[m] = a + b - phi;
    c[m + 1] = 1.0;
    schur_stable(&mut c[..m + 2])
}

/// Schur-Cohn test: all roots of `c[0] + c[1] z + ... + c[n] z^n` within the closed unit
/// disk (up to 1e-10), via the step-down recursion `p ← (c_n p - c_0 p*) / z`.
pub(super) fn schur_stable(c: &mut [f64]) -> bool {
    let mut next = [0.0; MAX_SEASON_LENGTH + 2];
    let mut len = c.len();
    if len > next.len() {
        return false;
    }
    while len > 1 {
        let n = len - 1;
        let (c0, cn) = (c[0], c[n]);
        if cn == 0.0 || c0.abs() >= (1.0 + 1e-10) * cn.abs() {
            return false;
        }
        let mut scale = 0.0f64;
        for i in 1..=n {
            next[i - 1] = cn * c[i] - c0 * c[n - i];
            scale = scale.max(next[i - 1].abs());
        }
        len = n;
        // Rescale to keep magnitudes bounded.
        if scale == 0.0 || !scale.is_finite() {
            return scale == 0.0;
        }
        let inv = 1.0 / scale;
        for i in 0..len {
            c[i] = next[i] * inv;
        }
    }
    true
}
