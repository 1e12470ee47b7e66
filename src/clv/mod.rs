//! Customer lifetime value: the BG/NBD, MBG/NBD and Pareto/NBD purchase models
//! ([`BetaGeo`], [`ModifiedBetaGeo`], [`ParetoNbd`]), BG/BB for discrete-time data ([`BetaGeoBetaBinom`]),
//! Gamma-Gamma spend ([`GammaGamma`]), discounted CLV ([`value`]) and the papers'
//! diagnostic tables ([`diagnostics`]); for contractual settings (subscriptions, where
//! churn is observed), the shifted-beta-geometric model of retention with discounted
//! expected residual lifetime and contractual CLV ([`ShiftedBetaGeometric`], fitted to
//! [`RenewalData`]).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::clv::{value::lifetime_value, BetaGeo, GammaGamma};
//! use patronage::simulate::Simulation;
//!
//! let summary = Simulation::new(5_000).seed(3).summary_continuous()?; // in weeks
//! let purchases = BetaGeo::params().fit(&summary)?;
//! let spend = GammaGamma::params().fit(&summary)?;
//! let p_alive = purchases.probability_alive(2.0, 30.0, 52.0)?;
//! assert!((0.0..=1.0).contains(&p_alive));
//! // 12 months at 1% a month: months are converted to the summary's weeks.
//! let clv = lifetime_value(&purchases, &spend, &summary, 12, 0.01)?;
//! assert_eq!(clv.len(), summary.len());
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::Result;

/// A probabilistic model of repeat purchases, fitted to (frequency, recency, T) summaries.
///
/// Implemented by [`BetaGeo`], [`ModifiedBetaGeo`], [`ParetoNbd`] and
/// [`BetaGeoBetaBinom`] (discrete time: frequency, recency, T and horizons count
/// opportunities); [`value`] combines any implementation with a [`SpendModel`] into
/// discounted customer lifetime value, [`diagnostics`] checks its fit. Times of these
/// methods are in the unit the model was fitted in (the summary's
/// [time unit](crate::CustomerSummary::time_unit_days)); the functions taking a summary
/// take typed [`Horizon`](crate::Horizon)s.
///
/// Every method checks its arguments as a summary's rows are checked (frequency,
/// recency and T finite and `>= 0`, frequency whole, recency `<= T` and `> 0` when
/// frequency is; BG/BB: whole counts) and the horizon `t` (finite, `>= 0`), and returns
/// an [`Error`] naming the bad one; the vectorized [`expected_purchases`] and [`probability_alive`] take a
/// [`CustomerSummary`], whose rows were checked when it was built.
///
/// The trait is sealed (the formulas behind it are the crate's): it is implemented by
/// the crate's purchase models only.
///
/// [`Error`]: crate::Error
/// [`CustomerSummary`]: crate::summary::CustomerSummary
pub trait PurchaseModel: formulas::Formulas {
    /// Expected number of repeat purchases in `(T, T + t]` for a customer with the
    /// given frequency, recency and age `T`: P(alive) times the expectation for a
    /// customer known to be alive.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or
    /// non-finite `t`; for the history, the errors
    /// [`CustomerSummary::from_columns`](crate::summary::CustomerSummary::from_columns)
    /// returns for a bad row (here row 0).
    fn conditional_expected_purchases(
        &self,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        self.check_horizon(t)?;
        self.check_history(0, frequency, recency, age)?;
        Ok(self.if_alive(t, frequency, age) * self.alive(frequency, recency, age))
    }

    /// Expected number of repeat purchases in `(T, T + t]` for a customer with
    /// frequency `x` and age `T` who is alive at `T`.
    ///
    /// # Errors
    /// As [`conditional_expected_purchases`](Self::conditional_expected_purchases).
    fn expected_purchases_if_alive(&self, t: f64, frequency: f64, age: f64) -> Result<f64> {
        self.check_horizon(t)?;
        self.check_frequency_and_age(frequency, age)?;
        Ok(self.if_alive(t, frequency, age))
    }

