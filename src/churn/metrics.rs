//! Evaluation of churn scores against outcomes, with scikit-learn's definitions:
//! ROC AUC (ties counted as half), ROC and precision-recall curves, average precision,
//! log loss, Brier score, the confusion matrix at a threshold, decile lift / cumulative
//! gains, a calibration table, and seeded stratified k-fold splits.
//!
//! Labels are `bool` (`true` = churned, the positive class); scores are any real
//! numbers where higher means more likely positive (probabilities for log loss, Brier
//! and calibration).
//!
//! ```
//! use patronage::churn::metrics::{average_precision, roc_auc};
//! let y = [false, false, true, true, false, true, true, false, true, false];
//! let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.65, 0.65];
//! assert!((roc_auc(&y, &s)? - 0.78).abs() < 1e-12);
//! assert!((average_precision(&y, &s)? - 0.789285714).abs() < 1e-9);
//! # Ok::<(), patronage::Error>(())
//! ```

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};

/// The labels' count of positives, after checking that there are some labels and
/// not more than rankings can index.
fn labels(y: &[bool]) -> Result<usize> {
    if y.is_empty() {
        return Err(Error::Empty { field: "y" });
    }
    // Rankings index rows with u32 (half the memory of the sort).
    Error::check_limit(
        "rows",
        i64::try_from(y.len()).unwrap_or(i64::MAX),
        u32::MAX as usize,
        "evaluate on a sample or in parts",
    )?;
    Ok(y.iter().filter(|&&v| v).count())
}

/// The labels' count of positives, after checking the labels and that the scores are
/// finite, one per label.
fn validate(y: &[bool], scores: &[f64]) -> Result<usize> {
    if !y.is_empty() && scores.len() != y.len() {
        return Err(Error::LengthMismatch {
            field: "scores",
            expected: y.len(),
            found: scores.len(),
        });
    }
    let positives = labels(y)?;
    if let Some(row) = scores.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            field: "scores",
            row,
            value: scores[row],
        });
    }
    Ok(positives)
}

fn both_classes(positives: usize, n: usize) -> Result<()> {
    if positives == 0 || positives == n {
        return Err(Error::InsufficientData {
            model: "ranking metric",
            reason: "needs both classes in y".into(),
        });
    }
    Ok(())
}

/// Rows sorted by descending score (ties in row order), in parallel for large inputs.
fn by_score_desc(scores: &[f64]) -> Vec<u32> {
    // Sort (key, index) pairs by value: the key maps f64's total order to u64 order,
    // inverted for descending scores, so comparisons read no other memory.
    let key = |v: f64| {
        let bits = v.to_bits();
        let ascending = if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        };
        !ascending
    };
    let mut pairs: Vec<(u64, u32)> = scores
        .iter()
        .enumerate()
        .map(|(i, &v)| (key(v), i as u32))
        .collect();
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        pairs.par_sort_unstable();
    }
    #[cfg(not(feature = "parallel"))]
    pairs.sort_unstable();
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// Cumulative true and false positives at each distinct score threshold (descending),
/// with the threshold.
fn threshold_counts(y: &[bool], scores: &[f64]) -> Vec<(f64, f64, f64)> {
    let order = by_score_desc(scores);
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        if y[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last = k + 1 == order.len() || scores[order[k + 1] as usize] != scores[i];
        if last {
            out.push((scores[i], tp, fp));
        }
    }
    out
}

