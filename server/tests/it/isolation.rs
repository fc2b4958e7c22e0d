//! Attacks from inside a workload. A person's workspace runs a probe program (probe.py), which
//! tries to reach what the portal and other people hold; each test asserts how each attempt
//! ended. Every attack here succeeded before workloads ran sandboxed under their own identity.

use crate::both_backends;
use crate::support::{page, request, Backend, TestApp};
use base64::Engine;
use campus_core::domain::Role;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const PROBE: &str = include_str!("probe.py");

/// Environment strings only the portal's own process holds (cargo sets the first for every
/// test binary; scripts/test exports the second).
const PORTAL_MARKERS: [&str; 2] = ["CARGO_MANIFEST_DIR=", "TEST_POSTGRES_URL="];

/// What a workload's environment may hold: nothing else of the portal's reaches it.
const WORKLOAD_ENV: [&str; 12] = [
    "HOME",
    "USER",
    "LOGNAME",
    "PATH",
    "LANG",
    "TMPDIR",
    "SHELL",
    "PORT",
    "BASE_URL",
    "CAMPUS_RESOURCE",
    "JUPYTER_TOKEN",
    "PWD",
];

/// Makes the offering `slug` run the probe with these attempts; returns its id.
pub async fn use_probe(app: &TestApp, slug: &str, attempts: &Value) -> i64 {
    let b64 = base64::engine::general_purpose::STANDARD;
    let command = json!([
        "python3",
        "-c",
        format!(
            "import base64;exec(base64.b64decode('{}'))",
            b64.encode(PROBE)
        ),
        "{port}",
        b64.encode(attempts.to_string()),
    ])
    .to_string();
    set_command(app, slug, &command).await
}

/// Stores an offering's command as an operator's change would, and has the portal look again at
/// whether it can start (as it does every minute); returns the offering's id.
async fn set_command(app: &TestApp, slug: &str, command: &str) -> i64 {
    sqlx::query("UPDATE offerings SET command = $1 WHERE slug = $2")
        .bind(command)
        .bind(slug)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let programs = server::provision::availability::programs(&app.config.provisioning.workloads);
    server::provision::availability::check(&app.db, &programs)
        .await
        .unwrap();
    app.offering_id(slug).await
}

/// The resource's address as the probe should try it: `unix:<path>` or `host:port`.
async fn endpoint_of(app: &TestApp, id: i64) -> String {
    let e: String = sqlx::query_scalar("SELECT endpoint FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    e.split('+').next().unwrap().to_owned()
}

/// Files holding the portal's keys and its database: none may be readable from a workload.
fn portal_secrets(app: &TestApp) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Some(path) = app
        .config
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|p| p.split('?').next())
    {
        out.push(PathBuf::from(path));
    }
    out.push(app.resource_dir.join("postgres.key"));
    if let Ok(slurm_key) = std::env::var("SLURM_JWT_KEY_FILE") {
        out.push(PathBuf::from(slurm_key));
    }
    for f in std::fs::read_dir(&app.config.provisioning.workloads.private_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        out.push(f.path());
    }
    out
}

/// One person's JupyterLab workspace, another's probe in a workspace of a different project:
/// the probe finds nothing of the portal and nothing of the first person's.
async fn a_workspace_reaches_nothing_of_the_portal_or_of_other_people(backend: Backend) {
    probe_from_a_workspace(TestApp::spawn(backend).await, None).await
}

/// The same, with both workspaces as jobs on the cluster, each as its owner's account.
async fn a_cluster_job_reaches_nothing_of_the_portal_or_of_other_people(backend: Backend) {
    probe_from_a_workspace(slurm_app(backend).await, None).await
}

