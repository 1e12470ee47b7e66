//! patronage in SQL: simulated purchases in a partitioned DataFusion table, the
//! per-customer summary with `customer_summary`, a BG/NBD and Gamma-Gamma fit on the
//! engine's compressed table, and the customers scored with `p_alive`,
//! `expected_purchases` and `clv` in SQL; the summary checked against the core crate.
//!
//! ```text
//! cargo run -p patronage-datafusion --example sql
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma};
use patronage::model::Fit;
use patronage::simulate::{RowOrder, Simulation};
use patronage::{Day, SummaryParams, TransactionLog};
use patronage_datafusion::fit::{CompressedHistories, compressed_histories_sql};
use patronage_datafusion::{Functions, register};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 50,000 simulated customers' purchases, rows shuffled, in 8 partitions.
    let rows = Simulation::new(50_000)
        .seed(7)
        .row_order(RowOrder::Shuffled)
        .transactions()?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Int64, false),
        Field::new("day", DataType::Date32, false),
        Field::new("amount", DataType::Float64, false),
    ]));
    let partitions: Vec<Vec<RecordBatch>> = rows
        .chunks(rows.len().div_ceil(8))
        .map(|part| {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from_iter_values(
                    part.iter().map(|t| t.customer as i64),
                )),
                Arc::new(Date32Array::from_iter_values(part.iter().map(|t| t.day.0))),
                Arc::new(Float64Array::from_iter_values(
                    part.iter().map(|t| t.amount),
                )),
            ];
            RecordBatch::try_new(schema.clone(), columns).map(|b| vec![b])
        })
        .collect::<Result<_, _>>()?;
    let mut ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(8));
    ctx.register_table(
        "purchases",
        Arc::new(MemTable::try_new(schema, partitions)?),
    )?;

    // The summary: weekly time units, observed to day 728 (Date32 day numbers).
    let params = SummaryParams::new(Day(728)).time_unit_days(7.0);
    register(&mut ctx, &Functions::new().summary(&params)?)?;
    ctx.sql(
        "CREATE VIEW summary AS SELECT customer, get_field(s, 'frequency') AS frequency, \
         get_field(s, 'recency') AS recency, get_field(s, 'T') AS \"T\", get_field(s, 'monetary_value') AS monetary_value, \
         get_field(s, 'orders') AS orders, get_field(s, 'total_spend') AS total_spend \
         FROM (SELECT customer, customer_summary(day, amount) AS s FROM purchases GROUP BY customer) \
         WHERE s IS NOT NULL",
    )
    .await?;
    let top = ctx
        .sql("SELECT * FROM summary ORDER BY total_spend DESC LIMIT 5")
        .await?
        .collect()
        .await?;
    println!("Top customers by spend:\n{}", pretty_format_batches(&top)?);

    // BG/NBD on the engine's compressed table of distinct (x, t_x, T) with counts.
    let compressed = ctx
        .sql(&compressed_histories_sql("summary", None))
        .await?
        .collect()
        .await?;
    let histories = CompressedHistories::from_batches(&compressed)?;
    let bg = histories.fit_bg_nbd(&BetaGeo::params())?;
    println!(
        "BG/NBD on {} distinct histories of {} customers: r = {:.4}, alpha = {:.4}, a = {:.4}, b = {:.4}",
        histories.frequency.len(),
        histories.customers.iter().sum::<f64>(),
        bg.r(),
        bg.alpha(),
        bg.a(),
        bg.b()
    );

    // The same summary in one process, for the spend model and a check.
    let core = TransactionLog::new(&rows)?.summarize(&params)?;
    let local = BetaGeo::params().fit(&core)?;
    assert!(
        (local.r() - bg.r()).abs() <= 1e-10 * bg.r(),
        "the engine's fit is the in-memory fit"
    );
    let gg = match GammaGamma::params().eligible_only(true).fit(&core) {
        Ok(gg) => gg,
        Err(e) => {
            // The simulation's own spend parameters stand in when the fit stops early.
            println!("Gamma-Gamma fit: {e}; using the simulated spend parameters");
            GammaGamma::from_params(6.0, 4.0, 15.0)?
        }
    };

    // Scoring in SQL with the fitted parameters.
    register(
        &mut ctx,
        &Functions::new().purchase_model(&bg).clv(
            &bg,
            &gg,
            Valuation::monthly(12, 0.01),
            &params,
        )?,
    )?;
    let scored = ctx
        .sql(
            "SELECT customer, frequency, recency, \"T\", \
             round(p_alive(frequency, recency, \"T\"), 4) AS p_alive, \
             round(expected_purchases(52, frequency, recency, \"T\"), 3) AS next_year, \
             round(clv(frequency, recency, \"T\", monetary_value), 2) AS clv \
             FROM summary ORDER BY clv DESC LIMIT 10",
        )
        .await?
        .collect()
        .await?;
    println!(
        "Most valuable customers:\n{}",
        pretty_format_batches(&scored)?
    );
    Ok(())
}
