use super::*;

fn quarterly() -> Vec<f64> {
    (0..20)
        .map(|t| 10.0 + 0.5 * t as f64 + [3.0, -1.0, -4.0, 2.0][t % 4] + ((t * 7) % 3) as f64)
        .collect()
}

#[test]
fn components_add_up() {
    let y = quarterly();
    for sw in [SeasonalWindow::Periodic, SeasonalWindow::Span(7)] {
        for robust in [false, true] {
            let f = Stl::params(4, sw).robust(robust).fit(&y).unwrap();
            for (t, v) in y.iter().enumerate() {
                let s = f.trend[t] + f.seasonal[t] + f.remainder[t];
                assert!((s - v).abs() < 1e-12);
            }
            assert_eq!(f.weights.len(), y.len());
            if !robust {
                assert!(f.weights.iter().all(|&w| w == 1.0));
            }
        }
    }
}

#[test]
fn constant_series_is_all_trend() {
    let y = vec![7.25; 30];
    for sw in [SeasonalWindow::Periodic, SeasonalWindow::Span(7)] {
        let f = Stl::params(5, sw).robust(true).fit(&y).unwrap();
        for t in 0..30 {
            assert!(f.seasonal[t].abs() < 1e-12, "{t}: {}", f.seasonal[t]);
            assert!((f.trend[t] - 7.25).abs() < 1e-12);
        }
    }
}

#[test]
fn moving_average_is_the_running_mean() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    let mut out = [0.0; 3];
    moving_average(&x, 3, &mut out);
    assert_eq!(out, [2.0, 3.0, 4.0]);
}

#[test]
fn invalid_inputs_are_typed_errors() {
    let y = quarterly();
    let bad = |e: Error, want: &str| match e {
        Error::InvalidParameter { name, .. } => assert_eq!(name, want),
        other => panic!("{other:?}"),
    };
    bad(stl(&y, 1, SeasonalWindow::Periodic).unwrap_err(), "period");
    bad(
        stl(&y, 4, SeasonalWindow::Span(4)).unwrap_err(),
        "seasonal_window",
    );
    bad(
        stl(&y, 4, SeasonalWindow::Span(1)).unwrap_err(),
        "seasonal_window",
    );
    let p = Stl::params(4, SeasonalWindow::Span(7));
    bad(
        p.clone().trend_window(8).fit(&y).unwrap_err(),
        "trend_window",
    );
    bad(
        p.clone().low_pass_window(1).fit(&y).unwrap_err(),
        "low_pass_window",
    );
    bad(
        p.clone().trend_degree(2).fit(&y).unwrap_err(),
        "trend_degree",
    );
    bad(
        p.clone().seasonal_degree(3).fit(&y).unwrap_err(),
        "seasonal_degree",
    );
    bad(
        p.clone().low_pass_degree(2).fit(&y).unwrap_err(),
        "low_pass_degree",
    );
    bad(p.clone().jumps(1, 0, 1).fit(&y).unwrap_err(), "trend_jump");
    bad(p.clone().inner(0).fit(&y).unwrap_err(), "inner");
    // Extreme but type-valid arguments: typed errors at once, no overflow or hang.
    bad(p.clone().inner(usize::MAX).fit(&y).unwrap_err(), "inner");
    bad(
        p.clone().outer(MAX_PASSES + 1).fit(&y).unwrap_err(),
        "outer",
    );
    assert!(matches!(
        stl(&y, usize::MAX, SeasonalWindow::Periodic),
        Err(Error::InsufficientData { .. })
    ));
    let huge = Stl::params(4, SeasonalWindow::Span(usize::MAX))
        .trend_window(usize::MAX)
        .low_pass_window(usize::MAX)
        .jumps(usize::MAX, usize::MAX, usize::MAX)
        .fit(&y)
        .unwrap();
    assert!(
        huge.trend
            .iter()
            .chain(&huge.seasonal)
            .all(|v| v.is_finite())
    );
    assert!(matches!(
        stl(&y[..8], 4, SeasonalWindow::Periodic),
        Err(Error::InsufficientData { .. })
    ));
    let mut z = y.clone();
    z[5] = f64::INFINITY;
    assert!(matches!(
        stl(&z, 4, SeasonalWindow::Periodic),
        Err(Error::NonFinite {
            field: "values",
            row: 5,
            ..
        })
    ));
    // Nine values for period 4 are enough.
    assert!(stl(&y[..9], 4, SeasonalWindow::Span(7)).is_ok());
}

#[test]
fn psort_returns_on_nan() {
    let mut v = [3.0, f64::NAN, 1.0, 2.0];
    psort(&mut v, &[2, 3]);
    assert_eq!(v[0], 3.0);
}

#[test]
fn psort_places_ascending_positions_and_keeps_the_values() {
    // With positions in ascending order (as the routine assumes) they receive their
    // order statistics; R's robust STL passes (n/2 + 1, n/2), for which the two values
    // are not always the middle order statistics (about 5% of random inputs here).
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut off_median = 0;
    for n in [2usize, 3, 11, 12, 30, 84, 145] {
        for _ in 0..100 {
            let v: Vec<f64> = (0..n).map(|_| (next() * 20.0).floor()).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (m1, m2) = (n / 2, n / 2 + 1);
            let mut a = v.clone();
            psort(&mut a, &[m1.max(1), m2]);
            assert_eq!(a[m1.max(1) - 1], sorted[m1.max(1) - 1], "n {n}");
            assert_eq!(a[m2 - 1], sorted[m2 - 1], "n {n}");
            let mut b = a.clone();
            b.sort_by(f64::total_cmp);
            assert_eq!(b, sorted);
            let mut r = v.clone();
            psort(&mut r, &[m2, n - m2 + 1]);
            if r[m2 - 1] != sorted[m2 - 1] || r[n - m2] != sorted[n - m2] {
                off_median += 1;
            }
        }
    }
    assert!(off_median > 0);
}
