//! The BG/BB model for discrete-time, noncontractual settings (Fader, Hardie & Shang
//! 2010, "Customer-base analysis in a discrete-time noncontractual setting"): in each
//! of `n` opportunities an alive customer transacts with probability `p ~ Beta(α, β)`
//! and, before the next opportunity, drops out with probability `θ ~ Beta(γ, δ)`.
//!
//! For `x` transactions, the last at opportunity `t_x`, out of `n`:
//!
//! ```text
//! L = B(α + x, β + n - x) / B(α, β) · B(γ, δ + n) / B(γ, δ)
//!   + Σ_{i=0}^{n - t_x - 1} B(α + x, β + t_x - x + i) / B(α, β) · B(γ + 1, δ + t_x + i) / B(γ, δ)
//! E[X(n)] = α / (α + β) · δ / (γ - 1) · [1 - Γ(γ + δ) Γ(1 + δ + n) / (Γ(γ + δ + n) Γ(1 + δ))]
//! ```
//!
//! Fitted on the log scale by BFGS with central-difference gradients over the (usually
//! few) distinct `(x, t_x, n)` rows with weights.
//!
//! The data are a [`CustomerSummary`] whose frequency, recency and T count
//! opportunities (whole numbers): `x` = frequency, `t_x` = recency (0 without repeat
//! transactions) and `n` = T, as a log summarized in periods of one opportunity gives
//! ([`SummaryParams::period_days`](crate::SummaryParams::period_days)). BG/BB is a
//! [`PurchaseModel`] like its continuous-time siblings (horizons count opportunities),
//! so lifetime value and the diagnostics work with it too.
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::clv::BetaGeoBetaBinom;
//! let m = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783)?;
//! assert!((m.expected_purchases_new_customer(10.0)? - 3.18).abs() < 0.01);
//! // 4 transactions, the last at opportunity 5, out of 6: expected in the next 5.
//! let e = m.conditional_expected_purchases(5.0, 4.0, 5.0, 6.0)?;
//! assert!(e > 0.0 && m.probability_alive(4.0, 5.0, 6.0)? < 1.0);
//! # Ok::<(), patronage::Error>(())
//! ```

use statrs::function::gamma::ln_gamma;

use super::PurchaseModel;
use super::fit::fit_penalized;
use crate::error::{Error, Result};
use crate::math::optim::{cholesky_inverse, numerical_gradient, numerical_hessian};
use crate::summary::CustomerSummary;
use crate::validate;

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// One customer's log-likelihood: the alive-throughout term plus the sum over the
/// opportunities after `t_x` at which the customer may have dropped out. Successive
/// terms of that sum differ by the factor `(β + t_x - x + i) / (α + β + t_x + i) ·
/// (δ + t_x + i) / (γ + δ + t_x + 1 + i)`, below 1, so the sum is accumulated relative
/// to its first term with one multiplication per opportunity instead of four
/// log-gamma functions, and in constant memory.
fn ln_l(p: &[f64], x: f64, tx: f64, n: f64) -> f64 {
    let (al, be, ga, de) = (p[0], p[1], p[2], p[3]);
    let (b_ab, b_gd) = (ln_beta(al, be), ln_beta(ga, de));
    let alive = ln_beta(al + x, be + n - x) - b_ab + ln_beta(ga, de + n) - b_gd;
    if n <= tx {
        return alive;
    }
    let first = ln_beta(al + x, be + tx - x) - b_ab + ln_beta(ga + 1.0, de + tx) - b_gd;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 0..(n - tx) as u64 - 1 {
        let i = i as f64;
        term *= (be + tx - x + i) / (al + be + tx + i) * (de + tx + i) / (ga + de + tx + 1.0 + i);
        sum += term;
    }
    let dropped = first + sum.ln();
    let m = alive.max(dropped);
    m + ((alive - m).exp() + (dropped - m).exp()).ln()
}

