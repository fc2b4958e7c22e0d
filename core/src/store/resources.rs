//! Resource requests and the resources they become, with the history of each.

use super::inventory::get_u32;
use crate::db::Db;
use crate::requests::kind::{Kind, Visibility};
use crate::requests::lifecycle::State;
use crate::requests::quota::Amounts;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub project_lead_id: i64,
    pub project_end_date: String,
    pub offering_id: i64,
    pub offering_name: String,
    pub kind: Kind,
    pub tool: String,
    pub command: String,
    pub size_code: String,
    pub requester_id: i64,
    pub requester_name: String,
    /// The requester's user name and the Unix account mapped to them: their workloads run as
    /// that person.
    pub requester_username: String,
    pub requester_unix_account: Option<String>,
    pub state: State,
    pub amounts: Amounts,
    pub end_date: String,
    pub purpose: String,
    pub visibility: Visibility,
    pub extensions: u32,
    pub reason: String,
    pub driver: String,
    pub external_id: String,
    pub endpoint: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active_at: i64,
    /// Storage only: bytes used when last measured (0 and `used_measured_at` 0 until then).
    pub used_bytes: i64,
    pub used_measured_at: i64,
    /// The host the portal placed it on, and the data centre its requester asked for ('' for any).
    pub host: Option<String>,
    pub site: String,
    /// The GPUs on its host given to it, by index there ("0,1"), for the local driver.
    pub devices: String,
    /// The digest of the snapshot two output checkers approved, while that check stands: a
    /// released web service serves exactly it, read-only.
    pub released: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: i64,
    pub actor_name: Option<String>,
    pub from_state: State,
    pub to_state: State,
    pub note: String,
}

const SELECT: &str = "SELECT r.id, r.project_id, p.name AS project_name, p.lead_id AS project_lead_id, \
     p.end_date AS project_end_date, r.offering_id, o.name AS offering_name, o.kind, o.tool, o.command, \
     r.size_code, r.requester_id, u.display_name AS requester_name, \
     u.username AS requester_username, u.unix_account AS requester_unix_account, r.state, r.cpu_cores, r.ram_gb, \
     r.gpus, r.storage_gb, r.end_date, r.purpose, r.visibility, r.extensions, r.reason, r.driver, \
     r.external_id, r.endpoint, r.created_at, r.updated_at, r.last_active_at, r.used_bytes, r.used_measured_at, \
     h.name AS host, r.site, r.devices, \
     (SELECT cr.digest FROM output_checks c JOIN output_check_rounds cr \
       ON cr.check_id = c.id AND cr.round = c.round \
       WHERE c.resource_id = r.id AND c.state = 'approved') AS released \
     FROM resources r JOIN projects p ON p.id = r.project_id JOIN offerings o ON o.id = r.offering_id \
     JOIN users u ON u.id = r.requester_id LEFT JOIN hosts h ON h.id = r.host_id";

fn decode_err(what: &str, v: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {v:?}").into())
}

/// The kind, state and size columns every resource query reads.
fn kind_state_amounts(r: &sqlx::any::AnyRow) -> Result<(Kind, State, Amounts), sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let kind = Kind::parse(&kind).ok_or_else(|| decode_err("kind", &kind))?;
    let state: String = r.try_get("state")?;
    let state = State::parse(&state).ok_or_else(|| decode_err("state", &state))?;
    let amounts = Amounts::of(
        kind,
        get_u32(r, "cpu_cores")?,
        get_u32(r, "ram_gb")?,
        get_u32(r, "gpus")?,
        get_u32(r, "storage_gb")?,
    );
    Ok((kind, state, amounts))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Resource, sqlx::Error> {
    let (kind, state, amounts) = kind_state_amounts(r)?;
    let visibility: String = r.try_get("visibility")?;
    Ok(Resource {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        project_name: r.try_get("project_name")?,
        project_lead_id: r.try_get("project_lead_id")?,
        project_end_date: r.try_get("project_end_date")?,
        offering_id: r.try_get("offering_id")?,
        offering_name: r.try_get("offering_name")?,
        kind,
        tool: r.try_get("tool")?,
        command: r.try_get("command")?,
        size_code: r.try_get("size_code")?,
        requester_id: r.try_get("requester_id")?,
        requester_name: r.try_get("requester_name")?,
        requester_username: r.try_get("requester_username")?,
        requester_unix_account: r.try_get("requester_unix_account")?,
        state,
        amounts,
        end_date: r.try_get("end_date")?,
        purpose: r.try_get("purpose")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| decode_err("visibility", &visibility))?,
        extensions: get_u32(r, "extensions")?,
        reason: r.try_get("reason")?,
        driver: r.try_get("driver")?,
        external_id: r.try_get("external_id")?,
        endpoint: r.try_get("endpoint")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_active_at: r.try_get("last_active_at")?,
        used_bytes: r.try_get("used_bytes")?,
        used_measured_at: r.try_get("used_measured_at")?,
        host: r.try_get("host")?,
        site: r.try_get("site")?,
        devices: r.try_get("devices")?,
        released: r.try_get("released")?,
    })
}

