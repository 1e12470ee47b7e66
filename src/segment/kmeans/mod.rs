//! k-means clustering: Lloyd's algorithm and Hamerly's exact accelerated variant,
//! k-means++ (greedy) / random / given initial centroids, restarts, empty-cluster
//! re-seeding.
//!
//! The iteration follows scikit-learn's Lloyd exactly: each iteration assigns every
//! point to its nearest centroid and moves each centroid to the mean of its points; the
//! fit stops when no label changes ("strict convergence") or when the summed squared
//! centroid shift is at most `tol * mean(var(X, axis=0))`, and after a non-strict stop
//! the labels are recomputed against the final centroids. From the same initial
//! centroids it gives scikit-learn's labels, centroids, inertia and iteration count.
//! Hamerly's algorithm (2010) keeps an upper bound on each point's distance to its
//! centroid and a lower bound on the distance to the second-closest, and skips points
//! whose bounds prove the assignment cannot change: the same result as Lloyd with far
//! fewer distance computations once centroids settle.
//!
//! Work is split over fixed chunks of points and reduced in chunk order, so results are
//! identical for any number of threads.
//!
//! ```
//! use ndarray::array;
//! use patronage::prelude::*;
//! use patronage::segment::KMeans;
//!
//! let x = array![[1.0, 1.0], [1.2, 0.8], [0.9, 1.1], [8.0, 8.0], [8.2, 7.9], [7.9, 8.1]];
//! let model = KMeans::params(2).seed(7).fit(x.view())?;
//! assert_eq!(model.labels()[0], model.labels()[2]);
//! assert_ne!(model.labels()[0], model.labels()[3]);
//! assert!(model.inertia() < 0.2);
//! assert_eq!(model.predict(array![[7.5, 7.5]].view())?[0], model.labels()[3]);
//! # Ok::<(), patronage::Error>(())
//! ```

mod assign;
mod data;
mod distance;
mod hamerly;
mod init;
mod lloyd;
#[cfg(feature = "serde")]
mod load;
mod run;

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use self::data::{Data, SafeScale, count_distinct_rows, mean_variance};
use self::distance::nearest;
use self::init::{kmeans_plus_plus, random_rows};
#[cfg(feature = "serde")]
use self::load::RawKMeans;
use self::run::run_kmeans;
use crate::error::{Error, Result};
use crate::kernels::{check_finite, mix};
use crate::model::{Clusterer, Fit, Optimized, Optimizer};

/// How initial centroids are chosen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Init {
    /// Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's
    /// `2 + ln k` candidates per step, keeping the one that lowers the potential most).
    KMeansPlusPlus,
    /// `k` distinct rows drawn uniformly.
    Random,
    /// These centroids (`k x d`); `n_init` is then 1.
    Given(Array2<f64>),
}

/// Which iteration to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Algorithm {
    /// Plain Lloyd iterations: every distance, every iteration.
    Lloyd,
    /// Hamerly's bounds: the same result as Lloyd, skipping provably unchanged points.
    Hamerly,
    /// Hamerly when there are at least 1,000 points with 16 or more features and more
    /// than one cluster, else Lloyd. Lloyd's assignment runs a vectorized `f32` first
    /// tier whose cost grows with `k d`; Hamerly computes exact distances but skips
    /// most points once clusters settle. On 200,000 Gaussian points, Hamerly ran
    /// 1.4 to 2.6 times faster with 32 features, while with 8 features Lloyd was faster
    /// in five of seven settings (up to 1.7 times at k = 64 and 128).
    Auto,
}

/// k-means parameters (a builder); [`Fit::fit`] returns a [`FittedKMeans`].
///
/// Its [`Optimizer`] settings ([`Optimized`]) are the iterations per run
/// (`.max_iter(n)`, default 300) and the convergence tolerance (`.tol(t)`, default
/// 1e-4) on the summed squared centroid shift, relative to the mean per-feature
/// variance of the data (scikit-learn's definition). As in scikit-learn, and unlike
/// [`Optimizer::check`], a `tol` of 0 is allowed (the fit then stops only when no
/// label changes) and so is `max_iter` 0 (the labels of the initial centroids); k-means
/// has no penalty, and the optimizer's `penalty` is ignored.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KMeans {
    k: usize,
    init: Init,
    n_init: usize,
    optimizer: Optimizer,
    pub(super) seed: u64,
    algorithm: Algorithm,
}

impl KMeans {
    /// `k` clusters with scikit-learn's defaults: k-means++ initialisation, 10 restarts
    /// (`n_init`), at most 300 iterations, `tol` 1e-4, seed 0, automatic algorithm.
    pub fn params(k: usize) -> Self {
        Self {
            k,
            init: Init::KMeansPlusPlus,
            n_init: 10,
            optimizer: Optimizer::new(300, 1e-4),
            seed: 0,
            algorithm: Algorithm::Auto,
        }
    }

