//! Regular time series, and building them from a transaction log.
//!
//! A [`Series`] is a validated vector of finite observations at a regular interval,
//! with its seasonal period `m` (observations per seasonal cycle: 12 for months, 52 for
//! weeks, 7 for days; 1 for none) and, when it was built from a log, the calendar
//! position of its first observation.
//!
//! The builders ([`revenue`], [`orders`], [`active_customers`], [`new_customers`]) cover
//! every period from the one holding the log's first purchase to the one holding its
//! last: periods without purchases are zeros, never skipped. The last period may be
//! partial (the log can end mid-week); drop it with [`Series::head`] when it is.
//! Periods are the crate's [`Period`]: weeks start on Monday; months and quarters are
//! calendar ones.
//!
//! In a log built with a [`Returns`] policy that accepts refunds,
//! revenue is net of refunds (every row's amount, in the period of its day; it can be
//! negative), orders count purchase rows only, and active and new customers follow the
//! policy's purchase days (see [`summary`](crate::summary#returns-and-refunds)): a
//! customer who only refunds is never new or active.
//!
//! ```
//! use patronage::{Day, Transaction, TransactionLog};
//! use patronage::forecast::series::{revenue, Period};
//! // from_ymd only fails on invalid dates; the 10th of these months is valid.
//! let t = |c: u8, y: i32, m: u32, amount: f64| Transaction { customer: c, day: Day::from_ymd(y, m, 10).unwrap(), amount };
//! let log = TransactionLog::new(&[t(1, 2024, 1, 5.0), t(2, 2024, 1, 7.0), t(1, 2024, 4, 3.0)])?;
//! let monthly = revenue(&log, Period::Month)?;
//! assert_eq!(monthly.values(), &[12.0, 0.0, 0.0, 3.0]);
//! assert_eq!(monthly.season_length(), 12);
//! assert_eq!(monthly.label(1), "2024-02");
//! let quarterly = revenue(&log, Period::Quarter)?;
//! assert_eq!((quarterly.values(), quarterly.season_length()), (&[12.0, 3.0][..], 4));
//! assert_eq!(quarterly.label(1), "2024-Q2");
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
pub use crate::period::Period;
use crate::transactions::{Day, Returns, TransactionLog};

/// A regular series of finite observations (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Series {
    values: Vec<f64>,
    season_length: usize,
    calendar: Option<(Period, i32)>,
}

