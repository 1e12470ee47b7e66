//! # patronage
//!
//! Typed, in-memory customer analytics: customer summaries, RFM scores and segments,
//! k-means clusters, churn models, BG/NBD-family lifetime value, revenue forecasts,
//! market-basket rules, cohort retention and survival curves.
//!
//! Nothing in the crate reads files, opens sockets, prints or keeps global state:
//! callers hand it data, it hands back results or a typed [`Error`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod math;
pub mod profile;
pub mod quality;
pub mod rfm;
pub mod simulate;
pub mod summary;
pub mod transactions;

pub mod basket;
pub mod churn;
pub mod clv;
pub mod cohort;
pub mod forecast;
pub mod segment;
pub mod survival;

pub use error::{Error, Result};
pub use summary::{CalibrationHoldout, CustomerSummary, PartialSummary, SummaryParams};
pub use transactions::{Day, Transaction, TransactionLog};

/// The README's code blocks, compiled and run as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
