//! Saved models: the checks a fitted model passes as it is read.

use super::*;

/// [`FittedArima`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
pub(super) struct RawArima {
    pub(super) order: Order,
    pub(super) method: Method,
    pub(super) names: Vec<String>,
    pub(super) coef: Vec<f64>,
    #[serde(deserialize_with = "crate::serde_float::vec::deserialize")]
    pub(super) std_errors: Vec<f64>,
    #[serde(deserialize_with = "crate::serde_float::vec::deserialize")]
    pub(super) covariance: Vec<f64>,
    pub(super) sigma2: f64,
    pub(super) residual_variance: f64,
    #[serde(default)]
    pub(super) report: Option<FitReport>,
    /// Version 0.1's criteria, in place of `report`.
    #[serde(default)]
    pub(super) criteria: Option<crate::forecast::LegacyCriteria>,
    pub(super) n_used: usize,
    pub(super) residuals: Vec<f64>,
    pub(super) fitted: Vec<f64>,
    pub(super) phi: Vec<f64>,
    pub(super) theta: Vec<f64>,
    pub(super) delta: Vec<f64>,
    pub(super) state: Vec<f64>,
    pub(super) state_cov: Vec<f64>,
    pub(super) tail: Vec<f64>,
    pub(super) constant: ConstantKind,
    pub(super) constant_value: f64,
    pub(super) n: usize,
}

#[cfg(feature = "serde")]
use crate::validate::{
    all_finite as finite, all_non_negative as non_negative, invalid_parameter as invalid,
    same_len as len,
};

#[cfg(feature = "serde")]
impl TryFrom<RawArima> for FittedArima {
    type Error = Error;

    fn try_from(raw: RawArima) -> Result<FittedArima> {
        let spec = raw.checked_spec()?;
        let k = spec.n_coef();
        raw.check_coefficients(k)?;
        let delta = raw.check_series(&spec)?;
        raw.check_state(spec.state_dim(), delta.len())?;
        // A 0.1 file: every coefficient estimated but a constant held fixed (its
        // standard error exactly 0, the degenerate fits of `Arima::auto`).
        let fixed_constant =
            raw.constant != ConstantKind::None && raw.std_errors.last() == Some(&0.0);
        let legacy = raw.report.is_none();
        let report = checked_report(raw.report, raw.criteria, k, fixed_constant, raw.n_used)?;
        let mut model = FittedArima {
            order: raw.order,
            method: raw.method,
            names: raw.names,
            coef: raw.coef,
            std_errors: raw.std_errors,
            covariance: raw.covariance,
            sigma2: raw.sigma2,
            residual_variance: raw.residual_variance,
            report,
            n_used: raw.n_used,
            residuals: raw.residuals,
            fitted: raw.fitted,
            phi: raw.phi,
            theta: raw.theta,
            delta: raw.delta,
            state: raw.state,
            state_cov: raw.state_cov,
            tail: raw.tail,
            constant: raw.constant,
            constant_value: raw.constant_value,
            n: raw.n,
        };
        if legacy {
            model.report.standard_errors = model.report_errors(model.report.n_params);
        }
        Ok(model)
    }
}

#[cfg(feature = "serde")]
impl RawArima {
    /// The order's checks (orders, differences, period, longest lag), then the model
    /// they specify, whose constant and coefficient names must match the file's.
    fn checked_spec(&self) -> Result<Spec> {
        let o = self.order;
        check_order(o)?;
        let spec = Spec {
            p: o.p,
            d: o.d,
            q: o.q,
            sp: o.seasonal_p,
            sd: o.seasonal_d,
            sq: o.seasonal_q,
            m: o.period,
            constant: self.constant != ConstantKind::None,
            fixed_constant: None,
            method: self.method,
        };
        if self.constant != ConstantKind::None && spec.kind() != self.constant {
            return Err(invalid(
                "constant",
                format!("{:?}", self.constant),
                "a mean needs d + D = 0 and a drift d + D >= 1",
            ));
        }
        if self.names != spec.names() {
            return Err(invalid(
                "names",
                self.names.join(", "),
                format!("the coefficients of {} are {}", o, spec.names().join(", ")),
            ));
        }
        Ok(spec)
    }

