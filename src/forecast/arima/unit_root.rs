//! Unit-root and seasonality tests (KPSS, seasonal strength) for the differencing orders.

use super::*;

/// KPSS level-stationarity statistic with a Bartlett window of `trunc(3 sqrt(n)/13)` lags
/// (as `urca::ur.kpss(type = "mu")` called by R's `ndiffs`).
pub(super) fn kpss_statistic(x: &[f64]) -> f64 {
    let n = x.len();
    let nf = n as f64;
    let mu = mean(x);
    let e: Vec<f64> = x.iter().map(|v| v - mu).collect();
    let mut s = 0.0;
    let mut num = 0.0;
    for v in &e {
        s += v;
        num += s * s;
    }
    num /= nf * nf;
    let lmax = (3.0 * nf.sqrt() / 13.0).trunc() as usize;
    let mut den = e.iter().map(|v| v * v).sum::<f64>() / nf;
    for lag in 1..=lmax.min(n.saturating_sub(1)) {
        let cov: f64 = (lag..n).map(|t| e[t] * e[t - lag]).sum();
        den += 2.0 / nf * (1.0 - lag as f64 / (lmax as f64 + 1.0)) * cov;
    }
    num / den
}

/// Number of differences by repeated KPSS tests at the 5% level (R's `ndiffs`).
pub(super) fn ndiffs(x: &[f64], max_d: usize) -> usize {
    let mut d = 0;
    if x.len() < 2 || is_constant(x) {
        return 0;
    }
    // p-value < 0.05 exactly when the statistic exceeds the 5% critical value.
    let dodiff = |x: &[f64]| {
        let s = kpss_statistic(x);
        s.is_finite() && s > 0.463
    };
    let mut cur = x.to_vec();
    let mut go = dodiff(&cur);
    while go && d < max_d {
        d += 1;
        cur = difference(&cur, 1, 0, 1);
        if cur.len() < 2 || is_constant(&cur) {
            return d;
        }
        go = dodiff(&cur);
    }
    d
}

/// Seasonal strength `max(0, 1 - var(R) / var(R + S))` of an STL decomposition with a
/// seasonal window of 11 (R's `forecast:::seas.heuristic`, which runs `mstl(x)`: for one
/// seasonal period that is `stl(x, s.window = 11)` with `stl()`'s other defaults). 0 when
/// STL cannot run (not more than two seasons), as R's `nsdiffs` falls back to no
/// difference when its test fails.
pub(super) fn seasonal_strength(x: &[f64], m: usize) -> f64 {
    Stl::params(m, SeasonalWindow::Span(11))
        .fit(x)
        .map_or(0.0, |fit| fit.seasonal_strength())
}

/// Number of seasonal differences: while the seasonal strength exceeds 0.64 (R's
/// `nsdiffs(test = "seas")`).
pub(super) fn nsdiffs(x: &[f64], m: usize, max_sd: usize) -> usize {
    if is_constant(x) || m >= x.len() {
        return 0;
    }
    let mut sd = 0;
    let mut cur = x.to_vec();
    let mut go = seasonal_strength(&cur, m) > 0.64;
    while go && sd < max_sd {
        sd += 1;
        cur = difference(&cur, 0, 1, m);
        if is_constant(&cur) {
            return sd;
        }
        go = cur.len() >= 2 * m && sd < max_sd && seasonal_strength(&cur, m) > 0.64;
    }
    sd
}
