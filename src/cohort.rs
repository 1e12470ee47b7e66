//! Cohort retention: customers grouped by the period of their first purchase, and
//! how many of each cohort buy again in each later period.
//!
//! Period 0 is the cohort's own (first) period, so its retention is 100% by
//! definition; period `k` counts the cohort's customers with at least one purchase in
//! the `k`-th period after it. A cohort has columns only for periods the data reach
//! (the matrix is a triangle). Averages across cohorts weight each cohort by its size,
//! over the cohorts observed at that offset.
//!
//! In a log built with a [`Returns`] policy that accepts refunds, a customer's cohort
//! is the period of its first *purchase day* and it is active in the periods holding a
//! purchase day, the policy's purchase days (see
//! [`summary`](crate::summary#returns-and-refunds): under `Net` a day whose refunds
//! cancel its purchases is not one). Revenue is net of refunds, so it can be negative,
//! and is nonzero in a period with refunds but no purchase; refunds in periods before
//! the customer's cohort (of orders from before the log) are left out. A customer
//! without a purchase day belongs to no cohort.
//!
//! ```
//! use patronage::{Day, LogParams, Returns, Transaction};
//! use patronage::{cohort::retention, Period};
//! let t = |c: u8, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
//! let rows = [t(1, 0, 10.0), t(1, 8, 4.0), t(1, 8, -4.0), t(1, 15, -3.0), t(2, 1, -9.0)];
//! let table = retention(&LogParams::new().returns(Returns::Net).log(&rows)?, Period::Week)?;
//! assert_eq!(table.sizes, vec![1]); // customer 2 only refunds
//! assert_eq!(table.active[0], vec![1, 0, 0]); // day 8 nets to 0
//! assert_eq!(table.revenue[0], vec![10.0, 0.0, -3.0]);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! ```
//! use patronage::{Day, Transaction, TransactionLog};
//! use patronage::{cohort::retention, Period};
//! // from_ymd only fails on invalid dates; the 15th of these months is valid.
//! let t = |c: u8, y: i32, m: u32| Transaction { customer: c, day: Day::from_ymd(y, m, 15).unwrap(), amount: 10.0 };
//! let log = TransactionLog::new(&[t(1, 2024, 1), t(1, 2024, 2), t(2, 2024, 1), t(3, 2024, 2), t(3, 2024, 3)])?;
//! let table = retention(&log, Period::Month)?;
//! assert_eq!(table.labels, vec!["2024-01", "2024-02"]);
//! assert_eq!(table.active[0], vec![2, 1, 0]); // January cohort: 2, then 1 in February
//! assert_eq!(table.rates()[1], vec![1.0, 1.0]); // February cohort: 1 customer, back in March
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::period::Period;
use crate::transactions::{Returns, TransactionLog};

/// A cohort retention table (see the [module docs](self)).
///
/// A table read with serde is checked as it loads, for the shape [`retention`] builds:
/// at least one cohort; one label, size, `active` row and `revenue` row per cohort;
/// each cohort's `active` and `revenue` rows of equal length, at least 1 and at most
/// [`MAX_COHORT_PERIODS`], each row shorter than the one before (a later cohort is
/// observed over fewer periods); sizes `>= 1`; `active[c][0] == sizes[c]` and every
/// `active[c][k] <= sizes[c]`; revenue finite, and, unless the table is of a log with
/// refunds (`returns` other than `Reject`), `>= 0` and 0 where no one was active.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawCohortTable")
)]
pub struct CohortTable {
    /// The period unit.
    pub period: Period,
    /// Each cohort's label (`2024-01`, `week of 2024-01-01`), in time order.
    pub labels: Vec<String>,
    /// Customers per cohort.
    pub sizes: Vec<usize>,
    /// Active customers per cohort and offset (`active[c][0] == sizes[c]`).
    pub active: Vec<Vec<usize>>,
    /// Revenue per cohort and offset (net of refunds).
    pub revenue: Vec<Vec<f64>>,
    /// The returns policy of the log the table was built from (`Reject` for a file
    /// written before returns policies).
    #[cfg_attr(feature = "serde", serde(default))]
    pub returns: Returns,
}

/// [`CohortTable`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawCohortTable {
    period: Period,
    labels: Vec<String>,
    sizes: Vec<usize>,
    active: Vec<Vec<usize>>,
    revenue: Vec<Vec<f64>>,
    #[serde(default)]
    returns: Returns,
}

#[cfg(feature = "serde")]
impl TryFrom<RawCohortTable> for CohortTable {
    type Error = Error;

