//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), in the form of Fader,
//! Hardie & Lee's note "A note on deriving the Pareto/NBD model and related
//! expressions" (2005).
//!
//! While alive, a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)`; their
//! lifetime is exponential with rate `μ ~ Gamma(s, β)`, independent of `λ`. For a
//! customer with `x` repeat purchases, the last at `t_x`, observed for `T`:
//!
//! ```text
//! L = Γ(r + x) α^r β^s / Γ(r) · [ (α + T)^-(r + x) (β + T)^-s + s · (G(t_x) - G(T)) ]
//! G(t) = ∫_t^∞ (α + τ)^-(r + x) (β + τ)^-(s + 1) dτ
//!      = 2F1(r + s + x, s + 1; r + s + x + 1; (α - β) / (α + t)) / ((r + s + x) (α + t)^(r + s + x))
//! ```
//!
//! (the note's `A0 = (r + s + x) (G(t_x) - G(T))`), with the roles of `(α, r + x)` and
//! `(β, s + 1)` swapped when `α < β`, so the argument `|α - β| / (max(α, β) + t)` lies in
//! `[0, 1)`. After Euler's transformation `2F1(a, b; a + 1; z) = (1 - z)^(1 - b) 2F1(1,
//! a + 1 - b; a + 1; z)` the series has positive, decreasing terms; it is summed in one
//! pass together with its derivatives in its parameters and `z`, which gives the
//! log-likelihood and its analytic gradient. Where `z > 0.9` (one rate's scale far
//! above the other's and `t` small) the series would need about `37 / (1 - z)` terms,
//! and the transformations to `1 - z` lose digits to cancellation for large `x`; there
//! the integral `∫_0^∞ e^(-a v) (1 - z e^-v)^-b dv` is summed by exp-sinh quadrature
//! instead (one to a few hundred nodes, more as `1 - z` shrinks). Everything is in log
//! space; `ln Γ(r + x)` and its digamma are computed once per distinct frequency (and
//! `G(0)` once per frequency with zero-recency rows), and parameters are fitted on the log
//! scale by BFGS over identical `(x, t_x, T)` rows compressed into weights.
//!
//! Predictions (the note's P(alive) and conditional expectation, and the new-customer
//! expectation):
//!
//! - `P(alive) = (α + T)^-(r + x) (β + T)^-s / [(α + T)^-(r + x) (β + T)^-s + s (G(t_x) - G(T))]`
//! - `E[Y(t) | x, t_x, T] = (r + x)(β + T) / ((α + T)(s - 1)) · [1 - ((β + T) / (β + T + t))^(s - 1)] · P(alive)`
//! - `E[X(t)] = r β / (α (s - 1)) · [1 - (β / (β + t))^(s - 1)]` (the limit `ln` form at `s = 1`)
//!
//! and the distribution of the number of purchases, `P(X(t) = n)` for a new customer
//! (Fader & Hardie's note "Deriving an expression for P(X(t) = x) under the Pareto/NBD
//! model", 2006) and `P(X(T, T + t] = n | x, t_x, T)`: alive at `T`, the customer's
//! rates are a posteriori `Gamma(r + x, α + T)` and `Gamma(s, β + T)`, so the future
//! count is that of a new customer with those parameters, mixed with a point mass at 0
//! for a dead customer.
//!
//! ```
//! use patronage::clv::{ParetoNbd, PurchaseModel};
//! let m = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669)?;
//! let e = m.conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)?;
//! assert!((e - 1.455).abs() < 1e-2);
//! assert!((m.expected_purchases_new_customer(52.0)? - 1.4734).abs() < 1e-3);
//! # Ok::<(), patronage::Error>(())
//! ```

use statrs::function::gamma::{digamma, ln_gamma};

use super::PurchaseModel;
use super::fit::{CompressedSummary, sum_chunks};
use crate::error::Result;
use crate::math::special::ln_hyp2f1;

impl ParetoNbdParams {
    fn fit_compressed(&self, data: &CompressedSummary) -> Result<ParetoNbd> {
        let (p, report) = super::fit::fit_purchase_model(
            "Pareto/NBD",
            &["r", "alpha", "s", "beta"],
            &start_values(data),
            &self.optimizer,
            data,
            |p| log_likelihood(data, p),
        )?;
        Ok(ParetoNbd {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
            report,
        })
    }
}

super::fit::fit_histories!(ParetoNbdParams, ParetoNbd);

