//! `wire`: every patronage function survives the trip to bytes and back with the same
//! parameters (bit for bit), and bytes that are not a valid function are a planning
//! error naming the function, never a panic.

use datafusion_expr::{AggregateUDF, ScalarUDF};
use patronage::churn::LogisticRegression;
use patronage::clv::value::Valuation;
use patronage::clv::{BetaGeo, GammaGamma, ParetoNbd};
use patronage::model::{Fit, Regularized};
use patronage::ndarray::array;
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::segment::KMeans;
use patronage::{Day, summary::SummaryParams};
use patronage_datafusion::{
    churn_probability_udf, cluster_udf, clv_udf, customer_summary_udaf, expected_purchases_udf,
    p_alive_udf, rfm_segment_udf, wire,
};
use serde_json::Value;

fn params() -> SummaryParams {
    SummaryParams::new(Day(728)).time_unit_days(7.0)
}

/// Parameters with long binary expansions, to catch a lossy float round trip.
fn bg() -> BetaGeo {
    BetaGeo::from_params(
        0.1 + 0.2,
        4.0 / 3.0,
        0.793_123_456_789_012_3,
        2.0_f64.sqrt(),
    )
    .expect("valid")
}

fn scalars() -> Vec<ScalarUDF> {
    let pnbd = ParetoNbd::from_params(0.55, 10.58, 0.61, 11.67).expect("valid");
    let gg = GammaGamma::from_params(6.25, 3.74, 15.44).expect("valid");
    let x = array![
        [0.0, 1.0],
        [1.0, 0.5],
        [2.0, 0.0],
        [3.0, 0.2],
        [0.5, 0.9],
        [2.5, 0.1]
    ];
    let y = vec![false, true, true, false, false, true];
    let churn = LogisticRegression::params()
        .penalty(0.01)
        .fit((x.view(), &y))
        .expect("fit");
    let kmeans = KMeans::params(2).seed(1).fit(x.view()).expect("fit");
    let rfm = RfmParams::default()
        .fit_values(
            &[1.0, 10.0, 30.0, 90.0, 200.0],
            &[9.0, 5.0, 3.0, 2.0, 1.0],
            &[900.0, 400.0, 150.0, 60.0, 20.0],
        )
        .expect("fit");
    vec![
        p_alive_udf(&bg()),
        expected_purchases_udf(&bg()),
        clv_udf(&bg(), &gg, Valuation::monthly(12, 0.01), &params()).expect("valid"),
        p_alive_udf(&pnbd),
        expected_purchases_udf(&pnbd),
        clv_udf(
            &pnbd,
            &gg,
            Valuation::monthly(6, 0.02).margin(0.3),
            &params(),
        )
        .expect("valid"),
        churn_probability_udf(&churn),
        cluster_udf(&kmeans),
        rfm_segment_udf(&rfm, &SegmentMap::classic()),
    ]
}

#[test]
fn every_scalar_function_round_trips() {
    for udf in scalars() {
        let bytes = wire::encode_udf(&udf)
            .expect("encodes")
            .unwrap_or_else(|| panic!("{} is patronage's", udf.name()));
        let back = wire::decode_udf(udf.name(), &bytes).expect("decodes");
        assert_eq!(back, udf, "{}", udf.name());
        assert_eq!(format!("{back:?}"), format!("{udf:?}"), "{}", udf.name());
        // And the bytes are stable: encoding the decoded function gives them again.
        assert_eq!(wire::encode_udf(&back).expect("encodes"), Some(bytes));
    }
}

#[test]
fn the_aggregate_round_trips() {
    for p in [params(), SummaryParams::new(Day(-3)).period_days(7)] {
        let udaf = customer_summary_udaf(&p).expect("valid");
        let bytes = wire::encode_udaf(&udaf).expect("encodes").expect("ours");
        let back = wire::decode_udaf("customer_summary", &bytes).expect("decodes");
        assert_eq!(back, udaf);
    }
}

#[test]
fn other_functions_are_left_to_the_registry() {
    let abs = datafusion_expr::ScalarUDF::new_from_impl(AbsLike::default());
    assert_eq!(wire::encode_udf(&abs).expect("no error"), None);
    let count = AggregateUDF::new_from_impl(CountLike::default());
    assert_eq!(wire::encode_udaf(&count).expect("no error"), None);
}

/// Edits the JSON of `bytes` with `edit` and re-encodes it.
fn edited(bytes: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).expect("json");
    edit(&mut v);
    serde_json::to_vec(&v).expect("json")
}

/// Sets every number under a key `key` anywhere in `v` to `to`.
fn set_all(v: &mut Value, key: &str, to: Value) -> usize {
    match v {
        Value::Object(m) => {
            let mut n = 0;
            for (k, x) in m.iter_mut() {
                if k == key && x.is_number() {
                    *x = to.clone();
                    n += 1;
                } else {
                    n += set_all(x, key, to.clone());
                }
            }
            n
        }
        Value::Array(a) => a.iter_mut().map(|x| set_all(x, key, to.clone())).sum(),
        _ => 0,
    }
}

