//! Status banners operators publish: what kind, what it says, and when it shows.

use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

pub const MAX_MESSAGE: usize = 300;
/// Longest an announcement may show, in days.
pub const MAX_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Information,
    Maintenance,
    Incident,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Information, Kind::Maintenance, Kind::Incident];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Information => "information",
            Kind::Maintenance => "maintenance",
            Kind::Incident => "incident",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Information => "Information",
            Kind::Maintenance => "Planned maintenance",
            Kind::Incident => "Incident",
        }
    }
}

/// A checked announcement, ready to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct New {
    pub kind: Kind,
    pub message: String,
    pub starts_at: i64,
    pub expires_at: i64,
}

/// The form's fields as typed: start and end as `YYYY-MM-DDTHH:MM` (UTC), the start optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Form {
    pub kind: String,
    pub message: String,
    pub starts: String,
    pub expires: String,
}

fn when(raw: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(raw.trim(), &fmt)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

pub fn parse(form: &Form, now: i64) -> Result<New, FieldErrors> {
    let mut e = FieldErrors::new();
    let kind = Kind::parse(&form.kind);
    if kind.is_none() {
        e.add("kind", "Choose what kind of announcement this is");
    }
    let message = form
        .message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if message.is_empty() {
        e.add("message", "Enter the message to show");
    } else if message.chars().count() > MAX_MESSAGE {
        e.add(
            "message",
            format!("The message must be {MAX_MESSAGE} characters or fewer"),
        );
    }
    let starts_at = if form.starts.trim().is_empty() {
        Some(now)
    } else {
        let s = when(&form.starts);
        if s.is_none() {
            e.add(
                "starts",
                "Enter the start as a date and time, for example 2026-12-01T18:00",
            );
        }
        s
    };
    let expires_at = when(&form.expires);
    match (starts_at, expires_at) {
        (_, None) => e.add(
            "expires",
            "Enter when it stops showing, for example 2026-12-01T20:00",
        ),
        (Some(s), Some(x)) if x <= s.max(now) => e.add(
            "expires",
            "The end must be after the start and in the future",
        ),
        (Some(s), Some(x)) if x - s > MAX_DAYS * 86_400 => e.add(
            "expires",
            format!("An announcement can show for at most {MAX_DAYS} days"),
        ),
        _ => {}
    }
    match (kind, starts_at, expires_at, e.is_empty()) {
        (Some(kind), Some(starts_at), Some(expires_at), true) => Ok(New {
            kind,
            message,
            starts_at,
            expires_at,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const NOW: i64 = 1_795_000_000; // 2026-11-18T11:06:40Z

    fn form() -> Form {
        Form {
            kind: "maintenance".into(),
            message: "  JupyterLab restarts   at 18:00. ".into(),
            starts: String::new(),
            expires: "2026-11-18T20:00".into(),
        }
    }

    #[test]
    fn a_good_form_starts_now_unless_told() {
        let n = parse(&form(), NOW).unwrap();
        assert_eq!(n.kind, Kind::Maintenance);
        assert_eq!(n.message, "JupyterLab restarts at 18:00.");
        assert_eq!(n.starts_at, NOW);
        assert_eq!(n.expires_at, 1_795_032_000);
    }

    #[test]
    fn bad_forms_name_each_problem() {
        let e = parse(
            &Form {
                kind: "party".into(),
                message: " ".into(),
                starts: "tomorrow".into(),
                expires: "x".into(),
            },
            NOW,
        )
        .unwrap_err();
        for f in ["kind", "message", "starts", "expires"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let past = Form {
            expires: "2020-01-01T00:00".into(),
            ..form()
        };
        assert!(parse(&past, NOW)
            .unwrap_err()
            .get("expires")
            .unwrap()
            .contains("future"));
        let long = Form {
            expires: "2027-12-01T00:00".into(),
            ..form()
        };
        assert!(parse(&long, NOW)
            .unwrap_err()
            .get("expires")
            .unwrap()
            .contains("90 days"));
        let big = Form {
            message: "x".repeat(MAX_MESSAGE + 1),
            ..form()
        };
        assert!(parse(&big, NOW).unwrap_err().get("message").is_some());
    }
}
