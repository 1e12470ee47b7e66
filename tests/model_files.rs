//! Issue 15, class 5: fitted models read from files (ARIMA, ETS, k-means, the
//! standardizer, logistic regression) are checked, not trusted.
//!
//! Each model round-trips through JSON bit for bit (the same value, the same JSON, the
//! same forecasts), including an ARIMA on a short series whose AICc is infinite; a
//! hand-edited file that breaks an invariant the prediction code relies on is an error
//! at load time that names the field.
#![cfg(feature = "serde")]

use patronage::forecast::Series;
use patronage::forecast::arima::{Arima, FittedArima};
use patronage::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

mod common;
use common::air_passengers;

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Writes, reads and writes again: the two texts agree and the value is unchanged.
fn round_trip<T: Serialize + DeserializeOwned>(model: &T) -> T {
    let json = serde_json::to_string(model).unwrap();
    let back: T = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("a model just written does not load: {e}\n{json}"));
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    back
}

/// The model's JSON with `edit` applied, read back.
fn tampered<T: Serialize + DeserializeOwned>(
    model: &T,
    edit: impl FnOnce(&mut Value),
) -> Result<T, serde_json::Error> {
    let mut v = serde_json::to_value(model).unwrap();
    edit(&mut v);
    serde_json::from_value(v)
}

/// A tampered model must fail to load, naming `field` in the message.
fn rejects<T: Serialize + DeserializeOwned>(model: &T, field: &str, edit: impl FnOnce(&mut Value)) {
    match tampered(model, edit) {
        Ok(_) => panic!("a model with a bad {field} loaded"),
        Err(e) => assert!(
            e.to_string().contains(field),
            "the error for a bad {field} does not name it: {e}"
        ),
    }
}

fn same_forecasts(a: &patronage::forecast::Forecast, b: &patronage::forecast::Forecast) {
    assert_eq!(bits(&a.mean), bits(&b.mean));
    for (x, y) in a.intervals.iter().zip(&b.intervals) {
        assert_eq!(bits(&x.lower), bits(&y.lower));
        assert_eq!(bits(&x.upper), bits(&y.upper));
    }
}

// ---------------------------------------------------------------------------------------
// ARIMA

fn airline() -> FittedArima {
    let y = air_passengers().ln().unwrap();
    Arima::params(1, 1, 1).seasonal(0, 1, 1).fit(&y).unwrap()
}

fn short_arima() -> FittedArima {
    // Four observations, one MA coefficient after a difference: n_used = 3 = k + 1,
    // so AICc is infinite (serde_json used to write it as null and fail to read it).
    let s = Series::new(&[1.0, 3.0, 2.0, 4.0], 1).unwrap();
    let fit = Arima::params(0, 1, 1).fit(&s).unwrap();
    assert!(fit.report().aicc.is_infinite());
    fit
}

#[test]
fn arima_round_trips_bit_for_bit() {
    let y = air_passengers().ln().unwrap();
    let drift = Arima::params(1, 1, 0).constant(true).fit(&y).unwrap();
    assert!(drift.drift().is_some());
    let css = Arima::params(2, 0, 0)
        .constant(true)
        .method(patronage::forecast::arima::Method::Css)
        .fit(&y)
        .unwrap();
    let auto = Arima::auto().fit(&y).unwrap();
    for fit in [airline(), short_arima(), drift, css, auto] {
        let back = round_trip(&fit);
        assert_eq!(back, fit);
        assert_eq!(back.report().aicc.to_bits(), fit.report().aicc.to_bits());
        same_forecasts(
            &back.forecast(12, &[0.8, 0.95]).unwrap(),
            &fit.forecast(12, &[0.8, 0.95]).unwrap(),
        );
    }
}

