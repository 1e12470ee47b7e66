//! The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The
//! Gamma-Gamma model of monetary value"; lifetimes' parameter names p, q, v).
//!
//! Each transaction's value is `Gamma(p, ν)`, and `ν ~ Gamma(q, v)` across customers.
//! For a repeat buyer with `x` transactions of mean value `m`:
//!
//! ```text
//! LL = ln Γ(px + q) - ln Γ(px) - ln Γ(q) + q ln v + (px - 1) ln m + px ln x - (px + q) ln(xm + v)
//! E[spend | x, m] = p (v + x m) / (p x + q - 1)
//! ```
//!
//! The model assumes spend is independent of purchase frequency:
//! [`GammaGamma::frequency_spend_correlation`] reports the Pearson correlation of `x`
//! and `m` among repeat buyers so it can be checked.

use statrs::function::gamma::{digamma, ln_gamma};

use super::fit::{covariance, fit_penalized};
use crate::error::{Error, Result};
use crate::model::{FitReport, Optimizer};
use crate::summary::CustomerSummary;

/// Gamma-Gamma fitting options ([`Optimized`](crate::model::Optimized): at most 500
/// BFGS iterations, tolerance 1e-10; [`Regularized`](crate::model::Regularized):
/// lifetimes' `penalizer_coef` on (p, q, v), 0 by default); [`Fit`](crate::model::Fit)
/// to a [`CustomerSummary`]'s repeat buyers (frequency > 0) returns a [`GammaGamma`].
///
/// Every repeat buyer must have spent something: real logs with $0 orders (free
/// items, fully discounted orders) can leave a repeat buyer with a mean spend of 0,
/// which the fit rejects unless [`eligible_only`](Self::eligible_only) leaves such
/// customers out.
///
/// # Errors
/// [`Error::InsufficientData`] without repeat buyers; [`Error::InvalidValue`] for a
/// monetary value <= 0 among repeat buyers (naming the row); [`Error::InvalidParameter`]
/// for bad options; [`Error::InsufficientData`] also when the likelihood keeps rising
/// towards the edge of the parameter box (each of p, q, v is kept in `[1e-8, 1e8]`; an
/// optimum within a factor 10 of its edge means the spends do not identify the model,
/// e.g. no variation between customers); [`Error::NotConverged`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GammaGammaParams {
    optimizer: Optimizer,
    eligible_only: bool,
}

impl Default for GammaGammaParams {
    fn default() -> Self {
        Self {
            optimizer: Optimizer::new(500, 1e-10),
            eligible_only: false,
        }
    }
}

impl GammaGammaParams {
    /// Fit only the customers the model describes, frequency > 0 and monetary value > 0,
    /// leaving the others out (as lifetimes' and pymc-marketing's guides do by
    /// filtering the summary first) instead of rejecting a repeat buyer whose mean spend
    /// is 0. [`GammaGamma::rows`] says how many rows were used and how many were left
    /// out for each reason. A non-finite monetary value is still an error.
    ///
    /// ```
    /// use patronage::prelude::*;
    /// use patronage::CustomerSummary;
    /// use patronage::clv::GammaGamma;
    ///
    /// // frequency, recency, T, monetary value: the third customer's repeat orders were free.
    /// let summary = CustomerSummary::from_columns(
    ///     &[2.0, 1.0, 3.0, 0.0, 4.0, 2.0, 1.0, 1.0, 3.0],
    ///     &[30.0, 12.0, 25.0, 0.0, 35.0, 20.0, 5.0, 18.0, 33.0],
    ///     &[40.0; 9],
    ///     Some(&[25.0, 40.0, 0.0, 0.0, 18.0, 31.0, 8.0, 90.0, 21.0]),
    /// )?;
    /// assert!(GammaGamma::params().fit(&summary).is_err());
    /// let spend = GammaGamma::params().eligible_only(true).fit(&summary)?;
    /// let rows = spend.rows();
    /// assert_eq!((rows.fitted, rows.no_repeat, rows.non_positive_spend), (7, 1, 1));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    #[must_use]
    pub fn eligible_only(mut self, yes: bool) -> Self {
        self.eligible_only = yes;
        self
    }

