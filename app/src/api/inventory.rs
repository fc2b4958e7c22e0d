//! The inventory pages' data (operators): data centres, hosts with devices and free room.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLine {
    pub id: i64,
    /// "GPU 0: NVIDIA A100 80GB (80 GB)"
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryHost {
    pub id: i64,
    pub name: String,
    pub site: String,
    pub cores: u32,
    pub mhz_per_core: u32,
    pub ram_gb: u32,
    pub storage_gb: u32,
    /// "In service", "Drained"
    pub state: String,
    pub drained: bool,
    pub from_engine: bool,
    /// "12 cores, 200 GB, 1 GPU" or "—" when drained.
    pub free: String,
    pub devices: Vec<DeviceLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryView {
    /// (code, "Data centre 1 (DC1)")
    pub sites: Vec<(String, String)>,
    pub hosts: Vec<InventoryHost>,
}

#[cfg(feature = "ssr")]
fn line(h: campus_core::services::inventory::HostView) -> InventoryHost {
    let free = match h.free.filter(|f| f.accepting) {
        Some(f) => format!("{} cores, {} GB, {} GPUs", f.cores, f.ram_gb, f.gpus),
        None => "Nothing new: drained".to_owned(),
    };
    InventoryHost {
        id: h.host.id,
        name: h.host.name,
        site: h.host.site_code,
        cores: h.host.cores,
        mhz_per_core: h.host.mhz_per_core,
        ram_gb: h.host.ram_gb,
        storage_gb: h.host.storage_gb,
        state: if h.host.drained {
            "Drained"
        } else {
            "In service"
        }
        .to_owned(),
        drained: h.host.drained,
        from_engine: h.from_engine,
        free,
        devices: h
            .devices
            .into_iter()
            .map(|d| DeviceLine {
                id: d.id,
                text: format!(
                    "{} {}: {} ({} GB)",
                    d.kind.to_uppercase(),
                    d.slot,
                    d.model,
                    d.memory_gb
                ),
            })
            .collect(),
    }
}

#[server(prefix = "/_sf", endpoint = "get_inventory")]
pub async fn get_inventory() -> Result<InventoryView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let inv = campus_core::services::inventory::overview(&db, actor.as_ref()).await?;
    Ok(InventoryView {
        sites: inv
            .sites
            .into_iter()
            .map(|(code, name)| (code.clone(), format!("{name} ({code})")))
            .collect(),
        hosts: inv.hosts.into_iter().map(line).collect(),
    })
}

#[server(prefix = "/_sf", endpoint = "get_inventory_host")]
pub async fn get_inventory_host(
    id: i64,
) -> Result<(InventoryHost, Vec<(String, String)>), AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let inv = campus_core::services::inventory::overview(&db, actor.as_ref()).await?;
    let h = inv
        .hosts
        .into_iter()
        .find(|h| h.host.id == id)
        .ok_or(campus_core::CoreError::NotFound("host"))?;
    let sites = inv
        .sites
        .into_iter()
        .filter(|(code, _)| code != campus_core::hardware::changes::ENGINE_SITE)
        .map(|(code, name)| (code.clone(), format!("{name} ({code})")))
        .collect();
    Ok((line(h), sites))
}
