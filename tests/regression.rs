//! Regression against statsmodels 0.15 on the data sets it ships (Longley, Scotland,
//! cpunish, star98, randhie): values and the script that made them in
//! tests/data/regression/ (make_reference.py). Tolerances are relative, 1e-8 unless a
//! comment says why a quantity needs a looser one.

use std::collections::HashMap;

use ndarray::Array2;
use patronage::Error;
use patronage::prelude::*;
use patronage::regression::{Covariance, LinearRegression};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/regression/");

/// A data set's columns by name.
fn data(name: &str) -> HashMap<String, Vec<f64>> {
    let text = std::fs::read_to_string(format!("{DIR}{name}.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for line in lines {
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.push(v.parse().unwrap());
        }
    }
    header.into_iter().zip(cols).collect()
}

/// The `n x p` design of the named columns.
fn design(d: &HashMap<String, Vec<f64>>, columns: &[&str]) -> Array2<f64> {
    let n = d[columns[0]].len();
    Array2::from_shape_fn((n, columns.len()), |(i, j)| d[columns[j]][i])
}

/// A results file: (quantity, term) -> value; statsmodels' `const` is `intercept`.
struct Reference(HashMap<(String, String), f64>);

impl Reference {
    fn load(name: &str) -> Self {
        let text = std::fs::read_to_string(format!("{DIR}{name}.csv")).unwrap();
        let map = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let term = if f[1] == "const" { "intercept" } else { f[1] };
                ((f[0].to_string(), term.to_string()), f[2].parse().unwrap())
            })
            .collect();
        Self(map)
    }

    fn get(&self, quantity: &str, term: &str) -> f64 {
        *self
            .0
            .get(&(quantity.to_string(), term.to_string()))
            .unwrap_or_else(|| panic!("no {quantity} {term}"))
    }

    fn scalar(&self, quantity: &str) -> f64 {
        self.get(quantity, "")
    }
}

#[track_caller]
fn close(found: f64, want: f64, tol: f64, what: &str) {
    let err = (found - want).abs() / want.abs().max(1e-300);
    assert!(
        err <= tol,
        "{what}: {found} vs statsmodels {want} (relative error {err:.2e} > {tol:.0e})"
    );
}

/// An interval's end `b -+ h` is compared relative to `|b| + h`, the size of the terms it
/// is made of: an end near 0 is the difference of two nearly equal numbers, so its own
/// relative error says nothing.
#[track_caller]
fn close_to(found: f64, want: f64, scale: f64, tol: f64, what: &str) {
    let err = (found - want).abs() / scale.abs();
    assert!(
        err <= tol,
        "{what}: {found} vs statsmodels {want} (error {err:.2e} of {scale} > {tol:.0e})"
    );
}

/// p-values are compared on the log scale, `|ln p - ln p_ref| / max(1, |ln p_ref|)`:
/// a p-value's relative error is its statistic's times `t f(t) / P(t)`, about `t^2` in
/// the tails (z = 27 on randhie, p = 5e-166, turns 1e-9 in z into 7e-7 in p), and its
/// log's is `t^2 / |ln P|`, which stays near the statistic's. On Longley (condition
/// number 4.9e9) two stable solvers agree on the statistics to about 1e-9.
#[track_caller]
fn close_p(found: f64, want: f64, what: &str) {
    if found == want {
        return; // Both 0 below f64's range (z beyond 38).
    }
    let err = (found.ln() - want.ln()).abs() / want.ln().abs().max(1.0);
    assert!(
        err <= 1e-8,
        "{what}: {found} vs statsmodels {want} (log-scale error {err:.2e} > 1e-8)"
    );
}

const LONGLEY: [&str; 6] = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR"];

