//! Property tests over the public entry points with hostile arguments (issue 15):
//! arbitrary finite and non-finite values, the ends of `i32` days and `usize` counts,
//! random lengths. Every call either returns a typed `patronage::Error` whose row and
//! value agree with the input, or an output that is finite (probabilities in [0, 1],
//! counts and sizes non-negative). A panic anywhere fails the case, and proptest
//! shrinks it to a minimal input.
//!
//! CLV prediction methods are not called here (their signatures are changing); CLV
//! fits are, and their parameters are checked.

#[path = "common/hostile_values.rs"]
mod hostile;

use hostile::{
    all_finite, all_non_negative, all_probabilities, capped_f64, check_error, finite_f64, mostly,
    mostly_day, mostly_usize, ok_or_typed, valid_rows, wild_day, wild_f64, wild_rows, wild_usize,
};
use ndarray::{Array1, Array2};
use patronage::forecast::MAX_HORIZON;
use patronage::prelude::*;
use patronage::{CustomerSummary, Day, Error, SummaryParams, Transaction, TransactionLog};
use proptest::prelude::*;

fn matrix(rows: &[Vec<f64>], d: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i][j])
}

fn wild_matrix(max_rows: usize) -> impl Strategy<Value = (Array2<f64>, usize)> {
    (1usize..4).prop_flat_map(move |d| {
        prop::collection::vec(prop::collection::vec(wild_f64(), d), 0..max_rows)
            .prop_map(move |rows| (matrix(&rows, d), d))
    })
}

fn finite_matrix(max_rows: usize) -> impl Strategy<Value = Array2<f64>> {
    (1usize..4).prop_flat_map(move |d| {
        prop::collection::vec(prop::collection::vec(finite_f64(), d), 1..max_rows)
            .prop_map(move |rows| matrix(&rows, d))
    })
}

/// 0/1 labels, sometimes with a wild value in them.
fn labels(max_len: usize) -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(any::<bool>(), 0..max_len)
}

fn check_summary(s: &CustomerSummary) {
    all_non_negative(s.frequency(), "frequency");
    all_non_negative(s.recency(), "recency");
    all_non_negative(s.age(), "age");
    all_non_negative(s.monetary_value(), "monetary_value");
    for i in 0..s.len() {
        assert!(s.recency()[i] <= s.age()[i], "row {i}: recency above T");
    }
    if let Some(t) = s.total_spend() {
        all_non_negative(t, "total_spend");
    }
}

fn log_of(rows: &[Transaction<u8>]) -> TransactionLog<u8> {
    TransactionLog::new(rows).expect("valid rows")
}

