//! The JSON API for booked against used accelerator time per week: a project's record (who may
//! see the project) and the network's utilisation per device model (operators). Same service as
//! the pages.

use crate::api::error::ApiError;
use crate::api::extract::{ApiPath, ApiQuery, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use campus_core::accelerators::usage::{self, WeekUse};
use campus_core::clock::now;
use campus_core::services::accelerator_use;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WeeksQuery {
    /// How many weeks up to this one, 1 to 52 (8 when empty)
    #[serde(default)]
    weeks: String,
}

#[derive(Serialize, ToSchema)]
pub struct WeekUseOut {
    /// Monday 00:00 UTC of the week, Unix seconds
    week_start: i64,
    model: String,
    /// Device-hours bookings held (a released booking only until its release)
    booked_hours: f64,
    /// Device-hours resources ran on devices of the model
    used_hours: f64,
    /// Device-hours booked and given back unused when a booking was released
    released_hours: f64,
}

fn hours(device_seconds: i64) -> f64 {
    // Same rounding as the pages: one decimal place.
    usage::hours(device_seconds).parse().unwrap_or(0.0)
}

fn week_out(w: WeekUse) -> WeekUseOut {
    WeekUseOut {
        week_start: w.week_start,
        booked_hours: hours(w.booked),
        used_hours: hours(w.used),
        released_hours: hours(w.released),
        model: w.model,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModelUseOut {
    /// gpu or tpu ("" for a model no longer in service)
    kind: String,
    model: String,
    /// Devices of the model in service now
    devices: i64,
    /// Device-hours in a week: devices × 168
    capacity_hours: i64,
    weeks: Vec<ModelWeekOut>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelWeekOut {
    week_start: i64,
    booked_hours: f64,
    used_hours: f64,
    released_hours: f64,
    /// Booked time as a whole percentage of the week's capacity
    booked_percent: i64,
    /// Used time as a whole percentage of the week's capacity
    used_percent: i64,
}

/// A project's booked, used and released accelerator hours per model for each week up to this
/// one (who may see the project).
#[utoipa::path(get, path = "/api/v1/projects/{id}/accelerator-use", params(("id" = i64, Path), WeeksQuery),
    responses((status = 200, body = [WeekUseOut]), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn for_project(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<WeeksQuery>,
) -> Result<Json<Vec<WeekUseOut>>, ApiError> {
    let weeks = accelerator_use::weeks_asked(&q.weeks)?;
    let found = accelerator_use::for_project(&state.db, Some(&actor), id, weeks, now()).await?;
    Ok(Json(found.weeks.into_iter().map(week_out).collect()))
}

/// Utilisation of each accelerator model per week: booked and used device-hours against what
/// the devices in service could give (operators).
#[utoipa::path(get, path = "/api/v1/accelerators/utilisation", params(WeeksQuery),
    responses((status = 200, body = [ModelUseOut]), (status = 403), (status = 422)), security(("token" = [])))]
pub async fn utilisation(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiQuery(q): ApiQuery<WeeksQuery>,
) -> Result<Json<Vec<ModelUseOut>>, ApiError> {
    let weeks = accelerator_use::weeks_asked(&q.weeks)?;
    let models = accelerator_use::utilisation(&state.db, Some(&actor), weeks, now()).await?;
    Ok(Json(
        models
            .into_iter()
            .map(|m| ModelUseOut {
                capacity_hours: m.capacity_hours(),
                weeks: m
                    .weeks
                    .iter()
                    .map(|w| ModelWeekOut {
                        week_start: w.week_start,
                        booked_hours: hours(w.booked),
                        used_hours: hours(w.used),
                        released_hours: hours(w.released),
                        booked_percent: m.share(w.booked),
                        used_percent: m.share(w.used),
                    })
                    .collect(),
                kind: m.kind,
                model: m.model,
                devices: m.devices,
            })
            .collect(),
    ))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/projects/{id}/accelerator-use", get(for_project))
        .route("/api/v1/accelerators/utilisation", get(utilisation))
}
