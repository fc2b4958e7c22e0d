//! Requests for workspaces, storage and web services, and everything people do with them after.
//! Each state change, its job, its audit entry and its notifications commit together.

use super::audit_context;
use crate::authz::{self, Action, Actor, Denied, Object};
use crate::clock::{self, format_date, parse_date, today};
use crate::db::Db;
use crate::domain::Role;
use crate::error::{CoreError, FieldErrors};
use crate::paging::{self, Page};
use crate::requests::capacity::{self, Capacity};
use crate::requests::kind::{resource_name, Kind, Visibility};
use crate::requests::lifecycle::{transition, Event, State};
use crate::requests::placement::SiteFree;
use crate::requests::policy::{self, NeedsDecision, Route};
use crate::requests::quota::{self, Amounts, Level, Resource as QuotaResource};
use crate::requests::retry::MAX_ATTEMPTS;
use crate::store::catalogue::{self, Offering};
use crate::store::jobs::{self, JobKind};
use crate::store::resources::{self, Resource};
use crate::store::{audit, inventory, notifications, projects, quotas, users};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

/// What a person typed into the request form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RequestInput {
    pub project_id: i64,
    pub offering_id: String,
    pub size: String,
    pub end_date: String,
    pub purpose: String,
    pub visibility: String,
    /// The data centre to run it in, by code; empty for wherever there is room.
    #[serde(default)]
    pub site: String,
}

/// A data centre as the request form shows it: what its hosts have free now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteRoom {
    pub code: String,
    pub name: String,
    pub free: SiteFree,
}

/// A project's quota: its limits, what it holds, and how full each resource is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuotaUse {
    pub limit: Amounts,
    pub used: Amounts,
    pub levels: Vec<(QuotaResource, Level)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestContext {
    pub project_id: i64,
    pub project_name: String,
    pub project_end_date: String,
    pub offerings: Vec<Offering>,
    pub quota: QuotaUse,
    pub free: Capacity,
    pub total: Capacity,
    /// The end date the form starts with, per offering id.
    pub default_ends: Vec<(i64, String)>,
    pub sites: Vec<SiteRoom>,
    /// The largest size of each offering that runs that one host could take now (by size
    /// code); an offering missing here fits nowhere now.
    pub largest: Vec<(i64, String)>,
}

/// The outcome of a submitted request, for the message the person sees next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Submitted {
    AutoApproved,
    /// Waiting for an operator, with the reasons in words.
    AwaitingDecision(Vec<String>),
}

fn sum(list: impl Iterator<Item = Amounts>) -> Amounts {
    list.fold(Amounts::default(), |a, b| Amounts {
        cpu_cores: a.cpu_cores.saturating_add(b.cpu_cores),
        ram_gb: a.ram_gb.saturating_add(b.ram_gb),
        gpus: a.gpus.saturating_add(b.gpus),
        storage_gb: a.storage_gb.saturating_add(b.storage_gb),
        workspaces: a.workspaces + b.workspaces,
        datasets: a.datasets + b.datasets,
        web_services: a.web_services + b.web_services,
    })
}

pub(crate) fn quota_use(limit: Amounts, allocations: &[(Kind, State, Amounts)]) -> QuotaUse {
    let used = sum(allocations
        .iter()
        .filter(|(_, s, _)| capacity::is_allocated(*s))
        .map(|(_, _, a)| *a));
    let levels = QuotaResource::ALL
        .into_iter()
        .map(|r| (r, quota::level(used.get(r), limit.get(r))))
        .collect();
    QuotaUse {
        limit,
        used,
        levels,
    }
}

/// The hardware's total and what is free of it now: (total, free).
pub(crate) async fn free_capacity(
    conn: &mut AnyConnection,
) -> Result<(Capacity, Capacity), CoreError> {
    let hosts: Vec<_> = inventory::list_hosts(conn)
        .await?
        .iter()
        .map(|h| h.as_host())
        .collect();
    let total = capacity::total(&hosts);
    let held: Vec<Capacity> = resources::allocations(conn, None)
        .await?
        .iter()
        .map(|(k, s, a)| capacity::held_by(*k, *s, a))
        .collect();
    let engine = capacity::engine_allocated(&hosts);
    Ok((total, capacity::free(&total, &held, &engine)))
}

