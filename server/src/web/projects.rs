//! Form posts about projects: starting one, adding and removing members.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::services::projects;
use campus_core::CoreError;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

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
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<NewProjectForm>,
) -> Response {
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
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<AddMemberForm>,
) -> Response {
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
    Acting(actor): Acting,
    session: Session,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Response {
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
