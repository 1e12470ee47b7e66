//! The `customer_summary(day, amount)` aggregate: patronage's per-customer summary as a
//! DataFusion [`AggregateUDF`], computed by partition and merged exactly.
//!
//! Each group (customer) keeps a [`PartialSummary`], the core crate's mergeable state:
//! the customer's distinct purchase periods with their spends in integer micro-units,
//! the order count and the first and last purchase days. DataFusion's partial
//! aggregates emit it as Arrow state columns ([`PartialSummary::into_parts`]), and the
//! final aggregate rebuilds and merges them (`PartialSummary::try_from`, then
//! [`PartialSummary::merge`]): merging is associative and commutative and money is
//! summed in integers, so any partitioning of the rows gives bit-identical summaries,
//! equal to [`TransactionLog::summarize`](patronage::TransactionLog::summarize)'s.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, ListArray, StructArray, UInt32Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Date32Type, Field, FieldRef, Fields, Float64Type, Int32Type};
use datafusion_common::{DataFusionError, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use patronage::summary::{PartialSummary, PartialSummaryParts, SummaryParams, SummaryRow};
use patronage::transactions::{Day, MAX_AMOUNT};

/// The aggregate's SQL name.
pub const CUSTOMER_SUMMARY: &str = "customer_summary";

/// The names of the result struct's fields, in order: frequency, recency, T, monetary
/// value (as [`patronage::CustomerSummary`] defines them), orders, total spend, first
/// day and last day.
pub const SUMMARY_FIELDS: [&str; 8] = [
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "orders",
    "total_spend",
    "first_day",
    "last_day",
];

/// The `customer_summary(day, amount)` aggregate for `params` (observation end, period
/// length, time unit and origin, given once here rather than per row).
///
/// - `day`: `DATE` (Date32: days since 1970-01-01, which is also the core crate's
///   [`Day`] when its epoch is 1970-01-01) or `INT` (Int32, a day number on any epoch
///   the caller chooses); smaller integer types are widened to Int32.
/// - `amount`: `DOUBLE` (Float64); other numeric types are converted to it.
///
/// Per group it returns a struct with the fields of [`SUMMARY_FIELDS`]: `frequency`,
/// `recency`, `T` and `monetary_value` (Float64), `orders` (UInt32), `total_spend`
/// (Float64), and `first_day`, `last_day` (of the `day` argument's type), equal bit for
/// bit to the core crate's summary of the same rows. A group with no purchase in the
/// observation window (every row after it) gives a NULL struct, where the core crate
/// leaves the customer out. Rows after the observation end are ignored, as the core
/// crate does.
///
/// Every row must be a purchase: a NULL day or amount, a NaN or infinite amount, a
/// negative amount (refunds are the core crate's returns policies, not supported here)
/// or an amount above [`MAX_AMOUNT`] stops the query with an execution error naming the
/// column; an argument of another type is a planning error naming the argument.
///
/// # Errors
/// A planning error for invalid `params` (a zero period, a time unit that is not
/// positive and finite).
///
/// ```
/// use patronage::{Day, summary::SummaryParams};
/// use patronage_datafusion::customer_summary_udaf;
/// let udaf = customer_summary_udaf(&SummaryParams::new(Day(20_000)))?;
/// assert_eq!(udaf.name(), "customer_summary");
/// assert!(customer_summary_udaf(&SummaryParams::new(Day(0)).period_days(0)).is_err());
/// # Ok::<(), datafusion_common::DataFusionError>(())
/// ```
pub fn customer_summary_udaf(params: &SummaryParams) -> Result<AggregateUDF> {
    Ok(AggregateUDF::from(CustomerSummaryUdaf::new(params)?))
}

/// The implementation behind [`customer_summary_udaf`] (for callers composing their
/// own registries or renaming it).
#[derive(Debug, Clone)]
pub struct CustomerSummaryUdaf {
    params: SummaryParams,
    signature: Signature,
}

impl CustomerSummaryUdaf {
    /// The aggregate for `params`, validated.
    ///
    /// # Errors
    /// A planning error for invalid `params`, as [`customer_summary_udaf`].
    pub fn new(params: &SummaryParams) -> Result<Self> {
        params
            .validate()
            .map_err(|e| DataFusionError::Plan(format!("{CUSTOMER_SUMMARY}: {e}")))?;
        Ok(Self {
            params: *params,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }

    /// The summary params the aggregate was created with.
    pub fn params(&self) -> &SummaryParams {
        &self.params
    }

    fn columns(&self, args: &AccumulatorArgs) -> Result<Columns> {
        if args.is_distinct {
            return Err(DataFusionError::Plan(format!(
                "{CUSTOMER_SUMMARY}: DISTINCT is not supported (every row is an order)"
            )));
        }
        let name = |i: usize, fallback: &str| {
            args.expr_fields
                .get(i)
                .map_or_else(|| fallback.to_string(), |f| f.name().clone())
        };
        let day_type = args
            .expr_fields
            .first()
            .map_or(DataType::Int32, |f| f.data_type().clone());
        Ok(Columns {
            day: name(0, "day"),
            amount: name(1, "amount"),
            day_type,
        })
    }
}

impl PartialEq for CustomerSummaryUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params
    }
}

impl Eq for CustomerSummaryUdaf {}

impl Hash for CustomerSummaryUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let p = &self.params;
        p.observation_end.0.hash(state);
        p.period_days.hash(state);
        p.time_unit_days.map(f64::to_bits).hash(state);
        p.origin.0.hash(state);
    }
}