fn check_ols(model: &LinearRegression, r: &Reference, tol: f64) {
    let names = model.names().to_vec();
    let table = model.summary();
    let hc3 = model.coefficient_table(Covariance::Hc3, 0.95).unwrap();
    let robust = model.robust_standard_errors().unwrap();
    for (j, name) in names.iter().enumerate() {
        let row = &table[j];
        close(
            row.estimate,
            r.get("params", name),
            tol,
            &format!("params {name}"),
        );
        close(row.standard_error.unwrap(), r.get("bse", name), tol, "bse");
        close(row.statistic.unwrap(), r.get("tvalues", name), tol, "t");
        close_p(row.p_value.unwrap(), r.get("pvalues", name), "p");
        let (lo, hi) = row.interval.unwrap();
        let size = row.estimate.abs() + (hi - lo) / 2.0;
        close_to(lo, r.get("ci_lower", name), size, tol, "ci lower");
        close_to(hi, r.get("ci_upper", name), size, tol, "ci upper");
        close(robust.hc0[j], r.get("HC0_se", name), tol, "HC0");
        close(robust.hc1[j], r.get("HC1_se", name), tol, "HC1");
        close(
            robust.hc2.as_ref().unwrap()[j],
            r.get("HC2_se", name),
            tol,
            "HC2",
        );
        close(
            robust.hc3.as_ref().unwrap()[j],
            r.get("HC3_se", name),
            tol,
            "HC3",
        );
        close_p(hc3[j].p_value.unwrap(), r.get("HC3_pvalues", name), "HC3 p");
        let (lo, hi) = hc3[j].interval.unwrap();
        let size = hc3[j].estimate.abs() + (hi - lo) / 2.0;
        close_to(lo, r.get("HC3_ci_lower", name), size, tol, "HC3 ci lower");
        close_to(hi, r.get("HC3_ci_upper", name), size, tol, "HC3 ci upper");
    }
    let s = model.statistics();
    let rep = model.report();
    for (found, q) in [
        (s.r_squared, "rsquared"),
        (s.adj_r_squared, "rsquared_adj"),
        (s.f_statistic.unwrap(), "fvalue"),
        (s.f_p_value.unwrap(), "f_pvalue"),
        (rep.log_likelihood, "llf"),
        (rep.aic, "aic"),
        (rep.bic, "bic"),
        (s.ssr, "ssr"),
        (s.centered_tss, "centered_tss"),
        (s.uncentered_tss, "uncentered_tss"),
        (s.scale, "scale"),
        (s.df_model as f64, "df_model"),
        (s.df_resid as f64, "df_resid"),
        (s.durbin_watson, "durbin_watson"),
        (s.jarque_bera, "jarque_bera"),
        (s.jarque_bera_p_value, "jarque_bera_p"),
        (s.skew, "skew"),
        (s.kurtosis, "kurtosis"),
        (rep.n_obs, "nobs"),
    ] {
        close(found, r.scalar(q), tol, q);
    }
    // statsmodels' condition number comes from numpy's SVD of the design, ours from a
    // Jacobi SVD of its QR factor: both accurate to about eps * cond relative to the
    // smallest singular value, so they agree to ~1e-7 on Longley (cond 4.9e9).
    close(
        s.condition_number,
        r.scalar("condition_number"),
        1e-6,
        "condition number",
    );
    let first = usize::from(names[0] == "intercept");
    for (j, v) in s.vif.iter().enumerate() {
        close(*v, r.get("vif", &names[first + j]), tol, "vif");
    }
}

#[test]
fn ols_matches_statsmodels_on_longley() {
    let d = data("longley");
    let x = design(&d, &LONGLEY);
    let model = LinearRegression::params()
        .feature_names(&LONGLEY)
        .fit((x.view(), &d["TOTEMP"]))
        .unwrap();
    check_ols(&model, &Reference::load("ols_longley"), 1e-8);
}

#[test]
fn wls_matches_statsmodels_on_longley() {
    let d = data("longley");
    let x = design(&d, &LONGLEY);
    let w: Vec<f64> = (0..16).map(|i| 1.0 / (1.0 + (i % 4) as f64)).collect();
    let model = LinearRegression::params()
        .feature_names(&LONGLEY)
        .fit((x.view(), &d["TOTEMP"], &w))
        .unwrap();
    check_ols(&model, &Reference::load("wls_longley"), 1e-8);
}

#[test]
fn ols_without_intercept_matches_statsmodels() {
    let d = data("longley");
    let cols = ["GNP", "UNEMP", "ARMED", "YEAR"];
    let x = design(&d, &cols);
    let model = LinearRegression::params()
        .intercept(false)
        .feature_names(&cols)
        .fit((x.view(), &d["TOTEMP"]))
        .unwrap();
    check_ols(&model, &Reference::load("ols_longley_noconst"), 1e-8);
}

const SCOTLAND: [&str; 7] = [
    "COUTAX",
    "UNEMPF",
    "MOR",
    "ACT",
    "GDP",
    "AGE",
    "COUTAX_FEMALEUNEMP",
];

