//! The id of the HTTP request being served, for audit entries. The server sets it around each
//! request; work outside a request (the worker, the CLI) records an empty id.

tokio::task_local! {
    pub static REQUEST_ID: String;
}

pub fn request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}
