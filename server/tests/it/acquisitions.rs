//! Data acquisitions end to end through the form posts and pages: the task list with its gaps,
//! data control and the classification gate, ethics routing, changes with what changed, the
//! two-reviewer decision with re-authentication, and the public register.

use crate::both_backends;
use crate::support::*;
use campus_core::domain::Role;

const SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "purpose",
        &[
            ("title", "Local housing supply"),
            ("organisation", "Data Science Campus"),
            (
                "lay_summary",
                "How many homes are built in each area each year.",
            ),
            ("public_benefit", "Better planning of new homes."),
        ],
    ),
    (
        "safe-people",
        &[("researchers", "Two analysts, both accredited researchers.")],
    ),
    (
        "safe-projects",
        &[("project_justification", "Official statistics need it.")],
    ),
    (
        "safe-data",
        &[("disclosure_control", "Counts under ten are suppressed.")],
    ),
    ("safe-settings", &[("settings", "The Campus network only.")]),
    (
        "safe-outputs",
        &[("output_checks", "Two-person output checks.")],
    ),
    (
        "the-data",
        &[
            ("supplier", "Land Registry"),
            ("licence", "Open Government Licence"),
            ("format", "CSV"),
            ("volume", "2 GB"),
            ("refresh", "Monthly"),
            ("classification", "tier-1"),
            ("retention_date", "2029-03-31"),
            ("deletion_date", "2029-04-30"),
        ],
    ),
];

/// Every ethics item rated `risk`, with a justification.
fn ethics(risk: &str) -> Vec<(String, String)> {
    use campus_core::acquisitions::ethics::{item_field, Principle};
    Principle::ALL
        .iter()
        .flat_map(|p| {
            p.items().iter().flat_map(move |(item, _)| {
                [
                    (item_field(*p, item, "risk"), risk.to_owned()),
                    (
                        item_field(*p, item, "justification"),
                        "Considered with the team.".to_owned(),
                    ),
                ]
            })
        })
        .collect()
}

