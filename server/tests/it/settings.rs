//! What operators set, through the real router on both databases: an offering's policy and a
//! project's quota, from the pages and the API, and what requests do afterwards.

use crate::both_backends;
use crate::support::{api, count, id_from, location, page, post, token_for, Backend, TestApp};
use campus_core::domain::Role;
use reqwest::Method;
use serde_json::json;

async fn policy_row(app: &TestApp, id: i64) -> (i64, i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT needs_approval, default_days, extension_days, max_extensions, idle_stop_minutes, \
         retired FROM offerings WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

async fn request_storage(app: &TestApp, c: &reqwest::Client, project: i64) -> reqwest::Response {
    let offering = app.offering_id("dataset-storage").await;
    post(
        c,
        app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{offering}:100gb")),
            ("end_date", "2030-06-30"),
            ("purpose", "Land register extracts"),
        ],
    )
    .await
}

async fn an_operator_changes_an_offerings_policy_and_new_requests_follow_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Land", alice, &[]).await;
    let id = app.offering_id("dataset-storage").await;
    let path = format!("/operations/catalogue/{id}");
    let a = app.browser_for("alice").await;
    let o = app.browser_for("omar").await;
    let before = policy_row(&app, id).await;
    assert_eq!(before, (0, 365, 180, 4, 0, 0));

    // Staff see neither page, and a forged post changes nothing.
    assert_eq!(page(&a, &app, "/operations/catalogue").await.0, 403);
    assert_eq!(page(&a, &app, &path).await.0, 403);
    let r = post(
        &a,
        &app,
        &path,
        &[
            ("needs_approval", "yes"),
            ("default_days", "5"),
            ("extension_days", "0"),
            ("max_extensions", "0"),
            ("idle_stop_minutes", "0"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(policy_row(&app, id).await, before);

    // The operator's page lists every offering with its policy and links to the form.
    let (status, body) = page(&o, &app, "/operations/catalogue").await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("href=\"{path}\"")), "{body}");
    assert!(body.contains("4 × 180 days"), "{body}");
    let (_, form) = page(&o, &app, &path).await;
    assert!(form.contains("value=\"365\""), "{form}");

    // Bad values: every field named, what was typed kept, nothing stored.
    let r = post(
        &o,
        &app,
        &path,
        &[
            ("default_days", "ten"),
            ("extension_days", "0"),
            ("max_extensions", "2"),
            ("idle_stop_minutes", "0"),
        ],
    )
    .await;
    assert_eq!(location(&r), path);
    let (_, body) = page(&o, &app, &path).await;
    assert!(
        body.contains(
            "Enter the usual lifetime in days as a whole number from 1 to 730, using digits only"
        ),
        "{body}"
    );
    assert!(
        body.contains("Enter the days each extension adds, or set the number of extensions to 0"),
        "{body}"
    );
    assert!(body.contains("value=\"ten\""), "{body}");
    assert_eq!(policy_row(&app, id).await, before);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offering.policy'"
        )
        .await,
        0
    );

    // A good change is stored, audited with before and after, and applies to the next request.
    let r = post(
        &o,
        &app,
        &path,
        &[
            ("needs_approval", "yes"),
            ("default_days", "30"),
            ("extension_days", "0"),
            ("max_extensions", "0"),
            ("idle_stop_minutes", "0"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/operations/catalogue");
    let (_, body) = page(&o, &app, "/operations/catalogue").await;
    assert!(body.contains("Policy for Dataset storage saved."), "{body}");
    assert_eq!(policy_row(&app, id).await, (1, 30, 0, 0, 0, 0));
    let (before_text, after_text): (String, String) = sqlx::query_as(
        "SELECT before_value, after_value FROM audit_log WHERE action = 'offering.policy' AND object_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        before_text.contains("approved within quota; lifetime 365 days; extensions 4 x 180 days"),
        "{before_text}"
    );
    assert!(
        after_text.contains("always needs approval; lifetime 30 days; extensions 0 x 0 days"),
        "{after_text}"
    );
    let r = request_storage(&app, &a, project).await;
    let rid = id_from(&location(&r));
    let (_, body) = page(&a, &app, &format!("/requests/{rid}")).await;
    assert!(body.contains("needs an operator"), "{body}");
    let state: String = sqlx::query_scalar("SELECT state FROM resources WHERE id = $1")
        .bind(rid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "submitted");

    // Retired: gone from the catalogue, and a request for it is refused with a reason.
    post(
        &o,
        &app,
        &path,
        &[
            ("retired", "yes"),
            ("default_days", "30"),
            ("extension_days", "0"),
            ("max_extensions", "0"),
            ("idle_stop_minutes", "0"),
        ],
    )
    .await;
    let (_, catalogue) = page(&a, &app, "/catalogue").await;
    assert!(!catalogue.contains("Dataset storage"), "{catalogue}");
    let r = request_storage(&app, &a, project).await;
    assert_eq!(location(&r), format!("/projects/{project}/requests/new"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 1);
}

async fn an_operator_sets_a_projects_quota_and_requests_are_decided_against_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Rivers", alice, &[]).await;
    let path = format!("/projects/{project}/quota");
    let a = app.browser_for("alice").await;
    let o = app.browser_for("omar").await;
    let full = |datasets: &'static str| {
        vec![
            ("cpu_cores", "16"),
            ("ram_gb", "64"),
            ("gpus", "0"),
            ("storage_gb", "500"),
            ("workspaces", "4"),
            ("datasets", datasets),
            ("web_services", "2"),
        ]
    };

    // Members see the quota on the project page, without the operators' link.
    let (_, body) = page(&a, &app, &format!("/projects/{project}")).await;
    assert!(body.contains("Dataset stores"), "{body}");
    assert!(!body.contains(&path), "{body}");
    let r = post(&a, &app, &path, &full("9")).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM project_quotas").await, 0);

    // Bad input names the field and stores nothing.
    let mut bad = full("-1");
    bad.retain(|(k, _)| *k != "gpus");
    let r = post(&o, &app, &path, &bad).await;
    assert_eq!(location(&r), path);
    let (_, body) = page(&o, &app, &path).await;
    assert!(body.contains("Enter the limit for dataset stores as a whole number from 0 to 1000, using digits only"), "{body}");
    assert!(body.contains("Enter the limit for GPUs"), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM project_quotas").await, 0);

    // No dataset stores: a request for one goes to an operator.
    let r = post(&o, &app, &path, &full("0")).await;
    assert_eq!(location(&r), format!("/projects/{project}"));
    let (_, body) = page(&o, &app, &format!("/projects/{project}")).await;
    assert!(body.contains("Quota of Rivers saved."), "{body}");
    assert!(body.contains(&path), "the operator sees the link: {body}");
    let first = id_from(&location(&request_storage(&app, &a, project).await));
    let (_, body) = page(&a, &app, &format!("/requests/{first}")).await;
    assert!(body.contains("dataset stores to 1 of 0"), "{body}");

    // Raised to three: the next one is approved at once.
    post(&o, &app, &path, &full("3")).await;
    let second = id_from(&location(&request_storage(&app, &a, project).await));
    app.wait_for_state(second, "active", 20).await;
    let after: String = sqlx::query_scalar(
        "SELECT after_value FROM audit_log WHERE action = 'project.quota' ORDER BY id DESC",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(after.contains("3 dataset stores"), "{after}");
    let (_, body) = page(&a, &app, &format!("/projects/{project}")).await;
    assert!(
        body.contains(&format!("/requests/{second}")),
        "the project lists its resources: {body}"
    );
}

async fn operators_set_policies_and_quotas_through_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Coasts", alice, &[]).await;
    let id = app.offering_id("web-service").await;
    let staff = token_for(&app, "alice").await;
    let operator = token_for(&app, "omar").await;
    let policy_path = format!("/api/v1/offerings/{id}/policy");
    let quota_path = format!("/api/v1/projects/{project}/quota");
    let policy = json!({"needs_approval": true, "default_days": 14, "extension_days": 7,
        "max_extensions": 1, "idle_stop_minutes": 0, "retired": false});

    // Staff may neither list the policies nor change one.
    assert_eq!(
        api(&app, Method::GET, "/api/v1/offerings", &staff, None)
            .await
            .0,
        403
    );
    assert_eq!(
        api(
            &app,
            Method::PUT,
            &policy_path,
            &staff,
            Some(policy.clone())
        )
        .await
        .0,
        403
    );

    // A value out of range names its field; a negative one is refused as JSON.
    let mut zero = policy.clone();
    zero["default_days"] = json!(0);
    let (status, e) = api(&app, Method::PUT, &policy_path, &operator, Some(zero)).await;
    assert_eq!(status, 422);
    assert_eq!(
        e["error"]["fields"]["default_days"],
        "Enter the usual lifetime in days as a whole number from 1 to 730"
    );
    let mut negative = policy.clone();
    negative["default_days"] = json!(-3);
    assert_eq!(
        api(&app, Method::PUT, &policy_path, &operator, Some(negative))
            .await
            .0,
        422
    );
    assert_eq!(policy_row(&app, id).await.1, 90, "nothing changed");

    let (status, o) = api(
        &app,
        Method::PUT,
        &policy_path,
        &operator,
        Some(policy.clone()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (o["default_days"].as_i64(), o["needs_approval"].as_bool()),
        (Some(14), Some(true))
    );
    let (_, list) = api(&app, Method::GET, "/api/v1/offerings", &operator, None).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == id && o["max_extensions"] == 1));
    let missing = "/api/v1/offerings/999999/policy";
    assert_eq!(
        api(&app, Method::PUT, missing, &operator, Some(policy))
            .await
            .0,
        404
    );

    let quota = json!({"cpu_cores": 8, "ram_gb": 32, "gpus": 1, "storage_gb": 100,
        "workspaces": 1, "datasets": 1, "web_services": 0});
    assert_eq!(
        api(&app, Method::PUT, &quota_path, &staff, Some(quota.clone()))
            .await
            .0,
        403
    );
    assert_eq!(
        api(
            &app,
            Method::PUT,
            &quota_path,
            &operator,
            Some(quota.clone())
        )
        .await
        .0,
        200
    );
    let (_, q) = api(&app, Method::GET, &quota_path, &staff, None).await;
    assert_eq!(q["limit"]["gpus"], 1);
    assert_eq!(q["used"]["workspaces"], 0);
    let mut too_many = quota;
    too_many["web_services"] = json!(1001);
    let (status, e) = api(&app, Method::PUT, &quota_path, &operator, Some(too_many)).await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["web_services"]
        .as_str()
        .unwrap()
        .contains("from 0 to 1000"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('offering.policy', 'project.quota')"
        )
        .await,
        2
    );

    let (_, doc) = api(&app, Method::GET, "/api/v1/openapi.json", &staff, None).await;
    assert!(doc["paths"]["/api/v1/projects/{id}/quota"]["put"].is_object());
    assert!(doc["paths"]["/api/v1/offerings/{id}/policy"]["put"].is_object());
}

