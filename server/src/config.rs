//! Settings, all from environment variables with working defaults for the embedded set-up.
//! README.md's configuration table lists the same names; keep them in agreement.

use std::net::SocketAddr;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind_addr: SocketAddr,
    /// The address people reach the portal at; decides cookie security and the OIDC redirect.
    pub public_url: String,
    /// Where workspaces and web services are served: each on a host of its own.
    pub apps: crate::gateway::apps_domain::AppsDomain,
    pub site_root: String,
    pub demo_content: bool,
    pub oidc: Option<OidcConfig>,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub body_limit_bytes: usize,
    pub log_json: bool,
    /// How many failed sign-ins are allowed, and where from.
    pub throttle: campus_core::throttle::ThrottlePolicy,
    /// How long API tokens last: the default offered and the most allowed, in days.
    pub token_lifetime: campus_core::token_scope::Lifetime,
    /// Reverse proxies in front of the portal: from these, the client is the last address in
    /// `X-Forwarded-For` that is not one of them. From anywhere else the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub provisioning: ProvisioningConfig,
    /// Email for notifications; off unless SMTP_URL is set.
    pub mail: Option<crate::mail::MailConfig>,
    pub ingest: IngestConfig,
}

/// Where uploaded data goes and what scans it.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Datasets' files, quarantined uploads and uploads in progress live under here.
    pub dataset_dir: String,
    /// clamd's TCP address (host:port). Without it every upload is refused: an unscanned file is
    /// never called clean.
    pub clamd_addr: Option<String>,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
}

/// How approved requests become real resources.
#[derive(Debug, Clone)]
pub struct ProvisioningConfig {
    /// `local` (processes and directories on this machine) or `slurm`.
    pub driver: String,
    /// Where each resource's directory is kept (with Slurm, on the nodes' shared filesystem).
    pub resource_dir: String,
    /// How workloads are kept apart from the portal and from each other.
    pub workloads: WorkloadConfig,
    /// Run the worker inside `serve` (the default); `server worker` runs one on its own.
    pub run_worker: bool,
    /// Jobs one worker runs at once.
    pub worker_concurrency: usize,
    /// How long a new workspace or service has to answer before provisioning fails.
    pub ready_timeout_secs: u64,
    /// How long a worker's claim on a job lasts unless renewed (renewed every third of it).
    pub lease_secs: u64,
    pub slurm: Option<SlurmConfig>,
    /// Dataset storage as PostgreSQL databases; off unless STORAGE_POSTGRES_ADMIN_URL is set.
    pub databases: Option<DatabasesConfig>,
    /// The largest snapshot of a web service's files an output check takes, in bytes.
    pub snapshot_max_bytes: u64,
}

/// The sandbox and identity every workspace, web service and training sandbox runs with.
#[derive(Clone)]
pub struct WorkloadConfig {
    /// What only the portal may read: keys. Made with mode 0700.
    pub private_dir: std::path::PathBuf,
    /// The key per-resource secrets (JupyterLab tokens, gate secrets) are derived from.
    pub key: Vec<u8>,
    /// First uid and gid given to people when the portal runs as root, and how many.
    pub uid_base: u32,
    pub uid_count: u32,
    /// Programs every workload may use (JupyterLab, code-server, …), bound read-only into each
    /// sandbox at the same path; its `bin` is first on the sandbox's PATH.
    pub tools_dir: std::path::PathBuf,
    /// bubblewrap.
    pub bwrap: std::path::PathBuf,
    /// The gate program (`campus-gate`) on this machine.
    pub gate: std::path::PathBuf,
}

impl std::fmt::Debug for WorkloadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkloadConfig")
            .field("private_dir", &self.private_dir)
            .field("key", &"***")
            .field("uid_base", &self.uid_base)
            .field("uid_count", &self.uid_count)
            .field("tools_dir", &self.tools_dir)
            .field("bwrap", &self.bwrap)
            .field("gate", &self.gate)
            .finish()
    }
}

/// Where scripts/setup installs the workloads' tools: a directory every uid can read when the
/// portal runs as root (a checkout in root's home is not), else the checkout's `.local`.
/// scripts/setup makes the same choice; keep them in agreement.
pub fn default_tools_dir() -> std::path::PathBuf {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        "/opt/campus-portal".into()
    } else {
        std::path::absolute(".local/workload-tools")
            .unwrap_or_else(|_| ".local/workload-tools".into())
    }
}

