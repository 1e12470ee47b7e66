//! Issue 15, class 5: data values read from files (customer summaries and their
//! partial states, Kaplan-Meier curves, RFM scores, cohort tables, profiles and
//! attributes) are checked, not trusted.
//!
//! Each value built from a small log round-trips through JSON bit for bit (the same
//! value, the same JSON); a hand-edited file that breaks an invariant the code relies
//! on is a typed error at load time naming the field and the row. The error reaches
//! the caller as serde's message, which is the [`Error`]'s: each test compares it with
//! the display of the expected variant (up to its reason, for the variants that have
//! one).
#![cfg(feature = "serde")]

use patronage::cohort::{CohortTable, retention};
use patronage::profile::{Attributes, Profile};
use patronage::rfm::{RfmParams, RfmScores};
use patronage::summary::{PartialSummary, SummaryParams};
use patronage::survival::KaplanMeier;
use patronage::{CustomerSummary, Day, Error, Period, Transaction, TransactionLog};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers

/// Writes, reads and writes again: the two texts agree and the value is unchanged.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a value just written does not load: {e}\n{text}"));
    assert_eq!(&back, value);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}

/// The display of `e` up to its reason (`InvalidValue` and `InvalidParameter` carry
/// one), or all of it.
fn prefix(e: &Error) -> String {
    match e {
        Error::InvalidValue {
            field, row, value, ..
        } => Error::InvalidValue {
            field,
            row: *row,
            value: *value,
            reason: String::new(),
        }
        .to_string(),
        Error::InvalidParameter { name, value, .. } => Error::InvalidParameter {
            name,
            value: value.clone(),
            reason: String::new(),
        }
        .to_string(),
        e => e.to_string(),
    }
}

/// `value`'s JSON with `edit` applied must fail to load with `expected` (its field,
/// row and value; the reason is not compared).
fn refused<T: Serialize + DeserializeOwned>(
    value: &T,
    edit: impl FnOnce(&mut Value),
    expected: Error,
) {
    let mut v = serde_json::to_value(value).unwrap();
    edit(&mut v);
    match serde_json::from_value::<T>(v) {
        Ok(_) => panic!("a file that should give {expected:?} loaded"),
        Err(e) => {
            let (got, want) = (e.to_string(), prefix(&expected));
            assert!(got.starts_with(&want), "expected `{want}...`, got `{got}`");
        }
    }
}

fn invalid_value(field: &'static str, row: usize, value: f64) -> Error {
    Error::InvalidValue {
        field,
        row,
        value,
        reason: String::new(),
    }
}

fn invalid_parameter(name: &'static str, value: impl ToString) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason: String::new(),
    }
}

fn negative(field: &'static str, row: usize, value: f64) -> Error {
    Error::Negative { field, row, value }
}

fn length(field: &'static str, expected: usize, found: usize) -> Error {
    Error::LengthMismatch {
        field,
        expected,
        found,
    }
}

/// Three customers: 1 buys on days 0 (twice), 14 and 21; 2 on day 7; 3 on days 3, 10
/// and 40.
fn log() -> TransactionLog<u8> {
    let t = |customer: u8, d: i32, amount: f64| Transaction {
        customer,
        day: Day(d),
        amount,
    };
    TransactionLog::new(&[
        t(1, 0, 10.0),
        t(1, 0, 5.0),
        t(1, 14, 20.0),
        t(1, 21, 30.0),
        t(2, 7, 8.0),
        t(3, 3, 4.0),
        t(3, 10, 6.0),
        t(3, 40, 12.0),
    ])
    .unwrap()
}

fn summary() -> CustomerSummary {
    log().summarize(&SummaryParams::new(Day(45))).unwrap()
}

// ---------------------------------------------------------------------------------------
// CustomerSummary

#[test]
fn customer_summary_round_trips() {
    let s = summary();
    assert_eq!(s.frequency(), &[2.0, 0.0, 2.0]);
    round_trip(&s);
    // Weekly units, and a summary from columns (no order activity).
    round_trip(
        &log()
            .summarize(&SummaryParams::new(Day(45)).time_unit_days(7.0))
            .unwrap(),
    );
    let cols = CustomerSummary::from_columns(
        &[2.0, 0.0],
        &[30.43, 0.0],
        &[38.86, 38.86],
        Some(&[12.5, 3.0]),
    )
    .unwrap();
    round_trip(&cols);
}

