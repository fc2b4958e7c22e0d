//! What operators and their tools fetch: health checks and downloads (audit CSV, connection
//! settings).

pub mod exports;
pub mod health;