    /// Probability that a customer with the given history is still alive at `T`.
    ///
    /// # Errors
    /// The history's errors, as [`conditional_expected_purchases`](Self::conditional_expected_purchases).
    fn probability_alive(&self, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        self.check_history(0, frequency, recency, age)?;
        Ok(self.alive(frequency, recency, age))
    }

    /// Probability of at least one repeat purchase in `(T, T + t]` for a customer with
    /// the given history: P(alive) times the probability that a customer alive at `T`
    /// buys within `t`. As a function of `t` it is the distribution function of the time
    /// to the next purchase (defective: it tends to the probability of ever buying
    /// again, below 1).
    ///
    /// For BG/NBD and MBG/NBD a customer alive at `T` buys next after a Lomax time,
    /// `P = 1 - ((α + T) / (α + T + t))^(r + x)` ([`BetaGeo::next_purchase_quantile_if_alive`]);
    /// for Pareto/NBD, `1 - P(X(T, T + t] = 0 | alive)` from the posterior rates (the
    /// customer may die before buying). Checked by simulation.
    ///
    /// ```
    /// use patronage::clv::{BetaGeo, PurchaseModel};
    /// let m = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426)?;
    /// let soon = m.probability_of_purchase(4.0, 2.0, 30.43, 38.86)?;
    /// let later = m.probability_of_purchase(52.0, 2.0, 30.43, 38.86)?;
    /// assert!(0.0 < soon && soon < later && later < m.probability_alive(2.0, 30.43, 38.86)?);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`conditional_expected_purchases`](Self::conditional_expected_purchases);
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming `model` for
    /// BG/BB, which has no closed form here.
    fn probability_of_purchase(
        &self,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        self.check_horizon(t)?;
        self.check_history(0, frequency, recency, age)?;
        let buy = self
            .purchase_if_alive(t, frequency, age)
            .ok_or_else(next_purchase_unavailable)?;
        Ok(buy * self.alive(frequency, recency, age))
    }

    /// Probability that a customer alive at `T` with `frequency` repeat purchases buys
    /// within `t` (see [`probability_of_purchase`](Self::probability_of_purchase)).
    ///
    /// # Errors
    /// As [`probability_of_purchase`](Self::probability_of_purchase).
    fn probability_of_purchase_if_alive(&self, t: f64, frequency: f64, age: f64) -> Result<f64> {
        self.check_horizon(t)?;
        self.check_frequency_and_age(frequency, age)?;
        self.purchase_if_alive(t, frequency, age)
            .ok_or_else(next_purchase_unavailable)
    }

    /// Expected number of purchases in `(0, t]` for a customer who has just made a
    /// first purchase at time 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or
    /// non-finite `t`.
    fn expected_purchases_new_customer(&self, t: f64) -> Result<f64> {
        self.check_horizon(t)?;
        Ok(self.new_customer(t))
    }

    /// The total log-likelihood of a summary under this model's parameters: the
    /// quantity a fit maximizes (without its penalty), so at a fit's parameters it is
    /// the report's log-likelihood. For comparing fits, or published parameters, on
    /// the same data.
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::clv::BetaGeo;
    /// let s = patronage::simulate::Simulation::new(2_000).seed(7).summary_continuous()?;
    /// let fitted = BetaGeo::params().fit(&s)?;
    /// assert!((fitted.log_likelihood(&s)? - fitted.report().log_likelihood).abs() < 1e-9);
    /// let other = BetaGeo::from_params(0.5, 8.0, 0.5, 2.0)?;
    /// assert!(other.log_likelihood(&s)? < fitted.log_likelihood(&s)?);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// For BG/BB, a row that is not a discrete history (see
    /// [`BetaGeoBetaBinomParams`]); the continuous models' summaries were checked when
    /// they were built.
    fn log_likelihood(&self, summary: &crate::summary::CustomerSummary) -> Result<f64> {
        self.check_summary(summary)?;
        Ok(self.ln_likelihood(summary.frequency(), summary.recency(), summary.age()))
    }

