//! Confidence intervals on CLV predictions from the uncertainty of the fitted
//! parameters, by the delta method or a seeded parametric bootstrap ([`Method`]).
//!
//! A fitted model keeps the covariance of its estimates (the inverse observed
//! information, [`FitReport::covariance`](crate::FitReport::covariance)). For a
//! prediction `g(θ)` (a customer's P(alive), expected purchases or lifetime value, or
//! their total over customers), the delta method approximates the variance of `g(θ̂)` by
//! `∇g' Σ ∇g`, with the gradient by central differences in each parameter (relative
//! step `1e-5`). The interval is built on a scale where the normal approximation holds
//! better and mapped back, so it stays in the prediction's range: the logit of P(alive)
//! (within `(0, 1)`), the logarithm of expected purchases, lifetime values and totals
//! (positive). A prediction at the edge of its range (P(alive) of exactly 1, a value of
//! 0) has a zero-width interval.
//!
//! Lifetime value combines a purchase model and a Gamma-Gamma spend model fitted
//! separately: their estimates are taken as independent (block-diagonal covariance).
//!
//! The parametric bootstrap ([`Method::Bootstrap`]) simulates the history of each
//! customer of the data the models were fitted to (frequency, recency, and average
//! spend for lifetime value) at their own age `T` from the fitted models, refits with default options and predicts again, `replications`
//! times. An interval uses the variance of the predictions over the replications, on
//! the same scale as the delta method (normal bootstrap intervals: percentile intervals
//! would need every replication's prediction per customer in memory, and covered less
//! on the checks below). Replications run in order and each
//! simulation's blocks are seeded from the seed, the replication and the block, so the
//! intervals do not depend on the number of threads. Samplers exist for BG/NBD and
//! Pareto/NBD (and Gamma-Gamma); the bootstrap costs `replications` refits and
//! predictions, the delta method `2k + 1` predictions for `k` parameters.
//!
//! The intervals describe parameter uncertainty only, the question "how sure is this
//! CLV estimate" (lifetimes #201, CLVTools #170); a single customer's future purchases
//! vary far more than their expectation. In `tests/clv_intervals.rs`, nominal 90%
//! intervals for BG/NBD predictions cover the true-parameter value in 85-95% of 200
//! simulated replications.
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::clv::{BetaGeo, intervals::{self, Method}};
//! use patronage::Horizon;
//!
//! let summary = patronage::simulate::Simulation::new(3_000).seed(2).summary_continuous()?;
//! let model = BetaGeo::params().fit(&summary)?;
//! let alive = intervals::probability_alive(&model, &summary, 0.9, Method::Delta)?;
//! let first = alive.customers[0];
//! assert!(first.lower <= first.estimate && first.estimate <= first.upper);
//! let boot = Method::Bootstrap { replications: 50, seed: 1, fitted_on: &summary };
//! let purchases = intervals::expected_purchases(&model, &summary, Horizon::years(1.0), 0.9, boot)?;
//! println!("next year: {:.0} purchases ({:.0} to {:.0})",
//!     purchases.total.estimate, purchases.total.lower, purchases.total.upper);
//! # Ok::<(), patronage::Error>(())
//! ```

use rand::SeedableRng;
use rand_distr::{Distribution, Gamma};
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::Horizon;
use crate::clv::value::Valuation;
use crate::clv::{GammaGamma, PurchaseModel};
use crate::error::{Error, Result};
use crate::model::{Fit, FittedModel};
use crate::summary::CustomerSummary;

/// A prediction and its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Interval {
    /// The prediction at the fitted parameters.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// Intervals per customer (in summary row order) and for their total.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Intervals {
    /// One interval per customer.
    pub customers: Vec<Interval>,
    /// The total over customers (for P(alive): the expected number alive).
    pub total: Interval,
    /// The confidence level.
    pub level: f64,
}

/// The scale an interval is built on.
#[derive(Clone, Copy)]
enum Scale {
    /// Logit: probabilities.
    Logit,
    /// Logarithm: positive quantities.
    Log,
}

impl Scale {
    /// The transformed value and its derivative.
    fn forward(self, g: f64) -> Option<(f64, f64)> {
        match self {
            Scale::Logit if g > 0.0 && g < 1.0 => {
                Some(((g / (1.0 - g)).ln(), 1.0 / (g * (1.0 - g))))
            }
            Scale::Log if g > 0.0 => Some((g.ln(), 1.0 / g)),
            _ => None,
        }
    }

    fn back(self, y: f64) -> f64 {
        match self {
            Scale::Logit => 1.0 / (1.0 + (-y).exp()),
            Scale::Log => y.exp(),
        }
    }
}

