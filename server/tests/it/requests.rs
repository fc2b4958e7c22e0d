//! Requests end to end through the real router, queue, worker and local driver: real processes
//! on loopback ports, real directories, on both databases.

use crate::both_backends;
use crate::support::{app_url, count, id_from, location, page, post, request, Backend, TestApp};
use campus_core::domain::Role;

fn pid_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !matches!(
                s.rsplit_once(')')
                    .and_then(|(_, r)| r.trim_start().chars().next()),
                Some('Z')
            )
        })
        .unwrap_or(false)
}

async fn a_web_service_within_quota_is_approved_runs_is_proxied_stopped_extended_and_removed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("carol", &[Role::Staff]).await;
    let project = app.project("Trees", alice, &[bob]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;

    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{offering}:small")),
            ("end_date", "2030-06-30"),
            ("purpose", "Share the tree map with colleagues"),
            ("visibility", "project"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let id = id_from(&location(&r));
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains("Request approved: it is within your project"),
        "{body}"
    );
    app.wait_for_state(id, "active", 20).await;

    // The service answers through the proxy, for a project member, from its own directory.
    let dir = app.resource_dir.join(format!("cp-{id}"));
    std::fs::write(dir.join("files/index.html"), "<p>tree map</p>").unwrap();
    let (status, body) = page(&a, &app, &format!("/s/cp-{id}/index.html")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "<p>tree map</p>");
    let b = app.browser_for("bob").await;
    assert_eq!(
        page(&b, &app, &format!("/s/cp-{id}/index.html")).await.0,
        200
    );
    // Using the service keeps no portal session alive: a page left open that keeps asking must
    // not hold a session open past its idle timeout. The stored expiry stays where sign-in put
    // it, and the portal's cookie is not sent again.
    let expiry = || async {
        sqlx::query_scalar::<_, i64>("SELECT expires_at FROM sessions WHERE user_id = $1")
            .bind(bob)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    let before = expiry().await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = b
        .get(app_url(&app, id, "/index.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().get("set-cookie").is_none(), "{:?}", r.headers());
    assert_eq!(
        expiry().await,
        before,
        "proxied use moved the session's expiry"
    );
    // The app host applies the session's rules itself: a sign-in past the absolute limit is
    // nobody, sent back to the portal (which asks them to sign in).
    let data: String = sqlx::query_scalar("SELECT data FROM sessions WHERE user_id = $1")
        .bind(bob)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&data).unwrap();
    v["signed_in_at"] = serde_json::json!(campus_core::clock::now() - 13 * 3600);
    sqlx::query("UPDATE sessions SET data = $1 WHERE user_id = $2")
        .bind(v.to_string())
        .bind(bob)
        .execute(&app.db.pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = b
        .get(app_url(&app, id, "/index.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        303,
        "the aged session is sent back to the portal"
    );
    assert_eq!(location(&r), app.url(&format!("/s/cp-{id}/index.html")));
    let b = app.browser_for("bob").await;
    // Someone outside the project is refused by the portal; a visitor is sent to sign in.
    let c = app.browser_for("carol").await;
    let (status, body) = page(&c, &app, &format!("/s/cp-{id}/index.html")).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("only members of its project can open it"),
        "{body}"
    );
    let anon = crate::support::client();
    let r = anon
        .get(app.url(&format!("/s/cp-{id}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(location(&r).starts_with("/sign-in?next="));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'proxy.deny'"
        )
        .await,
        3
    );

    // Stop: the process ends and the proxy explains instead of failing at the gateway.
    let pid: i32 = std::fs::read_to_string(dir.join("run/pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pid_alive(pid));
    let r = post(&a, &app, &format!("/requests/{id}/actions/stop"), &[]).await;
    assert_eq!(location(&r), format!("/requests/{id}"));
    app.wait_for_state(id, "stopped", 20).await;
    assert!(!pid_alive(pid), "the process is gone after stop");
    let (status, body) = page(&a, &app, &format!("/s/cp-{id}/")).await;
    assert_eq!(status, 409);
    assert!(body.contains("It is stopped"), "{body}");

    // Bob is a member but neither the requester nor the lead: he cannot change it.
    let r = post(&b, &app, &format!("/requests/{id}/actions/start"), &[]).await;
    assert_eq!(r.status().as_u16(), 403);

    // Extend within policy moves the end date on by the offering's extension.
    post(&a, &app, &format!("/requests/{id}/actions/extend"), &[]).await;
    let end: String = sqlx::query_scalar("SELECT end_date FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(end, "2030-09-28");

    // Start again, then remove: process and directory are gone, the history says so.
    post(&a, &app, &format!("/requests/{id}/actions/start"), &[]).await;
    app.wait_for_state(id, "active", 20).await;
    assert_eq!(
        page(&a, &app, &format!("/s/cp-{id}/index.html")).await.0,
        200
    );
    let pid2: i32 = std::fs::read_to_string(dir.join("run/pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    post(
        &a,
        &app,
        &format!("/requests/{id}/actions/decommission"),
        &[],
    )
    .await;
    app.wait_for_state(id, "decommissioned", 20).await;
    assert!(!pid_alive(pid2));
    assert!(!dir.exists(), "the working directory is removed");
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    for step in [
        "Approved automatically",
        "Being set up",
        "Running",
        "Stopped",
        "Removed",
    ] {
        assert!(body.contains(step), "the history shows {step}");
    }
    assert!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('request.submit', 'request.auto_approve', 'resource.stop', 'resource.extend', 'resource.start', 'resource.decommission', 'provision.done', 'destroy.done')").await >= 8);
}

async fn an_over_quota_request_waits_for_an_operator_who_is_not_the_requester(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app
        .create_user("alice", &[Role::Staff, Role::Operator])
        .await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Patents", alice, &[]).await;
    let storage = app.offering_id("dataset-storage").await;
    let a = app.browser_for("alice").await;
    // 2 TB is over the default 500 GB quota but fits the hardware.
    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{storage}:2tb")),
            ("end_date", "2030-01-31"),
            ("purpose", "Patent full texts"),
        ],
    )
    .await;
    let id = id_from(&location(&r));
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains("this would take the project&#x27;s storage (GB) to 2000 of 500")
            || body.contains("this would take the project's storage (GB) to 2000 of 500"),
        "{body}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM jobs").await,
        0,
        "nothing is provisioned before a decision"
    );

    // Alice is an operator too, but cannot approve her own request.
    let r = post(
        &a,
        &app,
        &format!("/requests/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(location(&r), format!("/requests/{id}"));
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains("you cannot decide your own request"),
        "{body}"
    );

    // Omar sees it waiting, cannot reject without a reason, then approves it.
    let o = app.browser_for("omar").await;
    let (_, body) = page(&o, &app, "/approvals").await;
    assert!(body.contains("Dataset storage (2tb)"));
    post(
        &o,
        &app,
        &format!("/requests/{id}/decision"),
        &[("decision", "reject"), ("reason", " ")],
    )
    .await;
    let (_, body) = page(&o, &app, &format!("/requests/{id}")).await;
    assert!(body.contains("Give a reason"), "{body}");
    post(
        &o,
        &app,
        &format!("/requests/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    app.wait_for_state(id, "active", 20).await;
    assert!(app.resource_dir.join(format!("cp-{id}/files")).is_dir());

    // What it holds is measured (the worker does so every minute) and shown on its page.
    let files = app.resource_dir.join(format!("cp-{id}/files"));
    std::fs::create_dir_all(files.join("raw")).unwrap();
    std::fs::write(files.join("raw/patents.csv"), vec![b'x'; 1_500_000]).unwrap();
    std::fs::write(files.join("README"), vec![b'x'; 20_000]).unwrap();
    let driver = server::provision::from_config(&app.config.provisioning, None).unwrap();
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
    assert!(body.contains("1.5 MB of 2000 GB"), "{body}");
    // Alice was told both times.
    let (_, body) = page(&a, &app, "/notifications").await;
    assert!(body.contains("Your request for Dataset storage was approved"));
    assert!(body.contains("Dataset storage is ready"));
}

async fn bad_requests_are_refused_field_by_field_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("dave", &[Role::Staff]).await;
    let project = app.project("Gardens", alice, &[]).await;
    let ws = app.offering_id("jupyterlab").await;
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let a = app.browser_for("alice").await;
    let path = format!("/projects/{project}/requests");
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("choice", "99999:small"),
                ("end_date", "2030-01-01"),
                ("purpose", "x"),
            ],
            "Choose something from the catalogue",
        ),
        (
            &[
                ("choice", &format!("{ws}:enormous")),
                ("end_date", "2030-01-01"),
                ("purpose", "x"),
            ],
            "Choose one of the sizes this offering comes in",
        ),
        (
            &[
                ("choice", &format!("{ws}:small")),
                ("end_date", "2001-01-01"),
                ("purpose", "x"),
            ],
            "End date must be today or in the future",
        ),
        (
            &[
                ("choice", &format!("{ws}:small")),
                ("end_date", "2031-01-01"),
                ("purpose", "x"),
            ],
            "End date must be on or before the project&#x27;s end date, 2030-12-31",
        ),
        // This machine alone has no GPU: refused with the numbers, not queued.
        (
            &[
                ("choice", &format!("{gpu}:one-gpu")),
                ("end_date", "2030-01-01"),
                ("purpose", "x"),
            ],
            "There is not enough room: ",
        ),
    ];
    for (form, message) in cases {
        let r = post(&a, &app, &path, form).await;
        assert_eq!(location(&r), format!("/projects/{project}/requests/new"));
        let (_, body) = page(&a, &app, &format!("/projects/{project}/requests/new")).await;
        assert!(
            body.contains(message) || body.contains(&message.replace("&#x27;", "'")),
            "expected {message:?} in the form page"
        );
    }
    let (_, body) = page(&a, &app, &format!("/projects/{project}/requests/new")).await;
    assert!(body.contains("This project&#x27;s quota") || body.contains("This project's quota"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM jobs").await, 0);
    // Someone outside the project cannot ask for anything for it.
    let d = app.browser_for("dave").await;
    let r = post(
        &d,
        &app,
        &path,
        &[
            ("choice", &format!("{ws}:small")),
            ("end_date", "2030-01-01"),
            ("purpose", "x"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 0);
}

async fn a_program_that_fails_leaves_a_reason_a_retry_and_nothing_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Failing", alice, &[]).await;
    let failing = crate::isolation::use_command(
        &app,
        "web-service",
        &[
            "sh",
            "-c",
            "echo cannot read config.toml >&2; exit 2",
            "{port}",
        ],
    )
    .await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, project, &format!("{failing}:small"), "private").await;
    app.wait_for_state(id, "failed", 30).await;
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(body.contains("It could not be set up"), "{body}");
    assert!(
        body.contains("exited with status 2: cannot read config.toml"),
        "the reason is the program's own last words: {body}"
    );
    assert!(body.contains("Try again"));
    assert!(
        !app.resource_dir.join(format!("cp-{id}")).exists(),
        "nothing is left behind"
    );
    let (_, ops) = page(&app.browser_for("alice").await, &app, "/operations").await;
    assert!(
        ops.contains("only operators"),
        "staff cannot see operations"
    );
}

/// An offering whose program is not installed shows as unavailable, with the reason, and
/// takes no requests: nobody asks for something that would only fail later.
async fn an_offering_whose_program_is_missing_is_unavailable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Missing", alice, &[]).await;
    let missing =
        crate::isolation::use_command(&app, "vscode", &["rserver", "--www-port={port}"]).await;
    let programs = server::provision::availability::programs(&app.config.provisioning.workloads);
    assert_eq!(
        server::provision::availability::check(&app.db, &programs)
            .await
            .unwrap(),
        1
    );
    let a = app.browser_for("alice").await;
    let (_, form) = page(&a, &app, &format!("/projects/{project}/requests/new")).await;
    assert!(
        form.contains("Unavailable here: </strong>rserver is not installed on this machine"),
        "{form}"
    );
    assert!(
        !form.contains(&format!("value=\"{missing}:small\"")),
        "it cannot be chosen"
    );
    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{missing}:small")),
            ("end_date", "2030-01-01"),
            ("purpose", "Code"),
        ],
    )
    .await;
    assert!(location(&r).contains("/requests/new"), "{}", location(&r));
    let (_, body) = page(&a, &app, &location(&r)).await;
    assert!(
        body.contains("VS Code workspace cannot be started here now: rserver is not installed"),
        "{body}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 0);
}

async fn a_program_killed_while_starting_is_started_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Killed", alice, &[]).await;
    // The first run is killed by a signal, as the out-of-memory killer would; the second serves.
    let service = crate::isolation::use_command(
        &app,
        "web-service",
        &[
            "sh",
            "-c",
            "if [ -e once ]; then exec python3 -m http.server \"$0\" --bind 127.0.0.1; \
             else touch once; kill -9 $$; fi",
            "{port}",
        ],
    )
    .await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, project, &format!("{service}:small"), "private").await;
    app.wait_for_state(id, "active", 30).await;
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT last_error FROM jobs WHERE resource_id = $1 AND kind = 'provision'",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(
        reasons.iter().any(|r| r.contains("was ended by signal 9")),
        "the killed attempt is recorded with how it ended: {reasons:?}"
    );
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(body.contains("Ready"), "{body}");
}

