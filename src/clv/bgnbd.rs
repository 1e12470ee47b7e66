//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy
//! way").
//!
//! While alive, a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)`;
//! after each purchase they drop out with probability `p ~ Beta(a, b)`. For a customer
//! with `x` repeat purchases, the last at `t_x`, observed for `T`:
//!
//! ```text
//! L = B(a, b + x) / B(a, b) · Γ(r + x) α^r / Γ(r) · (α + T)^-(r + x)
//!   + [x > 0] B(a + 1, b + x - 1) / B(a, b) · Γ(r + x) α^r / Γ(r) · (α + t_x)^-(r + x)
//! ```
//!
//! computed in log space (log-sum-exp of the two terms) with an analytic gradient;
//! parameters are fitted on the log scale by BFGS over identical `(x, t_x, T)` rows
//! compressed into weights. Predictions (the paper's equations 9, 10 and 13):
//!
//! - `E[X(t)] = (a + b - 1) / (a - 1) · [1 - (α / (α + t))^r · 2F1(r, b; a + b - 1; t / (α + t))]`
//! - `P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) · ((α + T) / (α + t_x))^(r + x))`
//! - `E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
//!   · [1 - ((α + T) / (α + T + t))^(r + x) · 2F1(r + x, b + x; a + b + x - 1; t / (α + T + t))]
//!   · P(alive)`
//!
//! with 2F1 in log space, so `x` in the thousands works.
//! The brackets are computed after Euler's transformation, `1 - (1 - z)^(a - 1)
//! 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)`: the powers of order `x` cancel
//! analytically, the bracket keeps its relative accuracy for `t` far below `α + T`, and
//! 2F1's sign is carried with its logarithm: with
//! `a + b < 1` its third parameter `a + b + x - 1` is negative at `x = 0` and 2F1 may be
//! negative (lifetimes issue #302, where taking `ln |2F1|` as `ln 2F1` made expectations
//! negative).
//!
//! ```
//! use ndarray::array;
//! use patronage::clv::{BetaGeo, PurchaseModel};
//! let m = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?;
//! let e = m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)?;
//! assert!((e - 1.2259).abs() < 1e-3);
//! assert!(m.probability_alive(2.0, 30.43, 38.86)? < 1.0);
//! # Ok::<(), patronage::Error>(())
//! ```

use statrs::function::beta::checked_beta_reg;
use statrs::function::gamma::{digamma, ln_gamma};

use super::PurchaseModel;
use super::fit::CompressedSummary;
use crate::error::Result;
use crate::math::special::ln_hyp2f1_signed;
#[cfg(doc)]
use crate::summary::CustomerSummary;

impl BetaGeoParams {
    fn fit_compressed(&self, data: &CompressedSummary) -> Result<BetaGeo> {
        let (p, report) = super::fit::fit_purchase_model(
            "BG/NBD",
            &["r", "alpha", "a", "b"],
            &[0.0; 4],
            &self.optimizer,
            data,
            |p| log_likelihood(data, p),
        )?;
        Ok(BetaGeo {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report,
        })
    }
}

super::fit::fit_histories!(BetaGeoParams, BetaGeo);

/// Weighted log-likelihood and its gradient in the natural parameters (r, α, a, b).
///
/// The Gamma-function terms depend on the frequency alone, so they are computed once
/// per distinct frequency; each row then costs a few logarithms. Rows are summed in
/// fixed chunks (in parallel), reduced in order.
fn log_likelihood(data: &CompressedSummary, p: &[f64]) -> (f64, [f64; 4]) {
    family_log_likelihood(data, p, false)
}

