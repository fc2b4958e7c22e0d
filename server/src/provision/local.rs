//! The embedded driver: workspaces and web services are real processes on this machine, each on
//! its own loopback port in its own working directory; storage is a directory.
//!
//! Layout under the resource directory, per resource `cp-<id>`:
//! `files/` (the person's working directory) and `run/` (`pid`, `endpoint`, `log`).
//! The launched shell writes its own pid before it execs the program, so a worker killed just
//! after spawning still leaves a record the next attempt finds: one process per resource.

use super::command;
use super::driver::{Driver, DriverError, Health, Placement, Spec};
use async_trait::async_trait;
use campus_core::requests::kind::Kind;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub struct LocalDriver {
    root: PathBuf,
    jupyter: Option<PathBuf>,
    http: reqwest::Client,
}

fn io(context: &str, e: std::io::Error) -> DriverError {
    DriverError::Transient(format!("{context}: {e}"))
}

/// What /proc says of a pid recorded for a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proc {
    /// Alive, not a zombie, and launched for this resource (the environment marker guards
    /// against a recycled pid).
    Ours,
    /// Gone, a zombie, or someone else's process now.
    Gone,
    /// Alive but its environment cannot be read this instant: it is in the middle of exec.
    Unsure,
}

fn inspect(pid: i32, marker: &str) -> Proc {
    let stat = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s,
        Err(_) => return Proc::Gone,
    };
    // The state letter follows the parenthesised command name.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, Some('Z') | Some('X') | None) {
        return Proc::Gone;
    }
    match std::fs::read(format!("/proc/{pid}/environ")) {
        Ok(env) if env.is_empty() => Proc::Unsure,
        Ok(env) if env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) => Proc::Ours,
        Ok(_) => Proc::Gone,
        Err(_) => Proc::Unsure,
    }
}

/// Whether the recorded pid is this resource's live process, asking again while it is
/// between fork and exec (when /proc cannot show its environment). The marker is the
/// resource's directory, unique even among portals sharing one machine.
async fn live_pid(pid: i32, dir: &Path) -> bool {
    let marker = format!("CAMPUS_RESOURCE_DIR={}", dir.display());
    // Up to 4 s: on a loaded machine (a CI run of parallel tests on two cores) an exec has been
    // seen to stay unreadable for longer than the half second this once allowed.
    for _ in 0..160 {
        match inspect(pid, &marker) {
            Proc::Ours => return true,
            Proc::Gone => return false,
            Proc::Unsure => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
    false
}

fn free_port() -> Result<u16, DriverError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| io("no free port", e))
}

fn write_atomic(path: &Path, contents: &str) -> Result<(), DriverError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| io(&format!("cannot write {}", path.display()), e))
}

/// Bytes used under a directory, for storage usage.
pub fn usage_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => usage_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

impl LocalDriver {
    pub fn new(root: &str, jupyter: Option<PathBuf>) -> LocalDriver {
        let root = PathBuf::from(root);
        let root = std::fs::create_dir_all(&root)
            .and_then(|_| std::fs::canonicalize(&root))
            .unwrap_or(root);
        LocalDriver {
            root,
            jupyter,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTP client builds"),
        }
    }

    fn dir(&self, spec: &Spec) -> PathBuf {
        self.root.join(&spec.name)
    }

    fn pid(&self, spec: &Spec) -> Option<i32> {
        let raw = std::fs::read_to_string(self.dir(spec).join("run/pid")).ok()?;
        raw.trim().parse().ok().filter(|p| *p > 1)
    }

    /// The command line to run, and whether it was told its base URL.
    fn command(&self, spec: &Spec, port: u16, workdir: &Path) -> (String, bool) {
        // SAFETY: geteuid has no preconditions.
        let as_root = unsafe { libc::geteuid() } == 0;
        command::render(
            &command::template(spec, self.jupyter.as_deref(), as_root),
            "127.0.0.1",
            &port.to_string(),
            &spec.base_url,
            &workdir.display().to_string(),
        )
    }

    fn placement(&self, spec: &Spec) -> Option<Placement> {
        let pid = self.pid(spec)?;
        let endpoint = std::fs::read_to_string(self.dir(spec).join("run/endpoint")).ok()?;
        Some(Placement::from_record(&pid.to_string(), endpoint.trim()))
    }

