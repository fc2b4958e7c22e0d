use crate::both_backends;
use crate::support::{api, count, page, post, token_for, Backend, TestApp};
use campus_core::domain::Role;

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/").await;
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert!(h.contains_key("x-request-id"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(r#"nonce="{nonce}""#)),
        "the hydration script carries this response's nonce"
    );
    let again = app.get("/").await;
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(&nonce),
        "a fresh nonce per response"
    );
}

async fn a_cross_site_post_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let r = app
        .client
        .post(app.url("/projects"))
        .header("origin", "https://evil.example")
        .form(&[
            ("name", "Evil"),
            ("summary", "x"),
            ("end_date", "2027-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .client
        .post(app.url("/projects"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("name", "Evil"),
            ("summary", "x"),
            ("end_date", "2027-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let r = app
        .client
        .post(app.url("/projects"))
        .header("origin", app.base.clone())
        .form(&[
            ("name", "Fine project"),
            ("summary", "x"),
            ("end_date", "2027-01-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "a same-origin post goes through");
}

async fn unknown_routes_get_the_not_found_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app.get_text("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    assert!(!body.contains("panicked"));
    let (status, _) = app.get_text("/projects/999999").await;
    assert_eq!(status, 404);
}

async fn oversized_form_bodies_get_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let big = "x".repeat(200_000);
    let r = app
        .post_form(
            "/projects",
            &[
                ("name", "Big"),
                ("summary", &big),
                ("end_date", "2027-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().await.unwrap().contains("too large"));
}

async fn health_endpoints_report_liveness_and_database_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get_text("/livez").await, (200, "ok".into()));
    assert_eq!(app.get_text("/readyz").await, (200, "ready".into()));
    app.db.pool.close().await;
    assert_eq!(app.get_text("/readyz").await.0, 503);
}

async fn a_failing_migration_stops_start_up_with_a_clear_message(backend: Backend) {
    // A database whose tables exist but whose migration history is lost: re-running the first
    // migration conflicts, and start-up must stop with the reason.
    let app = TestApp::spawn(backend).await;
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let e = app.db.migrate().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("migration failed, so the portal will not start"),
        "{e}"
    );
}

/// Security events land in the audit trail, with the address for sign-ins: who signed in and
/// who failed to, role changes, tokens made and revoked, sign-out everywhere, and membership.
async fn security_events_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.create_user("ada", &[Role::Admin]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.post_form(
        "/auth/local/sign-in",
        &[("username", "bob"), ("password", "not bob's password")],
    )
    .await;
    let a = app.browser_for("ada").await;
    post(
        &a,
        &app,
        &format!("/admin/users/{bob}/roles"),
        &[("roles", "staff"), ("roles", "reviewer")],
    )
    .await;
    post(&a, &app, "/account/tokens", &[("name", "nightly job")]).await;
    let token: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(admin)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    post(&a, &app, &format!("/account/tokens/{token}/revoke"), &[]).await;
    let project = app.project("Audited", admin, &[]).await;
    post(
        &a,
        &app,
        &format!("/projects/{project}/members"),
        &[("username", "bob")],
    )
    .await;
    post(
        &a,
        &app,
        &format!("/projects/{project}/members/{bob}/remove"),
        &[],
    )
    .await;
    post(&a, &app, "/account/sign-out-everywhere", &[]).await;

    let rows: Vec<(String, Option<i64>, String, String, String)> = sqlx::query_as(
        "SELECT action, actor_id, object_id, before_value, after_value FROM audit_log \
         WHERE action LIKE 'user.%' OR action LIKE 'token.%' OR action LIKE 'project.member%' \
         ORDER BY id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let (bob_s, admin_s, project_s) = (bob.to_string(), admin.to_string(), project.to_string());
    let find = |action: &str| {
        rows.iter()
            .find(|r| r.0 == action)
            .unwrap_or_else(|| panic!("no {action} in {rows:?}"))
    };
    let failed = find("user.sign_in_failed");
    assert_eq!((failed.1, failed.2.as_str()), (None, bob_s.as_str()));
    assert_eq!(failed.4, "wrong password from 127.0.0.1");
    let signed_in = find("user.sign_in");
    assert_eq!(
        (signed_in.1, signed_in.2.as_str()),
        (Some(admin), admin_s.as_str())
    );
    assert_eq!(signed_in.4, "local account from 127.0.0.1");
    let roles = find("user.roles");
    assert_eq!((roles.1, roles.2.as_str()), (Some(admin), bob_s.as_str()));
    assert_eq!(roles.4, "staff, reviewer");
    let created = find("token.create").4.clone();
    assert!(
        created.starts_with("nightly job (scopes: read; ends "),
        "{created}"
    );
    assert_eq!(find("token.revoke").2, token.to_string());
    let added = find("project.member_add");
    assert_eq!(
        (added.2.as_str(), added.4.as_str()),
        (project_s.as_str(), "bob")
    );
    assert_eq!(find("project.member_remove").3, "bob");
    assert_eq!(find("user.sign_out_everywhere").1, Some(admin));
}

/// PostgreSQL text cannot hold NUL (SQLite stores it): before the refusal, a NUL in any text
/// that reached a query was a server error on PostgreSQL. Each way in gets a specific answer
/// naming the field, and nothing is saved.
async fn text_holding_a_nul_is_refused_by_name_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sam = app.create_user("sam", &[Role::Staff]).await;
    let project = app.project("Nul", sam, &[]).await;
    let offering = app.offering_id("jupyterlab").await;
    let before = count(&app, "SELECT COUNT(*) FROM resources").await;

    // The JSON API: the field is named by its JSON pointer.
    let token = token_for(&app, "sam").await;
    let (status, body) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        &token,
        Some(serde_json::json!({
            "offering_id": offering, "size": "small", "end_date": "2030-06-30",
            "purpose": "before\u{0}after",
        })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "nul_character");
    assert!(body["error"]["fields"]["/purpose"].is_string(), "{body}");

    // A form post from a page: an error page naming the field.
    let c = app.browser_for("sam").await;
    let r = post(
        &c,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{offering}:small")),
            ("end_date", "2030-06-30"),
            ("purpose", "before\u{0}after"),
            ("visibility", "private"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("“purpose” holds a NUL character"), "{text}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, before);

    // A query string, on a page and in the API.
    let (status, text) = page(&c, &app, "/search?q=a%00b").await;
    assert_eq!(status, 400);
    assert!(text.contains("“q” holds a NUL character"), "{text}");
    let (status, body) = api(
        &app,
        reqwest::Method::GET,
        "/api/v1/search?q=a%00b",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["fields"]["q"].is_string(), "{body}");

    // "%2500" is the text "%00", which is allowed.
    let (status, _) = page(&c, &app, "/search?q=100%2500").await;
    assert_eq!(status, 200);
}

both_backends!(
    text_holding_a_nul_is_refused_by_name_and_changes_nothing,
    security_events_are_audited,
    every_response_carries_the_security_headers,
    a_cross_site_post_is_refused_and_changes_nothing,
    unknown_routes_get_the_not_found_page,
    oversized_form_bodies_get_413,
    health_endpoints_report_liveness_and_database_readiness,
    a_failing_migration_stops_start_up_with_a_clear_message,
);
