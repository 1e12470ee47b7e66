//! Logistic regression against statsmodels (unpenalized) and scikit-learn 1.9
//! (L2-penalized) on the Spector & Mazzeo data, metrics against scikit-learn, the label
//! leak test, invariants and error paths (REFERENCE.md "Logistic regression").

use ndarray::{Array1, Array2};
use patronage::churn::metrics::{
    average_precision, brier, calibration_table, confusion, lift_table, log_loss,
    precision_recall_curve, roc_auc, roc_curve, stratified_k_fold,
};
use patronage::churn::{LogisticRegression, label};
use patronage::prelude::*;
use patronage::{Day, Error, Transaction, TransactionLog};

/// The penalty of scikit-learn's `C` on `n` (weighted) rows.
fn penalty_of_c(c: f64, n: f64) -> f64 {
    1.0 / (2.0 * c * n)
}

fn spector() -> (Array2<f64>, Vec<bool>) {
    let text = std::fs::read_to_string("tests/data/spector.csv").unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    let x = Array2::from_shape_fn((rows.len(), 3), |(i, j)| rows[i][j]);
    let y = rows.iter().map(|r| r[3] == 1.0).collect();
    (x, y)
}

fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

#[test]
fn unpenalized_matches_statsmodels() {
    let (x, y) = spector();
    let m = LogisticRegression::params()
        .feature_names(&["GPA", "TUCE", "PSI"])
        .fit((x.view(), &y))
        .unwrap();
    for (got, want) in m.coefficients().iter().zip([2.8261, 0.0952, 2.3787]) {
        assert_close(*got, want, 1e-4, "coefficient");
    }
    assert_close(m.intercept(), -13.0213, 1e-4, "intercept");
    let report = m.report();
    let se = report.standard_errors.as_ref().unwrap();
    for (got, want) in se.iter().zip([1.2629, 0.1416, 1.0646, 4.9313]) {
        assert_close(*got, want, 1e-4, "standard error");
    }
    assert_close(report.log_likelihood, -12.8896, 1e-4, "log-likelihood");
    // statsmodels: AIC 33.78, BIC 39.64 (k = 4, n = 32).
    assert_eq!((report.n_params, report.n_obs), (4, 32.0));
    assert_close(report.aic, 33.779, 1e-3, "AIC");
    assert_close(report.bic, 39.642, 1e-3, "BIC");
    assert!(report.converged && report.iterations > 0);
    let names: Vec<String> = m.parameters().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["GPA", "TUCE", "PSI", "intercept"]);
    let table = m.summary();
    assert_eq!(table[0].name, "GPA");
    assert_eq!(table[3].name, "intercept");
    // statsmodels: GPA z = 2.238, p = 0.025.
    assert_close(table[0].z.unwrap(), 2.238, 1e-3, "z");
    assert_close(table[0].p_value.unwrap(), 0.025, 1e-3, "p-value");
    assert_close(
        table[0].odds_ratio.unwrap(),
        2.8261f64.exp(),
        1e-3,
        "odds ratio",
    );
    assert_eq!(m.odds_ratios().unwrap()[0], table[0].odds_ratio.unwrap());
}

#[test]
fn penalized_matches_scikit_learn() {
    let (x, y) = spector();
    let cases = [
        (
            1.0,
            [1.21008743, 0.13015191, 1.16214448],
            -7.94901205,
            0.87012987,
            0.77943723,
            0.44909823,
            0.14423748,
        ),
        (
            10.0,
            [2.40172057, 0.10126996, 2.07610827],
            -11.61774878,
            0.88311688,
            0.79795646,
            0.40528430,
            0.13011504,
        ),
    ];
    for (c, coef, intercept, auc, ap, ll, br) in cases {
        let m = LogisticRegression::params()
            .penalty(penalty_of_c(c, 32.0))
            .tol(1e-12)
            .fit((x.view(), &y))
            .unwrap();
        for (got, want) in m.coefficients().iter().zip(coef) {
            assert_close(*got, want, 1e-6, "coefficient");
        }
        assert_close(m.intercept(), intercept, 1e-6, "intercept");
        assert!(m.report().standard_errors.is_none());
        let p = m.predict_proba(x.view()).unwrap().to_vec();
        let yv = &y;
        assert_close(roc_auc(yv, &p).unwrap(), auc, 1e-6, "AUC");
        assert_close(average_precision(yv, &p).unwrap(), ap, 1e-6, "AP");
        assert_close(log_loss(yv, &p).unwrap(), ll, 1e-6, "log loss");
        // The report's log-likelihood is the data's, without the penalty.
        let data_ll = -32.0 * log_loss(yv, &p).unwrap();
        assert_close(m.report().log_likelihood, data_ll, 1e-9, "log-likelihood");
        assert_close(brier(yv, &p).unwrap(), br, 1e-6, "Brier");
    }
}

