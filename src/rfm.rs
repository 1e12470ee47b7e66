//! RFM scores (recency, frequency, monetary value) and named customer segments.
//!
//! Each dimension is cut into `bins` quantile groups (default 5) and scored `1..=bins`,
//! with recency reversed so that the most recent customers score highest. The inputs,
//! as in the common pandas recipe and R's `rfm` package:
//!
//! - **recency**: days from the customer's last purchase to the analysis day;
//! - **frequency**: number of orders (rows);
//! - **monetary**: total spend.
//!
//! # Tie policies
//!
//! - [`TiePolicy::Quantile`] (pandas `qcut`, R's `rfm`): bin edges are the
//!   `k / bins` quantiles of the values (linear interpolation between order statistics,
//!   numpy's default); bins are closed on the right and the first also includes the
//!   minimum. Equal values always share a score; when many values tie, an edge can
//!   repeat and a score may then have no customers (pandas raises an error there; this
//!   crate leaves the bin empty).
//! - [`TiePolicy::RankFirst`] (pandas `rank(method="first")` then `qcut`): values are
//!   ranked with ties broken by customer order (row order), and the ranks are binned.
//!   Bins then have near-equal sizes, but equal values can get different scores.
//!
//! The default, [`RfmParams::default`], is the widely copied pandas recipe: quantile
//! bins for recency and monetary value, rank-first for frequency (order counts tie
//! heavily).
//!
//! # Segments
//!
//! A [`SegmentMap`] names customers from their scores: ordered rules of score ranges,
//! the first match wins, and a fallback names the rest. Two maps are built in:
//! [`SegmentMap::classic`] (the 11 segments of R's `rfm` package, on R, F and M) and
//! [`SegmentMap::rf_grid`] (10 cells that partition the 5 x 5 recency x frequency grid).
//!
//! ```
//! use patronage::rfm::{RfmParams, SegmentMap};
//!
//! let recency = [5.0, 40.0, 200.0, 10.0, 90.0];
//! let frequency = [9.0, 3.0, 1.0, 6.0, 2.0];
//! let monetary = [420.0, 80.0, 15.0, 260.0, 40.0];
//! let scores = RfmParams::default().score_values(&recency, &frequency, &monetary)?;
//! assert_eq!(scores.recency(), &[5, 3, 1, 4, 2]);
//! assert_eq!(scores.frequency(), &[5, 3, 1, 4, 2]);
//! let map = SegmentMap::rf_grid();
//! assert_eq!(map.name(map.assign(&scores)[0]), "Champions");
//! # Ok::<(), patronage::Error>(())
//! ```

use std::ops::RangeInclusive;

use crate::error::{Error, Result};
use crate::model::Fit;
use crate::summary::CustomerSummary;
use crate::transactions::Day;

/// How values are cut into score bins (see the [module docs](self#tie-policies)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TiePolicy {
    /// Quantile edges on the values; ties share a score.
    Quantile,
    /// Quantile edges on ranks with ties broken by row order; near-equal bin sizes.
    RankFirst,
}

/// How to score: number of bins and a tie policy per dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmParams {
    bins: u8,
    recency: TiePolicy,
    frequency: TiePolicy,
    monetary: TiePolicy,
}

impl Default for RfmParams {
    /// Five bins; quantile bins for recency and monetary value, rank-first for frequency.
    fn default() -> Self {
        Self {
            bins: 5,
            recency: TiePolicy::Quantile,
            frequency: TiePolicy::RankFirst,
            monetary: TiePolicy::Quantile,
        }
    }
}

