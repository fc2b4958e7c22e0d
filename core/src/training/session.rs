//! A training session: a time, a number of seats and one sandbox offering. Sandboxes are made a
//! lead time before the start and removed a grace period after the end.

use crate::error::FieldErrors;
use crate::requests::lifecycle::State;
use serde::{Deserialize, Serialize};

pub const MAX_SEATS: i64 = 200;
/// Longest session, in hours.
pub const MAX_HOURS: i64 = 5 * 24;
/// How far in the past a session may start when booked (one starting now, typed to the minute).
pub const START_SLACK_SECS: i64 = 5 * 60;
pub const MAX_LEAD_MINUTES: i64 = 7 * 24 * 60;
pub const MAX_GRACE_MINUTES: i64 = 7 * 24 * 60;

/// The booking form as typed. Times are `YYYY-MM-DDTHH:MM` in UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Form {
    pub starts: String,
    pub ends: String,
    pub seats: String,
    /// `<offering id>:<size code>`
    pub sandbox: String,
    pub lead_minutes: String,
    pub grace_minutes: String,
}

/// A checked booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i64,
    pub offering_id: i64,
    pub size_code: String,
    pub lead_minutes: i64,
    pub grace_minutes: i64,
}

fn when(raw: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(raw.trim(), &fmt)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

fn minutes(e: &mut FieldErrors, field: &str, raw: &str, default: i64, max: i64) -> i64 {
    match raw.trim() {
        "" => default,
        s => match s.parse::<i64>() {
            Ok(n) if (0..=max).contains(&n) => n,
            _ => {
                e.add(
                    field,
                    format!("Enter a whole number of minutes from 0 to {max}"),
                );
                default
            }
        },
    }
}

/// Checks the form. Lead time defaults to 60 minutes and grace to 30.
pub fn parse(form: &Form, now: i64) -> Result<Booking, FieldErrors> {
    let mut e = FieldErrors::new();
    let starts_at = when(&form.starts);
    let ends_at = when(&form.ends);
    match starts_at {
        None => e.add(
            "starts",
            "Enter the start as a date and time, for example 2026-12-01T09:30",
        ),
        Some(s) if s < now - START_SLACK_SECS => {
            e.add("starts", "The start must not be in the past")
        }
        Some(_) => {}
    }
    match (starts_at, ends_at) {
        (_, None) => e.add(
            "ends",
            "Enter the end as a date and time, for example 2026-12-01T16:30",
        ),
        (Some(s), Some(x)) if x <= s => e.add("ends", "The end must be after the start"),
        (Some(s), Some(x)) if x - s > MAX_HOURS * 3600 => e.add(
            "ends",
            format!("A session can last at most {} days", MAX_HOURS / 24),
        ),
        _ => {}
    }
    let seats = match form.seats.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_SEATS).contains(&n) => n,
        _ => {
            e.add(
                "seats",
                format!("Enter the number of seats, from 1 to {MAX_SEATS}"),
            );
            0
        }
    };
    let sandbox = form
        .sandbox
        .split_once(':')
        .and_then(|(o, s)| Some((o.parse::<i64>().ok()?, s.to_owned())));
    if sandbox.is_none() {
        e.add("sandbox", "Choose the sandbox every attendee gets");
    }
    let lead_minutes = minutes(
        &mut e,
        "lead_minutes",
        &form.lead_minutes,
        60,
        MAX_LEAD_MINUTES,
    );
    let grace_minutes = minutes(
        &mut e,
        "grace_minutes",
        &form.grace_minutes,
        30,
        MAX_GRACE_MINUTES,
    );
    match (starts_at, ends_at, sandbox, e.is_empty()) {
        (Some(starts_at), Some(ends_at), Some((offering_id, size_code)), true) => Ok(Booking {
            starts_at,
            ends_at,
            seats,
            offering_id,
            size_code,
            lead_minutes,
            grace_minutes,
        }),
        _ => Err(e),
    }
}

/// What the portal should be doing about a session's sandboxes at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Before the lead time: nothing made yet.
    Booked,
    /// From the lead time to the end: every attendee should have a sandbox.
    Provisioning,
    /// The session is over; sandboxes stay for the grace period.
    Grace,
    /// After the grace period: every sandbox is removed.
    Over,
}

pub fn phase(
    now: i64,
    starts_at: i64,
    ends_at: i64,
    lead_minutes: i64,
    grace_minutes: i64,
) -> Phase {
    if now >= ends_at + grace_minutes * 60 {
        Phase::Over
    } else if now >= ends_at {
        Phase::Grace
    } else if now >= starts_at - lead_minutes * 60 {
        Phase::Provisioning
    } else {
        Phase::Booked
    }
}

