//! Local accounts: user name and argon2id password; failures are throttled by name and address,
//! by address and overall (`campus_core::throttle`).

use crate::auth::address::ClientAddress;
use crate::state::AppState;
use crate::web::flash::{back_to_form, internal, see_other};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use campus_core::services::accounts;
use campus_core::throttle::Limit;
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

/// POST /auth/local/sign-in: signs in and goes to `next`, or back to the form with a message;
/// too many failures get 429 with `Retry-After`.
pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ClientAddress(address): ClientAddress,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = crate::auth::redirect::after_sign_in(&state.config.public_url, form.next.as_deref());
    let retry = format!(
        "/sign-in?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let mut values = BTreeMap::new();
    values.insert("username".to_owned(), form.username.clone());
    let errors = match accounts::sign_in_local(
        &state.db,
        state.throttle(),
        &address,
        &form.username,
        &form.password,
    )
    .await
    {
        Ok(user) => {
            if let Err(e) = crate::auth::establish(&session, user.id, &headers).await {
                return internal(e);
            }
            tracing::info!(user_id = user.id, "signed in with a local account");
            match campus_core::store::users::must_change_password(&state.db, user.id).await {
                Ok(false) => {}
                Ok(true) => {
                    if let Err(e) = session
                        .insert(app::forms::keys::MUST_CHANGE_PASSWORD, true)
                        .await
                    {
                        return internal(e);
                    }
                    return see_other(crate::auth::password::PAGE);
                }
                Err(e) => return internal(e),
            }
            return see_other(&next);
        }
        Err(CoreError::Invalid(errors)) => errors,
        Err(CoreError::BadCredentials) => {
            let mut e = FieldErrors::new();
            e.add("username", "The user name or password is not correct");
            e
        }
        Err(CoreError::Throttled {
            retry_after_secs,
            limit,
        }) => {
            tracing::warn!(%address, ?limit, "sign-in throttled");
            return throttled(retry_after_secs, limit);
        }
        Err(other) => return internal(other),
    };
    back_to_form(&session, "sign-in", values, errors, &retry).await
}

/// 429 with `Retry-After`, saying which count was reached: whether trying from elsewhere helps
/// is the person's to know, as the attacker knows it anyway.
fn throttled(retry_after_secs: i64, limit: Limit) -> Response {
    let minutes = (retry_after_secs + 59) / 60;
    let wait = format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" });
    let why = match limit {
        Limit::NameFromAddress => {
            "There have been too many failed attempts for this user name from your address."
        }
        Limit::Address => "There have been too many failed sign-ins from your address.",
        Limit::Overall => {
            "The portal is refusing sign-ins for a while after many failed attempts from many places."
        }
    };
    let mut res = (
        StatusCode::TOO_MANY_REQUESTS,
        crate::web::error_page::html(
            "Too many sign-in attempts",
            &format!("{why} Try again in {wait}."),
        ),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}