both_backends!(
    an_offering_whose_program_is_missing_is_unavailable,
    a_program_killed_while_starting_is_started_again,
    a_web_service_within_quota_is_approved_runs_is_proxied_stopped_extended_and_removed,
    an_over_quota_request_waits_for_an_operator_who_is_not_the_requester,
    bad_requests_are_refused_field_by_field_and_change_nothing,
    a_program_that_fails_leaves_a_reason_a_retry_and_nothing_behind,
);

/// JupyterLab itself (installed by scripts/setup into the tools directory): it starts, answers
/// through the proxy at its base URL, and its WebSocket handshake passes through.
async fn a_jupyterlab_workspace_answers_through_the_proxy_with_websockets(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Notebooks", alice, &[]).await;
    let lab = app.offering_id("jupyterlab").await;
    let a = app.browser_for("alice").await;
    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{lab}:small")),
            ("end_date", "2030-01-01"),
            ("purpose", "Notebooks"),
        ],
    )
    .await;
    let id = id_from(&location(&r));
    app.wait_for_state(id, "active", 60).await;
    let (status, body) = page(&a, &app, &format!("/w/cp-{id}/lab")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>JupyterLab</title>"),
        "{}",
        &body[..body.len().min(500)]
    );
    let (status, body) = page(&a, &app, &format!("/w/cp-{id}/api/status")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"started\""));

    let cookie = crate::support::pass_cookie_of(&app, "alice", "/w/", id).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let host = crate::support::app_authority(&app, id);
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET /api/events/subscribe HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: {cookie}\r\n\r\n"
    );
    s.write_all(handshake.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );

    post(
        &a,
        &app,
        &format!("/requests/{id}/actions/decommission"),
        &[],
    )
    .await;
    app.wait_for_state(id, "decommissioned", 30).await;
}

