//! Estimation: CSS and ML optimization, standard errors and the final filter pass.

use super::*;

/// Forward-difference gradient on the optimizer's scale, given `f(x) = f0` (R's `optim`
/// uses central differences with step 1e-3; forward steps of 1e-7 are as accurate here
/// and cost half as many likelihoods).
pub(super) fn fd_gradient<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    x: &[f64],
    f0: f64,
    g: &mut [f64],
    xp: &mut [f64],
) {
    xp.copy_from_slice(x);
    for i in 0..x.len() {
        let h = 1e-7 * x[i].abs().max(1.0);
        xp[i] = x[i] + h;
        let fp = f(xp);
        xp[i] = x[i];
        g[i] = (fp - f0) / h;
    }
}

pub(super) fn minimize<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    opts: &OptimOptions,
) -> crate::math::optim::Minimum {
    let mut xp = vec![0.0; x0.len()];
    bfgs(
        |x: &[f64], g: &mut [f64]| {
            let v = f(x);
            if v.is_finite() {
                fd_gradient(&mut f, x, v, g, &mut xp);
            }
            v
        },
        x0,
        opts,
    )
}

/// Stopping rules: the ML stage to a gradient of 1e-5 on the per-observation objective
/// (coefficients to about 1e-5), the CSS start more loosely, at most 100 iterations (R's
/// `maxit`).
pub(super) const ML_OPTIONS: OptimOptions = OptimOptions {
    max_iter: 100,
    gtol: 1e-5,
    ftol: 1e-10,
};
pub(super) const CSS_START_OPTIONS: OptimOptions = OptimOptions {
    max_iter: 100,
    gtol: 1e-4,
    ftol: 1e-8,
};

/// The outcome of a fit before the convergence policy is applied.
pub(super) struct RawFit {
    pub(super) model: FittedArima,
    pub(super) converged: bool,
    pub(super) iterations: usize,
    pub(super) message: &'static str,
}

pub(super) fn insufficient(reason: String) -> Error {
    Error::InsufficientData {
        model: MODEL,
        reason,
    }
}

/// All-equal test as R's `is.constant` (all.equal with tolerance 1.5e-8).
pub(super) fn is_constant(x: &[f64]) -> bool {
    if x.is_empty() {
        return true;
    }
    let x0 = x[0];
    let diff: f64 = x.iter().map(|v| (v - x0).abs()).sum();
    let scale: f64 = x.iter().map(|v| v.abs()).sum();
    let n = x.len() as f64;
    if scale / n > 1.5e-8 {
        diff / scale < 1.5e-8
    } else {
        diff / n < 1.5e-8
    }
}

pub(super) fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Validated data and optimized coefficients of one fit.
pub(super) struct Estimate {
    pub(super) dx: Vec<f64>,
    pub(super) creg: f64,
    pub(super) const_scale: f64,
    /// The optimizer's vector (AR parts transformed when `transformed`).
    pub(super) z: Vec<f64>,
    /// Coefficients in R's order.
    pub(super) nat: Vec<f64>,
    pub(super) transformed: bool,
    pub(super) converged: bool,
    pub(super) iterations: usize,
    pub(super) message: &'static str,
    /// Coefficients given rather than estimated: no Hessian.
    pub(super) fixed: bool,
}

impl Estimate {
    pub(super) fn problem(&self, spec: &Spec) -> Problem<'_> {
        Problem {
            spec: *spec,
            dx: &self.dx,
            creg: self.creg,
            const_scale: self.const_scale,
        }
    }
}

/// The differenced series, or [`Error::InsufficientData`] when it is too short for the
/// model's coefficients and variance.
pub(super) fn differenced(x: &[f64], spec: &Spec) -> Result<Vec<f64>> {
    let n = x.len();
    let nd = spec.n_diff();
    if n <= nd {
        return Err(insufficient(format!(
            "{n} observations leave none after {} differences",
            nd
        )));
    }
    let dx = difference(x, spec.d, spec.sd, spec.m);
    let n_used = dx.len();
    let k = spec.n_free() + 1;
    if n_used < k + 1 || n_used <= spec.p_full() {
        return Err(insufficient(format!(
            "{n_used} observations after differencing for {} coefficients and the variance (need at least {}{})",
            spec.n_free(),
            k + 1,
            if spec.p_full() > k {
                format!(", and more than p + mP = {}", spec.p_full())
            } else {
                String::new()
            }
        )));
    }
    Ok(dx)
}