/// A portal that does not run as root (the embedded default on a laptop) cannot give anyone
/// a uid of their own, but still runs every workload in a user-namespace sandbox: the probe
/// runs as the portal's uid and still finds nothing of the portal or of anyone else.
async fn a_portal_that_is_not_root_still_sandboxes_every_workload(backend: Backend) {
    const LAPTOP: u32 = 65_000;
    let app = TestApp::spawn_with(
        backend,
        crate::support::Options {
            run_worker: false,
            ..Default::default()
        },
    )
    .await;
    // Everything the worker touches belongs to the laptop's user, as it would there.
    let mut theirs = vec![
        app.resource_dir.clone(),
        app.config.provisioning.workloads.private_dir.clone(),
    ];
    if let Some(db) = app.config.database_url.strip_prefix("sqlite://") {
        theirs.push(
            PathBuf::from(db.split('?').next().unwrap())
                .parent()
                .unwrap()
                .to_owned(),
        );
    }
    for dir in &theirs {
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("chown")
            .args(["-R", &format!("{LAPTOP}:{LAPTOP}")])
            .arg(dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
    // Installed where that user can read it, as it would be on their laptop (a checkout in
    // root's home is closed to everyone else): the server and, beside it, the gate.
    let bin = app.config.provisioning.workloads.private_dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for exe in [
        env!("CARGO_BIN_EXE_server"),
        env!("CARGO_BIN_EXE_campus-gate"),
    ] {
        let to = bin.join(Path::new(exe).file_name().unwrap());
        std::fs::copy(exe, &to).unwrap();
        std::os::unix::fs::chown(&to, Some(LAPTOP), Some(LAPTOP)).unwrap();
    }
    std::os::unix::fs::chown(&bin, Some(LAPTOP), Some(LAPTOP)).unwrap();
    let server = bin.join("server").display().to_string();
    let worker = std::process::Command::new("setpriv")
        .args([
            &format!("--reuid={LAPTOP}"),
            &format!("--regid={LAPTOP}"),
            "--clear-groups",
            &server,
            "worker",
        ])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .envs(app.worker_env.iter().map(|(k, v)| (k, v)))
        .env("CAMPUS_GATE", bin.join("campus-gate"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _worker = KillOnDrop(worker);
    probe_from_a_workspace(app, Some(LAPTOP)).await
}

/// Ends a child process when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `portal_uid`: the uid the worker runs as when it is not root (then the workload shares it,
/// inside its own user namespace); None when it is root and each person has their own.
async fn probe_from_a_workspace(app: TestApp, portal_uid: Option<u32>) {
    let slurm = app.config.provisioning.slurm.is_some();
    if !slurm {
        app.add_big_host().await;
    }
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    if slurm {
        app.map_account(alice, "campus-a").await;
        app.map_account(bob, "campus-b").await;
    }
    let alices = app.project("Alice's work", alice, &[]).await;
    let bobs = app.project("Bob's work", bob, &[]).await;
    // A key file the portal keeps beside its data, as the project database key once was.
    std::fs::create_dir_all(&app.resource_dir).unwrap();
    std::fs::write(app.resource_dir.join("postgres.key"), "a key").unwrap();

    let b = app.browser_for("bob").await;
    let lab = app.offering_id("jupyterlab").await;
    let bobs_lab = request(&app, &b, bobs, &format!("{lab}:small"), "private").await;
    app.wait_for_state(bobs_lab, "active", 60).await;
    let bobs_files = app.resource_dir.join(format!("cp-{bobs_lab}/files"));
    let bobs_endpoint = endpoint_of(&app, bobs_lab).await;
    // How the probe tries it: a socket's path, or a cluster gate's address.
    let bobs_address = bobs_endpoint
        .strip_prefix("gate:")
        .unwrap_or(&bobs_endpoint)
        .to_owned();

    // Bob's server answers nobody who comes round the proxy: not even the portal's own user
    // without the token only the proxy sends (locally), nor without the gate's secret (on a
    // node, where the gate speaks first and never lets an unanswered connection through).
    let direct = crate::support::raw_get(&bobs_address, "/api/contents").await;
    if slurm {
        assert!(
            !direct.contains("HTTP/"),
            "bob's gate let a stranger through: {direct}"
        );
    } else {
        assert!(
            direct.starts_with("HTTP/1.1 403") || direct.starts_with("HTTP/1.0 403"),
            "bob's JupyterLab answered a request without its token: {direct}"
        );
    }

    let victim = std::env::temp_dir().join(format!(
        "campus-victim-{alice}-{}",
        app.config.bind_addr.port()
    ));
    std::fs::create_dir_all(&victim).unwrap();
    let _ = std::fs::remove_file(victim.join("keep-me"));
    std::os::unix::fs::symlink("/etc/hostname", victim.join("keep-me")).unwrap();
    let secrets: Vec<String> = portal_secrets(&app)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let portal = app.config.bind_addr.to_string();
    let attempts = json!({
        "read": secrets,
        "list": [bobs_files.display().to_string()],
        "write": [bobs_files.display().to_string()],
        "connect": [bobs_address, portal, "127.0.0.1:5432"],
        "plant": [["datasets/evil", victim.display().to_string()]],
        "markers": PORTAL_MARKERS,
    });
    let probe = use_probe(&app, "vscode", &attempts).await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, alices, &format!("{probe}:small"), "private").await;
    app.wait_for_state(id, "active", 60).await;
    let (status, body) = page(&a, &app, &format!("/w/cp-{id}/")).await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    eprintln!("probe report: {report}");

    // Not the portal's user, nor root; or, where the portal is not root, the portal's uid in a
    // namespace of its own.
    let uid = report["uid"].as_u64().unwrap();
    match portal_uid {
        Some(portal) => assert_eq!(uid, u64::from(portal)),
        None => {
            // SAFETY: geteuid has no preconditions.
            let portal = u64::from(unsafe { libc::geteuid() });
            assert_ne!(uid, portal, "the workload runs as the portal's user");
        }
    }
    assert_ne!(uid, 0);
    // Its environment is the allow-list, and no environment it can read is the portal's.
    for name in report["env"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            WORKLOAD_ENV.contains(&name),
            "{name} reached the workload's environment"
        );
    }
    assert_eq!(report["environs_with_markers"], json!([]), "{report}");
    // Nothing of the portal's files exists there, nor bob's.
    for s in &secrets {
        assert_eq!(report["read"][s], "ENOENT", "{s}: {report}");
    }
    let bobs_files = bobs_files.display().to_string();
    assert_eq!(report["list"][&bobs_files], "ENOENT", "{report}");
    assert_eq!(report["write"][&bobs_files], "ENOENT", "{report}");
    assert!(!bobs_files_hold_probe(&app, bobs_lab));
    // Bob's server is not there to connect to, and no network reaches the portal or its
    // database.
    // (A socket's path is not there; a gate's address is another host to a sandbox, which
    // has no network.)
    let refused = if slurm { "ECONNREFUSED" } else { "ENOENT" };
    assert_eq!(report["connect"][&bobs_address], refused, "{report}");
    assert_eq!(report["connect"][&portal], "ECONNREFUSED", "{report}");
    assert_eq!(
        report["connect"]["127.0.0.1:5432"], "ECONNREFUSED",
        "{report}"
    );
    // The datasets folder is read-only by mount: nothing can be planted for the worker.
    assert_eq!(report["plant"]["datasets/evil"], "EROFS", "{report}");
    // And the worker's dataset upkeep touches nothing outside the workspace.
    server::provision::mounts::Mounts::new(
        &app.config.provisioning.resource_dir,
        &app.config.ingest.dataset_dir,
    )
    .sync(&app.db)
    .await
    .unwrap();
    assert!(
        std::fs::symlink_metadata(victim.join("keep-me")).is_ok(),
        "the worker removed a link outside the workspace"
    );
    let _ = std::fs::remove_dir_all(&victim);
}

fn bobs_files_hold_probe(app: &TestApp, id: i64) -> bool {
    Path::new(&app.resource_dir)
        .join(format!("cp-{id}/files/probe-was-here"))
        .exists()
}

both_backends!(
    a_workspace_reaches_nothing_of_the_portal_or_of_other_people,
    a_cluster_job_reaches_nothing_of_the_portal_or_of_other_people,
    a_portal_that_is_not_root_still_sandboxes_every_workload,
);

/// Makes the offering `slug` run `argv` (a test's own program); returns its id.
pub async fn use_command(app: &TestApp, slug: &str, argv: &[&str]) -> i64 {
    set_command(app, slug, &serde_json::to_string(argv).unwrap()).await
}

async fn slurm_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        crate::support::Options {
            slurm: true,
            ..Default::default()
        },
    )
    .await
}