pub(crate) async fn project_object(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<(projects::Project, Object), CoreError> {
    let project = projects::find(db, project_id)
        .await?
        .ok_or(CoreError::NotFound("project"))?;
    let member = match actor {
        Some(a) => projects::is_member(db, project_id, a.user_id).await?,
        None => false,
    };
    let object = Object::Project {
        lead_id: project.lead_id,
        actor_is_member: member,
    };
    Ok((project, object))
}

/// Everything the request form shows beside the choice: offerings, quota use, free capacity.
pub async fn request_context(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<RequestContext, CoreError> {
    let (project, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::RequestResource, object)?;
    let limit = quotas::get(db, project_id).await?;
    let mut conn = db.pool.acquire().await?;
    let mine = resources::allocations(&mut conn, Some(project_id)).await?;
    let (total, free) = free_capacity(&mut conn).await?;
    let offerings: Vec<Offering> = catalogue::list(db)
        .await?
        .into_iter()
        .filter(|o| !o.retired)
        .collect();
    let (hosts, _) = super::placement::free_now(&mut conn, Some(project_id), None).await?;
    let by_site = crate::requests::placement::by_site(&hosts);
    let mut sites: Vec<SiteRoom> = Vec::new();
    for h in inventory::list_hosts(&mut conn).await? {
        if !sites.iter().any(|s| s.code == h.site_code) {
            sites.push(SiteRoom {
                free: by_site
                    .iter()
                    .find(|f| f.site == h.site_code)
                    .cloned()
                    .unwrap_or_else(|| SiteFree {
                        site: h.site_code.clone(),
                        ..SiteFree::default()
                    }),
                code: h.site_code,
                name: h.site_name,
            });
        }
    }
    let largest = offerings
        .iter()
        .filter(|o| o.kind.runs())
        .filter_map(|o| {
            crate::requests::placement::largest_fit(&hosts, &o.sizes, |s| s.amounts(o.kind))
                .map(|s| (o.id, s.code.clone()))
        })
        .collect();
    let project_end = parse_date(&project.end_date).unwrap_or(today());
    let default_ends = offerings
        .iter()
        .map(|o| {
            let end = policy::default_end(today(), o.default_days, project_end);
            (o.id, format_date(end))
        })
        .collect();
    Ok(RequestContext {
        project_id,
        project_name: project.name,
        project_end_date: project.end_date,
        offerings,
        quota: quota_use(limit, &mine),
        free,
        total,
        default_ends,
        sites,
        largest,
    })
}

/// The catalogue as anyone signed in sees it: offerings that can be requested now.
pub async fn catalogue(db: &Db, actor: Option<&Actor>) -> Result<Vec<Offering>, CoreError> {
    authz::check(actor, Action::ListProjects, Object::Portal)?;
    Ok(catalogue::list(db)
        .await?
        .into_iter()
        .filter(|o| !o.retired)
        .collect())
}

struct Checked {
    offering: Offering,
    size_code: String,
    amounts: Amounts,
    end_date: String,
    purpose: String,
    visibility: Visibility,
    site: String,
}

/// Parses the form against the catalogue and the project, naming every field that is wrong.
async fn check_input(
    db: &Db,
    input: &RequestInput,
    project_end: &str,
) -> Result<Checked, CoreError> {
    let mut errors = FieldErrors::new();
    let offering = match input.offering_id.trim().parse::<i64>() {
        Ok(id) => catalogue::find(db, id).await?.filter(|o| !o.retired),
        Err(_) => None,
    };
    if offering.is_none() {
        errors.add("offering_id", "Choose something from the catalogue");
    }
    if let Some(o) = offering.as_ref().filter(|o| !o.unavailable.is_empty()) {
        errors.add(
            "offering_id",
            format!("{} cannot be started here now: {}", o.name, o.unavailable),
        );
    }
    let size = offering
        .as_ref()
        .and_then(|o| o.size(input.size.trim()).cloned());
    if offering.is_some() && size.is_none() {
        errors.add("size", "Choose one of the sizes this offering comes in");
    }
    let project_end = parse_date(project_end);
    match parse_date(&input.end_date) {
        None if input.end_date.trim().is_empty() => errors.add("end_date", "Enter an end date"),
        None => errors.add("end_date", "End date must be a real date, like 2027-03-31"),
        Some(d) if d < today() => errors.add("end_date", "End date must be today or in the future"),
        Some(d) if project_end.is_some_and(|p| d > p) => errors.add(
            "end_date",
            format!(
                "End date must be on or before the project's end date, {}",
                project_end.map(format_date).unwrap_or_default()
            ),
        ),
        Some(_) => {}
    }
    let purpose = input.purpose.trim().to_owned();
    if purpose.is_empty() {
        errors.add("purpose", "Say what you will use it for");
    } else if purpose.chars().count() > 2000 {
        errors.add("purpose", "Purpose must be 2,000 characters or fewer");
    }
    let visibility = if input.visibility.trim().is_empty() {
        Some(Visibility::Private)
    } else {
        Visibility::parse(input.visibility.trim())
    };
    if let (Some(o), Some(v)) = (&offering, visibility) {
        if !Visibility::allowed_for(o.kind).contains(&v) {
            errors.add(
                "visibility",
                "Choose who may open it from the options given",
            );
        }
    } else if visibility.is_none() {
        errors.add(
            "visibility",
            "Choose who may open it from the options given",
        );
    }
    let site = input.site.trim().to_owned();
    if !site.is_empty()
        && !inventory::list_hosts(&mut *db.pool.acquire().await?)
            .await?
            .iter()
            .any(|h| h.site_code == site)
    {
        errors.add(
            "site",
            "Choose one of the data centres listed, or leave it to the portal",
        );
    }
    errors.into_result()?;
    let offering = offering.expect("checked above");
    let size = size.expect("checked above");
    Ok(Checked {
        amounts: size.amounts(offering.kind),
        size_code: size.code,
        offering,
        end_date: format_date(parse_date(&input.end_date).expect("checked above")),
        purpose,
        visibility: visibility.expect("checked above"),
        site,
    })
}

fn audit_entry<'a>(
    actor: Option<&Actor>,
    action: &'a str,
    object_id: &'a str,
    before: &'a str,
    after: &'a str,
    request_id: &'a str,
) -> audit::NewEntry<'a> {
    audit::NewEntry {
        actor_id: actor.map(|a| a.user_id),
        action,
        object_type: "resource",
        object_id,
        before,
        after,
        request_id,
    }
}

