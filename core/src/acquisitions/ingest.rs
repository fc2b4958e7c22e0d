//! What an uploaded file must be before it is scanned and kept: a plain name, not empty, within
//! the size limit. Scanning itself is the server's (clamd over a socket).

/// Longest file name kept, in characters.
pub const MAX_NAME: usize = 200;

/// The name a file is kept under: the last part of what the browser sent (some send a whole
/// path), without control characters, and not hidden or empty.
pub fn file_name(raw: &str) -> Result<String, String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    if last.is_empty() {
        return Err("Choose a file to upload".into());
    }
    if last.chars().any(char::is_control)
        || last.starts_with('.')
        || last.chars().count() > MAX_NAME
    {
        return Err(format!(
            "{last:?} is not a usable file name: use letters, digits, spaces, dots, hyphens and underscores, not starting with a dot, up to {MAX_NAME} characters"
        ));
    }
    Ok(last.to_owned())
}

/// Whether a file of `bytes` may be kept, with `max` the limit.
pub fn check_size(name: &str, bytes: u64, max: u64) -> Result<(), String> {
    if bytes == 0 {
        Err(format!("{name} is empty: nothing to upload"))
    } else if bytes > max {
        Err(format!(
            "{name} is larger than the {} limit for one file",
            crate::units::bytes(max)
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_the_last_part_and_refuse_hidden_empty_or_odd_ones() {
        assert_eq!(file_name("prices.csv").unwrap(), "prices.csv");
        assert_eq!(
            file_name("C:\\fakepath\\prices 2026.csv").unwrap(),
            "prices 2026.csv"
        );
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert!(file_name("").is_err());
        assert!(file_name("dir/").is_err());
        assert!(file_name(".env").is_err());
        assert!(file_name("a\nb").is_err());
        assert!(file_name(&"x".repeat(MAX_NAME + 1)).is_err());
    }

    #[test]
    fn empty_and_oversized_files_are_refused_by_name() {
        assert!(check_size("a.csv", 1, 10).is_ok());
        assert!(check_size("a.csv", 10, 10).is_ok());
        assert_eq!(
            check_size("a.csv", 0, 10).unwrap_err(),
            "a.csv is empty: nothing to upload"
        );
        assert!(check_size("a.csv", 11, 10)
            .unwrap_err()
            .starts_with("a.csv is larger than"));
    }
}
