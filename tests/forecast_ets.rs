//! ETS against R's forecast::ets on AirPassengers (REFERENCE.md "Forecasting on
//! AirPassengers"), invariants and error paths.

use patronage::Error;
use patronage::forecast::Series;
use patronage::forecast::ets::{ErrorType, Ets, EtsSpec, SeasonType, TrendType};
use patronage::prelude::*;

mod common;
use common::air_passengers;

fn spec(e: ErrorType, t: TrendType, s: SeasonType) -> EtsSpec {
    EtsSpec::new(e, t, s)
}

/// Fits `spec` on AirPassengers.
fn fit(e: ErrorType, t: TrendType, s: SeasonType) -> patronage::forecast::ets::FittedEts {
    Ets::params(spec(e, t, s)).fit(&air_passengers()).unwrap()
}

use ErrorType::{Additive as EA, Multiplicative as EM};
use SeasonType::{Additive as SA, Multiplicative as SM, None as SN};
use TrendType::{Additive as TA, Damped as TD, None as TN};

#[test]
fn damped_multiplicative_holt_winters_reaches_at_least_r_likelihood() {
    // R's ets: ETS(M,Ad,M) log-likelihood -679.58322, AICc 1400.63843. statsmodels'
    // ETSModel reaches -679.1165 on R's scale (its bounds are a little looser than
    // R's 1e-4 floor on beta and gamma, so it may sit slightly above us).
    let f = fit(EM, TD, SM);
    assert_eq!(f.spec().to_string(), "ETS(M,Ad,M)");
    assert_eq!(f.report().n_params, 18);
    assert!(
        f.report().log_likelihood >= -679.58322 - 1e-3,
        "{}",
        f.report().log_likelihood
    );
    assert!(
        (f.report().log_likelihood - -679.1165).abs() < 0.02,
        "{}",
        f.report().log_likelihood
    );
    assert!(f.report().aicc <= 1400.64, "{}", f.report().aicc);
    // AIC/AICc/BIC from the likelihood with 18 parameters and 144 observations.
    let ic = f.report();
    assert!((ic.aic - (-2.0 * ic.log_likelihood + 36.0)).abs() < 1e-9);
    assert!((ic.aicc - (ic.aic + 2.0 * 18.0 * 19.0 / (144.0 - 19.0))).abs() < 1e-9);
    // Near R's estimates (same model, similar optimum): alpha 0.7096, beta 0.0204,
    // gamma 1e-4, phi 0.98.
    assert!((f.alpha() - 0.74).abs() < 0.06);
    assert!((f.beta().unwrap() - 0.02).abs() < 0.01);
    assert!(f.gamma().unwrap() < 1e-3);
    assert!((f.phi().unwrap() - 0.98).abs() < 1e-3);
    // R's forecasts 441.802, 434.119, 496.630 (from its slightly different optimum).
    let fc = f.forecast(3, &[0.8, 0.95]).unwrap();
    for (got, want) in fc.mean.iter().zip([441.802, 434.119, 496.630]) {
        assert!((got - want).abs() / want < 2e-3, "{got} vs {want}");
    }
    // R's h = 1 intervals: 80% [419.626, 463.978], 95% [407.886, 475.717].
    let (i80, i95) = (&fc.intervals[0], &fc.intervals[1]);
    assert!((i80.lower[0] - 419.626).abs() < 1.0 && (i80.upper[0] - 463.978).abs() < 1.0);
    assert!((i95.lower[0] - 407.886).abs() < 1.0 && (i95.upper[0] - 475.717).abs() < 1.0);
}

