//! Time-invariant customer covariates in the purchase and spend models (CLVTools'
//! "static covariates"; pymc-marketing's covariate BG/NBD and Pareto/NBD).
//!
//! Each customer's own parameters scale with `exp(γ' z)` for their covariates `z`
//! (acquisition channel, region, demographics), with coefficients `γ` per process:
//!
//! | model | purchase covariates | dropout covariates | spend covariates |
//! | --- | --- | --- | --- |
//! | [`ParetoNbd`] | `α_i = α exp(-γ_purchase' z)` | `β_i = β exp(-γ_dropout' z)` | |
//! | [`BetaGeo`] | `α_i = α exp(-γ_purchase' z)` | `a_i = a exp(γ_dropout_a' z)`, `b_i = b exp(γ_dropout_b' z)` | |
//! | [`GammaGamma`] | | | `v_i = v exp(γ_spend' z)` |
//!
//! so a positive purchase coefficient means more purchases (the mean purchase rate
//! `r / α_i` grows by `exp(γ)` per unit of the covariate), a positive Pareto/NBD dropout
//! coefficient a faster dropout (`s / β_i`), and a positive spend coefficient a higher
//! mean spend (`p v_i / (q - 1)`). These are CLVTools' parameterizations (`pnbd`,
//! `bgnbd` with `names.cov.trans` and `names.cov.life`). A customer with all covariates
//! 0 has the base parameters: centring the covariates makes the base model the
//! average customer's and helps the fit.
//!
//! **Fitting.** [`CovariateData`] joins a [`CustomerSummary`] with a covariate matrix
//! per process ([`Covariates`]: one row per customer, named columns, any subset of
//! processes); the same params that fit the plain model fit it
//! (`ParetoNbd::params().fit(&data)`), by maximum likelihood over the base parameters
//! (on their logs) and every coefficient, with the analytic gradient of each customer's
//! log-likelihood carried to the coefficients by the chain rule. The fit starts from
//! the plain model's fit and coefficients 0. Standard errors of every parameter come
//! from the observed information, as for the plain models. Without any covariate
//! column the fit *is* the plain model's fit (same code, same numbers).
//!
//! **Speed.** Identical `(x, t_x, T)` rows no longer share a likelihood, but identical
//! rows *with identical covariates* still do: rows are compressed on
//! `(x, t_x, T, z)`, so categorical covariates (channel, region) at day or week
//! resolution keep most of the plain model's compression; the rest is summed in
//! parallel chunks (deterministic for any thread count).
//!
//! **Predictions** come from each customer's own model ([`CovariateModel::customer`],
//! [`CovariateModel::customers`]): every prediction of the plain model (P(alive),
//! expected purchases, P(n purchases), CLV with [`Valuation`](super::value::Valuation))
//! applies to it unchanged.
//!
//! ```
//! use ndarray::Array2;
//! use patronage::prelude::*;
//! use patronage::clv::covariates::{CovariateData, CovariateModel, Covariates};
//! use patronage::clv::ParetoNbd;
//!
//! // A population where channel 1 buys twice as often as channel 0.
//! let truth = ParetoNbd::from_params(0.8, 8.0, 0.6, 12.0)?;
//! let n = 4_000;
//! let channel = Array2::from_shape_fn((n, 1), |(i, _)| (i % 2) as f64);
//! let ages = vec![52.0; n];
//! let z = Covariates::new(&["web"], channel.view())?;
//! let simulated = CovariateModel::from_parts(truth, &z, &Covariates::none(n), &[2f64.ln()], &[])?
//!     .simulate(&ages, &z, &Covariates::none(n), 7)?;
//! let data = CovariateData::new(&simulated).purchase(z)?;
//! let model = ParetoNbd::params().fit(&data)?;
//! let web = model.coefficient("purchase", "web").expect("fitted");
//! assert!((web - 2f64.ln()).abs() < 0.2);
//! // Each customer's own model predicts as the plain one does.
//! let p = model.customer(&[1.0], &[], &[])?.probability_alive(3.0, 40.0, 52.0)?;
//! assert!((0.0..=1.0).contains(&p));
//! # Ok::<(), patronage::Error>(())
//! ```

use ndarray::ArrayView2;

use super::fit::{PARAM_MAX, PARAM_MIN, covariance_of, fit_params};
use super::{BetaGeo, GammaGamma, ParetoNbd, PurchaseModel, SpendModel};
use crate::error::{Error, Result};
use crate::model::{Fit, FitReport, FittedModel, Optimizer};
use crate::summary::CustomerSummary;

/// Covariates of one process: a matrix with one row per customer (in the summary's
/// order) and one named column per covariate, borrowed.
#[derive(Debug, Clone)]
pub struct Covariates<'a> {
    names: Vec<String>,
    values: ArrayView2<'a, f64>,
    rows: usize,
}

