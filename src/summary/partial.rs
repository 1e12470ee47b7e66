//! The mergeable per-customer state of a summary ([`PartialSummary`]), for summaries
//! computed by partition and merged exactly.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The mergeable partial state of one customer's summary, for computing summaries over
/// partitions of the rows (e.g. as a distributed aggregate's state) and merging them.
///
/// The state is the customer's distinct purchase periods in the window, each with its
/// exact spend, plus the order count and first/last day: the part that does not merge
/// trivially is the set of distinct periods (two partitions can hold the same
/// customer-day), so it is kept as a sorted list and merged as a sorted union. Its size
/// grows with distinct purchase periods, not rows. Merging is associative and
/// commutative, and [`finish`](Self::finish) of a merge equals the one-pass summary
/// exactly (money included, thanks to the integer micro-unit sums).
///
/// ```
/// use patronage::summary::{PartialSummary, SummaryParams};
/// use patronage::transactions::Day;
/// let params = SummaryParams::new(Day(30));
/// let mut a = PartialSummary::default();
/// a.update(&params, Day(0), 10.0);
/// a.update(&params, Day(5), 4.0);
/// let mut b = PartialSummary::default();
/// b.update(&params, Day(5), 6.0); // same customer-day in another partition
/// b.update(&params, Day(40), 99.0); // after the observation end: ignored
/// a.merge(&b);
/// let row = a.finish(&params)?.unwrap(); // Some: `a` has purchases in the window
/// assert_eq!((row.frequency, row.recency, row.age, row.monetary_value), (1.0, 5.0, 30.0, 10.0));
/// assert_eq!(row.orders, 3);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// A state read with serde is checked as it loads: periods sorted and distinct, each
/// the period of an `i32` day (at most `2^32 - 1` from 0), spends `>= 0` and in all at
/// most the orders times [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT); no periods,
/// orders or days in an empty state, and otherwise at least one order per period and a
/// first day no later than the last. Refunds (per period: refunded amount and rows)
/// are sorted and distinct by period, at least one row of at most `MAX_AMOUNT` each;
/// the per-period purchase days, when present, are one ordered pair per period running
/// from the first day to the last. A state written before returns policies (no refunds,
/// no per-period days) loads as it was.
///
/// Refunds: [`update`](Self::update) records a negative amount as a refund of its
/// period, and [`finish_with`](Self::finish_with) reads the state under a
/// [`Returns`] policy. The state does not depend on the policy, so partitions merge
/// exactly whichever policy finishes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "PartialSummaryParts")
)]
pub struct PartialSummary {
    /// (period, spend in micro-units) of the periods with a purchase row, sorted by
    /// period, periods distinct.
    periods: Vec<(i64, i128)>,
    orders: u32,
    first_day: Option<Day>,
    last_day: Option<Day>,
    /// The first and last purchase day of each period of `periods`, aligned with it;
    /// empty in a state loaded from a file written before returns policies (whose
    /// periods are then all purchase periods: the first and last day suffice).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    bounds: Vec<(Day, Day)>,
    /// (period, refunded micro-units, refund rows) of the periods with a refund row,
    /// sorted by period, periods distinct.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    refunds: Vec<(i64, i128, u32)>,
}

/// The largest period magnitude: the period of an `i32` day counted from an `i32`
/// origin, in periods of at least one day.
const MAX_PERIOD: u64 = u32::MAX as u64;

