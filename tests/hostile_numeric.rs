//! Issue 15, numeric class: large finite values (1e150 to 1e308) and tiny ones in
//! standardizing, k-means, cluster quality, logistic regression, churn metrics and ETS
//! forecasts. Each entry point gives the finite answer (checked against the same
//! computation on rescaled data where the answer is scale-invariant) or a typed error
//! naming the field and row; never inf or NaN.

use ndarray::{Array2, array};
use patronage::Error;
use patronage::prelude::*;
use patronage::segment::quality::{calinski_harabasz, davies_bouldin, silhouette};
use patronage::segment::scale::Standardizer;
use patronage::segment::{Algorithm, Init, KMeans};

fn all_finite<'a>(v: impl IntoIterator<Item = &'a f64>) -> bool {
    v.into_iter().all(|x| x.is_finite())
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Two tight groups on each axis (20 points, 2 columns), values about 1.
fn two_groups() -> Array2<f64> {
    Array2::from_shape_fn((20, 2), |(i, j)| {
        let centre = if i < 10 { 0.0 } else { 1.0 };
        centre + 0.01 * ((i * 7 + j * 3) % 10) as f64
    })
}

// ---- Standardizer -------------------------------------------------------------

#[test]
fn standardizer_fit_on_values_near_the_limit_is_finite_and_scale_equivariant() {
    // Sums overflow (1e308 + 1e308) and squared deviations overflow.
    let x = array![[1e308, 1.0], [-1e308, 2.0], [1e308, 3.0], [-1e308, 4.0]];
    let s = Standardizer::fit(x.view()).unwrap();
    assert!(all_finite(s.means()) && all_finite(s.scales()), "{s:?}");
    assert_eq!(s.means()[0], 0.0);
    assert!(close(s.scales()[0], 1e308, 1e-12), "{:?}", s.scales());
    let z = s.transform(x.view()).unwrap();
    assert!(all_finite(z.iter()), "{z:?}");
    assert!(close(z[[0, 0]], 1.0, 1e-12) && close(z[[1, 0]], -1.0, 1e-12));
    let back = s.inverse_transform(z.view()).unwrap();
    assert!(close(back[[0, 0]], 1e308, 1e-12), "{back:?}");

    // Same-sign values whose sum overflows: the mean is still the mean.
    let big = array![[1.5e308], [1.7e308], [1.6e308]];
    let s = Standardizer::fit(big.view()).unwrap();
    assert!(close(s.means()[0], 1.6e308, 1e-12), "{s:?}");
    let small = big.mapv(|v| v * 1e-300);
    let t = Standardizer::fit(small.view()).unwrap();
    assert!(
        close(s.scales()[0] * 1e-300, t.scales()[0], 1e-9),
        "{s:?} {t:?}"
    );
}

#[test]
fn standardizer_fit_on_tiny_spreads_is_not_a_constant_column() {
    // Squared deviations of 1e-170 underflow to 0: the column is not constant.
    let x = array![[1e-170], [3e-170]];
    let s = Standardizer::fit(x.view()).unwrap();
    assert!(close(s.scales()[0], 1e-170, 1e-12), "{s:?}");
    let z = s.transform(x.view()).unwrap();
    assert!(
        close(z[[0, 0]], -1.0, 1e-12) && close(z[[1, 0]], 1.0, 1e-12),
        "{z:?}"
    );
}

#[test]
fn standardizer_transform_overflow_is_an_error_naming_the_row() {
    let x = array![[0.0], [2e-300]];
    let s = Standardizer::fit(x.view()).unwrap();
    // Row 1 is (0.5 - 1e-300) / 1e-300 = 5e299; row 2 is 1e608.
    let new = array![[1e-300], [0.5], [1e308]];
    match s.transform(new.view()) {
        Err(Error::InvalidValue { field, row, .. }) => assert_eq!((field, row), ("x", 2)),
        other => panic!("expected InvalidValue for row 2, got {other:?}"),
    }
    // Finite though x - mean overflows: (1e308 - (-1e308)) / 1e308 = 2.
    let wide = array![[1e308], [-1e308]];
    let s = Standardizer::fit(wide.view()).unwrap();
    let z = s.transform(array![[1e308], [-1e308]].view()).unwrap();
    assert!(close(z[[0, 0]], 1.0, 1e-12), "{z:?}");
    let far = s.transform(array![[1.7e308]].view()).unwrap();
    assert!(far.iter().all(|v| v.is_finite()));
    // inverse: z * scale overflows but z * scale + mean does not.
    let back = s.inverse_transform(array![[1.5]].view()).unwrap();
    assert!(close(back[[0, 0]], 1.5e308, 1e-12), "{back:?}");
    match s.inverse_transform(array![[0.0], [3.0]].view()) {
        Err(Error::InvalidValue { field, row, .. }) => assert_eq!((field, row), ("z", 1)),
        other => panic!("expected InvalidValue for row 1, got {other:?}"),
    }
}

// ---- k-means -------------------------------------------------------------------

fn fit_all_ways(x: &Array2<f64>) -> Vec<patronage::segment::FittedKMeans> {
    let init = array![[x[[0, 0]], x[[0, 1]]], [x[[19, 0]], x[[19, 1]]]];
    let mut out = Vec::new();
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
        for tol in [0.0, 1e-4] {
            out.push(
                KMeans::params(2)
                    .seed(3)
                    .tol(tol)
                    .algorithm(algorithm)
                    .fit(x.view())
                    .unwrap(),
            );
            out.push(
                KMeans::params(2)
                    .init(Init::Given(init.clone()))
                    .tol(tol)
                    .algorithm(algorithm)
                    .fit(x.view())
                    .unwrap(),
            );
            out.push(
                KMeans::params(2)
                    .init(Init::Random)
                    .seed(5)
                    .tol(tol)
                    .algorithm(algorithm)
                    .fit(x.view())
                    .unwrap(),
            );
        }
    }
    out
}

