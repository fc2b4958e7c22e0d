//! Local accounts: user name and argon2id password, throttled per user name.

use crate::flash::{back_to_form, internal, safe_next, see_other};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Form;
use campus_core::services::accounts;
use campus_core::{CoreError, FieldErrors};
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// POST /auth/local/sign-in: signs in and goes to `next`, or back to the form with a message.
pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let retry = format!(
        "/sign-in?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let mut values = BTreeMap::new();
    values.insert("username".to_owned(), form.username.clone());
    let errors =
        match accounts::sign_in_local(&state.db, state.throttle(), &form.username, &form.password)
            .await
        {
            Ok(user) => {
                if let Err(e) = crate::auth::establish(&session, user.id, &headers).await {
                    return internal(e);
                }
                tracing::info!(user_id = user.id, "signed in with a local account");
                return see_other(&next);
            }
            Err(CoreError::Invalid(errors)) => errors,
            Err(CoreError::BadCredentials) => {
                let mut e = FieldErrors::new();
                e.add("username", "The user name or password is not correct");
                e
            }
            Err(CoreError::Throttled { retry_after_secs }) => {
                let minutes = (retry_after_secs + 59) / 60;
                let mut e = FieldErrors::new();
                e.add(
                    "username",
                    format!(
                    "Too many failed attempts for this user name. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
                );
                e
            }
            Err(other) => return internal(other),
        };
    back_to_form(&session, "sign-in", values, errors, &retry).await
}
