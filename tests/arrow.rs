//! The `arrow` feature: a log read from record batches is the log `from_columns` builds
//! of the same rows, for every Arrow type read; every bad column is a typed error
//! naming it (and the row, counted across batches); output batches hold the summary's,
//! the scores' and the models' values under the caller's ids.
#![cfg(feature = "arrow")]

use std::sync::Arc;

use patronage::arrow::arrow_array::cast::AsArray;
use patronage::arrow::arrow_array::types::{
    Date32Type, Float64Type, Int32Type, Int64Type, UInt8Type, UInt32Type, UInt64Type,
};
use patronage::arrow::arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Date64Array, Decimal128Array, Float32Array,
    Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    StringViewArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt64Array,
};
use patronage::arrow::arrow_schema::{DataType, Field};
use patronage::arrow::{ArrowId, CustomerTable, LogColumns, rfm_batch, summary_batch};
use patronage::rfm::{RfmParams, SegmentMap};
use patronage::{Day, Error, LogParams, Returns, SummaryParams, TransactionLog};
use proptest::prelude::*;

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).expect("columns of one length")
}

fn reader() -> LogColumns {
    LogColumns::new("id", "day", "amount")
}

fn same<C: std::fmt::Debug + PartialEq>(a: &TransactionLog<C>, b: &TransactionLog<C>) {
    assert_eq!(a.customer_ids(), b.customer_ids());
    assert_eq!(a.offsets(), b.offsets());
    assert_eq!(a.days(), b.days());
    let bits = |l: &TransactionLog<C>| l.amounts().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(a), bits(b));
    assert_eq!(a.returns(), b.returns());
}

/// Rows as (customer, day, cents, time of day in nanoseconds).
type Row = (u16, i32, i64, i64);

const NS_PER_DAY: i64 = 86_400_000_000_000;

fn rows_strategy() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (0u16..30, -20_000i32..40_000, 0i64..1_000_000, 0..NS_PER_DAY),
        1..200,
    )
}

/// The day column of `rows` in every layout: Date32, Date64, and timestamps of each
/// unit with and without a zone (the time of day truncated to the unit).
fn day_arrays(rows: &[Row]) -> Vec<ArrayRef> {
    let at = |per_day: i64| -> Vec<i64> {
        rows.iter()
            .map(|r| i64::from(r.1) * per_day + r.3 / (NS_PER_DAY / per_day))
            .collect()
    };
    let mut out: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from(
            rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        )),
        Arc::new(Date64Array::from(at(86_400_000))),
    ];
    for tz in [None, Some("UTC"), Some("America/New_York"), Some("+05:30")] {
        let s = TimestampSecondArray::from(at(86_400));
        let ms = TimestampMillisecondArray::from(at(86_400_000));
        let us = TimestampMicrosecondArray::from(at(86_400_000_000));
        let ns = TimestampNanosecondArray::from(at(NS_PER_DAY));
        match tz {
            None => out.extend([
                Arc::new(s) as ArrayRef,
                Arc::new(ms),
                Arc::new(us),
                Arc::new(ns),
            ]),
            Some(tz) => out.extend([
                Arc::new(s.with_timezone(tz)) as ArrayRef,
                Arc::new(ms.with_timezone(tz)),
                Arc::new(us.with_timezone(tz)),
                Arc::new(ns.with_timezone(tz)),
            ]),
        }
    }
    out
}

fn cents(rows: &[Row]) -> Vec<i64> {
    rows.iter().map(|r| r.2).collect()
}

/// The amount column of `rows` as Float64, Float32 and Decimal128 (scale 2), with the
/// `f64` amounts each should read as.
fn amount_arrays(rows: &[Row]) -> Vec<(ArrayRef, Vec<f64>)> {
    let c = cents(rows);
    let f64s: Vec<f64> = c.iter().map(|&c| c as f64 / 100.0).collect();
    let f32s: Vec<f32> = c.iter().map(|&c| c as f32 / 100.0).collect();
    let dec = Decimal128Array::from(c.iter().map(|&c| i128::from(c)).collect::<Vec<_>>())
        .with_precision_and_scale(20, 2)
        .expect("valid decimal type");
    vec![
        (
            Arc::new(Float64Array::from(f64s.clone())) as ArrayRef,
            f64s.clone(),
        ),
        (
            Arc::new(Float32Array::from(f32s.clone())),
            f32s.iter().map(|&v| f64::from(v)).collect(),
        ),
        (Arc::new(dec), f64s),
    ]
}

fn days_of(rows: &[Row]) -> Vec<Day> {
    rows.iter().map(|r| Day(r.1)).collect()
}

