//! The fit by passes over rows that live elsewhere: the same Newton iteration as the
//! in-memory fit, asking for one pass at a time, so a query engine (or any store that
//! can stream its rows) computes the sums where the data lives and the driver takes the
//! Newton steps.

use super::fit::{LARGE_FEATURE, SEPARATION_Z, separated};
use super::objective::{Ridge, Rows, accumulate, mean_objective, merge_sums, sums_len};
use super::solver::Newton;
use super::{LogisticRegression, LogisticRegressionParams, NEWTON_MAX_FEATURES};
use crate::error::{Error, Result};
use crate::math::optim::cholesky_inverse;
use crate::model::{FitReport, Optimizer};

/// One pass over the rows that a fit by passes asks for: the coefficients to evaluate
/// at, whether the Hessian is needed, and the row weights by class. Hand it to wherever
/// the rows are, add every row with [`add_rows`](Self::add_rows) into sums from
/// [`sums`](Self::sums) (merging partial sums with [`LogisticSums::merge`] in any
/// grouping), and give the total back to [`LogisticPasses::supply`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogisticPass {
    coefficients: Vec<f64>,
    features: usize,
    intercept: bool,
    hessian: bool,
    class_weights: [f64; 2],
}

impl LogisticPass {
    /// The coefficients to evaluate at, one per feature, then the intercept when the
    /// model has one.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// Number of feature columns each row has.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Whether this pass sums the Hessian (a full Newton pass) or only the loss and
    /// gradient (a line-search pass, several times cheaper).
    pub fn hessian(&self) -> bool {
        self.hessian
    }

    /// Row weights of the two classes, `[not churned, churned]` (1 and 1 unless the
    /// params ask for balanced class weights).
    pub fn class_weights(&self) -> [f64; 2] {
        self.class_weights
    }

    /// Zero sums for this pass, to add rows to.
    pub fn sums(&self) -> LogisticSums {
        let dim = self.coefficients.len();
        LogisticSums {
            values: vec![0.0; sums_len(dim, self.hessian)],
        }
    }

    /// Adds rows to `sums`: features `x` row-major (`features()` values per row) and
    /// labels `y` (`true` = churned), one per row.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `x` is not `features()` values per label or `sums`
    /// is not this pass's; [`Error::NonFinite`] for a NaN or infinite feature, and
    /// [`Error::InvalidValue`] for one beyond ±1e100 (whose squares could overflow the
    /// sums), naming the row within this call.
    pub fn add_rows(&self, sums: &mut LogisticSums, x: &[f64], y: &[bool]) -> Result<()> {
        let p = self.features;
        let expected = y.len().checked_mul(p).ok_or(Error::LengthMismatch {
            field: "x",
            expected: usize::MAX,
            found: x.len(),
        })?;
        if x.len() != expected {
            return Err(Error::LengthMismatch {
                field: "x",
                expected,
                found: x.len(),
            });
        }
        let len = sums_len(self.coefficients.len(), self.hessian);
        if sums.values.len() != len {
            return Err(Error::LengthMismatch {
                field: "sums",
                expected: len,
                found: sums.values.len(),
            });
        }
        if let Some(i) = x
            .iter()
            .position(|v| !v.is_finite() || v.abs() > LARGE_FEATURE)
        {
            let (row, value) = (i / p.max(1), x[i]);
            return Err(if value.is_finite() {
                Error::InvalidValue {
                    field: "x",
                    row,
                    value,
                    reason: "features beyond ±1e100 could overflow the sums; rescale the column"
                        .into(),
                }
            } else {
                Error::NonFinite {
                    field: "x",
                    row,
                    value,
                }
            });
        }
        let labels: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
        let weights: Vec<f64> = y
            .iter()
            .map(|&v| self.class_weights[usize::from(v)])
            .collect();
        let rows = Rows {
            x,
            y: &labels,
            weights: &weights,
        };
        accumulate(
            &rows,
            p,
            self.intercept,
            &self.coefficients,
            self.hessian,
            &mut sums.values,
        );
        Ok(())
    }
}

/// The sums one pass adds up over the rows: the weighted log-loss, its gradient, the
/// Hessian's lower triangle (on a Hessian pass) and the largest |log-odds|. Partial
/// sums from any split of the rows merge into the same total up to the order of
/// floating-point additions.
///
/// [`values`](Self::values) and [`from_values`](Self::from_values) carry them as a flat
/// list, e.g. an engine's intermediate aggregate state.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticSums {
    values: Vec<f64>,
}

