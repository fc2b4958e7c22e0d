//! The search index: one row per searchable item, and the one query over it. SQLite uses FTS5
//! and PostgreSQL a weighted tsvector, both stemmed; results come in two tiers (every word in
//! the title, then the rest), newest first within each, and the score is the tier, so keyset
//! pages are exact on either.

use crate::db::{Backend, Db};
use crate::publishing::search_query::{Cursor, Terms};
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Project,
    Course,
    Dataset,
    Request,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Course => "course",
            Kind::Dataset => "dataset",
            Kind::Request => "request",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        [Kind::Project, Kind::Course, Kind::Dataset, Kind::Request]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who may find a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    Staff,
    /// Members of this project, and operators.
    Project(i64),
}

pub struct Document<'a> {
    pub kind: Kind,
    pub ref_id: i64,
    pub audience: Audience,
    pub title: &'a str,
    pub body: &'a str,
    pub url: &'a str,
}

/// Adds or replaces the document for one item.
pub async fn put(conn: &mut AnyConnection, d: &Document<'_>, now: i64) -> Result<(), sqlx::Error> {
    let (audience, project_id) = match d.audience {
        Audience::Public => ("public", None),
        Audience::Staff => ("staff", None),
        Audience::Project(p) => ("project", Some(p)),
    };
    // Delete then insert (not an upsert) so SQLite's FTS triggers see one clean change.
    remove(&mut *conn, d.kind, d.ref_id).await?;
    sqlx::query(
        "INSERT INTO search_documents (kind, ref_id, audience, project_id, title, body, url, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.kind.as_str())
    .bind(d.ref_id)
    .bind(audience)
    .bind(project_id)
    .bind(d.title)
    .bind(d.body)
    .bind(d.url)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove(conn: &mut AnyConnection, kind: Kind, ref_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM search_documents WHERE kind = $1 AND ref_id = $2")
        .bind(kind.as_str())
        .bind(ref_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the searcher may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub staff: bool,
    /// Every project's member-only documents (operators).
    pub all_projects: bool,
    pub projects: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub id: i64,
    pub kind: Kind,
    pub ref_id: i64,
    pub title: String,
    pub body: String,
    pub url: String,
    pub score: i64,
}

/// How a document matched: every word in its title ranks above words found only further in.
pub const TITLE_TIER: i64 = 1;
pub const BODY_TIER: i64 = 0;

/// Up to `limit` documents matching every word, after `cursor`: first those with every word in
/// the title, then the rest, newest first within each (the score is the tier).
///
/// Each tier is read newest first straight from the index and stops at the page's end, so a
/// page costs about the same with a million documents as with ten thousand. Scoring by term
/// frequency (bm25, ts_rank) would have to visit every match: SQLite's bm25 counts each word's
/// documents by walking all of them.
pub async fn query(
    db: &Db,
    terms: &Terms,
    scope: &Scope,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    let mut hits = Vec::new();
    if terms.is_empty() {
        return Ok(hits);
    }
    for tier in [TITLE_TIER, BODY_TIER] {
        let before = match cursor {
            Some(c) if c.score < tier => continue,
            Some(c) if c.score == tier => c.id,
            _ => i64::MAX,
        };
        let need = limit - hits.len() as i64;
        if need <= 0 {
            break;
        }
        hits.extend(tier_query(db, terms, scope, tier, before, need).await?);
    }
    Ok(hits)
}

/// Who may see a document, as SQL over `d`; the member projects are ids the store read.
fn visible(scope: &Scope) -> String {
    let projects = super::id_list(&scope.projects);
    format!(
        "(d.audience = 'public'{}{})",
        if scope.staff {
            " OR d.audience = 'staff'"
        } else {
            ""
        },
        if scope.all_projects {
            " OR d.audience = 'project'".to_owned()
        } else if projects.is_empty() {
            String::new()
        } else {
            format!(" OR (d.audience = 'project' AND d.project_id IN ({projects}))")
        }
    )
}

/// How many of the newest documents below the cursor PostgreSQL checks one by one before it
/// turns to the chunked GIN indexes (see [`tier_query`]): a word found in more than one in a
/// hundred of them fills a page here, and anything rarer costs a chunk little to read.
const POSTGRES_WINDOW: i64 = 2_000;

/// One tier's matches with ids below `before`, newest first.
async fn tier_query(
    db: &Db,
    terms: &Terms,
    scope: &Scope,
    tier: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    let visible = visible(scope);
    let columns =
        format!("d.id, d.kind, d.ref_id, d.title, d.body, d.url, CAST({tier} AS BIGINT) AS score");
    let rows = match db.backend {
        // The match drives: FTS5 hands rows over in descending rowid order, so LIMIT ends the
        // walk early whether a word is common or rare.
        Backend::Sqlite => {
            let all = terms.fts5();
            let text = if tier == TITLE_TIER {
                format!("{{title}} : ({all})")
            } else {
                format!("({all}) NOT {{title}} : ({all})")
            };
            sqlx::query(&format!(
                "SELECT {columns} FROM search_index JOIN search_documents d ON d.id = search_index.rowid \
                 WHERE search_index MATCH $1 AND search_index.rowid < $2 AND {visible} \
                 ORDER BY search_index.rowid DESC LIMIT $3"
            ))
            .bind(text)
            .bind(before)
            .bind(limit)
            .fetch_all(&db.pool)
            .await?
        }
        // A GIN index yields every match before any can be ordered, which for a common word is
        // most of the table; walking the primary key backwards stops early for a common word but
        // reads the whole table for a rare one, and the planner cannot tell which it has. So:
        // first the newest POSTGRES_WINDOW documents below the cursor, checked one by one (the
        // match wrapped so no index can take it). Only if they hold too few, the older ones
        // chunk by chunk, newest chunk first: the (chunk, words) GIN indexes of migration 0015
        // intersect one chunk's rows with each word's postings by skipping, and what a chunk
        // matches is sparse by then (fewer than `limit` in the window), so a page costs the
        // chunks it needs, not the table. The lateral join runs chunk after chunk and stops at
        // the LIMIT; within a chunk the rows are sorted, so the whole is newest first.
        Backend::Postgres => {
            // The query is parsed in a sub-select, which runs once per statement. Written
            // inline, a prepared statement's generic plan (which PostgreSQL settles on after
            // five runs when it costs no more than the custom ones) parses it again for every
            // row the window checks: 2 ms of a 10,000-document search's 2.4 ms.
            let matches = if tier == TITLE_TIER {
                "d.title_document @@ (SELECT to_tsquery('english', $1))"
            } else {
                "d.document @@ (SELECT to_tsquery('english', $1)) \
                 AND NOT d.title_document @@ (SELECT to_tsquery('english', $1))"
            };
            let top = if before == i64::MAX {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COALESCE(MAX(id), 0) + 1 FROM search_documents",
                )
                .fetch_one(&db.pool)
                .await?
            } else {
                before
            };
            let floor = top.saturating_sub(POSTGRES_WINDOW);
            let mut rows = sqlx::query(&format!(
                "SELECT {columns} FROM search_documents d \
                 WHERE d.id < $2 AND d.id >= $4 AND COALESCE({matches}, FALSE) AND {visible} \
                 ORDER BY d.id DESC LIMIT $3"
            ))
            .bind(terms.tsquery())
            .bind(top)
            .bind(limit)
            .bind(floor)
            .fetch_all(&db.pool)
            .await?;
            let more = limit - rows.len() as i64;
            if more > 0 && floor > 0 {
                rows.extend(
                    sqlx::query(&format!(
                        "SELECT h.* FROM generate_series( \
                           (SELECT d.chunk FROM search_documents d WHERE d.id < $2 ORDER BY d.id DESC LIMIT 1), \
                           0, -1) AS c(k) \
                         CROSS JOIN LATERAL (SELECT {columns} FROM search_documents d \
                           WHERE d.chunk = c.k AND {matches} AND d.id < $2 AND {visible} \
                           ORDER BY d.id DESC) h \
                         LIMIT $3"
                    ))
                    .bind(terms.tsquery())
                    .bind(floor)
                    .bind(more)
                    .fetch_all(&db.pool)
                    .await?,
                );
            }
            rows
        }
    };
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(Hit {
                id: r.try_get("id")?,
                kind: Kind::parse(&kind)
                    .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind:?}").into()))?,
                ref_id: r.try_get("ref_id")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                url: r.try_get("url")?,
                score: r.try_get("score")?,
            })
        })
        .collect()
}
