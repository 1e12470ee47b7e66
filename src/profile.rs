//! Behavioural profiles beyond RFM, caller-supplied customer attributes, group-by
//! summaries over them, and the feature matrix that clustering and churn models take.
//!
//! ```
//! use patronage::{Day, Transaction, TransactionLog, SummaryParams};
//! use patronage::profile::{Attributes, Feature, Profile};
//!
//! let t = |c: &'static str, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
//! let log = TransactionLog::new(&[t("ann", 0, 10.0), t("ann", 10, 30.0), t("bob", 4, 8.0)])?;
//! let summary = log.summarize(&SummaryParams::new(Day(20)))?;
//! let profile = Profile::new(&log, &summary)?;
//! assert_eq!(profile.mean_gap_days()[0], Some(10.0));
//! assert_eq!(profile.mean_gap_days()[1], None); // one purchase: no gap yet
//!
//! let attrs = Attributes::for_log(&log)
//!     .categorical("region", &log, &[("ann", "north"), ("bob", "south")])?
//!     .numeric("age", &log, &[("ann", 34.0), ("bob", 51.0)])?;
//! let (x, names) = profile.features(&attrs, &[Feature::Orders, Feature::Attribute("region".into())])?;
//! assert_eq!(names, ["orders", "region=north", "region=south"]);
//! assert_eq!(x.row(1).to_vec(), vec![1.0, 0.0, 1.0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use std::collections::HashMap;
use std::hash::Hash;

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::rfm::SegmentMap;
use crate::summary::{CustomerSummary, PartialSummary, SummaryParams, SummaryRow};
use crate::transactions::{Day, TransactionLog};

/// Per-customer behaviour, aligned with the rows of the summary it was built from.
///
/// Days are calendar days of the log. Gaps are between consecutive distinct purchase
/// days; a customer with purchases on one day only has no gap (`None`).
///
/// A profile read with serde is checked as it loads: at least one customer, every
/// column one value per customer, frequency, recency and T by the rules of a summary's
/// rows ([`CustomerSummary::from_columns`]), orders whole and `>= 1`, tenure and days
/// since the last purchase whole and `>= 0` with the latter at most the former, gaps (where
/// present), order value spread, average order value, monetary value and total spend
/// finite and `>= 0` (total spend and average order value may be negative for a
/// customer with refunds), gross spend and refunds finite and `>= 0`, the refund rate
/// in `[0, 1]`, and orders per 30 days finite. A file written before refunds were
/// profiled has no refund columns: it loads with gross spend = total spend and no
/// refunds.
///
/// # Refunds
///
/// For a log built with a [`Returns`](crate::Returns) policy that accepts refunds the
/// profile reads the summary's definitions (see
/// [`summary`](crate::summary#returns-and-refunds)): orders are purchase rows, total
/// spend is net of refunds ([`gross_spend`](Self::gross_spend) - [`refunds`](Self::refunds)),
/// the average order value is net spend per order, the order value spread is that of
/// the purchase rows, and gaps and days since the last purchase run between the
/// policy's purchase days (days with a purchase row under `Separate`; under `Net`, days
/// whose refunds leave a positive net spend or which have none).
/// [`refund_rate`](Self::refund_rate) is refunds / gross spend, capped at 1.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawProfile")
)]
pub struct Profile {
    customer: Vec<u32>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
    orders: Vec<f64>,
    total_spend: Vec<f64>,
    tenure_days: Vec<f64>,
    days_since_last: Vec<f64>,
    mean_gap_days: Vec<Option<f64>>,
    median_gap_days: Vec<Option<f64>>,
    order_value_sd: Vec<f64>,
    average_order_value: Vec<f64>,
    orders_per_30_days: Vec<f64>,
    gross_spend: Vec<f64>,
    refunds: Vec<f64>,
    refund_rate: Vec<f64>,
}

