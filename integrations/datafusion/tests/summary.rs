//! `customer_summary` through SQL over partitioned tables equals the core crate's
//! one-pass summary bit for bit; bad input is an error naming the column.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, Float64Type, Int32Type, Int64Type, Schema, UInt32Type,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use patronage::summary::SummaryParams;
use patronage::{Day, TransactionLog};
use patronage_datafusion::customer_summary_udaf;

/// One customer's summary, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bits {
    frequency: u64,
    recency: u64,
    age: u64,
    monetary_value: u64,
    orders: u32,
    total_spend: u64,
    first_day: i32,
    last_day: i32,
}

/// The core crate's summary, by customer id.
fn core_summary(
    rows: &[patronage::Transaction<u64>],
    params: &SummaryParams,
) -> HashMap<u64, Bits> {
    let log = TransactionLog::new(rows).expect("log");
    let s = log.summarize(params).expect("summary");
    let (orders, spend) = (s.orders().expect("orders"), s.total_spend().expect("spend"));
    let (first, last) = (s.first_day().expect("first"), s.last_day().expect("last"));
    (0..s.len())
        .map(|i| {
            (
                *log.customer_id(s.customer()[i]),
                Bits {
                    frequency: s.frequency()[i].to_bits(),
                    recency: s.recency()[i].to_bits(),
                    age: s.age()[i].to_bits(),
                    monetary_value: s.monetary_value()[i].to_bits(),
                    orders: orders[i],
                    total_spend: spend[i].to_bits(),
                    first_day: first[i].0,
                    last_day: last[i].0,
                },
            )
        })
        .collect()
}

/// `customer_summary` by customer through SQL: the summaries, and the number of NULL
/// summaries (customers with no purchase in the window).
async fn sql_summary(ctx: &SessionContext, sql: &str) -> (HashMap<u64, Bits>, usize) {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let (mut out, mut nulls) = (HashMap::new(), 0);
    for b in &batches {
        let customer = b.column(0).as_primitive::<Int64Type>();
        let s = b.column(1).as_struct();
        let f = |name: &str| s.column_by_name(name).expect(name).clone();
        let float = |name: &str| f(name).as_primitive::<Float64Type>().clone();
        let day = |name: &str| -> Vec<i32> {
            let c = f(name);
            match c.data_type() {
                DataType::Date32 => c.as_primitive::<Date32Type>().values().to_vec(),
                _ => c.as_primitive::<Int32Type>().values().to_vec(),
            }
        };
        let (fr, re, t, mv, ts) = (
            float("frequency"),
            float("recency"),
            float("T"),
            float("monetary_value"),
            float("total_spend"),
        );
        let orders = f("orders").as_primitive::<UInt32Type>().clone();
        let (first, last) = (day("first_day"), day("last_day"));
        for i in 0..b.num_rows() {
            if s.is_null(i) {
                nulls += 1;
                continue;
            }
            let bits = Bits {
                frequency: fr.value(i).to_bits(),
                recency: re.value(i).to_bits(),
                age: t.value(i).to_bits(),
                monetary_value: mv.value(i).to_bits(),
                orders: orders.value(i),
                total_spend: ts.value(i).to_bits(),
                first_day: first[i],
                last_day: last[i],
            };
            assert!(out.insert(customer.value(i) as u64, bits).is_none());
        }
    }
    (out, nulls)
}

const QUERY: &str =
    "SELECT customer, customer_summary(day, amount) AS s FROM purchases GROUP BY customer";

