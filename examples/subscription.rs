//! Contractual churn with the shifted-beta-geometric (sBG) model on Fader & Hardie's
//! (2007) "regular" and "high end" subscribers: fit on years 0-7, the retention curve,
//! survivors projected for years 8-12 against what was observed, then each segment's
//! value: discounted expected residual lifetime (DERL) by tenure and E[CLV] of a new
//! customer, and the value of the customers still active from several cohorts.
//!
//! Run with `cargo run --release --example subscription`.

use patronage::clv::{RenewalData, ShiftedBetaGeometric};
use patronage::prelude::*;

/// Survivors per 1,000 customers acquired in year 0, years 0-12 (Fader & Hardie 2007).
const SEGMENTS: [(&str, [f64; 13]); 2] = [
    (
        "regular",
        [
            1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0, 223.0, 207.0, 194.0, 183.0,
            173.0,
        ],
    ),
    (
        "high end",
        [
            1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0, 468.0, 445.0, 427.0, 409.0,
            394.0,
        ],
    ),
];

/// Margin per renewal (a yearly subscription) and the yearly discount rate.
const MARGIN: f64 = 100.0;
const DISCOUNT: f64 = 0.10;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (name, survivors) in SEGMENTS {
        // Fit on the first 8 values (years 0-7); years 8-12 are held out.
        let data = RenewalData::from_survivors(&survivors[..8])?;
        let model = ShiftedBetaGeometric::params().fit(&data)?;
        println!("== {name} ({} customers, years 0-7)", data.customers());
        for p in model.parameters() {
            let se = p.standard_error.unwrap_or(f64::NAN);
            println!("  {:<5} = {:.3} (se {se:.3})", p.name, p.estimate);
        }
        let report = model.report();
        println!(
            "  log-likelihood {:.1}, AIC {:.1}, BIC {:.1}, {} iterations",
            report.log_likelihood, report.aic, report.bic, report.iterations
        );

        let retention = model.retention_curve(12)?;
        let projected = model.expected_survivors(1000.0, 12)?;
        println!("\n  year  retention  survivors  projected");
        for year in 0..=12usize {
            let rate = match year {
                0 => "".to_string(),
                _ => format!("{:.3}", retention[year - 1]),
            };
            let held_out = if year > 7 { " (held out)" } else { "" };
            println!(
                "  {year:>4}  {rate:>9}  {:>9.0}  {:>9.1}{held_out}",
                survivors[year], projected[year]
            );
        }

        println!(
            "\n  at {MARGIN} per renewal and {:.0}% a year:",
            100.0 * DISCOUNT
        );
        println!(
            "  E[CLV] of a new customer (paying at acquisition): {:.2}",
            model.expected_lifetime_value(MARGIN, DISCOUNT)?
        );
        for renewals in [0u32, 1, 4, 10] {
            let derl = model.discounted_expected_residual_lifetime(DISCOUNT, renewals)?;
            let value = model.residual_lifetime_value(MARGIN, DISCOUNT, renewals)?;
            println!("  after {renewals:>2} renewals: DERL {derl:.3}, residual value {value:.2}");
        }

        // The customers still active from cohorts acquired 7, 3 and 1 years ago, each
        // valued at their next renewal decision: survivors of year k have renewed k
        // times (the paper's n - 1 = k).
        let mut base = 0.0;
        for age in [7u32, 3, 1] {
            let active = survivors[age as usize];
            base += active * model.residual_lifetime_value(MARGIN, DISCOUNT, age)?;
        }
        println!("  residual value of the active base (3 cohorts): {base:.0}");
        // What the survivors of the oldest cohort will look like in 5 more years.
        let next = model.project_survivors(survivors[7], 7, 5)?;
        let next: Vec<String> = next.iter().map(|v| format!("{v:.0}")).collect();
        println!(
            "  the year-0 cohort's survivors in years 8-12: {}\n",
            next.join(", ")
        );
    }
    Ok(())
}
