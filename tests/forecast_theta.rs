//! Theta against R's forecast 8.20 `thetaf` (values and script in
//! tests/data/forecast_depth/), and its error paths.

use patronage::Error;
use patronage::forecast::theta::Theta;
use patronage::forecast::{MAX_HORIZON, Series};
use patronage::prelude::*;

#[path = "common/r_depth.rs"]
mod r_depth;
use r_depth::{assert_close, r_reference, r_series};

const NAMES: [&str; 6] = [
    "AirPassengers",
    "lynx",
    "USAccDeaths",
    "UKgas",
    "Nile",
    "JohnsonJohnson",
];

fn series(name: &str) -> Series {
    let (m, v) = &r_series()[name];
    Series::new(v, *m).unwrap()
}

fn r(name: &str, quantity: &str) -> Vec<f64> {
    r_reference()[&(format!("theta_{name}"), quantity.to_string())].clone()
}

fn check(f: &patronage::forecast::Forecast, name: &str, tol: f64) {
    assert_close(&f.mean, &r(name, "mean"), tol, &format!("{name} mean"));
    assert_close(&f.intervals[0].lower, &r(name, "lower80"), tol, name);
    assert_close(&f.intervals[0].upper, &r(name, "upper80"), tol, name);
    assert_close(&f.intervals[1].lower, &r(name, "lower95"), tol, name);
    assert_close(&f.intervals[1].upper, &r(name, "upper95"), tol, name);
}

#[test]
fn theta_at_r_ses_parameters_matches_thetaf() {
    // R's SES estimate (alpha, and l0 read from its first fitted value) plugged in:
    // the seasonality test, decomposition, drift, forecasts, intervals and fitted
    // values agree with thetaf to rounding.
    for name in NAMES {
        let s = series(name);
        let auto = Theta::params().fit(&s).unwrap();
        let alpha = r(name, "alpha")[0];
        let r_fitted = r(name, "fitted");
        let index0 = auto.seasonal_indices().map_or(1.0, |i| i[0]);
        let model = Theta::params()
            .fixed_ses(alpha, r_fitted[0] / index0)
            .fit(&s)
            .unwrap();
        let h = r(name, "mean").len();
        let f = model.forecast(h, &[0.8, 0.95]).unwrap();
        check(&f, name, 1e-8);
        assert_close(model.fitted(), &r_fitted, 1e-8, &format!("{name} fitted"));
        assert_close(&[model.drift()], &r(name, "drift"), 1e-10, "drift");
        assert_close(&[model.sigma2()], &r(name, "sigma2"), 1e-8, "sigma2");
        for (res, (y, fit)) in model
            .residuals()
            .iter()
            .zip(s.values().iter().zip(&r_fitted))
        {
            assert!((res - (y - fit)).abs() <= 1e-8 * y.abs().max(1.0));
        }
        let seasonal = matches!(
            name,
            "AirPassengers" | "USAccDeaths" | "UKgas" | "JohnsonJohnson"
        );
        assert_eq!(model.is_seasonal(), seasonal, "{name}");
    }
}

#[test]
fn theta_fitted_here_agrees_with_thetaf() {
    // Estimated by the crate (the exact SES minimum: its squared error is never above
    // R's), against R's Nelder-Mead estimate, which stops within its tolerance of the
    // minimum (alpha differs by up to 1.5e-4): forecasts agree to 5e-5 and bounds to 1e-4
    // relative (worst mean: Nile 2.4e-5, UKgas 9.7e-6, AirPassengers 3.3e-6; worst bound:
    // Nile 6.1e-5).
    for name in NAMES {
        let s = series(name);
        let model = Theta::params().fit(&s).unwrap();
        let h = r(name, "mean").len();
        let f = model.forecast(h, &[0.8, 0.95]).unwrap();
        let mut worst = 0.0f64;
        for (a, b) in f.mean.iter().zip(&r(name, "mean")) {
            worst = worst.max((a - b).abs() / b.abs().max(1.0));
        }
        println!(
            "{name}: alpha {} vs R {}, worst relative mean diff {worst:e}",
            model.alpha(),
            r(name, "alpha")[0]
        );
        assert!(worst > 0.0 || name == "lynx");
        // Our SES is at least as good a fit as R's.
        let alpha = r(name, "alpha")[0];
        let r_fitted = r(name, "fitted");
        let index0 = model.seasonal_indices().map_or(1.0, |i| i[0]);
        let at_r = Theta::params()
            .fixed_ses(alpha, r_fitted[0] / index0)
            .fit(&s)
            .unwrap();
        assert!(model.sigma2() <= at_r.sigma2() * (1.0 + 1e-12), "{name}");
        assert_close(&f.mean, &r(name, "mean"), 5e-5, name);
        // Bounds relative to the width of the 95% interval (lynx's cross zero).
        for (i, level) in [(0, "80"), (1, "95")] {
            for (ours, theirs) in [
                (&f.intervals[i].lower, r(name, &format!("lower{level}"))),
                (&f.intervals[i].upper, r(name, &format!("upper{level}"))),
            ] {
                for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    let width = f.intervals[1].upper[j] - f.intervals[1].lower[j];
                    assert!(
                        (a - b).abs() <= 1e-4 * b.abs().max(width),
                        "{name} {level}: {a} vs {b}"
                    );
                }
            }
        }
    }
}

