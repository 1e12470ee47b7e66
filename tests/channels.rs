//! Channels: channel mix, single- vs multi-channel value and migration on hand-worked
//! logs; attribution rules on hand-worked journeys; the Markov removal effect of order
//! 1, 2 and 3 against an independent brute-force computation (a forward sum of path
//! probabilities over (state, channels visited), self-loops kept) to 1e-10, and against
//! the Python ChannelAttribution package (its simulation, so to a stated tolerance);
//! determinism across thread counts; bad inputs.

use std::collections::{BTreeMap, HashMap};

use patronage::channels::{
    ChannelLog, ChannelPurchase, Dominant, Journey, Journeys, MAX_ORDER, MAX_STATES, Markov, Rule,
};
use patronage::{Day, Error, Period};

fn purchase(
    customer: u32,
    day: i32,
    amount: f64,
    channel: &'static str,
) -> ChannelPurchase<u32, &'static str> {
    ChannelPurchase {
        customer,
        day: Day(day),
        amount,
        channel,
    }
}

/// Three customers over January to April 1970 (days 0-119): 7 buys on the web, then in
/// store in February, then nothing in March, then the app in April; 8 only in store;
/// 9 on the web and in store in January.
fn log() -> ChannelLog<u32, &'static str> {
    ChannelLog::new(&[
        purchase(7, 2, 10.0, "web"),
        purchase(8, 5, 50.0, "store"),
        purchase(7, 40, 30.0, "store"),
        purchase(9, 10, 5.0, "web"),
        purchase(9, 11, 20.0, "store"),
        purchase(7, 41, 5.0, "web"),
        purchase(8, 100, 25.0, "store"),
        purchase(7, 95, 12.0, "app"),
    ])
    .expect("valid")
}

#[test]
fn channel_mix() {
    let log = log();
    assert_eq!(log.channels(), &["app", "store", "web"]);
    assert_eq!(log.customers(), &[7, 8, 9]);
    let mix = log.mix();
    assert_eq!(mix.len(), 3);
    let (c, shares) = mix.customer(0).expect("7");
    assert_eq!(*c, 7);
    let got: Vec<(usize, u64, f64)> = shares
        .iter()
        .map(|s| (s.channel, s.orders, s.spend))
        .collect();
    assert_eq!(got, vec![(0, 1, 12.0), (1, 1, 30.0), (2, 2, 15.0)]);
    assert_eq!(shares[2].order_share, 0.5);
    assert!((shares[1].spend_share - 30.0 / 57.0).abs() < 1e-15);
    assert!((shares.iter().map(|s| s.spend_share).sum::<f64>() - 1.0).abs() < 1e-15);
    let (_, eight) = mix.customer(1).expect("8");
    assert_eq!(
        (eight.len(), eight[0].order_share, eight[0].spend_share),
        (1, 1.0, 1.0)
    );
    assert!(mix.customer(3).is_none());
    assert_eq!(mix.iter().count(), 3);
}

#[test]
fn single_and_multichannel_value() {
    let m = log().multichannel();
    assert_eq!(m.single.customers, 1);
    assert_eq!(
        (m.single.orders, m.single.spend, m.single.mean_spend),
        (2, 75.0, 75.0)
    );
    assert_eq!(m.multi.customers, 2);
    assert_eq!((m.multi.orders, m.multi.spend), (6, 82.0));
    assert_eq!((m.multi.mean_spend, m.multi.mean_orders), (41.0, 3.0));
    // One customer per combination: ties by channels in order.
    let combos: Vec<(Vec<&str>, usize, f64)> = m
        .combinations
        .iter()
        .map(|c| (c.channels.clone(), c.value.customers, c.value.spend))
        .collect();
    assert_eq!(
        combos,
        vec![
            (vec!["app", "store", "web"], 1, 57.0),
            (vec!["store"], 1, 75.0),
            (vec!["store", "web"], 1, 25.0),
        ]
    );
}

