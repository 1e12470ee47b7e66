//! The 0.2 model contract across the crate: every model fits through `Fit`, reports one
//! `FitReport`, takes its optimizer settings the same way (and rejects bad ones), and the
//! purchase models, BG/BB included, work through one trait; typed horizons and the
//! summary's time unit replace hand conversions.

mod common;

use patronage::clv::value::{Valuation, lifetime_value};
use patronage::clv::{
    BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNbd, expected_purchases,
    probability_alive,
};
use patronage::forecast::Series;
use patronage::forecast::ets::Ets;
use patronage::prelude::*;
use patronage::{CustomerSummary, Day, Error, FitReport, Horizon, SummaryParams, TransactionLog};

fn invalid<T: std::fmt::Debug>(r: patronage::Result<T>, name: &str) {
    match r {
        Err(Error::InvalidParameter { name: n, .. }) if n == name => {}
        other => panic!("expected InvalidParameter {{ name: {name:?} }}, got {other:?}"),
    }
}

/// Anything generic over the purchase-model trait: the expected purchases in a quarter and
/// the CLV, of the first customer and in total, through the same code for every model.
fn value_first<M: PurchaseModel + FittedModel + Sync>(
    model: &M,
    spend: &GammaGamma,
    s: &CustomerSummary,
) -> (f64, f64, f64, f64) {
    let e = expected_purchases(model, s, Horizon::months(3.0)).unwrap();
    let clv = lifetime_value(model, spend, s, 12, 0.01).unwrap();
    assert!(
        probability_alive(model, s)
            .unwrap()
            .iter()
            .all(|p| (0.0..=1.0).contains(p))
    );
    let report = model.report();
    assert!(report.converged && report.aicc >= report.aic);
    assert_eq!(model.parameters().len(), report.n_params);
    (e[0], clv[0], e.iter().sum(), clv.iter().sum())
}

/// All four purchase models run through one generic function; BG/BB on the CDNOW log
/// summarized in weekly opportunities (whole numbers), the others on day resolution in
/// weeks. The CLV of BG/BB equals the discounted sum of its own conditional
/// expectations at the monthly grid in weeks (4.348 opportunities a month).
#[test]
fn every_purchase_model_through_one_trait() {
    let log = TransactionLog::new(&common::cdnow_rows()).unwrap();
    let end = Day::from_ymd(1997, 9, 30).unwrap();
    let weeks = log
        .summarize(&SummaryParams::new(end).time_unit_days(7.0))
        .unwrap();
    let opportunities = log
        .summarize(&SummaryParams::new(end).period_days(7))
        .unwrap();
    assert_eq!(opportunities.time_unit_days(), 7.0);
    let spend = GammaGamma::params().fit(&weeks).unwrap();
    let spend_weekly = GammaGamma::params().fit(&opportunities).unwrap();
    let bg = value_first(&BetaGeo::params().fit(&weeks).unwrap(), &spend, &weeks);
    let mbg = value_first(
        &ModifiedBetaGeo::params().fit(&weeks).unwrap(),
        &spend,
        &weeks,
    );
    let pn = value_first(&ParetoNbd::params().fit(&weeks).unwrap(), &spend, &weeks);
    let bgbb_model = BetaGeoBetaBinom::params().fit(&opportunities).unwrap();
    let bgbb = value_first(&bgbb_model, &spend_weekly, &opportunities);
    // The continuous models agree with each other in total to within a few percent on
    // CDNOW (630 purchases in the next quarter, $71.5k by BG/NBD), BG/BB (weekly
    // opportunities: 579, $71.3k) to within 15%.
    for (_, _, e, v) in [mbg, pn, bgbb] {
        assert!((e / bg.2 - 1.0).abs() < 0.15, "{e} vs {}", bg.2);
        assert!((v / bg.3 - 1.0).abs() < 0.15, "{v} vs {}", bg.3);
    }
    // BG/BB's CLV by hand.
    let (x, tx, n, m) = (
        opportunities.frequency()[0],
        opportunities.recency()[0],
        opportunities.age()[0],
        opportunities.monetary_value()[0],
    );
    let per_month = Horizon::DAYS_PER_MONTH / 7.0;
    let e_spend = spend_weekly.conditional_expected_spend(x, m).unwrap();
    let (mut by_hand, mut prev) = (0.0, 0.0);
    for i in 1..=12 {
        let e = bgbb_model
            .conditional_expected_purchases(per_month * f64::from(i), x, tx, n)
            .unwrap();
        by_hand += e_spend * (e - prev) / 1.01f64.powi(i);
        prev = e;
    }
    assert!(
        (bgbb.1 - by_hand).abs() <= 1e-10 * by_hand.max(1.0),
        "{} vs {by_hand}",
        bgbb.1
    );
    // A summary that does not count opportunities is BG/BB's error, not a number.
    assert!(matches!(
        lifetime_value(&bgbb_model, &spend, &weeks, 12, 0.01),
        Err(Error::InvalidValue { .. })
    ));
}