/// The raw state of a [`PartialSummary`], field by field: what a query engine stores
/// as an aggregate's intermediate state (in its own columnar types) and rebuilds the
/// partial from on another partition or machine.
///
/// [`PartialSummary::into_parts`] takes a state apart and
/// `PartialSummary::try_from(parts)` rebuilds it, with the checks a state read with
/// serde gets (see [`PartialSummary`]), so a rebuilt state merges and finishes exactly
/// as the original. Money is in integer micro-units (1e-6 of a currency unit).
///
/// ```
/// use patronage::summary::{PartialSummary, PartialSummaryParts, SummaryParams};
/// use patronage::transactions::Day;
/// let params = SummaryParams::new(Day(30));
/// let mut a = PartialSummary::default();
/// a.update(&params, Day(2), 10.0);
/// a.update(&params, Day(9), 2.5);
/// let parts = a.clone().into_parts();
/// assert_eq!(parts.periods, vec![(-2, 10_000_000), (5, 2_500_000)]); // origin Day(4)
/// assert_eq!((parts.orders, parts.first_day, parts.last_day), (2, Some(Day(2)), Some(Day(9))));
/// let rebuilt = PartialSummary::try_from(parts)?;
/// assert_eq!(rebuilt, a);
/// let broken = PartialSummaryParts { orders: 0, ..a.into_parts() };
/// assert!(PartialSummary::try_from(broken).is_err()); // two periods need two orders
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct PartialSummaryParts {
    /// (period, spend in micro-units) of the periods with a purchase row, sorted by
    /// period, periods distinct.
    pub periods: Vec<(i64, i128)>,
    /// Purchase rows (saturating at `u32::MAX`).
    pub orders: u32,
    /// The first purchase day; `None` exactly when `periods` is empty.
    pub first_day: Option<Day>,
    /// The last purchase day; `None` exactly when `periods` is empty.
    pub last_day: Option<Day>,
    /// The first and last purchase day of each period of `periods`, aligned with it;
    /// may be empty (the days are then known only for the first and last period, which
    /// suffices for every policy but [`Returns::Net`] with refunds cancelling a
    /// boundary period).
    #[cfg_attr(feature = "serde", serde(default))]
    pub bounds: Vec<(Day, Day)>,
    /// (period, refunded micro-units, refund rows) of the periods with a refund row,
    /// sorted by period, periods distinct.
    #[cfg_attr(feature = "serde", serde(default))]
    pub refunds: Vec<(i64, i128, u32)>,
}

impl PartialSummary {
    /// Takes the state apart into its raw fields ([`PartialSummaryParts`]), to store it
    /// in another form (an Arrow aggregate state, say) and rebuild it with
    /// `PartialSummary::try_from`.
    ///
    /// ```
    /// use patronage::summary::{PartialSummary, SummaryParams};
    /// use patronage::transactions::Day;
    /// let mut a = PartialSummary::default();
    /// a.update(&SummaryParams::new(Day(30)), Day(4), 1.25);
    /// let parts = a.into_parts();
    /// assert_eq!((parts.periods, parts.orders), (vec![(0, 1_250_000)], 1));
    /// ```
    pub fn into_parts(self) -> PartialSummaryParts {
        PartialSummaryParts {
            periods: self.periods,
            orders: self.orders,
            first_day: self.first_day,
            last_day: self.last_day,
            bounds: self.bounds,
            refunds: self.refunds,
        }
    }
}

/// Rebuilds a state from its raw fields, checked as a state read with serde is.
///
/// # Errors
/// [`Error::InvalidValue`], [`Error::InvalidParameter`] or [`Error::Negative`] naming
/// the field that breaks the rules in [`PartialSummary`]'s docs.
impl TryFrom<PartialSummaryParts> for PartialSummary {
    type Error = Error;