#[test]
fn migration_between_months() {
    let log = log();
    // 7: Jan web, Feb store (30 store vs 5 web), Mar inactive, Apr app.
    // 8: Jan store, Feb and Mar inactive, Apr store. 9: Jan store (20 vs 5), then
    // inactive through April.
    let m = log
        .migration(Period::Month, Dominant::Spend)
        .expect("migration");
    let (app, store, web, off) = (Some(0), Some(1), Some(2), None);
    assert_eq!(m.inactive(), 3);
    assert_eq!(m.count(web, store), 1);
    assert_eq!(m.count(store, off), 3);
    assert_eq!(m.count(off, app), 1);
    assert_eq!(m.count(off, off), 3);
    assert_eq!(m.count(off, store), 1);
    assert_eq!(m.counts.sum(), 9); // 3 customers x 3 month-to-month steps
    let rates = m.rates();
    assert_eq!(rates[(1, 3)], 1.0);
    assert_eq!(rates[(3, 3)], 0.6);
    assert_eq!(rates[(0, 0)], 0.0); // no transitions from app: a row of zeros
    // By orders, 7's February is a tie (1 and 1) broken by spend: store; by first
    // purchase, store (day 40) too; 9's January by orders ties, spend says store, and
    // by first purchase it is web.
    let orders = log
        .migration(Period::Month, Dominant::Orders)
        .expect("migration");
    assert_eq!(orders.counts, m.counts);
    let first = log
        .migration(Period::Month, Dominant::First)
        .expect("migration");
    assert_eq!(first.count(web, off), 1);
    assert_eq!(first.count(store, off), 2);
    // Quarters: everyone in Q1, 7 and 8 again in Q2.
    let q = log
        .migration(Period::Quarter, Dominant::Spend)
        .expect("migration");
    assert_eq!(
        (
            q.count(store, app),
            q.count(store, store),
            q.count(store, off)
        ),
        (1, 1, 1)
    );
}

#[test]
fn columns_equal_rows() {
    let rows = [
        purchase(1, 3, 2.0, "b"),
        purchase(2, 1, 4.0, "a"),
        purchase(1, 1, 1.0, "a"),
    ];
    let ids: Vec<u32> = rows.iter().map(|r| r.customer).collect();
    let days: Vec<Day> = rows.iter().map(|r| r.day).collect();
    let amounts: Vec<f64> = rows.iter().map(|r| r.amount).collect();
    let channels: Vec<&str> = rows.iter().map(|r| r.channel).collect();
    let a = ChannelLog::new(&rows).expect("rows");
    let b = ChannelLog::from_columns(&ids, &days, &amounts, &channels).expect("columns");
    assert_eq!(a, b);
    assert_eq!(a.n_rows(), 3);
}

#[test]
fn channel_log_rejects_bad_rows() {
    let none: [ChannelPurchase<u32, &str>; 0] = [];
    assert_eq!(
        ChannelLog::new(&none),
        Err(Error::Empty { field: "purchases" })
    );
    let nan = [purchase(1, 0, 1.0, "a"), purchase(1, 1, f64::NAN, "a")];
    assert!(matches!(
        ChannelLog::new(&nan),
        Err(Error::NonFinite {
            field: "amount",
            row: 1,
            ..
        })
    ));
    let inf = [purchase(1, 0, f64::INFINITY, "a")];
    assert!(matches!(
        ChannelLog::new(&inf),
        Err(Error::NonFinite {
            field: "amount",
            row: 0,
            ..
        })
    ));
    let negative = [
        purchase(1, 0, 1.0, "a"),
        purchase(2, 0, 3.0, "a"),
        purchase(2, 0, -3.0, "b"),
    ];
    assert_eq!(
        ChannelLog::new(&negative),
        Err(Error::Negative {
            field: "amount",
            row: 2,
            value: -3.0
        })
    );
    let err = ChannelLog::from_columns(&[1u32, 2], &[Day(0), Day(1)], &[1.0, 2.0], &["a"]);
    assert_eq!(
        err,
        Err(Error::LengthMismatch {
            field: "channels",
            expected: 2,
            found: 1
        })
    );
    let err = ChannelLog::from_columns(&[1u32, 2], &[Day(0)], &[1.0, 2.0], &["a", "b"]);
    assert!(matches!(
        err,
        Err(Error::LengthMismatch { field: "days", .. })
    ));
    // Too many channels for a dense migration matrix.
    let labels: Vec<u32> = (0..1_001).collect();
    let many = ChannelLog::from_columns(
        &vec![1u32; 1_001],
        &vec![Day(0); 1_001],
        &vec![1.0; 1_001],
        &labels,
    )
    .expect("valid");
    assert!(matches!(
        many.migration(Period::Day, Dominant::Spend),
        Err(Error::LimitExceeded { limit: 1_000, .. })
    ));
}

// ---------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------