#[test]
fn customer_summary_with_a_short_column_is_refused() {
    let s = summary();
    refused(&s, |v| v["age"] = json!([]), length("age", 3, 0));
    refused(
        &s,
        |v| v["monetary_value"] = json!([1.0]),
        length("monetary_value", 3, 1),
    );
    refused(
        &s,
        |v| v["activity"]["orders"] = json!([1, 1]),
        length("orders", 3, 2),
    );
    refused(
        &s,
        |v| v["activity"]["last_day"] = json!([]),
        length("last_day", 3, 0),
    );
}

#[test]
fn customer_summary_without_rows_is_refused() {
    refused(
        &summary(),
        |v| {
            for k in ["customer", "frequency", "recency", "age", "monetary_value"] {
                v[k] = json!([]);
            }
            v["activity"] = Value::Null;
        },
        Error::Empty { field: "customer" },
    );
}

#[test]
fn customer_summary_with_a_bad_history_is_refused() {
    let s = summary();
    refused(
        &s,
        |v| v["frequency"][2] = json!(1.5),
        invalid_value("frequency", 2, 1.5),
    );
    refused(
        &s,
        |v| v["frequency"][1] = json!(-1.0),
        negative("frequency", 1, -1.0),
    );
    refused(
        &s,
        |v| v["recency"][0] = json!(46.0),
        invalid_value("recency", 0, 46.0),
    );
    refused(
        &s,
        |v| v["recency"][0] = json!(0.0),
        invalid_value("recency", 0, 0.0),
    );
    refused(&s, |v| v["age"][1] = json!(-2.0), negative("age", 1, -2.0));
    refused(
        &s,
        |v| v["monetary_value"][2] = json!(-0.5),
        negative("monetary_value", 2, -0.5),
    );
}

#[test]
fn customer_summary_with_bad_activity_is_refused() {
    let s = summary();
    refused(
        &s,
        |v| v["activity"]["orders"][1] = json!(0),
        invalid_value("orders", 1, 0.0),
    );
    // Customer 1 has frequency 2: at least 3 orders.
    refused(
        &s,
        |v| v["activity"]["orders"][0] = json!(2),
        invalid_value("orders", 0, 2.0),
    );
    refused(
        &s,
        |v| v["activity"]["total_spend"][2] = json!(-1.0),
        negative("total_spend", 2, -1.0),
    );
    refused(
        &s,
        |v| v["activity"]["first_day"][2] = json!(41),
        invalid_value("first_day", 2, 41.0),
    );
}

// ---------------------------------------------------------------------------------------
// PartialSummary

fn partial() -> (PartialSummary, SummaryParams) {
    let params = SummaryParams::new(Day(100))
        .time_unit_days(7.0)
        .origin(Day(0));
    let mut p = PartialSummary::default();
    for (d, a) in [(1, 5.0), (8, 3.0), (8, 1.0), (40, 2.5)] {
        p.update(&params, Day(d), a);
    }
    (p, params)
}

#[test]
fn partial_summary_round_trips() {
    let (p, params) = partial();
    round_trip(&p);
    round_trip(&PartialSummary::default());
    let back: PartialSummary = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back.finish(&params), p.finish(&params));
    assert_eq!(p.finish(&params).unwrap().unwrap().orders, 4);
}

/// Merging a state into itself doubles it: after 32 merges of purchases at the
/// largest amount the order count stops at u32::MAX, and 200 merges used to overflow
/// the i128 spend (a panic in debug builds). Spends now stop with the count; the state
/// still finishes to finite values and loads again.
#[test]
fn partial_summary_merged_into_itself_stays_bounded() {
    use patronage::transactions::MAX_AMOUNT;
    let params = SummaryParams::new(Day(100));
    let mut p = PartialSummary::default();
    p.update(&params, Day(1), MAX_AMOUNT);
    p.update(&params, Day(50), MAX_AMOUNT);
    for _ in 0..200 {
        let copy = p.clone();
        p.merge(&copy);
    }
    let row = p.finish(&params).unwrap().unwrap();
    assert_eq!(row.orders, u32::MAX);
    assert!(row.total_spend.is_finite() && row.monetary_value.is_finite());
    // Each period stops at u32::MAX orders of MAX_AMOUNT.
    let cap = 2.0 * f64::from(u32::MAX) * MAX_AMOUNT;
    assert!(
        (row.total_spend / cap - 1.0).abs() < 1e-12,
        "{}",
        row.total_spend
    );
    round_trip(&p);
}