async fn state_of(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT state FROM acquisitions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Moves a person's sign-in `secs` into the past, as if they signed in that long ago.
async fn age_sign_in(app: &TestApp, user_id: i64, secs: i64) {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, data FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    for (id, data) in rows {
        let mut v: serde_json::Value = serde_json::from_str(&data).unwrap();
        v["signed_in_at"] = serde_json::json!(campus_core::clock::now() - secs);
        sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
            .bind(v.to_string())
            .bind(id)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
}

/// An application filled in and submitted by `who`, with every ethics item rated `risk`.
async fn submitted(app: &TestApp, who: &reqwest::Client, risk: &str) -> i64 {
    let r = post(
        who,
        app,
        "/acquisitions",
        &[("title", "Local housing supply")],
    )
    .await;
    let id = id_from(&location(&r));
    for (slug, fields) in SECTIONS {
        let r = post(
            who,
            app,
            &format!("/acquisitions/{id}/sections/{slug}"),
            fields,
        )
        .await;
        assert_eq!(location(&r), format!("/acquisitions/{id}"), "{slug}");
    }
    post(
        who,
        app,
        &format!("/acquisitions/{id}/sections/collaborators"),
        &[("collaborators", "")],
    )
    .await;
    let rated = ethics(risk);
    let fields: Vec<(&str, &str)> = rated
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post(who, app, &format!("/acquisitions/{id}/ethics"), &fields).await;
    post(who, app, &format!("/acquisitions/{id}/submit"), &[]).await;
    assert_eq!(state_of(app, id).await, "data_control");
    id
}

async fn an_application_goes_from_task_list_through_review_to_the_public_register(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    let bea = app.create_user("bea", &[Role::Staff, Role::Reviewer]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    let sam = app.create_user("sam", &[Role::Reviewer]).await;
    let a = app.browser_for("alice").await;

    // Started with a title only: submitting lists every gap, each linking to its field.
    let r = post(
        &a,
        &app,
        "/acquisitions",
        &[("title", "Local housing supply")],
    )
    .await;
    let id = id_from(&location(&r));
    let r = post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    assert_eq!(location(&r), format!("/acquisitions/{id}"));
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("There are"), "{body}");
    assert!(
        body.contains(&format!(
            "href=\"/acquisitions/{id}/sections/purpose#lay_summary\""
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("href=\"/acquisitions/{id}/ethics#")),
        "{body}"
    );
    assert_eq!(state_of(&app, id).await, "draft");
    assert!(body.contains("Not started"));

    // Saved as you go; bad answers are refused field by field and nothing is saved.
    let r = post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/the-data"),
        &[
            ("supplier", "Land Registry"),
            ("classification", "secret"),
            ("retention_date", "2029-02-30"),
        ],
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/acquisitions/{id}/sections/the-data")
    );
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}/sections/the-data")).await;
    assert!(
        body.contains("Choose one of the classifications listed"),
        "{body}"
    );
    assert!(body.contains("Keep until: enter a real date"), "{body}");
    let saved: String = sqlx::query_scalar("SELECT answers FROM acquisitions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!saved.contains("Land Registry"), "{saved}");
    let r = post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/collaborators"),
        &[("collaborators", "bea, nobody")],
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/acquisitions/{id}/sections/collaborators")
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM acquisition_collaborators").await,
        0
    );

    // A sensitive classification by the applicant is refused at submission with where to go.
    for (slug, fields) in SECTIONS {
        post(
            &a,
            &app,
            &format!("/acquisitions/{id}/sections/{slug}"),
            fields,
        )
        .await;
    }
    post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/collaborators"),
        &[("collaborators", "bea")],
    )
    .await;
    let rated = ethics("low");
    let fields: Vec<(&str, &str)> = rated
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post(&a, &app, &format!("/acquisitions/{id}/ethics"), &fields).await;
    let mut sensitive: Vec<(&str, &str)> = SECTIONS[6].1.to_vec();
    sensitive.retain(|f| f.0 != "classification");
    sensitive.push(("classification", "tier-3"));
    post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/the-data"),
        &sensitive,
    )
    .await;
    post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("secure corporate data service"), "{body}");
    assert_eq!(state_of(&app, id).await, "draft");
    post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/the-data"),
        SECTIONS[6].1,
    )
    .await;
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert_eq!(
        body.matches(">Completed<").count(),
        9,
        "every task is completed"
    );
    post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    assert_eq!(state_of(&app, id).await, "data_control");
    // Once submitted, the applicant can no longer change it.
    let r = post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/purpose"),
        SECTIONS[0].1,
    )
    .await;
    assert_eq!(location(&r), format!("/acquisitions/{id}/sections/purpose"));

    // Data control: the applicant cannot review; the reviewer's gaps are named; then it passes.
    let r = post(
        &a,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &[("classification", "tier-1")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let rita = app.browser_for("rita").await;
    let (_, body) = page(&rita, &app, "/acquisitions").await;
    assert!(body.contains("Waiting for review") && body.contains("Local housing supply"));
    post(&rita, &app, &format!("/acquisitions/{id}/assign"), &[]).await;
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &[("lawful_basis", "")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("Enter the lawful basis"), "{body}");
    assert!(
        body.contains("Choose your classification of the work"),
        "{body}"
    );
    assert_eq!(state_of(&app, id).await, "data_control");
    let gateway = [
        ("lawful_basis", "Public task"),
        (
            "legislation",
            "Statistics and Registration Service Act 2007",
        ),
        ("agreement_ref", "DSA-2026-114"),
    ];
    let mut differ = gateway.to_vec();
    differ.push(("classification", "tier-2"));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &differ,
    )
    .await;
    assert_eq!(
        state_of(&app, id).await,
        "data_control",
        "classifications must agree"
    );
    let mut agree = gateway.to_vec();
    agree.push(("classification", "tier-1"));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &agree,
    )
    .await;
    assert_eq!(state_of(&app, id).await, "ethics");

    // Ethics: everything low goes to the team, which asks for a change to one section.
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/changes"),
        &[("comment-safe-outputs", "")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("Write a comment on at least one section"),
        "{body}"
    );
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/changes"),
        &[("comment-safe-outputs", "Say who checks outputs.")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "changes_requested");
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("Say who checks outputs."), "{body}");
    post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/safe-outputs"),
        &[(
            "output_checks",
            "Two-person checks by the Campus output team.",
        )],
    )
    .await;
    post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    assert_eq!(state_of(&app, id).await, "data_control");
    // The resubmission shows what changed to the reviewer.
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("Changed since the previous submission"),
        "{body}"
    );
    assert!(body.contains("Two-person checks by the Campus output team."));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &agree,
    )
    .await;
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "clear"), ("note", "Proportionate.")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "final_decision");

    // Final decision: a collaborator may not decide, a stale sign-in may not, a rejection needs
    // a reason, the same reviewer cannot approve twice, and two distinct approvals approve.
    let b = app.browser_for("bea").await;
    let r = post(
        &b,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(r.status(), 403);
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "reject"), ("reason", " ")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("Give the reason for the rejection"), "{body}");
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[
            ("decision", "approve"),
            ("conditions", "Publish only counts of ten or more\n"),
        ],
    )
    .await;
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("You have already approved this application"),
        "{body}"
    );
    assert_eq!(state_of(&app, id).await, "final_decision");
    let s = app.browser_for("sam").await;
    age_sign_in(&app, sam, 16 * 60).await;
    post(
        &s,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    let (_, body) = page(&s, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("Sign in again to decide"), "{body}");
    assert_eq!(state_of(&app, id).await, "final_decision");
    age_sign_in(&app, sam, 60).await;
    post(
        &s,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[
            ("decision", "approve"),
            ("conditions", "Delete the raw files after linking"),
        ],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "approved");

    // The applicant sees the conditions; the collaborator and applicant were told.
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("Publish only counts of ten or more"),
        "{body}"
    );
    assert!(
        body.contains("Delete the raw files after linking"),
        "{body}"
    );
    let (_, body) = page(&b, &app, "/notifications").await;
    assert!(body.contains("Your application was approved"), "{body}");
    let _ = bea;

    // The register shows it to anyone, without an account.
    let (status, body) = page(&client(), &app, "/register").await;
    assert_eq!(status, 200);
    assert!(body.contains("Local housing supply"), "{body}");
    assert!(body.contains("Better planning of new homes."));
    assert!(body.contains("Public task under Statistics and Registration Service Act 2007"));
    assert!(body.contains("2029-04-30"));
    // Every step is in the audit trail.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('acquisition.submit', 'acquisition.data_control', 'acquisition.changes', 'acquisition.ethics_clear', 'acquisition.approve')").await,
        2 + 3 + 1 + 1 + 2
    );
}

