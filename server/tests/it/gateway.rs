//! What passes the proxy, either way. The workspace here is hostile (hostile_app.py): its
//! answers try to take over the portal's cookie and site, and it reports what it was sent.

use crate::both_backends;
use crate::isolation::use_command;
use crate::support::{
    app_url, client, location, open_app, pass_cookie_of, post, request, session_cookie_of, Backend,
    TestApp,
};
use base64::Engine;
use campus_core::domain::Role;
use serde_json::Value;

const HOSTILE: &str = include_str!("hostile_app.py");

async fn hostile_workspace(app: &TestApp) -> (reqwest::Client, i64) {
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Alice's work", alice, &[]).await;
    let a = app.browser_for("alice").await;
    let id = hostile_in(app, &a, project, "private").await;
    (a, id)
}

/// One more hostile workspace in `project`, asked for by `c`'s person.
async fn hostile_in(app: &TestApp, c: &reqwest::Client, project: i64, visibility: &str) -> i64 {
    let script = base64::engine::general_purpose::STANDARD.encode(HOSTILE);
    let program = format!("import base64;exec(base64.b64decode('{script}'))");
    let offering = use_command(app, "vscode", &["python3", "-c", &program, "{port}"]).await;
    let id = request(app, c, project, &format!("{offering}:small"), visibility).await;
    app.wait_for_state(id, "active", 60).await;
    id
}

