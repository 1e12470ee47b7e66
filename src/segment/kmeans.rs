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

use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};
use crate::kernels::{
    CHUNK, check_finite, fmax, map_chunks, map_chunks_mut, mix, sample_indices, zip_chunks_mut,
};
use crate::math::simd::vectorized;
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

/// The range of squared magnitudes (of |x|^2 or max |x|^2) within which k-means's
/// sums, squared distances and inertia cannot overflow, nor the squares underflow.
#[derive(Clone, Copy)]
struct SafeScale {
    hi: f64,
}

impl SafeScale {
    fn new(n: usize, d: usize) -> Self {
        // Inertia and the centroid sums are at most 4 n d max|x|^2.
        Self {
            hi: 1e300 / (4.0 * n as f64 * d as f64),
        }
    }

    /// Whether a squared magnitude `m2` is safe; false for NaN, and for 0 (which may
    /// be an underflow: all-zero data then take the rescaled path, harmlessly).
    fn holds_squared(self, m2: f64) -> bool {
        (1e-280..=self.hi).contains(&m2)
    }

    /// Whether the largest |value| `a` is safe (0 for all-zero data is).
    fn holds(self, a: f64) -> bool {
        a == 0.0 || (a >= 1e-140 && a * a <= self.hi)
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

/// Distinct rows, counting no further than `stop` (enough to validate k).
fn count_distinct_rows(x: &ArrayView2<f64>, stop: usize) -> usize {
    let mut seen: std::collections::HashSet<Vec<u64>> = std::collections::HashSet::new();
    for r in x.rows() {
        // +0.0 folds -0.0 into 0.0 so equal values have equal bits.
        seen.insert(r.iter().map(|v| (v + 0.0).to_bits()).collect());
        if seen.len() >= stop {
            break;
        }
    }
    seen.len()
}

/// The data as one row-major slice (borrowed when the caller's array already is one).
struct Data<'a> {
    x: std::borrow::Cow<'a, [f64]>,
    n: usize,
    d: usize,
}

impl<'a> Data<'a> {
    fn new(x: &ArrayView2<'a, f64>) -> Self {
        let (n, d) = x.dim();
        let x = match x.to_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(x.iter().copied().collect()),
        };
        Self { x, n, d }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// Mean over columns of the column variances (population), in one pass: each fixed
/// chunk's means and sums of squared deviations (two passes over the chunk, in cache),
/// merged in chunk order (Chan, Golub & LeVeque).
fn mean_variance(data: &Data) -> (f64, f64) {
    let (n, d) = (data.n, data.d);
    let parts = map_chunks(n, |lo, hi| {
        let rows = &data.x[lo * d..hi * d];
        let mut mean = vec![0.0; d];
        // One maximum per column, like the sums: a single running maximum would chain
        // every compare after the last (4% of the k-means++ bench).
        let mut col_max = vec![0.0f64; d];
        for r in rows.chunks_exact(d) {
            for ((m, x), &v) in mean.iter_mut().zip(col_max.iter_mut()).zip(r) {
                *m += v;
                *x = fmax(*x, v.abs());
            }
        }
        let max_abs = col_max.iter().fold(0.0f64, |m, &v| fmax(m, v));
        let count = (hi - lo) as f64;
        mean.iter_mut().for_each(|m| *m /= count);
        let mut m2 = vec![0.0; d];
        for r in rows.chunks_exact(d) {
            for ((s, &v), m) in m2.iter_mut().zip(r).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        (count, mean, m2, max_abs)
    });
    let mut total = 0.0;
    let mut max_abs = 0.0f64;
    let mut mean = vec![0.0; d];
    let mut m2 = vec![0.0; d];
    for (count, cm, cm2, cmax) in parts {
        max_abs = fmax(max_abs, cmax);
        let merged = total + count;
        for j in 0..d {
            let delta = cm[j] - mean[j];
            mean[j] += delta * count / merged;
            m2[j] += cm2[j] + delta * delta * total * count / merged;
        }
        total = merged;
    }
    (m2.iter().sum::<f64>() / (n as f64 * d as f64), max_abs)
}

/// Runs `$body` for the centroids `0..k` in register blocks of the given sizes, largest
/// first (`$c0` the block's first centroid, `$B` its size as a constant), so that each
/// block's accumulators stay in registers whatever `k`. With sizes down to 1 every
/// centroid is covered once.
macro_rules! centroid_blocks {
    ($k:expr, |$c0:ident, $B:ident| $body:expr; $($size:literal),+) => {{
        let k = $k;
        let mut $c0 = 0;
        $(
            while $size <= k - $c0 {
                const $B: usize = $size;
                $body;
                $c0 += $size;
            }
        )+
    }};
}

/// Squared distances from `x` to every centroid, with the centroids transposed
/// (`d x k`, row `j` holding coordinate `j` of every centroid) so the inner loop runs
/// across centroids and vectorizes. Sums over coordinates in order, as [`sq_dist`].
#[inline(always)]
fn dists_to_all(x: &[f64], transposed: &[f64], k: usize, out: &mut [f64]) {
    centroid_blocks!(k, |c0, B| block_dists::<B>(x, transposed, k, c0, out); 8, 4, 2, 1);
}

/// Distances to centroids `c0..c0 + B`, accumulated in registers.
#[inline(always)]
fn block_dists<const B: usize>(
    x: &[f64],
    transposed: &[f64],
    k: usize,
    c0: usize,
    out: &mut [f64],
) {
    let mut acc = [0.0f64; B];
    for (j, &xj) in x.iter().enumerate() {
        let row = &transposed[j * k + c0..j * k + c0 + B];
        for t in 0..B {
            let v = xj - row[t];
            acc[t] += v * v;
        }
    }
    out[c0..c0 + B].copy_from_slice(&acc);
}

fn transpose(centroids: &[f64], k: usize, d: usize) -> Vec<f64> {
    let mut t = vec![0.0; k * d];
    for c in 0..k {
        for j in 0..d {
            t[j * k + c] = centroids[c * d + j];
        }
    }
    t
}

#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Nearest-centroid search through `|c|^2 - 2 x.c` (the squared distance less `|x|^2`),
/// which costs two operations per coordinate instead of three. Its rounding error is
/// bounded by `(d + 2) eps (|x| + |c|)^2`, so when the two smallest values are further
/// apart than a safe multiple of that, the smallest is the nearest centroid by the exact
/// distances too; otherwise the point is resolved with the exact distances. Labels are
/// therefore exactly those of the direct computation (first index on ties).
struct Assigner<'c> {
    k: usize,
    d: usize,
    /// `-2 c`, transposed (`d x k`).
    m2t: Vec<f64>,
    /// `|c|^2` per centroid.
    norms: Vec<f64>,
    /// Largest `|c|^2`.
    r2: f64,
    /// Safety factor of the error bound: `16 (d + 2) eps`.
    factor: f64,
    /// The centroids transposed, for the exact fallback.
    exact_t: Vec<f64>,
    centroids: &'c [f64],
    /// `-2 c` transposed and `|c|^2`, rounded to `f32`, for the first, four-lane tier.
    m2t32: Vec<f32>,
    norms32: Vec<f32>,
    /// Safety factor of the `f32` tier's error bound: `16 (d + 3) eps_f32`.
    factor32: f64,
}

/// Scratch space for [`Assigner::nearest`].
struct Scratch {
    s32: Vec<f32>,
    s64: Vec<f64>,
}

impl<'c> Assigner<'c> {
    fn new(centroids: &'c [f64], k: usize, d: usize) -> Self {
        let exact_t = transpose(centroids, k, d);
        let m2t: Vec<f64> = exact_t.iter().map(|v| -2.0 * v).collect();
        let norms: Vec<f64> = (0..k)
            .map(|c| {
                centroids[c * d..(c + 1) * d]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
            })
            .collect();
        let r2 = norms.iter().copied().fold(0.0, f64::max);
        Self {
            k,
            d,
            r2,
            factor: 16.0 * (d as f64 + 2.0) * f64::EPSILON,
            m2t32: m2t.iter().map(|&v| v as f32).collect(),
            norms32: norms.iter().map(|&v| v as f32).collect(),
            factor32: 16.0 * (d as f64 + 3.0) * f64::from(f32::EPSILON),
            m2t,
            norms,
            exact_t,
            centroids,
        }
    }

