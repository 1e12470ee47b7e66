//! Per-customer summaries in the (frequency, recency, T, monetary value) form the
//! purchase models use, with the semantics of Python's `lifetimes`
//! (`summary_data_from_transaction_data`).
//!
//! For a period length of `period_days` days, a purchase's period is
//! `floor((day - origin) / period_days)` (origin `Day(4)`, a Monday, unless set). Within the
//! observation window (rows whose period is at most the period of `observation_end`):
//!
//! - purchases in the same period collapse into one purchase period, amounts summed;
//! - **frequency** = distinct purchase periods - 1 (repeat purchases);
//! - **recency** = last purchase period - first purchase period;
//! - **T** (`age`) = period of `observation_end` - first purchase period;
//! - **monetary value** = mean spend of the repeat purchase periods (the first period
//!   excluded), 0 when frequency is 0.
//!
//! Recency and T are reported in time units of `time_unit_days` days (default: the
//! period), so `period_days(1).time_unit_days(7.0)` gives day-resolution summaries in
//! weeks, as the CDNOW literature uses. Customers whose first purchase falls after the
//! observation window are left out.
//!
//! ## Returns and refunds
//!
//! A log built with a [`Returns`] policy other than the default
//! [`Reject`](Returns::Reject) holds refunds: negative amounts (see
//! [`LogParams`](crate::transactions::LogParams)). Rows are grouped into periods as above
//! (with the default one-day period, a period is a day); a *purchase row* is one with
//! an amount `>= 0` (free orders included, as they always were), a *refund row* one with
//! an amount `< 0`. Each policy decides which periods are *purchase periods*, and the
//! definitions above then apply to those periods alone:
//!
//! | | `Reject` (default) | `Net` | `Separate` |
//! |---|---|---|---|
//! | refund rows | an error ([`Error::Refund`]) | subtracted from their period's spend | kept apart, in the customer's refund totals |
//! | purchase period | a period with a row | a period with a purchase row whose net spend (purchases - refunds) is `> 0`, or which has no refund | a period with a purchase row (refunds never remove one) |
//! | frequency, recency, T | on purchase periods | on purchase periods | on purchase periods |
//! | spend of a purchase period | its rows' sum | its net spend | its purchase rows' sum |
//! | monetary value | mean spend of the repeat purchase periods | mean net spend of the repeat purchase periods | mean spend of the repeat purchase periods x (1 - refund rate) |
//! | [`orders`](CustomerSummary::orders) | rows in the window | purchase rows in the window | purchase rows in the window |
//! | [`total_spend`](CustomerSummary::total_spend) | sum of the rows | gross - refunds (net) | gross - refunds (net) |
//! | [`gross_spend`](CustomerSummary::gross_spend) | = total spend | sum of the purchase rows | sum of the purchase rows |
//! | [`refunds`](CustomerSummary::refunds), [`refund_count`](CustomerSummary::refund_count) | `None` | sum of the refunds' sizes, refund rows | sum of the refunds' sizes, refund rows |
//!
//! Every total covers the rows of the observation window, refunds in periods without
//! a purchase (a refund of an order before the log began, say) included: such a refund
//! lowers the customer's net spend but no period's. Under `Net` a period whose refunds
//! bring its net spend to 0 or below is not a purchase (a refund on a later day does
//! not cancel the earlier day's purchase: that day's net is its own). Under `Separate`
//! the *refund rate* is refunds / gross spend over the window, capped at 1 (1 when the
//! gross spend is 0 and there are refunds): refunds are allocated to the purchases in
//! proportion to their spend, so monetary value is the repeat spend net of the
//! customer's share of refunds. Under both policies monetary value is therefore
//! finite and `>= 0`: a customer whose refunds take it to 0 is a zero-spend customer,
//! which [`GammaGamma`](crate::clv::GammaGamma) treats as it always has (an error
//! naming the row, or left out and counted with `eligible_only`), never a NaN. Net
//! spend (`total_spend`) is negative when refunds exceed purchases.
//!
//! A customer without a purchase period in the window (only refunds, or every period
//! netting to 0 or below under `Net`) has no first purchase: it is left out of the
//! summary, as a customer whose first purchase is after the window is. First and last
//! day are the first and last purchase row's day in the first and last purchase period.
//! With no refund in the rows every policy gives exactly the `Reject` summary (its
//! refund columns aside, which are then zero).
//!
//! ```
//! use patronage::{Day, LogParams, Returns, Transaction};
//! use patronage::summary::SummaryParams;
//! let t = |c: u8, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
//! let rows = [
//!     t(1, 0, 40.0), t(1, 2, 25.0), t(1, 2, -25.0), t(1, 5, 30.0), t(1, 6, -10.0),
//!     t(2, 1, -5.0), // a refund only: customer 2 has no purchase
//! ];
//! let params = SummaryParams::new(Day(9));
//! let net = LogParams::new().returns(Returns::Net).log(&rows)?.summarize(&params)?;
//! assert_eq!(net.customer(), &[0]); // customer 2 is left out
//! assert_eq!(net.frequency(), &[1.0]); // day 2 nets to 0: days 0 and 5 remain
//! assert_eq!(net.monetary_value(), &[30.0]); // day 6 lowers only its own net
//! assert_eq!(net.total_spend(), Some(&[60.0][..])); // 95 - 35
//! let separate = LogParams::new().returns(Returns::Separate).log(&rows)?.summarize(&params)?;
//! assert_eq!(separate.frequency(), &[2.0]); // days 0, 2 and 5
//! let kept = 60.0 / 95.0; // 1 - refund rate
//! assert!((separate.monetary_value()[0] - (25.0 + 30.0) * kept / 2.0).abs() < 1e-12);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! Money is summed exactly: every amount is rounded once to an integer number of
//! micro-units (1e-6 of a currency unit) and added in `i128`, so sums do not depend on the
//! order of rows or on how the rows were partitioned ([`PartialSummary`]).
//!
//! A summary of many customers is mostly fresh memory: 56 bytes per customer in nine
//! columns. To summarize the same log again and again (a dashboard refresh, a sweep
//! over observation ends), [`TransactionLog::summarize_into`] writes into an existing
//! summary's columns instead, which on 1M customers takes less than half the time.
//!
//! ```
//! use patronage::transactions::{Day, Transaction, TransactionLog};
//! use patronage::summary::SummaryParams;
//!
//! let t = |c: u32, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
//! let rows = [t(1, 0, 10.0), t(1, 0, 5.0), t(1, 14, 20.0), t(1, 21, 30.0), t(2, 7, 8.0)];
//! let log = TransactionLog::new(&rows)?;
//! let s = log.summarize(&SummaryParams::new(Day(28)).time_unit_days(7.0))?;
//! assert_eq!(s.frequency(), &[2.0, 0.0]); // day 0 collapses into one period
//! assert_eq!(s.recency(), &[3.0, 0.0]); // weeks
//! assert_eq!(s.age(), &[4.0, 3.0]);
//! assert_eq!(s.monetary_value(), &[25.0, 0.0]); // (20 + 30) / 2
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::transactions::{Day, Returns, TransactionLog};

