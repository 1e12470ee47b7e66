//! Market-basket analysis for cross-sell: frequent itemsets by FP-growth, association
//! rules with mlxtend's metrics, and recommendations.
//!
//! Input is order lines (`order`, `item`); an item repeated within one order counts
//! once. Supports are fractions of orders. For a rule `A -> C` with supports `sA`,
//! `sC` and `sAC` (as mlxtend defines them):
//!
//! | metric | definition |
//! | --- | --- |
//! | support | `sAC` |
//! | confidence | `sAC / sA` |
//! | lift | `confidence / sC` |
//! | leverage | `sAC - sA sC` |
//! | conviction | `(1 - sC) / (1 - confidence)`, infinite when confidence is 1 |
//! | Zhang's metric | `leverage / max(sAC (1 - sA), sA (sC - sAC))`, 0 when that is 0 |
//! | Jaccard | `sAC / (sA + sC - sAC)` |
//! | certainty | `(confidence - sC) / (1 - sC)`, 0 when `sC` is 1 |
//! | Kulczynski | `(sAC / sA + sAC / sC) / 2` |
//!
//! ```
//! use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};
//!
//! let line = |order: u32, item: &'static str| OrderLine { order, item };
//! let lines = [line(1, "tea"), line(1, "cake"), line(2, "tea"), line(2, "cake"), line(3, "tea")];
//! let baskets = Baskets::new(&lines)?;
//! let itemsets = baskets.frequent_itemsets(MinSupport::Fraction(0.6), None)?;
//! let rules = baskets.rules(&itemsets, Metric::Confidence, 0.9)?;
//! assert_eq!(rules.len(), 1); // cake -> tea
//! let r = &rules[0];
//! assert_eq!((baskets.item(r.antecedent[0]), baskets.item(r.consequent[0])), (&"cake", &"tea"));
//! assert_eq!(r.confidence, 1.0);
//! assert!(r.conviction.is_infinite());
//! # Ok::<(), patronage::Error>(())
//! ```

use std::collections::HashMap;
use std::hash::Hash;

use crate::error::{Error, Result};
use crate::hashing::KeyedMap;
use crate::kernels::{gather_runs, group_offsets};

/// One order line: an item bought in an order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OrderLine<O, I> {
    /// The order (basket) id.
    pub order: O,
    /// The item id.
    pub item: I,
}

/// Orders as sets of interned items.
///
/// Its `Debug` shows the items and baskets, not the item table (whose order depends on
/// the process's hash key).
#[derive(Clone)]
pub struct Baskets<I> {
    items: Vec<I>,
    /// CSR: basket b holds `members[offsets[b]..offsets[b + 1]]`, sorted, distinct.
    offsets: Vec<u32>,
    members: Vec<u32>,
    /// Keyed with the crate's keyed hash: item ids are caller data. Never iterated.
    item_index: KeyedMap<I, u32>,
}

impl<I: std::fmt::Debug> std::fmt::Debug for Baskets<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baskets")
            .field("items", &self.items)
            .field("offsets", &self.offsets)
            .field("members", &self.members)
            .finish_non_exhaustive()
    }
}

/// Minimum support of a frequent itemset.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MinSupport {
    /// A fraction of orders, in `(0, 1]`.
    Fraction(f64),
    /// A number of orders, at least 1.
    Count(usize),
}

/// A frequent itemset: sorted item indices and the number of orders holding them all.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Itemset {
    /// Item indices (see [`Baskets::item`]), ascending.
    pub items: Vec<u32>,
    /// Orders containing every item.
    pub count: usize,
    /// `count` as a fraction of all orders.
    pub support: f64,
}

/// The metric used to filter rules or rank recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Metric {
    /// `sAC`.
    Support,
    /// `sAC / sA`.
    Confidence,
    /// `confidence / sC`.
    Lift,
    /// `sAC - sA sC`.
    Leverage,
    /// `(1 - sC) / (1 - confidence)`.
    Conviction,
    /// Zhang's metric.
    Zhang,
    /// `sAC / (sA + sC - sAC)`.
    Jaccard,
    /// `(confidence - sC) / (1 - sC)`.
    Certainty,
    /// `(sAC / sA + sAC / sC) / 2`.
    Kulczynski,
}