impl RfmParams {
    /// Scores `1..=bins` per dimension (2 to 100; default 5).
    ///
    /// ```
    /// let p = patronage::rfm::RfmParams::default().bins(4);
    /// let s = p.score_values(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0])?;
    /// assert_eq!(s.monetary(), &[1, 2, 3, 4]);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn bins(mut self, bins: u8) -> Self {
        self.bins = bins;
        self
    }

    /// The tie policy of all three dimensions at once.
    ///
    /// ```
    /// use patronage::rfm::{RfmParams, TiePolicy};
    /// let p = RfmParams::default().tie_policy(TiePolicy::Quantile);
    /// let s = p.score_values(&[1.0, 1.0], &[2.0, 2.0], &[3.0, 3.0])?;
    /// assert_eq!(s.frequency(), &[1, 1]); // ties share a score
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn tie_policy(mut self, policy: TiePolicy) -> Self {
        (self.recency, self.frequency, self.monetary) = (policy, policy, policy);
        self
    }

    /// The tie policy of recency.
    pub fn recency_policy(mut self, policy: TiePolicy) -> Self {
        self.recency = policy;
        self
    }

    /// The tie policy of frequency.
    pub fn frequency_policy(mut self, policy: TiePolicy) -> Self {
        self.frequency = policy;
        self
    }

    /// The tie policy of monetary value.
    pub fn monetary_policy(mut self, policy: TiePolicy) -> Self {
        self.monetary = policy;
        self
    }

    /// Scores customers of a summary built from a [`crate::TransactionLog`]: recency is
    /// days from the last purchase to `analysis_day`, frequency the number of orders and
    /// monetary value the total spend, all within the summary's observation window.
    /// For a log built with a [`Returns`](crate::Returns) policy that accepts refunds,
    /// these are the summary's: the last purchase day of the policy, orders counting
    /// purchase rows, and spend net of refunds (negative when refunds exceed purchases;
    /// see [`summary`](crate::summary#returns-and-refunds)).
    ///
    /// # Errors
    /// [`Error::InsufficientData`] when the summary was built from columns and has no
    /// order activity; [`Error::InvalidParameter`] for `bins` outside 2..=100 or an
    /// analysis day before the observation end.
    pub fn score(&self, summary: &CustomerSummary, analysis_day: Day) -> Result<RfmScores> {
        let (recency, frequency, monetary) = rfm_columns(summary, analysis_day)?;
        self.score_values(&recency, &frequency, monetary)
    }

    /// Scores plain columns of recency (smaller is better), frequency and monetary value.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::NonFinite`] (naming the
    /// column and row), and [`Error::InvalidParameter`] for `bins` outside 2..=100.
    pub fn score_values(
        &self,
        recency: &[f64],
        frequency: &[f64],
        monetary: &[f64],
    ) -> Result<RfmScores> {
        self.check_values(recency, frequency, monetary)?;
        let bins = self.bins;
        let score_r = || {
            let mut r = bin_scores(recency, bins, self.recency);
            for s in &mut r {
                *s = bins + 1 - *s;
            }
            r
        };
        let score_f = || bin_scores(frequency, bins, self.frequency);
        let score_m = || bin_scores(monetary, bins, self.monetary);
        // The three dimensions are independent: score them side by side.
        #[cfg(feature = "parallel")]
        let (recency, (frequency, monetary)) =
            rayon::join(score_r, || rayon::join(score_f, score_m));
        #[cfg(not(feature = "parallel"))]
        let (recency, frequency, monetary) = (score_r(), score_f(), score_m());
        Ok(RfmScores {
            recency,
            frequency,
            monetary,
            bins,
        })
    }

    /// Fits a scorer that keeps its bin edges, from plain columns (as
    /// [`score_values`](Self::score_values) reads them); see [`RfmModel`]. With a
    /// summary, use [`Fit::fit`] on `(&summary, analysis_day)`.
    ///
    /// # Errors
    /// As [`score_values`](Self::score_values).
    pub fn fit_values(
        &self,
        recency: &[f64],
        frequency: &[f64],
        monetary: &[f64],
    ) -> Result<RfmModel> {
        self.check_values(recency, frequency, monetary)?;
        let k = usize::from(self.bins);
        Ok(RfmModel {
            bins: self.bins,
            recency: value_edges(recency, k, self.recency),
            frequency: value_edges(frequency, k, self.frequency),
            monetary: value_edges(monetary, k, self.monetary),
        })
    }

    fn check_values(&self, recency: &[f64], frequency: &[f64], monetary: &[f64]) -> Result<()> {
        check_bins(self.bins)?;
        let n = recency.len();
        if n == 0 {
            return Err(Error::Empty { field: "recency" });
        }
        for (field, col) in [("frequency", frequency), ("monetary", monetary)] {
            if col.len() != n {
                return Err(Error::LengthMismatch {
                    field,
                    expected: n,
                    found: col.len(),
                });
            }
        }
        check_finite_columns(recency, frequency, monetary)
    }
}

