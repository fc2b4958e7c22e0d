//! Who is acting (`actor.rs`), sign-in and sign-out. Both ways of signing in end in [`establish`], which rotates the session
//! id so a session fixed before sign-in is worthless after it.

pub mod actor;
pub mod address;
pub mod local;
pub mod oidc;
pub mod password;
pub mod redirect;
pub mod session_store;

use app::forms::keys;
use axum::http::HeaderMap;
use axum::response::Response;
use tower_sessions::Session;

pub async fn establish(
    session: &Session,
    user_id: i64,
    headers: &HeaderMap,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(keys::USER_ID, user_id).await?;
    session
        .insert(keys::SIGNED_IN_AT, campus_core::clock::now())
        .await?;
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(describe_agent)
        .unwrap_or_else(|| "unknown browser".into());
    session.insert(keys::USER_AGENT, agent).await?;
    Ok(())
}

/// A short, human description of a User-Agent string ("Chrome on Linux").
fn describe_agent(ua: &str) -> String {
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/"]
        .iter()
        .find(|b| ua.contains(*b))
        .map(|b| match *b {
            "Edg/" => "Edge",
            "Firefox/" => "Firefox",
            "Chrome/" => "Chrome",
            "Safari/" => "Safari",
            _ => "Command line",
        })
        .unwrap_or("Browser");
    let os = ["Windows", "Mac OS", "Linux", "Android", "iPhone"]
        .iter()
        .find(|o| ua.contains(*o))
        .copied()
        .unwrap_or("unknown system");
    format!("{browser} on {os}")
}

/// POST /auth/sign-out: ends this session on the server and clears the cookie.
pub async fn sign_out(session: Session) -> Response {
    if let Err(e) = session.flush().await {
        return crate::web::flash::internal(e);
    }
    crate::web::flash::see_other("/")
}