impl<'a> Covariates<'a> {
    /// Covariates with the given column names.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the names do not match the columns;
    /// [`Error::InvalidParameter`] for an empty or repeated name; [`Error::NonFinite`]
    /// naming field `covariates` and the row of a NaN or infinite value.
    pub fn new(names: &[&str], values: ArrayView2<'a, f64>) -> Result<Self> {
        crate::validate::same_len("covariate names", values.ncols(), names.len())?;
        for (k, name) in names.iter().enumerate() {
            if name.is_empty() || names[..k].contains(name) {
                return Err(crate::validate::invalid_parameter(
                    "covariate names",
                    name,
                    "each covariate needs a name of its own",
                ));
            }
        }
        for (row, values) in values.rows().into_iter().enumerate() {
            for &v in values {
                crate::validate::finite("covariates", row, v)?;
            }
        }
        Ok(Self {
            names: names.iter().map(|s| s.to_string()).collect(),
            rows: values.nrows(),
            values,
        })
    }

    /// No covariates for `customers` customers.
    pub fn none(customers: usize) -> Self {
        const EMPTY: &[[f64; 0]] = &[];
        Covariates {
            names: Vec::new(),
            values: ArrayView2::from(EMPTY as &'a [[f64; 0]]),
            rows: customers,
        }
    }

    /// The column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of customers (rows).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn width(&self) -> usize {
        self.names.len()
    }
}

/// A summary with covariates for the processes a model links them to (see the
/// [module docs](self)): each matrix has one row per customer of the summary.
#[derive(Debug, Clone)]
pub struct CovariateData<'a> {
    summary: &'a CustomerSummary,
    purchase: Covariates<'a>,
    dropout: Covariates<'a>,
    spend: Covariates<'a>,
}

impl<'a> CovariateData<'a> {
    /// The summary without covariates (add them with [`purchase`](Self::purchase),
    /// [`dropout`](Self::dropout) and [`spend`](Self::spend)).
    pub fn new(summary: &'a CustomerSummary) -> Self {
        let n = summary.len();
        Self {
            summary,
            purchase: Covariates::none(n),
            dropout: Covariates::none(n),
            spend: Covariates::none(n),
        }
    }

    fn with(mut self, process: Process, covariates: Covariates<'a>) -> Result<Self> {
        let field = match process {
            Process::Purchase => "purchase covariates",
            Process::Dropout => "dropout covariates",
            Process::Spend => "spend covariates",
        };
        crate::validate::same_len(field, self.summary.len(), covariates.len())?;
        match process {
            Process::Purchase => self.purchase = covariates,
            Process::Dropout => self.dropout = covariates,
            Process::Spend => self.spend = covariates,
        }
        Ok(self)
    }

    /// Covariates of the purchase process (Pareto/NBD's and BG/NBD's `α`).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless there is one row per customer.
    pub fn purchase(self, covariates: Covariates<'a>) -> Result<Self> {
        self.with(Process::Purchase, covariates)
    }

    /// Covariates of the dropout process (Pareto/NBD's `β`, BG/NBD's `a` and `b`).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless there is one row per customer.
    pub fn dropout(self, covariates: Covariates<'a>) -> Result<Self> {
        self.with(Process::Dropout, covariates)
    }

    /// Covariates of spend (Gamma-Gamma's `v`).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless there is one row per customer.
    pub fn spend(self, covariates: Covariates<'a>) -> Result<Self> {
        self.with(Process::Spend, covariates)
    }

    /// The summary.
    pub fn summary(&self) -> &CustomerSummary {
        self.summary
    }

    fn of(&self, process: Process) -> &Covariates<'a> {
        match process {
            Process::Purchase => &self.purchase,
            Process::Dropout => &self.dropout,
            Process::Spend => &self.spend,
        }
    }
}

mod sealed {
    use super::{CustomerSummary, Optimizer, Result};
    use crate::model::{Fit, FittedModel, Optimized};

    /// A process the covariates act on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Process {
        Purchase,
        Dropout,
        Spend,
    }

    /// A base parameter scaled by the covariates of a process: `p_i = p exp(sign γ' z)`.
    #[derive(Debug, Clone, Copy)]
    pub struct Link {
        pub param: usize,
        pub process: Process,
        pub sign: f64,
        pub block: &'static str,
    }

    /// What the covariate fits need of a model (the crate's, sealed).
    pub trait Sealed: Clone + FittedModel + Send + Sync + Sized {
        const MODEL: &'static str;
        const NAMES: &'static [&'static str];
        const LINKS: &'static [Link];

        /// The rows the likelihood sums over: `(row of the summary, [three values])`.
        fn rows(summary: &CustomerSummary) -> Result<Vec<(usize, [f64; 3])>>;

        /// One row's log-likelihood and gradient in the base parameters' natural values.
        fn row_log_likelihood(p: &[f64; 4], row: &[f64; 3]) -> (f64, [f64; 4]);

        /// The plain model's params.
        type Params: Default + Optimized + for<'s> Fit<&'s CustomerSummary, Fitted = Self>;

        /// The plain model fitted with `optimizer`'s settings.
        fn fit_plain(optimizer: &Optimizer, summary: &CustomerSummary) -> Result<Self> {
            let mut params = Self::Params::default();
            *params.optimizer_mut() = *optimizer;
            params.fit(summary)
        }

        /// The model with given base parameters.
        fn from_values(values: &[f64]) -> Result<Self>;
    }
}

use sealed::{Link, Process, Sealed};

