//! The fit: input checks, row weights, exact rescaling of huge columns, the solver,
//! the separation check, and the standard errors of unpenalized fits.

use ndarray::ArrayView2;

use super::objective::Problem;
use super::{LogisticRegression, LogisticRegressionParams, NEWTON_MAX_FEATURES};
use crate::error::{Error, Result};
use crate::math::optim::cholesky_inverse;
use crate::model::{FitReport, Optimizer};

impl LogisticRegressionParams {
    /// The fit behind every [`Fit`](crate::model::Fit) impl: features `x`, labels `y`,
    /// optional sample weights, and the feature names to keep when none were set.
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::LengthMismatch`] when `y`, the weights or
    /// the feature names do not match `x`; [`Error::NonFinite`] for NaN or infinite
    /// features or weights; [`Error::Negative`] for a negative weight;
    /// [`Error::InsufficientData`] when only one class is present or, without a penalty,
    /// when the classes are (quasi-) completely separated: detected when the iterates
    /// diverge or the fit's largest |log-odds| exceeds 30 (add a penalty);
    /// [`Error::InvalidParameter`] for an optimizer setting out of range
    /// ([`Optimizer::check`]); [`Error::NotConverged`] with the last coefficients
    /// (intercept last) when `max_iter` is reached.
    pub(super) fn fit_rows(
        &self,
        x: ArrayView2<f64>,
        y: &[bool],
        sample_weight: Option<&[f64]>,
        default_names: Option<&[String]>,
    ) -> Result<LogisticRegression> {
        let (n, p) = x.dim();
        let feature_names = self.checked_feature_names(n, p, y, sample_weight, default_names)?;
        self.optimizer.check()?;
        let Optimizer {
            max_iter,
            tol,
            penalty,
        } = self.optimizer;
        let col_max = checked_column_maxima(&x)?;
        check_sample_weights(sample_weight)?;
        let positives = y.iter().filter(|&&v| v).count();
        if positives == 0 || positives == n {
            return Err(Error::InsufficientData {
                model: "logistic regression",
                reason: "only one class is present in y".into(),
            });
        }
        let (weights, total_weight) = self.row_weights(y, sample_weight, positives)?;
        let col_scale = column_scales(&col_max);
        let rescaled = col_scale.iter().any(|&c| c != 1.0);
        let mut problem = Problem {
            x: scaled_columns(&x, &col_scale, rescaled),
            y: y.iter().map(|&v| f64::from(u8::from(v))).collect(),
            weights,
            p,
            intercept: self.fit_intercept,
            // Mean objective: loss / W + (ridge / 2) ||w||^2 = loss / W + penalty ||w||^2.
            ridge: 2.0 * penalty,
            ridge_scale: if rescaled {
                col_scale.iter().map(|c| c * c).collect()
            } else {
                Vec::new()
            },
            total_weight,
        };
        let dim = p + usize::from(self.fit_intercept);
        let (beta, iterations) = if p <= NEWTON_MAX_FEATURES {
            problem.newton_warm(tol, max_iter)?
        } else {
            problem.quasi_newton(tol, max_iter)?
        };
        let unpenalized = penalty == 0.0;
        if unpenalized && problem.max_abs_linear_predictor(&beta) > SEPARATION_Z {
            return Err(separated());
        }
        let (mut coef, intercept) = if self.fit_intercept {
            (beta[..p].to_vec(), beta[p])
        } else {
            (beta.clone(), 0.0)
        };
        for (w, c) in coef.iter_mut().zip(&col_scale) {
            *w *= c;
        }
        // The log-likelihood without the penalty.
        problem.ridge = 0.0;
        let (loss, _) = problem.evaluate(&beta, false);
        let log_likelihood = -loss * total_weight;
        let standard_errors = if unpenalized {
            Some(standard_errors(&problem, &beta, dim, &col_scale)?)
        } else {
            None
        };
        Ok(LogisticRegression {
            coefficients: coef,
            intercept,
            feature_names,
            report: FitReport::new(
                log_likelihood,
                dim,
                total_weight,
                standard_errors,
                iterations,
                true,
            ),
            fit_intercept: self.fit_intercept,
        })
    }

    /// The shape checks of `fit_rows` (no rows; `y`, the sample weights and the
    /// feature names against `x`'s `n` rows and `p` columns), returning the feature
    /// names to keep.
    fn checked_feature_names(
        &self,
        n: usize,
        p: usize,
        y: &[bool],
        sample_weight: Option<&[f64]>,
        default_names: Option<&[String]>,
    ) -> Result<Option<Vec<String>>> {
        if n == 0 {
            return Err(Error::Empty { field: "x" });
        }
        if y.len() != n {
            return Err(Error::LengthMismatch {
                field: "y",
                expected: n,
                found: y.len(),
            });
        }
        if let Some(w) = sample_weight
            && w.len() != n
        {
            return Err(Error::LengthMismatch {
                field: "sample_weight",
                expected: n,
                found: w.len(),
            });
        }
        let feature_names = self
            .feature_names
            .as_deref()
            .or(default_names)
            .map(<[String]>::to_vec);
        if let Some(names) = &feature_names
            && names.len() != p
        {
            return Err(Error::LengthMismatch {
                field: "feature_names",
                expected: p,
                found: names.len(),
            });
        }
        Ok(feature_names)
    }

    /// Row weights (sample weight times class weight) and their total, which must be
    /// finite and positive.
    fn row_weights(
        &self,
        y: &[bool],
        sample_weight: Option<&[f64]>,
        positives: usize,
    ) -> Result<(Vec<f64>, f64)> {
        let n = y.len();
        let (w0, w1) = if self.balanced {
            (
                n as f64 / (2.0 * (n - positives) as f64),
                n as f64 / (2.0 * positives as f64),
            )
        } else {
            (1.0, 1.0)
        };
        let weights: Vec<f64> = (0..n)
            .map(|i| sample_weight.map_or(1.0, |w| w[i]) * if y[i] { w1 } else { w0 })
            .collect();
        let total_weight: f64 = weights.iter().sum();
        if !total_weight.is_finite() {
            let row = (0..n)
                .max_by(|&a, &b| weights[a].total_cmp(&weights[b]))
                .unwrap_or(0);
            return Err(Error::InvalidValue {
                field: "sample_weight",
                row,
                value: sample_weight.map_or(weights[row], |w| w[row]),
                reason: "the weights sum beyond the range of f64; rescale them".into(),
            });
        }
        if total_weight <= 0.0 {
            return Err(Error::InsufficientData {
                model: "logistic regression",
                reason: "all sample weights are zero".into(),
            });
        }
        Ok((weights, total_weight))
    }
}

/// Checks every feature is finite and returns the per-column maxima of |x|, read only
/// when some column may need rescaling (all zeros otherwise).
fn checked_column_maxima(x: &ArrayView2<f64>) -> Result<Vec<f64>> {
    // One vectorized pass checks every value and finds the largest; the per-column
    // maxima are read only when some column may need rescaling (a per-column pass
    // on every fit cost 9% of the logit-1M fit bench).
    let max_abs = crate::kernels::check_finite_max_abs(x)?;
    Ok(if max_abs > LARGE_FEATURE {
        x.columns()
            .into_iter()
            .map(|c| c.iter().fold(0.0f64, |m, v| m.max(v.abs())))
            .collect()
    } else {
        vec![0.0; x.ncols()]
    })
}

/// Sample weights must be finite and non-negative.
fn check_sample_weights(sample_weight: Option<&[f64]>) -> Result<()> {
    if let Some(w) = sample_weight {
        for (row, &v) in w.iter().enumerate() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    field: "sample_weight",
                    row,
                    value: v,
                });
            }
            if v < 0.0 {
                return Err(Error::Negative {
                    field: "sample_weight",
                    row,
                    value: v,
                });
            }
        }
    }
    Ok(())
}

/// Columns with values so large that the gradient and Hessian sums (squares of the
/// values) could overflow are fitted scaled by a power of two c_j, exactly: the
/// coefficient on the scaled column is w_j / c_j, and the penalty on it is scaled by
/// c_j^2 so the objective is unchanged. Returns c_j (1 for an ordinary column).
fn column_scales(col_max: &[f64]) -> Vec<f64> {
    col_max
        .iter()
        .map(|&m| {
            if m > LARGE_FEATURE {
                crate::segment::scale::pow2_scale(m)
            } else {
                1.0
            }
        })
        .collect()
}

/// The features as fitted: `x` itself (standard layout), or a copy with each column
/// multiplied by its scale when some column is rescaled.
fn scaled_columns<'a>(
    x: &'a ArrayView2<'_, f64>,
    col_scale: &[f64],
    rescaled: bool,
) -> ndarray::CowArray<'a, f64, ndarray::Ix2> {
    if rescaled {
        let mut owned = x.to_owned();
        for (mut col, &c) in owned.columns_mut().into_iter().zip(col_scale) {
            col.mapv_inplace(|v| v * c);
        }
        ndarray::CowArray::from(owned)
    } else {
        x.as_standard_layout()
    }
}

/// Standard errors of an unpenalized fit: the observed information X' W X at the
/// optimum (unscaled), inverted, on the original column scales.
fn standard_errors(
    problem: &Problem<'_>,
    beta: &[f64],
    dim: usize,
    col_scale: &[f64],
) -> Result<Vec<f64>> {
    let (_, grad_hess) = problem.evaluate(beta, true);
    let info: Vec<f64> = grad_hess[dim..]
        .iter()
        .map(|h| h * problem.total_weight)
        .collect();
    let cov = cholesky_inverse(&info, dim).ok_or_else(separated)?;
    Ok((0..dim)
        .map(|i| cov[i * dim + i].sqrt() * col_scale.get(i).copied().unwrap_or(1.0))
        .collect())
}

pub(super) fn separated() -> Error {
    Error::InsufficientData {
        model: "logistic regression",
        reason: "the classes are (quasi-)completely separated by the features, so the unpenalized maximum likelihood does not exist; add an L2 penalty with .penalty(l)".into(),
    }
}

/// An unpenalized fit whose largest |log-odds| exceeds this (fitted probabilities
/// within about 1e-13 of 0 or 1) is reported as (quasi-)separated: the likelihood keeps
/// rising as coefficients grow, so the "optimum" is only where the optimizer stopped.
pub(super) const SEPARATION_Z: f64 = 30.0;

/// Feature columns with a |value| above this are fitted rescaled (see `column_scales`):
/// the Hessian sums squares of the values over the rows.
pub(super) const LARGE_FEATURE: f64 = 1e100;
