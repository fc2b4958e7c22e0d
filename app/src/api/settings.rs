//! What operators set: offering policies and project quotas, and the quota everyone in a
//! project sees.

use crate::api::resources::Gauge;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferingSettingsRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub approval: String,
    pub lifetime: String,
    pub renewal: String,
    pub idle_stop: String,
    pub sizes: String,
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeRow {
    pub code: String,
    pub label: String,
    pub cpu_cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    pub storage_gb: u32,
}

/// The policy form's starting values: the offering's policy as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferingPolicyForm {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub runs: bool,
    pub sizes: Vec<String>,
    pub size_rows: Vec<SizeRow>,
    pub needs_approval: bool,
    pub retired: bool,
    pub default_days: u32,
    pub extension_days: u32,
    pub max_extensions: u32,
    pub idle_stop_minutes: u32,
}

/// One quota limit in the operators' form: (field name, label, current limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaLimit {
    pub key: String,
    pub label: String,
    pub limit: u32,
    pub used: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectQuotaView {
    pub project_id: i64,
    pub project_name: String,
    pub gauges: Vec<Gauge>,
    pub limits: Vec<QuotaLimit>,
    pub can_change: bool,
    pub can_request: bool,
    /// Accelerator booking limits: (field, label, value), and whether they are the defaults.
    pub booking_limits: Vec<(String, String, i64)>,
    pub booking_limits_default: bool,
}

#[cfg(feature = "ssr")]
fn size_line(s: &campus_core::store::catalogue::Size) -> String {
    format!("{}: {}", s.code, s.label)
}

#[server(prefix = "/_sf", endpoint = "list_offering_settings")]
pub async fn list_offering_settings() -> Result<Vec<OfferingSettingsRow>, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let list = campus_core::services::settings::offerings(&db, actor.as_ref()).await?;
    Ok(list
        .into_iter()
        .map(|o| OfferingSettingsRow {
            id: o.id,
            kind: o.kind.label().to_owned(),
            approval: if o.needs_approval {
                "Always".into()
            } else {
                "Beyond quota".into()
            },
            lifetime: format!("{} days", o.default_days),
            renewal: if o.max_extensions == 0 || o.extension_days == 0 {
                "None".into()
            } else {
                format!("{} × {} days", o.max_extensions, o.extension_days)
            },
            idle_stop: match (o.kind.runs(), o.idle_stop_minutes) {
                (false, _) => "Does not apply".into(),
                (true, 0) => "Never".into(),
                (true, m) => format!("After {m} minutes"),
            },
            sizes: o
                .sizes
                .iter()
                .map(|s| s.code.clone())
                .collect::<Vec<_>>()
                .join(", "),
            retired: o.retired,
            name: o.name,
        })
        .collect())
}

/// Checks the actor may change the catalogue before its forms are shown.
#[server(prefix = "/_sf", endpoint = "may_manage_catalogue")]
pub async fn may_manage_catalogue() -> Result<(), AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    check(actor.as_ref(), Action::Operate, Object::Portal)
        .map_err(|d| AppError::from(campus_core::CoreError::from(d)))
}

#[server(prefix = "/_sf", endpoint = "get_offering_policy")]
pub async fn get_offering_policy(id: i64) -> Result<OfferingPolicyForm, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let o = campus_core::services::settings::offering(&db, actor.as_ref(), id).await?;
    Ok(OfferingPolicyForm {
        id: o.id,
        kind: o.kind.label().to_owned(),
        runs: o.kind.runs(),
        sizes: o.sizes.iter().map(size_line).collect(),
        size_rows: o
            .sizes
            .iter()
            .map(|s| SizeRow {
                code: s.code.clone(),
                label: s.label.clone(),
                cpu_cores: s.cpu_cores,
                ram_gb: s.ram_gb,
                gpus: s.gpus,
                storage_gb: s.storage_gb,
            })
            .collect(),
        needs_approval: o.needs_approval,
        retired: o.retired,
        default_days: o.default_days,
        extension_days: o.extension_days,
        max_extensions: o.max_extensions,
        idle_stop_minutes: o.idle_stop_minutes,
        name: o.name,
    })
}

#[server(prefix = "/_sf", endpoint = "get_project_quota")]
pub async fn get_project_quota(project_id: i64) -> Result<ProjectQuotaView, AppError> {
    use campus_core::requests::quota::Resource;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let q = campus_core::services::settings::project_quota(&db, actor.as_ref(), project_id).await?;
    let (l, booking_limits_default) =
        campus_core::services::bookings::limits(&db, actor.as_ref(), project_id).await?;
    Ok(ProjectQuotaView {
        project_id,
        project_name: q.project_name,
        gauges: crate::api::resources::quota_gauges(&q.usage),
        limits: Resource::ALL
            .into_iter()
            .map(|r| QuotaLimit {
                key: r.key().to_owned(),
                label: crate::api::resources::sentence_case(r.label()),
                limit: q.usage.limit.get(r),
                used: q.usage.used.get(r),
            })
            .collect(),
        can_change: q.can_change,
        can_request: q.can_request,
        booking_limits: vec![
            (
                "hours_per_week".into(),
                "Device-hours a week".into(),
                l.hours_per_week,
            ),
            (
                "longest_hours".into(),
                "Longest booking, in hours".into(),
                l.longest_hours,
            ),
            (
                "ahead_days".into(),
                "Days ahead a booking may start".into(),
                l.ahead_days,
            ),
        ],
        booking_limits_default,
    })
}
