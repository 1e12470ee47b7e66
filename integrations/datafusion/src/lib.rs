//! patronage's customer analytics inside [Apache DataFusion](https://datafusion.apache.org):
//! the per-customer summary as a mergeable aggregate, scoring functions for fitted
//! models, and model fitting on a compressed table computed by the engine.
//!
//! - [`customer_summary_udaf`]: `customer_summary(day, amount)`, an aggregate
//!   (with a [`GroupsAccumulator`](datafusion_expr::GroupsAccumulator)) returning the
//!   customer's frequency, recency, T, monetary value, orders, total spend and first and
//!   last day as a struct. It keeps the core crate's exact, mergeable partial state
//!   ([`patronage::PartialSummary`]: money in integer micro-units), so a query over any
//!   number of partitions gives bit for bit the summary
//!   [`TransactionLog::summarize`](patronage::TransactionLog::summarize) gives in one
//!   process.
//! - [`p_alive_udf`], [`expected_purchases_udf`], [`clv_udf`], [`churn_probability_udf`],
//!   [`cluster_udf`], [`rfm_segment_udf`]: scoring with a fitted model's parameters
//!   given once, when the function is created.
//! - [`fit`]: the compressed table of distinct histories by a `GROUP BY` in the engine,
//!   and the core crate's BG/NBD or Pareto/NBD fit on it (the in-memory fit's
//!   parameters).
//! - `kmeans::fit_kmeans` (feature `session`): k-means over a table, seeded on a
//!   sample, with Lloyd's steps as aggregate queries in the engine.
//! - `logistic::fit_logistic` (feature `session`): logistic churn regression with the
//!   gradient and Hessian summed by an aggregate in the engine and Newton's steps on the
//!   driver (the in-memory fit's optimum).
//! - [`register`]: all of it in a session (or any
//!   [`FunctionRegistry`]) in one call.
//!
//! The crate depends on DataFusion's expression crates only (`datafusion-expr`,
//! `datafusion-common`, `datafusion-functions-aggregate-common`, `arrow`), so it adds
//! the functions to an engine the caller builds (a `SessionContext`, a Ballista
//! executor's session state) without pulling in SQL or file formats.
//!
//! ```
//! use datafusion_expr::registry::{FunctionRegistry, MemoryFunctionRegistry};
//! use patronage::{Day, clv::BetaGeo, summary::SummaryParams};
//! use patronage_datafusion::{Functions, register};
//!
//! let model = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?;
//! let functions = Functions::new()
//!     .summary(&SummaryParams::new(Day(20_000)).time_unit_days(7.0))?
//!     .purchase_model(&model);
//! let mut registry = MemoryFunctionRegistry::new(); // or a SessionContext
//! register(&mut registry, &functions)?;
//! assert!(registry.udaf("customer_summary").is_ok());
//! assert!(registry.udf("p_alive").is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::sync::Arc;

use datafusion_common::Result;
use datafusion_expr::registry::FunctionRegistry;
use datafusion_expr::{AggregateUDF, ScalarUDF};
use patronage::churn::LogisticRegression;
use patronage::clv::GammaGamma;
use patronage::clv::value::Valuation;
use patronage::rfm::{RfmModel, SegmentMap};
use patronage::segment::FittedKMeans;
use patronage::summary::SummaryParams;

pub mod fit;
#[cfg(feature = "session")]
pub mod kmeans;
#[cfg(feature = "session")]
pub mod logistic;
pub mod score;
pub mod summary;
pub mod wire;

pub use score::{
    Model, churn_probability_udf, cluster_udf, clv_udf, expected_purchases_udf, p_alive_udf,
    rfm_segment_udf,
};
pub use summary::{CUSTOMER_SUMMARY, CustomerSummaryUdaf, SUMMARY_FIELDS, customer_summary_udaf};

/// The functions to add to a session with [`register`]: the summary aggregate and the
/// scoring functions of fitted models.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    aggregates: Vec<AggregateUDF>,
    scalars: Vec<ScalarUDF>,
}

impl Functions {
    /// No functions yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `customer_summary(day, amount)` for `params` ([`customer_summary_udaf`]).
    ///
    /// # Errors
    /// A planning error for invalid `params`.
    pub fn summary(mut self, params: &SummaryParams) -> Result<Self> {
        self.aggregates.push(customer_summary_udaf(params)?);
        Ok(self)
    }

    /// Adds `p_alive(x, t_x, T)` and `expected_purchases(t, x, t_x, T)` for a fitted
    /// purchase model ([`p_alive_udf`], [`expected_purchases_udf`]).
    pub fn purchase_model<M: Model>(mut self, model: &M) -> Self {
        self.scalars.push(p_alive_udf(model));
        self.scalars.push(expected_purchases_udf(model));
        self
    }

    /// Adds `clv(x, t_x, T, monetary_value)` ([`clv_udf`]).
    ///
    /// # Errors
    /// A planning error for invalid `params`.
    pub fn clv<M: Model>(
        mut self,
        purchases: &M,
        spend: &GammaGamma,
        valuation: Valuation,
        params: &SummaryParams,
    ) -> Result<Self> {
        self.scalars
            .push(clv_udf(purchases, spend, valuation, params)?);
        Ok(self)
    }

    /// Adds `churn_probability(x0, x1, ...)` ([`churn_probability_udf`]).
    pub fn churn_model(mut self, model: &LogisticRegression) -> Self {
        self.scalars.push(churn_probability_udf(model));
        self
    }

    /// Adds `kmeans_cluster(x0, x1, ...)` ([`cluster_udf`]).
    pub fn clusters(mut self, model: &FittedKMeans) -> Self {
        self.scalars.push(cluster_udf(model));
        self
    }

    /// Adds `rfm_segment(recency_days, frequency, monetary)` ([`rfm_segment_udf`]).
    pub fn rfm_segments(mut self, model: &RfmModel, segments: &SegmentMap) -> Self {
        self.scalars.push(rfm_segment_udf(model, segments));
        self
    }

    /// Adds any other aggregate (a renamed summary, say).
    pub fn aggregate(mut self, udaf: AggregateUDF) -> Self {
        self.aggregates.push(udaf);
        self
    }

    /// Adds any other scalar function.
    pub fn scalar(mut self, udf: ScalarUDF) -> Self {
        self.scalars.push(udf);
        self
    }
}

/// Registers `functions` with a session (`&mut SessionContext`, a `SessionState`, or
/// any other [`FunctionRegistry`]), replacing functions of the same names.
///
/// # Errors
/// The registry's error when it does not take functions.
pub fn register(registry: &mut dyn FunctionRegistry, functions: &Functions) -> Result<()> {
    for f in &functions.aggregates {
        registry.register_udaf(Arc::new(f.clone()))?;
    }
    for f in &functions.scalars {
        registry.register_udf(Arc::new(f.clone()))?;
    }
    Ok(())
}