#[test]
fn partial_summary_with_bad_periods_is_refused() {
    let (p, _) = partial();
    refused(
        &p,
        |v| v["periods"][2][0] = json!(i64::MIN),
        invalid_value("periods", 2, i64::MIN as f64),
    );
    refused(
        &p,
        |v| v["periods"][0][0] = json!(1i64 << 32),
        invalid_value("periods", 0, (1i64 << 32) as f64),
    );
    refused(
        &p,
        |v| v["periods"][2][0] = json!(3),
        invalid_value("periods", 2, 3.0),
    );
    refused(
        &p,
        |v| v["periods"][1][0] = json!(1),
        invalid_value("periods", 1, 1.0),
    );
    refused(
        &p,
        |v| v["periods"][1][1] = json!(-1_000_000),
        negative("spend", 1, -1.0),
    );
}

#[test]
fn partial_summary_with_bad_counts_or_days_is_refused() {
    let (p, _) = partial();
    refused(
        &p,
        |v| v["orders"] = json!(2),
        invalid_parameter("orders", 2),
    );
    refused(
        &PartialSummary::default(),
        |v| v["orders"] = json!(5),
        invalid_parameter("orders", 5),
    );
    refused(
        &PartialSummary::default(),
        |v| v["first_day"] = json!(3),
        invalid_parameter("first_day", "(Some(Day(3)), None)"),
    );
    refused(
        &p,
        |v| v["last_day"] = Value::Null,
        invalid_parameter("first_day", "(Some(Day(1)), None)"),
    );
    refused(
        &p,
        |v| v["first_day"] = json!(41),
        invalid_parameter("first_day", 41),
    );
    // 4 orders of at most 1e12 each: at most 4e18 micro-units in all.
    refused(
        &p,
        |v| v["periods"][0][1] = json!(5_000_000_000_000_000_000u64),
        invalid_parameter("periods", "total spend 5000000000006.5"),
    );
}

#[test]
fn partial_summary_finish_checks_its_params() {
    let (p, params) = partial();
    fn check<T: std::fmt::Debug>(r: patronage::Result<T>, name: &str) {
        match r {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter {name}, got {other:?}"),
        }
    }
    check(p.finish(&params.time_unit_days(0.0)), "time_unit_days");
    check(p.finish(&params.time_unit_days(f64::NAN)), "time_unit_days");
    check(p.finish(&params.period_days(0)), "period_days");
    // A state built up to day 100, finished at day 30: day 40 is after the end.
    check(
        p.finish(&SummaryParams::new(Day(30)).time_unit_days(7.0)),
        "observation_end",
    );
    // Built with daily periods, finished with weekly ones (days 1 and 40 fall in
    // weeks 0 and 5, not periods 1 and 40).
    check(
        p.finish(&SummaryParams::new(Day(400)).period_days(7)),
        "period_days",
    );
    check(
        CustomerSummary::from_partials([(0, &p)], &SummaryParams::new(Day(30))),
        "observation_end",
    );
    // A loaded state whose last period is after the end (period 101 > 100).
    let mut v = serde_json::to_value(&p).unwrap();
    v["periods"][2][0] = json!(101);
    let loaded: PartialSummary = serde_json::from_value(v).unwrap();
    check(loaded.finish(&params), "observation_end");
    // An empty state finishes to None, even with other params.
    assert_eq!(PartialSummary::default().finish(&params), Ok(None));
}

// ---------------------------------------------------------------------------------------
// KaplanMeier

fn curve() -> KaplanMeier {
    use patronage::model::Fit as _;
    let events = [true, false, true, true, false];
    KaplanMeier::params()
        .fit((&[1.0, 2.0, 2.0, 5.0, 7.0], &events))
        .unwrap()
}

#[test]
fn kaplan_meier_round_trips() {
    let km = curve();
    round_trip(&km);
    use patronage::model::Fit as _;
    let all_churned = KaplanMeier::params().fit((&[3.0, 3.0], &[true, true]));
    round_trip(&all_churned.unwrap()); // survival 0
}