#[test]
fn kmeans_labels_are_scale_invariant_for_huge_and_tiny_data() {
    let x = two_groups();
    let base = fit_all_ways(&x);
    for factor in [1e150, 1e152, -1e150, 1e-150, 1e-300] {
        let scaled = x.mapv(|v| v * factor);
        for (b, f) in base.iter().zip(fit_all_ways(&scaled)) {
            assert_eq!(b.labels(), f.labels(), "factor {factor}");
            assert!(f.inertia().is_finite(), "factor {factor}: {}", f.inertia());
            assert!(
                close(f.inertia(), b.inertia() * factor * factor, 1e-9)
                    || (b.inertia() * factor * factor).abs() < 1e-300,
                "factor {factor}: {} vs {}",
                f.inertia(),
                b.inertia() * factor * factor
            );
            assert!(all_finite(f.centroids().iter()));
            assert_eq!(f.predict(scaled.view()).unwrap(), b.labels());
            let t = f.transform(scaled.view()).unwrap();
            let tb = b.transform(x.view()).unwrap();
            for (a, e) in t.iter().zip(tb.iter()) {
                assert!(close(*a, e * factor.abs(), 1e-9), "{a} vs {}", e * factor);
            }
        }
    }
}

#[test]
fn kmeans_on_values_near_the_limit_separates_the_groups() {
    // Groups at +-1e308 (differences overflow), with small spreads inside.
    let x = Array2::from_shape_fn((20, 2), |(i, j)| {
        let sign = if i < 10 { -1.0 } else { 1.0 };
        sign * 1e308 + (((i * 7 + j * 3) % 10) as f64) * 1e300
    });
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
        let fit = KMeans::params(2).seed(1).algorithm(algorithm).fit(x.view());
        // The inertia (~ 1e601) is beyond f64: a typed error naming x.
        match fit {
            Err(Error::InvalidValue { field: "x", .. }) => {}
            other => panic!("expected InvalidValue on x, got {other:?}"),
        }
    }
    // Same positions, tighter groups: the inertia is finite and the groups separate.
    let x = Array2::from_shape_fn((20, 2), |(i, j)| {
        let sign = if i < 10 { -1.0 } else { 1.0 };
        sign * 1e308 + (((i * 7 + j * 3) % 10) as f64) * 1e140
    });
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly] {
        let fit = KMeans::params(2)
            .seed(1)
            .tol(0.0)
            .algorithm(algorithm)
            .fit(x.view())
            .unwrap();
        assert!(fit.inertia().is_finite());
        assert!(fit.labels()[..10].iter().all(|&l| l == fit.labels()[0]));
        assert!(fit.labels()[10..].iter().all(|&l| l != fit.labels()[0]));
        assert_eq!(fit.predict(x.view()).unwrap(), fit.labels());
        // The distance from -1e308 to the +1e308 centroid is beyond f64.
        match fit.transform(x.view()) {
            Err(Error::InvalidValue {
                field: "x", row: 0, ..
            }) => {}
            other => panic!("expected InvalidValue on row 0, got {other:?}"),
        }
    }
}

