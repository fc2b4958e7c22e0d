//! Server-side sessions. The session layer keeps its record as JSON in `data`; `user_id` is
//! copied out of it so a person's sessions can be listed and ended together.
//!
//! Only the SHA-256 of each session id is stored (as with API tokens): a copy of the database
//! (a backup, a dump, a process that could once read the file) holds no id a browser could
//! send. Every function here takes the id the browser sends and hashes it itself.

use crate::db::Db;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A session as the layer writes it: `id` is the id the browser holds.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: Option<i64>,
    pub data: String,
    pub expires_at: i64,
}

/// A session as stored: `key` is the hash of its id, never the id.
#[derive(Debug, Clone, Serialize)]
pub struct StoredSession {
    pub key: String,
    pub user_id: Option<i64>,
    pub data: String,
    pub expires_at: i64,
}

/// The stored key of a session id: its SHA-256 in hex.
pub fn key_of(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

fn session_from_row(r: &sqlx::any::AnyRow) -> Result<StoredSession, sqlx::Error> {
    Ok(StoredSession {
        key: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        data: r.try_get("data")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn save(db: &Db, s: &SessionRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, data = EXCLUDED.data, \
         expires_at = EXCLUDED.expires_at",
    )
    .bind(key_of(&s.id))
    .bind(s.user_id)
    .bind(&s.data)
    .bind(s.expires_at)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// Inserts only if the id is unused; false on a collision so the caller can draw a new id.
pub async fn create(db: &Db, s: &SessionRecord) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(key_of(&s.id))
    .bind(s.user_id)
    .bind(&s.data)
    .bind(s.expires_at)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn load(db: &Db, id: &str, now: i64) -> Result<Option<StoredSession>, sqlx::Error> {
    load_by_key(db, &key_of(id), now).await
}

/// A live session by its stored key, for callers that never held the id (an app host's pass).
pub async fn load_by_key(
    db: &Db,
    key: &str,
    now: i64,
) -> Result<Option<StoredSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, user_id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
    )
    .bind(key)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(session_from_row).transpose()
}

pub async fn delete(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(key_of(id))
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn for_user(db: &Db, user_id: i64, now: i64) -> Result<Vec<StoredSession>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id, data, expires_at FROM sessions \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY expires_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(session_from_row).collect()
}

pub async fn delete_for_user(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Every live signed-in session (for the identity provider's periodic re-check of roles).
pub async fn live_signed_in(db: &Db, now: i64) -> Result<Vec<StoredSession>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id, data, expires_at FROM sessions \
         WHERE user_id IS NOT NULL AND expires_at > $1",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(session_from_row).collect()
}

/// Replaces a session's data, by its stored key, leaving its expiry alone.
pub async fn set_data_by_key(db: &Db, key: &str, data: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
        .bind(data)
        .bind(key)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Ends a session by its stored key.
pub async fn delete_by_key(db: &Db, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(key)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Ends a person's sessions except the one whose id is `keep`.
pub async fn delete_others(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    keep: &str,
) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(key_of(keep))
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.pool)
        .await
        .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_is_stored_under_the_sha256_of_its_id() {
        assert_eq!(
            super::key_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
