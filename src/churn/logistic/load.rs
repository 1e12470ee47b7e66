//! Reading a saved [`LogisticRegression`]: the raw fields, then the checks.

use super::LogisticRegression;
use crate::error::{Error, Result};
use crate::model::FitReport;

/// [`LogisticRegression`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
pub(super) struct RawLogistic {
    coefficients: Vec<f64>,
    intercept: f64,
    feature_names: Option<Vec<String>>,
    report: FitReport,
    fit_intercept: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<RawLogistic> for LogisticRegression {
    type Error = Error;

    fn try_from(raw: RawLogistic) -> Result<LogisticRegression> {
        use crate::validate::{
            all_finite as finite, invalid_parameter as invalid, same_len as len,
        };
        let p = raw.coefficients.len();
        finite("coefficients", &raw.coefficients)?;
        finite("intercept", &[raw.intercept])?;
        if !raw.fit_intercept && raw.intercept != 0.0 {
            return Err(invalid(
                "intercept",
                raw.intercept,
                "a model fitted without an intercept has intercept 0",
            ));
        }
        if let Some(names) = &raw.feature_names {
            len("feature_names", p, names.len())?;
        }
        // Only a fit makes a logistic regression: the empty report of a model built
        // from given parameters is not one.
        if raw.report.is_unfitted() {
            return Err(invalid(
                "report.log_likelihood",
                raw.report.log_likelihood,
                "a saved logistic regression carries the report of its fit",
            ));
        }
        let report = raw
            .report
            .loaded("logistic regression", p + usize::from(raw.fit_intercept))?;
        Ok(LogisticRegression {
            coefficients: raw.coefficients,
            intercept: raw.intercept,
            feature_names: raw.feature_names,
            report,
            fit_intercept: raw.fit_intercept,
        })
    }
}
