//! The model specification: orders, differencing and the expanded polynomials.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spec {
    pub(super) p: usize,
    pub(super) d: usize,
    pub(super) q: usize,
    pub(super) sp: usize,
    pub(super) sd: usize,
    pub(super) sq: usize,
    pub(super) m: usize,
    pub(super) constant: bool,
    /// A constant held at this value rather than estimated (R's `fixed`).
    pub(super) fixed_constant: Option<f64>,
    pub(super) method: Method,
}

impl Spec {
    pub(super) fn n_arma(&self) -> usize {
        self.p + self.q + self.sp + self.sq
    }
    pub(super) fn has_constant(&self) -> bool {
        self.constant || self.fixed_constant.is_some()
    }
    /// Coefficients reported (ARMA + constant).
    pub(super) fn n_coef(&self) -> usize {
        self.n_arma() + usize::from(self.has_constant())
    }
    /// Coefficients estimated.
    pub(super) fn n_free(&self) -> usize {
        self.n_arma() + usize::from(self.constant)
    }
    pub(super) fn p_full(&self) -> usize {
        self.p + self.m * self.sp
    }
    pub(super) fn q_full(&self) -> usize {
        self.q + self.m * self.sq
    }
    pub(super) fn n_diff(&self) -> usize {
        self.d + self.m * self.sd
    }
    pub(super) fn state_dim(&self) -> usize {
        self.p_full().max(self.q_full() + 1)
    }
    pub(super) fn order(&self) -> Order {
        Order {
            p: self.p,
            d: self.d,
            q: self.q,
            seasonal_p: self.sp,
            seasonal_d: self.sd,
            seasonal_q: self.sq,
            period: self.m,
        }
    }
    pub(super) fn kind(&self) -> ConstantKind {
        if !self.has_constant() {
            ConstantKind::None
        } else if self.d + self.sd == 0 {
            ConstantKind::Mean
        } else {
            ConstantKind::Drift
        }
    }
    /// The differenced constant regressor: 1 for a mean or a lag-1 drift, m for a
    /// seasonal drift.
    pub(super) fn creg(&self) -> f64 {
        if self.sd == 1 && self.d == 0 {
            self.m as f64
        } else {
            1.0
        }
    }
    pub(super) fn names(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.n_coef());
        v.extend((1..=self.p).map(|i| format!("ar{i}")));
        v.extend((1..=self.q).map(|i| format!("ma{i}")));
        v.extend((1..=self.sp).map(|i| format!("sar{i}")));
        v.extend((1..=self.sq).map(|i| format!("sma{i}")));
        match self.kind() {
            ConstantKind::Mean => v.push("intercept".into()),
            ConstantKind::Drift => v.push("drift".into()),
            ConstantKind::None => {}
        }
        v
    }
}

/// The series differenced `d` times at lag 1 and `sd` times at lag `m`.
pub(super) fn difference(x: &[f64], d: usize, sd: usize, m: usize) -> Vec<f64> {
    let mut w = x.to_vec();
    for _ in 0..d {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
    }
    for _ in 0..sd {
        if w.len() <= m {
            return Vec::new();
        }
        w = (m..w.len()).map(|i| w[i] - w[i - m]).collect();
    }
    w
}

/// Coefficients δ of the differencing polynomial `(1-B)^d (1-B^m)^D = 1 - Σ δ_i B^i`.
pub(super) fn delta_poly(d: usize, sd: usize, m: usize) -> Vec<f64> {
    let mut poly = vec![1.0];
    let mul = |poly: &Vec<f64>, lag: usize| {
        let mut out = vec![0.0; poly.len() + lag];
        for (i, &c) in poly.iter().enumerate() {
            out[i] += c;
            out[i + lag] -= c;
        }
        out
    };
    for _ in 0..d {
        poly = mul(&poly, 1);
    }
    for _ in 0..sd {
        poly = mul(&poly, m);
    }
    poly[1..].iter().map(|c| -c).collect()
}

/// Expands (ar, ma, sar, sma) into the full polynomials φ (length p + mP) and θ (length
/// q + mQ), as R's `transPars` without transformation.
pub(super) fn expand(spec: &Spec, par: &[f64], phi: &mut [f64], theta: &mut [f64]) {
    let (p, q, sp, sq, m) = (spec.p, spec.q, spec.sp, spec.sq, spec.m);
    phi.iter_mut().for_each(|v| *v = 0.0);
    theta.iter_mut().for_each(|v| *v = 0.0);
    phi[..p].copy_from_slice(&par[..p]);
    theta[..q].copy_from_slice(&par[p..p + q]);
    for j in 0..sp {
        let s = par[p + q + j];
        phi[(j + 1) * m - 1] += s;
        for i in 0..p {
            phi[(j + 1) * m + i] -= par[i] * s;
        }
    }
    for j in 0..sq {
        let s = par[p + q + sp + j];
        theta[(j + 1) * m - 1] += s;
        for i in 0..q {
            theta[(j + 1) * m + i] += par[p + i] * s;
        }
    }
}