/// Log-parameters to start BFGS from: `r = s = 1` with the rates' scales matched to the
/// data (`α`: mean age over mean frequency, so `E[λ] = r / α` is the observed purchase
/// rate; `β`: mean age, a lifetime of the order of the observation window).
fn start_values(data: &CompressedSummary) -> [f64; 4] {
    let (mut sx, mut st) = (0.0, 0.0);
    for k in 0..data.weights.len() {
        sx += data.weights[k] * data.frequency[k];
        st += data.weights[k] * data.age[k];
    }
    let w = data.total_weight.max(f64::MIN_POSITIVE);
    let mean_t = (st / w).max(1e-8);
    let mean_x = sx / w;
    let alpha = mean_t / mean_x.max(0.1);
    let clamp = |v: f64| if v.is_finite() { v.ln() } else { 0.0 };
    [0.0, clamp(alpha), 0.0, clamp(mean_t)]
}

/// Above this argument the tail integral comes from quadrature instead of the series
/// (which needs about `37 / (1 - z)` terms).
const SERIES_MAX_Z: f64 = 0.9;

/// `ln J` and `∂ ln J / ∂(a, b, z)` for
/// `J(a, b, z) = ∫_0^1 u^(a - 1) (1 - z u)^-b du = 2F1(a, b; a + 1; z) / a`, `0 <= z < 1`,
/// given `w = 1 - z` computed without cancellation.
fn ln_j(a: f64, b: f64, z: f64, w: f64) -> (f64, [f64; 3]) {
    if z <= SERIES_MAX_Z {
        ln_j_series(a, b, z, w)
    } else {
        ln_j_quadrature(a, b, z, w)
    }
}

/// [`ln_j`] by Euler's transformation `J = (1 - z)^(1 - b) S(a + 1 - b, a + 1, z) / a`
/// with `S(p, q, z) = 2F1(1, p; q; z) = Σ (p)_n / (q)_n z^n`: positive, decreasing terms
/// (`p < q`), summed with their derivatives in `p`, `q` and `z`.
fn ln_j_series(a: f64, b: f64, z: f64, w: f64) -> (f64, [f64; 3]) {
    let (p, q) = (a + 1.0 - b, a + 1.0);
    let (mut sum, mut sum_p, mut sum_q, mut sum_z) = (1.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut term, mut hp, mut hq) = (1.0f64, 0.0f64, 0.0f64);
    // The rest of the series after term n is at most term_n z / (1 - z) (and its
    // z-derivative about term_n n / (1 - z)²).
    let tail = w * w * 1e-17;
    let mut n = 0.0f64;
    loop {
        let (ip, iq) = (1.0 / (p + n), 1.0 / (q + n));
        let coef = (p + n) * iq;
        hp += ip;
        hq += iq;
        // (n + 1) term_{n+1} / z, without dividing by z (which may be 0).
        let dz = term * coef;
        term = dz * z;
        n += 1.0;
        sum += term;
        sum_p += term * hp;
        sum_q += term * hq;
        sum_z += n * dz;
        // Terms shrink at least as fast as z^n <= 0.9^n (p < q): about 470 suffice for
        // any parameters; the cap only bounds the work for non-finite input.
        if term * n <= tail * sum || n > 1e4 {
            break;
        }
    }
    let (sp, sq, sz) = (sum_p / sum, -sum_q / sum, sum_z / sum);
    (
        sum.ln() + (1.0 - b) * w.ln() - a.ln(),
        [-1.0 / a + sp + sq, -w.ln() - sp, (b - 1.0) / w + sz],
    )
}

/// [`ln_j`] by exp-sinh quadrature of `J = ∫_0^∞ e^(-a v) (1 - z e^-v)^-b dv`
/// (`u = e^-v`). The integrand decreases from `w^-b` at 0, first on the scale
/// `1 / (a + b z / w)` (the singularity at `v = ln z`, about `-w`, is that close), last
/// on the scale `1 / a`. The nodes `v = exp(π/2 sinh(k h)) / a` are centred on the
/// last (whose cut-off needs the finest spacing), with a step `h` small enough that the
/// node spacing in `ln v` stays under 0.2 out to the first (checked against mpmath to
/// 1e-15 for `1 - z` down to 1e-14 and `a`, `b` from 0.01 to 5000). Summed relative to
/// `w^-b`, so large `b` does not overflow.
fn ln_j_quadrature(a: f64, b: f64, z: f64, w: f64) -> (f64, [f64; 3]) {
    let half_pi = std::f64::consts::FRAC_PI_2;
    let fast = 1.0 / (a + b * z / w);
    let c = 1.0 / a;
    // The spacing at ln(v / c) = -spread, where (π/2) sinh(t) = -spread, is
    // (π/2) cosh(t) h.
    let spread = (c / fast).ln();
    // The step floor bounds the work (at most 2 x 2,250 nodes): within the fits' parameter
    // box (`fit::PARAM_MAX`) the spread is at most about 75 and h about 2.7e-3, above it;
    // for parameters far outside, h would tend to 0 and the nodes to 2^31 (NaN: one node).
    let h = (0.2 / (half_pi * (1.0 + (spread / half_pi).powi(2)).sqrt())).clamp(2e-3, 1.0 / 16.0);
    // t = k h within [-4.5, 4.5]: v / c from e^-70 to e^70.
    let kmax = (4.5 / h).ceil() as i32;
    let ln_w = w.ln();
    // Integrand times weight, and its derivatives in a, b and z (times the same).
    let node = |k: i32| -> [f64; 4] {
        let t = f64::from(k) * h;
        let v = c * (half_pi * t.sinh()).exp();
        let weight = h * half_pi * t.cosh() * v;
        let e = (-v).exp_m1(); // e^-v - 1
        let one_minus = w - z * e; // 1 - z e^-v, accurate for small v
        let ln_ratio = one_minus.ln() - ln_w;
        let f = (-a * v - b * ln_ratio).exp() * weight;
        [f, -v * f, -ln_ratio * f, (1.0 + e) / one_minus * f]
    };
    let mut acc = node(0);
    for side in [1, -1] {
        for k in 1..=kmax {
            let f = node(side * k);
            for j in 0..4 {
                acc[j] += f[j];
            }
            // Past the peak (the integrand is monotone), the rest is negligible.
            if f[0] <= 1e-18 * acc[0] && acc[0] > 0.0 {
                break;
            }
        }
    }
    let [sum, sum_a, sum_b, sum_z] = acc;
    (
        sum.ln() - b * ln_w,
        [sum_a / sum, sum_b / sum - ln_w, b * sum_z / sum],
    )
}