/// The argument columns' names (for errors) and the day type.
#[derive(Debug, Clone)]
struct Columns {
    day: String,
    amount: String,
    day_type: DataType,
}

/// The result struct's fields for a day type.
fn result_fields(day_type: &DataType) -> Fields {
    let f = |name: &str, t: DataType| Field::new(name, t, false);
    Fields::from(vec![
        f(SUMMARY_FIELDS[0], DataType::Float64),
        f(SUMMARY_FIELDS[1], DataType::Float64),
        f(SUMMARY_FIELDS[2], DataType::Float64),
        f(SUMMARY_FIELDS[3], DataType::Float64),
        f(SUMMARY_FIELDS[4], DataType::UInt32),
        f(SUMMARY_FIELDS[5], DataType::Float64),
        f(SUMMARY_FIELDS[6], day_type.clone()),
        f(SUMMARY_FIELDS[7], day_type.clone()),
    ])
}

/// The intermediate state's fields: the partial summary's periods, their spends in
/// micro-units (Decimal128 with scale 0: an `i128`), orders and first/last day.
fn state_fields(name: &str) -> Vec<FieldRef> {
    let item = |t: DataType| Arc::new(Field::new_list_field(t, false));
    vec![
        Arc::new(Field::new(
            format_state_name(name, "periods"),
            DataType::List(item(DataType::Int64)),
            false,
        )),
        Arc::new(Field::new(
            format_state_name(name, "spends"),
            DataType::List(item(SPEND_TYPE)),
            false,
        )),
        Arc::new(Field::new(
            format_state_name(name, "orders"),
            DataType::UInt32,
            false,
        )),
        Arc::new(Field::new(
            format_state_name(name, "first_day"),
            DataType::Int32,
            true,
        )),
        Arc::new(Field::new(
            format_state_name(name, "last_day"),
            DataType::Int32,
            true,
        )),
    ]
}

/// Micro-unit spends: Decimal128 with 38 digits and scale 0 holds any `i128` the state
/// holds (at most `u32::MAX` orders of `1e12` in micro-units, about `4.3e27`).
const SPEND_TYPE: DataType = DataType::Decimal128(38, 0);

impl AggregateUDFImpl for CustomerSummaryUdaf {
    fn name(&self) -> &str {
        CUSTOMER_SUMMARY
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [day, amount] = arg_types else {
            return Err(DataFusionError::Plan(format!(
                "{CUSTOMER_SUMMARY} takes two arguments (day, amount), got {}",
                arg_types.len()
            )));
        };
        let day = match day {
            DataType::Date32 | DataType::Int32 => day.clone(),
            DataType::Int8 | DataType::Int16 | DataType::UInt8 | DataType::UInt16 => {
                DataType::Int32
            }
            other => {
                return Err(DataFusionError::Plan(format!(
                    "{CUSTOMER_SUMMARY}: the day argument must be a DATE (Date32) or an INT day number (Int32), got {other}: cast it"
                )));
            }
        };
        if !(amount.is_numeric()) {
            return Err(DataFusionError::Plan(format!(
                "{CUSTOMER_SUMMARY}: the amount argument must be numeric (DOUBLE), got {amount}"
            )));
        }
        Ok(vec![day, DataType::Float64])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let day_type = arg_types.first().cloned().unwrap_or(DataType::Int32);
        Ok(DataType::Struct(result_fields(&day_type)))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SummaryAccumulator {
            params: self.params,
            columns: self.columns(&args)?,
            state: PartialSummary::default(),
            entries: 0,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(args.name))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SummaryGroupsAccumulator {
            params: self.params,
            columns: self.columns(&args)?,
            groups: Vec::new(),
            entries: 0,
        }))
    }
}

