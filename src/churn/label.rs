//! Churn labels from purchase history, with features computed only from data up to
//! the cutoff.

use ndarray::Array2;

use crate::Horizon;
use crate::error::{Error, Result};
use crate::profile::{Attributes, Feature, Profile};
use crate::summary::SummaryParams;
use crate::transactions::{Day, TransactionLog};

/// A labelled churn data set: one row per customer whose first purchase is on or
/// before the cutoff.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChurnData {
    /// The log's customer index of each row.
    pub customer: Vec<u32>,
    /// Features from purchases on or before the cutoff (see [`label`]).
    pub features: Array2<f64>,
    /// Feature names, in column order.
    pub feature_names: Vec<String>,
    /// `true` = churned (no purchase in the horizon), `false` = bought again.
    pub churned: Vec<bool>,
}

/// The features [`label`] computes: days since the last purchase, repeat purchase days
/// (frequency), days since the first purchase (tenure), orders, total spend, average
/// order value, mean days between purchase days (the tenure for one-day buyers) and
/// orders per 30 days, all from purchases on or before the cutoff.
pub fn churn_features() -> Vec<Feature> {
    vec![
        Feature::DaysSinceLast,
        Feature::Frequency,
        Feature::TenureDays,
        Feature::Orders,
        Feature::TotalSpend,
        Feature::AverageOrderValue,
        Feature::MeanGapDays,
        Feature::OrdersPer30Days,
    ]
}

/// Labels every customer with a first purchase on or before `cutoff`: churned when
/// they make no purchase in the `horizon` after it, the days `d` with
/// `0 < d - cutoff <= horizon` (`Horizon::months(6.0)` is 182.6 days: days 1 to 182).
/// Features
/// ([`churn_features`]) use only purchases on or before the cutoff, so no future data
/// leaks into them.
///
/// # Errors
/// [`Error::InvalidParameter`] for a horizon below one day (or not finite);
/// [`Error::Empty`] when no customer bought on or before the cutoff.
///
/// ```
/// use patronage::{Day, Horizon, Transaction, TransactionLog};
/// use patronage::churn::label;
/// let t = |c: u8, d: i32| Transaction { customer: c, day: Day(d), amount: 10.0 };
/// let log = TransactionLog::new(&[t(1, 0), t(1, 40), t(2, 5), t(3, 90)])?;
/// let data = label(&log, Day(30), Horizon::days(30.0))?;
/// assert_eq!(data.churned, vec![false, true]); // customer 3 is not yet a customer
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn label<C>(log: &TransactionLog<C>, cutoff: Day, horizon: Horizon) -> Result<ChurnData> {
    let days = horizon.in_days();
    if !(days >= 1.0 && days.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "horizon",
            value: format!("{days} days"),
            reason: "the horizon is at least one day (and finite)".into(),
        });
    }
    let summary = log.summarize(&SummaryParams::new(cutoff))?;
    let profile = Profile::new(log, &summary)?;
    let names = churn_features();
    let (features, feature_names) = profile.features(&Attributes::for_log(log), &names)?;
    // Day differences are exact (i64); as f64 they are exact too (below 2^33).
    let churned = summary
        .customer()
        .iter()
        .map(|&c| {
            let (rows, amounts) = log.customer_rows(c);
            let bought = |d: Day| d > cutoff && d.days_since(cutoff) as f64 <= days;
            if log.returns() == crate::Returns::Reject {
                !rows.iter().any(|&d| bought(d))
            } else {
                // Only the policy's purchase days keep a customer (a refund does not).
                !crate::refunds::purchase_days(rows, amounts, log.returns()).any(bought)
            }
        })
        .collect();
    Ok(ChurnData {
        customer: summary.customer().to_vec(),
        features,
        feature_names,
        churned,
    })
}