/// `ln G(t)` and its gradient in `(r, α, s, β)`, for
/// `G(t) = ∫_t^∞ (α + τ)^-(r + x) (β + τ)^-(s + 1) dτ`
/// `= (M + t)^-a J(a, b, |α - β| / (M + t))` with `a = r + s + x`, and `M = α`,
/// `b = s + 1` when `α >= β`, else `M = β`, `b = r + x`.
fn ln_tail(r: f64, alpha: f64, s: f64, beta: f64, x: f64, t: f64) -> (f64, [f64; 4]) {
    let a = r + s + x;
    let (at, bt) = (alpha + t, beta + t);
    if alpha >= beta {
        let (z, w) = ((alpha - beta) / at, bt / at);
        let (lj, [ja, jb, jz]) = ln_j(a, s + 1.0, z, w);
        let ln_at = at.ln();
        (
            -a * ln_at + lj,
            [
                -ln_at + ja,
                -a / at + jz * bt / (at * at),
                -ln_at + ja + jb,
                -jz / at,
            ],
        )
    } else {
        let (z, w) = ((beta - alpha) / bt, at / bt);
        let (lj, [ja, jb, jz]) = ln_j(a, r + x, z, w);
        let ln_bt = bt.ln();
        (
            -a * ln_bt + lj,
            [
                -ln_bt + ja + jb,
                -jz / bt,
                -ln_bt + ja,
                -a / bt + jz * at / (bt * bt),
            ],
        )
    }
}

/// The two terms of a customer's likelihood (without the common factor
/// `Γ(r + x) α^r β^s / Γ(r)`), in logs with their gradients: `ℓ1 = ln[(α + T)^-(r + x)
/// (β + T)^-s]` (alive at `T`) and `ℓ2 = ln[s (G(t_x) - G(T))]` (died in `(t_x, T]`),
/// `-inf` when `t_x = T`. `tail_at_zero` is `ln G(0)` when already known.
fn likelihood_terms(
    p: &[f64],
    x: f64,
    tx: f64,
    t: f64,
    tail_at_zero: Option<(f64, [f64; 4])>,
) -> ((f64, [f64; 4]), (f64, [f64; 4])) {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let (ln_at, ln_bt) = ((alpha + t).ln(), (beta + t).ln());
    let l1 = (
        -(r + x) * ln_at - s * ln_bt,
        [-ln_at, -(r + x) / (alpha + t), -ln_bt, -s / (beta + t)],
    );
    let none = (f64::NEG_INFINITY, [0.0; 4]);
    if tx >= t {
        return (l1, none);
    }
    let (g1, d1) = match tail_at_zero {
        Some(v) if tx == 0.0 => v,
        _ => ln_tail(r, alpha, s, beta, x, tx),
    };
    let (g2, d2) = ln_tail(r, alpha, s, beta, x, t);
    let d = g2 - g1;
    if d >= 0.0 || d.is_nan() {
        // G(T) < G(t_x) exactly; equal in floating point only when the term is negligible
        // (d = -inf, G(T) negligible, goes on: the term is then s G(t_x)).
        return (l1, none);
    }
    // ln(G1 - G2) = g1 + ln(1 - e^d); its gradient is (dG1 - e^d dG2) / (1 - e^d).
    let one_minus = -d.exp_m1();
    let e = d.exp();
    let mut grad = [0.0; 4];
    for k in 0..4 {
        grad[k] = (d1[k] - e * d2[k]) / one_minus;
    }
    grad[2] += 1.0 / s;
    (l1, (s.ln() + g1 + one_minus.ln(), grad))
}

