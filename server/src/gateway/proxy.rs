//! The authenticating reverse proxy. Every workspace and web service is served on a host of its
//! own (`cp-<id>.<APPS_DOMAIN>`, see [`crate::gateway::apps_domain`]), so a page it serves is
//! another origin than the portal's and than every other resource's. [`serve`] answers those
//! hosts, each only for the people the resource's visibility allows; everyone else is sent to
//! the portal or refused, and the backend never sees their request. WebSocket upgrades pass
//! through (JupyterLab's kernels need them).
//!
//! The portal's own `/w/<name>/…` and `/s/<name>/…` serve nothing of a resource: [`launch`]
//! sends the browser to the app host, with a one-time code when a session must come along
//! (redeemed by [`crate::gateway::app_host`]).
//!
//! An app host knows a visitor by its pass cookie, which stands for a portal session. It looks
//! the session up only when it has to decide (see [`crate::gateway::grants::Grants`]), under the portal's rules (expired
//! or past the absolute limit is not signed in), and never keeps the session alive: traffic a
//! page makes on its own must not hold a portal session open past its idle timeout.

use crate::auth::actor::{cookie, find, Credential};
use crate::auth::address::client_ip;
use crate::gateway::grants::Route;
use crate::gateway::headers;
use crate::state::AppState;
use crate::web::flash::see_other;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use campus_core::authz::{Actor, Denied};
use campus_core::requests::kind::{parse_resource_name, resource_name, Kind, Visibility};
use campus_core::requests::lifecycle::State as Lifecycle;
use campus_core::services::resources;
use campus_core::store::app_passes;
use campus_core::store::resources::Resource;
use campus_core::CoreError;
use std::net::SocketAddr;
use std::sync::Arc;

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (status, crate::web::error_page::html(title, body)).into_response()
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

/// GET `/w/<name>…` and `/s/<name>…` on the portal: sends the browser to the resource's own host
/// at the same path below the name. A signed-in person's browser carries a one-time code
/// there, bound to their session and this resource; a public web service needs none.
pub async fn launch(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path();
    let Some((kind, name, tail)) = launch_target(path) else {
        return page(
            StatusCode::NOT_FOUND,
            "There is no such workspace or web service",
            "Check the address, or find it on your resources page.",
        );
    };
    let what = what(kind);
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let target = format!("/{tail}{query}");
    let Some(id) = parse_resource_name(name) else {
        return not_found(&state, what, false);
    };
    let session_id = cookie(req.headers(), state.config.cookie_name());
    let credential = match session_id.as_deref() {
        Some(sid) => Credential::SessionId(sid),
        None => Credential::Nobody,
    };
    let actor = match find(&state, credential).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let r = match authorise(&state, actor.as_ref(), id, false).await {
        Ok(r) if r.kind == kind => r,
        Ok(_) => return not_found(&state, what, false),
        Err(Refusal::SignIn) => {
            let back = format!("{path}{query}");
            return see_other(&format!("/sign-in?next={}", urlencode(&back)));
        }
        Err(Refusal::Page(p)) => return p,
    };
    let origin = state.config.apps.origin(r.id);
    match (session_id, actor) {
        (Some(sid), Some(_)) if r.visibility != Visibility::Public => {
            let code = app_passes::secret();
            let now = campus_core::clock::now();
            if let Err(e) = app_passes::issue(&state.db, &code, &sid, r.id, now).await {
                return crate::web::flash::internal(e);
            }
            see_other(&format!(
                "{origin}{}?code={code}&next={}",
                crate::gateway::apps_domain::AUTH_PATH,
                urlencode(&target)
            ))
        }
        _ => see_other(&format!("{origin}{target}")),
    }
}

/// `/w/<name>/<tail>` → (workspace, name, tail); `/s/…` likewise for a web service.
fn launch_target(path: &str) -> Option<(Kind, &str, &str)> {
    let (kind, rest) = if let Some(rest) = path.strip_prefix("/w/") {
        (Kind::Workspace, rest)
    } else {
        (Kind::WebService, path.strip_prefix("/s/")?)
    };
    let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
    Some((kind, name, tail))
}

