//! Ranking metrics at `k` on held-out purchases.
//!
//! For an evaluated customer with held-out items `R` (`|R| >= 1`) and a list `L` of at
//! most `k` recommended items, `hit(i) = 1` when the `i`-th item of `L` (from 0) is in
//! `R`:
//!
//! | metric | definition (per customer; the table's value is the mean over customers) |
//! | --- | --- |
//! | precision@k | `sum hit(i) / k` (a list shorter than `k` still divides by `k`) |
//! | recall@k | `sum hit(i) / |R|` |
//! | MAP@k | average precision `sum over hits of (hits in L[0..=i]) / (i + 1)`, divided by `min(k, |R|)` |
//! | NDCG@k | `DCG / IDCG`, `DCG = sum hit(i) / log2(i + 2)`, `IDCG = sum over i < min(k, |R|) of 1 / log2(i + 2)` |
//! | coverage | distinct items recommended to the evaluated customers / items of the model |
//!
//! The MAP@k denominator is `min(k, |R|)`, as in `implicit`'s `ranking_metrics_at_k`
//! (so a perfect list scores 1 even when `|R| > k`); NDCG uses binary gains with the
//! same ideal. `implicit`'s `precision` differs: it divides the total hits by the total
//! `min(k, |R|)` (micro-averaged); ours is the usual per-customer `hits / k`.

use std::hash::Hash;

use crate::error::{Error, Result};
use crate::validate;

use super::{HeldOut, Recommender};

/// Ranking metrics at `k` (definitions in [`metrics`](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RankingMetrics {
    /// The list length evaluated.
    pub k: usize,
    /// Customers evaluated.
    pub customers: usize,
    /// Mean precision@k.
    pub precision: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// MAP@k (denominator `min(k, |R|)`).
    pub map: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Share of the items recommended to at least one evaluated customer.
    pub coverage: f64,
}

/// The metrics at `k` of given lists: `recommended[c]` (best first, at most `k` are
/// read) against `relevant[c]` (any order, distinct), over `n_items` items.
///
/// ```
/// use patronage::recommend::ranking_metrics;
/// let m = ranking_metrics(&[vec![3, 1, 2]], &[vec![1, 5]], 10, 3)?;
/// assert_eq!(m.precision, 1.0 / 3.0);
/// assert_eq!(m.recall, 0.5);
/// assert_eq!(m.map, 0.5 / 2.0); // one hit at rank 2: precision 1/2, over min(3, 2)
/// assert_eq!(m.coverage, 0.3);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `k = 0`; [`Error::Empty`] without customers or
/// with an empty relevant set; [`Error::LengthMismatch`] when the two inputs differ in
/// length; [`Error::InvalidValue`] for an item index `>= n_items`.
pub fn ranking_metrics(
    recommended: &[Vec<u32>],
    relevant: &[Vec<u32>],
    n_items: usize,
    k: usize,
) -> Result<RankingMetrics> {
    if k == 0 {
        return Err(validate::invalid_parameter("k", 0, "at least 1"));
    }
    validate::non_empty("relevant", relevant.len())?;
    validate::same_len("recommended", relevant.len(), recommended.len())?;
    let mut seen = vec![false; n_items];
    let mut sums = [0.0f64; 4];
    for (c, (list, rel)) in recommended.iter().zip(relevant).enumerate() {
        if rel.is_empty() {
            return Err(Error::Empty {
                field: "relevant items of a customer",
            });
        }
        for &i in list.iter().take(k).chain(rel) {
            if i as usize >= n_items {
                return Err(validate::invalid_value(
                    "recommended or relevant",
                    c,
                    f64::from(i),
                    "an item index is below the number of items",
                ));
            }
        }
        let mut sorted = rel.clone();
        sorted.sort_unstable();
        let m = one(list, &sorted, k, &mut seen);
        for (s, v) in sums.iter_mut().zip(m) {
            *s += v;
        }
    }
    Ok(finish(k, relevant.len(), sums, &seen))
}

