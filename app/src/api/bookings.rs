//! Accelerator bookings as pages show them: a week of one device model, one booking, and the
//! choices the booking form offers.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCell {
    pub free: i64,
    /// The projects holding devices then, joined for reading.
    pub holders: String,
    /// Where to book this hour, when it is still to come and has a device free.
    pub book_href: Option<String>,
    /// "10:00 on Monday 7 December", for the link's accessible name.
    pub when: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekRow {
    pub hour: String,
    pub cells: Vec<WeekCell>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRow {
    pub id: i64,
    pub project: String,
    pub model: String,
    pub count: i64,
    pub when: String,
    pub state: String,
    pub booked_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekView {
    /// (model, label) for the chooser.
    pub models: Vec<(String, String)>,
    pub model: String,
    pub devices: i64,
    pub heading: String,
    pub week: String,
    pub previous_week: String,
    pub next_week: String,
    /// Column headings: "Mon 7 Dec".
    pub days: Vec<String>,
    pub rows: Vec<WeekRow>,
    pub bookings: Vec<BookingRow>,
    pub can_book: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub id: i64,
    pub project_id: i64,
    pub project: String,
    pub model: String,
    pub count: i64,
    pub when: String,
    pub purpose: String,
    pub state: String,
    pub reason: String,
    pub booked_by: String,
    pub devices: Vec<String>,
    pub reserved: bool,
    pub can_change: bool,
    pub can_decide: bool,
    /// The change form's starting values.
    pub date: String,
    pub start_hour: String,
    pub hours: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingChoices {
    /// (id, name) of projects the person may book for.
    pub projects: Vec<(String, String)>,
    /// (model, label).
    pub models: Vec<(String, String)>,
}

/// How a booking's state reads on a page.
pub fn state_label(state: &str) -> String {
    match state {
        "confirmed" => "Confirmed",
        "awaiting_approval" => "Awaiting an operator",
        "cancelled" => "Cancelled",
        "refused" => "Refused",
        "released" => "Released (not used)",
        other => other,
    }
    .to_owned()
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use campus_core::store::bookings::{Booking, Model};
    use time::OffsetDateTime;

    pub fn model_label(m: &Model) -> String {
        format!(
            "{} ({}, {} in service)",
            m.model,
            m.kind.to_uppercase(),
            m.devices
        )
    }

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// "Mon 7 Dec".
    pub fn day_heading(secs: i64) -> String {
        let t = at(secs);
        format!(
            "{} {} {}",
            &t.weekday().to_string()[..3],
            t.day(),
            &t.month().to_string()[..3]
        )
    }

    /// "Mon 7 Dec 2026", naming a week by its Monday.
    pub fn week_label(secs: i64) -> String {
        format!("{} {}", day_heading(secs), at(secs).year())
    }

    /// "7 Dec".
    pub fn short_day(secs: i64) -> String {
        let t = at(secs);
        format!("{} {}", t.day(), &t.month().to_string()[..3])
    }

    /// "Monday 7 December 2026".
    pub fn long_day(secs: i64) -> String {
        let t = at(secs);
        format!("{} {} {} {}", t.weekday(), t.day(), t.month(), t.year())
    }

    /// "Mon 7 Dec 2026, 10:00 to 12:00 UTC" (the end's day too when it differs).
    pub fn window(start: i64, end: i64) -> String {
        let (s, e) = (at(start), at(end));
        let end_day = if e.date() == s.date() {
            String::new()
        } else {
            format!("{} ", day_heading(end))
        };
        format!(
            "{} {}, {:02}:00 to {end_day}{:02}:00 UTC",
            day_heading(start),
            s.year(),
            s.hour(),
            e.hour()
        )
    }

    pub fn row(b: &Booking) -> super::BookingRow {
        super::BookingRow {
            id: b.id,
            project: b.project_name.clone(),
            model: b.model.clone(),
            count: b.count,
            when: window(b.starts_at, b.ends_at),
            state: super::state_label(&b.state),
            booked_by: b.booked_by_name.clone(),
        }
    }
}

/// One model's week: per hour, how many devices are free and who holds the rest.
#[server(prefix = "/_sf", endpoint = "get_booking_week")]
pub async fn get_booking_week(model: String, week: String) -> Result<WeekView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let now = campus_core::clock::now();
    let w = campus_core::services::bookings::week(&db, actor.as_ref(), &model, &week, now).await?;
    let devices = w.model.as_ref().map_or(0, |m| m.devices);
    let model = w
        .model
        .as_ref()
        .map(|m| m.model.clone())
        .unwrap_or_default();
    let date = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| campus_core::clock::format_date(t.date()))
            .unwrap_or_default()
    };
    let can_book = !w.projects.is_empty();
    let rows = w
        .grid
        .iter()
        .enumerate()
        .map(|(hour, slots)| WeekRow {
            hour: format!("{hour:02}:00"),
            cells: slots
                .iter()
                .map(|s| {
                    let free = (devices - s.held).max(0);
                    let bookable = can_book && free > 0 && s.start + 3600 > now;
                    WeekCell {
                        free,
                        holders: s.holders.join(", "),
                        book_href: bookable.then(|| {
                            format!(
                                "/bookings/new?model={}&date={}&start_hour={hour}",
                                crate::forms::url_encode(&model),
                                date(s.start)
                            )
                        }),
                        when: format!("{hour:02}:00 on {}", ssr::long_day(s.start)),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(WeekView {
        models: w
            .models
            .iter()
            .map(|m| (m.model.clone(), ssr::model_label(m)))
            .collect(),
        heading: format!("Week of {}", ssr::long_day(w.week_start)),
        week: date(w.week_start),
        previous_week: date(w.week_start - 7 * 86_400),
        next_week: date(w.week_start + 7 * 86_400),
        days: (0..7)
            .map(|d| ssr::day_heading(w.week_start + d * 86_400))
            .collect(),
        rows,
        bookings: w.bookings.iter().map(ssr::row).collect(),
        model,
        devices,
        can_book,
    })
}

/// What the booking form offers: the person's projects and the models in service.
#[server(prefix = "/_sf", endpoint = "get_booking_choices")]
pub async fn get_booking_choices() -> Result<BookingChoices, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let w = campus_core::services::bookings::week(
        &db,
        actor.as_ref(),
        "",
        "",
        campus_core::clock::now(),
    )
    .await?;
    Ok(BookingChoices {
        projects: w
            .projects
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        models: w
            .models
            .iter()
            .map(|m| (m.model.clone(), ssr::model_label(m)))
            .collect(),
    })
}

/// One booking, with what the person may do to it.
#[server(prefix = "/_sf", endpoint = "get_booking")]
pub async fn get_booking(id: i64) -> Result<BookingView, AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let b = campus_core::services::bookings::get(&db, actor.as_ref(), id).await?;
    let booking = b.booking;
    let live = booking.is_live() && booking.ends_at > campus_core::clock::now();
    let can_change = live
        && check(
            actor.as_ref(),
            Action::ChangeBooking,
            Object::Booking {
                booked_by: booking.booked_by,
                project_lead_id: booking.project_lead_id,
            },
        )
        .is_ok();
    let can_decide = booking.state == "awaiting_approval"
        && check(actor.as_ref(), Action::Operate, Object::Portal).is_ok();
    let start = time::OffsetDateTime::from_unix_timestamp(booking.starts_at)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Ok(BookingView {
        id,
        project_id: booking.project_id,
        project: booking.project_name.clone(),
        model: booking.model.clone(),
        count: booking.count,
        when: ssr::window(booking.starts_at, booking.ends_at),
        purpose: booking.purpose.clone(),
        state: state_label(&booking.state),
        reason: booking.reason.clone(),
        booked_by: booking.booked_by_name.clone(),
        devices: b
            .devices
            .iter()
            .map(|d| format!("{} (device {})", d.host, d.slot))
            .collect(),
        reserved: booking.state == "confirmed" && !booking.reserved.is_empty(),
        can_change,
        can_decide,
        date: campus_core::clock::format_date(start.date()),
        start_hour: start.hour().to_string(),
        hours: ((booking.ends_at - booking.starts_at) / 3600).to_string(),
    })
}
