//! Revenue forecasting on the bundled CDNOW sample: weekly revenue, the last 12 weeks
//! held out, automatic ETS and ARIMA fitted on the rest, and their 12-week forecasts
//! with 80% and 95% intervals printed beside the actuals, with each model's MASE.
//! Then daily revenue of a shop with a weekly and a yearly season (three years of a
//! deterministic synthetic log: closed on Sundays, busier on Saturdays and in
//! December): MSTL with periods 7 and 365.25 plus ETS (R's `forecast(mstl(y))`), four
//! weeks held out, against seasonal naive.
//!
//! Run with `cargo run --release --example forecast`.

use patronage::forecast::arima::Arima;
use patronage::forecast::ets::Ets;
use patronage::forecast::metrics::accuracy;
use patronage::forecast::mstl::{Mstl, Stlf};
use patronage::forecast::series::{Period, revenue};
use patronage::prelude::*;
use patronage::{Day, Transaction, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;

    // Weekly revenue (weeks start on Monday). The log ends on a Tuesday: drop that
    // partial week. Every CDNOW customer was acquired in the first quarter of 1997, so
    // those 13 weeks are a launch spike, not the business to forecast: start after it.
    // A year and a half holds no full yearly cycle to learn a 52-week season from, so
    // the series is treated as non-seasonal (MASE then scales by the naive forecast).
    let weekly = revenue(&log, Period::Week)?;
    let weekly = weekly.slice(13, weekly.len() - 1)?.with_season_length(1)?;
    let horizon = 12;
    let split = weekly.len() - horizon;
    let train = weekly.head(split)?;
    let actual = &weekly.values()[split..];
    println!(
        "weekly revenue, {} to {}: {} weeks for fitting, {horizon} held out",
        weekly.label(0),
        weekly.label(weekly.len() - 1),
        train.len()
    );

    let ets = Ets::auto().fit(&train)?;
    let arima = Arima::auto().fit(&train)?;
    let levels = [0.8, 0.95];
    let fe = ets.forecast(horizon, &levels)?;
    let fa = arima.forecast(horizon, &levels)?;
    println!(
        "{}: AICc {:.1}, alpha {:.4}",
        ets.spec(),
        ets.report().aicc,
        ets.alpha()
    );
    println!("{}: AICc {:.1}\n", arima.order(), arima.report().aicc);

    println!(
        "{:<12} {:>9} | {:>9} {:>21} {:>21} | {:>9} {:>21}",
        "week of", "actual", "ETS", "80%", "95%", "ARIMA", "95%"
    );
    for (h, actual) in actual.iter().enumerate() {
        println!(
            "{:<12} {:>9.0} | {:>9.0} [{:>8.0}, {:>8.0}] [{:>8.0}, {:>8.0}] | {:>9.0} [{:>8.0}, {:>8.0}]",
            weekly.label(split + h),
            actual,
            fe.mean[h],
            fe.intervals[0].lower[h],
            fe.intervals[0].upper[h],
            fe.intervals[1].lower[h],
            fe.intervals[1].upper[h],
            fa.mean[h],
            fa.intervals[1].lower[h],
            fa.intervals[1].upper[h],
        );
    }
    let ae = accuracy(actual, &fe.mean, &train)?;
    let aa = accuracy(actual, &fa.mean, &train)?;
    println!(
        "\nholdout MASE: ETS {:.3}, ARIMA {:.3} (RMSE {:.0} vs {:.0}; below 1 beats the in-sample naive forecast)",
        ae.mase, aa.mase, ae.rmse, aa.rmse
    );
    daily()
}

/// Daily revenue with weekly and yearly seasons, forecast by MSTL + ETS.
fn daily() -> Result<(), Box<dyn std::error::Error>> {
    let start = Day::from_ymd(2022, 1, 3)?; // a Monday
    let mut rows = Vec::new();
    let mut noise = 12345u64;
    for d in 0..1096i32 {
        if d % 7 == 6 {
            continue; // closed on Sundays: a zero in the series
        }
        let yearly = 1.0 + 0.4 * (std::f64::consts::TAU * (f64::from(d) - 350.0) / 365.25).cos();
        noise = noise
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = (noise >> 40) as f64 / (1u64 << 24) as f64 * 6.0 - 3.0;
        let busy = if d % 7 == 5 { 1.8 } else { 1.0 };
        let orders = (8.0 * yearly * busy + jitter).round().max(0.0) as u32;
        for k in 0..orders {
            noise = noise
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let amount = 20.0 + (noise >> 40) as f64 / (1u64 << 24) as f64 * 30.0;
            rows.push(Transaction {
                customer: (d as u32 * 13 + k) % 900,
                day: Day(start.0 + d),
                amount,
            });
        }
    }
    let series = revenue(&TransactionLog::new(&rows)?, Period::Day)?;
    let horizon = 28;
    let split = series.len() - horizon;
    let train = series.head(split)?;
    let actual = &series.values()[split..];
    let model = Stlf::ets(Mstl::params(Period::Day.seasonal_periods())).fit(&train)?;
    let f = model.forecast(horizon, &[0.95])?;
    println!(
        "\ndaily revenue, {} to {}: MSTL (periods {:?}) + {} on {} days, {horizon} held out",
        series.label(0),
        series.label(series.len() - 1),
        model.decomposition().periods,
        model.inner().spec(),
        train.len()
    );
    println!(
        "{:<12} {:>9} | {:>9} {:>21}",
        "day", "actual", "forecast", "95%"
    );
    for (h, actual) in actual.iter().enumerate().take(14) {
        println!(
            "{:<12} {:>9.0} | {:>9.0} [{:>8.0}, {:>8.0}]",
            series.label(split + h),
            actual,
            f.mean[h],
            f.intervals[0].lower[h],
            f.intervals[0].upper[h]
        );
    }
    let snaive: Vec<f64> = (0..horizon)
        .map(|h| train.values()[split - 7 + h % 7])
        .collect();
    let a = accuracy(actual, &f.mean, &train)?;
    let s = accuracy(actual, &snaive, &train)?;
    println!(
        "holdout MASE (scaled by the in-sample seasonal naive, m = 7): MSTL + ETS {:.3}, seasonal naive {:.3}",
        a.mase, s.mase
    );
    Ok(())
}
