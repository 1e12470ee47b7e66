//! Behavioural segmentation of the CDNOW sample customers with k-means: RFM-style
//! profile features, log-scaled and standardized, k chosen from a table, clusters
//! described on the original features.
//!
//! Run with `cargo run --release --example segments`.

use patronage::prelude::*;
use patronage::profile::{Attributes, Feature, Profile};
use patronage::segment::quality::choose_k;
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

    // Days since last purchase, orders, total spend, average order value.
    let features = [
        Feature::DaysSinceLast,
        Feature::Orders,
        Feature::TotalSpend,
        Feature::AverageOrderValue,
    ];
    let (raw, names) = profile.features(&Attributes::for_log(&log), &features)?;
    // Money and counts are skewed: log1p them, then standardize every column.
    let logged = log1p_columns(raw.view(), &[1, 2, 3])?;
    let scaler = Standardizer::params().fit(logged.view())?;
    let x = scaler.transform(logged.view())?;

    let params = KMeans::params(2).n_init(10).seed(7);
    let table = choose_k(x.view(), 2..=8, &params, 2_000)?;
    println!(
        "{:>3} {:>10} {:>11} {:>15} {:>18}",
        "k", "inertia", "silhouette", "Davies-Bouldin", "Calinski-Harabasz"
    );
    for r in &table.rows {
        println!(
            "{:>3} {:>10.1} {:>11.3} {:>15.3} {:>18.1}",
            r.k, r.inertia, r.silhouette, r.davies_bouldin, r.calinski_harabasz
        );
    }
    // The silhouette favours few, coarse groups; marketers usually want a handful.
    let k = table.suggested.max(4);
    println!(
        "\nsuggested k (highest silhouette) = {}; using k = {k}\n",
        table.suggested
    );

    let model = params.k(k).fit(x.view())?;
    let clusters = profile_clusters(raw.view(), model.labels())?;
    print!("{:>7} {:>6} {:>6}", "cluster", "size", "share");
    for n in &names {
        print!(" {:>22}", format!("{n} mean/median"));
    }
    println!();
    for c in &clusters {
        print!("{:>7} {:>6} {:>5.1}%", c.cluster, c.size, 100.0 * c.share);
        for (m, md) in c.means.iter().zip(&c.medians) {
            print!(" {:>22}", format!("{m:.1} / {md:.1}"));
        }
        println!();
    }
    println!(
        "\n{} iterations, inertia {:.1}, converged: {}",
        model.iterations(),
        model.inertia(),
        model.converged()
    );
    Ok(())
}