fn what(kind: Kind) -> &'static str {
    if kind == Kind::Workspace {
        "workspace"
    } else {
        "web service"
    }
}

/// A page from the portal; on an app host its links point back at the portal, as the host's
/// own paths are the resource's.
fn page_on(
    state: &AppState,
    app_host: bool,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    if app_host {
        (
            status,
            crate::web::error_page::html_from(&state.config.public_url, title, body),
        )
            .into_response()
    } else {
        page(status, title, body)
    }
}

fn not_found(state: &AppState, what: &str, app_host: bool) -> Response {
    page_on(
        state,
        app_host,
        StatusCode::NOT_FOUND,
        &format!("There is no such {what}"),
        "Check the address, or find it on your resources page in the portal.",
    )
}

/// Everything a request on resource `id`'s host is for: the resource's own server, for whoever
/// may use it.
pub async fn serve(state: &AppState, id: i64, mut req: Request) -> Response {
    if headers::fetches_service_worker(req.headers()) {
        return page_on(
            state,
            true,
            StatusCode::FORBIDDEN,
            "Service workers are not allowed",
            "Workspaces and web services cannot install a service worker in visitors' browsers.",
        );
    }
    let pass = cookie(req.headers(), state.config.pass_cookie_name()).unwrap_or_default();
    let route = match state.grants.get(&pass, id) {
        Some(route) => route,
        None => {
            let page_load = matches!(*req.method(), Method::GET | Method::HEAD);
            let path_and_query = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let r = match allow(state, &pass, id, page_load.then_some(path_and_query)).await {
                Ok(r) => r,
                Err(refusal) => return refusal,
            };
            let kind = r.kind;
            let Some(route) = route_to(state, r).map(Arc::new) else {
                return page_on(
                    state,
                    true,
                    StatusCode::BAD_GATEWAY,
                    &format!("The {} is not answering", what(kind)),
                    "It was started before workloads ran in their own sandboxes and hosts. Stop it and start it again from its page.",
                );
            };
            state.grants.put(&pass, route.clone());
            // "Last used", for idle stop: written when a grant is made, not per request.
            let _ = campus_core::store::resources::touch(&state.db, id, campus_core::clock::now())
                .await;
            route
        }
    };
    let what = what(route.resource.kind);
    // Origin form: the connection already names the endpoint.
    *req.uri_mut() = req
        .uri()
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"))
        .into();
    let upgrade = req.headers().contains_key(header::UPGRADE);
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
    let original_host = req
        .headers()
        .get(header::HOST)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("localhost"));
    // The Host header stays as the browser sent it: apps such as JupyterLab compare it with the
    // Origin of WebSocket handshakes and refuse a mismatch.
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
    headers::to_backend(headers, &state.config.our_cookies());
    if let Some(ip) = client {
        if let Ok(v) = HeaderValue::from_str(&ip.to_string()) {
            headers.insert("x-forwarded-for", v);
        }
    }
    // JupyterLab demands its token: only the proxy knows it, so only the proxy's requests pass.
    if let Some(auth) = &route.authorization {
        headers.insert(header::AUTHORIZATION, auth.clone());
    }
    headers.insert("x-forwarded-host", original_host);
    headers.insert(
        "x-forwarded-proto",
        HeaderValue::from_static(if state.config.apps.https() {
            "https"
        } else {
            "http"
        }),
    );
    let mut res = match state.proxy.send(&route.target, req).await {
        Ok(res) => res,
        Err(e) => {
            tracing::warn!(error = %e, resource = id, "backend did not answer");
            // A reused decision may be stale (stopped, or moved to another node): decide again,
            // so the person sees why rather than a gateway error.
            state.grants.forget(&pass, id);
            let actor = match find(
                state,
                Credential::Pass {
                    pass: &pass,
                    resource: id,
                },
            )
            .await
            {
                Ok(a) => a,
                Err(e) => return e.into_response(),
            };
            if let Err(Refusal::Page(p)) = authorise(state, actor.as_ref(), id, true).await {
                return p;
            }
            return page_on(
                state,
                true,
                StatusCode::BAD_GATEWAY,
                &format!("The {what} is not answering"),
                "It is marked as running but did not answer. Try again in a moment; if it keeps happening, stop and start it from its page.",
            );
        }
    };
    let ours = state.config.our_cookies();
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
        headers::from_backend(&mut parts.headers, &ours, true);
        return Response::from_parts(parts, Body::empty());
    }
    let (mut parts, body) = res.into_parts();
    headers::from_backend(&mut parts.headers, &ours, false);
    Response::from_parts(parts, Body::new(body))
}

