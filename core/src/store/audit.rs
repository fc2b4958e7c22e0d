//! The audit trail: append-only (the database refuses updates and deletes on the table).

use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: String,
    pub after: String,
    pub request_id: String,
}

pub struct NewEntry<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    pub request_id: &'a str,
}

pub async fn record(
    conn: &mut AnyConnection,
    e: &NewEntry<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, action, object_type, object_id, before_value, after_value, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now)
    .bind(e.actor_id)
    .bind(e.action)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.before)
    .bind(e.after)
    .bind(e.request_id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// What an operator filters the trail by; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub actor: String,
    /// Only entries with an id below this (keyset pagination, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(db: &Db, f: &Filter) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.at, a.actor_id, u.username AS actor_name, a.action, a.object_type, a.object_id, \
         a.before_value, a.after_value, a.request_id FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE ($1 = '' OR a.action = $1) AND ($2 = '' OR a.object_type = $2) \
         AND ($3 = '' OR a.object_id = $3) AND ($4 = '' OR u.username = $4) AND a.id < $5 \
         ORDER BY a.id DESC LIMIT $6",
    )
    .bind(&f.action)
    .bind(&f.object_type)
    .bind(&f.object_id)
    .bind(&f.actor)
    .bind(f.before_id.unwrap_or(i64::MAX))
    .bind(f.limit.clamp(1, 10_000))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                action: r.try_get("action")?,
                object_type: r.try_get("object_type")?,
                object_id: r.try_get("object_id")?,
                before: r.try_get("before_value")?,
                after: r.try_get("after_value")?,
                request_id: r.try_get("request_id")?,
            })
        })
        .collect()
}
