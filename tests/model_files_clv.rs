//! Saved CLV models (issue 15, "deserialized models are trusted"): fitted and
//! `from_params` models round-trip through JSON bit for bit, files written by earlier
//! versions still load, and hand-edited files (negative or null parameters, missing
//! fields, standard errors of the wrong length, an AIC that does not match) are errors
//! at load time naming the field, not models that panic or predict garbage.
#![cfg(feature = "serde")]

mod common;

use patronage::clv::{
    BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNbd, PurchaseModel,
};
use patronage::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use common::{cdnow_csv, csv};

/// Writes `model` to JSON and reads it back; the JSON written again is the same text.
fn round_trip<T: Serialize + DeserializeOwned>(model: &T) -> T {
    let json = serde_json::to_string(model).unwrap();
    let back: T = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("{e}: a model this crate wrote must load: {json}"));
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        json,
        "rewritten JSON"
    );
    back
}

/// Loads `json` edited by `edit` as a `T`, which must fail with a message containing
/// `needle`.
fn rejects<T: Serialize + DeserializeOwned + std::fmt::Debug>(
    model: &T,
    edit: impl FnOnce(&mut Value),
    needle: &str,
) {
    let mut v = serde_json::to_value(model).unwrap();
    edit(&mut v);
    let text = v.to_string();
    match serde_json::from_str::<T>(&text) {
        Ok(m) => panic!("{text} loaded as {m:?}"),
        Err(e) => assert!(
            e.to_string().contains(needle),
            "error {e:?} does not mention {needle:?} ({text})"
        ),
    }
}

/// The hand edits every model with parameter `first` (and `k` parameters) rejects.
fn rejects_hand_edits<T: Serialize + DeserializeOwned + std::fmt::Debug>(
    fitted: &T,
    first: &str,
    k: usize,
) {
    rejects(
        fitted,
        |v| v[first] = (-1.0).into(),
        &format!("{first} = -1"),
    );
    rejects(fitted, |v| v[first] = 0.0.into(), &format!("{first} = 0"));
    // serde_json writes NaN and infinities as null.
    rejects(fitted, |v| v[first] = Value::Null, "null");
    rejects(
        fitted,
        |v| {
            v.as_object_mut().unwrap().remove(first);
        },
        &format!("missing field `{first}`"),
    );
    rejects(
        fitted,
        |v| {
            v.as_object_mut().unwrap().remove("report");
        },
        "missing field `report`",
    );
    rejects(
        fitted,
        |v| {
            v["report"]["standard_errors"].as_array_mut().unwrap().pop();
        },
        &format!(
            "report.standard_errors has {} rows but {k} were expected",
            k - 1
        ),
    );
    rejects(
        fitted,
        |v| {
            v["report"]["standard_errors"]
                .as_array_mut()
                .unwrap()
                .push(1.0.into());
        },
        &format!(
            "report.standard_errors has {} rows but {k} were expected",
            k + 1
        ),
    );
    rejects(
        fitted,
        |v| v["report"]["standard_errors"][0] = (-0.5).into(),
        "report.standard_errors at row 0 is negative",
    );
    rejects(
        fitted,
        |v| v["report"]["standard_errors"][1] = Value::Null,
        "null",
    );
    rejects(
        fitted,
        |v| v["report"]["aic"] = 12.5.into(),
        "parameter report.aic = 12.5",
    );
    rejects(
        fitted,
        |v| v["report"]["log_likelihood"] = Value::Null,
        "report.log_likelihood = NaN",
    );
}

/// A string edit of the JSON text (as by hand), which must fail to load.
fn rejects_text<T: DeserializeOwned + std::fmt::Debug>(json: &str, from: &str, to: &str) {
    assert!(json.contains(from), "{from} not in {json}");
    let edited = json.replacen(from, to, 1);
    let err = serde_json::from_str::<T>(&edited).expect_err(&edited);
    assert!(err.to_string().contains("is invalid"), "{err}");
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Predictions of two purchase models at a few customers, bit for bit.
fn same_predictions(a: &impl PurchaseModel, b: &impl PurchaseModel) {
    for (x, tx, t) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (7.0, 35.0, 39.0)] {
        let pa = [
            a.conditional_expected_purchases(39.0, x, tx, t).unwrap(),
            a.probability_alive(x, tx, t).unwrap(),
            a.expected_purchases_new_customer(10.0).unwrap(),
        ];
        let pb = [
            b.conditional_expected_purchases(39.0, x, tx, t).unwrap(),
            b.probability_alive(x, tx, t).unwrap(),
            b.expected_purchases_new_customer(10.0).unwrap(),
        ];
        assert_eq!(bits(&pa), bits(&pb));
    }
}