/// A program on PATH, as an absolute path.
fn on_path(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// Makes the private directory (0700) and reads or makes a key in it.
pub fn private_key(
    dir: &std::path::Path,
    file: &str,
    var: &'static str,
) -> Result<Vec<u8>, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| ConfigError {
            name: "PRIVATE_DIR",
            message: format!("cannot make {}: {e}", dir.display()),
        })?;
    key_file(var, &dir.join(file).display().to_string())
}

fn workloads_from_env() -> Result<WorkloadConfig, ConfigError> {
    let private_dir = std::path::absolute(
        var("PRIVATE_DIR").unwrap_or_else(|| "data/private".into()),
    )
    .map_err(|e| ConfigError {
        name: "PRIVATE_DIR",
        message: e.to_string(),
    })?;
    let bwrap = match var("BWRAP") {
        Some(b) => b.into(),
        None => on_path("bwrap").ok_or(ConfigError {
            name: "BWRAP",
            message: "bubblewrap (bwrap) is not installed: every workload runs in its sandbox, and                       none runs without one (Debian: apt-get install bubblewrap)"
                .into(),
        })?,
    };
    let gate = match var("CAMPUS_GATE") {
        Some(g) => g.into(),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| Some(e.parent()?.join("campus-gate")))
            .filter(|g| g.is_file())
            .ok_or(ConfigError {
                name: "CAMPUS_GATE",
                message: "campus-gate is not beside the server program: build it with cargo build"
                    .into(),
            })?,
    };
    Ok(WorkloadConfig {
        key: private_key(&private_dir, "workload.key", "PRIVATE_DIR")?,
        private_dir,
        uid_base: parsed("WORKLOAD_UID_BASE", 200_000)?,
        uid_count: parsed("WORKLOAD_UID_COUNT", 100_000)?,
        tools_dir: var("WORKLOAD_TOOLS_DIR")
            .map(Into::into)
            .unwrap_or_else(default_tools_dir),
        bwrap,
        gate,
    })
}

#[derive(Clone)]
pub struct DatabasesConfig {
    /// A role that may create roles and databases, e.g. postgres://portal_admin@db:5432/postgres
    pub admin_url: String,
    /// Put before `cp_<id>` in database and role names: lower-case letters, digits, underscores.
    pub prefix: String,
    /// The key database passwords are derived from.
    pub key: Vec<u8>,
    /// The host name people connect to, when it differs from the admin URL's.
    pub host_for_users: Option<String>,
}

impl std::fmt::Debug for DatabasesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabasesConfig")
            .field("admin_url", &"***")
            .field("prefix", &self.prefix)
            .field("key", &"***")
            .field("host_for_users", &self.host_for_users)
            .finish()
    }
}

/// Reads a key, or makes one (32 random bytes, readable by the portal's user only) the first
/// time, so a single machine needs no set-up. Replicas must share the file.
fn key_file(var: &'static str, path: &str) -> Result<Vec<u8>, ConfigError> {
    use rand::RngCore;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let err = |e: std::io::Error| ConfigError {
        name: var,
        message: format!("cannot read or create {path}: {e}"),
    };
    match std::fs::read(path) {
        Ok(k) if k.len() >= 16 => return Ok(k),
        Ok(_) => {
            return Err(ConfigError {
                name: var,
                message: format!("{path} holds fewer than 16 bytes: too short for a key"),
            })
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(err(e)),
        Err(_) => {}
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut key = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => f.write_all(&key).map_err(err)?,
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return key_file(var, path),
        Err(e) => return Err(err(e)),
    }
    Ok(key)
}

/// Before keys had a directory of their own, the project-database key lived in the resource
/// directory, where workloads' files are. Moved into the private one on the first start that
/// finds it there, so existing databases keep their passwords.
fn move_old_database_key(
    resource_dir: &str,
    private_dir: &std::path::Path,
) -> Result<(), ConfigError> {
    let old = std::path::Path::new(resource_dir).join("postgres.key");
    let new = private_dir.join("postgres.key");
    if new.exists() || !old.is_file() {
        return Ok(());
    }
    std::fs::create_dir_all(private_dir)
        .and_then(|_| std::fs::rename(&old, &new))
        .map_err(|e| ConfigError {
            name: "PRIVATE_DIR",
            message: format!(
                "cannot move {} into {}: {e}",
                old.display(),
                private_dir.display()
            ),
        })
}

fn databases_from_env(
    private_dir: &std::path::Path,
    resource_dir: &str,
) -> Result<Option<DatabasesConfig>, ConfigError> {
    let Some(admin_url) = var("STORAGE_POSTGRES_ADMIN_URL") else {
        return Ok(None);
    };
    let prefix = var("STORAGE_POSTGRES_PREFIX").unwrap_or_else(|| "campus_".into());
    if prefix.len() > 40
        || !prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ConfigError {
            name: "STORAGE_POSTGRES_PREFIX",
            message: format!(
                "{prefix:?} must be at most 40 lower-case letters, digits and underscores"
            ),
        });
    }
    let key = match var("STORAGE_POSTGRES_KEY_FILE") {
        Some(file) => key_file("STORAGE_POSTGRES_KEY_FILE", &file)?,
        None => {
            move_old_database_key(resource_dir, private_dir)?;
            private_key(private_dir, "postgres.key", "STORAGE_POSTGRES_KEY_FILE")?
        }
    };
    Ok(Some(DatabasesConfig {
        admin_url,
        prefix,
        key,
        host_for_users: var("STORAGE_POSTGRES_HOST"),
    }))
}

