//! Retention on the CDNOW sample: the monthly cohort retention matrix and the
//! Kaplan-Meier survival curve of customer lifetimes.
//!
//! Run with `cargo run --release --example retention`.

use patronage::cohort::{CohortPeriod, retention};
use patronage::survival::{KaplanMeier, lifetimes};
use patronage::{Day, Transaction, TransactionLog};

fn parse_cdnow(text: &str) -> Result<Vec<Transaction<u32>>, Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let ymd: i32 = f.get(2).ok_or("missing date")?.parse()?;
        let day = Day::from_ymd(ymd / 10_000, (ymd / 100 % 100) as u32, (ymd % 100) as u32)?;
        rows.push(Transaction {
            customer: f[1].parse()?,
            day,
            amount: f.get(4).ok_or("missing amount")?.parse()?,
        });
    }
    Ok(rows)
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let table = retention(&log, CohortPeriod::Month)?;
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
    let (_, durations, events) = lifetimes(&log, end, 180)?;
    let churned = events.iter().filter(|&&e| e == 1.0).count();
    let km = KaplanMeier::fit(&durations, &events)?;
    println!(
        "survival of customer lifetimes ({churned} of {} churned: 180 days without a purchase by {end})",
        durations.len()
    );
    println!("{:>6} {:>9} {:>17}", "day", "S(t)", "95% interval");
    for t in [0.0, 30.0, 90.0, 180.0, 270.0, 365.0, 450.0] {
        let (lo, hi) = km.interval_at(t, 0.95)?;
        println!(
            "{t:>6} {:>9.3} {:>17}",
            km.survival_at(t),
            format!("[{lo:.3}, {hi:.3}]")
        );
    }
    match km.median() {
        Some(m) => println!("median lifetime: {m} days"),
        None => println!("median lifetime: not reached (more than half still active)"),
    }
    Ok(())
}
