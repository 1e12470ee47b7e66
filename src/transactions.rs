//! Typed purchase history: [`Day`], [`Transaction`] and the validated, columnar
//! [`TransactionLog`].
//!
//! Callers hand in rows in any order; [`TransactionLog::new`] validates them once
//! (finite, non-negative amounts of at most [`MAX_AMOUNT`]), interns customer ids of any
//! `Eq + Hash + Clone` type to dense `u32` indices in first-seen order, and sorts the rows
//! by customer, then day, then amount. Every later stage reads the log, never the rows.
//!
//! ```
//! use patronage::transactions::{Day, Transaction, TransactionLog};
//!
//! let rows = vec![
//!     Transaction { customer: "ann", day: Day::from_ymd(2024, 3, 1)?, amount: 20.0 },
//!     Transaction { customer: "bob", day: Day::from_ymd(2024, 1, 5)?, amount: 5.0 },
//!     Transaction { customer: "ann", day: Day::from_ymd(2024, 1, 9)?, amount: 12.5 },
//! ];
//! let log = TransactionLog::new(&rows)?;
//! assert_eq!((log.n_customers(), log.n_rows()), (2, 3));
//! let ann = log.customer_index(&"ann").unwrap(); // "ann" has rows above
//! let (days, amounts) = log.customer_rows(ann);
//! assert_eq!(days[0].to_ymd(), (2024, 1, 9)); // sorted by day
//! assert_eq!(amounts, &[12.5, 20.0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use std::hash::Hash;
use std::ops::{Add, Sub};

use crate::error::{Error, Result};
use crate::hashing::{IdIndex, KeyedState, Partition};
use crate::kernels::{gather_runs, group_offsets};

/// A calendar day, as a count of days since an epoch.
///
/// The calendar conversions ([`Day::from_ymd`], [`Day::to_ymd`]) use 1970-01-01 as
/// day 0 (proleptic Gregorian calendar). Callers who never convert may use any epoch.
///
/// With the `chrono` or `jiff` feature, `Day::from` takes those crates' dates and
/// date-times (the calendar day in the date-time's own zone), and `TryFrom<Day>` gives
/// their dates back (an error beyond their ranges).
///
/// ```
/// use patronage::transactions::Day;
/// let d = Day::from_ymd(1997, 1, 1)?;
/// assert_eq!(d, Day(9862));
/// assert_eq!((d + 31).to_ymd(), (1997, 2, 1));
/// assert_eq!(Day::from_ymd(1997, 9, 30)? - d, 272);
/// assert_eq!(d.to_string(), "1997-01-01");
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Day(pub i32);

impl Day {
    /// The day of a calendar date (proleptic Gregorian, 1970-01-01 is `Day(0)`).
    ///
    /// # Errors
    /// [`Error::InvalidDate`] when the month is not 1..=12, the day does not exist in that
    /// month, or the year is outside -1,000,000..=1,000,000.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Day> {
        let bad = Error::InvalidDate { year, month, day };
        if !(1..=12).contains(&month) || !(-1_000_000..=1_000_000).contains(&year) {
            return Err(bad);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(bad);
        }
        Ok(Self::civil(year, month, day))
    }

    /// The day of a valid date with a year in -1,000,000..=1,000,000 (checked by the
    /// callers): Howard Hinnant's days_from_civil.
    fn civil(year: i32, month: u32, day: u32) -> Day {
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        // |days| < 366 * 1e6 fits in i32.
        Day(days as i32)
    }

    /// The calendar date `(year, month, day)` of this day.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y as i32, m, d)
    }

    /// The calendar month of this day as a running count, `year * 12 + (month - 1)`:
    /// consecutive months differ by one, so it indexes monthly periods.
    ///
    /// ```
    /// use patronage::transactions::Day;
    /// let jan = Day::from_ymd(1997, 1, 31)?.month_index();
    /// assert_eq!(Day::from_ymd(1997, 2, 1)?.month_index(), jan + 1);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn month_index(self) -> i32 {
        let (y, m, _) = self.to_ymd();
        y * 12 + m as i32 - 1
    }

    /// Days from `earlier` to `self` (negative when `earlier` is the later day), exact
    /// for any two days. `self - earlier` gives the same as an `i32`, which overflows
    /// for days more than `i32::MAX` apart (as integer subtraction does).
    ///
    /// ```
    /// use patronage::Day;
    /// assert_eq!(Day(10).days_since(Day(3)), 7);
    /// assert_eq!(Day(i32::MAX).days_since(Day(i32::MIN)), (1i64 << 32) - 1);
    /// ```
    pub fn days_since(self, earlier: Day) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `Day` from and into `chrono`'s dates (feature `chrono`): a `NaiveDate`, a
/// `NaiveDateTime`'s date, or a `DateTime`'s calendar day in its own time zone. chrono
/// reaches about 262,000 years either side of year 0, inside `Day`'s range, so only the
/// way back can fail.
#[cfg(feature = "chrono")]
mod chrono_days {
    use super::Day;
    use crate::error::Error;
    use chrono::Datelike;

    impl From<chrono::NaiveDate> for Day {
        fn from(date: chrono::NaiveDate) -> Day {
            Day::civil(date.year(), date.month(), date.day())
        }
    }

    impl From<chrono::NaiveDateTime> for Day {
        /// The calendar day of the date-time.
        fn from(at: chrono::NaiveDateTime) -> Day {
            Day::from(at.date())
        }
    }

    impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for Day {
        /// The calendar day in the date-time's own time zone (convert it with
        /// `with_timezone` first for another zone's day).
        fn from(at: chrono::DateTime<Tz>) -> Day {
            Day::from(at.date_naive())
        }
    }

    impl TryFrom<Day> for chrono::NaiveDate {
        type Error = Error;

        /// # Errors
        /// [`Error::InvalidDate`] for a day beyond chrono's range.
        fn try_from(day: Day) -> Result<Self, Error> {
            let (year, month, d) = day.to_ymd();
            chrono::NaiveDate::from_ymd_opt(year, month, d).ok_or(Error::InvalidDate {
                year,
                month,
                day: d,
            })
        }
    }
}

