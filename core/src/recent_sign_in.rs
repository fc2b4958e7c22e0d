//! Actions that could hand someone the portal (making an API token, changing roles, a final
//! approval) need the person to have signed in recently. The sign-in form is only on the
//! portal's own origin, and a page a resource serves is another site, so only the person can
//! satisfy this.

/// How recent a sign-in must be, in seconds.
pub const WITHIN_SECS: i64 = 15 * 60;

/// Whether a sign-in at `signed_in_at` (Unix seconds; `None` for a token or an unknown time) is
/// recent enough at `now`.
pub fn is_recent(signed_in_at: Option<i64>, now: i64) -> bool {
    signed_in_at.is_some_and(|at| at <= now && now - at <= WITHIN_SECS)
}

/// The error-summary entry for an action refused for an old sign-in: it links to the sign-in
/// page, which brings the person back to `back_to`.
pub fn sign_in_again(back_to: &str, doing: &str) -> (String, String) {
    (
        format!("/sign-in?next={back_to}"),
        format!("Sign in again to {doing}: it needs a sign-in within the last 15 minutes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_counts_for_fifteen_minutes() {
        assert!(is_recent(Some(1_000), 1_000 + WITHIN_SECS));
        assert!(!is_recent(Some(1_000), 1_001 + WITHIN_SECS));
        assert!(!is_recent(None, 1_000));
        assert!(
            !is_recent(Some(2_000), 1_000),
            "a sign-in in the future is not believed"
        );
    }
}