#[test]
fn kmeans_predict_on_huge_new_points_picks_the_nearest_centroid() {
    let fit = KMeans::params(2)
        .init(Init::Given(array![[-1e200, 0.0], [1e200, 0.0]]))
        .fit(array![[-1e200, 0.0], [-1e200, 1.0], [1e200, 0.0], [1e200, 1.0]].view())
        .unwrap();
    // Squared distances of 1e400 overflow for both centroids.
    let p = fit
        .predict(array![[2e200, 0.0], [-3e200, 5.0], [1e199, 0.0]].view())
        .unwrap();
    let right = fit.predict(array![[1e200, 0.0]].view()).unwrap()[0];
    assert_eq!(p, vec![right, 1 - right, right]);
}

// ---- cluster quality -------------------------------------------------------------

#[test]
fn cluster_quality_is_scale_invariant_for_huge_and_tiny_data() {
    let x = two_groups();
    let labels: Vec<usize> = (0..20).map(|i| usize::from(i >= 10)).collect();
    let (s0, db0, ch0) = (
        silhouette(x.view(), &labels).unwrap(),
        davies_bouldin(x.view(), &labels).unwrap(),
        calinski_harabasz(x.view(), &labels).unwrap(),
    );
    for factor in [1e160, 1e300, -1e305, 1e-160, 1e-300] {
        let scaled = x.mapv(|v| v * factor);
        let s = silhouette(scaled.view(), &labels).unwrap();
        let db = davies_bouldin(scaled.view(), &labels).unwrap();
        let ch = calinski_harabasz(scaled.view(), &labels).unwrap();
        assert!(
            close(s, s0, 1e-9),
            "factor {factor}: silhouette {s} vs {s0}"
        );
        assert!(close(db, db0, 1e-9), "factor {factor}: DB {db} vs {db0}");
        assert!(close(ch, ch0, 1e-9), "factor {factor}: CH {ch} vs {ch0}");
    }
    // Values near the limit: +-1e308 groups.
    let wide = x.mapv(|v| (v - 0.5) * 1.7e308);
    assert!(close(silhouette(wide.view(), &labels).unwrap(), s0, 1e-9));
}

// ---- logistic regression ---------------------------------------------------------

use ndarray::Array1;
use patronage::churn::LogisticRegression;

/// 300 rows, two features in about -0.1..0.1, labels drawn from log-odds
/// 0.3 + 20 x0 - 12 x1 with a fixed generator (not separable).
fn churn_data() -> (Array2<f64>, Array1<f64>) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Array2::from_shape_fn((300, 2), |_| 0.2 * uniform() - 0.1);
    let y = Array1::from_shape_fn(300, |i| {
        let z = 0.3 + 20.0 * x[[i, 0]] - 12.0 * x[[i, 1]];
        f64::from(uniform() < 1.0 / (1.0 + (-z).exp()))
    });
    (x, y)
}

