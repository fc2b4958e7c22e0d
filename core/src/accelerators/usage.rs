//! Booked against used accelerator time, per week, as plain rules. "Use it or lose it" needs
//! both figures: a booking holds devices whether or not anything runs, and a workspace runs on
//! devices whether or not anyone booked them. Time is counted in device-seconds and shown in
//! hours; weeks start on Monday 00:00 UTC, as the week view's do.

use super::bookings::{week_start, Window};
use crate::requests::lifecycle::State;

/// Seconds in a week: a device's most in one week.
pub const WEEK_SECONDS: i64 = 7 * 24 * 3600;

/// Time a booking held devices. A released booking held them only until it was released; the
/// rest of its window went back to everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub model: String,
    pub count: i64,
    pub window: Window,
    /// When it was released, if it was.
    pub released_at: Option<i64>,
}

/// A resource running on `count` devices of `model` for `span`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub model: String,
    pub count: i64,
    pub span: Window,
}

/// One model's figures for one week, in device-seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekUse {
    pub week_start: i64,
    pub model: String,
    /// Held by bookings (up to their release, for released ones).
    pub booked: i64,
    /// Run by resources.
    pub used: i64,
    /// Booked but given back unused when the booking was released.
    pub released: i64,
}

/// The stretches a resource ran, from its steps in order as (when, state entered). A resource
/// runs while it is active; one still active runs until `now`.
pub fn run_spans(steps: &[(i64, State)], now: i64) -> Vec<Window> {
    let mut spans = Vec::new();
    let mut since = None;
    for &(at, state) in steps {
        match (since, state == State::Active) {
            (None, true) => since = Some(at),
            (Some(start), false) => {
                if at > start {
                    spans.push(Window { start, end: at });
                }
                since = None;
            }
            _ => {}
        }
    }
    if let Some(start) = since.filter(|&s| now > s) {
        spans.push(Window { start, end: now });
    }
    spans
}

/// The model of the devices a resource was given: the one at the first of its slots (`"0,1"`)
/// on its host, or the host's only model when the slots are not recorded (Slurm chooses them).
/// `host_devices` are (slot, model) on the resource's host.
pub fn model_of(slots: &str, host_devices: &[(i64, String)]) -> Option<String> {
    let first = slots
        .split(',')
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .find_map(|slot| host_devices.iter().find(|(s, _)| *s == slot));
    if let Some((_, model)) = first {
        return Some(model.clone());
    }
    let mut models = host_devices.iter().map(|(_, m)| m);
    let one = models.next()?;
    models.all(|m| m == one).then(|| one.clone())
}

/// The Mondays of the `weeks` weeks ending with the one holding `now`, oldest first.
pub fn weeks_to(now: i64, weeks: u32) -> Vec<i64> {
    let last = week_start(now);
    (0..i64::from(weeks))
        .rev()
        .map(|back| last - back * WEEK_SECONDS)
        .collect()
}

fn overlap(a: Window, b: Window) -> i64 {
    (a.end.min(b.end) - a.start.max(b.start)).max(0)
}

/// Each model's booked, used and released time in each of `weeks` (Mondays), by week and then
/// model. Every model that appears in either list gets a row for every week, so a week with
/// nothing shows as nothing rather than being missing.
pub fn per_week(weeks: &[i64], held: &[Held], ran: &[Ran]) -> Vec<WeekUse> {
    let mut models: Vec<&str> = held
        .iter()
        .map(|h| h.model.as_str())
        .chain(ran.iter().map(|r| r.model.as_str()))
        .collect();
    models.sort_unstable();
    models.dedup();
    let mut out = Vec::new();
    for &monday in weeks {
        let week = Window {
            start: monday,
            end: monday + WEEK_SECONDS,
        };
        for &model in &models {
            let mut row = WeekUse {
                week_start: monday,
                model: model.to_string(),
                booked: 0,
                used: 0,
                released: 0,
            };
            for h in held.iter().filter(|h| h.model == model) {
                let cut = h
                    .released_at
                    .map_or(h.window.end, |r| r.clamp(h.window.start, h.window.end));
                let kept = Window {
                    start: h.window.start,
                    end: cut,
                };
                let given_back = Window {
                    start: cut,
                    end: h.window.end,
                };
                row.booked += h.count * overlap(kept, week);
                row.released += h.count * overlap(given_back, week);
            }
            for r in ran.iter().filter(|r| r.model == model) {
                row.used += r.count * overlap(r.span, week);
            }
            out.push(row);
        }
    }
    out
}

