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

/// Refuses text holding a NUL character anywhere a request can carry it: the path, the query,
/// a form body or a JSON body. PostgreSQL's text cannot hold NUL, so such a value would fail
/// deep in a query as a server error (SQLite would store it); no field here has a use for one.
/// The answer names the field, and nothing has been read or changed.
pub async fn refuse_nul_text(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with(crate::auth::actor::API_PREFIX);
    if req
        .uri()
        .path_and_query()
        .is_some_and(|pq| encoded_nul(pq.as_str().as_bytes()))
    {
        let field = req
            .uri()
            .query()
            .and_then(|q| form_field_with_nul(q.as_bytes()))
            .unwrap_or_else(|| "the address".to_owned());
        return nul_refusal(is_api, StatusCode::BAD_REQUEST, &field);
    }
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let is_form = media.as_deref() == Some("application/x-www-form-urlencoded");
    let is_json = media.as_deref() == Some("application/json");
    if !is_form && !is_json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        // Over the limit: the same answer the extractors give (a page, or the API's JSON).
        return if is_api {
            crate::api::error::ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is larger than the configured limit",
            )
            .into_response()
        } else {
            StatusCode::PAYLOAD_TOO_LARGE.into_response()
        };
    };
    let field = if is_form {
        form_field_with_nul(&bytes)
    } else {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| json_field_with_nul(&v, ""))
    };
    match field {
        Some(field) => nul_refusal(is_api, StatusCode::UNPROCESSABLE_ENTITY, &field),
        None => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
    }
}

/// In a URL or a form body a NUL can only be `%00` (a literal `%` is `%25`) or a raw zero byte.
fn encoded_nul(raw: &[u8]) -> bool {
    raw.contains(&0) || raw.windows(3).any(|w| w == b"%00")
}

/// The name of the first form field whose name or value holds a NUL.
fn form_field_with_nul(raw: &[u8]) -> Option<String> {
    if !encoded_nul(raw) {
        return None;
    }
    url::form_urlencoded::parse(raw)
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\u{2400}"))
}

/// The JSON pointer of the first string (key or value) holding a NUL.
fn json_field_with_nul(v: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => {
            Some(if at.is_empty() { "/".into() } else { at.into() })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| json_field_with_nul(item, &format!("{at}/{i}"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = format!("{at}/{}", k.replace('\0', "\u{2400}"));
            if k.contains('\0') {
                Some(here)
            } else {
                json_field_with_nul(item, &here)
            }
        }),
        _ => None,
    }
}

fn nul_refusal(is_api: bool, status: StatusCode, field: &str) -> Response {
    let message = format!("{field} holds a NUL character (\\0), which no text here can hold");
    if is_api {
        let mut fields = serde_json::Map::new();
        fields.insert(field.to_owned(), serde_json::Value::String(message.clone()));
        return crate::api::error::ApiError::with_fields(status, "nul_character", message, fields)
            .into_response();
    }
    (
        status,
        crate::web::error_page::html(
            "What you sent holds a NUL character",
            &format!(
                "The field “{}” holds a NUL character, which no text here can hold. Nothing was \
                 saved. Go back, remove it and try again.",
                field.trim_start_matches('/')
            ),
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_however_it_is_written() {
        assert!(encoded_nul(b"/p?q=a%00b"));
        assert!(encoded_nul(b"name=a\0b"));
        // %2500 is the text "%00", not a NUL.
        assert!(!encoded_nul(b"name=%2500&x=%0A"));
        assert_eq!(
            form_field_with_nul(b"a=1&title=x%00y").as_deref(),
            Some("title")
        );
        assert_eq!(form_field_with_nul(b"a=1&title=x%2500y"), None);
        let v = serde_json::json!({"name": "ok", "fields": [{"v": "a\u{0}"}]});
        assert_eq!(json_field_with_nul(&v, "").as_deref(), Some("/fields/0/v"));
        let clean = serde_json::json!({"name": "\\u0000 is only text here"});
        assert_eq!(json_field_with_nul(&clean, ""), None);
    }
}
