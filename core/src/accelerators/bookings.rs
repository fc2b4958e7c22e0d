//! Accelerator bookings as plain rules: what a valid booking window is, when a booking is beyond
//! its project's limits (an operator decides those), and which devices a window can have. No
//! storage here; the database also refuses overlapping bookings on a device, so two people
//! racing for one slot cannot both win.

use crate::error::FieldErrors;

const HOUR: i64 = 3600;
const WEEK: i64 = 7 * 24 * HOUR;

/// A stretch of time in whole hours, `[start, end)`, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn hours(&self) -> i64 {
        (self.end - self.start) / HOUR
    }

    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// How far ahead anyone can book, in days (eight weeks).
pub const HORIZON_DAYS: i64 = 56;
/// What a project may book without an operator's approval until operators set its own limits.
pub const DEFAULT_LIMITS: Limits = Limits {
    hours_per_week: 40,
    longest_hours: 24,
    ahead_days: 28,
};
/// The longest booking anyone can ask for, approved or not: two weeks.
pub const MAX_HOURS: u32 = 14 * 24;

/// The window a person typed: a day (`YYYY-MM-DD`), the hour it starts (0–23, UTC) and how
/// many hours it lasts. Messages name the field and the accepted range.
pub fn window_from(date: &str, start_hour: &str, hours: &str) -> Result<Window, FieldErrors> {
    let mut errors = FieldErrors::new();
    let day = match crate::clock::parse_date(date) {
        Some(d) => Some(d),
        None if date.trim().is_empty() => {
            errors.add("date", "Enter the day the booking starts.");
            None
        }
        None => {
            errors.add(
                "date",
                "Enter the day as YYYY-MM-DD, for example 2027-01-18.",
            );
            None
        }
    };
    let hour = errors.check(
        "start_hour",
        crate::domain::numbers::whole_number(start_hour, "the starting hour (UTC)", 0, 23),
    );
    let length = errors.check(
        "hours",
        crate::domain::numbers::whole_number(hours, "the number of hours", 1, MAX_HOURS),
    );
    match (day, hour, length) {
        (Some(day), Some(hour), Some(length)) if errors.is_empty() => {
            let midnight = day.midnight().assume_utc().unix_timestamp();
            let start = midnight + i64::from(hour) * HOUR;
            Ok(Window {
                start,
                end: start + i64::from(length) * HOUR,
            })
        }
        _ => Err(errors),
    }
}

/// What operators allow a project without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Device-hours a project may book in any one week (Monday to Monday, UTC).
    pub hours_per_week: i64,
    /// The longest single booking, in hours.
    pub longest_hours: i64,
    /// How far ahead a booking may start, in days.
    pub ahead_days: i64,
}

/// Checks a window asked for at `now`: whole hours, not in the past, not empty, and ending
/// within `horizon_days`. Messages name the numbers, for the field they belong to.
pub fn check_window(window: Window, now: i64, horizon_days: i64) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if window.start % HOUR != 0 {
        errors.add("start", "Start on the hour (bookings are in whole hours).");
    } else if window.start < now - now.rem_euclid(HOUR) {
        errors.add(
            "start",
            "The start has passed: choose this hour or a later one.",
        );
    }
    if window.end % HOUR != 0 {
        errors.add("end", "End on the hour (bookings are in whole hours).");
    } else if window.end <= window.start {
        errors.add(
            "end",
            "End after the start: a booking is at least one hour.",
        );
    } else if window.end > now + horizon_days * 24 * HOUR {
        errors.add(
            "end",
            format!("Bookings can be made up to {horizon_days} days ahead; end sooner."),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The Monday 00:00 UTC that starts the week holding `t`.
pub fn week_start(t: i64) -> i64 {
    // 1970-01-01 was a Thursday: Monday 1969-12-29 starts week zero.
    const MONDAY_BEFORE_EPOCH: i64 = -3 * 24 * HOUR;
    t - (t - MONDAY_BEFORE_EPOCH).rem_euclid(WEEK)
}

/// Why a booking needs an operator's approval (empty: within the project's limits). `count`
/// devices for `window`; `booked` are the project's other live bookings as (window, count).
pub fn beyond_limits(
    window: Window,
    count: i64,
    booked: &[(Window, i64)],
    limits: &Limits,
    now: i64,
) -> Vec<String> {
    let mut why = Vec::new();
    if window.hours() > limits.longest_hours {
        why.push(format!(
            "{} is longer than the {} a booking may last",
            plural_hours(window.hours()),
            plural_hours(limits.longest_hours)
        ));
    }
    if window.start > now + limits.ahead_days * 24 * HOUR {
        why.push(format!(
            "it starts more than {} days ahead",
            limits.ahead_days
        ));
    }
    let mut week = week_start(window.start);
    while week < window.end {
        let this_week = Window {
            start: week,
            end: week + WEEK,
        };
        let used: i64 = booked
            .iter()
            .chain(std::iter::once(&(window, count)))
            .map(|(w, n)| n * overlap_hours(w, &this_week))
            .sum();
        if used > limits.hours_per_week {
            why.push(format!(
                "the project would have {used} device-hours in the week of {}, more than its {} a week",
                day_of(week),
                limits.hours_per_week
            ));
        }
        week += WEEK;
    }
    why
}

fn plural_hours(n: i64) -> String {
    if n == 1 {
        "1 hour".to_owned()
    } else {
        format!("{n} hours")
    }
}

/// `YYYY-MM-DD` of the UTC day holding `secs`.
fn day_of(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| crate::clock::format_date(t.date()))
        .unwrap_or_else(|_| "an unknown week".to_owned())
}

fn overlap_hours(a: &Window, b: &Window) -> i64 {
    (a.end.min(b.end) - a.start.max(b.start)).max(0) / HOUR
}

/// A device that could be booked: its id, and the host it sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub id: i64,
    pub host: i64,
}

