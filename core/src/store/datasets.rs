//! Datasets: metadata, versions and their files, uploads with scan results, and grants.

use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: i64,
    pub acquisition_id: i64,
    pub title: String,
    pub description: String,
    pub source: String,
    pub licence: String,
    pub classification: String,
    pub conditions: Vec<String>,
    pub owner_id: i64,
    pub owner_name: String,
    pub retention_date: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub close_reason: String,
    /// Days before the retention date of the last reminder sent.
    pub retention_reminded: Option<i64>,
}

const SELECT: &str = "SELECT d.id, d.acquisition_id, d.title, d.description, d.source, d.licence, \
     d.classification, d.conditions, d.owner_id, u.display_name AS owner_name, d.retention_date, \
     d.created_at, d.closed_at, d.close_reason, d.retention_reminded \
     FROM datasets d JOIN users u ON u.id = d.owner_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Dataset, sqlx::Error> {
    let conditions: String = r.try_get("conditions")?;
    Ok(Dataset {
        id: r.try_get("id")?,
        acquisition_id: r.try_get("acquisition_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        source: r.try_get("source")?,
        licence: r.try_get("licence")?,
        classification: r.try_get("classification")?,
        conditions: serde_json::from_str(&conditions).map_err(|_| {
            sqlx::Error::Decode(format!("unreadable conditions {conditions:?}").into())
        })?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        retention_date: r.try_get("retention_date")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
        close_reason: r.try_get("close_reason")?,
        retention_reminded: r.try_get("retention_reminded")?,
    })
}

/// What a new dataset starts with, from its approved acquisition.
pub struct NewDataset<'a> {
    pub acquisition_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub source: &'a str,
    pub licence: &'a str,
    pub classification: &'a str,
    pub conditions: &'a [String],
    pub owner_id: i64,
    pub retention_date: &'a str,
}

pub async fn insert(
    conn: &mut AnyConnection,
    d: &NewDataset<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO datasets (acquisition_id, title, description, source, licence, classification, \
         conditions, owner_id, retention_date, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.acquisition_id)
    .bind(d.title)
    .bind(d.description)
    .bind(d.source)
    .bind(d.licence)
    .bind(d.classification)
    .bind(serde_json::to_string(d.conditions).expect("strings serialise"))
    .bind(d.owner_id)
    .bind(d.retention_date)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
}

