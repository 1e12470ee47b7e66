//! Dense symmetric eigen-decomposition (cyclic Jacobi), for the correlation matrices
//! of principal components and factor analysis: a few hundred variables at most, where
//! Jacobi's rotations give eigenvalues to a few units of rounding relative to the
//! matrix's norm, and orthonormal eigenvectors.

use ndarray::{Array1, Array2, ArrayView2};

/// Eigenvalues (descending) and unit eigenvectors (columns, in the same order) of a
/// symmetric matrix (only its lower triangle is read). Each eigenvector's sign makes
/// its largest-magnitude component positive (first such on ties), so the result does
/// not depend on rounding noise in the rotations.
pub(crate) fn symmetric_eigen(a: ArrayView2<'_, f64>) -> (Array1<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut m = Array2::from_shape_fn((n, n), |(i, j)| if i >= j { a[[i, j]] } else { a[[j, i]] });
    let mut v = Array2::<f64>::eye(n);
    let norm: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[[p, q]];
                // Negligible against its diagonal (or the whole matrix): set to 0.
                let scale = (m[[p, p]] * m[[q, q]]).abs().sqrt().max(1e-300 * norm);
                if apq.abs() <= f64::EPSILON * scale || apq.abs() <= 1e-300 {
                    m[[p, q]] = 0.0;
                    m[[q, p]] = 0.0;
                    continue;
                }
                rotated = true;
                // The rotation that zeroes m[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + theta.hypot(1.0));
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[[j, j]].total_cmp(&m[[i, i]]));
    let values = Array1::from_iter(order.iter().map(|&i| m[[i, i]]));
    let mut vectors = Array2::zeros((n, n));
    for (col, &i) in order.iter().enumerate() {
        let mut big = 0;
        for k in 0..n {
            if v[[k, i]].abs() > v[[big, i]].abs() {
                big = k;
            }
        }
        let sign = if v[[big, i]] < 0.0 { -1.0 } else { 1.0 };
        for k in 0..n {
            vectors[[k, col]] = sign * v[[k, i]];
        }
    }
    (values, vectors)
}

/// The inverse of a symmetric positive definite matrix by Cholesky, `None` when it is
/// not positive definite.
pub(crate) fn spd_inverse(a: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let flat: Vec<f64> = a.iter().copied().collect();
    let inv = super::optim::cholesky_inverse(&flat, n)?;
    Array2::from_shape_vec((n, n), inv).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_reconstructs_the_matrix() {
        let a = ndarray::array![
            [4.0, 1.0, 0.5, 0.0],
            [1.0, 3.0, 0.2, 0.1],
            [0.5, 0.2, 2.0, 0.3],
            [0.0, 0.1, 0.3, 1.0]
        ];
        let (values, vectors) = symmetric_eigen(a.view());
        assert!(values.windows(2).into_iter().all(|w| w[0] >= w[1]));
        let rebuilt = vectors.dot(&Array2::from_diag(&values)).dot(&vectors.t());
        for (x, y) in rebuilt.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-13, "{x} {y}");
        }
        let identity = vectors.t().dot(&vectors);
        for i in 0..4 {
            for j in 0..4 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((identity[[i, j]] - e).abs() < 1e-13);
            }
        }
        // Trace and a known case: a 2x2 with eigenvalues 3 and 1.
        let (v2, _) = symmetric_eigen(ndarray::array![[2.0, 1.0], [1.0, 2.0]].view());
        assert!((v2[0] - 3.0).abs() < 1e-15 && (v2[1] - 1.0).abs() < 1e-15);
    }
}
