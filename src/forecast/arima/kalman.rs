//! The likelihood: Kalman filter (Chandrasekhar form) and the conditional sum of squares.

use super::*;

/// Buffers reused by every likelihood evaluation.
pub(super) struct Work {
    pub(super) r: usize,
    pub(super) phi: Vec<f64>,
    pub(super) theta: Vec<f64>,
    /// φ padded to r.
    pub(super) phir: Vec<f64>,
    /// (1, θ_1, …) padded to r.
    pub(super) rvec: Vec<f64>,
    pub(super) psi: Vec<f64>,
    /// Autocovariances of the differenced series (unit innovation variance), lags 0..=r.
    pub(super) gamma: Vec<f64>,
    /// Autocovariances of the pure AR part, lags 0..=r + q'.
    pub(super) gamma_ar: Vec<f64>,
    /// Levinson coefficients, order j in row j - 1.
    pub(super) lev: Vec<f64>,
    pub(super) g: Vec<f64>,
    pub(super) l: Vec<f64>,
    pub(super) a: Vec<f64>,
    pub(super) l2: Vec<f64>,
    pub(super) a2: Vec<f64>,
    pub(super) w: Vec<f64>,
    pub(super) resid: Vec<f64>,
    pub(super) phi_nz: Vec<(usize, f64)>,
    pub(super) theta_nz: Vec<(usize, f64)>,
    /// Non-zero autocovariances of the MA coefficients (lag, value).
    pub(super) macov: Vec<(usize, f64)>,
}

impl Work {
    pub(super) fn new(spec: &Spec, n_w: usize) -> Work {
        let r = spec.state_dim();
        let pf = spec.p_full();
        let qf = spec.q_full();
        Work {
            r,
            phi: vec![0.0; pf],
            theta: vec![0.0; qf],
            phir: vec![0.0; r],
            rvec: vec![0.0; r],
            psi: vec![0.0; r],
            gamma: vec![0.0; r + 1],
            gamma_ar: vec![0.0; r + qf + 2],
            lev: vec![0.0; pf * pf],
            g: vec![0.0; r],
            l: vec![0.0; r],
            a: vec![0.0; r],
            l2: vec![0.0; r],
            a2: vec![0.0; r],
            w: vec![0.0; n_w],
            resid: vec![0.0; n_w],
            phi_nz: Vec::with_capacity(pf),
            theta_nz: Vec::with_capacity(qf + 1),
            macov: Vec::with_capacity(qf + 1),
        }
    }
}

/// The data and specification of one fit.
pub(super) struct Problem<'a> {
    pub(super) spec: Spec,
    /// Differenced series.
    pub(super) dx: &'a [f64],
    pub(super) creg: f64,
    /// Scale of the constant on the optimizer's scale (R's parscale).
    pub(super) const_scale: f64,
}