/// The model at given coefficients (R's order, checked here), without optimizing.
pub(super) fn evaluate_fixed(x: &[f64], spec: &Spec, coefs: &[f64]) -> Result<FittedArima> {
    crate::validate::same_len("coefficients", spec.n_coef(), coefs.len())?;
    crate::validate::all_finite("coefficients", coefs)?;
    let (p, q, sp) = (spec.p, spec.q, spec.sp);
    for (part, ar) in [
        ("AR", &coefs[..p]),
        ("seasonal AR", &coefs[p + q..p + q + sp]),
    ] {
        if !ar_roots_outside(ar, 1.0) {
            return Err(Error::InvalidParameter {
                name: "coefficients",
                value: format!("{ar:?}"),
                reason: format!(
                    "the {part} part is not stationary (a root on or inside the unit circle)"
                ),
            });
        }
    }
    let dx = differenced(x, spec)?;
    let est = Estimate {
        creg: spec.creg(),
        const_scale: 1.0,
        dx,
        z: coefs.to_vec(),
        nat: coefs.to_vec(),
        transformed: spec.method != Method::Css,
        converged: false,
        iterations: 0,
        message: "fixed coefficients",
        fixed: true,
    };
    finish(x, spec, &est)
}

/// Validates, then optimizes (CSS and/or ML as `spec.method` says).
pub(super) fn estimate(x: &[f64], spec: &Spec) -> Result<Estimate> {
    let dx = differenced(x, spec)?;
    let n_used = dx.len();
    if spec.n_arma() > 0 && is_constant(&dx) {
        return Err(insufficient(
            "the differenced series is constant: AR and MA terms cannot be estimated; fit ARIMA(0,d,0) with a constant".into(),
        ));
    }
    let creg = spec.creg();
    let mut problem = Problem {
        spec: *spec,
        dx: &dx,
        creg,
        const_scale: 1.0,
    };
    let n_arma = spec.n_arma();
    let nf = spec.n_free();
    // Initial values: zeros, and the constant by least squares on the differences.
    let mut init = vec![0.0; nf];
    if spec.constant {
        let beta = mean(&dx) / creg;
        let s2 = dx.iter().map(|v| (v - beta * creg).powi(2)).sum::<f64>() / (n_used as f64 - 1.0);
        let se = (s2 / (n_used as f64 * creg * creg)).sqrt();
        problem.const_scale = if se > 0.0 && se.is_finite() {
            10.0 * se
        } else {
            1.0
        };
        init[n_arma] = beta / problem.const_scale;
    }
    let mut ws = Work::new(spec, n_used);
    let mut nat = vec![0.0; spec.n_coef()];
    let (p, q, sp, sq) = (spec.p, spec.q, spec.sp, spec.sq);
    let mut converged = true;
    let mut iterations = 0;
    let mut message = "no free coefficients";

    let css_at = |z: &[f64], ws: &mut Work, nat: &mut [f64], problem: &Problem| {
        problem.natural(z, false, nat);
        problem.load(nat, ws);
        problem.css(ws)
    };

    // z: the optimizer's vector at the end; `transformed` says on which scale.
    let mut z = init.clone();
    let transformed;
    if spec.method == Method::Css {
        if nf > 0 {
            let res = minimize(
                |zz| css_at(zz, &mut ws, &mut nat, &problem),
                &init,
                &ML_OPTIONS,
            );
            converged = res.converged;
            iterations = res.iterations;
            message = res.message;
            z = res.x;
        }
        transformed = false;
    } else {
        if spec.method == Method::CssMl && nf > 0 {
            let res = minimize(
                |zz| css_at(zz, &mut ws, &mut nat, &problem),
                &init,
                &CSS_START_OPTIONS,
            );
            if res.converged {
                z = res.x;
            }
            if !ar_roots_outside(&z[..p], 1.0) {
                return Err(insufficient(
                    "the conditional-sum-of-squares start has a non-stationary AR part (as R's arima); try Method::Ml".into(),
                ));
            }
            if !ar_roots_outside(&z[p + q..p + q + sp], 1.0) {
                return Err(insufficient(
                    "the conditional-sum-of-squares start has a non-stationary seasonal AR part (as R's arima); try Method::Ml".into(),
                ));
            }
        }
        // To the transformed scale, with invertible MA parts.
        let Some(ar_raw) = invpartrans(&z[..p]) else {
            return Err(insufficient("non-stationary AR start".into()));
        };
        let Some(sar_raw) = invpartrans(&z[p + q..p + q + sp]) else {
            return Err(insufficient("non-stationary seasonal AR start".into()));
        };
        z[..p].copy_from_slice(&ar_raw);
        z[p + q..p + q + sp].copy_from_slice(&sar_raw);
        ma_invert(&mut z[p..p + q]);
        ma_invert(&mut z[p + q + sp..p + q + sp + sq]);
        if nf > 0 {
            let res = minimize(
                |zz| {
                    problem.natural(zz, true, &mut nat);
                    problem.load(&nat, &mut ws);
                    problem.ml(&mut ws)
                },
                &z,
                &ML_OPTIONS,
            );
            converged = res.converged;
            iterations = res.iterations;
            message = res.message;
            z = res.x;
        }
        transformed = true;
    }
    problem.natural(&z, transformed, &mut nat);
    // Invertible MA parts (same likelihood), then back to the optimizer's scale.
    if transformed {
        ma_invert(&mut nat[p..p + q]);
        ma_invert(&mut nat[p + q + sp..p + q + sp + sq]);
        z[p..p + q].copy_from_slice(&nat[p..p + q]);
        z[p + q + sp..p + q + sp + sq].copy_from_slice(&nat[p + q + sp..p + q + sp + sq]);
    }

    Ok(Estimate {
        creg,
        const_scale: problem.const_scale,
        dx,
        z,
        nat,
        transformed,
        converged,
        iterations,
        message,
        fixed: false,
    })
}

