use crate::both_backends;
use crate::support::{Backend, TestApp};
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

both_backends!(
    every_response_carries_the_security_headers,
    a_cross_site_post_is_refused_and_changes_nothing,
    unknown_routes_get_the_not_found_page,
    oversized_form_bodies_get_413,
    health_endpoints_report_liveness_and_database_readiness,
    a_failing_migration_stops_start_up_with_a_clear_message,
);
