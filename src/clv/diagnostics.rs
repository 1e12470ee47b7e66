//! Goodness-of-fit diagnostics for purchase models: the tables and curves the papers
//! (Fader, Hardie & Lee 2005) and lifetimes' plotting helpers show.
//!
//! - [`calibration_holdout_table`]: customers grouped by calibration frequency
//!   (`0, 1, …, max - 1` and a last bucket for `>= max`), with the mean actual holdout
//!   purchases and the mean model expectation `E[X(t*) | x, t_x, T]` over the holdout
//!   length `t*` (lifetimes' `plot_calibration_purchases_vs_holdout_purchases`).
//! - [`model_fit_table`]: observed vs expected number of customers by repeat count in the
//!   calibration period. Each customer of age `T_i` contributes `P(X(T_i) = n)`; the last
//!   bucket (`>= max`) gets `1 - Σ_{n < max} P(X(T_i) = n)` (the papers' histogram).
//! - [`tracking`]: cumulative repeat purchases of a cohort by period, actual against
//!   `Σ_i E[X(t - b_i)]` over customers born (first purchase) at `b_i < t`, with `E[X(t)]`
//!   the new-customer expectation (the papers' tracking plot).

use crate::clv::PurchaseModel;
use crate::error::{Error, Result};
use crate::summary::CalibrationHoldout;
use crate::summary::CustomerSummary;
use crate::transactions::{Day, TransactionLog};
use std::collections::BTreeMap;
use std::hash::Hash;

/// One row of the calibration vs holdout table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CalibrationHoldoutRow {
    /// Calibration frequency of the bucket (the last bucket holds every frequency at or
    /// above this value).
    pub frequency: u32,
    /// Whether this is the open-ended `>= frequency` bucket.
    pub open_ended: bool,
    /// Customers in the bucket.
    pub customers: usize,
    /// Mean actual holdout purchases.
    pub actual: f64,
    /// Mean model-expected holdout purchases.
    pub expected: f64,
}

fn check_max(name: &'static str, max: u32) -> Result<()> {
    if max == 0 {
        return Err(Error::InvalidParameter {
            name,
            value: "0".into(),
            reason: "at least one bucket below the open-ended one is needed".into(),
        });
    }
    Ok(())
}

/// Largest `max_repeats` of [`model_fit_table`]: each customer age evaluates
/// `P(X(T) = n)` for every `n` below it, itself a sum over up to `n` terms.
pub const MAX_REPEATS: u32 = 1_000;

/// Most periods [`tracking`] reports (27 years of daily periods).
pub const MAX_TRACKING_PERIODS: usize = 10_000;

/// Actual vs expected holdout purchases grouped by calibration frequency (buckets
/// `0..max_frequency` and `>= max_frequency`; empty buckets are omitted).
///
/// # Errors
/// [`Error::Empty`] for an empty calibration summary, [`Error::InvalidParameter`] when
/// `max_frequency` is 0, and [`Error::LengthMismatch`] when the holdout column does not
/// match the calibration rows.
///
/// ```
/// use patronage::clv::{diagnostics::calibration_holdout_table, BetaGeo};
/// use patronage::summary::SummaryParams;
/// use patronage::transactions::{Day, Transaction, TransactionLog};
/// let t = |c: u8, d: i32| Transaction { customer: c, day: Day(d), amount: 1.0 };
/// let log = TransactionLog::new(&[t(1, 0), t(1, 7), t(1, 30), t(2, 3)])?;
/// let split = log.calibration_holdout(&SummaryParams::new(Day(20)).time_unit_days(7.0), Day(40))?;
/// let model = BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?;
/// let table = calibration_holdout_table(&model, &split, 5)?;
/// assert_eq!(table.len(), 2); // frequencies 0 and 1
/// assert_eq!(table[1].actual, 1.0);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn calibration_holdout_table<M: PurchaseModel + Sync>(
    model: &M,
    split: &CalibrationHoldout,
    max_frequency: u32,
) -> Result<Vec<CalibrationHoldoutRow>> {
    check_max("max_frequency", max_frequency)?;
    let cal = &split.calibration;
    if cal.is_empty() {
        return Err(Error::Empty {
            field: "calibration",
        });
    }
    if split.frequency_holdout.len() != cal.len() {
        return Err(Error::LengthMismatch {
            field: "frequency_holdout",
            expected: cal.len(),
            found: split.frequency_holdout.len(),
        });
    }
    let expected = crate::clv::expected_purchases(model, cal, split.duration_holdout)?;
    // Buckets that hold customers only: memory follows the data, not `max_frequency`.
    let mut buckets: BTreeMap<u32, (usize, f64, f64)> = BTreeMap::new();
    for (i, &x) in cal.frequency().iter().enumerate() {
        // Frequencies are whole and non-negative; `as` saturates at u32::MAX.
        let b = (x as u32).min(max_frequency);
        let bucket = buckets.entry(b).or_insert((0, 0.0, 0.0));
        bucket.0 += 1;
        bucket.1 += split.frequency_holdout[i];
        bucket.2 += expected[i];
    }
    Ok(buckets
        .into_iter()
        .map(|(b, (n, act, exp))| CalibrationHoldoutRow {
            frequency: b,
            open_ended: b == max_frequency,
            customers: n,
            actual: act / n as f64,
            expected: exp / n as f64,
        })
        .collect())
}

