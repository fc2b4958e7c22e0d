//! The inventory as operators keep it: hosts by data centre with their devices and what each has
//! free now; adding, editing, draining and retiring hosts and devices, each audited with its
//! before and after. The rules are in [`crate::hardware::changes`].

use super::audit_context;
use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::hardware::changes::{self, DeviceInput, HostFields, HostInput};
use crate::requests::placement::HostFree;
use crate::store::inventory::{self, DeviceRow, HostRow};
use serde::{Deserialize, Serialize};

/// One host with its devices and its free room now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostView {
    pub host: HostRow,
    pub devices: Vec<DeviceRow>,
    pub free: Option<HostFree>,
    /// Described by the cluster engine: only draining is the portal's.
    pub from_engine: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    /// (code, name) of every data centre.
    pub sites: Vec<(String, String)>,
    pub hosts: Vec<HostView>,
}

/// Everything recorded, for operators.
pub async fn overview(db: &Db, actor: Option<&Actor>) -> Result<Inventory, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    let mut conn = db.pool.acquire().await?;
    let (free, _) = super::placement::free_now(&mut conn, None, None).await?;
    let devices = inventory::devices(db, None).await?;
    let hosts = inventory::list_hosts(&mut conn)
        .await?
        .into_iter()
        .map(|h| HostView {
            devices: devices
                .iter()
                .filter(|d| d.host_id == h.id)
                .cloned()
                .collect(),
            free: free.iter().find(|f| f.name == h.name).cloned(),
            from_engine: h.site_code == changes::ENGINE_SITE,
            host: h,
        })
        .collect();
    Ok(Inventory {
        sites: inventory::list_sites(db).await?,
        hosts,
    })
}

/// One host, for its page.
pub async fn host(db: &Db, actor: Option<&Actor>, id: i64) -> Result<HostView, CoreError> {
    overview(db, actor)
        .await?
        .hosts
        .into_iter()
        .find(|h| h.host.id == id)
        .ok_or(CoreError::NotFound("host"))
}

fn describe(h: &HostFields) -> String {
    serde_json::json!({
        "site": h.site, "name": h.name, "cores": h.cores, "mhz_per_core": h.mhz_per_core,
        "ram_gb": h.ram_gb, "storage_gb": h.storage_gb,
    })
    .to_string()
}

fn fields_of(h: &HostRow) -> HostFields {
    HostFields {
        site: h.site_code.clone(),
        name: h.name.clone(),
        cores: h.cores,
        mhz_per_core: h.mhz_per_core,
        ram_gb: h.ram_gb,
        storage_gb: h.storage_gb,
    }
}

async fn site_codes(db: &Db) -> Result<Vec<String>, CoreError> {
    Ok(inventory::list_sites(db)
        .await?
        .into_iter()
        .map(|(code, _)| code)
        .collect())
}

