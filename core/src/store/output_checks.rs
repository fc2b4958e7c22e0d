//! Output checks, their rounds (each with the frozen snapshot's files) and checkers' decisions.
//! Everything a decision reads is read on the caller's connection, so it sees its own
//! transaction's writes and never waits on the pool while holding SQLite's write lock.

use super::{json, to_json};
use crate::db::Db;
use crate::output_checks::checklist::{Item, Output};
use crate::output_checks::review::State;
use crate::output_checks::snapshot::Entry;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: i64,
    pub resource_id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub project_lead_id: i64,
    pub requester_id: i64,
    pub requester_name: String,
    pub state: State,
    pub round: i64,
    pub reason: String,
    pub due_at: i64,
    /// When its checkers were last reminded of the deadline.
    pub reminded_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub decided_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub round: i64,
    pub digest: String,
    pub size_bytes: i64,
    pub outputs: Vec<Output>,
    pub items: Vec<Item>,
    pub submitted_by: i64,
    pub submitted_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub round: i64,
    pub checker_id: i64,
    pub checker_name: String,
    /// `approve`, `request_changes` or `reject`.
    pub verdict: String,
    pub reason: String,
    /// (output position, comment)
    pub comments: Vec<(usize, String)>,
    pub decided_at: i64,
}

const SELECT: &str = "SELECT c.id, c.resource_id, r.project_id, p.name AS project_name, \
     p.lead_id AS project_lead_id, c.requester_id, u.display_name AS requester_name, c.state, \
     c.round, c.reason, c.due_at, c.reminded_at, c.created_at, c.updated_at, c.decided_at \
     FROM output_checks c JOIN resources r ON r.id = c.resource_id \
     JOIN projects p ON p.id = r.project_id JOIN users u ON u.id = c.requester_id";

fn check(r: &sqlx::any::AnyRow) -> Result<Check, sqlx::Error> {
    let state: String = r.try_get("state")?;
    Ok(Check {
        id: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        project_id: r.try_get("project_id")?,
        project_name: r.try_get("project_name")?,
        project_lead_id: r.try_get("project_lead_id")?,
        requester_id: r.try_get("requester_id")?,
        requester_name: r.try_get("requester_name")?,
        state: State::parse(&state).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown output check state {state:?}").into())
        })?,
        round: r.try_get("round")?,
        reason: r.try_get("reason")?,
        due_at: r.try_get("due_at")?,
        reminded_at: r.try_get("reminded_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Check>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| check(&r))
        .transpose()
}

/// The resource's check that is still going or approved, if any (at most one: the database
/// holds a unique index over them).
pub async fn live_for_resource(
    conn: &mut AnyConnection,
    resource_id: i64,
) -> Result<Option<Check>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE c.resource_id = $1 \
         AND c.state IN ('submitted', 'changes_requested', 'approved')"
    ))
    .bind(resource_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| check(&r))
    .transpose()
}

/// Every check of a resource, newest first.
pub async fn for_resource(db: &Db, resource_id: i64) -> Result<Vec<Check>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE c.resource_id = $1 ORDER BY c.id DESC"
    ))
    .bind(resource_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(check)
    .collect()
}

/// Checks waiting for checkers, the longest waiting first.
pub async fn waiting(db: &Db) -> Result<Vec<Check>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE c.state = 'submitted' ORDER BY c.updated_at, c.id"
    ))
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(check)
    .collect()
}

/// A release to watch: an approved check's resource and the digest it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub check_id: i64,
    pub round: i64,
    pub resource_id: i64,
    pub digest: String,
}

/// Every approved check of a resource that is not ended, with the snapshot it released.
pub async fn releases(db: &Db) -> Result<Vec<Release>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.round, c.resource_id, cr.digest FROM output_checks c \
         JOIN output_check_rounds cr ON cr.check_id = c.id AND cr.round = c.round \
         JOIN resources r ON r.id = c.resource_id \
         WHERE c.state = 'approved' AND r.state NOT IN ('decommissioned', 'failed', 'rejected') \
         ORDER BY c.id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Release {
                check_id: r.try_get("id")?,
                round: r.try_get("round")?,
                resource_id: r.try_get("resource_id")?,
                digest: r.try_get("digest")?,
            })
        })
        .collect()
}

/// A resource's approved check, if any: its id and when it was approved.
pub async fn approved_for(db: &Db, resource_id: i64) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, decided_at FROM output_checks WHERE resource_id = $1 AND state = 'approved'",
    )
    .bind(resource_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        let at: Option<i64> = r.try_get("decided_at")?;
        Ok((r.try_get("id")?, at.unwrap_or_default()))
    })
    .transpose()
}

pub struct NewRound<'a> {
    pub check_id: i64,
    pub round: i64,
    pub digest: &'a str,
    pub size_bytes: u64,
    pub outputs: &'a [Output],
    pub items: &'a [Item],
    pub files: &'a [Entry],
    pub submitted_by: i64,
}

