//! Customer profiles, attributes, group summaries and the feature matrix, on hand-made
//! data whose values are worked out by hand; and their error paths.

use patronage::profile::{Attributes, Feature, Profile};
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::{CustomerSummary, Day, Error, SummaryParams, Transaction, TransactionLog};

fn log() -> TransactionLog<u32> {
    let t = |c: u32, d: i32, a: f64| Transaction {
        customer: c,
        day: Day(d),
        amount: a,
    };
    // Customer 10: days 0, 4, 4, 10, 30 (gaps 4, 6, 20); 11: one order; 12: after the end.
    TransactionLog::new(&[
        t(10, 0, 10.0),
        t(10, 4, 20.0),
        t(10, 4, 30.0),
        t(10, 10, 40.0),
        t(10, 30, 50.0),
        t(11, 20, 7.0),
        t(12, 50, 1.0),
    ])
    .unwrap()
}

#[test]
fn profile_values_by_hand() {
    let log = log();
    let summary = log.summarize(&SummaryParams::new(Day(39))).unwrap();
    assert_eq!(summary.len(), 2);
    let p = Profile::new(&log, &summary).unwrap();
    assert_eq!(p.tenure_days(), &[39.0, 19.0]);
    assert_eq!(p.days_since_last(), &[9.0, 19.0]);
    assert_eq!(p.mean_gap_days(), &[Some(10.0), None]);
    assert_eq!(p.median_gap_days(), &[Some(6.0), None]);
    assert_eq!(p.average_order_value(), &[30.0, 7.0]);
    // Sample sd of 10, 20, 30, 40, 50 = sqrt(250).
    assert!((p.order_value_sd()[0] - 250f64.sqrt()).abs() < 1e-12);
    assert_eq!(p.order_value_sd()[1], 0.0);
    assert!((p.orders_per_30_days()[0] - 30.0 * 5.0 / 40.0).abs() < 1e-12);
}

#[test]
fn attributes_join_by_id_and_one_hot_encode() {
    let log = log();
    let summary = log.summarize(&SummaryParams::new(Day(60))).unwrap();
    let p = Profile::new(&log, &summary).unwrap();
    let attrs = Attributes::for_log(&log)
        .categorical("channel", &log, &[(12, "web"), (10, "store"), (99, "web")])
        .unwrap()
        .numeric("age", &log, &[(10, 30.0), (11, 40.0), (12, 50.0)])
        .unwrap();
    let (x, names) = p
        .features(
            &attrs,
            &[
                Feature::Orders,
                Feature::MeanGapDays,
                Feature::Attribute("channel".into()),
                Feature::Attribute("age".into()),
            ],
        )
        .unwrap();
    assert_eq!(
        names,
        [
            "orders",
            "mean_gap_days",
            "channel=web",
            "channel=store",
            "age"
        ]
    );
    assert_eq!(x.row(0).to_vec(), vec![5.0, 10.0, 0.0, 1.0, 30.0]);
    // Customer 11 has no channel (all zeros) and one purchase day (gap = tenure 40).
    assert_eq!(x.row(1).to_vec(), vec![1.0, 40.0, 0.0, 0.0, 40.0]);
    assert_eq!(x.row(2).to_vec(), vec![1.0, 10.0, 1.0, 0.0, 50.0]);

    let groups = attrs.group_summary("channel", &summary).unwrap();
    let values: Vec<(&str, usize, u64, f64)> = groups
        .iter()
        .map(|g| (g.value.as_str(), g.customers, g.orders, g.revenue))
        .collect();
    assert_eq!(
        values,
        vec![
            ("(missing)", 1, 1, 7.0),
            ("store", 1, 5, 150.0),
            ("web", 1, 1, 1.0)
        ]
    );
    assert_eq!(groups[1].average_order_value, 30.0);

    let scores = RfmParams::default().score(&summary, Day(61)).unwrap();
    let map = SegmentMap::rf_grid();
    let crossed = attrs
        .group_summary_by_segment("channel", &summary, &map, &map.assign(&scores))
        .unwrap();
    assert_eq!(crossed.iter().map(|g| g.customers).sum::<usize>(), 3);
    assert!(crossed.iter().all(|g| g.segment.is_some()));
    let ages = attrs.group_summary("age", &summary).unwrap();
    assert_eq!(ages.len(), 3);
}

#[test]
fn error_paths() {
    let log = log();
    let summary = log.summarize(&SummaryParams::new(Day(60))).unwrap();
    let p = Profile::new(&log, &summary).unwrap();
    let attrs = Attributes::for_log(&log)
        .numeric("age", &log, &[(10, 30.0)])
        .unwrap();
    assert!(matches!(
        p.features(&attrs, &[]),
        Err(Error::InvalidParameter {
            name: "features",
            ..
        })
    ));
    assert!(matches!(
        p.features(&attrs, &[Feature::Attribute("income".into())]),
        Err(Error::InvalidParameter {
            name: "attribute",
            ..
        })
    ));
    assert!(matches!(
        p.features(&attrs, &[Feature::Attribute("age".into())]),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        attrs.clone().numeric("age", &log, &[]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        Attributes::for_log(&log).numeric("x", &log, &[(10, f64::NAN)]),
        Err(Error::NonFinite { row: 0, .. })
    ));
    assert!(matches!(
        Attributes::for_log(&log).numeric("x", &log, &[(10, 1.0), (10, 2.0)]),
        Err(Error::InvalidValue { row: 1, .. })
    ));
    assert!(matches!(
        Attributes::for_log(&log).categorical("x", &log, &[(11, "a"), (11, "b")]),
        Err(Error::InvalidValue { row: 1, .. })
    ));
    let cols = CustomerSummary::from_columns(&[0.0], &[0.0], &[1.0], None).unwrap();
    assert!(matches!(
        Profile::new(&log, &cols),
        Err(Error::InsufficientData { .. })
    ));
    assert!(matches!(
        attrs.group_summary("age", &cols),
        Err(Error::InsufficientData { .. })
    ));
    let map = SegmentMap::classic();
    assert!(matches!(
        attrs.group_summary_by_segment("age", &summary, &map, &[0]),
        Err(Error::LengthMismatch { .. })
    ));
}
