//! Customer lifetime value: BG/NBD-family purchase models, Gamma-Gamma spend and
//! discounted CLV.

/// A probabilistic model of repeat purchases, fitted to (frequency, recency, T) summaries.
///
/// Implemented by the BG/NBD, MBG/NBD and Pareto/NBD models; [`value`](self) combines
/// any of them with a spend model into discounted customer lifetime value. Times are in
/// the unit the model was fitted in (the summary's time unit).
pub trait PurchaseModel {
    /// Expected number of repeat purchases in `(T, T + t]` for a customer with the
    /// given frequency, recency and age `T`.
    fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64)
    -> f64;

    /// Probability that a customer with the given history is still alive at `T`.
    fn probability_alive(&self, frequency: f64, recency: f64, age: f64) -> f64;

    /// Expected number of purchases in `(0, t]` for a customer who has just made a
    /// first purchase at time 0.
    fn expected_purchases_new_customer(&self, t: f64) -> f64;
}
