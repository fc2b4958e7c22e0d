//! The one interface every provisioning engine implements. Every operation is idempotent over
//! the resource's deterministic name: running it again after a crash finds what the first run
//! made instead of making it twice.

use async_trait::async_trait;
use campus_core::requests::kind::{resource_name, Kind};
use campus_core::requests::quota::Amounts;
use campus_core::store::resources::Resource;

/// What to make, from the approved request.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: i64,
    /// `cp-<id>`: the name of the directory, process group, Slurm job or database.
    pub name: String,
    pub kind: Kind,
    pub tool: String,
    /// The offering's command, with `{port}`, `{base_url}` and `{workdir}` placeholders.
    pub command: String,
    pub amounts: Amounts,
    /// The end date, for engines that enforce a time limit.
    pub end_date: String,
    /// The path the proxy serves it under, e.g. `/w/cp-7/`.
    pub base_url: String,
}

impl Spec {
    pub fn of(r: &Resource) -> Spec {
        let name = resource_name(r.id);
        Spec {
            id: r.id,
            base_url: format!("{}{name}/", r.kind.proxy_prefix().unwrap_or("/")),
            name,
            kind: r.kind,
            tool: r.tool.clone(),
            command: r.command.clone(),
            amounts: r.amounts,
            end_date: r.end_date.clone(),
        }
    }
}

/// Where a resource ended up, recorded as soon as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// The engine's own id: a process id, a Slurm job id, a directory.
    pub external_id: String,
    /// `host:port` the proxy forwards to (empty for storage).
    pub endpoint: String,
    /// Whether the backend expects the proxy's path prefix (it was told its base URL).
    pub keeps_prefix: bool,
}

impl Placement {
    /// Stored as one string: `endpoint` plus a `+prefix` marker when the backend keeps it.
    pub fn endpoint_record(&self) -> String {
        if self.keeps_prefix {
            format!("{}+prefix", self.endpoint)
        } else {
            self.endpoint.clone()
        }
    }
    pub fn from_record(external_id: &str, endpoint: &str) -> Placement {
        let (endpoint, keeps_prefix) = match endpoint.strip_suffix("+prefix") {
            Some(e) => (e, true),
            None => (endpoint, false),
        };
        Placement {
            external_id: external_id.to_owned(),
            endpoint: endpoint.to_owned(),
            keeps_prefix,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Running and answering on its endpoint (or, for storage, present).
    Ready,
    /// Running but not answering yet.
    Starting,
    /// Not running; nothing failed.
    Stopped,
    /// It stopped by itself: the reason in words (the end of its log, the job's state).
    Failed(String),
    /// Something outside ended it (a signal): the reason in words. Unlike a program that
    /// failed on its own, one killed while starting is worth starting again.
    Killed(String),
    /// The engine has no such resource.
    Missing,
}

/// One machine as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub address: String,
    pub cpus: u32,
    pub alloc_cpus: u32,
    pub ram_gb: u32,
    pub alloc_ram_gb: u32,
    pub gpus: u32,
    pub alloc_gpus: u32,
    pub gpu_model: String,
    pub partitions: Vec<String>,
    pub state: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DriverError {
    /// Worth trying again later: the engine was unreachable or busy.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: the reason is for the person who asked.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait]
pub trait Driver: Send + Sync {
    fn name(&self) -> &'static str;
    /// Makes the resource (or finds the one an earlier attempt made) and starts it.
    async fn provision(&self, spec: &Spec) -> Result<Placement, DriverError>;
    async fn status(&self, spec: &Spec, placement: &Placement) -> Result<Health, DriverError>;
    /// Where a ready resource listens, for engines that learn it only once it runs (a Slurm job
    /// picks its node and port); the others already said so when they provisioned it.
    async fn locate(&self, _spec: &Spec, placement: &Placement) -> Result<Placement, DriverError> {
        Ok(placement.clone())
    }
    /// Bytes a storage resource holds now; None for engines or kinds that cannot say.
    async fn usage(&self, _spec: &Spec) -> Option<u64> {
        None
    }
    /// The engine's own view of its machines, for engines that have one (Slurm); None when the
    /// portal's inventory is the only record.
    async fn nodes(&self) -> Result<Option<Vec<Node>>, DriverError> {
        Ok(None)
    }
    /// Starts a stopped resource; the placement may change (a new port, a new job).
    async fn start(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError>;
    async fn stop(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError>;
    /// Removes everything the resource had, whatever state an earlier attempt left it in.
    async fn destroy(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError>;
}
