//! Reliability: a worker killed with SIGKILL at each point of a provisioning, stop and removal,
//! round after round. A fresh worker then finishes everything, and every external effect exists
//! exactly once: one process (or one Slurm job) per running resource, one directory, and nothing
//! of a removed one. The worker is the real `server worker` binary in its own process; the crash
//! points are `CAMPUS_CRASH_AT` (server/src/failpoint.rs).

use crate::both_backends;
use crate::support::{count, location, slurm_env, Backend, Options, TestApp};
use campus_core::domain::Role;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds over the provisioning points: each kills one worker.
const ROUNDS: usize = 2;
use server::failpoint::PROVISIONING as PROVISION_POINTS;

/// Where the workers of one test app write their log (warnings and the crash points reached).
fn log_path(app: &TestApp) -> String {
    format!("/tmp/crash-{}.log", app.base.rsplit(':').next().unwrap())
}

/// The workers' last log lines without colour codes, for a failure's message.
fn log_tail(app: &TestApp) -> String {
    let text = std::fs::read_to_string(log_path(app)).unwrap_or_default();
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape sequence runs to its final letter.
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let lines: Vec<&str> = plain
        .lines()
        .filter(|l| !l.starts_with("Provisioning worker running"))
        .collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn worker(app: &TestApp, crash_at: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.arg("worker")
        .envs(app.worker_env.iter().map(|(k, v)| (k, v)))
        // A short lease, so the next worker need not wait the standard 30 s for a dead one's.
        .env("WORKER_LEASE_SECS", "2")
        .env("RUST_LOG", "warn")
        .stderr(Stdio::null())
        .stdout(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log_path(app))
                .unwrap(),
        );
    match crash_at {
        Some(p) => cmd.env("CAMPUS_CRASH_AT", p),
        None => cmd.env_remove("CAMPUS_CRASH_AT"),
    };
    cmd.spawn().expect("the server binary runs")
}

