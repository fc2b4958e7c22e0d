//! Provisioning benchmarks: print figures, pass or fail nothing.
//!
//! (The proxy's throughput is `scripts/bench-proxy`.)
//!
//! 1. startup: seconds from a JupyterLab request being approved (automatically, within quota)
//!    to JupyterLab answering through the proxy, beside JupyterLab's own start-up time (the same
//!    program, started directly); with the local driver, and with the Slurm driver when
//!    `scripts/slurm up` variables are set.
//!
//! 2. sandbox: what bubblewrap adds to starting a program: `/bin/true` in a workload's sandbox
//!    (as the portal builds it, as root becoming a person's uid) against `/bin/true` alone.
//!
//! Run: `scripts/bench-provision` (a release build).

use campus_core::domain::{Role, RoleSet};
use campus_core::services::accounts::{self, NewAccount};
use campus_core::store::{catalogue, inventory, projects};
use campus_core::Db;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/loopback.rs"]
mod loopback;

const PASSWORD: &str = "a long enough benchmark password";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Portal {
    base: String,
    db: Db,
    client: reqwest::Client,
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
        .dns_resolver(std::sync::Arc::new(loopback::Loopback))
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

    /// Polls a path through the proxy until it answers 200, following the portal's launcher to
    /// the resource's own host as a browser would; the time that took.
    async fn until_answers(&self, path: &str, from: Instant) -> Duration {
        loop {
            let mut url: reqwest::Url = format!("{}{path}", self.base).parse().unwrap();
            for _ in 0..4 {
                let Ok(r) = self.client.get(url.clone()).send().await else {
                    break;
                };
                if r.status().as_u16() == 200 {
                    return from.elapsed();
                }
                match r.headers().get("location").and_then(|l| l.to_str().ok()) {
                    Some(to) if r.status().is_redirection() => url = url.join(to).unwrap(),
                    _ => break,
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
        home_read_only: false,
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
        devices: Vec::new(),
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
    let what = args.get(1).cloned().unwrap_or_else(|| "all".into());
    rt.block_on(async {
        if what == "all" || what == "sandbox" {
            sandbox_bench(200);
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
