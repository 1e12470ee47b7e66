//! Covariates in the Pareto/NBD, BG/NBD and Gamma-Gamma models: the plain fit without
//! covariates, parameter recovery on simulated data (every coefficient within 3
//! standard errors of the truth), per-customer likelihoods against a direct numerical
//! integration over the customer's latent rates, and the error paths.

use ndarray::Array2;
use patronage::clv::covariates::{CovariateData, CovariateModel, Covariates};
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd, PurchaseModel};
use patronage::prelude::*;
use patronage::{CustomerSummary, Error};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::function::gamma::ln_gamma;

/// Two covariates per customer: a channel indicator and a standard normal score.
fn covariate_matrix(n: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, 2), |(_, k)| {
        if k == 0 {
            f64::from(u8::from(rng.random::<f64>() < 0.4))
        } else {
            rng.sample::<f64, _>(StandardNormal)
        }
    })
}

/// Ages spread over a year and a half of acquisition (weeks).
fn ages(n: usize) -> Vec<f64> {
    (0..n).map(|i| 26.0 + (i % 53) as f64).collect()
}

fn within_three_se(model: &impl FittedModel, truth: &[(&str, f64)]) {
    let names = model.parameter_names();
    let values = model.parameter_values();
    let se = model
        .report()
        .standard_errors
        .clone()
        .expect("standard errors");
    for (name, t) in truth {
        let k = names.iter().position(|n| n == name).expect("parameter");
        let z = (values[k] - t) / se[k];
        println!(
            "{name}: estimate {:.5} truth {t} se {:.5} z {z:.2}",
            values[k], se[k]
        );
        assert!(
            z.abs() < 3.0,
            "{name}: estimate {} truth {t} se {} (z = {z:.2})",
            values[k],
            se[k]
        );
    }
}

#[test]
fn without_covariates_the_fit_is_the_plain_fit() {
    let s = patronage::simulate::Simulation::new(3_000)
        .seed(4)
        .summary_continuous()
        .expect("simulated");
    let data = CovariateData::new(&s);
    let pareto = ParetoNbd::params().fit(&data).expect("fit");
    let plain = ParetoNbd::params().fit(&s).expect("fit");
    assert_eq!(pareto.base(), &plain);
    assert_eq!(pareto.parameter_values(), plain.parameter_values());
    assert_eq!(pareto.report(), plain.report());
    let bg = BetaGeo::params().fit(&data).expect("fit");
    assert_eq!(
        bg.parameter_values(),
        BetaGeo::params().fit(&s).expect("fit").parameter_values()
    );
    let gg = GammaGamma::params().fit(&data).expect("fit");
    assert_eq!(
        gg.parameter_values(),
        GammaGamma::params()
            .fit(&s)
            .expect("fit")
            .parameter_values()
    );
    // Zero covariate columns are no covariates.
    let empty = Array2::<f64>::zeros((s.len(), 0));
    let none = Covariates::new(&[], empty.view()).expect("valid");
    let data = CovariateData::new(&s).purchase(none).expect("rows");
    assert_eq!(
        ParetoNbd::params()
            .fit(&data)
            .expect("fit")
            .parameter_values(),
        plain.parameter_values()
    );
}

/// Simulates from a Pareto/NBD with covariates, fits, and checks every parameter.
#[test]
fn pareto_nbd_recovers_its_coefficients() {
    recover_pareto(20_000);
}

/// The issue's size: 1M customers (about a minute in release).
#[test]
#[ignore = "1M customers: run with --release -- --ignored"]
fn pareto_nbd_recovers_its_coefficients_on_1m_customers() {
    recover_pareto(1_000_000);
}

fn recover_pareto(n: usize) {
    let z = covariate_matrix(n, 11);
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let dropout_z = z.column(0).to_owned().insert_axis(ndarray::Axis(1));
    let dropout = Covariates::new(&["web"], dropout_z.view()).expect("valid");
    let truth = CovariateModel::from_parts(
        ParetoNbd::from_params(0.9, 8.0, 0.7, 14.0).expect("valid"),
        &cov,
        &dropout,
        &[0.5, -0.3],
        &[0.6],
    )
    .expect("valid");
    let s = truth
        .simulate(&ages(n), &cov, &dropout, 2027)
        .expect("simulated");
    let data = CovariateData::new(&s)
        .purchase(cov)
        .and_then(|d| d.dropout(dropout))
        .expect("rows");
    let fitted = ParetoNbd::params().fit(&data).expect("fit");
    within_three_se(
        &fitted,
        &[
            ("r", 0.9),
            ("alpha", 8.0),
            ("s", 0.7),
            ("beta", 14.0),
            ("purchase:web", 0.5),
            ("purchase:score", -0.3),
            ("dropout:web", 0.6),
        ],
    );
    // The fit's log-likelihood is the sum of each customer's own model's.
    let customers = fitted.customers(&data).expect("customers");
    let (x, tx, t) = (s.frequency(), s.recency(), s.age());
    let total: f64 = customers
        .iter()
        .enumerate()
        .map(|(i, m)| m.log_likelihood(&one(x[i], tx[i], t[i], None)).expect("ll"))
        .sum();
    let reported = fitted.report().log_likelihood;
    assert!(
        (total - reported).abs() < 1e-9 * reported.abs(),
        "{total} {reported}"
    );
}

