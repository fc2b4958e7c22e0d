//! Who is acting on a request: the one way every surface finds out.
//!
//! Each surface accepts one credential. The portal's pages and form posts know a person by their
//! session; the JSON API only by a bearer token, so a script on a portal page cannot use the API
//! with its visitor's session; an app host only by its pass, which stands for a portal session
//! and one resource. [`Acting`] is the extractor for the portal's routes (pages reach it through
//! [`app::ssr::FindActor`]); the API's extractors wrap it to answer in JSON, and the gateway,
//! which answers app hosts before any routing, hands its pass to the same [`find`].
//!
//! Every credential ends in a session or a token, read under the same rules: an expired session,
//! or one past the absolute limit, is nobody; a revoked or expired token is refused, never
//! quietly anonymous.

use crate::state::AppState;
use app::forms::keys;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
#[cfg(test)]
use axum::http::HeaderValue;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use campus_core::authz::Actor;
use campus_core::services::accounts;
use campus_core::store::tokens::Presented;
use campus_core::store::{app_passes, sessions, tokens};
use campus_core::CoreError;
use tower_sessions::Session;

/// Where the JSON API lives: requests under it are known by their bearer token alone.
pub const API_PREFIX: &str = "/api/";

/// What a request presents to say who is acting.
pub enum Credential<'a> {
    /// Nothing: a visitor.
    Nobody,
    /// The session layer's session for this request.
    Session(&'a Session),
    /// A portal session cookie's value, on a route outside the session layer (public pages, the
    /// launcher), which must not start or extend a session.
    SessionId(&'a str),
    /// An app host's pass cookie, good only for resource `resource`.
    Pass { pass: &'a str, resource: i64 },
    /// The value of an `Authorization` header.
    Authorization(&'a str),
}

/// Why a credential stands for nobody where it must stand for someone, or could not be read.
#[derive(Debug)]
pub enum Unidentified {
    /// The `Authorization` header is not a bearer token the portal made.
    UnknownToken,
    /// The token was revoked.
    RevokedToken,
    /// The token's life ended at this time (Unix seconds).
    ExpiredToken { at: i64 },
    /// The store could not be read.
    Internal(CoreError),
}

impl From<CoreError> for Unidentified {
    fn from(e: CoreError) -> Self {
        Unidentified::Internal(e)
    }
}

/// Only the API takes tokens, and it answers in its own shape (`api::extract`); elsewhere the
/// only way to fail is the store.
impl IntoResponse for Unidentified {
    fn into_response(self) -> Response {
        match self {
            Unidentified::Internal(e) => crate::web::flash::internal(e),
            other => {
                tracing::debug!(why = ?other, "credential refused on a portal route");
                crate::web::flash::refused(CoreError::Denied(
                    campus_core::authz::Denied::NotSignedIn,
                ))
            }
        }
    }
}

/// The person a credential stands for, with the roles they hold now (and, through a token, the
/// token's scopes).
pub async fn find(
    state: &AppState,
    credential: Credential<'_>,
) -> Result<Option<Actor>, Unidentified> {
    let now = campus_core::clock::now();
    match credential {
        Credential::Nobody => Ok(None),
        Credential::Session(session) => {
            // The session layer has applied expiry and the absolute limit already.
            match session.get::<i64>(keys::USER_ID).await {
                Ok(Some(id)) => Ok(accounts::actor(&state.db, id).await?),
                Ok(None) => Ok(None),
                Err(e) => Err(CoreError::Internal(e.to_string()).into()),
            }
        }
        Credential::SessionId(sid) => {
            let session = sessions::load(&state.db, sid, now)
                .await
                .map_err(CoreError::from)?;
            Ok(stored_session_actor(state, session, now).await?)
        }
        Credential::Pass { pass, resource } => {
            if pass.is_empty() {
                return Ok(None);
            }
            let Some(key) = app_passes::session_of(&state.db, pass, resource)
                .await
                .map_err(CoreError::from)?
            else {
                return Ok(None);
            };
            let session = sessions::load_by_key(&state.db, &key, now)
                .await
                .map_err(CoreError::from)?;
            Ok(stored_session_actor(state, session, now).await?)
        }
        Credential::Authorization(value) => {
            let token = value
                .strip_prefix("Bearer ")
                .ok_or(Unidentified::UnknownToken)?;
            let (user, scopes) = match tokens::authenticate(&state.db, token.trim())
                .await
                .map_err(CoreError::from)?
            {
                Presented::Live { user_id, scopes } => (user_id, scopes),
                Presented::Unknown => return Err(Unidentified::UnknownToken),
                Presented::Revoked => return Err(Unidentified::RevokedToken),
                Presented::Expired { at } => return Err(Unidentified::ExpiredToken { at }),
            };
            let owner = accounts::actor(&state.db, user)
                .await?
                .ok_or(Unidentified::UnknownToken)?;
            Ok(Some(Actor::through_token(user, &owner.roles, scopes)))
        }
    }
}

/// The person a stored session is signed in as, under the session layer's rules: one past the
/// absolute limit is nobody.
async fn stored_session_actor(
    state: &AppState,
    session: Option<sessions::StoredSession>,
    now: i64,
) -> Result<Option<Actor>, CoreError> {
    let Some(s) = session else {
        return Ok(None);
    };
    let Some(user_id) = s.user_id else {
        return Ok(None);
    };
    let data: serde_json::Value = serde_json::from_str(&s.data).unwrap_or_default();
    let signed_in_at = data
        .get(keys::SIGNED_IN_AT)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    if outlived(signed_in_at, now, state.config.session_absolute_hours) {
        return Ok(None);
    }
    accounts::actor(&state.db, user_id).await
}

/// Whether a sign-in at `signed_in_at` has outlived the absolute session limit at `now`.
pub fn outlived(signed_in_at: i64, now: i64, absolute_hours: i64) -> bool {
    now - signed_in_at > absolute_hours * 3600
}

/// A cookie's value from the request, if it sent one by exactly that name.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The person behind the request's portal session cookie, read from the store; for routes
/// outside the session layer (public pages, the launcher), which must not start or extend a
/// session.
pub async fn by_session_cookie(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Actor>, Unidentified> {
    match cookie(headers, state.config.cookie_name()) {
        Some(sid) => find(state, Credential::SessionId(&sid)).await,
        None => Ok(None),
    }
}

/// Who is acting on a portal request: `None` for a visitor. Under [`API_PREFIX`] the request is
/// known by its `Authorization` header alone; elsewhere by the session layer's session, or,
/// outside that layer, by the session cookie.
pub struct Acting(pub Option<Actor>);

impl FromRequestParts<AppState> for Acting {
    type Rejection = Unidentified;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let actor = if parts.uri.path().starts_with(API_PREFIX) {
            match parts.headers.get(header::AUTHORIZATION) {
                Some(v) => find(state, Credential::Authorization(v.to_str().unwrap_or(""))).await?,
                None => None,
            }
        } else if let Some(session) = parts.extensions.get::<Session>() {
            find(state, Credential::Session(session)).await?
        } else {
            by_session_cookie(state, &parts.headers).await?
        };
        Ok(Acting(actor))
    }
}

/// [`Acting`] for pages and server functions, which render inside Leptos.
pub fn for_pages(state: AppState) -> app::ssr::FindActor {
    app::ssr::FindActor(std::sync::Arc::new(move |mut parts: Parts| {
        let state = state.clone();
        Box::pin(async move {
            match Acting::from_request_parts(&mut parts, &state).await {
                Ok(Acting(actor)) => Ok(actor),
                Err(why) => {
                    tracing::error!(why = ?why, "could not find who is acting on a page");
                    Err(app::error::AppError::Internal)
                }
            }
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_by_its_exact_name() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("_xsrf=abc; xcampus_session=no"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("campus_session=abc123=="),
        );
        assert_eq!(cookie(&h, "campus_session").as_deref(), Some("abc123=="));
        assert_eq!(cookie(&h, "__Host-campus_session"), None);
        let mut empty = axum::http::HeaderMap::new();
        empty.insert(header::COOKIE, HeaderValue::from_static("campus_session="));
        assert_eq!(cookie(&empty, "campus_session"), None);
    }

    #[test]
    fn a_sign_in_outlives_the_limit_only_after_it() {
        assert!(!outlived(0, 3600, 1));
        assert!(outlived(0, 3601, 1));
    }
}