#[test]
fn weights_balanced_and_no_intercept() {
    let (x, y) = spector();
    // Integer sample weights equal repeated rows.
    let w = Array1::from_iter((0..32).map(|i| (i % 3 + 1) as f64));
    // C = 1 on the 63 weighted rows.
    let weighted = LogisticRegression::params()
        .penalty(penalty_of_c(1.0, 63.0))
        .fit((x.view(), &y, w.as_slice().unwrap()))
        .unwrap();
    assert_eq!(weighted.report().n_obs, 63.0);
    let mut rows = Vec::new();
    let mut ys = Vec::new();
    for (i, &label) in y.iter().enumerate() {
        for _ in 0..(i % 3 + 1) {
            rows.push(x.row(i).to_vec());
            ys.push(label);
        }
    }
    let xr = Array2::from_shape_fn((rows.len(), 3), |(i, j)| rows[i][j]);
    let repeated = LogisticRegression::params()
        .penalty(penalty_of_c(1.0, 63.0))
        .fit((xr.view(), &ys))
        .unwrap();
    for (a, b) in weighted.coefficients().iter().zip(repeated.coefficients()) {
        assert_close(*a, *b, 1e-8, "weighted = repeated");
    }
    let bal = LogisticRegression::params()
        .penalty(penalty_of_c(1.0, 32.0))
        .balanced(true)
        .fit((x.view(), &y))
        .unwrap();
    assert!(bal.intercept() > weighted.intercept() - 10.0);
    let no_int = LogisticRegression::params()
        .fit_intercept(false)
        .penalty(penalty_of_c(1.0, 32.0))
        .fit((x.view(), &y))
        .unwrap();
    assert_eq!(no_int.intercept(), 0.0);
    assert_eq!(no_int.summary().len(), 3);
    assert_eq!(no_int.report().n_params, 3);
    assert_eq!(no_int.parameter_names(), ["x0", "x1", "x2"]);
}

#[test]
fn metrics_with_ties_match_scikit_learn() {
    let y = [
        false, false, true, true, false, true, true, false, true, false,
    ];
    let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.65, 0.65];
    assert_close(roc_auc(&y, &s).unwrap(), 0.78, 1e-12, "AUC");
    assert_close(average_precision(&y, &s).unwrap(), 0.789285714, 1e-9, "AP");
    let roc = roc_curve(&y, &s).unwrap();
    assert_eq!((roc.x[0], roc.y[0]), (0.0, 0.0));
    assert_eq!((*roc.x.last().unwrap(), *roc.y.last().unwrap()), (1.0, 1.0));
    let pr = precision_recall_curve(&y, &s).unwrap();
    assert_eq!(*pr.x.last().unwrap(), 1.0);
    let c = confusion(&y, &s, 0.5).unwrap();
    assert_eq!(
        (
            c.true_positives,
            c.false_positives,
            c.true_negatives,
            c.false_negatives
        ),
        (3, 1, 4, 2)
    );
    assert_close(c.precision, 0.75, 1e-12, "precision");
    assert_close(c.recall, 0.6, 1e-12, "recall");
    assert_close(c.f1, 2.0 * 0.75 * 0.6 / 1.35, 1e-12, "F1");
    assert_close(c.accuracy, 0.7, 1e-12, "accuracy");
}