/// Where requests for an allowed resource go; `None` for one started before workloads had
/// endpoints the portal made. Only an endpoint the portal made itself is ever connected to: a
/// resource's own socket, or a cluster job's gate on the node Slurm says it runs on.
fn route_to(state: &AppState, r: Resource) -> Option<Route> {
    let name = resource_name(r.id);
    let placement = crate::provision::worker::placement_of(&r);
    let target = Arc::new(placement.target(&name, &state.secrets)?);
    let authorization = placement
        .authorization(&name, &state.secrets)
        .and_then(|a| HeaderValue::from_str(&a).ok());
    Some(Route {
        resource: r,
        target,
        authorization,
    })
}

/// Whether the visitor holding `pass` (or none) may use resource `id` now; the refusal is what
/// to answer on the app host. Someone who must sign in is sent to the portal, which brings them
/// back with a code; only a page load (`page`: its path and query) can follow that, so other
/// requests get a 401 page.
async fn allow(
    state: &AppState,
    pass: &str,
    id: i64,
    page: Option<&str>,
) -> Result<Resource, Response> {
    let actor = find(state, Credential::Pass { pass, resource: id })
        .await
        .map_err(IntoResponse::into_response)?;
    match authorise(state, actor.as_ref(), id, true).await {
        Ok(r) => Ok(r),
        Err(Refusal::Page(p)) => Err(p),
        Err(Refusal::SignIn) => {
            let kind = campus_core::store::resources::find(&state.db, id)
                .await
                .ok()
                .flatten()
                .map(|r| r.kind)
                .unwrap_or(Kind::Workspace);
            if let Some(path_and_query) = page {
                let prefix = kind.proxy_prefix().unwrap_or("/w/");
                return Err(see_other(&format!(
                    "{}{prefix}{}{path_and_query}",
                    state.config.public_url,
                    resource_name(id)
                )));
            }
            Err(page_on(
                state,
                true,
                StatusCode::UNAUTHORIZED,
                "Open it again from the portal",
                "Your pass for this address has ended (you signed out, or your session timed out). Open it again from its page in the portal.",
            ))
        }
    }
}

/// Why the proxy will not pass a request on.
enum Refusal {
    /// Nobody is signed in and the resource is not public.
    SignIn,
    /// The page to answer with.
    Page(Response),
}

/// The one authorisation check for the proxy and its launcher: may this person use resource
/// `id`, and is it running. `app_host` says where a refusal page is shown.
async fn authorise(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    app_host: bool,
) -> Result<Resource, Refusal> {
    let name = resource_name(id);
    let r = match resources::authorise_use(&state.db, actor, id).await {
        Ok(r) if matches!(r.kind, Kind::Workspace | Kind::WebService) => r,
        Ok(_) | Err(CoreError::NotFound(_)) => {
            return Err(Refusal::Page(not_found(
                state,
                "workspace or web service",
                app_host,
            )))
        }
        Err(CoreError::Denied(Denied::NotSignedIn)) => {
            let _ = resources::record_proxy_denial(&state.db, None, &name, "not signed in").await;
            return Err(Refusal::SignIn);
        }
        Err(CoreError::Denied(Denied::Forbidden(why))) => {
            let _ = resources::record_proxy_denial(&state.db, actor, &name, &why).await;
            return Err(Refusal::Page(page_on(
                state,
                app_host,
                StatusCode::FORBIDDEN,
                "You cannot open this workspace or web service",
                &format!("The portal did not pass your request on: {why}."),
            )));
        }
        Err(e) => return Err(Refusal::Page(crate::web::flash::internal(e))),
    };
    let what = what(r.kind);
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
        return Err(Refusal::Page(page_on(
            state,
            app_host,
            StatusCode::CONFLICT,
            &format!("This {what} is not running"),
            &body,
        )));
    }
    Ok(r)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
