//! The authenticating reverse proxy. `/w/<name>/…` reaches a running workspace and `/s/<name>/…`
//! a web service, each only for the people its visibility allows; everyone else gets a sign-in
//! page or a refusal from the portal, and the backend never sees their request. WebSocket
//! upgrades pass through (JupyterLab's kernels need them).
//!
//! The proxy routes sit outside the session layer, which would load (and re-save) the session
//! on every request: a workspace page is dozens of requests. The proxy reads the session cookie
//! itself and looks the session up only when it has to decide (see [`Grants`]), under the same
//! rules: expired or past the absolute limit is not signed in.

use crate::auth::address::client_ip;
use crate::flash::see_other;
use crate::gateway::headers;
use crate::provision::upstream::Connector;
use crate::state::AppState;
use app::forms::keys;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use campus_core::authz::{Actor, Denied};
use campus_core::requests::kind::{parse_resource_name, Kind};
use campus_core::requests::lifecycle::State as Lifecycle;
use campus_core::services::resources;
use campus_core::store::resources::Resource;
use campus_core::store::sessions;
use campus_core::CoreError;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The client and the connector whose registered targets (Unix sockets, cluster gates) its
/// requests name by host.
#[derive(Clone)]
pub struct ProxyClient {
    client: Client<Connector, Body>,
    connector: Connector,
}

/// How long a decision to let a session through to a resource is reused. Every proxied request
/// used to cost an account lookup, an authorisation query and a "last used" write; a workspace
/// page load is dozens of requests. Within this window, a withdrawn membership, a stopped
/// resource or a session signed out elsewhere still passes.
const GRANT_TTL: Duration = Duration::from_secs(2);

/// (session id, resource id) → (valid until, the resource as it was when allowed).
type GrantMap = HashMap<(String, i64), (Instant, Arc<Resource>)>;

/// Recent "this session may use this resource" decisions.
#[derive(Default)]
pub struct Grants {
    map: Mutex<GrantMap>,
}

impl Grants {
    fn get(&self, session: &str, id: i64) -> Option<Arc<Resource>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&(session.to_owned(), id)) {
            Some((until, r)) if *until > Instant::now() => Some(r.clone()),
            _ => None,
        }
    }

    fn forget(&self, session: &str, id: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(session.to_owned(), id));
    }

    fn put(&self, session: String, r: Arc<Resource>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (until, _)| *until > now);
        }
        map.insert((session, r.id), (now + GRANT_TTL, r));
    }
}