/// Under Slurm the job runs on a node the portal does not control: whatever it writes about
/// where it listens is ignored. Here it names a server of the test's own, which must never
/// answer through the proxy.
async fn a_slurm_job_cannot_choose_where_the_proxy_forwards(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = slurm_app(backend).await;
    let canary = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let canary_port = canary.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = canary.accept().await {
            let _ = s
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\ncanary")
                .await;
        }
    });
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.map_account(alice, "campus-a").await;
    let project = app.project("Redirects", alice, &[]).await;
    // Every place a job could say where it listens, before and after the portal looks.
    let lie = format!(
        "for f in ../run/endpoint ../port ../run/port $HOME/../port; do \
         echo 127.0.0.1:{canary_port} > $f; done 2>/dev/null"
    );
    let script =
        format!("{lie}; (sleep 2; {lie}) & exec python3 -m http.server \"$0\" --bind 127.0.0.1");
    let service = use_command(&app, "web-service", &["sh", "-c", &script, "{port}"]).await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, project, &format!("{service}:small"), "private").await;
    app.wait_for_state(id, "active", 90).await;
    for _ in 0..10 {
        let (_, body) = page(&a, &app, &format!("/s/cp-{id}/")).await;
        assert!(
            !body.contains("canary"),
            "the proxy forwarded where the job said"
        );
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
}