/// Bins per dimension: 2 to 100.
fn check_bins(bins: u8) -> Result<()> {
    if (2..=100).contains(&bins) {
        return Ok(());
    }
    Err(crate::validate::invalid_parameter(
        "bins",
        bins,
        "use 2 to 100 bins",
    ))
}

/// The first non-finite value of the three columns, named.
fn check_finite_columns(recency: &[f64], frequency: &[f64], monetary: &[f64]) -> Result<()> {
    for (field, col) in [
        ("recency", recency),
        ("frequency", frequency),
        ("monetary", monetary),
    ] {
        if let Some(row) = col.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                field,
                row,
                value: col[row],
            });
        }
    }
    Ok(())
}

/// Recency (days from the last purchase to `analysis_day`), frequency (orders) and
/// monetary value (total spend) of a summary's customers.
fn rfm_columns(
    summary: &CustomerSummary,
    analysis_day: Day,
) -> Result<(Vec<f64>, Vec<f64>, &[f64])> {
    let (Some(last), Some(orders), Some(spend), Some(end)) = (
        summary.last_day(),
        summary.orders(),
        summary.total_spend(),
        summary.observation_end(),
    ) else {
        return Err(Error::InsufficientData {
            model: "RFM scores",
            reason: "the summary has no order activity (build it with TransactionLog::summarize)"
                .into(),
        });
    };
    if analysis_day < end {
        return Err(Error::InvalidParameter {
            name: "analysis_day",
            value: analysis_day.0.to_string(),
            reason: format!(
                "must be on or after the summary's observation end (day {})",
                end.0
            ),
        });
    }
    let recency: Vec<f64> = last
        .iter()
        .map(|&d| analysis_day.days_since(d) as f64)
        .collect();
    let frequency: Vec<f64> = orders.iter().map(|&o| f64::from(o)).collect();
    Ok((recency, frequency, spend))
}

/// Bins `1..=bins` of finite values under a tie policy.
fn bin_scores(values: &[f64], bins: u8, policy: TiePolicy) -> Vec<u8> {
    let n = values.len();
    let k = usize::from(bins);
    match policy {
        TiePolicy::Quantile => {
            let edges = quantile_edges(values, k);
            values
                .iter()
                .map(|&v| 1 + edges.iter().filter(|&&e| v > e).count() as u8)
                .collect()
        }
        TiePolicy::RankFirst => {
            // Rank r (1-based, ties by row order) falls in bin 1 + #{interior edges < r};
            // the edges on ranks 1..=n are 1 + (n - 1) j / k. So the bin boundaries are
            // positions in sorted order, found by selection rather than a full sort.
            let mut order: Vec<(f64, u32)> = values
                .iter()
                .enumerate()
                .map(|(i, &v)| (v, i as u32))
                .collect();
            let cmp = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            // counts[j] = number of ranks <= edge j = floor(1 + (n - 1) j / k)
            let cuts: Vec<usize> = (1..k)
                .map(|j| ((1.0 + (n - 1) as f64 * j as f64 / k as f64).floor() as usize).min(n))
                .collect();
            let mut lo = 0;
            for &c in &cuts {
                if c > lo && c < n {
                    order[lo..].select_nth_unstable_by(c - lo, cmp);
                }
                lo = lo.max(c);
            }
            let mut out = vec![0u8; n];
            let mut start = 0;
            for (j, &end) in cuts.iter().chain(std::iter::once(&n)).enumerate() {
                let end = end.max(start);
                for &(_, i) in &order[start..end] {
                    out[i as usize] = j as u8 + 1;
                }
                start = end;
            }
            out
        }
    }
}

