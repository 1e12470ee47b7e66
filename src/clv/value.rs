//! Discounted customer lifetime value from a purchase model and a spend model.
//!
//! [`lifetime_value`] follows lifetimes' `customer_lifetime_value`: over `months`
//! monthly steps, each `m` model time units long (a month of
//! [`Horizon::DAYS_PER_MONTH`] days in the summary's
//! [time unit](CustomerSummary::time_unit_days): 4.348 for a weekly summary),
//! `CLV = margin · Σ_{i=1..months} spend · (E[X(m i)] - E[X(m (i - 1))]) / (1 + d)^i`,
//! with `spend` the spend model's conditional expected spend and `E[X]` the purchase
//! model's conditional expected purchases. [`lifetime_value_continuous`] discounts
//! continuously at an annual rate `δ`, `∫_0^H spend · dE[X(t)] · e^(-δ t)`, by
//! the midpoint rule on a fine grid (the papers' definition, truncated at `H`).
//! [`Valuation`] holds either convention with a profit margin (`margin` times the
//! discounted revenue).
//!
//! lifetimes takes the month as 30 days for daily models and 4.345 weeks for weekly
//! ones; [`Valuation::days_per_month`] reproduces either (30, or 30.415 days).

use crate::Horizon;
use crate::clv::{PurchaseModel, SpendModel};
use crate::error::{Error, Result};
use crate::summary::{CustomerSummary, SummaryParams, SummaryRow};

/// Per customer of `summary`: per-period discounted value under a cumulative
/// expected-purchases curve evaluated at `grid` times, discounted by `discount[i]`.
///
/// `E[X(h)] = P(alive) · E[X(h) | alive]` and the second factor depends on (x, T) only,
/// so the curve is evaluated once per distinct (x, T) (see `per_customer_by_history`).
fn discounted<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &[f64],
    summary: &CustomerSummary,
    grid: &[f64],
    discount: &[f64],
) -> Vec<f64> {
    let (x, tx, t) = (summary.frequency(), summary.recency(), summary.age());
    super::per_customer_by_history(
        summary,
        |i| alive_curve(purchases, x[i], t[i], grid, discount),
        |i, alive_value| spend[i] * purchases.alive(x[i], tx[i], t[i]) * alive_value,
    )
}

/// The discounted increments of `E[X(h) | alive]` over the grid, for frequency `x` and
/// age `t`.
fn alive_curve<M: PurchaseModel>(
    purchases: &M,
    x: f64,
    t: f64,
    grid: &[f64],
    discount: &[f64],
) -> f64 {
    let mut prev = 0.0;
    let mut total = 0.0;
    for (&h, &d) in grid.iter().zip(discount) {
        let e = purchases.if_alive(h, x, t);
        total += (e - prev) * d;
        prev = e;
    }
    total
}

/// How future purchases are discounted (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Discounting {
    /// lifetimes' convention: `months` monthly steps, discounted by `(1 + rate)^i` in
    /// month `i`.
    Monthly {
        /// Number of months valued.
        months: usize,
        /// Discount rate per month.
        rate: f64,
        /// Length of a month in days ([`Horizon::DAYS_PER_MONTH`] by default).
        days_per_month: f64,
    },
    /// Continuous discounting `e^(-rate t)`, `t` in years, over `horizon`, integrated
    /// on `steps` intervals.
    Continuous {
        /// The span valued.
        horizon: Horizon,
        /// Continuously compounded discount rate per year.
        annual_rate: f64,
        /// Grid intervals.
        steps: usize,
    },
}