proptest! {
    #![proptest_config(hostile::config(256))]

    /// `Day::from_ymd` takes any triple; `to_ymd`, `month_index`, `days_since` and
    /// `Display` take any day.
    #[test]
    fn days_and_dates(y in any::<i32>(), m in any::<u32>(), d in any::<u32>(), a in wild_day(), b in wild_day()) {
        match Day::from_ymd(y, m, d) {
            Ok(day) => prop_assert_eq!(day.to_ymd(), (y, m, d)),
            Err(e) => prop_assert!(matches!(e, Error::InvalidDate { .. }), "{e:?}"),
        }
        let _ = a.to_ymd();
        let _ = a.month_index();
        let _ = a.to_string();
        prop_assert_eq!(a.days_since(b), i64::from(a.0) - i64::from(b.0));
    }

    /// `TransactionLog::new` rejects each bad amount by its row; a log it accepts holds
    /// finite, non-negative amounts and every row.
    #[test]
    fn transaction_log_new(rows in wild_rows(40)) {
        match TransactionLog::new(&rows) {
            Ok(log) => {
                prop_assert_eq!(log.n_rows(), rows.len());
                all_non_negative(log.amounts(), "amounts");
                prop_assert!(log.first_day() <= log.last_day());
                let q = log.quality_report();
                prop_assert_eq!(q.rows, rows.len());
                prop_assert!(q.max_amount.is_finite() && q.extreme_threshold.is_finite() || q.extreme_threshold.is_infinite());
            }
            Err(e) => {
                check_error(&e, rows.len());
                match e {
                    Error::Empty { .. } => prop_assert!(rows.is_empty()),
                    Error::NonFinite { row, value, .. } | Error::Negative { row, value, .. } | Error::Refund { row, value } | Error::InvalidValue { row, value, .. } => {
                        prop_assert_eq!(rows[row].amount.to_bits(), value.to_bits(), "row {} is named", row);
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }

    /// Summaries with any observation end, origin, period and time unit.
    #[test]
    fn summarize_with_any_params(
        rows in valid_rows(30, 400),
        end in wild_day(),
        origin in wild_day(),
        period in prop_oneof![1u32..10, any::<u32>()],
        unit in wild_f64(),
        holdout_end in wild_day(),
    ) {
        let log = log_of(&rows);
        let params = SummaryParams::new(end).origin(origin).period_days(period).time_unit_days(unit);
        if let Some(s) = ok_or_typed(log.summarize(&params), rows.len()) {
            check_summary(&s);
            // The window runs to the end of the observation end's period, so a
            // purchase after the observation end (in its period) is kept.
            if let Some(d) = s.days_since_last() {
                prop_assert!(d.iter().all(|&d| d > -i64::from(period)), "{:?}", d);
            }
        }
        if let Some(split) = ok_or_typed(log.calibration_holdout(&params, holdout_end), rows.len()) {
            check_summary(&split.calibration);
            all_non_negative(&split.frequency_holdout, "frequency_holdout");
            all_non_negative(&split.monetary_value_holdout, "monetary_value_holdout");
            prop_assert!(split.duration_holdout.in_days().is_finite() && split.duration_holdout.in_days() >= 0.0);
        }
    }

    /// `CustomerSummary::from_columns` validates wild columns by row.
    #[test]
    fn summary_from_wild_columns(rows in prop::collection::vec((mostly((0u8..10).prop_map(f64::from)), 0.0f64..=1.0, mostly(0.0f64..100.0), mostly(0.0f64..100.0), prop::option::weighted(0.05, wild_f64())), 0..20), with_m in any::<bool>()) {
        // Valid rows (recency = a fraction of T, 0 without repeats), a wild value now
        // and then in any column.
        let cols: Vec<(f64, f64, f64, f64)> = rows.iter().map(|&(f, frac, t, m, r)| (f, r.unwrap_or(if f == 0.0 { 0.0 } else { frac * t }), t, m)).collect();
        let col = |k: usize| Array1::from_iter(cols.iter().map(|c| [c.0, c.1, c.2, c.3][k]));
        let (f, r, t, m) = (col(0), col(1), col(2), col(3));
        let s = CustomerSummary::from_columns(f.as_slice().unwrap(), r.as_slice().unwrap(), t.as_slice().unwrap(), with_m.then(|| m.as_slice().unwrap()));
        if let Some(s) = ok_or_typed(s, cols.len()) {
            check_summary(&s);
        }
    }

    /// RFM scores of wild columns are in 1..=bins; segment tables add up.
    #[test]
    fn rfm_scores(cols in prop::collection::vec((wild_f64(), wild_f64(), wild_f64()), 0..30), bins in any::<u8>()) {
        use patronage::rfm::{RfmParams, SegmentMap};
        let (r, f, m): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            cols.iter().map(|c| c.0).collect(),
            cols.iter().map(|c| c.1).collect(),
            cols.iter().map(|c| c.2).collect(),
        );
        if let Some(s) = ok_or_typed(RfmParams::default().bins(bins).score_values(&r, &f, &m), cols.len()) {
            prop_assert_eq!(s.len(), cols.len());
            for v in [s.recency(), s.frequency(), s.monetary()] {
                prop_assert!(v.iter().all(|&x| (1..=s.bins()).contains(&x)), "{:?}", v);
            }
            for map in [SegmentMap::classic(), SegmentMap::rf_grid()] {
                let a = map.assign(&s);
                prop_assert!(a.iter().all(|&i| i <= map.len()));
            }
        }
    }

    /// RFM of a log summary at any analysis day; segment summaries add up to the
    /// customers and have finite shares.
    #[test]
    fn rfm_of_a_log(rows in valid_rows(30, 400), day in wild_day(), bins in 2u8..12) {
        use patronage::rfm::{RfmParams, SegmentMap};
        let log = log_of(&rows);
        let s = log.summarize(&SummaryParams::new(Day(400))).unwrap();
        if let Some(scores) = ok_or_typed(RfmParams::default().bins(bins).score(&s, day), rows.len()) {
            let map = SegmentMap::classic();
            let table = map.summarize(&s, &scores).unwrap();
            prop_assert_eq!(table.iter().map(|t| t.customers).sum::<usize>(), s.len());
            for t in &table {
                prop_assert!(t.revenue.is_finite() && t.revenue >= 0.0);
                prop_assert!((0.0..=1.0 + 1e-12).contains(&t.revenue_share) || t.revenue_share.is_nan() && t.revenue == 0.0, "{:?}", t);
                prop_assert!(t.average_order_value.is_finite());
            }
        }
    }

    /// Profiles and feature matrices of any valid log (days anywhere in i32), with a
    /// wild numeric attribute.
    #[test]
    fn profile_features(rows in valid_rows(30, 400), shift in wild_day(), attr in prop::collection::vec((0u8..8, wild_f64()), 0..8)) {
        use patronage::profile::{Attributes, Feature, Profile};
        let rows: Vec<_> = rows.into_iter().map(|t| Transaction { day: Day(t.day.0.saturating_add(shift.0)), ..t }).collect();
        let log = log_of(&rows);
        let end = *rows.iter().map(|t| &t.day).max().unwrap();
        let s = log.summarize(&SummaryParams::new(end)).unwrap();
        let p = Profile::new(&log, &s).unwrap();
        all_non_negative(p.tenure_days(), "tenure_days");
        all_non_negative(p.days_since_last(), "days_since_last");
        all_non_negative(p.order_value_sd(), "order_value_sd");
        all_non_negative(p.orders_per_30_days(), "orders_per_30_days");
        let mut features = vec![
            Feature::Frequency, Feature::Recency, Feature::Age, Feature::MonetaryValue,
            Feature::Orders, Feature::TotalSpend, Feature::TenureDays, Feature::DaysSinceLast,
            Feature::MeanGapDays, Feature::MedianGapDays, Feature::OrderValueSd,
            Feature::AverageOrderValue, Feature::OrdersPer30Days,
        ];
        let (x, names) = p.features(&Attributes::for_log(&log), &features).unwrap();
        prop_assert_eq!(names.len(), x.ncols());
        all_finite(x.as_slice().unwrap(), "features");
        features.push(Feature::Attribute("wild".into()));
        if let Some(attrs) = ok_or_typed(Attributes::for_log(&log).numeric("wild", &log, &attr), attr.len()) {
            if let Some((x, _)) = ok_or_typed(p.features(&attrs, &features), s.len()) {
                all_finite(x.as_slice().unwrap(), "features with an attribute");
            }
            let _ = ok_or_typed(attrs.group_summary("wild", &s), s.len());
        }
    }

    /// Cohort tables of logs with days anywhere: a table with rates in [0, 1] or a
    /// typed limit.
    #[test]
    fn cohorts_of_wild_days(rows in prop::collection::vec((0u8..8, wild_day(), 0.0f64..1e4), 1..30), week in any::<bool>()) {
        use patronage::{Period, cohort::retention};
        let rows: Vec<_> = rows.into_iter().map(|(customer, day, amount)| Transaction { customer, day, amount }).collect();
        let log = log_of(&rows);
        let period = if week { Period::Week } else { Period::Month };
        if let Some(t) = ok_or_typed(retention(&log, period), rows.len()) {
            for r in t.rates() {
                all_probabilities(&r, "rates");
            }
            all_probabilities(&t.average_rates(), "average_rates");
            for r in t.revenue_per_customer() {
                all_non_negative(&r, "revenue_per_customer");
            }
            all_non_negative(&t.average_revenue_per_customer(), "average_revenue_per_customer");
        }
    }

    /// Series from logs with days anywhere: finite, non-negative values or a typed
    /// limit.
    #[test]
    fn series_of_wild_days(rows in prop::collection::vec((0u8..8, wild_day(), 0.0f64..1e4), 1..30), p in 0usize..3, m in 0usize..4) {
        use patronage::forecast::series::{aggregate, Measure, Period};
        let rows: Vec<_> = rows.into_iter().map(|(customer, day, amount)| Transaction { customer, day, amount }).collect();
        let log = log_of(&rows);
        let period = [Period::Day, Period::Week, Period::Month][p];
        let measure = [Measure::Revenue, Measure::Orders, Measure::ActiveCustomers, Measure::NewCustomers][m];
        if let Some(s) = ok_or_typed(aggregate(&log, period, measure), rows.len()) {
            all_non_negative(s.values(), "series");
            let _ = s.label(0);
            let _ = s.label(usize::MAX);
            let _ = s.day(usize::MAX);
        }
    }

    /// Series of wild values, with any season length, head, slice and ln.
    #[test]
    fn series_new(values in prop::collection::vec(wild_f64(), 0..30), m in wild_usize(), a in wild_usize(), b in wild_usize()) {
        use patronage::forecast::Series;
        if let Some(s) = ok_or_typed(Series::new(&values, m), values.len()) {
            all_finite(s.values(), "series");
            let _ = ok_or_typed(s.with_season_length(a), 0);
            let _ = ok_or_typed(s.head(a), 0);
            let _ = ok_or_typed(s.slice(a, b), 0);
            if let Some(l) = ok_or_typed(s.ln(), s.len()) {
                all_finite(l.values(), "ln");
            }
        }
    }

    /// Forecast accuracy metrics of wild vectors (finite values up to 1e100): typed
    /// errors or finite values (MAPE and MASE may be NaN in `accuracy`, as documented).
    #[test]
    fn forecast_metrics(pairs in prop::collection::vec((capped_f64(), capped_f64()), 0..20), training in prop::collection::vec(capped_f64().prop_map(|v| if v.is_finite() { v } else { 0.0 }), 1..20)) {
        use patronage::forecast::{Series, metrics};
        let actual: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let forecast: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let n = pairs.len().max(training.len());
        for (name, r) in [
            ("mae", metrics::mae(&actual, &forecast)),
            ("rmse", metrics::rmse(&actual, &forecast)),
            ("smape", metrics::smape(&actual, &forecast)),
        ] {
            if let Some(v) = ok_or_typed(r, n) {
                prop_assert!(v.is_finite() && v >= 0.0, "{} = {}", name, v);
            }
        }
        let train = Series::new(&training, 1).unwrap();
        if let Some(v) = ok_or_typed(metrics::mase_scale(&train), n) {
            prop_assert!(v.is_finite() && v > 0.0, "mase_scale = {}", v);
        }
        // mase: see `scaled_errors_of_tiny_denominators`.
        let _ = ok_or_typed(metrics::mase(&actual, &forecast, &train), n);
        if let Some(a) = ok_or_typed(metrics::accuracy(&actual, &forecast, &train), n) {
            prop_assert!(a.mae.is_finite() && a.rmse.is_finite() && a.smape.is_finite(), "{:?}", a);
        }
    }

    /// Churn metrics of wild labels and scores.
    #[test]
    fn churn_metrics(y in labels(30), scores in prop::collection::vec(wild_f64(), 0..30), threshold in wild_f64(), groups in wild_usize(), folds in wild_usize(), seed in any::<u64>()) {
        use patronage::churn::metrics::*;
        let n = y.len().min(scores.len());
        // Mostly equal lengths, so the checks go past the length test.
        let (y, s) = (&y[..n], &scores[..n]);
        let rows = n.max(1);
        if let Some(v) = ok_or_typed(roc_auc(y, s), rows) { all_probabilities(&[v], "roc_auc"); }
        if let Some(v) = ok_or_typed(average_precision(y, s), rows) { all_probabilities(&[v], "average_precision"); }
        for c in [ok_or_typed(roc_curve(y, s), rows), ok_or_typed(precision_recall_curve(y, s), rows)].into_iter().flatten() {
            all_probabilities(&c.x, "curve x");
            all_probabilities(&c.y, "curve y");
        }
        if let Some(v) = ok_or_typed(log_loss(y, s), rows) { prop_assert!(v.is_finite() && v >= 0.0, "log_loss {}", v); }
        if let Some(v) = ok_or_typed(brier(y, s), rows) { all_probabilities(&[v], "brier"); }
        if let Some(c) = ok_or_typed(confusion(y, s, threshold), rows) {
            all_probabilities(&[c.precision, c.recall, c.accuracy], "confusion");
            prop_assert_eq!(c.true_positives + c.false_positives + c.true_negatives + c.false_negatives, n);
        }
        if let Some(t) = ok_or_typed(lift_table(y, s, groups), rows) {
            prop_assert_eq!(t.iter().map(|r| r.count).sum::<usize>(), n);
            for r in &t {
                all_probabilities(&[r.rate, r.cumulative_gain], "lift rate/gain");
                all_non_negative(&[r.lift, r.cumulative_lift], "lift");
            }
        }
        if let Some(t) = ok_or_typed(calibration_table(y, s, groups), rows) {
            prop_assert_eq!(t.iter().map(|r| r.count).sum::<usize>(), n);
            for r in &t {
                all_probabilities(&[r.lower, r.upper, r.mean_predicted, r.observed_rate], "calibration");
            }
        }
        if let Some(f) = ok_or_typed(stratified_k_fold(y, folds, seed), rows) {
            prop_assert_eq!(f.iter().map(|f| f.len()).sum::<usize>(), n);
        }
    }

    /// Churn labels at any cutoff and horizon.
    #[test]
    fn churn_labels(rows in valid_rows(30, 400), cutoff in wild_day(), horizon in prop_oneof![0i32..100, any::<i32>()].prop_map(|d| patronage::Horizon::days(f64::from(d)))) {
        use patronage::churn::label;
        let log = log_of(&rows);
        if let Some(d) = ok_or_typed(label(&log, cutoff, horizon), rows.len()) {
            prop_assert_eq!(d.features.nrows(), d.churned.len());
            all_finite(d.features.as_slice().unwrap(), "churn features");
        }
    }

    /// Kaplan-Meier, log-rank and lifetimes with wild durations, events, times and
    /// levels.
    #[test]
    fn survival(obs in prop::collection::vec((mostly(0.0f64..100.0), any::<bool>()), 0..30), t in mostly(-10.0f64..120.0), level in mostly(0.01f64..0.99), split in 0usize..30) {
        use patronage::prelude::*;
        use patronage::survival::{KaplanMeier, log_rank};
        let d: Vec<f64> = obs.iter().map(|o| o.0).collect();
        let e: Vec<bool> = obs.iter().map(|o| o.1).collect();
        let n = obs.len().max(1);
        if let Some(km) = ok_or_typed(KaplanMeier::params().fit((&d, &e)), n) {
            all_probabilities(km.survival(), "survival");
            if let Ok(p) = km.survival_at(t) {
                all_probabilities(&[p], "survival_at");
            }
            if let Some((lo, hi)) = ok_or_typed(km.interval_at(t, level), n) {
                all_probabilities(&[lo, hi], "interval");
                prop_assert!(lo <= hi);
            }
            if let Some(m) = km.median() { prop_assert!(m.is_finite()); }
        }
        let k = split.min(obs.len());
        if let Some(r) = ok_or_typed(log_rank(&d[..k], &e[..k], &d[k..], &e[k..]), n) {
            prop_assert!(r.statistic.is_finite() && r.statistic >= 0.0, "{:?}", r);
            all_probabilities(&[r.p_value], "p_value");
        }
    }

    #[test]
    fn survival_lifetimes(rows in valid_rows(30, 400), end in wild_day(), inactivity in prop_oneof![0i32..100, any::<i32>()].prop_map(|d| patronage::Horizon::days(f64::from(d)))) {
        use patronage::prelude::*;
        use patronage::survival::{KaplanMeier, lifetimes};
        let log = log_of(&rows);
        if let Some((_, d, e)) = ok_or_typed(lifetimes(&log, end, inactivity), rows.len()) {
            all_non_negative(&d, "durations");
            if !d.is_empty() {
                let _ = ok_or_typed(KaplanMeier::params().fit((&d, &e)), d.len());
            }
        }
    }

    /// Market baskets: any minimum support, rule metric and threshold; recommendations
    /// of any count.
    #[test]
    fn baskets(orders in prop::collection::vec(prop::collection::vec(0u8..10, 1..8), 1..25), frac in wild_f64(), count in wild_usize(), metric in 0usize..8, min_value in wild_f64(), n in wild_usize()) {
        use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};
        let lines: Vec<OrderLine<usize, u8>> = orders.iter().enumerate().flat_map(|(o, items)| items.iter().map(move |&item| OrderLine { order: o, item })).collect();
        let b = Baskets::new(&lines).unwrap();
        let metric = [Metric::Support, Metric::Confidence, Metric::Lift, Metric::Leverage, Metric::Conviction, Metric::Zhang, Metric::Jaccard, Metric::Kulczynski][metric];
        for support in [MinSupport::Fraction(frac), MinSupport::Count(count)] {
            let Some(sets) = ok_or_typed(b.frequent_itemsets(support, None), 0) else { continue };
            for s in &sets {
                all_probabilities(&[s.support], "itemset support");
            }
            if let Some(rules) = ok_or_typed(b.rules(&sets, metric, min_value), 0) {
                for r in &rules {
                    all_probabilities(&[r.support, r.confidence, r.antecedent_support, r.consequent_support, r.jaccard, r.kulczynski], "rule");
                    all_finite(&[r.lift, r.leverage, r.zhang, r.certainty], "rule");
                    prop_assert!(!r.conviction.is_nan() && r.conviction >= 0.0, "{:?}", r);
                }
                let recs = b.recommend(&rules, &[0, 1], metric, n);
                prop_assert!(recs.len() <= n);
                prop_assert!(recs.iter().all(|r| !r.1.is_nan()));
            }
        }
    }

    /// k-means on finite data with any k, restarts and iterations: labels below k,
    /// finite centroids and inertia, or a typed error. Values are moderate here; huge
    /// values are in `kmeans_huge_values`.
    #[test]
    fn kmeans_moderate(x in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 2), 1..25), k in wild_usize(), n_init in prop_oneof![1usize..4, wild_usize()], max_iter in prop_oneof![0usize..50, Just(usize::MAX)], tol in wild_f64(), seed in any::<u64>()) {
        use patronage::prelude::*;
        use patronage::segment::KMeans;
        let x = matrix(&x, 2);
        let params = KMeans::params(k).n_init(n_init).max_iter(max_iter).tol(tol).seed(seed);
        if let Some(fit) = ok_or_typed(params.fit(x.view()), x.nrows()) {
            prop_assert!(fit.labels().iter().all(|&l| l < fit.n_clusters()));
            all_finite(fit.centroids().as_slice().unwrap(), "centroids");
            prop_assert!(fit.inertia().is_finite() && fit.inertia() >= 0.0);
            let p = fit.predict(x.view()).unwrap();
            prop_assert!(p.iter().all(|&l| l < fit.n_clusters()));
            all_non_negative(fit.transform(x.view()).unwrap().as_slice().unwrap(), "distances");
        }
    }

    /// Cluster quality scores of finite data and any labels: finite where returned.
    #[test]
    fn cluster_quality_moderate(x in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 2), 1..20), labels in prop::collection::vec(prop_oneof![6 => 0usize..4, 1 => wild_usize()], 1..20), sample in wild_usize(), seed in any::<u64>()) {
        use patronage::segment::profile_clusters;
        use patronage::segment::quality::*;
        let n = x.len().min(labels.len());
        let x = matrix(&x[..n], 2);
        let labels = &labels[..n];
        if let Some(v) = ok_or_typed(silhouette(x.view(), labels), n) {
            prop_assert!((-1.0..=1.0).contains(&v), "silhouette {}", v);
        }
        if let Some(v) = ok_or_typed(silhouette_sampled(x.view(), labels, sample, seed), n) {
            prop_assert!((-1.0..=1.0).contains(&v), "silhouette_sampled {}", v);
        }
        if let Some(p) = ok_or_typed(profile_clusters(x.view(), labels), n) {
            for c in &p {
                all_probabilities(&[c.share], "share");
                all_finite(&c.means, "means");
                all_finite(&c.medians, "medians");
            }
        }
        // davies_bouldin and calinski_harabasz: see `cluster_indices_are_finite`.
        let _ = ok_or_typed(davies_bouldin(x.view(), labels), n);
        let _ = ok_or_typed(calinski_harabasz(x.view(), labels), n);
    }

    /// STL with any period, windows, degrees, jumps and passes on a finite series.
    #[test]
    fn stl_any_params(values in prop::collection::vec(-1e3f64..1e3, 0..60), period in mostly_usize(2usize..6), sw in prop_oneof![Just(None), mostly_usize(3usize..15).prop_map(Some)], tw in mostly_usize(3usize..30), deg in mostly_usize(0usize..2), jump in mostly_usize(1usize..3), inner in mostly_usize(1usize..3), outer in mostly_usize(0usize..3), robust in any::<bool>()) {
        use patronage::forecast::decompose::{SeasonalWindow, Stl};
        let window = match sw { None => SeasonalWindow::Periodic, Some(w) => SeasonalWindow::Span(w) };
        let stl = Stl::params(period, window).trend_window(tw).seasonal_degree(deg).jumps(jump, jump, jump).inner(inner).outer(outer).robust(robust);
        if let Some(d) = ok_or_typed(stl.fit(&values), values.len()) {
            all_finite(&d.trend, "trend");
            all_finite(&d.seasonal, "seasonal");
            all_finite(&d.remainder, "remainder");
            all_non_negative(&d.weights, "weights");
            let s = d.seasonal_strength();
            prop_assert!((0.0..=1.0).contains(&s), "seasonal strength {}", s);
        }
    }

    /// Simulation with any parameters and days: typed errors or valid rows.
    #[test]
    fn simulation_any_params(n in 0usize..4, process in (mostly(0.1f64..10.0), mostly(0.1f64..10.0), mostly(0.1f64..10.0), mostly(0.1f64..10.0)), spend in (mostly(0.5f64..10.0).prop_map(at_most_1e6), mostly(0.5f64..10.0).prop_map(at_most_1e6), mostly(0.5f64..50.0).prop_map(at_most_1e6)), first in mostly_day(400), last in mostly_day(400), end in mostly_day(1000), seed in any::<u64>()) {
        use patronage::simulate::Simulation;
        let sim = Simulation::new(n).purchase_process(process.0, process.1, process.2, process.3).spend(spend.0, spend.1, spend.2).births(first, last).observation_end(end).seed(seed);
        if let Some(rows) = ok_or_typed(sim.transactions(), n) {
            all_non_negative(&rows.iter().map(|t| t.amount).collect::<Vec<_>>(), "simulated amounts");
            prop_assert!(rows.iter().all(|t| t.day <= end));
            if !rows.is_empty() {
                let _ = ok_or_typed(TransactionLog::new(&rows), rows.len());
            }
        }
        if let Some(s) = ok_or_typed(sim.summary_continuous(), n) {
            check_summary(&s);
        }
    }

    /// ETS fits of finite series (values up to 1e300) and forecasts of any horizon and
    /// levels: finite means and ordered intervals, or a typed error.
    #[test]
    fn ets_fit_and_forecast(values in prop::collection::vec(finite_f64(), 1..30), m in prop_oneof![Just(1usize), 2usize..5, wild_usize()], h in prop_oneof![1usize..10, wild_usize()], levels in prop::collection::vec(wild_f64(), 0..3)) {
        use patronage::forecast::{Series, ets::Ets};
        let Some(s) = ok_or_typed(Series::new(&values, m), values.len()) else { return Ok(()) };
        let Some(fit) = ok_or_typed(Ets::auto().fit(&s), values.len()) else { return Ok(()) };
        prop_assert!(!fit.report().aicc.is_nan(), "aicc NaN");
        prop_assert!(fit.sigma2().is_finite() && fit.sigma2() >= 0.0, "sigma2 {}", fit.sigma2());
        all_finite(fit.fitted(), "fitted");
        let h = h.min(2 * MAX_HORIZON);
        if let Some(f) = ok_or_typed(fit.forecast(h, &levels), h) {
            prop_assert_eq!(f.mean.len(), h);
            all_finite(&f.mean, "mean");
            for i in &f.intervals {
                all_finite(&i.lower, "lower");
                all_finite(&i.upper, "upper");
                prop_assert!(i.lower.iter().zip(&i.upper).all(|(l, u)| l <= u));
            }
        }
    }

    /// ARIMA fits of any (small or huge) orders on finite series (values up to 1e100),
    /// and forecasts.
    #[test]
    fn arima_fit_and_forecast(values in prop::collection::vec(capped_f64().prop_map(|v| if v.is_finite() { v } else { 0.0 }), 1..40), p in prop_oneof![0usize..3, wild_usize()], d in prop_oneof![0usize..3, wild_usize()], q in prop_oneof![0usize..3, wild_usize()], sp in 0usize..2, sd in 0usize..2, sq in 0usize..2, m in prop_oneof![1usize..5, wild_usize()], constant in any::<bool>(), h in prop_oneof![1usize..10, wild_usize()], levels in prop::collection::vec(wild_f64(), 0..3)) {
        use patronage::forecast::{Series, arima::Arima};
        let s = Series::new(&values, 1).unwrap();
        let Some(fit) = ok_or_typed(Arima::params(p, d, q).seasonal(sp, sd, sq).period(m).constant(constant).fit(&s), values.len()) else { return Ok(()) };
        prop_assert!(fit.sigma2().is_finite() && fit.sigma2() >= 0.0, "sigma2 {}", fit.sigma2());
        all_finite(fit.coefficients(), "coefficients");
        let h = h.min(2 * MAX_HORIZON);
        if let Some(f) = ok_or_typed(fit.forecast(h, &levels), h) {
            all_finite(&f.mean, "mean");
            for i in &f.intervals {
                all_finite(&i.lower, "lower");
                all_finite(&i.upper, "upper");
            }
        }
    }

    /// Standardizer and log1p of finite data with moderate values.
    #[test]
    fn standardizer_moderate(x in prop::collection::vec(prop::collection::vec(-1e6f64..1e6, 3), 1..20), cols in prop::collection::vec(wild_usize(), 0..4)) {
        use patronage::prelude::*;
        use patronage::segment::scale::{Standardizer, log1p_columns};
        let x = matrix(&x, 3);
        if let Some(st) = ok_or_typed(Standardizer::params().fit(x.view()), x.nrows()) {
            let z = st.transform(x.view()).unwrap();
            all_finite(z.as_slice().unwrap(), "z");
            let back = st.inverse_transform(z.view()).unwrap();
            all_finite(back.as_slice().unwrap(), "inverse");
        }
        if let Some(l) = ok_or_typed(log1p_columns(x.view(), &cols), x.nrows()) {
            all_finite(l.as_slice().unwrap(), "log1p");
        }
    }

    /// Logistic regression with moderate features and any penalty, tolerance and
    /// iteration count.
    #[test]
    fn logistic_moderate(x in prop::collection::vec((-1e3f64..1e3, -1e3f64..1e3), 1..30), y in prop::collection::vec(any::<bool>(), 1..30), penalty in wild_f64(), tol in wild_f64(), max_iter in prop_oneof![1usize..100, Just(usize::MAX)]) {
        use patronage::churn::LogisticRegression;
        use patronage::prelude::*;
        let n = x.len().min(y.len());
        let xm = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { x[i].0 } else { x[i].1 });
        let y = &y[..n];
        let params = LogisticRegression::params().penalty(penalty).tol(tol).max_iter(max_iter.min(1000));
        if let Some(fit) = ok_or_typed(params.fit((xm.view(), y)), n) {
            all_finite(fit.coefficients(), "coefficients");
            prop_assert!(fit.intercept().is_finite());
            all_probabilities(fit.predict_proba(xm.view()).unwrap().as_slice().unwrap(), "predict_proba");
        }
    }

    /// CLV fits (BG/NBD, MBG/NBD, Pareto/NBD) of summaries with any valid counts and
    /// ages from tiny to huge: positive finite parameters or a typed error.
    #[test]
    fn clv_purchase_fits(rows in prop::collection::vec((0u32..30, 0.0f64..=1.0, prop_oneof![0.5f64..100.0, Just(1e-300), Just(1e300), Just(f64::MAX), 1e10f64..1e200]), 1..12), which in 0usize..3) {
        use patronage::clv::{BetaGeo, ModifiedBetaGeo, ParetoNbd};
        let f = Array1::from_iter(rows.iter().map(|r| f64::from(r.0)));
        let t = Array1::from_iter(rows.iter().map(|r| r.2));
        let rec = Array1::from_iter(rows.iter().map(|r| if r.0 == 0 { 0.0 } else { r.1 * r.2 }));
        let Some(s) = ok_or_typed(CustomerSummary::from_columns(f.as_slice().unwrap(), rec.as_slice().unwrap(), t.as_slice().unwrap(), None), rows.len()) else { return Ok(()) };
        let params = match which {
            0 => ok_or_typed(BetaGeo::params().max_iter(200).fit(&s), rows.len()).map(|m| vec![m.r(), m.alpha(), m.a(), m.b()]),
            1 => ok_or_typed(ModifiedBetaGeo::params().fit(&s), rows.len()).map(|m| vec![m.r(), m.alpha(), m.a(), m.b()]),
            _ => ok_or_typed(ParetoNbd::params().max_iter(200).fit(&s), rows.len()).map(|m| vec![m.r(), m.alpha(), m.s(), m.beta()]),
        };
        if let Some(p) = params {
            prop_assert!(p.iter().all(|v| v.is_finite() && *v > 0.0), "{:?}", p);
        }
    }

    /// CLV fits of wild columns: weighted summaries, BG/BB and Gamma-Gamma validate by row.
    #[test]
    fn clv_fits_of_wild_columns(rows in prop::collection::vec((mostly((0u8..10).prop_map(f64::from)), 0.0f64..=1.0, mostly(1.0f64..60.0), mostly(0.0f64..5.0)), 0..40), penalizer in mostly(0.0f64..1.0)) {
        use patronage::clv::{BetaGeo, BetaGeoBetaBinom, GammaGamma, ParetoNbd};
        // Valid rows most of the time (recency a fraction of T, weights >= 0), with
        // wild values sprinkled in.
        let cols: Vec<[f64; 4]> = rows.iter().map(|&(f, frac, t, w)| [f, if f == 0.0 { 0.0 } else { frac * t }, t, w]).collect();
        let col = |k: usize| -> Vec<f64> { cols.iter().map(|c| c[k]).collect() };
        let (f, r, t, w) = (col(0), col(1), col(2), col(3));
        // BG/BB: integer x <= t_x <= n; n up to 1e4 here (a huge n hangs the fit: see
        // limits_child.rs, bgbb_fit_with_a_huge_number_of_opportunities).
        let n_opp: Vec<f64> = t.iter().map(|t| if t.is_finite() { t.round().clamp(-1e4, 1e4) } else { *t }).collect();
        let tx: Vec<f64> = r.iter().zip(&t).zip(&n_opp).map(|((r, t), n)| if *t > 0.0 { (r / t * n).round() } else { *r }).collect();
        let x: Vec<f64> = f.iter().zip(&tx).map(|(f, tx)| if *tx == 0.0 { 0.0 } else { f.min(*tx).max(1.0) }).collect();
        let n = cols.len();
        if let Some(m) = ok_or_typed(patronage::CustomerSummary::from_columns(&f, &r, &t, None).and_then(|s| BetaGeo::params().penalty(penalizer).max_iter(100).fit((&s, &(&w)[..]))), n) {
            prop_assert!([m.r(), m.alpha(), m.a(), m.b()].iter().all(|v| v.is_finite() && *v > 0.0));
        }
        if let Some(m) = ok_or_typed(patronage::CustomerSummary::from_columns(&f, &r, &t, None).and_then(|s| ParetoNbd::params().max_iter(100).fit((&s, &(&w)[..]))), n) {
            prop_assert!([m.r(), m.alpha(), m.s(), m.beta()].iter().all(|v| v.is_finite() && *v > 0.0));
        }
        if let Some(m) = ok_or_typed(patronage::CustomerSummary::from_columns(&x, &tx, &n_opp, None).and_then(|s| BetaGeoBetaBinom::params().penalty(penalizer).fit((&s, &(&w)[..]))), n) {
            prop_assert!([m.alpha(), m.beta(), m.gamma(), m.delta()].iter().all(|v| v.is_finite() && *v > 0.0));
        }
        if let Some(m) = ok_or_typed(patronage::CustomerSummary::from_columns(&f, &f, &f, Some(&w)).and_then(|s| GammaGamma::params().penalty(penalizer).fit(&s)), n) {
            prop_assert!([m.p(), m.q(), m.v()].iter().all(|v| v.is_finite() && *v > 0.0));
        }
    }
}

