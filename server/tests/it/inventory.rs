//! The inventory as operators keep it: hosts and devices added, changed, drained, returned and
//! retired through the API and the page, each audited, with bad input and unsafe changes
//! refused by field and nothing changed.

use crate::both_backends;
use crate::support::{api, count, location, page, post, token_for, Backend, Options, TestApp};
use campus_core::domain::Role;
use campus_core::store::inventory;
use reqwest::Method;
use serde_json::{json, Value};

const H100: &str = "NVIDIA H100 80GB";

fn host_body(name: &str, cores: u32) -> Value {
    json!({"site": "DC1", "name": name, "cores": cores, "mhz_per_core": 2600,
           "ram_gb": 256, "storage_gb": 4000})
}

async fn operators_keep_the_inventory(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            run_worker: false,
            ..Options::default()
        },
    )
    .await;
    inventory::insert_site(&app.db, "DC1", "Data centre 1")
        .await
        .unwrap();
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Vision", alice, &[]).await;
    let (a, o) = (
        token_for(&app, "alice").await,
        token_for(&app, "omar").await,
    );
    let call = |token: &str, method: Method, path: &str, body: Option<Value>| {
        let (token, path) = (token.to_owned(), path.to_owned());
        let app = &app;
        async move { api(app, method, &path, &token, body).await }
    };
    let hosts_before = count(&app, "SELECT COUNT(*) FROM hosts").await;

    // Only operators see or change it.
    let (status, _) = call(&a, Method::GET, "/api/v1/inventory", None).await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &a,
        Method::POST,
        "/api/v1/inventory/hosts",
        Some(host_body("x", 8)),
    )
    .await;
    assert_eq!(status, 403);

    // Bad input: every wrong field named, nothing saved.
    let bad = json!({"site": "DC9", "name": "Big Box", "cores": 0, "mhz_per_core": 2600,
                     "ram_gb": 0, "storage_gb": 10});
    let (status, body) = call(&o, Method::POST, "/api/v1/inventory/hosts", Some(bad)).await;
    assert_eq!(status, 422, "{body}");
    for field in ["site", "name", "cores", "ram_gb"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM hosts").await,
        hosts_before
    );

    let (status, host) = call(
        &o,
        Method::POST,
        "/api/v1/inventory/hosts",
        Some(host_body("dc1-gpu-09", 32)),
    )
    .await;
    assert_eq!(status, 201, "{host}");
    let id = host["id"].as_i64().unwrap();
    assert_eq!(host["free"]["cores"], 32);
    let (status, body) = call(
        &o,
        Method::POST,
        "/api/v1/inventory/hosts",
        Some(host_body("dc1-gpu-09", 8)),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("already recorded"), "{body}");

    // A GPU added is bookable and counted.
    let device = json!({"kind": "gpu", "model": H100, "memory_gb": 80});
    let (status, host) = call(
        &o,
        Method::POST,
        &format!("/api/v1/inventory/hosts/{id}/devices"),
        Some(device),
    )
    .await;
    assert_eq!(status, 201, "{host}");
    assert_eq!(host["devices"][0]["model"], H100);
    assert_eq!(host["free"]["gpus"], 1);
    let (_, models) = call(&a, Method::GET, "/api/v1/accelerators", None).await;
    assert!(models.to_string().contains(H100), "{models}");

    // Work placed on it keeps it from shrinking below what runs.
    let (_, inv) = call(&o, Method::GET, "/api/v1/inventory", None).await;
    for h in inv["hosts"].as_array().unwrap() {
        if h["id"] != id {
            let path = format!("/api/v1/inventory/hosts/{}/drained", h["id"]);
            let (status, _) = call(&o, Method::PUT, &path, Some(json!({"drained": true}))).await;
            assert_eq!(status, 200);
        }
    }
    let ws = app.offering_id("jupyterlab").await;
    let request = json!({"offering_id": ws, "size": "large", "end_date": "2030-06-30",
                         "purpose": "Inventory"});
    let (status, made) = call(
        &a,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        Some(request.clone()),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["request"]["host"], "dc1-gpu-09");
    let (status, body) = call(
        &o,
        Method::PUT,
        &format!("/api/v1/inventory/hosts/{id}"),
        Some(host_body("dc1-gpu-09", 4)),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("holds 8 CPU cores now"), "{body}");
    let (status, host) = call(
        &o,
        Method::PUT,
        &format!("/api/v1/inventory/hosts/{id}"),
        Some(host_body("dc1-gpu-10", 48)),
    )
    .await;
    assert_eq!(status, 200, "{host}");
    assert_eq!(
        (host["name"].as_str(), host["cores"].as_u64()),
        (Some("dc1-gpu-10"), Some(48))
    );

    // Drained: nothing new placed or booked; not retired while work runs there.
    let drained = format!("/api/v1/inventory/hosts/{id}/drained");
    let (status, _) = call(&o, Method::PUT, &drained, Some(json!({"drained": true}))).await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &a,
        Method::POST,
        &format!("/api/v1/projects/{project}/requests"),
        Some(request),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.to_string().contains("no host is taking new work"),
        "{body}"
    );
    let booking = json!({"model": H100, "count": 1, "date": crate::bookings::day_after(2),
                         "start_hour": 9, "hours": 2, "purpose": "Fine-tuning"});
    let (status, _) = call(
        &a,
        Method::POST,
        &format!("/api/v1/projects/{project}/bookings"),
        Some(booking.clone()),
    )
    .await;
    assert_eq!(status, 422, "a drained host's GPU cannot be booked");
    let retire = format!("/api/v1/inventory/hosts/{id}/retire");
    let (status, body) = call(&o, Method::POST, &retire, None).await;
    assert_eq!(status, 422);
    assert!(
        body.to_string()
            .contains("1 workspace or web service still runs"),
        "{body}"
    );

    // A device booked ahead cannot be retired until the booking goes.
    let (status, _) = call(&o, Method::PUT, &drained, Some(json!({"drained": false}))).await;
    assert_eq!(status, 200);
    let (status, booked) = call(
        &a,
        Method::POST,
        &format!("/api/v1/projects/{project}/bookings"),
        Some(booking),
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let device_id = host["devices"][0]["id"].as_i64().unwrap();
    let retire_device = format!("/api/v1/inventory/devices/{device_id}/retire");
    let (status, body) = call(&o, Method::POST, &retire_device, None).await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("1 booking still holds"), "{body}");
    let (status, _) = call(
        &a,
        Method::POST,
        &format!("/api/v1/bookings/{}/cancel", booked["id"]),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, host) = call(&o, Method::POST, &retire_device, None).await;
    assert_eq!(status, 200, "{host}");
    assert_eq!(host["devices"].as_array().unwrap().len(), 0);
    assert_eq!(host["free"]["gpus"], 0);

    // Drained and empty: retired, gone from the inventory, kept for the records.
    sqlx::query("UPDATE resources SET state = 'decommissioned'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, _) = call(&o, Method::PUT, &drained, Some(json!({"drained": true}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&o, Method::POST, &retire, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &o,
        Method::GET,
        &format!("/api/v1/inventory/hosts/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM hosts WHERE retired_at IS NOT NULL"
        )
        .await,
        1
    );
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'inventory.%' AND object_id = $1 \
         AND object_type = 'host' ORDER BY id",
    )
    .bind(id.to_string())
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            "inventory.host.add",
            "inventory.host.edit",
            "inventory.host.drain",
            "inventory.host.return",
            "inventory.host.drain",
            "inventory.host.retire"
        ]
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('inventory.device.add', 'inventory.device.retire')"
        )
        .await,
        2
    );

    // The page: plain forms, refusals named beside the field, nothing saved.
    let c = app.browser_for("omar").await;
    let r = post(
        &c,
        &app,
        "/operations/inventory/hosts",
        &[
            ("site", "DC1"),
            ("name", "dc1-cpu-20"),
            ("cores", "lots"),
            ("mhz_per_core", "2500"),
            ("ram_gb", "128"),
            ("storage_gb", "100"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/operations/inventory");
    let (status, body) = page(&c, &app, "/operations/inventory").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Enter the number of CPU cores as a whole number"),
        "the reason is shown"
    );
    assert!(
        body.contains(r#"value="dc1-cpu-20""#),
        "what was typed is kept"
    );
    assert!(!body.contains("dc1-gpu-10"), "a retired host is not listed");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM hosts WHERE name = 'dc1-cpu-20'").await,
        0
    );
    let r = post(
        &c,
        &app,
        "/operations/inventory/hosts",
        &[
            ("site", "DC1"),
            ("name", "dc1-cpu-20"),
            ("cores", "16"),
            ("mhz_per_core", "2500"),
            ("ram_gb", "128"),
            ("storage_gb", "100"),
        ],
    )
    .await;
    let to = location(&r);
    assert!(to.starts_with("/operations/inventory/hosts/"), "{to}");
    let (_, body) = page(&c, &app, &to).await;
    assert!(body.contains("Host dc1-cpu-20") && body.contains("Add a device"));
    let a_page = app.browser_for("alice").await;
    let (status, _) = page(&a_page, &app, "/operations/inventory").await;
    assert_eq!(status, 403, "staff do not see the inventory page");
}
both_backends!(operators_keep_the_inventory);
