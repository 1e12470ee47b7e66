//! Customer lifetime value on the CDNOW sample: BG/NBD and Gamma-Gamma fitted on the
//! 39-week calibration period (with Pareto/NBD's fit for comparison), checked against
//! the 39-week holdout, and 12-month CLV.
//!
//! Run with `cargo run --release --example clv`. The diagnostics are also drawn as SVG
//! files in `target/plots/`: the P(alive) and expected-purchases matrices, calibration
//! vs holdout, the repeat-purchase histogram and the weekly tracking plot.

use patronage::clv::diagnostics::{
    MatrixValue, calibration_holdout_table, frequency_recency_matrix, model_fit_table, tracking,
};
use patronage::clv::value::lifetime_value;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd, PurchaseModel, expected_purchases};
use patronage::prelude::*;
use patronage::{Day, SummaryParams, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
#[path = "common/plots.rs"]
mod plots;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let calibration = SummaryParams::new(Day::from_ymd(1997, 9, 30)?).time_unit_days(7.0);
    let split = log.calibration_holdout(&calibration, Day::from_ymd(1998, 6, 30)?)?;
    let cal = &split.calibration;

    let bg = BetaGeo::params().fit(cal)?;
    let gg = GammaGamma::params().fit(cal)?;
    let se = |v: &Option<Vec<f64>>, k: usize| v.as_ref().map_or(f64::NAN, |s| s[k]);
    let (bse, gse) = (&bg.report().standard_errors, &gg.report().standard_errors);
    println!(
        "BG/NBD (weeks): log-likelihood {:.4}, AIC {:.1}",
        bg.report().log_likelihood,
        bg.report().aic
    );
    for (k, (name, v)) in [
        ("r", bg.r()),
        ("alpha", bg.alpha()),
        ("a", bg.a()),
        ("b", bg.b()),
    ]
    .iter()
    .enumerate()
    {
        println!("  {name:<6} {v:>9.4} (s.e. {:.4})", se(bse, k));
    }
    let pn = ParetoNbd::params().fit(cal)?;
    println!(
        "Pareto/NBD: log-likelihood {:.4}, AIC {:.1} (r {:.4}, alpha {:.4}, s {:.4}, beta {:.4})",
        pn.report().log_likelihood,
        pn.report().aic,
        pn.r(),
        pn.alpha(),
        pn.s(),
        pn.beta()
    );
    println!(
        "Gamma-Gamma: log-likelihood {:.4}, frequency-spend correlation {:.3}",
        gg.report().log_likelihood,
        gg.frequency_spend_correlation().unwrap_or(f64::NAN)
    );
    for (k, (name, v)) in [("p", gg.p()), ("q", gg.q()), ("v", gg.v())]
        .iter()
        .enumerate()
    {
        println!("  {name:<6} {v:>9.4} (s.e. {:.4})", se(gse, k));
    }

    // Calibration vs holdout: actual and expected holdout purchases by calibration frequency.
    let expected = expected_purchases(&bg, cal, split.duration_holdout)?;
    println!(
        "\n{:>10} {:>10} {:>10} {:>10}",
        "cal. freq.", "customers", "actual", "expected"
    );
    for row in calibration_holdout_table(&bg, &split, 7)? {
        let label = format!("{}{}", row.frequency, if row.open_ended { "+" } else { "" });
        println!(
            "{label:>10} {:>10} {:>10.3} {:>10.3}",
            row.customers, row.actual, row.expected
        );
    }
    let total_actual: f64 = split.frequency_holdout.iter().sum();
    let total_expected: f64 = expected.iter().sum();
    println!("holdout repeat purchases: actual {total_actual:.0}, expected {total_expected:.1}");

    // Model fit: observed vs expected customers by calibration repeat count.
    println!("\n{:>8} {:>9} {:>9}", "repeats", "observed", "expected");
    for row in model_fit_table(|t, n| bg.probability_of_n_purchases(t, n), cal, 7)? {
        let label = format!("{}{}", row.repeats, if row.open_ended { "+" } else { "" });
        println!("{label:>8} {:>9} {:>9.1}", row.observed, row.expected);
    }

    // The standard plots, as SVG files.
    let dir = plots::plot_dir()?;
    let age = cal.age().iter().fold(0.0f64, |m, &t| m.max(t));
    for (value, name) in [
        (MatrixValue::ProbabilityAlive, "p_alive_matrix.svg"),
        (
            MatrixValue::ExpectedPurchases(1.0),
            "frequency_recency_matrix.svg",
        ),
    ] {
        let matrix = frequency_recency_matrix(&bg, value, 20, age, 40)?;
        plots::heat_map(&matrix, &dir.join(name))?;
    }
    let table = calibration_holdout_table(&bg, &split, 7)?;
    let freq: Vec<f64> = table.iter().map(|r| f64::from(r.frequency)).collect();
    let (actual, model): (Vec<f64>, Vec<f64>) =
        table.iter().map(|r| (r.actual, r.expected)).unzip();
    plots::lines(
        "Holdout purchases by calibration frequency",
        ("calibration frequency", "mean holdout purchases"),
        &freq,
        &[("actual", &actual), ("BG/NBD", &model)],
        &dir.join("calibration_holdout.svg"),
    )?;
    let fit = model_fit_table(|t, n| bg.probability_of_n_purchases(t, n), cal, 7)?;
    let labels: Vec<String> = fit
        .iter()
        .map(|r| format!("{}{}", r.repeats, if r.open_ended { "+" } else { "" }))
        .collect();
    let observed: Vec<f64> = fit.iter().map(|r| r.observed as f64).collect();
    let expected_customers: Vec<f64> = fit.iter().map(|r| r.expected).collect();
    plots::paired_bars(
        "Customers by calibration repeat purchases",
        &labels,
        ("observed", &observed),
        ("BG/NBD", &expected_customers),
        &dir.join("repeat_purchases.svg"),
    )?;
    let track = tracking(&bg, &log, Day::from_ymd(1997, 1, 1)?, 7, 78, 7.0)?;
    let weeks: Vec<f64> = (1..=track.actual.len()).map(|w| w as f64).collect();
    plots::lines(
        "Cumulative repeat purchases (calibration ends at week 39)",
        ("week", "repeat purchases"),
        &weeks,
        &[("actual", &track.actual), ("BG/NBD", &track.expected)],
        &dir.join("tracking.svg"),
    )?;
    println!(
        "
plots written to {}",
        dir.display()
    );

    // 12-month CLV, 1% monthly discount (months converted to the summary's weeks).
    let clv = lifetime_value(&bg, &gg, cal, 12, 0.01)?;
    let mut order: Vec<usize> = (0..clv.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]));
    println!("\ntop 10 customers by 12-month CLV:");
    println!(
        "{:>9} {:>5} {:>8} {:>8} {:>9} {:>8} {:>9}",
        "customer", "x", "t_x", "T", "P(alive)", "spend", "CLV"
    );
    for &i in order.iter().take(10) {
        let (x, tx, t) = (cal.frequency()[i], cal.recency()[i], cal.age()[i]);
        println!(
            "{:>9} {:>5} {:>8.2} {:>8.2} {:>9.3} {:>8.2} {:>9.2}",
            log.customer_id(cal.customer()[i]),
            x,
            tx,
            t,
            bg.probability_alive(x, tx, t)?,
            gg.conditional_expected_spend(x, cal.monetary_value()[i])?,
            clv[i]
        );
    }
    println!(
        "\ntotal expected revenue over 12 months (discounted): ${:.2}",
        clv.iter().sum::<f64>()
    );
    first_order_covariate(&log, cal, &pn)?;
    Ok(())
}