    fn try_from(raw: PartialSummaryParts) -> Result<PartialSummary> {
        use crate::validate::{invalid_parameter, invalid_value};
        let mut total: i128 = 0;
        for (row, &(period, spend)) in raw.periods.iter().enumerate() {
            if period.unsigned_abs() > MAX_PERIOD {
                return Err(invalid_value(
                    "periods",
                    row,
                    period as f64,
                    format!("a period of an i32 day is at most {MAX_PERIOD} from 0"),
                ));
            }
            if row > 0 && period <= raw.periods[row - 1].0 {
                return Err(invalid_value(
                    "periods",
                    row,
                    period as f64,
                    "periods are sorted and distinct",
                ));
            }
            if spend < 0 {
                return Err(Error::Negative {
                    field: "spend",
                    row,
                    value: from_micro(spend),
                });
            }
            // Saturating: a sum past i128 is far above the cap checked below.
            total = total.saturating_add(spend);
        }
        let days = (raw.first_day, raw.last_day);
        if raw.periods.is_empty() {
            if raw.orders != 0 {
                return Err(invalid_parameter(
                    "orders",
                    raw.orders,
                    "a state without purchase periods has no orders",
                ));
            }
            if days != (None, None) {
                return Err(invalid_parameter(
                    "first_day",
                    format!("{days:?}"),
                    "a state without purchase periods has no purchase days",
                ));
            }
        } else {
            let (Some(first), Some(last)) = days else {
                return Err(invalid_parameter(
                    "first_day",
                    format!("{days:?}"),
                    "a state with purchase periods has a first and a last purchase day",
                ));
            };
            if first > last {
                return Err(invalid_parameter(
                    "first_day",
                    first.0,
                    format!("the first purchase day is after the last ({})", last.0),
                ));
            }
            if (raw.orders as usize) < raw.periods.len() {
                return Err(invalid_parameter(
                    "orders",
                    raw.orders,
                    format!(
                        "each of the {} purchase periods holds at least one order",
                        raw.periods.len()
                    ),
                ));
            }
            // Once the order count has stopped at u32::MAX the spend is no longer tied
            // to it; each period then holds at most PERIOD_SPEND_CAP.
            let saturated = raw.orders == u32::MAX;
            let cap = i128::from(raw.orders) * to_micro(crate::transactions::MAX_AMOUNT);
            if let Some(&(_, spend)) = raw
                .periods
                .iter()
                .find(|p| saturated && p.1 > PERIOD_SPEND_CAP)
            {
                return Err(invalid_parameter(
                    "periods",
                    format!("period spend {}", from_micro(spend)),
                    format!(
                        "more than {} orders of at most {} each",
                        u32::MAX,
                        crate::transactions::MAX_AMOUNT
                    ),
                ));
            }
            if !saturated && total > cap {
                return Err(invalid_parameter(
                    "periods",
                    format!("total spend {}", from_micro(total)),
                    format!(
                        "more than {} orders of at most {} each",
                        raw.orders,
                        crate::transactions::MAX_AMOUNT
                    ),
                ));
            }
        }
        check_bounds(&raw)?;
        check_refunds(&raw.refunds)?;
        Ok(PartialSummary {
            periods: raw.periods,
            orders: raw.orders,
            first_day: raw.first_day,
            last_day: raw.last_day,
            bounds: raw.bounds,
            refunds: raw.refunds,
        })
    }
}

/// A loaded state's per-period purchase days: none (a file written before returns
/// policies), or one (first, last) pair per period, increasing, from the state's first
/// to its last day.
fn check_bounds(raw: &PartialSummaryParts) -> Result<()> {
    use crate::validate::invalid_value;
    if raw.bounds.is_empty() {
        return Ok(());
    }
    crate::validate::same_len("bounds", raw.periods.len(), raw.bounds.len())?;
    for (row, &(first, last)) in raw.bounds.iter().enumerate() {
        let after_previous = row == 0 || raw.bounds[row - 1].1 < first;
        if first > last || !after_previous {
            return Err(invalid_value(
                "bounds",
                row,
                f64::from(first.0),
                "each period's purchase days are ordered and after the previous period's",
            ));
        }
    }
    let ends = (
        raw.bounds.first().map(|b| b.0),
        raw.bounds.last().map(|b| b.1),
    );
    if ends != (raw.first_day, raw.last_day) {
        return Err(invalid_value(
            "bounds",
            0,
            ends.0.map_or(0.0, |d| f64::from(d.0)),
            "the periods' purchase days run from the state's first to its last day",
        ));
    }
    Ok(())
}

/// A loaded state's refunds: periods sorted, distinct and those of `i32` days; at
/// least one row per period and at most that many rows of
/// [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT) refunded.
fn check_refunds(refunds: &[(i64, i128, u32)]) -> Result<()> {
    use crate::validate::invalid_value;
    for (row, &(period, amount, count)) in refunds.iter().enumerate() {
        if period.unsigned_abs() > MAX_PERIOD || (row > 0 && period <= refunds[row - 1].0) {
            return Err(invalid_value(
                "refunds",
                row,
                period as f64,
                format!("refund periods are sorted, distinct and at most {MAX_PERIOD} from 0"),
            ));
        }
        let cap =
            (i128::from(count) * to_micro(crate::transactions::MAX_AMOUNT)).min(PERIOD_SPEND_CAP);
        if count == 0 || amount < 0 || amount > cap {
            return Err(invalid_value(
                "refunds",
                row,
                from_micro(amount),
                format!(
                    "a period's refunds are at least one row ({count} here) of at most {} each",
                    crate::transactions::MAX_AMOUNT
                ),
            ));
        }
    }
    Ok(())
}