/// Micro-units per currency unit for exact money sums.
const MICRO: f64 = 1e6;

/// An amount in integer micro-units, rounded half up. Amounts are validated finite,
/// `>= 0` and `<= 1e12` by [`TransactionLog`], so the value fits an `i64`; sums are kept
/// in `i128`.
#[inline]
pub(crate) fn to_micro(amount: f64) -> i128 {
    i128::from((amount * MICRO + 0.5) as i64)
}

#[inline]
pub(crate) fn from_micro(n: i128) -> f64 {
    // i64 -> f64 is one instruction; i128 -> f64 is a library call, kept off the hot path.
    #[cold]
    #[inline(never)]
    fn wide(n: i128) -> f64 {
        n as f64 / MICRO
    }
    match i64::try_from(n) {
        Ok(v) => v as f64 / MICRO,
        Err(_) => wide(n),
    }
}

/// How to summarize a log: the observation end, the period length and the time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SummaryParams {
    /// The last day observed (its whole period is observed).
    pub observation_end: Day,
    /// Period length in days (purchases in one period collapse into one).
    pub period_days: u32,
    /// Length in days of the unit recency and T are reported in; `None`: the period.
    pub time_unit_days: Option<f64>,
    /// The day periods are counted from.
    pub origin: Day,
}

impl SummaryParams {
    /// Summaries observed up to and including `observation_end`'s period, with one-day
    /// periods and times in periods.
    pub fn new(observation_end: Day) -> Self {
        Self {
            observation_end,
            period_days: 1,
            time_unit_days: None,
            origin: Day(4),
        }
    }

    /// Period length in days (purchases in one period collapse into one); default 1.
    ///
    /// ```
    /// use patronage::{summary::SummaryParams, transactions::Day};
    /// let weekly = SummaryParams::new(Day(100)).period_days(7);
    /// assert_eq!(weekly.period_days, 7);
    /// ```
    pub fn period_days(mut self, days: u32) -> Self {
        self.period_days = days;
        self
    }

    /// Length in days of the unit recency and T are reported in; default: the period.
    ///
    /// ```
    /// use patronage::{summary::SummaryParams, transactions::Day};
    /// let p = SummaryParams::new(Day(100)).period_days(7);
    /// assert_eq!(p.unit_days(), 7.0);
    /// assert_eq!(p.time_unit_days(1.0).unit_days(), 1.0);
    /// ```
    pub fn time_unit_days(mut self, days: f64) -> Self {
        self.time_unit_days = Some(days);
        self
    }

    /// The day periods are counted from: weekly periods start on this day's weekday.
    /// The default, `Day(4)` (1970-01-05 in calendar terms), is a Monday, so 7-day
    /// periods are ISO weeks as [`Period::Week`](crate::Period::Week)'s are.
    ///
    /// ```
    /// use patronage::{summary::SummaryParams, transactions::Day, Period};
    /// let weeks = SummaryParams::new(Day(100)).period_days(7);
    /// assert_eq!(weeks.period_of(Day(4)), i64::from(Period::Week.index(Day(4))));
    /// let sunday_weeks = weeks.origin(Day(3));
    /// assert_eq!(sunday_weeks.origin, Day(3));
    /// ```
    pub fn origin(mut self, origin: Day) -> Self {
        self.origin = origin;
        self
    }

    /// The time unit in days: [`time_unit_days`](Self::time_unit_days) when set, else
    /// the period.
    pub fn unit_days(&self) -> f64 {
        self.time_unit_days.unwrap_or(self.period_days as f64)
    }

    /// The period a day falls in.
    pub fn period_of(&self, day: Day) -> i64 {
        (i64::from(day.0) - i64::from(self.origin.0)).div_euclid(i64::from(self.period_days.max(1)))
    }

    /// Checks the params as [`TransactionLog::summarize`] does before it summarizes:
    /// for callers that take params once and use them later (a query engine's
    /// aggregate, say), so that a bad value fails when it is given.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero period or a time unit that is not
    /// positive and finite.
    ///
    /// ```
    /// use patronage::{summary::SummaryParams, transactions::Day};
    /// assert!(SummaryParams::new(Day(100)).validate().is_ok());
    /// assert!(SummaryParams::new(Day(100)).period_days(0).validate().is_err());
    /// assert!(SummaryParams::new(Day(100)).time_unit_days(f64::NAN).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.period_days == 0 {
            return Err(Error::InvalidParameter {
                name: "period_days",
                value: "0".into(),
                reason: "a period is at least one day".into(),
            });
        }
        let unit = self.unit_days();
        if !(unit.is_finite() && unit > 0.0) {
            return Err(Error::InvalidParameter {
                name: "time_unit_days",
                value: unit.to_string(),
                reason: "must be a positive, finite number of days".into(),
            });
        }
        // Every time (recency, T) is at most 2^33 periods (any two days) times the
        // scale: keep that finite, so a tiny unit is an error, not an infinite T.
        if !(self.scale() * 2f64.powi(33)).is_finite() {
            return Err(Error::InvalidParameter {
                name: "time_unit_days",
                value: unit.to_string(),
                reason: "so small that recency and T overflow to infinity".into(),
            });
        }
        Ok(())
    }

    /// Converts a number of periods into time units.
    fn scale(&self) -> f64 {
        self.period_days as f64 / self.unit_days()
    }
}

/// What the summary of one customer is computed from: the sufficient statistics of
/// its rows in the window. Both the one-pass summary and [`PartialSummary`] reduce to it,
/// so they share one definition of the output.
#[derive(Debug, Clone, Copy)]
struct Stats {
    first_period: i64,
    last_period: i64,
    periods: u32,
    first_period_spend: i128,
    total_spend: i128,
    orders: u32,
    first_day: Day,
    last_day: Day,
}

/// A summary's time unit: finite and `> 0` days, and not so small that one day is an
/// infinite number of units (horizons convert through it).
fn check_time_unit(days: f64) -> Result<()> {
    if days.is_finite() && days > 0.0 && (1.0 / days).is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "time_unit_days",
            value: days.to_string(),
            reason: "must be a positive, finite number of days whose reciprocal is finite".into(),
        })
    }
}

