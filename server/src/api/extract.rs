//! What API handlers take from a request: the body, path and query, whose rejections come in
//! the API's error shape, and the token's actor.

use crate::api::error::ApiError;
use crate::auth::actor::{Acting, Unidentified};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use campus_core::authz::Actor;

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

/// The API's answer when a token names nobody.
fn refusal(why: Unidentified) -> ApiError {
    match why {
        Unidentified::UnknownToken => unauthenticated(),
        Unidentified::RevokedToken => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_revoked",
            "this token was revoked; make a new one on My account",
        ),
        Unidentified::ExpiredToken { at } => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            format!(
                "this token expired on {}; make a new one on My account",
                campus_core::clock::format_utc(at)
            ),
        ),
        Unidentified::Internal(e) => e.into(),
    }
}

/// The actor behind the bearer token ([`Acting`], which knows API requests by their token
/// alone); requests without a valid token are refused.
pub struct TokenActor(pub Actor);

impl FromRequestParts<AppState> for TokenActor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let MaybeTokenActor(actor) = MaybeTokenActor::from_request_parts(parts, state).await?;
        actor.map(TokenActor).ok_or_else(unauthenticated)
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
        let Acting(actor) = Acting::from_request_parts(parts, state)
            .await
            .map_err(refusal)?;
        Ok(MaybeTokenActor(actor))
    }
}
