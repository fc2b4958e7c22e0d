//! Reading the catalogue, requests and resources, for staff and operators.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizeOption {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferingCard {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub needs_approval: bool,
    pub lifetime: String,
    pub sizes: Vec<SizeOption>,
    /// (value, label) of who may open it.
    pub visibilities: Vec<(String, String)>,
    /// Why it cannot be started here now, if it cannot.
    pub unavailable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub offerings: Vec<OfferingCard>,
    /// Projects the person may request for: (id, name).
    pub projects: Vec<(i64, String)>,
}

/// One line of a quota or capacity table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gauge {
    pub label: String,
    pub used: u32,
    pub limit: u32,
    /// "fine", "warning" (75 %), "critical" (95 %) or "over".
    pub level: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    pub project_id: i64,
    pub project_name: String,
    pub project_end_date: String,
    pub offerings: Vec<OfferingCard>,
    pub quota: Vec<Gauge>,
    pub capacity: Vec<Gauge>,
    pub sites: Vec<SiteRow>,
    /// Per offering that runs: the largest of its sizes one host could take now, in words.
    pub largest: Vec<(i64, String)>,
}

/// One data centre's free room, as the request form's table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRow {
    pub code: String,
    pub name: String,
    pub hosts: u32,
    pub cores: u32,
    pub ram_gb: u32,
    pub gpus: u32,
    /// "32 cores, 256 GB, 0 GPUs": the most one host there has free of each.
    pub most_on_one: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRow {
    pub id: i64,
    pub name: String,
    pub offering: String,
    pub size: String,
    pub project: String,
    pub requester: String,
    pub state: String,
    pub state_label: String,
    pub end_date: String,
    pub reason: String,
    pub placement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub label: String,
    pub actor: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub row: ResourceRow,
    pub project_id: i64,
    pub kind: String,
    pub purpose: String,
    pub visibility: String,
    pub amounts: String,
    /// Storage: how much it holds, when last measured.
    pub used: Option<String>,
    pub steps: Vec<Step>,
    /// What is being done now, in words ("Stopping"), if anything.
    pub pending: Option<String>,
    /// (action, button text)
    pub actions: Vec<(String, String)>,
    pub can_decide: bool,
    pub can_resubmit: bool,
    pub open_url: Option<String>,
    /// A project database's connection settings, for those who may use it.
    pub connection_url: Option<String>,
    pub sizes: Vec<SizeOption>,
    pub size_code: String,
    /// The host it was placed on and the data centre asked for, for those who may see it.
    pub host: Option<String>,
    /// A web service's output checks, newest first.
    pub checks: Vec<crate::api::OutputCheckRow>,
    /// Whether the person may ask for a check now (or send a new snapshot for one).
    pub may_ask_check: bool,
}

#[cfg(feature = "ssr")]
pub(crate) use convert::{free_gauges, quota_gauges, row as to_row, sentence_case};

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use campus_core::requests::kind::{resource_name, Visibility};
    use campus_core::requests::quota::Level;
    use campus_core::store::catalogue::Offering;
    use campus_core::store::resources::Resource;

    pub fn level(l: Level) -> String {
        match l {
            Level::Fine => "fine",
            Level::Warning => "warning",
            Level::Critical => "critical",
            Level::Over => "over",
        }
        .to_owned()
    }

    /// CPU, memory, GPUs and storage: how much of the hardware is taken, of its total.
    pub fn free_gauges(
        free: &campus_core::requests::capacity::Capacity,
        total: &campus_core::requests::capacity::Capacity,
    ) -> Vec<Gauge> {
        [
            ("CPU cores", free.cores, total.cores),
            ("Memory (GB)", free.ram_gb, total.ram_gb),
            ("GPUs", free.gpus, total.gpus),
            ("Storage (GB)", free.storage_gb, total.storage_gb),
        ]
        .into_iter()
        .map(|(label, free, total)| {
            let used = total.saturating_sub(free);
            Gauge {
                label: label.to_owned(),
                used,
                limit: total,
                level: level(campus_core::requests::quota::level(used, total)),
            }
        })
        .collect()
    }

    /// A project's quota, one line per resource it may hold (GPUs always, to show there are none).
    pub fn quota_gauges(q: &campus_core::services::resources::QuotaUse) -> Vec<Gauge> {
        q.levels
            .iter()
            .map(|(r, l)| Gauge {
                label: sentence_case(r.label()),
                used: q.used.get(*r),
                limit: q.limit.get(*r),
                level: level(*l),
            })
            .filter(|g| g.limit > 0 || g.used > 0 || g.label.starts_with("GPU"))
            .collect()
    }

    pub fn sentence_case(s: &str) -> String {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }

    pub fn card(o: Offering) -> OfferingCard {
        let lifetime = if o.max_extensions > 0 && o.extension_days > 0 {
            format!(
                "Usually {} days; can be extended {} times by {} days",
                o.default_days, o.max_extensions, o.extension_days
            )
        } else {
            format!("Usually {} days", o.default_days)
        };
        OfferingCard {
            unavailable: (!o.unavailable.is_empty()).then(|| o.unavailable.clone()),
            id: o.id,
            kind: o.kind.label().to_owned(),
            description: o.description,
            needs_approval: o.needs_approval,
            lifetime,
            visibilities: Visibility::allowed_for(o.kind)
                .iter()
                .map(|v| (v.as_str().to_owned(), v.label().to_owned()))
                .collect(),
            sizes: o
                .sizes
                .into_iter()
                .map(|s| SizeOption {
                    code: s.code,
                    label: s.label,
                })
                .collect(),
            name: o.name,
        }
    }

    pub fn row(r: &Resource) -> ResourceRow {
        ResourceRow {
            id: r.id,
            name: resource_name(r.id),
            offering: r.offering_name.clone(),
            size: r.size_code.clone(),
            project: r.project_name.clone(),
            requester: r.requester_name.clone(),
            state: r.state.as_str().to_owned(),
            state_label: r.state.label().to_owned(),
            end_date: r.end_date.clone(),
            reason: r.reason.clone(),
            placement: if r.external_id.is_empty() {
                String::new()
            } else {
                format!(
                    "{}: {}{}",
                    r.driver,
                    r.external_id,
                    if r.endpoint.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", r.endpoint.trim_end_matches("+prefix"))
                    }
                )
            },
        }
    }
}