/// Weighted log-likelihood and its gradient in the natural parameters (r, α, s, β).
fn log_likelihood(data: &CompressedSummary, p: &[f64]) -> (f64, [f64; 4]) {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let (lg_r, dg_r, ln_alpha, ln_beta) = (ln_gamma(r), digamma(r), alpha.ln(), beta.ln());
    // Which distinct frequencies have rows with t_x = 0 (all x = 0 rows): their G(0) is
    // shared.
    let mut zero_recency = vec![false; data.distinct_frequencies.len()];
    for k in 0..data.weights.len() {
        if data.recency[k] == 0.0 {
            zero_recency[data.frequency_index[k] as usize] = true;
        }
    }
    // Per distinct frequency: ln Γ(r + x) - ln Γ(r) + r ln α + s ln β, its gradient, and
    // ln G(0) where needed.
    type PerX = (f64, [f64; 4], Option<(f64, [f64; 4])>);
    let per_x: Vec<PerX> = data
        .distinct_frequencies
        .iter()
        .zip(&zero_recency)
        .map(|(&x, &zero)| {
            (
                ln_gamma(r + x) - lg_r + r * ln_alpha + s * ln_beta,
                [
                    digamma(r + x) - dg_r + ln_alpha,
                    r / alpha,
                    ln_beta,
                    s / beta,
                ],
                zero.then(|| ln_tail(r, alpha, s, beta, x, 0.0)),
            )
        })
        .collect();
    let per_x = &per_x;
    let chunk = |lo: usize, hi: usize| {
        let mut acc = [0.0f64; 5];
        for k in lo..hi {
            let w = data.weights[k];
            let (x, tx, t) = (data.frequency[k], data.recency[k], data.age[k]);
            let (base, dbase, at_zero) = per_x[data.frequency_index[k] as usize];
            let (ll, g) = combine(base, dbase, likelihood_terms(p, x, tx, t, at_zero));
            acc[4] += w * ll;
            for j in 0..4 {
                acc[j] += w * g[j];
            }
        }
        acc
    };
    let total = sum_chunks(data.weights.len(), chunk);
    (total[4], [total[0], total[1], total[2], total[3]])
}

/// A customer's log-likelihood and gradient from the common factor's log `base` (with
/// gradient `dbase`) and the two terms of [`likelihood_terms`] (log-sum-exp).
fn combine(
    base: f64,
    dbase: [f64; 4],
    ((l1, g1), (l2, g2)): ((f64, [f64; 4]), (f64, [f64; 4])),
) -> (f64, [f64; 4]) {
    let m = l1.max(l2);
    let (e1, e2) = ((l1 - m).exp(), (l2 - m).exp());
    let w1 = e1 / (e1 + e2);
    let w2 = 1.0 - w1;
    let mut g = [0.0; 4];
    for j in 0..4 {
        g[j] = dbase[j] + w1 * g1[j] + if w2 > 0.0 { w2 * g2[j] } else { 0.0 };
    }
    (base + m + (e1 + e2).ln(), g)
}

/// One customer's log-likelihood and its gradient in (r, α, s, β) (the covariate
/// models' rows, each with its own α and β).
pub(crate) fn customer_log_likelihood(p: &[f64; 4], x: f64, tx: f64, t: f64) -> (f64, [f64; 4]) {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let (ln_alpha, ln_beta) = (alpha.ln(), beta.ln());
    let base = ln_gamma(r + x) - ln_gamma(r) + r * ln_alpha + s * ln_beta;
    let dbase = [
        digamma(r + x) - digamma(r) + ln_alpha,
        r / alpha,
        ln_beta,
        s / beta,
    ];
    combine(base, dbase, likelihood_terms(p, x, tx, t, None))
}

super::fit::clv_model! {
    /// Pareto/NBD fitting options, as [`BetaGeoParams`](super::BetaGeoParams)'s (same
    /// defaults, data and errors); [`Fit`](crate::model::Fit) returns a [`ParetoNbd`].
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::clv::ParetoNbd;
    /// let s = patronage::simulate::Simulation::new(2_000).seed(1).summary_continuous()?;
    /// let m = ParetoNbd::params().fit(&s)?;
    /// assert!(m.report().log_likelihood < 0.0);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    params ParetoNbdParams(max_iter 500, tol 1e-10);
    /// A fitted Pareto/NBD model.
    model ParetoNbd(RawParetoNbd, "RawParetoNbd", "Pareto/NBD") {
        /// Shape of the purchase-rate Gamma.
        r,
        /// Rate (scale parameter, in time units) of the purchase-rate Gamma.
        alpha,
        /// Shape of the dropout-rate Gamma.
        s,
        /// Rate (scale parameter, in time units) of the dropout-rate Gamma.
        beta,
    }
}

