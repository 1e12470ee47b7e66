//! Optimizers shared by the models, and finite-difference derivatives.
//!
//! - [`bfgs`]: quasi-Newton minimization with an analytic gradient, for smooth
//!   likelihoods (BG/NBD family, Gamma-Gamma, ARIMA). The objective returns its value and
//!   writes its gradient in one call, so models compute both in one pass.
//! - [`numerical_gradient`], [`numerical_hessian`], [`hessian_from_gradient`]: central
//!   differences, for gradients nobody wrote and for standard errors at an optimum.
//! - [`cholesky_inverse`]: the inverse of a symmetric positive-definite matrix (the
//!   observed information), `None` when it is not positive definite.
//!
//! The optimizers never panic and never return NaN parameters: a non-finite objective
//! value is treated as `+inf`, which makes the line search back off.
//! Whether a fit that stopped early is an error is the model's call: [`Minimum::converged`]
//! says which criterion, if any, was met.
//!
//! ```text
//! use patronage::math::optim::{bfgs, OptimOptions};
//! // Rosenbrock's banana, value and gradient in one pass.
//! let rosen = |x: &[f64], g: &mut [f64]| {
//!     let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
//!     g[0] = -2.0 * a - 400.0 * x[0] * b;
//!     g[1] = 200.0 * b;
//!     a * a + 100.0 * b * b
//! };
//! let m = bfgs(rosen, &[-1.2, 1.0], &OptimOptions::default());
//! assert!(m.converged);
//! assert!((m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6);
//! ```

/// Stopping rules shared by the optimizers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimOptions {
    /// Maximum number of iterations (BFGS steps or simplex moves).
    pub max_iter: usize,
    /// BFGS: converged when the largest absolute gradient component is at most `gtol`.
    pub gtol: f64,
    /// Converged when an iteration changes the objective by at most
    /// `ftol * (|f| + ftol)` (BFGS), or when the simplex's values span at most that much
    /// (Nelder-Mead, R's `reltol`).
    pub ftol: f64,
}

impl Default for OptimOptions {
    /// `max_iter` 1000, `gtol` 1e-8, `ftol` 1e-14 (BFGS will usually stop on the
    /// gradient; objectives should be scaled as means, not sums).
    fn default() -> Self {
        Self {
            max_iter: 1000,
            gtol: 1e-8,
            ftol: 1e-14,
        }
    }
}

/// Where an optimizer stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective at `x`.
    pub value: f64,
    /// The gradient at `x` (BFGS), or empty (Nelder-Mead).
    pub gradient: Vec<f64>,
    /// Iterations run.
    pub iterations: usize,
    /// Objective evaluations made.
    pub evaluations: usize,
    /// Whether a convergence criterion was met (rather than `max_iter`, a failed line
    /// search or a non-finite start).
    pub converged: bool,
    /// Why the optimizer stopped, in a few words.
    pub message: &'static str,
}

impl Minimum {
    /// The largest absolute gradient component (0 when no gradient is kept).
    pub fn gradient_norm(&self) -> f64 {
        self.gradient.iter().fold(0.0, |m, g| m.max(g.abs()))
    }
}

fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, g| m.max(g.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The gradient (largest component) within which a BFGS run whose line search can no
/// longer decrease the objective counts as converged: scipy's default `gtol` for BFGS.
/// A stall means the objective's rounding hides any further decrease; the crate's
/// likelihoods are means over customers, whose rounding (lgamma and digamma terms in
/// the hundreds) stalls Gamma-Gamma fits with gradients of 1e-7 to 1e-6 on about one
/// simulated data set in ten, which 1000 x `gtol` (1e-7) called not converged.
pub const STALL_GTOL: f64 = 1e-5;

/// Minimizes a smooth function with BFGS and a backtracking (Armijo) line search with
/// cubic/quadratic interpolation.
///
/// `f(x, grad)` returns the objective at `x` and writes the gradient into `grad`. A
/// non-finite value is treated as `+inf` (the line search shortens the step), so
/// objectives may return `f64::INFINITY` outside their domain. The inverse Hessian
/// approximation starts as a scaled identity and is reset to it whenever the search
/// direction stops being a descent direction.
///
/// Stops when the largest absolute gradient component is at most `opts.gtol`, when an
/// iteration changes the value by at most `opts.ftol * (|f| + ftol)`, when the line
/// search cannot decrease the objective even along the steepest-descent direction
/// (converged if the gradient is then within [`STALL_GTOL`] or 1000 x `gtol`, whichever
/// is larger), or after `opts.max_iter` iterations.
pub fn bfgs<F>(mut f: F, x0: &[f64], opts: &OptimOptions) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut evaluations = 1;
    let mut fx = f(&x, &mut g);
    let finish = |x: Vec<f64>,
                  value: f64,
                  gradient: Vec<f64>,
                  iterations: usize,
                  evaluations: usize,
                  converged: bool,
                  message: &'static str| Minimum {
        x,
        value,
        gradient,
        iterations,
        evaluations,
        converged,
        message,
    };
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return finish(
            x,
            fx,
            g,
            0,
            evaluations,
            false,
            "non-finite objective at the start",
        );
    }
    if n == 0 || inf_norm(&g) <= opts.gtol {
        return finish(x, fx, g, 0, evaluations, true, "gradient below tolerance");
    }

    // Inverse Hessian approximation, row-major.
    let mut h = vec![0.0; n * n];
    let reset = |h: &mut [f64], scale: f64| {
        h.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..n {
            h[i * n + i] = scale;
        }
    };
    reset(&mut h, 1.0);
    let mut fresh = true; // h is a (scaled) identity
    let mut d = vec![0.0; n];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut s = vec![0.0; n];
    let mut y = vec![0.0; n];
    let mut hy = vec![0.0; n];

    for iter in 1..=opts.max_iter {
        // d = -H g
        for i in 0..n {
            d[i] = -dot(&h[i * n..(i + 1) * n], &g);
        }
        let mut slope = dot(&d, &g);
        if slope >= 0.0 || !slope.is_finite() {
            reset(&mut h, 1.0);
            fresh = true;
            for i in 0..n {
                d[i] = -g[i];
            }
            slope = dot(&d, &g);
        }
        // On a fresh identity, keep the first step's length moderate.
        let mut step = if fresh {
            (1.0 / inf_norm(&d)).min(1.0)
        } else {
            1.0
        };

        // Backtracking line search (Armijo, c1 = 1e-4) with interpolation.
        let mut accepted = false;
        let mut f_new = f64::INFINITY;
        for _ in 0..60 {
            for i in 0..n {
                x_new[i] = x[i] + step * d[i];
            }
            evaluations += 1;
            f_new = f(&x_new, &mut g_new);
            let finite = f_new.is_finite() && g_new.iter().all(|v| v.is_finite());
            if finite && f_new <= fx + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            let next = if finite {
                // Minimizer of the quadratic through f(0), f'(0) and f(step).
                let q = -slope * step * step / (2.0 * (f_new - fx - slope * step));
                q.clamp(0.1 * step, 0.5 * step)
            } else {
                0.25 * step
            };
            step = next;
            if step * inf_norm(&d) < 1e-16 * (1.0 + inf_norm(&x)) {
                break;
            }
        }

        if !accepted {
            if !fresh {
                // Retry along steepest descent before giving up.
                reset(&mut h, 1.0);
                fresh = true;
                continue;
            }
            let gn = inf_norm(&g);
            return finish(
                x,
                fx,
                g,
                iter,
                evaluations,
                gn <= STALL_GTOL.max(1e3 * opts.gtol),
                "line search could not decrease the objective",
            );
        }

        for i in 0..n {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let f_old = fx;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        fx = f_new;

        if inf_norm(&g) <= opts.gtol {
            return finish(
                x,
                fx,
                g,
                iter,
                evaluations,
                true,
                "gradient below tolerance",
            );
        }
        if (f_old - fx).abs() <= opts.ftol * (fx.abs() + opts.ftol) {
            return finish(
                x,
                fx,
                g,
                iter,
                evaluations,
                true,
                "objective change below tolerance",
            );
        }

        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() && sy.is_finite() {
            if fresh {
                // Scale the identity to the curvature seen (Nocedal & Wright 6.20).
                reset(&mut h, sy / dot(&y, &y));
            }
            for i in 0..n {
                hy[i] = dot(&h[i * n..(i + 1) * n], &y);
            }
            let yhy = dot(&y, &hy);
            let rho = 1.0 / sy;
            // H += rho^2 (sy + yHy) s s' - rho (Hy s' + s y'H)
            let c = rho * rho * (sy + yhy);
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += c * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j]);
                }
            }
            fresh = false;
        }
    }
    finish(
        x,
        fx,
        g,
        opts.max_iter,
        evaluations,
        false,
        "iteration limit reached",
    )
}

fn fd_step(x: f64, power: f64) -> f64 {
    f64::EPSILON.powf(power) * x.abs().max(1.0)
}