/// The `k - 1` interior quantile edges `j / k` (numpy's linear interpolation), found by
/// selection on a copy of the values.
fn quantile_edges(values: &[f64], k: usize) -> Vec<f64> {
    let n = values.len();
    let mut v = values.to_vec();
    let mut edges = Vec::with_capacity(k - 1);
    for j in 1..k {
        let h = (n - 1) as f64 * j as f64 / k as f64;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        let (_, &mut a, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
        let b = if frac > 0.0 {
            right.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            a
        };
        edges.push(a + frac * (b - a));
    }
    edges
}

/// The `k - 1` value edges a fitted scorer keeps: [`quantile_edges`] under
/// [`TiePolicy::Quantile`]; under [`TiePolicy::RankFirst`], the largest value of each
/// of the first `k - 1` rank bins (a new value equal to an edge takes the lower bin).
fn value_edges(values: &[f64], k: usize, policy: TiePolicy) -> Vec<f64> {
    match policy {
        TiePolicy::Quantile => quantile_edges(values, k),
        TiePolicy::RankFirst => {
            let n = values.len();
            let mut sorted = values.to_vec();
            sorted.sort_unstable_by(f64::total_cmp);
            (1..k)
                .map(|j| {
                    let cut =
                        ((1.0 + (n - 1) as f64 * j as f64 / k as f64).floor() as usize).clamp(1, n);
                    sorted[cut - 1]
                })
                .collect()
        }
    }
}

/// The score `1..=bins` of `v` under value edges (bins closed on the right).
#[inline]
fn score_by_edges(edges: &[f64], v: f64) -> u8 {
    1 + edges.iter().filter(|&&e| v > e).count() as u8
}

/// An RFM scorer that keeps its bin edges: fitted once on a population
/// ([`RfmParams::fit_values`], or [`Fit::fit`] on
/// `(&summary, analysis_day)`), it scores new customers, or one customer at a time in a
/// web service, without the population ([`score_one`](Self::score_one)).
///
/// Under [`TiePolicy::Quantile`] its scores of the customers it was fitted on are
/// [`RfmParams::score_values`]' exactly. Under [`TiePolicy::RankFirst`] a population's
/// scores break ties by row order, which a lone customer does not have: the scorer
/// keeps the largest value of each rank bin as its edge, and a value equal to an edge
/// takes the lower bin. Customers with values not shared across a bin boundary score
/// as in the population; tied ones may score lower.
///
/// ```
/// use patronage::rfm::{RfmParams, SegmentMap};
///
/// let recency = [5.0, 40.0, 200.0, 10.0, 90.0];
/// let frequency = [9.0, 3.0, 1.0, 6.0, 2.0];
/// let monetary = [420.0, 80.0, 15.0, 260.0, 40.0];
/// let scorer = RfmParams::default().fit_values(&recency, &frequency, &monetary)?;
/// // A new customer: bought 7 days ago, 8 orders, 300 spent.
/// let cell = scorer.score_one(7.0, 8.0, 300.0)?;
/// assert_eq!((cell.recency, cell.frequency, cell.monetary), (5, 5, 5));
/// let map = SegmentMap::rf_grid();
/// assert_eq!(map.name(map.segment(cell)), "Champions");
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// A scorer read with serde is checked as it loads: `bins` from 2 to 100 and, per
/// dimension, `bins - 1` finite edges in non-decreasing order.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRfmModel")
)]
pub struct RfmModel {
    bins: u8,
    recency: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
}

/// One customer's three scores (`1..=bins`; recency `bins` = most recent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RfmCell {
    /// Recency score.
    pub recency: u8,
    /// Frequency score.
    pub frequency: u8,
    /// Monetary score.
    pub monetary: u8,
}

impl std::fmt::Display for RfmCell {
    /// The three-digit cell, e.g. `545`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.recency, self.frequency, self.monetary)
    }
}

impl<'a> Fit<(&'a CustomerSummary, Day)> for RfmParams {
    type Fitted = RfmModel;

