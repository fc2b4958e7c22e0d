//! Training sessions: booking with a capacity check, attendees by email and by enrolment, one
//! sandbox each from the queue, and removal after the end. Sandboxes are real processes of the
//! local driver (the published web service offering, which starts in a second).

use crate::both_backends;
use crate::support::*;
use campus_core::domain::Role;
use campus_core::services::training_sessions::sweep;

fn minute(secs: i64) -> String {
    campus_core::clock::format_utc(secs).replace(' ', "T")[..16].to_owned()
}

async fn a_trainer_books_a_session_whose_sandboxes_come_and_go(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("tess", &[Role::Staff]).await;
    app.create_user("sam", &[Role::Staff]).await;
    for who in ["ann", "bob", "cat", "dan"] {
        app.create_user(who, &[Role::Partner]).await;
    }
    let tess = app.browser_for("tess").await;
    let sam = app.browser_for("sam").await;
    post(
        &tess,
        &app,
        "/training",
        &[
            ("title", "Python basics"),
            ("topic", "Python"),
            ("summary", "Pandas."),
            ("audience", "public"),
        ],
    )
    .await;
    let offering = app.offering_id("web-service").await;
    let sandbox = format!("{offering}:small");
    let now = campus_core::clock::now();
    let (starts, ends) = (minute(now), minute(now + 3600));
    let book = |seats: &'static str| {
        vec![
            ("starts", starts.clone()),
            ("ends", ends.clone()),
            ("seats", seats.to_owned()),
            ("sandbox", sandbox.clone()),
            ("lead_minutes", "60".to_owned()),
            ("grace_minutes", "0".to_owned()),
        ]
    };
    let form = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, x)| (*k, x.clone())).collect::<Vec<_>>()
    };

    // Only the course's owner books; a session that would not fit is refused with the numbers.
    let r = sam
        .post(app.url("/training/python-basics/sessions"))
        .form(&form(&book("3")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = tess
        .post(app.url("/training/python-basics/sessions"))
        .form(&form(&book("200")))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/training/python-basics/manage");
    let (_, manage) = page(&tess, &app, "/training/python-basics/manage").await;
    assert!(
        manage.contains("There is not enough room for 200 sandboxes"),
        "{manage}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM training_sessions").await,
        0
    );
    let r = tess
        .post(app.url("/training/python-basics/sessions"))
        .form(&[("starts", "soon"), ("seats", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/training/python-basics/manage");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM training_sessions").await,
        0
    );

    app.add_big_host().await;
    let r = tess
        .post(app.url("/training/python-basics/sessions"))
        .form(&form(&book("3")))
        .send()
        .await
        .unwrap();
    let session_path = location(&r);
    assert!(
        session_path.starts_with("/training/sessions/"),
        "{session_path}"
    );
    let id = id_from(&session_path);

    // The session's project says what it is for, in the trainer's list and on its own page.
    let link = format!("<a href=\"{session_path}\">a training session</a>");
    let (_, projects) = page(&tess, &app, "/projects").await;
    assert!(projects.contains(&link), "{projects}");
    assert!(
        projects.contains(&format!("Training: Python basics, session {id} (")),
        "{projects}"
    );
    let project = count(
        &app,
        &format!("SELECT project_id FROM training_sessions WHERE id = {id}"),
    )
    .await;
    let (_, project_page) = page(&tess, &app, &format!("/projects/{project}")).await;
    assert!(
        project_page.contains(&format!(
            "<a href=\"{session_path}\">A training session</a>"
        )),
        "{project_page}"
    );
    let token = token_for(&app, "tess").await;
    let (_, from_api) = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/projects/{project}"),
        &token,
        None,
    )
    .await;
    assert_eq!(from_api["training_session_id"], id, "{from_api}");

    // Attendees by email: an unknown address adds nobody; more than the seats adds nobody.
    let add = format!("{session_path}/attendees");
    post(
        &tess,
        &app,
        &add,
        &[("attendees", "ann@example.org, nobody@example.org")],
    )
    .await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM session_attendees").await,
        0
    );
    let (_, p) = page(&tess, &app, &session_path).await;
    assert!(
        p.contains("No Campus Portal account has nobody@example.org"),
        "{p}"
    );
    post(
        &tess,
        &app,
        &add,
        &[(
            "attendees",
            "ann@example.org\nbob@example.org\ncat@example.org\ndan@example.org",
        )],
    )
    .await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM session_attendees").await,
        0
    );
    let (_, p) = page(&tess, &app, &session_path).await;
    assert!(
        p.contains("The session has 3 seats and 0 are taken: 4 more cannot join"),
        "{p}"
    );
    post(
        &tess,
        &app,
        &add,
        &[("attendees", "ann@example.org\nBOB@example.org")],
    )
    .await;
    let dan = app.browser_for("dan").await;
    let cat = app.browser_for("cat").await;
    // Partners take a seat themselves only where the course lets them; it does not at first.
    let (_, p) = page(&cat, &app, &session_path).await;
    assert!(
        p.contains("the trainer adds partners to each session"),
        "{p}"
    );
    assert!(!p.contains("Take a seat"), "{p}");
    let r = post(&cat, &app, &format!("{session_path}/enrol"), &[]).await;
    assert_eq!(r.status().as_u16(), 403);
    let r = post(
        &sam,
        &app,
        "/training/python-basics/enrolment",
        &[("partners_enrol", "yes")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403, "only the course's owner decides");
    let r = post(
        &tess,
        &app,
        "/training/python-basics/enrolment",
        &[("partners_enrol", "yes")],
    )
    .await;
    assert_eq!(location(&r), "/training/python-basics/manage");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'course.partners_enrol'"
        )
        .await,
        1
    );
    let (_, p) = page(&cat, &app, &session_path).await;
    assert!(p.contains("Take a seat"), "{p}");
    let r = post(&cat, &app, &format!("{session_path}/enrol"), &[]).await;
    assert_eq!(location(&r), session_path);
    let r = post(&dan, &app, &format!("{session_path}/enrol"), &[]).await;
    assert_eq!(location(&r), session_path);
    let (_, p) = page(&dan, &app, &session_path).await;
    assert!(
        p.contains("3 seats and 3 are taken"),
        "the fourth is refused: {p}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM session_attendees").await,
        3
    );
    let (_, p) = page(&cat, &app, &session_path).await;
    assert!(
        !p.contains("ann@example.org"),
        "attendees do not see the roster"
    );

    // From the lead time: one sandbox each, through the queue.
    // (The worker's own sweep may have got there first; between them, each attendee has one.)
    sweep(&app.db, campus_core::clock::now()).await.unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM session_attendees WHERE resource_id IS NOT NULL"
        )
        .await,
        3
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resources").await, 3);
    assert_eq!(
        sweep(&app.db, campus_core::clock::now())
            .await
            .unwrap()
            .made,
        0,
        "never twice"
    );
    let sandboxes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.username, a.resource_id FROM session_attendees a JOIN users u ON u.id = a.user_id ORDER BY u.username",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    for (_, rid) in &sandboxes {
        app.wait_for_state(*rid, "active", 60).await;
    }
    let (_, roster) = page(&tess, &app, &session_path).await;
    assert_eq!(roster.matches(">Ready<").count(), 3, "{roster}");
    let ann = app.browser_for("ann").await;
    let (_, mine) = page(&ann, &app, &session_path).await;
    let own = format!("/s/cp-{}/", sandboxes[0].1);
    assert!(
        mine.contains(&own) && mine.contains("Open your sandbox"),
        "{mine}"
    );
    assert_eq!(
        page(&ann, &app, &own).await.0,
        200,
        "the attendee opens their own sandbox"
    );
    let theirs = format!("/s/cp-{}/", sandboxes[1].1);
    assert_eq!(page(&ann, &app, &theirs).await.0, 403, "and nobody else's");

    // After the end (no grace here) every sandbox is removed, and that is audited.
    let session = campus_core::store::training_sessions::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    let over = sweep(&app.db, session.ends_at + 1).await.unwrap();
    assert_eq!((over.removed, over.sessions_ended), (3, 1));
    for (_, rid) in &sandboxes {
        app.wait_for_state(*rid, "decommissioned", 60).await;
    }
    assert_eq!(
        sweep(&app.db, session.ends_at + 60).await.unwrap(),
        Default::default()
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'training.teardown'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'training.book'"
        )
        .await,
        1
    );
    let r = ann.get(app.url(&own)).send().await.unwrap();
    assert_ne!(r.status().as_u16(), 200);
}

both_backends!(a_trainer_books_a_session_whose_sandboxes_come_and_go);