    fn fit_rows(&self, frequency: &[f64], monetary_value: &[f64]) -> Result<GammaGamma> {
        let (data, correlation, counts) =
            spend_rows(frequency, monetary_value, self.eligible_only)?;
        let fit = |data: &[SpendRow], start: &[f64]| {
            let n: f64 = data.iter().map(|d| d.2).sum();
            fit_penalized(
                "Gamma-Gamma",
                &["p", "q", "v"],
                start,
                &self.optimizer,
                n,
                |p| log_likelihood(data, p),
            )
        };
        // Large inputs: start from the fit to an evenly strided subsample (rows are
        // sorted by frequency and spend, so the stride keeps both distributions), which
        // leaves the full data a few refining iterations.
        let mut start = vec![0.0; 3];
        if data.len() > 4 * WARM_START_ROWS {
            let stride = data.len() / WARM_START_ROWS;
            let sample: Vec<_> = data.iter().step_by(stride).copied().collect();
            if let Ok((p, _)) = fit(&sample, &start) {
                start = p.iter().map(|v| v.ln()).collect();
            }
        }
        let n: f64 = data.iter().map(|d| d.2).sum();
        let (params, iterations) = fit(&data, &start)?;
        let (ll, _) = log_likelihood(&data, &params);
        let cov = covariance(&params, |p| log_likelihood(&data, p).1);
        Ok(GammaGamma {
            p: params[0],
            q: params[1],
            v: params[2],
            frequency_spend_correlation: Some(correlation),
            report: FitReport::new(ll, 3, n, None, iterations, true).with_covariance(cov),
            rows: counts,
        })
    }
}

/// A repeat buyer's (frequency, mean spend, weight, ln mean spend).
type SpendRow = (f64, f64, f64, f64);

/// The rows a Gamma-Gamma fit or likelihood uses: repeat buyers' (frequency, mean
/// spend, count, ln spend), distinct and sorted by frequency; with the frequency-spend
/// correlation and the counts of rows used and left out. Monetary values <= 0 are
/// left out when `leave_out_non_positive`, else an error naming the row.
fn spend_rows(
    frequency: &[f64],
    monetary_value: &[f64],
    leave_out_non_positive: bool,
) -> Result<(Vec<SpendRow>, f64, SpendRows)> {
    crate::validate::same_len("monetary_value", frequency.len(), monetary_value.len())?;
    let mut rows: Vec<(u64, u64)> = Vec::new();
    let mut counts = SpendRows::default();
    for (row, (&x, &m)) in frequency.iter().zip(monetary_value).enumerate() {
        crate::validate::non_negative("frequency", row, x)?;
        if x == 0.0 {
            counts.no_repeat += 1;
            continue;
        }
        if !m.is_finite() {
            return Err(Error::NonFinite {
                field: "monetary_value",
                row,
                value: m,
            });
        }
        if m <= 0.0 {
            if leave_out_non_positive {
                counts.non_positive_spend += 1;
                continue;
            }
            return Err(Error::InvalidValue {
                field: "monetary_value",
                row,
                value: m,
                reason: "Gamma-Gamma needs positive spend for every repeat buyer; \
                             GammaGammaParams::eligible_only fits the others and counts \
                             the rows it leaves out"
                    .into(),
            });
        }
        rows.push((x.to_bits(), m.to_bits()));
    }
    if rows.is_empty() {
        return Err(Error::InsufficientData {
            model: "Gamma-Gamma",
            reason: if counts.non_positive_spend > 0 {
                "no repeat buyer (frequency > 0) with positive spend".into()
            } else {
                "no repeat buyers (frequency > 0)".into()
            },
        });
    }
    counts.fitted = rows.len();
    let correlation = pearson(&rows);
    rows.sort_unstable();
    let mut data: Vec<SpendRow> = Vec::new();
    for (x, m) in rows {
        match data.last_mut() {
            Some(last) if last.0.to_bits() == x && last.1.to_bits() == m => last.2 += 1.0,
            _ => {
                let m = f64::from_bits(m);
                data.push((f64::from_bits(x), m, 1.0, m.ln()));
            }
        }
    }
    Ok((data, correlation, counts))
}