/// One row of the model fit table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModelFitRow {
    /// Repeat count of the row (the last row holds every count at or above it).
    pub repeats: u32,
    /// Whether this is the open-ended `>= repeats` row.
    pub open_ended: bool,
    /// Observed customers with this many repeat purchases.
    pub observed: usize,
    /// Expected customers: `Σ_i P(X(T_i) = n)`.
    pub expected: f64,
}

/// Observed vs expected number of customers by repeat count in the calibration period.
///
/// `probability_of_n(t, n)` is the model's `P(X(t) = n)` for a customer of age `t`
/// (for BG/NBD: `|t, n| model.probability_of_n_purchases(t, n)`). Customers with equal
/// ages share one evaluation.
///
/// # Errors
/// [`Error::Empty`] for an empty summary, [`Error::InvalidParameter`] when
/// `max_repeats` is 0 or above [`MAX_REPEATS`].
///
/// ```
/// use patronage::clv::{diagnostics::model_fit_table, BetaGeo};
/// use patronage::summary::CustomerSummary;
/// let s = CustomerSummary::from_columns(&[0.0, 1.0, 3.0], &[0.0, 5.0, 20.0], &[30.0, 30.0, 25.0], None)?;
/// let m = BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?;
/// let table = model_fit_table(|t, n| m.probability_of_n_purchases(t, n), &s, 2)?;
/// let total: f64 = table.iter().map(|r| r.expected).sum();
/// assert!((total - 3.0).abs() < 1e-9);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn model_fit_table(
    probability_of_n: impl Fn(f64, u32) -> Result<f64>,
    summary: &CustomerSummary,
    max_repeats: u32,
) -> Result<Vec<ModelFitRow>> {
    Error::check_count(
        "max_repeats",
        max_repeats as usize,
        1,
        "MAX_REPEATS",
        MAX_REPEATS as usize,
    )?;
    if summary.is_empty() {
        return Err(Error::Empty { field: "summary" });
    }
    let k = max_repeats as usize + 1;
    let mut observed = vec![0usize; k];
    let mut ages: BTreeMap<u64, usize> = BTreeMap::new();
    for (&x, &age) in summary.frequency().iter().zip(summary.age()) {
        observed[(x as usize).min(k - 1)] += 1;
        *ages.entry(age.to_bits()).or_insert(0) += 1;
    }
    let mut expected = vec![0.0; k];
    for (bits, count) in ages {
        let t = f64::from_bits(bits);
        let mut below = 0.0;
        for (n, e) in expected.iter_mut().take(k - 1).enumerate() {
            let p = probability_of_n(t, n as u32)?;
            below += p;
            *e += count as f64 * p;
        }
        expected[k - 1] += count as f64 * (1.0 - below).max(0.0);
    }
    Ok((0..k)
        .map(|b| ModelFitRow {
            repeats: b as u32,
            open_ended: b == k - 1,
            observed: observed[b],
            expected: expected[b],
        })
        .collect())
}

/// Cumulative repeat purchases of a cohort at the end of each period.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Tracking {
    /// Last day (exclusive) of each period: period `k` covers
    /// `[origin + k · period_days, origin + (k + 1) · period_days)`.
    pub period_end: Vec<Day>,
    /// Actual cumulative repeat purchases (distinct purchase days after each customer's
    /// first) up to each period end.
    pub actual: Vec<f64>,
    /// Model-expected cumulative repeat purchases up to each period end.
    pub expected: Vec<f64>,
}

