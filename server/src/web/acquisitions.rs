//! Form posts for data acquisitions: the applicant's sections, assessment, submission and
//! withdrawal; reviewers' assignment, data control, ethics review, changes and decisions.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, field, finish, notice, refused, see_other};
use app::forms::keys;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::acquisitions::decision::Verdict;
use campus_core::acquisitions::sections::Section;
use campus_core::services::acquisitions::{
    self as svc, DataControlInput, DataControlOutcome, Decided, EthicsStep,
};
use campus_core::{CoreError, FieldErrors};
use std::collections::BTreeMap;
use tower_sessions::Session;

type Fields = BTreeMap<String, String>;

fn page(id: i64) -> String {
    format!("/acquisitions/{id}")
}

/// POST /acquisitions: starts an application.
pub async fn start(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Form(f): Form<Fields>,
) -> Response {
    match svc::start(&state.db, actor.as_ref(), &field(&f, "title")).await {
        Ok(id) => {
            notice(
                &session,
                "Application started. Complete each section; your answers are saved as you go.",
            )
            .await;
            see_other(&page(id))
        }
        Err(CoreError::Invalid(errors)) => {
            back_to_form(&session, "new-acquisition", f, errors, "/acquisitions").await
        }
        Err(e) => refused(e),
    }
}

/// POST /acquisitions/{id}/sections/{slug}: saves one section.
pub async fn save_section(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path((id, slug)): Path<(i64, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let Some(section) = Section::parse(&slug) else {
        return refused(CoreError::NotFound("section"));
    };
    let result = svc::save_section(&state.db, actor.as_ref(), id, section, &f)
        .await
        .map(|_| format!("{} saved.", section.title()));
    let back = format!("/acquisitions/{id}/sections/{slug}");
    finish(&session, result, "acquisition-section", f, &back, &page(id)).await
}

/// POST /acquisitions/{id}/ethics: saves the ethics self-assessment.
pub async fn save_ethics(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let result = svc::save_ethics(&state.db, actor.as_ref(), id, &f)
        .await
        .map(|_| "Ethics self-assessment saved.".to_owned());
    let back = format!("/acquisitions/{id}/ethics");
    finish(&session, result, "acquisition-ethics", f, &back, &page(id)).await
}

/// POST /acquisitions/{id}/submit: submits a complete application; each gap is listed and
/// links to its section.
pub async fn submit(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let result = svc::submit(&state.db, actor.as_ref(), id)
        .await
        .map(|_| "Application submitted to data control.".to_owned())
        .map_err(|e| match e {
            // Gaps are named `section/field`: link each to its field on the section's page.
            CoreError::Invalid(errors) => CoreError::Invalid(FieldErrors(
                errors
                    .0
                    .into_iter()
                    .map(|(f, m)| match f.split_once('/') {
                        Some(("ethics", field)) => {
                            (format!("/acquisitions/{id}/ethics#{field}"), m)
                        }
                        Some((slug, field)) => {
                            (format!("/acquisitions/{id}/sections/{slug}#{field}"), m)
                        }
                        None => (f, m),
                    })
                    .collect(),
            )),
            other => other,
        });
    finish(
        &session,
        result,
        "acquisition",
        Fields::new(),
        &page(id),
        &page(id),
    )
    .await
}

/// POST /acquisitions/{id}/withdraw
pub async fn withdraw(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let result = svc::withdraw(&state.db, actor.as_ref(), id)
        .await
        .map(|_| "Application withdrawn.".to_owned());
    finish(
        &session,
        result,
        "acquisition",
        Fields::new(),
        &page(id),
        &page(id),
    )
    .await
}

/// POST /acquisitions/{id}/amend: an approved application back to its applicant to amend or
/// renew.
pub async fn amend(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let result = svc::amend(&state.db, actor.as_ref(), id).await.map(|_| {
        "Amendment started: change the sections, then submit it for review. The approved terms stand meanwhile.".to_owned()
    });
    finish(
        &session,
        result,
        "acquisition",
        Fields::new(),
        &page(id),
        &page(id),
    )
    .await
}

/// POST /acquisitions/{id}/assign: a reviewer takes the current phase.
pub async fn assign(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let result = svc::assign_me(&state.db, actor.as_ref(), id)
        .await
        .map(|_| "This phase is assigned to you.".to_owned());
    finish(
        &session,
        result,
        "acquisition",
        Fields::new(),
        &page(id),
        &page(id),
    )
    .await
}

/// POST /acquisitions/{id}/data-control: the legal gateway and data control's classification.
pub async fn data_control(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let input = DataControlInput {
        lawful_basis: field(&f, "lawful_basis"),
        legislation: field(&f, "legislation"),
        agreement_ref: field(&f, "agreement_ref"),
        classification: field(&f, "classification"),
    };
    let result = svc::record_data_control(&state.db, actor.as_ref(), id, &input)
        .await
        .map(|o| match o {
            DataControlOutcome::Passed => {
                "Data control recorded: the application is with ethics review.".to_owned()
            }
            DataControlOutcome::Disagree { applicant, reviewer } => format!(
                "Data control recorded, but the classifications differ (applicant: {applicant}; yours: {reviewer}). Agree one with the applicant: change yours, or request changes to the data section."
            ),
            DataControlOutcome::Refused { reason } => {
                format!("The application is refused for the Campus network: {reason}.")
            }
        });
    finish(&session, result, "acquisition", f, &page(id), &page(id)).await
}

/// POST /acquisitions/{id}/ethics-review: clear, or refer to the national committee.
pub async fn ethics_review(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let step = if field(&f, "step") == "refer" {
        EthicsStep::Refer {
            meeting_date: field(&f, "meeting_date"),
        }
    } else {
        EthicsStep::Clear {
            note: field(&f, "note"),
        }
    };
    let result = svc::ethics_review(&state.db, actor.as_ref(), id, &step)
        .await
        .map(|to| format!("Ethics review recorded: {}.", to.label().to_lowercase()));
    finish(&session, result, "acquisition", f, &page(id), &page(id)).await
}

/// POST /acquisitions/{id}/changes: comments per section (`comment-<section>`), back to the
/// applicant.
pub async fn request_changes(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let comments: BTreeMap<String, String> = f
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("comment-")?.to_owned(), v.clone())))
        .collect();
    let result = svc::request_changes(&state.db, actor.as_ref(), id, &comments)
        .await
        .map(|_| "Sent back to the applicant with your comments.".to_owned());
    finish(&session, result, "acquisition", f, &page(id), &page(id)).await
}