/// `Day` from and into `jiff`'s civil dates (feature `jiff`): a `civil::Date`, a
/// `civil::DateTime`'s date, or a `ZonedDateTime`'s calendar day in its own time zone. jiff's
/// years are -9999..=9999, so only the way back can fail.
#[cfg(feature = "jiff")]
mod jiff_days {
    use super::Day;
    use crate::error::Error;

    impl From<jiff::civil::Date> for Day {
        fn from(date: jiff::civil::Date) -> Day {
            // Years of jiff's range, months 1..=12 and valid days: checked by jiff.
            Day::civil(
                i32::from(date.year()),
                date.month().unsigned_abs().into(),
                date.day().unsigned_abs().into(),
            )
        }
    }

    impl From<jiff::civil::DateTime> for Day {
        /// The calendar day of the date-time.
        fn from(at: jiff::civil::DateTime) -> Day {
            Day::from(at.date())
        }
    }

    impl From<&jiff::ZonedDateTime> for Day {
        /// The calendar day in the zoned date-time's own time zone.
        fn from(at: &jiff::ZonedDateTime) -> Day {
            Day::from(at.date())
        }
    }

    impl TryFrom<Day> for jiff::civil::Date {
        type Error = Error;

        /// # Errors
        /// [`Error::InvalidDate`] for a day beyond jiff's years -9999..=9999.
        fn try_from(day: Day) -> Result<Self, Error> {
            let (year, month, d) = day.to_ymd();
            let bad = Error::InvalidDate {
                year,
                month,
                day: d,
            };
            let year = i16::try_from(year).map_err(|_| bad.clone())?;
            // Months 1..=12 and days 1..=31 fit i8.
            jiff::civil::Date::new(year, month as i8, d as i8).map_err(|_| bad)
        }
    }
}

impl std::fmt::Display for Day {
    /// The calendar date, ISO 8601 (`1997-01-01`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Add<i32> for Day {
    type Output = Day;
    fn add(self, days: i32) -> Day {
        Day(self.0 + days)
    }
}

impl Sub<i32> for Day {
    type Output = Day;
    fn sub(self, days: i32) -> Day {
        Day(self.0 - days)
    }
}

impl Sub for Day {
    type Output = i32;
    /// The number of days from `rhs` to `self`; overflows (panics in debug builds) for
    /// days more than `i32::MAX` apart: [`Day::days_since`] is exact.
    fn sub(self, rhs: Day) -> i32 {
        self.0 - rhs.0
    }
}

/// One purchase: who, when, how much.
///
/// `C` is the caller's customer id type (`u64`, `String`, `&str`, ...).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transaction<C> {
    /// The customer's id.
    pub customer: C,
    /// The day of the purchase.
    pub day: Day,
    /// The amount spent (currency units; zero allowed; a negative amount is a refund,
    /// rejected unless the log is built with a [`Returns`] policy).
    pub amount: f64,
}

/// The largest amount a row may carry (one trillion currency units). Sums of money are
/// kept exactly in integer micro-units (see [`crate::summary`]), which bounds a single
/// amount.
pub const MAX_AMOUNT: f64 = 1e12;

/// What a [`TransactionLog`] does with negative amounts: refunds and returns.
///
/// Frequency, recency, T and monetary value under each policy are defined in
/// [`crate::summary`]'s module documentation. With no negative amount in the rows, every
/// policy gives the same log and the same results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Returns {
    /// A negative amount is an error ([`Error::Refund`], naming its row). The default.
    #[default]
    Reject,
    /// A refund is subtracted from the customer's spend of the same period (a day with
    /// the default one-day period): a period whose refunds bring its net spend to zero
    /// or below is not a purchase (a period with purchases and no refund still is, free
    /// orders included), and totals report gross spend, refunds and net spend.
    Net,
    /// Refunds are kept apart from purchases: every period with a purchase row (an
    /// amount >= 0) is a purchase, refunds are totalled per customer, and monetary value
    /// is net of the customer's refund rate (refunds / gross spend, capped at 1).
    Separate,
}

/// How rows become a [`TransactionLog`]: the [`Returns`] policy for negative amounts.
///
/// ```
/// use patronage::transactions::{LogParams, Returns};
/// use patronage::{Day, Transaction, TransactionLog};
/// let rows = [
///     Transaction { customer: 1, day: Day(0), amount: 30.0 },
///     Transaction { customer: 1, day: Day(0), amount: -10.0 }, // a refund
/// ];
/// assert!(matches!(TransactionLog::new(&rows), Err(patronage::Error::Refund { row: 1, .. })));
/// let log = LogParams::new().returns(Returns::Net).log(&rows)?;
/// assert_eq!(log.returns(), Returns::Net);
/// assert_eq!(log.customer_rows(0).1, &[-10.0, 30.0]); // refunds sort first within a day
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogParams {
    /// What negative amounts mean (default [`Returns::Reject`]).
    pub returns: Returns,
}

impl LogParams {
    /// The default: refunds rejected.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the returns policy.
    #[must_use]
    pub fn returns(mut self, returns: Returns) -> Self {
        self.returns = returns;
        self
    }

    /// The log of `rows` (any order) under these params.
    ///
    /// # Errors
    /// As [`TransactionLog::new`]; refunds are accepted unless the policy is
    /// [`Returns::Reject`].
    pub fn log<C: Eq + Hash + Clone>(&self, rows: &[Transaction<C>]) -> Result<TransactionLog<C>> {
        TransactionLog::build(rows, *self)
    }

    /// The log of three columns under these params (see
    /// [`TransactionLog::from_columns`]).
    ///
    /// # Errors
    /// As [`TransactionLog::from_columns`]; refunds are accepted unless the policy is
    /// [`Returns::Reject`].
    pub fn log_from_columns<C: Eq + Hash + Clone>(
        &self,
        ids: &[C],
        days: &[Day],
        amounts: &[f64],
    ) -> Result<TransactionLog<C>> {
        crate::validate::same_len("days", ids.len(), days.len())?;
        crate::validate::same_len("amounts", ids.len(), amounts.len())?;
        TransactionLog::build(&Columns { ids, days, amounts }, *self)
    }

    /// The smallest amount a row may carry under the policy.
    pub(crate) fn min_amount(&self) -> f64 {
        match self.returns {
            Returns::Reject => 0.0,
            Returns::Net | Returns::Separate => -MAX_AMOUNT,
        }
    }
}

