//! The shifted-beta-geometric (sBG) model of contractual churn (Fader & Hardie 2007):
//! [`ShiftedBetaGeometric`], fitted to [`RenewalData`]; the formulas are in the
//! model's docs.

use statrs::function::gamma::{digamma, ln_gamma};

use super::MAX_OPPORTUNITIES;
use super::fit::{covariance, fit_penalized};
use crate::error::{Error, Result};
use crate::math::special::ln_hyp2f1;
use crate::validate;

/// The model's name in errors.
const MODEL: &str = "sBG";

/// The largest total number of customers a [`RenewalData`] holds: 2^53, beyond which
/// counts held as `f64` are no longer exact (and sums of them could overflow).
const MAX_TOTAL: f64 = 9_007_199_254_740_992.0;

/// One period of renewal data: customers who churned in period `period` (`T =
/// period`), and customers whose observation ended, still active, after `period`
/// periods.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    period: u32,
    churned: f64,
    active: f64,
}

/// Contractual renewal data for the [sBG model](ShiftedBetaGeometric): how many customers churned in
/// each period and how many were still active when their observation ended, from
/// cohort survivor counts or from one row per customer. Built checked, so a fit or a
/// log-likelihood on it cannot fail on the data.
///
/// ```
/// use patronage::clv::RenewalData;
/// // One cohort: 1,000 acquired, 631 renewed once, 468 twice.
/// let one = RenewalData::from_survivors(&[1000.0, 631.0, 468.0])?;
/// assert_eq!((one.customers(), one.churned(), one.active()), (1000.0, 532.0, 468.0));
/// // The same customers one by one: 369 churned in period 1, 163 in period 2, 468 active after 2.
/// let mut periods = vec![1.0; 369];
/// let mut churned = vec![true; 369];
/// periods.extend([2.0; 163 + 468]);
/// churned.extend((0..163 + 468).map(|i| i < 163));
/// assert_eq!(RenewalData::from_customers(&periods, &churned)?, one);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RenewalData {
    /// Distinct periods in increasing order, each with some weight.
    rows: Vec<Row>,
    customers: f64,
}

/// Where a survivor count sits, for error reasons.
fn place(cohort: Option<usize>, period: usize) -> String {
    match cohort {
        Some(c) => format!("cohort {c}, period {period}"),
        None => format!("period {period}"),
    }
}

impl RenewalData {
    /// The survivors of one cohort: `survivors[0]` customers acquired in period 0 and
    /// `survivors[t]` of them still active at the end of period `t` (renewed `t`
    /// times), up to the cohort's age `survivors.len() - 1`. Counts need not be whole
    /// (a curve per 1,000 or per 100 customers works as well; the log-likelihood
    /// and its information criteria then count that many customers).
    ///
    /// # Errors
    /// Errors name the field `survivors` and, as the row, the period:
    /// [`Error::Empty`] for no counts; [`Error::NonFinite`], [`Error::Negative`];
    /// [`Error::InvalidValue`] for a first count that is not `> 0` or a count above
    /// the one before it (survivors never increase), or a total above 2^53 customers;
    /// [`Error::LimitExceeded`] for more than
    /// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES) periods.
    pub fn from_survivors(survivors: &[f64]) -> Result<Self> {
        Self::from_cohorts(&[survivors])
    }

