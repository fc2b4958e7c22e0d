//! Test harness: the real router on an ephemeral port with a fresh database on either backend,
//! a cookie-keeping client that does not follow redirects, and a real OIDC provider when asked.
#![allow(dead_code)]

use campus_core::domain::{Role, RoleSet};
use campus_core::services::accounts::{self, NewAccount};
use campus_core::Db;
use reqwest::redirect::Policy;
use server::config::{Config, OidcConfig};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario once per backend: `both_backends!(name);` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                $crate::support::run(super::$name($crate::support::Backend::Sqlite))
            }
            #[test]
            fn postgres() {
                $crate::support::run(super::$name($crate::support::Backend::Postgres))
            }
        }
    )*};
}

/// The longest any scenario may take. A scenario that hangs (a CI run once waited on one until
/// the job's own limit) then fails with its name instead of stalling the whole suite.
pub const SCENARIO_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs one scenario on its own two-thread runtime, within [`SCENARIO_LIMIT`], and bounds the
/// runtime's shutdown too: a blocking task that never returns must not hold the suite.
pub fn run(scenario: impl std::future::Future<Output = ()>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a test runtime");
    let finished = rt.block_on(async { tokio::time::timeout(SCENARIO_LIMIT, scenario).await });
    rt.shutdown_timeout(std::time::Duration::from_secs(10));
    if finished.is_err() {
        panic!(
            "the scenario did not finish within {} s",
            SCENARIO_LIMIT.as_secs()
        );
    }
}

pub const PASSWORD: &str = "a long enough test password";

pub struct TestApp {
    pub base: String,
    /// The configuration the app was started with.
    pub config: Config,
    pub db: Db,
    pub client: reqwest::Client,
    pub oidc: Option<OidcProvider>,
    /// Where the local driver keeps resources for this app.
    pub resource_dir: std::path::PathBuf,
    /// The environment that makes `server worker` work for this app (database, driver).
    pub worker_env: Vec<(String, String)>,
    pub clamd: Option<Clamd>,
    _tmp: Option<TempDir>,
    /// Before the directories go: what the test's workloads left running.
    _workloads: Workloads,
    _resources: TempDir,
    _private: TempDir,
}

/// Ends every workload a test app started when the test ends, whether or not the test removed
/// them: sandboxes on this machine (found by the marker their launch carries) and, for a Slurm
/// app, jobs named with its prefix. Left running, they would hold the node's cores and the
/// machine's memory for later tests.
struct Workloads {
    resource_dir: std::path::PathBuf,
    slurm_prefix: Option<String>,
}

impl Drop for Workloads {
    fn drop(&mut self) {
        let marker = format!("CAMPUS_RESOURCE_DIR={}/", self.resource_dir.display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|p| p.parse::<i32>().ok())
            else {
                continue;
            };
            let ours = std::fs::read(entry.path().join("environ"))
                .map(|env| {
                    env.split(|b| *b == 0)
                        .any(|kv| kv.starts_with(marker.as_bytes()))
                })
                .unwrap_or(false);
            if ours {
                // SAFETY: getsid(2) and kill(2) on a process this test app launched.
                unsafe {
                    let sid = libc::getsid(pid);
                    if sid > 1 {
                        libc::kill(-sid, libc::SIGKILL);
                    }
                }
            }
        }
        if let (Some(prefix), Ok(conf)) = (&self.slurm_prefix, std::env::var("SLURM_CONF")) {
            let out = std::process::Command::new("squeue")
                .env("SLURM_CONF", &conf)
                .args(["-h", "-o", "%i %j"])
                .output();
            let ids: Vec<String> = out
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once(' '))
                .filter(|(_, name)| name.starts_with(prefix.as_str()))
                .map(|(id, _)| id.to_owned())
                .collect();
            if !ids.is_empty() {
                let _ = std::process::Command::new("scancel")
                    .env("SLURM_CONF", &conf)
                    .args(&ids)
                    .status();
            }
            // Booking reservations the test left: they would hold the node's cores.
            let out = std::process::Command::new("scontrol")
                .env("SLURM_CONF", &conf)
                .args(["-o", "show", "reservation"])
                .output();
            let text = out
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            for name in text
                .lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter_map(|f| f.strip_prefix("ReservationName="))
                .filter(|n| n.starts_with(prefix.as_str()))
            {
                let _ = std::process::Command::new("scontrol")
                    .env("SLURM_CONF", &conf)
                    .args(["delete", &format!("ReservationName={name}")])
                    .status();
            }
        }
    }
}

