//! Survival curves of customer lifetimes: the Kaplan-Meier estimator with right
//! censoring, Greenwood confidence intervals in lifelines' exponential ("log-log")
//! form, median survival, the log-rank test between two groups, and customer
//! lifetimes derived from a transaction log.
//!
//! For distinct event times `t_i` with `d_i` events among `n_i` at risk,
//! `S(t) = prod_{t_i <= t} (1 - d_i / n_i)`; Greenwood's variance of `log S` is
//! `sum d_i / (n_i (n_i - d_i))`, and the interval is
//! `exp(-exp(log(-log S) -/+ z sqrt(V) / log S))`.
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::survival::KaplanMeier;
//! let durations = [1.0, 2.0, 2.0, 3.0, 4.0];
//! let events = [true, true, false, true, false]; // false = censored
//! let km = KaplanMeier::params().fit((&durations, &events))?;
//! assert!((km.survival_at(2.5)? - 0.6).abs() < 1e-12); // (1 - 1/5)(1 - 1/4)
//! assert_eq!(km.median(), Some(3.0));
//! # Ok::<(), patronage::Error>(())
//! ```

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use crate::error::{Error, Result};
use crate::model::Fit;
use crate::transactions::{Day, TransactionLog};

/// A time to read a curve at: anything but NaN.
fn check_time(t: f64) -> Result<()> {
    if t.is_nan() {
        return Err(Error::InvalidParameter {
            name: "t",
            value: t.to_string(),
            reason: "a time to read the curve at, not NaN".into(),
        });
    }
    Ok(())
}

fn validate(durations: &[f64], events: &[bool]) -> Result<()> {
    if durations.is_empty() {
        return Err(Error::Empty { field: "durations" });
    }
    if events.len() != durations.len() {
        return Err(Error::LengthMismatch {
            field: "events",
            expected: durations.len(),
            found: events.len(),
        });
    }
    for (row, &t) in durations.iter().enumerate() {
        if !t.is_finite() {
            return Err(Error::NonFinite {
                field: "durations",
                row,
                value: t,
            });
        }
        if t < 0.0 {
            return Err(Error::Negative {
                field: "durations",
                row,
                value: t,
            });
        }
    }
    Ok(())
}

/// Per distinct time: (time, at risk, events, censored), ascending.
fn table(durations: &[f64], events: &[bool]) -> Vec<(f64, f64, f64, f64)> {
    let mut order: Vec<(f64, bool)> = durations
        .iter()
        .copied()
        .zip(events.iter().copied())
        .collect();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        order.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    }
    #[cfg(not(feature = "parallel"))]
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    let mut at_risk = order.len() as f64;
    let mut k = 0;
    while k < order.len() {
        let t = order[k].0;
        let (mut d, mut c) = (0.0, 0.0);
        while k < order.len() && order[k].0 == t {
            if order[k].1 {
                d += 1.0
            } else {
                c += 1.0
            }
            k += 1;
        }
        out.push((t, at_risk, d, c));
        at_risk -= d + c;
    }
    out
}

/// A fitted Kaplan-Meier curve.
///
/// A curve read with serde is checked as it loads: at least one time, every column one
/// value per time, times finite, `>= 0` and strictly ascending, subjects at risk whole
/// and `>= 1`, events whole and at most the subjects at risk, the subjects at risk at
/// each time at most those of the time before less its events, survival in `[0, 1]`
/// and non-increasing, and the Greenwood sum finite, `>= 0` and non-decreasing.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawKaplanMeier")
)]
pub struct KaplanMeier {
    /// Distinct observed times, ascending.
    times: Vec<f64>,
    at_risk: Vec<f64>,
    events: Vec<f64>,
    survival: Vec<f64>,
    /// Cumulative Greenwood sum `sum d / (n (n - d))`.
    greenwood: Vec<f64>,
}