    /// The `k` coefficients, their standard errors and covariance, and the variances.
    fn check_coefficients(&self, k: usize) -> Result<()> {
        len("coef", k, self.coef.len())?;
        finite("coef", &self.coef)?;
        len("std_errors", k, self.std_errors.len())?;
        if let Some(row) = self
            .std_errors
            .iter()
            .position(|v| v.is_infinite() || *v < 0.0)
        {
            return Err(Error::InvalidValue {
                field: "std_errors",
                row,
                value: self.std_errors[row],
                reason: "a standard error is zero or more (or NaN where undefined)".into(),
            });
        }
        len("covariance", k * k, self.covariance.len())?;
        if let Some(row) = self.covariance.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                field: "covariance",
                row,
                value: self.covariance[row],
            });
        }
        non_negative("sigma2", &[self.sigma2])?;
        non_negative("residual_variance", &[self.residual_variance])?;
        Ok(())
    }

    /// The series' lengths, the residuals and fitted values, the expanded polynomials,
    /// and the differencing polynomial, which is returned.
    fn check_series(&self, spec: &Spec) -> Result<Vec<f64>> {
        if self.n_used > self.n {
            return Err(invalid(
                "n_used",
                self.n_used,
                format!("at most n = {}", self.n),
            ));
        }
        len("residuals", self.n, self.residuals.len())?;
        finite("residuals", &self.residuals)?;
        len("fitted", self.n, self.fitted.len())?;
        finite("fitted", &self.fitted)?;
        len("phi", spec.p_full(), self.phi.len())?;
        finite("phi", &self.phi)?;
        len("theta", spec.q_full(), self.theta.len())?;
        finite("theta", &self.theta)?;
        let delta = delta_poly(spec.d, spec.sd, spec.m);
        len("delta", delta.len(), self.delta.len())?;
        if self.delta != delta {
            return Err(invalid(
                "delta",
                format!("{:?}", self.delta),
                format!("the differencing polynomial of {} is {delta:?}", self.order),
            ));
        }
        Ok(delta)
    }

    /// The filter's state (dimension `r`) and its covariance, the undifferencing tail
    /// (`tail_len` values), and the constant's value.
    fn check_state(&self, r: usize, tail_len: usize) -> Result<()> {
        len("state", r, self.state.len())?;
        finite("state", &self.state)?;
        len("state_cov", r * r, self.state_cov.len())?;
        finite("state_cov", &self.state_cov)?;
        // A covariance matrix: symmetric (the filter writes it so, exactly) with a
        // non-negative diagonal.
        for i in 0..r {
            let d = self.state_cov[i * r + i];
            if d < 0.0 {
                return Err(Error::Negative {
                    field: "state_cov",
                    row: i * r + i,
                    value: d,
                });
            }
            for j in 0..i {
                let (lower, upper) = (self.state_cov[i * r + j], self.state_cov[j * r + i]);
                if lower != upper {
                    return Err(Error::InvalidValue {
                        field: "state_cov",
                        row: i * r + j,
                        value: lower,
                        reason: format!(
                            "a covariance matrix is symmetric, but its mirror state_cov[{}] is {upper}",
                            j * r + i
                        ),
                    });
                }
            }
        }
        len("tail", tail_len, self.tail.len())?;
        finite("tail", &self.tail)?;
        finite("constant_value", &[self.constant_value])?;
        Ok(())
    }
}

/// The AR and MA orders, the differences and the period, and the longest lag they reach.
#[cfg(feature = "serde")]
fn check_order(o: Order) -> Result<()> {
    for (name, v) in [
        ("order.p", o.p),
        ("order.q", o.q),
        ("order.seasonal_p", o.seasonal_p),
        ("order.seasonal_q", o.seasonal_q),
    ] {
        if v > MAX_ORDER {
            return Err(invalid(
                name,
                v,
                format!("AR and MA orders are at most {MAX_ORDER}"),
            ));
        }
    }
    if o.d > 3 {
        return Err(invalid("order.d", o.d, "at most 3 differences"));
    }
    if o.seasonal_d > 2 {
        return Err(invalid(
            "order.seasonal_d",
            o.seasonal_d,
            "at most 2 seasonal differences",
        ));
    }
    let seasonal = o.seasonal_p + o.seasonal_d + o.seasonal_q > 0;
    if o.period == 0 || (seasonal && o.period < 2) {
        return Err(invalid(
            "order.period",
            o.period,
            "the period is at least 1, and at least 2 with seasonal orders",
        ));
    }
    for (orders, order, seasonal_order) in [
        ("p + m P", o.p, o.seasonal_p),
        ("q + m Q", o.q, o.seasonal_q),
        ("d + m D", o.d, o.seasonal_d),
    ] {
        let lag = seasonal_order
            .checked_mul(o.period)
            .and_then(|l| l.checked_add(order));
        if lag.is_none_or(|l| l > MAX_LAG) {
            return Err(invalid(
                "order.period",
                o.period,
                format!("{orders} reaches past the longest lag, MAX_LAG = {MAX_LAG}"),
            ));
        }
    }
    Ok(())
}

/// The saved report (or a 0.1 file's criteria, upgraded) of a model with `k`
/// coefficients, a constant held fixed when `fixed_constant`, fitted on `n_used`
/// observations: σ² and the estimated coefficients counted, the observations the
/// likelihood uses, and the criteria consistent.
#[cfg(feature = "serde")]
fn checked_report(
    report: Option<FitReport>,
    criteria: Option<crate::forecast::LegacyCriteria>,
    k: usize,
    fixed_constant: bool,
    n_used: usize,
) -> Result<FitReport> {
    let report = crate::forecast::loaded_report(
        report,
        criteria,
        k + 1 - usize::from(fixed_constant),
        n_used as f64,
    )?;
    // σ² and the estimated coefficients (all, or none but a fixed constant).
    if !(1..=k + 1).contains(&report.n_params) {
        return Err(invalid(
            "report.n_params",
            report.n_params,
            format!("counts the estimated coefficients (at most {k}) and σ²"),
        ));
    }
    if report.n_obs != n_used as f64 {
        return Err(invalid(
            "report.n_obs",
            report.n_obs,
            format!("the observations the likelihood uses, n_used = {n_used}"),
        ));
    }
    // An exact fit (σ² = 0, a degenerate model) has an infinite likelihood.
    if report.log_likelihood != f64::INFINITY {
        report.check_loaded(MODEL, report.n_params)?;
    }
    Ok(report)
}
