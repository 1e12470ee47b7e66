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
/// first day no later than the last.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawPartialSummary")
)]
pub struct PartialSummary {
    /// (period, spend in micro-units), sorted by period, periods distinct.
    periods: Vec<(i64, i128)>,
    orders: u32,
    first_day: Option<Day>,
    last_day: Option<Day>,
}

/// The largest period magnitude: the period of an `i32` day counted from an `i32`
/// origin, in periods of at least one day.
#[cfg(feature = "serde")]
const MAX_PERIOD: u64 = u32::MAX as u64;

/// [`PartialSummary`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawPartialSummary {
    periods: Vec<(i64, i128)>,
    orders: u32,
    first_day: Option<Day>,
    last_day: Option<Day>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawPartialSummary> for PartialSummary {
    type Error = Error;

    fn try_from(raw: RawPartialSummary) -> Result<PartialSummary> {
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
        Ok(PartialSummary {
            periods: raw.periods,
            orders: raw.orders,
            first_day: raw.first_day,
            last_day: raw.last_day,
        })
    }
}

/// The most a period of a [`PartialSummary`] holds, in micro-units: `u32::MAX` orders
/// of [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT). Reached only once the order
/// count has stopped at `u32::MAX` (say by merging a state into itself again and
/// again); spends stop there too, so every sum of periods fits `i128`.
const PERIOD_SPEND_CAP: i128 = u32::MAX as i128 * (crate::transactions::MAX_AMOUNT * MICRO) as i128;

impl PartialSummary {
    /// Adds one purchase. Purchases after the observation window are ignored; a negative
    /// or non-finite amount should have been rejected upstream (it is ignored here).
    pub fn update(&mut self, params: &SummaryParams, day: Day, amount: f64) {
        let p = params.period_of(day);
        if p > params.period_of(params.observation_end)
            || !(0.0..=crate::transactions::MAX_AMOUNT).contains(&amount)
        {
            return;
        }
        let nano = to_micro(amount);
        match self.periods.binary_search_by_key(&p, |e| e.0) {
            Ok(i) => self.periods[i].1 = (self.periods[i].1 + nano).min(PERIOD_SPEND_CAP),
            Err(i) => self.periods.insert(i, (p, nano)),
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
        let mut merged = Vec::with_capacity(self.periods.len() + other.periods.len());
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.periods, &other.periods);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                merged.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                merged.push(b[j]);
                j += 1;
            } else {
                merged.push((a[i].0, (a[i].1 + b[j].1).min(PERIOD_SPEND_CAP)));
                i += 1;
                j += 1;
            }
        }
        self.periods = merged;
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
            return Err(Error::InvalidParameter {
                name: "observation_end",
                value: params.observation_end.0.to_string(),
                reason: format!(
                    "the partial summary holds purchase period {last_period}, after the observation end's period {end_period}: finish it with the params it was built with"
                ),
            });
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
        params.validate()?;
        let mut out = CustomerSummary::with_capacity(0, params.observation_end, params.unit_days());
        for (c, p) in partials {
            if let Some(r) = p.finish_valid(params)? {
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