/// Central-difference gradient of `f` at `x`, written into `grad`
/// (step `eps^(1/3) * max(|x_i|, 1)`).
///
/// ```text
/// use patronage::math::optim::numerical_gradient;
/// let mut g = [0.0; 2];
/// numerical_gradient(|x: &[f64]| x[0] * x[0] + 3.0 * x[1], &[2.0, 5.0], &mut g);
/// assert!((g[0] - 4.0).abs() < 1e-8 && (g[1] - 3.0).abs() < 1e-8);
/// ```
pub fn numerical_gradient<F>(mut f: F, x: &[f64], grad: &mut [f64])
where
    F: FnMut(&[f64]) -> f64,
{
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        let h = fd_step(x[i], 1.0 / 3.0);
        xp[i] = x[i] + h;
        let fp = f(&xp);
        xp[i] = x[i] - h;
        let fm = f(&xp);
        xp[i] = x[i];
        grad[i] = (fp - fm) / (2.0 * h);
    }
}

/// Central-difference Hessian of `f` at `x`, row-major `n x n` and symmetric
/// (step `eps^(1/4) * max(|x_i|, 1)`). Costs `2n^2 + 1` evaluations; prefer
/// [`hessian_from_gradient`] when an analytic gradient exists.
///
/// ```text
/// use patronage::math::optim::numerical_hessian;
/// let h = numerical_hessian(|x: &[f64]| x[0] * x[0] * x[1] + x[1] * x[1], &[1.0, 2.0]);
/// let want = [4.0, 2.0, 2.0, 2.0];
/// assert!(h.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-5));
/// ```
pub fn numerical_hessian<F>(mut f: F, x: &[f64]) -> Vec<f64>
where
    F: FnMut(&[f64]) -> f64,
{
    let n = x.len();
    let steps: Vec<f64> = x.iter().map(|&v| fd_step(v, 0.25)).collect();
    let f0 = f(x);
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    for i in 0..n {
        let hi = steps[i];
        xp[i] = x[i] + hi;
        let fp = f(&xp);
        xp[i] = x[i] - hi;
        let fm = f(&xp);
        xp[i] = x[i];
        hess[i * n + i] = (fp - 2.0 * f0 + fm) / (hi * hi);
        for j in 0..i {
            let hj = steps[j];
            let mut corner = |si: f64, sj: f64| {
                xp[i] = x[i] + si * hi;
                xp[j] = x[j] + sj * hj;
                let v = f(&xp);
                xp[i] = x[i];
                xp[j] = x[j];
                v
            };
            let v = (corner(1.0, 1.0) - corner(1.0, -1.0) - corner(-1.0, 1.0) + corner(-1.0, -1.0))
                / (4.0 * hi * hj);
            hess[i * n + j] = v;
            hess[j * n + i] = v;
        }
    }
    hess
}

/// Hessian at `x` by central differences of an analytic gradient, symmetrized; row-major
/// `n x n`. `grad(x, g)` writes the gradient at `x` into `g` (its return value, if the
/// closure computes the objective too, is ignored).
///
/// ```text
/// use patronage::math::optim::hessian_from_gradient;
/// let grad = |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * x[0] * x[1];
///     g[1] = x[0] * x[0] + 2.0 * x[1];
///     0.0
/// };
/// let h = hessian_from_gradient(grad, &[1.0, 2.0]);
/// let want = [4.0, 2.0, 2.0, 2.0];
/// assert!(h.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6));
/// ```
pub fn hessian_from_gradient<F>(mut grad: F, x: &[f64]) -> Vec<f64>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x.len();
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    for j in 0..n {
        let h = fd_step(x[j], 1.0 / 3.0);
        xp[j] = x[j] + h;
        grad(&xp, &mut gp);
        xp[j] = x[j] - h;
        grad(&xp, &mut gm);
        xp[j] = x[j];
        for i in 0..n {
            hess[i * n + j] = (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let v = 0.5 * (hess[i * n + j] + hess[j * n + i]);
            hess[i * n + j] = v;
            hess[j * n + i] = v;
        }
    }
    hess
}

