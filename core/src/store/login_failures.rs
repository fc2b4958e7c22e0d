//! Failed local sign-ins, kept in the database so every replica throttles alike.

use crate::db::Db;
use crate::throttle::Failure;

pub async fn record(db: &Db, username: &str, address: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(address)
        .bind(at)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// The failures since `since` that can decide an attempt for `username` from `address`: that
/// name's and that address's. The overall count comes separately ([`count_since`]), so an
/// attack's thousands of rows are never loaded.
pub async fn relevant_since(
    db: &Db,
    username: &str,
    address: &str,
    since: i64,
) -> Result<Vec<Failure>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT at, username, address FROM login_failures \
         WHERE at > $3 AND (address = $2 OR username = $1)",
    )
    .bind(username)
    .bind(address)
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, username, address)| Failure {
            at,
            username,
            address,
        })
        .collect())
}

/// The times of the most recent `limit` failures from anywhere since `since`, newest first.
pub async fn latest_since(db: &Db, since: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT at FROM login_failures WHERE at > $1 ORDER BY at DESC LIMIT $2")
        .bind(since)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
}

/// Forgets the failures for `username` from `address`, after that address got it right.
pub async fn clear(db: &Db, username: &str, address: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1 AND address = $2")
        .bind(username)
        .bind(address)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn delete_before(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(before)
        .execute(&db.pool)
        .await
        .map(|r| r.rows_affected())
}
