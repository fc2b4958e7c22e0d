//! Accelerator bookings in the database: however many people race for one device's slot, at
//! most one booking holds it (PostgreSQL's exclusion constraint; SQLite's single writer).

use crate::both_backends;
use crate::support::{api, count, token_for, Backend, TestApp};
use campus_core::accelerators::bookings::Window;
use campus_core::domain::Role;
use campus_core::store::bookings::{self, Hold, NewBooking, NewDevice};
use campus_core::store::inventory;
use reqwest::Method;
use serde_json::{json, Value};

const GPU: &str = "NVIDIA A100 80GB";

// Monday 2026-12-07 00:00 UTC, in whole hours from here.
const MONDAY: i64 = 1_796_601_600;

fn hours(from: i64, to: i64) -> Window {
    Window {
        start: MONDAY + from * 3600,
        end: MONDAY + to * 3600,
    }
}

/// A host "dc1-gpu-01" with two A100s: the devices' ids.
pub async fn gpu_host(app: &TestApp) -> Vec<i64> {
    let site = inventory::insert_site(&app.db, "DC1", "Data centre 1")
        .await
        .unwrap();
    let host = inventory::insert_host(
        &app.db,
        inventory::NewHost {
            site_id: site,
            name: "dc1-gpu-01",
            cores: 32,
            mhz_per_core: 2500,
            ram_gb: 256,
            storage_gb: 1000,
            gpus: 2,
            gpu_model: "NVIDIA A100 80GB",
        },
    )
    .await
    .unwrap();
    let mut devices = Vec::new();
    for slot in 0..2 {
        let d = NewDevice {
            host_id: host,
            kind: "gpu",
            model: "NVIDIA A100 80GB",
            memory_gb: 80,
            slot,
        };
        devices.push(bookings::insert_device(&app.db, d).await.unwrap());
    }
    devices
}

/// One hold in a transaction of its own, committed if it was made.
async fn hold(db: &campus_core::db::Db, b: &NewBooking<'_>, devices: &[i64]) -> Hold {
    let mut tx = db.pool.begin().await.unwrap();
    let held = bookings::hold(&mut tx, b, devices).await.unwrap();
    if let Hold::Made(_) = held {
        tx.commit().await.unwrap();
    }
    held
}

fn booking(project_id: i64, booked_by: i64, window: Window) -> NewBooking<'static> {
    NewBooking {
        project_id,
        booked_by,
        model: "NVIDIA A100 80GB",
        window,
        purpose: "Training a model",
        state: "confirmed",
        reason: "",
        now: MONDAY - 86_400,
    }
}

async fn racing_bookings_of_one_device_leave_exactly_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let devices = gpu_host(&app).await;
    let mut people = Vec::new();
    for i in 0..8 {
        let who = app.create_user(&format!("racer{i}"), &[Role::Staff]).await;
        people.push((who, app.project(&format!("Race {i}"), who, &[]).await));
    }
    // Eight projects ask at once for the first GPU over windows that all share 10:00–11:00.
    let attempts: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, &(who, project))| {
            let db = app.db.clone();
            let device = devices[0];
            let i = i as i64;
            tokio::spawn(async move {
                let window = hours(10 - i % 3, 11 + i % 2);
                hold(&db, &booking(project, who, window), &[device]).await
            })
        })
        .collect();
    let mut outcomes: Vec<Hold> = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.unwrap());
    }
    let made: Vec<i64> = outcomes
        .iter()
        .filter_map(|h| match h {
            Hold::Made(id) => Some(*id),
            Hold::Taken => None,
        })
        .collect();
    assert_eq!(made.len(), 1, "{outcomes:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM booking_devices").await, 1);

    let (who, project) = people[0];
    let try_hold = |window: Window, on: Vec<i64>| {
        let db = app.db.clone();
        async move { hold(&db, &booking(project, who, window), &on).await }
    };
    // The other GPU is free then; the first is free from the hour the booking ends ([start, end)).
    assert!(matches!(
        try_hold(hours(10, 11), vec![devices[1]]).await,
        Hold::Made(_)
    ));
    let mut conn = app.db.pool.acquire().await.unwrap();
    let taken = bookings::taken(&mut conn, &devices, hours(0, 24), None)
        .await
        .unwrap();
    drop(conn);
    let first_ends = taken.iter().find(|(d, _)| *d == devices[0]).unwrap().1.end;
    let after = Window {
        start: first_ends,
        end: first_ends + 3600,
    };
    assert!(matches!(
        try_hold(after, vec![devices[0]]).await,
        Hold::Made(_)
    ));

    // Two devices at once: all or nothing.
    assert_eq!(try_hold(hours(9, 12), devices.clone()).await, Hold::Taken);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 3);

    // A cancelled booking frees its devices.
    let cancel = || async {
        let mut tx = app.db.pool.begin().await.unwrap();
        let done = bookings::set_state(&mut tx, made[0], "confirmed", "cancelled", "", MONDAY)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        done
    };
    assert!(cancel().await);
    assert!(!cancel().await, "only a live booking ends");
    assert!(matches!(
        try_hold(hours(10, 11), vec![devices[0]]).await,
        Hold::Made(_)
    ));
}

