//! Cohort retention: invariants on simulated data, and a hand-checked table.

use patronage::Period;
use patronage::cohort::retention;
use patronage::simulate::Simulation;
use patronage::{Day, Transaction, TransactionLog};

#[test]
fn retention_invariants_on_simulated_customers() {
    let log =
        TransactionLog::new(&Simulation::new(20_000).seed(3).transactions().unwrap()).unwrap();
    for period in [Period::Day, Period::Week, Period::Month, Period::Quarter] {
        let t = retention(&log, period).unwrap();
        assert_eq!(t.sizes.iter().sum::<usize>(), 20_000);
        for (c, row) in t.active.iter().enumerate() {
            assert_eq!(row[0], t.sizes[c], "period 0 is the whole cohort");
            assert!(row.iter().all(|&a| a <= t.sizes[c]));
        }
        assert!(t.rates().iter().all(|r| r[0] == 1.0));
        assert_eq!(t.average_rates()[0], 1.0);
        // Triangle: later cohorts have fewer observed offsets.
        assert!(t.active.windows(2).all(|w| w[0].len() >= w[1].len()));
        let revenue: f64 = t.revenue.iter().flatten().sum();
        let total: f64 = log.amounts().iter().sum();
        assert!((revenue - total).abs() < 1e-6 * total);
    }
}

#[test]
fn hand_checked_weekly_table() {
    // Monday 2024-01-01 starts a week.
    let d = |m: u32, day: u32| Day::from_ymd(2024, m, day).unwrap();
    let t = |c: u8, day: Day, a: f64| Transaction {
        customer: c,
        day,
        amount: a,
    };
    let log = TransactionLog::new(&[
        t(1, d(1, 1), 5.0),
        t(1, d(1, 7), 5.0),  // same week (Sunday)
        t(1, d(1, 15), 5.0), // two weeks later
        t(2, d(1, 3), 2.0),
        t(2, d(1, 8), 2.0), // next week (Monday)
        t(3, d(1, 9), 9.0),
    ])
    .unwrap();
    let table = retention(&log, Period::Week).unwrap();
    assert_eq!(
        table.labels,
        vec!["week of 2024-01-01", "week of 2024-01-08"]
    );
    assert_eq!(table.sizes, vec![2, 1]);
    assert_eq!(table.active, vec![vec![2, 1, 1], vec![1, 0]]);
    assert_eq!(table.revenue, vec![vec![12.0, 2.0, 5.0], vec![9.0, 0.0]]);
    let avg = table.average_rates();
    assert_eq!(avg, vec![1.0, (0.5 * 2.0 + 0.0) / 3.0, 0.5]);
}
