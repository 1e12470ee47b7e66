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
//! let ann = log.customer_index(&"ann").unwrap();
//! let (days, amounts) = log.customer_rows(ann);
//! assert_eq!(days[0].to_ymd(), (2024, 1, 9)); // sorted by day
//! assert_eq!(amounts, &[12.5, 20.0]);
//! # Ok::<(), patronage::Error>(())
//! ```

use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::{Add, Sub};

use crate::error::{Error, Result};

/// A calendar day, as a count of days since an epoch.
///
/// The calendar conversions ([`Day::from_ymd`], [`Day::to_ymd`]) use 1970-01-01 as
/// day 0 (proleptic Gregorian calendar). Callers who never convert may use any epoch.
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
        // Howard Hinnant's days_from_civil.
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        // |days| < 366 * 1e6 fits in i32.
        Ok(Day(days as i32))
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
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
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
    /// The number of days from `rhs` to `self`.
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
    /// The amount spent (currency units; zero allowed, negative rejected).
    pub amount: f64,
}

/// The largest amount a row may carry (one trillion currency units). Sums of money are
/// kept exactly in integer micro-units (see [`crate::summary`]), which bounds a single
/// amount.
pub const MAX_AMOUNT: f64 = 1e12;

/// A small, fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// FxHasher) for interning customer ids. Ids are caller data, not attacker input to a
/// long-lived server map, so HashDoS resistance is not needed here.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` builder with [`FxHasher`], for the crate's internal integer-keyed maps.
pub(crate) type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// An id-to-index map that stores no keys: open addressing (linear probing) over `u32`
/// slots holding indices into the log's id vector, about 4 to 8 bytes per customer.
#[derive(Debug, Clone)]
struct IdIndex {
    slots: Vec<u32>,
    shift: u32,
}

const EMPTY: u32 = u32::MAX;