/// Cumulative repeat purchases by period, actual vs model (the papers' tracking plot).
///
/// Every customer of `log` is in the cohort, born on the first purchase day. Repeat
/// purchases are distinct purchase days after the first (same-day purchases collapse, as
/// in the customer summary). The expectation at a period end `e` is
/// `Σ_i E[X((e - b_i) / time_unit_days)]` over customers with first day `b_i < e`, where
/// `E[X(t)]` is [`PurchaseModel::expected_purchases_new_customer`]; customers sharing a
/// first day share one evaluation.
///
/// # Errors
/// [`Error::InvalidParameter`] when `period_days` is 0, `n_periods` is 0 or above
/// [`MAX_TRACKING_PERIODS`] or takes the last period past the last [`Day`], or
/// `time_unit_days` is not positive and finite.
///
/// ```
/// use patronage::clv::{diagnostics::tracking, BetaGeo};
/// use patronage::transactions::{Day, Transaction, TransactionLog};
/// let t = |c: u8, d: i32| Transaction { customer: c, day: Day(d), amount: 1.0 };
/// let log = TransactionLog::new(&[t(1, 0), t(1, 7), t(1, 7), t(2, 3), t(2, 20)])?;
/// let m = BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?;
/// let track = tracking(&m, &log, Day(0), 7, 3, 7.0)?;
/// assert_eq!(track.actual, vec![0.0, 1.0, 2.0]);
/// assert!(track.expected.windows(2).all(|w| w[0] <= w[1]));
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn tracking<C: Eq + Hash + Clone, M: PurchaseModel>(
    model: &M,
    log: &TransactionLog<C>,
    origin: Day,
    period_days: u32,
    n_periods: usize,
    time_unit_days: f64,
) -> Result<Tracking> {
    if period_days == 0 {
        return Err(Error::InvalidParameter {
            name: "period_days",
            value: "0".into(),
            reason: "a period must last at least one day".into(),
        });
    }
    Error::check_count(
        "n_periods",
        n_periods,
        1,
        "MAX_TRACKING_PERIODS",
        MAX_TRACKING_PERIODS,
    )?;
    if !(time_unit_days.is_finite() && time_unit_days > 0.0) {
        return Err(Error::InvalidParameter {
            name: "time_unit_days",
            value: format!("{time_unit_days}"),
            reason: "must be positive and finite".into(),
        });
    }
    let pd = i64::from(period_days);
    // The last period must end on a representable day (n_periods is at most
    // MAX_TRACKING_PERIODS, so the product cannot overflow i64).
    if i64::from(origin.0) + n_periods as i64 * pd > i64::from(i32::MAX) {
        return Err(Error::InvalidParameter {
            name: "n_periods",
            value: n_periods.to_string(),
            reason: format!("the last period would end after day {}", i32::MAX),
        });
    }
    let ends: Vec<i64> = (1..=n_periods as i64)
        .map(|k| i64::from(origin.0) + k * pd)
        .collect();
    let mut births: BTreeMap<i64, usize> = BTreeMap::new();
    let mut repeats_per_period = vec![0.0; n_periods];
    for c in 0..log.n_customers() {
        let (days, amounts) = log.customer_rows(c as u32);
        // The policy's purchase days (every row's day when refunds are rejected).
        let purchases: Vec<Day>;
        let days = if log.returns() == crate::Returns::Reject {
            days
        } else {
            purchases = crate::refunds::purchase_days(days, amounts, log.returns()).collect();
            &purchases[..]
        };
        let Some(first) = days.first() else { continue };
        *births.entry(i64::from(first.0)).or_insert(0) += 1;
        let mut last = first.0;
        for d in &days[1..] {
            if d.0 == last {
                continue;
            }
            last = d.0;
            let off = i64::from(d.0) - i64::from(origin.0);
            if off < 0 {
                continue;
            }
            let k = (off / pd) as usize;
            if k < n_periods {
                repeats_per_period[k] += 1.0;
            }
        }
    }
    let mut actual = Vec::with_capacity(n_periods);
    let mut run = 0.0;
    for r in repeats_per_period {
        run += r;
        actual.push(run);
    }
    let expected = ends
        .iter()
        .map(|&e| {
            births
                .range(..e)
                .map(|(&b, &n)| n as f64 * model.new_customer((e - b) as f64 / time_unit_days))
                .sum()
        })
        .collect();
    Ok(Tracking {
        period_end: ends.iter().map(|&e| Day(e as i32)).collect(),
        actual,
        expected,
    })
}

