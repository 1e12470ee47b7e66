//! Scoring functions for fitted models, as DataFusion scalar UDFs: the model's
//! parameters are given once when the function is created, not per row.
//!
//! - `p_alive(x, t_x, T)`: [`PurchaseModel::probability_alive`];
//! - `expected_purchases(t, x, t_x, T)`: [`PurchaseModel::conditional_expected_purchases`];
//! - `clv(x, t_x, T, monetary_value)`: [`Valuation::value_of`] with a purchase model and
//!   a [`GammaGamma`] spend model;
//! - `churn_probability(x0, x1, ...)`: a fitted [`LogisticRegression`]'s probability;
//! - `kmeans_cluster(x0, x1, ...)`: a fitted k-means model's nearest centroid ([`FittedKMeans`]);
//! - `rfm_segment(recency_days, frequency, monetary)`: the segment name of the RFM cell
//!   under a fitted scorer ([`RfmModel`]) and a [`SegmentMap`].
//!
//! Each value is the core crate's own for the same arguments, bit for bit: the
//! function scores each batch's rows (those without a NULL argument) with the core
//! crate's own batch or row function. Arguments
//! are `DOUBLE` (other numeric types are converted); a NULL argument gives a NULL
//! score (a customer without a purchase in the window has a NULL summary), and an
//! invalid history (recency above T, a fractional frequency, ...) is an execution error
//! naming the function, the row and the columns.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray, new_null_array,
};
use arrow::datatypes::{DataType, Float64Type};
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use patronage::Day;
use patronage::churn::LogisticRegression;
use patronage::clv::value::Valuation;
use patronage::clv::{GammaGamma, PurchaseModel};
use patronage::model::{Classifier, Clusterer};
use patronage::ndarray::{Array2, ArrayView2, Axis, Slice};
use patronage::rfm::{RfmModel, SegmentMap};
use patronage::segment::FittedKMeans;
use patronage::summary::{SummaryParams, SummaryRow};

use crate::wire::{PurchaseSpec, Spec};

/// The SQL name of [`p_alive_udf`].
pub const P_ALIVE: &str = "p_alive";
/// The SQL name of [`expected_purchases_udf`].
pub const EXPECTED_PURCHASES: &str = "expected_purchases";
/// The SQL name of [`clv_udf`].
pub const CLV: &str = "clv";
/// The SQL name of [`churn_probability_udf`].
pub const CHURN_PROBABILITY: &str = "churn_probability";
/// The SQL name of [`cluster_udf`].
pub const CLUSTER: &str = "kmeans_cluster";
/// The SQL name of [`rfm_segment_udf`].
pub const RFM_SEGMENT: &str = "rfm_segment";

/// What a scoring function computes: the scores of a batch's rows (those without a
/// NULL argument), packed as the rows of a matrix with one column per argument.
trait Score: Debug + Send + Sync + 'static {
    /// The SQL name.
    fn name(&self) -> &str;
    /// The argument names, for signatures and errors.
    fn arguments(&self) -> Vec<String>;
    /// The SQL type of the scores.
    fn return_type(&self) -> DataType {
        DataType::Float64
    }
    /// The scores of the rows of `x`.
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>>;
    /// Equality and hashing of the parameters (for DataFusion's plan comparisons).
    fn same(&self, other: &dyn std::any::Any) -> bool;
    fn hash_params(&self, state: &mut dyn Hasher);
    /// The function with its parameters, for the wire (`None`: not serializable).
    fn spec(&self) -> Option<Spec> {
        None
    }
}

/// A batch's scores, one per packed row.
enum Scores<'a> {
    /// `DOUBLE` scores (probabilities, expectations, values).
    Float(Vec<f64>),
    /// `BIGINT` labels (a cluster).
    Int(Vec<i64>),
    /// `VARCHAR` labels (a segment's name).
    Text(Vec<&'a str>),
}

