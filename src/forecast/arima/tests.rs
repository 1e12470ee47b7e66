use super::auto::count_candidates;
use super::*;

fn airline_spec() -> Spec {
    Spec {
        p: 1,
        d: 1,
        q: 1,
        sp: 1,
        sd: 1,
        sq: 1,
        m: 4,
        constant: false,
        fixed_constant: None,
        method: Method::Ml,
    }
}

#[test]
fn candidate_count_matches_the_search_loops() {
    for caps in [[5, 5, 2, 2], [0, 0, 0, 0], [11, 11, 4, 4], [3, 0, 1, 7]] {
        for max_order in [0, 1, 5, 8, 30, usize::MAX] {
            let mut brute = 0u64;
            for i in 0..=caps[0] {
                for j in 0..=caps[1] {
                    for ii in 0..=caps[2] {
                        for jj in 0..=caps[3] {
                            if i + j + ii + jj <= max_order {
                                brute += 1;
                            }
                        }
                    }
                }
            }
            assert_eq!(
                count_candidates(caps, max_order),
                brute,
                "{caps:?} {max_order}"
            );
        }
    }
    // R's auto.arima(stepwise = FALSE) defaults, with a constant: 192 models.
    assert_eq!(2 * count_candidates([5, 5, 2, 2], 5), 192);
    assert_eq!(
        count_candidates([MAX_ORDER; 4], usize::MAX),
        (MAX_ORDER as u64 + 1).pow(4)
    );
}

#[test]
fn chandrasekhar_matches_covariance_filter() {
    let spec = airline_spec();
    let x: Vec<f64> = (0..60)
        .map(|t| ((t * 37 % 17) as f64).sin() * 3.0 + t as f64 * 0.1)
        .collect();
    let dx = difference(&x, 1, 1, 4);
    let problem = Problem {
        spec,
        dx: &dx,
        creg: 1.0,
        const_scale: 1.0,
    };
    let mut ws = Work::new(&spec, dx.len());
    problem.load(&[0.5, -0.3, -0.4, 0.6], &mut ws);
    let (ssq, sumlog) = problem.ml_sums(&mut ws).unwrap();
    let out = problem.full_filter(&mut ws).unwrap();
    assert!((ssq - out.ssq).abs() < 1e-9 * ssq, "{ssq} {}", out.ssq);
    assert!(
        (sumlog - out.sumlog).abs() < 1e-9,
        "{sumlog} {}",
        out.sumlog
    );
}

#[test]
fn stationary_covariance_matches_brute_force() {
    // ARMA(2,1)(1,0,1)[4]: first column of sum_k T^k R R' T'^k.
    let spec = Spec {
        p: 2,
        d: 0,
        q: 1,
        sp: 1,
        sd: 0,
        sq: 1,
        m: 4,
        constant: false,
        fixed_constant: None,
        method: Method::Ml,
    };
    let dx = [0.0; 10];
    let problem = Problem {
        spec,
        dx: &dx,
        creg: 1.0,
        const_scale: 1.0,
    };
    let mut ws = Work::new(&spec, 10);
    problem.load(&[0.5, -0.2, 0.4, 0.3, -0.5], &mut ws);
    assert!(problem.stationary_start(&mut ws));
    let r = ws.r;
    let mut q = vec![0.0; r * r];
    let mut x = ws.rvec.clone(); // T^k R
    for _ in 0..2000 {
        for i in 0..r {
            for j in 0..r {
                q[i * r + j] += x[i] * x[j];
            }
        }
        let mut nx = vec![0.0; r];
        for i in 0..r {
            nx[i] = ws.phir[i] * x[0] + if i + 1 < r { x[i + 1] } else { 0.0 };
        }
        x = nx;
    }
    for (j, (qj, gj)) in q.iter().zip(&ws.g).enumerate() {
        assert!((qj - gj).abs() < 1e-10, "{j}: {qj} vs {gj}");
    }
}

#[test]
fn partrans_round_trip_and_stationarity() {
    let raw = [0.3, -1.2, 0.8];
    let mut phi = [0.0; 3];
    partrans(&raw, &mut phi);
    assert!(ar_roots_outside(&phi, 1.0));
    let back = invpartrans(&phi).unwrap();
    for (a, b) in raw.iter().zip(&back) {
        assert!((a - b).abs() < 1e-12);
    }
    assert!(!ar_roots_outside(&[1.2], 1.0));
    assert!(!ar_roots_outside(&[0.5, 0.6], 1.0));
    assert!(ar_roots_outside(&[0.5, 0.3], 1.0));
    // A root at 1/0.995 = 1.005 is inside 1.01.
    assert!(!ar_roots_outside(&[0.995], 1.01));
}

#[test]
fn ma_invert_reflects_roots() {
    let mut ma = [2.0];
    ma_invert(&mut ma);
    assert!((ma[0] - 0.5).abs() < 1e-15);
    // (1 + 2z)(1 + 0.5z) = 1 + 2.5z + z^2 -> (1 + 0.5z)^2 = 1 + z + 0.25 z^2
    let mut ma = [2.5, 1.0];
    ma_invert(&mut ma);
    assert!(
        (ma[0] - 1.0).abs() < 1e-9 && (ma[1] - 0.25).abs() < 1e-9,
        "{ma:?}"
    );
    let roots = polyroot(&[6.0, -5.0, 1.0]);
    let mut mods: Vec<f64> = roots.iter().map(|r| r.abs()).collect();
    mods.sort_by(f64::total_cmp);
    assert!((mods[0] - 2.0).abs() < 1e-10 && (mods[1] - 3.0).abs() < 1e-10);
}

#[test]
fn delta_polynomial() {
    assert_eq!(delta_poly(1, 0, 12), vec![1.0]);
    let d = delta_poly(1, 1, 4);
    assert_eq!(d, vec![1.0, 0.0, 0.0, 1.0, -1.0]);
}

#[test]
fn ar1_stationary_variance() {
    // AR(1) with phi = 0.6: gamma(0) = 1 / (1 - 0.36).
    let spec = Spec {
        p: 1,
        d: 0,
        q: 0,
        sp: 0,
        sd: 0,
        sq: 0,
        m: 1,
        constant: false,
        fixed_constant: None,
        method: Method::Ml,
    };
    let dx = [0.0; 5];
    let problem = Problem {
        spec,
        dx: &dx,
        creg: 1.0,
        const_scale: 1.0,
    };
    let mut ws = Work::new(&spec, 5);
    problem.load(&[0.6], &mut ws);
    assert!(problem.stationary_start(&mut ws));
    assert!((ws.g[0] - 1.0 / 0.64).abs() < 1e-12);
}
