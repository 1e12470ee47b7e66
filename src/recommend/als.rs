//! Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren &
//! Volinsky 2008).
//!
//! With `r_ui` the order lines of item `i` by customer `u`, the preference is
//! `p_ui = 1` when `r_ui > 0` and 0 otherwise, with confidence `c_ui = 1 + alpha r_ui`
//! (1 for pairs never bought). Customer factors `x_u` and item factors `y_i` (`f`
//! each) minimise
//!
//! ```text
//! L = sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2 + lambda (sum_u |x_u|^2 + sum_i |y_i|^2)
//! ```
//!
//! over every customer-item pair, bought or not. With the items fixed, each `x_u`
//! solves `(YtY + Yt (C_u - I) Y + lambda I) x_u = Yt C_u p_u`; `YtY` is computed once
//! per sweep and `Yt (C_u - I) Y` only touches the customer's items (the trick of the
//! paper), so a sweep costs `O(nnz f^2 + n f^3)` with Cholesky solves
//! ([`Solver::Cholesky`]), or `O(steps (nnz f + n f^2))` with a few conjugate-gradient
//! steps warm-started from the previous sweep ([`Solver::ConjugateGradient`], the
//! default, as in `implicit` (Takács, Pilászy & Tikk 2011)). Each iteration solves
//! the customers, then the items. Both solvers never increase `L`: the exact solve
//! minimises it in the row, and conjugate-gradient steps from the previous value
//! decrease the row's quadratic. `L` is reported exactly (the sum over unbought pairs
//! is `x_u' YtY x_u` minus the bought pairs' terms).
//!
//! Factors start uniform in `[0, 0.01)` from the seed (customers, then items), as in
//! `implicit`. Rows are solved independently, in parallel with the feature `parallel`,
//! and `YtY` is summed over fixed blocks in order, so results do not depend on the
//! number of threads.
//!
//! A customer's score for item `i` is `x_u . y_i`.
//!
//! Reference: Hu, Y., Koren, Y., & Volinsky, C. (2008). Collaborative filtering for
//! implicit feedback datasets. *ICDM 2008*, 263-272.

#[cfg(feature = "serde")]
use std::hash::Hash;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};
use crate::model::Fit;
use crate::validate;

use super::{ColdStart, Interactions, Recommender, top_k};

/// The largest number of factors.
pub const MAX_FACTORS: usize = 1_024;

/// The largest number of factor values `(customers + items) x factors` (8 bytes
/// each): [`Error::LimitExceeded`] above it, before anything is allocated.
pub const MAX_FACTOR_VALUES: usize = 1 << 27;

/// How each row's least-squares problem is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Solver {
    /// `steps` conjugate-gradient steps from the previous value (`implicit`'s default,
    /// with 3 steps).
    ConjugateGradient {
        /// Steps per row and sweep (at least 1).
        steps: usize,
    },
    /// The exact solve by Cholesky factorisation.
    Cholesky,
}

impl Default for Solver {
    fn default() -> Self {
        Solver::ConjugateGradient { steps: 3 }
    }
}

/// Implicit-feedback alternating least squares.
///
/// ```
/// use patronage::prelude::*;
/// use patronage::recommend::{Als, ItemPurchase, Interactions, Recommender};
/// use patronage::Day;
/// let line = |customer: u32, item: u32| ItemPurchase { customer, day: Day(0), item };
/// let mut lines = Vec::new();
/// for c in 0..40u32 {
///     // Two tastes: items 0-4 and items 5-9.
///     let base = if c % 2 == 0 { 0 } else { 5 };
///     for k in 0..3 { lines.push(line(c, base + (c / 2 + k) % 5)); }
/// }
/// let data = Interactions::new(&lines)?;
/// let model = Als::params(4).regularization(0.1).alpha(5.0).iterations(10).seed(1).fit(&data)?;
/// let top = model.recommend(&0, 2)?;
/// assert!(top.iter().all(|(item, _)| *item < 5)); // customer 0's taste
/// assert!(model.loss().is_finite());
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Als;