/// What to remove when a test is done: a SQLite folder, or a PostgreSQL database.
pub enum TempDir {
    Folder(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for TempDir {
    fn drop(&mut self) {
        match self {
            TempDir::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TempDir::Postgres { admin_url, name } => {
                // Drop runs outside async code: use a thread with its own small runtime.
                let (url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(db) = Db::connect(&url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&db.pool)
                            .await;
                            db.pool.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

pub async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("campus-test-{}", random_suffix()));
            std::fs::create_dir_all(&dir).unwrap();
            (
                format!("sqlite://{}/portal.db?mode=rwc", dir.display()),
                Some(TempDir::Folder(dir)),
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("campus_test_{}", random_suffix());
            let db = Db::connect(&admin)
                .await
                .expect("PostgreSQL for tests (TEST_POSTGRES_URL) is reachable");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&db.pool)
                .await
                .unwrap();
            db.pool.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            (
                format!("{base}/{name}"),
                Some(TempDir::Postgres {
                    admin_url: admin,
                    name,
                }),
            )
        }
    }
}

/// Starts a server process on a free loopback port and returns once that very process listens
/// there. A port found free can be taken by another test's process before the child binds it;
/// then the child exits (or would answer nobody) and it is started again on another port.
pub async fn start_listening(
    what: &str,
    spawn: impl Fn(u16) -> tokio::process::Child,
) -> (u16, tokio::process::Child) {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = spawn(port);
        for _ in 0..400 {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if child.id().is_some_and(|pid| listens_on(pid, port)) {
                return (port, child);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let _ = child.kill().await;
    }
    panic!("{what} did not start listening on loopback in five tries");
}

/// Whether process `pid` holds a socket listening on 127.0.0.1:`port` (from /proc).
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let wanted = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() > 9 && f[1] == wanted && f[3] == "0A")
        .map(|f| format!("socket:[{}]", f[9]))
        .collect();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|l| inodes.iter().any(|i| l.as_os_str() == i.as_str()))
            })
        })
        .unwrap_or(false)
}

/// The PostgreSQL server tests make databases on, as a role that may create them.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub struct Options {
    /// Send email to an SMTP server on this loopback port.
    pub smtp_port: Option<u16>,
    pub oidc: bool,
    pub body_limit: usize,
    pub demo: bool,
    /// Provision through the single-node Slurm that scripts/slurm starts.
    pub slurm: bool,
    /// Run the worker inside the app (false: the test runs `server worker` itself).
    pub run_worker: bool,
    /// Make project databases on the test PostgreSQL server.
    pub databases: bool,
    /// Scan uploads with a clamd of this test's own, loaded with the test signature database.
    pub clamd: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            smtp_port: None,
            oidc: false,
            body_limit: 64 * 1024,
            demo: false,
            slurm: false,
            run_worker: true,
            databases: false,
            clamd: false,
        }
    }
}

/// Workloads as the portal runs them: sandboxed, as their owner, with this app's own key.
fn workloads(port: u16) -> server::config::WorkloadConfig {
    let private_dir = std::env::temp_dir().join(format!("campus-private-{port}"));
    server::config::WorkloadConfig {
        key: server::config::private_key(&private_dir, "workload.key", "PRIVATE_DIR")
            .expect("a workload key"),
        private_dir,
        uid_base: 200_000,
        uid_count: 100_000,
        tools_dir: server::config::default_tools_dir(),
        bwrap: "/usr/bin/bwrap".into(),
        gate: env!("CARGO_BIN_EXE_campus-gate").into(),
    }
}

