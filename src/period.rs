//! Calendar periods shared by every part of the crate that buckets days: revenue and
//! order series for forecasting ([`crate::forecast::series`]) and cohort tables
//! ([`crate::cohort`]). Weeks start on Monday (ISO 8601) unless another first day is
//! named ([`Period::WeekStarting`]); months and quarters are calendar months and
//! quarters.

use crate::transactions::Day;

/// A calendar period: the unit of a series built from a log, or of a cohort table.
///
/// ```
/// use patronage::{Day, Period};
/// let d = Day::from_ymd(2024, 5, 17)?; // a Friday
/// assert_eq!(Period::Week.start_day(Period::Week.index(d)), Day::from_ymd(2024, 5, 13)?);
/// assert_eq!(Period::Quarter.label(Period::Quarter.index(d)), "2024-Q2");
/// assert_eq!(Period::Month.label(Period::Month.index(d)), "2024-05");
/// # Ok::<(), patronage::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Period {
    /// Calendar days (seasonal period 7).
    Day,
    /// Weeks starting on Monday, as ISO 8601 (seasonal period 52).
    Week,
    /// Weeks starting on the given day (retail weeks often start on Sunday; seasonal
    /// period 52). `WeekStarting(Weekday::Monday)` is [`Period::Week`].
    ///
    /// ```
    /// use patronage::{Day, Period, period::Weekday};
    /// let sunday_weeks = Period::WeekStarting(Weekday::Sunday);
    /// let d = Day::from_ymd(2024, 5, 17)?; // a Friday
    /// assert_eq!(sunday_weeks.start_day(sunday_weeks.index(d)), Day::from_ymd(2024, 5, 12)?);
    /// assert_eq!(sunday_weeks.label(sunday_weeks.index(d)), "week of 2024-05-12");
    /// # Ok::<(), patronage::Error>(())
    /// ```
    WeekStarting(Weekday),
    /// Calendar months (seasonal period 12).
    Month,
    /// Calendar quarters, January to March first (seasonal period 4).
    Quarter,
}

/// A day of the week, for [`Period::WeekStarting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// The first day on or after `Day(0)` (1970-01-01, a Thursday) that falls on this
    /// weekday: `Day(4)` for Monday.
    fn first_day(self) -> i64 {
        (self as i64 - 3).rem_euclid(7)
    }
}

impl Period {
    /// The first day of the weeks, for the weekly periods.
    fn week_start(self) -> Option<i64> {
        match self {
            Period::Week => Some(Weekday::Monday.first_day()),
            Period::WeekStarting(w) => Some(w.first_day()),
            _ => None,
        }
    }
}

impl Period {
    /// The seasonal periods of a series in this unit, for an
    /// [`Mstl`](crate::forecast::mstl::Mstl) decomposition (R's `msts` conventions):
    /// days have a weekly and a yearly season (7 and 365.25), weeks a yearly one
    /// (365.25 / 7 = 52.18 weeks), months 12 and quarters 4.
    ///
    /// ```
    /// use patronage::Period;
    /// assert_eq!(Period::Day.seasonal_periods(), &[7.0, 365.25]);
    /// assert!((Period::Week.seasonal_periods()[0] - 52.18).abs() < 0.01);
    /// ```
    pub fn seasonal_periods(self) -> &'static [f64] {
        match self {
            Period::Day => &[7.0, 365.25],
            Period::Week | Period::WeekStarting(_) => &[365.25 / 7.0],
            Period::Month => &[12.0],
            Period::Quarter => &[4.0],
        }
    }

    /// The conventional seasonal period: 7 for days, 52 for weeks, 12 for months, 4 for
    /// quarters.
    pub fn season_length(self) -> usize {
        match self {
            Period::Day => 7,
            Period::Week | Period::WeekStarting(_) => 52,
            Period::Month => 12,
            Period::Quarter => 4,
        }
    }

    /// The running index of the period holding `day` (consecutive periods differ by 1).
    pub fn index(self, day: Day) -> i32 {
        match self {
            Period::Day => day.0,
            // Within i32: a week index is at most a seventh of a day number.
            Period::Week | Period::WeekStarting(_) => {
                let first = self.week_start().unwrap_or(0);
                (i64::from(day.0) - first).div_euclid(7) as i32
            }
            Period::Month => day.month_index(),
            Period::Quarter => day.month_index().div_euclid(3),
        }
    }

    /// The first day of the period with running index `index` (saturating at the ends
    /// of `Day`'s range for indices no log can reach).
    pub fn start_day(self, index: i32) -> Day {
        let month_start = |month: i32| {
            // Valid for every month index a `Day` can reach.
            Day::from_ymd(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1)
                .unwrap_or_default()
        };
        match self {
            Period::Day => Day(index),
            Period::Week | Period::WeekStarting(_) => {
                let first = self.week_start().unwrap_or(0) as i32;
                Day(index.saturating_mul(7).saturating_add(first))
            }
            Period::Month => month_start(index),
            Period::Quarter => month_start(index.saturating_mul(3)),
        }
    }

    /// A label for the period with running index `index`: `2024-05-17` for a day,
    /// `week of 2024-05-13` (its Monday), `2024-05`, `2024-Q2`.
    pub fn label(self, index: i32) -> String {
        match self {
            Period::Day => self.start_day(index).to_string(),
            Period::Week | Period::WeekStarting(_) => {
                format!("week of {}", self.start_day(index))
            }
            Period::Month => format!(
                "{:04}-{:02}",
                index.div_euclid(12),
                index.rem_euclid(12) + 1
            ),
            Period::Quarter => format!("{:04}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1),
        }
    }
}