/// The BG/NBD (`modified = false`) or MBG/NBD (`modified = true`: dropout also possible
/// right after the first purchase) log-likelihood and gradient.
pub(crate) fn family_log_likelihood(
    data: &CompressedSummary,
    p: &[f64],
    modified: bool,
) -> (f64, [f64; 4]) {
    let shift = if modified { 1.0 } else { 0.0 };
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let (lg_r, ln_alpha, dg_r) = (ln_gamma(r), alpha.ln(), digamma(r));
    let (lg_ab, lg_b, dg_ab, dg_b) = (ln_gamma(a + b), ln_gamma(b), digamma(a + b), digamma(b));
    // Per distinct frequency: a1 + a2 and its gradient.
    let per_x: Vec<(f64, [f64; 4])> = data
        .distinct_frequencies
        .iter()
        .map(|&x| {
            let (bx, abx) = (b + x + shift, a + b + x + shift);
            let value =
                ln_gamma(r + x) - lg_r + r * ln_alpha + lg_ab + ln_gamma(bx) - lg_b - ln_gamma(abx);
            let (dg_rx, dg_bx, dg_abx) = (digamma(r + x), digamma(bx), digamma(abx));
            (
                value,
                [
                    dg_rx - dg_r + ln_alpha,
                    r / alpha,
                    dg_ab - dg_abx,
                    dg_ab + dg_bx - dg_b - dg_abx,
                ],
            )
        })
        .collect();
    // Per distinct recency and age: ln(alpha + t) and 1 / (alpha + t).
    let logs = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .map(|t| ((alpha + t).ln(), 1.0 / (alpha + t)))
            .collect()
    };
    let (by_tx, by_t) = (logs(&data.distinct_recencies), logs(&data.distinct_ages));
    // Per distinct frequency: ln(b + x - 1) and its reciprocal (the dropout branch).
    let by_x: Vec<(f64, f64)> = data
        .distinct_frequencies
        .iter()
        .map(|x| {
            let bx = b + x - 1.0 + shift;
            (bx.ln(), 1.0 / bx)
        })
        .collect();
    let (ln_a, per_x) = (a.ln(), &per_x);
    let chunk = |lo: usize, hi: usize| {
        let mut acc = [0.0f64; 5];
        for k in lo..hi {
            let w = data.weights[k];
            let x = data.frequency[k];
            let xi = data.frequency_index[k] as usize;
            let (base, dbase) = per_x[xi];
            let at = by_t[data.age_index[k] as usize];
            let branch = (x > 0.0 || modified).then(|| {
                let (ln_bx, inv_bx) = by_x[xi];
                (by_tx[data.recency_index[k] as usize], ln_bx, inv_bx)
            });
            let (tail, g) = tail_terms(r, a, ln_a, x, at, branch);
            acc[4] += w * (base + tail);
            for j in 0..4 {
                acc[j] += w * (dbase[j] + g[j]);
            }
        }
        acc
    };
    let total = super::fit::sum_chunks(data.weights.len(), chunk);
    (total[4], [total[0], total[1], total[2], total[3]])
}

/// The part of a customer's log-likelihood past the frequency's Gamma terms: the log of
/// `(α + T)^-(r + x) + [dropout branch] a / (b + x - 1) (α + t_x)^-(r + x)` and its
/// gradient in (r, α, a, b), from `at = (ln(α + T), 1 / (α + T))` and, where the dropout
/// branch exists, `(ln(α + t_x), 1 / (α + t_x))` with `ln(b + x - 1)` and its reciprocal
/// (the MBG/NBD shifts `b + x - 1` by one).
fn tail_terms(
    r: f64,
    a: f64,
    ln_a: f64,
    x: f64,
    (ln_at, inv_at): (f64, f64),
    branch: Option<((f64, f64), f64, f64)>,
) -> (f64, [f64; 4]) {
    let a3 = -(r + x) * ln_at;
    let d3 = [-ln_at, -(r + x) * inv_at];
    let Some(((ln_atx, inv_atx), ln_bx, inv_bx)) = branch else {
        return (a3, [d3[0], d3[1], 0.0, 0.0]);
    };
    let a4 = ln_a - ln_bx - (r + x) * ln_atx;
    // log(e^a3 + e^a4) with one exponential: w4 = 1 / (1 + e^(a3 - a4)).
    let d = a3 - a4;
    let (tail, w4) = if d > 0.0 {
        let e = (-d).exp();
        (a3 + e.ln_1p(), e / (1.0 + e))
    } else {
        let e = d.exp();
        (a4 + e.ln_1p(), 1.0 / (1.0 + e))
    };
    let w3 = 1.0 - w4;
    (
        tail,
        [
            w3 * d3[0] - w4 * ln_atx,
            w3 * d3[1] - w4 * (r + x) * inv_atx,
            w4 / a,
            -w4 * inv_bx,
        ],
    )
}

