//! What pages, the JSON API and the CLI call. Each service function authorises through
//! [`crate::authz::check`] first, then parses input, then changes state.

pub mod accounts;
pub mod projects;
pub mod users;
