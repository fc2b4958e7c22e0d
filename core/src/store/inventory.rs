//! Sites and hosts: the Campus hardware as recorded by operators (or seeded as demo content).

use crate::db::{Backend, Db};
use crate::hardware::changes::{DeviceFields, HostFields};
use crate::requests::capacity::Host;
use crate::requests::quota::Amounts;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRow {
    pub id: i64,
    pub site_code: String,
    pub site_name: String,
    pub name: String,
    pub cores: u32,
    pub mhz_per_core: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
    pub gpus: u32,
    pub gpu_model: String,
    /// What the engine reports allocated (0 for hosts it does not own).
    pub alloc_cores: u32,
    pub alloc_ram_gb: u32,
    pub alloc_gpus: u32,
    /// Drained by an operator (or gone from its engine): what runs there carries on, nothing
    /// new is placed or booked there.
    pub drained: bool,
}

impl HostRow {
    pub fn as_host(&self) -> Host {
        Host {
            name: self.name.clone(),
            site: self.site_code.clone(),
            cores: self.cores,
            mhz_per_core: self.mhz_per_core,
            ram_gb: self.ram_gb,
            storage_gb: self.storage_gb,
            gpus: self.gpus,
            alloc_cores: self.alloc_cores,
            alloc_ram_gb: self.alloc_ram_gb,
            alloc_gpus: self.alloc_gpus,
        }
    }
}

pub(crate) fn get_u32(r: &sqlx::any::AnyRow, col: &str) -> Result<u32, sqlx::Error> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub async fn insert_site(db: &Db, code: &str, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO sites (code, name) VALUES ($1, $2) RETURNING id")
        .bind(code)
        .bind(name)
        .fetch_one(&db.pool)
        .await
}

pub struct NewHost<'a> {
    pub site_id: i64,
    pub name: &'a str,
    pub cores: u32,
    pub mhz_per_core: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
    pub gpus: u32,
    pub gpu_model: &'a str,
}

pub async fn insert_host(db: &Db, h: NewHost<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO hosts (site_id, name, cores, mhz_per_core, ram_gb, storage_gb, gpus, gpu_model) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(h.site_id)
    .bind(h.name)
    .bind(i64::from(h.cores))
    .bind(i64::from(h.mhz_per_core))
    .bind(i64::from(h.ram_gb))
    .bind(i64::from(h.storage_gb))
    .bind(i64::from(h.gpus))
    .bind(h.gpu_model)
    .fetch_one(&db.pool)
    .await
}

/// Every host in service or drained, read on `conn`: placement reads them on its own
/// transaction, as a second connection from the pool can deadlock it when every other one is
/// held by a request waiting for SQLite's write lock.
pub async fn list_hosts(conn: &mut AnyConnection) -> Result<Vec<HostRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT h.id, s.code AS site_code, s.name AS site_name, h.name, h.cores, h.mhz_per_core, \
         h.ram_gb, h.storage_gb, h.gpus, h.gpu_model, h.alloc_cores, h.alloc_ram_gb, h.alloc_gpus, \
         h.drained_at FROM hosts h JOIN sites s ON s.id = h.site_id \
         WHERE h.retired_at IS NULL ORDER BY s.code, h.name",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HostRow {
                id: r.try_get("id")?,
                site_code: r.try_get("site_code")?,
                site_name: r.try_get("site_name")?,
                name: r.try_get("name")?,
                cores: get_u32(r, "cores")?,
                mhz_per_core: get_u32(r, "mhz_per_core")?,
                ram_gb: get_u32(r, "ram_gb")?,
                storage_gb: get_u32(r, "storage_gb")?,
                gpus: get_u32(r, "gpus")?,
                gpu_model: r.try_get("gpu_model")?,
                alloc_cores: get_u32(r, "alloc_cores")?,
                alloc_ram_gb: get_u32(r, "alloc_ram_gb")?,
                alloc_gpus: get_u32(r, "alloc_gpus")?,
                drained: r.try_get::<Option<i64>, _>("drained_at")?.is_some(),
            })
        })
        .collect()
}