/// Submits a request: approved at once when within quota and policy, otherwise to an operator.
/// Refused outright, with the numbers, when the hardware has no room for it.
pub async fn submit(
    db: &Db,
    actor: Option<&Actor>,
    input: &RequestInput,
) -> Result<(i64, Submitted), CoreError> {
    let (project, object) = project_object(db, actor, input.project_id).await?;
    authz::check(actor, Action::RequestResource, object)?;
    let c = check_input(db, input, &project.end_date).await?;
    place(db, actor, &project, &c, None).await
}

/// A request made for `requester` by the portal itself: a training session's sandbox for one
/// attendee. The session's trainer was authorised when booking it, and attendees need not be
/// staff, so the requester's own right to ask is not checked; everything else is, as in
/// [`submit`]: the input, the hardware's room, the project's quota and the routing.
pub(crate) async fn request_for(
    db: &Db,
    requester: &Actor,
    input: &RequestInput,
) -> Result<(i64, Submitted), CoreError> {
    let (project, _) = project_object(db, Some(requester), input.project_id).await?;
    let c = check_input(db, input, &project.end_date).await?;
    place(db, Some(requester), &project, &c, None).await
}

/// Sends a request back after an operator asked for changes, with a new size, end date, purpose
/// or visibility; it is checked and routed again exactly like a new one.
pub async fn resubmit(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &RequestInput,
) -> Result<Submitted, CoreError> {
    let (r, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::ReviseRequest, object)?;
    if r.state != State::ChangesRequested {
        return Err(CoreError::field(
            "decision",
            "Only a request sent back for changes can be resubmitted",
        ));
    }
    let project = projects::find(db, r.project_id)
        .await?
        .ok_or(CoreError::NotFound("project"))?;
    let mut input = input.clone();
    input.offering_id = r.offering_id.to_string();
    // A resubmission that names no data centre keeps the one first asked for.
    if input.site.trim().is_empty() {
        input.site = r.site.clone();
    }
    let c = check_input(db, &input, &project.end_date).await?;
    Ok(place(db, actor, &project, &c, Some(&r)).await?.1)
}

