//! What every handler can reach.

use crate::auth::oidc::client::OidcClient;
use crate::config::Config;
use axum::extract::FromRef;
use campus_core::throttle::ThrottlePolicy;
use campus_core::Db;
use leptos::prelude::LeptosOptions;
use std::ops::Deref;
use std::sync::Arc;

/// Shared by every request. Handlers and middleware each take a copy, so a copy is one
/// reference count, not a copy of every field (that showed in the public-page benchmark).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub oidc: Option<Arc<OidcClient>>,
    pub settings: app::api::PortalSettings,
    /// The proxy's open connections to workloads.
    pub proxy: crate::gateway::client::ProxyClient,
    /// Derives the per-resource secrets the proxy presents (tokens, gate answers).
    pub secrets: crate::provision::secrets::Secrets,
    /// The proxy's recent authorisation decisions.
    pub grants: Arc<crate::gateway::grants::Grants>,
    /// The PostgreSQL server for project databases, to hand out connection settings.
    pub databases: Option<Arc<crate::provision::postgres::PgDatabases>>,
    /// Finished HTML of public pages for anonymous visitors.
    pub pages: Arc<crate::web::page_cache::PageCache>,
}

impl Shared {
    pub fn throttle(&self) -> ThrottlePolicy {
        self.config.throttle
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
