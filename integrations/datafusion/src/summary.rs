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
        Ok(Box::new(SummaryGroupsAccumulator::new(
            self.params,
            self.columns(&args)?,
        )))
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
fn encode_states(states: Taken) -> Result<Vec<ArrayRef>> {
    let offsets = states
        .offsets
        .iter()
        .map(|&o| i32::try_from(o))
        .collect::<std::result::Result<Vec<i32>, _>>()
        .map_err(|_| {
            DataFusionError::ResourcesExhausted(format!(
                "{CUSTOMER_SUMMARY}: more than {} purchase periods in one state batch",
                i32::MAX
            ))
        })?;
    let offsets = OffsetBuffer::new(offsets.into());
    let item = |t: DataType| Arc::new(Field::new_list_field(t, false));
    let spends = Decimal128Array::from(states.spends).with_precision_and_scale(38, 0)?;
    let day = |end: bool| -> ArrayRef {
        Arc::new(Int32Array::from_iter(
            states
                .days
                .iter()
                .map(|d| d.map(|(a, b)| if end { b.0 } else { a.0 })),
        ))
    };
    Ok(vec![
        Arc::new(ListArray::try_new(
            item(DataType::Int64),
            offsets.clone(),
            Arc::new(Int64Array::from(states.periods)),
            None,
        )?),
        Arc::new(ListArray::try_new(
            item(SPEND_TYPE),
            offsets,
            Arc::new(spends),
            None,
        )?),
        Arc::new(UInt32Array::from(states.orders)),
        day(false),
        day(true),
    ])
}

/// One row of the state columns: a partial state, borrowed.
struct StateRow<'a> {
    periods: &'a [i64],
    spends: &'a [i128],
    orders: u32,
    first_day: Option<Day>,
    last_day: Option<Day>,
}

impl StateRow<'_> {
    /// The state as a core [`PartialSummary`], checked as a loaded state is.
    fn to_partial(&self) -> Result<PartialSummary> {
        let parts = PartialSummaryParts {
            periods: self
                .periods
                .iter()
                .copied()
                .zip(self.spends.iter().copied())
                .collect(),
            orders: self.orders,
            first_day: self.first_day,
            last_day: self.last_day,
            ..PartialSummaryParts::default()
        };
        PartialSummary::try_from(parts).map_err(|e| {
            DataFusionError::Execution(format!(
                "{CUSTOMER_SUMMARY}: invalid intermediate state: {e}"
            ))
        })
    }
}