/// The log of `rows` read with ids `ids` (as `C`), for every day and amount layout,
/// equals `from_columns` of `expected_ids`.
fn check_all_layouts<C: ArrowId + std::fmt::Debug>(
    rows: &[Row],
    ids: ArrayRef,
    expected_ids: &[C],
) {
    let days = days_of(rows);
    for day in day_arrays(rows) {
        for (amount, amounts) in amount_arrays(rows) {
            let b = batch(vec![
                ("id", ids.clone()),
                ("day", day.clone()),
                ("amount", amount),
            ]);
            let got: TransactionLog<C> = reader().log([&b]).expect("valid batch");
            let want =
                TransactionLog::from_columns(expected_ids, &days, &amounts).expect("valid rows");
            same(&got, &want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every id, day and amount type read, in one batch: the log of the same rows.
    #[test]
    fn every_type_reads_as_from_columns(rows in rows_strategy()) {
        let c: Vec<u16> = rows.iter().map(|r| r.0).collect();
        let i32s: Vec<i32> = c.iter().map(|&c| i32::from(c) - 10).collect();
        let i64s: Vec<i64> = i32s.iter().map(|&c| i64::from(c) * 1_000_000_007).collect();
        let u64s: Vec<u64> = c.iter().map(|&c| u64::from(c) << 40).collect();
        let strings: Vec<String> = c.iter().map(|c| format!("customer-{c}")).collect();
        check_all_layouts::<i32>(&rows, Arc::new(Int32Array::from(i32s.clone())), &i32s);
        let widened: Vec<i64> = i32s.iter().map(|&v| i64::from(v)).collect();
        check_all_layouts::<i64>(&rows, Arc::new(Int32Array::from(i32s)), &widened);
        check_all_layouts::<i64>(&rows, Arc::new(Int64Array::from(i64s.clone())), &i64s);
        check_all_layouts::<u64>(&rows, Arc::new(UInt64Array::from(u64s.clone())), &u64s);
        check_all_layouts::<String>(&rows, Arc::new(StringArray::from(strings.clone())), &strings);
        check_all_layouts::<String>(&rows, Arc::new(LargeStringArray::from(strings.clone())), &strings);
        check_all_layouts::<String>(&rows, Arc::new(StringViewArray::from(strings.clone())), &strings);
    }

    /// The rows cut into several batches (one empty), each of another layout: the log of
    /// all the rows, in order.
    #[test]
    fn several_batches_read_as_one(rows in rows_strategy(), cut in any::<prop::sample::Index>()) {
        let n = rows.len();
        let cut = cut.index(n + 1);
        let (a, b) = rows.split_at(cut);
        let strings = |rs: &[Row]| rs.iter().map(|r| format!("c{}", r.0)).collect::<Vec<_>>();
        let date32 = |rs: &[Row]| Arc::new(Date32Array::from(rs.iter().map(|r| r.1).collect::<Vec<_>>())) as ArrayRef;
        let ns = |rs: &[Row]| {
            Arc::new(TimestampNanosecondArray::from(
                rs.iter().map(|r| i64::from(r.1) * NS_PER_DAY + r.3).collect::<Vec<_>>(),
            )) as ArrayRef
        };
        let f64s = |rs: &[Row]| Arc::new(Float64Array::from(rs.iter().map(|r| r.2 as f64 / 100.0).collect::<Vec<_>>())) as ArrayRef;
        let dec = |rs: &[Row]| {
            Arc::new(
                Decimal128Array::from(rs.iter().map(|r| i128::from(r.2)).collect::<Vec<_>>())
                    .with_precision_and_scale(20, 2)
                    .expect("valid decimal type"),
            ) as ArrayRef
        };
        let batches = [
            batch(vec![("id", Arc::new(StringArray::from(strings(a))) as ArrayRef), ("day", date32(a)), ("amount", f64s(a))]),
            batch(vec![("id", Arc::new(LargeStringArray::from(Vec::<String>::new())) as ArrayRef), ("day", ns(&[])), ("amount", dec(&[]))]),
            batch(vec![("id", Arc::new(StringViewArray::from(strings(b))) as ArrayRef), ("day", ns(b)), ("amount", dec(b))]),
        ];
        let all_strings = strings(&rows);
        let days = days_of(&rows);
        let amounts: Vec<f64> = rows.iter().map(|r| r.2 as f64 / 100.0).collect();
        let want = TransactionLog::from_columns(&all_strings, &days, &amounts).expect("valid rows");
        same(&reader().log::<String>(&batches).expect("valid batches"), &want);

        // Integer ids: Int32 and Int64 batches read as i64, copied into one column.
        let ints = |rs: &[Row]| rs.iter().map(|r| i64::from(r.0)).collect::<Vec<_>>();
        let batches = [
            batch(vec![("id", Arc::new(Int32Array::from(ints(a).iter().map(|&v| v as i32).collect::<Vec<_>>())) as ArrayRef), ("day", date32(a)), ("amount", f64s(a))]),
            batch(vec![("id", Arc::new(Int64Array::from(ints(b))) as ArrayRef), ("day", date32(b)), ("amount", f64s(b))]),
        ];
        let want = TransactionLog::from_columns(&ints(&rows), &days, &amounts).expect("valid rows");
        same(&reader().log::<i64>(&batches).expect("valid batches"), &want);
    }
}

/// Powers of ten as decimal text with the point placed by hand: an independent
/// reference for `Decimal128` amounts.
fn decimal_text(value: i128, scale: i8) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let digits = value.unsigned_abs().to_string();
    if scale <= 0 {
        return format!(
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        );
    }
    let s = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = s + 1);
    let (int, frac) = padded.split_at(padded.len() - s);
    format!("{sign}{int}.{frac}")
}

#[test]
fn decimal_amounts_are_exact() {
    // (minor units, scale): cents, mills, many digits, beyond 2^53, negative scales.
    let cases: Vec<(i128, i8)> = vec![
        (1999, 2),
        (1, 2),
        (10, 1),
        (123_456_789, 4),
        (999_999_999_999_999, 3),
        (9_007_199_254_740_993, 4), // 2^53 + 1: not exact as f64
        (123_456_789_012_345_678_901_234_567, 18),
        (99_999_999_999_999_999_999_999_999_999_999, 26),
        (12_345, 0),
        (7, -3),
        (1, 25),
        (314_159_265_358_979_323_846_264_338, 27),
    ];
    for (value, scale) in cases {
        let want: f64 = decimal_text(value, scale).parse().expect("decimal text");
        let amounts = Decimal128Array::from(vec![value])
            .with_precision_and_scale(38, scale)
            .expect("valid decimal type");
        let b = batch(vec![
            ("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("day", Arc::new(Date32Array::from(vec![0]))),
            ("amount", Arc::new(amounts)),
        ]);
        let log: TransactionLog<i32> = reader().log([&b]).expect("valid amount");
        assert_eq!(
            log.amounts()[0].to_bits(),
            want.to_bits(),
            "{value}e-{scale}"
        );
    }
    // Random values near the fast path's edges, against the text reference.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut value = i128::from(state >> (state % 40)) % 1_000_000_000_000_000_000;
        if state & 1 == 1 {
            value = -value;
        }
        let scale = (state % 12) as i8 + 6;
        let want: f64 = decimal_text(value, scale).parse().expect("decimal text");
        let amounts = Decimal128Array::from(vec![value])
            .with_precision_and_scale(38, scale)
            .expect("valid decimal type");
        let b = batch(vec![
            ("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("day", Arc::new(Date32Array::from(vec![0]))),
            ("amount", Arc::new(amounts)),
        ]);
        match reader()
            .params(LogParams::new().returns(Returns::Separate))
            .log::<i32>([&b])
        {
            Ok(log) => assert_eq!(
                log.amounts()[0].to_bits(),
                (want + 0.0).to_bits(),
                "{value}e-{scale}"
            ),
            Err(Error::InvalidValue {
                field: "amount",
                row: 0,
                ..
            }) => assert!(want.abs() > 1e12),
            Err(e) => panic!("{value}e-{scale}: {e}"),
        }
    }
}

#[test]
fn timestamps_take_the_day_at_the_offset() {
    // 2024-03-01 23:30 at UTC-05:00 is 2024-03-02 04:30 UTC.
    let utc_seconds = 1_709_353_800i64;
    let march_1 = Day::from_ymd(2024, 3, 1).expect("a date");
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(TimestampSecondArray::from(vec![utc_seconds])),
        Arc::new(TimestampMillisecondArray::from(vec![utc_seconds * 1_000]).with_timezone("UTC")),
        Arc::new(TimestampMicrosecondArray::from(vec![
            utc_seconds * 1_000_000,
        ])),
        Arc::new(
            TimestampNanosecondArray::from(vec![utc_seconds * 1_000_000_000])
                .with_timezone("America/New_York"),
        ),
    ];
    for day in arrays {
        let b = batch(vec![
            ("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("day", day),
            ("amount", Arc::new(Float64Array::from(vec![1.0]))),
        ]);
        let utc: TransactionLog<i32> = reader().log([&b]).expect("valid");
        assert_eq!(
            utc.days(),
            &[march_1 + 1],
            "UTC by default, whatever the zone"
        );
        let local: TransactionLog<i32> = reader()
            .utc_offset_seconds(-5 * 3600)
            .log([&b])
            .expect("valid");
        assert_eq!(local.days(), &[march_1]);
        let east: TransactionLog<i32> = reader()
            .utc_offset_seconds(20 * 3600)
            .log([&b])
            .expect("valid");
        assert_eq!(east.days(), &[march_1 + 2]); // 00:30 on March 3rd at UTC+20:00
    }
    // Before 1970 the day is floored: 1969-12-31 23:59:59 UTC is day -1.
    let b = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![1, 1])) as ArrayRef),
        (
            "day",
            Arc::new(TimestampSecondArray::from(vec![-1, -86_400])),
        ),
        ("amount", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let log: TransactionLog<i32> = reader().log([&b]).expect("valid");
    assert_eq!(log.days(), &[Day(-1), Day(-1)]);
    let log: TransactionLog<i32> = reader().utc_offset_seconds(1).log([&b]).expect("valid");
    assert_eq!(log.days(), &[Day(-1), Day(0)]);
    // Date32 and Date64 are days already: no shift.
    let b = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![1, 1])) as ArrayRef),
        (
            "day",
            Arc::new(Date64Array::from(vec![86_400_000, 3 * 86_400_000 - 1])),
        ),
        ("amount", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let log: TransactionLog<i32> = reader()
        .utc_offset_seconds(-5 * 3600)
        .log([&b])
        .expect("valid");
    assert_eq!(log.days(), &[Day(1), Day(2)]);
}