/// POST /acquisitions/{id}/decision: approve (with conditions, one per line) or reject (with a
/// reason), with a recent sign-in.
pub async fn decide(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let signed_in_at: Option<i64> = session.get(keys::SIGNED_IN_AT).await.ok().flatten();
    // The reject-only form names its reason differently so the page has one field per id.
    let short_form = f.contains_key("reject_reason");
    let verdict = match field(&f, "decision").as_str() {
        "approve" => Verdict::Approve {
            conditions: field(&f, "conditions").lines().map(str::to_owned).collect(),
        },
        "reject" => Verdict::Reject {
            reason: if short_form {
                field(&f, "reject_reason")
            } else {
                field(&f, "reason")
            },
        },
        _ => {
            let mut e = FieldErrors::new();
            e.add("decision", "Choose approve or reject");
            return back_to_form(&session, "acquisition", f, e, &page(id)).await;
        }
    };
    let result = svc::decide(&state.db, actor.as_ref(), id, signed_in_at, &verdict)
        .await
        .map(|d| match d {
            Decided::FirstApproval => {
                "Your approval is recorded. A second reviewer must approve too.".to_owned()
            }
            Decided::Approved => "Approved. The applicant has been told.".to_owned(),
            Decided::Rejected => "Rejected. The applicant has been told why.".to_owned(),
        })
        .map_err(|e| match e {
            CoreError::Invalid(errors) if short_form => CoreError::Invalid(FieldErrors(
                errors
                    .0
                    .into_iter()
                    .map(|(f, m)| {
                        (
                            if f == "reason" {
                                "reject_reason".into()
                            } else {
                                f
                            },
                            m,
                        )
                    })
                    .collect(),
            )),
            other => other,
        });
    finish(&session, result, "acquisition", f, &page(id), &page(id)).await
}

/// POST /datasets/{id}/grants: grants a project access (`project`, `reason`).
pub async fn grant(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let back = format!("/datasets/{id}");
    let result = campus_core::services::datasets::grant(
        &state.db,
        actor.as_ref(),
        id,
        &field(&f, "project"),
        &field(&f, "reason"),
    )
    .await
    .map(|_| "Access granted. The project's members have been told.".to_owned());
    finish(&session, result, "dataset-grant", f, &back, &back).await
}

/// POST /datasets/{id}/grants/{grant}/revoke: revokes a grant (`revoke_reason-<grant>`).
pub async fn revoke(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path((id, grant)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Response {
    let back = format!("/datasets/{id}");
    let result = campus_core::services::datasets::revoke(
        &state.db,
        actor.as_ref(),
        grant,
        &field(&f, &format!("revoke_reason-{grant}")),
    )
    .await
    .map(|g| format!("Access for {} revoked.", g.project_name))
    .map_err(|e| match e {
        // The page has one reason field per grant.
        CoreError::Invalid(errors) => CoreError::Invalid(FieldErrors(
            errors
                .0
                .into_iter()
                .map(|(_, m)| (format!("revoke_reason-{grant}"), m))
                .collect(),
        )),
        other => other,
    });
    finish(&session, result, "dataset-grant", f, &back, &back).await
}
