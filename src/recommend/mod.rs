//! Product recommendations from purchase histories: a popularity baseline, item-item
//! collaborative filtering ([`ItemKnn`]) and implicit-feedback matrix factorisation by
//! alternating least squares ([`Als`], Hu, Koren & Volinsky 2008), evaluated on a time
//! split with precision, recall, MAP, NDCG and coverage at `k` ([`metrics`]).
//!
//! Input is order lines that name a customer, a day and an item ([`ItemPurchase`]),
//! the customer-level counterpart of [`basket`](crate::basket)'s order lines. They are
//! validated once into [`Interactions`]: customers and items interned to dense indices
//! (first-seen order), and per customer the distinct items bought with the number of
//! lines of each (`r_ui`). [`Interactions::time_split`] trains on the lines up to a
//! cutoff day and holds out what each training customer bought after it
//! ([`HeldOut`]).
//!
//! Every model follows the crate's contract: params, then
//! [`Fit`](crate::model::Fit) on `&Interactions`, then a fitted model that owns what
//! it needs to recommend (the training histories, so that already-bought items can be
//! excluded, and the model's own state). Fitted models implement [`Recommender`]:
//! [`recommend`](Recommender::recommend) for one customer, returning owned
//! `(item, score)` pairs, best first (ties broken by the lower item index), and
//! [`recommend_many`](Recommender::recommend_many) for many (in parallel with the
//! feature `parallel`; the result does not depend on the number of threads).
//!
//! Options common to the models: exclusion of items the customer already bought
//! (`exclude_bought`, on by default) and the treatment of customers not in the
//! training data ([`ColdStart`]: the popularity ranking by default, or nothing).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::recommend::{ItemKnn, ItemPurchase, Interactions, Popularity, Recommender, Similarity};
//! use patronage::Day;
//!
//! let line = |customer: u32, day: i32, item: &'static str| ItemPurchase { customer, day: Day(day), item };
//! let lines = [
//!     line(1, 0, "tea"), line(1, 3, "cake"), line(2, 1, "tea"), line(2, 2, "cake"),
//!     line(3, 4, "tea"), line(3, 9, "jam"), line(4, 5, "coffee"),
//! ];
//! let data = Interactions::new(&lines)?;
//! let knn = ItemKnn::params().similarity(Similarity::Cosine).fit(&data)?;
//! // Customer 3 bought tea and jam: cake goes with tea.
//! let top = knn.recommend(&3, 2)?;
//! assert_eq!(top[0].0, "cake");
//! // An unknown customer gets the most popular items.
//! let popular = Popularity::params().fit(&data)?;
//! assert_eq!(knn.recommend(&99, 1)?, popular.recommend(&99, 1)?);
//! assert_eq!(popular.recommend(&99, 1)?[0].0, "tea");
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! The models:
//!
//! - [`Popularity`]: items ranked by the number of distinct customers who bought them.
//! - [`ItemKnn`]: item-item similarities from co-occurrence in customer histories
//!   (cosine, Jaccard or lift, with shrinkage; the top-N neighbours of each item are
//!   kept), a customer's score for an item the sum of its similarities to the items
//!   the customer bought. The definitions are in [`knn`].
//! - [`Als`]: customer and item factor vectors minimising the weighted squared loss of
//!   Hu, Koren & Volinsky, solved by conjugate gradient or Cholesky per row. The
//!   definitions are in [`als`].

use std::hash::Hash;

use crate::error::{Error, Result};
use crate::hashing::KeyedMap;
use crate::transactions::Day;

pub mod als;
pub mod knn;
pub mod metrics;

pub use als::{Als, AlsParams, FittedAls, Solver};
pub use knn::{FittedItemKnn, ItemKnn, ItemKnnParams, Similarity};
pub use metrics::{RankingMetrics, evaluate, ranking_metrics};

/// One order line of a customer: an item bought on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ItemPurchase<C, I> {
    /// The customer id.
    pub customer: C,
    /// The day of the purchase.
    pub day: Day,
    /// The item id.
    pub item: I,
}

/// What a model recommends to a customer who is not in its training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ColdStart {
    /// The most popular items (the [`Popularity`] ranking of the training data).
    #[default]
    Popularity,
    /// Nothing: an empty list.
    Empty,
}