#[test]
fn rules_on_hand_worked_journeys() {
    let days = [Day(0), Day(7), Day(14)];
    let js = [
        Journey::new(&["a", "b", "c"], true)
            .with_value(90.0)
            .with_days(&days)
            .with_conversion_day(Day(14)),
        Journey::new(&["b"], true)
            .with_value(10.0)
            .with_days(&days[..1]),
        Journey::new(&["c", "a"], false),
        Journey::new(&["c", "a"], true)
            .with_value(20.0)
            .with_days(&days[1..]),
    ];
    let j = Journeys::new(&js).expect("valid");
    assert_eq!(j.channels(), &["a", "b", "c"]);
    assert_eq!(
        (j.len(), j.distinct_paths(), j.conversions(), j.value()),
        (4, 3, 3, 120.0)
    );

    let first = j.attribute(&Rule::FirstTouch).expect("first");
    assert_eq!(first.conversions, vec![1.0, 1.0, 1.0]);
    assert_eq!(first.value, vec![90.0, 10.0, 20.0]);
    let last = j.attribute(&Rule::LastTouch).expect("last");
    assert_eq!(last.conversions, vec![1.0, 1.0, 1.0]);
    assert_eq!(last.value, vec![20.0, 10.0, 90.0]);
    assert_eq!(last.get(&"c"), Some((1.0, 90.0)));
    assert_eq!(last.get(&"z"), None);

    let linear = j.attribute(&Rule::Linear).expect("linear");
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
    assert!(close(
        &linear.conversions,
        &[1.0 / 3.0 + 0.5, 1.0 / 3.0 + 1.0, 1.0 / 3.0 + 0.5]
    ));
    assert!(close(
        &linear.value,
        &[30.0 + 10.0, 30.0 + 10.0, 30.0 + 10.0]
    ));

    // 40/20/40: three touches 0.4, 0.2, 0.4; two touches half each; one touch all.
    let u = j.attribute(&Rule::position_based()).expect("position");
    assert!(close(&u.conversions, &[0.4 + 0.5, 0.2 + 1.0, 0.4 + 0.5]));
    assert!(close(&u.value, &[36.0 + 10.0, 18.0 + 10.0, 36.0 + 10.0]));
    // 30/60 with two touches: 1/3 and 2/3.
    let p = j
        .attribute(&Rule::PositionBased {
            first: 0.3,
            last: 0.6,
        })
        .expect("position");
    assert!(close(
        &p.conversions,
        &[0.3 + 2.0 / 3.0, 0.1 + 1.0, 0.6 + 1.0 / 3.0]
    ));
    let zero = j
        .attribute(&Rule::PositionBased {
            first: 0.0,
            last: 0.0,
        })
        .expect("position");
    assert!(close(&zero.conversions, &[0.5, 2.0, 0.5]));

    // Time decay, half-life 7 days: ages 14, 7, 0 weigh 1/4, 1/2, 1 (of 7/4); the
    // second journey's one touch takes all; the last's ages 7 and 0 (no conversion
    // day: from the last touch) weigh 1/2 and 1.
    let t = j.attribute(&Rule::time_decay(7.0)).expect("decay");
    let want = [
        1.0 / 7.0 + 2.0 / 3.0,
        2.0 / 7.0 + 1.0,
        4.0 / 7.0 + 1.0 / 3.0,
    ];
    assert!(close(&t.conversions, &want), "{:?}", t.conversions);
    assert!(close(
        &t.value,
        &[
            90.0 / 7.0 + 40.0 / 3.0,
            180.0 / 7.0 + 10.0,
            360.0 / 7.0 + 20.0 / 3.0
        ]
    ));
    // Every rule credits exactly the conversions and the value.
    for rule in [
        Rule::FirstTouch,
        Rule::LastTouch,
        Rule::Linear,
        Rule::position_based(),
        Rule::time_decay(3.0),
    ] {
        let a = j.attribute(&rule).expect("rule");
        assert!((a.conversions.iter().sum::<f64>() - 3.0).abs() < 1e-12);
        assert!((a.value.iter().sum::<f64>() - 120.0).abs() < 1e-9);
    }
}

#[test]
fn time_decay_with_distant_days_stays_finite() {
    let days = [Day(i32::MIN), Day(0), Day(i32::MAX)];
    let j = Journeys::new(&[Journey::new(&[1u8, 2, 3], true).with_days(&days)]).expect("valid");
    let t = j.attribute(&Rule::time_decay(0.001)).expect("decay");
    assert_eq!(t.conversions, vec![0.0, 0.0, 1.0]);
}

