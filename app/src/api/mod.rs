//! Server functions: thin wrappers that find the actor, call one core service and map its error.
//! They only read; every change of state goes through a plain form post handled by the server.

pub mod accelerator_use;
pub mod account;
pub mod acquisitions;
pub mod admin;
pub mod bookings;
pub mod inventory;
pub mod operations;
pub mod output_checks;
pub mod projects;
pub mod public;
pub mod publishing;
pub mod resources;
pub mod settings;
pub mod shell;

pub use accelerator_use::*;
pub use account::*;
pub use acquisitions::*;
pub use admin::*;
pub use bookings::*;
pub use inventory::*;
pub use operations::*;
pub use output_checks::*;
pub use projects::*;
pub use public::*;
pub use publishing::*;
pub use resources::*;
pub use settings::*;
pub use shell::*;
