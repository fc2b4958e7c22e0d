//! The JSON API for data acquisitions and the public data-use register. Same services as the
//! pages. Final decisions need a sign-in within 15 minutes, which a token is not: the API
//! answers them with the same refusal, and reviewers decide in the portal.

use crate::api::error::ApiError;
use crate::api::extract::ApiPath;
use crate::api::extract::{ApiJson, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use campus_core::acquisitions::decision::Verdict;
use campus_core::acquisitions::sections::Section;
use campus_core::services::acquisitions::{
    self as svc, DataControlInput, DataControlOutcome, Decided, Detail, EthicsStep,
};
use campus_core::store::acquisitions::Acquisition;
use campus_core::CoreError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AcquisitionSummaryOut {
    id: i64,
    title: String,
    applicant: String,
    /// draft, data_control, ethics, referred, final_decision, changes_requested, approved,
    /// rejected, withdrawn or refused
    state: String,
    /// When the current review phase is due (Unix seconds).
    phase_due: Option<i64>,
    /// An amendment or renewal of an approved application is under way.
    amending: bool,
}

fn summary(a: &Acquisition) -> AcquisitionSummaryOut {
    AcquisitionSummaryOut {
        id: a.id,
        title: a.title.clone(),
        applicant: a.applicant_name.clone(),
        state: a.state.as_str().to_owned(),
        phase_due: a.phase_due,
        amending: a.amending,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AcquisitionListsOut {
    mine: Vec<AcquisitionSummaryOut>,
    /// Applications under review; only for reviewers.
    reviews: Option<Vec<AcquisitionSummaryOut>>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingOut {
    /// `<principle>-<item>`, the same key the ethics endpoint takes.
    item: String,
    /// low, average or high; empty when not rated yet
    risk: String,
    justification: String,
}

#[derive(Serialize, ToSchema)]
pub struct PathStepOut {
    at: i64,
    actor: Option<String>,
    from: String,
    to: String,
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct AcquisitionOut {
    #[serde(flatten)]
    summary: AcquisitionSummaryOut,
    /// The answers saved so far, by field.
    answers: BTreeMap<String, String>,
    /// Each section's progress: not_started, in_progress or completed.
    sections: BTreeMap<String, String>,
    ethics: Vec<RatingOut>,
    collaborators: Vec<String>,
    /// Data control's record (empty until made).
    lawful_basis: String,
    legislation: String,
    agreement_ref: String,
    /// Data control's classification, e.g. tier-1 or official.
    reviewer_classification: String,
    /// team or committee, once known.
    route: String,
    committee_date: String,
    /// Reviewers who approved this submission so far.
    approved_by: Vec<String>,
    conditions: Vec<String>,
    outcome_reason: String,
    decision_path: Vec<PathStepOut>,
}

fn detail_out(d: Detail) -> AcquisitionOut {
    use campus_core::acquisitions::ethics::{item_field, Risk};
    use campus_core::acquisitions::sections::Progress;
    let a = &d.acquisition;
    AcquisitionOut {
        summary: summary(a),
        answers: a.answers.clone(),
        sections: d
            .tasks
            .iter()
            .map(|t| {
                let p = match t.progress {
                    Progress::NotStarted => "not_started",
                    Progress::InProgress => "in_progress",
                    Progress::Completed => "completed",
                };
                (t.slug.clone(), p.to_owned())
            })
            .collect(),
        ethics: a
            .ethics
            .iter()
            .map(|r| RatingOut {
                item: item_field(r.principle, &r.item, "")
                    .trim_end_matches('-')
                    .to_owned(),
                risk: match r.risk {
                    Some(Risk::Low) => "low",
                    Some(Risk::Average) => "average",
                    Some(Risk::High) => "high",
                    None => "",
                }
                .to_owned(),
                justification: r.justification.clone(),
            })
            .collect(),
        collaborators: d.collaborators.clone(),
        lawful_basis: a.lawful_basis.clone(),
        legislation: a.legislation.clone(),
        agreement_ref: a.agreement_ref.clone(),
        reviewer_classification: a.reviewer_class.clone(),
        route: a.route.clone(),
        committee_date: a.committee_date.clone(),
        approved_by: d.approvals.iter().map(|x| x.1.clone()).collect(),
        conditions: a.conditions.clone(),
        outcome_reason: a.outcome_reason.clone(),
        decision_path: d
            .events
            .iter()
            .map(|e| PathStepOut {
                at: e.at,
                actor: e.actor_name.clone(),
                from: e.from.clone(),
                to: e.to.clone(),
                note: e.note.clone(),
            })
            .collect(),
    }
}

async fn current(
    state: &AppState,
    actor: &campus_core::authz::Actor,
    id: i64,
) -> Result<Json<AcquisitionOut>, ApiError> {
    Ok(Json(detail_out(
        svc::detail(&state.db, Some(actor), id).await?,
    )))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MineQuery {
    /// Only your applications older than this id: pass the last id of the previous page.
    before_id: Option<i64>,
}

/// Your applications, newest first, 100 at a time; and for reviewers those waiting for review.
#[utoipa::path(get, path = "/api/v1/acquisitions", params(MineQuery),
    responses((status = 200, body = AcquisitionListsOut), (status = 401)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    crate::api::extract::ApiQuery(q): crate::api::extract::ApiQuery<MineQuery>,
) -> Result<Json<AcquisitionListsOut>, ApiError> {
    use campus_core::authz::{check, Action, Object};
    let mine = svc::mine(&state.db, Some(&actor), q.before_id, 100).await?;
    let reviews = if check(Some(&actor), Action::ListReviews, Object::Portal).is_ok() {
        Some(
            svc::review_queue(&state.db, Some(&actor))
                .await?
                .iter()
                .map(summary)
                .collect(),
        )
    } else {
        None
    };
    Ok(Json(AcquisitionListsOut {
        mine: mine.items.iter().map(summary).collect(),
        reviews,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAcquisitionIn {
    title: String,
}

/// Starts a draft application (staff).
#[utoipa::path(post, path = "/api/v1/acquisitions", request_body = NewAcquisitionIn,
    responses((status = 201, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn start(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiJson(body): ApiJson<NewAcquisitionIn>,
) -> Result<(StatusCode, Json<AcquisitionOut>), ApiError> {
    let id = svc::start(&state.db, Some(&actor), &body.title).await?;
    Ok((StatusCode::CREATED, current(&state, &actor, id).await?))
}

/// One application with its review and decision path.
#[utoipa::path(get, path = "/api/v1/acquisitions/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = AcquisitionOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    current(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersIn {
    /// The section's answers by field; fields left out are saved empty.
    answers: BTreeMap<String, String>,
}

/// Saves one section (purpose, safe-people, safe-projects, safe-data, safe-settings,
/// safe-outputs, the-data, collaborators) while the application is the applicant's to change.
#[utoipa::path(put, path = "/api/v1/acquisitions/{id}/sections/{section}", params(("id" = i64, Path), ("section" = String, Path)),
    request_body = AnswersIn, responses((status = 200, body = AcquisitionOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn save_section(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath((id, section)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<AnswersIn>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    let section = Section::parse(&section).ok_or(CoreError::NotFound("section"))?;
    svc::save_section(&state.db, Some(&actor), id, section, &body.answers).await?;
    current(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EthicsIn {
    /// `<principle>-<item>-risk` → low, average or high; `<principle>-<item>-justification` → text.
    ratings: BTreeMap<String, String>,
}

/// Saves the ethics self-assessment.
#[utoipa::path(put, path = "/api/v1/acquisitions/{id}/ethics", params(("id" = i64, Path)),
    request_body = EthicsIn, responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn save_ethics(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EthicsIn>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    svc::save_ethics(&state.db, Some(&actor), id, &body.ratings).await?;
    current(&state, &actor, id).await
}

/// Submits a complete application to data control; 422 lists every gap by `section/field`.
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/submit", params(("id" = i64, Path)),
    responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    svc::submit(&state.db, Some(&actor), id).await?;
    current(&state, &actor, id).await
}

/// Withdraws an application before its outcome.
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/withdraw", params(("id" = i64, Path)),
    responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    svc::withdraw(&state.db, Some(&actor), id).await?;
    current(&state, &actor, id).await
}

/// Amends or renews an approved application: back to the applicant, then through review again,
/// while the approved terms stand.
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/amend", params(("id" = i64, Path)),
    responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn amend(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    svc::amend(&state.db, Some(&actor), id).await?;
    current(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataControlIn {
    lawful_basis: String,
    legislation: String,
    agreement_ref: String,
    /// tier-0 … tier-4, official or official-sensitive
    classification: String,
}

#[derive(Serialize, ToSchema)]
pub struct DataControlOut {
    /// passed, disagree or refused
    outcome: String,
    /// Why, for disagree and refused.
    message: String,
    acquisition: AcquisitionOut,
}

/// Data control records the legal gateway and its classification (reviewers).
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/data-control", params(("id" = i64, Path)),
    request_body = DataControlIn, responses((status = 200, body = DataControlOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn data_control(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DataControlIn>,
) -> Result<Json<DataControlOut>, ApiError> {
    let input = DataControlInput {
        lawful_basis: b.lawful_basis,
        legislation: b.legislation,
        agreement_ref: b.agreement_ref,
        classification: b.classification,
    };
    let (outcome, message) =
        match svc::record_data_control(&state.db, Some(&actor), id, &input).await? {
            DataControlOutcome::Passed => ("passed", String::new()),
            DataControlOutcome::Disagree {
                applicant,
                reviewer,
            } => (
                "disagree",
                format!("the applicant classified it {applicant}; data control {reviewer}"),
            ),
            DataControlOutcome::Refused { reason } => ("refused", reason),
        };
    Ok(Json(DataControlOut {
        outcome: outcome.to_owned(),
        message,
        acquisition: current(&state, &actor, id).await?.0,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EthicsReviewIn {
    /// clear or refer
    step: String,
    #[serde(default)]
    note: String,
    /// For refer: the committee's meeting, YYYY-MM-DD.
    #[serde(default)]
    meeting_date: String,
}

/// Clears ethics review, or refers the application to the national ethics committee (reviewers).
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/ethics-review", params(("id" = i64, Path)),
    request_body = EthicsReviewIn, responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn ethics_review(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EthicsReviewIn>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    let step = match b.step.as_str() {
        "clear" => EthicsStep::Clear { note: b.note },
        "refer" => EthicsStep::Refer {
            meeting_date: b.meeting_date,
        },
        _ => return Err(CoreError::field("step", "step must be clear or refer").into()),
    };
    svc::ethics_review(&state.db, Some(&actor), id, &step).await?;
    current(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesIn {
    /// Section → what to change there.
    comments: BTreeMap<String, String>,
}

/// Sends the application back to the applicant with comments per section (reviewers).
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/changes", params(("id" = i64, Path)),
    request_body = ChangesIn, responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn changes(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ChangesIn>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    svc::request_changes(&state.db, Some(&actor), id, &b.comments).await?;
    current(&state, &actor, id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcquisitionDecisionIn {
    /// approve or reject
    decision: String,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    reason: String,
}

/// A final decision. It needs a sign-in within the last 15 minutes, which an API token never
/// is: the answer is always 422 asking to sign in again, and reviewers decide in the portal.
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/decision", params(("id" = i64, Path)),
    request_body = AcquisitionDecisionIn, responses((status = 200, body = AcquisitionOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AcquisitionDecisionIn>,
) -> Result<Json<AcquisitionOut>, ApiError> {
    let verdict = match b.decision.as_str() {
        "approve" => Verdict::Approve {
            conditions: b.conditions,
        },
        "reject" => Verdict::Reject { reason: b.reason },
        _ => return Err(CoreError::field("decision", "decision must be approve or reject").into()),
    };
    let _: Decided = svc::decide(&state.db, Some(&actor), id, None, &verdict).await?;
    current(&state, &actor, id).await
}

#[derive(Serialize, ToSchema)]
pub struct RegisterEntryOut {
    id: i64,
    title: String,
    organisation: String,
    lay_summary: String,
    public_benefit: String,
    datasets: Vec<String>,
    legal_basis: String,
    start_date: String,
    end_date: String,
}

/// The public data-use register: every approved acquisition. No token needed.
#[utoipa::path(get, path = "/api/v1/register", responses((status = 200, body = [RegisterEntryOut])))]
pub async fn register(
    State(state): State<AppState>,
) -> Result<Json<Vec<RegisterEntryOut>>, ApiError> {
    Ok(Json(
        svc::register(&state.db)
            .await?
            .into_iter()
            .map(|e| RegisterEntryOut {
                id: e.id,
                title: e.title,
                organisation: e.organisation,
                lay_summary: e.lay_summary,
                public_benefit: e.public_benefit,
                datasets: e.datasets,
                legal_basis: e.legal_basis,
                start_date: e.start_date,
                end_date: e.end_date,
            })
            .collect(),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/acquisitions", get(list).post(start))
        .route("/api/v1/acquisitions/{id}", get(get_one))
        .route(
            "/api/v1/acquisitions/{id}/sections/{section}",
            put(save_section),
        )
        .route("/api/v1/acquisitions/{id}/ethics", put(save_ethics))
        .route("/api/v1/acquisitions/{id}/submit", post(submit))
        .route("/api/v1/acquisitions/{id}/withdraw", post(withdraw))
        .route("/api/v1/acquisitions/{id}/amend", post(amend))
        .route("/api/v1/acquisitions/{id}/data-control", post(data_control))
        .route(
            "/api/v1/acquisitions/{id}/ethics-review",
            post(ethics_review),
        )
        .route("/api/v1/acquisitions/{id}/changes", post(changes))
        .route("/api/v1/acquisitions/{id}/decision", post(decide))
        .route("/api/v1/register", get(register))
}

#[derive(Serialize, ToSchema)]
pub struct DatasetSummaryOut {
    id: i64,
    acquisition_id: i64,
    title: String,
    source: String,
    licence: String,
    /// tier-0 … tier-2 or official (sensitive data never becomes a dataset)
    classification: String,
    owner: String,
    retention_date: String,
    /// Unix seconds; null while open.
    closed_at: Option<i64>,
}

fn dataset_summary(d: &campus_core::store::datasets::Dataset) -> DatasetSummaryOut {
    DatasetSummaryOut {
        id: d.id,
        acquisition_id: d.acquisition_id,
        title: d.title.clone(),
        source: d.source.clone(),
        licence: d.licence.clone(),
        classification: d.classification.clone(),
        owner: d.owner_name.clone(),
        retention_date: d.retention_date.clone(),
        closed_at: d.closed_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct FileOut {
    name: String,
    bytes: i64,
    sha256: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    number: i64,
    created_at: i64,
    created_by: String,
    files: Vec<FileOut>,
}

#[derive(Serialize, ToSchema)]
pub struct UploadOut {
    name: String,
    bytes: i64,
    sha256: String,
    /// clean or infected
    outcome: String,
    /// The malware signature found, for infected files.
    signature: String,
    uploader: String,
    at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct GrantOut {
    id: i64,
    project_id: i64,
    project: String,
    granted_by: String,
    granted_at: i64,
    reason: String,
    revoked_by: Option<String>,
    revoked_at: Option<i64>,
    revoke_reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateOut {
    at: i64,
    by: String,
    deleted: Vec<FileOut>,
    failures: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DatasetOut {
    #[serde(flatten)]
    summary: DatasetSummaryOut,
    description: String,
    conditions: Vec<String>,
    close_reason: String,
    versions: Vec<VersionOut>,
    uploads: Vec<UploadOut>,
    grants: Vec<GrantOut>,
    deletion_certificate: Option<CertificateOut>,
}

fn file_out(f: &campus_core::store::datasets::FileRow) -> FileOut {
    FileOut {
        name: f.name.clone(),
        bytes: f.bytes,
        sha256: f.sha256.clone(),
    }
}

fn dataset_out(d: campus_core::services::datasets::DatasetDetail) -> DatasetOut {
    DatasetOut {
        summary: dataset_summary(&d.dataset),
        description: d.dataset.description.clone(),
        conditions: d.dataset.conditions.clone(),
        close_reason: d.dataset.close_reason.clone(),
        versions: d
            .versions
            .iter()
            .map(|v| VersionOut {
                number: v.number,
                created_at: v.created_at,
                created_by: v.created_by.clone(),
                files: v.files.iter().map(file_out).collect(),
            })
            .collect(),
        uploads: d
            .uploads
            .iter()
            .map(|u| UploadOut {
                name: u.name.clone(),
                bytes: u.bytes,
                sha256: u.sha256.clone(),
                outcome: u.outcome.clone(),
                signature: u.signature.clone(),
                uploader: u.uploader.clone(),
                at: u.at,
            })
            .collect(),
        grants: d
            .grants
            .iter()
            .map(|g| GrantOut {
                id: g.id,
                project_id: g.project_id,
                project: g.project_name.clone(),
                granted_by: g.granted_by.clone(),
                granted_at: g.granted_at,
                reason: g.reason.clone(),
                revoked_by: g.revoked_by.clone(),
                revoked_at: g.revoked_at,
                revoke_reason: g.revoke_reason.clone(),
            })
            .collect(),
        deletion_certificate: d.certificate.as_ref().map(|c| CertificateOut {
            at: c.at,
            by: c.by.clone(),
            deleted: c.files.iter().map(file_out).collect(),
            failures: c.failures.clone(),
        }),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DatasetQuery {
    /// Words to find in the title, description or source.
    #[serde(default)]
    q: String,
    /// Continue after this dataset id: pass the last id of the previous page.
    after_id: Option<i64>,
}

/// The dataset catalogue (Campus staff) by title, 100 at a time, searched by title, description
/// or source.
#[utoipa::path(get, path = "/api/v1/datasets", params(DatasetQuery),
    responses((status = 200, body = [DatasetSummaryOut]), (status = 401), (status = 403)), security(("token" = [])))]
pub async fn datasets(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    crate::api::extract::ApiQuery(query): crate::api::extract::ApiQuery<DatasetQuery>,
) -> Result<Json<Vec<DatasetSummaryOut>>, ApiError> {
    let page = campus_core::services::datasets::list(
        &state.db,
        Some(&actor),
        &query.q,
        query.after_id,
        100,
    )
    .await?;
    Ok(Json(page.items.iter().map(dataset_summary).collect()))
}

/// One dataset: conditions, versions with checksums, every upload, grants and any deletion
/// certificate.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = DatasetOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn dataset(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DatasetOut>, ApiError> {
    let d = campus_core::services::datasets::detail(&state.db, Some(&actor), id).await?;
    Ok(Json(dataset_out(d)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    project_id: i64,
    reason: String,
}

/// Grants a project access to a dataset (data control reviewers, administrators).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/grants", params(("id" = i64, Path)), request_body = GrantIn,
    responses((status = 201, body = DatasetOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn grant(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<GrantIn>,
) -> Result<(StatusCode, Json<DatasetOut>), ApiError> {
    campus_core::services::datasets::grant(
        &state.db,
        Some(&actor),
        id,
        &b.project_id.to_string(),
        &b.reason,
    )
    .await?;
    let d = campus_core::services::datasets::detail(&state.db, Some(&actor), id).await?;
    Ok((StatusCode::CREATED, Json(dataset_out(d))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    reason: String,
}

/// Revokes a grant, with the reason recorded (data control reviewers, administrators).
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", params(("id" = i64, Path)), request_body = ReasonIn,
    responses((status = 200, body = DatasetOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn revoke(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReasonIn>,
) -> Result<Json<DatasetOut>, ApiError> {
    let g = campus_core::services::datasets::revoke(&state.db, Some(&actor), id, &b.reason).await?;
    let d = campus_core::services::datasets::detail(&state.db, Some(&actor), g.dataset_id).await?;
    Ok(Json(dataset_out(d)))
}

/// Live grants to a project: the datasets its workspaces may use (members and operators).
#[utoipa::path(get, path = "/api/v1/projects/{id}/datasets", params(("id" = i64, Path)),
    responses((status = 200, body = [GrantOut]), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn project_datasets(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<GrantOut>>, ApiError> {
    let grants =
        campus_core::services::datasets::granted_to_project(&state.db, Some(&actor), id).await?;
    Ok(Json(
        grants
            .into_iter()
            .map(|g| GrantOut {
                id: g.id,
                project_id: g.project_id,
                project: g.project_name,
                granted_by: g.granted_by,
                granted_at: g.granted_at,
                reason: g.reason,
                revoked_by: g.revoked_by,
                revoked_at: g.revoked_at,
                revoke_reason: g.revoke_reason,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct IngestedOut {
    /// The new version's number, when any file was clean.
    version: Option<i64>,
    clean: Vec<String>,
    /// Each quarantined file with the signature found.
    quarantined: Vec<QuarantinedOut>,
    dataset: DatasetOut,
}

#[derive(Serialize, ToSchema)]
pub struct QuarantinedOut {
    name: String,
    signature: String,
}

/// Uploads files for an approved application (multipart/form-data, one or more `files` parts):
/// each is checked by the malware scanner; clean files become the next version, infected ones
/// are quarantined. No scanner, an empty file or one over the limit: 422 and nothing kept.
#[utoipa::path(post, path = "/api/v1/acquisitions/{id}/uploads", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "one or more `files` parts"),
    responses((status = 201, body = IngestedOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    mut multipart: axum::extract::Multipart,
) -> Result<(StatusCode, Json<IngestedOut>), ApiError> {
    use crate::uploads::IngestFailure;
    let (dataset, done) =
        match crate::uploads::ingest(&state, Some(&actor), id, &mut multipart).await {
            Ok(x) => x,
            Err(IngestFailure::Core(e)) => return Err(e.into()),
            Err(IngestFailure::Refused(why)) => return Err(CoreError::field("files", why).into()),
            Err(IngestFailure::Internal(why)) => return Err(CoreError::Internal(why).into()),
        };
    let d = campus_core::services::datasets::detail(&state.db, Some(&actor), dataset.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(IngestedOut {
            version: done.version,
            clean: done.clean,
            quarantined: done
                .quarantined
                .into_iter()
                .map(|(name, signature)| QuarantinedOut { name, signature })
                .collect(),
            dataset: dataset_out(d),
        }),
    ))
}

/// Closes a dataset (data control reviewers, administrators): every grant revoked, every file
/// deleted, and a deletion certificate recorded.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/close", params(("id" = i64, Path)), request_body = ReasonIn,
    responses((status = 200, body = DatasetOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn close(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReasonIn>,
) -> Result<Json<DatasetOut>, ApiError> {
    crate::uploads::close_and_delete(&state, Some(&actor), id, &b.reason).await?;
    let d = campus_core::services::datasets::detail(&state.db, Some(&actor), id).await?;
    Ok(Json(dataset_out(d)))
}

pub fn datasets_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/datasets", get(datasets))
        .route("/api/v1/datasets/{id}", get(dataset))
        .route("/api/v1/datasets/{id}/grants", post(grant))
        .route("/api/v1/datasets/{id}/close", post(close))
        .route("/api/v1/grants/{id}/revoke", post(revoke))
        .route("/api/v1/projects/{id}/datasets", get(project_datasets))
}