    async fn launch(&self, spec: &Spec) -> Result<Placement, DriverError> {
        if let Some(p) = self.placement(spec) {
            if live_pid(p.external_id.parse().unwrap_or(0), &self.dir(spec)).await {
                return Ok(p);
            }
        }
        let dir = self.dir(spec);
        let (files, run) = (dir.join("files"), dir.join("run"));
        for d in [&files, &run] {
            std::fs::create_dir_all(d).map_err(|e| io("cannot make the working directory", e))?;
        }
        let _ = std::fs::remove_file(run.join("pid"));
        let port = free_port()?;
        let (cmd, keeps_prefix) = self.command(spec, port, &files);
        let endpoint = Placement {
            external_id: String::new(),
            endpoint: format!("127.0.0.1:{port}"),
            keeps_prefix,
        };
        write_atomic(&run.join("endpoint"), &endpoint.endpoint_record())?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(run.join("log"))
            .map_err(|e| io("cannot open the log", e))?;
        let log2 = log.try_clone().map_err(|e| io("cannot open the log", e))?;
        // The shell records its own pid, then becomes the program (exec keeps the pid).
        let script =
            format!("echo $$ > run/pid.tmp && mv run/pid.tmp run/pid && cd files && exec {cmd}");
        let child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(&dir)
            .env("CAMPUS_RESOURCE", &spec.name)
            .env("CAMPUS_RESOURCE_DIR", &dir)
            .env("PORT", port.to_string())
            .env("BASE_URL", &spec.base_url)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            // Its own process group, so stop reaches everything it starts and it outlives us.
            .process_group(0)
            .spawn()
            .map_err(|e| DriverError::Permanent(format!("could not start the program: {e}")))?;
        let pid = child.id().unwrap_or_default();
        crate::failpoint::hit("engine-called");
        // Tokio reaps the child when it exits; we track it by its pid file from here on.
        drop(child);
        for _ in 0..50 {
            if self.pid(spec).is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Placement {
            external_id: pid.to_string(),
            ..endpoint
        })
    }

    fn exit_reason(&self, spec: &Spec) -> String {
        let tail = super::command::log_tail(&self.dir(spec).join("run/log"));
        if tail.is_empty() {
            "the program exited without saying why".to_owned()
        } else {
            format!("the program exited: {tail}")
        }
    }

    async fn kill(&self, spec: &Spec) -> Result<(), DriverError> {
        let Some(pid) = self.pid(spec) else {
            return Ok(());
        };
        if live_pid(pid, &self.dir(spec)).await {
            // SAFETY: kill(2) with a negative pid signals the process group we created.
            unsafe { libc::kill(-pid, libc::SIGTERM) };
            for _ in 0..50 {
                if !live_pid(pid, &self.dir(spec)).await {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if live_pid(pid, &self.dir(spec)).await {
                // SAFETY: as above.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        }
        let _ = std::fs::remove_file(self.dir(spec).join("run/pid"));
        Ok(())
    }
}

#[async_trait]
impl Driver for LocalDriver {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError> {
        match spec.kind {
            Kind::Storage => {
                let files = self.dir(spec).join("files");
                std::fs::create_dir_all(&files)
                    .map_err(|e| io("cannot make the storage directory", e))?;
                Ok(Placement {
                    external_id: files.display().to_string(),
                    endpoint: String::new(),
                    keeps_prefix: false,
                })
            }
            Kind::Workspace | Kind::WebService => self.launch(spec).await,
        }
    }

    async fn status(&self, spec: &Spec, placement: &Placement) -> Result<Health, DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(if self.dir(spec).join("files").is_dir() {
                Health::Ready
            } else {
                Health::Missing
            });
        }
        let Some(pid) = self.pid(spec) else {
            return Ok(if self.dir(spec).is_dir() {
                Health::Stopped
            } else {
                Health::Missing
            });
        };
        if !live_pid(pid, &self.dir(spec)).await {
            return Ok(Health::Failed(self.exit_reason(spec)));
        }
        let path = if placement.keeps_prefix {
            spec.base_url.as_str()
        } else {
            "/"
        };
        match self
            .http
            .get(format!("http://{}{}", placement.endpoint, path))
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() < 500 => Ok(Health::Ready),
            _ => Ok(Health::Starting),
        }
    }

    async fn start(&self, spec: &Spec, _placement: &Placement) -> Result<Placement, DriverError> {
        self.provision(spec).await
    }

    async fn usage(&self, spec: &Spec) -> Option<u64> {
        let files = self.dir(spec).join("files");
        if spec.kind != Kind::Storage || !files.is_dir() {
            return None;
        }
        // A large tree takes a while to walk: keep it off the async threads.
        tokio::task::spawn_blocking(move || usage_bytes(&files))
            .await
            .ok()
    }

    async fn stop(&self, spec: &Spec, _placement: &Placement) -> Result<(), DriverError> {
        if spec.kind == Kind::Storage {
            return Ok(());
        }
        self.kill(spec).await
    }

    async fn destroy(&self, spec: &Spec, _placement: &Placement) -> Result<(), DriverError> {
        self.kill(spec).await?;
        match std::fs::remove_dir_all(self.dir(spec)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("cannot remove the working directory", e)),
        }
    }
}