/// How an interval is computed (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Method<'a> {
    /// The delta method from the fit's covariance.
    #[default]
    Delta,
    /// Parametric bootstrap: `replications` data sets like `fitted_on` (the summary the
    /// models were fitted to: each customer simulated at their own age `T`) drawn from
    /// the fitted models and refitted with default options; the same `seed` gives the
    /// same intervals on any number of threads. BG/NBD and Pareto/NBD (with
    /// Gamma-Gamma for lifetime value).
    Bootstrap {
        /// Simulated data sets (2 to [`MAX_REPLICATIONS`]).
        replications: usize,
        /// Seed of the simulations.
        seed: u64,
        /// The data the models were fitted to.
        fitted_on: &'a CustomerSummary,
    },
}

/// Most bootstrap replications.
pub const MAX_REPLICATIONS: usize = 10_000;

/// Most repeat purchases one simulated customer may make in a bootstrap replication
/// (a bound on the work for extreme fitted rates).
pub const MAX_SIMULATED_PURCHASES: u32 = 100_000;

/// P(alive) of each customer with an interval at confidence `level` (see the
/// [module docs](self)), and the expected number alive.
///
/// # Errors
/// [`Error::InvalidParameter`] for a level outside `(0, 1)` or bootstrap replications
/// outside `2..=MAX_REPLICATIONS`; [`Error::InsufficientData`] for a model without a
/// covariance (delta method: built from given parameters, or a fit whose information
/// is not positive definite), a model without a bootstrap sampler, or a bootstrap
/// whose refits fail too often; the model's errors for the summary.
pub fn probability_alive<M: PurchaseModel + FittedModel + Sync>(
    model: &M,
    summary: &CustomerSummary,
    level: f64,
    method: Method<'_>,
) -> Result<Intervals> {
    let predict = |m: &M, _: Option<&GammaGamma>| crate::clv::probability_alive(m, summary);
    compute(
        "probability_alive",
        model,
        None,
        level,
        method,
        Scale::Logit,
        predict,
    )
}

/// Expected purchases of each customer over `horizon` with an interval at confidence
/// `level` (see the [module docs](self)), and their total.
///
/// # Errors
/// As [`probability_alive`], and the horizon's errors of
/// [`clv::expected_purchases`](crate::clv::expected_purchases).
pub fn expected_purchases<M: PurchaseModel + FittedModel + Sync>(
    model: &M,
    summary: &CustomerSummary,
    horizon: Horizon,
    level: f64,
    method: Method<'_>,
) -> Result<Intervals> {
    let predict =
        |m: &M, _: Option<&GammaGamma>| crate::clv::expected_purchases(m, summary, horizon);
    compute(
        "expected_purchases",
        model,
        None,
        level,
        method,
        Scale::Log,
        predict,
    )
}

/// Lifetime value of each customer under `valuation` with an interval at confidence
/// `level` (see the [module docs](self)), and the total (the cohort's value): parameter
/// uncertainty of both the purchase and the spend model.
///
/// # Errors
/// As [`probability_alive`] (for either model), and [`Valuation::value`]'s.
pub fn lifetime_value<M: PurchaseModel + FittedModel + Sync>(
    valuation: &Valuation,
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    level: f64,
    method: Method<'_>,
) -> Result<Intervals> {
    let predict = |m: &M, g: Option<&GammaGamma>| match g {
        Some(g) => valuation.value(m, g, summary),
        None => valuation.value(m, spend, summary),
    };
    compute(
        "lifetime_value",
        purchases,
        Some(spend),
        level,
        method,
        Scale::Log,
        predict,
    )
}

/// Checks the level and dispatches to the method.
#[allow(clippy::too_many_arguments)]
fn compute<M: PurchaseModel + FittedModel + Sync>(
    what: &'static str,
    model: &M,
    spend: Option<&GammaGamma>,
    level: f64,
    method: Method<'_>,
    scale: Scale,
    predict: impl Fn(&M, Option<&GammaGamma>) -> Result<Vec<f64>>,
) -> Result<Intervals> {
    if !(level > 0.0 && level < 1.0) {
        return Err(crate::validate::invalid_parameter(
            "level",
            level,
            "a confidence level is in (0, 1)",
        ));
    }
    match method {
        Method::Delta => {
            let mut blocks = vec![Block::new(
                model.parameter_values(),
                covariance(what, model.report())?,
            )];
            if let Some(g) = spend {
                blocks.push(Block::new(
                    g.parameter_values(),
                    covariance(what, g.report())?,
                ));
            }
            delta(level, scale, &blocks, |values: &[Vec<f64>]| {
                let m = model.reparameterized(&values[0]);
                match (spend, values.get(1)) {
                    (Some(g), Some(v)) => predict(&m, Some(&g.with_values(v))),
                    _ => predict(&m, None),
                }
            })
        }
        Method::Bootstrap {
            replications,
            seed,
            fitted_on,
        } => bootstrap(
            what,
            model,
            spend,
            fitted_on,
            (level, scale),
            (replications, seed),
            predict,
        ),
    }
}

