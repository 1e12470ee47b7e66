//! Feature scaling before clustering: standardization (fit on one matrix, apply to
//! another, invert) and `log1p` for skewed money and count features.
//!
//! ```
//! use ndarray::array;
//! use patronage::prelude::*;
//! use patronage::segment::scale::{log1p_columns, Standardizer};
//!
//! let x = array![[1.0, 100.0], [3.0, 300.0]];
//! let s = Standardizer::params().fit(x.view())?;
//! let z = s.transform(x.view())?;
//! assert_eq!(z, array![[-1.0, -1.0], [1.0, 1.0]]);
//! assert_eq!(s.inverse_transform(z.view())?, x);
//! let logged = log1p_columns(x.view(), &[1])?;
//! assert!((logged[[0, 1]] - 101f64.ln()).abs() < 1e-12);
//! # Ok::<(), patronage::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::kernels::{check_columns, check_finite};
use crate::model::{Fit, Transformer};

/// Rows present, every value finite (naming the first bad row).
fn check(x: &ArrayView2<f64>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::Empty { field: "x" });
    }
    check_finite(x)
}

/// The standardizer's settings (it has none): [`Fit::fit`] learns a [`Standardizer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StandardizerParams;

/// Per-column mean and standard deviation (population, as scikit-learn's
/// `StandardScaler`); a constant column gets scale 1 so it maps to zeros. Learned by
/// [`Standardizer::params`]`().fit(x)`; applied and inverted through [`Transformer`].
///
/// With serde, it is checked as it is read: as many scales as means, all finite, every
/// scale positive; a file that breaks one of these is an [`Error`] at load time.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawStandardizer")
)]
pub struct Standardizer {
    means: Vec<f64>,
    scales: Vec<f64>,
}

/// [`Standardizer`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawStandardizer {
    means: Vec<f64>,
    scales: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawStandardizer> for Standardizer {
    type Error = Error;

    fn try_from(raw: RawStandardizer) -> Result<Standardizer> {
        crate::validate::all_finite("means", &raw.means)?;
        crate::validate::same_len("scales", raw.means.len(), raw.scales.len())?;
        crate::validate::all_finite("scales", &raw.scales)?;
        if let Some((row, &value)) = raw.scales.iter().enumerate().find(|(_, s)| **s <= 0.0) {
            return Err(Error::InvalidValue {
                field: "scales",
                row,
                value,
                reason: "a scale is positive".into(),
            });
        }
        Ok(Standardizer {
            means: raw.means,
            scales: raw.scales,
        })
    }
}

impl Standardizer {
    /// The standardizer's params, to [`fit`](Fit::fit).
    pub fn params() -> StandardizerParams {
        StandardizerParams
    }

    /// Column means.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// Column scales (standard deviations, 1 for constant columns).
    pub fn scales(&self) -> &[f64] {
        &self.scales
    }

    fn check_cols(&self, x: &ArrayView2<f64>) -> Result<()> {
        check_columns(x, self.means.len())?;
        check(x)
    }
}

