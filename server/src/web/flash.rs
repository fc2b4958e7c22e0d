//! Post/redirect/get: what a form handler leaves in the session for the page it sends people to.

use app::forms::{keys, FormState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use campus_core::{CoreError, FieldErrors};
use std::collections::BTreeMap;
use tower_sessions::Session;

/// 303 See Other: the browser follows with a GET, so a reload never re-posts.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// One posted field's value, empty when the form did not send it: every form post reads its
/// fields this way, so a missing field is checked as an empty one.
pub fn field(f: &BTreeMap<String, String>, name: &str) -> String {
    f.get(name).cloned().unwrap_or_default()
}

pub async fn notice(session: &Session, text: impl Into<String>) {
    if let Err(e) = session.insert(keys::NOTICE, text.into()).await {
        tracing::error!(error = %e, "could not keep a notice in the session");
    }
}

/// Keeps the typed values (never passwords) and the messages, then sends the person back.
pub async fn back_to_form(
    session: &Session,
    form_id: &str,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    to: &str,
) -> Response {
    let state = FormState {
        values,
        errors: errors.0,
    };
    if let Err(e) = session.insert(&keys::form(form_id), state).await {
        tracing::error!(error = %e, "could not keep form state in the session");
    }
    see_other(to)
}

/// The usual ending of a form post: a notice and the page `done`, or the messages back on
/// `form_id`'s form at `back` with what was typed, or the refusal.
pub async fn finish(
    session: &Session,
    result: Result<String, CoreError>,
    form_id: &str,
    values: BTreeMap<String, String>,
    back: &str,
    done: &str,
) -> Response {
    match result {
        Ok(text) => {
            notice(session, text).await;
            see_other(done)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(session, form_id, values, errors, back).await
        }
        Err(e) => refused(e),
    }
}

/// The answer to a form post whose service call failed for a reason that is not the fields.
pub fn refused(e: CoreError) -> Response {
    use campus_core::authz::Denied;
    match e {
        CoreError::Denied(Denied::NotSignedIn) => see_other("/sign-in"),
        CoreError::Denied(Denied::Forbidden(why)) => (
            StatusCode::FORBIDDEN,
            crate::web::error_page::html(
                "You do not have permission to do this",
                &format!("Nothing was changed: {why}."),
            ),
        )
            .into_response(),
        CoreError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            crate::web::error_page::html(
                "Page not found",
                &format!("The {what} you asked for does not exist. Nothing was changed."),
            ),
        )
            .into_response(),
        other => internal(other),
    }
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        crate::web::error_page::html(
            "Sorry, there is a problem with the service",
            "Nothing you entered has been half-saved. Try again in a few minutes.",
        ),
    )
        .into_response()
}
