//! `TransactionLog::from_columns`: the log of three columns is the log of the same rows
//! as structs, errors included.

use patronage::transactions::LogBuilder;
use patronage::{Day, Error, Transaction, TransactionLog};
use proptest::prelude::*;

/// The columns of rows.
fn columns<C: Clone>(rows: &[Transaction<C>]) -> (Vec<C>, Vec<Day>, Vec<f64>) {
    (
        rows.iter().map(|t| t.customer.clone()).collect(),
        rows.iter().map(|t| t.day).collect(),
        rows.iter().map(|t| t.amount).collect(),
    )
}

fn same<C: std::fmt::Debug + Eq + std::hash::Hash + Clone>(
    a: &TransactionLog<C>,
    b: &TransactionLog<C>,
) {
    assert_eq!(a.customer_ids(), b.customer_ids());
    assert_eq!(a.offsets(), b.offsets());
    assert_eq!(a.days(), b.days());
    assert_eq!(
        a.amounts().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.amounts().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
}

proptest! {
    /// Any rows (ids from a small set so customers repeat and interleave, any order,
    /// amounts including bad ones): `from_columns` gives `new`'s log or `new`'s error.
    #[test]
    fn from_columns_equals_new(
        rows in prop::collection::vec(
            (0u8..20, -50i32..50, prop_oneof![
                8 => 0.0f64..1e4,
                1 => Just(-0.0),
                1 => Just(f64::NAN),
                1 => Just(-1.0),
                1 => Just(2e12),
            ]),
            0..300,
        ),
    ) {
        let rows: Vec<Transaction<u8>> = rows
            .into_iter()
            .map(|(c, d, a)| Transaction { customer: c, day: Day(d), amount: a })
            .collect();
        let (ids, days, amounts) = columns(&rows);
        let built = rows.iter().cloned().collect::<LogBuilder<u8>>().build();
        for other in [TransactionLog::from_columns(&ids, &days, &amounts), built] {
            match (TransactionLog::new(&rows), other) {
                (Ok(a), Ok(b)) => same(&a, &b),
                (Err(a), Err(b)) => prop_assert_eq!(format!("{a:?}"), format!("{b:?}")),
                (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
            }
        }
    }
}

/// Rows longer than a chunk of the scan (4,096), in day order with customers
/// interleaved, String ids: the same log.
#[test]
fn long_interleaved_columns() {
    let rows: Vec<Transaction<String>> = (0..20_000)
        .map(|i| Transaction {
            customer: format!("c{}", (i * 7919) % 1_500),
            day: Day(i / 40),
            amount: f64::from((i * 31) % 97),
        })
        .collect();
    let (ids, days, amounts) = columns(&rows);
    same(
        &TransactionLog::new(&rows).unwrap(),
        &TransactionLog::from_columns(&ids, &days, &amounts).unwrap(),
    );
}

#[test]
fn mismatched_or_empty_columns_are_errors() {
    let ids = [1u32, 2, 3];
    let days = [Day(0), Day(1), Day(2)];
    assert!(matches!(
        TransactionLog::from_columns(&ids, &days[..2], &[1.0, 2.0, 3.0]),
        Err(Error::LengthMismatch {
            field: "days",
            expected: 3,
            found: 2
        })
    ));
    assert!(matches!(
        TransactionLog::from_columns(&ids, &days, &[1.0, 2.0, 3.0, 4.0]),
        Err(Error::LengthMismatch {
            field: "amounts",
            expected: 3,
            found: 4
        })
    ));
    assert!(matches!(
        TransactionLog::<u32>::from_columns(&[], &[], &[]),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        TransactionLog::from_columns(&ids, &days, &[1.0, -2.0, 3.0]),
        Err(Error::Refund { row: 1, .. })
    ));
}