/// Cholesky factor `L` (lower triangular, row-major) of a symmetric positive-definite
/// `n x n` matrix, or `None` when a pivot is not positive and finite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    // `a` holds n^2 values, so n^2 cannot overflow once the length matches.
    if n.checked_mul(n) != Some(a.len()) {
        return None;
    }
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            for k in 0..j {
                sum -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Inverse of a symmetric positive-definite `n x n` matrix (row-major) through its
/// Cholesky factor, or `None` when the matrix is not positive definite. Used for
/// standard errors: the inverse of the observed information.
///
/// ```text
/// use patronage::math::optim::cholesky_inverse;
/// // A literal positive-definite matrix: the inverse exists.
/// let inv = cholesky_inverse(&[4.0, 2.0, 2.0, 3.0], 2).unwrap();
/// let want = [0.375, -0.25, -0.25, 0.5];
/// assert!(inv.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
/// assert!(cholesky_inverse(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
/// ```
pub fn cholesky_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, n)?;
    // Invert L (lower triangular), then A^-1 = L^-T L^-1.
    let mut li = vec![0.0; n * n];
    for i in 0..n {
        li[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let mut sum = 0.0;
            for k in j..i {
                sum -= l[i * n + k] * li[k * n + j];
            }
            li[i * n + j] = sum / l[i * n + i];
        }
    }
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = 0.0;
            for k in i..n {
                sum += li[k * n + i] * li[k * n + j];
            }
            inv[i * n + j] = sum;
            inv[j * n + i] = sum;
        }
    }
    Some(inv)
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfgs_quadratic_in_many_dimensions() {
        // f = sum i * (x_i - i)^2
        let f = |x: &[f64], g: &mut [f64]| {
            let mut v = 0.0;
            for (i, (xi, gi)) in x.iter().zip(g.iter_mut()).enumerate() {
                let w = (i + 1) as f64;
                v += w * (xi - w).powi(2);
                *gi = 2.0 * w * (xi - w);
            }
            v
        };
        let m = bfgs(f, &[0.0; 8], &OptimOptions::default());
        assert!(m.converged, "{m:?}");
        for (i, xi) in m.x.iter().enumerate() {
            assert!((xi - (i + 1) as f64).abs() < 1e-7);
        }
    }

    #[test]
    fn bfgs_backs_off_from_infinite_region() {
        // -log(x) + x is minimized at 1, infinite for x <= 0.
        let f = |x: &[f64], g: &mut [f64]| {
            if x[0] <= 0.0 {
                g[0] = f64::NAN;
                return f64::INFINITY;
            }
            g[0] = -1.0 / x[0] + 1.0;
            -x[0].ln() + x[0]
        };
        let m = bfgs(f, &[10.0], &OptimOptions::default());
        assert!(m.converged, "{m:?}");
        assert!((m.x[0] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn bfgs_reports_nonfinite_start() {
        let m = bfgs(
            |_: &[f64], _: &mut [f64]| f64::NAN,
            &[1.0],
            &OptimOptions::default(),
        );
        assert!(!m.converged);
        assert_eq!(m.iterations, 0);
    }

    #[test]
    fn bfgs_iteration_limit_is_reported() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
            g[0] = -2.0 * a - 400.0 * x[0] * b;
            g[1] = 200.0 * b;
            a * a + 100.0 * b * b
        };
        let opts = OptimOptions {
            max_iter: 3,
            ..OptimOptions::default()
        };
        let m = bfgs(rosen, &[-1.2, 1.0], &opts);
        assert!(!m.converged);
        assert_eq!(m.iterations, 3);
    }

    #[test]
    fn hessians_agree_on_a_cubic() {
        let f = |x: &[f64]| x[0].powi(3) + x[0] * x[1] * x[2] + x[2].exp();
        let g = |x: &[f64], g: &mut [f64]| {
            g[0] = 3.0 * x[0] * x[0] + x[1] * x[2];
            g[1] = x[0] * x[2];
            g[2] = x[0] * x[1] + x[2].exp();
            0.0
        };
        let x = [0.5, -1.0, 0.3];
        let want = [3.0, 0.3, -1.0, 0.3, 0.0, 0.5, -1.0, 0.5, 0.3f64.exp()];
        let h1 = numerical_hessian(f, &x);
        let h2 = hessian_from_gradient(g, &x);
        for k in 0..9 {
            assert!((h1[k] - want[k]).abs() < 1e-5, "{k}: {}", h1[k]);
            assert!((h2[k] - want[k]).abs() < 1e-7, "{k}: {}", h2[k]);
        }
    }

    #[test]
    fn cholesky_size_whose_square_overflows_is_none() {
        assert!(cholesky(&[1.0], 1usize << 33).is_none());
        assert!(cholesky_inverse(&[], usize::MAX).is_none());
    }

    #[test]
    fn cholesky_inverse_round_trip() {
        let a = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let inv = cholesky_inverse(&a, 3).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(cholesky(&a, 2).is_none(), "wrong size is rejected");
    }
}
