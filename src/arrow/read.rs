//! A [`TransactionLog`] from Arrow record batches.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

use super::ArrowId;
use crate::error::{Error, Result};
use crate::transactions::{LogParams, TransactionLog};

/// The largest UTC offset [`LogColumns::utc_offset_seconds`] takes, in seconds: less
/// than a day either side (real offsets are within 14 hours).
const MAX_OFFSET_SECONDS: i32 = 86_399;

/// Which columns of a record batch hold the id, the day and the amount of each row, and
/// how to read them: the log reader of the `arrow` feature.
///
/// [`log`](Self::log) reads one or more batches, in order, into a [`TransactionLog`],
/// checking them as [`TransactionLog::new`] checks rows (see the [module
/// docs](super) for the Arrow types of each column).
///
/// ```
/// use std::sync::Arc;
/// use patronage::arrow::arrow_array::{Decimal128Array, RecordBatch, TimestampSecondArray, UInt64Array};
/// use patronage::arrow::LogColumns;
/// use patronage::{Day, LogParams, Returns, TransactionLog};
///
/// // 2024-03-01 23:30 and 2024-03-02 04:30 UTC; amounts in cents.
/// let batch = RecordBatch::try_from_iter([
///     ("id", Arc::new(UInt64Array::from(vec![7, 7])) as _),
///     ("at", Arc::new(TimestampSecondArray::from(vec![1_709_335_800, 1_709_353_800]).with_timezone("UTC")) as _),
///     ("cents", Arc::new(Decimal128Array::from(vec![1999, -500]).with_precision_and_scale(10, 2).unwrap()) as _),
/// ]).unwrap();
/// let columns = LogColumns::new("id", "at", "cents").params(LogParams::new().returns(Returns::Net));
/// let log: TransactionLog<u64> = columns.log([&batch])?;
/// assert_eq!(log.customer_rows(0).0, &[Day::from_ymd(2024, 3, 1)?, Day::from_ymd(2024, 3, 2)?]);
/// assert_eq!(log.customer_rows(0).1, &[19.99, -5.0]);
///
/// // The same instants seen from UTC-05:00 fall on one day, 2024-03-01.
/// let log: TransactionLog<u64> = columns.utc_offset_seconds(-5 * 3600).log([&batch])?;
/// assert_eq!(log.customer_rows(0).0, &[Day::from_ymd(2024, 3, 1)?; 2]);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogColumns {
    id: String,
    day: String,
    amount: String,
    utc_offset_seconds: i32,
    params: LogParams,
}