    /// A scratch buffer for [`nearest`](Self::nearest).
    fn buffer(&self) -> Scratch {
        Scratch {
            s32: vec![0.0; self.k],
            s64: vec![0.0; self.k],
        }
    }

    /// The nearest centroid of `x` (first index on exact ties) given `xx = |x|^2`
    /// (summed in order); `buf` comes from [`buffer`](Self::buffer).
    #[inline(always)]
    fn nearest(&self, x: &[f64], xx: f64, buf: &mut Scratch) -> usize {
        let scale = xx + self.r2;
        // First tier: the same expression in f32, eight lanes per AVX2 register (four
        // per SSE2 register without the `simd` feature). Its
        // error (inputs rounded to f32, d + 1 products and sums) is within
        // gamma_(d+3) (|x| + |c|)^2 <= 2 gamma_(d+3) (|x|^2 + r2) per value, so a gap
        // above `factor32 * scale` (more than twice that) decides the nearest centroid.
        // The range keeps f32 clear of overflow and of underflow errors that matter.
        if scale > 1e-20
            && scale < 1e30
            && let Some(best) = self.nearest32(x, scale, &mut buf.s32)
        {
            return best;
        }
        self.nearest64(x, xx, &mut buf.s64)
    }

    /// The `f32` tier of [`nearest`](Self::nearest); `None` when undecided.
    #[inline(always)]
    fn nearest32(&self, x: &[f64], scale: f64, buf: &mut [f32]) -> Option<usize> {
        let k = self.k;
        let bound = (self.factor32 * scale) as f32;
        centroid_blocks!(k, |c0, B| self.block32::<B>(x, c0, buf); 16, 8, 4, 2, 1);
        let m1 = min32(buf);
        // Decided when m1 is the only value within `bound` of m1. The bound is 16 times
        // the error bound E = (d + 3) eps_f32 scale, and deciding needs only 2 E, so
        // rounding `bound` and `m1 + bound` to f32 (at most 2^-23 scale + 2^-24 bound,
        // since |m1| <= 2 scale) leaves the threshold above m1 + 15 E.
        let thr = m1 + bound;
        // How many values are within reach of m1, and (when just one) its position.
        let (mut count, mut at) = (0u32, 0u32);
        for (c, &v) in buf.iter().enumerate() {
            let hit = u32::from(v <= thr);
            count += hit;
            at |= 0u32.wrapping_sub(hit) & c as u32;
        }
        (count == 1).then_some(at as usize)
    }