    /// Fits the scorer on a summary's customers, recency counted to `analysis_day` (as
    /// [`RfmParams::score`] reads them).
    ///
    /// # Errors
    /// As [`RfmParams::score`].
    fn fit(&self, (summary, analysis_day): (&'a CustomerSummary, Day)) -> Result<RfmModel> {
        let (recency, frequency, monetary) = rfm_columns(summary, analysis_day)?;
        self.fit_values(&recency, &frequency, monetary)
    }
}

impl RfmModel {
    /// The scores of one customer: `recency_days` since their last purchase, `frequency`
    /// orders and `monetary` total spend (the units the scorer was fitted on).
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the value (row 0).
    pub fn score_one(&self, recency_days: f64, frequency: f64, monetary: f64) -> Result<RfmCell> {
        check_finite_columns(&[recency_days], &[frequency], &[monetary])?;
        Ok(self.cell(recency_days, frequency, monetary))
    }

    fn cell(&self, recency_days: f64, frequency: f64, monetary: f64) -> RfmCell {
        RfmCell {
            recency: self.bins + 1 - score_by_edges(&self.recency, recency_days),
            frequency: score_by_edges(&self.frequency, frequency),
            monetary: score_by_edges(&self.monetary, monetary),
        }
    }

    /// Scores plain columns with the fitted edges.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::LengthMismatch`] and [`Error::NonFinite`] (naming the
    /// column and row).
    pub fn score_values(
        &self,
        recency: &[f64],
        frequency: &[f64],
        monetary: &[f64],
    ) -> Result<RfmScores> {
        let params = RfmParams::default().bins(self.bins);
        params.check_values(recency, frequency, monetary)?;
        let n = recency.len();
        let mut scores = RfmScores {
            recency: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            monetary: Vec::with_capacity(n),
            bins: self.bins,
        };
        for i in 0..n {
            let c = self.cell(recency[i], frequency[i], monetary[i]);
            scores.recency.push(c.recency);
            scores.frequency.push(c.frequency);
            scores.monetary.push(c.monetary);
        }
        Ok(scores)
    }

    /// Scores a summary's customers with the fitted edges, recency counted to
    /// `analysis_day`.
    ///
    /// # Errors
    /// As [`RfmParams::score`].
    pub fn score(&self, summary: &CustomerSummary, analysis_day: Day) -> Result<RfmScores> {
        let (recency, frequency, monetary) = rfm_columns(summary, analysis_day)?;
        self.score_values(&recency, &frequency, monetary)
    }

    /// The number of bins per dimension.
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// The interior edges of recency (days), frequency (orders) and monetary value,
    /// `bins - 1` each, ascending: a value above `k` edges of a dimension scores
    /// `k + 1` (recency reversed: `bins - k`).
    pub fn edges(&self) -> (&[f64], &[f64], &[f64]) {
        (&self.recency, &self.frequency, &self.monetary)
    }
}

/// [`RfmModel`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawRfmModel {
    bins: u8,
    recency: Vec<f64>,
    frequency: Vec<f64>,
    monetary: Vec<f64>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRfmModel> for RfmModel {
    type Error = Error;

    fn try_from(raw: RawRfmModel) -> Result<RfmModel> {
        use crate::validate::{invalid_value, same_len};
        let bins = raw.bins;
        check_bins(bins)?;
        for (field, edges) in [
            ("recency", &raw.recency),
            ("frequency", &raw.frequency),
            ("monetary", &raw.monetary),
        ] {
            same_len(field, usize::from(bins) - 1, edges.len())?;
            for (row, &e) in edges.iter().enumerate() {
                if !e.is_finite() || (row > 0 && e < edges[row - 1]) {
                    return Err(invalid_value(
                        field,
                        row,
                        e,
                        "edges are finite and non-decreasing",
                    ));
                }
            }
        }
        Ok(RfmModel {
            bins,
            recency: raw.recency,
            frequency: raw.frequency,
            monetary: raw.monetary,
        })
    }
}

/// Scores `1..=bins` per customer and dimension, aligned with the input rows.
///
/// Scores read with serde are checked as they load: `bins` from 2 to 100, at least one
/// customer, the three columns of equal length and every score in `1..=bins`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRfmScores")
)]
pub struct RfmScores {
    recency: Vec<u8>,
    frequency: Vec<u8>,
    monetary: Vec<u8>,
    bins: u8,
}

