//! Freezing a web service's files for an output check. The copy is the portal's, read-only,
//! and named by its digest, so what checkers approve is a fixed thing that can be served as
//! it was, whatever the person does to their files afterwards.
//!
//! The person's files are theirs to fill with anything: every lookup goes through [`Dir`]
//! handles, so a link is refused rather than followed, and the walk stops at the size limit,
//! at [`MAX_FILES`] files and at [`MAX_DEPTH`] levels, so a hostile tree costs the portal
//! no more than the limit's worth of copying.

use super::beneath::{Dir, Entry as Kind};
use campus_core::output_checks::snapshot::Entry;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::Path;

/// The most files a snapshot holds.
pub const MAX_FILES: usize = 20_000;
/// The deepest folder a snapshot holds.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    #[error("“{0}” is a link or a special file: a snapshot holds only files and folders, so remove it or replace it with what it points to")]
    NotAFile(String),
    #[error("The service's files are over the limit of {limit} bytes: move what is not part of the service out of its folder")]
    TooLarge { limit: u64 },
    #[error("The service's files hold more than {MAX_FILES} files and folders: move what is not part of the service out of its folder")]
    TooMany,
    #[error("“{0}” is more than {MAX_DEPTH} folders deep")]
    TooDeep(String),
    /// The files cannot make a snapshot (a name with a control character, nothing at all).
    #[error("{0}")]
    Refused(String),
    #[error("The service's files could not be copied: {0}")]
    Io(#[from] io::Error),
}

/// Where the snapshots of one resource live (`<resource dir>/snapshots`), made if missing:
/// the portal's, 0711. A sandbox on a cluster node binds a snapshot as its owner, so they must
/// be able to pass through; none can list it, and each snapshot is named by a digest only the
/// project and checkers are shown.
pub fn snapshots_dir(resource_dir: &Path) -> io::Result<Dir> {
    let d = Dir::open(resource_dir)?.make_dir("snapshots", 0o711)?;
    d.own(None, None, 0o711)?;
    Ok(d)
}

/// Copies everything under `files` into `snapshots/<digest>` and returns the entries, sorted by
/// path. An identical snapshot already there is kept and this copy dropped.
pub fn freeze(
    files: &Path,
    snapshots: &Dir,
    limit: u64,
) -> Result<(String, Vec<Entry>), FreezeError> {
    let staging = format!(".new-{:016x}", rand::random::<u64>());
    let target = snapshots.make_dir(&staging, 0o700)?;
    let mut walk = Walk {
        entries: Vec::new(),
        size: 0,
        limit,
    };
    let copied = walk.copy(&Dir::open(files)?, Some(&target), "", 0);
    let finished = copied.and_then(|()| {
        walk.entries.sort_by(|a, b| a.path.cmp(&b.path));
        campus_core::output_checks::snapshot::digest(&walk.entries, limit)
            .map_err(|e| FreezeError::Refused(campus_core::error::capitalise(&e.to_string())))
    });
    let digest = match finished {
        Ok(d) => d,
        Err(e) => {
            remove_tree(snapshots, &staging)?;
            return Err(e);
        }
    };
    // Its files are read-only (0444); its folders stay the portal's to remove with the
    // resource. A service is given it through a read-only mount, so it can never change it.
    target.own(None, None, 0o755)?;
    match snapshots.rename_to(&staging, snapshots, &digest) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => remove_tree(snapshots, &staging)?,
        Err(e) => return Err(e.into()),
    }
    Ok((digest, walk.entries))
}

/// Hashes a snapshot where it lies, as freezing hashed it: while it is as approved, the digest
/// is its folder's name.
pub fn digest_of(snapshot: &Dir, limit: u64) -> Result<String, FreezeError> {
    let mut walk = Walk {
        entries: Vec::new(),
        size: 0,
        limit,
    };
    walk.copy(snapshot, None, "", 0)?;
    walk.entries.sort_by(|a, b| a.path.cmp(&b.path));
    campus_core::output_checks::snapshot::digest(&walk.entries, limit)
        .map_err(|e| FreezeError::Refused(campus_core::error::capitalise(&e.to_string())))
}

