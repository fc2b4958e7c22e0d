//! Public pages (the showcase and training materials): rendered from data loaded before the
//! render, with no WASM, and served to anonymous visitors from a cache of finished HTML.
//!
//! These routes sit outside the session layer, like the proxy: a visitor with no session cookie
//! costs one cache lookup. The cache is dropped whenever public content changes: at once on the
//! replica that made the change (its form handlers call [`crate::web::page_cache::PageCache::clear`]) and within a second
//! on the others, which watch the database's content generation and the set of showing
//! announcements.

use crate::auth::actor::by_session_cookie;
use crate::state::AppState;
use crate::web::page_cache::Cached;
use app::api::{public::ssr as load, PublicData, PublicRender};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use campus_core::authz::Actor;
use campus_core::Db;
use leptos::prelude::provide_context;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

fn etag_of(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == etag.to_str().unwrap_or("") || t.trim() == "*")
        })
}

/// The answer for a cached (anonymous) page: 304 when the browser has it already.
fn from_cache(headers: &HeaderMap, page: &Cached) -> Response {
    let mut res = if not_modified(headers, &page.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            page.body.clone(),
        )
            .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, page.etag.clone());
    // Anyone may keep it, but must ask again each time (the answer is usually a 304); it
    // differs for a signed-in visitor, whose cookie the Vary names.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Cookie"));
    res
}

/// Renders one public page, from the cache when an anonymous visitor asks for one it holds.
async fn serve<F, Fut>(state: AppState, req: Request, load: F) -> Response
where
    F: FnOnce(Db, Option<Actor>) -> Fut,
    Fut: std::future::Future<Output = Result<PublicData, app::error::AppError>>,
{
    let key = req.uri().to_string();
    let actor = match by_session_cookie(&state, req.headers()).await {
        Ok(a) => a,
        Err(why) => return why.into_response(),
    };
    if actor.is_none() {
        if let Some(page) = state.pages.get(&key) {
            return from_cache(req.headers(), &page);
        }
    }
    let data = load(state.db.clone(), actor.clone()).await;
    let user = match &actor {
        Some(a) => app::api::current_user(&state.db, a).await.ok().flatten(),
        None => None,
    };
    let announcements = load::announcements(&state.db).await.unwrap_or_default();
    let cacheable = actor.is_none() && data.is_ok();
    let render = PublicRender {
        user,
        announcements,
        data,
    };
    let context = {
        let db = state.db.clone();
        let settings = state.settings.clone();
        move || {
            provide_context(db.clone());
            provide_context(settings.clone());
            provide_context(render.clone());
        }
    };
    let options = state.leptos_options.clone();
    let handler =
        leptos_axum::render_app_async_with_context(context, move || app::shell(options.clone()));
    let headers = req.headers().clone();
    let res = handler(req).await.into_response();
    let (mut parts, body) = res.into_parts();
    let body = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not render a public page");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let body = without_bootstrap(body);
    parts.headers.remove(header::CONTENT_LENGTH);
    if cacheable && parts.status == StatusCode::OK {
        let page = Arc::new(Cached {
            etag: etag_of(&body),
            body,
        });
        state.pages.put(key, page.clone());
        return from_cache(&headers, &page);
    }
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// The document without what Leptos appends after `</html>`: the bootstrap variables its
/// hydration reads. Nothing hydrates a public page, so they are dead weight, and their nonce
/// would be stale in a cached copy.
fn without_bootstrap(body: Bytes) -> Bytes {
    const END: &[u8] = b"</html>";
    match body.windows(END.len()).rposition(|w| w == END) {
        Some(at) => body.slice(..at + END.len()),
        None => body,
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    after: Option<String>,
}

/// The list's query; anything unreadable counts as no filter, never an error.
fn list_query(req: &Request) -> ListQuery {
    Query::<ListQuery>::try_from_uri(req.uri())
        .map(|Query(q)| q)
        .unwrap_or_default()
}

fn number(s: Option<&str>) -> Option<i64> {
    s.and_then(|s| s.trim().parse().ok())
}

/// GET /showcase
pub async fn showcase(State(state): State<AppState>, req: Request) -> Response {
    let q = list_query(&req);
    let (tag, year, after) = (
        q.tag.filter(|t| !t.trim().is_empty()),
        number(q.year.as_deref()),
        number(q.after.as_deref()),
    );
    serve(state, req, move |db, _| async move {
        load::showcase_list(&db, tag, year, after).await
    })
    .await
}

/// GET /showcase/{slug}
pub async fn showcase_project(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    req: Request,
) -> Response {
    serve(state, req, move |db, _| async move {
        load::showcase_project(&db, &slug).await
    })
    .await
}

/// GET /training
pub async fn training(State(state): State<AppState>, req: Request) -> Response {
    let after = number(list_query(&req).after.as_deref());
    serve(state, req, move |db, actor| async move {
        load::courses(&db, actor.as_ref(), after).await
    })
    .await
}

/// GET /training/{slug}
pub async fn course(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    req: Request,
) -> Response {
    serve(state, req, move |db, actor| async move {
        load::course(&db, actor.as_ref(), &slug, None).await
    })
    .await
}

/// GET /training/{slug}/pages/{page}
pub async fn course_page(
    State(state): State<AppState>,
    Path((slug, page)): Path<(String, String)>,
    req: Request,
) -> Response {
    serve(state, req, move |db, actor| async move {
        load::course(&db, actor.as_ref(), &slug, Some(&page)).await
    })
    .await
}

/// GET /training/{slug}/files/{name}: an attachment, typed by its name. Only images show in
/// the browser; everything else downloads.
pub async fn attachment(
    State(state): State<AppState>,
    Path((slug, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let actor = match by_session_cookie(&state, &headers).await {
        Ok(a) => a,
        Err(why) => return why.into_response(),
    };
    match campus_core::services::training::attachment(&state.db, actor.as_ref(), &slug, &name).await
    {
        Ok((media_type, bytes)) => {
            let inline = media_type.starts_with("image/");
            let safe_name: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let disposition = format!(
                "{}; filename=\"{safe_name}\"",
                if inline { "inline" } else { "attachment" }
            );
            let mut res = (StatusCode::OK, bytes).into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&media_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(if actor.is_none() {
                    "public, no-cache"
                } else {
                    "private, no-cache"
                }),
            );
            res
        }
        Err(e) => crate::web::flash::refused(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_the_browser_holds_gives_a_304() {
        let etag = etag_of(b"<html>");
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &etag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {}", etag.to_str().unwrap())).unwrap(),
        );
        assert!(not_modified(&h, &etag));
        assert_ne!(etag_of(b"<html>"), etag_of(b"<html> "));
    }

    #[test]
    fn leptos_bootstrap_scripts_after_the_document_are_dropped() {
        let page = Bytes::from_static(
            b"<html><body>x</body></html><script nonce=\"n\">__RESOLVED_RESOURCES=[];</script>",
        );
        assert_eq!(&without_bootstrap(page)[..], b"<html><body>x</body></html>");
        assert_eq!(
            &without_bootstrap(Bytes::from_static(b"plain"))[..],
            b"plain"
        );
    }
}
