//! The campaign table: value tiers by quantiles and thresholds (exact counts), the
//! segment join, the optional columns and the cross-table's totals; bad inputs.

use patronage::Error;
use patronage::campaign::{CampaignTable, ValueTiers};
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::{Day, SummaryParams, TransactionLog};

fn inputs() -> (Vec<f64>, patronage::rfm::RfmScores) {
    let log = TransactionLog::new(
        &patronage::simulate::Simulation::new(1_000)
            .seed(9)
            .transactions()
            .expect("simulated"),
    )
    .expect("valid");
    let s = log
        .summarize(&SummaryParams::new(Day(728)))
        .expect("summary");
    let scores = RfmParams::default().score(&s, Day(729)).expect("scores");
    // Distinct values 0, 1, ..., 999 in a scrambled order.
    let clv = (0..1_000).map(|i| ((i * 7_919) % 1_000) as f64).collect();
    (clv, scores)
}

#[test]
fn tiers_segments_and_cross_table() {
    let (clv, scores) = inputs();
    let map = SegmentMap::classic();
    let table =
        CampaignTable::new(&clv, &scores, &map, &ValueTiers::top_20_mid_30()).expect("table");
    // Type 7 quantiles of 0..=999 at 0.5 and 0.8: 499.5 and 799.2.
    assert_eq!(table.tier_edges(), &[499.5, 799.2]);
    let count = |t: usize| table.rows().iter().filter(|r| r.value_tier == t).count();
    assert_eq!((count(0), count(1), count(2)), (500, 300, 200));
    let segments = map.assign(&scores);
    for r in table.rows() {
        assert_eq!(r.segment, segments[r.row]);
        assert_eq!(r.clv, clv[r.row]);
        assert!(r.p_alive.is_none() && r.churn_risk.is_none());
    }
    let cells = table.cross_table();
    assert_eq!(cells.iter().map(|c| c.customers).sum::<usize>(), 1_000);
    let total: f64 = cells.iter().map(|c| c.total_clv).sum();
    assert_eq!(total, clv.iter().sum::<f64>());
    assert_eq!(cells[0].value_tier, 2, "highest tier first");
    for c in &cells {
        assert_eq!(c.segment_name, map.name(c.segment));
        assert!((c.mean_clv - c.total_clv / c.customers as f64).abs() < 1e-12);
    }
    let by_value = CampaignTable::new(
        &clv,
        &scores,
        &map,
        &ValueTiers::Thresholds(vec![100.0, 900.0]),
    )
    .expect("table");
    let count = |t: usize| by_value.rows().iter().filter(|r| r.value_tier == t).count();
    assert_eq!((count(0), count(1), count(2)), (100, 800, 100));
    let p: Vec<f64> = (0..1_000).map(|i| i as f64 / 1_000.0).collect();
    let full = by_value
        .with_p_alive(&p)
        .and_then(|t| t.with_churn_risk(&p))
        .and_then(|t| t.with_purchase_probability(&p))
        .expect("columns");
    assert_eq!(full.rows()[10].p_alive, Some(0.01));
    assert_eq!(full.rows()[10].churn_risk, Some(0.01));
    assert_eq!(full.rows()[10].purchase_probability, Some(0.01));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (mut clv, scores) = inputs();
    let map = SegmentMap::classic();
    let tiers = ValueTiers::top_20_mid_30();
    assert!(matches!(
        CampaignTable::new(&clv[..10], &scores, &map, &tiers),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        CampaignTable::new(&[], &scores, &map, &tiers),
        Err(Error::Empty { .. })
    ));
    for bad in [
        ValueTiers::Quantiles(vec![0.8, 0.5]),
        ValueTiers::Quantiles(vec![1.0]),
        ValueTiers::Quantiles(vec![f64::NAN]),
        ValueTiers::Thresholds(vec![5.0, 5.0]),
    ] {
        assert!(
            CampaignTable::new(&clv, &scores, &map, &bad).is_err(),
            "{bad:?}"
        );
    }
    let table = CampaignTable::new(&clv, &scores, &map, &tiers).expect("table");
    assert!(matches!(
        table.clone().with_p_alive(&[0.5]),
        Err(Error::LengthMismatch { .. })
    ));
    let mut p = vec![0.5; 1_000];
    p[3] = 1.5;
    assert!(matches!(
        table.with_churn_risk(&p),
        Err(Error::InvalidValue { row: 3, .. }) | Err(Error::NonFinite { row: 3, .. })
    ));
    clv[7] = f64::INFINITY;
    assert!(matches!(
        CampaignTable::new(&clv, &scores, &map, &tiers),
        Err(Error::NonFinite {
            field: "clv",
            row: 7,
            ..
        })
    ));
}