/// A cheap summary of a snapshot as it lies on disk: each name, and each file's size, inode and
/// change time, which every write, rename or change of mode moves and only the kernel sets. While
/// it is what it was when the content was last hashed, the content is too.
pub fn fingerprint(snapshot: &Dir) -> io::Result<u64> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    fn walk(d: &Dir, h: &mut std::hash::DefaultHasher, depth: usize) -> io::Result<()> {
        let mut names = d
            .names_up_to(MAX_FILES)?
            .ok_or_else(|| io::Error::other("more files than a snapshot holds"))?;
        names.sort();
        for n in names {
            n.hash(h);
            match d.entry(&n)? {
                Some(Kind::File { .. }) => {
                    let m = d.file(&n)?.metadata()?;
                    (m.len(), m.ino(), m.ctime(), m.ctime_nsec(), m.mode()).hash(h);
                }
                Some(Kind::Dir) if depth < MAX_DEPTH => walk(&d.dir(&n)?, h, depth + 1)?,
                // Anything else was never frozen: it changes the sum, and hashing then says what.
                _ => "other".hash(h),
            }
        }
        Ok(())
    }
    let mut h = std::hash::DefaultHasher::new();
    walk(snapshot, &mut h, 0)?;
    Ok(h.finish())
}

/// Walks a tree through [`Dir`] handles, hashing each file, and copies it into `to` if given.
struct Walk {
    entries: Vec<Entry>,
    size: u64,
    limit: u64,
}

impl Walk {
    fn copy(
        &mut self,
        from: &Dir,
        to: Option<&Dir>,
        prefix: &str,
        depth: usize,
    ) -> Result<(), FreezeError> {
        let left = MAX_FILES.saturating_sub(self.entries.len());
        let mut names = from.names_up_to(left)?.ok_or(FreezeError::TooMany)?;
        names.sort();
        for n in names {
            let path = format!("{prefix}{n}");
            match from.entry(&n)? {
                Some(Kind::File { .. }) => self.file(from, to, &n, path)?,
                Some(Kind::Dir) => {
                    if depth + 1 >= MAX_DEPTH {
                        return Err(FreezeError::TooDeep(path));
                    }
                    // Swapped for a link since it was looked at: refused like one.
                    let source = from.dir(&n).map_err(|e| match e.raw_os_error() {
                        Some(libc::ELOOP | libc::ENOTDIR) => FreezeError::NotAFile(path.clone()),
                        _ => FreezeError::Io(e),
                    })?;
                    let sub = to.map(|t| t.make_dir(&n, 0o700)).transpose()?;
                    self.copy(&source, sub.as_ref(), &format!("{path}/"), depth + 1)?;
                    if let Some(sub) = sub {
                        sub.own(None, None, 0o755)?;
                    }
                }
                Some(Kind::Other) => return Err(FreezeError::NotAFile(path)),
                // Gone since the listing: it is not in the snapshot.
                None => {}
            }
        }
        Ok(())
    }

    fn file(
        &mut self,
        from: &Dir,
        to: Option<&Dir>,
        n: &str,
        path: String,
    ) -> Result<(), FreezeError> {
        if self.entries.len() >= MAX_FILES {
            return Err(FreezeError::TooMany);
        }
        let mut source = from.file(n).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => FreezeError::NotAFile(path.clone()),
            _ if e.kind() == io::ErrorKind::InvalidData => FreezeError::NotAFile(path.clone()),
            _ => FreezeError::Io(e),
        })?;
        let mut out = to.map(|t| t.create(n, 0o444)).transpose()?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let got = source.read(&mut buf)?;
            if got == 0 {
                break;
            }
            size += got as u64;
            if self.size + size > self.limit {
                return Err(FreezeError::TooLarge { limit: self.limit });
            }
            hasher.update(&buf[..got]);
            if let Some(out) = out.as_mut() {
                out.write_all(&buf[..got])?;
            }
        }
        self.size += size;
        self.entries.push(Entry {
            path,
            size,
            sha256: hex::encode(hasher.finalize()),
        });
        Ok(())
    }
}

/// Removes a staging tree of the portal's own making (read-only folders are opened up first).
fn remove_tree(parent: &Dir, n: &str) -> io::Result<()> {
    let d = parent.dir(n)?;
    d.own(None, None, 0o700)?;
    for child in d.names()? {
        match d.entry(&child)? {
            Some(Kind::Dir) => remove_tree(&d, &child)?,
            Some(_) => d.remove_file(&child)?,
            None => {}
        }
    }
    parent.remove_dir(n)
}

