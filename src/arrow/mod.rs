//! Arrow in and out (feature `arrow`): a [`TransactionLog`] from Arrow
//! [`RecordBatch`]es, and per-customer results (the summary, RFM scores and segments,
//! model outputs) as `RecordBatch`es keyed by the caller's customer ids.
//!
//! The feature depends on the `arrow-array` and `arrow-schema` crates only (not the whole
//! `arrow`); both are re-exported here ([`arrow_array`], [`arrow_schema`]) so callers
//! can build batches with the versions this crate reads.
//!
//! **In.** [`LogColumns`] names the id, day and amount columns and reads one or more
//! batches, in order, into a log; row numbers in errors count across all the batches.
//!
//! | column | Arrow types read |
//! | --- | --- |
//! | id | `Int32`, `Int64`, `UInt64`, `Utf8`, `LargeUtf8`, `Utf8View` (see [`ArrowId`]) |
//! | day | `Date32`, `Date64`, `Timestamp` of any unit, with or without a time zone |
//! | amount | `Float64`, `Float32`, `Decimal128` |
//!
//! A timestamp is an instant; its day is the calendar day in UTC, or at the fixed UTC
//! offset given by [`LogColumns::utc_offset_seconds`] (a timestamp column's own time
//! zone, which only says how to display it, is not consulted). `Date32` and `Date64`
//! are days already (`Date64`'s milliseconds are floored to the day) and take no offset.
//! A `Decimal128` amount of scale `s` holds minor units: its amount is `value / 10^s`
//! rounded once to the nearest `f64`, as parsing the decimal's text would give.
//!
//! Every problem is an [`Error`](crate::Error), never a panic: a missing column, a type
//! the crate does not read, a null (naming the row) and a day beyond [`Day`]'s range
//! are [`Error::Column`](crate::Error::Column); amounts are checked as
//! [`TransactionLog::new`] checks them (non-finite, refunds under the default
//! [`Returns::Reject`](crate::Returns::Reject) policy, above
//! [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT)), naming the row across batches.
//!
//! Reading is as fast as [`TransactionLog::from_columns`] on the same columns: the
//! batch's buffers are read in place (string ids are compared and hashed as `&str`
//! slices of the batch; only the ids the log keeps become `String`s), and only columns
//! of another width (`Int32` ids read as `i64`, timestamps, `Float32` and `Decimal128`
//! amounts) are copied into one column first; several batches are copied into one
//! column too, except string ids.
//!
//! **Out.** [`CustomerTable`] builds a batch of one row per customer: the customer's id
//! (in the log's id type, see [`ArrowId`]) beside named columns — a summary's
//! frequency, recency, T and monetary value ([`CustomerTable::with_summary`]), RFM
//! scores and segments ([`CustomerTable::with_rfm`]), or any per-customer output
//! (P(alive), expected purchases, CLV, churn risk, a cluster label) by name. The
//! shortcuts [`summary_batch`] and [`rfm_batch`] build the two common tables.
//!
//! ```
//! use std::sync::Arc;
//! use patronage::arrow::arrow_array::{Date32Array, Float64Array, RecordBatch, StringArray};
//! use patronage::arrow::{summary_batch, CustomerTable, LogColumns};
//! use patronage::{Day, SummaryParams, TransactionLog};
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("customer", Arc::new(StringArray::from(vec!["ann", "bob", "ann"])) as _),
//!     ("date", Arc::new(Date32Array::from(vec![0, 3, 7])) as _),
//!     ("amount", Arc::new(Float64Array::from(vec![10.0, 4.5, 12.0])) as _),
//! ]).unwrap();
//! let log: TransactionLog<String> = LogColumns::new("customer", "date", "amount").log([&batch])?;
//! assert_eq!(log.customer_ids(), ["ann", "bob"]);
//! assert_eq!(log.customer_rows(0).0, &[Day(0), Day(7)]);
//!
//! // The summary as a batch keyed by the customer ids.
//! let summary = log.summarize(&SummaryParams::new(Day(14)))?;
//! let out = summary_batch(&log, &summary)?;
//! assert_eq!(out.schema().field(0).name(), "customer_id");
//! assert_eq!(out.schema().field(3).name(), "T");
//!
//! // Any per-customer output, by name.
//! let p_alive = vec![0.9, 0.4];
//! let out = CustomerTable::for_summary(&log, &summary).with_f64("p_alive", &p_alive).finish()?;
//! assert_eq!(out.num_columns(), 2);
//!
//! // A column that is not there is an error naming it.
//! let bad = LogColumns::new("customer", "day", "amount").log::<String>([&batch]);
//! assert!(matches!(bad, Err(patronage::Error::Column { column, row: None, .. }) if column == "day"));
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! [`RecordBatch`]: arrow_array::RecordBatch
//! [`TransactionLog`]: crate::TransactionLog
//! [`TransactionLog::new`]: crate::TransactionLog::new
//! [`TransactionLog::from_columns`]: crate::TransactionLog::from_columns
//! [`Day`]: crate::Day

mod id;
mod read;
mod write;

/// The `arrow-array` crate this module reads and writes.
pub use arrow_array;
/// The `arrow-schema` crate this module reads and writes.
pub use arrow_schema;

pub use id::ArrowId;
pub use read::LogColumns;
pub use write::{CustomerTable, rfm_batch, summary_batch};