proptest! {
    #![proptest_config(hostile::config(128))]

    /// Partial summaries fed wild days and amounts (ignored when bad, as documented),
    /// merged with each other, finished under any observation end and period (valid
    /// time units here; see `partial_summary_with_a_bad_time_unit`).
    #[test]
    fn partial_summaries(purchases in prop::collection::vec((wild_day(), wild_f64()), 0..20), split in 0usize..20, end in wild_day(), period in prop_oneof![1u32..10, any::<u32>()], unit in 0.5f64..10.0) {
        check_partial_summaries(&purchases, split, end, period, unit)?;
    }

    #[test]
    fn simulation_with_huge_spend_params(p in prop_oneof![Just(f64::MAX), 1e300f64..1e308, 0.5f64..2.0], q in prop_oneof![0.5f64..10.0, Just(f64::MIN_POSITIVE), Just(1e-3)], v in 0.5f64..10.0, seed in any::<u64>()) {
        use patronage::simulate::Simulation;
        let sim = Simulation::new(2).purchase_process(0.1, 0.1, 0.1, 0.1).spend(p, q, v).seed(seed);
        if let Some(rows) = ok_or_typed(sim.transactions(), 2) {
            all_non_negative(&rows.iter().map(|t| t.amount).collect::<Vec<_>>(), "simulated amounts");
        }
    }

    #[test]
    fn partial_summary_with_a_bad_time_unit(purchases in prop::collection::vec((wild_day(), wild_f64()), 0..20), split in 0usize..20, end in wild_day(), period in prop_oneof![1u32..10, any::<u32>()], unit in wild_f64()) {
        check_partial_summaries(&purchases, split, end, period, unit)?;
    }


    /// Categorical attributes and group summaries crossed with RFM segments.
    #[test]
    fn attribute_groups(rows in valid_rows(30, 400), levels in prop::collection::vec((0u8..10, "[a-c]{0,2}"), 0..12), numeric in prop::collection::vec((0u8..10, mostly(-1e3f64..1e3)), 0..12)) {
        use patronage::profile::Attributes;
        use patronage::rfm::{RfmParams, SegmentMap};
        let log = log_of(&rows);
        let s = log.summarize(&SummaryParams::new(Day(400))).unwrap();
        let Some(attrs) = ok_or_typed(Attributes::for_log(&log).categorical("region", &log, &levels), levels.len()) else { return Ok(()) };
        let Some(attrs) = ok_or_typed(attrs.numeric("age", &log, &numeric), numeric.len()) else { return Ok(()) };
        for name in ["region", "age", "missing"] {
            if let Some(g) = ok_or_typed(attrs.group_summary(name, &s), s.len()) {
                prop_assert_eq!(g.iter().map(|r| r.customers).sum::<usize>(), s.len());
                for r in &g {
                    all_non_negative(&[r.revenue, r.orders_per_customer, r.average_order_value], "group");
                }
            }
        }
        let map = SegmentMap::rf_grid();
        let scores = RfmParams::default().score(&s, Day(400)).unwrap();
        let segments = map.assign(&scores);
        if let Some(g) = ok_or_typed(attrs.group_summary_by_segment("region", &s, &map, &segments), s.len()) {
            prop_assert_eq!(g.iter().map(|r| r.customers).sum::<usize>(), s.len());
        }
    }

    /// choose_k over any range of k on finite data.
    #[test]
    fn choose_k_any_range(x in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 2), 1..25), lo in mostly_usize(0usize..5), hi in mostly_usize(0usize..8), sample in mostly_usize(2usize..30)) {
        use patronage::segment::KMeans;
        use patronage::segment::quality::choose_k;
        let x = matrix(&x, 2);
        if hi > 30 { return Ok(()); } // k-means at each k: keep the range small
        if let Some(c) = ok_or_typed(choose_k(x.view(), lo..=hi, &KMeans::params(2).n_init(1).seed(3), sample), x.nrows()) {
            prop_assert!(c.rows.iter().any(|r| r.k == c.suggested));
            for r in &c.rows {
                prop_assert!(r.inertia.is_finite() && r.inertia >= 0.0);
                prop_assert!((-1.0..=1.0).contains(&r.silhouette), "{:?}", r);
            }
        }
    }

    /// Rolling-origin cross-validation with any horizon, step and start.
    #[test]
    fn cross_validate_any_args(values in prop::collection::vec(-1e3f64..1e3, 1..40), horizon in mostly_usize(1usize..5), step in mostly_usize(1usize..5), initial in mostly_usize(1usize..40)) {
        use patronage::forecast::{Series, metrics::cross_validate};
        use patronage::forecast::arima::Arima;
        let s = Series::new(&values, 1).unwrap();
        let cv = cross_validate(&s, horizon, step, initial, &Arima::params(0, 1, 0));
        if let Some(cv) = ok_or_typed(cv, values.len()) {
            prop_assert_eq!(cv.errors.len(), cv.origins.len());
            all_non_negative(&cv.mae.iter().copied().filter(|v| !v.is_nan()).collect::<Vec<_>>(), "cv mae");
            all_non_negative(&cv.rmse.iter().copied().filter(|v| !v.is_nan()).collect::<Vec<_>>(), "cv rmse");
        }
    }
}

