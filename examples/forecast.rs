//! Revenue forecasting on the bundled CDNOW sample: weekly revenue, the last 12 weeks
//! held out, automatic ETS and ARIMA fitted on the rest, and their 12-week forecasts
//! with 80% and 95% intervals printed beside the actuals, with each model's MASE.
//!
//! Run with `cargo run --release --example forecast`.

use patronage::TransactionLog;
use patronage::forecast::arima::Arima;
use patronage::forecast::ets::Ets;
use patronage::forecast::metrics::accuracy;
use patronage::forecast::series::{Period, revenue};
use patronage::prelude::*;

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
    Ok(())
}
