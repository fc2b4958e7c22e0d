//! The JSON API for the inventory (operators): hosts by data centre with their devices and free
//! room, and adding, editing, draining and retiring hosts and devices. Same services as the page.

use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiPath, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use campus_core::hardware::changes::{DeviceInput, HostInput};
use campus_core::services::inventory::{self, HostView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DeviceOut {
    id: i64,
    /// gpu or tpu
    kind: String,
    model: String,
    memory_gb: u32,
    /// Its index on the host (the GRES index, or the device number)
    slot: u32,
}

#[derive(Serialize, ToSchema)]
pub struct HostFreeOut {
    cores: u32,
    ram_gb: u32,
    gpus: u32,
}

#[derive(Serialize, ToSchema)]
pub struct InventoryHostOut {
    id: i64,
    name: String,
    /// The data centre's code
    site: String,
    cores: u32,
    mhz_per_core: u32,
    ram_gb: u32,
    storage_gb: u32,
    /// What runs there carries on; nothing new is placed or booked there.
    drained: bool,
    /// Kept in step with the Slurm cluster: only draining is the portal's.
    from_engine: bool,
    devices: Vec<DeviceOut>,
    /// What is free on it now (absent for a drained host).
    free: Option<HostFreeOut>,
}

#[derive(Serialize, ToSchema)]
pub struct SiteOut {
    code: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct InventoryOut {
    sites: Vec<SiteOut>,
    hosts: Vec<InventoryHostOut>,
}

fn host_out(h: HostView) -> InventoryHostOut {
    InventoryHostOut {
        id: h.host.id,
        name: h.host.name,
        site: h.host.site_code,
        cores: h.host.cores,
        mhz_per_core: h.host.mhz_per_core,
        ram_gb: h.host.ram_gb,
        storage_gb: h.host.storage_gb,
        drained: h.host.drained,
        from_engine: h.from_engine,
        devices: h
            .devices
            .into_iter()
            .map(|d| DeviceOut {
                id: d.id,
                kind: d.kind,
                model: d.model,
                memory_gb: d.memory_gb,
                slot: d.slot,
            })
            .collect(),
        free: h.free.filter(|f| f.accepting).map(|f| HostFreeOut {
            cores: f.cores,
            ram_gb: f.ram_gb,
            gpus: f.gpus,
        }),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostIn {
    /// A data centre's code (not the Slurm cluster's, whose hosts come from Slurm)
    site: String,
    /// Lower-case letters, digits and hyphens, like dc1-cpu-05
    name: String,
    cores: u32,
    mhz_per_core: u32,
    ram_gb: u32,
    storage_gb: u32,
}

impl From<HostIn> for HostInput {
    fn from(b: HostIn) -> Self {
        HostInput {
            site: b.site,
            name: b.name,
            cores: b.cores.to_string(),
            mhz_per_core: b.mhz_per_core.to_string(),
            ram_gb: b.ram_gb.to_string(),
            storage_gb: b.storage_gb.to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceIn {
    /// gpu or tpu
    kind: String,
    /// What people book, like "NVIDIA A100 80GB" or "TPU v4"
    model: String,
    memory_gb: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrainIn {
    /// true to drain, false to return the host to service
    drained: bool,
}

async fn one(state: &AppState, actor: &TokenActor, id: i64) -> Result<InventoryHostOut, ApiError> {
    Ok(host_out(
        inventory::host(&state.db, Some(&actor.0), id).await?,
    ))
}

/// The data centres and their hosts, with devices and free room (operators).
#[utoipa::path(get, path = "/api/v1/inventory", responses((status = 200, body = InventoryOut), (status = 403)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    actor: TokenActor,
) -> Result<Json<InventoryOut>, ApiError> {
    let inv = inventory::overview(&state.db, Some(&actor.0)).await?;
    Ok(Json(InventoryOut {
        sites: inv
            .sites
            .into_iter()
            .map(|(code, name)| SiteOut { code, name })
            .collect(),
        hosts: inv.hosts.into_iter().map(host_out).collect(),
    }))
}

/// Records a new host (operators); audited.
#[utoipa::path(post, path = "/api/v1/inventory/hosts", request_body = HostIn,
    responses((status = 201, body = InventoryHostOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn add_host(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiJson(b): ApiJson<HostIn>,
) -> Result<(StatusCode, Json<InventoryHostOut>), ApiError> {
    let id = inventory::add_host(&state.db, Some(&actor.0), &b.into()).await?;
    Ok((StatusCode::CREATED, Json(one(&state, &actor, id).await?)))
}

/// One host.
#[utoipa::path(get, path = "/api/v1/inventory/hosts/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = InventoryHostOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn get_host(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InventoryHostOut>, ApiError> {
    Ok(Json(one(&state, &actor, id).await?))
}

/// Changes a host's data centre, name or size; never below what runs on it (operators).
#[utoipa::path(put, path = "/api/v1/inventory/hosts/{id}", params(("id" = i64, Path)), request_body = HostIn,
    responses((status = 200, body = InventoryHostOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn edit_host(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<HostIn>,
) -> Result<Json<InventoryHostOut>, ApiError> {
    inventory::edit_host(&state.db, Some(&actor.0), id, &b.into()).await?;
    Ok(Json(one(&state, &actor, id).await?))
}

/// Drains a host or returns it to service (operators).
#[utoipa::path(put, path = "/api/v1/inventory/hosts/{id}/drained", params(("id" = i64, Path)), request_body = DrainIn,
    responses((status = 200, body = InventoryHostOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn drain(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DrainIn>,
) -> Result<Json<InventoryHostOut>, ApiError> {
    inventory::drain(&state.db, Some(&actor.0), id, b.drained).await?;
    Ok(Json(one(&state, &actor, id).await?))
}

/// Retires a drained host with nothing on it and no bookings ahead (operators).
#[utoipa::path(post, path = "/api/v1/inventory/hosts/{id}/retire", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn retire_host(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    inventory::retire_host(&state.db, Some(&actor.0), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a GPU or TPU to a host (operators).
#[utoipa::path(post, path = "/api/v1/inventory/hosts/{id}/devices", params(("id" = i64, Path)), request_body = DeviceIn,
    responses((status = 201, body = InventoryHostOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn add_device(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeviceIn>,
) -> Result<(StatusCode, Json<InventoryHostOut>), ApiError> {
    let input = DeviceInput {
        kind: b.kind,
        model: b.model,
        memory_gb: b.memory_gb.to_string(),
    };
    inventory::add_device(&state.db, Some(&actor.0), id, &input).await?;
    Ok((StatusCode::CREATED, Json(one(&state, &actor, id).await?)))
}

/// Retires a device no booking holds from now on (operators).
#[utoipa::path(post, path = "/api/v1/inventory/devices/{id}/retire", params(("id" = i64, Path)),
    responses((status = 200, body = InventoryHostOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn retire_device(
    State(state): State<AppState>,
    actor: TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InventoryHostOut>, ApiError> {
    let host = inventory::retire_device(&state.db, Some(&actor.0), id).await?;
    Ok(Json(one(&state, &actor, host).await?))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inventory", get(list))
        .route("/api/v1/inventory/hosts", post(add_host))
        .route("/api/v1/inventory/hosts/{id}", get(get_host).put(edit_host))
        .route("/api/v1/inventory/hosts/{id}/drained", put(drain))
        .route("/api/v1/inventory/hosts/{id}/retire", post(retire_host))
        .route("/api/v1/inventory/hosts/{id}/devices", post(add_device))
        .route("/api/v1/inventory/devices/{id}/retire", post(retire_device))
}
