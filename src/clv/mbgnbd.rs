//! The MBG/NBD model (Batislam, Denizel & Filiztekin 2007), as in lifetimes'
//! `ModifiedBetaGeoFitter`: the BG/NBD except that a customer may also drop out right
//! after the first purchase, so zero-repeat customers can be dead.
//!
//! ```text
//! L = B(a, b + x + 1) / B(a, b) · Γ(r + x) α^r / Γ(r) · (α + T)^-(r + x)
//!   + B(a + 1, b + x) / B(a, b) · Γ(r + x) α^r / Γ(r) · (α + t_x)^-(r + x)
//! P(alive) = 1 / (1 + a / (b + x) · ((α + T) / (α + t_x))^(r + x))
//! E[Y(t) | x, t_x, T] = (a + b + x) / (a - 1)
//!   · [1 - ((α + T) / (α + T + t))^(r + x) 2F1(r + x, b + x + 1; a + b + x; t / (α + T + t))] · P(alive)
//! E[X(t)] = b / (a - 1) · [1 - (α / (α + t))^r 2F1(r, b + 1; a + b; t / (α + t))]
//! ```
//!
//! Fitting shares the BG/NBD machinery (analytic gradient, compressed rows, log scale).
//!
//! ```
//! use patronage::clv::{ModifiedBetaGeo, PurchaseModel};
//! let m = ModifiedBetaGeo::from_params(0.525, 6.183, 0.891, 1.614)?;
//! assert!(m.probability_alive(0.0, 0.0, 30.0)? < 1.0); // may have left after the first purchase
//! # Ok::<(), patronage::Error>(())
//! ```

use super::PurchaseModel;
use super::bgnbd::{euler_bracket, family_log_likelihood};
use super::fit::CompressedSummary;
use crate::error::Result;

impl ModifiedBetaGeoParams {
    fn fit_compressed(&self, data: &CompressedSummary) -> Result<ModifiedBetaGeo> {
        let (p, report) = super::fit::fit_purchase_model(
            "MBG/NBD",
            &["r", "alpha", "a", "b"],
            &[0.0; 4],
            &self.optimizer,
            data,
            |p| family_log_likelihood(data, p, true),
        )?;
        Ok(ModifiedBetaGeo {
            r: p[0],
            alpha: p[1],
            a: p[2],
            b: p[3],
            report,
        })
    }
}

super::fit::fit_histories!(ModifiedBetaGeoParams, ModifiedBetaGeo);

super::fit::clv_model! {
    /// MBG/NBD fitting options, as [`BetaGeoParams`](super::BetaGeoParams)'s (same
    /// defaults, data and errors); [`Fit`](crate::model::Fit) returns a [`ModifiedBetaGeo`].
    params ModifiedBetaGeoParams(max_iter 500, tol 1e-10);
    /// A fitted MBG/NBD model.
    model ModifiedBetaGeo(RawModifiedBetaGeo, "RawModifiedBetaGeo", "MBG/NBD") {
        /// Shape of the purchase-rate Gamma.
        r,
        /// Scale of the purchase-rate Gamma.
        alpha,
        /// First shape of the dropout Beta.
        a,
        /// Second shape of the dropout Beta.
        b,
    }
}

impl ModifiedBetaGeo {}

impl PurchaseModel for ModifiedBetaGeo {}

impl super::Formulas for ModifiedBetaGeo {
    fn reparameterized(&self, values: &[f64]) -> Self {
        self.with_values(values)
    }

    fn refit(&self, summary: &crate::CustomerSummary) -> crate::Result<Self> {
        crate::model::Fit::fit(&Self::params(), summary)
    }

    /// `(a + b + x) / (a - 1) · [1 - ((α + T) / (α + T + t))^(r + x) 2F1(r + x, b + x + 1;
    /// a + b + x; z)]`, `z = t / (α + T + t)`, computed after Euler's transformation as
    /// `(a + b + x) / (a - 1) · [1 - (1 - z)^(a - 1) 2F1(a + b - r, a - 1; a + b + x; z)]`
    /// (small parameters, no cancellation for `t << α + T`).
    /// At `a = 1` the limit is taken by a line through values either side of 1.
    fn purchase_if_alive(&self, t: f64, frequency: f64, age: f64) -> Option<f64> {
        Some(super::bgnbd::lomax_cdf(
            self.r + frequency,
            self.alpha + age,
            t,
        ))
    }

    fn if_alive(&self, t: f64, frequency: f64, age: f64) -> f64 {
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        super::across_unit_pole(self.a, |a| {
            let c = a + b + frequency;
            c / (a - 1.0) * euler_bracket(a + b - r, a - 1.0, c, t, alpha + age)
        })
    }

    fn alive(&self, frequency: f64, recency: f64, age: f64) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = frequency;
        let u = a.ln() - (b + x).ln() + (r + x) * ((alpha + age).ln() - (alpha + recency).ln());
        if u > 0.0 {
            let e = (-u).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + u.exp())
        }
    }

    /// `b / (a - 1) · [1 - (α / (α + t))^r 2F1(r, b + 1; a + b; t / (α + t))]`, after
    /// Euler's transformation `b / (a - 1) · [1 - (1 - z)^(a - 1) 2F1(a + b - r, a - 1;
    /// a + b; z)]`.
    fn new_customer(&self, t: f64) -> f64 {
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        super::across_unit_pole(self.a, |a| {
            b / (a - 1.0) * euler_bracket(a + b - r, a - 1.0, a + b, t, alpha)
        })
    }

    fn ln_likelihood(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> f64 {
        let data = CompressedSummary::new(frequency, recency, age, None);
        family_log_likelihood(&data, &[self.r, self.alpha, self.a, self.b], true).0
    }
}

super::bgnbd::next_purchase_timing!(ModifiedBetaGeo);