/// The models that take covariates: [`ParetoNbd`], [`BetaGeo`] and [`GammaGamma`]
/// (sealed: the links are the crate's).
pub trait Linked: Sealed {}

impl Linked for ParetoNbd {}
impl Linked for BetaGeo {}
impl Linked for GammaGamma {}

impl Sealed for ParetoNbd {
    type Params = super::ParetoNbdParams;
    const MODEL: &'static str = "Pareto/NBD";
    const NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];
    const LINKS: &'static [Link] = &[
        Link {
            param: 1,
            process: Process::Purchase,
            sign: -1.0,
            block: "purchase",
        },
        Link {
            param: 3,
            process: Process::Dropout,
            sign: -1.0,
            block: "dropout",
        },
    ];

    fn rows(summary: &CustomerSummary) -> Result<Vec<(usize, [f64; 3])>> {
        Ok(history_rows(summary))
    }

    fn row_log_likelihood(p: &[f64; 4], row: &[f64; 3]) -> (f64, [f64; 4]) {
        super::pareto_nbd::customer_log_likelihood(p, row[0], row[1], row[2])
    }

    fn from_values(v: &[f64]) -> Result<Self> {
        ParetoNbd::from_params(v[0], v[1], v[2], v[3])
    }
}

impl Sealed for BetaGeo {
    type Params = super::BetaGeoParams;
    const MODEL: &'static str = "BG/NBD";
    const NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];
    const LINKS: &'static [Link] = &[
        Link {
            param: 1,
            process: Process::Purchase,
            sign: -1.0,
            block: "purchase",
        },
        Link {
            param: 2,
            process: Process::Dropout,
            sign: 1.0,
            block: "dropout_a",
        },
        Link {
            param: 3,
            process: Process::Dropout,
            sign: 1.0,
            block: "dropout_b",
        },
    ];

    fn rows(summary: &CustomerSummary) -> Result<Vec<(usize, [f64; 3])>> {
        Ok(history_rows(summary))
    }

    fn row_log_likelihood(p: &[f64; 4], row: &[f64; 3]) -> (f64, [f64; 4]) {
        super::bgnbd::customer_log_likelihood(p, row[0], row[1], row[2])
    }

    fn from_values(v: &[f64]) -> Result<Self> {
        BetaGeo::from_params(v[0], v[1], v[2], v[3])
    }
}

impl Sealed for GammaGamma {
    type Params = super::GammaGammaParams;
    const MODEL: &'static str = "Gamma-Gamma";
    const NAMES: &'static [&'static str] = &["p", "q", "v"];
    const LINKS: &'static [Link] = &[Link {
        param: 2,
        process: Process::Spend,
        sign: 1.0,
        block: "spend",
    }];

    /// Repeat buyers: `(x, mean spend, ln mean spend)`; a repeat buyer without positive
    /// spend is an error (the plain model's `eligible_only` has no covariate form).
    fn rows(summary: &CustomerSummary) -> Result<Vec<(usize, [f64; 3])>> {
        let spend = summary.monetary_value();
        let mut rows = Vec::new();
        for (i, (&x, &m)) in summary.frequency().iter().zip(spend).enumerate() {
            if x == 0.0 {
                continue;
            }
            if !(m > 0.0 && m.is_finite()) {
                return Err(crate::validate::invalid_value(
                    "monetary_value",
                    i,
                    m,
                    "Gamma-Gamma with covariates needs positive spend for every repeat buyer",
                ));
            }
            rows.push((i, [x, m, m.ln()]));
        }
        Ok(rows)
    }

    fn row_log_likelihood(par: &[f64; 4], row: &[f64; 3]) -> (f64, [f64; 4]) {
        super::gamma_gamma::customer_log_likelihood(&[par[0], par[1], par[2]], row)
    }

    fn from_values(v: &[f64]) -> Result<Self> {
        GammaGamma::from_params(v[0], v[1], v[2])
    }
}

/// Every customer's `(x, t_x, T)`.
fn history_rows(summary: &CustomerSummary) -> Vec<(usize, [f64; 3])> {
    let (x, tx, t) = (summary.frequency(), summary.recency(), summary.age());
    (0..x.len()).map(|i| (i, [x[i], tx[i], t[i]])).collect()
}

/// A model fitted with covariates: base parameters (those of a customer whose
/// covariates are all 0), coefficients per linked parameter, and the fit report over
/// all of them (see the [module docs](self)).
///
/// With the `serde` feature a saved model is checked as it loads (base parameters as
/// the plain model's, one finite coefficient per covariate and link, distinct names,
/// a report consistent with the parameter count).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        try_from = "RawCovariateModel<M>",
        bound(
            serialize = "M: serde::Serialize",
            deserialize = "M: Linked + serde::de::DeserializeOwned"
        )
    )
)]
pub struct CovariateModel<M> {
    base: M,
    purchase: Vec<String>,
    dropout: Vec<String>,
    spend: Vec<String>,
    coefficients: Vec<f64>,
    report: FitReport,
}

