//! Intermittent-demand forecasters against statsforecast 2.1.1 (values and script in
//! tests/data/forecast_depth/), and their error paths.

use patronage::Error;
use patronage::forecast::intermittent::{Intermittent, MAX_IN_SAMPLE, Method};
use patronage::forecast::{MAX_HORIZON, Series};
use patronage::prelude::*;
use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/forecast_depth/");

fn read(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{DIR}{name}")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn series() -> BTreeMap<String, Vec<f64>> {
    let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in read("intermittent_series.csv") {
        out.entry(row[0].clone())
            .or_default()
            .push(row[2].parse().unwrap());
    }
    out
}

type Reference = BTreeMap<(String, String, String), Vec<f64>>;

fn reference() -> Reference {
    let mut out: Reference = BTreeMap::new();
    for row in read("intermittent_reference.csv") {
        let v: f64 = if row[4] == "nan" {
            f64::NAN
        } else {
            row[4].parse().unwrap()
        };
        out.entry((row[0].clone(), row[1].clone(), row[2].clone()))
            .or_default()
            .push(v);
    }
    out
}

fn params(model: &str) -> Intermittent {
    match model {
        "CrostonClassic" => Intermittent::croston(),
        "CrostonSBA" => Intermittent::sba(),
        "CrostonOptimized" => Intermittent::croston_optimized(),
        "TSB_0.2_0.1" => Intermittent::tsb(0.2, 0.1),
        "TSB_0.5_0.05" => Intermittent::tsb(0.5, 0.05),
        "ADIDA" => Intermittent::adida(),
        "IMAPA" => Intermittent::imapa(),
        other => panic!("unknown model {other}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * b.abs().max(1.0)
}

#[test]
fn point_forecasts_and_fitted_values_match_statsforecast() {
    let series = series();
    let reference = reference();
    assert_eq!(series.len(), 4);
    let mut checked = 0;
    for ((name, model, kind), values) in &reference {
        let y = &series[name];
        let fitted = params(model).in_sample(true).fit(&y[..]).unwrap();
        match kind.as_str() {
            "mean" => {
                let f = fitted.forecast(values.len(), &[]).unwrap();
                for (a, b) in f.mean.iter().zip(values) {
                    assert!(close(*a, *b), "{name} {model} mean: {a} vs {b}");
                }
                assert!(f.intervals.is_empty());
            }
            "fitted" => {
                // statsforecast has no fitted value for the first observation (NaN).
                assert!(values[0].is_nan());
                assert_eq!(fitted.fitted().len(), values.len() - 1, "{name} {model}");
                for (i, (a, b)) in fitted.fitted().iter().zip(&values[1..]).enumerate() {
                    assert!(
                        close(*a, *b),
                        "{name} {model} fitted[{}]: {a} vs {b}",
                        i + 1
                    );
                }
                for (i, r) in fitted.residuals().iter().enumerate() {
                    assert!(close(*r, y[i + 1] - values[i + 1]));
                }
            }
            other => panic!("unknown kind {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 4 * 7 * 2);
}

#[test]
fn python_rounding_of_the_aggregation_level_matters() {
    // Mean interval 2.5: statsforecast's ADIDA aggregates by 2 (round half to even), so
    // the result differs from aggregating by 3.
    let y = &series()["half_interval"];
    let adida = Intermittent::adida().fit(&y[..]).unwrap().point_forecast();
    let reference = reference();
    let want = reference[&("half_interval".into(), "ADIDA".into(), "mean".into())][0];
    assert!(close(adida, want));
}

#[test]
fn series_and_slices_fit_alike_and_the_default_in_sample_choice() {
    let y = &series()["poisson_p30"];
    let s = Series::new(y, 7).unwrap();
    for p in [
        Intermittent::croston(),
        Intermittent::sba(),
        Intermittent::tsb(0.2, 0.1),
        Intermittent::adida(),
        Intermittent::imapa(),
        Intermittent::croston_optimized(),
    ] {
        let a = p.fit(&s).unwrap();
        let b = p.fit(&y[..]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.n_obs(), y.len());
        assert_eq!(a.method(), p.method());
        let linear = matches!(
            p.method(),
            Method::Croston | Method::Sba | Method::Tsb { .. }
        );
        assert_eq!(a.fitted().is_empty(), !linear, "{:?}", p.method());
        assert_eq!(a.residuals().len(), a.fitted().len());
    }
}

#[test]
fn bad_demand_is_a_typed_error_naming_the_row() {
    let p = Intermittent::croston();
    assert!(matches!(
        p.fit(&[0.0, 1.0, -0.5, 2.0][..]),
        Err(Error::Negative {
            field: "demand",
            row: 2,
            ..
        })
    ));
    assert!(matches!(
        p.fit(&[0.0, 1.0, 2.0, f64::NAN][..]),
        Err(Error::NonFinite {
            field: "demand",
            row: 3,
            ..
        })
    ));
    assert!(matches!(
        Intermittent::imapa().fit(&[0.0, f64::INFINITY][..]),
        Err(Error::NonFinite {
            field: "demand",
            row: 1,
            ..
        })
    ));
    // Negative values in a Series too.
    let s = Series::new(&[1.0, 0.0, -3.0], 1).unwrap();
    assert!(matches!(
        Intermittent::tsb(0.1, 0.1).fit(&s),
        Err(Error::Negative {
            field: "demand",
            row: 2,
            ..
        })
    ));
}

#[test]
fn series_without_demand_or_too_short_are_insufficient() {
    for p in [
        Intermittent::croston(),
        Intermittent::sba(),
        Intermittent::croston_optimized(),
        Intermittent::tsb(0.2, 0.1),
        Intermittent::adida(),
        Intermittent::imapa(),
    ] {
        assert!(matches!(
            p.fit(&[0.0; 30][..]),
            Err(Error::InsufficientData { .. })
        ));
        assert!(matches!(
            p.fit(&[3.0][..]),
            Err(Error::InsufficientData { .. })
        ));
        assert!(matches!(
            p.fit(&[][..]),
            Err(Error::InsufficientData { .. })
        ));
        // Two periods with one demand are enough.
        let f = p.fit(&[0.0, 2.0][..]).unwrap();
        assert!(f.point_forecast().is_finite() && f.point_forecast() > 0.0);
    }
}

#[test]
fn tsb_parameters_outside_the_unit_interval_are_rejected() {
    for (ad, ap, name) in [
        (-0.1, 0.1, "alpha_d"),
        (1.5, 0.1, "alpha_d"),
        (f64::NAN, 0.1, "alpha_d"),
        (0.1, 1.0001, "alpha_p"),
        (0.1, f64::NEG_INFINITY, "alpha_p"),
    ] {
        match Intermittent::tsb(ad, ap).fit(&[0.0, 1.0, 0.0][..]) {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{other:?}"),
        }
    }
    // The bounds themselves are allowed.
    assert!(
        Intermittent::tsb(0.0, 1.0)
            .fit(&[0.0, 1.0, 0.0][..])
            .is_ok()
    );
}

#[test]
fn horizons_and_levels_are_checked() {
    let f = Intermittent::croston()
        .fit(&[0.0, 1.0, 0.0, 2.0][..])
        .unwrap();
    for h in [0, MAX_HORIZON + 1, usize::MAX] {
        assert!(matches!(
            f.forecast(h, &[]),
            Err(Error::InvalidParameter { name: "h", .. })
        ));
    }
    assert_eq!(
        f.forecast(MAX_HORIZON, &[]).unwrap().mean.len(),
        MAX_HORIZON
    );
    assert!(matches!(
        f.forecast(3, &[0.95]),
        Err(Error::InvalidParameter { name: "levels", .. })
    ));
}

#[test]
fn quadratic_in_sample_fits_are_bounded() {
    let mut y = vec![0.0; MAX_IN_SAMPLE + 1];
    y[3] = 1.0;
    for p in [
        Intermittent::croston_optimized(),
        Intermittent::adida(),
        Intermittent::imapa(),
    ] {
        assert!(matches!(
            p.in_sample(true).fit(&y[..]),
            Err(Error::LimitExceeded { .. })
        ));
        assert!(p.fit(&y[..]).is_ok());
    }
    // The linear ones have no such limit.
    assert_eq!(
        Intermittent::croston().fit(&y[..]).unwrap().fitted().len(),
        MAX_IN_SAMPLE
    );
}

#[cfg(feature = "serde")]
#[test]
fn saved_models_round_trip_and_bad_files_are_rejected() {
    let y = &series()["gamma_p15"];
    let f = Intermittent::tsb(0.2, 0.1).fit(&y[..]).unwrap();
    let json = serde_json::to_string(&f).unwrap();
    let back: patronage::forecast::intermittent::FittedIntermittent =
        serde_json::from_str(&json).unwrap();
    assert_eq!(back, f);
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["point"] = serde_json::json!(-1.0);
    assert!(
        serde_json::from_value::<patronage::forecast::intermittent::FittedIntermittent>(v).is_err()
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["method"]["Tsb"]["alpha_p"] = serde_json::json!(2.0);
    assert!(
        serde_json::from_value::<patronage::forecast::intermittent::FittedIntermittent>(v).is_err()
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["residuals"].as_array_mut().unwrap().pop();
    assert!(
        serde_json::from_value::<patronage::forecast::intermittent::FittedIntermittent>(v).is_err()
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["n_obs"] = serde_json::json!(1);
    assert!(
        serde_json::from_value::<patronage::forecast::intermittent::FittedIntermittent>(v).is_err()
    );
}
