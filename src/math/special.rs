//! Special functions: the Gaussian hypergeometric function `2F1(a, b; c; z)`, computed
//! in log space so it neither overflows nor loses accuracy where the CLV models need
//! it (parameters in the thousands, `z` close to 1).
//!
//! Method, for real `z < 1`:
//! - `z < 0`: Pfaff's transformation to `z / (z - 1)` in `(0, 1)`;
//! - `z <= 0.9` (or `z <= 0.999` where `c - a - b` is within 1e-6 of an integer): the
//!   power series, summed with
//!   a running scale factor (terms may reach 1e3000), after Euler's transformation
//!   `(1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)` when that shrinks the parameters
//!   (the BG/NBD case: `c - b` stays small as `x` grows, so the series converges in a
//!   few terms instead of thousands);
//! - `z > 0.9`: the connection formula in `1 - z` (Abramowitz & Stegun 15.3.6), whose
//!   two series converge fast near `z = 1`; where `c - a - b` is (within 1e-6 of) an
//!   integer its Gamma factors diverge, so above `z = 0.999` it is averaged at
//!   `c -/+ h` and `c -/+ 2h` and extrapolated to `h = 0` (about 1e-9 relative).
//!
//! Tested against 20-digit mpmath values (`tests/special.rs`).
//!
//! ```
//! use patronage::math::special::{hyp2f1, ln_hyp2f1};
//! // 2F1(1, 1; 2; z) = -ln(1 - z) / z
//! let z = 0.999;
//! assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-12);
//! // Beyond f64's range, the log is still exact.
//! assert!((ln_hyp2f1(5000.242593, 5002.425752, 5002.218638, 0.7666280481365015) - 7276.2630072718235771).abs() < 1e-8);
//! ```

use statrs::function::gamma::{gamma, ln_gamma};

/// A signed number `sign * exp(log)`.
#[derive(Debug, Clone, Copy)]
struct Signed {
    log: f64,
    sign: f64,
}

impl Signed {
    fn value(self) -> f64 {
        self.sign * self.log.exp()
    }
}

/// `2F1(a, b; c; z)` for real `z < 1` (and `c` not a non-positive integer). Overflows
/// to infinity where the value exceeds f64: use [`ln_hyp2f1`] there.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    hyp2f1_signed(a, b, c, z).value()
}

/// `ln |2F1(a, b; c; z)|` for real `z < 1`, accurate where the value itself overflows.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    hyp2f1_signed(a, b, c, z).log
}

fn hyp2f1_signed(a: f64, b: f64, c: f64, z: f64) -> Signed {
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return Signed {
            log: 0.0,
            sign: 1.0,
        };
    }
    if z < 0.0 {
        // Pfaff: (1 - z)^(-a) 2F1(a, c - b; c; z / (z - 1)).
        let inner = hyp2f1_signed(a, c - b, c, z / (z - 1.0));
        return Signed {
            log: inner.log - a * (1.0 - z).ln(),
            sign: inner.sign,
        };
    }
    let s = c - a - b;
    let near_integer = (s - s.round()).abs() < 1e-6;
    if z > 0.999 && near_integer {
        // The connection formula's Gamma factors diverge at integer c - a - b: average
        // it at c -/+ h and at c -/+ 2h, and extrapolate (Richardson) to h = 0.
        let h = 1e-4 * c.abs().max(1.0);
        let avg = |h: f64| {
            0.5 * (connection(a, b, c - h, z).value() + connection(a, b, c + h, z).value())
        };
        let v = (4.0 * avg(h) - avg(2.0 * h)) / 3.0;
        return Signed {
            log: v.abs().ln(),
            sign: v.signum(),
        };
    }
    if z <= 0.9 || near_integer {
        // Euler's transformation when it makes the series' parameters smaller.
        let direct = (a * b / c).abs();
        let euler = ((c - a) * (c - b) / c).abs();
        if euler < direct {
            let inner = series(c - a, c - b, c, z);
            return Signed {
                log: inner.log + s * (1.0 - z).ln(),
                sign: inner.sign,
            };
        }
        return series(a, b, c, z);
    }
    // Near 1 the connection formula adds two terms that cancel catastrophically when
    // its (1 - z) series start with large terms (large parameters); the power series,
    // all positive terms for positive parameters, is then exact if slower. Take the
    // connection only where it is well conditioned or the series would be too long.
    let w = 1.0 - z;
    let kappa = ((a * b) / (1.0 - s))
        .abs()
        .max(((c - a) * (c - b) / (1.0 + s)).abs())
        * w;
    let series_terms = (a.abs().max(b.abs()) * z + 40.0) / w;
    if kappa > 0.25 && series_terms < 5e6 {
        let direct = (a * b / c).abs();
        let euler = ((c - a) * (c - b) / c).abs();
        if euler < direct {
            let inner = series(c - a, c - b, c, z);
            return Signed {
                log: inner.log + s * w.ln(),
                sign: inner.sign,
            };
        }
        return series(a, b, c, z);
    }
    connection(a, b, c, z)
}

