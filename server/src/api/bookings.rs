//! The JSON API for accelerator bookings: what can be booked, a project's bookings, making,
//! moving and cancelling one, and operators' decisions on those beyond a project's limits.
//! Same services as the pages.

use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiPath, ApiQuery, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use campus_core::clock::now;
use campus_core::services::bookings::{self, Booked, BookingInput};
use campus_core::store::bookings::{Booking, Model};
use campus_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ModelOut {
    /// gpu or tpu
    kind: String,
    /// What a booking names: "NVIDIA A100 80GB"
    model: String,
    memory_gb: u32,
    /// Devices of this model in service
    devices: i64,
    /// The most one booking can have: its devices are on one host
    most_on_one_host: i64,
}

impl From<Model> for ModelOut {
    fn from(m: Model) -> Self {
        ModelOut {
            kind: m.kind,
            model: m.model,
            memory_gb: m.memory_gb,
            devices: m.devices,
            most_on_one_host: m.most_on_one_host,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BookingOut {
    id: i64,
    project_id: i64,
    project_name: String,
    booked_by: String,
    model: String,
    count: i64,
    /// Unix seconds, on the hour
    starts_at: i64,
    /// Unix seconds, on the hour
    ends_at: i64,
    purpose: String,
    /// confirmed, awaiting_approval, cancelled, refused or released
    state: String,
    /// Why it awaits an operator, or why it was refused or released
    reason: String,
    /// Whether the cluster keeps a reservation for it now (always false under the local driver,
    /// where the portal's own placement holds the devices)
    reserved_on_cluster: bool,
    /// The hosts its devices are on, as host:slot (only when one booking is asked for)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    devices: Vec<String>,
}

fn out(b: Booking, devices: Vec<String>) -> BookingOut {
    BookingOut {
        reserved_on_cluster: b.state == "confirmed" && !b.reserved.is_empty(),
        id: b.id,
        project_id: b.project_id,
        project_name: b.project_name,
        booked_by: b.booked_by_name,
        model: b.model,
        count: b.count,
        starts_at: b.starts_at,
        ends_at: b.ends_at,
        purpose: b.purpose,
        state: b.state,
        reason: b.reason,
        devices,
    }
}

fn booked_out(b: Booked) -> BookingOut {
    let devices = b
        .devices
        .iter()
        .map(|d| format!("{}:{}", d.host, d.slot))
        .collect();
    out(b.booking, devices)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingIn {
    /// A model from GET /api/v1/accelerators
    model: String,
    /// How many devices, all on one host
    count: u32,
    /// The day it starts, YYYY-MM-DD (UTC)
    date: String,
    /// The hour it starts, 0 to 23 (UTC)
    start_hour: u32,
    /// How long it lasts, in whole hours
    hours: u32,
    /// What the devices are for
    purpose: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeIn {
    count: u32,
    /// YYYY-MM-DD (UTC)
    date: String,
    /// 0 to 23 (UTC)
    start_hour: u32,
    hours: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseIn {
    /// Told to the person who booked
    reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsBody {
    /// Device-hours the project may book in any one week (Monday to Monday, UTC), 0 to 10752
    hours_per_week: u32,
    /// The longest single booking, 1 to 336 hours
    longest_hours: u32,
    /// How far ahead a booking may start, 1 to 56 days
    ahead_days: u32,
}

#[derive(Serialize, ToSchema)]
pub struct LimitsOut {
    hours_per_week: i64,
    longest_hours: i64,
    ahead_days: i64,
    /// True while operators have set none for the project: the portal's defaults apply
    default: bool,
}

fn limits_out(l: campus_core::accelerators::bookings::Limits, default: bool) -> LimitsOut {
    LimitsOut {
        hours_per_week: l.hours_per_week,
        longest_hours: l.longest_hours,
        ahead_days: l.ahead_days,
        default,
    }
}

/// What a project may book without an operator's approval (its members, Campus staff).
#[utoipa::path(get, path = "/api/v1/projects/{id}/booking-limits", params(("id" = i64, Path)),
    responses((status = 200, body = LimitsOut), (status = 403)), security(("token" = [])))]
pub async fn get_limits(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LimitsOut>, ApiError> {
    let (l, default) = bookings::limits(&state.db, Some(&actor), id).await?;
    Ok(Json(limits_out(l, default)))
}

/// Sets a project's booking limits (operators); new bookings beyond them go to an operator.
#[utoipa::path(put, path = "/api/v1/projects/{id}/booking-limits", params(("id" = i64, Path)), request_body = LimitsBody,
    responses((status = 200, body = LimitsOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn put_limits(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<LimitsBody>,
) -> Result<Json<LimitsOut>, ApiError> {
    let input = bookings::LimitsInput {
        hours_per_week: b.hours_per_week.to_string(),
        longest_hours: b.longest_hours.to_string(),
        ahead_days: b.ahead_days.to_string(),
    };
    let l = bookings::set_limits(&state.db, Some(&actor), id, &input, now()).await?;
    Ok(Json(limits_out(l, false)))
}

/// Device models that can be booked, with how many are in service (Campus staff).
#[utoipa::path(get, path = "/api/v1/accelerators", responses((status = 200, body = [ModelOut]), (status = 403)), security(("token" = [])))]
pub async fn models(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
) -> Result<Json<Vec<ModelOut>>, ApiError> {
    let list = bookings::models(&state.db, Some(&actor)).await?;
    Ok(Json(list.into_iter().map(ModelOut::from).collect()))
}

/// A project's bookings that ended less than a week ago or are still to come (its members,
/// Campus staff and operators).
#[utoipa::path(get, path = "/api/v1/projects/{id}/bookings", params(("id" = i64, Path)),
    responses((status = 200, body = [BookingOut]), (status = 403)), security(("token" = [])))]
pub async fn for_project(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<BookingOut>>, ApiError> {
    let list = bookings::for_project(&state.db, Some(&actor), id, now()).await?;
    Ok(Json(list.into_iter().map(|b| out(b, Vec::new())).collect()))
}

/// Books devices for a project (its staff members). Within the project's limits it is
/// confirmed; beyond them it awaits an operator, and `reason` says why. A slot other bookings
/// hold is refused with the numbers free.
#[utoipa::path(post, path = "/api/v1/projects/{id}/bookings", params(("id" = i64, Path)), request_body = BookingIn,
    responses((status = 201, body = BookingOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn book(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<BookingIn>,
) -> Result<(StatusCode, Json<BookingOut>), ApiError> {
    let input = BookingInput {
        model: b.model,
        count: b.count.to_string(),
        date: b.date,
        start_hour: b.start_hour.to_string(),
        hours: b.hours.to_string(),
        purpose: b.purpose,
    };
    let made = bookings::book(&state.db, Some(&actor), id, &input, now()).await?;
    Ok((StatusCode::CREATED, Json(booked_out(made))))
}

/// One booking and the devices it holds.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = BookingOut), (status = 403)), security(("token" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BookingOut>, ApiError> {
    Ok(Json(booked_out(
        bookings::get(&state.db, Some(&actor), id).await?,
    )))
}

/// Moves a live booking to another window or number of devices (whoever booked it, the project
/// lead, operators). It is checked again against the project's limits.
#[utoipa::path(put, path = "/api/v1/bookings/{id}", params(("id" = i64, Path)), request_body = ChangeIn,
    responses((status = 200, body = BookingOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn change(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(c): ApiJson<ChangeIn>,
) -> Result<Json<BookingOut>, ApiError> {
    let input = BookingInput {
        count: c.count.to_string(),
        date: c.date,
        start_hour: c.start_hour.to_string(),
        hours: c.hours.to_string(),
        ..Default::default()
    };
    Ok(Json(booked_out(
        bookings::change(&state.db, Some(&actor), id, &input, now()).await?,
    )))
}

/// Cancels a live booking; its devices are free at once.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", params(("id" = i64, Path)),
    responses((status = 200, body = BookingOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BookingOut>, ApiError> {
    let b = bookings::cancel(&state.db, Some(&actor), id, now()).await?;
    Ok(Json(out(b, Vec::new())))
}

/// Confirms a booking beyond its project's limits (operators).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/approve", params(("id" = i64, Path)),
    responses((status = 200, body = BookingOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BookingOut>, ApiError> {
    let b = bookings::approve(&state.db, Some(&actor), id, now()).await?;
    Ok(Json(out(b, Vec::new())))
}

/// Refuses a live booking, saying why (operators).
#[utoipa::path(post, path = "/api/v1/bookings/{id}/refuse", params(("id" = i64, Path)), request_body = RefuseIn,
    responses((status = 200, body = BookingOut), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn refuse(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<RefuseIn>,
) -> Result<Json<BookingOut>, ApiError> {
    let b = bookings::refuse(&state.db, Some(&actor), id, &r.reason, now()).await?;
    Ok(Json(out(b, Vec::new())))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WeekQuery {
    /// The model, as /api/v1/accelerators names it (the first model when empty)
    #[serde(default)]
    model: String,
    /// Any day of the week wanted, YYYY-MM-DD (this week when empty)
    #[serde(default)]
    week_of: String,
}

#[derive(Serialize, ToSchema)]
pub struct HourOut {
    /// Unix seconds, on the hour
    starts_at: i64,
    /// Devices of the model no live booking holds then
    free: i64,
    /// The projects whose bookings hold devices then
    held_by: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WeekOut {
    model: String,
    /// Devices of the model in service
    devices: i64,
    /// Monday 00:00 UTC, Unix seconds
    week_start: i64,
    /// Seven days from Monday, each of 24 hours from 00:00 UTC
    days: Vec<Vec<HourOut>>,
    /// The live bookings of the model that touch the week
    bookings: Vec<BookingOut>,
}

/// A week of one model as the week view shows it: each hour's free devices and who holds the
/// rest, and the bookings behind them (Campus staff).
#[utoipa::path(get, path = "/api/v1/accelerators/week", params(WeekQuery),
    responses((status = 200, body = WeekOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn week(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiQuery(q): ApiQuery<WeekQuery>,
) -> Result<Json<WeekOut>, ApiError> {
    let w = bookings::week_exactly(&state.db, Some(&actor), &q.model, &q.week_of, now()).await?;
    let Some(model) = w.model else {
        return Err(CoreError::NotFound("accelerator model").into());
    };
    let mut days: Vec<Vec<HourOut>> = (0..7).map(|_| Vec::with_capacity(24)).collect();
    for row in w.grid {
        for (day, slot) in row.into_iter().enumerate() {
            days[day].push(HourOut {
                starts_at: slot.start,
                free: (model.devices - slot.held).max(0),
                held_by: slot.holders,
            });
        }
    }
    Ok(Json(WeekOut {
        model: model.model,
        devices: model.devices,
        week_start: w.week_start,
        days,
        bookings: w.bookings.into_iter().map(|b| out(b, Vec::new())).collect(),
    }))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/accelerators", get(models))
        .route("/api/v1/accelerators/week", get(week))
        .route(
            "/api/v1/projects/{id}/bookings",
            get(for_project).post(book),
        )
        .route(
            "/api/v1/projects/{id}/booking-limits",
            get(get_limits).put(put_limits),
        )
        .route("/api/v1/bookings/{id}", get(get_one).put(change))
        .route("/api/v1/bookings/{id}/cancel", post(cancel))
        .route("/api/v1/bookings/{id}/approve", post(approve))
        .route("/api/v1/bookings/{id}/refuse", post(refuse))
}
