//! STL against R's `stats::stl` (R 4.2.2) on R's datasets: trend, seasonal, remainder
//! and robustness weights, each to within 1e-10 times the series' largest absolute
//! value. Reference values: tests/data/stl_reference.csv, made by
//! tests/data/make_stl_reference.R.

use patronage::prelude::*;
use std::collections::BTreeMap;

use patronage::Error;
use patronage::forecast::decompose::{SeasonalWindow, Stl, StlDecomposition, stl};

/// The columns of a CSV file with a header, as strings.
fn read_csv(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// R's series by name: (period, values).
fn series() -> BTreeMap<String, (usize, Vec<f64>)> {
    let mut out: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for row in read_csv("tests/data/r_seasonal_series.csv") {
        let entry = out
            .entry(row[0].clone())
            .or_insert((row[1].parse().unwrap(), Vec::new()));
        assert_eq!(entry.1.len() + 1, row[2].parse::<usize>().unwrap());
        entry.1.push(row[3].parse().unwrap());
    }
    out
}

/// R's components for one case: (trend, seasonal, remainder, weights).
fn reference(case: &str) -> [Vec<f64>; 4] {
    let mut out: [Vec<f64>; 4] = Default::default();
    for row in read_csv("tests/data/stl_reference.csv") {
        if row[0] == case {
            for (k, col) in out.iter_mut().enumerate() {
                col.push(row[2 + k].parse().unwrap());
            }
        }
    }
    assert!(!out[0].is_empty(), "no reference rows for {case}");
    out
}

/// Checks a decomposition against R's and returns the largest absolute difference of
/// each component.
fn check(case: &str, y: &[f64], fit: &StlDecomposition) -> [f64; 4] {
    let want = reference(case);
    let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let got = [&fit.trend, &fit.seasonal, &fit.remainder, &fit.weights];
    let names = ["trend", "seasonal", "remainder", "weights"];
    let mut worst = [0.0; 4];
    for k in 0..4 {
        assert_eq!(got[k].len(), y.len(), "{case} {}", names[k]);
        for (t, (g, w)) in got[k].iter().zip(&want[k]).enumerate() {
            let d = (g - w).abs();
            worst[k] = f64::max(worst[k], d);
            let tol = if k == 3 { 1e-10 } else { 1e-10 * scale };
            assert!(
                d <= tol,
                "{case} {}[{t}]: got {g}, R {w} (difference {d:e}, tolerance {tol:e})",
                names[k]
            );
        }
    }
    println!(
        "{case}: max |difference| trend {:.1e}, seasonal {:.1e}, remainder {:.1e}, weights {:.1e} (scale {scale})",
        worst[0], worst[1], worst[2], worst[3]
    );
    worst
}

fn values(name: &str) -> (usize, Vec<f64>) {
    series().remove(name).unwrap()
}

#[test]
fn periodic_co2_matches_r() {
    let (m, y) = values("co2");
    let fit = stl(&y, m, SeasonalWindow::Periodic).unwrap();
    check("co2_periodic", &y, &fit);
    // Exactly periodic.
    for t in m..y.len() {
        assert_eq!(fit.seasonal[t], fit.seasonal[t - m]);
    }
}

#[test]
fn windowed_co2_matches_r() {
    let (m, y) = values("co2");
    check(
        "co2_7",
        &y,
        &Stl::params(m, SeasonalWindow::Span(7)).fit(&y).unwrap(),
    );
}

#[test]
fn nottem_with_the_mstl_window_matches_r() {
    let (m, y) = values("nottem");
    check(
        "nottem_11",
        &y,
        &stl(&y, m, SeasonalWindow::Span(11)).unwrap(),
    );
}

#[test]
fn robust_log_air_passengers_matches_r() {
    let (m, y) = values("AirPassengers");
    let y: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let fit = Stl::params(m, SeasonalWindow::Span(7))
        .robust(true)
        .fit(&y)
        .unwrap();
    check("log_air_7_robust", &y, &fit);
    assert!(fit.weights.iter().any(|&w| w < 1.0));
}

#[test]
fn quarterly_uk_gas_matches_r() {
    let (m, y) = values("UKgas");
    check(
        "ukgas_11",
        &y,
        &stl(&y, m, SeasonalWindow::Span(11)).unwrap(),
    );
}

#[test]
fn robust_periodic_johnson_johnson_matches_r() {
    let (m, y) = values("JohnsonJohnson");
    let fit = Stl::params(m, SeasonalWindow::Periodic)
        .robust(true)
        .fit(&y)
        .unwrap();
    check("jj_periodic_robust", &y, &fit);
}

#[test]
fn linear_seasonal_loess_without_trend_jumps_matches_r() {
    // R: stl(USAccDeaths, s.window = 13, s.degree = 1, t.jump = 1).
    let (m, y) = values("USAccDeaths");
    let fit = Stl::params(m, SeasonalWindow::Span(13))
        .seasonal_degree(1)
        .jumps(2, 1, 2)
        .fit(&y)
        .unwrap();
    check("usacc_13_deg1_tjump1", &y, &fit);
}

#[test]
fn explicit_trend_and_low_pass_windows_match_r() {
    // R: stl(austres, s.window = 11, t.window = 9, l.window = 7); austres starts in a
    // second quarter, which STL does not see.
    let (m, y) = values("austres");
    let fit = Stl::params(m, SeasonalWindow::Span(11))
        .trend_window(9)
        .low_pass_window(7)
        .fit(&y)
        .unwrap();
    check("austres_11_windows", &y, &fit);
}

#[test]
fn seasonal_strength_is_forecasts_heuristic() {
    // forecast:::seas.heuristic(x): STL with s.window = 11 (mstl's first window).
    for row in read_csv("tests/data/auto_arima_seasonal_reference.csv") {
        let (m, y) = values(&row[0]);
        let want: f64 = row[1].parse().unwrap();
        let got = stl(&y, m, SeasonalWindow::Span(11))
            .unwrap()
            .seasonal_strength();
        assert!(
            (got - want).abs() < 1e-10,
            "{}: got {got}, R {want}",
            row[0]
        );
    }
}

#[test]
fn too_short_and_bad_values_are_errors() {
    let (m, y) = values("UKgas");
    assert!(matches!(
        stl(&y[..2 * m], m, SeasonalWindow::Periodic),
        Err(Error::InsufficientData { model: "STL", .. })
    ));
    assert!(stl(&y[..2 * m + 1], m, SeasonalWindow::Periodic).is_ok());
    let mut z = y.clone();
    z[3] = f64::NAN;
    assert!(matches!(
        stl(&z, m, SeasonalWindow::Span(7)),
        Err(Error::NonFinite {
            field: "values",
            row: 3,
            ..
        })
    ));
    assert!(matches!(
        stl(&y, 0, SeasonalWindow::Periodic),
        Err(Error::InvalidParameter { name: "period", .. })
    ));
    assert!(matches!(
        stl(&y, m, SeasonalWindow::Span(10)),
        Err(Error::InvalidParameter {
            name: "seasonal_window",
            ..
        })
    ));
}