/// The most a period of a [`PartialSummary`] holds, in micro-units: `u32::MAX` orders
/// of [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT). Reached only once the order
/// count has stopped at `u32::MAX` (say by merging a state into itself again and
/// again); spends stop there too, so every sum of periods fits `i128`. A query engine
/// keeping partial states in its own columns sums a period's spends with
/// [`PartialSummary::add_spends`], which stops there.
pub const PERIOD_SPEND_CAP: i128 =
    u32::MAX as i128 * (crate::transactions::MAX_AMOUNT * MICRO) as i128;

impl PartialSummary {
    /// The (period, spend in micro-units) one purchase adds to a partial state under
    /// `params`, as [`update`](Self::update) records it; `None` for a purchase that
    /// `update` ignores (after the observation end's period, or an amount that is not
    /// finite, is negative or is above
    /// [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT)). For a query engine that keeps
    /// the states of many groups in its own columns.
    ///
    /// ```
    /// use patronage::summary::{PartialSummary, SummaryParams};
    /// use patronage::transactions::Day;
    /// let params = SummaryParams::new(Day(30)).period_days(7);
    /// // Week 1 counted from the origin (day 4, a Monday); 2.5 in micro-units.
    /// assert_eq!(PartialSummary::purchase_entry(&params, Day(15), 2.5), Some((1, 2_500_000)));
    /// assert_eq!(PartialSummary::purchase_entry(&params, Day(40), 2.5), None);
    /// ```
    pub fn purchase_entry(params: &SummaryParams, day: Day, amount: f64) -> Option<(i64, i128)> {
        let p = params.period_of(day);
        let in_range = (0.0..=crate::transactions::MAX_AMOUNT).contains(&amount);
        (p <= params.period_of(params.observation_end) && in_range).then(|| (p, to_micro(amount)))
    }

    /// Two spends of one period summed as states sum them: stopping at
    /// [`PERIOD_SPEND_CAP`] (and never overflowing, whatever the operands).
    pub fn add_spends(a: i128, b: i128) -> i128 {
        a.saturating_add(b).min(PERIOD_SPEND_CAP)
    }

    /// Adds one row: a purchase, or a refund (a negative amount), which only a
    /// [`finish_with`](Self::finish_with) under [`Returns::Net`] or
    /// [`Returns::Separate`] reads. Rows after the observation window, and non-finite
    /// amounts or amounts beyond [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT) in
    /// size (which a log rejects upstream), are ignored.
    pub fn update(&mut self, params: &SummaryParams, day: Day, amount: f64) {
        let p = params.period_of(day);
        let max = crate::transactions::MAX_AMOUNT;
        if p > params.period_of(params.observation_end) || !(-max..=max).contains(&amount) {
            return;
        }
        if amount < 0.0 {
            let micro = to_micro(-amount);
            match self.refunds.binary_search_by_key(&p, |e| e.0) {
                Ok(i) => {
                    let r = &mut self.refunds[i];
                    r.1 = (r.1 + micro).min(PERIOD_SPEND_CAP);
                    r.2 = r.2.saturating_add(1);
                }
                Err(i) => self.refunds.insert(i, (p, micro, 1)),
            }
            return;
        }
        let Some((p, nano)) = Self::purchase_entry(params, day, amount) else {
            return;
        };
        let known = self.bounds.len() == self.periods.len();
        match self.periods.binary_search_by_key(&p, |e| e.0) {
            Ok(i) => {
                self.periods[i].1 = Self::add_spends(self.periods[i].1, nano);
                if let Some(b) = self.bounds.get_mut(i).filter(|_| known) {
                    *b = (b.0.min(day), b.1.max(day));
                }
            }
            Err(i) => {
                self.periods.insert(i, (p, nano));
                if known {
                    self.bounds.insert(i, (day, day));
                }
            }
        }
        // Counts saturate at u32::MAX instead of wrapping (crafted merges could double
        // a count past it).
        self.orders = self.orders.saturating_add(1);
        self.first_day = Some(self.first_day.map_or(day, |d| d.min(day)));
        self.last_day = Some(self.last_day.map_or(day, |d| d.max(day)));
    }