impl Problem<'_> {
    /// Natural parameters (R's order) from the optimizer's vector: AR parts through
    /// `partrans` when `transform`, the constant rescaled.
    pub(super) fn natural(&self, z: &[f64], transform: bool, nat: &mut [f64]) {
        let s = &self.spec;
        let (p, q, sp, sq) = (s.p, s.q, s.sp, s.sq);
        if transform {
            partrans(&z[..p], &mut nat[..p]);
            nat[p..p + q].copy_from_slice(&z[p..p + q]);
            partrans(&z[p + q..p + q + sp], &mut nat[p + q..p + q + sp]);
            nat[p + q + sp..p + q + sp + sq].copy_from_slice(&z[p + q + sp..p + q + sp + sq]);
        } else {
            nat[..s.n_arma()].copy_from_slice(&z[..s.n_arma()]);
        }
        if s.constant {
            nat[s.n_arma()] = z[s.n_arma()] * self.const_scale;
        } else if let Some(c) = s.fixed_constant {
            nat[s.n_arma()] = c;
        }
    }

    /// Loads natural parameters into the work buffers: polynomials and w = dx - c.
    pub(super) fn load(&self, nat: &[f64], ws: &mut Work) {
        let s = &self.spec;
        expand(s, nat, &mut ws.phi, &mut ws.theta);
        let shift = if s.has_constant() {
            nat[s.n_arma()] * self.creg
        } else {
            0.0
        };
        for (w, &x) in ws.w.iter_mut().zip(self.dx) {
            *w = x - shift;
        }
        ws.phi_nz.clear();
        ws.phi_nz.extend(
            ws.phi
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, &v)| (i, v)),
        );
        ws.theta_nz.clear();
        ws.theta_nz.extend(
            ws.theta
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(i, &v)| (i, v)),
        );
    }

    /// Conditional sum of squares objective `0.5 ln(ssq / nu)` at the loaded parameters;
    /// residuals in `ws.resid`.
    pub(super) fn css(&self, ws: &mut Work) -> f64 {
        let ncond = self.spec.p_full();
        let n = ws.w.len();
        let mut ssq = 0.0;
        for l in 0..ncond.min(n) {
            ws.resid[l] = 0.0;
        }
        for l in ncond..n {
            let mut tmp = ws.w[l];
            for &(j, ph) in &ws.phi_nz {
                tmp -= ph * ws.w[l - j - 1];
            }
            for &(j, th) in &ws.theta_nz {
                if j >= l - ncond {
                    break;
                }
                tmp -= th * ws.resid[l - j - 1];
            }
            ws.resid[l] = tmp;
            ssq += tmp * tmp;
        }
        let nu = (n - ncond) as f64;
        let v = 0.5 * (ssq / nu).ln();
        if v.is_finite() { v } else { f64::INFINITY }
    }

    /// Autocovariances γ(0..=r) (unit innovation variance) and ψ weights of the loaded
    /// ARMA, then the first column `g` of the stationary state covariance. Returns false
    /// when the AR part is not stationary.
    ///
    /// The AR part's autocovariances come from the Levinson recursion run down (to the
    /// partial autocorrelations) and up again, `O(p'^2)`; the ARMA's are their
    /// convolution with the MA coefficients, `γ(k) = Σ_ij θ_i θ_j γ_AR(k + j - i)`.
    pub(super) fn stationary_start(&self, ws: &mut Work) -> bool {
        let r = ws.r;
        let pf = ws.phi.len();
        let qf = ws.theta.len();
        ws.phir.iter_mut().for_each(|v| *v = 0.0);
        ws.phir[..pf].copy_from_slice(&ws.phi);
        ws.rvec.iter_mut().for_each(|v| *v = 0.0);
        ws.rvec[0] = 1.0;
        ws.rvec[1..=qf].copy_from_slice(&ws.theta);
        // ψ weights 0..r.
        for j in 0..r {
            let mut v = if j == 0 {
                1.0
            } else if j <= qf {
                ws.theta[j - 1]
            } else {
                0.0
            };
            for &(i, ph) in &ws.phi_nz {
                if i + 1 > j {
                    break;
                }
                v += ph * ws.psi[j - i - 1];
            }
            ws.psi[j] = v;
        }
        // AR autocovariances.
        let ng = ws.gamma_ar.len();
        if pf == 0 {
            ws.gamma_ar.iter_mut().for_each(|v| *v = 0.0);
            ws.gamma_ar[0] = 1.0;
        } else {
            let lev = &mut ws.lev;
            lev[(pf - 1) * pf..].copy_from_slice(&ws.phi);
            for j in (1..pf).rev() {
                // order j + 1 (row j) down to order j (row j - 1)
                let kappa = lev[j * pf + j];
                let den = 1.0 - kappa * kappa;
                if den.is_nan() || den <= 0.0 {
                    return false;
                }
                for k in 0..j {
                    lev[(j - 1) * pf + k] =
                        (lev[j * pf + k] + kappa * lev[j * pf + j - 1 - k]) / den;
                }
            }
            let mut g0 = 1.0;
            for j in 0..pf {
                let kappa = lev[j * pf + j];
                let den = 1.0 - kappa * kappa;
                if den.is_nan() || den <= 0.0 {
                    return false;
                }
                g0 /= den;
            }
            let gam = &mut ws.gamma_ar;
            gam[0] = g0;
            for j in 1..=pf.min(ng - 1) {
                let row = &lev[(j - 1) * pf..(j - 1) * pf + j];
                let mut v = 0.0;
                for (i, c) in row.iter().enumerate() {
                    v += c * gam[j - 1 - i];
                }
                gam[j] = v;
            }
            for k in pf + 1..ng {
                let mut v = 0.0;
                for &(i, ph) in &ws.phi_nz {
                    v += ph * gam[k - i - 1];
                }
                gam[k] = v;
            }
        }
        // ARMA autocovariances by convolution with θ (θ_0 = 1): γ(k) = Σ_d c_d γ_AR(k - d)
        // with c_d = Σ_i θ_{i+d} θ_i the MA coefficients' autocovariance.
        let gam = &ws.gamma_ar;
        let th = |i: usize| if i == 0 { 1.0 } else { ws.theta[i - 1] };
        ws.macov.clear();
        {
            let nz = |f: &mut dyn FnMut(usize)| {
                f(0);
                for &(i, _) in &ws.theta_nz {
                    f(i + 1);
                }
            };
            let mut c0 = 0.0;
            nz(&mut |i| c0 += th(i) * th(i));
            ws.macov.push((0, c0));
            for d in 1..=qf {
                let mut c = 0.0;
                nz(&mut |i| {
                    if i + d <= qf {
                        c += th(i) * th(i + d);
                    }
                });
                if c != 0.0 {
                    ws.macov.push((d, c));
                }
            }
        }
        for k in 0..=r {
            let mut v = 0.0;
            for &(d, c) in &ws.macov {
                v += c * gam[k.abs_diff(d)];
                if d > 0 {
                    v += c * gam[k + d];
                }
            }
            ws.gamma[k] = v;
        }
        // g_j = Σ_{k >= j} φ_k γ(k - j + 1) + R_k ψ_{k - j}.
        for j in 0..r {
            let mut v = 0.0;
            for &(k, ph) in &ws.phi_nz {
                if k >= j {
                    v += ph * ws.gamma[k - j + 1];
                }
            }
            v += if j == 0 { ws.psi[0] } else { 0.0 };
            for &(k, t) in &ws.theta_nz {
                let k = k + 1;
                if k >= j {
                    v += t * ws.psi[k - j];
                }
            }
            ws.g[j] = v;
        }
        ws.gamma.iter().all(|v| v.is_finite())
    }

    /// The exact likelihood sums `(Σ v_t²/F_t, Σ ln F_t)` at the loaded parameters, by
    /// the Chandrasekhar recursions. `None` when the model is degenerate.
    pub(super) fn ml_sums(&self, ws: &mut Work) -> Option<(f64, f64)> {
        self.ml_pass(ws, |_, _, _| {})
    }

    /// [`ml_sums`](Self::ml_sums), calling `step(t, v_t, F_t)` with each innovation
    /// and its variance (regression with ARIMA errors whitens its regressors by it).
    #[inline]
    pub(super) fn ml_pass(
        &self,
        ws: &mut Work,
        mut step: impl FnMut(usize, f64, f64),
    ) -> Option<(f64, f64)> {
        if !self.stationary_start(ws) {
            return None;
        }
        let r = ws.r;
        let f0 = ws.g[0];
        if !(f0 > 0.0 && f0.is_finite()) {
            return None;
        }
        // δP_0 = M L L' with L = F0 φ + S g, M = -1/F0.
        for i in 0..r {
            let gn = if i + 1 < r { ws.g[i + 1] } else { 0.0 };
            ws.l[i] = f0 * ws.phir[i] + gn;
        }
        let mut mm = -1.0 / f0;
        ws.a.iter_mut().for_each(|v| *v = 0.0);
        ws.a2[r - 1] = 0.0;
        ws.l2[r - 1] = 0.0;
        let (mut ssq, mut sumlog) = (0.0, 0.0);
        // Products of F_t, flushed to the log sum before they overflow (F_t >= 1 up to
        // rounding: the one-step variance is at least the innovation variance).
        let mut prod = 1.0f64;
        let Work {
            g,
            l,
            a,
            l2,
            a2,
            phir,
            w,
            ..
        } = ws;
        let n = w.len();
        let mut t = 0;
        let mut frozen = false;
        while t < n {
            let wt = w[t];
            let f = g[0];
            if f.is_nan() || f <= 0.0 {
                return None;
            }
            let v = wt - a[0];
            step(t, v, f);
            ssq += v * v / f;
            prod *= f;
            if !(1e-200..=1e200).contains(&prod) {
                sumlog += prod.ln();
                prod = 1.0;
            }
            let vf = v / f;
            {
                let (a_in, a_out) = (&a[1..], &mut a2[..r - 1]);
                for ((o, &ai), (&gi, &ph)) in a_out
                    .iter_mut()
                    .zip(a_in)
                    .zip(g[1..].iter().zip(&phir[..r - 1]))
                {
                    *o = ph * wt + ai + gi * vf;
                }
                a2[r - 1] = phir[r - 1] * wt;
            }
            std::mem::swap(a, a2);
            t += 1;
            if frozen {
                continue;
            }
            let li = l[0];
            let ml = mm * li;
            let f1 = f + li * ml;
            let lf = li / f;
            let mut norm = 0.0;
            for ((o, &ln), &gn) in l2[..r - 1].iter_mut().zip(&l[1..]).zip(&g[1..]) {
                let v = ln - gn * lf;
                *o = v;
                norm += v * v;
            }
            l2[r - 1] = 0.0;
            for (gi, &li) in g.iter_mut().zip(l.iter()) {
                *gi += li * ml;
            }
            std::mem::swap(l, l2);
            if f1.is_nan() || f1 <= 0.0 {
                return None;
            }
            mm -= ml * ml / f1;
            if norm * mm.abs() < 1e-14 {
                // The covariance has converged: F and g stay as they are.
                frozen = true;
            }
        }
        sumlog += prod.ln();
        Some((ssq, sumlog))
    }

    pub(super) fn ml(&self, ws: &mut Work) -> f64 {
        let n = ws.w.len() as f64;
        match self.ml_sums(ws) {
            Some((ssq, sumlog)) => {
                let v = 0.5 * ((ssq / n).ln() + sumlog / n);
                if v.is_nan() { f64::INFINITY } else { v }
            }
            None => f64::INFINITY,
        }
    }

    /// The covariance form of the filter (O(r²) a step): standardized residuals, the
    /// sums, and the predicted state and covariance after the last observation.
    pub(super) fn full_filter(&self, ws: &mut Work) -> Option<FilterOut> {
        if !self.stationary_start(ws) {
            return None;
        }
        let r = ws.r;
        // Stationary covariance from its first row g and T Q T' + R R' = Q.
        let mut pm = vec![0.0; r * r];
        for i in (0..r).rev() {
            for j in (i..r).rev() {
                let v = if i == 0 {
                    ws.g[j]
                } else {
                    let g1 = |k: usize| if k < r { ws.g[k] } else { 0.0 };
                    let inner = if j + 1 < r {
                        pm[(i + 1) * r + j + 1]
                    } else {
                        0.0
                    };
                    ws.phir[i] * ws.phir[j] * ws.g[0]
                        + ws.phir[i] * g1(j + 1)
                        + ws.phir[j] * g1(i + 1)
                        + inner
                        + ws.rvec[i] * ws.rvec[j]
                };
                pm[i * r + j] = v;
                pm[j * r + i] = v;
            }
        }
        let q0 = pm.clone();
        let n = ws.w.len();
        let mut a = vec![0.0; r];
        let mut k = vec![0.0; r];
        let mut resid = vec![0.0; n];
        let (mut ssq, mut sumlog) = (0.0, 0.0);
        for (t, res) in resid.iter_mut().enumerate() {
            let f = pm[0];
            if f.is_nan() || f <= 0.0 {
                return None;
            }
            let wt = ws.w[t];
            let v = wt - a[0];
            ssq += v * v / f;
            sumlog += f.ln();
            *res = v / f.sqrt();
            k.copy_from_slice(&pm[..r]);
            let vf = v / f;
            for i in 0..r {
                let next = if i + 1 < r {
                    a[i + 1] + k[i + 1] * vf
                } else {
                    0.0
                };
                a[i] = ws.phir[i] * wt + next;
            }
            for i in 0..r {
                for j in i..r {
                    let shifted = if j + 1 < r {
                        pm[(i + 1) * r + j + 1] - k[i + 1] * k[j + 1] / f
                    } else {
                        0.0
                    };
                    let v = shifted + ws.rvec[i] * ws.rvec[j];
                    pm[i * r + j] = v;
                }
            }
            for i in 0..r {
                for j in 0..i {
                    pm[i * r + j] = pm[j * r + i];
                }
            }
        }
        Some(FilterOut {
            resid,
            ssq,
            sumlog,
            state: a,
            cov: pm,
            q0,
        })
    }
}

