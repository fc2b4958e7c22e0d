//! What a posted form leaves behind for the page it returns to: the values typed and the
//! messages per field. Form handlers store it in the session under the form's key and answer
//! 303; the page takes it back out, so nothing typed is lost with or without JavaScript.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    /// (field, message) in the order the fields appear on the page.
    pub errors: Vec<(String, String)>,
}

impl FormState {
    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }
}

/// Session keys, one place for all of them.
pub mod keys {
    pub const USER_ID: &str = "user_id";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    pub const USER_AGENT: &str = "user_agent";
    pub const NOTICE: &str = "notice";
    pub const NEW_TOKEN: &str = "new_token";
    /// A calendar feed's address, shown once after it is made.
    pub const NEW_CALENDAR: &str = "new_calendar";
    pub const OIDC_PENDING: &str = "oidc_pending";
    /// The identity provider's refresh token, and when the person's groups were last read.
    pub const IDP_REFRESH: &str = "idp_refresh";
    pub const IDP_SYNCED_AT: &str = "idp_synced_at";
    /// Set at sign-in while the person must choose a new password before anything else.
    pub const MUST_CHANGE_PASSWORD: &str = "must_change_password";
    pub fn form(id: &str) -> String {
        format!("form:{id}")
    }
}

/// `s` made safe for a query string value: everything but unreserved characters percent-encoded.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::url_encode("urban forest & trees"),
            "urban%20forest%20%26%20trees"
        );
        assert_eq!(super::url_encode("café"), "caf%C3%A9");
        assert_eq!(super::url_encode("a-b_c.d~"), "a-b_c.d~");
    }
}