/// A job that fails leaves its last words for the person who asked; a job that turns its log
/// into a link to the portal's own environment must not make the portal show that.
async fn a_slurm_job_cannot_make_the_portal_read_a_file_for_it(backend: Backend) {
    let app = slurm_app(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    app.map_account(alice, "campus-a").await;
    let project = app.project("Links", alice, &[]).await;
    let service = use_command(
        &app,
        "web-service",
        &[
            "sh",
            "-c",
            "for f in ../../$CAMPUS_RESOURCE.log ../log ../run/log $HOME/../log; do \
             rm -f $f; ln -s /proc/self/environ $f; done 2>/dev/null; echo last words; exit 1",
            "{port}",
        ],
    )
    .await;
    let a = app.browser_for("alice").await;
    let id = request(&app, &a, project, &format!("{service}:small"), "private").await;
    app.wait_for_state(id, "failed", 90).await;
    let reasons: Vec<String> =
        sqlx::query_scalar("SELECT note FROM resource_events WHERE resource_id = $1")
            .bind(id)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let (_, body) = page(&a, &app, &format!("/requests/{id}")).await;
    for text in reasons.iter().chain(std::iter::once(&body)) {
        for leak in ["PATH=", "HOME=", "CARGO", "\u{0}"] {
            assert!(!text.contains(leak), "the portal showed {leak:?}: {text}");
        }
    }
}

both_backends!(
    a_slurm_job_cannot_choose_where_the_proxy_forwards,
    a_slurm_job_cannot_make_the_portal_read_a_file_for_it,
);

/// Operators (and administrators) say whose Unix account is whose; each person has their own,
/// the name must be an account name and never root, and every change is audited.
async fn an_operator_maps_a_person_to_their_unix_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.create_user("alice", &[Role::Staff]).await;
    let bob = app.create_user("bob", &[Role::Staff]).await;
    app.create_user("omar", &[Role::Operator]).await;
    let o = app.browser_for("omar").await;
    let a = app.browser_for("alice").await;
    let path = format!("/admin/users/{alice}/unix-account");

    let r = crate::support::post(&a, &app, &path, &[("unix_account", "campus-a")]).await;
    assert_eq!(r.status().as_u16(), 403, "staff cannot map accounts");
    let (status, body) = page(&o, &app, &format!("/admin/users/{alice}")).await;
    assert_eq!(status, 200, "operators see the page");
    assert!(
        !body.contains("Save roles"),
        "but do not change roles: {body}"
    );

    for (bad, message) in [
        ("Root", "is not a Unix account name"),
        ("root", "Workloads never run as root"),
        ("a b", "is not a Unix account name"),
    ] {
        let r = crate::support::post(&o, &app, &path, &[("unix_account", bad)]).await;
        assert_eq!(
            crate::support::location(&r),
            format!("/admin/users/{alice}")
        );
        let (_, body) = page(&o, &app, &format!("/admin/users/{alice}")).await;
        assert!(body.contains(message), "{bad}: {body}");
    }
    let r = crate::support::post(&o, &app, &path, &[("unix_account", "campus-a")]).await;
    assert_eq!(
        crate::support::location(&r),
        format!("/admin/users/{alice}")
    );
    let r = crate::support::post(
        &o,
        &app,
        &format!("/admin/users/{bob}/unix-account"),
        &[("unix_account", "campus-a")],
    )
    .await;
    assert_eq!(crate::support::location(&r), format!("/admin/users/{bob}"));
    let (_, body) = page(&o, &app, &format!("/admin/users/{bob}")).await;
    assert!(
        body.contains("campus-a is already the account of someone else"),
        "{body}"
    );
    let account = |id: i64| {
        let db = app.db.clone();
        async move {
            campus_core::store::users::find(&db, id)
                .await
                .unwrap()
                .unwrap()
                .unix_account
        }
    };
    assert_eq!(account(alice).await.as_deref(), Some("campus-a"));
    assert_eq!(account(bob).await, None);
    // Emptied, the mapping goes.
    crate::support::post(&o, &app, &path, &[("unix_account", "")]).await;
    assert_eq!(account(alice).await, None);
    assert_eq!(
        crate::support::count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.unix_account'"
        )
        .await,
        2
    );
}