impl Als {
    /// The settings with `factors` factors and defaults: regularization 0.01, alpha 1,
    /// 15 iterations, seed 0, 3 conjugate-gradient steps (as `implicit`), already-bought
    /// items excluded, popularity for unknown customers.
    pub fn params(factors: usize) -> AlsParams {
        AlsParams {
            factors,
            regularization: 0.01,
            alpha: 1.0,
            iterations: 15,
            seed: 0,
            solver: Solver::default(),
            track_loss: false,
            exclude_bought: true,
            cold_start: ColdStart::Popularity,
        }
    }
}

/// Settings of [`Als`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlsParams {
    factors: usize,
    regularization: f64,
    alpha: f64,
    iterations: usize,
    seed: u64,
    solver: Solver,
    track_loss: bool,
    exclude_bought: bool,
    cold_start: ColdStart,
}

impl AlsParams {
    /// Factors per customer and item (1 to [`MAX_FACTORS`], checked by `fit`).
    pub fn factors(mut self, factors: usize) -> Self {
        self.factors = factors;
        self
    }

    /// The regularization `lambda` (default 0.01; finite and > 0, checked by `fit`).
    pub fn regularization(mut self, lambda: f64) -> Self {
        self.regularization = lambda;
        self
    }

    /// The confidence slope `alpha`: `c_ui = 1 + alpha r_ui` (default 1; finite and
    /// >= 0, checked by `fit`).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Iterations, each a sweep over customers then items (default 15; at least 1).
    /// The cost is linear in it; the caller bounds it.
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// The seed of the starting factors (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The row solver (default 3 conjugate-gradient steps).
    pub fn solver(mut self, solver: Solver) -> Self {
        self.solver = solver;
        self
    }

    /// Whether the loss is computed after every iteration
    /// ([`FittedAls::loss_history`]; default `false`: only at the end). It costs about
    /// a third of an iteration with conjugate gradient.
    pub fn track_loss(mut self, track: bool) -> Self {
        self.track_loss = track;
        self
    }

    /// Whether items the customer already bought are left out (default `true`).
    pub fn exclude_bought(mut self, exclude: bool) -> Self {
        self.exclude_bought = exclude;
        self
    }

    /// What customers not in the training data get (default the popularity ranking).
    pub fn cold_start(mut self, cold_start: ColdStart) -> Self {
        self.cold_start = cold_start;
        self
    }

    fn check(&self, n_rows: usize) -> Result<()> {
        if self.factors == 0 || self.factors > MAX_FACTORS {
            return Err(validate::invalid_parameter(
                "factors",
                self.factors,
                format!("must be 1 to MAX_FACTORS = {MAX_FACTORS}"),
            ));
        }
        let values = n_rows.saturating_mul(self.factors);
        if values > MAX_FACTOR_VALUES {
            return Err(Error::LimitExceeded {
                what: "factor values ((customers + items) x factors)",
                size: values as u64,
                limit: MAX_FACTOR_VALUES as u64,
                hint: "use fewer factors",
            });
        }
        validate::argument("regularization", self.regularization, true)?;
        validate::argument("alpha", self.alpha, false)?;
        if self.iterations == 0 {
            return Err(validate::invalid_parameter(
                "iterations",
                0,
                "at least one iteration",
            ));
        }
        if let Solver::ConjugateGradient { steps: 0 } = self.solver {
            return Err(validate::invalid_parameter(
                "steps",
                0,
                "at least one conjugate-gradient step",
            ));
        }
        Ok(())
    }
}

/// One side of the problem: rows (customers or items) with their entries' other-side
/// indices and confidences.
struct Side<'a> {
    offsets: &'a [usize],
    index: &'a [u32],
    confidence: &'a [f64],
}

impl<C: Clone, I: Clone> Fit<&Interactions<C, I>> for AlsParams {
    type Fitted = FittedAls<C, I>;

