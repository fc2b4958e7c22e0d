//! What stands between a person's browser and a resource's server: the rules for what may pass
//! either way. The proxy itself is in `crate::proxy`.

pub mod app_host;
pub mod apps_domain;
pub mod headers;