/// `count` devices on one host that no booking in `taken` (device id, window) holds during
/// `window`: on one host, so one workspace can use them all. Of the hosts with enough free, the
/// one with the fewest free wins, keeping hosts with many free for bookings that need many;
/// a tie goes to the host listed first, and on a host its devices go in the order listed.
/// `None` when no one host has `count` free, whatever the total across hosts.
pub fn free_devices(
    devices: &[Device],
    taken: &[(i64, Window)],
    window: Window,
    count: usize,
) -> Option<Vec<i64>> {
    if count == 0 {
        return None;
    }
    let is_free = |d: &&Device| !taken.iter().any(|(t, w)| *t == d.id && w.overlaps(&window));
    let mut hosts: Vec<i64> = Vec::new();
    for d in devices {
        if !hosts.contains(&d.host) {
            hosts.push(d.host);
        }
    }
    hosts
        .into_iter()
        .map(|host| {
            devices
                .iter()
                .filter(|d| d.host == host)
                .filter(is_free)
                .map(|d| d.id)
                .collect::<Vec<i64>>()
        })
        .filter(|free| free.len() >= count)
        .min_by_key(Vec::len)
        .map(|mut free| {
            free.truncate(count);
            free
        })
}

/// One hour of a week view: how many devices live bookings hold then, and whose they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slot {
    pub start: i64,
    pub held: i64,
    /// The labels (project names) of the bookings holding devices then, each once.
    pub holders: Vec<String>,
}

/// A week (from `week_start`, a Monday) as 24 rows of 7 hourly slots, row `h` holding hour `h`
/// of each day, from live bookings given as (window, devices, label).
pub fn week_grid(week_start: i64, bookings: &[(Window, i64, String)]) -> Vec<Vec<Slot>> {
    (0..24)
        .map(|hour| {
            (0..7)
                .map(|day| {
                    let start = week_start + day * 24 * HOUR + hour * HOUR;
                    let this = Window {
                        start,
                        end: start + HOUR,
                    };
                    let mut slot = Slot {
                        start,
                        ..Slot::default()
                    };
                    for (_, n, label) in bookings.iter().filter(|(w, _, _)| w.overlaps(&this)) {
                        slot.held += n;
                        if !slot.holders.contains(label) {
                            slot.holders.push(label.clone());
                        }
                    }
                    slot
                })
                .collect()
        })
        .collect()
}

/// A confirmed booking not used (no workspace of its project with accelerators running) this
/// long after it starts is released, so the time goes to someone who will use it.
pub const RELEASE_AFTER_MINUTES: i64 = 30;
/// The person who booked is reminded this long before it starts.
pub const REMIND_BEFORE_MINUTES: i64 = 60;

/// What the lifecycle sweep owes a confirmed booking at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// It starts within the reminder time and nobody was reminded yet.
    Remind,
    /// Its first half hour has passed and nobody has checked it is in use.
    CheckUse,
}

