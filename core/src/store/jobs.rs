//! The durable job queue. A job is written on the same transaction as the state change that
//! needs it, claimed by one worker at a time under a lease, and finished, retried or dead-lettered
//! only by the worker that holds the lease (its token fences out a worker whose lease ran out).

use crate::db::{Backend, Db};
use crate::requests::retry::AfterFailure;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Provision,
    Start,
    Stop,
    Expire,
    Destroy,
    /// Stops a running resource and starts it again on the same host: a web service whose
    /// output check was just approved then runs from the checked snapshot.
    Restart,
    /// Does nothing: for measuring the queue itself.
    Noop,
}

impl JobKind {
    pub const ALL: [JobKind; 7] = [
        JobKind::Provision,
        JobKind::Start,
        JobKind::Stop,
        JobKind::Expire,
        JobKind::Destroy,
        JobKind::Restart,
        JobKind::Noop,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Provision => "provision",
            JobKind::Start => "start",
            JobKind::Stop => "stop",
            JobKind::Expire => "expire",
            JobKind::Destroy => "destroy",
            JobKind::Restart => "restart",
            JobKind::Noop => "noop",
        }
    }
    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub resource_id: i64,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at_ms: i64,
    pub lease_token: String,
    pub lease_until_ms: i64,
    pub last_error: String,
    pub created_at_ms: i64,
}

const COLUMNS: &str = "id, kind, resource_id, state, attempts, max_attempts, run_at_ms, \
     lease_token, lease_until_ms, last_error, created_at_ms";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Job, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Job {
        id: r.try_get("id")?,
        kind: JobKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown job kind {kind:?}").into()))?,
        resource_id: r.try_get("resource_id")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at_ms: r.try_get("run_at_ms")?,
        lease_token: r.try_get("lease_token")?,
        lease_until_ms: r.try_get("lease_until_ms")?,
        last_error: r.try_get("last_error")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Adds a job on the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: JobKind,
    resource_id: i64,
    max_attempts: i64,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, resource_id, state, max_attempts, run_at_ms, created_at_ms) \
         VALUES ($1, $2, 'queued', $3, $4, $4) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(resource_id)
    .bind(max_attempts)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
}

/// Claims the next due job, or one whose lease ran out, for `lease_ms` under `token`.
/// One statement on both backends; on PostgreSQL `SKIP LOCKED` lets workers pass each other,
/// on SQLite the single writer makes the statement atomic.
pub async fn claim(
    db: &Db,
    token: &str,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<Job>, sqlx::Error> {
    let lock = match db.backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_token = $1, lease_until_ms = $2, \
         attempts = attempts + 1, started_at_ms = $3 \
         WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $3) \
           OR (state = 'running' AND lease_until_ms < $3) ORDER BY run_at_ms, id LIMIT 1{lock}) \
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(token)
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Extends the lease; false means it was lost (ran out and another worker took the job).
pub async fn renew(db: &Db, id: i64, token: &str, until_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until_ms = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'",
    )
    .bind(until_ms)
    .bind(id)
    .bind(token)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the job done on the caller's transaction (with the state change it made).
pub async fn complete(
    conn: &mut AnyConnection,
    id: i64,
    token: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at_ms = $1, lease_until_ms = 0 \
         WHERE id = $2 AND lease_token = $3 AND state = 'running'",
    )
    .bind(now_ms)
    .bind(id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: due again later, or a dead letter.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    token: &str,
    error: &str,
    next: AfterFailure,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let (state, run_at) = match next {
        AfterFailure::RetryInMs(ms) => ("queued", now_ms + ms),
        AfterFailure::DeadLetter => ("dead", now_ms),
    };
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, run_at_ms = $2, last_error = $3, lease_until_ms = 0, \
         finished_at_ms = $4 WHERE id = $5 AND lease_token = $6 AND state = 'running'",
    )
    .bind(state)
    .bind(run_at)
    .bind(error)
    .bind(now_ms)
    .bind(id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The unfinished job for a resource, if any: only one change runs on a resource at a time.
pub async fn pending_for(db: &Db, resource_id: i64) -> Result<Option<Job>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE resource_id = $1 AND state IN ('queued', 'running') \
         ORDER BY id LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(resource_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn has_pending(conn: &mut AnyConnection, resource_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE resource_id = $1 AND state IN ('queued', 'running')",
    )
    .bind(resource_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

pub async fn dead_letters(db: &Db) -> Result<Vec<Job>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE state = 'dead' ORDER BY id DESC LIMIT 200");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(from_row).collect()
}

/// Puts a dead letter back in the queue with fresh attempts; false if it was not dead.
pub async fn redrive(db: &Db, id: i64, now_ms: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at_ms = $1, lease_token = '' \
         WHERE id = $2 AND state = 'dead'",
    )
    .bind(now_ms)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts by state, for the operators' page and the benchmarks.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// Jobs still claimed after their lease ran out: the reliability test expects none once workers
/// have caught up.
pub async fn stale_leases(db: &Db, now_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_until_ms < $1")
        .bind(now_ms)
        .fetch_one(&db.pool)
        .await
}

/// (created, started) times of finished jobs, for enqueue-to-start latency.
pub async fn timings(db: &Db) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT created_at_ms, started_at_ms FROM jobs WHERE state = 'done' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("created_at_ms")?, r.try_get("started_at_ms")?)))
        .collect()
}