// Huge values (up to f64::MAX) through the distance, scaling and metric kernels.
// Issue 15: the overflow fixes in segment/ and churn/logistic.rs are in progress; the
// tests that fail today are ignored with their minimal case.
proptest! {
    #![proptest_config(hostile::config(64))]

    #[test]
    fn kmeans_huge_values((x, _) in wild_matrix(12), k in 1usize..4) {
        use patronage::prelude::*;
        use patronage::segment::KMeans;
        if let Some(fit) = ok_or_typed(KMeans::params(k).n_init(2).fit(x.view()), x.nrows()) {
            all_finite(fit.centroids().as_slice().unwrap(), "centroids");
            prop_assert!(fit.inertia().is_finite(), "inertia {}", fit.inertia());
            // A distance beyond f64 is a typed error naming the row.
            if let Some(d) = ok_or_typed(fit.transform(x.view()), x.nrows()) {
                all_finite(d.as_slice().unwrap(), "distances");
            }
        }
    }

    #[test]
    fn standardizer_huge_values((x, _) in wild_matrix(12)) {
        use patronage::prelude::*;
        use patronage::segment::scale::Standardizer;
        if let Some(st) = ok_or_typed(Standardizer::params().fit(x.view()), x.nrows()) {
            all_finite(st.means(), "means");
            all_finite(st.scales(), "scales");
            let z = st.transform(x.view()).unwrap();
            all_finite(z.as_slice().unwrap(), "z");
        }
    }

    #[test]
    fn cluster_indices_huge_values(x in finite_matrix(12), labels in prop::collection::vec(0usize..3, 1..12)) {
        check_cluster_indices(x, &labels)?;
    }

    #[test]
    fn logistic_huge_values((x, _) in wild_matrix(16), y in prop::collection::vec(any::<bool>(), 16)) {
        use patronage::churn::LogisticRegression;
        use patronage::prelude::*;
        let n = x.nrows();
        let y = &y[..n];
        if let Some(fit) = ok_or_typed(LogisticRegression::params().max_iter(200).fit((x.view(), y)), n) {
            all_finite(fit.coefficients(), "coefficients");
            if let Some(p) = ok_or_typed(fit.predict_proba(x.view()), n) {
                all_probabilities(p.as_slice().unwrap(), "predict_proba");
            }
        }
    }

    #[test]
    fn forecast_metrics_huge_values(pairs in prop::collection::vec((finite_f64(), finite_f64()), 1..10), training in prop::collection::vec(finite_f64(), 2..10)) {
        use patronage::forecast::{Series, metrics};
        let train = Series::new(&training, 1).unwrap();
        if let Some(v) = ok_or_typed(metrics::mase_scale(&train), training.len()) {
            prop_assert!(v.is_finite() && v > 0.0, "mase_scale = {}", v);
        }
        let actual: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let forecast: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        for (name, r) in [
            ("mae", metrics::mae(&actual, &forecast)),
            ("rmse", metrics::rmse(&actual, &forecast)),
            ("smape", metrics::smape(&actual, &forecast)),
        ] {
            if let Some(v) = ok_or_typed(r, pairs.len()) {
                prop_assert!(v.is_finite() && v >= 0.0, "{} = {}", name, v);
            }
        }
    }
}

