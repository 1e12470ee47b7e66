//! Model fitting on the engine's compressed table equals the in-memory fit, and the
//! scoring functions give the core crate's scores bit for bit.

mod common;

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use patronage::churn::LogisticRegression;
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd, PurchaseModel};
use patronage::model::{Classifier, Clusterer, Fit, Optimized, Regularized};
use patronage::ndarray::{Array2, s};
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::segment::KMeans;
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

/// Per-customer features of a simulated base (recency in days, orders, spend and three
/// model features) as an 8-partition table, the same columns as a matrix.
fn features(n: usize) -> (MemTable, Array2<f64>, [Vec<f64>; 3]) {
    let rows = common::purchases(n, 5);
    let log = TransactionLog::new(&rows).expect("log");
    let summary = log.summarize(&params()).expect("summary");
    let n = summary.len();
    let last_day = summary.last_day().expect("log summary");
    let recency_days: Vec<f64> = last_day.iter().map(|d| f64::from(728 - d.0)).collect();
    let orders: Vec<f64> = summary
        .orders()
        .expect("log summary")
        .iter()
        .map(|&o| f64::from(o))
        .collect();
    let spend = summary.total_spend().expect("log summary").to_vec();
    let x = Array2::from_shape_fn((n, 3), |(i, j)| match j {
        0 => summary.frequency()[i],
        1 => summary.age()[i] - summary.recency()[i],
        _ => summary.monetary_value()[i].ln_1p(),
    });
    let schema = Arc::new(Schema::new(
        ["recency_days", "orders", "spend", "f", "gap", "m"]
            .map(|c| Field::new(c, DataType::Float64, true))
            .to_vec(),
    ));
    let per = n.div_ceil(8);
    let parts = (0..n)
        .step_by(per)
        .map(|start| {
            let end = (start + per).min(n);
            let column = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
            let columns = vec![
                column(recency_days[start..end].to_vec()),
                column(orders[start..end].to_vec()),
                column(spend[start..end].to_vec()),
                column(x.column(0).slice(s![start..end]).to_vec()),
                column(x.column(1).slice(s![start..end]).to_vec()),
                column(x.column(2).slice(s![start..end]).to_vec()),
            ];
            vec![RecordBatch::try_new(schema.clone(), columns).expect("batch")]
        })
        .collect();
    let table = MemTable::try_new(schema, parts).expect("table");
    (table, x, [recency_days, orders, spend])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_cluster_and_rfm_scores_equal_the_core_crate() {
    let (table, x, [r, f, m]) = features(6_000);
    // A churn label from the features (no purchase for a long time, few orders).
    let y: Vec<bool> = (0..x.nrows())
        .map(|i| x[[i, 1]] + 3.0 * (f[i] - 1.0).min(4.0) > 30.0)
        .collect();
    let churn = LogisticRegression::params()
        .feature_names(&["f", "gap", "m"])
        .penalty(1e-3) // the label is a function of the features: separable
        .fit((x.view(), &y))
        .expect("logistic");
    let kmeans = KMeans::params(4).seed(3).fit(x.view()).expect("k-means");
    let rfm = RfmParams::default().fit_values(&r, &f, &m).expect("rfm");
    let segments = SegmentMap::classic();
    let functions = Functions::new()
        .churn_model(&churn)
        .clusters(&kmeans)
        .rfm_segments(&rfm, &segments);
    let mut ctx = common::session(8);
    register(&mut ctx, &functions).expect("register");
    ctx.register_table("features", Arc::new(table))
        .expect("table");
    let batches = ctx
        .sql(
            "SELECT f, gap, m, recency_days, orders, spend, churn_probability(f, gap, m) AS p, \
             kmeans_cluster(f, gap, m) AS c, rfm_segment(recency_days, orders, spend) AS s FROM features",
        )
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");

    let mut seen = 0;
    for b in &batches {
        let col = |i: usize| b.column(i).as_primitive::<Float64Type>().values().to_vec();
        let rows = b.num_rows();
        let xb = Array2::from_shape_fn((rows, 3), |(i, j)| col(j)[i]);
        let want_p = churn.predict_proba(xb.view()).expect("p");
        let want_c = kmeans.predict(xb.view()).expect("c");
        let scores = rfm
            .score_values(&col(3), &col(4), &col(5))
            .expect("rfm scores");
        let want_s = segments.assign(&scores);
        let p = b.column(6).as_primitive::<Float64Type>();
        let c = b.column(7).as_primitive::<Int64Type>();
        let s = b.column(8).as_string::<i32>();
        for i in 0..rows {
            assert_eq!(p.value(i).to_bits(), want_p[i].to_bits());
            assert_eq!(c.value(i), want_c[i] as i64);
            assert_eq!(s.value(i), segments.name(want_s[i]));
        }
        seen += rows;
    }
    assert_eq!(seen, x.nrows());
    // More than one cluster and segment appear: the comparison is not trivial.
    assert!(kmeans.labels().iter().any(|&c| c != kmeans.labels()[0]));

    // NULL features give NULL scores; a NaN feature is an error naming row and column.
    let batches = ctx
        .sql(
            "SELECT churn_probability(CAST(NULL AS DOUBLE), 1.0, 2.0) AS p, \
             kmeans_cluster(1.0, CAST(NULL AS DOUBLE), 2.0) AS c, rfm_segment(NULL, 1, 2) AS s",
        )
        .await
        .expect("plan")
        .collect()
        .await
        .expect("run");
    for i in 0..3 {
        assert!(batches[0].column(i).is_null(0), "column {i}");
    }
    for (sql, want) in [
        (
            "SELECT churn_probability(a, b, c) FROM (VALUES (1.0, 2.0, 3.0), (1.0, 'NaN', 3.0)) AS t(a, b, c)",
            "gap = NaN (`column2`)",
        ),
        (
            "SELECT kmeans_cluster(a, b, c) FROM (VALUES (1.0, 2.0, 3.0), (1.0, 2.0, 'Infinity')) AS t(a, b, c)",
            "x2 = inf (`column3`)",
        ),
        (
            "SELECT rfm_segment(a, b, c) FROM (VALUES (1.0, 2.0, 3.0), ('NaN', 2.0, 3.0)) AS t(a, b, c)",
            "recency_days = NaN (`column1`)",
        ),
    ] {
        let e = ctx
            .sql(sql)
            .await
            .expect("plan")
            .collect()
            .await
            .expect_err("non-finite feature");
        let msg = e.to_string();
        assert!(
            msg.contains("row 1 of its batch") && msg.contains(want),
            "{msg}"
        );
    }
    let e = ctx
        .sql("SELECT kmeans_cluster(1.0, 2.0)")
        .await
        .expect_err("two arguments");
    assert!(
        e.to_string().contains("kmeans_cluster takes 3 arguments"),
        "{e}"
    );
}

#[cfg(feature = "session")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmeans_in_the_engine_equals_the_in_memory_fit() {
    use patronage::segment::{Algorithm, FittedKMeans, Init};
    use patronage_datafusion::kmeans::fit_kmeans;

    let (table, x, _) = features(6_000);
    let ctx = common::session(8);
    ctx.register_table("features", Arc::new(table))
        .expect("table");
    let columns = ["f", "gap", "m"];
    let rel = |a: f64, b: f64| (a - b).abs() <= 1e-10 * b.abs().max(1.0);
    let same_model = |a: &FittedKMeans, b: &FittedKMeans| {
        assert_eq!(a.centroids().dim(), b.centroids().dim());
        for (p, q) in a.centroids().iter().zip(b.centroids()) {
            assert!(rel(*p, *q), "centroid {p} vs {q}");
        }
        assert!(
            rel(a.inertia(), b.inertia()),
            "{} vs {}",
            a.inertia(),
            b.inertia()
        );
    };

    // From the same starting centroids: the in-memory Lloyd fit.
    let start = KMeans::params(5)
        .seed(9)
        .n_init(1)
        .max_iter(1)
        .fit(x.slice(s![..300, ..]))
        .expect("start")
        .centroids()
        .clone();
    let given = KMeans::params(5)
        .init(Init::Given(start))
        .algorithm(Algorithm::Lloyd);
    let local = given.fit(x.view()).expect("in memory");
    let engine = fit_kmeans(&ctx, "features", &columns, &given, 1_000)
        .await
        .expect("engine");
    assert!(local.iterations() > 2, "the fit iterates");
    assert_eq!(engine.iterations(), local.iterations());
    assert!(engine.converged() && local.converged());
    assert!(engine.labels().is_empty());
    same_model(&engine, &local);

    // Seeded on a sample: the same model for the same seed on any partitioning.
    let seeded = KMeans::params(4).seed(11);
    let a = fit_kmeans(&ctx, "features", &columns, &seeded, 2_000)
        .await
        .expect("seeded");
    let (table, _, _) = features(6_000);
    let one = common::session(1);
    one.register_table("features", Arc::new(table))
        .expect("table");
    let b = fit_kmeans(&one, "features", &columns, &seeded, 2_000)
        .await
        .expect("one partition");
    same_model(&a, &b);
    assert!(a.converged());
    // As good as the in-memory k-means++ fit with restarts, within 1%.
    let best = seeded.fit(x.view()).expect("in memory");
    assert!(
        a.inertia() <= best.inertia() * 1.01,
        "{} vs {}",
        a.inertia(),
        best.inertia()
    );

    // Bad input names the fault.
    for (cols, sample, want) in [
        (&[][..], 10, "name at least one column"),
        (&columns[..], 0, "at least one row"),
        (&["f", "nope"][..], 10, "nope"),
    ] {
        let e = fit_kmeans(&ctx, "features", cols, &seeded, sample)
            .await
            .expect_err("bad input");
        assert!(e.to_string().contains(want), "{e}");
    }
    ctx.sql("CREATE VIEW bad AS SELECT f, CASE WHEN gap > 50 THEN CAST('NaN' AS DOUBLE) ELSE gap END AS gap, m FROM features")
        .await
        .expect("view");
    let e = fit_kmeans(&ctx, "bad", &columns, &given, 1_000)
        .await
        .expect_err("NaN");
    assert!(e.to_string().contains("NaN"), "{e}");
}

