//! Channels: how customers buy across channels (store, web, app, ...) and which
//! marketing channels get the credit for conversions.
//!
//! **Channel analysis** starts from purchases that carry a channel
//! ([`ChannelPurchase`], or columns), validated once into a [`ChannelLog`]:
//!
//! - [`ChannelLog::mix`]: each customer's orders and spend per channel, with their
//!   shares of the customer's orders and spend;
//! - [`ChannelLog::multichannel`]: single- vs multi-channel customers and their value
//!   (customers, orders, spend, mean spend and mean orders per customer), as groups and
//!   per combination of channels;
//! - [`ChannelLog::migration`]: how customers move between channels over time, as a
//!   transition matrix of each customer's dominant channel ([`Dominant`]) from one
//!   calendar [`Period`] to the next, with an *inactive* state for periods without a
//!   purchase.
//!
//! **Attribution** starts from customer journeys ([`Journey`]: ordered touchpoints, each
//! a channel, ending in a conversion or not, with an optional conversion value and touch
//! days), validated once into [`Journeys`] (identical paths are counted together, so the
//! cost grows with distinct paths). Conversions and value are attributed to channels by
//! a rule ([`Rule`]: first touch, last touch, linear, time decay, position based;
//! [`Journeys::attribute`]) or by the Markov-chain removal effect of Anderl et al.
//! (2016) of order 1 to 3 ([`Markov`]), computed exactly (a linear solve, no
//! simulation).
//!
//! ```
//! use patronage::channels::{ChannelLog, ChannelPurchase, Dominant, Journey, Journeys, Markov, Rule};
//! use patronage::{Day, Period};
//!
//! // Purchases with a channel.
//! let p = |customer: u32, day: i32, amount: f64, channel: &'static str| ChannelPurchase {
//!     customer, day: Day(day), amount, channel,
//! };
//! let log = ChannelLog::new(&[
//!     p(1, 0, 20.0, "web"), p(1, 40, 30.0, "store"), p(2, 3, 10.0, "web"),
//! ])?;
//! let mix = log.mix();
//! let (customer, shares) = mix.customer(0).expect("customer 1");
//! assert_eq!((*customer, shares.len()), (1, 2));
//! let groups = log.multichannel();
//! assert_eq!((groups.single.customers, groups.multi.customers), (1, 1));
//! assert_eq!(groups.multi.mean_spend, 50.0);
//! let moves = log.migration(Period::Month, Dominant::Spend)?;
//! // Customer 1 moved from web (January) to store (February).
//! assert_eq!(moves.count(Some(1), Some(0)), 1);
//!
//! // Journeys to conversion.
//! let journeys = Journeys::new(&[
//!     Journey::new(&["search", "email"], true).with_value(40.0),
//!     Journey::new(&["search"], false),
//!     Journey::new(&["display", "search", "email"], true).with_value(60.0),
//! ])?;
//! let last = journeys.attribute(&Rule::LastTouch)?;
//! assert_eq!(last.conversions, vec![0.0, 2.0, 0.0]); // display, email, search
//! let markov = Markov::order(1).attribute(&journeys)?;
//! assert!((markov.conversions.iter().sum::<f64>() - 2.0).abs() < 1e-12);
//! assert!((markov.value.iter().sum::<f64>() - 100.0).abs() < 1e-9);
//! # Ok::<(), patronage::Error>(())
//! ```
//!
//! ## The Markov-chain removal effect
//!
//! A journey `c1 > c2 > ... > cn` is a walk from a *start* state through one state per
//! touch to an absorbing *conversion* or *null* state. At order `k` a state is `k`
//! consecutive channels (a sliding window: `a > b > c` at order 2 is the walk
//! `start, (a, b), (b, c), end`); a journey shorter than `k` touches is one state of
//! all its channels. These are the states of the R/Python `ChannelAttribution`
//! package. Transition probabilities are the observed transition counts divided by the
//! counts out of each state (maximum likelihood). A state repeated in a row (`a > a` at
//! order 1) is a self-loop, which does not change where a walk is absorbed; self-loops
//! are dropped (ChannelAttribution drops them too).
//!
//! `P(conversion)` is the probability that a walk from start is absorbed in
//! conversion; it is computed exactly by solving `(I - Q) x = r` on the transient
//! states (`Q` the transitions between them, `r` the probabilities of converting next)
//! by Gaussian elimination with partial pivoting. The *removal effect* of channel `c`
//! is `RE(c) = 1 - P_c(conversion) / P(conversion)`, where in `P_c` every state
//! containing `c` leads to null; it equals the probability that a converting walk
//! visits `c`. Channel `c` is credited `RE(c) / sum RE x` the total conversions.
//! Value is attributed the same way with the *value removal effect*: the expected
//! conversion value of a walk (a conversion from a state is worth the mean value of
//! the conversions observed from it) with and without `c`. ChannelAttribution
//! estimates both removal effects by simulating walks; here they are exact.
//!
//! The solves are dense, `O(s^2)` memory for `s` states, so the number of distinct
//! states is bounded by [`MAX_STATES`] ([`Error::LimitExceeded`] above it, or above
//! the lower bound set by [`Markov::max_states`]). Order 1 has one state per channel,
//! and removing a channel removes one state: the probability that a converting walk
//! visits state `c` is `h_c x_c / P(conversion)`, with `x_c` the probability of
//! converting from `c` and `h_c = v_c / N_cc` that of ever reaching it (`N = (I -
//! Q)^-1`, `v` the expected visits from start), so one solve gives every channel's
//! effect (`O(s^3)`). At orders 2 and 3 a channel is in many states, and each channel
//! takes a solve on the states without it (`O(s^3)` each); their total work is
//! bounded by [`MAX_SOLVE_WORK`] ([`Error::LimitExceeded`] before any solve). Order 3
//! over 8 channels has at most 584 states.
//!
//! Results do not depend on the number of threads: removal effects are solved
//! independently per channel and collected in channel order.
//!
//! Reference: Anderl, E., Becker, I., von Wangenheim, F., & Schumann, J. H. (2016).
//! Mapping the customer journey: Lessons learned from graph-based online attribution
//! modeling. *International Journal of Research in Marketing*, 33(3), 457-474.

use std::hash::Hash;

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::hashing::KeyedMap;
use crate::period::Period;
use crate::transactions::Day;
use crate::validate;

/// The largest number of distinct states of a Markov attribution (transient states,
/// without start, conversion and null): the solve is dense, `O(s^3)` time per channel
/// and `8 s^2` bytes per matrix.
pub const MAX_STATES: usize = 2_000;

