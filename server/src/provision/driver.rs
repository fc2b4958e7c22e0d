//! The one interface every provisioning engine implements. Every operation is idempotent over
//! the resource's deterministic name: running it again after a crash finds what the first run
//! made instead of making it twice.

use async_trait::async_trait;
use campus_core::requests::kind::{resource_name, Kind};
use campus_core::requests::quota::Amounts;
use campus_core::services::bookings::Reservation;
use campus_core::store::resources::Resource;

pub use super::identity::Owner;
use super::secrets::Secrets;
use super::upstream::Target;

/// What to make, from the approved request.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: i64,
    /// `cp-<id>`: the name of the directory, sandbox, Slurm job or database.
    pub name: String,
    pub kind: Kind,
    pub tool: String,
    /// The offering's command as stored: a JSON array, program first (see
    /// `campus_core::requests::template`).
    pub command: String,
    pub amounts: Amounts,
    /// The end date, for engines that enforce a time limit.
    pub end_date: String,
    /// The path it is served under on its own host: always `/` now; the field stays so offering
    /// commands may keep naming `{base_url}`.
    pub base_url: String,
    /// Whose it is: its processes run as this person, never as the portal.
    pub owner: Owner,
    /// The booking reservation it runs in, and when that ends (Unix seconds): set when its
    /// project has a booking running now for the accelerators it needs.
    pub reservation: Option<(String, i64)>,
    /// The GPUs on its host the portal gave it, by index (the local driver hands them in).
    pub devices: Vec<u32>,
    /// The digest of its approved output-check snapshot: it runs from that, read-only.
    pub released: Option<String>,
}

impl Spec {
    pub fn of(r: &Resource) -> Spec {
        let name = resource_name(r.id);
        Spec {
            id: r.id,
            base_url: "/".to_owned(),
            name,
            kind: r.kind,
            tool: r.tool.clone(),
            command: r.command.clone(),
            amounts: r.amounts,
            end_date: r.end_date.clone(),
            owner: Owner {
                user_id: r.requester_id,
                username: r.requester_username.clone(),
                unix_account: r.requester_unix_account.clone(),
            },
            reservation: None,
            devices: r
                .devices
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect(),
            released: r.released.clone(),
        }
    }

    /// Whether the proxy authenticates to it with a JupyterLab token.
    pub fn wants_token(&self) -> bool {
        self.tool == JUPYTERLAB
    }
}

/// The offering tool whose server demands the per-resource token.
pub const JUPYTERLAB: &str = "jupyterlab";

/// Where a resource ended up, recorded as soon as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    /// The engine's own id: a process id, a Slurm job id, a directory.
    pub external_id: String,
    /// Where the proxy reaches it: `unix:<socket>` or `gate:<host>:<port>` (empty for storage
    /// and until it is known).
    pub endpoint: String,
    /// Whether the backend expects the proxy's path prefix (it was told its base URL).
    pub keeps_prefix: bool,
    /// Whether the proxy must send the resource's JupyterLab token.
    pub token: bool,
}

impl Placement {
    /// Stored as one string: `endpoint`, then `+prefix` and `+token` markers.
    pub fn endpoint_record(&self) -> String {
        let mut r = self.endpoint.clone();
        if self.keeps_prefix {
            r.push_str("+prefix");
        }
        if self.token {
            r.push_str("+token");
        }
        r
    }

    pub fn from_record(external_id: &str, record: &str) -> Placement {
        let mut parts = record.split('+');
        let endpoint = parts.next().unwrap_or("").to_owned();
        let flags: Vec<&str> = parts.collect();
        Placement {
            external_id: external_id.to_owned(),
            endpoint,
            keeps_prefix: flags.contains(&"prefix"),
            token: flags.contains(&"token"),
        }
    }

    /// How to connect to it; None for an endpoint the portal never made (an old plain
    /// `host:port` from before workloads were sandboxed, or nothing yet).
    pub fn target(&self, name: &str, secrets: &Secrets) -> Option<Target> {
        if let Some(path) = self.endpoint.strip_prefix("unix:") {
            return Some(Target::Unix(path.into()));
        }
        let addr = self.endpoint.strip_prefix("gate:")?;
        Some(Target::Gated {
            addr: addr.to_owned(),
            secret: secrets.gate_secret(name),
        })
    }

    /// The Authorization header the proxy adds, if the backend wants one.
    pub fn authorization(&self, name: &str, secrets: &Secrets) -> Option<String> {
        self.token
            .then(|| format!("token {}", secrets.jupyter_token(name)))
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
    /// The names of the booking reservations this portal keeps on the engine; None for engines
    /// that keep none (the local driver, where the portal's own placement holds devices).
    async fn reservations(&self) -> Result<Option<Vec<String>>, DriverError> {
        Ok(None)
    }
    /// Makes a reservation for a booking (one of that name must not exist). A refusal the engine
    /// gives for the booking itself (cores taken, a node down) is permanent.
    async fn reserve(&self, _r: &Reservation) -> Result<(), DriverError> {
        Ok(())
    }
    /// Removes a reservation, if it is there.
    async fn unreserve(&self, _name: &str) -> Result<(), DriverError> {
        Ok(())
    }
    /// Starts a stopped resource; the placement may change (a new port, a new job).
    async fn start(&self, spec: &Spec, placement: &Placement) -> Result<Placement, DriverError>;
    async fn stop(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError>;
    /// Removes everything the resource had, whatever state an earlier attempt left it in.
    async fn destroy(&self, spec: &Spec, placement: &Placement) -> Result<(), DriverError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_record_keeps_its_markers() {
        let p = Placement {
            external_id: "42".into(),
            endpoint: "unix:/r/cp-1/sock/app.sock".into(),
            keeps_prefix: true,
            token: true,
        };
        assert_eq!(
            p.endpoint_record(),
            "unix:/r/cp-1/sock/app.sock+prefix+token"
        );
        assert_eq!(Placement::from_record("42", &p.endpoint_record()), p);
        let secrets = Secrets::new(b"key");
        assert_eq!(
            p.target("cp-1", &secrets),
            Some(Target::Unix("/r/cp-1/sock/app.sock".into()))
        );
        assert_eq!(
            p.authorization("cp-1", &secrets),
            Some(format!("token {}", secrets.jupyter_token("cp-1")))
        );
        let gated = Placement::from_record("7", "gate:10.0.0.5:20001");
        assert!(matches!(
            gated.target("cp-1", &secrets),
            Some(Target::Gated { addr, .. }) if addr == "10.0.0.5:20001"
        ));
        assert_eq!(gated.authorization("cp-1", &secrets), None);
        // What an unsandboxed workload once recorded is never connected to.
        assert_eq!(
            Placement::from_record("7", "127.0.0.1:8000+prefix").target("cp-1", &secrets),
            None
        );
    }
}