    /// The number of clusters.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// The initialisation.
    ///
    /// ```
    /// use ndarray::array;
    /// use patronage::prelude::*;
    /// use patronage::segment::{Init, KMeans};
    /// let x = array![[0.0], [1.0], [10.0], [11.0]];
    /// let m = KMeans::params(2).init(Init::Given(array![[0.0], [10.0]])).fit(x.view())?;
    /// assert_eq!(m.labels(), &[0, 0, 1, 1]);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Restarts from different random initialisations; the lowest inertia wins.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Seed of the random initialisations.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The iteration algorithm.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The initialization these params use (for code that runs the iterations
    /// elsewhere, such as a distributed fit).
    pub fn initialization(&self) -> &Init {
        &self.init
    }

    /// The seed these params use.
    pub fn random_seed(&self) -> u64 {
        self.seed
    }

    /// The fit on `x` scaled by a power of two so that its largest |value| is about 1:
    /// for data whose squared distances or sums would overflow (or underflow) f64.
    /// Scaling by a power of two is exact, so the labels are those of the data, and
    /// the centroids and inertia are scaled back.
    fn fit_rescaled(&self, x: ArrayView2<f64>) -> Result<FittedKMeans> {
        check_finite(&x)?;
        let max_abs = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let s = super::scale::pow2_scale(max_abs);
        let scaled = x.mapv(|v| v * s);
        let mut params = self.clone();
        if let Init::Given(c) = &self.init {
            let c = c.mapv(|v| v * s);
            if c.iter().any(|v| !v.is_finite()) {
                return Err(invalid(
                    "init",
                    "centroids far from the data",
                    "the given centroids are so far from the data that their distances overflow f64",
                ));
            }
            params.init = Init::Given(c);
        }
        let mut fit = params
            .fit_guarded(scaled.view(), false)?
            .ok_or_else(|| invalid("x", "unscalable", "the data could not be rescaled"))?;
        fit.centroids.mapv_inplace(|v| v / s);
        fit.inertia = fit.inertia / s / s;
        if !fit.inertia.is_finite() {
            // Name the row with the largest value: the one that makes the spread so wide.
            let (row, value) = x
                .rows()
                .into_iter()
                .enumerate()
                .flat_map(|(i, r)| r.iter().map(move |&v| (i, v)).collect::<Vec<_>>())
                .fold((0, 0.0f64), |best, (i, v)| {
                    if v.abs() > best.1.abs() { (i, v) } else { best }
                });
            return Err(Error::InvalidValue {
                field: "x",
                row,
                value,
                reason: "the inertia (summed squared distances to the centroids) of these \
                         data is beyond the range of f64; rescale the features"
                    .into(),
            });
        }
        Ok(fit)
    }

    /// The fit, or `None` (when `guard`) if the data's scale is outside the range where
    /// squared distances and sums are safe in f64: the caller then refits rescaled.
    fn fit_guarded(&self, x: ArrayView2<f64>, guard: bool) -> Result<Option<FittedKMeans>> {
        let (n, d) = x.dim();
        if n == 0 {
            return Err(Error::Empty { field: "x" });
        }
        if d == 0 {
            return Err(invalid(
                "x",
                "0 columns",
                "the data need at least one column",
            ));
        }
        if self.k == 0 {
            return Err(invalid("k", "0", "ask for at least one cluster"));
        }
        Error::check_count("n_init", self.n_init, 1, "MAX_N_INIT", MAX_N_INIT)?;
        let Optimizer { max_iter, tol, .. } = self.optimizer;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(invalid("tol", &tol.to_string(), "must be finite and >= 0"));
        }
        let distinct = count_distinct_rows(&x, self.k);
        if self.k > distinct {
            return Err(invalid(
                "k",
                &self.k.to_string(),
                &format!("larger than the number of distinct rows ({distinct})"),
            ));
        }
        if let Init::Given(c) = &self.init {
            if c.dim() != (self.k, d) {
                return Err(invalid(
                    "init",
                    &format!("{:?}", c.dim()),
                    &format!("given centroids must be k x d = {} x {d}", self.k),
                ));
            }
            if c.iter().any(|v| !v.is_finite()) {
                return Err(invalid(
                    "init",
                    "non-finite centroid",
                    "centroids must be finite",
                ));
            }
        }

