//! The sandbox every workspace, web service and training sandbox runs in: bubblewrap's argument
//! list, built from what the resource may see and nothing else.
//!
//! - Its own PID, IPC, UTS and network namespaces: it sees no other process, and no network
//!   but its own loopback, so nothing reaches it except through the socket directory the
//!   portal's gate connects to (and it reaches nothing, the portal's database included).
//! - A root of bubblewrap's own: the system's `/usr` (read-only), a chosen few files of `/etc`,
//!   a fresh `/tmp`, `/proc` and `/dev`, the tools every workload may use (read-only), the
//!   person's home (the resource's files, read-write), its granted datasets under
//!   `~/datasets` (read-only by mount, so no mode bit or ownership trick opens them), and the
//!   socket directory at [`SOCKET_DIR`]. Nothing of the portal's data directory, database,
//!   keys or configuration is there to find.
//! - An environment built from [`ALLOWED_ENV`], never inherited.
//! - Its own identity: when the portal runs as root, bubblewrap sets the sandbox up as root
//!   and `setpriv` then becomes the person's uid and gid with no groups, no capabilities and
//!   `no_new_privs` before the program starts. Otherwise it is a user-namespace sandbox under
//!   the portal's (or, on a cluster node, the person's) own uid.
//!
//! Secrets (a JupyterLab token) are environment values, and bubblewrap's options are handed to
//! it through a file descriptor (`--args`), never on a command line that `ps` shows; only the
//! program's own command follows on the command line.

use std::path::{Path, PathBuf};

/// Where the resource's socket directory appears inside the sandbox.
pub const SOCKET_DIR: &str = "/run/campus";
/// The socket a workload listens on (or the gate listens on for it).
pub const SOCKET: &str = "/run/campus/app.sock";
/// Where the gate program appears inside the sandbox.
pub const GATE: &str = "/run/campus-gate";

/// The only variables a workload's environment holds.
pub const ALLOWED_ENV: [&str; 12] = [
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
    "CUDA_VISIBLE_DEVICES",
];

/// Who the sandbox's processes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The portal is root: set up as root, then become this uid and gid.
    Switch { uid: u32, gid: u32 },
    /// The caller's own uid, inside a user namespace (the portal not being root, or a job on
    /// a cluster node that already runs as the person).
    Same,
}

/// How the top-level directories of the host's root look: Debian's merged `/usr` makes
/// `/bin`, `/lib`… links into `/usr`; older systems have directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootEntry {
    Link { path: String, target: String },
    Dir(String),
}

/// Everything a sandbox is made from.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub identity: Identity,
    /// The resource's name, `cp-<id>`: the sandbox's host name.
    pub name: String,
    /// The person's user name, for HOME, USER and the sandbox's `/etc/passwd`.
    pub user: String,
    /// The resource's files, the person's home inside.
    pub home: PathBuf,
    /// The home is bound read-only: a released web service serves its checked snapshot.
    pub home_read_only: bool,
    /// The resource's view of its granted datasets, if it has one.
    pub datasets: Option<PathBuf>,
    /// The socket directory (bound at [`SOCKET_DIR`]).
    pub socket_dir: PathBuf,
    /// `/etc/passwd` and `/etc/group` files naming the person.
    pub passwd: PathBuf,
    pub group: PathBuf,
    /// `/etc/hosts` naming the sandbox's own host name (Spark, for one, looks it up).
    pub hosts: PathBuf,
    /// Directories bound read-only at the same path: the tools every workload may use.
    pub tools: Vec<PathBuf>,
    /// The gate program, if the workload needs one (bound at [`GATE`]).
    pub gate: Option<PathBuf>,
    /// The host's top-level entries to mirror (see [`RootEntry`]).
    pub root: Vec<RootEntry>,
    /// Files and directories of `/etc` that exist on the host and are bound read-only.
    pub etc: Vec<String>,
    /// Extra environment values (names must be in [`ALLOWED_ENV`]).
    pub env: Vec<(String, String)>,
    /// Device nodes bound in, the only ones beyond bubblewrap's minimal `/dev`.
    pub devices: Vec<PathBuf>,
    /// The program and its arguments.
    pub argv: Vec<String>,
}