/// Per-customer order activity, kept when a summary is built from a log.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Activity {
    orders: Vec<u32>,
    total_spend: Vec<f64>,
    first_day: Vec<Day>,
    last_day: Vec<Day>,
    observation_end: Day,
    /// Gross spend and refunds, for a log built with [`Returns::Net`] or
    /// [`Returns::Separate`] (absent in files written before returns policies existed,
    /// and for [`Returns::Reject`] logs, whose gross spend is the total spend).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    refunds: Option<RefundColumns>,
}

/// Per-customer refund totals of a summary of a log that accepts refunds.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct RefundColumns {
    returns: Returns,
    gross_spend: Vec<f64>,
    refunds: Vec<f64>,
    refund_count: Vec<u32>,
}

/// One row per customer: frequency, recency, T (`age`), monetary value, and, when built
/// from a [`TransactionLog`], orders, total spend and first/last purchase day.
///
/// Columnar: each getter returns one column, aligned by row. [`customer`](Self::customer)
/// maps rows back to the log's customer indices.
///
/// A summary read with serde is checked as it loads (a hand-edited file or a buggy
/// writer is an [`Error`] then, not a panic or garbage in a later fit): every column has
/// one value per row, each row obeys the rules of
/// [`from_columns`](Self::from_columns), and the order activity, when present, has at
/// least one order per row and more orders than repeat purchase periods, a finite,
/// non-negative total spend (finite, and negative when refunds exceed purchases, for a
/// summary of a log with refunds), and a first purchase day no later than the last;
/// refund columns, when present (a [`Returns::Net`] or [`Returns::Separate`] log), one
/// value per row, gross spend and refunds finite and `>= 0`, and a refund row for any
/// refunded amount. A file written before returns policies has no refund columns and
/// loads as a summary of a [`Returns::Reject`] log.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawCustomerSummary")
)]
pub struct CustomerSummary {
    customer: Vec<u32>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
    activity: Option<Activity>,
    time_unit_days: f64,
}

/// [`CustomerSummary`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawCustomerSummary {
    customer: Vec<u32>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
    activity: Option<Activity>,
    time_unit_days: f64,
}

#[cfg(feature = "serde")]
impl TryFrom<RawCustomerSummary> for CustomerSummary {
    type Error = Error;

    fn try_from(raw: RawCustomerSummary) -> Result<CustomerSummary> {
        use crate::validate::{invalid_value, non_empty, non_negative, same_len};
        let n = raw.customer.len();
        non_empty("customer", n)?;
        check_time_unit(raw.time_unit_days)?;
        same_len("frequency", n, raw.frequency.len())?;
        same_len("recency", n, raw.recency.len())?;
        same_len("age", n, raw.age.len())?;
        same_len("monetary_value", n, raw.monetary_value.len())?;
        for row in 0..n {
            crate::validate::history(row, raw.frequency[row], raw.recency[row], raw.age[row])?;
            non_negative("monetary_value", row, raw.monetary_value[row])?;
        }
        if let Some(a) = &raw.activity {
            same_len("orders", n, a.orders.len())?;
            same_len("total_spend", n, a.total_spend.len())?;
            same_len("first_day", n, a.first_day.len())?;
            same_len("last_day", n, a.last_day.len())?;
            for row in 0..n {
                let orders = a.orders[row];
                // Each purchase period holds at least one order (the count saturates
                // at u32::MAX).
                if orders == 0 || (orders < u32::MAX && f64::from(orders) <= raw.frequency[row]) {
                    return Err(invalid_value(
                        "orders",
                        row,
                        f64::from(orders),
                        "a customer of a summary has at least one order per purchase period (frequency + 1)",
                    ));
                }
                match &a.refunds {
                    // Net spend: negative when refunds exceed purchases.
                    Some(_) => crate::validate::finite("total_spend", row, a.total_spend[row])?,
                    None => non_negative("total_spend", row, a.total_spend[row])?,
                }
                if a.first_day[row] > a.last_day[row] {
                    return Err(invalid_value(
                        "first_day",
                        row,
                        f64::from(a.first_day[row].0),
                        format!(
                            "the first purchase day is after the last ({})",
                            a.last_day[row].0
                        ),
                    ));
                }
            }
        }
        if let Some(r) = raw.activity.as_ref().and_then(|a| a.refunds.as_ref()) {
            if r.returns == Returns::Reject {
                return Err(invalid_value(
                    "returns",
                    0,
                    0.0,
                    "refund columns belong to a summary of a Net or Separate log",
                ));
            }
            same_len("gross_spend", n, r.gross_spend.len())?;
            same_len("refunds", n, r.refunds.len())?;
            same_len("refund_count", n, r.refund_count.len())?;
            for row in 0..n {
                non_negative("gross_spend", row, r.gross_spend[row])?;
                non_negative("refunds", row, r.refunds[row])?;
                if r.refund_count[row] == 0 && r.refunds[row] > 0.0 {
                    return Err(invalid_value(
                        "refund_count",
                        row,
                        0.0,
                        "a customer with refunded spend has at least one refund",
                    ));
                }
            }
        }
        Ok(CustomerSummary {
            customer: raw.customer,
            frequency: raw.frequency,
            recency: raw.recency,
            age: raw.age,
            monetary_value: raw.monetary_value,
            activity: raw.activity,
            time_unit_days: raw.time_unit_days,
        })
    }
}