impl Series {
    /// A series of `values` with seasonal period `season_length` (1 for a series
    /// without seasonality).
    ///
    /// # Errors
    /// [`Error::Empty`] for no values, [`Error::NonFinite`] naming the first NaN or
    /// infinite value, [`Error::InvalidParameter`] for `season_length` 0.
    ///
    /// ```
    /// use patronage::forecast::Series;
    /// let s = Series::new(&[112.0, 118.0, 132.0], 12)?;
    /// assert_eq!(s.len(), 3);
    /// assert!(matches!(Series::new(&[1.0, f64::NAN], 1), Err(patronage::Error::NonFinite { row: 1, .. })));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn new(values: &[f64], season_length: usize) -> Result<Series> {
        if values.is_empty() {
            return Err(Error::Empty { field: "series" });
        }
        if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: "series",
                row,
                value,
            });
        }
        if season_length == 0 {
            return Err(Error::InvalidParameter {
                name: "season_length",
                value: "0".into(),
                reason: "use 1 for a series without seasonality".into(),
            });
        }
        Ok(Series {
            values: values.to_vec(),
            season_length,
            calendar: None,
        })
    }

    /// The observations.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always `false`: a series holds at least one observation.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The seasonal period `m`.
    pub fn season_length(&self) -> usize {
        self.season_length
    }

    /// The same observations with another seasonal period.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for 0.
    pub fn with_season_length(&self, season_length: usize) -> Result<Series> {
        let mut s = Series::new(&self.values, season_length)?;
        s.calendar = self.calendar;
        Ok(s)
    }

    /// The calendar unit, when the series was built from a log.
    pub fn period(&self) -> Option<Period> {
        self.calendar.map(|(p, _)| p)
    }

    /// The first day of observation `i`'s period, when the series was built from a log.
    pub fn day(&self, i: usize) -> Option<Day> {
        let (period, first) = self.calendar?;
        // Indices beyond any representable period have no calendar day.
        let index = first.checked_add(i32::try_from(i).ok()?)?;
        Some(period.start_day(index))
    }

    /// A label for observation `i`: its period's [`Period::label`] (`2024-02` for a
    /// month, `week of 2024-02-05`, `2024-Q1`, the day for days), or the index itself
    /// for a series without a calendar or past the calendar's range.
    pub fn label(&self, i: usize) -> String {
        match self.calendar {
            Some((period, first)) => i32::try_from(i)
                .ok()
                .and_then(|i| first.checked_add(i))
                .map_or_else(|| i.to_string(), |index| period.label(index)),
            None => i.to_string(),
        }
    }

    /// The first `n` observations (all of them when `n >= len`).
    ///
    /// # Errors
    /// [`Error::Empty`] for `n = 0`.
    pub fn head(&self, n: usize) -> Result<Series> {
        self.slice(0, n.min(self.len()))
    }

    /// Observations `start..end`, keeping the calendar.
    ///
    /// # Errors
    /// [`Error::Empty`] when the range is empty or outside the series.
    pub fn slice(&self, start: usize, end: usize) -> Result<Series> {
        if start >= end || end > self.len() {
            return Err(Error::Empty { field: "series" });
        }
        Ok(Series {
            values: self.values[start..end].to_vec(),
            season_length: self.season_length,
            calendar: self.calendar.map(|(p, first)| (p, first + start as i32)),
        })
    }

    /// The natural logarithm of every observation (for models of growth rates; undo with
    /// `exp` on the forecasts).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the first value that is not positive.
    pub fn ln(&self) -> Result<Series> {
        if let Some((row, &value)) = self.values.iter().enumerate().find(|(_, v)| **v <= 0.0) {
            return Err(Error::InvalidValue {
                field: "series",
                row,
                value,
                reason: "the logarithm needs positive values".into(),
            });
        }
        Ok(Series {
            values: self.values.iter().map(|v| v.ln()).collect(),
            season_length: self.season_length,
            calendar: self.calendar,
        })
    }
}

/// What a log-derived series counts per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Sum of amounts (net of refunds).
    Revenue,
    /// Number of transaction rows (purchase rows: refunds are not orders).
    Orders,
    /// Distinct customers with at least one purchase in the period.
    ActiveCustomers,
    /// Customers whose first purchase falls in the period.
    NewCustomers,
}

/// Most periods a series from a log may span: 1,000,000 (2,700 years of days), so an
/// outlier date in a log is a typed error rather than a series too large for memory.
pub const MAX_PERIODS: usize = 1_000_000;

/// A series of `measure` per `period` over the whole log (see the [module docs](self)).
///
/// # Errors
/// [`Error::LimitExceeded`] when the log spans more than [`MAX_PERIODS`] periods.
pub fn aggregate<C>(log: &TransactionLog<C>, period: Period, measure: Measure) -> Result<Series> {
    let first = period.index(log.first_day());
    let width = i64::from(period.index(log.last_day())) - i64::from(first) + 1;
    Error::check_limit(
        "periods spanned by the log",
        width,
        MAX_PERIODS,
        "check the log for an outlier date, or use a longer period",
    )?;
    let width = width as usize;
    let mut values = vec![0.0; width];
    let (offsets, days, amounts) = (log.offsets(), log.days(), log.amounts());
    let slot = |d: Day| (period.index(d) - first) as usize;
    match measure {
        Measure::Revenue => {
            for (&d, &a) in days.iter().zip(amounts) {
                values[slot(d)] += a;
            }
        }
        Measure::Orders => {
            for (&d, &a) in days.iter().zip(amounts) {
                if a >= 0.0 {
                    values[slot(d)] += 1.0;
                }
            }
        }
        Measure::ActiveCustomers | Measure::NewCustomers if log.returns() != Returns::Reject => {
            for c in 0..log.n_customers() {
                let rows = offsets[c] as usize..offsets[c + 1] as usize;
                let mut purchases = crate::refunds::purchase_days(
                    &days[rows.clone()],
                    &amounts[rows],
                    log.returns(),
                );
                if measure == Measure::NewCustomers {
                    if let Some(d) = purchases.next() {
                        values[slot(d)] += 1.0;
                    }
                    continue;
                }
                let mut prev = usize::MAX;
                for p in purchases.map(slot) {
                    if p != prev {
                        values[p] += 1.0;
                        prev = p;
                    }
                }
            }
        }
        Measure::ActiveCustomers => {
            for c in 0..log.n_customers() {
                let mut prev = usize::MAX;
                for &d in &days[offsets[c] as usize..offsets[c + 1] as usize] {
                    let p = slot(d);
                    if p != prev {
                        values[p] += 1.0;
                        prev = p;
                    }
                }
            }
        }
        Measure::NewCustomers => {
            for c in 0..log.n_customers() {
                values[slot(days[offsets[c] as usize])] += 1.0;
            }
        }
    }
    Ok(Series {
        values,
        season_length: period.season_length(),
        calendar: Some((period, first)),
    })
}