    /// The survivors of several cohorts, each of its own age (a vector per cohort as
    /// [`from_survivors`](Self::from_survivors) takes it), for one model: say cohorts
    /// acquired in successive years, observed until now.
    ///
    /// ```
    /// use patronage::clv::RenewalData;
    /// let data = RenewalData::from_cohorts(&[vec![1000.0, 631.0, 468.0], vec![800.0, 510.0]])?;
    /// assert_eq!((data.customers(), data.last_period()), (1800.0, 2));
    /// let bad = RenewalData::from_cohorts(&[vec![1000.0, 631.0], vec![800.0, 810.0]]);
    /// // The row counts across the cohorts: cohort 1's period 1 is row 3.
    /// assert!(matches!(bad, Err(patronage::Error::InvalidValue { field: "survivors", row: 3, .. })));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_survivors`](Self::from_survivors), with the row counted across the
    /// cohorts in order (cohort 0's periods, then cohort 1's, ...: the position in
    /// their concatenation) and the reason of an [`Error::InvalidValue`] naming the
    /// cohort and period; [`Error::Empty`] (field `cohorts`) for no cohorts, and
    /// [`Error::InvalidParameter`] (`cohorts`) naming an empty cohort. A single cohort
    /// is read as [`from_survivors`](Self::from_survivors) reads it.
    pub fn from_cohorts<S: AsRef<[f64]>>(cohorts: &[S]) -> Result<Self> {
        if cohorts.is_empty() {
            return Err(Error::Empty { field: "cohorts" });
        }
        let single = cohorts.len() == 1;
        let mut offset = 0usize;
        let mut total = 0.0;
        for (c, cohort) in cohorts.iter().enumerate() {
            let s = cohort.as_ref();
            if s.is_empty() {
                if single {
                    return Err(Error::Empty { field: "survivors" });
                }
                return Err(validate::invalid_parameter(
                    "cohorts",
                    format!("cohort {c}"),
                    "is empty: a cohort's survivors start with its initial size",
                ));
            }
            Self::check_cohort(s, offset, (!single).then_some(c))?;
            total += s[0];
            if total > MAX_TOTAL {
                return Err(validate::invalid_value(
                    "survivors",
                    offset,
                    s[0],
                    format!(
                        "{}: more than 2^53 customers in all, beyond exact counts",
                        place((!single).then_some(c), 0)
                    ),
                ));
            }
            offset += s.len();
        }
        let mut rows: std::collections::BTreeMap<u32, (f64, f64)> = Default::default();
        for cohort in cohorts {
            let s = cohort.as_ref();
            for t in 1..s.len() {
                // Checked: at most MAX_OPPORTUNITIES periods.
                let period = t as u32;
                let churned = s[t - 1] - s[t];
                if churned > 0.0 {
                    rows.entry(period).or_default().0 += churned;
                }
            }
            let last = s[s.len() - 1];
            if last > 0.0 {
                rows.entry((s.len() - 1) as u32).or_default().1 += last;
            }
        }
        Ok(Self::from_map(rows, total))
    }

