//! Per-customer tables as Arrow record batches.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, RecordBatch, StringArray, UInt8Array,
    UInt32Array,
};
use arrow_schema::{Field, Schema};

use super::ArrowId;
use crate::error::{Error, Result};
use crate::rfm::{RfmScores, SegmentMap};
use crate::summary::CustomerSummary;
use crate::transactions::{Day, TransactionLog};

/// A record batch of one row per customer: the customer's id, then named columns.
///
/// Rows follow `customers`, indices into the log (a summary's
/// [`customer`](CustomerSummary::customer) column, a churn data set's `customer`, ...);
/// the id column holds `log.customer_id(index)` of each, in the log's id type (see
/// [`ArrowId`]), named `customer_id` unless [`id_column`](Self::id_column) says
/// otherwise. Every column added must have one value per row. Columns are not
/// nullable.
///
/// The `with_*` methods chain without `?`: the first problem (a column of the wrong
/// length, a name used twice, a customer index the log does not have) is kept and
/// returned by [`finish`](Self::finish).
///
/// ```
/// use patronage::arrow::arrow_array::{cast::AsArray, types::Float64Type};
/// use patronage::arrow::CustomerTable;
/// use patronage::{Day, SummaryParams, Transaction, TransactionLog};
/// use patronage::clv::{probability_alive, BetaGeo};
/// use patronage::prelude::*;
///
/// let rows = patronage::simulate::Simulation::new(500).seed(3).transactions()?;
/// let log: TransactionLog<u64> = TransactionLog::new(&rows)?;
/// let summary = log.summarize(&SummaryParams::new(Day(364)).time_unit_days(7.0))?;
/// let model = BetaGeo::params().fit(&summary)?;
/// let alive = probability_alive(&model, &summary)?;
/// let batch = CustomerTable::for_summary(&log, &summary)
///     .with_summary(&summary)
///     .with_f64("p_alive", &alive)
///     .finish()?;
/// assert_eq!(batch.num_rows(), summary.len());
/// let p = batch.column_by_name("p_alive").unwrap().as_primitive::<Float64Type>();
/// assert_eq!(p.values().as_ref(), alive.as_slice());
///
/// // A column of another length is an error naming it.
/// let bad = CustomerTable::for_summary(&log, &summary).with_f64("clv", &[1.0]).finish();
/// assert!(matches!(bad, Err(patronage::Error::Column { column, .. }) if column == "clv"));
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CustomerTable<'a, C> {
    log: &'a TransactionLog<C>,
    customers: &'a [u32],
    id_column: String,
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
    metadata: BTreeMap<String, String>,
    error: Option<Error>,
}

impl<'a, C: ArrowId> CustomerTable<'a, C> {
    /// A table of the customers with indices `customers` into `log`, in that order.
    pub fn new(log: &'a TransactionLog<C>, customers: &'a [u32]) -> Self {
        Self {
            log,
            customers,
            id_column: "customer_id".into(),
            fields: Vec::new(),
            columns: Vec::new(),
            metadata: BTreeMap::new(),
            error: None,
        }
    }

    /// A table of the customers of `summary` (of `log`), in the summary's order: the
    /// rows its models' outputs (P(alive), expected purchases, CLV, ...) are aligned to.
    pub fn for_summary(log: &'a TransactionLog<C>, summary: &'a CustomerSummary) -> Self {
        Self::new(log, summary.customer())
    }

    /// Names the id column (default `customer_id`).
    #[must_use]
    pub fn id_column(mut self, name: impl Into<String>) -> Self {
        self.id_column = name.into();
        self
    }