/// Freezes a web service's files and asks for them to be checked: the one way a submission is
/// made, for the pages and the API alike. Files are copied only for a submission the portal
/// would take, so no one can make the portal copy a service they may not send.
pub async fn submit_for_check(
    db: &campus_core::Db,
    config: &crate::config::ProvisioningConfig,
    actor: &campus_core::authz::Actor,
    resource_id: i64,
    outputs: Vec<campus_core::output_checks::checklist::Output>,
) -> Result<i64, campus_core::CoreError> {
    use campus_core::services::output_checks::{self as checks, Submission};
    use campus_core::CoreError;
    checks::may_submit(db, Some(actor), resource_id, &outputs).await?;
    let dir = Path::new(&config.resource_dir).join(format!("cp-{resource_id}"));
    let limit = config.snapshot_max_bytes;
    let frozen = tokio::task::spawn_blocking(move || {
        if !dir.join("files").is_dir() {
            return Err(None);
        }
        let snapshots = snapshots_dir(&dir).map_err(|e| Some(FreezeError::Io(e)))?;
        freeze(&dir.join("files"), &snapshots, limit).map_err(Some)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("freezing a snapshot stopped: {e}")))?;
    let files = match frozen {
        Ok((_, files)) => files,
        Err(None) => {
            return Err(CoreError::field(
                "resource",
                "This web service has no files yet: wait until it has started",
            ))
        }
        Err(Some(FreezeError::Io(e))) => {
            return Err(CoreError::Internal(format!(
                "freezing the files of cp-{resource_id}: {e}"
            )))
        }
        Err(Some(e)) => return Err(CoreError::field("snapshot", e.to_string())),
    };
    let submission = Submission {
        outputs,
        files,
        limit,
    };
    checks::submit(db, Some(actor), resource_id, &submission).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("campus-snapshot-{tag}-{}", std::process::id()));
        if d.exists() {
            let _ = remove_tree(
                &Dir::open(d.parent().unwrap()).unwrap(),
                d.file_name().unwrap().to_str().unwrap(),
            );
        }
        std::fs::create_dir_all(d.join("files/tables")).unwrap();
        std::fs::create_dir_all(d.join("res")).unwrap();
        d
    }

    #[test]
    fn a_frozen_copy_is_read_only_named_by_its_digest_and_unchanged_by_later_edits() {
        let d = scratch("copy");
        std::fs::write(d.join("files/index.html"), "<p>map</p>").unwrap();
        std::fs::write(d.join("files/tables/a.csv"), "region,n\nNorth,120\n").unwrap();
        let snaps = snapshots_dir(&d.join("res")).unwrap();
        let (digest, entries) = freeze(&d.join("files"), &snaps, 1_000).unwrap();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["index.html", "tables/a.csv"]);
        assert_eq!(
            entries[0].sha256,
            hex::encode(Sha256::digest(b"<p>map</p>"))
        );
        let copy = d.join("res/snapshots").join(&digest);
        std::fs::write(d.join("files/index.html"), "<p>changed</p>").unwrap();
        assert_eq!(
            std::fs::read_to_string(copy.join("index.html")).unwrap(),
            "<p>map</p>"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&copy), 0o755);
        assert_eq!(mode(&copy.join("tables/a.csv")), 0o444);
        // The same content again is the same snapshot.
        std::fs::write(d.join("files/index.html"), "<p>map</p>").unwrap();
        let (again, _) = freeze(&d.join("files"), &snaps, 1_000).unwrap();
        assert_eq!(again, digest);
        assert_eq!(snaps.names().unwrap(), [digest]);
    }

    #[test]
    fn links_special_files_and_oversized_trees_are_refused_and_leave_nothing() {
        let d = scratch("refuse");
        std::fs::write(d.join("files/index.html"), "<p>map</p>").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", d.join("files/tables/secret")).unwrap();
        let snaps = snapshots_dir(&d.join("res")).unwrap();
        let e = freeze(&d.join("files"), &snaps, 1_000).unwrap_err();
        assert!(
            matches!(&e, FreezeError::NotAFile(p) if p == "tables/secret"),
            "{e}"
        );
        std::fs::remove_file(d.join("files/tables/secret")).unwrap();
        std::os::unix::fs::symlink("/etc", d.join("files/etc")).unwrap();
        let e = freeze(&d.join("files"), &snaps, 1_000).unwrap_err();
        assert!(matches!(&e, FreezeError::NotAFile(p) if p == "etc"), "{e}");
        std::fs::remove_file(d.join("files/etc")).unwrap();
        let e = freeze(&d.join("files"), &snaps, 5).unwrap_err();
        assert!(matches!(e, FreezeError::TooLarge { limit: 5 }), "{e}");
        assert!(snaps.names().unwrap().is_empty(), "no staging copy is left");
    }

    #[test]
    fn a_folder_of_too_many_files_is_refused_and_leaves_nothing() {
        let d = scratch("many");
        for i in 0..=MAX_FILES {
            std::fs::File::create(d.join(format!("files/tables/{i}"))).unwrap();
        }
        let snaps = snapshots_dir(&d.join("res")).unwrap();
        let e = freeze(&d.join("files"), &snaps, 1_000).unwrap_err();
        assert!(matches!(e, FreezeError::TooMany), "{e}");
        assert!(snaps.names().unwrap().is_empty());
    }
}
