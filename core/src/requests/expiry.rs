//! What the daily lifecycle sweep does to each resource: remind, stop at the end date, remove
//! after a grace period, stop when idle.

use super::kind::Kind;
use super::lifecycle::State;
use time::Date;

/// Days before the end date on which the owner is reminded (in one digest per person per day).
pub const REMINDER_DAYS: [i64; 4] = [30, 14, 7, 0];
/// How long an expired resource (and its data) is kept before it is removed.
pub const GRACE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Tell the owner it ends in this many days.
    Remind(i64),
    /// The end date has passed: stop it and mark it expired.
    Expire,
    /// Expired for longer than the grace period: remove it and its data.
    Remove,
    /// Nobody has used it for longer than the offering allows: stop it.
    IdleStop,
}

/// The facts about one resource the sweep needs.
pub struct Facts {
    pub kind: Kind,
    pub state: State,
    pub end: Date,
    pub idle_minutes: i64,
    pub idle_stop_minutes: i64,
}

pub fn due(today: Date, f: &Facts) -> Option<Due> {
    let days_left = (f.end - today).whole_days();
    match f.state {
        State::Active | State::Stopped if days_left < 0 => Some(Due::Expire),
        State::Expiring if days_left < -GRACE_DAYS => Some(Due::Remove),
        State::Active
            if f.kind.runs()
                && f.idle_stop_minutes > 0
                && f.idle_minutes >= f.idle_stop_minutes =>
        {
            Some(Due::IdleStop)
        }
        State::Active | State::Stopped if REMINDER_DAYS.contains(&days_left) => {
            Some(Due::Remind(days_left))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(state: State, end: Date) -> Facts {
        Facts {
            kind: Kind::Workspace,
            state,
            end,
            idle_minutes: 0,
            idle_stop_minutes: 60,
        }
    }

    #[test]
    fn reminders_fall_on_exactly_30_14_7_and_0_days() {
        let today = date!(2027 - 01 - 01);
        for days in -3..40 {
            let end = today + time::Duration::days(days);
            let got = due(today, &facts(State::Active, end));
            let want = if days < 0 {
                Some(Due::Expire)
            } else if REMINDER_DAYS.contains(&days) {
                Some(Due::Remind(days))
            } else {
                None
            };
            assert_eq!(got, want, "{days} days left");
        }
    }

    #[test]
    fn expired_resources_are_removed_only_after_the_grace_period() {
        let today = date!(2027 - 01 - 20);
        let end = |d: i64| today - time::Duration::days(d);
        assert_eq!(due(today, &facts(State::Expiring, end(GRACE_DAYS))), None);
        assert_eq!(
            due(today, &facts(State::Expiring, end(GRACE_DAYS + 1))),
            Some(Due::Remove)
        );
    }

    #[test]
    fn idle_workspaces_stop_and_storage_never_idles() {
        let today = date!(2027 - 01 - 01);
        let end = date!(2027 - 06 - 01);
        let mut f = facts(State::Active, end);
        f.idle_minutes = 59;
        assert_eq!(due(today, &f), None);
        f.idle_minutes = 60;
        assert_eq!(due(today, &f), Some(Due::IdleStop));
        f.idle_stop_minutes = 0;
        assert_eq!(due(today, &f), None, "zero means never");
        f.kind = Kind::Storage;
        f.idle_stop_minutes = 60;
        assert_eq!(due(today, &f), None);
    }

    #[test]
    fn nothing_is_due_for_requests_not_yet_running_or_already_gone() {
        let today = date!(2027 - 01 - 01);
        for state in [
            State::Submitted,
            State::Approved,
            State::Provisioning,
            State::Rejected,
            State::Decommissioned,
            State::Failed,
        ] {
            assert_eq!(
                due(today, &facts(state, date!(2026 - 01 - 01))),
                None,
                "{state:?}"
            );
        }
    }
}
