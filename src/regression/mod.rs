//! Regression analysis: what drives spend, satisfaction or visits.
//!
//! - [`LinearRegression`]: least squares by Householder QR (never the normal
//!   equations), weighted least squares and ridge, with statsmodels' OLS summary:
//!   coefficients, standard errors, t tests, p-values and intervals, R^2 and adjusted
//!   R^2, the F test, log-likelihood, AIC / BIC, Durbin-Watson, Jarque-Bera (skew,
//!   kurtosis), the condition number, heteroskedasticity-robust standard errors HC0-HC3
//!   and the variance inflation factor of each feature.
//! - [`Glm`]: generalized linear models by iteratively reweighted least squares for
//!   CRM targets: Poisson and negative binomial (NB2) counts (orders, visits), Gamma
//!   with a log link (spend), binomial with a logit link (shares the churn model's
//!   logistic regression); with z tests, deviance, Pearson chi^2, dispersion and the null
//!   deviance, as statsmodels' `GLM`.
//!
//! - [`one_hot`] and [`interaction`]: categorical features (treatment coding with a
//!   reference level) and interactions, with statsmodels' formula names
//!   (`segment[T.gold]`, `tenure:segment[T.gold]`), gathered with their names in
//!   [`Columns`].
//!
//! The models take the features as an `ArrayView2<f64>` (`n x p`, without an intercept
//! column: the intercept is an option, on by default, and always the first coefficient,
//! named `intercept`) with the response as a slice. Bad input is a typed
//! [`Error`](crate::Error) naming the field and row: non-finite values, lengths that do
//! not match, no more rows than coefficients, and columns that are constant or
//! combinations of others ([`Error::Collinear`](crate::Error::Collinear) names them,
//! never a table of NaN).
//!
//! ```
//! use ndarray::Array2;
//! use patronage::prelude::*;
//! use patronage::regression::{Family, Glm, LinearRegression};
//!
//! // Spend driven by tenure and discount use, on 200 customers.
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (7 + 5 * j)) % 23) as f64 / 4.0);
//! let noise = |i: usize| ((i * 37) % 11) as f64 / 10.0 - 0.5;
//! let spend: Vec<f64> = (0..200).map(|i| 20.0 + 3.0 * x[[i, 0]] - 1.5 * x[[i, 1]] + noise(i)).collect();
//! let ols = LinearRegression::params().feature_names(&["tenure", "discounts"]).fit((x.view(), &spend))?;
//! assert!((ols.coefficients()[1] - 3.0).abs() < 0.05);
//! assert!(ols.statistics().r_squared > 0.95);
//!
//! // Orders counted per customer: a Poisson GLM with a log link.
//! let orders: Vec<f64> = (0..200).map(|i| ((0.2 + 0.2 * x[[i, 0]]).exp() + noise(i)).round().max(0.0)).collect();
//! let poisson = Glm::params(Family::Poisson).fit((x.view(), &orders))?;
//! let table = poisson.summary();
//! assert!(table[1].estimate > 0.1 && table[1].p_value.unwrap() < 1e-6);
//! # Ok::<(), patronage::Error>(())
//! ```

mod categorical;
mod design;
mod glm;

mod inference;
mod ols;
mod qr;

pub use categorical::{Columns, interaction, one_hot};
pub use glm::{Family, Glm, GlmParams, GlmStatistics};
pub use inference::Coefficient;
pub(crate) use inference::{Reference, wald};

pub use ols::{
    Covariance, LinearRegression, LinearRegressionParams, LinearStatistics, RobustStandardErrors,
};

/// The checks of a saved model's coefficients: finite, one name per coefficient, the
/// first named `intercept` when one was fitted.
#[cfg(feature = "serde")]
fn check_saved_coefficients(
    model: &'static str,
    names: &[String],
    coefficients: &[f64],
    intercept: bool,
) -> crate::error::Result<()> {
    crate::validate::same_len("names", coefficients.len(), names.len())?;
    if coefficients.is_empty() {
        return Err(crate::Error::InvalidParameter {
            name: "coefficients",
            value: "[]".into(),
            reason: format!("a saved {model} has at least one coefficient"),
        });
    }
    for (row, &c) in coefficients.iter().enumerate() {
        crate::validate::finite("coefficients", row, c)?;
    }
    if intercept && names[0] != "intercept" {
        return Err(crate::Error::InvalidParameter {
            name: "names",
            value: names[0].clone(),
            reason: format!(
                "a saved {model} with an intercept names its first coefficient intercept"
            ),
        });
    }
    Ok(())
}