/// One attendee's sandbox as the roster shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seat {
    /// No sandbox yet (before the lead time).
    Waiting,
    Preparing,
    Ready,
    Failed,
    /// Stopped by someone; it can be started again.
    Stopped,
    Removed,
}

impl Seat {
    pub fn of(state: Option<State>) -> Seat {
        match state {
            None => Seat::Waiting,
            Some(State::Active) => Seat::Ready,
            Some(State::Failed) => Seat::Failed,
            Some(State::Stopped) => Seat::Stopped,
            Some(State::Decommissioned | State::Rejected) => Seat::Removed,
            Some(State::Expiring) => Seat::Removed,
            Some(_) => Seat::Preparing,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Seat::Waiting => "Not made yet",
            Seat::Preparing => "Being set up",
            Seat::Ready => "Ready",
            Seat::Failed => "Failed",
            Seat::Stopped => "Stopped",
            Seat::Removed => "Removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const NOW: i64 = 1_795_000_000; // 2026-11-18T11:06:40Z

    fn form() -> Form {
        Form {
            starts: "2026-11-20T09:30".into(),
            ends: "2026-11-20T16:30".into(),
            seats: "12".into(),
            sandbox: "3:small".into(),
            lead_minutes: String::new(),
            grace_minutes: "0".into(),
        }
    }

    #[test]
    fn a_good_booking_parses_with_default_lead_time() {
        let b = parse(&form(), NOW).unwrap();
        assert_eq!(b.ends_at - b.starts_at, 7 * 3600);
        assert_eq!(
            (b.seats, b.offering_id, b.size_code.as_str()),
            (12, 3, "small")
        );
        assert_eq!((b.lead_minutes, b.grace_minutes), (60, 0));
    }

    #[test]
    fn bad_bookings_name_each_problem() {
        let bad = Form {
            starts: "2026-11-01T09:00".into(),
            ends: "yesterday".into(),
            seats: "0".into(),
            sandbox: "jupyter".into(),
            lead_minutes: "-5".into(),
            grace_minutes: "lots".into(),
        };
        let e = parse(&bad, NOW).unwrap_err();
        for f in [
            "starts",
            "ends",
            "seats",
            "sandbox",
            "lead_minutes",
            "grace_minutes",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let backwards = Form {
            ends: "2026-11-20T09:00".into(),
            ..form()
        };
        assert!(parse(&backwards, NOW)
            .unwrap_err()
            .get("ends")
            .unwrap()
            .contains("after the start"));
        let long = Form {
            ends: "2026-12-20T09:00".into(),
            ..form()
        };
        assert!(parse(&long, NOW)
            .unwrap_err()
            .get("ends")
            .unwrap()
            .contains("at most 5 days"));
        let crowd = Form {
            seats: "201".into(),
            ..form()
        };
        assert!(parse(&crowd, NOW).is_err());
        // A session starting this minute may be booked.
        let now_ish = Form {
            starts: "2026-11-18T11:06".into(),
            ends: "2026-11-18T12:00".into(),
            ..form()
        };
        assert!(parse(&now_ish, NOW).is_ok());
    }

    #[test]
    fn sandboxes_are_made_from_the_lead_time_and_removed_after_the_grace() {
        let (s, x) = (10_000, 20_000);
        assert_eq!(phase(s - 3601, s, x, 60, 30), Phase::Booked);
        assert_eq!(phase(s - 3600, s, x, 60, 30), Phase::Provisioning);
        assert_eq!(phase(x - 1, s, x, 60, 30), Phase::Provisioning);
        assert_eq!(phase(x, s, x, 60, 30), Phase::Grace);
        assert_eq!(phase(x + 1800, s, x, 60, 30), Phase::Over);
        assert_eq!(phase(x, s, x, 60, 0), Phase::Over);
    }

    #[test]
    fn each_state_reads_as_a_seat() {
        assert_eq!(Seat::of(None), Seat::Waiting);
        assert_eq!(Seat::of(Some(State::Approved)), Seat::Preparing);
        assert_eq!(Seat::of(Some(State::Provisioning)), Seat::Preparing);
        assert_eq!(Seat::of(Some(State::Active)), Seat::Ready);
        assert_eq!(Seat::of(Some(State::Failed)), Seat::Failed);
        assert_eq!(Seat::of(Some(State::Decommissioned)), Seat::Removed);
    }
}