/// The most floating-point operations the removal-effect solves of one Markov
/// attribution of order 2 or 3 may take (one dense solve per channel on the states
/// without it, `s^3 / 3` each): [`Error::LimitExceeded`] above it, before any solve.
/// It is about the work of order 1's one solve at [`MAX_STATES`] with dense transitions
/// (7 s on one core of the bench machine).
pub const MAX_SOLVE_WORK: u64 = 20_000_000_000;

/// The largest order of a Markov attribution.
pub const MAX_ORDER: usize = 3;

/// The largest number of channels of a migration matrix (it is dense, square in the
/// channels).
pub const MAX_MIGRATION_CHANNELS: usize = 1_000;

// ---------------------------------------------------------------------------------
// Channel analysis
// ---------------------------------------------------------------------------------

/// One purchase with the channel it was made through.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelPurchase<C, K> {
    /// The customer's id.
    pub customer: C,
    /// The day of the purchase.
    pub day: Day,
    /// The amount spent: finite and zero or more.
    pub amount: f64,
    /// The channel (store, web, app, ...).
    pub channel: K,
}

/// Purchases with channels, validated once: customers in first-seen order, channels
/// sorted (by `K`'s `Ord`), each customer's rows in day order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelLog<C, K> {
    customers: Vec<C>,
    channels: Vec<K>,
    /// `offsets[i]..offsets[i + 1]` are customer `i`'s rows.
    offsets: Vec<usize>,
    days: Vec<Day>,
    amounts: Vec<f64>,
    channel_of: Vec<u32>,
}

/// One channel of one customer's mix.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ChannelShare {
    /// The channel: an index into [`ChannelMix::channels`] (and [`ChannelLog::channels`]).
    pub channel: usize,
    /// Orders through the channel.
    pub orders: u64,
    /// Spend through the channel.
    pub spend: f64,
    /// The channel's share of the customer's orders.
    pub order_share: f64,
    /// The channel's share of the customer's spend (0 when the customer spent nothing).
    pub spend_share: f64,
}

/// Every customer's channel mix ([`ChannelLog::mix`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ChannelMix<C, K> {
    customers: Vec<C>,
    channels: Vec<K>,
    offsets: Vec<usize>,
    shares: Vec<ChannelShare>,
}

impl<C, K> ChannelMix<C, K> {
    /// The number of customers.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether there are no customers (never, for a mix from a log).
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// The channels, sorted; [`ChannelShare::channel`] indexes them.
    pub fn channels(&self) -> &[K] {
        &self.channels
    }

    /// Customer `index` (in the log's first-seen order) and their channels, in channel
    /// order; `None` past the last customer.
    pub fn customer(&self, index: usize) -> Option<(&C, &[ChannelShare])> {
        let c = self.customers.get(index)?;
        Some((
            c,
            &self.shares[self.offsets[index]..self.offsets[index + 1]],
        ))
    }

    /// Every customer with their channels.
    pub fn iter(&self) -> impl Iterator<Item = (&C, &[ChannelShare])> {
        (0..self.len()).filter_map(|i| self.customer(i))
    }
}

/// Customers, orders and spend of a group of customers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GroupValue {
    /// Customers in the group.
    pub customers: usize,
    /// Their orders.
    pub orders: u64,
    /// Their spend.
    pub spend: f64,
    /// Spend per customer (0 for an empty group).
    pub mean_spend: f64,
    /// Orders per customer (0 for an empty group).
    pub mean_orders: f64,
}

impl GroupValue {
    fn add(&mut self, orders: u64, spend: f64) {
        self.customers += 1;
        self.orders += orders;
        self.spend += spend;
    }

    fn finish(mut self) -> Self {
        if self.customers > 0 {
            self.mean_spend = self.spend / self.customers as f64;
            self.mean_orders = self.orders as f64 / self.customers as f64;
        }
        self
    }
}

/// The customers who bought through exactly one combination of channels.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Combination<K> {
    /// The channels, sorted.
    pub channels: Vec<K>,
    /// The customers who bought through exactly these channels, and their value.
    pub value: GroupValue,
}

/// Single- vs multi-channel customers and their value ([`ChannelLog::multichannel`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MultiChannel<K> {
    /// Customers who bought through one channel.
    pub single: GroupValue,
    /// Customers who bought through two or more.
    pub multi: GroupValue,
    /// Every combination of channels customers bought through, most customers first
    /// (ties by the channels, in order); combinations of one channel are the
    /// single-channel customers per channel.
    pub combinations: Vec<Combination<K>>,
}

/// Which channel stands for a customer in a period, for [`ChannelLog::migration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Dominant {
    /// The channel with the most spend in the period (ties: the most orders, then the
    /// first channel in order).
    #[default]
    Spend,
    /// The channel with the most orders in the period (ties: the most spend, then the
    /// first channel in order).
    Orders,
    /// The channel of the period's first purchase (same-day purchases in input order).
    First,
}

/// Channel migration ([`ChannelLog::migration`]): counts of customer-period
/// transitions between dominant channels from one period to the next.
///
/// Rows are the channel in period `p`, columns the channel in period `p + 1`; index
/// [`inactive`](Self::inactive) (after the channels) is a period without a purchase.
/// A customer contributes a transition for each pair of consecutive periods from the
/// period of their first purchase to the log's last period, so a customer who stops
/// buying moves to inactive and stays there, and one who returns moves from inactive
/// to a channel.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Migration<K> {
    /// The channels, sorted.
    pub channels: Vec<K>,
    /// The period.
    pub period: Period,
    /// Transition counts, `(channels + 1) x (channels + 1)`, the last row and column
    /// inactive.
    pub counts: Array2<u64>,
}

impl<K> Migration<K> {
    /// The index of the inactive state (the number of channels).
    pub fn inactive(&self) -> usize {
        self.channels.len()
    }

    /// The count of transitions from `from` to `to`, channel indices or `None` for
    /// inactive (0 for an index past the channels).
    pub fn count(&self, from: Option<usize>, to: Option<usize>) -> u64 {
        let i = from.unwrap_or(self.inactive());
        let j = to.unwrap_or(self.inactive());
        self.counts.get((i, j)).copied().unwrap_or(0)
    }

    /// The transition matrix: each row of counts divided by its total (a row without
    /// transitions is all 0).
    pub fn rates(&self) -> Array2<f64> {
        let mut rates = self.counts.mapv(|c| c as f64);
        for mut row in rates.rows_mut() {
            let total: f64 = row.sum();
            if total > 0.0 {
                row.mapv_inplace(|c| c / total);
            }
        }
        rates
    }
}