/// [`RfmScores`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawRfmScores {
    recency: Vec<u8>,
    frequency: Vec<u8>,
    monetary: Vec<u8>,
    bins: u8,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRfmScores> for RfmScores {
    type Error = Error;

    fn try_from(raw: RawRfmScores) -> Result<RfmScores> {
        use crate::validate::{invalid_value, non_empty, same_len};
        let bins = raw.bins;
        check_bins(bins)?;
        let n = raw.recency.len();
        non_empty("recency", n)?;
        same_len("frequency", n, raw.frequency.len())?;
        same_len("monetary", n, raw.monetary.len())?;
        for (field, col) in [
            ("recency", &raw.recency),
            ("frequency", &raw.frequency),
            ("monetary", &raw.monetary),
        ] {
            if let Some(row) = col.iter().position(|s| !(1..=bins).contains(s)) {
                return Err(invalid_value(
                    field,
                    row,
                    f64::from(col[row]),
                    format!("a score is 1 to bins = {bins}"),
                ));
            }
        }
        Ok(RfmScores {
            recency: raw.recency,
            frequency: raw.frequency,
            monetary: raw.monetary,
            bins,
        })
    }
}

impl RfmScores {
    /// Recency scores (`bins` = most recent).
    pub fn recency(&self) -> &[u8] {
        &self.recency
    }

    /// Frequency scores (`bins` = most orders).
    pub fn frequency(&self) -> &[u8] {
        &self.frequency
    }

    /// Monetary scores (`bins` = highest spend).
    pub fn monetary(&self) -> &[u8] {
        &self.monetary
    }

    /// The number of bins per dimension.
    pub fn bins(&self) -> u8 {
        self.bins
    }

    /// Number of customers scored.
    pub fn len(&self) -> usize {
        self.recency.len()
    }

    /// Whether no customer was scored.
    pub fn is_empty(&self) -> bool {
        self.recency.is_empty()
    }

    /// The three-digit RFM cell of a row, e.g. `"545"`.
    pub fn cell(&self, row: usize) -> String {
        format!(
            "{}{}{}",
            self.recency[row], self.frequency[row], self.monetary[row]
        )
    }
}

/// One rule of a [`SegmentMap`]: a name, a one-line description, and inclusive score
/// ranges per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// What the segment is, in one line.
    pub description: String,
    /// Recency scores that match.
    pub recency: RangeInclusive<u8>,
    /// Frequency scores that match.
    pub frequency: RangeInclusive<u8>,
    /// Monetary scores that match.
    pub monetary: RangeInclusive<u8>,
}

impl SegmentRule {
    /// A rule matching the given score ranges.
    pub fn new(
        name: &str,
        description: &str,
        recency: RangeInclusive<u8>,
        frequency: RangeInclusive<u8>,
        monetary: RangeInclusive<u8>,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            recency,
            frequency,
            monetary,
        }
    }

    fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        self.recency.contains(&r) && self.frequency.contains(&f) && self.monetary.contains(&m)
    }
}

/// Ordered segment rules: a customer takes the first rule its scores match, or the
/// fallback segment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentMap {
    rules: Vec<SegmentRule>,
    fallback: String,
}

const ALL: RangeInclusive<u8> = 1..=255;

