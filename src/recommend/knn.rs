//! Item-item collaborative filtering over customer histories.
//!
//! A history is binary here: customer `u` bought item `i` or not (how many times does
//! not count). With `N` training customers, `n_i` the customers who bought `i` and
//! `c_ij` those who bought both `i` and `j` (`i != j`), the similarity of `j` to `i`
//! is, before shrinkage:
//!
//! | similarity | definition |
//! | --- | --- |
//! | cosine | `c_ij / sqrt(n_i n_j)` |
//! | Jaccard | `c_ij / (n_i + n_j - c_ij)` |
//! | lift | `c_ij N / (n_i n_j)` |
//!
//! and with shrinkage `lambda >= 0` (Koren's support shrinkage, which pulls the
//! similarities of rarely co-bought pairs toward zero) it is multiplied by
//! `c_ij / (c_ij + lambda)`. Pairs never bought together have no similarity. Each
//! item keeps its `neighbours` most similar items (similarity descending, ties by the
//! lower index).
//!
//! A customer's score for item `j` is `sum over the items i the customer bought of
//! sim(i, j)`, over the kept neighbours of each `i`; items with no score are not
//! recommended (so a customer may get fewer than `k` items).
//!
//! The co-occurrence counts are built sparsely, item by item (for item `i`, the items
//! of the customers who bought `i`), in `O(sum over customers of d_u^2)` time for
//! history lengths `d_u`, in parallel over fixed blocks of items with the feature
//! `parallel`; the result does not depend on the number of threads.

#[cfg(feature = "serde")]
use std::hash::Hash;

#[cfg(feature = "serde")]
use crate::error::Error;
use crate::error::Result;
use crate::model::Fit;
use crate::validate;

use super::{ColdStart, Interactions, Recommender, top_k};

/// The similarity of two items bought by the same customers (definitions in
/// [`knn`](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Similarity {
    /// `c_ij / sqrt(n_i n_j)`.
    #[default]
    Cosine,
    /// `c_ij / (n_i + n_j - c_ij)`.
    Jaccard,
    /// `c_ij N / (n_i n_j)`.
    Lift,
}

impl Similarity {
    /// The similarity from the counts, with shrinkage `lambda`: `c_ij` customers bought
    /// both, `n_i` and `n_j` each, `n` customers in all.
    pub fn value(self, c_ij: f64, n_i: f64, n_j: f64, n: f64, lambda: f64) -> f64 {
        let raw = match self {
            Similarity::Cosine => c_ij / (n_i * n_j).sqrt(),
            Similarity::Jaccard => c_ij / (n_i + n_j - c_ij),
            Similarity::Lift => c_ij * n / (n_i * n_j),
        };
        if lambda > 0.0 {
            raw * (c_ij / (c_ij + lambda))
        } else {
            raw
        }
    }
}

/// Item-item collaborative filtering.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::recommend::{ItemKnn, ItemPurchase, Interactions, Recommender, Similarity};
/// use patronage::Day;
/// let line = |customer: u32, item: &'static str| ItemPurchase { customer, day: Day(0), item };
/// let data = Interactions::new(&[
///     line(1, "a"), line(1, "b"), line(2, "a"), line(2, "b"), line(3, "a"), line(3, "c"),
/// ])?;
/// let model = ItemKnn::params().similarity(Similarity::Jaccard).fit(&data)?;
/// // b's neighbours: a (2 of 3 customers of a or b bought both).
/// assert_eq!(model.neighbours(1), &[(0, 2.0 / 3.0)]);
/// assert_eq!(model.recommend(&3, 5)?, vec![("b", 2.0 / 3.0)]);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemKnn;

impl ItemKnn {
    /// The settings, with defaults: cosine, no shrinkage, 100 neighbours per item,
    /// already-bought items excluded, popularity for unknown customers.
    pub fn params() -> ItemKnnParams {
        ItemKnnParams::default()
    }
}

/// Settings of [`ItemKnn`].
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKnnParams {
    similarity: Similarity,
    shrinkage: f64,
    neighbours: usize,
    exclude_bought: bool,
    cold_start: ColdStart,
}

impl Default for ItemKnnParams {
    fn default() -> Self {
        Self {
            similarity: Similarity::Cosine,
            shrinkage: 0.0,
            neighbours: 100,
            exclude_bought: true,
            cold_start: ColdStart::Popularity,
        }
    }
}

impl ItemKnnParams {
    /// The similarity (default cosine).
    pub fn similarity(mut self, similarity: Similarity) -> Self {
        self.similarity = similarity;
        self
    }

    /// The shrinkage `lambda`: similarities are multiplied by `c_ij / (c_ij + lambda)`
    /// (default 0, none). Finite and `>= 0`, checked by `fit`.
    pub fn shrinkage(mut self, lambda: f64) -> Self {
        self.shrinkage = lambda;
        self
    }