#[test]
fn other_specifications_match_or_beat_peers() {
    // (spec, R's AICc, statsmodels' log-likelihood on R's scale where known)
    let f = fit(EM, TA, SM);
    assert!(f.report().aicc <= 1403.664);
    assert!(
        (f.report().log_likelihood - -675.9893).abs() < 0.02,
        "{}",
        f.report().log_likelihood
    );
    let f = fit(EA, TA, SA);
    assert!(f.report().aicc <= 1570.729);
    assert!(
        (f.report().log_likelihood - -718.4832).abs() < 0.03,
        "{}",
        f.report().log_likelihood
    );
    let f = fit(EM, TN, SM);
    assert!(f.report().aicc <= 1465.064);
    // Non-seasonal: the best known ETS(M,A,N) fit (statsforecast), to 1e-2.
    let f = Ets::params(spec(EM, TA, SN))
        .fit(&air_passengers().with_season_length(1).unwrap())
        .unwrap();
    assert!(
        (f.report().log_likelihood - -831.48835).abs() < 1e-2,
        "{}",
        f.report().log_likelihood
    );
    assert!((f.report().aicc - 1673.41149).abs() < 2e-2);
    assert!((f.report().bic - 1687.82577).abs() < 2e-2);
}

#[test]
fn auto_finds_aicc_at_or_below_r() {
    let y = air_passengers();
    let f = Ets::auto().fit(&y).unwrap();
    assert!(
        f.report().aicc <= 1400.64,
        "{} {}",
        f.spec(),
        f.report().aicc
    );
    // The winner beats every candidate it was compared with.
    for spec in Ets::auto().candidates(&y) {
        let other = Ets::params(spec).fit(&y).unwrap();
        assert!(
            f.report().aicc <= other.report().aicc + 1e-9,
            "{} beats {}",
            spec,
            f.spec()
        );
    }
    // Without seasonality R stops at M,N,N (AICc 1674.07); the best known is M,A,N.
    let ns = Ets::auto().fit(&y.with_season_length(1).unwrap()).unwrap();
    assert!(
        ns.report().aicc <= 1674.0717,
        "{} {}",
        ns.spec(),
        ns.report().aicc
    );
}

#[test]
fn constant_and_linear_series_forecast_themselves() {
    let c = Series::new(&[7.5; 30], 1).unwrap();
    for model in [Ets::simple(), Ets::holt(false), Ets::holt(true)] {
        let f = model.fit(&c).unwrap().forecast(5, &[0.95]).unwrap();
        for v in &f.mean {
            assert!((v - 7.5).abs() < 1e-6, "{v}");
        }
    }
    let auto = Ets::auto().fit(&c).unwrap().forecast(3, &[0.9]).unwrap();
    assert!(auto.mean.iter().all(|v| (v - 7.5).abs() < 1e-6));
    let line: Vec<f64> = (0..40).map(|t| 3.0 + 2.0 * t as f64).collect();
    let f = Ets::holt(false)
        .fit(&Series::new(&line, 1).unwrap())
        .unwrap()
        .forecast(4, &[])
        .unwrap();
    for (h, v) in f.mean.iter().enumerate() {
        let want = 3.0 + 2.0 * (40 + h) as f64;
        assert!((v - want).abs() < 1e-4 * want, "{v} vs {want}");
    }
}

