//! Special functions: the Gaussian hypergeometric function `2F1(a, b; c; z)`, computed
//! in log space so it neither overflows nor loses accuracy where the CLV models need
//! it (parameters in the thousands, `z` close to 1), with its sign ([`SignedLog`],
//! [`ln_hyp2f1_signed`]): 2F1 is negative in parts of the models' range (`c < 0`).
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
//! ```text
//! use patronage::math::special::{hyp2f1, ln_hyp2f1};
//! // 2F1(1, 1; 2; z) = -ln(1 - z) / z
//! let z = 0.999;
//! assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0 - z).ln() / z)).abs() < 1e-12);
//! // Beyond f64's range, the log is still exact.
//! assert!((ln_hyp2f1(5000.242593, 5002.425752, 5002.218638, 0.7666280481365015) - 7276.2630072718235771).abs() < 1e-8);
//! ```

use statrs::function::gamma::{gamma, ln_gamma};

/// A real number held as the logarithm of its magnitude and its sign,
/// `sign · exp(ln_abs)`: the form of [`ln_hyp2f1_signed`], whose values may both
/// overflow f64 and be negative (`2F1(a, b; c; z)` with `c < 0`, as in the BG/NBD
/// expectations when `a + b < 1`).
///
/// ```text
/// use patronage::math::special::{ln_hyp2f1_signed, SignedLog};
/// // 2F1(1, 1; -0.5; 0.5) = -8.7123889803...: negative, so ln|2F1| alone would mislead.
/// let v = ln_hyp2f1_signed(1.0, 1.0, -0.5, 0.5);
/// assert!(v.is_negative());
/// assert!((v.value() - -8.712388980384690).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedLog {
    /// `ln |v|` (`-inf` for zero).
    pub ln_abs: f64,
    /// The sign of `v`, `1.0` or `-1.0` (`1.0` for zero).
    pub sign: f64,
}

impl SignedLog {
    /// `sign · exp(ln_abs)`: overflows to `±inf` or underflows to `±0` outside f64's
    /// range.
    pub fn value(self) -> f64 {
        self.sign * self.ln_abs.exp()
    }

    /// Whether the number is negative.
    pub fn is_negative(self) -> bool {
        self.sign < 0.0
    }
}

/// The product: logarithms add, signs multiply.
impl std::ops::Mul for SignedLog {
    type Output = Self;

    fn mul(self, other: Self) -> Self {
        Self {
            ln_abs: self.ln_abs + other.ln_abs,
            sign: self.sign * other.sign,
        }
    }
}

/// `2F1(a, b; c; z)` for real `z < 1` (and `c` not a non-positive integer). Overflows
/// to infinity where the value exceeds f64: use [`ln_hyp2f1_signed`] there. (The
/// models work in logs; this is for the tests against mpmath.)
#[cfg(test)]
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    hyp2f1_signed(a, b, c, z).value()
}

/// `ln |2F1(a, b; c; z)|` for real `z < 1`, accurate where the value itself overflows.
///
/// The absolute value: where 2F1 may be negative (`c < 0`, or `a` or `b` negative) use
/// [`ln_hyp2f1_signed`], which also gives the sign.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    hyp2f1_signed(a, b, c, z).ln_abs
}

/// `ln |2F1(a, b; c; z)|` and the sign of `2F1(a, b; c; z)`, for real `z < 1` (and `c`
/// not a non-positive integer).
///
/// Where the power series is summed (`|z|` up to 0.9, and further for small
/// parameters), its terms after the first are summed apart from the leading 1 and the
/// logarithm taken with `ln_1p`, so a value near 1 keeps the relative accuracy of
/// `2F1 - 1` in its logarithm (`ln 2F1 ≈ a b z / c` for small `z`): `1 - x^q 2F1` can
/// be computed as `-expm1(q ln x + ln 2F1)` without cancellation.
///
/// ```text
/// use patronage::math::special::ln_hyp2f1_signed;
/// // A negative value: 2F1(-0.3, -0.69; -0.19; 0.9) = -0.2057159462502...
/// let v = ln_hyp2f1_signed(-0.3, -0.69, -0.19, 0.9);
/// assert!(v.is_negative());
/// assert!((v.value() - -0.205715946250278).abs() < 1e-12);
/// // Near 1 the logarithm keeps its relative accuracy: ln 2F1(1, 1; 2; z) = ln(-ln(1 - z) / z).
/// let z = 1e-9;
/// let exact = z / 2.0 + 5.0 * z * z / 24.0; // the series of ln(-ln(1 - z) / z)
/// let got = ln_hyp2f1_signed(1.0, 1.0, 2.0, z).ln_abs;
/// assert!((got - exact).abs() <= 1e-15 * exact);
/// ```
pub fn ln_hyp2f1_signed(a: f64, b: f64, c: f64, z: f64) -> SignedLog {
    hyp2f1_signed(a, b, c, z)
}