impl<M: Linked> CovariateModel<M> {
    /// A model from given base parameters and coefficients (e.g. to simulate data or
    /// to use published estimates): `purchase` and `dropout` give the covariate names
    /// (any rows; for Gamma-Gamma `purchase` names the spend covariates and `dropout`
    /// must be empty), then one coefficient slice per link in the order of the
    /// [module docs](self)' table (BG/NBD's dropout: `a`'s then `b`'s coefficients in
    /// `dropout_coefficients`).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when a coefficient slice does not match its names;
    /// [`Error::NonFinite`] naming `coefficients` for a non-finite one.
    pub fn from_parts(
        base: M,
        purchase: &Covariates<'_>,
        dropout: &Covariates<'_>,
        purchase_coefficients: &[f64],
        dropout_coefficients: &[f64],
    ) -> Result<Self> {
        let first = purchase.names.clone();
        let second = dropout.names.clone();
        let (purchase_names, dropout_names, spend_names) = if M::LINKS[0].process == Process::Spend
        {
            crate::validate::same_len("dropout covariates", 0, second.len())?;
            (Vec::new(), Vec::new(), first)
        } else {
            (first, second, Vec::new())
        };
        let mut model = Self {
            base,
            purchase: purchase_names,
            dropout: dropout_names,
            spend: spend_names,
            coefficients: Vec::new(),
            report: FitReport::default(),
        };
        let expected_first = model.width(M::LINKS[0].process);
        crate::validate::same_len(
            "purchase_coefficients",
            expected_first,
            purchase_coefficients.len(),
        )?;
        let rest: usize = M::LINKS[1..].iter().map(|l| model.width(l.process)).sum();
        crate::validate::same_len("dropout_coefficients", rest, dropout_coefficients.len())?;
        let mut coefficients = purchase_coefficients.to_vec();
        coefficients.extend_from_slice(dropout_coefficients);
        crate::validate::all_finite("coefficients", &coefficients)?;
        model.coefficients = coefficients;
        Ok(model)
    }

    /// The model of a customer whose covariates are all 0.
    pub fn base(&self) -> &M {
        &self.base
    }

    /// The covariate names of the purchase, dropout and spend processes.
    pub fn covariate_names(&self) -> (&[String], &[String], &[String]) {
        (&self.purchase, &self.dropout, &self.spend)
    }

    fn names_of(&self, process: Process) -> &[String] {
        match process {
            Process::Purchase => &self.purchase,
            Process::Dropout => &self.dropout,
            Process::Spend => &self.spend,
        }
    }

    fn width(&self, process: Process) -> usize {
        self.names_of(process).len()
    }

    /// The coefficient of covariate `covariate` in block `block` (`"purchase"`,
    /// `"dropout"`, BG/NBD's `"dropout_a"` and `"dropout_b"`, `"spend"`), if the model
    /// has it.
    pub fn coefficient(&self, block: &str, covariate: &str) -> Option<f64> {
        let mut offset = 0;
        for link in M::LINKS {
            let names = self.names_of(link.process);
            if link.block == block {
                let k = names.iter().position(|n| n == covariate)?;
                return self.coefficients.get(offset + k).copied();
            }
            offset += names.len();
        }
        None
    }

    /// The model of one customer with the given covariate values (in the order of
    /// [`covariate_names`](Self::covariate_names); empty slices for the processes the
    /// model has no covariates of).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when a slice does not match the model's covariates;
    /// [`Error::NonFinite`] for a non-finite value; [`Error::InvalidParameter`] when the
    /// customer's parameters overflow (covariates far outside the fitted range).
    pub fn customer(&self, purchase: &[f64], dropout: &[f64], spend: &[f64]) -> Result<M> {
        for (field, process, values) in [
            ("purchase covariates", Process::Purchase, purchase),
            ("dropout covariates", Process::Dropout, dropout),
            ("spend covariates", Process::Spend, spend),
        ] {
            crate::validate::same_len(field, self.width(process), values.len())?;
            for &v in values {
                crate::validate::finite(field, 0, v)?;
            }
        }
        let values = |p: Process| match p {
            Process::Purchase => purchase,
            Process::Dropout => dropout,
            Process::Spend => spend,
        };
        let p = self.individual(|process, k| values(process)[k]);
        M::from_values(&p[..M::NAMES.len()])
    }

    /// Every customer's model, in the summary's order.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the data's covariate names differ in number from
    /// the model's; [`Error::InvalidParameter`] naming the parameter of a customer
    /// whose parameters overflow.
    pub fn customers(&self, data: &CovariateData<'_>) -> Result<Vec<M>> {
        self.check_data(data)?;
        (0..data.summary.len())
            .map(|i| {
                let p = self.individual(|process, k| data.of(process).values[[i, k]]);
                M::from_values(&p[..M::NAMES.len()])
            })
            .collect()
    }

    fn check_data(&self, data: &CovariateData<'_>) -> Result<()> {
        for (field, process) in [
            ("purchase covariates", Process::Purchase),
            ("dropout covariates", Process::Dropout),
            ("spend covariates", Process::Spend),
        ] {
            crate::validate::same_len(field, self.width(process), data.of(process).width())?;
        }
        Ok(())
    }