#[test]
fn ranking_invariants() {
    let y: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
    let perfect: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v)) + 0.5).collect();
    let reversed: Vec<f64> = y.iter().map(|&v| -f64::from(u8::from(v))).collect();
    assert_eq!(roc_auc(&y, &perfect).unwrap(), 1.0);
    assert_eq!(roc_auc(&y, &reversed).unwrap(), 0.0);
    assert_eq!(roc_auc(&y, &vec![0.3; 100]).unwrap(), 0.5);
    let lift = lift_table(&y, &perfect, 10).unwrap();
    assert_close(
        lift.last().unwrap().cumulative_gain,
        1.0,
        1e-12,
        "gains end at 100%",
    );
    // 34 positives in 100 rows: the top decile is all positive, lift 1 / 0.34.
    assert_close(lift[0].lift, 1.0 / 0.34, 1e-12, "top decile lift");
    let cal = calibration_table(&y, &vec![0.34; 100], 10).unwrap();
    assert_eq!(cal.len(), 1);
    assert_close(cal[0].observed_rate, 0.34, 1e-12, "observed rate");
    let folds = stratified_k_fold(&y, 5, 1).unwrap();
    let mut all: Vec<usize> = folds.concat();
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
    assert!(
        folds
            .iter()
            .all(|f| (6..=7).contains(&f.iter().filter(|&&i| y[i]).count()))
    );
    assert_eq!(stratified_k_fold(&y, 5, 1).unwrap(), folds, "seeded");
}

fn cdnow_like() -> Vec<Transaction<u32>> {
    patronage::simulate::Simulation::new(3_000)
        .seed(5)
        .transactions()
        .unwrap()
        .into_iter()
        .map(|t| Transaction {
            customer: t.customer as u32,
            day: t.day,
            amount: t.amount,
        })
        .collect()
}

#[test]
fn labels_do_not_leak_future_data() {
    let rows = cdnow_like();
    let cutoff = Day(400);
    let base = label(
        &TransactionLog::new(&rows).unwrap(),
        cutoff,
        patronage::Horizon::days(120.0),
    )
    .unwrap();
    // Change every purchase after the cutoff (amounts, days) and add new ones: features
    // must not move; labels may.
    let mut future: Vec<Transaction<u32>> = rows
        .iter()
        .map(|t| {
            if t.day > cutoff {
                Transaction {
                    customer: t.customer,
                    day: t.day + 3,
                    amount: t.amount * 2.0 + 1.0,
                }
            } else {
                t.clone()
            }
        })
        .collect();
    future.extend((0..500u32).map(|c| Transaction {
        customer: c,
        day: Day(450),
        amount: 99.0,
    }));
    let changed = label(
        &TransactionLog::new(&future).unwrap(),
        cutoff,
        patronage::Horizon::days(120.0),
    )
    .unwrap();
    assert_eq!(base.customer, changed.customer);
    assert_eq!(base.features, changed.features);
    assert_ne!(base.churned, changed.churned);
    // Labels by hand for a few customers.
    let log = TransactionLog::new(&rows).unwrap();
    for (row, &c) in base.customer.iter().enumerate().take(50) {
        let bought = log
            .customer_rows(c)
            .0
            .iter()
            .any(|&d| d > cutoff && d <= cutoff + 120);
        assert_eq!(base.churned[row], !bought);
        assert!(log.customer_rows(c).0[0] <= cutoff);
    }
}