fn hyp2f1_signed(a: f64, b: f64, c: f64, z: f64) -> SignedLog {
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return SignedLog {
            ln_abs: 0.0,
            sign: 1.0,
        };
    }
    if z < 0.0 {
        // Pfaff: (1 - z)^(-a) 2F1(a, c - b; c; z / (z - 1)).
        let inner = hyp2f1_signed(a, c - b, c, z / (z - 1.0));
        return SignedLog {
            ln_abs: inner.ln_abs - a * (-z).ln_1p(),
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
        return SignedLog {
            ln_abs: v.abs().ln(),
            sign: v.signum(),
        };
    }
    if z <= 0.9 || near_integer {
        // Euler's transformation when it makes the series' parameters smaller.
        let direct = (a * b / c).abs();
        let euler = ((c - a) * (c - b) / c).abs();
        if euler < direct {
            let inner = series(c - a, c - b, c, z);
            return SignedLog {
                ln_abs: inner.ln_abs + s * (-z).ln_1p(),
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
            return SignedLog {
                ln_abs: inner.ln_abs + s * w.ln(),
                sign: inner.sign,
            };
        }
        return series(a, b, c, z);
    }
    connection(a, b, c, z)
}

/// The power series `sum (a)_n (b)_n / (c)_n z^n / n!`, with a running scale so terms
/// far beyond f64's range are summed exactly in ratio. The terms after the leading 1
/// are summed apart from it, and a sum that stays near 1 is returned as
/// `ln_1p(rest)`: its logarithm keeps the relative accuracy of `sum - 1`.
fn series(a: f64, b: f64, c: f64, z: f64) -> SignedLog {
    const RESCALE: f64 = 1e200;
    let ln_rescale = RESCALE.ln();
    // `one` is the leading term in the running scale, `rest` the sum of the others.
    let (mut term, mut one, mut rest, mut log_scale) = (1.0f64, 1.0f64, 0.0f64, 0.0f64);
    let mut n = 0.0;
    for _ in 0..20_000_000u32 {
        let ratio = (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        term *= ratio;
        rest += term;
        n += 1.0;
        if term.abs() > RESCALE || rest.abs() > RESCALE {
            term /= RESCALE;
            rest /= RESCALE;
            one /= RESCALE;
            log_scale += ln_rescale;
        }
        // Converged when the terms fall below 1e-17 of the part past the leading 1 (of
        // the sum itself where that part is near -1 and the sum cancels; below 1e-33 of
        // the leading 1 where the part cancels to near 0).
        if term == 0.0 || (ratio.abs() < 1.0 && term.abs() <= 1e-17 * rest.abs().max(1e-16 * one)) {
            break;
        }
    }
    if log_scale == 0.0 && rest > -1.0 {
        return SignedLog {
            ln_abs: rest.ln_1p(),
            sign: 1.0,
        };
    }
    let sum = one + rest;
    SignedLog {
        ln_abs: sum.abs().ln() + log_scale,
        sign: sum.signum(),
    }
}

/// Abramowitz & Stegun 15.3.6, for `c - a - b` not an integer:
/// `2F1(a,b;c;z) = G1 2F1(a, b; a+b-c+1; 1-z) + (1-z)^(c-a-b) G2 2F1(c-a, c-b; c-a-b+1; 1-z)`
/// with `G1 = Γ(c)Γ(c-a-b) / (Γ(c-a)Γ(c-b))`, `G2 = Γ(c)Γ(a+b-c) / (Γ(a)Γ(b))`.
fn connection(a: f64, b: f64, c: f64, z: f64) -> SignedLog {
    let w = 1.0 - z;
    let s = c - a - b;
    let g = |x: f64| -> SignedLog {
        if x > 0.0 {
            SignedLog {
                ln_abs: ln_gamma(x),
                sign: 1.0,
            }
        } else {
            let v = gamma(x);
            SignedLog {
                ln_abs: v.abs().ln(),
                sign: v.signum(),
            }
        }
    };
    let (gc, gs, gms) = (g(c), g(s), g(-s));
    let first = {
        let f = series(a, b, 1.0 - s, w);
        let (gca, gcb) = (g(c - a), g(c - b));
        SignedLog {
            ln_abs: gc.ln_abs + gs.ln_abs - gca.ln_abs - gcb.ln_abs + f.ln_abs,
            sign: gc.sign * gs.sign * gca.sign * gcb.sign * f.sign,
        }
    };
    let second = {
        let f = series(c - a, c - b, 1.0 + s, w);
        let (ga, gb) = (g(a), g(b));
        SignedLog {
            ln_abs: gc.ln_abs + gms.ln_abs - ga.ln_abs - gb.ln_abs + f.ln_abs + s * w.ln(),
            sign: gc.sign * gms.sign * ga.sign * gb.sign * f.sign,
        }
    };
    // Sum two signed logs.
    let m = first.ln_abs.max(second.ln_abs);
    let total = first.sign * (first.ln_abs - m).exp() + second.sign * (second.ln_abs - m).exp();
    SignedLog {
        ln_abs: m + total.abs().ln(),
        sign: total.signum(),
    }
}

#[cfg(test)]
#[path = "special_mpmath.rs"]
mod special_mpmath;
