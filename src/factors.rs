//! Exploratory factor analysis and principal components: which few underlying factors
//! do many behavioural and survey variables measure?
//!
//! - [`Correlation`]: the correlation matrix of a data matrix (rows are customers,
//!   columns variables), or one given with its number of observations (a published
//!   covariance or correlation matrix).
//! - [`Pca`]: principal components of the correlation (or covariance) matrix:
//!   eigenvalues (explained variance), their shares, loadings and scores, as R's
//!   `prcomp(x, scale. = TRUE)`.
//! - [`FactorAnalysis`]: `k` common factors by maximum likelihood (R's `factanal`:
//!   uniquenesses by minimizing the concentrated discrepancy, bounded below by 0.005,
//!   with the likelihood-ratio test of `k` factors) or by iterated principal axis
//!   factoring (psych's `fa(fm = "pa")`, from squared multiple correlations); varimax
//!   promax or direct oblimin rotation (R's `varimax` and `promax`, GPArotation's
//!   `oblimin`, with factor correlations for the oblique two); loadings sorted and signed as `factanal` prints them;
//!   communalities, uniquenesses; factor scores by regression (Thomson) or Bartlett.
//! - Whether the data suit a factor analysis and how many factors to keep:
//!   [`kmo`] (Kaiser-Meyer-Olkin sampling adequacy, overall and per variable),
//!   [`bartlett_sphericity`], the Kaiser rule ([`Correlation::kaiser`]) and Horn's
//!   [`parallel_analysis`] (seeded).
//!
//! **Heywood cases.** A maximum-likelihood uniqueness may want to go to 0 (a variable
//! entirely explained by the factors). As in R, uniquenesses are bounded below by
//! 0.005; [`FittedFactors::heywood`] lists the variables at that bound, whose loadings
//! are then less reliable. Principal axis factoring stops with an
//! [`Error::NotConverged`] naming the variable whose communality exceeds 1. A
//! correlation matrix that is not positive definite (more variables than observations,
//! a variable that is a linear combination of others) is an
//! [`Error::InsufficientData`]: never a table of NaN.
//!
//! ```
//! use ndarray::Array2;
//! use patronage::prelude::*;
//! use patronage::factors::{Correlation, FactorAnalysis, Rotation, ScoreMethod};
//! // Six variables driven by two factors.
//! let data = Array2::from_shape_fn((300, 6), |(i, j)| {
//!     let f1 = ((i * 37 % 101) as f64 / 101.0 - 0.5) * 3.0;
//!     let f2 = ((i * 53 % 97) as f64 / 97.0 - 0.5) * 3.0;
//!     let noise = ((i * 7 + j * 13) % 17) as f64 / 17.0 - 0.5;
//!     if j < 3 { f1 + noise } else { f2 + noise }
//! });
//! let corr = Correlation::from_data(data.view())?;
//! assert_eq!(corr.kaiser(), 2);
//! let fa = FactorAnalysis::params(2).rotation(Rotation::Varimax).fit(&corr)?;
//! // Each variable loads on its own factor.
//! let l = fa.loadings();
//! assert!(l[[0, 0]].abs() > 0.8 && l[[0, 1]].abs() < 0.2);
//! let scores = fa.scores(data.view(), ScoreMethod::Regression)?;
//! assert_eq!(scores.dim(), (300, 2));
//! # Ok::<(), patronage::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};
use crate::math::linalg::{spd_inverse, symmetric_eigen};
use crate::math::optim::{OptimOptions, bfgs};
use crate::model::Fit;

/// The most variables a correlation matrix may have: 1,000 (eigen-decompositions cost
/// `O(p^3)` each).
pub const MAX_VARIABLES: usize = 1_000;

/// The most replications of [`parallel_analysis`]: 10,000.
pub const MAX_REPLICATIONS: usize = 10_000;

/// R's lower bound on maximum-likelihood uniquenesses.
pub const MIN_UNIQUENESS: f64 = 0.005;

/// A correlation matrix with its number of observations, and, when computed from data,
/// the columns' means and standard deviations (for factor scores).
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    matrix: Array2<f64>,
    n_obs: usize,
    means: Option<Vec<f64>>,
    sds: Option<Vec<f64>>,
}

fn check_variables(p: usize) -> Result<()> {
    if p < 2 {
        return Err(crate::validate::invalid_parameter(
            "variables",
            p,
            "a correlation matrix needs at least 2 variables",
        ));
    }
    Error::check_limit(
        "variables",
        i64::try_from(p).unwrap_or(i64::MAX),
        MAX_VARIABLES,
        "factor a subset of the variables",
    )
}

impl Correlation {
    /// Pearson correlations of the columns of `data` (rows are observations), as R's
    /// `cor` (standard deviations with `n - 1`).
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming field `data` and the row of a NaN or infinite
    /// value; [`Error::InsufficientData`] for fewer than 3 rows;
    /// [`Error::InvalidValue`] naming the column (as the row) of a constant column;
    /// [`Error::InvalidParameter`] / [`Error::LimitExceeded`] for fewer than 2 or more
    /// than [`MAX_VARIABLES`] columns.
    pub fn from_data(data: ArrayView2<'_, f64>) -> Result<Self> {
        let (n, p) = data.dim();
        check_variables(p)?;
        if n < 3 {
            return Err(Error::InsufficientData {
                model: "correlation",
                reason: format!("{n} rows: a correlation needs at least 3 observations"),
            });
        }
        for (row, values) in data.rows().into_iter().enumerate() {
            for &v in values {
                crate::validate::finite("data", row, v)?;
            }
        }
        let means: Vec<f64> = data
            .columns()
            .into_iter()
            .map(|c| c.sum() / n as f64)
            .collect();
        let mut centred = data.to_owned();
        for (mut c, m) in centred.columns_mut().into_iter().zip(&means) {
            c -= *m;
        }
        let cov = centred.t().dot(&centred) / (n as f64 - 1.0);
        let sds: Vec<f64> = (0..p).map(|j| cov[[j, j]].sqrt()).collect();
        for (j, &s) in sds.iter().enumerate() {
            if s <= 1e-12 * means[j].abs() || s.is_nan() {
                return Err(crate::validate::invalid_value(
                    "data column",
                    j,
                    s,
                    "a constant column has no correlation with anything",
                ));
            }
        }
        let matrix = Array2::from_shape_fn((p, p), |(i, j)| {
            if i == j {
                1.0
            } else {
                cov[[i, j]] / (sds[i] * sds[j])
            }
        });
        Ok(Self {
            matrix,
            n_obs: n,
            means: Some(means),
            sds: Some(sds),
        })
    }