#[derive(Clone)]
pub struct SlurmConfig {
    /// slurmrestd's base URL, e.g. http://127.0.0.1:6820
    pub url: String,
    /// The Unix user jobs run as, named in the JWT.
    pub user: String,
    /// The key slurmctld checks JWTs with (HS256).
    pub jwt_key: Vec<u8>,
    pub partition: String,
    /// Put before `cp-<id>` in job names, so portals sharing one cluster never take each
    /// other's jobs for their own.
    pub job_prefix: String,
    /// The ports a job's gate may listen on (inclusive): an endpoint outside them is never used.
    pub gate_ports: (u16, u16),
}

/// `LOW-HIGH`, both ports, LOW at most HIGH.
pub fn parse_port_range(raw: &str) -> Result<(u16, u16), ConfigError> {
    raw.trim()
        .split_once('-')
        .and_then(|(l, h)| Some((l.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)))
        .filter(|(l, h)| *l > 0 && l <= h)
        .ok_or_else(|| ConfigError {
            name: "SLURM_GATE_PORTS",
            message: format!("{raw:?} should be two ports, LOW-HIGH"),
        })
}

impl std::fmt::Debug for SlurmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlurmConfig")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("jwt_key", &"***")
            .field("partition", &self.partition)
            .field("job_prefix", &self.job_prefix)
            .field("gate_ports", &self.gate_ports)
            .finish()
    }
}

fn provisioning_from_env() -> Result<ProvisioningConfig, ConfigError> {
    let driver = var("PROVISIONING_DRIVER").unwrap_or_else(|| "local".into());
    let slurm = if driver == "slurm" {
        let key_file = var("SLURM_JWT_KEY_FILE").ok_or(ConfigError {
            name: "SLURM_JWT_KEY_FILE",
            message: "required when PROVISIONING_DRIVER is slurm".into(),
        })?;
        Some(SlurmConfig {
            url: var("SLURM_REST_URL").unwrap_or_else(|| "http://127.0.0.1:6820".into()),
            user: var("SLURM_USER").unwrap_or_else(|| "campus".into()),
            jwt_key: std::fs::read(&key_file).map_err(|e| ConfigError {
                name: "SLURM_JWT_KEY_FILE",
                message: format!("cannot read {key_file}: {e}"),
            })?,
            partition: var("SLURM_PARTITION").unwrap_or_else(|| "campus".into()),
            job_prefix: var("SLURM_JOB_PREFIX").unwrap_or_else(|| "portal-".into()),
            gate_ports: parse_port_range(
                &var("SLURM_GATE_PORTS").unwrap_or_else(|| "20000-29999".into()),
            )?,
        })
    } else if driver == "local" {
        None
    } else {
        return Err(ConfigError {
            name: "PROVISIONING_DRIVER",
            message: format!("{driver:?} is not a driver: use local or slurm"),
        });
    };
    let resource_dir = var("RESOURCE_DIR").unwrap_or_else(|| "data/resources".into());
    let workloads = workloads_from_env()?;
    Ok(ProvisioningConfig {
        driver,
        databases: databases_from_env(&workloads.private_dir, &resource_dir)?,
        resource_dir,
        workloads,
        run_worker: parsed("RUN_WORKER", true)?,
        worker_concurrency: parsed("WORKER_CONCURRENCY", 4)?,
        ready_timeout_secs: parsed("READY_TIMEOUT_SECS", 120)?,
        lease_secs: parsed("WORKER_LEASE_SECS", 30)?,
        slurm,
        snapshot_max_bytes: parsed("SNAPSHOT_MAX_BYTES", 256u64 << 20)?,
    })
}

