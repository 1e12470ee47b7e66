//! # patronage
//!
//! Typed, in-memory customer analytics: customer summaries, RFM scores and named
//! segments, k-means clusters, churn models, BG/NBD-family lifetime value with
//! Gamma-Gamma spend, revenue forecasts (ETS and ARIMA), market-basket rules, cohort
//! retention and survival curves.
//!
//! Nothing in the crate reads files, opens sockets, prints or keeps global state
//! (beyond the random key of its id hash, drawn once per process; see Limits):
//! callers hand it data, it hands back results or a typed [`Error`] naming the field,
//! row and value at fault. Every random step takes a seed, and parallel work (feature
//! `parallel`, on by default) gives the same result on any number of threads. The
//! distance kernels of [`segment`] run compiled for the CPU's widest vector unit,
//! chosen at run time (feature `simd`, on by default), with bit-identical results.
//!
//! Every model follows one contract ([`model`]): a params builder, [`Fit`](model::Fit)
//! to data, a fitted model that predicts through the trait of its kind and reports one
//! [`FitReport`]; `use patronage::prelude::*;` brings the traits into scope. Summaries
//! know their time unit and horizons are typed ([`Horizon`]), so no call converts units
//! by hand.
//!
//! ## A tour
//!
//! **1. Validate purchases once.** [`TransactionLog::new`] takes rows in any order with
//! customer ids of any `Eq + Hash + Clone` type and rejects bad amounts by row.
//!
//! ```
//! use patronage::{Day, Transaction, TransactionLog};
//! let rows: Vec<Transaction<u64>> = patronage::simulate::Simulation::new(3_000).seed(1).transactions()?;
//! let log = TransactionLog::new(&rows)?;
//! let bad = [Transaction { customer: 1u64, day: Day(0), amount: f64::NAN }];
//! assert!(matches!(TransactionLog::new(&bad), Err(patronage::Error::NonFinite { field: "amount", row: 0, .. })));
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **2. Summarize customers** ([`summary`]): frequency, recency, T and monetary value
//! with the semantics of Python's lifetimes, plus orders and spend. Summaries can be
//! computed by partition and merged exactly ([`PartialSummary`]). Refunds (negative
//! amounts, accepted by a log built with a [`Returns`] policy through [`LogParams`])
//! are read per the policy by every stage; the definitions are in
//! [`summary`](summary#returns-and-refunds).
//!
//! ```
//! # use patronage::{Day, TransactionLog, SummaryParams};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! let weekly = log.summarize(&SummaryParams::new(Day(728)).time_unit_days(7.0))?;
//! assert_eq!(weekly.len(), 3_000);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **3. Segment** with RFM scores and named segments ([`rfm`]), or cluster behavioural
//! features ([`profile`], [`segment`]).
//!
//! ```
//! # use patronage::{Day, TransactionLog, SummaryParams};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! use patronage::prelude::*;
//! use patronage::profile::{Attributes, Feature, Profile};
//! use patronage::rfm::{RfmParams, SegmentMap};
//! use patronage::segment::{scale::Standardizer, KMeans};
//!
//! let summary = log.summarize(&SummaryParams::new(Day(728)))?;
//! let scores = RfmParams::default().score(&summary, Day(729))?;
//! let table = SegmentMap::rf_grid().summarize(&summary, &scores)?;
//! assert_eq!(table.iter().map(|s| s.customers).sum::<usize>(), 3_000);
//!
//! let (x, _names) = Profile::new(&log, &summary)?.features(&Attributes::for_log(&log), &Feature::rfm())?;
//! let z = Standardizer::params().fit(x.view())?.transform(x.view())?;
//! let clusters = KMeans::params(4).seed(7).fit(z.view())?;
//! assert_eq!(clusters.labels().len(), 3_000);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **4. Predict churn** ([`churn`]): labels at a cutoff with features from the past
//! only, a logistic model with inference, and its evaluation.
//!
//! ```
//! # use patronage::{Day, TransactionLog};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! use patronage::prelude::*;
//! use patronage::churn::{label, metrics::roc_auc, LogisticRegression};
//! let data = label(&log, Day(450), patronage::Horizon::days(120.0))?;
//! let model = LogisticRegression::params().penalty(1e-4).fit(&data)?;
//! let risk = model.predict_proba(data.features.view())?.to_vec();
//! assert!(roc_auc(&data.churned, &risk)? > 0.6);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **5. Value customers** ([`clv`]): BG/NBD purchases, Gamma-Gamma spend, discounted CLV.
//!
//! ```
//! # use patronage::{Day, TransactionLog, SummaryParams};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! # let weekly = log.summarize(&SummaryParams::new(Day(728)).time_unit_days(7.0))?;
//! use patronage::prelude::*;
//! use patronage::clv::{value::lifetime_value, BetaGeo, GammaGamma, probability_alive};
//! let purchases = BetaGeo::params().fit(&weekly)?;
//! let spend = GammaGamma::params().fit(&weekly)?;
//! let alive = probability_alive(&purchases, &weekly)?;
//! // 12 months at 1% a month; the summary knows it is in weeks.
//! let clv = lifetime_value(&purchases, &spend, &weekly, 12, 0.01)?;
//! assert!(alive.iter().all(|p| (0.0..=1.0).contains(p)) && clv.iter().all(|v| *v >= 0.0));
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **6. Cross-sell and retention**: association rules ([`basket`]), cohort retention
//! ([`cohort`]) and survival curves ([`survival`]).
//!
//! ```
//! # use patronage::{Day, TransactionLog};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! use patronage::{cohort::retention, Period};
//! use patronage::prelude::*;
//! use patronage::survival::{lifetimes, KaplanMeier};
//! let cohorts = retention(&log, Period::Month)?;
//! assert!(cohorts.average_rates()[0] == 1.0);
//! let (_, durations, events) = lifetimes(&log, Day(728), patronage::Horizon::days(180.0))?;
//! let km = KaplanMeier::params().fit((&durations, &events))?;
//! assert!(km.survival_at(365.0)? < 1.0);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **7. Forecast revenue** ([`forecast`]): a regular series per day, week or month,
//! exponential smoothing and ARIMA chosen by AICc, forecasts with intervals.
//!
//! ```
//! # use patronage::{Day, TransactionLog};
//! # let log = TransactionLog::new(&patronage::simulate::Simulation::new(3_000).seed(1).transactions()?)?;
//! use patronage::prelude::*;
//! use patronage::forecast::{arima::Arima, ets::Ets, series::{revenue, Period}};
//! let weekly = revenue(&log, Period::Week)?.with_season_length(1)?;
//! let ets = Ets::auto().fit(&weekly)?.forecast(8, &[0.8, 0.95])?;
//! let arima = Arima::auto().fit(&weekly)?.forecast(8, &[0.95])?;
//! assert_eq!((ets.mean.len(), arima.intervals[0].upper.len()), (8, 8));
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! **8. Understand what drives behaviour** ([`factors`]): principal components and
//! factor analysis (maximum likelihood or principal axes, varimax or promax) of many
//! correlated variables, with the checks that say whether and how many factors.
//!
//! **9. Channels** ([`channels`]): each customer's channel mix, single- vs
//! multi-channel value and channel migration from purchases that carry a channel; and
//! marketing attribution over customer journeys, by rules (first touch, last touch,
//! linear, time decay, position based) or by the exact Markov-chain removal effect of
//! order 1 to 3.
//!
//! Runnable programs on the bundled CDNOW sample are in `examples/`
//! (`cargo run --release --example quickstart`).
//!
//! ## Limits
//!
//! Arguments that set how much work a call does are bounded, so that a mistaken value
//! (such as `usize::MAX`) is a typed [`Error::InvalidParameter`] naming it rather than
//! an allocation or a loop that takes the caller down. The limits so far:
//!
//! | limit | value | bounds |
//! | --- | --- | --- |
//! | [`forecast::MAX_HORIZON`] | 10,000 periods | `forecast(h, ..)` of every forecaster, `cross_validate`'s horizon |
//! | [`forecast::arima::MAX_ORDER`] | 50 | each of p, q, P, Q, and `Arima::auto`'s largest orders |
//! | [`forecast::arima::MAX_LAG`] | 400 | the lags `p + mP`, `q + mQ`, `d + mD` of a seasonal ARIMA (`Arima::auto` searches without a season beyond it) |
//! | [`forecast::decompose::MAX_PASSES`] | 1,000 | STL's inner and outer passes |
//! | [`forecast::mstl::MAX_SEASONAL_PERIODS`] | 16 | seasonal periods of one MSTL |
//! | [`forecast::mstl::MAX_ITERATE`] | 100 | MSTL's passes over its periods |
//! | [`clv::value::MAX_STEPS`] | 10,000 | months or grid steps of a discounted CLV |
//! | [`clv::diagnostics::MAX_REPEATS`] | 1,000 | buckets of the model fit table |
//! | [`clv::diagnostics::MAX_TRACKING_PERIODS`] | 10,000 | periods of a tracking curve |
//! | [`forecast::series::MAX_PERIODS`] | 1,000,000 | periods a series from a log spans ([`Error::LimitExceeded`]) |
//! | [`cohort::MAX_COHORT_PERIODS`] | 2,000 | periods a cohort table spans ([`Error::LimitExceeded`]) |
//! | [`basket::MAX_ITEMSETS`] | 2,000,000 | frequent itemsets (`frequent_itemsets_up_to` sets another) |
//! | [`simulate::MAX_PURCHASES`] | 100,000,000 | purchases of one simulation (`Simulation::max_purchases` sets another) |
//! | [`simulate::MAX_PURCHASES_PER_CUSTOMER`] | 1,000,000 | purchases of one simulated customer |
//! | [`simulate::MAX_CUSTOMERS`] | 1,000,000,000 | customers of one simulation |
//! | [`simulate::MAX_SERIES`] | 1,000,000 | series, and observations per series, of `monthly_series` |
//! | [`segment::MAX_N_INIT`] | 1,000 | k-means restarts |
//! | [`clv::MAX_OPPORTUNITIES`] | 1,000,000 | opportunities of a BG/BB history, fit or prediction ([`Error::LimitExceeded`]) |
//! | [`factors::MAX_VARIABLES`] | 1,000 | variables of a correlation matrix ([`Error::LimitExceeded`]) |
//! | [`factors::MAX_REPLICATIONS`] | 10,000 | replications of a parallel analysis, which also caps replications x rows x variables at 10^10 ([`Error::LimitExceeded`]) |
//! | [`forecast::arima::MAX_CANDIDATES`] | 500 | models of `Arima::auto`'s exhaustive search (`stepwise(false)`) ([`Error::LimitExceeded`]) |
//! | [`channels::MAX_ORDER`] | 3 | the order of a Markov attribution |
//! | [`channels::MAX_STATES`] | 2,000 | distinct states of a Markov attribution (`Markov::max_states` sets fewer) ([`Error::LimitExceeded`]) |
//! | [`channels::MAX_SOLVE_WORK`] | 2 x 10^10 | floating-point operations of the per-channel solves of a Markov attribution of order 2 or 3 ([`Error::LimitExceeded`]) |
//! | [`channels::MAX_MIGRATION_CHANNELS`] | 1,000 | channels of a channel-migration matrix ([`Error::LimitExceeded`]) |
//!
//! Other sizes follow the data: cluster labels are below the number of rows, and a
//! calibration/holdout table has one row per frequency present. Day differences are
//! exact for any two days ([`Day::days_since`]).
//!
//! Ids cannot be chosen to collide: customer, order and item ids, and the floats of
//! summaries that models cache per distinct value, are hashed with a fast hash
//! (foldhash) keyed with a random key drawn once per process from the operating
//! system. Many ids with one hash would otherwise make building a
//! [`TransactionLog`] or [`basket::Baskets`] quadratic in time (and the log's id table
//! large in memory). Every output is independent of the key: ids are numbered in
//! first-seen order and no result depends on a hash table's order, so results are the
//! same in every run and on any number of threads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod error;
mod hashing;
mod kernels;
pub(crate) mod math;
pub mod model;
pub mod period;
pub mod profile;
pub mod quality;
pub mod regression;
pub mod rfm;
pub mod simulate;
pub mod summary;
pub mod transactions;

mod refunds;
#[cfg(feature = "serde")]
mod serde_float;
mod validate;

pub mod basket;
pub mod campaign;
pub mod channels;
pub mod churn;
pub mod clv;
pub mod cohort;
pub mod factors;
pub mod forecast;
pub mod recommend;
pub mod segment;
pub mod survival;

pub use error::{Error, Result};
pub use model::{FitReport, Optimizer, Parameter};

/// The traits of the model contract ([`model`]), to import at once:
/// `use patronage::prelude::*;`.
pub mod prelude {
    pub use crate::clv::{PurchaseModel, SpendModel};
    pub use crate::forecast::Forecaster;
    pub use crate::model::{
        Classifier, Clusterer, Fit, FittedModel, Optimized, Regularized, Transformer,
    };
    pub use crate::recommend::Recommender;
}
/// The `ndarray` version this crate's matrices and views use, so callers need not pin
/// the same one.
pub use ndarray;
pub use period::{Horizon, Period};
pub use summary::{CalibrationHoldout, CustomerSummary, PartialSummary, SummaryParams};
pub use transactions::{Day, LogParams, Returns, Transaction, TransactionLog};

/// The README's code blocks, compiled and run as doctests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
