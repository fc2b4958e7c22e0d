//! Training sessions and their attendees, each with the sandbox made for them.

use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: i64,
    pub course_id: i64,
    pub course_slug: String,
    pub course_title: String,
    pub trainer_id: i64,
    pub trainer_name: String,
    pub project_id: i64,
    pub offering_id: i64,
    pub offering_name: String,
    pub size_code: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i64,
    pub lead_minutes: i64,
    pub grace_minutes: i64,
    pub torn_down_at: Option<i64>,
}

const SELECT: &str = "SELECT s.id, s.course_id, c.slug AS course_slug, c.title AS course_title, \
     s.trainer_id, u.display_name AS trainer_name, s.project_id, s.offering_id, o.name AS offering_name, \
     s.size_code, s.starts_at, s.ends_at, s.seats, s.lead_minutes, s.grace_minutes, s.torn_down_at \
     FROM training_sessions s JOIN courses c ON c.id = s.course_id JOIN users u ON u.id = s.trainer_id \
     JOIN offerings o ON o.id = s.offering_id";

fn session(r: &sqlx::any::AnyRow) -> Result<Session, sqlx::Error> {
    Ok(Session {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        course_slug: r.try_get("course_slug")?,
        course_title: r.try_get("course_title")?,
        trainer_id: r.try_get("trainer_id")?,
        trainer_name: r.try_get("trainer_name")?,
        project_id: r.try_get("project_id")?,
        offering_id: r.try_get("offering_id")?,
        offering_name: r.try_get("offering_name")?,
        size_code: r.try_get("size_code")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        seats: r.try_get("seats")?,
        lead_minutes: r.try_get("lead_minutes")?,
        grace_minutes: r.try_get("grace_minutes")?,
        torn_down_at: r.try_get("torn_down_at")?,
    })
}

pub struct NewSession<'a> {
    pub course_id: i64,
    pub trainer_id: i64,
    pub project_id: i64,
    pub offering_id: i64,
    pub size_code: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    pub seats: i64,
    pub lead_minutes: i64,
    pub grace_minutes: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    s: &NewSession<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO training_sessions (course_id, trainer_id, project_id, offering_id, size_code, \
         starts_at, ends_at, seats, lead_minutes, grace_minutes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(s.course_id)
    .bind(s.trainer_id)
    .bind(s.project_id)
    .bind(s.offering_id)
    .bind(s.size_code)
    .bind(s.starts_at)
    .bind(s.ends_at)
    .bind(s.seats)
    .bind(s.lead_minutes)
    .bind(s.grace_minutes)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| session(&r))
        .transpose()
}

/// A course's sessions that have not been torn down, soonest first.
pub async fn for_course(db: &Db, course_id: i64) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE s.course_id = $1 AND s.torn_down_at IS NULL ORDER BY s.starts_at, s.id"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(session)
    .collect()
}

/// Sessions whose sandboxes need attention at `now`: from their lead time until torn down.
pub async fn needing_attention(db: &Db, now: i64) -> Result<Vec<Session>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE s.torn_down_at IS NULL AND s.starts_at - s.lead_minutes * 60 <= $1 ORDER BY s.id"
    ))
    .bind(now)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(session)
    .collect()
}

pub async fn mark_torn_down(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE training_sessions SET torn_down_at = $1 WHERE id = $2 AND torn_down_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub resource_id: Option<i64>,
}

pub async fn attendees(db: &Db, session_id: i64) -> Result<Vec<Attendee>, sqlx::Error> {
    sqlx::query(
        "SELECT a.user_id, u.display_name, u.email, a.resource_id FROM session_attendees a \
         JOIN users u ON u.id = a.user_id WHERE a.session_id = $1 ORDER BY u.display_name, a.user_id",
    )
    .bind(session_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Attendee {
            user_id: r.try_get("user_id")?,
            display_name: r.try_get("display_name")?,
            email: r.try_get("email")?,
            resource_id: r.try_get("resource_id")?,
        })
    })
    .collect()
}

pub async fn count_attendees(
    conn: &mut AnyConnection,
    session_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM session_attendees WHERE session_id = $1")
        .bind(session_id)
        .fetch_one(conn)
        .await
}

/// Adds an attendee; false when they were already on it.
pub async fn add_attendee(
    conn: &mut AnyConnection,
    session_id: i64,
    user_id: i64,
    by: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO session_attendees (session_id, user_id, added_by, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (session_id, user_id) DO NOTHING",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_resource(
    conn: &mut AnyConnection,
    session_id: i64,
    user_id: i64,
    resource_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE session_attendees SET resource_id = $1 WHERE session_id = $2 AND user_id = $3",
    )
    .bind(resource_id)
    .bind(session_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The sessions a person attends, not yet torn down.
pub async fn attending(db: &Db, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a.session_id FROM session_attendees a JOIN training_sessions s ON s.id = a.session_id \
         WHERE a.user_id = $1 AND s.torn_down_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}