/// The same horizon gives the same expectation whatever unit the summary is in.
#[test]
fn horizons_follow_the_summary_unit() {
    let m = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    let weeks = CustomerSummary::from_columns(&[2.0], &[30.43], &[38.86], None)
        .unwrap()
        .with_time_unit_days(7.0)
        .unwrap();
    let e = expected_purchases(&m, &weeks, Horizon::weeks(39.0)).unwrap()[0];
    assert!(
        (e - m
            .conditional_expected_purchases(39.0, 2.0, 30.43, 38.86)
            .unwrap())
        .abs()
            < 1e-12
    );
    assert!((e - 1.2259).abs() < 1e-3, "{e}");
    // The same customer in days, under the model rescaled to days (alpha * 7).
    let days = CustomerSummary::from_columns(&[2.0], &[30.43 * 7.0], &[38.86 * 7.0], None).unwrap();
    let m_days = BetaGeo::from_params(0.243, 4.414 * 7.0, 0.793, 2.426).unwrap();
    let e_days = expected_purchases(&m_days, &days, Horizon::weeks(39.0)).unwrap()[0];
    assert!((e - e_days).abs() < 1e-9, "{e} vs {e_days}");
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        invalid(
            expected_purchases(&m, &weeks, Horizon::days(bad)),
            "horizon",
        );
        invalid(
            Valuation::continuous(Horizon::days(bad), 0.1, 10).value(
                &m,
                &GammaGamma::from_params(6.25, 3.74, 15.44).unwrap(),
                &weeks,
            ),
            "horizon",
        );
    }
    for bad in [0.0, -7.0, f64::NAN, f64::INFINITY] {
        invalid(weeks.clone().with_time_unit_days(bad), "time_unit_days");
    }
}

/// Every model that optimizes takes max_iter, tol and (where it has one) penalty the
/// same way, and rejects bad values naming them, before any work.
#[test]
fn optimizer_settings_are_checked_everywhere() {
    let s = common::cdnow_csv();
    let y: Vec<f64> = (0..48)
        .map(|t| 100.0 + t as f64 + [3.0, -2.0, 1.0][t % 3])
        .collect();
    let series = Series::new(&y, 1).unwrap();
    let x = patronage::ndarray::Array2::from_shape_fn((40, 1), |(i, _)| i as f64);
    let labels: Vec<bool> = (0..40).map(|i| (i * 7) % 11 > 5).collect();
    for (name, max_iter, tol, penalty) in [
        ("max_iter", 0, 1e-8, 0.0),
        ("tol", 10, f64::NAN, 0.0),
        ("tol", 10, 0.0, 0.0),
        ("tol", 10, -1.0, 0.0),
        ("penalty", 10, 1e-8, -1.0),
        ("penalty", 10, 1e-8, f64::NAN),
        ("penalty", 10, 1e-8, f64::INFINITY),
    ] {
        invalid(
            BetaGeo::params()
                .max_iter(max_iter)
                .tol(tol)
                .penalty(penalty)
                .fit(&s),
            name,
        );
        invalid(
            ParetoNbd::params()
                .max_iter(max_iter)
                .tol(tol)
                .penalty(penalty)
                .fit(&s),
            name,
        );
        invalid(
            ModifiedBetaGeo::params()
                .max_iter(max_iter)
                .tol(tol)
                .penalty(penalty)
                .fit(&s),
            name,
        );
        invalid(
            GammaGamma::params()
                .max_iter(max_iter)
                .tol(tol)
                .penalty(penalty)
                .fit(&s),
            name,
        );
        invalid(
            patronage::churn::LogisticRegression::params()
                .max_iter(max_iter)
                .tol(tol)
                .penalty(penalty)
                .fit((x.view(), &labels)),
            name,
        );
        if name != "penalty" {
            invalid(
                Ets::holt(false).max_iter(max_iter).tol(tol).fit(&series),
                name,
            );
        }
    }
}

