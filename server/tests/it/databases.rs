//! Dataset storage as a PostgreSQL database on a real PostgreSQL server: made by the worker,
//! handed to the people who may use it as connection settings that really connect, measured,
//! and dropped on removal. Checked through PostgreSQL's own catalogues, not through the driver.

use crate::both_backends;
use crate::support::{count, page, post, request, Backend, Options, TestApp};
use campus_core::domain::Role;
use sqlx::Connection;

/// PG* variables from a downloaded settings file.
fn settings(body: &str, key: &str) -> String {
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .to_owned()
}

async fn on_server(sql: &str, name: &str) -> i64 {
    let mut admin = sqlx::PgConnection::connect(&crate::support::postgres_admin_url())
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    n
}

async fn a_project_database_is_made_handed_to_members_measured_and_dropped(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            databases: true,
            ..Options::default()
        },
    )
    .await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("carol", &[Role::Staff]).await;
    let project = app.project("Census tables", alice, &[bob]).await;
    let offering = app.offering_id("project-database").await;
    let a = app.browser_for("alice").await;

    let id = request(&app, &a, project, &format!("{offering}:10gb"), "project").await;
    app.wait_for_state(id, "active", 30).await;
    let name = format!("t{}_cp_{id}", app.config.bind_addr.port());
    assert_eq!(
        on_server("SELECT COUNT(*) FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1 AND r.rolname = $1", &name).await,
        1,
        "a database owned by its own role"
    );

    // The page offers the settings; they connect, as the database's owner, and nowhere else.
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains(&format!("/requests/{id}/connection")),
        "{body}"
    );
    let b = app.browser_for("bob").await;
    let r = b
        .get(app.url(&format!("/requests/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let env = r.text().await.unwrap();
    assert_eq!(settings(&env, "PGDATABASE"), name);
    let url = settings(&env, "DATABASE_URL");
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("the settings connect");
    sqlx::query("CREATE TABLE areas (code text PRIMARY KEY, people int)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO areas SELECT 'E' || g, g FROM generate_series(1, 20000) g")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(
        on_server("SELECT COUNT(*) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee = 0", &name).await,
        0,
        "other roles (PUBLIC) may not connect"
    );
    // This machine's PostgreSQL trusts loopback connections, so a wrong password would connect
    // too; what can be checked is that the role has a password, hashed by the server.
    let hashed: String = {
        let mut admin = sqlx::PgConnection::connect(&crate::support::postgres_admin_url())
            .await
            .unwrap();
        sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap()
    };
    assert!(hashed.starts_with("SCRAM-SHA-256$"), "{hashed}");

    // The same settings through the API, for scripts.
    let token = crate::support::token_for(&app, "bob").await;
    let (status, c) = crate::support::api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/requests/{id}/connection"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c["database"], name.as_str());
    assert_eq!(c["password"], settings(&env, "PGPASSWORD").as_str());

    // Someone outside the project gets nothing, and each hand-out is audited.
    let c = app.browser_for("carol").await;
    let r = c
        .get(app.url(&format!("/requests/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(!r.text().await.unwrap().contains("PGPASSWORD"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'database.connection'"
        )
        .await,
        2
    );

    // The worker measures it like any storage.
    let databases = server::provision::databases(&app.config.provisioning).unwrap();
    let driver = server::provision::from_config(&app.config.provisioning, databases).unwrap();
    server::provision::worker::Worker::new(
        app.db.clone(),
        driver,
        std::time::Duration::from_secs(5),
    )
    .measure_storage()
    .await
    .unwrap();
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(body.contains("Space used"), "{body}");
    assert!(body.contains(" MB of 10 GB"), "{body}");

    // Removing it drops the database and the role.
    let r = post(
        &a,
        &app,
        &format!("/requests/{id}/actions/decommission"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    app.wait_for_state(id, "decommissioned", 30).await;
    assert_eq!(
        on_server("SELECT COUNT(*) FROM pg_database WHERE datname = $1", &name).await,
        0
    );
    assert_eq!(
        on_server("SELECT COUNT(*) FROM pg_roles WHERE rolname = $1", &name).await,
        0
    );
    let r = a
        .get(app.url(&format!("/requests/{id}/connection")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
}

async fn without_a_database_server_the_offering_is_retired_and_fails_in_words(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Census tables", alice, &[]).await;
    let offering = app.offering_id("project-database").await;
    let a = app.browser_for("alice").await;
    let (_, catalogue) = page(&a, &app, "/catalogue").await;
    assert!(!catalogue.contains("Project database"), "{catalogue}");

    // An operator offers it anyway: the request fails with the reason, and nothing is left.
    let o = app.browser_for("omar").await;
    post(
        &o,
        &app,
        &format!("/operations/catalogue/{offering}"),
        &[
            ("default_days", "365"),
            ("extension_days", "180"),
            ("max_extensions", "4"),
            ("idle_stop_minutes", "0"),
        ],
    )
    .await;
    let id = request(&app, &a, project, &format!("{offering}:10gb"), "private").await;
    app.wait_for_state(id, "failed", 30).await;
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains("no PostgreSQL server for project databases"),
        "{body}"
    );
}

both_backends!(
    a_project_database_is_made_handed_to_members_measured_and_dropped,
    without_a_database_server_the_offering_is_retired_and_fails_in_words,
);