/// One BG/NBD customer's log-likelihood and its gradient in (r, α, a, b) (the covariate
/// models' rows, each with its own α, a and b).
pub(crate) fn customer_log_likelihood(p: &[f64; 4], x: f64, tx: f64, t: f64) -> (f64, [f64; 4]) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let ln_alpha = alpha.ln();
    let (bx, abx) = (b + x, a + b + x);
    let base = ln_gamma(r + x) - ln_gamma(r) + r * ln_alpha + ln_gamma(a + b) + ln_gamma(bx)
        - ln_gamma(b)
        - ln_gamma(abx);
    let dg_ab = digamma(a + b);
    let dbase = [
        digamma(r + x) - digamma(r) + ln_alpha,
        r / alpha,
        dg_ab - digamma(abx),
        dg_ab + digamma(bx) - digamma(b) - digamma(abx),
    ];
    let branch = (x > 0.0).then(|| {
        let bx1 = b + x - 1.0;
        (((alpha + tx).ln(), 1.0 / (alpha + tx)), bx1.ln(), 1.0 / bx1)
    });
    let (tail, g) = tail_terms(
        r,
        a,
        a.ln(),
        x,
        ((alpha + t).ln(), 1.0 / (alpha + t)),
        branch,
    );
    let mut grad = [0.0; 4];
    for j in 0..4 {
        grad[j] = dbase[j] + g[j];
    }
    (base + tail, grad)
}

super::fit::clv_model! {
    /// BG/NBD fitting options ([`Optimized`](crate::model::Optimized): at most 500 BFGS
    /// iterations, gradient tolerance 1e-10 on the mean objective in log-parameters;
    /// [`Regularized`](crate::model::Regularized): lifetimes' `penalizer_coef`, 0 by default);
    /// [`Fit`](crate::model::Fit) returns a [`BetaGeo`].
    ///
    /// Fits a [`CustomerSummary`] (frequency, recency, T), or a summary with a weight per
    /// row (`fit((&summary, &weights))`, for published tables of distinct rows).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for bad options ([`Optimizer::check`](crate::Optimizer::check));
    /// [`crate::Error::InsufficientData`] when no customer has a repeat purchase, every T
    /// is 0 or every weight is 0, or when the likelihood keeps rising towards the edge of
    /// the parameter box (each parameter is kept in `[1e-8, 1e8]`; an optimum within a
    /// factor 10 of its edge means the data do not identify the model, typically too few
    /// customers to estimate the heterogeneity of their rates);
    /// [`crate::Error::NotConverged`] when BFGS stops early (with the last log-parameters);
    /// for weights, [`crate::Error::LengthMismatch`], [`crate::Error::Negative`] and
    /// [`crate::Error::NonFinite`] naming the row.
    params BetaGeoParams(max_iter 500, tol 1e-10);
    /// A fitted BG/NBD model.
    model BetaGeo(RawBetaGeo, "RawBetaGeo", "BG/NBD") {
        /// Shape of the purchase-rate Gamma.
        r,
        /// Rate (scale parameter, in time units) of the purchase-rate Gamma.
        alpha,
        /// First shape of the dropout Beta.
        a,
        /// Second shape of the dropout Beta.
        b,
    }
}

/// `1 - (scale / (scale + t))^shape`: the probability that a BG/NBD customer alive at
/// T (posterior purchase rate `Gamma(shape = r + x, rate = scale = α + T)`) buys
/// within `t` (dropout happens only right after purchases).
pub(crate) fn lomax_cdf(shape: f64, scale: f64, t: f64) -> f64 {
    -(-shape * (t / scale).ln_1p()).exp_m1()
}

