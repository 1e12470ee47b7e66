//! Recommendations (issue 22 part 1): item-item similarities against a dense brute
//! force (exact to 1e-12), the ALS loss against a direct evaluation of the
//! Hu-Koren-Volinsky loss and its monotone decrease, the Python `implicit` package's
//! ALS on the same data (tests/data/recommend/, made by make_reference.py), the ranking
//! metrics against the script's own computation, hostile inputs and saved models.

use patronage::prelude::*;
use patronage::recommend::{
    Als, ColdStart, Interactions, ItemKnn, ItemPurchase, Popularity, Similarity, Solver, TimeSplit,
    evaluate, ranking_metrics,
};
use patronage::{Day, Error};

fn lines() -> Vec<ItemPurchase<u32, u32>> {
    let text = std::fs::read_to_string("tests/data/recommend/lines.csv").unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<i64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            ItemPurchase {
                customer: v[0] as u32,
                day: Day(v[1] as i32),
                item: v[2] as u32,
            }
        })
        .collect()
}

fn split() -> TimeSplit<u32, u32> {
    Interactions::time_split(&lines(), Day(270)).unwrap()
}

/// (seed or "popularity", loss, precision, recall, map, ndcg, coverage)
fn reference() -> Vec<(String, [f64; 6])> {
    let text = std::fs::read_to_string("tests/data/recommend/reference.csv").unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            let mut a = [0.0; 6];
            for (k, x) in v[1..].iter().enumerate() {
                a[k] = x.parse().unwrap();
            }
            (v[0].to_string(), a)
        })
        .collect()
}