fn one(x: f64, tx: f64, t: f64, m: Option<f64>) -> CustomerSummary {
    CustomerSummary::from_columns(&[x], &[tx], &[t], m.as_ref().map(std::slice::from_ref))
        .expect("valid row")
}

#[test]
fn bg_nbd_recovers_its_coefficients() {
    let n = 20_000;
    let z = covariate_matrix(n, 12);
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let dropout_z = z.column(0).to_owned().insert_axis(ndarray::Axis(1));
    let dropout = Covariates::new(&["web"], dropout_z.view()).expect("valid");
    let truth = CovariateModel::from_parts(
        BetaGeo::from_params(0.8, 6.0, 0.9, 3.0).expect("valid"),
        &cov,
        &dropout,
        &[0.4, 0.25],
        &[0.5, -0.4],
    )
    .expect("valid");
    let s = truth
        .simulate(&ages(n), &cov, &dropout, 99)
        .expect("simulated");
    let data = CovariateData::new(&s)
        .purchase(cov)
        .and_then(|d| d.dropout(dropout))
        .expect("rows");
    let fitted = BetaGeo::params().fit(&data).expect("fit");
    within_three_se(
        &fitted,
        &[
            ("r", 0.8),
            ("alpha", 6.0),
            ("a", 0.9),
            ("b", 3.0),
            ("purchase:web", 0.4),
            ("purchase:score", 0.25),
            ("dropout_a:web", 0.5),
            ("dropout_b:web", -0.4),
        ],
    );
    // Predictions per customer use their covariates.
    let alive = fitted.probability_alive(&data).expect("p alive");
    let expected = fitted
        .conditional_expected_purchases(10.0, &data)
        .expect("expected");
    assert_eq!(alive.len(), n);
    // More purchases per unit of time from the web (purchase coefficient 0.4), dropout alike.
    let web = fitted.customer(&[1.0, 0.0], &[0.0], &[]).expect("customer");
    let other = fitted.customer(&[0.0, 0.0], &[0.0], &[]).expect("customer");
    assert!(
        web.expected_purchases_new_customer(52.0).expect("e")
            > other.expected_purchases_new_customer(52.0).expect("e")
    );
    assert!(expected.iter().all(|e| e.is_finite() && *e >= 0.0));
}

#[test]
fn gamma_gamma_recovers_its_spend_coefficients() {
    let n = 20_000;
    let (p, q, v) = (6.0, 4.0, 15.0);
    let z = covariate_matrix(n, 13);
    let gamma = [0.3, -0.2];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut x = Vec::new();
    let mut m = Vec::new();
    for i in 0..n {
        let freq = 1 + (i % 7);
        let vi = v * (gamma[0] * z[[i, 0]] + gamma[1] * z[[i, 1]]).exp();
        let nu: f64 = Gamma::new(q, 1.0 / vi).expect("gamma").sample(&mut rng);
        let spend = Gamma::new(p, 1.0 / nu).expect("gamma");
        let total: f64 = (0..freq).map(|_| spend.sample(&mut rng)).sum();
        x.push(freq as f64);
        m.push(total / freq as f64);
    }
    let t: Vec<f64> = (0..n).map(|_| 60.0).collect();
    let tx: Vec<f64> = (0..n).map(|_| 30.0).collect();
    let s = CustomerSummary::from_columns(&x, &tx, &t, Some(&m)).expect("valid");
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let data = CovariateData::new(&s).spend(cov).expect("rows");
    let fitted = GammaGamma::params().fit(&data).expect("fit");
    within_three_se(
        &fitted,
        &[
            ("p", p),
            ("q", q),
            ("v", v),
            ("spend:web", 0.3),
            ("spend:score", -0.2),
        ],
    );
    let spend = fitted.conditional_expected_spend(&data).expect("spend");
    assert!(spend.iter().all(|e| e.is_finite() && *e > 0.0));
}

