//! The JSON API for what operators watch (capacity, hosts, what runs where, the queue and its
//! dead letters), everyone's notifications, and a project database's connection settings.

use crate::api::error::ApiError;
use crate::api::extract::ApiPath;
use crate::api::extract::TokenActor;
use crate::api::resources::{request_out, MessageOut, RequestOut};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use campus_core::requests::capacity::Capacity;
use campus_core::services::{operations, resources};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CapacityOut {
    cores: u32,
    ghz: u32,
    ram_gb: u32,
    storage_gb: u32,
    gpus: u32,
}

impl From<&Capacity> for CapacityOut {
    fn from(c: &Capacity) -> Self {
        CapacityOut {
            cores: c.cores,
            ghz: c.ghz,
            ram_gb: c.ram_gb,
            storage_gb: c.storage_gb,
            gpus: c.gpus,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HostOut {
    site: String,
    name: String,
    cores: u32,
    mhz_per_core: u32,
    ram_gb: u32,
    storage_gb: u32,
    gpus: u32,
    gpu_model: String,
    /// What the cluster engine reports allocated (0 for hosts it does not own).
    alloc_cores: u32,
    alloc_ram_gb: u32,
    alloc_gpus: u32,
}

#[derive(Serialize, ToSchema)]
pub struct PlacedOut {
    #[serde(flatten)]
    request: RequestOut,
    /// The engine's id: a process id, a Slurm job id, a directory or database.
    external_id: String,
    /// host:port the proxy forwards to, when it runs.
    endpoint: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeadJobOut {
    id: i64,
    /// provision, start, stop or destroy
    kind: String,
    resource_id: i64,
    attempts: i64,
    last_error: String,
}

#[derive(Serialize, ToSchema)]
pub struct QueueCount {
    state: String,
    jobs: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OperationsOut {
    total: CapacityOut,
    free: CapacityOut,
    hosts: Vec<HostOut>,
    /// Everything allocated, failed or on its way, and where it runs.
    running: Vec<PlacedOut>,
    queue: Vec<QueueCount>,
    dead_letters: Vec<DeadJobOut>,
}

/// Capacity, hardware, what runs where, the queue and its dead letters (operators).
#[utoipa::path(get, path = "/api/v1/operations", responses((status = 200, body = OperationsOut), (status = 403)), security(("token" = [])))]
pub async fn overview(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
) -> Result<Json<OperationsOut>, ApiError> {
    let o = operations::overview(&state.db, Some(&actor)).await?;
    Ok(Json(OperationsOut {
        total: (&o.total).into(),
        free: (&o.free).into(),
        hosts: o
            .hosts
            .into_iter()
            .map(|h| HostOut {
                site: h.site_code,
                name: h.name,
                cores: h.cores,
                mhz_per_core: h.mhz_per_core,
                ram_gb: h.ram_gb,
                storage_gb: h.storage_gb,
                gpus: h.gpus,
                gpu_model: h.gpu_model,
                alloc_cores: h.alloc_cores,
                alloc_ram_gb: h.alloc_ram_gb,
                alloc_gpus: h.alloc_gpus,
            })
            .collect(),
        running: o
            .running
            .iter()
            .map(|r| PlacedOut {
                request: request_out(r, None),
                external_id: r.external_id.clone(),
                endpoint: r.endpoint.clone(),
            })
            .collect(),
        queue: o
            .queue
            .into_iter()
            .map(|(state, jobs)| QueueCount { state, jobs })
            .collect(),
        dead_letters: o
            .dead
            .into_iter()
            .map(|j| DeadJobOut {
                id: j.id,
                kind: j.kind.as_str().to_owned(),
                resource_id: j.resource_id,
                attempts: j.attempts,
                last_error: j.last_error,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    id: i64,
    subject: String,
    body: String,
    /// The portal page it is about.
    link: String,
    created_at: i64,
    read: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct NotificationQuery {
    /// Only notifications older than this id: pass the last id of the previous page.
    before_id: Option<i64>,
}

/// The token owner's notifications, newest first, 100 at a time.
#[utoipa::path(get, path = "/api/v1/notifications", params(NotificationQuery),
    responses((status = 200, body = [NotificationOut]), (status = 401)), security(("token" = [])))]
pub async fn notifications(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    crate::api::extract::ApiQuery(q): crate::api::extract::ApiQuery<NotificationQuery>,
) -> Result<Json<Vec<NotificationOut>>, ApiError> {
    let (page, _) = operations::notifications(&state.db, Some(&actor), q.before_id, 100).await?;
    Ok(Json(
        page.items
            .into_iter()
            .map(|n| NotificationOut {
                id: n.id,
                subject: n.subject,
                body: n.body,
                link: n.link,
                created_at: n.created_at,
                read: n.read,
            })
            .collect(),
    ))
}

/// Marks all the token owner's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", responses((status = 200, body = MessageOut), (status = 401)), security(("token" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
) -> Result<Json<MessageOut>, ApiError> {
    let n = operations::mark_notifications_read(&state.db, Some(&actor)).await?;
    Ok(Json(MessageOut {
        message: format!("{n} marked read"),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionOut {
    host: String,
    port: u16,
    database: String,
    user: String,
    password: String,
}

/// A running project database's connection settings (those who may use it; audited).
#[utoipa::path(get, path = "/api/v1/requests/{id}/connection", params(("id" = i64, Path)),
    responses((status = 200, body = ConnectionOut), (status = 403), (status = 404), (status = 422), (status = 503)), security(("token" = [])))]
pub async fn connection(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConnectionOut>, ApiError> {
    let r = resources::database_access(&state.db, Some(&actor), id).await?;
    let databases = state.databases.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "this portal has no PostgreSQL server for project databases",
        )
    })?;
    let c = databases.connection(r.id);
    Ok(Json(ConnectionOut {
        host: c.host,
        port: c.port,
        database: c.database,
        user: c.user,
        password: c.password,
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/operations", get(overview))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/notifications/read", post(mark_read))
        .route("/api/v1/requests/{id}/connection", get(connection))
}