#[test]
fn ridge_matches_the_augmented_least_squares() {
    let d = data("scotland");
    let x = design(&d, &SCOTLAND);
    let r = Reference::load("ridge_scotland");
    let model = LinearRegression::params()
        .feature_names(&SCOTLAND)
        .penalty(r.scalar("penalty"))
        .fit((x.view(), &d["YES"]))
        .unwrap();
    for (name, b) in model.names().iter().zip(model.coefficients()) {
        close(*b, r.get("params", name), 1e-8, name);
    }
    assert!(model.report().standard_errors.is_none());
    assert!(model.summary().iter().all(|row| row.p_value.is_none()));
}

#[test]
fn bad_designs_are_typed_errors() {
    let d = data("longley");
    let x = design(&d, &LONGLEY);
    let y = &d["TOTEMP"];
    let fit = |x: &Array2<f64>, y: &[f64]| {
        LinearRegression::params()
            .feature_names(&LONGLEY)
            .fit((x.view(), y))
    };
    // NaN in x and y, named by field and row.
    let mut bad = x.clone();
    bad[[5, 2]] = f64::NAN;
    assert!(matches!(
        fit(&bad, y),
        Err(Error::NonFinite {
            field: "x",
            row: 5,
            ..
        })
    ));
    let mut yb = y.clone();
    yb[7] = f64::INFINITY;
    assert!(matches!(
        fit(&x, &yb),
        Err(Error::NonFinite {
            field: "y",
            row: 7,
            ..
        })
    ));
    assert!(matches!(
        fit(&x, &y[..10]),
        Err(Error::LengthMismatch { field: "y", .. })
    ));
    // A constant column duplicates the intercept.
    let mut c = x.clone();
    c.column_mut(3).fill(2.5);
    match fit(&c, y) {
        Err(Error::Collinear { column, with, .. }) => {
            assert_eq!(column, "ARMED");
            assert_eq!(with, ["intercept"]);
        }
        other => panic!("{other:?}"),
    }
    // A combination of two columns.
    let mut lin = x.clone();
    for i in 0..16 {
        lin[[i, 5]] = 2.0 * x[[i, 1]] - x[[i, 3]];
    }
    match fit(&lin, y) {
        Err(Error::Collinear {
            column, mut with, ..
        }) => {
            assert_eq!(column, "YEAR");
            with.sort();
            assert_eq!(with, ["ARMED", "GNP"]);
        }
        other => panic!("{other:?}"),
    }
    // No more rows than coefficients.
    let few = x.slice(ndarray::s![..7, ..]).to_owned();
    assert!(matches!(
        fit(&few, &y[..7]),
        Err(Error::InsufficientData { .. })
    ));
    // Weights.
    let mut w = vec![1.0; 16];
    w[3] = 0.0;
    let e = LinearRegression::params()
        .fit((x.view(), y, &w))
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                field: "weights",
                row: 3,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        LinearRegression::params()
            .penalty(-1.0)
            .fit((x.view(), y))
            .is_err()
    );
}

use patronage::regression::{Family, Glm};

fn check_glm(model: &Glm, r: &Reference, tol: f64) {
    for (j, row) in model.summary().iter().enumerate() {
        let name = &model.names()[j];
        assert_eq!(&row.name, name);
        close(
            row.estimate,
            r.get("params", name),
            tol,
            &format!("params {name}"),
        );
        close(
            row.standard_error.unwrap(),
            r.get("bse", name),
            tol,
            &format!("bse {name}"),
        );
        close(row.statistic.unwrap(), r.get("zvalues", name), tol, "z");
        close_p(row.p_value.unwrap(), r.get("pvalues", name), "p");
        let (lo, hi) = row.interval.unwrap();
        let size = row.estimate.abs() + (hi - lo) / 2.0;
        close_to(lo, r.get("ci_lower", name), size, tol, "ci lower");
        close_to(hi, r.get("ci_upper", name), size, tol, "ci upper");
    }
    let s = model.statistics();
    let rep = model.report();
    for (found, q) in [
        (s.deviance, "deviance"),
        (s.pearson_chi2, "pearson_chi2"),
        (s.scale, "scale"),
        (rep.log_likelihood, "llf"),
        (rep.aic, "aic"),
        (rep.bic, "bic_llf"),
        (s.null_deviance, "null_deviance"),
        (s.df_model as f64, "df_model"),
        (s.df_resid as f64, "df_resid"),
        (rep.n_obs, "nobs"),
    ] {
        close(found, r.scalar(q), tol, q);
    }
}