/// [`Profile`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawProfile {
    customer: Vec<u32>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
    orders: Vec<f64>,
    total_spend: Vec<f64>,
    tenure_days: Vec<f64>,
    days_since_last: Vec<f64>,
    mean_gap_days: Vec<Option<f64>>,
    median_gap_days: Vec<Option<f64>>,
    order_value_sd: Vec<f64>,
    average_order_value: Vec<f64>,
    orders_per_30_days: Vec<f64>,
    #[serde(default)]
    gross_spend: Vec<f64>,
    #[serde(default)]
    refunds: Vec<f64>,
    #[serde(default)]
    refund_rate: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawProfile> for Profile {
    type Error = Error;

    fn try_from(mut raw: RawProfile) -> Result<Profile> {
        use crate::validate::{count, invalid_value, non_empty, non_negative, same_len};
        let n = raw.customer.len();
        non_empty("customer", n)?;
        // A file from before refunds were profiled: gross spend is the total spend.
        if raw.gross_spend.is_empty() && raw.refunds.is_empty() && raw.refund_rate.is_empty() {
            raw.gross_spend.clone_from(&raw.total_spend);
            raw.refunds = vec![0.0; raw.total_spend.len()];
            raw.refund_rate = vec![0.0; raw.total_spend.len()];
        }
        for (field, len) in [
            ("frequency", raw.frequency.len()),
            ("recency", raw.recency.len()),
            ("age", raw.age.len()),
            ("monetary_value", raw.monetary_value.len()),
            ("orders", raw.orders.len()),
            ("total_spend", raw.total_spend.len()),
            ("tenure_days", raw.tenure_days.len()),
            ("days_since_last", raw.days_since_last.len()),
            ("mean_gap_days", raw.mean_gap_days.len()),
            ("median_gap_days", raw.median_gap_days.len()),
            ("order_value_sd", raw.order_value_sd.len()),
            ("average_order_value", raw.average_order_value.len()),
            ("orders_per_30_days", raw.orders_per_30_days.len()),
            ("gross_spend", raw.gross_spend.len()),
            ("refunds", raw.refunds.len()),
            ("refund_rate", raw.refund_rate.len()),
        ] {
            same_len(field, n, len)?;
        }
        for row in 0..n {
            crate::validate::history(row, raw.frequency[row], raw.recency[row], raw.age[row])?;
            non_negative("monetary_value", row, raw.monetary_value[row])?;
            count("orders", row, raw.orders[row])?;
            if raw.orders[row] < 1.0 {
                return Err(invalid_value(
                    "orders",
                    row,
                    raw.orders[row],
                    "a profiled customer has at least one order",
                ));
            }
            non_negative("gross_spend", row, raw.gross_spend[row])?;
            non_negative("refunds", row, raw.refunds[row])?;
            crate::validate::probability("refund_rate", row, raw.refund_rate[row])?;
            let refunded = raw.refunds[row] > 0.0;
            for (field, v) in [
                ("total_spend", raw.total_spend[row]),
                ("average_order_value", raw.average_order_value[row]),
            ] {
                if refunded {
                    crate::validate::finite(field, row, v)?;
                } else {
                    non_negative(field, row, v)?;
                }
            }
            count("tenure_days", row, raw.tenure_days[row])?;
            count("days_since_last", row, raw.days_since_last[row])?;
            if raw.days_since_last[row] > raw.tenure_days[row] {
                return Err(invalid_value(
                    "days_since_last",
                    row,
                    raw.days_since_last[row],
                    format!(
                        "the last purchase is before the first (tenure {} days)",
                        raw.tenure_days[row]
                    ),
                ));
            }
            for (field, gap) in [
                ("mean_gap_days", raw.mean_gap_days[row]),
                ("median_gap_days", raw.median_gap_days[row]),
            ] {
                if let Some(g) = gap {
                    non_negative(field, row, g)?;
                }
            }
            non_negative("order_value_sd", row, raw.order_value_sd[row])?;
            if !raw.orders_per_30_days[row].is_finite() {
                return Err(Error::NonFinite {
                    field: "orders_per_30_days",
                    row,
                    value: raw.orders_per_30_days[row],
                });
            }
        }
        Ok(Profile {
            customer: raw.customer,
            frequency: raw.frequency,
            recency: raw.recency,
            age: raw.age,
            monetary_value: raw.monetary_value,
            orders: raw.orders,
            total_spend: raw.total_spend,
            tenure_days: raw.tenure_days,
            days_since_last: raw.days_since_last,
            mean_gap_days: raw.mean_gap_days,
            median_gap_days: raw.median_gap_days,
            order_value_sd: raw.order_value_sd,
            average_order_value: raw.average_order_value,
            orders_per_30_days: raw.orders_per_30_days,
            gross_spend: raw.gross_spend,
            refunds: raw.refunds,
            refund_rate: raw.refund_rate,
        })
    }
}

