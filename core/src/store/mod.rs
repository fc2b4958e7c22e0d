//! SQL, one module per aggregate. Every query in the portal lives here, written once for both
//! backends. Functions take `&Db` (or an open transaction's connection) and return plain structs.

pub mod acquisitions;
pub mod announcements;
pub mod app_passes;
pub mod audit;
pub mod bookings;
pub mod catalogue;
pub mod datasets;
pub mod inventory;
pub mod jobs;
pub mod login_failures;
pub mod notifications;
pub mod output_checks;
pub mod projects;
pub mod quotas;
pub mod resources;
pub mod search;
pub mod sessions;
pub mod showcase;
pub mod tokens;
pub mod training;
pub mod training_sessions;
pub mod users;

/// Ids for an SQL `IN (…)` list, inlined: one statement for any number of them. Only for ids
/// the store itself read (integers, never text a person typed).
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// A JSON column read back; `what` names it in the error.
fn json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(raw)
        .map_err(|e| sqlx::Error::Decode(format!("unreadable {what}: {e}").into()))
}

/// A value for a JSON column.
fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
