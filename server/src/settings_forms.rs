//! Form posts for what operators set: an offering's policy and a project's quota.

use crate::actor_or_refuse;
use crate::flash::{back_to_form, notice, refused, see_other};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::services::settings::{self, PolicyInput};
use campus_core::CoreError;
use std::collections::BTreeMap;
use tower_sessions::Session;

/// A checkbox is in the post only when ticked.
fn ticked(f: &BTreeMap<String, String>, name: &str) -> bool {
    f.contains_key(name)
}

fn field(f: &BTreeMap<String, String>, name: &str) -> String {
    f.get(name).cloned().unwrap_or_default()
}

/// POST /operations/catalogue/{id}: changes an offering's policy (operators only).
pub async fn update_policy(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    let input = PolicyInput {
        needs_approval: ticked(&f, "needs_approval"),
        retired: ticked(&f, "retired"),
        default_days: field(&f, "default_days"),
        extension_days: field(&f, "extension_days"),
        max_extensions: field(&f, "max_extensions"),
        idle_stop_minutes: field(&f, "idle_stop_minutes"),
    };
    match settings::update_policy(&state.db, actor.as_ref(), id, &input).await {
        Ok(o) => {
            notice(&session, format!("Policy for {} saved.", o.name)).await;
            see_other("/operations/catalogue")
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "offering-policy",
                f,
                errors,
                &format!("/operations/catalogue/{id}"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /projects/{id}/quota: sets a project's quota (operators only).
pub async fn set_quota(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let actor = actor_or_refuse!(state, session);
    match settings::set_quota(&state.db, actor.as_ref(), id, &f).await {
        Ok(q) => {
            notice(&session, format!("Quota of {} saved.", q.project_name)).await;
            see_other(&format!("/projects/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "project-quota",
                f,
                errors,
                &format!("/projects/{id}/quota"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}
