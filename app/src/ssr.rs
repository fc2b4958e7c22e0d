//! Server-side helpers for server functions and the shell: the database, the session, the actor,
//! the response status and the CSP nonce. Compiled only with the `ssr` feature.

use crate::error::AppError;
use axum::http::request::Parts;
use campus_core::authz::Actor;
use campus_core::Db;
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tower_sessions::Session;

/// The per-response CSP nonce, put into the request's extensions by the server's header layer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn db() -> Result<Db, AppError> {
    use_context::<Db>().ok_or_else(|| {
        tracing::error!("no database in the Leptos context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// The future [`FindActor`] gives.
pub type ActorFuture = Pin<Box<dyn Future<Output = Result<Option<Actor>, AppError>> + Send>>;

/// How the server finds who is acting on a request: its one way (`server::auth::actor`), handed
/// to pages and server functions through the context so they never read a session themselves.
#[derive(Clone)]
pub struct FindActor(pub Arc<dyn Fn(Parts) -> ActorFuture + Send + Sync>);

/// The signed-in person, with the roles they hold now, or `None` for a visitor.
pub async fn actor() -> Result<Option<Actor>, AppError> {
    let (Some(find), Some(parts)) = (use_context::<FindActor>(), use_context::<Parts>()) else {
        tracing::error!("no way to find the actor in the Leptos context");
        return Err(AppError::Internal);
    };
    (find.0)(parts).await
}

/// Removes and returns a value kept in the session for one page view.
pub async fn take<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, AppError> {
    session().await?.remove::<T>(key).await.map_err(|e| {
        tracing::error!(error = %e, "session read failed");
        AppError::Internal
    })
}

/// Sets the HTTP status of the page being rendered (no effect on client-side navigation).
pub fn set_status(code: u16) {
    if let (Some(opts), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        opts.set_status(status);
    }
}

/// Hands the nonce the server chose for this response to Leptos, so its inline scripts carry it.
pub fn provide_request_nonce() {
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(n) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
        }
    }
}