/// Interns values in first-seen order, then renumbers them in `Ord` order: returns the
/// sorted values and each input's index among them.
fn intern_sorted<'a, K: Eq + Hash + Clone + Ord + 'a>(
    values: impl Iterator<Item = &'a K>,
    hint: usize,
) -> (Vec<K>, Vec<u32>) {
    let mut index: KeyedMap<&K, u32> = KeyedMap::with_capacity_and_hasher(16, Default::default());
    let mut seen: Vec<&K> = Vec::new();
    let mut ids = Vec::with_capacity(hint);
    for v in values {
        let next = seen.len() as u32;
        let id = *index.entry(v).or_insert_with(|| {
            seen.push(v);
            next
        });
        ids.push(id);
    }
    let mut order: Vec<u32> = (0..seen.len() as u32).collect();
    order.sort_by(|&a, &b| seen[a as usize].cmp(seen[b as usize]));
    let mut rank = vec![0u32; seen.len()];
    for (r, &o) in order.iter().enumerate() {
        rank[o as usize] = r as u32;
    }
    for id in &mut ids {
        *id = rank[*id as usize];
    }
    let sorted = order.iter().map(|&o| seen[o as usize].clone()).collect();
    (sorted, ids)
}

impl<C: Eq + Hash + Clone, K: Eq + Hash + Clone + Ord> ChannelLog<C, K> {
    /// Validates purchases (in any order) and indexes them by customer and channel.
    ///
    /// # Errors
    /// [`Error::Empty`] without rows; [`Error::NonFinite`] / [`Error::Negative`] naming
    /// `amount` and the row of a NaN, infinite or negative amount;
    /// [`Error::LimitExceeded`] for more than `u32::MAX` rows.
    pub fn new(rows: &[ChannelPurchase<C, K>]) -> Result<Self> {
        Self::build(
            rows.len(),
            |i| &rows[i].customer,
            |i| rows[i].day,
            |i| rows[i].amount,
            rows.iter().map(|r| &r.channel),
        )
    }

    /// The log from columns, one row per purchase: customer ids, days, amounts and
    /// channels.
    ///
    /// # Errors
    /// As [`new`](Self::new), and [`Error::LengthMismatch`] naming `days`, `amounts`
    /// or `channels` when a column's length differs from `customers`'.
    pub fn from_columns(
        customers: &[C],
        days: &[Day],
        amounts: &[f64],
        channels: &[K],
    ) -> Result<Self> {
        validate::same_len("days", customers.len(), days.len())?;
        validate::same_len("amounts", customers.len(), amounts.len())?;
        validate::same_len("channels", customers.len(), channels.len())?;
        Self::build(
            customers.len(),
            |i| &customers[i],
            |i| days[i],
            |i| amounts[i],
            channels.iter(),
        )
    }

    fn build<'a>(
        n: usize,
        customer: impl Fn(usize) -> &'a C,
        day: impl Fn(usize) -> Day,
        amount: impl Fn(usize) -> f64,
        channels: impl Iterator<Item = &'a K>,
    ) -> Result<Self>
    where
        C: 'a,
        K: 'a,
    {
        if n == 0 {
            return Err(Error::Empty { field: "purchases" });
        }
        Error::check_limit(
            "purchases",
            n as i64,
            u32::MAX as usize,
            "split the purchases",
        )?;
        for row in 0..n {
            validate::non_negative("amount", row, amount(row))?;
        }
        let mut index: KeyedMap<&C, u32> =
            KeyedMap::with_capacity_and_hasher(n / 4 + 16, Default::default());
        let mut customers: Vec<C> = Vec::new();
        let mut cust = Vec::with_capacity(n);
        for row in 0..n {
            let c = customer(row);
            let next = customers.len() as u32;
            let id = *index.entry(c).or_insert_with(|| {
                customers.push(c.clone());
                next
            });
            cust.push(id);
        }
        let (channel_values, channel_ids) = intern_sorted(channels, n);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by_key(|&r| (cust[r as usize], day(r as usize), r));
        let mut offsets = vec![0usize; customers.len() + 1];
        for &c in &cust {
            offsets[c as usize + 1] += 1;
        }
        for i in 0..customers.len() {
            offsets[i + 1] += offsets[i];
        }
        Ok(Self {
            customers,
            channels: channel_values,
            offsets,
            days: order.iter().map(|&r| day(r as usize)).collect(),
            amounts: order.iter().map(|&r| amount(r as usize)).collect(),
            channel_of: order.iter().map(|&r| channel_ids[r as usize]).collect(),
        })
    }
}

impl<C, K> ChannelLog<C, K> {
    /// The customers, in first-seen order.
    pub fn customers(&self) -> &[C] {
        &self.customers
    }

    /// The channels, sorted.
    pub fn channels(&self) -> &[K] {
        &self.channels
    }

    /// The number of purchases.
    pub fn n_rows(&self) -> usize {
        self.days.len()
    }

    fn rows(&self, customer: usize) -> std::ops::Range<usize> {
        self.offsets[customer]..self.offsets[customer + 1]
    }

    /// One customer's (channel, orders, spend), in channel order.
    fn per_channel(&self, customer: usize, into: &mut Vec<(u32, u64, f64)>) {
        into.clear();
        for r in self.rows(customer) {
            let ch = self.channel_of[r];
            match into.iter_mut().find(|e| e.0 == ch) {
                Some(e) => {
                    e.1 += 1;
                    e.2 += self.amounts[r];
                }
                None => into.push((ch, 1, self.amounts[r])),
            }
        }
        into.sort_unstable_by_key(|e| e.0);
    }
}

impl<C: Clone, K: Clone + Ord> ChannelLog<C, K> {
    /// Every customer's orders and spend per channel and their shares.
    pub fn mix(&self) -> ChannelMix<C, K> {
        let mut offsets = Vec::with_capacity(self.customers.len() + 1);
        let mut shares = Vec::new();
        let mut buf = Vec::new();
        offsets.push(0);
        for i in 0..self.customers.len() {
            self.per_channel(i, &mut buf);
            let orders: u64 = buf.iter().map(|e| e.1).sum();
            let spend: f64 = buf.iter().map(|e| e.2).sum();
            shares.extend(buf.iter().map(|&(ch, o, s)| ChannelShare {
                channel: ch as usize,
                orders: o,
                spend: s,
                order_share: o as f64 / orders as f64,
                spend_share: if spend > 0.0 { s / spend } else { 0.0 },
            }));
            offsets.push(shares.len());
        }
        ChannelMix {
            customers: self.customers.clone(),
            channels: self.channels.clone(),
            offsets,
            shares,
        }
    }

