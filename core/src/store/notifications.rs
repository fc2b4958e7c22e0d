//! In-app notifications, which the mailer also sends by email.

use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    subject: &str,
    body: &str,
    link: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications (user_id, subject, body, link, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(subject)
    .bind(body)
    .bind(link)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Notification, sqlx::Error> {
    Ok(Notification {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        link: r.try_get("link")?,
        created_at: r.try_get("created_at")?,
        read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
    })
}

/// A person's notifications, newest first, older than `before`, at most `limit`.
pub async fn for_user(
    db: &Db,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id, subject, body, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await
}

pub async fn mark_all_read(db: &Db, user_id: i64, now: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&db.pool)
        .await
        .map(|r| r.rows_affected())
}

/// Notifications not yet emailed, with the address to send them to.
pub async fn unsent(
    db: &Db,
    limit: i64,
) -> Result<Vec<(Notification, String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.id, n.user_id, n.subject, n.body, n.link, n.created_at, n.read_at, u.email, u.display_name \
         FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.emailed_at IS NULL \
         ORDER BY n.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                from_row(r)?,
                r.try_get("email")?,
                r.try_get("display_name")?,
            ))
        })
        .collect()
}

/// Claims a notification for sending; false if another sender already has it.
pub async fn claim_email(db: &Db, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notifications SET emailed_at = $1 WHERE id = $2 AND emailed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a claimed notification back after a failed send, to be tried again.
pub async fn release_email(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET emailed_at = NULL WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Claims today's digest for a person; false if it was already sent (by this or another replica).
pub async fn claim_digest(
    conn: &mut AnyConnection,
    user_id: i64,
    day: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO digests_sent (user_id, day) VALUES ($1, $2) ON CONFLICT (user_id, day) DO NOTHING",
    )
    .bind(user_id)
    .bind(day)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
