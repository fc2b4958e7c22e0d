//! Campus Portal's core: domain types parsed from raw input, the policies, the one authorisation
//! check, the store (one module per aggregate) and the services that pages, the JSON API and the
//! CLI call. Nothing here knows about HTTP or Leptos.

// scripts/test builds with clippy as the compiler wrapper, and cargo does not count a new wrapper
// as a change: reading CLIPPY_ARGS here makes it one, so a crate built earlier without clippy is
// built again, and linted, by the tests (and every crate that depends on this one with it).
const _: Option<&str> = option_env!("CLIPPY_ARGS");

pub mod accelerators;
pub mod acquisitions;
pub mod authz;
pub mod clock;
pub mod db;
pub mod domain;
pub mod error;
pub mod hardware;
pub mod output_checks;
pub mod paging;
pub mod password;
pub mod promotions;
pub mod publishing;
pub mod recent_sign_in;
pub mod requests;
pub mod services;
pub mod store;
pub mod throttle;
pub mod token_scope;
pub mod training;
pub mod units;

pub use db::Db;
pub use error::{CoreError, FieldErrors};