impl ColdStart {
    /// The top `k` for a customer without a usable history in `data`.
    pub(crate) fn recommend<C, I>(self, data: &Interactions<C, I>, k: usize) -> Vec<(u32, f64)> {
        match self {
            ColdStart::Popularity => popular_excluding(data, &[], k),
            ColdStart::Empty => Vec::new(),
        }
    }
}

/// Purchase histories: customers and items interned to dense indices (in first-seen
/// order), and per customer the distinct items bought (ascending index) with the
/// number of order lines of each.
///
/// With serde it is written as its id tables and histories and checked as it loads
/// (distinct ids, item indices in range and ascending per customer, counts whole and
/// at least 1).
#[derive(Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawInteractions<C, I>",
        bound(
            serialize = "C: serde::Serialize, I: serde::Serialize",
            deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                           I: Eq + Hash + Clone + serde::de::DeserializeOwned"
        )
    )
)]
pub struct Interactions<C, I> {
    customers: Vec<C>,
    items: Vec<I>,
    /// CSR by customer: customer `u` bought `members[offsets[u]..offsets[u + 1]]`.
    offsets: Vec<usize>,
    members: Vec<u32>,
    /// Order lines per (customer, item), parallel to `members`.
    counts: Vec<u32>,
    #[cfg_attr(feature = "serde", serde(skip))]
    customer_index: KeyedMap<C, u32>,
    #[cfg_attr(feature = "serde", serde(skip))]
    item_index: KeyedMap<I, u32>,
    /// Items by distinct buyers, descending (ties: lower index first), with the count.
    #[cfg_attr(feature = "serde", serde(skip))]
    popularity: Vec<(u32, f64)>,
}

impl<C: std::fmt::Debug, I: std::fmt::Debug> std::fmt::Debug for Interactions<C, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interactions")
            .field("customers", &self.customers)
            .field("items", &self.items)
            .field("offsets", &self.offsets)
            .field("members", &self.members)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<C: PartialEq, I: PartialEq> PartialEq for Interactions<C, I> {
    fn eq(&self, other: &Self) -> bool {
        self.customers == other.customers
            && self.items == other.items
            && self.offsets == other.offsets
            && self.members == other.members
            && self.counts == other.counts
    }
}

/// The largest number of order lines, customers or items of [`Interactions`]
/// (indices are `u32`).
pub const MAX_LINES: usize = u32::MAX as usize;

impl<C: Eq + Hash + Clone, I: Eq + Hash + Clone> Interactions<C, I> {
    /// Interns customers and items and groups the lines by customer. Lines may come in
    /// any order; days are not used (see [`time_split`](Self::time_split)).
    ///
    /// # Errors
    /// [`Error::Empty`] when there are no lines; [`Error::LimitExceeded`] above
    /// [`MAX_LINES`] lines.
    pub fn new(lines: &[ItemPurchase<C, I>]) -> Result<Self> {
        Self::from_iter(lines.len(), lines.iter(), "order lines")
    }