/// Covariates: does the size of a customer's first order say how often they buy again
/// and how long they stay? Pareto/NBD with the (centred) log of the first day's spend
/// as a purchase and a dropout covariate, against the plain fit.
fn first_order_covariate(
    log: &TransactionLog<u32>,
    cal: &patronage::CustomerSummary,
    plain: &ParetoNbd,
) -> Result<(), Box<dyn std::error::Error>> {
    use patronage::clv::covariates::{CovariateData, Covariates};
    use std::collections::HashMap;
    let mut first: HashMap<u32, (Day, f64)> = HashMap::new();
    for t in parse_cdnow(include_str!("data/CDNOW_sample.txt"))? {
        let e = first.entry(t.customer).or_insert((t.day, 0.0));
        if t.day < e.0 {
            *e = (t.day, t.amount);
        } else if t.day == e.0 {
            e.1 += t.amount;
        }
    }
    let z: Vec<f64> = cal
        .customer()
        .iter()
        .map(|&i| first.get(log.customer_id(i)).map_or(0.0, |f| f.1.ln_1p()))
        .collect();
    let mean = z.iter().sum::<f64>() / z.len() as f64;
    let z = ndarray::Array2::from_shape_fn((z.len(), 1), |(i, _)| z[i] - mean);
    let cov = Covariates::new(&["ln_first_order"], z.view())?;
    let data = CovariateData::new(cal)
        .purchase(cov.clone())?
        .dropout(cov)?;
    let model = ParetoNbd::params().fit(&data)?;
    println!("\nPareto/NBD with the first order's size as a covariate:");
    for p in model.parameters() {
        println!(
            "  {:<24} {:>9.4} (s.e. {:.4})",
            p.name,
            p.estimate,
            p.standard_error.unwrap_or(f64::NAN)
        );
    }
    let lr = 2.0 * (model.report().log_likelihood - plain.report().log_likelihood);
    println!(
        "  likelihood-ratio statistic {lr:.2} on 2 degrees of freedom; AIC {:.1} vs {:.1} without",
        model.report().aic,
        plain.report().aic
    );
    Ok(())
}
