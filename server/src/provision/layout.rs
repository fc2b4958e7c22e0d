//! Where a resource's files live, and who owns each part: one layout for every driver.
//!
//! Under the resource directory (the portal's, mode 0711: a person reaches their own directory
//! by name, never lists anyone's), per resource `cp-<id>` (the portal's, 0711):
//! - `files/`: the person's files and home (theirs, 0700);
//! - `sock/`: where the program (or the gate in front of it) listens (theirs, 0700, so no
//!   other uid on the machine can connect);
//! - `datasets/`: the granted datasets' view, mounted read-only (the portal's; their group
//!   may read it);
//! - `run/`: the portal's record of the resource: `pid`, `lock`, `exit`, `log`, the sandbox's
//!   arguments and its `passwd`, `group` and `hosts`. Local resources keep it to the portal
//!   (0700). A cluster job reads its arguments there and writes its `log` and `port` into files
//!   the portal made for it, so there it is readable by the person's group (0750) but still
//!   never writable: nothing a job does can put a link where the portal will read.
//!
//! Every directory is made and owned through [`Dir`] handles, so a link planted anywhere on
//! the way is refused, not followed.

use super::beneath::Dir;
use super::driver::{DriverError, Spec};
use super::identity::Person;
use super::sandbox::{self, Sandbox};
use super::secrets::Secrets;
use campus_core::requests::kind::Kind;
use campus_core::requests::template::{Listens, Template, Values};
use std::path::{Path, PathBuf};

/// The port a program that can only listen on TCP is given inside its sandbox. The sandbox's
/// network is its own, so every resource can have the same one; the gate turns it into the
/// resource's socket.
pub const INNER_PORT: u16 = 8080;

/// What a sandbox needs besides the resource's own directories.
pub struct SandboxParts<'a> {
    pub secrets: &'a Secrets,
    /// The tools directory, as the machine that starts the sandbox sees it.
    pub tools: &'a Path,
    /// The gate program, likewise.
    pub gate: &'a Path,
}

#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    /// Whether the portal can give directories away (it runs as root).
    as_root: bool,
}

/// The longest path a Unix socket can have (sun_path, less its NUL).
const SOCKET_PATH_MAX: usize = 107;

fn io(context: &str, e: std::io::Error) -> DriverError {
    DriverError::Transient(format!("{context}: {e}"))
}

impl Layout {
    /// Makes the resource directory (0711) and checks its sockets' paths will fit.
    pub fn new(root: &str, as_root: bool) -> Result<Layout, String> {
        let root = PathBuf::from(root);
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("cannot make {}: {e}", root.display()))?;
        let root = std::fs::canonicalize(&root)
            .map_err(|e| format!("cannot find {}: {e}", root.display()))?;
        Dir::open(&root)
            .and_then(|d| d.own(None, None, 0o711))
            .map_err(|e| format!("cannot secure {}: {e}", root.display()))?;
        let tail = "/cp-9999999999/sock/app.sock";
        if root.as_os_str().len() + tail.len() > SOCKET_PATH_MAX {
            return Err(format!(
                "RESOURCE_DIR {} is too deep for the Unix sockets workloads listen on: choose one \
                 at most {} characters long",
                root.display(),
                SOCKET_PATH_MAX - tail.len()
            ));
        }
        Ok(Layout { root, as_root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    pub fn files(&self, name: &str) -> PathBuf {
        self.dir(name).join("files")
    }

    pub fn run(&self, name: &str) -> PathBuf {
        self.dir(name).join("run")
    }

    pub fn socket(&self, name: &str) -> PathBuf {
        self.dir(name).join("sock/app.sock")
    }

    pub fn socket_dir(&self, name: &str) -> PathBuf {
        self.dir(name).join("sock")
    }

    pub fn datasets(&self, name: &str) -> PathBuf {
        self.dir(name).join("datasets")
    }

    /// Makes (or finds) the resource's directory with every part owned as described above.
    /// `shared_run`: a cluster job reads its arguments from `run/` (see the module's words).
    pub fn make(
        &self,
        name: &str,
        kind: Kind,
        who: &Person,
        shared_run: bool,
    ) -> Result<(), DriverError> {
        let root =
            Dir::open(&self.root).map_err(|e| io("cannot open the resource directory", e))?;
        let dir = root
            .make_dir(name, 0o711)
            .map_err(|e| io("cannot make the resource's directory", e))?;
        dir.own(None, None, 0o711)
            .map_err(|e| io("cannot secure the resource's directory", e))?;
        let theirs = |sub: &str, what: &str| -> Result<Dir, DriverError> {
            let d = dir
                .make_dir(sub, 0o700)
                .map_err(|e| io(&format!("cannot make the {what}"), e))?;
            if self.as_root {
                d.own(Some(who.uid), Some(who.gid), 0o700)
                    .map_err(|e| io(&format!("cannot give the person the {what}"), e))?;
            }
            Ok(d)
        };
        theirs("files", "working directory")?;
        if kind == Kind::Storage {
            return Ok(());
        }
        theirs("sock", "socket directory")?;
        let (group, readable) = if self.as_root {
            (Some(who.gid), 0o750)
        } else {
            (None, 0o700)
        };
        dir.make_dir("datasets", 0o700)
            .and_then(|d| d.own(None, group, readable))
            .map_err(|e| io("cannot make the datasets view", e))?;
        let run_mode = if shared_run { readable } else { 0o700 };
        dir.make_dir("run", 0o700)
            .and_then(|d| d.own(None, if shared_run { group } else { None }, run_mode))
            .map_err(|e| io("cannot make the run directory", e))
    }

    /// An empty file in `run/` the person may write (and nothing else there): a cluster job's
    /// log and the port its gate took.
    pub fn make_writable_file(
        &self,
        name: &str,
        file: &str,
        who: &Person,
    ) -> Result<(), DriverError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.run(name).join(file);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io(&format!("cannot make {file}"), e))?;
        if self.as_root {
            use std::os::fd::AsRawFd;
            // SAFETY: fchown(2) on a descriptor we just opened.
            if unsafe { libc::fchown(f.as_raw_fd(), who.uid, who.gid) } < 0 {
                return Err(io(
                    &format!("cannot give the person {file}"),
                    std::io::Error::last_os_error(),
                ));
            }
        }
        Ok(())
    }