/// The `q` quantile of that Lomax time, and its mean (infinite when `shape <= 1`).
pub(crate) fn lomax_quantile_and_mean(shape: f64, scale: f64, q: f64) -> crate::Result<(f64, f64)> {
    if !(0.0..1.0).contains(&q) {
        return Err(crate::validate::invalid_parameter(
            "q",
            q,
            "a probability in [0, 1)",
        ));
    }
    let quantile = scale * (-(-q).ln_1p() / shape).exp_m1();
    let mean = if shape > 1.0 {
        scale / (shape - 1.0)
    } else {
        f64::INFINITY
    };
    Ok((quantile, mean))
}

macro_rules! next_purchase_timing {
    ($model:ident) => {
        impl $model {
            /// For a customer alive at `T` with `frequency` repeat purchases: the `q`
            /// quantile of the time to their next purchase (`q = 0.5`: the median),
            /// `(α + T)((1 - q)^(-1 / (r + x)) - 1)`, and its mean `(α + T) / (r + x - 1)`
            /// (infinite when `r + x <= 1`). The time is Lomax: the posterior purchase rate
            /// is `Gamma(r + x, α + T)` and dropout happens only right after a purchase.
            ///
            /// ```
            /// use patronage::clv::BetaGeo;
            /// let m = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?;
            /// let (median, mean) = m.next_purchase_quantile_if_alive(0.5, 2.0, 38.86)?;
            /// assert!(0.0 < median && median < mean);
            /// # Ok::<(), patronage::Error>(())
            /// ```
            ///
            /// # Errors
            /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for `q`
            /// outside `[0, 1)`; a bad frequency or age.
            pub fn next_purchase_quantile_if_alive(
                &self,
                q: f64,
                frequency: f64,
                age: f64,
            ) -> crate::Result<(f64, f64)> {
                crate::validate::frequency_and_age(0, frequency, age)?;
                crate::clv::bgnbd::lomax_quantile_and_mean(self.r + frequency, self.alpha + age, q)
            }
        }
    };
}
pub(crate) use next_purchase_timing;

next_purchase_timing!(BetaGeo);

impl BetaGeo {
    /// `P(X(t) = n)` for a customer who has just made a first purchase (the paper's
    /// equation 8).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite `t`.
    pub fn probability_of_n_purchases(&self, t: f64, n: u32) -> Result<f64> {
        crate::validate::horizon("t", t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(n);
        let ln_beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let ln_base = ln_beta(a, b);
        let ln_frac = (alpha / (alpha + t)).ln();
        let ln_z = (t / (alpha + t)).ln();
        let ln_nbd =
            |j: f64| ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_frac + j * ln_z;
        let first = (ln_beta(a, b + x) - ln_base + ln_nbd(x)).exp();
        if n == 0 {
            return Ok(first);
        }
        // 1 - P(N < n) = P(N >= n) for N ~ NBD(r, α / (α + t)): past the median, from
        // the regularized incomplete beta I_z(n, r) instead of the cancelling difference.
        let partial: f64 = (0..n).map(|j| ln_nbd(f64::from(j)).exp()).sum();
        let survival = if partial < 0.5 {
            1.0 - partial
        } else {
            checked_beta_reg(x, r, t / (alpha + t)).unwrap_or(1.0 - partial)
        };
        Ok(first + (ln_beta(a + 1.0, b + x - 1.0) - ln_base).exp() * survival)
    }

    fn ln_odds_dead(&self, x: f64, tx: f64, t: f64) -> Option<f64> {
        // Two logarithms of ratios rather than four of terms: same accuracy, half
        // the cost in the vectorized P(alive).
        (x > 0.0).then(|| {
            (self.a / (self.b + x - 1.0)).ln()
                + (self.r + x) * ((self.alpha + t) / (self.alpha + tx)).ln()
        })
    }
}

/// `1 / (1 + e^u)` without overflow.
pub(super) fn logistic_neg(u: f64) -> f64 {
    if u > 0.0 {
        let e = (-u).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + u.exp())
    }
}