both_backends!(a_jupyterlab_workspace_answers_through_the_proxy_with_websockets);

async fn the_sweep_reminds_once_a_day_expires_at_the_end_date_and_removes_after_the_grace(
    backend: Backend,
) {
    use campus_core::services::lifecycle::sweep;
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Ending", alice, &[]).await;
    let storage = app.offering_id("dataset-storage").await;
    let a = app.browser_for("alice").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = post(
            &a,
            &app,
            &format!("/projects/{project}/requests"),
            &[
                ("choice", &format!("{storage}:100gb")),
                ("end_date", "2030-01-31"),
                ("purpose", "Data"),
            ],
        )
        .await;
        let id = id_from(&location(&r));
        app.wait_for_state(id, "active", 20).await;
        ids.push(id);
    }
    let today = time::macros::date!(2030 - 01 - 24);
    let now = campus_core::clock::now();
    // Both end in 7 days: one digest naming both, and only one however often the sweep runs.
    let s = sweep(&app.db, today, now).await.unwrap();
    assert_eq!(s.digests, 1);
    assert_eq!(sweep(&app.db, today, now).await.unwrap().digests, 0);
    let (_, body) = page(&a, &app, "/notifications").await;
    assert!(body.contains("2 of your resources end soon"), "{body}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notifications WHERE subject LIKE '%end soon'"
        )
        .await,
        1
    );

    // After the end date: stopped and marked expired, data kept.
    let s = sweep(&app.db, time::macros::date!(2030 - 02 - 01), now)
        .await
        .unwrap();
    assert_eq!(s.expired, 2);
    for id in &ids {
        app.wait_for_state(*id, "expiring", 20).await;
        assert!(
            app.resource_dir.join(format!("cp-{id}/files")).is_dir(),
            "data is kept during the grace period"
        );
    }
    // Extending one brings it back; the other is removed once the grace period is over.
    post(
        &a,
        &app,
        &format!("/requests/{}/actions/extend", ids[0]),
        &[],
    )
    .await;
    app.wait_for_state(ids[0], "stopped", 5).await;
    let s = sweep(&app.db, time::macros::date!(2030 - 02 - 07), now)
        .await
        .unwrap();
    assert_eq!(
        s.removed, 0,
        "seven days of grace are not over on the seventh day"
    );
    let s = sweep(&app.db, time::macros::date!(2030 - 02 - 08), now)
        .await
        .unwrap();
    assert_eq!(s.removed, 1);
    app.wait_for_state(ids[1], "decommissioned", 20).await;
    assert!(
        !app.resource_dir.join(format!("cp-{}", ids[1])).exists(),
        "its data is deleted"
    );
    assert!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'lifecycle.destroy'"
        )
        .await
            == 1
    );
}

both_backends!(the_sweep_reminds_once_a_day_expires_at_the_end_date_and_removes_after_the_grace);
