//! Polynomials: the stationarity transform, roots and MA inversion.

use super::*;

/// R's `partrans`: maps unconstrained values to the coefficients of a stationary AR
/// polynomial (tanh to partial autocorrelations, then Durbin-Levinson).
pub(super) fn partrans(raw: &[f64], out: &mut [f64]) {
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
pub(super) fn invpartrans(phi: &[f64]) -> Option<Vec<f64>> {
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
pub(super) fn ar_roots_outside(ar: &[f64], radius: f64) -> bool {
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
pub(super) struct Complex {
    pub(super) re: f64,
    pub(super) im: f64,
}

impl Complex {
    pub(super) fn new(re: f64, im: f64) -> Self {
        Complex { re, im }
    }
    pub(super) fn add(self, o: Self) -> Self {
        Complex::new(self.re + o.re, self.im + o.im)
    }
    pub(super) fn sub(self, o: Self) -> Self {
        Complex::new(self.re - o.re, self.im - o.im)
    }
    pub(super) fn mul(self, o: Self) -> Self {
        Complex::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    pub(super) fn div(self, o: Self) -> Self {
        let d = o.re * o.re + o.im * o.im;
        Complex::new(
            (self.re * o.re + self.im * o.im) / d,
            (self.im * o.re - self.re * o.im) / d,
        )
    }
    pub(super) fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
}

/// Roots of `Σ c_i z^i` (increasing powers, `c` trimmed so the last is non-zero) by the
/// Durand-Kerner iteration.
pub(super) fn polyroot(c: &[f64]) -> Vec<Complex> {
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
pub(super) fn ma_invert(ma: &mut [f64]) {
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
