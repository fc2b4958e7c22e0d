//! Accelerator devices and the time booked on them. The one rule the database keeps itself: no
//! device is held by two live bookings at once. PostgreSQL refuses it with an exclusion
//! constraint; on SQLite [`hold`] writes first and then looks for an overlap inside the same
//! transaction, and SQLite admits one writer at a time, so of two racing holds one sees the
//! other and gives way.

use crate::accelerators::bookings::{Device, Limits, Window};
use crate::db::Db;
use crate::store::id_list;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

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
    /// Another live booking holds one of the devices for part of the window; the caller must
    /// roll its transaction back (on PostgreSQL it is already aborted).
    Taken,
}

/// PostgreSQL's exclusion_violation.
const EXCLUSION_VIOLATION: &str = "23P01";

/// States in which a booking holds its devices.
pub const LIVE: &str = "('confirmed', 'awaiting_approval')";

/// Saves the booking holding all of `devices` for its window, on the caller's transaction,
/// which must already have written (so on SQLite it is the one writer).
pub async fn hold(
    conn: &mut AnyConnection,
    b: &NewBooking<'_>,
    devices: &[i64],
) -> Result<Hold, sqlx::Error> {
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
    .fetch_one(&mut *conn)
    .await?;
    hold_devices(conn, id, b.window, devices).await
}

/// Moves a live booking to `window` on `devices` (its devices before are let go), with the
/// state and reason the new window gets.
pub async fn rehold(
    conn: &mut AnyConnection,
    id: i64,
    window: Window,
    devices: &[i64],
    state: &str,
    reason: &str,
    now: i64,
) -> Result<Hold, sqlx::Error> {
    sqlx::query(
        "UPDATE bookings SET starts_at = $1, ends_at = $2, count = $3, state = $4, reason = $5, \
         changed_at = $6 WHERE id = $7",
    )
    .bind(window.start)
    .bind(window.end)
    .bind(devices.len() as i64)
    .bind(state)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM booking_devices WHERE booking_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    hold_devices(conn, id, window, devices).await
}

async fn hold_devices(
    conn: &mut AnyConnection,
    id: i64,
    window: Window,
    devices: &[i64],
) -> Result<Hold, sqlx::Error> {
    for device in devices {
        let held = sqlx::query(
            "INSERT INTO booking_devices (booking_id, device_id, starts_at, ends_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(device)
        .bind(window.start)
        .bind(window.end)
        .execute(&mut *conn)
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
    .bind(window.end)
    .bind(window.start)
    .fetch_one(&mut *conn)
    .await?;
    Ok(if overlapping > 0 {
        Hold::Taken
    } else {
        Hold::Made(id)
    })
}

/// Moves a booking from one state to another (`awaiting_approval` to `confirmed`, or a live
/// state to `cancelled`, `refused` or `released`, which lets its devices go); false if it was
/// not in `from`.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE bookings SET state = $1, reason = $2, changed_at = $3 WHERE id = $4 AND state = $5",
    )
    .bind(to)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done && !matches!(to, "confirmed" | "awaiting_approval") {
        sqlx::query("UPDATE booking_devices SET held = 0 WHERE booking_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(done)
}

/// Which of `devices` live bookings other than `except` hold during part of `window`.
pub async fn taken(
    conn: &mut AnyConnection,
    devices: &[i64],
    window: Window,
    except: Option<i64>,
) -> Result<Vec<(i64, Window)>, sqlx::Error> {
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT device_id, starts_at, ends_at FROM booking_devices WHERE held = 1 \
         AND device_id IN ({}) AND starts_at < $1 AND ends_at > $2 AND booking_id <> $3 \
         ORDER BY device_id, starts_at",
        id_list(devices)
    ))
    .bind(window.end)
    .bind(window.start)
    .bind(except.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(d, start, end)| (d, Window { start, end }))
        .collect())
}

/// A kind of device people can book, with how many there are and the most on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub kind: String,
    pub model: String,
    pub memory_gb: u32,
    pub devices: i64,
    pub most_on_one_host: i64,
}

