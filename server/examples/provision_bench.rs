//! Provisioning benchmarks: print figures, pass or fail nothing.
//!
//! 1. proxy: a minimal HTTP backend runs as a real workspace (through the request flow and the
//!    local driver); wrk with 64 connections measures it direct and through the portal's
//!    authenticating proxy at `/w/cp-<id>/`, in one run, and prints requests/s, p50/p99 and the
//!    ratio.
//! 2. startup: seconds from a JupyterLab request being approved (automatically, within quota)
//!    to JupyterLab answering through the proxy, beside JupyterLab's own start-up time (the same
//!    program, started directly); with the local driver, and with the Slurm driver when
//!    `scripts/slurm up` variables are set.
//!
//! 3. sandbox: what bubblewrap adds to starting a program: `/bin/true` in a workload's sandbox
//!    (as the portal builds it, as root becoming a person's uid) against `/bin/true` alone.
//!
//! Run: `scripts/bench-provision` (a release build; wrk from Debian).

use campus_core::domain::{Role, RoleSet};
use campus_core::requests::kind::Kind;
use campus_core::services::accounts::{self, NewAccount};
use campus_core::store::{catalogue, inventory, projects};
use campus_core::Db;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/wrk.rs"]
mod wrk;
use wrk::wrk;

const PASSWORD: &str = "a long enough benchmark password";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The backend the proxy benchmark uses: one small answer to every request, as fast as the
/// machine allows, so what is measured is the proxy.
/// `tcp:PORT` or `unix:PATH` (inside a sandbox, on the resource's socket).
async fn backend(at: &str) {
    let app = axum::Router::new().fallback(|| async { "hello from the workspace\n" });
    if let Some(path) = at.strip_prefix("unix:") {
        let _ = std::fs::remove_file(path);
        let listener = tokio::net::UnixListener::bind(path).unwrap();
        axum::serve(listener, app).await.unwrap();
    } else {
        let port: u16 = at.trim_start_matches("tcp:").parse().unwrap();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    }
}

struct Portal {
    base: String,
    db: Db,
    client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    project: i64,
    _dir: std::path::PathBuf,
}