/// What the requester chose: set on a new request, changed on a resubmission.
pub struct RequestDetails<'a> {
    pub size_code: &'a str,
    pub amounts: Amounts,
    pub end_date: &'a str,
    pub purpose: &'a str,
    pub visibility: Visibility,
    pub site: &'a str,
}

/// Inserts a request as submitted, with its first event, on the caller's transaction.
pub async fn insert(
    conn: &mut AnyConnection,
    project_id: i64,
    offering_id: i64,
    requester_id: i64,
    d: &RequestDetails<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO resources (project_id, offering_id, size_code, requester_id, state, cpu_cores, \
         ram_gb, gpus, storage_gb, end_date, purpose, visibility, site, created_at, updated_at, last_active_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, $13, $13, $13) RETURNING id",
    )
    .bind(project_id)
    .bind(offering_id)
    .bind(d.size_code)
    .bind(requester_id)
    .bind(State::Submitted.as_str())
    .bind(i64::from(d.amounts.cpu_cores))
    .bind(i64::from(d.amounts.ram_gb))
    .bind(i64::from(d.amounts.gpus))
    .bind(i64::from(d.amounts.storage_gb))
    .bind(d.end_date)
    .bind(d.purpose)
    .bind(d.visibility.as_str())
    .bind(now)
    .bind(d.site)
    .fetch_one(&mut *conn)
    .await?;
    add_event(
        conn,
        id,
        Some(requester_id),
        State::Draft,
        State::Submitted,
        "",
        now,
    )
    .await?;
    Ok(id)
}

pub async fn update_details(
    conn: &mut AnyConnection,
    id: i64,
    d: &RequestDetails<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE resources SET size_code = $1, cpu_cores = $2, ram_gb = $3, gpus = $4, storage_gb = $5, \
         end_date = $6, purpose = $7, visibility = $8, site = $10 WHERE id = $9",
    )
    .bind(d.size_code)
    .bind(i64::from(d.amounts.cpu_cores))
    .bind(i64::from(d.amounts.ram_gb))
    .bind(i64::from(d.amounts.gpus))
    .bind(i64::from(d.amounts.storage_gb))
    .bind(d.end_date)
    .bind(d.purpose)
    .bind(d.visibility.as_str())
    .bind(id)
    .bind(d.site)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Sets who may reach a resource; public content's caches are told when it is or was public.
pub async fn set_visibility(
    conn: &mut AnyConnection,
    id: i64,
    visibility: Visibility,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE resources SET visibility = $2 WHERE id = $1")
        .bind(id)
        .bind(visibility.as_str())
        .execute(&mut *conn)
        .await?;
    super::showcase::bump_generation(conn).await
}