impl CustomerSummary {
    /// A summary from columns the caller already has (e.g. a published summary table).
    /// Rows get customer indices `0..n`; there is no order activity.
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::LengthMismatch`] when the columns differ in
    /// length; [`Error::NonFinite`] / [`Error::Negative`] for bad values; and
    /// [`Error::InvalidValue`] when frequency is not a whole number, recency exceeds T,
    /// or recency is 0 with a positive frequency.
    ///
    /// ```
    /// use patronage::summary::CustomerSummary;
    /// let s = CustomerSummary::from_columns(&[2.0, 0.0], &[30.43, 0.0], &[38.86, 38.86], None)?;
    /// assert_eq!(s.len(), 2);
    /// assert!(s.orders().is_none());
    /// let bad = CustomerSummary::from_columns(&[1.0], &[40.0], &[38.0], None);
    /// assert!(matches!(bad, Err(patronage::Error::InvalidValue { field: "recency", row: 0, .. })));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn from_columns(
        frequency: &[f64],
        recency: &[f64],
        age: &[f64],
        monetary_value: Option<&[f64]>,
    ) -> Result<Self> {
        let n = frequency.len();
        if n == 0 {
            return Err(Error::Empty { field: "frequency" });
        }
        for (field, len) in [("recency", recency.len()), ("age", age.len())]
            .into_iter()
            .chain(monetary_value.map(|m| ("monetary_value", m.len())))
        {
            if len != n {
                return Err(Error::LengthMismatch {
                    field,
                    expected: n,
                    found: len,
                });
            }
        }
        for row in 0..n {
            crate::validate::history(row, frequency[row], recency[row], age[row])?;
            if let Some(m) = monetary_value {
                crate::validate::non_negative("monetary_value", row, m[row])?;
            }
        }
        Ok(Self {
            customer: (0..n as u32).collect(),
            frequency: frequency.to_vec(),
            recency: recency.to_vec(),
            age: age.to_vec(),
            monetary_value: monetary_value.map_or_else(|| vec![0.0; n], <[f64]>::to_vec),
            activity: None,
            time_unit_days: 1.0,
        })
    }

    /// The same summary with its times (recency, T) read as in units of `days` days
    /// (a summary from columns is in days until told otherwise): the unit that
    /// typed horizons ([`Horizon`](crate::Horizon)) and lifetime value convert to. The
    /// values are not changed.
    ///
    /// ```
    /// use patronage::CustomerSummary;
    /// // CDNOW's published summary is in weeks.
    /// let weekly = CustomerSummary::from_columns(&[2.0], &[30.43], &[38.86], None)?
    ///     .with_time_unit_days(7.0)?;
    /// assert_eq!(weekly.time_unit_days(), 7.0);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `days` is finite and `> 0`.
    pub fn with_time_unit_days(mut self, days: f64) -> Result<Self> {
        check_time_unit(days)?;
        self.time_unit_days = days;
        Ok(self)
    }

    /// Length in days of the unit recency and T are in (the summary params' time unit).
    pub fn time_unit_days(&self) -> f64 {
        self.time_unit_days
    }

    /// `horizon` in this summary's time units.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (named `name`) for a negative or non-finite horizon.
    pub(crate) fn units(&self, name: &'static str, horizon: crate::Horizon) -> Result<f64> {
        let t = horizon.in_days() / self.time_unit_days;
        crate::validate::horizon(name, t)?;
        Ok(t)
    }

    /// Number of customers (rows).
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// Whether the summary has no rows.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// The log's dense customer index of each row.
    pub fn customer(&self) -> &[u32] {
        &self.customer
    }

    /// Repeat purchase periods.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// Time from the first to the last purchase period, in time units.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }

    /// T: time from the first purchase period to the end of observation, in time units.
    pub fn age(&self) -> &[f64] {
        &self.age
    }

    /// Mean spend of repeat purchase periods (0 when frequency is 0).
    pub fn monetary_value(&self) -> &[f64] {
        &self.monetary_value
    }

    /// Orders (purchase rows, refunds not counted) in the window, when built from a log.
    pub fn orders(&self) -> Option<&[u32]> {
        self.activity.as_ref().map(|a| a.orders.as_slice())
    }

    /// Total spend in the window (all purchases, the first included), when built from a
    /// log; net of refunds (gross spend - refunds, negative when refunds exceed
    /// purchases) for a log that accepts refunds.
    pub fn total_spend(&self) -> Option<&[f64]> {
        self.activity.as_ref().map(|a| a.total_spend.as_slice())
    }

    /// The returns policy of the log the summary was built from (see the
    /// [module docs](crate::summary#returns-and-refunds)); `None` when built from
    /// columns.
    pub fn returns(&self) -> Option<Returns> {
        let a = self.activity.as_ref()?;
        Some(a.refunds.as_ref().map_or(Returns::Reject, |r| r.returns))
    }

    /// Gross spend in the window (every purchase row, refunds not subtracted), when
    /// built from a log. For a [`Returns::Reject`] log it is the
    /// [`total_spend`](Self::total_spend).
    ///
    /// ```
    /// use patronage::{Day, LogParams, Returns, Transaction};
    /// use patronage::summary::SummaryParams;
    /// let t = |d: i32, a: f64| Transaction { customer: 1u8, day: Day(d), amount: a };
    /// let rows = [t(0, 50.0), t(3, 20.0), t(3, -5.0), t(6, -30.0)];
    /// let log = LogParams::new().returns(Returns::Separate).log(&rows)?;
    /// let s = log.summarize(&SummaryParams::new(Day(9)))?;
    /// assert_eq!(s.gross_spend(), Some(&[70.0][..]));
    /// assert_eq!(s.refunds(), Some(&[35.0][..]));
    /// assert_eq!(s.refund_count(), Some(&[2][..]));
    /// assert_eq!(s.total_spend(), Some(&[35.0][..])); // net: 70 - 35
    /// assert_eq!(s.frequency(), &[1.0]); // days 0 and 3; refunds remove no purchase
    /// assert_eq!(s.monetary_value(), &[10.0]); // 20 x (1 - 35 / 70)
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn gross_spend(&self) -> Option<&[f64]> {
        let a = self.activity.as_ref()?;
        Some(
            a.refunds
                .as_ref()
                .map_or(a.total_spend.as_slice(), |r| r.gross_spend.as_slice()),
        )
    }

    /// Refunded amount in the window (the sum of the refunds' sizes, so `>= 0`), when
    /// built from a log that accepts refunds ([`Returns::Net`] or
    /// [`Returns::Separate`]); `None` otherwise (a [`Returns::Reject`] log has none).
    pub fn refunds(&self) -> Option<&[f64]> {
        let a = self.activity.as_ref()?;
        a.refunds.as_ref().map(|r| r.refunds.as_slice())
    }

    /// Refund rows in the window, when built from a log that accepts refunds; `None`
    /// otherwise.
    pub fn refund_count(&self) -> Option<&[u32]> {
        let a = self.activity.as_ref()?;
        a.refunds.as_ref().map(|r| r.refund_count.as_slice())
    }

    /// Day of the first purchase, when built from a log.
    pub fn first_day(&self) -> Option<&[Day]> {
        self.activity.as_ref().map(|a| a.first_day.as_slice())
    }

    /// Day of the last purchase in the window, when built from a log.
    pub fn last_day(&self) -> Option<&[Day]> {
        self.activity.as_ref().map(|a| a.last_day.as_slice())
    }

    /// The observation end, when built from a log.
    pub fn observation_end(&self) -> Option<Day> {
        self.activity.as_ref().map(|a| a.observation_end)
    }

    /// Days from each customer's last purchase to the observation end, when built from a
    /// log (0 when the last purchase is after the end, in its period).
    pub fn days_since_last(&self) -> Option<Vec<i64>> {
        self.activity.as_ref().map(|a| {
            a.last_day
                .iter()
                .map(|&d| a.observation_end.days_since(d).max(0))
                .collect()
        })
    }

    fn with_capacity(n: usize, observation_end: Day, time_unit_days: f64) -> Self {
        Self {
            customer: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            recency: Vec::with_capacity(n),
            age: Vec::with_capacity(n),
            monetary_value: Vec::with_capacity(n),
            activity: Some(Activity {
                orders: Vec::with_capacity(n),
                total_spend: Vec::with_capacity(n),
                first_day: Vec::with_capacity(n),
                last_day: Vec::with_capacity(n),
                observation_end,
                refunds: None,
            }),
            time_unit_days,
        }
    }

    /// Keeps (empty) refund columns for a log of this policy, or none for
    /// [`Returns::Reject`].
    fn set_returns(&mut self, returns: Returns) {
        if let Some(a) = self.activity.as_mut() {
            a.refunds = (returns != Returns::Reject).then(|| RefundColumns {
                returns,
                gross_spend: Vec::new(),
                refunds: Vec::new(),
                refund_count: Vec::new(),
            });
        }
    }

    fn push(&mut self, customer: u32, r: &SummaryRow) {
        self.customer.push(customer);
        self.frequency.push(r.frequency);
        self.recency.push(r.recency);
        self.age.push(r.age);
        self.monetary_value.push(r.monetary_value);
        if let Some(a) = self.activity.as_mut() {
            a.orders.push(r.orders);
            a.total_spend.push(r.total_spend);
            a.first_day.push(r.first_day);
            a.last_day.push(r.last_day);
            if let Some(f) = a.refunds.as_mut() {
                f.gross_spend.push(r.gross_spend);
                f.refunds.push(r.refunds);
                f.refund_count.push(r.refund_count);
            }
        }
    }

    /// Keeps the rows whose flag is set, in order.
    fn retain(&mut self, keep: &[bool]) {
        fn keep_rows<T: Copy>(v: &mut Vec<T>, keep: &[bool]) {
            let mut k = keep.iter();
            v.retain(|_| k.next().copied().unwrap_or(false));
        }
        keep_rows(&mut self.customer, keep);
        keep_rows(&mut self.frequency, keep);
        keep_rows(&mut self.recency, keep);
        keep_rows(&mut self.age, keep);
        keep_rows(&mut self.monetary_value, keep);
        if let Some(a) = self.activity.as_mut() {
            keep_rows(&mut a.orders, keep);
            keep_rows(&mut a.total_spend, keep);
            keep_rows(&mut a.first_day, keep);
            keep_rows(&mut a.last_day, keep);
            if let Some(f) = a.refunds.as_mut() {
                keep_rows(&mut f.gross_spend, keep);
                keep_rows(&mut f.refunds, keep);
                keep_rows(&mut f.refund_count, keep);
            }
        }
    }
}

