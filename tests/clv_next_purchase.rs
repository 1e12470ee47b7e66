//! When each customer buys next: the probability of a purchase within `t`, given alive
//! or given the history, and the BG/NBD's Lomax quantiles, checked by simulating
//! customers from the models and against each model's `P(X(t) = 0)`.

use patronage::clv::{BetaGeo, ParetoNbd, PurchaseModel, purchase_probability};
use patronage::{CustomerSummary, Horizon};
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use rand_xoshiro::Xoshiro256PlusPlus;

const AGE: f64 = 40.0;
const AHEAD: f64 = 10.0;

/// One simulated customer: repeat purchases in (0, AGE], the last one's time, whether
/// alive at AGE, and whether they buy in (AGE, AGE + AHEAD].
struct Simulated {
    x: u32,
    tx: f64,
    alive: bool,
    buys: bool,
}

/// BG/NBD: Poisson purchases at rate λ, a dropout chance p after each repeat purchase.
fn bg_customer(rng: &mut Xoshiro256PlusPlus, r: f64, alpha: f64, a: f64, b: f64) -> Simulated {
    let lambda: f64 = Gamma::new(r, 1.0 / alpha).expect("gamma").sample(rng);
    let p: f64 = Beta::new(a, b).expect("beta").sample(rng);
    let gap = Exp::new(lambda).expect("exp");
    let (mut t, mut x, mut tx) = (0.0, 0, 0.0);
    loop {
        t += gap.sample(rng);
        if t > AGE {
            return Simulated {
                x,
                tx,
                alive: true,
                buys: t <= AGE + AHEAD,
            };
        }
        x += 1;
        tx = t;
        if rng.random::<f64>() < p {
            return Simulated {
                x,
                tx,
                alive: false,
                buys: false,
            };
        }
    }
}

/// Pareto/NBD: Poisson purchases at rate λ until an exponential lifetime at rate μ.
fn pareto_customer(
    rng: &mut Xoshiro256PlusPlus,
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
) -> Simulated {
    let lambda: f64 = Gamma::new(r, 1.0 / alpha).expect("gamma").sample(rng);
    let mu: f64 = Gamma::new(s, 1.0 / beta).expect("gamma").sample(rng);
    let death = Exp::new(mu).expect("exp").sample(rng);
    let gap = Exp::new(lambda).expect("exp");
    let (mut t, mut x, mut tx) = (0.0, 0, 0.0);
    loop {
        t += gap.sample(rng);
        if t > AGE.min(death) {
            let buys = death > AGE && t <= (AGE + AHEAD).min(death);
            return Simulated {
                x,
                tx,
                alive: death > AGE,
                buys,
            };
        }
        x += 1;
        tx = t;
    }
}

/// Among simulated customers alive at AGE with `x` repeat purchases, the share who buy
/// within AHEAD matches the model's probability given alive (3 binomial standard
/// errors); and over everyone the predicted purchases given each history add up to the
/// simulated count (3 standard errors of the sum).
fn check<M: PurchaseModel + Sync>(model: &M, people: &[Simulated]) {
    for x in 0..4u32 {
        let group: Vec<&Simulated> = people.iter().filter(|c| c.alive && c.x == x).collect();
        let n = group.len() as f64;
        assert!(n > 2_000.0, "x = {x}: {n} customers");
        let share = group.iter().filter(|c| c.buys).count() as f64 / n;
        let p = model
            .probability_of_purchase_if_alive(AHEAD, f64::from(x), AGE)
            .expect("p");
        let se = (p * (1.0 - p) / n).sqrt();
        assert!(
            (share - p).abs() < 3.0 * se,
            "x = {x}: simulated {share}, model {p} (se {se})"
        );
    }
    let x: Vec<f64> = people.iter().map(|c| f64::from(c.x)).collect();
    let tx: Vec<f64> = people.iter().map(|c| c.tx).collect();
    let age = vec![AGE; people.len()];
    let summary = CustomerSummary::from_columns(&x, &tx, &age, None)
        .and_then(|s| s.with_time_unit_days(1.0))
        .expect("valid");
    let p = purchase_probability(model, &summary, Horizon::days(AHEAD)).expect("p");
    let expected: f64 = p.iter().sum();
    let sd: f64 = p.iter().map(|q| q * (1.0 - q)).sum::<f64>().sqrt();
    let actual = people.iter().filter(|c| c.buys).count() as f64;
    assert!(
        (expected - actual).abs() < 3.0 * sd,
        "expected {expected}, simulated {actual} (sd {sd})"
    );
    for (i, c) in people.iter().enumerate().take(100) {
        let one = model
            .probability_of_purchase(AHEAD, f64::from(c.x), c.tx, AGE)
            .expect("p");
        assert_eq!(one, p[i]);
    }
}