async fn high_risk_goes_to_the_committee_and_sensitive_data_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    let a = app.browser_for("alice").await;
    let rita = app.browser_for("rita").await;
    let gateway = [
        ("lawful_basis", "Public task"),
        (
            "legislation",
            "Statistics and Registration Service Act 2007",
        ),
        ("agreement_ref", "DSA-1"),
    ];

    // One high-risk item: the team cannot clear it; it is referred with the meeting date.
    let id = submitted(&app, &a, "high").await;
    let mut agree = gateway.to_vec();
    agree.push(("classification", "tier-1"));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/data-control"),
        &agree,
    )
    .await;
    assert_eq!(state_of(&app, id).await, "ethics");
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "clear")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("refer the application to the national ethics committee"),
        "{body}"
    );
    assert_eq!(state_of(&app, id).await, "ethics");
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "refer"), ("meeting_date", "2020-01-01")],
    )
    .await;
    assert_eq!(
        state_of(&app, id).await,
        "ethics",
        "a past meeting is refused"
    );
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "refer"), ("meeting_date", "2099-01-14")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "referred");
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("Referred to the national ethics committee"),
        "{body}"
    );
    assert!(body.contains("2099-01-14"));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "clear"), ("note", "Committee content")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "final_decision");

    // Data control classifies a second application as sensitive: refused, with where to go.
    let id2 = submitted(&app, &a, "low").await;
    let mut sensitive = gateway.to_vec();
    sensitive.push(("classification", "official-sensitive"));
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id2}/data-control"),
        &sensitive,
    )
    .await;
    assert_eq!(state_of(&app, id2).await, "refused");
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id2}")).await;
    assert!(body.contains("secure corporate data service"), "{body}");
    // Nothing refused, withdrawn or still in review is on the register.
    post(&a, &app, &format!("/acquisitions/{id}/withdraw"), &[]).await;
    assert_eq!(state_of(&app, id).await, "withdrawn");
    let (_, body) = page(&client(), &app, "/register").await;
    assert!(body.contains("No uses have been approved yet."), "{body}");
    // The decision path records each step.
    let path: i64 = count(&app, &format!("SELECT COUNT(*) FROM acquisition_events WHERE acquisition_id = {id2} AND to_state = 'refused'")).await;
    assert_eq!(path, 1);
}

async fn outsiders_see_nothing_and_reviewers_are_reminded_of_deadlines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("pat", &[Role::Partner]).await;
    let rita = app.create_user("rita", &[Role::Reviewer]).await;
    let a = app.browser_for("alice").await;
    let id = submitted(&app, &a, "low").await;
    let p = app.browser_for("pat").await;
    assert_eq!(page(&p, &app, &format!("/acquisitions/{id}")).await.0, 403);
    let r = post(&p, &app, "/acquisitions", &[("title", "Mine")]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM acquisitions").await, 1);
    assert_eq!(
        page(&client(), &app, &format!("/acquisitions/{id}"))
            .await
            .0,
        401
    );

    // Two days before the deadline, then after it: one reminder each, to the reviewers.
    let due: i64 = sqlx::query_scalar("SELECT phase_due FROM acquisitions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let remind = |now| campus_core::services::acquisitions::remind_deadlines(&app.db, now);
    assert_eq!(remind(due - 3 * 86_400).await.unwrap(), 0);
    assert_eq!(remind(due - 86_400).await.unwrap(), 1);
    assert_eq!(remind(due - 3_600).await.unwrap(), 0);
    assert_eq!(remind(due + 60).await.unwrap(), 1);
    assert_eq!(remind(due + 86_400).await.unwrap(), 0);
    let subjects: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM notifications WHERE user_id = $1 ORDER BY id")
            .bind(rita)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Data control is due by")),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s.starts_with("Data control is overdue since")),
        "{subjects:?}"
    );
}

const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Takes a submitted application through data control and ethics review as `rita`, to the
/// final decision.
async fn to_final_decision(app: &TestApp, rita: &reqwest::Client, id: i64) {
    let dc = [
        ("lawful_basis", "Public task"),
        (
            "legislation",
            "Statistics and Registration Service Act 2007",
        ),
        ("agreement_ref", "DSA-7"),
        ("classification", "tier-1"),
    ];
    post(rita, app, &format!("/acquisitions/{id}/data-control"), &dc).await;
    post(
        rita,
        app,
        &format!("/acquisitions/{id}/ethics-review"),
        &[("step", "clear")],
    )
    .await;
}