impl Profile {
    /// Builds the profile of every customer of `summary`, reading their orders in the
    /// summary's observation window from `log`.
    ///
    /// # Errors
    /// [`Error::InsufficientData`] when the summary has no order activity (built from
    /// columns) or refers to customers the log does not have.
    pub fn new<C>(log: &TransactionLog<C>, summary: &CustomerSummary) -> Result<Self> {
        let (Some(orders), Some(spend), Some(first), Some(last), Some(end)) = (
            summary.orders(),
            summary.total_spend(),
            summary.first_day(),
            summary.last_day(),
            summary.observation_end(),
        ) else {
            return Err(Error::InsufficientData {
                model: "customer profile",
                reason:
                    "the summary has no order activity (build it with TransactionLog::summarize)"
                        .into(),
            });
        };
        let n = summary.len();
        // Refund columns: the summary's for a log that accepts refunds, else none.
        let gross = summary.gross_spend().unwrap_or(spend);
        let refund_columns = summary.refunds().zip(summary.refund_count());
        let returns = summary.returns().unwrap_or_default();
        let mut p = Profile {
            customer: summary.customer().to_vec(),
            frequency: summary.frequency().to_vec(),
            recency: summary.recency().to_vec(),
            age: summary.age().to_vec(),
            monetary_value: summary.monetary_value().to_vec(),
            orders: orders.iter().map(|&o| f64::from(o)).collect(),
            total_spend: spend.to_vec(),
            tenure_days: Vec::with_capacity(n),
            days_since_last: Vec::with_capacity(n),
            mean_gap_days: Vec::with_capacity(n),
            median_gap_days: Vec::with_capacity(n),
            order_value_sd: Vec::with_capacity(n),
            average_order_value: Vec::with_capacity(n),
            orders_per_30_days: Vec::with_capacity(n),
            gross_spend: gross.to_vec(),
            refunds: refund_columns.map_or_else(|| vec![0.0; n], |(r, _)| r.to_vec()),
            refund_rate: Vec::with_capacity(n),
        };
        let mut scratch = Scratch::default();
        for (row, &c) in summary.customer().iter().enumerate() {
            if c as usize >= log.n_customers() {
                return Err(Error::InsufficientData {
                    model: "customer profile",
                    reason: format!("summary row {row} refers to customer {c}, not in the log"),
                });
            }
            let (days, amounts) = log.customer_rows(c);
            let summary_row = SummaryRow {
                frequency: p.frequency[row],
                recency: p.recency[row],
                age: p.age[row],
                monetary_value: p.monetary_value[row],
                orders: orders[row],
                total_spend: spend[row],
                first_day: first[row],
                last_day: last[row],
                gross_spend: gross[row],
                refunds: p.refunds[row],
                refund_count: refund_columns.map_or(0, |(_, n)| n[row]),
            };
            let returns = refund_columns.map(|_| returns);
            let one =
                CustomerProfile::of_rows(&summary_row, end, days, amounts, returns, &mut scratch);
            p.tenure_days.push(one.tenure_days);
            p.days_since_last.push(one.days_since_last);
            p.mean_gap_days.push(one.mean_gap_days);
            p.median_gap_days.push(one.median_gap_days);
            p.order_value_sd.push(one.order_value_sd);
            p.average_order_value.push(one.average_order_value);
            p.orders_per_30_days.push(one.orders_per_30_days);
            p.refund_rate.push(one.refund_rate);
        }
        Ok(p)
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether the profile has no customers.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The log's customer index of each row.
    pub fn customer(&self) -> &[u32] {
        &self.customer
    }

    /// Days from the first purchase to the observation end (0 when the first purchase
    /// is after the end, in its period).
    pub fn tenure_days(&self) -> &[f64] {
        &self.tenure_days
    }

    /// Days from the last purchase to the observation end (0 when the last purchase is
    /// after the end, in its period).
    pub fn days_since_last(&self) -> &[f64] {
        &self.days_since_last
    }

    /// Mean days between consecutive purchase days (`None` with a single purchase day).
    pub fn mean_gap_days(&self) -> &[Option<f64>] {
        &self.mean_gap_days
    }

    /// Median days between consecutive purchase days (`None` with a single purchase day).
    pub fn median_gap_days(&self) -> &[Option<f64>] {
        &self.median_gap_days
    }

    /// Sample standard deviation of order values (0 with one order).
    pub fn order_value_sd(&self) -> &[f64] {
        &self.order_value_sd
    }

    /// Total spend per order (net of refunds, for a log that accepts refunds).
    pub fn average_order_value(&self) -> &[f64] {
        &self.average_order_value
    }

    /// Gross spend in the window: the purchase rows' sum (the total spend when the log
    /// has no refunds).
    pub fn gross_spend(&self) -> &[f64] {
        &self.gross_spend
    }

    /// Refunded amount in the window (`>= 0`; 0 for a log that rejects refunds).
    pub fn refunds(&self) -> &[f64] {
        &self.refunds
    }

    /// Refunds / gross spend, capped at 1 (1 for refunds without gross spend; 0
    /// without refunds).
    ///
    /// ```
    /// use patronage::{Day, LogParams, Returns, SummaryParams, Transaction};
    /// use patronage::profile::Profile;
    /// let t = |d: i32, a: f64| Transaction { customer: 1u8, day: Day(d), amount: a };
    /// let log = LogParams::new().returns(Returns::Separate).log(&[t(0, 80.0), t(4, -20.0)])?;
    /// let profile = Profile::new(&log, &log.summarize(&SummaryParams::new(Day(9)))?)?;
    /// assert_eq!(profile.refund_rate(), &[0.25]);
    /// assert_eq!((profile.gross_spend()[0], profile.refunds()[0]), (80.0, 20.0));
    /// assert_eq!(profile.days_since_last(), &[9.0]); // from the purchase on day 0
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn refund_rate(&self) -> &[f64] {
        &self.refund_rate
    }

    /// Orders per 30 days of tenure (tenure counted inclusively, so day-0 customers
    /// are defined).
    pub fn orders_per_30_days(&self) -> &[f64] {
        &self.orders_per_30_days
    }

    fn behaviour(&self, f: &Feature) -> Option<(String, Vec<f64>)> {
        let gap = |v: &[Option<f64>]| -> Vec<f64> {
            // One purchase day: the gap is at least the tenure (no second purchase yet).
            v.iter()
                .zip(&self.tenure_days)
                .map(|(g, &t)| g.unwrap_or(t))
                .collect()
        };
        Some(match f {
            Feature::Frequency => ("frequency".into(), self.frequency.clone()),
            Feature::Recency => ("recency".into(), self.recency.clone()),
            Feature::Age => ("age".into(), self.age.clone()),
            Feature::MonetaryValue => ("monetary_value".into(), self.monetary_value.clone()),
            Feature::Orders => ("orders".into(), self.orders.clone()),
            Feature::TotalSpend => ("total_spend".into(), self.total_spend.clone()),
            Feature::TenureDays => ("tenure_days".into(), self.tenure_days.clone()),
            Feature::DaysSinceLast => ("days_since_last".into(), self.days_since_last.clone()),
            Feature::MeanGapDays => ("mean_gap_days".into(), gap(&self.mean_gap_days)),
            Feature::MedianGapDays => ("median_gap_days".into(), gap(&self.median_gap_days)),
            Feature::OrderValueSd => ("order_value_sd".into(), self.order_value_sd.clone()),
            Feature::AverageOrderValue => (
                "average_order_value".into(),
                self.average_order_value.clone(),
            ),
            Feature::OrdersPer30Days => {
                ("orders_per_30_days".into(), self.orders_per_30_days.clone())
            }
            Feature::RefundRate => ("refund_rate".into(), self.refund_rate.clone()),
            Feature::Attribute(_) => return None,
        })
    }

    /// The feature matrix (one row per customer, in profile order) and its column
    /// names. Categorical attributes are one-hot encoded, one column per level named
    /// `name=level` (a missing value is all zeros); gaps of customers with a single
    /// purchase day are their tenure (a lower bound).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown attribute name or no features;
    /// [`Error::NonFinite`] for a missing numeric attribute value (field = the
    /// attribute, row = the profile row): impute it first, or leave the column out.
    pub fn features(
        &self,
        attributes: &Attributes,
        features: &[Feature],
    ) -> Result<(Array2<f64>, Vec<String>)> {
        if features.is_empty() {
            return Err(Error::InvalidParameter {
                name: "features",
                value: "[]".into(),
                reason: "choose at least one feature".into(),
            });
        }
        let mut names = Vec::new();
        let mut columns: Vec<Vec<f64>> = Vec::new();
        for f in features {
            if let Some((name, col)) = self.behaviour(f) {
                names.push(name);
                columns.push(col);
                continue;
            }
            let Feature::Attribute(name) = f else {
                continue;
            };
            let attr = attributes.get(name)?;
            match &attr.values {
                AttributeValues::Numeric(v) => {
                    let mut col = Vec::with_capacity(self.len());
                    for (row, &c) in self.customer.iter().enumerate() {
                        match v.get(c as usize).copied().flatten() {
                            Some(x) => col.push(x),
                            None => {
                                return Err(Error::NonFinite {
                                    field: "numeric attribute (missing value)",
                                    row,
                                    value: f64::NAN,
                                });
                            }
                        }
                    }
                    names.push(attr.name.clone());
                    columns.push(col);
                }
                AttributeValues::Categorical { levels, codes } => {
                    for (k, level) in levels.iter().enumerate() {
                        names.push(format!("{}={}", attr.name, level));
                        columns.push(
                            self.customer
                                .iter()
                                .map(|&c| {
                                    f64::from(u8::from(
                                        codes.get(c as usize).copied().flatten() == Some(k as u32),
                                    ))
                                })
                                .collect(),
                        );
                    }
                }
            }
        }
        let (n, p) = (self.len(), columns.len());
        let x = Array2::from_shape_fn((n, p), |(i, j)| columns[j][i]);
        Ok((x, names))
    }
}

/// Buffers reused across customers while profiling.
#[derive(Default)]
struct Scratch {
    gaps: Vec<f64>,
    purchase_days: Vec<Day>,
}

/// One customer's profile (the fields of [`Profile`], for one customer), computed from
/// that customer's own purchases ([`from_purchases`](Self::from_purchases)): a web
/// service scores one customer without the population's log. Each field is what
/// [`Profile::new`] gives that customer, bit for bit.
///
/// ```
/// use patronage::profile::{CustomerProfile, Feature};
/// use patronage::summary::SummaryParams;
/// use patronage::{Day, Returns};
///
/// let days = [Day(0), Day(30), Day(90)];
/// let amounts = [20.0, 35.0, 25.0];
/// let params = SummaryParams::new(Day(100));
/// let one = CustomerProfile::from_purchases(&days, &amounts, &params, Returns::Reject)?
///     .expect("bought in the window");
/// assert_eq!((one.summary.orders, one.summary.total_spend), (3, 80.0));
/// assert_eq!(one.days_since_last, 10.0);
/// assert_eq!(one.mean_gap_days, Some(45.0));
/// // The churn model's features, in its column order.
/// let features = patronage::churn::churn_features();
/// let mut row = vec![0.0; features.len()];
/// one.features_into(&features, &mut row)?;
/// assert_eq!(row[0], 10.0); // days since the last purchase
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CustomerProfile {
    /// The customer's summary row (frequency, recency, T, monetary value, orders and
    /// spend, first and last day): what the purchase and spend models and
    /// [`Valuation::value_of`](crate::clv::value::Valuation::value_of) read.
    pub summary: SummaryRow,
    /// Days from the first purchase to the observation end.
    pub tenure_days: f64,
    /// Days from the last purchase to the observation end.
    pub days_since_last: f64,
    /// Mean days between purchase days (`None` with one purchase day).
    pub mean_gap_days: Option<f64>,
    /// Median days between purchase days (`None` with one purchase day).
    pub median_gap_days: Option<f64>,
    /// Standard deviation of order values.
    pub order_value_sd: f64,
    /// Total spend per order.
    pub average_order_value: f64,
    /// Orders per 30 days of tenure.
    pub orders_per_30_days: f64,
    /// Refunds over gross spend, at most 1.
    pub refund_rate: f64,
}

impl CustomerProfile {
    /// The profile of one customer from their purchases (`days[i]`, `amounts[i]`, any
    /// order) over the window of `params`, under a returns policy: what
    /// [`Profile::new`] gives that customer of a log built with the same policy and
    /// summarized with `params`. `None` when no purchase falls in the window.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `amounts` is not as long as `days`; the amount
    /// errors of [`TransactionLog::new`] naming the row (non-finite, too large, a
    /// refund under [`Returns::Reject`](crate::Returns::Reject)); the summary params'
    /// errors.
    pub fn from_purchases(
        days: &[Day],
        amounts: &[f64],
        params: &SummaryParams,
        returns: crate::Returns,
    ) -> Result<Option<Self>> {
        crate::validate::same_len("amounts", days.len(), amounts.len())?;
        let min_amount = crate::LogParams::new().returns(returns).min_amount();
        for (row, &a) in amounts.iter().enumerate() {
            crate::transactions::check_amount(row, a, min_amount)?;
        }
        // A log keeps each customer's rows by day, then amount.
        let sorted = days
            .windows(2)
            .zip(amounts.windows(2))
            .all(|(d, a)| d[0] < d[1] || (d[0] == d[1] && a[0] <= a[1]));
        let mut owned: Option<(Vec<Day>, Vec<f64>)> = None;
        if !sorted {
            let mut rows: Vec<(Day, f64)> =
                days.iter().copied().zip(amounts.iter().copied()).collect();
            rows.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
            owned = Some(rows.into_iter().unzip());
        }
        let (days, amounts) = owned
            .as_ref()
            .map_or((days, amounts), |(d, a)| (&d[..], &a[..]));
        let mut partial = PartialSummary::default();
        for (&d, &a) in days.iter().zip(amounts) {
            partial.update(params, d, a + 0.0);
        }
        let Some(row) = partial.finish_with(params, returns)? else {
            return Ok(None);
        };
        let accounted = (returns != crate::Returns::Reject).then_some(returns);
        Ok(Some(Self::of_rows(
            &row,
            params.observation_end,
            days,
            amounts,
            accounted,
            &mut Scratch::default(),
        )))
    }