/// New terms from an approved amendment or renewal.
pub async fn update_terms(
    conn: &mut AnyConnection,
    acquisition_id: i64,
    d: &NewDataset<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE datasets SET title = $1, description = $2, source = $3, licence = $4, \
         classification = $5, conditions = $6, retention_date = $7, retention_reminded = NULL \
         WHERE acquisition_id = $8 AND closed_at IS NULL RETURNING id",
    )
    .bind(d.title)
    .bind(d.description)
    .bind(d.source)
    .bind(d.licence)
    .bind(d.classification)
    .bind(serde_json::to_string(d.conditions).expect("strings serialise"))
    .bind(d.retention_date)
    .bind(acquisition_id)
    .fetch_optional(&mut *conn)
    .await
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Dataset>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn for_acquisition(db: &Db, acquisition_id: i64) -> Result<Option<Dataset>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.acquisition_id = $1"))
        .bind(acquisition_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Datasets whose title, description or source contains `q` (any case), all when empty; by
/// title, after the dataset with id `after`, at most `limit`.
pub async fn search(
    db: &Db,
    q: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Dataset>, sqlx::Error> {
    let pattern = format!(
        "%{}%",
        q.trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE (LOWER(d.title) LIKE $1 ESCAPE '\\' OR LOWER(d.description) LIKE $1 ESCAPE '\\' \
         OR LOWER(d.source) LIKE $1 ESCAPE '\\') \
         AND ($2 = 0 OR (d.title, d.id) > (SELECT x.title, x.id FROM datasets x WHERE x.id = $2)) \
         ORDER BY d.title, d.id LIMIT $3"
    ))
    .bind(pattern)
    .bind(after.unwrap_or(0))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub name: String,
    pub bytes: i64,
    pub sha256: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub number: i64,
    pub created_by: String,
    pub created_at: i64,
    pub files: Vec<FileRow>,
}

/// Adds the next version with its files.
pub async fn add_version(
    conn: &mut AnyConnection,
    dataset_id: i64,
    created_by: i64,
    files: &[FileRow],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let number: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM dataset_versions WHERE dataset_id = $1",
    )
    .bind(dataset_id)
    .fetch_one(&mut *conn)
    .await?;
    let version_id: i64 = sqlx::query_scalar(
        "INSERT INTO dataset_versions (dataset_id, number, created_by, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(dataset_id)
    .bind(number)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for f in files {
        sqlx::query(
            "INSERT INTO dataset_files (version_id, name, bytes, sha256, path) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(version_id)
        .bind(&f.name)
        .bind(f.bytes)
        .bind(&f.sha256)
        .bind(&f.path)
        .execute(&mut *conn)
        .await?;
    }
    Ok(number)
}

pub async fn versions(db: &Db, dataset_id: i64) -> Result<Vec<Version>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT v.id, v.number, u.display_name, v.created_at FROM dataset_versions v \
         JOIN users u ON u.id = v.created_by WHERE v.dataset_id = $1 ORDER BY v.number DESC",
    )
    .bind(dataset_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let files = sqlx::query(
            "SELECT name, bytes, sha256, path FROM dataset_files WHERE version_id = $1 ORDER BY name",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|f| {
            Ok(FileRow {
                name: f.try_get(0)?,
                bytes: f.try_get(1)?,
                sha256: f.try_get(2)?,
                path: f.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        out.push(Version {
            number: r.try_get(1)?,
            created_by: r.try_get(2)?,
            created_at: r.try_get(3)?,
            files,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub name: String,
    pub bytes: i64,
    pub sha256: String,
    pub outcome: String,
    pub signature: String,
    pub uploader: String,
    pub at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn record_upload(
    conn: &mut AnyConnection,
    dataset_id: i64,
    uploader_id: i64,
    file: &FileRow,
    infected: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO dataset_uploads (dataset_id, uploader_id, name, bytes, sha256, outcome, signature, path, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(dataset_id)
    .bind(uploader_id)
    .bind(&file.name)
    .bind(file.bytes)
    .bind(&file.sha256)
    .bind(if infected.is_some() { "infected" } else { "clean" })
    .bind(infected.unwrap_or_default())
    .bind(&file.path)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

pub async fn uploads(db: &Db, dataset_id: i64) -> Result<Vec<Upload>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT x.name, x.bytes, x.sha256, x.outcome, x.signature, u.display_name, x.at \
         FROM dataset_uploads x JOIN users u ON u.id = x.uploader_id WHERE x.dataset_id = $1 ORDER BY x.id",
    )
    .bind(dataset_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Upload {
                name: r.try_get(0)?,
                bytes: r.try_get(1)?,
                sha256: r.try_get(2)?,
                outcome: r.try_get(3)?,
                signature: r.try_get(4)?,
                uploader: r.try_get(5)?,
                at: r.try_get(6)?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: i64,
    pub dataset_id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub granted_by: String,
    pub granted_at: i64,
    pub reason: String,
    pub revoked_by: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: String,
}

const GRANTS: &str =
    "SELECT g.id, g.dataset_id, g.project_id, p.name, gb.display_name, g.granted_at, \
     g.reason, rb.display_name, g.revoked_at, g.revoke_reason FROM dataset_grants g \
     JOIN projects p ON p.id = g.project_id JOIN users gb ON gb.id = g.granted_by \
     LEFT JOIN users rb ON rb.id = g.revoked_by";

fn grant_row(r: &sqlx::any::AnyRow) -> Result<Grant, sqlx::Error> {
    Ok(Grant {
        id: r.try_get(0)?,
        dataset_id: r.try_get(1)?,
        project_id: r.try_get(2)?,
        project_name: r.try_get(3)?,
        granted_by: r.try_get(4)?,
        granted_at: r.try_get(5)?,
        reason: r.try_get(6)?,
        revoked_by: r.try_get(7)?,
        revoked_at: r.try_get(8)?,
        revoke_reason: r.try_get(9)?,
    })
}

pub async fn grants(db: &Db, dataset_id: i64) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(&format!("{GRANTS} WHERE g.dataset_id = $1 ORDER BY g.id"))
        .bind(dataset_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(grant_row).collect()
}

pub async fn find_grant(db: &Db, id: i64) -> Result<Option<Grant>, sqlx::Error> {
    let row = sqlx::query(&format!("{GRANTS} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(grant_row).transpose()
}

/// Live grants to a project: what the provisioning side may mount into its workspaces.
pub async fn granted_to_project(db: &Db, project_id: i64) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{GRANTS} WHERE g.project_id = $1 AND g.revoked_at IS NULL ORDER BY g.id"
    ))
    .bind(project_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(grant_row).collect()
}

/// Grants a project access unless it already has a live grant: false then, and nothing changes.
pub async fn grant(
    conn: &mut AnyConnection,
    dataset_id: i64,
    project_id: i64,
    by: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO dataset_grants (dataset_id, project_id, granted_by, granted_at, reason) \
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM dataset_grants \
         WHERE dataset_id = $1 AND project_id = $2 AND revoked_at IS NULL)",
    )
    .bind(dataset_id)
    .bind(project_id)
    .bind(by)
    .bind(now)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes a live grant: false if it was already revoked.
pub async fn revoke(
    conn: &mut AnyConnection,
    grant_id: i64,
    by: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE dataset_grants SET revoked_by = $1, revoked_at = $2, revoke_reason = $3 \
         WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(by)
    .bind(now)
    .bind(reason)
    .bind(grant_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Datasets still open, for the retention reminders.
pub async fn open(db: &Db) -> Result<Vec<Dataset>, sqlx::Error> {
    let rows = sqlx::query(&format!("{SELECT} WHERE d.closed_at IS NULL ORDER BY d.id"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Records the reminder sent, only if the last one recorded is still `was`.
pub async fn mark_retention_reminded(
    db: &Db,
    id: i64,
    days: i64,
    was: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE datasets SET retention_reminded = $1 WHERE id = $2 \
         AND COALESCE(retention_reminded, -1) = $3",
    )
    .bind(days)
    .bind(id)
    .bind(was.unwrap_or(-1))
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes an open dataset: false if it was already closed.
pub async fn close(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE datasets SET closed_at = $1, closed_by = $2, close_reason = $3 \
         WHERE id = $4 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(reason)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live grant of a dataset; how many were.
pub async fn revoke_all(
    conn: &mut AnyConnection,
    dataset_id: i64,
    by: i64,
    reason: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE dataset_grants SET revoked_by = $1, revoked_at = $2, revoke_reason = $3 \
         WHERE dataset_id = $4 AND revoked_at IS NULL",
    )
    .bind(by)
    .bind(now)
    .bind(reason)
    .bind(dataset_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Every file kept for a dataset (each version's and each quarantined upload's), once per path.
pub async fn stored_files(db: &Db, dataset_id: i64) -> Result<Vec<FileRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT name, bytes, sha256, path FROM dataset_uploads WHERE dataset_id = $1 ORDER BY id",
    )
    .bind(dataset_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<FileRow> = Vec::new();
    for r in rows {
        let f = FileRow {
            name: r.try_get(0)?,
            bytes: r.try_get(1)?,
            sha256: r.try_get(2)?,
            path: r.try_get(3)?,
        };
        if !out.iter().any(|o| o.path == f.path) {
            out.push(f);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub at: i64,
    pub by: String,
    pub files: Vec<FileRow>,
    /// Files that could not be deleted, with why.
    pub failures: Vec<String>,
}

pub async fn add_certificate(
    conn: &mut AnyConnection,
    dataset_id: i64,
    by: i64,
    files: &[FileRow],
    failures: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deletion_certificates (dataset_id, at, by_id, files, failures) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(dataset_id)
    .bind(now)
    .bind(by)
    .bind(serde_json::to_string(files).expect("plain data serialises"))
    .bind(serde_json::to_string(failures).expect("plain data serialises"))
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

pub async fn certificate(db: &Db, dataset_id: i64) -> Result<Option<Certificate>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.at, u.display_name, c.files, c.failures FROM deletion_certificates c \
         JOIN users u ON u.id = c.by_id WHERE c.dataset_id = $1",
    )
    .bind(dataset_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let decode = |col: &str| -> Result<String, sqlx::Error> { r.try_get(col) };
    let files: String = decode("files")?;
    let failures: String = decode("failures")?;
    let bad = |what: &str| sqlx::Error::Decode(format!("unreadable certificate {what}").into());
    Ok(Some(Certificate {
        at: r.try_get(0)?,
        by: r.try_get(1)?,
        files: serde_json::from_str(&files).map_err(|_| bad("files"))?,
        failures: serde_json::from_str(&failures).map_err(|_| bad("failures"))?,
    }))
}