    /// A given covariance or correlation matrix (converted to correlations) from
    /// `n_obs` observations, e.g. R's `ability.cov` or `Harman74.cor`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for a matrix that is not square;
    /// [`Error::NonFinite`] / [`Error::InvalidValue`] naming `covariance` and the row of
    /// a non-finite entry, a diagonal entry `<= 0` or an asymmetric pair;
    /// [`Error::InsufficientData`] for `n_obs < 3`.
    pub fn from_matrix(covariance: ArrayView2<'_, f64>, n_obs: usize) -> Result<Self> {
        let (p, q) = covariance.dim();
        crate::validate::same_len("covariance columns", p, q)?;
        check_variables(p)?;
        if n_obs < 3 {
            return Err(Error::InsufficientData {
                model: "correlation",
                reason: format!("{n_obs} observations: a correlation needs at least 3"),
            });
        }
        for i in 0..p {
            for j in 0..p {
                crate::validate::finite("covariance", i, covariance[[i, j]])?;
            }
            if covariance[[i, i]] <= 0.0 {
                return Err(crate::validate::invalid_value(
                    "covariance",
                    i,
                    covariance[[i, i]],
                    "a variance must be positive",
                ));
            }
        }
        for i in 0..p {
            for j in 0..i {
                let (a, b) = (covariance[[i, j]], covariance[[j, i]]);
                if (a - b).abs() > 1e-10 * (a.abs() + b.abs()).max(1e-300) {
                    return Err(crate::validate::invalid_value(
                        "covariance",
                        i,
                        a,
                        format!("not symmetric: column {j} holds {b} in the mirrored place"),
                    ));
                }
            }
        }
        let d: Vec<f64> = (0..p).map(|i| covariance[[i, i]].sqrt()).collect();
        let matrix = Array2::from_shape_fn((p, p), |(i, j)| {
            if i == j {
                1.0
            } else {
                0.5 * (covariance[[i, j]] + covariance[[j, i]]) / (d[i] * d[j])
            }
        });
        Ok(Self {
            matrix,
            n_obs,
            means: None,
            sds: None,
        })
    }

    /// The correlation matrix.
    pub fn matrix(&self) -> &Array2<f64> {
        &self.matrix
    }

    /// The number of observations.
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }

    /// Eigenvalues of the correlation matrix, largest first.
    pub fn eigenvalues(&self) -> Vec<f64> {
        symmetric_eigen(self.matrix.view()).0.to_vec()
    }

    /// The Kaiser rule: the number of eigenvalues above 1.
    pub fn kaiser(&self) -> usize {
        self.eigenvalues().iter().filter(|&&e| e > 1.0).count()
    }

    fn inverse(&self) -> Result<Array2<f64>> {
        spd_inverse(self.matrix.view()).ok_or_else(not_positive_definite)
    }
}

fn not_positive_definite() -> Error {
    Error::InsufficientData {
        model: "factor analysis",
        reason: "the correlation matrix is not positive definite (fewer observations than \
                 variables, or a variable that is a linear combination of others)"
            .into(),
    }
}

/// Kaiser-Meyer-Olkin measure of sampling adequacy: overall and per variable (psych's
/// `KMO`). Values below 0.5 say the correlations are too weak or too partial for
/// factors; above 0.8 is good.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Kmo {
    /// The overall measure.
    pub overall: f64,
    /// One measure per variable.
    pub per_variable: Vec<f64>,
}

/// The Kaiser-Meyer-Olkin measure of a correlation matrix: squared correlations against
/// squared partial correlations (from the inverse).
///
/// # Errors
/// [`Error::InsufficientData`] when the matrix is not positive definite.
pub fn kmo(corr: &Correlation) -> Result<Kmo> {
    let inv = corr.inverse()?;
    let p = corr.matrix.nrows();
    let (mut r2, mut q2) = (vec![0.0; p], vec![0.0; p]);
    for i in 0..p {
        for j in 0..p {
            if i != j {
                let partial = -inv[[i, j]] / (inv[[i, i]] * inv[[j, j]]).sqrt();
                r2[i] += corr.matrix[[i, j]].powi(2);
                q2[i] += partial * partial;
            }
        }
    }
    let (sr, sq): (f64, f64) = (r2.iter().sum(), q2.iter().sum());
    Ok(Kmo {
        overall: sr / (sr + sq),
        per_variable: (0..p).map(|i| r2[i] / (r2[i] + q2[i])).collect(),
    })
}

/// A chi-squared test: statistic, degrees of freedom and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChiSquaredTest {
    /// The statistic.
    pub statistic: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// The upper-tail probability.
    pub p_value: f64,
}

fn chi_squared(statistic: f64, df: f64) -> ChiSquaredTest {
    let p_value = if df > 0.0 {
        ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(statistic.max(0.0)))
    } else {
        f64::NAN
    };
    ChiSquaredTest {
        statistic,
        df,
        p_value,
    }
}

/// Bartlett's test that the correlation matrix is the identity (psych's
/// `cortest.bartlett`): `-(n - 1 - (2p + 5) / 6) ln |R|` on `p (p - 1) / 2` degrees of
/// freedom. A small p-value says there are correlations to factor.
///
/// # Errors
/// [`Error::InsufficientData`] when the matrix is not positive definite.
pub fn bartlett_sphericity(corr: &Correlation) -> Result<ChiSquaredTest> {
    let p = corr.matrix.nrows() as f64;
    let values = symmetric_eigen(corr.matrix.view()).0;
    if values.iter().any(|&e| e <= 0.0) {
        return Err(not_positive_definite());
    }
    let ln_det: f64 = values.iter().map(|e| e.ln()).sum();
    let statistic = -(corr.n_obs as f64 - 1.0 - (2.0 * p + 5.0) / 6.0) * ln_det;
    Ok(chi_squared(statistic, p * (p - 1.0) / 2.0))
}

