//! The synthetic generator: determinism across thread counts, moments against the
//! model's closed forms, and every invalid parameter.

use patronage::Error;
use patronage::simulate::Simulation;
use patronage::transactions::{Day, TransactionLog};

#[test]
#[cfg(feature = "parallel")]
fn same_seed_same_rows_on_any_thread_count() {
    let sim = Simulation::new(10_000).seed(3);
    let many = sim.transactions().unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| sim.transactions().unwrap());
    assert_eq!(many, one);
    assert_ne!(
        many,
        Simulation::new(10_000).seed(4).transactions().unwrap()
    );
}

#[test]
fn every_customer_buys_first_at_birth_within_the_window() {
    let sim = Simulation::new(5_000)
        .births(Day(100), Day(199))
        .observation_end(Day(300));
    let rows = sim.transactions().unwrap();
    let log = TransactionLog::new(&rows).unwrap();
    assert_eq!(log.n_customers(), 5_000);
    for c in 0..5_000u32 {
        let (days, amounts) = log.customer_rows(c);
        assert!((100..=199).contains(&days[0].0));
        assert!(days.iter().all(|d| d.0 <= 300));
        assert!(
            amounts
                .iter()
                .all(|&a| a >= 0.0 && (a * 100.0 - (a * 100.0).round()).abs() < 1e-6)
        );
    }
}

#[test]
fn without_dropout_frequency_is_nbd_with_mean_rt_over_alpha() {
    // Beta(1e-4, 1e4) makes dropout negligible: X(T) is NBD with mean r T / alpha and
    // variance r T / alpha + r (T / alpha)^2.
    let n = 40_000;
    let (r, alpha) = (0.25, 4.0);
    let sim = Simulation::new(n)
        .purchase_process(r, alpha, 1e-4, 1e4)
        .births(Day(0), Day(0))
        .observation_end(Day(363)); // T = 364 days = 52 weeks
    let s = sim.summary_continuous().unwrap();
    let t = 52.0;
    assert!(
        s.age()
            .iter()
            .all(|&a| a > t - 1.0 / 7.0 - 1e-9 && a <= t + 1e-9)
    );
    let mean: f64 = s.frequency().iter().sum::<f64>() / n as f64;
    let expect = r * t / alpha;
    let se = ((r * t / alpha + r * (t / alpha).powi(2)) / n as f64).sqrt();
    assert!(
        (mean - expect).abs() < 4.0 * se,
        "mean {mean} vs {expect} (se {se})"
    );
}

#[test]
fn mean_spend_per_purchase_is_p_v_over_q_minus_1() {
    let rows = Simulation::new(20_000).seed(11).transactions().unwrap();
    let n = rows.len() as f64;
    let mean = rows.iter().map(|t| t.amount).sum::<f64>() / n;
    let var = rows.iter().map(|t| (t.amount - mean).powi(2)).sum::<f64>() / n;
    let expect = 6.0 * 15.0 / 3.0;
    assert!(
        (mean - expect).abs() < 5.0 * (var / n).sqrt(),
        "{mean} vs {expect}"
    );
}

#[test]
fn invalid_parameters_are_typed_errors() {
    let bad = |s: Simulation, name: &str| match s.transactions() {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter {name}, got {other:?}"),
    };
    bad(Simulation::new(0), "n_customers");
    bad(Simulation::new(5).purchase_process(0.0, 4.0, 0.8, 2.5), "r");
    bad(
        Simulation::new(5).purchase_process(0.25, f64::NAN, 0.8, 2.5),
        "alpha",
    );
    bad(
        Simulation::new(5).purchase_process(0.25, 4.0, -1.0, 2.5),
        "a",
    );
    bad(
        Simulation::new(5).purchase_process(0.25, 4.0, 0.8, f64::INFINITY),
        "b",
    );
    bad(Simulation::new(5).spend(0.0, 4.0, 15.0), "p");
    bad(Simulation::new(5).spend(6.0, -4.0, 15.0), "q");
    bad(Simulation::new(5).spend(6.0, 4.0, 0.0), "v");
    bad(Simulation::new(5).births(Day(10), Day(5)), "births");
    bad(
        Simulation::new(5)
            .births(Day(0), Day(100))
            .observation_end(Day(50)),
        "observation_end",
    );
    assert!(matches!(
        Simulation::new(0).summary_continuous(),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn mean_frequency_matches_the_bgnbd_expectation_with_dropout() {
    use patronage::clv::{BetaGeo, PurchaseModel};
    // All born on day 0 and observed 52 weeks: mean repeat purchases = E[X(52)] of BG/NBD.
    let n = 20_000;
    let s = Simulation::new(n)
        .births(Day(0), Day(0))
        .observation_end(Day(363))
        .seed(9)
        .summary_continuous()
        .unwrap();
    let x = s.frequency();
    let mean = x.iter().sum::<f64>() / n as f64;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    // The simulator's birth falls uniformly within day 0, so ages are 52 weeks less up to one day.
    let expect = BetaGeo::from_params(0.25, 4.0, 0.8, 2.5)
        .unwrap()
        .expected_purchases_new_customer(52.0 - 0.5 / 7.0)
        .unwrap();
    assert!(
        (mean - expect).abs() < 4.0 * sd / (n as f64).sqrt(),
        "mean {mean} vs E[X] {expect}"
    );
}
