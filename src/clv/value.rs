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

use crate::clv::{GammaGamma, PurchaseModel};
use crate::error::{Error, Result};
use crate::summary::CustomerSummary;

fn check(name: &'static str, v: f64, positive: bool) -> Result<()> {
    if !v.is_finite() || v < 0.0 || (positive && v == 0.0) {
        return Err(Error::InvalidParameter {
            name,
            value: v.to_string(),
            reason: if positive {
                "must be positive and finite"
            } else {
                "must be finite and >= 0"
            }
            .into(),
        });
    }
    Ok(())
}

/// Per customer of `summary`: per-period discounted value under a cumulative
/// expected-purchases curve evaluated at `grid` times, discounted by `discount(i)`.
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
    let one = |i: usize| {
        let s = spend.conditional_expected_spend(x[i], m[i]);
        let mut prev = 0.0;
        let mut total = 0.0;
        for (k, &h) in grid.iter().enumerate() {
            let e = purchases.conditional_expected_purchases(h, x[i], tx[i], t[i]);
            total += s * (e - prev) * discount(k);
            prev = e;
        }
        total
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..summary.len()).into_par_iter().map(one).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..summary.len()).map(one).collect()
    }
}

/// Discounted CLV per customer in lifetimes' monthly convention (see the
/// [module docs](self)), before margin; multiply by a margin for profit.
///
/// # Errors
/// [`Error::InvalidParameter`] for zero months, a negative or non-finite discount
/// rate, or a non-positive `time_units_per_month`.
pub fn lifetime_value<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    months: usize,
    monthly_discount_rate: f64,
    time_units_per_month: f64,
) -> Result<Vec<f64>> {
    if months == 0 {
        return Err(Error::InvalidParameter {
            name: "months",
            value: "0".into(),
            reason: "value at least one month".into(),
        });
    }
    check("monthly_discount_rate", monthly_discount_rate, false)?;
    check("time_units_per_month", time_units_per_month, true)?;
    let grid: Vec<f64> = (1..=months)
        .map(|i| i as f64 * time_units_per_month)
        .collect();
    Ok(discounted(purchases, spend, summary, &grid, &|k| {
        (1.0 + monthly_discount_rate).powi(-(k as i32 + 1))
    }))
}

/// CLV per customer with continuous discounting at `rate` per time unit over
/// `horizon` time units, on `steps` grid intervals (see the [module docs](self)).
///
/// # Errors
/// [`Error::InvalidParameter`] for a non-positive horizon, a negative rate, or zero
/// steps.
pub fn lifetime_value_continuous<M: PurchaseModel + Sync>(
    purchases: &M,
    spend: &GammaGamma,
    summary: &CustomerSummary,
    horizon: f64,
    rate: f64,
    steps: usize,
) -> Result<Vec<f64>> {
    check("horizon", horizon, true)?;
    check("rate", rate, false)?;
    if steps == 0 {
        return Err(Error::InvalidParameter {
            name: "steps",
            value: "0".into(),
            reason: "use at least one step".into(),
        });
    }
    let h = horizon / steps as f64;
    let grid: Vec<f64> = (1..=steps).map(|k| k as f64 * h).collect();
    Ok(discounted(purchases, spend, summary, &grid, &|k| {
        (-rate * (k as f64 + 0.5) * h).exp()
    }))
}
