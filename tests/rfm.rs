//! RFM scores and segments against the common pandas recipe on the CDNOW sample
//! (REFERENCE.md "RFM on the CDNOW sample"), and the error paths.

mod common;

use patronage::Error;
use patronage::rfm::{RfmParams, SegmentMap, TiePolicy};
use patronage::summary::SummaryParams;
use patronage::transactions::{Day, TransactionLog};

fn cdnow() -> TransactionLog<u32> {
    let rows = common::cdnow_rows();
    TransactionLog::new(&rows).unwrap()
}

fn counts(scores: &[u8]) -> Vec<usize> {
    (1..=5)
        .map(|k| scores.iter().filter(|&&s| s == k).count())
        .collect()
}

#[test]
fn cdnow_scores_match_the_pandas_recipe() {
    let log = cdnow();
    let summary = log.summarize(&SummaryParams::new(log.last_day())).unwrap();
    let analysis = Day::from_ymd(1998, 7, 1).unwrap();
    let scores = RfmParams::default().score(&summary, analysis).unwrap();
    assert_eq!(scores.len(), 2357);
    assert_eq!(counts(scores.recency()), vec![459, 478, 475, 471, 474]);
    assert_eq!(counts(scores.frequency()), vec![472, 471, 471, 471, 472]);
    assert_eq!(counts(scores.monetary()), vec![481, 462, 472, 470, 472]);

    // Customers 1, 2, 3: (recency, orders, spend) and cells.
    let days = summary.days_since_last().unwrap();
    for (id, rec, orders, money, cell) in [
        (1u32, 201, 4, 100.50, "444"),
        (2, 534, 2, 75.11, "134"),
        (3, 546, 1, 6.79, "111"),
    ] {
        let c = log.customer_index(&id).unwrap();
        let row = summary.customer().iter().position(|&k| k == c).unwrap();
        assert_eq!(days[row] + 1, rec, "recency of {id}"); // analysis day is the day after the end
        assert_eq!(summary.orders().unwrap()[row], orders);
        assert!((summary.total_spend().unwrap()[row] - money).abs() < 1e-9);
        assert_eq!(scores.cell(row), cell, "cell of {id}");
    }

    let map = SegmentMap::rf_grid();
    let table = map.summarize(&summary, &scores).unwrap();
    let count = |name: &str| table.iter().find(|s| s.segment == name).unwrap().customers;
    for (name, n) in [
        ("Hibernating", 846),
        ("Loyal Customers", 470),
        ("Champions", 449),
        ("Need Attention", 297),
        ("Potential Loyalists", 107),
        ("About To Sleep", 97),
        ("At Risk", 88),
        ("Can't Lose Them", 3),
        ("Promising", 0),
        ("New Customers", 0),
        ("Others", 0),
    ] {
        assert_eq!(count(name), n, "{name}");
    }
    let share: f64 = table.iter().map(|s| s.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-12);
    let revenue: f64 = table.iter().map(|s| s.revenue).sum();
    let total: f64 = log.amounts().iter().sum();
    assert!((revenue - total).abs() < 1e-6);
}

#[test]
fn rf_grid_partitions_the_grid() {
    let map = SegmentMap::rf_grid();
    for r in 1..=5u8 {
        for f in 1..=5u8 {
            let hits = map
                .rules()
                .iter()
                .filter(|rule| rule.recency.contains(&r) && rule.frequency.contains(&f))
                .count();
            assert_eq!(hits, 1, "cell R{r} F{f}");
        }
    }
}

#[test]
fn classic_map_names_every_segment_with_a_description() {
    let map = SegmentMap::classic();
    assert_eq!(map.rules().len(), 11);
    assert!(map.rules().iter().all(|r| !r.description.is_empty()));
    let scores = RfmParams::default()
        .score_values(&[1.0, 500.0], &[20.0, 1.0], &[900.0, 1.0])
        .unwrap();
    let seg = map.assign(&scores);
    assert_eq!(map.name(seg[0]), "Champions");
    assert_eq!(map.name(seg[1]), "Hibernating");
}

#[test]
fn quantile_ties_share_a_score_rank_first_splits_them() {
    let v = [3.0, 3.0, 3.0, 3.0, 1.0, 5.0];
    let q = RfmParams::default()
        .tie_policy(TiePolicy::Quantile)
        .score_values(&v, &v, &v)
        .unwrap();
    assert!(q.monetary()[..4].iter().all(|&s| s == q.monetary()[0]));
    let rf = RfmParams::default()
        .tie_policy(TiePolicy::RankFirst)
        .score_values(&v, &v, &v)
        .unwrap();
    // Ranks by value then row: 1.0 -> 1, the 3.0s -> 2..5 in row order, 5.0 -> 6.
    assert_eq!(rf.monetary(), &[1, 2, 3, 4, 1, 5]); // rank edges 2, 3, 4, 5 on ranks 1..=6
}

#[test]
fn error_paths() {
    let p = RfmParams::default();
    assert!(matches!(
        p.score_values(&[], &[], &[]),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        p.score_values(&[1.0], &[1.0, 2.0], &[1.0]),
        Err(Error::LengthMismatch {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        p.score_values(&[1.0, 2.0], &[1.0, 2.0], &[1.0, f64::NAN]),
        Err(Error::NonFinite {
            field: "monetary",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        p.bins(1).score_values(&[1.0], &[1.0], &[1.0]),
        Err(Error::InvalidParameter { name: "bins", .. })
    ));
    let summary = patronage::CustomerSummary::from_columns(&[1.0], &[1.0], &[2.0], None).unwrap();
    assert!(matches!(
        p.score(&summary, Day(0)),
        Err(Error::InsufficientData { .. })
    ));
    let log = cdnow();
    let s = log
        .summarize(&SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()))
        .unwrap();
    assert!(matches!(
        p.score(&s, Day::from_ymd(1997, 9, 1).unwrap()),
        Err(Error::InvalidParameter {
            name: "analysis_day",
            ..
        })
    ));
    let scores = p.score(&s, Day::from_ymd(1997, 10, 1).unwrap()).unwrap();
    let other = log
        .summarize(&SummaryParams::new(Day::from_ymd(1997, 1, 10).unwrap()))
        .unwrap();
    assert!(matches!(
        SegmentMap::classic().summarize(&other, &scores),
        Err(Error::LengthMismatch { .. })
    ));
}