fn pearson(rows: &[(u64, u64)]) -> f64 {
    let n = rows.len() as f64;
    let (xs, ms): (Vec<f64>, Vec<f64>) = rows
        .iter()
        .map(|&(x, m)| (f64::from_bits(x), f64::from_bits(m)))
        .unzip();
    let (mx, mm) = (xs.iter().sum::<f64>() / n, ms.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, m) in xs.iter().zip(&ms) {
        sxy += (x - mx) * (m - mm);
        sxx += (x - mx) * (x - mx);
        syy += (m - mm) * (m - mm);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

/// Distinct (frequency, spend) rows above which the fit starts from a subsample's fit.
const WARM_START_ROWS: usize = 20_000;

/// Weighted log-likelihood and gradient in (p, q, v) over (x, m, weight, ln m) rows sorted
/// by x. Gamma-function terms depend on x alone and are computed once per distinct x.
fn log_likelihood(data: &[SpendRow], par: &[f64]) -> (f64, [f64; 3]) {
    let (p, q, v) = (par[0], par[1], par[2]);
    let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
    let chunk = |lo: usize, hi: usize| {
        let mut acc = [0.0f64; 4];
        let mut cached_x = f64::NAN;
        let (mut lg, mut dg_pxq, mut dg_px) = (0.0, 0.0, 0.0);
        for &(x, m, w, ln_m) in &data[lo..hi] {
            let px = p * x;
            if x != cached_x {
                cached_x = x;
                lg = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * x.ln();
                dg_pxq = digamma(px + q);
                dg_px = digamma(px);
            }
            let ln_xmv = (x * m + v).ln();
            acc[3] += w * (lg + (px - 1.0) * ln_m - (px + q) * ln_xmv);
            acc[0] += w * x * (dg_pxq - dg_px + ln_m + x.ln() - ln_xmv);
            acc[1] += w * (dg_pxq - dg_q + ln_v - ln_xmv);
            acc[2] += w * (q / v - (px + q) / (x * m + v));
        }
        acc
    };
    let t = super::fit::sum_chunks(data.len(), chunk);
    (t[3], [t[0], t[1], t[2]])
}

/// One repeat buyer's log-likelihood and its gradient in (p, q, v), from their
/// `(x, mean spend m, ln m)` (the covariate model's rows, each with its own v).
pub(crate) fn customer_log_likelihood(par: &[f64; 3], row: &[f64; 3]) -> (f64, [f64; 4]) {
    let (p, q, v) = (par[0], par[1], par[2]);
    let (x, m, ln_m) = (row[0], row[1], row[2]);
    let px = p * x;
    let ln_xmv = (x * m + v).ln();
    let (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
    let ll = ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
        + q * v.ln()
        + px * x.ln()
        + (px - 1.0) * ln_m
        - (px + q) * ln_xmv;
    (
        ll,
        [
            x * (dg_pxq - dg_px + ln_m + x.ln() - ln_xmv),
            dg_pxq - digamma(q) + v.ln() - ln_xmv,
            q / v - (px + q) / (x * m + v),
            0.0,
        ],
    )
}

/// A fitted Gamma-Gamma spend model.
///
/// With the `serde` feature a saved model is checked as it loads: a file with a
/// parameter that is not finite and > 0, a non-finite log-likelihood, AIC or BIC, an AIC
/// that is not `2k - 2 LL`, or standard errors that are not one finite value >= 0 per
/// parameter is an error naming the field, not a model.
/// The frequency-spend correlation must be in `[-1, 1]` or NaN (that of
/// [`from_params`](Self::from_params), written as `null` in JSON and read back as NaN).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawGammaGamma")
)]
pub struct GammaGamma {
    p: f64,
    q: f64,
    v: f64,
    frequency_spend_correlation: Option<f64>,
    report: FitReport,
    #[cfg_attr(feature = "serde", serde(default))]
    rows: SpendRows,
}

/// What a saved [`GammaGamma`] holds, checked before it becomes one (files written
/// before `rows` existed load with zero counts).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawGammaGamma {
    p: f64,
    q: f64,
    v: f64,
    /// A number, or null; "NaN" in files written before the correlation was optional.
    #[serde(default = "no_correlation", with = "crate::serde_float")]
    frequency_spend_correlation: f64,
    report: FitReport,
    #[serde(default)]
    rows: SpendRows,
}

