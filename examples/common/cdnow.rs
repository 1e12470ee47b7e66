//! Parsing the bundled CDNOW sample, shared by the examples.

use patronage::{Day, Transaction};

/// Parses the CDNOW sample: whitespace-separated master id, sample id, yyyymmdd, CDs,
/// dollars; the customer is the sample id.
pub fn parse_cdnow(text: &str) -> Result<Vec<Transaction<u32>>, Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    for (line_no, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 5 {
            return Err(
                format!("line {}: expected 5 fields, found {}", line_no + 1, f.len()).into(),
            );
        }
        let ymd: i32 = f[2].parse()?;
        let day = Day::from_ymd(ymd / 10_000, (ymd / 100 % 100) as u32, (ymd % 100) as u32)?;
        rows.push(Transaction {
            customer: f[1].parse()?,
            day,
            amount: f[4].parse()?,
        });
    }
    Ok(rows)
}
