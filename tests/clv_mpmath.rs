//! BG/NBD, MBG/NBD and Pareto/NBD predictions and per-customer log-likelihoods against
//! 50-digit mpmath values (`tests/data/clv_mpmath.csv`, made by
//! `tests/data/clv_mpmath.py` from the published formulas, with no transformation of
//! the crate's): conditional expected purchases, P(alive) and log-likelihoods over
//! x in {0, 1, 10, 1e3, 1e5}, T in {0.1, 1, 10, 1e3, 1e4}, t_x in {T/2, T} (0 for x = 0),
//! t in {1, 30, 39, 1e3, 1e4}; new-customer expectations; BG/NBD's P(X(t) = n). Two
//! parameter sets per model, one of BG/NBD's and MBG/NBD's with a + b < 1 (lifetimes
//! issue #302), where the BG/NBD 2F1's third parameter a + b + x - 1 is negative at
//! x = 0 and positive from x = 1 on.

use patronage::clv::{BetaGeo, ModifiedBetaGeo, ParetoNbd, PurchaseModel};

/// Largest relative error allowed against the 50-digit values.
const TOL: f64 = 1e-10;

/// Below this the reference has underflowed (written as 0): f64 must underflow too.
const TINY: f64 = 1e-300;

struct Row {
    model: String,
    p: [f64; 4],
    quantity: String,
    x: f64,
    tx: f64,
    age: f64,
    t: f64,
    n: u32,
    value: f64,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string("tests/data/clv_mpmath.csv").unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |k: usize| -> f64 { f[k].parse().unwrap() };
            Row {
                model: f[0].to_string(),
                p: [num(1), num(2), num(3), num(4)],
                quantity: f[5].to_string(),
                x: num(6),
                tx: num(7),
                age: num(8),
                t: num(9),
                n: f[10].parse().unwrap(),
                value: num(11),
            }
        })
        .collect()
}

fn relative_error(got: f64, want: f64) -> f64 {
    if want.abs() < TINY {
        return if got.abs() < TINY { 0.0 } else { f64::INFINITY };
    }
    let e = ((got - want) / want).abs();
    if e.is_nan() { f64::INFINITY } else { e }
}

/// Checks every row of `model` and `quantity` with `eval`, reporting each failure and
/// the largest error.
fn check(model: &str, quantities: &[&str], eval: impl Fn(&Row) -> f64) {
    let mut worst = (0.0f64, String::new());
    let mut failures = Vec::new();
    let mut count = 0;
    for row in rows()
        .iter()
        .filter(|r| r.model == model && quantities.contains(&r.quantity.as_str()))
    {
        count += 1;
        let got = eval(row);
        let e = relative_error(got, row.value);
        let what = format!(
            "{model} {:?} {} x {} t_x {} T {} t {} n {}: {got:e} vs {:e} (relative error {e:.1e})",
            row.p, row.quantity, row.x, row.tx, row.age, row.t, row.n, row.value
        );
        if e > worst.0 || worst.1.is_empty() {
            worst = (e, what.clone());
        }
        if e > TOL {
            failures.push(what);
        }
    }
    assert!(count > 0, "no rows for {model} {quantities:?}");
    println!("{model} {quantities:?}: {count} rows, worst: {}", worst.1);
    assert!(
        failures.is_empty(),
        "{} of {count} rows beyond {TOL:e}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn bgnbd(row: &Row) -> BetaGeo {
    BetaGeo::from_params(row.p[0], row.p[1], row.p[2], row.p[3]).unwrap()
}

fn mbgnbd(row: &Row) -> ModifiedBetaGeo {
    ModifiedBetaGeo::from_params(row.p[0], row.p[1], row.p[2], row.p[3]).unwrap()
}

fn pareto(row: &Row) -> ParetoNbd {
    ParetoNbd::from_params(row.p[0], row.p[1], row.p[2], row.p[3]).unwrap()
}

/// The case of lifetimes issue #302: a + b < 1 made the expectation negative.
#[test]
fn bgnbd_issue_302_expectations_are_positive() {
    let m = BetaGeo::from_params(0.11, 2.24, 0.31, 0.5).unwrap();
    let e = m
        .conditional_expected_purchases(30.0, 0.0, 0.0, 1.0)
        .unwrap();
    assert!((e - 0.564_588_615_532_784_7).abs() <= TOL * 0.57, "{e}");
    for t in [30.0, 39.0, 1000.0] {
        assert!(m.expected_purchases_new_customer(t).unwrap() > 0.0, "t {t}");
    }
}

#[test]
fn bgnbd_new_customer_expectation_matches_mpmath() {
    check("bgnbd", &["exp_new"], |r| {
        bgnbd(r).expected_purchases_new_customer(r.t).unwrap()
    });
}

#[test]
fn bgnbd_conditional_expectation_matches_mpmath() {
    check("bgnbd", &["cond_exp"], |r| {
        bgnbd(r)
            .conditional_expected_purchases(r.t, r.x, r.tx, r.age)
            .unwrap()
    });
}

#[test]
fn bgnbd_probability_alive_matches_mpmath() {
    check("bgnbd", &["p_alive"], |r| {
        bgnbd(r).probability_alive(r.x, r.tx, r.age).unwrap()
    });
}

#[test]
fn bgnbd_log_likelihood_matches_mpmath() {
    check("bgnbd", &["loglik"], |r| {
        bgnbd(r).customer_log_likelihood(r.x, r.tx, r.age).unwrap()
    });
}

#[test]
fn bgnbd_probability_of_n_purchases_matches_mpmath() {
    check("bgnbd", &["pmf"], |r| {
        bgnbd(r).probability_of_n_purchases(r.t, r.n).unwrap()
    });
}

#[test]
fn mbgnbd_new_customer_expectation_matches_mpmath() {
    check("mbgnbd", &["exp_new"], |r| {
        mbgnbd(r).expected_purchases_new_customer(r.t).unwrap()
    });
}

#[test]
fn mbgnbd_conditional_expectation_matches_mpmath() {
    check("mbgnbd", &["cond_exp"], |r| {
        mbgnbd(r)
            .conditional_expected_purchases(r.t, r.x, r.tx, r.age)
            .unwrap()
    });
}

#[test]
fn mbgnbd_probability_alive_matches_mpmath() {
    check("mbgnbd", &["p_alive"], |r| {
        mbgnbd(r).probability_alive(r.x, r.tx, r.age).unwrap()
    });
}

#[test]
fn mbgnbd_log_likelihood_matches_mpmath() {
    check("mbgnbd", &["loglik"], |r| {
        mbgnbd(r).customer_log_likelihood(r.x, r.tx, r.age).unwrap()
    });
}

#[test]
fn pareto_new_customer_expectation_matches_mpmath() {
    check("pareto", &["exp_new"], |r| {
        pareto(r).expected_purchases_new_customer(r.t).unwrap()
    });
}

#[test]
fn pareto_conditional_expectation_matches_mpmath() {
    check("pareto", &["cond_exp"], |r| {
        pareto(r)
            .conditional_expected_purchases(r.t, r.x, r.tx, r.age)
            .unwrap()
    });
}

#[test]
fn pareto_probability_alive_matches_mpmath() {
    check("pareto", &["p_alive"], |r| {
        pareto(r).probability_alive(r.x, r.tx, r.age).unwrap()
    });
}

#[test]
fn pareto_log_likelihood_matches_mpmath() {
    check("pareto", &["loglik"], |r| {
        pareto(r).customer_log_likelihood(r.x, r.tx, r.age).unwrap()
    });
}
