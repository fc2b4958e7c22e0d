//! Status banners: kept with their window; shown while it is open and not withdrawn.

use crate::db::Db;
use crate::publishing::announcement::{Kind, New};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub id: i64,
    pub kind: Kind,
    pub message: String,
    pub starts_at: i64,
    pub expires_at: i64,
    pub withdrawn_at: Option<i64>,
    pub created_by_name: String,
}

fn row(r: &sqlx::any::AnyRow) -> Result<Announcement, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Announcement {
        id: r.try_get("id")?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind:?}").into()))?,
        message: r.try_get("message")?,
        starts_at: r.try_get("starts_at")?,
        expires_at: r.try_get("expires_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        created_by_name: r.try_get("created_by_name")?,
    })
}

const SELECT: &str = "SELECT a.id, a.kind, a.message, a.starts_at, a.expires_at, a.withdrawn_at, \
     u.display_name AS created_by_name FROM announcements a JOIN users u ON u.id = a.created_by";

pub async fn insert(
    conn: &mut AnyConnection,
    a: &New,
    by: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO announcements (kind, message, starts_at, expires_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(a.kind.as_str())
    .bind(&a.message)
    .bind(a.starts_at)
    .bind(a.expires_at)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Withdraws a showing or future announcement; false if there was none to withdraw.
pub async fn withdraw(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE announcements SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What shows now, most serious first.
pub async fn showing(db: &Db, now: i64) -> Result<Vec<Announcement>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE a.withdrawn_at IS NULL AND a.starts_at <= $1 AND a.expires_at > $1 \
         ORDER BY CASE a.kind WHEN 'incident' THEN 0 WHEN 'maintenance' THEN 1 ELSE 2 END, a.starts_at DESC, a.id DESC"
    ))
    .bind(now)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(row)
    .collect()
}

/// The most recent announcements, newest first, for operators.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Announcement>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} ORDER BY a.id DESC LIMIT $1"))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The ids of what shows now: a page cache keyed on this notices banners starting and ending.
pub async fn showing_ids(db: &Db, now: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM announcements WHERE withdrawn_at IS NULL AND starts_at <= $1 AND expires_at > $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await
}