pub fn config(database_url: String, port: u16) -> Config {
    Config {
        database_url,
        bind_addr: format!("127.0.0.1:{port}").parse().unwrap(),
        public_url: format!("http://127.0.0.1:{port}"),
        apps: server::gateway::apps_domain::AppsDomain::new(
            &format!("http://127.0.0.1:{port}"),
            None,
        )
        .unwrap(),
        site_root: concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").into(),
        demo_content: false,
        oidc: None,
        session_idle_minutes: 30,
        session_absolute_hours: 12,
        body_limit_bytes: 64 * 1024,
        log_json: false,
        throttle: Default::default(),
        token_lifetime: Default::default(),
        trusted_proxies: vec![],
        provisioning: server::config::ProvisioningConfig {
            driver: "local".into(),
            resource_dir: std::env::temp_dir()
                .join(format!("campus-resources-{port}"))
                .display()
                .to_string(),
            workloads: workloads(port),
            run_worker: true,
            worker_concurrency: 2,
            ready_timeout_secs: 20,
            lease_secs: 30,
            slurm: None,
            databases: None,
            snapshot_max_bytes: 1024 * 1024,
        },
        mail: None,
        ingest: server::config::IngestConfig {
            dataset_dir: std::env::temp_dir()
                .join(format!("campus-resources-{port}/datasets"))
                .display()
                .to_string(),
            clamd_addr: None,
            max_file_bytes: 1024 * 1024,
        },
    }
}

/// A real clamd on loopback with only the project's test signatures (EICAR), stopped on drop.
pub struct Clamd {
    pub addr: String,
    child: tokio::process::Child,
    dir: std::path::PathBuf,
}

