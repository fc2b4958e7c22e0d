//! Project pages: the draft, the published copy with its listing columns and tags, and the
//! content generation that tells caches public pages changed.

use super::{json, to_json};
use crate::db::Db;
use crate::publishing::showcase::{Content, Published};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub id: i64,
    pub project_id: i64,
    pub slug: String,
    pub draft: Content,
    pub published: Option<Published>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
}

fn page(r: &sqlx::any::AnyRow) -> Result<Page, sqlx::Error> {
    let draft: String = r.try_get("draft")?;
    let published: Option<String> = r.try_get("published")?;
    Ok(Page {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        slug: r.try_get("slug")?,
        draft: json(&draft, "draft")?,
        published: published.map(|p| json(&p, "published page")).transpose()?,
        published_at: r.try_get("published_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const SELECT: &str =
    "SELECT id, project_id, slug, draft, published, published_at, updated_at FROM showcase_pages";

pub async fn for_project(db: &Db, project_id: i64) -> Result<Option<Page>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE project_id = $1"))
        .bind(project_id)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| page(&r))
        .transpose()
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Page>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| page(&r))
        .transpose()
}

pub async fn slug_taken(db: &Db, slug: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM showcase_pages WHERE slug = $1")
        .bind(slug)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

pub async fn insert(
    conn: &mut AnyConnection,
    project_id: i64,
    slug: &str,
    draft: &Content,
    by: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO showcase_pages (project_id, slug, draft, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(project_id)
    .bind(slug)
    .bind(to_json(draft))
    .bind(now)
    .bind(by)
    .fetch_one(conn)
    .await
}

pub async fn save_draft(
    conn: &mut AnyConnection,
    id: i64,
    draft: &Content,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE showcase_pages SET draft = $1, updated_at = $2, updated_by = $3 WHERE id = $4",
    )
    .bind(to_json(draft))
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes `p` the copy visitors see, with its listing columns and tags.
pub async fn publish(
    conn: &mut AnyConnection,
    id: i64,
    p: &Published,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE showcase_pages SET published = $1, title = $2, summary = $3, year = $4, \
         published_at = $5, updated_at = $5, updated_by = $6 WHERE id = $7",
    )
    .bind(to_json(p))
    .bind(&p.content.title)
    .bind(&p.content.summary)
    .bind(p.content.year)
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM showcase_tags WHERE page_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for t in &p.content.tags {
        sqlx::query("INSERT INTO showcase_tags (page_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn unpublish(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE showcase_pages SET published = NULL, published_at = NULL, updated_at = $1, \
         updated_by = $2 WHERE id = $3",
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM showcase_tags WHERE page_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One line of the public list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub year: Option<i64>,
    pub tags: Vec<String>,
}

/// Published pages in title order, filtered by tag and year, after the page with id `after`.
pub async fn list_published(
    db: &Db,
    tag: Option<&str>,
    year: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Listed>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.id, p.slug, p.title, p.summary, p.year FROM showcase_pages p \
         WHERE p.published_at IS NOT NULL \
         AND ($1 = '' OR EXISTS (SELECT 1 FROM showcase_tags t WHERE t.page_id = p.id AND t.tag = $1)) \
         AND ($2 = 0 OR p.year = $2) \
         AND ($3 = 0 OR (p.title, p.id) > (SELECT a.title, a.id FROM showcase_pages a WHERE a.id = $3)) \
         ORDER BY p.title, p.id LIMIT $4",
    )
    .bind(tag.unwrap_or(""))
    .bind(year.unwrap_or(0))
    .bind(after.unwrap_or(0))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(Listed {
                id: r.try_get("id")?,
                slug: r.try_get("slug")?,
                title: r.try_get("title")?,
                summary: r.try_get("summary")?,
                year: r.try_get("year")?,
                tags: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // One query for every listed page's tags, not one per page.
    let mut tags = tags_of_pages(db, &out.iter().map(|l| l.id).collect::<Vec<_>>()).await?;
    for l in &mut out {
        l.tags = tags.remove(&l.id).unwrap_or_default();
    }
    Ok(out)
}

async fn tags_of_pages(
    db: &Db,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>, sqlx::Error> {
    let mut by_page = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(by_page);
    }
    let rows = sqlx::query(&format!(
        "SELECT page_id, tag FROM showcase_tags WHERE page_id IN ({}) ORDER BY page_id, tag",
        super::id_list(ids)
    ))
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        by_page
            .entry(r.try_get::<i64, _>("page_id")?)
            .or_insert_with(Vec::new)
            .push(r.try_get("tag")?);
    }
    Ok(by_page)
}

/// Every tag of a published page with how many pages carry it, and every year.
pub async fn facets(db: &Db) -> Result<(Vec<(String, i64)>, Vec<i64>), sqlx::Error> {
    let tags =
        sqlx::query("SELECT tag, COUNT(*) AS n FROM showcase_tags GROUP BY tag ORDER BY tag")
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("tag")?, r.try_get("n")?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let years = sqlx::query_scalar(
        "SELECT DISTINCT year FROM showcase_pages WHERE published_at IS NOT NULL AND year IS NOT NULL ORDER BY year DESC",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok((tags, years))
}

/// Marks public content as changed, so every replica's page cache drops what it holds.
pub async fn bump_generation(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE content_generation SET value = value + 1 WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn generation(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM content_generation WHERE id = 1")
        .fetch_one(&db.pool)
        .await
}