#[cfg(feature = "serde")]
fn no_correlation() -> f64 {
    f64::NAN
}

#[cfg(feature = "serde")]
impl TryFrom<RawGammaGamma> for GammaGamma {
    type Error = Error;

    fn try_from(raw: RawGammaGamma) -> Result<Self> {
        let report = super::fit::check_loaded(
            "Gamma-Gamma",
            &[("p", raw.p), ("q", raw.q), ("v", raw.v)],
            raw.report,
        )?;
        let c = raw.frequency_spend_correlation;
        // A Pearson correlation, up to rounding; null (or "NaN", as files written
        // before it was optional hold) for from_params.
        if !(c.is_nan() || c.abs() <= 1.0 + 1e-12) {
            return Err(Error::InvalidParameter {
                name: "frequency_spend_correlation",
                value: c.to_string(),
                reason: "a saved Gamma-Gamma model's correlation must be in [-1, 1] \
                         (or null for a model from parameters)"
                    .into(),
            });
        }
        let c = (!c.is_nan()).then_some(c);
        Ok(Self {
            p: raw.p,
            q: raw.q,
            v: raw.v,
            frequency_spend_correlation: c,
            report,
            rows: raw.rows,
        })
    }
}

/// Rows of the data a Gamma-Gamma fit used and left out
/// ([`GammaGamma::rows`]); all 0 for [`GammaGamma::from_params`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct SpendRows {
    /// Repeat buyers with positive spend: the rows fitted.
    pub fitted: usize,
    /// Rows with frequency 0 (no repeat purchase), which the model does not describe.
    pub no_repeat: usize,
    /// Repeat buyers with monetary value <= 0, left out by
    /// [`GammaGammaParams::eligible_only`] (always 0 after the other fits, which reject
    /// them).
    pub non_positive_spend: usize,
}

impl GammaGamma {
    /// The model with other values of (p, q, v), for derivatives of predictions; no fit
    /// report.
    pub(crate) fn with_values(&self, values: &[f64]) -> Self {
        let value = |k: usize, own: f64| values.get(k).copied().unwrap_or(own);
        Self {
            p: value(0, self.p),
            q: value(1, self.q),
            v: value(2, self.v),
            frequency_spend_correlation: self.frequency_spend_correlation,
            report: FitReport::default(),
            rows: self.rows,
        }
    }

    /// Default fitting options.
    pub fn params() -> GammaGammaParams {
        GammaGammaParams::default()
    }

    /// A model with given parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless every parameter is finite and `> 0`.
    pub fn from_params(p: f64, q: f64, v: f64) -> Result<Self> {
        crate::validate::positive_params("Gamma-Gamma", &[("p", p), ("q", q), ("v", v)])?;
        Ok(Self {
            p,
            q,
            v,
            frequency_spend_correlation: None,
            report: FitReport::default(),
            rows: SpendRows::default(),
        })
    }