fn bgnbd() -> BetaGeo {
    BetaGeo::params().fit(&cdnow_csv()).unwrap()
}

fn mbgnbd() -> ModifiedBetaGeo {
    ModifiedBetaGeo::params().fit(&cdnow_csv()).unwrap()
}

fn pareto_nbd() -> ParetoNbd {
    ParetoNbd::params().fit(&cdnow_csv()).unwrap()
}

fn bgbb() -> BetaGeoBetaBinom {
    let rows = csv("tests/data/donations.csv");
    let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    patronage::CustomerSummary::from_columns(&col(0), &col(1), &col(2), None)
        .and_then(|s| BetaGeoBetaBinom::params().fit((&s, &(&col(3))[..])))
        .unwrap()
}

fn gamma_gamma() -> GammaGamma {
    let fitted = GammaGamma::params().fit(&cdnow_csv()).unwrap();
    assert!(
        fitted
            .frequency_spend_correlation()
            .is_some_and(f64::is_finite)
    );
    fitted
}

#[test]
fn bgnbd_round_trips() {
    let fitted = bgnbd();
    let back = round_trip(&fitted);
    assert_eq!(back, fitted);
    same_predictions(&back, &fitted);
    let published = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    assert_eq!(round_trip(&published), published);
    // As this crate wrote BG/NBD models before loads were checked.
    let old = r#"{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"report":{"log_likelihood":0.0,"aic":0.0,"bic":0.0,"standard_errors":null,"iterations":0}}"#;
    let loaded: BetaGeo = serde_json::from_str(old).unwrap();
    assert_eq!(loaded, published);
}

#[test]
fn bgnbd_rejects_hand_edits() {
    let fitted = bgnbd();
    rejects_hand_edits(&fitted, "r", 4);
    rejects_hand_edits(&fitted, "b", 4);
    let old =
        serde_json::to_string(&BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap()).unwrap();
    rejects_text::<BetaGeo>(&old, "\"r\":0.243", "\"r\":-1.0");
    rejects_text::<BetaGeo>(&old, "\"alpha\":4.414", "\"alpha\":-0.0");
}

#[test]
fn mbgnbd_round_trips() {
    let fitted = mbgnbd();
    let back = round_trip(&fitted);
    assert_eq!(back, fitted);
    same_predictions(&back, &fitted);
    let published = ModifiedBetaGeo::from_params(0.525, 6.183, 0.891, 1.614).unwrap();
    assert_eq!(round_trip(&published), published);
}

#[test]
fn mbgnbd_rejects_hand_edits() {
    let fitted = mbgnbd();
    rejects_hand_edits(&fitted, "a", 4);
    let json = serde_json::to_string(&fitted).unwrap();
    rejects_text::<ModifiedBetaGeo>(&json, "\"r\":", "\"r\":-");
}

#[test]
fn pareto_nbd_round_trips() {
    let fitted = pareto_nbd();
    let back = round_trip(&fitted);
    assert_eq!(back, fitted);
    same_predictions(&back, &fitted);
    let published = ParetoNbd::from_params(0.5534, 10.5802, 0.6061, 11.6562).unwrap();
    assert_eq!(round_trip(&published), published);
}

#[test]
fn pareto_nbd_rejects_hand_edits() {
    let fitted = pareto_nbd();
    rejects_hand_edits(&fitted, "s", 4);
    rejects_hand_edits(&fitted, "beta", 4);
}

#[test]
fn bgbb_round_trips() {
    let fitted = bgbb();
    let back = round_trip(&fitted);
    assert_eq!(back, fitted);
    let predict = |m: &BetaGeoBetaBinom| {
        bits(&[
            m.expected_purchases_new_customer(10.0).unwrap(),
            m.probability_alive(3.0, 5.0, 6.0).unwrap(),
            m.conditional_expected_purchases(5.0, 3.0, 5.0, 6.0)
                .unwrap(),
            m.probability_of_n_transactions(6, 2).unwrap(),
        ])
    };
    assert_eq!(predict(&back), predict(&fitted));
    let published = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783).unwrap();
    assert_eq!(round_trip(&published), published);
}

#[test]
fn bgbb_rejects_hand_edits() {
    let fitted = bgbb();
    rejects_hand_edits(&fitted, "alpha", 4);
    rejects_hand_edits(&fitted, "delta", 4);
}