/// What a [`frequency_recency_matrix`] holds in its cells.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MatrixValue {
    /// P(alive) (lifetimes' `plot_probability_alive_matrix`).
    ProbabilityAlive,
    /// Expected purchases over the next `t` time units (lifetimes'
    /// `plot_frequency_recency_matrix`, `T = 1` by default there).
    ExpectedPurchases(f64),
}

/// A model's prediction over a grid of frequency and recency at one age `T`: the data
/// of lifetimes' frequency/recency heat maps.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FrequencyRecencyMatrix {
    /// What the cells hold.
    pub value: MatrixValue,
    /// The customers' age `T` (time units) every cell is computed at.
    pub age: f64,
    /// Frequencies of the rows, `0..=max_frequency`.
    pub frequency: Vec<f64>,
    /// Recencies of the columns, from 0 to `T` in equal steps.
    pub recency: Vec<f64>,
    /// `cells[i][j]`: the prediction for `frequency[i]`, `recency[j]`; `None` where
    /// the history cannot be (repeat purchases at recency 0).
    pub cells: Vec<Vec<Option<f64>>>,
}

/// Most cells of a [`frequency_recency_matrix`].
pub const MAX_MATRIX_CELLS: usize = 1_000_000;

/// The [`FrequencyRecencyMatrix`] of `model` at age `age`: frequencies `0..=max_frequency`
/// and `recency_steps + 1` recencies from 0 to `age` (for BG/BB, whose histories count
/// whole periods, take `recency_steps = age`; other cells are `None`).
///
/// ```
/// use patronage::clv::BetaGeo;
/// use patronage::clv::diagnostics::{frequency_recency_matrix, MatrixValue};
/// let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?; // CDNOW, weeks
/// let m = frequency_recency_matrix(&bg, MatrixValue::ProbabilityAlive, 20, 39.0, 39)?;
/// assert_eq!(m.cells[0][0], Some(1.0)); // no repeat purchase: alive under BG/NBD
/// assert_eq!(m.cells[5][0], None); // five repeats at recency 0 cannot be
/// let recent = m.cells[5][39].unwrap(); // five repeats, the last one just now
/// let lapsed = m.cells[5][5].unwrap(); // five repeats, long ago
/// assert!(recent > 0.85 && lapsed < 0.01);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for an age that is not finite and `> 0`, zero
/// `recency_steps`, more than [`MAX_MATRIX_CELLS`] cells, or a negative or non-finite
/// horizon `t`.
pub fn frequency_recency_matrix<M: PurchaseModel>(
    model: &M,
    value: MatrixValue,
    max_frequency: u32,
    age: f64,
    recency_steps: usize,
) -> Result<FrequencyRecencyMatrix> {
    crate::validate::argument("age", age, true)?;
    Error::check_count(
        "recency_steps",
        recency_steps,
        1,
        "MAX_MATRIX_CELLS",
        MAX_MATRIX_CELLS,
    )?;
    let rows = max_frequency as usize + 1;
    let cells = rows.saturating_mul(recency_steps + 1);
    if cells > MAX_MATRIX_CELLS {
        return Err(Error::InvalidParameter {
            name: "max_frequency",
            value: max_frequency.to_string(),
            reason: format!(
                "(max_frequency + 1) x (recency_steps + 1) = {cells} cells; at most \
                 MAX_MATRIX_CELLS = {MAX_MATRIX_CELLS}"
            ),
        });
    }
    if let MatrixValue::ExpectedPurchases(t) = value {
        crate::validate::horizon("t", t)?;
    }
    let frequency: Vec<f64> = (0..rows).map(|x| x as f64).collect();
    let recency: Vec<f64> = (0..=recency_steps)
        .map(|j| age * j as f64 / recency_steps as f64)
        .collect();
    let mut out = Vec::with_capacity(rows);
    for &x in &frequency {
        let row = recency
            .iter()
            .map(|&tx| -> Result<Option<f64>> {
                if model.check_history(0, x, tx, age).is_err() {
                    return Ok(None);
                }
                Ok(Some(match value {
                    MatrixValue::ProbabilityAlive => model.probability_alive(x, tx, age)?,
                    MatrixValue::ExpectedPurchases(t) => {
                        model.conditional_expected_purchases(t, x, tx, age)?
                    }
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(row);
    }
    Ok(FrequencyRecencyMatrix {
        value,
        age,
        frequency,
        recency,
        cells: out,
    })
}
