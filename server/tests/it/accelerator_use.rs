//! Booked against used accelerator hours per week, from real bookings and the steps resources
//! took: on a project's record, in operators' utilisation, in the JSON API and through the
//! `campus` command line.

use crate::bookings::gpu_host;
use crate::both_backends;
use crate::support::{api, token_for, Backend, TestApp};
use campus_core::accelerators::bookings::{week_start, Window};
use campus_core::domain::Role;
use campus_core::store::bookings::{self, Hold, NewBooking};
use reqwest::Method;
use serde_json::{json, Value};

const GPU: &str = "NVIDIA A100 80GB";
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// A confirmed booking of `devices` for `window`, made in the past as the sweep would find it.
async fn booked(app: &TestApp, project: i64, by: i64, window: Window, devices: &[i64]) -> i64 {
    let b = NewBooking {
        project_id: project,
        booked_by: by,
        model: GPU,
        window,
        purpose: "Training a model",
        state: "confirmed",
        reason: "",
        now: window.start - 7 * DAY,
    };
    let mut tx = app.db.pool.begin().await.unwrap();
    let Hold::Made(id) = bookings::hold(&mut tx, &b, devices).await.unwrap() else {
        panic!("the test's bookings do not overlap");
    };
    tx.commit().await.unwrap();
    id
}

