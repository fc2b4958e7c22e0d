//! Form posts for what operators set: an offering's policy and a project's quota.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, field, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::services::settings::{self, OfferingInput, PolicyInput, SizeInput};
use campus_core::CoreError;
use std::collections::BTreeMap;
use tower_sessions::Session;

/// A checkbox is in the post only when ticked.
fn ticked(f: &BTreeMap<String, String>, name: &str) -> bool {
    f.contains_key(name)
}

/// POST /operations/catalogue/{id}: changes an offering's policy (operators only).
pub async fn update_policy(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
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

fn size_input(f: &BTreeMap<String, String>) -> SizeInput {
    SizeInput {
        code: field(f, "code"),
        label: field(f, "label"),
        cpu_cores: field(f, "cpu_cores"),
        ram_gb: field(f, "ram_gb"),
        gpus: field(f, "gpus"),
        storage_gb: field(f, "storage_gb"),
    }
}

/// POST /operations/catalogue: adds an offering (operators only).
pub async fn create_offering(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let input = OfferingInput {
        kind: field(&f, "kind"),
        name: field(&f, "name"),
        description: field(&f, "description"),
        program: field(&f, "program"),
        arguments: campus_core::requests::template::lines(&field(&f, "arguments")),
        needs_approval: ticked(&f, "needs_approval"),
        default_days: field(&f, "default_days"),
        size: size_input(&f),
    };
    let programs = crate::provision::availability::programs(&state.config.provisioning.workloads);
    match settings::create_offering(&state.db, actor.as_ref(), &input, &programs).await {
        Ok(id) => {
            notice(
                &session,
                format!(
                    "{} added to the catalogue. Set how it is extended below.",
                    input.name.trim()
                ),
            )
            .await;
            see_other(&format!("/operations/catalogue/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "new-offering",
                f,
                errors,
                "/operations/catalogue/new",
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/catalogue/{id}/sizes: adds a size (operators only).
pub async fn add_size(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let back = format!("/operations/catalogue/{id}");
    match settings::add_size(&state.db, actor.as_ref(), id, &size_input(&f)).await {
        Ok(o) => {
            notice(&session, format!("Size added to {}.", o.name)).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "offering-size", f, errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/catalogue/{id}/sizes/{code}/remove: removes a size (operators only).
pub async fn remove_size(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path((id, code)): Path<(i64, String)>,
) -> Response {
    let back = format!("/operations/catalogue/{id}");
    match settings::remove_size(&state.db, actor.as_ref(), id, &code).await {
        Ok(o) => {
            notice(&session, format!("Size {code} removed from {}.", o.name)).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "offering-size", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /projects/{id}/quota: sets a project's quota (operators only).
pub async fn set_quota(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
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