/// Every site (data centre): (code, name), by code.
pub async fn list_sites(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT code, name FROM sites ORDER BY code")
        .fetch_all(&db.pool)
        .await
}

/// A host in service or drained (not retired), by id.
pub async fn find_host(db: &Db, id: i64) -> Result<Option<HostRow>, sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    Ok(list_hosts(&mut conn)
        .await?
        .into_iter()
        .find(|h| h.id == id))
}

/// Adds a host at the site with code `h.site`, on the caller's transaction.
pub async fn add_host(conn: &mut AnyConnection, h: &HostFields) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO hosts (site_id, name, cores, mhz_per_core, ram_gb, storage_gb) \
         VALUES ((SELECT id FROM sites WHERE code = $1), $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&h.site)
    .bind(&h.name)
    .bind(i64::from(h.cores))
    .bind(i64::from(h.mhz_per_core))
    .bind(i64::from(h.ram_gb))
    .bind(i64::from(h.storage_gb))
    .fetch_one(&mut *conn)
    .await
}

/// Whether a host of this name is recorded (retired ones too: names are never reused).
pub async fn name_taken(
    conn: &mut AnyConnection,
    name: &str,
    except: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hosts WHERE name = $1 AND id <> $2")
        .bind(name)
        .bind(except)
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

pub async fn update_host(
    conn: &mut AnyConnection,
    id: i64,
    h: &HostFields,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hosts SET site_id = (SELECT id FROM sites WHERE code = $1), name = $2, cores = $3, \
         mhz_per_core = $4, ram_gb = $5, storage_gb = $6 WHERE id = $7",
    )
    .bind(&h.site)
    .bind(&h.name)
    .bind(i64::from(h.cores))
    .bind(i64::from(h.mhz_per_core))
    .bind(i64::from(h.ram_gb))
    .bind(i64::from(h.storage_gb))
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Drains a host (`Some(when)`) or returns it to service (`None`).
pub async fn set_drained(
    conn: &mut AnyConnection,
    id: i64,
    at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE hosts SET drained_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Retires a host and its devices: kept for the records that name them, counted nowhere.
pub async fn retire_host(conn: &mut AnyConnection, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE devices SET retired_at = $1 WHERE host_id = $2 AND retired_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE hosts SET retired_at = $1, drained_at = COALESCE(drained_at, $1), gpus = 0 \
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// What the workspaces and web services placed on a host hold now, and how many they are.
pub async fn running_on(
    conn: &mut AnyConnection,
    host_id: i64,
) -> Result<(Amounts, u32), sqlx::Error> {
    let (n, cores, ram, gpus): (i64, i64, i64, i64) = sqlx::query_as(
        // PostgreSQL sums BIGINT as NUMERIC: cast back, as both databases read it as i64.
        "SELECT COUNT(*), CAST(COALESCE(SUM(cpu_cores), 0) AS BIGINT), \
         CAST(COALESCE(SUM(ram_gb), 0) AS BIGINT), CAST(COALESCE(SUM(gpus), 0) AS BIGINT) \
         FROM resources \
         WHERE host_id = $1 AND state IN ('approved', 'provisioning', 'active')",
    )
    .bind(host_id)
    .fetch_one(&mut *conn)
    .await?;
    let whole = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok((
        Amounts {
            cpu_cores: whole(cores),
            ram_gb: whole(ram),
            gpus: whole(gpus),
            ..Amounts::default()
        },
        whole(n),
    ))
}

/// One GPU or TPU as the inventory page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub id: i64,
    pub host_id: i64,
    pub kind: String,
    pub model: String,
    pub memory_gb: u32,
    pub slot: u32,
}

/// The devices in service, on one host or (`None`) on every host not retired.
pub async fn devices(db: &Db, host_id: Option<i64>) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.id, d.host_id, d.kind, d.model, d.memory_gb, d.slot FROM devices d \
         JOIN hosts h ON h.id = d.host_id \
         WHERE d.retired_at IS NULL AND h.retired_at IS NULL AND ($1 = 0 OR d.host_id = $1) \
         ORDER BY d.host_id, d.kind, d.slot",
    )
    .bind(host_id.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeviceRow {
                id: r.try_get("id")?,
                host_id: r.try_get("host_id")?,
                kind: r.try_get("kind")?,
                model: r.try_get("model")?,
                memory_gb: get_u32(r, "memory_gb")?,
                slot: get_u32(r, "slot")?,
            })
        })
        .collect()
}