async fn place(
    db: &Db,
    actor: Option<&Actor>,
    project: &projects::Project,
    c: &Checked,
    existing: Option<&Resource>,
) -> Result<(i64, Submitted), CoreError> {
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let limit = quotas::get(db, project.id).await?;
    let now = clock::now();
    let request_id = audit_context::request_id();

    let mut tx = db.pool.begin().await?;
    resources::lock_project(&mut tx, project.id).await?;
    let host = super::placement::choose(
        db,
        &mut tx,
        project.id,
        c.offering.kind,
        &c.amounts,
        &c.site,
        existing.map(|r| r.id),
    )
    .await?
    .map_err(|why| {
        CoreError::field(
            "size",
            format!("There is not enough room: {why} Choose a smaller size or try later."),
        )
    })?;
    let mine = resources::allocations(&mut tx, Some(project.id)).await?;
    let used = quota_use(limit, &mine).used;
    let route = policy::route(
        c.offering.needs_approval,
        quota::check(&limit, &used, &c.amounts).map(|_| ()),
    );
    let details = resources::RequestDetails {
        size_code: &c.size_code,
        amounts: c.amounts,
        end_date: &c.end_date,
        purpose: &c.purpose,
        visibility: c.visibility,
        site: &c.site,
    };
    let (id, action) = match existing {
        None => (
            resources::insert(&mut tx, project.id, c.offering.id, me, &details, now).await?,
            "request.submit",
        ),
        Some(r) => {
            resources::update_details(&mut tx, r.id, &details).await?;
            if !resources::transition(
                &mut tx,
                r.id,
                State::ChangesRequested,
                State::Submitted,
                Some(me),
                "Resubmitted with changes",
                now,
            )
            .await?
            {
                return Err(CoreError::field(
                    "decision",
                    "This request changed while you edited it; reload and try again",
                ));
            }
            (r.id, "request.resubmit")
        }
    };
    super::placement::Chosen::record(host.as_ref(), &mut tx, id).await?;
    crate::store::search::put(
        &mut tx,
        &crate::store::search::Document {
            kind: crate::store::search::Kind::Request,
            ref_id: id,
            audience: crate::store::search::Audience::Project(project.id),
            title: &format!("{} for {}", c.offering.name, project.name),
            body: &c.purpose,
            url: &format!("/requests/{id}"),
        },
        now,
    )
    .await?;
    let sid = id.to_string();
    let after = serde_json::json!({
        "project": project.id, "offering": c.offering.slug, "size": c.size_code,
        "end_date": c.end_date, "visibility": c.visibility.as_str(),
    })
    .to_string();
    let before = existing
        .map(|r| {
            serde_json::json!({
                "size": r.size_code, "end_date": r.end_date, "visibility": r.visibility.as_str(),
            })
            .to_string()
        })
        .unwrap_or_default();
    audit::record(
        &mut tx,
        &audit_entry(actor, action, &sid, &before, &after, &request_id),
        now,
    )
    .await?;
    let outcome = match route {
        Route::AutoApprove => {
            resources::transition(
                &mut tx,
                id,
                State::Submitted,
                State::Approved,
                None,
                "Approved automatically: within the project's quota and the offering's policy",
                now,
            )
            .await?;
            jobs::enqueue(&mut tx, JobKind::Provision, id, MAX_ATTEMPTS, now * 1000).await?;
            audit::record(
                &mut tx,
                &audit_entry(
                    None,
                    "request.auto_approve",
                    &sid,
                    "submitted",
                    "approved",
                    &request_id,
                ),
                now,
            )
            .await?;
            Submitted::AutoApproved
        }
        Route::Operator(why) => {
            let reasons: Vec<String> = why
                .iter()
                .flat_map(|w| match w {
                    NeedsDecision::OfferingNeedsApproval => vec![format!(
                        "{} always needs an operator's approval",
                        c.offering.name
                    )],
                    NeedsDecision::OverQuota(over) => over.iter().map(|o| o.to_string()).collect(),
                })
                .collect();
            let who = actor_name(db, me).await;
            for op in users::ids_with_role(&mut tx, Role::Operator).await? {
                if op != me {
                    notifications::insert(
                        &mut tx,
                        op,
                        &format!("A request for {} needs a decision", c.offering.name),
                        &format!(
                            "{who} asked for {} ({}) for {}: {}.",
                            c.offering.name,
                            c.size_code,
                            project.name,
                            reasons.join("; ")
                        ),
                        &format!("/requests/{id}"),
                        now,
                    )
                    .await?;
                }
            }
            Submitted::AwaitingDecision(reasons)
        }
    };
    tx.commit().await?;
    Ok((id, outcome))
}

