//! One per-customer table for a campaign tool: lifetime value with its value tier
//! (high / mid / low by quantiles of CLV or by value thresholds), the RFM segment, and
//! any of P(alive), the probability of buying within a horizon and churn risk; with
//! the tier x segment cross-table (customers and CLV per cell) that campaign planning
//! starts from. With `serde` the table serializes (it is an output: nothing reads it
//! back).
//!
//! ```
//! use patronage::prelude::*;
//! use patronage::campaign::{CampaignTable, ValueTiers};
//! use patronage::clv::{value::lifetime_value, probability_alive, BetaGeo, GammaGamma};
//! use patronage::rfm::{RfmParams, SegmentMap};
//! use patronage::{Day, SummaryParams, TransactionLog};
//! let log = TransactionLog::new(&patronage::simulate::Simulation::new(2_000).seed(4).transactions()?)?;
//! let weekly = log.summarize(&SummaryParams::new(Day(728)).time_unit_days(7.0))?;
//! let purchases = BetaGeo::params().fit(&weekly)?;
//! let clv = lifetime_value(&purchases, &GammaGamma::params().fit(&weekly)?, &weekly, 12, 0.01)?;
//! let scores = RfmParams::default().score(&weekly, Day(729))?;
//! let map = SegmentMap::classic();
//! let table = CampaignTable::new(&clv, &scores, &map, &ValueTiers::top_20_mid_30())?
//!     .with_p_alive(&probability_alive(&purchases, &weekly)?)?;
//! assert_eq!(table.rows().len(), weekly.len());
//! let high = table.rows().iter().filter(|r| r.value_tier == 2).count();
//! assert!((high as f64 / 2_000.0 - 0.2).abs() < 0.01);
//! let cells = table.cross_table();
//! assert_eq!(cells.iter().map(|c| c.customers).sum::<usize>(), 2_000);
//! # Ok::<(), patronage::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::rfm::{RfmScores, SegmentMap};

/// How customers are put into value tiers by their CLV.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ValueTiers {
    /// Cut at these quantiles of the customers' CLV (ascending, each in `(0, 1)`; type 7
    /// quantiles as R's default): `[0.5, 0.8]` puts the bottom half in tier 0, the next
    /// 30% in tier 1 and the top 20% in tier 2.
    Quantiles(Vec<f64>),
    /// Cut at these CLV values (ascending): a customer's tier is the number of
    /// thresholds at or below their CLV.
    Thresholds(Vec<f64>),
}

impl ValueTiers {
    /// Low (bottom 50%), mid (next 30%) and high (top 20%) tiers.
    pub fn top_20_mid_30() -> Self {
        Self::Quantiles(vec![0.5, 0.8])
    }
}

/// One customer's row (in the order of the summary the inputs came from).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CampaignRow {
    /// The row of the summary.
    pub row: usize,
    /// Lifetime value.
    pub clv: f64,
    /// Value tier: 0 is the lowest.
    pub value_tier: usize,
    /// RFM segment (an index into the [`SegmentMap`]'s names).
    pub segment: usize,
    /// P(alive), when given.
    pub p_alive: Option<f64>,
    /// Probability of a purchase within the campaign's horizon, when given.
    pub purchase_probability: Option<f64>,
    /// Churn risk from a churn model, when given.
    pub churn_risk: Option<f64>,
}

/// One cell of the tier x segment cross-table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CrossCell {
    /// Value tier.
    pub value_tier: usize,
    /// Segment index.
    pub segment: usize,
    /// Segment name.
    pub segment_name: String,
    /// Customers in the cell.
    pub customers: usize,
    /// Their total CLV.
    pub total_clv: f64,
    /// Their mean CLV.
    pub mean_clv: f64,
}

/// The per-customer table (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CampaignTable {
    rows: Vec<CampaignRow>,
    edges: Vec<f64>,
    segment_names: Vec<String>,
}

fn check_cuts(field: &'static str, cuts: &[f64], unit_interval: bool) -> Result<()> {
    for (row, &c) in cuts.iter().enumerate() {
        crate::validate::finite(field, row, c)?;
        if unit_interval && !(c > 0.0 && c < 1.0) {
            return Err(crate::validate::invalid_value(
                field,
                row,
                c,
                "a quantile is in (0, 1)",
            ));
        }
        if row > 0 && c <= cuts[row - 1] {
            return Err(crate::validate::invalid_value(
                field,
                row,
                c,
                "cuts must increase",
            ));
        }
    }
    Ok(())
}

