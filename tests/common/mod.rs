//! Test data shared by the integration tests.

use patronage::{Day, Transaction};

/// The CDNOW sample's purchases (customer = sample id).
#[allow(dead_code)] // each test file uses what it needs
pub fn cdnow_rows() -> Vec<Transaction<u32>> {
    let text = std::fs::read_to_string("tests/data/CDNOW_sample.txt")
        .expect("tests/data/CDNOW_sample.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let ymd: i32 = f[2].parse().expect("date");
            let day = Day::from_ymd(ymd / 10000, (ymd / 100 % 100) as u32, (ymd % 100) as u32)
                .expect("valid date");
            Transaction {
                customer: f[1].parse().expect("id"),
                day,
                amount: f[4].parse().expect("amount"),
            }
        })
        .collect()
}