async fn actor_name(db: &Db, id: i64) -> String {
    users::find(db, id)
        .await
        .ok()
        .flatten()
        .map(|u| u.display_name)
        .unwrap_or_else(|| "Someone".to_owned())
}

pub(crate) async fn resource_object(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
) -> Result<(Resource, Object), CoreError> {
    let r = resources::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("request"))?;
    let member = match actor {
        Some(a) => projects::is_member(db, r.project_id, a.user_id).await?,
        None => false,
    };
    let object = Object::Resource {
        requester_id: r.requester_id,
        project_lead_id: r.project_lead_id,
        actor_is_member: member,
        visibility: r.visibility,
    };
    Ok((r, object))
}

/// May `actor` reach this resource through the proxy? Used by the proxy on every request.
pub async fn authorise_use(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Resource, CoreError> {
    let (r, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::UseResource, object)?;
    Ok(r)
}

/// Permission to receive a running project database's connection settings (which hold its
/// password): the same check as opening a workspace, and each hand-out is audited.
pub async fn database_access(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
) -> Result<Resource, CoreError> {
    let r = authorise_use(db, actor, id).await?;
    if r.kind != Kind::Storage || r.tool != crate::requests::kind::DATABASE_TOOL {
        return Err(CoreError::NotFound("project database"));
    }
    if r.state != State::Active {
        return Err(CoreError::field(
            "connection",
            format!(
                "The database is not ready: it is {}",
                r.state.label().to_lowercase()
            ),
        ));
    }
    let mut conn = db.pool.acquire().await?;
    let request_id = audit_context::request_id();
    audit::record(
        &mut conn,
        &audit_entry(
            actor,
            "database.connection",
            &r.id.to_string(),
            "",
            "connection settings downloaded",
            &request_id,
        ),
        clock::now(),
    )
    .await?;
    Ok(r)
}

/// Records a proxy refusal in the audit trail.
pub async fn record_proxy_denial(
    db: &Db,
    actor: Option<&Actor>,
    resource: &str,
    why: &str,
) -> Result<(), CoreError> {
    let mut conn = db.pool.acquire().await?;
    let request_id = audit_context::request_id();
    audit::record(
        &mut conn,
        &audit_entry(actor, "proxy.deny", resource, "", why, &request_id),
        clock::now(),
    )
    .await?;
    Ok(())
}

/// What someone may do to a resource now, for its page and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAction {
    Stop,
    Start,
    Extend,
    Retry,
    Decommission,
}

