//! Watching what output checks released. A released web service serves its snapshot read-only,
//! so nothing it runs can change it; this catches anything else that does (a hand on the
//! server, a restore gone wrong) and takes the service back to its project, as a change to a
//! release must. Each sweep compares a cheap fingerprint of every released snapshot with the
//! last one whose content hashed to the approved digest, and hashes again only on a difference.

use super::beneath::Dir;
use super::snapshot::{digest_of, fingerprint, FreezeError};
use campus_core::services::output_checks as checks;
use campus_core::store::output_checks as store;
use campus_core::Db;
use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct ReleaseWatch {
    resource_dir: PathBuf,
    limit: u64,
    /// Check id → the fingerprint its snapshot had when its content last matched.
    verified: Mutex<HashMap<i64, u64>>,
}

/// What a sweep found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Watched {
    pub verified: usize,
    pub lapsed: usize,
}

impl ReleaseWatch {
    pub fn new(resource_dir: impl Into<PathBuf>, limit: u64) -> ReleaseWatch {
        ReleaseWatch {
            resource_dir: resource_dir.into(),
            limit,
            verified: Mutex::new(HashMap::new()),
        }
    }

    pub async fn sweep(&self, db: &Db) -> Result<Watched, campus_core::CoreError> {
        let mut seen = Watched::default();
        let releases = store::releases(db).await?;
        let known: Vec<i64> = releases.iter().map(|r| r.check_id).collect();
        self.forget_all_but(&known);
        for r in releases {
            let last = self.last(r.check_id);
            let dir = self
                .resource_dir
                .join(format!("cp-{}/snapshots/{}", r.resource_id, r.digest));
            let (limit, digest) = (self.limit, r.digest.clone());
            let found = tokio::task::spawn_blocking(move || examine(dir, &digest, last, limit))
                .await
                .map_err(|e| campus_core::CoreError::Internal(e.to_string()))?;
            match found {
                Ok(Found::Unchanged(fp)) => {
                    self.remember(r.check_id, fp);
                    seen.verified += 1;
                }
                Ok(Found::Changed(what)) => {
                    if checks::lapse(db, r.check_id, r.round, &what).await? {
                        tracing::warn!(check = r.check_id, resource = r.resource_id, %what, "a released snapshot changed: its check lapsed");
                        seen.lapsed += 1;
                    }
                    self.forget(r.check_id);
                }
                // Not read this time (a disk error): the release stands, and is read again at
                // the next sweep.
                Err(e) => {
                    tracing::warn!(check = r.check_id, error = %e, "could not read a released snapshot")
                }
            }
        }
        Ok(seen)
    }

    fn last(&self, check: i64) -> Option<u64> {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&check)
            .copied()
    }

    fn remember(&self, check: i64, fp: u64) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(check, fp);
    }

    fn forget(&self, check: i64) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&check);
    }

    fn forget_all_but(&self, known: &[i64]) {
        self.verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|id, _| known.contains(id));
    }
}

enum Found {
    /// As approved, with the fingerprint it has now.
    Unchanged(u64),
    /// What differs, as the project will read it.
    Changed(String),
}

fn examine(dir: PathBuf, digest: &str, last: Option<u64>, limit: u64) -> io::Result<Found> {
    let snapshot = match Dir::open(&dir) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Found::Changed("its snapshot is gone".into()))
        }
        Err(e) => return Err(e),
    };
    let before = fingerprint(&snapshot)?;
    if last == Some(before) {
        return Ok(Found::Unchanged(before));
    }
    let now = match digest_of(&snapshot, limit) {
        Ok(d) => d,
        Err(FreezeError::Io(e)) => return Err(e),
        Err(refused) => return Ok(Found::Changed(refused.to_string())),
    };
    if now != digest {
        return Ok(Found::Changed(format!(
            "its files no longer hash to {digest}"
        )));
    }
    // Read twice around the hashing: what changed while it was read is read again next time.
    if fingerprint(&snapshot)? != before {
        return Err(io::Error::other("it changed while it was read"));
    }
    Ok(Found::Unchanged(before))
}