    /// Single- vs multi-channel customers and their value, and the value of every
    /// combination of channels customers bought through.
    pub fn multichannel(&self) -> MultiChannel<K> {
        let mut single = GroupValue::default();
        let mut multi = GroupValue::default();
        let mut index: KeyedMap<Vec<u32>, usize> = KeyedMap::default();
        let mut combos: Vec<(Vec<u32>, GroupValue)> = Vec::new();
        let mut buf = Vec::new();
        for i in 0..self.customers.len() {
            self.per_channel(i, &mut buf);
            let orders: u64 = buf.iter().map(|e| e.1).sum();
            let spend: f64 = buf.iter().map(|e| e.2).sum();
            if buf.len() == 1 {
                single.add(orders, spend);
            } else {
                multi.add(orders, spend);
            }
            let key: Vec<u32> = buf.iter().map(|e| e.0).collect();
            let at = match index.get(&key) {
                Some(&at) => at,
                None => {
                    index.insert(key.clone(), combos.len());
                    combos.push((key, GroupValue::default()));
                    combos.len() - 1
                }
            };
            combos[at].1.add(orders, spend);
        }
        combos.sort_by(|a, b| {
            b.1.customers
                .cmp(&a.1.customers)
                .then_with(|| a.0.cmp(&b.0))
        });
        MultiChannel {
            single: single.finish(),
            multi: multi.finish(),
            combinations: combos
                .into_iter()
                .map(|(key, value)| Combination {
                    channels: key
                        .iter()
                        .map(|&c| self.channels[c as usize].clone())
                        .collect(),
                    value: value.finish(),
                })
                .collect(),
        }
    }

    /// Channel migration between consecutive periods (see [`Migration`]): each
    /// customer's dominant channel per period by `dominant`, counted from each period
    /// to the next, with inactive periods between and after purchases (up to the
    /// period of the log's last purchase).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for more than [`MAX_MIGRATION_CHANNELS`] channels.
    pub fn migration(&self, period: Period, dominant: Dominant) -> Result<Migration<K>> {
        let k = self.channels.len();
        Error::check_limit(
            "channels of a migration matrix",
            k as i64,
            MAX_MIGRATION_CHANNELS,
            "group the channels into fewer labels",
        )?;
        let inactive = k;
        let mut counts = Array2::<u64>::zeros((k + 1, k + 1));
        let last = self
            .days
            .iter()
            .max()
            .map_or(0, |&d| i64::from(period.index(d)));
        // (channel, orders, spend, first position) of one period.
        let mut buf: Vec<(u32, u64, f64, usize)> = Vec::new();
        for i in 0..self.customers.len() {
            let rows = self.rows(i);
            let mut previous: Option<(i64, usize)> = None;
            let mut r = rows.start;
            while r < rows.end {
                let p = i64::from(period.index(self.days[r]));
                buf.clear();
                while r < rows.end && i64::from(period.index(self.days[r])) == p {
                    let ch = self.channel_of[r];
                    match buf.iter_mut().find(|e| e.0 == ch) {
                        Some(e) => {
                            e.1 += 1;
                            e.2 += self.amounts[r];
                        }
                        None => buf.push((ch, 1, self.amounts[r], r)),
                    }
                    r += 1;
                }
                let best = buf.iter().copied().reduce(|a, b| {
                    let better = match dominant {
                        Dominant::Spend => {
                            b.2.total_cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0))
                        }
                        Dominant::Orders => {
                            b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0))
                        }
                        Dominant::First => a.3.cmp(&b.3),
                    };
                    if better == std::cmp::Ordering::Greater {
                        b
                    } else {
                        a
                    }
                });
                let ch = best.map_or(0, |b| b.0 as usize);
                if let Some((q, from)) = previous {
                    add_gap(&mut counts, from, ch, p - q, inactive);
                }
                previous = Some((p, ch));
            }
            if let Some((q, from)) = previous
                && last > q
            {
                counts[(from, inactive)] += 1;
                counts[(inactive, inactive)] += (last - q - 1) as u64;
            }
        }
        Ok(Migration {
            channels: self.channels.clone(),
            period,
            counts,
        })
    }
}

/// Transitions from channel `from` in a period to channel `to` `gap` periods later,
/// with inactive periods between.
fn add_gap(counts: &mut Array2<u64>, from: usize, to: usize, gap: i64, inactive: usize) {
    if gap == 1 {
        counts[(from, to)] += 1;
    } else {
        counts[(from, inactive)] += 1;
        counts[(inactive, inactive)] += (gap - 2) as u64;
        counts[(inactive, to)] += 1;
    }
}

// ---------------------------------------------------------------------------------
// Attribution
// ---------------------------------------------------------------------------------

/// One customer journey: touchpoints in order, each a channel, ending in a conversion
/// or not.
///
/// ```
/// use patronage::channels::Journey;
/// use patronage::Day;
/// let days = [Day(1), Day(5)];
/// let j = Journey::new(&["display", "search"], true)
///     .with_value(80.0)
///     .with_days(&days)
///     .with_conversion_day(Day(6));
/// assert_eq!((j.channels.len(), j.value), (2, 80.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Journey<'a, K> {
    /// The channels of the touchpoints, first touch first (at least one).
    pub channels: &'a [K],
    /// Whether the journey ended in a conversion.
    pub converted: bool,
    /// The conversion's value: finite, zero or more, and 0 without a conversion.
    pub value: f64,
    /// The day of each touchpoint, in order (needed by [`Rule::TimeDecay`]).
    pub days: Option<&'a [Day]>,
    /// The day of the conversion (on or after the last touch; [`Rule::TimeDecay`]
    /// measures from it, or from the last touch without it).
    pub conversion_day: Option<Day>,
}

impl<'a, K> Journey<'a, K> {
    /// A journey through `channels`, converting or not, without value or days.
    pub fn new(channels: &'a [K], converted: bool) -> Self {
        Self {
            channels,
            converted,
            value: 0.0,
            days: None,
            conversion_day: None,
        }
    }

    /// The same journey with a conversion value.
    pub fn with_value(mut self, value: f64) -> Self {
        self.value = value;
        self
    }

    /// The same journey with the day of each touchpoint.
    pub fn with_days(mut self, days: &'a [Day]) -> Self {
        self.days = Some(days);
        self
    }

    /// The same journey with the day of its conversion.
    pub fn with_conversion_day(mut self, day: Day) -> Self {
        self.conversion_day = Some(day);
        self
    }
}

/// Journeys validated once, identical paths counted together ([`Journeys::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Journeys<K> {
    channels: Vec<K>,
    /// Distinct paths: channel indices, `offsets[p]..offsets[p + 1]`.
    touches: Vec<u32>,
    offsets: Vec<usize>,
    conversions: Vec<u64>,
    nulls: Vec<u64>,
    values: Vec<f64>,
    /// Converting journeys with days: their path, value and touch ages (days before
    /// the conversion), `age_offsets[j]..age_offsets[j + 1]`.
    dated_path: Vec<u32>,
    dated_value: Vec<f64>,
    ages: Vec<f64>,
    age_offsets: Vec<usize>,
    /// The first converting journey without days, if any.
    undated: Option<usize>,
    journeys: usize,
    total_conversions: u64,
    total_value: f64,
}

