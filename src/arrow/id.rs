//! Customer id types read from and written to Arrow columns, and the row adapters
//! the log is built through.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, Int32Array, Int64Array, LargeStringArray, StringArray, StringViewArray,
    UInt64Array,
};
use arrow_schema::DataType;

use crate::error::{Error, Result};
use crate::transactions::{Day, LogParams, Rows, TransactionLog};

/// A customer id type a log can be read into from an Arrow column, and written back
/// as (the id column of a [`CustomerTable`](super::CustomerTable)).
///
/// | `C` | id columns read | written as |
/// | --- | --- | --- |
/// | `i32` | `Int32` | `Int32` |
/// | `i64` | `Int64`, `Int32` (widened) | `Int64` |
/// | `u64` | `UInt64` | `UInt64` |
/// | `String` | `Utf8`, `LargeUtf8`, `Utf8View` | `Utf8` |
///
/// Any other pairing (a string column read as `i64`, an `Int64` column as `i32`, a
/// `UInt64` column as `i64`) is an [`Error::Column`] naming the column: ids are never
/// converted in a way that could merge two customers. The trait is sealed: these four
/// types implement it.
pub trait ArrowId: private::Source {}

impl ArrowId for i32 {}
impl ArrowId for i64 {}
impl ArrowId for u64 {}
impl ArrowId for String {}

pub(crate) mod private {
    use super::{ArrayRef, DataType, LogParams, Result, TransactionLog};
    use arrow_array::Array;

    /// What the log reader and the table writer need of an id type.
    pub trait Source: Eq + std::hash::Hash + Clone + Send + Sync + Sized + 'static {
        /// The type's name, for messages.
        const NAME: &'static str;

        /// The Arrow types this id type reads, for messages.
        const READS: &'static str;

        /// Whether a column of type `data_type` holds ids of this type.
        fn reads(data_type: &DataType) -> bool;

        /// The log of the rows: `ids` the id column of each batch (types checked by
        /// [`reads`](Self::reads), no nulls), `days` and `amounts` all the rows.
        fn log(
            column: &str,
            ids: &[&dyn Array],
            days: &[i32],
            amounts: &[f64],
            params: LogParams,
        ) -> Result<TransactionLog<Self>>;

        /// The Arrow type ids are written as.
        fn data_type() -> DataType;

        /// An id column of these ids.
        fn array<'a>(ids: impl Iterator<Item = &'a Self>) -> ArrayRef;
    }
}

use private::Source;

/// Rows whose ids are a column of a primitive type, read by value.
struct IntRows<'a, T> {
    ids: &'a [T],
    days: &'a [i32],
    amounts: &'a [f64],
}

impl<T: Copy + Eq + std::hash::Hash + Sync> Rows<T> for IntRows<'_, T> {
    type Id<'b>
        = T
    where
        Self: 'b;

    #[inline]
    fn len(&self) -> usize {
        self.ids.len()
    }

    #[inline]
    fn id(&self, i: usize) -> T {
        self.ids[i]
    }

    #[inline]
    fn owned(id: T) -> T {
        id
    }

    #[inline]
    fn day(&self, i: usize) -> Day {
        Day(self.days[i])
    }

    #[inline]
    fn amount(&self, i: usize) -> f64 {
        self.amounts[i]
    }
}

/// An error for an id column whose type the reader checked but cannot downcast (not
/// expected to happen: the type checks and the downcasts agree).
fn unreadable(column: &str, array: &dyn Array) -> Error {
    Error::Column {
        column: column.to_owned(),
        row: None,
        reason: format!("cannot read Arrow type {} as ids", array.data_type()),
    }
}