/// Every model with a device in service (not retired, on a host that is not drained).
pub async fn models(db: &Db) -> Result<Vec<Model>, sqlx::Error> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT kind, model, MAX(memory_gb), CAST(SUM(n) AS BIGINT), MAX(n) FROM ( \
           SELECT d.kind, d.model, MAX(d.memory_gb) AS memory_gb, d.host_id, COUNT(*) AS n \
           FROM devices d JOIN hosts h ON h.id = d.host_id \
           WHERE d.retired_at IS NULL AND h.drained_at IS NULL \
           GROUP BY d.kind, d.model, d.host_id) per_host \
         GROUP BY kind, model ORDER BY kind, model",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, model, memory_gb, devices, most)| Model {
            kind,
            model,
            memory_gb: u32::try_from(memory_gb).unwrap_or(0),
            devices,
            most_on_one_host: most,
        })
        .collect())
}

/// The devices of `model` in service, by host and slot.
pub async fn devices_of(conn: &mut AnyConnection, model: &str) -> Result<Vec<Device>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT d.id, d.host_id FROM devices d JOIN hosts h ON h.id = d.host_id \
         WHERE d.model = $1 AND d.retired_at IS NULL AND h.drained_at IS NULL \
         ORDER BY h.name, d.slot",
    )
    .bind(model)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, host)| Device { id, host })
        .collect())
}

/// A device a booking holds, where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldDevice {
    pub device_id: i64,
    pub host: String,
    pub slot: u32,
    /// The host's cores and how many devices of any kind it has, for a share of its cores.
    pub host_cores: u32,
    pub host_devices: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub project_lead_id: i64,
    pub booked_by: i64,
    pub booked_by_name: String,
    pub model: String,
    pub count: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub purpose: String,
    pub state: String,
    pub reason: String,
    pub created_at: i64,
    pub changed_at: i64,
    /// What the cluster keeps for it (empty until reserved, and under the local driver).
    pub reserved: String,
}

impl Booking {
    pub fn window(&self) -> Window {
        Window {
            start: self.starts_at,
            end: self.ends_at,
        }
    }
    pub fn is_live(&self) -> bool {
        matches!(self.state.as_str(), "confirmed" | "awaiting_approval")
    }
}

const SELECT: &str = "SELECT b.id, b.project_id, p.name AS project_name, p.lead_id, b.booked_by, \
     u.display_name AS booked_by_name, b.model, b.count, b.starts_at, b.ends_at, b.purpose, \
     b.state, b.reason, b.created_at, b.changed_at, b.reserved \
     FROM bookings b JOIN projects p ON p.id = b.project_id JOIN users u ON u.id = b.booked_by";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Booking, sqlx::Error> {
    Ok(Booking {
        id: r.try_get("id")?,
        project_id: r.try_get("project_id")?,
        project_name: r.try_get("project_name")?,
        project_lead_id: r.try_get("lead_id")?,
        booked_by: r.try_get("booked_by")?,
        booked_by_name: r.try_get("booked_by_name")?,
        model: r.try_get("model")?,
        count: r.try_get("count")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        purpose: r.try_get("purpose")?,
        state: r.try_get("state")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        changed_at: r.try_get("changed_at")?,
        reserved: r.try_get("reserved")?,
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Booking>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} WHERE b.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A project's bookings that end after `since`, soonest first.
pub async fn for_project(
    db: &Db,
    project_id: i64,
    since: i64,
) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE b.project_id = $1 AND b.ends_at > $2 ORDER BY b.starts_at, b.id"
    ))
    .bind(project_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Live bookings of `model` during part of `window`, by start.
pub async fn live_between(
    db: &Db,
    model: &str,
    window: Window,
) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE b.model = $1 AND b.state IN {LIVE} AND b.starts_at < $2 AND b.ends_at > $3 \
         ORDER BY b.starts_at, b.id"
    ))
    .bind(model)
    .bind(window.end)
    .bind(window.start)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Bookings that held devices during part of `window`: confirmed ones and released ones (which
/// held them until released), of one project or (`None`) of all.
pub async fn held_between(
    db: &Db,
    project_id: Option<i64>,
    window: Window,
) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE b.state IN ('confirmed', 'released') AND ($1 = 0 OR b.project_id = $1) \
         AND b.starts_at < $2 AND b.ends_at > $3 ORDER BY b.starts_at, b.id"
    ))
    .bind(project_id.unwrap_or(0))
    .bind(window.end)
    .bind(window.start)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A project's live bookings other than `except`, as (window, devices), for its limits.
