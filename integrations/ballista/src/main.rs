//! `patronage-ballista`: a Ballista scheduler, a custom executor, and a check that runs
//! patronage's customer summary, BG/NBD fit and scoring through the cluster and
//! compares them with the core crate's in-process results.
//!
//! ```text
//! patronage-ballista scheduler --port 50050
//! patronage-ballista executor --scheduler-port 50050 --port 50051 --grpc-port 50052 --work-dir /tmp/e1
//! patronage-ballista check --scheduler-port 50050 --customers 10000000 --dir /tmp/purchases
//! ```
//!
//! `scripts/ballista-check` (at the repository's root) builds this and runs the three
//! as separate processes.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, Float64Array, Int64Array, RecordBatch,
};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, Float64Type, Int64Type, Schema, UInt32Type,
};
use datafusion::execution::SessionStateBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma, PurchaseModel};
use patronage::model::Fit;
use patronage::simulate::{RowOrder, Simulation};
use patronage::summary::{SummaryParams, SummaryRow};
use patronage::{Day, Transaction, TransactionLog};
use patronage_ballista::{PatronageLogicalCodec, PatronagePhysicalCodec};
use patronage_datafusion::{Functions, register};

/// Parsed `--name value` options.
struct Args(Vec<String>);

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        let flag = format!("--{name}");
        self.0
            .iter()
            .position(|a| *a == flag)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }

    fn parse<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| anyhow!("--{name} {v}: {e}")),
        }
    }
}

fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_default();
    let args = Args(argv.collect());
    // Ballista walks plans recursively: its own binaries use 32 MB thread stacks.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()?;
    match command.as_str() {
        "scheduler" => runtime.block_on(scheduler(&args)),
        "executor" => runtime.block_on(executor(&args)),
        "check" => runtime.block_on(check(&args)),
        _ => bail!(
            "usage: patronage-ballista scheduler|executor|check [options] (see the source's header)"
        ),
    }
}

/// A Ballista scheduler whose codecs carry patronage's functions.
async fn scheduler(args: &Args) -> Result<()> {
    let port: u16 = args.parse("port", 50050)?;
    let mut config = SchedulerConfig {
        bind_host: "127.0.0.1".into(),
        external_host: "localhost".into(),
        bind_port: port,
        ..SchedulerConfig::default()
    };
    config.override_logical_codec = Some(Arc::new(PatronageLogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PatronagePhysicalCodec::default()));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let cluster = BallistaCluster::new_from_config(&config).await?;
    eprintln!("scheduler listening on {addr}");
    start_server(cluster, addr, Arc::new(config)).await?;
    Ok(())
}

/// A Ballista executor whose codecs rebuild patronage's functions, with their
/// parameters, from the plans the scheduler sends.
async fn executor(args: &Args) -> Result<()> {
    let config = ExecutorProcessConfig {
        bind_host: "127.0.0.1".into(),
        external_host: Some("localhost".into()),
        port: args.parse("port", 50051)?,
        grpc_port: args.parse("grpc-port", 50052)?,
        scheduler_host: "localhost".into(),
        scheduler_port: args.parse("scheduler-port", 50050)?,
        scheduler_connect_timeout_seconds: 30,
        vcores: args.parse("vcores", 1)?,
        work_dir: args.get("work-dir").map(str::to_string),
        override_logical_codec: Some(Arc::new(PatronageLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PatronagePhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "executor: flight port {}, grpc port {}, scheduler port {}",
        config.port, config.grpc_port, config.scheduler_port
    );
    start_executor_process(Arc::new(config)).await?;
    Ok(())
}

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

const PARAMS_END: i32 = 728;

fn params() -> SummaryParams {
    SummaryParams::new(Day(PARAMS_END)).time_unit_days(7.0)
}

/// Seconds since `t`.
fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Writes `rows` (in day order) as `files` Parquet files of consecutive days.
fn write_parquet(rows: &[Transaction<u64>], dir: &Path, files: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "parquet") {
            std::fs::remove_file(path)?;
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Int64, false),
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let per = rows.len().div_ceil(files).max(1);
    for (k, part) in rows.chunks(per).enumerate() {
        let file = std::fs::File::create(dir.join(format!("purchases-{k:02}.parquet")))?;
        let mut writer = ArrowWriter::try_new(file, schema.clone(), None)?;
        for batch in part.chunks(65_536) {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(
                    batch.iter().map(|t| t.customer as i64),
                )),
                Arc::new(Date32Array::from_iter_values(batch.iter().map(|t| t.day.0))),
                Arc::new(Float64Array::from_iter_values(
                    batch.iter().map(|t| t.amount),
                )),
            ];
            writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        }
        writer.close()?;
    }
    Ok(())
}