    /// `|c|^2 - 2 x.c` in f32 for centroids `c0..c0 + B`, accumulated in registers.
    #[inline(always)]
    fn block32<const B: usize>(&self, x: &[f64], c0: usize, out: &mut [f32]) {
        let k = self.k;
        let mut acc = [0.0f32; B];
        acc.copy_from_slice(&self.norms32[c0..c0 + B]);
        for (j, &xj) in x.iter().enumerate() {
            let xj = xj as f32;
            let row = &self.m2t32[j * k + c0..j * k + c0 + B];
            for t in 0..B {
                acc[t] += xj * row[t];
            }
        }
        out[c0..c0 + B].copy_from_slice(&acc);
    }

    /// The `f64` tiers of [`nearest`](Self::nearest): `|c|^2 - 2 x.c` in f64,
    /// then the exact distances.
    #[inline(always)]
    fn nearest64(&self, x: &[f64], xx: f64, buf: &mut [f64]) -> usize {
        let k = self.k;
        centroid_blocks!(k, |c0, B| self.block::<B>(x, c0, buf); 16, 8, 4, 2, 1);
        // Smallest and second smallest (counting repeats), four lanes at a time.
        const L: usize = 4;
        let mut lo = [f64::INFINITY; L];
        let mut hi = [f64::INFINITY; L];
        let mut quads = buf.chunks_exact(L);
        for q in quads.by_ref() {
            for t in 0..L {
                hi[t] = fmin(hi[t], fmax(lo[t], q[t]));
                lo[t] = fmin(lo[t], q[t]);
            }
        }
        for (t, &v) in quads.remainder().iter().enumerate() {
            hi[t] = fmin(hi[t], fmax(lo[t], v));
            lo[t] = fmin(lo[t], v);
        }
        let merge = |(l1, h1): (f64, f64), (l2, h2): (f64, f64)| {
            (fmin(l1, l2), fmin(fmax(l1, l2), fmin(h1, h2)))
        };
        let (m1, m2) = merge(
            merge((lo[0], hi[0]), (lo[1], hi[1])),
            merge((lo[2], hi[2]), (lo[3], hi[3])),
        );
        let scale = xx + self.r2;
        let bound = self.factor * scale;
        if scale < 1e300 && m2 - m1 > bound {
            // The unique position of m1 (m2 > m1), as a masked sum of lane indices.
            let mut at = 0u64;
            for (c, &v) in buf.iter().enumerate() {
                at |= 0u64.wrapping_sub(u64::from(v == m1)) & c as u64;
            }
            at as usize
        } else {
            let exact = &mut buf[..self.k];
            dists_to_all(x, &self.exact_t, self.k, exact);
            let d1 = min_of(exact);
            exact.iter().position(|&v| v == d1).unwrap_or(0)
        }
    }