    /// The sandbox `spec`'s program runs in, as `who`: its template filled in, behind the gate
    /// when it listens on a TCP port, with its JupyterLab token where it wants one.
    pub fn sandbox(
        &self,
        spec: &Spec,
        who: &Person,
        template: &Template,
        p: &SandboxParts,
    ) -> Sandbox {
        let (name, run) = (&spec.name, self.run(&spec.name));
        let home = sandbox::home_of(&who.name);
        let mut argv = template.render(&Values {
            port: INNER_PORT,
            socket: sandbox::SOCKET,
            home: &home,
            base_url: &spec.base_url,
        });
        let mut env = vec![("BASE_URL".to_owned(), spec.base_url.clone())];
        let needs_gate = template.listens() == Listens::Port;
        if needs_gate {
            let mut gated = vec![
                sandbox::GATE.to_owned(),
                "--listen".to_owned(),
                format!("unix:{}", sandbox::SOCKET),
                "--to".to_owned(),
                format!("tcp:127.0.0.1:{INNER_PORT}"),
                "--".to_owned(),
            ];
            gated.append(&mut argv);
            argv = gated;
            env.push(("PORT".to_owned(), INNER_PORT.to_string()));
        }
        if spec.wants_token() {
            env.push(("JUPYTER_TOKEN".to_owned(), p.secrets.jupyter_token(name)));
        }
        Sandbox {
            identity: who.identity,
            name: name.clone(),
            user: who.name.clone(),
            // A released web service runs from the snapshot checkers approved, read-only, and
            // without the live datasets view: what it serves was checked, and nothing else.
            home: match &spec.released {
                Some(digest) => self.dir(name).join("snapshots").join(digest),
                None => self.files(name),
            },
            home_read_only: spec.released.is_some(),
            datasets: spec.released.is_none().then(|| self.datasets(name)),
            socket_dir: self.socket_dir(name),
            passwd: run.join("passwd"),
            group: run.join("group"),
            hosts: run.join("hosts"),
            tools: Some(p.tools.to_owned())
                .filter(|t| t.is_dir())
                .into_iter()
                .collect(),
            gate: needs_gate.then(|| p.gate.to_owned()),
            root: sandbox::host_root(),
            etc: sandbox::host_etc(),
            env,
            devices: Vec::new(),
            argv,
        }
    }

    /// The sandbox's `passwd`, `group` and `hosts` in `run/`, readable by all (they name only
    /// the person and the sandbox).
    pub fn write_sandbox_files(&self, name: &str, who: &Person) -> Result<(), DriverError> {
        let (passwd, group) = sandbox::passwd_and_group(&who.name, who.uid, who.gid);
        let run = self.run(name);
        self.write_file(&run, "passwd", passwd.as_bytes(), 0o644)?;
        self.write_file(&run, "group", group.as_bytes(), 0o644)?;
        self.write_file(&run, "hosts", sandbox::hosts(name).as_bytes(), 0o644)
    }

    /// Writes a file in `dir` whole, through a new file renamed into place, so nothing planted
    /// there is written through and no reader sees half of it.
    pub fn write_file(
        &self,
        dir: &Path,
        file: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), DriverError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = dir.join(format!("{file}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .and_then(|mut f| f.write_all(contents))
            .and_then(|_| std::fs::rename(&tmp, dir.join(file)))
            .map_err(|e| io(&format!("cannot write {file}"), e))
    }

    /// Removes everything the resource had. std's `remove_dir_all` opens each level without
    /// following links, so a link a person left in their files removes the link only.
    pub fn remove(&self, name: &str) -> Result<(), DriverError> {
        match std::fs::remove_dir_all(self.dir(name)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("cannot remove the resource's directory", e)),
        }
    }
}