async fn check(
    rows: &[patronage::Transaction<u64>],
    params: &SummaryParams,
    partitions: usize,
    target_partitions: usize,
    date32: bool,
) {
    let ctx = common::session(target_partitions);
    ctx.register_udaf(customer_summary_udaf(params).expect("udaf"));
    ctx.register_table(
        "purchases",
        Arc::new(common::table(rows, partitions, 997, date32)),
    )
    .expect("register");
    let (got, nulls) = sql_summary(&ctx, QUERY).await;
    let want = core_summary(rows, params);
    let customers: std::collections::HashSet<u64> = rows.iter().map(|t| t.customer).collect();
    assert_eq!(
        got.len(),
        want.len(),
        "customers with a purchase in the window"
    );
    assert_eq!(got.len() + nulls, customers.len());
    for (c, w) in &want {
        assert_eq!(got.get(c), Some(w), "customer {c}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_equals_core_bit_for_bit_on_any_partitioning() {
    let rows = common::purchases(6_000, 11);
    assert!(rows.len() > 15_000, "{} rows", rows.len());
    // Daily periods with the window cut short (rows after day 500 are ignored), and
    // weekly periods reported in weeks.
    let daily = SummaryParams::new(Day(500));
    let weekly = SummaryParams::new(Day(728))
        .period_days(7)
        .time_unit_days(7.0);
    for params in [daily, weekly] {
        for (partitions, target) in [(8, 8), (13, 4), (1, 1)] {
            check(&rows, &params, partitions, target, true).await;
        }
    }
    check(&rows, &daily, 8, 8, false).await; // Int32 day numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_partial_aggregation_converts_rows_to_states_exactly() {
    // Force the engine to skip the partial phase: every row becomes a state of its own
    // (GroupsAccumulator::convert_to_state), merged in the final phase.
    let rows = common::purchases(3_000, 5);
    let params = SummaryParams::new(Day(600));
    let config = datafusion::prelude::SessionConfig::new()
        .with_target_partitions(8)
        .set_usize(
            "datafusion.execution.skip_partial_aggregation_probe_rows_threshold",
            1,
        )
        .set_str(
            "datafusion.execution.skip_partial_aggregation_probe_ratio_threshold",
            "0.0",
        );
    let ctx = SessionContext::new_with_config(config);
    ctx.register_udaf(customer_summary_udaf(&params).expect("udaf"));
    ctx.register_table("purchases", Arc::new(common::table(&rows, 8, 101, true)))
        .expect("register");
    let (got, _) = sql_summary(&ctx, QUERY).await;
    assert_eq!(got, core_summary(&rows, &params));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_group_by_the_row_accumulator_gives_the_same_summary() {
    let rows = common::purchases(2_000, 3);
    let params = SummaryParams::new(Day(700));
    let want = core_summary(&rows, &params);
    let ctx = common::session(8);
    ctx.register_udaf(customer_summary_udaf(&params).expect("udaf"));
    ctx.register_table("purchases", Arc::new(common::table(&rows, 8, 64, true)))
        .expect("register");
    let mut checked = 0;
    for (&c, w) in want.iter().filter(|(_, w)| w.orders > 3).take(5) {
        let sql = format!(
            "SELECT {c} AS customer, customer_summary(day, amount) FROM purchases WHERE customer = {c}"
        );
        let (got, _) = sql_summary(&ctx, &sql).await;
        assert_eq!(got.get(&c), Some(w), "customer {c}");
        checked += 1;
    }
    assert_eq!(checked, 5);
}

/// A one-partition table of (customer, day, amount) with the given columns.
fn small_table(day: ArrayRef, amount: ArrayRef) -> MemTable {
    let n = day.len();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Int64, false),
        Field::new("order_day", day.data_type().clone(), true),
        Field::new("price", amount.data_type().clone(), true),
    ]));
    let customer: ArrayRef = Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| i % 2)));
    let batch = RecordBatch::try_new(schema.clone(), vec![customer, day, amount]).expect("batch");
    MemTable::try_new(schema, vec![vec![batch]]).expect("table")
}

async fn error_of(day: ArrayRef, amount: ArrayRef) -> String {
    let ctx = common::session(2);
    ctx.register_udaf(customer_summary_udaf(&SummaryParams::new(Day(100))).expect("udaf"));
    ctx.register_table("t", Arc::new(small_table(day, amount)))
        .expect("register");
    let sql = "SELECT customer, customer_summary(order_day, price) FROM t GROUP BY customer";
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("no error"),
        },
    }
}

#[tokio::test]
async fn bad_input_is_an_error_naming_the_column() {
    let days = || -> ArrayRef { Arc::new(Int32Array::from(vec![1, 2, 3, 4])) };
    let amounts = |v: Vec<Option<f64>>| -> ArrayRef { Arc::new(Float64Array::from(v)) as ArrayRef };
    let ok = [Some(1.0), Some(2.0), Some(3.0)];
    let with = |x: Option<f64>| amounts(ok.iter().copied().chain([x]).collect());
    for (amount, what) in [
        (with(None), "is NULL"),
        (with(Some(f64::NAN)), "must be finite"),
        (with(Some(f64::INFINITY)), "must be finite"),
        (with(Some(-2.0)), "negative"),
        (with(Some(2e12)), "above the largest amount"),
    ] {
        let e = error_of(days(), amount).await;
        assert!(e.contains("`price`") && e.contains(what), "{e}");
    }
    let null_day: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(4)]));
    let e = error_of(null_day, with(Some(1.0))).await;
    assert!(e.contains("`order_day`") && e.contains("is NULL"), "{e}");
    // Wrong types: a planning error naming the argument.
    let text: ArrayRef = Arc::new(StringArray::from(vec!["1", "2", "3", "4"]));
    let e = error_of(days(), text.clone()).await;
    assert!(e.contains("amount argument must be numeric"), "{e}");
    let e = error_of(text, with(Some(1.0))).await;
    assert!(e.contains("day argument must be a DATE"), "{e}");
    let floats: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0]));
    let e = error_of(floats, with(Some(1.0))).await;
    assert!(e.contains("day argument"), "{e}");
}

#[tokio::test]
async fn other_numeric_amounts_are_converted_and_a_window_without_purchases_is_null() {
    let day: ArrayRef = Arc::new(Int32Array::from(vec![10, 20, 500, 30]));
    let amount: ArrayRef = Arc::new(Int32Array::from(vec![5, 7, 9, 11]));
    let ctx = common::session(2);
    ctx.register_udaf(customer_summary_udaf(&SummaryParams::new(Day(100))).expect("udaf"));
    // customer 0: days 10 and 500 (after the end); customer 1: days 20 and 30.
    ctx.register_table("t", Arc::new(small_table(day, amount)))
        .expect("register");
    let sql = "SELECT customer, customer_summary(order_day, price) AS s FROM t \
               WHERE order_day > 15 OR customer = 1 GROUP BY customer ORDER BY customer";
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let b = &batches[0];
    let s = b.column(1).as_struct();
    assert!(s.is_null(0)); // customer 0 kept only day 500, after the observation end
    let f = s
        .column_by_name("frequency")
        .expect("frequency")
        .as_primitive::<Float64Type>();
    assert_eq!(f.value(1), 1.0);
    let spend = s
        .column_by_name("total_spend")
        .expect("spend")
        .as_primitive::<Float64Type>();
    assert_eq!(spend.value(1), 18.0);
}
