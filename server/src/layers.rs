//! Cross-cutting layers: security headers with a per-response CSP nonce, cross-site request
//! refusal (our CSRF protection), the absolute session lifetime, and request ids.

use crate::state::AppState;
use app::forms::keys;
use app::ssr::CspNonce;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use tower_sessions::Session;

/// Adds the security headers to every response. Pages get a CSP whose script nonce is fresh for
/// each response and is handed to Leptos (through the request) for its hydration script.
pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut bytes = [0u8; 16];
    // ThreadRng: a CSPRNG seeded from the OS, without a system call on every request.
    rand::thread_rng().fill_bytes(&mut bytes);
    let nonce = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Images may come over https: project pages and course materials show them (the Markdown
    // sanitiser allows only https or this site).
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if state.config.https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    res
}

/// CSRF protection by refusing cross-site state-changing requests, using the browser's own
/// Fetch Metadata (`Sec-Fetch-Site`) and, where that is absent, `Origin` compared with our host.
/// Session cookies are also `SameSite=Lax`. Requests carrying neither header do not come from a
/// browser page, so they cannot ride a victim's cookies; the JSON API authenticates by token only.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let verdict = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") | Some("none") => true,
        Some(_) => false,
        None => match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true,
            Some(origin) => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                origin
                    .split_once("://")
                    .map(|(_, rest)| rest == host)
                    .unwrap_or(false)
            }
        },
    };
    if verdict {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
        (
            StatusCode::FORBIDDEN,
            crate::web::error_page::html(
                "This request came from another site",
                "For your safety, the portal only accepts changes made from its own pages. Go back to the page, reload it and try again.",
            ),
        )
            .into_response()
    }
}

/// Ends a signed-in session once it is older than the absolute limit, however active it is.
/// Also holds a person who must choose a new password (the first-start administrator) on the
/// page for it: every other page and form sends them there, and nothing changes meanwhile.
pub async fn absolute_session_limit(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    if let Ok(Some(at)) = session.get::<i64>(keys::SIGNED_IN_AT).await {
        if crate::auth::actor::outlived(
            at,
            campus_core::clock::now(),
            state.config.session_absolute_hours,
        ) {
            let _ = session.flush().await;
        }
    }
    if session
        .get::<bool>(keys::MUST_CHANGE_PASSWORD)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
        && !crate::auth::password::allowed_before_change(req.uri().path())
    {
        return crate::web::flash::see_other(crate::auth::password::PAGE);
    }
    next.run(req).await
}

/// Makes the request id available to the core's audit entries for the rest of the request.
pub async fn audit_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    campus_core::services::audit_context::REQUEST_ID
        .scope(id, next.run(req))
        .await
}
