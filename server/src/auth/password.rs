//! Changing one's own password (local accounts). The first-start administrator signs in with a
//! one-time password and is held on this page until they choose their own.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, internal, notice, refused, see_other};
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use campus_core::services::accounts;
use campus_core::CoreError;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

/// The page (and the form's target).
pub const PAGE: &str = "/account/password";

/// What a person who must change their password may still reach: this page and its data, sign
/// out, the client bundle, styles and fonts.
pub fn allowed_before_change(path: &str) -> bool {
    path == PAGE
        || path == "/auth/sign-out"
        || path.starts_with("/_sf/")
        || path.starts_with("/pkg/")
        || path.starts_with("/css/")
        || path.starts_with("/fonts/")
        || path.starts_with("/img/")
        || path == "/app.css"
        || path == "/favicon.ico"
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// POST /account/password
pub async fn change(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<PasswordForm>,
) -> Response {
    let Some(this) = session.id().map(|id| id.to_string()) else {
        return see_other("/sign-in");
    };
    let change = accounts::PasswordChange {
        current: &f.current_password,
        new: &f.new_password,
        confirm: &f.confirm_password,
    };
    match accounts::change_password(&state.db, actor.as_ref(), change, &this).await {
        Ok(ended) => {
            if let Err(e) = session
                .remove::<bool>(app::forms::keys::MUST_CHANGE_PASSWORD)
                .await
            {
                return internal(e);
            }
            let others = match ended {
                0 => String::new(),
                1 => " Your other session was signed out.".to_owned(),
                n => format!(" Your {n} other sessions were signed out."),
            };
            notice(&session, &format!("Your password was changed.{others}")).await;
            see_other("/account")
        }
        // Passwords are never typed back into a page.
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "password", BTreeMap::new(), errors, PAGE).await
        }
        Err(e) => refused(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_password_page_and_what_it_is_made_of_stay_open() {
        for open in [
            "/account/password",
            "/auth/sign-out",
            "/pkg/campus_portal.wasm",
            "/_sf/get_password_page",
        ] {
            assert!(super::allowed_before_change(open), "{open}");
        }
        for held in [
            "/",
            "/account",
            "/account/tokens",
            "/admin/users/1/roles",
            "/api/v1/me",
            "/w/cp-1/",
        ] {
            assert!(!super::allowed_before_change(held), "{held}");
        }
    }
}
