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

    /// Newton / IRLS with a Cholesky solve and backtracking on the objective (the
    /// [`Newton`] iteration fed by this problem's passes).
    fn newton(&self, start: Vec<f64>, tol: f64, max_iter: usize) -> Result<(Vec<f64>, usize)> {
        let mut newton = Newton::new(start, self.ridge == 0.0, tol, max_iter);
        loop {
            match newton.request() {
                Some((beta, hessian)) => {
                    let (loss, out) = self.evaluate(beta, hessian);
                    newton.supply(loss, out);
                }
                None => return newton.outcome(),
            }
        }
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

/// Newton / IRLS on a mean objective, as a state machine that asks for one pass over
/// the rows at a time ([`request`](Newton::request): coefficients, and whether the
/// Hessian is needed) and is fed its result ([`supply`](Newton::supply)), so the passes
/// can run anywhere (in this process, or in a query engine between awaits).
///
/// Each iteration solves for the Newton step by Cholesky and backtracks on the
/// objective: the full step is evaluated with its Hessian (one pass); halved steps with
/// cheaper loss-only passes, then one Hessian pass at the accepted point. Without a
/// ridge, a vanishing loss or a coefficient beyond 1e4 is reported as separation.
#[derive(Debug, Clone)]
pub(super) struct Newton {
    dim: usize,
    unpenalized: bool,
    tol: f64,
    max_iter: usize,
    beta: Vec<f64>,
    loss: f64,
    /// Gradient then Hessian at `beta` (empty before the first pass).
    gh: Vec<f64>,
    iteration: usize,
    phase: Phase,
}

#[derive(Debug, Clone)]
enum Phase {
    /// The first pass, at the start.
    Start,
    /// Trying `trial = beta - t * step`, the `k`-th halving.
    Trial {
        step: Vec<f64>,
        t: f64,
        k: usize,
        trial: Vec<f64>,
    },
    /// The Hessian pass at a point accepted after halving.
    Refresh,
    /// Finished, with the optimum and the iterations taken, or why not.
    Done(Result<(Vec<f64>, usize)>),
}

/// Halvings of the Newton step tried before giving up.
const MAX_HALVINGS: usize = 50;

impl Newton {
    pub(super) fn new(start: Vec<f64>, unpenalized: bool, tol: f64, max_iter: usize) -> Self {
        Self {
            dim: start.len(),
            unpenalized,
            tol,
            max_iter,
            beta: start,
            loss: f64::INFINITY,
            gh: Vec::new(),
            iteration: 0,
            phase: Phase::Start,
        }
    }

    /// The pass wanted next: coefficients (intercept last) and whether the Hessian is
    /// needed; `None` once finished.
    pub(super) fn request(&self) -> Option<(&[f64], bool)> {
        match &self.phase {
            Phase::Start | Phase::Refresh => Some((&self.beta, true)),
            Phase::Trial { trial, k, .. } => Some((trial, *k == 0)),
            Phase::Done(_) => None,
        }
    }

    /// The current iterate.
    pub(super) fn beta(&self) -> &[f64] {
        &self.beta
    }

    /// Whether the pass asked for is at the current iterate (not a trial point).
    pub(super) fn at_current(&self) -> bool {
        !matches!(self.phase, Phase::Trial { .. })
    }

    /// Feeds the pass asked for: the mean objective and its gradient (and Hessian, when
    /// asked), as [`Problem::evaluate`] lays them out.
    pub(super) fn supply(&mut self, loss: f64, out: Vec<f64>) {
        match std::mem::replace(&mut self.phase, Phase::Start) {
            Phase::Start | Phase::Refresh => {
                (self.loss, self.gh) = (loss, out);
                self.accepted();
            }
            Phase::Trial { step, t, k, trial } => {
                if loss.is_finite() && loss <= self.loss + 1e-12 * self.loss.abs() {
                    self.beta = trial;
                    if k == 0 {
                        (self.loss, self.gh) = (loss, out);
                        self.accepted();
                    } else {
                        self.phase = Phase::Refresh;
                    }
                } else if k + 1 == MAX_HALVINGS {
                    // No decrease possible: at the optimum up to rounding, or stuck.
                    self.phase = Phase::Done(if self.gradient_max() <= self.tol.sqrt() {
                        Ok((self.beta.clone(), self.iteration))
                    } else {
                        Err(not_converged(
                            self.iteration,
                            "the line search could not decrease the objective",
                            &self.beta,
                        ))
                    });
                } else {
                    let t = 0.5 * t;
                    let trial = self
                        .beta
                        .iter()
                        .zip(&step)
                        .map(|(b, s)| b - t * s)
                        .collect();
                    self.phase = Phase::Trial {
                        step,
                        t,
                        k: k + 1,
                        trial,
                    };
                }
            }
            done @ Phase::Done(_) => self.phase = done,
        }
    }

    /// The result once [`request`](Self::request) says finished.
    pub(super) fn outcome(self) -> Result<(Vec<f64>, usize)> {
        match self.phase {
            Phase::Done(result) => result,
            _ => Err(not_converged(
                self.iteration,
                "stopped before the iterations finished",
                &self.beta,
            )),
        }
    }

    fn gradient_max(&self) -> f64 {
        self.gh[..self.dim]
            .iter()
            .fold(0.0f64, |m, g| m.max(g.abs()))
    }

    /// A new point was accepted (or the start evaluated): check for separation, then
    /// begin the next iteration.
    fn accepted(&mut self) {
        if self.iteration > 0
            && self.unpenalized
            && (self.loss < 1e-10 || self.beta.iter().any(|b| b.abs() > 1e4))
        {
            self.phase = Phase::Done(Err(separated()));
            return;
        }
        self.iteration += 1;
        if self.gradient_max() <= self.tol {
            self.phase = Phase::Done(Ok((self.beta.clone(), self.iteration - 1)));
            return;
        }
        if self.iteration > self.max_iter {
            self.phase = Phase::Done(Err(not_converged(
                self.max_iter,
                "iteration limit reached",
                &self.beta,
            )));
            return;
        }
        let dim = self.dim;
        let Some(step) = solve_spd(&self.gh[dim..], &self.gh[..dim], dim) else {
            self.phase = Phase::Done(Err(if self.unpenalized {
                separated()
            } else {
                not_converged(self.iteration, "singular Hessian", &self.beta)
            }));
            return;
        };
        let trial = self.beta.iter().zip(&step).map(|(b, s)| b - s).collect();
        self.phase = Phase::Trial {
            step,
            t: 1.0,
            k: 0,
            trial,
        };
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
