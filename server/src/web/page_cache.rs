//! Finished HTML of public pages for anonymous visitors, dropped whenever public content changes.

use axum::body::Bytes;
use axum::http::HeaderValue;
use campus_core::Db;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Most pages kept; past it the cache starts again (query strings make the space unbounded).
const MAX_ENTRIES: usize = 2_000;

pub(crate) struct Cached {
    pub(crate) body: Bytes,
    pub(crate) etag: HeaderValue,
}

#[derive(Default)]
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<Cached>>>,
}

impl PageCache {
    pub(crate) fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.pages.read().ok()?.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, page: Arc<Cached>) {
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= MAX_ENTRIES {
                pages.clear();
            }
            pages.insert(key, page);
        }
    }

    /// Forgets every page: public content changed.
    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Drops the cache when another replica changed public content or an announcement started or
/// ended. Runs for the life of the server.
pub async fn watch_for_changes(db: Db, cache: Arc<PageCache>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut seen: Option<(i64, Vec<i64>)> = None;
    loop {
        every.tick().await;
        let now = campus_core::clock::now();
        let current = match (
            campus_core::store::showcase::generation(&db).await,
            campus_core::store::announcements::showing_ids(&db, now).await,
        ) {
            (Ok(g), Ok(ids)) => (g, ids),
            (Err(e), _) | (_, Err(e)) => {
                // Without knowing, keep nothing: serve fresh pages until the database answers.
                tracing::warn!(error = %e, "could not check for public content changes");
                cache.clear();
                continue;
            }
        };
        if seen.as_ref().is_some_and(|s| *s != current) {
            cache.clear();
        }
        seen = Some(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_clears() {
        let c = PageCache::default();
        for i in 0..MAX_ENTRIES + 5 {
            c.put(
                i.to_string(),
                Arc::new(Cached {
                    body: Bytes::new(),
                    etag: HeaderValue::from_static("\"e\""),
                }),
            );
        }
        assert!(c.len() <= MAX_ENTRIES);
        c.clear();
        assert!(c.is_empty());
    }
}