#[test]
fn intervals_widen_with_horizon_and_level() {
    let y = air_passengers();
    for s in [
        fit(EA, TA, SA),
        fit(EM, TA, SA),
        fit(EM, TD, SM),
        fit(EA, TN, SM),
    ] {
        let f = s.forecast(24, &[0.8, 0.95]).unwrap();
        for h in 0..24 {
            let (i80, i95) = (&f.intervals[0], &f.intervals[1]);
            assert!(
                i95.lower[h] <= i80.lower[h] && i80.lower[h] <= f.mean[h],
                "{} h={h}",
                s.spec()
            );
            assert!(
                i95.upper[h] >= i80.upper[h] && i80.upper[h] >= f.mean[h],
                "{} h={h}",
                s.spec()
            );
        }
        let width = |h: usize| f.intervals[1].upper[h] - f.intervals[1].lower[h];
        assert!(width(23) > width(0), "{}", s.spec());
        assert_eq!(s.fitted().len(), y.len());
        for ((r, fv), v) in s.residuals().iter().zip(s.fitted()).zip(y.values()) {
            assert!((r + fv - v).abs() < 1e-9);
        }
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let y = air_passengers();
    // Seasonal model without a season.
    let e = Ets::holt_winters(SA, false)
        .fit(&y.with_season_length(1).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "season_length",
                ..
            }
        ),
        "{e}"
    );
    let e = Ets::holt_winters(SA, false)
        .season_length(52)
        .fit(&y)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "season_length",
                ..
            }
        ),
        "{e}"
    );
    // Multiplicative component with a zero.
    let mut v = y.values().to_vec();
    v[10] = 0.0;
    let z = Series::new(&v, 12).unwrap();
    let e = Ets::params(spec(EM, TN, SN)).fit(&z).unwrap_err();
    assert!(matches!(e, Error::InvalidValue { row: 10, .. }), "{e}");
    // ... which auto simply leaves out.
    assert_eq!(Ets::auto().fit(&z).unwrap().spec().error, EA);
    // Too short for the parameters: ETS(A,A,A) with m = 12 needs 17 + 2 observations.
    let short = y.head(18).unwrap();
    let e = Ets::params(spec(EA, TA, SA)).fit(&short).unwrap_err();
    assert!(matches!(e, Error::InsufficientData { .. }), "{e}");
    let e = Ets::auto()
        .fit(&Series::new(&[1.0, 2.0, 3.0], 1).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::InsufficientData { .. }), "{e}");
    // Forecast requests.
    let f = Ets::simple().fit(&y).unwrap();
    assert!(matches!(
        f.forecast(0, &[0.9]),
        Err(Error::InvalidParameter { name: "h", .. })
    ));
    assert!(matches!(
        f.forecast(3, &[95.0]),
        Err(Error::InvalidParameter { name: "levels", .. })
    ));
    // Series construction.
    assert!(matches!(Series::new(&[], 12), Err(Error::Empty { .. })));
    assert!(matches!(
        Series::new(&[1.0, f64::INFINITY], 12),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        Series::new(&[1.0], 0),
        Err(Error::InvalidParameter { .. })
    ));
}

#[cfg(feature = "serde")]
#[test]
fn fitted_model_round_trips_through_serde() {
    let f = fit(EM, TD, SM);
    let back: patronage::forecast::ets::FittedEts =
        serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(back, f);
}

#[test]
fn mase_scale_matches_r_accuracy() {
    // R's accuracy() on AirPassengers: ETS MAE 7.791605 with MASE 0.243257 and
    // auto.arima MAE 7.867540 with MASE 0.245628 imply one seasonal naive scale.
    use patronage::forecast::metrics::mase_scale;
    let scale = mase_scale(&air_passengers()).unwrap();
    assert!((7.791605 / scale - 0.243257).abs() < 1e-6, "{scale}");
    assert!((7.867540 / scale - 0.245628).abs() < 1e-6, "{scale}");
}