#[test]
fn gamma_gamma_round_trips() {
    let fitted = gamma_gamma();
    let back = round_trip(&fitted);
    assert_eq!(back, fitted);
    assert_eq!(
        back.conditional_expected_spend(3.0, 25.0)
            .unwrap()
            .to_bits(),
        fitted
            .conditional_expected_spend(3.0, 25.0)
            .unwrap()
            .to_bits()
    );
}

#[test]
fn gamma_gamma_from_params_round_trips() {
    // No data, no correlation: written as null, read back as None; files written when it
    // was a NaN ("NaN") read as None too, and a model equals itself.
    let published = GammaGamma::from_params(6.25, 3.74, 15.44).unwrap();
    assert_eq!(published, published.clone());
    let json = serde_json::to_string(&published).unwrap();
    assert!(
        json.contains("\"frequency_spend_correlation\":null"),
        "{json}"
    );
    let old = json.replace(
        "\"frequency_spend_correlation\":null",
        "\"frequency_spend_correlation\":\"NaN\"",
    );
    let from_old: GammaGamma = serde_json::from_str(&old).unwrap();
    assert_eq!(from_old.frequency_spend_correlation(), None);
    let back = round_trip(&published);
    assert_eq!(back, published);
    assert_eq!(
        bits(&[back.p(), back.q(), back.v()]),
        bits(&[published.p(), published.q(), published.v()])
    );
    assert_eq!(back.report(), published.report());
    assert_eq!(back.rows(), published.rows());
}

#[test]
fn gamma_gamma_old_files_load() {
    // Files written before `rows` existed load, with zero counts.
    let fitted = gamma_gamma();
    let mut old = serde_json::to_value(&fitted).unwrap();
    old.as_object_mut().unwrap().remove("rows");
    let loaded: GammaGamma = serde_json::from_value(old).unwrap();
    assert_eq!(loaded.p().to_bits(), fitted.p().to_bits());
    assert_eq!(loaded.report(), fitted.report());
    assert_eq!(
        loaded.rows(),
        GammaGamma::from_params(1.0, 1.0, 1.0).unwrap().rows()
    );
    let old = r#"{"p":6.25,"q":3.74,"v":15.44,"frequency_spend_correlation":0.11,"report":{"log_likelihood":0.0,"aic":0.0,"bic":0.0,"standard_errors":null,"iterations":0}}"#;
    let loaded: GammaGamma = serde_json::from_str(old).unwrap();
    assert_eq!(loaded.frequency_spend_correlation(), Some(0.11));
}

#[test]
fn gamma_gamma_rejects_hand_edits() {
    let fitted = gamma_gamma();
    rejects_hand_edits(&fitted, "p", 3);
    rejects_hand_edits(&fitted, "v", 3);
    rejects(
        &fitted,
        |v| v["frequency_spend_correlation"] = 5.0.into(),
        "parameter frequency_spend_correlation = 5",
    );
    let old = r#"{"p":6.25,"q":3.74,"v":15.44,"frequency_spend_correlation":0.11,"report":{"log_likelihood":0.0,"aic":0.0,"bic":0.0,"standard_errors":null,"iterations":0}}"#;
    rejects_text::<GammaGamma>(old, "\"v\":15.44", "\"v\":-15.44");
    rejects_text::<GammaGamma>(old, "\"q\":3.74", "\"q\":-1.0");
}

/// `from_params` checks parameters as loading does: a model outside the domain is
/// never built (so never written either).
#[test]
fn from_params_outside_the_domain_is_an_error() {
    use patronage::clv::{BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNbd};
    let named = |r: patronage::Result<()>, name: &str| match r {
        Err(patronage::Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{name}: {other:?}"),
    };
    for bad in [-0.243, 0.0, f64::NAN, f64::INFINITY] {
        named(
            BetaGeo::from_params(bad, 4.414, 0.793, 2.426).map(drop),
            "r",
        );
        named(
            ModifiedBetaGeo::from_params(0.5, 6.0, bad, 1.6).map(drop),
            "a",
        );
        named(
            ParetoNbd::from_params(0.55, 10.6, 0.6, bad).map(drop),
            "beta",
        );
        named(
            BetaGeoBetaBinom::from_params(1.2, bad, 0.66, 2.8).map(drop),
            "beta",
        );
        named(GammaGamma::from_params(6.25, 3.74, bad).map(drop), "v");
    }
    named(GammaGamma::from_params(f64::NAN, 1.0, 1.0).map(drop), "p");
}
