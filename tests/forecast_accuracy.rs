//! Accuracy, not only agreement: rolling-origin cross-validation MASE of each forecaster
//! against seasonal naive, on monthly-1000 (`simulate::monthly_series`) and on three
//! years of daily revenue with weekly and yearly seasons. A study, not a check (it
//! takes minutes in release): run with
//! `cargo test --release --test forecast_accuracy -- --ignored --nocapture`.
//! The figures are in the README's forecast row and the CHANGELOG.

use patronage::forecast::arima::Arima;
use patronage::forecast::ets::Ets;
use patronage::forecast::metrics::cross_validate_with;
use patronage::forecast::mstl::{Mstl, Stlf};
use patronage::forecast::theta::Theta;
use patronage::forecast::theta_auto::AutoTheta;
use patronage::forecast::{Forecast, Forecaster, Series};
use patronage::prelude::*;

type Method = (
    &'static str,
    Box<dyn Fn(&Series, usize) -> patronage::Result<Forecast>>,
);

fn seasonal_naive(s: &Series, h: usize) -> patronage::Result<Forecast> {
    let (y, m) = (s.values(), s.season_length().max(1));
    let n = y.len();
    Ok(Forecast {
        mean: (0..h).map(|j| y[n - m + (j % m)]).collect(),
        intervals: vec![],
    })
}

/// Mean MASE over the horizon steps and the series, per method (series where a method
/// fails are counted for the others and reported).
fn study(
    name: &str,
    series: &[Series],
    horizon: usize,
    step: usize,
    initial: usize,
    methods: &[Method],
) {
    println!(
        "\n{name}: {} series, horizon {horizon}, origins every {step} from {initial}",
        series.len()
    );
    let mut base = f64::NAN;
    for (label, method) in methods {
        let (mut total, mut count, mut failed) = (0.0, 0usize, 0usize);
        for s in series {
            match cross_validate_with(s, horizon, step, initial, |train, h| method(train, h)) {
                Ok(cv) => {
                    let finite: Vec<f64> =
                        cv.mase.iter().copied().filter(|v| v.is_finite()).collect();
                    if finite.is_empty() {
                        failed += 1;
                    } else {
                        total += finite.iter().sum::<f64>() / finite.len() as f64;
                        count += 1;
                    }
                }
                Err(_) => failed += 1,
            }
        }
        let mase = total / count as f64;
        if label.starts_with("seasonal naive") {
            base = mase;
        }
        println!(
            "  {label:<28} MASE {mase:.4}  relative to seasonal naive {:.3}  (failed on {failed})",
            mase / base
        );
    }
}

#[test]
#[ignore = "a study of several minutes in release; run with --ignored --nocapture"]
fn accuracy_against_seasonal_naive() {
    let monthly: Vec<Series> = patronage::simulate::monthly_series(1_000, 120, 2026)
        .expect("simulated")
        .iter()
        .map(|v| Series::new(v, 12).expect("valid"))
        .collect();
    let monthly_methods: Vec<Method> = vec![
        ("seasonal naive", Box::new(seasonal_naive)),
        (
            "auto ETS",
            Box::new(|s, h| Ets::auto().fit(s)?.forecast(h, &[])),
        ),
        (
            "auto ARIMA",
            Box::new(|s, h| Arima::auto().fit(s)?.forecast(h, &[])),
        ),
        (
            "Theta",
            Box::new(|s, h| Theta::params().season_length(12).fit(s)?.forecast(h, &[])),
        ),
        (
            "AutoTheta",
            Box::new(|s, h| {
                AutoTheta::params()
                    .season_length(12)
                    .fit(s)?
                    .forecast(h, &[])
            }),
        ),
        (
            "STL + ETS (stlf)",
            Box::new(|s, h| Stlf::ets(Mstl::params(&[12.0])).fit(s)?.forecast(h, &[])),
        ),
    ];
    study("monthly-1000", &monthly, 12, 12, 72, &monthly_methods);

    // Daily revenue: weekly and yearly seasons, trend, multiplicative noise (5 series).
    let daily: Vec<Series> = (0..5u64)
        .map(|seed| {
            let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let y: Vec<f64> = (0..1_096)
                .map(|d| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                    let t = d as f64;
                    let weekly = [1.0, 0.9, 0.95, 1.0, 1.1, 1.5, 0.6][d % 7];
                    let yearly = 1.0 + 0.3 * (std::f64::consts::TAU * (t - 340.0) / 365.25).cos();
                    (1_000.0 + 0.3 * t) * weekly * yearly * (0.85 + 0.3 * u)
                })
                .collect();
            Series::new(&y, 7).expect("valid")
        })
        .collect();
    let daily_methods: Vec<Method> = vec![
        ("seasonal naive (weekly)", Box::new(seasonal_naive)),
        (
            "auto ETS (m = 7)",
            Box::new(|s, h| Ets::auto().fit(s)?.forecast(h, &[])),
        ),
        (
            "Theta (m = 7)",
            Box::new(|s, h| Theta::params().season_length(7).fit(s)?.forecast(h, &[])),
        ),
        (
            "AutoTheta (m = 7)",
            Box::new(|s, h| {
                AutoTheta::params()
                    .season_length(7)
                    .fit(s)?
                    .forecast(h, &[])
            }),
        ),
        (
            "MSTL (7, 365.25) + ETS",
            Box::new(|s, h| {
                Stlf::ets(Mstl::params(&[7.0, 365.25]))
                    .fit(s)?
                    .forecast(h, &[])
            }),
        ),
    ];
    study(
        "daily revenue, 3 years",
        &daily,
        28,
        28,
        760,
        &daily_methods,
    );
}