#[test]
fn rules_reject_bad_parameters() {
    let j =
        Journeys::new(&[Journey::new(&["a"], true), Journey::new(&["b"], true)]).expect("valid");
    for bad in [
        Rule::time_decay(0.0),
        Rule::time_decay(f64::NAN),
        Rule::time_decay(-1.0),
        Rule::PositionBased {
            first: 0.7,
            last: 0.7,
        },
        Rule::PositionBased {
            first: -0.1,
            last: 0.4,
        },
        Rule::PositionBased {
            first: f64::INFINITY,
            last: 0.4,
        },
    ] {
        assert!(
            matches!(j.attribute(&bad), Err(Error::InvalidParameter { .. })),
            "{bad:?}"
        );
    }
    // Time decay needs days on converting journeys: row 1 has none.
    let days = [Day(0)];
    let j = Journeys::new(&[
        Journey::new(&["a"], true).with_days(&days),
        Journey::new(&["b"], true),
    ])
    .expect("valid");
    assert!(matches!(
        j.attribute(&Rule::time_decay(7.0)),
        Err(Error::InvalidValue {
            field: "days",
            row: 1,
            ..
        })
    ));
    assert!(j.attribute(&Rule::Linear).is_ok());
}

#[test]
fn journeys_reject_bad_input() {
    let none: [Journey<'_, &str>; 0] = [];
    assert_eq!(
        Journeys::new(&none),
        Err(Error::Empty { field: "journeys" })
    );
    let empty: [&str; 0] = [];
    let ok = Journey::new(&["a"], true);
    assert!(matches!(
        Journeys::new(&[ok, Journey::new(&empty, false)]),
        Err(Error::InvalidValue {
            field: "channels",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        Journeys::new(&[ok, ok, Journey::new(&["a"], true).with_value(f64::NAN)]),
        Err(Error::NonFinite {
            field: "value",
            row: 2,
            ..
        })
    ));
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a"], true).with_value(f64::NEG_INFINITY)]),
        Err(Error::NonFinite {
            field: "value",
            row: 0,
            ..
        })
    ));
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a"], true).with_value(-2.0)]),
        Err(Error::Negative {
            field: "value",
            row: 0,
            ..
        })
    ));
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a"], false).with_value(2.0)]),
        Err(Error::InvalidValue {
            field: "value",
            row: 0,
            ..
        })
    ));
    let two = [Day(3), Day(1)];
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a"], true).with_days(&two)]),
        Err(Error::InvalidValue {
            field: "days",
            row: 0,
            ..
        })
    ));
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a", "b"], true).with_days(&two)]),
        Err(Error::InvalidValue {
            field: "days",
            row: 0,
            ..
        })
    ));
    let ordered = [Day(1), Day(3)];
    assert!(matches!(
        Journeys::new(&[Journey::new(&["a", "b"], true)
            .with_days(&ordered)
            .with_conversion_day(Day(2))]),
        Err(Error::InvalidValue {
            field: "days",
            row: 0,
            ..
        })
    ));
}

#[test]
fn markov_rejects_bad_orders_and_too_many_states() {
    let j = Journeys::new(&[
        Journey::new(&["a", "b", "c"], true),
        Journey::new(&["c"], false),
    ])
    .expect("valid");
    for order in [0, MAX_ORDER + 1, usize::MAX] {
        assert!(matches!(
            Markov::order(order).attribute(&j),
            Err(Error::InvalidParameter { name: "order", .. })
        ));
    }
    for max in [0, MAX_STATES + 1, usize::MAX] {
        assert!(matches!(
            Markov::order(1).max_states(max).attribute(&j),
            Err(Error::InvalidParameter {
                name: "max_states",
                ..
            })
        ));
    }
    assert!(matches!(
        Markov::order(1).max_states(2).attribute(&j),
        Err(Error::LimitExceeded { limit: 2, .. })
    ));
    assert!(Markov::order(1).max_states(3).attribute(&j).is_ok());
    // More distinct states than MAX_STATES: 2,500 channels at order 1.
    let labels: Vec<[u32; 1]> = (0..2_500).map(|i| [i]).collect();
    let many: Vec<Journey<'_, u32>> = labels.iter().map(|l| Journey::new(l, true)).collect();
    let j = Journeys::new(&many).expect("valid");
    assert!(matches!(
        Markov::order(1).attribute(&j),
        Err(Error::LimitExceeded { limit: 2_000, .. })
    ));
    // At order 2, 1,900 channels in pairs (i, i + 1) make 1,900 states, each channel's
    // solve on about 1,898 of them: 4e12 operations, refused before any solve.
    let labels: Vec<u32> = (0..1_901).collect();
    let pairs: Vec<Journey<'_, u32>> = labels.windows(2).map(|w| Journey::new(w, true)).collect();
    let j = Journeys::new(&pairs).expect("valid");
    let started = std::time::Instant::now();
    assert!(matches!(
        Markov::order(2).attribute(&j),
        Err(Error::LimitExceeded {
            what: "floating-point operations of the removal-effect solves",
            ..
        })
    ));
    assert!(started.elapsed().as_secs() < 5);
    // Order 1 over 400 channels: one solve for all of them.
    let loops: Vec<[u32; 3]> = (0..400).map(|i| [i, (i + 1) % 400, i]).collect();
    let many: Vec<Journey<'_, u32>> = loops
        .iter()
        .enumerate()
        .map(|(i, l)| Journey::new(l, i % 3 == 0))
        .collect();
    let m = Markov::order(1)
        .attribute(&Journeys::new(&many).expect("valid"))
        .expect("markov");
    assert_eq!(m.states, 400);
    assert!((m.conversions.iter().sum::<f64>() - 134.0).abs() < 1e-9);
    assert!(m.removal_effects.iter().all(|e| (0.0..=1.0).contains(e)));
    // No conversions: every effect is 0, nothing to attribute.
    let j = Journeys::new(&[Journey::new(&["a", "b"], false)]).expect("valid");
    let m = Markov::order(2).attribute(&j).expect("markov");
    assert_eq!(
        (m.removal_effects.clone(), m.conversions.clone()),
        (vec![0.0, 0.0], vec![0.0, 0.0])
    );
    assert_eq!(m.conversion_probability, 0.0);
}

