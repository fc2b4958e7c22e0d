//! What passes the proxy, either way. The workspace here is hostile (hostile_app.py): its
//! answers try to take over the portal's cookie and site, and it reports what it was sent.

use crate::both_backends;
use crate::isolation::use_command;
use crate::support::{request, session_cookie_of, Backend, TestApp};
use base64::Engine;
use campus_core::domain::Role;
use serde_json::Value;

const HOSTILE: &str = include_str!("hostile_app.py");

async fn hostile_workspace(app: &TestApp) -> (reqwest::Client, i64) {
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Alice's work", alice, &[]).await;
    let script = base64::engine::general_purpose::STANDARD.encode(HOSTILE);
    let program = format!("import base64;exec(base64.b64decode('{script}'))");
    let offering = use_command(app, "vscode", &["python3", "-c", &program, "{port}"]).await;
    let a = app.browser_for("alice").await;
    let id = request(app, &a, project, &format!("{offering}:small"), "private").await;
    app.wait_for_state(id, "active", 60).await;
    (a, id)
}

/// A resource's answers cannot set or clear the portal's session cookie, set a cookie for other
/// hosts, wipe the portal's data, widen a service worker over the portal or prompt for a
/// password in its name; what the app may set for itself still passes.
async fn a_resource_cannot_set_the_portals_cookie_or_act_on_the_whole_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, id) = hostile_workspace(&app).await;
    let r = a
        .get(app.url(&format!("/w/cp-{id}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookies: Vec<&str> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cookies
            .iter()
            .all(|c| !c.contains("planted") && !c.starts_with("wide=")),
        "the app set a cookie it may not: {cookies:?}"
    );
    assert!(
        cookies.contains(&"app_pref=dark; Path=/"),
        "the app's own cookie passes: {cookies:?}"
    );
    for h in [
        "clear-site-data",
        "service-worker-allowed",
        "www-authenticate",
    ] {
        assert!(r.headers().get(h).is_none(), "{h} passed the proxy");
    }
    assert_eq!(r.headers()["x-app-version"], "7");
    // The visitor is still signed in to the portal as themselves.
    let account = a.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status().as_u16(), 200);
    assert!(account.text().await.unwrap().contains("alice"));
}

/// The portal's cookie, an `Authorization` the person sent the portal, and forwarding headers
/// a client made up never reach a resource; the proxy says who is asking.
async fn a_resource_gets_none_of_the_visitors_portal_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, id) = hostile_workspace(&app).await;
    // Cookies set by hand, so the portal's and the app's go together as a browser sends them.
    let session = session_cookie_of(&app, "alice").await;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/w/cp-{id}/")))
        .header("authorization", "Bearer cp_a_portal_api_token")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "for=203.0.113.9")
        .header("x-real-ip", "203.0.113.9")
        .header("cookie", format!("{session}; theme=dark"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let seen: Value = r.json().await.unwrap();
    let cookie = seen["cookie"].as_str().unwrap_or("");
    assert!(
        !cookie.contains(app.config.cookie_name()),
        "the portal's session reached the app: {seen}"
    );
    assert!(cookie.contains("theme=dark"), "{seen}");
    assert_eq!(seen["authorization"], Value::Null, "{seen}");
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1", "{seen}");
    assert_eq!(seen["forwarded"], Value::Null, "{seen}");
    assert_eq!(seen["x-real-ip"], Value::Null, "{seen}");
    assert_ne!(seen["x-forwarded-host"], "evil.example", "{seen}");
}

/// A service worker outlives its page and intercepts every request in its scope, so the proxy
/// refuses to serve one's script.
async fn a_resource_cannot_install_a_service_worker(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, id) = hostile_workspace(&app).await;
    let r = a
        .get(app.url(&format!("/w/cp-{id}/sw.js")))
        .header("service-worker", "script")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Service workers are not allowed"));
}

both_backends!(
    a_resource_cannot_set_the_portals_cookie_or_act_on_the_whole_site,
    a_resource_gets_none_of_the_visitors_portal_credentials,
    a_resource_cannot_install_a_service_worker,
);