    /// Neighbours kept per item (default 100; at least 1, checked by `fit`;
    /// `usize::MAX` keeps all).
    pub fn neighbours(mut self, n: usize) -> Self {
        self.neighbours = n;
        self
    }

    /// Whether items the customer already bought are left out (default `true`).
    pub fn exclude_bought(mut self, exclude: bool) -> Self {
        self.exclude_bought = exclude;
        self
    }

    /// What customers not in the training data get (default the popularity ranking).
    pub fn cold_start(mut self, cold_start: ColdStart) -> Self {
        self.cold_start = cold_start;
        self
    }
}

/// One block's neighbour-list lengths and neighbours.
type Block = (Vec<usize>, Vec<(u32, f64)>);

/// Items per block of the parallel similarity build.
const BLOCK: usize = 64;

impl<C: Clone, I: Clone> Fit<&Interactions<C, I>> for ItemKnnParams {
    type Fitted = FittedItemKnn<C, I>;

    /// Builds the neighbour lists.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a shrinkage that is not finite and `>= 0` or
    /// zero neighbours.
    fn fit(&self, data: &Interactions<C, I>) -> Result<FittedItemKnn<C, I>> {
        if !(self.shrinkage.is_finite() && self.shrinkage >= 0.0) {
            return Err(validate::invalid_parameter(
                "shrinkage",
                self.shrinkage,
                "must be finite and >= 0",
            ));
        }
        if self.neighbours == 0 {
            return Err(validate::invalid_parameter(
                "neighbours",
                0.0,
                "at least one neighbour per item",
            ));
        }
        let (offsets, members, _) = data.csr();
        let (t_offsets, t_customers, _) = data.transpose();
        let n_items = data.n_items();
        let n = data.n_customers() as f64;
        let (similarity, lambda, keep) = (self.similarity, self.shrinkage, self.neighbours);
        let buyers = |i: usize| (t_offsets[i + 1] - t_offsets[i]) as f64;
        let blocks = n_items.div_ceil(BLOCK);
        let build = |b: usize| {
            let mut acc = vec![0u32; n_items];
            let mut touched: Vec<u32> = Vec::new();
            let mut lens = Vec::with_capacity(BLOCK);
            let mut out: Vec<(u32, f64)> = Vec::new();
            let mut row: Vec<(u32, f64)> = Vec::new();
            for i in b * BLOCK..((b + 1) * BLOCK).min(n_items) {
                for &u in &t_customers[t_offsets[i]..t_offsets[i + 1]] {
                    let u = u as usize;
                    for &j in &members[offsets[u]..offsets[u + 1]] {
                        let a = &mut acc[j as usize];
                        if *a == 0 {
                            touched.push(j);
                        }
                        *a += 1;
                    }
                }
                let n_i = buyers(i);
                row.clear();
                for &j in &touched {
                    let c = std::mem::take(&mut acc[j as usize]);
                    if j as usize != i {
                        let s = similarity.value(f64::from(c), n_i, buyers(j as usize), n, lambda);
                        if s > 0.0 {
                            row.push((j, s));
                        }
                    }
                }
                touched.clear();
                let best = top_k(row.drain(..), keep);
                lens.push(best.len());
                out.extend_from_slice(&best);
            }
            (lens, out)
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<Block> = {
            use rayon::prelude::*;
            (0..blocks).into_par_iter().map(build).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Block> = (0..blocks).map(build).collect();
        let total: usize = parts.iter().map(|p| p.1.len()).sum();
        let mut nb_offsets = Vec::with_capacity(n_items + 1);
        nb_offsets.push(0usize);
        let mut neighbours = Vec::with_capacity(total);
        for (lens, out) in parts {
            for l in lens {
                nb_offsets.push(nb_offsets[nb_offsets.len() - 1] + l);
            }
            neighbours.extend(out);
        }
        Ok(FittedItemKnn {
            data: data.clone(),
            similarity,
            shrinkage: lambda,
            nb_offsets,
            neighbours,
            exclude_bought: self.exclude_bought,
            cold_start: self.cold_start,
        })
    }
}

/// A fitted item-item model: each item's most similar items.
///
/// With serde it is saved with its training histories and checked as it loads
/// (neighbour lists one per item, indices in range and not the item itself,
/// similarities finite and positive, shrinkage finite and `>= 0`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawItemKnn<C, I>",
        bound(
            serialize = "C: serde::Serialize, I: serde::Serialize",
            deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                           I: Eq + Hash + Clone + serde::de::DeserializeOwned"
        )
    )
)]
pub struct FittedItemKnn<C, I> {
    data: Interactions<C, I>,
    similarity: Similarity,
    shrinkage: f64,
    nb_offsets: Vec<usize>,
    neighbours: Vec<(u32, f64)>,
    exclude_bought: bool,
    cold_start: ColdStart,
}