/// Log-likelihood and σ² of an estimate without residuals or standard errors (what the
/// automatic search compares).
pub(super) fn light(spec: &Spec, est: &Estimate) -> Option<(f64, f64)> {
    let problem = est.problem(spec);
    let mut ws = Work::new(spec, est.dx.len());
    problem.load(&est.nat, &mut ws);
    let nu = est.dx.len() as f64;
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    if spec.method == Method::Css {
        let obj = problem.css(&mut ws);
        let ll = -0.5 * (2.0 * nu * obj + nu + nu * ln2pi);
        Some((ll, (2.0 * obj).exp()))
    } else {
        let (ssq, sumlog) = problem.ml_sums(&mut ws)?;
        let s2 = ssq / nu;
        Some((-0.5 * (nu * s2.ln() + sumlog + nu + nu * ln2pi), s2))
    }
}

pub(super) fn fit_spec(x: &[f64], spec: &Spec) -> Result<RawFit> {
    let est = estimate(x, spec)?;
    let model = finish(x, spec, &est)?;
    Ok(RawFit {
        model,
        converged: est.converged,
        iterations: est.iterations,
        message: est.message,
    })
}

/// Standard errors, residuals, likelihood and the filtered state of an estimate.
pub(super) fn finish(x: &[f64], spec: &Spec, est: &Estimate) -> Result<FittedArima> {
    let problem = est.problem(spec);
    let n = x.len();
    let nd = spec.n_diff();
    let n_used = est.dx.len();
    let nf = spec.n_free();
    let n_arma = spec.n_arma();
    let z = &est.z;
    let nat = &est.nat;
    let transformed = est.transformed;
    let mut ws = Work::new(spec, n_used);
    // Covariance of the estimates: inverse Hessian (times n_used) on the optimizer's
    // scale, mapped to the natural scale by the Jacobian.
    let nc = spec.n_coef();
    let mut covariance = vec![f64::NAN; nc * nc];
    let mut std_errors = vec![f64::NAN; nc];
    if nf > 0 && !est.fixed {
        let mut nat2 = vec![0.0; nc];
        let hess = numerical_hessian(
            |zz: &[f64]| {
                problem.natural(zz, transformed, &mut nat2);
                problem.load(&nat2, &mut ws);
                if transformed {
                    problem.ml(&mut ws)
                } else {
                    problem.css(&mut ws)
                }
            },
            z,
        );
        let scaled: Vec<f64> = hess.iter().map(|h| h * n_used as f64).collect();
        if let Some(inv) = cholesky_inverse(&scaled, nf) {
            // Jacobian d nat / d z (nf x nf), central differences.
            let mut jac = vec![0.0; nf * nf];
            let mut zp = z.clone();
            let mut np_ = vec![0.0; nc];
            let mut nm_ = vec![0.0; nc];
            for j in 0..nf {
                let h = 1e-6 * z[j].abs().max(1.0);
                zp[j] = z[j] + h;
                problem.natural(&zp, transformed, &mut np_);
                zp[j] = z[j] - h;
                problem.natural(&zp, transformed, &mut nm_);
                zp[j] = z[j];
                for i in 0..nf {
                    jac[i * nf + j] = (np_[i] - nm_[i]) / (2.0 * h);
                }
            }
            // J inv J'
            for i in 0..nf {
                for j in 0..nf {
                    let mut s = 0.0;
                    for a in 0..nf {
                        for b in 0..nf {
                            s += jac[i * nf + a] * inv[a * nf + b] * jac[j * nf + b];
                        }
                    }
                    covariance[i * nc + j] = s;
                }
            }
            for i in 0..nf {
                let v = covariance[i * nc + i];
                std_errors[i] = if v >= 0.0 { v.sqrt() } else { f64::NAN };
            }
        }
    }
    if spec.fixed_constant.is_some() {
        let i = nc - 1;
        for j in 0..nc {
            covariance[i * nc + j] = 0.0;
            covariance[j * nc + i] = 0.0;
        }
        std_errors[i] = 0.0;
    }

    // Final pass: residuals, σ², likelihood, filtered state.
    problem.load(nat, &mut ws);
    let nu = n_used as f64;
    let out = problem
        .full_filter(&mut ws)
        .ok_or_else(|| insufficient("the fitted model has a degenerate state covariance".into()))?;
    let (sigma2, log_likelihood, resid_w) = if spec.method == Method::Css {
        let obj = problem.css(&mut ws);
        let ncond = spec.p_full();
        let s2 = (2.0 * obj).exp();
        let ll = -0.5 * (2.0 * nu * obj + nu + nu * (2.0 * std::f64::consts::PI).ln());
        let mut res = ws.resid.clone();
        res[..ncond].iter_mut().for_each(|v| *v = 0.0);
        (s2, ll, res)
    } else {
        let s2 = out.ssq / nu;
        let ll = -0.5 * (nu * s2.ln() + out.sumlog + nu + nu * (2.0 * std::f64::consts::PI).ln());
        (s2, ll, out.resid.clone())
    };
    let mut residuals = vec![0.0; n];
    residuals[nd..].copy_from_slice(&resid_w);
    let kind = spec.kind();
    let cval = if spec.has_constant() {
        nat[n_arma]
    } else {
        0.0
    };
    let adj = |t: usize| match kind {
        ConstantKind::None => x[t],
        ConstantKind::Mean => x[t] - cval,
        ConstantKind::Drift => x[t] - cval * (t + 1) as f64,
    };
    let delta = delta_poly(spec.d, spec.sd, spec.m);
    if nd > 0 && spec.method != Method::Css {
        let z: Vec<f64> = (0..nd).map(adj).collect();
        let start = diffuse_start_residuals(&z, &out.q0, &ws.phir, &ws.rvec, &delta);
        residuals[..nd].copy_from_slice(&start);
    }
    let fitted: Vec<f64> = x.iter().zip(&residuals).map(|(y, e)| y - e).collect();
    let tail: Vec<f64> = (0..delta.len()).map(|i| adj(n - 1 - i)).collect();
    let report = FitReport::new(
        log_likelihood,
        nf + 1,
        n_used as f64,
        None,
        est.iterations,
        est.converged,
    );
    let ssr: f64 = residuals.iter().map(|e| e * e).sum();
    let residual_variance = ssr / (n_used - nf) as f64;
    let mut model = FittedArima {
        order: spec.order(),
        method: spec.method,
        names: spec.names(),
        coef: nat.clone(),
        std_errors,
        covariance,
        sigma2,
        residual_variance,
        report,
        n_used,
        residuals,
        fitted,
        phi: ws.phi.clone(),
        theta: ws.theta.clone(),
        delta,
        state: out.state,
        state_cov: out.cov,
        tail,
        constant: kind,
        constant_value: cval,
        n,
    };
    model.report.standard_errors = model.report_errors(nf + 1);
    Ok(model)
}