#[test]
fn logistic_fit_on_huge_features_matches_the_fit_on_the_data() {
    let (x, y) = churn_data();
    let base = LogisticRegression::params()
        .fit(x.view(), y.view())
        .unwrap();
    let p0 = base.predict_proba(x.view()).unwrap();
    for factor in [1e150, 1e300, -1e306] {
        let big = x.mapv(|v| v * factor);
        let fit = LogisticRegression::params()
            .fit(big.view(), y.view())
            .unwrap();
        for (a, b) in fit.coefficients().iter().zip(base.coefficients()) {
            assert!(close(a * factor, *b, 1e-6), "factor {factor}: {a} vs {b}");
        }
        assert!(close(fit.intercept(), base.intercept(), 1e-6));
        let se = fit.standard_errors().unwrap();
        let se0 = base.standard_errors().unwrap();
        assert!(close(se[0] * factor.abs(), se0[0], 1e-6), "{se:?} {se0:?}");
        assert!(close(se[2], se0[2], 1e-6));
        assert!(close(fit.log_likelihood(), base.log_likelihood(), 1e-9));
        let p = fit.predict_proba(big.view()).unwrap();
        for (a, b) in p.iter().zip(&p0) {
            assert!((a - b).abs() < 1e-9, "factor {factor}: {a} vs {b}");
        }
        // With a penalty the scaled data make it negligible: nearly the plain fit.
        let pen = LogisticRegression::params()
            .penalty(1.0)
            .fit(big.view(), y.view())
            .unwrap();
        let p = pen.predict_proba(big.view()).unwrap();
        for (a, b) in p.iter().zip(&p0) {
            assert!(
                (a - b).abs() < 1e-6,
                "penalized, factor {factor}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn logistic_predictions_on_huge_rows_saturate_or_name_the_row() {
    let (x, y) = churn_data();
    let fit = LogisticRegression::params()
        .fit(x.view(), y.view())
        .unwrap();
    let b = fit.coefficients();
    assert!(
        b[0].abs() > 1.0 && b[1].abs() > 1.0 && b[0].abs() > b[1].abs(),
        "{b:?}"
    );
    // Both terms overflow with opposite signs (inf - inf); the first term dominates.
    let row = [1e308 * b[0].signum(), -1e308 * b[1].signum()];
    let new = array![[0.01, 0.02], [row[0], row[1]], [-row[0], -row[1]]];
    let p = fit.predict_proba(new.view()).unwrap();
    assert!(p.iter().all(|v| v.is_finite()), "{p:?}");
    assert_eq!((p[1], p[2]), (1.0, 0.0));
    match fit.decision_function(new.view()) {
        Err(Error::InvalidValue {
            field: "x", row: 1, ..
        }) => {}
        other => panic!("expected InvalidValue for row 1, got {other:?}"),
    }
    // One finite term with the sum beyond f64 (2e308).
    let t = 1e308 / b[0].abs();
    let beyond = array![[t * b[0].signum() * 2.0, 0.0]];
    let z = fit.decision_function(beyond.view());
    assert!(
        matches!(z, Err(Error::InvalidValue { row: 0, .. })),
        "{z:?}"
    );
    // Terms that overflow (about +-2e308) but whose sum does not: the log-odds are finite.
    let fine = array![[1e307, -(1e307 / b[1]) * b[0]]];
    let z = fit.decision_function(fine.view()).unwrap();
    assert!(z[0].is_finite(), "{z:?}");
    assert!(fit.predict(new.view(), 0.5).is_ok());
}

#[test]
fn logistic_weights_summing_beyond_f64_are_an_error_naming_the_row() {
    let (x, y) = churn_data();
    let mut w = Array1::from_elem(300, 1.0);
    w[7] = 1e308;
    w[8] = 1e308;
    match LogisticRegression::params().fit_weighted(x.view(), y.view(), Some(w.view())) {
        Err(Error::InvalidValue {
            field: "sample_weight",
            row,
            ..
        }) => assert!(row == 7 || row == 8),
        other => panic!("expected InvalidValue on sample_weight, got {other:?}"),
    }
}

// ---- ETS forecasts -----------------------------------------------------------------

use patronage::forecast::ets::{ErrorType, Ets, EtsSpec, SeasonType, TrendType};
use patronage::forecast::{MAX_HORIZON, Series};

fn seasonal_series(scale: f64) -> Series {
    let y: Vec<f64> = (0..150)
        .map(|t| {
            scale
                * (100.0
                    * (1.0 + 0.3 * ((t % 24) as f64 / 24.0 * std::f64::consts::TAU).sin())
                    * 1.002f64.powi(t)
                    + ((t * 37) % 11) as f64)
        })
        .collect();
    Series::new(&y, 24).unwrap()
}

#[test]
fn ets_multiplicative_intervals_of_large_series_stay_finite() {
    // Forecasts near 1e150: their squares (the variance recursion) pass 1e300, the
    // standard deviations do not.
    let s = seasonal_series(1e150);
    for spec in [
        EtsSpec::new(ErrorType::Multiplicative, TrendType::None, SeasonType::None),
        EtsSpec::new(
            ErrorType::Multiplicative,
            TrendType::Damped,
            SeasonType::Additive,
        ),
        EtsSpec::new(
            ErrorType::Multiplicative,
            TrendType::Additive,
            SeasonType::Multiplicative,
        ),
    ] {
        let fit = Ets::params(spec).fit(&s).unwrap();
        match fit.forecast(MAX_HORIZON, &[0.95]) {
            Ok(f) => {
                assert!(all_finite(&f.mean), "{spec}");
                assert!(all_finite(&f.intervals[0].lower), "{spec}");
                assert!(all_finite(&f.intervals[0].upper), "{spec}");
            }
            // Only a genuinely unrepresentable bound may fail, and then typed.
            Err(Error::NonFinite { field, row, .. }) => {
                assert!(
                    field.starts_with("forecast") && row > 0,
                    "{spec}: {field} {row}"
                )
            }
            Err(e) => panic!("{spec}: {e:?}"),
        }
    }
    // ETS(M,N,N): the variance grows only linearly in h, so every bound is finite.
    let fit = Ets::params(EtsSpec::new(
        ErrorType::Multiplicative,
        TrendType::None,
        SeasonType::None,
    ))
    .fit(&s)
    .unwrap();
    let f = fit.forecast(MAX_HORIZON, &[0.8, 0.95]).unwrap();
    assert!(
        f.intervals
            .iter()
            .all(|i| all_finite(&i.upper) && all_finite(&i.lower))
    );
}

#[test]
fn ets_forecasts_beyond_f64_are_an_error_naming_the_step() {
    // A valid model (as read from a file) whose level 1e308 and slope 1e305 carry the
    // forecast past f64::MAX within the horizon.
    let y: Vec<f64> = (0..60)
        .map(|t| 100.0 + 2.0 * t as f64 + ((t * 7) % 5) as f64)
        .collect();
    let s = Series::new(&y, 1).unwrap();
    for error in [ErrorType::Additive, ErrorType::Multiplicative] {
        let fit = Ets::params(EtsSpec::new(error, TrendType::Additive, SeasonType::None))
            .fit(&s)
            .unwrap();
        let mut v = serde_json::to_value(&fit).unwrap();
        v["last_state"] = serde_json::json!([1e308, 1e305]);
        let fit: patronage::forecast::ets::FittedEts = serde_json::from_value(v).unwrap();
        assert!(fit.forecast(10, &[0.95]).is_ok());
        match fit.forecast(MAX_HORIZON, &[0.95]) {
            Err(Error::NonFinite { field, row, value }) => {
                assert!(field.starts_with("forecast"), "{field}");
                assert!(
                    (10..1000).contains(&row) && !value.is_finite(),
                    "{row} {value}"
                );
            }
            other => panic!("expected NonFinite, got {:?}", other.map(|f| f.mean[999])),
        }
    }
}

// ---- churn metrics -------------------------------------------------------------------

#[test]
fn churn_metrics_on_extreme_scores_and_probabilities_are_finite() {
    use patronage::churn::metrics::{average_precision, brier, log_loss, roc_auc};
    let y = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
    let p = [
        0.0,
        1.0,
        1.0,
        0.0,
        f64::MIN_POSITIVE,
        1.0 - f64::EPSILON / 2.0,
    ];
    let ll = log_loss(&y, &p).unwrap();
    assert!(ll.is_finite() && ll > 0.0, "{ll}");
    assert!(brier(&y, &p).unwrap().is_finite());
    let s = [-f64::MAX, f64::MAX, -1e308, 1e308, 5e-324, -5e-324];
    let auc = roc_auc(&y, &s).unwrap();
    assert!(auc.is_finite());
    assert!(average_precision(&y, &s).unwrap().is_finite());
    // Ranking metrics depend only on the order: the same ranks in small numbers.
    let ranks = [-3.0, 3.0, -2.0, 2.0, 1.0, -1.0];
    assert_eq!(auc, roc_auc(&y, &ranks).unwrap());
    assert_eq!(
        average_precision(&y, &s).unwrap(),
        average_precision(&y, &ranks).unwrap()
    );
}