#[test]
fn arima_nan_standard_errors_round_trip_bit_for_bit() {
    // A singular Hessian leaves NaN standard errors: written as strings, read back
    // with the same bits (sign and payload included).
    let fit = airline();
    let weird = f64::from_bits(0x7ff0_0000_0000_0001);
    let back: FittedArima = tampered(&fit, |v| {
        v["std_errors"] = json!(["NaN", "-NaN", 0.25]);
        v["covariance"][1] = json!(format!("NaN:{:#018x}", weird.to_bits()));
    })
    .unwrap();
    assert_eq!(back.std_errors()[0].to_bits(), f64::NAN.to_bits());
    assert_eq!(back.std_errors()[1].to_bits(), (-f64::NAN).to_bits());
    assert_eq!(back.covariance()[1].to_bits(), weird.to_bits());
    let again = round_trip(&back);
    assert_eq!(bits(again.std_errors()), bits(back.std_errors()));
    assert_eq!(bits(again.covariance()), bits(back.covariance()));
}

#[test]
fn arima_files_from_earlier_versions_still_load() {
    // Written before the change: the short model's AICc as null (read as NaN).
    let fit = airline();
    let mut v = serde_json::to_value(&fit).unwrap();
    let plain = serde_json::to_string(&v).unwrap();
    assert_eq!(serde_json::from_str::<FittedArima>(&plain).unwrap(), fit);
    // Version 0.1 wrote `criteria` (log-likelihood, AIC, AICc, BIC) where 0.2 writes a
    // fit report: the report is rebuilt from its log-likelihood, the AICc computed
    // again (0.1 could write it as null), the standard errors from the file's.
    let report = v.as_object_mut().unwrap().remove("report").unwrap();
    v["criteria"] = json!({
        "log_likelihood": report["log_likelihood"],
        "aic": report["aic"],
        "aicc": Value::Null,
        "bic": report["bic"],
    });
    let back: FittedArima = serde_json::from_value(v).unwrap();
    let (old, new) = (back.report(), fit.report());
    assert_eq!(old.log_likelihood, new.log_likelihood);
    assert_eq!((old.aic, old.aicc, old.bic), (new.aic, new.aicc, new.bic));
    assert_eq!((old.n_params, old.n_obs), (new.n_params, new.n_obs));
    assert_eq!(old.standard_errors, new.standard_errors);
    assert_eq!(
        back.forecast(3, &[0.9]).unwrap(),
        fit.forecast(3, &[0.9]).unwrap()
    );
}

