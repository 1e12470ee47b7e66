//! What the CLV models share: compressing identical rows into weights, fitting
//! positive parameters on the log scale, and the fit report.

use crate::error::{Error, Result};
use crate::math::optim::{OptimOptions, bfgs, cholesky_inverse, hessian_from_gradient};
#[cfg(feature = "serde")]
use crate::model::FitReport;
use crate::model::Optimizer;

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
    optimizer: &Optimizer,
    objective: impl FnMut(&[f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, usize)> {
    fit_params(
        model,
        names,
        start_log,
        start_log.len(),
        optimizer,
        objective,
    )
}

/// [`fit_log_params`] where only the first `n_log` parameters are positive (fitted on
/// their logs, in the box); the others (regression coefficients) are real and fitted as
/// they are, `start[k]` their start values (the objective returns infinity where they
/// are invalid). The identification checks look at the positive parameters.
pub(crate) fn fit_params(
    model: &'static str,
    names: &[&'static str],
    start: &[f64],
    n_log: usize,
    optimizer: &Optimizer,
    mut objective: impl FnMut(&[f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, usize)> {
    optimizer.check()?;
    let n = start.len();
    let n_log = n_log.min(n);
    let (lo, hi) = (PARAM_MIN.ln(), PARAM_MAX.ln());
    let start: Vec<f64> = start
        .iter()
        .enumerate()
        .map(|(k, &t)| match (t.is_finite(), k < n_log) {
            (true, true) => t.clamp(lo, hi),
            (true, false) => t,
            (false, _) => 0.0,
        })
        .collect();
    let mut natural = vec![0.0; n];
    let mut g_nat = vec![0.0; n];
    let opts = OptimOptions {
        max_iter: optimizer.max_iter,
        gtol: optimizer.tol,
        ftol: 1e-15,
    };
    let m = bfgs(
        |theta, g| {
            if theta[..n_log].iter().any(|t| !(lo..=hi).contains(t)) {
                return f64::INFINITY;
            }
            for k in 0..n {
                natural[k] = if k < n_log { theta[k].exp() } else { theta[k] };
            }
            let v = objective(&natural, &mut g_nat);
            for k in 0..n {
                g[k] = if k < n_log {
                    g_nat[k] * natural[k]
                } else {
                    g_nat[k]
                };
            }
            v
        },
        &start,
        &opts,
    );
    let describe = |limit: f64| -> Vec<String> {
        (0..n_log)
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
    let params: Vec<f64> =
        m.x.iter()
            .enumerate()
            .map(|(k, t)| if k < n_log { t.exp() } else { *t })
            .collect();
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

/// [`fit_log_params`] on the objective every CLV model minimizes: the mean negative
/// log-likelihood over `total` (weighted) customers plus `penalty * sum(p^2)` over the
/// natural parameters (lifetimes' `penalizer_coef`; see [`Optimizer`]), from the
/// log-likelihood and its gradient `ll_grad`.
pub(crate) fn fit_penalized<const K: usize>(
    model: &'static str,
    names: &[&'static str; K],
    start_log: &[f64],
    optimizer: &Optimizer,
    total: f64,
    ll_grad: impl Fn(&[f64]) -> (f64, [f64; K]),
) -> Result<(Vec<f64>, usize)> {
    let penalty = optimizer.penalty;
    fit_log_params(model, names, start_log, optimizer, |p, g| {
        let (ll, grad) = ll_grad(p);
        let mut value = -ll / total;
        for k in 0..K {
            g[k] = -grad[k] / total + 2.0 * penalty * p[k];
            value += penalty * p[k] * p[k];
        }
        value
    })
}

/// The fit of a purchase model to compressed (frequency, recency, T) rows: the
/// identification checks, the penalized fit from `start_log`, and the report
/// (log-likelihood without the penalty, standard errors).
pub(crate) fn fit_purchase_model(
    model: &'static str,
    names: &[&'static str; 4],
    start_log: &[f64],
    optimizer: &Optimizer,
    data: &CompressedSummary,
    ll_grad: impl Fn(&[f64]) -> (f64, [f64; 4]),
) -> Result<(Vec<f64>, crate::model::FitReport)> {
    check_identifiable(model, data)?;
    let total = data.total_weight;
    let (params, iterations) = fit_penalized(model, names, start_log, optimizer, total, &ll_grad)?;
    let (ll, _) = ll_grad(&params);
    let cov = covariance(&params, |p| ll_grad(p).1);
    let report =
        crate::model::FitReport::new(ll, 4, total, None, iterations, true).with_covariance(cov);
    Ok((params, report))
}

/// The covariance of the natural parameters: the inverse observed information (the
/// Hessian of the negative summed log-likelihood, by central differences of its
/// analytic gradient), row-major. `None` where the information is not positive
/// definite.
pub(crate) fn covariance<const K: usize>(
    params: &[f64],
    gradient: impl Fn(&[f64]) -> [f64; K],
) -> Option<Vec<f64>> {
    covariance_of(params, |p, g| g.copy_from_slice(&gradient(p)))
}

/// [`covariance`] for any number of parameters: `gradient(params, out)` writes the
/// log-likelihood's gradient.
pub(crate) fn covariance_of(
    params: &[f64],
    mut gradient: impl FnMut(&[f64], &mut [f64]),
) -> Option<Vec<f64>> {
    let k = params.len();
    let hess = hessian_from_gradient(
        |p, g| {
            gradient(p, g);
            for v in g.iter_mut() {
                *v = -*v;
            }
            0.0
        },
        params,
    );
    let mut cov = cholesky_inverse(&hess, k)?;
    // Exactly symmetric, as a saved model is checked to be.
    for i in 0..k {
        for j in 0..i {
            let mean = 0.5 * (cov[i * k + j] + cov[j * k + i]);
            (cov[i * k + j], cov[j * k + i]) = (mean, mean);
        }
    }
    cov.iter().all(|c| c.is_finite()).then_some(cov)
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
            report: crate::model::FitReport,
        }

        #[cfg(feature = "serde")]
        impl TryFrom<$raw> for $model {
            type Error = crate::Error;

            fn try_from(raw: $raw) -> crate::Result<Self> {
                let report = super::fit::check_loaded(
                    $name,
                    &[$((stringify!($param), raw.$param)),+],
                    raw.report,
                )?;
                Ok(Self {
                    $($param: raw.$param,)+
                    report,
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
/// required), and the report consistent with `params.len()` parameters
/// ([`FitReport::check_loaded`]).
#[cfg(feature = "serde")]
pub(crate) fn check_loaded(
    model: &'static str,
    params: &[(&'static str, f64)],
    report: FitReport,
) -> Result<FitReport> {
    crate::validate::positive_params(model, params)?;
    report.loaded(model, params.len())
}

/// The contract's boilerplate for a CLV model: its params hold an [`Optimizer`] and
/// take a penalty ([`Optimized`](crate::model::Optimized),
/// [`Regularized`](crate::model::Regularized)); the fitted model reports its fit and
/// named parameters ([`FittedModel`](crate::model::FittedModel)).
macro_rules! contract {
    ($params:ident, $model:ident, $($param:ident),+) => {
        impl crate::model::Optimized for $params {
            fn optimizer(&self) -> &crate::model::Optimizer {
                &self.optimizer
            }

            fn optimizer_mut(&mut self) -> &mut crate::model::Optimizer {
                &mut self.optimizer
            }
        }

        impl crate::model::Regularized for $params {}

        impl crate::model::FittedModel for $model {
            fn report(&self) -> &crate::model::FitReport {
                &self.report
            }

            fn parameter_names(&self) -> Vec<String> {
                vec![$(stringify!($param).to_string()),+]
            }

            fn parameter_values(&self) -> Vec<f64> {
                vec![$(self.$param),+]
            }
        }
    };
}
pub(crate) use contract;

/// Everything a CLV model whose fields are its positive parameters and a report has
/// in common: its params struct (an [`Optimizer`] with the model's defaults) and its
/// struct, `params()`, `from_params(...)` (each parameter finite and `> 0`), a getter
/// per parameter with its doc, the contract's impls ([`contract`]) and the checked load
/// ([`checked_on_load`]).
macro_rules! clv_model {
    (
        $(#[$pdoc:meta])*
        params $params:ident(max_iter $max_iter:expr, tol $tol:expr);
        $(#[$mdoc:meta])*
        model $model:ident($raw:ident, $rawname:literal, $name:literal) {
            $( $(#[$doc:meta])* $param:ident ),+ $(,)?
        }
    ) => {
        $(#[$pdoc])*
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $params {
            optimizer: crate::model::Optimizer,
        }

        impl Default for $params {
            fn default() -> Self {
                Self {
                    optimizer: crate::model::Optimizer::new($max_iter, $tol),
                }
            }
        }

        $(#[$mdoc])*
        ///
        /// With the `serde` feature a saved model is checked as it loads: a file with a
        /// parameter that is not finite and > 0, or a fit report inconsistent with the
        /// model (see [`FitReport`](crate::FitReport)) is an error naming the field, not
        /// a model.
        #[derive(Debug, Clone, PartialEq)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = $rawname)
        )]
        pub struct $model {
            $($param: f64,)+
            report: crate::model::FitReport,
        }

        impl $model {
            /// Default fitting options.
            pub fn params() -> $params {
                $params::default()
            }

            /// A model with given parameters (e.g. published ones), for predictions.
            ///
            /// # Errors
            /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) unless every
            /// parameter is finite and `> 0`.
            pub fn from_params($($param: f64),+) -> crate::Result<Self> {
                crate::validate::positive_params($name, &[$((stringify!($param), $param)),+])?;
                Ok(Self {
                    $($param,)+
                    report: crate::model::FitReport::default(),
                })
            }

            $(
                $(#[$doc])*
                pub fn $param(&self) -> f64 {
                    self.$param
                }
            )+

            /// The model with other values of its parameters (in
            /// [`parameter_values`](crate::model::FittedModel::parameter_values) order),
            /// for derivatives of predictions; no fit report.
            // Used by clv::intervals for the purchase and spend models; sBG has no caller.
            #[allow(dead_code)]
            pub(crate) fn with_values(&self, values: &[f64]) -> Self {
                let mut values = values.iter().copied();
                Self {
                    $($param: values.next().unwrap_or(self.$param),)+
                    report: crate::model::FitReport::default(),
                }
            }
        }

        super::fit::contract!($params, $model, $($param),+);
        super::fit::checked_on_load!($model, $raw, $name, $($param),+);
    };
}
pub(crate) use clv_model;

/// The [`Fit`](crate::model::Fit) impls of a purchase model fitted to (frequency,
/// recency, T) rows: a [`CustomerSummary`](crate::CustomerSummary), or one with a
/// weight per row (a published table of distinct rows and their counts); both go
/// through the params' `fit_compressed`.
macro_rules! fit_histories {
    ($params:ident, $model:ident) => {
        impl crate::model::Fit<&crate::summary::CustomerSummary> for $params {
            type Fitted = $model;

            fn fit(&self, summary: &crate::summary::CustomerSummary) -> crate::Result<$model> {
                self.fit_compressed(&super::fit::CompressedSummary::new(
                    summary.frequency(),
                    summary.recency(),
                    summary.age(),
                    None,
                ))
            }
        }

        impl crate::model::Fit<(&crate::summary::CustomerSummary, &[f64])> for $params {
            type Fitted = $model;

            fn fit(
                &self,
                (summary, weights): (&crate::summary::CustomerSummary, &[f64]),
            ) -> crate::Result<$model> {
                crate::validate::same_len("weights", summary.len(), weights.len())?;
                for (row, &w) in weights.iter().enumerate() {
                    crate::validate::non_negative("weights", row, w)?;
                }
                self.fit_compressed(&super::fit::CompressedSummary::new(
                    summary.frequency(),
                    summary.recency(),
                    summary.age(),
                    Some(weights),
                ))
            }
        }
    };
}
pub(crate) use fit_histories;