/// The log of integer ids: one batch of the native type is read in place, anything
/// else is copied into one column of `T` first (`widen` reads one batch).
fn int_log<T: Copy + Eq + std::hash::Hash + Sync + Send + 'static>(
    ids: &[&dyn Array],
    days: &[i32],
    amounts: &[f64],
    params: LogParams,
    native: impl Fn(&dyn Array) -> Option<&[T]>,
    widen: impl Fn(&dyn Array, &mut Vec<T>) -> bool,
    column: &str,
) -> Result<TransactionLog<T>> {
    if let [one] = ids
        && let Some(ids) = native(*one)
    {
        return TransactionLog::build(&IntRows { ids, days, amounts }, params);
    }
    let mut all = Vec::with_capacity(days.len());
    for a in ids {
        if let Some(v) = native(*a) {
            all.extend_from_slice(v);
        } else if !widen(*a, &mut all) {
            return Err(unreadable(column, *a));
        }
    }
    TransactionLog::build(
        &IntRows {
            ids: &all,
            days,
            amounts,
        },
        params,
    )
}

impl Source for i32 {
    const NAME: &'static str = "i32";
    const READS: &'static str = "Int32";

    fn reads(data_type: &DataType) -> bool {
        matches!(data_type, DataType::Int32)
    }

    fn log(
        column: &str,
        ids: &[&dyn Array],
        days: &[i32],
        amounts: &[f64],
        params: LogParams,
    ) -> Result<TransactionLog<i32>> {
        int_log(
            ids,
            days,
            amounts,
            params,
            |a| a.as_primitive_opt::<Int32Type>().map(|a| &a.values()[..]),
            |_, _| false,
            column,
        )
    }

    fn data_type() -> DataType {
        DataType::Int32
    }

    fn array<'a>(ids: impl Iterator<Item = &'a Self>) -> ArrayRef {
        Arc::new(Int32Array::from_iter_values(ids.copied()))
    }
}

impl Source for i64 {
    const NAME: &'static str = "i64";
    const READS: &'static str = "Int64 or Int32";

    fn reads(data_type: &DataType) -> bool {
        matches!(data_type, DataType::Int64 | DataType::Int32)
    }

    fn log(
        column: &str,
        ids: &[&dyn Array],
        days: &[i32],
        amounts: &[f64],
        params: LogParams,
    ) -> Result<TransactionLog<i64>> {
        int_log(
            ids,
            days,
            amounts,
            params,
            |a| a.as_primitive_opt::<Int64Type>().map(|a| &a.values()[..]),
            |a, all| match a.as_primitive_opt::<Int32Type>() {
                Some(a) => {
                    all.extend(a.values().iter().map(|&v| i64::from(v)));
                    true
                }
                None => false,
            },
            column,
        )
    }

    fn data_type() -> DataType {
        DataType::Int64
    }

    fn array<'a>(ids: impl Iterator<Item = &'a Self>) -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(ids.copied()))
    }
}

impl Source for u64 {
    const NAME: &'static str = "u64";
    const READS: &'static str = "UInt64";

    fn reads(data_type: &DataType) -> bool {
        matches!(data_type, DataType::UInt64)
    }

    fn log(
        column: &str,
        ids: &[&dyn Array],
        days: &[i32],
        amounts: &[f64],
        params: LogParams,
    ) -> Result<TransactionLog<u64>> {
        int_log(
            ids,
            days,
            amounts,
            params,
            |a| a.as_primitive_opt::<UInt64Type>().map(|a| &a.values()[..]),
            |_, _| false,
            column,
        )
    }

    fn data_type() -> DataType {
        DataType::UInt64
    }

    fn array<'a>(ids: impl Iterator<Item = &'a Self>) -> ArrayRef {
        Arc::new(UInt64Array::from_iter_values(ids.copied()))
    }
}

/// One batch's string id column, of any of the three string layouts.
#[derive(Clone, Copy)]
enum Strings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Strings<'a> {
    fn of(array: &'a dyn Array) -> Option<Self> {
        if let Some(a) = array.as_string_opt::<i32>() {
            Some(Strings::Utf8(a))
        } else if let Some(a) = array.as_string_opt::<i64>() {
            Some(Strings::Large(a))
        } else {
            array.as_string_view_opt().map(Strings::View)
        }
    }
}

