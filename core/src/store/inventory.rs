//! Sites and hosts: the Campus hardware as recorded by operators (or seeded as demo content).

use crate::db::Db;
use crate::requests::capacity::Host;
use serde::{Deserialize, Serialize};
use sqlx::Row;

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

pub async fn list_hosts(db: &Db) -> Result<Vec<HostRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT h.id, s.code AS site_code, s.name AS site_name, h.name, h.cores, h.mhz_per_core, \
         h.ram_gb, h.storage_gb, h.gpus, h.gpu_model, h.alloc_cores, h.alloc_ram_gb, h.alloc_gpus, \
         h.drained_at FROM hosts h JOIN sites s ON s.id = h.site_id \
         ORDER BY s.code, h.name",
    )
    .fetch_all(&db.pool)
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
