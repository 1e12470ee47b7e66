//! Property tests for market-basket mining, cohort retention and Kaplan-Meier:
//! FP-growth against brute-force counting on random baskets, and the invariants the
//! issue names (support anti-monotone, rules above their threshold, retention at
//! period 0 is 100%, survival non-increasing and within [0, 1]).

use patronage::Period;
use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};
use patronage::cohort::retention;
use patronage::model::Fit;
use patronage::survival::KaplanMeier;
use patronage::{Day, Transaction, TransactionLog};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every itemset FP-growth reports has the support a direct scan gives, and every
    /// subset of items meeting the minimum count is reported (checked exhaustively over
    /// the 2^6 subsets of six items).
    #[test]
    fn fp_growth_equals_brute_force(
        orders in proptest::collection::vec(proptest::collection::vec(0u8..6, 1..6), 1..40),
        min_count in 1usize..5,
    ) {
        let lines: Vec<OrderLine<usize, u8>> = orders
            .iter()
            .enumerate()
            .flat_map(|(o, items)| items.iter().map(move |&item| OrderLine { order: o, item }))
            .collect();
        let b = Baskets::new(&lines).unwrap();
        let sets = b.frequent_itemsets(MinSupport::Count(min_count), None).unwrap();
        for mask in 1u32..64 {
            let items: Vec<u8> = (0..6u8).filter(|i| mask & (1 << i) != 0).collect();
            let count = orders.iter().filter(|o| items.iter().all(|i| o.contains(i))).count();
            let mut idx: Option<Vec<u32>> = items.iter().map(|i| b.item_index(i)).collect();
            let found = idx.as_mut().and_then(|idx| {
                idx.sort_unstable();
                sets.iter().find(|s| {
                    let mut si = s.items.clone();
                    si.sort_unstable();
                    si == *idx
                })
            });
            if count >= min_count {
                prop_assert!(found.is_some(), "missing {:?} (count {})", items, count);
                prop_assert_eq!(found.unwrap().count, count);
            } else {
                prop_assert!(found.is_none(), "{:?} reported with count {}", items, count);
            }
        }
        // Rules respect their threshold, and confidence = support(A ∪ C) / support(A).
        for r in b.rules(&sets, Metric::Confidence, 0.3).unwrap() {
            prop_assert!(r.confidence >= 0.3 - 1e-12);
            prop_assert!(r.confidence <= 1.0 + 1e-12);
            prop_assert!(r.lift >= 0.0);
        }
    }

    /// Retention: period 0 holds the whole cohort, counts never exceed it, revenue sums
    /// to the log's total.
    #[test]
    fn retention_invariants(rows in proptest::collection::vec((0u16..50, 0i32..800, 0.0f64..50.0), 1..300)) {
        let rows: Vec<_> = rows.into_iter().map(|(c, d, a)| Transaction { customer: c, day: Day(d), amount: a }).collect();
        let log = TransactionLog::new(&rows).unwrap();
        for period in [Period::Day, Period::Week, Period::Month, Period::Quarter] {
            let t = retention(&log, period).unwrap();
            prop_assert_eq!(t.sizes.iter().sum::<usize>(), log.n_customers());
            for (c, row) in t.active.iter().enumerate() {
                prop_assert_eq!(row[0], t.sizes[c]);
                prop_assert!(row.iter().all(|&a| a <= t.sizes[c]));
            }
            let revenue: f64 = t.revenue.iter().flatten().sum();
            let total: f64 = rows.iter().map(|r| r.amount).sum();
            prop_assert!((revenue - total).abs() <= 1e-9 * (1.0 + total));
        }
    }

    /// Kaplan-Meier survival starts at or below 1, never rises, stays in [0, 1], and its
    /// intervals contain it.
    #[test]
    fn kaplan_meier_is_a_survival_curve(obs in proptest::collection::vec((0.0f64..100.0, proptest::bool::ANY), 1..200)) {
        let durations: Vec<f64> = obs.iter().map(|o| o.0).collect();
        let events: Vec<bool> = obs.iter().map(|o| o.1).collect();
        let km = KaplanMeier::params().fit((&durations, &events)).unwrap();
        let s = km.survival();
        prop_assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
        prop_assert!(s.windows(2).all(|w| w[1] <= w[0] + 1e-15));
        for &t in km.times() {
            let v = km.survival_at(t).unwrap();
            if let Ok((lo, hi)) = km.interval_at(t, 0.95) {
                prop_assert!(lo <= v + 1e-12 && v <= hi + 1e-12, "{} not in [{}, {}]", v, lo, hi);
            }
        }
    }
}
