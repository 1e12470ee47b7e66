//! Scoring one customer without the population: a profile from the customer's own
//! purchases, a fitted RFM scorer that keeps its edges, and lifetime value of one
//! summary row, each checked against the population computation it stands for.

use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd};
use patronage::prelude::*;
use patronage::profile::{CustomerProfile, Feature, Profile};
use patronage::rfm::{RfmModel, RfmParams, SegmentMap, TiePolicy};
use patronage::simulate::Simulation;
use patronage::summary::{PartialSummary, SummaryParams};
use patronage::{Day, Error, Horizon, LogParams, Returns, Transaction, TransactionLog};
use proptest::prelude::*;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

const BEHAVIOUR: [Feature; 14] = [
    Feature::Frequency,
    Feature::Recency,
    Feature::Age,
    Feature::MonetaryValue,
    Feature::Orders,
    Feature::TotalSpend,
    Feature::TenureDays,
    Feature::DaysSinceLast,
    Feature::MeanGapDays,
    Feature::MedianGapDays,
    Feature::OrderValueSd,
    Feature::AverageOrderValue,
    Feature::OrdersPer30Days,
    Feature::RefundRate,
];

/// Each customer's profile from their own rows (given in reverse order, so they are
/// sorted first) equals their row of the population's profile, bit for bit.
fn assert_profiles_match<C: Eq + std::hash::Hash + Clone>(
    log: &TransactionLog<C>,
    params: &SummaryParams,
) {
    let Ok(summary) = log.summarize(params) else {
        return;
    };
    let profile = Profile::new(log, &summary).unwrap();
    let attributes = patronage::profile::Attributes::for_log(log);
    let (matrix, _) = profile.features(&attributes, &BEHAVIOUR).unwrap();
    let mut row = [0.0; BEHAVIOUR.len()];
    let mut seen = 0;
    for c in 0..log.n_customers() as u32 {
        let (days, amounts) = log.customer_rows(c);
        let days: Vec<Day> = days.iter().rev().copied().collect();
        let amounts: Vec<f64> = amounts.iter().rev().copied().collect();
        let one = CustomerProfile::from_purchases(&days, &amounts, params, log.returns()).unwrap();
        let at = summary.customer().iter().position(|&k| k == c);
        match (one, at) {
            (None, None) => {}
            (Some(one), Some(r)) => {
                seen += 1;
                one.features_into(&BEHAVIOUR, &mut row).unwrap();
                assert_eq!(bits(&row), bits(&matrix.row(r).to_vec()), "customer {c}");
                assert_eq!(one.mean_gap_days, profile.mean_gap_days()[r]);
                assert_eq!(one.median_gap_days, profile.median_gap_days()[r]);
                assert_eq!(
                    one.summary.gross_spend.to_bits(),
                    profile.gross_spend()[r].to_bits()
                );
                assert_eq!(
                    one.summary.refunds.to_bits(),
                    profile.refunds()[r].to_bits()
                );
                // The summary row is the population summary's row.
                let s = &one.summary;
                assert_eq!(
                    (s.frequency, s.recency, s.age, s.monetary_value),
                    (
                        summary.frequency()[r],
                        summary.recency()[r],
                        summary.age()[r],
                        summary.monetary_value()[r]
                    )
                );
                assert_eq!(
                    (s.first_day, s.last_day),
                    (
                        summary.first_day().unwrap()[r],
                        summary.last_day().unwrap()[r]
                    )
                );
            }
            (one, at) => panic!("customer {c}: one {one:?}, population row {at:?}"),
        }
    }
    assert_eq!(seen, summary.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Purchases and refunds of a few customers over a few weeks, every returns policy
    /// that accepts them, several period lengths and observation ends.
    #[test]
    fn one_customer_profile_is_the_population_row(
        raw in prop::collection::vec((0u8..5, 0i32..40, -2_000i64..5_000i64), 1..60),
        period in 1u32..8,
        end in 0i32..45,
    ) {
        let rows: Vec<Transaction<u8>> = raw
            .iter()
            .map(|&(c, d, a)| Transaction { customer: c, day: Day(d), amount: a as f64 / 100.0 })
            .collect();
        let params = SummaryParams::new(Day(end)).period_days(period).time_unit_days(7.0);
        for returns in [Returns::Net, Returns::Separate] {
            let log = LogParams::new().returns(returns).log(&rows).unwrap();
            assert_profiles_match(&log, &params);
        }
        let purchases: Vec<Transaction<u8>> = rows.into_iter().filter(|t| t.amount >= 0.0).collect();
        if !purchases.is_empty() {
            assert_profiles_match(&TransactionLog::new(&purchases).unwrap(), &params);
        }
    }
}

#[test]
fn one_customer_profile_on_simulated_purchases() {
    let rows = Simulation::new(3_000).seed(5).transactions().unwrap();
    let log = TransactionLog::new(&rows).unwrap();
    assert_profiles_match(&log, &SummaryParams::new(Day(500)).time_unit_days(7.0));
}

#[test]
fn one_customer_profile_rejects_bad_rows() {
    let params = SummaryParams::new(Day(30));
    let days = [Day(0), Day(5)];
    let one = |amounts: &[f64], returns| {
        CustomerProfile::from_purchases(&days, amounts, &params, returns)
    };
    assert!(matches!(
        one(&[1.0, f64::NAN], Returns::Reject),
        Err(Error::NonFinite {
            field: "amount",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        one(&[1.0, -2.0], Returns::Reject),
        Err(Error::Refund { row: 1, .. })
    ));
    assert!(matches!(
        one(&[f64::INFINITY, 1.0], Returns::Net),
        Err(Error::NonFinite { row: 0, .. })
    ));
    assert!(matches!(
        one(&[1e300, 1.0], Returns::Net),
        Err(Error::InvalidValue { row: 0, .. })
    ));
    assert!(matches!(
        one(&[1.0], Returns::Reject),
        Err(Error::LengthMismatch {
            field: "amounts",
            ..
        })
    ));
    // No purchase in the window: no profile.
    assert_eq!(
        CustomerProfile::from_purchases(&[], &[], &params, Returns::Reject).unwrap(),
        None
    );
    let late = CustomerProfile::from_purchases(&[Day(90)], &[5.0], &params, Returns::Reject);
    assert_eq!(late.unwrap(), None);
    let refund_only = CustomerProfile::from_purchases(&[Day(3)], &[-5.0], &params, Returns::Net);
    assert_eq!(refund_only.unwrap(), None);
    // Days at the ends of the type's range.
    let far = CustomerProfile::from_purchases(
        &[Day(i32::MIN), Day(i32::MAX)],
        &[1.0, 2.0],
        &SummaryParams::new(Day(i32::MAX)),
        Returns::Reject,
    )
    .unwrap()
    .unwrap();
    assert!(far.tenure_days.is_finite() && far.orders_per_30_days.is_finite());
    assert_eq!(far.summary.orders, 2);
    assert_eq!(far.tenure_days, f64::from(i32::MAX) - f64::from(i32::MIN));
    // Bad params are the params' error.
    let bad = SummaryParams::new(Day(30)).time_unit_days(f64::NAN);
    assert!(CustomerProfile::from_purchases(&days, &[1.0, 2.0], &bad, Returns::Reject).is_err());
    // Attribute features are the caller's to write.
    let one = one(&[1.0, 2.0], Returns::Reject).unwrap().unwrap();
    let mut out = [0.0; 2];
    assert!(matches!(
        one.features_into(
            &[Feature::Orders, Feature::Attribute("region".into())],
            &mut out
        ),
        Err(Error::InvalidParameter {
            name: "features",
            ..
        })
    ));
    assert!(matches!(
        one.features_into(&[Feature::Orders], &mut out),
        Err(Error::LengthMismatch { field: "out", .. })
    ));
}

fn summary_for_rfm() -> (patronage::CustomerSummary, Day) {
    let rows = Simulation::new(4_000).seed(9).transactions().unwrap();
    let log = TransactionLog::new(&rows).unwrap();
    let end = Day(400);
    (log.summarize(&SummaryParams::new(end)).unwrap(), end + 1)
}

#[test]
fn fitted_quantile_scorer_scores_its_population_as_the_params_do() {
    let (summary, day) = summary_for_rfm();
    for bins in [2, 3, 5, 10] {
        let params = RfmParams::default()
            .bins(bins)
            .tie_policy(TiePolicy::Quantile);
        let scorer = params.fit((&summary, day)).unwrap();
        assert_eq!(
            scorer.score(&summary, day).unwrap(),
            params.score(&summary, day).unwrap()
        );
        assert_eq!(scorer.bins(), bins);
        let (r, f, m) = scorer.edges();
        assert!([r, f, m].iter().all(|e| e.len() == usize::from(bins) - 1));
    }
}

#[test]
fn fitted_rank_first_scorer_takes_the_lower_bin_of_tied_values() {
    let (summary, day) = summary_for_rfm();
    let params = RfmParams::default(); // frequency rank-first
    let scorer = params.fit((&summary, day)).unwrap();
    let (by_params, by_model) = (
        params.score(&summary, day).unwrap(),
        scorer.score(&summary, day).unwrap(),
    );
    assert_eq!(by_params.recency(), by_model.recency());
    assert_eq!(by_params.monetary(), by_model.monetary());
    let orders = summary.orders().unwrap();
    let mut differ = 0;
    for i in 0..summary.len() {
        let (p, m) = (by_params.frequency()[i], by_model.frequency()[i]);
        assert!(m <= p, "row {i}");
        // A value no other customer shares is scored as in the population.
        if orders.iter().filter(|&&o| o == orders[i]).count() == 1 {
            assert_eq!(m, p, "row {i}");
        }
        differ += usize::from(m != p);
    }
    // Order counts tie heavily: the population splits ties across bins, one customer
    // cannot be.
    assert!(differ > 0);
}

#[test]
fn score_one_is_the_scorer_row_and_its_segment() {
    let (summary, day) = summary_for_rfm();
    let scorer = RfmParams::default().fit((&summary, day)).unwrap();
    let scores = scorer.score(&summary, day).unwrap();
    let map = SegmentMap::classic();
    let segments = map.assign(&scores);
    let (last, orders, spend) = (
        summary.last_day().unwrap(),
        summary.orders().unwrap(),
        summary.total_spend().unwrap(),
    );
    for i in (0..summary.len()).step_by(7) {
        let cell = scorer
            .score_one(
                day.days_since(last[i]) as f64,
                f64::from(orders[i]),
                spend[i],
            )
            .unwrap();
        assert_eq!(
            (cell.recency, cell.frequency, cell.monetary),
            (
                scores.recency()[i],
                scores.frequency()[i],
                scores.monetary()[i]
            )
        );
        assert_eq!(cell.to_string(), scores.cell(i));
        assert_eq!(map.segment(cell), segments[i]);
    }
    // Values beyond the fitted range take the end bins.
    let best = scorer.score_one(-5.0, 1e9, 1e12).unwrap();
    assert_eq!((best.recency, best.frequency, best.monetary), (5, 5, 5));
    let worst = scorer.score_one(1e9, 0.0, -1e9).unwrap();
    assert_eq!((worst.recency, worst.frequency, worst.monetary), (1, 1, 1));
    for (r, f, m, field) in [
        (f64::NAN, 1.0, 1.0, "recency"),
        (1.0, f64::INFINITY, 1.0, "frequency"),
        (1.0, 1.0, f64::NEG_INFINITY, "monetary"),
    ] {
        match scorer.score_one(r, f, m) {
            Err(Error::NonFinite {
                field: got, row: 0, ..
            }) => assert_eq!(got, field),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        scorer.score_values(&[1.0], &[1.0, 2.0], &[1.0]),
        Err(Error::LengthMismatch {
            field: "frequency",
            ..
        })
    ));
    assert!(matches!(
        RfmParams::default()
            .bins(1)
            .fit_values(&[1.0], &[1.0], &[1.0]),
        Err(Error::InvalidParameter { name: "bins", .. })
    ));
}

#[test]
fn saved_scorer_loads_and_hand_edits_are_errors() {
    let (summary, day) = summary_for_rfm();
    let scorer = RfmParams::default().fit((&summary, day)).unwrap();
    let json = serde_json::to_string(&scorer).unwrap();
    let back: RfmModel = serde_json::from_str(&json).unwrap();
    assert_eq!(back, scorer);
    let edit = |from: &str, to: &str| {
        let text = json.replacen(from, to, 1);
        assert_ne!(text, json, "{from}");
        serde_json::from_str::<RfmModel>(&text)
    };
    assert!(edit("\"bins\":5", "\"bins\":1").is_err());
    assert!(edit("\"bins\":5", "\"bins\":6").is_err()); // edges no longer bins - 1
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut swapped = v.clone();
    let m = swapped["monetary"].as_array_mut().unwrap();
    m.swap(0, 3);
    let err = serde_json::from_value::<RfmModel>(swapped)
        .unwrap_err()
        .to_string();
    assert!(err.contains("monetary"), "{err}");
    let mut huge = v;
    huge["recency"][0] = serde_json::json!(f64::MAX);
    let err = serde_json::from_value::<RfmModel>(huge)
        .unwrap_err()
        .to_string();
    assert!(err.contains("recency"), "{err}");
}

#[test]
fn value_of_one_row_is_the_population_value() {
    let summary = Simulation::new(1_500).seed(4).summary_continuous().unwrap();
    let params = SummaryParams::new(Day(0)).time_unit_days(summary.time_unit_days());
    let bg = BetaGeo::params().fit(&summary).unwrap();
    let pnbd = ParetoNbd::params().fit(&summary).unwrap();
    let gg = GammaGamma::params().fit(&summary).unwrap();
    let valuations = [
        Valuation::monthly(12, 0.01),
        Valuation::monthly(24, 0.0).margin(0.3).days_per_month(30.0),
        Valuation::continuous(Horizon::years(3.0), 0.1, 200),
    ];
    for valuation in valuations {
        let all_bg = valuation.value(&bg, &gg, &summary).unwrap();
        let all_pnbd = valuation.value(&pnbd, &gg, &summary).unwrap();
        for i in (0..summary.len()).step_by(11) {
            let row = patronage::summary::SummaryRow {
                frequency: summary.frequency()[i],
                recency: summary.recency()[i],
                age: summary.age()[i],
                monetary_value: summary.monetary_value()[i],
                orders: 0,
                total_spend: 0.0,
                first_day: Day(0),
                last_day: Day(0),
                gross_spend: 0.0,
                refunds: 0.0,
                refund_count: 0,
            };
            let one = valuation.value_of(&bg, &gg, &row, &params).unwrap();
            assert_eq!(one.to_bits(), all_bg[i].to_bits(), "row {i}");
            let one = valuation.value_of(&pnbd, &gg, &row, &params).unwrap();
            assert_eq!(one.to_bits(), all_pnbd[i].to_bits(), "row {i}");
        }
    }
    // A history that cannot be, and settings out of range, are errors naming them.
    let mut bad = PartialSummary::default();
    bad.update(&params, Day(0), 1.0);
    let mut row = bad.finish(&params).unwrap().unwrap();
    row.recency = row.age + 1.0;
    assert!(matches!(
        Valuation::monthly(12, 0.01).value_of(&bg, &gg, &row, &params),
        Err(Error::InvalidValue {
            field: "recency",
            row: 0,
            ..
        })
    ));
    row.recency = 0.0;
    assert!(matches!(
        Valuation::monthly(0, 0.01).value_of(&bg, &gg, &row, &params),
        Err(Error::InvalidParameter { name: "months", .. })
    ));
    assert!(matches!(
        Valuation::monthly(12, 0.01)
            .margin(f64::NAN)
            .value_of(&bg, &gg, &row, &params),
        Err(Error::InvalidParameter { name: "margin", .. })
    ));
    assert!(
        Valuation::continuous(Horizon::years(1e308), 0.1, 10)
            .value_of(&bg, &gg, &row, &params)
            .is_err()
    );
}

/// One customer scored end to end, as the README's web-service recipe does: each
/// number equals the population computation's for that customer.
#[test]
fn one_customer_end_to_end_matches_the_population() {
    let rows = Simulation::new(2_000).seed(21).transactions().unwrap();
    let log = TransactionLog::new(&rows).unwrap();
    let params = SummaryParams::new(Day(400)).time_unit_days(7.0);
    let summary = log.summarize(&params).unwrap();
    let bg = BetaGeo::params().fit(&summary).unwrap();
    let p_alive = patronage::clv::probability_alive(&bg, &summary).unwrap();
    let c = summary.customer()[17];
    let (days, amounts) = log.customer_rows(c);
    let one = CustomerProfile::from_purchases(days, amounts, &params, Returns::Reject)
        .unwrap()
        .unwrap();
    let s = &one.summary;
    let alive = bg.probability_alive(s.frequency, s.recency, s.age).unwrap();
    assert_eq!(alive.to_bits(), p_alive[17].to_bits());
    let gg = GammaGamma::params().fit(&summary).unwrap();
    let clv = Valuation::monthly(12, 0.01)
        .value(&bg, &gg, &summary)
        .unwrap();
    let one_clv = Valuation::monthly(12, 0.01)
        .value_of(&bg, &gg, s, &params)
        .unwrap();
    assert_eq!(one_clv.to_bits(), clv[17].to_bits());
}
