//! Which offerings can start here. An offering whose program is missing (uninstalled, never
//! installed, or an old shell line) shows as unavailable with the reason and takes no requests,
//! instead of being asked for and failing later. Checked at start and every minute, so a program
//! installed or removed meanwhile is seen within a minute.

use super::sandbox;
use crate::config::WorkloadConfig;
use campus_core::requests::template::Programs;
use campus_core::store::catalogue;
use campus_core::Db;
use std::time::Duration;

/// Programs as a workload's sandbox finds them.
pub fn programs(w: &WorkloadConfig) -> Programs {
    Programs {
        path: sandbox::search_path(std::slice::from_ref(&w.tools_dir)),
    }
}

/// Records each running offering's availability; returns how many are unavailable.
pub async fn check(db: &Db, programs: &Programs) -> Result<usize, sqlx::Error> {
    let mut unavailable = 0;
    for o in catalogue::list(db).await? {
        if !o.kind.runs() {
            continue;
        }
        let reason = programs.unavailable(&o.command).unwrap_or_default();
        if !reason.is_empty() {
            unavailable += 1;
        }
        catalogue::set_unavailable(db, o.id, &reason).await?;
    }
    Ok(unavailable)
}

/// Checks every minute, for as long as the portal runs.
pub async fn watch(db: Db, programs: Programs) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(e) = check(&db, &programs).await {
            tracing::warn!(error = %e, "could not check which offerings can start");
        }
    }
}