/// The power series `sum (a)_n (b)_n / (c)_n z^n / n!`, with a running scale so terms
/// far beyond f64's range are summed exactly in ratio.
fn series(a: f64, b: f64, c: f64, z: f64) -> Signed {
    const RESCALE: f64 = 1e200;
    let ln_rescale = RESCALE.ln();
    let (mut term, mut sum, mut log_scale) = (1.0f64, 1.0f64, 0.0f64);
    let mut n = 0.0;
    for _ in 0..20_000_000u32 {
        let ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        sum += term;
        n += 1.0;
        if term.abs() > RESCALE || sum.abs() > RESCALE {
            term /= RESCALE;
            sum /= RESCALE;
            log_scale += ln_rescale;
        }
        if term == 0.0 || (ratio.abs() < 1.0 && term.abs() <= 1e-17 * sum.abs()) {
            break;
        }
    }
    Signed {
        log: sum.abs().ln() + log_scale,
        sign: sum.signum(),
    }
}

/// Abramowitz & Stegun 15.3.6, for `c - a - b` not an integer:
/// `2F1(a,b;c;z) = G1 2F1(a, b; a+b-c+1; 1-z) + (1-z)^(c-a-b) G2 2F1(c-a, c-b; c-a-b+1; 1-z)`
/// with `G1 = Γ(c)Γ(c-a-b) / (Γ(c-a)Γ(c-b))`, `G2 = Γ(c)Γ(a+b-c) / (Γ(a)Γ(b))`.
fn connection(a: f64, b: f64, c: f64, z: f64) -> Signed {
    let w = 1.0 - z;
    let s = c - a - b;
    let g = |x: f64| -> Signed {
        if x > 0.0 {
            Signed {
                log: ln_gamma(x),
                sign: 1.0,
            }
        } else {
            let v = gamma(x);
            Signed {
                log: v.abs().ln(),
                sign: v.signum(),
            }
        }
    };
    let (gc, gs, gms) = (g(c), g(s), g(-s));
    let first = {
        let f = series(a, b, 1.0 - s, w);
        let (gca, gcb) = (g(c - a), g(c - b));
        Signed {
            log: gc.log + gs.log - gca.log - gcb.log + f.log,
            sign: gc.sign * gs.sign * gca.sign * gcb.sign * f.sign,
        }
    };
    let second = {
        let f = series(c - a, c - b, 1.0 + s, w);
        let (ga, gb) = (g(a), g(b));
        Signed {
            log: gc.log + gms.log - ga.log - gb.log + f.log + s * w.ln(),
            sign: gc.sign * gms.sign * ga.sign * gb.sign * f.sign,
        }
    };
    // Sum two signed logs.
    let m = first.log.max(second.log);
    let total = first.sign * (first.log - m).exp() + second.sign * (second.log - m).exp();
    Signed {
        log: m + total.abs().ln(),
        sign: total.signum(),
    }
}
