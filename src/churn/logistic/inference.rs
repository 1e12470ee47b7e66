//! Inference on a fitted model: odds ratios and the coefficient table (standard
//! errors, z, p-values, 95% intervals).

use super::LogisticRegression;
use crate::error::{Error, Result};

/// `exp(coefficient)` where it is finite.
fn odds_ratio(coefficient: f64) -> Option<f64> {
    Some(coefficient.exp()).filter(|v| v.is_finite())
}

/// One row of [`LogisticRegression::summary`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CoefficientRow {
    /// The feature's name (`x0`, `x1`, ... without names; `intercept` last).
    pub name: String,
    /// The coefficient (log-odds per unit).
    pub coefficient: f64,
    /// `exp(coefficient)`, or `None` where it is beyond f64 (a coefficient above about
    /// 709, as a feature on a tiny scale gives).
    pub odds_ratio: Option<f64>,
    /// Standard error (unpenalized fits).
    pub standard_error: Option<f64>,
    /// z value.
    pub z: Option<f64>,
    /// Two-sided p-value.
    pub p_value: Option<f64>,
    /// 95% confidence interval of the coefficient.
    pub interval_95: Option<(f64, f64)>,
}

impl LogisticRegression {
    /// Odds ratios `exp(coefficient)`, one per feature.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the first coefficient whose exponential is beyond
    /// f64 (above about 709: rescale that feature, or read the coefficient itself).
    pub fn odds_ratios(&self) -> Result<Vec<f64>> {
        self.coefficients
            .iter()
            .enumerate()
            .map(|(row, &c)| {
                odds_ratio(c).ok_or_else(|| Error::InvalidValue {
                    field: "coefficients",
                    row,
                    value: c,
                    reason: "its odds ratio exp(coefficient) is beyond f64; rescale the \
                             feature or read the log-odds coefficient"
                        .into(),
                })
            })
            .collect()
    }

    /// The coefficient table: estimates, odds ratios, and for unpenalized fits standard
    /// errors, z, two-sided p-values and 95% intervals; the intercept last.
    pub fn summary(&self) -> Vec<CoefficientRow> {
        use crate::regression::{Reference, wald};
        // The Wald inference the regression module's GLMs use (z tests).
        let critical = Reference::Normal.critical(0.95);
        let mut rows = Vec::new();
        let mut push = |name: String, coef: f64, se: Option<f64>| {
            let w = se.and_then(|s| wald(coef, s, Reference::Normal, critical));
            rows.push(CoefficientRow {
                name,
                coefficient: coef,
                odds_ratio: odds_ratio(coef),
                standard_error: se,
                z: w.map(|w| w.0),
                p_value: w.map(|w| w.1),
                interval_95: w.map(|w| w.2),
            });
        };
        let se = self.report.standard_errors.as_deref();
        for (j, &c) in self.coefficients.iter().enumerate() {
            push(self.feature_name(j), c, se.and_then(|s| s.get(j).copied()));
        }
        if self.fit_intercept {
            let p = self.coefficients.len();
            push(
                "intercept".into(),
                self.intercept,
                se.and_then(|s| s.get(p).copied()),
            );
        }
        rows
    }
}