/// Rows per chunk of [`TransactionLog::new`]'s pass: a chunk of rows and its columns
/// stay in a core's L2 cache.
const CHUNK: usize = 4096;

/// Validated purchase history in columnar form, sorted by customer, then day, then
/// amount, with customer ids interned to dense indices `0..n_customers()` in the order
/// they first appear in the input.
///
/// Rows are stored in compressed-sparse-row form: customer `i`'s rows are
/// `offsets()[i]..offsets()[i + 1]` of `days()` and `amounts()`. The log holds the
/// columns (12 bytes a row), the offsets, the ids and an id-to-index table of about 6
/// bytes per customer.
///
/// Its `Debug` shows the ids and columns, not the id table (whose layout depends on
/// the process's hash key).
#[derive(Clone)]
pub struct TransactionLog<C> {
    ids: Vec<C>,
    index: IdIndex,
    offsets: Vec<u32>,
    days: Vec<Day>,
    amounts: Vec<f64>,
    returns: Returns,
}

impl<C: std::fmt::Debug> std::fmt::Debug for TransactionLog<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionLog")
            .field("ids", &self.ids)
            .field("offsets", &self.offsets)
            .field("days", &self.days)
            .field("amounts", &self.amounts)
            .field("returns", &self.returns)
            .finish_non_exhaustive()
    }
}

impl<C: Eq + Hash + Clone> TransactionLog<C> {
    /// Validates and indexes the rows (any order).
    ///
    /// # Errors
    /// - [`Error::Empty`] when `rows` is empty;
    /// - [`Error::NonFinite`] for a NaN or infinite amount, naming its row;
    /// - [`Error::Refund`] for a negative amount, naming its row (choose a [`Returns`]
    ///   policy with [`LogParams`] to accept refunds);
    /// - [`Error::InvalidValue`] for an amount above [`MAX_AMOUNT`], or more than
    ///   `u32::MAX` rows.
    pub fn new(rows: &[Transaction<C>]) -> Result<Self> {
        LogParams::new().log(rows)
    }

    /// Validates and indexes rows given as three columns of equal length (as read from
    /// a table or a columnar file), without row structs: row `i` is
    /// `(ids[i], days[i], amounts[i])`. The result, and each error, is the one
    /// [`new`](Self::new) gives for the same rows; the columns are read in place (the
    /// log copies them once, into its own columns).
    ///
    /// ```
    /// use patronage::{Day, TransactionLog};
    /// let ids = ["ann", "bob", "ann"];
    /// let days = [Day(0), Day(3), Day(7)];
    /// let amounts = [10.0, 4.5, 12.0];
    /// let log = TransactionLog::from_columns(&ids, &days, &amounts)?;
    /// assert_eq!(log.n_customers(), 2);
    /// assert_eq!(log.customer_rows(0).0, &[Day(0), Day(7)]);
    /// let bad = TransactionLog::from_columns(&ids, &days, &[10.0, f64::NAN, 1.0]);
    /// assert!(matches!(bad, Err(patronage::Error::NonFinite { field: "amount", row: 1, .. })));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`Error::LengthMismatch`] when `days` or `amounts`
    /// is not as long as `ids`.
    pub fn from_columns(ids: &[C], days: &[Day], amounts: &[f64]) -> Result<Self> {
        LogParams::new().log_from_columns(ids, days, amounts)
    }

    /// The log of the rows of `src`, validated under `params`.
    pub(crate) fn build<S: Rows<C> + ?Sized>(rows: &S, params: LogParams) -> Result<Self> {
        if rows.len() == 0 {
            return Err(Error::Empty {
                field: "transactions",
            });
        }
        if rows.len() >= u32::MAX as usize {
            return Err(Error::InvalidValue {
                field: "transactions",
                row: u32::MAX as usize,
                value: rows.len() as f64,
                reason:
                    "a log holds at most 4,294,967,294 rows; split it and merge partial summaries"
                        .into(),
            });
        }

        // Ids that own memory (strings) are borrowed from the rows while the runs are
        // interned and cloned once per customer: cloning one per run costs an
        // allocation per row of a time-ordered log (synthetic-1M in day order, String
        // ids: 831 ms -> 679 ms). Plain ids (integers) are copied per run: comparing
        // copies is cheaper than reaching into the rows (u64 ids borrowed: 449 ms,
        // copied: 323 ms).
        let mut log = if std::mem::needs_drop::<C>() {
            Self::from_runs(scan(rows, params.min_amount(), |id| id)?, S::owned)
        } else {
            Self::from_runs(scan(rows, params.min_amount(), S::owned)?, |id| id)
        };
        log.returns = params.returns;
        Ok(log)
    }

    /// The log of the runs of the rows, whose ids `owned` makes customer ids of.
    fn from_runs<I: Eq + Hash>(runs: Runs<I>, owned: impl Fn(I) -> C) -> Self {
        let Runs {
            days,
            amounts,
            run_start,
            run_ids,
        } = runs;
        let runs = run_ids.len();

        // Intern the runs' ids in first-seen order. Rows are grouped by customer when
        // no run repeats an earlier run's id: then run r is customer r.
        let hasher = KeyedState::default();
        let run_keys = Partition::new(runs, |r| hasher.hash(&run_ids[r as usize]));
        let (index, first_run) = IdIndex::build(
            run_keys,
            runs,
            |a, b| run_ids[a as usize] == run_ids[b as usize],
            hasher,
        );
        let Some(first_run) = first_run else {
            return Self {
                ids: run_ids.into_iter().map(owned).collect(),
                index,
                offsets: run_start,
                days,
                amounts,
                returns: Returns::Reject,
            };
        };
        Self::grouped(run_ids, owned, first_run, index, &run_start, days, amounts)
    }