#[test]
fn error_paths() {
    let (x, y) = spector();
    let p = LogisticRegression::params();
    assert!(matches!(
        p.fit((Array2::<f64>::zeros((0, 3)).view(), &[] as &[bool])),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        p.fit((x.view(), &[false; 5])),
        Err(Error::LengthMismatch { field: "y", .. })
    ));
    assert!(matches!(
        p.fit((x.view(), &[false; 32])),
        Err(Error::InsufficientData { .. })
    ));
    let mut bad_x = x.clone();
    bad_x[[3, 1]] = f64::NAN;
    let before = bad_x.clone();
    assert!(matches!(
        p.fit((bad_x.view(), &y)),
        Err(Error::NonFinite {
            field: "x",
            row: 3,
            ..
        })
    ));
    assert_eq!(format!("{before:?}"), format!("{bad_x:?}"));
    let w = vec![-1.0; 32];
    assert!(matches!(
        p.fit((x.view(), &y, &w)),
        Err(Error::Negative {
            field: "sample_weight",
            ..
        })
    ));
    assert!(matches!(
        p.fit((x.view(), &y, &w[..5])),
        Err(Error::LengthMismatch {
            field: "sample_weight",
            ..
        })
    ));
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            p.clone().penalty(bad).fit((x.view(), &y)),
            Err(Error::InvalidParameter {
                name: "penalty",
                ..
            })
        ));
    }
    assert!(matches!(
        p.clone().tol(0.0).fit((x.view(), &y)),
        Err(Error::InvalidParameter { name: "tol", .. })
    ));
    assert!(matches!(
        p.clone().max_iter(0).fit((x.view(), &y)),
        Err(Error::InvalidParameter {
            name: "max_iter",
            ..
        })
    ));
    assert!(matches!(
        p.clone().feature_names(&["a"]).fit((x.view(), &y)),
        Err(Error::LengthMismatch {
            field: "feature_names",
            ..
        })
    ));
    // Complete separation without a penalty.
    let xs = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
    let ys = [false, false, true, true];
    assert!(matches!(
        p.fit((xs.view(), &ys)),
        Err(Error::InsufficientData { .. })
    ));
    assert!(
        matches!(p.clone().max_iter(1).fit((x.view(), &y)), Err(Error::NotConverged { ref last_iterate, .. }) if last_iterate.len() == 4)
    );
    let m = p.fit((x.view(), &y)).unwrap();
    assert!(matches!(
        m.predict(x.view(), 1.5),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        m.predict_proba(Array2::<f64>::zeros((2, 2)).view()),
        Err(Error::LengthMismatch { .. })
    ));
    // A NaN or infinite feature is reported by row (the first one), whatever its
    // coefficient; huge but finite features are not errors.
    let mut bad = x.clone();
    bad[[5, 2]] = f64::INFINITY;
    bad[[3, 0]] = f64::NAN;
    assert!(matches!(
        m.predict_proba(bad.view()),
        Err(Error::NonFinite {
            field: "x",
            row: 3,
            ..
        })
    ));
    assert!(matches!(
        m.decision_function(bad.row(5).insert_axis(ndarray::Axis(0))),
        Err(Error::NonFinite { row: 0, .. })
    ));
    let mut huge = x.clone();
    huge.row_mut(0).fill(1e308);
    assert!(m.predict_proba(huge.view()).is_ok());
    assert!(matches!(
        roc_auc(&[true, true], &[0.1, 0.2]),
        Err(Error::InsufficientData { .. })
    ));
    assert!(matches!(
        roc_auc(&[true, false], &[0.1, f64::NAN]),
        Err(Error::NonFinite { row: 1, .. })
    ));
    assert!(matches!(
        log_loss(&[true, false], &[0.1, 1.2]),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        lift_table(&[true, false], &[0.1, 0.2], 3),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        stratified_k_fold(&[true, false, false], 2, 0),
        Err(Error::InvalidParameter { .. })
    ));
    let log = TransactionLog::new(&cdnow_like()).unwrap();
    assert!(matches!(
        label(&log, Day(400), patronage::Horizon::days(0.0)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        label(&log, Day(-5), patronage::Horizon::days(10.0)),
        Err(Error::Empty { .. })
    ));
    for bad in [f64::NAN, f64::INFINITY, 0.5] {
        assert!(matches!(
            label(&log, Day(400), patronage::Horizon::days(bad)),
            Err(Error::InvalidParameter {
                name: "horizon",
                ..
            })
        ));
    }
    // A horizon in months: days 1..=182 after the cutoff.
    let months = label(&log, Day(400), patronage::Horizon::months(6.0)).unwrap();
    let days = label(&log, Day(400), patronage::Horizon::days(182.0)).unwrap();
    assert_eq!(months.churned, days.churned);
}
