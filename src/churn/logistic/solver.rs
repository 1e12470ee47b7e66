//! The solvers: Newton / IRLS (with a subsample warm start and chord steps on large
//! inputs) and BFGS for many features.

use super::fit::separated;
use super::objective::Problem;
use crate::error::{Error, Result};
use crate::math::optim::{OptimOptions, bfgs, cholesky};

/// Rows above which Newton starts from a subsample's fit (see `newton_warm`).
const WARM_START_ROWS: usize = 50_000;

/// Gradient-only chord steps tried before falling back to full Newton.
const CHORD_STEPS: usize = 12;

impl Problem<'_> {
    /// Newton for large inputs in three stages: a full Newton fit to an evenly strided
    /// subsample (same mean objective, so nearly the same optimum), one Hessian pass over
    /// all rows there, then chord steps `β ← β - H₀⁻¹ g(β)` that each need only a
    /// gradient pass (several times cheaper than a Hessian pass). Near the optimum the
    /// chord iteration contracts fast; if it does not, full Newton takes over from where
    /// it stands. The answer is the full-data optimum either way.
    pub(super) fn newton_warm(&self, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let n = self.y.len();
        let dim = self.dim();
        if n < 4 * WARM_START_ROWS {
            return self.newton(vec![0.0; dim], tol, max_iter);
        }
        let stride = n / WARM_START_ROWS;
        let rows: Vec<usize> = (0..n).step_by(stride).collect();
        let sub_weights: Vec<f64> = rows.iter().map(|&i| self.weights[i]).collect();
        let sub_total: f64 = sub_weights.iter().sum();
        if sub_total <= 0.0 {
            return self.newton(vec![0.0; dim], tol, max_iter);
        }
        let sub = Problem {
            x: ndarray::CowArray::from(self.x.select(ndarray::Axis(0), &rows)),
            y: rows.iter().map(|&i| self.y[i]).collect(),
            weights: sub_weights,
            p: self.p,
            intercept: self.intercept,
            ridge: self.ridge,
            ridge_scale: self.ridge_scale.clone(),
            total_weight: sub_total,
        };
        let start = match sub.newton(vec![0.0; dim], tol, max_iter) {
            Ok((b, _)) => b,
            // The subsample may be separable when the data are not: start at zero.
            Err(_) => return self.newton(vec![0.0; dim], tol, max_iter),
        };
        let (mut loss, gh) = self.evaluate(&start, true);
        let mut beta = start;
        let hess = gh[dim..].to_vec();
        let mut grad = gh[..dim].to_vec();
        let gmax = |g: &[f64]| g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut previous = gmax(&grad);
        for it in 1..=CHORD_STEPS {
            if previous <= tol {
                return Ok((beta, it - 1));
            }
            let Some(step) = solve_spd(&hess, &grad, dim) else {
                break;
            };
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - s).collect();
            let (l, out) = self.evaluate(&trial, false);
            let g = gmax(&out[..dim]);
            // Accept only clear progress; otherwise hand over to full Newton.
            if !(l.is_finite() && l <= loss + 1e-12 * loss.abs() && g < 0.5 * previous) {
                break;
            }
            (beta, loss, previous) = (trial, l, g);
            grad.copy_from_slice(&out[..dim]);
        }
        if previous <= tol {
            return Ok((beta, CHORD_STEPS));
        }
        self.newton(beta, tol, max_iter)
    }

    /// Newton / IRLS with a Cholesky solve and backtracking on the objective.
    fn newton(&self, start: Vec<f64>, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let dim = self.dim();
        let mut beta = start;
        let (mut loss, mut gh) = self.evaluate(&beta, true);
        for it in 1..=max_iter {
            let grad = &gh[..dim];
            if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= tol {
                return Ok((beta, it - 1));
            }
            let hess = &gh[dim..];
            let step = solve_spd(hess, grad, dim).ok_or_else(|| {
                if self.ridge == 0.0 {
                    separated()
                } else {
                    not_converged(it, "singular Hessian", &beta)
                }
            })?;
            // Full Newton step first, evaluated with its Hessian (one pass); halve the
            // step with cheaper loss-only passes if the objective did not decrease.
            let mut t = 1.0;
            let mut accepted = false;
            for k in 0..50 {
                let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
                let (l, out) = self.evaluate(&trial, k == 0);
                if l.is_finite() && l <= loss + 1e-12 * loss.abs() {
                    beta = trial;
                    (loss, gh) = if k == 0 {
                        (l, out)
                    } else {
                        self.evaluate(&beta, true)
                    };
                    accepted = true;
                    break;
                }
                t *= 0.5;
            }
            if !accepted {
                // No decrease possible: at the optimum up to rounding, or stuck.
                let gmax = gh[..dim].iter().fold(0.0f64, |m, g| m.max(g.abs()));
                if gmax <= tol.sqrt() {
                    return Ok((beta, it));
                }
                return Err(not_converged(
                    it,
                    "the line search could not decrease the objective",
                    &beta,
                ));
            }
            if self.ridge == 0.0 && (loss < 1e-10 || beta.iter().any(|b| b.abs() > 1e4)) {
                return Err(separated());
            }
        }
        let grad = &gh[..dim];
        if grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) <= tol {
            return Ok((beta, max_iter));
        }
        Err(not_converged(max_iter, "iteration limit reached", &beta))
    }

    /// BFGS for many features (no Hessian from the data).
    pub(super) fn quasi_newton(&self, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let dim = self.dim();
        let opts = OptimOptions {
            max_iter: max_iter.max(10 * dim),
            gtol: tol,
            ftol: 0.0,
        };
        let m = bfgs(
            |b, g| {
                let (l, out) = self.evaluate(b, false);
                g.copy_from_slice(&out[..dim]);
                l
            },
            &vec![0.0; dim],
            &opts,
        );
        if self.ridge == 0.0 && (m.value < 1e-10 || m.x.iter().any(|b| b.abs() > 1e4)) {
            return Err(separated());
        }
        if !m.converged {
            return Err(not_converged(m.iterations, m.message, &m.x));
        }
        Ok((m.x, m.iterations))
    }
}

