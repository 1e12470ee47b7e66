use super::*;

#[test]
fn gradient_matches_finite_differences() {
    let y: Vec<f64> = (0..60)
        .map(|t| {
            (10.0 + 0.1 * t as f64) * (1.0 + 0.2 * ((t % 12) as f64 - 5.5) / 5.5)
                + 0.3 * ((t * 7 % 11) as f64 - 5.0) / 5.0
        })
        .collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ys: Vec<f64> = y.iter().map(|v| v / mean).collect();
    for error in [ErrorType::Additive, ErrorType::Multiplicative] {
        for trend in [TrendType::None, TrendType::Additive, TrendType::Damped] {
            for season in [
                SeasonType::None,
                SeasonType::Additive,
                SeasonType::Multiplicative,
            ] {
                let spec = EtsSpec::new(error, trend, season);
                let layout = Layout::new(spec, 12);
                let mut u = vec![0.0; layout.len];
                layout.unconstrain(
                    &Smoothing {
                        alpha: 0.3,
                        beta: 0.05,
                        gamma: 0.1,
                        phi: 0.9,
                    },
                    &mut u,
                );
                u[layout.states..].copy_from_slice(&initial_states(spec, 12, &ys));
                let mut work = Work::default();
                let mut g = vec![0.0; layout.len];
                let f0 = objective(&layout, &ys, &u, &mut g, &mut work);
                assert!(f0.is_finite(), "{spec}");
                for i in 0..layout.len {
                    let h = 1e-6;
                    let mut up = u.clone();
                    up[i] += h;
                    let mut dn = u.clone();
                    dn[i] -= h;
                    let fd = (objective(&layout, &ys, &up, &mut [], &mut work)
                        - objective(&layout, &ys, &dn, &mut [], &mut work))
                        / (2.0 * h);
                    assert!(
                        (fd - g[i]).abs() < 1e-5 * (1.0 + fd.abs()),
                        "{spec} param {i}: analytic {} numeric {fd}",
                        g[i]
                    );
                }
            }
        }
    }
}

#[test]
fn schur_cohn_agrees_with_known_roots() {
    // (z - 0.5)(z + 0.8) = z² + 0.3 z - 0.4: stable.
    assert!(schur_stable(&mut [-0.4, 0.3, 1.0]));
    // (z - 1.2)(z + 0.1) = z² - 1.1 z - 0.12: a root outside.
    assert!(!schur_stable(&mut [-0.12, -1.1, 1.0]));
    // (z² + 0.25)(z - 0.9): complex pair inside, real root inside.
    assert!(schur_stable(&mut [-0.225, 0.25, -0.9, 1.0]));
    // (z² + 1.44)(z - 0.5): complex pair outside.
    assert!(!schur_stable(&mut [-0.72, 1.44, -0.5, 1.0]));
}