/// `reminded` and `use_checked` are what the sweep already did for it.
pub fn due(window: Window, now: i64, reminded: bool, use_checked: bool) -> Option<Due> {
    if now >= window.end {
        return None;
    }
    if !use_checked && now >= window.start + RELEASE_AFTER_MINUTES * 60 {
        return Some(Due::CheckUse);
    }
    if !reminded && now < window.start && now >= window.start - REMIND_BEFORE_MINUTES * 60 {
        return Some(Due::Remind);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // Monday 2026-12-07 00:00 UTC.
    const MONDAY: i64 = 1_796_601_600;

    fn w(start_h: i64, end_h: i64) -> Window {
        Window {
            start: MONDAY + start_h * HOUR,
            end: MONDAY + end_h * HOUR,
        }
    }

    #[test]
    fn a_typed_window_is_a_day_an_hour_and_a_length() {
        assert_eq!(window_from("2026-12-07", "10", "2"), Ok(w(10, 12)));
        assert_eq!(window_from(" 2026-12-07 ", "0", "24"), Ok(w(0, 24)));
        let bad = window_from("7/12/2026", "24", "0").unwrap_err();
        assert!(bad.get("date").unwrap().contains("YYYY-MM-DD"));
        assert!(bad.get("start_hour").unwrap().contains("0 to 23"));
        assert!(bad.get("hours").unwrap().contains("1 to 336"));
        let empty = window_from("", "", "").unwrap_err();
        assert_eq!(empty.get("date"), Some("Enter the day the booking starts."));
        assert!(empty.get("hours").is_some());
    }

    #[test]
    fn a_week_is_seven_days_of_hours_with_what_each_hour_holds() {
        let bookings = [
            (w(10, 12), 1, "Vision".to_owned()),
            (w(11, 13), 2, "Language".to_owned()),
            (w(24 + 23, 24 + 25), 1, "Vision".to_owned()),
        ];
        let grid = week_grid(MONDAY, &bookings);
        assert_eq!((grid.len(), grid[0].len()), (24, 7));
        assert_eq!(grid[10][0].start, MONDAY + 10 * HOUR);
        assert_eq!(
            (grid[10][0].held, grid[10][0].holders.clone()),
            (1, vec!["Vision".to_owned()])
        );
        assert_eq!(grid[11][0].held, 3);
        assert_eq!(grid[11][0].holders, ["Vision", "Language"]);
        assert_eq!(grid[12][0].held, 2);
        assert_eq!(
            grid[13][0].held, 0,
            "[start, end): free from the hour it ends"
        );
        // Across midnight: Tuesday 23:00 and Wednesday 00:00.
        assert_eq!((grid[23][1].held, grid[0][2].held), (1, 1));
    }

    #[test]
    fn a_booking_is_reminded_an_hour_ahead_and_checked_for_use_after_half_an_hour() {
        let b = w(10, 12);
        let at = |h: i64, m: i64| MONDAY + h * HOUR + m * 60;
        assert_eq!(due(b, at(8, 59), false, false), None);
        assert_eq!(due(b, at(9, 0), false, false), Some(Due::Remind));
        assert_eq!(due(b, at(9, 30), true, false), None, "reminded once");
        assert_eq!(due(b, at(10, 0), false, false), None, "too late to remind");
        assert_eq!(due(b, at(10, 29), false, false), None);
        assert_eq!(due(b, at(10, 30), false, false), Some(Due::CheckUse));
        assert_eq!(due(b, at(11, 59), true, true), None, "checked once");
        assert_eq!(due(b, at(12, 0), false, false), None, "over");
    }

    #[test]
    fn weeks_start_on_monday_at_midnight_utc() {
        assert_eq!(day_of(MONDAY), "2026-12-07");
        assert_eq!(week_start(MONDAY), MONDAY);
        assert_eq!(week_start(MONDAY + 6 * 24 * HOUR + 23 * HOUR), MONDAY);
        assert_eq!(week_start(MONDAY - 1), MONDAY - WEEK);
        assert_eq!(week_start(0), -3 * 24 * HOUR);
    }

    #[test]
    fn a_window_is_whole_hours_from_now_to_the_horizon() {
        let now = MONDAY + 10 * HOUR + 15 * 60;
        assert!(
            check_window(w(10, 12), now, 56).is_ok(),
            "this hour is bookable"
        );
        assert!(check_window(w(11, 12), now, 56).is_ok());
        let past = check_window(w(9, 12), now, 56).unwrap_err();
        assert!(past.get("start").unwrap().contains("passed"));
        let odd = Window {
            start: MONDAY + 11 * HOUR + 30 * 60,
            end: MONDAY + 12 * HOUR + 1,
        };
        let e = check_window(odd, now, 56).unwrap_err();
        assert!(e.get("start").unwrap().contains("on the hour"));
        assert!(e.get("end").unwrap().contains("on the hour"));
        let empty = check_window(w(12, 12), now, 56).unwrap_err();
        assert!(empty.get("end").unwrap().contains("at least one hour"));
        let backwards = check_window(w(13, 12), now, 56).unwrap_err();
        assert!(backwards.get("end").is_some());
        let far = check_window(w(24 * 57, 24 * 57 + 1), now, 56).unwrap_err();
        assert!(far.get("end").unwrap().contains("56 days"));
        assert!(check_window(w(24 * 55, 24 * 55 + 2), now, 56).is_ok());
    }

    #[test]
    fn windows_overlap_only_when_they_share_an_hour() {
        assert!(w(1, 3).overlaps(&w(2, 4)));
        assert!(w(1, 5).overlaps(&w(2, 3)));
        assert!(!w(1, 3).overlaps(&w(3, 5)), "back to back is not overlap");
        assert!(!w(3, 5).overlaps(&w(1, 3)));
    }

    #[test]
    fn bookings_within_limits_need_nobody_and_beyond_them_say_why() {
        let limits = Limits {
            hours_per_week: 20,
            longest_hours: 8,
            ahead_days: 14,
        };
        let now = MONDAY - HOUR;
        assert!(beyond_limits(w(1, 9), 2, &[], &limits, now).is_empty());
        let long = beyond_limits(w(1, 10), 1, &[], &limits, now);
        assert_eq!(long.len(), 1);
        assert!(long[0].contains("9 hours is longer than the 8"), "{long:?}");
        let ahead = beyond_limits(w(24 * 20, 24 * 20 + 1), 1, &[], &limits, now);
        assert!(ahead[0].contains("14 days ahead"), "{ahead:?}");
        // 2 devices × 8 h already, 2 × 3 h more: 22 device-hours in the week.
        let week = beyond_limits(w(30, 33), 2, &[(w(1, 9), 2)], &limits, now);
        assert_eq!(week.len(), 1);
        assert!(
            week[0].contains("22 device-hours in the week of 2026-12-07"),
            "{week:?}"
        );
        // The same hours in next week count against next week only.
        assert!(
            beyond_limits(w(24 * 7 + 1, 24 * 7 + 4), 2, &[(w(1, 9), 2)], &limits, now).is_empty()
        );
    }

    #[test]
    fn a_booking_across_midnight_on_sunday_counts_in_both_weeks() {
        let limits = Limits {
            hours_per_week: 4,
            longest_hours: 24,
            ahead_days: 28,
        };
        let now = MONDAY - HOUR;
        // Sunday 20:00 to Monday 04:00: four hours in each week, within a 4-hour week.
        let across = w(24 * 6 + 20, 24 * 7 + 4);
        assert!(beyond_limits(across, 1, &[], &limits, now).is_empty());
        let twice = beyond_limits(across, 2, &[], &limits, now);
        assert_eq!(twice.len(), 2, "{twice:?}");
    }

    #[test]
    fn free_devices_are_those_no_overlapping_booking_holds_on_one_host() {
        // Host 1 has devices 11 and 12; host 2 has 21 to 24.
        let devices: Vec<Device> = [(11, 1), (12, 1), (21, 2), (22, 2), (23, 2), (24, 2)]
            .map(|(id, host)| Device { id, host })
            .to_vec();
        let none: Vec<(i64, Window)> = Vec::new();
        // The tightest host that can hold it, so the roomy one stays whole.
        assert_eq!(free_devices(&devices, &none, w(2, 3), 1).unwrap(), [11]);
        assert_eq!(free_devices(&devices, &none, w(2, 3), 2).unwrap(), [11, 12]);
        assert_eq!(
            free_devices(&devices, &none, w(2, 3), 3).unwrap(),
            [21, 22, 23]
        );
        // Six are free in all, but no host has five.
        assert!(free_devices(&devices, &none, w(2, 3), 5).is_none());
        assert!(free_devices(&devices, &none, w(2, 3), 0).is_none());

        let taken = vec![(11, w(1, 3)), (22, w(3, 5))];
        // 11 is taken at 2–3, so host 1 has one free: two go to host 2, skipping nothing.
        assert_eq!(free_devices(&devices, &taken, w(2, 3), 1).unwrap(), [12]);
        assert_eq!(
            free_devices(&devices, &taken, w(2, 3), 2).unwrap(),
            [21, 22]
        );
        // Over 1–5 both 11 and 22 are taken: host 2 gives its other three.
        assert_eq!(
            free_devices(&devices, &taken, w(1, 5), 3).unwrap(),
            [21, 23, 24]
        );
        assert!(free_devices(&devices, &taken, w(1, 5), 4).is_none());
        // A booking that ended is no hindrance ([start, end)).
        assert_eq!(
            free_devices(&devices, &taken, w(3, 4), 2).unwrap(),
            [11, 12]
        );
    }
}
