//! The crate's tour on the bundled CDNOW sample: parse purchases, build the log, check
//! data quality, summarize customers, score RFM and print the segment table, then
//! lifetime value, churn risk and a revenue forecast.
//!
//! Run with `cargo run --release --example quickstart`.

use patronage::churn::{LogisticRegression, label, metrics::roc_auc};
use patronage::clv::value::lifetime_value;
use patronage::clv::{BetaGeo, GammaGamma, expected_purchases};
use patronage::forecast::ets::Ets;
use patronage::forecast::series::{Period, revenue};
use patronage::prelude::*;
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::{Day, SummaryParams, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = include_str!("data/CDNOW_sample.txt");
    let rows = parse_cdnow(text)?;

    // 1. Validate once into a columnar log, and look at the data before trusting it.
    let log = TransactionLog::new(&rows)?;
    let q = log.quality_report();
    let (first, last) = q.day_range;
    println!(
        "CDNOW sample: {} purchases by {} customers, {first} to {last}",
        q.rows, q.customers
    );
    println!(
        "quality: {} duplicate rows, {} zero amounts, {} same-day repeat orders, {} one-time customers, {} amounts above ${:.2}\n",
        q.duplicate_rows,
        q.zero_amount_rows,
        q.same_day_repeat_orders,
        q.customers_seen_once,
        q.extreme_amount_rows,
        q.extreme_threshold
    );

    // 2. Summarize: frequency, recency and T in weeks at the end of the 39-week calibration.
    let calibration_end = Day::from_ymd(1997, 9, 30)?;
    let weekly = log.summarize(&SummaryParams::new(calibration_end).time_unit_days(7.0))?;
    let repeaters = weekly.frequency().iter().filter(|&&x| x > 0.0).count();
    let mean_x = weekly.frequency().iter().sum::<f64>() / weekly.len() as f64;
    println!(
        "at {calibration_end}: {} customers, {repeaters} repeat buyers, mean repeat purchases {mean_x:.2}\n",
        weekly.len()
    );

    // 3. RFM over the whole history, scored the day after the last purchase.
    let summary = log.summarize(&SummaryParams::new(log.last_day()))?;
    let scores = RfmParams::default().score(&summary, log.last_day() + 1)?;
    let map = SegmentMap::rf_grid();
    let table = map.summarize(&summary, &scores)?;

    println!(
        "{:<20} {:>9} {:>7} {:>11} {:>8} {:>8}",
        "segment", "customers", "orders", "revenue", "AOV", "share"
    );
    for (i, s) in table.iter().enumerate().filter(|(_, s)| s.customers > 0) {
        println!(
            "{:<20} {:>9} {:>7} {:>11.2} {:>8.2} {:>7.1}%   {}",
            s.segment,
            s.customers,
            s.orders,
            s.revenue,
            s.average_order_value,
            100.0 * s.revenue_share,
            map.description(i)
        );
    }

    // 4. Lifetime value: BG/NBD purchases and Gamma-Gamma spend, fitted in weeks.
    let purchases = BetaGeo::params().fit(&weekly)?;
    let spend = GammaGamma::params().fit(&weekly)?;
    let next_year: f64 = expected_purchases(&purchases, &weekly, 52.0)?.iter().sum();
    let clv = lifetime_value(&purchases, &spend, &weekly, 12, 0.01, 4.345)?;
    println!(
        "\nBG/NBD r {:.3}, alpha {:.3}, a {:.3}, b {:.3}: {next_year:.0} repeat purchases expected in the next 52 weeks",
        purchases.r(),
        purchases.alpha(),
        purchases.a(),
        purchases.b()
    );
    println!(
        "12-month discounted CLV of the cohort: ${:.0}",
        clv.iter().sum::<f64>()
    );

    // 5. Churn risk: no purchase in the 180 days after 1997-12-31, from history up to then.
    let data = label(&log, Day::from_ymd(1997, 12, 31)?, 180)?;
    let model = LogisticRegression::params().penalty(1.0).fit(
        data.features.view(),
        ndarray::ArrayView1::from(&data.churned),
    )?;
    let risk = model.predict_proba(data.features.view())?.to_vec();
    println!(
        "churn model ROC AUC (in sample): {:.3}",
        roc_auc(&data.churned, &risk)?
    );

    // 6. Revenue forecast: monthly revenue after the launch quarter, automatic ETS.
    let monthly = revenue(&log, Period::Month)?;
    let monthly = monthly.slice(3, monthly.len())?.with_season_length(1)?;
    let ets = Ets::auto().fit(&monthly)?;
    let next = ets.forecast(3, &[0.8])?;
    println!(
        "revenue forecast ({}): next 3 months ${:.0} (80% interval for the first month ${:.0} to ${:.0})",
        ets.spec(),
        next.mean.iter().sum::<f64>(),
        next.intervals[0].lower[0],
        next.intervals[0].upper[0]
    );
    Ok(())
}
