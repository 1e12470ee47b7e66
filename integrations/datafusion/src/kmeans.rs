//! k-means where the data lives (feature `session`): Lloyd's iterations as a
//! map-reduce over the engine, as Spark MLlib runs them.
//!
//! 1. **Seeding on a sample.** The engine draws a deterministic sample of at most
//!    `sample` rows (the rows with the smallest hash of their values and the seed, so the
//!    same seed gives the same sample however the table is partitioned), and the core
//!    crate fits k-means on it (k-means++ with restarts, as the given [`KMeans`] params
//!    say). Its centroids start the iterations. With [`Init::Given`] centroids the
//!    iterations start there and no sample is drawn.
//! 2. **Lloyd steps in the engine.** Each step is one aggregate query: every row is
//!    assigned to its nearest centroid by the [`cluster`](crate::cluster_udf) function and
//!    the engine sums the rows and counts them per cluster (`GROUP BY cluster`); the
//!    driver moves each centroid to its cluster's mean. A cluster that lost all its rows
//!    keeps its centroid (Spark's rule; the in-memory fit re-seeds it instead).
//! 3. **Stop** when the summed squared centroid shift is at most `tol` times the mean
//!    column variance (the core crate's and scikit-learn's criterion; the variances come
//!    from one more aggregate), or after `max_iter` steps; one last pass sums the
//!    inertia.
//!
//! From the same starting centroids the result is the in-memory fit's
//! ([`KMeans`] with [`Init::Given`] and the same `max_iter` and `tol`): the same
//! assignments and centroids up to the order of floating-point sums (1e-12 relative in
//! the tests). The model keeps no training labels (there may be billions of rows); score
//! rows with [`cluster_udf`](crate::cluster_udf) or
//! [`Clusterer::predict`](patronage::model::Clusterer::predict).

use std::hash::Hasher;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::functions_aggregate::expr_fn::{count, sum, var_pop};
use datafusion::prelude::{DataFrame, Expr, SessionContext, cast, ident, lit};
use datafusion_common::{DataFusionError, Result};
use patronage::model::Fit;
use patronage::ndarray::Array2;
use patronage::segment::{FittedKMeans, Init, KMeans};

use crate::score::{sample_key_udf, squared_distance_udf};

/// Rows of the seeding sample by default.
pub const DEFAULT_SAMPLE: usize = 100_000;

/// Fits k-means to the numeric `columns` of `table` in the engine (see the
/// [module docs](self)): seeding by the core crate on a deterministic sample of at most
/// `sample` rows, then Lloyd steps as aggregate queries until the centroids settle.
/// Rows with a NULL in any of the columns are left out.
///
/// `params` are the core crate's: `k`, `init`, `n_init`, `seed` and the algorithm for
/// the sample's fit; `max_iter` and `tol` for the iterations on the whole table
/// (`tol` must be above 0).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use datafusion::arrow::array::{Float64Array, RecordBatch};
/// use datafusion::datasource::MemTable;
/// use datafusion::prelude::SessionContext;
/// use patronage::segment::KMeans;
///
/// let (a, b): (Vec<f64>, Vec<f64>) = (0..200)
///     .map(|i| { let c = if i % 2 == 0 { 0.0 } else { 10.0 }; (c + (i % 7) as f64 * 0.1, c - (i % 5) as f64 * 0.1) })
///     .unzip();
/// let batch = RecordBatch::try_from_iter([
///     ("a", Arc::new(Float64Array::from(a)) as _),
///     ("b", Arc::new(Float64Array::from(b)) as _),
/// ])?;
/// let ctx = SessionContext::new();
/// ctx.register_table("points", Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?))?;
/// let model = patronage_datafusion::kmeans::fit_kmeans(
///     &ctx, "points", &["a", "b"], &KMeans::params(2).seed(1), 1_000,
/// ).await?;
/// assert_eq!(model.centroids().nrows(), 2);
/// assert!(model.converged());
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// A planning error for no columns, a `sample` of 0 or a `tol` of 0; the engine's
/// errors (a missing table or column, a non-numeric column); execution errors for
/// fewer rows than `k` in the sample, non-finite values (naming the column and row of
/// the batch) and the core crate's fit errors.
pub async fn fit_kmeans(
    ctx: &SessionContext,
    table: &str,
    columns: &[&str],
    params: &KMeans,
    sample: usize,
) -> Result<FittedKMeans> {
    use patronage::model::Optimized;
    if columns.is_empty() {
        return Err(DataFusionError::Plan(
            "fit_kmeans: name at least one column".into(),
        ));
    }
    if sample == 0 {
        return Err(DataFusionError::Plan(
            "fit_kmeans: the sample needs at least one row".into(),
        ));
    }
    let optimizer = params.optimizer();
    let (max_iter, tol) = (optimizer.max_iter, optimizer.tol);
    if !(tol.is_finite() && tol > 0.0) {
        return Err(DataFusionError::Plan(format!(
            "fit_kmeans: tol must be finite and above 0, got {tol}"
        )));
    }
    let fail = |e: patronage::Error| DataFusionError::Execution(format!("fit_kmeans: {e}"));

    // The rows with every column present, as DOUBLE.
    let features: Vec<Expr> = columns
        .iter()
        .map(|c| cast(ident(*c), DataType::Float64).alias(*c))
        .collect();
    let present = columns
        .iter()
        .map(|c| ident(*c).is_not_null())
        .reduce(Expr::and)
        .unwrap_or(lit(true));
    let rows = ctx.table(table).await?.filter(present)?.select(features)?;
    let x: Vec<Expr> = columns.iter().map(|c| ident(*c)).collect();

    // Starting centroids.
    let mut centroids = match params.initialization() {
        Init::Given(c) => c.clone(),
        _ => {
            let seed = params.random_seed();
            let key = sample_key_udf(seed, columns.len()).call(x.clone());
            let mut order = vec![key.sort(true, true)];
            order.extend(x.iter().map(|e| e.clone().sort(true, true)));
            let batches = rows
                .clone()
                .sort(order)?
                .limit(0, Some(sample))?
                .collect()
                .await?;
            let sample = matrix(&batches, columns.len())?;
            params.fit(sample.view()).map_err(fail)?.centroids().clone()
        }
    };
    let (k, d) = centroids.dim();
    if d != columns.len() {
        return Err(DataFusionError::Plan(format!(
            "fit_kmeans: the given centroids have {d} columns, {} columns are named",
            columns.len()
        )));
    }

    // The criterion's scale: the mean population variance of the columns.
    let variances = rows
        .clone()
        .aggregate(vec![], x.iter().map(|e| var_pop(e.clone())).collect())?
        .collect()
        .await?;
    let variance = first_row(&variances)?.iter().sum::<f64>() / d as f64;
    let threshold = tol * variance;

    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iter {
        let model =
            FittedKMeans::from_parts(centroids.clone(), vec![], 0.0, 0, false).map_err(fail)?;
        let step = lloyd_step(&rows, &x, &model).await?;
        iterations += 1;
        let mut shift = 0.0;
        for (c, (count, sums)) in step.iter().enumerate().take(k) {
            if *count == 0 {
                continue;
            }
            for (j, s) in sums.iter().enumerate() {
                let mean = s / *count as f64;
                shift += (mean - centroids[[c, j]]).powi(2);
                centroids[[c, j]] = mean;
            }
        }
        if shift <= threshold {
            converged = true;
            break;
        }
    }

    let model = FittedKMeans::from_parts(centroids.clone(), vec![], 0.0, 0, false).map_err(fail)?;
    let inertia = rows
        .aggregate(
            vec![],
            vec![sum(squared_distance_udf(&model).call(x.clone()))],
        )?
        .collect()
        .await?;
    let inertia = first_row(&inertia)?.first().copied().unwrap_or(0.0);
    FittedKMeans::from_parts(centroids, vec![], inertia, iterations, converged).map_err(fail)
}