/// Horn's parallel analysis: eigenvalues of the correlation matrices of
/// `replications` data sets of independent standard normal variables with the same
/// number of rows and columns as `corr`'s data, summarized per rank by the `quantile`
/// (e.g. 0.95; 0.5 for the median), and the suggested number of factors: the leading
/// observed eigenvalues above them. Seeded; the same on any thread count.
///
/// # Errors
/// [`Error::InvalidParameter`] for a quantile outside `(0, 1)` or fewer than 2
/// replications; [`Error::LimitExceeded`] above [`MAX_REPLICATIONS`] or when
/// `replications * n_obs * variables` exceeds 10^10 values.
pub fn parallel_analysis(
    corr: &Correlation,
    replications: usize,
    quantile: f64,
    seed: u64,
) -> Result<(Vec<f64>, usize)> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    if !(quantile > 0.0 && quantile < 1.0) {
        return Err(crate::validate::invalid_parameter(
            "quantile",
            quantile,
            "a quantile is in (0, 1)",
        ));
    }
    if replications < 2 {
        return Err(crate::validate::invalid_parameter(
            "replications",
            replications,
            "parallel analysis needs at least 2 replications",
        ));
    }
    Error::check_limit(
        "replications",
        i64::try_from(replications).unwrap_or(i64::MAX),
        MAX_REPLICATIONS,
        "use fewer replications",
    )?;
    let (n, p) = (corr.n_obs, corr.matrix.nrows());
    let work = (replications as u128) * (n as u128) * (p as u128);
    Error::check_limit(
        "parallel analysis values (replications x rows x variables)",
        i64::try_from(work).unwrap_or(i64::MAX),
        10_000_000_000,
        "use fewer replications",
    )?;
    let runs: Vec<Result<Vec<f64>>> = crate::kernels::map_chunks(replications, |lo, hi| {
        (lo..hi)
            .map(|b| {
                let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(crate::kernels::mix(
                    seed, b as u64,
                ));
                let data = Array2::from_shape_simple_fn((n, p), || StandardNormal.sample(&mut rng));
                Correlation::from_data(data.view()).map(|c| c.eigenvalues())
            })
            .collect::<Result<Vec<_>>>()
    })
    .into_iter()
    .flat_map(|chunk| match chunk {
        Ok(v) => v.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(e)],
    })
    .collect();
    let runs = runs.into_iter().collect::<Result<Vec<_>>>()?;
    let thresholds: Vec<f64> = (0..p)
        .map(|j| {
            let mut v: Vec<f64> = runs.iter().map(|r| r[j]).collect();
            v.sort_by(f64::total_cmp);
            // Type 7 quantile (R's default).
            let h = (v.len() - 1) as f64 * quantile;
            let (lo, frac) = (h.floor() as usize, h - h.floor());
            v[lo] + frac * (v[(lo + 1).min(v.len() - 1)] - v[lo])
        })
        .collect();
    let observed = corr.eigenvalues();
    let suggested = observed
        .iter()
        .zip(&thresholds)
        .take_while(|(o, t)| o > t)
        .count();
    Ok((thresholds, suggested))
}

/// Principal components (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pca {
    components: usize,
}

impl Pca {
    /// `components` principal components of the correlation matrix.
    pub fn params(components: usize) -> Self {
        Self { components }
    }
}

/// Fitted principal components.
///
/// With `serde` a saved model is checked as it loads (finite values, a components matrix
/// with one row per eigenvalue, means and deviations together and one per variable).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawPca")
)]
pub struct FittedPca {
    eigenvalues: Vec<f64>,
    components: Array2<f64>,
    means: Option<Vec<f64>>,
    sds: Option<Vec<f64>>,
}

impl Fit<&Correlation> for Pca {
    type Fitted = FittedPca;

    /// The leading eigenvectors of the correlation matrix.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `1 <= components <= variables`.
    fn fit(&self, corr: &Correlation) -> Result<FittedPca> {
        let p = corr.matrix.nrows();
        if self.components == 0 || self.components > p {
            return Err(crate::validate::invalid_parameter(
                "components",
                self.components,
                format!("between 1 and the number of variables ({p})"),
            ));
        }
        let (values, vectors) = symmetric_eigen(corr.matrix.view());
        Ok(FittedPca {
            eigenvalues: values.to_vec(),
            components: Array2::from_shape_fn((p, self.components), |(i, j)| vectors[[i, j]]),
            means: corr.means.clone(),
            sds: corr.sds.clone(),
        })
    }
}

impl FittedPca {
    /// Every eigenvalue of the correlation matrix (the variance each component
    /// explains; R's `prcomp(...)$sdev^2`), largest first.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The share of the total variance each kept component explains.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        let total: f64 = self.eigenvalues.iter().sum();
        self.eigenvalues[..self.components.ncols()]
            .iter()
            .map(|e| e / total)
            .collect()
    }

    /// Unit eigenvectors, one column per component (R's `rotation`; each column's sign
    /// makes its largest component positive).
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Loadings: eigenvectors scaled by the square roots of their eigenvalues (the
    /// correlations of the variables with the components).
    pub fn loadings(&self) -> Array2<f64> {
        let mut l = self.components.clone();
        for (mut c, e) in l.columns_mut().into_iter().zip(&self.eigenvalues) {
            c *= e.max(0.0).sqrt();
        }
        l
    }

    /// Component scores of data with the fitted columns (standardized with the fitted
    /// means and standard deviations; R's `prcomp(...)$x`).
    ///
    /// # Errors
    /// As [`FittedFactors::scores`].
    pub fn scores(&self, data: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        Ok(standardize(data, self.means.as_deref(), self.sds.as_deref())?.dot(&self.components))
    }
}

/// How [`FactorAnalysis`] extracts factors.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Extraction {
    /// Maximum likelihood (R's `factanal`), with the test of `k` factors.
    MaximumLikelihood,
    /// Iterated principal axis factoring from squared multiple correlations (psych's
    /// `fa(fm = "pa")`).
    PrincipalAxis,
}