/// The (day, amount) input columns of one batch, checked.
struct Input<'a> {
    days: &'a [i32],
    amounts: &'a Float64Array,
    day_nulls: Option<&'a NullBuffer>,
}

impl<'a> Input<'a> {
    fn new(values: &'a [ArrayRef], columns: &Columns) -> Result<Self> {
        let [day, amount] = values else {
            return Err(DataFusionError::Internal(format!(
                "{CUSTOMER_SUMMARY}: expected 2 argument arrays, got {}",
                values.len()
            )));
        };
        let days: &[i32] = match day.data_type() {
            DataType::Date32 => day.as_primitive::<Date32Type>().values(),
            DataType::Int32 => day.as_primitive::<Int32Type>().values(),
            other => {
                return Err(DataFusionError::Execution(format!(
                    "{CUSTOMER_SUMMARY}: column `{}` must be Date32 or Int32, got {other}",
                    columns.day
                )));
            }
        };
        let amounts = amount.as_primitive_opt::<Float64Type>().ok_or_else(|| {
            DataFusionError::Execution(format!(
                "{CUSTOMER_SUMMARY}: column `{}` must be Float64, got {}",
                columns.amount,
                amount.data_type()
            ))
        })?;
        Ok(Self {
            days,
            amounts,
            day_nulls: day.nulls(),
        })
    }

    /// Row `i`'s (day, amount), or an error naming the column.
    #[inline]
    fn row(&self, i: usize, columns: &Columns) -> Result<(Day, f64)> {
        if self.day_nulls.is_some_and(|n| n.is_null(i)) {
            return Err(row_error(&columns.day, i, "is NULL"));
        }
        if self.amounts.is_null(i) {
            return Err(row_error(&columns.amount, i, "is NULL"));
        }
        let amount = self.amounts.value(i);
        if !amount.is_finite() {
            return Err(row_error(
                &columns.amount,
                i,
                &format!("is {amount}: amounts must be finite"),
            ));
        }
        if amount < 0.0 {
            return Err(row_error(
                &columns.amount,
                i,
                &format!(
                    "is negative ({amount}): {CUSTOMER_SUMMARY} takes purchases only; filter refunds out (amount >= 0)"
                ),
            ));
        }
        if amount > MAX_AMOUNT {
            return Err(row_error(
                &columns.amount,
                i,
                &format!("is {amount}, above the largest amount {MAX_AMOUNT}"),
            ));
        }
        Ok((Day(self.days[i]), amount))
    }
}

fn row_error(column: &str, row: usize, what: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "{CUSTOMER_SUMMARY}: column `{column}` {what} (row {row} of its batch)"
    ))
}

/// Whether the optional filter keeps row `i`.
#[inline]
fn kept(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(i) && f.value(i))
}