/// Approves a submitted application: data control, ethics, then two reviewers.
async fn approve(app: &TestApp, id: i64, conditions: &str) {
    let rita = app.browser_for("rita").await;
    let sam = app.browser_for("sam").await;
    to_final_decision(app, &rita, id).await;
    post(
        &rita,
        app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "approve"), ("conditions", conditions)],
    )
    .await;
    post(
        &sam,
        app,
        &format!("/acquisitions/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    assert_eq!(state_of(app, id).await, "approved");
}

async fn upload(
    c: &reqwest::Client,
    app: &TestApp,
    id: i64,
    files: &[(&str, Vec<u8>)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, body) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(body.clone()).file_name(name.to_string()),
        );
    }
    c.post(app.url(&format!("/acquisitions/{id}/uploads")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

async fn approved_data_is_scanned_versioned_catalogued_and_granted(backend: Backend) {
    let mut app = TestApp::spawn_with(
        backend,
        Options {
            clamd: true,
            ..Options::default()
        },
    )
    .await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let rita = app.create_user("rita", &[Role::Reviewer]).await;
    app.create_user("sam", &[Role::Reviewer]).await;
    app.create_user("pat", &[Role::Partner]).await;
    let project = app.project("Housing", alice, &[]).await;
    let a = app.browser_for("alice").await;
    let id = submitted(&app, &a, "low").await;
    let datasets_dir = std::path::PathBuf::from(&app.config.ingest.dataset_dir);
    const UPLOADS: &str = "SELECT COUNT(*) FROM dataset_uploads";

    // Nothing can be uploaded before approval.
    let r = upload(&a, &app, id, &[("prices.csv", b"a,b\n1,2\n".to_vec())]).await;
    assert_eq!(location(&r), format!("/acquisitions/{id}"));
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("only once the application is approved"),
        "{body}"
    );

    approve(&app, id, "Publish only counts of ten or more").await;
    let dataset: i64 = sqlx::query_scalar("SELECT id FROM datasets WHERE acquisition_id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    // Two files, one carrying EICAR: the clean one becomes version 1, the other is quarantined.
    let clean = b"area,homes\nE06000001,120\n".to_vec();
    let r = upload(
        &a,
        &app,
        id,
        &[
            ("prices.csv", clean.clone()),
            ("notes.txt", EICAR.as_bytes().to_vec()),
        ],
    )
    .await;
    assert_eq!(location(&r), format!("/datasets/{dataset}"));
    let (_, body) = page(&a, &app, &format!("/datasets/{dataset}")).await;
    assert!(
        body.contains("Version 1 of Local housing supply holds prices.csv."),
        "{body}"
    );
    assert!(
        body.contains("notes.txt (Campus.Test.EICAR.UNOFFICIAL)"),
        "{body}"
    );
    assert!(body.contains(&sha256(&clean)), "the checksum is shown");
    assert!(
        body.contains("Publish only counts of ten or more"),
        "the condition is carried"
    );
    assert_eq!(
        std::fs::read(datasets_dir.join(format!("{dataset}/{}", sha256(&clean)))).unwrap(),
        clean
    );
    assert!(datasets_dir
        .join(format!("quarantine/{}", sha256(EICAR.as_bytes())))
        .is_file());
    assert!(!datasets_dir
        .join(format!("{dataset}/{}", sha256(EICAR.as_bytes())))
        .exists());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM dataset_files").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dataset_uploads WHERE outcome = 'infected'"
        )
        .await,
        1
    );
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND subject LIKE 'An upload was quarantined%'")
        .bind(rita)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(told, 1, "data control is told");

    // Empty and oversized files are refused and nothing is kept.
    let before = count(&app, UPLOADS).await;
    upload(&a, &app, id, &[("empty.csv", Vec::new())]).await;
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("empty.csv is empty"), "{body}");
    upload(
        &a,
        &app,
        id,
        &[
            ("ok.csv", b"x".to_vec()),
            ("big.csv", vec![b'x'; 1024 * 1024 + 1]),
        ],
    )
    .await;
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("big.csv is larger than the"), "{body}");
    assert_eq!(count(&app, UPLOADS).await, before);
    assert_eq!(
        std::fs::read_dir(datasets_dir.join("incoming"))
            .unwrap()
            .count(),
        0,
        "no partial file is left"
    );

    {
        let alice_t = token_for(&app, "alice").await;
        // Uploads through the API are scanned the same way.
        let upload_by_api = |parts: Vec<(&'static str, Vec<u8>)>| {
            let mut form = reqwest::multipart::Form::new();
            for (name, bytes) in parts {
                form = form.part(
                    "files",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            }
            reqwest::Client::new()
                .post(app.url(&format!("/api/v1/acquisitions/{id}/uploads")))
                .bearer_auth(&alice_t)
                .multipart(form)
                .send()
        };
        let r = upload_by_api(vec![
            ("x.txt", EICAR.as_bytes().to_vec()),
            ("more.csv", b"a,b\n3,4\n".to_vec()),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["version"], 2, "{body}");
        assert_eq!(
            body["quarantined"][0]["signature"], "Campus.Test.EICAR.UNOFFICIAL",
            "{body}"
        );
        let r = upload_by_api(vec![("e.csv", Vec::new())]).await.unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body.to_string().contains("e.csv is empty"), "{body}");
    }
    let before = count(&app, UPLOADS).await;
    // With the scanner gone, an upload is an error, never "clean".
    drop(app.clamd.take());
    upload(&a, &app, id, &[("more.csv", b"a\n1\n".to_vec())]).await;
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("could not be reached"), "{body}");
    assert_eq!(count(&app, UPLOADS).await, before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dataset_versions").await,
        2
    );

    // The catalogue finds it; partners cannot browse it.
    let (_, body) = page(&a, &app, "/datasets?q=HOUSING").await;
    assert!(body.contains("Local housing supply"), "{body}");
    let (_, body) = page(&a, &app, "/datasets?q=nothing-like-it").await;
    assert!(body.contains("No datasets match."), "{body}");
    let p = app.browser_for("pat").await;
    assert_eq!(page(&p, &app, "/datasets").await.0, 403);

    // Only reviewers grant; a grant needs a reason; revocation records who, when and why.
    let r = post(
        &a,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[("project", &project.to_string()), ("reason", "Mine")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let rv = app.browser_for("rita").await;
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[("project", &project.to_string()), ("reason", "")],
    )
    .await;
    let (_, body) = page(&rv, &app, &format!("/datasets/{dataset}")).await;
    assert!(body.contains("Give the reason for the grant"), "{body}");
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[
            ("project", &project.to_string()),
            ("reason", "Housing analysis"),
        ],
    )
    .await;
    let live = campus_core::store::datasets::granted_to_project(&app.db, project)
        .await
        .unwrap();
    assert_eq!(live.len(), 1);
    let grant = live[0].id;
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[("project", &project.to_string()), ("reason", "Again")],
    )
    .await;
    let (_, body) = page(&rv, &app, &format!("/datasets/{dataset}")).await;
    assert!(body.contains("Housing already has access"), "{body}");
    let (_, body) = page(&a, &app, "/notifications").await;
    assert!(
        body.contains("Your project was granted access to a dataset"),
        "{body}"
    );

    // The same through the JSON API: the catalogue, a dataset's versions, uploads and grants,
    // and what a project may use; grants only by reviewers.
    {
        use reqwest::Method;
        use serde_json::json;
        let (alice_t, rita_t, pat_t) = (
            token_for(&app, "alice").await,
            token_for(&app, "rita").await,
            token_for(&app, "pat").await,
        );
        let (status, body) = api(
            &app,
            Method::GET,
            "/api/v1/datasets?q=housing",
            &alice_t,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body[0]["id"], dataset, "{body}");
        let (_, body) = api(
            &app,
            Method::GET,
            &format!("/api/v1/datasets/{dataset}"),
            &alice_t,
            None,
        )
        .await;
        assert_eq!(
            body["versions"][1]["files"][0]["sha256"],
            sha256(&clean),
            "{body}"
        );
        assert_eq!(body["uploads"][1]["outcome"], "infected", "{body}");
        assert_eq!(body["conditions"][0], "Publish only counts of ten or more");
        assert_eq!(
            api(&app, Method::GET, "/api/v1/datasets", &pat_t, None)
                .await
                .0,
            403
        );
        let grant_body = json!({"project_id": project, "reason": "Via the API"});
        let (status, _) = api(
            &app,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/grants"),
            &alice_t,
            Some(grant_body.clone()),
        )
        .await;
        assert_eq!(status, 403);
        let (status, body) = api(
            &app,
            Method::POST,
            &format!("/api/v1/datasets/{dataset}/grants"),
            &rita_t,
            Some(grant_body),
        )
        .await;
        assert_eq!(status, 422, "a second live grant is refused: {body}");
        let (status, body) = api(
            &app,
            Method::GET,
            &format!("/api/v1/projects/{project}/datasets"),
            &alice_t,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
        assert_eq!(
            api(
                &app,
                Method::GET,
                &format!("/api/v1/projects/{project}/datasets"),
                &pat_t,
                None
            )
            .await
            .0,
            403
        );
    }
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants/{grant}/revoke"),
        &[(
            &format!("revoke_reason-{grant}") as &str,
            "Project finished",
        )],
    )
    .await;
    assert!(
        campus_core::store::datasets::granted_to_project(&app.db, project)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, body) = page(&rv, &app, &format!("/datasets/{dataset}")).await;
    assert!(body.contains("Project finished"), "{body}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action IN ('dataset.version', 'dataset.quarantine', 'dataset.grant', 'dataset.revoke')").await,
        6,
        "two uploads by page and API, each with a version and a quarantine, a grant and a revocation"
    );

    // Reminders before the retention date (2029-03-31): 30 days, 7 days and on the day, once each.
    use time::macros::date;
    let remind = |d| campus_core::services::datasets::remind_retention(&app.db, d);
    assert_eq!(remind(date!(2029 - 02 - 27)).await.unwrap(), 0);
    assert_eq!(
        remind(date!(2029 - 03 - 01)).await.unwrap(),
        3,
        "the owner and both reviewers"
    );
    assert_eq!(remind(date!(2029 - 03 - 02)).await.unwrap(), 0);
    assert_eq!(remind(date!(2029 - 03 - 31)).await.unwrap(), 3);
    let (_, body) = page(&a, &app, "/notifications").await;
    assert!(
        body.contains("Local housing supply reaches its retention date today"),
        "{body}"
    );

    // Closure: a reason is needed; then every grant is revoked, every file deleted and a
    // certificate lists them; nothing more can be uploaded or granted.
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[
            ("project", &project.to_string()),
            ("reason", "Second phase"),
        ],
    )
    .await;
    assert_eq!(
        campus_core::store::datasets::granted_to_project(&app.db, project)
            .await
            .unwrap()
            .len(),
        1
    );
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/close"),
        &[("close_reason", " ")],
    )
    .await;
    let (_, body) = page(&rv, &app, &format!("/datasets/{dataset}")).await;
    assert!(body.contains("Give the reason for the closure"), "{body}");
    let r = post(
        &a,
        &app,
        &format!("/datasets/{dataset}/close"),
        &[("close_reason", "Mine")],
    )
    .await;
    assert_eq!(r.status(), 403, "the owner cannot close it");
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/close"),
        &[("close_reason", "Retention date reached")],
    )
    .await;
    assert!(
        campus_core::store::datasets::granted_to_project(&app.db, project)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!datasets_dir
        .join(format!("{dataset}/{}", sha256(&clean)))
        .exists());
    assert!(!datasets_dir
        .join(format!("quarantine/{}", sha256(EICAR.as_bytes())))
        .exists());
    assert_eq!(state_of(&app, id).await, "closed");
    let (_, body) = page(&rv, &app, &format!("/datasets/{dataset}")).await;
    assert!(body.contains("Deletion certificate"), "{body}");
    assert!(body.contains("Retention date reached"));
    let certificate = campus_core::store::datasets::certificate(&app.db, dataset)
        .await
        .unwrap()
        .unwrap();
    let mut deleted: Vec<(String, String)> = certificate
        .files
        .iter()
        .map(|f| (f.name.clone(), f.sha256.clone()))
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            ("more.csv".to_owned(), sha256(b"a,b\n3,4\n")),
            // x.txt (also EICAR) was kept once, under the same checksum as notes.txt.
            ("notes.txt".to_owned(), sha256(EICAR.as_bytes())),
            ("prices.csv".to_owned(), sha256(&clean))
        ]
    );
    assert!(certificate.failures.is_empty());
    let r = upload(&a, &app, id, &[("late.csv", b"a\n".to_vec())]).await;
    assert_eq!(location(&r), format!("/acquisitions/{id}"));
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(body.contains("This dataset is closed"), "{body}");
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[("project", &project.to_string()), ("reason", "Again")],
    )
    .await;
    assert!(
        campus_core::store::datasets::granted_to_project(&app.db, project)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('dataset.close', 'dataset.delete')"
        )
        .await,
        2
    );
    // The API closes datasets too: only reviewers, and not twice.
    let (status, _) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/datasets/{dataset}/close"),
        &token_for(&app, "alice").await,
        Some(serde_json::json!({"reason": "Mine"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/datasets/{dataset}/close"),
        &token_for(&app, "rita").await,
        Some(serde_json::json!({"reason": "Again"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("already closed"), "{body}");
}

async fn the_api_walks_an_application_and_refuses_decisions_without_a_recent_sign_in(
    backend: Backend,
) {
    use reqwest::Method;
    use serde_json::json;
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    let alice = token_for(&app, "alice").await;
    let rita = token_for(&app, "rita").await;

    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/acquisitions",
        &alice,
        Some(json!({"title": " "})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = api(
        &app,
        Method::POST,
        "/api/v1/acquisitions",
        &alice,
        Some(json!({"title": "Footfall"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["state"], "draft");
    assert_eq!(body["sections"]["purpose"], "in_progress");

    // Submitting now names every gap by section and field.
    let (status, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/submit"),
        &alice,
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("purpose/lay_summary"), "{body}");

    for (slug, fields) in SECTIONS {
        let answers: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let (status, body) = api(
            &app,
            Method::PUT,
            &format!("/api/v1/acquisitions/{id}/sections/{slug}"),
            &alice,
            Some(json!({"answers": answers})),
        )
        .await;
        assert_eq!(status, 200, "{slug}: {body}");
    }
    let (status, _) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/acquisitions/{id}/sections/collaborators"),
        &alice,
        Some(json!({"answers": {"collaborators": ""}})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/acquisitions/{id}/sections/nonsense"),
        &alice,
        Some(json!({"answers": {}})),
    )
    .await;
    assert_eq!(status, 404);
    let ratings: serde_json::Map<String, serde_json::Value> = ethics("average")
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let (status, body) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/acquisitions/{id}/ethics"),
        &alice,
        Some(json!({"ratings": ratings})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/submit"),
        &alice,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "data_control");

    // The applicant cannot review; a reviewer records data control and clears ethics.
    let dc = json!({"lawful_basis": "Public task", "legislation": "SRSA 2007", "agreement_ref": "DSA-9", "classification": "tier-1"});
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/data-control"),
        &alice,
        Some(dc.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/data-control"),
        &rita,
        Some(dc),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "passed");
    let (_, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/ethics-review"),
        &rita,
        Some(json!({"step": "clear"})),
    )
    .await;
    assert_eq!(body["state"], "final_decision", "{body}");

    // A token is no recent sign-in: the decision is refused and nothing changes.
    let (status, body) = api(
        &app,
        Method::POST,
        &format!("/api/v1/acquisitions/{id}/decision"),
        &rita,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string().contains("Sign in again to decide"),
        "{body}"
    );
    assert_eq!(state_of(&app, id).await, "final_decision");

    // Reviewers see the queue; the register is public JSON.
    let (_, body) = api(&app, Method::GET, "/api/v1/acquisitions", &rita, None).await;
    assert_eq!(body["reviews"][0]["id"], id, "{body}");
    let (_, body) = api(&app, Method::GET, "/api/v1/acquisitions", &alice, None).await;
    assert!(body["reviews"].is_null(), "{body}");
    let r = reqwest::get(app.url("/api/v1/register")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap(), json!([]));
}

async fn an_approved_acquisition_is_amended_while_its_terms_stand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("alice", &[Role::Staff]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    app.create_user("sam", &[Role::Reviewer]).await;
    let a = app.browser_for("alice").await;
    let rita = app.browser_for("rita").await;
    let id = submitted(&app, &a, "low").await;
    approve(&app, id, "Condition A").await;
    let terms = || async {
        sqlx::query_as::<_, (String, String)>(
            "SELECT retention_date, conditions FROM datasets WHERE acquisition_id = $1",
        )
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    assert_eq!(terms().await.0, "2029-03-31");

    // Only the applicant's side amends; meanwhile the approved terms stand and stay public.
    let r = post(&rita, &app, &format!("/acquisitions/{id}/amend"), &[]).await;
    assert_eq!(r.status(), 403);
    post(&a, &app, &format!("/acquisitions/{id}/amend"), &[]).await;
    assert_eq!(state_of(&app, id).await, "changes_requested");
    // The dataset cannot be closed under an amendment in review.
    let dataset: i64 = sqlx::query_scalar("SELECT id FROM datasets WHERE acquisition_id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    post(
        &rita,
        &app,
        &format!("/datasets/{dataset}/close"),
        &[("close_reason", "End")],
    )
    .await;
    let (_, body) = page(&rita, &app, &format!("/datasets/{dataset}")).await;
    assert!(
        body.contains("decide or withdraw it before closing the dataset"),
        "{body}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM datasets WHERE closed_at IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM dataset_grants WHERE revoked_at IS NOT NULL"
        )
        .await,
        0
    );
    let (_, body) = page(&client(), &app, "/register").await;
    assert!(body.contains("Local housing supply"), "{body}");
    let r = upload(&a, &app, id, &[("a.csv", b"a\n".to_vec())]).await;
    assert_eq!(location(&r), format!("/acquisitions/{id}"));
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("An amendment of this application is being reviewed"),
        "{body}"
    );

    // A renewal: a later retention date, reviewed again, approved with new conditions.
    let mut later: Vec<(&str, &str)> = SECTIONS[6]
        .1
        .iter()
        .filter(|f| !f.0.ends_with("_date"))
        .copied()
        .collect();
    later.extend([
        ("retention_date", "2030-03-31"),
        ("deletion_date", "2030-04-30"),
    ]);
    post(
        &a,
        &app,
        &format!("/acquisitions/{id}/sections/the-data"),
        &later,
    )
    .await;
    post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    assert_eq!(state_of(&app, id).await, "data_control");
    let (_, body) = page(&rita, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("Changed since the previous submission"),
        "{body}"
    );
    approve(&app, id, "Condition B").await;
    assert_eq!(
        terms().await,
        ("2030-03-31".to_owned(), r#"["Condition B"]"#.to_owned())
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM datasets").await, 1);

    // Withdrawn or rejected, an amendment leaves the approval as it was.
    post(&a, &app, &format!("/acquisitions/{id}/amend"), &[]).await;
    post(&a, &app, &format!("/acquisitions/{id}/withdraw"), &[]).await;
    assert_eq!(state_of(&app, id).await, "approved");
    post(&a, &app, &format!("/acquisitions/{id}/amend"), &[]).await;
    post(&a, &app, &format!("/acquisitions/{id}/submit"), &[]).await;
    post(
        &rita,
        &app,
        &format!("/acquisitions/{id}/decision"),
        &[
            ("decision", "reject"),
            ("reject_reason", "No case for a change"),
        ],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "approved");
    assert_eq!(terms().await.0, "2030-03-31");
    let (_, body) = page(&a, &app, &format!("/acquisitions/{id}")).await;
    assert!(
        body.contains("amendment rejected, the approved terms stand: No case for a change"),
        "{body}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM acquisitions WHERE amending = 1").await,
        0
    );
}

/// The provisioning side's use of grants: a project's workspace sees the latest version of each
/// dataset granted to the project, read-only, and loses it when the grant is revoked.
async fn granted_datasets_appear_in_the_projects_workspaces(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            clamd: true,
            ..Options::default()
        },
    )
    .await;
    app.add_big_host().await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    app.create_user("sam", &[Role::Reviewer]).await;
    let project = app.project("Housing", alice, &[]).await;
    let a = app.browser_for("alice").await;
    let rv = app.browser_for("rita").await;
    let id = submitted(&app, &a, "low").await;
    approve(&app, id, "").await;
    let dataset: i64 = sqlx::query_scalar("SELECT id FROM datasets WHERE acquisition_id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let v1 = b"area,homes\nE06000001,120\n".to_vec();
    upload(&a, &app, id, &[("prices.csv", v1.clone())]).await;

    let lab = app.offering_id("jupyterlab").await;
    let ws = request(&app, &a, project, &format!("{lab}:small"), "private").await;
    app.wait_for_state(ws, "active", 60).await;
    let mounts = server::provision::mounts::Mounts::new(
        app.resource_dir.to_str().unwrap(),
        &app.config.ingest.dataset_dir,
    );
    // What JupyterLab shows of a file under ~/datasets: its text, or the status it refused with.
    let folder = format!("datasets/{dataset}-local-housing-supply");
    assert_eq!(crate::support::open_app(&a, &app, "/w/", ws).await, 200);
    let seen = |file: &str| {
        let url = crate::support::app_url(
            &app,
            ws,
            &format!("/api/contents/{folder}/{file}?content=1&format=text"),
        );
        let a = a.clone();
        async move {
            let r = a.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            match status {
                200 => Ok(body["content"].as_str().unwrap_or_default().to_owned()),
                _ => Err(status),
            }
        }
    };
    mounts.sync(&app.db).await.unwrap();
    assert_eq!(seen("prices.csv").await, Err(404), "nothing before a grant");

    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants"),
        &[
            ("project", &project.to_string()),
            ("reason", "Housing analysis"),
        ],
    )
    .await;
    mounts.sync(&app.db).await.unwrap();
    assert_eq!(
        seen("prices.csv").await.unwrap().as_bytes(),
        v1,
        "the workspace reads it"
    );
    // Read-only by mount: the workspace's own program cannot change or add anything there,
    // whatever the files' modes.
    let put = a
        .put(crate::support::app_url(
            &app,
            ws,
            &format!("/api/contents/{folder}/prices.csv"),
        ))
        .json(&serde_json::json!({"type": "file", "format": "text", "content": "changed"}))
        .send()
        .await
        .unwrap();
    assert!(
        put.status().is_server_error() || put.status().as_u16() == 403,
        "{}",
        put.status()
    );
    let text = put.text().await.unwrap();
    assert!(
        text.contains("Read-only file system") || text.contains("Permission denied"),
        "{text}"
    );
    assert_eq!(seen("prices.csv").await.unwrap().as_bytes(), v1);

    // A new version replaces the old one's files.
    let v2 = b"area,homes\nE06000001,130\n".to_vec();
    upload(&a, &app, id, &[("prices-2027.csv", v2.clone())]).await;
    mounts.sync(&app.db).await.unwrap();
    assert_eq!(seen("prices-2027.csv").await.unwrap().as_bytes(), v2);
    assert_eq!(seen("prices.csv").await, Err(404));

    // Revoked: the data leaves the workspace.
    let grant = campus_core::store::datasets::granted_to_project(&app.db, project)
        .await
        .unwrap()[0]
        .id;
    post(
        &rv,
        &app,
        &format!("/datasets/{dataset}/grants/{grant}/revoke"),
        &[(&format!("revoke_reason-{grant}") as &str, "Finished")],
    )
    .await;
    mounts.sync(&app.db).await.unwrap();
    assert_eq!(seen("prices-2027.csv").await, Err(404));
}

/// Two reviewers giving the final approval at the same moment: each counts the approvals
/// before its own, so unless they are taken in turn each sees none and the application waits
/// for ever with two approvals.
async fn two_final_approvals_at_the_same_moment_both_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("rita", &[Role::Reviewer]).await;
    app.create_user("sam", &[Role::Reviewer]).await;
    app.project("Housing", alice, &[]).await;
    let a = app.browser_for("alice").await;
    let rita = app.browser_for("rita").await;
    let sam = app.browser_for("sam").await;
    for round in 0..3 {
        let id = submitted(&app, &a, "low").await;
        to_final_decision(&app, &rita, id).await;
        let decision = format!("/acquisitions/{id}/decision");
        let approve = [("decision", "approve"), ("conditions", "")];
        tokio::join!(
            post(&rita, &app, &decision, &approve),
            post(&sam, &app, &decision, &approve),
        );
        assert_eq!(state_of(&app, id).await, "approved", "round {round}");
    }
}

both_backends!(
    two_final_approvals_at_the_same_moment_both_count,
    granted_datasets_appear_in_the_projects_workspaces,
    an_approved_acquisition_is_amended_while_its_terms_stand,
    the_api_walks_an_application_and_refuses_decisions_without_a_recent_sign_in,
    approved_data_is_scanned_versioned_catalogued_and_granted,
    an_application_goes_from_task_list_through_review_to_the_public_register,
    high_risk_goes_to_the_committee_and_sensitive_data_is_refused,
    outsiders_see_nothing_and_reviewers_are_reminded_of_deadlines,
);
