//! What the CLV models share: compressing identical rows into weights, fitting
//! positive parameters on the log scale, and the fit report.

use crate::error::{Error, Result};
use crate::math::optim::{OptimOptions, bfgs, cholesky_inverse, hessian_from_gradient};

/// Distinct (frequency, recency, T) rows with the total weight of each. Likelihoods of
/// these models depend on the rows alone, so fitting costs grow with distinct rows,
/// not customers.
#[derive(Debug, Clone)]
pub(crate) struct CompressedSummary {
    pub frequency: Vec<f64>,
    /// Distinct frequencies, and each row's index into them.
    pub distinct_frequencies: Vec<f64>,
    pub frequency_index: Vec<u32>,
    pub recency: Vec<f64>,
    pub age: Vec<f64>,
    /// Distinct recencies and ages, and each row's index into them: summaries at day
    /// or week resolution hold few, so per-value logarithms are computed once each.
    pub distinct_recencies: Vec<f64>,
    pub recency_index: Vec<u32>,
    pub distinct_ages: Vec<f64>,
    pub age_index: Vec<u32>,
    pub weights: Vec<f64>,
    pub total_weight: f64,
}

/// Distinct values of `v` (in order of first appearance) and each entry's index.
fn index_distinct(v: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut seen: crate::hashing::KeyedMap<u64, u32> = Default::default();
    let mut distinct = Vec::new();
    let index = v
        .iter()
        .map(|x| {
            *seen.entry(x.to_bits()).or_insert_with(|| {
                distinct.push(*x);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    (distinct, index)
}

impl CompressedSummary {
    pub fn new(frequency: &[f64], recency: &[f64], age: &[f64], weights: Option<&[f64]>) -> Self {
        let mut rows: Vec<([u64; 3], f64)> = (0..frequency.len())
            .map(|i| {
                (
                    [
                        frequency[i].to_bits(),
                        recency[i].to_bits(),
                        age[i].to_bits(),
                    ],
                    weights.map_or(1.0, |w| w[i]),
                )
            })
            .collect();
        rows.sort_unstable_by_key(|r| r.0);
        let mut out = Self {
            frequency: Vec::new(),
            distinct_frequencies: Vec::new(),
            frequency_index: Vec::new(),
            recency: Vec::new(),
            age: Vec::new(),
            distinct_recencies: Vec::new(),
            recency_index: Vec::new(),
            distinct_ages: Vec::new(),
            age_index: Vec::new(),
            weights: Vec::new(),
            total_weight: 0.0,
        };
        let mut prev: Option<[u64; 3]> = None;
        for (key, w) in rows {
            if prev == Some(key) {
                if let Some(last) = out.weights.last_mut() {
                    *last += w;
                }
            } else {
                let x = f64::from_bits(key[0]);
                // Rows are sorted by frequency first, so distinct values arrive in order.
                if out.distinct_frequencies.last() != Some(&x) {
                    out.distinct_frequencies.push(x);
                }
                out.frequency_index
                    .push((out.distinct_frequencies.len() - 1) as u32);
                out.frequency.push(x);
                out.recency.push(f64::from_bits(key[1]));
                out.age.push(f64::from_bits(key[2]));
                out.weights.push(w);
                prev = Some(key);
            }
            out.total_weight += w;
        }
        (out.distinct_recencies, out.recency_index) = index_distinct(&out.recency);
        (out.distinct_ages, out.age_index) = index_distinct(&out.age);
        out
    }
}

/// Rows per chunk of parallel likelihood work.
const CHUNK: usize = 8192;

/// Sums `chunk(lo, hi)` accumulators over fixed chunks of `0..n`, in parallel with the
/// `parallel` feature, reduced in chunk order (deterministic for any thread count).
pub(crate) fn sum_chunks<const K: usize>(
    n: usize,
    chunk: impl Fn(usize, usize) -> [f64; K] + Sync + Send,
) -> [f64; K] {
    let chunks = n.div_ceil(CHUNK);
    let run = |c: usize| chunk(c * CHUNK, ((c + 1) * CHUNK).min(n));
    #[cfg(feature = "parallel")]
    let parts: Vec<[f64; K]> = {
        use rayon::prelude::*;
        if chunks > 1 {
            (0..chunks).into_par_iter().map(run).collect()
        } else {
            (0..chunks).map(run).collect()
        }
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<[f64; K]> = (0..chunks).map(run).collect();
    let mut total = [0.0; K];
    for p in parts {
        for k in 0..K {
            total[k] += p[k];
        }
    }
    total
}

pub(crate) fn check_penalizer(penalizer: f64) -> Result<()> {
    crate::validate::argument("penalizer", penalizer, false)
}

/// Every parameter the CLV fits estimate is kept in `[PARAM_MIN, PARAM_MAX]`.
///
/// The models' parameters are shapes and scales: the published fits (CDNOW's BG/NBD,
/// Pareto/NBD and Gamma-Gamma, the donations' BG/BB) lie between 0.2 and 16, and a
/// change of time unit (days to years) scales a rate parameter by at most 365. Where
/// the likelihood keeps rising towards 0 or infinity the data do not identify the
/// model (e.g. `r, α → ∞` with `r / α` fixed: purchase rates without heterogeneity), and
/// an unbounded optimizer wanders there, each evaluation costing more (Pareto/NBD's tail
/// quadrature needs about `ln(b z / (a (1 - z)))` times more nodes, 2F1 series in the
/// predictions `max(a, b) / (1 - z)` terms) and the parameters ending as garbage such as
/// `r = 2e123`. Within the box every likelihood evaluation is a bounded amount of work
/// (Pareto/NBD: at most about 3,300 quadrature nodes or 470 series terms per tail
/// integral, two per customer row).
pub(crate) const PARAM_MIN: f64 = 1e-8;
/// The upper end of the box, see [`PARAM_MIN`].
pub(crate) const PARAM_MAX: f64 = 1e8;
/// A fit whose optimum lies within this factor of the box's edge is reported as not
/// identified rather than returned.
const EDGE_FACTOR: f64 = 10.0;
/// A fit that stops without converging with a parameter beyond
/// `[1 / DRIFT_FACTOR, DRIFT_FACTOR]` was drifting towards a limit (a line search
/// stalled on the flat likelihood before the box's edge): reported as not identified.
const DRIFT_FACTOR: f64 = 1e4;

/// Checks that (frequency, recency, T) rows can identify a purchase-and-dropout model:
/// some weight, some customer observed for a time (`T > 0`) and some repeat purchase.
/// Without these the likelihood does not depend on some parameters (the fit would
/// return its start values) or is maximal at the parameters' limits.
pub(crate) fn check_identifiable(model: &'static str, data: &CompressedSummary) -> Result<()> {
    let rows = || (0..data.weights.len()).filter(|&k| data.weights[k] > 0.0);
    if rows().next().is_none() {
        return Err(Error::InsufficientData {
            model,
            reason: "every weight is 0: there is no customer to fit".into(),
        });
    }
    if rows().all(|k| data.age[k] == 0.0) {
        return Err(Error::InsufficientData {
            model,
            reason: "every T is 0: no customer was observed for any time after their first \
                     purchase, so purchase and dropout rates are not identified"
                .into(),
        });
    }
    if rows().all(|k| data.frequency[k] == 0.0) {
        return Err(Error::InsufficientData {
            model,
            reason: "no repeat purchases (every frequency is 0): the purchase rate and the \
                     dropout process are not identified"
                .into(),
        });
    }
    Ok(())
}

/// Minimizes `objective(params, grad_natural)` over positive parameters by BFGS on
/// their logs; the objective receives natural parameters and writes the gradient with
/// respect to them. Returns the natural parameters and iterations.
///
/// Each parameter is kept in `[PARAM_MIN, PARAM_MAX]` (the objective is not evaluated
/// outside, the line search backs off instead), so every evaluation is bounded work.
/// When the optimum sits within a factor 10 of that box's edge the likelihood keeps
/// improving towards a limit the data do not identify: that is reported as
/// [`Error::InsufficientData`] naming the parameters (`names`, in order), not returned;
/// so is a fit that stops without converging with a parameter beyond `[1e-4, 1e4]`.
pub(crate) fn fit_log_params(
    model: &'static str,
    names: &[&'static str],
    start_log: &[f64],
    max_iter: usize,
    tol: f64,
    mut objective: impl FnMut(&[f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, usize)> {
    let n = start_log.len();
    let (lo, hi) = (PARAM_MIN.ln(), PARAM_MAX.ln());
    let start: Vec<f64> = start_log
        .iter()
        .map(|&t| if t.is_finite() { t.clamp(lo, hi) } else { 0.0 })
        .collect();
    let mut natural = vec![0.0; n];
    let mut g_nat = vec![0.0; n];
    let opts = OptimOptions {
        max_iter,
        gtol: tol,
        ftol: 1e-15,
    };
    let m = bfgs(
        |theta, g| {
            if theta.iter().any(|t| !(lo..=hi).contains(t)) {
                return f64::INFINITY;
            }
            for k in 0..n {
                natural[k] = theta[k].exp();
            }
            let v = objective(&natural, &mut g_nat);
            for k in 0..n {
                g[k] = g_nat[k] * natural[k];
            }
            v
        },
        &start,
        &opts,
    );
    let describe = |limit: f64| -> Vec<String> {
        (0..n)
            .filter(|&k| m.x[k].abs() >= limit)
            .map(|k| {
                let dir = if m.x[k] > 0.0 { "grows" } else { "shrinks" };
                format!(
                    "{} {dir} ({:.3e})",
                    names.get(k).unwrap_or(&"?"),
                    m.x[k].exp()
                )
            })
            .collect()
    };
    const CAUSE: &str = "the data do not identify the model (too few customers, or too \
                         little variation in purchases or dropout, for its heterogeneity to \
                         be estimated)";
    // The box is symmetric in logs: |ln p| near ln PARAM_MAX is near its edge.
    let at_edge = describe(hi - EDGE_FACTOR.ln());
    if !at_edge.is_empty() {
        return Err(Error::InsufficientData {
            model,
            reason: format!(
                "the likelihood keeps rising as {} towards the limit of [{PARAM_MIN:e}, \
                 {PARAM_MAX:e}]: {CAUSE}",
                at_edge.join(", ")
            ),
        });
    }
    let drifting = describe(DRIFT_FACTOR.ln());
    if !m.converged && !drifting.is_empty() {
        return Err(Error::InsufficientData {
            model,
            reason: format!(
                "the fit stopped without converging ({}) as {}: {CAUSE}",
                m.message,
                drifting.join(", ")
            ),
        });
    }
    let params: Vec<f64> = m.x.iter().map(|t| t.exp()).collect();
    if !m.converged || params.iter().any(|p| !p.is_finite()) || !m.value.is_finite() {
        return Err(Error::NotConverged {
            model,
            iterations: m.iterations,
            reason: format!("{} (largest gradient {:.3e})", m.message, m.gradient_norm()),
            last_iterate: m.x,
        });
    }
    Ok((params, m.iterations))
}

/// Standard errors of the natural parameters: square roots of the diagonal of the
/// inverse observed information (the Hessian of the negative summed log-likelihood,
/// by central differences of its analytic gradient). `None` where the information is
/// not positive definite.
pub(crate) fn standard_errors<const K: usize>(
    params: &[f64],
    gradient: impl Fn(&[f64]) -> [f64; K],
) -> Option<Vec<f64>> {
    let hess = hessian_from_gradient(
        |p, g| {
            let d = gradient(p);
            for k in 0..K {
                g[k] = -d[k];
            }
            0.0
        },
        params,
    );
    let cov = cholesky_inverse(&hess, K)?;
    Some((0..K).map(|k| cov[k * K + k].sqrt()).collect())
}

/// Goodness of fit and uncertainty of a fitted model.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FitReport {
    /// Log-likelihood at the estimate (weighted sum over customers).
    pub log_likelihood: f64,
    /// `2k - 2 LL`.
    pub aic: f64,
    /// `k ln(n) - 2 LL`, `n` the (weighted) number of customers.
    pub bic: f64,
    /// Standard errors of the parameters in the model's order, when the observed
    /// information is positive definite.
    pub standard_errors: Option<Vec<f64>>,
    /// Optimizer iterations.
    pub iterations: usize,
}

impl FitReport {
    pub(crate) fn new(
        log_likelihood: f64,
        k: usize,
        n: f64,
        standard_errors: Option<Vec<f64>>,
        iterations: usize,
    ) -> Self {
        Self {
            log_likelihood,
            aic: 2.0 * k as f64 - 2.0 * log_likelihood,
            bic: k as f64 * n.ln() - 2.0 * log_likelihood,
            standard_errors,
            iterations,
        }
    }
}

/// The validating deserializer of a fitted CLV model whose fields are its parameters
/// and a [`FitReport`]: a private mirror struct with the same fields (so files written
/// by 0.1 load unchanged) and a `TryFrom` that runs [`check_loaded`]. The model names
/// `#[serde(try_from = "Raw...")]` on its own derive.
macro_rules! checked_on_load {
    ($model:ident, $raw:ident, $name:literal, $($param:ident),+) => {
        /// What a saved model holds, checked before it becomes one.
        #[cfg(feature = "serde")]
        #[derive(serde::Deserialize)]
        struct $raw {
            $($param: f64,)+
            report: FitReport,
        }

        #[cfg(feature = "serde")]
        impl TryFrom<$raw> for $model {
            type Error = crate::Error;

            fn try_from(raw: $raw) -> crate::Result<Self> {
                super::fit::check_loaded(
                    $name,
                    &[$((stringify!($param), raw.$param)),+],
                    &raw.report,
                )?;
                Ok(Self {
                    $($param: raw.$param,)+
                    report: raw.report,
                })
            }
        }
    };
}
pub(crate) use checked_on_load;

/// Checks a model read from a file (serde's `try_from` of each fitted CLV model): every
/// parameter finite and `> 0` as [`from_params`](super::BetaGeo::from_params) requires
/// (the fits keep them in `[PARAM_MIN, PARAM_MAX]`, and `from_params` models with
/// published values outside that box are still usable, so the box itself is not
/// required), and the report consistent with `params.len()`
/// parameters: log-likelihood, AIC and BIC finite, AIC equal to `2k - 2 LL` (to
/// rounding) unless the report is the empty one of `from_params`, and standard errors,
/// when present, one per parameter, each finite and `>= 0`.
#[cfg(feature = "serde")]
pub(crate) fn check_loaded(
    model: &'static str,
    params: &[(&'static str, f64)],
    report: &FitReport,
) -> Result<()> {
    crate::validate::positive_params(model, params)?;
    let k = params.len();
    for (name, value) in [
        ("report.log_likelihood", report.log_likelihood),
        ("report.aic", report.aic),
        ("report.bic", report.bic),
    ] {
        if !value.is_finite() {
            return Err(Error::InvalidParameter {
                name,
                value: value.to_string(),
                reason: format!("a saved {model} model's fit report must be finite"),
            });
        }
    }
    let unfitted = *report == FitReport::default();
    let aic = 2.0 * k as f64 - 2.0 * report.log_likelihood;
    if !unfitted && (report.aic - aic).abs() > 1e-9 * aic.abs().max(1.0) {
        return Err(Error::InvalidParameter {
            name: "report.aic",
            value: report.aic.to_string(),
            reason: format!(
                "a saved {model} model's AIC must be 2k - 2 LL = {aic} for its {k} parameters \
                 and log-likelihood {}",
                report.log_likelihood
            ),
        });
    }
    if let Some(se) = &report.standard_errors {
        crate::validate::same_len("report.standard_errors", k, se.len())?;
        crate::validate::all_non_negative("report.standard_errors", se)?;
    }
    Ok(())
}