/// How [`FactorAnalysis`] rotates the loadings.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Rotation {
    /// No rotation.
    None,
    /// Varimax with Kaiser normalization (R's `varimax`, `eps = 1e-5`): orthogonal.
    Varimax,
    /// Promax with power 4 (R's `promax`): oblique, from the varimax solution.
    Promax,
    /// Direct oblimin (oblique) by gradient projection (Jennrich 2002), as R
    /// GPArotation's `oblimin(A, gam = gamma)` with its default `normalize = FALSE`:
    /// minimizes `sum_{j != l} (L_j^2)' C L_l^2 / 4` with `C = I - gamma / p` over
    /// oblique rotations of the loadings. `gamma = 0` (see [`Rotation::oblimin`]) is
    /// direct quartimin; larger `gamma` allows more correlated factors (GPArotation
    /// documents 0.5 as biquartimin). Stops when the projected gradient's norm is below
    /// `1e-8` (GPArotation's `eps` is 1e-5), or below `1e-6` once rounding stops every
    /// step from decreasing the criterion; not converging in 10,000 iterations is an
    /// [`Error::NotConverged`].
    Oblimin {
        /// The oblimin `gamma` (finite; 0 is quartimin).
        gamma: f64,
    },
}

impl Rotation {
    /// Direct oblimin with `gamma = 0` (direct quartimin), GPArotation's default.
    ///
    /// ```
    /// use patronage::factors::Rotation;
    /// assert_eq!(Rotation::oblimin(), Rotation::Oblimin { gamma: 0.0 });
    /// ```
    pub fn oblimin() -> Self {
        Rotation::Oblimin { gamma: 0.0 }
    }
}

/// How [`FittedFactors::scores`] estimates factor scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreMethod {
    /// Thomson's regression scores `Z R^-1 Λ` (times the factor correlations when
    /// oblique), as `factanal(scores = "regression")`.
    Regression,
    /// Bartlett's weighted least-squares scores `Z Ψ^-1 Λ (Λ' Ψ^-1 Λ)^-1`.
    Bartlett,
}

/// Factor analysis params (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FactorAnalysis {
    factors: usize,
    extraction: Extraction,
    rotation: Rotation,
    max_iter: usize,
    tol: f64,
}

impl FactorAnalysis {
    /// `factors` common factors, by maximum likelihood, varimax-rotated (R's
    /// `factanal` defaults); at most 1,000 iterations, tolerance 1e-10.
    pub fn params(factors: usize) -> Self {
        Self {
            factors,
            extraction: Extraction::MaximumLikelihood,
            rotation: Rotation::Varimax,
            max_iter: 1_000,
            tol: 1e-10,
        }
    }

    /// The extraction method.
    pub fn extraction(mut self, extraction: Extraction) -> Self {
        self.extraction = extraction;
        self
    }

    /// The rotation.
    pub fn rotation(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// Iteration limit and tolerance (gradient for maximum likelihood, largest
    /// change of a communality for principal axes).
    pub fn iterations(mut self, max_iter: usize, tol: f64) -> Self {
        self.max_iter = max_iter;
        self.tol = tol;
        self
    }
}

/// Fitted factors: loadings, uniquenesses, rotation and fit statistics.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawFactors")
)]
pub struct FittedFactors {
    loadings: Array2<f64>,
    uniquenesses: Vec<f64>,
    rotation_matrix: Option<Array2<f64>>,
    factor_correlations: Option<Array2<f64>>,
    extraction: Extraction,
    objective: Option<f64>,
    test: Option<ChiSquaredTest>,
    iterations: usize,
    inverse_correlation: Array2<f64>,
    means: Option<Vec<f64>>,
    sds: Option<Vec<f64>>,
}

impl Fit<&Correlation> for FactorAnalysis {
    type Fitted = FittedFactors;

    /// Extracts and rotates the factors.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for 0 factors, too many for the variables
    /// (maximum likelihood: the test's degrees of freedom `((p - k)^2 - p - k) / 2`
    /// must be `>= 0`, as in R; principal axes: `k < p`), or bad iteration settings;
    /// [`Error::InsufficientData`] for a correlation matrix that is not positive
    /// definite; [`Error::NotConverged`] when the extraction does not converge (or a
    /// principal-axis communality exceeds 1).
    fn fit(&self, corr: &Correlation) -> Result<FittedFactors> {
        let p = corr.matrix.nrows();
        let k = self.factors;
        let dof = ((p as f64 - k as f64).powi(2) - p as f64 - k as f64) / 2.0;
        let too_many = match self.extraction {
            Extraction::MaximumLikelihood => dof < 0.0,
            Extraction::PrincipalAxis => k >= p,
        };
        if k == 0 || too_many {
            return Err(crate::validate::invalid_parameter(
                "factors",
                k,
                format!("{k} factors are too many (or too few) for {p} variables"),
            ));
        }
        if self.max_iter == 0 || !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(crate::validate::invalid_parameter(
                "iterations",
                format!("{} / {}", self.max_iter, self.tol),
                "at least one iteration and a finite tolerance > 0",
            ));
        }
        let inverse = corr.inverse()?;
        let (loadings, uniquenesses, objective, iterations) = match self.extraction {
            Extraction::MaximumLikelihood => maximum_likelihood(corr, &inverse, k, self)?,
            Extraction::PrincipalAxis => principal_axis(corr, &inverse, k, self)?,
        };
        if let Rotation::Oblimin { gamma } = self.rotation
            && !gamma.is_finite()
        {
            return Err(crate::validate::invalid_parameter(
                "gamma",
                gamma,
                "a finite oblimin gamma (0 is quartimin)",
            ));
        }
        let (loadings, rotation_matrix, oblique) =
            rotate(loadings, self.rotation).map_err(|(rotations, reason)| Error::NotConverged {
                model: "factor analysis",
                iterations: rotations,
                reason,
                last_iterate: Vec::new(),
            })?;
        let phi = match (&rotation_matrix, oblique) {
            (Some(t), true) => {
                Some(
                    spd_inverse(t.t().dot(t).view()).ok_or_else(|| Error::NotConverged {
                        model: "factor analysis",
                        iterations,
                        reason: "the oblique rotation is singular".into(),
                        last_iterate: Vec::new(),
                    })?,
                )
            }
            _ => None,
        };
        let (loadings, phi, rotation_matrix) = sort_loadings(loadings, phi, rotation_matrix);
        let test = objective.map(|f| {
            let n = corr.n_obs as f64;
            let statistic = (n - 1.0 - (2.0 * p as f64 + 5.0) / 6.0 - 2.0 * k as f64 / 3.0) * f;
            chi_squared(statistic, dof)
        });
        Ok(FittedFactors {
            loadings,
            uniquenesses,
            rotation_matrix,
            factor_correlations: phi,
            extraction: self.extraction,
            objective,
            test: test.filter(|t| t.df > 0.0),
            iterations,
            inverse_correlation: inverse,
            means: corr.means.clone(),
            sds: corr.sds.clone(),
        })
    }
}