#[test]
fn sliced_batches_read_their_own_rows() {
    let b = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b", "c", "a"])) as ArrayRef,
        ),
        ("day", Arc::new(Date32Array::from(vec![0, 1, 2, 3]))),
        (
            "amount",
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0])),
        ),
    ]);
    let log: TransactionLog<String> = reader().log([&b.slice(1, 3)]).expect("valid");
    assert_eq!(log.customer_ids(), ["b", "c", "a"]);
    assert_eq!(log.days(), &[Day(1), Day(2), Day(3)]);
    // The null is in the part sliced away.
    let ids = StringArray::from(vec![None, Some("b"), Some("c")]);
    let b = batch(vec![
        ("id", Arc::new(ids) as ArrayRef),
        ("day", Arc::new(Date32Array::from(vec![0, 1, 2]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]))),
    ]);
    assert!(reader().log::<String>([&b.slice(1, 2)]).is_ok());
    assert!(matches!(
        reader().log::<String>([&b]),
        Err(Error::Column { row: Some(0), .. })
    ));
}

fn good(n: usize) -> RecordBatch {
    batch(vec![
        (
            "id",
            Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())) as ArrayRef,
        ),
        ("day", Arc::new(Date32Array::from(vec![5; n]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0; n]))),
    ])
}

/// Asserts `Error::Column` about `column` at `row`, whose message contains `text`.
fn column_error<C: std::fmt::Debug>(
    got: patronage::Result<C>,
    column: &str,
    row: Option<usize>,
    text: &str,
) {
    match got {
        Err(e @ Error::Column { .. }) => {
            let Error::Column {
                column: c,
                row: r,
                reason,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((c.as_str(), *r), (column, row), "{e}");
            assert!(e.to_string().contains(text), "{e} lacks {text:?}");
            assert!(!reason.is_empty());
            assert!(
                e.to_string().starts_with(&format!("column {column}")),
                "{e}"
            );
        }
        other => panic!("expected a column error about {column}, got {other:?}"),
    }
}

#[test]
fn missing_columns_are_named() {
    let second = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("date", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    column_error(
        reader().log::<i64>([&good(3), &second]),
        "day",
        None,
        "not in batch 1",
    );
    column_error(
        LogColumns::new("customer", "day", "amount").log::<i64>([&good(3)]),
        "customer",
        None,
        "[id, day, amount]",
    );
    column_error(
        LogColumns::new("id", "day", "spend").log::<i64>([&good(3)]),
        "spend",
        None,
        "batch 0",
    );
}

#[test]
fn wrong_types_are_named() {
    let with = |name: &str, array: ArrayRef| {
        let g = good(2);
        let cols: Vec<(&str, ArrayRef)> = ["id", "day", "amount"]
            .into_iter()
            .map(|c| {
                (
                    c,
                    if c == name {
                        array.clone()
                    } else {
                        g.column_by_name(c).expect("column").clone()
                    },
                )
            })
            .collect();
        batch(cols)
    };
    let b = with(
        "day",
        Arc::new(StringArray::from(vec!["2024-01-01", "2024-01-02"])),
    );
    column_error(reader().log::<i64>([&b]), "day", None, "Arrow type Utf8");
    let b = with("day", Arc::new(Int32Array::from(vec![1, 2])));
    column_error(
        reader().log::<i64>([&b]),
        "day",
        None,
        "Date32, Date64 or Timestamp",
    );
    let b = with("amount", Arc::new(Int64Array::from(vec![1, 2])));
    column_error(
        reader().log::<i64>([&b]),
        "amount",
        None,
        "Float64, Float32 or Decimal128",
    );
    let b = with("id", Arc::new(Float64Array::from(vec![1.0, 2.0])));
    column_error(reader().log::<i64>([&b]), "id", None, "Float64");
}

#[test]
fn mismatched_id_types_are_named() {
    let strings = batch(vec![
        ("id", Arc::new(StringArray::from(vec!["1"])) as ArrayRef),
        ("day", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    column_error(
        reader().log::<i64>([&strings]),
        "id",
        None,
        "i64 ids are read from Int64 or Int32",
    );
    column_error(
        reader().log::<u64>([&strings]),
        "id",
        None,
        "u64 ids are read from UInt64",
    );
    column_error(
        reader().log::<i32>([&good(1)]),
        "id",
        None,
        "Arrow type Int64; i32 ids are read from Int32",
    );
    column_error(
        reader().log::<String>([&good(1)]),
        "id",
        None,
        "String ids are read from Utf8",
    );
    column_error(reader().log::<u64>([&good(1)]), "id", None, "Int64");
    let unsigned = batch(vec![
        ("id", Arc::new(UInt64Array::from(vec![1])) as ArrayRef),
        ("day", Arc::new(Date32Array::from(vec![1]))),
        ("amount", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    column_error(reader().log::<i64>([&unsigned]), "id", None, "UInt64");
    // A mismatch in a later batch only.
    column_error(
        reader().log::<i64>([&good(2), &unsigned]),
        "id",
        None,
        "UInt64",
    );
}

#[test]
fn nulls_are_named_with_their_row() {
    let b = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
        ),
        ("day", Arc::new(Date32Array::from(vec![Some(1), None]))),
        (
            "amount",
            Arc::new(Float64Array::from(vec![None, Some(1.0)])),
        ),
    ]);
    column_error(
        reader().log::<i64>([&good(3), &b]),
        "id",
        Some(4),
        "at row 4: is null",
    );
    let b = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("day", Arc::new(Date32Array::from(vec![Some(1), None]))),
        (
            "amount",
            Arc::new(Float64Array::from(vec![None, Some(1.0)])),
        ),
    ]);
    column_error(
        reader().log::<i64>([&good(3), &b]),
        "day",
        Some(4),
        "is null",
    );
    let b = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        ("day", Arc::new(TimestampSecondArray::from(vec![1, 2]))),
        (
            "amount",
            Arc::new(Float64Array::from(vec![None, Some(1.0)])),
        ),
    ]);
    column_error(reader().log::<String>([&b]), "amount", Some(0), "is null");
}

#[test]
fn days_beyond_day_range_are_named() {
    let with_days = |days: ArrayRef| {
        batch(vec![
            ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("day", days),
            ("amount", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
        ])
    };
    let b = with_days(Arc::new(Date64Array::from(vec![0, i64::MAX])));
    column_error(
        reader().log::<i64>([&good(2), &b]),
        "day",
        Some(3),
        "beyond the days a Day holds",
    );
    let b = with_days(Arc::new(TimestampSecondArray::from(vec![i64::MIN, 0])));
    column_error(reader().log::<i64>([&b]), "day", Some(0), "seconds");
    let b = with_days(Arc::new(
        TimestampMillisecondArray::from(vec![0, i64::MAX]).with_timezone("UTC"),
    ));
    column_error(
        reader().utc_offset_seconds(3600).log::<i64>([&b]),
        "day",
        Some(1),
        "milliseconds",
    );
    // The last day a Day holds, and the extremes of the units that cannot overflow.
    let b = with_days(Arc::new(TimestampSecondArray::from(vec![
        i64::from(i32::MAX) * 86_400,
        i64::from(i32::MIN) * 86_400,
    ])));
    let log: TransactionLog<i64> = reader().log([&b]).expect("in range");
    assert_eq!(log.days(), &[Day(i32::MAX), Day(i32::MIN)]);
    column_error(
        reader().utc_offset_seconds(-1).log::<i64>([&b]),
        "day",
        Some(1),
        "day -2147483649",
    );
    let b = with_days(Arc::new(TimestampNanosecondArray::from(vec![
        i64::MAX,
        i64::MIN,
    ])));
    let log: TransactionLog<i64> = reader()
        .utc_offset_seconds(86_399)
        .log([&b])
        .expect("in range");
    assert_eq!(log.days(), &[Day(106_752), Day(-106_751)]);
}

#[test]
fn bad_amounts_name_the_row_across_batches() {
    let with_amounts = |amounts: ArrayRef| {
        batch(vec![
            ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            ("day", Arc::new(Date32Array::from(vec![1, 2]))),
            ("amount", amounts),
        ])
    };
    let nan = with_amounts(Arc::new(Float64Array::from(vec![1.0, f64::NAN])));
    assert!(matches!(
        reader().log::<i64>([&good(3), &nan]),
        Err(Error::NonFinite {
            field: "amount",
            row: 4,
            ..
        })
    ));
    let inf = with_amounts(Arc::new(Float32Array::from(vec![f32::INFINITY, 1.0])));
    assert!(matches!(
        reader().log::<i64>([&good(3), &inf]),
        Err(Error::NonFinite {
            field: "amount",
            row: 3,
            ..
        })
    ));
    let refund = with_amounts(Arc::new(Float64Array::from(vec![1.0, -2.5])));
    assert!(matches!(
        reader().log::<i64>([&good(3), &refund]),
        Err(Error::Refund {
            row: 4,
            value: -2.5
        })
    ));
    // Accepted under a returns policy.
    let log: TransactionLog<i64> = reader()
        .params(LogParams::new().returns(Returns::Net))
        .log([&good(3), &refund])
        .expect("refunds accepted");
    assert_eq!(log.returns(), Returns::Net);
    assert!(log.amounts().contains(&-2.5));
    let dec = |v: Vec<i128>, p: u8, s: i8| -> ArrayRef {
        Arc::new(
            Decimal128Array::from(v)
                .with_precision_and_scale(p, s)
                .expect("decimal type"),
        )
    };
    let refund = with_amounts(dec(vec![100, -250], 10, 2));
    assert!(matches!(
        reader().log::<i64>([&good(1), &refund]),
        Err(Error::Refund {
            row: 2,
            value: -2.5
        })
    ));
    let huge = with_amounts(dec(vec![100, 200_000_000_000_000], 38, 2));
    assert!(matches!(
        reader().log::<i64>([&good(1), &huge]),
        Err(Error::InvalidValue {
            field: "amount",
            row: 2,
            ..
        })
    ));
    // The largest decimals are finite f64s, refused as amounts above MAX_AMOUNT.
    let beyond = with_amounts(dec(vec![1, i128::MAX], 38, -10));
    assert!(matches!(
        reader().log::<i64>([&good(1), &beyond]),
        Err(Error::InvalidValue { field: "amount", row: 2, value, .. }) if value == "170141183460469231731687303715884105727e10".parse::<f64>().expect("a float")
    ));
}

#[test]
fn bad_offsets_and_empty_input_are_errors() {
    for offset in [86_400, -86_400, i32::MAX] {
        assert!(matches!(
            reader().utc_offset_seconds(offset).log::<i64>([&good(1)]),
            Err(Error::InvalidParameter {
                name: "utc_offset_seconds",
                ..
            })
        ));
    }
    assert!(matches!(
        reader().log::<i64>(std::iter::empty::<&RecordBatch>()),
        Err(Error::Empty {
            field: "transactions"
        })
    ));
    assert!(matches!(
        reader().log::<i64>([&good(0)]),
        Err(Error::Empty { .. })
    ));
    let empty_strings = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(Vec::<String>::new())) as ArrayRef,
        ),
        ("day", Arc::new(Date32Array::from(Vec::<i32>::new()))),
        ("amount", Arc::new(Float64Array::from(Vec::<f64>::new()))),
    ]);
    assert!(matches!(
        reader().log::<String>([&empty_strings, &empty_strings]),
        Err(Error::Empty { .. })
    ));
}