/// Adds a device at the next free index of its kind on the host, and counts the host's GPUs
/// again.
pub async fn add_device(
    conn: &mut AnyConnection,
    host_id: i64,
    d: &DeviceFields,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (host_id, kind, model, memory_gb, slot) \
         VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(slot) + 1, 0) FROM devices \
         WHERE host_id = $1 AND kind = $2)) RETURNING id",
    )
    .bind(host_id)
    .bind(d.kind)
    .bind(&d.model)
    .bind(i64::from(d.memory_gb))
    .fetch_one(&mut *conn)
    .await?;
    count_gpus(conn, host_id).await?;
    Ok(id)
}

pub async fn retire_device(
    conn: &mut AnyConnection,
    id: i64,
    host_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE devices SET retired_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    count_gpus(conn, host_id).await
}

/// A host's GPU count and model follow its GPU devices in service: capacity and placement
/// read the count.
async fn count_gpus(conn: &mut AnyConnection, host_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE hosts SET gpus = (SELECT COUNT(*) FROM devices WHERE host_id = $1 AND kind = 'gpu' \
         AND retired_at IS NULL), gpu_model = COALESCE((SELECT MIN(model) FROM devices \
         WHERE host_id = $1 AND kind = 'gpu' AND retired_at IS NULL), '') WHERE id = $1",
    )
    .bind(host_id)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Live bookings (confirmed or awaiting approval) that hold, from `now` on, one of a host's
/// devices (`device` = 0) or one device.
pub async fn bookings_ahead(
    conn: &mut AnyConnection,
    host_id: i64,
    device: i64,
    now: i64,
) -> Result<u32, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT b.id) FROM booking_devices bd JOIN bookings b ON b.id = bd.booking_id \
         JOIN devices d ON d.id = bd.device_id \
         WHERE d.host_id = $1 AND ($2 = 0 OR d.id = $2) AND bd.held = 1 AND bd.ends_at > $3 \
         AND b.state IN ('confirmed', 'awaiting_approval')",
    )
    .bind(host_id)
    .bind(device)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// A machine as a cluster engine reports it (Slurm's nodes).
pub struct EngineHost<'a> {
    pub name: &'a str,
    pub cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    pub gpu_model: &'a str,
    pub alloc_cores: u32,
    pub alloc_ram_gb: u32,
    pub alloc_gpus: u32,
}