#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// IdP group → portal role.
    pub role_map: Vec<(String, campus_core::domain::Role)>,
    /// The ID token claim naming the person's Unix account, if the IdP sends one.
    pub unix_account_claim: Option<String>,
    /// How often a signed-in person's groups are read again from the provider, in minutes.
    pub resync_minutes: i64,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("role_map", &self.role_map)
            .field("unix_account_claim", &self.unix_account_claim)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error in {name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            message: format!("{v:?} is not valid: {e}"),
        }),
    }
}

pub const DEFAULT_ROLE_MAP: &str = "campus-staff=staff,campus-reviewers=reviewer,campus-output-checkers=output_checker,campus-operators=operator,campus-admins=admin,campus-partners=partner";

pub fn parse_role_map(raw: &str) -> Result<Vec<(String, campus_core::domain::Role)>, ConfigError> {
    raw.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (group, role) = pair.split_once('=').ok_or_else(|| ConfigError {
                name: "OIDC_ROLE_MAP",
                message: format!("{pair:?} should look like group=role"),
            })?;
            let role = role
                .parse()
                .map_err(|e: campus_core::domain::role::UnknownRole| ConfigError {
                    name: "OIDC_ROLE_MAP",
                    message: e.to_string(),
                })?;
            Ok((group.trim().to_owned(), role))
        })
        .collect()
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let oidc = match var("OIDC_ISSUER") {
            None => None,
            Some(issuer) => Some(OidcConfig {
                issuer,
                client_id: var("OIDC_CLIENT_ID").ok_or(ConfigError {
                    name: "OIDC_CLIENT_ID",
                    message: "required when OIDC_ISSUER is set".into(),
                })?,
                client_secret: var("OIDC_CLIENT_SECRET").ok_or(ConfigError {
                    name: "OIDC_CLIENT_SECRET",
                    message: "required when OIDC_ISSUER is set".into(),
                })?,
                role_map: parse_role_map(
                    &var("OIDC_ROLE_MAP").unwrap_or_else(|| DEFAULT_ROLE_MAP.into()),
                )?,
                unix_account_claim: var("OIDC_UNIX_ACCOUNT_CLAIM"),
                resync_minutes: match parsed("OIDC_RESYNC_MINUTES", 15)? {
                    m if m >= 1 => m,
                    _ => {
                        return Err(ConfigError {
                            name: "OIDC_RESYNC_MINUTES",
                            message: "must be at least 1".into(),
                        })
                    }
                },
            }),
        };
        let bind_addr: SocketAddr = parsed(
            "BIND_ADDR",
            "127.0.0.1:3000".parse().expect("literal address"),
        )?;
        let public_url = var("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{bind_addr}"))
            .trim_end_matches('/')
            .to_owned();
        let apps = crate::gateway::apps_domain::AppsDomain::new(
            &public_url,
            var("APPS_DOMAIN").as_deref(),
        )
        .map_err(|message| ConfigError {
            name: "APPS_DOMAIN",
            message,
        })?;
        let token_lifetime = campus_core::token_scope::Lifetime {
            default_days: parsed("API_TOKEN_DAYS", 90)?,
            max_days: parsed("API_TOKEN_MAX_DAYS", 365)?,
        };
        if token_lifetime.default_days < 1 || token_lifetime.default_days > token_lifetime.max_days
        {
            return Err(ConfigError {
                name: "API_TOKEN_DAYS",
                message: format!(
                    "must be at least 1 and at most API_TOKEN_MAX_DAYS ({})",
                    token_lifetime.max_days
                ),
            });
        }
        Ok(Config {
            token_lifetime,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/portal.db?mode=rwc".into()),
            public_url,
            apps,
            bind_addr,
            site_root: var("SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            demo_content: parsed("DEMO_CONTENT", false)?,
            oidc,
            session_idle_minutes: parsed("SESSION_IDLE_MINUTES", 30)?,
            session_absolute_hours: parsed("SESSION_ABSOLUTE_HOURS", 12)?,
            body_limit_bytes: parsed("BODY_LIMIT_BYTES", 1024 * 1024)?,
            log_json: var("LOG_FORMAT").as_deref() == Some("json"),
            throttle: campus_core::throttle::ThrottlePolicy {
                max_failures: parsed("LOGIN_MAX_FAILURES", 5)?,
                max_per_address: parsed("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)?,
                max_overall: parsed("LOGIN_MAX_FAILURES_OVERALL", 500)?,
                window_secs: parsed("LOGIN_WINDOW_SECS", 900)?,
            },
            trusted_proxies: var("TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse().map_err(|_| ConfigError {
                        name: "TRUSTED_PROXIES",
                        message: format!("{a:?} is not an IP address"),
                    })
                })
                .collect::<Result<_, _>>()?,
            provisioning: provisioning_from_env()?,
            ingest: IngestConfig {
                dataset_dir: var("DATASET_DIR").unwrap_or_else(|| "data/datasets".into()),
                clamd_addr: var("CLAMD_ADDR"),
                max_file_bytes: parsed("UPLOAD_MAX_BYTES", 1u64 << 30)?,
            },
            mail: var("SMTP_URL").map(|url| crate::mail::MailConfig {
                url,
                from: var("MAIL_FROM")
                    .unwrap_or_else(|| "Campus Portal <portal@campus.invalid>".into()),
                public_url: var("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind_addr}")),
            }),
        })
    }

    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn cookie_name(&self) -> &'static str {
        // The __Host- prefix makes browsers refuse the cookie unless Secure, host-only and Path=/.
        if self.https() {
            "__Host-campus_session"
        } else {
            "campus_session"
        }
    }

    /// The cookie an app host keeps its pass in (see `gateway::app_host`): host-only on each
    /// app host, never sent to the portal.
    pub fn pass_cookie_name(&self) -> &'static str {
        if self.apps.https() {
            "__Host-campus_pass"
        } else {
            "campus_pass"
        }
    }

    /// Cookie names that are the portal's and never a resource's to read or set.
    pub fn our_cookies(&self) -> [&'static str; 2] {
        [self.cookie_name(), self.pass_cookie_name()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_key_is_made_once_private_and_then_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("campus-key-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys/postgres.key");
        let path = path.to_str().unwrap();
        let first = key_file("X", path).unwrap();
        assert_eq!(first.len(), 32);
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(key_file("X", path).unwrap(), first);
        std::fs::write(path, b"short").unwrap();
        assert!(key_file("X", path)
            .unwrap_err()
            .message
            .contains("too short"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_database_key_moves_out_of_the_resource_directory_once() {
        let dir = std::env::temp_dir().join(format!("campus-key-move-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (resources, private) = (dir.join("resources"), dir.join("private"));
        std::fs::create_dir_all(&resources).unwrap();
        std::fs::write(
            resources.join("postgres.key"),
            b"the key the databases were made with",
        )
        .unwrap();
        move_old_database_key(resources.to_str().unwrap(), &private).unwrap();
        assert!(
            !resources.join("postgres.key").exists(),
            "none left beside workloads' files"
        );
        let key = private_key(&private, "postgres.key", "X").unwrap();
        assert_eq!(
            key, b"the key the databases were made with",
            "the same key, so the same passwords"
        );
        // Once moved, a later start leaves it alone.
        move_old_database_key(resources.to_str().unwrap(), &private).unwrap();
        assert_eq!(private_key(&private, "postgres.key", "X").unwrap(), key);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_port_range_is_two_ports_in_order() {
        assert_eq!(parse_port_range("20000-29999").unwrap(), (20000, 29999));
        for bad in ["20000", "3-2", "0-10", "a-b", "1-70000"] {
            assert!(parse_port_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_role_map_covers_every_role() {
        let map = parse_role_map(DEFAULT_ROLE_MAP).unwrap();
        for role in campus_core::domain::Role::ALL {
            assert!(map.iter().any(|(_, r)| *r == role), "{role} has no group");
        }
    }

    #[test]
    fn a_bad_role_map_names_the_problem() {
        let e = parse_role_map("campus-staff=boss").unwrap_err();
        assert!(e.to_string().contains("boss"), "{e}");
        assert!(parse_role_map("nonsense").is_err());
    }
}