impl<K: Eq + Hash + Clone + Ord> Journeys<K> {
    /// Validates journeys and counts identical paths together (cost linear in the
    /// touchpoints; later work grows with the distinct paths).
    ///
    /// # Errors
    /// [`Error::Empty`] without journeys; naming the journey's row:
    /// [`Error::InvalidValue`] for a journey without touchpoints (`channels`), a value
    /// on a journey that did not convert (`value`), days not one per touchpoint, out of
    /// order, or after the conversion day (`days`); [`Error::NonFinite`] /
    /// [`Error::Negative`] for a NaN, infinite or negative value;
    /// [`Error::LimitExceeded`] for more than `u32::MAX` distinct paths or touchpoints
    /// in one path.
    pub fn new(journeys: &[Journey<'_, K>]) -> Result<Self> {
        if journeys.is_empty() {
            return Err(Error::Empty { field: "journeys" });
        }
        for (row, j) in journeys.iter().enumerate() {
            check_journey(row, j)?;
        }
        // Distinct paths, first-seen.
        let mut index: KeyedMap<&[K], u32> =
            KeyedMap::with_capacity_and_hasher(journeys.len().min(1 << 16), Default::default());
        let mut paths: Vec<&[K]> = Vec::new();
        let mut conversions: Vec<u64> = Vec::new();
        let mut nulls: Vec<u64> = Vec::new();
        let mut values: Vec<f64> = Vec::new();
        let mut path_of = Vec::with_capacity(journeys.len());
        for j in journeys {
            let next = paths.len();
            let p = *index.entry(j.channels).or_insert_with(|| {
                paths.push(j.channels);
                conversions.push(0);
                nulls.push(0);
                values.push(0.0);
                next as u32
            }) as usize;
            if j.converted {
                conversions[p] += 1;
                values[p] += j.value;
            } else {
                nulls[p] += 1;
            }
            path_of.push(p as u32);
        }
        Error::check_limit(
            "distinct paths",
            paths.len() as i64,
            u32::MAX as usize - 1,
            "split the journeys",
        )?;
        let n_touches: usize = paths.iter().map(|p| p.len()).sum();
        let (channels, touches) = intern_sorted(paths.iter().flat_map(|p| p.iter()), n_touches);
        let mut offsets = Vec::with_capacity(paths.len() + 1);
        offsets.push(0);
        for p in &paths {
            offsets.push(offsets[offsets.len() - 1] + p.len());
        }
        let mut dated_path = Vec::new();
        let mut dated_value = Vec::new();
        let mut ages = Vec::new();
        let mut age_offsets = vec![0];
        let mut undated = None;
        for (row, j) in journeys.iter().enumerate() {
            if !j.converted {
                continue;
            }
            match j.days {
                Some(days) => {
                    let reference = j
                        .conversion_day
                        .or_else(|| days.last().copied())
                        .unwrap_or_default();
                    dated_path.push(path_of[row]);
                    dated_value.push(j.value);
                    ages.extend(days.iter().map(|d| reference.days_since(*d) as f64));
                    age_offsets.push(ages.len());
                }
                None => {
                    undated.get_or_insert(row);
                }
            }
        }
        Ok(Self {
            channels,
            touches,
            offsets,
            total_conversions: conversions.iter().sum(),
            total_value: values.iter().sum(),
            conversions,
            nulls,
            values,
            dated_path,
            dated_value,
            ages,
            age_offsets,
            undated,
            journeys: journeys.len(),
        })
    }
}

fn check_journey<K>(row: usize, j: &Journey<'_, K>) -> Result<()> {
    let n = j.channels.len();
    if n == 0 {
        return Err(validate::invalid_value(
            "channels",
            row,
            0.0,
            "a journey needs at least one touchpoint",
        ));
    }
    validate::non_negative("value", row, j.value)?;
    if !j.converted && j.value != 0.0 {
        return Err(validate::invalid_value(
            "value",
            row,
            j.value,
            "a journey that did not convert has no conversion value",
        ));
    }
    if let Some(days) = j.days {
        if days.len() != n {
            return Err(Error::InvalidValue {
                field: "days",
                row,
                value: days.len() as f64,
                reason: format!(
                    "{} days for {n} touchpoints: give one day per touchpoint",
                    days.len()
                ),
            });
        }
        if let Some(w) = days.windows(2).find(|w| w[1] < w[0]) {
            return Err(validate::invalid_value(
                "days",
                row,
                f64::from(w[1].0),
                "touchpoint days must not decrease",
            ));
        }
        if let (Some(c), Some(&last)) = (j.conversion_day, days.last())
            && c < last
        {
            return Err(validate::invalid_value(
                "days",
                row,
                f64::from(c.0),
                "the conversion day is before the last touchpoint",
            ));
        }
    }
    Ok(())
}

/// A rule-based attribution ([`Journeys::attribute`]). Each converting journey's
/// conversion (1) and value are split over its touchpoints by weights that sum to 1;
/// a channel touched several times gets the weights of every touch. Journeys that did
/// not convert get nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Rule {
    /// All to the first touch.
    FirstTouch,
    /// All to the last touch.
    LastTouch,
    /// `1 / n` to each of the `n` touches (ChannelAttribution's `linear_touch`).
    Linear,
    /// Touch `i` weighs `2^(-a_i / h)` before normalising, where `a_i` is its age in
    /// days at the conversion (the conversion day minus its day; the last touch's day
    /// when the journey has no conversion day) and `h` the half-life: a touch `h` days
    /// older than another gets half its weight. Every converting journey needs days.
    TimeDecay {
        /// The half-life in days (finite, > 0).
        half_life_days: f64,
    },
    /// `first` to the first touch, `last` to the last and the rest, `1 - first - last`,
    /// split equally over the touches between. A journey of one touch gives it all; of
    /// two, `first / (first + last)` and `last / (first + last)` (half each when both
    /// are 0).
    PositionBased {
        /// The first touch's share (finite, >= 0).
        first: f64,
        /// The last touch's share (finite, >= 0, `first + last <= 1`).
        last: f64,
    },
}

impl Rule {
    /// Position based, 40% first, 40% last, 20% between: the common U-shaped rule.
    pub fn position_based() -> Self {
        Rule::PositionBased {
            first: 0.4,
            last: 0.4,
        }
    }

    /// Time decay with a half-life of `half_life_days` (7 is common).
    pub fn time_decay(half_life_days: f64) -> Self {
        Rule::TimeDecay { half_life_days }
    }

