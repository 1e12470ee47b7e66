//! Transaction log and customer summary: the CDNOW reference (lifetimes semantics),
//! the merge property of partial summaries, and every error path.

mod common;

use patronage::Error;
use patronage::summary::{CustomerSummary, PartialSummary, SummaryParams};
use patronage::transactions::{Day, Transaction, TransactionLog};
use proptest::prelude::*;

fn cdnow() -> Vec<Transaction<u32>> {
    common::cdnow_rows()
}

#[test]
fn cdnow_summary_matches_lifetimes() {
    let rows = cdnow();
    assert_eq!(rows.len(), 6919);
    let log = TransactionLog::new(&rows).unwrap();
    assert_eq!(log.n_customers(), 2357);
    let end = Day::from_ymd(1997, 9, 30).unwrap();
    let s = log
        .summarize(&SummaryParams::new(end).time_unit_days(7.0))
        .unwrap();
    assert_eq!(s.len(), 2357);

    let csv = std::fs::read_to_string("tests/data/cdnow_customers_summary_with_transactions.csv")
        .unwrap();
    let mut checked = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let id = f[0] as u32;
        let c = log.customer_index(&id).unwrap();
        let row = s.customer().iter().position(|&k| k == c).unwrap();
        assert_eq!(s.frequency()[row], f[1], "frequency of {id}");
        assert!(
            (s.recency()[row] - f[2]).abs() <= 0.005 + 1e-9,
            "recency of {id}"
        );
        assert!((s.age()[row] - f[3]).abs() <= 0.005 + 1e-9, "T of {id}");
        assert!(
            (s.monetary_value()[row] - f[4]).abs() <= 0.005 + 1e-9,
            "zbar of {id}"
        );
        checked += 1;
    }
    assert_eq!(checked, 2357);

    // 112 same-day groups in the calibration window (a customer-day with 2+ orders).
    let mut groups = 0;
    for c in 0..log.n_customers() as u32 {
        let days: Vec<Day> = log
            .customer_rows(c)
            .0
            .iter()
            .copied()
            .filter(|&d| d <= end)
            .collect();
        groups += days.chunk_by(|a, b| a == b).filter(|g| g.len() > 1).count();
    }
    assert_eq!(groups, 112);
    // Each collapses into one purchase period: orders - periods = rows beyond the first per group.
    let orders: u32 = s.orders().unwrap().iter().sum();
    let periods: f64 = s.frequency().iter().map(|x| x + 1.0).sum();
    assert_eq!(orders as f64 - periods, 146.0);
}