impl ParetoNbd {
    fn as_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.s, self.beta]
    }

    /// `P(X(t) = n)` for a customer who has just made a first purchase (Fader & Hardie's
    /// 2006 note), from `n + 2` values of 2F1.
    ///
    /// Checked against quadrature (mpmath) to 1e-12. Where the closed form cancels
    /// (the part for customers who died before `t` is a difference of two sums) or its
    /// 2F1 argument `|α - β| / max(α, β)` exceeds 0.9, that part comes from tanh-sinh
    /// quadrature of its integral over the time of death instead.
    ///
    /// ```
    /// use patronage::clv::ParetoNbd;
    /// let m = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669)?;
    /// let total: f64 = (0..200).map(|n| m.probability_of_n_purchases(39.0, n)).sum::<patronage::Result<f64>>()?;
    /// assert!((total - 1.0).abs() < 1e-9);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or non-finite `t`.
    pub fn probability_of_n_purchases(&self, t: f64, n: u32) -> Result<f64> {
        crate::validate::horizon("t", t)?;
        Ok(pmf(&self.as_array(), t, n))
    }

    /// `P(X(T, T + t] = n | x, t_x, T)`: the probability of exactly `n` purchases in the
    /// next `t` time units for a customer with the given frequency, recency and age.
    ///
    /// ```
    /// use patronage::clv::{ParetoNbd, PurchaseModel};
    /// let m = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669)?;
    /// let (x, tx, age) = (2.0, 30.43, 38.86);
    /// let mean: f64 = (1..300)
    ///     .map(|n| Ok(f64::from(n) * m.conditional_probability_of_n_purchases(39.0, n, x, tx, age)?))
    ///     .sum::<patronage::Result<f64>>()?;
    /// assert!((mean - m.conditional_expected_purchases(39.0, x, tx, age)?).abs() < 1e-8);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn conditional_probability_of_n_purchases(
        &self,
        t: f64,
        n: u32,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        crate::validate::horizon("t", t)?;
        let alive = self.probability_alive(frequency, recency, age)?;
        let posterior = [
            self.r + frequency,
            self.alpha + age,
            self.s,
            self.beta + age,
        ];
        let dead = if n == 0 { 1.0 - alive } else { 0.0 };
        Ok(alive * pmf(&posterior, t, n) + dead)
    }
}

/// `P(X(t) = n)` under Pareto/NBD parameters `p = (r, α, s, β)`: alive at `t` after
/// `n` purchases, `NB(n; r, α/(α+t)) (β/(β+t))^s`, plus died at some `τ < t` after `n`
/// purchases, `D = ∫_0^t NB(n; r, α/(α+τ)) s β^s (β+τ)^-(s+1) dτ`, which in closed form
/// (Fader & Hardie's note) is
///
/// ```text
/// D = α^r β^s B(r + n, s + 1) / (Γ(r) Γ(s))
///     · [Γ(r + s) H(0, 0) - Σ_{i=0..n} t^i / i! Γ(r + s + i) H(i, t)]
/// H(i, t) = 2F1(r + s + i, s + 1; r + s + n + 1; (α - β)/(α + t)) / (α + t)^(r + s + i)
/// ```
///
/// (`s + 1` and `α` replaced by `r + n` and `β` when `α < β`). The difference loses
/// relative accuracy where `D` is small, and 2F1 near its singular point loses digits
/// for large parameters, so `D` comes from [`died_by_quadrature`] where the 2F1 argument
/// exceeds 0.9 or the bracket cancels to under 1e-3 of its first term.
fn pmf(p: &[f64; 4], t: f64, n: u32) -> f64 {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let x = f64::from(n);
    if t <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    let alive = (ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0)
        + r * (alpha / (alpha + t)).ln()
        + if n > 0 {
            x * (t / (alpha + t)).ln()
        } else {
            0.0
        }
        + s * (beta / (beta + t)).ln())
    .exp();
    let (big, b) = if alpha >= beta {
        (alpha, s + 1.0)
    } else {
        (beta, r + x)
    };
    let diff = (alpha - beta).abs();
    if diff / big > SERIES_MAX_Z {
        return alive + died_by_quadrature(p, t, n);
    }
    let ln_k = r * alpha.ln() + s * beta.ln() + ln_gamma(r + x) + ln_gamma(s + 1.0)
        - ln_gamma(r + s + x + 1.0)
        - ln_gamma(r)
        - ln_gamma(s);
    let c = r + s + x + 1.0;
    let ln_h = |i: f64, t: f64| {
        ln_hyp2f1(r + s + i, b, c, diff / (big + t)) - (r + s + i) * (big + t).ln()
    };
    let whole = ln_gamma(r + s) + ln_h(0.0, 0.0);
    // Σ_i exp(term_i - whole) <= 1: the probability of surviving is the rest.
    let ln_t = t.ln();
    let mut partial = 0.0;
    for i in 0..=n {
        let i = f64::from(i);
        let term = i * ln_t - ln_gamma(i + 1.0) + ln_gamma(r + s + i) + ln_h(i, t);
        partial += (term - whole).exp();
    }
    if partial > 0.999 {
        return alive + died_by_quadrature(p, t, n);
    }
    alive + (ln_k + whole).exp() * (1.0 - partial)
}