fn plan_error(result: datafusion_common::Result<impl std::fmt::Debug>, name: &str) {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(text.contains(name), "{text}");
            assert!(
                matches!(e, datafusion_common::DataFusionError::Plan(_)),
                "{text}"
            );
        }
    }
}

#[test]
fn hand_edited_or_foreign_bytes_are_errors() {
    let udf = p_alive_udf(&bg());
    let bytes = wire::encode_udf(&udf).expect("encodes").expect("ours");

    // Not JSON, truncated, empty, another version, unknown fields.
    plan_error(wire::decode_udf("p_alive", b"not json"), "p_alive");
    plan_error(
        wire::decode_udf("p_alive", &bytes[..bytes.len() / 2]),
        "p_alive",
    );
    plan_error(wire::decode_udf("p_alive", b""), "p_alive");
    let v2 = edited(&bytes, |v| v["format"] = Value::from(2));
    plan_error(wire::decode_udf("p_alive", &v2), "p_alive");
    let extra = edited(&bytes, |v| v["extra"] = Value::from(1));
    plan_error(wire::decode_udf("p_alive", &extra), "p_alive");

    // Invalid model parameters: negative, zero, a string.
    for bad in [Value::from(-1.0), Value::from(0.0), Value::from("x")] {
        let mut hits = 0;
        let b = edited(&bytes, |v| hits = set_all(v, "alpha", bad.clone()));
        assert!(hits > 0, "the BG/NBD parameters have an `alpha`");
        plan_error(wire::decode_udf("p_alive", &b), "p_alive");
    }

    // The bytes of another function under this name, an aggregate as a scalar
    // function and the reverse.
    let expected = wire::encode_udf(&expected_purchases_udf(&bg()))
        .expect("encodes")
        .expect("ours");
    plan_error(wire::decode_udf("p_alive", &expected), "p_alive");
    let summary = wire::encode_udaf(&customer_summary_udaf(&params()).expect("valid"))
        .expect("encodes")
        .expect("ours");
    plan_error(
        wire::decode_udf("customer_summary", &summary),
        "customer_summary",
    );
    plan_error(wire::decode_udaf("p_alive", &bytes), "p_alive");

    // Invalid summary params: a zero period, a negative time unit.
    for (key, bad) in [
        ("period_days", Value::from(0)),
        ("time_unit_days", Value::from(-7.0)),
    ] {
        let b = edited(&summary, |v| {
            assert!(set_all(v, key, bad.clone()) > 0, "{key}");
        });
        plan_error(
            wire::decode_udaf("customer_summary", &b),
            "customer_summary",
        );
    }
    // ... also inside a CLV function.
    let clv = scalars().remove(2);
    let clv_bytes = wire::encode_udf(&clv).expect("encodes").expect("ours");
    let b = edited(&clv_bytes, |v| {
        assert!(set_all(v, "period_days", Value::from(0)) > 0);
    });
    plan_error(wire::decode_udf("clv", &b), "clv");

    // Every byte flipped in turn: an error or a valid function, never a panic.
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        let _ = wire::decode_udf("p_alive", &b);
    }
}

// Minimal non-patronage functions.

#[derive(Debug, PartialEq, Eq, Hash)]
struct AbsLike(datafusion_expr::Signature);

impl Default for AbsLike {
    fn default() -> Self {
        Self(datafusion_expr::Signature::any(
            1,
            datafusion_expr::Volatility::Immutable,
        ))
    }
}

impl datafusion_expr::ScalarUDFImpl for AbsLike {
    fn name(&self) -> &str {
        "abs_like"
    }
    fn signature(&self) -> &datafusion_expr::Signature {
        &self.0
    }
    fn return_type(
        &self,
        args: &[arrow::datatypes::DataType],
    ) -> datafusion_common::Result<arrow::datatypes::DataType> {
        Ok(args[0].clone())
    }
    fn invoke_with_args(
        &self,
        args: datafusion_expr::ScalarFunctionArgs,
    ) -> datafusion_common::Result<datafusion_expr::ColumnarValue> {
        Ok(args.args[0].clone())
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CountLike(datafusion_expr::Signature);

impl Default for CountLike {
    fn default() -> Self {
        Self(datafusion_expr::Signature::any(
            1,
            datafusion_expr::Volatility::Immutable,
        ))
    }
}

impl datafusion_expr::AggregateUDFImpl for CountLike {
    fn name(&self) -> &str {
        "count_like"
    }
    fn signature(&self) -> &datafusion_expr::Signature {
        &self.0
    }
    fn return_type(
        &self,
        _args: &[arrow::datatypes::DataType],
    ) -> datafusion_common::Result<arrow::datatypes::DataType> {
        Ok(arrow::datatypes::DataType::Int64)
    }
    fn accumulator(
        &self,
        _args: datafusion_expr::function::AccumulatorArgs,
    ) -> datafusion_common::Result<Box<dyn datafusion_expr::Accumulator>> {
        datafusion_common::not_impl_err!("not used")
    }
}
