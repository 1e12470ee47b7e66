//! Returns and refunds (issue 17, part 5): every reader of a log under each policy.
//!
//! With no refund in the rows, `Net` and `Separate` give exactly the `Reject` results
//! (property tests); the definitions of frequency, recency, T and monetary value under
//! each policy on small hand-worked logs; hostile values; errors that name rows.

// unwrap/expect act on fixtures the tests build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use patronage::clv::GammaGamma;
use patronage::cohort::retention;
use patronage::forecast::series;
use patronage::prelude::*;
use patronage::profile::Profile;
use patronage::rfm::RfmParams;
use patronage::summary::{CustomerSummary, PartialSummary, SummaryParams};
use patronage::{Day, Error, Horizon, LogParams, Period, Returns, Transaction, TransactionLog};
use proptest::prelude::*;

fn t(c: u8, d: i32, a: f64) -> Transaction<u8> {
    Transaction {
        customer: c,
        day: Day(d),
        amount: a,
    }
}

fn log(rows: &[Transaction<u8>], returns: Returns) -> TransactionLog<u8> {
    LogParams::new().returns(returns).log(rows).unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every column of two summaries, bitwise (refund columns: the policy's are zero).
fn assert_same_summary(a: &CustomerSummary, b: &CustomerSummary) {
    assert_same_columns(a, b);
    for s in [a, b] {
        if s.returns() != Some(Returns::Reject) {
            assert!(s.refunds().unwrap().iter().all(|&r| r == 0.0));
            assert!(s.refund_count().unwrap().iter().all(|&k| k == 0));
        } else {
            assert_eq!((s.refunds(), s.refund_count()), (None, None));
        }
    }
}

/// Every column but the refund columns, bitwise.
fn assert_same_columns(a: &CustomerSummary, b: &CustomerSummary) {
    assert_eq!(a.customer(), b.customer());
    assert_eq!(bits(a.frequency()), bits(b.frequency()));
    assert_eq!(bits(a.recency()), bits(b.recency()));
    assert_eq!(bits(a.age()), bits(b.age()));
    assert_eq!(bits(a.monetary_value()), bits(b.monetary_value()));
    assert_eq!(a.orders(), b.orders());
    assert_eq!(
        bits(a.total_spend().unwrap()),
        bits(b.total_spend().unwrap())
    );
    assert_eq!(
        bits(a.gross_spend().unwrap()),
        bits(b.gross_spend().unwrap())
    );
    assert_eq!(a.first_day(), b.first_day());
    assert_eq!(a.last_day(), b.last_day());
    assert_eq!(a.observation_end(), b.observation_end());
    assert_eq!(a.time_unit_days().to_bits(), b.time_unit_days().to_bits());
}

fn arb_rows(min_amount: i64) -> impl Strategy<Value = Vec<(u8, i32, i64)>> {
    prop::collection::vec((0u8..6, 0i32..40, min_amount..5_000i64), 1..80)
}

fn rows_of(raw: &[(u8, i32, i64)]) -> Vec<Transaction<u8>> {
    raw.iter()
        .map(|&(c, d, a)| t(c, d, a as f64 / 100.0))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// No refunds: `Net` and `Separate` give exactly today's (`Reject`) log, summary,
    /// holdout split, partial summaries, RFM, profile, quality report, cohorts, series,
    /// churn labels and survival lifetimes.
    #[test]
    fn without_refunds_every_policy_is_reject(raw in arb_rows(0), period in 1u32..8, end in 0i32..45, zeros in prop::collection::vec(any::<bool>(), 80)) {
        // Some free orders (amount 0), which every policy keeps as purchases.
        let mut rows = rows_of(&raw);
        for (r, &z) in rows.iter_mut().zip(&zeros) {
            if z && r.day.0 % 5 == 0 {
                r.amount = 0.0;
            }
        }
        let reject = TransactionLog::new(&rows).unwrap();
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        let base = reject.summarize(&params);
        for returns in [Returns::Net, Returns::Separate] {
            let other = log(&rows, returns);
            prop_assert_eq!(other.customer_ids(), reject.customer_ids());
            prop_assert_eq!(other.offsets(), reject.offsets());
            prop_assert_eq!(other.days(), reject.days());
            prop_assert_eq!(bits(other.amounts()), bits(reject.amounts()));
            let summary = other.summarize(&params);
            prop_assert_eq!(summary.is_ok(), base.is_ok());
            prop_assert_eq!(reject.quality_report(), other.quality_report());
            let (cr, co) = (retention(&reject, Period::Week).unwrap(), retention(&other, Period::Week).unwrap());
            prop_assert_eq!((&cr.labels, &cr.sizes, &cr.active), (&co.labels, &co.sizes, &co.active));
            prop_assert_eq!(cr.revenue.iter().map(|r| bits(r)).collect::<Vec<_>>(), co.revenue.iter().map(|r| bits(r)).collect::<Vec<_>>());
            for measure in [series::Measure::Revenue, series::Measure::Orders, series::Measure::ActiveCustomers, series::Measure::NewCustomers] {
                let (a, b) = (series::aggregate(&reject, Period::Week, measure).unwrap(), series::aggregate(&other, Period::Week, measure).unwrap());
                prop_assert_eq!(bits(a.values()), bits(b.values()));
            }
            prop_assert_eq!(
                patronage::survival::lifetimes(&reject, Day(end), Horizon::days(10.0)).ok(),
                patronage::survival::lifetimes(&other, Day(end), Horizon::days(10.0)).ok()
            );
            prop_assert_eq!(
                patronage::churn::label(&reject, Day(end), Horizon::days(10.0)).ok(),
                patronage::churn::label(&other, Day(end), Horizon::days(10.0)).ok()
            );
            let (Ok(a), Ok(b)) = (&base, &summary) else { continue };
            assert_same_summary(a, b);
            prop_assert_eq!(b.returns(), Some(returns));
            // Into an existing summary (of the other policy): the same columns.
            let mut reused = a.clone();
            other.summarize_into(&params, &mut reused).unwrap();
            assert_same_summary(a, &reused);
            prop_assert_eq!(&reused, b);
            let mut back = b.clone();
            reject.summarize_into(&params, &mut back).unwrap();
            prop_assert_eq!(&back, a);
            let rfm = RfmParams::default();
            prop_assert_eq!(rfm.score(a, Day(end + 1)).unwrap(), rfm.score(b, Day(end + 1)).unwrap());
            prop_assert_eq!(Profile::new(&reject, a).unwrap(), Profile::new(&other, b).unwrap());
            let holdout_end = Day(end + 2 * period as i32);
            let (ha, hb) = (reject.calibration_holdout(&params, holdout_end).unwrap(), other.calibration_holdout(&params, holdout_end).unwrap());
            prop_assert_eq!(bits(&ha.frequency_holdout), bits(&hb.frequency_holdout));
            prop_assert_eq!(bits(&ha.monetary_value_holdout), bits(&hb.monetary_value_holdout));
            // Partial states finished under the policy: the Reject rows, bitwise.
            let mut partials: HashMap<u8, PartialSummary> = HashMap::new();
            for r in &rows {
                partials.entry(r.customer).or_default().update(&params, r.day, r.amount);
            }
            for (k, &c) in a.customer().iter().enumerate() {
                let p = &partials[reject.customer_id(c)];
                let (x, y) = (p.finish(&params).unwrap().unwrap(), p.finish_with(&params, returns).unwrap().unwrap());
                prop_assert_eq!(x, y);
                prop_assert_eq!(y.total_spend.to_bits(), a.total_spend().unwrap()[k].to_bits());
            }
        }
    }

    /// With refunds: any split of the rows into parts, each summarized as partial states
    /// and merged, equals the one-pass summary of the policy's log exactly.
    #[test]
    fn merged_partials_equal_one_pass_with_refunds(raw in arb_rows(-3_000), assign in prop::collection::vec(0usize..4, 80), period in 1u32..8, end in 0i32..45, net in any::<bool>()) {
        let returns = if net { Returns::Net } else { Returns::Separate };
        let rows = rows_of(&raw);
        let one = log(&rows, returns);
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        let mut parts: Vec<HashMap<u8, PartialSummary>> = vec![HashMap::new(); 4];
        for (r, &k) in rows.iter().zip(&assign) {
            parts[k].entry(r.customer).or_default().update(&params, r.day, r.amount);
        }
        let mut merged: HashMap<u8, PartialSummary> = HashMap::new();
        for part in parts.iter().rev() {
            for (c, p) in part {
                merged.entry(*c).or_default().merge(p);
            }
        }
        let by_index: Vec<(u32, &PartialSummary)> = one
            .customer_ids()
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u32, &merged[c]))
            .collect();
        let from_partials = CustomerSummary::from_partials_with(by_index, &params, returns);
        match one.summarize(&params) {
            Ok(s) => {
                let p = from_partials.unwrap();
                assert_same_columns(&s, &p);
                prop_assert_eq!(s.refunds(), p.refunds());
                prop_assert_eq!(s.refund_count(), p.refund_count());
                prop_assert_eq!(&s, &p);
                for (k, m) in s.monetary_value().iter().enumerate() {
                    prop_assert!(m.is_finite() && *m >= 0.0, "row {k}: {m}");
                }
                // Readers never panic, and the profile's rate is a proportion.
                let profile = Profile::new(&one, &s).unwrap();
                prop_assert!(profile.refund_rate().iter().all(|r| (0.0..=1.0).contains(r)));
                RfmParams::default().score(&s, Day(end + 1)).unwrap();
                one.calibration_holdout(&params, Day(end + 2 * period as i32)).unwrap();
                #[cfg(feature = "serde")]
                {
                    let back: CustomerSummary = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
                    prop_assert_eq!(&back, &s);
                    for p in merged.values() {
                        let json = serde_json::to_string(p).unwrap();
                        let back: PartialSummary = serde_json::from_str(&json).unwrap();
                        prop_assert_eq!(&back, p);
                    }
                }
            }
            Err(e) => {
                prop_assert!(matches!(e, Error::Empty { .. }), "{:?}", e);
                prop_assert!(matches!(from_partials, Err(Error::Empty { .. })), "{:?}", from_partials);
            }
        }
        let _ = one.quality_report();
        let _ = retention(&one, Period::Week);
        let _ = series::active_customers(&one, Period::Week);
        let _ = patronage::survival::lifetimes(&one, Day(end), Horizon::days(5.0));
        let _ = patronage::churn::label(&one, Day(end), Horizon::days(5.0));
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// (frequency, recency, monetary value, total spend, gross, refunds, refund count) of
/// the only customer of `rows` under `returns`, day periods, observed to day 20.
fn one(rows: &[Transaction<u8>], returns: Returns) -> (f64, f64, f64, f64, f64, f64, u32) {
    let s = log(rows, returns)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!(s.len(), 1);
    (
        s.frequency()[0],
        s.recency()[0],
        s.monetary_value()[0],
        s.total_spend().unwrap()[0],
        s.gross_spend().unwrap()[0],
        s.refunds().unwrap()[0],
        s.refund_count().unwrap()[0],
    )
}

#[test]
fn same_day_refund_nets() {
    let rows = [t(1, 0, 30.0), t(1, 0, -10.0), t(1, 5, 20.0)];
    assert_eq!(
        one(&rows, Returns::Net),
        (1.0, 5.0, 20.0, 40.0, 50.0, 10.0, 1)
    );
    let (f, r, m, total, ..) = one(&rows, Returns::Separate);
    assert_eq!((f, r, total), (1.0, 5.0, 40.0));
    assert!(close(m, 20.0 * 40.0 / 50.0), "{m}");
    // A refund on a repeat day: Net's monetary value is that day's net.
    let rows = [t(1, 0, 30.0), t(1, 5, 20.0), t(1, 5, -5.0), t(1, 9, 10.0)];
    assert_eq!(one(&rows, Returns::Net).2, 12.5); // (15 + 10) / 2
}

#[test]
fn refund_that_zeroes_a_day() {
    let rows = [t(1, 0, 10.0), t(1, 3, 15.0), t(1, 3, -15.0), t(1, 7, 5.0)];
    assert_eq!(
        one(&rows, Returns::Net),
        (1.0, 7.0, 5.0, 15.0, 30.0, 15.0, 1)
    );
    let (f, r, m, ..) = one(&rows, Returns::Separate);
    assert_eq!((f, r), (2.0, 7.0));
    assert!(close(m, (15.0 + 5.0) * 0.5 / 2.0), "{m}");
    // The zeroed day is the last: recency ends at the day before.
    let rows = [t(1, 0, 10.0), t(1, 3, 15.0), t(1, 3, -20.0)];
    let s = log(&rows, Returns::Net)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!((s.frequency()[0], s.recency()[0]), (0.0, 0.0));
    assert_eq!(s.last_day().unwrap(), &[Day(0)]);
    assert_eq!(s.total_spend().unwrap(), &[5.0]);
    // The zeroed day is the first: T starts at the next purchase.
    let rows = [t(1, 2, 8.0), t(1, 2, -8.0), t(1, 6, 4.0), t(1, 11, 6.0)];
    let s = log(&rows, Returns::Net)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!(
        (s.frequency()[0], s.recency()[0], s.age()[0]),
        (1.0, 5.0, 14.0)
    );
    assert_eq!(s.first_day().unwrap(), &[Day(6)]);
    assert_eq!(s.orders().unwrap(), &[3]);
}

#[test]
fn later_day_refund_does_not_cancel_the_purchase() {
    let rows = [t(1, 0, 10.0), t(1, 4, 20.0), t(1, 6, -20.0)];
    assert_eq!(
        one(&rows, Returns::Net),
        (1.0, 4.0, 20.0, 10.0, 30.0, 20.0, 1)
    );
    let (f, r, m, ..) = one(&rows, Returns::Separate);
    assert_eq!((f, r), (1.0, 4.0));
    assert!(close(m, 20.0 * 10.0 / 30.0), "{m}");
}

#[test]
fn refund_only_customers_are_left_out() {
    let rows = [t(1, 0, 10.0), t(2, 3, -4.0), t(2, 5, -1.0)];
    for returns in [Returns::Net, Returns::Separate] {
        let l = log(&rows, returns);
        let s = l.summarize(&SummaryParams::new(Day(20))).unwrap();
        assert_eq!(s.customer(), &[0]);
        let q = l.quality_report();
        assert_eq!((q.refund_rows, q.refund_amount), (2, 5.0));
        assert_eq!(retention(&l, Period::Week).unwrap().sizes, vec![1]);
        assert_eq!(
            series::new_customers(&l, Period::Week)
                .unwrap()
                .values()
                .iter()
                .sum::<f64>(),
            1.0
        );
        let (customers, ..) =
            patronage::survival::lifetimes(&l, Day(20), Horizon::days(5.0)).unwrap();
        assert_eq!(customers, vec![0]);
        // Nobody with a purchase: the typed error, never an empty summary.
        let only = log(&[t(2, 3, -4.0)], returns);
        assert!(matches!(
            only.summarize(&SummaryParams::new(Day(20))),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            retention(&only, Period::Week),
            Err(Error::Empty { .. })
        ));
        assert!(patronage::survival::lifetimes(&only, Day(20), Horizon::days(5.0)).is_err());
    }
    // Under Net, a customer whose every day nets to 0 has no purchase either.
    let l = log(&[t(1, 0, 10.0), t(2, 1, 5.0), t(2, 1, -5.0)], Returns::Net);
    assert_eq!(
        l.summarize(&SummaryParams::new(Day(20)))
            .unwrap()
            .customer(),
        &[0]
    );
    let mut p = PartialSummary::default();
    let params = SummaryParams::new(Day(20));
    p.update(&params, Day(1), 5.0);
    p.update(&params, Day(1), -5.0);
    assert_eq!(p.finish_with(&params, Returns::Net).unwrap(), None);
    assert!(p.finish_with(&params, Returns::Separate).unwrap().is_some());
}

#[test]
fn refunds_exceeding_gross() {
    let rows = [
        t(1, 0, 10.0),
        t(1, 2, 10.0),
        t(1, 5, -50.0),
        t(2, 0, 5.0),
        t(2, 4, 7.0),
    ];
    let net = log(&rows, Returns::Net)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!(net.monetary_value(), &[10.0, 7.0]);
    assert_eq!(net.total_spend().unwrap(), &[-30.0, 12.0]);
    let sep = log(&rows, Returns::Separate)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!(sep.monetary_value(), &[0.0, 7.0]); // refund rate capped at 1
    // Gamma-Gamma: zero spend as always, an error naming the row, or left out.
    let err = GammaGamma::params().fit(&sep).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidValue {
                field: "monetary_value",
                row: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!matches!(
        GammaGamma::params().eligible_only(true).fit(&sep),
        Err(Error::InvalidValue { .. })
    ));
    // RFM scores net spend: the customer with refunds beyond its purchases is lowest.
    let scores = RfmParams::default().score(&net, Day(21)).unwrap();
    assert!(scores.monetary()[0] < scores.monetary()[1]);
    let profile = Profile::new(&log(&rows, Returns::Separate), &sep).unwrap();
    assert_eq!(profile.refund_rate(), &[1.0, 0.0]);
    assert_eq!(profile.average_order_value()[0], -15.0);
    // Refunds without gross spend (free orders): rate 1, monetary value 0.
    let free = [t(1, 0, 0.0), t(1, 3, 0.0), t(1, 4, -2.0)];
    let s = log(&free, Returns::Separate)
        .summarize(&SummaryParams::new(Day(20)))
        .unwrap();
    assert_eq!((s.frequency()[0], s.monetary_value()[0]), (1.0, 0.0));
}

#[test]
fn hostile_values() {
    let max = patronage::transactions::MAX_AMOUNT;
    for returns in [Returns::Net, Returns::Separate] {
        // The largest refund is accepted; one beyond it is an error naming its row.
        let l = log(&[t(1, 0, max), t(1, 0, -max), t(1, 1, 1.0)], returns);
        let s = l.summarize(&SummaryParams::new(Day(5))).unwrap();
        assert_eq!(s.refunds().unwrap(), &[max]);
        let err = LogParams::new()
            .returns(returns)
            .log(&[t(1, 0, 1.0), t(1, 1, -max * 1.5)])
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    field: "amount",
                    row: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = LogParams::new()
            .returns(returns)
            .log(&[t(1, 0, 1.0), t(1, 1, f64::NEG_INFINITY)])
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFinite {
                    field: "amount",
                    row: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        // -0.0 is a free order, as under Reject.
        let zero = [t(1, 0, -0.0), t(1, 4, -0.0)];
        let a = log(&zero, returns)
            .summarize(&SummaryParams::new(Day(5)))
            .unwrap();
        let b = TransactionLog::new(&zero)
            .unwrap()
            .summarize(&SummaryParams::new(Day(5)))
            .unwrap();
        assert_same_summary(&b, &a);
        assert_eq!(a.frequency(), &[1.0]);
        // Many refunds of the largest size: exact sums, no overflow, finite results.
        // (Refunds on the purchase days would cancel them under Net: see below.)
        let mut rows = vec![t(1, 31, max), t(1, 32, max)];
        rows.extend((0..20_000).map(|k| t(1, k % 30, -max)));
        let l = log(&rows, returns);
        let s = l.summarize(&SummaryParams::new(Day(40))).unwrap();
        assert_eq!(s.refunds().unwrap(), &[max * 20_000.0]);
        assert_eq!(s.refund_count().unwrap(), &[20_000]);
        assert_eq!(s.total_spend().unwrap(), &[max * 2.0 - max * 20_000.0]);
        assert!(s.monetary_value()[0].is_finite() && s.monetary_value()[0] >= 0.0);
        let q = l.quality_report();
        assert_eq!((q.refund_rows, q.refund_amount), (20_000, max * 20_000.0));
        assert!(q.extreme_threshold.is_finite());
        Profile::new(&l, &s).unwrap();
        retention(&l, Period::Week).unwrap();
        series::revenue(&l, Period::Week).unwrap();
        rows.extend((0..2_000).map(|_| t(1, 31, -max)));
        rows.extend((0..2_000).map(|_| t(1, 32, -max)));
        let cancelled = log(&rows, returns).summarize(&SummaryParams::new(Day(40)));
        if returns == Returns::Net {
            assert!(matches!(cancelled, Err(Error::Empty { .. })));
        } else {
            assert_eq!(cancelled.unwrap().frequency(), &[1.0]);
        }
    }
    // Every row a refund: the quality report still reports (no quartiles of nothing).
    let q = log(&[t(1, 0, -1.0), t(2, 0, -2.0)], Returns::Net).quality_report();
    assert_eq!(
        (q.refund_rows, q.extreme_amount_rows, q.extreme_threshold),
        (2, 0, 0.0)
    );
}

#[test]
fn errors_name_rows_and_the_policy() {
    let rows = [t(1, 0, 5.0), t(2, 0, 5.0), t(1, 2, 3.0), t(1, 3, -2.0)];
    let err = TransactionLog::new(&rows).unwrap_err();
    assert!(matches!(err, Error::Refund { row: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("Returns"), "{err}");
    let err = TransactionLog::from_columns(&[1u8, 1], &[Day(0), Day(1)], &[1.0, -1.0]).unwrap_err();
    assert!(matches!(err, Error::Refund { row: 1, .. }), "{err:?}");
    let err = LogParams::new()
        .returns(Returns::Net)
        .log(&[t(1, 0, 1.0), t(1, 1, f64::NAN)])
        .unwrap_err();
    assert!(matches!(err, Error::NonFinite { row: 1, .. }), "{err:?}");
}

#[test]
fn readers_follow_the_policy() {
    // Customer 1 buys on days 0 and 8; day 8 is refunded the same day. After the cutoff
    // (day 10), customer 1 only refunds; customer 2 buys again.
    let rows = [
        t(1, 0, 10.0),
        t(1, 8, 4.0),
        t(1, 8, -4.0),
        t(1, 15, -3.0),
        t(2, 1, 6.0),
        t(2, 16, 2.0),
    ];
    let net = log(&rows, Returns::Net);
    let sep = log(&rows, Returns::Separate);
    let churn = patronage::churn::label(&net, Day(10), Horizon::days(30.0)).unwrap();
    assert_eq!(churn.churned, vec![true, false]); // a refund does not keep a customer
    let (_, durations, events) =
        patronage::survival::lifetimes(&net, Day(40), Horizon::days(30.0)).unwrap();
    assert_eq!((durations, events), (vec![0.0, 39.0], vec![true, false]));
    let (_, durations, _) =
        patronage::survival::lifetimes(&sep, Day(40), Horizon::days(30.0)).unwrap();
    assert_eq!(durations, vec![8.0, 39.0]);
    let orders = series::orders(&net, Period::Week).unwrap();
    assert_eq!(orders.values().iter().sum::<f64>(), 4.0);
    let revenue = series::revenue(&net, Period::Week).unwrap();
    assert_eq!(revenue.values().iter().sum::<f64>(), 15.0);
    let active = series::active_customers(&net, Period::Week).unwrap();
    assert_eq!(active.values(), &[2.0, 0.0, 1.0]);
    let active = series::active_customers(&sep, Period::Week).unwrap();
    assert_eq!(active.values(), &[2.0, 1.0, 1.0]);
    let cohorts = retention(&sep, Period::Week).unwrap();
    assert_eq!(cohorts.active[0], vec![2, 1, 1]);
    assert_eq!(cohorts.revenue[0], vec![16.0, 0.0, -1.0]);
    // The holdout split: day 8 is no holdout purchase under Net.
    let split = net
        .calibration_holdout(&SummaryParams::new(Day(5)), Day(20))
        .unwrap();
    assert_eq!(split.frequency_holdout, vec![0.0, 1.0]);
    assert_eq!(split.monetary_value_holdout, vec![0.0, 2.0]);
    let split = sep
        .calibration_holdout(&SummaryParams::new(Day(5)), Day(20))
        .unwrap();
    assert_eq!(split.frequency_holdout, vec![1.0, 1.0]);
    assert_eq!(split.monetary_value_holdout, vec![0.0, 2.0]); // 4 x (1 - 7 / 4 capped)
    // The profile: gaps between purchase days of the policy.
    let s = sep.summarize(&SummaryParams::new(Day(20))).unwrap();
    let p = Profile::new(&sep, &s).unwrap();
    assert_eq!(p.mean_gap_days()[0], Some(8.0));
    assert_eq!(p.days_since_last()[0], 12.0);
    assert!(close(p.refund_rate()[0], 7.0 / 14.0));
    let s = net.summarize(&SummaryParams::new(Day(20))).unwrap();
    let p = Profile::new(&net, &s).unwrap();
    assert_eq!(p.mean_gap_days()[0], None);
    assert_eq!(p.days_since_last()[0], 20.0);
    assert_eq!(p.orders_per_30_days()[0], 30.0 * 2.0 / 21.0);
}

#[cfg(feature = "serde")]
#[test]
fn files_load_and_refund_columns_are_checked() {
    use serde_json::{Value, json};
    let rows = [t(1, 0, 10.0), t(1, 3, 5.0), t(1, 4, -2.0), t(2, 1, 3.0)];
    let l = log(&rows, Returns::Separate);
    let s = l.summarize(&SummaryParams::new(Day(9))).unwrap();
    let v: Value = serde_json::to_value(&s).unwrap();
    // A file of the previous version: no refund columns; it loads as a Reject summary.
    let reject = TransactionLog::new(&[t(1, 0, 10.0), t(1, 3, 5.0)]).unwrap();
    let rs = reject.summarize(&SummaryParams::new(Day(9))).unwrap();
    let rv: Value = serde_json::to_value(&rs).unwrap();
    assert!(rv["activity"].get("refunds").is_none());
    let back: CustomerSummary = serde_json::from_value(rv.clone()).unwrap();
    assert_eq!(
        (back.returns(), back.refunds()),
        (Some(Returns::Reject), None)
    );
    // Negative net spend needs refunds.
    let mut bad = rv.clone();
    bad["activity"]["total_spend"] = json!([-1.0]);
    assert!(serde_json::from_value::<CustomerSummary>(bad).is_err());
    let mut bad = v.clone();
    bad["activity"]["refunds"]["refunds"] = json!([1.0]);
    assert!(
        serde_json::from_value::<CustomerSummary>(bad)
            .unwrap_err()
            .to_string()
            .contains("refunds")
    );
    let mut bad = v.clone();
    bad["activity"]["refunds"]["refunds"] = json!([-1.0, 0.0]);
    assert!(serde_json::from_value::<CustomerSummary>(bad).is_err());
    let mut bad = v.clone();
    bad["activity"]["refunds"]["refund_count"] = json!([0, 0]);
    assert!(serde_json::from_value::<CustomerSummary>(bad).is_err());
    let mut bad = v.clone();
    bad["activity"]["refunds"]["returns"] = json!("Reject");
    assert!(serde_json::from_value::<CustomerSummary>(bad).is_err());

    // Partial states: one written before returns policies loads and finishes.
    let params = SummaryParams::new(Day(9));
    let old = json!({"periods": [[-4, 10000000], [-1, 5000000]], "orders": 2, "first_day": 0, "last_day": 3});
    let mut p: PartialSummary = serde_json::from_value(old).unwrap();
    assert_eq!(
        p.finish_with(&params, Returns::Net).unwrap(),
        p.finish(&params).unwrap()
    );
    // Refunds that cancel its last period: its days are unknown, a typed error.
    p.update(&params, Day(3), -5.0);
    assert!(matches!(
        p.finish_with(&params, Returns::Net),
        Err(Error::InsufficientData { .. })
    ));
    assert!(p.finish_with(&params, Returns::Separate).unwrap().is_some());
    let good = json!({"periods": [[-4, 10000000]], "orders": 1, "first_day": 0, "last_day": 0, "bounds": [[0, 0]], "refunds": [[-4, 1000000, 1]]});
    serde_json::from_value::<PartialSummary>(good.clone()).unwrap();
    for (field, value) in [
        ("refunds", json!([[-4, 1000000, 0]])),
        ("refunds", json!([[-4, -1, 1]])),
        ("refunds", json!([[-3, 1, 1], [-4, 1, 1]])),
        ("refunds", json!([[-4, 2000000000000000000i64, 1]])),
        ("bounds", json!([[0, 0], [1, 1]])),
        ("bounds", json!([[1, 1]])),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(
            serde_json::from_value::<PartialSummary>(bad).is_err(),
            "{field}"
        );
    }
    // A refund period after the observation end is refused as a purchase period is.
    let late = json!({"periods": [], "orders": 0, "first_day": null, "last_day": null, "refunds": [[50, 1, 1]]});
    let late: PartialSummary = serde_json::from_value(late).unwrap();
    assert!(matches!(
        late.finish_with(&params, Returns::Separate),
        Err(Error::InvalidParameter { .. })
    ));

    // Profiles: a file without refund columns loads; rates are checked.
    let profile = Profile::new(&l, &s).unwrap();
    let pv: Value = serde_json::to_value(&profile).unwrap();
    assert_eq!(
        serde_json::from_value::<Profile>(pv.clone()).unwrap(),
        profile
    );
    let rp = Profile::new(&reject, &rs).unwrap();
    let mut old: Value = serde_json::to_value(&rp).unwrap();
    for f in ["gross_spend", "refunds", "refund_rate"] {
        old.as_object_mut().unwrap().remove(f);
    }
    assert_eq!(serde_json::from_value::<Profile>(old).unwrap(), rp);
    let mut bad = pv.clone();
    bad["refund_rate"] = json!([1.5, 0.0]);
    assert!(serde_json::from_value::<Profile>(bad).is_err());
    let mut bad = pv;
    bad["refunds"] = json!([0.0, 0.0]);
    bad["total_spend"] = json!([-1.0, 3.0]);
    assert!(serde_json::from_value::<Profile>(bad).is_err());

    // Cohort tables of refund logs may hold negative revenue; others may not.
    let table = retention(&l, Period::Week).unwrap();
    let mut tv: Value = serde_json::to_value(&table).unwrap();
    tv["revenue"][0][0] = json!(-1.0);
    serde_json::from_value::<patronage::cohort::CohortTable>(tv.clone()).unwrap();
    tv["returns"] = json!("Reject");
    assert!(serde_json::from_value::<patronage::cohort::CohortTable>(tv).is_err());
}

/// Refunds at the ends of `Day`'s range: every reader answers or returns a typed error,
/// never panics or overflows.
#[test]
fn refunds_at_the_ends_of_the_day_range() {
    let rows = [
        t(1, i32::MIN, 5.0),
        t(1, i32::MIN, -2.0),
        t(1, i32::MAX, 7.0),
        t(2, i32::MAX, -3.0),
        t(2, i32::MAX, 4.0),
    ];
    for returns in [Returns::Net, Returns::Separate] {
        let l = log(&rows, returns);
        for end in [Day(i32::MIN), Day(0), Day(i32::MAX)] {
            if let Ok(s) = l.summarize(&SummaryParams::new(end)) {
                assert!(
                    s.frequency()
                        .iter()
                        .chain(s.recency())
                        .chain(s.age())
                        .all(|v| v.is_finite())
                );
                assert!(
                    s.monetary_value()
                        .iter()
                        .all(|v| v.is_finite() && *v >= 0.0)
                );
                let _ = Profile::new(&l, &s);
            }
        }
        let _ = retention(&l, Period::Month);
        let _ = series::revenue(&l, Period::Day);
        let q = l.quality_report();
        assert_eq!(q.refund_rows, 2);
    }
}
