//! Householder QR of tall designs (TSQR: each fixed chunk of rows is factored in
//! parallel, the small triangular factors are merged in chunk order, so the result does
//! not depend on the number of threads), triangular solves and the singular values of a
//! small triangular factor (one-sided Jacobi).

/// Rows per chunk of the tall-skinny QR: small enough that a chunk's columns stay in
/// cache, large enough that merging the triangular factors costs little.
pub(crate) const QR_CHUNK: usize = 2048;

/// Householder QR of the `m x k` column-major matrix `a` (column `c` is
/// `a[c * m..(c + 1) * m]`), in place; returns the `min(m, k) x k` upper-triangular
/// factor `R` as a row-major `k x k` matrix (rows beyond `m` zero). Signs are those of
/// LAPACK's `dgeqrf` (the diagonal may be negative).
#[inline(always)]
pub(crate) fn householder_r(a: &mut [f64], m: usize, k: usize) -> Vec<f64> {
    let mut r = vec![0.0; k * k];
    let steps = m.min(k);
    for j in 0..steps {
        let (head, tail) = a.split_at_mut((j + 1) * m);
        let v = &mut head[j * m + j..(j + 1) * m];
        let norm = norm2(v);
        if norm == 0.0 {
            // A zero column below the diagonal: nothing to reflect.
            r[j * k + j] = v[0];
            for c in j + 1..k {
                r[j * k + c] = tail[(c - j - 1) * m + j];
            }
            continue;
        }
        let alpha = if v[0] > 0.0 { -norm } else { norm };
        // v = x - alpha e1; H = I - 2 v v' / (v' v) with v' v = 2 (norm^2 - alpha x0).
        let vtv = 2.0 * norm * (norm + v[0].abs());
        v[0] -= alpha;
        let beta = 2.0 / vtv;
        for c in j + 1..k {
            let col = &mut tail[(c - j - 1) * m + j..(c - j) * m];
            let s = beta * dot(v, col);
            for (x, &vi) in col.iter_mut().zip(v.iter()) {
                *x -= s * vi;
            }
            r[j * k + c] = col[0];
        }
        r[j * k + j] = alpha;
    }
    r
}

/// Merges two `k x k` upper-triangular factors: the `R` of the stacked `[a; b]`.
pub(crate) fn merge_r(a: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let m = 2 * k;
    let mut stacked = vec![0.0; m * k];
    for c in 0..k {
        for i in 0..=c {
            stacked[c * m + i] = a[i * k + c];
            stacked[c * m + k + i] = b[i * k + c];
        }
    }
    householder_r(&mut stacked, m, k)
}

/// `a . b`, four accumulators (vectorizes).
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..4 {
            acc[t] += x[t] * y[t];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Euclidean norm, scaled so that it neither overflows nor underflows.
#[inline(always)]
pub(crate) fn norm2(v: &[f64]) -> f64 {
    let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if big == 0.0 || !big.is_finite() {
        return big;
    }
    let plain = dot(v, v);
    if plain.is_finite() && plain > 1e-280 {
        return plain.sqrt();
    }
    let s = 1.0 / big;
    let scaled: f64 = v.iter().map(|x| (x * s) * (x * s)).sum();
    big * scaled.sqrt()
}

/// Solves `R x = b` for upper-triangular row-major `R` (`k x k`).
pub(crate) fn solve_upper(r: &[f64], b: &[f64], k: usize) -> Vec<f64> {
    let mut x = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|c| r[i * k + c] * x[c]).sum();
        x[i] = (b[i] - s) / r[i * k + i];
    }
    x
}

/// `R^-1` of an upper-triangular row-major `R` (`k x k`), upper triangular.
pub(crate) fn invert_upper(r: &[f64], k: usize) -> Vec<f64> {
    let mut inv = vec![0.0; k * k];
    for c in 0..k {
        let mut e = vec![0.0; k];
        e[c] = 1.0;
        let col = solve_upper(r, &e, k);
        for i in 0..k {
            inv[i * k + c] = col[i];
        }
    }
    inv
}

/// `R^-1 R^-T = (R' R)^-1` for `Ri = R^-1`: the unscaled covariance of least squares.
pub(crate) fn gram_inverse(ri: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            // Ri is upper triangular: row i is zero before column i.
            let v: f64 = (i.max(j)..k).map(|l| ri[i * k + l] * ri[j * k + l]).sum();
            out[i * k + j] = v;
            out[j * k + i] = v;
        }
    }
    out
}

/// Singular values of a square row-major `k x k` matrix by one-sided Jacobi (accurate
/// to a few ulps relative to each value, also for ill-conditioned triangular factors),
/// largest first.
pub(crate) fn singular_values(a: &[f64], k: usize) -> Vec<f64> {
    // Columns of A (column-major copy) are rotated until mutually orthogonal.
    let mut u = vec![0.0; k * k];
    for i in 0..k {
        for c in 0..k {
            u[c * k + i] = a[i * k + c];
        }
    }
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..k {
            for q in p + 1..k {
                let (alpha, beta, gamma) = {
                    let (cp, cq) = (&u[p * k..(p + 1) * k], &u[q * k..(q + 1) * k]);
                    (dot(cp, cp), dot(cq, cq), dot(cp, cq))
                };
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                for i in 0..k {
                    let (x, y) = (u[p * k + i], u[q * k + i]);
                    u[p * k + i] = c * x - s * y;
                    u[q * k + i] = s * x + c * y;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut s: Vec<f64> = (0..k).map(|c| norm2(&u[c * k..(c + 1) * k])).collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

// unwrap/expect in the tests act on fixtures the tests build, never on caller input.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_reproduces_the_gram_matrix() {
        let (m, k) = (7, 3);
        let a: Vec<f64> = (0..m * k)
            .map(|i| ((i * 37 % 11) as f64 - 5.0) / 3.0)
            .collect();
        let mut work = a.clone();
        let r = householder_r(&mut work, m, k);
        for i in 0..k {
            for j in 0..k {
                let g = dot(&a[i * m..(i + 1) * m], &a[j * m..(j + 1) * m]);
                let rr: f64 = (0..k).map(|l| r[l * k + i] * r[l * k + j]).sum();
                assert!((g - rr).abs() < 1e-12 * g.abs().max(1.0), "{g} {rr}");
            }
        }
        // Merging the factors of two halves gives the factor of the whole, up to signs.
        let (top, bottom) = (4, 3);
        let part = |lo: usize, len: usize| {
            let mut w: Vec<f64> = (0..k)
                .flat_map(|c| a[c * m + lo..c * m + lo + len].to_vec())
                .collect();
            householder_r(&mut w, len, k)
        };
        let merged = merge_r(&part(0, top), &part(top, bottom), k);
        for i in 0..k {
            for j in i..k {
                assert!((merged[i * k + j].abs() - r[i * k + j].abs()).abs() < 1e-12);
            }
        }
        let sv = singular_values(&r, k);
        assert!(sv[0] >= sv[1] && sv[1] >= sv[2] && sv[2] > 0.0);
    }
}