    /// The log when runs of one customer are scattered: numbers the customers in
    /// first-seen order, points the index (built over the runs, `first_run[r]` the
    /// first run with run r's id) at those numbers, and moves each customer's runs
    /// together. `owned` makes a customer's id of a run's.
    fn grouped<I>(
        run_ids: Vec<I>,
        owned: impl Fn(I) -> C,
        first_run: Vec<u32>,
        mut index: IdIndex,
        run_start: &[u32],
        days: Vec<Day>,
        amounts: Vec<f64>,
    ) -> Self {
        let runs = run_ids.len();
        let mut ids: Vec<C> = Vec::new();
        // Each run's first run becomes its customer in place: a run's first run comes
        // no later than it, so its customer is known by then.
        let mut run_customer = first_run;
        for (r, id) in run_ids.into_iter().enumerate() {
            let f = run_customer[r] as usize;
            run_customer[r] = if f == r {
                ids.push(owned(id));
                ids.len() as u32 - 1
            } else {
                run_customer[f]
            };
        }
        let n = ids.len();
        // The index was sized for the runs; rebuild it if there are far fewer ids.
        if runs > 2 * n {
            index = IdIndex::of_distinct(&ids);
        } else {
            index.renumber(|k| run_customer[k as usize]);
        }
        let offsets = group_offsets(run_start, &run_customer, n);
        // One column at a time, each freed once moved: the peak stays below two logs.
        let mut sorted_days = gather_runs(&days, run_start, &run_customer, &offsets);
        drop(days);
        let mut sorted_amounts = gather_runs(&amounts, run_start, &run_customer, &offsets);
        drop(amounts);
        sort_each_customer(&offsets, &mut sorted_days, &mut sorted_amounts);
        Self {
            ids,
            index,
            offsets,
            days: sorted_days,
            amounts: sorted_amounts,
            returns: Returns::Reject,
        }
    }
}

/// Rows collected one at a time (a stream, a cursor over a database, a parser), then
/// validated and indexed once by [`build`](Self::build): the columns it gathers are
/// what [`TransactionLog::from_columns`] reads.
///
/// ```
/// use patronage::{Day, Transaction};
/// use patronage::transactions::LogBuilder;
/// let mut rows = LogBuilder::new();
/// rows.push("ann", Day(0), 10.0);
/// rows.extend([Transaction { customer: "bob", day: Day(3), amount: 4.5 }]);
/// let log = rows.build()?;
/// assert_eq!((log.n_customers(), log.n_rows()), (2, 2));
/// // Or collected from an iterator of rows.
/// let log = (0..10)
///     .map(|i| Transaction { customer: i % 3, day: Day(i), amount: 1.0 })
///     .collect::<LogBuilder<i32>>()
///     .build()?;
/// assert_eq!(log.n_customers(), 3);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogBuilder<C> {
    ids: Vec<C>,
    days: Vec<Day>,
    amounts: Vec<f64>,
}

impl<C> Default for LogBuilder<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> LogBuilder<C> {
    /// An empty builder.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty builder with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            ids: Vec::with_capacity(rows),
            days: Vec::with_capacity(rows),
            amounts: Vec::with_capacity(rows),
        }
    }

    /// Adds a row (checked when the log is built, errors naming its row number).
    pub fn push(&mut self, customer: C, day: Day, amount: f64) {
        self.ids.push(customer);
        self.days.push(day);
        self.amounts.push(amount);
    }

    /// Rows added so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl<C: Eq + Hash + Clone> LogBuilder<C> {
    /// The log of the rows added, in the order added.
    ///
    /// # Errors
    /// As [`TransactionLog::new`].
    pub fn build(&self) -> Result<TransactionLog<C>> {
        self.build_with(&LogParams::new())
    }

    /// The log of the rows added, under `params` (e.g. a [`Returns`] policy).
    ///
    /// # Errors
    /// As [`LogParams::log`].
    pub fn build_with(&self, params: &LogParams) -> Result<TransactionLog<C>> {
        params.log_from_columns(&self.ids, &self.days, &self.amounts)
    }
}

impl<C> Extend<Transaction<C>> for LogBuilder<C> {
    fn extend<I: IntoIterator<Item = Transaction<C>>>(&mut self, rows: I) {
        for t in rows {
            self.push(t.customer, t.day, t.amount);
        }
    }
}

impl<C> FromIterator<Transaction<C>> for LogBuilder<C> {
    fn from_iter<I: IntoIterator<Item = Transaction<C>>>(rows: I) -> Self {
        let mut b = Self::new();
        b.extend(rows);
        b
    }
}

/// Where [`TransactionLog`] reads rows from: a slice of [`Transaction`]s, three
/// columns, or another crate's columns (Arrow arrays). Row `i` is
/// `(id(i), day(i), amount(i))` for `i < len()`.
///
/// `id` may be a borrowed form of `C` (a `&str` for a `String` id); it must compare
/// and hash exactly as the `C` that [`owned`](Rows::owned) makes of it, since the log's
/// index is later searched with `C`s.
pub(crate) trait Rows<C> {
    type Id<'a>: Copy + Eq + Hash
    where
        Self: 'a;
    fn len(&self) -> usize;
    fn id(&self, i: usize) -> Self::Id<'_>;
    fn owned(id: Self::Id<'_>) -> C;
    fn day(&self, i: usize) -> Day;
    fn amount(&self, i: usize) -> f64;
}

impl<C: Eq + Hash + Clone> Rows<C> for [Transaction<C>] {
    type Id<'a>
        = &'a C
    where
        C: 'a;

    #[inline]
    fn len(&self) -> usize {
        <[Transaction<C>]>::len(self)
    }

    #[inline]
    fn id(&self, i: usize) -> &C {
        &self[i].customer
    }

    #[inline]
    fn owned(id: &C) -> C {
        id.clone()
    }

    #[inline]
    fn day(&self, i: usize) -> Day {
        self[i].day
    }

    #[inline]
    fn amount(&self, i: usize) -> f64 {
        self[i].amount
    }
}

/// Three columns of one length (checked by [`TransactionLog::from_columns`]).
struct Columns<'a, C> {
    ids: &'a [C],
    days: &'a [Day],
    amounts: &'a [f64],
}

impl<C: Eq + Hash + Clone> Rows<C> for Columns<'_, C> {
    type Id<'a>
        = &'a C
    where
        Self: 'a;

    #[inline]
    fn len(&self) -> usize {
        self.ids.len()
    }

    #[inline]
    fn id(&self, i: usize) -> &C {
        &self.ids[i]
    }

    #[inline]
    fn owned(id: &C) -> C {
        id.clone()
    }

    #[inline]
    fn day(&self, i: usize) -> Day {
        self.days[i]
    }

    #[inline]
    fn amount(&self, i: usize) -> f64 {
        self.amounts[i]
    }
}