impl LogColumns {
    /// Reads ids from column `id`, days from `day` and amounts from `amount`; days of
    /// timestamps in UTC, refunds rejected ([`LogParams::new`]).
    pub fn new(id: impl Into<String>, day: impl Into<String>, amount: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            day: day.into(),
            amount: amount.into(),
            utc_offset_seconds: 0,
            params: LogParams::new(),
        }
    }

    /// Takes the day of a timestamp at this fixed offset from UTC, in seconds
    /// (`-5 * 3600` for UTC-05:00): 23:30 UTC-05:00 on March 1st is 04:30 UTC on
    /// March 2nd, and its day is March 1st. Default 0 (UTC); less than a day either
    /// side (checked by [`log`](Self::log)). `Date32` and `Date64` columns, days
    /// already, are not shifted.
    #[must_use]
    pub fn utc_offset_seconds(mut self, seconds: i32) -> Self {
        self.utc_offset_seconds = seconds;
        self
    }

    /// Builds the log under `params` (e.g. a [`Returns`](crate::Returns) policy that
    /// accepts refunds).
    #[must_use]
    pub fn params(mut self, params: LogParams) -> Self {
        self.params = params;
        self
    }

    /// The log of the rows of `batches`, in order (`[&batch]` for one batch, `&batches`
    /// for a slice or `Vec`), with customer ids of type `C` (see [`ArrowId`] for the
    /// column types each reads). Row numbers in errors count from the first batch's
    /// first row across all the batches.
    ///
    /// # Errors
    /// - [`Error::InvalidParameter`] for a UTC offset of a day or more;
    /// - [`Error::Column`] (without a row) when a batch lacks one of the columns, or a
    ///   column's Arrow type is not one the crate reads as that column (for the id
    ///   column: as `C`);
    /// - [`Error::Column`] naming the row for a null, or a day beyond [`Day`]'s range
    ///   (a `Date64` or timestamp more than about 5.8 million years from 1970);
    /// - then the errors of [`TransactionLog::new`] on the rows read (no rows, a
    ///   non-finite amount, a refund under [`Returns::Reject`](crate::Returns::Reject),
    ///   an amount above [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT)), naming the row.
    ///
    /// Columns are checked in every batch first (id, day, amount in turn), then the
    /// values column by column.
    ///
    /// [`Day`]: crate::Day
    pub fn log<'b, C: ArrowId>(
        &self,
        batches: impl IntoIterator<Item = &'b RecordBatch>,
    ) -> Result<TransactionLog<C>> {
        let offset = self.utc_offset_seconds;
        if !(-MAX_OFFSET_SECONDS..=MAX_OFFSET_SECONDS).contains(&offset) {
            return Err(Error::InvalidParameter {
                name: "utc_offset_seconds",
                value: offset.to_string(),
                reason: format!(
                    "use -{MAX_OFFSET_SECONDS} to {MAX_OFFSET_SECONDS} (less than a day either side of UTC)"
                ),
            });
        }
        let mut ids: Vec<&dyn Array> = Vec::new();
        let mut days: Vec<&dyn Array> = Vec::new();
        let mut amounts: Vec<&dyn Array> = Vec::new();
        for (k, batch) in batches.into_iter().enumerate() {
            let id = column(batch, k, &self.id)?;
            if !C::reads(id.data_type()) {
                return Err(wrong_type(
                    &self.id,
                    id.data_type(),
                    &format!("{} ids are read from {} columns", C::NAME, C::READS),
                ));
            }
            let day = column(batch, k, &self.day)?;
            if !matches!(
                day.data_type(),
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) {
                return Err(wrong_type(
                    &self.day,
                    day.data_type(),
                    "days are read from Date32, Date64 or Timestamp columns",
                ));
            }
            let amount = column(batch, k, &self.amount)?;
            if !matches!(
                amount.data_type(),
                DataType::Float64 | DataType::Float32 | DataType::Decimal128(..)
            ) {
                return Err(wrong_type(
                    &self.amount,
                    amount.data_type(),
                    "amounts are read from Float64, Float32 or Decimal128 columns",
                ));
            }
            ids.push(id);
            days.push(day);
            amounts.push(amount);
        }
        no_nulls(&self.id, &ids)?;
        no_nulls(&self.day, &days)?;
        no_nulls(&self.amount, &amounts)?;
        let day_values = day_column(&self.day, &days, offset)?;
        let amount_values = amount_column(&self.amount, &amounts)?;
        C::log(&self.id, &ids, &day_values, &amount_values, self.params)
    }
}

/// Column `name` of batch `k`.
fn column<'a>(batch: &'a RecordBatch, k: usize, name: &str) -> Result<&'a dyn Array> {
    match batch.column_by_name(name) {
        Some(array) => Ok(array.as_ref()),
        None => {
            let schema = batch.schema_ref();
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            Err(Error::Column {
                column: name.to_owned(),
                row: None,
                reason: format!(
                    "is not in batch {k}, whose columns are [{}]; name the columns to read in LogColumns::new",
                    names.join(", ")
                ),
            })
        }
    }
}

fn wrong_type(name: &str, found: &DataType, expected: &str) -> Error {
    Error::Column {
        column: name.to_owned(),
        row: None,
        reason: format!("has Arrow type {found}; {expected}"),
    }
}

/// The first null of the column (batches in order), as an error naming its row.
fn no_nulls(name: &str, arrays: &[&dyn Array]) -> Result<()> {
    let mut start = 0;
    for a in arrays {
        if a.null_count() > 0
            && let Some(i) = a
                .logical_nulls()
                .and_then(|n| n.iter().position(|valid| !valid))
        {
            return Err(Error::Column {
                column: name.to_owned(),
                row: Some(start + i),
                reason: "is null: every row needs a value".into(),
            });
        }
        start += a.len();
    }
    Ok(())
}

/// The values of a primitive array of type `T` (checked by the caller).
fn values<'a, T: ArrowPrimitiveType>(name: &str, array: &'a dyn Array) -> Result<&'a [T::Native]> {
    match array.as_primitive_opt::<T>() {
        Some(a) => Ok(a.values()),
        None => Err(wrong_type(
            name,
            array.data_type(),
            "the column cannot be read as its type says",
        )),
    }
}

fn total_len(arrays: &[&dyn Array]) -> usize {
    arrays.iter().map(|a| a.len()).sum()
}