    /// The profile from a customer's summary row and rows (by day, then amount; the
    /// window's rows first), `returns` the policy when refunds are accounted for.
    fn of_rows(
        row: &SummaryRow,
        end: Day,
        days: &[Day],
        amounts: &[f64],
        returns: Option<crate::Returns>,
        scratch: &mut Scratch,
    ) -> Self {
        let k = row.orders as usize;
        // The window's rows: its orders, and its refunds when they are accounted for.
        let rows = k + returns.map_or(0, |_| row.refund_count as usize);
        let (days, amounts) = (
            &days[..rows.min(days.len())],
            &amounts[..rows.min(amounts.len())],
        );
        let days = if let Some(returns) = returns {
            scratch.purchase_days.clear();
            scratch
                .purchase_days
                .extend(crate::refunds::purchase_days(days, amounts, returns));
            &scratch.purchase_days[..]
        } else {
            days
        };
        // A purchase after the observation end but in its period is in the window; it
        // counts as on the end day, so no day count is negative.
        let tenure = end.days_since(row.first_day).max(0) as f64;
        let gaps = &mut scratch.gaps;
        gaps.clear();
        let mut prev: Option<Day> = None;
        for &d in days {
            if let Some(q) = prev.filter(|&q| q != d) {
                gaps.push(d.days_since(q) as f64);
            }
            if prev != Some(d) {
                prev = Some(d);
            }
        }
        let mean_gap = (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64);
        let median_gap = (!gaps.is_empty()).then(|| {
            gaps.sort_by(f64::total_cmp);
            let m = gaps.len() / 2;
            if gaps.len() % 2 == 1 {
                gaps[m]
            } else {
                0.5 * (gaps[m - 1] + gaps[m])
            }
        });
        let kf = k as f64;
        let aov = if k > 0 { row.total_spend / kf } else { 0.0 };
        // The spread of the purchase rows (every row without refunds) around their mean.
        let mean = if k > 0 { row.gross_spend / kf } else { 0.0 };
        let sd = if k > 1 {
            let sq = amounts
                .iter()
                .filter(|&&a| a >= 0.0)
                .map(|a| (a - mean).powi(2));
            (sq.sum::<f64>() / (kf - 1.0)).sqrt()
        } else {
            0.0
        };
        let refund_rate = if row.refunds > 0.0 {
            if row.gross_spend > 0.0 {
                (row.refunds / row.gross_spend).min(1.0)
            } else {
                1.0
            }
        } else {
            0.0
        };
        Self {
            summary: *row,
            tenure_days: tenure,
            days_since_last: days
                .last()
                .map_or(tenure, |&d| end.days_since(d).max(0) as f64),
            mean_gap_days: mean_gap,
            median_gap_days: median_gap,
            order_value_sd: sd,
            average_order_value: aov,
            orders_per_30_days: 30.0 * kf / (tenure + 1.0),
            refund_rate,
        }
    }