#[test]
fn bg_nbd_next_purchase_matches_simulation() {
    let (r, alpha, a, b) = (0.8, 6.0, 0.9, 3.0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
    let people: Vec<Simulated> = (0..200_000)
        .map(|_| bg_customer(&mut rng, r, alpha, a, b))
        .collect();
    check(
        &BetaGeo::from_params(r, alpha, a, b).expect("valid"),
        &people,
    );
}

#[test]
fn pareto_nbd_next_purchase_matches_simulation() {
    let (r, alpha, s, beta) = (0.9, 8.0, 0.7, 14.0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(18);
    let people: Vec<Simulated> = (0..200_000)
        .map(|_| pareto_customer(&mut rng, r, alpha, s, beta))
        .collect();
    check(
        &ParetoNbd::from_params(r, alpha, s, beta).expect("valid"),
        &people,
    );
}

/// A new customer (x = 0, T = 0) buys within `t` with probability `1 - P(X(t) = 0)`.
#[test]
fn new_customers_agree_with_the_count_distribution() {
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).expect("valid");
    let pn = ParetoNbd::from_params(0.553, 10.578, 0.606, 11.669).expect("valid");
    for t in [0.5, 5.0, 39.0, 300.0] {
        let p = bg.probability_of_purchase(t, 0.0, 0.0, 0.0).expect("p");
        let q = 1.0 - bg.probability_of_n_purchases(t, 0).expect("pmf");
        assert!((p - q).abs() < 1e-14, "BG/NBD t = {t}: {p} vs {q}");
        let p = pn.probability_of_purchase(t, 0.0, 0.0, 0.0).expect("p");
        let q = 1.0 - pn.probability_of_n_purchases(t, 0).expect("pmf");
        assert!((p - q).abs() < 1e-14, "Pareto/NBD t = {t}: {p} vs {q}");
    }
    // With a history, Pareto/NBD's matches its conditional P(X(T, T + t] = 0).
    for (x, tx, age) in [(2.0, 30.43, 38.86), (0.0, 0.0, 20.0), (15.0, 38.0, 39.0)] {
        let p = pn.probability_of_purchase(10.0, x, tx, age).expect("p");
        let q = 1.0
            - pn.conditional_probability_of_n_purchases(10.0, 0, x, tx, age)
                .expect("pmf");
        assert!((p - q).abs() < 1e-12, "{p} vs {q}");
    }
}

#[test]
fn lomax_quantiles_and_bad_arguments() {
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).expect("valid");
    let (x, age) = (3.0, 38.0);
    for q in [0.1, 0.5, 0.9] {
        let (t, _) = bg
            .next_purchase_quantile_if_alive(q, x, age)
            .expect("quantile");
        let p = bg.probability_of_purchase_if_alive(t, x, age).expect("p");
        assert!((p - q).abs() < 1e-12, "{q}: {p}");
    }
    let (_, mean) = bg
        .next_purchase_quantile_if_alive(0.5, x, age)
        .expect("mean");
    assert!((mean - (4.414 + age) / (0.243 + x - 1.0)).abs() < 1e-12);
    let (_, infinite) = bg
        .next_purchase_quantile_if_alive(0.5, 0.0, age)
        .expect("mean");
    assert!(infinite.is_infinite());
    assert!(bg.next_purchase_quantile_if_alive(1.0, x, age).is_err());
    assert!(
        bg.next_purchase_quantile_if_alive(f64::NAN, x, age)
            .is_err()
    );
    assert!(bg.probability_of_purchase(-1.0, x, 30.0, age).is_err());
    assert!(
        bg.probability_of_purchase(f64::INFINITY, x, 30.0, age)
            .is_err()
    );
    assert!(bg.probability_of_purchase(1.0, x, 40.0, age).is_err());
    assert_eq!(
        bg.probability_of_purchase(0.0, x, 30.0, age).expect("p"),
        0.0
    );
    let bgbb = patronage::clv::BetaGeoBetaBinom::from_params(1.2, 0.75, 0.66, 2.78).expect("valid");
    assert!(matches!(
        bgbb.probability_of_purchase(1.0, 2.0, 4.0, 6.0),
        Err(patronage::Error::InvalidParameter { name: "model", .. })
    ));
}
