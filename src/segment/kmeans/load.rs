//! Reading a saved [`FittedKMeans`]: the raw fields, then the checks.

use ndarray::Array2;

use super::FittedKMeans;
use crate::error::{Error, Result};

/// [`FittedKMeans`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
pub(super) struct RawKMeans {
    centroids: Array2<f64>,
    labels: Vec<usize>,
    inertia: f64,
    iterations: usize,
    converged: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<RawKMeans> for FittedKMeans {
    type Error = Error;

    fn try_from(raw: RawKMeans) -> Result<FittedKMeans> {
        let (k, d) = raw.centroids.dim();
        if k == 0 {
            return Err(Error::Empty { field: "centroids" });
        }
        if d == 0 {
            return Err(Error::Empty {
                field: "centroids columns",
            });
        }
        crate::kernels::check_finite_named("centroids", &raw.centroids.view())?;
        if let Some((row, &label)) = raw.labels.iter().enumerate().find(|(_, l)| **l >= k) {
            return Err(Error::InvalidValue {
                field: "labels",
                row,
                value: label as f64,
                reason: format!("a label is below the number of centroids, {k}"),
            });
        }
        crate::validate::all_non_negative("inertia", &[raw.inertia])?;
        Ok(FittedKMeans {
            centroids: raw.centroids,
            labels: raw.labels,
            inertia: raw.inertia,
            iterations: raw.iterations,
            converged: raw.converged,
        })
    }
}
