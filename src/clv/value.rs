//! Discounted customer lifetime value from a purchase model and a spend model.
//!
//! [`lifetime_value`] follows lifetimes' `customer_lifetime_value`: over `months`
//! monthly steps of `time_units_per_month` model time units (4.345 weeks per month for
//! models fitted in weeks),
//! `CLV = margin · Σ_{i=1..months} spend · (E[X(m i)] - E[X(m (i - 1))]) / (1 + d)^i`,
//! with `spend` the Gamma-Gamma conditional expected spend and `E[X]` the purchase
//! model's conditional expected purchases. [`lifetime_value_continuous`] discounts
//! continuously at rate `δ` per time unit, `∫_0^H spend · dE[X(t)] · e^(-δ t)`, by
//! the midpoint rule on a fine grid (the papers' definition, truncated at `H`).
//! [`Valuation`] holds either convention with a profit margin (`margin` times the
//! discounted revenue).

use crate::clv::{GammaGamma, PurchaseModel};
use crate::error::{Error, Result};
use crate::summary::CustomerSummary;

/// Per customer of `summary`: per-period discounted value under a cumulative
/// expected-purchases curve evaluated at `grid` times, discounted by `discount(i)`.
///
/// `E[X(h)] = P(alive) · E[X(h) | alive]` and the second factor depends on (x, T) only,
/// so the curve is evaluated once per distinct (x, T) (see `per_customer_by_history`).
fn discounted<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    grid: &[f64],
    discount: &(dyn Fn(usize) -> f64 + Sync),
) -> Vec<f64> {
    let (x, tx, t, m) = (
        summary.frequency(),
        summary.recency(),
        summary.age(),
        summary.monetary_value(),
    );
    // Discounted increments of the alive-customer curve, per (x, T).
    let curve = |i: usize| -> f64 {
        let mut prev = 0.0;
        let mut total = 0.0;
        for (k, &h) in grid.iter().enumerate() {
            let e = purchases.if_alive(h, x[i], t[i]);
            total += (e - prev) * discount(k);
            prev = e;
        }
        total
    };
    super::per_customer_by_history(summary, curve, |i, alive_value| {
        spend.expected_spend(x[i], m[i]) * purchases.alive(x[i], tx[i], t[i]) * alive_value
    })
}

/// The first customer whose expected spend is infinite (Gamma-Gamma's
/// `p x + q <= 1`), as an error naming its row.
fn check_spend(spend: &GammaGamma, summary: &CustomerSummary) -> Result<()> {
    let (x, m) = (summary.frequency(), summary.monetary_value());
    match (0..summary.len()).find(|&i| !spend.expected_spend(x[i], m[i]).is_finite()) {
        Some(row) => Err(Error::InvalidValue {
            field: "frequency",
            row,
            value: x[row],
            reason: format!(
                "the Gamma-Gamma spend model (p = {}, q = {}) has no finite expected spend \
                 for this customer (p x + q <= 1): the spend distribution is too heavy-tailed \
                 to value",
                spend.p(),
                spend.q()
            ),
        }),
        None => Ok(()),
    }
}

/// How future purchases are discounted (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Discounting {
    /// lifetimes' convention: `months` monthly steps of `time_units_per_month` model
    /// time units, discounted by `(1 + rate)^i` in month `i`.
    Monthly {
        /// Number of months valued.
        months: usize,
        /// Discount rate per month.
        rate: f64,
        /// Model time units per month (4.345 for weeks).
        time_units_per_month: f64,
    },
    /// Continuous discounting `e^(-rate t)` over `horizon` time units, integrated on
    /// `steps` intervals.
    Continuous {
        /// Time units valued.
        horizon: f64,
        /// Discount rate per time unit.
        rate: f64,
        /// Grid intervals.
        steps: usize,
    },
}

/// A CLV calculation: a discounting convention and a margin (the share of revenue that
/// is profit; 1 values revenue).
///
/// ```
/// use patronage::clv::{value::Valuation, BetaGeo, GammaGamma};
/// let summary = patronage::simulate::Simulation::new(2_000).seed(5).summary_continuous()?;
/// let (bg, gg) = (BetaGeo::params().fit(&summary)?, GammaGamma::params().fit(&summary)?);
/// let revenue = Valuation::monthly(12, 0.01, 4.345).value(&bg, &gg, &summary)?;
/// let profit = Valuation::monthly(12, 0.01, 4.345).margin(0.3).value(&bg, &gg, &summary)?;
/// assert!((profit[0] - 0.3 * revenue[0]).abs() < 1e-12);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Valuation {
    /// The discounting convention.
    pub discounting: Discounting,
    /// Profit margin applied to the discounted revenue (default 1).
    pub margin: f64,
}

