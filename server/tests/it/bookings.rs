//! Accelerator bookings in the database: however many people race for one device's slot, at
//! most one booking holds it (PostgreSQL's exclusion constraint; SQLite's single writer).

use crate::both_backends;
use crate::support::{count, Backend, TestApp};
use campus_core::accelerators::bookings::Window;
use campus_core::domain::Role;
use campus_core::store::bookings::{self, Hold, NewBooking, NewDevice};
use campus_core::store::inventory;

// Monday 2026-12-07 00:00 UTC, in whole hours from here.
const MONDAY: i64 = 1_796_601_600;

fn hours(from: i64, to: i64) -> Window {
    Window {
        start: MONDAY + from * 3600,
        end: MONDAY + to * 3600,
    }
}

async fn gpu_host(app: &TestApp) -> Vec<i64> {
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
                bookings::hold(&db, &booking(project, who, window), &[device])
                    .await
                    .unwrap()
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
        async move {
            bookings::hold(&db, &booking(project, who, window), &on)
                .await
                .unwrap()
        }
    };
    // The other GPU is free then; the first is free from the hour the booking ends ([start, end)).
    assert!(matches!(
        try_hold(hours(10, 11), vec![devices[1]]).await,
        Hold::Made(_)
    ));
    let taken = bookings::taken(&app.db, &devices, hours(0, 24))
        .await
        .unwrap();
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
    let cancel = || bookings::end(&app.db, made[0], "cancelled", "", MONDAY);
    assert!(cancel().await.unwrap());
    assert!(!cancel().await.unwrap(), "only a live booking ends");
    assert!(matches!(
        try_hold(hours(10, 11), vec![devices[0]]).await,
        Hold::Made(_)
    ));
}

both_backends!(racing_bookings_of_one_device_leave_exactly_one);
