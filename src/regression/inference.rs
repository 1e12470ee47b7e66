//! Wald inference shared by the regressions (and the churn model's logistic
//! regression): test statistics, two-sided p-values and confidence intervals from an
//! estimate and its standard error, against Student's t or the standard normal.

use statrs::distribution::{Continuous, ContinuousCDF, Normal, StudentsT};

use crate::error::{Error, Result};

/// The distribution a coefficient's Wald statistic is referred to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reference {
    /// Student's t with these degrees of freedom (least squares, classical errors).
    StudentT(f64),
    /// The standard normal (GLMs, logistic regression, robust errors).
    Normal,
}

impl Reference {
    /// Two-sided p-value of statistic `t`.
    pub(crate) fn p_value(self, t: f64) -> f64 {
        match self {
            Reference::Normal => 2.0 * Normal::standard().cdf(-t.abs()),
            Reference::StudentT(df) => {
                StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| 2.0 * d.cdf(-t.abs()))
            }
        }
    }

    /// The upper `(1 - level) / 2` quantile: intervals are `estimate -+ q * se`.
    pub(crate) fn critical(self, level: f64) -> f64 {
        let upper = 0.5 + 0.5 * level;
        match self {
            Reference::Normal => Normal::standard().inverse_cdf(upper),
            Reference::StudentT(df) => {
                let Ok(d) = StudentsT::new(0.0, 1.0, df) else {
                    return f64::NAN;
                };
                // statrs' inverse goes through the inverse regularized beta; two Newton
                // steps on the CDF bring it to full precision.
                let mut q = d.inverse_cdf(upper);
                for _ in 0..2 {
                    let step = (d.cdf(q) - upper) / d.pdf(q);
                    if step.is_finite() {
                        q -= step;
                    }
                }
                q
            }
        }
    }
}

/// Checks a confidence level: finite and in `(0, 1)`.
pub(crate) fn check_level(level: f64) -> Result<()> {
    if level.is_finite() && level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "level",
            value: level.to_string(),
            reason: "a confidence level is in (0, 1), e.g. 0.95".into(),
        })
    }
}

/// The Wald statistic, its two-sided p-value and the interval at `critical` (from
/// [`Reference::critical`]) of an estimate with standard error `se`; `None` where the
/// standard error is not positive and finite.
pub(crate) fn wald(
    estimate: f64,
    se: f64,
    reference: Reference,
    critical: f64,
) -> Option<(f64, f64, (f64, f64))> {
    if !(se.is_finite() && se > 0.0) {
        return None;
    }
    let t = estimate / se;
    Some((
        t,
        reference.p_value(t),
        (estimate - critical * se, estimate + critical * se),
    ))
}

/// One row of a coefficient table ([`LinearRegression::coefficient_table`],
/// [`Glm::coefficient_table`]): the estimate with its standard error, Wald statistic
/// (t for least squares with classical errors, z otherwise), two-sided p-value and
/// confidence interval, as statsmodels' `summary()` prints them.
///
/// [`LinearRegression::coefficient_table`]: super::LinearRegression::coefficient_table
/// [`Glm::coefficient_table`]: super::Glm::coefficient_table
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Coefficient {
    /// The column's name (`intercept` first when fitted, then the features).
    pub name: String,
    /// The estimate.
    pub estimate: f64,
    /// Its standard error, where defined (unpenalized fits).
    pub standard_error: Option<f64>,
    /// `estimate / standard_error`.
    pub statistic: Option<f64>,
    /// Two-sided p-value of the statistic.
    pub p_value: Option<f64>,
    /// The confidence interval at the table's level.
    pub interval: Option<(f64, f64)>,
}

/// The table of `names` with `estimates` and standard errors `se` (when given).
pub(crate) fn table(
    names: &[String],
    estimates: &[f64],
    se: Option<&[f64]>,
    reference: Reference,
    level: f64,
) -> Result<Vec<Coefficient>> {
    check_level(level)?;
    let critical = reference.critical(level);
    Ok(names
        .iter()
        .zip(estimates)
        .enumerate()
        .map(|(j, (name, &estimate))| {
            let s = se.and_then(|s| s.get(j).copied());
            let w = s.and_then(|s| wald(estimate, s, reference, critical));
            Coefficient {
                name: name.clone(),
                estimate,
                standard_error: s,
                statistic: w.map(|w| w.0),
                p_value: w.map(|w| w.1),
                interval: w.map(|w| w.2),
            }
        })
        .collect())
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_values_match_tables() {
        assert!((Reference::Normal.critical(0.95) - 1.959_963_984_540_054).abs() < 1e-12);
        // t(9) 97.5%: 2.262157162798205 (scipy.stats.t.ppf).
        let q = Reference::StudentT(9.0).critical(0.95);
        assert!((q - 2.262_157_162_798_205).abs() < 1e-12, "{q}");
        assert!(check_level(1.0).is_err() && check_level(f64::NAN).is_err());
    }
}