/// Mutable views of a summary's columns over one range of customers, split in halves
/// for parallel filling.
struct ColumnsMut<'a> {
    frequency: &'a mut [f64],
    recency: &'a mut [f64],
    age: &'a mut [f64],
    monetary_value: &'a mut [f64],
    orders: &'a mut [u32],
    total_spend: &'a mut [f64],
    first_day: &'a mut [Day],
    last_day: &'a mut [Day],
    customer: &'a mut [u32],
}

impl<'a> ColumnsMut<'a> {
    #[cfg(feature = "parallel")]
    fn split_at(self, k: usize) -> (Self, Self) {
        let (f0, f1) = self.frequency.split_at_mut(k);
        let (r0, r1) = self.recency.split_at_mut(k);
        let (a0, a1) = self.age.split_at_mut(k);
        let (m0, m1) = self.monetary_value.split_at_mut(k);
        let (o0, o1) = self.orders.split_at_mut(k);
        let (t0, t1) = self.total_spend.split_at_mut(k);
        let (d0, d1) = self.first_day.split_at_mut(k);
        let (l0, l1) = self.last_day.split_at_mut(k);
        let (c0, c1) = self.customer.split_at_mut(k);
        (
            ColumnsMut {
                frequency: f0,
                recency: r0,
                age: a0,
                monetary_value: m0,
                orders: o0,
                total_spend: t0,
                first_day: d0,
                last_day: l0,
                customer: c0,
            },
            ColumnsMut {
                frequency: f1,
                recency: r1,
                age: a1,
                monetary_value: m1,
                orders: o1,
                total_spend: t1,
                first_day: d1,
                last_day: l1,
                customer: c1,
            },
        )
    }

    /// Writes row `offset + i` for every `i` in range, in parallel halves above a
    /// chunk size; returns the number of rows with orders (a customer without a
    /// purchase in the window gets [`Row::NONE`], 0 orders).
    fn fill<F>(self, offset: usize, row_of: &F) -> usize
    where
        F: Fn(usize) -> Row + Sync,
    {
        let len = self.customer.len();
        #[cfg(feature = "parallel")]
        if len > 16_384 {
            let mid = len / 2;
            let (lo, hi) = self.split_at(mid);
            let (a, b) = rayon::join(|| lo.fill(offset, row_of), || hi.fill(offset + mid, row_of));
            return a + b;
        }
        // Every column sliced to `len` up front: the row loop carries no bounds checks.
        let (frequency, recency, age) = (
            &mut self.frequency[..len],
            &mut self.recency[..len],
            &mut self.age[..len],
        );
        let (monetary_value, orders, total_spend) = (
            &mut self.monetary_value[..len],
            &mut self.orders[..len],
            &mut self.total_spend[..len],
        );
        let (first_day, last_day) = (&mut self.first_day[..len], &mut self.last_day[..len]);
        let mut written = 0;
        for (i, customer) in self.customer.iter_mut().enumerate() {
            let r = row_of(offset + i);
            *customer = (offset + i) as u32;
            frequency[i] = r.frequency;
            recency[i] = r.recency;
            age[i] = r.age;
            monetary_value[i] = r.monetary_value;
            orders[i] = r.orders;
            total_spend[i] = r.total_spend;
            first_day[i] = r.first_day;
            last_day[i] = r.last_day;
            written += usize::from(r.orders > 0);
        }
        written
    }
}

impl CustomerSummary {
    /// Makes every column `n` rows long for [`ColumnsMut::fill`] to overwrite: an
    /// allocation that is large enough is reused as it is (its old values are
    /// overwritten, not cleared first); otherwise the column is allocated zeroed, which
    /// fresh memory is for free.
    fn columns_mut(&mut self, n: usize, observation_end: Day) -> ColumnsMut<'_> {
        fn sized<T: Clone>(v: &mut Vec<T>, n: usize, zero: T) -> &mut [T] {
            if v.capacity() < n {
                *v = Vec::new();
                *v = vec![zero.clone(); n];
            }
            v.resize(n, zero);
            v
        }
        let a = self.activity.get_or_insert_with(|| Activity {
            orders: Vec::new(),
            total_spend: Vec::new(),
            first_day: Vec::new(),
            last_day: Vec::new(),
            observation_end,
            refunds: None,
        });
        a.observation_end = observation_end;
        a.refunds = None;
        ColumnsMut {
            frequency: sized(&mut self.frequency, n, 0.0),
            recency: sized(&mut self.recency, n, 0.0),
            age: sized(&mut self.age, n, 0.0),
            monetary_value: sized(&mut self.monetary_value, n, 0.0),
            orders: sized(&mut a.orders, n, 0),
            total_spend: sized(&mut a.total_spend, n, 0.0),
            first_day: sized(&mut a.first_day, n, Day(0)),
            last_day: sized(&mut a.last_day, n, Day(0)),
            customer: sized(&mut self.customer, n, 0),
        }
    }
}