pub fn client() -> ProxyClient {
    let connector = Connector::default();
    ProxyClient {
        client: Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build(connector.clone()),
        connector,
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (status, crate::error_page::html(title, body)).into_response()
}

/// Hop-by-hop headers are for one connection only (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// GET /w/{name} and /s/{name}: the app's relative links need the trailing slash.
pub async fn add_slash(req: Request) -> Response {
    let path = req.uri().path();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    see_other(&format!("{path}/{query}"))
}

pub async fn workspace(state: State<AppState>, req: Request) -> Response {
    forward(state, Kind::Workspace, req).await
}

pub async fn service(state: State<AppState>, req: Request) -> Response {
    forward(state, Kind::WebService, req).await
}

/// The portal's session id from the request's cookies, if it sent one.
pub(crate) fn session_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
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

/// The signed-in person behind a session id, read from the session store under the session
/// layer's rules: an expired session, or one past the absolute limit, is nobody.
pub(crate) async fn session_actor(
    state: &AppState,
    session_id: Option<&str>,
) -> Result<Option<Actor>, CoreError> {
    let Some(sid) = session_id else {
        return Ok(None);
    };
    let now = campus_core::clock::now();
    let Some(s) = sessions::load(&state.db, sid, now).await? else {
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
    if crate::layers::outlived(signed_in_at, now, state.config.session_absolute_hours) {
        return Ok(None);
    }
    campus_core::services::accounts::actor(&state.db, user_id).await
}

/// Use through the proxy keeps the portal session alive as page visits do: its stored expiry
/// moves on and the browser gets its cookie again with a fresh lifetime (the answer's
/// Set-Cookie). Once per grant, not per request.
async fn keep_session_alive(state: &AppState, sid: &str) -> Option<HeaderValue> {
    use tower_sessions::cookie::{Cookie, SameSite};
    let idle = state.config.session_idle_minutes * 60;
    sessions::extend(&state.db, sid, campus_core::clock::now() + idle)
        .await
        .ok()?;
    let cookie = Cookie::build((state.config.cookie_name(), sid.to_owned()))
        .path("/")
        .http_only(true)
        .secure(state.config.https())
        .same_site(SameSite::Lax)
        .max_age(tower_sessions::cookie::time::Duration::seconds(idle))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

async fn forward(State(state): State<AppState>, kind: Kind, mut req: Request) -> Response {
    let prefix = kind.proxy_prefix().unwrap_or("/");
    let path = req.uri().path().to_owned();
    let rest = &path[prefix.len()..];
    let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let what = if kind == Kind::Workspace {
        "workspace"
    } else {
        "web service"
    };
    let not_found = || {
        page(
            StatusCode::NOT_FOUND,
            &format!("There is no such {what}"),
            "Check the address, or find it on your resources page.",
        )
    };
    let Some(id) = parse_resource_name(name) else {
        return not_found();
    };
    if headers::fetches_service_worker(req.headers()) {
        return page(
            StatusCode::FORBIDDEN,
            "Service workers are not allowed",
            "Workspaces and web services cannot install a service worker in visitors' browsers.",
        );
    }
    let session_id = session_cookie(req.headers(), state.config.cookie_name());
    let cached = session_id
        .as_deref()
        .and_then(|sid| state.grants.get(sid, id))
        .filter(|r| r.kind == kind);
    let mut set_cookie = None;
    let r = match cached {
        Some(r) => r,
        None => match authorise(&state, session_id.as_deref(), kind, name, id, &path, what).await {
            Ok(r) => {
                let r = Arc::new(r);
                if let Some(sid) = &session_id {
                    state.grants.put(sid.clone(), r.clone());
                    set_cookie = keep_session_alive(&state, sid).await;
                }
                // "Last used", for idle stop: written when a grant is made, not per request.
                let _ = campus_core::store::resources::touch(
                    &state.db,
                    r.id,
                    campus_core::clock::now(),
                )
                .await;
                r
            }
            Err(refusal) => return refusal,
        },
    };
    let placement = crate::provision::worker::placement_of(&r);
    let upstream_path = if placement.keeps_prefix {
        path.clone()
    } else {
        format!("/{tail}")
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    // Only an endpoint the portal made itself is ever connected to: a resource's own socket,
    // or a cluster job's gate on the node Slurm says it runs on.
    let Some(target) = placement.target(name, &state.secrets) else {
        return page(
            StatusCode::BAD_GATEWAY,
            &format!("The {what} is not answering"),
            "It was started before workloads ran in their own sandboxes. Stop it and start it again from its page.",
        );
    };
    let host = state.proxy.connector.host_for(&target);
    let uri: Uri = match format!("http://{host}{upstream_path}{query}").parse() {
        Ok(u) => u,
        Err(_) => return not_found(),
    };
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    let original_host = req
        .headers()
        .get(header::HOST)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("localhost"));
    // The Host header stays as the browser sent it: apps such as JupyterLab compare it with the
    // Origin of WebSocket handshakes and refuse a mismatch.
    *req.uri_mut() = uri;
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(c.0.ip(), req.headers(), &state.config.trusted_proxies));
    let headers = req.headers_mut();
    if !upgrade {
        for h in HOP_BY_HOP {
            headers.remove(h);
        }
    }
    headers::to_backend(headers, state.config.cookie_name());
    if let Some(ip) = client {
        if let Ok(v) = HeaderValue::from_str(&ip.to_string()) {
            headers.insert("x-forwarded-for", v);
        }
    }
    // JupyterLab demands its token: only the proxy knows it, so only the proxy's requests pass.
    if let Some(auth) = placement.authorization(name, &state.secrets) {
        if let Ok(v) = HeaderValue::from_str(&auth) {
            headers.insert(header::AUTHORIZATION, v);
        }
    }
    headers.insert("x-forwarded-host", original_host);
    headers.insert(
        "x-forwarded-proto",
        HeaderValue::from_static(if state.config.https() {
            "https"
        } else {
            "http"
        }),
    );
    let mut res = match state.proxy.client.request(req).await {
        Ok(res) => res,
        Err(e) => {
            tracing::warn!(error = %e, resource = id, "backend did not answer");
            // A reused decision may be stale (stopped, or moved to another node): decide again,
            // so the person sees why rather than a gateway error.
            if let Some(sid) = &session_id {
                state.grants.forget(sid, id);
            }
            if let Err(refusal) =
                authorise(&state, session_id.as_deref(), kind, name, id, &path, what).await
            {
                return refusal;
            }
            return page(
                StatusCode::BAD_GATEWAY,
                &format!("The {what} is not answering"),
                "It is marked as running but did not answer. Try again in a moment; if it keeps happening, stop and start it from its page.",
            );
        }
    };
    if res.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_upgrade) = client_upgrade {
            let backend_upgrade = hyper::upgrade::on(&mut res);
            tokio::spawn(async move {
                match (client_upgrade.await, backend_upgrade.await) {
                    (Ok(client), Ok(backend)) => {
                        let mut client = hyper_util::rt::TokioIo::new(client);
                        let mut backend = hyper_util::rt::TokioIo::new(backend);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
                    }
                    (a, b) => tracing::warn!(
                        client = a.is_ok(),
                        backend = b.is_ok(),
                        "WebSocket upgrade failed"
                    ),
                }
            });
        }
        let (mut parts, _) = res.into_parts();
        headers::from_backend(&mut parts.headers, state.config.cookie_name(), true);
        if let Some(c) = set_cookie {
            parts.headers.append(header::SET_COOKIE, c);
        }
        return Response::from_parts(parts, Body::empty());
    }
    let (mut parts, body) = res.into_parts();
    headers::from_backend(&mut parts.headers, state.config.cookie_name(), false);
    if let Some(c) = set_cookie {
        parts.headers.append(header::SET_COOKIE, c);
    }
    Response::from_parts(parts, Body::new(body))
}

