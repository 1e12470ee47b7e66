//! Arrow benches (feature `arrow`) on the "synthetic-1M" workload in day order, as an
//! event log or an order table is written: a log (and its summary) read from one
//! `RecordBatch` against `TransactionLog::from_columns` on the same columns, and the
//! summary written back as a batch.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::arrow::arrow_array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt64Array,
};
use patronage::arrow::{LogColumns, summary_batch};
use patronage::simulate::Simulation;
use patronage::{Day, SummaryParams, TransactionLog};

fn arrow(c: &mut Criterion) {
    let mut rows = Simulation::synthetic_1m()
        .transactions()
        .expect("valid workload");
    rows.sort_by_key(|t| t.day);
    let params = SummaryParams::new(Day(728)).time_unit_days(7.0);
    let ids: Vec<u64> = rows.iter().map(|t| t.customer).collect();
    let days: Vec<Day> = rows.iter().map(|t| t.day).collect();
    let amounts: Vec<f64> = rows.iter().map(|t| t.amount).collect();
    let strings: Vec<String> = ids.iter().map(|c| format!("customer-{c}")).collect();
    drop(rows);
    let table = |id: ArrayRef, day: ArrayRef, amount: ArrayRef| {
        RecordBatch::try_from_iter([("customer_id", id), ("day", day), ("amount", amount)])
            .expect("columns of one length")
    };
    let date32: ArrayRef = Arc::new(Date32Array::from_iter_values(days.iter().map(|d| d.0)));
    let float64: ArrayRef = Arc::new(Float64Array::from(amounts.clone()));
    let batch = table(
        Arc::new(UInt64Array::from(ids.clone())),
        date32.clone(),
        float64.clone(),
    );
    let utf8 = table(
        Arc::new(StringArray::from_iter_values(&strings)),
        date32,
        float64,
    );
    // Timestamps (microseconds, noon UTC) and amounts in cents: both converted.
    let converted = table(
        Arc::new(UInt64Array::from(ids.clone())),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            days.iter()
                .map(|d| i64::from(d.0) * 86_400_000_000 + 43_200_000_000),
        )),
        Arc::new(
            Decimal128Array::from_iter_values(amounts.iter().map(|a| (a * 100.0).round() as i128))
                .with_precision_and_scale(18, 2)
                .expect("valid decimal type"),
        ),
    );
    let reader = LogColumns::new("customer_id", "day", "amount");

    let mut g = c.benchmark_group("synthetic-1M day order");
    g.sample_size(10);
    g.bench_function("from_columns (u64)", |b| {
        b.iter(|| TransactionLog::from_columns(black_box(&ids), &days, &amounts))
    });
    g.bench_function("arrow log (UInt64, Date32, Float64)", |b| {
        b.iter(|| reader.log::<u64>([black_box(&batch)]))
    });
    g.bench_function("from_columns + summarize (u64)", |b| {
        b.iter(|| {
            TransactionLog::from_columns(black_box(&ids), &days, &amounts)
                .and_then(|log| log.summarize(&params))
        })
    });
    g.bench_function("arrow log + summarize (UInt64, Date32, Float64)", |b| {
        b.iter(|| {
            reader
                .log::<u64>([black_box(&batch)])
                .and_then(|log| log.summarize(&params))
        })
    });
    g.bench_function(
        "arrow log + summarize (UInt64, Timestamp us, Decimal128)",
        |b| {
            b.iter(|| {
                reader
                    .log::<u64>([black_box(&converted)])
                    .and_then(|log| log.summarize(&params))
            })
        },
    );
    g.bench_function("from_columns + summarize (String)", |b| {
        b.iter(|| {
            TransactionLog::from_columns(black_box(&strings), &days, &amounts)
                .and_then(|log| log.summarize(&params))
        })
    });
    g.bench_function("arrow log + summarize (Utf8, Date32, Float64)", |b| {
        b.iter(|| {
            reader
                .log::<String>([black_box(&utf8)])
                .and_then(|log| log.summarize(&params))
        })
    });
    let log = reader.log::<u64>([&batch]).expect("valid batch");
    let summary = log.summarize(&params).expect("customers");
    g.bench_function("summary_batch (UInt64 ids)", |b| {
        b.iter(|| summary_batch(black_box(&log), &summary))
    });
    g.finish();
}

criterion_group!(benches, arrow);
criterion_main!(benches);
