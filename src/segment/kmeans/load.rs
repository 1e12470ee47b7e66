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
        FittedKMeans::from_parts(
            raw.centroids,
            raw.labels,
            raw.inertia,
            raw.iterations,
            raw.converged,
        )
    }
}
