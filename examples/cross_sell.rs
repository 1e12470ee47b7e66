//! Cross-sell rules on a small basket set: frequent itemsets, association rules with
//! their metrics, and recommendations for a basket.
//!
//! Run with `cargo run --release --example cross_sell`.

use patronage::basket::{Baskets, Metric, MinSupport, OrderLine};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lines: Vec<OrderLine<u32, String>> = include_str!("data/baskets.csv")
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (order, item) = l.split_once(',').ok_or("expected order,item")?;
            Ok(OrderLine {
                order: order.parse()?,
                item: item.to_string(),
            })
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let baskets = Baskets::new(&lines)?;
    println!(
        "{} orders, {} items\n",
        baskets.n_orders(),
        baskets.n_items()
    );

    let itemsets = baskets.frequent_itemsets(MinSupport::Fraction(0.15), None)?;
    let names = |items: &[u32]| {
        items
            .iter()
            .map(|&i| baskets.item(i).as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    println!("frequent itemsets (support >= 15%):");
    for s in &itemsets {
        println!("  {:<40} {:>5.1}%", names(&s.items), 100.0 * s.support);
    }

    let rules = baskets.rules(&itemsets, Metric::Lift, 1.2)?;
    println!("\nrules with lift >= 1.2:");
    println!(
        "  {:<36} {:>8} {:>6} {:>6} {:>9} {:>7}",
        "rule", "support", "conf.", "lift", "leverage", "Zhang"
    );
    for r in &rules {
        println!(
            "  {:<36} {:>7.1}% {:>6.2} {:>6.2} {:>9.3} {:>7.2}",
            format!("{} -> {}", names(&r.antecedent), names(&r.consequent)),
            100.0 * r.support,
            r.confidence,
            r.lift,
            r.leverage,
            r.zhang
        );
    }

    let held: Vec<u32> = ["espresso beans"]
        .iter()
        .filter_map(|i| baskets.item_index(&i.to_string()))
        .collect();
    println!("\nfor a basket with espresso beans, recommend (by confidence):");
    for (item, score) in baskets.recommend(&rules, &held, Metric::Confidence, 3) {
        println!("  {:<20} confidence {:.2}", baskets.item(item), score);
    }
    Ok(())
}