#[test]
fn errors_are_typed() {
    let short = Series::new(&[1.0, 2.0], 1).unwrap();
    assert!(matches!(
        Theta::params().fit(&short),
        Err(Error::InsufficientData { .. })
    ));
    let s = series("AirPassengers");
    assert!(matches!(
        Theta::params().season_length(0).fit(&s),
        Err(Error::InvalidParameter {
            name: "season_length",
            ..
        })
    ));
    for alpha in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(matches!(
            Theta::params().fixed_ses(alpha, 100.0).fit(&s),
            Err(Error::InvalidParameter { name: "alpha", .. })
        ));
    }
    assert!(matches!(
        Theta::params().fixed_ses(0.5, f64::INFINITY).fit(&s),
        Err(Error::InvalidParameter { name: "level", .. })
    ));
    let model = Theta::params().fit(&s).unwrap();
    for h in [0, MAX_HORIZON + 1, usize::MAX] {
        assert!(matches!(
            model.forecast(h, &[]),
            Err(Error::InvalidParameter { name: "h", .. })
        ));
    }
    assert!(matches!(
        model.forecast(3, &[0.8, 1.0]),
        Err(Error::InvalidParameter { name: "levels", .. })
    ));
    // A forecast beyond f64's range is an error, not infinity.
    let huge: Vec<f64> = (0..30)
        .map(|t| {
            let sign = if t % 2 == 0 { 1.0 } else { -1.0 };
            sign * 1e306 * (t as f64 + 1.0)
        })
        .collect();
    let big = Theta::params().fit(&Series::new(&huge, 1).unwrap());
    match big {
        Ok(m) => {
            if let Ok(f) = m.forecast(MAX_HORIZON, &[0.95]) {
                assert!(f.mean.iter().all(|v| v.is_finite()));
            }
        }
        Err(e) => assert!(matches!(
            e,
            Error::NonFinite { .. } | Error::InsufficientData { .. }
        )),
    }
}

#[test]
fn constant_and_short_seasonal_series_are_not_adjusted() {
    let flat = Series::new(&[5.0; 40], 12).unwrap();
    let m = Theta::params().fit(&flat).unwrap();
    assert!(!m.is_seasonal());
    let f = m.forecast(3, &[0.9]).unwrap();
    assert!(f.mean.iter().all(|v| (v - 5.0).abs() < 1e-9));
    // 2m observations or fewer: no seasonality test.
    let s = series("AirPassengers").head(24).unwrap();
    assert!(!Theta::params().fit(&s).unwrap().is_seasonal());
}

#[cfg(feature = "serde")]
#[test]
fn saved_theta_models_round_trip_and_are_checked() {
    use patronage::forecast::theta::FittedTheta;
    let model = Theta::params().fit(&series("UKgas")).unwrap();
    let json = serde_json::to_string(&model).unwrap();
    let back: FittedTheta = serde_json::from_str(&json).unwrap();
    assert_eq!(back, model);
    for (field, value) in [
        ("alpha", serde_json::json!(1.5)),
        ("sigma2", serde_json::json!(-1.0)),
        ("n", serde_json::json!(2)),
        ("indices", serde_json::json!([1.0, 0.0, 1.0, 1.0])),
    ] {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v[field] = value;
        assert!(serde_json::from_value::<FittedTheta>(v).is_err(), "{field}");
    }
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["fitted"].as_array_mut().unwrap().pop();
    assert!(serde_json::from_value::<FittedTheta>(v).is_err());
}