both_backends!(racing_bookings_of_one_device_leave_exactly_one);

/// `YYYY-MM-DD`, `days` after today (UTC).
pub fn day_after(days: i64) -> String {
    campus_core::clock::format_date(campus_core::clock::today() + time::Duration::days(days))
}

fn booking_body(model: &str, count: u32, date: &str, start_hour: u32, hours: u32) -> Value {
    json!({"model": model, "count": count, "date": date, "start_hour": start_hour,
           "hours": hours, "purpose": "Fine-tuning a language model"})
}

/// Booking through the API as people would: what can be booked, bad input refused by field
/// with nothing saved, a slot another project holds refused with the numbers, a booking beyond
/// the project's limits sent to an operator, moving and cancelling, and who may do each.
async fn bookings_are_made_checked_moved_and_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    gpu_host(&app).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    app.create_user("pat", &[Role::Partner]).await;
    let mine = app.project("Language models", alice, &[]).await;
    let theirs = app.project("Vision", bob, &[]).await;
    let (a, b, o, p) = (
        token_for(&app, "alice").await,
        token_for(&app, "bob").await,
        token_for(&app, "omar").await,
        token_for(&app, "pat").await,
    );
    let (status, models) = api(&app, Method::GET, "/api/v1/accelerators", &a, None).await;
    assert_eq!(status, 200);
    assert_eq!(models[0]["model"], GPU);
    assert_eq!(models[0]["devices"], 2);
    let (status, _) = api(&app, Method::GET, "/api/v1/accelerators", &p, None).await;
    assert_eq!(status, 403, "partners do not see the bookings");

    let book = |token: &str, project: i64, body: Value| {
        let token = token.to_owned();
        let app = &app;
        async move {
            api(
                app,
                Method::POST,
                &format!("/api/v1/projects/{project}/bookings"),
                &token,
                Some(body),
            )
            .await
        }
    };
    let tomorrow = day_after(1);
    // Bad input: each refused beside its field, with the numbers, and nothing saved.
    let bad: [(Value, &str, &str); 6] = [
        (
            booking_body("NVIDIA H100", 1, &tomorrow, 10, 2),
            "model",
            GPU,
        ),
        (
            booking_body(GPU, 3, &tomorrow, 10, 2),
            "count",
            "the most on one host is 2",
        ),
        (
            booking_body(GPU, 1, &day_after(-1), 10, 2),
            "start_hour",
            "has passed",
        ),
        (
            booking_body(GPU, 1, &tomorrow, 10, 0),
            "hours",
            "from 1 to 336",
        ),
        (
            booking_body(GPU, 1, &day_after(60), 10, 2),
            "hours",
            "56 days ahead",
        ),
        (
            booking_body(GPU, 1, "next tuesday", 10, 2),
            "date",
            "YYYY-MM-DD",
        ),
    ];
    for (body, field, says) in bad {
        let (status, e) = book(&a, mine, body.clone()).await;
        assert_eq!(status, 422, "{body} → {e}");
        let message = e["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {field} says {e}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings").await, 0);
    let (status, _) = book(&p, mine, booking_body(GPU, 1, &tomorrow, 10, 2)).await;
    assert_eq!(status, 403, "a partner cannot book");
    let (status, _) = book(&b, mine, booking_body(GPU, 1, &tomorrow, 10, 2)).await;
    assert_eq!(status, 403, "only the project's members book for it");

    // Two hours of one GPU tomorrow: within the limits, confirmed at once.
    let (status, made) = book(&a, mine, booking_body(GPU, 1, &tomorrow, 10, 2)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["state"], "confirmed");
    assert_eq!(
        made["ends_at"].as_i64().unwrap() - made["starts_at"].as_i64().unwrap(),
        7200
    );
    assert_eq!(made["devices"], json!(["dc1-gpu-01:0"]));
    let id = made["id"].as_i64().unwrap();

    // The other project wants both GPUs over that time: one is held, so refused with numbers.
    let (status, e) = book(&b, theirs, booking_body(GPU, 2, &tomorrow, 11, 2)).await;
    assert_eq!(status, 422);
    let why = e["error"]["fields"]["start_hour"].as_str().unwrap();
    assert!(why.contains("The most free on one host then is 1"), "{why}");
    let (status, other) = book(&b, theirs, booking_body(GPU, 1, &tomorrow, 11, 2)).await;
    assert_eq!(status, 201, "the second GPU is free: {other}");
    assert_eq!(other["devices"], json!(["dc1-gpu-01:1"]));
    let (status, _) = book(&b, theirs, booking_body(GPU, 1, &tomorrow, 11, 1)).await;
    assert_eq!(status, 422, "both GPUs are held from 11:00 to 12:00");

    // Thirty hours is longer than the 24 a booking may last without asking: an operator decides.
    let (status, long) = book(&a, mine, booking_body(GPU, 1, &day_after(3), 0, 30)).await;
    assert_eq!(status, 201, "{long}");
    assert_eq!(long["state"], "awaiting_approval");
    assert!(long["reason"]
        .as_str()
        .unwrap()
        .contains("30 hours is longer than the 24 hours"));
    let long_id = long["id"].as_i64().unwrap();
    let (status, _) = api(
        &app,
        Method::POST,
        &format!("/api/v1/bookings/{long_id}/approve"),
        &a,
        None,
    )
    .await;
    assert_eq!(status, 403, "nobody approves their own booking");
    let (status, approved) = api(
        &app,
        Method::POST,
        &format!("/api/v1/bookings/{long_id}/approve"),
        &o,
        None,
    )
    .await;
    assert_eq!(
        (status, approved["state"].as_str()),
        (200, Some("confirmed"))
    );
    let told: i64 = count(
        &app,
        &format!(
        "SELECT COUNT(*) FROM notifications WHERE user_id = {alice} AND subject LIKE '%confirmed%'"
    ),
    )
    .await;
    assert_eq!(told, 1, "the person who booked is told");

    // Moving: someone else's booking cannot be moved; one's own can, within what is free.
    let change = json!({"count": 1, "date": tomorrow, "start_hour": 14, "hours": 3});
    let (status, _) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/bookings/{id}"),
        &b,
        Some(change.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, moved) = api(
        &app,
        Method::PUT,
        &format!("/api/v1/bookings/{id}"),
        &a,
        Some(change),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        moved["ends_at"].as_i64().unwrap() - moved["starts_at"].as_i64().unwrap(),
        3 * 3600
    );
    // Its old slot is free again: bob's project can have both GPUs at 10:00.
    let (status, _) = book(&b, theirs, booking_body(GPU, 1, &tomorrow, 10, 1)).await;
    assert_eq!(status, 201);

    // Cancelling frees the devices; a cancelled booking changes no more.
    let cancel = format!("/api/v1/bookings/{id}/cancel");
    let (status, cancelled) = api(&app, Method::POST, &cancel, &a, None).await;
    assert_eq!(
        (status, cancelled["state"].as_str()),
        (200, Some("cancelled"))
    );
    let (status, e) = api(&app, Method::POST, &cancel, &a, None).await;
    assert_eq!(status, 422, "{e}");
    let (status, list) = api(
        &app,
        Method::GET,
        &format!("/api/v1/projects/{mine}/bookings"),
        &a,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let audited = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'booking'",
    )
    .await;
    assert_eq!(audited, 7, "every change is audited");

    // Operators set a project's limits; a booking beyond them then waits for a decision.
    let limits = format!("/api/v1/projects/{mine}/booking-limits");
    let (status, l) = api(&app, Method::GET, &limits, &a, None).await;
    assert_eq!(
        (status, &l["default"], &l["longest_hours"]),
        (200, &json!(true), &json!(24))
    );
    let tight = json!({"hours_per_week": 100, "longest_hours": 1, "ahead_days": 56});
    let (status, _) = api(&app, Method::PUT, &limits, &a, Some(tight.clone())).await;
    assert_eq!(status, 403, "only operators set limits");
    let zero = json!({"hours_per_week": 100, "longest_hours": 0, "ahead_days": 56});
    let (status, e) = api(&app, Method::PUT, &limits, &o, Some(zero)).await;
    assert_eq!(status, 422);
    assert!(e["error"]["fields"]["longest_hours"]
        .as_str()
        .unwrap()
        .contains("from 1 to 336"));
    let (status, l) = api(&app, Method::PUT, &limits, &o, Some(tight)).await;
    assert_eq!(
        (status, &l["default"], &l["longest_hours"]),
        (200, &json!(false), &json!(1))
    );
    let (_, two) = book(&a, mine, booking_body(GPU, 1, &day_after(2), 20, 2)).await;
    assert_eq!(two["state"], "awaiting_approval");
    assert!(
        two["reason"]
            .as_str()
            .unwrap()
            .contains("2 hours is longer than the 1 hour a booking may last"),
        "{two}"
    );
}