#[test]
fn kaplan_meier_with_a_short_column_is_refused() {
    let km = curve();
    refused(
        &km,
        |v| v["survival"] = json!([1.0]),
        length("survival", 4, 1),
    );
    refused(
        &km,
        |v| v["greenwood"] = json!([]),
        length("greenwood", 4, 0),
    );
    refused(
        &km,
        |v| v["at_risk"] = json!([5, 4, 2, 1, 1]),
        length("at_risk", 4, 5),
    );
    refused(
        &km,
        |v| {
            for k in ["times", "at_risk", "events", "survival", "greenwood"] {
                v[k] = json!([]);
            }
        },
        Error::Empty { field: "times" },
    );
}

#[test]
fn kaplan_meier_with_bad_survival_is_refused() {
    let km = curve();
    refused(
        &km,
        |v| v["survival"][2] = json!(-335.2),
        negative("survival", 2, -335.2),
    );
    refused(
        &km,
        |v| v["survival"][0] = json!(1.5),
        invalid_value("survival", 0, 1.5),
    );
    refused(
        &km,
        |v| v["survival"][2] = json!(0.9),
        invalid_value("survival", 2, 0.9),
    );
}

#[test]
fn kaplan_meier_with_a_bad_greenwood_sum_is_refused() {
    let km = curve();
    refused(
        &km,
        |v| v["greenwood"][2] = json!(-335.2),
        negative("greenwood", 2, -335.2),
    );
    refused(
        &km,
        |v| v["greenwood"][3] = json!(0.0),
        invalid_value("greenwood", 3, 0.0),
    );
}

#[test]
fn kaplan_meier_with_bad_times_or_counts_is_refused() {
    let km = curve();
    refused(
        &km,
        |v| v["times"][0] = json!(-1.0),
        negative("times", 0, -1.0),
    );
    refused(
        &km,
        |v| v["times"][2] = json!(2.0),
        invalid_value("times", 2, 2.0),
    );
    refused(
        &km,
        |v| v["at_risk"][3] = json!(0.0),
        invalid_value("at_risk", 3, 0.0),
    );
    refused(
        &km,
        |v| v["at_risk"][1] = json!(3.5),
        invalid_value("at_risk", 1, 3.5),
    );
    // 5 at risk at t = 1 with one event: at most 4 at t = 2.
    refused(
        &km,
        |v| v["at_risk"][1] = json!(5.0),
        invalid_value("at_risk", 1, 5.0),
    );
    refused(
        &km,
        |v| v["events"][3] = json!(2.0),
        invalid_value("events", 3, 2.0),
    );
    refused(
        &km,
        |v| v["events"][0] = json!(-1.0),
        negative("events", 0, -1.0),
    );
}

// ---------------------------------------------------------------------------------------
// RfmScores

fn scores() -> RfmScores {
    RfmParams::default()
        .score_values(
            &[5.0, 40.0, 200.0, 10.0, 90.0],
            &[9.0, 3.0, 1.0, 6.0, 2.0],
            &[420.0, 80.0, 15.0, 260.0, 40.0],
        )
        .unwrap()
}

#[test]
fn rfm_scores_round_trip() {
    round_trip(&scores());
    round_trip(&RfmParams::default().score(&summary(), Day(50)).unwrap());
}

#[test]
fn rfm_scores_with_a_short_column_are_refused() {
    let s = scores();
    refused(&s, |v| v["monetary"] = json!([]), length("monetary", 5, 0));
    refused(
        &s,
        |v| v["frequency"] = json!([1, 2]),
        length("frequency", 5, 2),
    );
    refused(
        &s,
        |v| {
            for k in ["recency", "frequency", "monetary"] {
                v[k] = json!([]);
            }
        },
        Error::Empty { field: "recency" },
    );
}

#[test]
fn rfm_scores_out_of_range_are_refused() {
    let s = scores();
    refused(&s, |v| v["bins"] = json!(1), invalid_parameter("bins", 1));
    refused(
        &s,
        |v| v["bins"] = json!(101),
        invalid_parameter("bins", 101),
    );
    refused(
        &s,
        |v| v["recency"][3] = json!(0),
        invalid_value("recency", 3, 0.0),
    );
    refused(
        &s,
        |v| v["frequency"][1] = json!(6),
        invalid_value("frequency", 1, 6.0),
    );
    refused(
        &s,
        |v| v["monetary"][4] = json!(255),
        invalid_value("monetary", 4, 255.0),
    );
}

