//! Model fitting where the data lives: the engine compresses the summary table into
//! its distinct `(frequency, recency, T)` rows with a customer count each (a
//! `GROUP BY`), and the core crate fits the purchase model locally on that small table
//! with the counts as weights.
//!
//! The BG/NBD and Pareto/NBD likelihoods depend on a customer's history alone, and the
//! core crate compresses identical rows into weights before fitting anyway, so the fit
//! on the engine's compressed table is the in-memory fit on the full summary: the
//! same compressed rows in the same order with the same (integer) weights, hence the
//! same parameters.
//!
//! ```
//! use patronage_datafusion::fit::compressed_histories_sql;
//! let sql = compressed_histories_sql("summary", Some("s"));
//! assert!(sql.contains("GROUP BY"));
//! ```

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use datafusion_common::{DataFusionError, Result};
use patronage::clv::{BetaGeo, BetaGeoParams, ParetoNbd, ParetoNbdParams};
use patronage::model::Fit;
use patronage::summary::CustomerSummary;

/// The SQL that compresses a summary table into distinct histories with counts, with
/// columns `frequency`, `recency`, `"T"` (DOUBLE) and `customers` (BIGINT).
///
/// `table` is a table or view name (or a parenthesized subquery with an alias). With
/// `summary_column = None` it has columns `frequency`, `recency` and `"T"`; with
/// `Some(s)` it has a struct column `s` as
/// [`customer_summary`](crate::customer_summary_udaf) returns. NULL histories
/// (customers without a purchase in the window) are left out.
///
/// ```
/// use patronage_datafusion::fit::compressed_histories_sql;
/// assert_eq!(
///     compressed_histories_sql("summary", None),
///     "SELECT frequency, recency, \"T\", COUNT(*) AS customers FROM (SELECT frequency, recency, \"T\" FROM summary) AS histories WHERE frequency IS NOT NULL GROUP BY frequency, recency, \"T\""
/// );
/// ```
pub fn compressed_histories_sql(table: &str, summary_column: Option<&str>) -> String {
    let fields = match summary_column {
        None => "frequency, recency, \"T\"".to_string(),
        // get_field: what `s['frequency']` plans to, without the nested-expression
        // planner (a DataFusion feature the session may not have).
        Some(s) => format!(
            "get_field({s}, 'frequency') AS frequency, get_field({s}, 'recency') AS recency, get_field({s}, 'T') AS \"T\""
        ),
    };
    format!(
        "SELECT frequency, recency, \"T\", COUNT(*) AS customers FROM (SELECT {fields} FROM {table}) AS histories WHERE frequency IS NOT NULL GROUP BY frequency, recency, \"T\""
    )
}

/// Distinct customer histories `(frequency, recency, T)` with the number of customers
/// sharing each: what the purchase models' likelihoods need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompressedHistories {
    /// Repeat purchase periods.
    pub frequency: Vec<f64>,
    /// Recency, in time units.
    pub recency: Vec<f64>,
    /// T, in time units.
    pub age: Vec<f64>,
    /// Customers with this history (a weight for the fit).
    pub customers: Vec<f64>,
}

impl CompressedHistories {
    /// Reads the batches of [`compressed_histories_sql`]'s query (columns by name:
    /// `frequency`, `recency`, `T`, `customers`; numeric).
    ///
    /// # Errors
    /// An execution error for a missing or non-numeric column or a NULL value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow::array::{Float64Array, Int64Array, RecordBatch};
    /// use patronage_datafusion::fit::CompressedHistories;
    /// let batch = RecordBatch::try_from_iter([
    ///     ("frequency", Arc::new(Float64Array::from(vec![0.0, 2.0])) as _),
    ///     ("recency", Arc::new(Float64Array::from(vec![0.0, 30.0])) as _),
    ///     ("T", Arc::new(Float64Array::from(vec![40.0, 38.0])) as _),
    ///     ("customers", Arc::new(Int64Array::from(vec![7, 3])) as _),
    /// ])?;
    /// let h = CompressedHistories::from_batches(&[batch])?;
    /// assert_eq!(h.customers, vec![7.0, 3.0]);
    /// # Ok::<(), datafusion_common::DataFusionError>(())
    /// ```
    pub fn from_batches(batches: &[RecordBatch]) -> Result<Self> {
        let mut out = Self::default();
        for b in batches {
            let column = |name: &str| -> Result<Vec<f64>> {
                let c = b.column_by_name(name).ok_or_else(|| {
                    DataFusionError::Execution(format!("compressed histories: no column `{name}`"))
                })?;
                if c.null_count() > 0 {
                    return Err(DataFusionError::Execution(format!(
                        "compressed histories: column `{name}` has NULLs"
                    )));
                }
                let c = arrow::compute::cast(c, &DataType::Float64).map_err(|e| {
                    DataFusionError::Execution(format!(
                        "compressed histories: column `{name}` is not numeric: {e}"
                    ))
                })?;
                Ok(c.as_primitive::<Float64Type>().values().to_vec())
            };
            out.frequency.extend(column("frequency")?);
            out.recency.extend(column("recency")?);
            out.age.extend(column("T")?);
            out.customers.extend(column("customers")?);
        }
        Ok(out)
    }

