//! Channels on a simulated multi-channel customer base (seeded): each customer's
//! channel mix, the value of single- vs multi-channel customers, migration between
//! channels quarter to quarter, and marketing attribution of simulated journeys by
//! every rule and by the Markov removal effect of order 1 to 3, side by side.
//!
//! Run with `cargo run --release --example channels`.

use patronage::channels::{ChannelLog, ChannelPurchase, Dominant, Journey, Journeys, Markov, Rule};
use patronage::{Day, Period};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const STORES: [&str; 3] = ["app", "store", "web"];
const MEDIA: [&str; 5] = ["affiliate", "display", "email", "search", "social"];

/// 4,000 customers over two years (days 0-729 from 2024-01-01). A customer starts on
/// one channel; a third of them use a second one too, and buy more often; store
/// customers drift to the app over time.
fn purchases(rng: &mut Xoshiro256PlusPlus, start: Day) -> Vec<ChannelPurchase<u32, &'static str>> {
    let mut rows = Vec::new();
    for customer in 0..4_000u32 {
        let home = rng.random_range(0..3);
        let second = (rng.random::<f64>() < 0.35).then(|| (home + rng.random_range(1..3)) % 3);
        let rate = if second.is_some() {
            1.0 / 45.0
        } else {
            1.0 / 90.0
        };
        let mut day = rng.random_range(0..300) as f64;
        while day < 730.0 {
            let mut channel = match second {
                Some(s) if rng.random::<f64>() < 0.4 => s,
                _ => home,
            };
            // Store customers move to the app: more so the later it is.
            if channel == 1 && rng.random::<f64>() < day / 1_500.0 {
                channel = 0;
            }
            let amount =
                (20.0 + 60.0 * rng.random::<f64>() * if channel == 1 { 1.5 } else { 1.0 }).round();
            rows.push(ChannelPurchase {
                customer,
                day: start + day as i32,
                amount,
                channel: STORES[channel],
            });
            day += -rng.random::<f64>().ln() / rate;
        }
    }
    rows
}

/// Touches and their days, flat, and each journey's end, conversion, value and
/// conversion day.
type Simulated = (Vec<&'static str>, Vec<Day>, Vec<(usize, bool, f64, Day)>);

/// 30,000 journeys of 1 to 8 touches, a day or two apart. Search and email close
/// (they raise the chance of converting); display and social open journeys.
fn journeys(rng: &mut Xoshiro256PlusPlus) -> Simulated {
    let (mut touches, mut days, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..30_000 {
        let mut day = rng.random_range(0..300);
        let mut p = 0.02;
        let first = if rng.random::<f64>() < 0.6 {
            [1, 4][rng.random_range(0..2)]
        } else {
            rng.random_range(0..5)
        };
        let mut ch = first;
        let begin = touches.len();
        loop {
            touches.push(MEDIA[ch]);
            days.push(Day(day));
            p += [0.01, 0.02, 0.05, 0.07, 0.015][ch];
            if touches.len() - begin == 8 || rng.random::<f64>() < 0.3 {
                break;
            }
            day += rng.random_range(0..3);
            ch = rng.random_range(0..5);
        }
        let converted = rng.random::<f64>() < p;
        let value = if converted {
            (30.0 + 120.0 * rng.random::<f64>()).round()
        } else {
            0.0
        };
        ends.push((touches.len(), converted, value, Day(day + 1)));
    }
    (touches, days, ends)
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let start = Day::from_ymd(2024, 1, 1)?;
    let rows = purchases(&mut rng, start);
    let log = ChannelLog::new(&rows)?;
    println!(
        "{} purchases by {} customers through {:?}\n",
        log.n_rows(),
        log.customers().len(),
        log.channels()
    );

    // Channel mix: the mean share of each channel in customers' spend.
    let mix = log.mix();
    let mut share = vec![0.0; mix.channels().len()];
    for (_, channels) in mix.iter() {
        for s in channels {
            share[s.channel] += s.spend_share / mix.len() as f64;
        }
    }
    println!("mean share of a customer's spend:");
    for (ch, s) in mix.channels().iter().zip(&share) {
        println!("  {ch:<6} {:>5.1}%", 100.0 * s);
    }

    let value = log.multichannel();
    println!(
        "\n{:<28} {:>9} {:>11} {:>11}",
        "customers", "count", "mean spend", "mean orders"
    );
    for (name, g) in [
        ("single-channel", value.single),
        ("multi-channel", value.multi),
    ] {
        println!(
            "{name:<28} {:>9} {:>11.2} {:>11.2}",
            g.customers, g.mean_spend, g.mean_orders
        );
    }
    for c in &value.combinations {
        println!(
            "  {:<26} {:>9} {:>11.2} {:>11.2}",
            c.channels.join(" + "),
            c.value.customers,
            c.value.mean_spend,
            c.value.mean_orders
        );
    }

    let migration = log.migration(Period::Quarter, Dominant::Spend)?;
    let rates = migration.rates();
    println!("\nquarter-to-quarter migration of the dominant channel (row: from, column: to, %):");
    let names: Vec<&str> = migration
        .channels
        .iter()
        .copied()
        .chain(["inactive"])
        .collect();
    print!("{:<9}", "");
    for n in &names {
        print!(" {n:>9}");
    }
    println!();
    for (i, from) in names.iter().enumerate() {
        print!("{from:<9}");
        for j in 0..names.len() {
            print!(" {:>9.1}", 100.0 * rates[(i, j)]);
        }
        println!();
    }

    // Attribution.
    let (touches, days, ends) = journeys(&mut rng);
    let mut from = 0;
    let list: Vec<Journey<'_, &str>> = ends
        .iter()
        .map(|&(end, converted, value, day)| {
            let j = Journey::new(&touches[from..end], converted)
                .with_value(value)
                .with_days(&days[from..end])
                .with_conversion_day(day);
            from = end;
            j
        })
        .collect();
    let journeys = Journeys::new(&list)?;
    println!(
        "\n{} journeys ({} distinct paths), {} conversions worth {:.0}; conversions attributed:",
        journeys.len(),
        journeys.distinct_paths(),
        journeys.conversions(),
        journeys.value()
    );
    let mut columns: Vec<(String, Vec<f64>)> = Vec::new();
    for (name, rule) in [
        ("first", Rule::FirstTouch),
        ("last", Rule::LastTouch),
        ("linear", Rule::Linear),
        ("decay 7d", Rule::time_decay(7.0)),
        ("40/20/40", Rule::position_based()),
    ] {
        columns.push((name.to_string(), journeys.attribute(&rule)?.conversions));
    }
    for order in 1..=3 {
        let m = Markov::order(order).attribute(&journeys)?;
        columns.push((format!("markov {order}"), m.conversions));
    }
    print!("{:<10}", "channel");
    for (name, _) in &columns {
        print!(" {name:>9}");
    }
    println!();
    for (i, ch) in journeys.channels().iter().enumerate() {
        print!("{ch:<10}");
        for (_, values) in &columns {
            print!(" {:>9.1}", values[i]);
        }
        println!();
    }
    let markov = Markov::order(1).attribute(&journeys)?;
    println!(
        "\nremoval effects (order 1), P(conversion) {:.4}:",
        markov.conversion_probability
    );
    for (ch, re) in markov.channels.iter().zip(&markov.removal_effects) {
        println!("  {ch:<10} {re:.3}");
    }
    Ok(())
}
