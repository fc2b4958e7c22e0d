//! Bookings as an iCalendar document (RFC 5545), so they show in people's own calendars.
//! Plain text rules only: escaping, line folding, UTC times.

/// One booking as a calendar event.
pub struct Event<'a> {
    /// Stays the same when the booking moves, so calendars update the event in place.
    pub uid: String,
    pub start: i64,
    pub end: i64,
    pub summary: &'a str,
    pub description: &'a str,
    pub url: &'a str,
    /// Awaiting an operator: shown as tentative.
    pub tentative: bool,
}

/// `20261207T100000Z`: iCalendar's UTC form of [`crate::clock::iso_utc`].
fn utc(secs: i64) -> String {
    crate::clock::iso_utc(secs).replace(['-', ':'], "") + "Z"
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped; other control characters
/// dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so no line is longer than 75 octets (a fold never splits a
/// character), ending in CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The calendar named `name` holding `events`, stamped `now`.
pub fn ics(name: &str, events: &[Event<'_>], now: i64) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Data Science Campus//Campus Portal//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("DTSTART:{}", utc(e.start)));
        line(&mut out, &format!("DTEND:{}", utc(e.end)));
        line(&mut out, &format!("SUMMARY:{}", text(e.summary)));
        line(&mut out, &format!("DESCRIPTION:{}", text(e.description)));
        line(&mut out, &format!("URL:{}", e.url));
        let status = if e.tentative {
            "TENTATIVE"
        } else {
            "CONFIRMED"
        };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Monday 2026-12-07 10:00 UTC.
    const TEN: i64 = 1_796_637_600;

    #[test]
    fn events_are_utc_escaped_and_folded_with_crlf() {
        let purpose = "Fine-tuning; a model, with \\ and\nnew lines and é".repeat(3);
        let e = Event {
            uid: "booking-7@campus-portal".into(),
            start: TEN,
            end: TEN + 7200,
            summary: "2 × NVIDIA A100 80GB for Vision",
            description: &purpose,
            url: "https://portal.example/bookings/7",
            tentative: true,
        };
        let cal = ics("Campus bookings", &[e], TEN - 86_400);
        assert!(
            cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
            "{cal}"
        );
        assert!(cal.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(cal.contains("\r\nDTSTART:20261207T100000Z\r\n"));
        assert!(cal.contains("\r\nDTEND:20261207T120000Z\r\n"));
        assert!(cal.contains("\r\nDTSTAMP:20261206T100000Z\r\n"));
        assert!(cal.contains("\r\nSTATUS:TENTATIVE\r\n"));
        assert!(
            !cal.replace("\r\n", "").contains('\n'),
            "bare newlines are escaped"
        );
        for l in cal.split("\r\n") {
            assert!(l.len() <= 75, "longer than 75 octets: {l:?}");
        }
        let unfolded = cal.replace("\r\n ", "");
        assert!(unfolded
            .contains("DESCRIPTION:Fine-tuning\\; a model\\, with \\\\ and\\nnew lines and é"));
    }
}