/// A discrete-time (BG/BB) history: `x` transactions, the last at opportunity `t_x`,
/// out of `n` opportunities, with `x <= t_x <= n` and `n` at
/// most [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
fn discrete_history(row: usize, x: f64, tx: f64, n: f64) -> Result<()> {
    for (field, v) in [("frequency", x), ("recency", tx), ("periods", n)] {
        validate::non_negative(field, row, v)?;
        if v.fract() != 0.0 {
            return Err(validate::invalid_value(
                field,
                row,
                v,
                "BG/BB counts opportunities: whole numbers",
            ));
        }
    }
    if x > tx {
        return Err(validate::invalid_value(
            "frequency",
            row,
            x,
            "more transactions than opportunities up to the last one",
        ));
    }
    if tx > n {
        return Err(validate::invalid_value(
            "recency",
            row,
            tx,
            "the last transaction is after the last opportunity",
        ));
    }
    // x <= t_x also rules out t_x = 0 with x > 0.
    opportunities(n)
}

/// `n` opportunities at most [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
fn opportunities(n: f64) -> Result<()> {
    let limit = super::MAX_OPPORTUNITIES;
    if n > f64::from(limit) {
        return Err(Error::LimitExceeded {
            what: "BG/BB opportunities",
            size: n as u64,
            limit: u64::from(limit),
            hint: "BG/BB sums over opportunities; aggregate them into coarser periods",
        });
    }
    Ok(())
}

/// Checks that every row of a summary is a discrete history (whole counts within
/// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES)).
fn check_discrete(summary: &CustomerSummary) -> Result<()> {
    let (x, tx, n) = (summary.frequency(), summary.recency(), summary.age());
    (0..summary.len()).try_for_each(|row| discrete_history(row, x[row], tx[row], n[row]))
}

impl BetaGeoBetaBinomParams {
    fn fit_rows(
        &self,
        summary: &CustomerSummary,
        weights: Option<&[f64]>,
    ) -> Result<BetaGeoBetaBinom> {
        check_discrete(summary)?;
        if let Some(w) = weights {
            validate::same_len("weights", summary.len(), w.len())?;
            for (row, &v) in w.iter().enumerate() {
                validate::non_negative("weights", row, v)?;
            }
        }
        let (frequency, recency, periods) = (summary.frequency(), summary.recency(), summary.age());
        let rows: Vec<(f64, f64, f64, f64)> = (0..summary.len())
            .map(|i| {
                (
                    frequency[i],
                    recency[i],
                    periods[i],
                    weights.map_or(1.0, |w| w[i]),
                )
            })
            .collect();
        let total: f64 = rows.iter().map(|r| r.3).sum();
        let weighted = || rows.iter().filter(|r| r.3 > 0.0);
        let unidentified = if weighted().next().is_none() {
            Some("every weight is 0: there is no customer to fit")
        } else if weighted().all(|r| r.2 == 0.0) {
            Some("every customer has 0 opportunities: nothing was observed")
        } else if weighted().all(|r| r.0 == 0.0) {
            Some(
                "no repeat transactions (every frequency is 0): the transaction and \
                 dropout probabilities are not identified",
            )
        } else {
            None
        };
        if let Some(reason) = unidentified {
            return Err(Error::InsufficientData {
                model: "BG/BB",
                reason: reason.into(),
            });
        }
        let ll = |p: &[f64]| {
            rows.iter()
                .map(|&(x, tx, np, w)| w * ln_l(p, x, tx, np))
                .sum::<f64>()
        };
        let (params, iterations) = fit_penalized(
            "BG/BB",
            &["alpha", "beta", "gamma", "delta"],
            &[0.0; 4],
            &self.optimizer,
            total,
            |p| {
                let mut g = [0.0; 4];
                numerical_gradient(ll, p, &mut g);
                (ll(p), g)
            },
        )?;
        let hess = numerical_hessian(|p| -ll(p), &params);
        let se = cholesky_inverse(&hess, 4).map(|c| (0..4).map(|k| c[k * 4 + k].sqrt()).collect());
        Ok(BetaGeoBetaBinom {
            alpha: params[0],
            beta: params[1],
            gamma: params[2],
            delta: params[3],
            report: crate::FitReport::new(ll(&params), 4, total, se, iterations, true),
        })
    }
}