/// The rows as read: the day and amount columns in input order (each run sorted by
/// day, then amount), and the runs of one customer id (`run_start`, one more than the
/// runs, ending with the number of rows; `run_ids`).
struct Runs<I> {
    days: Vec<Day>,
    amounts: Vec<f64>,
    run_start: Vec<u32>,
    run_ids: Vec<I>,
}

/// Validates the amounts and cuts `rows` (not empty) into runs, keeping `run_id(id)`
/// of each run's id.
#[inline]
fn scan<'a, C, S: Rows<C> + ?Sized, I>(
    rows: &'a S,
    min_amount: f64,
    run_id: impl Fn(S::Id<'a>) -> I,
) -> Result<Runs<I>> {
    // One pass over the caller's rows, in chunks that stay in cache: validate, copy
    // the day and amount columns in input order, cut the rows into runs of one
    // customer id, and sort the runs whose rows are out of (day, amount) order while
    // they are in cache.
    let mut days: Vec<Day> = Vec::with_capacity(rows.len());
    let mut amounts: Vec<f64> = Vec::with_capacity(rows.len());
    // Room for a run per two rows costs address space only: pages are touched (and
    // memory committed) as runs are pushed, and the spare room is released below.
    // Growing from empty by doubling would copy the vectors several times.
    let mut run_start: Vec<u32> = Vec::with_capacity(rows.len() / 2 + 2);
    let mut run_ids = Vec::with_capacity(rows.len() / 2 + 1);
    run_start.push(0);
    run_ids.push(run_id(rows.id(0)));
    // A chunk's run starts, and the runs with a row out of order, found without a
    // branch per row: where runs begin is as unpredictable as customers' order
    // counts. A disordered run is listed once per disordered row.
    let mut starts = vec![0u32; CHUNK];
    let mut disordered = vec![0u32; CHUNK + 1];
    let mut n_disordered = 0;
    let mut scratch = Vec::new();
    let n = rows.len();
    for base in (0..n).step_by(CHUNK) {
        let end = (base + CHUNK).min(n);
        days.extend((base..end).map(|i| rows.day(i)));
        // Amounts are checked as they are copied; a bad one is found and named after.
        let mut valid = true;
        amounts.extend((base..end).map(|i| {
            let a = rows.amount(i);
            valid &= (min_amount..=MAX_AMOUNT).contains(&a);
            a + 0.0 // -0.0 becomes 0.0
        }));
        if !valid {
            for i in base..end {
                check_amount(i, rows.amount(i), min_amount)?;
            }
        }
        // Each row against the one before it (the first chunk starts at row 1).
        let open = run_start.len() - 1;
        let mut m = 0;
        for i in base.max(1)..end {
            let (a, b) = (i - 1, i);
            let starts_run = rows.id(a) != rows.id(b);
            starts[m] = b as u32;
            m += usize::from(starts_run);
            let (da, db) = (rows.day(a), rows.day(b));
            let out_of_order =
                !starts_run & ((da > db) | ((da == db) & (rows.amount(a) > rows.amount(b))));
            disordered[n_disordered] = (open + m) as u32;
            n_disordered += usize::from(out_of_order);
        }
        run_start.extend_from_slice(&starts[..m]);
        run_ids.extend(starts[..m].iter().map(|&i| run_id(rows.id(i as usize))));
        // Sort the disordered runs that are complete; the open one waits.
        let open = run_start.len() - 1;
        let mut previous = None;
        for &r in &disordered[..n_disordered] {
            if r as usize != open && previous != Some(r) {
                let (lo, hi) = (
                    run_start[r as usize] as usize,
                    run_start[r as usize + 1] as usize,
                );
                sort_rows(&mut days[lo..hi], &mut amounts[lo..hi], &mut scratch);
            }
            previous = Some(r);
        }
        n_disordered = usize::from(previous == Some(open as u32));
        disordered[0] = open as u32;
    }
    run_start.push(n as u32);
    if n_disordered == 1 {
        let lo = *run_start.iter().nth_back(1).unwrap_or(&0) as usize;
        sort_rows(&mut days[lo..], &mut amounts[lo..], &mut scratch);
    }
    drop((starts, disordered));
    run_start.shrink_to_fit();
    run_ids.shrink_to_fit();
    Ok(Runs {
        days,
        amounts,
        run_start,
        run_ids,
    })
}

/// Sorts each customer's rows by day, then amount, in place (most are already sorted).
/// Customers are split in halves across threads; each customer's rows are sorted on
/// their own, so the result does not depend on the split.
fn sort_each_customer(offsets: &[u32], days: &mut [Day], amounts: &mut [f64]) {
    #[cfg(feature = "parallel")]
    if offsets.len() - 1 > 8192 {
        let mid = (offsets.len() - 1) / 2;
        let cut = (offsets[mid] - offsets[0]) as usize;
        let (d0, d1) = days.split_at_mut(cut);
        let (a0, a1) = amounts.split_at_mut(cut);
        rayon::join(
            || sort_each_customer(&offsets[..=mid], d0, a0),
            || sort_each_customer(&offsets[mid..], d1, a1),
        );
        return;
    }
    sort_runs(offsets, days, amounts);
}

/// Sorts each run `offsets[k]..offsets[k + 1]` (relative to `offsets[0]`) of rows by
/// day, then amount, in place, on the calling thread.
fn sort_runs(offsets: &[u32], days: &mut [Day], amounts: &mut [f64]) {
    let base = offsets[0] as usize;
    let mut scratch = Vec::new();
    for w in offsets.windows(2) {
        let (lo, hi) = (w[0] as usize - base, w[1] as usize - base);
        let (d, a) = (&mut days[lo..hi], &mut amounts[lo..hi]);
        let sorted =
            (1..d.len()).all(|k| d[k - 1] < d[k] || (d[k - 1] == d[k] && a[k - 1] <= a[k]));
        if !sorted {
            sort_rows(d, a, &mut scratch);
        }
    }
}

