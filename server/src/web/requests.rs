//! Form posts about resources: requests, decisions, changes, re-drives, notifications. Each
//! calls one core service and answers 303, keeping what was typed when a field was wrong.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::services::operations;
use campus_core::services::resources::{self, Decision, RequestInput, Submitted, UserAction};
use campus_core::{CoreError, FieldErrors};
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    choice: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    site: String,
}

impl RequestForm {
    fn values(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("choice".to_owned(), self.choice.clone()),
            ("size".to_owned(), self.size.clone()),
            ("end_date".to_owned(), self.end_date.clone()),
            ("purpose".to_owned(), self.purpose.clone()),
            ("visibility".to_owned(), self.visibility.clone()),
            ("site".to_owned(), self.site.clone()),
        ])
    }
}

/// The form shows offering and size as one choice; the service names them apart.
fn onto_choice(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, message) in errors.0 {
        let field = if field == "offering_id" || field == "size" {
            "choice"
        } else {
            field.as_str()
        };
        out.add(field, message);
    }
    out
}

fn submitted_notice(outcome: &Submitted) -> String {
    match outcome {
        Submitted::AutoApproved => {
            "Request approved: it is within your project's quota. It is being set up now.".into()
        }
        Submitted::AwaitingDecision(why) => format!(
            "Request sent to an operator for a decision because {}. You will be notified.",
            why.join("; ")
        ),
    }
}

/// POST /projects/{id}/requests
pub async fn submit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(project_id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> Response {
    let (offering_id, size) = match f.choice.split_once(':') {
        Some((o, s)) => (o.to_owned(), s.to_owned()),
        None => (f.choice.clone(), String::new()),
    };
    let input = RequestInput {
        project_id,
        offering_id,
        size,
        end_date: f.end_date.clone(),
        purpose: f.purpose.clone(),
        visibility: f.visibility.clone(),
        site: f.site.clone(),
    };
    match resources::submit(&state.db, actor.as_ref(), &input).await {
        Ok((id, outcome)) => {
            notice(&session, submitted_notice(&outcome)).await;
            see_other(&format!("/requests/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "new-request",
                f.values(),
                onto_choice(errors),
                &format!("/projects/{project_id}/requests/new"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

/// POST /requests/{id}/resubmit
pub async fn resubmit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> Response {
    let input = RequestInput {
        project_id: 0,
        offering_id: String::new(),
        size: f.size.clone(),
        end_date: f.end_date.clone(),
        purpose: f.purpose.clone(),
        visibility: f.visibility.clone(),
        site: f.site.clone(),
    };
    match resources::resubmit(&state.db, actor.as_ref(), id, &input).await {
        Ok(outcome) => {
            notice(&session, submitted_notice(&outcome)).await;
            see_other(&format!("/requests/{id}"))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(
                &session,
                "request-action",
                f.values(),
                errors,
                &format!("/requests/{id}"),
            )
            .await
        }
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

/// POST /requests/{id}/decision
pub async fn decide(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let back = format!("/requests/{id}");
    let values = BTreeMap::from([
        ("decision".to_owned(), f.decision.clone()),
        ("reason".to_owned(), f.reason.clone()),
    ]);
    let decision = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: f.reason.clone(),
        },
        "changes" => Decision::RequestChanges {
            comment: f.reason.clone(),
        },
        _ => {
            let mut e = FieldErrors::new();
            e.add("decision", "Choose approve, ask for changes or reject");
            return back_to_form(&session, "request-action", values, e, &back).await;
        }
    };
    match resources::decide(&state.db, actor.as_ref(), id, decision).await {
        Ok(to) => {
            notice(
                &session,
                format!(
                    "Decision recorded: the request is now {}.",
                    to.label().to_lowercase()
                ),
            )
            .await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "request-action", values, errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /requests/{id}/actions/{action}: stop, start, extend, retry or decommission.
pub async fn act(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path((id, action)): Path<(i64, String)>,
) -> Response {
    let back = format!("/requests/{id}");
    let Some(action) = UserAction::parse(&action) else {
        return refused(CoreError::NotFound("action"));
    };
    match resources::act(&state.db, actor.as_ref(), id, action).await {
        Ok(message) => {
            notice(&session, message).await;
            see_other(&back)
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "request-action", BTreeMap::new(), errors, &back).await
        }
        Err(e) => refused(e),
    }
}

/// POST /operations/jobs/{id}/redrive
pub async fn redrive(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    match operations::redrive(&state.db, actor.as_ref(), id).await {
        Ok(()) => {
            notice(&session, format!("Job {id} is queued again.")).await;
            see_other("/operations")
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "redrive", BTreeMap::new(), errors, "/operations").await
        }
        Err(e) => refused(e),
    }
}

/// POST /notifications/read
pub async fn mark_read(State(state): State<AppState>, Acting(actor): Acting) -> Response {
    match operations::mark_notifications_read(&state.db, actor.as_ref()).await {
        Ok(_) => see_other("/notifications"),
        Err(e) => refused(e),
    }
}