/// A span of calendar time: prediction horizons and discounting periods, converted to
/// a summary's time unit where a model needs it, so no caller converts by hand.
/// Months and years are average Gregorian ones (365.25 / 12 and 365.25 days).
///
/// ```
/// use patronage::Horizon;
/// assert_eq!(Horizon::weeks(2.0).in_days(), 14.0);
/// assert_eq!(Horizon::years(1.0).in_days(), 365.25);
/// assert_eq!(Horizon::months(12.0), Horizon::years(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Horizon {
    days: f64,
}

impl Horizon {
    /// Days in an average Gregorian year.
    pub const DAYS_PER_YEAR: f64 = 365.25;
    /// Days in an average Gregorian month (30.4375).
    pub const DAYS_PER_MONTH: f64 = Self::DAYS_PER_YEAR / 12.0;

    /// `n` days.
    pub const fn days(n: f64) -> Self {
        Self { days: n }
    }

    /// `n` weeks of 7 days.
    pub fn weeks(n: f64) -> Self {
        Self { days: 7.0 * n }
    }

    /// `n` average months.
    pub fn months(n: f64) -> Self {
        Self {
            days: n * Self::DAYS_PER_MONTH,
        }
    }

    /// `n` average years.
    pub fn years(n: f64) -> Self {
        Self {
            days: n * Self::DAYS_PER_YEAR,
        }
    }

    /// The span in days.
    pub fn in_days(self) -> f64 {
        self.days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every day lies in the period its index names, and periods tile the days.
    #[test]
    fn periods_tile_the_days() {
        for period in [
            Period::Day,
            Period::Week,
            Period::WeekStarting(Weekday::Sunday),
            Period::WeekStarting(Weekday::Thursday),
            Period::Month,
            Period::Quarter,
        ] {
            let mut previous = period.index(Day(-800));
            for d in -800..800 {
                let day = Day(d);
                let i = period.index(day);
                assert!(period.start_day(i) <= day, "{period:?} {d}");
                assert!(period.start_day(i + 1) > day, "{period:?} {d}");
                assert!(i == previous || i == previous + 1, "{period:?} {d}");
                previous = i;
            }
        }
        assert_eq!(Period::Week.start_day(0), Day(4));
        assert_eq!(
            Period::Quarter.label(Period::Quarter.index(Day(0))),
            "1970-Q1"
        );
        // The ends of Day's range have indices and start days (saturating).
        for period in [
            Period::Day,
            Period::Week,
            Period::WeekStarting(Weekday::Sunday),
            Period::WeekStarting(Weekday::Thursday),
            Period::Month,
            Period::Quarter,
        ] {
            for d in [i32::MIN, i32::MAX] {
                let i = period.index(Day(d));
                assert!(
                    period.start_day(i) <= Day(d) || d == i32::MIN,
                    "{period:?} {d}"
                );
                assert!(!period.label(i).is_empty());
            }
        }
    }

    /// Each weekday's weeks start on that weekday (1970-01-01 was a Thursday), and
    /// Monday's are the ISO weeks.
    #[test]
    fn weeks_start_on_their_day() {
        use Weekday::*;
        for (k, w) in [
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ]
        .into_iter()
        .enumerate()
        {
            let p = Period::WeekStarting(w);
            for d in -30..30 {
                let start = p.start_day(p.index(Day(d)));
                // Monday = 0: 1970-01-01 (Day(0)) is weekday 3.
                assert_eq!(
                    (i64::from(start.0) + 3).rem_euclid(7),
                    k as i64,
                    "{w:?} {d}"
                );
            }
        }
        for d in -100..100 {
            assert_eq!(
                Period::WeekStarting(Monday).index(Day(d)),
                Period::Week.index(Day(d))
            );
        }
    }
}