    /// Fits the factors.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for factors 0 or above [`MAX_FACTORS`], a
    /// regularization that is not finite and `> 0`, an alpha that is not finite and
    /// `>= 0`, zero iterations or zero conjugate-gradient steps;
    /// [`Error::LimitExceeded`] when `(customers + items) x factors` passes
    /// [`MAX_FACTOR_VALUES`] (checked before allocating); [`Error::NotConverged`] when
    /// the loss is not finite (overflow from a huge alpha) or a Cholesky
    /// factorisation fails.
    fn fit(&self, data: &Interactions<C, I>) -> Result<FittedAls<C, I>> {
        let (n_users, n_items) = (data.n_customers(), data.n_items());
        self.check(n_users.saturating_add(n_items))?;
        let f = self.factors;
        let (u_offsets, u_items, u_counts) = data.csr();
        let (i_offsets, i_users, i_counts) = data.transpose();
        let conf = |r: &u32| 1.0 + self.alpha * f64::from(*r);
        let u_conf: Vec<f64> = u_counts.iter().map(conf).collect();
        let i_conf: Vec<f64> = i_counts.iter().map(conf).collect();
        let users = Side {
            offsets: u_offsets,
            index: u_items,
            confidence: &u_conf,
        };
        let items = Side {
            offsets: &i_offsets,
            index: &i_users,
            confidence: &i_conf,
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let mut x: Vec<f64> = (0..n_users * f)
            .map(|_| rng.random::<f64>() * 0.01)
            .collect();
        let mut y: Vec<f64> = (0..n_items * f)
            .map(|_| rng.random::<f64>() * 0.01)
            .collect();
        let lambda = self.regularization;
        let mut history = Vec::new();
        for _ in 0..self.iterations {
            let gy = gram(&y, f);
            sweep(&mut x, &y, &gy, &users, f, lambda, self.solver)?;
            let gx = gram(&x, f);
            sweep(&mut y, &x, &gx, &items, f, lambda, self.solver)?;
            if self.track_loss {
                history.push(loss(&x, &y, &users, f, lambda));
            }
        }
        let final_loss = match history.last() {
            Some(&l) => l,
            None => loss(&x, &y, &users, f, lambda),
        };
        if !final_loss.is_finite() {
            return Err(Error::NotConverged {
                model: "ALS",
                iterations: self.iterations,
                reason: format!("the loss is not finite ({final_loss})"),
                last_iterate: Vec::new(),
            });
        }
        Ok(FittedAls {
            data: data.clone(),
            factors: f,
            regularization: lambda,
            alpha: self.alpha,
            iterations: self.iterations,
            loss: final_loss,
            loss_history: history,
            customer_factors: x,
            item_factors: y,
            exclude_bought: self.exclude_bought,
            cold_start: self.cold_start,
        })
    }
}

/// Rows per block of parallel work.
const ROWS: usize = 256;

/// `V' V` (f x f, row-major) of row-major `v`, summed over fixed blocks in order.
fn gram(v: &[f64], f: usize) -> Vec<f64> {
    let n = v.len() / f;
    let block = |lo: usize, hi: usize| {
        let mut g = vec![0.0f64; f * f];
        for r in lo..hi {
            let row = &v[r * f..(r + 1) * f];
            for a in 0..f {
                let ra = row[a];
                axpy(ra, &row[a..], &mut g[a * f + a..(a + 1) * f]);
            }
        }
        g
    };
    let parts = crate::kernels::map_chunks(n, block);
    let mut g = vec![0.0f64; f * f];
    for p in parts {
        for (a, b) in g.iter_mut().zip(p) {
            *a += b;
        }
    }
    for a in 0..f {
        for b in 0..a {
            g[a * f + b] = g[b * f + a];
        }
    }
    g
}

#[inline]
fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// A dot product with four accumulators (vectorizes; a fixed order). Always inlined, so
/// that inside [`vectorized`](crate::math::simd::vectorized) it is compiled for the
/// wider instruction set.
#[inline(always)]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Solves every row of `x` with the other side `y` fixed (`g = Y'Y`).
fn sweep(
    x: &mut [f64],
    y: &[f64],
    g: &[f64],
    side: &Side<'_>,
    f: usize,
    lambda: f64,
    solver: Solver,
) -> Result<()> {
    let solve_block = |start: usize, block: &mut [f64]| -> Result<()> {
        let mut work = Work::new(f, solver);
        for (k, row) in block.chunks_exact_mut(f).enumerate() {
            let u = start + k;
            let (lo, hi) = (side.offsets[u], side.offsets[u + 1]);
            let idx = &side.index[lo..hi];
            let conf = &side.confidence[lo..hi];
            match solver {
                Solver::ConjugateGradient { steps } => {
                    cg_row(row, y, g, idx, conf, f, lambda, steps, &mut work)
                }
                Solver::Cholesky => cholesky_row(row, y, g, idx, conf, f, lambda, &mut work)?,
            }
        }
        Ok(())
    };
    #[cfg(feature = "parallel")]
    let results: Vec<Result<()>> = {
        use rayon::prelude::*;
        x.par_chunks_mut(ROWS * f)
            .enumerate()
            .map(|(b, block)| solve_block(b * ROWS, block))
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let results: Vec<Result<()>> = x
        .chunks_mut(ROWS * f)
        .enumerate()
        .map(|(b, block)| solve_block(b * ROWS, block))
        .collect();
    results.into_iter().collect()
}

/// Scratch space of one block of row solves.
struct Work {
    ys: Vec<f64>,
    r: Vec<f64>,
    p: Vec<f64>,
    ap: Vec<f64>,
    a: Vec<f64>,
}

impl Work {
    fn new(f: usize, solver: Solver) -> Self {
        Self {
            ys: Vec::new(),
            r: vec![0.0; f],
            p: vec![0.0; f],
            ap: vec![0.0; f],
            a: if solver == Solver::Cholesky {
                vec![0.0; f * f]
            } else {
                Vec::new()
            },
        }
    }
}

/// `out = (G + lambda I + sum_i (c_i - 1) y_i y_i') v`, with the row's `y_i` gathered
/// contiguously in `ys` (one cache miss per `y_i` per row, not per step).
#[allow(clippy::too_many_arguments)]
fn apply(v: &[f64], ys: &[f64], g: &[f64], conf: &[f64], f: usize, lambda: f64, out: &mut [f64]) {
    for (o, vi) in out.iter_mut().zip(v) {
        *o = lambda * vi;
    }
    for (k, &vk) in v.iter().enumerate() {
        axpy(vk, &g[k * f..(k + 1) * f], out);
    }
    for (yi, &c) in ys.chunks_exact(f).zip(conf) {
        let w = (c - 1.0) * dot(yi, v);
        axpy(w, yi, out);
    }
}

/// Conjugate-gradient steps on one row from its current value.
#[allow(clippy::too_many_arguments)]
fn cg_row(
    x: &mut [f64],
    y: &[f64],
    g: &[f64],
    idx: &[u32],
    conf: &[f64],
    f: usize,
    lambda: f64,
    steps: usize,
    w: &mut Work,
) {
    w.ys.clear();
    for &i in idx {
        w.ys.extend_from_slice(&y[i as usize * f..(i as usize + 1) * f]);
    }
    let ys = &w.ys;
    // r = b - A x, b = sum_i c_i y_i.
    apply(x, ys, g, conf, f, lambda, &mut w.ap);
    for (r, a) in w.r.iter_mut().zip(&w.ap) {
        *r = -a;
    }
    for (yi, &c) in ys.chunks_exact(f).zip(conf) {
        axpy(c, yi, &mut w.r);
    }
    w.p.copy_from_slice(&w.r);
    let mut rs_old = dot(&w.r, &w.r);
    if rs_old < 1e-20 {
        return;
    }
    for _ in 0..steps {
        apply(&w.p, ys, g, conf, f, lambda, &mut w.ap);
        let pap = dot(&w.p, &w.ap);
        if pap.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return;
        }
        let a = rs_old / pap;
        axpy(a, &w.p, x);
        axpy(-a, &w.ap, &mut w.r);
        let rs_new = dot(&w.r, &w.r);
        if rs_new < 1e-20 {
            return;
        }
        let beta = rs_new / rs_old;
        for (p, r) in w.p.iter_mut().zip(&w.r) {
            *p = r + beta * *p;
        }
        rs_old = rs_new;
    }
}

/// The exact solve of one row by Cholesky.
#[allow(clippy::too_many_arguments)]
fn cholesky_row(
    x: &mut [f64],
    y: &[f64],
    g: &[f64],
    idx: &[u32],
    conf: &[f64],
    f: usize,
    lambda: f64,
    w: &mut Work,
) -> Result<()> {
    let a = &mut w.a;
    a.copy_from_slice(g);
    for d in 0..f {
        a[d * f + d] += lambda;
    }
    let b = &mut w.r;
    b.fill(0.0);
    for (&i, &c) in idx.iter().zip(conf) {
        let yi = &y[i as usize * f..(i as usize + 1) * f];
        for r in 0..f {
            axpy((c - 1.0) * yi[r], &yi[..=r], &mut a[r * f..r * f + r + 1]);
        }
        axpy(c, yi, b);
    }
    // In place: the lower triangle becomes L with A = L L'.
    for j in 0..f {
        let mut d = a[j * f + j] - dot(&a[j * f..j * f + j], &a[j * f..j * f + j]);
        if !(d > 0.0 && d.is_finite()) {
            return Err(Error::NotConverged {
                model: "ALS",
                iterations: 0,
                reason: "a row's normal equations are not positive definite".into(),
                last_iterate: Vec::new(),
            });
        }
        d = d.sqrt();
        a[j * f + j] = d;
        for i in j + 1..f {
            let s = a[i * f + j] - dot(&a[i * f..i * f + j], &a[j * f..j * f + j]);
            a[i * f + j] = s / d;
        }
    }
    // L z = b, then L' x = z.
    for i in 0..f {
        let s = b[i] - dot(&a[i * f..i * f + i], &b[..i]);
        b[i] = s / a[i * f + i];
    }
    for i in (0..f).rev() {
        let mut s = b[i];
        for k in i + 1..f {
            s -= a[k * f + i] * x[k];
        }
        x[i] = s / a[i * f + i];
    }
    Ok(())
}

/// The Hu-Koren-Volinsky loss, exactly: per customer `x' (Y'Y) x` covers every pair as
/// unbought, then each bought pair is corrected to `c (1 - s)^2`.
fn loss(x: &[f64], y: &[f64], users: &Side<'_>, f: usize, lambda: f64) -> f64 {
    let g = gram(y, f);
    let n_users = x.len() / f;
    let parts = crate::kernels::map_chunks(n_users, |lo, hi| {
        let mut gx = vec![0.0f64; f];
        let mut total = 0.0f64;
        for u in lo..hi {
            let xu = &x[u * f..(u + 1) * f];
            gx.fill(0.0);
            for (k, &v) in xu.iter().enumerate() {
                axpy(v, &g[k * f..(k + 1) * f], &mut gx);
            }
            let mut l = dot(xu, &gx);
            for k in users.offsets[u]..users.offsets[u + 1] {
                let i = users.index[k] as usize;
                let s = dot(xu, &y[i * f..(i + 1) * f]);
                let c = users.confidence[k];
                l += c * (1.0 - s) * (1.0 - s) - s * s;
            }
            total += l + lambda * dot(xu, xu);
        }
        total
    });
    parts.into_iter().sum::<f64>() + lambda * dot(y, y)
}

/// A fitted ALS model: customer and item factors.
///
/// With serde it is saved with its training histories and checked as it loads
/// (factors 1 to [`MAX_FACTORS`], one finite factor row per customer and item,
/// settings in range, a finite loss).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawAls<C, I>",
        bound(
            serialize = "C: serde::Serialize, I: serde::Serialize",
            deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                           I: Eq + Hash + Clone + serde::de::DeserializeOwned"
        )
    )
)]
pub struct FittedAls<C, I> {
    data: Interactions<C, I>,
    factors: usize,
    regularization: f64,
    alpha: f64,
    iterations: usize,
    loss: f64,
    loss_history: Vec<f64>,
    customer_factors: Vec<f64>,
    item_factors: Vec<f64>,
    exclude_bought: bool,
    cold_start: ColdStart,
}

