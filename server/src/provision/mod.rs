//! Turning approved requests into real resources: one driver trait with a driver per engine,
//! and the worker that claims jobs from the queue and drives them.

pub mod availability;
pub mod beneath;
pub mod driver;
pub mod identity;
pub mod layout;
pub mod local;
pub mod mounts;
pub mod postgres;
pub mod releases;
pub mod reservations;
pub mod sandbox;
pub mod scontrol;
pub mod secrets;
pub mod slurm;
pub mod snapshot;
pub mod upstream;
pub mod worker;

pub use driver::{Driver, DriverError, Health, Node, Placement, Spec};

use crate::config::ProvisioningConfig;
use async_trait::async_trait;
use campus_core::requests::kind::Kind;
use campus_core::services::bookings::Reservation;
use postgres::PgDatabases;
use std::sync::Arc;

/// The PostgreSQL server for project databases, when one is configured.
pub fn databases(cfg: &ProvisioningConfig) -> Result<Option<Arc<PgDatabases>>, String> {
    cfg.databases
        .as_ref()
        .map(|d| PgDatabases::new(d).map(Arc::new))
        .transpose()
}

/// The driver the configuration names, with project databases routed to PostgreSQL. Refuses
/// to start what could not isolate its workloads (no bubblewrap, a uid range that collides
/// with this machine's accounts, a resource directory too deep for sockets): nothing ever runs
/// without its sandbox.
pub fn from_config(
    cfg: &ProvisioningConfig,
    databases: Option<Arc<PgDatabases>>,
) -> Result<Arc<dyn Driver>, String> {
    let w = &cfg.workloads;
    check_bwrap(&w.bwrap)?;
    let engine: Arc<dyn Driver> = match &cfg.slurm {
        Some(slurm) => {
            install_gate(w)?;
            Arc::new(slurm::SlurmDriver::new(slurm, &cfg.resource_dir, w)?)
        }
        None => {
            let ids = identity::Identities::for_this_process(w.uid_base, w.uid_count)?;
            Arc::new(local::LocalDriver::new(&cfg.resource_dir, w, ids)?)
        }
    };
    Ok(Arc::new(Routed { engine, databases }))
}

/// bubblewrap must be there and able to make a sandbox here (namespaces allowed).
fn check_bwrap(bwrap: &std::path::Path) -> Result<(), String> {
    let out = std::process::Command::new(bwrap)
        .args(["--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"])
        .env_clear()
        .output()
        .map_err(|e| {
            format!(
                "bubblewrap ({}) cannot be run: {e}. Every workload runs in its sandbox and none \
                 runs without one (Debian: apt-get install bubblewrap)",
                bwrap.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "bubblewrap cannot make a sandbox on this machine: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Cluster jobs run the gate from the tools directory the nodes share: put this portal's own
/// there (replacing it only when it differs, in one rename, so a job starting meanwhile finds
/// either the old one or the new).
fn install_gate(w: &crate::config::WorkloadConfig) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let bin = w.tools_dir.join("bin");
    let target = bin.join("campus-gate");
    let ours = std::fs::read(&w.gate)
        .map_err(|e| format!("cannot read the gate {}: {e}", w.gate.display()))?;
    if std::fs::read(&target).is_ok_and(|theirs| theirs == ours) {
        return Ok(());
    }
    let tmp = bin.join(format!("campus-gate.{}.tmp", std::process::id()));
    std::fs::create_dir_all(&bin)
        .and_then(|_| std::fs::write(&tmp, &ours))
        .and_then(|_| std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)))
        .and_then(|_| std::fs::rename(&tmp, &target))
        .map_err(|e| format!("cannot put the gate into {}: {e}", bin.display()))
}

/// Sends storage whose offering is a PostgreSQL database to the database server and
/// everything else to the configured engine.
struct Routed {
    engine: Arc<dyn Driver>,
    databases: Option<Arc<PgDatabases>>,
}

enum Target<'a> {
    Engine(&'a dyn Driver),
    Database(&'a PgDatabases),
}

impl Routed {
    fn target(&self, spec: &Spec) -> Result<Target<'_>, DriverError> {
        if spec.kind != Kind::Storage || spec.tool != postgres::TOOL {
            return Ok(Target::Engine(self.engine.as_ref()));
        }
        match &self.databases {
            Some(d) => Ok(Target::Database(d)),
            None => Err(DriverError::Permanent(
                "this portal has no PostgreSQL server for project databases: an operator must \
                 set STORAGE_POSTGRES_ADMIN_URL"
                    .into(),
            )),
        }
    }
}

#[async_trait]
impl Driver for Routed {
    fn name(&self) -> &'static str {
        self.engine.name()
    }

    async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.provision(spec).await,
            Target::Database(d) => d.provision(spec).await,
        }
    }

    async fn status(&self, spec: &Spec, placement: &Placement) -> Result<Health, DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.status(spec, placement).await,
            Target::Database(d) => d.status(spec).await,
        }
    }

    async fn locate(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.locate(spec, placement).await,
            Target::Database(_) => Ok(placement.clone()),
        }
    }

    async fn usage(&self, spec: &Spec) -> Option<u64> {
        match self.target(spec).ok()? {
            Target::Engine(e) => e.usage(spec).await,
            Target::Database(d) => d.usage(spec).await,
        }
    }

    async fn nodes(&self) -> Result<Option<Vec<Node>>, DriverError> {
        self.engine.nodes().await
    }

    async fn reservations(&self) -> Result<Option<Vec<String>>, DriverError> {
        self.engine.reservations().await
    }

    async fn reserve(&self, r: &Reservation) -> Result<(), DriverError> {
        self.engine.reserve(r).await
    }

    async fn unreserve(&self, name: &str) -> Result<(), DriverError> {
        self.engine.unreserve(name).await
    }

    async fn start(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.start(spec, placement).await,
            Target::Database(d) => d.provision(spec).await,
        }
    }

    async fn stop(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.stop(spec, placement).await,
            // Storage is never stopped: it holds data, not processes.
            Target::Database(_) => Ok(()),
        }
    }

    async fn destroy(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError> {
        match self.target(spec)? {
            Target::Engine(e) => e.destroy(spec, placement).await,
            Target::Database(d) => d.destroy(spec).await,
        }
    }
}