/// Device-seconds as hours with one decimal place, as people read them: "12.5".
pub fn hours(device_seconds: i64) -> String {
    let tenths = (device_seconds * 10 + 1800) / 3600;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// `part` as a whole percentage of `whole` (0 when there is no whole).
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;
    // Monday 2026-12-07 00:00 UTC.
    const MON: i64 = 1_796_601_600;

    fn w(start: i64, end: i64) -> Window {
        Window { start, end }
    }

    #[test]
    fn monday_constant_is_a_monday() {
        assert_eq!(week_start(MON + 3 * H), MON);
    }

    #[test]
    fn a_resource_runs_while_active_and_until_now_if_still_active() {
        let steps = [
            (0, State::Provisioning),
            (10, State::Active),
            (50, State::Stopped),
            (60, State::Provisioning),
            (70, State::Active),
        ];
        assert_eq!(run_spans(&steps, 100), vec![w(10, 50), w(70, 100)]);
    }

    #[test]
    fn a_resource_that_never_ran_has_no_spans() {
        let steps = [(0, State::Submitted), (5, State::Rejected)];
        assert!(run_spans(&steps, 100).is_empty());
    }

    #[test]
    fn model_comes_from_the_first_slot_or_the_hosts_only_model() {
        let host = vec![(0, "A100".to_string()), (1, "H100".to_string())];
        assert_eq!(model_of("1,0", &host).as_deref(), Some("H100"));
        // Slots unknown and two models on the host: no guess.
        assert_eq!(model_of("", &host), None);
        let one = vec![(0, "A100".to_string()), (1, "A100".to_string())];
        assert_eq!(model_of("", &one).as_deref(), Some("A100"));
        assert_eq!(model_of("", &[]), None);
    }

    #[test]
    fn weeks_end_with_the_current_one() {
        assert_eq!(
            weeks_to(MON + 50 * H, 3),
            vec![MON - 2 * WEEK_SECONDS, MON - WEEK_SECONDS, MON]
        );
    }

    #[test]
    fn a_booking_counts_its_devices_times_its_hours_in_each_week() {
        // Sunday 22:00 to Monday 02:00: two hours in each week, on two devices.
        let held = [Held {
            model: "A100".into(),
            count: 2,
            window: w(MON - 2 * H, MON + 2 * H),
            released_at: None,
        }];
        let rows = per_week(&[MON - WEEK_SECONDS, MON], &held, &[]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].booked, rows[1].booked), (4 * H, 4 * H));
        assert_eq!(rows[1].used, 0);
    }

    #[test]
    fn a_released_booking_counts_until_release_and_the_rest_is_released() {
        let held = [Held {
            model: "A100".into(),
            count: 1,
            window: w(MON + 10 * H, MON + 14 * H),
            released_at: Some(MON + 10 * H + 1800),
        }];
        let rows = per_week(&[MON], &held, &[]);
        assert_eq!(rows[0].booked, 1800);
        assert_eq!(rows[0].released, 3 * H + 1800);
    }

    #[test]
    fn runs_count_by_model_and_weeks_with_nothing_still_show() {
        let ran = [
            Ran {
                model: "A100".into(),
                count: 1,
                span: w(MON + H, MON + 3 * H),
            },
            Ran {
                model: "TPU v4".into(),
                count: 4,
                span: w(MON, MON + H),
            },
        ];
        let rows = per_week(&[MON - WEEK_SECONDS, MON], &[], &ran);
        assert_eq!(rows.len(), 4);
        let this_week: Vec<(&str, i64)> = rows[2..]
            .iter()
            .map(|r| (r.model.as_str(), r.used))
            .collect();
        assert_eq!(this_week, vec![("A100", 2 * H), ("TPU v4", 4 * H)]);
        assert!(rows[..2].iter().all(|r| r.used == 0 && r.booked == 0));
    }

    #[test]
    fn hours_and_percent_round_to_nearest() {
        assert_eq!(hours(0), "0.0");
        assert_eq!(hours(5400), "1.5");
        assert_eq!(hours(3 * H + 179), "3.0");
        assert_eq!(hours(3 * H + 180), "3.1");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(5, 0), 0);
    }
}
