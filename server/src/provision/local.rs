//! The embedded driver: each workspace and web service is a sandbox on this machine (see
//! [`super::sandbox`]) running as its owner, reached only through a Unix socket in its own
//! directory; storage is a directory.
//!
//! Each resource's directory follows [`super::layout`]; `run/` is the portal's alone here.
//!
//! The launched shell writes its own pid before it execs bubblewrap, so a worker killed just
//! after spawning still leaves a record the next attempt finds: one sandbox per resource.
//! Launches of one resource take `run/lock` (flock) until that record exists, so two attempts
//! at once (a lease that ran out under load while its worker still ran the job) start it once.

use super::beneath::Dir;
use super::driver::{Driver, DriverError, Health, Placement, Spec};
use super::identity::Identities;
use super::layout::{Layout, SandboxParts};
use super::sandbox;
use super::secrets::Secrets;
use super::upstream::{self, Target};
use crate::config::WorkloadConfig;
use async_trait::async_trait;
use campus_core::requests::kind::Kind;
use campus_core::requests::template::Template;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub struct LocalDriver {
    layout: Layout,
    identities: Identities,
    secrets: Secrets,
    bwrap: PathBuf,
    gate: PathBuf,
    tools: PathBuf,
}

/// How much of a log is read to find its last lines.
const LOG_TAIL_BYTES: u64 = 64 * 1024;

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

/// An exclusive flock on a resource's `run/lock`, held while it is launched or stopped. The
/// kernel drops it when the holder's process dies, so a crashed worker never leaves it taken.
struct RunLock {
    _held: std::fs::File,
}

/// How long a launch waits for another one of the same resource to finish.
const LOCK_WAIT: Duration = Duration::from_secs(30);

impl RunLock {
    async fn take(run: &Path) -> Result<RunLock, DriverError> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(run.join("lock"))
            .map_err(|e| io("cannot open the launch lock", e))?;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            // SAFETY: flock(2) on a descriptor this struct owns; LOCK_NB never blocks the thread.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(RunLock { _held: file });
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io("cannot take the launch lock", e));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DriverError::Transient(
                    "another worker is still starting or stopping it".to_owned(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn write_atomic(path: &Path, contents: &str) -> Result<(), DriverError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| io(&format!("cannot write {}", path.display()), e))
}

/// How a program ended, as recorded in `run/exit` when this portal reaps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It exited by itself with this status: whatever went wrong is its own doing.
    Exited(i32),
    /// A signal ended it (the kernel's out-of-memory killer, an operator): it may well start
    /// if tried again.
    Signalled(i32),
}

impl Ended {
    /// bubblewrap reports a program ended by signal N as exit status 128 + N, as shells do.
    fn of(status: std::process::ExitStatus) -> Option<Ended> {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) if (129..=128 + 64).contains(&code) => {
                Some(Ended::Signalled(code - 128))
            }
            (Some(code), _) => Some(Ended::Exited(code)),
            (None, Some(signal)) => Some(Ended::Signalled(signal)),
            (None, None) => None,
        }
    }

    /// The record names the process, so a late record of a program stopped before a restart
    /// is never taken for the restarted one's.
    fn record(self, pid: u32) -> String {
        match self {
            Ended::Exited(code) => format!("{pid} exit {code}"),
            Ended::Signalled(signal) => format!("{pid} signal {signal}"),
        }
    }

    /// How the process `pid` ended, if the record is about it.
    fn parse(record: &str, pid: i32) -> Option<Ended> {
        let mut words = record.split_whitespace();
        let (who, kind, n) = (words.next()?, words.next()?, words.next()?.parse().ok()?);
        if who.parse::<i32>().ok()? != pid {
            return None;
        }
        match kind {
            "exit" => Some(Ended::Exited(n)),
            "signal" => Some(Ended::Signalled(n)),
            _ => None,
        }
    }

    fn words(self) -> String {
        match self {
            Ended::Exited(code) => format!("exited with status {code}"),
            Ended::Signalled(signal) => format!("was ended by signal {signal}"),
        }
    }
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

/// The last three non-empty lines of a log, joined, at most 500 characters: what a failed
/// program said last, for the person who asked for it. Read through a handle that refuses a
/// link and at most [`LOG_TAIL_BYTES`] of it, so a workload can neither make the portal read
/// another file nor hand it an endless one. Empty when it said nothing.
pub fn log_tail(dir: &Path, name: &str) -> String {
    let bytes = Dir::open(dir)
        .and_then(|d| d.tail(name, LOG_TAIL_BYTES))
        .unwrap_or_default();
    let log = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..]
        .join(" / ")
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect()
}

impl LocalDriver {
    pub fn new(
        root: &str,
        workloads: &WorkloadConfig,
        identities: Identities,
    ) -> Result<LocalDriver, String> {
        Ok(LocalDriver {
            layout: Layout::new(root, identities.is_root())?,
            identities,
            secrets: Secrets::new(&workloads.key),
            bwrap: workloads.bwrap.clone(),
            gate: workloads.gate.clone(),
            tools: workloads.tools_dir.clone(),
        })
    }