// ---------------------------------------------------------------------------------------
// CohortTable

/// Cohorts of January (customers 1 and 2), February (3) and March (4); customer 1 is
/// back in March, customer 3 in March.
fn cohorts() -> CohortTable {
    let t = |c: u8, m: u32, amount: f64| Transaction {
        customer: c,
        day: Day::from_ymd(2024, m, 15).unwrap(),
        amount,
    };
    let log = TransactionLog::new(&[
        t(1, 1, 10.0),
        t(2, 1, 20.0),
        t(1, 3, 5.0),
        t(3, 2, 7.0),
        t(3, 3, 1.0),
        t(4, 3, 2.0),
    ])
    .unwrap();
    let table = retention(&log, Period::Month).unwrap();
    assert_eq!(table.active, vec![vec![2, 0, 1], vec![1, 1], vec![1]]);
    table
}

#[test]
fn cohort_table_round_trips() {
    round_trip(&cohorts());
    round_trip(&retention(&log(), Period::Week).unwrap());
}

#[test]
fn cohort_table_with_a_short_column_is_refused() {
    let t = cohorts();
    refused(&t, |v| v["labels"] = json!(["a"]), length("labels", 3, 1));
    refused(
        &t,
        |v| v["active"] = json!([[2, 0, 1]]),
        length("active", 3, 1),
    );
    refused(&t, |v| v["revenue"] = json!([]), length("revenue", 3, 0));
    refused(
        &t,
        |v| {
            for k in ["labels", "sizes", "active", "revenue"] {
                v[k] = json!([]);
            }
        },
        Error::Empty { field: "sizes" },
    );
}

#[test]
fn cohort_table_with_a_bad_shape_is_refused() {
    let t = cohorts();
    refused(
        &t,
        |v| v["revenue"][1] = json!([7.0]),
        invalid_value("revenue", 1, 1.0),
    );
    // The February cohort observed as long as January's.
    refused(
        &t,
        |v| {
            v["active"][1] = json!([1, 1, 0]);
            v["revenue"][1] = json!([7.0, 1.0, 0.0]);
        },
        invalid_value("active", 1, 3.0),
    );
    refused(
        &t,
        |v| {
            v["active"][2] = json!([]);
            v["revenue"][2] = json!([]);
        },
        invalid_value("active", 2, 0.0),
    );
    refused(
        &t,
        |v| {
            v["active"][0] = json!(vec![2; 2001]);
            v["revenue"][0] = json!(vec![1.0; 2001]);
        },
        invalid_value("active", 0, 2001.0),
    );
}

#[test]
fn cohort_table_with_bad_counts_is_refused() {
    let t = cohorts();
    refused(
        &t,
        |v| v["active"][0][0] = json!(u64::MAX),
        invalid_value("active", 0, u64::MAX as f64),
    );
    refused(
        &t,
        |v| v["active"][0][2] = json!(3),
        invalid_value("active", 0, 3.0),
    );
    refused(
        &t,
        |v| {
            v["sizes"][2] = json!(0);
            v["active"][2][0] = json!(0);
        },
        invalid_value("sizes", 2, 0.0),
    );
}

#[test]
fn cohort_table_with_bad_revenue_is_refused() {
    let t = cohorts();
    refused(
        &t,
        |v| v["revenue"][1][1] = json!(-1.0),
        negative("revenue", 1, -1.0),
    );
    refused(
        &t,
        |v| v["revenue"][0][1] = json!(4.0),
        invalid_value("revenue", 0, 4.0),
    );
}

// ---------------------------------------------------------------------------------------
// Profile and Attributes

fn profile() -> Profile {
    Profile::new(&log(), &summary()).unwrap()
}