type Extracted = (Array2<f64>, Vec<f64>, Option<f64>, usize);

/// Loadings of the scaled matrix `Ψ^-1/2 S Ψ^-1/2`'s leading eigenvectors (R's
/// `FAout`), with the eigenvalues past the first `k`.
fn ml_loadings(s: &Array2<f64>, psi: &[f64], k: usize) -> (Array2<f64>, Vec<f64>) {
    let p = psi.len();
    let sc: Vec<f64> = psi.iter().map(|v| 1.0 / v.sqrt()).collect();
    let sstar = Array2::from_shape_fn((p, p), |(i, j)| s[[i, j]] * sc[i] * sc[j]);
    let (values, vectors) = symmetric_eigen(sstar.view());
    let load = Array2::from_shape_fn((p, k), |(i, j)| {
        vectors[[i, j]] * (values[j] - 1.0).max(0.0).sqrt() * psi[i].sqrt()
    });
    (load, values.to_vec())
}

fn maximum_likelihood(
    corr: &Correlation,
    inverse: &Array2<f64>,
    k: usize,
    params: &FactorAnalysis,
) -> Result<Extracted> {
    let s = &corr.matrix;
    let p = s.nrows();
    let (lo, span) = (MIN_UNIQUENESS, 1.0 - MIN_UNIQUENESS);
    // R's start: (1 - 0.5 k / p) / diag(S^-1), within the bounds.
    let start: Vec<f64> = (0..p)
        .map(|i| {
            let psi =
                ((1.0 - 0.5 * k as f64 / p as f64) / inverse[[i, i]]).clamp(lo + 1e-6, 1.0 - 1e-6);
            let u = (psi - lo) / span;
            (u / (1.0 - u)).ln()
        })
        .collect();
    let to_psi = |theta: &[f64]| -> Vec<f64> {
        theta
            .iter()
            .map(|t| lo + span / (1.0 + (-t).exp()))
            .collect()
    };
    let objective = |theta: &[f64], g: &mut [f64]| -> f64 {
        let psi = to_psi(theta);
        let (load, values) = ml_loadings(s, &psi, k);
        if values.iter().any(|e| *e <= 0.0 || e.is_nan()) {
            return f64::INFINITY;
        }
        let f = -(values[k..].iter().map(|e| e.ln() - e).sum::<f64>() - k as f64 + p as f64);
        for i in 0..p {
            let model: f64 = (0..k).map(|j| load[[i, j]] * load[[i, j]]).sum::<f64>() + psi[i];
            let dpsi = (model - s[[i, i]]) / (psi[i] * psi[i]);
            let u = 1.0 / (1.0 + (-theta[i]).exp());
            g[i] = dpsi * span * u * (1.0 - u);
        }
        f
    };
    let opts = OptimOptions {
        max_iter: params.max_iter,
        gtol: params.tol,
        ftol: 1e-16,
    };
    let m = bfgs(objective, &start, &opts);
    let psi = to_psi(&m.x);
    // At R's lower bound (a Heywood case) the gradient in the transformed parameter
    // vanishes only in the limit: accept a stop there.
    let at_bound = psi.iter().any(|v| *v < lo * (1.0 + 1e-3));
    if !m.value.is_finite() || (!m.converged && !at_bound) {
        return Err(Error::NotConverged {
            model: "factor analysis (maximum likelihood)",
            iterations: m.iterations,
            reason: format!("{} (largest gradient {:.3e})", m.message, m.gradient_norm()),
            last_iterate: psi,
        });
    }
    let (load, _) = ml_loadings(s, &psi, k);
    Ok((load, psi, Some(m.value), m.iterations))
}

fn principal_axis(
    corr: &Correlation,
    inverse: &Array2<f64>,
    k: usize,
    params: &FactorAnalysis,
) -> Result<Extracted> {
    let p = corr.matrix.nrows();
    let mut h2: Vec<f64> = (0..p).map(|i| 1.0 - 1.0 / inverse[[i, i]]).collect();
    let mut r = corr.matrix.clone();
    for it in 1..=params.max_iter {
        for i in 0..p {
            r[[i, i]] = h2[i];
        }
        let (values, vectors) = symmetric_eigen(r.view());
        if values[k - 1] <= 0.0 {
            return Err(Error::NotConverged {
                model: "factor analysis (principal axes)",
                iterations: it,
                reason: format!("eigenvalue {k} of the reduced matrix is not positive"),
                last_iterate: h2,
            });
        }
        let load = Array2::from_shape_fn((p, k), |(i, j)| vectors[[i, j]] * values[j].sqrt());
        let new: Vec<f64> = (0..p)
            .map(|i| (0..k).map(|j| load[[i, j]].powi(2)).sum())
            .collect();
        let change = new
            .iter()
            .zip(&h2)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        if let Some(i) = new.iter().position(|&c| c >= 1.0) {
            return Err(Error::NotConverged {
                model: "factor analysis (principal axes)",
                iterations: it,
                reason: format!(
                    "the communality of variable {i} reached {:.4} >= 1 (a Heywood case: \
                     try maximum likelihood, which bounds uniquenesses, or fewer factors)",
                    new[i]
                ),
                last_iterate: new,
            });
        }
        h2 = new;
        if change < params.tol {
            let u = h2.iter().map(|c| 1.0 - c).collect();
            return Ok((load, u, None, it));
        }
    }
    Err(Error::NotConverged {
        model: "factor analysis (principal axes)",
        iterations: params.max_iter,
        reason: "communalities still changing".into(),
        last_iterate: h2,
    })
}

