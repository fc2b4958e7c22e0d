//! Granted datasets inside workspaces. Each live workspace of a project sees, under
//! `files/datasets/<dataset id>-<slug>/`, a link to every file of the latest version of each
//! dataset the project holds a live grant for. The worker reconciles this every minute, so a new
//! grant or version appears and a revoked grant or closed dataset disappears within a minute.
//! Only links are ever removed: anything else a person puts in that folder is left alone.

use campus_core::requests::kind::Kind;
use campus_core::requests::lifecycle::State;
use campus_core::store::{datasets, resources};
use campus_core::{CoreError, Db};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Mounts {
    resource_dir: PathBuf,
    dataset_dir: PathBuf,
}

/// What one sync changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub linked: usize,
    pub unlinked: usize,
}

impl Mounts {
    pub fn new(resource_dir: &str, dataset_dir: &str) -> Mounts {
        let absolute = |p: &str| {
            let p = PathBuf::from(p);
            std::fs::create_dir_all(&p)
                .and_then(|_| std::fs::canonicalize(&p))
                .unwrap_or(p)
        };
        Mounts {
            resource_dir: absolute(resource_dir),
            dataset_dir: absolute(dataset_dir),
        }
    }

    /// The links a project's workspaces should hold: path under `datasets/` → the stored file.
    async fn wanted(
        &self,
        db: &Db,
        project_id: i64,
    ) -> Result<BTreeMap<PathBuf, PathBuf>, CoreError> {
        let mut out = BTreeMap::new();
        for g in datasets::granted_to_project(db, project_id).await? {
            let Some(d) = datasets::find(db, g.dataset_id).await? else {
                continue;
            };
            if d.closed_at.is_some() {
                continue;
            }
            let folder = format!(
                "{}-{}",
                d.id,
                campus_core::services::settings::slug_of(&d.title)
            );
            // Versions come newest first; the latest is what a workspace works on.
            if let Some(v) = datasets::versions(db, d.id).await?.into_iter().next() {
                for f in v.files {
                    out.insert(
                        Path::new(&folder).join(&f.name),
                        self.dataset_dir.join(&f.path),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Brings every live workspace's `datasets/` folder in line with its project's grants.
    pub async fn sync(&self, db: &Db) -> Result<Synced, CoreError> {
        let live = resources::in_states(db, &[State::Active, State::Stopped]).await?;
        let mut by_project: BTreeMap<i64, BTreeMap<PathBuf, PathBuf>> = BTreeMap::new();
        let mut done = Synced::default();
        for r in live.iter().filter(|r| r.kind == Kind::Workspace) {
            if let std::collections::btree_map::Entry::Vacant(e) = by_project.entry(r.project_id) {
                e.insert(self.wanted(db, r.project_id).await?);
            }
            let wanted = &by_project[&r.project_id];
            let root = self
                .resource_dir
                .join(format!("cp-{}", r.id))
                .join("files/datasets");
            let (linked, unlinked) = reconcile(&root, wanted).await;
            done.linked += linked;
            done.unlinked += unlinked;
        }
        Ok(done)
    }
}

/// Removes links under `root` that are not wanted (or point elsewhere) and adds the missing
/// ones; returns (added, removed). Failures are logged and retried on the next sync.
async fn reconcile(root: &Path, wanted: &BTreeMap<PathBuf, PathBuf>) -> (usize, usize) {
    let (mut added, mut removed) = (0, 0);
    if let Ok(mut folders) = tokio::fs::read_dir(root).await {
        while let Ok(Some(folder)) = folders.next_entry().await {
            let Ok(mut files) = tokio::fs::read_dir(folder.path()).await else {
                continue;
            };
            while let Ok(Some(f)) = files.next_entry().await {
                let path = f.path();
                let Ok(meta) = tokio::fs::symlink_metadata(&path).await else {
                    continue;
                };
                if !meta.file_type().is_symlink() {
                    continue;
                }
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                let target = tokio::fs::read_link(&path).await.ok();
                if wanted.get(&rel) != target.as_ref() {
                    match tokio::fs::remove_file(&path).await {
                        Ok(()) => removed += 1,
                        Err(e) => {
                            tracing::warn!(path = %path.display(), error = %e, "could not remove a dataset link")
                        }
                    }
                }
            }
            // A folder left empty by a revoked grant goes too (this fails, harmlessly, when
            // someone keeps their own files in it).
            let _ = tokio::fs::remove_dir(folder.path()).await;
        }
    }
    for (rel, target) in wanted {
        let path = root.join(rel);
        if tokio::fs::symlink_metadata(&path).await.is_ok() {
            continue;
        }
        if let Some(parent) = path.parent() {
            if let Err(e) = tokio::fs::create_dir_all(parent).await {
                tracing::warn!(path = %parent.display(), error = %e, "could not make a dataset folder");
                continue;
            }
        }
        match tokio::fs::symlink(target, &path).await {
            Ok(()) => added += 1,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not link a dataset file")
            }
        }
    }
    (added, removed)
}