proptest! {
    #![proptest_config(hostile::config(64))]

    #[test]
    fn arima_huge_values(values in prop::collection::vec(finite_f64(), 1..20), p in 0usize..2, d in 0usize..2, q in 0usize..2, constant in any::<bool>()) {
        use patronage::forecast::{Series, arima::Arima};
        let s = Series::new(&values, 1).unwrap();
        if let Some(fit) = ok_or_typed(Arima::params(p, d, q).constant(constant).fit(&s), values.len()) {
            prop_assert!(fit.sigma2().is_finite(), "sigma2 {}", fit.sigma2());
            all_finite(fit.coefficients(), "coefficients");
            if let Some(f) = ok_or_typed(fit.forecast(3, &[0.95]), 3) {
                all_finite(&f.mean, "mean");
                all_finite(&f.intervals[0].lower, "lower");
                all_finite(&f.intervals[0].upper, "upper");
            }
        }
    }

    #[test]
    fn scaled_errors_of_tiny_denominators(pairs in prop::collection::vec((capped_f64(), capped_f64()), 1..10), training in prop::collection::vec(capped_f64().prop_map(|v| if v.is_finite() { v } else { 0.0 }), 2..10)) {
        use patronage::forecast::{Series, metrics};
        let actual: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let forecast: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        if let Some(v) = ok_or_typed(metrics::mape(&actual, &forecast), pairs.len()) {
            prop_assert!(v.is_finite() && v >= 0.0, "mape = {}", v);
        }
        let train = Series::new(&training, 1).unwrap();
        if let Some(v) = ok_or_typed(metrics::mase(&actual, &forecast, &train), pairs.len()) {
            prop_assert!(v.is_finite() && v >= 0.0, "mase = {}", v);
        }
    }
}

