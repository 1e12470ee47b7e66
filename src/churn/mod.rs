//! Churn: labels from purchase history ([`label`]), a logistic churn model
//! ([`LogisticRegression`]), and its evaluation ([`metrics`]).
//!
//! ```
//! use patronage::churn::{label, metrics::roc_auc, LogisticRegression};
//! use patronage::simulate::Simulation;
//! use patronage::{Day, TransactionLog};
//!
//! let log = TransactionLog::new(&Simulation::new(2_000).seed(1).transactions()?)?;
//! let data = label(&log, Day(400), 90)?;
//! let model = LogisticRegression::params()
//!     .penalty(1.0)
//!     .feature_names(&data.feature_names)
//!     .fit(data.features.view(), ndarray::ArrayView1::from(&data.churned))?;
//! let risk = model.predict_proba(data.features.view())?;
//! // predict_proba returns a fresh contiguous array, so as_slice is Some.
//! assert!(roc_auc(&data.churned, risk.as_slice().unwrap())? > 0.6);
//! # Ok::<(), patronage::Error>(())
//! ```

mod label;
mod logistic;
pub mod metrics;

pub use label::{ChurnData, churn_features, label};
pub use logistic::{CoefficientRow, FittedLogistic, LogisticRegression, NEWTON_MAX_FEATURES};