// ---------------------------------------------------------------------------------
// Markov against brute force
// ---------------------------------------------------------------------------------

/// A journey path with its converting and non-converting journeys and total value.
#[derive(Debug, Clone)]
struct Path {
    channels: Vec<String>,
    conversions: u64,
    nulls: u64,
    value: f64,
}

fn reference_paths() -> Vec<Path> {
    let text = std::fs::read_to_string("tests/data/channels/journeys.csv").expect("journeys.csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Path {
                channels: f[0].split('>').map(|c| c.trim().to_string()).collect(),
                conversions: f[1].parse().expect("conversions"),
                nulls: f[2].parse().expect("nulls"),
                value: f[3].parse().expect("value"),
            }
        })
        .collect()
}

/// Small journeys with loops (a > b > a), repeats (c > c) and paths shorter than the
/// order.
fn loop_paths() -> Vec<Path> {
    let p = |s: &str, conversions: u64, nulls: u64, value: f64| Path {
        channels: s.split(' ').map(String::from).collect(),
        conversions,
        nulls,
        value,
    };
    vec![
        p("a b a", 3, 1, 30.0),
        p("b a b c", 1, 2, 50.0),
        p("c c", 2, 2, 8.0),
        p("a", 0, 3, 0.0),
        p("b c a b", 2, 0, 14.0),
        p("c b", 1, 4, 7.0),
        p("d a", 1, 0, 100.0),
    ]
}

/// Each path expanded to its journeys: `conversions` converting ones sharing the value
/// equally, then `nulls` that did not convert.
fn expand(paths: &[Path]) -> Vec<Journey<'_, String>> {
    let mut out = Vec::new();
    for p in paths {
        for _ in 0..p.conversions {
            out.push(Journey::new(&p.channels, true).with_value(p.value / p.conversions as f64));
        }
        for _ in 0..p.nulls {
            out.push(Journey::new(&p.channels, false));
        }
    }
    out
}

