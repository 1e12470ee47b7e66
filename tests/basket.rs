//! FP-growth and association rules against mlxtend 0.25 on its user guide's five
//! baskets (REFERENCE.md "Market-basket rules"), invariants and error paths.

use patronage::Error;
use patronage::basket::{Baskets, Itemset, Metric, MinSupport, OrderLine, Rule};

fn mlxtend_baskets() -> Baskets<&'static str> {
    let orders: [&[&str]; 5] = [
        &["Milk", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
        &["Dill", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
        &["Milk", "Apple", "Kidney Beans", "Eggs"],
        &["Milk", "Unicorn", "Corn", "Kidney Beans", "Yogurt"],
        &[
            "Corn",
            "Onion",
            "Onion",
            "Kidney Beans",
            "Ice cream",
            "Eggs",
        ],
    ];
    let lines: Vec<OrderLine<usize, &str>> = orders
        .iter()
        .enumerate()
        .flat_map(|(o, items)| items.iter().map(move |&item| OrderLine { order: o, item }))
        .collect();
    Baskets::new(&lines).unwrap()
}

fn names(b: &Baskets<&'static str>, items: &[u32]) -> Vec<&'static str> {
    let mut v: Vec<&str> = items.iter().map(|&i| *b.item(i)).collect();
    v.sort_unstable();
    v
}

fn find<'a>(b: &Baskets<&'static str>, rules: &'a [Rule], a: &[&str], c: &[&str]) -> &'a Rule {
    rules
        .iter()
        .find(|r| names(b, &r.antecedent) == a && names(b, &r.consequent) == c)
        .unwrap()
}

#[test]
fn itemsets_and_rules_match_mlxtend() {
    let b = mlxtend_baskets();
    let sets = b
        .frequent_itemsets(MinSupport::Fraction(0.6), None)
        .unwrap();
    assert_eq!(sets.len(), 11);
    let support = |items: &[&str]| {
        sets.iter()
            .find(|s| names(&b, &s.items) == items)
            .map(|s| s.support)
            .unwrap()
    };
    assert_eq!(support(&["Kidney Beans"]), 1.0);
    assert_eq!(support(&["Eggs"]), 0.8);
    assert_eq!(support(&["Eggs", "Kidney Beans"]), 0.8);
    for s in [
        &["Yogurt"][..],
        &["Milk"],
        &["Onion"],
        &["Kidney Beans", "Yogurt"],
        &["Kidney Beans", "Milk"],
        &["Eggs", "Onion"],
        &["Kidney Beans", "Onion"],
        &["Eggs", "Kidney Beans", "Onion"],
    ] {
        assert_eq!(support(s), 0.6, "{s:?}");
    }

    let rules = b.rules(&sets, Metric::Confidence, 0.7).unwrap();
    assert_eq!(rules.len(), 12);
    let r = find(&b, &rules, &["Eggs"], &["Onion"]);
    let close = |a: f64, e: f64| (a - e).abs() < 1e-12;
    assert!(
        close(r.support, 0.6)
            && close(r.confidence, 0.75)
            && close(r.lift, 1.25)
            && close(r.leverage, 0.12)
    );
    assert!(
        close(r.conviction, 1.6)
            && close(r.zhang, 1.0)
            && close(r.jaccard, 0.75)
            && close(r.certainty, 0.375)
            && close(r.kulczynski, 0.875)
    );
    let r = find(&b, &rules, &["Onion"], &["Eggs"]);
    assert!(
        close(r.confidence, 1.0)
            && close(r.lift, 1.25)
            && r.conviction == f64::INFINITY
            && close(r.zhang, 0.5)
            && close(r.certainty, 1.0)
    );
    let r = find(&b, &rules, &["Eggs"], &["Kidney Beans"]);
    assert!(
        close(r.confidence, 1.0)
            && close(r.lift, 1.0)
            && close(r.leverage, 0.0)
            && r.conviction.is_infinite()
    );
    assert!(
        close(r.zhang, 0.0)
            && close(r.jaccard, 0.8)
            && close(r.certainty, 0.0)
            && close(r.kulczynski, 0.9)
    );
    let r = find(&b, &rules, &["Eggs"], &["Kidney Beans", "Onion"]);
    assert!(close(r.support, 0.6) && close(r.confidence, 0.75) && close(r.lift, 1.25));
}

#[test]
fn invariants() {
    let b = mlxtend_baskets();
    let sets = b.frequent_itemsets(MinSupport::Count(1), None).unwrap();
    // Support is anti-monotone: every subset is at least as frequent.
    let count = |items: &[u32]| sets.iter().find(|s| s.items == items).map(|s| s.count);
    for s in &sets {
        for drop in 0..s.items.len() {
            let sub: Vec<u32> = s
                .items
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != drop)
                .map(|(_, &i)| i)
                .collect();
            if !sub.is_empty() {
                assert!(count(&sub).unwrap() >= s.count);
            }
        }
        // Counts agree with a direct scan.
        let direct = (0..b.n_orders())
            .filter(|&o| s.items.iter().all(|i| b.basket(o).contains(i)))
            .count();
        assert_eq!(direct, s.count);
    }
    for metric in [Metric::Lift, Metric::Confidence, Metric::Jaccard] {
        for r in b.rules(&sets, metric, 0.5).unwrap() {
            assert!(r.metric(metric) >= 0.5);
        }
    }
    let short = b.frequent_itemsets(MinSupport::Count(1), Some(2)).unwrap();
    assert!(short.iter().all(|s| s.items.len() <= 2));
    assert_eq!(
        short.len(),
        sets.iter().filter(|s| s.items.len() <= 2).count()
    );
    // A repeated item in one order counts once: Onion is in 3 orders.
    let onion = b.item_index(&"Onion").unwrap();
    assert_eq!(sets.iter().find(|s| s.items == [onion]).unwrap().count, 3);
}

#[test]
fn recommendations_skip_held_items() {
    let b = mlxtend_baskets();
    let sets = b
        .frequent_itemsets(MinSupport::Fraction(0.4), None)
        .unwrap();
    let rules = b.rules(&sets, Metric::Confidence, 0.0).unwrap();
    let held = [b.item_index(&"Onion").unwrap()];
    let recs = b.recommend(&rules, &held, Metric::Confidence, 3);
    assert!(!recs.is_empty() && recs.len() <= 3);
    assert!(recs.iter().all(|(i, _)| !held.contains(i)));
    assert!(recs.windows(2).all(|w| w[0].1 >= w[1].1));
    // Onion -> Eggs and Onion -> Kidney Beans both have confidence 1 (ties by item index).
    let top: Vec<&str> = recs[..2].iter().map(|(i, _)| *b.item(*i)).collect();
    assert_eq!(top, ["Kidney Beans", "Eggs"]);
    assert_eq!((recs[0].1, recs[1].1), (1.0, 1.0));
}

#[test]
fn error_paths() {
    let empty: Vec<OrderLine<u8, u8>> = vec![];
    assert!(matches!(Baskets::new(&empty), Err(Error::Empty { .. })));
    let b = mlxtend_baskets();
    for bad in [
        MinSupport::Fraction(0.0),
        MinSupport::Fraction(1.5),
        MinSupport::Fraction(f64::NAN),
        MinSupport::Count(0),
    ] {
        assert!(matches!(
            b.frequent_itemsets(bad, None),
            Err(Error::InvalidParameter {
                name: "min_support",
                ..
            })
        ));
    }
    assert!(matches!(
        b.frequent_itemsets(MinSupport::Count(1), Some(0)),
        Err(Error::InvalidParameter {
            name: "max_len",
            ..
        })
    ));
    let sets = b
        .frequent_itemsets(MinSupport::Fraction(0.6), None)
        .unwrap();
    assert!(matches!(
        b.rules(&sets, Metric::Lift, f64::NAN),
        Err(Error::InvalidParameter { .. })
    ));
    let pairs_only: Vec<Itemset> = sets.into_iter().filter(|s| s.items.len() == 2).collect();
    assert!(matches!(
        b.rules(&pairs_only, Metric::Lift, 0.0),
        Err(Error::InvalidValue {
            field: "itemsets",
            ..
        })
    ));
}

#[test]
fn interleaved_lines_and_long_baskets_match_a_direct_count() {
    // 300 orders over 30 items, baskets of up to 40 lines (repeats included), lines
    // shuffled across orders: baskets are the distinct items of each order, and every
    // itemset of up to three items held by at least 20 orders is found with its count.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let mut lines: Vec<OrderLine<u64, u64>> = Vec::new();
    for order in 0..300u64 {
        let n = 1 + next(40);
        for _ in 0..n {
            // Low item numbers are more frequent.
            let bound = if next(2) == 0 { 30 } else { 1 + next(30) };
            let item = next(bound);
            lines.push(OrderLine { order, item });
        }
    }
    for k in (1..lines.len()).rev() {
        let j = next(k as u64 + 1) as usize;
        lines.swap(k, j);
    }
    let b = Baskets::new(&lines).unwrap();
    // Orders are numbered in first-seen order.
    let mut seen: Vec<u64> = Vec::new();
    for l in &lines {
        if !seen.contains(&l.order) {
            seen.push(l.order);
        }
    }
    assert_eq!(b.n_orders(), seen.len());
    for (o, &order) in seen.iter().enumerate() {
        let mut want: Vec<u32> = lines
            .iter()
            .filter(|l| l.order == order)
            .map(|l| b.item_index(&l.item).unwrap())
            .collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(b.basket(o), want.as_slice());
    }
    assert!((0..b.n_orders()).any(|o| b.basket(o).len() > 16));
    let sets = b.frequent_itemsets(MinSupport::Count(20), Some(3)).unwrap();
    let count = |items: &[u32]| {
        (0..b.n_orders())
            .filter(|&o| items.iter().all(|i| b.basket(o).contains(i)))
            .count()
    };
    let n = b.n_items() as u32;
    let mut want: Vec<(Vec<u32>, usize)> = Vec::new();
    for i in 0..n {
        for j in i..n {
            for k in j..n {
                let mut items = vec![i, j, k];
                items.dedup();
                if (items.len() == 3 || (j == k && (items.len() == 2 || i == j)))
                    && count(&items) >= 20
                {
                    want.push((items.clone(), count(&items)));
                }
            }
        }
    }
    want.sort_by(|x, y| x.0.len().cmp(&y.0.len()).then_with(|| x.0.cmp(&y.0)));
    want.dedup();
    let got: Vec<(Vec<u32>, usize)> = sets.iter().map(|s| (s.items.clone(), s.count)).collect();
    assert_eq!(got, want);
    assert!(got.iter().any(|s| s.0.len() == 3));
}