    /// `|c|^2 - 2 x.c` for centroids `c0..c0 + B`, accumulated in registers.
    #[inline(always)]
    fn block<const B: usize>(&self, x: &[f64], c0: usize, out: &mut [f64]) {
        let k = self.k;
        let mut acc = [0.0f64; B];
        acc.copy_from_slice(&self.norms[c0..c0 + B]);
        for (j, &xj) in x.iter().enumerate() {
            let row = &self.m2t[j * k + c0..j * k + c0 + B];
            for t in 0..B {
                acc[t] += xj * row[t];
            }
        }
        out[c0..c0 + B].copy_from_slice(&acc);
    }

    /// Exact squared distance from `x` to centroid `c`.
    #[inline]
    fn dist(&self, x: &[f64], c: usize) -> f64 {
        sq_dist(x, &self.centroids[c * self.d..(c + 1) * self.d])
    }
}

/// Greedy k-means++ (scikit-learn's `_kmeans_plusplus`).
///
/// Each step is one pass over the data: it folds the previously chosen centroid into
/// every point's closest squared distance and, while the point is in cache, sums
/// `min(closest, d(candidate))` for every candidate, per fixed chunk. The chunk sums of
/// the chosen candidate are the next step's sampling weights: a draw picks its chunk
/// from their running sum, then its point from the running sum inside that chunk
/// (recomputed, 4096 points). The same draw as scikit-learn's search in the running sum
/// over all points, up to rounding at chunk boundaries; identical for any thread count.
///
/// Also returns whether the first pass's potential was finite (it is not when a value
/// is NaN or infinite).
fn kmeans_plus_plus(data: &Data, k: usize, rng: &mut Xoshiro256PlusPlus) -> (Vec<f64>, bool) {
    let (n, d) = (data.n, data.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centroids = Vec::with_capacity(k * d);
    let first = rng.random_range(0..n);
    centroids.extend_from_slice(data.row(first));
    // Squared distance to the nearest chosen centroid, except `pending` (the latest),
    // which the next pass folds in.
    let mut closest = vec![0.0; n];
    let mut chunk_pot: Vec<f64> = map_chunks_mut(&mut closest, |lo, cl| {
        let mut acc = 0.0;
        for (off, c) in cl.iter_mut().enumerate() {
            *c = sq_dist(data.row(lo + off), &centroids[..d]);
            acc += *c;
        }
        acc
    });
    let finite = chunk_pot.iter().sum::<f64>().is_finite();
    let mut pending = first;
    let mut cumulative = vec![0.0; chunk_pot.len()];
    let mut cand = vec![0.0; (trials + 1) * d];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, &v) in cumulative.iter_mut().zip(&chunk_pot) {
            acc += v;
            *c = acc;
        }
        let potential = acc;
        let p = data.row(pending);
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                let chunk = cumulative
                    .partition_point(|&c| c < target)
                    .min(cumulative.len() - 1);
                let lo = chunk * CHUNK;
                let hi = (lo + CHUNK).min(n);
                let mut acc = if chunk == 0 {
                    0.0
                } else {
                    cumulative[chunk - 1]
                };
                for (i, &c) in closest.iter().enumerate().take(hi).skip(lo) {
                    acc += fmin(c, sq_dist(data.row(i), p));
                    if acc >= target {
                        return i;
                    }
                }
                hi - 1
            })
            .collect();
        // Column 0: the pending centroid; then the candidates.
        cand[..d].copy_from_slice(p);
        for (t, &c) in candidates.iter().enumerate() {
            cand[(t + 1) * d..(t + 2) * d].copy_from_slice(data.row(c));
        }
        let cand_t = transpose(&cand, trials + 1, d);
        let ct = &cand_t;
        let partial: Vec<Vec<f64>> = map_chunks_mut(&mut closest, |lo, cl| {
            vectorized(
                #[inline(always)]
                || {
                    let mut pot = vec![0.0; trials];
                    let mut dists = vec![0.0; trials + 1];
                    for (off, c) in cl.iter_mut().enumerate() {
                        dists_to_all(data.row(lo + off), ct, trials + 1, &mut dists);
                        let near = fmin(*c, dists[0]);
                        *c = near;
                        for (p, &dist) in pot.iter_mut().zip(&dists[1..]) {
                            *p += fmin(dist, near);
                        }
                    }
                    pot
                },
            )
        });
        let pots: Vec<f64> = (0..trials)
            .map(|t| partial.iter().fold(0.0, |s, p| s + p[t]))
            .collect();
        let best = argmin(&pots);
        pending = candidates[best];
        for (cp, p) in chunk_pot.iter_mut().zip(&partial) {
            *cp = p[best];
        }
        centroids.extend_from_slice(data.row(pending));
    }
    (centroids, finite)
}

