//! Data-quality report on a [`TransactionLog`]: what an analyst checks before trusting
//! a segmentation. It reports; it fixes nothing (the caller decides).
//!
//! ```
//! use patronage::{Day, Transaction, TransactionLog};
//! let t = |c: u8, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
//! let log = TransactionLog::new(&[t(1, 0, 5.0), t(1, 0, 5.0), t(1, 0, 7.0), t(2, 3, 0.0)])?;
//! let q = log.quality_report();
//! assert_eq!(q.duplicate_rows, 1); // the second (1, day 0, 5.0)
//! assert_eq!(q.same_day_repeat_orders, 2); // rows beyond the first on a customer-day
//! assert_eq!(q.zero_amount_rows, 1);
//! assert_eq!(q.customers_seen_once, 1); // customer 2
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::transactions::{Day, TransactionLog};

/// What [`TransactionLog::quality_report`] found.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct QualityReport {
    /// Rows in the log.
    pub rows: usize,
    /// Distinct customers.
    pub customers: usize,
    /// The earliest and latest day.
    pub day_range: (Day, Day),
    /// Rows identical to another row (same customer, day and amount), beyond the first
    /// copy: often a double-loaded extract.
    pub duplicate_rows: usize,
    /// Rows with amount 0 (returns netted out, free items, test orders).
    pub zero_amount_rows: usize,
    /// Orders beyond a customer's first on the same day; these collapse into one
    /// purchase period in day-level summaries.
    pub same_day_repeat_orders: usize,
    /// Customers with a single order (purchase row).
    pub customers_seen_once: usize,
    /// The extreme-amount threshold: the upper Tukey far-out fence, `Q3 + 3 * IQR` of
    /// all purchase amounts (refunds left out; quartiles by linear interpolation; 0
    /// when every row is a refund).
    pub extreme_threshold: f64,
    /// Rows with an amount above `extreme_threshold`.
    pub extreme_amount_rows: usize,
    /// The largest amount.
    pub max_amount: f64,
    /// Refund rows (negative amounts; 0 unless the log was built with a
    /// [`Returns`](crate::Returns) policy that accepts them).
    #[cfg_attr(feature = "serde", serde(default))]
    pub refund_rows: usize,
    /// The refunded amount: the sum of the refunds' sizes (`>= 0`), summed exactly in
    /// micro-units as the summary sums money.
    #[cfg_attr(feature = "serde", serde(default))]
    pub refund_amount: f64,
}

impl<C> TransactionLog<C> {
    /// Checks the log for duplicates, zero amounts, same-day repeat orders, extreme
    /// amounts, one-time customers and refunds. One pass plus a selection for the
    /// quartiles.
    ///
    /// Refunds (in a log built with a [`Returns`](crate::Returns) policy that accepts
    /// them) are counted in `refund_rows` and `refund_amount` and nowhere else: the
    /// other counts read the purchase rows (a repeated refund is still a duplicate row,
    /// and a refund on a day with an order is not a same-day repeat order).
    ///
    /// ```
    /// use patronage::{Day, LogParams, Returns, Transaction};
    /// let t = |c: u8, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
    /// let rows = [t(1, 0, 5.0), t(1, 0, -5.0), t(1, 3, -2.5), t(2, 3, 4.0)];
    /// let q = LogParams::new().returns(Returns::Net).log(&rows)?.quality_report();
    /// assert_eq!((q.refund_rows, q.refund_amount), (2, 7.5));
    /// assert_eq!(q.same_day_repeat_orders, 0);
    /// assert_eq!(q.customers_seen_once, 2);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn quality_report(&self) -> QualityReport {
        let (days, amounts, offsets) = (self.days(), self.amounts(), self.offsets());
        let mut duplicate_rows = 0;
        let mut same_day_repeat_orders = 0;
        let mut customers_seen_once = 0;
        for w in offsets.windows(2) {
            let (lo, hi) = (w[0] as usize, w[1] as usize);
            // Refunds sort first within a day: a customer's purchase rows are its rows
            // from the first non-negative one on each day.
            let orders = amounts[lo..hi].iter().filter(|&&a| a >= 0.0).count();
            if orders == 1 {
                customers_seen_once += 1;
            }
            // Rows are sorted by day, then amount: duplicates are adjacent.
            for k in lo + 1..hi {
                if days[k] == days[k - 1] {
                    same_day_repeat_orders += usize::from(amounts[k - 1] >= 0.0);
                    if amounts[k] == amounts[k - 1] {
                        duplicate_rows += 1;
                    }
                }
            }
        }
        let zero_amount_rows = amounts.iter().filter(|&&a| a == 0.0).count();
        let max_amount = amounts.iter().copied().fold(0.0, f64::max);
        let (mut refund_rows, mut refunded) = (0usize, 0i128);
        for &a in amounts.iter().filter(|&&a| a < 0.0) {
            refund_rows += 1;
            refunded += crate::summary::to_micro(-a);
        }
        let purchases: Vec<f64>;
        let purchase_amounts = if refund_rows > 0 {
            purchases = amounts.iter().copied().filter(|&a| a >= 0.0).collect();
            &purchases[..]
        } else {
            amounts
        };
        let (q1, q3) = quartiles(purchase_amounts);
        let extreme_threshold = q3 + 3.0 * (q3 - q1);
        let extreme_amount_rows = purchase_amounts
            .iter()
            .filter(|&&a| a > extreme_threshold)
            .count();
        QualityReport {
            rows: self.n_rows(),
            customers: self.n_customers(),
            day_range: (self.first_day(), self.last_day()),
            duplicate_rows,
            zero_amount_rows,
            same_day_repeat_orders,
            customers_seen_once,
            extreme_threshold,
            extreme_amount_rows,
            max_amount,
            refund_rows,
            refund_amount: crate::summary::from_micro(refunded),
        }
    }
}

/// First and third quartiles with linear interpolation (numpy's default); 0 for no
/// values.
fn quartiles(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mut v = values.to_vec();
    let mut q = |p: f64| {
        let h = (v.len() - 1) as f64 * p;
        let lo = h.floor() as usize;
        let (_, &mut a, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
        let b = right.iter().copied().fold(f64::INFINITY, f64::min);
        if h > lo as f64 {
            a + (h - lo as f64) * (b - a)
        } else {
            a
        }
    };
    (q(0.25), q(0.75))
}
