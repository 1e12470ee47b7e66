//! Synthetic purchase histories from the BG/NBD purchase process with Gamma-Gamma spend:
//! the crate's benchmark workload, and a what-if tool.
//!
//! Each customer is born at a time drawn uniformly over a window of days and makes a
//! first purchase then. After that (Fader, Hardie & Lee 2005; Fader & Hardie 2013):
//!
//! - while alive, purchases follow a Poisson process with rate `lambda` per week,
//!   `lambda ~ Gamma(shape r, rate alpha)`;
//! - after each repeat purchase the customer drops out with probability `p_drop`,
//!   `p_drop ~ Beta(a, b)`;
//! - each purchase's spend is `Gamma(shape p, rate nu)`, `nu ~ Gamma(shape q, rate v)`,
//!   rounded to cents.
//!
//! Purchases up to the observation end are kept; a purchase at continuous time `t` (in
//! days) falls on `Day(floor(t))`. Customers are generated in blocks of
//! [`BLOCK`] with a generator seeded from `(seed, block)`, so the output depends on the
//! seed alone, not on the number of threads.
//!
//! ```
//! use patronage::simulate::Simulation;
//! use patronage::transactions::Day;
//!
//! let sim = Simulation::new(1_000).births(Day(0), Day(364)).observation_end(Day(728)).seed(7);
//! let rows = sim.transactions()?;
//! assert!(rows.len() >= 1_000); // every customer buys at least once
//! assert_eq!(rows, sim.transactions()?); // same seed, same rows
//! # Ok::<(), patronage::Error>(())
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::{Error, Result};
use crate::kernels::mix;
use crate::summary::CustomerSummary;
use crate::transactions::{Day, Transaction};

/// Customers per independently seeded block.
pub const BLOCK: usize = 4096;

/// Parameters of a simulated customer base (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Simulation {
    n_customers: usize,
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    p: f64,
    q: f64,
    v: f64,
    birth_first: Day,
    birth_last: Day,
    observation_end: Day,
    seed: u64,
    #[cfg_attr(feature = "serde", serde(default = "default_max_purchases"))]
    max_purchases: usize,
    #[cfg_attr(feature = "serde", serde(default))]
    row_order: RowOrder,
}

/// The order [`Simulation::transactions`] writes its rows in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RowOrder {
    /// Each customer's rows together, customers in order, each customer's rows by day
    /// (the order that suits a log's build best). The default.
    #[default]
    ByCustomer,
    /// By day, customers interleaved within a day in an order drawn from the seed: an
    /// event log or order table as it is exported.
    ByDay,
    /// A permutation drawn from the seed.
    Shuffled,
}

#[cfg(feature = "serde")]
fn default_max_purchases() -> usize {
    MAX_PURCHASES
}

impl Simulation {
    /// `n_customers` customers with the CDNOW-like defaults of the "synthetic-1M"
    /// workload: r = 0.25, alpha = 4, a = 0.8, b = 2.5, p = 6, q = 4, v = 15, births
    /// uniform over days 0..=364, observed to day 728, seed 42.
    pub fn new(n_customers: usize) -> Self {
        Self {
            n_customers,
            r: 0.25,
            alpha: 4.0,
            a: 0.8,
            b: 2.5,
            p: 6.0,
            q: 4.0,
            v: 15.0,
            birth_first: Day(0),
            birth_last: Day(364),
            observation_end: Day(728),
            seed: 42,
            max_purchases: MAX_PURCHASES,
            row_order: RowOrder::ByCustomer,
        }
    }

    /// The standard benchmark workload "synthetic-1M": 1,000,000 customers with the
    /// defaults of [`Simulation::new`] (about 3 million transactions).
    pub fn synthetic_1m() -> Self {
        Self::new(1_000_000)
    }

    /// BG/NBD purchase process: rate `lambda ~ Gamma(r, rate alpha)` per week, dropout
    /// probability `~ Beta(a, b)`.
    ///
    /// ```
    /// let sim = patronage::simulate::Simulation::new(10).purchase_process(0.5, 6.0, 1.0, 3.0);
    /// assert!(sim.transactions().is_ok());
    /// ```
    pub fn purchase_process(mut self, r: f64, alpha: f64, a: f64, b: f64) -> Self {
        (self.r, self.alpha, self.a, self.b) = (r, alpha, a, b);
        self
    }