    /// The value of a behavioural feature, as [`Profile::features`] gives it (a gap of
    /// a customer with one purchase day is their tenure); `None` for an attribute.
    pub fn feature(&self, feature: &Feature) -> Option<f64> {
        let row = &self.summary;
        Some(match feature {
            Feature::Frequency => row.frequency,
            Feature::Recency => row.recency,
            Feature::Age => row.age,
            Feature::MonetaryValue => row.monetary_value,
            Feature::Orders => f64::from(row.orders),
            Feature::TotalSpend => row.total_spend,
            Feature::TenureDays => self.tenure_days,
            Feature::DaysSinceLast => self.days_since_last,
            Feature::MeanGapDays => self.mean_gap_days.unwrap_or(self.tenure_days),
            Feature::MedianGapDays => self.median_gap_days.unwrap_or(self.tenure_days),
            Feature::OrderValueSd => self.order_value_sd,
            Feature::AverageOrderValue => self.average_order_value,
            Feature::OrdersPer30Days => self.orders_per_30_days,
            Feature::RefundRate => self.refund_rate,
            Feature::Attribute(_) => return None,
        })
    }

    /// Writes the values of `features` into `out` (one per feature, in order): the row
    /// [`Profile::features`] gives this customer, for a model fitted on those columns.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `out` is not as long as `features`;
    /// [`Error::InvalidParameter`] for an attribute feature (the caller holds the
    /// customer's attributes: write them into the row itself).
    pub fn features_into(&self, features: &[Feature], out: &mut [f64]) -> Result<()> {
        crate::validate::same_len("out", features.len(), out.len())?;
        for (f, o) in features.iter().zip(out.iter_mut()) {
            *o = self.feature(f).ok_or_else(|| Error::InvalidParameter {
                name: "features",
                value: format!("{f:?}"),
                reason: "one customer's profile has no attributes; write them into the row".into(),
            })?;
        }
        Ok(())
    }
}

/// A column of the feature matrix (see [`Profile::features`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Feature {
    /// Repeat purchase periods.
    Frequency,
    /// Recency, in the summary's time unit.
    Recency,
    /// T, in the summary's time unit.
    Age,
    /// Mean spend of repeat purchase periods.
    MonetaryValue,
    /// Orders.
    Orders,
    /// Total spend.
    TotalSpend,
    /// Days since the first purchase.
    TenureDays,
    /// Days since the last purchase.
    DaysSinceLast,
    /// Mean days between purchase days.
    MeanGapDays,
    /// Median days between purchase days.
    MedianGapDays,
    /// Standard deviation of order values.
    OrderValueSd,
    /// Spend per order.
    AverageOrderValue,
    /// Orders per 30 days of tenure.
    OrdersPer30Days,
    /// Refunds / gross spend (see [`Profile::refund_rate`]).
    RefundRate,
    /// A caller-supplied attribute by name.
    Attribute(String),
}