/// One Lloyd step: per cluster of `model`, the number of rows and their column sums.
async fn lloyd_step(
    rows: &DataFrame,
    x: &[Expr],
    model: &FittedKMeans,
) -> Result<Vec<(i64, Vec<f64>)>> {
    let (k, d) = model.centroids().dim();
    let cluster = crate::cluster_udf(model).call(x.to_vec()).alias("cluster");
    let mut aggregates = vec![count(lit(1)).alias("rows")];
    aggregates.extend(
        x.iter()
            .enumerate()
            .map(|(j, e)| sum(e.clone()).alias(format!("sum_{j}"))),
    );
    let batches = rows
        .clone()
        .aggregate(vec![cluster], aggregates)?
        .collect()
        .await?;
    let mut out = vec![(0i64, vec![0.0; d]); k];
    for b in &batches {
        let cluster = b.column(0).as_primitive::<Int64Type>();
        let rows = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let c = usize::try_from(cluster.value(i))
                .ok()
                .filter(|&c| c < k)
                .ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "fit_kmeans: cluster {} out of range",
                        cluster.value(i)
                    ))
                })?;
            out[c].0 = rows.value(i);
            for j in 0..d {
                out[c].1[j] = b.column(2 + j).as_primitive::<Float64Type>().value(i);
            }
        }
    }
    Ok(out)
}

/// The rows of `batches` (`d` DOUBLE columns without NULLs) as a matrix.
fn matrix(batches: &[RecordBatch], d: usize) -> Result<Array2<f64>> {
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut values = Vec::with_capacity(n * d);
    for b in batches {
        let columns: Vec<_> = (0..d)
            .map(|j| b.column(j).as_primitive::<Float64Type>())
            .collect();
        for i in 0..b.num_rows() {
            values.extend(columns.iter().map(|c| c.value(i)));
        }
    }
    Array2::from_shape_vec((n, d), values)
        .map_err(|e| DataFusionError::Internal(format!("fit_kmeans: sample: {e}")))
}

/// The first row of a one-row aggregate of DOUBLE columns (NULL as 0: no rows).
fn first_row(batches: &[RecordBatch]) -> Result<Vec<f64>> {
    let b = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| DataFusionError::Execution("fit_kmeans: the table has no rows".into()))?;
    Ok((0..b.num_columns())
        .map(|j| {
            let c = b.column(j).as_primitive::<Float64Type>();
            if c.is_null(0) { 0.0 } else { c.value(0) }
        })
        .collect())
}

/// A deterministic 64-bit key of a row's values and a seed (SplitMix64 steps over the
/// values' bits): the sample takes the rows with the smallest keys.
pub(crate) fn sample_key(seed: u64, row: &[f64]) -> i64 {
    let mut h = SplitMix(seed);
    for v in row {
        // -0.0 and 0.0 are the same value.
        h.write_u64((v + 0.0).to_bits());
    }
    h.finish() as i64
}

struct SplitMix(u64);

impl Hasher for SplitMix {
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = self.finish() ^ v;
    }
}