    /// Gamma-Gamma spend: per purchase `Gamma(p, rate nu)`, `nu ~ Gamma(q, rate v)`.
    /// Amounts are rounded to cents and capped at
    /// [`MAX_AMOUNT`](crate::transactions::MAX_AMOUNT), the most a log row may hold (only
    /// absurd parameters reach it).
    ///
    /// ```
    /// let sim = patronage::simulate::Simulation::new(10).spend(6.0, 4.0, 15.0);
    /// assert!(sim.transactions().is_ok());
    /// ```
    pub fn spend(mut self, p: f64, q: f64, v: f64) -> Self {
        (self.p, self.q, self.v) = (p, q, v);
        self
    }

    /// Births uniform over the days `first..=last`.
    ///
    /// ```
    /// use patronage::{simulate::Simulation, transactions::Day};
    /// let rows = Simulation::new(50).births(Day(10), Day(10)).transactions()?;
    /// assert!(rows.iter().all(|t| t.day >= Day(10)));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn births(mut self, first: Day, last: Day) -> Self {
        (self.birth_first, self.birth_last) = (first, last);
        self
    }

    /// The last day observed (inclusive).
    ///
    /// ```
    /// use patronage::{simulate::Simulation, transactions::Day};
    /// let rows = Simulation::new(50).observation_end(Day(400)).transactions()?;
    /// assert!(rows.iter().all(|t| t.day <= Day(400)));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn observation_end(mut self, day: Day) -> Self {
        self.observation_end = day;
        self
    }

    /// The seed of every random draw.
    ///
    /// ```
    /// use patronage::simulate::Simulation;
    /// assert_ne!(Simulation::new(20).seed(1).transactions()?, Simulation::new(20).seed(2).transactions()?);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most purchases the simulation may draw in all (default [`MAX_PURCHASES`]);
    /// past it, [`transactions`](Self::transactions) and
    /// [`summary_continuous`](Self::summary_continuous) stop with
    /// [`Error::LimitExceeded`]. Raise it for larger workloads: memory is about 24 bytes
    /// a purchase for `transactions`.
    ///
    /// ```
    /// use patronage::simulate::Simulation;
    /// let small = Simulation::new(10_000).max_purchases(1_000);
    /// assert!(matches!(small.transactions(), Err(patronage::Error::LimitExceeded { limit: 1_000, .. })));
    /// ```
    pub fn max_purchases(mut self, max_purchases: usize) -> Self {
        self.max_purchases = max_purchases;
        self
    }

    fn distributions(&self) -> Result<Distributions> {
        self.validate()?;
        let gamma = |name: &'static str, shape: f64, rate: f64| {
            Gamma::new(shape, 1.0 / rate).map_err(|e| Error::InvalidParameter {
                name,
                value: format!("shape {shape}, rate {rate}"),
                reason: e.to_string(),
            })
        };
        Ok(Distributions {
            lambda: gamma("r, alpha", self.r, self.alpha)?,
            dropout: Beta::new(self.a, self.b).map_err(|e| Error::InvalidParameter {
                name: "a, b",
                value: format!("{}, {}", self.a, self.b),
                reason: e.to_string(),
            })?,
            nu: gamma("q, v", self.q, self.v)?,
        })
    }

    fn validate(&self) -> Result<()> {
        Error::check_count(
            "n_customers",
            self.n_customers,
            1,
            "MAX_CUSTOMERS",
            MAX_CUSTOMERS,
        )?;
        for (name, value) in [
            ("r", self.r),
            ("alpha", self.alpha),
            ("a", self.a),
            ("b", self.b),
            ("p", self.p),
            ("q", self.q),
            ("v", self.v),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value: value.to_string(),
                    reason: "must be positive and finite".into(),
                });
            }
        }
        if self.birth_last < self.birth_first {
            return Err(Error::InvalidParameter {
                name: "births",
                value: format!("{}..={}", self.birth_first.0, self.birth_last.0),
                reason: "the last birth day is before the first".into(),
            });
        }
        if self.observation_end < self.birth_last {
            return Err(Error::InvalidParameter {
                name: "observation_end",
                value: self.observation_end.0.to_string(),
                reason: "observation must end on or after the last birth day".into(),
            });
        }
        Ok(())
    }

    /// Runs `visit(customer, birth_days, purchase_times_days, spends)` for every customer,
    /// block by block, and concatenates the blocks' outputs in order.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] when the customers draw more than the simulation's
    /// `max_purchases` purchases in all (every block then stops early; whether it
    /// happens depends only on the seed and parameters).
    fn run<T, F>(&self, dists: &Distributions, per_block: F) -> Result<Vec<T>>
    where
        T: Send,
        F: Fn(&mut Sampler, std::ops::Range<usize>, &mut Vec<T>) + Sync,
    {
        let blocks = self.n_customers.div_ceil(BLOCK);
        let budget = Budget {
            drawn: AtomicUsize::new(0),
            limit: self.max_purchases,
            exceeded: AtomicBool::new(false),
        };
        let block = |k: usize| {
            let mut out = Vec::new();
            let mut s = Sampler::new(self, dists, k, &budget);
            per_block(
                &mut s,
                k * BLOCK..((k + 1) * BLOCK).min(self.n_customers),
                &mut out,
            );
            s.flush();
            out
        };
        #[cfg(feature = "parallel")]
        let parts: Vec<Vec<T>> = {
            use rayon::prelude::*;
            (0..blocks).into_par_iter().map(block).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let parts: Vec<Vec<T>> = (0..blocks).map(block).collect();
        if budget.exceeded.into_inner() {
            return Err(Error::LimitExceeded {
                what: "purchases drawn by the simulation (or by one customer, past \
                       MAX_PURCHASES_PER_CUSTOMER)",
                size: self.max_purchases as u64 + 1,
                limit: self.max_purchases as u64,
                hint: "fewer customers, a lower purchase rate (r / alpha) or more dropout \
                       (a, b); or raise Simulation::max_purchases",
            });
        }
        let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for mut p in parts {
            all.append(&mut p);
        }
        Ok(all)
    }

    /// The simulated purchases, customers numbered `0..n_customers` (as `u64`), each
    /// customer's rows in time order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero customers, a non-positive or non-finite model
    /// parameter, a birth window that ends before it starts, or an observation end
    /// before the last birth day; [`Error::LimitExceeded`] when the customers draw
    /// more than [`max_purchases`](Self::max_purchases) purchases in all.
    pub fn transactions(&self) -> Result<Vec<Transaction<u64>>> {
        let dists = self.distributions()?;
        let end = f64::from(self.observation_end.0) + 1.0; // purchases before day end+1
        let mut rows = self.run(&dists, |s, customers, out| {
            out.reserve(customers.len() * 3);
            for c in customers {
                s.customer(end, |t_days, amount| {
                    out.push(Transaction {
                        customer: c as u64,
                        day: Day(t_days.floor() as i32),
                        amount,
                    })
                });
            }
        })?;
        // Seeded like the blocks, with a stream of its own.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(self.seed, u64::MAX));
        match self.row_order {
            RowOrder::ByCustomer => {}
            RowOrder::ByDay => {
                let mut keyed: Vec<(Day, u64, Transaction<u64>)> =
                    rows.into_iter().map(|t| (t.day, rng.random(), t)).collect();
                keyed.sort_unstable_by_key(|&(day, key, _)| (day, key));
                rows = keyed.into_iter().map(|(_, _, t)| t).collect();
            }
            RowOrder::Shuffled => {
                for k in (1..rows.len()).rev() {
                    rows.swap(k, rng.random_range(0..=k));
                }
            }
        }
        Ok(rows)
    }

    /// The order of [`transactions`](Self::transactions)' rows (default
    /// [`RowOrder::ByCustomer`]). The rows are the same in any order.
    ///
    /// ```
    /// use patronage::simulate::{RowOrder, Simulation};
    /// let sim = Simulation::new(300);
    /// let by_day = sim.clone().row_order(RowOrder::ByDay).transactions()?;
    /// assert!(by_day.windows(2).all(|w| w[0].day <= w[1].day));
    /// let mut a = sim.transactions()?;
    /// let mut b = sim.row_order(RowOrder::Shuffled).transactions()?;
    /// let key = |t: &patronage::Transaction<u64>| (t.customer, t.day, t.amount.to_bits());
    /// assert_ne!(a, b);
    /// a.sort_by_key(key);
    /// b.sort_by_key(key);
    /// assert_eq!(a, b);
    /// # Ok::<(), patronage::Error>(())
    /// ```
    #[must_use]
    pub fn row_order(mut self, order: RowOrder) -> Self {
        self.row_order = order;
        self
    }

    /// Each customer's exact continuous-time summary at the observation end (the end
    /// of its day): frequency, recency and T in weeks, not rounded to days, and
    /// monetary value (mean spend of repeat purchases). This is the data the BG/NBD and
    /// Gamma-Gamma likelihoods assume, for parameter-recovery checks.
    ///
    /// # Errors
    /// As [`transactions`](Self::transactions).
    ///
    /// ```
    /// use patronage::simulate::Simulation;
    /// let s = Simulation::new(500).summary_continuous()?;
    /// assert_eq!(s.len(), 500);
    /// assert!(s.recency().iter().zip(s.age()).all(|(r, t)| r <= t));
    /// # Ok::<(), patronage::Error>(())
    /// ```
    pub fn summary_continuous(&self) -> Result<CustomerSummary> {
        let dists = self.distributions()?;
        let end = f64::from(self.observation_end.0) + 1.0;
        let rows: Vec<[f64; 4]> = self.run(&dists, |s, customers, out| {
            for _ in customers {
                let mut birth = None;
                let (mut x, mut last, mut spend) = (0.0, 0.0, 0.0);
                s.customer(end, |t_days, amount| match birth {
                    None => birth = Some(t_days),
                    Some(b) => {
                        x += 1.0;
                        last = (t_days - b) / 7.0;
                        spend += amount;
                    }
                });
                let b = birth.unwrap_or(end);
                let m = if x > 0.0 { spend / x } else { 0.0 };
                out.push([x, last, (end - b) / 7.0, m]);
            }
        })?;
        let col = |k: usize| -> Vec<f64> { rows.iter().map(|r| r[k]).collect() };
        CustomerSummary::from_columns(&col(0), &col(1), &col(2), Some(&col(3)))?
            .with_time_unit_days(7.0)
    }
}