    /// Number of rows (customers).
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Adds a `Float64` column (a score, a probability, an amount).
    #[must_use]
    pub fn with_f64(self, name: &str, values: &[f64]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(Float64Array::from(values.to_vec()))
        })
    }

    /// Adds a `UInt32` column (a count).
    #[must_use]
    pub fn with_u32(self, name: &str, values: &[u32]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(UInt32Array::from(values.to_vec()))
        })
    }

    /// Adds a `UInt8` column (a score).
    #[must_use]
    pub fn with_u8(self, name: &str, values: &[u8]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(UInt8Array::from(values.to_vec()))
        })
    }

    /// Adds a `Boolean` column (a label, a flag).
    #[must_use]
    pub fn with_bool(self, name: &str, values: &[bool]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(BooleanArray::from(values.to_vec()))
        })
    }

    /// Adds a `UInt32` column of indices (a cluster, a segment): an error naming the
    /// row for an index above `u32::MAX`.
    #[must_use]
    pub fn with_label(self, name: &str, values: &[usize]) -> Self {
        if let Some(row) = values.iter().position(|&v| u32::try_from(v).is_err()) {
            let reason = format!("{} does not fit a UInt32 column", values[row]);
            return self.fail(name, Some(row), reason);
        }
        self.sized(name, values.len(), || {
            Arc::new(UInt32Array::from_iter_values(
                values.iter().map(|&v| v as u32),
            ))
        })
    }

    /// Adds a `Utf8` column (a name, a segment).
    #[must_use]
    pub fn with_str<S: AsRef<str>>(self, name: &str, values: &[S]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(StringArray::from_iter_values(
                values.iter().map(AsRef::as_ref),
            ))
        })
    }

    /// Adds a `Date32` column (days since 1970-01-01, as [`Day`]).
    #[must_use]
    pub fn with_day(self, name: &str, values: &[Day]) -> Self {
        self.sized(name, values.len(), || {
            Arc::new(Date32Array::from_iter_values(values.iter().map(|d| d.0)))
        })
    }

    /// Adds a column the caller built: `array` must have one value per row and the
    /// type `field` declares, and no null if `field` is not nullable.
    #[must_use]
    pub fn with_column(self, field: Field, array: ArrayRef) -> Self {
        let name = field.name().clone();
        if field.data_type() != array.data_type() {
            let reason = format!(
                "the array has Arrow type {} but the field declares {}",
                array.data_type(),
                field.data_type()
            );
            return self.fail(&name, None, reason);
        }
        if !field.is_nullable() && array.null_count() > 0 {
            let row = array
                .logical_nulls()
                .and_then(|n| n.iter().position(|valid| !valid));
            return self.fail(
                &name,
                row,
                "is null in a column declared not nullable".into(),
            );
        }
        let n = array.len();
        self.push(field, n, || array)
    }

    /// Adds the summary's columns: `frequency`, `recency`, `T` and `monetary_value`
    /// (`Float64`, recency and T in the summary's time unit), and for a summary built
    /// from a log `orders` (`UInt32`), `total_spend` (`Float64`), `first_day` and
    /// `last_day` (`Date32`). The schema's metadata records `time_unit_days` and, for a
    /// summary built from a log, `observation_end` (ISO 8601).
    ///
    /// The table's rows must be the summary's customers (as
    /// [`for_summary`](Self::for_summary) makes them): otherwise
    /// [`Error::LengthMismatch`] or [`Error::InvalidValue`] naming the first row whose
    /// customer differs.
    #[must_use]
    pub fn with_summary(mut self, summary: &CustomerSummary) -> Self {
        if let Err(e) = self.check_customers(summary.customer()) {
            self.error.get_or_insert(e);
            return self;
        }
        self.metadata.insert(
            "time_unit_days".into(),
            summary.time_unit_days().to_string(),
        );
        if let Some(end) = summary.observation_end() {
            self.metadata
                .insert("observation_end".into(), end.to_string());
        }
        let mut t = self
            .with_f64("frequency", summary.frequency())
            .with_f64("recency", summary.recency())
            .with_f64("T", summary.age())
            .with_f64("monetary_value", summary.monetary_value());
        if let (Some(orders), Some(spend), Some(first), Some(last)) = (
            summary.orders(),
            summary.total_spend(),
            summary.first_day(),
            summary.last_day(),
        ) {
            t = t
                .with_u32("orders", orders)
                .with_f64("total_spend", spend)
                .with_day("first_day", first)
                .with_day("last_day", last);
        }
        t
    }

    /// Adds RFM scores and segments: `recency_score`, `frequency_score` and
    /// `monetary_score` (`UInt8`, 1 to the scores' bins), `rfm_cell` (`Utf8`, e.g.
    /// `"545"`) and `segment` (`Utf8`, the segment's name in `segments`). The scores
    /// must be of the table's rows (scores of the summary the table is for):
    /// [`Error::LengthMismatch`] when their number differs.
    #[must_use]
    pub fn with_rfm(mut self, scores: &RfmScores, segments: &SegmentMap) -> Self {
        if scores.len() != self.len() {
            self.error.get_or_insert(Error::LengthMismatch {
                field: "rfm scores",
                expected: self.len(),
                found: scores.len(),
            });
            return self;
        }
        let cells: Vec<String> = (0..scores.len()).map(|i| scores.cell(i)).collect();
        let names: Vec<&str> = segments
            .assign(scores)
            .into_iter()
            .map(|s| segments.name(s))
            .collect();
        self.with_u8("recency_score", scores.recency())
            .with_u8("frequency_score", scores.frequency())
            .with_u8("monetary_score", scores.monetary())
            .with_str("rfm_cell", &cells)
            .with_str("segment", &names)
    }

    /// The record batch: the id column, then the columns in the order added.
    ///
    /// # Errors
    /// The first problem met while adding columns: [`Error::Column`] naming a column of
    /// the wrong length (or type, or with nulls where not nullable) or a name used
    /// twice (the id column's included); [`Error::LengthMismatch`] /
    /// [`Error::InvalidValue`] from [`with_summary`](Self::with_summary) and
    /// [`with_rfm`](Self::with_rfm). Then [`Error::InvalidValue`] naming the row of a
    /// customer index the log does not have.
    pub fn finish(self) -> Result<RecordBatch> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let n_customers = self.log.n_customers();
        if let Some(row) = self
            .customers
            .iter()
            .position(|&c| c as usize >= n_customers)
        {
            return Err(Error::InvalidValue {
                field: "customer",
                row,
                value: f64::from(self.customers[row]),
                reason: format!(
                    "not a customer index of the log, which has {n_customers} customers"
                ),
            });
        }
        if self.fields.iter().any(|f| *f.name() == self.id_column) {
            return Err(Error::Column {
                column: self.id_column,
                row: None,
                reason: "is both the id column and a column added; rename one".into(),
            });
        }
        let ids = C::array(self.customers.iter().map(|&c| self.log.customer_id(c)));
        let mut fields = Vec::with_capacity(self.fields.len() + 1);
        fields.push(Field::new(self.id_column.clone(), C::data_type(), false));
        fields.extend(self.fields);
        let mut columns = Vec::with_capacity(self.columns.len() + 1);
        columns.push(ids);
        columns.extend(self.columns);
        let schema = Schema::new_with_metadata(fields, self.metadata.into_iter().collect());
        RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| Error::Column {
            column: self.id_column,
            row: None,
            reason: format!("arrow refused the table: {e}"),
        })
    }

    /// Checks that the table's rows are `customers`.
    fn check_customers(&self, customers: &[u32]) -> Result<()> {
        if customers.len() != self.len() {
            return Err(Error::LengthMismatch {
                field: "summary",
                expected: self.len(),
                found: customers.len(),
            });
        }
        if let Some(row) = (0..customers.len()).find(|&i| customers[i] != self.customers[i]) {
            return Err(Error::InvalidValue {
                field: "customer",
                row,
                value: f64::from(customers[row]),
                reason: format!(
                    "the summary's customer differs from the table's ({}); build the table with CustomerTable::for_summary",
                    self.customers[row]
                ),
            });
        }
        Ok(())
    }

    /// Adds a non-nullable column of `len` values of the type `array` makes.
    fn sized(self, name: &str, len: usize, array: impl FnOnce() -> ArrayRef) -> Self {
        if self.error.is_some() {
            return self;
        }
        let array = array();
        let field = Field::new(name, array.data_type().clone(), false);
        self.push(field, len, || array)
    }

    /// Adds `field` with the array `array` makes, after checking its length `len` and
    /// its name (the first error is kept).
    fn push(mut self, field: Field, len: usize, array: impl FnOnce() -> ArrayRef) -> Self {
        if self.error.is_some() {
            return self;
        }
        let name = field.name();
        if len != self.len() {
            let reason = format!("has {len} rows but the table has {} customers", self.len());
            let name = name.clone();
            return self.fail(&name, None, reason);
        }
        if self.fields.iter().any(|f| f.name() == name) {
            let name = name.clone();
            return self.fail(&name, None, "is already in the table".into());
        }
        self.fields.push(field);
        self.columns.push(array());
        self
    }

    /// Keeps `Error::Column` about `name` unless an error is kept already.
    fn fail(mut self, name: &str, row: Option<usize>, reason: String) -> Self {
        self.error.get_or_insert(Error::Column {
            column: name.to_owned(),
            row,
            reason,
        });
        self
    }
}