/// Sorts one customer's rows by day, then amount: in place by insertion for the usual
/// handful of rows, through `scratch` for long histories.
fn sort_rows(days: &mut [Day], amounts: &mut [f64], scratch: &mut Vec<(Day, f64)>) {
    if days.len() <= 16 {
        for k in 1..days.len() {
            let (d, a) = (days[k], amounts[k]);
            let mut j = k;
            while j > 0 && (days[j - 1] > d || (days[j - 1] == d && amounts[j - 1] > a)) {
                days[j] = days[j - 1];
                amounts[j] = amounts[j - 1];
                j -= 1;
            }
            days[j] = d;
            amounts[j] = a;
        }
        return;
    }
    scratch.clear();
    scratch.extend(days.iter().copied().zip(amounts.iter().copied()));
    scratch.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
    for (k, (day, amount)) in scratch.iter().enumerate() {
        days[k] = *day;
        amounts[k] = *amount;
    }
}

pub(crate) fn check_amount(row: usize, amount: f64, min_amount: f64) -> Result<()> {
    if !amount.is_finite() {
        return Err(Error::NonFinite {
            field: "amount",
            row,
            value: amount,
        });
    }
    if amount < 0.0 && min_amount == 0.0 {
        return Err(Error::Refund { row, value: amount });
    }
    if amount.abs() > MAX_AMOUNT {
        return Err(Error::InvalidValue {
            field: "amount",
            row,
            value: amount,
            reason: "amounts beyond 1e12 in size are not supported".into(),
        });
    }
    Ok(())
}

impl<C> TransactionLog<C> {
    /// The policy the log was built with for negative amounts (refunds).
    pub fn returns(&self) -> Returns {
        self.returns
    }

    /// Number of rows (purchases, and refunds under a [`Returns`] policy).
    pub fn n_rows(&self) -> usize {
        self.days.len()
    }

    /// Number of distinct customers.
    pub fn n_customers(&self) -> usize {
        self.ids.len()
    }

    /// The caller's id of the customer with dense index `index`.
    ///
    /// # Panics
    /// When `index >= n_customers()` (indices come from the log or its summaries).
    pub fn customer_id(&self, index: u32) -> &C {
        &self.ids[index as usize]
    }

    /// All customer ids, in index order.
    pub fn customer_ids(&self) -> &[C] {
        &self.ids
    }

    /// The rows of the customer with dense index `index`: days (ascending) and amounts.
    ///
    /// # Panics
    /// When `index >= n_customers()`.
    pub fn customer_rows(&self, index: u32) -> (&[Day], &[f64]) {
        let (lo, hi) = (
            self.offsets[index as usize] as usize,
            self.offsets[index as usize + 1] as usize,
        );
        (&self.days[lo..hi], &self.amounts[lo..hi])
    }

    /// Day of every row, grouped by customer (see [`offsets`](Self::offsets)).
    pub fn days(&self) -> &[Day] {
        &self.days
    }

    /// Amount of every row, aligned with [`days`](Self::days).
    pub fn amounts(&self) -> &[f64] {
        &self.amounts
    }

    /// Row offsets per customer, `n_customers() + 1` long: customer `i`'s rows are
    /// `offsets[i]..offsets[i + 1]`.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The earliest day in the log.
    pub fn first_day(&self) -> Day {
        self.offsets
            .windows(2)
            .map(|w| self.days[w[0] as usize])
            .min()
            .unwrap_or_default()
    }

    /// The latest day in the log.
    pub fn last_day(&self) -> Day {
        self.offsets
            .windows(2)
            .map(|w| self.days[w[1] as usize - 1])
            .max()
            .unwrap_or_default()
    }
}

impl<C: Eq + Hash> TransactionLog<C> {
    /// The dense index of a customer id, if the id is in the log.
    pub fn customer_index(&self, id: &C) -> Option<u32> {
        self.index.get(id, &self.ids)
    }
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {

    /// Rows grouped by customer but out of (day, amount) order within a customer are
    /// sorted.
    #[test]
    fn grouped_runs_are_sorted_when_out_of_order() {
        let t = |c: u32, d: i32, a: f64| Transaction {
            customer: c,
            day: Day(d),
            amount: a,
        };
        let log = TransactionLog::new(&[
            t(1, 5, 1.0),
            t(1, 3, 2.0),
            t(1, 5, 0.5),
            t(2, 9, 1.0),
            t(2, 1, 1.0),
        ])
        .unwrap();
        assert_eq!(log.customer_rows(0).0, &[Day(3), Day(5), Day(5)]);
        assert_eq!(log.customer_rows(0).1, &[2.0, 0.5, 1.0]);
        assert_eq!(log.customer_rows(1).0, &[Day(1), Day(9)]);
        let sorted = TransactionLog::new(&[t(1, 3, 2.0), t(1, 5, 0.5), t(2, 1, 1.0)]).unwrap();
        assert_eq!(sorted.days(), &[Day(3), Day(5), Day(1)]);
    }

    use super::*;

    /// Runs longer than a chunk of the pass, disorder at and across chunk boundaries,
    /// and customers whose runs repeat: every customer's rows come out as its input
    /// rows sorted by (day, amount).
    #[test]
    fn runs_across_chunk_boundaries_are_sorted() {
        use rand::{Rng, SeedableRng};
        use std::collections::HashMap;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut rows = Vec::new();
        // Run lengths chosen to end exactly at, just before, and just after a chunk's
        // end, and to span whole chunks.
        let lens = [
            CHUNK - 1,
            1,
            1,
            CHUNK + 2,
            3,
            2 * CHUNK,
            1,
            CHUNK - 3,
            5,
            17,
        ];
        for (r, &len) in lens.iter().cycle().take(30).enumerate() {
            let customer = (r % 12) as u32; // ids repeat across runs
            let disorder = r % 3 != 0;
            for k in 0..len {
                let day = if disorder {
                    rng.random_range(0..50)
                } else {
                    k as i32
                };
                let amount = f64::from(rng.random_range(0..4u8));
                rows.push(Transaction {
                    customer,
                    day: Day(day),
                    amount,
                });
            }
        }
        let log = TransactionLog::new(&rows).unwrap();
        let mut expected: HashMap<u32, Vec<(Day, f64)>> = HashMap::new();
        for t in &rows {
            expected
                .entry(t.customer)
                .or_default()
                .push((t.day, t.amount));
        }
        assert_eq!(log.n_customers(), expected.len());
        for (id, mut want) in expected {
            want.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let (days, amounts) = log.customer_rows(log.customer_index(&id).unwrap());
            let got: Vec<(Day, f64)> = days.iter().copied().zip(amounts.iter().copied()).collect();
            assert_eq!(got, want, "customer {id}");
        }
        // A run whose only disorder is in the chunk where it begins, and whose rows
        // in the next chunk are in order, after a disordered run in the same chunk.
        let mut rows: Vec<Transaction<u32>> = (0..CHUNK as i32 - 5)
            .map(|d| Transaction {
                customer: 0,
                day: Day(-d),
                amount: 1.0,
            })
            .collect();
        let days = [1, 0].into_iter().chain(2..20);
        rows.extend(days.map(|d| Transaction {
            customer: 1,
            day: Day(d),
            amount: 1.0,
        }));
        rows.push(Transaction {
            customer: 2,
            day: Day(0),
            amount: 1.0,
        });
        let log = TransactionLog::new(&rows).unwrap();
        assert_eq!(
            log.customer_rows(1).0,
            &(0..20).map(Day).collect::<Vec<_>>()[..]
        );
        // Grouped input (no repeated ids) takes the path without regrouping.
        let grouped: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(i, t)| Transaction {
                customer: (i / 5000) as u32,
                ..*t
            })
            .collect();
        let log = TransactionLog::new(&grouped).unwrap();
        for (c, part) in grouped.chunks(5000).enumerate() {
            let mut want: Vec<(Day, f64)> = part.iter().map(|t| (t.day, t.amount)).collect();
            want.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
            let (days, amounts) = log.customer_rows(c as u32);
            let got: Vec<(Day, f64)> = days.iter().copied().zip(amounts.iter().copied()).collect();
            assert_eq!(got, want, "grouped customer {c}");
        }
    }