/// Removal effects by brute force: the chain of order `order` built here from the
/// paths (windows of `order` channels, a path shorter than the order one state,
/// self-loops kept), then the probability of every (state, set of channels visited)
/// pushed forward step by step until less than 1e-17 of the mass is left in transient
/// states. Returns P(conversion), the expected value, and per channel (sorted) the
/// conversion and value removal effects: P(convert and visit c) / P(convert), and the
/// same for value.
fn brute_force(paths: &[Path], order: usize) -> (f64, f64, BTreeMap<String, (f64, f64)>) {
    let mut names: Vec<String> = paths.iter().flat_map(|p| p.channels.clone()).collect();
    names.sort();
    names.dedup();
    let bit = |c: &String| 1u32 << names.iter().position(|n| n == c).expect("channel");
    let mut states: HashMap<Vec<String>, usize> = HashMap::new();
    let mut masks: Vec<u32> = Vec::new();
    let mut next: Vec<HashMap<usize, f64>> = Vec::new();
    let mut ends: Vec<(f64, f64, f64)> = Vec::new(); // conversions, nulls, value
    let mut start: HashMap<usize, f64> = HashMap::new();
    let mut total = 0.0;
    for p in paths {
        let w = (p.conversions + p.nulls) as f64;
        total += w;
        let windows: Vec<Vec<String>> = if p.channels.len() < order {
            vec![p.channels.clone()]
        } else {
            p.channels.windows(order).map(|w| w.to_vec()).collect()
        };
        let mut prev: Option<usize> = None;
        for win in windows {
            let id = match states.get(&win) {
                Some(&id) => id,
                None => {
                    let id = masks.len();
                    masks.push(win.iter().map(bit).fold(0, |a, b| a | b));
                    next.push(HashMap::new());
                    ends.push((0.0, 0.0, 0.0));
                    states.insert(win, id);
                    id
                }
            };
            match prev {
                None => *start.entry(id).or_default() += w,
                Some(q) => *next[q].entry(id).or_default() += w,
            }
            prev = Some(id);
        }
        let last = prev.expect("a state");
        ends[last].0 += p.conversions as f64;
        ends[last].1 += p.nulls as f64;
        ends[last].2 += p.value;
    }
    let out: Vec<f64> = (0..masks.len())
        .map(|s| next[s].values().sum::<f64>() + ends[s].0 + ends[s].1)
        .collect();
    let mut dist: HashMap<(usize, u32), f64> = HashMap::new();
    for (&s, &w) in &start {
        *dist.entry((s, masks[s])).or_default() += w / total;
    }
    let mut conv_by_mask: HashMap<u32, f64> = HashMap::new();
    let mut value_by_mask: HashMap<u32, f64> = HashMap::new();
    for _ in 0..1_000_000 {
        let mass: f64 = dist.values().sum();
        if mass < 1e-17 {
            break;
        }
        let mut new: HashMap<(usize, u32), f64> = HashMap::new();
        for (&(s, m), &p) in &dist {
            *conv_by_mask.entry(m).or_default() += p * ends[s].0 / out[s];
            *value_by_mask.entry(m).or_default() += p * ends[s].2 / out[s];
            for (&t, &w) in &next[s] {
                *new.entry((t, m | masks[t])).or_default() += p * w / out[s];
            }
        }
        dist = new;
    }
    let p_conv: f64 = conv_by_mask.values().sum();
    let value: f64 = value_by_mask.values().sum();
    let effects = names
        .iter()
        .map(|n| {
            let b = bit(n);
            let c: f64 = conv_by_mask
                .iter()
                .filter(|(m, _)| *m & b != 0)
                .map(|(_, p)| p)
                .sum();
            let v: f64 = value_by_mask
                .iter()
                .filter(|(m, _)| *m & b != 0)
                .map(|(_, p)| p)
                .sum();
            (n.clone(), (c / p_conv, v / value))
        })
        .collect();
    (p_conv, value, effects)
}

fn check_against_brute_force(paths: &[Path]) {
    let journeys = expand(paths);
    let j = Journeys::new(&journeys).expect("valid");
    let conversions: u64 = paths.iter().map(|p| p.conversions).sum();
    let value: f64 = paths.iter().map(|p| p.value).sum();
    for order in 1..=3 {
        let m = Markov::order(order).attribute(&j).expect("markov");
        let (p_conv, expected_value, effects) = brute_force(paths, order);
        // The chain's P(conversion) is the conversion rate, by flow conservation.
        let rate = conversions as f64 / journeys.len() as f64;
        assert!(
            (p_conv - rate).abs() < 1e-12,
            "brute force {p_conv} vs rate {rate}"
        );
        assert!((expected_value - value / journeys.len() as f64).abs() < 1e-10);
        assert!(
            (m.conversion_probability - rate).abs() < 1e-12,
            "order {order}"
        );
        assert_eq!(m.order, order);
        for (i, ch) in m.channels.iter().enumerate() {
            let (re, rev) = effects[ch];
            assert!(
                (m.removal_effects[i] - re).abs() < 1e-10,
                "order {order} {ch}: {} vs brute force {re}",
                m.removal_effects[i]
            );
            assert!(
                (m.value_removal_effects[i] - rev).abs() < 1e-10,
                "order {order} {ch} value"
            );
        }
        let total_re: f64 = effects.values().map(|e| e.0).sum();
        let total_rev: f64 = effects.values().map(|e| e.1).sum();
        for (i, ch) in m.channels.iter().enumerate() {
            let want = effects[ch].0 / total_re * conversions as f64;
            assert!((m.conversions[i] - want).abs() < 1e-9, "order {order} {ch}");
            let want = effects[ch].1 / total_rev * value;
            assert!((m.value[i] - want).abs() < 1e-7, "order {order} {ch} value");
        }
        assert!((m.conversions.iter().sum::<f64>() - conversions as f64).abs() < 1e-9);
        assert!((m.value.iter().sum::<f64>() - value).abs() < 1e-7);
    }
}