/// The orthogonal polar factor `B (B'B)^-1/2` of a square matrix and the sum of its
/// singular values (R's `La.svd(B)`'s `u %*% vt` and `sum(d)`).
fn polar(b: &Array2<f64>) -> Option<(Array2<f64>, f64)> {
    let (values, vectors) = symmetric_eigen(b.t().dot(b).view());
    if values.iter().any(|v| *v <= 0.0 || v.is_nan()) {
        return None;
    }
    let s: Vec<f64> = values.iter().map(|v| v.sqrt()).collect();
    let k = s.len();
    let inv_root = Array2::from_shape_fn((k, k), |(i, j)| {
        (0..k)
            .map(|l| vectors[[i, l]] * vectors[[j, l]] / s[l])
            .sum()
    });
    Some((b.dot(&inv_root), s.iter().sum()))
}

/// R's `varimax(x, normalize = TRUE, eps = 1e-5)`: loadings and rotation matrix.
fn varimax(x: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let (p, k) = x.dim();
    let sc: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    let xn = Array2::from_shape_fn(
        (p, k),
        |(i, j)| if sc[i] > 0.0 { x[[i, j]] / sc[i] } else { 0.0 },
    );
    let mut tt = Array2::<f64>::eye(k);
    let mut d = 0.0;
    for _ in 0..1000 {
        let z = xn.dot(&tt);
        let col_ss: Vec<f64> = z.columns().into_iter().map(|c| c.dot(&c)).collect();
        let target = Array2::from_shape_fn((p, k), |(i, j)| {
            z[[i, j]].powi(3) - z[[i, j]] * col_ss[j] / p as f64
        });
        let b = xn.t().dot(&target);
        let Some((next, sum_d)) = polar(&b) else {
            break;
        };
        tt = next;
        let dpast = d;
        d = sum_d;
        if d < dpast * (1.0 + 1e-5) {
            break;
        }
    }
    let mut z = xn.dot(&tt);
    for (mut row, s) in z.rows_mut().into_iter().zip(&sc) {
        row *= *s;
    }
    (z, tt)
}

/// R's `promax(x, m = 4)`: loadings and rotation matrix (from the unrotated loadings).
fn promax(x: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let (v, vrot) = varimax(x);
    let q = v.mapv(|a| a * a.abs().powi(3));
    // Least squares of Q on the varimax loadings: U = (V'V)^-1 V'Q.
    let Some(vtv_inv) = spd_inverse(v.t().dot(&v).view()) else {
        return (v, vrot);
    };
    let u = vtv_inv.dot(&v.t().dot(&q));
    let Some(utu_inv) = spd_inverse(u.t().dot(&u).view()) else {
        return (v, vrot);
    };
    let k = u.ncols();
    let scaled = Array2::from_shape_fn((u.nrows(), k), |(i, j)| u[[i, j]] * utu_inv[[j, j]].sqrt());
    (v.dot(&scaled), vrot.dot(&scaled))
}

/// Rotated loadings, the rotation matrix (None without rotation), and whether oblique;
/// an oblimin that does not converge gives its iterations and the reason.
type Rotated = (Array2<f64>, Option<Array2<f64>>, bool);

fn rotate(
    loadings: Array2<f64>,
    rotation: Rotation,
) -> std::result::Result<Rotated, (usize, String)> {
    if loadings.ncols() < 2 {
        return Ok((loadings, None, false));
    }
    Ok(match rotation {
        Rotation::None => (loadings, None, false),
        Rotation::Varimax => {
            let (l, t) = varimax(&loadings);
            (l, Some(t), false)
        }
        Rotation::Promax => {
            let (l, t) = promax(&loadings);
            (l, Some(t), true)
        }
        Rotation::Oblimin { gamma } => {
            let (l, t) = oblimin(&loadings, gamma)?;
            (l, Some(t), true)
        }
    })
}

/// The inverse of a small square matrix by Gauss-Jordan elimination with partial
/// pivoting; `None` when (numerically) singular.
fn small_inverse(a: ndarray::ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let k = a.nrows();
    let mut m = a.to_owned();
    let mut inv = Array2::<f64>::eye(k);
    let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    for c in 0..k {
        let piv = (c..k).max_by(|&x, &y| m[[x, c]].abs().total_cmp(&m[[y, c]].abs()))?;
        // Also catches a NaN pivot.
        if m[[piv, c]].abs().is_nan() || m[[piv, c]].abs() <= 1e-14 * scale {
            return None;
        }
        for j in 0..k {
            m.swap([c, j], [piv, j]);
            inv.swap([c, j], [piv, j]);
        }
        let d = m[[c, c]];
        for j in 0..k {
            m[[c, j]] /= d;
            inv[[c, j]] /= d;
        }
        for r in 0..k {
            if r != c {
                let f = m[[r, c]];
                if f != 0.0 {
                    for j in 0..k {
                        m[[r, j]] -= f * m[[c, j]];
                        inv[[r, j]] -= f * inv[[c, j]];
                    }
                }
            }
        }
    }
    Some(inv)
}

/// The oblimin criterion of loadings `l` and its gradient (GPArotation's
/// `vgQ.oblimin`): `X = C (L^2 N)` with `N` ones off the diagonal and
/// `C = I - gamma / p`; `f = sum(L^2 * X) / 4`, gradient `L * X`.
fn oblimin_criterion(l: &Array2<f64>, gamma: f64) -> (f64, Array2<f64>) {
    let (p, k) = l.dim();
    let sq = l.mapv(|v| v * v);
    // L^2 N: each entry is the row's sum of squares minus its own.
    let mut x = Array2::from_shape_fn((p, k), |(i, j)| sq.row(i).sum() - sq[[i, j]]);
    if gamma != 0.0 {
        let col_mean: Vec<f64> = x
            .columns()
            .into_iter()
            .map(|c| c.sum() / p as f64)
            .collect();
        for ((_, j), v) in x.indexed_iter_mut() {
            *v -= gamma * col_mean[j];
        }
    }
    let f = (&sq * &x).sum() / 4.0;
    (f, l * &x)
}