/// String ids by row number.
trait StrAt<'a>: Sync {
    fn at(&self, i: usize) -> &'a str;
}

impl<'a> StrAt<'a> for &'a StringArray {
    #[inline]
    fn at(&self, i: usize) -> &'a str {
        self.value(i)
    }
}

impl<'a> StrAt<'a> for &'a LargeStringArray {
    #[inline]
    fn at(&self, i: usize) -> &'a str {
        self.value(i)
    }
}

impl<'a> StrAt<'a> for &'a StringViewArray {
    #[inline]
    fn at(&self, i: usize) -> &'a str {
        self.value(i)
    }
}

impl<'a> StrAt<'a> for Strings<'a> {
    #[inline]
    fn at(&self, i: usize) -> &'a str {
        match self {
            Strings::Utf8(a) => a.value(i),
            Strings::Large(a) => a.value(i),
            Strings::View(a) => a.value(i),
        }
    }
}

/// The string id columns of several batches: row `i` is in the last batch whose first
/// row is at most `i` (empty batches left out).
struct Batches<'a> {
    parts: Vec<Strings<'a>>,
    starts: Vec<usize>,
}

impl<'a> StrAt<'a> for Batches<'a> {
    #[inline]
    fn at(&self, i: usize) -> &'a str {
        let k = self.starts.partition_point(|&s| s <= i) - 1;
        self.parts[k].at(i - self.starts[k])
    }
}

/// Rows whose ids are strings read in place: the log makes one `String` per customer.
struct StrRows<'a, A> {
    ids: A,
    days: &'a [i32],
    amounts: &'a [f64],
}

impl<'a, A: StrAt<'a>> Rows<String> for StrRows<'a, A> {
    type Id<'b>
        = &'b str
    where
        Self: 'b;

    #[inline]
    fn len(&self) -> usize {
        self.days.len()
    }

    #[inline]
    fn id(&self, i: usize) -> &str {
        self.ids.at(i)
    }

    #[inline]
    fn owned(id: &str) -> String {
        id.to_owned()
    }

    #[inline]
    fn day(&self, i: usize) -> Day {
        Day(self.days[i])
    }

    #[inline]
    fn amount(&self, i: usize) -> f64 {
        self.amounts[i]
    }
}

impl Source for String {
    const NAME: &'static str = "String";
    const READS: &'static str = "Utf8, LargeUtf8 or Utf8View";

    fn reads(data_type: &DataType) -> bool {
        matches!(
            data_type,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        )
    }

    fn log(
        column: &str,
        ids: &[&dyn Array],
        days: &[i32],
        amounts: &[f64],
        params: LogParams,
    ) -> Result<TransactionLog<String>> {
        let mut parts = Vec::with_capacity(ids.len());
        let mut starts = Vec::with_capacity(ids.len());
        let mut start = 0;
        for a in ids {
            let part = Strings::of(*a).ok_or_else(|| unreadable(column, *a))?;
            if a.is_empty() {
                continue;
            }
            parts.push(part);
            starts.push(start);
            start += a.len();
        }
        // One batch: read through its own layout, without a branch per row.
        let build = |ids| TransactionLog::build(&StrRows { ids, days, amounts }, params);
        match parts[..] {
            [Strings::Utf8(a)] => TransactionLog::build(
                &StrRows {
                    ids: a,
                    days,
                    amounts,
                },
                params,
            ),
            [Strings::Large(a)] => TransactionLog::build(
                &StrRows {
                    ids: a,
                    days,
                    amounts,
                },
                params,
            ),
            [Strings::View(a)] => TransactionLog::build(
                &StrRows {
                    ids: a,
                    days,
                    amounts,
                },
                params,
            ),
            _ => build(Batches { parts, starts }),
        }
    }

    fn data_type() -> DataType {
        DataType::Utf8
    }

    fn array<'a>(ids: impl Iterator<Item = &'a Self>) -> ArrayRef {
        Arc::new(StringArray::from_iter_values(ids))
    }
}