/// Accelerators held at `at` by confirmed bookings: (host name, project, devices on that host).
/// Placement keeps them for the booking's project alone.
pub async fn held_at(
    conn: &mut AnyConnection,
    at: i64,
) -> Result<Vec<(String, i64, u32)>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT h.name, b.project_id, COUNT(*) FROM booking_devices bd \
         JOIN bookings b ON b.id = bd.booking_id JOIN devices d ON d.id = bd.device_id \
         JOIN hosts h ON h.id = d.host_id \
         WHERE bd.held = 1 AND b.state = 'confirmed' AND bd.starts_at <= $1 AND bd.ends_at > $1 \
         GROUP BY h.name, b.project_id",
    )
    .bind(at)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(h, p, n)| (h, p, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// The GPUs in service on `host` (their indexes), and which project a confirmed booking holds
/// each for at `at`.
pub async fn gpu_slots(
    conn: &mut AnyConnection,
    host: &str,
    at: i64,
) -> Result<Vec<(u32, Option<i64>)>, sqlx::Error> {
    let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT d.slot, (SELECT b.project_id FROM booking_devices bd \
         JOIN bookings b ON b.id = bd.booking_id WHERE bd.device_id = d.id AND bd.held = 1 \
         AND b.state = 'confirmed' AND bd.starts_at <= $2 AND bd.ends_at > $2) AS project_id \
         FROM devices d JOIN hosts h ON h.id = d.host_id \
         WHERE h.name = $1 AND d.kind = 'gpu' AND d.retired_at IS NULL ORDER BY d.slot",
    )
    .bind(host)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slot, p)| (u32::try_from(slot).unwrap_or(u32::MAX), p))
        .collect())
}

pub async fn project_live(
    conn: &mut AnyConnection,
    project_id: i64,
    except: Option<i64>,
) -> Result<Vec<(Window, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT starts_at, ends_at, count FROM bookings WHERE project_id = $1 AND state IN {LIVE} \
         AND id <> $2"
    ))
    .bind(project_id)
    .bind(except.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(start, end, n)| (Window { start, end }, n))
        .collect())
}

/// The devices a booking holds (or held), with their hosts.
pub async fn devices_held(
    conn: &mut AnyConnection,
    booking_id: i64,
) -> Result<Vec<HeldDevice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.id, h.name, d.slot, h.cores, \
         (SELECT COUNT(*) FROM devices o WHERE o.host_id = h.id AND o.retired_at IS NULL) AS n \
         FROM booking_devices bd JOIN devices d ON d.id = bd.device_id \
         JOIN hosts h ON h.id = d.host_id WHERE bd.booking_id = $1 ORDER BY h.name, d.slot",
    )
    .bind(booking_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HeldDevice {
                device_id: r.try_get(0)?,
                host: r.try_get(1)?,
                slot: crate::store::inventory::get_u32(r, "slot")?,
                host_cores: crate::store::inventory::get_u32(r, "cores")?,
                host_devices: crate::store::inventory::get_u32(r, "n")?,
            })
        })
        .collect()
}

/// The limits operators set for a project, if they set any.
pub async fn limits(
    conn: &mut AnyConnection,
    project_id: i64,
) -> Result<Option<Limits>, sqlx::Error> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT hours_per_week, longest_hours, ahead_days FROM booking_limits WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.map(|(hours_per_week, longest_hours, ahead_days)| Limits {
            hours_per_week,
            longest_hours,
            ahead_days,
        }),
    )
}