impl UserAction {
    pub const ALL: [UserAction; 5] = [
        UserAction::Stop,
        UserAction::Start,
        UserAction::Extend,
        UserAction::Retry,
        UserAction::Decommission,
    ];
    pub fn parse(s: &str) -> Option<UserAction> {
        match s {
            "stop" => Some(UserAction::Stop),
            "start" => Some(UserAction::Start),
            "extend" => Some(UserAction::Extend),
            "retry" => Some(UserAction::Retry),
            "decommission" => Some(UserAction::Decommission),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            UserAction::Stop => "stop",
            UserAction::Start => "start",
            UserAction::Extend => "extend",
            UserAction::Retry => "retry",
            UserAction::Decommission => "decommission",
        }
    }
    fn applies(self, kind: Kind, state: State) -> bool {
        match self {
            UserAction::Stop => kind.runs() && state == State::Active,
            UserAction::Start => kind.runs() && state == State::Stopped,
            UserAction::Extend => matches!(state, State::Active | State::Stopped | State::Expiring),
            UserAction::Retry => state == State::Failed,
            UserAction::Decommission => transition(state, &Event::Decommission).is_ok(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceView {
    pub resource: Resource,
    pub name: String,
    pub events: Vec<resources::Event>,
    /// The change being made now, if any ("stop", "provision", …).
    pub pending: Option<JobKind>,
    pub actions: Vec<UserAction>,
    pub can_decide: bool,
    /// Sent back for changes, and the actor may send it again.
    pub can_resubmit: bool,
    /// Where to open it, when it runs and the viewer may reach it.
    pub open_url: Option<String>,
    /// Where to download a project database's connection settings, for those who may use it.
    pub connection_url: Option<String>,
}

pub async fn view(db: &Db, actor: Option<&Actor>, id: i64) -> Result<ResourceView, CoreError> {
    let (r, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::ViewResource, object)?;
    let pending = jobs::pending_for(db, id).await?.map(|j| j.kind);
    let may_operate = authz::check(actor, Action::OperateResource, object).is_ok();
    let can_resubmit = r.state == State::ChangesRequested
        && authz::check(actor, Action::ReviseRequest, object).is_ok();
    let actions = if may_operate && pending.is_none() {
        UserAction::ALL
            .into_iter()
            .filter(|a| a.applies(r.kind, r.state))
            .collect()
    } else {
        Vec::new()
    };
    let can_decide = r.state == State::Submitted
        && authz::check(actor, Action::DecideRequest, object).is_ok()
        && actor.map(|a| a.user_id) != Some(r.requester_id);
    let name = resource_name(r.id);
    let open_url = match (r.kind.proxy_prefix(), r.state) {
        (Some(prefix), State::Active)
            if authz::check(actor, Action::UseResource, object).is_ok() =>
        {
            Some(format!("{prefix}{name}/"))
        }
        _ => None,
    };
    let connection_url = (r.kind == Kind::Storage
        && r.tool == crate::requests::kind::DATABASE_TOOL
        && r.state == State::Active
        && authz::check(actor, Action::UseResource, object).is_ok())
    .then(|| format!("/requests/{}/connection", r.id));
    Ok(ResourceView {
        events: resources::events(db, id).await?,
        resource: r,
        name,
        pending,
        actions,
        can_decide,
        can_resubmit,
        open_url,
        connection_url,
    })
}

/// Permission to follow one resource's progress, checked once when the watch starts: the
/// live-progress stream then polls [`ProgressWatch::marker`] with one query, not a fresh check.
pub struct ProgressWatch {
    id: i64,
}

impl ProgressWatch {
    /// Changes whenever a step is recorded or a job starts or ends.
    pub async fn marker(&self, db: &Db) -> Result<i64, CoreError> {
        Ok(resources::progress_marker(db, self.id).await?)
    }
}

pub async fn watch(db: &Db, actor: Option<&Actor>, id: i64) -> Result<ProgressWatch, CoreError> {
    let (_, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::ViewResource, object)?;
    Ok(ProgressWatch { id })
}

/// A page of everything in the actor's projects, newest first, older than `before`.
pub async fn mine(
    db: &Db,
    actor: Option<&Actor>,
    before: Option<i64>,
    size: usize,
) -> Result<Page<Resource>, CoreError> {
    let actor = actor.ok_or(Denied::NotSignedIn)?;
    let rows = resources::for_member(db, actor.user_id, before, paging::fetch_limit(size)).await?;
    Ok(Page::from_rows(rows, size, |r| r.id))
}

/// Requests waiting for an operator.
pub async fn awaiting_decision(db: &Db, actor: Option<&Actor>) -> Result<Vec<Resource>, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    Ok(resources::in_states(db, &[State::Submitted]).await?)
}

/// An operator's decision on a submitted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
    RequestChanges { comment: String },
}

pub async fn decide(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    decision: Decision,
) -> Result<State, CoreError> {
    let (r, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::DecideRequest, object)?;
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let now = clock::now();
    let request_id = audit_context::request_id();
    let (event, note, field) = match &decision {
        Decision::Approve => (Event::Approve, String::new(), "decision"),
        Decision::Reject { reason } => (
            Event::Reject {
                reason: reason.trim().to_owned(),
            },
            reason.trim().to_owned(),
            "reason",
        ),
        Decision::RequestChanges { comment } => (
            Event::RequestChanges {
                comment: comment.trim().to_owned(),
            },
            comment.trim().to_owned(),
            "reason",
        ),
    };
    let to = transition(r.state, &event).map_err(|e| match e {
        crate::requests::lifecycle::Refusal::ReasonRequired => {
            CoreError::field(field, "Give a reason: the person who asked will read it")
        }
        other => CoreError::field(
            "decision",
            format!("This request cannot be decided now: {other}"),
        ),
    })?;
    let mut tx = db.pool.begin().await?;
    resources::lock_project(&mut tx, r.project_id).await?;
    if decision == Decision::Approve {
        let room = super::placement::choose(
            db,
            &mut tx,
            r.project_id,
            r.kind,
            &r.amounts,
            &r.site,
            Some(r.id),
        )
        .await?;
        policy::may_approve(
            me,
            r.requester_id,
            room.as_ref().map(|_| ()).map_err(Clone::clone),
        )
        .map_err(|e| CoreError::field("decision", e.to_string()))?;
        super::placement::Chosen::record(room.ok().flatten().as_ref(), &mut tx, id).await?;
    } else if me == r.requester_id {
        return Err(CoreError::field(
            "decision",
            policy::DecisionRefused::OwnRequest.to_string(),
        ));
    }
    if !resources::transition(&mut tx, id, r.state, to, Some(me), &note, now).await? {
        return Err(CoreError::field(
            "decision",
            "Someone else has just decided this request; reload to see what they did",
        ));
    }
    if to == State::Approved {
        jobs::enqueue(&mut tx, JobKind::Provision, id, MAX_ATTEMPTS, now * 1000).await?;
    }
    let sid = id.to_string();
    let action = match to {
        State::Approved => "request.approve",
        State::Rejected => "request.reject",
        _ => "request.request_changes",
    };
    audit::record(
        &mut tx,
        &audit_entry(
            actor,
            action,
            &sid,
            r.state.as_str(),
            &format!(
                "{}{}{}",
                to.as_str(),
                if note.is_empty() { "" } else { ": " },
                note
            ),
            &request_id,
        ),
        now,
    )
    .await?;
    let (subject, body) = match to {
        State::Approved => (
            format!("Your request for {} was approved", r.offering_name),
            "It is being set up now.".to_owned(),
        ),
        State::Rejected => (
            format!("Your request for {} was rejected", r.offering_name),
            format!("The reason given: {note}"),
        ),
        _ => (
            format!("Your request for {} needs changes", r.offering_name),
            format!("The operator asked: {note}"),
        ),
    };
    notifications::insert(
        &mut tx,
        r.requester_id,
        &subject,
        &body,
        &format!("/requests/{id}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Stop, start, extend, retry or remove: each checks the lifecycle and policy now, then hands
/// the work to the queue on the same transaction.
pub async fn act(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    action: UserAction,
) -> Result<String, CoreError> {
    let (r, object) = resource_object(db, actor, id).await?;
    authz::check(actor, Action::OperateResource, object)?;
    if !action.applies(r.kind, r.state) {
        return Err(CoreError::field(
            "action",
            format!(
                "You cannot {} it while it is {}",
                action.as_str(),
                r.state.label().to_lowercase()
            ),
        ));
    }
    let now = clock::now();
    let me = actor.map(|a| a.user_id);
    let request_id = audit_context::request_id();
    let sid = id.to_string();
    let mut tx = db.pool.begin().await?;
    resources::lock_project(&mut tx, r.project_id).await?;
    if jobs::has_pending(&mut tx, id).await? {
        return Err(CoreError::field(
            "action",
            "A change is already being made; wait for it to finish",
        ));
    }
    let message = match action {
        UserAction::Stop => {
            jobs::enqueue(&mut tx, JobKind::Stop, id, MAX_ATTEMPTS, now * 1000).await?;
            "Stopping it now.".to_owned()
        }
        UserAction::Start => {
            let host = super::placement::choose(
                db,
                &mut tx,
                r.project_id,
                r.kind,
                &r.amounts,
                &r.site,
                Some(r.id),
            )
            .await?
            .map_err(|why| CoreError::field("action", format!("It cannot start now: {why}")))?;
            super::placement::Chosen::record(host.as_ref(), &mut tx, id).await?;
            jobs::enqueue(&mut tx, JobKind::Start, id, MAX_ATTEMPTS, now * 1000).await?;
            "Starting it now.".to_owned()
        }
        UserAction::Retry => {
            resources::transition(
                &mut tx,
                id,
                State::Failed,
                State::Provisioning,
                me,
                "Retry asked for",
                now,
            )
            .await?;
            jobs::enqueue(&mut tx, JobKind::Provision, id, MAX_ATTEMPTS, now * 1000).await?;
            "Trying again.".to_owned()
        }
        UserAction::Decommission => {
            jobs::enqueue(&mut tx, JobKind::Destroy, id, MAX_ATTEMPTS, now * 1000).await?;
            "Removing it now.".to_owned()
        }
        UserAction::Extend => {
            let offering = catalogue::find(db, r.offering_id)
                .await?
                .ok_or(CoreError::NotFound("offering"))?;
            let end = parse_date(&r.end_date).unwrap_or(today());
            let project_end = parse_date(&r.project_end_date).unwrap_or(end);
            let new_end = policy::extend(
                end.max(today()),
                project_end,
                r.extensions,
                offering.extension_days,
                offering.max_extensions,
            )
            .map_err(|e| CoreError::field("action", format!("It cannot be extended: {e}")))?;
            resources::set_end_date(&mut tx, id, &format_date(new_end), r.extensions + 1).await?;
            if r.state == State::Expiring {
                resources::transition(
                    &mut tx,
                    id,
                    State::Expiring,
                    State::Stopped,
                    me,
                    &format!("Extended to {}", format_date(new_end)),
                    now,
                )
                .await?;
            }
            audit::record(
                &mut tx,
                &audit_entry(
                    actor,
                    "resource.extend",
                    &sid,
                    &r.end_date,
                    &format_date(new_end),
                    &request_id,
                ),
                now,
            )
            .await?;
            format!("Extended: it now ends on {}.", format_date(new_end))
        }
    };
    if action != UserAction::Extend {
        audit::record(
            &mut tx,
            &audit_entry(
                actor,
                &format!("resource.{}", action.as_str()),
                &sid,
                r.state.as_str(),
                "",
                &request_id,
            ),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(message)
}

/// A project's requests and resources, for its page.
pub async fn for_project(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<Vec<Resource>, CoreError> {
    let (_, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    Ok(resources::for_project(db, project_id).await?)
}
