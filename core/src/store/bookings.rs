//! Accelerator devices and the time booked on them. The one rule the database keeps itself: no
//! device is held by two live bookings at once. PostgreSQL refuses it with an exclusion
//! constraint; on SQLite [`hold`] writes first and then looks for an overlap inside the same
//! transaction, and SQLite admits one writer at a time, so of two racing holds one sees the
//! other and gives way.

use crate::accelerators::bookings::Window;
use crate::db::Db;
use crate::store::id_list;

/// A GPU or TPU on a host.
pub struct NewDevice<'a> {
    pub host_id: i64,
    /// `gpu` or `tpu`.
    pub kind: &'a str,
    /// What people book: "NVIDIA A100 80GB", "TPU v4".
    pub model: &'a str,
    pub memory_gb: u32,
    /// Its index on the host (Slurm's GRES index, or the device number).
    pub slot: u32,
}

pub async fn insert_device(db: &Db, d: NewDevice<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO devices (host_id, kind, model, memory_gb, slot) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(d.host_id)
    .bind(d.kind)
    .bind(d.model)
    .bind(i64::from(d.memory_gb))
    .bind(i64::from(d.slot))
    .fetch_one(&db.pool)
    .await
}

/// A booking as asked for, with the state it starts in (`confirmed`, or `awaiting_approval`
/// with the reasons).
pub struct NewBooking<'a> {
    pub project_id: i64,
    pub booked_by: i64,
    pub model: &'a str,
    pub window: Window,
    pub purpose: &'a str,
    pub state: &'a str,
    pub reason: &'a str,
    pub now: i64,
}

/// What became of an attempt to hold devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The booking's id; it holds every device asked for.
    Made(i64),
    /// Another live booking holds one of the devices for part of the window; nothing was saved.
    Taken,
}

/// PostgreSQL's exclusion_violation.
const EXCLUSION_VIOLATION: &str = "23P01";

/// Saves the booking holding all of `devices` for its window, or nothing if any of them is
/// held by another live booking then.
pub async fn hold(db: &Db, b: &NewBooking<'_>, devices: &[i64]) -> Result<Hold, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    // The first statement writes, so on SQLite this transaction is the one writer from here on.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bookings (project_id, booked_by, model, count, starts_at, ends_at, purpose, \
         state, reason, created_at, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(b.project_id)
    .bind(b.booked_by)
    .bind(b.model)
    .bind(devices.len() as i64)
    .bind(b.window.start)
    .bind(b.window.end)
    .bind(b.purpose)
    .bind(b.state)
    .bind(b.reason)
    .bind(b.now)
    .fetch_one(&mut *tx)
    .await?;
    for device in devices {
        let held = sqlx::query(
            "INSERT INTO booking_devices (booking_id, device_id, starts_at, ends_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(device)
        .bind(b.window.start)
        .bind(b.window.end)
        .execute(&mut *tx)
        .await;
        match held {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(EXCLUSION_VIOLATION) => {
                return Ok(Hold::Taken);
            }
            Err(e) => return Err(e),
        }
    }
    let overlapping: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM booking_devices WHERE held = 1 AND booking_id <> $1 \
         AND device_id IN ({}) AND starts_at < $2 AND ends_at > $3",
        id_list(devices)
    ))
    .bind(id)
    .bind(b.window.end)
    .bind(b.window.start)
    .fetch_one(&mut *tx)
    .await?;
    if overlapping > 0 {
        return Ok(Hold::Taken);
    }
    tx.commit().await?;
    Ok(Hold::Made(id))
}

/// Ends a live booking (`cancelled`, `refused` or `released`), freeing its devices; false if it
/// was not live.
pub async fn end(
    db: &Db,
    id: i64,
    state: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE bookings SET state = $1, reason = $2, changed_at = $3 \
         WHERE id = $4 AND state IN ('confirmed', 'awaiting_approval')",
    )
    .bind(state)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    sqlx::query("UPDATE booking_devices SET held = 0 WHERE booking_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done)
}

/// Which of `devices` live bookings hold during part of `window`, with the holding window.
pub async fn taken(
    db: &Db,
    devices: &[i64],
    window: Window,
) -> Result<Vec<(i64, Window)>, sqlx::Error> {
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT device_id, starts_at, ends_at FROM booking_devices WHERE held = 1 \
         AND device_id IN ({}) AND starts_at < $1 AND ends_at > $2 ORDER BY device_id, starts_at",
        id_list(devices)
    ))
    .bind(window.end)
    .bind(window.start)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(d, start, end)| (d, Window { start, end }))
        .collect())
}