/// The one authorisation check for the proxy: who is asking, may they use it, and is it running.
/// The refusal is the page to show.
async fn authorise(
    state: &AppState,
    session_id: Option<&str>,
    kind: Kind,
    name: &str,
    id: i64,
    path: &str,
    what: &str,
) -> Result<Resource, Response> {
    let not_found = || {
        page(
            StatusCode::NOT_FOUND,
            &format!("There is no such {what}"),
            "Check the address, or find it on your resources page.",
        )
    };
    let actor = match session_actor(state, session_id).await {
        Ok(a) => a,
        Err(e) => return Err(crate::flash::internal(e)),
    };
    let r = match resources::authorise_use(&state.db, actor.as_ref(), id).await {
        Ok(r) if r.kind == kind => r,
        Ok(_) | Err(CoreError::NotFound(_)) => return Err(not_found()),
        Err(CoreError::Denied(Denied::NotSignedIn)) => {
            let _ = resources::record_proxy_denial(&state.db, None, name, "not signed in").await;
            return Err(see_other(&format!("/sign-in?next={}", urlencode(path))));
        }
        Err(CoreError::Denied(Denied::Forbidden(why))) => {
            let _ = resources::record_proxy_denial(&state.db, actor.as_ref(), name, &why).await;
            return Err(page(
                StatusCode::FORBIDDEN,
                &format!("You cannot open this {what}"),
                &format!("The portal did not pass your request on: {why}."),
            ));
        }
        Err(e) => return Err(crate::flash::internal(e)),
    };
    if r.state != Lifecycle::Active || r.endpoint.is_empty() {
        let body = match r.state {
            Lifecycle::Stopped => format!(
                "It is stopped. Start it from its page: {}/requests/{}",
                state.config.public_url, r.id
            ),
            Lifecycle::Approved | Lifecycle::Provisioning => {
                "It is still being set up. Its page shows the progress.".to_owned()
            }
            other => format!("It is {}.", other.label().to_lowercase()),
        };
        return Err(page(
            StatusCode::CONFLICT,
            &format!("This {what} is not running"),
            &body,
        ));
    }
    Ok(r)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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
        assert_eq!(
            session_cookie(&h, "campus_session").as_deref(),
            Some("abc123==")
        );
        assert_eq!(session_cookie(&h, "__Host-campus_session"), None);
        let mut empty = axum::http::HeaderMap::new();
        empty.insert(header::COOKIE, HeaderValue::from_static("campus_session="));
        assert_eq!(session_cookie(&empty, "campus_session"), None);
    }
}