pub async fn add_event(
    conn: &mut AnyConnection,
    id: i64,
    actor_id: Option<i64>,
    from: State,
    to: State,
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO resource_events (resource_id, at, actor_id, from_state, to_state, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(now)
    .bind(actor_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Moves a resource from `from` to `to` and records the step, only if it is still in `from`:
/// false means someone else moved it first and nothing was changed.
pub async fn transition(
    conn: &mut AnyConnection,
    id: i64,
    from: State,
    to: State,
    actor_id: Option<i64>,
    note: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE resources SET state = $1, updated_at = $2, \
         reason = CASE WHEN $1 IN ('failed', 'rejected', 'changes_requested') THEN $3 ELSE reason END \
         WHERE id = $4 AND state = $5",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(note)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    add_event(conn, id, actor_id, from, to, note, now).await?;
    if from == State::Active || to == State::Active {
        // Public project pages list their project's live published services: a published one
        // starting or stopping is a change of public content (see `showcase::bump_generation`).
        sqlx::query(
            "UPDATE content_generation SET value = value + 1              WHERE id = 1 AND EXISTS (SELECT 1 FROM resources WHERE id = $1 AND visibility = 'public')",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Records where the driver put the resource, as soon as it is known.
pub async fn set_placement(
    db: &Db,
    id: i64,
    driver: &str,
    external_id: &str,
    endpoint: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE resources SET driver = $1, external_id = $2, endpoint = $3 WHERE id = $4")
        .bind(driver)
        .bind(external_id)
        .bind(endpoint)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn set_end_date(
    conn: &mut AnyConnection,
    id: i64,
    end_date: &str,
    extensions: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE resources SET end_date = $1, extensions = $2 WHERE id = $3")
        .bind(end_date)
        .bind(i64::from(extensions))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Notes that someone used the resource (through the proxy), for idle stop.
pub async fn touch(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE resources SET last_active_at = $1 WHERE id = $2 AND last_active_at < $1")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Resource>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn for_project(db: &Db, project_id: i64) -> Result<Vec<Resource>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE r.project_id = $1 ORDER BY r.id DESC");
    let rows = sqlx::query(&sql)
        .bind(project_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Everything in the projects a person belongs to, newest first, older than `before`.
pub async fn for_member(
    db: &Db,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Resource>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE r.project_id IN (SELECT project_id FROM project_members WHERE user_id = $1) \
         AND r.id < $2 ORDER BY r.id DESC LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn in_states(db: &Db, states: &[State]) -> Result<Vec<Resource>, sqlx::Error> {
    if states.is_empty() {
        return Ok(Vec::new());
    }
    // The state names are our own constants, never user input.
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("{SELECT} WHERE r.state IN ({list}) ORDER BY r.id");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(from_row).collect()
}

/// Records a storage resource's measured size.
pub async fn set_usage(db: &Db, id: i64, bytes: i64, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE resources SET used_bytes = $1, used_measured_at = $2 WHERE id = $3")
        .bind(bytes)
        .bind(at)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.at, u.display_name AS actor_name, e.from_state, e.to_state, e.note \
         FROM resource_events e LEFT JOIN users u ON u.id = e.actor_id \
         WHERE e.resource_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let from: String = r.try_get("from_state")?;
            let to: String = r.try_get("to_state")?;
            Ok(Event {
                at: r.try_get("at")?,
                actor_name: r.try_get("actor_name")?,
                from_state: State::parse(&from).ok_or_else(|| decode_err("state", &from))?,
                to_state: State::parse(&to).ok_or_else(|| decode_err("state", &to))?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

/// One number that changes whenever a step is recorded or a job for the resource starts or
/// ends: the newest event id and the unfinished job's id, in one query.
pub async fn progress_marker(db: &Db, id: i64) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT (SELECT MAX(id) FROM resource_events WHERE resource_id = $1) AS event, \
         (SELECT MIN(id) FROM jobs WHERE resource_id = $1 AND state IN ('queued', 'running')) AS job",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    let event: Option<i64> = row.try_get("event")?;
    let job: Option<i64> = row.try_get("job")?;
    Ok(event.unwrap_or(0) * 1_000_000 + job.unwrap_or(0))
}

/// What every resource (of one project, or of all) holds: kind, state and size. Read on the
/// caller's transaction so a request's quota and capacity checks see a consistent picture.
pub async fn allocations(
    conn: &mut AnyConnection,
    project_id: Option<i64>,
) -> Result<Vec<(Kind, State, Amounts)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.kind, r.state, r.cpu_cores, r.ram_gb, r.gpus, r.storage_gb FROM resources r \
         JOIN offerings o ON o.id = r.offering_id \
         WHERE r.state NOT IN ('rejected', 'decommissioned') AND ($1 = 0 OR r.project_id = $1)",
    )
    .bind(project_id.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(kind_state_amounts).collect()
}

/// Every resource that holds compute now (approved, being set up or running), with the name of
/// the host it was placed on and its project, in the order placed: what placement takes off each host.
pub async fn placed(
    conn: &mut AnyConnection,
    except: Option<i64>,
) -> Result<Vec<(Option<String>, i64, Amounts)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.kind, r.state, r.cpu_cores, r.ram_gb, r.gpus, r.storage_gb, h.name AS host, \
         r.project_id \
         FROM resources r JOIN offerings o ON o.id = r.offering_id LEFT JOIN hosts h ON h.id = r.host_id \
         WHERE r.state IN ('approved', 'provisioning', 'active') AND r.id <> $1 ORDER BY r.id",
    )
    .bind(except.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (kind, state, amounts) = kind_state_amounts(r)?;
        if crate::requests::capacity::holds_compute(kind, state) {
            out.push((r.try_get("host")?, r.try_get("project_id")?, amounts));
        }
    }
    Ok(out)
}

/// Records the host a resource was placed on (by name; `None` clears it) and the devices there
/// given to it.
pub async fn set_host(
    conn: &mut AnyConnection,
    id: i64,
    host: Option<&str>,
    devices: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE resources SET host_id = (SELECT id FROM hosts WHERE name = $1), devices = $3 \
         WHERE id = $2",
    )
    .bind(host)
    .bind(id)
    .bind(devices)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// The device indexes other resources that hold compute on `host` have been given.
pub async fn devices_in_use(
    conn: &mut AnyConnection,
    host: &str,
    except: i64,
) -> Result<Vec<u32>, sqlx::Error> {
    let lists: Vec<String> = sqlx::query_scalar(
        "SELECT r.devices FROM resources r JOIN hosts h ON h.id = r.host_id \
         WHERE h.name = $1 AND r.id <> $2 AND r.devices <> '' \
         AND r.state IN ('approved', 'provisioning', 'active')",
    )
    .bind(host)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    Ok(lists
        .iter()
        .flat_map(|l| l.split(',').filter_map(|s| s.trim().parse().ok()))
        .collect())
}

/// Takes the project's row lock (PostgreSQL) or the write lock (SQLite) at the start of a
/// transaction, so two requests for one project cannot both pass the quota check.
pub async fn lock_project(conn: &mut AnyConnection, project_id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE projects SET id = id WHERE id = $1")
        .bind(project_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a workspace or service of the project that uses accelerators is being set up or runs.
pub async fn project_uses_accelerators(db: &Db, project_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM resources WHERE project_id = $1 AND gpus > 0 \
         AND state IN ('provisioning', 'active')",
    )
    .bind(project_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// A resource that asked for accelerators, with every step it took, for booked-against-used
/// figures.
#[derive(Debug, Clone)]
pub struct AcceleratorSteps {
    pub project_id: i64,
    pub gpus: i64,
    pub host_id: Option<i64>,
    pub devices: String,
    /// (when, state entered), oldest first.
    pub steps: Vec<(i64, State)>,
}

/// The resources with accelerators (of one project, or of all) that could have run after
/// `since`: not ended before it. Two queries, not one per resource.
pub async fn accelerator_steps(
    db: &Db,
    project_id: Option<i64>,
    since: i64,
) -> Result<Vec<AcceleratorSteps>, sqlx::Error> {
    const WHICH: &str = "r.gpus > 0 AND ($1 = 0 OR r.project_id = $1) \
         AND (r.state NOT IN ('decommissioned', 'failed', 'rejected') OR r.updated_at >= $2)";
    let rows = sqlx::query(&format!(
        "SELECT r.id, r.project_id, r.gpus, r.host_id, r.devices FROM resources r \
         WHERE {WHICH} ORDER BY r.id"
    ))
    .bind(project_id.unwrap_or(0))
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(r.try_get::<i64, _>("id")?);
        out.push(AcceleratorSteps {
            project_id: r.try_get("project_id")?,
            gpus: r.try_get("gpus")?,
            host_id: r.try_get("host_id")?,
            devices: r.try_get("devices")?,
            steps: Vec::new(),
        });
    }
    let events = sqlx::query(&format!(
        "SELECT e.resource_id, e.at, e.to_state FROM resource_events e \
         JOIN resources r ON r.id = e.resource_id WHERE {WHICH} ORDER BY e.resource_id, e.id"
    ))
    .bind(project_id.unwrap_or(0))
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    for e in &events {
        let id: i64 = e.try_get("resource_id")?;
        let to: String = e.try_get("to_state")?;
        let state = State::parse(&to).ok_or_else(|| decode_err("state", &to))?;
        if let Ok(i) = ids.binary_search(&id) {
            out[i].steps.push((e.try_get("at")?, state));
        }
    }
    Ok(out)
}