/// The features' table with a noisy churn label (`churned`, BOOLEAN) in 8 partitions,
/// and the label as a vector.
fn churn_table(x: &Array2<f64>, label_null_at: Option<usize>) -> (MemTable, Vec<bool>) {
    let n = x.nrows();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let y: Vec<bool> = (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            let z = -1.0 + 0.02 * x[[i, 1]] - 0.3 * x[[i, 0]].min(5.0) + 0.2 * x[[i, 2]];
            u < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("f", DataType::Float64, true),
        Field::new("gap", DataType::Float64, true),
        Field::new("m", DataType::Float64, true),
        Field::new("churned", DataType::Boolean, true),
    ]));
    let per = n.div_ceil(8);
    let parts = (0..n)
        .step_by(per)
        .map(|start| {
            let end = (start + per).min(n);
            let column = |j: usize| {
                Arc::new(Float64Array::from(
                    x.column(j).slice(s![start..end]).to_vec(),
                )) as ArrayRef
            };
            let labels: datafusion::arrow::array::BooleanArray = (start..end)
                .map(|i| (Some(i) != label_null_at).then_some(y[i]))
                .collect();
            let columns = vec![
                column(0),
                column(1),
                column(2),
                Arc::new(labels) as ArrayRef,
            ];
            vec![RecordBatch::try_new(schema.clone(), columns).expect("batch")]
        })
        .collect();
    (MemTable::try_new(schema, parts).expect("table"), y)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logistic_in_the_engine_equals_the_in_memory_fit() {
    use patronage::model::FittedModel;
    use patronage_datafusion::logistic::fit_logistic;
    let (_, x, _) = features(6_000);
    let (table, y) = churn_table(&x, None);
    let ctx = common::session(8);
    ctx.register_table("churn", Arc::new(table)).expect("table");
    for params in [
        LogisticRegression::params().feature_names(&["f", "gap", "m"]),
        LogisticRegression::params().penalty(1e-3).balanced(true),
    ] {
        let params = params.tol(1e-11);
        let want = params.fit((x.view(), &y)).expect("in memory");
        let got = fit_logistic(&ctx, "churn", "churned", &["f", "gap", "m"], &params)
            .await
            .expect("in the engine");
        for (a, b) in got.parameter_values().iter().zip(want.parameter_values()) {
            assert!((a - b).abs() <= 1e-8 * b.abs().max(1.0), "{a} vs {b}");
        }
        let (ra, rb) = (got.report(), want.report());
        assert!((ra.log_likelihood - rb.log_likelihood).abs() <= 1e-9 * rb.log_likelihood.abs());
        match (&ra.standard_errors, &rb.standard_errors) {
            (Some(a), Some(b)) => {
                for (u, v) in a.iter().zip(b) {
                    assert!((u - v).abs() <= 1e-7 * v, "{u} vs {v}");
                }
            }
            (None, None) => {}
            other => panic!("standard errors differ: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logistic_in_the_engine_names_bad_columns() {
    use patronage_datafusion::logistic::fit_logistic;
    let (_, mut x, _) = features(2_000);
    let params = LogisticRegression::params();
    // A NULL label.
    let (table, _) = churn_table(&x, Some(17));
    let ctx = common::session(8);
    ctx.register_table("churn", Arc::new(table)).expect("table");
    let err = fit_logistic(&ctx, "churn", "churned", &["f", "gap"], &params)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("churned") && err.contains("NULL"), "{err}");
    // A label that is not BOOLEAN.
    let err = fit_logistic(&ctx, "churn", "m", &["f"], &params)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("BOOLEAN"), "{err}");
    // No features, a missing column.
    assert!(
        fit_logistic(&ctx, "churn", "churned", &[], &params)
            .await
            .is_err()
    );
    assert!(
        fit_logistic(&ctx, "churn", "churned", &["nope"], &params)
            .await
            .is_err()
    );
    // An infinite feature.
    x[[5, 1]] = f64::INFINITY;
    let (table, _) = churn_table(&x, None);
    let ctx = common::session(8);
    ctx.register_table("churn", Arc::new(table)).expect("table");
    let err = fit_logistic(&ctx, "churn", "churned", &["f", "gap"], &params)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("gap") && err.contains("not finite"), "{err}");
}