impl Fit<ArrayView2<'_, f64>> for StandardizerParams {
    type Fitted = Standardizer;

    /// Learns each column's mean and standard deviation (computed on the column scaled
    /// by a power of two when its values are so large or so close together that the
    /// plain sums overflow or underflow).
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::NonFinite`] naming the row.
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Standardizer> {
        check(&x)?;
        let n = x.nrows() as f64;
        let (means, scales) = x
            .columns()
            .into_iter()
            .map(|c| {
                let m = c.sum() / n;
                let sd = (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
                // A sum or square that overflowed (values near f64::MAX) or a spread
                // whose squares underflowed (values near 1e-160 or below): redo the
                // column scaled by a power of two, which is exact.
                let first = c[0];
                if m.is_finite() && sd.is_finite() && (sd > 1e-150 || c.iter().all(|&v| v == first))
                {
                    (m, sd)
                } else {
                    scaled_moments(c.iter().copied(), n)
                }
            })
            .map(|(m, sd)| (m, if sd > 0.0 { sd } else { 1.0 }))
            .unzip();
        Ok(Standardizer { means, scales })
    }
}

impl Transformer for Standardizer {
    /// `(x - mean) / scale` per column.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for a different number of columns; as the fit
    /// ([`Error::Empty`], [`Error::NonFinite`]); [`Error::InvalidValue`] naming the row
    /// when a standardized value is beyond the range of f64 (a huge value in a column
    /// of tiny scale).
    fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check_cols(&x)?;
        let mut out = Array2::from_shape_fn(x.dim(), |(i, j)| {
            (x[[i, j]] - self.means[j]) / self.scales[j]
        });
        // Overflow is rare: look for it after the fast pass and redo only those values.
        if !out.iter().all(|v| v.is_finite()) {
            for ((i, j), o) in out.indexed_iter_mut() {
                if !o.is_finite() {
                    let (v, m, sd) = (x[[i, j]], self.means[j], self.scales[j]);
                    // (v - m) / sd = ((v s - m s) / sd) / s with s a power of two.
                    let s = pow2_scale(v.abs().max(m.abs()));
                    *o = ((v * s - m * s) / sd) / s;
                    if !o.is_finite() {
                        return Err(overflow("x", i, v, j, "(x - mean) / scale"));
                    }
                }
            }
        }
        Ok(out)
    }

    /// `z * scale + mean` per column.
    ///
    /// # Errors
    /// As [`transform`](Transformer::transform).
    fn inverse_transform(&self, z: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check_cols(&z)?;
        let mut out =
            Array2::from_shape_fn(z.dim(), |(i, j)| z[[i, j]] * self.scales[j] + self.means[j]);
        if !out.iter().all(|v| v.is_finite()) {
            for ((i, j), o) in out.indexed_iter_mut() {
                if !o.is_finite() {
                    let (v, m, sd) = (z[[i, j]], self.means[j], self.scales[j]);
                    let s = pow2_scale(v.abs().max(m.abs()).max(1.0));
                    *o = ((v * s) * sd + m * s) / s;
                    if !o.is_finite() {
                        return Err(overflow("z", i, v, j, "z * scale + mean"));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Mean and population standard deviation of values scaled by a power of two so that
/// neither the sum nor the squares can overflow nor the squares underflow, scaled back.
fn scaled_moments(values: impl Iterator<Item = f64> + Clone, n: f64) -> (f64, f64) {
    let s = pow2_scale(values.clone().fold(0.0, |a, v| a.max(v.abs())));
    let m = values.clone().map(|v| v * s).sum::<f64>() / n;
    let var = values.map(|v| (v * s - m) * (v * s - m)).sum::<f64>() / n;
    // |m| <= max |v| s and sd <= max |v| s: both finite once scaled back.
    (m / s, var.sqrt() / s)
}

/// A power of two `s` with `max_abs * s` in `[0.5, 1)` (1 for 0), so that values up to
/// `max_abs` scaled by `s` can be summed and squared without overflow. Scaling by a
/// power of two is exact (barring underflow of values far below `max_abs`).
pub(crate) fn pow2_scale(max_abs: f64) -> f64 {
    if !(max_abs > 0.0 && max_abs.is_finite()) {
        return 1.0;
    }
    // Exponent of max_abs from its bits (subnormals through their leading bit).
    let bits = max_abs.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let e = if biased == 0 {
        // Subnormal: value = mantissa * 2^-1074.
        -1074 + 63 - (bits & ((1u64 << 52) - 1)).leading_zeros() as i32
    } else {
        biased - 1023
    };
    // max_abs in [2^e, 2^(e+1)): scale by 2^-(e+1) (at most 2^1000, for subnormals).
    // Two factors keep each in range.
    let k = (-(e + 1)).min(1000);
    let half = k / 2;
    2f64.powi(half) * 2f64.powi(k - half)
}

fn overflow(field: &'static str, row: usize, value: f64, column: usize, what: &str) -> Error {
    Error::InvalidValue {
        field,
        row,
        value,
        reason: format!("{what} in column {column} is beyond the range of f64; rescale the column"),
    }
}

/// `ln(1 + x)` applied to the given columns (others copied), for skewed non-negative
/// features such as spend and order counts.
///
/// # Errors
/// [`Error::InvalidParameter`] for a column index out of range; [`Error::InvalidValue`]
/// for a value of -1 or less in a transformed column; [`Error::Empty`] for no rows,
/// [`Error::NonFinite`] naming the row.
pub fn log1p_columns(x: ArrayView2<f64>, columns: &[usize]) -> Result<Array2<f64>> {
    check(&x)?;
    if let Some(&c) = columns.iter().find(|&&c| c >= x.ncols()) {
        return Err(Error::InvalidParameter {
            name: "columns",
            value: c.to_string(),
            reason: format!("the data have {} columns", x.ncols()),
        });
    }
    let mut out = x.to_owned();
    for &c in columns {
        for (row, v) in out.column_mut(c).iter_mut().enumerate() {
            if *v <= -1.0 {
                return Err(Error::InvalidValue {
                    field: "x",
                    row,
                    value: *v,
                    reason: "log1p needs values above -1".into(),
                });
            }
            *v = v.ln_1p();
        }
    }
    Ok(out)
}