/// The parametric bootstrap: per customer and for the total, the variance of the
/// predictions over the replications, mapped to `scale` (the log scale for the total)
/// as the delta method does.
fn bootstrap<M: PurchaseModel + FittedModel + Sync>(
    what: &'static str,
    model: &M,
    spend: Option<&GammaGamma>,
    fitted_on: &CustomerSummary,
    (level, scale): (f64, Scale),
    (replications, seed): (usize, u64),
    predict: impl Fn(&M, Option<&GammaGamma>) -> Result<Vec<f64>>,
) -> Result<Intervals> {
    Error::check_count(
        "replications",
        replications,
        2,
        "MAX_REPLICATIONS",
        MAX_REPLICATIONS,
    )?;
    let estimate = predict(model, spend)?;
    let (n, m_fit) = (estimate.len(), fitted_on.len());
    let (ages, unit) = (fitted_on.age(), fitted_on.time_unit_days());
    let spend_params = spend.map(|g| g.parameter_values());
    // Welford's running mean and sum of squares per customer, replications in order.
    let (mut mean, mut m2) = (vec![0.0; n], vec![0.0; n]);
    let mut totals = Vec::with_capacity(replications);
    let mut failed = 0;
    for b in 0..replications {
        let stream = crate::kernels::mix(seed, b as u64);
        let blocks = crate::kernels::map_chunks(m_fit, |lo, hi| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(crate::kernels::mix(stream, lo as u64));
            (lo..hi)
                .map(|i| {
                    let (x, tx) =
                        model.sample_history(ages[i], MAX_SIMULATED_PURCHASES, &mut rng)?;
                    let m = match &spend_params {
                        Some(g) => sample_spend(g, x, &mut rng)?,
                        None => 0.0,
                    };
                    Some((x, tx, m))
                })
                .collect::<Option<Vec<_>>>()
        });
        let mut x = Vec::with_capacity(m_fit);
        let mut tx = Vec::with_capacity(m_fit);
        let mut m = Vec::with_capacity(m_fit);
        for block in blocks {
            let Some(block) = block else {
                return Err(Error::InsufficientData {
                    model: what,
                    reason: format!(
                        "the model has no bootstrap sampler here, or a simulated customer \
                         made more than MAX_SIMULATED_PURCHASES = {MAX_SIMULATED_PURCHASES} \
                         purchases (use Method::Delta)"
                    ),
                });
            };
            for (a, b, c) in block {
                x.push(a);
                tx.push(b);
                m.push(c);
            }
        }
        let simulated =
            CustomerSummary::from_columns(&x, &tx, ages, Some(&m))?.with_time_unit_days(unit)?;
        let refits = model.refit(&simulated).and_then(|fitted| {
            let g = match spend {
                Some(_) => Some(GammaGamma::params().fit(&simulated)?),
                None => None,
            };
            Ok((fitted, g))
        });
        let Ok((fitted, g)) = refits else {
            failed += 1;
            continue;
        };
        let values = predict(&fitted, g.as_ref())?;
        let k = (b + 1 - failed) as f64;
        for ((v, mu), s) in values.iter().zip(&mut mean).zip(&mut m2) {
            let d = v - *mu;
            *mu += d / k;
            *s += d * (v - *mu);
        }
        totals.push(values.iter().sum::<f64>());
    }
    // Refits that fail (an optimizer that stalls on a simulated sample) are left out; a
    // bootstrap that loses more than a tenth of them is not reported.
    if failed * 10 > replications || totals.len() < 2 {
        return Err(Error::InsufficientData {
            model: what,
            reason: format!("{failed} of {replications} bootstrap refits failed"),
        });
    }
    let k = totals.len() as f64;
    let customers = estimate
        .iter()
        .zip(&m2)
        .map(|(&g, &s)| interval(scale, z_of(level), g, s / (k - 1.0)))
        .collect();
    let total: f64 = estimate.iter().sum();
    let mean_total = totals.iter().sum::<f64>() / k;
    let var_total = totals.iter().map(|t| (t - mean_total).powi(2)).sum::<f64>() / (k - 1.0);
    Ok(Intervals {
        customers,
        total: interval(Scale::Log, z_of(level), total, var_total),
        level,
    })
}