/// The died-before-`t` part of [`pmf`], `∫_0^t NB(n; r, α/(α+τ)) s β^s (β+τ)^-(s+1) dτ`,
/// by tanh-sinh quadrature in `y = ln(m + τ)`, `m = min(α, β)`: in `y` the integrand is
/// analytic in a strip of half-width π (the other rate's singularity sits at
/// `Im y = π`) and the NBD's bump has a width of about `1 / √r` whatever `n`. The
/// integrand is positive, so small values keep their relative accuracy. The step is
/// halved until two levels agree to 1e-9 (the error then is about the square of that).
fn died_by_quadrature(p: &[f64; 4], t: f64, n: u32) -> f64 {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
    let x = f64::from(n);
    let (m, gap) = (alpha.min(beta), (alpha - beta).abs());
    let alpha_is_min = alpha <= beta;
    let len = (t / m).ln_1p();
    let ln_front =
        ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0) + r * alpha.ln() + s.ln() + s * beta.ln();
    // ln of the integrand at distance d from y = ln m (dτ = (m + τ) dy).
    let ln_f = |d: f64| -> f64 {
        let tau = m * d.exp_m1();
        let ln_near = m.ln() + d; // ln(m + τ)
        let ln_far = (gap + m * d.exp()).ln();
        let (ln_a, ln_b) = if alpha_is_min {
            (ln_near, ln_far)
        } else {
            (ln_far, ln_near)
        };
        let purchases = if n > 0 { x * tau.ln() } else { 0.0 };
        ln_front + purchases - (r + x) * ln_a - (s + 1.0) * ln_b + ln_near
    };
    let half_pi = std::f64::consts::FRAC_PI_2;
    // Node k h of the substitution d = len / (1 + e^(-2u)), u = (π/2) sinh(k h).
    let node = |k: i32, h: f64, scale: f64| -> f64 {
        let t = f64::from(k) * h;
        let u = half_pi * t.sinh();
        let e = (-2.0 * u.abs()).exp();
        let near = len * e / (1.0 + e); // distance to the nearer end
        let d = if u >= 0.0 { len - near } else { near };
        let weight = len * half_pi * t.cosh() * 2.0 * e / ((1.0 + e) * (1.0 + e));
        if weight == 0.0 || d <= 0.0 {
            return 0.0;
        }
        (ln_f(d) - scale).exp() * weight
    };
    const TMAX: f64 = 3.5;
    let mut h = 0.25;
    let kmax = (TMAX / h) as i32;
    let scale = (-kmax..=kmax)
        .map(|k| {
            let u = half_pi * (f64::from(k) * h).sinh();
            ln_f(len / (1.0 + (-2.0 * u).exp()))
        })
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !scale.is_finite() {
        return 0.0;
    }
    let mut sum: f64 = (-kmax..=kmax).map(|k| node(k, h, scale)).sum();
    let mut estimate = sum * h;
    for level in 0..8 {
        h *= 0.5;
        let kmax = (TMAX / h) as i32;
        sum += (-kmax..=kmax)
            .filter(|k| k % 2 != 0)
            .map(|k| node(k, h, scale))
            .sum::<f64>();
        let next = sum * h;
        // Each halving about squares the error once the rule converges: a change under
        // 1e-9 leaves an error far below it.
        let done = level >= 1 && (next - estimate).abs() <= 1e-9 * next.abs();
        estimate = next;
        if done {
            break;
        }
    }
    estimate * scale.exp()
}

/// `E[X(t)]` for a new customer with parameters `(r, α, s, β)`:
/// `r β / (α (s - 1)) · [1 - (β / (β + t))^(s - 1)]`.
fn expected_new(r: f64, alpha: f64, s: f64, beta: f64, t: f64) -> f64 {
    let l = (t / beta).ln_1p();
    let u = (s - 1.0) * l;
    // [1 - e^(-u)] / (s - 1), continuous at s = 1 where it is l.
    let factor = if u == 0.0 {
        l
    } else {
        -(-u).exp_m1() / (s - 1.0)
    };
    r * beta / alpha * factor
}

impl PurchaseModel for ParetoNbd {}

impl super::Formulas for ParetoNbd {
    fn reparameterized(&self, values: &[f64]) -> Self {
        self.with_values(values)
    }

