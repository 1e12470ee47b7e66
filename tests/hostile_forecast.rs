//! Issue 15 in the forecast module: huge and tiny finite values, saved models edited by
//! hand and exhaustive searches. Each entry point gives a finite answer (checked
//! against the same computation in ordinary units where the answer scales) or a typed
//! error naming the field and row; never inf, NaN, a panic or an unbounded loop.

mod common;

use patronage::Error;
use patronage::forecast::arima::{Arima, FittedArima, MAX_CANDIDATES, MAX_ORDER};
use patronage::forecast::decompose::{SeasonalWindow, Stl};
use patronage::forecast::ets::{Ets, FittedEts};
use patronage::forecast::metrics::{self, cross_validate_with};
use patronage::forecast::{Forecast, Series};
use patronage::prelude::*;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

fn finite_forecast(f: &Forecast) -> bool {
    f.mean.iter().all(|v| v.is_finite())
        && f.intervals
            .iter()
            .all(|i| i.lower.iter().chain(&i.upper).all(|v| v.is_finite()))
}

/// A noisy seasonal series of 48 months around 100.
fn monthly() -> Vec<f64> {
    (0..48)
        .map(|t| {
            100.0 + 0.5 * t as f64 + 8.0 * ((t % 12) as f64 - 5.5).abs() + ((t * 7919) % 13) as f64
        })
        .collect()
}

// ---- metrics ------------------------------------------------------------------------

#[test]
fn mae_and_rmse_of_huge_errors_are_finite_or_an_error() {
    // |e| = 2.2e195: its square overflows, the root mean square does not.
    assert_eq!(metrics::rmse(&[-2.2e195], &[0.0]).unwrap(), 2.2e195);
    let r = metrics::rmse(&[1e300, -1e300], &[-1e300, 1e300]).unwrap();
    assert!(close(r, 2e300, 1e-15), "{r}");
    // MAX - MIN overflows, but the mean over two rows is MAX.
    assert_eq!(
        metrics::mae(&[f64::MAX, 0.0], &[f64::MIN, 0.0]).unwrap(),
        f64::MAX
    );
    // The mean absolute error of one row is 2 MAX: beyond f64.
    for r in [
        metrics::mae(&[f64::MAX], &[f64::MIN]),
        metrics::rmse(&[1.0, f64::MAX], &[0.0, f64::MIN]),
    ] {
        match r {
            Err(Error::InvalidValue { field, row, .. }) => {
                assert_eq!(field, "forecast");
                assert!(row <= 1);
            }
            other => panic!("{other:?}"),
        }
    }
    // Tiny errors do not underflow to 0 when squared.
    let r = metrics::rmse(&[3e-200, 0.0], &[0.0, 4e-200]).unwrap();
    assert!(close(r, (12.5f64).sqrt() * 1e-200, 1e-14), "{r}");
    // Ordinary values are unchanged.
    assert_eq!(metrics::mae(&[2.0, 4.0], &[1.0, 5.0]).unwrap(), 1.0);
}

#[test]
fn smape_of_extreme_pairs_is_finite() {
    assert_eq!(metrics::smape(&[f64::MAX], &[0.0]).unwrap(), 200.0);
    assert_eq!(metrics::smape(&[f64::MAX], &[f64::MIN]).unwrap(), 200.0);
    assert_eq!(metrics::smape(&[f64::MAX], &[f64::MAX]).unwrap(), 0.0);
}

#[test]
fn mape_of_a_tiny_actual_is_an_error_naming_it() {
    match metrics::mape(&[1.0, f64::MIN_POSITIVE], &[1.0, 17.0]) {
        Err(Error::InvalidValue {
            field, row, value, ..
        }) => {
            assert_eq!((field, row), ("actual", 1));
            assert_eq!(value, f64::MIN_POSITIVE);
        }
        other => panic!("{other:?}"),
    }
    // A huge error against a large actual is an ordinary percentage.
    let m = metrics::mape(&[f64::MAX], &[f64::MIN]).unwrap();
    assert_eq!(m, 200.0);
    // Accuracy reports NaN for it, as for an actual of 0.
    let train = Series::new(&[1.0, 2.0, 4.0], 1).unwrap();
    let acc = metrics::accuracy(&[f64::MIN_POSITIVE], &[17.0], &train).unwrap();
    assert!(acc.mape.is_nan() && acc.mae == 17.0);
}