/// A saved report is consistent with its model: a count of parameters or observations
/// or a criterion edited by hand is refused on load; 0.1 reports gain the new fields.
#[cfg(feature = "serde")]
#[test]
fn saved_reports_are_checked() {
    let s = common::cdnow_csv();
    let fitted = BetaGeo::params().fit(&s).unwrap();
    let json = serde_json::to_value(&fitted).unwrap();
    for (field, value) in [
        ("n_params", serde_json::json!(3)),
        ("n_obs", serde_json::json!(-1.0)),
        ("aicc", serde_json::json!(1.0)),
        ("bic", serde_json::json!(1.0)),
    ] {
        let mut edited = json.clone();
        edited["report"][field] = value;
        let err = serde_json::from_value::<BetaGeo>(edited)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("report.{field}")), "{field}: {err}");
    }
    // As 0.1 wrote it: log-likelihood, AIC, BIC, standard errors and iterations.
    let mut old = json.clone();
    let report = old["report"].as_object_mut().unwrap();
    for gone in ["n_params", "n_obs", "aicc", "converged"] {
        report.remove(gone);
    }
    let loaded: BetaGeo = serde_json::from_value(old).unwrap();
    let (a, b): (&FitReport, &FitReport) = (loaded.report(), fitted.report());
    assert_eq!((a.n_params, a.converged), (b.n_params, b.converged));
    assert!(
        (a.n_obs - b.n_obs).abs() < 1e-6 * b.n_obs,
        "{} vs {}",
        a.n_obs,
        b.n_obs
    );
    assert!((a.aicc - b.aicc).abs() < 1e-9 * b.aicc.abs());
}

/// Named parameters with standard errors, one list per model, in the model's order.
#[test]
fn parameters_are_named() {
    let s = common::cdnow_csv();
    let bg = BetaGeo::params().fit(&s).unwrap();
    let names: Vec<String> = bg.parameters().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["r", "alpha", "a", "b"]);
    assert!(
        bg.parameters()
            .iter()
            .all(|p| p.standard_error.is_some_and(|se| se > 0.0))
    );
    let gg = GammaGamma::params().fit(&s).unwrap();
    assert_eq!(gg.parameter_values(), vec![gg.p(), gg.q(), gg.v()]);
    let published = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    assert!(!published.report().converged && published.parameters()[0].standard_error.is_none());
}

/// Fitted models and their params are plain values: cloned, printed, shared across
/// threads (and, with serde, saved).
#[test]
fn models_are_clone_debug_send_sync() {
    fn plain<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    use patronage::churn::{LogisticRegression, LogisticRegressionParams};
    use patronage::clv::{BetaGeoBetaBinomParams, BetaGeoParams, GammaGammaParams};
    use patronage::clv::{ModifiedBetaGeoParams, ParetoNbdParams};
    use patronage::forecast::arima::{Arima, AutoArima, FittedArima};
    use patronage::forecast::ets::{AutoEts, FittedEts};
    use patronage::segment::scale::{Standardizer, StandardizerParams};
    use patronage::segment::{FittedKMeans, KMeans};
    use patronage::survival::{KaplanMeier, KaplanMeierParams};
    plain::<BetaGeo>();
    plain::<BetaGeoParams>();
    plain::<ModifiedBetaGeo>();
    plain::<ModifiedBetaGeoParams>();
    plain::<ParetoNbd>();
    plain::<ParetoNbdParams>();
    plain::<BetaGeoBetaBinom>();
    plain::<BetaGeoBetaBinomParams>();
    plain::<GammaGamma>();
    plain::<GammaGammaParams>();
    plain::<LogisticRegression>();
    plain::<LogisticRegressionParams>();
    plain::<FittedKMeans>();
    plain::<KMeans>();
    plain::<Standardizer>();
    plain::<StandardizerParams>();
    plain::<KaplanMeier>();
    plain::<KaplanMeierParams>();
    plain::<FittedEts>();
    plain::<Ets>();
    plain::<AutoEts>();
    plain::<FittedArima>();
    plain::<Arima>();
    plain::<AutoArima>();
    plain::<FitReport>();
    plain::<Horizon>();
    plain::<patronage::Optimizer>();
    #[cfg(feature = "serde")]
    {
        fn saved<T: serde::Serialize + serde::de::DeserializeOwned>() {}
        saved::<BetaGeo>();
        saved::<BetaGeoBetaBinom>();
        saved::<GammaGamma>();
        saved::<LogisticRegression>();
        saved::<FittedKMeans>();
        saved::<Standardizer>();
        saved::<KaplanMeier>();
        saved::<FittedEts>();
        saved::<FittedArima>();
        saved::<FitReport>();
    }
}