/// Direct oblimin by GPArotation's `GPFoblq` (gradient projection for oblique
/// rotations, Jennrich 2002) from the identity: returns the loadings `A T'^-1` and the
/// rotation matrix `T'^-1` (so the factor correlations are `T' T`).
fn oblimin(
    a: &Array2<f64>,
    gamma: f64,
) -> std::result::Result<(Array2<f64>, Array2<f64>), (usize, String)> {
    const EPS: f64 = 1e-8;
    const STALL: f64 = 1e-6;
    const MAX_ITER: usize = 10_000;
    let k = a.ncols();
    let singular = |it: usize| (it, "the oblimin rotation became singular".to_string());
    // Loadings A T'^-1 and the gradient -(L' Gq T^-1)' for a rotation T.
    let at = |t: &Array2<f64>| -> Option<(Array2<f64>, f64, Array2<f64>)> {
        let ti = small_inverse(t.view())?;
        let l = a.dot(&ti.t());
        let (f, gq) = oblimin_criterion(&l, gamma);
        let g = -(l.t().dot(&gq).dot(&ti)).reversed_axes();
        Some((l, f, g))
    };
    let mut t = Array2::<f64>::eye(k);
    let (mut l, mut f, mut g) = at(&t).ok_or_else(|| singular(0))?;
    let mut al = 1.0;
    for it in 0..=MAX_ITER {
        // Project the gradient onto the tangent space of unit-length columns.
        let d: Vec<f64> = (0..k).map(|j| t.column(j).dot(&g.column(j))).collect();
        let gp = Array2::from_shape_fn((k, k), |(i, j)| g[[i, j]] - t[[i, j]] * d[j]);
        let s = gp.iter().map(|v| v * v).sum::<f64>().sqrt();
        if s < EPS {
            return Ok((
                l,
                small_inverse(t.view())
                    .ok_or_else(|| singular(it))?
                    .reversed_axes(),
            ));
        }
        if it == MAX_ITER {
            break;
        }
        al *= 2.0;
        let mut next = None;
        let mut improved = false;
        for _ in 0..=10 {
            let mut x = &t - &(&gp * al);
            for mut c in x.columns_mut() {
                let norm = c.dot(&c).sqrt();
                c /= norm;
            }
            let Some((lt, ft, gt)) = at(&x) else {
                al /= 2.0;
                continue;
            };
            let better = f - ft > 0.5 * s * s * al;
            next = Some((x, lt, ft, gt));
            if better {
                improved = true;
                break;
            }
            al /= 2.0;
        }
        let Some((x, lt, ft, gt)) = next else {
            return Err(singular(it));
        };
        if !improved && s < STALL {
            // Rounding: no step decreases the criterion any more, near a stationary
            // point (GPArotation would stop at its own eps = 1e-5 long before).
            return Ok((
                l,
                small_inverse(t.view())
                    .ok_or_else(|| singular(it))?
                    .reversed_axes(),
            ));
        }
        t = x;
        l = lt;
        f = ft;
        g = gt;
    }
    Err((
        MAX_ITER,
        "the oblimin rotation did not converge in 10000 iterations".to_string(),
    ))
}

/// R's `sortLoadings`: columns by decreasing sum of squares, each signed so its sum is
/// positive; the factor correlations and rotation matrix follow.
fn sort_loadings(
    l: Array2<f64>,
    phi: Option<Array2<f64>>,
    rot: Option<Array2<f64>>,
) -> (Array2<f64>, Option<Array2<f64>>, Option<Array2<f64>>) {
    let k = l.ncols();
    let ss: Vec<f64> = l.columns().into_iter().map(|c| c.dot(&c)).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| ss[b].total_cmp(&ss[a]));
    let sign: Vec<f64> = order
        .iter()
        .map(|&j| if l.column(j).sum() < 0.0 { -1.0 } else { 1.0 })
        .collect();
    let loadings = Array2::from_shape_fn(l.dim(), |(i, c)| sign[c] * l[[i, order[c]]]);
    let phi = phi.map(|f| {
        Array2::from_shape_fn((k, k), |(a, b)| sign[a] * sign[b] * f[[order[a], order[b]]])
    });
    let rot = rot.map(|t| Array2::from_shape_fn(t.dim(), |(i, c)| sign[c] * t[[i, order[c]]]));
    (loadings, phi, rot)
}

fn standardize(
    data: ArrayView2<'_, f64>,
    means: Option<&[f64]>,
    sds: Option<&[f64]>,
) -> Result<Array2<f64>> {
    let (Some(means), Some(sds)) = (means, sds) else {
        return Err(crate::validate::invalid_parameter(
            "data",
            "scores",
            "scores need a model fitted from data (Correlation::from_data), which keeps \
             the means and standard deviations",
        ));
    };
    crate::validate::same_len("data columns", means.len(), data.ncols())?;
    for (row, values) in data.rows().into_iter().enumerate() {
        for &v in values {
            crate::validate::finite("data", row, v)?;
        }
    }
    let mut z = data.to_owned();
    for (j, mut c) in z.columns_mut().into_iter().enumerate() {
        c.mapv_inplace(|v| (v - means[j]) / sds[j]);
    }
    Ok(z)
}

impl FittedFactors {
    /// Loadings, one row per variable and one column per factor, sorted and signed as
    /// `factanal` prints them (pattern loadings for promax).
    pub fn loadings(&self) -> &Array2<f64> {
        &self.loadings
    }

    /// Uniquenesses `ψ` (the variance of each variable the factors leave).
    pub fn uniquenesses(&self) -> &[f64] {
        &self.uniquenesses
    }

    /// Communalities `1 - ψ`.
    pub fn communalities(&self) -> Vec<f64> {
        self.uniquenesses.iter().map(|u| 1.0 - u).collect()
    }

    /// The rotation matrix (R's `rotmat`), `None` without rotation.
    pub fn rotation_matrix(&self) -> Option<&Array2<f64>> {
        self.rotation_matrix.as_ref()
    }

    /// Factor correlations of an oblique rotation (promax, oblimin), `None` for
    /// orthogonal ones.
    pub fn factor_correlations(&self) -> Option<&Array2<f64>> {
        self.factor_correlations.as_ref()
    }

    /// The extraction method.
    pub fn extraction(&self) -> Extraction {
        self.extraction
    }

    /// Maximum likelihood: the minimized discrepancy (R's `criteria["objective"]`).
    pub fn objective(&self) -> Option<f64> {
        self.objective
    }

    /// Maximum likelihood with positive degrees of freedom: the test that `k` factors
    /// suffice (R's `STATISTIC`, `dof`, `PVAL`).
    pub fn test(&self) -> Option<ChiSquaredTest> {
        self.test
    }

    /// Iterations of the extraction.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Variables whose uniqueness sits at R's lower bound [`MIN_UNIQUENESS`] (Heywood
    /// cases), by index.
    pub fn heywood(&self) -> Vec<usize> {
        self.uniquenesses
            .iter()
            .enumerate()
            .filter(|(_, u)| **u < MIN_UNIQUENESS * (1.0 + 1e-3))
            .map(|(i, _)| i)
            .collect()
    }

