//! Kaplan-Meier against lifelines 0.30 on the waltons data (REFERENCE.md
//! "Kaplan-Meier"), the log-rank test, lifetimes from a log, invariants and errors.

use patronage::prelude::*;
use patronage::survival::{KaplanMeier, lifetimes, log_rank};
use patronage::{Day, Error, Transaction, TransactionLog};

fn waltons() -> (Vec<f64>, Vec<bool>, Vec<String>) {
    let text = std::fs::read_to_string("tests/data/waltons.csv").unwrap();
    let (mut t, mut e, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        t.push(f[0].parse().unwrap());
        e.push(match f[1] {
            "1" => true,
            "0" => false,
            other => panic!("event {other}"),
        });
        g.push(f[2].to_string());
    }
    (t, e, g)
}

#[test]
fn waltons_matches_lifelines() {
    let (t, e, _) = waltons();
    assert_eq!(t.len(), 163);
    let km = KaplanMeier::params().fit((&t, &e)).unwrap();
    for (time, want) in [
        (10.0, 0.969210),
        (30.0, 0.827224),
        (50.0, 0.616817),
        (60.0, 0.311524),
    ] {
        assert!(
            (km.survival_at(time).unwrap() - want).abs() < 1e-6,
            "S({time}) = {}",
            km.survival_at(time).unwrap()
        );
    }
    assert_eq!(km.median(), Some(56.0));
    let (lo, hi) = km.interval_at(29.0, 0.95).unwrap();
    assert!(
        (lo - 0.759669).abs() < 1e-6 && (hi - 0.877313).abs() < 1e-6,
        "[{lo}, {hi}]"
    );
    // Survival is non-increasing and starts at 1.
    assert!(km.survival().windows(2).all(|w| w[1] <= w[0]));
    assert_eq!(km.survival_at(-1.0).unwrap(), 1.0);
}

#[test]
fn log_rank_separates_the_waltons_groups() {
    let (t, e, g) = waltons();
    let pick = |name: &str| -> (Vec<f64>, Vec<bool>) {
        let idx: Vec<usize> = (0..t.len()).filter(|&i| g[i] == name).collect();
        (
            idx.iter().map(|&i| t[i]).collect(),
            idx.iter().map(|&i| e[i]).collect(),
        )
    };
    let (ta, ea) = pick("miR-137");
    let (tb, eb) = pick("control");
    let r = log_rank(&ta, &ea, &tb, &eb).unwrap();
    // lifelines' logrank_test on these groups: test statistic 122.25, p < 1e-27.
    assert!((r.statistic - 122.25).abs() < 0.01, "{}", r.statistic);
    assert!(r.p_value < 1e-20);
    let same = log_rank(&ta, &ea, &ta, &ea).unwrap();
    assert!(same.statistic.abs() < 1e-12 && (same.p_value - 1.0).abs() < 1e-12);
}

#[test]
fn lifetimes_from_a_log() {
    let t = |c: u8, d: i32| Transaction {
        customer: c,
        day: Day(d),
        amount: 1.0,
    };
    let log = TransactionLog::new(&[t(1, 0), t(1, 30), t(2, 10), t(2, 190), t(3, 50), t(4, 300)])
        .unwrap();
    let (customers, durations, events) =
        lifetimes(&log, Day(200), patronage::Horizon::days(90.0)).unwrap();
    assert_eq!(customers, vec![0, 1, 2]);
    assert_eq!(durations, vec![30.0, 190.0, 0.0]);
    assert_eq!(events, vec![true, false, true]);
    let km = KaplanMeier::params().fit((&durations, &events)).unwrap();
    assert!((km.survival_at(0.0).unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn error_paths() {
    assert!(matches!(
        KaplanMeier::params().fit((&[] as &[f64], &[] as &[bool])),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        KaplanMeier::params().fit((&[1.0, 2.0], &[true])),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        KaplanMeier::params().fit((&[1.0, f64::NAN], &[true, true])),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        KaplanMeier::params().fit((&[1.0, -2.0], &[true, true])),
        Err(Error::Negative { row: 1, .. })
    ));
    let km = KaplanMeier::params()
        .fit((&[1.0, 2.0], &[true, false]))
        .unwrap();
    assert!(matches!(
        km.interval_at(1.0, 1.5),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        log_rank(&[1.0], &[false], &[2.0], &[false]),
        Err(Error::InsufficientData { .. })
    ));
    let log = TransactionLog::new(&[Transaction {
        customer: 1,
        day: Day(5),
        amount: 1.0,
    }])
    .unwrap();
    assert!(matches!(
        lifetimes(&log, Day(0), patronage::Horizon::days(10.0)),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        lifetimes(&log, Day(10), patronage::Horizon::days(-1.0)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        lifetimes(&log, Day(10), patronage::Horizon::days(f64::NAN)),
        Err(Error::InvalidParameter {
            name: "inactivity",
            ..
        })
    ));
}

/// Reading a curve at NaN is an error (it read as S = 1); infinities read the ends.
#[test]
fn curves_are_read_at_real_times_only() {
    let km = KaplanMeier::params()
        .fit((&[1.0, 2.0, 3.0], &[true, true, false]))
        .unwrap();
    assert!(matches!(
        km.survival_at(f64::NAN),
        Err(patronage::Error::InvalidParameter { name: "t", .. })
    ));
    assert!(km.interval_at(f64::NAN, 0.95).is_err());
    assert_eq!(km.survival_at(f64::NEG_INFINITY).unwrap(), 1.0);
    assert_eq!(
        km.survival_at(f64::INFINITY).unwrap(),
        km.survival_at(3.0).unwrap()
    );
}