impl LogisticSums {
    /// The sums as a flat list (its layout is this type's own; pass it back to
    /// [`from_values`](Self::from_values)).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Sums from a flat list made by [`values`](Self::values), checked against the pass
    /// they belong to.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the list's length is not the pass's.
    pub fn from_values(pass: &LogisticPass, values: Vec<f64>) -> Result<Self> {
        let len = sums_len(pass.coefficients.len(), pass.hessian);
        if values.len() != len {
            return Err(Error::LengthMismatch {
                field: "sums",
                expected: len,
                found: values.len(),
            });
        }
        Ok(Self { values })
    }

    /// Adds `other`'s sums (of the same pass) to these.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the two are not sums of the same kind of pass.
    pub fn merge(&mut self, other: &LogisticSums) -> Result<()> {
        if other.values.len() != self.values.len() {
            return Err(Error::LengthMismatch {
                field: "sums",
                expected: self.values.len(),
                found: other.values.len(),
            });
        }
        merge_sums(&mut self.values, &other.values);
        Ok(())
    }
}

/// A logistic regression fitted by passes over rows kept elsewhere (from
/// [`LogisticRegressionParams::fit_by_passes`]): ask for the next pass, compute its
/// sums where the rows are, supply them, and repeat until no pass is asked for; then
/// [`finish`](Self::finish) gives the fitted model.
///
/// The iteration is the in-memory fit's Newton method (Cholesky steps with
/// backtracking, the same stopping rule, separation checks and standard errors), from
/// zero coefficients: a full pass with the Hessian per iteration, and a loss-only pass
/// per halved step. The optimum is the in-memory fit's up to the order of
/// floating-point sums. Not available here: the in-memory fit's exact rescaling of
/// columns beyond ±1e100 (an error instead), and BFGS for more than
/// [`NEWTON_MAX_FEATURES`] features.
///
/// ```
/// use patronage::churn::LogisticRegression;
/// use patronage::model::Fit;
///
/// // Rows "elsewhere": two shards of (feature, label).
/// let shards = [
///     (vec![0.5, 1.0, 1.5, 2.0], vec![false, false, true, false]),
///     (vec![2.5, 3.0, 3.5, 4.0], vec![true, false, true, true]),
/// ];
/// let params = LogisticRegression::params();
/// let mut fit = params.fit_by_passes(1, 8, 4)?;
/// while let Some(pass) = fit.next_pass() {
///     let mut total = pass.sums();
///     for (x, y) in &shards {
///         let mut part = pass.sums();
///         pass.add_rows(&mut part, x, y)?;
///         total.merge(&part)?;
///     }
///     fit.supply(total)?;
/// }
/// let model = fit.finish()?;
///
/// let x: Vec<f64> = shards.iter().flat_map(|s| s.0.clone()).collect();
/// let y: Vec<bool> = shards.iter().flat_map(|s| s.1.clone()).collect();
/// let x = patronage::ndarray::Array2::from_shape_vec((8, 1), x).unwrap();
/// let in_memory = params.fit((x.view(), &y))?;
/// assert!((model.coefficients()[0] - in_memory.coefficients()[0]).abs() < 1e-9);
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogisticPasses {
    newton: Newton,
    features: usize,
    fit_intercept: bool,
    ridge: f64,
    total_weight: f64,
    class_weights: [f64; 2],
    feature_names: Option<Vec<String>>,
    /// Raw sums (with the Hessian) at the current iterate.
    current: Option<Vec<f64>>,
}