    fn dir(&self, spec: &Spec) -> PathBuf {
        self.layout.dir(&spec.name)
    }

    fn pid(&self, spec: &Spec) -> Option<i32> {
        let raw = std::fs::read_to_string(self.layout.run(&spec.name).join("pid")).ok()?;
        raw.trim().parse().ok().filter(|p| *p > 1)
    }

    /// Where the proxy finds it: the same for every launch of the resource.
    fn placement(&self, spec: &Spec, template: &Template, pid: &str) -> Placement {
        Placement {
            external_id: pid.to_owned(),
            endpoint: format!("unix:{}", self.layout.socket(&spec.name).display()),
            keeps_prefix: template.keeps_prefix(),
            token: spec.wants_token(),
        }
    }

    async fn launch(&self, spec: &Spec) -> Result<Placement, DriverError> {
        let template = Template::from_stored(&spec.command)
            .map_err(|e| DriverError::Permanent(e.to_string()))?;
        let who = self.identities.of(&spec.owner)?;
        self.layout.make(&spec.name, spec.kind, &who, false)?;
        let dir = self.dir(spec);
        let run = self.layout.run(&spec.name);
        let _lock = RunLock::take(&run).await?;
        if let Some(pid) = self.pid(spec) {
            if live_pid(pid, &dir).await {
                return Ok(self.placement(spec, &template, &pid.to_string()));
            }
        }
        let _ = std::fs::remove_file(run.join("pid"));
        let _ = std::fs::remove_file(run.join("exit"));
        // A socket left by an earlier run would make the gate (or the program) fail to listen.
        let _ = std::fs::remove_file(self.layout.socket(&spec.name));
        let parts = SandboxParts {
            secrets: &self.secrets,
            tools: &self.tools,
            gate: &self.gate,
        };
        let mut sandbox = self.layout.sandbox(spec, &who, &template, &parts);
        // The GPUs placement gave it on its host; under Slurm the engine assigns them.
        sandbox.give_gpus(&spec.devices);
        self.layout.write_sandbox_files(&spec.name, &who)?;
        // Through a file bubblewrap reads on descriptor 3, not the command line: the
        // arguments carry the JupyterLab token, and anyone on the machine can read a command
        // line.
        let (options, program) = sandbox.options_and_command();
        self.layout
            .write_file(&run, "args", &sandbox::nul_separated(&options), 0o600)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(run.join("log"))
            .map_err(|e| io("cannot open the log", e))?;
        let log2 = log.try_clone().map_err(|e| io("cannot open the log", e))?;
        // The shell records its own pid, then becomes bubblewrap (exec keeps the pid).
        let script = r#"echo $$ > run/pid.tmp && mv run/pid.tmp run/pid && exec "$0" --args 3 "$@" 3<run/args"#;
        let mut command = tokio::process::Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(script)
            .arg(&self.bwrap)
            .args(&program)
            .current_dir(&dir)
            // Nothing of the portal's environment: only the marker that proves a pid is this
            // resource's (and bubblewrap clears even that for the program).
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("CAMPUS_RESOURCE_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2));
        // SAFETY: setsid(2) is async-signal-safe. A session of its own: stop reaches every
        // process it starts, it outlives this worker, and it has no controlling terminal a
        // program could push keystrokes into.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| DriverError::Permanent(format!("could not start the sandbox: {e}")))?;
        let pid = child.id().unwrap_or_default();
        crate::failpoint::hit("engine-called");
        // We track the program by its pid file from here on; waiting for it here reaps it and
        // records how it ended, so a program that dies without a word still leaves a reason.
        let exit_record = run.join("exit");
        let mut child = child;
        tokio::spawn(async move {
            if let Some(ended) = child.wait().await.ok().and_then(Ended::of) {
                let _ = write_atomic(&exit_record, &ended.record(pid));
            }
        });
        // The lock is held until the shell has recorded itself, so a launch waiting for it
        // finds this process rather than starting another.
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        while self.pid(spec).is_none() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(self.placement(spec, &template, &pid.to_string()))
    }

    /// What became of a program that is no longer running. When this portal started it, the
    /// record of how it ended follows within moments of its death; a program started by an
    /// earlier run of the portal leaves none.
    async fn ended(&self, spec: &Spec, pid: i32) -> Health {
        let run = self.dir(spec).join("run");
        let mut ended = None;
        for _ in 0..20 {
            ended = std::fs::read_to_string(run.join("exit"))
                .ok()
                .and_then(|r| Ended::parse(&r, pid));
            if ended.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let tail = log_tail(&run, "log");
        let said = if tail.is_empty() {
            " without saying why".to_owned()
        } else {
            format!(": {tail}")
        };
        match ended {
            Some(e @ Ended::Signalled(_)) => {
                Health::Killed(format!("the program {}{said}", e.words()))
            }
            Some(e) => Health::Failed(format!("the program {}{said}", e.words())),
            None => Health::Failed(format!("the program exited{said}")),
        }
    }

    async fn kill(&self, spec: &Spec) -> Result<(), DriverError> {
        let run = self.dir(spec).join("run");
        if !run.is_dir() {
            return Ok(());
        }
        let _lock = RunLock::take(&run).await?;
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
                let who = self.identities.of(&spec.owner)?;
                self.layout.make(&spec.name, spec.kind, &who, false)?;
                Ok(Placement {
                    external_id: self.layout.files(&spec.name).display().to_string(),
                    ..Placement::default()
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
            return Ok(self.ended(spec, pid).await);
        }
        let path = if placement.keeps_prefix {
            spec.base_url.as_str()
        } else {
            "/"
        };
        let auth = placement.authorization(&spec.name, &self.secrets);
        let target = Target::Unix(self.layout.socket(&spec.name));
        match upstream::status_of(&target, path, auth.as_deref()).await {
            Some(status) if status < 500 => Ok(Health::Ready),
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
        self.layout.remove(&spec.name)
    }
}

#[cfg(test)]
mod tests {
    use super::{inspect, live_pid, Ended, Identities, LocalDriver, Proc};
    use crate::provision::driver::{Driver, Spec};
    use campus_core::requests::kind::Kind;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn driver(root: &std::path::Path) -> LocalDriver {
        let workloads = crate::config::WorkloadConfig {
            private_dir: root.join("private"),
            key: b"a test key for workload secrets".to_vec(),
            uid_base: 200_000,
            uid_count: 1000,
            tools_dir: root.join("no-tools"),
            bwrap: "/usr/bin/bwrap".into(),
            gate: "/nonexistent/campus-gate".into(),
        };
        let ids = Identities::for_this_process(200_000, 1000).unwrap();
        LocalDriver::new(&root.display().to_string(), &workloads, ids).unwrap()
    }

    /// Two attempts to start one resource at the same moment (a worker whose lease ran out
    /// while it still worked, and the one that took the job over) leave one program running.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_launches_at_once_start_one_program() {
        let root = std::env::temp_dir().join(format!("campus-launch-{}", std::process::id()));
        let driver = driver(&root);
        let spec = Spec {
            id: 1,
            name: "cp-1".to_owned(),
            kind: Kind::WebService,
            tool: String::new(),
            command: r#"["sh","-c","exec sleep 60","{socket}"]"#.to_owned(),
            amounts: Default::default(),
            end_date: String::new(),
            base_url: "/s/cp-1/".to_owned(),
            owner: crate::provision::identity::Owner {
                user_id: 1,
                username: "alice".into(),
                unix_account: None,
            },
            reservation: None,
            devices: Vec::new(),
            released: None,
        };
        let (a, b) = tokio::join!(driver.provision(&spec), driver.provision(&spec));
        let (a, b) = (a.unwrap(), b.unwrap());
        // Past exec, so /proc shows whose each program is.
        for p in [&a, &b] {
            let pid = p.external_id.parse().unwrap();
            assert!(live_pid(pid, &driver.dir(&spec)).await, "{pid} runs");
        }
        let marker = format!("CAMPUS_RESOURCE_DIR={}", driver.dir(&spec).display());
        // bubblewrap and the sandbox's init both carry the marker: count sandboxes by their
        // session, which each launch makes its own.
        let mut sessions: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| inspect(*pid, &marker) == Proc::Ours)
            // SAFETY: getsid(2) has no preconditions.
            .map(|pid| unsafe { libc::getsid(pid) })
            .collect();
        sessions.sort_unstable();
        sessions.dedup();
        let running = sessions.len();
        // Both, however many there are.
        for p in [&a, &b] {
            // SAFETY: kill(2) on the process groups this test started.
            unsafe { libc::kill(-p.external_id.parse::<i32>().unwrap(), libc::SIGKILL) };
        }
        driver.destroy(&spec, &a).await.unwrap();
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(running, 1, "one program for the resource");
        assert_eq!(a.external_id, b.external_id, "the second found the first");
    }

    #[test]
    fn how_a_program_ended_is_recorded_and_read_back() {
        // Raw wait statuses: an exit code sits in the second byte, a signal in the low bits.
        let exited = Ended::of(ExitStatus::from_raw(1 << 8)).unwrap();
        let killed = Ended::of(ExitStatus::from_raw(9)).unwrap();
        assert_eq!((exited, killed), (Ended::Exited(1), Ended::Signalled(9)));
        // As bubblewrap reports a program it ran that a signal ended.
        assert_eq!(
            Ended::of(ExitStatus::from_raw(137 << 8)),
            Some(Ended::Signalled(9))
        );
        for e in [exited, killed] {
            assert_eq!(Ended::parse(&e.record(42), 42), Some(e));
            assert_eq!(
                Ended::parse(&e.record(41), 42),
                None,
                "another process's end"
            );
        }
        assert_eq!(exited.words(), "exited with status 1");
        assert_eq!(killed.words(), "was ended by signal 9");
        for bad in ["", "42 exit", "42 exit x", "42 stopped 3", "x exit 1"] {
            assert_eq!(Ended::parse(bad, 42), None, "{bad}");
        }
    }
}