/// Peers on 1,000 simulated customers (2,977 purchases): lifetimes 0.11.3
/// (`summary_data_from_transaction_data`; pymc-marketing 0.19.2's `rfm_summary` gives
/// the same) with daily periods in weeks and with weekly periods (pandas'
/// Monday-to-Sunday weeks), and pymc-marketing's `rfm_train_test_split` for the
/// calibration/holdout split. Every value agrees to 1e-12 relative (measured: at most
/// one unit in the last place).
///
/// lifetimes' own `calibration_and_holdout_data` differs in one column: its holdout
/// monetary value is the mean per order, not per purchase period as in calibration,
/// pymc-marketing and here (for customer 28: 24.29 against 32.39).
#[test]
fn simulated_summaries_match_lifetimes() {
    let rows: Vec<Transaction<u64>> = std::fs::read_to_string("tests/data/simulated_rows.csv")
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Transaction {
                customer: f[0].parse().unwrap(),
                day: Day(f[1].parse().unwrap()),
                amount: f[2].parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(rows.len(), 2977);
    let log = TransactionLog::new(&rows).unwrap();
    let daily = log
        .summarize(&SummaryParams::new(Day(728)).time_unit_days(7.0))
        .unwrap();
    // 1969-12-29, a Monday: pandas' weekly periods end on Sundays.
    let weekly = log
        .summarize(&SummaryParams::new(Day(728)).period_days(7).origin(Day(-3)))
        .unwrap();
    let split = log
        .calibration_holdout(&SummaryParams::new(Day(546)).time_unit_days(7.0), Day(728))
        .unwrap();
    assert_eq!(
        split.duration_holdout.in_days() / split.calibration.time_unit_days(),
        26.0
    );

    let csv = std::fs::read_to_string("tests/data/simulated_summary_reference.csv").unwrap();
    let close = |ours: f64, theirs: &str, what: &str, id: u64| {
        let theirs: f64 = theirs.parse().unwrap();
        assert!(
            (ours - theirs).abs() <= 1e-12 * theirs.abs().max(1.0),
            "{what} of customer {id}: {ours} against the reference {theirs}"
        );
    };
    let mut checked = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let id: u64 = f[0].parse().unwrap();
        let c = log.customer_index(&id).unwrap();
        for (s, at) in [(&daily, 1), (&weekly, 5), (&split.calibration, 9)] {
            let row = s.customer().iter().position(|&k| k == c).unwrap();
            close(s.frequency()[row], f[at], "frequency", id);
            close(s.recency()[row], f[at + 1], "recency", id);
            close(s.age()[row], f[at + 2], "T", id);
            close(s.monetary_value()[row], f[at + 3], "monetary value", id);
            if at == 9 {
                close(split.frequency_holdout[row], f[13], "holdout frequency", id);
                close(
                    split.monetary_value_holdout[row],
                    f[14],
                    "holdout monetary value",
                    id,
                );
                close(
                    split.duration_holdout.in_days() / split.calibration.time_unit_days(),
                    f[15],
                    "holdout duration",
                    id,
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 1000);
    assert_eq!(
        (daily.len(), weekly.len(), split.calibration.len()),
        (1000, 1000, 1000)
    );
}

#[test]
fn calibration_holdout_counts_holdout_periods() {
    let log = TransactionLog::new(&cdnow()).unwrap();
    let cal = SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()).time_unit_days(7.0);
    let split = log
        .calibration_holdout(&cal, Day::from_ymd(1998, 6, 30).unwrap())
        .unwrap();
    assert_eq!(split.frequency_holdout.len(), 2357);
    assert!((split.duration_holdout.in_days() / 7.0 - 273.0 / 7.0).abs() < 1e-12);
    // Every holdout purchase period is counted once: compare with a direct count.
    let total: f64 = split.frequency_holdout.iter().sum();
    let mut direct = 0usize;
    for c in 0..log.n_customers() as u32 {
        let (days, _) = log.customer_rows(c);
        let mut v: Vec<Day> = days
            .iter()
            .copied()
            .filter(|d| *d > cal.observation_end)
            .collect();
        v.dedup();
        direct += v.len();
    }
    assert_eq!(total as usize, direct);
}

#[test]
fn weekly_periods_collapse_purchases_in_one_week() {
    let t = |d: i32, a: f64| Transaction {
        customer: "x",
        day: Day(d),
        amount: a,
    };
    // Origin Day(0): weeks are days 0..=6, 7..=13, ...
    let log = TransactionLog::new(&[t(1, 1.0), t(6, 2.0), t(8, 4.0), t(20, 8.0)]).unwrap();
    let s = log
        .summarize(&SummaryParams::new(Day(27)).period_days(7).origin(Day(0)))
        .unwrap();
    assert_eq!(
        (s.frequency()[0], s.recency()[0], s.age()[0]),
        (2.0, 2.0, 3.0)
    );
    assert_eq!(s.monetary_value()[0], 6.0);
    assert_eq!(s.total_spend().unwrap()[0], 15.0);
    assert_eq!(s.days_since_last().unwrap(), vec![7]);
}

#[test]
fn error_paths_name_field_and_row() {
    let t = |a: f64| Transaction {
        customer: 1u64,
        day: Day(0),
        amount: a,
    };
    let empty: Vec<Transaction<u64>> = vec![];
    assert!(matches!(
        TransactionLog::new(&empty),
        Err(Error::Empty {
            field: "transactions"
        })
    ));
    let rows = vec![t(1.0), t(f64::NAN)];
    let before = format!("{rows:?}");
    assert!(matches!(
        TransactionLog::new(&rows),
        Err(Error::NonFinite {
            field: "amount",
            row: 1,
            ..
        })
    ));
    assert_eq!(before, format!("{rows:?}"), "input untouched");
    // Far into the input, past the first chunks of the build's pass.
    let mut long = vec![t(1.0); 10_000];
    long[9_001] = t(-1.0);
    assert!(matches!(
        TransactionLog::new(&long),
        Err(Error::Refund { row: 9_001, .. })
    ));
    assert!(matches!(
        TransactionLog::new(&[t(f64::INFINITY)]),
        Err(Error::NonFinite { row: 0, .. })
    ));
    assert!(matches!(
        TransactionLog::new(&[t(1.0), t(2.0), t(-0.5)]),
        Err(Error::Refund { row: 2, .. })
    ));
    assert!(matches!(
        TransactionLog::new(&[t(2e12)]),
        Err(Error::InvalidValue {
            field: "amount",
            row: 0,
            ..
        })
    ));

    let log = TransactionLog::new(&[t(1.0)]).unwrap();
    assert!(matches!(
        log.summarize(&SummaryParams::new(Day(5)).period_days(0)),
        Err(Error::InvalidParameter {
            name: "period_days",
            ..
        })
    ));
    assert!(matches!(
        log.summarize(&SummaryParams::new(Day(5)).time_unit_days(-1.0)),
        Err(Error::InvalidParameter {
            name: "time_unit_days",
            ..
        })
    ));
    assert!(matches!(
        log.summarize(&SummaryParams::new(Day(5)).time_unit_days(f64::NAN)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        log.summarize(&SummaryParams::new(Day(-1))),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        log.calibration_holdout(&SummaryParams::new(Day(5)), Day(5)),
        Err(Error::InvalidParameter {
            name: "holdout_end",
            ..
        })
    ));
    assert!(matches!(
        Day::from_ymd(2023, 2, 29),
        Err(Error::InvalidDate {
            year: 2023,
            month: 2,
            day: 29
        })
    ));
}

#[test]
fn from_columns_error_paths() {
    let ok = |x: f64, r: f64, t: f64| CustomerSummary::from_columns(&[x], &[r], &[t], None);
    assert!(ok(1.0, 2.0, 3.0).is_ok());
    assert!(matches!(
        ok(-1.0, 2.0, 3.0),
        Err(Error::Negative {
            field: "frequency",
            row: 0,
            ..
        })
    ));
    assert!(matches!(
        ok(1.5, 2.0, 3.0),
        Err(Error::InvalidValue {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        ok(1.0, f64::NAN, 3.0),
        Err(Error::NonFinite {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        ok(1.0, 4.0, 3.0),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        ok(1.0, 0.0, 3.0),
        Err(Error::InvalidValue {
            field: "recency",
            ..
        })
    ));
    assert!(matches!(
        ok(0.0, 0.0, -3.0),
        Err(Error::Negative { field: "age", .. })
    ));
    let e = CustomerSummary::from_columns(&[1.0, 0.0], &[1.0], &[2.0, 2.0], None);
    assert!(matches!(
        e,
        Err(Error::LengthMismatch {
            field: "recency",
            expected: 2,
            found: 1
        })
    ));
    let e = CustomerSummary::from_columns(&[1.0], &[1.0], &[2.0], Some(&[-2.0]));
    assert!(matches!(
        e,
        Err(Error::Negative {
            field: "monetary_value",
            ..
        })
    ));
    let e = CustomerSummary::from_columns(&[], &[], &[], None);
    assert!(matches!(e, Err(Error::Empty { .. })));
}

fn arb_rows() -> impl Strategy<Value = Vec<(u8, i32, u32)>> {
    // customer, day, amount in cents: small ranges so customers repeat days across parts.
    prop::collection::vec((0u8..6, 0i32..40, 0u32..100_000), 1..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any split of the rows into parts, summarized per part and merged, equals one pass:
    /// days and counts exactly, and money exactly too.
    #[test]
    fn merged_partials_equal_one_pass(rows in arb_rows(), parts in 1usize..5, assign in prop::collection::vec(0usize..5, 80), period in 1u32..8, end in 0i32..45) {
        let txs: Vec<Transaction<u8>> = rows.iter().map(|&(c, d, a)| Transaction { customer: c, day: Day(d), amount: a as f64 / 100.0 }).collect();
        let log = TransactionLog::new(&txs).unwrap();
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        let one = log.summarize(&params);

        // Partition the caller's rows; each part has its own partial per customer id.
        let mut states: Vec<Vec<PartialSummary>> = vec![vec![PartialSummary::default(); 6]; parts];
        for (i, t) in txs.iter().enumerate() {
            states[assign[i] % parts][t.customer as usize].update(&params, t.day, t.amount);
        }
        // Merge parts in a different order than they were made.
        let mut merged = vec![PartialSummary::default(); 6];
        for part in states.iter().rev() {
            for (m, p) in merged.iter_mut().zip(part) {
                m.merge(p);
            }
        }
        let pairs: Vec<(u32, &PartialSummary)> = (0..log.n_customers() as u32)
            .map(|c| (c, &merged[*log.customer_id(c) as usize]))
            .collect();
        let from_parts = CustomerSummary::from_partials(pairs, &params);
        prop_assert_eq!(one, from_parts);
    }

    /// A state taken apart ([`PartialSummary::into_parts`]) and rebuilt, with or
    /// without its per-period days (as a query engine's state columns may carry it),
    /// merges and finishes exactly as the original.
    #[test]
    fn parts_round_trip_and_merge_exactly(rows in arb_rows(), split in 0usize..80, period in 1u32..8, end in 0i32..45, refunds in any::<bool>()) {
        use patronage::summary::PartialSummaryParts;
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        let (mut a, mut b) = (PartialSummary::default(), PartialSummary::default());
        for (i, &(_, d, cents)) in rows.iter().enumerate() {
            let amount = if refunds && cents % 7 == 0 { -(cents as f64) / 100.0 } else { cents as f64 / 100.0 };
            if i < split { &mut a } else { &mut b }.update(&params, Day(d), amount);
        }
        let rebuilt = PartialSummary::try_from(a.clone().into_parts()).unwrap();
        prop_assert_eq!(&rebuilt, &a);
        let without_days = |s: &PartialSummary| PartialSummary::try_from(PartialSummaryParts { bounds: Vec::new(), ..s.clone().into_parts() }).unwrap();
        let mut want = a.clone();
        want.merge(&b);
        let mut got = without_days(&a);
        got.merge(&without_days(&b));
        prop_assert_eq!(got.finish(&params).unwrap(), want.finish(&params).unwrap());
        for policy in [patronage::Returns::Separate, patronage::Returns::Reject] {
            prop_assert_eq!(got.finish_with(&params, policy).unwrap(), want.finish_with(&params, policy).unwrap());
        }
    }

    /// Summarizing into a previous summary (longer, shorter, from a table or from
    /// another log) gives exactly the fresh summary; on error the previous one is kept.
    #[test]
    fn summarize_into_equals_a_fresh_summary(rows in arb_rows(), other in arb_rows(), period in 1u32..8, end in -5i32..45, prev_end in 0i32..45) {
        let tx = |rows: &[(u8, i32, u32)]| -> Vec<Transaction<u8>> {
            rows.iter().map(|&(c, d, a)| Transaction { customer: c, day: Day(d), amount: a as f64 / 100.0 }).collect()
        };
        let (log, other_log) = (TransactionLog::new(&tx(&rows)).unwrap(), TransactionLog::new(&tx(&other)).unwrap());
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        let fresh = log.summarize(&params);
        let previous = [
            other_log.summarize(&SummaryParams::new(Day(prev_end))),
            log.summarize(&SummaryParams::new(Day(prev_end)).period_days(period)),
            CustomerSummary::from_columns(&[1.0, 0.0, 3.0], &[1.0, 0.0, 2.0], &[2.0, 1.0, 2.0], None),
        ];
        for prev in previous.into_iter().flatten() {
            let mut out = prev.clone();
            match (log.summarize_into(&params, &mut out), &fresh) {
                (Ok(()), Ok(fresh)) => prop_assert_eq!(&out, fresh),
                (Err(e), Err(f)) => {
                    prop_assert_eq!(e.to_string(), f.to_string());
                    prop_assert_eq!(&out, &prev);
                }
                (got, want) => prop_assert!(false, "summarize_into {got:?}, summarize {want:?}"),
            }
        }
    }

    /// The log does not depend on the order of the caller's rows.
    #[test]
    fn row_order_does_not_matter(rows in arb_rows()) {
        let txs: Vec<Transaction<u8>> = rows.iter().map(|&(c, d, a)| Transaction { customer: c, day: Day(d), amount: a as f64 / 100.0 }).collect();
        let mut rev = txs.clone();
        rev.reverse();
        let (a, b) = (TransactionLog::new(&txs).unwrap(), TransactionLog::new(&rev).unwrap());
        for c in 0..a.n_customers() as u32 {
            let id = a.customer_id(c);
            let k = b.customer_index(id).unwrap();
            prop_assert_eq!(a.customer_rows(c), b.customer_rows(k));
        }
    }
}

#[test]
fn purchase_entries_at_the_edges() {
    use patronage::summary::PERIOD_SPEND_CAP;
    use patronage::transactions::MAX_AMOUNT;
    // Days at the ends of i32 with the origin at the other end, 1-day and 7-day periods.
    for period in [1, 7] {
        let far = SummaryParams::new(Day(i32::MAX))
            .period_days(period)
            .origin(Day(i32::MIN));
        let (p, spend) = PartialSummary::purchase_entry(&far, Day(i32::MAX), 1.0).unwrap();
        assert_eq!(
            p,
            (i64::from(i32::MAX) - i64::from(i32::MIN)) / i64::from(period)
        );
        assert_eq!(spend, 1_000_000);
        assert_eq!(
            PartialSummary::purchase_entry(&far, Day(i32::MIN), 0.0),
            Some((0, 0))
        );
    }
    let params = SummaryParams::new(Day(100));
    // Ignored as `update` ignores them: after the end, not finite, negative, too large.
    for amount in [f64::NAN, f64::INFINITY, -1.0, MAX_AMOUNT * 2.0] {
        assert_eq!(
            PartialSummary::purchase_entry(&params, Day(5), amount),
            None
        );
    }
    assert_eq!(PartialSummary::purchase_entry(&params, Day(101), 1.0), None);
    assert!(PartialSummary::purchase_entry(&params, Day(5), MAX_AMOUNT).is_some());
    // Sums stop at the cap and never overflow.
    assert_eq!(
        PartialSummary::add_spends(i128::MAX, i128::MAX),
        PERIOD_SPEND_CAP
    );
    assert_eq!(
        PartialSummary::add_spends(PERIOD_SPEND_CAP, 1),
        PERIOD_SPEND_CAP
    );
    assert_eq!(PartialSummary::add_spends(2, 3), 5);
}
