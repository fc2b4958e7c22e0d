//! The JSON API for what operators set: offering policies and project quotas. Same services
//! as the pages.

use crate::api::error::ApiError;
use crate::api::extract::ApiPath;
use crate::api::extract::{ApiJson, TokenActor};
use crate::api::resources::SizeOut;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use campus_core::requests::quota::{Amounts, Resource as QuotaResource};
use campus_core::services::settings::{
    self, OfferingInput, PolicyInput, ProjectQuota, QuotaInput, SizeInput,
};
use campus_core::store::catalogue::Offering;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OfferingPolicyOut {
    id: i64,
    slug: String,
    /// workspace, storage or web_service
    kind: String,
    name: String,
    needs_approval: bool,
    default_days: u32,
    extension_days: u32,
    max_extensions: u32,
    /// 0: never stopped for being idle.
    idle_stop_minutes: u32,
    /// Retired offerings take no new requests.
    retired: bool,
    sizes: Vec<SizeOut>,
}

fn policy_out(o: Offering) -> OfferingPolicyOut {
    OfferingPolicyOut {
        sizes: o.sizes.iter().map(SizeOut::of).collect(),
        id: o.id,
        slug: o.slug,
        kind: o.kind.as_str().to_owned(),
        name: o.name,
        needs_approval: o.needs_approval,
        default_days: o.default_days,
        extension_days: o.extension_days,
        max_extensions: o.max_extensions,
        idle_stop_minutes: o.idle_stop_minutes,
        retired: o.retired,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    needs_approval: bool,
    /// 1 to 730
    default_days: u32,
    /// 0 to 365; more than 0 whenever max_extensions is
    extension_days: u32,
    /// 0 to 20
    max_extensions: u32,
    /// 0 (never) to 10080
    idle_stop_minutes: u32,
    retired: bool,
}

/// Amounts by resource: CPU cores, memory and storage in GB, GPUs, and counts of each kind.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaAmounts {
    cpu_cores: u32,
    ram_gb: u32,
    gpus: u32,
    storage_gb: u32,
    workspaces: u32,
    datasets: u32,
    web_services: u32,
}

