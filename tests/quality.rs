//! The data-quality report on hand-made data.

use patronage::{Day, Transaction, TransactionLog};

#[test]
fn report_counts_each_issue() {
    let t = |c: u8, d: i32, a: f64| Transaction {
        customer: c,
        day: Day(d),
        amount: a,
    };
    let mut rows = vec![
        t(1, 5, 10.0),
        t(1, 5, 10.0), // exact duplicate
        t(1, 5, 12.0), // same-day repeat, not a duplicate
        t(1, 9, 0.0),  // zero amount
        t(2, 3, 11.0), // seen once
        t(3, 7, 9.0),
        t(3, 8, 10000.0), // extreme
    ];
    rows.extend((0..20).map(|k| t(4, 10 + k, 10.0 + f64::from(k % 3))));
    let q = TransactionLog::new(&rows).unwrap().quality_report();
    assert_eq!((q.rows, q.customers), (27, 4));
    assert_eq!(q.day_range, (Day(3), Day(29)));
    assert_eq!(q.duplicate_rows, 1);
    assert_eq!(q.same_day_repeat_orders, 2);
    assert_eq!(q.zero_amount_rows, 1);
    assert_eq!(q.customers_seen_once, 1);
    assert_eq!(q.extreme_amount_rows, 1);
    assert_eq!(q.max_amount, 10000.0);
    // Sorted amounts: 0, 9, 10 x9, 11 x8, 12 x7, 10000: Q1 = 10, Q3 = 12 -> fence 12 + 3 * 2.
    assert!(
        (q.extreme_threshold - 18.0).abs() < 1e-12,
        "{}",
        q.extreme_threshold
    );
}