    /// Shape of each transaction's value.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Shape of the rate's Gamma across customers.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Scale of the rate's Gamma across customers (the paper's γ).
    pub fn v(&self) -> f64 {
        self.v
    }

    /// Pearson correlation of frequency and mean spend among the repeat buyers fitted
    /// (near 0 supports the model's independence assumption); `None` for a model from
    /// [`from_params`](Self::from_params), which saw no data.
    pub fn frequency_spend_correlation(&self) -> Option<f64> {
        self.frequency_spend_correlation
    }

    /// How many rows the fit used, and how many it left out and why.
    pub fn rows(&self) -> SpendRows {
        self.rows
    }

    /// The log-likelihood of a summary's repeat buyers' spend under these parameters
    /// (the same rows and formula as [`GammaGammaParams`]; at a fit's parameters it
    /// is the report's log-likelihood), for comparing fits or published parameters.
    ///
    /// # Errors
    /// As [`GammaGammaParams`] for the rows: [`Error::InsufficientData`] without
    /// repeat buyers, [`Error::InvalidValue`] for a monetary value <= 0 among them.
    pub fn log_likelihood(&self, summary: &CustomerSummary) -> Result<f64> {
        let (data, _, _) = spend_rows(summary.frequency(), summary.monetary_value(), false)?;
        Ok(log_likelihood(&data, &[self.p, self.q, self.v]).0)
    }

    /// [`conditional_expected_spend`](Self::conditional_expected_spend) on checked
    /// arguments: `f64::INFINITY` where the expectation is infinite.
    pub(crate) fn expected_spend(&self, frequency: f64, monetary_value: f64) -> f64 {
        let (p, q, v) = (self.p, self.q, self.v);
        let shape = p * frequency + q - 1.0;
        if shape <= 0.0 {
            return f64::INFINITY;
        }
        p * (v + frequency * monetary_value) / shape
    }
}

impl crate::model::Fit<&CustomerSummary> for GammaGammaParams {
    type Fitted = GammaGamma;

    fn fit(&self, summary: &CustomerSummary) -> Result<GammaGamma> {
        self.fit_rows(summary.frequency(), summary.monetary_value())
    }
}

super::fit::contract!(GammaGammaParams, GammaGamma, p, q, v);

impl super::SpendModel for GammaGamma {
    /// Expected spend per transaction for a customer with `frequency` repeat purchases of
    /// mean value `monetary_value` (the population mean `p v / (q - 1)` at frequency 0).
    ///
    /// The posterior of the customer's mean spend has a mean only where
    /// `p · frequency + q > 1`. Elsewhere (heavy-tailed spend, `q <= 1`, as lifetimes
    /// issues #146 and #370 report on real data) the expectation is infinite, and this
    /// is an error, never the negative value the formula would give;
    /// [`Valuation::value`](super::value::Valuation::value) reports such customers the
    /// same way rather than as an infinite CLV.
    ///
    /// # Errors
    /// [`Error::NonFinite`] / [`Error::Negative`] for a bad frequency or monetary value,
    /// [`Error::InvalidValue`] for a fractional frequency, or naming `frequency` when
    /// the expectation is infinite (`p · frequency + q <= 1`).
    fn conditional_expected_spend(&self, frequency: f64, monetary_value: f64) -> Result<f64> {
        crate::validate::frequency(0, frequency)?;
        crate::validate::non_negative("monetary_value", 0, monetary_value)?;
        let spend = self.expected_spend(frequency, monetary_value);
        if spend.is_finite() {
            Ok(spend)
        } else {
            Err(Error::InvalidValue {
                field: "frequency",
                row: 0,
                value: frequency,
                reason: format!(
                    "the Gamma-Gamma spend model (p = {}, q = {}) has no finite expected \
                     spend at this frequency (p · frequency + q <= 1)",
                    self.p, self.q
                ),
            })
        }
    }
}