// Moderate values: only the data's shape (coincident centroids, no spread) matters.
proptest! {
    #![proptest_config(hostile::config(96))]

    #[test]
    fn cluster_indices_are_finite(x in prop::collection::vec(prop::collection::vec(-3i8..3, 1), 1..12), labels in prop::collection::vec(0usize..3, 1..12)) {
        let x: Vec<Vec<f64>> = x.iter().map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect();
        check_cluster_indices(matrix(&x, 1), &labels)?;
    }
}

/// Positive values into [0.1, 1e6] (zero, negative and non-finite ones stay): spend
/// parameters that huge or tiny overflow a simulated amount (see
/// `simulation_with_huge_spend_params`).
fn at_most_1e6(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v.clamp(0.1, 1e6)
    } else {
        v
    }
}

fn check_partial_summaries(
    purchases: &[(Day, f64)],
    split: usize,
    end: Day,
    period: u32,
    unit: f64,
) -> Result<(), TestCaseError> {
    use patronage::summary::PartialSummary;
    let params = SummaryParams::new(end)
        .period_days(period)
        .time_unit_days(unit);
    let (mut a, mut b) = (PartialSummary::default(), PartialSummary::default());
    for (i, &(day, amount)) in purchases.iter().enumerate() {
        if i < split {
            a.update(&params, day, amount)
        } else {
            b.update(&params, day, amount)
        }
    }
    a.merge(&b);
    if let Some(row) = ok_or_typed(a.finish(&params), 1).flatten() {
        all_non_negative(
            &[
                row.frequency,
                row.recency,
                row.age,
                row.monetary_value,
                row.total_spend,
            ],
            "partial summary row",
        );
        prop_assert!(row.recency <= row.age, "{:?}", row);
    }
    let _ = ok_or_typed(
        CustomerSummary::from_partials([(0, &a), (1, &b)], &params),
        2,
    );
    Ok(())
}

fn check_cluster_indices(x: Array2<f64>, labels: &[usize]) -> Result<(), TestCaseError> {
    use patronage::segment::quality::{calinski_harabasz, davies_bouldin, silhouette};
    let n = x.nrows().min(labels.len());
    let x = x.slice(ndarray::s![..n, ..]).to_owned();
    let labels = &labels[..n];
    if let Some(v) = ok_or_typed(silhouette(x.view(), labels), n) {
        prop_assert!((-1.0..=1.0).contains(&v), "silhouette {}", v);
    }
    if let Some(v) = ok_or_typed(davies_bouldin(x.view(), labels), n) {
        prop_assert!(v.is_finite() && v >= 0.0, "davies_bouldin {}", v);
    }
    if let Some(v) = ok_or_typed(calinski_harabasz(x.view(), labels), n) {
        prop_assert!(v.is_finite() && v >= 0.0, "calinski_harabasz {}", v);
    }
    Ok(())
}