    /// Merges another partial state of the same customer (and the same params) into this
    /// one. The order count saturates at `u32::MAX`, and each period's spend at
    /// `u32::MAX` orders of [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT).
    pub fn merge(&mut self, other: &PartialSummary) {
        let known =
            self.bounds.len() == self.periods.len() && other.bounds.len() == other.periods.len();
        // Periods with their purchase days (a placeholder where they are unknown).
        let with_bounds = |s: &PartialSummary| -> Vec<(i64, PeriodWithDays)> {
            s.periods
                .iter()
                .enumerate()
                .map(|(k, &(p, v))| (p, (v, s.bounds.get(k).copied().unwrap_or((Day(0), Day(0))))))
                .collect()
        };
        let periods = merge_sorted(&with_bounds(self), &with_bounds(other), |x, y| {
            (
                (x.0 + y.0).min(PERIOD_SPEND_CAP),
                (x.1.0.min(y.1.0), x.1.1.max(y.1.1)),
            )
        });
        self.periods = periods.iter().map(|&(p, (v, _))| (p, v)).collect();
        self.bounds = if known {
            periods.iter().map(|&(_, (_, b))| b).collect()
        } else {
            Vec::new()
        };
        let refunds = |s: &PartialSummary| -> Vec<(i64, (i128, u32))> {
            s.refunds.iter().map(|&(p, v, k)| (p, (v, k))).collect()
        };
        self.refunds = merge_sorted(&refunds(self), &refunds(other), |x, y| {
            ((x.0 + y.0).min(PERIOD_SPEND_CAP), x.1.saturating_add(y.1))
        })
        .into_iter()
        .map(|(p, (v, k))| (p, v, k))
        .collect();
        self.orders = self.orders.saturating_add(other.orders);
        self.first_day = match (self.first_day, other.first_day) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        self.last_day = match (self.last_day, other.last_day) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
    }

    /// The customer's summary, or `None` when no purchase fell in the window.
    ///
    /// # Errors
    /// As [`TransactionLog::summarize`] for invalid params ([`Error::InvalidParameter`]
    /// for a zero period or a time unit that is not positive and finite); and
    /// [`Error::InvalidParameter`] when the state does not belong to `params`: it holds
    /// a purchase period after the observation end's (a state built with a later
    /// observation end), or its first or last purchase day falls in another period than
    /// the one it holds (a state built with another period length or origin).
    ///
    /// ```
    /// use patronage::summary::{PartialSummary, SummaryParams};
    /// use patronage::transactions::Day;
    /// let mut a = PartialSummary::default();
    /// a.update(&SummaryParams::new(Day(30)), Day(20), 5.0);
    /// assert!(a.finish(&SummaryParams::new(Day(30)))?.is_some());
    /// assert!(a.finish(&SummaryParams::new(Day(10))).is_err()); // day 20 is after day 10
    /// assert!(a.finish(&SummaryParams::new(Day(30)).time_unit_days(0.0)).is_err());
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn finish(&self, params: &SummaryParams) -> Result<Option<SummaryRow>> {
        params.validate()?;
        self.finish_valid(params)
    }

