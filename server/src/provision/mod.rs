//! Turning approved requests into real resources: one driver trait with a driver per engine,
//! and the worker that claims jobs from the queue and drives them.

pub mod command;
pub mod driver;
pub mod local;
pub mod mounts;
pub mod postgres;
pub mod slurm;
pub mod worker;

pub use driver::{Driver, DriverError, Health, Node, Placement, Spec};

use crate::config::ProvisioningConfig;
use async_trait::async_trait;
use campus_core::requests::kind::Kind;
use postgres::PgDatabases;
use std::sync::Arc;

/// The PostgreSQL server for project databases, when one is configured.
pub fn databases(cfg: &ProvisioningConfig) -> Result<Option<Arc<PgDatabases>>, String> {
    cfg.databases
        .as_ref()
        .map(|d| PgDatabases::new(d).map(Arc::new))
        .transpose()
}

/// The driver the configuration names, with project databases routed to PostgreSQL.
pub fn from_config(
    cfg: &ProvisioningConfig,
    databases: Option<Arc<PgDatabases>>,
) -> Arc<dyn Driver> {
    let jupyter = command::find_jupyter(cfg.jupyter_bin.as_deref());
    let engine: Arc<dyn Driver> = match &cfg.slurm {
        Some(slurm) => Arc::new(slurm::SlurmDriver::new(slurm, &cfg.resource_dir, jupyter)),
        None => Arc::new(local::LocalDriver::new(&cfg.resource_dir, jupyter)),
    };
    Arc::new(Routed { engine, databases })
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
