//! The proxy's recent authorisation decisions, so a page's dozens of requests cost one decision.

use campus_core::store::resources::Resource;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a decision to let a session through to a resource is reused. Every proxied request
/// used to cost an account lookup, an authorisation query and a "last used" write; a workspace
/// page load is dozens of requests. Within this window, a withdrawn membership, a stopped
/// resource or a session signed out elsewhere still passes.
const GRANT_TTL: Duration = Duration::from_secs(2);

/// (pass cookie, or "" for a visitor without one; resource id) → (valid until, the resource as
/// it was when allowed).
type GrantMap = HashMap<(String, i64), (Instant, Arc<Resource>)>;

/// Recent "this session may use this resource" decisions.
#[derive(Default)]
pub struct Grants {
    map: Mutex<GrantMap>,
}

impl Grants {
    pub(crate) fn get(&self, pass: &str, id: i64) -> Option<Arc<Resource>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&(pass.to_owned(), id)) {
            Some((until, r)) if *until > Instant::now() => Some(r.clone()),
            _ => None,
        }
    }

    pub(crate) fn forget(&self, pass: &str, id: i64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(pass.to_owned(), id));
    }

    pub(crate) fn put(&self, pass: String, r: Arc<Resource>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (until, _)| *until > now);
        }
        map.insert((pass, r.id), (now + GRANT_TTL, r));
    }
}
