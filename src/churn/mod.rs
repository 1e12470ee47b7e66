//! Churn: labels from purchase history ([`label`]), a logistic churn model
//! ([`LogisticRegression`]), and its evaluation ([`metrics`]).
//!
//! ```
//! use patronage::churn::{label, metrics::roc_auc, LogisticRegression};
//! use patronage::prelude::*;
//! use patronage::simulate::Simulation;
//! use patronage::{Day, TransactionLog};
//!
//! let log = TransactionLog::new(&Simulation::new(2_000).seed(1).transactions()?)?;
//! let data = label(&log, Day(400), patronage::Horizon::days(90.0))?;
//! // scikit-learn's C = 1: penalty = 1 / (2 C n).
//! let penalty = 1.0 / (2.0 * data.churned.len() as f64);
//! let model = LogisticRegression::params().penalty(penalty).fit(&data)?;
//! let risk = model.predict_proba(data.features.view())?;
//! // predict_proba returns a fresh contiguous array, so as_slice is Some.
//! assert!(roc_auc(&data.churned, risk.as_slice().unwrap())? > 0.6);
//! # Ok::<(), patronage::Error>(())
//! ```

mod label;
mod logistic;
pub mod metrics;

pub use label::{ChurnData, churn_features, label};
pub use logistic::{
    CoefficientRow, LogisticPass, LogisticPasses, LogisticRegression, LogisticRegressionParams,
    LogisticSums, NEWTON_MAX_FEATURES,
};