/// The population distributions, built once from validated parameters.
struct Distributions {
    lambda: Gamma<f64>,
    dropout: Beta<f64>,
    nu: Gamma<f64>,
}

/// The default most purchases one simulation may draw in all, one customer or many
/// (about 2.4 GB as transactions; [`Simulation::max_purchases`] sets another): past it
/// [`Simulation::transactions`] and [`Simulation::summary_continuous`] stop with
/// [`Error::LimitExceeded`] instead of filling memory or running without end (a
/// nearly endless purchase rate).
pub const MAX_PURCHASES: usize = 100_000_000;

/// Most purchases one simulated customer may draw (a nearly endless purchase rate
/// stops there rather than at [`MAX_PURCHASES`]); past it the simulation stops with the
/// same [`Error::LimitExceeded`].
pub const MAX_PURCHASES_PER_CUSTOMER: usize = 1_000_000;

/// Purchases a customer draws between checks of the shared budget.
const BUDGET_STEP: usize = 4096;

/// The purchases all blocks have drawn, against the limit. Once the count passes the
/// limit every block stops; whether it does depends only on the seed and parameters
/// (the count passes the limit exactly when the whole simulation would), so the result
/// is the same on any thread count.
struct Budget {
    drawn: AtomicUsize,
    limit: usize,
    exceeded: AtomicBool,
}

