//! The data of the standard CLV plots: the frequency/recency matrix (the tables the
//! other plots draw are tested with the diagnostics in tests/clv.rs).

use patronage::Error;
use patronage::clv::diagnostics::{MAX_MATRIX_CELLS, MatrixValue, frequency_recency_matrix};
use patronage::clv::{BetaGeo, BetaGeoBetaBinom, ParetoNbd, PurchaseModel};

#[test]
fn matrix_cells_are_the_model_predictions() {
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    let pn = ParetoNbd::from_params(0.553, 10.58, 0.606, 11.67).unwrap();
    for value in [
        MatrixValue::ProbabilityAlive,
        MatrixValue::ExpectedPurchases(4.0),
    ] {
        let m = frequency_recency_matrix(&bg, value, 12, 39.0, 13).unwrap();
        assert_eq!((m.frequency.len(), m.recency.len()), (13, 14));
        assert_eq!((m.recency[0], m.recency[13]), (0.0, 39.0));
        for (i, row) in m.cells.iter().enumerate() {
            for (j, cell) in row.iter().enumerate() {
                let (x, tx) = (m.frequency[i], m.recency[j]);
                let want = match value {
                    MatrixValue::ProbabilityAlive => bg.probability_alive(x, tx, 39.0),
                    MatrixValue::ExpectedPurchases(t) => {
                        bg.conditional_expected_purchases(t, x, tx, 39.0)
                    }
                };
                match (cell, want) {
                    (Some(v), Ok(w)) => assert_eq!(v.to_bits(), w.to_bits()),
                    (None, Err(_)) => assert!(x > 0.0 && tx == 0.0),
                    other => panic!("cell ({i}, {j}): {other:?}"),
                }
            }
        }
        assert!(frequency_recency_matrix(&pn, value, 5, 39.0, 39).is_ok());
    }
    // BG/BB counts whole periods: cells off the integer grid are None.
    let bb = BetaGeoBetaBinom::from_params(1.204, 0.750, 0.657, 2.783).unwrap();
    let m = frequency_recency_matrix(&bb, MatrixValue::ProbabilityAlive, 6, 6.0, 6).unwrap();
    assert!(m.cells[3][3].is_some() && m.cells[7 - 1][6].is_some());
    let half = frequency_recency_matrix(&bb, MatrixValue::ProbabilityAlive, 2, 6.0, 12).unwrap();
    assert!(half.cells[1][1].is_none() && half.cells[1][2].is_some());
}

#[test]
fn matrix_arguments_out_of_range_are_errors() {
    let bg = BetaGeo::from_params(0.243, 4.414, 0.793, 2.426).unwrap();
    let p = MatrixValue::ProbabilityAlive;
    for age in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            frequency_recency_matrix(&bg, p, 5, age, 10),
            Err(Error::InvalidParameter { name: "age", .. })
        ));
    }
    assert!(frequency_recency_matrix(&bg, p, 5, 10.0, 0).is_err());
    assert!(frequency_recency_matrix(&bg, p, 5, 10.0, usize::MAX).is_err());
    assert!(matches!(
        frequency_recency_matrix(&bg, p, u32::MAX, 10.0, 10),
        Err(Error::InvalidParameter {
            name: "max_frequency",
            ..
        })
    ));
    assert!(frequency_recency_matrix(&bg, p, 999, 10.0, MAX_MATRIX_CELLS / 1000 - 1).is_ok());
    for t in [-1.0, f64::NAN] {
        assert!(
            frequency_recency_matrix(&bg, MatrixValue::ExpectedPurchases(t), 5, 10.0, 10).is_err()
        );
    }
}
