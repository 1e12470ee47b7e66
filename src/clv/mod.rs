//! Customer lifetime value: the BG/NBD, MBG/NBD and Pareto/NBD purchase models
//! ([`BetaGeo`], [`ModifiedBetaGeo`], [`ParetoNbd`]), BG/BB for discrete-time data ([`BetaGeoBetaBinom`]),
//! Gamma-Gamma spend ([`GammaGamma`]), discounted CLV ([`value`]) and the papers'
//! diagnostic tables ([`diagnostics`]).
//!
//! ```
//! use patronage::clv::{value::lifetime_value, BetaGeo, GammaGamma, PurchaseModel};
//! use patronage::simulate::Simulation;
//!
//! let summary = Simulation::new(5_000).seed(3).summary_continuous()?;
//! let purchases = BetaGeo::params().fit(&summary)?;
//! let spend = GammaGamma::params().fit(&summary)?;
//! let p_alive = purchases.probability_alive(2.0, 30.0, 52.0);
//! assert!((0.0..=1.0).contains(&p_alive));
//! let clv = lifetime_value(&purchases, &spend, &summary, 12, 0.01, 4.345)?;
//! assert_eq!(clv.len(), summary.len());
//! # Ok::<(), patronage::Error>(())
//! ```

/// A probabilistic model of repeat purchases, fitted to (frequency, recency, T) summaries.
///
/// Implemented by [`BetaGeo`], [`ModifiedBetaGeo`] and [`ParetoNbd`]; [`value`] combines any implementation with a spend model
/// into discounted customer lifetime value. Times are in
/// the unit the model was fitted in (the summary's time unit).
pub trait PurchaseModel {
    /// Expected number of repeat purchases in `(T, T + t]` for a customer with the
    /// given frequency, recency and age `T`: P(alive) times the expectation for a
    /// customer known to be alive.
    fn conditional_expected_purchases(
        &self,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> f64 {
        self.expected_purchases_if_alive(t, frequency, age)
            * self.probability_alive(frequency, recency, age)
    }

    /// Expected number of repeat purchases in `(T, T + t]` for a customer with
    /// frequency `x` and age `T` who is alive at `T`. In the BG/NBD family this does
    /// not depend on recency, which lets the vectorized [`expected_purchases`] compute
    /// it once per distinct `(x, T)`.
    fn expected_purchases_if_alive(&self, t: f64, frequency: f64, age: f64) -> f64;

    /// Probability that a customer with the given history is still alive at `T`.
    fn probability_alive(&self, frequency: f64, recency: f64, age: f64) -> f64;

    /// Expected number of purchases in `(0, t]` for a customer who has just made a
    /// first purchase at time 0.
    fn expected_purchases_new_customer(&self, t: f64) -> f64;
}

mod bgbb;
mod bgnbd;
pub mod diagnostics;
mod fit;
mod gamma_gamma;
mod mbgnbd;
mod pareto_nbd;
pub mod value;

pub use bgbb::{BetaGeoBetaBinom, BetaGeoBetaBinomParams};
pub use bgnbd::{BetaGeo, BetaGeoParams};
pub use fit::FitReport;
pub use gamma_gamma::{GammaGamma, GammaGammaParams, SpendRows};
pub use mbgnbd::{ModifiedBetaGeo, ModifiedBetaGeoParams};
pub use pareto_nbd::{ParetoNbd, ParetoNbdParams};

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

/// Conditional expected purchases in the next `t` time units for every customer of a
/// summary (vectorized [`PurchaseModel::conditional_expected_purchases`]).
///
/// ```
/// use patronage::clv::{expected_purchases, BetaGeo};
/// let s = patronage::simulate::Simulation::new(100).summary_continuous()?;
/// let e = expected_purchases(&BetaGeo::from_params(0.25, 4.0, 0.8, 2.5), &s, 52.0);
/// assert!(e.iter().all(|v| v.is_finite() && *v >= 0.0));
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn expected_purchases<M: PurchaseModel + Sync>(
    model: &M,
    summary: &crate::summary::CustomerSummary,
    t: f64,
) -> Vec<f64> {
    let (x, tx, age) = (summary.frequency(), summary.recency(), summary.age());
    per_customer_by_history(
        summary,
        |i| model.expected_purchases_if_alive(t, x[i], age[i]),
        |i, alive| alive * model.probability_alive(x[i], tx[i], age[i]),
    )
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

/// P(alive) for every customer of a summary (vectorized [`PurchaseModel::probability_alive`]).
pub fn probability_alive<M: PurchaseModel + Sync>(
    model: &M,
    summary: &crate::summary::CustomerSummary,
) -> Vec<f64> {
    let (x, tx, age) = (summary.frequency(), summary.recency(), summary.age());
    per_customer(summary.len(), |i| {
        model.probability_alive(x[i], tx[i], age[i])
    })
}
