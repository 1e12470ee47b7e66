//! 2F1 against 20-digit mpmath values, including arguments where the value overflows
//! f64 (compared in logs) and z close to 1.

use super::{hyp2f1, ln_hyp2f1};

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

/// Signed values (`c < 0`, negative parameters, both sides of `z = 0.9` and the
/// connection formula near 1) and logarithms of values near 1, against 50-digit mpmath:
/// `(a, b, c, z, 2F1, ln |2F1|)`.
#[test]
#[allow(clippy::excessive_precision)] // the mpmath values as printed, 20 digits
fn signed_and_near_one_match_mpmath() {
    use super::ln_hyp2f1_signed;
    let cases: [(f64, f64, f64, f64, f64, f64); 13] = [
        (
            1.0,
            1.0,
            -0.5,
            0.5,
            -8.7123889803846898577,
            2.1647460334384180427,
        ),
        (
            -0.3,
            -0.69,
            -0.19,
            0.9,
            -0.20571594625027794642,
            -1.5812589634500206331,
        ),
        (
            0.11,
            0.5,
            -0.19,
            0.3,
            0.87537756815507184907,
            -0.13309997923372395534,
        ),
        (
            0.11,
            0.5,
            -0.19,
            0.93,
            -2.242435286263124374,
            0.80756245668073905212,
        ),
        (
            0.11,
            0.5,
            -0.19,
            0.9995,
            -200.6214480042567685,
            5.3014197890758714571,
        ),
        (
            -0.3,
            -0.69,
            -0.19,
            0.5,
            0.40817645012342649193,
            -0.89605572227596499742,
        ),
        (
            -0.3,
            -0.69,
            -0.19,
            0.999,
            -0.45570908416518351622,
            -0.78590064638129198316,
        ),
        (
            0.5,
            1.5,
            -2.5,
            0.7,
            -461.25902949735429647,
            6.1339597713091522715,
        ),
        (0.5, 1.5, -2.5, -3.0, 0.873828125, -0.13487157598347855143),
        (
            0.243,
            2.4,
            1.2,
            1e-8,
            1.0000000048600000467,
            4.8600000348705002686e-9,
        ),
        (
            -0.3,
            -0.69,
            -0.19,
            1e-6,
            0.99999891052616985374,
            -1.089474423623302835e-6,
        ),
        (
            1e5,
            100002.0,
            100001.0,
            1e-9,
            1.0001000060003066809,
            1.0000100004000060626e-4,
        ),
        (
            1.975,
            -0.207,
            102.2,
            1e-4,
            0.99999959997508092701,
            -4.0002499908297961306e-7,
        ),
    ];
    for (a, b, c, z, value, log_value) in cases {
        let got = ln_hyp2f1_signed(a, b, c, z);
        assert_eq!(got.is_negative(), value < 0.0, "({a}, {b}, {c}, {z}): sign");
        // Logs to 1e-12 relative, also where they are near 0.
        assert!(
            (got.ln_abs - log_value).abs() <= 1e-12 * log_value.abs(),
            "({a}, {b}, {c}, {z}): ln|2F1| = {}, want {log_value}",
            got.ln_abs
        );
        assert!(
            (got.value() - value).abs() <= 1e-12 * value.abs(),
            "({a}, {b}, {c}, {z}): 2F1 = {}, want {value}",
            got.value()
        );
        assert_eq!(ln_hyp2f1(a, b, c, z), got.ln_abs);
    }
}
