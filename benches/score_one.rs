//! One customer scored end to end, as a web service does on each request (issue 19,
//! part 4): the profile and summary row from the customer's 20 purchases, then the RFM
//! segment, P(alive), 12-month CLV, churn risk and k-means cluster from models fitted
//! once on a population.
//!
//! Target: under 5 µs per customer.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array2, ArrayView2};
use patronage::churn::{LogisticRegression, churn_features, label};
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma};
use patronage::prelude::*;
use patronage::profile::{CustomerProfile, Feature};
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::segment::KMeans;
use patronage::segment::scale::Standardizer;
use patronage::simulate::Simulation;
use patronage::{Day, Horizon, Returns, SummaryParams, TransactionLog};

fn score_one(c: &mut Criterion) {
    // Models fitted once on a population of 20,000 customers.
    let rows = Simulation::new(20_000)
        .seed(1)
        .transactions()
        .expect("valid");
    let log = TransactionLog::new(&rows).expect("valid");
    let end = Day(600);
    let params = SummaryParams::new(end).time_unit_days(7.0);
    let summary = log.summarize(&params).expect("non-empty");
    let bg = BetaGeo::params().fit(&summary).expect("fits");
    let gg = GammaGamma::params().fit(&summary).expect("fits");
    let rfm = RfmParams::default().fit((&summary, end)).expect("fits");
    let segments = SegmentMap::classic();
    let churn_data = label(&log, Day(500), Horizon::days(100.0)).expect("labels");
    let churn = LogisticRegression::params().fit(&churn_data).expect("fits");
    let cluster_features = [Feature::DaysSinceLast, Feature::Orders, Feature::TotalSpend];
    let profile = patronage::profile::Profile::new(&log, &summary).expect("profile");
    let (x, _) = profile
        .features(
            &patronage::profile::Attributes::for_log(&log),
            &cluster_features,
        )
        .expect("features");
    let scaler = Standardizer::params().fit(x.view()).expect("fits");
    let z = scaler.transform(x.view()).expect("scales");
    let kmeans = KMeans::params(5).seed(3).fit(z.view()).expect("fits");
    let valuation = Valuation::monthly(12, 0.01);
    let churn_columns = churn_features();

    // One customer's 20 purchases, as the service reads them.
    let days: Vec<Day> = (0..20).map(|i| Day(15 + 29 * i)).collect();
    let amounts: Vec<f64> = (0..20).map(|i| 20.0 + f64::from(i % 7) * 3.5).collect();

    let mut g = c.benchmark_group("score one customer");
    g.bench_function(
        "20 purchases -> segment, P(alive), CLV, churn risk, cluster",
        |b| {
            let mut churn_row = vec![0.0; churn_columns.len()];
            let mut cluster_row = [0.0; 3];
            b.iter(|| {
                let one = CustomerProfile::from_purchases(
                    black_box(&days),
                    black_box(&amounts),
                    &params,
                    Returns::Reject,
                )
                .expect("valid")
                .expect("bought");
                let s = &one.summary;
                let cell = rfm
                    .score_one(one.days_since_last, f64::from(s.orders), s.total_spend)
                    .expect("finite");
                let segment = segments.segment(cell);
                let p_alive = bg
                    .probability_alive(s.frequency, s.recency, s.age)
                    .expect("valid");
                let clv = valuation.value_of(&bg, &gg, s, &params).expect("valid");
                one.features_into(&churn_columns, &mut churn_row)
                    .expect("behaviour");
                let risk = churn
                    .predict_proba(
                        ArrayView2::from_shape((1, churn_row.len()), &churn_row).expect("1 row"),
                    )
                    .expect("valid")[0];
                one.features_into(&cluster_features, &mut cluster_row)
                    .expect("behaviour");
                let scaled: Array2<f64> = scaler
                    .transform(ArrayView2::from_shape((1, 3), &cluster_row).expect("1 row"))
                    .expect("valid");
                let cluster = kmeans.predict(scaled.view()).expect("valid")[0];
                (segment, p_alive, clv, risk, cluster)
            })
        },
    );
    g.finish();
}

criterion_group!(benches, score_one);
criterion_main!(benches);