    /// The base parameters scaled by one customer's covariates (`z(process, k)`).
    fn individual(&self, z: impl Fn(Process, usize) -> f64) -> [f64; 4] {
        let mut p = [0.0; 4];
        let base = self.base.parameter_values();
        p[..base.len()].copy_from_slice(&base);
        let mut offset = 0;
        for link in M::LINKS {
            let width = self.width(link.process);
            let eta: f64 = (0..width)
                .map(|k| self.coefficients[offset + k] * z(link.process, k))
                .sum();
            p[link.param] *= (link.sign * eta).exp();
            offset += width;
        }
        p
    }
}

impl<M: Linked + PurchaseModel> CovariateModel<M> {
    /// P(alive) at `T` of every customer of the data, from their own model.
    ///
    /// # Errors
    /// As [`customers`](Self::customers).
    pub fn probability_alive(&self, data: &CovariateData<'_>) -> Result<Vec<f64>> {
        let s = data.summary;
        let (x, tx, t) = (s.frequency(), s.recency(), s.age());
        self.customers(data)?
            .iter()
            .enumerate()
            .map(|(i, m)| m.probability_alive(x[i], tx[i], t[i]))
            .collect()
    }

    /// Expected repeat purchases in `(T, T + t]` of every customer of the data (`t` in
    /// the summary's time unit), from their own model.
    ///
    /// # Errors
    /// As [`customers`](Self::customers); a negative or non-finite `t`.
    pub fn conditional_expected_purchases(
        &self,
        t: f64,
        data: &CovariateData<'_>,
    ) -> Result<Vec<f64>> {
        let s = data.summary;
        let (x, tx, age) = (s.frequency(), s.recency(), s.age());
        self.customers(data)?
            .iter()
            .enumerate()
            .map(|(i, m)| m.conditional_expected_purchases(t, x[i], tx[i], age[i]))
            .collect()
    }

    /// A summary simulated from the model: customer `i`, of age `ages[i]` (the
    /// summary's time unit) with covariates row `i`, draws a history from their own
    /// model. Seeded; the same on any thread count.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the covariates do not match the model's names or
    /// the ages; [`Error::NonFinite`] / [`Error::Negative`] for a bad age;
    /// [`Error::InsufficientData`] when a simulated customer makes more than
    /// [`MAX_SIMULATED_PURCHASES`](super::intervals::MAX_SIMULATED_PURCHASES) purchases.
    pub fn simulate(
        &self,
        ages: &[f64],
        purchase: &Covariates<'_>,
        dropout: &Covariates<'_>,
        seed: u64,
    ) -> Result<CustomerSummary> {
        use rand::SeedableRng;
        let n = ages.len();
        crate::validate::same_len("purchase covariates", n, purchase.len())?;
        crate::validate::same_len("dropout covariates", n, dropout.len())?;
        crate::validate::same_len(
            "purchase covariate names",
            self.purchase.len(),
            purchase.width(),
        )?;
        crate::validate::same_len(
            "dropout covariate names",
            self.dropout.len(),
            dropout.width(),
        )?;
        for (row, &a) in ages.iter().enumerate() {
            crate::validate::non_negative("age", row, a)?;
        }
        let blocks = crate::kernels::map_chunks(n, |lo, hi| {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(crate::kernels::mix(
                seed, lo as u64,
            ));
            (lo..hi)
                .map(|i| {
                    let p = self.individual(|process, k| match process {
                        Process::Purchase => purchase.values[[i, k]],
                        _ => dropout.values[[i, k]],
                    });
                    let model = M::from_values(&p[..M::NAMES.len()]).ok()?;
                    model.sample_history(
                        ages[i],
                        super::intervals::MAX_SIMULATED_PURCHASES,
                        &mut rng,
                    )
                })
                .collect::<Option<Vec<(f64, f64)>>>()
        });
        let (mut x, mut tx) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for block in blocks {
            let block = block.ok_or_else(|| Error::InsufficientData {
                model: M::MODEL,
                reason: "a simulated customer made more purchases than \
                         MAX_SIMULATED_PURCHASES, or had parameters that overflow"
                    .into(),
            })?;
            for (a, b) in block {
                x.push(a);
                tx.push(b);
            }
        }
        CustomerSummary::from_columns(&x, &tx, ages, None)
    }
}

impl CovariateModel<GammaGamma> {
    /// Expected spend per transaction of every customer of the data (their own model's
    /// [`conditional_expected_spend`](SpendModel::conditional_expected_spend)).
    ///
    /// # Errors
    /// As [`customers`](Self::customers), and those of
    /// [`conditional_expected_spend`](SpendModel::conditional_expected_spend).
    pub fn conditional_expected_spend(&self, data: &CovariateData<'_>) -> Result<Vec<f64>> {
        let s = data.summary;
        let (x, m) = (s.frequency(), s.monetary_value());
        self.customers(data)?
            .iter()
            .enumerate()
            .map(|(i, g)| g.conditional_expected_spend(x[i], m[i]))
            .collect()
    }
}

impl<M: Linked> FittedModel for CovariateModel<M> {
    fn report(&self) -> &FitReport {
        &self.report
    }

    /// The base parameters, then `block:covariate` for each coefficient.
    fn parameter_names(&self) -> Vec<String> {
        let mut names: Vec<String> = M::NAMES.iter().map(|s| s.to_string()).collect();
        for link in M::LINKS {
            for c in self.names_of(link.process) {
                names.push(format!("{}:{c}", link.block));
            }
        }
        names
    }

