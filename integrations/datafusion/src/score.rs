//! Scoring functions for fitted models, as DataFusion scalar UDFs: the model's
//! parameters are given once when the function is created, not per row.
//!
//! - `p_alive(x, t_x, T)`: [`PurchaseModel::probability_alive`];
//! - `expected_purchases(t, x, t_x, T)`: [`PurchaseModel::conditional_expected_purchases`];
//! - `clv(x, t_x, T, monetary_value)`: [`Valuation::value_of`] with a purchase model and
//!   a [`GammaGamma`] spend model.
//!
//! Each value is the core crate's own for the same arguments, bit for bit. Arguments
//! are `DOUBLE` (other numeric types are converted); a NULL argument gives a NULL
//! score (a customer without a purchase in the window has a NULL summary), and an
//! invalid history (recency above T, a fractional frequency, ...) is an execution error
//! naming the function, the row and the columns.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use patronage::Day;
use patronage::clv::value::Valuation;
use patronage::clv::{GammaGamma, PurchaseModel};
use patronage::summary::{SummaryParams, SummaryRow};

/// The SQL name of [`p_alive_udf`].
pub const P_ALIVE: &str = "p_alive";
/// The SQL name of [`expected_purchases_udf`].
pub const EXPECTED_PURCHASES: &str = "expected_purchases";
/// The SQL name of [`clv_udf`].
pub const CLV: &str = "clv";

/// What a scoring function computes from its `f64` arguments.
trait Score: Debug + Send + Sync + 'static {
    /// The SQL name.
    fn name(&self) -> &str;
    /// The argument names, for signatures and errors.
    fn arguments(&self) -> &'static [&'static str];
    /// The score of one row's arguments.
    fn score(&self, args: &[f64]) -> patronage::Result<f64>;
    /// Equality and hashing of the parameters (for DataFusion's plan comparisons).
    fn same(&self, other: &dyn std::any::Any) -> bool;
    fn hash_params(&self, state: &mut dyn Hasher);
}

/// A scalar UDF computing a [`Score`] row by row.
#[derive(Debug)]
struct ScoreUdf<S: Score> {
    score: S,
    signature: Signature,
}

impl<S: Score> ScoreUdf<S> {
    fn udf(score: S) -> ScalarUDF {
        ScalarUDF::from(Self {
            score,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }
}

impl<S: Score> PartialEq for ScoreUdf<S> {
    fn eq(&self, other: &Self) -> bool {
        self.score.same(&other.score)
    }
}

impl<S: Score> Eq for ScoreUdf<S> {}

impl<S: Score> Hash for ScoreUdf<S> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.score.name().hash(state);
        self.score.hash_params(state);
    }
}