    fn from_iter<'a>(
        capacity: usize,
        lines: impl Iterator<Item = &'a ItemPurchase<C, I>>,
        field: &'static str,
    ) -> Result<Self>
    where
        C: 'a,
        I: 'a,
    {
        if capacity > MAX_LINES {
            return Err(Error::LimitExceeded {
                what: "order lines",
                size: capacity as u64,
                limit: MAX_LINES as u64,
                hint: "split the lines by customer",
            });
        }
        let mut customer_index: KeyedMap<C, u32> = KeyedMap::default();
        let mut item_index: KeyedMap<I, u32> = KeyedMap::default();
        let mut customers: Vec<C> = Vec::new();
        let mut items: Vec<I> = Vec::new();
        let mut line_customer: Vec<u32> = Vec::with_capacity(capacity);
        let mut line_item: Vec<u32> = Vec::with_capacity(capacity);
        let mut prev: Option<(&C, u32)> = None;
        for l in lines {
            let u = match prev {
                Some((c, u)) if *c == l.customer => u,
                _ => {
                    let u = match customer_index.get(&l.customer) {
                        Some(&u) => u,
                        None => {
                            let u = customers.len() as u32;
                            customer_index.insert(l.customer.clone(), u);
                            customers.push(l.customer.clone());
                            u
                        }
                    };
                    prev = Some((&l.customer, u));
                    u
                }
            };
            let i = match item_index.get(&l.item) {
                Some(&i) => i,
                None => {
                    let i = items.len() as u32;
                    item_index.insert(l.item.clone(), i);
                    items.push(l.item.clone());
                    i
                }
            };
            line_customer.push(u);
            line_item.push(i);
        }
        if line_customer.is_empty() {
            return Err(Error::Empty { field });
        }
        let n = customers.len();
        // Counting sort of the lines by customer.
        let mut offsets = vec![0usize; n + 1];
        for &u in &line_customer {
            offsets[u as usize + 1] += 1;
        }
        for u in 0..n {
            offsets[u + 1] += offsets[u];
        }
        let mut cursor = offsets[..n].to_vec();
        let mut grouped = vec![0u32; line_item.len()];
        for (&u, &i) in line_customer.iter().zip(&line_item) {
            grouped[cursor[u as usize]] = i;
            cursor[u as usize] += 1;
        }
        drop(line_customer);
        drop(line_item);
        // Sort each customer's items and count repeats, compacting in place.
        let mut members = grouped;
        let mut counts = vec![0u32; members.len()];
        let mut write = 0usize;
        let mut lo = 0usize;
        for u in 0..n {
            let hi = offsets[u + 1];
            members[lo..hi].sort_unstable();
            for k in lo..hi {
                if k > lo && members[k] == members[k - 1] {
                    counts[write - 1] += 1;
                } else {
                    members[write] = members[k];
                    counts[write] = 1;
                    write += 1;
                }
            }
            offsets[u + 1] = write;
            lo = hi;
        }
        members.truncate(write);
        counts.truncate(write);
        let popularity = popularity_ranking(items.len(), &members);
        Ok(Self {
            customers,
            items,
            offsets,
            members,
            counts,
            customer_index,
            item_index,
            popularity,
        })
    }

    /// Splits order lines at a cutoff day: the lines on or before `cutoff` train, and
    /// what each training customer bought after it is held out for evaluation.
    ///
    /// Held-out items are the distinct items a training customer bought after the
    /// cutoff, among the items of the training lines (a model cannot recommend an item
    /// it has not seen); lines of new customers or new items are counted in
    /// [`HeldOut::new_customer_lines`] and [`HeldOut::new_item_lines`] and not
    /// evaluated. Items the customer also bought before the cutoff stay in the held-out
    /// set (as in `implicit`'s `ranking_metrics_at_k`), so a model that excludes
    /// already-bought items cannot recommend them.
    ///
    /// ```
    /// use patronage::recommend::{ItemPurchase, Interactions};
    /// use patronage::Day;
    /// let line = |customer: u32, day: i32, item: u32| ItemPurchase { customer, day: Day(day), item };
    /// let split = Interactions::time_split(&[line(1, 0, 7), line(1, 5, 8), line(2, 6, 7), line(1, 9, 7)], Day(4))?;
    /// assert_eq!(split.train.n_customers(), 1);
    /// assert_eq!(split.held_out.customers(), &[0]);
    /// assert_eq!(split.held_out.relevant(0), &[0]); // item 7 again; item 8 is new
    /// assert_eq!((split.held_out.new_item_lines, split.held_out.new_customer_lines), (1, 1));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Empty`] when no line is on or before the cutoff.
    pub fn time_split(lines: &[ItemPurchase<C, I>], cutoff: Day) -> Result<TimeSplit<C, I>> {
        let n_train = lines.iter().filter(|l| l.day <= cutoff).count();
        let train = Self::from_iter(
            n_train,
            lines.iter().filter(|l| l.day <= cutoff),
            "order lines on or before the cutoff",
        )?;
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let (mut new_customer_lines, mut new_item_lines) = (0usize, 0usize);
        for l in lines.iter().filter(|l| l.day > cutoff) {
            let Some(u) = train.customer_index(&l.customer) else {
                new_customer_lines += 1;
                continue;
            };
            let Some(i) = train.item_index(&l.item) else {
                new_item_lines += 1;
                continue;
            };
            pairs.push((u, i));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut customers = Vec::new();
        let mut offsets = vec![0usize];
        let mut items = Vec::with_capacity(pairs.len());
        for (k, &(u, i)) in pairs.iter().enumerate() {
            if k == 0 || pairs[k - 1].0 != u {
                if k > 0 {
                    offsets.push(items.len());
                }
                customers.push(u);
            }
            items.push(i);
        }
        if !pairs.is_empty() {
            offsets.push(items.len());
        }
        Ok(TimeSplit {
            train,
            held_out: HeldOut {
                customers,
                offsets,
                items,
                new_customer_lines,
                new_item_lines,
            },
        })
    }

    /// The index of a customer, if it occurs.
    pub fn customer_index(&self, customer: &C) -> Option<u32> {
        self.customer_index.get(customer).copied()
    }

    /// The index of an item, if it occurs.
    pub fn item_index(&self, item: &I) -> Option<u32> {
        self.item_index.get(item).copied()
    }

    /// Rebuilds the id maps and the popularity ranking, checking that ids are distinct.
    #[cfg(feature = "serde")]
    fn from_parts(
        customers: Vec<C>,
        items: Vec<I>,
        offsets: Vec<usize>,
        members: Vec<u32>,
        counts: Vec<u32>,
    ) -> Result<Self> {
        use crate::validate::{invalid_value, non_empty, same_len};
        non_empty("customers", customers.len())?;
        if customers.len() > MAX_LINES || items.len() > MAX_LINES || members.len() > MAX_LINES {
            return Err(Error::LimitExceeded {
                what: "customers, items or histories of saved interactions",
                size: customers.len().max(items.len()).max(members.len()) as u64,
                limit: MAX_LINES as u64,
                hint: "the file is not one this crate wrote",
            });
        }
        same_len("offsets", customers.len() + 1, offsets.len())?;
        same_len("counts", members.len(), counts.len())?;
        if offsets[0] != 0 {
            return Err(invalid_value(
                "offsets",
                0,
                offsets[0] as f64,
                "the first offset is 0",
            ));
        }
        if offsets[customers.len()] != members.len() {
            return Err(invalid_value(
                "offsets",
                customers.len(),
                offsets[customers.len()] as f64,
                "the last offset is the number of history entries",
            ));
        }
        for u in 0..customers.len() {
            let (lo, hi) = (offsets[u], offsets[u + 1]);
            if hi <= lo || hi > members.len() {
                return Err(invalid_value(
                    "offsets",
                    u + 1,
                    hi as f64,
                    "offsets increase: each customer bought at least one item",
                ));
            }
            for k in lo..hi {
                if members[k] as usize >= items.len() {
                    return Err(invalid_value(
                        "members",
                        k,
                        f64::from(members[k]),
                        "an item index is below the number of items",
                    ));
                }
                if k > lo && members[k] <= members[k - 1] {
                    return Err(invalid_value(
                        "members",
                        k,
                        f64::from(members[k]),
                        "a customer's items are distinct and ascending",
                    ));
                }
                if counts[k] == 0 {
                    return Err(invalid_value(
                        "counts",
                        k,
                        0.0,
                        "a history entry counts at least one order line",
                    ));
                }
            }
        }
        let mut customer_index: KeyedMap<C, u32> = KeyedMap::default();
        for (u, c) in customers.iter().enumerate() {
            if customer_index.insert(c.clone(), u as u32).is_some() {
                return Err(invalid_value(
                    "customers",
                    u,
                    u as f64,
                    "customer ids are distinct",
                ));
            }
        }
        let mut item_index: KeyedMap<I, u32> = KeyedMap::default();
        for (i, it) in items.iter().enumerate() {
            if item_index.insert(it.clone(), i as u32).is_some() {
                return Err(invalid_value("items", i, i as f64, "item ids are distinct"));
            }
        }
        let popularity = popularity_ranking(items.len(), &members);
        Ok(Self {
            customers,
            items,
            offsets,
            members,
            counts,
            customer_index,
            item_index,
            popularity,
        })
    }
}