/// A log of string ids from a simulation, and its weekly summary.
fn simulated() -> (TransactionLog<String>, patronage::CustomerSummary) {
    let rows = patronage::simulate::Simulation::new(400)
        .seed(5)
        .transactions()
        .expect("valid");
    let ids: Vec<String> = rows.iter().map(|t| format!("c{}", t.customer)).collect();
    let b = batch(vec![
        ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
        (
            "day",
            Arc::new(Date32Array::from(
                rows.iter().map(|t| t.day.0).collect::<Vec<_>>(),
            )),
        ),
        (
            "amount",
            Arc::new(Float64Array::from(
                rows.iter().map(|t| t.amount).collect::<Vec<_>>(),
            )),
        ),
    ]);
    let log: TransactionLog<String> = reader().log([&b]).expect("valid");
    let summary = log
        .summarize(&SummaryParams::new(Day(500)).time_unit_days(7.0))
        .expect("customers");
    (log, summary)
}

fn f64s<'a>(b: &'a RecordBatch, name: &str) -> &'a [f64] {
    b.column_by_name(name)
        .expect("column")
        .as_primitive::<Float64Type>()
        .values()
}

fn names(b: &RecordBatch) -> Vec<String> {
    b.schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

#[test]
fn summary_batches_hold_the_summary() {
    let (log, summary) = simulated();
    let b = summary_batch(&log, &summary).expect("a table");
    assert_eq!(
        names(&b),
        [
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "orders",
            "total_spend",
            "first_day",
            "last_day"
        ]
    );
    let schema = b.schema();
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    assert_eq!(
        types,
        [
            &DataType::Utf8,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::Float64,
            &DataType::UInt32,
            &DataType::Float64,
            &DataType::Date32,
            &DataType::Date32
        ]
    );
    assert!(schema.fields().iter().all(|f| !f.is_nullable()));
    assert_eq!(
        schema.metadata().get("time_unit_days").map(String::as_str),
        Some("7")
    );
    assert_eq!(
        schema.metadata().get("observation_end").map(String::as_str),
        Some("1971-05-16")
    );
    assert_eq!(b.num_rows(), summary.len());
    let ids = b.column(0).as_string::<i32>();
    for (row, &c) in summary.customer().iter().enumerate() {
        assert_eq!(ids.value(row), log.customer_id(c));
    }
    assert_eq!(f64s(&b, "frequency"), summary.frequency());
    assert_eq!(f64s(&b, "recency"), summary.recency());
    assert_eq!(f64s(&b, "T"), summary.age());
    assert_eq!(f64s(&b, "monetary_value"), summary.monetary_value());
    assert_eq!(
        f64s(&b, "total_spend"),
        summary.total_spend().expect("from a log")
    );
    let orders = b
        .column_by_name("orders")
        .expect("orders")
        .as_primitive::<UInt32Type>();
    assert_eq!(
        orders.values().as_ref(),
        summary.orders().expect("from a log")
    );
    let first = b
        .column_by_name("first_day")
        .expect("first_day")
        .as_primitive::<Date32Type>();
    let want: Vec<i32> = summary
        .first_day()
        .expect("from a log")
        .iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(first.values().as_ref(), want.as_slice());
    let last = b
        .column_by_name("last_day")
        .expect("last_day")
        .as_primitive::<Date32Type>();
    let want: Vec<i32> = summary
        .last_day()
        .expect("from a log")
        .iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(last.values().as_ref(), want.as_slice());

    // A summary from columns (no activity): the four columns, and ids 0.. of the log.
    let cols =
        patronage::CustomerSummary::from_columns(&[1.0, 0.0], &[2.0, 0.0], &[3.0, 3.0], None)
            .expect("valid");
    let ilog =
        TransactionLog::from_columns(&[7u64, 9], &[Day(0), Day(1)], &[1.0, 2.0]).expect("valid");
    let b = summary_batch(&ilog, &cols).expect("a table");
    assert_eq!(
        names(&b),
        ["customer_id", "frequency", "recency", "T", "monetary_value"]
    );
    assert_eq!(
        b.column(0).as_primitive::<UInt64Type>().values().as_ref(),
        &[7, 9]
    );
    assert_eq!(b.schema().metadata().get("observation_end"), None);
}

#[test]
fn id_columns_keep_the_log_id_type() {
    let days = [Day(0), Day(1)];
    let amounts = [1.0, 2.0];
    let customers = [1u32, 0];
    let l32 = TransactionLog::from_columns(&[-4i32, 5], &days, &amounts).expect("valid");
    let b = CustomerTable::new(&l32, &customers)
        .finish()
        .expect("a table");
    assert_eq!(
        b.column(0).as_primitive::<Int32Type>().values().as_ref(),
        &[5, -4]
    );
    let l64 = TransactionLog::from_columns(&[i64::MIN, 5], &days, &amounts).expect("valid");
    let b = CustomerTable::new(&l64, &customers)
        .id_column("who")
        .finish()
        .expect("a table");
    assert_eq!(
        b.column(0).as_primitive::<Int64Type>().values().as_ref(),
        &[5, i64::MIN]
    );
    assert_eq!(names(&b), ["who"]);
    let lu = TransactionLog::from_columns(&[u64::MAX, 5], &days, &amounts).expect("valid");
    let b = CustomerTable::new(&lu, &customers)
        .finish()
        .expect("a table");
    assert_eq!(
        b.column(0).as_primitive::<UInt64Type>().values().as_ref(),
        &[5, u64::MAX]
    );
}

#[test]
fn rfm_batches_hold_scores_and_segments() {
    let (log, summary) = simulated();
    let scores = RfmParams::default()
        .score(&summary, Day(501))
        .expect("scores");
    let map = SegmentMap::classic();
    let b = rfm_batch(&log, &summary, &scores, &map).expect("a table");
    assert_eq!(
        names(&b),
        [
            "customer_id",
            "recency_score",
            "frequency_score",
            "monetary_score",
            "rfm_cell",
            "segment"
        ]
    );
    let u8s = |name: &str| {
        b.column_by_name(name)
            .expect(name)
            .as_primitive::<UInt8Type>()
            .values()
            .to_vec()
    };
    assert_eq!(u8s("recency_score"), scores.recency());
    assert_eq!(u8s("frequency_score"), scores.frequency());
    assert_eq!(u8s("monetary_score"), scores.monetary());
    let cells = b
        .column_by_name("rfm_cell")
        .expect("cells")
        .as_string::<i32>();
    let segments = b
        .column_by_name("segment")
        .expect("segments")
        .as_string::<i32>();
    let assigned = map.assign(&scores);
    for (row, &segment) in assigned.iter().enumerate() {
        assert_eq!(cells.value(row), scores.cell(row));
        assert_eq!(segments.value(row), map.name(segment));
    }
    // Scores of another length.
    let small =
        TransactionLog::from_columns(&[1, 2], &[Day(0), Day(1)], &[1.0, 2.0]).expect("valid");
    let small = small
        .summarize(&SummaryParams::new(Day(2)))
        .expect("customers");
    let other = RfmParams::default().score(&small, Day(3)).expect("scores");
    assert!(matches!(
        rfm_batch(&log, &summary, &other, &map),
        Err(Error::LengthMismatch {
            field: "rfm scores",
            found: 2,
            ..
        })
    ));
}

#[test]
fn model_outputs_round_trip() {
    use patronage::churn::{LogisticRegression, label};
    use patronage::clv::value::lifetime_value;
    use patronage::clv::{BetaGeo, GammaGamma, expected_purchases, probability_alive};
    use patronage::prelude::*;
    use patronage::profile::{Attributes, Feature, Profile};
    use patronage::segment::KMeans;

    let (log, summary) = simulated();
    let bg = BetaGeo::params().fit(&summary).expect("fits");
    let gg = GammaGamma::params().fit(&summary).expect("fits");
    let alive = probability_alive(&bg, &summary).expect("p alive");
    let purchases = expected_purchases(&bg, &summary, patronage::Horizon::days(90.0)).expect("e");
    let clv = lifetime_value(&bg, &gg, &summary, 12, 0.01).expect("clv");
    let (x, _) = Profile::new(&log, &summary)
        .expect("profile")
        .features(&Attributes::for_log(&log), &Feature::rfm())
        .expect("features");
    let clusters = KMeans::params(3).seed(1).fit(x.view()).expect("clusters");
    let b = CustomerTable::for_summary(&log, &summary)
        .with_f64("p_alive", &alive)
        .with_f64("expected_purchases", &purchases)
        .with_f64("clv", &clv)
        .with_label("cluster", clusters.labels())
        .finish()
        .expect("a table");
    assert_eq!(
        names(&b),
        [
            "customer_id",
            "p_alive",
            "expected_purchases",
            "clv",
            "cluster"
        ]
    );
    assert_eq!(f64s(&b, "p_alive"), alive.as_slice());
    assert_eq!(f64s(&b, "expected_purchases"), purchases.as_slice());
    assert_eq!(f64s(&b, "clv"), clv.as_slice());
    let labels = b
        .column_by_name("cluster")
        .expect("cluster")
        .as_primitive::<UInt32Type>();
    let want: Vec<u32> = clusters.labels().iter().map(|&l| l as u32).collect();
    assert_eq!(labels.values().as_ref(), want.as_slice());

    // Churn risk in the churn data's own customer order.
    let data = label(&log, Day(300), patronage::Horizon::days(120.0)).expect("labels");
    let model = LogisticRegression::params()
        .penalty(1e-3)
        .fit(&data)
        .expect("fits");
    let risk = model
        .predict_proba(data.features.view())
        .expect("risk")
        .to_vec();
    let b = CustomerTable::new(&log, &data.customer)
        .with_f64("churn_risk", &risk)
        .with_bool("churned", &data.churned)
        .finish()
        .expect("a table");
    assert_eq!(f64s(&b, "churn_risk"), risk.as_slice());
    let churned = b.column_by_name("churned").expect("churned").as_boolean();
    assert_eq!(
        churned
            .iter()
            .map(|v| v.expect("not null"))
            .collect::<Vec<_>>(),
        data.churned
    );
    let ids = b.column(0).as_string::<i32>();
    for (row, &c) in data.customer.iter().enumerate() {
        assert_eq!(ids.value(row), log.customer_id(c));
    }
}

#[test]
fn customer_table_errors_name_the_column() {
    let (log, summary) = simulated();
    let n = summary.len();
    let t = || CustomerTable::for_summary(&log, &summary);
    column_error(
        t().with_f64("clv", &[1.0]).finish(),
        "clv",
        None,
        &format!("has 1 rows but the table has {n} customers"),
    );
    column_error(
        t().with_u32("orders", &[]).finish(),
        "orders",
        None,
        "has 0 rows",
    );
    column_error(
        t().with_u8("score", &vec![1; n + 1]).finish(),
        "score",
        None,
        "rows",
    );
    column_error(
        t().with_bool("flag", &[true]).finish(),
        "flag",
        None,
        "rows",
    );
    column_error(t().with_str("name", &["a"]).finish(), "name", None, "rows");
    column_error(t().with_day("day", &[Day(0)]).finish(), "day", None, "rows");
    // The first error is kept.
    column_error(
        t().with_f64("a", &[1.0]).with_f64("b", &[]).finish(),
        "a",
        None,
        "rows",
    );
    column_error(
        t().with_f64("x", &vec![0.0; n])
            .with_u32("x", &vec![0; n])
            .finish(),
        "x",
        None,
        "already in the table",
    );
    column_error(
        t().with_f64("customer_id", &vec![0.0; n]).finish(),
        "customer_id",
        None,
        "both the id column",
    );
    column_error(
        t().with_summary(&summary)
            .with_f64("T", &vec![0.0; n])
            .finish(),
        "T",
        None,
        "already",
    );
    if usize::BITS > 32 {
        let mut labels = vec![0usize; n];
        labels[3] = u32::MAX as usize + 1;
        column_error(
            t().with_label("cluster", &labels).finish(),
            "cluster",
            Some(3),
            "does not fit",
        );
    }
    let field = Field::new("p", DataType::Float32, false);
    column_error(
        t().with_column(field, Arc::new(Float64Array::from(vec![0.0; n])))
            .finish(),
        "p",
        None,
        "declares Float32",
    );
    let mut with_null: Vec<Option<bool>> = vec![Some(true); n];
    with_null[2] = None;
    let field = Field::new("flag", DataType::Boolean, false);
    column_error(
        t().with_column(
            field.clone(),
            Arc::new(BooleanArray::from(with_null.clone())),
        )
        .finish(),
        "flag",
        Some(2),
        "not nullable",
    );
    let b = t()
        .with_column(
            field.with_nullable(true),
            Arc::new(BooleanArray::from(with_null)),
        )
        .finish()
        .expect("nullable column");
    assert_eq!(b.column(1).null_count(), 1);

    // Customer indices the log does not have, or rows that are not the summary's.
    let outside = [0u32, log.n_customers() as u32];
    assert!(matches!(
        CustomerTable::new(&log, &outside).finish(),
        Err(Error::InvalidValue {
            field: "customer",
            row: 1,
            ..
        })
    ));
    let reversed: Vec<u32> = summary.customer().iter().rev().copied().collect();
    assert!(matches!(
        CustomerTable::new(&log, &reversed)
            .with_summary(&summary)
            .finish(),
        Err(Error::InvalidValue {
            field: "customer",
            row: 0,
            ..
        })
    ));
    assert!(matches!(
        CustomerTable::new(&log, &reversed[1..])
            .with_summary(&summary)
            .finish(),
        Err(Error::LengthMismatch {
            field: "summary",
            ..
        })
    ));
    // No customers: an empty table.
    let b = CustomerTable::new(&log, &[])
        .with_f64("x", &[])
        .finish()
        .expect("empty table");
    assert_eq!((b.num_rows(), b.num_columns()), (0, 2));
}

#[test]
fn column_errors_read_well() {
    let e = Error::Column {
        column: "day".into(),
        row: Some(17),
        reason: "is null: every row needs a value".into(),
    };
    assert_eq!(
        e.to_string(),
        "column day at row 17: is null: every row needs a value"
    );
    let e = Error::Column {
        column: "day".into(),
        row: None,
        reason: "is not in batch 0".into(),
    };
    assert_eq!(e.to_string(), "column day: is not in batch 0");
}