/// Days since 1970-01-01 of every row: one `Date32` batch in place, otherwise converted
/// into one column.
fn day_column<'a>(
    name: &str,
    arrays: &[&'a dyn Array],
    offset_seconds: i32,
) -> Result<Cow<'a, [i32]>> {
    if let [one] = arrays
        && let Some(a) = one.as_primitive_opt::<Date32Type>()
    {
        return Ok(Cow::Borrowed(a.values()));
    }
    let mut out = Vec::with_capacity(total_len(arrays));
    let offset = i64::from(offset_seconds);
    for a in arrays {
        let out = &mut out;
        match a.data_type() {
            DataType::Date32 => out.extend_from_slice(values::<Date32Type>(name, *a)?),
            DataType::Date64 => {
                instants::<86_400_000>(
                    name,
                    values::<Date64Type>(name, *a)?,
                    0,
                    "milliseconds",
                    out,
                )?;
            }
            DataType::Timestamp(TimeUnit::Second, _) => {
                let v = values::<TimestampSecondType>(name, *a)?;
                instants::<86_400>(name, v, offset, "seconds", out)?;
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                let v = values::<TimestampMillisecondType>(name, *a)?;
                instants::<86_400_000>(name, v, offset * 1_000, "milliseconds", out)?;
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                let v = values::<TimestampMicrosecondType>(name, *a)?;
                instants::<86_400_000_000>(name, v, offset * 1_000_000, "microseconds", out)?;
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                let v = values::<TimestampNanosecondType>(name, *a)?;
                instants::<86_400_000_000_000>(
                    name,
                    v,
                    offset * 1_000_000_000,
                    "nanoseconds",
                    out,
                )?;
            }
            other => {
                return Err(wrong_type(
                    name,
                    other,
                    "days are read from Date32, Date64 or Timestamp columns",
                ));
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Appends the day of each instant (`PER_DAY` units a day since 1970-01-01 UTC) at
/// `offset` units from UTC (`|offset| < PER_DAY`), floored: an error naming the row
/// (counted from `out`'s length) when the day is beyond `Day`'s range.
fn instants<const PER_DAY: i64>(
    name: &str,
    values: &[i64],
    offset: i64,
    unit: &str,
    out: &mut Vec<i32>,
) -> Result<()> {
    let start = out.len();
    for (i, &v) in values.iter().enumerate() {
        // The day of v, then the day the offset moves the time of day into (-1, 0 or
        // 1): no overflow for any i64 and offset under a day.
        let day = v.div_euclid(PER_DAY) + (v.rem_euclid(PER_DAY) + offset).div_euclid(PER_DAY);
        match i32::try_from(day) {
            Ok(d) => out.push(d),
            Err(_) => {
                return Err(Error::Column {
                    column: name.to_owned(),
                    row: Some(start + i),
                    reason: format!(
                        "{v} {unit} from 1970-01-01 is day {day}, beyond the days a Day holds ({} to {})",
                        i32::MIN,
                        i32::MAX
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The amount of every row: one `Float64` batch in place, otherwise converted into one
/// column.
fn amount_column<'a>(name: &str, arrays: &[&'a dyn Array]) -> Result<Cow<'a, [f64]>> {
    if let [one] = arrays
        && let Some(a) = one.as_primitive_opt::<Float64Type>()
    {
        return Ok(Cow::Borrowed(a.values()));
    }
    let mut out = Vec::with_capacity(total_len(arrays));
    for a in arrays {
        match a.data_type() {
            DataType::Float64 => out.extend_from_slice(values::<Float64Type>(name, *a)?),
            DataType::Float32 => out.extend(
                values::<Float32Type>(name, *a)?
                    .iter()
                    .map(|&v| f64::from(v)),
            ),
            &DataType::Decimal128(_, scale) => out.extend(
                values::<Decimal128Type>(name, *a)?
                    .iter()
                    .map(|&v| decimal(v, scale)),
            ),
            other => {
                return Err(wrong_type(
                    name,
                    other,
                    "amounts are read from Float64, Float32 or Decimal128 columns",
                ));
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Powers of ten exact in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `value * 10^-scale` rounded once to the nearest `f64` (ties to even). Every
/// `Decimal128` is inside `f64`'s range (at most about 1.7e38 * 10^128).
fn decimal(value: i128, scale: i8) -> f64 {
    // Both operands exact in f64: one IEEE division (or product) rounds once.
    if value.unsigned_abs() <= 1u128 << 53 {
        let v = value as f64;
        let s = usize::from(scale.unsigned_abs());
        if s < POW10.len() {
            return if scale >= 0 {
                v / POW10[s]
            } else {
                v * POW10[s]
            };
        }
    }
    // Otherwise the decimal's text, which Rust parses correctly rounded. The text is
    // always a valid float; NaN (not expected) would be refused by the log's amount
    // check, naming the row.
    format!("{value}e{}", -i32::from(scale))
        .parse()
        .unwrap_or(f64::NAN)
}