#[test]
fn sparse_item_similarities_equal_a_dense_brute_force() {
    let data = split().train;
    let (n, m) = (data.n_customers(), data.n_items());
    // Dense binary matrix, then counts by a triple loop.
    let mut b = vec![vec![false; m]; n];
    for (u, row) in b.iter_mut().enumerate() {
        for &i in data.history(u).0 {
            row[i as usize] = true;
        }
    }
    let buyers: Vec<f64> = (0..m)
        .map(|i| b.iter().filter(|r| r[i]).count() as f64)
        .collect();
    let mut checked = 0;
    for sim in [Similarity::Cosine, Similarity::Jaccard, Similarity::Lift] {
        for lambda in [0.0, 5.0] {
            for keep in [usize::MAX, 7] {
                let model = ItemKnn::params()
                    .similarity(sim)
                    .shrinkage(lambda)
                    .neighbours(keep)
                    .fit(&data)
                    .unwrap();
                for i in 0..m {
                    let mut row: Vec<(u32, f64)> = Vec::new();
                    for j in 0..m {
                        if i == j {
                            continue;
                        }
                        let c = b.iter().filter(|r| r[i] && r[j]).count() as f64;
                        if c == 0.0 {
                            continue;
                        }
                        let (ni, nj, nn) = (buyers[i], buyers[j], n as f64);
                        let raw = match sim {
                            Similarity::Cosine => c / (ni * nj).sqrt(),
                            Similarity::Jaccard => c / (ni + nj - c),
                            Similarity::Lift => c * nn / (ni * nj),
                        };
                        row.push((
                            j as u32,
                            if lambda > 0.0 {
                                raw * (c / (c + lambda))
                            } else {
                                raw
                            },
                        ));
                    }
                    row.sort_by(|a, c| c.1.total_cmp(&a.1).then(a.0.cmp(&c.0)));
                    row.truncate(keep);
                    let got = model.neighbours(i);
                    assert_eq!(got.len(), row.len(), "item {i} {sim:?} {lambda} {keep}");
                    for (g, w) in got.iter().zip(&row) {
                        assert_eq!(g.0, w.0, "item {i} {sim:?}");
                        assert!((g.1 - w.1).abs() <= 1e-12, "{} vs {}", g.1, w.1);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

/// The Hu-Koren-Volinsky loss by a double loop over every customer-item pair.
fn direct_loss(
    model: &patronage::recommend::FittedAls<u32, u32>,
    data: &Interactions<u32, u32>,
) -> f64 {
    let mut l = 0.0;
    for u in 0..data.n_customers() {
        let (items, counts) = data.history(u);
        let x = model.customer_factor(u);
        for i in 0..data.n_items() {
            let y = model.item_factor(i);
            let s: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
            let (p, c) = match items.binary_search(&(i as u32)) {
                Ok(k) => (1.0, 1.0 + model.alpha() * f64::from(counts[k])),
                Err(_) => (0.0, 1.0),
            };
            l += c * (p - s) * (p - s);
        }
        l += model.regularization() * x.iter().map(|v| v * v).sum::<f64>();
    }
    for i in 0..data.n_items() {
        l += model.regularization() * model.item_factor(i).iter().map(|v| v * v).sum::<f64>();
    }
    l
}

#[test]
fn als_loss_decreases_and_equals_the_direct_loss() {
    let data = split().train;
    for solver in [Solver::default(), Solver::Cholesky] {
        let model = Als::params(8)
            .regularization(0.05)
            .alpha(2.0)
            .iterations(15)
            .solver(solver)
            .track_loss(true)
            .seed(3)
            .fit(&data)
            .unwrap();
        let h = model.loss_history();
        assert_eq!(h.len(), 15);
        for w in h.windows(2) {
            assert!(w[1] <= w[0] * (1.0 + 1e-12), "{solver:?}: {h:?}");
        }
        let direct = direct_loss(&model, &data);
        assert!(
            (model.loss() - direct).abs() <= 1e-9 * direct,
            "{} vs {direct}",
            model.loss()
        );
    }
}

/// implicit's loss over five random starts spans 0.5%; ours must be within 2% of their
/// mean. Ranking metrics at 10 must be within the implicit seeds' range widened by
/// 0.01 (precision) and 0.03 (recall, MAP, NDCG), coverage by 0.1.
#[test]
fn als_agrees_with_implicit() {
    let s = split();
    let r = reference();
    let implicit: Vec<&[f64; 6]> = r
        .iter()
        .filter(|x| x.0 != "popularity")
        .map(|x| &x.1)
        .collect();
    let mean_loss = implicit.iter().map(|a| a[0]).sum::<f64>() / implicit.len() as f64;
    let model = Als::params(8)
        .regularization(0.05)
        .alpha(2.0)
        .iterations(15)
        .seed(0)
        .fit(&s.train)
        .unwrap();
    let rel = (model.loss() - mean_loss).abs() / mean_loss;
    assert!(
        rel < 0.02,
        "loss {} vs implicit {mean_loss} ({rel})",
        model.loss()
    );
    let m = evaluate(&model, &s.held_out, 10).unwrap();
    assert_eq!(m.customers, 561);
    let ours = [m.precision, m.recall, m.map, m.ndcg, m.coverage];
    let margins = [0.01, 0.03, 0.03, 0.03, 0.1];
    for k in 0..5 {
        let lo = implicit
            .iter()
            .map(|a| a[k + 1])
            .fold(f64::INFINITY, f64::min)
            - margins[k];
        let hi = implicit
            .iter()
            .map(|a| a[k + 1])
            .fold(f64::NEG_INFINITY, f64::max)
            + margins[k];
        assert!(
            ours[k] >= lo && ours[k] <= hi,
            "metric {k}: {} not in [{lo}, {hi}]",
            ours[k]
        );
    }
}

#[test]
fn popularity_metrics_equal_the_scripts() {
    let s = split();
    let r = reference();
    let pop = &r.iter().find(|x| x.0 == "popularity").unwrap().1;
    let model = Popularity::params().fit(&s.train).unwrap();
    let m = evaluate(&model, &s.held_out, 10).unwrap();
    let ours = [m.precision, m.recall, m.map, m.ndcg, m.coverage];
    for k in 0..5 {
        assert!(
            (ours[k] - pop[k + 1]).abs() < 1e-12,
            "metric {k}: {} vs {}",
            ours[k],
            pop[k + 1]
        );
    }
    // The same through ranking_metrics on explicit lists.
    let lists: Vec<Vec<u32>> = s
        .held_out
        .customers()
        .iter()
        .map(|&u| {
            model
                .recommend_index(Some(u), 10)
                .into_iter()
                .map(|p| p.0)
                .collect()
        })
        .collect();
    let rel: Vec<Vec<u32>> = (0..s.held_out.len())
        .map(|c| s.held_out.relevant(c).to_vec())
        .collect();
    let m2 = ranking_metrics(&lists, &rel, s.train.n_items(), 10).unwrap();
    assert!((m2.map - m.map).abs() < 1e-12 && (m2.ndcg - m.ndcg).abs() < 1e-12);
}

#[test]
fn models_beat_popularity_on_latent_tastes() {
    let s = split();
    let pop = evaluate(
        &Popularity::params().fit(&s.train).unwrap(),
        &s.held_out,
        10,
    )
    .unwrap();
    let knn = ItemKnn::params().shrinkage(2.0).fit(&s.train).unwrap();
    let knn = evaluate(&knn, &s.held_out, 10).unwrap();
    assert!(
        knn.precision > pop.precision && knn.ndcg > pop.ndcg,
        "{knn:?} {pop:?}"
    );
}

#[cfg(feature = "parallel")]
#[test]
fn results_do_not_depend_on_threads() {
    let data = split().train;
    let fit = || {
        (
            Als::params(8).iterations(3).seed(9).fit(&data).unwrap(),
            ItemKnn::params()
                .similarity(Similarity::Lift)
                .fit(&data)
                .unwrap(),
        )
    };
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(fit);
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap()
        .install(fit);
    assert_eq!(one, three);
}

#[test]
fn hostile_inputs_give_typed_errors() {
    let none: [ItemPurchase<u32, u32>; 0] = [];
    assert!(matches!(Interactions::new(&none), Err(Error::Empty { .. })));
    assert!(matches!(
        Interactions::time_split(&lines(), Day(-1)),
        Err(Error::Empty { .. })
    ));
    let data = split().train;
    for (alpha, lambda) in [
        (f64::NAN, 0.1),
        (f64::INFINITY, 0.1),
        (-1.0, 0.1),
        (1.0, f64::NAN),
        (1.0, f64::INFINITY),
        (1.0, 0.0),
    ] {
        let e = Als::params(4)
            .alpha(alpha)
            .regularization(lambda)
            .fit(&data)
            .unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
    assert!(matches!(
        Als::params(0).fit(&data),
        Err(Error::InvalidParameter {
            name: "factors",
            ..
        })
    ));
    assert!(matches!(
        Als::params(usize::MAX).fit(&data),
        Err(Error::InvalidParameter {
            name: "factors",
            ..
        })
    ));
    // Within MAX_FACTORS but too many values for this catalogue would need a bigger one:
    // 1,024 factors x 746 rows is fine, the bound is on the product.
    let big: Vec<ItemPurchase<u32, u32>> = (0..200_000u32)
        .map(|c| ItemPurchase {
            customer: c,
            day: Day(0),
            item: c % 7,
        })
        .collect();
    let big = Interactions::new(&big).unwrap();
    assert!(matches!(
        Als::params(1_000).fit(&big),
        Err(Error::LimitExceeded { .. })
    ));
    assert!(matches!(
        Als::params(4).iterations(0).fit(&data),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        Als::params(4)
            .solver(Solver::ConjugateGradient { steps: 0 })
            .fit(&data),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        ItemKnn::params().neighbours(0).fit(&data),
        Err(Error::InvalidParameter { .. })
    ));
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        assert!(matches!(
            ItemKnn::params().shrinkage(bad).fit(&data),
            Err(Error::InvalidParameter { .. })
        ));
    }
    // k = 0, usize::MAX and unknown customers.
    let knn = ItemKnn::params().fit(&data).unwrap();
    let als = Als::params(4).iterations(2).fit(&data).unwrap();
    let c0 = data.customers()[0];
    assert!(knn.recommend(&c0, 0).unwrap().is_empty());
    assert!(als.recommend(&c0, 0).unwrap().is_empty());
    let all = als.recommend(&c0, usize::MAX).unwrap();
    assert_eq!(all.len(), data.n_items() - data.history(0).0.len());
    assert!(knn.recommend(&c0, usize::MAX).unwrap().len() <= data.n_items());
    let unknown = 1_000_000u32;
    assert_eq!(
        als.recommend(&unknown, 3).unwrap(),
        knn.recommend(&unknown, 3).unwrap()
    );
    let empty = ItemKnn::params()
        .cold_start(ColdStart::Empty)
        .fit(&data)
        .unwrap();
    assert!(empty.recommend(&unknown, 3).unwrap().is_empty());
    let many = als.recommend_many(&[c0, unknown], 5).unwrap();
    assert_eq!(many[0], als.recommend(&c0, 5).unwrap());
    let s = split();
    assert!(matches!(
        evaluate(&knn, &s.held_out, 0),
        Err(Error::InvalidParameter { .. })
    ));
}

#[cfg(feature = "serde")]
#[test]
fn saved_models_round_trip_and_bad_files_are_errors() {
    let data = split().train;
    let knn = ItemKnn::params().neighbours(5).fit(&data).unwrap();
    let als = Als::params(4).iterations(2).fit(&data).unwrap();
    let pop = Popularity::params().fit(&data).unwrap();
    let j = serde_json::to_string(&knn).unwrap();
    let back: patronage::recommend::FittedItemKnn<u32, u32> = serde_json::from_str(&j).unwrap();
    assert_eq!(back, knn);
    assert_eq!(
        back.recommend(&data.customers()[3], 5).unwrap(),
        knn.recommend(&data.customers()[3], 5).unwrap()
    );
    let ja = serde_json::to_string(&als).unwrap();
    let back: patronage::recommend::FittedAls<u32, u32> = serde_json::from_str(&ja).unwrap();
    assert_eq!(back, als);
    let jp = serde_json::to_string(&pop).unwrap();
    let back: patronage::recommend::FittedPopularity<u32, u32> = serde_json::from_str(&jp).unwrap();
    assert_eq!(back, pop);
    // Hand edits.
    let mut v: serde_json::Value = serde_json::from_str(&ja).unwrap();
    v["factors"] = 5.into();
    assert!(serde_json::from_value::<patronage::recommend::FittedAls<u32, u32>>(v).is_err());
    let mut v: serde_json::Value = serde_json::from_str(&ja).unwrap();
    v["regularization"] = (-1.0).into();
    assert!(serde_json::from_value::<patronage::recommend::FittedAls<u32, u32>>(v).is_err());
    let mut v: serde_json::Value = serde_json::from_str(&j).unwrap();
    v["neighbours"][0][0] = 100_000.into();
    assert!(serde_json::from_value::<patronage::recommend::FittedItemKnn<u32, u32>>(v).is_err());
    let mut v: serde_json::Value = serde_json::from_str(&j).unwrap();
    v["data"]["members"][0] = 100_000.into();
    let e = serde_json::from_value::<patronage::recommend::FittedItemKnn<u32, u32>>(v).unwrap_err();
    assert!(e.to_string().contains("members"), "{e}");
    let mut v: serde_json::Value = serde_json::from_str(&jp).unwrap();
    v["data"]["customers"][1] = v["data"]["customers"][0].clone();
    let e =
        serde_json::from_value::<patronage::recommend::FittedPopularity<u32, u32>>(v).unwrap_err();
    assert!(e.to_string().contains("distinct"), "{e}");
}