/// Per-customer precision, recall, AP and NDCG; marks the recommended items.
fn one(list: &[u32], relevant_sorted: &[u32], k: usize, seen: &mut [bool]) -> [f64; 4] {
    let (mut hits, mut ap, mut dcg) = (0usize, 0.0f64, 0.0f64);
    for (rank, &i) in list.iter().take(k).enumerate() {
        seen[i as usize] = true;
        if relevant_sorted.binary_search(&i).is_ok() {
            hits += 1;
            ap += hits as f64 / (rank + 1) as f64;
            dcg += 1.0 / ((rank + 2) as f64).log2();
        }
    }
    let ideal = k.min(relevant_sorted.len());
    let idcg: f64 = (0..ideal).map(|r| 1.0 / ((r + 2) as f64).log2()).sum();
    [
        hits as f64 / k as f64,
        hits as f64 / relevant_sorted.len() as f64,
        ap / ideal as f64,
        dcg / idcg,
    ]
}

fn finish(k: usize, customers: usize, sums: [f64; 4], seen: &[bool]) -> RankingMetrics {
    let n = customers as f64;
    let covered = seen.iter().filter(|&&s| s).count();
    RankingMetrics {
        k,
        customers,
        precision: sums[0] / n,
        recall: sums[1] / n,
        map: sums[2] / n,
        ndcg: sums[3] / n,
        coverage: if seen.is_empty() {
            0.0
        } else {
            covered as f64 / seen.len() as f64
        },
    }
}

/// Evaluates a fitted model on held-out purchases: each evaluated customer's top `k`
/// ([`Recommender::recommend_index`]) against what the customer bought after the
/// cutoff. Customers are scored in parallel with the feature `parallel` and the sums
/// are taken in customer order, so the result does not depend on the number of
/// threads.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::recommend::{evaluate, ItemPurchase, Interactions, Popularity};
/// use patronage::Day;
/// let line = |customer: u32, day: i32, item: u32| ItemPurchase { customer, day: Day(day), item };
/// let lines = [line(1, 0, 1), line(2, 0, 1), line(2, 1, 2), line(3, 0, 3), line(3, 8, 1)];
/// let split = Interactions::time_split(&lines, Day(5))?;
/// let model = Popularity::params().exclude_bought(false).fit(&split.train)?;
/// let m = evaluate(&model, &split.held_out, 1)?;
/// assert_eq!((m.customers, m.precision, m.recall), (1, 1.0, 1.0));
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `k = 0`; [`Error::Empty`] when no customer is held
/// out; [`Error::InvalidValue`] when the held-out items are not the model's (an index
/// beyond its items).
pub fn evaluate<R>(model: &R, held_out: &HeldOut, k: usize) -> Result<RankingMetrics>
where
    R: Recommender + Sync,
    R::Customer: Eq + Hash,
{
    if k == 0 {
        return Err(validate::invalid_parameter("k", 0, "at least 1"));
    }
    validate::non_empty("held-out customers", held_out.len())?;
    let n_items = model.interactions().n_items();
    let n_customers = model.interactions().n_customers();
    for c in 0..held_out.len() {
        let u = held_out.customers()[c];
        if u as usize >= n_customers {
            return Err(validate::invalid_value(
                "held-out customers",
                c,
                f64::from(u),
                "held-out customers are the model's training customers",
            ));
        }
        if let Some(&i) = held_out
            .relevant(c)
            .iter()
            .find(|&&i| i as usize >= n_items)
        {
            return Err(validate::invalid_value(
                "held-out items",
                c,
                f64::from(i),
                "held-out items are the model's training items",
            ));
        }
    }
    let parts = crate::kernels::map_chunks(held_out.len(), |lo, hi| {
        let mut seen = vec![false; n_items];
        let mut sums = [0.0f64; 4];
        for c in lo..hi {
            let list: Vec<u32> = model
                .recommend_index(Some(held_out.customers()[c]), k)
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            let m = one(&list, held_out.relevant(c), k, &mut seen);
            for (s, v) in sums.iter_mut().zip(m) {
                *s += v;
            }
        }
        (sums, seen)
    });
    let mut sums = [0.0f64; 4];
    let mut seen = vec![false; n_items];
    for (s, sn) in parts {
        for (a, b) in sums.iter_mut().zip(s) {
            *a += b;
        }
        for (a, b) in seen.iter_mut().zip(sn) {
            *a |= b;
        }
    }
    Ok(finish(k, held_out.len(), sums, &seen))
}