impl<S: Score> ScalarUDFImpl for ScoreUdf<S> {
    fn name(&self) -> &str {
        self.score.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let names = self.score.arguments();
        if arg_types.len() != names.len() {
            return Err(DataFusionError::Plan(format!(
                "{} takes {} arguments ({}), got {}",
                self.score.name(),
                names.len(),
                names.join(", "),
                arg_types.len()
            )));
        }
        for (t, name) in arg_types.iter().zip(names) {
            if !(t.is_numeric() || *t == DataType::Null) {
                return Err(DataFusionError::Plan(format!(
                    "{}: the {name} argument must be numeric (DOUBLE), got {t}",
                    self.score.name()
                )));
            }
        }
        Ok(vec![DataType::Float64; names.len()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let columns: Vec<&Float64Array> = arrays
            .iter()
            .map(|a| {
                a.as_primitive_opt::<Float64Type>().ok_or_else(|| {
                    DataFusionError::Internal(format!(
                        "{}: expected Float64 arguments, got {}",
                        self.score.name(),
                        a.data_type()
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let n = columns.first().map_or(args.number_rows, |c| c.len());
        let mut row = vec![0.0; columns.len()];
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if columns.iter().any(|c| c.is_null(i)) {
                out.push(None);
                continue;
            }
            for (v, c) in row.iter_mut().zip(&columns) {
                *v = c.value(i);
            }
            let value = self.score.score(&row).map_err(|e| {
                let named: Vec<String> = self
                    .score
                    .arguments()
                    .iter()
                    .zip(&args.arg_fields)
                    .zip(&row)
                    .map(|((name, field), v)| format!("{name} = {v} (`{}`)", field.name()))
                    .collect();
                DataFusionError::Execution(format!(
                    "{}: row {i} of its batch ({}): {e}",
                    self.score.name(),
                    named.join(", ")
                ))
            })?;
            out.push(Some(value));
        }
        let array: ArrayRef = Arc::new(Float64Array::from(out));
        Ok(ColumnarValue::Array(array))
    }
}

/// The purchase models whose parameters scoring functions hold: the core crate's
/// fitted [`PurchaseModel`]s (BG/NBD, Pareto/NBD, MBG/NBD, ...).
pub trait Model: PurchaseModel + Debug + Clone + PartialEq + Send + Sync + 'static {}

impl<M: PurchaseModel + Debug + Clone + PartialEq + Send + Sync + 'static> Model for M {}

#[derive(Debug, Clone, PartialEq)]
struct PAlive<M>(M);

impl<M: Model> Score for PAlive<M> {
    fn name(&self) -> &str {
        P_ALIVE
    }
    fn arguments(&self) -> &'static [&'static str] {
        &["x", "t_x", "T"]
    }
    fn score(&self, a: &[f64]) -> patronage::Result<f64> {
        self.0.probability_alive(a[0], a[1], a[2])
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{:?}", self.0).as_bytes());
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Expected<M>(M);

impl<M: Model> Score for Expected<M> {
    fn name(&self) -> &str {
        EXPECTED_PURCHASES
    }
    fn arguments(&self) -> &'static [&'static str] {
        &["t", "x", "t_x", "T"]
    }
    fn score(&self, a: &[f64]) -> patronage::Result<f64> {
        self.0
            .conditional_expected_purchases(a[0], a[1], a[2], a[3])
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{:?}", self.0).as_bytes());
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Clv<M> {
    purchases: M,
    spend: GammaGamma,
    valuation: Valuation,
    params: SummaryParams,
}

impl<M: Model> Score for Clv<M> {
    fn name(&self) -> &str {
        CLV
    }
    fn arguments(&self) -> &'static [&'static str] {
        &["x", "t_x", "T", "monetary_value"]
    }
    fn score(&self, a: &[f64]) -> patronage::Result<f64> {
        let row = SummaryRow {
            frequency: a[0],
            recency: a[1],
            age: a[2],
            monetary_value: a[3],
            orders: 0,
            total_spend: 0.0,
            first_day: Day(0),
            last_day: Day(0),
            gross_spend: 0.0,
            refunds: 0.0,
            refund_count: 0,
        };
        self.valuation
            .value_of(&self.purchases, &self.spend, &row, &self.params)
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{self:?}").as_bytes());
    }
}

/// `p_alive(x, t_x, T)`: the probability that a customer with frequency `x`, recency
/// `t_x` and age `T` (in the model's time unit) is alive, under a fitted purchase model
/// ([`PurchaseModel::probability_alive`]).
///
/// ```
/// use patronage::clv::BetaGeo;
/// use patronage_datafusion::p_alive_udf;
/// let udf = p_alive_udf(&BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?);
/// assert_eq!(udf.name(), "p_alive");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn p_alive_udf<M: Model>(model: &M) -> ScalarUDF {
    ScoreUdf::udf(PAlive(model.clone()))
}

/// `expected_purchases(t, x, t_x, T)`: the expected number of repeat purchases in
/// `(T, T + t]` of a customer with history `(x, t_x, T)`, under a fitted purchase model
/// ([`PurchaseModel::conditional_expected_purchases`]).
///
/// ```
/// use patronage::clv::BetaGeo;
/// use patronage_datafusion::expected_purchases_udf;
/// let udf = expected_purchases_udf(&BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?);
/// assert_eq!(udf.name(), "expected_purchases");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn expected_purchases_udf<M: Model>(model: &M) -> ScalarUDF {
    ScoreUdf::udf(Expected(model.clone()))
}

/// `clv(x, t_x, T, monetary_value)`: discounted customer lifetime value
/// ([`Valuation::value_of`]) from a purchase model, a Gamma-Gamma spend model and a
/// valuation (discounting and margin); `params` are the summary params of the
/// histories (their time unit converts the valuation's months).
///
/// # Errors
/// A planning error when `params` are invalid.
///
/// ```
/// use patronage::clv::{value::Valuation, BetaGeo, GammaGamma};
/// use patronage::{summary::SummaryParams, Day};
/// use patronage_datafusion::clv_udf;
/// let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?;
/// let gg = GammaGamma::from_params(6.25, 3.74, 15.44)?;
/// let params = SummaryParams::new(Day(20_000)).time_unit_days(7.0);
/// let udf = clv_udf(&bg, &gg, Valuation::monthly(12, 0.01), &params).expect("valid params");
/// assert_eq!(udf.name(), "clv");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn clv_udf<M: Model>(
    purchases: &M,
    spend: &GammaGamma,
    valuation: Valuation,
    params: &SummaryParams,
) -> Result<ScalarUDF> {
    params
        .validate()
        .map_err(|e| DataFusionError::Plan(format!("{CLV}: {e}")))?;
    Ok(ScoreUdf::udf(Clv {
        purchases: purchases.clone(),
        spend: spend.clone(),
        valuation,
        params: *params,
    }))
}