    /// The customer's summary under a returns policy, as
    /// [`TransactionLog::summarize`] gives for a log built with it (see the
    /// [module docs](crate::summary#returns-and-refunds)): `None` when no purchase
    /// period fell in the window. Under [`Returns::Reject`] the refunds are ignored, as
    /// [`finish`](Self::finish) does.
    ///
    /// # Errors
    /// As [`finish`](Self::finish) (a refund period after the observation end's is one
    /// too); and [`Error::InsufficientData`] when, under [`Returns::Net`], refunds
    /// cancel the first or last period of a state loaded from a file written before
    /// returns policies (it lacks the days of the other periods).
    ///
    /// ```
    /// use patronage::summary::{PartialSummary, SummaryParams};
    /// use patronage::{Day, Returns};
    /// let params = SummaryParams::new(Day(30));
    /// let (mut a, mut b) = (PartialSummary::default(), PartialSummary::default());
    /// a.update(&params, Day(0), 10.0);
    /// a.update(&params, Day(5), 4.0);
    /// b.update(&params, Day(5), -4.0); // the day-5 order refunded, in another partition
    /// a.merge(&b);
    /// let net = a.finish_with(&params, Returns::Net)?.unwrap();
    /// assert_eq!((net.frequency, net.total_spend, net.refunds), (0.0, 10.0, 4.0));
    /// let separate = a.finish_with(&params, Returns::Separate)?.unwrap();
    /// assert_eq!(separate.frequency, 1.0); // day 5 stays a purchase
    /// assert_eq!(a.finish(&params)?.unwrap().frequency, 1.0); // refunds ignored
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn finish_with(
        &self,
        params: &SummaryParams,
        returns: Returns,
    ) -> Result<Option<SummaryRow>> {
        params.validate()?;
        self.finish_valid_with(params, returns)
    }

    fn finish_valid_with(
        &self,
        params: &SummaryParams,
        returns: Returns,
    ) -> Result<Option<SummaryRow>> {
        if returns == Returns::Reject {
            return self.finish_valid(params);
        }
        let end_period = params.period_of(params.observation_end);
        if let Some(&(p, _, _)) = self.refunds.last().filter(|r| r.0 > end_period) {
            return Err(after_end(params, p, end_period));
        }
        // The plain checks (periods in the window and in the params' periods).
        if self.finish_valid(params)?.is_none() && self.refunds.is_empty() {
            return Ok(None);
        }
        let known = self.bounds.len() == self.periods.len();
        let (mut gross, mut refunds, mut refund_count) = (0i128, 0i128, 0u32);
        for &(_, v, k) in &self.refunds {
            refunds += v;
            refund_count = refund_count.saturating_add(k);
        }
        let mut first: Option<(i64, i128, usize)> = None;
        let (mut last, mut periods, mut total) = ((0i64, 0usize), 0u32, 0i128);
        let mut r = 0;
        for (k, &(p, spend)) in self.periods.iter().enumerate() {
            gross += spend;
            while self.refunds.get(r).is_some_and(|x| x.0 < p) {
                r += 1;
            }
            let refund = self.refunds.get(r).filter(|x| x.0 == p);
            let g = crate::refunds::Group {
                key: p,
                gross: spend,
                refunds: refund.map_or(0, |x| x.1),
                purchases: 1,
                refund_rows: refund.map_or(0, |x| x.2),
                first_day: Day(0),
                last_day: Day(0),
            };
            if g.is_purchase(returns) {
                let s = g.spend(returns);
                first.get_or_insert((p, s, k));
                last = (p, k);
                periods += 1;
                total += s;
            }
        }
        let Some((first_period, first_period_spend, first_k)) = first else {
            return Ok(None);
        };
        let day_of = |k: usize, end: bool| -> Result<Day> {
            let global = if end { self.last_day } else { self.first_day };
            let edge = if end { self.periods.len() - 1 } else { 0 };
            match (known, self.bounds.get(k), global) {
                (true, Some(b), _) => Ok(if end { b.1 } else { b.0 }),
                (false, _, Some(d)) if k == edge => Ok(d),
                _ => Err(Error::InsufficientData {
                    model: "partial summary",
                    reason: "refunds cancel a boundary purchase period of a state loaded from a file written before returns policies, which lacks the other periods' days".into(),
                }),
            }
        };
        let stats = Stats {
            first_period,
            last_period: last.0,
            periods,
            first_period_spend,
            total_spend: total,
            orders: self.orders,
            first_day: day_of(first_k, false)?,
            last_day: day_of(last.1, true)?,
        };
        Ok(Some(SummaryRow::from_refunds(
            &RefundStats {
                stats,
                gross,
                refunds,
                refund_count,
                returns,
            },
            &Window::new(params),
        )))
    }

