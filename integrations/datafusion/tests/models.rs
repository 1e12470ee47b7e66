//! Model fitting on the engine's compressed table equals the in-memory fit, and the
//! scoring functions give the core crate's scores bit for bit.

mod common;

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use datafusion::prelude::SessionContext;
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd, PurchaseModel};
use patronage::model::Fit;
use patronage::summary::{CustomerSummary, SummaryParams};
use patronage::{Day, TransactionLog};
use patronage_datafusion::fit::{CompressedHistories, compressed_histories_sql};
use patronage_datafusion::{Functions, register};

/// Weekly summaries in weeks, observed to day 728.
fn params() -> SummaryParams {
    SummaryParams::new(Day(728)).time_unit_days(7.0)
}

/// A session with simulated purchases in 8 partitions and a `summary` view of
/// `customer_summary` by customer; and the core crate's summary of the same rows.
async fn setup(
    n: usize,
    functions: Functions,
) -> (SessionContext, CustomerSummary, TransactionLog<u64>) {
    let rows = common::purchases(n, 21);
    let log = TransactionLog::new(&rows).expect("log");
    let summary = log.summarize(&params()).expect("summary");
    let mut ctx = common::session(8);
    register(&mut ctx, &functions.summary(&params()).expect("params")).expect("register");
    ctx.register_table("purchases", Arc::new(common::table(&rows, 8, 1024, true)))
        .expect("register");
    ctx.sql(
        "CREATE VIEW summary AS SELECT customer, get_field(s, 'frequency') AS frequency, \
         get_field(s, 'recency') AS recency, get_field(s, 'T') AS \"T\", get_field(s, 'monetary_value') AS monetary_value \
         FROM (SELECT customer, customer_summary(day, amount) AS s FROM purchases GROUP BY customer)",
    )
    .await
    .expect("view");
    (ctx, summary, log)
}