    fn refit(&self, summary: &crate::CustomerSummary) -> crate::Result<Self> {
        crate::model::Fit::fit(&Self::params(), summary)
    }

    /// Exponential gaps at rate `lambda ~ Gamma(r, alpha)` until the lifetime
    /// `~ Exp(mu)`, `mu ~ Gamma(s, beta)`, or age `T`.
    fn sample_history(
        &self,
        age: f64,
        max_purchases: u32,
        rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
    ) -> Option<(f64, f64)> {
        use rand_distr::{Distribution, Exp, Gamma};
        let lambda = Gamma::new(self.r, 1.0 / self.alpha).ok()?.sample(rng);
        let mu = Gamma::new(self.s, 1.0 / self.beta).ok()?.sample(rng);
        let end = Exp::new(mu).ok()?.sample(rng).min(age);
        let gap = Exp::new(lambda).ok()?;
        let (mut x, mut tx, mut t) = (0u32, 0.0, 0.0);
        loop {
            t += gap.sample(rng);
            if t > end {
                return Some((f64::from(x), tx));
            }
            if x == max_purchases {
                return None;
            }
            (x, tx) = (x + 1, t);
        }
    }

    /// Alive at T the rates are a posteriori Pareto/NBD with `r + x, α + T, s, β + T`:
    /// one minus that customer's probability of no purchase in `t`.
    fn purchase_if_alive(&self, t: f64, frequency: f64, age: f64) -> Option<f64> {
        let posterior = [
            self.r + frequency,
            self.alpha + age,
            self.s,
            self.beta + age,
        ];
        Some((1.0 - pmf(&posterior, t, 0)).clamp(0.0, 1.0))
    }

    fn if_alive(&self, t: f64, frequency: f64, age: f64) -> f64 {
        // Alive at T, the posterior is Pareto/NBD with r + x, alpha + T, s, beta + T.
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        expected_new(r + frequency, alpha + age, s, beta + age, t)
    }

    fn alive(&self, frequency: f64, recency: f64, age: f64) -> f64 {
        let ((l1, _), (l2, _)) = likelihood_terms(&self.as_array(), frequency, recency, age, None);
        super::bgnbd::logistic_neg(l2 - l1)
    }

    fn new_customer(&self, t: f64) -> f64 {
        expected_new(self.r, self.alpha, self.s, self.beta, t)
    }

