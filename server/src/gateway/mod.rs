//! Workspaces and web services, each on a host of its own: naming those hosts, dispatching their
//! requests before any portal layer, the authenticating proxy, and what may pass it either way.

pub mod app_host;
pub mod apps_domain;
pub mod client;
pub mod grants;
pub mod headers;
pub mod proxy;