#[test]
fn mase_scale_of_huge_values_is_finite_or_an_error() {
    let s = Series::new(&[0.0, f64::MAX, 0.0], 1).unwrap();
    assert_eq!(metrics::mase_scale(&s).unwrap(), f64::MAX);
    let s = Series::new(&[f64::MAX, f64::MIN], 1).unwrap();
    match metrics::mase_scale(&s) {
        Err(Error::InvalidValue { field, row, .. }) => assert_eq!((field, row), ("training", 1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mase_over_a_tiny_scale_is_an_error() {
    let train = Series::new(&[0.0, f64::MIN_POSITIVE], 1).unwrap();
    assert!(matches!(
        metrics::mase(&[0.0], &[333.7], &train),
        Err(Error::InsufficientData { model: "MASE", .. })
    ));
    let acc = metrics::accuracy(&[0.0], &[333.7], &train).unwrap();
    assert!(acc.mase.is_nan());
}

#[test]
fn cross_validate_with_extreme_values_is_finite_or_an_error() {
    let y: Vec<f64> = (0..30)
        .map(|t| if t % 2 == 0 { 1e300 } else { -1e300 })
        .collect();
    let s = Series::new(&y, 1).unwrap();
    // Naive forecasts miss by 2e300: squares overflow, the step RMSE does not.
    let naive = |s: &Series, h: usize| -> patronage::Result<Forecast> {
        let last = *s.values().last().unwrap();
        Ok(Forecast {
            mean: vec![last; h],
            intervals: vec![],
        })
    };
    let cv = cross_validate_with(&s, 2, 5, 10, naive).unwrap();
    assert!(close(cv.rmse[0], 2e300, 1e-15), "{:?}", cv.rmse);
    assert!(cv.mae.iter().chain(&cv.rmse).all(|v| v.is_finite()));
    // MASE is the error over the naive scale: 1 at one step ahead.
    assert!(close(cv.mase[0], 1.0, 1e-15), "{:?}", cv.mase);

    // An error beyond f64 (MAX against MIN) is an error naming the step.
    let y = [f64::MAX, f64::MIN, f64::MAX, f64::MIN, f64::MAX];
    let s = Series::new(&y, 1).unwrap();
    match cross_validate_with(&s, 1, 1, 1, naive) {
        Err(Error::InvalidValue { field, row, .. }) => assert_eq!((field, row), ("forecast", 0)),
        other => panic!("{other:?}"),
    }
    // A model returning an infinite forecast: NonFinite, not an infinite error.
    let broken = |_: &Series, h: usize| -> patronage::Result<Forecast> {
        Ok(Forecast {
            mean: vec![f64::INFINITY; h],
            intervals: vec![],
        })
    };
    let s = Series::new(&[1.0, 2.0, 3.0, 4.0], 1).unwrap();
    assert!(matches!(
        cross_validate_with(&s, 2, 1, 2, broken),
        Err(Error::NonFinite {
            field: "forecast",
            row: 0,
            ..
        })
    ));
}

// ---- ARIMA --------------------------------------------------------------------------

#[test]
fn arima_of_a_series_whose_variance_overflows_is_an_error_naming_it() {
    let s = Series::new(&[3.6e202, 0.0, 0.0], 1).unwrap();
    match Arima::params(0, 0, 0).constant(false).fit(&s) {
        Err(Error::InvalidValue {
            field, row, value, ..
        }) => {
            assert_eq!((field, row, value), ("series", 0, 3.6e202));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn arima_of_huge_and_tiny_series_matches_the_fit_in_ordinary_units() {
    let y = monthly();
    let base = Arima::params(0, 1, 1)
        .seasonal(0, 1, 1)
        .fit(&Series::new(&y, 12).unwrap())
        .unwrap();
    let fb = base.forecast(12, &[0.95]).unwrap();
    for c in [1e140, 1e-140] {
        let yc: Vec<f64> = y.iter().map(|v| v * c).collect();
        let fit = Arima::params(0, 1, 1)
            .seasonal(0, 1, 1)
            .fit(&Series::new(&yc, 12).unwrap())
            .unwrap();
        for (a, b) in fit.coefficients().iter().zip(base.coefficients()) {
            assert!(close(*a, *b, 1e-6), "{c}: {a} vs {b}");
        }
        assert!(close(fit.sigma2(), base.sigma2() * c * c, 1e-6), "{c}");
        assert!(close(
            fit.report().log_likelihood,
            base.report().log_likelihood - fit.n_used() as f64 * c.ln(),
            1e-9
        ));
        let f = fit.forecast(12, &[0.95]).unwrap();
        assert!(finite_forecast(&f));
        assert!(close(f.mean[11], fb.mean[11] * c, 1e-6));
        assert!(close(
            f.intervals[0].upper[11],
            fb.intervals[0].upper[11] * c,
            1e-6
        ));
    }
    // With a constant (drift): the constant and its standard error scale too.
    let drift = |c: f64| {
        let yc: Vec<f64> = y.iter().map(|v| v * c).collect();
        Arima::params(1, 1, 0)
            .constant(true)
            .fit(&Series::new(&yc, 1).unwrap())
            .unwrap()
    };
    let (a, b) = (drift(1.0), drift(1e150));
    assert!(close(b.drift().unwrap(), a.drift().unwrap() * 1e150, 1e-6));
    assert!(close(b.std_errors()[1], a.std_errors()[1] * 1e150, 1e-4));
    assert!(b.covariance().iter().all(|v| v.is_finite()));
}

#[test]
fn auto_arima_of_huge_values_is_finite_or_an_error() {
    let y: Vec<f64> = monthly().iter().map(|v| v * 1e150).collect();
    let fit = Arima::auto().fit(&Series::new(&y, 12).unwrap()).unwrap();
    assert!(fit.sigma2().is_finite() && fit.coefficients().iter().all(|v| v.is_finite()));
    assert!(finite_forecast(&fit.forecast(12, &[0.8, 0.95]).unwrap()));
    let y: Vec<f64> = monthly().iter().map(|v| v * 1e300).collect();
    match Arima::auto().fit(&Series::new(&y, 12).unwrap()) {
        Err(Error::InvalidValue { field, .. }) => assert_eq!(field, "series"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exhaustive_auto_arima_over_too_many_models_is_refused_before_fitting() {
    let air = common::air_passengers().ln().unwrap();
    let r = Arima::auto()
        .max_pq(MAX_ORDER, MAX_ORDER)
        .max_seasonal_pq(MAX_ORDER, MAX_ORDER)
        .max_order(4 * MAX_ORDER)
        .stepwise(false)
        .fit(&air);
    match r {
        // Orders capped at p, q <= 11 and P, Q <= 4 (a third of 144 months), d = D = 1
        // so no constant: 12 * 12 * 5 * 5 models.
        Err(Error::LimitExceeded { size, limit, .. }) => {
            assert_eq!((size, limit), (3600, MAX_CANDIDATES as u64));
        }
        other => panic!("{other:?}"),
    }
    // A usize::MAX max_order counts without overflow.
    assert!(matches!(
        Arima::auto()
            .max_pq(MAX_ORDER, MAX_ORDER)
            .max_order(usize::MAX)
            .stepwise(false)
            .seasonal(false)
            .fit(&air),
        Err(Error::LimitExceeded { .. })
    ));
}

#[test]
fn exhaustive_auto_arima_with_r_defaults_still_runs() {
    let s = Series::new(&monthly(), 12).unwrap();
    let fit = Arima::auto().stepwise(false).fit(&s).unwrap();
    assert!(fit.report().aicc.is_finite());
}

#[cfg(feature = "serde")]
#[test]
fn arima_model_with_a_bad_state_covariance_is_refused_on_load() {
    let fit = Arima::params(1, 1, 1)
        .seasonal(0, 1, 1)
        .fit(&common::air_passengers().ln().unwrap())
        .unwrap();
    let v = serde_json::to_value(&fit).unwrap();
    let r = v["state_cov"].as_array().unwrap().len();
    let dim = (r as f64).sqrt() as usize;
    // An off-diagonal entry without its mirror.
    let mut edited = v.clone();
    edited["state_cov"][dim * 11 + 5] = serde_json::json!(1.79e308);
    match serde_json::from_value::<FittedArima>(edited) {
        Err(e) => assert!(e.to_string().contains("state_cov"), "{e}"),
        Ok(_) => panic!("an asymmetric state covariance loaded"),
    }
    // A negative variance on the diagonal.
    let mut edited = v.clone();
    edited["state_cov"][0] = serde_json::json!(-1.0);
    assert!(serde_json::from_value::<FittedArima>(edited).is_err());
    // A huge but valid variance loads; the forecast that overflows is a typed error.
    let mut edited = v.clone();
    edited["state_cov"][0] = serde_json::json!(1.79e308);
    let m: FittedArima = serde_json::from_value(edited).unwrap();
    match m.forecast(12, &[0.8, 0.95]) {
        Err(Error::NonFinite { field, row, .. }) => {
            // The first step's variance is finite; it overflows on the second.
            assert_eq!((field, row), ("forecast interval", 1));
        }
        other => panic!("{:?}", other.err()),
    }
}

#[cfg(feature = "serde")]
#[test]
fn arima_forecast_whose_mean_overflows_is_an_error_naming_the_step() {
    let y: Vec<f64> = (0..40).map(|t| 10.0 * t as f64 + (t % 3) as f64).collect();
    let fit = Arima::params(0, 1, 0)
        .constant(true)
        .fit(&Series::new(&y, 1).unwrap())
        .unwrap();
    let mut v = serde_json::to_value(&fit).unwrap();
    // A drift of 1e306 per period: the mean passes f64::MAX after about 180 steps.
    v["constant_value"] = serde_json::json!(1e306);
    let m: FittedArima = serde_json::from_value(v).unwrap();
    assert!(finite_forecast(&m.forecast(10, &[0.95]).unwrap()));
    match m.forecast(1000, &[0.95]) {
        Err(Error::NonFinite { field, row, .. }) => {
            assert!(field.starts_with("forecast") && row > 10, "{field} {row}");
        }
        other => panic!("{:?}", other.err()),
    }
}

// ---- ETS and STL --------------------------------------------------------------------

#[test]
fn ets_of_huge_values_is_finite_or_an_error() {
    for c in [1e150, 1e300, 5e305, 1e-300] {
        let y: Vec<f64> = monthly().iter().map(|v| v * c).collect();
        let s = Series::new(&y, 12).unwrap();
        for fit in [Ets::simple().fit(&s), Ets::auto().fit(&s)] {
            match fit {
                Ok(m) => {
                    let m: FittedEts = m;
                    assert!(m.sigma2().is_finite(), "{c}: sigma2 {}", m.sigma2());
                    assert!(m.last_state().iter().all(|v| v.is_finite()));
                    if let Ok(f) = m.forecast(12, &[0.95]) {
                        assert!(finite_forecast(&f));
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(!msg.is_empty());
                }
            }
        }
    }
}

#[test]
fn stl_of_huge_values_is_finite() {
    let base = Stl::params(12, SeasonalWindow::Periodic)
        .robust(true)
        .fit(&monthly())
        .unwrap();
    for c in [1e300, 1e-300, 5e305] {
        let y: Vec<f64> = monthly().iter().map(|v| v * c).collect();
        match Stl::params(12, SeasonalWindow::Periodic)
            .robust(true)
            .fit(&y)
        {
            Ok(d) => {
                for (what, v) in [
                    ("seasonal", &d.seasonal),
                    ("trend", &d.trend),
                    ("remainder", &d.remainder),
                ] {
                    assert!(v.iter().all(|x| x.is_finite()), "{c}: {what}");
                }
                // The strength is scale-free: the same as in ordinary units.
                let (a, b) = (d.seasonal_strength(), base.seasonal_strength());
                assert!(close(a, b, 1e-9), "{c}: strength {a} vs {b}");
                assert!(close(d.trend[20], base.trend[20] * c, 1e-9), "{c}");
            }
            Err(e) => panic!("{c}: {e}"),
        }
    }
}

// ---- unchecked sizes ----------------------------------------------------------------

#[test]
fn huge_season_lengths_are_typed_errors_or_fits() {
    use patronage::forecast::ets::SeasonType;
    let y = monthly();
    for m in [usize::MAX, usize::MAX / 2 + 1, 1 << 32, 49] {
        let s = Series::new(&y, m).unwrap();
        let outcomes = [
            Ets::auto().fit(&s).map(|f| f.sigma2()),
            Ets::holt_winters(SeasonType::Additive, false)
                .fit(&s)
                .map(|f| f.sigma2()),
            Ets::simple().season_length(m).fit(&s).map(|f| f.sigma2()),
            Arima::auto().fit(&s).map(|f| f.sigma2()),
            Arima::params(0, 0, 0)
                .seasonal(1, 0, 0)
                .fit(&s)
                .map(|f| f.sigma2()),
            metrics::mase_scale(&s),
            Stl::params(m, SeasonalWindow::Periodic)
                .fit(&y)
                .map(|d| d.seasonal_strength()),
        ];
        for (i, r) in outcomes.into_iter().enumerate() {
            match r {
                Ok(v) => assert!(v.is_finite(), "{m} #{i}: {v}"),
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
}

#[test]
fn arima_forecast_of_a_long_seasonal_model_over_the_longest_horizon_is_bounded() {
    use patronage::forecast::MAX_HORIZON;
    use std::time::Instant;
    // d + mD = 400 = MAX_LAG: a state of 401 values. T P T' at O(401³) per step took
    // hours over MAX_HORIZON steps (now about 10 s in a debug build); a fifth of it here.
    let m = 400;
    let y: Vec<f64> = (0..2 * m + 50)
        .map(|t| 10.0 + ((t % m) as f64).sqrt() + ((t * 7919) % 11) as f64 * 0.1)
        .collect();
    let fit = Arima::params(0, 0, 0)
        .seasonal(0, 1, 0)
        .period(m)
        .fit(&Series::new(&y, m).unwrap())
        .unwrap();
    let start = Instant::now();
    let h = MAX_HORIZON / 5;
    let f = fit.forecast(h, &[0.95]).unwrap();
    assert!(finite_forecast(&f));
    // Seasonal naive: the forecast repeats the last season; the variance grows with
    // the number of seasons ahead.
    assert!(close(f.mean[0], y[y.len() - m], 1e-12));
    let w = |h: usize| f.intervals[0].upper[h] - f.intervals[0].lower[h];
    assert!(w(4 * m) > w(0));
    eprintln!("{h} steps in {:.1} s", start.elapsed().as_secs_f64());
}
