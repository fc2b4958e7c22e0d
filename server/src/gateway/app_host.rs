//! Requests to an app host (`cp-<id>.<APPS_DOMAIN>`): they never reach the portal's pages, forms
//! or API, and the portal's own layers (its CSP, CSRF check and session) do not apply to them.
//! A host's one path of its own is [`crate::gateway::apps_domain::AUTH_PATH`], where the one-time code the portal's launcher
//! made becomes the host's pass cookie; everything else goes to the resource
//! ([`crate::gateway::proxy::serve`]).

use super::apps_domain::HostIs;
use crate::state::AppState;
use crate::web::flash::see_other;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use campus_core::store::app_passes::{self, Refused};

/// The outermost routing decision: the portal, or one resource's host.
pub async fn dispatch(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    match state.config.apps.host_is(host) {
        HostIs::Portal => next.run(req).await,
        HostIs::NoSuchApp => refusal(
            &state,
            StatusCode::NOT_FOUND,
            "There is no such workspace or web service",
            "Check the address, or find it on your resources page in the portal.",
        ),
        HostIs::App(id) if req.uri().path() == crate::gateway::apps_domain::AUTH_PATH => {
            let query = req.uri().query().unwrap_or("").to_owned();
            redeem(&state, id, &query).await
        }
        HostIs::App(id) => crate::gateway::proxy::serve(&state, id, req).await,
    }
}

fn refusal(state: &AppState, status: StatusCode, title: &str, body: &str) -> Response {
    let mut res = (
        status,
        crate::web::error_page::html_from(&state.config.public_url, title, body),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// GET [`crate::gateway::apps_domain::AUTH_PATH`]`?code=…&next=…`: a code made for this host within the last 30 s, for a
/// session still signed in, becomes this host's pass; then on to `next`, a path on this host.
async fn redeem(state: &AppState, id: i64, query: &str) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let again = "Open it again from its page in the portal; the portal makes a new link each time.";
    let Some(code) = param("code").filter(|c| !c.is_empty()) else {
        return refusal(
            state,
            StatusCode::BAD_REQUEST,
            "This link is incomplete",
            &format!("It has no sign-in code. {again}"),
        );
    };
    let pass = app_passes::secret();
    let now = campus_core::clock::now();
    let why = match app_passes::redeem(&state.db, code, &pass, id, now).await {
        Err(e) => return crate::web::flash::internal(e),
        Ok(Ok(session_key)) => {
            match campus_core::store::sessions::load_by_key(&state.db, &session_key, now).await {
                Err(e) => return crate::web::flash::internal(e),
                Ok(Some(_)) => None,
                Ok(None) => Some("the portal session it was made for has ended"),
            }
        }
        Ok(Err(Refused::Unknown)) => Some("it was used already, or the portal never made it"),
        Ok(Err(Refused::Expired)) => Some("it is more than 30 seconds old"),
        Ok(Err(Refused::OtherResource)) => Some("it was made for another workspace or web service"),
    };
    if let Some(why) = why {
        tracing::warn!(resource = id, why, "refused an app host sign-in code");
        return refusal(
            state,
            StatusCode::BAD_REQUEST,
            "This sign-in link cannot be used",
            &format!("The link's code cannot be used: {why}. {again}"),
        );
    }
    let origin = state.config.apps.origin(id);
    let next = url::Url::parse(&origin)
        .ok()
        .and_then(|base| {
            crate::auth::redirect::same_origin_path(&base, param("next").unwrap_or("/"))
        })
        .unwrap_or_else(|| "/".to_owned());
    let secure = if state.config.apps.https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={pass}; Path=/; HttpOnly; SameSite=Lax{secure}",
        state.config.pass_cookie_name()
    );
    let mut res = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    // The code is spent, but it need not travel further in a Referer either.
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