/// Records a new host at one of the operator's own data centres.
pub async fn add_host(db: &Db, actor: Option<&Actor>, input: &HostInput) -> Result<i64, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let fields = changes::parse_host(input, &site_codes(db).await?).map_err(CoreError::Invalid)?;
    let mut tx = db.pool.begin().await?;
    if inventory::name_taken(&mut tx, &fields.name, 0).await? {
        return Err(CoreError::field(
            "name",
            format!("A host named {} is already recorded", fields.name),
        ));
    }
    let id = inventory::add_host(&mut tx, &fields).await?;
    audit_context::record(
        &mut tx,
        actor,
        "host",
        "inventory.host.add",
        id,
        "",
        &describe(&fields),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn editable(db: &Db, id: i64) -> Result<HostRow, CoreError> {
    let h = inventory::find_host(db, id)
        .await?
        .ok_or(CoreError::NotFound("host"))?;
    changes::may_edit(&h.site_code).map_err(|m| CoreError::field("host", m))?;
    Ok(h)
}

/// Changes a host's site, name or size; never below what runs on it now.
pub async fn edit_host(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &HostInput,
) -> Result<(), CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let before = editable(db, id).await?;
    let fields = changes::parse_host(input, &site_codes(db).await?).map_err(CoreError::Invalid)?;
    let mut tx = db.pool.begin().await?;
    if inventory::name_taken(&mut tx, &fields.name, id).await? {
        return Err(CoreError::field(
            "name",
            format!("A host named {} is already recorded", fields.name),
        ));
    }
    let (running, _) = inventory::running_on(&mut tx, id).await?;
    changes::holds_what_runs(&fields, &running).map_err(|m| CoreError::field("cores", m))?;
    inventory::update_host(&mut tx, id, &fields).await?;
    audit_context::record(
        &mut tx,
        actor,
        "host",
        "inventory.host.edit",
        id,
        &describe(&fields_of(&before)),
        &describe(&fields),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Drains a host (`true`: what runs there carries on, nothing new is placed or booked on it) or
/// returns it to service. Engine hosts may be drained too: the portal then places nothing there.
pub async fn drain(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    drained: bool,
) -> Result<(), CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let h = inventory::find_host(db, id)
        .await?
        .ok_or(CoreError::NotFound("host"))?;
    if h.drained == drained {
        return Ok(());
    }
    let mut tx = db.pool.begin().await?;
    inventory::set_drained(&mut tx, id, drained.then(clock::now)).await?;
    let state = |d: bool| {
        if d {
            r#"{"drained":true}"#
        } else {
            r#"{"drained":false}"#
        }
    };
    audit_context::record(
        &mut tx,
        actor,
        "host",
        if drained {
            "inventory.host.drain"
        } else {
            "inventory.host.return"
        },
        id,
        state(h.drained),
        state(drained),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes a drained host with nothing on it out of the inventory for good.
pub async fn retire_host(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let h = editable(db, id).await?;
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    let (_, running) = inventory::running_on(&mut tx, id).await?;
    let ahead = inventory::bookings_ahead(&mut tx, id, 0, now).await?;
    changes::may_retire_host(h.drained, running, ahead).map_err(|m| CoreError::field("host", m))?;
    inventory::retire_host(&mut tx, id, now).await?;
    audit_context::record(
        &mut tx,
        actor,
        "host",
        "inventory.host.retire",
        id,
        &describe(&fields_of(&h)),
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a GPU or TPU to a host the operators describe.
pub async fn add_device(
    db: &Db,
    actor: Option<&Actor>,
    host_id: i64,
    input: &DeviceInput,
) -> Result<i64, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    editable(db, host_id).await?;
    let d = changes::parse_device(input).map_err(CoreError::Invalid)?;
    let mut tx = db.pool.begin().await?;
    let id = inventory::add_device(&mut tx, host_id, &d).await?;
    let after = serde_json::json!({
        "host": host_id, "kind": d.kind, "model": d.model, "memory_gb": d.memory_gb,
    })
    .to_string();
    audit_context::record(
        &mut tx,
        actor,
        "device",
        "inventory.device.add",
        id,
        "",
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Retires a device no booking holds from now on.
pub async fn retire_device(
    db: &Db,
    actor: Option<&Actor>,
    device_id: i64,
) -> Result<i64, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let device = inventory::devices(db, None)
        .await?
        .into_iter()
        .find(|d| d.id == device_id)
        .ok_or(CoreError::NotFound("device"))?;
    editable(db, device.host_id).await?;
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    let ahead = inventory::bookings_ahead(&mut tx, device.host_id, device_id, now).await?;
    changes::may_retire_device(ahead).map_err(|m| CoreError::field("device", m))?;
    inventory::retire_device(&mut tx, device_id, device.host_id, now).await?;
    let before = serde_json::json!({
        "host": device.host_id, "kind": device.kind, "model": device.model, "slot": device.slot,
    })
    .to_string();
    audit_context::record(
        &mut tx,
        actor,
        "device",
        "inventory.device.retire",
        device_id,
        &before,
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(device.host_id)
}
