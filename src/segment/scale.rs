//! Feature scaling before clustering: standardization (fit on one matrix, apply to
//! another, invert) and `log1p` for skewed money and count features.
//!
//! ```
//! use ndarray::array;
//! use patronage::segment::scale::{log1p_columns, Standardizer};
//!
//! let x = array![[1.0, 100.0], [3.0, 300.0]];
//! let s = Standardizer::fit(x.view())?;
//! let z = s.transform(x.view())?;
//! assert_eq!(z, array![[-1.0, -1.0], [1.0, 1.0]]);
//! assert_eq!(s.inverse_transform(z.view())?, x);
//! let logged = log1p_columns(x.view(), &[1])?;
//! assert!((logged[[0, 1]] - 101f64.ln()).abs() < 1e-12);
//! # Ok::<(), patronage::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};

fn check(x: &ArrayView2<f64>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::Empty { field: "x" });
    }
    for (row, r) in x.rows().into_iter().enumerate() {
        if let Some(&value) = r.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                field: "x",
                row,
                value,
            });
        }
    }
    Ok(())
}

/// Per-column mean and standard deviation (population, as scikit-learn's
/// `StandardScaler`); a constant column gets scale 1 so it maps to zeros.
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
    /// Learns each column's mean and standard deviation.
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::NonFinite`] naming the row.
    pub fn fit(x: ArrayView2<f64>) -> Result<Self> {
        check(&x)?;
        let n = x.nrows() as f64;
        let means: Vec<f64> = x.columns().into_iter().map(|c| c.sum() / n).collect();
        let scales = x
            .columns()
            .into_iter()
            .zip(&means)
            .map(|(c, m)| {
                let sd = (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
                if sd > 0.0 { sd } else { 1.0 }
            })
            .collect();
        Ok(Self { means, scales })
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
        if x.ncols() != self.means.len() {
            return Err(Error::LengthMismatch {
                field: "x columns",
                expected: self.means.len(),
                found: x.ncols(),
            });
        }
        check(x)
    }

    /// `(x - mean) / scale` per column.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for a different number of columns; as [`fit`](Self::fit).
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check_cols(&x)?;
        Ok(Array2::from_shape_fn(x.dim(), |(i, j)| {
            (x[[i, j]] - self.means[j]) / self.scales[j]
        }))
    }

    /// `z * scale + mean` per column.
    ///
    /// # Errors
    /// As [`transform`](Self::transform).
    pub fn inverse_transform(&self, z: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check_cols(&z)?;
        Ok(Array2::from_shape_fn(z.dim(), |(i, j)| {
            z[[i, j]] * self.scales[j] + self.means[j]
        }))
    }
}

/// `ln(1 + x)` applied to the given columns (others copied), for skewed non-negative
/// features such as spend and order counts.
///
/// # Errors
/// [`Error::InvalidParameter`] for a column index out of range; [`Error::InvalidValue`]
/// for a value of -1 or less in a transformed column; as [`Standardizer::fit`].
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
