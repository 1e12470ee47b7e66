//! `Day` from and into chrono's and jiff's dates (features `chrono`, `jiff`): the same
//! calendar as `Day::from_ymd`, round trips across each crate's whole range, typed errors
//! beyond it, and the calendar day of a zoned date-time in its own zone.
#![cfg(any(feature = "chrono", feature = "jiff"))]

use patronage::{Day, Error};

/// Days spread over the range both date crates share and around the epoch.
fn sample_days() -> impl Iterator<Item = Day> {
    let lo = Day::from_ymd(-9999, 1, 1).unwrap().0;
    let hi = Day::from_ymd(9999, 12, 31).unwrap().0;
    (lo..=hi).step_by(997).chain(-800..800).map(Day)
}

#[cfg(feature = "chrono")]
#[test]
fn chrono_dates() {
    use chrono::{NaiveDate, TimeZone};
    for day in sample_days() {
        let date = NaiveDate::try_from(day).unwrap();
        assert_eq!(Day::from(date), day);
        let (y, m, d) = day.to_ymd();
        assert_eq!(date, NaiveDate::from_ymd_opt(y, m, d).unwrap());
    }
    // The ends of chrono's range come back; Day's own ends are beyond it.
    for date in [NaiveDate::MIN, NaiveDate::MAX] {
        assert_eq!(NaiveDate::try_from(Day::from(date)).unwrap(), date);
    }
    for day in [Day(i32::MIN), Day(i32::MAX), Day::from(NaiveDate::MAX) + 1] {
        assert!(matches!(
            NaiveDate::try_from(day),
            Err(Error::InvalidDate { .. })
        ));
    }
    // 23:30 on 1 March in UTC-05:00 is 2 March in UTC: each zone's own calendar day.
    let east = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
    let at = east.with_ymd_and_hms(2024, 3, 1, 23, 30, 0).unwrap();
    assert_eq!(Day::from(at), Day::from_ymd(2024, 3, 1).unwrap());
    assert_eq!(
        Day::from(at.with_timezone(&chrono::Utc)),
        Day::from_ymd(2024, 3, 2).unwrap()
    );
    assert_eq!(
        Day::from(at.naive_utc()),
        Day::from_ymd(2024, 3, 2).unwrap()
    );
}

#[cfg(feature = "jiff")]
#[test]
fn jiff_dates() {
    use jiff::civil::Date;
    for day in sample_days() {
        let date = Date::try_from(day).unwrap();
        assert_eq!(Day::from(date), day);
        let (y, m, d) = day.to_ymd();
        assert_eq!(
            (
                i32::from(date.year()),
                date.month() as u32,
                date.day() as u32
            ),
            (y, m, d)
        );
    }
    for date in [Date::MIN, Date::MAX] {
        assert_eq!(Date::try_from(Day::from(date)).unwrap(), date);
    }
    for day in [
        Day(i32::MIN),
        Day(i32::MAX),
        Day::from(Date::MAX) + 1,
        Day::from(Date::MIN) - 1,
    ] {
        assert!(matches!(
            Date::try_from(day),
            Err(Error::InvalidDate { .. })
        ));
    }
    let at = jiff::civil::date(2024, 3, 1).at(23, 30, 0, 0);
    assert_eq!(Day::from(at), Day::from_ymd(2024, 3, 1).unwrap());
    // 23:30 on 1 March at UTC-05:00 is 2 March in UTC: each zone's own calendar day.
    let zoned = at
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(-5)))
        .unwrap();
    assert_eq!(Day::from(&zoned), Day::from_ymd(2024, 3, 1).unwrap());
    let utc = zoned.with_time_zone(jiff::tz::TimeZone::UTC);
    assert_eq!(Day::from(&utc), Day::from_ymd(2024, 3, 2).unwrap());
}