    fn parameter_values(&self) -> Vec<f64> {
        let mut values = self.base.parameter_values();
        values.extend_from_slice(&self.coefficients);
        values
    }
}

/// Compressed rows: distinct `(row values, covariates)` with weights; covariates are
/// stored per link block (`z[j * width + k]`, the concatenated process values).
struct Rows {
    values: Vec<[f64; 3]>,
    z: Vec<f64>,
    width: usize,
    weights: Vec<f64>,
    total: f64,
}

impl Rows {
    fn new<M: Linked>(rows: &[(usize, [f64; 3])], data: &CovariateData<'_>) -> Self {
        let processes: Vec<Process> = {
            let mut p: Vec<Process> = Vec::new();
            for l in M::LINKS {
                if !p.contains(&l.process) {
                    p.push(l.process);
                }
            }
            p
        };
        let width: usize = processes.iter().map(|&p| data.of(p).width()).sum();
        let stride = 3 + width;
        let mut flat: Vec<u64> = Vec::with_capacity(rows.len() * stride);
        for &(i, v) in rows {
            flat.extend(v.iter().map(|x| x.to_bits()));
            for &p in &processes {
                let c = data.of(p);
                if c.width() > 0 {
                    // -0.0 and 0.0 are the same covariate value.
                    flat.extend(c.values.row(i).iter().map(|x| (x + 0.0).to_bits()));
                }
            }
        }
        let key = |j: usize| &flat[j * stride..(j + 1) * stride];
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
        let mut out = Rows {
            values: Vec::new(),
            z: Vec::new(),
            width,
            weights: Vec::new(),
            total: rows.len() as f64,
        };
        let mut prev: Option<usize> = None;
        for j in order {
            match (prev, out.weights.last_mut()) {
                (Some(p), Some(w)) if key(p) == key(j) => *w += 1.0,
                _ => {
                    let k = key(j);
                    out.values.push([
                        f64::from_bits(k[0]),
                        f64::from_bits(k[1]),
                        f64::from_bits(k[2]),
                    ]);
                    out.z.extend(k[3..].iter().map(|b| f64::from_bits(*b)));
                    out.weights.push(1.0);
                    prev = Some(j);
                }
            }
        }
        out
    }
}

/// The offset of each process's values within a compressed row's covariates.
fn process_offsets<M: Linked>(data: &CovariateData<'_>) -> Vec<(Process, usize)> {
    let mut offsets: Vec<(Process, usize)> = Vec::new();
    let mut at = 0;
    for l in M::LINKS {
        if !offsets.iter().any(|(p, _)| *p == l.process) {
            offsets.push((l.process, at));
            at += data.of(l.process).width();
        }
    }
    offsets
}

/// The log-likelihood over compressed rows and its gradient in (base parameters,
/// coefficients), or `None` where a customer's parameters leave the box.
fn log_likelihood<M: Linked>(
    rows: &Rows,
    blocks: &[Block],
    params: &[f64],
) -> Option<(f64, Vec<f64>)> {
    let k_base = M::NAMES.len();
    let n_params = params.len();
    let parts = crate::kernels::map_chunks(rows.weights.len(), |lo, hi| {
        let mut grad = vec![0.0; n_params];
        let mut ll = 0.0;
        for j in lo..hi {
            let z = &rows.z[j * rows.width..(j + 1) * rows.width];
            let mut p = [0.0; 4];
            p[..k_base].copy_from_slice(&params[..k_base]);
            let mut scale = [1.0; 4];
            for &Block {
                link,
                z_at,
                coef_at,
                width,
            } in blocks
            {
                let eta: f64 = (0..width).map(|k| params[coef_at + k] * z[z_at + k]).sum();
                scale[link.param] = (link.sign * eta).exp();
                p[link.param] *= scale[link.param];
            }
            if p[..k_base]
                .iter()
                .any(|v| !(PARAM_MIN..=PARAM_MAX).contains(v))
            {
                return None;
            }
            let (l, g) = M::row_log_likelihood(&p, &rows.values[j]);
            let w = rows.weights[j];
            ll += w * l;
            for q in 0..k_base {
                grad[q] += w * g[q] * scale[q];
            }
            for &Block {
                link,
                z_at,
                coef_at,
                width,
            } in blocks
            {
                let d = w * g[link.param] * p[link.param] * link.sign;
                for k in 0..width {
                    grad[coef_at + k] += d * z[z_at + k];
                }
            }
        }
        Some((ll, grad))
    });
    let mut total = 0.0;
    let mut grad = vec![0.0; n_params];
    for part in parts {
        let (l, g) = part?;
        total += l;
        for (a, b) in grad.iter_mut().zip(&g) {
            *a += b;
        }
    }
    total.is_finite().then_some((total, grad))
}

/// A link with covariates in a fit: where its covariates start in a compressed row,
/// where its coefficients start in the parameters, and how many there are.
#[derive(Debug, Clone, Copy)]
struct Block {
    link: Link,
    z_at: usize,
    coef_at: usize,
    width: usize,
}