impl From<Amounts> for QuotaAmounts {
    fn from(a: Amounts) -> Self {
        QuotaAmounts {
            cpu_cores: a.cpu_cores,
            ram_gb: a.ram_gb,
            gpus: a.gpus,
            storage_gb: a.storage_gb,
            workspaces: a.workspaces,
            datasets: a.datasets,
            web_services: a.web_services,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct QuotaOut {
    project_id: i64,
    limit: QuotaAmounts,
    /// What the project's live resources hold now.
    used: QuotaAmounts,
    /// Resources at 75 % of their limit or more.
    warnings: Vec<QuotaWarning>,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaWarning {
    /// cpu_cores, ram_gb, gpus, storage_gb, workspaces, datasets or web_services
    resource: String,
    /// warning (75 %), critical (95 %) or over
    level: String,
}

fn quota_out(q: ProjectQuota) -> QuotaOut {
    use campus_core::requests::quota::Level;
    QuotaOut {
        project_id: q.project_id,
        warnings: q
            .usage
            .levels
            .iter()
            .filter_map(|(r, l)| {
                let level = match l {
                    Level::Fine => return None,
                    Level::Warning => "warning",
                    Level::Critical => "critical",
                    Level::Over => "over",
                };
                Some(QuotaWarning {
                    resource: r.key().to_owned(),
                    level: level.to_owned(),
                })
            })
            .collect(),
        limit: q.usage.limit.into(),
        used: q.usage.used.into(),
    }
}

/// Every offering with its policy, retired ones included (operators).
#[utoipa::path(get, path = "/api/v1/offerings", responses((status = 200, body = [OfferingPolicyOut]), (status = 401), (status = 403)), security(("token" = [])))]
pub async fn offerings(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
) -> Result<Json<Vec<OfferingPolicyOut>>, ApiError> {
    let list = settings::offerings(&state.db, Some(&actor)).await?;
    Ok(Json(list.into_iter().map(policy_out).collect()))
}

/// Replaces an offering's policy (operators). Applies to new requests and extensions.
#[utoipa::path(put, path = "/api/v1/offerings/{id}/policy", params(("id" = i64, Path)), request_body = PolicyIn,
    responses((status = 200, body = OfferingPolicyOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn put_policy(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<PolicyIn>,
) -> Result<Json<OfferingPolicyOut>, ApiError> {
    let input = PolicyInput {
        needs_approval: p.needs_approval,
        default_days: p.default_days.to_string(),
        extension_days: p.extension_days.to_string(),
        max_extensions: p.max_extensions.to_string(),
        idle_stop_minutes: p.idle_stop_minutes.to_string(),
        retired: p.retired,
    };
    let o = settings::update_policy(&state.db, Some(&actor), id, &input).await?;
    Ok(Json(policy_out(o)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SizeIn {
    /// Lower-case letters, digits and hyphens; unique within the offering
    code: String,
    label: String,
    /// At least 1 for workspaces and web services; 0 for storage
    cpu_cores: u32,
    ram_gb: u32,
    gpus: u32,
    /// At least 1 for storage
    storage_gb: u32,
}

impl From<SizeIn> for SizeInput {
    fn from(s: SizeIn) -> Self {
        SizeInput {
            code: s.code,
            label: s.label,
            cpu_cores: s.cpu_cores.to_string(),
            ram_gb: s.ram_gb.to_string(),
            gpus: s.gpus.to_string(),
            storage_gb: s.storage_gb.to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOfferingIn {
    /// workspace, web_service, storage (a directory) or database (PostgreSQL)
    kind: String,
    name: String,
    description: String,
    /// For workspaces and web services: the program, a name on the sandbox's PATH or an
    /// absolute path
    #[serde(default)]
    program: String,
    /// Its arguments, each passed as it is; they must listen on {port} or {socket}, and may
    /// use {host}, {home} and {base_url}
    #[serde(default)]
    arguments: Vec<String>,
    #[serde(default)]
    needs_approval: bool,
    default_days: u32,
    size: SizeIn,
}

/// Adds an offering, offered at once, with its first size (operators).
#[utoipa::path(post, path = "/api/v1/offerings", request_body = NewOfferingIn,
    responses((status = 201, body = OfferingPolicyOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn create_offering(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiJson(o): ApiJson<NewOfferingIn>,
) -> Result<(StatusCode, Json<OfferingPolicyOut>), ApiError> {
    let input = OfferingInput {
        kind: o.kind,
        name: o.name,
        description: o.description,
        program: o.program,
        arguments: o.arguments,
        needs_approval: o.needs_approval,
        default_days: o.default_days.to_string(),
        size: o.size.into(),
    };
    let programs = crate::provision::availability::programs(&state.config.provisioning.workloads);
    let id = settings::create_offering(&state.db, Some(&actor), &input, &programs).await?;
    let o = settings::offering(&state.db, Some(&actor), id).await?;
    Ok((StatusCode::CREATED, Json(policy_out(o))))
}

/// Adds a size to an offering (operators).
#[utoipa::path(post, path = "/api/v1/offerings/{id}/sizes", params(("id" = i64, Path)), request_body = SizeIn,
    responses((status = 201, body = OfferingPolicyOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn add_size(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(s): ApiJson<SizeIn>,
) -> Result<(StatusCode, Json<OfferingPolicyOut>), ApiError> {
    let o = settings::add_size(&state.db, Some(&actor), id, &s.into()).await?;
    Ok((StatusCode::CREATED, Json(policy_out(o))))
}

/// Removes a size; resources of that size keep theirs (operators).
#[utoipa::path(delete, path = "/api/v1/offerings/{id}/sizes/{code}", params(("id" = i64, Path), ("code" = String, Path)),
    responses((status = 200, body = OfferingPolicyOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn remove_size(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath((id, code)): ApiPath<(i64, String)>,
) -> Result<Json<OfferingPolicyOut>, ApiError> {
    let o = settings::remove_size(&state.db, Some(&actor), id, &code).await?;
    Ok(Json(policy_out(o)))
}

/// A project's quota and what it holds (members and operators).
#[utoipa::path(get, path = "/api/v1/projects/{id}/quota", params(("id" = i64, Path)),
    responses((status = 200, body = QuotaOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn get_quota(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<QuotaOut>, ApiError> {
    let q = settings::project_quota(&state.db, Some(&actor), id).await?;
    Ok(Json(quota_out(q)))
}

/// Replaces a project's quota (operators).
#[utoipa::path(put, path = "/api/v1/projects/{id}/quota", params(("id" = i64, Path)), request_body = QuotaAmounts,
    responses((status = 200, body = QuotaOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn put_quota(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(q): ApiJson<QuotaAmounts>,
) -> Result<Json<QuotaOut>, ApiError> {
    let values = [
        q.cpu_cores,
        q.ram_gb,
        q.gpus,
        q.storage_gb,
        q.workspaces,
        q.datasets,
        q.web_services,
    ];
    let input: QuotaInput = QuotaResource::ALL
        .iter()
        .zip(values)
        .map(|(r, v)| (r.key().to_owned(), v.to_string()))
        .collect();
    let q = settings::set_quota(&state.db, Some(&actor), id, &input).await?;
    Ok(Json(quota_out(q)))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/offerings", get(offerings).post(create_offering))
        .route("/api/v1/offerings/{id}/policy", put(put_policy))
        .route("/api/v1/offerings/{id}/sizes", post(add_size))
        .route("/api/v1/offerings/{id}/sizes/{code}", delete(remove_size))
        .route("/api/v1/projects/{id}/quota", get(get_quota).put(put_quota))
}