/// The scores of each row computed one at a time by `f`.
fn row_by_row(
    x: ArrayView2<'_, f64>,
    f: impl Fn(&[f64]) -> patronage::Result<f64>,
) -> patronage::Result<Scores<'static>> {
    let mut row = vec![0.0; x.ncols()];
    let mut out = Vec::with_capacity(x.nrows());
    for r in x.rows() {
        for (v, a) in row.iter_mut().zip(r) {
            *v = *a;
        }
        out.push(f(&row)?);
    }
    Ok(Scores::Float(out))
}

/// A scalar UDF computing a [`Score`] batch by batch.
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

    /// The execution error for a batch the score rejected: the first row that fails on
    /// its own, with its arguments and columns named (the batch is scored once; only a
    /// failing batch is re-read row by row).
    fn locate(
        &self,
        x: ArrayView2<'_, f64>,
        rows: &[usize],
        args: &ScalarFunctionArgs,
        error: patronage::Error,
    ) -> DataFusionError {
        let name = self.score.name();
        for (r, &row) in rows.iter().enumerate() {
            let one = x.slice_axis(Axis(0), Slice::from(r..r + 1));
            if let Err(e) = self.score.score_rows(one) {
                let named: Vec<String> = self
                    .score
                    .arguments()
                    .iter()
                    .zip(&args.arg_fields)
                    .zip(one.row(0))
                    .map(|((name, field), v)| format!("{name} = {v} (`{}`)", field.name()))
                    .collect();
                let e = e.at_row(row);
                return DataFusionError::Execution(format!(
                    "{name}: row {row} of its batch ({}): {e}",
                    named.join(", ")
                ));
            }
        }
        DataFusionError::Execution(format!("{name}: {error}"))
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
        for (t, name) in arg_types.iter().zip(&names) {
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
        Ok(self.score.return_type())
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
        // The rows without a NULL argument, packed (a NULL argument gives a NULL score).
        let rows: Vec<usize> = (0..n)
            .filter(|&i| !columns.iter().any(|c| c.is_null(i)))
            .collect();
        if rows.is_empty() {
            return Ok(ColumnarValue::Array(new_null_array(
                &self.score.return_type(),
                n,
            )));
        }
        let x = Array2::from_shape_fn((rows.len(), columns.len()), |(r, j)| {
            columns[j].value(rows[r])
        });
        let scores = self
            .score
            .score_rows(x.view())
            .map_err(|e| self.locate(x.view(), &rows, &args, e))?;
        // Spread the packed scores back over the batch's rows.
        fn spread<T: Copy>(n: usize, rows: &[usize], values: &[T]) -> Vec<Option<T>> {
            let mut out = vec![None; n];
            for (&i, &v) in rows.iter().zip(values) {
                out[i] = Some(v);
            }
            out
        }
        let array: ArrayRef = match scores {
            Scores::Float(v) => Arc::new(Float64Array::from(spread(n, &rows, &v))),
            Scores::Int(v) => Arc::new(Int64Array::from(spread(n, &rows, &v))),
            Scores::Text(v) => Arc::new(StringArray::from(spread(n, &rows, &v))),
        };
        Ok(ColumnarValue::Array(array))
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
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
    fn arguments(&self) -> Vec<String> {
        names(&["x", "t_x", "T"])
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        row_by_row(x, |a| self.0.probability_alive(a[0], a[1], a[2]))
    }
    fn spec(&self) -> Option<Spec> {
        PurchaseSpec::of(&self.0).map(|model| Spec::PAlive { model })
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
    fn arguments(&self) -> Vec<String> {
        names(&["t", "x", "t_x", "T"])
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        row_by_row(x, |a| {
            self.0
                .conditional_expected_purchases(a[0], a[1], a[2], a[3])
        })
    }
    fn spec(&self) -> Option<Spec> {
        PurchaseSpec::of(&self.0).map(|model| Spec::ExpectedPurchases { model })
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
    fn arguments(&self) -> Vec<String> {
        names(&["x", "t_x", "T", "monetary_value"])
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        row_by_row(x, |a| self.value(a))
    }
    fn spec(&self) -> Option<Spec> {
        PurchaseSpec::of(&self.purchases).map(|purchases| Spec::Clv {
            purchases,
            spend: self.spend.clone(),
            valuation: self.valuation,
            params: self.params,
        })
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{self:?}").as_bytes());
    }
}

impl<M: Model> Clv<M> {
    fn value(&self, a: &[f64]) -> patronage::Result<f64> {
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

#[derive(Debug, Clone, PartialEq)]
struct Churn(LogisticRegression);

impl Score for Churn {
    fn name(&self) -> &str {
        CHURN_PROBABILITY
    }
    fn arguments(&self) -> Vec<String> {
        let k = self.0.coefficients().len();
        match self.0.feature_names() {
            Some(names) if names.len() == k => names.to_vec(),
            _ => (0..k).map(|j| format!("x{j}")).collect(),
        }
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        Ok(Scores::Float(self.0.predict_proba(x)?.to_vec()))
    }
    fn spec(&self) -> Option<Spec> {
        Some(Spec::ChurnProbability {
            model: self.0.clone(),
        })
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{self:?}").as_bytes());
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Cluster(FittedKMeans);

impl Score for Cluster {
    fn name(&self) -> &str {
        CLUSTER
    }
    fn arguments(&self) -> Vec<String> {
        (0..self.0.centroids().ncols())
            .map(|j| format!("x{j}"))
            .collect()
    }
    fn return_type(&self) -> DataType {
        DataType::Int64
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        // Cluster indices are below k, itself at most the number of rows fitted.
        let labels = self.0.predict(x)?;
        Ok(Scores::Int(labels.into_iter().map(|c| c as i64).collect()))
    }
    fn spec(&self) -> Option<Spec> {
        Some(Spec::KmeansCluster {
            model: self.0.clone(),
        })
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{self:?}").as_bytes());
    }
}

#[derive(Debug, Clone, PartialEq)]
struct RfmSegment {
    model: RfmModel,
    segments: SegmentMap,
}

impl Score for RfmSegment {
    fn name(&self) -> &str {
        RFM_SEGMENT
    }
    fn arguments(&self) -> Vec<String> {
        names(&["recency_days", "frequency", "monetary"])
    }
    fn return_type(&self) -> DataType {
        DataType::Utf8
    }
    fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
        let column = |j: usize| x.column(j).to_vec();
        let scores = self
            .model
            .score_values(&column(0), &column(1), &column(2))?;
        let names = self
            .segments
            .assign(&scores)
            .into_iter()
            .map(|i| self.segments.name(i))
            .collect();
        Ok(Scores::Text(names))
    }
    fn spec(&self) -> Option<Spec> {
        Some(Spec::RfmSegment {
            model: self.model.clone(),
            segments: self.segments.clone(),
        })
    }
    fn same(&self, other: &dyn std::any::Any) -> bool {
        other.downcast_ref::<Self>() == Some(self)
    }
    fn hash_params(&self, state: &mut dyn Hasher) {
        state.write(format!("{self:?}").as_bytes());
    }
}

/// `churn_probability(x0, x1, ...)`: the probability of churn of a customer with these
/// features under a fitted logistic churn model ([`Classifier::predict_proba`]), one
/// argument per feature in the model's order (its feature names name the arguments in
/// errors).
///
/// ```
/// use patronage::churn::LogisticRegression;
/// use patronage::model::{Fit, Regularized};
/// use patronage::ndarray::array;
/// use patronage_datafusion::churn_probability_udf;
/// let x = array![[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 0.2], [0.5, 0.9], [2.5, 0.1]];
/// let y = vec![false, true, true, false, false, true];
/// let model = LogisticRegression::params().penalty(0.01).fit((x.view(), &y))?;
/// let udf = churn_probability_udf(&model);
/// assert_eq!(udf.name(), "churn_probability");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn churn_probability_udf(model: &LogisticRegression) -> ScalarUDF {
    ScoreUdf::udf(Churn(model.clone()))
}

/// `kmeans_cluster(x0, x1, ...)`: the nearest centroid (`BIGINT`, from 0) of a fitted k-means
/// model ([`Clusterer::predict`]), one argument per feature, in the space the model was
/// fitted in (scale the features in SQL as they were scaled for the fit). Named
/// `kmeans_cluster` because `CLUSTER` is a keyword of DataFusion's SQL parser.
///
/// ```
/// use patronage::model::Fit;
/// use patronage::ndarray::array;
/// use patronage::segment::KMeans;
/// use patronage_datafusion::cluster_udf;
/// let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
/// let model = KMeans::params(2).seed(1).fit(x.view())?;
/// assert_eq!(cluster_udf(&model).name(), "kmeans_cluster");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn cluster_udf(model: &FittedKMeans) -> ScalarUDF {
    ScoreUdf::udf(Cluster(model.clone()))
}

/// `rfm_segment(recency_days, frequency, monetary)`: the named segment (`VARCHAR`) of a
/// customer's RFM cell under a fitted RFM scorer (its bin edges, [`RfmModel`]) and a
/// segment map ([`SegmentMap::classic`], say), in the units the scorer was fitted on.
///
/// ```
/// use patronage::rfm::{RfmParams, SegmentMap};
/// use patronage_datafusion::rfm_segment_udf;
/// let r = [1.0, 10.0, 30.0, 90.0, 200.0];
/// let f = [9.0, 5.0, 3.0, 2.0, 1.0];
/// let m = [900.0, 400.0, 150.0, 60.0, 20.0];
/// let model = RfmParams::default().fit_values(&r, &f, &m)?;
/// assert_eq!(rfm_segment_udf(&model, &SegmentMap::classic()).name(), "rfm_segment");
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn rfm_segment_udf(model: &RfmModel, segments: &SegmentMap) -> ScalarUDF {
    ScoreUdf::udf(RfmSegment {
        model: model.clone(),
        segments: segments.clone(),
    })
}

/// The wire spec of `udf` when it is one of this crate's scoring functions.
pub(crate) fn spec_of(udf: &ScalarUDF) -> Option<Spec> {
    use patronage::clv::{BetaGeo, BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNbd};
    let inner = udf.inner();
    macro_rules! try_scores {
        ($($score:ty),+ $(,)?) => {
            $(
                if let Some(u) = inner.downcast_ref::<ScoreUdf<$score>>() {
                    return u.score.spec();
                }
            )+
        };
    }
    macro_rules! per_model {
        ($($model:ty),+) => {
            try_scores!($(PAlive<$model>, Expected<$model>, Clv<$model>),+);
        };
    }
    per_model!(BetaGeo, ParetoNbd, ModifiedBetaGeo, BetaGeoBetaBinom);
    try_scores!(Churn, Cluster, RfmSegment);
    None
}

/// The scoring function of a wire spec (the aggregate's spec is not a scalar function).
pub(crate) fn from_spec(spec: Spec) -> Result<ScalarUDF> {
    fn purchases(model: PurchaseSpec, f: impl PurchaseUdf) -> Result<ScalarUDF> {
        match model {
            PurchaseSpec::BetaGeo(m) => f.make(&m),
            PurchaseSpec::ParetoNbd(m) => f.make(&m),
            PurchaseSpec::ModifiedBetaGeo(m) => f.make(&m),
            PurchaseSpec::BetaGeoBetaBinom(m) => f.make(&m),
        }
    }
    /// A function of a purchase model, whatever its type.
    trait PurchaseUdf {
        fn make<M: Model>(self, model: &M) -> Result<ScalarUDF>;
    }
    struct MakePAlive;
    impl PurchaseUdf for MakePAlive {
        fn make<M: Model>(self, model: &M) -> Result<ScalarUDF> {
            Ok(p_alive_udf(model))
        }
    }
    struct MakeExpected;
    impl PurchaseUdf for MakeExpected {
        fn make<M: Model>(self, model: &M) -> Result<ScalarUDF> {
            Ok(expected_purchases_udf(model))
        }
    }
    struct MakeClv(GammaGamma, Valuation, SummaryParams);
    impl PurchaseUdf for MakeClv {
        fn make<M: Model>(self, model: &M) -> Result<ScalarUDF> {
            clv_udf(model, &self.0, self.1, &self.2)
        }
    }
    match spec {
        Spec::PAlive { model } => purchases(model, MakePAlive),
        Spec::ExpectedPurchases { model } => purchases(model, MakeExpected),
        Spec::Clv {
            purchases: model,
            spend,
            valuation,
            params,
        } => purchases(model, MakeClv(spend, valuation, params)),
        Spec::ChurnProbability { model } => Ok(churn_probability_udf(&model)),
        Spec::KmeansCluster { model } => Ok(cluster_udf(&model)),
        Spec::RfmSegment { model, segments } => Ok(rfm_segment_udf(&model, &segments)),
        Spec::CustomerSummary { .. } => Err(DataFusionError::Plan(format!(
            "`{}` is an aggregate, not a scalar function",
            crate::CUSTOMER_SUMMARY
        ))),
    }
}

/// Helper functions of the engine-side fits (feature `session`).
#[cfg(feature = "session")]
mod engine {
    use super::*;

    /// A row's deterministic sampling key (`BIGINT`), for a seeded sample in the engine.
    #[derive(Debug, Clone, PartialEq)]
    struct SampleKey {
        seed: u64,
        columns: usize,
    }

    impl Score for SampleKey {
        fn name(&self) -> &str {
            "patronage_sample_key"
        }
        fn arguments(&self) -> Vec<String> {
            (0..self.columns).map(|j| format!("x{j}")).collect()
        }
        fn return_type(&self) -> DataType {
            DataType::Int64
        }
        fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
            let keys = x
                .rows()
                .into_iter()
                .map(|r| crate::kmeans::sample_key(self.seed, &r.to_vec()))
                .collect();
            Ok(Scores::Int(keys))
        }
        fn same(&self, other: &dyn std::any::Any) -> bool {
            other.downcast_ref::<Self>() == Some(self)
        }
        fn hash_params(&self, state: &mut dyn Hasher) {
            state.write_u64(self.seed);
            state.write_usize(self.columns);
        }
    }

    /// The sampling key of rows of `columns` values under `seed`.
    pub(crate) fn sample_key_udf(seed: u64, columns: usize) -> ScalarUDF {
        ScoreUdf::udf(SampleKey { seed, columns })
    }

    /// A row's squared distance to its nearest centroid (its share of the inertia).
    #[derive(Debug, Clone, PartialEq)]
    struct SquaredDistance(FittedKMeans);

    impl Score for SquaredDistance {
        fn name(&self) -> &str {
            "patronage_kmeans_squared_distance"
        }
        fn arguments(&self) -> Vec<String> {
            (0..self.0.centroids().ncols())
                .map(|j| format!("x{j}"))
                .collect()
        }
        fn score_rows(&self, x: ArrayView2<'_, f64>) -> patronage::Result<Scores<'_>> {
            let distances = self.0.transform(x)?;
            let nearest = distances
                .rows()
                .into_iter()
                .map(|r| {
                    let d = r.iter().fold(f64::INFINITY, |m, &v| m.min(v));
                    d * d
                })
                .collect();
            Ok(Scores::Float(nearest))
        }
        fn same(&self, other: &dyn std::any::Any) -> bool {
            other.downcast_ref::<Self>() == Some(self)
        }
        fn hash_params(&self, state: &mut dyn Hasher) {
            state.write(format!("{self:?}").as_bytes());
        }
    }

    /// Each row's squared distance to the nearest centroid of `model`.
    pub(crate) fn squared_distance_udf(model: &FittedKMeans) -> ScalarUDF {
        ScoreUdf::udf(SquaredDistance(model.clone()))
    }
}

#[cfg(feature = "session")]
pub(crate) use engine::{sample_key_udf, squared_distance_udf};