impl crate::model::Fit<&CustomerSummary> for BetaGeoBetaBinomParams {
    type Fitted = BetaGeoBetaBinom;

    fn fit(&self, summary: &CustomerSummary) -> Result<BetaGeoBetaBinom> {
        self.fit_rows(summary, None)
    }
}

impl crate::model::Fit<(&CustomerSummary, &[f64])> for BetaGeoBetaBinomParams {
    type Fitted = BetaGeoBetaBinom;

    fn fit(&self, (summary, weights): (&CustomerSummary, &[f64])) -> Result<BetaGeoBetaBinom> {
        self.fit_rows(summary, Some(weights))
    }
}

super::fit::clv_model! {
    /// BG/BB fitting options ([`Optimized`](crate::model::Optimized): at most 500 BFGS
    /// iterations, tolerance 1e-9; [`Regularized`](crate::model::Regularized): lifetimes'
    /// `penalizer_coef` on (α, β, γ, δ)); [`Fit`](crate::model::Fit) to a discrete
    /// [`CustomerSummary`], or one with a weight per row (`fit((&summary, &weights))`: the
    /// donations data come compressed this way), returns a [`BetaGeoBetaBinom`].
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for a row that is not a discrete history (counts not whole
    /// numbers; [`Error::LimitExceeded`] for T above
    /// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES)); for weights,
    /// [`Error::LengthMismatch`], [`Error::NonFinite`], [`Error::Negative`] naming the row;
    /// [`Error::InsufficientData`] when no row has weight, every `n` is 0 or every `x` is 0,
    /// or when the likelihood rises towards a parameter limit (each parameter is kept in
    /// `[1e-8, 1e8]`: the data do not identify the model); [`Error::NotConverged`].
    params BetaGeoBetaBinomParams(max_iter 500, tol 1e-9);
    /// A fitted BG/BB model.
    model BetaGeoBetaBinom(RawBetaGeoBetaBinom, "RawBetaGeoBetaBinom", "BG/BB") {
        /// α of the transaction-probability Beta.
        alpha,
        /// β of the transaction-probability Beta.
        beta,
        /// γ of the dropout-probability Beta.
        gamma,
        /// δ of the dropout-probability Beta.
        delta,
    }
}

impl BetaGeoBetaBinom {
    /// `P(X(n) = x)`: probability that a new customer makes exactly `x` transactions in
    /// the first `n` opportunities (Fader, Hardie & Shang 2010, equation 7):
    ///
    /// `C(n, x) B(α + x, β + n - x)/B(α, β) · B(γ, δ + n)/B(γ, δ)
    ///  + Σ_{i=x}^{n-1} C(i, x) B(α + x, β + i - x)/B(α, β) · B(γ + 1, δ + i)/B(γ, δ)`,
    ///
    /// each term in log space, the sum's terms by the ratio of successive ones. Zero
    /// when `x > n`.
    ///
    /// ```
    /// use patronage::clv::BetaGeoBetaBinom;
    /// let m = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783)?;
    /// let total: f64 = (0..=6).map(|x| m.probability_of_n_transactions(6, x)).sum::<patronage::Result<f64>>()?;
    /// assert!((total - 1.0).abs() < 1e-12);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for `n` above [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
    pub fn probability_of_n_transactions(&self, n: u32, x: u32) -> Result<f64> {
        opportunities(f64::from(n))?;
        if x > n {
            return Ok(0.0);
        }
        let (a, b, g, d) = (self.alpha, self.beta, self.gamma, self.delta);
        let (b_ab, b_gd) = (ln_beta(a, b), ln_beta(g, d));
        let xf = f64::from(x);
        let ln_choose = |m: f64| ln_gamma(m + 1.0) - ln_gamma(xf + 1.0) - ln_gamma(m - xf + 1.0);
        let nf = f64::from(n);
        let mut total =
            (ln_choose(nf) + ln_beta(a + xf, b + nf - xf) - b_ab + ln_beta(g, d + nf) - b_gd).exp();
        if x < n {
            // Term i = x, then each next one by the ratio C(i + 1, x) / C(i, x) ·
            // (β + i - x) / (α + β + i) · (δ + i) / (γ + 1 + δ + i).
            let mut ln_term = ln_beta(a + xf, b) - b_ab + ln_beta(g + 1.0, d + xf) - b_gd;
            total += ln_term.exp();
            for i in x..n - 1 {
                let i = f64::from(i);
                ln_term += ((i + 1.0) / (i + 1.0 - xf) * (b + i - xf) / (a + b + i) * (d + i)
                    / (g + 1.0 + d + i))
                    .ln();
                total += ln_term.exp();
            }
        }
        Ok(total.min(1.0))
    }
}

impl BetaGeoBetaBinom {
    fn natural(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }
}

impl super::Formulas for BetaGeoBetaBinom {
    fn reparameterized(&self, values: &[f64]) -> Self {
        self.with_values(values)
    }

    /// The paper's equation 13 divided by P(alive at `n + 1`): the `L` and `t_x` terms
    /// cancel, leaving a function of `(x, n)`.
    fn if_alive(&self, t: f64, x: f64, n: f64) -> f64 {
        let (a, b, d) = (self.alpha, self.beta, self.delta);
        super::across_unit_pole(self.gamma, |g| {
            // δ / (γ - 1) and the bracket change sign together when γ < 1: keep them out
            // of logs. The bracket is e^u - e^w = e^w (e^(u - w) - 1).
            let ln_front = ln_beta(a + x + 1.0, b + n - x) - ln_beta(a + x, b + n - x)
                + ln_gamma(g + d)
                - ln_gamma(1.0 + d)
                - ln_beta(g, d + n + 1.0)
                + ln_beta(g, d);
            let u = ln_gamma(1.0 + d + n) - ln_gamma(g + d + n);
            let w = ln_gamma(1.0 + d + n + t) - ln_gamma(g + d + n + t);
            (ln_front + w).exp() * d / (g - 1.0) * (u - w).exp_m1()
        })
    }

    /// P(alive at opportunity `n + 1`).
    fn alive(&self, x: f64, tx: f64, n: f64) -> f64 {
        let p = self.natural();
        let alive = ln_beta(p[0] + x, p[1] + n - x) - ln_beta(p[0], p[1])
            + ln_beta(p[2], p[3] + n + 1.0)
            - ln_beta(p[2], p[3]);
        (alive - ln_l(&p, x, tx, n)).exp().min(1.0)
    }

    /// At `γ = 1` the closed form is `0 / 0`; its limit is taken by a line through
    /// values either side of 1.
    fn new_customer(&self, n: f64) -> f64 {
        let (a, b, d) = (self.alpha, self.beta, self.delta);
        super::across_unit_pole(self.gamma, |g| {
            let ln_ratio =
                ln_gamma(g + d) - ln_gamma(g + d + n) + ln_gamma(1.0 + d + n) - ln_gamma(1.0 + d);
            a / (a + b) * d / (g - 1.0) * -ln_ratio.exp_m1()
        })
    }

    fn ln_likelihood(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> f64 {
        let p = self.natural();
        (0..frequency.len())
            .map(|i| ln_l(&p, frequency[i], recency[i], age[i]))
            .sum()
    }

    fn check_history(&self, row: usize, x: f64, tx: f64, n: f64) -> Result<()> {
        discrete_history(row, x, tx, n)
    }

    fn check_frequency_and_age(&self, x: f64, n: f64) -> Result<()> {
        // x transactions, the last at any opportunity up to n.
        discrete_history(0, x, n, n)
    }

    fn check_summary(&self, summary: &CustomerSummary) -> Result<()> {
        check_discrete(summary)
    }
}

impl PurchaseModel for BetaGeoBetaBinom {}