/// `∫_R f(u) du` by the trapezoid rule on `[lo, hi]` with `n` steps (exponentially
/// accurate for the smooth, fast-decaying integrands below).
fn trapezoid(lo: f64, hi: f64, n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let h = (hi - lo) / n as f64;
    let mut s = 0.5 * (f(lo) + f(hi));
    for k in 1..n {
        s += f(lo + k as f64 * h);
    }
    s * h
}

/// ln of the Gamma(shape, rate) density of `e^u` times `e^u` (the density of `u`).
fn ln_gamma_density_of_log(shape: f64, rate: f64, u: f64) -> f64 {
    shape * rate.ln() - ln_gamma(shape) + shape * u - rate * u.exp()
}

/// Pareto/NBD and BG/NBD customer likelihoods with covariates, from each customer's
/// own model, against a direct integration of the individual-level likelihood over
/// the latent purchase rate and dropout rate (or probability).
#[test]
fn customer_likelihoods_match_numerical_integration() {
    let z = ndarray::array![[1.0, -0.7], [0.0, 1.3], [1.0, 2.0]];
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let dz = ndarray::array![[1.0], [0.0], [1.0]];
    let dcov = Covariates::new(&["web"], dz.view()).expect("valid");
    let histories = [(0.0, 0.0, 40.0), (3.0, 20.5, 38.0), (12.0, 35.0, 36.0)];
    let pareto = CovariateModel::from_parts(
        ParetoNbd::from_params(0.9, 8.0, 0.7, 14.0).expect("valid"),
        &cov,
        &dcov,
        &[0.5, -0.3],
        &[0.6],
    )
    .expect("valid");
    let bg = CovariateModel::from_parts(
        BetaGeo::from_params(0.8, 6.0, 0.9, 3.0).expect("valid"),
        &cov,
        &dcov,
        &[0.4, 0.25],
        &[0.5, -0.4],
    )
    .expect("valid");
    for (i, &(x, tx, t)) in histories.iter().enumerate() {
        let zp = [z[[i, 0]], z[[i, 1]]];
        let zd = [dz[[i, 0]]];
        // Pareto/NBD: lambda ~ Gamma(r, alpha_i), mu ~ Gamma(s, beta_i).
        let alpha_i = 8.0 * (-(0.5 * zp[0] - 0.3 * zp[1])).exp();
        let beta_i = 14.0 * (-0.6 * zd[0]).exp();
        let direct = trapezoid(-60.0, 6.0, 1_500, |u| {
            let lambda = u.exp();
            let inner = trapezoid(-60.0, 6.0, 1_500, |w| {
                let mu = w.exp();
                let alive = (-(lambda + mu) * t).exp();
                let died =
                    mu / (lambda + mu) * ((-(lambda + mu) * tx).exp() - (-(lambda + mu) * t).exp());
                (ln_gamma_density_of_log(0.7, beta_i, w)).exp() * (alive + died)
            });
            (ln_gamma_density_of_log(0.9, alpha_i, u) + x * u).exp() * inner
        });
        let model = pareto.customer(&zp, &zd, &[]).expect("customer");
        let ll = model.log_likelihood(&one(x, tx, t, None)).expect("ll");
        assert!(
            (ll - direct.ln()).abs() < 1e-8,
            "Pareto/NBD row {i}: {ll} vs {}",
            direct.ln()
        );
        // BG/NBD: lambda ~ Gamma(r, alpha_i), p ~ Beta(a_i, b_i) (p = logistic(v)).
        let alpha_i = 6.0 * (-(0.4 * zp[0] + 0.25 * zp[1])).exp();
        let (a_i, b_i) = (0.9 * (0.5 * zd[0]).exp(), 3.0 * (-0.4 * zd[0]).exp());
        let ln_beta_ab = ln_gamma(a_i) + ln_gamma(b_i) - ln_gamma(a_i + b_i);
        let direct = trapezoid(-60.0, 6.0, 1_500, |u| {
            let lambda = u.exp();
            let inner = trapezoid(-80.0, 80.0, 3_000, |v| {
                // ln p and ln(1 - p) without cancellation.
                let (ln_p, ln_q) = (-(-v).exp().ln_1p(), -v.exp().ln_1p());
                let density = (a_i * ln_p + b_i * ln_q - ln_beta_ab).exp();
                let alive = (x * ln_q - lambda * t).exp();
                let dropped = if x > 0.0 {
                    (ln_p + (x - 1.0) * ln_q - lambda * tx).exp()
                } else {
                    0.0
                };
                density * (alive + dropped)
            });
            (ln_gamma_density_of_log(0.8, alpha_i, u) + x * u).exp() * inner
        });
        let model = bg.customer(&zp, &zd, &[]).expect("customer");
        let ll = model.log_likelihood(&one(x, tx, t, None)).expect("ll");
        assert!(
            (ll - direct.ln()).abs() < 1e-8,
            "BG/NBD row {i}: {ll} vs {}",
            direct.ln()
        );
    }
}