impl Budget {
    /// Adds `n` purchases; false once the limit is passed (by anyone).
    fn spend(&self, n: usize) -> bool {
        let total = self.drawn.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        if total > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        self.open()
    }

    /// Whether the limit is still unpassed.
    fn open(&self) -> bool {
        !self.exceeded.load(Ordering::Relaxed)
    }
}

/// Most customers one [`Simulation`] may draw (about 40 GB of transactions at the
/// default rates): a mistaken count such as `usize::MAX` is an error, not an attempt
/// to fill memory.
pub const MAX_CUSTOMERS: usize = 1_000_000_000;

/// Most series, and most observations per series, [`monthly_series`] draws.
pub const MAX_SERIES: usize = 1_000_000;

/// The random draws of one block of customers.
struct Sampler<'a> {
    rng: Xoshiro256PlusPlus,
    lambda: Gamma<f64>,
    dropout: Beta<f64>,
    nu: Gamma<f64>,
    p: f64,
    birth_first: f64,
    birth_span: f64,
    /// The simulation's purchase budget, shared by every block, and the purchases
    /// this block drew since it last added to it (added every `BUDGET_STEP`).
    budget: &'a Budget,
    unspent: usize,
}

impl<'a> Sampler<'a> {
    fn new(sim: &Simulation, dists: &Distributions, block: usize, budget: &'a Budget) -> Self {
        Self {
            rng: Xoshiro256PlusPlus::seed_from_u64(mix(sim.seed, block as u64)),
            lambda: dists.lambda,
            dropout: dists.dropout,
            nu: dists.nu,
            p: sim.p,
            birth_first: f64::from(sim.birth_first.0),
            birth_span: sim.birth_last.days_since(sim.birth_first) as f64 + 1.0,
            budget,
            unspent: 0,
        }
    }