/// The parts of `/etc` a program may need: certificates, time zones, name service and dynamic
/// linker settings, and the configuration of the languages the catalogue offers.
pub const ETC: [&str; 16] = [
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/fonts",
    "/etc/host.conf",
    "/etc/java-17-openjdk",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/R",
    "/etc/resolv.conf",
    "/etc/ssl",
    "/etc/timezone",
    "/etc/jupyter",
];

/// Where a sandbox looks for programs: the tools' own `bin` directories first, then the
/// system's. Offerings' programs are checked against the same list.
pub fn search_path(tools: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = tools.iter().map(|t| t.join("bin")).collect();
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    dirs
}

/// The sandbox's home directory for a user name.
pub fn home_of(user: &str) -> String {
    format!("/home/{user}")
}

impl Sandbox {
    /// Hands the GPUs with these indexes into the sandbox: CUDA sees only them
    /// (`CUDA_VISIBLE_DEVICES`), and their device nodes, with the driver's shared ones, are the
    /// only GPU nodes bound in (on a machine without them, only the variable is set).
    pub fn give_gpus(&mut self, slots: &[u32]) {
        if slots.is_empty() {
            return;
        }
        let list: Vec<String> = slots.iter().map(u32::to_string).collect();
        self.env
            .push(("CUDA_VISIBLE_DEVICES".to_owned(), list.join(",")));
        let shared = ["nvidiactl", "nvidia-uvm", "nvidia-uvm-tools"].map(str::to_owned);
        self.devices = slots
            .iter()
            .map(|s| format!("nvidia{s}"))
            .chain(shared)
            .map(|n| PathBuf::from("/dev").join(n))
            .filter(|p| p.exists())
            .collect();
    }

    /// The PATH inside: see [`search_path`].
    pub fn path(&self) -> String {
        search_path(&self.tools)
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// bubblewrap's arguments, up to and including the program's argv.
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = Vec::new();
        let mut push = |parts: &[&str]| a.extend(parts.iter().map(|s| (*s).to_owned()));
        let home = home_of(&self.user);
        if self.identity == Identity::Same {
            push(&["--unshare-user", "--disable-userns"]);
        }
        push(&[
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-net",
            "--unshare-cgroup-try",
            "--hostname",
            &self.name,
        ]);
        // bubblewrap, run as root, makes the directories a mount needs readable by root alone:
        // make each one the person must pass through first, readable by all.
        let mut dirs: Vec<String> = vec!["/etc".into(), "/run".into(), "/home".into()];
        for t in &self.tools {
            dirs.extend(
                t.ancestors()
                    .skip(1)
                    .filter(|a| a.parent().is_some())
                    .map(|a| a.display().to_string()),
            );
        }
        dirs.sort();
        dirs.dedup();
        for d in &dirs {
            push(&["--perms", "0755", "--dir", d]);
        }
        push(&["--ro-bind", "/usr", "/usr"]);
        for entry in &self.root {
            match entry {
                RootEntry::Link { path, target } => push(&["--symlink", target, path]),
                RootEntry::Dir(path) => push(&["--ro-bind", path, path]),
            }
        }
        for e in &self.etc {
            push(&["--ro-bind", e, e]);
        }
        let (passwd, group) = (
            self.passwd.display().to_string(),
            self.group.display().to_string(),
        );
        push(&["--ro-bind", &passwd, "/etc/passwd"]);
        push(&["--ro-bind", &group, "/etc/group"]);
        let hosts = self.hosts.display().to_string();
        push(&["--ro-bind", &hosts, "/etc/hosts"]);
        // A private /tmp the person can write (bubblewrap's own would be root's alone).
        push(&[
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
        ]);
        for d in &self.devices {
            let d = d.display().to_string();
            push(&["--dev-bind", &d, &d]);
        }
        for t in &self.tools {
            let t = t.display().to_string();
            push(&["--ro-bind", &t, &t]);
        }
        if let Some(gate) = &self.gate {
            push(&["--ro-bind", &gate.display().to_string(), GATE]);
        }
        let bind = if self.home_read_only {
            "--ro-bind"
        } else {
            "--bind"
        };
        push(&[bind, &self.home.display().to_string(), &home]);
        if let Some(d) = &self.datasets {
            push(&[
                "--ro-bind",
                &d.display().to_string(),
                &format!("{home}/datasets"),
            ]);
        }
        push(&["--bind", &self.socket_dir.display().to_string(), SOCKET_DIR]);
        push(&["--chdir", &home, "--clearenv"]);
        let path = self.path();
        let fixed = [
            ("HOME", home.as_str()),
            ("USER", self.user.as_str()),
            ("LOGNAME", self.user.as_str()),
            ("PATH", path.as_str()),
            ("LANG", "C.UTF-8"),
            ("TMPDIR", "/tmp"),
            ("SHELL", "/bin/bash"),
            ("CAMPUS_RESOURCE", self.name.as_str()),
        ];
        for (k, v) in fixed {
            push(&["--setenv", k, v]);
        }
        for (k, v) in &self.env {
            debug_assert!(ALLOWED_ENV.contains(&k.as_str()), "{k} is not allowed");
            if ALLOWED_ENV.contains(&k.as_str()) {
                push(&["--setenv", k, v]);
            }
        }
        match self.identity {
            Identity::Switch { uid, gid } => {
                // Only what setpriv needs to become the person (and to enter their home,
                // which is theirs alone); setpriv drops even those.
                push(&[
                    "--cap-drop",
                    "ALL",
                    "--cap-add",
                    "CAP_DAC_READ_SEARCH",
                    "--cap-add",
                    "CAP_SETUID",
                    "--cap-add",
                    "CAP_SETGID",
                    "--cap-add",
                    "CAP_SETPCAP",
                    "--",
                    "/usr/bin/setpriv",
                    &format!("--reuid={uid}"),
                    &format!("--regid={gid}"),
                    "--clear-groups",
                    "--no-new-privs",
                    "--inh-caps=-all",
                    "--bounding-set=-all",
                    "--",
                ]);
            }
            Identity::Same => push(&["--cap-drop", "ALL", "--"]),
        }
        a.extend(self.argv.iter().cloned());
        a
    }
}

