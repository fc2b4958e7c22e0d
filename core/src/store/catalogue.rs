//! Offerings in the catalogue and their sizes.

use super::inventory::get_u32;
use crate::db::Db;
use crate::requests::kind::Kind;
use crate::requests::quota::Amounts;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    pub code: String,
    pub label: String,
    pub cpu_cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    pub storage_gb: u32,
}

impl Size {
    /// What one resource of this size and kind counts against a project's quota.
    pub fn amounts(&self, kind: Kind) -> Amounts {
        Amounts::of(
            kind,
            self.cpu_cores,
            self.ram_gb,
            self.gpus,
            self.storage_gb,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offering {
    pub id: i64,
    pub slug: String,
    pub kind: Kind,
    pub tool: String,
    pub name: String,
    pub description: String,
    pub command: String,
    pub needs_approval: bool,
    pub default_days: u32,
    pub extension_days: u32,
    pub max_extensions: u32,
    pub idle_stop_minutes: u32,
    pub retired: bool,
    /// Why its program cannot be started here (empty when it can); kept by the portal.
    pub unavailable: String,
    pub sizes: Vec<Size>,
}

impl Offering {
    pub fn size(&self, code: &str) -> Option<&Size> {
        self.sizes.iter().find(|s| s.code == code)
    }
}

pub struct NewOffering<'a> {
    pub slug: &'a str,
    pub kind: Kind,
    pub tool: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub command: &'a str,
    pub needs_approval: bool,
    pub default_days: u32,
    pub extension_days: u32,
    pub max_extensions: u32,
    pub idle_stop_minutes: u32,
    pub retired: bool,
    pub sizes: &'a [Size],
}

pub async fn insert(db: &Db, o: NewOffering<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let id = insert_in(&mut tx, o).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts an offering and its sizes inside the caller's transaction.
pub async fn insert_in(conn: &mut AnyConnection, o: NewOffering<'_>) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO offerings (slug, kind, tool, name, description, command, needs_approval, \
         default_days, extension_days, max_extensions, idle_stop_minutes, retired) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(o.slug)
    .bind(o.kind.as_str())
    .bind(o.tool)
    .bind(o.name)
    .bind(o.description)
    .bind(o.command)
    .bind(i64::from(o.needs_approval))
    .bind(i64::from(o.default_days))
    .bind(i64::from(o.extension_days))
    .bind(i64::from(o.max_extensions))
    .bind(i64::from(o.idle_stop_minutes))
    .bind(i64::from(o.retired))
    .fetch_one(&mut *conn)
    .await?;
    for s in o.sizes {
        add_size(conn, id, s).await?;
    }
    Ok(id)
}

/// The policy fields an operator changes on an existing offering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub needs_approval: bool,
    pub default_days: u32,
    pub extension_days: u32,
    pub max_extensions: u32,
    pub idle_stop_minutes: u32,
    pub retired: bool,
}

impl Policy {
    pub fn of(o: &Offering) -> Policy {
        Policy {
            needs_approval: o.needs_approval,
            default_days: o.default_days,
            extension_days: o.extension_days,
            max_extensions: o.max_extensions,
            idle_stop_minutes: o.idle_stop_minutes,
            retired: o.retired,
        }
    }

    /// The policy in words, for the audit trail.
    pub fn describe(&self) -> String {
        format!(
            "{}; {}; lifetime {} days; extensions {} x {} days; idle stop {}",
            if self.retired { "retired" } else { "offered" },
            if self.needs_approval {
                "always needs approval"
            } else {
                "approved within quota"
            },
            self.default_days,
            self.max_extensions,
            self.extension_days,
            if self.idle_stop_minutes == 0 {
                "never".to_owned()
            } else {
                format!("after {} minutes", self.idle_stop_minutes)
            }
        )
    }
}

pub async fn update_policy(
    conn: &mut AnyConnection,
    id: i64,
    p: &Policy,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE offerings SET needs_approval = $1, default_days = $2, extension_days = $3, \
         max_extensions = $4, idle_stop_minutes = $5, retired = $6 WHERE id = $7",
    )
    .bind(i64::from(p.needs_approval))
    .bind(i64::from(p.default_days))
    .bind(i64::from(p.extension_days))
    .bind(i64::from(p.max_extensions))
    .bind(i64::from(p.idle_stop_minutes))
    .bind(i64::from(p.retired))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds a size; a code the offering already has is a unique violation.
pub async fn add_size(
    conn: &mut AnyConnection,
    offering_id: i64,
    s: &Size,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO offering_sizes (offering_id, code, label, cpu_cores, ram_gb, gpus, storage_gb) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(offering_id)
    .bind(&s.code)
    .bind(&s.label)
    .bind(i64::from(s.cpu_cores))
    .bind(i64::from(s.ram_gb))
    .bind(i64::from(s.gpus))
    .bind(i64::from(s.storage_gb))
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Removes a size. Resources of that size keep theirs: a resource records its own amounts.
pub async fn remove_size(
    conn: &mut AnyConnection,
    offering_id: i64,
    code: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM offering_sizes WHERE offering_id = $1 AND code = $2")
        .bind(offering_id)
        .bind(code)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

fn offering_from_row(r: &sqlx::any::AnyRow) -> Result<Offering, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Offering {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        kind: Kind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {kind}").into()))?,
        tool: r.try_get("tool")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        command: r.try_get("command")?,
        needs_approval: r.try_get::<i64, _>("needs_approval")? != 0,
        default_days: get_u32(r, "default_days")?,
        extension_days: get_u32(r, "extension_days")?,
        max_extensions: get_u32(r, "max_extensions")?,
        idle_stop_minutes: get_u32(r, "idle_stop_minutes")?,
        retired: r.try_get::<i64, _>("retired")? != 0,
        unavailable: r.try_get("unavailable")?,
        sizes: Vec::new(),
    })
}

const OFFERING_SELECT: &str = "SELECT id, slug, kind, tool, name, description, command, \
     needs_approval, default_days, extension_days, max_extensions, idle_stop_minutes, retired, \
     unavailable FROM offerings";

async fn with_sizes(db: &Db, mut list: Vec<Offering>) -> Result<Vec<Offering>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT offering_id, code, label, cpu_cores, ram_gb, gpus, storage_gb FROM offering_sizes \
         ORDER BY offering_id, cpu_cores, ram_gb, gpus, storage_gb, id",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        let oid: i64 = r.try_get("offering_id")?;
        if let Some(o) = list.iter_mut().find(|o| o.id == oid) {
            o.sizes.push(Size {
                code: r.try_get("code")?,
                label: r.try_get("label")?,
                cpu_cores: get_u32(r, "cpu_cores")?,
                ram_gb: get_u32(r, "ram_gb")?,
                gpus: get_u32(r, "gpus")?,
                storage_gb: get_u32(r, "storage_gb")?,
            });
        }
    }
    Ok(list)
}

/// Every offering, retired ones included, in catalogue order.
pub async fn list(db: &Db) -> Result<Vec<Offering>, sqlx::Error> {
    let sql = format!("{OFFERING_SELECT} ORDER BY kind DESC, name");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    let list = rows
        .iter()
        .map(offering_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    with_sizes(db, list).await
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Offering>, sqlx::Error> {
    let sql = format!("{OFFERING_SELECT} WHERE id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await? else {
        return Ok(None);
    };
    let o = offering_from_row(&row)?;
    Ok(with_sizes(db, vec![o]).await?.pop())
}

/// Records whether an offering's program can be started here (empty: it can).
pub async fn set_unavailable(db: &Db, id: i64, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE offerings SET unavailable = $1 WHERE id = $2 AND unavailable <> $1")
        .bind(reason)
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}