    fn try_from(raw: RawCohortTable) -> Result<CohortTable> {
        use crate::validate::{invalid_value, non_empty, non_negative, same_len};
        let n = raw.sizes.len();
        non_empty("sizes", n)?;
        same_len("labels", n, raw.labels.len())?;
        same_len("active", n, raw.active.len())?;
        same_len("revenue", n, raw.revenue.len())?;
        for (c, ((&size, active), revenue)) in raw
            .sizes
            .iter()
            .zip(&raw.active)
            .zip(&raw.revenue)
            .enumerate()
        {
            let width = active.len();
            if size == 0 {
                return Err(invalid_value(
                    "sizes",
                    c,
                    0.0,
                    "a cohort has at least one customer",
                ));
            }
            if width == 0 || width > MAX_COHORT_PERIODS {
                return Err(invalid_value(
                    "active",
                    c,
                    width as f64,
                    format!(
                        "a cohort is observed over 1 to MAX_COHORT_PERIODS = {MAX_COHORT_PERIODS} periods"
                    ),
                ));
            }
            if c > 0 && width >= raw.active[c - 1].len() {
                return Err(invalid_value(
                    "active",
                    c,
                    width as f64,
                    format!(
                        "a cohort is observed over fewer periods than the one before ({})",
                        raw.active[c - 1].len()
                    ),
                ));
            }
            if revenue.len() != width {
                return Err(invalid_value(
                    "revenue",
                    c,
                    revenue.len() as f64,
                    format!(
                        "the cohort's revenue row has one value per period of its active row ({width})"
                    ),
                ));
            }
            if active[0] != size {
                return Err(invalid_value(
                    "active",
                    c,
                    active[0] as f64,
                    format!(
                        "every customer of a cohort is active in its first period (size {size})"
                    ),
                ));
            }
            for (k, (&a, &r)) in active.iter().zip(revenue).enumerate() {
                if a > size {
                    return Err(invalid_value(
                        "active",
                        c,
                        a as f64,
                        format!("more active customers at offset {k} than the cohort's {size}"),
                    ));
                }
                if raw.returns != Returns::Reject {
                    crate::validate::finite("revenue", c, r)?;
                    continue;
                }
                non_negative("revenue", c, r)?;
                if a == 0 && r != 0.0 {
                    return Err(invalid_value(
                        "revenue",
                        c,
                        r,
                        format!("revenue at offset {k}, where no customer was active"),
                    ));
                }
            }
        }
        Ok(CohortTable {
            period: raw.period,
            labels: raw.labels,
            sizes: raw.sizes,
            active: raw.active,
            revenue: raw.revenue,
            returns: raw.returns,
        })
    }
}

impl CohortTable {
    /// Retention rates: active over cohort size.
    pub fn rates(&self) -> Vec<Vec<f64>> {
        self.active
            .iter()
            .zip(&self.sizes)
            .map(|(row, &n)| row.iter().map(|&a| a as f64 / n as f64).collect())
            .collect()
    }

    /// Revenue per cohort customer, per cohort and offset.
    pub fn revenue_per_customer(&self) -> Vec<Vec<f64>> {
        self.revenue
            .iter()
            .zip(&self.sizes)
            .map(|(row, &n)| row.iter().map(|&r| r / n as f64).collect())
            .collect()
    }

    fn weighted(&self, values: &[Vec<f64>]) -> Vec<f64> {
        let width = values.iter().map(Vec::len).max().unwrap_or(0);
        (0..width)
            .map(|k| {
                let (mut num, mut den) = (0.0, 0.0);
                for (row, &n) in values.iter().zip(&self.sizes) {
                    if let Some(v) = row.get(k) {
                        num += v * n as f64;
                        den += n as f64;
                    }
                }
                num / den
            })
            .collect()
    }

    /// Retention rate per offset averaged over the cohorts observed there, weighted by
    /// cohort size.
    pub fn average_rates(&self) -> Vec<f64> {
        self.weighted(&self.rates())
    }

    /// Revenue per cohort customer per offset, averaged as [`average_rates`](Self::average_rates).
    pub fn average_revenue_per_customer(&self) -> Vec<f64> {
        self.weighted(&self.revenue_per_customer())
    }
}

/// Most periods a cohort table may span (its matrices are square in them): 2,000, that
/// is 38 years of weeks or 166 years of months.
pub const MAX_COHORT_PERIODS: usize = 2_000;