#[test]
fn markov_hand_worked_order_1() {
    // start -> a (1/2), b (1/2); a -> b; b -> conversion 1/2, null 1/2.
    // P(conv) = 1/2; without a: 1/4 (RE 1/2); without b: 0 (RE 1).
    let j = Journeys::new(&[
        Journey::new(&["a", "b"], true).with_value(9.0),
        Journey::new(&["b"], false),
    ])
    .expect("valid");
    let m = Markov::order(1).attribute(&j).expect("markov");
    assert_eq!(m.channels, vec!["a", "b"]);
    assert!((m.conversion_probability - 0.5).abs() < 1e-15);
    assert!(
        (m.removal_effects[0] - 0.5).abs() < 1e-15 && (m.removal_effects[1] - 1.0).abs() < 1e-15
    );
    assert!((m.conversions[0] - 1.0 / 3.0).abs() < 1e-15);
    assert!((m.value[1] - 6.0).abs() < 1e-13);
    assert_eq!(m.states, 2);
}

#[test]
fn markov_equals_brute_force_with_loops() {
    check_against_brute_force(&loop_paths());
}

#[test]
fn markov_equals_brute_force_on_reference_journeys() {
    check_against_brute_force(&reference_paths());
}

// ---------------------------------------------------------------------------------
// ChannelAttribution
// ---------------------------------------------------------------------------------

/// (model, order, channel) -> (conversions, value, removal effect, value removal effect)
fn channel_attribution() -> HashMap<(String, usize, String), [f64; 4]> {
    let text = std::fs::read_to_string("tests/data/channels/channel_attribution.csv").expect("csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
            (
                (
                    f[0].to_string(),
                    f[1].parse().expect("order"),
                    f[2].to_string(),
                ),
                [num(f[3]), num(f[4]), num(f[5]), num(f[6])],
            )
        })
        .collect()
}

#[test]
fn rules_equal_channel_attribution_heuristics() {
    let paths = reference_paths();
    let journeys = expand(&paths);
    let j = Journeys::new(&journeys).expect("valid");
    let reference = channel_attribution();
    for (name, rule) in [
        ("first_touch", Rule::FirstTouch),
        ("last_touch", Rule::LastTouch),
        ("linear_touch", Rule::Linear),
    ] {
        let a = j.attribute(&rule).expect("rule");
        for (i, ch) in a.channels.iter().enumerate() {
            let r = reference[&(name.to_string(), 0, ch.clone())];
            assert!(
                (a.conversions[i] - r[0]).abs() < 1e-9,
                "{name} {ch}: {} vs {}",
                a.conversions[i],
                r[0]
            );
            assert!(
                (a.value[i] - r[1]).abs() < 1e-9,
                "{name} {ch} value: {} vs {}",
                a.value[i],
                r[1]
            );
        }
    }
}

/// ChannelAttribution simulates walks (5 million, `conv_par = 0.005`), so its removal
/// effects carry sampling error: they agree with the exact ones within 0.005, and the
/// attributed conversions and value within 1% of the totals (201 conversions, 9,190 in
/// value).
#[test]
fn markov_agrees_with_channel_attribution() {
    let paths = reference_paths();
    let journeys = expand(&paths);
    let j = Journeys::new(&journeys).expect("valid");
    let reference = channel_attribution();
    let (total, value) = (j.conversions() as f64, j.value());
    let mut worst = [0.0f64; 4];
    for order in 1..=3 {
        let m = Markov::order(order).attribute(&j).expect("markov");
        for (i, ch) in m.channels.iter().enumerate() {
            let r = reference[&("markov".to_string(), order, ch.clone())];
            worst[0] = worst[0].max((m.removal_effects[i] - r[2]).abs());
            worst[1] = worst[1].max((m.value_removal_effects[i] - r[3]).abs());
            worst[2] = worst[2].max((m.conversions[i] - r[0]).abs() / total);
            worst[3] = worst[3].max((m.value[i] - r[1]).abs() / value);
            let msg = format!(
                "order {order} {ch}: {:?} vs {r:?}",
                (
                    m.conversions[i],
                    m.value[i],
                    m.removal_effects[i],
                    m.value_removal_effects[i]
                )
            );
            assert!((m.removal_effects[i] - r[2]).abs() < 0.005, "{msg}");
            assert!((m.value_removal_effects[i] - r[3]).abs() < 0.005, "{msg}");
            assert!((m.conversions[i] - r[0]).abs() < 0.01 * total, "{msg}");
            assert!((m.value[i] - r[1]).abs() < 0.01 * value, "{msg}");
        }
    }
    eprintln!(
        "largest differences from ChannelAttribution: removal effects {:.2e}, value removal effects {:.2e}, conversions {:.2e} and value {:.2e} of the totals",
        worst[0], worst[1], worst[2], worst[3]
    );
}