fn random_rows(data: &Data, k: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    sample_indices(data.n, k, rng)
        .iter()
        .flat_map(|&i| data.row(i).iter().copied())
        .collect()
}

/// Per-chunk results of an assignment pass.
struct Pass {
    sums: Vec<f64>,
    counts: Vec<usize>,
    changed: usize,
    /// Whether every point's distances were finite (false when a value is NaN or
    /// infinite, or a distance overflows).
    finite: bool,
    /// The largest |x|^2 of the chunk's points (first pass only; 0 otherwise).
    max_xx: f64,
}

/// One k-means run from the given centroids; `None` when `guard` finds the data's
/// scale unsafe on the first pass.
// The run's settings are independent values; a struct for them would only rename them.
#[allow(clippy::too_many_arguments)]
fn run_kmeans(
    data: &Data,
    mut centroids: Vec<f64>,
    k: usize,
    max_iter: usize,
    tol: f64,
    hamerly: bool,
    check: Option<&ArrayView2<f64>>,
    guard: Option<SafeScale>,
) -> Result<Option<FittedKMeans>> {
    let (n, d) = (data.n, data.d);
    // Without a pass, nothing has read the data yet.
    if max_iter == 0
        && let Some(x) = check
    {
        check_finite(x)?;
    }
    let mut labels = vec![usize::MAX; n];
    // Hamerly bounds per point: [upper, lower] (none for Lloyd).
    let mut bounds = vec![[0.0f64, 0.0f64]; if hamerly { n } else { 0 }];
    let mut first = true;
    let mut iterations = 0;
    let mut strict = false;
    let mut half_nearest = vec![0.0; k];
    let mut moved = vec![0.0; k];
    for it in 0..max_iter {
        iterations = it + 1;
        let passes = if hamerly {
            // Half the distance from each centroid to its nearest other centroid.
            for a in 0..k {
                let ca = &centroids[a * d..(a + 1) * d];
                half_nearest[a] = (0..k)
                    .filter(|&b| b != a)
                    .map(|b| sq_dist(ca, &centroids[b * d..(b + 1) * d]))
                    .fold(f64::INFINITY, f64::min)
                    .sqrt()
                    / 2.0;
            }
            hamerly_pass(
                data,
                &centroids,
                k,
                &half_nearest,
                !first,
                &mut labels,
                &mut bounds,
            )
        } else {
            lloyd_pass(data, &centroids, k, &mut labels)
        };
        first = false;
        // The first pass of an unchecked run reads every value (see `fit`).
        if let Some(x) = check
            && it == 0
            && !passes.iter().all(|p| p.finite)
        {
            check_finite(x)?;
        }
        // The first pass read every point's |x|^2: data too large or too small for
        // safe squared distances are refitted rescaled (see `KMeans`'s `fit`).
        if it == 0
            && let Some(safe) = guard
        {
            let max_xx = passes.iter().fold(0.0f64, |m, p| fmax(m, p.max_xx));
            let finite = passes.iter().all(|p| p.finite);
            if !(finite && safe.holds_squared(max_xx)) {
                return Ok(None);
            }
        }
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        let mut changed = 0;
        for p in &passes {
            for (s, v) in sums.iter_mut().zip(&p.sums) {
                *s += v;
            }
            for (c, v) in counts.iter_mut().zip(&p.counts) {
                *c += v;
            }
            changed += p.changed;
        }
        if counts.contains(&0) {
            relocate_empty_clusters(
                data,
                &centroids,
                &mut labels,
                &mut bounds,
                &mut sums,
                &mut counts,
            );
        }
        // New centroids and how far each moved.
        let mut shift_total = 0.0;
        for c in 0..k {
            let old = &centroids[c * d..(c + 1) * d];
            let new: Vec<f64> = if counts[c] > 0 {
                sums[c * d..(c + 1) * d]
                    .iter()
                    .map(|s| s / counts[c] as f64)
                    .collect()
            } else {
                old.to_vec()
            };
            let shift = sq_dist(old, &new);
            shift_total += shift;
            moved[c] = shift.sqrt();
            centroids[c * d..(c + 1) * d].copy_from_slice(&new);
        }
        if changed == 0 {
            strict = true;
            break;
        }
        if shift_total <= tol {
            break;
        }
        if hamerly {
            let (m1, m2) = top_two(&moved);
            let arg = moved.iter().position(|&m| m == m1).unwrap_or(0);
            for (b, &l) in bounds.iter_mut().zip(&labels) {
                b[0] += moved[l];
                b[1] -= if l == arg { m2 } else { m1 };
            }
        }
    }
    // Inertia against the final centroids; after a non-strict stop, the labels are
    // first recomputed against them (scikit-learn's closing E-step), in the same pass.
    let assigner = Assigner::new(&centroids, k, d);
    let asg = &assigner;
    let inertia: f64 = map_chunks_mut(&mut labels, |lo, lab| {
        vectorized(
            #[inline(always)]
            || closing_chunk(data, asg, lo, lab, !strict),
        )
    })
    .iter()
    .sum();
    Ok(Some(FittedKMeans {
        centroids: Array2::from_shape_vec((k, d), centroids)
            .unwrap_or_else(|_| Array2::zeros((k, d))),
        labels,
        inertia,
        iterations,
        converged: strict || iterations < max_iter,
    }))
}