impl<M: Linked> CovariateModel<M> {
    fn fit_with(optimizer: &Optimizer, data: &CovariateData<'_>) -> Result<Self> {
        let plain = M::fit_plain(optimizer, data.summary)?;
        let name_list = |p: Process| {
            if M::LINKS.iter().any(|l| l.process == p) {
                data.of(p).names.clone()
            } else {
                Vec::new()
            }
        };
        let (purchase, dropout, spend) = (
            name_list(Process::Purchase),
            name_list(Process::Dropout),
            name_list(Process::Spend),
        );
        let widths: usize = M::LINKS.iter().map(|l| data.of(l.process).width()).sum();
        if widths == 0 {
            let report = plain.report().clone();
            return Ok(Self {
                base: plain,
                purchase,
                dropout,
                spend,
                coefficients: Vec::new(),
                report,
            });
        }
        let rows = Rows::new::<M>(&M::rows(data.summary)?, data);
        let offsets = process_offsets::<M>(data);
        let k_base = M::NAMES.len();
        let mut blocks = Vec::new();
        let mut coef_at = k_base;
        for &link in M::LINKS {
            let width = data.of(link.process).width();
            if width == 0 {
                continue;
            }
            let z_at = offsets
                .iter()
                .find(|(p, _)| *p == link.process)
                .map_or(0, |o| o.1);
            blocks.push(Block {
                link,
                z_at,
                coef_at,
                width,
            });
            coef_at += width;
        }
        let n_params = coef_at;
        let mut start: Vec<f64> = plain.parameter_values().iter().map(|v| v.ln()).collect();
        start.resize(n_params, 0.0);
        let penalty = optimizer.penalty;
        let total = rows.total.max(1.0);
        let (params, iterations) = fit_params(
            M::MODEL,
            M::NAMES,
            &start,
            k_base,
            optimizer,
            |p, g| match log_likelihood::<M>(&rows, &blocks, p) {
                Some((ll, grad)) => {
                    let mut value = -ll / total;
                    for k in 0..p.len() {
                        g[k] = -grad[k] / total + 2.0 * penalty * p[k];
                        value += penalty * p[k] * p[k];
                    }
                    value
                }
                None => f64::INFINITY,
            },
        )?;
        let (ll, _) = log_likelihood::<M>(&rows, &blocks, &params).ok_or_else(|| {
            Error::InsufficientData {
                model: M::MODEL,
                reason: "the fitted parameters of some customer overflow".into(),
            }
        })?;
        let cov = covariance_of(&params, |p, g| {
            match log_likelihood::<M>(&rows, &blocks, p) {
                Some((_, grad)) => g.copy_from_slice(&grad),
                None => g.fill(f64::NAN),
            }
        });
        let report =
            FitReport::new(ll, n_params, rows.total, None, iterations, true).with_covariance(cov);
        Ok(Self {
            base: M::from_values(&params[..k_base])?,
            purchase,
            dropout,
            spend,
            coefficients: params[k_base..].to_vec(),
            report,
        })
    }
}

macro_rules! fit_covariates {
    ($params:ty, $model:ty) => {
        impl Fit<&CovariateData<'_>> for $params {
            type Fitted = CovariateModel<$model>;

            /// Fits the model with covariates (see the [module docs](self)).
            fn fit(&self, data: &CovariateData<'_>) -> Result<Self::Fitted> {
                CovariateModel::fit_with(crate::model::Optimized::optimizer(self), data)
            }
        }
    };
}

fit_covariates!(super::ParetoNbdParams, ParetoNbd);
fit_covariates!(super::BetaGeoParams, BetaGeo);
fit_covariates!(super::GammaGammaParams, GammaGamma);

/// What a saved covariate model holds, checked before it becomes one.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
struct RawCovariateModel<M> {
    base: M,
    purchase: Vec<String>,
    dropout: Vec<String>,
    spend: Vec<String>,
    coefficients: Vec<f64>,
    report: FitReport,
}

#[cfg(feature = "serde")]
impl<M: Linked> TryFrom<RawCovariateModel<M>> for CovariateModel<M> {
    type Error = Error;