pub(super) struct FilterOut {
    pub(super) resid: Vec<f64>,
    pub(super) ssq: f64,
    pub(super) sumlog: f64,
    pub(super) state: Vec<f64>,
    pub(super) cov: Vec<f64>,
    /// The stationary covariance the filter started from.
    pub(super) q0: Vec<f64>,
}

/// R's residuals for the first `d + mD` observations: its Kalman filter on the
/// undifferenced (constant-adjusted) series `z`, with the stationary covariance `q0` for
/// the ARMA part and variance κ = 10⁶ on the `d + mD` pre-sample values (R's
/// `makeARIMA`), standardized innovations `v_t / sqrt(F_t)`. They are near zero.
pub(super) fn diffuse_start_residuals(
    z: &[f64],
    q0: &[f64],
    phir: &[f64],
    rvec: &[f64],
    delta: &[f64],
) -> Vec<f64> {
    const KAPPA: f64 = 1e6;
    let r = phir.len();
    let nd = delta.len();
    let rd = r + nd;
    // Sparse transition: (row, col, value).
    let mut tr: Vec<(usize, usize, f64)> = Vec::with_capacity(3 * rd);
    for (i, &ph) in phir.iter().enumerate() {
        if ph != 0.0 {
            tr.push((i, 0, ph));
        }
        if i + 1 < r {
            tr.push((i, i + 1, 1.0));
        }
    }
    tr.push((r, 0, 1.0));
    for (j, &dj) in delta.iter().enumerate() {
        if dj != 0.0 {
            tr.push((r, r + j, dj));
        }
    }
    for i in 1..nd {
        tr.push((r + i, r + i - 1, 1.0));
    }
    let mut p = vec![0.0; rd * rd];
    for i in 0..r {
        p[i * rd..i * rd + r].copy_from_slice(&q0[i * r..(i + 1) * r]);
    }
    for i in r..rd {
        p[i * rd + i] = KAPPA;
    }
    let mut a = vec![0.0; rd];
    let mut tp = vec![0.0; rd * rd];
    let mut mvec = vec![0.0; rd];
    let mut out = Vec::with_capacity(nd);
    for (l, &y) in z.iter().take(nd).enumerate() {
        if l > 0 {
            // a <- T a ; P <- T P T' + V
            let mut an = vec![0.0; rd];
            for &(i, k, v) in &tr {
                an[i] += v * a[k];
            }
            a = an;
            tp.iter_mut().for_each(|v| *v = 0.0);
            for &(i, k, v) in &tr {
                for j in 0..rd {
                    tp[i * rd + j] += v * p[k * rd + j];
                }
            }
            p.iter_mut().for_each(|v| *v = 0.0);
            for &(j, k, v) in &tr {
                for i in 0..rd {
                    p[i * rd + j] += tp[i * rd + k] * v;
                }
            }
            for i in 0..r {
                for j in 0..r {
                    p[i * rd + j] += rvec[i] * rvec[j];
                }
            }
        }
        // Z = (1, 0, …, 0, δ)
        let mut resid = y - a[0];
        for (j, &dj) in delta.iter().enumerate() {
            resid -= dj * a[r + j];
        }
        for (i, m) in mvec.iter_mut().enumerate() {
            let mut v = p[i * rd];
            for (j, &dj) in delta.iter().enumerate() {
                v += dj * p[i * rd + r + j];
            }
            *m = v;
        }
        let mut gain = mvec[0];
        for (j, &dj) in delta.iter().enumerate() {
            gain += dj * mvec[r + j];
        }
        if gain.is_nan() || gain <= 0.0 {
            out.push(0.0);
            continue;
        }
        out.push(resid / gain.sqrt());
        for i in 0..rd {
            a[i] += mvec[i] * resid / gain;
        }
        for i in 0..rd {
            for j in 0..rd {
                p[i * rd + j] -= mvec[i] * mvec[j] / gain;
            }
        }
    }
    out
}
