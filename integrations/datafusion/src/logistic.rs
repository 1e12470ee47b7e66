//! Logistic churn regression where the data lives (feature `session`): the gradient and
//! Hessian as an aggregate in the engine, Newton's steps on the driver.
//!
//! The core crate's fit by passes ([`LogisticPasses`](patronage::churn::LogisticPasses)) runs the in-memory fit's Newton
//! iteration one pass at a time. Each pass here is one aggregate query,
//! `SELECT logistic_sums(label, x0, x1, ...) FROM table`, whose accumulator adds the
//! rows of every batch with [`LogisticPass::add_rows`] and merges partitions' partial
//! sums ([`LogisticSums::merge`]); the driver feeds the total back and asks for the
//! next pass. A fit takes one pass to count the classes, then about one pass per
//! Newton iteration (a few more when a step is halved): typically 6 to 10 scans.
//!
//! The optimum is the in-memory fit's ([`LogisticRegressionParams`] on the same rows)
//! up to the order of floating-point sums: within 1e-8 in the tests, over 8 partitions,
//! with the same standard errors and log-likelihood.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::prelude::{SessionContext, cast, ident, lit};
use datafusion_common::{DataFusionError, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::utils::format_state_name;
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use patronage::churn::{LogisticPass, LogisticRegression, LogisticRegressionParams, LogisticSums};

/// The aggregate's name in plans.
const LOGISTIC_SUMS: &str = "patronage_logistic_sums";

/// Fits a logistic regression of the BOOLEAN column `label` (`true` = churned) on the
/// numeric `features` of `table`, with Newton's steps on this side and each pass over
/// the rows an aggregate query in the engine (see the [module docs](self)). The
/// `params` are the core crate's (penalty, intercept, balanced class weights, `tol`,
/// `max_iter`, feature names; sample weights are not supported here).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use datafusion::arrow::array::{BooleanArray, Float64Array, RecordBatch};
/// use datafusion::datasource::MemTable;
/// use datafusion::prelude::SessionContext;
/// use patronage::churn::LogisticRegression;
///
/// let days: Vec<f64> = (0..400).map(|i| (i % 40) as f64).collect();
/// // Churn odds rising with the days since the last order, with noise.
/// let churned: Vec<bool> = (0..400)
///     .map(|i| ((i * 7919) % 97) as f64 / 97.0 < 0.1 + 0.02 * (i % 40) as f64)
///     .collect();
/// let batch = RecordBatch::try_from_iter([
///     ("days_since_last", Arc::new(Float64Array::from(days)) as _),
///     ("churned", Arc::new(BooleanArray::from(churned)) as _),
/// ])?;
/// let ctx = SessionContext::new();
/// ctx.register_table("customers", Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?))?;
/// let model = patronage_datafusion::logistic::fit_logistic(
///     &ctx, "customers", "churned", &["days_since_last"], &LogisticRegression::params(),
/// ).await?;
/// assert!(model.coefficients()[0] > 0.0); // churn risk rises with days since the last order
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// A planning error for no features or a `label` column that is not BOOLEAN; the
/// engine's errors (a missing table or column, a non-numeric feature); execution errors
/// for NULL labels or features and non-finite features (naming the column and the
/// batch row), and the core crate's fit errors (one class only, separation without a
/// penalty, no convergence).
pub async fn fit_logistic(
    ctx: &SessionContext,
    table: &str,
    label: &str,
    features: &[&str],
    params: &LogisticRegressionParams,
) -> Result<LogisticRegression> {
    if features.is_empty() {
        return Err(DataFusionError::Plan(
            "fit_logistic: name at least one feature column".into(),
        ));
    }
    let fail = |e: patronage::Error| DataFusionError::Execution(format!("fit_logistic: {e}"));
    let rows = ctx.table(table).await?;
    let label_type = rows
        .schema()
        .field_with_unqualified_name(label)?
        .data_type()
        .clone();
    if label_type != DataType::Boolean {
        return Err(DataFusionError::Plan(format!(
            "fit_logistic: the label column {label} must be BOOLEAN, got {label_type}"
        )));
    }
    let counts = rows
        .clone()
        .aggregate(
            vec![],
            vec![
                count(lit(1)),
                count(ident(label)),
                sum(cast(ident(label), DataType::Int64)),
            ],
        )?
        .collect()
        .await?;
    let first = |c: usize| -> i64 {
        counts
            .iter()
            .find(|b| b.num_rows() > 0)
            .and_then(|b| b.column(c).as_primitive_opt::<Int64Type>())
            .map_or(0, |a| if a.is_null(0) { 0 } else { a.value(0) })
    };
    let (n, labelled, positives) = (first(0), first(1), first(2));
    if labelled != n {
        return Err(DataFusionError::Execution(format!(
            "fit_logistic: column {label} has {} NULL labels",
            n - labelled
        )));
    }
    let mut fit = params
        .fit_by_passes(features.len(), n.max(0) as u64, positives.max(0) as u64)
        .map_err(fail)?;
    let mut args = vec![ident(label)];
    args.extend(features.iter().map(|f| ident(*f)));
    let names: Vec<String> = features.iter().map(|f| f.to_string()).collect();
    while let Some(pass) = fit.next_pass() {
        let udaf = AggregateUDF::from(SumsUdaf {
            pass: pass.clone(),
            label: label.to_string(),
            features: names.clone(),
            signature: Signature::user_defined(Volatility::Immutable),
        });
        let batches = rows
            .clone()
            .aggregate(vec![], vec![udaf.call(args.clone())])?
            .collect()
            .await?;
        let values = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .and_then(|b| b.column(0).as_list_opt::<i32>())
            .filter(|l| !l.is_null(0))
            .map(|l| l.value(0).as_primitive::<Float64Type>().values().to_vec())
            .unwrap_or_else(|| pass.sums().values().to_vec());
        fit.supply(LogisticSums::from_values(&pass, values).map_err(fail)?)
            .map_err(fail)?;
    }
    fit.finish().map_err(fail)
}

/// The aggregate of one pass: sums of the log-loss, gradient and Hessian at the pass's
/// coefficients, as a list of DOUBLEs.
#[derive(Debug, Clone)]
struct SumsUdaf {
    pass: LogisticPass,
    label: String,
    features: Vec<String>,
    signature: Signature,
}

impl PartialEq for SumsUdaf {
    fn eq(&self, other: &Self) -> bool {
        self.pass == other.pass && self.label == other.label && self.features == other.features
    }
}

impl Eq for SumsUdaf {}

impl Hash for SumsUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for c in self.pass.coefficients() {
            c.to_bits().hash(state);
        }
        self.pass.hessian().hash(state);
        self.label.hash(state);
        self.features.hash(state);
    }
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Float64, true)))
}