    #[test]
    fn string_ids_intern_without_conversion_and_interleaved_rows_regroup() {
        let ids = ["a", "b", "c", "d"];
        let rows: Vec<Transaction<String>> = (0..400)
            .map(|k| Transaction {
                customer: ids[k % 4].to_string(),
                day: Day((k / 4) as i32),
                amount: 1.0,
            })
            .collect();
        let log = TransactionLog::new(&rows).unwrap();
        assert_eq!(log.customer_ids(), &["a", "b", "c", "d"]);
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(log.customer_index(&id.to_string()), Some(k as u32));
            assert_eq!(log.customer_rows(k as u32).0.len(), 100);
        }
        assert_eq!(log.customer_index(&"e".to_string()), None);
    }

    #[test]
    fn regrouped_runs_match_grouped_rows() {
        // Customers' rows in runs of up to three, interleaved: the log equals the one
        // built from the same rows grouped by customer.
        let grouped: Vec<Transaction<u64>> = (0..3000u64)
            .map(|k| Transaction {
                customer: k / 7,
                day: Day(((k * 37) % 101) as i32),
                amount: ((k * 13) % 17) as f64,
            })
            .collect();
        let mut runs: Vec<&[Transaction<u64>]> = grouped.chunks(3).collect();
        runs.reverse();
        let shuffled: Vec<Transaction<u64>> = runs.concat();
        let (a, b) = (
            TransactionLog::new(&grouped).unwrap(),
            TransactionLog::new(&shuffled).unwrap(),
        );
        assert_eq!(a.n_customers(), b.n_customers());
        for (k, id) in a.customer_ids().iter().enumerate() {
            let j = b.customer_index(id).unwrap();
            assert_eq!(a.customer_rows(k as u32), b.customer_rows(j));
        }
        assert_eq!(b.customer_ids()[0], 428);
    }

    /// The log a direct implementation builds: ids in first-seen order, each
    /// customer's rows sorted by (day, amount).
    fn naive_log<C: Eq + Hash + Clone>(rows: &[Transaction<C>]) -> (Vec<C>, Vec<Vec<(Day, f64)>>) {
        let mut seen: std::collections::HashMap<C, usize> = Default::default();
        let (mut ids, mut per) = (Vec::new(), Vec::<Vec<(Day, f64)>>::new());
        for t in rows {
            let k = *seen.entry(t.customer.clone()).or_insert_with(|| {
                ids.push(t.customer.clone());
                per.push(Vec::new());
                ids.len() - 1
            });
            per[k].push((t.day, t.amount));
        }
        for p in &mut per {
            p.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
        }
        (ids, per)
    }

    fn assert_matches_naive(rows: &[Transaction<u64>]) {
        let log = TransactionLog::new(rows).unwrap();
        let (ids, per) = naive_log(rows);
        assert_eq!(log.customer_ids(), &ids[..]);
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(log.customer_index(id), Some(k as u32));
            let (d, a) = log.customer_rows(k as u32);
            let got: Vec<(Day, f64)> = d.iter().copied().zip(a.iter().copied()).collect();
            assert_eq!(got, per[k], "customer {id}");
        }
        for absent in [u64::MAX, u64::MAX - 1, 1 << 40] {
            assert_eq!(log.customer_index(&absent), None);
        }
    }

    /// Many customers (several index blocks, runs across the 4,096-row chunks, rows out
    /// of order within customers): grouped rows, interleaved runs (the index is
    /// renumbered) and shuffled rows (the index is rebuilt) all give the direct
    /// implementation's log.
    #[test]
    fn large_logs_match_a_direct_implementation() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % m
        };
        let mut grouped = Vec::new();
        for c in 0..60_000u64 {
            let id = c.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 7;
            for _ in 0..1 + next(5) {
                grouped.push(Transaction {
                    customer: id,
                    day: Day(next(30) as i32),
                    amount: next(4) as f64,
                });
            }
        }
        assert_matches_naive(&grouped);

        let mut runs: Vec<&[Transaction<u64>]> = grouped.chunks(2).collect();
        let r = runs.len();
        for k in (1..r).rev() {
            if next(3) == 0 {
                runs.swap(k, next(k as u64 + 1) as usize);
            }
        }
        assert_matches_naive(&runs.concat());

        let mut shuffled = grouped.clone();
        for k in (1..shuffled.len()).rev() {
            shuffled.swap(k, next(k as u64 + 1) as usize);
        }
        assert_matches_naive(&shuffled);
    }

    #[test]
    fn one_row_per_customer_grows_the_index() {
        // The index is first sized for three rows per customer.
        let rows: Vec<Transaction<String>> = (0..5000)
            .map(|k| Transaction {
                customer: format!("c{}", (k * 7919) % 5000),
                day: Day(k),
                amount: 1.0,
            })
            .collect();
        let log = TransactionLog::new(&rows).unwrap();
        assert_eq!(log.n_customers(), 5000);
        for (k, t) in rows.iter().enumerate() {
            assert_eq!(log.customer_index(&t.customer), Some(k as u32));
        }
        assert_eq!(log.customer_index(&"c5000".to_string()), None);
    }

    /// The log's outputs, as `Debug` shows them (ids, offsets, columns).
    fn outputs<C: std::fmt::Debug>(log: &TransactionLog<C>) -> String {
        format!("{log:?}")
    }

    /// Each id's rows in two runs, interleaved (so the index meets every id twice), and
    /// the log checked against the direct implementation and against a second build
    /// (which draws another per-table key).
    fn assert_crafted_ids_intern<C: Eq + Hash + Clone + std::fmt::Debug>(ids: &[C]) {
        let rows: Vec<Transaction<C>> = (0..2 * ids.len())
            .map(|k| Transaction {
                customer: ids[k % ids.len()].clone(),
                day: Day((k % 7) as i32 - (k / ids.len()) as i32 * 3),
                amount: (k % 5) as f64,
            })
            .collect();
        let log = TransactionLog::new(&rows).unwrap();
        let (want_ids, per) = naive_log(&rows);
        assert_eq!(log.customer_ids(), &want_ids[..]);
        for (k, id) in want_ids.iter().enumerate() {
            assert_eq!(log.customer_index(id), Some(k as u32));
            let (d, a) = log.customer_rows(k as u32);
            let got: Vec<(Day, f64)> = d.iter().copied().zip(a.iter().copied()).collect();
            assert_eq!(got, per[k]);
        }
        assert_eq!(outputs(&log), outputs(&TransactionLog::new(&rows).unwrap()));
        // No block is much fuller than the mean: the table is not sized by a flood.
        let (blocks, per_block) = log.index.layout();
        let mean = rows.len() / blocks;
        assert!(
            per_block < 2 * mean + 64,
            "{per_block} slots per block for {mean} keys per block"
        );
    }

    /// Ids that all share a block, a tag and a first slot under the crate's old fixed
    /// hash (Fx with an avalanche, inverted to pick the ids), and `(u64, u64)` ids that
    /// share the whole old hash (the second word cancels the first): the same log as
    /// for any ids, from a table of the usual size.
    #[test]
    fn ids_colliding_under_the_old_hash_intern_like_any_ids() {
        use crate::hashing::old_fx;
        let top = 0x5eed_u64 << 48;
        let ids: Vec<u64> = (0..40_000)
            .map(|j| old_fx::u64_with_hash(top | j))
            .collect();
        for w in ids.windows(2) {
            let h = |x: u64| old_fx::avalanche(old_fx::fx_words(&[x]));
            assert_eq!(h(w[0]) >> 16, h(w[1]) >> 16); // same block, tag, first slot
        }
        assert_crafted_ids_intern(&ids);
        let pairs: Vec<(u64, u64)> = (0..40_000u64)
            .map(|a| (a, old_fx::second_word(a, 0x0bad_cafe)))
            .collect();
        assert!(
            pairs
                .iter()
                .all(|&(a, b)| old_fx::fx_words(&[a, b]) == 0x0bad_cafe)
        );
        assert_crafted_ids_intern(&pairs);
    }

    /// Two logs from the same rows draw different keys, and agree in every output.
    #[test]
    fn outputs_do_not_depend_on_the_key() {
        let rows: Vec<Transaction<String>> = (0..20_000)
            .map(|k| Transaction {
                customer: format!("c{}", (k * 7919) % 6007),
                day: Day(k % 97),
                amount: f64::from(k % 13),
            })
            .collect();
        let a = TransactionLog::new(&rows).unwrap();
        let b = TransactionLog::new(&rows).unwrap();
        assert_eq!(outputs(&a), outputs(&b));
        assert!(!outputs(&a).contains("index"));
        for id in a.customer_ids() {
            assert_eq!(a.customer_index(id), b.customer_index(id));
        }
    }

    #[test]
    fn calendar_round_trips() {
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = Day(d).to_ymd();
            assert_eq!(Day::from_ymd(y, m, dd).unwrap(), Day(d));
        }
        assert_eq!(Day::from_ymd(1970, 1, 1).unwrap(), Day(0));
        assert_eq!(Day::from_ymd(2000, 2, 29).unwrap().to_ymd(), (2000, 2, 29));
        assert!(Day::from_ymd(1900, 2, 29).is_err());
        assert!(Day::from_ymd(2024, 13, 1).is_err());
        assert!(Day::from_ymd(2024, 4, 31).is_err());
        assert!(Day::from_ymd(2024, 4, 0).is_err());
    }

    #[test]
    fn unsorted_rows_are_sorted_and_interned_in_first_seen_order() {
        let rows = vec![
            Transaction {
                customer: 7u64,
                day: Day(5),
                amount: 1.0,
            },
            Transaction {
                customer: 3,
                day: Day(9),
                amount: 2.0,
            },
            Transaction {
                customer: 7,
                day: Day(2),
                amount: 3.0,
            },
            Transaction {
                customer: 7,
                day: Day(2),
                amount: 0.5,
            },
        ];
        let log = TransactionLog::new(&rows).unwrap();
        assert_eq!(log.customer_ids(), &[7, 3]);
        assert_eq!(log.offsets(), &[0, 3, 4]);
        assert_eq!(log.customer_rows(0).0, &[Day(2), Day(2), Day(5)]);
        assert_eq!(log.customer_rows(0).1, &[0.5, 3.0, 1.0]);
        assert_eq!((log.first_day(), log.last_day()), (Day(2), Day(9)));
        assert_eq!(log.customer_index(&3), Some(1));
        assert_eq!(log.customer_index(&4), None);
    }
}
