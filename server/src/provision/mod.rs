//! Turning approved requests into real resources: one driver trait with a driver per engine,
//! and the worker that claims jobs from the queue and drives them.

pub mod command;
pub mod driver;
pub mod local;
pub mod slurm;
pub mod worker;

pub use driver::{Driver, DriverError, Health, Node, Placement, Spec};

use crate::config::ProvisioningConfig;
use std::sync::Arc;

/// The driver the configuration names.
pub fn from_config(cfg: &ProvisioningConfig) -> Arc<dyn Driver> {
    let jupyter = command::find_jupyter(cfg.jupyter_bin.as_deref());
    match &cfg.slurm {
        Some(slurm) => Arc::new(slurm::SlurmDriver::new(slurm, &cfg.resource_dir, jupyter)),
        None => Arc::new(local::LocalDriver::new(&cfg.resource_dir, jupyter)),
    }
}