impl<C, I> FittedAls<C, I> {
    /// Factors per customer and item.
    pub fn factors(&self) -> usize {
        self.factors
    }

    /// The regularization `lambda`.
    pub fn regularization(&self) -> f64 {
        self.regularization
    }

    /// The confidence slope `alpha`.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Iterations run.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The loss `L` at the fitted factors (definition in [`als`](self)).
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// The loss after each iteration, when fitted with
    /// [`track_loss(true)`](AlsParams::track_loss); empty otherwise.
    pub fn loss_history(&self) -> &[f64] {
        &self.loss_history
    }

    /// The factors of customer index `u` (empty out of range).
    pub fn customer_factor(&self, u: usize) -> &[f64] {
        self.customer_factors
            .get(u * self.factors..(u + 1) * self.factors)
            .unwrap_or(&[])
    }

    /// The factors of item index `i` (empty out of range).
    pub fn item_factor(&self, i: usize) -> &[f64] {
        self.item_factors
            .get(i * self.factors..(i + 1) * self.factors)
            .unwrap_or(&[])
    }
}

impl<C, I> Recommender for FittedAls<C, I> {
    type Customer = C;
    type Item = I;

    fn interactions(&self) -> &Interactions<C, I> {
        &self.data
    }

    fn recommend_index(&self, customer: Option<u32>, k: usize) -> Vec<(u32, f64)> {
        match customer {
            Some(u) if (u as usize) < self.data.n_customers() => {
                let xu = self.customer_factor(u as usize);
                let bought = if self.exclude_bought {
                    self.data.history(u as usize).0
                } else {
                    &[]
                };
                // One vectorized pass over the catalogue, scoring each candidate and
                // keeping the top k as it goes. (Splitting the pass over threads was
                // slower: waking the pool costs more than the 10,000-item pass.)
                let mut next = bought.iter().peekable();
                let candidates = self
                    .item_factors
                    .chunks_exact(self.factors)
                    .enumerate()
                    .filter_map(move |(i, yi)| {
                        if next.peek() == Some(&&(i as u32)) {
                            next.next();
                            None
                        } else {
                            Some((i as u32, dot(xu, yi)))
                        }
                    });
                crate::math::simd::vectorized(
                    #[inline(always)]
                    || top_k(candidates, k),
                )
            }
            _ => self.cold_start.recommend(&self.data, k),
        }
    }
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(
    bound(deserialize = "C: Eq + Hash + Clone + serde::de::DeserializeOwned, \
                              I: Eq + Hash + Clone + serde::de::DeserializeOwned")
)]
struct RawAls<C, I> {
    data: Interactions<C, I>,
    factors: usize,
    regularization: f64,
    alpha: f64,
    iterations: usize,
    loss: f64,
    loss_history: Vec<f64>,
    customer_factors: Vec<f64>,
    item_factors: Vec<f64>,
    exclude_bought: bool,
    cold_start: ColdStart,
}