/// Reads the state columns of [`state_fields`] back, one partial state per row,
/// handing each to `merge` with its row index.
fn decode_states(
    values: &[ArrayRef],
    mut merge: impl FnMut(usize, StateRow<'_>) -> Result<()>,
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
    let rows = periods.len();
    if [spends.len(), orders.len(), first.len(), last.len()] != [rows; 4] {
        return Err(bad("row count"));
    }
    let (po, so) = (periods.value_offsets(), spends.value_offsets());
    for row in 0..rows {
        if periods.is_null(row) {
            continue;
        }
        let (lo, hi) = (po[row] as usize, po[row + 1] as usize);
        let (slo, shi) = (so[row] as usize, so[row + 1] as usize);
        let (Some(periods), Some(spends)) = (period_values.get(lo..hi), spend_values.get(slo..shi))
        else {
            return Err(bad("periods"));
        };
        if periods.len() != spends.len() {
            return Err(bad("spends"));
        }
        let day = |a: &Int32Array| a.is_valid(row).then(|| Day(a.value(row)));
        merge(
            row,
            StateRow {
                periods,
                spends,
                orders: orders.value(row),
                first_day: day(first),
                last_day: day(last),
            },
        )?;
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

/// The grouped accumulator, in columns: per group the order count and the first and
/// last purchase day; for all groups together, one (group, period, spend) entry per
/// purchase row or per period of a merged state, in arrival order. Updates and merges
/// append; emitting sorts the entries by group (a counting sort) and each group's by
/// period, summing a period's spends. Keeping a core [`PartialSummary`] per group
/// instead cost two allocations per group and partition and a merge of sorted vectors
/// per state: 1.17 s against 0.12 s for the engine's built-in aggregates on the
/// synthetic-1M bench.
#[derive(Debug)]
struct SummaryGroupsAccumulator {
    params: SummaryParams,
    columns: Columns,
    orders: Vec<u32>,
    days: Vec<Option<(Day, Day)>>,
    entries: Vec<Entry>,
}

/// A purchase (or a merged state's period) of a group.
#[derive(Debug, Clone, Copy)]
struct Entry {
    group: usize,
    period: i64,
    spend: i128,
}

/// Emitted groups: their distinct periods (ascending) and spends, group `g`'s at
/// `offsets[g]..offsets[g + 1]`, orders and first/last purchase days.
struct Taken {
    offsets: Vec<usize>,
    periods: Vec<i64>,
    spends: Vec<i128>,
    orders: Vec<u32>,
    days: Vec<Option<(Day, Day)>>,
}

impl Taken {
    /// Group `g` as a core [`PartialSummary`], checked as a loaded state is.
    fn partial(&self, g: usize) -> Result<PartialSummary> {
        let (lo, hi) = (self.offsets[g], self.offsets[g + 1]);
        StateRow {
            periods: &self.periods[lo..hi],
            spends: &self.spends[lo..hi],
            orders: self.orders[g],
            first_day: self.days[g].map(|d| d.0),
            last_day: self.days[g].map(|d| d.1),
        }
        .to_partial()
    }
}

/// Two optional (first, last) day spans joined.
fn join_days(a: Option<(Day, Day)>, b: Option<(Day, Day)>) -> Option<(Day, Day)> {
    match (a, b) {
        (Some(x), Some(y)) => Some((x.0.min(y.0), x.1.max(y.1))),
        (x, y) => x.or(y),
    }
}

impl SummaryGroupsAccumulator {
    fn new(params: SummaryParams, columns: Columns) -> Self {
        Self {
            params,
            columns,
            orders: Vec::new(),
            days: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn resize(&mut self, groups: usize) {
        if groups > self.orders.len() {
            self.orders.resize(groups, 0);
            self.days.resize(groups, None);
        }
    }

    /// Takes the first groups out (all, or `First(n)`), renumbering the rest.
    fn take(&mut self, emit_to: EmitTo) -> Taken {
        let total = self.orders.len();
        let n = match emit_to {
            EmitTo::All => total,
            EmitTo::First(n) => n.min(total),
        };
        // Counting sort of the emitted groups' entries by group.
        let mut starts = vec![0usize; n + 1];
        for e in &self.entries {
            if e.group < n {
                starts[e.group + 1] += 1;
            }
        }
        for g in 0..n {
            starts[g + 1] += starts[g];
        }
        let mut sorted = vec![(0i64, 0i128); starts[n]];
        let mut next = starts.clone();
        let mut rest = Vec::new();
        for e in self.entries.drain(..) {
            if e.group < n {
                sorted[next[e.group]] = (e.period, e.spend);
                next[e.group] += 1;
            } else {
                rest.push(Entry {
                    group: e.group - n,
                    ..e
                });
            }
        }
        self.entries = rest;
        // Each group's periods in order, a period's spends summed.
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let (mut periods, mut spends) = (Vec::with_capacity(sorted.len()), Vec::new());
        for g in 0..n {
            let group = &mut sorted[starts[g]..starts[g + 1]];
            group.sort_unstable_by_key(|e| e.0);
            let first = periods.len();
            for &(p, s) in group.iter() {
                if periods.len() > first && periods.last() == Some(&p) {
                    if let Some(last) = spends.last_mut() {
                        *last = PartialSummary::add_spends(*last, s);
                    }
                } else {
                    periods.push(p);
                    spends.push(s);
                }
            }
            offsets.push(periods.len());
        }
        Taken {
            offsets,
            periods,
            spends,
            orders: self.orders.drain(..n).collect(),
            days: self.days.drain(..n).collect(),
        }
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
        self.resize(total_num_groups);
        self.entries.reserve(group_indices.len());
        for (i, &g) in group_indices.iter().enumerate() {
            if !kept(opt_filter, i) {
                continue;
            }
            let (day, amount) = input.row(i, &self.columns)?;
            if g >= self.orders.len() {
                return Err(DataFusionError::Internal(format!(
                    "{CUSTOMER_SUMMARY}: group index {g} of row {i} is beyond the {} groups",
                    self.orders.len()
                )));
            }
            if let Some((period, spend)) = PartialSummary::purchase_entry(&self.params, day, amount)
            {
                self.entries.push(Entry {
                    group: g,
                    period,
                    spend,
                });
                self.orders[g] = self.orders[g].saturating_add(1);
                self.days[g] = join_days(self.days[g], Some((day, day)));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = self.take(emit_to);
        let rows = (0..taken.orders.len())
            .map(|g| finish(&taken.partial(g)?, &self.params))
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(encode_results(&rows, &self.columns.day_type)?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        encode_states(self.take(emit_to))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let (orders, days, entries) = (&mut self.orders, &mut self.days, &mut self.entries);
        decode_states(values, |row, state| {
            let g = *group_indices
                .get(row)
                .filter(|&&g| g < orders.len())
                .ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "{CUSTOMER_SUMMARY}: state row {row} has no group"
                    ))
                })?;
            // A state's own checks (sorted periods, spends within the orders, ...) run
            // when the merged group is emitted: merging here only appends.
            for (&period, &spend) in state.periods.iter().zip(state.spends) {
                entries.push(Entry {
                    group: g,
                    period,
                    spend,
                });
            }
            orders[g] = orders[g].saturating_add(state.orders);
            let span = match (state.first_day, state.last_day) {
                (Some(a), Some(b)) => Some((a, b)),
                (None, None) => None,
                _ => {
                    return Err(DataFusionError::Execution(format!(
                        "{CUSTOMER_SUMMARY}: invalid intermediate state: a first purchase day without a last, or a last without a first (row {row})"
                    )));
                }
            };
            days[g] = join_days(days[g], span);
            Ok(())
        })
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let input = Input::new(values, &self.columns)?;
        let n = input.days.len();
        let mut states = Taken {
            offsets: Vec::with_capacity(n + 1),
            periods: Vec::with_capacity(n),
            spends: Vec::with_capacity(n),
            orders: Vec::with_capacity(n),
            days: Vec::with_capacity(n),
        };
        states.offsets.push(0);
        for i in 0..n {
            let mut purchase = None;
            if kept(opt_filter, i) {
                let (day, amount) = input.row(i, &self.columns)?;
                purchase = PartialSummary::purchase_entry(&self.params, day, amount)
                    .map(|entry| (entry, day));
            }
            if let Some(((period, spend), _)) = purchase {
                states.periods.push(period);
                states.spends.push(spend);
            }
            states.offsets.push(states.periods.len());
            states.orders.push(u32::from(purchase.is_some()));
            states.days.push(purchase.map(|(_, day)| (day, day)));
        }
        encode_states(states)
    }

    fn size(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.orders.capacity() * std::mem::size_of::<u32>()
            + self.days.capacity() * std::mem::size_of::<Option<(Day, Day)>>()
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
        let parts = self.state.clone().into_parts();
        let arrays = encode_states(Taken {
            offsets: vec![0, parts.periods.len()],
            periods: parts.periods.iter().map(|p| p.0).collect(),
            spends: parts.periods.iter().map(|p| p.1).collect(),
            orders: vec![parts.orders],
            days: vec![parts.first_day.zip(parts.last_day)],
        })?;
        arrays
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let state = &mut self.state;
        decode_states(states, |_, s| {
            state.merge(&s.to_partial()?);
            Ok(())
        })?;
        self.entries += states.first().map_or(0, |v| v.len());
        Ok(())
    }
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    fn accumulator() -> SummaryGroupsAccumulator {
        SummaryGroupsAccumulator::new(
            SummaryParams::new(Day(60)).period_days(7),
            Columns {
                day: "day".into(),
                amount: "amount".into(),
                day_type: DataType::Int32,
            },
        )
    }

    /// Rows of 5 groups, interleaved, some after the observation end.
    fn feed(acc: &mut SummaryGroupsAccumulator) {
        let groups: Vec<usize> = (0..40).map(|i| (i * 3) % 5).collect();
        let days: Vec<i32> = (0..40).map(|i| (i * 17) % 70).collect();
        let amounts: Vec<f64> = (0..40).map(|i| f64::from(i) * 1.25).collect();
        let values: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(days)),
            Arc::new(Float64Array::from(amounts)),
        ];
        acc.update_batch(&values, &groups, None, 5).unwrap();
    }

    #[test]
    fn emitting_in_parts_or_through_states_equals_emitting_all() {
        let mut all = accumulator();
        feed(&mut all);
        let whole = all.evaluate(EmitTo::All).unwrap();
        assert_eq!(whole.len(), 5);

        let mut parts = accumulator();
        feed(&mut parts);
        let head = parts.evaluate(EmitTo::First(2)).unwrap();
        let tail = parts.evaluate(EmitTo::All).unwrap();
        assert_eq!(&*head, &*whole.slice(0, 2));
        assert_eq!(&*tail, &*whole.slice(2, 3));

        // Partial states of two accumulators, merged into a third, twice over.
        let mut merged = accumulator();
        for _ in 0..2 {
            let mut a = accumulator();
            feed(&mut a);
            let first = a.state(EmitTo::First(3)).unwrap();
            merged.merge_batch(&first, &[0, 1, 2], 5).unwrap();
            let rest = a.state(EmitTo::All).unwrap();
            merged.merge_batch(&rest, &[3, 4], 5).unwrap();
        }
        let twice = merged.evaluate(EmitTo::All).unwrap();
        let twice = twice.as_struct();
        let once = whole.as_struct();
        let orders = |s: &StructArray| {
            s.column(4)
                .as_primitive::<arrow::datatypes::UInt32Type>()
                .values()
                .to_vec()
        };
        assert_eq!(
            orders(twice),
            orders(once).iter().map(|o| 2 * o).collect::<Vec<_>>()
        );
        // Same periods, twice the spend: frequency and recency equal, spend doubled.
        for c in [0, 1, 2] {
            assert_eq!(twice.column(c), once.column(c));
        }
        let spend = |s: &StructArray| s.column(5).as_primitive::<Float64Type>().values().to_vec();
        assert_eq!(
            spend(twice),
            spend(once).iter().map(|v| 2.0 * v).collect::<Vec<_>>()
        );
    }

    /// State columns for one crafted state.
    fn state(
        periods: Vec<i64>,
        spends: Vec<i128>,
        orders: u32,
        days: Option<(i32, i32)>,
    ) -> Vec<ArrayRef> {
        encode_states(Taken {
            offsets: vec![0, periods.len()],
            spends,
            orders: vec![orders],
            days: vec![days.map(|(a, b)| (Day(a), Day(b)))],
            periods,
        })
        .unwrap()
    }

    #[test]
    fn crafted_states_are_errors_not_panics() {
        let cases = [
            // Spends not matching the orders (more than MAX_AMOUNT per order).
            state(vec![1], vec![i128::MAX], 1, Some((7, 7))),
            state(vec![1, 2], vec![i128::MAX, i128::MAX], 2, Some((7, 14))),
            // A negative spend.
            state(vec![1], vec![-5], 1, Some((7, 7))),
            // Orders without periods; periods without orders.
            state(vec![], vec![], 3, None),
            state(vec![1], vec![5], 0, Some((7, 7))),
            // A period after the observation end's, a day outside its period.
            state(vec![1_000], vec![5], 1, Some((7_000, 7_000))),
            state(vec![1], vec![5], 1, Some((30, 30))),
            // The first day after the last.
            state(vec![1, 2], vec![5, 5], 2, Some((14, 7))),
            // A period beyond any i32 day's.
            state(vec![i64::MAX], vec![5], 1, Some((7, 7))),
        ];
        for (k, columns) in cases.iter().enumerate() {
            let mut acc = accumulator();
            let merged = acc.merge_batch(columns, &[0], 1);
            let result = merged.and_then(|()| acc.evaluate(EmitTo::All));
            assert!(result.is_err(), "case {k}: {result:?}");
        }
        // A state row without a group, a first day without a last, a purchase row of a
        // group beyond the groups.
        let mut acc = accumulator();
        let values: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![3])),
            Arc::new(Float64Array::from(vec![1.0])),
        ];
        assert!(acc.update_batch(&values, &[7], None, 5).is_err());
        assert!(acc.merge_batch(&cases[0], &[], 1).is_err());
        let mut half = state(vec![1], vec![5], 1, Some((7, 7)));
        half[4] = Arc::new(Int32Array::from(vec![None::<i32>]));
        assert!(acc.merge_batch(&half, &[0], 1).is_err());
    }
}
