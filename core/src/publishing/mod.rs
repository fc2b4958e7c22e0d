//! Rules for what the Campus shows the public: Markdown made safe, project pages (the
//! showcase), search queries and announcements. Plain Rust: no HTTP, Leptos or SQL.

pub mod announcement;
pub mod markdown;
pub mod plain_text;
pub mod search_query;
pub mod showcase;
pub mod slug;