    fn check(&self) -> Result<()> {
        match *self {
            Rule::TimeDecay { half_life_days } => {
                validate::argument("half_life_days", half_life_days, true)
            }
            Rule::PositionBased { first, last } => {
                validate::argument("first", first, false)?;
                validate::argument("last", last, false)?;
                if first + last > 1.0 {
                    return Err(Error::InvalidParameter {
                        name: "last",
                        value: last.to_string(),
                        reason: format!(
                            "first + last is {}: the shares must sum to at most 1",
                            first + last
                        ),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Conversions and value attributed to each channel.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Attribution<K> {
    /// The channels, sorted.
    pub channels: Vec<K>,
    /// Conversions credited to each channel; they sum to the journeys' conversions.
    pub conversions: Vec<f64>,
    /// Value credited to each channel; it sums to the journeys' value.
    pub value: Vec<f64>,
}

impl<K: Ord> Attribution<K> {
    /// The conversions and value credited to `channel` (`None` for a channel not in
    /// the journeys).
    pub fn get(&self, channel: &K) -> Option<(f64, f64)> {
        let i = self.channels.binary_search(channel).ok()?;
        Some((self.conversions[i], self.value[i]))
    }
}

impl<K> Journeys<K> {
    /// The channels, sorted: the order of every attribution's columns.
    pub fn channels(&self) -> &[K] {
        &self.channels
    }

    /// The number of journeys.
    pub fn len(&self) -> usize {
        self.journeys
    }

    /// Whether there are no journeys (never, for validated journeys).
    pub fn is_empty(&self) -> bool {
        self.journeys == 0
    }

    /// The number of distinct paths.
    pub fn distinct_paths(&self) -> usize {
        self.conversions.len()
    }

    /// The number of converting journeys.
    pub fn conversions(&self) -> u64 {
        self.total_conversions
    }

    /// The total conversion value.
    pub fn value(&self) -> f64 {
        self.total_value
    }

    fn path(&self, p: usize) -> &[u32] {
        &self.touches[self.offsets[p]..self.offsets[p + 1]]
    }
}

impl<K: Clone> Journeys<K> {
    /// Attributes conversions and value by a rule (see [`Rule`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a rule's parameter out of range;
    /// [`Error::InvalidValue`] naming `days` and the row of a converting journey
    /// without days, for [`Rule::TimeDecay`].
    pub fn attribute(&self, rule: &Rule) -> Result<Attribution<K>> {
        rule.check()?;
        let k = self.channels.len();
        let mut conversions = vec![0.0; k];
        let mut value = vec![0.0; k];
        let mut weights = Vec::new();
        let mut credit = |path: &[u32], weights: &[f64], n: f64, v: f64| {
            for (&c, &w) in path.iter().zip(weights) {
                conversions[c as usize] += w * n;
                value[c as usize] += w * v;
            }
        };
        if let Rule::TimeDecay { half_life_days } = *rule {
            if let Some(row) = self.undated {
                return Err(validate::invalid_value(
                    "days",
                    row,
                    0.0,
                    "time decay needs the day of every touchpoint of a converting journey",
                ));
            }
            for (j, &p) in self.dated_path.iter().enumerate() {
                let ages = &self.ages[self.age_offsets[j]..self.age_offsets[j + 1]];
                // Relative to the youngest touch: the largest weight is 1, so the sum
                // never underflows.
                let youngest = ages.iter().copied().fold(f64::INFINITY, f64::min);
                weights.clear();
                weights.extend(
                    ages.iter()
                        .map(|a| (-(a - youngest) / half_life_days).exp2()),
                );
                let total: f64 = weights.iter().sum();
                weights.iter_mut().for_each(|w| *w /= total);
                credit(self.path(p as usize), &weights, 1.0, self.dated_value[j]);
            }
        } else {
            for p in 0..self.distinct_paths() {
                if self.conversions[p] == 0 {
                    continue;
                }
                let path = self.path(p);
                let n = path.len();
                weights.clear();
                weights.resize(n, 0.0);
                match *rule {
                    Rule::FirstTouch => weights[0] = 1.0,
                    Rule::LastTouch => weights[n - 1] = 1.0,
                    Rule::Linear => weights.fill(1.0 / n as f64),
                    Rule::PositionBased { first, last } => match n {
                        1 => weights[0] = 1.0,
                        2 if first + last > 0.0 => {
                            weights[0] = first / (first + last);
                            weights[1] = last / (first + last);
                        }
                        2 => weights.fill(0.5),
                        _ => {
                            weights.fill((1.0 - first - last) / (n - 2) as f64);
                            weights[0] = first;
                            weights[n - 1] = last;
                        }
                    },
                    Rule::TimeDecay { .. } => {}
                }
                credit(path, &weights, self.conversions[p] as f64, self.values[p]);
            }
        }
        Ok(Attribution {
            channels: self.channels.clone(),
            conversions,
            value,
        })
    }
}

/// The Markov-chain removal-effect attribution of Anderl et al. (2016), exact (see
/// the [module docs](self#the-markov-chain-removal-effect)).
///
/// ```
/// use patronage::channels::{Journey, Journeys, Markov};
/// let journeys = Journeys::new(&[
///     Journey::new(&["a", "b"], true),
///     Journey::new(&["b"], false),
/// ])?;
/// let fit = Markov::order(1).attribute(&journeys)?;
/// // P(conversion) = 1/2; without a, 1/4; without b, 0.
/// assert_eq!(fit.removal_effects, vec![0.5, 1.0]);
/// assert!((fit.conversions[0] - 1.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Markov {
    order: usize,
    max_states: usize,
}

/// A Markov removal-effect attribution ([`Markov::attribute`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MarkovAttribution<K> {
    /// The channels, sorted.
    pub channels: Vec<K>,
    /// Conversions credited to each channel (removal effects normalised to the total
    /// conversions).
    pub conversions: Vec<f64>,
    /// Value credited to each channel (value removal effects normalised to the total
    /// value).
    pub value: Vec<f64>,
    /// Each channel's removal effect, `1 - P_c(conversion) / P(conversion)`, in
    /// `[0, 1]` (0 for all when nothing converted).
    pub removal_effects: Vec<f64>,
    /// Each channel's value removal effect (0 for all when the value is 0).
    pub value_removal_effects: Vec<f64>,
    /// `P(conversion)` of the chain: the journeys' conversion rate (for maximum
    /// likelihood transition probabilities the two are equal).
    pub conversion_probability: f64,
    /// The order.
    pub order: usize,
    /// The number of distinct (transient) states.
    pub states: usize,
}

impl Default for Markov {
    fn default() -> Self {
        Self::order(1)
    }
}

impl Markov {
    /// A Markov model of order `order` (1 to [`MAX_ORDER`]; checked by
    /// [`attribute`](Self::attribute)).
    pub fn order(order: usize) -> Self {
        Self {
            order,
            max_states: MAX_STATES,
        }
    }

    /// Stops with [`Error::LimitExceeded`] above `max_states` distinct states (1 to
    /// [`MAX_STATES`], the default), to bound time and memory lower.
    pub fn max_states(mut self, max_states: usize) -> Self {
        self.max_states = max_states;
        self
    }

    /// Attributes the journeys' conversions and value by removal effects.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an order outside 1 to [`MAX_ORDER`] or
    /// `max_states` outside 1 to [`MAX_STATES`]; [`Error::LimitExceeded`] when the
    /// journeys have more distinct states than `max_states`, or (orders 2 and 3) when
    /// the per-channel solves would take more than [`MAX_SOLVE_WORK`] operations.
    pub fn attribute<K: Clone>(&self, journeys: &Journeys<K>) -> Result<MarkovAttribution<K>> {
        Error::check_count("order", self.order, 1, "MAX_ORDER", MAX_ORDER)?;
        Error::check_count("max_states", self.max_states, 1, "MAX_STATES", MAX_STATES)?;
        let chain = Chain::new(journeys, self.order, self.max_states)?;
        let (base, _, effects) = if self.order == 1 {
            chain.order_one()?
        } else {
            chain.by_removal(journeys.channels.len())?
        };
        let removal_effects: Vec<f64> = effects.iter().map(|e| e.0).collect();
        let value_removal_effects: Vec<f64> = effects.iter().map(|e| e.1).collect();
        let share = |effects: &[f64], total: f64| -> Vec<f64> {
            let sum: f64 = effects.iter().sum();
            effects
                .iter()
                .map(|e| if sum > 0.0 { e / sum * total } else { 0.0 })
                .collect()
        };
        Ok(MarkovAttribution {
            channels: journeys.channels.clone(),
            conversions: share(&removal_effects, journeys.total_conversions as f64),
            value: share(&value_removal_effects, journeys.total_value),
            removal_effects,
            value_removal_effects,
            conversion_probability: base,
            order: self.order,
            states: chain.n,
        })
    }
}

/// P(conversion), the expected conversion value, and per channel its (conversion,
/// value) removal effects.
type Effects = (f64, f64, Vec<(f64, f64)>);

/// A solution `X` row-major and the start distribution as (kept index, probability).
type Solution = (Vec<f64>, Vec<(usize, f64)>);

/// The Markov chain of a set of journeys: transient states `0..n`, counts of the
/// transitions between them and into conversion and null, and out of start.
struct Chain {
    n: usize,
    /// The channels of each state (sorted, deduplicated).
    members: Vec<Vec<u32>>,
    /// Sparse transitions between states: `(from, to, count)`, from start as
    /// `from = n`.
    edges: Vec<(u32, u32, f64)>,
    /// Per state: total count out, count into conversion, value into conversion.
    out: Vec<f64>,
    conv: Vec<f64>,
    value: Vec<f64>,
    /// Journeys (the count out of start).
    total: f64,
}

impl Chain {
    fn new<K>(journeys: &Journeys<K>, order: usize, max_states: usize) -> Result<Self> {
        let limit = |size: usize| Error::LimitExceeded {
            what: "distinct states of the Markov chain",
            size: size as u64,
            limit: max_states as u64,
            hint: "use a lower order, or group channels into fewer labels",
        };
        // Channel ids take 20 bits of a state key.
        if journeys.channels.len() >= 1 << 20 {
            return Err(limit(journeys.channels.len().div_ceil(order)));
        }
        let mut index: std::collections::HashMap<u64, u32> = std::collections::HashMap::new();
        let mut members: Vec<Vec<u32>> = Vec::new();
        let mut pairs: std::collections::HashMap<(u32, u32), f64> =
            std::collections::HashMap::new();
        let mut n_start: Vec<f64> = Vec::new();
        let mut out: Vec<f64> = Vec::new();
        let mut conv: Vec<f64> = Vec::new();
        let mut value: Vec<f64> = Vec::new();
        let mut total = 0.0;
        for p in 0..journeys.distinct_paths() {
            let path = journeys.path(p);
            let (c, nl) = (journeys.conversions[p] as f64, journeys.nulls[p] as f64);
            let w = c + nl;
            total += w;
            let windows = if path.len() < order {
                1
            } else {
                path.len() - order + 1
            };
            let mut previous: Option<u32> = None;
            for s in 0..windows {
                let window = &path[s..(s + order).min(path.len())];
                let key = window
                    .iter()
                    .fold(window.len() as u64, |k, &c| k << 20 | u64::from(c));
                let next = members.len() as u32;
                let state = *index.entry(key).or_insert(next);
                if state == next {
                    if members.len() == max_states {
                        return Err(limit(max_states + 1));
                    }
                    let mut m = window.to_vec();
                    m.sort_unstable();
                    m.dedup();
                    members.push(m);
                    n_start.push(0.0);
                    out.push(0.0);
                    conv.push(0.0);
                    value.push(0.0);
                }
                match previous {
                    None => n_start[state as usize] += w,
                    Some(prev) if prev != state => {
                        *pairs.entry((prev, state)).or_insert(0.0) += w;
                        out[prev as usize] += w;
                    }
                    Some(_) => {} // a self-loop: dropped
                }
                previous = Some(state);
            }
            if let Some(last) = previous {
                out[last as usize] += w;
                conv[last as usize] += c;
                value[last as usize] += journeys.values[p];
            }
        }
        let n = members.len();
        let mut edges: Vec<(u32, u32, f64)> =
            pairs.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        edges.sort_unstable_by_key(|e| (e.0, e.1));
        edges.extend(
            n_start
                .iter()
                .enumerate()
                .filter(|e| *e.1 > 0.0)
                .map(|(s, &w)| (n as u32, s as u32, w)),
        );
        Ok(Self {
            n,
            members,
            edges,
            out,
            conv,
            value,
            total,
        })
    }

    /// Removal effects at order 1, where removing a channel removes one state: the
    /// probability that a converting walk visits state `c` is `h_c x_c / P(conversion)`,
    /// with `x_c` the probability of converting from `c` and `h_c` that of ever
    /// reaching `c` from start, `h_c = v_c / N_cc` (`N = (I - Q)^-1`, `v` the expected
    /// visits from start). One solve for every channel: `O(s^3)` in all. Returns
    /// P(conversion), the expected value, and (conversion, value) removal effects per
    /// channel.
    fn order_one(&self) -> Result<Effects> {
        let n = self.n;
        let keep = vec![true; n];
        let (x, from_start) = self.absorb(&keep, true)?;
        let cols = n + 2;
        let (mut p, mut value) = (0.0, 0.0);
        let mut visits = vec![0.0; n];
        for &(i, w) in &from_start {
            p += w * x[i * cols];
            value += w * x[i * cols + 1];
            for (v, nij) in visits.iter_mut().zip(&x[i * cols + 2..(i + 1) * cols]) {
                *v += w * nij;
            }
        }
        let mut effects = vec![(0.0, 0.0); n];
        for s in 0..n {
            let reach = visits[s] / x[s * cols + 2 + s];
            let c = self.members[s].first().map_or(0, |&c| c as usize);
            effects[c] = (
                effect(p - reach * x[s * cols], p),
                effect(value - reach * x[s * cols + 1], value),
            );
        }
        Ok((p, value, effects))
    }

    /// Removal effects at any order: one solve per channel on the states without it,
    /// after checking the work ([`MAX_SOLVE_WORK`]).
    fn by_removal(&self, n_channels: usize) -> Result<Effects> {
        let mut kept = vec![self.n; n_channels];
        for m in &self.members {
            for &c in m {
                kept[c as usize] -= 1;
            }
        }
        let work: f64 = kept
            .iter()
            .chain([&self.n])
            .map(|&m| (m as f64).powi(3) / 3.0)
            .sum();
        if work > MAX_SOLVE_WORK as f64 {
            return Err(Error::LimitExceeded {
                what: "floating-point operations of the removal-effect solves",
                size: work as u64,
                limit: MAX_SOLVE_WORK,
                hint: "use a lower order, group channels into fewer labels, or lower Markov::max_states",
            });
        }
        let conversion = |keep: &[bool]| -> Result<(f64, f64)> {
            let (x, from_start) = self.absorb(keep, false)?;
            Ok(from_start.iter().fold((0.0, 0.0), |(p, v), &(j, w)| {
                (p + w * x[j * 2], v + w * x[j * 2 + 1])
            }))
        };
        let (p, value) = conversion(&vec![true; self.n])?;
        let solve = |c: usize| -> Result<(f64, f64)> {
            let keep: Vec<bool> = self
                .members
                .iter()
                .map(|m| !m.contains(&(c as u32)))
                .collect();
            let (pc, vc) = conversion(&keep)?;
            Ok((effect(pc, p), effect(vc, value)))
        };
        #[cfg(feature = "parallel")]
        let effects: Vec<(f64, f64)> = {
            use rayon::prelude::*;
            (0..n_channels)
                .into_par_iter()
                .map(solve)
                .collect::<Result<_>>()?
        };
        #[cfg(not(feature = "parallel"))]
        let effects: Vec<(f64, f64)> = (0..n_channels).map(solve).collect::<Result<_>>()?;
        Ok((p, value, effects))
    }

    /// Solves `(I - Q) X = [r | r_value]` (and `| I` when `inverse`) on the states in
    /// `keep` (the others lead to null). Returns `X` row-major over the kept states
    /// (in state order) and the start distribution over them as (kept index,
    /// probability).
    fn absorb(&self, keep: &[bool], inverse: bool) -> Result<Solution> {
        let mut at = vec![usize::MAX; self.n];
        let mut m = 0;
        for (s, &k) in keep.iter().enumerate() {
            if k {
                at[s] = m;
                m += 1;
            }
        }
        let nrhs = if inverse { m + 2 } else { 2 };
        let cols = m + nrhs;
        let mut a = vec![0.0; m * cols];
        for (s, &i) in at.iter().enumerate() {
            if i == usize::MAX {
                continue;
            }
            a[i * cols + i] = 1.0;
            a[i * cols + m] = self.conv[s] / self.out[s];
            a[i * cols + m + 1] = self.value[s] / self.out[s];
            if inverse {
                a[i * cols + m + 2 + i] = 1.0;
            }
        }
        let start = self.n as u32;
        let mut from_start = Vec::new();
        for &(from, to, w) in &self.edges {
            let j = at[to as usize];
            if j == usize::MAX {
                continue;
            }
            if from == start {
                from_start.push((j, w / self.total));
            } else if at[from as usize] != usize::MAX {
                let i = at[from as usize];
                a[i * cols + j] -= w / self.out[from as usize];
            }
        }
        Ok((solve(&mut a, m, nrhs)?, from_start))
    }
}

/// The removal effect `1 - without / with`, in `[0, 1]` (0 when `with` is 0).
fn effect(without: f64, with: f64) -> f64 {
    if with > 0.0 {
        (1.0 - without / with).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Solves `A X = B` by Gaussian elimination with partial pivoting, where `a` holds
/// `[A | B]` row-major with `m + nrhs` columns; returns `X` row-major (`m x nrhs`).
fn solve(a: &mut [f64], m: usize, nrhs: usize) -> Result<Vec<f64>> {
    let cols = m + nrhs;
    for k in 0..m {
        let pivot = (k..m)
            .max_by(|&i, &j| a[i * cols + k].abs().total_cmp(&a[j * cols + k].abs()))
            .unwrap_or(k);
        if a[pivot * cols + k].abs() < 1e-300 {
            return Err(Error::InsufficientData {
                model: "markov attribution",
                reason: "the transition system is singular".into(),
            });
        }
        if pivot != k {
            for c in k..cols {
                a.swap(k * cols + c, pivot * cols + c);
            }
        }
        let (top, rest) = a.split_at_mut((k + 1) * cols);
        let row_k = &top[k * cols..];
        let d = row_k[k];
        for row in rest.chunks_exact_mut(cols) {
            let f = row[k] / d;
            if f != 0.0 {
                for (x, y) in row[k..].iter_mut().zip(&row_k[k..]) {
                    *x -= f * y;
                }
            }
        }
    }
    let mut x = vec![0.0; m * nrhs];
    for i in (0..m).rev() {
        let row = &a[i * cols..(i + 1) * cols];
        let (head, tail) = x.split_at_mut((i + 1) * nrhs);
        let xi = &mut head[i * nrhs..];
        xi.copy_from_slice(&row[m..]);
        for (j, &u) in row[i + 1..m].iter().enumerate() {
            if u != 0.0 {
                for (t, y) in xi.iter_mut().zip(&tail[j * nrhs..(j + 1) * nrhs]) {
                    *t -= u * y;
                }
            }
        }
        let d = row[i];
        xi.iter_mut().for_each(|t| *t /= d);
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_small_system() {
        // 2x + y = 3, x + 3y = 5 -> x = 0.8, y = 1.4
        let mut a = vec![2.0, 1.0, 3.0, 1.0, 3.0, 5.0];
        let x = solve(&mut a, 2, 1).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-15 && (x[1] - 1.4).abs() < 1e-15);
    }

    #[test]
    fn windows_follow_channel_attribution() {
        let j =
            Journeys::new(&[Journey::new(&[1, 2, 3], true), Journey::new(&[1], false)]).unwrap();
        let chain = Chain::new(&j, 2, MAX_STATES).unwrap();
        // (1, 2), (2, 3), and the short path's (1).
        assert_eq!(chain.members, vec![vec![0, 1], vec![1, 2], vec![0]]);
    }
}
