//! Output checks (issue 16) through the core service on both databases: what a project sends,
//! who may decide, the two-checker rule over one snapshot, and what becomes public.

use crate::both_backends;
use crate::support::*;
use campus_core::authz::Actor;
use campus_core::domain::Role;
use campus_core::output_checks::checklist::{Answer, Output, OutputKind};
use campus_core::output_checks::review::{State, Verdict};
use campus_core::output_checks::snapshot::Entry;
use campus_core::services::output_checks::{self as checks, Submission};
use campus_core::CoreError;
use std::collections::BTreeMap;

const LIMIT: u64 = 1_000_000;

async fn actor(app: &TestApp, id: i64) -> Actor {
    campus_core::services::accounts::actor(&app.db, id)
        .await
        .unwrap()
        .unwrap()
}

fn table(answers: &[(&str, Answer)]) -> Output {
    Output {
        name: "tables/by_region.csv".into(),
        kind: OutputKind::Table,
        shows: "Households by region, 2025".into(),
        answers: answers
            .iter()
            .map(|(k, a)| ((*k).to_owned(), a.clone()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn complete() -> Output {
    checked_output()
}

fn files(content: &str) -> Vec<Entry> {
    use sha2::Digest;
    vec![Entry {
        path: "index.html".into(),
        size: content.len() as u64,
        sha256: hex::encode(sha2::Sha256::digest(content.as_bytes())),
    }]
}

fn submission(outputs: Vec<Output>, content: &str) -> Submission {
    Submission {
        outputs,
        files: files(content),
        limit: LIMIT,
    }
}

fn field(e: CoreError, name: &str) -> String {
    match e {
        CoreError::Invalid(f) => f
            .get(name)
            .unwrap_or_else(|| panic!("no message for {name}: {f:?}"))
            .to_owned(),
        other => panic!("expected a message for {name}, got {other:?}"),
    }
}

fn denied(e: CoreError) -> String {
    match e {
        CoreError::Denied(d) => d.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn visibility(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT visibility FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn two_checkers_from_outside_release_exactly_the_snapshot_they_approved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    let cora = app.create_user("cora", &[Role::OutputChecker]).await;
    let colin = app.create_user("colin", &[Role::OutputChecker]).await;
    // A checker who is also on the project.
    let dina = app
        .create_user("dina", &[Role::Staff, Role::OutputChecker])
        .await;
    let omar = app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Trees", alice, &[bob, dina]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;
    let service = request(&app, &a, project, &format!("{offering}:small"), "project").await;
    let (alice_a, bob_a, cora_a, colin_a, dina_a, omar_a) = (
        actor(&app, alice).await,
        actor(&app, bob).await,
        actor(&app, cora).await,
        actor(&app, colin).await,
        actor(&app, dina).await,
        actor(&app, omar).await,
    );
    let none = || async { count(&app, "SELECT COUNT(*) FROM output_checks").await };

    // Bad submissions are refused by field, and nothing is stored.
    let gap = table(&[("no_record_level", Answer::Yes)]);
    let e = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![gap], "v1"),
    )
    .await
    .unwrap_err();
    assert!(field(e, "outputs.0.min_cell_count").starts_with("Answer "));
    let e = checks::submit(&app.db, Some(&alice_a), service, &submission(vec![], "v1"))
        .await
        .unwrap_err();
    assert!(field(e, "outputs").contains("at least one output"));
    let mut big = submission(vec![complete()], "v1");
    big.limit = 1;
    let e = checks::submit(&app.db, Some(&alice_a), service, &big)
        .await
        .unwrap_err();
    assert!(field(e, "snapshot").contains("over the limit"));
    // A member who neither asked for the service nor leads the project cannot send it.
    let e = checks::submit(
        &app.db,
        Some(&bob_a),
        service,
        &submission(vec![complete()], "v1"),
    )
    .await
    .unwrap_err();
    assert!(denied(e).contains("project lead"));
    assert_eq!(none().await, 0);

    let id = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v1"),
    )
    .await
    .unwrap();
    let e = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v1"),
    )
    .await
    .unwrap_err();
    assert!(field(e, "resource").contains("already has an output check"));
    assert_eq!(none().await, 1);

    // Checkers who may decide are told, and reminded the day before and once overdue; the
    // checker on the project is never told, and reminders are not sent twice.
    let told = |who: i64| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND link = $2",
            )
            .bind(who)
            .bind(format!("/output-checks/{id}"))
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        (told(cora).await, told(colin).await, told(dina).await),
        (1, 1, 0)
    );
    let due: i64 = sqlx::query_scalar("SELECT due_at FROM output_checks WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let remind = |now| checks::remind_deadlines(&app.db, now);
    assert_eq!(remind(due - 2 * 86_400).await.unwrap(), 0);
    assert_eq!(remind(due - 3_600).await.unwrap(), 2);
    assert_eq!(remind(due - 60).await.unwrap(), 0);
    assert_eq!(remind(due + 60).await.unwrap(), 2);
    assert_eq!(remind(due + 86_400).await.unwrap(), 0);
    assert_eq!(
        (told(cora).await, told(colin).await, told(dina).await),
        (3, 3, 0)
    );

    // Only checkers decide, and only from outside the project; the queue is theirs.
    let e = checks::decide(&app.db, Some(&dina_a), id, &Verdict::Approve)
        .await
        .unwrap_err();
    assert!(denied(e).contains("you are on this project"));
    let e = checks::decide(&app.db, Some(&omar_a), id, &Verdict::Approve)
        .await
        .unwrap_err();
    assert!(denied(e).contains("only output checkers"));
    assert!(checks::queue(&app.db, Some(&omar_a)).await.is_err());
    let queue = checks::queue(&app.db, Some(&cora_a)).await.unwrap();
    assert_eq!(queue.iter().map(|c| c.id).collect::<Vec<_>>(), [id]);
    // A checker's token decides only with the check scope.
    let mut cora_write = cora_a.clone();
    cora_write.roles =
        campus_core::token_scope::Scopes::new([campus_core::token_scope::Scope::Write])
            .roles_of(&cora_a.roles);
    cora_write.token = Some(campus_core::token_scope::Scopes::new([
        campus_core::token_scope::Scope::Write,
    ]));
    assert!(
        checks::decide(&app.db, Some(&cora_write), id, &Verdict::Approve)
            .await
            .is_err()
    );

    // One approval is not enough, and the same checker cannot give the second.
    assert_eq!(
        checks::decide(&app.db, Some(&cora_a), id, &Verdict::Approve)
            .await
            .unwrap(),
        State::Submitted
    );
    let e = checks::decide(&app.db, Some(&cora_a), id, &Verdict::Approve)
        .await
        .unwrap_err();
    assert!(field(e, "decision").contains("already approved"));
    assert_eq!(visibility(&app, service).await, "project");

    // Changes asked for must name an output that exists; then the round ends.
    let e = checks::decide(
        &app.db,
        Some(&colin_a),
        id,
        &Verdict::RequestChanges {
            comments: vec![(4, "Round to 5".into())],
        },
    )
    .await
    .unwrap_err();
    assert!(field(e, "comments").contains("Output 5 is not"));
    assert_eq!(
        checks::decide(
            &app.db,
            Some(&colin_a),
            id,
            &Verdict::RequestChanges {
                comments: vec![(0, "Round counts to the nearest 5".into())],
            },
        )
        .await
        .unwrap(),
        State::ChangesRequested
    );
    let e = checks::decide(&app.db, Some(&cora_a), id, &Verdict::Approve)
        .await
        .unwrap_err();
    assert!(field(e, "decision").contains("not waiting"));
    assert_eq!(visibility(&app, service).await, "project");

    // A new snapshot starts a new round: the first round's approval does not count for it.
    let again = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v2"),
    )
    .await
    .unwrap();
    assert_eq!(again, id);
    assert_eq!(
        checks::decide(&app.db, Some(&cora_a), id, &Verdict::Approve)
            .await
            .unwrap(),
        State::Submitted
    );
    assert_eq!(visibility(&app, service).await, "project");
    assert_eq!(
        checks::decide(&app.db, Some(&colin_a), id, &Verdict::Approve)
            .await
            .unwrap(),
        State::Approved
    );
    assert_eq!(visibility(&app, service).await, "public");

    let d = checks::detail(&app.db, Some(&bob_a), id).await.unwrap();
    assert_eq!(d.check.round, 2);
    assert_eq!(d.rounds.len(), 2);
    assert_eq!(d.files, files("v2"));
    assert_ne!(d.rounds[0].digest, d.rounds[1].digest);
    let verdicts: Vec<(i64, String)> = d
        .decisions
        .iter()
        .map(|x| (x.round, x.verdict.clone()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (1, "approve".to_owned()),
            (1, "request_changes".to_owned()),
            (2, "approve".to_owned()),
            (2, "approve".to_owned()),
        ]
    );
    assert_eq!(
        d.decisions[1].comments,
        [(0, "Round counts to the nearest 5".to_owned())]
    );
    // Someone from another project cannot read it; every step is in the audit trail.
    let eve = app.create_user("eve", &[Role::Staff]).await;
    let eve_a = actor(&app, eve).await;
    assert!(checks::detail(&app.db, Some(&eve_a), id).await.is_err());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE object_type = 'output_check'"
        )
        .await,
        6
    );
    // An approved check cannot be withdrawn or asked for again.
    assert!(checks::withdraw(&app.db, Some(&alice_a), id).await.is_err());
    assert!(checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v3")
    )
    .await
    .is_err());
}