/// Type 7 quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl CampaignTable {
    /// The table from every customer's CLV (e.g. [`lifetime_value`](crate::clv::value::lifetime_value))
    /// and RFM scores (same customers, same order), segmented by `segments`.
    ///
    /// # Errors
    /// [`Error::Empty`] without customers; [`Error::LengthMismatch`] when the scores
    /// are not one per CLV; [`Error::NonFinite`] naming `clv` and the row of a NaN or
    /// infinite value; [`Error::InvalidValue`] naming `tiers` for cuts that do not
    /// increase (or quantiles outside `(0, 1)`).
    pub fn new(
        clv: &[f64],
        scores: &RfmScores,
        segments: &SegmentMap,
        tiers: &ValueTiers,
    ) -> Result<Self> {
        if clv.is_empty() {
            return Err(Error::Empty { field: "clv" });
        }
        crate::validate::same_len("rfm scores", clv.len(), scores.len())?;
        crate::validate::all_finite("clv", clv)?;
        let edges = match tiers {
            ValueTiers::Quantiles(q) => {
                check_cuts("tiers", q, true)?;
                let mut sorted = clv.to_vec();
                sorted.sort_by(f64::total_cmp);
                q.iter().map(|&p| quantile(&sorted, p)).collect()
            }
            ValueTiers::Thresholds(t) => {
                check_cuts("tiers", t, false)?;
                t.clone()
            }
        };
        let assigned = segments.assign(scores);
        let rows = clv
            .iter()
            .zip(&assigned)
            .enumerate()
            .map(|(row, (&v, &segment))| CampaignRow {
                row,
                clv: v,
                value_tier: edges.iter().filter(|&&e| e <= v).count(),
                segment,
                p_alive: None,
                purchase_probability: None,
                churn_risk: None,
            })
            .collect();
        Ok(Self {
            rows,
            edges,
            segment_names: (0..segments.len())
                .map(|i| segments.name(i).to_string())
                .collect(),
        })
    }

    fn with(
        mut self,
        field: &'static str,
        values: &[f64],
        set: fn(&mut CampaignRow, f64),
    ) -> Result<Self> {
        crate::validate::same_len(field, self.rows.len(), values.len())?;
        for (row, &v) in values.iter().enumerate() {
            crate::validate::probability(field, row, v)?;
        }
        for (r, &v) in self.rows.iter_mut().zip(values) {
            set(r, v);
        }
        Ok(self)
    }

    /// Adds every customer's P(alive).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; a value outside `[0, 1]` or not finite, naming the row.
    pub fn with_p_alive(self, p_alive: &[f64]) -> Result<Self> {
        self.with("p_alive", p_alive, |r, v| r.p_alive = Some(v))
    }

    /// Adds every customer's probability of buying within the campaign's horizon
    /// ([`purchase_probability`](crate::clv::purchase_probability)).
    ///
    /// # Errors
    /// As [`with_p_alive`](Self::with_p_alive).
    pub fn with_purchase_probability(self, p: &[f64]) -> Result<Self> {
        self.with("purchase_probability", p, |r, v| {
            r.purchase_probability = Some(v)
        })
    }

    /// Adds every customer's churn risk (e.g. a churn model's predicted probabilities).
    ///
    /// # Errors
    /// As [`with_p_alive`](Self::with_p_alive).
    pub fn with_churn_risk(self, risk: &[f64]) -> Result<Self> {
        self.with("churn_risk", risk, |r, v| r.churn_risk = Some(v))
    }

    /// The rows, one per customer.
    pub fn rows(&self) -> &[CampaignRow] {
        &self.rows
    }

    /// The CLV cut points between tiers (the quantiles' values, or the thresholds).
    pub fn tier_edges(&self) -> &[f64] {
        &self.edges
    }

    /// The name of segment `index`.
    pub fn segment_name(&self, index: usize) -> &str {
        self.segment_names.get(index).map_or("", String::as_str)
    }

    /// Customers and CLV per (tier, segment) cell that has customers, highest tier
    /// first, then by segment.
    pub fn cross_table(&self) -> Vec<CrossCell> {
        let tiers = self.edges.len() + 1;
        let segments = self.segment_names.len().max(1);
        let mut cells = vec![(0usize, 0.0f64); tiers * segments];
        for r in &self.rows {
            let c = &mut cells[r.value_tier * segments + r.segment.min(segments - 1)];
            c.0 += 1;
            c.1 += r.clv;
        }
        (0..tiers)
            .rev()
            .flat_map(|t| (0..segments).map(move |s| (t, s)))
            .filter_map(|(t, s)| {
                let (n, total) = cells[t * segments + s];
                (n > 0).then(|| CrossCell {
                    value_tier: t,
                    segment: s,
                    segment_name: self.segment_name(s).to_string(),
                    customers: n,
                    total_clv: total,
                    mean_clv: total / n as f64,
                })
            })
            .collect()
    }
}