#[test]
fn tampered_arima_files_are_load_errors() {
    let fit = airline();
    rejects(&fit, "state", |v| {
        v["state"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "state", |v| v["state"] = json!([]));
    rejects(&fit, "state_cov", |v| {
        v["state_cov"].as_array_mut().unwrap().truncate(3);
    });
    rejects(&fit, "tail", |v| {
        v["tail"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "delta", |v| v["delta"][0] = json!(7.0));
    rejects(&fit, "phi", |v| v["phi"] = json!([]));
    rejects(&fit, "theta", |v| {
        v["theta"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "std_errors", |v| {
        v["std_errors"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "std_errors", |v| v["std_errors"][0] = json!(-1.0));
    rejects(&fit, "covariance", |v| {
        v["covariance"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "coef", |v| {
        v["coef"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "names", |v| v["names"][0] = json!("ar9"));
    rejects(&fit, "residual_variance", |v| {
        v["residual_variance"] = json!(-1.0)
    });
    rejects(&fit, "sigma2", |v| v["sigma2"] = json!(-0.5));
    rejects(&fit, "order.period", |v| v["order"]["period"] = json!(0));
    rejects(&fit, "order.period", |v| v["order"]["period"] = json!(1));
    rejects(&fit, "order.period", |v| {
        v["order"]["period"] = json!(u64::MAX)
    });
    rejects(&fit, "order.p", |v| v["order"]["p"] = json!(1_000_000));
    rejects(&fit, "residuals", |v| {
        v["residuals"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "n_used", |v| v["n_used"] = json!(10_000));
    rejects(&fit, "constant", |v| v["constant"] = json!("Mean"));
}

// ---------------------------------------------------------------------------------------
// ETS

use patronage::forecast::ets::{
    ErrorType::{Additive as EA, Multiplicative as EM},
    Ets, EtsSpec, FittedEts,
    SeasonType::{Additive as SA, Multiplicative as SM, None as SN},
    TrendType::{Additive as TA, Damped as TD, None as TN},
};

fn ets(spec: EtsSpec) -> FittedEts {
    Ets::params(spec).fit(&air_passengers()).unwrap()
}

#[test]
fn ets_round_trips_bit_for_bit() {
    for spec in [
        EtsSpec::new(EA, TN, SN),
        EtsSpec::new(EA, TA, SA),
        EtsSpec::new(EM, TD, SM),
        EtsSpec::new(EA, TN, SM),
    ] {
        let fit = ets(spec);
        let back = round_trip(&fit);
        assert_eq!(back, fit);
        same_forecasts(
            &back.forecast(12, &[0.8, 0.95]).unwrap(),
            &fit.forecast(12, &[0.8, 0.95]).unwrap(),
        );
    }
}

#[test]
fn tampered_ets_files_are_load_errors() {
    let fit = ets(EtsSpec::new(EM, TD, SM));
    rejects(&fit, "last_state", |v| {
        v["last_state"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "last_state", |v| v["last_state"] = json!([]));
    rejects(&fit, "initial_state", |v| {
        v["initial_state"].as_array_mut().unwrap().truncate(2);
    });
    rejects(&fit, "m", |v| v["m"] = json!(0));
    rejects(&fit, "m", |v| v["m"] = json!(1));
    // A season length that no longer matches the states.
    rejects(&fit, "state", |v| v["m"] = json!(4));
    rejects(&fit, "alpha", |v| v["alpha"] = json!(-0.5));
    rejects(&fit, "alpha", |v| v["alpha"] = json!(3.0));
    rejects(&fit, "gamma", |v| v["gamma"] = Value::Null);
    rejects(&fit, "phi", |v| v["phi"] = json!(-1.0));
    rejects(&fit, "phi", |v| v["phi"] = json!(0.0));
    rejects(&fit, "sigma2", |v| v["sigma2"] = json!(-1e-3));
    rejects(&fit, "residuals", |v| {
        v["residuals"].as_array_mut().unwrap().pop();
    });
    let simple = ets(EtsSpec::new(EA, TN, SN));
    rejects(&simple, "beta", |v| v["beta"] = json!(0.1));
    rejects(&simple, "last_state", |v| {
        v["last_state"].as_array_mut().unwrap().push(json!(1.0));
    });
    rejects(&simple, "m", |v| v["m"] = json!(0));
}

// ---------------------------------------------------------------------------------------
// k-means and the standardizer

use ndarray::Array2;
use patronage::segment::scale::Standardizer;
use patronage::segment::{FittedKMeans, KMeans};

fn blobs() -> Array2<f64> {
    Array2::from_shape_fn((60, 3), |(i, j)| {
        let c = (i % 3) as f64 * 10.0;
        c + ((i * 7 + j * 13) % 11) as f64 * 0.37 - j as f64
    })
}

#[test]
fn kmeans_and_standardizer_round_trip_bit_for_bit() {
    let x = blobs();
    let scaler = Standardizer::params().fit(x.view()).unwrap();
    let back = round_trip(&scaler);
    assert_eq!(back, scaler);
    let z = scaler.transform(x.view()).unwrap();
    assert_eq!(
        back.transform(x.view()).unwrap().map(|v| v.to_bits()),
        z.map(|v| v.to_bits())
    );
    let km = KMeans::params(3).seed(7).fit(z.view()).unwrap();
    let back = round_trip(&km);
    assert_eq!(back, km);
    assert_eq!(
        back.predict(z.view()).unwrap(),
        km.predict(z.view()).unwrap()
    );
    assert_eq!(
        back.transform(z.view()).unwrap().map(|v| v.to_bits()),
        km.transform(z.view()).unwrap().map(|v| v.to_bits())
    );
}

#[test]
fn tampered_kmeans_and_standardizer_files_are_load_errors() {
    let x = blobs();
    let km: FittedKMeans = KMeans::params(3).seed(7).fit(x.view()).unwrap();
    rejects(&km, "labels", |v| v["labels"][5] = json!(3));
    rejects(&km, "centroids", |v| {
        v["centroids"] = json!({"v": 1, "dim": [0, 3], "data": []})
    });
    rejects(&km, "centroids", |v| {
        v["centroids"] = json!({"v": 1, "dim": [3, 0], "data": []})
    });
    rejects(&km, "inertia", |v| v["inertia"] = json!(-1.0));
    // Centroids and their shape disagreeing is refused by ndarray itself.
    assert!(
        tampered(&km, |v| {
            v["centroids"]["data"].as_array_mut().unwrap().pop();
        })
        .is_err()
    );

    let scaler = Standardizer::params().fit(x.view()).unwrap();
    rejects(&scaler, "scales", |v| {
        v["scales"].as_array_mut().unwrap().pop();
    });
    rejects(&scaler, "scales", |v| v["scales"][1] = json!(0.0));
    rejects(&scaler, "scales", |v| v["scales"][0] = json!(-2.0));
}

// ---------------------------------------------------------------------------------------
// Logistic regression

use patronage::churn::LogisticRegression;

fn churn_data() -> (Array2<f64>, Vec<bool>) {
    let x = Array2::from_shape_fn((80, 2), |(i, j)| {
        ((i * 31 + j * 17) % 23) as f64 / 7.0 - 1.5 + j as f64 * 0.3
    });
    let y = (0..80)
        .map(|i| {
            let z = 1.2 * x[[i, 0]] - 0.8 * x[[i, 1]] + 0.2;
            z + ((i * 13) % 7) as f64 / 3.0 - 1.0 > 0.0
        })
        .collect();
    (x, y)
}

fn logistic() -> LogisticRegression {
    let (x, y) = churn_data();
    LogisticRegression::params()
        .feature_names(&["recency", "frequency"])
        .fit((x.view(), &y))
        .unwrap()
}

#[test]
fn logistic_round_trips_bit_for_bit() {
    let (x, _) = churn_data();
    let fit = logistic();
    assert!(fit.report().standard_errors.is_some());
    let back = round_trip(&fit);
    assert_eq!(back, fit);
    assert_eq!(
        back.predict_proba(x.view()).unwrap().map(|v| v.to_bits()),
        fit.predict_proba(x.view()).unwrap().map(|v| v.to_bits())
    );
    assert_eq!(back.summary(), fit.summary());
    assert_eq!(back.report(), fit.report());

    // Penalized, without an intercept: no standard errors.
    let (x, y) = churn_data();
    let ridge = LogisticRegression::params()
        .penalty(1.0 / (2.0 * 0.5 * 80.0)) // scikit-learn's C = 0.5 on 80 rows
        .fit_intercept(false)
        .fit((x.view(), &y))
        .unwrap();
    assert!(ridge.report().standard_errors.is_none());
    assert_eq!(round_trip(&ridge), ridge);
}

#[test]
fn tampered_logistic_files_are_load_errors() {
    let fit = logistic();
    rejects(&fit, "report.standard_errors", |v| {
        v["report"]["standard_errors"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "report.standard_errors", |v| {
        v["report"]["standard_errors"][0] = json!(-1.0)
    });
    rejects(&fit, "report.log_likelihood", |v| {
        v["report"]["log_likelihood"] = json!("NaN")
    });
    rejects(&fit, "report.aic", |v| v["report"]["aic"] = json!(1.0));
    rejects(&fit, "report.n_obs", |v| v["report"]["n_obs"] = json!(0.0));
    // The empty report of an unfitted model: a logistic regression is always fitted.
    rejects(&fit, "report", |v| {
        v["report"] = serde_json::to_value(patronage::model::FitReport::default()).unwrap()
    });
    rejects(&fit, "feature_names", |v| {
        v["feature_names"].as_array_mut().unwrap().pop();
    });
    rejects(&fit, "report.n_params", |v| {
        v["coefficients"].as_array_mut().unwrap().push(json!(0.5));
        v["feature_names"]
            .as_array_mut()
            .unwrap()
            .push(json!("monetary"));
    });
    rejects(&fit, "intercept", |v| v["fit_intercept"] = json!(false));
}