    /// The histories as a core summary (one row per distinct history, customer
    /// indices `0..n`), to fit with [`customers`](Self::customers) as weights.
    ///
    /// # Errors
    /// As [`CustomerSummary::from_columns`], as an execution error naming the row.
    pub fn summary(&self) -> Result<CustomerSummary> {
        CustomerSummary::from_columns(&self.frequency, &self.recency, &self.age, None)
            .map_err(|e| DataFusionError::Execution(format!("compressed histories: {e}")))
    }

    /// Fits a BG/NBD model with the core crate, the counts as weights: the fit of the
    /// full summary.
    ///
    /// # Errors
    /// The core crate's fit errors ([`BetaGeoParams`]), as execution errors.
    pub fn fit_bg_nbd(&self, params: &BetaGeoParams) -> Result<BetaGeo> {
        let summary = self.summary()?;
        params
            .fit((&summary, &self.customers[..]))
            .map_err(|e| DataFusionError::Execution(format!("BG/NBD fit: {e}")))
    }

    /// Fits a Pareto/NBD model with the core crate, the counts as weights.
    ///
    /// # Errors
    /// The core crate's fit errors ([`ParetoNbdParams`]), as execution errors.
    pub fn fit_pareto_nbd(&self, params: &ParetoNbdParams) -> Result<ParetoNbd> {
        let summary = self.summary()?;
        params
            .fit((&summary, &self.customers[..]))
            .map_err(|e| DataFusionError::Execution(format!("Pareto/NBD fit: {e}")))
    }
}

/// Runs [`compressed_histories_sql`] on `table` (columns `frequency`, `recency`, `"T"`)
/// in the session and reads the result (feature `session`).
///
/// # Errors
/// The engine's errors (a missing table or column), and
/// [`CompressedHistories::from_batches`]'s.
#[cfg(feature = "session")]
pub async fn compressed_histories(
    ctx: &datafusion::prelude::SessionContext,
    table: &str,
) -> Result<CompressedHistories> {
    let batches = ctx
        .sql(&compressed_histories_sql(table, None))
        .await?
        .collect()
        .await?;
    CompressedHistories::from_batches(&batches)
}

/// Fits a BG/NBD model to the summary table `table` (columns `frequency`, `recency`,
/// `"T"`): the engine compresses it into distinct histories with counts, and the core
/// crate fits them locally with the counts as weights, which gives the in-memory fit
/// of the whole table (feature `session`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use datafusion::arrow::array::{Float64Array, RecordBatch};
/// use datafusion::datasource::MemTable;
/// use datafusion::prelude::SessionContext;
/// use patronage::clv::BetaGeo;
/// use patronage::model::Fit;
///
/// // A summary table (here from the core crate's simulator) in the engine.
/// let s = patronage::simulate::Simulation::new(2_000).seed(3).summary_continuous()?;
/// let column = |v: &[f64]| Arc::new(Float64Array::from(v.to_vec())) as _;
/// let batch = RecordBatch::try_from_iter([
///     ("frequency", column(s.frequency())),
///     ("recency", column(s.recency())),
///     ("T", column(s.age())),
/// ])?;
/// let ctx = SessionContext::new();
/// ctx.register_table("summary", Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?))?;
///
/// let model = patronage_datafusion::fit::fit_bg_nbd(&ctx, "summary", &BetaGeo::params()).await?;
/// let local = BetaGeo::params().fit(&s)?;
/// assert!((model.r() - local.r()).abs() <= 1e-10 * local.r());
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// As [`compressed_histories`] and [`CompressedHistories::fit_bg_nbd`].
#[cfg(feature = "session")]
pub async fn fit_bg_nbd(
    ctx: &datafusion::prelude::SessionContext,
    table: &str,
    params: &BetaGeoParams,
) -> Result<BetaGeo> {
    compressed_histories(ctx, table).await?.fit_bg_nbd(params)
}

/// [`fit_bg_nbd`] for the Pareto/NBD model (feature `session`).
///
/// # Errors
/// As [`compressed_histories`] and [`CompressedHistories::fit_pareto_nbd`].
#[cfg(feature = "session")]
pub async fn fit_pareto_nbd(
    ctx: &datafusion::prelude::SessionContext,
    table: &str,
    params: &ParetoNbdParams,
) -> Result<ParetoNbd> {
    compressed_histories(ctx, table)
        .await?
        .fit_pareto_nbd(params)
}
