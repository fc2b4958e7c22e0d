//! Courses, their Markdown pages (kept with the HTML rendered at saving) and attachments.

use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub topic: String,
    pub summary: String,
    /// Visible to anyone, not only staff.
    pub public: bool,
    pub owner_id: i64,
    pub owner_name: String,
    pub updated_at: i64,
    /// Partners may enrol themselves on its sessions (else the trainer adds them).
    pub partners_enrol: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoursePage {
    pub id: i64,
    pub course_id: i64,
    pub position: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
}

const COURSE: &str = "SELECT c.id, c.slug, c.title, c.topic, c.summary, c.audience, c.owner_id, \
     u.display_name AS owner_name, c.updated_at, c.partners_enrol FROM courses c \
     JOIN users u ON u.id = c.owner_id";

fn course(r: &sqlx::any::AnyRow) -> Result<Course, sqlx::Error> {
    let audience: String = r.try_get("audience")?;
    Ok(Course {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        title: r.try_get("title")?,
        topic: r.try_get("topic")?,
        summary: r.try_get("summary")?,
        public: audience == "public",
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        updated_at: r.try_get("updated_at")?,
        partners_enrol: r.try_get::<i64, _>("partners_enrol")? != 0,
    })
}

pub struct NewCourse<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub topic: &'a str,
    pub summary: &'a str,
    pub public: bool,
    pub owner_id: i64,
}

pub async fn insert_course(
    conn: &mut AnyConnection,
    c: &NewCourse<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO courses (slug, title, topic, summary, audience, owner_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(c.slug)
    .bind(c.title)
    .bind(c.topic)
    .bind(c.summary)
    .bind(if c.public { "public" } else { "staff" })
    .bind(c.owner_id)
    .bind(now)
    .fetch_one(conn)
    .await
}

pub async fn slug_taken(db: &Db, slug: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM courses WHERE slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// Courses in title order after the course `after`; staff-only ones when `staff`.
pub async fn list(
    db: &Db,
    staff: bool,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Course>, sqlx::Error> {
    sqlx::query(&format!(
        "{COURSE} WHERE ($1 = 1 OR c.audience = 'public') \
         AND ($2 = 0 OR (c.title, c.id) > (SELECT a.title, a.id FROM courses a WHERE a.id = $2)) \
         ORDER BY c.title, c.id LIMIT $3"
    ))
    .bind(i64::from(staff))
    .bind(after.unwrap_or(0))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(course)
    .collect()
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Course>, sqlx::Error> {
    sqlx::query(&format!("{COURSE} WHERE c.slug = $1"))
        .bind(slug)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| course(&r))
        .transpose()
}

fn page(r: &sqlx::any::AnyRow) -> Result<CoursePage, sqlx::Error> {
    Ok(CoursePage {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        position: r.try_get("position")?,
        slug: r.try_get("slug")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        html: r.try_get("html")?,
    })
}

pub async fn pages(db: &Db, course_id: i64) -> Result<Vec<CoursePage>, sqlx::Error> {
    sqlx::query(
        "SELECT id, course_id, position, slug, title, body, html FROM course_pages \
         WHERE course_id = $1 ORDER BY position, id",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(page)
    .collect()
}

pub struct NewPage<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub html: &'a str,
}

/// Adds a page at the end of the course, or replaces the one with the same slug.
pub async fn put_page(
    conn: &mut AnyConnection,
    course_id: i64,
    p: &NewPage<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE course_pages SET title = $1, body = $2, html = $3, updated_at = $4 \
         WHERE course_id = $5 AND slug = $6",
    )
    .bind(p.title)
    .bind(p.body)
    .bind(p.html)
    .bind(now)
    .bind(course_id)
    .bind(p.slug)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO course_pages (course_id, position, slug, title, body, html, updated_at) \
             VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM course_pages WHERE course_id = $1), \
             $2, $3, $4, $5, $6)",
        )
        .bind(course_id)
        .bind(p.slug)
        .bind(p.title)
        .bind(p.body)
        .bind(p.html)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE courses SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(course_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn attachments(db: &Db, course_id: i64) -> Result<Vec<Attachment>, sqlx::Error> {
    sqlx::query(
        "SELECT id, file_name, media_type, size_bytes FROM course_attachments \
         WHERE course_id = $1 ORDER BY file_name",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Attachment {
            id: r.try_get("id")?,
            file_name: r.try_get("file_name")?,
            media_type: r.try_get("media_type")?,
            size_bytes: r.try_get("size_bytes")?,
        })
    })
    .collect()
}

/// An attachment's type and bytes.
pub async fn attachment_content(
    db: &Db,
    course_id: i64,
    file_name: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query("SELECT media_type, content FROM course_attachments WHERE course_id = $1 AND file_name = $2")
        .bind(course_id)
        .bind(file_name)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| Ok((r.try_get("media_type")?, r.try_get("content")?)))
        .transpose()
}

/// Keeps an attachment, replacing one of the same name.
pub async fn put_attachment(
    conn: &mut AnyConnection,
    course_id: i64,
    file_name: &str,
    media_type: &str,
    content: &[u8],
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM course_attachments WHERE course_id = $1 AND file_name = $2")
        .bind(course_id)
        .bind(file_name)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO course_attachments (course_id, file_name, media_type, size_bytes, content, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(course_id)
    .bind(file_name)
    .bind(media_type)
    .bind(content.len() as i64)
    .bind(content.to_vec())
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_partners_enrol(
    conn: &mut AnyConnection,
    id: i64,
    allowed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE courses SET partners_enrol = $1 WHERE id = $2")
        .bind(i64::from(allowed))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}
