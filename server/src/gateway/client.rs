//! The proxy's one pooled HTTP client, and the connector whose registered targets (a workload's
//! Unix socket, a cluster node's gate) its requests name by host.

use crate::provision::upstream::Connector;
use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The client and the connector whose registered targets (Unix sockets, cluster gates) its
/// requests name by host.
#[derive(Clone)]
pub struct ProxyClient {
    pub(crate) client: Client<Connector, Body>,
    pub(crate) connector: Connector,
}

pub fn client() -> ProxyClient {
    let connector = Connector::default();
    ProxyClient {
        client: Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build(connector.clone()),
        connector,
    }
}