    /// [`finish`](Self::finish) with `params` already validated (once for all
    /// customers, by [`CustomerSummary::from_partials`]).
    fn finish_valid(&self, params: &SummaryParams) -> Result<Option<SummaryRow>> {
        let (
            Some(&(first_period, first_spend)),
            Some(&(last_period, _)),
            Some(first_day),
            Some(last_day),
        ) = (
            self.periods.first(),
            self.periods.last(),
            self.first_day,
            self.last_day,
        )
        else {
            return Ok(None);
        };
        let end_period = params.period_of(params.observation_end);
        if last_period > end_period {
            return Err(after_end(params, last_period, end_period));
        }
        for (day, period) in [(first_day, first_period), (last_day, last_period)] {
            if params.period_of(day) != period {
                return Err(Error::InvalidParameter {
                    name: "period_days",
                    value: params.period_days.to_string(),
                    reason: format!(
                        "the partial summary's purchase day {} falls in period {} with these params, but it holds period {period}: finish it with the params it was built with",
                        day.0,
                        params.period_of(day)
                    ),
                });
            }
        }
        let stats = Stats {
            first_period,
            last_period,
            periods: u32::try_from(self.periods.len()).unwrap_or(u32::MAX),
            first_period_spend: first_spend,
            total_spend: self.periods.iter().map(|p| p.1).sum(),
            orders: self.orders,
            first_day,
            last_day,
        };
        Ok(Some(SummaryRow::from_stats(&stats, params)))
    }
}

/// A period's spend with its first and last purchase day.
type PeriodWithDays = (i128, (Day, Day));

/// The error of a state holding a period after the observation end's.
fn after_end(params: &SummaryParams, period: i64, end_period: i64) -> Error {
    Error::InvalidParameter {
        name: "observation_end",
        value: params.observation_end.0.to_string(),
        reason: format!(
            "the partial summary holds purchase period {period}, after the observation end's period {end_period}: finish it with the params it was built with"
        ),
    }
}

/// The union of two lists sorted by distinct keys, values of a shared key combined.
fn merge_sorted<V: Copy>(
    a: &[(i64, V)],
    b: &[(i64, V)],
    combine: impl Fn(V, V) -> V,
) -> Vec<(i64, V)> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                merged.push((x.0, combine(x.1, y.1)));
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                merged.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                merged.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                merged.push(*y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    merged
}

impl CustomerSummary {
    /// Builds a summary from finished partial states, one per customer, given with the
    /// customer index each row should carry. Customers with no purchase in the window
    /// are skipped.
    ///
    /// # Errors
    /// [`Error::Empty`] when no customer has a purchase in the window;
    /// [`Error::InvalidParameter`] for invalid params or a partial state that does not
    /// belong to them (see [`PartialSummary::finish`]).
    pub fn from_partials<'a, I>(partials: I, params: &SummaryParams) -> Result<Self>
    where
        I: IntoIterator<Item = (u32, &'a PartialSummary)>,
    {
        Self::from_partials_with(partials, params, Returns::Reject)
    }

    /// [`from_partials`](Self::from_partials) under a returns policy
    /// ([`PartialSummary::finish_with`]): the summary a log built with that policy
    /// gives, refund columns included.
    ///
    /// # Errors
    /// As [`from_partials`](Self::from_partials) and [`PartialSummary::finish_with`].
    pub fn from_partials_with<'a, I>(
        partials: I,
        params: &SummaryParams,
        returns: Returns,
    ) -> Result<Self>
    where
        I: IntoIterator<Item = (u32, &'a PartialSummary)>,
    {
        params.validate()?;
        let mut out = CustomerSummary::with_capacity(0, params.observation_end, params.unit_days());
        out.set_returns(returns);
        for (c, p) in partials {
            if let Some(r) = p.finish_valid_with(params, returns)? {
                out.push(c, &r);
            }
        }
        if out.is_empty() {
            return Err(Error::Empty {
                field: "transactions in the observation window",
            });
        }
        Ok(out)
    }
}