impl<C, I> FittedItemKnn<C, I> {
    /// The kept neighbours of item index `i` with their similarities, most similar
    /// first (ties by the lower index); empty for `i` out of range.
    pub fn neighbours(&self, i: usize) -> &[(u32, f64)] {
        if i + 1 >= self.nb_offsets.len() {
            return &[];
        }
        &self.neighbours[self.nb_offsets[i]..self.nb_offsets[i + 1]]
    }

    /// The similarity used.
    pub fn similarity(&self) -> Similarity {
        self.similarity
    }

    /// The shrinkage used.
    pub fn shrinkage(&self) -> f64 {
        self.shrinkage
    }

    /// Scores of every candidate item for a history (ascending item indices), the
    /// items of the history excluded or not.
    fn scores(&self, history: &[u32], exclude: bool, k: usize) -> Vec<(u32, f64)> {
        let mut acc = vec![0.0f64; self.data.n_items()];
        let mut touched: Vec<u32> = Vec::new();
        for &i in history {
            for &(j, s) in self.neighbours(i as usize) {
                let a = &mut acc[j as usize];
                if *a == 0.0 {
                    touched.push(j);
                }
                *a += s;
            }
        }
        let candidates = touched
            .iter()
            .filter(|&&j| !(exclude && history.binary_search(&j).is_ok()))
            .map(|&j| (j, acc[j as usize]));
        top_k(candidates, k)
    }
}

impl<C, I> Recommender for FittedItemKnn<C, I> {
    type Customer = C;
    type Item = I;

    fn interactions(&self) -> &Interactions<C, I> {
        &self.data
    }

    fn recommend_index(&self, customer: Option<u32>, k: usize) -> Vec<(u32, f64)> {
        match customer {
            Some(u) if (u as usize) < self.data.n_customers() => {
                let history = self.data.history(u as usize).0;
                self.scores(history, self.exclude_bought, k)
            }
            _ => self.cold_start.recommend(&self.data, k),
        }
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(
    bound(deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                              I: Eq + Hash + Clone + serde::de::DeserializeOwned")
)]
struct RawItemKnn<C, I> {
    data: Interactions<C, I>,
    similarity: Similarity,
    shrinkage: f64,
    nb_offsets: Vec<usize>,
    neighbours: Vec<(u32, f64)>,
    exclude_bought: bool,
    cold_start: ColdStart,
}

#[cfg(feature = "serde")]
impl<C, I> TryFrom<RawItemKnn<C, I>> for FittedItemKnn<C, I> {
    type Error = Error;

    fn try_from(raw: RawItemKnn<C, I>) -> Result<Self> {
        use crate::validate::{invalid_value, same_len};
        if !(raw.shrinkage.is_finite() && raw.shrinkage >= 0.0) {
            return Err(validate::invalid_parameter(
                "shrinkage",
                raw.shrinkage,
                "a saved item-item model's shrinkage is finite and >= 0",
            ));
        }
        let n_items = raw.data.n_items();
        same_len("nb_offsets", n_items + 1, raw.nb_offsets.len())?;
        if raw.nb_offsets[0] != 0 || raw.nb_offsets[n_items] != raw.neighbours.len() {
            return Err(invalid_value(
                "nb_offsets",
                0,
                raw.nb_offsets[0] as f64,
                "neighbour offsets run from 0 to the number of neighbours",
            ));
        }
        for i in 0..n_items {
            let (lo, hi) = (raw.nb_offsets[i], raw.nb_offsets[i + 1]);
            if hi < lo || hi > raw.neighbours.len() {
                return Err(invalid_value(
                    "nb_offsets",
                    i + 1,
                    hi as f64,
                    "neighbour offsets do not decrease",
                ));
            }
            for (k, &(j, s)) in raw.neighbours[lo..hi].iter().enumerate() {
                if j as usize >= n_items || j as usize == i {
                    return Err(invalid_value(
                        "neighbours",
                        lo + k,
                        f64::from(j),
                        "a neighbour is another item of the model",
                    ));
                }
                if !(s.is_finite() && s > 0.0) {
                    return Err(invalid_value(
                        "neighbours",
                        lo + k,
                        s,
                        "a similarity is finite and > 0",
                    ));
                }
            }
        }
        Ok(Self {
            data: raw.data,
            similarity: raw.similarity,
            shrinkage: raw.shrinkage,
            nb_offsets: raw.nb_offsets,
            neighbours: raw.neighbours,
            exclude_bought: raw.exclude_bought,
            cold_start: raw.cold_start,
        })
    }
}
