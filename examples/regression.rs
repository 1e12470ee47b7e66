//! What drives spend and orders? Regression on the CDNOW sample's customer profile:
//! OLS of the log average order value on the log order count, the customer's status
//! (a categorical: active, lapsing, lapsed by days since the last order, "active" the
//! reference level) and their interaction, with HC3 (heteroskedasticity-robust)
//! standard errors; then the repeat-order counts by Poisson and negative binomial
//! GLMs on the log average order value and the status.
//!
//! Run with `cargo run --release --example regression`.

use patronage::prelude::*;
use patronage::profile::{Attributes, Feature, Profile};
use patronage::regression::{
    Coefficient, Columns, Covariance, Family, Glm, LinearRegression, interaction, one_hot,
};
use patronage::{SummaryParams, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

fn print_table(title: &str, rows: &[Coefficient]) {
    println!("\n{title}");
    println!(
        "{:<34} {:>9} {:>9} {:>8} {:>8}  {:>19}",
        "", "coef", "std err", "t/z", "P>|t|", "[0.025, 0.975]"
    );
    for c in rows {
        let (lo, hi) = c.interval.unwrap_or((f64::NAN, f64::NAN));
        println!(
            "{:<34} {:>9.4} {:>9.4} {:>8.3} {:>8.4}  [{:>8.4}, {:>8.4}]",
            c.name,
            c.estimate,
            c.standard_error.unwrap_or(f64::NAN),
            c.statistic.unwrap_or(f64::NAN),
            c.p_value.unwrap_or(f64::NAN),
            lo,
            hi
        );
    }
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let summary = log.summarize(&SummaryParams::new(log.last_day()))?;
    let profile = Profile::new(&log, &summary)?;
    let features = [
        Feature::Orders,
        Feature::AverageOrderValue,
        Feature::DaysSinceLast,
    ];
    let (all, _) = profile.features(&Attributes::for_log(&log), &features)?;
    // Customers with a positive average order value (all finite).
    let rows: Vec<usize> = (0..all.nrows())
        .filter(|&i| all.row(i).iter().all(|v| v.is_finite()) && all[[i, 1]] > 0.0)
        .collect();
    let orders: Vec<f64> = rows.iter().map(|&i| all[[i, 0]]).collect();
    let log_aov: Vec<f64> = rows.iter().map(|&i| all[[i, 1]].ln()).collect();
    let status: Vec<&str> = rows
        .iter()
        .map(|&i| match all[[i, 2]] {
            d if d < 90.0 => "active",
            d if d < 365.0 => "lapsing",
            _ => "lapsed",
        })
        .collect();
    println!("{} customers", rows.len());

    // What drives the average order value: OLS with HC3 standard errors.
    let n = rows.len();
    let log_orders = Columns::new(
        ndarray::Array2::from_shape_fn((n, 1), |(i, _)| orders[i].ln()),
        &["log_orders"],
    )?;
    let status_cols = one_hot("status", &status, Some("active"))?;
    let design = log_orders
        .clone()
        .and(&status_cols)?
        .and(&interaction(&log_orders, &status_cols)?)?;
    let ols = LinearRegression::params()
        .feature_names(&design.names)
        .fit((design.values.view(), &log_aov))?;
    let s = ols.statistics();
    println!(
        "OLS log(AOV): R2 {:.3}, adj. R2 {:.3}, F {:.2} (p {:.2e}), Durbin-Watson {:.3}, \
         Jarque-Bera {:.1}, condition number {:.1}",
        s.r_squared,
        s.adj_r_squared,
        s.f_statistic.unwrap_or(f64::NAN),
        s.f_p_value.unwrap_or(f64::NAN),
        s.durbin_watson,
        s.jarque_bera,
        s.condition_number
    );
    print_table(
        "log(AOV), HC3 standard errors",
        &ols.coefficient_table(Covariance::Hc3, 0.95)?,
    );

    // What drives repeat orders: counts of orders after the first.
    let repeats: Vec<f64> = orders.iter().map(|o| o - 1.0).collect();
    let aov_col = Columns::new(
        ndarray::Array2::from_shape_fn((n, 1), |(i, _)| log_aov[i]),
        &["log_aov"],
    )?;
    let x = aov_col.and(&status_cols)?;
    let poisson = Glm::params(Family::Poisson)
        .feature_names(&x.names)
        .fit((x.values.view(), &repeats))?;
    let ps = poisson.statistics();
    println!(
        "\nPoisson: deviance {:.1}, Pearson chi2 {:.1} on {} df: dispersion {:.2}",
        ps.deviance,
        ps.pearson_chi2,
        ps.df_resid,
        ps.pearson_chi2 / ps.df_resid as f64
    );
    print_table("repeat orders, Poisson", &poisson.summary());
    // Over-dispersion: NB2 with alpha by moments of the counts' variance around the
    // Poisson means, alpha = sum((y - mu)^2 - y) / sum(mu^2).
    let mu = poisson.predict(x.values.view())?;
    let (num, den) = repeats
        .iter()
        .zip(mu.iter())
        .fold((0.0, 0.0), |(a, b), (y, m)| {
            (a + (y - m) * (y - m) - y, b + m * m)
        });
    let alpha = (num / den).max(1e-3);
    let nb = Glm::params(Family::NegativeBinomial { alpha })
        .feature_names(&x.names)
        .fit((x.values.view(), &repeats))?;
    print_table(
        &format!("repeat orders, negative binomial (alpha = {alpha:.3})"),
        &nb.summary(),
    );
    Ok(())
}