    /// The log-likelihood of one customer's history (for checks against published
    /// values).
    ///
    /// # Errors
    /// The history's errors, as [`probability_alive`](Self::probability_alive).
    fn customer_log_likelihood(&self, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        self.check_history(0, frequency, recency, age)?;
        Ok(self.ln_likelihood(&[frequency], &[recency], &[age]))
    }
}

/// A model of the average spend per purchase, fitted to (frequency, monetary value)
/// summaries: implemented by [`GammaGamma`]; [`value`] combines it with a
/// [`PurchaseModel`] into discounted lifetime value.
pub trait SpendModel {
    /// Expected average spend per purchase of a customer with `frequency` repeat
    /// purchases of average value `monetary_value` (the population mean for
    /// frequency 0).
    ///
    /// # Errors
    /// A negative, fractional or non-finite frequency, a negative or non-finite
    /// monetary value, or an expectation that is infinite under the model.
    fn conditional_expected_spend(&self, frequency: f64, monetary_value: f64) -> Result<f64>;

    /// [`conditional_expected_spend`](Self::conditional_expected_spend) for every
    /// customer of a summary.
    ///
    /// # Errors
    /// As [`conditional_expected_spend`](Self::conditional_expected_spend), naming the
    /// first customer's row whose expectation does not exist.
    fn expected_spend(&self, summary: &crate::summary::CustomerSummary) -> Result<Vec<f64>> {
        let (x, m) = (summary.frequency(), summary.monetary_value());
        (0..summary.len())
            .map(|row| {
                self.conditional_expected_spend(x[row], m[row])
                    .map_err(|e| e.at_row(row))
            })
            .collect()
    }
}

/// The formulas behind [`PurchaseModel`], on arguments already checked.
mod formulas {
    /// Implemented by each purchase model; public in a private module, so the trait
    /// that requires it is sealed.
    pub trait Formulas {
        /// E[X(T, T + t] | alive at T, x, T].
        fn if_alive(&self, t: f64, frequency: f64, age: f64) -> f64;
        /// P(alive at T | x, t_x, T).
        fn alive(&self, frequency: f64, recency: f64, age: f64) -> f64;
        /// E[X(t)] for a new customer.
        fn new_customer(&self, t: f64) -> f64;
        /// P(a purchase in (T, T + t] | alive at T, x, T), `None` where the model has no
        /// closed form here.
        fn purchase_if_alive(&self, _t: f64, _frequency: f64, _age: f64) -> Option<f64> {
            None
        }
        /// The total log-likelihood of checked (frequency, recency, T) columns.
        fn ln_likelihood(&self, frequency: &[f64], recency: &[f64], age: &[f64]) -> f64;
        /// The model with other parameter values (in `parameter_values` order).
        fn reparameterized(&self, values: &[f64]) -> Self
        where
            Self: Sized;

        /// One simulated (frequency, recency) of a customer of age `age` under the
        /// model, for the parametric bootstrap; `None` where the model has no sampler
        /// here. At most `max_purchases` repeat purchases are drawn (then `None`).
        fn sample_history(
            &self,
            _age: f64,
            _max_purchases: u32,
            _rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
        ) -> Option<(f64, f64)> {
            None
        }

        /// The model fitted with default options to a summary (for the bootstrap).
        fn refit(&self, summary: &crate::summary::CustomerSummary) -> crate::Result<Self>
        where
            Self: Sized;

        /// Checks one history as the model needs it (continuous time by default).
        fn check_history(&self, row: usize, x: f64, tx: f64, age: f64) -> crate::Result<()> {
            crate::validate::history(row, x, tx, age)
        }

        /// Checks a (frequency, T) pair of a customer alive at T.
        fn check_frequency_and_age(&self, x: f64, age: f64) -> crate::Result<()> {
            crate::validate::frequency_and_age(0, x, age)
        }

        /// Checks a prediction horizon (finite and `>= 0` by default).
        fn check_horizon(&self, t: f64) -> crate::Result<()> {
            crate::validate::horizon("t", t)
        }