/// Makes the hosts of one engine-owned site match what the engine reports: new nodes added,
/// changed ones updated (a host already recorded under another site is the same machine, and
/// moves), vanished ones removed. Clock speed is not something Slurm reports, so a
/// node's MHz stays what an operator recorded (1,000 until they do).
pub async fn sync_engine_hosts(
    db: &Db,
    site_code: &str,
    site_name: &str,
    hosts: &[EngineHost<'_>],
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    // A write first: on SQLite that takes the write lock now (waiting for it if need be) rather
    // than failing at the first write after a read.
    sqlx::query("INSERT INTO sites (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING")
        .bind(site_code)
        .bind(site_name)
        .execute(&mut *tx)
        .await?;
    let site: i64 = sqlx::query_scalar("SELECT id FROM sites WHERE code = $1")
        .bind(site_code)
        .fetch_one(&mut *tx)
        .await?;
    let known: Vec<String> = sqlx::query_scalar("SELECT name FROM hosts WHERE site_id = $1")
        .bind(site)
        .fetch_all(&mut *tx)
        .await?;
    for h in hosts {
        sqlx::query(
            "INSERT INTO hosts (site_id, name, cores, mhz_per_core, ram_gb, storage_gb, gpus, gpu_model, \
             alloc_cores, alloc_ram_gb, alloc_gpus) \
             VALUES ($1, $2, $3, 1000, $4, 0, $5, $6, $7, $8, $9) \
             ON CONFLICT (name) DO UPDATE SET site_id = excluded.site_id, cores = excluded.cores, ram_gb = excluded.ram_gb, \
             gpus = excluded.gpus, gpu_model = excluded.gpu_model, alloc_cores = excluded.alloc_cores, \
             alloc_ram_gb = excluded.alloc_ram_gb, alloc_gpus = excluded.alloc_gpus",
        )
        .bind(site)
        .bind(h.name)
        .bind(i64::from(h.cores.max(1)))
        .bind(i64::from(h.ram_gb))
        .bind(i64::from(h.gpus))
        .bind(h.gpu_model)
        .bind(i64::from(h.alloc_cores))
        .bind(i64::from(h.alloc_ram_gb))
        .bind(i64::from(h.alloc_gpus))
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM hosts WHERE name = $1")
            .bind(h.name)
            .fetch_one(&mut *tx)
            .await?;
        let model = if h.gpu_model.is_empty() {
            "GPU"
        } else {
            h.gpu_model
        };
        sync_devices(&mut tx, id, "gpu", model, h.gpus).await?;
    }
    for gone in known
        .iter()
        .filter(|k| !hosts.iter().any(|h| h.name == k.as_str()))
    {
        let id: i64 = sqlx::query_scalar("SELECT id FROM hosts WHERE site_id = $1 AND name = $2")
            .bind(site)
            .bind(gone)
            .fetch_one(&mut *tx)
            .await?;
        sync_devices(&mut tx, id, "gpu", "", 0).await?;
        // A host whose devices were ever booked keeps its record (the bookings name it), drained.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM devices WHERE host_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if kept == 0 {
            sqlx::query("DELETE FROM hosts WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query("UPDATE hosts SET drained_at = COALESCE(drained_at, $1) WHERE id = $2")
                .bind(crate::clock::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// Makes a host's devices of `kind` the `count` slots 0.. of `model`: missing ones are added,
/// others of that kind are removed, or retired if a booking ever held them.
async fn sync_devices(
    conn: &mut sqlx::AnyConnection,
    host_id: i64,
    kind: &str,
    model: &str,
    count: u32,
) -> Result<(), sqlx::Error> {
    for slot in 0..i64::from(count) {
        sqlx::query(
            "INSERT INTO devices (host_id, kind, model, slot) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (host_id, kind, slot) DO UPDATE SET model = excluded.model, retired_at = NULL",
        )
        .bind(host_id)
        .bind(kind)
        .bind(model)
        .bind(slot)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "DELETE FROM devices WHERE host_id = $1 AND kind = $2 AND slot >= $3 \
         AND id NOT IN (SELECT device_id FROM booking_devices)",
    )
    .bind(host_id)
    .bind(kind)
    .bind(i64::from(count))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE devices SET retired_at = $1 WHERE host_id = $2 AND kind = $3 AND slot >= $4 \
         AND retired_at IS NULL",
    )
    .bind(crate::clock::now())
    .bind(host_id)
    .bind(kind)
    .bind(i64::from(count))
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Every device there has been, retired or not, as (host, slot, model): what a resource that
/// ran on a host's slots ran on, even after the device left.
pub async fn device_models(db: &Db) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT host_id, slot, model FROM devices ORDER BY host_id, slot, id")
        .fetch_all(&db.pool)
        .await
}

/// The advisory lock placement holds (PostgreSQL): "campus_p".
const PLACEMENT_LOCK: i64 = 0x6361_6d70_7573_5f70;

/// Holds placement's lock until the transaction ends, so two placements never both read a
/// host's last room as free: the project's own lock does not stop another project placing at
/// the same moment. PostgreSQL takes a transaction-scoped advisory lock. SQLite lets one writer
/// at a time and every placing transaction has written (the project's lock) before it reads, so
/// it is already alone.
pub async fn lock_placement(backend: Backend, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PLACEMENT_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