/// The host's top-level directories as they are: links stay links, directories are bound.
pub fn host_root() -> Vec<RootEntry> {
    ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
        .into_iter()
        .filter_map(|p| {
            let meta = std::fs::symlink_metadata(p).ok()?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(p).ok()?.display().to_string();
                Some(RootEntry::Link {
                    path: p.to_owned(),
                    target,
                })
            } else if meta.is_dir() {
                Some(RootEntry::Dir(p.to_owned()))
            } else {
                None
            }
        })
        .collect()
}

/// The entries of [`ETC`] this host has.
pub fn host_etc() -> Vec<String> {
    ETC.iter()
        .filter(|p| Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .collect()
}

/// The sandbox's `/etc/passwd` and `/etc/group`: root, the person, and nobody, so programs that
/// look their user up find a name and a home.
pub fn passwd_and_group(user: &str, uid: u32, gid: u32) -> (String, String) {
    let home = home_of(user);
    (
        format!(
            "root:x:0:0:root:/root:/usr/sbin/nologin\n{user}:x:{uid}:{gid}:{user}:{home}:/bin/bash\n\
             nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        ),
        format!("root:x:0:\n{user}:x:{gid}:\nnogroup:x:65534:\n"),
    )
}

/// The sandbox's `/etc/hosts`: its own name on its own loopback.
pub fn hosts(name: &str) -> String {
    format!("127.0.0.1 localhost {name}\n::1 localhost ip6-localhost ip6-loopback\n")
}

impl Sandbox {
    /// The arguments split where bubblewrap's `--args` file must end: the options (secrets
    /// among them) go through the descriptor, and the command, from the first `--` on, on
    /// the command line, which `--args` does not take.
    pub fn options_and_command(&self) -> (Vec<String>, Vec<String>) {
        let mut all = self.args();
        let at = all.iter().position(|a| a == "--").unwrap_or(all.len());
        let command = all.split_off(at);
        (all, command)
    }
}

/// The argument list as bubblewrap's `--args` reads it: each argument ended by a NUL.
pub fn nul_separated(args: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in args {
        out.extend_from_slice(a.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(identity: Identity) -> Sandbox {
        Sandbox {
            identity,
            name: "cp-7".into(),
            user: "alice".into(),
            home: "/data/resources/cp-7/files".into(),
            home_read_only: false,
            datasets: Some("/data/resources/cp-7/datasets".into()),
            socket_dir: "/data/resources/cp-7/sock".into(),
            passwd: "/data/resources/cp-7/run/passwd".into(),
            group: "/data/resources/cp-7/run/group".into(),
            hosts: "/data/resources/cp-7/run/hosts".into(),
            tools: vec!["/opt/campus-portal".into()],
            gate: Some("/usr/lib/campus/campus-gate".into()),
            root: vec![RootEntry::Link {
                path: "/bin".into(),
                target: "usr/bin".into(),
            }],
            etc: vec!["/etc/ssl".into()],
            env: vec![("JUPYTER_TOKEN".into(), "t0ken".into())],
            devices: Vec::new(),
            argv: vec![
                "jupyter-lab".into(),
                "--ServerApp.sock=/run/campus/app.sock".into(),
            ],
        }
    }

    fn pairs(args: &[String], flag: &str) -> Vec<(String, String)> {
        args.windows(3)
            .filter(|w| w[0] == flag)
            .map(|w| (w[1].clone(), w[2].clone()))
            .collect()
    }

    #[test]
    fn gpus_given_are_the_only_ones_cuda_sees() {
        let mut s = sandbox(Identity::Same);
        s.give_gpus(&[1, 3]);
        let env = pairs(&s.args(), "--setenv");
        assert!(
            env.contains(&("CUDA_VISIBLE_DEVICES".into(), "1,3".into())),
            "{env:?}"
        );
        // Only device nodes that exist are bound; this machine's /dev has no GPUs.
        assert!(s.devices.iter().all(|d| d.exists()));
        let mut none = sandbox(Identity::Same);
        none.give_gpus(&[]);
        let env = pairs(&none.args(), "--setenv");
        assert!(!env.iter().any(|(k, _)| k == "CUDA_VISIBLE_DEVICES"));
    }

    #[test]
    fn as_root_the_sandbox_becomes_the_person_with_nothing_left_of_root() {
        let args = sandbox(Identity::Switch {
            uid: 200_007,
            gid: 200_007,
        })
        .args();
        let at = args.iter().position(|a| a == "/usr/bin/setpriv").unwrap();
        assert_eq!(args[at - 1], "--", "setpriv is the sandbox's program");
        assert_eq!(
            &args[at + 1..at + 8],
            [
                "--reuid=200007",
                "--regid=200007",
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--"
            ]
        );
        assert_eq!(
            args[at + 8..],
            ["jupyter-lab", "--ServerApp.sock=/run/campus/app.sock"]
        );
        assert!(!args.contains(&"--unshare-user".to_owned()));
    }

    #[test]
    fn without_root_it_is_a_user_namespace_with_no_capabilities() {
        let args = sandbox(Identity::Same).args();
        assert_eq!(args[..2], ["--unshare-user", "--disable-userns"]);
        assert!(!args.contains(&"/usr/bin/setpriv".to_owned()));
        let end = args.iter().position(|a| a == "--").unwrap();
        assert_eq!(args[end - 2..end], ["--cap-drop", "ALL"]);
    }

    #[test]
    fn it_has_namespaces_of_its_own_and_its_own_network() {
        let args = sandbox(Identity::Same).args();
        for ns in [
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-net",
        ] {
            assert!(args.contains(&ns.to_owned()), "{ns}");
        }
        assert!(!args.contains(&"--share-net".to_owned()));
    }

    #[test]
    fn a_released_service_cannot_write_its_home() {
        let mut s = sandbox(Identity::Same);
        s.home = "/data/resources/cp-7/snapshots/ab12".into();
        s.home_read_only = true;
        s.datasets = None;
        let args = s.args();
        assert_eq!(
            pairs(&args, "--bind"),
            [("/data/resources/cp-7/sock".into(), SOCKET_DIR.into())],
            "only its socket is writable"
        );
        assert!(pairs(&args, "--ro-bind").contains(&(
            "/data/resources/cp-7/snapshots/ab12".into(),
            "/home/alice".into()
        )));
    }

    #[test]
    fn it_sees_only_what_it_is_given_and_datasets_only_read_only() {
        let args = sandbox(Identity::Same).args();
        let rw = pairs(&args, "--bind");
        assert_eq!(
            rw,
            [
                ("/data/resources/cp-7/files".into(), "/home/alice".into()),
                ("/data/resources/cp-7/sock".into(), SOCKET_DIR.into()),
            ],
            "the only writable places"
        );
        let ro = pairs(&args, "--ro-bind");
        assert!(ro.contains(&(
            "/data/resources/cp-7/datasets".into(),
            "/home/alice/datasets".into()
        )));
        assert!(ro.contains(&("/opt/campus-portal".into(), "/opt/campus-portal".into())));
        assert!(ro.contains(&("/usr/lib/campus/campus-gate".into(), GATE.into())));
        assert!(ro.contains(&(
            "/data/resources/cp-7/run/passwd".into(),
            "/etc/passwd".into()
        )));
        assert!(
            !ro.iter()
                .any(|(from, _)| from == "/" || from == "/etc" || from == "/home"),
            "{ro:?}"
        );
        assert_eq!(
            pairs(&args, "--symlink"),
            [("usr/bin".into(), "/bin".into())]
        );
    }

    #[test]
    fn tmp_is_private_and_writable_by_the_person() {
        let args = sandbox(Identity::Switch { uid: 1, gid: 1 }).args();
        let at = args.iter().position(|a| a == "--tmpfs").unwrap();
        assert_eq!(
            args[at - 2..=at + 1],
            ["--perms", "1777", "--tmpfs", "/tmp"]
        );
    }

    #[test]
    fn the_environment_is_the_allow_list_and_nothing_inherited() {
        let args = sandbox(Identity::Same).args();
        assert!(args.contains(&"--clearenv".to_owned()));
        let env = pairs(&args, "--setenv");
        for (k, _) in &env {
            assert!(ALLOWED_ENV.contains(&k.as_str()), "{k}");
        }
        assert!(env.contains(&("HOME".into(), "/home/alice".into())));
        assert!(env.contains(&("JUPYTER_TOKEN".into(), "t0ken".into())));
        assert!(env.contains(&(
            "PATH".into(),
            "/opt/campus-portal/bin:/usr/local/bin:/usr/bin:/bin".into()
        )));
    }

    #[test]
    fn a_variable_off_the_allow_list_is_never_set() {
        let mut s = sandbox(Identity::Same);
        s.env = vec![("DATABASE_URL".into(), "postgres://secret".into())];
        let args = std::panic::catch_unwind(move || s.args());
        // Debug builds stop at the mistake; release builds leave the variable out.
        if let Ok(args) = args {
            assert!(!args.iter().any(|a| a.contains("secret")));
        }
    }

    #[test]
    fn secrets_stay_in_the_options_and_the_command_starts_at_the_separator() {
        let (options, command) = sandbox(Identity::Same).options_and_command();
        assert!(options.contains(&"t0ken".to_owned()));
        assert!(!command.contains(&"t0ken".to_owned()));
        assert_eq!(command[0], "--");
        assert_eq!(
            command.last().unwrap(),
            "--ServerApp.sock=/run/campus/app.sock"
        );
    }

    #[test]
    fn passwd_names_the_person_with_their_home() {
        let (passwd, group) = passwd_and_group("alice", 200_007, 200_007);
        assert!(passwd.contains("alice:x:200007:200007:alice:/home/alice:/bin/bash\n"));
        assert!(group.contains("alice:x:200007:\n"));
    }

    #[test]
    fn arguments_go_through_a_descriptor_each_ended_by_nul() {
        assert_eq!(
            nul_separated(&["--setenv".into(), "A".into(), "b c".into()]),
            b"--setenv\0A\0b c\0"
        );
    }
}