/// Items by distinct buyers, descending, ties by the lower index.
fn popularity_ranking(n_items: usize, members: &[u32]) -> Vec<(u32, f64)> {
    let mut buyers = vec![0u64; n_items];
    for &i in members {
        buyers[i as usize] += 1;
    }
    let mut ranking: Vec<(u32, f64)> = buyers
        .iter()
        .enumerate()
        .map(|(i, &b)| (i as u32, b as f64))
        .collect();
    ranking.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranking
}

impl<C, I> Interactions<C, I> {
    /// Number of customers.
    pub fn n_customers(&self) -> usize {
        self.customers.len()
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    /// Number of distinct (customer, item) pairs.
    pub fn n_pairs(&self) -> usize {
        self.members.len()
    }

    /// The customer ids, by index.
    pub fn customers(&self) -> &[C] {
        &self.customers
    }

    /// The item ids, by index.
    pub fn items(&self) -> &[I] {
        &self.items
    }

    /// The items customer `u` bought (ascending indices) and the order lines of each;
    /// empty slices for an index out of range.
    pub fn history(&self, u: usize) -> (&[u32], &[u32]) {
        if u >= self.customers.len() {
            return (&[], &[]);
        }
        let (lo, hi) = (self.offsets[u], self.offsets[u + 1]);
        (&self.members[lo..hi], &self.counts[lo..hi])
    }

    /// Items by the number of distinct customers who bought them, descending (ties:
    /// the lower index first), with that number.
    pub fn popularity(&self) -> &[(u32, f64)] {
        &self.popularity
    }

    /// The customer-item CSR (offsets, item indices, counts).
    pub(crate) fn csr(&self) -> (&[usize], &[u32], &[u32]) {
        (&self.offsets, &self.members, &self.counts)
    }

    /// The transpose: per item, the customers who bought it (ascending) and the counts.
    pub(crate) fn transpose(&self) -> (Vec<usize>, Vec<u32>, Vec<u32>) {
        let n_items = self.items.len();
        let mut offsets = vec![0usize; n_items + 1];
        for &i in &self.members {
            offsets[i as usize + 1] += 1;
        }
        for i in 0..n_items {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets[..n_items].to_vec();
        let mut customers = vec![0u32; self.members.len()];
        let mut counts = vec![0u32; self.members.len()];
        for u in 0..self.customers.len() {
            for k in self.offsets[u]..self.offsets[u + 1] {
                let i = self.members[k] as usize;
                customers[cursor[i]] = u as u32;
                counts[cursor[i]] = self.counts[k];
                cursor[i] += 1;
            }
        }
        (offsets, customers, counts)
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawInteractions<C, I> {
    customers: Vec<C>,
    items: Vec<I>,
    offsets: Vec<usize>,
    members: Vec<u32>,
    counts: Vec<u32>,
}

#[cfg(feature = "serde")]
impl<C: Eq + Hash + Clone, I: Eq + Hash + Clone> TryFrom<RawInteractions<C, I>>
    for Interactions<C, I>
{
    type Error = Error;

    fn try_from(raw: RawInteractions<C, I>) -> Result<Self> {
        Self::from_parts(
            raw.customers,
            raw.items,
            raw.offsets,
            raw.members,
            raw.counts,
        )
    }
}

/// Training histories up to a cutoff and what was bought after it
/// ([`Interactions::time_split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSplit<C, I> {
    /// The lines on or before the cutoff.
    pub train: Interactions<C, I>,
    /// What training customers bought after the cutoff.
    pub held_out: HeldOut,
}

/// Per training customer with purchases after the cutoff, the distinct items bought
/// (indices into the training items).
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOut {
    customers: Vec<u32>,
    offsets: Vec<usize>,
    items: Vec<u32>,
    /// Lines after the cutoff of customers not in the training lines.
    pub new_customer_lines: usize,
    /// Lines after the cutoff of training customers buying items not in the training
    /// lines.
    pub new_item_lines: usize,
}

impl HeldOut {
    /// The evaluated customers (training indices, ascending).
    pub fn customers(&self) -> &[u32] {
        &self.customers
    }

    /// The held-out items of the `k`-th evaluated customer (ascending indices); empty
    /// for `k` out of range.
    pub fn relevant(&self, k: usize) -> &[u32] {
        if k >= self.customers.len() {
            return &[];
        }
        &self.items[self.offsets[k]..self.offsets[k + 1]]
    }

    /// Number of evaluated customers.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether no customer is evaluated.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }
}

/// One customer's recommendations: items with their scores, best first.
pub type Recommendations<I> = Vec<(I, f64)>;

/// A fitted recommender: scores items for a customer of its training data.
///
/// Implemented by [`FittedPopularity`], [`FittedItemKnn`] and [`FittedAls`].
pub trait Recommender {
    /// The customer id type.
    type Customer;
    /// The item id type.
    type Item;

    /// The training histories the model owns.
    fn interactions(&self) -> &Interactions<Self::Customer, Self::Item>;

    /// The top `k` items (indices) for customer index `customer` (`None` for a
    /// customer not in the training data, who gets the [`ColdStart`] treatment), best
    /// first, ties by the lower index. At most `k` and at most the number of
    /// candidate items: `k = 0` gives an empty list, `usize::MAX` every candidate.
    fn recommend_index(&self, customer: Option<u32>, k: usize) -> Vec<(u32, f64)>;

    /// The top `k` items for `customer`, best first, with their scores.
    ///
    /// # Errors
    /// None at present: a customer not in the training data gets the [`ColdStart`]
    /// treatment. The `Result` leaves room for models that need a check.
    fn recommend(&self, customer: &Self::Customer, k: usize) -> Result<Vec<(Self::Item, f64)>>
    where
        Self::Customer: Eq + Hash + Clone,
        Self::Item: Eq + Hash + Clone,
    {
        let data = self.interactions();
        let u = data.customer_index(customer);
        Ok(self
            .recommend_index(u, k)
            .into_iter()
            .map(|(i, s)| (data.items[i as usize].clone(), s))
            .collect())
    }

    /// [`recommend`](Self::recommend) for each customer, in order (in parallel with
    /// the feature `parallel`).
    ///
    /// # Errors
    /// As [`recommend`](Self::recommend).
    fn recommend_many(
        &self,
        customers: &[Self::Customer],
        k: usize,
    ) -> Result<Vec<Recommendations<Self::Item>>>
    where
        Self: Sync,
        Self::Customer: Eq + Hash + Clone + Sync,
        Self::Item: Eq + Hash + Clone + Send + Sync,
    {
        let chunks = crate::kernels::map_chunks(customers.len(), |lo, hi| {
            customers[lo..hi]
                .iter()
                .map(|c| self.recommend(c, k))
                .collect::<Result<Vec<_>>>()
        });
        let mut out = Vec::with_capacity(customers.len());
        for c in chunks {
            out.extend(c?);
        }
        Ok(out)
    }
}

/// The popularity baseline: every customer gets the items most customers bought.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::recommend::{ItemPurchase, Interactions, Popularity, Recommender};
/// use patronage::Day;
/// let line = |customer: u32, item: u32| ItemPurchase { customer, day: Day(0), item };
/// let data = Interactions::new(&[line(1, 10), line(2, 10), line(2, 20), line(3, 30)])?;
/// let model = Popularity::params().fit(&data)?;
/// assert_eq!(model.recommend(&3, 2)?, vec![(10, 2.0), (20, 1.0)]); // 30 was bought
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Popularity;

impl Popularity {
    /// The settings, with defaults: exclude already-bought items.
    pub fn params() -> PopularityParams {
        PopularityParams::default()
    }
}

/// Settings of [`Popularity`].
#[derive(Debug, Clone, PartialEq)]
pub struct PopularityParams {
    exclude_bought: bool,
}

impl Default for PopularityParams {
    fn default() -> Self {
        Self {
            exclude_bought: true,
        }
    }
}

impl PopularityParams {
    /// Whether items the customer already bought are left out (default `true`).
    pub fn exclude_bought(mut self, exclude: bool) -> Self {
        self.exclude_bought = exclude;
        self
    }
}

impl<C: Clone, I: Clone> crate::model::Fit<&Interactions<C, I>> for PopularityParams {
    type Fitted = FittedPopularity<C, I>;

    fn fit(&self, data: &Interactions<C, I>) -> Result<FittedPopularity<C, I>> {
        Ok(FittedPopularity {
            data: data.clone(),
            exclude_bought: self.exclude_bought,
        })
    }
}

/// A fitted popularity baseline: items by distinct buyers in the training data.
///
/// With serde it is saved with its training histories and checked as it loads.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(bound(
        serialize = "C: serde::Serialize, I: serde::Serialize",
        deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                       I: Eq + Hash + Clone + serde::de::DeserializeOwned"
    ))
)]
pub struct FittedPopularity<C, I> {
    data: Interactions<C, I>,
    exclude_bought: bool,
}

