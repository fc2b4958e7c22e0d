use crate::both_backends;
use crate::support::{token_for, Backend, TestApp};
use campus_core::domain::Role;
use serde_json::{json, Value};

async fn the_api_lists_and_creates_projects_with_a_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("bob", &[Role::Staff]).await;
    let token = token_for(&app, "alice").await;
    let c = reqwest::Client::new();
    let r = c
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&token)
        .json(&json!({"name": "Patents", "summary": "Trends.", "end_date": "2027-03-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["name"], "Patents");
    assert!(p["training_session_id"].is_null(), "{p}");
    let id = p["id"].as_i64().unwrap();
    let r = c
        .post(app.url(&format!("/api/v1/projects/{id}/members")))
        .bearer_auth(&token)
        .json(&json!({"username": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let list: Value = c
        .get(app.url("/api/v1/projects"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["member_count"], 2);
    let me: Value = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
}

async fn requests_without_a_valid_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(app.url("/api/v1/projects"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        c.get(app.url("/api/v1/projects"))
            .bearer_auth("cpat_nonsense")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    // A revoked token stops working.
    let token = token_for(&app, "alice").await;
    assert_eq!(
        c.get(app.url("/api/v1/projects"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let alice_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'alice'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let alice = campus_core::services::accounts::actor(&app.db, alice_id)
        .await
        .unwrap();
    let tokens = campus_core::services::accounts::list_tokens(&app.db, alice.as_ref())
        .await
        .unwrap();
    assert_eq!(
        tokens.len(),
        1,
        "alice ({alice_id}) has one token: {tokens:?}"
    );
    campus_core::services::accounts::revoke_token(&app.db, alice.as_ref(), tokens[0].id)
        .await
        .unwrap();
    assert_eq!(
        c.get(app.url("/api/v1/projects"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    // Only the hash is stored.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!stored.contains(&token[5..]));
}

async fn bad_json_is_answered_with_a_json_error_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let token = token_for(&app, "alice").await;
    let c = reqwest::Client::new();
    let post = |body: String| {
        c.post(app.url("/api/v1/projects"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = post("{not json".into()).await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "bad_json");
    let r = post(json!({"name": "X project", "summary": "s"}).to_string())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"].as_str().unwrap().contains("end_date"),
        "{e}"
    );
    let r = post(json!({"name": "ab", "summary": "s", "end_date": "2027-01-01"}).to_string())
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["fields"]["name"]
            .as_str()
            .unwrap()
            .contains("3 characters"),
        "{e}"
    );
    let r = post(format!(
        r#"{{"name": "{}", "summary": "s", "end_date": "2027-01-01"}}"#,
        "x".repeat(100_000)
    ))
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

async fn the_openapi_document_describes_the_handlers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/projects/{id}/members",
        "/api/v1/me",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
}

/// The API knows people by their token alone: a signed-in browser's session cookie opens no
/// part of it, so a script on a portal page cannot use the API with its visitor's rights.
async fn a_session_cookie_opens_nothing_in_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.sign_in("alice").await;
    let (status, page) = app.get_text("/projects").await;
    assert_eq!(status, 200, "the session opens the portal's pages");
    assert!(page.contains("Sign out"), "signed in on the portal");
    let r = app.get("/api/v1/me").await;
    assert_eq!(r.status().as_u16(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");
    let r = app
        .client
        .post(app.url("/api/v1/projects"))
        .json(&serde_json::json!({"name": "By cookie", "summary": "s", "end_date": "2030-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let made: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE name = 'By cookie'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(made, 0, "nothing was made");
}

both_backends!(
    the_api_lists_and_creates_projects_with_a_token,
    requests_without_a_valid_token_are_refused,
    a_session_cookie_opens_nothing_in_the_api,
    bad_json_is_answered_with_a_json_error_naming_the_field,
    the_openapi_document_describes_the_handlers,
);

async fn the_api_requests_decides_and_changes_resources(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("API", alice, &[]).await;
    let (t_alice, t_omar) = (
        token_for(&app, "alice").await,
        token_for(&app, "omar").await,
    );
    let c = reqwest::Client::new();
    let catalogue: Value = c
        .get(app.url("/api/v1/catalogue"))
        .bearer_auth(&t_alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let spark = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["slug"] == "spark")
        .unwrap();
    assert_eq!(spark["needs_approval"], true);
    let spark_id = spark["id"].as_i64().unwrap();

    // Field errors name the field; nothing is created.
    let r = c.post(app.url(&format!("/api/v1/projects/{project}/requests"))).bearer_auth(&t_alice)
        .json(&json!({"offering_id": spark_id, "size": "huge", "end_date": "yesterday", "purpose": ""}))
        .send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        e["error"]["fields"]["size"],
        "Choose one of the sizes this offering comes in"
    );
    assert!(e["error"]["fields"]["end_date"].is_string());
    assert!(e["error"]["fields"]["purpose"].is_string());

    let r = c.post(app.url(&format!("/api/v1/projects/{project}/requests"))).bearer_auth(&t_alice)
        .json(&json!({"offering_id": spark_id, "size": "medium", "end_date": "2030-01-01", "purpose": "Joins"}))
        .send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["outcome"], "awaiting_decision");
    assert_eq!(
        s["reasons"][0],
        "Spark workspace always needs an operator's approval"
    );
    let id = s["request"]["id"].as_i64().unwrap();

    // The requester cannot decide; the operator can, and the resource comes up.
    let r = c
        .post(app.url(&format!("/api/v1/requests/{id}/decision")))
        .bearer_auth(&t_alice)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = c
        .post(app.url(&format!("/api/v1/requests/{id}/decision")))
        .bearer_auth(&t_omar)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    app.wait_for_state(id, "active", 60).await;
    let d: Value = c
        .get(app.url(&format!("/api/v1/requests/{id}")))
        .bearer_auth(&t_alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["state"], "active");
    assert_eq!(d["url"], format!("{}/w/cp-{id}/", app.base));
    assert!(d["actions"].as_array().unwrap().contains(&json!("stop")));
    let r = c
        .post(app.url(&format!("/api/v1/requests/{id}/actions/decommission")))
        .bearer_auth(&t_alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    app.wait_for_state(id, "decommissioned", 30).await;

    // The audit trail is for operators.
    let r = c
        .get(app.url("/api/v1/audit?action=request.approve"))
        .bearer_auth(&t_alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let a: Value = c
        .get(app.url("/api/v1/audit?action=request.approve"))
        .bearer_auth(&t_omar)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(a.as_array().unwrap().len(), 1);
    assert_eq!(a[0]["actor"], "omar");
    let doc: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/catalogue",
        "/api/v1/projects/{id}/requests",
        "/api/v1/requests/{id}/decision",
        "/api/v1/requests/{id}/actions/{action}",
        "/api/v1/audit",
        "/api/v1/jobs/{id}/redrive",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

both_backends!(the_api_requests_decides_and_changes_resources);

async fn operators_watch_send_back_and_people_read_their_notifications_through_the_api(
    backend: Backend,
) {
    use crate::support::api;
    use reqwest::Method;
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Watched", alice, &[]).await;
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let staff = token_for(&app, "alice").await;
    let operator = token_for(&app, "omar").await;

    assert_eq!(
        api(&app, Method::GET, "/api/v1/operations", &staff, None)
            .await
            .0,
        403
    );
    assert_eq!(
        api(&app, Method::GET, "/api/v1/approvals", &staff, None)
            .await
            .0,
        403
    );

    // A GPU workspace always needs an operator: it waits in the approvals list.
    let (status, submitted) = api(
        &app,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        &staff,
        Some(
            json!({"offering_id": gpu, "size": "one-gpu", "end_date": "2030-01-31",
            "purpose": "Train the land-cover model"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{submitted}");
    assert_eq!(submitted["outcome"], "awaiting_decision");
    let id = submitted["request"]["id"].as_i64().unwrap();
    let (_, waiting) = api(&app, Method::GET, "/api/v1/approvals", &operator, None).await;
    assert_eq!(waiting[0]["id"], id);

    // Sent back for changes, then resubmitted smaller by its requester.
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/requests/{id}/decision"),
        &operator,
        Some(json!({"decision": "changes", "reason": "Ask for the one-GPU size for a month"})),
    )
    .await;
    assert_eq!(status, 200);
    let resubmit = format!("/api/v1/requests/{id}/resubmit");
    let changed = json!({"size": "one-gpu", "end_date": "2030-01-31", "purpose": "One month"});
    assert_eq!(
        api(
            &app,
            Method::POST,
            &resubmit,
            &operator,
            Some(changed.clone())
        )
        .await
        .0,
        403
    );
    let mut bad = changed.clone();
    bad["size"] = json!("ten-gpu");
    let (status, e) = api(&app, Method::POST, &resubmit, &staff, Some(bad)).await;
    assert_eq!(status, 422, "{e}");
    let (status, again) = api(&app, Method::POST, &resubmit, &staff, Some(changed)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["request"]["state"], "submitted");

    // Alice was told; reading marks them read.
    let (_, mine) = api(&app, Method::GET, "/api/v1/notifications", &staff, None).await;
    let mine = mine.as_array().unwrap().clone();
    assert!(mine
        .iter()
        .any(|n| n["link"] == format!("/requests/{id}") && n["read"] == false));
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/notifications/read",
        &staff,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, after) = api(&app, Method::GET, "/api/v1/notifications", &staff, None).await;
    assert!(after.as_array().unwrap().iter().all(|n| n["read"] == true));

    // The operators' overview: the hardware, what is free, and this request on its way.
    let (status, o) = api(&app, Method::GET, "/api/v1/operations", &operator, None).await;
    assert_eq!(status, 200);
    assert!(o["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["site"] == "TEST"));
    assert!(o["free"]["cores"].as_u64().unwrap() <= o["total"]["cores"].as_u64().unwrap());
    assert!(o["dead_letters"].as_array().unwrap().is_empty());

    // Connection settings exist only for project databases.
    let (status, _) = api(
        &app,
        Method::GET,
        &format!("/api/v1/requests/{id}/connection"),
        &staff,
        None,
    )
    .await;
    assert_eq!(status, 404);
}

both_backends!(operators_watch_send_back_and_people_read_their_notifications_through_the_api);