/// Starts a check in its first round; `None` when the resource already has a live one.
pub async fn insert(
    conn: &mut AnyConnection,
    resource_id: i64,
    requester_id: i64,
    due_at: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO output_checks (resource_id, requester_id, state, round, due_at, created_at, updated_at) \
         VALUES ($1, $2, 'submitted', 1, $3, $4, $4) RETURNING id",
    )
    .bind(resource_id)
    .bind(requester_id)
    .bind(due_at)
    .bind(now)
    .fetch_one(&mut *conn)
    .await;
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(e) if crate::error::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn add_round(
    conn: &mut AnyConnection,
    r: &NewRound<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO output_check_rounds (check_id, round, digest, size_bytes, outputs, items, submitted_by, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(r.check_id)
    .bind(r.round)
    .bind(r.digest)
    .bind(i64::try_from(r.size_bytes).unwrap_or(i64::MAX))
    .bind(to_json(&r.outputs))
    .bind(to_json(&r.items))
    .bind(r.submitted_by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for f in r.files {
        sqlx::query(
            "INSERT INTO output_check_files (check_id, round, path, size, sha256) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(r.check_id)
        .bind(r.round)
        .bind(&f.path)
        .bind(i64::try_from(f.size).unwrap_or(i64::MAX))
        .bind(&f.sha256)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Takes the check for one change: true only if it is still in `state` at `round`. On
/// PostgreSQL the row stays locked until the transaction ends, so two checkers approving at
/// once are counted one after the other.
pub async fn claim(
    conn: &mut AnyConnection,
    id: i64,
    state: State,
    round: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE output_checks SET updated_at = $4 WHERE id = $1 AND state = $2 AND round = $3",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(round)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub struct Move<'a> {
    pub to: State,
    pub round: i64,
    pub reason: &'a str,
    pub due_at: i64,
    /// Set when the check reached a final answer (approved, rejected).
    pub decided: bool,
}

pub async fn move_to(
    conn: &mut AnyConnection,
    id: i64,
    m: &Move<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE output_checks SET state = $2, round = $3, reason = $4, due_at = $5, \
         decided_at = CASE WHEN $6 = 1 THEN $7 ELSE decided_at END, updated_at = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(m.to.as_str())
    .bind(m.round)
    .bind(m.reason)
    .bind(m.due_at)
    .bind(i64::from(m.decided))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Who approved this round so far.
pub async fn approvals(
    conn: &mut AnyConnection,
    id: i64,
    round: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT checker_id FROM output_check_decisions \
         WHERE check_id = $1 AND round = $2 AND verdict = 'approve' ORDER BY decided_at",
    )
    .bind(id)
    .bind(round)
    .fetch_all(&mut *conn)
    .await
}

/// Who decided this round, whatever they decided.
pub async fn decided_by(
    conn: &mut AnyConnection,
    id: i64,
    round: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT checker_id FROM output_check_decisions WHERE check_id = $1 AND round = $2",
    )
    .bind(id)
    .bind(round)
    .fetch_all(&mut *conn)
    .await
}

/// Records a reminder of a waiting round; false if the check moved on or another worker
/// reminded first (its `reminded_at` is no longer the one read).
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    id: i64,
    round: i64,
    was: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE output_checks SET reminded_at = $4 WHERE id = $1 AND round = $2 \
         AND state = 'submitted' AND COALESCE(reminded_at, 0) = $3",
    )
    .bind(id)
    .bind(round)
    .bind(was.unwrap_or(0))
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub struct NewDecision<'a> {
    pub check_id: i64,
    pub round: i64,
    pub checker_id: i64,
    pub verdict: &'a str,
    pub reason: &'a str,
    pub comments: &'a [(usize, String)],
}

/// Records a decision; false if this checker already decided this round.
pub async fn add_decision(
    conn: &mut AnyConnection,
    d: &NewDecision<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO output_check_decisions (check_id, round, checker_id, verdict, reason, comments, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(d.check_id)
    .bind(d.round)
    .bind(d.checker_id)
    .bind(d.verdict)
    .bind(d.reason)
    .bind(to_json(&d.comments))
    .bind(now)
    .execute(&mut *conn)
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(e) if crate::error::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn rounds(db: &Db, id: i64) -> Result<Vec<Round>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT round, digest, size_bytes, outputs, items, submitted_by, submitted_at \
         FROM output_check_rounds WHERE check_id = $1 ORDER BY round",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let outputs: String = r.try_get("outputs")?;
            let items: String = r.try_get("items")?;
            Ok(Round {
                round: r.try_get("round")?,
                digest: r.try_get("digest")?,
                size_bytes: r.try_get("size_bytes")?,
                outputs: json(&outputs, "outputs")?,
                items: json(&items, "checklist")?,
                submitted_by: r.try_get("submitted_by")?,
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .collect()
}

pub async fn files(db: &Db, id: i64, round: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT path, size, sha256 FROM output_check_files \
         WHERE check_id = $1 AND round = $2 ORDER BY path",
    )
    .bind(id)
    .bind(round)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let size: i64 = r.try_get("size")?;
            Ok(Entry {
                path: r.try_get("path")?,
                size: u64::try_from(size).unwrap_or(0),
                sha256: r.try_get("sha256")?,
            })
        })
        .collect()
}

pub async fn decisions(db: &Db, id: i64) -> Result<Vec<Decision>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.round, d.checker_id, u.display_name, d.verdict, d.reason, d.comments, d.decided_at \
         FROM output_check_decisions d JOIN users u ON u.id = d.checker_id \
         WHERE d.check_id = $1 ORDER BY d.round, d.decided_at",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let comments: String = r.try_get("comments")?;
            Ok(Decision {
                round: r.try_get("round")?,
                checker_id: r.try_get("checker_id")?,
                checker_name: r.try_get("display_name")?,
                verdict: r.try_get("verdict")?,
                reason: r.try_get("reason")?,
                comments: json(&comments, "comments")?,
                decided_at: r.try_get("decided_at")?,
            })
        })
        .collect()
}
