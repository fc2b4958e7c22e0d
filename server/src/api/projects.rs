//! Projects and their members in the JSON API, and who a token belongs to.

use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiPath, ApiQuery, TokenActor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use campus_core::authz::Actor;
use campus_core::services::projects;
use campus_core::CoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: i64,
    username: String,
    display_name: String,
    roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectOut {
    id: i64,
    name: String,
    summary: String,
    lead: String,
    end_date: String,
    member_count: i64,
    /// Set when the project holds the sandboxes of this training session.
    training_session_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    user_id: i64,
    username: String,
    display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectDetailOut {
    #[serde(flatten)]
    project: ProjectOut,
    members: Vec<MemberOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectIn {
    name: String,
    summary: String,
    /// YYYY-MM-DD
    end_date: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMemberIn {
    username: String,
}

fn project_out(p: campus_core::store::projects::Project) -> ProjectOut {
    ProjectOut {
        id: p.id,
        name: p.name,
        summary: p.summary,
        lead: p.lead_name,
        end_date: p.end_date,
        member_count: p.member_count,
        training_session_id: p.training_session,
    }
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401)), security(("token" = [])))]
pub async fn me(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
) -> Result<Json<Me>, ApiError> {
    let user = campus_core::store::users::find(&state.db, actor.user_id)
        .await
        .map_err(CoreError::from)?
        .ok_or(CoreError::NotFound("user"))?;
    Ok(Json(Me {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        roles: actor.roles.iter().map(|r| r.as_str().to_owned()).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProjectsQuery {
    /// Continue after this project id: pass the last id of the previous page.
    after_id: Option<i64>,
}

/// The projects the token's owner can see, by name, 100 at a time.
#[utoipa::path(get, path = "/api/v1/projects", params(ProjectsQuery),
    responses((status = 200, body = [ProjectOut]), (status = 401)), security(("token" = [])))]
pub async fn list_projects(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiQuery(q): ApiQuery<ProjectsQuery>,
) -> Result<Json<Vec<ProjectOut>>, ApiError> {
    let page = projects::list(&state.db, Some(&actor), q.after_id, 100).await?;
    Ok(Json(page.items.into_iter().map(project_out).collect()))
}

/// Starts a project led by the token's owner.
#[utoipa::path(post, path = "/api/v1/projects", request_body = NewProjectIn,
    responses((status = 201, body = ProjectDetailOut), (status = 400), (status = 403), (status = 413), (status = 422)), security(("token" = [])))]
pub async fn create_project(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiJson(body): ApiJson<NewProjectIn>,
) -> Result<(StatusCode, Json<ProjectDetailOut>), ApiError> {
    let input = projects::ProjectInput {
        name: body.name,
        summary: body.summary,
        end_date: body.end_date,
    };
    let id = projects::create(&state.db, Some(&actor), &input).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &actor, id).await?)))
}

async fn detail(state: &AppState, actor: &Actor, id: i64) -> Result<ProjectDetailOut, ApiError> {
    let v = projects::view(&state.db, Some(actor), id).await?;
    Ok(ProjectDetailOut {
        project: project_out(v.project),
        members: v
            .members
            .into_iter()
            .map(|m| MemberOut {
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
            })
            .collect(),
    })
}

/// One project with its members.
#[utoipa::path(get, path = "/api/v1/projects/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ProjectDetailOut), (status = 403), (status = 404)), security(("token" = [])))]
pub async fn get_project(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ProjectDetailOut>, ApiError> {
    Ok(Json(detail(&state, &actor, id).await?))
}

/// Adds a member by user name (project lead or admin).
#[utoipa::path(post, path = "/api/v1/projects/{id}/members", params(("id" = i64, Path)), request_body = NewMemberIn,
    responses((status = 201, body = MemberOut), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn add_member(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewMemberIn>,
) -> Result<(StatusCode, Json<MemberOut>), ApiError> {
    let m = projects::add_member(&state.db, Some(&actor), id, &body.username).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberOut {
            user_id: m.user_id,
            username: m.username,
            display_name: m.display_name,
        }),
    ))
}

/// Removes a member (project lead or admin).
#[utoipa::path(delete, path = "/api/v1/projects/{id}/members/{user_id}", params(("id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422)), security(("token" = [])))]
pub async fn remove_member(
    State(state): State<AppState>,
    TokenActor(actor): TokenActor,
    ApiPath((id, user_id)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    projects::remove_member(&state.db, Some(&actor), id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