async fn portal(
    slurm: Option<server::config::SlurmConfig>,
    resource_dir: std::path::PathBuf,
) -> Portal {
    let on_cluster = slurm.is_some();
    let dir = std::env::temp_dir().join(format!(
        "campus-bench-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut cfg = server::config::Config::from_env().expect("configuration");
    cfg.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    cfg.bind_addr = format!("127.0.0.1:{port}").parse().unwrap();
    cfg.public_url = format!("http://127.0.0.1:{port}");
    cfg.demo_content = false;
    cfg.oidc = None;
    cfg.mail = None;
    cfg.provisioning.run_worker = true;
    cfg.provisioning.resource_dir = resource_dir.display().to_string();
    cfg.provisioning.driver = if slurm.is_some() { "slurm" } else { "local" }.into();
    cfg.provisioning.slurm = slurm;
    let app = server::startup::Application::build(cfg)
        .await
        .expect("the portal starts");
    let db = app.db.clone();
    tokio::spawn(app.run_until_stopped());
    let site = inventory::insert_site(&db, "BENCH", "Benchmark")
        .await
        .unwrap();
    inventory::insert_host(
        &db,
        inventory::NewHost {
            site_id: site,
            name: "bench-01",
            cores: 64,
            mhz_per_core: 2500,
            ram_gb: 512,
            storage_gb: 10_000,
            gpus: 0,
            gpu_model: "",
        },
    )
    .await
    .unwrap();
    let user = accounts::create_local_account(
        &db,
        NewAccount {
            username: "bench",
            display_name: "Bench Mark",
            email: "bench@example.org",
            password: PASSWORD,
            roles: RoleSet::new([Role::Staff]),
        },
    )
    .await
    .unwrap();
    if on_cluster {
        // Jobs run as the person's own account: the one scripts/slurm made for tests.
        let mut conn = db.pool.acquire().await.unwrap();
        campus_core::store::users::set_unix_account(&mut conn, user, Some("campus-a"))
            .await
            .unwrap();
    }
    let project = projects::insert(
        &db,
        projects::NewProject {
            name: "Benchmarks",
            summary: "Measuring the portal.",
            lead_id: user,
            end_date: "2030-12-31",
        },
    )
    .await
    .unwrap();
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let r = client
        .post(format!("{base}/auth/local/sign-in"))
        .form(&[("username", "bench"), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "signed in");
    Portal {
        base,
        db,
        client,
        jar,
        project,
        _dir: dir,
    }
}

impl Portal {
    async fn request(&self, offering: i64, size: &str) -> i64 {
        let r = self
            .client
            .post(format!("{}/projects/{}/requests", self.base, self.project))
            .form(&[
                ("choice", format!("{offering}:{size}").as_str()),
                ("end_date", "2030-06-30"),
                ("purpose", "Benchmark"),
            ])
            .send()
            .await
            .unwrap();
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        location
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .expect("the request was accepted")
    }

    async fn offering(&self, slug: &str) -> i64 {
        catalogue::list(&self.db)
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.slug == slug)
            .map(|o| o.id)
            .unwrap()
    }

    async fn wait_active(&self, id: i64) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let r = campus_core::store::resources::find(&self.db, id)
                .await
                .unwrap()
                .unwrap();
            if r.state == campus_core::requests::lifecycle::State::Active {
                return;
            }
            assert!(Instant::now() < deadline, "cp-{id} is {:?}", r.state);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn cookie(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&self.base.parse().unwrap())
            .map(|c| c.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// Polls a path through the proxy until it answers 200; the time that took.
    async fn until_answers(&self, path: &str, from: Instant) -> Duration {
        loop {
            if let Ok(r) = self.client.get(format!("{}{path}", self.base)).send().await {
                if r.status().as_u16() == 200 {
                    return from.elapsed();
                }
            }
            assert!(
                from.elapsed() < Duration::from_secs(120),
                "{path} never answered"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn proxy_bench() {
    // A workload sees only the tools directory, so the backend goes there for the run.
    let exe = server::config::default_tools_dir().join("bin/campus-bench-backend");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    let dir = std::env::temp_dir().join(format!("campus-bench-res-{}", std::process::id()));
    let p = portal(None, dir.clone()).await;
    let offering = catalogue::insert(
        &p.db,
        catalogue::NewOffering {
            slug: "bench-backend",
            kind: Kind::Workspace,
            tool: "command",
            name: "Benchmark backend",
            description: "A minimal HTTP server.",
            command: &serde_json::json!([exe.display().to_string(), "backend", "unix:{socket}"])
                .to_string(),
            needs_approval: false,
            default_days: 30,
            extension_days: 30,
            max_extensions: 1,
            idle_stop_minutes: 0,
            retired: false,
            sizes: &[catalogue::Size {
                code: "small".into(),
                label: "Small".into(),
                cpu_cores: 1,
                ram_gb: 1,
                gpus: 0,
                storage_gb: 1,
            }],
        },
    )
    .await
    .unwrap();
    let id = p.request(offering, "small").await;
    p.wait_active(id).await;
    let r = campus_core::store::resources::find(&p.db, id)
        .await
        .unwrap()
        .unwrap();
    // The same backend, outside any sandbox, on a loopback port.
    assert!(r.endpoint.starts_with("unix:"), "{}", r.endpoint);
    let port = free_port();
    let mut outside = Command::new(std::env::current_exe().unwrap())
        .args(["backend", &format!("tcp:{port}")])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let direct = format!("http://127.0.0.1:{port}/");
    let proxied = format!("{}/w/cp-{id}/", p.base);
    let body = p
        .client
        .get(&proxied)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        body, "hello from the workspace\n",
        "the proxy reaches the backend"
    );
    let cookie = p.cookie();
    // Warm both paths (connection pools, page cache), then measure each in turn.
    wrk(&direct, None, 2);
    wrk(&proxied, Some(&cookie), 2);
    let d = wrk(&direct, None, 10);
    let x = wrk(&proxied, Some(&cookie), 10);
    let _ = outside.kill();
    let _ = outside.wait();
    let _ = std::fs::remove_file(&exe);
    println!("Proxy (wrk, 2 threads, 64 connections, 10 s each, same backend):");
    println!(
        "  direct        {:>9.0} req/s   p50 {:>8}   p99 {:>8}",
        d.rps, d.p50, d.p99
    );
    println!(
        "  through /w/   {:>9.0} req/s   p50 {:>8}   p99 {:>8}",
        x.rps, x.p50, x.p99
    );
    println!("  ratio         {:>9.2}x", x.rps / d.rps);
    let _ = p
        .client
        .post(format!("{}/requests/{id}/actions/decommission", p.base))
        .send()
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// JupyterLab started directly, as the driver would start it: seconds to its first answer.
async fn jupyter_alone(jupyter: &std::path::Path) -> Duration {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("campus-bench-jl-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let mut child = Command::new(jupyter)
        .args([
            "--no-browser",
            "--ip=127.0.0.1",
            &format!("--port={port}"),
            "--ServerApp.base_url=/w/cp-0/",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            &format!("--ServerApp.root_dir={}", dir.display()),
            "--allow-root",
        ])
        .env("HOME", &dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let took = loop {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/w/cp-0/api/status"))
            .send()
            .await
        {
            if r.status().as_u16() == 200 {
                break started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    took
}

/// Runs `/bin/true` `runs` times alone and in a workload's sandbox; prints the medians, p90s
/// and what the sandbox adds.
fn sandbox_bench(runs: usize) {
    use server::provision::sandbox::{self, Identity, Sandbox};
    let root = std::env::temp_dir().join(format!("campus-bench-sandbox-{}", std::process::id()));
    for d in ["files", "sock", "datasets", "run"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    // SAFETY: geteuid has no preconditions.
    let identity = if unsafe { libc::geteuid() } == 0 {
        Identity::Switch {
            uid: 200_999,
            gid: 200_999,
        }
    } else {
        Identity::Same
    };
    let (passwd, group) = sandbox::passwd_and_group("bench", 200_999, 200_999);
    std::fs::write(root.join("run/passwd"), passwd).unwrap();
    std::fs::write(root.join("run/group"), group).unwrap();
    std::fs::write(root.join("run/hosts"), sandbox::hosts("cp-0")).unwrap();
    let _ = Command::new("chown")
        .arg("200999:200999")
        .arg(root.join("files"))
        .status();
    let sb = Sandbox {
        identity,
        name: "cp-0".into(),
        user: "bench".into(),
        home: root.join("files"),
        datasets: Some(root.join("datasets")),
        socket_dir: root.join("sock"),
        passwd: root.join("run/passwd"),
        group: root.join("run/group"),
        hosts: root.join("run/hosts"),
        tools: vec![server::config::default_tools_dir()],
        gate: None,
        root: sandbox::host_root(),
        etc: sandbox::host_etc(),
        env: vec![],
        argv: vec!["/bin/true".into()],
    };
    let (options, command) = sb.options_and_command();
    std::fs::write(root.join("run/args"), sandbox::nul_separated(&options)).unwrap();
    let time = |sandboxed: bool| {
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let ok = if sandboxed {
                Command::new("/bin/sh")
                    .arg("-c")
                    .arg(r#"exec "$0" --args 3 "$@" 3<run/args"#)
                    .arg("/usr/bin/bwrap")
                    .args(&command)
                    .current_dir(&root)
                    .status()
            } else {
                Command::new("/bin/sh")
                    .arg("-c")
                    .arg("exec /bin/true")
                    .status()
            };
            assert!(ok.unwrap().success(), "the sandbox ran");
            v.push(t.elapsed());
        }
        v.sort();
        v
    };
    let alone = time(false);
    let boxed = time(true);
    let at = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!("Sandbox start-up ({runs} runs of /bin/true, through sh as the driver starts it):");
    println!(
        "  alone        p50 {:>6.1} ms   p90 {:>6.1} ms",
        at(&alone, 0.5),
        at(&alone, 0.9)
    );
    println!(
        "  in sandbox   p50 {:>6.1} ms   p90 {:>6.1} ms",
        at(&boxed, 0.5),
        at(&boxed, 0.9)
    );
    println!(
        "  added        p50 {:>6.1} ms   p90 {:>6.1} ms",
        at(&boxed, 0.5) - at(&alone, 0.5),
        at(&boxed, 0.9) - at(&alone, 0.9)
    );
    let _ = std::fs::remove_dir_all(&root);
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn startup_bench(
    label: &str,
    slurm: Option<server::config::SlurmConfig>,
    resource_dir: std::path::PathBuf,
    runs: usize,
) {
    let jupyter = server::config::default_tools_dir().join("bin/jupyter-lab");
    assert!(jupyter.exists(), "JupyterLab (scripts/setup installs it)");
    let p = portal(slurm, resource_dir).await;
    let lab = p.offering("jupyterlab").await;
    let (mut through, mut alone) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        alone.push(jupyter_alone(&jupyter).await);
        // The request is approved automatically inside this POST: the clock starts just before.
        let t0 = Instant::now();
        let id = p.request(lab, "small").await;
        through.push(p.until_answers(&format!("/w/cp-{id}/api/status"), t0).await);
        let _ = p
            .client
            .post(format!("{}/requests/{id}/actions/decommission", p.base))
            .send()
            .await;
    }
    let (t, a) = (median(through.clone()), median(alone.clone()));
    println!(
        "Approval to JupyterLab answering through the proxy, {label} driver ({runs} runs, median):"
    );
    println!(
        "  through the portal   {:.2} s   (all: {})",
        t.as_secs_f64(),
        list(&through)
    );
    println!(
        "  JupyterLab alone     {:.2} s   (all: {})",
        a.as_secs_f64(),
        list(&alone)
    );
    println!(
        "  portal's share       {:+.2} s",
        t.as_secs_f64() - a.as_secs_f64()
    );
}

fn list(v: &[Duration]) -> String {
    v.iter()
        .map(|d| format!("{:.2}", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.get(1).map(String::as_str) == Some("backend") {
        rt.block_on(backend(&args[2]));
        return;
    }
    let what = args.get(1).cloned().unwrap_or_else(|| "all".into());
    rt.block_on(async {
        if what == "all" || what == "sandbox" {
            sandbox_bench(200);
        }
        if what == "all" || what == "proxy" {
            proxy_bench().await;
        }
        if what == "all" || what == "startup" {
            let dir = std::env::temp_dir().join(format!("campus-bench-lab-{}", std::process::id()));
            startup_bench("local", None, dir.clone(), 3).await;
            let _ = std::fs::remove_dir_all(dir);
            if let (Ok(url), Ok(key)) = (std::env::var("SLURM_REST_URL"), std::env::var("SLURM_JWT_KEY_FILE")) {
                let root = std::path::PathBuf::from(std::env::var("SLURM_RESOURCE_DIR").unwrap())
                    .join(format!("bench-{}", std::process::id()));
                let user = std::env::var("SLURM_USER").unwrap_or_else(|_| "campus".into());
                let cfg = server::config::SlurmConfig {
                    url,
                    user,
                    jwt_key: std::fs::read(key).unwrap(),
                    partition: std::env::var("SLURM_PARTITION").unwrap_or_else(|_| "campus".into()),
                    job_prefix: format!("bench{}-", std::process::id()),
                    gate_ports: (20_000, 29_999),
                };
                startup_bench("Slurm", Some(cfg), root.clone(), 3).await;
                let _ = std::fs::remove_dir_all(root);
            } else {
                println!("(Slurm start-up not measured: run through scripts/bench-provision, which starts Slurm)");
            }
        }
    });
    // The portals' tasks are still running: leave without waiting for them.
    std::process::exit(0);
}
