//! The generator's fixed calendar. Dates are days since 1970-01-01 (Arrow
//! Date32) and times are microseconds since the epoch (Arrow timestamps), so
//! a lake never depends on the day it was generated.

use chrono::{Datelike, NaiveDate};

/// Microseconds per day.
pub const DAY_MICROS: i64 = 86_400_000_000;
/// Microseconds per hour.
pub const HOUR_MICROS: i64 = 3_600_000_000;

/// First day of the observed window (a Monday).
pub fn start() -> i32 {
    day(2024, 12, 2)
}

/// The lake's "today": the last snapshot and the end of observation (a
/// Monday, 104 weeks after [`start`]).
pub fn as_of() -> i32 {
    day(2026, 11, 30)
}

/// Days since the epoch of a calendar date (the generator only uses valid
/// dates; an invalid one maps to the epoch).
pub fn day(year: i32, month: u32, dom: u32) -> i32 {
    NaiveDate::from_ymd_opt(year, month, dom).map_or(0, to_days)
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn to_days(date: NaiveDate) -> i32 {
    (date - epoch()).num_days() as i32
}

/// The calendar date of a day number.
pub fn date(days: i32) -> NaiveDate {
    epoch() + chrono::Duration::days(i64::from(days))
}

/// `YYYY-MM-DD`.
pub fn iso(days: i32) -> String {
    date(days).format("%Y-%m-%d").to_string()
}

/// `YYYY-MM` of a day.
pub fn month_label(days: i32) -> String {
    date(days).format("%Y-%m").to_string()
}

/// `YYYY-Qn` of a day: the delivery cycle it falls in.
pub fn quarter_label(days: i32) -> String {
    let d = date(days);
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// Whether a day is Monday to Friday.
pub fn is_weekday(days: i32) -> bool {
    date(days).weekday().num_days_from_monday() < 5
}

/// The last day of each month whose end lies in `[from, to]`.
pub fn month_ends(from: i32, to: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut d = date(from);
    loop {
        let (y, m) = if d.month() == 12 {
            (d.year() + 1, 1)
        } else {
            (d.year(), d.month() + 1)
        };
        let end = day(y, m, 1) - 1;
        if end > to {
            return out;
        }
        out.push(end);
        d = date(end + 1);
    }
}

/// Microseconds at the start of a day.
pub fn micros(days: i32) -> i64 {
    i64::from(days) * DAY_MICROS
}

/// The day a timestamp falls on.
pub fn day_of(micros: i64) -> i32 {
    micros.div_euclid(DAY_MICROS) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_104_weeks_from_monday_to_monday() {
        assert_eq!(as_of() - start(), 104 * 7);
        assert!(is_weekday(start()) && is_weekday(as_of()));
        assert_eq!(iso(start()), "2024-12-02");
    }

    #[test]
    fn labels_and_month_ends() {
        assert_eq!(quarter_label(day(2026, 7, 1)), "2026-Q3");
        assert_eq!(month_label(day(2026, 1, 31)), "2026-01");
        let ends = month_ends(start(), as_of());
        assert_eq!(ends.len(), 24);
        assert_eq!(iso(ends[0]), "2024-12-31");
        assert_eq!(iso(*ends.last().unwrap()), "2026-11-30");
        assert_eq!(day_of(micros(ends[3]) + 5 * HOUR_MICROS), ends[3]);
    }
}