/// One simulated average spend per repeat purchase under Gamma-Gamma (p, q, v): `nu ~
/// Gamma(q, rate v)`, the mean of `x` spends `~ Gamma(p, rate nu)`; 0 without repeats.
fn sample_spend(params: &[f64], x: f64, rng: &mut Xoshiro256PlusPlus) -> Option<f64> {
    if x <= 0.0 {
        return Some(0.0);
    }
    let (p, q, v) = (params[0], params[1], params[2]);
    let nu = Gamma::new(q, 1.0 / v).ok()?.sample(rng);
    let total = Gamma::new(p * x, 1.0 / nu).ok()?.sample(rng);
    let mean = total / x;
    mean.is_finite().then_some(mean)
}

fn z_of(level: f64) -> f64 {
    Normal::standard().inverse_cdf(0.5 + 0.5 * level)
}

/// One model's parameter values and the covariance of their estimates.
struct Block {
    values: Vec<f64>,
    cov: Vec<f64>,
}

impl Block {
    fn new(values: Vec<f64>, cov: &[f64]) -> Self {
        Self {
            values,
            cov: cov.to_vec(),
        }
    }
}

fn covariance<'a>(what: &'static str, report: &'a crate::FitReport) -> Result<&'a [f64]> {
    report
        .covariance
        .as_deref()
        .filter(|c| c.len() == report.n_params * report.n_params)
        .ok_or_else(|| Error::InsufficientData {
            model: what,
            reason: "the model has no covariance of its estimates (fit it to data; a model \
                     from given parameters, or a fit whose information matrix is not \
                     positive definite, has none)"
                .into(),
        })
}

/// Relative step of the central differences.
const STEP: f64 = 1e-5;

/// Delta-method intervals of the predictions `predict(values)` (one vector of values
/// per block) at the blocks' fitted values: each customer's on `scale`, the total's on
/// the log scale.
fn delta(
    level: f64,
    scale: Scale,
    blocks: &[Block],
    predict: impl Fn(&[Vec<f64>]) -> Result<Vec<f64>>,
) -> Result<Intervals> {
    let z = z_of(level);
    let fitted: Vec<Vec<f64>> = blocks.iter().map(|b| b.values.clone()).collect();
    let estimate = predict(&fitted)?;
    let n = estimate.len();
    let total: f64 = estimate.iter().sum();
    // Per customer and for the total: the variance ∇g' Σ ∇g, block by block.
    let mut var = vec![0.0; n];
    let mut var_total = 0.0;
    for (b, block) in blocks.iter().enumerate() {
        let k = block.values.len();
        let mut grads: Vec<Vec<f64>> = Vec::with_capacity(k);
        for j in 0..k {
            let h = STEP * block.values[j];
            let mut shifted = fitted.clone();
            shifted[b][j] = block.values[j] + h;
            let up = predict(&shifted)?;
            shifted[b][j] = block.values[j] - h;
            let down = predict(&shifted)?;
            grads.push(
                up.iter()
                    .zip(&down)
                    .map(|(u, d)| (u - d) / (2.0 * h))
                    .collect(),
            );
        }
        let total_grad: Vec<f64> = grads.iter().map(|g| g.iter().sum()).collect();
        for (i, v) in var.iter_mut().enumerate() {
            *v += quadratic(&block.cov, k, |j| grads[j][i]);
        }
        var_total += quadratic(&block.cov, k, |j| total_grad[j]);
    }
    Ok(Intervals {
        customers: estimate
            .iter()
            .zip(&var)
            .map(|(&g, &v)| interval(scale, z, g, v))
            .collect(),
        // A total is positive whatever its terms are (the expected number alive).
        total: interval(Scale::Log, z, total, var_total),
        level,
    })
}

/// The interval of `g` with variance `var` (natural scale), built on `scale`.
fn interval(scale: Scale, z: f64, g: f64, var: f64) -> Interval {
    let (lower, upper) = match scale.forward(g) {
        Some((y, dy)) if var.is_finite() => {
            let half = z * var.max(0.0).sqrt() * dy;
            (scale.back(y - half), scale.back(y + half))
        }
        _ => (g, g),
    };
    Interval {
        estimate: g,
        lower: lower.min(g),
        upper: upper.max(g),
    }
}

/// `g' C g` for a `k` x `k` row-major `C`.
fn quadratic(cov: &[f64], k: usize, g: impl Fn(usize) -> f64) -> f64 {
    let mut sum = 0.0;
    for a in 0..k {
        for b in 0..k {
            sum += g(a) * cov[a * k + b] * g(b);
        }
    }
    sum
}
