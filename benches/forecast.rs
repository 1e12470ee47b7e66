//! Forecasting benches: the airline model ARIMA(0,1,1)(0,1,1)[12] on log(AirPassengers),
//! ETS(M,Ad,M) on AirPassengers, and `Ets::auto` / `Arima::auto` on "monthly-1000"
//! (1,000 monthly series of length 120 from `simulate::monthly_series`, seed 42), timed
//! on its first 20 series. Every fit runs on one thread.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::forecast::Series;
use patronage::forecast::arima::Arima;
use patronage::forecast::ets::{ErrorType, Ets, EtsSpec, SeasonType, TrendType};
use patronage::prelude::*;
use patronage::simulate::{MONTHLY_SEASON, monthly_series};

#[path = "../tests/common/mod.rs"]
mod common;
use common::air_passengers;

fn benches(c: &mut Criterion) {
    let log_air = air_passengers().ln().expect("positive");
    let monthly: Vec<Series> = monthly_series(1000, 120, 42)
        .expect("1,000 series are within MAX_SERIES")
        .iter()
        .map(|v| Series::new(v, MONTHLY_SEASON).expect("finite, positive values"))
        .collect();
    let mut g = c.benchmark_group("forecast");
    g.bench_function(
        "airline ARIMA(0,1,1)(0,1,1)[12] fit on log AirPassengers",
        |b| {
            b.iter(|| {
                Arima::params(0, 1, 1)
                    .seasonal(0, 1, 1)
                    .fit(black_box(&log_air))
                    .expect("fit")
            })
        },
    );
    g.bench_function("auto ARIMA on AirPassengers", |b| {
        let raw = air_passengers();
        b.iter(|| Arima::auto().fit(black_box(&raw)).expect("fit"))
    });
    g.bench_function("ETS(M,Ad,M) fit on AirPassengers", |b| {
        let raw = air_passengers();
        let spec = EtsSpec::new(
            ErrorType::Multiplicative,
            TrendType::Damped,
            SeasonType::Multiplicative,
        );
        b.iter(|| Ets::params(spec).fit(black_box(&raw)).expect("fit"))
    });
    g.bench_function("auto ETS on AirPassengers", |b| {
        let raw = air_passengers();
        b.iter(|| Ets::auto().fit(black_box(&raw)).expect("fit"))
    });
    g.sample_size(10);
    g.bench_function(
        "auto ETS on 20 monthly-1000 series (divide by 20 per series)",
        |b| {
            b.iter(|| {
                monthly[..20]
                    .iter()
                    .map(|s| {
                        Ets::auto()
                            .fit(black_box(s))
                            .map(|f| f.report().aicc)
                            .unwrap_or(f64::NAN)
                    })
                    .sum::<f64>()
            })
        },
    );
    g.bench_function(
        "auto ARIMA on 20 monthly-1000 series (divide by 20 per series)",
        |b| {
            b.iter(|| {
                monthly[..20]
                    .iter()
                    .map(|s| {
                        Arima::auto()
                            .fit(black_box(s))
                            .map(|f| f.report().aicc)
                            .unwrap_or(f64::NAN)
                    })
                    .sum::<f64>()
            })
        },
    );
    g.finish();
}

criterion_group!(forecast, benches);
criterion_main!(forecast);