/// An association rule `antecedent -> consequent` with every metric.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Rule {
    /// Antecedent item indices, ascending.
    pub antecedent: Vec<u32>,
    /// Consequent item indices, ascending.
    pub consequent: Vec<u32>,
    /// Support of the antecedent.
    pub antecedent_support: f64,
    /// Support of the consequent.
    pub consequent_support: f64,
    /// Support of both.
    pub support: f64,
    /// Confidence.
    pub confidence: f64,
    /// Lift.
    pub lift: f64,
    /// Leverage.
    pub leverage: f64,
    /// Conviction (infinite when confidence is 1).
    pub conviction: f64,
    /// Zhang's metric.
    pub zhang: f64,
    /// Jaccard.
    pub jaccard: f64,
    /// Certainty.
    pub certainty: f64,
    /// Kulczynski.
    pub kulczynski: f64,
}

impl Rule {
    fn new(antecedent: Vec<u32>, consequent: Vec<u32>, s_a: f64, s_c: f64, s_ac: f64) -> Self {
        let confidence = s_ac / s_a;
        let leverage = s_ac - s_a * s_c;
        let zhang_den = (s_ac * (1.0 - s_a)).max(s_a * (s_c - s_ac));
        Rule {
            antecedent,
            consequent,
            antecedent_support: s_a,
            consequent_support: s_c,
            support: s_ac,
            confidence,
            lift: confidence / s_c,
            leverage,
            conviction: if confidence >= 1.0 {
                f64::INFINITY
            } else {
                (1.0 - s_c) / (1.0 - confidence)
            },
            zhang: if zhang_den == 0.0 {
                0.0
            } else {
                leverage / zhang_den
            },
            jaccard: s_ac / (s_a + s_c - s_ac),
            certainty: if s_c >= 1.0 {
                0.0
            } else {
                (confidence - s_c) / (1.0 - s_c)
            },
            kulczynski: (s_ac / s_a + s_ac / s_c) / 2.0,
        }
    }

    /// The value of one metric.
    pub fn metric(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Support => self.support,
            Metric::Confidence => self.confidence,
            Metric::Lift => self.lift,
            Metric::Leverage => self.leverage,
            Metric::Conviction => self.conviction,
            Metric::Zhang => self.zhang,
            Metric::Jaccard => self.jaccard,
            Metric::Certainty => self.certainty,
            Metric::Kulczynski => self.kulczynski,
        }
    }
}

impl<I: Eq + Hash + Clone> Baskets<I> {
    /// Groups order lines into baskets and interns items (in first-seen order). Lines
    /// may come in any order; an item repeated within an order counts once.
    ///
    /// # Errors
    /// [`Error::Empty`] when there are no lines.
    pub fn new<O: Eq + Hash + Clone>(lines: &[OrderLine<O, I>]) -> Result<Self> {
        if lines.is_empty() {
            return Err(Error::Empty {
                field: "order lines",
            });
        }
        // Pass 1: intern items (first-seen order) and cut the lines into runs of one
        // order id, comparing neighbours only.
        let mut item_index: KeyedMap<I, u32> = KeyedMap::default();
        let mut items: Vec<I> = Vec::new();
        let mut members: Vec<u32> = Vec::with_capacity(lines.len());
        let mut run_start: Vec<u32> = Vec::new();
        let mut prev: Option<&O> = None;
        for (k, l) in lines.iter().enumerate() {
            if prev != Some(&l.order) {
                run_start.push(k as u32);
                prev = Some(&l.order);
            }
            let i = match item_index.get(&l.item) {
                Some(&i) => i,
                None => {
                    let i = items.len() as u32;
                    item_index.insert(l.item.clone(), i);
                    items.push(l.item.clone());
                    i
                }
            };
            members.push(i);
        }
        let runs = run_start.len();
        run_start.push(lines.len() as u32);
        // Pass 2: intern orders, one lookup per run. The lines are already grouped by
        // order when no run's order was seen before.
        let mut order_index: KeyedMap<&O, u32> =
            KeyedMap::with_capacity_and_hasher(runs, Default::default());
        let mut run_order: Vec<u32> = Vec::with_capacity(runs);
        let mut grouped = true;
        for &start in &run_start[..runs] {
            let next = order_index.len() as u32;
            let o = *order_index
                .entry(&lines[start as usize].order)
                .or_insert(next);
            grouped &= o == next;
            run_order.push(o);
        }
        let n_orders = order_index.len();
        drop(order_index);
        let mut offsets = if grouped {
            run_start
        } else {
            let offsets = group_offsets(&run_start, &run_order, n_orders);
            members = gather_runs(&members, &run_start, &run_order, &offsets);
            offsets
        };
        // Sort and dedupe each basket, compacting in place (the write position never
        // passes the read position); offsets are rewritten as they are consumed.
        let mut write = 0usize;
        let mut lo = 0usize;
        for b in 0..n_orders {
            let hi = offsets[b + 1] as usize;
            sort_small(&mut members[lo..hi]);
            for k in lo..hi {
                if k == lo || members[k] != members[k - 1] {
                    members[write] = members[k];
                    write += 1;
                }
            }
            offsets[b + 1] = write as u32;
            lo = hi;
        }
        members.truncate(write);
        Ok(Self {
            items,
            offsets,
            members,
            item_index,
        })
    }