impl LogisticRegressionParams {
    /// Starts a fit by passes over `rows` rows with `features` feature columns, of which
    /// `positives` are labelled `true` (churned); see [`LogisticPasses`]. Sample weights
    /// are not supported (class weights are, with [`balanced`](Self::balanced)).
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::InsufficientData`] when one class is
    /// absent; [`Error::InvalidParameter`] for `positives` above `rows`, more than
    /// [`NEWTON_MAX_FEATURES`] features, or an optimizer setting out of range;
    /// [`Error::LengthMismatch`] when feature names are set and their number is not
    /// `features`.
    pub fn fit_by_passes(
        &self,
        features: usize,
        rows: u64,
        positives: u64,
    ) -> Result<LogisticPasses> {
        self.optimizer.check()?;
        Error::check_count(
            "features",
            features,
            0,
            "NEWTON_MAX_FEATURES",
            NEWTON_MAX_FEATURES,
        )?;
        if rows == 0 {
            return Err(Error::Empty { field: "rows" });
        }
        if positives > rows {
            return Err(Error::InvalidParameter {
                name: "positives",
                value: positives.to_string(),
                reason: format!("at most the number of rows, {rows}"),
            });
        }
        if positives == 0 || positives == rows {
            return Err(Error::InsufficientData {
                model: "logistic regression",
                reason: "only one class is present in y".into(),
            });
        }
        if let Some(names) = &self.feature_names
            && names.len() != features
        {
            return Err(Error::LengthMismatch {
                field: "feature_names",
                expected: features,
                found: names.len(),
            });
        }
        let (n, pos) = (rows as f64, positives as f64);
        let class_weights = if self.balanced {
            [n / (2.0 * (n - pos)), n / (2.0 * pos)]
        } else {
            [1.0, 1.0]
        };
        let Optimizer {
            max_iter,
            tol,
            penalty,
        } = self.optimizer;
        let dim = features + usize::from(self.fit_intercept);
        Ok(LogisticPasses {
            newton: Newton::new(vec![0.0; dim], penalty == 0.0, tol, max_iter),
            features,
            fit_intercept: self.fit_intercept,
            ridge: 2.0 * penalty,
            total_weight: class_weights[0] * (n - pos) + class_weights[1] * pos,
            class_weights,
            feature_names: self.feature_names.clone(),
            current: None,
        })
    }
}

impl LogisticPasses {
    /// The next pass to run, or `None` when the iteration has finished (call
    /// [`finish`](Self::finish)).
    pub fn next_pass(&self) -> Option<LogisticPass> {
        self.newton.request().map(|(beta, hessian)| LogisticPass {
            coefficients: beta.to_vec(),
            features: self.features,
            intercept: self.fit_intercept,
            hessian,
            class_weights: self.class_weights,
        })
    }

    /// Supplies the sums over all rows of the pass [`next_pass`](Self::next_pass) gave.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for sums of another kind of pass (or when no pass is
    /// wanted); [`Error::NonFinite`] for NaN or infinite sums where the iteration
    /// stands (sums at a trial point that are not finite count as no decrease).
    pub fn supply(&mut self, sums: LogisticSums) -> Result<()> {
        let Some((beta, hessian)) = self.newton.request() else {
            return Err(Error::LengthMismatch {
                field: "sums",
                expected: 0,
                found: sums.values.len(),
            });
        };
        let beta = beta.to_vec();
        let len = sums_len(beta.len(), hessian);
        if sums.values.len() != len {
            return Err(Error::LengthMismatch {
                field: "sums",
                expected: len,
                found: sums.values.len(),
            });
        }
        let ridge = Ridge {
            p: self.features,
            intercept: self.fit_intercept,
            ridge: self.ridge,
            scale: &[],
        };
        let (mut loss, out) =
            mean_objective(&sums.values, self.total_weight, &ridge, &beta, hessian);
        if let Some(i) = out.iter().position(|v| !v.is_finite()) {
            if self.newton.at_current() {
                return Err(Error::NonFinite {
                    field: "sums",
                    row: i,
                    value: out[i],
                });
            }
            loss = f64::INFINITY;
        }
        let was_current = self.newton.at_current();
        self.newton.supply(loss, out);
        if hessian && (was_current || self.newton.beta() == beta.as_slice()) {
            self.current = Some(sums.values);
        }
        Ok(())
    }

    /// The fitted model, once [`next_pass`](Self::next_pass) returns `None`.
    ///
    /// # Errors
    /// As the in-memory fit: [`Error::InsufficientData`] for (quasi-) separated classes
    /// without a penalty (the largest |log-odds| above 30 or diverging iterates),
    /// [`Error::NotConverged`] with the last coefficients when `max_iter` is reached or
    /// the line search stalls, also when called before the iteration finished.
    pub fn finish(self) -> Result<LogisticRegression> {
        let (beta, iterations) = self.newton.outcome()?;
        let dim = beta.len();
        let sums = self.current.ok_or_else(|| Error::NotConverged {
            model: "logistic regression",
            iterations,
            reason: "no pass was supplied at the optimum".into(),
            last_iterate: beta.clone(),
        })?;
        let hess_len = dim * dim;
        let (loss, zmax) = (sums[dim + hess_len], sums[dim + hess_len + 1]);
        let unpenalized = self.ridge == 0.0;
        if unpenalized && zmax > SEPARATION_Z {
            return Err(separated());
        }
        let standard_errors = if unpenalized {
            let mut info = sums[dim..dim + hess_len].to_vec();
            for a in 0..dim {
                for b in 0..a {
                    info[b * dim + a] = info[a * dim + b];
                }
            }
            let cov = cholesky_inverse(&info, dim).ok_or_else(separated)?;
            Some((0..dim).map(|i| cov[i * dim + i].sqrt()).collect())
        } else {
            None
        };
        let p = self.features;
        let (coefficients, intercept) = if self.fit_intercept {
            (beta[..p].to_vec(), beta[p])
        } else {
            (beta, 0.0)
        };
        Ok(LogisticRegression {
            coefficients,
            intercept,
            feature_names: self.feature_names,
            report: FitReport::new(
                -loss,
                dim,
                self.total_weight,
                standard_errors,
                iterations,
                true,
            ),
            fit_intercept: self.fit_intercept,
        })
    }
}