impl Feature {
    /// The behavioural features an RFM-style segmentation usually starts from.
    pub fn rfm() -> Vec<Feature> {
        vec![Feature::DaysSinceLast, Feature::Orders, Feature::TotalSpend]
    }
}

/// The values of one attribute, aligned with the log's customer indices.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AttributeValues {
    /// Numbers (age, income); `None` where missing.
    Numeric(Vec<Option<f64>>),
    /// Categories (region, channel, plan): distinct levels in first-seen order and a
    /// level code per customer; `None` where missing.
    Categorical {
        /// Levels, in first-seen order.
        levels: Vec<String>,
        /// Level index per customer.
        codes: Vec<Option<u32>>,
    },
}

/// A named attribute column.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its values per customer index.
    pub values: AttributeValues,
}

/// Caller-supplied customer attributes, joined to a log by customer id.
///
/// Attributes read with serde are checked as they load: names distinct, every column
/// one value per customer of the log, numeric values finite, categorical levels
/// distinct and every code naming one of them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawAttributes")
)]
pub struct Attributes {
    n_customers: usize,
    columns: Vec<Attribute>,
}

/// [`Attributes`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawAttributes {
    n_customers: usize,
    columns: Vec<Attribute>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawAttributes> for Attributes {
    type Error = Error;

    fn try_from(raw: RawAttributes) -> Result<Attributes> {
        use crate::validate::{invalid_parameter, invalid_value, same_len};
        use std::collections::HashSet;
        let n = raw.n_customers;
        let mut names = HashSet::with_capacity(raw.columns.len());
        for attr in &raw.columns {
            if !names.insert(attr.name.as_str()) {
                return Err(invalid_parameter(
                    "attribute name",
                    &attr.name,
                    "two attributes have this name",
                ));
            }
            match &attr.values {
                AttributeValues::Numeric(v) => {
                    same_len("numeric attribute", n, v.len())?;
                    let bad = v
                        .iter()
                        .enumerate()
                        .find_map(|(row, x)| x.filter(|x| !x.is_finite()).map(|x| (row, x)));
                    if let Some((row, value)) = bad {
                        return Err(Error::NonFinite {
                            field: "numeric attribute",
                            row,
                            value,
                        });
                    }
                }
                AttributeValues::Categorical { levels, codes } => {
                    same_len("categorical attribute", n, codes.len())?;
                    let mut seen = HashSet::with_capacity(levels.len());
                    if let Some(level) = levels.iter().find(|l| !seen.insert(l.as_str())) {
                        return Err(invalid_parameter(
                            "attribute level",
                            level,
                            format!("the level appears twice in attribute {}", attr.name),
                        ));
                    }
                    let bad = codes.iter().enumerate().find_map(|(row, k)| {
                        k.filter(|&k| k as usize >= levels.len()).map(|k| (row, k))
                    });
                    if let Some((row, k)) = bad {
                        return Err(invalid_value(
                            "categorical attribute",
                            row,
                            f64::from(k),
                            format!(
                                "a level code below the {} levels of attribute {}",
                                levels.len(),
                                attr.name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Attributes {
            n_customers: raw.n_customers,
            columns: raw.columns,
        })
    }
}

impl Attributes {
    /// No attributes yet, for the customers of `log`.
    pub fn for_log<C>(log: &TransactionLog<C>) -> Self {
        Self {
            n_customers: log.n_customers(),
            columns: Vec::new(),
        }
    }

    /// The log must be the one the attributes were built for (checked by its number of
    /// customers: the join is by the log's customer indices).
    fn check_log<C>(&self, log: &TransactionLog<C>) -> Result<()> {
        if log.n_customers() != self.n_customers {
            return Err(Error::LengthMismatch {
                field: "log customers",
                expected: self.n_customers,
                found: log.n_customers(),
            });
        }
        Ok(())
    }

    fn check_name(&self, name: &str) -> Result<()> {
        if self.columns.iter().any(|c| c.name == name) {
            return Err(Error::InvalidParameter {
                name: "attribute name",
                value: name.into(),
                reason: "an attribute of that name exists already".into(),
            });
        }
        Ok(())
    }

    /// Adds a numeric attribute from `(customer id, value)` pairs. Customers without a
    /// pair are missing; ids not in the log are ignored (attribute tables usually cover
    /// more customers than have bought).
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite value (naming its pair's row);
    /// [`Error::InvalidValue`] when an id appears twice; [`Error::InvalidParameter`]
    /// when the name is taken; [`Error::LengthMismatch`] when `log` is not the log of
    /// [`for_log`](Self::for_log) (a different number of customers).
    pub fn numeric<C: Eq + Hash>(
        mut self,
        name: &str,
        log: &TransactionLog<C>,
        values: &[(C, f64)],
    ) -> Result<Self> {
        self.check_name(name)?;
        self.check_log(log)?;
        let mut col = vec![None; self.n_customers];
        for (row, (id, v)) in values.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    field: "numeric attribute",
                    row,
                    value: *v,
                });
            }
            if let Some(c) = log.customer_index(id)
                && col[c as usize].replace(*v).is_some()
            {
                return Err(duplicate(row));
            }
        }
        self.columns.push(Attribute {
            name: name.into(),
            values: AttributeValues::Numeric(col),
        });
        Ok(self)
    }

    /// Adds a categorical attribute from `(customer id, level)` pairs; missing and
    /// unknown ids as for [`numeric`](Self::numeric).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when an id appears twice; [`Error::InvalidParameter`]
    /// when the name is taken; [`Error::LengthMismatch`] for another log, as for
    /// [`numeric`](Self::numeric).
    pub fn categorical<C: Eq + Hash, S: AsRef<str>>(
        mut self,
        name: &str,
        log: &TransactionLog<C>,
        values: &[(C, S)],
    ) -> Result<Self> {
        self.check_name(name)?;
        self.check_log(log)?;
        let mut levels: Vec<String> = Vec::new();
        let mut level_index: HashMap<String, u32> = HashMap::new();
        let mut codes = vec![None; self.n_customers];
        for (row, (id, level)) in values.iter().enumerate() {
            let Some(c) = log.customer_index(id) else {
                continue;
            };
            let level = level.as_ref();
            let code = match level_index.get(level) {
                Some(&k) => k,
                None => {
                    levels.push(level.to_string());
                    level_index.insert(level.to_string(), (levels.len() - 1) as u32);
                    (levels.len() - 1) as u32
                }
            };
            if codes[c as usize].replace(code).is_some() {
                return Err(duplicate(row));
            }
        }
        self.columns.push(Attribute {
            name: name.into(),
            values: AttributeValues::Categorical { levels, codes },
        });
        Ok(self)
    }

    /// The attribute of that name.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when there is none.
    pub fn get(&self, name: &str) -> Result<&Attribute> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::InvalidParameter {
                name: "attribute",
                value: name.into(),
                reason: format!(
                    "no such attribute; known: {}",
                    self.columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// All attributes, in the order added.
    pub fn columns(&self) -> &[Attribute] {
        &self.columns
    }

    /// The group label of every customer index for an attribute: the level of a
    /// categorical attribute, or the quartile band (`"Q1 [lo, hi]"`) of a numeric one;
    /// `"(missing)"` where missing.
    fn labels(&self, name: &str) -> Result<Vec<String>> {
        let attr = self.get(name)?;
        Ok(match &attr.values {
            AttributeValues::Categorical { levels, codes } => codes
                .iter()
                .map(|c| c.map_or_else(|| "(missing)".to_string(), |k| levels[k as usize].clone()))
                .collect(),
            AttributeValues::Numeric(v) => {
                let mut present: Vec<f64> = v.iter().flatten().copied().collect();
                present.sort_by(f64::total_cmp);
                let q = |p: f64| {
                    let h = (present.len().saturating_sub(1)) as f64 * p;
                    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
                    present
                        .get(lo)
                        .zip(present.get(hi))
                        .map_or(0.0, |(a, b)| a + (h - h.floor()) * (b - a))
                };
                let edges = [q(0.0), q(0.25), q(0.5), q(0.75), q(1.0)];
                v.iter()
                    .map(|x| match x {
                        None => "(missing)".to_string(),
                        Some(x) => {
                            let k = (1..4).filter(|&j| *x > edges[j]).count();
                            format!("Q{} [{}, {}]", k + 1, edges[k], edges[k + 1])
                        }
                    })
                    .collect()
            }
        })
    }

    /// Demographic / geographic segmentation: a summary per attribute value
    /// (categorical levels, or quartile bands of a numeric attribute), over the
    /// customers of `summary`: customers, orders, revenue, orders per customer and
    /// average order value.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown attribute; [`Error::InsufficientData`]
    /// when the summary has no order activity.
    pub fn group_summary(
        &self,
        name: &str,
        summary: &CustomerSummary,
    ) -> Result<Vec<GroupSummary>> {
        let labels = self.labels(name)?;
        let keys: Vec<String> = summary
            .customer()
            .iter()
            .map(|&c| {
                labels
                    .get(c as usize)
                    .cloned()
                    .unwrap_or_else(|| "(missing)".into())
            })
            .collect();
        group(summary, &keys, None)
    }

    /// As [`group_summary`](Self::group_summary), crossed with RFM segments: one row
    /// per (attribute value, segment) pair present. `segments` holds each summary row's
    /// segment index in `map` (from [`SegmentMap::assign`]).
    ///
    /// # Errors
    /// As [`group_summary`](Self::group_summary), and [`Error::LengthMismatch`] when
    /// `segments` and `summary` differ in length.
    pub fn group_summary_by_segment(
        &self,
        name: &str,
        summary: &CustomerSummary,
        map: &SegmentMap,
        segments: &[usize],
    ) -> Result<Vec<GroupSummary>> {
        if segments.len() != summary.len() {
            return Err(Error::LengthMismatch {
                field: "segments",
                expected: summary.len(),
                found: segments.len(),
            });
        }
        let labels = self.labels(name)?;
        let keys: Vec<String> = summary
            .customer()
            .iter()
            .map(|&c| {
                labels
                    .get(c as usize)
                    .cloned()
                    .unwrap_or_else(|| "(missing)".into())
            })
            .collect();
        let names: Vec<String> = segments.iter().map(|&s| map.name(s).to_string()).collect();
        group(summary, &keys, Some(&names))
    }
}

fn duplicate(row: usize) -> Error {
    Error::InvalidValue {
        field: "attribute customer id",
        row,
        value: row as f64,
        reason: "the customer already has a value for this attribute".into(),
    }
}

fn group(
    summary: &CustomerSummary,
    keys: &[String],
    segments: Option<&[String]>,
) -> Result<Vec<GroupSummary>> {
    let (Some(orders), Some(spend)) = (summary.orders(), summary.total_spend()) else {
        return Err(Error::InsufficientData {
            model: "group summary",
            reason: "the summary has no order activity (build it with TransactionLog::summarize)"
                .into(),
        });
    };
    let mut index: HashMap<(String, Option<String>), usize> = HashMap::new();
    let mut rows: Vec<GroupSummary> = Vec::new();
    for i in 0..summary.len() {
        let seg = segments.map(|s| s[i].clone());
        let k = *index
            .entry((keys[i].clone(), seg.clone()))
            .or_insert_with(|| {
                rows.push(GroupSummary {
                    value: keys[i].clone(),
                    segment: seg,
                    customers: 0,
                    orders: 0,
                    revenue: 0.0,
                    orders_per_customer: 0.0,
                    average_order_value: 0.0,
                });
                rows.len() - 1
            });
        rows[k].customers += 1;
        rows[k].orders += u64::from(orders[i]);
        rows[k].revenue += spend[i];
    }
    for r in &mut rows {
        r.orders_per_customer = r.orders as f64 / r.customers as f64;
        r.average_order_value = if r.orders > 0 {
            r.revenue / r.orders as f64
        } else {
            0.0
        };
    }
    rows.sort_by(|a, b| (&a.value, &a.segment).cmp(&(&b.value, &b.segment)));
    Ok(rows)
}

/// One group of a [`Attributes::group_summary`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupSummary {
    /// The attribute value (or quartile band).
    pub value: String,
    /// The RFM segment, when crossed with segments.
    pub segment: Option<String>,
    /// Customers in the group.
    pub customers: usize,
    /// Their orders.
    pub orders: u64,
    /// Their total spend.
    pub revenue: f64,
    /// Orders per customer.
    pub orders_per_customer: f64,
    /// Revenue per order.
    pub average_order_value: f64,
}
