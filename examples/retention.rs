//! Retention on the CDNOW sample: the monthly cohort retention matrix and the
//! Kaplan-Meier survival curve of customer lifetimes.
//!
//! Run with `cargo run --release --example retention`.

use patronage::Period;
use patronage::TransactionLog;
use patronage::cohort::retention;
use patronage::prelude::*;
use patronage::survival::{KaplanMeier, lifetimes};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let table = retention(&log, Period::Month)?;
    println!("monthly cohort retention (% of the cohort buying in month k after the first):\n");
    print!("{:<8} {:>5}", "cohort", "size");
    let width = table.active.iter().map(Vec::len).max().unwrap_or(0);
    for k in 0..width {
        print!(" {:>4}", format!("m{k}"));
    }
    println!();
    for ((label, size), rates) in table.labels.iter().zip(&table.sizes).zip(table.rates()) {
        print!("{label:<8} {size:>5}");
        for r in rates {
            print!(" {:>4.0}", 100.0 * r);
        }
        println!();
    }
    print!("{:<8} {:>5}", "average", table.sizes.iter().sum::<usize>());
    for r in table.average_rates() {
        print!(" {:>4.0}", 100.0 * r);
    }
    println!("\n");

    // Lifetimes: churned after 180 days without a purchase, else censored at the end.
    let end = log.last_day();
    let (_, durations, events) = lifetimes(&log, end, patronage::Horizon::days(180.0))?;
    let churned = events.iter().filter(|&&e| e).count();
    let km = KaplanMeier::params().fit((&durations, &events))?;
    println!(
        "survival of customer lifetimes ({churned} of {} churned: 180 days without a purchase by {end})",
        durations.len()
    );
    println!("{:>6} {:>9} {:>17}", "day", "S(t)", "95% interval");
    for t in [0.0, 30.0, 90.0, 180.0, 270.0, 365.0, 450.0] {
        let (lo, hi) = km.interval_at(t, 0.95)?;
        println!(
            "{t:>6} {:>9.3} {:>17}",
            km.survival_at(t)?,
            format!("[{lo:.3}, {hi:.3}]")
        );
    }
    match km.median() {
        Some(m) => println!("median lifetime: {m} days"),
        None => println!("median lifetime: not reached (more than half still active)"),
    }
    Ok(())
}
