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

// ---------------------------------------------------------------------------------
// statsforecast's Theta family (forecast::theta_auto) against statsforecast 2.1.1
// (tests/data/forecast_depth/theta_reference.csv, made by make_theta_reference.py).

mod statsforecast_family {
    use super::series;
    use patronage::Error;
    use patronage::forecast::theta_auto::{AutoTheta, Decomposition, ThetaVariant};
    use patronage::forecast::{MAX_HORIZON, Series};
    use patronage::prelude::*;
    use std::collections::BTreeMap;

    fn reference() -> BTreeMap<(String, String), Vec<f64>> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/forecast_depth/theta_reference.csv"
        );
        let mut out: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        for line in std::fs::read_to_string(path).unwrap().lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            out.entry((f[0].to_string(), f[1].to_string()))
                .or_default()
                .push(f[3].parse().unwrap());
        }
        out
    }

    const SERIES: [&str; 4] = ["AirPassengers", "USAccDeaths", "UKgas", "Nile"];

    fn cases() -> Vec<(String, &'static str, Option<ThetaVariant>, Decomposition)> {
        let mut out = Vec::new();
        for name in SERIES {
            for (tag, v) in [
                ("auto", None),
                ("STM", Some(ThetaVariant::Standard)),
                ("OTM", Some(ThetaVariant::Optimized)),
                ("DSTM", Some(ThetaVariant::DynamicStandard)),
                ("DOTM", Some(ThetaVariant::DynamicOptimized)),
            ] {
                out.push((
                    format!("{name}_{tag}"),
                    name,
                    v,
                    Decomposition::Multiplicative,
                ));
            }
        }
        out.push((
            "UKgas_auto_additive".into(),
            "UKgas",
            None,
            Decomposition::Additive,
        ));
        out
    }

    fn fit(
        name: &str,
        v: Option<ThetaVariant>,
        kind: Decomposition,
    ) -> patronage::forecast::theta_auto::FittedAutoTheta {
        let mut p = AutoTheta::params().decomposition(kind);
        if let Some(v) = v {
            p = p.variant(v);
        }
        p.fit(&series(name)).unwrap()
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1.0)
    }

    #[test]
    fn variants_and_auto_theta_match_statsforecast() {
        // Same state space, same start, same Nelder-Mead: the same optimum (parameters
        // and criterion observed within 2e-14 relative) and so the same chosen model,
        // point forecasts (worst 6.3e-16 relative) and fitted values (8e-14).
        let r = reference();
        for (case, name, v, kind) in cases() {
            let g = |q: &str| r[&(case.clone(), q.to_string())].clone();
            let m = fit(name, v, kind);
            let code = ThetaVariant::ALL
                .iter()
                .position(|x| *x == m.variant())
                .unwrap();
            assert_eq!(code as f64, g("model")[0], "{case}");
            assert!(rel(m.alpha(), g("alpha")[0]) < 1e-9, "{case} alpha");
            assert!(rel(m.theta(), g("theta")[0]) < 1e-9, "{case} theta");
            assert!(
                rel(m.initial_level(), g("initial_smoothed")[0]) < 1e-9,
                "{case} level {} vs {}",
                m.initial_level(),
                g("initial_smoothed")[0]
            );
            // The criterion (statsforecast's `mse`): ours is never worse.
            assert!(
                m.criterion() <= g("mse")[0] * (1.0 + 1e-8),
                "{case}: {} vs {}",
                m.criterion(),
                g("mse")[0]
            );
            assert!(rel(m.criterion(), g("mse")[0]) < 1e-10, "{case} criterion");
            if m.decomposition().is_none() {
                // criterion = mse (n - 3) / mean |y| on the (here unadjusted) series.
                let y = series(name).values().to_vec();
                let mean_abs = y.iter().map(|v| v.abs()).sum::<f64>() / y.len() as f64;
                let c = m.mse() * (y.len() - 3) as f64 / mean_abs;
                assert!(rel(c, m.criterion()) < 1e-12, "{case}");
            }
            let dec = match m.decomposition() {
                None => 0.0,
                Some(Decomposition::Multiplicative) => 1.0,
                Some(Decomposition::Additive) => 2.0,
            };
            assert_eq!(dec, g("decompose")[0], "{case}");
            let h = g("mean").len();
            let f = m.forecast(h, &[0.8, 0.95]).unwrap();
            super::assert_close(&f.mean, &g("mean"), 1e-6, &format!("{case} mean"));
            if kind == Decomposition::Multiplicative {
                super::assert_close(m.fitted(), &g("fitted"), 1e-6, &format!("{case} fitted"));
                for (res, (y, fit)) in m
                    .residuals()
                    .iter()
                    .zip(series(name).values().iter().zip(m.fitted()))
                {
                    assert_eq!(*res, y - fit);
                }
            }
        }
    }

    /// The largest bound difference over the width of the 95% interval.
    fn worst_bound(
        f: &patronage::forecast::Forecast,
        g: &dyn Fn(&str) -> Vec<f64>,
        suffix: &str,
    ) -> f64 {
        let mut worst = 0.0f64;
        for (i, lv) in [(0, "80"), (1, "95")] {
            for (ours, theirs) in [
                (&f.intervals[i].lower, g(&format!("lo{lv}{suffix}"))),
                (&f.intervals[i].upper, g(&format!("hi{lv}{suffix}"))),
            ] {
                for (j, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    let width = f.intervals[1].upper[j] - f.intervals[1].lower[j];
                    worst = worst.max((a - b).abs() / width);
                }
            }
        }
        worst
    }

    #[test]
    fn intervals_are_the_limit_of_statsforecast_simulation() {
        // Against 200,000 of statsforecast's own simulated paths the bounds agree to
        // a small fraction of the 95% width (Monte Carlo error); against the 200 paths
        // statsforecast's predict() draws, to its larger Monte Carlo error.
        let r = reference();
        for (case, name, v, kind) in cases() {
            if kind == Decomposition::Additive {
                continue;
            }
            let g = |q: &str| r[&(case.clone(), q.to_string())].clone();
            let m = fit(name, v, kind);
            let f = m.forecast(g("mean").len(), &[0.8, 0.95]).unwrap();
            let many = worst_bound(&f, &g, "_many");
            let few = worst_bound(&f, &g, "");
            println!(
                "{case}: bounds vs 200,000 paths {many:.4}, vs 200 paths {few:.3} of the 95% width"
            );
            assert!(many < 0.01, "{case}: {many}");
            assert!(few < 0.15, "{case}: {few}");
        }
    }

    #[test]
    fn additive_decomposition_and_non_positive_series() {
        let s = series("UKgas");
        let m = AutoTheta::params()
            .decomposition(Decomposition::Additive)
            .fit(&s)
            .unwrap();
        assert_eq!(m.decomposition(), Some(Decomposition::Additive));
        let idx = m.seasonal_indices().unwrap();
        assert!(idx.iter().sum::<f64>().abs() < 1e-9);
        // A series with a value <= 0 is decomposed additively whatever is asked.
        let shifted: Vec<f64> = s.values().iter().map(|v| v - 200.0).collect();
        let m = AutoTheta::params()
            .fit(&Series::new(&shifted, 4).unwrap())
            .unwrap();
        assert_eq!(m.decomposition(), Some(Decomposition::Additive));
        // Non-seasonal: m < 4, or too short, or constant.
        let m = AutoTheta::params().season_length(3).fit(&s).unwrap();
        assert_eq!(m.decomposition(), None);
        let flat = Series::new(&[5.0; 40], 12).unwrap();
        let m = AutoTheta::params().fit(&flat).unwrap();
        assert_eq!(m.seasonal_indices(), None);
        let f = m.forecast(3, &[0.9]).unwrap();
        assert!(
            f.mean.iter().all(|v| (v - 5.0).abs() < 1e-6),
            "{:?}",
            f.mean
        );
    }

    #[test]
    fn errors_are_typed() {
        for n in 0..4 {
            let y: Vec<f64> = (0..n).map(|t| t as f64).collect();
            if let Ok(s) = Series::new(&y, 1) {
                assert!(matches!(
                    AutoTheta::params().fit(&s),
                    Err(Error::InsufficientData { .. })
                ));
            }
        }
        assert!(Series::new(&[1.0, f64::NAN, 3.0, 4.0, 5.0], 1).is_err());
        let s = series("AirPassengers");
        assert!(matches!(
            AutoTheta::params().season_length(0).fit(&s),
            Err(Error::InvalidParameter {
                name: "season_length",
                ..
            })
        ));
        let model = AutoTheta::params().fit(&s).unwrap();
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
        // The longest horizon works and stays finite.
        let f = model.forecast(MAX_HORIZON, &[0.95]).unwrap();
        assert!(f.intervals[0].upper.iter().all(|v| v.is_finite()));
        // Four observations are enough.
        let tiny = Series::new(&[3.0, 5.0, 4.0, 6.0], 1).unwrap();
        let m = AutoTheta::params().fit(&tiny).unwrap();
        assert!(
            m.forecast(2, &[0.8])
                .unwrap()
                .mean
                .iter()
                .all(|v| v.is_finite())
        );
        // Overflow is an error or a finite forecast, never infinity.
        let huge: Vec<f64> = (0..30)
            .map(|t| if t % 2 == 0 { 1e306 } else { -1e306 } * (t as f64 + 1.0))
            .collect();
        match AutoTheta::params().fit(&Series::new(&huge, 1).unwrap()) {
            Ok(m) => {
                if let Ok(f) = m.forecast(100, &[0.95]) {
                    assert!(f.mean.iter().all(|v| v.is_finite()));
                }
            }
            Err(e) => assert!(matches!(e, Error::NonFinite { .. })),
        }
    }

    #[test]
    fn huge_season_lengths_and_scales_are_fits_or_typed_errors() {
        // No overflow of 2m (a panic in debug builds): such a season is not tested.
        let y = series("AirPassengers").values().to_vec();
        for m in [usize::MAX, usize::MAX / 2 + 1, 1 << 32, 73] {
            let s = Series::new(&y, m).unwrap();
            let a = AutoTheta::params().fit(&s).unwrap();
            assert_eq!(a.decomposition(), None, "{m}");
            let t = patronage::forecast::theta::Theta::params().fit(&s).unwrap();
            assert!(!t.is_seasonal(), "{m}");
        }
        // Scale: forecasts scale with the series, or the fit is a typed error.
        let base = AutoTheta::params().fit(&series("AirPassengers")).unwrap();
        let f0 = base.forecast(12, &[0.9]).unwrap();
        for scale in [1e-150, 1e150, 1e300] {
            let scaled: Vec<f64> = y.iter().map(|v| v * scale).collect();
            match AutoTheta::params().fit(&Series::new(&scaled, 12).unwrap()) {
                Ok(m) => match m.forecast(12, &[0.9]) {
                    Ok(f) => {
                        assert!(f.mean.iter().all(|v| v.is_finite()));
                        println!(
                            "scale {scale:e}: {:?}, first forecast ratio {}",
                            m.variant(),
                            f.mean[0] / scale / f0.mean[0]
                        );
                    }
                    Err(e) => assert!(matches!(e, Error::NonFinite { .. }), "{e}"),
                },
                Err(e) => assert!(matches!(e, Error::NonFinite { .. }), "{e}"),
            }
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn saved_models_round_trip_and_are_checked() {
        use patronage::forecast::theta_auto::FittedAutoTheta;
        let model = AutoTheta::params().fit(&series("UKgas")).unwrap();
        let json = serde_json::to_string(&model).unwrap();
        let back: FittedAutoTheta = serde_json::from_str(&json).unwrap();
        assert_eq!(back, model);
        assert_eq!(
            back.forecast(8, &[0.9]).unwrap(),
            model.forecast(8, &[0.9]).unwrap()
        );
        for (field, value) in [
            ("alpha", serde_json::json!(1.0)),
            ("theta", serde_json::json!(0.5)),
            ("sigma", serde_json::json!(-1.0)),
            ("n", serde_json::json!(3)),
            ("indices", serde_json::json!([1.0, 0.0, 1.0, 1.0])),
            ("indices", serde_json::Value::Null),
            ("state", serde_json::json!([1.0, 2.0, 3.0])),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            v[field] = value;
            assert!(
                serde_json::from_value::<FittedAutoTheta>(v).is_err(),
                "{field}"
            );
        }
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["fitted"].as_array_mut().unwrap().pop();
        assert!(serde_json::from_value::<FittedAutoTheta>(v).is_err());
    }
}