/// Revenue (sum of amounts, net of refunds) per period.
///
/// # Errors
/// See [`aggregate`].
pub fn revenue<C>(log: &TransactionLog<C>, period: Period) -> Result<Series> {
    aggregate(log, period, Measure::Revenue)
}

/// Orders (transaction rows) per period.
///
/// # Errors
/// See [`aggregate`].
pub fn orders<C>(log: &TransactionLog<C>, period: Period) -> Result<Series> {
    aggregate(log, period, Measure::Orders)
}

/// Distinct purchasing customers per period.
///
/// # Errors
/// See [`aggregate`].
pub fn active_customers<C>(log: &TransactionLog<C>, period: Period) -> Result<Series> {
    aggregate(log, period, Measure::ActiveCustomers)
}

/// Customers making their first purchase per period.
///
/// # Errors
/// See [`aggregate`].
pub fn new_customers<C>(log: &TransactionLog<C>, period: Period) -> Result<Series> {
    aggregate(log, period, Measure::NewCustomers)
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::transactions::Transaction;

    #[test]
    fn weekly_measures_fill_gaps_with_zeros() {
        // Monday 2024-01-01, two weeks later, same customer twice in week 0.
        let d = |y, m, dd| Day::from_ymd(y, m, dd).unwrap();
        let rows = [
            Transaction {
                customer: 1u32,
                day: d(2024, 1, 1),
                amount: 2.0,
            },
            Transaction {
                customer: 1,
                day: d(2024, 1, 7),
                amount: 3.0,
            },
            Transaction {
                customer: 2,
                day: d(2024, 1, 15),
                amount: 4.0,
            },
            Transaction {
                customer: 1,
                day: d(2024, 1, 16),
                amount: 1.0,
            },
        ];
        let log = TransactionLog::new(&rows).unwrap();
        assert_eq!(
            revenue(&log, Period::Week).unwrap().values(),
            &[5.0, 0.0, 5.0]
        );
        assert_eq!(
            orders(&log, Period::Week).unwrap().values(),
            &[2.0, 0.0, 2.0]
        );
        assert_eq!(
            active_customers(&log, Period::Week).unwrap().values(),
            &[1.0, 0.0, 2.0]
        );
        assert_eq!(
            new_customers(&log, Period::Week).unwrap().values(),
            &[1.0, 0.0, 1.0]
        );
        let s = revenue(&log, Period::Week).unwrap();
        assert_eq!(s.label(2), "week of 2024-01-15");
        assert_eq!(s.slice(1, 3).unwrap().label(0), "week of 2024-01-08");
        assert_eq!(revenue(&log, Period::Day).unwrap().len(), 16);
        // Positions no calendar can hold fall back to the index, without overflow.
        assert_eq!(s.label(usize::MAX), usize::MAX.to_string());
        assert_eq!(s.day(usize::MAX), None);
    }
}