    /// Checks one cohort's survivors, rows from `offset`.
    fn check_cohort(s: &[f64], offset: usize, cohort: Option<usize>) -> Result<()> {
        let periods = s.len().saturating_sub(1);
        if periods > MAX_OPPORTUNITIES as usize {
            return Err(Error::LimitExceeded {
                what: "sBG periods of a cohort",
                size: periods as u64,
                limit: u64::from(MAX_OPPORTUNITIES),
                hint: "aggregate the periods into coarser ones (months into quarters or years)",
            });
        }
        for (t, &v) in s.iter().enumerate() {
            validate::non_negative("survivors", offset + t, v)?;
            if t == 0 && v <= 0.0 {
                return Err(validate::invalid_value(
                    "survivors",
                    offset,
                    v,
                    format!(
                        "{}: a cohort starts with its initial size, which must be > 0",
                        place(cohort, 0)
                    ),
                ));
            }
            if t > 0 && v > s[t - 1] {
                return Err(validate::invalid_value(
                    "survivors",
                    offset + t,
                    v,
                    format!(
                        "{}: more survivors than the period before ({}): survivor counts \
                         never increase",
                        place(cohort, t),
                        s[t - 1]
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One row per customer: `periods[i]` periods observed and whether the customer
    /// churned (`churned[i]`: in period `periods[i]`, so `periods[i] >= 1`) or was
    /// still active after `periods[i]` periods (renewed `periods[i]` times; 0 for a
    /// customer acquired in the current period, who adds nothing to the fit).
    ///
    /// # Errors
    /// [`Error::Empty`] (`periods`) for no customers; [`Error::LengthMismatch`]
    /// (`churned`) unless there is one flag per period; for `periods`, naming the row:
    /// [`Error::NonFinite`], [`Error::Negative`], [`Error::InvalidValue`] for a period
    /// that is not a whole number or that is 0 for a customer who churned,
    /// [`Error::LimitExceeded`] above [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
    pub fn from_customers(periods: &[f64], churned: &[bool]) -> Result<Self> {
        if periods.is_empty() {
            return Err(Error::Empty { field: "periods" });
        }
        validate::same_len("churned", periods.len(), churned.len())?;
        let mut rows: std::collections::BTreeMap<u32, (f64, f64)> = Default::default();
        for (row, (&t, &gone)) in periods.iter().zip(churned).enumerate() {
            validate::non_negative("periods", row, t)?;
            if t.fract() != 0.0 {
                return Err(validate::invalid_value(
                    "periods",
                    row,
                    t,
                    "sBG counts whole periods",
                ));
            }
            if t > f64::from(MAX_OPPORTUNITIES) {
                return Err(Error::LimitExceeded {
                    what: "sBG periods of a customer",
                    size: t as u64,
                    limit: u64::from(MAX_OPPORTUNITIES),
                    hint: "aggregate the periods into coarser ones (months into quarters or years)",
                });
            }
            if gone && t == 0.0 {
                return Err(validate::invalid_value(
                    "periods",
                    row,
                    t,
                    "a customer who churned did so in a period >= 1 (period 0 is acquisition)",
                ));
            }
            let entry = rows.entry(t as u32).or_default();
            if gone {
                entry.0 += 1.0;
            } else {
                entry.1 += 1.0;
            }
        }
        Ok(Self::from_map(rows, periods.len() as f64))
    }

    fn from_map(rows: std::collections::BTreeMap<u32, (f64, f64)>, customers: f64) -> Self {
        Self {
            rows: rows
                .into_iter()
                .map(|(period, (churned, active))| Row {
                    period,
                    churned,
                    active,
                })
                .collect(),
            customers,
        }
    }

    /// Customers in the data (the cohorts' initial sizes, or the rows): the `n` of the
    /// information criteria.
    pub fn customers(&self) -> f64 {
        self.customers
    }

    /// Customers who churned.
    pub fn churned(&self) -> f64 {
        self.rows.iter().map(|r| r.churned).sum()
    }

    /// Customers still active when their observation ended.
    pub fn active(&self) -> f64 {
        self.rows.iter().map(|r| r.active).sum()
    }

    /// The last period the data observe (a churn in it or customers active after it).
    pub fn last_period(&self) -> u32 {
        self.rows.last().map_or(0, |r| r.period)
    }
}

/// `ln Γ(x + k) - ln Γ(x)`, exactly 0 for `k = 0`.
fn ln_rising(x: f64, k: f64) -> f64 {
    if k == 0.0 {
        0.0
    } else {
        ln_gamma(x + k) - ln_gamma(x)
    }
}

/// `ψ(x + k) - ψ(x)`, exactly 0 for `k = 0`.
fn digamma_step(x: f64, k: f64) -> f64 {
    if k == 0.0 {
        0.0
    } else {
        digamma(x + k) - digamma(x)
    }
}

/// `ln P(T = t)` (`t >= 1`).
fn ln_churn(a: f64, b: f64, t: f64) -> f64 {
    a.ln() + ln_rising(b, t - 1.0) - ln_rising(a + b, t)
}

/// `ln S(t)` (`t >= 0`).
fn ln_survival(a: f64, b: f64, t: f64) -> f64 {
    ln_rising(b, t) - ln_rising(a + b, t)
}

/// The log-likelihood of the data and its gradient in `(α, β)`.
fn ll_grad(rows: &[Row], a: f64, b: f64) -> (f64, [f64; 2]) {
    let (mut ll, mut ga, mut gb) = (0.0, 0.0, 0.0);
    for r in rows {
        let t = f64::from(r.period);
        let d_ab = digamma_step(a + b, t);
        if r.churned > 0.0 {
            ll += r.churned * ln_churn(a, b, t);
            ga += r.churned * (1.0 / a - d_ab);
            gb += r.churned * (digamma_step(b, t - 1.0) - d_ab);
        }
        if r.active > 0.0 {
            ll += r.active * ln_survival(a, b, t);
            ga -= r.active * d_ab;
            gb += r.active * (digamma_step(b, t) - d_ab);
        }
    }
    (ll, [ga, gb])
}

impl ShiftedBetaGeometricParams {
    fn fit_data(&self, data: &RenewalData) -> Result<ShiftedBetaGeometric> {
        let unidentified = if data.churned() == 0.0 {
            Some(
                "no customer churned: the likelihood rises without bound as alpha shrinks, \
                 so churn is not identified",
            )
        } else if data
            .rows
            .iter()
            .filter(|r| r.churned > 0.0 || r.active > 0.0)
            .all(|r| r.period <= 1)
        {
            Some(
                "only period 1 is observed: one churn rate does not show how retention \
                 changes with tenure, so alpha and beta are not identified apart (observe \
                 at least two periods)",
            )
        } else {
            None
        };
        if let Some(reason) = unidentified {
            return Err(Error::InsufficientData {
                model: MODEL,
                reason: reason.into(),
            });
        }
        let total = data.customers;
        let ll = |p: &[f64]| ll_grad(&data.rows, p[0], p[1]);
        let (params, iterations) = fit_penalized(
            MODEL,
            &["alpha", "beta"],
            &[0.0, 0.0],
            &self.optimizer,
            total,
            ll,
        )?;
        let cov = covariance(&params, |p| ll(p).1);
        let report = crate::FitReport::new(ll(&params).0, 2, total, None, iterations, true)
            .with_covariance(cov);
        Ok(ShiftedBetaGeometric {
            alpha: params[0],
            beta: params[1],
            report,
        })
    }
}

impl crate::model::Fit<&RenewalData> for ShiftedBetaGeometricParams {
    type Fitted = ShiftedBetaGeometric;

    fn fit(&self, data: &RenewalData) -> Result<ShiftedBetaGeometric> {
        self.fit_data(data)
    }
}

super::fit::clv_model! {
    /// sBG fitting options ([`Optimized`](crate::model::Optimized): at most 500 BFGS
    /// iterations, tolerance 1e-9 on the gradient of the mean negative log-likelihood
    /// in `(ln α, ln β)`; [`Regularized`](crate::model::Regularized): `penalty · (α² +
    /// β²)` as for the other CLV models, none by default); [`Fit`](crate::model::Fit)
    /// to a [`&RenewalData`](RenewalData) returns a [`ShiftedBetaGeometric`].
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::clv::{RenewalData, ShiftedBetaGeometric};
    /// // Fader & Hardie's "high end" customers, years 0-7.
    /// let data = RenewalData::from_survivors(&[1000.0, 869.0, 743.0, 653.0, 593.0, 551.0, 517.0, 491.0])?;
    /// let model = ShiftedBetaGeometric::params().max_iter(200).fit(&data)?;
    /// assert!((model.alpha() - 0.668).abs() < 5e-4 && (model.beta() - 3.806).abs() < 5e-4);
    /// let p = model.parameters();
    /// assert!(p.iter().all(|p| p.standard_error.is_some_and(|se| se > 0.0)));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for optimizer settings out of range;
    /// [`Error::InsufficientData`] when no customer churned, when only period 1 is
    /// observed, or when the likelihood rises towards a parameter limit (each
    /// parameter is kept in `[1e-8, 1e8]`; e.g. a cohort whose retention does not rise
    /// with tenure shows no heterogeneity, and `α, β` grow without bound); and
    /// [`Error::NotConverged`].
    params ShiftedBetaGeometricParams(max_iter 500, tol 1e-9);
    /// The shifted-beta-geometric (sBG) model of contractual churn (Fader & Hardie 2007,
    /// "How to Project Customer Retention", *Journal of Interactive Marketing* 21(1)).
    ///
    /// In a contractual setting (subscriptions, memberships, insurance policies) churn is
    /// observed: at the end of each period a customer renews or leaves. Under sBG a
    /// customer leaves at the end of each period with a probability `θ` of their own,
    /// constant over their lifetime, and `θ` varies across customers as `Beta(α, β)`.
    /// Retention then *rises* with tenure, as observed in most contractual businesses:
    /// the customers most likely to leave leave first. With `T` the period in which a
    /// customer churns (`T = 1, 2, ...`; customers are acquired in period 0):
    ///
    /// ```text
    /// P(T = t) = B(α + 1, β + t - 1) / B(α, β)                 churn probability in period t
    /// S(t)     = P(T > t) = B(α, β + t) / B(α, β)              survival to the end of period t
    /// r(t)     = S(t) / S(t - 1) = (β + t - 1) / (α + β + t - 1)   retention rate of period t
    /// ```
    ///
    /// **Data** ([`RenewalData`]): survivor counts of one cohort or of several cohorts of
    /// different ages (`n_0` customers acquired, `n_t` still active at the end of period
    /// `t`), or one row per customer (periods observed, churned or still active). Both
    /// reduce to how many customers churned in each period and how many were still active
    /// when observation ended; the log-likelihood, in log space from log-gamma functions,
    /// is
    ///
    /// ```text
    /// LL = Σ_t churned_t · ln P(T = t) + Σ_t active_t · ln S(t)
    /// ```
    ///
    /// (for one cohort: `Σ_{t=1}^{m} (n_{t-1} - n_t) ln P(T = t) + n_m ln S(m)`), maximized
    /// by BFGS on `(ln α, ln β)` with its analytic gradient; standard errors come from the
    /// Hessian of the log-likelihood (central differences of that gradient), whose
    /// inverse the report keeps as the covariance of the estimates.
    ///
    /// **Value** (Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting:
    /// The Perils of Ignoring Heterogeneity", *Marketing Science* 29(1)). With a discount
    /// rate `d` per period, the discounted expected residual lifetime of a customer who has
    /// made `n - 1` renewals, valued just before their `n`-th renewal decision, is
    ///
    /// ```text
    /// DERL(d | α, β, n) = Σ_{k>=1} S(n - 1 + k) / S(n - 1) / (1 + d)^(k - 1)
    ///                   = B(α, β + n) / B(α, β + n - 1) · 2F1(1, β + n; α + β + n; 1 / (1 + d))
    /// ```
    ///
    /// so such a customer is worth `margin · DERL` ([`residual_lifetime_value`]), and a
    /// customer about to be acquired (paying at acquisition, then at each renewal)
    /// `E[CLV] = margin · 2F1(1, β; α + β; 1 / (1 + d))`
    /// ([`expected_lifetime_value`]).
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::clv::{RenewalData, ShiftedBetaGeometric};
    /// // Fader & Hardie's "regular" customers, years 0-7 (per 1,000 acquired).
    /// let data = RenewalData::from_survivors(&[1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0])?;
    /// let model = ShiftedBetaGeometric::params().fit(&data)?;
    /// assert!((model.alpha() - 0.704).abs() < 5e-4 && (model.beta() - 1.182).abs() < 5e-4);
    /// assert!((model.report().log_likelihood - -1680.3).abs() < 0.05);
    /// // Projected survivors for years 8-12 (held out: 223, 207, 194, 183, 173).
    /// let projected = model.expected_survivors(1000.0, 12)?;
    /// assert!((projected[12] - 173.0).abs() < 5.0);
    /// // Retention rises with tenure; a customer after 4 renewals, at 10% a year.
    /// assert!(model.retention_rate(2)? < model.retention_rate(8)?);
    /// let derl = model.discounted_expected_residual_lifetime(0.1, 4)?;
    /// assert!((derl - 5.894).abs() < 1e-3);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// Periods `t` count renewal periods since acquisition (period 0); predictions for
    /// periods whose work or memory grows with `t` take at most
    /// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES) periods.
    ///
    /// [`residual_lifetime_value`]: Self::residual_lifetime_value
    /// [`expected_lifetime_value`]: Self::expected_lifetime_value
    model ShiftedBetaGeometric(RawShiftedBetaGeometric, "RawShiftedBetaGeometric", "sBG") {
        /// α of the Beta distribution of the churn probability `θ` across customers.
        alpha,
        /// β of the Beta distribution of the churn probability `θ` across customers.
        beta,
    }
}

/// `t >= 1` for a quantity of period `t` that starts at period 1.
fn check_period(name: &'static str, t: u32) -> Result<()> {
    if t == 0 {
        return Err(validate::invalid_parameter(
            name,
            t,
            "periods start at 1 (period 0 is acquisition: nobody churns in it)",
        ));
    }
    Ok(())
}

/// A number of periods for a curve or projection, at most `MAX_OPPORTUNITIES`.
fn check_periods(name: &'static str, periods: u64) -> Result<()> {
    if periods > u64::from(MAX_OPPORTUNITIES) {
        return Err(Error::LimitExceeded {
            what: "sBG periods of a prediction",
            size: periods,
            limit: u64::from(MAX_OPPORTUNITIES),
            hint: match name {
                "renewals" => "tenure beyond the limit: use coarser periods",
                _ => "ask for fewer periods, or use coarser ones",
            },
        });
    }
    Ok(())
}

/// A discount rate per period: finite and `> -1`.
fn check_discount_rate(d: f64) -> Result<()> {
    if !(d.is_finite() && d > -1.0) {
        return Err(validate::invalid_parameter(
            "discount_rate",
            d,
            "must be finite and > -1 (a rate per period: 0.1 for 10%)",
        ));
    }
    Ok(())
}

impl ShiftedBetaGeometric {
    /// The log-likelihood of the data under this model's parameters: at a fit's
    /// parameters, the report's log-likelihood. For comparing fits, or published
    /// parameters, on the same data.
    ///
    /// ```
    /// use patronage::clv::{RenewalData, ShiftedBetaGeometric};
    /// let data = RenewalData::from_survivors(&[1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0])?;
    /// let published = ShiftedBetaGeometric::from_params(0.704, 1.182)?;
    /// assert!((published.log_likelihood(&data) - -1680.3).abs() < 0.05);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn log_likelihood(&self, data: &RenewalData) -> f64 {
        ll_grad(&data.rows, self.alpha, self.beta).0
    }

    /// `P(T = t)`: the probability that a newly acquired customer churns in period `t`
    /// (renews `t - 1` times), `B(α + 1, β + t - 1) / B(α, β)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t = 0`.
    pub fn churn_probability(&self, t: u32) -> Result<f64> {
        check_period("t", t)?;
        Ok(ln_churn(self.alpha, self.beta, f64::from(t)).exp())
    }

    /// `S(t) = P(T > t)`: the probability that a newly acquired customer is still
    /// active at the end of period `t` (has renewed `t` times), `B(α, β + t) / B(α, β)`;
    /// `S(0) = 1`.
    pub fn survival(&self, t: u32) -> f64 {
        ln_survival(self.alpha, self.beta, f64::from(t)).exp()
    }

    /// `r(t) = S(t) / S(t - 1) = (β + t - 1) / (α + β + t - 1)`: the share of the
    /// customers active at the end of period `t - 1` who renew in period `t`. It rises
    /// with `t` towards 1 (the customers likeliest to churn churn first).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `t = 0`.
    pub fn retention_rate(&self, t: u32) -> Result<f64> {
        check_period("t", t)?;
        let k = f64::from(t) - 1.0;
        Ok((self.beta + k) / (self.alpha + self.beta + k))
    }

    /// `S(t)` for `t = 0, ..., periods` (`periods + 1` values, the first 1), by the
    /// retention rates.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for `periods` above
    /// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
    pub fn survival_curve(&self, periods: u32) -> Result<Vec<f64>> {
        check_periods("periods", u64::from(periods))?;
        let mut s = 1.0;
        let mut out = Vec::with_capacity(periods as usize + 1);
        out.push(1.0);
        for t in 1..=periods {
            let k = f64::from(t) - 1.0;
            s *= (self.beta + k) / (self.alpha + self.beta + k);
            out.push(s);
        }
        Ok(out)
    }

    /// `r(t)` for `t = 1, ..., periods`.
    ///
    /// # Errors
    /// As [`survival_curve`](Self::survival_curve).
    pub fn retention_curve(&self, periods: u32) -> Result<Vec<f64>> {
        check_periods("periods", u64::from(periods))?;
        Ok((0..periods)
            .map(|k| {
                let k = f64::from(k);
                (self.beta + k) / (self.alpha + self.beta + k)
            })
            .collect())
    }

    /// `P(T = t)` for `t = 1, ..., periods`: `S(t - 1) - S(t)`, computed as
    /// `S(t - 1) · (1 - r(t))` without cancellation.
    ///
    /// # Errors
    /// As [`survival_curve`](Self::survival_curve).
    pub fn churn_curve(&self, periods: u32) -> Result<Vec<f64>> {
        check_periods("periods", u64::from(periods))?;
        let mut s = 1.0;
        Ok((0..periods)
            .map(|k| {
                let k = f64::from(k);
                let churn = s * self.alpha / (self.alpha + self.beta + k);
                s *= (self.beta + k) / (self.alpha + self.beta + k);
                churn
            })
            .collect())
    }

    /// Expected survivors of a cohort of `initial` customers acquired in period 0, at
    /// the end of periods `0, ..., periods`: `initial · S(t)` (the paper's projection).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an `initial` size that is not finite and `>= 0`;
    /// as [`survival_curve`](Self::survival_curve).
    pub fn expected_survivors(&self, initial: f64, periods: u32) -> Result<Vec<f64>> {
        validate::argument("initial", initial, false)?;
        Ok(self
            .survival_curve(periods)?
            .into_iter()
            .map(|s| initial * s)
            .collect())
    }

    /// Projects a cohort observed so far: `active` customers still active at the end of
    /// period `age` are expected to number `active · S(age + k) / S(age)` at the end of
    /// period `age + k`, for `k = 1, ..., periods` (the survivors' churn probabilities
    /// are `Beta(α, β + age)`: the likeliest to churn have gone).
    ///
    /// ```
    /// use patronage::clv::ShiftedBetaGeometric;
    /// let m = ShiftedBetaGeometric::from_params(0.704, 1.182)?;
    /// // 241 of 1,000 left after 7 years: the next 5 years.
    /// let next = m.project_survivors(241.0, 7, 5)?;
    /// assert_eq!(next.len(), 5);
    /// assert!((next[0] - 241.0 * m.retention_rate(8)?).abs() < 1e-9);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `active` not finite and `>= 0`;
    /// [`Error::LimitExceeded`] when `age + periods` passes
    /// [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
    pub fn project_survivors(&self, active: f64, age: u32, periods: u32) -> Result<Vec<f64>> {
        validate::argument("active", active, false)?;
        check_periods("periods", u64::from(age) + u64::from(periods))?;
        let mut n = active;
        Ok((age..age + periods)
            .map(|k| {
                let k = f64::from(k);
                n *= (self.beta + k) / (self.alpha + self.beta + k);
                n
            })
            .collect())
    }

    /// The discounted expected residual lifetime `DERL(d | α, β, n)` (Fader & Hardie
    /// 2010, eq. 6) of a customer who has made `renewals = n - 1` renewals (0 for one
    /// in their first period), valued just before their next renewal decision: the
    /// expected number of future renewals, each discounted by `(1 + d)` per period
    /// after the first,
    ///
    /// `Σ_{k>=1} S(n - 1 + k) / S(n - 1) / (1 + d)^(k - 1)
    ///  = (β + n - 1) / (α + β + n - 1) · 2F1(1, β + n; α + β + n; 1 / (1 + d))`.
    ///
    /// At `d = 0` this is the expected number of renewals left, `(β + n - 1) / (α -
    /// 1)`, finite only when `α > 1`.
    ///
    /// ```
    /// use patronage::clv::ShiftedBetaGeometric;
    /// let m = ShiftedBetaGeometric::from_params(0.704, 1.182)?;
    /// let derl = m.discounted_expected_residual_lifetime(0.1, 0)?;
    /// // Against the sum itself.
    /// let z: f64 = 1.0 / 1.1;
    /// let direct: f64 = (1..20_000).map(|k| m.survival(k) * z.powi(k as i32 - 1)).sum();
    /// assert!((derl - direct).abs() < 1e-9 * direct);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a discount rate that is not finite and `> -1`,
    /// or for which the sum diverges: `d < 0`, or `d = 0` with `α <= 1` (or `d` so
    /// close to 0 that the value passes f64); [`Error::LimitExceeded`] for `renewals`
    /// above [`MAX_OPPORTUNITIES`](super::MAX_OPPORTUNITIES).
    pub fn discounted_expected_residual_lifetime(
        &self,
        discount_rate: f64,
        renewals: u32,
    ) -> Result<f64> {
        check_periods("renewals", u64::from(renewals))?;
        self.discounted_sum(discount_rate, f64::from(renewals) + 1.0)
    }

    /// `DERL(d | α, β, n)` for real `n >= 1`; `n = 0` would divide by `S(-1)`, so
    /// [`expected_lifetime_value`](Self::expected_lifetime_value) uses its own form.
    fn discounted_sum(&self, d: f64, n: f64) -> Result<f64> {
        check_discount_rate(d)?;
        let (a, b) = (self.alpha, self.beta);
        let z = 1.0 / (1.0 + d);
        let value = if d < 0.0 {
            return Err(validate::invalid_parameter(
                "discount_rate",
                d,
                "a negative rate makes the discounted lifetime infinite (survival decays \
                 slower than (1 + d)^t grows): use a rate >= 0",
            ));
        } else if z >= 1.0 {
            // d = 0, or so small that 1 / (1 + d) rounds to 1: Gauss's sum at z = 1.
            if a <= 1.0 {
                return Err(validate::invalid_parameter(
                    "discount_rate",
                    d,
                    format!(
                        "with alpha = {a} <= 1 the expected lifetime is infinite: use a \
                         discount rate > 0"
                    ),
                ));
            }
            (b + n - 1.0) / (a - 1.0)
        } else {
            let derl = |a: f64| {
                let ratio = (b + n - 1.0) / (a + b + n - 1.0);
                ratio * ln_hyp2f1(1.0, b + n, a + b + n, z).exp()
            };
            if z > 0.9 {
                across_integer(a, derl)
            } else {
                derl(a)
            }
        };
        if !(value.is_finite() && value > 0.0) {
            return Err(validate::invalid_parameter(
                "discount_rate",
                d,
                format!(
                    "the discounted lifetime ({value}) is beyond f64 at this rate (alpha = \
                     {a}): use a larger rate"
                ),
            ));
        }
        Ok(value)
    }

    /// The expected residual value of an active customer who has made `renewals`
    /// renewals, just before their next renewal decision: `margin ·`
    /// [`DERL`](Self::discounted_expected_residual_lifetime), with `margin` the net
    /// cash flow per renewal (a customer's lifetime value from now on in a
    /// contractual setting).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite `margin`; as
    /// [`discounted_expected_residual_lifetime`](Self::discounted_expected_residual_lifetime).
    pub fn residual_lifetime_value(
        &self,
        margin: f64,
        discount_rate: f64,
        renewals: u32,
    ) -> Result<f64> {
        check_margin(margin)?;
        Ok(margin * self.discounted_expected_residual_lifetime(discount_rate, renewals)?)
    }

    /// `E[CLV]` of a customer about to be acquired, who pays `margin` at acquisition and
    /// at each renewal (Fader & Hardie 2010, eq. 3): `margin · Σ_{t>=0} S(t) / (1 +
    /// d)^t = margin · 2F1(1, β; α + β; 1 / (1 + d))`, that is `margin · (1 + DERL(d |
    /// n = 1) / (1 + d))`.
    ///
    /// ```
    /// use patronage::clv::ShiftedBetaGeometric;
    /// let m = ShiftedBetaGeometric::from_params(0.668, 3.806)?;
    /// let clv = m.expected_lifetime_value(100.0, 0.1)?;
    /// let derl = m.discounted_expected_residual_lifetime(0.1, 0)?;
    /// assert!((clv - 100.0 * (1.0 + derl / 1.1)).abs() < 1e-9);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`residual_lifetime_value`](Self::residual_lifetime_value).
    pub fn expected_lifetime_value(&self, margin: f64, discount_rate: f64) -> Result<f64> {
        check_margin(margin)?;
        let residual = self.discounted_sum(discount_rate, 1.0)?;
        Ok(margin * (1.0 + residual / (1.0 + discount_rate)))
    }
}

/// `f(α)` for `f` a DERL in `α` (smooth in `α`), whose 2F1 has `c - a - b = α - 1`;
/// used where `z > 0.9`. Within `1e-3` of an integer `k >= 1` it is the cubic through
/// `f` at `k -/+ 1e-3` and `k -/+ 2e-3` (within `1e-3` of 0, the cubic through `f` at 1,
/// 2, 3 and 4 times `1e-3`). The shared 2F1 is weak near an integer `c - a - b`: within
/// 1e-6 of one and above `z = 0.999` it extrapolates from `c -/+ 1e-4 c`, which loses
/// accuracy as `c = α + β + n` grows (5.6e-6 relative at `α = 1`, `β + n = 1004`,
/// `z = 1 / 1.001`), and a little further away its connection formula's two terms, of
/// size `1 / |α - k|`, cancel (1.9e-9 at `α - 1 = 3e-6`). At `1e-3` the cancellation
/// costs about 1e-13 and the cubic's own error stays below 1e-10 (measured against the
/// direct sum: 1.4e-10 at integers, 1.6e-9 at `α = 4e-6`, extrapolated).
fn across_integer(alpha: f64, f: impl Fn(f64) -> f64) -> f64 {
    const GAP: f64 = 1e-3;
    let k = alpha.round();
    if (alpha - k).abs() >= GAP {
        return f(alpha);
    }
    let nodes: [f64; 4] = if k >= 1.0 {
        [k - 2.0 * GAP, k - GAP, k + GAP, k + 2.0 * GAP]
    } else {
        [GAP, 2.0 * GAP, 3.0 * GAP, 4.0 * GAP]
    };
    let values = nodes.map(&f);
    // Lagrange's form of the cubic through the four nodes.
    (0..4)
        .map(|i| {
            let weight: f64 = (0..4)
                .filter(|&j| j != i)
                .map(|j| (alpha - nodes[j]) / (nodes[i] - nodes[j]))
                .product();
            weight * values[i]
        })
        .sum()
}

/// A margin per period: finite (it may be negative: a loss per renewal).
fn check_margin(margin: f64) -> Result<()> {
    if !margin.is_finite() {
        return Err(validate::invalid_parameter(
            "margin",
            margin,
            "must be finite",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = RenewalData::from_cohorts(&[
            vec![1000.0, 631.0, 468.0, 382.0, 326.0],
            vec![500.0, 400.0, 390.0],
        ])
        .unwrap();
        for (a, b) in [(0.7, 1.2), (3.0, 0.4), (0.05, 20.0)] {
            let (_, g) = ll_grad(&data.rows, a, b);
            let h = 1e-6;
            let fa =
                (ll_grad(&data.rows, a + h, b).0 - ll_grad(&data.rows, a - h, b).0) / (2.0 * h);
            let fb =
                (ll_grad(&data.rows, a, b + h).0 - ll_grad(&data.rows, a, b - h).0) / (2.0 * h);
            assert!(
                (g[0] - fa).abs() < 1e-5 * fa.abs().max(1.0),
                "{a} {b}: {} vs {fa}",
                g[0]
            );
            assert!(
                (g[1] - fb).abs() < 1e-5 * fb.abs().max(1.0),
                "{a} {b}: {} vs {fb}",
                g[1]
            );
        }
    }

    #[test]
    fn closed_forms_agree_with_recursions() {
        let m = ShiftedBetaGeometric::from_params(0.704, 1.182).unwrap();
        let curve = m.survival_curve(50).unwrap();
        let churn = m.churn_curve(50).unwrap();
        for t in 1..=50u32 {
            let s = m.survival(t);
            assert!((curve[t as usize] - s).abs() < 1e-13, "S({t})");
            let p = m.churn_probability(t).unwrap();
            assert!((churn[t as usize - 1] - p).abs() < 1e-13, "P(T = {t})");
            assert!((m.survival(t - 1) - s - p).abs() < 1e-13);
        }
    }
}