async fn an_operator_adds_an_offering_and_sizes_that_staff_can_then_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Dashboards", alice, &[]).await;
    let a = app.browser_for("alice").await;
    let o = app.browser_for("omar").await;
    let offerings = "SELECT COUNT(*) FROM offerings";
    let before = count(&app, offerings).await;
    let shiny = [
        ("kind", "web_service"),
        ("name", "Shiny app"),
        ("description", "An R Shiny dashboard."),
        ("program", "python3"),
        (
            "arguments",
            "-m\nhttp.server\n{port}\n--bind\n{host}\n--directory\n{home}",
        ),
        ("default_days", "30"),
        ("code", "small"),
        ("label", "Small: 1 core, 2 GB memory"),
        ("cpu_cores", "1"),
        ("ram_gb", "2"),
        ("gpus", "0"),
        ("storage_gb", "1"),
    ];

    // Staff can neither see the form nor add one by posting.
    assert_eq!(page(&a, &app, "/operations/catalogue/new").await.0, 403);
    assert_eq!(
        post(&a, &app, "/operations/catalogue", &shiny)
            .await
            .status()
            .as_u16(),
        403
    );

    // Every problem is named at once; nothing is added.
    let r = post(
        &o,
        &app,
        "/operations/catalogue",
        &[
            ("name", "ab"),
            ("program", "shiny-server"),
            ("default_days", "0"),
            ("code", "Big One"),
            ("cpu_cores", "0"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/operations/catalogue/new");
    let (_, body) = page(&o, &app, "/operations/catalogue/new").await;
    for message in [
        "Choose what the offering is",
        "Enter a name of 3 to 80 characters",
        "Say what the offering is for",
        "Enter the usual lifetime in days as a whole number from 1 to 730",
    ] {
        assert!(body.contains(message), "{message}: {body}");
    }
    let r = post(
        &o,
        &app,
        "/operations/catalogue",
        &[
            ("kind", "web_service"),
            ("name", "Shiny app"),
            ("description", "x"),
            ("program", "python3"),
            ("arguments", "-m\nhttp.server\n{workdir}"),
            ("default_days", "30"),
            ("code", "Big One"),
            ("label", "x"),
            ("cpu_cores", "0"),
            ("ram_gb", "1"),
            ("gpus", "0"),
            ("storage_gb", "0"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/operations/catalogue/new");
    let (_, body) = page(&o, &app, "/operations/catalogue/new").await;
    assert!(
        body.contains(
            "{workdir} is not a placeholder: use {port}, {host}, {socket}, {home} or {base_url}"
        ),
        "{body}"
    );
    assert!(
        body.contains("The size code can be at most 20 lower-case letters"),
        "{body}"
    );
    assert!(
        body.contains("Enter the CPU cores as a whole number from 1 to 512"),
        "{body}"
    );
    assert_eq!(count(&app, offerings).await, before);
    // A program that is not installed, and one that would not listen anywhere, are refused
    // with the reason; a shell line is not a program.
    for (program, arguments, message) in [
        (
            "shiny-server",
            "{port}",
            "shiny-server is not installed on this machine",
        ),
        (
            "python3",
            "-m\nhttp.server",
            "The arguments must listen on {port} or on {socket}",
        ),
        (
            "python3 -m http.server",
            "{port}",
            "The program must be a name or an absolute path",
        ),
    ] {
        let mut bad = shiny.to_vec();
        bad.retain(|(k, _)| *k != "program" && *k != "arguments");
        bad.extend([("program", program), ("arguments", arguments)]);
        let r = post(&o, &app, "/operations/catalogue", &bad).await;
        assert_eq!(location(&r), "/operations/catalogue/new");
        let (_, body) = page(&o, &app, "/operations/catalogue/new").await;
        assert!(body.contains(message), "{message}: {body}");
        assert!(
            body.contains(&format!("value=\"{program}\"")),
            "what was typed is kept: {body}"
        );
    }
    assert_eq!(count(&app, offerings).await, before);

    // A good one is offered at once, and audited.
    let r = post(&o, &app, "/operations/catalogue", &shiny).await;
    let id = id_from(&location(&r));
    assert_eq!(count(&app, offerings).await, before + 1);
    assert_eq!(app.offering_id("shiny-app").await, id);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'offering.create'"
        )
        .await,
        1
    );
    let r = post(&o, &app, "/operations/catalogue", &shiny).await;
    assert_eq!(location(&r), "/operations/catalogue/new");
    let (_, body) = page(&o, &app, "/operations/catalogue/new").await;
    assert!(
        body.contains("An offering with this name already exists"),
        "{body}"
    );

    // A second size; the same code again is refused.
    let path = format!("/operations/catalogue/{id}/sizes");
    let large = [
        ("code", "large"),
        ("label", "Large: 4 cores, 8 GB memory"),
        ("cpu_cores", "4"),
        ("ram_gb", "8"),
        ("gpus", "0"),
        ("storage_gb", "5"),
    ];
    post(&o, &app, &path, &large).await;
    post(&o, &app, &path, &large).await;
    let (_, body) = page(&o, &app, &format!("/operations/catalogue/{id}")).await;
    assert!(body.contains("Large: 4 cores, 8 GB memory"), "{body}");
    assert!(
        body.contains("This offering already has a size with that code"),
        "{body}"
    );

    // Staff find it in the catalogue and get one of the new size, running.
    let (_, catalogue) = page(&a, &app, "/catalogue").await;
    assert!(catalogue.contains("Shiny app"), "{catalogue}");
    let rid = crate::support::request(&app, &a, project, &format!("{id}:large"), "private").await;
    app.wait_for_state(rid, "active", 20).await;

    // Removing its size leaves it running as it is; the last size cannot be removed.
    post(&o, &app, &format!("{path}/large/remove"), &[]).await;
    let cores: i64 = sqlx::query_scalar("SELECT cpu_cores FROM resources WHERE id = $1")
        .bind(rid)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(cores, 4);
    let r = post(&o, &app, &format!("{path}/small/remove"), &[]).await;
    assert_eq!(location(&r), format!("/operations/catalogue/{id}"));
    let (_, body) = page(&o, &app, &format!("/operations/catalogue/{id}")).await;
    assert!(
        body.contains("An offering needs at least one size"),
        "{body}"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM offering_sizes WHERE offering_id = {id}")
        )
        .await,
        1
    );
    assert_eq!(
        post(&a, &app, &format!("{path}/small/remove"), &[])
            .await
            .status()
            .as_u16(),
        403
    );

    // Through the API: storage has space alone, and sizes come and go.
    let token = token_for(&app, "omar").await;
    let (status, e) = api(&app, Method::POST, "/api/v1/offerings", &token, Some(json!({
        "kind": "storage", "name": "Scratch space", "description": "Short-lived files.",
        "default_days": 30,
        "size": {"code": "50gb", "label": "50 GB", "cpu_cores": 2, "ram_gb": 0, "gpus": 0, "storage_gb": 50}
    }))).await;
    assert_eq!(status, 422);
    assert_eq!(
        e["error"]["fields"]["cpu_cores"],
        "Storage has no CPU cores: enter 0"
    );
    let (status, made) = api(&app, Method::POST, "/api/v1/offerings", &token, Some(json!({
        "kind": "storage", "name": "Scratch space", "description": "Short-lived files.",
        "default_days": 30,
        "size": {"code": "50gb", "label": "50 GB", "cpu_cores": 0, "ram_gb": 0, "gpus": 0, "storage_gb": 50}
    }))).await;
    assert_eq!(status, 201, "{made}");
    let sid = made["id"].as_i64().unwrap();
    let (status, with) = api(&app, Method::POST, &format!("/api/v1/offerings/{sid}/sizes"), &token, Some(json!(
        {"code": "1tb", "label": "1 TB", "cpu_cores": 0, "ram_gb": 0, "gpus": 0, "storage_gb": 1000}
    ))).await;
    assert_eq!(status, 201);
    assert_eq!(with["sizes"].as_array().unwrap().len(), 2);
    let (status, without) = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/offerings/{sid}/sizes/50gb"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(without["sizes"][0]["code"], "1tb");
    let staff = token_for(&app, "alice").await;
    assert_eq!(
        api(
            &app,
            Method::DELETE,
            &format!("/api/v1/offerings/{sid}/sizes/1tb"),
            &staff,
            None
        )
        .await
        .0,
        403
    );
}

both_backends!(
    an_operator_adds_an_offering_and_sizes_that_staff_can_then_request,
    an_operator_changes_an_offerings_policy_and_new_requests_follow_it,
    an_operator_sets_a_projects_quota_and_requests_are_decided_against_it,
    operators_set_policies_and_quotas_through_the_api,
);