/// Area under the ROC curve: the probability that a random positive scores above a
/// random negative, ties counted as one half (exact with ties).
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::NonFinite`] for a score,
/// [`Error::InsufficientData`] with a single class.
pub fn roc_auc(y: &[bool], scores: &[f64]) -> Result<f64> {
    let positives = validate(y, scores)?;
    both_classes(positives, y.len())?;
    let negatives = (y.len() - positives) as f64;
    // Trapezoids between consecutive distinct thresholds.
    let mut area = 0.0;
    let (mut tp0, mut fp0) = (0.0, 0.0);
    for (_, tp, fp) in threshold_counts(y, scores) {
        area += (fp - fp0) * (tp + tp0) / 2.0;
        tp0 = tp;
        fp0 = fp;
    }
    Ok(area / (positives as f64 * negatives))
}

/// A curve of points with their score thresholds.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Curve {
    /// x coordinates (false-positive rate, or recall).
    pub x: Vec<f64>,
    /// y coordinates (true-positive rate, or precision).
    pub y: Vec<f64>,
    /// The score threshold of each point (`>= threshold` is predicted positive);
    /// infinity for the ROC curve's starting point.
    pub thresholds: Vec<f64>,
}

/// The ROC curve: false-positive rate (x) and true-positive rate (y) at every distinct
/// threshold, starting at (0, 0).
///
/// # Errors
/// As [`roc_auc`].
pub fn roc_curve(y: &[bool], scores: &[f64]) -> Result<Curve> {
    let positives = validate(y, scores)?;
    both_classes(positives, y.len())?;
    let negatives = (y.len() - positives) as f64;
    let mut c = Curve {
        x: vec![0.0],
        y: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    for (t, tp, fp) in threshold_counts(y, scores) {
        c.x.push(fp / negatives);
        c.y.push(tp / positives as f64);
        c.thresholds.push(t);
    }
    Ok(c)
}

/// The precision-recall curve: recall (x) and precision (y) at every distinct
/// threshold, from the highest threshold down.
///
/// # Errors
/// As [`roc_auc`].
pub fn precision_recall_curve(y: &[bool], scores: &[f64]) -> Result<Curve> {
    let positives = validate(y, scores)?;
    both_classes(positives, y.len())?;
    let mut c = Curve {
        x: Vec::new(),
        y: Vec::new(),
        thresholds: Vec::new(),
    };
    for (t, tp, fp) in threshold_counts(y, scores) {
        c.x.push(tp / positives as f64);
        c.y.push(tp / (tp + fp));
        c.thresholds.push(t);
    }
    Ok(c)
}

/// Average precision: `sum_n (R_n - R_{n-1}) P_n` over distinct thresholds
/// (scikit-learn's definition, no interpolation).
///
/// # Errors
/// As [`roc_auc`].
pub fn average_precision(y: &[bool], scores: &[f64]) -> Result<f64> {
    let c = precision_recall_curve(y, scores)?;
    let mut prev = 0.0;
    let mut ap = 0.0;
    for (r, p) in c.x.iter().zip(&c.y) {
        ap += (r - prev) * p;
        prev = *r;
    }
    Ok(ap)
}

fn check_probabilities(p: &[f64]) -> Result<()> {
    if let Some(row) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::InvalidValue {
            field: "probabilities",
            row,
            value: p[row],
            reason: "probabilities lie in 0..=1".into(),
        });
    }
    Ok(())
}

/// Mean log loss `-mean(y ln p + (1 - y) ln(1 - p))` (`y` 1 for `true`), probabilities clipped to
/// `[eps, 1 - eps]` with `eps` the f64 machine epsilon (as scikit-learn).
///
/// # Errors
/// As [`roc_auc`] (a single class is allowed), and [`Error::InvalidValue`] for a
/// probability outside 0..=1.
pub fn log_loss(y: &[bool], p: &[f64]) -> Result<f64> {
    validate(y, p)?;
    check_probabilities(p)?;
    let eps = f64::EPSILON;
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&t, &q)| {
            let (t, q) = (f64::from(u8::from(t)), q.clamp(eps, 1.0 - eps));
            -(t * q.ln() + (1.0 - t) * (1.0 - q).ln())
        })
        .sum();
    Ok(total / y.len() as f64)
}

/// Brier score: mean squared difference between probability and outcome (1 for
/// `true`, 0 for `false`).
///
/// # Errors
/// As [`log_loss`].
pub fn brier(y: &[bool], p: &[f64]) -> Result<f64> {
    validate(y, p)?;
    check_probabilities(p)?;
    let squared = |(&t, &q): (&bool, &f64)| {
        let e = q - f64::from(u8::from(t));
        e * e
    };
    Ok(y.iter().zip(p).map(squared).sum::<f64>() / y.len() as f64)
}

/// Counts and rates at a threshold (`score >= threshold` predicts churn).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Confusion {
    /// True positives.
    pub true_positives: usize,
    /// False positives.
    pub false_positives: usize,
    /// True negatives.
    pub true_negatives: usize,
    /// False negatives.
    pub false_negatives: usize,
    /// `tp / (tp + fp)` (0 when nothing is predicted positive).
    pub precision: f64,
    /// `tp / (tp + fn)` (0 without positives).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// `(tp + tn) / n`.
    pub accuracy: f64,
}

/// The confusion matrix and its rates at `threshold`.
///
/// # Errors
/// As [`roc_auc`] (a single class is allowed), and [`Error::NonFinite`] for a NaN
/// threshold.
pub fn confusion(y: &[bool], scores: &[f64], threshold: f64) -> Result<Confusion> {
    validate(y, scores)?;
    if threshold.is_nan() {
        return Err(Error::NonFinite {
            field: "threshold",
            row: 0,
            value: threshold,
        });
    }
    let (mut tp, mut fp, mut tn, mut fneg) = (0, 0, 0, 0);
    for (&t, &s) in y.iter().zip(scores) {
        match (t, s >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fneg += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Ok(Confusion {
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fneg,
        precision,
        recall,
        f1,
        accuracy: ratio(tp + tn, y.len()),
    })
}

/// One decile (or other quantile group) of a lift table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LiftRow {
    /// Group number, 1 = highest scores.
    pub group: usize,
    /// Rows in the group.
    pub count: usize,
    /// Positives in the group.
    pub positives: usize,
    /// Positive rate in the group.
    pub rate: f64,
    /// The group's rate over the overall rate.
    pub lift: f64,
    /// Share of all positives found in groups 1..=this one (cumulative gains).
    pub cumulative_gain: f64,
    /// Cumulative rate over the overall rate.
    pub cumulative_lift: f64,
}

/// Lift and cumulative gains by group of descending score: `groups` near-equal groups
/// (10 for deciles), the first holding the highest scores; ties broken by row order.
///
/// # Errors
/// As [`roc_auc`] (a single class is allowed if it is positive), and
/// [`Error::InvalidParameter`] for `groups` of 0 or more than the rows.
pub fn lift_table(y: &[bool], scores: &[f64], groups: usize) -> Result<Vec<LiftRow>> {
    let positives = validate(y, scores)?;
    let n = y.len();
    if groups == 0 || groups > n {
        return Err(Error::InvalidParameter {
            name: "groups",
            value: groups.to_string(),
            reason: format!("use 1 to {n} groups"),
        });
    }
    if positives == 0 {
        return Err(Error::InsufficientData {
            model: "lift table",
            reason: "no positives in y".into(),
        });
    }
    let order = by_score_desc(scores);
    let overall = positives as f64 / n as f64;
    let mut rows = Vec::with_capacity(groups);
    let (mut cum_count, mut cum_pos) = (0usize, 0usize);
    for g in 0..groups {
        // In u128: g n can pass usize::MAX for very large n.
        let bound = |g: usize| (g as u128 * n as u128 / groups as u128) as usize;
        let (lo, hi) = (bound(g), bound(g + 1));
        let pos = order[lo..hi].iter().filter(|&&i| y[i as usize]).count();
        cum_count += hi - lo;
        cum_pos += pos;
        let rate = pos as f64 / (hi - lo) as f64;
        rows.push(LiftRow {
            group: g + 1,
            count: hi - lo,
            positives: pos,
            rate,
            lift: rate / overall,
            cumulative_gain: cum_pos as f64 / positives as f64,
            cumulative_lift: (cum_pos as f64 / cum_count as f64) / overall,
        });
    }
    Ok(rows)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CalibrationRow {
    /// Lower edge of the probability bin.
    pub lower: f64,
    /// Upper edge of the bin.
    pub upper: f64,
    /// Rows in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Observed positive rate in the bin.
    pub observed_rate: f64,
}

/// Calibration: predicted probabilities in `bins` equal-width bins on 0..=1 (the last
/// closed), with the mean prediction and the observed rate per non-empty bin.
///
/// # Errors
/// As [`log_loss`], and [`Error::InvalidParameter`] for zero bins.
pub fn calibration_table(y: &[bool], p: &[f64], bins: usize) -> Result<Vec<CalibrationRow>> {
    validate(y, p)?;
    check_probabilities(p)?;
    if bins == 0 {
        return Err(Error::InvalidParameter {
            name: "bins",
            value: "0".into(),
            reason: "use at least one bin".into(),
        });
    }
    // Only bins that hold rows: memory follows the data, not `bins`.
    let mut acc: std::collections::BTreeMap<usize, (usize, f64, f64)> = Default::default();
    for (&t, &q) in y.iter().zip(p) {
        let b = ((q * bins as f64) as usize).min(bins - 1);
        let a = acc.entry(b).or_insert((0, 0.0, 0.0));
        a.0 += 1;
        a.1 += q;
        a.2 += f64::from(u8::from(t));
    }
    Ok(acc
        .into_iter()
        .map(|(b, (count, sp, st))| CalibrationRow {
            lower: b as f64 / bins as f64,
            upper: (b + 1) as f64 / bins as f64,
            count,
            mean_predicted: sp / count as f64,
            observed_rate: st / count as f64,
        })
        .collect())
}

/// Stratified k-fold split: each fold's test rows keep the class balance of `y`.
/// Returns, per fold, the test row indices (sorted); the training rows are the rest.
/// Rows of each class are shuffled with `seed`, then dealt to folds in turn.
///
/// # Errors
/// [`Error::Empty`], and [`Error::InvalidParameter`] for fewer than 2 folds or more folds than members of a
/// class.
///
/// ```
/// use patronage::churn::metrics::stratified_k_fold;
/// let y = [false, false, false, false, true, true, false, false, true, true];
/// let folds = stratified_k_fold(&y, 2, 42)?;
/// assert_eq!(folds.len(), 2);
/// for f in &folds {
///     assert_eq!(f.iter().filter(|&&i| y[i]).count(), 2);
/// }
/// # Ok::<(), patronage::Error>(())
/// ```
pub fn stratified_k_fold(y: &[bool], folds: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    let positives = labels(y)?;
    let smallest = positives.min(y.len() - positives);
    if folds < 2 || folds > smallest {
        return Err(Error::InvalidParameter {
            name: "folds",
            value: folds.to_string(),
            reason: format!("use 2 to {smallest} folds (the smaller class has {smallest} rows)"),
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = vec![Vec::new(); folds];
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        for i in (1..rows.len()).rev() {
            let j = rng.random_range(0..=i);
            rows.swap(i, j);
        }
        for (k, r) in rows.into_iter().enumerate() {
            out[k % folds].push(r);
        }
    }
    for f in &mut out {
        f.sort_unstable();
    }
    Ok(out)
}
/// Out-of-fold probabilities of any classifier (scikit-learn's `cross_val_predict`
/// with `method = "predict_proba"`): for each of `folds` stratified folds
/// ([`stratified_k_fold`] with `seed`), `params` is fitted to the other rows and
/// predicts the fold's. Every row gets the P(true) of a model that did not see it, ready
/// for [`roc_auc`], [`lift_table`] or [`calibration_table`].
///
/// ```
/// use patronage::churn::metrics::{cross_val_predict, roc_auc};
/// use patronage::churn::LogisticRegression;
/// use patronage::ndarray::Array2;
/// let x = Array2::from_shape_fn((200, 1), |(i, _)| (i % 20) as f64);
/// let y: Vec<bool> = (0..200).map(|i| (i % 20) + (i % 7) > 12).collect();
/// let p = cross_val_predict(&LogisticRegression::params(), x.view(), &y, 5, 7)?;
/// assert!(roc_auc(&y, &p)? > 0.8);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`] when `y` does not have a label per row of `x`; the errors
/// of [`stratified_k_fold`]; the first error a fold's fit or prediction returns.
pub fn cross_val_predict<P, C>(
    params: &P,
    x: ndarray::ArrayView2<f64>,
    y: &[bool],
    folds: usize,
    seed: u64,
) -> Result<Vec<f64>>
where
    P: for<'a> crate::model::Fit<(ndarray::ArrayView2<'a, f64>, &'a [bool]), Fitted = C>,
    C: crate::model::Classifier,
{
    crate::validate::same_len("y", x.nrows(), y.len())?;
    let mut out = vec![0.0; y.len()];
    let mut in_test = vec![false; y.len()];
    for test in stratified_k_fold(y, folds, seed)? {
        test.iter().for_each(|&i| in_test[i] = true);
        let train: Vec<usize> = (0..y.len()).filter(|&i| !in_test[i]).collect();
        let train_y: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let train_x = x.select(ndarray::Axis(0), &train);
        let model = params.fit((train_x.view(), &train_y[..]))?;
        let p = model.predict_proba(x.select(ndarray::Axis(0), &test).view())?;
        for (k, &i) in test.iter().enumerate() {
            out[i] = p[k];
            in_test[i] = false;
        }
    }
    Ok(out)
}
