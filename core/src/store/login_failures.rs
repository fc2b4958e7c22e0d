//! Failed local sign-ins, kept in the database so every replica throttles alike.

use crate::db::Db;

pub async fn record(db: &Db, username: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (username, at) VALUES ($1, $2)")
        .bind(username)
        .bind(at)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn since(db: &Db, username: &str, since: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT at FROM login_failures WHERE username = $1 AND at > $2")
        .bind(username)
        .bind(since)
        .fetch_all(&db.pool)
        .await
}

pub async fn clear(db: &Db, username: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
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