/// The columns of one customer's row that [`ColumnsMut::fill`] writes: a
/// [`SummaryRow`] without its refund totals, small for the hot loop.
#[derive(Debug, Clone, Copy)]
struct Row {
    frequency: f64,
    recency: f64,
    age: f64,
    monetary_value: f64,
    orders: u32,
    total_spend: f64,
    first_day: Day,
    last_day: Day,
}

impl Row {
    /// The row of a customer without a purchase in the window: 0 orders (every real
    /// row has at least one), dropped before the summary is returned.
    const NONE: Self = Self {
        frequency: 0.0,
        recency: 0.0,
        age: 0.0,
        monetary_value: 0.0,
        orders: 0,
        total_spend: 0.0,
        first_day: Day(0),
        last_day: Day(0),
    };

    /// The one definition of a customer's summary from its window statistics.
    #[inline]
    fn from_window(s: &Stats, w: &Window) -> Self {
        let (scale, end_period) = (w.scale, w.end_period);
        let frequency = f64::from(s.periods - 1);
        Self {
            frequency,
            recency: (s.last_period - s.first_period) as f64 * scale,
            age: (end_period - s.first_period) as f64 * scale,
            monetary_value: if s.periods > 1 {
                from_micro(s.total_spend - s.first_period_spend) / frequency
            } else {
                0.0
            },
            orders: s.orders,
            total_spend: from_micro(s.total_spend),
            first_day: s.first_day,
            last_day: s.last_day,
        }
    }
}

/// The constants of one summary's window, computed once per call: the period
/// arithmetic (an `i64` division per use) stays off the per-customer path.
struct Window {
    origin: i64,
    period_days: i64,
    end_period: i64,
    /// The last day of the observation end's period.
    last_day: i64,
    scale: f64,
}

impl Window {
    fn new(params: &SummaryParams) -> Self {
        let end_period = params.period_of(params.observation_end);
        let period_days = i64::from(params.period_days.max(1));
        let origin = i64::from(params.origin.0);
        Self {
            origin,
            period_days,
            end_period,
            last_day: origin + (end_period + 1) * period_days - 1,
            scale: params.scale(),
        }
    }

    /// The period of a day, as [`SummaryParams::period_of`].
    #[inline]
    fn period(&self, day: Day) -> i64 {
        let d = i64::from(day.0) - self.origin;
        if self.period_days == 1 {
            d
        } else {
            d.div_euclid(self.period_days)
        }
    }
}

/// The window statistics of one customer's sorted rows: rows whose period is at most
/// `end_period`. `None` when the customer has no row in the window.
///
/// Branch-free over the rows: a row opens a new purchase period when its period
/// differs from the previous row's, and counts toward the first period's spend when
/// its period is the first.
#[inline]
fn window_stats(days: &[Day], amounts: &[f64], w: &Window) -> Option<Stats> {
    // Rows are sorted by day: usually all of them are in the window.
    let in_window = |d: &Day| i64::from(d.0) <= w.last_day;
    let n = match days.last() {
        Some(d) if in_window(d) => days.len(),
        _ => days.partition_point(in_window),
    };
    let (days, amounts) = (days.get(..n)?, amounts.get(..n)?);
    let (&first_day, &last_day) = (days.first()?, days.last()?);
    let first_period = w.period(first_day);
    let (mut last_period, mut periods) = (first_period, 1u32);
    let (mut first_period_spend, mut total_spend) = (0i128, 0i128);
    for (&d, &a) in days.iter().zip(amounts) {
        let p = w.period(d);
        periods += u32::from(p != last_period);
        last_period = p;
        let micro = to_micro(a);
        first_period_spend += if p == first_period { micro } else { 0 };
        total_spend += micro;
    }
    Some(Stats {
        first_period,
        last_period,
        periods,
        first_period_spend,
        total_spend,
        orders: n as u32,
        first_day,
        last_day,
    })
}

impl<C> TransactionLog<C> {
    /// Summarizes every customer with a purchase in the observation window
    /// (see the [module docs](crate::summary) for the definitions).
    ///
    /// Runs in one pass over the rows, in parallel over customers with the `parallel`
    /// feature; the result does not depend on the thread count.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero period or a non-positive time unit;
    /// [`Error::Empty`] when no customer has a purchase in the window.
    pub fn summarize(&self, params: &SummaryParams) -> Result<CustomerSummary> {
        let mut out = CustomerSummary::with_capacity(0, params.observation_end, params.unit_days());
        self.summarize_into(params, &mut out)?;
        Ok(out)
    }

    /// [`summarize`](Self::summarize) into an existing summary, reusing its column
    /// allocations: for summarizing again and again (a dashboard refresh, a sweep over
    /// observation ends) without allocating and faulting in fresh memory each time.
    /// `out`'s previous contents are replaced; on error it is left as it was.
    ///
    /// # Errors
    /// As [`summarize`](Self::summarize).
    ///
    /// ```
    /// use patronage::transactions::{Day, Transaction, TransactionLog};
    /// use patronage::summary::SummaryParams;
    /// let t = |c: u32, d: i32| Transaction { customer: c, day: Day(d), amount: 1.0 };
    /// let log = TransactionLog::new(&[t(1, 0), t(1, 7), t(2, 14)])?;
    /// let mut summary = log.summarize(&SummaryParams::new(Day(10)))?;
    /// assert_eq!(summary.len(), 1); // customer 2 buys after day 10
    /// for end in [20, 30] {
    ///     log.summarize_into(&SummaryParams::new(Day(end)), &mut summary)?;
    ///     assert_eq!(summary.len(), 2);
    ///     assert_eq!(summary.age(), &[f64::from(end), f64::from(end - 14)]);
    /// }
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn summarize_into(&self, params: &SummaryParams, out: &mut CustomerSummary) -> Result<()> {
        params.validate()?;
        if self.returns() != Returns::Reject {
            return self.summarize_refunds_into(params, out);
        }
        let n = self.n_customers();
        // Borrow the columns alone: the ids need not be Sync.
        let (offsets, days, amounts) = (self.offsets(), self.days(), self.amounts());
        let window = Window::new(params);
        // A customer's rows are sorted, so it is in the window when its first row is.
        let in_window = |c: usize| {
            let first = offsets.get(c).and_then(|&o| days.get(o as usize));
            first.is_some_and(|d| i64::from(d.0) <= window.last_day)
        };
        if !(0..n).any(in_window) {
            return Err(Error::Empty {
                field: "transactions in the observation window",
            });
        }
        // Every customer's row is written (0 orders for one without a purchase in the
        // window, dropped afterwards). Each row depends on its customer alone, so the
        // result does not depend on how the work is split.
        let row_of = |c: usize| {
            let rows = offsets[c] as usize..offsets[c + 1] as usize;
            window_stats(&days[rows.clone()], &amounts[rows], &window)
                .map_or(Row::NONE, |s| Row::from_window(&s, &window))
        };
        out.time_unit_days = params.unit_days();
        let written = out.columns_mut(n, params.observation_end).fill(0, &row_of);
        if written < n {
            let keep: Vec<bool> = out
                .orders()
                .map_or_else(Vec::new, |o| o.iter().map(|&k| k > 0).collect());
            out.retain(&keep);
        }
        Ok(())
    }