/// A resource's answers cannot set or clear the portal's session cookie, set a cookie for other
/// hosts, wipe the portal's data, widen a service worker over the portal or prompt for a
/// password in its name; what the app may set for itself still passes.
async fn a_resource_cannot_set_the_portals_cookie_or_act_on_the_whole_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, id) = hostile_workspace(&app).await;
    assert_eq!(open_app(&a, &app, "/w/", id).await, 200);
    let r = a.get(app_url(&app, id, "/")).send().await.unwrap();
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
    // Cookies set by hand, so the portal's, the host's pass and the app's own go together.
    let session = session_cookie_of(&app, "alice").await;
    let pass = pass_cookie_of(&app, "alice", "/w/", id).await;
    let r = client()
        .get(app_url(&app, id, "/"))
        .header("authorization", "Bearer cp_a_portal_api_token")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "for=203.0.113.9")
        .header("x-real-ip", "203.0.113.9")
        .header("cookie", format!("{session}; {pass}; theme=dark"))
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
    assert!(
        !cookie.contains(app.config.pass_cookie_name()),
        "the host's pass reached the app: {seen}"
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
    assert_eq!(open_app(&a, &app, "/w/", id).await, 200);
    let r = a
        .get(app_url(&app, id, "/sw.js"))
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

/// The portal's origin serves nothing a resource wrote: `/w/…` only sends the browser to the
/// resource's own host with a one-time code, and the app's answers never come from the portal.
async fn each_resource_is_served_on_its_own_host_never_the_portals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, id) = hostile_workspace(&app).await;
    let r = a
        .get(app.url(&format!("/w/cp-{id}/lab?x=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let to = location(&r);
    let auth = format!("{}/_campus/auth?code=", app.config.apps.origin(id));
    assert!(to.starts_with(&auth), "{to}");
    assert!(to.ends_with("&next=%2Flab%3Fx%3D1"), "{to}");
    assert!(
        r.text().await.unwrap().is_empty(),
        "no app content on the portal"
    );
    // Only a page load is sent on: anything else to /w/… is not the portal's to answer.
    let put = a
        .put(app.url(&format!("/w/cp-{id}/api/contents/x")))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 405);
    // Following the code lands on the app's host with its own pass; the app answers there.
    let r = a.get(&to).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/lab?x=1");
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        set.starts_with(&format!("{}=", app.config.pass_cookie_name())),
        "{set}"
    );
    assert!(
        set.contains("HttpOnly")
            && set.contains("Path=/")
            && !set.to_ascii_lowercase().contains("domain"),
        "{set}"
    );
    let seen: Value = a
        .get(app_url(&app, id, "/lab?x=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["path"], "/lab?x=1",
        "the app is served at its host's root: {seen}"
    );
    // A host that is no resource's gets the portal's own 404 page.
    for host in ["cp-999999", "cp-0001", "www"] {
        let r = client()
            .get(format!(
                "http://{host}.localhost:{}/",
                app.config.bind_addr.port()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{host}");
        assert!(
            r.text().await.unwrap().contains("There is no such"),
            "{host}"
        );
    }
}

/// A one-time code works once, on the host it was made for, within 30 s; every refusal is a
/// clear page and sets no cookie.
async fn a_sign_in_code_works_once_for_one_resource_while_fresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, id) = hostile_workspace(&app).await;
    let project: i64 = sqlx::query_scalar("SELECT project_id FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let other = hostile_in(&app, &a, project, "private").await;
    let code_for = |id: i64| {
        let (a, url) = (a.clone(), app.url(&format!("/w/cp-{id}/")));
        async move {
            let to = location(&a.get(url).send().await.unwrap());
            to.split("code=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .to_owned()
        }
    };
    let redeem = |id: i64, code: String| {
        let url = app_url(&app, id, &format!("/_campus/auth?code={code}&next=/"));
        async move {
            let r = client().get(url).send().await.unwrap();
            let cookie = r.headers().get("set-cookie").is_some();
            (r.status().as_u16(), cookie, r.text().await.unwrap())
        }
    };
    // Carried to another resource's host: refused there, and spent.
    let code = code_for(id).await;
    let (status, cookie, body) = redeem(other, code.clone()).await;
    assert_eq!((status, cookie), (400, false));
    assert!(
        body.contains("made for another workspace or web service"),
        "{body}"
    );
    let (status, cookie, body) = redeem(id, code).await;
    assert_eq!((status, cookie), (400, false));
    assert!(body.contains("used already"), "{body}");
    // Used once, then never again.
    let code = code_for(id).await;
    let (status, cookie, _) = redeem(id, code.clone()).await;
    assert_eq!((status, cookie), (303, true));
    let (status, cookie, body) = redeem(id, code).await;
    assert_eq!((status, cookie), (400, false));
    assert!(body.contains("used already"), "{body}");
    // Made up, or missing.
    let (status, cookie, _) = redeem(id, "forged-code".into()).await;
    assert_eq!((status, cookie), (400, false));
    let r = client()
        .get(app_url(&app, id, "/_campus/auth"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // Older than 30 seconds.
    let code = code_for(id).await;
    sqlx::query("UPDATE app_passes SET code_expires_at = $1 WHERE cookie_hash IS NULL")
        .bind(campus_core::clock::now() - 1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, cookie, body) = redeem(id, code).await;
    assert_eq!((status, cookie), (400, false));
    assert!(body.contains("more than 30 seconds old"), "{body}");
    // A next that leaves the host goes to its root instead.
    let code = code_for(id).await;
    let r = client()
        .get(app_url(
            &app,
            id,
            &format!("/_campus/auth?code={code}&next=//evil.example/"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
}

/// A pass lasts no longer than what it stands for: the portal session (signed out), the
/// membership that allowed it, the resource running; and it opens its own host only.
async fn a_pass_ends_with_the_session_the_membership_and_the_resource(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    let project = app.project("Shared", alice, &[bob]).await;
    let a = app.browser_for("alice").await;
    let id = hostile_in(&app, &a, project, "project").await;
    let other = hostile_in(&app, &a, project, "project").await;
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(2100));

    // A pass for one host is nothing on another.
    let pass = pass_cookie_of(&app, "alice", "/w/", id).await;
    let r = client()
        .get(app_url(&app, other, "/"))
        .header("cookie", &pass)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "another host's pass opened it");
    assert_eq!(location(&r), app.url(&format!("/w/cp-{other}/")));

    // Signing out of the portal ends the pass within seconds.
    assert_eq!(open_app(&a, &app, "/w/", id).await, 200);
    post(&a, &app, "/auth/sign-out", &[]).await;
    settle().await;
    let r = a.get(app_url(&app, id, "/")).send().await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "a signed-out pass still opened it"
    );
    let r = a.post(app_url(&app, id, "/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Leaving the project ends Bob's.
    let b = app.browser_for("bob").await;
    assert_eq!(open_app(&b, &app, "/w/", id).await, 200);
    let a = app.browser_for("alice").await;
    post(
        &a,
        &app,
        &format!("/projects/{project}/members/{bob}/remove"),
        &[],
    )
    .await;
    settle().await;
    let r = b.get(app_url(&app, id, "/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403, "a former member still got in");

    // Stopping the workspace ends everyone's.
    assert_eq!(open_app(&a, &app, "/w/", id).await, 200);
    post(&a, &app, &format!("/requests/{id}/actions/stop"), &[]).await;
    app.wait_for_state(id, "stopped", 30).await;
    settle().await;
    let r = a.get(app_url(&app, id, "/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 409);
}

both_backends!(
    each_resource_is_served_on_its_own_host_never_the_portals,
    a_sign_in_code_works_once_for_one_resource_while_fresh,
    a_pass_ends_with_the_session_the_membership_and_the_resource,
    a_resource_cannot_set_the_portals_cookie_or_act_on_the_whole_site,
    a_resource_gets_none_of_the_visitors_portal_credentials,
    a_resource_cannot_install_a_service_worker,
);
