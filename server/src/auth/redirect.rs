//! Where a person goes after signing in. The target comes from a query string anyone can write,
//! so it is parsed the way a browser would parse it, against `PUBLIC_URL`, and followed only when
//! it stays on the portal's own origin.

use url::Url;

/// The path (with query and fragment) to send someone to after sign-in, or `None` when `next`
/// would leave the portal's origin or is not a plain path.
///
/// Browsers drop tabs and newlines from a `Location` and read `\` as `/`, so `/\t/evil.example`
/// and `/\evil.example` both mean `//evil.example`: any control character or backslash refuses
/// the target outright rather than being cleaned up.
pub fn same_origin_path(public_url: &Url, next: &str) -> Option<String> {
    if !next.starts_with('/')
        || next.starts_with("//")
        || next.contains('\\')
        || next.chars().any(char::is_control)
    {
        return None;
    }
    let target = public_url.join(next).ok()?;
    if target.origin() != public_url.origin() {
        return None;
    }
    let mut path = target.path().to_owned();
    if let Some(q) = target.query() {
        path.push('?');
        path.push_str(q);
    }
    if let Some(f) = target.fragment() {
        path.push('#');
        path.push_str(f);
    }
    Some(path)
}

/// [`same_origin_path`], or the home page when the target is refused; a refusal is logged, as
/// someone may be trying to use the portal's sign-in to send people elsewhere.
pub fn after_sign_in(public_url: &str, next: Option<&str>) -> String {
    let Some(next) = next.filter(|n| !n.is_empty()) else {
        return "/".to_owned();
    };
    let followed = Url::parse(public_url)
        .ok()
        .and_then(|base| same_origin_path(&base, next));
    followed.unwrap_or_else(|| {
        tracing::warn!(next = ?next, "refused a redirect target after sign-in that leaves the portal");
        "/".to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::after_sign_in;

    const PORTAL: &str = "https://portal.campus.example";

    fn next(n: &str) -> String {
        after_sign_in(PORTAL, Some(n))
    }

    #[test]
    fn paths_on_the_portal_are_followed_with_their_query() {
        assert_eq!(next("/projects/3"), "/projects/3");
        assert_eq!(next("/search?q=trees#results"), "/search?q=trees#results");
        assert_eq!(after_sign_in(PORTAL, None), "/");
        assert_eq!(next(""), "/");
    }

    #[test]
    fn anything_a_browser_would_read_as_another_origin_goes_home() {
        for hostile in [
            "//evil.example/",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\u{0}/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            " /projects",
        ] {
            assert_eq!(next(hostile), "/", "{hostile:?} was followed");
        }
    }

    #[test]
    fn dot_segments_stay_on_the_portal() {
        assert_eq!(next("/a/../../projects"), "/projects");
    }
}
