//! The proxy's recent authorisation decisions, so a page's dozens of requests cost one decision,
//! each kept with where its requests go, worked out once.

use crate::provision::upstream::Target;
use axum::http::HeaderValue;
use campus_core::store::resources::Resource;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a decision to let a session through to a resource is reused. Every proxied request
/// used to cost an account lookup, an authorisation query and a "last used" write; a workspace
/// page load is dozens of requests. Within this window, a withdrawn membership, a stopped
/// resource or a session signed out elsewhere still passes.
const GRANT_TTL: Duration = Duration::from_secs(2);

/// Most decisions kept before the expired ones are swept.
const SWEEP_AT: usize = 10_000;

/// Where a granted request goes. Working it out derives secrets (HMACs) and registers the
/// endpoint's connections, which is too much to do per request.
pub struct Route {
    /// The resource as it was when allowed.
    pub resource: Resource,
    /// Where the resource's server listens, as the proxy's connections are pooled by it.
    pub target: Arc<Target>,
    /// The `Authorization` the backend wants (JupyterLab's token), if any.
    pub authorization: Option<HeaderValue>,
}

/// resource id → pass cookie (or "" for a visitor without one) → (valid until, route). Keyed by
/// id first so a lookup borrows the pass rather than allocating a key.
type GrantMap = HashMap<i64, HashMap<String, (Instant, Arc<Route>)>>;

/// Recent "this session may use this resource" decisions.
#[derive(Default)]
pub struct Grants {
    map: Mutex<GrantMap>,
}

impl Grants {
    pub(crate) fn get(&self, pass: &str, id: i64) -> Option<Arc<Route>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&id)?.get(pass) {
            Some((until, r)) if *until > Instant::now() => Some(r.clone()),
            _ => None,
        }
    }

    pub(crate) fn forget(&self, pass: &str, id: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(passes) = map.get_mut(&id) {
            passes.remove(pass);
        }
    }

    pub(crate) fn put(&self, pass: &str, route: Arc<Route>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.values().map(HashMap::len).sum::<usize>() > SWEEP_AT {
            map.retain(|_, passes| {
                passes.retain(|_, (until, _)| *until > now);
                !passes.is_empty()
            });
        }
        map.entry(route.resource.id)
            .or_default()
            .insert(pass.to_owned(), (now + GRANT_TTL, route));
    }
}