/// Partial states as the Arrow state columns of [`state_fields`].
fn encode_states(states: Vec<PartialSummary>) -> Result<Vec<ArrayRef>> {
    let n = states.len();
    let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
    offsets.push(0);
    let mut periods: Vec<i64> = Vec::new();
    let mut spends: Vec<i128> = Vec::new();
    let mut orders: Vec<u32> = Vec::with_capacity(n);
    let mut first: Vec<Option<i32>> = Vec::with_capacity(n);
    let mut last: Vec<Option<i32>> = Vec::with_capacity(n);
    for state in states {
        let parts = state.into_parts();
        for (p, s) in parts.periods {
            periods.push(p);
            spends.push(s);
        }
        let end = i32::try_from(periods.len()).map_err(|_| {
            DataFusionError::ResourcesExhausted(format!(
                "{CUSTOMER_SUMMARY}: more than {} purchase periods in one state batch",
                i32::MAX
            ))
        })?;
        offsets.push(end);
        orders.push(parts.orders);
        first.push(parts.first_day.map(|d| d.0));
        last.push(parts.last_day.map(|d| d.0));
    }
    let offsets = OffsetBuffer::new(offsets.into());
    let item = |t: DataType| Arc::new(Field::new_list_field(t, false));
    let spends = Decimal128Array::from(spends).with_precision_and_scale(38, 0)?;
    Ok(vec![
        Arc::new(ListArray::try_new(
            item(DataType::Int64),
            offsets.clone(),
            Arc::new(Int64Array::from(periods)),
            None,
        )?),
        Arc::new(ListArray::try_new(
            item(SPEND_TYPE),
            offsets,
            Arc::new(spends),
            None,
        )?),
        Arc::new(UInt32Array::from(orders)),
        Arc::new(Int32Array::from(first)),
        Arc::new(Int32Array::from(last)),
    ])
}

/// Reads the state columns of [`state_fields`] back, one partial state per row,
/// handing each to `merge` with its row index.
fn decode_states(
    values: &[ArrayRef],
    mut merge: impl FnMut(usize, PartialSummary) -> Result<()>,
) -> Result<()> {
    let bad = |what: &str| {
        DataFusionError::Internal(format!(
            "{CUSTOMER_SUMMARY}: the intermediate state's {what} column has the wrong type"
        ))
    };
    let [periods, spends, orders, first, last] = values else {
        return Err(DataFusionError::Internal(format!(
            "{CUSTOMER_SUMMARY}: expected 5 state arrays, got {}",
            values.len()
        )));
    };
    let periods = periods.as_list_opt::<i32>().ok_or_else(|| bad("periods"))?;
    let spends = spends.as_list_opt::<i32>().ok_or_else(|| bad("spends"))?;
    let period_values = periods
        .values()
        .as_primitive_opt::<arrow::datatypes::Int64Type>()
        .ok_or_else(|| bad("periods"))?
        .values();
    let spend_values = spends
        .values()
        .as_primitive_opt::<arrow::datatypes::Decimal128Type>()
        .ok_or_else(|| bad("spends"))?
        .values();
    let orders = orders
        .as_primitive_opt::<arrow::datatypes::UInt32Type>()
        .ok_or_else(|| bad("orders"))?;
    let first = first
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| bad("first_day"))?;
    let last = last
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| bad("last_day"))?;
    let (po, so) = (periods.value_offsets(), spends.value_offsets());
    for row in 0..periods.len() {
        if periods.is_null(row) {
            continue;
        }
        let (lo, hi) = (po[row] as usize, po[row + 1] as usize);
        let (slo, shi) = (so[row] as usize, so[row + 1] as usize);
        if hi - lo != shi - slo || hi > period_values.len() || shi > spend_values.len() {
            return Err(bad("spends"));
        }
        let day = |a: &Int32Array| a.is_valid(row).then(|| Day(a.value(row)));
        let parts = PartialSummaryParts {
            periods: period_values[lo..hi]
                .iter()
                .copied()
                .zip(spend_values[slo..shi].iter().copied())
                .collect(),
            orders: orders.value(row),
            first_day: day(first),
            last_day: day(last),
            ..PartialSummaryParts::default()
        };
        let state = PartialSummary::try_from(parts).map_err(|e| {
            DataFusionError::Execution(format!(
                "{CUSTOMER_SUMMARY}: invalid intermediate state: {e}"
            ))
        })?;
        merge(row, state)?;
    }
    Ok(())
}

/// Finished summaries as the result struct array (NULL where a group has no purchase
/// in the window).
fn encode_results(rows: &[Option<SummaryRow>], day_type: &DataType) -> Result<StructArray> {
    let get = |f: fn(&SummaryRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.as_ref().map_or(0.0, f)),
        ))
    };
    let days = |f: fn(&SummaryRow) -> i32| -> ArrayRef {
        let v = rows.iter().map(|r| r.as_ref().map_or(0, f));
        match day_type {
            DataType::Date32 => Arc::new(Date32Array::from_iter_values(v)),
            _ => Arc::new(Int32Array::from_iter_values(v)),
        }
    };
    let columns: Vec<ArrayRef> = vec![
        get(|r| r.frequency),
        get(|r| r.recency),
        get(|r| r.age),
        get(|r| r.monetary_value),
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| r.as_ref().map_or(0, |r| r.orders)),
        )),
        get(|r| r.total_spend),
        days(|r| r.first_day.0),
        days(|r| r.last_day.0),
    ];
    let nulls = rows
        .iter()
        .any(Option::is_none)
        .then(|| NullBuffer::from_iter(rows.iter().map(Option::is_some)));
    Ok(StructArray::try_new(
        result_fields(day_type),
        columns,
        nulls,
    )?)
}