impl<C, I> Recommender for FittedPopularity<C, I> {
    type Customer = C;
    type Item = I;

    fn interactions(&self) -> &Interactions<C, I> {
        &self.data
    }

    fn recommend_index(&self, customer: Option<u32>, k: usize) -> Vec<(u32, f64)> {
        let bought = match customer {
            Some(u) if self.exclude_bought => self.data.history(u as usize).0,
            _ => &[],
        };
        popular_excluding(&self.data, bought, k)
    }
}

/// The top `k` of the popularity ranking without the items of `bought` (ascending).
pub(crate) fn popular_excluding<C, I>(
    data: &Interactions<C, I>,
    bought: &[u32],
    k: usize,
) -> Vec<(u32, f64)> {
    data.popularity
        .iter()
        .filter(|(i, _)| bought.binary_search(i).is_err())
        .take(k)
        .copied()
        .collect()
}

/// The top `k` of `(item, score)` candidates: score descending, ties by the lower
/// item. One pass keeping the `k` best in a heap whose top is the worst kept, so most
/// candidates cost one comparison (scoring a whole catalogue for one customer).
/// Always inlined, so that a scoring iterator inside
/// [`vectorized`](crate::math::simd::vectorized) is compiled for the wider instruction
/// set.
#[inline(always)]
pub(crate) fn top_k(candidates: impl IntoIterator<Item = (u32, f64)>, k: usize) -> Vec<(u32, f64)> {
    /// Ordered best first: the heap's maximum is the worst candidate kept.
    #[derive(PartialEq)]
    struct Ranked(u32, f64);
    impl Eq for Ranked {}
    impl PartialOrd for Ranked {
        #[inline]
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Ranked {
        #[inline]
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            other.1.total_cmp(&self.1).then(self.0.cmp(&other.0))
        }
    }
    if k == 0 {
        return Vec::new();
    }
    let mut kept = std::collections::BinaryHeap::new();
    // The worst kept score once `k` are kept: a candidate below it (`<`, which implies
    // below in the total order) is out after one plain comparison.
    let mut floor = f64::NEG_INFINITY;
    for (item, score) in candidates {
        if score < floor {
            continue;
        }
        if kept.len() < k {
            kept.push(Ranked(item, score));
        } else if let Some(mut worst) = kept.peek_mut()
            && Ranked(item, score) < *worst
        {
            *worst = Ranked(item, score);
        } else {
            continue;
        }
        if kept.len() == k {
            floor = kept.peek().map_or(floor, |w| w.1);
        }
    }
    kept.into_sorted_vec()
        .into_iter()
        .map(|Ranked(i, s)| (i, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_and_breaks_ties_by_index() {
        let c = vec![(5, 1.0), (2, 3.0), (9, 3.0), (1, 0.5), (7, 2.0)];
        assert_eq!(top_k(c.clone(), 3), vec![(2, 3.0), (9, 3.0), (7, 2.0)]);
        // Ties at the cut go to the lower item whatever the arrival order.
        let mut r = c.clone();
        r.reverse();
        assert_eq!(top_k(r, 2), vec![(2, 3.0), (9, 3.0)]);
        assert_eq!(top_k(c.clone(), 1), vec![(2, 3.0)]);
        assert_eq!(
            top_k(vec![(5, 1.0), (2, 3.0)], usize::MAX),
            vec![(2, 3.0), (5, 1.0)]
        );
        assert!(top_k(c, 0).is_empty());
    }
}
