//! SQL, one module per aggregate. Every query in the portal lives here, written once for both
//! backends. Functions take `&Db` (or an open transaction's connection) and return plain structs.

pub mod acquisitions;
pub mod audit;
pub mod catalogue;
pub mod datasets;
pub mod inventory;
pub mod jobs;
pub mod login_failures;
pub mod notifications;
pub mod projects;
pub mod quotas;
pub mod resources;
pub mod sessions;
pub mod tokens;
pub mod users;