/// [`KaplanMeier`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawKaplanMeier {
    times: Vec<f64>,
    at_risk: Vec<f64>,
    events: Vec<f64>,
    survival: Vec<f64>,
    greenwood: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawKaplanMeier> for KaplanMeier {
    type Error = Error;

    fn try_from(raw: RawKaplanMeier) -> Result<KaplanMeier> {
        use crate::validate::{
            count, invalid_value, non_empty, non_negative, probability, same_len,
        };
        let n = raw.times.len();
        non_empty("times", n)?;
        same_len("at_risk", n, raw.at_risk.len())?;
        same_len("events", n, raw.events.len())?;
        same_len("survival", n, raw.survival.len())?;
        same_len("greenwood", n, raw.greenwood.len())?;
        for row in 0..n {
            let (t, at_risk, events) = (raw.times[row], raw.at_risk[row], raw.events[row]);
            let (s, g) = (raw.survival[row], raw.greenwood[row]);
            non_negative("times", row, t)?;
            count("at_risk", row, at_risk)?;
            count("events", row, events)?;
            probability("survival", row, s)?;
            non_negative("greenwood", row, g)?;
            if at_risk < 1.0 {
                return Err(invalid_value(
                    "at_risk",
                    row,
                    at_risk,
                    "each time of a curve has at least one subject at risk",
                ));
            }
            if events > at_risk {
                return Err(invalid_value(
                    "events",
                    row,
                    events,
                    format!("more events than the {at_risk} subjects at risk"),
                ));
            }
            let Some(before) = row.checked_sub(1) else {
                continue;
            };
            if t <= raw.times[before] {
                return Err(invalid_value(
                    "times",
                    row,
                    t,
                    "times are distinct and ascending",
                ));
            }
            let left = raw.at_risk[before] - raw.events[before];
            if at_risk > left {
                return Err(invalid_value(
                    "at_risk",
                    row,
                    at_risk,
                    format!("more subjects at risk than the {left} left after the time before"),
                ));
            }
            if s > raw.survival[before] {
                return Err(invalid_value(
                    "survival",
                    row,
                    s,
                    "survival does not increase over time",
                ));
            }
            if g < raw.greenwood[before] {
                return Err(invalid_value(
                    "greenwood",
                    row,
                    g,
                    "the Greenwood sum does not decrease over time",
                ));
            }
        }
        Ok(KaplanMeier {
            times: raw.times,
            at_risk: raw.at_risk,
            events: raw.events,
            survival: raw.survival,
            greenwood: raw.greenwood,
        })
    }
}

/// The settings of a Kaplan-Meier fit (there are none yet: the estimator has no
/// tuning); [`KaplanMeier::params`] returns them, and [`Fit::fit`] on durations and
/// event flags returns the curve.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::survival::KaplanMeier;
/// let durations = vec![5.0, 8.0, 8.0, 12.0];
/// let churned = vec![true, false, true, true];
/// let km = KaplanMeier::params().fit((&durations, &churned))?;
/// assert_eq!(km.times(), &[5.0, 8.0, 12.0]);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KaplanMeierParams {
    /// Private, so that settings can be added without breaking callers.
    _private: (),
}

/// Fits the curve to durations and event flags, one per subject: `true` = the event
/// (churn) happened at that duration, `false` = still active, censored there. Both are
/// anything that reads as a slice (`&[f64]`, `&Vec<f64>`, `&[f64; N]`; `&[bool]`, ...).
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], and [`Error::NonFinite`] or
/// [`Error::Negative`] for a duration, naming the row.
impl<D, E> Fit<(&D, &E)> for KaplanMeierParams
where
    D: AsRef<[f64]> + ?Sized,
    E: AsRef<[bool]> + ?Sized,
{
    type Fitted = KaplanMeier;

    fn fit(&self, (durations, events): (&D, &E)) -> Result<KaplanMeier> {
        let (durations, events) = (durations.as_ref(), events.as_ref());
        validate(durations, events)?;
        let t = table(durations, events);
        let mut km = KaplanMeier {
            times: Vec::with_capacity(t.len()),
            at_risk: Vec::with_capacity(t.len()),
            events: Vec::with_capacity(t.len()),
            survival: Vec::with_capacity(t.len()),
            greenwood: Vec::with_capacity(t.len()),
        };
        let (mut s, mut g) = (1.0, 0.0);
        for (time, n, d, _) in t {
            s *= 1.0 - d / n;
            if d > 0.0 && n > d {
                g += d / (n * (n - d));
            }
            km.times.push(time);
            km.at_risk.push(n);
            km.events.push(d);
            km.survival.push(s);
            km.greenwood.push(g);
        }
        Ok(km)
    }
}