/// The closing E-step for the points `lo..lo + labels.len()`: each point is
/// reassigned when `reassign`. Returns the points' inertia against the final centroids.
#[inline(always)]
fn closing_chunk(
    data: &Data,
    asg: &Assigner,
    lo: usize,
    labels: &mut [usize],
    reassign: bool,
) -> f64 {
    let d = data.d;
    let mut buf = asg.buffer();
    let mut total = 0.0;
    // As in `lloyd_chunk`: |x|^2 for a block of points first.
    const B: usize = 32;
    let mut xxs = [0.0f64; B];
    for (b, labs) in labels.chunks_mut(B).enumerate() {
        let first = lo + b * B;
        for (xx, x) in xxs.iter_mut().zip(data.x[first * d..].chunks_exact(d)) {
            *xx = x.iter().map(|v| v * v).sum();
        }
        for (off, label) in labs.iter_mut().enumerate() {
            let x = data.row(first + off);
            if reassign {
                *label = asg.nearest(x, xxs[off], &mut buf);
            }
            total += asg.dist(x, *label);
        }
    }
    total
}

/// One Lloyd assignment pass: labels, per-chunk sums and counts.
fn lloyd_pass(data: &Data, centroids: &[f64], k: usize, labels: &mut [usize]) -> Vec<Pass> {
    let assigner = Assigner::new(centroids, k, data.d);
    let asg = &assigner;
    map_chunks_mut(labels, |lo, lab| {
        vectorized(
            #[inline(always)]
            || lloyd_chunk(data, asg, lo, lab),
        )
    })
}

