//! 2F1 against 20-digit mpmath values, including arguments where the value overflows
//! f64 (compared in logs) and z close to 1.

use patronage::math::special::{hyp2f1, ln_hyp2f1};

#[test]
fn hyp2f1_matches_mpmath() {
    let text = std::fs::read_to_string("tests/data/hyp2f1.csv").unwrap();
    for (row, line) in text.lines().skip(1).filter(|l| !l.is_empty()).enumerate() {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let (a, b, c, z, value, log_value) = (f[0], f[1], f[2], f[3], f[4], f[5]);
        let got = ln_hyp2f1(a, b, c, z);
        // Logs agree to 1e-12 relative (absolute for small logs).
        assert!(
            (got - log_value).abs() <= 1e-12 * log_value.abs().max(1.0),
            "row {row}: ln 2F1 = {got}, want {log_value}"
        );
        if value.is_finite() {
            let v = hyp2f1(a, b, c, z);
            assert!(
                (v - value).abs() <= 1e-11 * value.abs(),
                "row {row}: 2F1 = {v}, want {value}"
            );
        }
    }
}

#[test]
fn closed_forms() {
    for &z in &[-0.9f64, -0.3, 0.2, 0.6, 0.95, 0.9999, 0.999999] {
        // 2F1(1, 1; 2; z) = -ln(1 - z) / z
        let want = -(1.0 - z).ln() / z;
        // Above 0.999 this integer c - a - b is past the series' reach: 1e-11 there.
        let tol = if z > 0.999 { 1e-11 } else { 1e-12 };
        assert!(
            (hyp2f1(1.0, 1.0, 2.0, z) - want).abs() <= tol * want.abs(),
            "z = {z}"
        );
        // 2F1(a, b; b; z) = (1 - z)^(-a)
        let want = (1.0 - z).powf(-0.7);
        assert!(
            (hyp2f1(0.7, 2.3, 2.3, z) - want).abs() <= 1e-12 * want,
            "z = {z}"
        );
    }
}
