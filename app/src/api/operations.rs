//! What operators see: capacity, what runs where, the queue's dead letters, the audit trail;
//! and everyone's notifications.

use crate::api::resources::Gauge;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostLine {
    pub site: String,
    pub name: String,
    pub cores: u32,
    pub ghz: String,
    pub ram_gb: u32,
    pub storage_gb: u32,
    pub gpus: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadJob {
    pub id: i64,
    pub kind: String,
    pub resource_id: i64,
    pub attempts: i64,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operations {
    pub summary: String,
    pub capacity: Vec<Gauge>,
    pub hosts: Vec<HostLine>,
    pub running: Vec<crate::api::resources::ResourceRow>,
    pub dead: Vec<DeadJob>,
    pub queue: Vec<(String, i64)>,
}

#[server(prefix = "/_sf", endpoint = "get_operations")]
pub async fn get_operations() -> Result<Operations, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let o = campus_core::services::operations::overview(&db, actor.as_ref()).await?;
    let sites: std::collections::BTreeSet<&str> =
        o.hosts.iter().map(|h| h.site_code.as_str()).collect();
    Ok(Operations {
        summary: format!(
            "{} GHz of CPU ({} cores), {} GB of memory, {} TB of storage and {} GPUs on {} accelerator machines, across {} hosts in {} site{}.",
            o.total.ghz,
            o.total.cores,
            o.total.ram_gb,
            o.total.storage_gb / 1000,
            o.total.gpus,
            o.total.gpu_hosts,
            o.hosts.len(),
            sites.len(),
            if sites.len() == 1 { "" } else { "s" }
        ),
        capacity: crate::api::resources::free_gauges(&o.free, &o.total),
        hosts: o
            .hosts
            .iter()
            .map(|h| HostLine {
                site: format!("{} ({})", h.site_name, h.site_code),
                name: h.name.clone(),
                cores: h.cores,
                ghz: format!("{:.1}", f64::from(h.mhz_per_core) / 1000.0),
                ram_gb: h.ram_gb,
                storage_gb: h.storage_gb,
                gpus: h.gpus,
            })
            .collect(),
        running: o.running.iter().map(crate::api::resources::to_row).collect(),
        dead: o
            .dead
            .into_iter()
            .map(|j| DeadJob {
                id: j.id,
                kind: j.kind.as_str().to_owned(),
                resource_id: j.resource_id,
                attempts: j.attempts,
                error: j.last_error,
            })
            .collect(),
        queue: o.queue,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub before: String,
    pub after: String,
    pub request_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub actor: String,
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    /// The id to continue from for the next page, if there is one.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "get_audit")]
pub async fn get_audit(q: AuditQuery) -> Result<AuditPage, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let filter = campus_core::store::audit::Filter {
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        actor: q.actor,
        before_id: q.before,
        limit: 51,
    };
    let mut list = campus_core::services::operations::audit(&db, actor.as_ref(), &filter).await?;
    let next = (list.len() > 50).then(|| list[49].id);
    list.truncate(50);
    Ok(AuditPage {
        lines: list
            .into_iter()
            .map(|e| AuditLine {
                id: e.id,
                at: campus_core::clock::format_utc(e.at),
                actor: e.actor_name.unwrap_or_else(|| "the portal".into()),
                action: e.action,
                object: format!("{} {}", e.object_type, e.object_id),
                before: e.before,
                after: e.after,
                request_id: e.request_id,
            })
            .collect(),
        next,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationLine {
    pub subject: String,
    pub body: String,
    pub link: String,
    pub at: String,
    pub read: bool,
}

/// A page of the person's notifications, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub lines: Vec<NotificationLine>,
    /// Unread notifications on every page, not only this one.
    pub unread: i64,
    /// The notification id the next (older) page continues after, if there is more.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "get_notifications")]
pub async fn get_notifications(after: Option<i64>) -> Result<NotificationPage, AppError> {
    use campus_core::paging::PAGE_SIZE;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let (page, unread) =
        campus_core::services::operations::notifications(&db, actor.as_ref(), after, PAGE_SIZE)
            .await?;
    let lines = page
        .items
        .into_iter()
        .map(|n| NotificationLine {
            subject: n.subject,
            body: n.body,
            link: n.link,
            at: campus_core::clock::format_utc(n.created_at),
            read: n.read,
        })
        .collect();
    Ok(NotificationPage {
        lines,
        unread,
        next: page.next,
    })
}