/// The assignments of the points `lo..lo + labels.len()` (see [`lloyd_pass`]).
#[inline(always)]
fn lloyd_chunk(data: &Data, asg: &Assigner, lo: usize, labels: &mut [usize]) -> Pass {
    let (k, d) = (asg.k, data.d);
    let mut pass = Pass {
        sums: vec![0.0; k * d],
        counts: vec![0; k],
        changed: 0,
        finite: true,
        max_xx: 0.0,
    };
    let mut buf = asg.buffer();
    // |x|^2 for a block of points first: independent loads that bring the block into
    // cache before the dependent work.
    const B: usize = 32;
    let mut xxs = [0.0f64; B];
    for (b, labs) in labels.chunks_mut(B).enumerate() {
        let first = lo + b * B;
        for (xx, x) in xxs.iter_mut().zip(data.x[first * d..].chunks_exact(d)) {
            *xx = x.iter().map(|v| v * v).sum();
            pass.finite &= xx.is_finite();
            pass.max_xx = fmax(pass.max_xx, *xx);
        }
        for (off, label) in labs.iter_mut().enumerate() {
            let x = data.row(first + off);
            let best = asg.nearest(x, xxs[off], &mut buf);
            pass.changed += usize::from(best != *label);
            *label = best;
            pass.counts[best] += 1;
            for (s, v) in pass.sums[best * d..(best + 1) * d].iter_mut().zip(x) {
                *s += v;
            }
        }
    }
    pass
}

/// The largest and second largest of non-negative values (0 for none).
fn top_two(v: &[f64]) -> (f64, f64) {
    let (mut top, mut second) = (0.0f64, 0.0f64);
    for &m in v {
        if m > top {
            second = top;
            top = m;
        } else if m > second {
            second = m;
        }
    }
    (top, second)
}

/// One Hamerly assignment pass (`use_bounds` false on the first, which sets the bounds).
fn hamerly_pass(
    data: &Data,
    centroids: &[f64],
    k: usize,
    half_nearest: &[f64],
    use_bounds: bool,
    labels: &mut [usize],
    bounds: &mut [[f64; 2]],
) -> Vec<Pass> {
    let d = data.d;
    let transposed = transpose(centroids, k, d);
    let ct = &transposed;
    zip_chunks_mut(labels, 1, bounds, 1, |lo, lab, bnd| {
        let mut pass = Pass {
            sums: vec![0.0; k * d],
            counts: vec![0; k],
            changed: 0,
            finite: true,
            max_xx: 0.0,
        };
        let mut dists = vec![0.0; k];
        for (off, (label, b)) in lab.iter_mut().zip(bnd.iter_mut()).enumerate() {
            let x = data.row(lo + off);
            let old = *label;
            let mut skip = false;
            if use_bounds {
                let m = half_nearest[old].max(b[1]);
                if b[0] <= m {
                    skip = true;
                } else {
                    b[0] = sq_dist(x, &centroids[old * d..(old + 1) * d]).sqrt();
                    skip = b[0] <= m;
                }
            }
            if !use_bounds {
                pass.max_xx = fmax(pass.max_xx, x.iter().map(|v| v * v).sum());
            }
            if !skip {
                dists_to_all(x, ct, k, &mut dists);
                // Branch-free minimum, then its first index.
                let d1 = min_of(&dists);
                pass.finite &= d1.is_finite();
                let best = dists.iter().position(|&v| v == d1).unwrap_or(0);
                *label = best;
                b[0] = d1.sqrt();
                dists[best] = f64::INFINITY;
                b[1] = min_of(&dists).sqrt();
            }
            if *label != old {
                pass.changed += 1;
            }
            pass.counts[*label] += 1;
            for (s, v) in pass.sums[*label * d..(*label + 1) * d].iter_mut().zip(x) {
                *s += v;
            }
        }
        pass
    })
}