async fn step(app: &TestApp, resource: i64, at: i64, from: &str, to: &str) {
    sqlx::query(
        "INSERT INTO resource_events (resource_id, at, from_state, to_state) VALUES ($1, $2, $3, $4)",
    )
    .bind(resource)
    .bind(at)
    .bind(from)
    .bind(to)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// Last week: the project books two GPUs for four hours (8 device-hours), books one for four
/// hours that is released half an hour in (0.5 booked, 3.5 released), and runs a one-GPU
/// workspace for three hours; another project books one GPU for two hours.
async fn last_week_of_use(app: &TestApp) -> (i64, i64) {
    let devices = gpu_host(app).await;
    let host: i64 = sqlx::query_scalar("SELECT id FROM hosts WHERE name = 'dc1-gpu-01'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    let project = app.project("Language models", alice, &[]).await;
    let other = app.project("Satellite images", bob, &[]).await;
    let last = week_start(campus_core::clock::now()) - 7 * DAY;
    let at = |day: i64, hour: i64| last + day * DAY + hour * HOUR;
    let w = |day, from, to| Window {
        start: at(day, from),
        end: at(day, to),
    };
    booked(app, project, alice, w(1, 10, 14), &devices).await;
    let released = booked(app, project, alice, w(2, 10, 14), &devices[..1]).await;
    sqlx::query("UPDATE bookings SET state = 'released', changed_at = $1 WHERE id = $2")
        .bind(at(2, 10) + 1800)
        .bind(released)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE booking_devices SET held = 0 WHERE booking_id = $1")
        .bind(released)
        .execute(&app.db.pool)
        .await
        .unwrap();
    booked(app, other, bob, w(3, 8, 10), &devices[1..]).await;

    let token = token_for(app, "alice").await;
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let (status, r) = api(
        app,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        &token,
        Some(json!({"offering_id": gpu, "size": "one-gpu", "end_date": "2030-01-31", "purpose": "Fine-tuning"})),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let resource = r["request"]["id"].as_i64().unwrap();
    sqlx::query("UPDATE resources SET host_id = $1, devices = '1', gpus = 1, state = 'stopped' WHERE id = $2")
        .bind(host)
        .bind(resource)
        .execute(&app.db.pool)
        .await
        .unwrap();
    step(app, resource, at(1, 9), "approved", "provisioning").await;
    step(app, resource, at(1, 10), "provisioning", "active").await;
    step(app, resource, at(1, 13), "active", "stopped").await;
    (project, last)
}

async fn a_project_sees_booked_against_used_hours_per_week(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (project, last) = last_week_of_use(&app).await;
    let token = token_for(&app, "alice").await;
    let (status, rows) = api(
        &app,
        Method::GET,
        &format!("/api/v1/projects/{project}/accelerator-use?weeks=2"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "one model, two weeks: {rows:?}");
    assert_eq!(rows[0]["week_start"], last);
    assert_eq!(rows[0]["model"], GPU);
    assert_eq!(
        rows[0]["booked_hours"], 8.5,
        "the other project's is not counted"
    );
    assert_eq!(rows[0]["used_hours"], 3.0);
    assert_eq!(rows[0]["released_hours"], 3.5);
    assert_eq!(rows[1]["booked_hours"], 0.0);

    // The same figures on the project's page, newest week first, only weeks with something in.
    let alice = app.browser_for("alice").await;
    let (status, page) = crate::support::page(
        &alice,
        &app,
        &format!("/projects/{project}/accelerators?weeks=2"),
    )
    .await;
    assert_eq!(status, 200);
    for figure in [">8.5<", ">3.0<", ">3.5<"] {
        assert!(page.contains(figure), "{figure} missing from the page");
    }
    let (_, home) = crate::support::page(&alice, &app, &format!("/projects/{project}")).await;
    assert!(home.contains(&format!("href=\"/projects/{project}/accelerators\"")));

    // Weeks out of range are refused on their field, in the API and on the page.
    let (status, refused) = api(
        &app,
        Method::GET,
        &format!("/api/v1/projects/{project}/accelerator-use?weeks=0"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["weeks"]
        .as_str()
        .unwrap()
        .contains("from 1 to 52"));
    let (_, page) = crate::support::page(
        &alice,
        &app,
        &format!("/projects/{project}/accelerators?weeks=99"),
    )
    .await;
    assert!(page.contains("from 1 to 52"), "{page}");

    // Someone who may not see the project sees none of it.
    app.create_user("pat", &[Role::Partner]).await;
    let pat = token_for(&app, "pat").await;
    let (status, _) = api(
        &app,
        Method::GET,
        &format!("/api/v1/projects/{project}/accelerator-use"),
        &pat,
        None,
    )
    .await;
    assert_eq!(status, 403);
}

both_backends!(a_project_sees_booked_against_used_hours_per_week);

async fn operators_see_utilisation_per_device_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, last) = last_week_of_use(&app).await;
    app.create_user("olga", &[Role::Operator, Role::Staff])
        .await;
    let olga = token_for(&app, "olga").await;
    let (status, models) = api(
        &app,
        Method::GET,
        "/api/v1/accelerators/utilisation?weeks=2",
        &olga,
        None,
    )
    .await;
    assert_eq!(status, 200, "{models}");
    let a100 = models
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == GPU)
        .expect("the A100s are listed");
    assert_eq!(a100["devices"], 2);
    assert_eq!(a100["capacity_hours"], 336);
    let week = &a100["weeks"][0];
    assert_eq!(week["week_start"], last);
    // 8.5 + 2 booked of 336 device-hours: 3 %; 3 used: 1 %.
    assert_eq!(week["booked_hours"], 10.5);
    assert_eq!(week["used_hours"], 3.0);
    assert_eq!(
        (week["booked_percent"].clone(), week["used_percent"].clone()),
        (json!(3), json!(1))
    );

    // The page draws the chart with the table beside it.
    let browser = app.browser_for("olga").await;
    let (status, page) =
        crate::support::page(&browser, &app, "/operations/utilisation?weeks=2").await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg role=\"img\""), "{page}");
    assert!(page.contains("10.5 (3%)"), "{page}");

    // Staff who are not operators are refused, on the page and in the API.
    let token = token_for(&app, "alice").await;
    let (status, _) = api(
        &app,
        Method::GET,
        "/api/v1/accelerators/utilisation",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let alice = app.browser_for("alice").await;
    let (status, _) = crate::support::page(&alice, &app, "/operations/utilisation").await;
    assert_eq!(status, 403);
}

both_backends!(operators_see_utilisation_per_device_type);

async fn campus(app: &TestApp, token: &str, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_campus"))
        .args(args)
        .env("CAMPUS_URL", &app.base)
        .env("CAMPUS_TOKEN", token)
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The command line books, shows the week, changes and cancels through the API, and says why
/// when the portal refuses.
async fn the_command_line_books_and_reports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (project, _) = last_week_of_use(&app).await;
    let token = token_for(&app, "alice").await;
    let p = project.to_string();
    let tomorrow = crate::bookings::day_after(1);

    let (ok, out, err) = campus(&app, &token, &["use", "--project", &p, "--weeks", "2"]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains(GPU) && out.contains("8.5") && out.contains("3.5"),
        "{out}"
    );

    let book = [
        "book",
        "--project",
        &p,
        "--model",
        GPU,
        "--count",
        "2",
        "--date",
        &tomorrow,
        "--start-hour",
        "10",
        "--hours",
        "2",
        "--purpose",
        "Fine-tuning",
    ];
    let (ok, out, err) = campus(&app, &token, &book).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("Booked: #") && out.contains("confirmed"),
        "{out}"
    );
    let id: i64 = out["Booked: #".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let (ok, out, err) = campus(
        &app,
        &token,
        &["--json", "week", "--model", GPU, "--week-of", &tomorrow],
    )
    .await;
    assert!(ok, "{err}");
    let week: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(week["devices"], 2);
    let held: Vec<&Value> = week["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d.as_array().unwrap())
        .filter(|h| h["free"] == 0)
        .collect();
    assert_eq!(held.len(), 2, "both devices held for two hours");
    assert!(held.iter().all(|h| h["held_by"][0] == "Language models"));

    // Same slot again: refused with the portal's reason, nothing booked.
    let (ok, _, err) = campus(&app, &token, &book).await;
    assert!(!ok);
    assert!(err.contains("refused (422)"), "{err}");
    let (ok, _, err) = campus(&app, &token, &["week", "--model", "No such GPU"]).await;
    assert!(!ok);
    assert!(
        err.contains("model: There is no accelerator model called \"No such GPU\""),
        "{err}"
    );

    let id_s = id.to_string();
    let (ok, out, err) = campus(
        &app,
        &token,
        &[
            "change",
            &id_s,
            "--date",
            &tomorrow,
            "--start-hour",
            "12",
            "--hours",
            "3",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("2 × ") && out.contains("12:00"),
        "kept its two devices: {out}"
    );
    let (ok, out, err) = campus(&app, &token, &["cancel", &id_s]).await;
    assert!(ok, "{err}");
    assert!(out.contains("cancelled"), "{out}");

    let (ok, _, err) = campus(&app, "cpt_not_a_token", &["models"]).await;
    assert!(!ok);
    assert!(err.contains("refused (401)"), "{err}");
}

both_backends!(the_command_line_books_and_reports);