    fn ln_likelihood(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> f64 {
        let data = CompressedSummary::new(frequency, recency, age, None);
        log_likelihood(&data, &self.as_array()).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient of the log-likelihood agrees with central differences, in
    /// both branches (α >= β, α < β) and with z beyond the series' range.
    #[test]
    fn gradient_matches_differences() {
        let data = CompressedSummary::new(
            &[0.0, 0.0, 1.0, 2.0, 7.0, 30.0],
            &[0.0, 0.0, 3.5, 30.0, 36.0, 38.0],
            &[39.0, 20.0, 38.0, 38.9, 37.0, 38.5],
            None,
        );
        for p in [
            [0.55, 10.6, 0.61, 11.7],
            [0.55, 11.7, 0.61, 10.6],
            [0.3, 2.0, 1.4, 400.0],
            [2.0, 300.0, 0.2, 1.5],
            [0.8, 5.0, 0.9, 5.0],
        ] {
            let (_, g) = log_likelihood(&data, &p);
            for k in 0..4 {
                let h = 1e-6 * p[k];
                let (mut up, mut down) = (p, p);
                up[k] += h;
                down[k] -= h;
                let num =
                    (log_likelihood(&data, &up).0 - log_likelihood(&data, &down).0) / (2.0 * h);
                assert!(
                    (g[k] - num).abs() <= 1e-5 * (1.0 + num.abs()),
                    "{p:?} [{k}]: {} vs {num}",
                    g[k]
                );
            }
        }
    }

    /// Customer log-likelihoods against mpmath (40 digits; `G(t_x) - G(T)` by its 2F1
    /// and, agreeing to 1e-15, by quadrature on a grid refined towards `t_x`) across
    /// both branches, `α = β`, far-apart scales (z near 1) and frequencies up to 1000.
    #[test]
    fn customer_log_likelihood_matches_quadrature() {
        let cases: [([f64; 4], [f64; 4]); 6] = [
            (
                [0.3, 2.0, 1.4, 400.0],
                [
                    -0.8655515000647285,
                    -14.995369948058512,
                    112.3570159656173,
                    3410.6161958385337,
                ],
            ),
            (
                [2.0, 300.0, 0.2, 1.5],
                [
                    -0.14774883492840926,
                    -23.098516118067867,
                    -298.14918651656916,
                    176.7366581523221,
                ],
            ),
            (
                [0.8, 5.0, 0.9, 5.0],
                [
                    -0.6141873748123389,
                    -13.112728911206592,
                    100.73267267694123,
                    3193.6618314177476,
                ],
            ),
            (
                [0.55, 10.6, 0.61, 11.7],
                [
                    -0.5173438186752504,
                    -14.620787657881236,
                    76.19802249398973,
                    2875.0510558676942,
                ],
            ),
            (
                [0.5, 0.01, 0.7, 50.0],
                [
                    -3.7683116102045338,
                    -15.421945327836186,
                    121.44914385145618,
                    3591.880241077582,
                ],
            ),
            (
                [0.5, 80.0, 0.7, 0.01],
                [
                    -0.0019674772587496745,
                    -24.744637065750506,
                    -103.22751154228214,
                    1398.3143557831208,
                ],
            ),
        ];
        let rows = [
            (0.0, 0.0, 39.0),
            (5.0, 10.0, 39.0),
            (200.0, 38.0, 40.0),
            (1000.0, 10.0, 100.0),
        ];
        for (p, want) in cases {
            let m = ParetoNbd::from_params(p[0], p[1], p[2], p[3]).unwrap();
            for ((x, tx, t), want) in rows.iter().zip(want) {
                let got = m.customer_log_likelihood(*x, *tx, *t).unwrap();
                assert!(
                    (got - want).abs() <= 1e-10 * want.abs().max(1.0),
                    "{p:?} ({x}, {tx}, {t}): {got} vs {want}"
                );
            }
        }
    }

    /// `ln J(a, b, z) = ln[2F1(a, b; a + 1; z) / a]` against mpmath (50 digits), mostly
    /// near `z = 1` where the quadrature takes over, with large `a` and `b`.
    #[test]
    fn tail_integral_matches_mpmath() {
        for (a, b, w, want) in [
            (1.16, 1.61, 0.05, 2.1604669707879123),
            (1.16, 1.61, 1e-6, 8.921472586123803),
            (201.16, 1.61, 1e-3, 4.1125796151446945),
            (1001.2, 1000.3, 1e-6, 13798.932645537929),
            (0.7, 1.4, 0.01, 2.6551153317425547),
            (2.3, 2.0, 1e-3, 6.900258744121982),
            (5000.5, 1.2, 1e-4, 1.638414330144902),
            (1.5, 0.5, 0.01, 0.33071083925781697),
            (3.2, 2.2, 0.09, 2.4652541959043126),
            (0.05, 0.3, 1e-10, 3.0264654892304286),
            (40.0, 38.5, 0.03, 127.86952937435844),
        ] {
            let got = ln_j(a, b, 1.0 - w, w).0;
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "({a}, {b}, 1 - {w}): {got} vs {want}"
            );
        }
    }

    /// The closed form of the died-before-`t` probability and its quadrature agree where
    /// the closed form is accurate.
    #[test]
    fn died_closed_form_matches_quadrature() {
        for p in [
            [0.553, 10.578, 0.606, 11.669],
            [2.5, 40.0, 0.606, 11.669],
            [0.3, 1.0, 3.0, 4.0],
            [26.5, 41.4, 0.6, 42.5],
        ] {
            let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
            for t in [2.0, 39.0, 150.0] {
                let alive = |n: u32| {
                    let x = f64::from(n);
                    (ln_gamma(r + x) - ln_gamma(r) - ln_gamma(x + 1.0)
                        + r * (alpha / (alpha + t)).ln()
                        + x * (t / (alpha + t)).ln()
                        + s * (beta / (beta + t)).ln())
                    .exp()
                };
                for n in 0..25 {
                    let closed = pmf(&p, t, n) - alive(n);
                    let quad = died_by_quadrature(&p, t, n);
                    assert!(
                        (closed - quad).abs() <= 1e-13 + 1e-9 * quad,
                        "{p:?} t {t} n {n}: {closed} vs {quad}"
                    );
                }
            }
        }
    }

    /// The series and the quadrature agree, with their derivatives, where both apply.
    #[test]
    fn tail_series_matches_quadrature() {
        for (a, b, z) in [
            (1.16, 1.61, 0.85),
            (2.16, 1.61, 0.6),
            (31.1, 1.6, 0.88),
            (32.1, 30.5, 0.8),
            (0.9, 0.2, 0.3),
        ] {
            let (v1, d1) = ln_j_series(a, b, z, 1.0 - z);
            let (v2, d2) = ln_j_quadrature(a, b, z, 1.0 - z);
            assert!((v1 - v2).abs() < 1e-12 * v1.abs().max(1.0), "{v1} vs {v2}");
            for k in 0..3 {
                assert!(
                    (d1[k] - d2[k]).abs() < 1e-10 * d1[k].abs().max(1.0),
                    "({a}, {b}, {z}) [{k}]: {} vs {}",
                    d1[k],
                    d2[k]
                );
            }
        }
    }
}
