//! The parameters of patronage's functions as bytes, for plans sent over the wire.
//!
//! DataFusion serializes a plan's functions by name (`datafusion-proto`), and the
//! receiving process looks the name up in its own function registry. patronage's
//! functions carry parameters (the summary's [`SummaryParams`], a fitted model), so a
//! name alone would let a remote process run a differently parameterised function of
//! the same name. These functions write the parameters themselves, to be put in the
//! plan by a codec (`LogicalExtensionCodec::try_encode_udf` / `try_encode_udaf` and
//! their `PhysicalExtensionCodec` twins) and read back on the other side, so that the
//! executors of a cluster (Ballista, say) run exactly the functions the client planned
//! with, without registering anything.
//!
//! The bytes are JSON: `{"format": 1, "function": {...}}` with the function's kind and
//! parameters (the core crate's serde forms of [`SummaryParams`], the fitted models,
//! the valuation). Numbers are written in their shortest round-trip form and read back
//! bit for bit, so a decoded function computes bit for bit what the encoded one does.
//! Decoding validates what it reads: a model's parameters as the core crate does when
//! loading a model, the summary params as [`customer_summary_udaf`](crate::customer_summary_udaf) does; a truncated,
//! hand-edited or foreign buffer is a planning error naming the function, never a
//! panic.
//!
//! ```
//! use patronage::clv::BetaGeo;
//! use patronage_datafusion::{p_alive_udf, wire};
//!
//! let udf = p_alive_udf(&BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?);
//! let bytes = wire::encode_udf(&udf)?.expect("a patronage function");
//! let back = wire::decode_udf("p_alive", &bytes)?;
//! assert_eq!(back, udf); // same name, same parameters
//! assert!(wire::decode_udf("p_alive", b"{\"format\": 1}").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{AggregateUDF, ScalarUDF};
use patronage::churn::LogisticRegression;
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNbd};
use patronage::rfm::{RfmModel, SegmentMap};
use patronage::segment::FittedKMeans;
use patronage::summary::SummaryParams;
use serde::{Deserialize, Serialize};

use crate::score::{self, Model};
use crate::summary::{CUSTOMER_SUMMARY, CustomerSummaryUdaf};

/// The version of the byte format [`encode_udf`] and [`encode_udaf`] write; decoding
/// refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// A fitted purchase model, by kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum PurchaseSpec {
    /// BG/NBD.
    BetaGeo(BetaGeo),
    /// Pareto/NBD.
    ParetoNbd(ParetoNbd),
    /// MBG/NBD.
    ModifiedBetaGeo(ModifiedBetaGeo),
    /// BG/BB.
    BetaGeoBetaBinom(BetaGeoBetaBinom),
}

impl PurchaseSpec {
    /// The spec of `model` when it is one of the core crate's purchase models.
    pub(crate) fn of<M: Model>(model: &M) -> Option<Self> {
        let any: &dyn std::any::Any = model;
        if let Some(m) = any.downcast_ref::<BetaGeo>() {
            Some(Self::BetaGeo(m.clone()))
        } else if let Some(m) = any.downcast_ref::<ParetoNbd>() {
            Some(Self::ParetoNbd(m.clone()))
        } else if let Some(m) = any.downcast_ref::<ModifiedBetaGeo>() {
            Some(Self::ModifiedBetaGeo(m.clone()))
        } else {
            any.downcast_ref::<BetaGeoBetaBinom>()
                .map(|m| Self::BetaGeoBetaBinom(m.clone()))
        }
    }
}

/// One of patronage's functions with its parameters.
// Built once per function in a plan and serialized at once: the size of the largest
// variant (a fitted model) does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Spec {
    /// `customer_summary`.
    CustomerSummary { params: SummaryParams },
    /// `p_alive`.
    PAlive { model: PurchaseSpec },
    /// `expected_purchases`.
    ExpectedPurchases { model: PurchaseSpec },
    /// `clv`.
    Clv {
        purchases: PurchaseSpec,
        spend: GammaGamma,
        valuation: Valuation,
        params: SummaryParams,
    },
    /// `churn_probability`.
    ChurnProbability { model: LogisticRegression },
    /// `kmeans_cluster`.
    KmeansCluster { model: FittedKMeans },
    /// `rfm_segment`.
    RfmSegment {
        model: RfmModel,
        segments: SegmentMap,
    },
}

impl Spec {
    /// The SQL name of the function.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::CustomerSummary { .. } => CUSTOMER_SUMMARY,
            Self::PAlive { .. } => score::P_ALIVE,
            Self::ExpectedPurchases { .. } => score::EXPECTED_PURCHASES,
            Self::Clv { .. } => score::CLV,
            Self::ChurnProbability { .. } => score::CHURN_PROBABILITY,
            Self::KmeansCluster { .. } => score::CLUSTER,
            Self::RfmSegment { .. } => score::RFM_SEGMENT,
        }
    }
}

