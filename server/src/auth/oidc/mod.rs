//! Sign-in with OpenID Connect: authorization code flow with PKCE (S256). State, nonce and the
//! PKCE verifier live in the server-side session and are removed when the callback uses them.
//! `client.rs` talks to the provider; `resync.rs` re-reads signed-in people's groups every
//! `OIDC_RESYNC_MINUTES`.

pub mod client;
pub mod resync;

use crate::state::AppState;
use crate::web::flash::{internal, see_other};
use app::forms::keys;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use campus_core::services::accounts::{self};
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, Scope};
use serde::Deserialize;
use tower_sessions::Session;

use client::{OidcClient, OidcError, Pending, PENDING_TTL_SECS};

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// GET /auth/oidc/start: remembers state, nonce and PKCE verifier, then sends the browser to the IdP.
/// Changes only the visitor's own pending sign-in, which a plain link must be able to start.
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    let client = match oidc.client().await {
        Ok(c) => c,
        Err(e) => return failure(&e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("groups".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next: crate::auth::redirect::after_sign_in(&state.config.public_url, q.next.as_deref()),
        started_at: campus_core::clock::now(),
    };
    if let Err(e) = session.insert(keys::OIDC_PENDING, pending).await {
        return internal(e);
    }
    see_other(url.as_str())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET /auth/oidc/callback: completes the sign-in, or shows why it failed and signs nobody in.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    crate::auth::address::ClientAddress(address): crate::auth::address::ClientAddress,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    // Take the pending sign-in out first, so whatever happens next it cannot be used twice.
    let pending: Option<Pending> = match session.remove(keys::OIDC_PENDING).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    match complete(&state, &oidc, pending, q, &address).await {
        Ok((user_id, next, refresh)) => {
            if let Err(e) = crate::auth::establish(&session, user_id, &headers).await {
                return internal(e);
            }
            // Kept server-side with the session, so the person's groups can be read again.
            if let Some(refresh) = refresh {
                let now = campus_core::clock::now();
                if let Err(e) = session.insert(keys::IDP_REFRESH, refresh).await {
                    return internal(e);
                }
                if let Err(e) = session.insert(keys::IDP_SYNCED_AT, now).await {
                    return internal(e);
                }
            }
            tracing::info!(user_id, "signed in with OpenID Connect");
            see_other(&next)
        }
        Err(Completion::Oidc(e)) => failure(&e),
        Err(Completion::Internal(e)) => internal(e),
    }
}

enum Completion {
    Oidc(OidcError),
    Internal(String),
}

impl From<OidcError> for Completion {
    fn from(e: OidcError) -> Self {
        Completion::Oidc(e)
    }
}

async fn complete(
    state: &AppState,
    oidc: &OidcClient,
    pending: Option<Pending>,
    q: CallbackQuery,
    address: &str,
) -> Result<(i64, String, Option<String>), Completion> {
    let pending = pending.ok_or(OidcError::NoPendingSignIn)?;
    if campus_core::clock::now() - pending.started_at > PENDING_TTL_SECS {
        return Err(OidcError::NoPendingSignIn.into());
    }
    if q.state.as_deref() != Some(pending.state.as_str()) {
        return Err(OidcError::StateMismatch.into());
    }
    if let Some(error) = q.error {
        let detail = q
            .error_description
            .map(|d| format!("{error}: {d}"))
            .unwrap_or(error);
        return Err(OidcError::Provider(detail).into());
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or(OidcError::MissingCode)?;
    let exchanged = oidc.exchange(code, pending.pkce_verifier).await?;
    let identity = oidc
        .verify_id_token(&exchanged.id_token, &Nonce::new(pending.nonce), None)
        .await?;
    let user_id = accounts::sign_in_oidc(&state.db, identity, address)
        .await
        .map_err(|e| Completion::Internal(e.to_string()))?;
    Ok((user_id, pending.next, exchanged.refresh_token))
}

fn failure(e: &OidcError) -> Response {
    tracing::warn!(error = %e, "OpenID Connect sign-in failed");
    let status = match e {
        OidcError::Discovery(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = format!("We could not sign you in because {e}. You have not been signed in. Go back to the sign-in page and start again.");
    (
        status,
        crate::web::error_page::html("We could not sign you in", &body),
    )
        .into_response()
}

fn not_configured() -> Response {
    (
        StatusCode::NOT_FOUND,
        crate::web::error_page::html("Single sign-on is not set up", "This portal has no identity provider configured. Sign in with a local account instead."),
    )
        .into_response()
}