async fn a_rejection_is_final_and_a_withdrawn_check_can_be_asked_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let cora = app.create_user("cora", &[Role::OutputChecker]).await;
    let project = app.project("Trees", alice, &[]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;
    let service = request(&app, &a, project, &format!("{offering}:small"), "project").await;
    let (alice_a, cora_a) = (actor(&app, alice).await, actor(&app, cora).await);

    let first = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v1"),
    )
    .await
    .unwrap();
    checks::withdraw(&app.db, Some(&alice_a), first)
        .await
        .unwrap();
    assert!(checks::queue(&app.db, Some(&cora_a))
        .await
        .unwrap()
        .is_empty());
    let second = checks::submit(
        &app.db,
        Some(&alice_a),
        service,
        &submission(vec![complete()], "v1"),
    )
    .await
    .unwrap();
    assert_ne!(first, second);
    let e = checks::decide(
        &app.db,
        Some(&cora_a),
        second,
        &Verdict::Reject { reason: " ".into() },
    )
    .await
    .unwrap_err();
    assert!(field(e, "reason").contains("reason"));
    assert_eq!(
        checks::decide(
            &app.db,
            Some(&cora_a),
            second,
            &Verdict::Reject {
                reason: "Record-level data in the download".into()
            },
        )
        .await
        .unwrap(),
        State::Rejected
    );
    let d = checks::detail(&app.db, Some(&alice_a), second)
        .await
        .unwrap();
    assert_eq!(d.check.reason, "Record-level data in the download");
    assert_eq!(visibility(&app, service).await, "project");
    assert!(checks::withdraw(&app.db, Some(&alice_a), second)
        .await
        .is_err());
}