#[cfg(feature = "serde")]
impl<C, I> TryFrom<RawAls<C, I>> for FittedAls<C, I> {
    type Error = Error;

    fn try_from(raw: RawAls<C, I>) -> Result<Self> {
        let f = raw.factors;
        if f == 0 || f > MAX_FACTORS {
            return Err(validate::invalid_parameter(
                "factors",
                f,
                format!("a saved ALS model has 1 to MAX_FACTORS = {MAX_FACTORS} factors"),
            ));
        }
        validate::argument("regularization", raw.regularization, true)?;
        validate::argument("alpha", raw.alpha, false)?;
        validate::finite("loss", 0, raw.loss)?;
        validate::all_finite("loss_history", &raw.loss_history)?;
        validate::same_len(
            "customer_factors",
            raw.data.n_customers().saturating_mul(f),
            raw.customer_factors.len(),
        )?;
        validate::same_len(
            "item_factors",
            raw.data.n_items().saturating_mul(f),
            raw.item_factors.len(),
        )?;
        validate::all_finite("customer_factors", &raw.customer_factors)?;
        validate::all_finite("item_factors", &raw.item_factors)?;
        Ok(Self {
            data: raw.data,
            factors: f,
            regularization: raw.regularization,
            alpha: raw.alpha,
            iterations: raw.iterations,
            loss: raw.loss,
            loss_history: raw.loss_history,
            customer_factors: raw.customer_factors,
            item_factors: raw.item_factors,
            exclude_bought: raw.exclude_bought,
            cold_start: raw.cold_start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_and_cg_agree_on_a_small_system() {
        let f = 3;
        let y = vec![0.5, 0.1, -0.2, 0.3, 0.7, 0.1, -0.4, 0.2, 0.9];
        let g = gram(&y, f);
        let (idx, conf) = ([0u32, 2], [3.0, 2.0]);
        let mut w = Work::new(f, Solver::Cholesky);
        let mut xc = vec![0.0; 3];
        cholesky_row(&mut xc, &y, &g, &idx, &conf, f, 0.1, &mut w).unwrap();
        let mut xg = vec![0.0; 3];
        let mut w2 = Work::new(f, Solver::default());
        cg_row(&mut xg, &y, &g, &idx, &conf, f, 0.1, 3, &mut w2);
        for (a, b) in xc.iter().zip(&xg) {
            assert!((a - b).abs() < 1e-10, "{a} {b}");
        }
    }
}
