//! Output checks in the JSON API: a project asks for its web service to be checked for
//! release, output checkers decide, and anyone who may see the service reads the record.

use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiPath, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use campus_core::output_checks::checklist::{self, Answer, Output, OutputKind};
use campus_core::output_checks::review::Verdict;
use campus_core::services::output_checks as checks;
use campus_core::store::output_checks::Check;
use campus_core::{CoreError, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    key: String,
    statement: String,
    /// The kinds of output it is asked of: table, chart, model, code, document.
    applies_to: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    /// yes, no or not_applicable
    answer: String,
    /// Why, for anything but yes.
    #[serde(default)]
    why: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputIn {
    /// The file or page it is, in the service.
    name: String,
    /// table, chart, model, code or document
    kind: String,
    /// What it shows.
    shows: String,
    /// Each checklist item that applies to its kind, by key.
    #[serde(default)]
    answers: BTreeMap<String, AnswerIn>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    outputs: Vec<OutputIn>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// The output it is about, counted from 1 as listed.
    output: usize,
    comment: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// approve, request_changes or reject
    decision: String,
    /// Why, for a rejection.
    #[serde(default)]
    reason: String,
    /// What should change, for request_changes.
    #[serde(default)]
    comments: Vec<CommentIn>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckOut {
    id: i64,
    /// The web service's request id.
    request_id: i64,
    project_id: i64,
    project: String,
    requester: String,
    /// submitted, changes_requested, approved, rejected, withdrawn or lapsed
    state: String,
    state_label: String,
    round: i64,
    /// Why it was rejected.
    reason: String,
    /// When its checkers are due to have decided (Unix seconds).
    due_at: i64,
    created_at: i64,
    decided_at: Option<i64>,
}

fn check_out(c: Check) -> CheckOut {
    CheckOut {
        id: c.id,
        request_id: c.resource_id,
        project_id: c.project_id,
        project: c.project_name,
        requester: c.requester_name,
        state: c.state.as_str().to_owned(),
        state_label: c.state.label().to_owned(),
        round: c.round,
        reason: c.reason,
        due_at: c.due_at,
        created_at: c.created_at,
        decided_at: c.decided_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutputOut {
    name: String,
    kind: String,
    shows: String,
    /// Item key → yes, no or not_applicable, with why.
    answers: BTreeMap<String, AnswerOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    answer: String,
    why: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoundOut {
    round: i64,
    /// SHA-256 over the snapshot's manifest: what was checked.
    digest: String,
    size_bytes: i64,
    submitted_at: i64,
    outputs: Vec<OutputOut>,
}

#[derive(Serialize, ToSchema)]
pub struct FileOut {
    path: String,
    size: u64,
    sha256: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    round: i64,
    checker: String,
    decision: String,
    reason: String,
    comments: Vec<CommentOut>,
    decided_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CommentOut {
    /// Counted from 1.
    output: usize,
    comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckDetailOut {
    #[serde(flatten)]
    check: CheckOut,
    rounds: Vec<RoundOut>,
    decisions: Vec<DecisionOut>,
    /// The current round's snapshot.
    files: Vec<FileOut>,
}

fn answer_out(a: &Answer) -> AnswerOut {
    AnswerOut {
        answer: a.as_str().to_owned(),
        why: a.why().to_owned(),
    }
}

fn detail_out(d: checks::Detail) -> CheckDetailOut {
    CheckDetailOut {
        rounds: d
            .rounds
            .into_iter()
            .map(|r| RoundOut {
                round: r.round,
                digest: r.digest,
                size_bytes: r.size_bytes,
                submitted_at: r.submitted_at,
                outputs: r
                    .outputs
                    .iter()
                    .map(|o| OutputOut {
                        name: o.name.clone(),
                        kind: o.kind.as_str().to_owned(),
                        shows: o.shows.clone(),
                        answers: o
                            .answers
                            .iter()
                            .map(|(k, a)| (k.clone(), answer_out(a)))
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        decisions: d
            .decisions
            .into_iter()
            .map(|x| DecisionOut {
                round: x.round,
                checker: x.checker_name,
                decision: x.verdict,
                reason: x.reason,
                comments: x
                    .comments
                    .into_iter()
                    .map(|(output, comment)| CommentOut {
                        output: output + 1,
                        comment,
                    })
                    .collect(),
                decided_at: x.decided_at,
            })
            .collect(),
        files: d
            .files
            .into_iter()
            .map(|f| FileOut {
                path: f.path,
                size: f.size,
                sha256: f.sha256,
            })
            .collect(),
        check: check_out(d.check),
    }
}

/// The outputs as the core reads them; a kind or answer that is not one of the choices is a
/// field error under the same names the core uses (`outputs.N.kind`, `outputs.N.KEY`).
fn outputs_in(list: Vec<OutputIn>) -> Result<Vec<Output>, CoreError> {
    let mut errors = FieldErrors::new();
    let mut outputs = Vec::with_capacity(list.len());
    for (i, o) in list.into_iter().enumerate() {
        let kind = OutputKind::parse(o.kind.trim());
        if kind.is_none() {
            errors.add(
                &format!("outputs.{i}.kind"),
                "Choose what it is: table, chart, model, code or document",
            );
        }
        let mut answers = BTreeMap::new();
        for (key, a) in o.answers {
            let Some(answer) = Answer::parse(&a.answer, &a.why) else {
                errors.add(
                    &format!("outputs.{i}.{key}"),
                    "Answer yes, no or not_applicable",
                );
                continue;
            };
            answers.insert(key, answer);
        }
        outputs.push(Output {
            name: o.name.trim().to_owned(),
            kind: kind.unwrap_or(OutputKind::Document),
            shows: o.shows.trim().to_owned(),
            answers,
        });
    }
    errors.into_result().map(|()| outputs)
}

/// The disclosure-control checklist each output is answered against.
#[utoipa::path(get, path = "/api/v1/output-checks/checklist",
    responses((status = 200, body = [ItemOut]), (status = 401)), security(("token" = [])))]
pub async fn checklist_items(_actor: TokenActor) -> Json<Vec<ItemOut>> {
    Json(
        checklist::default_items()
            .into_iter()
            .map(|it| ItemOut {
                key: it.key,
                statement: it.statement,
                applies_to: it
                    .applies_to
                    .iter()
                    .map(|k| k.as_str().to_owned())
                    .collect(),
            })
            .collect(),
    )
}

/// Asks for a web service to be checked for release: its files are frozen as they are now,
/// and two output checkers from outside the project decide. After changes were asked for, the
/// same call sends a new snapshot.
#[utoipa::path(post, path = "/api/v1/requests/{id}/output-checks", params(("id" = i64, Path)),
    request_body = CheckIn,
    responses((status = 201, body = CheckDetailOut), (status = 403), (status = 404), (status = 422)),
    security(("token" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CheckIn>,
) -> Result<(StatusCode, Json<CheckDetailOut>), ApiError> {
    let outputs = outputs_in(body.outputs)?;
    let check = crate::provision::snapshot::submit_for_check(
        &state.db,
        &state.config.provisioning,
        &actor.0,
        id,
        outputs,
    )
    .await?;
    let d = checks::detail(&state.db, Some(&actor.0), check).await?;
    Ok((StatusCode::CREATED, Json(detail_out(d))))
}

/// A web service's output checks, newest first.
#[utoipa::path(get, path = "/api/v1/requests/{id}/output-checks", params(("id" = i64, Path)),
    responses((status = 200, body = [CheckOut]), (status = 403), (status = 404)),
    security(("token" = [])))]
pub async fn for_request(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<CheckOut>>, ApiError> {
    let list = checks::for_resource(&state.db, Some(&actor.0), id).await?;
    Ok(Json(list.into_iter().map(check_out).collect()))
}

/// Checks waiting for a decision (output checkers).
#[utoipa::path(get, path = "/api/v1/output-checks",
    responses((status = 200, body = [CheckOut]), (status = 403)), security(("token" = [])))]
pub async fn queue(
    State(state): State<AppState>,
    actor: TokenActor,
) -> Result<Json<Vec<CheckOut>>, ApiError> {
    let list = checks::queue(&state.db, Some(&actor.0)).await?;
    Ok(Json(list.into_iter().map(check_out).collect()))
}

/// One check: each round's snapshot and outputs, and every decision.
#[utoipa::path(get, path = "/api/v1/output-checks/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = CheckDetailOut), (status = 403), (status = 404)),
    security(("token" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CheckDetailOut>, ApiError> {
    let d = checks::detail(&state.db, Some(&actor.0), id).await?;
    Ok(Json(detail_out(d)))
}

/// An output checker's decision on the current snapshot (needs the `check` scope). The second
/// approval by a different checker releases the service as checked.
#[utoipa::path(post, path = "/api/v1/output-checks/{id}/decision", params(("id" = i64, Path)),
    request_body = DecisionIn,
    responses((status = 200, body = CheckDetailOut), (status = 403), (status = 404), (status = 422)),
    security(("token" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> Result<Json<CheckDetailOut>, ApiError> {
    let verdict = match body.decision.trim() {
        "approve" => Verdict::Approve,
        "request_changes" => {
            if body.comments.iter().any(|c| c.output == 0) {
                return Err(CoreError::field("comments", "Outputs are counted from 1").into());
            }
            Verdict::RequestChanges {
                comments: body
                    .comments
                    .into_iter()
                    .map(|c| (c.output - 1, c.comment))
                    .collect(),
            }
        }
        "reject" => Verdict::Reject {
            reason: body.reason,
        },
        _ => {
            return Err(
                CoreError::field("decision", "Choose approve, request_changes or reject").into(),
            )
        }
    };
    checks::decide(&state.db, Some(&actor.0), id, &verdict).await?;
    let d = checks::detail(&state.db, Some(&actor.0), id).await?;
    Ok(Json(detail_out(d)))
}

/// The requester or project lead takes back a check not yet decided.
#[utoipa::path(post, path = "/api/v1/output-checks/{id}/withdraw", params(("id" = i64, Path)),
    responses((status = 200, body = CheckDetailOut), (status = 403), (status = 404), (status = 422)),
    security(("token" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CheckDetailOut>, ApiError> {
    checks::withdraw(&state.db, Some(&actor.0), id).await?;
    let d = checks::detail(&state.db, Some(&actor.0), id).await?;
    Ok(Json(detail_out(d)))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/output-checks", get(queue))
        .route("/api/v1/output-checks/checklist", get(checklist_items))
        .route("/api/v1/output-checks/{id}", get(get_one))
        .route("/api/v1/output-checks/{id}/decision", post(decide))
        .route("/api/v1/output-checks/{id}/withdraw", post(withdraw))
        .route(
            "/api/v1/requests/{id}/output-checks",
            get(for_request).post(submit),
        )
}
