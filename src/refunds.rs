//! A customer's rows read under a [`Returns`] policy: the one definition of a purchase
//! day (or period) that every reader of a log shares.
//!
//! A group is a customer's rows with one key (a day, or a summary period). Under
//! [`Returns::Reject`] every row is a purchase (amounts are `>= 0`), so every group is a
//! purchase group, as before the policies existed. Under [`Returns::Separate`] a group
//! is a purchase group when it holds a purchase row (an amount `>= 0`, free orders
//! included); under [`Returns::Net`] when it also keeps a positive net spend, or holds
//! no refund at all (so a free order with no refund still counts, as it always has).

use crate::summary::to_micro;
use crate::transactions::{Day, Returns};

/// The rows of one customer with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Group {
    /// The key (day or period).
    pub(crate) key: i64,
    /// Spend of the purchase rows, micro-units.
    pub(crate) gross: i128,
    /// Refunded amount (as a positive number), micro-units.
    pub(crate) refunds: i128,
    /// Purchase rows (amount `>= 0`).
    pub(crate) purchases: u32,
    /// Refund rows (amount `< 0`).
    pub(crate) refund_rows: u32,
    /// First and last day of a purchase row (the group's first and last day when it
    /// has no purchase row).
    pub(crate) first_day: Day,
    pub(crate) last_day: Day,
}

impl Group {
    /// Whether the group is a purchase under `returns` (see the module docs).
    #[inline]
    pub(crate) fn is_purchase(&self, returns: Returns) -> bool {
        match returns {
            Returns::Reject | Returns::Separate => self.purchases > 0,
            Returns::Net => {
                self.purchases > 0 && (self.refund_rows == 0 || self.gross > self.refunds)
            }
        }
    }

    /// The spend a purchase group counts with: its net under [`Returns::Net`], its
    /// purchase rows' spend otherwise.
    #[inline]
    pub(crate) fn spend(&self, returns: Returns) -> i128 {
        match returns {
            Returns::Net => self.gross - self.refunds,
            Returns::Reject | Returns::Separate => self.gross,
        }
    }
}

/// Groups of a customer's rows (sorted by day), one per run of equal `key(day)`
/// (`key` non-decreasing in the day).
pub(crate) fn groups<'a, K: Fn(Day) -> i64 + 'a>(
    days: &'a [Day],
    amounts: &'a [f64],
    key: K,
) -> impl Iterator<Item = Group> + 'a {
    let mut i = 0;
    std::iter::from_fn(move || {
        let (&d0, _) = (days.get(i)?, amounts.get(i)?);
        let k = key(d0);
        let mut g = Group {
            key: k,
            gross: 0,
            refunds: 0,
            purchases: 0,
            refund_rows: 0,
            first_day: d0,
            last_day: d0,
        };
        let mut seen_purchase = false;
        while let (Some(&d), Some(&a)) = (days.get(i), amounts.get(i)) {
            if key(d) != k {
                break;
            }
            if a < 0.0 {
                g.refunds += to_micro(-a);
                g.refund_rows += 1;
            } else {
                g.gross += to_micro(a);
                g.purchases += 1;
                if !seen_purchase {
                    g.first_day = d;
                    seen_purchase = true;
                }
                g.last_day = d;
            }
            i += 1;
        }
        if !seen_purchase {
            g.last_day = days.get(i.saturating_sub(1)).copied().unwrap_or(d0);
        }
        Some(g)
    })
}

/// The purchase days of a customer's rows (sorted by day) under `returns`, in order.
pub(crate) fn purchase_days<'a>(
    days: &'a [Day],
    amounts: &'a [f64],
    returns: Returns,
) -> impl Iterator<Item = Day> + 'a {
    groups(days, amounts, |d| i64::from(d.0))
        .filter(move |g| g.is_purchase(returns))
        .map(|g| g.first_day)
}