/// What goes on the wire.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: u32,
    function: Spec,
}

/// The error of a buffer that does not decode as `name`.
fn invalid(name: &str, what: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Plan(format!(
        "patronage function `{name}` in the plan: invalid parameters: {what}"
    ))
}

fn encode(spec: Spec) -> Result<Vec<u8>> {
    serde_json::to_vec(&Envelope {
        format: FORMAT_VERSION,
        function: spec,
    })
    .map_err(|e| DataFusionError::Internal(format!("patronage function parameters: {e}")))
}

fn decode(name: &str, bytes: &[u8]) -> Result<Spec> {
    let envelope: Envelope = serde_json::from_slice(bytes).map_err(|e| invalid(name, e))?;
    if envelope.format != FORMAT_VERSION {
        return Err(invalid(
            name,
            format!(
                "format version {} (this build reads version {FORMAT_VERSION})",
                envelope.format
            ),
        ));
    }
    Ok(envelope.function)
}

/// Checks that the decoded function is the one the plan names.
fn named<F>(name: &str, f: F, actual: &str) -> Result<F> {
    if actual == name {
        Ok(f)
    } else {
        Err(invalid(name, format!("the parameters are `{actual}`'s")))
    }
}

/// The parameters of one of this crate's scalar functions ([`p_alive_udf`](crate::p_alive_udf)
/// and the other scoring functions) as bytes, or `None` for any other function (to be
/// serialized by name, as DataFusion does by default).
///
/// # Errors
/// An internal error if the parameters do not serialize (they always do).
///
/// ```
/// use datafusion_expr::ScalarUDF;
/// use patronage::clv::BetaGeo;
/// use patronage_datafusion::{expected_purchases_udf, wire};
/// let udf = expected_purchases_udf(&BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?);
/// assert!(wire::encode_udf(&udf)?.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_udf(udf: &ScalarUDF) -> Result<Option<Vec<u8>>> {
    score::spec_of(udf).map(encode).transpose()
}

/// The scalar function `name` from bytes written by [`encode_udf`], its parameters
/// validated.
///
/// # Errors
/// A planning error naming the function for bytes that are not [`encode_udf`]'s for a
/// function called `name` (another format version, another function, invalid model
/// parameters).
///
/// ```
/// use patronage_datafusion::wire;
/// let err = wire::decode_udf("p_alive", b"not json").unwrap_err();
/// assert!(err.to_string().contains("p_alive"));
/// ```
pub fn decode_udf(name: &str, bytes: &[u8]) -> Result<ScalarUDF> {
    let udf = score::from_spec(decode(name, bytes)?).map_err(|e| invalid(name, e))?;
    let actual = udf.name().to_string();
    named(name, udf, &actual)
}

/// The parameters of [`customer_summary_udaf`](crate::customer_summary_udaf)'s
/// aggregate as bytes, or `None` for any other aggregate.
///
/// # Errors
/// An internal error if the parameters do not serialize (they always do).
///
/// ```
/// use patronage::{Day, summary::SummaryParams};
/// use patronage_datafusion::{customer_summary_udaf, wire};
/// let udaf = customer_summary_udaf(&SummaryParams::new(Day(728)).time_unit_days(7.0))?;
/// let bytes = wire::encode_udaf(&udaf)?.expect("patronage's aggregate");
/// assert_eq!(wire::decode_udaf("customer_summary", &bytes)?, udaf);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_udaf(udaf: &AggregateUDF) -> Result<Option<Vec<u8>>> {
    udaf.inner()
        .downcast_ref::<CustomerSummaryUdaf>()
        .map(|u| {
            encode(Spec::CustomerSummary {
                params: *u.params(),
            })
        })
        .transpose()
}

/// The aggregate `name` from bytes written by [`encode_udaf`], its parameters
/// validated.
///
/// # Errors
/// A planning error naming the aggregate for bytes that are not [`encode_udaf`]'s for
/// an aggregate called `name`, or invalid summary params.
pub fn decode_udaf(name: &str, bytes: &[u8]) -> Result<AggregateUDF> {
    match decode(name, bytes)? {
        Spec::CustomerSummary { params } => {
            let udaf = crate::customer_summary_udaf(&params).map_err(|e| invalid(name, e))?;
            named(name, udaf, CUSTOMER_SUMMARY)
        }
        other => Err(invalid(
            name,
            format!("`{}` is a scalar function, not an aggregate", other.name()),
        )),
    }
}