#[test]
fn rolling_origin_cross_validation_counts_origins_and_steps() {
    use patronage::forecast::metrics::cross_validate;
    let y = air_passengers();
    let cv = cross_validate(&y, 12, 12, 96, &Ets::params(spec(EM, TA, SM))).unwrap();
    assert_eq!(cv.origins, vec![96, 108, 120, 132]);
    assert!(cv.errors.iter().all(|r| r.len() == 12));
    // Every origin reaches all 12 steps; on average over the year ahead a seasonal model
    // beats the seasonal naive scale.
    assert!(cv.mase.iter().all(|m| m.is_finite()), "{:?}", cv.mase);
    assert!(cv.mase.iter().sum::<f64>() / 12.0 < 1.0, "{:?}", cv.mase);
    // Errors are actual minus forecast: recompute one.
    let f = Ets::params(spec(EM, TA, SM))
        .fit(&y.head(120).unwrap())
        .unwrap()
        .forecast(1, &[])
        .unwrap();
    assert!((cv.errors[2][0] - (y.values()[120] - f.mean[0])).abs() < 1e-9);
    assert!(matches!(
        cross_validate(&y, 0, 1, 10, &Ets::simple()),
        Err(Error::InvalidParameter {
            name: "horizon",
            ..
        })
    ));
    assert!(matches!(
        cross_validate(&y, 1, 1, 144, &Ets::simple()),
        Err(Error::InvalidParameter {
            name: "initial",
            ..
        })
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Every ETS model forecasts a constant series as that constant.
        #[test]
        fn constant_series_forecast_the_constant(level in 0.5f64..1e4, n in 12usize..60) {
            let s = Series::new(&vec![level; n], 4).unwrap();
            for model in [Ets::simple(), Ets::holt(true), Ets::params(spec(EM, TN, SM)).season_length(4)] {
                let f = model.fit(&s).unwrap().forecast(6, &[0.9]).unwrap();
                for v in &f.mean {
                    prop_assert!((v - level).abs() <= 1e-6 * level, "{} vs {}", v, level);
                }
            }
        }

        /// Revenue per period sums to the log's total, whatever the period.
        #[test]
        fn revenue_series_preserve_the_total(rows in proptest::collection::vec((0u8..20, 0i32..400, 0.0f64..100.0), 1..200)) {
            use patronage::forecast::series::{revenue, orders, Period};
            use patronage::{Day, Transaction, TransactionLog};
            let rows: Vec<_> = rows.into_iter().map(|(c, d, a)| Transaction { customer: c, day: Day(d), amount: a }).collect();
            let log = TransactionLog::new(&rows).unwrap();
            let total: f64 = rows.iter().map(|t| t.amount).sum();
            for period in [Period::Day, Period::Week, Period::Month] {
                let s = revenue(&log, period).unwrap();
                prop_assert!((s.values().iter().sum::<f64>() - total).abs() <= 1e-9 * (1.0 + total));
                prop_assert_eq!(orders(&log, period).unwrap().values().iter().sum::<f64>(), rows.len() as f64);
            }
        }
    }
}

/// One row of `tests/data/ets_r/reference.csv` (made by `make_reference.R` there).
struct RReference {
    series: String,
    frequency: usize,
    spec: EtsSpec,
    loglik: f64,
    aicc: f64,
}

fn parse_spec(s: &str) -> EtsSpec {
    let b = s.as_bytes();
    let error = if b[0] == b'M' { EM } else { EA };
    let (trend, rest) = match &s[1..] {
        t if t.starts_with("Ad") => (TD, &t[2..]),
        t if t.starts_with('A') => (TA, &t[1..]),
        t => (TN, &t[1..]),
    };
    let season = match rest {
        "A" => SA,
        "M" => SM,
        _ => SN,
    };
    spec(error, trend, season)
}

fn r_references() -> Vec<RReference> {
    let text = std::fs::read_to_string("tests/data/ets_r/reference.csv")
        .expect("tests/data/ets_r/reference.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            RReference {
                series: f[0].to_string(),
                frequency: f[1].parse().unwrap(),
                spec: parse_spec(f[2]),
                loglik: f[4].parse().unwrap(),
                aicc: f[6].parse().unwrap(),
            }
        })
        .collect()
}

/// An R dataset stored by `make_reference.R` (columns time, value).
fn r_series(name: &str, frequency: usize) -> Series {
    let rows = common::csv(&format!("tests/data/ets_r/{name}.csv"));
    let values: Vec<f64> = rows.iter().map(|r| r[1]).collect();
    Series::new(&values, frequency).unwrap()
}