/// The summary as a record batch keyed by customer id: `customer_id`, then the columns
/// of [`CustomerTable::with_summary`], in the summary's order.
///
/// # Errors
/// As [`CustomerTable::finish`] (a summary of another log: a customer index it lacks).
pub fn summary_batch<C: ArrowId>(
    log: &TransactionLog<C>,
    summary: &CustomerSummary,
) -> Result<RecordBatch> {
    CustomerTable::for_summary(log, summary)
        .with_summary(summary)
        .finish()
}

/// RFM scores and segments as a record batch keyed by customer id: `customer_id`, then
/// the columns of [`CustomerTable::with_rfm`], in the order of `summary`, the summary
/// the scores were computed from.
///
/// ```
/// use patronage::arrow::rfm_batch;
/// use patronage::rfm::{RfmParams, SegmentMap};
/// use patronage::{Day, SummaryParams, Transaction, TransactionLog};
/// let t = |c: i64, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
/// let log = TransactionLog::new(&[t(10, 0, 10.0), t(10, 5, 30.0), t(20, 9, 20.0)])?;
/// let summary = log.summarize(&SummaryParams::new(Day(9)))?;
/// let scores = RfmParams::default().score(&summary, Day(10))?;
/// let batch = rfm_batch(&log, &summary, &scores, &SegmentMap::rf_grid())?;
/// let names: Vec<_> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
/// assert_eq!(names, ["customer_id", "recency_score", "frequency_score", "monetary_score", "rfm_cell", "segment"]);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// As [`CustomerTable::with_rfm`] and [`CustomerTable::finish`].
pub fn rfm_batch<C: ArrowId>(
    log: &TransactionLog<C>,
    summary: &CustomerSummary,
    scores: &RfmScores,
    segments: &SegmentMap,
) -> Result<RecordBatch> {
    CustomerTable::for_summary(log, summary)
        .with_rfm(scores, segments)
        .finish()
}