/// The smallest value, in a form the compiler vectorizes.
#[inline]
fn min_of(v: &[f64]) -> f64 {
    v.iter()
        .fold(f64::INFINITY, |m, &x| if x < m { x } else { m })
}

/// `min` as one instruction (the second operand when either is NaN).
#[inline(always)]
fn fmin(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

/// The smallest value (infinity for none), four lanes at a time.
#[inline(always)]
fn min32(v: &[f32]) -> f32 {
    const L: usize = 4;
    let mut lo = [f32::INFINITY; L];
    let mut quads = v.chunks_exact(L);
    for q in quads.by_ref() {
        for t in 0..L {
            lo[t] = fmin32(lo[t], q[t]);
        }
    }
    for (t, &x) in quads.remainder().iter().enumerate() {
        lo[t] = fmin32(lo[t], x);
    }
    fmin32(fmin32(lo[0], lo[1]), fmin32(lo[2], lo[3]))
}

/// [`fmin`] for `f32`.
#[inline(always)]
fn fmin32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// Index of the smallest value (the first on ties).
fn argmin(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x < v[best] {
            best = i;
        }
    }
    best
}

fn nearest(x: &[f64], centroids: &[f64], k: usize, d: usize) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for c in 0..k {
        let dist = sq_dist(x, &centroids[c * d..(c + 1) * d]);
        if dist < best.1 {
            best = (c, dist);
        }
    }
    best
}

/// Gives every empty cluster the point farthest from its centroid (among clusters with
/// more than one point), as scikit-learn does, updating sums and counts.
fn relocate_empty_clusters(
    data: &Data,
    centroids: &[f64],
    labels: &mut [usize],
    bounds: &mut [[f64; 2]],
    sums: &mut [f64],
    counts: &mut [usize],
) {
    let d = data.d;
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
    if empty.is_empty() {
        return;
    }
    let mut far: Vec<(f64, usize)> = (0..data.n)
        .map(|i| {
            let l = labels[i];
            (sq_dist(data.row(i), &centroids[l * d..(l + 1) * d]), i)
        })
        .collect();
    far.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut next = far.iter();
    for c in empty {
        for &(_, i) in next.by_ref() {
            let old = labels[i];
            if counts[old] > 1 {
                counts[old] -= 1;
                for (s, v) in sums[old * d..(old + 1) * d].iter_mut().zip(data.row(i)) {
                    *s -= v;
                }
                labels[i] = c;
                counts[c] = 1;
                sums[c * d..(c + 1) * d].copy_from_slice(data.row(i));
                // Force an exact look at this point next iteration (Hamerly).
                if let Some(b) = bounds.get_mut(i) {
                    *b = [f64::INFINITY, 0.0];
                }
                break;
            }
        }
    }
}

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

/// [`FittedKMeans`] as written to a file, before its checks.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawKMeans {
    centroids: Array2<f64>,
    labels: Vec<usize>,
    inertia: f64,
    iterations: usize,
    converged: bool,
}

#[cfg(feature = "serde")]
impl TryFrom<RawKMeans> for FittedKMeans {
    type Error = Error;

    fn try_from(raw: RawKMeans) -> Result<FittedKMeans> {
        let (k, d) = raw.centroids.dim();
        if k == 0 {
            return Err(Error::Empty { field: "centroids" });
        }
        if d == 0 {
            return Err(Error::Empty {
                field: "centroids columns",
            });
        }
        crate::kernels::check_finite_named("centroids", &raw.centroids.view())?;
        if let Some((row, &label)) = raw.labels.iter().enumerate().find(|(_, l)| **l >= k) {
            return Err(Error::InvalidValue {
                field: "labels",
                row,
                value: label as f64,
                reason: format!("a label is below the number of centroids, {k}"),
            });
        }
        crate::validate::all_non_negative("inertia", &[raw.inertia])?;
        Ok(FittedKMeans {
            centroids: raw.centroids,
            labels: raw.labels,
            inertia: raw.inertia,
            iterations: raw.iterations,
            converged: raw.converged,
        })
    }
}

impl FittedKMeans {
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
