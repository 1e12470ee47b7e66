//! Categorical features and interactions for a regression design, with the readable
//! coefficient names of statsmodels' formulas (patsy): `segment[T.gold]`, `tenure:segment[T.gold]`.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};

/// Columns of a design with their names, ready for
/// [`feature_names`](super::LinearRegressionParams::feature_names).
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// The values, one row per observation.
    pub values: Array2<f64>,
    /// One name per column.
    pub names: Vec<String>,
}

impl Columns {
    /// Numeric columns with their names.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the names are not one per column.
    pub fn new<S: AsRef<str>>(values: Array2<f64>, names: &[S]) -> Result<Self> {
        crate::validate::same_len("names", values.ncols(), names.len())?;
        Ok(Self {
            values,
            names: names.iter().map(|s| s.as_ref().to_string()).collect(),
        })
    }

    /// These columns followed by `other`'s (same rows).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the row counts differ.
    pub fn and(self, other: &Columns) -> Result<Self> {
        crate::validate::same_len("columns rows", self.values.nrows(), other.values.nrows())?;
        let values =
            ndarray::concatenate(ndarray::Axis(1), &[self.values.view(), other.values.view()])
                .map_err(|_| Error::LengthMismatch {
                    field: "columns rows",
                    expected: self.values.nrows(),
                    found: other.values.nrows(),
                })?;
        let mut names = self.names;
        names.extend(other.names.iter().cloned());
        Ok(Self { values, names })
    }
}

/// One-hot (treatment) coding of a categorical feature: a 0/1 column per level except
/// the reference level, named `name[T.level]` as statsmodels' formulas name them.
/// Levels are sorted; the reference is the first level unless given.
///
/// ```
/// use patronage::regression::one_hot;
/// let segment = ["silver", "gold", "bronze", "gold"];
/// let coded = one_hot("segment", &segment, Some("bronze"))?;
/// assert_eq!(coded.names, ["segment[T.gold]", "segment[T.silver]"]);
/// assert_eq!(coded.values.row(1).to_vec(), [1.0, 0.0]);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::Empty`] for no values; [`Error::InvalidParameter`] for a reference level
/// that does not occur; [`Error::InsufficientData`] for a single level (no contrast).
pub fn one_hot<S: AsRef<str>>(
    name: &str,
    values: &[S],
    reference: Option<&str>,
) -> Result<Columns> {
    if values.is_empty() {
        return Err(Error::Empty { field: "values" });
    }
    let mut levels: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    levels.sort_unstable();
    levels.dedup();
    let reference = match reference {
        Some(r) => {
            if !levels.contains(&r) {
                return Err(Error::InvalidParameter {
                    name: "reference",
                    value: r.to_string(),
                    reason: format!("the reference level must be one of the levels of {name}"),
                });
            }
            r
        }
        None => levels[0],
    };
    if levels.len() < 2 {
        return Err(Error::InsufficientData {
            model: "one-hot coding",
            reason: format!("{name} has one level only, so it has no contrast to code"),
        });
    }
    let kept: Vec<&str> = levels.iter().copied().filter(|l| *l != reference).collect();
    let mut out = Array2::zeros((values.len(), kept.len()));
    for (i, v) in values.iter().enumerate() {
        if let Ok(j) = kept.binary_search(&v.as_ref()) {
            out[[i, j]] = 1.0;
        }
    }
    Ok(Columns {
        values: out,
        names: kept.iter().map(|l| format!("{name}[T.{l}]")).collect(),
    })
}

/// Interactions: the product of every column of `a` with every column of `b`, named
/// `a:b` (`tenure:segment[T.gold]`), in `a`-major order.
///
/// ```
/// use ndarray::array;
/// use patronage::regression::{Columns, interaction, one_hot};
/// let tenure = Columns::new(array![[1.0], [2.0], [3.0]], &["tenure"])?;
/// let segment = one_hot("segment", &["a", "b", "b"], None)?;
/// let both = interaction(&tenure, &segment)?;
/// assert_eq!(both.names, ["tenure:segment[T.b]"]);
/// assert_eq!(both.values.column(0).to_vec(), [0.0, 2.0, 3.0]);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] when the row counts differ; [`Error::NonFinite`] naming the
/// row of a NaN or infinite value.
pub fn interaction(a: &Columns, b: &Columns) -> Result<Columns> {
    let n = a.values.nrows();
    crate::validate::same_len("columns rows", n, b.values.nrows())?;
    check_finite(&a.values.view())?;
    check_finite(&b.values.view())?;
    let (pa, pb) = (a.values.ncols(), b.values.ncols());
    let values = Array2::from_shape_fn((n, pa * pb), |(i, c)| {
        a.values[[i, c / pb]] * b.values[[i, c % pb]]
    });
    let names = a
        .names
        .iter()
        .flat_map(|x| b.names.iter().map(move |y| format!("{x}:{y}")))
        .collect();
    Ok(Columns { values, names })
}

fn check_finite(x: &ArrayView2<f64>) -> Result<()> {
    crate::kernels::check_finite(x)
}