impl Valuation {
    /// lifetimes' monthly convention (see [`Discounting::Monthly`]).
    pub fn monthly(months: usize, monthly_discount_rate: f64, time_units_per_month: f64) -> Self {
        Self {
            discounting: Discounting::Monthly {
                months,
                rate: monthly_discount_rate,
                time_units_per_month,
            },
            margin: 1.0,
        }
    }

    /// Continuous discounting (see [`Discounting::Continuous`]).
    pub fn continuous(horizon: f64, rate: f64, steps: usize) -> Self {
        Self {
            discounting: Discounting::Continuous {
                horizon,
                rate,
                steps,
            },
            margin: 1.0,
        }
    }

    /// The profit margin (default 1: the value is revenue).
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    /// Discounted value per customer of `summary`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero months or steps or more than [`MAX_STEPS`],
    /// a negative or non-finite rate, a non-positive or non-finite
    /// `time_units_per_month` (or horizon, or their product with the months), or a
    /// negative or non-finite margin; [`Error::InvalidValue`] naming the first customer
    /// whose expected spend is infinite (Gamma-Gamma with `p x + q <= 1`).
    pub fn value<M: PurchaseModel + Sync>(
        &self,
        purchases: &M,
        spend: &GammaGamma,
        summary: &CustomerSummary,
    ) -> Result<Vec<f64>> {
        crate::validate::argument("margin", self.margin, false)?;
        check_spend(spend, summary)?;
        let mut values = match self.discounting {
            Discounting::Monthly {
                months,
                rate,
                time_units_per_month,
            } => {
                check_steps("months", months)?;
                crate::validate::argument("monthly_discount_rate", rate, false)?;
                crate::validate::argument("time_units_per_month", time_units_per_month, true)?;
                crate::validate::argument(
                    "months * time_units_per_month",
                    months as f64 * time_units_per_month,
                    true,
                )?;
                let grid: Vec<f64> = (1..=months)
                    .map(|i| i as f64 * time_units_per_month)
                    .collect();
                discounted(purchases, spend, summary, &grid, &|k| {
                    (1.0 + rate).powi(-(k as i32 + 1))
                })
            }
            Discounting::Continuous {
                horizon,
                rate,
                steps,
            } => {
                crate::validate::argument("horizon", horizon, true)?;
                crate::validate::argument("rate", rate, false)?;
                check_steps("steps", steps)?;
                let h = horizon / steps as f64;
                let grid: Vec<f64> = (1..=steps).map(|k| k as f64 * h).collect();
                discounted(purchases, spend, summary, &grid, &|k| {
                    (-rate * (k as f64 + 0.5) * h).exp()
                })
            }
        };
        if self.margin != 1.0 {
            values.iter_mut().for_each(|v| *v *= self.margin);
        }
        Ok(values)
    }
}

/// Most months or grid steps a [`Valuation`] sums over (833 years of months): each is
/// one prediction per customer, so the limit bounds the work by the summary's size.
pub const MAX_STEPS: usize = 10_000;

fn check_steps(name: &'static str, steps: usize) -> Result<()> {
    Error::check_count(name, steps, 1, "MAX_STEPS", MAX_STEPS)
}

/// Discounted CLV per customer in lifetimes' monthly convention (see the
/// [module docs](self)), as revenue (margin 1; see [`Valuation`] for a margin).
///
/// # Errors
/// As [`Valuation::value`].
pub fn lifetime_value<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    months: usize,
    monthly_discount_rate: f64,
    time_units_per_month: f64,
) -> Result<Vec<f64>> {
    Valuation::monthly(months, monthly_discount_rate, time_units_per_month)
        .value(purchases, spend, summary)
}

/// CLV per customer with continuous discounting at `rate` per time unit over
/// `horizon` time units, on `steps` grid intervals (see the [module docs](self)), as
/// revenue (margin 1; see [`Valuation`] for a margin).
///
/// # Errors
/// As [`Valuation::value`].
pub fn lifetime_value_continuous<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    horizon: f64,
    rate: f64,
    steps: usize,
) -> Result<Vec<f64>> {
    Valuation::continuous(horizon, rate, steps).value(purchases, spend, summary)
}
