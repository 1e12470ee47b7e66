//! Memory and time bounds (issue 15), checked in a child process.
//!
//! Each test re-runs this test binary on itself (`--exact <test>`), with the
//! environment variable `PATRONAGE_LIMIT_CASE` naming the test, under
//! `sh -c 'ulimit -v <KiB>; exec "$0" "$@"'`, and polls it against a deadline. The
//! child runs the case, which asserts a typed error (or a finite answer) the way any
//! test does; the parent asserts the child exited successfully before the deadline. An
//! allocation the limit refuses aborts the child, and a loop that does not end is
//! killed: either fails the test with the case's name, not the machine.
//!
//! Unix only (`sh` and `ulimit`). Set `PATRONAGE_LIMIT_KIB` / `PATRONAGE_LIMIT_SECS` to
//! change the limits (defaults: 1 GiB of address space, 60 s).
#![cfg(unix)]

mod common;
#[path = "common/hostile_values.rs"]
mod hostile;

use hostile::all_finite;
use patronage::prelude::*;
use patronage::{Day, Error, SummaryParams, Transaction, TransactionLog};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CASE_ENV: &str = "PATRONAGE_LIMIT_CASE";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `case` here when this process is the child for `name`; otherwise starts that
/// child under the memory limit and waits for it up to the deadline.
fn bounded(name: &str, case: impl FnOnce()) {
    if std::env::var(CASE_ENV).as_deref() == Ok(name) {
        case();
        return;
    }
    let kib = env_or("PATRONAGE_LIMIT_KIB", 1 << 20);
    let secs = env_or("PATRONAGE_LIMIT_SECS", 60);
    let exe = std::env::current_exe().expect("the test binary's path");
    let out =
        std::env::temp_dir().join(format!("patronage-limit-{}-{name}.log", std::process::id()));
    let log = std::fs::File::create(&out).expect("a log file for the child");
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib}; exec \"$0\" \"$@\""))
        .arg(&exe)
        .args([
            "--exact",
            name,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CASE_ENV, name)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("sh starts");
    let deadline = start + Duration::from_secs(secs);
    let status = loop {
        match child.try_wait().expect("waiting for the child") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                // The child is our own process: kill it by its id.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let output = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let tail: String = {
        let lines: Vec<&str> = output.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    match status {
        None => panic!("{name}: still running after {secs} s (killed)\n{tail}"),
        Some(s) if !s.success() => panic!(
            "{name}: the child failed ({s}) within {} KiB of address space after {:.1} s\n{tail}",
            kib,
            start.elapsed().as_secs_f64()
        ),
        Some(_) => eprintln!("{name}: ok in {:.1} s", start.elapsed().as_secs_f64()),
    }
}

fn limit_exceeded<T: std::fmt::Debug>(r: Result<T, Error>, want_limit: usize) {
    match r {
        Err(Error::LimitExceeded { limit, size, .. }) => {
            assert_eq!(limit, want_limit as u64);
            assert!(size > limit);
        }
        other => panic!("expected LimitExceeded (limit {want_limit}), got {other:?}"),
    }
}

/// A log of ordinary purchases over two years and one purchase 5,000 years later.
fn log_with_an_outlier_date() -> TransactionLog<u32> {
    let mut rows: Vec<Transaction<u32>> = (0..2_000)
        .map(|i| Transaction {
            customer: i % 300,
            day: Day((i * 7 % 730) as i32),
            amount: 10.0 + (i % 13) as f64,
        })
        .collect();
    rows.push(Transaction {
        customer: 7,
        day: Day(5_000 * 365 + 1_212),
        amount: 25.0,
    });
    TransactionLog::new(&rows).unwrap()
}

#[test]
fn cohort_table_spanning_5000_years() {
    bounded("cohort_table_spanning_5000_years", || {
        use patronage::Period;
        use patronage::cohort::{MAX_COHORT_PERIODS, retention};
        let log = log_with_an_outlier_date();
        limit_exceeded(retention(&log, Period::Month), MAX_COHORT_PERIODS);
        limit_exceeded(retention(&log, Period::Week), MAX_COHORT_PERIODS);
    });
}

#[test]
fn revenue_series_spanning_5000_years() {
    bounded("revenue_series_spanning_5000_years", || {
        use patronage::forecast::series::{MAX_PERIODS, Measure, Period, aggregate};
        let log = log_with_an_outlier_date();
        for m in [
            Measure::Revenue,
            Measure::Orders,
            Measure::ActiveCustomers,
            Measure::NewCustomers,
        ] {
            // 1.8 million days: past the limit.
            limit_exceeded(aggregate(&log, Period::Day, m), MAX_PERIODS);
            // 261,000 weeks and 60,000 months: within it, and built.
            for p in [Period::Week, Period::Month] {
                let s = aggregate(&log, p, m).unwrap();
                assert!(s.len() <= MAX_PERIODS);
                all_finite(s.values(), "series");
            }
        }
    });
}

#[test]
fn fp_growth_on_one_very_wide_basket() {
    bounded("fp_growth_on_one_very_wide_basket", || {
        use patronage::basket::{Baskets, MAX_ITEMSETS, MinSupport, OrderLine};
        // One order of 64 items: 2^64 - 1 itemsets, all with support 1; the default
        // limit stops it.
        let lines: Vec<OrderLine<u32, u32>> =
            (0..64).map(|item| OrderLine { order: 1, item }).collect();
        let b = Baskets::new(&lines).unwrap();
        limit_exceeded(
            b.frequent_itemsets(MinSupport::Count(1), None),
            MAX_ITEMSETS,
        );
    });
}

#[test]
fn fp_growth_on_a_wide_basket_among_many() {
    bounded("fp_growth_on_a_wide_basket_among_many", || {
        use patronage::basket::{Baskets, MinSupport, OrderLine};
        // 2,000 small orders and one of 5,000 items, with a fraction support that the
        // wide order alone does not meet: a typed answer in bounded time.
        let mut lines: Vec<OrderLine<u32, u32>> = (0..2_000)
            .flat_map(|o| {
                (0..3).map(move |k| OrderLine {
                    order: o,
                    item: (o * 7 + k) % 50,
                })
            })
            .collect();
        lines.extend((0..5_000).map(|item| OrderLine {
            order: 99_999,
            item,
        }));
        let b = Baskets::new(&lines).unwrap();
        let sets = b
            .frequent_itemsets(MinSupport::Fraction(0.01), None)
            .unwrap();
        assert!(sets.iter().all(|s| s.count >= 20));
    });
}

/// A log of 300 customers with huge repeat counts (a purchase every day for 20 years).
fn heavy_buyers() -> TransactionLog<u32> {
    let rows: Vec<Transaction<u32>> = (0..300u32)
        .flat_map(|c| {
            (0..7_300)
                .step_by(1 + (c as usize % 3))
                .map(move |d| Transaction {
                    customer: c,
                    day: Day(d),
                    amount: 5.0,
                })
        })
        .collect();
    TransactionLog::new(&rows).unwrap()
}

#[test]
fn diagnostics_tables_with_huge_repeats() {
    bounded("diagnostics_tables_with_huge_repeats", || {
        use patronage::clv::BetaGeo;
        use patronage::clv::diagnostics::{
            MAX_REPEATS, MAX_TRACKING_PERIODS, calibration_holdout_table, model_fit_table, tracking,
        };
        let log = heavy_buyers();
        let weekly = log
            .summarize(&SummaryParams::new(Day(7_299)).time_unit_days(7.0))
            .unwrap();
        // A model-free probability: the table's size is what is bounded.
        let table = model_fit_table(
            |_, n| {
                Ok(if n == 0 {
                    0.5
                } else {
                    0.5f64.powi(n as i32 + 1)
                })
            },
            &weekly,
            MAX_REPEATS,
        )
        .unwrap();
        assert!(table.len() <= MAX_REPEATS as usize + 1);
        assert!(table.iter().all(|r| r.expected.is_finite()));

        // BG/NBD declines the heavy buyers (a typed error); a CDNOW fit (weeks) is
        // applied to them instead.
        if let Err(e) = BetaGeo::params().max_iter(200).fit(&weekly) {
            hostile::check_error(&e, weekly.len());
        }
        let bg = BetaGeo::params().fit(&common::cdnow_csv()).unwrap();
        let t = tracking(&bg, &log, Day(0), 1, MAX_TRACKING_PERIODS, 7.0).unwrap();
        assert_eq!(t.actual.len(), MAX_TRACKING_PERIODS);
        all_finite(&t.expected, "tracking expected");
        let split = log
            .calibration_holdout(
                &SummaryParams::new(Day(5_000)).time_unit_days(7.0),
                Day(7_299),
            )
            .unwrap();
        let rows = calibration_holdout_table(&bg, &split, u32::MAX).unwrap();
        assert!(rows.len() <= split.calibration.len());
    });
}

#[test]
fn simulation_with_an_extreme_purchase_rate() {
    bounded("simulation_with_an_extreme_purchase_rate", || {
        use patronage::simulate::{MAX_PURCHASES, Simulation};
        // About 1e9 purchases a week: each customer stops at the per-customer limit.
        let sim = Simulation::new(1_000)
            .purchase_process(1e6, 1e-3, 1e-3, 1e6)
            .seed(5);
        limit_exceeded(sim.transactions(), MAX_PURCHASES);
        limit_exceeded(sim.summary_continuous(), MAX_PURCHASES);
    });
}

#[test]
fn simulation_just_under_the_per_customer_limit() {
    bounded("simulation_just_under_the_per_customer_limit", || {
        use patronage::simulate::Simulation;
        // About 5,000 purchases a week for 104 weeks (520,000 per customer, under the
        // per-customer limit) for 200 customers: 100 million rows, about 2.4 GB.
        // The default budget (MAX_PURCHASES, 2.4 GB as rows) is above this test's
        // 1 GiB; a budget of 10 million stops the simulation within it.
        let sim = Simulation::new(200)
            .purchase_process(5e5, 100.0, 1e-3, 1e9)
            .seed(5)
            .max_purchases(10_000_000);
        limit_exceeded(sim.transactions(), 10_000_000);
        limit_exceeded(sim.summary_continuous(), 10_000_000);
    });
}

#[test]
fn ets_forecast_at_max_horizon() {
    bounded("ets_forecast_at_max_horizon", || {
        use patronage::forecast::MAX_HORIZON;
        use patronage::forecast::ets::{ErrorType, Ets, EtsSpec, SeasonType, TrendType};
        let air = common::air_passengers();
        for spec in [
            EtsSpec::new(
                ErrorType::Additive,
                TrendType::Additive,
                SeasonType::Additive,
            ),
            EtsSpec::new(
                ErrorType::Multiplicative,
                TrendType::Damped,
                SeasonType::Multiplicative,
            ),
        ] {
            let fit = Ets::params(spec).fit(&air).unwrap();
            match fit.forecast(MAX_HORIZON, &[0.8, 0.95]) {
                Ok(f) => {
                    assert_eq!(f.mean.len(), MAX_HORIZON);
                    all_finite(&f.mean, "mean");
                    for i in &f.intervals {
                        all_finite(&i.lower, "lower");
                        all_finite(&i.upper, "upper");
                    }
                }
                Err(e) => hostile::check_error(&e, MAX_HORIZON),
            }
        }
    });
}

#[test]
fn arima_forecast_at_max_horizon() {
    bounded("arima_forecast_at_max_horizon", || {
        use patronage::forecast::MAX_HORIZON;
        use patronage::forecast::arima::Arima;
        let air = common::air_passengers().ln().unwrap();
        let fit = Arima::params(2, 1, 1).seasonal(0, 1, 1).fit(&air).unwrap();
        let f = fit.forecast(MAX_HORIZON, &[0.8, 0.95]).unwrap();
        assert_eq!(f.mean.len(), MAX_HORIZON);
        all_finite(&f.mean, "mean");
        for i in &f.intervals {
            all_finite(&i.lower, "lower");
            all_finite(&i.upper, "upper");
        }
    });
}

#[test]
fn auto_arima_with_the_largest_orders() {
    bounded("auto_arima_with_the_largest_orders", || {
        use patronage::forecast::arima::{Arima, MAX_ORDER};
        let air = common::air_passengers().ln().unwrap();
        let fit = Arima::auto()
            .max_pq(MAX_ORDER, MAX_ORDER)
            .max_seasonal_pq(MAX_ORDER, MAX_ORDER)
            .max_order(4 * MAX_ORDER)
            .fit(&air);
        match fit {
            Ok(m) => {
                eprintln!("auto ARIMA chose {}", m.order());
                assert!(!m.report().aicc.is_nan());
            }
            Err(e) => {
                eprintln!("auto ARIMA: {e}");
                hostile::check_error(&e, air.len());
            }
        }
    });
}

#[test]
fn exhaustive_auto_arima_with_the_largest_orders() {
    bounded("exhaustive_auto_arima_with_the_largest_orders", || {
        use patronage::forecast::arima::{Arima, MAX_ORDER};
        let air = common::air_passengers().ln().unwrap();
        let fit = Arima::auto()
            .max_pq(MAX_ORDER, MAX_ORDER)
            .max_seasonal_pq(MAX_ORDER, MAX_ORDER)
            .max_order(4 * MAX_ORDER)
            .stepwise(false)
            .fit(&air);
        if let Err(e) = fit {
            hostile::check_error(&e, air.len());
        }
    });
}

#[test]
fn kmeans_with_huge_k() {
    bounded("kmeans_with_huge_k", || {
        use patronage::prelude::*;
        use patronage::segment::KMeans;
        let n = 4_000;
        let x = ndarray::Array2::from_shape_fn((n, 3), |(i, j)| {
            (i * 3 + j) as f64 + ((i * 31 + j * 17) % 997) as f64
        });
        // k = n: every row its own cluster (duplicates aside).
        let fit = KMeans::params(n).n_init(1).max_iter(5).fit(x.view());
        match fit {
            Ok(m) => {
                eprintln!(
                    "k-means with k = {n}: {} clusters, inertia {}",
                    m.n_clusters(),
                    m.inertia()
                );
                assert!(m.labels().iter().all(|&l| l < m.n_clusters()));
                all_finite(m.centroids().as_slice().unwrap(), "centroids");
            }
            Err(e) => {
                eprintln!("k-means with k = {n}: {e}");
                hostile::check_error(&e, n);
            }
        }
        for k in [n + 1, 1 << 40, usize::MAX] {
            assert!(KMeans::params(k).fit(x.view()).is_err());
        }
    });
}

#[test]
fn pareto_nbd_fit_at_extreme_ages() {
    bounded("pareto_nbd_fit_at_extreme_ages", || {
        use patronage::CustomerSummary;
        use patronage::clv::{BetaGeo, ParetoNbd};
        let cdnow = common::cdnow_csv();
        let n = cdnow.len();
        let col = |v: &[f64], scale: f64| -> Vec<f64> { v.iter().map(|x| x * scale).collect() };
        let mut summaries = Vec::new();
        // The CDNOW summary with times in units from 1e-300 to 1e300 weeks...
        for scale in [1e-300, 1e-10, 1e8, 1e15, 1e100, 1e300] {
            let s = CustomerSummary::from_columns(
                cdnow.frequency(),
                &col(cdnow.recency(), scale),
                &col(cdnow.age(), scale),
                None,
            )
            .unwrap();
            summaries.push((format!("times x {scale:e}"), s));
        }
        // ... and with one customer observed for f64::MAX weeks.
        let mut age = cdnow.age().to_vec();
        age[0] = f64::MAX;
        let s =
            CustomerSummary::from_columns(cdnow.frequency(), cdnow.recency(), &age, None).unwrap();
        summaries.push(("one T = f64::MAX".into(), s));
        for (what, s) in &summaries {
            match ParetoNbd::params().fit(s) {
                Ok(m) => {
                    eprintln!(
                        "Pareto/NBD, {what}: {:?}",
                        [m.r(), m.alpha(), m.s(), m.beta()]
                    );
                    all_finite(&[m.r(), m.alpha(), m.s(), m.beta()], "Pareto/NBD");
                }
                Err(e) => {
                    eprintln!("Pareto/NBD, {what}: {e}");
                    hostile::check_error(&e, n);
                }
            }
            match BetaGeo::params().fit(s) {
                Ok(m) => {
                    eprintln!("BG/NBD, {what}: {:?}", [m.r(), m.alpha(), m.a(), m.b()]);
                    all_finite(&[m.r(), m.alpha(), m.a(), m.b()], "BG/NBD");
                }
                Err(e) => {
                    eprintln!("BG/NBD, {what}: {e}");
                    hostile::check_error(&e, n);
                }
            }
        }
    });
}

#[test]
fn bgbb_fit_with_a_huge_number_of_opportunities() {
    bounded("bgbb_fit_with_a_huge_number_of_opportunities", || {
        use patronage::clv::BetaGeoBetaBinom;
        let r = patronage::CustomerSummary::from_columns(
            &[1.0, 2.0],
            &[5.0, 14.0],
            &[1e12, 17.0],
            None,
        )
        .and_then(|s| BetaGeoBetaBinom::params().fit(&s));
        if let Err(e) = r {
            hostile::check_error(&e, 2);
        }
    });
}

#[test]
fn channels_at_their_limits() {
    bounded("channels_at_their_limits", || {
        use patronage::Period;
        use patronage::channels::{
            ChannelLog, ChannelPurchase, Dominant, Journey, Journeys, MAX_MIGRATION_CHANNELS,
            MAX_STATES, Markov,
        };
        // One more channel than a migration matrix may have, and purchases 5,000 years
        // apart: refused before the dense matrix or the periods are built.
        let rows: Vec<ChannelPurchase<u32, u32>> = (0..=MAX_MIGRATION_CHANNELS as u32)
            .map(|i| ChannelPurchase {
                customer: i % 7,
                day: Day(if i == 0 { 5_000 * 365 } else { i as i32 }),
                amount: 10.0,
                channel: i,
            })
            .collect();
        let log = ChannelLog::new(&rows).unwrap();
        limit_exceeded(
            log.migration(Period::Month, Dominant::default()),
            MAX_MIGRATION_CHANNELS,
        );
        assert_eq!(log.mix().len(), 7);
        // Order 3 over 100,000 journeys of 3 distinct channels out of 5,000: far more
        // states than MAX_STATES, refused as they are counted.
        let labels: Vec<[u32; 3]> = (0..100_000u32)
            .map(|i| [i % 5_000, (i * 7 + 1) % 5_000, (i * 13 + 2) % 5_000])
            .collect();
        let journeys: Vec<Journey<'_, u32>> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| Journey::new(l, i % 2 == 0))
            .collect();
        let journeys = Journeys::new(&journeys).unwrap();
        limit_exceeded(Markov::order(3).attribute(&journeys), MAX_STATES);
        limit_exceeded(Markov::order(1).attribute(&journeys), MAX_STATES);
    });
}