/// Sets a project's limits.
pub async fn set_limits(
    conn: &mut AnyConnection,
    project_id: i64,
    limits: &Limits,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO booking_limits (project_id, hours_per_week, longest_hours, ahead_days, set_by, set_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id) DO UPDATE SET \
         hours_per_week = excluded.hours_per_week, longest_hours = excluded.longest_hours, \
         ahead_days = excluded.ahead_days, set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(project_id)
    .bind(limits.hours_per_week)
    .bind(limits.longest_hours)
    .bind(limits.ahead_days)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Confirmed bookings that have not ended by `now`, with what was last reserved for each.
pub async fn confirmed_until(db: &Db, now: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, reserved FROM bookings WHERE state = 'confirmed' AND ends_at > $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(&db.pool)
    .await
}

/// Records what the cluster now keeps for a booking.
pub async fn set_reserved(db: &Db, id: i64, reserved: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE bookings SET reserved = $1 WHERE id = $2")
        .bind(reserved)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// A confirmed, reserved booking of `project_id` running at `now` with at least `devices`
/// devices: the one ending last, as (id, its end).
pub async fn running_reserved(
    db: &Db,
    project_id: i64,
    devices: i64,
    now: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, ends_at FROM bookings WHERE project_id = $1 AND state = 'confirmed' \
         AND reserved <> '' AND starts_at <= $2 AND ends_at > $2 AND count >= $3 \
         ORDER BY ends_at DESC, id LIMIT 1",
    )
    .bind(project_id)
    .bind(now)
    .bind(devices)
    .fetch_optional(&db.pool)
    .await
}

/// Confirmed bookings the lifecycle sweep may owe something at `now`: not over, starting within
/// `ahead` seconds or already started, with what it did for each (reminded, use checked).
pub async fn for_sweep(
    db: &Db,
    now: i64,
    ahead: i64,
) -> Result<Vec<(i64, Window, bool, bool)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, starts_at, ends_at, reminded, use_checked FROM bookings \
         WHERE state = 'confirmed' AND ends_at > $1 AND starts_at <= $2 \
         AND (reminded = 0 OR use_checked = 0) ORDER BY starts_at, id",
    )
    .bind(now)
    .bind(now + ahead)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, start, end, r, u)| (id, Window { start, end }, r == 1, u == 1))
        .collect())
}

/// Marks what the sweep did for a booking (`reminded` or `use_checked`); false if another
/// worker did it first.
pub async fn mark(conn: &mut AnyConnection, id: i64, column: Mark) -> Result<bool, sqlx::Error> {
    let sql = match column {
        Mark::Reminded => "UPDATE bookings SET reminded = 1 WHERE id = $1 AND reminded = 0",
        Mark::UseChecked => "UPDATE bookings SET use_checked = 1 WHERE id = $1 AND use_checked = 0",
    };
    Ok(sqlx::query(sql)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Reminded,
    UseChecked,
}

/// Live bookings of the projects `user_id` leads or belongs to that end after `since`.
pub async fn for_member(db: &Db, user_id: i64, since: i64) -> Result<Vec<Booking>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE b.state IN {LIVE} AND b.ends_at > $2 AND (p.lead_id = $1 OR EXISTS \
         (SELECT 1 FROM project_members m WHERE m.project_id = b.project_id AND m.user_id = $1)) \
         ORDER BY b.starts_at, b.id"
    ))
    .bind(user_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Makes `user_id`'s calendar feed the one whose secret hashes to `hash` (ending any before).
pub async fn set_feed(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, \
         created_at = excluded.created_at",
    )
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Ends `user_id`'s calendar feed; false if they had none.
pub async fn drop_feed(conn: &mut AnyConnection, user_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1)
}

/// Whose feed the secret hashing to `hash` opens.
pub async fn feed_owner(db: &Db, hash: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&db.pool)
        .await
}

/// When `user_id`'s feed was made, if they have one.
pub async fn feed_made(db: &Db, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await
}