/// The hash of an id: FxHash with a final avalanche, so the top bits (the slot) depend
/// on every input bit.
fn hash_id<C: Hash>(id: &C) -> u64 {
    let mut h = FxHasher::default();
    id.hash(&mut h);
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

impl IdIndex {
    /// The table size for `n` ids: a power of two, at a load factor of at most 3/4.
    fn slots_for(n: usize) -> usize {
        (n + n / 3 + 1).next_power_of_two().max(16)
    }

    /// Room for `n` ids at a load factor of at most 3/4.
    fn with_capacity(n: usize) -> Self {
        let slots = Self::slots_for(n);
        Self {
            slots: vec![EMPTY; slots],
            shift: 64 - slots.trailing_zeros(),
        }
    }

    fn rebuild<C: Hash>(ids: &[C]) -> Self {
        Self::rebuild_for(ids, ids.len())
    }

    /// An index of `ids` with room for `n >= ids.len()` ids.
    fn rebuild_for<C: Hash>(ids: &[C], n: usize) -> Self {
        let mut index = Self::with_capacity(n);
        let mask = index.slots.len() - 1;
        for (k, id) in ids.iter().enumerate() {
            let mut i = (hash_id(id) >> index.shift) as usize;
            while index.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            index.slots[i] = k as u32;
        }
        index
    }

    /// The index of `id` (with hash `hash`), appending it to `ids` if new; `true` when
    /// it was new.
    #[inline]
    fn find_or_insert<C: Eq + Clone>(
        &mut self,
        id: &C,
        hash: u64,
        ids: &mut Vec<C>,
    ) -> (u32, bool) {
        let mask = self.slots.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                let k = ids.len() as u32;
                self.slots[i] = k;
                ids.push(id.clone());
                return (k, true);
            }
            if ids[s as usize] == *id {
                return (s, false);
            }
            i = (i + 1) & mask;
        }
    }

    /// Reads the first slot of each hash's probe: the slots are spread over the table,
    /// so issuing these independent, branch-free reads together lets their cache misses
    /// overlap before the probes (which depend on one another through inserts) run.
    #[inline]
    fn touch(&self, batch: &[(u32, u64)]) {
        let mut any = 0u32;
        for &(_, h) in batch {
            any ^= self.slots[(h >> self.shift) as usize];
        }
        std::hint::black_box(any);
    }

    fn get<C: Eq + Hash>(&self, id: &C, ids: &[C]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = (hash_id(id) >> self.shift) as usize;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return None;
            }
            if ids[s as usize] == *id {
                return Some(s);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Validated purchase history in columnar form, sorted by customer, then day, then
/// amount, with customer ids interned to dense indices `0..n_customers()` in the order
/// they first appear in the input.
///
/// Rows are stored in compressed-sparse-row form: customer `i`'s rows are
/// `offsets()[i]..offsets()[i + 1]` of `days()` and `amounts()`. The log holds the
/// columns (12 bytes a row), the offsets, the ids and an id-to-index table of 4 to 8
/// bytes per customer.
#[derive(Debug, Clone)]
pub struct TransactionLog<C> {
    ids: Vec<C>,
    index: IdIndex,
    offsets: Vec<u32>,
    days: Vec<Day>,
    amounts: Vec<f64>,
}

impl<C: Eq + Hash + Clone> TransactionLog<C> {
    /// Validates and indexes the rows (any order).
    ///
    /// # Errors
    /// - [`Error::Empty`] when `rows` is empty;
    /// - [`Error::NonFinite`] for a NaN or infinite amount, naming its row;
    /// - [`Error::Negative`] for a negative amount, naming its row;
    /// - [`Error::InvalidValue`] for an amount above [`MAX_AMOUNT`], or more than
    ///   `u32::MAX` rows.
    pub fn new(rows: &[Transaction<C>]) -> Result<Self> {
        if rows.is_empty() {
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

        // One pass over the caller's rows: validate, copy the day and amount columns in
        // input order, cut the rows into runs of one customer id, and intern each run's
        // id (first-seen order) while its row is in cache. Rows are already grouped by
        // customer when no run's id was seen before.
        let mut days: Vec<Day> = Vec::with_capacity(rows.len());
        let mut amounts: Vec<f64> = Vec::with_capacity(rows.len());
        let mut run_start: Vec<u32> = Vec::new();
        let mut interner = Interner {
            // Sized once for a few rows per customer; grown if there are more ids.
            index: IdIndex::with_capacity(rows.len() / 3 + 1),
            ids: Vec::new(),
            run_customer: Vec::new(),
            grouped: true,
        };
        let mut batch = [(0u32, 0u64); BATCH];
        let mut batched = 0;
        let mut prev: Option<&C> = None;
        for (row, t) in rows.iter().enumerate() {
            if !(0.0..=MAX_AMOUNT).contains(&t.amount) {
                check_amount(row, t.amount)?;
            }
            days.push(t.day);
            amounts.push(t.amount + 0.0); // -0.0 becomes 0.0
            if prev != Some(&t.customer) {
                run_start.push(row as u32);
                prev = Some(&t.customer);
                batch[batched] = (row as u32, hash_id(&t.customer));
                batched += 1;
                if batched == BATCH {
                    interner.intern(rows, &batch);
                    batched = 0;
                }
            }
        }
        interner.intern(rows, &batch[..batched]);
        run_start.push(rows.len() as u32);
        let Interner {
            mut index,
            ids,
            run_customer,
            grouped,
        } = interner;
        if index.slots.len() > IdIndex::slots_for(ids.len()) {
            index = IdIndex::rebuild(&ids);
        }

        // Pass 3: rows into customer order (nothing to do when already grouped), then
        // each customer's rows sorted by day, amount.
        let n = ids.len();
        let offsets = if grouped {
            run_start
        } else {
            let mut offsets = vec![0u32; n + 1];
            for (r, &c) in run_customer.iter().enumerate() {
                offsets[c as usize + 1] += run_start[r + 1] - run_start[r];
            }
            for i in 0..n {
                offsets[i + 1] += offsets[i];
            }
            let mut cursor: Vec<u32> = offsets[..n].to_vec();
            let mut sorted_days = vec![Day(0); rows.len()];
            let mut sorted_amounts = vec![0.0; rows.len()];
            for (r, &c) in run_customer.iter().enumerate() {
                let (lo, hi) = (run_start[r] as usize, run_start[r + 1] as usize);
                let at = cursor[c as usize] as usize;
                sorted_days[at..at + hi - lo].copy_from_slice(&days[lo..hi]);
                sorted_amounts[at..at + hi - lo].copy_from_slice(&amounts[lo..hi]);
                cursor[c as usize] += (hi - lo) as u32;
            }
            days = sorted_days;
            amounts = sorted_amounts;
            offsets
        };
        sort_each_customer(&offsets, &mut days, &mut amounts);
        Ok(Self {
            ids,
            index,
            offsets,
            days,
            amounts,
        })
    }
}

/// Runs interned at a time: their first slots are read together (see
/// [`IdIndex::touch`]).
const BATCH: usize = 16;

/// Interning state while the rows are read.
struct Interner<C> {
    index: IdIndex,
    ids: Vec<C>,
    /// Each run's customer, kept only once a run repeats an earlier customer (until
    /// then, run r is customer r).
    run_customer: Vec<u32>,
    grouped: bool,
}

impl<C: Eq + Hash + Clone> Interner<C> {
    /// Interns the ids of runs given as (first row, hash of its id), in order.
    fn intern(&mut self, rows: &[Transaction<C>], batch: &[(u32, u64)]) {
        // Keep the load factor at most 3/4.
        if (self.ids.len() + batch.len()) * 4 > self.index.slots.len() * 3 {
            self.index = IdIndex::rebuild_for(&self.ids, 2 * (self.ids.len() + batch.len()));
        }
        self.index.touch(batch);
        for &(row, hash) in batch {
            let (i, new) =
                self.index
                    .find_or_insert(&rows[row as usize].customer, hash, &mut self.ids);
            if !new && self.grouped {
                self.grouped = false;
                // Every earlier run was new: run r is customer r.
                self.run_customer.extend(0..self.ids.len() as u32);
            }
            if !self.grouped {
                self.run_customer.push(i);
            }
        }
    }
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
    let mut scratch: Vec<(Day, f64)> = Vec::new();
    for w in offsets.windows(2) {
        let (lo, hi) = (w[0] as usize - base, w[1] as usize - base);
        let (d, a) = (&mut days[lo..hi], &mut amounts[lo..hi]);
        let sorted =
            (1..d.len()).all(|k| d[k - 1] < d[k] || (d[k - 1] == d[k] && a[k - 1] <= a[k]));
        if !sorted {
            scratch.clear();
            scratch.extend(d.iter().copied().zip(a.iter().copied()));
            scratch.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
            for (k, (day, amount)) in scratch.iter().enumerate() {
                d[k] = *day;
                a[k] = *amount;
            }
        }
    }
}

fn check_amount(row: usize, amount: f64) -> Result<()> {
    if !amount.is_finite() {
        return Err(Error::NonFinite {
            field: "amount",
            row,
            value: amount,
        });
    }
    if amount < 0.0 {
        return Err(Error::Negative {
            field: "amount",
            row,
            value: amount,
        });
    }
    if amount > MAX_AMOUNT {
        return Err(Error::InvalidValue {
            field: "amount",
            row,
            value: amount,
            reason: "amounts above 1e12 are not supported".into(),
        });
    }
    Ok(())
}

impl<C> TransactionLog<C> {
    /// Number of rows (purchases).
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