#[server(prefix = "/_sf", endpoint = "get_catalogue")]
pub async fn get_catalogue() -> Result<Catalogue, AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let offerings = campus_core::services::resources::catalogue(&db, actor.as_ref()).await?;
    let mine = match &actor {
        Some(a) => campus_core::store::projects::ids_for_member(&db, a.user_id)
            .await
            .map_err(campus_core::CoreError::from)?,
        None => Default::default(),
    };
    let projects = campus_core::store::projects::list_all(&db)
        .await
        .map_err(campus_core::CoreError::from)?
        .into_iter()
        .filter(|p| {
            let object = Object::Project {
                lead_id: p.lead_id,
                actor_is_member: mine.contains(&p.id),
            };
            mine.contains(&p.id) && check(actor.as_ref(), Action::RequestResource, object).is_ok()
        })
        .map(|p| (p.id, p.name))
        .collect();
    Ok(Catalogue {
        offerings: offerings.into_iter().map(convert::card).collect(),
        projects,
    })
}

#[server(prefix = "/_sf", endpoint = "get_request_form")]
pub async fn get_request_form(project_id: i64) -> Result<RequestForm, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let c =
        campus_core::services::resources::request_context(&db, actor.as_ref(), project_id).await?;
    let quota = convert::quota_gauges(&c.quota);
    let capacity = convert::free_gauges(&c.free, &c.total);
    let sites = c
        .sites
        .iter()
        .map(|s| SiteRow {
            code: s.code.clone(),
            name: s.name.clone(),
            hosts: s.free.hosts,
            cores: s.free.cores,
            ram_gb: s.free.ram_gb,
            gpus: s.free.gpus,
            most_on_one: format!(
                "{} cores, {} GB, {} GPUs",
                s.free.most_cores_on_one_host,
                s.free.most_ram_gb_on_one_host,
                s.free.most_gpus_on_one_host
            ),
        })
        .collect();
    let largest = c
        .offerings
        .iter()
        .filter(|o| o.kind.runs())
        .map(|o| {
            let fits = c
                .largest
                .iter()
                .find(|(id, _)| *id == o.id)
                .and_then(|(_, code)| o.size(code));
            let text = match fits {
                Some(size) => format!("Largest that one host can take now: {}.", size.label),
                None => "None of its sizes fits on any one host now.".to_owned(),
            };
            (o.id, text)
        })
        .collect();
    Ok(RequestForm {
        project_id,
        project_name: c.project_name,
        project_end_date: c.project_end_date,
        offerings: c.offerings.into_iter().map(convert::card).collect(),
        quota,
        capacity,
        sites,
        largest,
    })
}

