//! Form posts about people's accounts: their tokens, signing out everywhere, and the roles and
//! Unix accounts administrators set.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::services::{accounts, users};
use campus_core::CoreError;
use std::collections::BTreeMap;
use tower_sessions::Session;

/// POST /account/tokens: makes a personal access token, shown once on the account page.
/// Browsers send one `scopes` field per ticked box, so the body is read as pairs.
pub async fn create_token(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (name, days) = (field("name"), field("days"));
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scopes")
        .map(|(_, v)| v.clone())
        .collect();
    let new = accounts::NewToken {
        name: &name,
        days: &days,
        scopes: &scopes,
    };
    let signed_in_at: Option<i64> = session
        .get(app::forms::keys::SIGNED_IN_AT)
        .await
        .ok()
        .flatten();
    match accounts::create_token(
        &state.db,
        actor.as_ref(),
        new,
        state.config.token_lifetime,
        signed_in_at,
    )
    .await
    {
        Ok(secret) => {
            if let Err(e) = session.insert(app::forms::keys::NEW_TOKEN, secret).await {
                return crate::web::flash::internal(e);
            }
            see_other("/account")
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "new-token",
                BTreeMap::from([
                    ("name".to_owned(), name),
                    ("days".to_owned(), days),
                    ("scopes".to_owned(), scopes.join(" ")),
                ]),
                errors,
                "/account",
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /account/tokens/{id}/revoke
pub async fn revoke_token(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    match accounts::revoke_token(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            notice(&session, "The token was revoked: it no longer works.").await;
            see_other("/account")
        }
        Err(e) => refused(e),
    }
}

/// POST /account/sign-out-everywhere: ends every session of this person, this one included.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
) -> Response {
    match accounts::sign_out_everywhere(&state.db, actor.as_ref()).await {
        Ok(_) => {
            // The current record is already gone from the store; forget it here too.
            let _ = session.flush().await;
            see_other("/")
        }
        Err(e) => refused(e),
    }
}

/// POST /admin/users/{id}/roles: replaces the roles granted in the portal (admins only).
/// Browsers send one `roles` field per ticked box, so the body is read as pairs.
pub async fn set_roles(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let roles: Vec<String> = pairs
        .into_iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| v)
        .collect();
    let signed_in_at: Option<i64> = session
        .get(app::forms::keys::SIGNED_IN_AT)
        .await
        .ok()
        .flatten();
    match users::set_roles(&state.db, actor.as_ref(), id, &roles, signed_in_at).await {
        Ok(()) => {
            notice(&session, "Roles saved.").await;
            see_other("/admin/users")
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "roles",
                BTreeMap::new(),
                errors,
                &format!("/admin/users/{id}"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

#[derive(serde::Deserialize)]
pub struct UnixAccountForm {
    #[serde(default)]
    unix_account: String,
}

/// POST /admin/users/{id}/unix-account: maps a person to the Unix account their workloads run
/// as, or removes the mapping (operators and administrators).
pub async fn set_unix_account(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<UnixAccountForm>,
) -> Response {
    match users::set_unix_account(&state.db, actor.as_ref(), id, &f.unix_account).await {
        Ok(()) => {
            let said = if f.unix_account.trim().is_empty() {
                "Unix account mapping removed."
            } else {
                "Unix account saved."
            };
            notice(&session, said).await;
            see_other(&format!("/admin/users/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "unix_account",
                BTreeMap::from([("unix_account".to_owned(), f.unix_account)]),
                errors,
                &format!("/admin/users/{id}"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}