/// Builds the retention and revenue matrices of every first-purchase cohort.
///
/// # Errors
/// [`Error::LimitExceeded`] when the log spans more than [`MAX_COHORT_PERIODS`]
/// periods (an outlier date, usually).
pub fn retention<C>(log: &TransactionLog<C>, period: Period) -> Result<CohortTable> {
    let (first, last) = (log.first_day(), log.last_day());
    let periods = i64::from(period.index(last)) - i64::from(period.index(first)) + 1;
    Error::check_limit(
        "cohort periods spanned by the log",
        periods,
        MAX_COHORT_PERIODS,
        "check the log for an outlier date, or use monthly cohorts",
    )?;
    // Period of every day in range, computed once (calendar months need a division-
    // heavy conversion). At most MAX_COHORT_PERIODS months of days.
    let span = last.days_since(first) as usize + 1;
    let lookup: Vec<i32> = (0..span).map(|k| period.index(first + k as i32)).collect();
    let base = lookup[0];
    let width = (lookup[span - 1] - base) as usize + 1;
    let (offsets, days, amounts) = (log.offsets(), log.days(), log.amounts());
    let n = log.n_customers();
    let returns = log.returns();

    // Per chunk of customers: counts and revenue per (cohort, offset), reduced in
    // chunk order.
    const CHUNK: usize = 16_384;
    let chunk = |lo: usize, hi: usize| {
        let mut active = vec![0usize; width * width];
        let mut revenue = vec![0.0f64; width * width];
        let mut sizes = vec![0usize; width];
        for c in lo..hi {
            let rows = offsets[c] as usize..offsets[c + 1] as usize;
            if returns != Returns::Reject {
                let (days, amounts) = (&days[rows.clone()], &amounts[rows]);
                let period = |d: crate::Day| (lookup[(d - first) as usize] - base) as usize;
                let mut purchases = crate::refunds::purchase_days(days, amounts, returns);
                let Some(first_purchase) = purchases.next() else {
                    continue;
                };
                let cohort = period(first_purchase);
                sizes[cohort] += 1;
                active[cohort * width] += 1;
                let mut prev = cohort;
                for p in purchases.map(period) {
                    if p != prev {
                        active[cohort * width + (p - cohort)] += 1;
                        prev = p;
                    }
                }
                for (&d, &a) in days.iter().zip(amounts) {
                    let p = period(d);
                    if p >= cohort {
                        revenue[cohort * width + (p - cohort)] += a;
                    }
                }
                continue;
            }
            let cohort = (lookup[(days[rows.start] - first) as usize] - base) as usize;
            sizes[cohort] += 1;
            let mut prev = usize::MAX;
            for (&d, &a) in days[rows.clone()].iter().zip(&amounts[rows]) {
                let p = (lookup[(d - first) as usize] - base) as usize;
                let k = cohort * width + (p - cohort);
                if p != prev {
                    active[k] += 1;
                    prev = p;
                }
                revenue[k] += a;
            }
        }
        (sizes, active, revenue)
    };
    let chunks = n.div_ceil(CHUNK);
    #[cfg(feature = "parallel")]
    let parts: Vec<_> = {
        use rayon::prelude::*;
        (0..chunks)
            .into_par_iter()
            .map(|k| chunk(k * CHUNK, ((k + 1) * CHUNK).min(n)))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parts: Vec<_> = (0..chunks)
        .map(|k| chunk(k * CHUNK, ((k + 1) * CHUNK).min(n)))
        .collect();
    let mut sizes = vec![0usize; width];
    let mut active = vec![0usize; width * width];
    let mut revenue = vec![0.0f64; width * width];
    for (s, a, r) in parts {
        sizes.iter_mut().zip(&s).for_each(|(x, y)| *x += y);
        active.iter_mut().zip(&a).for_each(|(x, y)| *x += y);
        revenue.iter_mut().zip(&r).for_each(|(x, y)| *x += y);
    }
    let mut table = CohortTable {
        period,
        labels: Vec::new(),
        sizes: Vec::new(),
        active: Vec::new(),
        revenue: Vec::new(),
        returns,
    };
    for cohort in 0..width {
        if sizes[cohort] == 0 {
            continue;
        }
        let observed = width - cohort;
        table.labels.push(period.label(base + cohort as i32));
        table.sizes.push(sizes[cohort]);
        table
            .active
            .push(active[cohort * width..cohort * width + observed].to_vec());
        table
            .revenue
            .push(revenue[cohort * width..cohort * width + observed].to_vec());
    }
    if table.sizes.is_empty() {
        return Err(Error::Empty { field: "cohorts" });
    }
    Ok(table)
}