        // NaN and infinite values are caught on the data's first full pass (the
        // variance, the first k-means++ pass, or the first assignment pass): a
        // non-finite value makes that pass's result non-finite, and only then are the
        // rows scanned to name the first bad one. That pass's work is wasted on bad
        // input; on good input the data are read once less.
        let data = Data::new(&x);
        let mut validated = false;
        let safe = SafeScale::new(n, d);
        let tol = if tol > 0.0 {
            let (variance, max_abs) = mean_variance(&data);
            if !variance.is_finite() {
                check_finite(&x)?;
            }
            validated = true;
            if guard && !safe.holds(max_abs) {
                return Ok(None);
            }
            tol * variance
        } else {
            0.0
        };
        let hamerly = match self.algorithm {
            Algorithm::Lloyd => false,
            Algorithm::Hamerly => true,
            Algorithm::Auto => n >= 1000 && d >= 16 && self.k > 1,
        };
        // Without a pass before the first assignment, scan the data now (max_iter = 0
        // is the only such case that skips the assignment's check).
        if guard && max_iter == 0 {
            check_finite(&x)?;
            let max_abs = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if !safe.holds(max_abs) {
                return Ok(None);
            }
        }
        let guard = guard.then_some(safe);
        let runs = if matches!(self.init, Init::Given(_)) {
            1
        } else {
            self.n_init
        };
        let mut best: Option<FittedKMeans> = None;
        for run in 0..runs {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(self.seed, run as u64));
            let centroids = match &self.init {
                Init::Given(c) => c.iter().copied().collect(),
                Init::KMeansPlusPlus => {
                    let (centroids, finite) = kmeans_plus_plus(&data, self.k, &mut rng);
                    if !validated && !finite {
                        check_finite(&x)?;
                    }
                    validated = true;
                    centroids
                }
                Init::Random => random_rows(&data, self.k, &mut rng),
            };
            let check = (!validated).then_some(&x);
            let Some(fit) = run_kmeans(
                &data, centroids, self.k, max_iter, tol, hamerly, check, guard,
            )?
            else {
                return Ok(None);
            };
            validated = true;
            if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
                best = Some(fit);
            }
        }
        // runs >= 1, so best is set.
        best.ok_or_else(|| invalid("n_init", "0", "run at least once"))
            .map(Some)
    }
}

impl Fit<ArrayView2<'_, f64>> for KMeans {
    type Fitted = FittedKMeans;

    /// Clusters the rows of `x` (`n x d`).
    ///
    /// # Errors
    /// [`Error::Empty`] for no rows; [`Error::InvalidParameter`] for zero columns,
    /// `k = 0`, `k` larger than the number of distinct rows, `n_init` of 0 or above
    /// [`MAX_N_INIT`], a negative or non-finite `tol`, or given centroids of the wrong
    /// shape or with non-finite values; [`Error::NonFinite`] for a NaN or infinite
    /// value in `x` (naming its row).
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedKMeans> {
        match self.fit_guarded(x, true)? {
            Some(fit) => Ok(fit),
            None => self.fit_rescaled(x),
        }
    }
}

impl Optimized for KMeans {
    fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    fn optimizer_mut(&mut self) -> &mut Optimizer {
        &mut self.optimizer
    }
}

fn invalid(name: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidParameter {
        name,
        value: value.into(),
        reason: reason.into(),
    }
}

/// Most restarts (`n_init`) a k-means fit runs: each is a whole fit, so the limit
/// bounds the work by the data's size (scikit-learn's default is 1 to 10).
pub const MAX_N_INIT: usize = 1_000;

/// A fitted k-means model: centroids, the training labels, inertia and how the fit went.
///
/// With serde, a model is checked as it is read: at least one centroid with at least
/// one column, finite centroids, every label below the number of centroids, a finite
/// non-negative inertia. A file that breaks one of these is an [`Error`] (naming the
/// field) at load time.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawKMeans")
)]
pub struct FittedKMeans {
    centroids: Array2<f64>,
    labels: Vec<usize>,
    inertia: f64,
    iterations: usize,
    converged: bool,
}