#[server(prefix = "/_sf", endpoint = "get_request")]
pub async fn get_request(id: i64) -> Result<RequestDetail, AppError> {
    use campus_core::services::resources::UserAction;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let v = campus_core::services::resources::view(&db, actor.as_ref(), id).await?;
    let r = &v.resource;
    let a = r.amounts;
    let mut parts = Vec::new();
    if a.cpu_cores > 0 {
        parts.push(format!("{} CPU cores", a.cpu_cores));
    }
    if a.ram_gb > 0 {
        parts.push(format!("{} GB memory", a.ram_gb));
    }
    if a.gpus > 0 {
        parts.push(format!(
            "{} GPU{}",
            a.gpus,
            if a.gpus == 1 { "" } else { "s" }
        ));
    }
    if a.storage_gb > 0 {
        parts.push(format!("{} GB storage", a.storage_gb));
    }
    let sizes = campus_core::store::catalogue::find(&db, r.offering_id)
        .await
        .map_err(campus_core::CoreError::from)?
        .map(|o| {
            o.sizes
                .into_iter()
                .map(|s| SizeOption {
                    code: s.code,
                    label: s.label,
                })
                .collect()
        })
        .unwrap_or_default();
    let pending = v.pending.map(|k| {
        use campus_core::store::jobs::JobKind as K;
        match k {
            K::Provision => "Being set up",
            K::Start => "Starting",
            K::Stop => "Stopping",
            K::Expire => "Stopping: its end date has passed",
            K::Destroy => "Being removed",
            K::Restart => "Restarting",
            K::Noop => "Waiting",
        }
        .to_owned()
    });
    let (checks, may_ask_check) = if r.kind == campus_core::requests::kind::Kind::WebService {
        crate::api::output_checks::checks_of(&db, actor.as_ref(), id).await?
    } else {
        (Vec::new(), false)
    };
    Ok(RequestDetail {
        checks,
        may_ask_check,
        row: convert::row(r),
        project_id: r.project_id,
        kind: r.kind.label().to_owned(),
        purpose: r.purpose.clone(),
        visibility: r.visibility.label().to_owned(),
        amounts: parts.join(", "),
        used: (r.kind == campus_core::requests::kind::Kind::Storage && r.used_measured_at > 0)
            .then(|| {
                format!(
                    "{} of {} GB (measured {})",
                    campus_core::units::bytes(r.used_bytes.max(0) as u64),
                    a.storage_gb,
                    campus_core::clock::format_utc(r.used_measured_at)
                )
            }),
        steps: v
            .events
            .iter()
            .map(|e| Step {
                at: campus_core::clock::format_utc(e.at),
                label: e.to_state.label().to_owned(),
                actor: e.actor_name.clone(),
                note: e.note.clone(),
            })
            .collect(),
        pending,
        actions: v
            .actions
            .iter()
            .map(|a| {
                let text = match a {
                    UserAction::Stop => "Stop",
                    UserAction::Start => "Start",
                    UserAction::Extend => "Extend",
                    UserAction::Retry => "Try again",
                    UserAction::Decommission => "Remove",
                };
                (a.as_str().to_owned(), text.to_owned())
            })
            .collect(),
        can_decide: v.can_decide,
        can_resubmit: v.can_resubmit,
        open_url: v.open_url.clone(),
        connection_url: v.connection_url.clone(),
        size_code: r.size_code.clone(),
        sizes,
        host: r.host.as_ref().map(|h| {
            if r.site.is_empty() {
                h.clone()
            } else {
                format!("{h} (data centre asked for: {})", r.site)
            }
        }),
    })
}

/// A page of the requests in the person's projects, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePage {
    pub rows: Vec<ResourceRow>,
    /// The request id the next (older) page continues after, if there is more.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "list_my_requests")]
pub async fn list_my_requests(after: Option<i64>) -> Result<ResourcePage, AppError> {
    use campus_core::paging::PAGE_SIZE;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let page =
        campus_core::services::resources::mine(&db, actor.as_ref(), after, PAGE_SIZE).await?;
    Ok(ResourcePage {
        rows: page.items.iter().map(convert::row).collect(),
        next: page.next,
    })
}

#[server(prefix = "/_sf", endpoint = "list_awaiting_decision")]
pub async fn list_awaiting_decision() -> Result<Vec<ResourceRow>, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let list = campus_core::services::resources::awaiting_decision(&db, actor.as_ref()).await?;
    Ok(list.iter().map(convert::row).collect())
}

#[server(prefix = "/_sf", endpoint = "list_project_resources")]
pub async fn list_project_resources(project_id: i64) -> Result<Vec<ResourceRow>, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let list =
        campus_core::services::resources::for_project(&db, actor.as_ref(), project_id).await?;
    Ok(list.iter().map(convert::row).collect())
}
