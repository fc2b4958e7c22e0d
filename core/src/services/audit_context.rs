//! The id of the HTTP request being served, for audit entries. The server sets it around each
//! request; work outside a request (the worker, the CLI) records an empty id.

tokio::task_local! {
    pub static REQUEST_ID: String;
}

pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Appends one audit entry on the caller's transaction, with the request id being served.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: Option<&crate::authz::Actor>,
    object_type: &str,
    action: &str,
    object_id: i64,
    before: &str,
    after: &str,
) -> Result<(), sqlx::Error> {
    crate::store::audit::record(
        conn,
        &crate::store::audit::NewEntry {
            actor_id: actor.map(|a| a.user_id),
            action,
            object_type,
            object_id: &object_id.to_string(),
            before,
            after,
            request_id: &request_id(),
        },
        crate::clock::now(),
    )
    .await
}