fn finish(state: &PartialSummary, params: &SummaryParams) -> Result<Option<SummaryRow>> {
    state
        .finish(params)
        .map_err(|e| DataFusionError::Execution(format!("{CUSTOMER_SUMMARY}: {e}")))
}

/// The grouped accumulator: one partial state per group, in group-index order.
#[derive(Debug)]
struct SummaryGroupsAccumulator {
    params: SummaryParams,
    columns: Columns,
    groups: Vec<PartialSummary>,
    /// An upper bound on the (period, spend) entries held, for [`size`](GroupsAccumulator::size).
    entries: usize,
}

impl SummaryGroupsAccumulator {
    fn take(&mut self, emit_to: EmitTo) -> Vec<PartialSummary> {
        let taken = emit_to.take_needed(&mut self.groups);
        if self.groups.is_empty() {
            self.entries = 0;
        }
        taken
    }
}

impl GroupsAccumulator for SummaryGroupsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let input = Input::new(values, &self.columns)?;
        self.groups
            .resize_with(total_num_groups, PartialSummary::default);
        for (i, &g) in group_indices.iter().enumerate() {
            if !kept(opt_filter, i) {
                continue;
            }
            let (day, amount) = input.row(i, &self.columns)?;
            self.groups[g].update(&self.params, day, amount);
        }
        self.entries += group_indices.len();
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let states = self.take(emit_to);
        let rows = states
            .iter()
            .map(|s| finish(s, &self.params))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(encode_results(&rows, &self.columns.day_type)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let states = self.take(emit_to);
        encode_states(states)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups
            .resize_with(total_num_groups, PartialSummary::default);
        let groups = &mut self.groups;
        decode_states(values, |row, state| {
            let g = *group_indices.get(row).ok_or_else(|| {
                DataFusionError::Internal(format!(
                    "{CUSTOMER_SUMMARY}: state row {row} has no group"
                ))
            })?;
            groups[g].merge(&state);
            Ok(())
        })?;
        self.entries += values.first().map_or(0, |v| v.len());
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let input = Input::new(values, &self.columns)?;
        let mut states = Vec::with_capacity(input.days.len());
        for i in 0..input.days.len() {
            let mut s = PartialSummary::default();
            if kept(opt_filter, i) {
                let (day, amount) = input.row(i, &self.columns)?;
                s.update(&self.params, day, amount);
            }
            states.push(s);
        }
        encode_states(states)
    }

    fn size(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<PartialSummary>()
            + self.entries
                * (std::mem::size_of::<(i64, i128)>() + std::mem::size_of::<(Day, Day)>())
    }
}

/// The row-at-a-time accumulator (used without GROUP BY, or in window frames).
#[derive(Debug)]
struct SummaryAccumulator {
    params: SummaryParams,
    columns: Columns,
    state: PartialSummary,
    /// An upper bound on the (period, spend) entries held, for [`size`](Accumulator::size).
    entries: usize,
}

impl Accumulator for SummaryAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let input = Input::new(values, &self.columns)?;
        for i in 0..input.days.len() {
            let (day, amount) = input.row(i, &self.columns)?;
            self.state.update(&self.params, day, amount);
        }
        self.entries += input.days.len();
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let row = finish(&self.state, &self.params)?;
        let array = encode_results(&[row], &self.columns.day_type)?;
        ScalarValue::try_from_array(&array, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.entries
                * (std::mem::size_of::<(i64, i128)>() + std::mem::size_of::<(Day, Day)>())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let arrays = encode_states(vec![self.state.clone()])?;
        arrays
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let state = &mut self.state;
        decode_states(states, |_, s| {
            state.merge(&s);
            Ok(())
        })?;
        self.entries += states.first().map_or(0, |v| v.len());
        Ok(())
    }
}
