//! Scoring one customer at a time, as a web service does: models are fitted once on the
//! population (here simulated), saved, loaded in the service, and each request scores
//! one customer from that customer's own purchases, with no population data at hand.
//!
//! Run with `cargo run --release --example score_one`.

use ndarray::ArrayView2;
use patronage::churn::{LogisticRegression, churn_features, label};
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma};
use patronage::prelude::*;
use patronage::profile::CustomerProfile;
use patronage::rfm::{RfmModel, RfmParams, SegmentMap};
use patronage::simulate::Simulation;
use patronage::{Day, Horizon, Returns, SummaryParams, TransactionLog};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Offline: fit on the population.
    let rows = Simulation::new(20_000).seed(1).transactions()?;
    let log = TransactionLog::new(&rows)?;
    let today = Day(600);
    let params = SummaryParams::new(today).time_unit_days(7.0);
    let summary = log.summarize(&params)?;
    let bg = BetaGeo::params().fit(&summary)?;
    let gg = GammaGamma::params().fit(&summary)?;
    let rfm = RfmParams::default().fit((&summary, today))?;
    let churn = LogisticRegression::params().fit(&label(&log, Day(500), Horizon::days(100.0))?)?;
    println!(
        "fitted on {} customers; RFM edges {:?}",
        summary.len(),
        rfm.edges()
    );

    // Saved and loaded as the service starts (checked as they load).
    let rfm: RfmModel = serde_json::from_str(&serde_json::to_string(&rfm)?)?;
    let bg: BetaGeo = serde_json::from_str(&serde_json::to_string(&bg)?)?;

    // A request: one customer's purchases.
    let days = [Day(20), Day(95), Day(180), Day(330), Day(590)];
    let amounts = [35.0, 20.0, 42.5, 18.0, 60.0];
    let Some(one) = CustomerProfile::from_purchases(&days, &amounts, &params, Returns::Reject)?
    else {
        println!("no purchase in the window");
        return Ok(());
    };
    let s = &one.summary;
    let cell = rfm.score_one(one.days_since_last, f64::from(s.orders), s.total_spend)?;
    let segments = SegmentMap::classic();
    let p_alive = bg.probability_alive(s.frequency, s.recency, s.age)?;
    let clv = Valuation::monthly(12, 0.01).value_of(&bg, &gg, s, &params)?;
    let features = churn_features();
    let mut row = vec![0.0; features.len()];
    one.features_into(&features, &mut row)?;
    let risk = churn.predict_proba(ArrayView2::from_shape((1, row.len()), &row)?)?[0];
    println!(
        "customer: {} orders, {:.2} spent, last {} days ago",
        s.orders, s.total_spend, one.days_since_last
    );
    println!(
        "RFM {cell} ({}), P(alive) {p_alive:.3}, 12-month CLV {clv:.2}, churn risk {risk:.3}",
        segments.name(segments.segment(cell))
    );
    Ok(())
}
