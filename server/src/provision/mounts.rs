//! Granted datasets inside workspaces. Each live workspace of a project has a view,
//! `<resource>/datasets/`, holding `<dataset id>-<slug>/<file>` for every file of the latest
//! version of each dataset the project holds a live grant for; the sandbox mounts it read-only
//! at `~/datasets`. The worker reconciles views every minute, so a new grant or version appears
//! and a revoked grant or closed dataset disappears within a minute.
//!
//! A view belongs to the portal (the person may read it, never write it) and holds hard links
//! to the stored files (copies where the two are on different filesystems), so nothing in it
//! points anywhere a person could change. Every step goes through [`super::beneath::Dir`]
//! handles all the same: a link found in a view is removed, never followed.

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

    /// Brings every live workspace's dataset view in line with its project's grants.
    pub async fn sync(&self, db: &Db) -> Result<Synced, CoreError> {
        let live = resources::in_states(db, &[State::Active, State::Stopped]).await?;
        let mut by_project: BTreeMap<i64, BTreeMap<PathBuf, PathBuf>> = BTreeMap::new();
        let mut done = Synced::default();
        for r in live.iter().filter(|r| r.kind == Kind::Workspace) {
            if let std::collections::btree_map::Entry::Vacant(e) = by_project.entry(r.project_id) {
                e.insert(self.wanted(db, r.project_id).await?);
            }
            let wanted = by_project[&r.project_id].clone();
            let root = self.resource_dir.clone();
            let name = format!("cp-{}", r.id);
            // Directory work blocks: keep it off the async threads.
            let (linked, unlinked) =
                tokio::task::spawn_blocking(move || reconcile(&root, &name, &wanted))
                    .await
                    .unwrap_or_default();
            done.linked += linked;
            done.unlinked += unlinked;
        }
        Ok(done)
    }
}

/// Makes `<root>/<resource>/datasets` hold exactly `wanted` (folder/file → stored file);
/// returns (added, removed). A resource without a view (none made yet, or gone) is left alone.
/// Failures are logged and retried on the next sync.
fn reconcile(root: &Path, resource: &str, wanted: &BTreeMap<PathBuf, PathBuf>) -> (usize, usize) {
    use super::beneath::{Dir, Entry};
    let view = match Dir::open(root).and_then(|r| r.dir(resource)?.dir("datasets")) {
        Ok(v) => v,
        Err(_) => return (0, 0),
    };
    let warn = |what: &str, path: &str, e: std::io::Error| {
        tracing::warn!(resource, path, error = %e, "{what}");
    };
    // folder → file → stored file
    let mut want: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for (rel, source) in wanted {
        let mut parts = rel.iter().filter_map(|p| p.to_str());
        if let (Some(folder), Some(file), None) = (parts.next(), parts.next(), parts.next()) {
            want.entry(folder.to_owned())
                .or_default()
                .insert(file.to_owned(), source.clone());
        }
    }
    let same_file = |e: Option<Entry>, source: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (e, std::fs::metadata(source)) {
            (Some(Entry::File { dev, ino }), Ok(m)) => m.dev() == dev && m.ino() == ino,
            _ => false,
        }
    };
    let (mut added, mut removed) = (0, 0);
    for folder in view.names().unwrap_or_default() {
        let files = want.get(&folder);
        match view.entry(&folder) {
            Ok(Some(Entry::Dir)) => {}
            // Nothing but the portal writes here; anything else is removed, never followed.
            Ok(Some(_)) => {
                if view.remove_file(&folder).is_ok() {
                    removed += 1;
                }
                continue;
            }
            _ => continue,
        }
        let Ok(sub) = view.dir(&folder) else { continue };
        for file in sub.names().unwrap_or_default() {
            let keep = files
                .and_then(|f| f.get(&file))
                .is_some_and(|source| same_file(sub.entry(&file).ok().flatten(), source));
            if !keep {
                match sub.remove_file(&file) {
                    Ok(()) => removed += 1,
                    Err(e) => warn("could not remove a dataset file", &file, e),
                }
            }
        }
        if files.is_none() {
            let _ = view.remove_dir(&folder);
        }
    }
    for (folder, files) in &want {
        let sub = match view.make_dir(folder, 0o755) {
            Ok(s) => s,
            Err(e) => {
                warn("could not make a dataset folder", folder, e);
                continue;
            }
        };
        for (file, source) in files {
            if matches!(sub.entry(file), Ok(Some(_))) {
                continue;
            }
            match sub.link_or_copy(source, file) {
                Ok(()) => added += 1,
                Err(e) => warn("could not add a dataset file", file, e),
            }
        }
    }
    (added, removed)
}
