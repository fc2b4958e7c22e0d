//! Handlers for the portal's form posts. Each finds the actor, calls one core service, and
//! answers 303: to the next page with a notice, or back to the form with what was typed.

use crate::state::AppState;
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::authz::Actor;
use campus_core::services::{accounts, projects, users};
use campus_core::CoreError;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

/// The signed-in actor behind this session, if any.
pub async fn session_actor(
    state: &AppState,
    session: &Session,
) -> Result<Option<Actor>, CoreError> {
    match session.get::<i64>(app::forms::keys::USER_ID).await {
        Ok(Some(id)) => accounts::actor(&state.db, id).await,
        Ok(None) => Ok(None),
        Err(e) => Err(CoreError::Internal(e.to_string())),
    }
}

#[macro_export]
macro_rules! actor_or_refuse {
    ($state:expr, $session:expr) => {
        match $crate::web::forms::session_actor(&$state, &$session).await {
            Ok(a) => a,
            Err(e) => return $crate::web::flash::refused(e),
        }
    };
}

#[derive(Deserialize)]
pub struct NewProjectForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    end_date: String,
}

/// POST /projects: starts a project led by the signed-in person.
pub async fn create_project(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<NewProjectForm>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    let input = projects::ProjectInput {
        name: f.name,
        summary: f.summary,
        end_date: f.end_date,
    };
    match projects::create(&state.db, actor.as_ref(), &input).await {
        Ok(id) => {
            notice(
                &session,
                format!(
                    "Project \u{201c}{}\u{201d} started. Add its members below.",
                    input.name.trim()
                ),
            )
            .await;
            see_other(&format!("/projects/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            let values = BTreeMap::from([
                ("name".to_owned(), input.name),
                ("summary".to_owned(), input.summary),
                ("end_date".to_owned(), input.end_date),
            ]);
            back_to_form(&session, "new-project", values, errors, "/projects/new").await
        }
        Err(e) => refused(e),
    }
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    username: String,
}

/// POST /projects/{id}/members: adds a member (project lead or admin only).
pub async fn add_member(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<AddMemberForm>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    let back = format!("/projects/{id}");
    match projects::add_member(&state.db, actor.as_ref(), id, &f.username).await {
        Ok(m) => {
            notice(&session, format!("{} is now a member.", m.display_name)).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "add-member",
                BTreeMap::from([("username".to_owned(), f.username)]),
                errors,
                &back,
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /projects/{id}/members/{user_id}/remove: removes a member (project lead or admin only).
pub async fn remove_member(
    State(state): State<AppState>,
    session: Session,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    let back = format!("/projects/{id}");
    match projects::remove_member(&state.db, actor.as_ref(), id, user_id).await {
        Ok(()) => {
            notice(&session, "The member was removed.").await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "add-member", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /account/tokens: makes a personal access token, shown once on the account page.
/// Browsers send one `scopes` field per ticked box, so the body is read as pairs.
pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
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
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    match accounts::revoke_token(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            notice(&session, "The token was revoked: it no longer works.").await;
            see_other("/account")
        }
        Err(e) => refused(e),
    }
}

/// POST /account/sign-out-everywhere: ends every session of this person, this one included.
pub async fn sign_out_everywhere(State(state): State<AppState>, session: Session) -> Response {
    let actor = actor_or_refuse!(state, session);
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
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
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
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<UnixAccountForm>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
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
