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

/// AirPassengers (Box & Jenkins), 144 monthly totals 1949-1960, seasonal period 12.
#[allow(dead_code)] // each test file uses what it needs
pub fn air_passengers() -> patronage::forecast::Series {
    let text = std::fs::read_to_string("tests/data/air_passengers.csv")
        .expect("tests/data/air_passengers.csv");
    let values: Vec<f64> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .nth(1)
                .expect("two columns")
                .trim()
                .parse()
                .expect("number")
        })
        .collect();
    assert_eq!(values.len(), 144);
    patronage::forecast::Series::new(&values, 12).expect("valid series")
}

/// The rows of a numeric CSV file with a header line.
#[allow(dead_code)]
pub fn csv(path: &str) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

/// lifetimes' CDNOW summary (`cdnow_customers_summary_with_transactions.csv`: x, t_x,
/// T, monetary value), weeks, 2-decimal recency and T.
#[allow(dead_code)]
pub fn cdnow_csv() -> patronage::CustomerSummary {
    let rows = csv("tests/data/cdnow_customers_summary_with_transactions.csv");
    let col = |k: usize| -> Vec<f64> { rows.iter().map(|r| r[k]).collect() };
    patronage::CustomerSummary::from_columns(&col(1), &col(2), &col(3), Some(&col(4)))
        .and_then(|s| s.with_time_unit_days(7.0))
        .unwrap()
}

/// The CDNOW calibration summary rebuilt exactly from `CDNOW_sample.txt` (weeks, end
/// 1997-09-30).
#[allow(dead_code)]
pub fn cdnow_exact() -> patronage::CustomerSummary {
    let log = patronage::TransactionLog::new(&cdnow_rows()).unwrap();
    log.summarize(
        &patronage::SummaryParams::new(Day::from_ymd(1997, 9, 30).unwrap()).time_unit_days(7.0),
    )
    .unwrap()
}

/// Asserts `|got - want| <= tol |want|`.
#[allow(dead_code)]
pub fn rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: got {got}, want {want}"
    );
}

/// Asserts `|got - want| <= tol`.
#[allow(dead_code)]
pub fn abs(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}
