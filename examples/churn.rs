//! Churn model on the CDNOW sample: label customers at a cutoff, fit a logistic
//! regression on their history up to the cutoff, and evaluate it.
//!
//! Run with `cargo run --release --example churn`.

use ndarray::Array2;
use patronage::churn::metrics::{cross_val_predict, lift_table, roc_auc};
use patronage::churn::{LogisticRegression, label};
use patronage::prelude::*;
use patronage::segment::scale::Standardizer;
use patronage::{Day, Horizon, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let cutoff = Day::from_ymd(1997, 12, 31)?;
    let horizon = Horizon::days(180.0);
    let data = label(&log, cutoff, horizon)?;
    let churned = data.churned.iter().filter(|&&c| c).count();
    println!(
        "{} customers at {cutoff}; {churned} ({:.1}%) made no purchase in the next {} days\n",
        data.churned.len(),
        100.0 * churned as f64 / data.churned.len() as f64,
        horizon.in_days()
    );

    // Standardize so coefficients compare across features; fit without a penalty for
    // inference (standard errors, p-values).
    let scaler = Standardizer::params().fit(data.features.view())?;
    let x = scaler.transform(data.features.view())?;
    let y = &data.churned;
    let params = LogisticRegression::params().feature_names(&data.feature_names);
    let model = params.fit((x.view(), y))?;

    println!(
        "{:<22} {:>9} {:>8} {:>9} {:>8} {:>9}",
        "feature (standardized)", "coef", "s.e.", "z", "p", "odds"
    );
    for r in model.summary() {
        println!(
            "{:<22} {:>9.4} {:>8.4} {:>9.3} {:>8.4} {:>9.3}",
            r.name,
            r.coefficient,
            r.standard_error.unwrap_or(f64::NAN),
            r.z.unwrap_or(f64::NAN),
            r.p_value.unwrap_or(f64::NAN),
            r.odds_ratio.unwrap_or(f64::NAN)
        );
    }

    let risk = model.predict_proba(x.view())?.to_vec();
    println!("\nin-sample ROC AUC {:.4}", roc_auc(&data.churned, &risk)?);

    // 5-fold stratified cross-validation: out-of-fold probabilities.
    let cv_scores = cross_val_predict(&params, x.view(), y, 5, 7)?;
    println!(
        "5-fold cross-validated ROC AUC {:.4}\n",
        roc_auc(&data.churned, &cv_scores)?
    );

    println!(
        "{:>6} {:>6} {:>8} {:>7} {:>6} {:>10}",
        "decile", "count", "churned", "rate", "lift", "cum. gain"
    );
    for r in lift_table(&data.churned, &cv_scores, 10)? {
        println!(
            "{:>6} {:>6} {:>8} {:>6.1}% {:>6.2} {:>9.1}%",
            r.group,
            r.count,
            r.positives,
            100.0 * r.rate,
            r.lift,
            100.0 * r.cumulative_gain
        );
    }

    // The valuable customers most at risk: 3+ orders before the cutoff.
    let orders_col = data
        .feature_names
        .iter()
        .position(|n| n == "orders")
        .ok_or("no orders feature")?;
    let raw: &Array2<f64> = &data.features;
    let mut valuable: Vec<usize> = (0..risk.len())
        .filter(|&i| raw[[i, orders_col]] >= 3.0)
        .collect();
    valuable.sort_by(|&a, &b| risk[b].total_cmp(&risk[a]));
    println!("\n10 customers with 3+ orders most at risk of churning:");
    println!(
        "{:>9} {:>7} {:>7} {:>11} {:>10}",
        "customer", "orders", "spend", "days since", "P(churn)"
    );
    let spend_col = data
        .feature_names
        .iter()
        .position(|n| n == "total_spend")
        .ok_or("no spend feature")?;
    let since_col = data
        .feature_names
        .iter()
        .position(|n| n == "days_since_last")
        .ok_or("no recency feature")?;
    for &i in valuable.iter().take(10) {
        println!(
            "{:>9} {:>7} {:>7.2} {:>11} {:>10.3}",
            log.customer_id(data.customer[i]),
            raw[[i, orders_col]],
            raw[[i, spend_col]],
            raw[[i, since_col]],
            risk[i]
        );
    }
    Ok(())
}
