//! The embedded driver: workspaces and web services are real processes on this machine, each on
//! its own loopback port in its own working directory; storage is a directory.
//!
//! Layout under the resource directory, per resource `cp-<id>`:
//! `files/` (the person's working directory) and `run/` (`pid`, `endpoint`, `log`, and `exit`
//! once the program has ended while this portal watched it).
//! The launched shell writes its own pid before it execs the program, so a worker killed just
//! after spawning still leaves a record the next attempt finds: one process per resource.
//! Launches of one resource take `run/lock` (flock) until that record exists, so two attempts
//! at once (a lease that ran out under load while its worker still ran the job) start it once.

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
    fn of(status: std::process::ExitStatus) -> Option<Ended> {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
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
        let dir = self.dir(spec);
        let (files, run) = (dir.join("files"), dir.join("run"));
        for d in [&files, &run] {
            std::fs::create_dir_all(d).map_err(|e| io("cannot make the working directory", e))?;
        }
        let _lock = RunLock::take(&run).await?;
        if let Some(p) = self.placement(spec) {
            if live_pid(p.external_id.parse().unwrap_or(0), &dir).await {
                return Ok(p);
            }
        }
        let _ = std::fs::remove_file(run.join("pid"));
        let _ = std::fs::remove_file(run.join("exit"));
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
        Ok(Placement {
            external_id: pid.to_string(),
            ..endpoint
        })
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
        let tail = super::command::log_tail(&run.join("log"));
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
            return Ok(self.ended(spec, pid).await);
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

#[cfg(test)]
mod tests {
    use super::{inspect, live_pid, Ended, LocalDriver, Proc};
    use crate::provision::driver::{Driver, Spec};
    use campus_core::requests::kind::Kind;
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    /// Two attempts to start one resource at the same moment (a worker whose lease ran out
    /// while it still worked, and the one that took the job over) leave one program running.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_launches_at_once_start_one_program() {
        let root = std::env::temp_dir().join(format!("campus-launch-{}", std::process::id()));
        let driver = LocalDriver::new(&root.display().to_string(), None);
        let spec = Spec {
            id: 1,
            name: "cp-1".to_owned(),
            kind: Kind::WebService,
            tool: String::new(),
            command: "sleep 60".to_owned(),
            amounts: Default::default(),
            end_date: String::new(),
            base_url: "/s/cp-1/".to_owned(),
        };
        let (a, b) = tokio::join!(driver.provision(&spec), driver.provision(&spec));
        let (a, b) = (a.unwrap(), b.unwrap());
        // Past exec, so /proc shows whose each program is.
        for p in [&a, &b] {
            let pid = p.external_id.parse().unwrap();
            assert!(live_pid(pid, &driver.dir(&spec)).await, "{pid} runs");
        }
        let marker = format!("CAMPUS_RESOURCE_DIR={}", driver.dir(&spec).display());
        let running = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| inspect(*pid, &marker) == Proc::Ours)
            .count();
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