// ---------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------

#[cfg(feature = "parallel")]
#[test]
fn same_result_on_any_number_of_threads() {
    let paths = reference_paths();
    let journeys = expand(&paths);
    let j = Journeys::new(&journeys).expect("valid");
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                (1..=3)
                    .map(|k| Markov::order(k).attribute(&j).expect("markov"))
                    .collect::<Vec<_>>()
            })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
    // And the same on journeys given in another order of paths (channels sorted, the
    // distinct paths counted the same): equal to 1e-12.
    let mut reversed = journeys.clone();
    reversed.reverse();
    let r = Journeys::new(&reversed).expect("valid");
    for k in 1..=3 {
        let a = Markov::order(k).attribute(&r).expect("markov");
        for (x, y) in a.conversions.iter().zip(&one[k - 1].conversions) {
            assert!((x - y).abs() < 1e-9);
        }
    }
}

// ---------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------

use proptest::prelude::*;

/// Up to 12 paths over 4 channels, 1 to 5 touches each, with their conversions,
/// non-conversions and value per conversion.
fn arb_paths() -> impl Strategy<Value = Vec<Path>> {
    prop::collection::vec(
        (
            prop::collection::vec(0usize..4, 1..6),
            0u64..4,
            0u64..4,
            1u32..50,
        ),
        1..12,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .map(|(chs, conversions, nulls, each)| Path {
                channels: chs
                    .iter()
                    .map(|&c| ["a", "b", "c", "d"][c].to_string())
                    .collect(),
                conversions,
                nulls: if conversions + nulls == 0 { 1 } else { nulls },
                value: f64::from(each) * conversions as f64,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On random journeys, the exact removal effects of order 1 to 3 equal the brute
    /// force, and every attribution credits exactly the conversions and the value.
    #[test]
    fn markov_equals_brute_force_on_random_journeys(paths in arb_paths()) {
        let journeys = expand(&paths);
        let j = Journeys::new(&journeys).expect("valid");
        let conversions = j.conversions() as f64;
        for order in 1..=3 {
            let m = Markov::order(order).attribute(&j).expect("markov");
            if conversions == 0.0 {
                prop_assert!(m.conversions.iter().all(|&c| c == 0.0));
                continue;
            }
            let (_, _, effects) = brute_force(&paths, order);
            for (i, ch) in m.channels.iter().enumerate() {
                prop_assert!((m.removal_effects[i] - effects[ch].0).abs() < 1e-9, "order {} {}", order, ch);
                prop_assert!((m.value_removal_effects[i] - effects[ch].1).abs() < 1e-9, "order {} {}", order, ch);
            }
            prop_assert!((m.conversions.iter().sum::<f64>() - conversions).abs() < 1e-9);
            prop_assert!((m.value.iter().sum::<f64>() - j.value()).abs() < 1e-7);
        }
        for rule in [Rule::FirstTouch, Rule::LastTouch, Rule::Linear, Rule::position_based()] {
            let a = j.attribute(&rule).expect("rule");
            prop_assert!((a.conversions.iter().sum::<f64>() - conversions).abs() < 1e-9);
            prop_assert!((a.value.iter().sum::<f64>() - j.value()).abs() < 1e-7);
        }
    }
}

/// Outputs serialize (they are outputs: nothing reads them back).
#[cfg(feature = "serde")]
#[test]
fn outputs_serialize() {
    let j = Journeys::new(&[Journey::new(&["a", "b"], true).with_value(3.0)]).expect("valid");
    let m = Markov::order(2).attribute(&j).expect("markov");
    let json = serde_json::to_string(&m).expect("json");
    assert!(json.contains("\"removal_effects\":[1.0,1.0]"), "{json}");
    let rule: Rule =
        serde_json::from_str(&serde_json::to_string(&Rule::position_based()).expect("json"))
            .expect("rule");
    assert_eq!(rule, Rule::position_based());
    let log = log();
    assert!(
        serde_json::to_string(&log.mix())
            .expect("json")
            .contains("spend_share")
    );
    assert!(
        serde_json::to_string(&log.multichannel())
            .expect("json")
            .contains("combinations")
    );
    let migration = log
        .migration(Period::Month, Dominant::Spend)
        .expect("migration");
    assert!(
        serde_json::to_string(&migration)
            .expect("json")
            .contains("Month")
    );
}