impl KaplanMeier {
    /// The settings to fit a curve with ([`Fit`] on `(&durations, &events)`).
    pub fn params() -> KaplanMeierParams {
        KaplanMeierParams::default()
    }

    /// The distinct observed times, ascending.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// `S(t)` just after each time of [`times`](Self::times).
    pub fn survival(&self) -> &[f64] {
        &self.survival
    }

    /// Subjects at risk just before each time.
    pub fn at_risk(&self) -> &[f64] {
        &self.at_risk
    }

    /// Events at each time.
    pub fn events(&self) -> &[f64] {
        &self.events
    }

    fn index_at(&self, t: f64) -> Option<usize> {
        let k = self.times.partition_point(|&x| x <= t);
        k.checked_sub(1)
    }

    /// `S(t)`: the step function at any time (1 before the first time, the last value
    /// from the last time on, infinities included).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a NaN `t`.
    pub fn survival_at(&self, t: f64) -> Result<f64> {
        check_time(t)?;
        Ok(self.index_at(t).map_or(1.0, |k| self.survival[k]))
    }

    /// The Greenwood confidence interval of `S(t)` at `level` (e.g. 0.95), in
    /// lifelines' exponential form; `(1, 1)` before the first event, and the
    /// degenerate `(S, S)` where `S` is 0 or 1.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a level outside `(0, 1)` or a NaN `t`.
    pub fn interval_at(&self, t: f64, level: f64) -> Result<(f64, f64)> {
        check_time(t)?;
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "level",
                value: level.to_string(),
                reason: "a confidence level in (0, 1), e.g. 0.95".into(),
            });
        }
        let Some(k) = self.index_at(t) else {
            return Ok((1.0, 1.0));
        };
        let s = self.survival[k];
        if s <= 0.0 || s >= 1.0 {
            return Ok((s, s));
        }
        let z = Normal::standard().inverse_cdf((1.0 + level) / 2.0);
        let v = s.ln();
        let w = z * self.greenwood[k].sqrt() / v;
        let lower = (-((-v).ln() - w).exp()).exp();
        let upper = (-((-v).ln() + w).exp()).exp();
        Ok((lower, upper))
    }

    /// Median survival: the first time `S(t) <= 0.5`, if the curve gets there.
    pub fn median(&self) -> Option<f64> {
        self.survival
            .iter()
            .position(|&s| s <= 0.5)
            .map(|k| self.times[k])
    }
}

/// The log-rank test comparing two groups' survival.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogRank {
    /// The chi-square statistic (1 degree of freedom).
    pub statistic: f64,
    /// Its p-value.
    pub p_value: f64,
    /// Observed events in group A.
    pub observed_a: f64,
    /// Expected events in group A under equal survival.
    pub expected_a: f64,
}