#[test]
fn profile_round_trips() {
    round_trip(&profile());
    // A purchase after the observation end, in its week: the tenure and days since
    // the last purchase are 0 (they were -2, and a tenure of -1 gave an infinite
    // orders_per_30_days).
    let t = |d: i32| Transaction {
        customer: 1u8,
        day: Day(d),
        amount: 1.0,
    };
    let log = TransactionLog::new(&[t(12)]).unwrap();
    let s = log
        .summarize(&SummaryParams::new(Day(10)).period_days(7).origin(Day(0)))
        .unwrap();
    let p = Profile::new(&log, &s).unwrap();
    assert_eq!(p.tenure_days(), &[0.0]);
    assert_eq!(p.days_since_last(), &[0.0]);
    assert_eq!(p.orders_per_30_days(), &[30.0]);
    assert_eq!(s.days_since_last(), Some(vec![0]));
    let one_day_after = TransactionLog::new(&[t(11)]).unwrap();
    let s = one_day_after
        .summarize(&SummaryParams::new(Day(10)).period_days(7).origin(Day(0)))
        .unwrap();
    let q = Profile::new(&one_day_after, &s).unwrap();
    assert!(q.orders_per_30_days().iter().all(|v| v.is_finite()));
    round_trip(&p);
}

#[test]
fn profile_with_a_short_column_is_refused() {
    let p = profile();
    refused(
        &p,
        |v| v["orders_per_30_days"] = json!([]),
        length("orders_per_30_days", 3, 0),
    );
    refused(
        &p,
        |v| v["mean_gap_days"] = json!([null]),
        length("mean_gap_days", 3, 1),
    );
    refused(
        &p,
        |v| {
            for (_, col) in v.as_object_mut().unwrap() {
                *col = json!([]);
            }
        },
        Error::Empty { field: "customer" },
    );
}

#[test]
fn profile_with_bad_values_is_refused() {
    let p = profile();
    refused(
        &p,
        |v| v["recency"][0] = json!(99.0),
        invalid_value("recency", 0, 99.0),
    );
    refused(
        &p,
        |v| v["orders"][1] = json!(0.0),
        invalid_value("orders", 1, 0.0),
    );
    refused(
        &p,
        |v| v["orders"][1] = json!(1.5),
        invalid_value("orders", 1, 1.5),
    );
    refused(
        &p,
        |v| v["total_spend"][2] = json!(-3.0),
        negative("total_spend", 2, -3.0),
    );
    refused(
        &p,
        |v| v["tenure_days"][0] = json!(44.5),
        invalid_value("tenure_days", 0, 44.5),
    );
    refused(
        &p,
        |v| v["days_since_last"][0] = json!(46.0),
        invalid_value("days_since_last", 0, 46.0),
    );
    // Profile::new counts a purchase after the observation end as on the end day, so
    // no day count is negative.
    refused(
        &p,
        |v| v["tenure_days"][1] = json!(-2.0),
        negative("tenure_days", 1, -2.0),
    );
    refused(
        &p,
        |v| v["mean_gap_days"][0] = json!(-1.0),
        negative("mean_gap_days", 0, -1.0),
    );
    refused(
        &p,
        |v| v["median_gap_days"][2] = json!(-7.0),
        negative("median_gap_days", 2, -7.0),
    );
    refused(
        &p,
        |v| v["order_value_sd"][0] = json!(-1.0),
        negative("order_value_sd", 0, -1.0),
    );
    refused(
        &p,
        |v| v["average_order_value"][1] = json!(-8.0),
        negative("average_order_value", 1, -8.0),
    );
}

fn attributes() -> Attributes {
    let log = log();
    Attributes::for_log(&log)
        .categorical("region", &log, &[(1, "north"), (3, "south")])
        .unwrap()
        .numeric("age", &log, &[(1, 34.0), (2, 51.0)])
        .unwrap()
}

#[test]
fn attributes_round_trip() {
    round_trip(&attributes());
    round_trip(&Attributes::for_log(&log()));
}

#[test]
fn attributes_with_bad_columns_are_refused() {
    let a = attributes();
    refused(
        &a,
        |v| v["columns"][1]["name"] = json!("region"),
        invalid_parameter("attribute name", "region"),
    );
    refused(
        &a,
        |v| v["columns"][1]["values"]["Numeric"] = json!([1.0]),
        length("numeric attribute", 3, 1),
    );
    refused(
        &a,
        |v| v["columns"][0]["values"]["Categorical"]["codes"] = json!([0, null]),
        length("categorical attribute", 3, 2),
    );
    refused(
        &a,
        |v| v["columns"][0]["values"]["Categorical"]["codes"][2] = json!(2),
        invalid_value("categorical attribute", 2, 2.0),
    );
    refused(
        &a,
        |v| v["columns"][0]["values"]["Categorical"]["levels"] = json!(["north", "north"]),
        invalid_parameter("attribute level", "north"),
    );
}
