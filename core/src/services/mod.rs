//! What pages, the JSON API and the CLI call. Each service function authorises through
//! [`crate::authz::check`] first, then parses input, then changes state.

pub mod accelerator_use;
pub mod accounts;
pub mod acquisitions;
pub mod announcements;
pub mod audit_context;
pub mod bookings;
pub mod datasets;
pub mod inventory;
pub mod lifecycle;
pub mod operations;
pub mod output_checks;
mod placement;
pub mod projects;
pub mod provisioning;
pub mod resources;
pub mod search;
pub mod settings;
pub mod showcase;
pub mod training;
pub mod training_sessions;
pub mod users;