/// The cluster's summaries (customer id, bits), sorted by customer.
fn summary_bits(batches: &[RecordBatch]) -> Result<Vec<(u64, Bits)>> {
    let mut out = Vec::new();
    for b in batches {
        let customer = b.column(0).as_primitive::<Int64Type>();
        let s = b.column(1).as_struct();
        let f = |name: &str| -> Result<ArrayRef> {
            s.column_by_name(name)
                .cloned()
                .ok_or_else(|| anyhow!("no summary field {name}"))
        };
        let fr = f("frequency")?;
        let re = f("recency")?;
        let t = f("T")?;
        let mv = f("monetary_value")?;
        let ts = f("total_spend")?;
        let orders = f("orders")?;
        let first = f("first_day")?;
        let last = f("last_day")?;
        let float = |a: &ArrayRef, i: usize| a.as_primitive::<Float64Type>().value(i).to_bits();
        for i in 0..b.num_rows() {
            if s.is_null(i) {
                continue;
            }
            out.push((
                customer.value(i) as u64,
                Bits {
                    frequency: float(&fr, i),
                    recency: float(&re, i),
                    age: float(&t, i),
                    monetary_value: float(&mv, i),
                    orders: orders.as_primitive::<UInt32Type>().value(i),
                    total_spend: float(&ts, i),
                    first_day: first.as_primitive::<Date32Type>().value(i),
                    last_day: last.as_primitive::<Date32Type>().value(i),
                },
            ));
        }
    }
    out.sort_unstable_by_key(|(c, _)| *c);
    Ok(out)
}

