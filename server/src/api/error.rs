//! The API's one error type and its JSON shape: `{"error": {"code", "message", "fields"?}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use campus_core::authz::Denied;
use campus_core::CoreError;
use serde_json::json;

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

    /// An error about named fields, each with its own message.
    pub(crate) fn with_fields(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        fields: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        Self {
            fields: Some(serde_json::Value::Object(fields)),
            ..Self::new(status, code, message)
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
