//! The frozen copy a check is about. A snapshot is a list of files with their sizes and SHA-256
//! digests; its own digest is taken over that list in a fixed order, so two snapshots with the
//! same content have the same digest however they were gathered, and a release can be compared
//! with what was checked by one string.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One file in a snapshot, by its path relative to the snapshot's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("there is nothing to check: the snapshot holds no files")]
    Empty,
    #[error("the snapshot is {size} bytes, over the limit of {limit} bytes: choose fewer outputs")]
    TooLarge { size: u64, limit: u64 },
    #[error("“{0}” is not a path inside the snapshot")]
    BadPath(String),
    #[error("“{0}” is in the snapshot twice")]
    Duplicate(String),
}

/// A path that stays inside the snapshot: relative, no `.`/`..` parts, no empty parts, no
/// backslashes or control characters.
fn path_is_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// Checks a snapshot's entries against the size limit and returns its digest.
pub fn digest(entries: &[Entry], limit: u64) -> Result<String, Refused> {
    if entries.is_empty() {
        return Err(Refused::Empty);
    }
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut size: u64 = 0;
    let mut hasher = Sha256::new();
    for (i, e) in sorted.iter().enumerate() {
        if !path_is_inside(&e.path) {
            return Err(Refused::BadPath(e.path.clone()));
        }
        if i > 0 && sorted[i - 1].path == e.path {
            return Err(Refused::Duplicate(e.path.clone()));
        }
        size = size.saturating_add(e.size);
        // The manifest's line format: digest, size, path; a path holds no newline.
        hasher.update(format!("{}  {}  {}\n", e.sha256, e.size, e.path).as_bytes());
    }
    if size > limit {
        return Err(Refused::TooLarge { size, limit });
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, size: u64, fill: char) -> Entry {
        Entry {
            path: path.to_owned(),
            size,
            sha256: fill.to_string().repeat(64),
        }
    }

    #[test]
    fn the_digest_ignores_order_and_follows_content() {
        let a = [entry("app.py", 10, 'a'), entry("data/t.csv", 20, 'b')];
        let b = [a[1].clone(), a[0].clone()];
        assert_eq!(digest(&a, 100), digest(&b, 100));
        let changed = [entry("app.py", 10, 'c'), a[1].clone()];
        assert_ne!(digest(&a, 100), digest(&changed, 100));
        let renamed = [entry("main.py", 10, 'a'), a[1].clone()];
        assert_ne!(digest(&a, 100), digest(&renamed, 100));
        assert_eq!(digest(&a, 100).unwrap().len(), 64);
    }

    #[test]
    fn an_empty_or_oversized_snapshot_is_refused_with_its_size() {
        assert_eq!(digest(&[], 100), Err(Refused::Empty));
        assert_eq!(
            digest(&[entry("a", 60, 'a'), entry("b", 41, 'b')], 100),
            Err(Refused::TooLarge {
                size: 101,
                limit: 100
            })
        );
        assert!(digest(&[entry("a", 60, 'a'), entry("b", 40, 'b')], 100).is_ok());
    }

    #[test]
    fn paths_stay_inside_and_appear_once() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "a\nb",
        ] {
            assert_eq!(
                digest(&[entry(bad, 1, 'a')], 100),
                Err(Refused::BadPath(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            digest(&[entry("a", 1, 'a'), entry("a", 1, 'b')], 100),
            Err(Refused::Duplicate("a".into()))
        );
    }
}