    /// Factor scores of data with the fitted columns (standardized with the fitted
    /// means and standard deviations, as `factanal` scores its own data).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a model fitted from a given matrix (no means
    /// and deviations); [`Error::LengthMismatch`] for another number of columns;
    /// [`Error::NonFinite`] naming the row of a bad value; [`Error::InsufficientData`]
    /// when Bartlett's `Λ'Ψ^-1Λ` is singular.
    pub fn scores(&self, data: ArrayView2<'_, f64>, method: ScoreMethod) -> Result<Array2<f64>> {
        let z = standardize(data, self.means.as_deref(), self.sds.as_deref())?;
        let l = &self.loadings;
        match method {
            ScoreMethod::Regression => {
                let mut w = self.inverse_correlation.dot(l);
                if let Some(phi) = &self.factor_correlations {
                    w = w.dot(phi);
                }
                Ok(z.dot(&w))
            }
            ScoreMethod::Bartlett => {
                let mut lt_psi = l.t().to_owned();
                for (mut c, u) in lt_psi.columns_mut().into_iter().zip(&self.uniquenesses) {
                    c /= *u;
                }
                let inv = spd_inverse(lt_psi.dot(l).view()).ok_or_else(not_positive_definite)?;
                Ok(z.dot(&lt_psi.t()).dot(&inv.t()))
            }
        }
    }
}

/// Means and standard deviations of a saved model: both or neither, one per variable,
/// finite, deviations `> 0`.
#[cfg(feature = "serde")]
fn check_standardization(p: usize, means: Option<&[f64]>, sds: Option<&[f64]>) -> Result<()> {
    match (means, sds) {
        (Some(m), Some(s)) => {
            crate::validate::same_len("means", p, m.len())?;
            crate::validate::same_len("sds", p, s.len())?;
            crate::validate::all_finite("means", m)?;
            match s
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v > 0.0))
            {
                Some((row, &v)) => Err(crate::validate::invalid_value(
                    "sds",
                    row,
                    v,
                    "a standard deviation is finite and > 0",
                )),
                None => Ok(()),
            }
        }
        (None, None) => Ok(()),
        _ => Err(crate::validate::invalid_parameter(
            "means",
            "one of means and sds",
            "means and sds come together",
        )),
    }
}

/// What a saved principal-components model holds, checked before it becomes one.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawPca {
    eigenvalues: Vec<f64>,
    components: Array2<f64>,
    means: Option<Vec<f64>>,
    sds: Option<Vec<f64>>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawPca> for FittedPca {
    type Error = Error;

    fn try_from(raw: RawPca) -> Result<Self> {
        let p = raw.eigenvalues.len();
        crate::validate::same_len("components rows", p, raw.components.nrows())?;
        if raw.components.ncols() == 0 || raw.components.ncols() > p {
            return Err(crate::validate::invalid_parameter(
                "components",
                raw.components.ncols(),
                format!("between 1 and the number of eigenvalues ({p})"),
            ));
        }
        crate::validate::all_finite("eigenvalues", &raw.eigenvalues)?;
        crate::validate::all_finite(
            "components",
            &raw.components.iter().copied().collect::<Vec<_>>(),
        )?;
        check_standardization(p, raw.means.as_deref(), raw.sds.as_deref())?;
        Ok(Self {
            eigenvalues: raw.eigenvalues,
            components: raw.components,
            means: raw.means,
            sds: raw.sds,
        })
    }
}

/// What a saved factor model holds, checked before it becomes one.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawFactors {
    loadings: Array2<f64>,
    uniquenesses: Vec<f64>,
    rotation_matrix: Option<Array2<f64>>,
    factor_correlations: Option<Array2<f64>>,
    extraction: Extraction,
    objective: Option<f64>,
    test: Option<ChiSquaredTest>,
    iterations: usize,
    inverse_correlation: Array2<f64>,
    means: Option<Vec<f64>>,
    sds: Option<Vec<f64>>,
}

#[cfg(feature = "serde")]
impl TryFrom<RawFactors> for FittedFactors {
    type Error = Error;

    fn try_from(raw: RawFactors) -> Result<Self> {
        let (p, k) = raw.loadings.dim();
        crate::validate::same_len("uniquenesses", p, raw.uniquenesses.len())?;
        crate::validate::same_len("inverse_correlation", p * p, raw.inverse_correlation.len())?;
        crate::validate::same_len(
            "inverse_correlation rows",
            p,
            raw.inverse_correlation.nrows(),
        )?;
        for (field, values) in [
            ("loadings", raw.loadings.iter().copied().collect::<Vec<_>>()),
            ("uniquenesses", raw.uniquenesses.clone()),
            (
                "inverse_correlation",
                raw.inverse_correlation.iter().copied().collect(),
            ),
        ] {
            crate::validate::all_finite(field, &values)?;
        }
        if let Some((row, &u)) = raw
            .uniquenesses
            .iter()
            .enumerate()
            .find(|(_, u)| !(**u > 0.0 && **u <= 1.0))
        {
            return Err(crate::validate::invalid_value(
                "uniquenesses",
                row,
                u,
                "a uniqueness is in (0, 1]",
            ));
        }
        for (field, m) in [
            ("rotation_matrix", &raw.rotation_matrix),
            ("factor_correlations", &raw.factor_correlations),
        ] {
            if let Some(m) = m {
                crate::validate::same_len(field, k * k, m.len())?;
                crate::validate::same_len(field, k, m.nrows())?;
                crate::validate::all_finite(field, &m.iter().copied().collect::<Vec<_>>())?;
            }
        }
        check_standardization(p, raw.means.as_deref(), raw.sds.as_deref())?;
        Ok(Self {
            loadings: raw.loadings,
            uniquenesses: raw.uniquenesses,
            rotation_matrix: raw.rotation_matrix,
            factor_correlations: raw.factor_correlations,
            extraction: raw.extraction,
            objective: raw.objective,
            test: raw.test,
            iterations: raw.iterations,
            inverse_correlation: raw.inverse_correlation,
            means: raw.means,
            sds: raw.sds,
        })
    }
}
