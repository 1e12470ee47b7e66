//! The logistic fit by passes (rows kept elsewhere, sums merged from shards) against the
//! in-memory fit on the same rows: same optimum, log-likelihood and standard errors; and
//! its error paths.

use ndarray::Array2;
use patronage::Error;
use patronage::churn::{LogisticPass, LogisticRegression, LogisticRegressionParams, LogisticSums};
use patronage::prelude::*;
use rand::{Rng, SeedableRng};

/// `n` rows of `p` features with labels drawn from a logistic model.
fn data(n: usize, p: usize, seed: u64) -> (Array2<f64>, Vec<bool>) {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, p), |(_, j)| rng.random::<f64>() * (j + 1) as f64 - 0.5);
    let y = x
        .rows()
        .into_iter()
        .map(|r| {
            let z = -0.4
                + r.iter()
                    .enumerate()
                    .map(|(j, v)| (0.8 - 0.3 * j as f64) * v)
                    .sum::<f64>();
            rng.random::<f64>() < 1.0 / (1.0 + (-z).exp())
        })
        .collect();
    (x, y)
}

/// Sums of one pass over `x`, `y` split into `shards` pieces, merged.
fn pass_sums(pass: &LogisticPass, x: &Array2<f64>, y: &[bool], shards: usize) -> LogisticSums {
    let n = y.len();
    let p = x.ncols();
    let flat = x.as_slice().unwrap();
    let mut total = pass.sums();
    for s in 0..shards {
        let (lo, hi) = (s * n / shards, (s + 1) * n / shards);
        let mut part = pass.sums();
        pass.add_rows(&mut part, &flat[lo * p..hi * p], &y[lo..hi])
            .unwrap();
        // Through the flat form, as an engine's intermediate state.
        let part = LogisticSums::from_values(pass, part.values().to_vec()).unwrap();
        total.merge(&part).unwrap();
    }
    total
}

fn fit_passes(
    params: &LogisticRegressionParams,
    x: &Array2<f64>,
    y: &[bool],
    shards: usize,
) -> patronage::Result<(LogisticRegression, usize)> {
    let positives = y.iter().filter(|&&v| v).count() as u64;
    let mut fit = params.fit_by_passes(x.ncols(), y.len() as u64, positives)?;
    let mut passes = 0;
    while let Some(pass) = fit.next_pass() {
        fit.supply(pass_sums(&pass, x, y, shards))?;
        passes += 1;
    }
    Ok((fit.finish()?, passes))
}

fn assert_same(a: &LogisticRegression, b: &LogisticRegression, tol: f64) {
    let (pa, pb) = (a.parameter_values(), b.parameter_values());
    assert_eq!(pa.len(), pb.len());
    for (u, v) in pa.iter().zip(&pb) {
        assert!((u - v).abs() <= tol * v.abs().max(1.0), "{pa:?} vs {pb:?}");
    }
    let (ra, rb) = (a.report(), b.report());
    assert!(
        (ra.log_likelihood - rb.log_likelihood).abs() <= 1e-9 * rb.log_likelihood.abs(),
        "{} vs {}",
        ra.log_likelihood,
        rb.log_likelihood
    );
    assert!((ra.n_obs - rb.n_obs).abs() <= 1e-9 * rb.n_obs);
    match (&ra.standard_errors, &rb.standard_errors) {
        (Some(sa), Some(sb)) => {
            for (u, v) in sa.iter().zip(sb) {
                assert!((u - v).abs() <= 1e-7 * v, "{sa:?} vs {sb:?}");
            }
        }
        (None, None) => {}
        other => panic!("standard errors differ: {other:?}"),
    }
}

