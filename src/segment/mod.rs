//! Customer segmentation: k-means clustering ([`KMeans`]), feature scaling
//! ([`scale`]), cluster quality and the choice of k ([`quality`]), and per-cluster
//! profiles a marketer can name ([`profile_clusters`]).
//!
//! The usual flow: build a feature matrix from [`crate::profile::Profile::features`],
//! `log1p` the skewed money and count columns, standardize, pick k with
//! [`quality::choose_k`], fit, and describe the clusters on the unscaled features.

mod kmeans;
pub mod quality;
pub mod scale;

pub use kmeans::{Algorithm, FittedKMeans, Init, KMeans, MAX_N_INIT};

use ndarray::ArrayView2;

use crate::error::{Error, Result};
use crate::kernels::check_finite;

/// The number of clusters `labels` names (largest label + 1), checking that every label
/// is below the number of points: n points have at most n clusters, so memory stays
/// bounded by the input whatever the labels hold.
pub(crate) fn cluster_count(labels: &[usize]) -> Result<usize> {
    let n = labels.len();
    match labels.iter().copied().max() {
        None => Ok(0),
        Some(max) if max < n => Ok(max + 1),
        Some(_) => {
            // One pass for the common case; the offending row only on failure.
            let row = labels.iter().position(|&l| l >= n).unwrap_or(0);
            Err(Error::InvalidValue {
                field: "labels",
                row,
                value: labels[row] as f64,
                reason: format!(
                    "cluster labels run from 0 to n - 1 = {}",
                    n.saturating_sub(1)
                ),
            })
        }
    }
}

/// Rows present and one label per row: [`Error::Empty`] or [`Error::LengthMismatch`].
pub(crate) fn check_rows_labels(x: &ArrayView2<f64>, labels: &[usize]) -> Result<()> {
    let n = x.nrows();
    if n == 0 {
        return Err(Error::Empty { field: "x" });
    }
    if labels.len() != n {
        return Err(Error::LengthMismatch {
            field: "labels",
            expected: n,
            found: labels.len(),
        });
    }
    Ok(())
}

/// One cluster described on the original (unscaled) features.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClusterProfile {
    /// The cluster's label.
    pub cluster: usize,
    /// Members.
    pub size: usize,
    /// Members as a share of all rows, 0..=1.
    pub share: f64,
    /// Mean of each feature over the members.
    pub means: Vec<f64>,
    /// Median of each feature over the members.
    pub medians: Vec<f64>,
}

/// Size, share, and per-feature mean and median of each cluster, computed on `x` (pass
/// the unscaled features so the numbers mean something to a marketer).
///
/// # Errors
/// [`Error::LengthMismatch`] when `labels` and `x` differ in rows; [`Error::Empty`] for
/// no rows; [`Error::NonFinite`] for NaN or infinite features; [`Error::InvalidValue`]
/// for a label of n (the number of rows) or more.
///
/// ```
/// use ndarray::array;
/// let x = array![[1.0, 10.0], [3.0, 30.0], [100.0, 0.0]];
/// let p = patronage::segment::profile_clusters(x.view(), &[0, 0, 1])?;
/// assert_eq!((p[0].size, p[0].means[1], p[0].medians[0]), (2, 20.0, 2.0));
/// assert!((p[1].share - 1.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn profile_clusters(x: ArrayView2<f64>, labels: &[usize]) -> Result<Vec<ClusterProfile>> {
    let (n, d) = x.dim();
    check_rows_labels(&x, labels)?;
    check_finite(&x)?;
    let k = cluster_count(labels)?;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(i);
    }
    Ok(members
        .iter()
        .enumerate()
        .map(|(cluster, rows)| {
            let size = rows.len();
            let mut means = vec![0.0; d];
            let mut medians = vec![0.0; d];
            if size > 0 {
                for j in 0..d {
                    let mut col: Vec<f64> = rows.iter().map(|&i| x[[i, j]]).collect();
                    means[j] = col.iter().sum::<f64>() / size as f64;
                    col.sort_by(f64::total_cmp);
                    medians[j] = if size % 2 == 1 {
                        col[size / 2]
                    } else {
                        0.5 * (col[size / 2 - 1] + col[size / 2])
                    };
                }
            }
            ClusterProfile {
                cluster,
                size,
                share: size as f64 / n as f64,
                means,
                medians,
            }
        })
        .collect())
}