/// `1 - (1 - z)^q 2F1(p, q; c; z)` for `z = t / (base + t)`, the bracket of the BG/NBD
/// and MBG/NBD expectations after Euler's transformation (`q = a - 1`), without
/// cancellation: `(1 - z)^q` is `exp(-q ln_1p(t / base))`, 2F1's logarithm keeps its
/// relative accuracy near 1 ([`ln_hyp2f1_signed`]), so for `t << base` the bracket is
/// `-expm1` of a small, accurate logarithm; where 2F1 is negative (`c < 0`, `a + b < 1`)
/// the bracket is `1 + |...|`.
pub(crate) fn euler_bracket(p: f64, q: f64, c: f64, t: f64, base: f64) -> f64 {
    let h = ln_hyp2f1_signed(p, q, c, t / (base + t));
    let ln_term = h.ln_abs - q * (t / base).ln_1p();
    if h.is_negative() {
        1.0 + ln_term.exp()
    } else {
        -ln_term.exp_m1()
    }
}

impl PurchaseModel for BetaGeo {}

impl super::Formulas for BetaGeo {
    fn reparameterized(&self, values: &[f64]) -> Self {
        self.with_values(values)
    }

    fn refit(&self, summary: &crate::CustomerSummary) -> crate::Result<Self> {
        crate::model::Fit::fit(&Self::params(), summary)
    }

    /// Exponential gaps at rate `lambda ~ Gamma(r, alpha)` until age `T`; after each
    /// repeat purchase the customer drops out with probability `p ~ Beta(a, b)`.
    fn sample_history(
        &self,
        age: f64,
        max_purchases: u32,
        rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
    ) -> Option<(f64, f64)> {
        use rand::Rng;
        use rand_distr::{Beta, Distribution, Exp, Gamma};
        let lambda = Gamma::new(self.r, 1.0 / self.alpha).ok()?.sample(rng);
        let p = Beta::new(self.a, self.b).ok()?.sample(rng);
        let gap = Exp::new(lambda).ok()?;
        let (mut x, mut tx, mut t) = (0u32, 0.0, 0.0);
        loop {
            t += gap.sample(rng);
            if t > age {
                return Some((f64::from(x), tx));
            }
            if x == max_purchases {
                return None;
            }
            (x, tx) = (x + 1, t);
            if rng.random::<f64>() < p {
                return Some((f64::from(x), tx));
            }
        }
    }

    /// `(a + b + x - 1) / (a - 1) · [1 - ((α + T) / (α + T + t))^(r + x) 2F1(r + x, b + x;
    /// a + b + x - 1; z)]`, `z = t / (α + T + t)`, computed after Euler's transformation
    /// as `(a + b + x - 1) / (a - 1) · [1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1;
    /// a + b + x - 1; z)]`: the powers of order `x` cancel analytically, 2F1's parameters
    /// stay small, and the bracket keeps its relative accuracy for `t << α + T` and its
    /// sign where `a + b + x - 1 < 0`.
    ///
    /// At `a = 1` the expression is `0 / 0`; its limit is taken by
    /// a line through values either side of 1.
    fn purchase_if_alive(&self, t: f64, frequency: f64, age: f64) -> Option<f64> {
        Some(lomax_cdf(self.r + frequency, self.alpha + age, t))
    }

    fn if_alive(&self, t: f64, frequency: f64, age: f64) -> f64 {
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        super::across_unit_pole(self.a, |a| {
            let c = a + b + frequency - 1.0;
            c / (a - 1.0) * euler_bracket(a + b - 1.0 - r, a - 1.0, c, t, alpha + age)
        })
    }

    fn alive(&self, frequency: f64, recency: f64, age: f64) -> f64 {
        self.ln_odds_dead(frequency, recency, age)
            .map_or(1.0, logistic_neg)
    }

    /// `(a + b - 1) / (a - 1) · [1 - (α / (α + t))^r 2F1(r, b; a + b - 1; t / (α + t))]`,
    /// as the expectation for an alive customer at `x = T = 0`.
    fn new_customer(&self, t: f64) -> f64 {
        self.if_alive(t, 0.0, 0.0)
    }

    fn ln_likelihood(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> f64 {
        let data = CompressedSummary::new(frequency, recency, age, None);
        log_likelihood(&data, &[self.r, self.alpha, self.a, self.b]).0
    }
}