impl AggregateUDFImpl for SumsUdaf {
    fn name(&self) -> &str {
        LOGISTIC_SUMS
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != self.features.len() + 1 {
            return Err(DataFusionError::Plan(format!(
                "{LOGISTIC_SUMS} takes the label and {} features, got {} arguments",
                self.features.len(),
                arg_types.len()
            )));
        }
        if arg_types[0] != DataType::Boolean {
            return Err(DataFusionError::Plan(format!(
                "fit_logistic: the label column {} must be BOOLEAN, got {}",
                self.label, arg_types[0]
            )));
        }
        let mut types = vec![DataType::Boolean];
        for (t, name) in arg_types[1..].iter().zip(&self.features) {
            if !t.is_numeric() {
                return Err(DataFusionError::Plan(format!(
                    "fit_logistic: the feature column {name} must be numeric, got {t}"
                )));
            }
            types.push(DataType::Float64);
        }
        Ok(types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_type())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(SumsAccumulator {
            sums: self.pass.sums(),
            udaf: self.clone(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "sums"),
            list_type(),
            true,
        ))])
    }
}

#[derive(Debug)]
struct SumsAccumulator {
    udaf: SumsUdaf,
    sums: LogisticSums,
}

impl SumsAccumulator {
    fn list(&self) -> ScalarValue {
        let values = Float64Array::from(self.sums.values().to_vec());
        ScalarValue::List(Arc::new(
            ListArray::from_iter_primitive::<Float64Type, _, _>([Some(
                values.iter().collect::<Vec<_>>(),
            )]),
        ))
    }
}

impl Accumulator for SumsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let udaf = &self.udaf;
        let labels = values[0].as_boolean();
        if let Some(row) = (0..labels.len()).find(|&i| labels.is_null(i)) {
            return Err(DataFusionError::Execution(format!(
                "fit_logistic: column {} is NULL at batch row {row}",
                udaf.label
            )));
        }
        let columns: Vec<&Float64Array> = values[1..]
            .iter()
            .map(|v| v.as_primitive::<Float64Type>())
            .collect();
        for (c, name) in columns.iter().zip(&udaf.features) {
            if let Some(row) = (0..c.len()).find(|&i| c.is_null(i)) {
                return Err(DataFusionError::Execution(format!(
                    "fit_logistic: column {name} is NULL at batch row {row}"
                )));
            }
        }
        let (n, p) = (labels.len(), columns.len());
        let mut x = Vec::with_capacity(n * p);
        for i in 0..n {
            x.extend(columns.iter().map(|c| c.value(i)));
        }
        let y: Vec<bool> = (0..n).map(|i| labels.value(i)).collect();
        udaf.pass.add_rows(&mut self.sums, &x, &y).map_err(|e| {
            // The row is the batch's; the column is the first bad value's in that row.
            let column = match &e {
                patronage::Error::NonFinite { row, .. }
                | patronage::Error::InvalidValue { row, .. } => columns
                    .iter()
                    .position(|c| {
                        let v = c.value(*row);
                        !v.is_finite() || v.abs() > 1e100
                    })
                    .map_or("?", |j| udaf.features[j].as_str()),
                _ => "?",
            };
            DataFusionError::Execution(format!("fit_logistic: column {column}: {e} (of the batch)"))
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.list())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + 8 * self.sums.values().len()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.list()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for i in 0..lists.len() {
            if lists.is_null(i) {
                continue;
            }
            let values = lists
                .value(i)
                .as_primitive::<Float64Type>()
                .values()
                .to_vec();
            let part = LogisticSums::from_values(&self.udaf.pass, values)
                .map_err(|e| DataFusionError::Internal(format!("{LOGISTIC_SUMS} state: {e}")))?;
            self.sums
                .merge(&part)
                .map_err(|e| DataFusionError::Internal(format!("{LOGISTIC_SUMS} state: {e}")))?;
        }
        Ok(())
    }
}