/// Unpenalized, penalized, balanced and without an intercept, over 1 and 7 shards: the
/// optimum of the in-memory fit to 1e-8 (its tolerance is 1e-8 on the gradient of the
/// mean objective; both tightened to 1e-11 here so the comparison is of optima).
#[test]
fn passes_reach_the_in_memory_optimum() {
    let (x, y) = data(5_000, 4, 3);
    let settings = [
        LogisticRegression::params(),
        LogisticRegression::params().penalty(1e-3),
        LogisticRegression::params().balanced(true),
        LogisticRegression::params().fit_intercept(false),
    ];
    for params in settings {
        let params = params.tol(1e-11);
        let in_memory = params.fit((x.view(), &y)).unwrap();
        for shards in [1, 7] {
            let (by_passes, passes) = fit_passes(&params, &x, &y, shards).unwrap();
            assert_same(&by_passes, &in_memory, 1e-8);
            assert!(passes < 20, "{passes} passes");
        }
    }
}

/// On more rows than the in-memory fit's warm-start threshold (it then starts from a
/// subsample's fit and takes chord steps), the optimum is still the same.
#[test]
fn passes_match_the_warm_started_in_memory_fit() {
    let (x, y) = data(210_000, 3, 5);
    let params = LogisticRegression::params().tol(1e-11);
    let in_memory = params.fit((x.view(), &y)).unwrap();
    let (by_passes, _) = fit_passes(&params, &x, &y, 8).unwrap();
    assert_same(&by_passes, &in_memory, 1e-8);
}

#[test]
fn separation_and_bad_counts_are_errors() {
    // Separable: x < 0 never churns, x > 0 always does.
    let x = Array2::from_shape_fn((40, 1), |(i, _)| i as f64 - 19.5);
    let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
    let err = fit_passes(&LogisticRegression::params(), &x, &y, 3).unwrap_err();
    assert!(matches!(err, Error::InsufficientData { .. }), "{err:?}");
    // With a penalty it fits.
    fit_passes(&LogisticRegression::params().penalty(0.01), &x, &y, 3).unwrap();

    let params = LogisticRegression::params();
    assert!(matches!(
        params.fit_by_passes(2, 0, 0),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        params.fit_by_passes(2, 10, 11),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        params.fit_by_passes(2, 10, 10),
        Err(Error::InsufficientData { .. })
    ));
    assert!(matches!(
        params.fit_by_passes(usize::MAX, 10, 5),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        params.clone().feature_names(&["a"]).fit_by_passes(2, 10, 5),
        Err(Error::LengthMismatch { .. })
    ));
}

#[test]
fn bad_rows_and_sums_are_errors() {
    let params = LogisticRegression::params();
    let mut fit = params.fit_by_passes(2, 10, 5).unwrap();
    let pass = fit.next_pass().unwrap();
    assert!(pass.hessian());
    assert_eq!(pass.coefficients(), &[0.0, 0.0, 0.0]);
    let mut sums = pass.sums();
    // Three values for two rows of two features.
    assert!(matches!(
        pass.add_rows(&mut sums, &[1.0, 2.0, 3.0], &[true, false]),
        Err(Error::LengthMismatch { field: "x", .. })
    ));
    assert!(matches!(
        pass.add_rows(&mut sums, &[1.0, 2.0, f64::NAN, 0.0], &[true, false]),
        Err(Error::NonFinite {
            field: "x",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        pass.add_rows(&mut sums, &[1e300, 2.0], &[true]),
        Err(Error::InvalidValue {
            field: "x",
            row: 0,
            ..
        })
    ));
    // Sums of the wrong shape, hand-made or from another pass.
    assert!(LogisticSums::from_values(&pass, vec![0.0; 3]).is_err());
    let mut wrong = pass.sums();
    let other = params
        .clone()
        .fit_intercept(false)
        .fit_by_passes(2, 10, 5)
        .unwrap()
        .next_pass()
        .unwrap()
        .sums();
    assert!(wrong.merge(&other).is_err());
    assert!(fit.supply(other).is_err());
    // NaN sums where the iteration stands.
    let nan = LogisticSums::from_values(&pass, vec![f64::NAN; pass.sums().values().len()]);
    assert!(matches!(
        fit.supply(nan.unwrap()),
        Err(Error::NonFinite { field: "sums", .. })
    ));
    // Finishing before the iteration has.
    assert!(matches!(fit.finish(), Err(Error::NotConverged { .. })));
}
