//! Readers of the R references in tests/data/forecast_depth/ (made by
//! make_r_reference.R there).

use std::collections::BTreeMap;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/forecast_depth/");

fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{DIR}{name}")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// R's series by name: (season length, values).
pub fn r_series() -> BTreeMap<String, (usize, Vec<f64>)> {
    let mut out: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for r in rows("r_series.csv") {
        let e = out
            .entry(r[0].clone())
            .or_insert_with(|| (r[1].parse().unwrap(), Vec::new()));
        e.1.push(r[3].parse().unwrap());
    }
    out
}

/// R's reference values by (case, quantity).
pub fn r_reference() -> BTreeMap<(String, String), Vec<f64>> {
    let mut out: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for r in rows("r_reference.csv") {
        out.entry((r[0].clone(), r[1].clone()))
            .or_default()
            .push(r[3].parse().unwrap());
    }
    out
}

/// `|a - b| <= tol * max(|b|, 1)` for every pair, with a message naming `what`.
pub fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}[{i}]: {x} vs R {y} (diff {:e})",
            (x - y).abs()
        );
    }
}
