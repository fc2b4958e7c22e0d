//! The requests-and-provisioning part of the JSON API: the catalogue, requests, decisions,
//! changes to resources, the audit trail and dead-letter re-drive. Same services as the pages.

use crate::api::error::ApiError;
use crate::api::extract::ApiPath;
use crate::api::extract::{ApiJson, ApiQuery, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use campus_core::services::operations;
use campus_core::services::resources::{self, Decision, RequestInput, Submitted, UserAction};
use campus_core::store::resources::Resource;
use campus_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SizeOut {
    code: String,
    label: String,
    cpu_cores: u32,
    ram_gb: u32,
    gpus: u32,
    storage_gb: u32,
}

impl SizeOut {
    pub(crate) fn of(s: &campus_core::store::catalogue::Size) -> SizeOut {
        SizeOut {
            code: s.code.clone(),
            label: s.label.clone(),
            cpu_cores: s.cpu_cores,
            ram_gb: s.ram_gb,
            gpus: s.gpus,
            storage_gb: s.storage_gb,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OfferingOut {
    id: i64,
    slug: String,
    /// workspace, storage or web_service
    kind: String,
    name: String,
    description: String,
    needs_approval: bool,
    default_days: u32,
    extension_days: u32,
    max_extensions: u32,
    sizes: Vec<SizeOut>,
}

#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    id: i64,
    /// The resource's name, also its proxy path segment.
    name: String,
    project_id: i64,
    offering: String,
    kind: String,
    size: String,
    requester: String,
    /// draft, submitted, approved, rejected, changes_requested, provisioning, active, stopped,
    /// expiring, decommissioned or failed
    state: String,
    end_date: String,
    visibility: String,
    /// Why it failed, was rejected or sent back.
    reason: String,
    /// Where to open it, when it runs.
    url: Option<String>,
    /// The host the portal placed it on (for one that runs), and the data centre asked for.
    host: Option<String>,
    site: String,
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    at: i64,
    from: String,
    to: String,
    by: Option<String>,
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestDetailOut {
    #[serde(flatten)]
    request: RequestOut,
    steps: Vec<StepOut>,
    /// The job running now, if any.
    pending: Option<String>,
    /// What the token's owner may do now: stop, start, extend, retry, decommission.
    actions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmittedOut {
    request: RequestDetailOut,
    /// approved, or awaiting_decision with the reasons
    outcome: String,
    reasons: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestIn {
    offering_id: i64,
    size: String,
    /// YYYY-MM-DD, on or before the project's end date
    end_date: String,
    purpose: String,
    /// private (default), project, staff or public (web services only for the last two)
    #[serde(default)]
    visibility: String,
    /// The data centre to run it in, by code (see /api/v1/projects/{id}/room); empty or absent for
    /// wherever one host can hold it.
    #[serde(default)]
    site: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// approve, reject or changes
    decision: String,
    /// Required to reject or ask for changes.
    #[serde(default)]
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub(crate) message: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    actor: String,
    before_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    id: i64,
    at: i64,
    actor: Option<String>,
    action: String,
    object_type: String,
    object_id: String,
    before: String,
    after: String,
    request_id: String,
}

/// How a submitted request proceeds, in the API's words, with the reasons it waits.
fn outcome_out(outcome: Submitted) -> (String, Vec<String>) {
    match outcome {
        Submitted::AutoApproved => ("approved".to_owned(), Vec::new()),
        Submitted::AwaitingDecision(why) => ("awaiting_decision".to_owned(), why),
    }
}

pub(crate) fn request_out(r: &Resource, url: Option<String>) -> RequestOut {
    RequestOut {
        id: r.id,
        name: campus_core::requests::kind::resource_name(r.id),
        project_id: r.project_id,
        offering: r.offering_name.clone(),
        kind: r.kind.as_str().to_owned(),
        size: r.size_code.clone(),
        requester: r.requester_name.clone(),
        state: r.state.as_str().to_owned(),
        end_date: r.end_date.clone(),
        visibility: r.visibility.as_str().to_owned(),
        reason: r.reason.clone(),
        url,
        host: r.host.clone(),
        site: r.site.clone(),
    }
}

async fn detail(
    state: &AppState,
    actor: &TokenActor,
    id: i64,
) -> Result<RequestDetailOut, ApiError> {
    let v = resources::view(&state.db, Some(&actor.0), id).await?;
    let url = v
        .open_url
        .as_ref()
        .map(|p| format!("{}{p}", state.config.public_url));
    Ok(RequestDetailOut {
        request: request_out(&v.resource, url),
        steps: v
            .events
            .into_iter()
            .map(|e| StepOut {
                at: e.at,
                from: e.from_state.as_str().to_owned(),
                to: e.to_state.as_str().to_owned(),
                by: e.actor_name,
                note: e.note,
            })
            .collect(),
        pending: v.pending.map(|k| k.as_str().to_owned()),
        actions: v.actions.iter().map(|a| a.as_str().to_owned()).collect(),
    })
}

/// Offerings that can be requested now.
#[utoipa::path(get, path = "/api/v1/catalogue", responses((status = 200, body = [OfferingOut]), (status = 401)), security(("token" = [])))]
pub async fn catalogue(
    State(state): State<AppState>,
    actor: TokenActor,
) -> Result<Json<Vec<OfferingOut>>, ApiError> {
    let list = resources::catalogue(&state.db, Some(&actor.0)).await?;
    Ok(Json(
        list.into_iter()
            .map(|o| OfferingOut {
                id: o.id,
                slug: o.slug,
                kind: o.kind.as_str().to_owned(),
                name: o.name,
                description: o.description,
                needs_approval: o.needs_approval,
                default_days: o.default_days,
                extension_days: o.extension_days,
                max_extensions: o.max_extensions,
                sizes: o.sizes.iter().map(SizeOut::of).collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Only entries older than this id: pass the last id of the previous page.
    before_id: Option<i64>,
}

/// Requests and resources in the token owner's projects, newest first, 100 at a time.
#[utoipa::path(get, path = "/api/v1/requests", params(PageQuery),
    responses((status = 200, body = [RequestOut]), (status = 401)), security(("token" = [])))]
pub async fn list_requests(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<RequestOut>>, ApiError> {
    let page = resources::mine(&state.db, Some(&actor.0), q.before_id, 100).await?;
    Ok(Json(
        page.items.iter().map(|r| request_out(r, None)).collect(),
    ))
}

/// Asks for a resource for a project; approved at once when within quota and policy.
#[utoipa::path(post, path = "/api/v1/projects/{id}/requests", params(("id" = i64, Path)), request_body = NewRequestIn,
    responses((status = 201, body = SubmittedOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(project_id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewRequestIn>,
) -> Result<(StatusCode, Json<SubmittedOut>), ApiError> {
    let input = RequestInput {
        project_id,
        offering_id: body.offering_id.to_string(),
        size: body.size,
        end_date: body.end_date,
        purpose: body.purpose,
        visibility: body.visibility,
        site: body.site,
    };
    let (id, outcome) = resources::submit(&state.db, Some(&actor.0), &input).await?;
    let (outcome, reasons) = outcome_out(outcome);
    Ok((
        StatusCode::CREATED,
        Json(SubmittedOut {
            request: detail(&state, &actor, id).await?,
            outcome,
            reasons,
        }),
    ))
}

/// One request with its steps and what may be done with it now.
#[utoipa::path(get, path = "/api/v1/requests/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = RequestDetailOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn get_request(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RequestDetailOut>, ApiError> {
    Ok(Json(detail(&state, &actor, id).await?))
}

/// An operator's decision (never on their own request).
#[utoipa::path(post, path = "/api/v1/requests/{id}/decision", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 200, body = RequestDetailOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> Result<Json<RequestDetailOut>, ApiError> {
    let decision = match body.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: body.reason,
        },
        "changes" => Decision::RequestChanges {
            comment: body.reason,
        },
        _ => return Err(CoreError::field("decision", "use approve, reject or changes").into()),
    };
    resources::decide(&state.db, Some(&actor.0), id, decision).await?;
    Ok(Json(detail(&state, &actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResubmitIn {
    size: String,
    /// YYYY-MM-DD, on or before the project's end date
    end_date: String,
    purpose: String,
    #[serde(default)]
    visibility: String,
}

#[derive(Serialize, ToSchema)]
pub struct SiteRoomOut {
    /// The data centre's code, as `site` in a new request takes it.
    code: String,
    name: String,
    /// Hosts there taking new work, and what they have free in all.
    hosts: u32,
    cores: u32,
    ram_gb: u32,
    gpus: u32,
    /// The most any one host there has free: a request must fit on one host.
    most_cores_on_one_host: u32,
    most_ram_gb_on_one_host: u32,
    most_gpus_on_one_host: u32,
}

#[derive(Serialize, ToSchema)]
pub struct LargestOut {
    offering_id: i64,
    /// The largest size code one host could take now; absent when none fits anywhere.
    size: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoomOut {
    sites: Vec<SiteRoomOut>,
    /// For each offering that runs (workspaces and web services).
    largest: Vec<LargestOut>,
}

/// The room a request from this project would find now: free capacity per data centre and the
/// largest size of each offering that one host could take (accelerators booked by other
/// projects are not counted as free).
#[utoipa::path(get, path = "/api/v1/projects/{id}/room", params(("id" = i64, Path)),
    responses((status = 200, body = RoomOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn room(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(project_id): ApiPath<i64>,
) -> Result<Json<RoomOut>, ApiError> {
    let c = resources::request_context(&state.db, Some(&actor.0), project_id).await?;
    Ok(Json(RoomOut {
        sites: c
            .sites
            .into_iter()
            .map(|s| SiteRoomOut {
                code: s.code,
                name: s.name,
                hosts: s.free.hosts,
                cores: s.free.cores,
                ram_gb: s.free.ram_gb,
                gpus: s.free.gpus,
                most_cores_on_one_host: s.free.most_cores_on_one_host,
                most_ram_gb_on_one_host: s.free.most_ram_gb_on_one_host,
                most_gpus_on_one_host: s.free.most_gpus_on_one_host,
            })
            .collect(),
        largest: c
            .offerings
            .iter()
            .filter(|o| o.kind.runs())
            .map(|o| LargestOut {
                offering_id: o.id,
                size: c
                    .largest
                    .iter()
                    .find(|(id, _)| *id == o.id)
                    .map(|(_, code)| code.clone()),
            })
            .collect(),
    }))
}

/// Sends a request that was sent back for changes again, changed (its requester or lead).
#[utoipa::path(post, path = "/api/v1/requests/{id}/resubmit", params(("id" = i64, Path)), request_body = ResubmitIn,
    responses((status = 200, body = SubmittedOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn resubmit(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ResubmitIn>,
) -> Result<Json<SubmittedOut>, ApiError> {
    let input = RequestInput {
        project_id: 0,
        offering_id: String::new(),
        size: body.size,
        end_date: body.end_date,
        purpose: body.purpose,
        visibility: body.visibility,
        site: String::new(),
    };
    let outcome = resources::resubmit(&state.db, Some(&actor.0), id, &input).await?;
    let (outcome, reasons) = outcome_out(outcome);
    Ok(Json(SubmittedOut {
        request: detail(&state, &actor, id).await?,
        outcome,
        reasons,
    }))
}

/// Requests waiting for an operator's decision (operators).
#[utoipa::path(get, path = "/api/v1/approvals", responses((status = 200, body = [RequestOut]), (status = 403)), security(("token" = [])))]
pub async fn approvals(
    State(state): State<AppState>,
    actor: TokenActor,
) -> Result<Json<Vec<RequestOut>>, ApiError> {
    let list = resources::awaiting_decision(&state.db, Some(&actor.0)).await?;
    Ok(Json(list.iter().map(|r| request_out(r, None)).collect()))
}

/// Stop, start, extend, retry or decommission; the change runs in the background.
#[utoipa::path(post, path = "/api/v1/requests/{id}/actions/{action}", params(("id" = i64, Path), ("action" = String, Path)),
    responses((status = 202, body = MessageOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn act(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    let action = UserAction::parse(&action).ok_or(CoreError::NotFound("action"))?;
    let message = resources::act(&state.db, Some(&actor.0), id, action).await?;
    Ok((StatusCode::ACCEPTED, Json(MessageOut { message })))
}

/// The audit trail, newest first, 100 at a time (operators).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery),
    responses((status = 200, body = [AuditOut]), (status = 403)), security(("token" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditOut>>, ApiError> {
    let filter = campus_core::store::audit::Filter {
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        actor: q.actor,
        before_id: q.before_id,
        limit: 100,
    };
    let list = operations::audit(&state.db, Some(&actor.0), &filter).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| AuditOut {
                id: e.id,
                at: e.at,
                actor: e.actor_name,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
                before: e.before,
                after: e.after,
                request_id: e.request_id,
            })
            .collect(),
    ))
}

/// Puts a dead-letter job back in the queue (operators).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/redrive", params(("id" = i64, Path)),
    responses((status = 202, body = MessageOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn redrive(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<MessageOut>), ApiError> {
    operations::redrive(&state.db, Some(&actor.0), id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageOut {
            message: format!("job {id} is queued again"),
        }),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalogue", get(catalogue))
        .route("/api/v1/requests", get(list_requests))
        .route("/api/v1/projects/{id}/requests", post(submit))
        .route("/api/v1/projects/{id}/room", get(room))
        .route("/api/v1/requests/{id}", get(get_request))
        .route("/api/v1/requests/{id}/decision", post(decide))
        .route("/api/v1/requests/{id}/actions/{action}", post(act))
        .route("/api/v1/requests/{id}/resubmit", post(resubmit))
        .route("/api/v1/approvals", get(approvals))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/jobs/{id}/redrive", post(redrive))
}
