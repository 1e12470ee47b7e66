//! Channel benches on "journeys-1M": 1,000,000 simulated journeys (seeded) over 7
//! channels with skewed popularity, lengths 1 to 10 (1 + a geometric number of further
//! touches, capped; a touch repeats the previous channel with probability 0.3),
//! converting with a probability that grows with the channels touched, values 20-100.
//!
//! Target (issue 22): Markov attribution over 1M journeys < 1 s, measured from the
//! caller's journeys (validation and counting identical paths included) to the
//! attribution, at order 1.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use patronage::channels::{Journey, Journeys, Markov, Rule};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The touches of every journey, flat, with each journey's end, conversion and value.
fn journeys_1m() -> (Vec<u8>, Vec<(usize, bool, f64)>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(22);
    let weights = [0.30, 0.20, 0.15, 0.12, 0.10, 0.08, 0.05];
    let draw = |rng: &mut Xoshiro256PlusPlus| {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return i as u8;
            }
        }
        6
    };
    let mut touches = Vec::with_capacity(4_000_000);
    let mut ends = Vec::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        let start = touches.len();
        let mut seen = 0u8;
        let mut ch = draw(&mut rng);
        loop {
            touches.push(ch);
            seen |= 1 << ch;
            if touches.len() - start == 10 || rng.random::<f64>() < 0.35 {
                break;
            }
            if rng.random::<f64>() >= 0.3 {
                ch = draw(&mut rng);
            }
        }
        let p =
            0.02 + 0.04 * f64::from(seen.count_ones()) + if seen & 0b10 != 0 { 0.03 } else { 0.0 };
        let converted = rng.random::<f64>() < p;
        let value = if converted {
            20.0 + 80.0 * rng.random::<f64>()
        } else {
            0.0
        };
        ends.push((touches.len(), converted, value));
    }
    (touches, ends)
}

fn benches(c: &mut Criterion) {
    let (touches, ends) = journeys_1m();
    let mut start = 0;
    let journeys: Vec<Journey<'_, u8>> = ends
        .iter()
        .map(|&(end, converted, value)| {
            let j = Journey::new(&touches[start..end], converted).with_value(value);
            start = end;
            j
        })
        .collect();
    let mut g = c.benchmark_group("channels");
    g.sample_size(10);
    // The target: < 1 s.
    g.bench_function("journeys-1M: validate + Markov order 1", |b| {
        b.iter(|| {
            let j = Journeys::new(black_box(&journeys)).expect("valid");
            Markov::order(1).attribute(&j).expect("markov")
        })
    });
    g.bench_function("journeys-1M: validate (count distinct paths)", |b| {
        b.iter(|| Journeys::new(black_box(&journeys)).expect("valid"))
    });
    let validated = Journeys::new(&journeys).expect("valid");
    for order in 1..=3 {
        g.bench_function(
            format!("journeys-1M: Markov order {order} on validated journeys"),
            |b| {
                b.iter(|| {
                    Markov::order(order)
                        .attribute(black_box(&validated))
                        .expect("markov")
                })
            },
        );
    }
    // The largest order-1 chain (MAX_STATES channels): one dense solve with the
    // inverse, the worst case of order 1.
    let labels: Vec<u32> = (0..2_000).collect();
    let ring: Vec<[u32; 3]> = labels
        .iter()
        .map(|&i| [i, (i + 1) % 2_000, (i + 7) % 2_000])
        .collect();
    let wide: Vec<Journey<'_, u32>> = ring
        .iter()
        .enumerate()
        .map(|(i, r)| Journey::new(r, i % 4 == 0))
        .collect();
    let wide = Journeys::new(&wide).expect("valid");
    g.bench_function("2,000 channels: Markov order 1 (2,000 states)", |b| {
        b.iter(|| {
            Markov::order(1)
                .attribute(black_box(&wide))
                .expect("markov")
        })
    });
    // The same with dense transitions (20,000 journeys of 10 touches drawn uniformly
    // over the 2,000 channels): elimination fills the whole matrix. The worst case the
    // limits allow (MAX_STATES at order 1; MAX_SOLVE_WORK is about as much at orders 2
    // and 3): seconds, not a target.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let dense_touches: Vec<u32> = (0..200_000).map(|_| rng.random_range(0..2_000)).collect();
    let dense: Vec<Journey<'_, u32>> = dense_touches
        .chunks(10)
        .enumerate()
        .map(|(i, t)| Journey::new(t, i % 5 == 0))
        .collect();
    let dense = Journeys::new(&dense).expect("valid");
    g.bench_function("2,000 channels, dense: Markov order 1", |b| {
        b.iter(|| {
            Markov::order(1)
                .attribute(black_box(&dense))
                .expect("markov")
        })
    });
    g.bench_function("journeys-1M: linear rule on validated journeys", |b| {
        b.iter(|| validated.attribute(black_box(&Rule::Linear)).expect("rule"))
    });
    g.finish();
}

criterion_group!(channels_benches, benches);
criterion_main!(channels_benches);