/// A remote session whose plans carry patronage's functions with their parameters.
async fn cluster_session(port: u16, partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new_with_ballista()
        .with_target_partitions(partitions)
        .with_ballista_logical_extension_codec(Arc::new(PatronageLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(PatronagePhysicalCodec::default()));
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .build();
    Ok(SessionContext::remote_with_state(&format!("df://localhost:{port}"), state).await?)
}

/// Per-customer scores: p_alive, expected purchases in 52 weeks, CLV.
type Scores = (u64, u64, u64);

async fn check(args: &Args) -> Result<()> {
    let port: u16 = args.parse("scheduler-port", 50050)?;
    let customers: usize = args.parse("customers", 10_000_000)?;
    let files: usize = args.parse("files", 8)?;
    let partitions: usize = args.parse("partitions", 8)?;
    let dir = PathBuf::from(args.get("dir").unwrap_or("/tmp/patronage-ballista"));
    let params = params();
    let total = Instant::now();

    // The data: synthetic purchases in day order (customers interleaved), as Parquet.
    let t = Instant::now();
    let rows = Simulation::new(customers)
        .row_order(RowOrder::ByDay)
        .transactions()?;
    println!(
        "simulated {customers} customers, {} purchases: {:.1} s",
        rows.len(),
        secs(t)
    );
    let t = Instant::now();
    write_parquet(&rows, &dir, files)?;
    println!(
        "wrote {files} Parquet files to {}: {:.1} s",
        dir.display(),
        secs(t)
    );

    // The local crate: one process, the rows in memory.
    let t = Instant::now();
    let log = TransactionLog::new(&rows)?;
    let core = log.summarize(&params)?;
    let local_summary_s = secs(t);
    let t = Instant::now();
    let local_bg = BetaGeo::params().fit(&core)?;
    let local_fit_s = secs(t);
    let mut local: Vec<(u64, Bits)> = {
        let (orders, spend) = (
            core.orders().context("orders")?,
            core.total_spend().context("spend")?,
        );
        let (first, last) = (
            core.first_day().context("first")?,
            core.last_day().context("last")?,
        );
        (0..core.len())
            .map(|i| {
                (
                    *log.customer_id(core.customer()[i]),
                    Bits {
                        frequency: core.frequency()[i].to_bits(),
                        recency: core.recency()[i].to_bits(),
                        age: core.age()[i].to_bits(),
                        monetary_value: core.monetary_value()[i].to_bits(),
                        orders: orders[i],
                        total_spend: spend[i].to_bits(),
                        first_day: first[i].0,
                        last_day: last[i].0,
                    },
                )
            })
            .collect()
    };
    local.sort_unstable_by_key(|(c, _)| *c);
    let gg = match GammaGamma::params().eligible_only(true).fit(&core) {
        Ok(gg) => gg,
        Err(e) => {
            println!("Gamma-Gamma fit: {e}; using the simulated spend parameters");
            GammaGamma::from_params(6.0, 4.0, 15.0)?
        }
    };
    let valuation = Valuation::monthly(12, 0.01);
    println!(
        "local crate: summary {local_summary_s:.2} s ({} customers), BG/NBD fit {local_fit_s:.2} s",
        core.len()
    );
    drop(rows);

    // The cluster.
    let mut ctx = cluster_session(port, partitions).await?;
    ctx.register_parquet(
        "purchases",
        dir.to_str().context("a UTF-8 path")?,
        ParquetReadOptions::default(),
    )
    .await?;
    register(&mut ctx, &Functions::new().summary(&params)?)?;
    let t = Instant::now();
    let batches = ctx
        .sql("SELECT customer, customer_summary(day, amount) AS s FROM purchases GROUP BY customer")
        .await?
        .collect()
        .await?;
    let cluster_summary_s = secs(t);
    let remote = summary_bits(&batches)?;
    drop(batches);
    let summary_ok = remote == local;
    println!(
        "cluster summary: {cluster_summary_s:.2} s, {} customers; bit-for-bit equal to the local crate's: {summary_ok}",
        remote.len()
    );
    if !summary_ok {
        let first = remote
            .iter()
            .zip(&local)
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("cluster {a:?} vs local {b:?}"));
        println!(
            "  first difference: {first:?} (sizes {} vs {})",
            remote.len(),
            local.len()
        );
    }
    drop(remote);

    // BG/NBD: the engine compresses the summary into distinct histories, fitted here.
    ctx.sql(
        "CREATE VIEW summary AS SELECT customer, get_field(s, 'frequency') AS frequency, \
         get_field(s, 'recency') AS recency, get_field(s, 'T') AS \"T\", \
         get_field(s, 'monetary_value') AS monetary_value \
         FROM (SELECT customer, customer_summary(day, amount) AS s FROM purchases GROUP BY customer) \
         WHERE s IS NOT NULL",
    )
    .await?;
    let t = Instant::now();
    let bg = patronage_datafusion::fit::fit_bg_nbd(&ctx, "summary", &BetaGeo::params()).await?;
    let cluster_fit_s = secs(t);
    let pairs = [
        ("r", bg.r(), local_bg.r()),
        ("alpha", bg.alpha(), local_bg.alpha()),
        ("a", bg.a(), local_bg.a()),
        ("b", bg.b(), local_bg.b()),
    ];
    let worst = pairs
        .iter()
        .map(|(_, c, l)| (c - l).abs() / l.abs())
        .fold(0.0_f64, f64::max);
    let fit_ok = worst <= 1e-10;
    println!(
        "cluster BG/NBD fit: {cluster_fit_s:.2} s; r = {:.10}, alpha = {:.10}, a = {:.10}, b = {:.10}; largest relative difference from the local fit {worst:.2e} (<= 1e-10: {fit_ok})",
        bg.r(),
        bg.alpha(),
        bg.a(),
        bg.b()
    );

    // Scoring in the cluster with the fitted model, against the core crate's own
    // functions on the local summary.
    register(
        &mut ctx,
        &Functions::new()
            .purchase_model(&bg)
            .clv(&bg, &gg, valuation, &params)?,
    )?;
    let t = Instant::now();
    let batches = ctx
        .sql(
            "SELECT customer, p_alive(frequency, recency, \"T\") AS p_alive, \
             expected_purchases(52, frequency, recency, \"T\") AS next_year, \
             clv(frequency, recency, \"T\", monetary_value) AS clv FROM summary",
        )
        .await?
        .collect()
        .await?;
    let cluster_score_s = secs(t);
    let mut remote: Vec<(u64, Scores)> = Vec::new();
    for b in &batches {
        let customer = b.column(0).as_primitive::<Int64Type>();
        let col = |j: usize| b.column(j).as_primitive::<Float64Type>();
        let (p, e, v) = (col(1), col(2), col(3));
        for i in 0..b.num_rows() {
            remote.push((
                customer.value(i) as u64,
                (
                    p.value(i).to_bits(),
                    e.value(i).to_bits(),
                    v.value(i).to_bits(),
                ),
            ));
        }
    }
    drop(batches);
    remote.sort_unstable_by_key(|(c, _)| *c);
    let t = Instant::now();
    let mut expected: Vec<(u64, Scores)> = (0..core.len())
        .map(|i| -> Result<(u64, Scores)> {
            let (x, tx, age) = (core.frequency()[i], core.recency()[i], core.age()[i]);
            let row = SummaryRow {
                frequency: x,
                recency: tx,
                age,
                monetary_value: core.monetary_value()[i],
                orders: 0,
                total_spend: 0.0,
                first_day: Day(0),
                last_day: Day(0),
                gross_spend: 0.0,
                refunds: 0.0,
                refund_count: 0,
            };
            Ok((
                *log.customer_id(core.customer()[i]),
                (
                    bg.probability_alive(x, tx, age)?.to_bits(),
                    bg.conditional_expected_purchases(52.0, x, tx, age)?
                        .to_bits(),
                    valuation.value_of(&bg, &gg, &row, &params)?.to_bits(),
                ),
            ))
        })
        .collect::<Result<_>>()?;
    let local_score_s = secs(t);
    expected.sort_unstable_by_key(|(c, _)| *c);
    let scores_ok = remote == expected;
    println!(
        "cluster scoring (p_alive, expected_purchases, clv): {cluster_score_s:.2} s, {} customers; local crate {local_score_s:.2} s; bit-for-bit equal: {scores_ok}",
        remote.len()
    );
    println!("check total: {:.1} s", secs(total));
    if summary_ok && fit_ok && scores_ok {
        println!("ballista check: summary, fit and scores agree with the local crate");
        Ok(())
    } else {
        bail!("ballista check failed: summary {summary_ok}, fit {fit_ok}, scores {scores_ok}")
    }
}