/// Runs a worker that must die at `point`; fails if it never gets there.
async fn crash_at(app: &TestApp, point: &str) {
    let mut w = worker(app, Some(point));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = w.try_wait().unwrap() {
            assert_eq!(
                status.signal(),
                Some(9),
                "the worker died at {point} by SIGKILL: {status:?}\n{}",
                log_tail(app)
            );
            return;
        }
        if Instant::now() > deadline {
            let _ = w.kill();
            panic!(
                "the worker never reached the crash point {point}\n{}",
                log_tail(app)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn state(app: &TestApp, id: i64) -> String {
    sqlx::query_scalar("SELECT state FROM resources WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Runs a healthy worker until every resource is in its wanted state, then kills it too.
async fn finish(app: &TestApp, wanted: &[(i64, &str)]) {
    let mut w = worker(app, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut pending = Vec::new();
        for (id, s) in wanted {
            let now = state(app, *id).await;
            if now != *s {
                pending.push((*id, now, *s));
            }
        }
        if pending.is_empty() {
            break;
        }
        if Instant::now() > deadline || pending.iter().any(|(_, now, _)| now == "failed") {
            let _ = w.kill();
            let mut history = Vec::new();
            for (id, _, _) in &pending {
                history.push(
                    campus_core::store::resources::events(&app.db, *id)
                        .await
                        .unwrap(),
                );
            }
            panic!("not finished: {pending:?}: {history:?}\n{}", log_tail(app));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    w.kill().unwrap();
    w.wait().unwrap();
}

/// The processes on this machine launched for a resource (their environment names its
/// directory).
/// Running sandboxes of a resource: its processes carrying the launch's marker (bubblewrap and
/// the sandbox's init both do), counted by session, as each launch makes its own.
fn processes_of(dir: &std::path::Path) -> usize {
    let marker = format!("CAMPUS_RESOURCE_DIR={}", dir.display());
    let mut sessions: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            let zombie = std::fs::read_to_string(e.path().join("stat"))
                .map(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('Z'))
                        .unwrap_or(true)
                })
                .unwrap_or(true);
            !zombie
                && std::fs::read(e.path().join("environ"))
                    .map(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
                    .unwrap_or(false)
        })
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        // SAFETY: getsid(2) has no preconditions.
        .map(|pid| unsafe { libc::getsid(pid) })
        .filter(|sid| *sid > 0)
        .collect();
    sessions.sort_unstable();
    sessions.dedup();
    sessions.len()
}

/// Live Slurm jobs with this name, as Slurm's own `squeue` lists them.
fn slurm_jobs_of(job_name: &str) -> usize {
    let out = Command::new("squeue")
        .env("SLURM_CONF", slurm_env("SLURM_CONF"))
        .args([
            "-h",
            "-n",
            job_name,
            "-t",
            "PENDING,CONFIGURING,RUNNING",
            "-o",
            "%i",
        ])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

struct Effects<'a> {
    app: &'a TestApp,
    slurm_prefix: Option<String>,
}

impl Effects<'_> {
    /// How many running copies the engine has of a workspace or service.
    fn running(&self, id: i64) -> usize {
        match &self.slurm_prefix {
            Some(prefix) => slurm_jobs_of(&format!("{prefix}cp-{id}")),
            None => processes_of(&self.app.resource_dir.join(format!("cp-{id}"))),
        }
    }
    fn directory(&self, id: i64) -> bool {
        self.app.resource_dir.join(format!("cp-{id}")).exists()
    }
}

async fn request(app: &TestApp, c: &reqwest::Client, project: i64, choice: &str) -> i64 {
    let r = c
        .post(app.url(&format!("/projects/{project}/requests")))
        .form(&[
            ("choice", choice),
            ("end_date", "2030-06-30"),
            ("purpose", "Crash test"),
            ("visibility", "project"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    location(&r).rsplit('/').next().unwrap().parse().unwrap()
}

async fn action(app: &TestApp, c: &reqwest::Client, id: i64, what: &str) {
    let r = c
        .post(app.url(&format!("/requests/{id}/actions/{what}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

async fn killed_workers_leave_every_resource_once(backend: Backend, slurm: bool) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            run_worker: false,
            slurm,
            ..Default::default()
        },
    )
    .await;
    app.add_big_host().await;
    let effects = Effects {
        app: &app,
        slurm_prefix: slurm.then(|| format!("t{}-", app.base.rsplit(':').next().unwrap())),
    };
    let alice = app.create_user("alice", &[Role::Staff]).await;
    if slurm {
        app.map_account(alice, "campus-a").await;
    }
    let a = app.browser_for("alice").await;
    let service = app.offering_id("web-service").await;
    let storage = app.offering_id("dataset-storage").await;

    let mut services = Vec::new();
    let mut stores = Vec::new();
    for round in 0..ROUNDS {
        for point in PROVISION_POINTS {
            let project = app
                .project(&format!("Crash {round} {point}"), alice, &[])
                .await;
            let s = request(&app, &a, project, &format!("{service}:small")).await;
            let d = request(&app, &a, project, &format!("{storage}:100gb")).await;
            crash_at(&app, point).await;
            finish(&app, &[(s, "active"), (d, "active")]).await;
            services.push(s);
            stores.push(d);
        }
    }
    for &s in &services {
        assert_eq!(
            effects.running(s),
            1,
            "cp-{s} runs exactly once\n{}",
            log_tail(&app)
        );
        assert!(effects.directory(s));
    }
    for &d in &stores {
        assert!(app.resource_dir.join(format!("cp-{d}/files")).is_dir());
    }

    // Stop half the services and remove the rest (and every store), killing a worker at the
    // stop and removal points each time.
    let (to_stop, to_remove) = services.split_at(services.len() / 2);
    for (i, &s) in to_stop.iter().enumerate() {
        action(&app, &a, s, "stop").await;
        if i % 2 == 0 {
            crash_at(&app, "stopping").await;
        }
        finish(&app, &[(s, "stopped")]).await;
        assert_eq!(
            effects.running(s),
            0,
            "cp-{s} no longer runs\n{}",
            log_tail(&app)
        );
        assert!(effects.directory(s), "a stopped service keeps its files");
    }
    for (i, &r) in to_remove.iter().chain(stores.iter()).enumerate() {
        action(&app, &a, r, "decommission").await;
        if i % 2 == 0 {
            crash_at(&app, "destroying").await;
        }
        finish(&app, &[(r, "decommissioned")]).await;
        assert_eq!(
            effects.running(r),
            0,
            "cp-{r} no longer runs\n{}",
            log_tail(&app)
        );
        assert!(!effects.directory(r), "nothing of cp-{r} is left");
    }

    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM jobs WHERE state = 'running'").await,
        0,
        "no job stays claimed"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'").await,
        0,
        "no job gave up"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM resources WHERE state NOT IN ('active', 'stopped', 'decommissioned')").await,
        0,
        "every request reached a final state"
    );
    // Clean up the stopped services' files and processes.
    for &s in to_stop {
        action(&app, &a, s, "decommission").await;
    }
    finish(
        &app,
        &to_stop
            .iter()
            .map(|&s| (s, "decommissioned"))
            .collect::<Vec<_>>(),
    )
    .await;
}

async fn killed_local_workers_leave_every_resource_once(backend: Backend) {
    killed_workers_leave_every_resource_once(backend, false).await
}
both_backends!(killed_local_workers_leave_every_resource_once);

async fn killed_slurm_workers_leave_every_job_once(backend: Backend) {
    killed_workers_leave_every_resource_once(backend, true).await
}
both_backends!(killed_slurm_workers_leave_every_job_once);
