//! Reminders before a dataset's retention date: 30 and 7 days before and on the day, each sent
//! once; a reminder missed (the portal was down) is replaced by the most urgent one due.

use time::Date;

/// Days before the retention date that the owner and data control are reminded.
pub const REMIND_DAYS: [i64; 3] = [30, 7, 0];

/// The reminder due on `today` (its days-before value), given the last one sent (`None` when
/// none has been).
pub fn reminder_due(keep_until: Date, today: Date, last_sent: Option<i64>) -> Option<i64> {
    let left = (keep_until - today).whole_days();
    let due = REMIND_DAYS.iter().copied().filter(|t| left <= *t).min()?;
    match last_sent {
        Some(sent) if sent <= due => None,
        _ => Some(due),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const KEEP: Date = date!(2028 - 03 - 31);

    #[test]
    fn reminders_fall_at_30_7_and_0_days_each_once() {
        let on = |d: Date, sent| reminder_due(KEEP, d, sent);
        assert_eq!(on(date!(2028 - 02 - 29), None), None);
        assert_eq!(on(date!(2028 - 03 - 01), None), Some(30));
        assert_eq!(on(date!(2028 - 03 - 02), Some(30)), None);
        assert_eq!(on(date!(2028 - 03 - 24), Some(30)), Some(7));
        assert_eq!(on(date!(2028 - 03 - 30), Some(7)), None);
        assert_eq!(on(KEEP, Some(7)), Some(0));
        assert_eq!(on(date!(2028 - 04 - 10), Some(0)), None);
    }

    #[test]
    fn a_missed_reminder_gives_way_to_the_most_urgent() {
        assert_eq!(reminder_due(KEEP, date!(2028 - 03 - 28), None), Some(7));
        assert_eq!(reminder_due(KEEP, date!(2028 - 04 - 02), Some(30)), Some(0));
    }
}