#[test]
fn every_fixed_specification_reaches_r_likelihood_on_r_datasets() {
    // R's ets() (forecast 8.20, bounds = "both") on twelve R datasets, every model it
    // considers with restrict = TRUE. Our optimum may be better than R's (its
    // Nelder-Mead stops at local optima), never worse by more than 1e-3 in the
    // log-likelihood (issue 14: co2 ETS(M,Ad,M) stopped at -843.33 against R's
    // -842.55; seven trend models were further below). The criteria count parameters
    // as R does: AICc differs from R's by exactly -2 x the log-likelihood difference,
    // so it agrees with R's wherever the optimum does.
    const TOL: f64 = 1e-3;
    let mut failures = Vec::new();
    let mut cache: Option<(String, Series)> = None;
    for r in r_references() {
        if cache.as_ref().is_none_or(|(name, _)| *name != r.series) {
            cache = Some((r.series.clone(), r_series(&r.series, r.frequency)));
        }
        let y = &cache.as_ref().unwrap().1;
        let f = Ets::params(r.spec).fit(y).unwrap();
        let gain = f.report().log_likelihood - r.loglik;
        eprintln!(
            "{:<15} {:<12} R {:>14.6} ours {:>14.6} ({:+.4})",
            r.series,
            r.spec.to_string(),
            r.loglik,
            f.report().log_likelihood,
            gain
        );
        if gain < -TOL {
            failures.push(format!("{} {} {gain:+.5}", r.series, r.spec));
        }
        assert!(
            (f.report().aicc - r.aicc + 2.0 * gain).abs() < 1e-5 * r.aicc.abs().max(1.0),
            "{} {}: AICc {} vs R {}",
            r.series,
            r.spec,
            f.report().aicc,
            r.aicc
        );
    }
    assert!(failures.is_empty(), "below R's optimum: {failures:#?}");
}

#[test]
fn fitted_model_reports_its_parameters_and_fit() {
    use patronage::forecast::ets::AutoEts;
    let y = air_passengers();
    let f = fit(EM, TD, SM);
    let report = f.report();
    assert_eq!(report.n_obs, 144.0);
    assert!(report.standard_errors.is_none());
    assert!(report.iterations > 0);
    let names = f.parameter_names();
    assert_eq!(names.len(), report.n_params);
    assert_eq!(&names[..6], ["alpha", "beta", "gamma", "phi", "l", "b"]);
    assert_eq!(names[6], "s1");
    assert_eq!(names[16], "s11");
    assert_eq!(names[17], "sigma2");
    let values = f.parameter_values();
    assert_eq!(values[0], f.alpha());
    assert_eq!(Some(values[1]), f.beta());
    assert_eq!(Some(values[3]), f.phi());
    assert_eq!(&values[4..17], &f.initial_state()[..13]);
    assert_eq!(values[17], f.sigma2());
    let simple = Ets::simple().fit(&y).unwrap();
    assert_eq!(simple.parameter_names(), ["alpha", "l", "sigma2"]);
    assert_eq!(simple.parameters().len(), simple.report().n_params);
    // The optimizer's settings are checked at fit time.
    for bad in [
        Ets::simple().max_iter(0),
        Ets::simple().tol(f64::NAN),
        Ets::simple().tol(0.0),
    ] {
        assert!(matches!(bad.fit(&y), Err(Error::InvalidParameter { .. })));
    }
    assert!(matches!(
        AutoEts::default().max_iter(0).fit(&y),
        Err(Error::InvalidParameter {
            name: "max_iter",
            ..
        })
    ));
    // A generous budget reaches the same optimum as the default.
    let again = Ets::params(spec(EM, TD, SM))
        .max_iter(1_000)
        .tol(1e-6)
        .fit(&y)
        .unwrap();
    assert!((again.report().log_likelihood - report.log_likelihood).abs() < 1e-6);
}