impl Clamd {
    pub async fn start() -> Clamd {
        let bin = ["/usr/sbin/clamd", "/usr/bin/clamd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("clamd is installed (scripts/test installs Debian's clamav-daemon)");
        let dir_for = |port: u16| std::env::temp_dir().join(format!("campus-clamd-{port}"));
        let (port, child) = start_listening("clamd", |port| {
            let dir = dir_for(port);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::copy(
                concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clamav/campus-test.ndb"),
                dir.join("campus-test.ndb"),
            )
            .unwrap();
            std::fs::write(
                dir.join("clamd.conf"),
                format!(
                    "TCPAddr 127.0.0.1\nTCPSocket {port}\nForeground true\nDatabaseDirectory {}\n",
                    dir.display()
                ),
            )
            .unwrap();
            tokio::process::Command::new(bin)
                .arg("-c")
                .arg(dir.join("clamd.conf"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .await;
        Clamd {
            addr: format!("127.0.0.1:{port}"),
            child,
            dir: dir_for(port),
        }
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        // Waited for, so a test that drops the scanner finds its port closed straight after.
        let _ = self.child.start_kill();
        for _ in 0..200 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, opts: Options) -> TestApp {
        // TEST_LOG=1 shows the apps' logs (filtered by RUST_LOG) when chasing a failure.
        if std::env::var_os("TEST_LOG").is_some() {
            server::telemetry::init(false);
        }
        let (url, tmp) = fresh_database(backend).await;
        // Held from here until the app serves on it: a port only looked up and released can be
        // handed to the OIDC provider (or another test) that starts in between.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the app");
        let port = listener.local_addr().unwrap().port();
        let mut cfg = config(url, port);
        cfg.body_limit_bytes = opts.body_limit;
        cfg.demo_content = opts.demo;
        cfg.mail = opts.smtp_port.map(|port| server::mail::MailConfig {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "Campus Portal <portal@campus.invalid>".into(),
            public_url: cfg.public_url.clone(),
        });
        let oidc = if opts.oidc {
            let p = OidcProvider::start(&format!("{}/auth/oidc/callback", cfg.public_url)).await;
            cfg.oidc = Some(OidcConfig {
                issuer: p.issuer.clone(),
                client_id: "campus-portal".into(),
                client_secret: "campus-portal-test-secret".into(),
                role_map: server::config::parse_role_map(server::config::DEFAULT_ROLE_MAP).unwrap(),
                unix_account_claim: Some("unix_account".into()),
                resync_minutes: 15,
            });
            Some(p)
        } else {
            None
        };
        if opts.slurm {
            use_slurm(&mut cfg, port);
        }
        if opts.databases {
            cfg.provisioning.databases = Some(server::config::DatabasesConfig {
                admin_url: postgres_admin_url(),
                // Tests share one server: the port keeps their databases apart.
                prefix: format!("t{port}_"),
                key: b"a test key for database passwords".to_vec(),
                host_for_users: None,
            });
        }
        let clamd = if opts.clamd {
            let c = Clamd::start().await;
            cfg.ingest.clamd_addr = Some(c.addr.clone());
            Some(c)
        } else {
            None
        };
        cfg.provisioning.run_worker = opts.run_worker;
        let worker_env = worker_env(&cfg);
        let config = cfg.clone();
        let cfg_private_dir = cfg.provisioning.workloads.private_dir.clone();
        let slurm_prefix = cfg
            .provisioning
            .slurm
            .as_ref()
            .map(|s| s.job_prefix.clone());
        let base = cfg.public_url.clone();
        let resource_dir = std::path::PathBuf::from(&cfg.provisioning.resource_dir);
        let app = server::startup::Application::build_on(cfg, listener)
            .await
            .expect("the app starts");
        let db = app.db.clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            base,
            config,
            db,
            client: client(),
            oidc,
            _workloads: Workloads {
                resource_dir: resource_dir.clone(),
                slurm_prefix: slurm_prefix.clone(),
            },
            _resources: TempDir::Folder(resource_dir.clone()),
            _private: TempDir::Folder(cfg_private_dir),
            resource_dir,
            worker_env,
            clamd,
            _tmp: tmp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Maps a person to a Unix account (as an operator would on their page).
    pub async fn map_account(&self, user_id: i64, account: &str) {
        let mut conn = self.db.pool.acquire().await.unwrap();
        campus_core::store::users::set_unix_account(&mut conn, user_id, Some(account))
            .await
            .unwrap();
    }

    pub async fn create_user(&self, username: &str, roles: &[Role]) -> i64 {
        accounts::create_local_account(
            &self.db,
            NewAccount {
                username,
                display_name: &format!("{username} Tester"),
                email: &format!("{username}@example.org"),
                password: PASSWORD,
                roles: RoleSet::new(roles.iter().copied()),
            },
        )
        .await
        .unwrap()
    }

    /// Makes a running web service public the one way there is: its requester sends its files
    /// for an output check and two output checkers from outside the project approve. The
    /// service must have files to check.
    pub async fn release(&self, id: i64, requester: &str) {
        use campus_core::output_checks::review::{State, Verdict};
        use campus_core::services::output_checks as checks;
        let actor = |name: String| async move {
            let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                .bind(&name)
                .fetch_one(&self.db.pool)
                .await
                .unwrap();
            accounts::actor(&self.db, id).await.unwrap().unwrap()
        };
        let by = actor(requester.to_owned()).await;
        let check = server::provision::snapshot::submit_for_check(
            &self.db,
            &self.config.provisioning,
            &by,
            id,
            vec![checked_output()],
        )
        .await
        .unwrap();
        let mut state = State::Submitted;
        for checker in [
            format!("release-checker-a-{id}"),
            format!("release-checker-b-{id}"),
        ] {
            self.create_user(&checker, &[Role::OutputChecker]).await;
            state = checks::decide(
                &self.db,
                Some(&actor(checker).await),
                check,
                &Verdict::Approve,
            )
            .await
            .unwrap();
        }
        assert_eq!(state, State::Approved);
        // Approval restarts it from the checked snapshot.
        self.wait_for_jobs(id, 60).await;
    }

    /// Signs in through the local sign-in form and checks it worked.
    pub async fn sign_in(&self, username: &str) {
        let r = self
            .post_form(
                "/auth/local/sign-in",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/", "signing in as {username} should succeed");
    }
}

impl TestApp {
    /// A separate browser, signed in as `username`.
    pub async fn browser_for(&self, username: &str) -> reqwest::Client {
        let c = client();
        let r = c
            .post(self.url("/auth/local/sign-in"))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/", "signing in as {username} should succeed");
        c
    }

    /// A project led by `lead_id`, with the given other members.
    pub async fn project(&self, name: &str, lead_id: i64, members: &[i64]) -> i64 {
        use campus_core::store::projects;
        let id = projects::insert(
            &self.db,
            projects::NewProject {
                name,
                summary: "A project for tests.",
                lead_id,
                end_date: "2030-12-31",
            },
        )
        .await
        .unwrap();
        let mut conn = self.db.pool.acquire().await.unwrap();
        for m in members {
            projects::add_member(&mut conn, id, *m, lead_id)
                .await
                .unwrap();
        }
        id
    }

    /// Adds a large host, so tests do not depend on the size of the machine they run on.
    pub async fn add_big_host(&self) {
        use campus_core::store::inventory;
        let site = inventory::insert_site(&self.db, "TEST", "Test site")
            .await
            .unwrap();
        inventory::insert_host(
            &self.db,
            inventory::NewHost {
                site_id: site,
                name: "big-01",
                cores: 64,
                mhz_per_core: 2500,
                ram_gb: 512,
                storage_gb: 10_000,
                gpus: 2,
                gpu_model: "test",
            },
        )
        .await
        .unwrap();
    }

    pub async fn offering_id(&self, slug: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM offerings WHERE slug = $1")
            .bind(slug)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// Polls until the resource reaches `state`, or panics with its history after `secs`.
    pub async fn wait_for_state(&self, id: i64, state: &str, secs: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let now: String = sqlx::query_scalar("SELECT state FROM resources WHERE id = $1")
                .bind(id)
                .fetch_one(&self.db.pool)
                .await
                .unwrap();
            if now == state {
                return;
            }
            if std::time::Instant::now() > deadline {
                let events = campus_core::store::resources::events(&self.db, id)
                    .await
                    .unwrap();
                panic!("resource {id} is {now}, not {state}, after {secs} s: {events:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Waits until no job for the resource is queued or running.
    pub async fn wait_for_jobs(&self, id: i64, secs: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while campus_core::store::jobs::pending_for(&self.db, id)
            .await
            .unwrap()
            .is_some()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "jobs for {id} still pending after {secs} s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

fn worker_env(cfg: &Config) -> Vec<(String, String)> {
    let p = &cfg.provisioning;
    let mut env = vec![
        ("DATABASE_URL", cfg.database_url.clone()),
        ("PROVISIONING_DRIVER", p.driver.clone()),
        ("RESOURCE_DIR", p.resource_dir.clone()),
        ("READY_TIMEOUT_SECS", p.ready_timeout_secs.to_string()),
        ("WORKER_CONCURRENCY", p.worker_concurrency.to_string()),
    ];
    let w = &p.workloads;
    env.extend([
        ("PRIVATE_DIR", w.private_dir.display().to_string()),
        ("WORKLOAD_TOOLS_DIR", w.tools_dir.display().to_string()),
        ("CAMPUS_GATE", w.gate.display().to_string()),
        ("BWRAP", w.bwrap.display().to_string()),
    ]);
    if let Some(s) = &p.slurm {
        env.extend([
            ("SLURM_REST_URL", s.url.clone()),
            ("SLURM_USER", s.user.clone()),
            ("SLURM_JWT_KEY_FILE", slurm_env("SLURM_JWT_KEY_FILE")),
            ("SLURM_PARTITION", s.partition.clone()),
            ("SLURM_JOB_PREFIX", s.job_prefix.clone()),
        ]);
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// What scripts/slurm printed, read from the environment scripts/test exports.
pub fn slurm_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the Slurm tests need the single-node cluster that scripts/test \
             starts (scripts/slurm up prints the variables)"
        )
    })
}

/// Points the app at the test cluster, with a resource directory of its own that the job user
/// can write to and a job-name prefix of its own, so tests running side by side never meet.
fn use_slurm(cfg: &mut Config, port: u16) {
    let root =
        std::path::PathBuf::from(slurm_env("SLURM_RESOURCE_DIR")).join(format!("test-{port}"));
    let user = slurm_env("SLURM_USER");
    cfg.provisioning.driver = "slurm".into();
    cfg.provisioning.resource_dir = root.display().to_string();
    cfg.provisioning.ready_timeout_secs = 60;
    cfg.provisioning.slurm = Some(server::config::SlurmConfig {
        url: slurm_env("SLURM_REST_URL"),
        user,
        jwt_key: std::fs::read(slurm_env("SLURM_JWT_KEY_FILE")).unwrap(),
        partition: slurm_env("SLURM_PARTITION"),
        job_prefix: format!("t{port}-"),
        gate_ports: (20_000, 29_999),
    });
}

#[path = "../../examples/support/loopback.rs"]
mod loopback;
use loopback::Loopback;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(Loopback))
        .cookie_store(true)
        .redirect(Policy::none())
        // A page that never answers fails its test rather than hanging it.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// npm `oidc-provider` on loopback, stopped when dropped.
pub struct OidcProvider {
    pub issuer: String,
    _child: tokio::process::Child,
}

impl OidcProvider {
    pub async fn start(redirect_uri: &str) -> OidcProvider {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../end2end/support/oidc-provider.mjs"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(script)
            .arg(redirect_uri)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node is installed (the test command installs it)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let issuer = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(i) = line.strip_prefix("ISSUER=") {
                    return i.to_owned();
                }
            }
            panic!("the OIDC provider exited before it was ready (did `npm ci` run?)");
        })
        .await
        .expect("the OIDC provider starts within 20 s");
        // Keep draining its output: a closed pipe would kill the provider at its next write.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        OidcProvider {
            issuer,
            _child: child,
        }
    }

    /// Logs `login` in at the provider, starting from the portal's redirect to it; returns the
    /// callback URL (with code and state) the provider sends the browser back to.
    pub async fn log_in(
        &self,
        client: &reqwest::Client,
        authorize_url: &str,
        login: &str,
    ) -> String {
        let mut url = authorize_url.to_owned();
        for _ in 0..10 {
            let r = client.get(&url).send().await.unwrap();
            let next = location(&r);
            assert!(
                !next.is_empty(),
                "provider answered {} at {url} without a redirect",
                r.status()
            );
            let next = if next.starts_with('/') {
                format!("{}{next}", self.issuer)
            } else {
                next
            };
            if next.contains("/auth/oidc/callback") {
                return next;
            }
            if next.contains("/interaction/") {
                let r = client
                    .post(&next)
                    .form(&[("prompt", "login"), ("login", login), ("password", "any")])
                    .send()
                    .await
                    .unwrap();
                let after = location(&r);
                url = if after.starts_with('/') {
                    format!("{}{after}", self.issuer)
                } else {
                    after
                };
                continue;
            }
            url = next;
        }
        panic!("the provider never redirected back to the portal");
    }
}

/// A single number from the test's database.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A form post from one person's browser.
pub async fn post(
    c: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(app.url(path)).form(form).send().await.unwrap()
}

/// A page as one person sees it: (status, HTML). A workspace or web service is served on its own
/// host: the portal's `/w/…` and `/s/…` redirects there (by way of the host's sign-in code) are
/// followed as a browser would; other redirects are the answer.
pub async fn page(c: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = follow_to_app(c, c.get(app.url(path)).send().await.unwrap()).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Follows redirects that lead to, or stay on, an app host (`*.localhost`).
pub async fn follow_to_app(c: &reqwest::Client, mut r: reqwest::Response) -> reqwest::Response {
    for _ in 0..5 {
        if !r.status().is_redirection() {
            break;
        }
        let to = r.url().join(&location(&r)).unwrap();
        if !to.host_str().unwrap_or("").ends_with(".localhost") {
            break;
        }
        r = c.get(to).send().await.unwrap();
    }
    r
}

/// The URL of `path` on resource `id`'s own host.
pub fn app_url(app: &TestApp, id: i64, path: &str) -> String {
    format!("{}{path}", app.config.apps.origin(id))
}

/// Opens resource `id` from the portal as `c`'s person (`/w/…` or `/s/…` by `prefix`), so `c`
/// holds the resource host's pass; returns the status of the page it lands on.
pub async fn open_app(c: &reqwest::Client, app: &TestApp, prefix: &str, id: i64) -> u16 {
    page(c, app, &format!("{prefix}cp-{id}/")).await.0
}

/// The id at the end of a redirect such as `/requests/42`.
pub fn id_from(location: &str) -> i64 {
    location.rsplit('/').next().unwrap().parse().unwrap()
}

/// A personal access token for the API, made through the same service as My account.
pub async fn token_for(app: &TestApp, username: &str) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let actor = campus_core::services::accounts::actor(&app.db, id)
        .await
        .unwrap();
    // Every scope the person's roles allow, so the API acts with all their powers.
    let scopes: Vec<String> = campus_core::token_scope::Scope::ALL
        .into_iter()
        .filter(|s| {
            s.role()
                .is_none_or(|r| actor.as_ref().is_some_and(|a| a.roles.has(r)))
        })
        .map(|s| s.as_str().to_owned())
        .collect();
    token_with(app, username, &scopes).await
}

/// A token for `username` with just these scopes (beyond read), lasting the default time.
pub async fn token_with(app: &TestApp, username: &str, scopes: &[String]) -> String {
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let actor = campus_core::services::accounts::actor(&app.db, id)
        .await
        .unwrap();
    let new = campus_core::services::accounts::NewToken {
        name: "test",
        days: "",
        scopes,
    };
    let now = Some(campus_core::clock::now());
    campus_core::services::accounts::create_token(
        &app.db,
        actor.as_ref(),
        new,
        Default::default(),
        now,
    )
    .await
    .unwrap()
}

/// A JSON API call with a bearer token: (status, the body as JSON, or null when it is not).
pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Asks for a resource through the request form as `c`'s person, ending 2030-06-30; returns the
/// new request's id.
pub async fn request(
    app: &TestApp,
    c: &reqwest::Client,
    project: i64,
    choice: &str,
    visibility: &str,
) -> i64 {
    let r = post(
        c,
        app,
        &format!("/projects/{project}/requests"),
        &[
            ("choice", choice),
            ("end_date", "2030-06-30"),
            ("purpose", "A purpose for the tests"),
            ("visibility", visibility),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    id_from(&location(&r))
}

/// A GET sent straight to a backend, round the proxy: `target` is `unix:<path>` or
/// `host:port`. Returns the response's head, or how the connection failed.
pub async fn raw_get(target: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut buf = vec![0u8; 1024];
    let n = if let Some(sock) = target.strip_prefix("unix:") {
        let mut s = match tokio::net::UnixStream::connect(sock).await {
            Ok(s) => s,
            Err(e) => return format!("connect failed: {e}"),
        };
        s.write_all(request.as_bytes()).await.unwrap();
        s.read(&mut buf).await.unwrap_or(0)
    } else {
        let mut s = match tokio::net::TcpStream::connect(target).await {
            Ok(s) => s,
            Err(e) => return format!("connect failed: {e}"),
        };
        s.write_all(request.as_bytes()).await.unwrap();
        s.read(&mut buf).await.unwrap_or(0)
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Runs `code` in a JupyterLab kernel through the proxy's WebSocket, as a notebook does, and
/// returns what it printed (its `stream` output) or its error. `cookie` is the workspace host's
/// pass ([`pass_cookie_of`]).
pub async fn jupyter_execute(
    app: &TestApp,
    cookie: &str,
    resource: i64,
    kernel: &str,
    code: &str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let host = app_authority(app, resource);
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET /api/kernels/{kernel}/channels?session_id=test HTTP/1.1\r\nHost: {host}\r\n\
         Origin: http://{host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: {cookie}\r\n\r\n"
    );
    s.write_all(handshake.as_bytes()).await.unwrap();
    // The handshake's answer ends with an empty line.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let msg_id = format!("exec-{}", random_suffix());
    let message = serde_json::json!({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": "test",
                   "username": "test", "version": "5.3", "date": "2026-01-01T00:00:00Z"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": false, "store_history": false,
                    "user_expressions": {}, "allow_stdin": false}
    })
    .to_string();
    // A client's frame: final text frame, masked (RFC 6455 §5.3).
    let payload = message.as_bytes();
    let mut frame = vec![0x81u8];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend((n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend((n as u64).to_be_bytes());
        }
    }
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    frame.extend(mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).await.unwrap();
    let mut printed = String::new();
    let read = async {
        loop {
            let mut h = [0u8; 2];
            s.read_exact(&mut h).await.ok()?;
            let mut len = u64::from(h[1] & 0x7f);
            if len == 126 {
                let mut l = [0u8; 2];
                s.read_exact(&mut l).await.ok()?;
                len = u64::from(u16::from_be_bytes(l));
            } else if len == 127 {
                let mut l = [0u8; 8];
                s.read_exact(&mut l).await.ok()?;
                len = u64::from_be_bytes(l);
            }
            let mut body = vec![0u8; len as usize];
            s.read_exact(&mut body).await.ok()?;
            if h[0] & 0x0f != 1 {
                continue;
            }
            let m: serde_json::Value = serde_json::from_slice(&body).ok()?;
            if m["parent_header"]["msg_id"] != msg_id.as_str() {
                continue;
            }
            match m["header"]["msg_type"].as_str() {
                Some("stream") => printed.push_str(m["content"]["text"].as_str().unwrap_or("")),
                Some("error") => {
                    printed.push_str(&format!("error: {}", m["content"]["evalue"]));
                }
                Some("status") if m["content"]["execution_state"] == "idle" => return Some(()),
                _ => {}
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(90), read)
        .await
        .expect("the kernel answered within 90 s")
        .expect("the kernel's channel stayed open");
    printed
}

/// The pass cookie resource `id`'s host sets for `username` after they open it from the portal
/// (`prefix` `/w/` or `/s/`), for a hand-written HTTP request to that host.
pub async fn pass_cookie_of(app: &TestApp, username: &str, prefix: &str, id: i64) -> String {
    let session = session_cookie_of(app, username).await;
    let c = reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(Loopback))
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = c
        .get(app.url(&format!("{prefix}cp-{id}/")))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let to = location(&r);
    assert!(to.contains("/_campus/auth?code="), "{} {to}", r.status());
    let r = c.get(&to).send().await.unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// `host:port` of resource `id`'s own host, for a hand-written HTTP request.
pub fn app_authority(app: &TestApp, id: i64) -> String {
    app.config
        .apps
        .origin(id)
        .trim_start_matches("http://")
        .to_owned()
}

/// The session cookie a sign-in sets, for a hand-written HTTP request.
pub async fn session_cookie_of(app: &TestApp, username: &str) -> String {
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/auth/local/sign-in"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    let set = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// An output described with every checklist item that applies to a table answered.
pub fn checked_output() -> campus_core::output_checks::checklist::Output {
    use campus_core::output_checks::checklist::{Answer, Output, OutputKind};
    Output {
        name: "index.html".into(),
        kind: OutputKind::Table,
        shows: "Households by region, 2025".into(),
        answers: [
            ("no_record_level", Answer::Yes),
            ("min_cell_count", Answer::Yes),
            ("dominance", Answer::Yes),
            ("rounding", Answer::Yes),
            (
                "differencing",
                Answer::NotApplicable("Nothing else on these regions is published".into()),
            ),
        ]
        .into_iter()
        .map(|(k, a)| (k.to_owned(), a))
        .collect(),
    }
}
