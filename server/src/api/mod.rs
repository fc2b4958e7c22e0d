//! The JSON API under /api/v1, authenticated by personal access token (`Authorization: Bearer`).
//! It calls the same core services as the pages; its OpenAPI document is generated from these
//! handlers and served at /api/v1/openapi.json.

pub mod accelerator_use;
pub mod acquisitions;
pub mod bookings;
pub mod error;
pub mod extract;
pub mod inventory;
pub mod operations;
pub mod output_checks;
pub mod projects;
pub mod public;
pub mod resources;
pub mod settings;

use crate::api::error::ApiError;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

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
                    add(
                        op,
                        "400",
                        "A path parameter is not of its type, or holds a NUL character",
                    );
                    add(op, "404", "No such thing, or none this token may see");
                }
                let has_query =
                    op.parameters.iter().flatten().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                    });
                if has_query {
                    add(
                        op,
                        "400",
                        "A query parameter is not of its type, or holds a NUL character",
                    );
                }
                if op.request_body.is_some() {
                    add(op, "400", "The body is not JSON");
                    add(op, "413", "The body is larger than the configured limit");
                    add(op, "415", "The body is not sent as application/json");
                    add(
                        op,
                        "422",
                        "The body does not have the fields this operation needs, or a text in it holds a NUL character",
                    );
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Campus Portal API", description = "Projects, members, the catalogue and its policies, project quotas, resource requests, decisions, resource changes, project database connections, capacity and the queue, notifications, the audit trail, data acquisitions through data control and ethics review, the dataset catalogue with its grants, accelerator bookings with their week view and booked-against-used hours, the hardware inventory, output checks of web services before release, the public data-use register, published project pages, training courses and search on the Data Science Campus network. Authenticate with a personal access token from My account; the register, project pages, public courses and search need none."),
    paths(projects::me, projects::list_projects, projects::create_project, projects::get_project,
        projects::add_member, projects::remove_member,
        crate::api::resources::catalogue, crate::api::resources::list_requests,
        crate::api::resources::submit, crate::api::resources::room,
        crate::api::resources::get_request,
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
        crate::api::public::courses, crate::api::public::course, crate::api::public::search,
        crate::api::bookings::models, crate::api::bookings::for_project,
        crate::api::bookings::book, crate::api::bookings::get_one, crate::api::bookings::change,
        crate::api::bookings::cancel, crate::api::bookings::approve,
        crate::api::bookings::refuse, crate::api::bookings::get_limits,
        crate::api::bookings::put_limits, crate::api::bookings::week,
        crate::api::accelerator_use::for_project, crate::api::accelerator_use::utilisation,
        crate::api::inventory::list, crate::api::inventory::add_host,
        crate::api::inventory::get_host, crate::api::inventory::edit_host,
        crate::api::inventory::drain, crate::api::inventory::retire_host,
        crate::api::inventory::add_device, crate::api::inventory::retire_device,
        crate::api::output_checks::checklist_items, crate::api::output_checks::submit,
        crate::api::output_checks::for_request, crate::api::output_checks::queue,
        crate::api::output_checks::get_one, crate::api::output_checks::decide,
        crate::api::output_checks::withdraw),
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
        .route("/api/v1/me", get(projects::me))
        .route(
            "/api/v1/projects",
            get(projects::list_projects).post(projects::create_project),
        )
        .route("/api/v1/projects/{id}", get(projects::get_project))
        .route("/api/v1/projects/{id}/members", post(projects::add_member))
        .route(
            "/api/v1/projects/{id}/members/{user_id}",
            delete(projects::remove_member),
        )
        .merge(crate::api::resources::router())
        .merge(crate::api::settings::router())
        .merge(crate::api::operations::router())
        .merge(crate::api::acquisitions::router())
        .merge(crate::api::acquisitions::datasets_router())
        .merge(crate::api::public::router())
        .merge(crate::api::bookings::router())
        .merge(crate::api::accelerator_use::router())
        .merge(crate::api::inventory::router())
        .merge(crate::api::output_checks::router())
        .route(
            "/api/v1/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .delete(not_found),
        )
}