async fn nobody_publishes_by_asking_and_the_api_releases_the_frozen_files(backend: Backend) {
    use reqwest::Method;
    use serde_json::json;
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("cora", &[Role::OutputChecker]).await;
    app.create_user("colin", &[Role::OutputChecker]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Trees", alice, &[]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;
    let alice_t = token_for(&app, "alice").await;

    // Asking for a public web service was how anyone published unchecked: it is refused on the
    // form and in the API, and nothing is made.
    let form = format!("/projects/{project}/requests");
    let r = post(
        &a,
        &app,
        &form,
        &[
            ("choice", &format!("{offering}:small")),
            ("end_date", "2030-06-30"),
            ("purpose", "Share the tree map"),
            ("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("{form}/new"));
    let (_, back) = page(&a, &app, &format!("{form}/new")).await;
    assert!(
        back.contains("Choose who may open it from the options given"),
        "{back}"
    );
    assert!(!back.contains("Anyone, without signing in"), "{back}");
    let (status, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        &alice_t,
        Some(
            json!({"offering_id": offering, "size": "small", "end_date": "2030-06-30",
            "purpose": "Share the tree map", "visibility": "public"}),
        ),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["visibility"].is_string(), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 0);

    let id = request(&app, &a, project, &format!("{offering}:small"), "project").await;
    app.wait_for_state(id, "active", 60).await;
    let files = app.resource_dir.join(format!("cp-{id}/files"));
    let ask = |outputs: serde_json::Value| {
        let t = alice_t.clone();
        let app = &app;
        async move {
            api(
                app,
                Method::POST,
                &format!("/api/v1/requests/{id}/output-checks"),
                &t,
                Some(json!({ "outputs": outputs })),
            )
            .await
        }
    };
    let output = json!([{"name": "index.html", "kind": "document", "shows": "The tree map",
        "answers": {"no_record_level": {"answer": "yes"},
                    "differencing": {"answer": "no", "why": "Only our own figures"}}}]);
    let (status, body) = ask(json!([{"name": "x", "kind": "poster", "shows": "x"}])).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["outputs.0.kind"].is_string(),
        "{body}"
    );
    // A link in the service's files would have the portal copy what it points at.
    std::os::unix::fs::symlink("/etc/passwd", files.join("passwd")).unwrap();
    let (status, body) = ask(output.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["snapshot"]
            .as_str()
            .unwrap()
            .contains("“passwd” is a link"),
        "{body}"
    );
    std::fs::remove_file(files.join("passwd")).unwrap();
    let (status, body) = ask(output.clone()).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["snapshot"]
            .as_str()
            .unwrap()
            .contains("nothing to check"),
        "{body}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM output_checks").await, 0);

    std::fs::write(files.join("index.html"), "<p>tree map</p>").unwrap();
    let (status, body) = ask(output.clone()).await;
    assert_eq!(status, 201, "{body}");
    let check = body["id"].as_i64().unwrap();
    assert_eq!(body["files"][0]["path"], "index.html");
    assert_eq!(
        body["files"][0]["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"<p>tree map</p>"))
    );
    let digest = body["rounds"][0]["digest"].as_str().unwrap().to_owned();
    // The frozen copy is the portal's, and later edits do not reach it.
    std::fs::write(files.join("index.html"), "<p>edited</p>").unwrap();
    assert_eq!(
        std::fs::read_to_string(
            app.resource_dir
                .join(format!("cp-{id}/snapshots/{digest}/index.html"))
        )
        .unwrap(),
        "<p>tree map</p>"
    );

    // Before release, no one outside the project reaches it.
    let anonymous = client()
        .get(app_url(&app, id, "/index.html"))
        .send()
        .await
        .unwrap();
    assert_ne!(anonymous.status().as_u16(), 200);

    let omar_t = token_for(&app, "omar").await;
    let (status, _) = api(&app, Method::GET, "/api/v1/output-checks", &omar_t, None).await;
    assert_eq!(status, 403);
    let cora_write = token_with(&app, "cora", &["write".to_owned()]).await;
    let decide = format!("/api/v1/output-checks/{check}/decision");
    let (status, body) = api(
        &app,
        Method::POST,
        &decide,
        &cora_write,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(status, 403, "a token without the check scope: {body}");
    let cora_t = token_for(&app, "cora").await;
    let (status, body) = api(&app, Method::GET, "/api/v1/output-checks", &cora_t, None).await;
    assert_eq!((status, body[0]["id"].as_i64()), (200, Some(check)));
    let (status, body) = api(
        &app,
        Method::POST,
        &decide,
        &cora_t,
        Some(json!({"decision": "request_changes", "comments": [{"output": 0, "comment": "x"}]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api(
        &app,
        Method::POST,
        &decide,
        &cora_t,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!((status, body["state"].as_str()), (200, Some("submitted")));
    let colin_t = token_for(&app, "colin").await;
    let (status, body) = api(
        &app,
        Method::POST,
        &decide,
        &colin_t,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    let (_, listed) = api(
        &app,
        Method::GET,
        &format!("/api/v1/requests/{id}/output-checks"),
        &alice_t,
        None,
    )
    .await;
    assert_eq!(listed[0]["state"], "approved");
    // Public now, with no sign-in on its host, and restarted from the snapshot: it serves what
    // was checked, not the edit made since, and cannot change it.
    app.wait_for_jobs(id, 60).await;
    let r = client()
        .get(app_url(&app, id, "/index.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "<p>tree map</p>");
    let (_, notes) = api(&app, Method::GET, "/api/v1/notifications", &alice_t, None).await;
    assert!(notes.to_string().contains("is public"), "{notes}");

    // The service cannot change what it serves; anything else that does (a hand on the server)
    // takes it back to the project at the next sweep, once.
    let watch = server::provision::releases::ReleaseWatch::new(
        &app.config.provisioning.resource_dir,
        app.config.provisioning.snapshot_max_bytes,
    );
    let seen = watch.sweep(&app.db).await.unwrap();
    assert_eq!((seen.verified, seen.lapsed), (1, 0));
    let released = app
        .resource_dir
        .join(format!("cp-{id}/snapshots/{digest}/index.html"));
    std::fs::set_permissions(
        &released,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    std::fs::write(&released, "<p>tree map, with a name in it</p>").unwrap();
    let seen = watch.sweep(&app.db).await.unwrap();
    assert_eq!((seen.verified, seen.lapsed), (0, 1));
    assert_eq!(watch.sweep(&app.db).await.unwrap().lapsed, 0);
    assert_eq!(visibility(&app, id).await, "project");
    let (_, record) = api(
        &app,
        Method::GET,
        &format!("/api/v1/output-checks/{check}"),
        &alice_t,
        None,
    )
    .await;
    assert_eq!(record["state"], "lapsed", "{record}");
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .contains("no longer hash to"),
        "{record}"
    );
    app.wait_for_jobs(id, 60).await;
    // Within the gateway's two seconds of remembered grants.
    let mut status = 200;
    for _ in 0..20 {
        let r = client()
            .get(app_url(&app, id, "/index.html"))
            .send()
            .await
            .unwrap();
        status = r.status().as_u16();
        if status != 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_ne!(status, 200, "no longer public");
    let (_, notes) = api(&app, Method::GET, "/api/v1/notifications", &alice_t, None).await;
    assert!(notes.to_string().contains("lapsed"), "{notes}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'output_check.lapse'"
        )
        .await,
        1
    );
}

async fn two_approvals_at_the_same_moment_both_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let cora = app.create_user("cora", &[Role::OutputChecker]).await;
    let colin = app.create_user("colin", &[Role::OutputChecker]).await;
    let project = app.project("Trees", alice, &[]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;
    let (alice_a, cora_a, colin_a) = (
        actor(&app, alice).await,
        actor(&app, cora).await,
        actor(&app, colin).await,
    );
    // Each counts the approvals before it: unless the two are taken in turn, each sees none
    // and the check waits for ever with two approvals.
    for round in 0..5 {
        let service = request(&app, &a, project, &format!("{offering}:small"), "project").await;
        let id = checks::submit(
            &app.db,
            Some(&alice_a),
            service,
            &submission(vec![complete()], &format!("v{round}")),
        )
        .await
        .unwrap();
        let (x, y) = tokio::join!(
            checks::decide(&app.db, Some(&cora_a), id, &Verdict::Approve),
            checks::decide(&app.db, Some(&colin_a), id, &Verdict::Approve),
        );
        let mut states = [x.unwrap(), y.unwrap()];
        states.sort_by_key(|s| s.as_str());
        assert_eq!(states, [State::Approved, State::Submitted], "round {round}");
        assert_eq!(visibility(&app, service).await, "public");
    }
}

/// The whole round through the pages, as with JavaScript off: plain forms and 303s.
async fn the_pages_ask_send_back_approve_and_show_the_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("cora", &[Role::OutputChecker]).await;
    app.create_user("colin", &[Role::OutputChecker]).await;
    let project = app.project("Trees", alice, &[bob]).await;
    let offering = app.offering_id("web-service").await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, project, &format!("{offering}:small"), "project").await;
    app.wait_for_state(id, "active", 60).await;
    std::fs::write(
        app.resource_dir.join(format!("cp-{id}/files/index.html")),
        "<p>households</p>",
    )
    .unwrap();

    let (_, service_page) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(service_page.contains("Public release"), "{service_page}");
    let ask_page = format!("/requests/{id}/output-check");
    assert!(service_page.contains(&ask_page), "{service_page}");
    let (status, form) = page(&a, &app, &ask_page).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("Output 1") && !form.contains("Output 2"),
        "{form}"
    );

    // "Add another output" keeps what was typed and adds fields; nothing is stored.
    let add = post(
        &a,
        &app,
        &format!("/requests/{id}/output-checks"),
        &[
            ("count", "1"),
            ("outputs.0.name", "index.html"),
            ("action", "add"),
        ],
    )
    .await;
    assert_eq!(location(&add), ask_page);
    let (_, form) = page(&a, &app, &ask_page).await;
    assert!(form.contains("Output 2"), "{form}");
    assert!(form.contains(r#"value="index.html""#), "{form}");

    // An incomplete answer goes back beside its field, and nothing is frozen or stored.
    let mut fields = vec![
        ("count", "2"),
        ("action", "submit"),
        ("outputs.0.name", "index.html"),
        ("outputs.0.kind", "table"),
        ("outputs.0.shows", "Households by region, 2025"),
        ("outputs.0.no_record_level", "yes"),
        ("outputs.0.min_cell_count", "yes"),
        ("outputs.0.dominance", "yes"),
        ("outputs.0.rounding", "no"),
        ("outputs.0.differencing", "not_applicable"),
        (
            "outputs.0.differencing.why",
            "Nothing else on these regions is published",
        ),
    ];
    let r = post(&a, &app, &format!("/requests/{id}/output-checks"), &fields).await;
    assert_eq!(location(&r), ask_page);
    let (_, form) = page(&a, &app, &ask_page).await;
    assert!(form.contains(r#"id="outputs.0.rounding-error""#), "{form}");
    assert!(form.contains("Say why, for"), "{form}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM output_checks").await, 0);
    assert!(!app.resource_dir.join(format!("cp-{id}/snapshots")).exists());

    fields.push((
        "outputs.0.rounding.why",
        "Counts are of regions, published unrounded before",
    ));
    let r = post(&a, &app, &format!("/requests/{id}/output-checks"), &fields).await;
    let to = location(&r);
    let check: i64 = to
        .strip_prefix("/output-checks/")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("sent to {to}"));
    let submitted =
        format!("SELECT COUNT(*) FROM output_checks WHERE id = {check} AND state = 'submitted'");
    assert_eq!(count(&app, &submitted).await, 1);
    let (_, record) = page(&a, &app, &to).await;
    assert!(record.contains("With output checkers"), "{record}");
    assert!(record.contains("index.html"), "{record}");
    assert!(!record.contains("Your decision"), "{record}");
    let (_, listed) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(
        listed.contains(&to),
        "the service's page links its check: {listed}"
    );

    // A project member who is no checker is refused on the server, whatever the page showed.
    let b = app.browser_for("bob").await;
    let r = post(
        &b,
        &app,
        &format!("{to}/decision"),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM output_check_decisions").await,
        0
    );

    let c = app.browser_for("cora").await;
    let (_, queue) = page(&c, &app, "/output-checks").await;
    assert!(queue.contains(&to), "{queue}");
    assert!(
        queue.contains(
            r#"<a href="/output-checks" aria-current="page" class="ons-navigation__link">"#
        ),
        "checkers find their queue in the menu: {queue}"
    );
    let (_, home) = page(&b, &app, "/").await;
    assert!(
        !home.contains(r#"href="/output-checks""#),
        "nor anyone else: {home}"
    );
    let (_, record) = page(&c, &app, &to).await;
    assert!(record.contains("Your decision"), "{record}");
    let r = post(
        &c,
        &app,
        &format!("{to}/decision"),
        &[("decision", "request_changes")],
    )
    .await;
    assert_eq!(location(&r), to);
    let (_, record) = page(&c, &app, &to).await;
    assert!(
        record.contains("add a comment to at least one output"),
        "{record}"
    );
    post(
        &c,
        &app,
        &format!("{to}/decision"),
        &[
            ("decision", "request_changes"),
            ("comment-1", "Round the counts to 5"),
        ],
    )
    .await;

    // The project sees the comment and sends a new snapshot from the last round's answers.
    let (_, form) = page(&a, &app, &ask_page).await;
    assert!(form.contains("Round the counts to 5"), "{form}");
    assert!(form.contains("Households by region, 2025"), "{form}");
    std::fs::write(
        app.resource_dir.join(format!("cp-{id}/files/index.html")),
        "<p>households, rounded</p>",
    )
    .unwrap();
    fields[0] = ("count", "1");
    let r = post(&a, &app, &format!("/requests/{id}/output-checks"), &fields).await;
    assert_eq!(location(&r), to);

    post(
        &c,
        &app,
        &format!("{to}/decision"),
        &[("decision", "approve")],
    )
    .await;
    let (_, record) = page(&c, &app, &to).await;
    assert!(
        record.contains("A second output checker must approve"),
        "{record}"
    );
    assert!(!record.contains("Your decision"), "{record}");
    let k = app.browser_for("colin").await;
    post(
        &k,
        &app,
        &format!("{to}/decision"),
        &[("decision", "approve")],
    )
    .await;
    let (_, record) = page(&a, &app, &to).await;
    assert!(record.contains("Approved for release"), "{record}");
    assert!(
        record.contains("Round the counts to 5"),
        "the record keeps every decision: {record}"
    );
    assert_eq!(visibility(&app, id).await, "public");
}

both_backends!(
    the_pages_ask_send_back_approve_and_show_the_record,
    two_approvals_at_the_same_moment_both_count,
    two_checkers_from_outside_release_exactly_the_snapshot_they_approved,
    a_rejection_is_final_and_a_withdrawn_check_can_be_asked_again,
    nobody_publishes_by_asking_and_the_api_releases_the_frozen_files,
);
