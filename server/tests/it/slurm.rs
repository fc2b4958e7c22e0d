//! The Slurm driver against a real single-node Slurm (scripts/slurm: slurmctld, slurmd with two
//! fake GPUs, slurmrestd with JWT auth). What the portal did is checked with Slurm's own
//! command-line tools, not through the driver.

use crate::both_backends;
use crate::support::{id_from, location, page, post, slurm_env, Backend, Options, TestApp};
use campus_core::domain::Role;
use std::time::{Duration, Instant};

/// `squeue` lines for one job name: id, state, user, CPUs, memory, GRES per node.
fn squeue(job_name: &str) -> Vec<Vec<String>> {
    let out = std::process::Command::new("squeue")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .args(["-h", "-n", job_name, "-o", "%i|%T|%u|%C|%m|%b"])
        .output()
        .expect("squeue runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}

/// Live (pending, configuring or running) jobs of a name: cancelled ones linger a while.
fn live(job_name: &str) -> Vec<Vec<String>> {
    squeue(job_name)
        .into_iter()
        .filter(|j| matches!(j[1].as_str(), "PENDING" | "CONFIGURING" | "RUNNING"))
        .collect()
}

async fn wait_until_no_live_job(job_name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !live(job_name).is_empty() {
        assert!(
            Instant::now() < deadline,
            "{job_name} still runs: {:?}",
            squeue(job_name)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn external_id(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT external_id FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn slurm_app(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            slurm: true,
            ..Default::default()
        },
    )
    .await;
    // The worker reads Slurm's nodes as it starts: the inventory is the cluster's.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let hosts =
            campus_core::store::inventory::list_hosts(&mut app.db.pool.acquire().await.unwrap())
                .await
                .unwrap();
        if let Some(node) = hosts.iter().find(|h| h.site_code == "SLURM") {
            assert_eq!(
                (node.cores, node.ram_gb, node.gpus),
                (128, 256, 4),
                "{node:?}"
            );
            assert_eq!(node.gpu_model, "fake");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Slurm's nodes never reached the inventory: {hosts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let prefix = app
        .base
        .rsplit(':')
        .next()
        .map(|port| format!("t{port}-"))
        .unwrap();
    (app, prefix)
}

/// A JupyterLab workspace as a Slurm job: submitted with the size asked for, answering through
/// the proxy, cancelled on stop, a new job on start, nothing left after removal.
async fn a_jupyterlab_workspace_runs_as_a_slurm_job_through_its_whole_life(backend: Backend) {
    let (app, prefix) = slurm_app(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.map_account(alice, "campus-a").await;
    let project = app.project("Cluster notebooks", alice, &[]).await;
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
    let job_name = format!("{prefix}cp-{id}");
    app.wait_for_state(id, "active", 90).await;

    let jobs = live(&job_name);
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    let job = &jobs[0];
    assert_eq!(
        job[0],
        external_id(&app, id).await,
        "the job id is recorded"
    );
    assert_eq!(job[1], "RUNNING");
    assert_eq!(job[2], "campus-a", "the job runs as alice's own account");
    assert_eq!(job[3], "2", "the small size's 2 cores");
    assert_eq!(job[4], "8G", "the small size's 8 GB");

    // Free capacity comes from Slurm: a job the portal did not start takes cores from it.
    let outsider = format!("{prefix}outsider");
    let submitted = std::process::Command::new("sbatch")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .args([
            "-J",
            &outsider,
            "-p",
            &slurm_env("SLURM_PARTITION"),
            "-c",
            "20",
        ])
        .args([
            "--mem=1G",
            "--time=3",
            "-o",
            "/dev/null",
            "--wrap",
            "sleep 170",
        ])
        .output()
        .expect("sbatch runs");
    assert!(submitted.status.success(), "{submitted:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while live(&outsider).first().map(|j| j[1].as_str()) != Some("RUNNING") {
        assert!(
            Instant::now() < deadline,
            "the outside job never ran: {:?}",
            squeue(&outsider)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let databases = server::provision::databases(&app.config.provisioning).unwrap();
    server::provision::worker::Worker::new(
        app.db.clone(),
        server::provision::from_config(&app.config.provisioning, databases).unwrap(),
        Duration::from_secs(5),
    )
    .sync_nodes()
    .await
    .unwrap();
    let omar = app.create_user("omar", &[Role::Operator]).await;
    let operator = campus_core::services::accounts::actor(&app.db, omar)
        .await
        .unwrap();
    let o = campus_core::services::operations::overview(&app.db, operator.as_ref())
        .await
        .unwrap();
    let node = o.hosts.iter().find(|h| h.site_code == "SLURM").unwrap();
    // The portal itself holds 2 cores here, so without Slurm's figure 126 would be free. Other
    // tests' jobs share the node, so only a bound can be asserted.
    assert!(node.alloc_cores >= 20, "{node:?}");
    assert!(
        o.free.cores <= 128 - 20,
        "Slurm has the outsider's 20 cores allocated: {} free",
        o.free.cores
    );
    std::process::Command::new("scancel")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .args(["-n", &outsider])
        .status()
        .unwrap();

    let (status, body) = page(&a, &app, &format!("/w/cp-{id}/lab")).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<title>JupyterLab</title>"),
        "{}",
        &body[..body.len().min(400)]
    );
    // Someone else gets a refusal, not the workspace.
    app.create_user("bob", &[Role::Staff]).await;
    let (status, _) = page(
        &app.browser_for("bob").await,
        &app,
        &format!("/w/cp-{id}/lab"),
    )
    .await;
    assert_eq!(status, 403);

    post(&a, &app, &format!("/requests/{id}/actions/stop"), &[]).await;
    app.wait_for_state(id, "stopped", 30).await;
    wait_until_no_live_job(&job_name).await;
    let (status, _) = page(&a, &app, &format!("/w/cp-{id}/lab")).await;
    assert_eq!(status, 409, "a stopped workspace gets a page saying so");

    let first = job[0].clone();
    post(&a, &app, &format!("/requests/{id}/actions/start"), &[]).await;
    app.wait_for_state(id, "active", 90).await;
    let jobs = live(&job_name);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_ne!(jobs[0][0], first, "starting again submits a new job");
    let (status, _) = page(&a, &app, &format!("/w/cp-{id}/lab")).await;
    assert_eq!(status, 200);

    post(
        &a,
        &app,
        &format!("/requests/{id}/actions/decommission"),
        &[],
    )
    .await;
    app.wait_for_state(id, "decommissioned", 30).await;
    wait_until_no_live_job(&job_name).await;
    assert!(
        !app.resource_dir.join(format!("cp-{id}")).exists(),
        "its directory is gone"
    );
}

both_backends!(a_jupyterlab_workspace_runs_as_a_slurm_job_through_its_whole_life);

/// A GPU workspace needs an operator; once approved, its job asks Slurm for the GPU (GRES).
/// A program that is not installed fails as a job, and the person is told why.
async fn gpus_become_gres_and_a_failed_job_says_why(backend: Backend) {
    let (app, prefix) = slurm_app(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.map_account(alice, "campus-a").await;
    app.create_user("omar", &[Role::Operator]).await;
    let project = app.project("Deep learning", alice, &[]).await;
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let a = app.browser_for("alice").await;
    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{gpu}:one-gpu")),
            ("end_date", "2030-01-01"),
            ("purpose", "Training"),
        ],
    )
    .await;
    let id = id_from(&location(&r));
    let o = app.browser_for("omar").await;
    post(
        &o,
        &app,
        &format!("/requests/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    app.wait_for_state(id, "active", 90).await;
    let jobs = live(&format!("{prefix}cp-{id}"));
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0][3], "8");
    assert!(
        jobs[0][5].contains("gpu:1"),
        "the job asks for one GPU: {:?}",
        jobs[0]
    );
    post(
        &a,
        &app,
        &format!("/requests/{id}/actions/decommission"),
        &[],
    )
    .await;
    app.wait_for_state(id, "decommissioned", 30).await;
    wait_until_no_live_job(&format!("{prefix}cp-{id}")).await;

    // A program that fails on its node: the person is told, in its own last words.
    let failing = crate::isolation::use_command(
        &app,
        "web-service",
        &[
            "sh",
            "-c",
            "echo the data file is missing >&2; exit 3",
            "{port}",
        ],
    )
    .await;
    let r = post(
        &a,
        &app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", &format!("{failing}:small")),
            ("end_date", "2030-01-01"),
            ("purpose", "A service"),
        ],
    )
    .await;
    let id = id_from(&location(&r));
    app.wait_for_state(id, "failed", 90).await;
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    assert!(body.contains("the Slurm job ended: FAILED"), "{body}");
    assert!(
        body.contains("the data file is missing"),
        "the reason is the program's own: {body}"
    );
    assert!(body.contains("Try again"));
    assert!(live(&format!("{prefix}cp-{id}")).is_empty());
    assert!(
        !app.resource_dir.join(format!("cp-{id}")).exists(),
        "nothing is left behind"
    );
}

both_backends!(gpus_become_gres_and_a_failed_job_says_why);

/// On the cluster a job runs as its owner's own account: someone with none mapped is refused
/// with the reason, never run as a shared account.
async fn a_person_with_no_unix_account_is_refused_on_the_cluster(backend: Backend) {
    let (app, prefix) = slurm_app(backend).await;
    let carol = app.create_user("carol", &[Role::Staff]).await;
    let project = app.project("Unmapped", carol, &[]).await;
    let lab = app.offering_id("jupyterlab").await;
    let c = app.browser_for("carol").await;
    let id = crate::support::request(&app, &c, project, &format!("{lab}:small"), "private").await;
    app.wait_for_state(id, "failed", 60).await;
    let (_, body) = page(&c, &app, &format!("/requests/{id}")).await;
    assert!(
        body.contains("carol has no Unix account on the cluster"),
        "{body}"
    );
    assert!(
        live(&format!("{prefix}cp-{id}")).is_empty(),
        "no job was submitted"
    );
}

both_backends!(a_person_with_no_unix_account_is_refused_on_the_cluster);

/// `scontrol -o show reservation <name>` as its fields; None when Slurm has no such reservation.
fn reservation(name: &str) -> Option<std::collections::HashMap<String, String>> {
    let out = std::process::Command::new("scontrol")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .env("TZ", "UTC")
        .args(["-o", "show", "reservation", name])
        .output()
        .expect("scontrol runs");
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.starts_with("ReservationName=") {
        return None;
    }
    Some(
        text.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

async fn wait_for_reservation(
    name: &str,
    what: &str,
    ok: impl Fn(&Option<std::collections::HashMap<String, String>>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = reservation(name);
        if ok(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "{name}: never {what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A booking is a real Slurm reservation on the node that holds its device, for the project's
/// accounts, and follows the booking when it moves and when it is cancelled; a reservation Slurm
/// refuses refuses the booking with Slurm's reason.
async fn a_booking_is_a_slurm_reservation_that_follows_it(backend: Backend) {
    let (app, prefix) = slurm_app(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.map_account(alice, "campus-a").await;
    let project = app.project("Cluster bookings", alice, &[]).await;
    let token = crate::support::token_for(&app, "alice").await;
    // The two backends' runs share the cluster: each books a day of its own.
    let day = crate::bookings::day_after(match backend {
        Backend::Sqlite => 2,
        Backend::Postgres => 3,
    });
    let node = hostname();
    let (status, made) = crate::support::api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/projects/{project}/bookings"),
        &token,
        Some(
            serde_json::json!({"model": "fake", "count": 1, "date": day, "start_hour": 10,
            "hours": 2, "purpose": "Training on the cluster"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["state"], "confirmed");
    let id = made["id"].as_i64().unwrap();
    let name = format!("{prefix}cp-booking-{id}");
    wait_for_reservation(&name, "made", |r| r.is_some()).await;
    let r = reservation(&name).unwrap();
    assert_eq!(r["StartTime"], format!("{day}T10:00:00"));
    assert_eq!(r["EndTime"], format!("{day}T12:00:00"));
    assert_eq!(r["Nodes"], node);
    assert_eq!(r["Users"], "campus-a");
    assert_eq!(
        r["CoreCnt"], "32",
        "one of the node's four GPUs: a quarter of its 128 cores"
    );
    let booking = format!("/api/v1/bookings/{id}");
    let (_, seen) = crate::support::api(&app, reqwest::Method::GET, &booking, &token, None).await;
    assert_eq!(seen["reserved_on_cluster"], true, "{seen}");

    // Moved: the reservation is made again for the new window.
    let (status, moved) = crate::support::api(
        &app,
        reqwest::Method::PUT,
        &booking,
        &token,
        Some(serde_json::json!({"count": 1, "date": day, "start_hour": 13, "hours": 3})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let (start, end) = (format!("{day}T13:00:00"), format!("{day}T16:00:00"));
    wait_for_reservation(&name, "moved", |r| {
        r.as_ref()
            .is_some_and(|r| r["StartTime"] == start && r["EndTime"] == end)
    })
    .await;

    // Cancelled: the reservation goes.
    let (status, _) = crate::support::api(
        &app,
        reqwest::Method::POST,
        &format!("{booking}/cancel"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    wait_for_reservation(&name, "removed", |r| r.is_none()).await;

    // Slurm refuses a reservation for an account it does not know: the booking is refused, and
    // the person who booked sees Slurm's reason.
    let ghost = app.create_user("ghost", &[Role::Staff]).await;
    app.map_account(ghost, "campus-nobody").await;
    let haunted = app.project("Unknown account", ghost, &[]).await;
    let ghost_token = crate::support::token_for(&app, "ghost").await;
    let (status, made) = crate::support::api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/projects/{haunted}/bookings"),
        &ghost_token,
        Some(
            serde_json::json!({"model": "fake", "count": 1, "date": day, "start_hour": 18,
            "hours": 1, "purpose": "Refused by Slurm"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let path = format!("/api/v1/bookings/{}", made["id"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, b) =
            crate::support::api(&app, reqwest::Method::GET, &path, &ghost_token, None).await;
        if b["state"] == "refused" {
            let why = b["reason"].as_str().unwrap();
            assert!(
                why.contains("the cluster could not reserve it") && why.contains("Invalid user"),
                "{why}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never refused: {b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(reservation(&format!("{prefix}cp-booking-{}", made["id"])).is_none());

    // A booking under way: its reservation starts now, and a GPU workspace the project starts
    // in it runs in the reservation, with a time limit that ends with the booking.
    let now = time::OffsetDateTime::now_utc();
    let (status, under_way) = crate::support::api(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/projects/{project}/bookings"),
        &token,
        Some(serde_json::json!({"model": "fake", "count": 1,
            "date": crate::bookings::day_after(0), "start_hour": now.hour(), "hours": 2,
            "purpose": "Training now"})),
    )
    .await;
    assert_eq!(status, 201, "{under_way}");
    let name = format!("{prefix}cp-booking-{}", under_way["id"]);
    wait_for_reservation(&name, "active", |r| {
        r.as_ref().is_some_and(|r| r["State"] == "ACTIVE")
    })
    .await;
    app.create_user("omar", &[Role::Operator]).await;
    let a = app.browser_for("alice").await;
    let gpu = app.offering_id("gpu-jupyterlab").await;
    let id = crate::support::request(&app, &a, project, &format!("{gpu}:one-gpu"), "private").await;
    let o = app.browser_for("omar").await;
    post(
        &o,
        &app,
        &format!("/requests/{id}/decision"),
        &[("decision", "approve")],
    )
    .await;
    app.wait_for_state(id, "active", 90).await;
    let out = std::process::Command::new("squeue")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .args(["-h", "-n", &format!("{prefix}cp-{id}"), "-o", "%v|%l"])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (in_reservation, limit) = line.split_once('|').unwrap_or_default();
    assert_eq!(in_reservation, name, "{line}");
    let seconds: Vec<u64> = limit.split(':').map(|n| n.parse().unwrap()).collect();
    assert!(
        seconds.len() == 3 && seconds[0] * 3600 + seconds[1] * 60 + seconds[2] <= 7200,
        "the job ends when the booking does, within two hours: {limit}"
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

both_backends!(a_booking_is_a_slurm_reservation_that_follows_it);

fn hostname() -> String {
    let out = std::process::Command::new("hostname")
        .arg("-s")
        .output()
        .expect("hostname runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
