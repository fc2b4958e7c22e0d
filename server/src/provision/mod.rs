//! Turning approved requests into real resources: one driver trait with a driver per engine,
//! and the worker that claims jobs from the queue and drives them.

pub mod driver;
pub mod local;
pub mod worker;

pub use driver::{Driver, DriverError, Health, Placement, Spec};

use crate::config::ProvisioningConfig;
use std::sync::Arc;

/// The driver the configuration names.
pub fn from_config(cfg: &ProvisioningConfig) -> Arc<dyn Driver> {
    Arc::new(local::LocalDriver::new(
        &cfg.resource_dir,
        local::find_jupyter(cfg.jupyter_bin.as_deref()),
    ))
}