/// A CLV calculation: a discounting convention and a margin (the share of revenue that
/// is profit; 1 values revenue).
///
/// ```
/// use patronage::prelude::*;
/// use patronage::clv::{value::Valuation, BetaGeo, GammaGamma};
/// let summary = patronage::simulate::Simulation::new(2_000).seed(5).summary_continuous()?;
/// let (bg, gg) = (BetaGeo::params().fit(&summary)?, GammaGamma::params().fit(&summary)?);
/// let revenue = Valuation::monthly(12, 0.01).value(&bg, &gg, &summary)?;
/// let profit = Valuation::monthly(12, 0.01).margin(0.3).value(&bg, &gg, &summary)?;
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
    /// lifetimes' monthly convention (see [`Discounting::Monthly`]), months of
    /// [`Horizon::DAYS_PER_MONTH`] days.
    pub fn monthly(months: usize, monthly_discount_rate: f64) -> Self {
        Self {
            discounting: Discounting::Monthly {
                months,
                rate: monthly_discount_rate,
                days_per_month: Horizon::DAYS_PER_MONTH,
            },
            margin: 1.0,
        }
    }

    /// Continuous discounting at `annual_rate` over `horizon` (see
    /// [`Discounting::Continuous`]).
    pub fn continuous(horizon: Horizon, annual_rate: f64, steps: usize) -> Self {
        Self {
            discounting: Discounting::Continuous {
                horizon,
                annual_rate,
                steps,
            },
            margin: 1.0,
        }
    }

    /// The length of a month in days for the monthly convention (lifetimes: 30 for
    /// daily models, `4.345 * 7 = 30.415` for weekly ones); no effect on continuous
    /// discounting.
    #[must_use]
    pub fn days_per_month(mut self, days: f64) -> Self {
        if let Discounting::Monthly { days_per_month, .. } = &mut self.discounting {
            *days_per_month = days;
        }
        self
    }

    /// The profit margin (default 1: the value is revenue).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    /// Discounted value per customer of `summary`, the horizons converted to its
    /// [time unit](CustomerSummary::time_unit_days).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero months or
    /// steps or more than [`MAX_STEPS`], a negative or non-finite rate, a non-positive
    /// or non-finite `days_per_month` or horizon (or a month too long in the summary's
    /// unit), or a negative or non-finite margin; the spend model's error naming the
    /// first customer whose expected spend does not exist (Gamma-Gamma with
    /// `p x + q <= 1`); for BG/BB, a summary that does not count opportunities.
    pub fn value<M: PurchaseModel + Sync, S: SpendModel>(
        &self,
        purchases: &M,
        spend: &S,
        summary: &CustomerSummary,
    ) -> Result<Vec<f64>> {
        crate::validate::argument("margin", self.margin, false)?;
        purchases.check_summary(summary)?;
        let (grid, discount) = self.schedule(summary.time_unit_days())?;
        let spend = spend.expected_spend(summary)?;
        let mut values = discounted(purchases, &spend, summary, &grid, &discount);
        if self.margin != 1.0 {
            values.iter_mut().for_each(|v| *v *= self.margin);
        }
        Ok(values)
    }

    /// The value of one customer from their own summary row (a web service scoring one
    /// customer; see [`PartialSummary`](crate::summary::PartialSummary)), in the time
    /// unit of the `params` the row was finished with: the number [`value`](Self::value)
    /// gives that customer's row of a summary, bit for bit, without a summary of the
    /// population.
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::clv::value::Valuation;
    /// use patronage::clv::{BetaGeo, GammaGamma};
    /// use patronage::summary::{PartialSummary, SummaryParams};
    /// use patronage::Day;
    ///
    /// let summary = patronage::simulate::Simulation::new(2_000).seed(1).summary_continuous()?;
    /// let bg = BetaGeo::params().fit(&summary)?;
    /// let gg = GammaGamma::params().fit(&summary)?;
    /// // One customer's purchases, as they arrive.
    /// let params = SummaryParams::new(Day(364)).time_unit_days(summary.time_unit_days());
    /// let mut history = PartialSummary::default();
    /// for (day, amount) in [(3, 20.0), (40, 35.0), (200, 25.0)] {
    ///     history.update(&params, Day(day), amount);
    /// }
    /// let row = history.finish(&params)?.expect("bought in the window");
    /// let clv = Valuation::monthly(12, 0.01).value_of(&bg, &gg, &row, &params)?;
    /// assert!(clv > 0.0);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`value`](Self::value), for this one row (named row 0).
    pub fn value_of<M: PurchaseModel, S: SpendModel>(
        &self,
        purchases: &M,
        spend: &S,
        row: &SummaryRow,
        params: &SummaryParams,
    ) -> Result<f64> {
        crate::validate::argument("margin", self.margin, false)?;
        let (x, tx, t) = (row.frequency, row.recency, row.age);
        purchases.check_history(0, x, tx, t)?;
        let (grid, discount) = self.schedule(params.unit_days())?;
        let spend = spend
            .conditional_expected_spend(x, row.monetary_value)
            .map_err(|e| e.at_row(0))?;
        let alive_value = alive_curve(purchases, x, t, &grid, &discount);
        let value = spend * purchases.alive(x, tx, t) * alive_value;
        Ok(if self.margin != 1.0 {
            value * self.margin
        } else {
            value
        })
    }

    /// The valuation grid (times in units of `unit` days) and each step's discount
    /// factor.
    fn schedule(&self, unit: f64) -> Result<(Vec<f64>, Vec<f64>)> {
        match self.discounting {
            Discounting::Monthly {
                months,
                rate,
                days_per_month,
            } => {
                check_steps("months", months)?;
                crate::validate::argument("monthly_discount_rate", rate, false)?;
                crate::validate::argument("days_per_month", days_per_month, true)?;
                let per_month = days_per_month / unit;
                crate::validate::argument(
                    "months * days_per_month",
                    months as f64 * per_month,
                    true,
                )?;
                let grid = (1..=months).map(|i| i as f64 * per_month).collect();
                let discount = (0..months)
                    .map(|k| (1.0 + rate).powi(-(k as i32 + 1)))
                    .collect();
                Ok((grid, discount))
            }
            Discounting::Continuous {
                horizon,
                annual_rate,
                steps,
            } => {
                let span = horizon.in_days() / unit;
                crate::validate::horizon("horizon", span)?;
                crate::validate::argument("horizon", span, true)?;
                crate::validate::argument("annual_rate", annual_rate, false)?;
                check_steps("steps", steps)?;
                let h = span / steps as f64;
                // The rate per time unit of the summary.
                let rate = annual_rate * unit / Horizon::DAYS_PER_YEAR;
                let grid = (1..=steps).map(|k| k as f64 * h).collect();
                let discount = (0..steps)
                    .map(|k| (-rate * (k as f64 + 0.5) * h).exp())
                    .collect();
                Ok((grid, discount))
            }
        }
    }
}

