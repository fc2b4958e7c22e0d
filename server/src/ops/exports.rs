//! Downloads: the audit trail as CSV for operators, and a project database's connection
//! settings for the people who may use it.

use crate::auth::actor::Acting;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use campus_core::services::operations;
use campus_core::store::audit::Filter;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct AuditParams {
    #[serde(default)]
    action: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    actor: String,
}

/// Quotes a CSV field, and defuses spreadsheet formulas (a leading = + - @ becomes text).
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// GET /operations/audit.csv with the same filters as the audit page.
pub async fn audit_csv(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Query(p): Query<AuditParams>,
) -> Response {
    let filter = Filter {
        action: p.action,
        object_type: p.object_type,
        object_id: p.object_id,
        actor: p.actor,
        before_id: None,
        limit: 10_000,
    };
    let entries = match operations::audit(&state.db, actor.as_ref(), &filter).await {
        Ok(e) => e,
        Err(e) => return crate::web::flash::refused(e),
    };
    let mut out =
        String::from("id,at_utc,actor,action,object_type,object_id,before,after,request_id\n");
    for e in entries {
        let at = time::OffsetDateTime::from_unix_timestamp(e.at)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let row = [
            e.id.to_string(),
            at,
            e.actor_name.unwrap_or_default(),
            e.action,
            e.object_type,
            e.object_id,
            e.before,
            e.after,
            e.request_id,
        ];
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// GET /requests/{id}/connection: a project database's connection settings as an env file.
pub async fn database_connection(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(id): Path<i64>,
) -> Response {
    let r = match campus_core::services::resources::database_access(&state.db, actor.as_ref(), id)
        .await
    {
        Ok(r) => r,
        Err(campus_core::CoreError::Invalid(f)) => {
            let why = f.0.first().map(|(_, m)| m.clone()).unwrap_or_default();
            return (
                axum::http::StatusCode::CONFLICT,
                crate::web::error_page::html("No connection settings yet", &format!("{why}.")),
            )
                .into_response();
        }
        Err(e) => return crate::web::flash::refused(e),
    };
    let Some(databases) = &state.databases else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            crate::web::error_page::html(
                "Project databases are not configured",
                "This portal has no PostgreSQL server for project databases. Ask an operator.",
            ),
        )
            .into_response();
    };
    let name = campus_core::requests::kind::resource_name(r.id);
    let body = databases.connection(r.id).env_file(&format!(
        "Campus Portal: {} ({name}) of {}",
        r.offering_name, r.project_name
    ));
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.env\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(super::field("plain"), "\"plain\"");
        assert_eq!(super::field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