    fn try_from(raw: RawCovariateModel<M>) -> Result<Self> {
        for (field, names) in [
            ("purchase", &raw.purchase),
            ("dropout", &raw.dropout),
            ("spend", &raw.spend),
        ] {
            for (k, name) in names.iter().enumerate() {
                if name.is_empty() || names[..k].contains(name) {
                    return Err(crate::validate::invalid_parameter(
                        field,
                        name,
                        "each covariate needs a name of its own",
                    ));
                }
            }
        }
        let model = Self {
            base: raw.base,
            purchase: raw.purchase,
            dropout: raw.dropout,
            spend: raw.spend,
            coefficients: Vec::new(),
            report: FitReport::default(),
        };
        let unused = [Process::Purchase, Process::Dropout, Process::Spend]
            .into_iter()
            .find(|p| model.width(*p) > 0 && !M::LINKS.iter().any(|l| l.process == *p));
        if let Some(p) = unused {
            return Err(crate::validate::invalid_parameter(
                "covariate names",
                format!("{p:?}"),
                format!("{} takes no covariates of this process", M::MODEL),
            ));
        }
        let expected: usize = M::LINKS.iter().map(|l| model.width(l.process)).sum();
        crate::validate::same_len("coefficients", expected, raw.coefficients.len())?;
        crate::validate::all_finite("coefficients", &raw.coefficients)?;
        let k = M::NAMES.len() + expected;
        let report = raw.report.loaded(M::MODEL, k)?;
        Ok(Self {
            coefficients: raw.coefficients,
            report,
            ..model
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_rows() -> Vec<(usize, [f64; 3])> {
        [
            [0.0, 0.0, 39.0],
            [1.0, 3.5, 38.0],
            [2.0, 30.0, 38.9],
            [7.0, 36.0, 37.0],
            [30.0, 38.0, 38.5],
        ]
        .into_iter()
        .enumerate()
        .collect()
    }

    /// The per-customer likelihoods the covariate fits use equal the plain models'
    /// compressed likelihoods (at coefficients 0 the models are the same).
    #[test]
    fn customer_likelihoods_match_the_plain_models() {
        let rows = data_rows();
        let (x, tx, t): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            rows.iter().map(|r| r.1[0]).collect(),
            rows.iter().map(|r| r.1[1]).collect(),
            rows.iter().map(|r| r.1[2]).collect(),
        );
        let pareto = ParetoNbd::from_params(0.55, 10.6, 0.61, 11.7).expect("valid");
        let bg = BetaGeo::from_params(0.24, 4.4, 0.79, 2.4).expect("valid");
        let sum = |f: &dyn Fn(&[f64; 3]) -> f64| rows.iter().map(|r| f(&r.1)).sum::<f64>();
        let p_sum = sum(&|r| ParetoNbd::row_log_likelihood(&[0.55, 10.6, 0.61, 11.7], r).0);
        let b_sum = sum(&|r| BetaGeo::row_log_likelihood(&[0.24, 4.4, 0.79, 2.4], r).0);
        let p_plain = super::super::formulas::Formulas::ln_likelihood(&pareto, &x, &tx, &t);
        let b_plain = super::super::formulas::Formulas::ln_likelihood(&bg, &x, &tx, &t);
        assert!(
            (p_sum - p_plain).abs() <= 1e-12 * p_plain.abs(),
            "{p_sum} {p_plain}"
        );
        assert!(
            (b_sum - b_plain).abs() <= 1e-12 * b_plain.abs(),
            "{b_sum} {b_plain}"
        );
    }

    /// The analytic gradient in base parameters and coefficients agrees with central
    /// differences, for each model.
    #[test]
    fn gradient_matches_differences() {
        let summary = CustomerSummary::from_columns(
            &[0.0, 1.0, 2.0, 7.0, 30.0, 3.0],
            &[0.0, 3.5, 30.0, 36.0, 38.0, 20.0],
            &[39.0, 38.0, 38.9, 37.0, 38.5, 30.0],
            Some(&[0.0, 12.0, 30.0, 8.5, 40.0, 22.0]),
        )
        .expect("valid");
        let z = ndarray::array![
            [0.0, 1.2],
            [1.0, -0.3],
            [0.0, 0.4],
            [1.0, 2.0],
            [1.0, -1.0],
            [0.0, 0.0]
        ];
        let cov = Covariates::new(&["web", "age"], z.view()).expect("valid");
        let data = CovariateData::new(&summary)
            .purchase(cov.clone())
            .and_then(|d| d.dropout(cov.clone()))
            .and_then(|d| d.spend(cov))
            .expect("valid");
        fn check<M: Linked>(data: &CovariateData<'_>, base: &[f64]) {
            let rows = Rows::new::<M>(&M::rows(data.summary).expect("rows"), data);
            let offsets = process_offsets::<M>(data);
            let mut blocks = Vec::new();
            let mut at = M::NAMES.len();
            for &link in M::LINKS {
                let z_at = offsets
                    .iter()
                    .find(|o| o.0 == link.process)
                    .expect("offset")
                    .1;
                blocks.push(Block {
                    link,
                    z_at,
                    coef_at: at,
                    width: 2,
                });
                at += 2;
            }
            let mut p = base.to_vec();
            for k in 0..at - base.len() {
                p.push(0.1 * (k as f64 + 1.0) * if k % 2 == 0 { 1.0 } else { -1.0 });
            }
            let (_, g) = log_likelihood::<M>(&rows, &blocks, &p).expect("finite");
            for k in 0..p.len() {
                let h = 1e-6 * p[k].abs().max(1.0);
                let (mut up, mut down) = (p.clone(), p.clone());
                up[k] += h;
                down[k] -= h;
                let f = |q: &[f64]| log_likelihood::<M>(&rows, &blocks, q).expect("finite").0;
                let num = (f(&up) - f(&down)) / (2.0 * h);
                assert!(
                    (g[k] - num).abs() <= 1e-5 * (1.0 + num.abs()),
                    "{} [{k}]: {} vs {num}",
                    M::MODEL,
                    g[k]
                );
            }
        }
        check::<ParetoNbd>(&data, &[0.55, 10.6, 0.61, 11.7]);
        check::<BetaGeo>(&data, &[0.24, 4.4, 0.79, 2.4]);
        check::<GammaGamma>(&data, &[6.2, 3.9, 15.4]);
    }
}