        /// Checks a summary's rows beyond what building it checked (nothing by
        /// default: a summary's rows are continuous-time histories).
        fn check_summary(&self, _summary: &crate::summary::CustomerSummary) -> crate::Result<()> {
            Ok(())
        }
    }
}
pub(crate) use formulas::Formulas;

/// The largest number of opportunities (periods) a BG/BB history or prediction may
/// span: BG/BB sums over the opportunities after a customer's last transaction, so
/// this bounds the work per customer (about a millisecond at the limit). It also
/// bounds the periods of sBG data ([`RenewalData`]), curves and projections
/// ([`ShiftedBetaGeometric`]), whose memory grows with them.
pub const MAX_OPPORTUNITIES: u32 = 1_000_000;

/// `f(v)` for a formula with a removable `0 / 0` at `v = 1` (such as `δ / (γ - 1)`
/// times a bracket that vanishes at `γ = 1`): within `1e-5` of 1 it is the straight
/// line through `f(1 - 1e-5)` and `f(1 + 1e-5)`; elsewhere `f(v)` itself. The gap
/// balances the line's error (`~1e-10` relative for these smooth functions) against
/// the cancellation in the bracket close to 1 (log-gamma differences of size `|v - 1|`
/// carry absolute errors near `1e-15`).
pub(crate) fn across_unit_pole(v: f64, f: impl Fn(f64) -> f64) -> f64 {
    const GAP: f64 = 1e-5;
    if (v - 1.0).abs() >= GAP {
        return f(v);
    }
    let (lo, hi) = (f(1.0 - GAP), f(1.0 + GAP));
    lo + (hi - lo) * (v - (1.0 - GAP)) / (2.0 * GAP)
}

mod bgbb;
mod bgnbd;
pub mod covariates;
pub mod diagnostics;
mod fit;
mod gamma_gamma;
pub mod intervals;
mod mbgnbd;
mod pareto_nbd;
mod sbg;
pub mod value;

pub use bgbb::{BetaGeoBetaBinom, BetaGeoBetaBinomParams};
pub use bgnbd::{BetaGeo, BetaGeoParams};
pub use covariates::{CovariateData, CovariateModel, Covariates};
pub use gamma_gamma::{GammaGamma, GammaGammaParams, SpendRows};
pub use mbgnbd::{ModifiedBetaGeo, ModifiedBetaGeoParams};
pub use pareto_nbd::{ParetoNbd, ParetoNbdParams};
pub use sbg::{RenewalData, ShiftedBetaGeometric, ShiftedBetaGeometricParams};

/// Runs `f(row)` for every row, in parallel with the `parallel` feature (each row on
/// its own, so the result does not depend on threads).
fn per_customer(n: usize, f: impl Fn(usize) -> f64 + Sync + Send) -> Vec<f64> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().with_min_len(4096).map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..n).map(f).collect()
    }
}

/// Conditional expected purchases within `horizon` after T for every customer of a
/// summary (vectorized [`PurchaseModel::conditional_expected_purchases`], the horizon
/// converted to the summary's time unit).
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a negative or
/// non-finite horizon; for BG/BB, a summary or horizon that does not count whole
/// opportunities.
///
/// ```
/// use patronage::clv::{expected_purchases, BetaGeo};
/// use patronage::Horizon;
/// let s = patronage::simulate::Simulation::new(100).summary_continuous()?;
/// let e = expected_purchases(&BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?, &s, Horizon::years(1.0))?;
/// assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0));
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn expected_purchases<M: PurchaseModel + Sync>(
    model: &M,
    summary: &crate::summary::CustomerSummary,
    horizon: crate::Horizon,
) -> crate::Result<Vec<f64>> {
    let t = summary.units("horizon", horizon)?;
    model.check_horizon(t)?;
    model.check_summary(summary)?;
    let (x, tx, age) = (summary.frequency(), summary.recency(), summary.age());
    Ok(per_customer_by_history(
        summary,
        |i| model.if_alive(t, x[i], age[i]),
        |i, alive| alive * model.alive(x[i], tx[i], age[i]),
    ))
}

