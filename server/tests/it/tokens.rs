//! API tokens: they end, they do only what their scopes say, and they die with "sign out
//! everywhere" and with the role a scope needs.

use crate::both_backends;
use crate::support::{api, count, location, post, token_with, Backend, TestApp};
use campus_core::domain::Role;
use reqwest::Method;

fn scopes(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| (*x).to_owned()).collect()
}

/// A token without `write` only looks; a role's actions need that role's scope even when its
/// owner holds the role; a token past its end is refused, saying so.
async fn a_token_does_only_what_its_scopes_say_until_it_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("omar", &[Role::Staff, Role::Operator])
        .await;
    let new_project = serde_json::json!({"name": "Scripted", "summary": "Made by a script", "end_date": "2030-01-01"});

    let reader = token_with(&app, "omar", &[]).await;
    assert_eq!(
        api(&app, Method::GET, "/api/v1/me", &reader, None).await.0,
        200
    );
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/projects",
        &reader,
        Some(new_project.clone()),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("lacks the write scope"), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM projects").await, 0);

    let writer = token_with(&app, "omar", &scopes(&["write"])).await;
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/projects",
        &writer,
        Some(new_project),
    )
    .await;
    assert_eq!(status, 201);
    // Its owner is an operator, but the token was not given the operate scope.
    let (status, body) = api(&app, Method::GET, "/api/v1/operations", &writer, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.to_string().contains("this token's scopes: read write"),
        "{body}"
    );
    // Looking at operations needs only read and operate.
    let watcher = token_with(&app, "omar", &scopes(&["operate"])).await;
    assert_eq!(
        api(&app, Method::GET, "/api/v1/operations", &watcher, None)
            .await
            .0,
        200
    );

    sqlx::query("UPDATE api_tokens SET expires_at = $1")
        .bind(campus_core::clock::now() - 1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, body) = api(&app, Method::GET, "/api/v1/me", &writer, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "token_expired", "{body}");
    assert!(body.to_string().contains("expired on"), "{body}");
    let (status, body) = api(&app, Method::GET, "/api/v1/me", "cpat_made_up", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
}

/// Losing a role revokes the tokens whose scopes need it (and only those); signing out
/// everywhere revokes every token.
async fn tokens_die_with_a_lost_role_and_with_signing_out_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let omar = app
        .create_user("omar", &[Role::Staff, Role::Operator])
        .await;
    app.create_user("ada", &[Role::Admin]).await;
    let ops = token_with(&app, "omar", &scopes(&["write", "operate"])).await;
    let plain = token_with(&app, "omar", &scopes(&["write"])).await;

    let admin = app.browser_for("ada").await;
    let r = post(
        &admin,
        &app,
        &format!("/admin/users/{omar}/roles"),
        &[("roles", "staff")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (status, body) = api(&app, Method::GET, "/api/v1/me", &ops, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("token_revoked")),
        "{body}"
    );
    assert_eq!(
        api(&app, Method::GET, "/api/v1/me", &plain, None).await.0,
        200
    );
    // Giving the role back does not revive the revoked token.
    post(
        &admin,
        &app,
        &format!("/admin/users/{omar}/roles"),
        &[("roles", "staff"), ("roles", "operator")],
    )
    .await;
    assert_eq!(
        api(&app, Method::GET, "/api/v1/me", &ops, None).await.0,
        401
    );

    let o = app.browser_for("omar").await;
    let r = post(&o, &app, "/account/sign-out-everywhere", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (status, body) = api(&app, Method::GET, "/api/v1/me", &plain, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("token_revoked")),
        "{body}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke'"
        )
        .await,
        1,
        "the role loss's revocation is audited"
    );
}

/// The token form refuses a lifetime beyond the limit and a scope its maker's roles do not
/// carry, saying which, and makes nothing.
async fn the_token_form_refuses_more_than_its_maker_may_give(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("sam", &[Role::Staff]).await;
    let s = app.browser_for("sam").await;
    let r = post(
        &s,
        &app,
        "/account/tokens",
        &[
            ("name", "scripts"),
            ("days", "400"),
            ("scopes", "write"),
            ("scopes", "admin"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/account");
    let (_, page) = crate::support::page(&s, &app, "/account").await;
    assert!(
        page.contains("A token lasts between 1 and 365 days"),
        "{page}"
    );
    assert!(
        page.contains(
            "You are not an administrator, so a token of yours cannot have the admin scope"
        ),
        "{page}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_tokens").await, 0);
    // Within what sam may give: made, with its scopes and end on the page.
    post(
        &s,
        &app,
        "/account/tokens",
        &[("name", "scripts"), ("days", "30"), ("scopes", "write")],
    )
    .await;
    let (_, page) = crate::support::page(&s, &app, "/account").await;
    assert!(page.contains("id=\"new-token\""), "{page}");
    assert!(page.contains("read, write"), "{page}");
    let ends: i64 = sqlx::query_scalar("SELECT expires_at - created_at FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(ends, 30 * 86_400);
}

both_backends!(
    a_token_does_only_what_its_scopes_say_until_it_ends,
    tokens_die_with_a_lost_role_and_with_signing_out_everywhere,
    the_token_form_refuses_more_than_its_maker_may_give,
);