    /// [`summarize_into`](Self::summarize_into) for a log that accepts refunds.
    fn summarize_refunds_into(
        &self,
        params: &SummaryParams,
        out: &mut CustomerSummary,
    ) -> Result<()> {
        let n = self.n_customers();
        let (offsets, days, amounts) = (self.offsets(), self.days(), self.amounts());
        let window = Window::new(params);
        let returns = self.returns();
        let row_of = |c: usize| {
            let rows = offsets[c] as usize..offsets[c + 1] as usize;
            window_stats_returns(&days[rows.clone()], &amounts[rows], &window, returns)
                .map(|s| SummaryRow::from_refunds(&s, &window))
        };
        #[cfg(feature = "parallel")]
        let rows: Vec<Option<SummaryRow>> = {
            use rayon::prelude::*;
            (0..n).into_par_iter().map(row_of).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let rows: Vec<Option<SummaryRow>> = (0..n).map(row_of).collect();
        if rows.iter().all(Option::is_none) {
            return Err(Error::Empty {
                field: "purchases in the observation window",
            });
        }
        out.time_unit_days = params.unit_days();
        let row_at = |c: usize| {
            rows.get(c)
                .and_then(Option::as_ref)
                .map_or(Row::NONE, SummaryRow::row)
        };
        let written = out.columns_mut(n, params.observation_end).fill(0, &row_at);
        out.set_returns(returns);
        if let Some(f) = out.activity.as_mut().and_then(|a| a.refunds.as_mut()) {
            let column = |get: fn(&SummaryRow) -> f64| -> Vec<f64> {
                rows.iter().map(|r| r.as_ref().map_or(0.0, get)).collect()
            };
            f.gross_spend = column(|r| r.gross_spend);
            f.refunds = column(|r| r.refunds);
            f.refund_count = rows
                .iter()
                .map(|r| r.as_ref().map_or(0, |r| r.refund_count))
                .collect();
        }
        if written < n {
            let keep: Vec<bool> = rows.iter().map(Option::is_some).collect();
            out.retain(&keep);
        }
        Ok(())
    }

    /// Splits history at `calibration.observation_end()`: the calibration summary, and
    /// for each of its customers the purchases in the holdout window, the periods after
    /// the calibration end's period up to and including `holdout_end`'s period.
    ///
    /// # Errors
    /// As [`summarize`](Self::summarize), and [`Error::InvalidParameter`] when
    /// `holdout_end`'s period is not after the calibration end's.
    ///
    /// ```
    /// use patronage::transactions::{Day, Transaction, TransactionLog};
    /// use patronage::summary::SummaryParams;
    /// let t = |d: i32, a: f64| Transaction { customer: 1u8, day: Day(d), amount: a };
    /// let log = TransactionLog::new(&[t(0, 5.0), t(3, 5.0), t(12, 7.0), t(12, 1.0), t(15, 2.0)])?;
    /// let split = log.calibration_holdout(&SummaryParams::new(Day(9)), Day(20))?;
    /// assert_eq!(split.calibration.frequency(), &[1.0]);
    /// assert_eq!(split.frequency_holdout, vec![2.0]); // days 12 and 15
    /// assert_eq!(split.monetary_value_holdout, vec![5.0]); // (8 + 2) / 2
    /// assert_eq!(split.duration_holdout, patronage::Horizon::days(11.0));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn calibration_holdout(
        &self,
        calibration: &SummaryParams,
        holdout_end: Day,
    ) -> Result<CalibrationHoldout> {
        let calibration_summary = self.summarize(calibration)?;
        let cal_period = calibration.period_of(calibration.observation_end);
        let end_period = calibration.period_of(holdout_end);
        if end_period <= cal_period {
            return Err(Error::InvalidParameter {
                name: "holdout_end",
                value: format!("{}", holdout_end.0),
                reason: "the holdout must end in a period after the calibration end".into(),
            });
        }
        let n = calibration_summary.len();
        let mut frequency_holdout = Vec::with_capacity(n);
        let mut monetary_value_holdout = Vec::with_capacity(n);
        for &c in calibration_summary.customer() {
            let (days, amounts) = self.customer_rows(c);
            let lo = days.partition_point(|&d| calibration.period_of(d) <= cal_period);
            let hi = days.partition_point(|&d| calibration.period_of(d) <= end_period);
            if self.returns() != Returns::Reject {
                let (f, m) = holdout_with_refunds(
                    &days[lo..hi],
                    &amounts[lo..hi],
                    calibration,
                    self.returns(),
                );
                frequency_holdout.push(f);
                monetary_value_holdout.push(m);
                continue;
            }
            let mut periods = 0u32;
            let mut last = i64::MIN;
            let mut spend: i128 = 0;
            for (&d, &a) in days[lo..hi].iter().zip(&amounts[lo..hi]) {
                let p = calibration.period_of(d);
                if p != last {
                    periods += 1;
                    last = p;
                }
                spend += to_micro(a);
            }
            frequency_holdout.push(f64::from(periods));
            monetary_value_holdout.push(if periods > 0 {
                from_micro(spend) / f64::from(periods)
            } else {
                0.0
            });
        }
        Ok(CalibrationHoldout {
            calibration: calibration_summary,
            frequency_holdout,
            monetary_value_holdout,
            duration_holdout: crate::Horizon::days(
                (end_period - cal_period) as f64 * f64::from(calibration.period_days),
            ),
        })
    }
}