fn not_converged(iterations: usize, reason: &str, beta: &[f64]) -> Error {
    Error::NotConverged {
        model: "logistic regression",
        iterations,
        reason: reason.into(),
        last_iterate: beta.to_vec(),
    }
}

/// Solves `A x = b` for symmetric positive-definite `A` by Cholesky; retries with a
/// small diagonal jitter before giving up.
fn solve_spd(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let scale = (0..n)
        .map(|i| a[i * n + i].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    let l = cholesky(a, n).or_else(|| {
        let mut j = a.to_vec();
        for i in 0..n {
            j[i * n + i] += 1e-10 * scale;
        }
        cholesky(&j, n)
    })?;
    // Forward then back substitution.
    let mut z = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * z[k]).sum();
        z[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (z[i] - s) / l[i * n + i];
    }
    Some(x)
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod warm_start_tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The subsample warm start with chord steps lands on the same optimum as Newton
    /// from zero (the full-data optimum), penalized or not.
    #[test]
    fn warm_start_reaches_the_full_data_optimum() {
        let (n, p) = (4 * WARM_START_ROWS + 123, 5);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        let x = ndarray::Array2::from_shape_fn((n, p), |_| rng.random::<f64>() * 2.0 - 1.0);
        let y: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| {
                let z = 0.3
                    + r.iter()
                        .enumerate()
                        .map(|(j, v)| (j as f64 - 2.0) * v)
                        .sum::<f64>();
                f64::from(u8::from(rng.random::<f64>() < 1.0 / (1.0 + (-z).exp())))
            })
            .collect();
        for ridge in [0.0, 1.0 / n as f64] {
            let problem = Problem {
                x: ndarray::CowArray::from(x.view()),
                y: y.clone(),
                weights: vec![1.0; n],
                p,
                intercept: true,
                ridge,
                ridge_scale: Vec::new(),
                total_weight: n as f64,
            };
            let (warm, _) = problem.newton_warm(1e-10, 100).unwrap();
            let (cold, _) = problem.newton(vec![0.0; p + 1], 1e-10, 100).unwrap();
            for (a, b) in warm.iter().zip(&cold) {
                assert!((a - b).abs() < 1e-8, "{warm:?} vs {cold:?}");
            }
        }
    }
}
