//! The JSON API under /api/v1, authenticated by personal access token (`Authorization: Bearer`).
//! It calls the same core services as the pages; its OpenAPI document is generated from these
//! handlers and served at /api/v1/openapi.json.

pub mod acquisitions;
pub mod operations;
pub mod public;
pub mod resources;
pub mod settings;

use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use campus_core::authz::{Actor, Denied};
use campus_core::services::{accounts, projects};
use campus_core::CoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{OpenApi, ToSchema};

/// An API error: `{"error": {"code", "message", "fields"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Option<serde_json::Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(f) = self.fields {
            error["fields"] = f;
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Denied(Denied::NotSignedIn) => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send a valid token as Authorization: Bearer <token>",
            ),
            CoreError::Denied(Denied::Forbidden(why)) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", why)
            }
            CoreError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such {what}"),
            ),
            CoreError::Invalid(fields) => ApiError {
                fields: Some(serde_json::to_value(fields.as_map()).unwrap_or_default()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    "some fields are not valid",
                )
            },
            other => {
                tracing::error!(error = %other, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side",
                )
            }
        }
    }
}

/// JSON body whose rejections are answered in the API's error shape, naming the field at fault.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_json",
                e.body_text(),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                e.body_text(),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_content_type",
                "send Content-Type: application/json",
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than the configured limit",
            )),
            Err(e) => Err(ApiError::new(e.status(), "bad_request", e.body_text())),
        }
    }
}

/// Path parameters whose rejections (an id that is not a number, say) are answered in the API's
/// error shape.
pub struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                e.body_text(),
            )),
        }
    }
}

/// A query string whose rejections are answered in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                e.body_text(),
            )),
        }
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "send a valid token as Authorization: Bearer <token>",
    )
}

/// The actor behind the request's bearer token: `None` without an Authorization header, and a
/// refusal for a header that does not carry a valid token (never quietly anonymous).
async fn token_actor(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    use campus_core::store::tokens::Presented;
    let (user, scopes) = match campus_core::store::tokens::authenticate(&state.db, token.trim())
        .await
        .map_err(CoreError::from)?
    {
        Presented::Live { user_id, scopes } => (user_id, scopes),
        Presented::Unknown => return Err(unauthenticated()),
        Presented::Revoked => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_revoked",
                "this token was revoked; make a new one on My account",
            ))
        }
        Presented::Expired { at } => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                format!(
                    "this token expired on {}; make a new one on My account",
                    campus_core::clock::format_utc(at)
                ),
            ))
        }
    };
    let owner = accounts::actor(&state.db, user)
        .await?
        .ok_or_else(unauthenticated)?;
    Ok(Some(Actor::through_token(user, &owner.roles, scopes)))
}

/// The actor behind the bearer token; requests without a valid token are refused.
pub struct TokenActor(pub Actor);

impl FromRequestParts<AppState> for TokenActor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        token_actor(parts, state)
            .await?
            .map(TokenActor)
            .ok_or_else(unauthenticated)
    }
}

/// For routes open to anyone: the token's actor when one is sent, else anonymous. A token that
/// is sent but not valid is refused.
pub struct MaybeTokenActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeTokenActor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeTokenActor(token_actor(parts, state).await?))
    }
}

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

struct TokenSecurity;

impl utoipa::Modify for TokenSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The refusals every operation can give, documented once rather than on each: 401 (no valid
/// token where one is needed, or a token sent that is not valid), 400 and 404 for operations
/// with path parameters, and 400, 413, 415 and 422 for those that take a JSON body. All come in
/// the API's JSON error shape.
struct StandardErrors;

impl utoipa::Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::ResponseBuilder;
        let add = |op: &mut utoipa::openapi::path::Operation, code: &str, why: &str| {
            op.responses
                .responses
                .entry(code.to_owned())
                .or_insert_with(|| ResponseBuilder::new().description(why).build().into());
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_params = path.contains('{');
            for op in [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                add(op, "401", "No valid token where one is needed, or a token that is not valid (ended, revoked or unknown)");
                if has_params {
                    add(op, "400", "A path parameter is not of its type");
                    add(op, "404", "No such thing, or none this token may see");
                }
                if op.request_body.is_some() {
                    add(op, "400", "The body is not JSON");
                    add(op, "413", "The body is larger than the configured limit");
                    add(op, "415", "The body is not sent as application/json");
                    add(
                        op,
                        "422",
                        "The body does not have the fields this operation needs",
                    );
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Campus Portal API", description = "Projects, members, the catalogue and its policies, project quotas, resource requests, decisions, resource changes, project database connections, capacity and the queue, notifications, the audit trail, data acquisitions through data control and ethics review, the dataset catalogue with its grants, the public data-use register, published project pages, training courses and search on the Data Science Campus network. Authenticate with a personal access token from My account; the register, project pages, public courses and search need none."),
    paths(me, list_projects, create_project, get_project, add_member, remove_member,
        crate::api::resources::catalogue, crate::api::resources::list_requests,
        crate::api::resources::submit, crate::api::resources::get_request,
        crate::api::resources::decide, crate::api::resources::act,
        crate::api::resources::audit, crate::api::resources::redrive,
        crate::api::settings::offerings, crate::api::settings::put_policy,
        crate::api::settings::create_offering, crate::api::settings::add_size,
        crate::api::settings::remove_size,
        crate::api::settings::get_quota, crate::api::settings::put_quota,
        crate::api::resources::resubmit, crate::api::resources::approvals,
        crate::api::operations::overview, crate::api::operations::notifications,
        crate::api::operations::mark_read, crate::api::operations::connection,
        crate::api::acquisitions::list, crate::api::acquisitions::start,
        crate::api::acquisitions::get_one, crate::api::acquisitions::save_section,
        crate::api::acquisitions::save_ethics, crate::api::acquisitions::submit,
        crate::api::acquisitions::withdraw, crate::api::acquisitions::amend,
        crate::api::acquisitions::data_control,
        crate::api::acquisitions::ethics_review, crate::api::acquisitions::changes,
        crate::api::acquisitions::decide, crate::api::acquisitions::register,
        crate::api::acquisitions::datasets, crate::api::acquisitions::dataset,
        crate::api::acquisitions::grant, crate::api::acquisitions::revoke,
        crate::api::acquisitions::project_datasets, crate::api::acquisitions::upload,
        crate::api::acquisitions::close,
        crate::api::public::showcase_list, crate::api::public::showcase_page,
        crate::api::public::courses, crate::api::public::course, crate::api::public::search),
    modifiers(&TokenSecurity, &StandardErrors)
)]
pub struct ApiDoc;

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route")
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/projects", get(list_projects).post(create_project))
        .route("/api/v1/projects/{id}", get(get_project))
        .route("/api/v1/projects/{id}/members", post(add_member))
        .route(
            "/api/v1/projects/{id}/members/{user_id}",
            delete(remove_member),
        )
        .merge(crate::api::resources::router())
        .merge(crate::api::settings::router())
        .merge(crate::api::operations::router())
        .merge(crate::api::acquisitions::router())
        .merge(crate::api::acquisitions::datasets_router())
        .merge(crate::api::public::router())
        .route(
            "/api/v1/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .delete(not_found),
        )
}
