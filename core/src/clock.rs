//! Wall-clock time as Unix seconds (UTC), the one representation the store uses.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Milliseconds, for the job queue's timings.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Today's date in UTC.
pub fn today() -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(now())
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// A stored `YYYY-MM-DD` date (end dates are kept as text).
pub fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &format).ok()
}

/// The `YYYY-MM-DD` form dates are stored and shown in.
pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Unix seconds as `2026-12-07T10:00:00` in UTC, as machines read times (scontrol runs with
/// `TZ=UTC`; iCalendar takes it without its separators).
pub fn iso_utc(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Formats Unix seconds as `2026-11-26 14:05 UTC` for people.
pub fn format_utc(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => "unknown".to_owned(),
    }
}