const CPUNISH: [&str; 6] = [
    "INCOME",
    "PERPOVERTY",
    "PERBLACK",
    "VC100k96",
    "SOUTH",
    "DEGREE",
];

#[test]
fn poisson_matches_statsmodels_on_cpunish() {
    let d = data("cpunish");
    let x = design(&d, &CPUNISH);
    let model = Glm::params(Family::Poisson)
        .feature_names(&CPUNISH)
        .fit((x.view(), &d["EXECUTIONS"]))
        .unwrap();
    check_glm(&model, &Reference::load("glm_poisson_cpunish"), 1e-8);
}

#[test]
fn gamma_log_link_matches_statsmodels_on_scotland() {
    let d = data("scotland");
    let x = design(&d, &SCOTLAND);
    let model = Glm::params(Family::Gamma)
        .feature_names(&SCOTLAND)
        .fit((x.view(), &d["YES"]))
        .unwrap();
    check_glm(&model, &Reference::load("glm_gamma_scotland"), 1e-8);
}

#[test]
fn binomial_matches_statsmodels_on_star98() {
    let d = data("star98");
    let text = std::fs::read_to_string(format!("{DIR}star98.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let features: Vec<&str> = header[2..].to_vec();
    let x = design(&d, &features);
    let trials: Vec<f64> = d["NABOVE"]
        .iter()
        .zip(&d["NBELOW"])
        .map(|(a, b)| a + b)
        .collect();
    let share: Vec<f64> = d["NABOVE"]
        .iter()
        .zip(&trials)
        .map(|(a, n)| a / n)
        .collect();
    let model = Glm::params(Family::Binomial)
        .feature_names(&features)
        .fit((x.view(), &share, &trials))
        .unwrap();
    check_glm(&model, &Reference::load("glm_binomial_star98"), 1e-8);
}

fn randhie() -> (Array2<f64>, Vec<f64>, Vec<&'static str>) {
    let d = data("randhie");
    let features = vec![
        "lncoins", "idp", "lpi", "fmde", "physlm", "disea", "hlthg", "hlthf", "hlthp",
    ];
    (design(&d, &features), d["mdvis"].clone(), features)
}

#[test]
fn negative_binomial_matches_statsmodels_on_randhie() {
    let (x, y, features) = randhie();
    let model = Glm::params(Family::NegativeBinomial { alpha: 1.2 })
        .feature_names(&features)
        .fit((x.view(), &y))
        .unwrap();
    check_glm(&model, &Reference::load("glm_nb2_randhie"), 1e-8);
}

#[test]
fn poisson_matches_statsmodels_on_randhie() {
    let (x, y, features) = randhie();
    let model = Glm::params(Family::Poisson)
        .feature_names(&features)
        .fit((x.view(), &y))
        .unwrap();
    check_glm(&model, &Reference::load("glm_poisson_randhie"), 1e-8);
    // Predictions are the fitted means.
    let mu = model.predict(x.slice(ndarray::s![..3, ..])).unwrap();
    assert!(mu.iter().all(|m| *m > 0.0));
}

#[test]
fn glm_bad_inputs_are_typed_errors() {
    let d = data("cpunish");
    let x = design(&d, &CPUNISH);
    let y = d["EXECUTIONS"].clone();
    let poisson = Glm::params(Family::Poisson);
    let mut neg = y.clone();
    neg[4] = -1.0;
    assert!(matches!(
        poisson.fit((x.view(), &neg)),
        Err(Error::InvalidValue {
            field: "y",
            row: 4,
            ..
        })
    ));
    let mut zero = y.clone();
    zero[2] = 0.0;
    assert!(matches!(
        Glm::params(Family::Gamma).fit((x.view(), &zero)),
        Err(Error::InvalidValue {
            field: "y",
            row: 2,
            ..
        })
    ));
    assert!(matches!(
        poisson.fit((x.view(), &y, &y)),
        Err(Error::InvalidParameter { name: "trials", .. })
    ));
    assert!(
        Glm::params(Family::NegativeBinomial { alpha: -1.0 })
            .fit((x.view(), &y))
            .is_err()
    );
    // Separation: the counts are zero wherever the indicator is 1.
    let n = 40;
    let xs = Array2::from_shape_fn((n, 2), |(i, j)| {
        if j == 0 {
            (i % 2) as f64
        } else {
            (i % 7) as f64
        }
    });
    let ys: Vec<f64> = (0..n)
        .map(|i| {
            if i % 2 == 1 {
                0.0
            } else {
                1.0 + (i % 5) as f64
            }
        })
        .collect();
    let e = poisson.fit((xs.view(), &ys)).unwrap_err();
    assert!(matches!(e, Error::InsufficientData { .. }), "{e}");
    // Non-convergence within the iteration limit.
    let e = Glm::params(Family::Gamma)
        .max_iter(1)
        .fit((x.view(), &y.iter().map(|v| v + 1.0).collect::<Vec<_>>()))
        .unwrap_err();
    assert!(matches!(e, Error::NotConverged { .. }), "{e}");
    // Collinear columns.
    let mut c = x.clone();
    c.column_mut(0).fill(3.0);
    assert!(matches!(
        poisson.fit((c.view(), &y)),
        Err(Error::Collinear { .. })
    ));
}

#[test]
fn fitted_models_round_trip_through_serde_and_are_checked_on_load() {
    let d = data("longley");
    let x = design(&d, &LONGLEY);
    let ols = LinearRegression::params()
        .fit((x.view(), &d["TOTEMP"]))
        .unwrap();
    let json = serde_json::to_string(&ols).unwrap();
    let back: LinearRegression = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ols);
    let bad = json.replacen("\"intercept\"", "\"const\"", 1);
    assert!(serde_json::from_str::<LinearRegression>(&bad).is_err());

    let c = data("cpunish");
    let glm = Glm::params(Family::Poisson)
        .fit((design(&c, &CPUNISH).view(), &c["EXECUTIONS"]))
        .unwrap();
    let json = serde_json::to_string(&glm).unwrap();
    let back: Glm = serde_json::from_str(&json).unwrap();
    assert_eq!(back, glm);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut broken = v.clone();
    broken["report"]["aic"] = serde_json::json!(-1.0);
    assert!(serde_json::from_value::<Glm>(broken).is_err());
}

#[test]
fn categorical_features_and_interactions_have_readable_names() {
    use patronage::regression::{Columns, interaction, one_hot};
    let d = data("cpunish");
    let region: Vec<&str> = d["SOUTH"]
        .iter()
        .map(|&s| if s == 1.0 { "south" } else { "other" })
        .collect();
    let income = Columns::new(design(&d, &["INCOME"]), &["income"]).unwrap();
    let south = one_hot("region", &region, Some("other")).unwrap();
    let cols = income
        .clone()
        .and(&south)
        .unwrap()
        .and(&interaction(&income, &south).unwrap())
        .unwrap();
    let model = Glm::params(Family::Poisson)
        .feature_names(&cols.names)
        .fit((cols.values.view(), &d["EXECUTIONS"]))
        .unwrap();
    assert_eq!(
        model.names(),
        [
            "intercept",
            "income",
            "region[T.south]",
            "income:region[T.south]"
        ]
    );
    // A reference level outside the data, one level only: typed errors.
    assert!(one_hot("region", &region, Some("north")).is_err());
    assert!(one_hot("region", &["a", "a"], None).is_err());
}

/// The fits are the same bit for bit on one thread and on the default pool: the QR's
/// chunks and the passes' chunks are fixed by size and summed in order.
#[cfg(feature = "parallel")]
#[test]
fn fits_do_not_depend_on_the_thread_count() {
    let (n, p) = (40_000, 5);
    let x = ndarray::Array2::from_shape_fn((n, p), |(i, j)| {
        (((i * 7919 + j * 104_729) % 1000) as f64 / 500.0 - 1.0) * (1.0 + j as f64)
    });
    let y: Vec<f64> = (0..n)
        .map(|i| x.row(i).sum() * 0.3 + ((i * 31) % 17) as f64 / 17.0)
        .collect();
    let counts: Vec<f64> = (0..n).map(|i| ((i * 13) % 5) as f64).collect();
    let fit = || {
        let ols = patronage::regression::LinearRegression::params()
            .fit((x.view(), &y))
            .expect("fits");
        let glm = patronage::regression::Glm::params(patronage::regression::Family::Poisson)
            .fit((x.view(), &counts))
            .expect("fits");
        (
            ols.coefficients().to_vec(),
            ols.robust_standard_errors().cloned(),
            ols.statistics().condition_number,
            glm.coefficients().to_vec(),
            glm.summary()
                .iter()
                .map(|c| c.standard_error)
                .collect::<Vec<_>>(),
        )
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(fit);
    let default = fit();
    assert_eq!(format!("{one:?}"), format!("{default:?}"));
}