/// Log-rank test of equal survival in groups A and B (Mantel-Cox).
///
/// # Errors
/// As [`KaplanMeierParams`]'s fit for either group, and [`Error::InsufficientData`] when
/// there are no events at all.
///
/// ```
/// use patronage::survival::log_rank;
/// let r = log_rank(&[1.0, 2.0, 3.0, 4.0], &[true; 4], &[5.0, 6.0, 7.0, 8.0], &[true; 4])?;
/// assert!(r.p_value < 0.05);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn log_rank(
    durations_a: &[f64],
    events_a: &[bool],
    durations_b: &[f64],
    events_b: &[bool],
) -> Result<LogRank> {
    validate(durations_a, events_a)?;
    validate(durations_b, events_b)?;
    let mut all: Vec<(f64, bool, bool)> = durations_a
        .iter()
        .zip(events_a)
        .map(|(&t, &e)| (t, e, true))
        .chain(
            durations_b
                .iter()
                .zip(events_b)
                .map(|(&t, &e)| (t, e, false)),
        )
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut n_a, mut n_b) = (durations_a.len() as f64, durations_b.len() as f64);
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    let mut k = 0;
    while k < all.len() {
        let t = all[k].0;
        let (mut d_a, mut d, mut out_a, mut out_b) = (0.0, 0.0, 0.0, 0.0);
        while k < all.len() && all[k].0 == t {
            let (_, event, in_a) = all[k];
            if event {
                d += 1.0;
                if in_a {
                    d_a += 1.0;
                }
            }
            if in_a {
                out_a += 1.0
            } else {
                out_b += 1.0
            }
            k += 1;
        }
        let n = n_a + n_b;
        if d > 0.0 {
            observed += d_a;
            expected += d * n_a / n;
            if n > 1.0 {
                variance += d * (n_a / n) * (n_b / n) * (n - d) / (n - 1.0);
            }
        }
        n_a -= out_a;
        n_b -= out_b;
    }
    if variance <= 0.0 {
        return Err(Error::InsufficientData {
            model: "log-rank test",
            reason: "no events to compare".into(),
        });
    }
    let statistic = (observed - expected).powi(2) / variance;
    let chi = ChiSquared::new(1.0).map_err(|e| Error::InvalidParameter {
        name: "degrees of freedom",
        value: "1".into(),
        reason: e.to_string(),
    })?;
    Ok(LogRank {
        statistic,
        p_value: 1.0 - chi.cdf(statistic),
        observed_a: observed,
        expected_a: expected,
    })
}

/// Customer lifetimes from a log, for survival analysis: a customer whose last
/// purchase is more than `inactivity` before `observation_end` has churned, with
/// lifetime = days from first to last purchase (event `true`); the others are active
/// and censored at `observation_end` (lifetime = days from first purchase to then,
/// event `false`). Purchases after `observation_end` are ignored; customers who first buy
/// after it are left out. Returns (customer indices, durations in days, events).
///
/// # Errors
/// [`Error::InvalidParameter`] for a negative or non-finite `inactivity`;
/// [`Error::Empty`] when no customer bought by `observation_end`.
///
/// ```
/// use patronage::{Day, Horizon, Transaction, TransactionLog};
/// use patronage::survival::lifetimes;
/// let t = |c: u8, d: i32| Transaction { customer: c, day: Day(d), amount: 1.0 };
/// let log = TransactionLog::new(&[t(1, 0), t(1, 10), t(2, 5), t(2, 95)])?;
/// let (_, durations, events) = lifetimes(&log, Day(100), Horizon::days(60.0))?;
/// assert_eq!(durations, vec![10.0, 95.0]); // customer 1 churned after day 10
/// assert_eq!(events, vec![true, false]);
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn lifetimes<C>(
    log: &TransactionLog<C>,
    observation_end: Day,
    inactivity: crate::Horizon,
) -> Result<(Vec<u32>, Vec<f64>, Vec<bool>)> {
    let inactivity_days = inactivity.in_days();
    if !(inactivity_days >= 0.0 && inactivity_days.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "inactivity",
            value: format!("{inactivity_days} days"),
            reason: "must be zero or more days (and finite)".into(),
        });
    }
    let (mut customers, mut durations, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..log.n_customers() as u32 {
        let (days, amounts) = log.customer_rows(c);
        let k = days.partition_point(|&d| d <= observation_end);
        let (first, last) = if log.returns() == crate::Returns::Reject {
            if k == 0 {
                continue;
            }
            (days[0], days[k - 1])
        } else {
            // The policy's purchase days: a customer who only refunds has none.
            let mut purchases =
                crate::refunds::purchase_days(&days[..k], &amounts[..k], log.returns());
            let Some(first) = purchases.next() else {
                continue;
            };
            (first, purchases.last().unwrap_or(first))
        };
        customers.push(c);
        if observation_end.days_since(last) as f64 > inactivity_days {
            durations.push(last.days_since(first) as f64);
            events.push(true);
        } else {
            durations.push(observation_end.days_since(first) as f64);
            events.push(false);
        }
    }
    if customers.is_empty() {
        return Err(Error::Empty {
            field: "customers by the observation end",
        });
    }
    Ok((customers, durations, events))
}