both_backends!(an_operator_maps_a_person_to_their_unix_account);

/// What would let a workload run unisolated stops the start with the reason: no bubblewrap,
/// or a uid range that holds ids this machine's accounts use.
async fn a_portal_that_cannot_isolate_workloads_does_not_start(backend: Backend) {
    let (url, _tmp) = crate::support::fresh_database(backend).await;
    let start = |cfg: server::config::Config| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        match server::startup::Application::build_on(cfg, listener).await {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    };
    let mut cfg = crate::support::config(url.clone(), 0);
    cfg.provisioning.workloads.bwrap = "/nonexistent/bwrap".into();
    let why = start(cfg).await;
    assert!(
        why.contains("workloads cannot be isolated") && why.contains("bubblewrap"),
        "{why}"
    );
    // `nobody` (65534) is in every Debian's /etc/passwd.
    let mut cfg = crate::support::config(url.clone(), 0);
    cfg.provisioning.workloads.uid_base = 65_500;
    cfg.provisioning.workloads.uid_count = 100;
    let why = start(cfg).await;
    assert!(
        why.contains("holds ids this machine's accounts or groups already use"),
        "{why}"
    );
    let mut cfg = crate::support::config(url, 0);
    cfg.provisioning.workloads.uid_base = 500;
    let private = cfg.provisioning.workloads.private_dir.clone();
    let why = start(cfg).await;
    assert!(why.contains("among the system's own accounts"), "{why}");
    let _ = std::fs::remove_dir_all(private);
}

both_backends!(a_portal_that_cannot_isolate_workloads_does_not_start);