    /// The index of an item, if it occurs.
    pub fn item_index(&self, item: &I) -> Option<u32> {
        self.item_index.get(item).copied()
    }
}

impl<I> Baskets<I> {
    /// Number of orders (baskets).
    pub fn n_orders(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of distinct items.
    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    /// The caller's item of an index.
    ///
    /// # Panics
    /// When `index >= n_items()`.
    pub fn item(&self, index: u32) -> &I {
        &self.items[index as usize]
    }

    /// The distinct items of basket `b`, ascending by index.
    pub fn basket(&self, b: usize) -> &[u32] {
        &self.members[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }

    /// Frequent itemsets by FP-growth (Han, Pei & Yin 2000): every itemset held by at
    /// least the minimum support of orders, of at most `max_len` items. Sorted by
    /// size, then items.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a fraction outside `(0, 1]`, a count of 0, or
    /// `max_len` of 0; [`Error::LimitExceeded`] when there are more than
    /// [`MAX_ITEMSETS`] frequent itemsets (mining stops there: one basket of n items
    /// holds 2^n); [`frequent_itemsets_up_to`](Self::frequent_itemsets_up_to) sets
    /// another limit.
    pub fn frequent_itemsets(
        &self,
        min_support: MinSupport,
        max_len: Option<usize>,
    ) -> Result<Vec<Itemset>> {
        self.frequent_itemsets_up_to(min_support, max_len, MAX_ITEMSETS)
    }

    /// [`frequent_itemsets`](Self::frequent_itemsets) with at most `max_itemsets`
    /// itemsets instead of [`MAX_ITEMSETS`] (each costs about a hundred bytes).
    ///
    /// # Errors
    /// As [`frequent_itemsets`](Self::frequent_itemsets), with `max_itemsets` as the
    /// limit.
    pub fn frequent_itemsets_up_to(
        &self,
        min_support: MinSupport,
        max_len: Option<usize>,
        max_itemsets: usize,
    ) -> Result<Vec<Itemset>> {
        let n = self.n_orders();
        let min_count = match min_support {
            MinSupport::Fraction(f) if f > 0.0 && f <= 1.0 => {
                ((f * n as f64) - 1e-9).ceil().max(1.0) as usize
            }
            MinSupport::Count(c) if c >= 1 => c,
            _ => {
                return Err(Error::InvalidParameter {
                    name: "min_support",
                    value: format!("{min_support:?}"),
                    reason: "a fraction in (0, 1] or a count of at least 1".into(),
                });
            }
        };
        if max_len == Some(0) {
            return Err(Error::InvalidParameter {
                name: "max_len",
                value: "0".into(),
                reason: "itemsets hold at least one item".into(),
            });
        }
        let max_len = max_len.unwrap_or(usize::MAX);
        // Frequent items, ranked by descending count (ties by index).
        let mut counts = vec![0usize; self.n_items()];
        for &i in &self.members {
            counts[i as usize] += 1;
        }
        let mut frequent: Vec<u32> = (0..self.n_items() as u32)
            .filter(|&i| counts[i as usize] >= min_count)
            .collect();
        frequent.sort_by(|&a, &b| counts[b as usize].cmp(&counts[a as usize]).then(a.cmp(&b)));
        let mut rank = vec![u32::MAX; self.n_items()];
        for (r, &i) in frequent.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        // The FP-tree over ranks.
        let mut paths = Paths {
            flat: Vec::with_capacity(self.members.len()),
            spans: Vec::with_capacity(n),
        };
        for b in 0..n {
            let start = paths.flat.len();
            for &i in self.basket(b) {
                let r = rank[i as usize];
                if r != u32::MAX {
                    paths.flat.push(r);
                }
            }
            sort_small(&mut paths.flat[start..]);
            paths.close(start, 1);
        }
        let tree = FpTree::from_paths(frequent.len(), &mut paths);
        drop(paths);
        // Each top-level item's itemsets are mined independently (in parallel); the
        // final sort makes the order independent of scheduling. One count across the
        // parts stops every part once max_itemsets is passed: whether that happens
        // depends only on the data, not on the schedule.
        let emitted = std::sync::atomic::AtomicUsize::new(0);
        let top = |r: usize| {
            let mut found: Vec<Itemset> = Vec::new();
            let mut suffix: Vec<u32> = Vec::new();
            mine_rank(
                &tree,
                r,
                min_count,
                max_len,
                &mut suffix,
                &mut |ranks, count| {
                    let mut items: Vec<u32> = ranks.iter().map(|&q| frequent[q as usize]).collect();
                    items.sort_unstable();
                    found.push(Itemset {
                        items,
                        count,
                        support: count as f64 / n as f64,
                    });
                    emitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < max_itemsets
                },
            );
            found
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<Itemset>> = {
            use rayon::prelude::*;
            (0..frequent.len()).into_par_iter().map(top).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Vec<Itemset>> = (0..frequent.len()).map(top).collect();
        let total = emitted.into_inner();
        Error::check_limit(
            "frequent itemsets",
            i64::try_from(total).unwrap_or(i64::MAX),
            max_itemsets,
            "raise min_support or set max_len (a wide basket holds 2^n itemsets)",
        )?;
        let mut out: Vec<Itemset> = parts.into_iter().flatten().collect();
        out.sort_by(|a, b| {
            a.items
                .len()
                .cmp(&b.items.len())
                .then_with(|| a.items.cmp(&b.items))
        });
        Ok(out)
    }

    /// Association rules from frequent itemsets: every split of each itemset of two or
    /// more items into antecedent and consequent, kept when `metric >= min_value`.
    /// Sorted by descending `metric`, then by items.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a NaN threshold; [`Error::InvalidValue`] when an
    /// itemset's subset is missing from `itemsets` (pass the output of
    /// [`frequent_itemsets`](Self::frequent_itemsets) unfiltered).
    pub fn rules(&self, itemsets: &[Itemset], metric: Metric, min_value: f64) -> Result<Vec<Rule>> {
        if min_value.is_nan() {
            return Err(Error::InvalidParameter {
                name: "min_value",
                value: "NaN".into(),
                reason: "a threshold must be a number".into(),
            });
        }
        let support: HashMap<&[u32], f64> = itemsets
            .iter()
            .map(|s| (s.items.as_slice(), s.support))
            .collect();
        let lookup = |items: &[u32], row: usize| {
            support.get(items).copied().ok_or_else(|| Error::InvalidValue {
                field: "itemsets",
                row,
                value: items.len() as f64,
                reason: "a subset of this itemset is not among the itemsets; pass all frequent itemsets".into(),
            })
        };
        let mut rules = Vec::new();
        for (row, set) in itemsets.iter().enumerate() {
            let k = set.items.len();
            if !(2..=30).contains(&k) {
                continue;
            }
            for mask in 1..(1u32 << k) - 1 {
                let (a, c): (Vec<u32>, Vec<u32>) = {
                    let mut a = Vec::new();
                    let mut c = Vec::new();
                    for (bit, &i) in set.items.iter().enumerate() {
                        if mask & (1 << bit) != 0 {
                            a.push(i)
                        } else {
                            c.push(i)
                        }
                    }
                    (a, c)
                };
                let (s_a, s_c) = (lookup(&a, row)?, lookup(&c, row)?);
                let rule = Rule::new(a, c, s_a, s_c, set.support);
                if rule.metric(metric) >= min_value {
                    rules.push(rule);
                }
            }
        }
        rules.sort_by(|x, y| {
            y.metric(metric)
                .total_cmp(&x.metric(metric))
                .then_with(|| x.antecedent.cmp(&y.antecedent))
                .then_with(|| x.consequent.cmp(&y.consequent))
        });
        Ok(rules)
    }

    /// Cross-sell recommendations for someone holding `held` items: consequent items of
    /// rules whose antecedent is all held, not already held, each scored by the best
    /// `metric` of such a rule; the top `n`, best first (ties by item index).
    ///
    /// ```
    /// use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};
    /// let l = |order: u8, item: &'static str| OrderLine { order, item };
    /// let b = Baskets::new(&[l(1, "a"), l(1, "b"), l(2, "a"), l(2, "b"), l(3, "a"), l(3, "c")])?;
    /// let rules = b.rules(&b.frequent_itemsets(MinSupport::Count(1), None)?, Metric::Confidence, 0.0)?;
    /// // "a" is in the baskets above, so item_index finds it.
    /// let recs = b.recommend(&rules, &[b.item_index(&"a").unwrap()], Metric::Confidence, 5);
    /// assert_eq!(b.item(recs[0].0), &"b"); // confidence 2/3 beats "c" at 1/3
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn recommend(
        &self,
        rules: &[Rule],
        held: &[u32],
        metric: Metric,
        n: usize,
    ) -> Vec<(u32, f64)> {
        let mut best: HashMap<u32, f64> = HashMap::new();
        for r in rules {
            if r.antecedent.iter().all(|i| held.contains(i)) {
                let score = r.metric(metric);
                for &c in &r.consequent {
                    if !held.contains(&c) {
                        let e = best.entry(c).or_insert(f64::NEG_INFINITY);
                        if score > *e {
                            *e = score;
                        }
                    }
                }
            }
        }
        let mut out: Vec<(u32, f64)> = best.into_iter().collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(n);
        out
    }
}

/// Sorts a short slice (baskets and paths hold a few items) without data-dependent
/// branches: with its position in the low bits every value is distinct, and its place
/// is the number of values below it, counted over a fixed 16-wide buffer. Longer
/// slices, or values of 2^28 or more, use the standard sort.
fn sort_small(v: &mut [u32]) {
    const W: usize = 16;
    let k = v.len();
    if k > W || v.iter().any(|&x| x >= 1 << 28) {
        v.sort_unstable();
        return;
    }
    // Padding (u32::MAX) is above every tagged value, so it never counts.
    let mut tagged = [u32::MAX; W];
    for (i, (t, &x)) in tagged.iter_mut().zip(v.iter()).enumerate() {
        *t = (x << 4) | i as u32;
    }
    let mut out = [0u32; W];
    for &x in &tagged[..k] {
        let place: u32 = tagged.iter().map(|&y| u32::from(y < x)).sum();
        out[place as usize & (W - 1)] = x >> 4;
    }
    v.copy_from_slice(&out[..k]);
}

/// An FP-tree over item ranks (0 = most frequent), built from lexicographically
/// sorted paths: paths that share a prefix are then adjacent, so each new path reuses
/// the previous path's nodes up to their common prefix and creates the rest, with no
/// child lookups at all.
struct FpTree {
    nodes: Vec<Node>,
    /// Per rank, the nodes holding it.
    header: Vec<Vec<u32>>,
}

#[derive(Clone, Copy)]
struct Node {
    rank: u32,
    count: usize,
    parent: u32,
}

const NONE: u32 = u32::MAX;

/// Paths of ranks in one flat buffer: `(start, len, count)` spans, so building a tree
/// allocates per tree, not per path.
#[derive(Default)]
struct Paths {
    flat: Vec<u32>,
    spans: Vec<(u32, u32, usize)>,
}

impl Paths {
    /// Appends the ranks pushed since `start` as one path (dropped when empty).
    fn close(&mut self, start: usize, count: usize) {
        let len = self.flat.len() - start;
        if len > 0 {
            self.spans.push((start as u32, len as u32, count));
        }
    }

    fn path(&self, span: (u32, u32, usize)) -> &[u32] {
        &self.flat[span.0 as usize..(span.0 + span.1) as usize]
    }
}

impl FpTree {
    /// Builds the tree of `paths` (each ascending in rank, with a count); sorts them.
    fn from_paths(ranks: usize, paths: &mut Paths) -> Self {
        let mut spans = std::mem::take(&mut paths.spans);
        if ranks < usize::from(u16::MAX) {
            // Sort by the first eight ranks packed into one integer (rank + 1 in 16
            // bits each, 0 past the end, so a prefix sorts before its extensions),
            // comparing the rest only between paths that agree on those.
            let key = |span: (u32, u32, usize)| {
                let path = paths.path(span);
                let mut k = 0u128;
                for d in 0..8 {
                    k = (k << 16) | path.get(d).map_or(0, |&r| u128::from(r + 1));
                }
                k
            };
            let mut keyed: Vec<(u128, u32)> = spans
                .iter()
                .enumerate()
                .map(|(s, &span)| (key(span), s as u32))
                .collect();
            keyed.sort_unstable_by(|a, b| {
                a.0.cmp(&b.0).then_with(|| {
                    let (x, y) = (
                        paths.path(spans[a.1 as usize]),
                        paths.path(spans[b.1 as usize]),
                    );
                    if x.len() > 8 && y.len() > 8 {
                        x[8..].cmp(&y[8..])
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
            });
            spans = keyed.iter().map(|&(_, s)| spans[s as usize]).collect();
        } else {
            spans.sort_unstable_by(|&a, &b| paths.path(a).cmp(paths.path(b)));
        }
        let mut tree = Self {
            nodes: vec![Node {
                rank: NONE,
                count: 0,
                parent: NONE,
            }],
            header: vec![Vec::new(); ranks],
        };
        // chain[d] = node at depth d + 1 of the previous path.
        let mut chain: Vec<u32> = Vec::new();
        let mut prev: &[u32] = &[];
        for &span in &spans {
            let (path, count) = (paths.path(span), &span.2);
            let common = prev.iter().zip(path).take_while(|(a, b)| a == b).count();
            chain.truncate(common);
            for &c in &chain {
                tree.nodes[c as usize].count += count;
            }
            for &r in &path[common..] {
                let parent = chain.last().copied().unwrap_or(0);
                let id = tree.nodes.len() as u32;
                tree.nodes.push(Node {
                    rank: r,
                    count: *count,
                    parent,
                });
                tree.header[r as usize].push(id);
                chain.push(id);
            }
            prev = path;
        }
        tree
    }
}

/// Most frequent itemsets [`Baskets::frequent_itemsets`] returns (2 million, about a
/// quarter of a gigabyte while mining; far more than rules anyone reads): past it,
/// mining stops with [`Error::LimitExceeded`]. [`Baskets::frequent_itemsets_up_to`]
/// sets another limit.
pub const MAX_ITEMSETS: usize = 2_000_000;

/// FP-growth: for each rank (least frequent first), emit `suffix + rank` and recurse
/// into its conditional tree.
/// Stops (returning false) as soon as `emit` returns false.
fn mine(
    tree: &FpTree,
    min_count: usize,
    max_len: usize,
    suffix: &mut Vec<u32>,
    emit: &mut dyn FnMut(&[u32], usize) -> bool,
) -> bool {
    (0..tree.header.len())
        .rev()
        .all(|r| mine_rank(tree, r, min_count, max_len, suffix, emit))
}

/// Emits `suffix + r` if frequent and mines its conditional tree; false when `emit`
/// asked to stop.
fn mine_rank(
    tree: &FpTree,
    r: usize,
    min_count: usize,
    max_len: usize,
    suffix: &mut Vec<u32>,
    emit: &mut dyn FnMut(&[u32], usize) -> bool,
) -> bool {
    let count: usize = tree.header[r]
        .iter()
        .map(|&n| tree.nodes[n as usize].count)
        .sum();
    if count < min_count {
        return true;
    }
    suffix.push(r as u32);
    let mut go_on = emit(suffix, count);
    if go_on && suffix.len() < max_len {
        // Conditional pattern base: prefix paths of r's nodes. Count first, then keep
        // only the ranks frequent in this base.
        let mut cond_counts = vec![0usize; r];
        for &n in &tree.header[r] {
            let c = tree.nodes[n as usize].count;
            let mut p = tree.nodes[n as usize].parent;
            while p != 0 && p != NONE {
                cond_counts[tree.nodes[p as usize].rank as usize] += c;
                p = tree.nodes[p as usize].parent;
            }
        }
        if cond_counts.iter().any(|&c| c >= min_count) {
            let mut kept = Paths::default();
            for &n in &tree.header[r] {
                let start = kept.flat.len();
                let mut p = tree.nodes[n as usize].parent;
                while p != 0 && p != NONE {
                    let pr = tree.nodes[p as usize].rank;
                    if cond_counts[pr as usize] >= min_count {
                        kept.flat.push(pr);
                    }
                    p = tree.nodes[p as usize].parent;
                }
                kept.flat[start..].reverse();
                kept.close(start, tree.nodes[n as usize].count);
            }
            let cond = FpTree::from_paths(r, &mut kept);
            go_on = mine(&cond, min_count, max_len, suffix, emit);
        }
    }
    suffix.pop();
    go_on
}