#[test]
fn bad_covariates_are_errors_naming_the_field() {
    let s = patronage::simulate::Simulation::new(50)
        .seed(1)
        .summary_continuous()
        .expect("simulated");
    let mut z = covariate_matrix(50, 3);
    z[[7, 1]] = f64::NAN;
    assert!(matches!(
        Covariates::new(&["web", "score"], z.view()),
        Err(Error::NonFinite {
            field: "covariates",
            row: 7,
            ..
        })
    ));
    z[[7, 1]] = 0.0;
    assert!(matches!(
        Covariates::new(&["web"], z.view()),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        Covariates::new(&["web", "web"], z.view()),
        Err(Error::InvalidParameter { .. })
    ));
    let short = covariate_matrix(49, 3);
    let cov = Covariates::new(&["web", "score"], short.view()).expect("valid");
    assert!(matches!(
        CovariateData::new(&s).purchase(cov),
        Err(Error::LengthMismatch {
            field: "purchase covariates",
            expected: 50,
            found: 49
        })
    ));
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let data = CovariateData::new(&s).purchase(cov.clone()).expect("rows");
    let model = CovariateModel::from_parts(
        ParetoNbd::from_params(0.9, 8.0, 0.7, 14.0).expect("valid"),
        &cov,
        &Covariates::none(50),
        &[0.5, -0.3],
        &[],
    )
    .expect("valid");
    assert!(matches!(
        model.customer(&[1.0], &[], &[]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        model.customer(&[1.0, f64::INFINITY], &[], &[]),
        Err(Error::NonFinite { .. })
    ));
    // Covariates far outside any fitted range overflow the customer's parameters.
    assert!(model.customer(&[1e6, 0.0], &[], &[]).is_err());
    assert!(model.probability_alive(&data).is_ok());
    let wrong = CovariateData::new(&s);
    assert!(matches!(
        model.probability_alive(&wrong),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        CovariateModel::from_parts(
            ParetoNbd::from_params(0.9, 8.0, 0.7, 14.0).expect("valid"),
            &cov,
            &Covariates::none(50),
            &[0.5],
            &[],
        ),
        Err(Error::LengthMismatch { .. })
    ));
    // Extreme covariates in a fit are bounded work and an error or a fit, never a panic.
    let mut huge = covariate_matrix(50, 3);
    huge[[3, 1]] = 1e300;
    let cov = Covariates::new(&["web", "score"], huge.view()).expect("finite");
    let data = CovariateData::new(&s).purchase(cov).expect("rows");
    let _ = ParetoNbd::params().fit(&data);
}

#[cfg(feature = "serde")]
#[test]
fn saved_models_are_checked_on_load() {
    let n = 2_000;
    let z = covariate_matrix(n, 21);
    let cov = Covariates::new(&["web", "score"], z.view()).expect("valid");
    let truth = CovariateModel::from_parts(
        BetaGeo::from_params(0.8, 6.0, 0.9, 3.0).expect("valid"),
        &cov,
        &Covariates::none(n),
        &[0.4, 0.25],
        &[],
    )
    .expect("valid");
    let s = truth
        .simulate(&ages(n), &cov, &Covariates::none(n), 5)
        .expect("simulated");
    let data = CovariateData::new(&s).purchase(cov).expect("rows");
    let fitted = BetaGeo::params().fit(&data).expect("fit");
    let json = serde_json::to_string(&fitted).expect("json");
    let back: CovariateModel<BetaGeo> = serde_json::from_str(&json).expect("load");
    assert_eq!(back, fitted);
    let tampered = [
        json.replace("\"coefficients\":[", "\"coefficients\":[1.0,"),
        json.replace(
            "\"purchase\":[\"web\",\"score\"]",
            "\"purchase\":[\"web\",\"web\"]",
        ),
        json.replace("\"spend\":[]", "\"spend\":[\"x\"]"),
        json.replace("\"alpha\":", "\"alpha\":-"),
    ];
    for bad in &tampered {
        assert_ne!(bad, &json, "the edit applies");
        assert!(
            serde_json::from_str::<CovariateModel<BetaGeo>>(bad).is_err(),
            "{bad}"
        );
    }
}