/// `combine(i, shared(i))` for every customer, where `shared(i)` depends on the
/// customer's (frequency, T) only and is computed once per distinct pair in each block
/// of customers. Customers share few distinct pairs (T takes one value per birth day at
/// most), so this saves most of the expensive evaluations. There is one block per
/// thread: every value is a pure function of its row, so the split changes the work,
/// never the result.
pub(crate) fn per_customer_by_history(
    summary: &crate::summary::CustomerSummary,
    shared: impl Fn(usize) -> f64 + Sync,
    combine: impl Fn(usize, f64) -> f64 + Sync,
) -> Vec<f64> {
    let (x, age) = (summary.frequency(), summary.age());
    let block = |lo: usize, hi: usize| -> Vec<f64> {
        // Keyed: the floats are caller data (and integer-valued floats, whose low bits
        // are all zero, would share one bucket under an unkeyed multiply-rotate hash).
        let mut cache: crate::hashing::KeyedMap<(u64, u64), f64> =
            crate::hashing::KeyedMap::with_capacity_and_hasher(1024, Default::default());
        (lo..hi)
            .map(|i| {
                let value = *cache
                    .entry((x[i].to_bits(), age[i].to_bits()))
                    .or_insert_with(|| shared(i));
                combine(i, value)
            })
            .collect()
    };
    let n = summary.len();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads().max(1);
        let size = n.div_ceil(threads).max(4096);
        let parts: Vec<Vec<f64>> = (0..n.div_ceil(size))
            .into_par_iter()
            .map(|k| block(k * size, ((k + 1) * size).min(n)))
            .collect();
        parts.concat()
    }
    #[cfg(not(feature = "parallel"))]
    {
        block(0, n)
    }
}

fn next_purchase_unavailable() -> crate::Error {
    crate::validate::invalid_parameter(
        "model",
        "BG/BB",
        "next-purchase probabilities are available for BG/NBD, MBG/NBD and Pareto/NBD",
    )
}

/// Probability of at least one repeat purchase within `horizon` after T for every
/// customer of a summary (vectorized [`PurchaseModel::probability_of_purchase`]).
///
/// # Errors
/// A negative or non-finite horizon; BG/BB (no closed form here).
///
/// ```
/// use patronage::clv::{purchase_probability, BetaGeo};
/// use patronage::Horizon;
/// let s = patronage::simulate::Simulation::new(100).summary_continuous()?;
/// let p = purchase_probability(&BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)?, &s, Horizon::days(90.0))?;
/// assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn purchase_probability<M: PurchaseModel + Sync>(
    model: &M,
    summary: &crate::summary::CustomerSummary,
    horizon: crate::Horizon,
) -> crate::Result<Vec<f64>> {
    let t = summary.units("horizon", horizon)?;
    model.check_horizon(t)?;
    model.check_summary(summary)?;
    let (x, tx, age) = (summary.frequency(), summary.recency(), summary.age());
    if summary.is_empty() {
        return Ok(Vec::new());
    }
    model
        .purchase_if_alive(t, x[0], age[0])
        .ok_or_else(next_purchase_unavailable)?;
    Ok(per_customer_by_history(
        summary,
        |i| model.purchase_if_alive(t, x[i], age[i]).unwrap_or(f64::NAN),
        |i, buy| buy * model.alive(x[i], tx[i], age[i]),
    ))
}

/// P(alive) for every customer of a summary (vectorized [`PurchaseModel::probability_alive`]).
///
/// # Errors
/// For BG/BB, a summary that does not count whole opportunities.
pub fn probability_alive<M: PurchaseModel + Sync>(
    model: &M,
    summary: &crate::summary::CustomerSummary,
) -> crate::Result<Vec<f64>> {
    model.check_summary(summary)?;
    let (x, tx, age) = (summary.frequency(), summary.recency(), summary.age());
    Ok(per_customer(summary.len(), |i| {
        model.alive(x[i], tx[i], age[i])
    }))
}