    /// Draws one customer and calls `purchase(time_in_days, amount)` for each purchase
    /// before `end` (in days), the first at birth.
    fn customer(&mut self, end: f64, mut purchase: impl FnMut(f64, f64)) {
        if !self.budget.open() {
            return;
        }
        let birth = self.birth_first + self.rng.random::<f64>() * self.birth_span;
        let lambda = self.lambda.sample(&mut self.rng) / 7.0; // per day
        let p_drop = self.dropout.sample(&mut self.rng);
        let nu = self.nu.sample(&mut self.rng);
        let spend = Gamma::new(self.p, 1.0 / nu).ok();
        let amount = |rng: &mut Xoshiro256PlusPlus| {
            // Rounded to cents and capped at the most a log row holds: spend models with
            // absurd parameters (a q near 0 gives rates near 0) draw infinite amounts.
            spend.map_or(0.0, |g| {
                ((g.sample(rng) * 100.0).round() / 100.0).min(crate::transactions::MAX_AMOUNT)
            })
        };
        let first = amount(&mut self.rng);
        purchase(birth, first);
        if !self.count_purchase() {
            return;
        }
        let Ok(gap) = Exp::new(lambda) else { return };
        let mut t = birth;
        for _ in 1..MAX_PURCHASES_PER_CUSTOMER {
            t += gap.sample(&mut self.rng);
            if t >= end {
                return;
            }
            let a = amount(&mut self.rng);
            purchase(t, a);
            if !self.count_purchase() || self.rng.random::<f64>() < p_drop {
                return;
            }
        }
        // One customer alone passed its limit: the whole simulation stops.
        self.budget.exceeded.store(true, Ordering::Relaxed);
    }

    /// Counts one purchase against the budget; false once the budget is passed.
    fn count_purchase(&mut self) -> bool {
        self.unspent += 1;
        if self.unspent < BUDGET_STEP {
            return true;
        }
        let n = std::mem::take(&mut self.unspent);
        self.budget.spend(n)
    }

    /// Adds the purchases not yet counted (at the end of a block).
    fn flush(&mut self) {
        let n = std::mem::take(&mut self.unspent);
        self.budget.spend(n);
    }
}

/// The season length of [`monthly_series`]'s series: 12 months.
pub const MONTHLY_SEASON: usize = 12;

/// The "monthly-1000" forecasting workload: `n_series` monthly series (season length
/// [`MONTHLY_SEASON`], 12) of `length` observations each, as plain values (build a
/// [`forecast::Series`](crate::forecast::Series) from each with that season), `y_t = level * exp(g t + A sin(2 pi t / 12 + phase) + u_t)`
/// with level uniform on 50..5000, monthly growth `g ~ N(0.003, 0.004)`, seasonal
/// amplitude `A` uniform on 0..0.35 with a uniform phase, and log-noise `u_t` an AR(1)
/// with coefficient 0.5 (started from its stationary distribution) whose innovations have
/// a standard deviation uniform on 0.02..0.12.
///
/// Series `i` is drawn from a generator seeded by `(seed, i)`, so a series does not
/// depend on how many others are drawn.
///
/// ```
/// use patronage::forecast::Series;
/// use patronage::simulate::{monthly_series, MONTHLY_SEASON};
/// let values = monthly_series(3, 120, 7)?;
/// assert_eq!(values.len(), 3);
/// assert!(values.iter().all(|v| v.len() == 120 && v.iter().all(|y| *y > 0.0)));
/// assert_eq!(values, monthly_series(3, 120, 7)?);
/// let series = Series::new(&values[0], MONTHLY_SEASON)?;
/// assert_eq!(series.season_length(), 12);
/// # Ok::<(), patronage::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `n_series` or `length` above [`MAX_SERIES`], or a
/// `length` of 0.
pub fn monthly_series(n_series: usize, length: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    Error::check_count("n_series", n_series, 0, "MAX_SERIES", MAX_SERIES)?;
    Error::check_count("length", length, 1, "MAX_SERIES", MAX_SERIES)?;
    Ok((0..n_series)
        .map(|i| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                seed ^ (i as u64)
                    .wrapping_add(1)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let level = 50.0 + rng.random::<f64>() * 4950.0;
            let z: f64 = rng.sample(StandardNormal);
            let growth = 0.003 + 0.004 * z;
            let amplitude = 0.35 * rng.random::<f64>();
            let phase = std::f64::consts::TAU * rng.random::<f64>();
            let sd = 0.02 + 0.10 * rng.random::<f64>();
            let z0: f64 = rng.sample(StandardNormal);
            let mut u = z0 * sd / (1.0f64 - 0.25).sqrt();
            (0..length)
                .map(|t| {
                    if t > 0 {
                        let e: f64 = rng.sample(StandardNormal);
                        u = 0.5 * u + sd * e;
                    }
                    let tf = t as f64;
                    let season = amplitude * (std::f64::consts::TAU * tf / 12.0 + phase).sin();
                    level * (growth * tf + season + u).exp()
                })
                .collect()
        })
        .collect())
}
