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

/// Makes every session of `user_id` look signed in `secs` ago.
async fn age_sign_in(app: &TestApp, user_id: i64, secs: i64) {
    let data: String = sqlx::query_scalar("SELECT data FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&data).unwrap();
    v["signed_in_at"] = serde_json::json!(campus_core::clock::now() - secs);
    sqlx::query("UPDATE sessions SET data = $1 WHERE user_id = $2")
        .bind(v.to_string())
        .bind(user_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// A session that signed in more than 15 minutes ago (say, one a script in a page has been
/// riding) cannot make a token or change roles; the page says to sign in again, and links there.
async fn making_a_token_or_changing_roles_needs_a_recent_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sam = app.create_user("sam", &[Role::Staff]).await;
    let ada = app.create_user("ada", &[Role::Admin]).await;
    let s = app.browser_for("sam").await;
    let a = app.browser_for("ada").await;
    age_sign_in(&app, sam, 16 * 60).await;
    age_sign_in(&app, ada, 16 * 60).await;

    let r = post(&s, &app, "/account/tokens", &[("name", "scripts")]).await;
    assert_eq!(location(&r), "/account");
    let (_, page) = crate::support::page(&s, &app, "/account").await;
    assert!(page.contains("Sign in again to make a token"), "{page}");
    assert!(page.contains("href=\"/sign-in?next=/account\""), "{page}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM api_tokens").await, 0);

    let r = post(
        &a,
        &app,
        &format!("/admin/users/{sam}/roles"),
        &[("roles", "admin")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = crate::support::page(&a, &app, &format!("/admin/users/{sam}")).await;
    assert!(page.contains("Sign in again to change roles"), "{page}");
    let roles = campus_core::store::users::roles_of(&app.db, sam)
        .await
        .unwrap();
    assert!(
        !roles.has(Role::Admin),
        "the role was granted on an old sign-in"
    );

    // Signing in again is enough.
    let a = app.browser_for("ada").await;
    post(
        &a,
        &app,
        &format!("/admin/users/{sam}/roles"),
        &[("roles", "staff"), ("roles", "reviewer")],
    )
    .await;
    let roles = campus_core::store::users::roles_of(&app.db, sam)
        .await
        .unwrap();
    assert!(roles.has(Role::Reviewer));
}

both_backends!(
    making_a_token_or_changing_roles_needs_a_recent_sign_in,
    a_token_does_only_what_its_scopes_say_until_it_ends,
    tokens_die_with_a_lost_role_and_with_signing_out_everywhere,
    the_token_form_refuses_more_than_its_maker_may_give,
);
