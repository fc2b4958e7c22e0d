//! Short, stable names for public addresses (`/showcase/urban-forest`).

/// Lower-case letters and digits joined by single hyphens, at most 60 characters; `None` when
/// nothing usable is left.
pub fn from_title(title: &str) -> Option<String> {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    (!slug.is_empty()).then_some(slug)
}

/// Whether `s` is a slug this module could have made (checked before it goes near a query).
pub fn is_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_hyphenated_lower_case() {
        assert_eq!(
            from_title("The Urban Forest").as_deref(),
            Some("the-urban-forest")
        );
        assert_eq!(
            from_title("  Access to services: propeR!  ").as_deref(),
            Some("access-to-services-proper")
        );
        assert_eq!(
            from_title("Émergent — trends").as_deref(),
            Some("mergent-trends")
        );
        assert_eq!(from_title("!!!"), None);
        assert!(from_title(&"a ".repeat(100)).unwrap().len() <= 60);
        assert!(is_valid("urban-forest-2"));
        assert!(!is_valid("Urban"));
        assert!(!is_valid("a/../b"));
        assert!(!is_valid(""));
    }
}