async fn compressed(ctx: &SessionContext, sql: &str) -> CompressedHistories {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    CompressedHistories::from_batches(&batches).expect("histories")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-10 * b.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fits_on_the_compressed_table_equal_the_in_memory_fits() {
    let (ctx, summary, _) = setup(8_000, Functions::new()).await;
    let histories = compressed(&ctx, &compressed_histories_sql("summary", None)).await;
    assert!(histories.frequency.len() < summary.len(), "compressed");
    assert_eq!(
        histories.customers.iter().sum::<f64>(),
        summary.len() as f64
    );

    let local = BetaGeo::params().fit(&summary).expect("in-memory fit");
    let engine = histories
        .fit_bg_nbd(&BetaGeo::params())
        .expect("engine fit");
    for (a, b) in [
        (engine.r(), local.r()),
        (engine.alpha(), local.alpha()),
        (engine.a(), local.a()),
        (engine.b(), local.b()),
    ] {
        assert!(close(a, b), "{a} vs {b}");
    }

    let local = ParetoNbd::params().fit(&summary).expect("in-memory fit");
    let engine = histories
        .fit_pareto_nbd(&ParetoNbd::params())
        .expect("engine fit");
    for (a, b) in [
        (engine.r(), local.r()),
        (engine.alpha(), local.alpha()),
        (engine.s(), local.s()),
        (engine.beta(), local.beta()),
    ] {
        assert!(close(a, b), "{a} vs {b}");
    }

    // From the struct column directly.
    let direct = compressed(
        &ctx,
        &compressed_histories_sql(
            "(SELECT customer_summary(day, amount) AS s FROM purchases GROUP BY customer) AS t",
            Some("s"),
        ),
    )
    .await;
    let mut a: Vec<_> = (0..direct.frequency.len())
        .map(|i| {
            (
                direct.frequency[i].to_bits(),
                direct.recency[i].to_bits(),
                direct.age[i].to_bits(),
                direct.customers[i].to_bits(),
            )
        })
        .collect();
    let mut b: Vec<_> = (0..histories.frequency.len())
        .map(|i| {
            (
                histories.frequency[i].to_bits(),
                histories.recency[i].to_bits(),
                histories.age[i].to_bits(),
                histories.customers[i].to_bits(),
            )
        })
        .collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_equal_the_core_crate_bit_for_bit() {
    let rows_summary = {
        let rows = common::purchases(8_000, 21);
        TransactionLog::new(&rows)
            .expect("log")
            .summarize(&params())
            .expect("summary")
    };
    let bg = BetaGeo::params().fit(&rows_summary).expect("fit");
    let gg = GammaGamma::params()
        .eligible_only(true)
        .fit(&rows_summary)
        .expect("spend fit");
    let valuation = Valuation::monthly(12, 0.01);
    let functions = Functions::new()
        .purchase_model(&bg)
        .clv(&bg, &gg, valuation, &params())
        .expect("clv");
    let (ctx, summary, log) = setup(8_000, functions).await;
    let sql = "SELECT customer, p_alive(frequency, recency, \"T\") AS p, \
               expected_purchases(52, frequency, recency, \"T\") AS e, \
               clv(frequency, recency, \"T\", monetary_value) AS v FROM summary";
    let batches = ctx
        .sql(sql)
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let mut by_customer = std::collections::HashMap::new();
    for b in &batches {
        let c = b.column(0).as_primitive::<Int64Type>();
        let col = |i: usize| b.column(i).as_primitive::<Float64Type>().clone();
        let (p, e, v) = (col(1), col(2), col(3));
        for i in 0..b.num_rows() {
            by_customer.insert(c.value(i) as u64, (p.value(i), e.value(i), v.value(i)));
        }
    }
    assert_eq!(by_customer.len(), summary.len());
    let unit_params = params();
    for i in 0..summary.len() {
        let id = *log.customer_id(summary.customer()[i]);
        let (x, tx, t, m) = (
            summary.frequency()[i],
            summary.recency()[i],
            summary.age()[i],
            summary.monetary_value()[i],
        );
        let (p, e, v) = by_customer[&id];
        assert_eq!(
            p.to_bits(),
            bg.probability_alive(x, tx, t).expect("p").to_bits()
        );
        assert_eq!(
            e.to_bits(),
            bg.conditional_expected_purchases(52.0, x, tx, t)
                .expect("e")
                .to_bits()
        );
        let row = patronage::summary::SummaryRow {
            frequency: x,
            recency: tx,
            age: t,
            monetary_value: m,
            orders: 0,
            total_spend: 0.0,
            first_day: Day(0),
            last_day: Day(0),
            gross_spend: 0.0,
            refunds: 0.0,
            refund_count: 0,
        };
        let want = valuation
            .value_of(&bg, &gg, &row, &unit_params)
            .expect("clv");
        assert_eq!(v.to_bits(), want.to_bits());
    }
}

#[tokio::test]
async fn scoring_nulls_give_null_and_bad_histories_name_the_columns() {
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).expect("model");
    let mut ctx = SessionContext::new();
    register(&mut ctx, &Functions::new().purchase_model(&bg)).expect("register");
    let batches = ctx
        .sql("SELECT p_alive(CAST(NULL AS DOUBLE), 1.0, 2.0) AS p, p_alive(1, 2, 3) AS q")
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    let p = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("f64");
    assert!(p.is_null(0));
    let q = batches[0].column(1).as_primitive::<Float64Type>().value(0);
    assert_eq!(
        q.to_bits(),
        bg.probability_alive(1.0, 2.0, 3.0).expect("p").to_bits()
    );
    // recency above T.
    let e = ctx
        .sql("SELECT p_alive(x, tx, age) FROM (VALUES (1.0, 5.0, 3.0)) AS h(x, tx, age)")
        .await
        .expect("plan")
        .collect()
        .await
        .expect_err("recency above T");
    let msg = e.to_string();
    assert!(
        msg.contains("p_alive") && msg.contains("t_x = 5") && msg.contains("cannot exceed"),
        "{msg}"
    );
    let e = ctx
        .sql("SELECT p_alive('a', 1.0, 2.0)")
        .await
        .expect_err("text");
    assert!(
        e.to_string().contains("the x argument must be numeric"),
        "{e}"
    );
}