both_backends!(bookings_are_made_checked_moved_and_cancelled);

/// The lifecycle sweep reminds the person who booked an hour before the start, once, and half
/// an hour after the start releases a booking its project is not using, saying why; a booking
/// whose project runs a workspace with accelerators then is kept.
async fn unused_bookings_are_released_after_half_an_hour(backend: Backend) {
    use campus_core::services::bookings::{self as service, Swept};
    let app = TestApp::spawn(backend).await;
    gpu_host(&app).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let project = app.project("Language models", alice, &[]).await;
    let token = token_for(&app, "alice").await;
    let path = format!("/api/v1/projects/{project}/bookings");
    let tomorrow = day_after(1);
    let (_, idle) = api(
        &app,
        Method::POST,
        &path,
        &token,
        Some(booking_body(GPU, 1, &tomorrow, 10, 2)),
    )
    .await;
    let (_, busy) = api(
        &app,
        Method::POST,
        &path,
        &token,
        Some(booking_body(GPU, 1, &tomorrow, 14, 2)),
    )
    .await;
    let starts = |b: &Value| b["starts_at"].as_i64().unwrap();
    let sweep = |at: i64| {
        let db = app.db.clone();
        async move { service::sweep(&db, at).await.unwrap() }
    };
    let reminded = format!(
        "SELECT COUNT(*) FROM notifications WHERE user_id = {alice} AND subject LIKE '%starts soon%'"
    );
    assert_eq!(sweep(starts(&idle) - 3601).await, Swept::default());
    assert_eq!(
        sweep(starts(&idle) - 3600).await,
        Swept {
            reminded: 1,
            released: 0
        }
    );
    assert_eq!(
        sweep(starts(&idle) - 1800).await,
        Swept::default(),
        "reminded once"
    );
    assert_eq!(count(&app, &reminded).await, 1);

    assert_eq!(sweep(starts(&idle) + 1799).await, Swept::default());
    assert_eq!(
        sweep(starts(&idle) + 1800).await,
        Swept {
            reminded: 0,
            released: 1
        }
    );
    let (_, released) = api(
        &app,
        Method::GET,
        &format!("/api/v1/bookings/{}", idle["id"]),
        &token,
        None,
    )
    .await;
    assert_eq!(released["state"], "released");
    assert!(released["reason"].as_str().unwrap().contains(
        "no workspace of the project with accelerators was running 30 minutes after it started"
    ));
    let told = count(&app, &format!("SELECT COUNT(*) FROM notifications WHERE user_id = {alice} AND subject LIKE '%released%'")).await;
    assert_eq!(told, 1);

    // The other booking's project runs a GPU workspace by then: it is kept.
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let (status, r) = api(
        &app,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        &token,
        Some(json!({"offering_id": gpu, "size": "one-gpu", "end_date": "2030-01-31", "purpose": "Fine-tuning"})),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    // Stands in for the workspace being up: the sweep reads only the resource's state.
    sqlx::query("UPDATE resources SET state = 'active' WHERE id = $1")
        .bind(r["request"]["id"].as_i64().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        sweep(starts(&busy) - 3600).await,
        Swept {
            reminded: 1,
            released: 0
        }
    );
    assert_eq!(sweep(starts(&busy) + 1800).await, Swept::default());
    let (_, kept) = api(
        &app,
        Method::GET,
        &format!("/api/v1/bookings/{}", busy["id"]),
        &token,
        None,
    )
    .await;
    assert_eq!(kept["state"], "confirmed");
    assert_eq!(
        sweep(starts(&busy) + 3600).await,
        Swept::default(),
        "checked once"
    );
}

both_backends!(unused_bookings_are_released_after_half_an_hour);

/// The address in the account page's one-time panel.
fn shown_calendar(body: &str) -> Option<String> {
    let at = body.find("id=\"new-calendar\"")?;
    let rest = &body[at..];
    let start = rest.find('>')? + 1;
    let end = rest[start..].find('<')?;
    Some(rest[start..start + end].to_owned())
}

/// A person's calendar address shows their projects' bookings to any calendar program, with no
/// session; it is shown once, replaced by a new one, and stops when they stop it.
async fn a_calendar_address_shows_a_persons_bookings_until_stopped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    gpu_host(&app).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("carol", &[Role::Staff]).await;
    let project = app.project("Language models", alice, &[bob]).await;
    let token = token_for(&app, "alice").await;
    let (status, made) = api(
        &app,
        Method::POST,
        &format!("/api/v1/projects/{project}/bookings"),
        &token,
        Some(booking_body(GPU, 1, &day_after(1), 10, 2)),
    )
    .await;
    assert_eq!(status, 201);

    let address_for = |who: &'static str| {
        let app = &app;
        async move {
            let c = app.browser_for(who).await;
            let r = crate::support::post(&c, app, "/account/calendar", &[]).await;
            assert_eq!(crate::support::location(&r), "/account#calendar");
            let (_, body) = crate::support::page(&c, app, "/account").await;
            let address = shown_calendar(&body).expect("the address is shown");
            let (_, again) = crate::support::page(&c, app, "/account").await;
            assert!(shown_calendar(&again).is_none(), "shown once");
            assert!(again.contains("You have a calendar address, made"));
            (c, address)
        }
    };
    let fetch = |address: String| async move {
        let r = crate::support::client().get(&address).send().await.unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, kind, r.text().await.unwrap())
    };

    let (bob_browser, first) = address_for("bob").await;
    assert!(first.starts_with(&app.url("/calendar/ccal_")), "{first}");
    let (status, kind, ics) = fetch(first.clone()).await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/calendar; charset=utf-8")
    );
    assert!(
        ics.contains(&format!("UID:booking-{}@campus-portal", made["id"])),
        "{ics}"
    );
    assert!(
        ics.contains("SUMMARY:1 × NVIDIA A100 80GB for Language models"),
        "{ics}"
    );
    let start =
        time::OffsetDateTime::from_unix_timestamp(made["starts_at"].as_i64().unwrap()).unwrap();
    assert!(ics.contains(&format!(
        "DTSTART:{:04}{:02}{:02}T100000Z",
        start.year(),
        u8::from(start.month()),
        start.day()
    )));

    // Someone outside the project sees none of its bookings in theirs.
    let (carol_browser, carols) = address_for("carol").await;
    let (_, _, ics) = fetch(carols.clone()).await;
    assert!(!ics.contains("BEGIN:VEVENT"), "{ics}");
    // Signing out everywhere stops it, as it revokes tokens.
    crate::support::post(&carol_browser, &app, "/account/sign-out-everywhere", &[]).await;
    assert_eq!(fetch(carols).await.0, 404);

    // A new address replaces the old; stopping ends it; made-up ones open nothing.
    let r = crate::support::post(&bob_browser, &app, "/account/calendar", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, body) = crate::support::page(&bob_browser, &app, "/account").await;
    let second = shown_calendar(&body).unwrap();
    assert_eq!(fetch(first).await.0, 404, "the old address stopped");
    assert_eq!(fetch(second.clone()).await.0, 200);
    crate::support::post(&bob_browser, &app, "/account/calendar/stop", &[]).await;
    assert_eq!(fetch(second).await.0, 404);
    assert_eq!(fetch(app.url("/calendar/ccal_made-up")).await.0, 404);
    assert_eq!(fetch(app.url("/calendar/cpat_not-a-calendar")).await.0, 404);
}

both_backends!(a_calendar_address_shows_a_persons_bookings_until_stopped);
