//! Form posts for accelerator bookings: book, move, cancel, and operators' decisions.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, field, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::clock::{format_utc, now};
use campus_core::services::bookings::{self, BookingInput};
use campus_core::CoreError;
use std::collections::BTreeMap;
use tower_sessions::Session;

fn input(f: &BTreeMap<String, String>) -> BookingInput {
    BookingInput {
        model: field(f, "model"),
        count: field(f, "count"),
        date: field(f, "date"),
        start_hour: field(f, "start_hour"),
        hours: field(f, "hours"),
        purpose: field(f, "purpose"),
    }
}

/// POST /bookings: books devices for one of the person's projects.
pub async fn book(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let Ok(project) = field(&f, "project").trim().parse::<i64>() else {
        let mut errors = campus_core::error::FieldErrors::new();
        errors.add("project", "Choose the project the booking is for.");
        return back_to_form(&session, "booking", f, errors, "/bookings/new").await;
    };
    match bookings::book(&state.db, actor.as_ref(), project, &input(&f), now()).await {
        Ok(b) => {
            let b = b.booking;
            let text = if b.state == "confirmed" {
                format!(
                    "Booked: {} × {} from {}, confirmed.",
                    b.count,
                    b.model,
                    format_utc(b.starts_at)
                )
            } else {
                format!(
                    "Booked, and waiting for an operator because {}. You will be told their decision.",
                    b.reason
                )
            };
            notice(&session, text).await;
            see_other(&format!("/bookings/{}", b.id))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "booking", f, errors, "/bookings/new").await
        }
        Err(e) => refused(e),
    }
}

/// POST /bookings/{id}/change: moves a booking.
pub async fn change(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    match bookings::change(&state.db, actor.as_ref(), id, &input(&f), now()).await {
        Ok(b) => {
            notice(
                &session,
                format!("Moved: now from {}.", format_utc(b.booking.starts_at)),
            )
            .await;
            see_other(&format!("/bookings/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "booking-change",
                f,
                errors,
                &format!("/bookings/{id}"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /bookings/{id}/cancel
pub async fn cancel(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let done = bookings::cancel(&state.db, actor.as_ref(), id, now()).await;
    after_decision(
        &session,
        id,
        done,
        "Cancelled: its devices are free for others.",
    )
    .await
}

/// POST /bookings/{id}/approve (operators)
pub async fn approve(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let done = bookings::approve(&state.db, actor.as_ref(), id, now()).await;
    after_decision(
        &session,
        id,
        done,
        "Confirmed: the person who booked is told.",
    )
    .await
}

/// POST /bookings/{id}/refuse (operators)
pub async fn refuse(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    match bookings::refuse(&state.db, actor.as_ref(), id, &field(&f, "reason"), now()).await {
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "booking-change",
                f,
                errors,
                &format!("/bookings/{id}"),
            )
            .await
        }
        done => {
            after_decision(
                &session,
                id,
                done,
                "Refused: the person who booked is told.",
            )
            .await
        }
    }
}

async fn after_decision<T>(
    session: &Session,
    id: i64,
    done: Result<T, CoreError>,
    text: &str,
) -> Response {
    match done {
        Ok(_) => {
            notice(session, text).await;
            see_other(&format!("/bookings/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            let why = errors.0.first().map(|(_, m)| m.clone()).unwrap_or_default();
            notice(session, why).await;
            see_other(&format!("/bookings/{id}"))
        }
        Err(e) => refused(e),
    }
}

/// POST /projects/{id}/booking-limits: sets a project's booking limits (operators).
pub async fn set_limits(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let input = bookings::LimitsInput {
        hours_per_week: field(&f, "hours_per_week"),
        longest_hours: field(&f, "longest_hours"),
        ahead_days: field(&f, "ahead_days"),
    };
    match bookings::set_limits(&state.db, actor.as_ref(), id, &input, now()).await {
        Ok(_) => {
            notice(&session, "Booking limits saved.").await;
            see_other(&format!("/projects/{id}/quota"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "booking-limits",
                f,
                errors,
                &format!("/projects/{id}/quota"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// GET /calendar/{secret}: the calendar feed of the secret's owner's project bookings
/// (iCalendar). Calendar programs fetch it with no session, so the secret alone opens it; an
/// unknown or stopped one is not found.
pub async fn calendar_feed(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    match bookings::feed(&state.db, &secret, &state.config.public_url, now()).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            ics,
        )
            .into_response(),
        Err(CoreError::NotFound(_)) => (
            StatusCode::NOT_FOUND,
            "No calendar at this address: it was stopped, or replaced by a newer one.\n",
        )
            .into_response(),
        Err(e) => refused(e),
    }
}

/// POST /account/calendar: makes the person a new calendar feed address, shown once.
pub async fn make_feed(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
) -> Response {
    match bookings::make_feed(&state.db, actor.as_ref(), now()).await {
        Ok(secret) => {
            let address = format!(
                "{}/calendar/{secret}",
                state.config.public_url.trim_end_matches('/')
            );
            if let Err(e) = session
                .insert(app::forms::keys::NEW_CALENDAR, address)
                .await
            {
                return crate::web::flash::internal(e);
            }
            see_other("/account#calendar")
        }
        Err(e) => refused(e),
    }
}

/// POST /account/calendar/stop: the feed's address stops working.
pub async fn stop_feed(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
) -> Response {
    match bookings::stop_feed(&state.db, actor.as_ref()).await {
        Ok(_) => {
            notice(
                &session,
                "Calendar address stopped: calendars using it get nothing more.",
            )
            .await;
            see_other("/account#calendar")
        }
        Err(e) => refused(e),
    }
}
