//! Forecast-depth benches: the intermittent-demand methods (fit and a 28-step forecast)
//! over the four stored statsforecast reference series (tests/data/forecast_depth/
//! intermittent_series.csv: 120, 200, 60 and 20 periods; one iteration fits all four),
//! Theta (fit and a 24-step forecast with 80% and 95% intervals) on R's AirPassengers,
//! USAccDeaths (monthly) and UKgas (quarterly), statsforecast's AutoTheta (all four
//! variants fitted, the best kept; fit and the same forecast) on the same three, and Guerrero's Box-Cox lambda on
//! AirPassengers; MSTL (periods 7 and 365.25) and MSTL + ETS (fit and a 28-step
//! forecast with 80% and 95% intervals, R's `forecast(mstl(y))`) on the stored 3-year
//! daily series (tests/data/forecast_depth/mstl_series.csv, 1,096 days; target
//! < 10 ms), and on six weeks of R's half-hourly `taylor` (2,016 values, periods 48 and
//! 336). One thread.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::forecast::Series;
use patronage::forecast::boxcox::guerrero;
use patronage::forecast::intermittent::Intermittent;
use patronage::forecast::mstl::{Mstl, Stlf};
use patronage::forecast::theta::Theta;
use patronage::forecast::theta_auto::AutoTheta;
use patronage::prelude::*;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/forecast_depth/");

/// Series of a long CSV: `name_col` names the series, `value_col` holds the value.
fn read(file: &str, name_col: usize, value_col: usize) -> BTreeMap<String, (usize, Vec<f64>)> {
    let text = std::fs::read_to_string(format!("{DIR}{file}")).expect("stored data");
    let mut out: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let period = if file == "r_series.csv" {
            f[1].parse().expect("period")
        } else {
            1
        };
        out.entry(f[name_col].to_string())
            .or_insert_with(|| (period, Vec::new()))
            .1
            .push(f[value_col].parse().expect("value"));
    }
    out
}

fn benches(c: &mut Criterion) {
    let intermittent: Vec<Vec<f64>> = read("intermittent_series.csv", 0, 2)
        .into_values()
        .map(|(_, v)| v)
        .collect();
    let mut g = c.benchmark_group("intermittent (4 series per iteration)");
    g.measurement_time(Duration::from_secs(2));
    for (name, params) in [
        ("Croston", Intermittent::croston()),
        ("SBA", Intermittent::sba()),
        ("TSB", Intermittent::tsb(0.2, 0.1)),
        ("CrostonOptimized", Intermittent::croston_optimized()),
        ("ADIDA", Intermittent::adida()),
        ("IMAPA", Intermittent::imapa()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for y in &intermittent {
                    let f = params.fit(black_box(&y[..])).expect("fit");
                    black_box(f.forecast(28, &[]).expect("forecast"));
                }
            })
        });
    }
    g.finish();

    let r = read("r_series.csv", 0, 3);
    let mut g = c.benchmark_group("theta");
    g.measurement_time(Duration::from_secs(2));
    for name in ["AirPassengers", "USAccDeaths", "UKgas"] {
        let (m, v) = &r[name];
        let s = Series::new(v, *m).expect("finite");
        g.bench_function(name, |b| {
            b.iter(|| {
                let f = Theta::params().fit(black_box(&s)).expect("fit");
                black_box(f.forecast(24, &[0.8, 0.95]).expect("forecast"))
            })
        });
    }
    for name in ["AirPassengers", "USAccDeaths", "UKgas"] {
        let (m, v) = &r[name];
        let s = Series::new(v, *m).expect("finite");
        g.bench_function(format!("AutoTheta {name}"), |b| {
            b.iter(|| {
                let f = AutoTheta::params().fit(black_box(&s)).expect("fit");
                black_box(f.forecast(24, &[0.8, 0.95]).expect("forecast"))
            })
        });
    }
    let (m, v) = &r["AirPassengers"];
    let air = Series::new(v, *m).expect("finite");
    g.bench_function("Guerrero lambda AirPassengers", |b| {
        b.iter(|| guerrero(black_box(&air), -1.0, 2.0).expect("lambda"))
    });
    g.finish();

    let mut g = c.benchmark_group("mstl");
    g.measurement_time(Duration::from_secs(3));
    for (name, periods) in [
        ("daily 3 years", [7.0, 365.25]),
        ("taylor 6 weeks", [48.0, 336.0]),
    ] {
        let key = name.split(' ').next().expect("name");
        let v = mstl_series(key);
        let s = Series::new(&v, periods[0] as usize).expect("finite");
        g.bench_function(format!("decomposition {name}"), |b| {
            b.iter(|| Mstl::params(&periods).fit(black_box(&v[..])).expect("fit"))
        });
        g.bench_function(format!("MSTL + ETS {name}"), |b| {
            b.iter(|| {
                let f = Stlf::ets(Mstl::params(&periods))
                    .fit(black_box(&s))
                    .expect("fit");
                black_box(f.forecast(28, &[0.8, 0.95]).expect("forecast"))
            })
        });
    }
    g.finish();
}

/// One series of mstl_series.csv (series, periods, index, value).
fn mstl_series(name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(format!("{DIR}mstl_series.csv")).expect("stored data");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == name)
        .map(|f| f[3].parse().expect("value"))
        .collect()
}

criterion_group!(forecast_depth, benches);
criterion_main!(forecast_depth);
