//! Which few behaviours do seven profile variables measure? Factor analysis of the CDNOW
//! repeat buyers' behavioural profile (suitability by KMO and Bartlett, the number of
//! factors by parallel analysis, maximum likelihood with varimax), then k-means on the
//! factor scores against k-means on the seven raw (log-scaled, standardized)
//! variables: the factor segments are described by two or three named scores instead
//! of seven correlated columns.
//!
//! Run with `cargo run --release --example factors`.

use patronage::factors::{
    Correlation, FactorAnalysis, Rotation, ScoreMethod, bartlett_sphericity, kmo, parallel_analysis,
};
use patronage::prelude::*;
use patronage::profile::{Attributes, Feature, Profile};
use patronage::segment::quality::silhouette;
use patronage::segment::scale::{Standardizer, log1p_columns};
use patronage::segment::{KMeans, profile_clusters};
use patronage::{SummaryParams, TransactionLog};

#[path = "common/cdnow.rs"]
mod cdnow;
use cdnow::parse_cdnow;

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let log = TransactionLog::new(&parse_cdnow(include_str!("data/CDNOW_sample.txt"))?)?;
    let summary = log.summarize(&SummaryParams::new(log.last_day()))?;
    let profile = Profile::new(&log, &summary)?;
    // Seven variables, none a function of the others: total spend is orders times
    // AOV, recency is tenure minus days since last, and in this one-quarter cohort
    // tenure is nearly constant, so orders per 30 days is orders again. Such
    // dependences make the correlation matrix (nearly) singular and push
    // uniquenesses to their bound (Heywood cases).
    let features = [
        Feature::Orders,
        Feature::AverageOrderValue,
        Feature::OrderValueSd,
        Feature::DaysSinceLast,
        Feature::MeanGapDays,
        Feature::MedianGapDays,
        Feature::Recency,
    ];
    let (all, names) = profile.features(&Attributes::for_log(&log), &features)?;
    // Customers with at least three orders have gaps and a spend spread.
    let rows: Vec<usize> = (0..all.nrows())
        .filter(|&i| all[[i, 0]] >= 3.0 && all.row(i).iter().all(|v| v.is_finite()))
        .collect();
    let raw = all.select(ndarray::Axis(0), &rows);
    let logged = log1p_columns(raw.view(), &[0, 1, 2, 4, 5])?;
    let x = Standardizer::params()
        .fit(logged.view())?
        .transform(logged.view())?;
    println!(
        "{} customers with 3+ orders, {} variables",
        x.nrows(),
        x.ncols()
    );

    let corr = Correlation::from_data(x.view())?;
    let adequacy = kmo(&corr)?;
    let sphericity = bartlett_sphericity(&corr)?;
    let (_, suggested) = parallel_analysis(&corr, 200, 0.95, 7)?;
    println!(
        "KMO {:.3}; Bartlett chi2 {:.1} on {} df (p = {:.2e}); Kaiser rule {}; parallel analysis {}",
        adequacy.overall,
        sphericity.statistic,
        sphericity.df,
        sphericity.p_value,
        corr.kaiser(),
        suggested
    );
    let k = suggested.clamp(2, 3);
    let fa = FactorAnalysis::params(k)
        .rotation(Rotation::Varimax)
        .fit(&corr)?;
    println!("\nmaximum-likelihood factors, varimax (loadings above 0.4 marked):");
    print!("{:>24}", "variable");
    for j in 0..k {
        print!(" {:>9}", format!("F{}", j + 1));
    }
    println!(" {:>12}", "communality");
    let communalities = fa.communalities();
    for (i, name) in names.iter().enumerate() {
        print!("{name:>24}");
        for j in 0..k {
            let l = fa.loadings()[[i, j]];
            let mark = if l.abs() > 0.4 { "*" } else { " " };
            print!(" {:>8.3}{mark}", l);
        }
        println!(" {:>12.3}", communalities[i]);
    }
    if !fa.heywood().is_empty() {
        println!(
            "uniquenesses at the 0.005 bound (Heywood): {:?}",
            fa.heywood()
        );
    }
    if let Some(t) = fa.test() {
        println!(
            "test that {k} factors suffice: chi2 {:.1} on {} df, p = {:.3}",
            t.statistic, t.df, t.p_value
        );
    }

    // Segments: k-means on the factor scores against k-means on the raw variables.
    let scores = fa.scores(x.view(), ScoreMethod::Regression)?;
    let clusters = 4;
    let params = KMeans::params(clusters).n_init(10).seed(11);
    let on_factors = params.clone().fit(scores.view())?;
    let on_raw = params.fit(x.view())?;
    println!(
        "\nk-means, k = {clusters}: silhouette {:.3} on {k} factor scores, {:.3} on the {} raw variables",
        silhouette(scores.view(), on_factors.labels())?,
        silhouette(x.view(), on_raw.labels())?,
        x.ncols()
    );
    println!("segments on the factor scores (mean score per factor):");
    for c in profile_clusters(scores.view(), on_factors.labels())? {
        print!("  cluster {} ({:>4.1}%):", c.cluster, 100.0 * c.share);
        for m in &c.means {
            print!(" {m:>7.2}");
        }
        println!();
    }
    println!(
        "the same customers' segments on raw variables need all {} means:",
        x.ncols()
    );
    for c in profile_clusters(raw.view(), on_raw.labels())? {
        print!("  cluster {} ({:>4.1}%):", c.cluster, 100.0 * c.share);
        for m in &c.means {
            print!(" {m:>7.1}");
        }
        println!();
    }
    Ok(())
}