/// Most months or grid steps a [`Valuation`] sums over (833 years of months): each is
/// one prediction per customer, so the limit bounds the work by the summary's size.
pub const MAX_STEPS: usize = 10_000;

fn check_steps(name: &'static str, steps: usize) -> Result<()> {
    Error::check_count(name, steps, 1, "MAX_STEPS", MAX_STEPS)
}

/// Discounted CLV per customer in lifetimes' monthly convention (see the
/// [module docs](self)), as revenue (margin 1; see [`Valuation`] for a margin and
/// the month's length).
///
/// # Errors
/// As [`Valuation::value`].
pub fn lifetime_value<M: PurchaseModel + Sync, S: SpendModel>(
    purchases: &M,
    spend: &S,
    summary: &CustomerSummary,
    months: usize,
    monthly_discount_rate: f64,
) -> Result<Vec<f64>> {
    Valuation::monthly(months, monthly_discount_rate).value(purchases, spend, summary)
}

/// CLV per customer with continuous discounting at `annual_rate` over `horizon`, on
/// `steps` grid intervals (see the [module docs](self)), as revenue (margin 1; see
/// [`Valuation`] for a margin).
///
/// # Errors
/// As [`Valuation::value`].
pub fn lifetime_value_continuous<M: PurchaseModel + Sync, S: SpendModel>(
    purchases: &M,
    spend: &S,
    summary: &CustomerSummary,
    horizon: Horizon,
    annual_rate: f64,
    steps: usize,
) -> Result<Vec<f64>> {
    Valuation::continuous(horizon, annual_rate, steps).value(purchases, spend, summary)
}