impl SegmentMap {
    /// A map from rules (first match wins) and a fallback segment name.
    ///
    /// ```
    /// use patronage::rfm::{RfmParams, SegmentMap, SegmentRule};
    /// let map = SegmentMap::new(
    ///     vec![SegmentRule::new("Big spenders", "top monetary score", 1..=5, 1..=5, 5..=5)],
    ///     "Everyone else",
    /// );
    /// let s = RfmParams::default().score_values(&[1.0, 2.0], &[1.0, 1.0], &[5.0, 500.0])?;
    /// let seg = map.assign(&s);
    /// assert_eq!((map.name(seg[0]), map.name(seg[1])), ("Everyone else", "Big spenders"));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn new(rules: Vec<SegmentRule>, fallback: &str) -> Self {
        Self {
            rules,
            fallback: fallback.into(),
        }
    }

    /// The 11 segments of R's `rfm` package (its vignette's default bounds, on 1..=5
    /// scores of R, F and M), first match wins, fallback "Others".
    pub fn classic() -> Self {
        let rule = SegmentRule::new;
        Self::new(
            vec![
                rule(
                    "Champions",
                    "bought recently, buy often and spend the most",
                    4..=5,
                    4..=5,
                    4..=5,
                ),
                rule(
                    "Loyal Customers",
                    "spend good money often; responsive to promotions",
                    2..=5,
                    3..=5,
                    3..=5,
                ),
                rule(
                    "Potential Loyalist",
                    "recent customers with average frequency who spent a good amount",
                    3..=5,
                    1..=3,
                    1..=3,
                ),
                rule(
                    "New Customers",
                    "bought most recently, but not often",
                    4..=5,
                    1..=1,
                    1..=1,
                ),
                rule(
                    "Promising",
                    "recent shoppers who have not spent much",
                    3..=4,
                    1..=1,
                    1..=1,
                ),
                rule(
                    "Need Attention",
                    "above-average recency, frequency and monetary values; may not have bought very recently",
                    2..=3,
                    2..=3,
                    2..=3,
                ),
                rule(
                    "About To Sleep",
                    "below-average recency and frequency; will be lost unless reactivated",
                    2..=3,
                    1..=2,
                    1..=2,
                ),
                rule(
                    "At Risk",
                    "spent big money and bought often, but long ago",
                    1..=2,
                    2..=5,
                    2..=5,
                ),
                rule(
                    "Can't Lose Them",
                    "made the biggest purchases and often, but have not returned for a long time",
                    1..=1,
                    4..=5,
                    4..=5,
                ),
                rule(
                    "Hibernating",
                    "last purchase long ago, low spenders with few orders",
                    1..=2,
                    1..=2,
                    1..=2,
                ),
                rule(
                    "Lost",
                    "lowest recency, frequency and monetary scores",
                    1..=2,
                    1..=2,
                    1..=2,
                ),
            ],
            "Others",
        )
    }

    /// The 10-cell recency x frequency grid map, which partitions the 5 x 5 grid
    /// (monetary value is not used).
    pub fn rf_grid() -> Self {
        let rule = |n: &str, d: &str, r: RangeInclusive<u8>, f: RangeInclusive<u8>| {
            SegmentRule::new(n, d, r, f, ALL)
        };
        Self::new(
            vec![
                rule("Hibernating", "bought rarely and long ago", 1..=2, 1..=2),
                rule("At Risk", "bought fairly often, but long ago", 1..=2, 3..=4),
                rule(
                    "Can't Lose Them",
                    "bought most often, but long ago",
                    1..=2,
                    5..=5,
                ),
                rule(
                    "About To Sleep",
                    "middling recency, bought rarely",
                    3..=3,
                    1..=2,
                ),
                rule(
                    "Need Attention",
                    "middling recency and frequency",
                    3..=3,
                    3..=3,
                ),
                rule(
                    "Loyal Customers",
                    "buy often, fairly recently",
                    3..=4,
                    4..=5,
                ),
                rule("Promising", "fairly recent first-time buyers", 4..=4, 1..=1),
                rule(
                    "New Customers",
                    "the most recent first-time buyers",
                    5..=5,
                    1..=1,
                ),
                rule(
                    "Potential Loyalists",
                    "recent, with a few orders",
                    4..=5,
                    2..=3,
                ),
                rule(
                    "Champions",
                    "the most recent and most frequent buyers",
                    5..=5,
                    4..=5,
                ),
            ],
            "Others",
        )
    }

    /// The segment index of every scored customer: the first matching rule's position,
    /// or `rules().len()` for the fallback.
    pub fn assign(&self, scores: &RfmScores) -> Vec<usize> {
        (0..scores.len())
            .map(|i| {
                self.segment(RfmCell {
                    recency: scores.recency[i],
                    frequency: scores.frequency[i],
                    monetary: scores.monetary[i],
                })
            })
            .collect()
    }

    /// The segment index of one customer's scores (see [`assign`](Self::assign)).
    pub fn segment(&self, cell: RfmCell) -> usize {
        self.rules
            .iter()
            .position(|rule| rule.matches(cell.recency, cell.frequency, cell.monetary))
            .unwrap_or(self.rules.len())
    }

    /// The rules, in match order.
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// The name of segment `index` (the fallback for `rules().len()` and beyond).
    pub fn name(&self, index: usize) -> &str {
        self.rules
            .get(index)
            .map_or(self.fallback.as_str(), |r| r.name.as_str())
    }

    /// The one-line description of segment `index`.
    pub fn description(&self, index: usize) -> &str {
        self.rules
            .get(index)
            .map_or("matched no rule", |r| r.description.as_str())
    }

    /// Number of segments, the fallback included.
    pub fn len(&self) -> usize {
        self.rules.len() + 1
    }

    /// Always false: a map has at least its fallback segment.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Per segment (in map order, the fallback last): customers, orders, revenue,
    /// average order value and share of revenue. Orders and revenue come from the
    /// summary the scores were computed from (same rows).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `summary` and `scores` differ in length;
    /// [`Error::InsufficientData`] when the summary has no order activity.
    ///
    /// ```
    /// use patronage::{Day, Transaction, TransactionLog, SummaryParams};
    /// use patronage::rfm::{RfmParams, SegmentMap};
    /// let t = |c: u8, d: i32, a: f64| Transaction { customer: c, day: Day(d), amount: a };
    /// let log = TransactionLog::new(&[t(1, 0, 10.0), t(1, 5, 30.0), t(2, 9, 20.0)])?;
    /// let summary = log.summarize(&SummaryParams::new(Day(9)))?;
    /// let scores = RfmParams::default().score(&summary, Day(10))?;
    /// let map = SegmentMap::rf_grid();
    /// let table = map.summarize(&summary, &scores)?;
    /// let total: f64 = table.iter().map(|s| s.revenue).sum();
    /// assert_eq!(total, 60.0);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn summarize(
        &self,
        summary: &CustomerSummary,
        scores: &RfmScores,
    ) -> Result<Vec<SegmentSummary>> {
        if summary.len() != scores.len() {
            return Err(Error::LengthMismatch {
                field: "scores",
                expected: summary.len(),
                found: scores.len(),
            });
        }
        let (Some(orders), Some(spend)) = (summary.orders(), summary.total_spend()) else {
            return Err(Error::InsufficientData {
                model: "segment summary",
                reason:
                    "the summary has no order activity (build it with TransactionLog::summarize)"
                        .into(),
            });
        };
        let mut rows: Vec<SegmentSummary> = (0..self.len())
            .map(|i| SegmentSummary {
                segment: self.name(i).to_string(),
                customers: 0,
                orders: 0,
                revenue: 0.0,
                average_order_value: 0.0,
                revenue_share: 0.0,
            })
            .collect();
        for (i, s) in self.assign(scores).into_iter().enumerate() {
            rows[s].customers += 1;
            rows[s].orders += u64::from(orders[i]);
            rows[s].revenue += spend[i];
        }
        let total: f64 = rows.iter().map(|r| r.revenue).sum();
        for r in &mut rows {
            if r.orders > 0 {
                r.average_order_value = r.revenue / r.orders as f64;
            }
            if total > 0.0 {
                r.revenue_share = r.revenue / total;
            }
        }
        Ok(rows)
    }
}

/// One row of a segment summary (see [`SegmentMap::summarize`]).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SegmentSummary {
    /// The segment's name.
    pub segment: String,
    /// Customers in the segment.
    pub customers: usize,
    /// Their orders.
    pub orders: u64,
    /// Their total spend.
    pub revenue: f64,
    /// Revenue per order (0 without orders).
    pub average_order_value: f64,
    /// The segment's share of all revenue, 0..=1.
    pub revenue_share: f64,
}