impl FittedKMeans {
    /// A model from its parts: centroids computed elsewhere (a distributed fit, a table
    /// of centroids kept by another system), the labels of the rows it was fitted on
    /// (empty when they were not kept), the inertia, and how the fit went. Checked as a
    /// saved model is on load.
    ///
    /// # Errors
    /// [`Error::Empty`] without centroids or columns; [`Error::NonFinite`] naming the
    /// centroid; [`Error::InvalidValue`] for a label at or above `k`;
    /// [`Error::Negative`] or [`Error::NonFinite`] for the inertia.
    ///
    /// ```
    /// use ndarray::array;
    /// use patronage::prelude::*;
    /// use patronage::segment::FittedKMeans;
    /// let model = FittedKMeans::from_parts(array![[0.0, 0.0], [5.0, 5.0]], vec![], 1.5, 4, true)?;
    /// assert_eq!(model.predict(array![[4.0, 4.5]].view())?, vec![1]);
    /// assert!(FittedKMeans::from_parts(array![[f64::NAN, 0.0]], vec![], 0.0, 1, true).is_err());
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn from_parts(
        centroids: Array2<f64>,
        labels: Vec<usize>,
        inertia: f64,
        iterations: usize,
        converged: bool,
    ) -> Result<Self> {
        let (k, d) = centroids.dim();
        if k == 0 {
            return Err(Error::Empty { field: "centroids" });
        }
        if d == 0 {
            return Err(Error::Empty {
                field: "centroids columns",
            });
        }
        crate::kernels::check_finite_named("centroids", &centroids.view())?;
        if let Some((row, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= k) {
            return Err(Error::InvalidValue {
                field: "labels",
                row,
                value: label as f64,
                reason: format!("a label is below the number of centroids, {k}"),
            });
        }
        crate::validate::all_non_negative("inertia", &[inertia])?;
        Ok(FittedKMeans {
            centroids,
            labels,
            inertia,
            iterations,
            converged,
        })
    }

    /// The centroids, `k x d`.
    pub fn centroids(&self) -> &Array2<f64> {
        &self.centroids
    }

    /// The cluster of each training row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Sum of squared distances of the training rows to their centroids.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Iterations of the best run.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// Whether the best run converged before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    fn check(&self, x: &ArrayView2<f64>) -> Result<()> {
        crate::kernels::check_columns(x, self.centroids.ncols())?;
        check_finite(x)
    }

    /// Euclidean distance of each row of `x` to each centroid (`n x k`).
    ///
    /// # Errors
    /// As [`Clusterer::predict`]; [`Error::InvalidValue`] naming the row when a
    /// distance is beyond the range of f64.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.check(&x)?;
        let k = self.n_clusters();
        let mut out = Array2::from_shape_fn((x.nrows(), k), |(i, c)| {
            x.row(i)
                .iter()
                .zip(self.centroids.row(c))
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                .sqrt()
        });
        // Overflowed or possibly underflowed squares: recompute those with scaling.
        for ((i, c), o) in out.indexed_iter_mut() {
            if !(o.is_finite() && *o >= 1e-140) {
                let row = x.row(i).to_vec();
                let centroid = self.centroids.row(c).to_vec();
                let (half, _) = scaled_distance(&row, &centroid);
                *o = 2.0 * half;
                if !o.is_finite() {
                    let value = row
                        .iter()
                        .fold(0.0f64, |m, v| if v.abs() > m.abs() { *v } else { m });
                    return Err(Error::InvalidValue {
                        field: "x",
                        row: i,
                        value,
                        reason: format!("its distance to centroid {c} is beyond the range of f64"),
                    });
                }
            }
        }
        Ok(out)
    }
}

impl Clusterer for FittedKMeans {
    fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// The nearest centroid of each row of `x`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] for the wrong number of columns; [`Error::NonFinite`].
    fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>> {
        self.check(&x)?;
        let (k, d) = self.centroids.dim();
        let c: Vec<f64> = self.centroids.iter().copied().collect();
        Ok(x.rows()
            .into_iter()
            .map(|r| {
                let row: Vec<f64> = r.to_vec();
                let (best, dist) = nearest(&row, &c, k, d);
                // Squared distances that overflowed or may have underflowed: compare
                // the distances computed with scaling instead.
                if dist.is_finite() && dist >= 1e-280 {
                    best
                } else {
                    (0..k)
                        .map(|j| scaled_distance(&row, &c[j * d..(j + 1) * d]))
                        .enumerate()
                        .fold(
                            (0, f64::INFINITY),
                            |b, (j, v)| if v.1 < b.1 { (j, v.1) } else { b },
                        )
                        .0
                }
            })
            .collect())
    }
}

/// Half the Euclidean distance from `a` to `b` computed without overflow or underflow
/// of the squares (as `hypot`), and its logarithm (which orders distances even when
/// the distance itself is beyond f64): `(t sqrt(s), ln t + ln(s) / 2)` with `t` the
/// largest half-difference.
fn scaled_distance(a: &[f64], b: &[f64]) -> (f64, f64) {
    // Halved, a difference of finite values cannot overflow.
    let t = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x * 0.5 - y * 0.5).abs()));
    if t == 0.0 {
        return (0.0, f64::NEG_INFINITY);
    }
    let ss: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let e = (x * 0.5 - y * 0.5) / t;
            e * e
        })
        .sum();
    (t * ss.sqrt(), t.ln() + 0.5 * ss.ln())
}