/// One `Period` for series and cohorts, with a configurable first day of the week:
/// Saturday 1970-01-03 and Sunday 1970-01-04 share an ISO week but not a Sunday week.
#[test]
fn weeks_can_start_on_any_day() {
    use patronage::Period;
    use patronage::forecast::series::revenue;
    use patronage::period::Weekday;
    let t = |d: i32| patronage::Transaction {
        customer: 1u8,
        day: Day(d),
        amount: 10.0,
    };
    let log = TransactionLog::new(&[t(2), t(3)]).unwrap();
    assert_eq!(revenue(&log, Period::Week).unwrap().values(), &[20.0]);
    let sunday = Period::WeekStarting(Weekday::Sunday);
    assert_eq!(revenue(&log, sunday).unwrap().values(), &[10.0, 10.0]);
    let cohorts = patronage::cohort::retention(&log, sunday).unwrap();
    assert_eq!(cohorts.average_rates().len(), 2);
}

/// Out-of-fold probabilities through any classifier's params: every row is predicted by
/// a model that did not see it; bad shapes and fold counts are typed errors.
#[test]
fn cross_val_predict_is_out_of_fold() {
    use patronage::churn::LogisticRegression;
    use patronage::churn::metrics::{cross_val_predict, roc_auc};
    let x = patronage::ndarray::Array2::from_shape_fn((300, 2), |(i, j)| {
        ((i * (j + 3)) % 17) as f64 - 8.0
    });
    // Noisy labels (a pseudo-random flip per row), so the classes overlap.
    let y: Vec<bool> = (0..300)
        .map(|i| (x[[i, 0]] + 0.5 * x[[i, 1]] > 0.0) != ((i * 7919) % 10 < 2))
        .collect();
    let params = LogisticRegression::params();
    let p = cross_val_predict(&params, x.view(), &y, 5, 3).unwrap();
    let in_sample = params
        .fit((x.view(), &y))
        .unwrap()
        .predict_proba(x.view())
        .unwrap();
    assert_eq!(p.len(), 300);
    assert!(p.iter().zip(&in_sample).any(|(a, b)| (a - b).abs() > 1e-6));
    assert!(roc_auc(&y, &p).unwrap() > 0.7);
    assert_eq!(p, cross_val_predict(&params, x.view(), &y, 5, 3).unwrap());
    assert!(matches!(
        cross_val_predict(&params, x.view(), &y[..299], 5, 3),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        cross_val_predict(&params, x.view(), &y, 1, 3),
        Err(Error::InvalidParameter { name: "folds", .. })
    ));
    assert!(matches!(
        cross_val_predict(&params, x.view(), &y, usize::MAX, 3),
        Err(Error::InvalidParameter { name: "folds", .. })
    ));
}

/// A saved summary carries its time unit, checked as it loads.
#[cfg(feature = "serde")]
#[test]
fn saved_summary_time_unit_is_checked() {
    let s = common::cdnow_csv();
    let json = serde_json::to_value(&s).unwrap();
    let back: CustomerSummary = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.time_unit_days(), 7.0);
    for bad in [
        serde_json::json!(0.0),
        serde_json::json!(-7.0),
        serde_json::json!(1e-320),
    ] {
        let mut edited = json.clone();
        edited["time_unit_days"] = bad.clone();
        let err = serde_json::from_value::<CustomerSummary>(edited)
            .unwrap_err()
            .to_string();
        assert!(err.contains("time_unit_days"), "{bad}: {err}");
    }
    // A missing or null unit (a 0.1 file) is refused, not read as days.
    let mut missing = json.clone();
    missing.as_object_mut().unwrap().remove("time_unit_days");
    assert!(serde_json::from_value::<CustomerSummary>(missing).is_err());
    let mut null = json;
    null["time_unit_days"] = serde_json::Value::Null;
    assert!(serde_json::from_value::<CustomerSummary>(null).is_err());
}
