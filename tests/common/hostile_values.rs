//! Proptest strategies for hostile inputs and checks of the errors and outputs they
//! give (issue 15): shared by `properties_api.rs`, `fuzz_inputs.rs` and
//! `limits_child.rs`.

#![allow(dead_code)] // each test file uses what it needs

use patronage::{Day, Error, Transaction};
use proptest::prelude::*;

/// Values a caller could hand in by mistake: ordinary numbers most of the time, then
/// every special value of `f64` (NaN, infinities, signed zeros, subnormals, the extremes)
/// and any bit pattern at all.
pub fn wild_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -1e3f64..1e3,
        2 => prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            1e12,
            1e15,
            1e154,
            1e300,
            -1e300,
            f64::EPSILON,
        ]),
        1 => any::<f64>(),
    ]
}

/// Finite values only, with the extremes over-represented.
pub fn finite_f64() -> impl Strategy<Value = f64> {
    wild_f64().prop_map(|v| if v.is_finite() { v } else { 1.0 })
}

/// Days anywhere in `i32`, with the ends and ordinary dates over-represented.
pub fn wild_day() -> impl Strategy<Value = Day> {
    prop_oneof![
        4 => (0i32..2_000).prop_map(Day),
        1 => prop::sample::select(vec![
            i32::MIN,
            i32::MIN + 1,
            i32::MAX - 1,
            i32::MAX,
            -1_000_000,
            1_000_000,
            0,
        ])
        .prop_map(Day),
        1 => any::<i32>().prop_map(Day),
    ]
}

/// Counts anywhere in `usize`, with 0, 1, the ends and a few just-too-large values.
pub fn wild_usize() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0usize..20,
        1 => prop::sample::select(vec![
            0,
            1,
            2,
            1_001,
            10_001,
            1 << 32,
            usize::MAX / 2,
            usize::MAX - 1,
            usize::MAX,
        ]),
        1 => any::<usize>(),
    ]
}

/// Transaction rows: few customers, wild days and amounts.
pub fn wild_rows(max_len: usize) -> impl Strategy<Value = Vec<Transaction<u8>>> {
    prop::collection::vec((0u8..8, wild_day(), wild_f64()), 0..max_len).prop_map(|v| {
        v.into_iter()
            .map(|(customer, day, amount)| Transaction {
                customer,
                day,
                amount,
            })
            .collect()
    })
}

/// Valid transaction rows (amounts in `[0, 1e4]`), days within `span` of day 0.
pub fn valid_rows(max_len: usize, span: i32) -> impl Strategy<Value = Vec<Transaction<u8>>> {
    prop::collection::vec((0u8..8, 0..=span, 0.0f64..1e4), 1..max_len).prop_map(|v| {
        v.into_iter()
            .map(|(customer, day, amount)| Transaction {
                customer,
                day: Day(day),
                amount,
            })
            .collect()
    })
}

/// Checks what an error says about the input: a `NonFinite` value is not finite, a
/// `Negative` one is below zero, a row is below `rows` (the longest input of the call;
/// `u32::MAX` is allowed as the "too many rows" marker) and the message formats.
pub fn check_error(e: &Error, rows: usize) {
    let msg = e.to_string();
    assert!(!msg.is_empty());
    let row_ok = |row: usize| row < rows.max(1) || row == u32::MAX as usize;
    match e {
        Error::NonFinite { value, row, field } => {
            assert!(!value.is_finite(), "{field}: NonFinite for finite {value}");
            assert!(row_ok(*row), "{field}: row {row} of {rows}");
        }
        Error::Negative { value, row, field } => {
            assert!(
                *value < 0.0 || (*value == 0.0 && value.is_sign_negative()),
                "{field}: Negative for {value}"
            );
            assert!(row_ok(*row), "{field}: row {row} of {rows}");
        }
        Error::InvalidValue { row, field, .. } => {
            assert!(row_ok(*row), "{field}: row {row} of {rows}");
        }
        Error::LimitExceeded { size, limit, .. } => assert!(size > limit, "{e:?}"),
        _ => {}
    }
}

/// `Ok(v)` as `Some(v)`; an error is checked with [`check_error`] and gives `None`.
/// With `HOSTILE_STATS` set, each outcome is printed with the test's name (to see how
/// often a property reaches the code past validation).
pub fn ok_or_typed<T>(r: Result<T, Error>, rows: usize) -> Option<T> {
    if std::env::var_os("HOSTILE_STATS").is_some() {
        let test = std::thread::current().name().unwrap_or("?").to_string();
        match &r {
            Ok(_) => eprintln!("STATS {test} Ok"),
            Err(e) => eprintln!(
                "STATS {test} {}",
                format!("{e:?}").split([' ', '(']).next().unwrap()
            ),
        }
    }
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            check_error(&e, rows);
            None
        }
    }
}

/// Asserts every value is finite.
pub fn all_finite(values: &[f64], what: &str) {
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        panic!("{what}[{i}] = {v} is not finite");
    }
}

/// Asserts every value is a probability.
pub fn all_probabilities(values: &[f64], what: &str) {
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        panic!("{what}[{i}] = {v} is not in [0, 1]");
    }
}

/// Asserts every value is finite and non-negative.
pub fn all_non_negative(values: &[f64], what: &str) {
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        panic!("{what}[{i}] = {v} is not finite and non-negative");
    }
}

/// A proptest configuration with `cases` cases, no regression files, and a fixed seed
/// (so CI runs are reproducible) unless `PROPTEST_RNG_SEED` asks for another; set
/// `PROPTEST_CASES` and a random `PROPTEST_RNG_SEED` to explore further.
pub fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_some() {
        c.cases = ProptestConfig::default().cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(15);
    }
    c
}

/// As [`wild_f64`], with finite values capped at `1e100` in magnitude: large, but far
/// from overflowing a square or a sum of squares.
pub fn capped_f64() -> impl Strategy<Value = f64> {
    wild_f64().prop_map(|v| {
        if v.is_finite() {
            v.clamp(-1e100, 1e100)
        } else {
            v
        }
    })
}

/// `valid` most of the time, a [`wild_f64`] now and then: inputs that get past the
/// first validation often enough to reach the code behind it.
pub fn mostly(valid: impl Strategy<Value = f64>) -> impl Strategy<Value = f64> {
    prop_oneof![12 => valid, 1 => wild_f64()]
}

/// `valid` most of the time, a [`wild_usize`] now and then.
pub fn mostly_usize(valid: impl Strategy<Value = usize>) -> impl Strategy<Value = usize> {
    prop_oneof![8 => valid, 1 => wild_usize()]
}

/// A day in `0..span` most of the time, a [`wild_day`] now and then.
pub fn mostly_day(span: i32) -> impl Strategy<Value = Day> {
    prop_oneof![8 => (0..span).prop_map(Day), 1 => wild_day()]
}