/// A customer's holdout purchase periods and mean spend per purchase period under a
/// policy that accepts refunds (the calibration summary's definitions, in the holdout
/// window).
fn holdout_with_refunds(
    days: &[Day],
    amounts: &[f64],
    params: &SummaryParams,
    returns: Returns,
) -> (f64, f64) {
    let (mut periods, mut spend, mut gross, mut refunds) = (0u32, 0i128, 0i128, 0i128);
    for g in crate::refunds::groups(days, amounts, |d| params.period_of(d)) {
        gross += g.gross;
        refunds += g.refunds;
        if g.is_purchase(returns) {
            periods += 1;
            spend += g.spend(returns);
        }
    }
    if periods == 0 {
        return (0.0, 0.0);
    }
    let mut mean = from_micro(spend) / f64::from(periods);
    if returns == Returns::Separate && refunds > 0 {
        mean *= if gross > 0 {
            from_micro((gross - refunds).max(0)) / from_micro(gross)
        } else {
            0.0
        };
    }
    (f64::from(periods), mean)
}

/// A calibration summary and each calibration customer's holdout purchases
/// (lifetimes' `calibration_and_holdout_data`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CalibrationHoldout {
    /// The summary at the calibration end.
    pub calibration: CustomerSummary,
    /// Purchase periods in the holdout window, aligned with `calibration`'s rows (for a
    /// log with refunds, the policy's purchase periods, and their spend as in the
    /// summary: net under [`Returns::Net`], scaled by 1 - the holdout window's refund
    /// rate under [`Returns::Separate`]; see the
    /// [module docs](crate::summary#returns-and-refunds)).
    pub frequency_holdout: Vec<f64>,
    /// Mean spend per holdout purchase period (0 without holdout purchases), as
    /// pymc-marketing's `test_monetary_value`. (lifetimes' `calibration_and_holdout_data`
    /// averages per order instead, unlike its own calibration monetary value.)
    pub monetary_value_holdout: Vec<f64>,
    /// Length of the holdout window.
    pub duration_holdout: crate::Horizon,
}

/// One customer's finished summary (see [`PartialSummary::finish`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SummaryRow {
    /// Repeat purchase periods.
    pub frequency: f64,
    /// Time from first to last purchase period, in time units.
    pub recency: f64,
    /// T, in time units.
    pub age: f64,
    /// Mean spend of repeat purchase periods.
    pub monetary_value: f64,
    /// Orders in the window.
    pub orders: u32,
    /// Total spend in the window.
    pub total_spend: f64,
    /// First purchase day.
    pub first_day: Day,
    /// Last purchase day in the window.
    pub last_day: Day,
    /// Gross spend in the window (purchase rows; `total_spend` when there are no
    /// refunds).
    pub gross_spend: f64,
    /// Refunded amount in the window (`>= 0`; 0 under [`Returns::Reject`]).
    pub refunds: f64,
    /// Refund rows in the window.
    pub refund_count: u32,
}

impl SummaryRow {
    /// The one definition of a customer's summary from its window statistics.
    fn from_stats(s: &Stats, params: &SummaryParams) -> Self {
        Self::from_window(s, &Window::new(params))
    }

    fn from_window(s: &Stats, w: &Window) -> Self {
        let r = Row::from_window(s, w);
        Self {
            frequency: r.frequency,
            recency: r.recency,
            age: r.age,
            monetary_value: r.monetary_value,
            orders: r.orders,
            total_spend: r.total_spend,
            first_day: r.first_day,
            last_day: r.last_day,
            gross_spend: r.total_spend,
            refunds: 0.0,
            refund_count: 0,
        }
    }

    /// The columns [`ColumnsMut::fill`] writes.
    fn row(&self) -> Row {
        Row {
            frequency: self.frequency,
            recency: self.recency,
            age: self.age,
            monetary_value: self.monetary_value,
            orders: self.orders,
            total_spend: self.total_spend,
            first_day: self.first_day,
            last_day: self.last_day,
        }
    }

    /// The one definition of a customer's summary under a policy that accepts refunds
    /// (see the [module docs](crate::summary#returns-and-refunds)).
    fn from_refunds(r: &RefundStats, w: &Window) -> Self {
        let s = &r.stats;
        let mut row = Self::from_window(s, w);
        let frequency = f64::from(s.periods - 1);
        if s.periods > 1 && r.returns == Returns::Separate && r.refunds > 0 {
            // Refunds allocated to purchases in proportion to spend: the repeat spend
            // scaled by 1 - refund rate (the rate capped at 1).
            let kept = if r.gross > 0 {
                from_micro((r.gross - r.refunds).max(0)) / from_micro(r.gross)
            } else {
                0.0
            };
            row.monetary_value =
                from_micro(s.total_spend - s.first_period_spend) * kept / frequency;
        }
        row.total_spend = from_micro(r.gross - r.refunds);
        row.gross_spend = from_micro(r.gross);
        row.refunds = from_micro(r.refunds);
        row.refund_count = r.refund_count;
        row
    }
}

/// A customer's window statistics under a policy that accepts refunds: `stats` over
/// its purchase periods (their spend net of refunds under [`Returns::Net`]; `orders`
/// counts every purchase row in the window), and its totals in the window.
#[derive(Debug, Clone, Copy)]
struct RefundStats {
    stats: Stats,
    gross: i128,
    refunds: i128,
    refund_count: u32,
    returns: Returns,
}

/// [`window_stats`] under a policy that accepts refunds. `None` when the customer has
/// no purchase period in the window.
fn window_stats_returns(
    days: &[Day],
    amounts: &[f64],
    w: &Window,
    returns: Returns,
) -> Option<RefundStats> {
    let n = days.partition_point(|d| i64::from(d.0) <= w.last_day);
    let (days, amounts) = (days.get(..n)?, amounts.get(..n)?);
    let mut first: Option<(i64, i128, Day)> = None;
    let (mut last_period, mut last_day, mut periods, mut total) = (0i64, Day(0), 0u32, 0i128);
    let (mut gross, mut refunds, mut orders, mut refund_count) = (0i128, 0i128, 0u32, 0u32);
    for g in crate::refunds::groups(days, amounts, |d| w.period(d)) {
        gross += g.gross;
        refunds += g.refunds;
        orders += g.purchases;
        refund_count += g.refund_rows;
        if g.is_purchase(returns) {
            let spend = g.spend(returns);
            if first.is_none() {
                first = Some((g.key, spend, g.first_day));
            }
            last_period = g.key;
            last_day = g.last_day;
            periods += 1;
            total += spend;
        }
    }
    let (first_period, first_period_spend, first_day) = first?;
    Some(RefundStats {
        stats: Stats {
            first_period,
            last_period,
            periods,
            first_period_spend,
            total_spend: total,
            orders,
            first_day,
            last_day,
        },
        gross,
        refunds,
        refund_count,
        returns,
    })
}

mod partial;
pub use partial::{PERIOD_SPEND_CAP, PartialSummary, PartialSummaryParts};
