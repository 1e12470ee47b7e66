//! Shared test data: simulated purchases as a partitioned DataFusion table.
#![allow(dead_code)]

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use patronage::Transaction;

/// Simulated purchases of `n` customers, rows shuffled.
pub fn purchases(n: usize, seed: u64) -> Vec<Transaction<u64>> {
    patronage::simulate::Simulation::new(n)
        .seed(seed)
        .row_order(patronage::simulate::RowOrder::Shuffled)
        .transactions()
        .expect("simulated rows")
}

/// The rows as `partitions` partitions of batches of at most `batch` rows, with
/// columns customer (Int64), day (Date32 or Int32) and amount (Float64).
pub fn table(rows: &[Transaction<u64>], partitions: usize, batch: usize, date32: bool) -> MemTable {
    let day_type = if date32 {
        DataType::Date32
    } else {
        DataType::Int32
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer", DataType::Int64, false),
        Field::new("day", day_type, true),
        Field::new("amount", DataType::Float64, true),
    ]));
    let per = rows.len().div_ceil(partitions).max(1);
    let parts: Vec<Vec<RecordBatch>> = rows
        .chunks(per)
        .map(|part| {
            part.chunks(batch)
                .map(|b| {
                    let customer: ArrayRef = Arc::new(Int64Array::from_iter_values(
                        b.iter().map(|t| t.customer as i64),
                    ));
                    let days = b.iter().map(|t| t.day.0);
                    let day: ArrayRef = if date32 {
                        Arc::new(Date32Array::from_iter_values(days))
                    } else {
                        Arc::new(Int32Array::from_iter_values(days))
                    };
                    let amount: ArrayRef =
                        Arc::new(Float64Array::from_iter_values(b.iter().map(|t| t.amount)));
                    RecordBatch::try_new(schema.clone(), vec![customer, day, amount])
                        .expect("batch")
                })
                .collect()
        })
        .collect();
    MemTable::try_new(schema, parts).expect("table")
}

/// A session with `target_partitions` partitions.
pub fn session(target_partitions: usize) -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(target_partitions))
}
