//! The search index: one row per searchable item, and the one query over it. SQLite uses FTS5
//! (bm25) and PostgreSQL a weighted tsvector (ts_rank); both give an integer score, higher is
//! better, so keyset pages are exact on either.

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

/// Most matches ranked for one query: the newest this many. Ranking every match of a common
/// word costs time in proportion to the index; ranking a bounded set keeps a search about as
/// fast with a million documents as with ten thousand. Older matches beyond it are not shown.
pub const CANDIDATES: i64 = 10_000;

/// Up to `limit` documents matching every word, best first, after `cursor`, ranked among the
/// newest [`CANDIDATES`] matches.
pub async fn query(
    db: &Db,
    terms: &Terms,
    scope: &Scope,
    cursor: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    // The member projects are integers the store itself read, so inlining them is safe and
    // keeps one statement for any number of them.
    let projects = scope
        .projects
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let visible = format!(
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
    );
    let (matched, text) = match db.backend {
        // bm25 is lower for better matches; titles weigh ten times the body.
        Backend::Sqlite => (
            "SELECT d.id, d.kind, d.ref_id, d.title, d.body, d.url, \
             CAST(-bm25(search_index, 10.0, 1.0) * 1000000 AS INTEGER) AS score \
             FROM search_index JOIN search_documents d ON d.id = search_index.rowid \
             WHERE search_index MATCH $1 AND search_index.rowid >= (SELECT COALESCE(MIN(c.rowid), 0) FROM \
             (SELECT rowid FROM search_index WHERE search_index MATCH $1 ORDER BY rowid DESC LIMIT $6) c)",
            terms.fts5(),
        ),
        Backend::Postgres => (
            "SELECT d.id, d.kind, d.ref_id, d.title, d.body, d.url, \
             CAST(ts_rank(d.document, to_tsquery('english', $1)) * 1000000 AS BIGINT) AS score \
             FROM search_documents d WHERE d.id IN (SELECT c.id FROM search_documents c \
             WHERE c.document @@ to_tsquery('english', $1) ORDER BY c.id DESC LIMIT $6)",
            terms.tsquery(),
        ),
    };
    let sql = format!(
        "SELECT * FROM ({matched} AND {visible}) m \
         WHERE ($2 = 0 OR m.score < $3 OR (m.score = $3 AND m.id > $4)) \
         ORDER BY m.score DESC, m.id LIMIT $5"
    );
    let c = cursor.unwrap_or(Cursor { score: 0, id: 0 });
    let rows = sqlx::query(&sql)
        .bind(text)
        .bind(i64::from(cursor.is_some()))
        .bind(c.score)
        .bind(c.id)
        .bind(limit)
        .bind(CANDIDATES)
        .fetch_all(&db.pool)
        .await?;
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