#[test]
fn a_model_at_given_values_reproduces_its_fit() {
    let y = air_passengers();
    for (e, t, s) in [(EM, TD, SM), (EA, TA, SA), (EA, TN, SN), (EM, TA, SN)] {
        let f = fit(e, t, s);
        let again = Ets::params(spec(e, t, s))
            .fixed(f.coefficients())
            .fit(&y)
            .unwrap();
        let (ll, ll2) = (f.report().log_likelihood, again.report().log_likelihood);
        assert!(
            (ll2 - ll).abs() <= 1e-9 * ll.abs(),
            "{}: {ll} vs {ll2}",
            f.spec()
        );
        assert_eq!(again.report().n_params, f.report().n_params);
        assert!((again.report().aicc - f.report().aicc).abs() <= 1e-9 * ll.abs());
        assert_eq!(
            (again.report().iterations, again.report().converged),
            (0, false)
        );
        assert_eq!(again.fitted(), f.fitted());
        assert_eq!(again.residuals(), f.residuals());
        assert_eq!(again.last_state(), f.last_state());
        assert_eq!(
            again.forecast(12, &[0.9]).unwrap(),
            f.forecast(12, &[0.9]).unwrap()
        );
        assert_eq!(f.apply_to(&y).unwrap(), again);
        // Other smoothing parameters fit worse.
        let mut other = f.coefficients();
        other.alpha = (other.alpha * 0.5).max(0.05);
        let worse = Ets::params(spec(e, t, s)).fixed(other).fit(&y).unwrap();
        assert!(worse.report().log_likelihood < ll, "{}", f.spec());
    }
    // Applied to another series: the first ten years, without re-estimation.
    let f = fit(EM, TD, SM);
    let head = f.apply_to(&y.head(120).unwrap()).unwrap();
    assert_eq!(head.alpha(), f.alpha());
    assert_eq!(head.fitted(), &f.fitted()[..120]);
}

#[test]
fn bad_given_values_are_typed_errors() {
    let y = air_passengers();
    let f = fit(EA, TA, SA);
    let c = f.coefficients();
    let with = |edit: &dyn Fn(&mut patronage::forecast::ets::EtsCoefficients)| {
        let mut c = c.clone();
        edit(&mut c);
        Ets::params(spec(EA, TA, SA)).fixed(c).fit(&y)
    };
    assert!(matches!(
        with(&|c| c.beta = None),
        Err(Error::InvalidParameter { name: "beta", .. })
    ));
    assert!(matches!(
        with(&|c| c.phi = Some(0.9)),
        Err(Error::InvalidParameter { name: "phi", .. })
    ));
    assert!(matches!(
        with(&|c| c.alpha = f64::NAN),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(
        with(&|c| c.gamma = Some(1.5)),
        Err(Error::InvalidParameter { name: "gamma", .. })
    ));
    // Inside [0, 1] but outside the admissible region.
    assert!(matches!(
        with(&|c| {
            c.alpha = 1.0;
            c.beta = Some(1.0);
            c.gamma = Some(1.0);
        }),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        with(&|c| {
            c.initial_state.pop();
        }),
        Err(Error::LengthMismatch {
            field: "initial_state",
            ..
        })
    ));
    assert!(matches!(
        with(&|c| c.initial_state[3] = f64::INFINITY),
        Err(Error::NonFinite {
            field: "initial_state",
            row: 3,
            ..
        })
    ));
}

#[test]
fn cross_validation_takes_any_forecaster() {
    use patronage::forecast::arima::Arima;
    use patronage::forecast::metrics::{cross_validate, cross_validate_with};
    let y = air_passengers().ln().unwrap();
    let model = Arima::params(0, 1, 1).seasonal(0, 1, 1);
    let cv = cross_validate(&y, 6, 12, 96, &model).unwrap();
    let by_hand =
        cross_validate_with(&y, 6, 12, 96, |s, h| model.fit(s)?.forecast(h, &[])).unwrap();
    assert_eq!(cv, by_hand);
    assert_eq!(cv.origins, vec![96, 108, 120, 132]);
    let auto = cross_validate(&y, 3, 24, 96, &Ets::auto().additive_only(true)).unwrap();
    assert!(auto.mae.iter().all(|m| m.is_finite()));
}
