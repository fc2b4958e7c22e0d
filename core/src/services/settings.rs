//! What operators set: each offering's policy (approval, lifetime, renewal, idle stop, retired)
//! and each project's quota. Every change is audited with its before and after, in the same
//! transaction.

use super::audit_context;
use super::resources::{project_object, quota_use, QuotaUse};
use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::domain::numbers::whole_number;
use crate::error::is_unique_violation;
use crate::error::{CoreError, FieldErrors};
use crate::requests::kind::{Kind, DATABASE_TOOL};
use crate::requests::quota::{Amounts, Resource as QuotaResource};
use crate::requests::template::{Programs, Template, TemplateError};
use crate::store::catalogue::{self, NewOffering, Offering, Policy, Size};
use crate::store::{audit, quotas, resources};
use serde::{Deserialize, Serialize};

/// Longest default lifetime: two years, the longest project the Campus runs.
pub const MAX_DEFAULT_DAYS: u32 = 730;
pub const MAX_EXTENSION_DAYS: u32 = 365;
pub const MAX_EXTENSIONS: u32 = 20;
/// Idle stop after at most a week; 0 means never.
pub const MAX_IDLE_STOP_MINUTES: u32 = 7 * 24 * 60;

/// What an operator typed into an offering's policy form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyInput {
    pub needs_approval: bool,
    pub default_days: String,
    pub extension_days: String,
    pub max_extensions: String,
    pub idle_stop_minutes: String,
    pub retired: bool,
}

fn default_days(raw: &str) -> Result<u32, String> {
    whole_number(raw, "the usual lifetime in days", 1, MAX_DEFAULT_DAYS)
}

/// Checks every field and the one rule across them: extensions need a length.
pub fn parse_policy(input: &PolicyInput) -> Result<Policy, FieldErrors> {
    let mut errors = FieldErrors::new();
    let default_days = errors.check("default_days", default_days(&input.default_days));
    let extension_days = errors.check(
        "extension_days",
        whole_number(
            &input.extension_days,
            "the days each extension adds",
            0,
            MAX_EXTENSION_DAYS,
        ),
    );
    let max_extensions = errors.check(
        "max_extensions",
        whole_number(
            &input.max_extensions,
            "how many times it can be extended",
            0,
            MAX_EXTENSIONS,
        ),
    );
    // Checked before the next field, so the messages stay in the order of the form.
    if let (Some(0), Some(n)) = (extension_days, max_extensions) {
        if n > 0 {
            errors.add(
                "extension_days",
                "Enter the days each extension adds, or set the number of extensions to 0",
            );
        }
    }
    let idle_stop_minutes = errors.check(
        "idle_stop_minutes",
        whole_number(
            &input.idle_stop_minutes,
            "the idle minutes before a stop (0 for never)",
            0,
            MAX_IDLE_STOP_MINUTES,
        ),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Policy {
        needs_approval: input.needs_approval,
        default_days: default_days.unwrap_or_default(),
        extension_days: extension_days.unwrap_or_default(),
        max_extensions: max_extensions.unwrap_or_default(),
        idle_stop_minutes: idle_stop_minutes.unwrap_or_default(),
        retired: input.retired,
    })
}

/// Every offering, retired ones included, for the operators' catalogue page.
pub async fn offerings(db: &Db, actor: Option<&Actor>) -> Result<Vec<Offering>, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    Ok(catalogue::list(db).await?)
}

pub async fn offering(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Offering, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    catalogue::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("offering"))
}

/// Changes an offering's policy. Requests already made keep their end dates; the new policy
/// applies to new requests and to extensions from now on.
pub async fn update_policy(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &PolicyInput,
) -> Result<Offering, CoreError> {
    let before = offering(db, actor, id).await?;
    let policy = parse_policy(input).map_err(CoreError::Invalid)?;
    let mut tx = db.pool.begin().await?;
    if !catalogue::update_policy(&mut tx, id, &policy).await? {
        return Err(CoreError::NotFound("offering"));
    }
    audit::record(
        &mut tx,
        &audit::NewEntry {
            actor_id: actor.map(|a| a.user_id),
            action: "offering.policy",
            object_type: "offering",
            object_id: &id.to_string(),
            before: &Policy::of(&before).describe(),
            after: &policy.describe(),
            request_id: &audit_context::request_id(),
        },
        crate::clock::now(),
    )
    .await?;
    tx.commit().await?;
    catalogue::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("offering"))
}

/// What an operator typed for one size of an offering.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SizeInput {
    pub code: String,
    pub label: String,
    pub cpu_cores: String,
    pub ram_gb: String,
    pub gpus: String,
    pub storage_gb: String,
}

/// A size for an offering of `kind`: things that run need cores and memory; storage is space
/// alone.
pub fn parse_size(kind: Kind, input: &SizeInput) -> Result<Size, FieldErrors> {
    let mut errors = FieldErrors::new();
    let code = input.code.trim().to_lowercase();
    if code.is_empty() {
        errors.add("code", "Enter a code for the size, such as large");
    } else if code.len() > 20
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.add(
            "code",
            "The size code can be at most 20 lower-case letters, digits and hyphens",
        );
    }
    let label = input.label.trim().to_owned();
    if label.is_empty() {
        errors.add(
            "label",
            "Enter the size as people will see it, such as 8 cores, 32 GB memory",
        );
    } else if label.chars().count() > 80 {
        errors.add(
            "label",
            "The size's description can be at most 80 characters",
        );
    }
    let runs = kind.runs();
    let cpu = errors.check(
        "cpu_cores",
        whole_number(&input.cpu_cores, "the CPU cores", u32::from(runs), 512),
    );
    let ram = errors.check(
        "ram_gb",
        whole_number(&input.ram_gb, "the memory in GB", u32::from(runs), 8192),
    );
    let gpus = errors.check("gpus", whole_number(&input.gpus, "the GPUs", 0, 16));
    let storage = errors.check(
        "storage_gb",
        whole_number(
            &input.storage_gb,
            "the storage in GB",
            u32::from(!runs),
            1_000_000,
        ),
    );
    if !runs {
        for (field, value, what) in [
            ("cpu_cores", cpu, "CPU cores"),
            ("ram_gb", ram, "memory"),
            ("gpus", gpus, "GPUs"),
        ] {
            if value.is_some_and(|v| v > 0) {
                errors.add(field, format!("Storage has no {what}: enter 0"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Size {
        code,
        label,
        cpu_cores: cpu.unwrap_or_default(),
        ram_gb: ram.unwrap_or_default(),
        gpus: gpus.unwrap_or_default(),
        storage_gb: storage.unwrap_or_default(),
    })
}

fn size_audit(s: &Size) -> String {
    format!(
        "{} ({}): {} cores, {} GB memory, {} GPUs, {} GB storage",
        s.code, s.label, s.cpu_cores, s.ram_gb, s.gpus, s.storage_gb
    )
}

async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: Option<&Actor>,
    action: &str,
    id: i64,
    before: &str,
    after: &str,
) -> Result<(), CoreError> {
    Ok(audit_context::record(conn, actor, "offering", action, id, before, after).await?)
}

/// Adds a size to an offering.
pub async fn add_size(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &SizeInput,
) -> Result<Offering, CoreError> {
    let o = offering(db, actor, id).await?;
    let size = parse_size(o.kind, input).map_err(CoreError::Invalid)?;
    let mut tx = db.pool.begin().await?;
    catalogue::add_size(&mut tx, id, &size).await.map_err(|e| {
        if is_unique_violation(&e) {
            CoreError::field("code", "This offering already has a size with that code")
        } else {
            e.into()
        }
    })?;
    record(
        &mut tx,
        actor,
        "offering.size_add",
        id,
        "",
        &size_audit(&size),
    )
    .await?;
    tx.commit().await?;
    offering(db, actor, id).await
}

/// Removes a size from an offering; resources of that size keep running as they are.
pub async fn remove_size(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    code: &str,
) -> Result<Offering, CoreError> {
    let o = offering(db, actor, id).await?;
    let Some(size) = o.size(code) else {
        return Err(CoreError::NotFound("size"));
    };
    if o.sizes.len() == 1 {
        return Err(CoreError::field(
            "sizes",
            "An offering needs at least one size: add another before removing this one, or retire the offering",
        ));
    }
    let mut tx = db.pool.begin().await?;
    catalogue::remove_size(&mut tx, id, code).await?;
    record(
        &mut tx,
        actor,
        "offering.size_remove",
        id,
        &size_audit(size),
        "",
    )
    .await?;
    tx.commit().await?;
    offering(db, actor, id).await
}

/// What an operator typed to add an offering: what it is, its first size, and its lifetime.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OfferingInput {
    /// workspace, web_service, storage (a directory) or database (PostgreSQL)
    pub kind: String,
    pub name: String,
    pub description: String,
    /// Workspaces and web services: the program to run (a name on the sandbox's PATH or an
    /// absolute path) and its arguments, one per line, with placeholders (see
    /// `requests::template`).
    pub program: String,
    pub arguments: Vec<String>,
    pub needs_approval: bool,
    pub default_days: String,
    pub size: SizeInput,
}

/// The slug a name gives: lower-case words joined by hyphens.
pub fn slug_of(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Adds an offering, offered at once, with one size; extensions and idle stop start off and
/// are set on its policy page. A program that `programs` cannot find is refused with the reason.
pub async fn create_offering(
    db: &Db,
    actor: Option<&Actor>,
    input: &OfferingInput,
    programs: &Programs,
) -> Result<i64, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    let mut errors = FieldErrors::new();
    let (kind, tool) = match input.kind.trim() {
        "workspace" => (Some(Kind::Workspace), "command"),
        "web_service" => (Some(Kind::WebService), "command"),
        "storage" => (Some(Kind::Storage), "directory"),
        "database" => (Some(Kind::Storage), DATABASE_TOOL),
        _ => {
            errors.add("kind", "Choose what the offering is");
            (None, "")
        }
    };
    let name = input.name.trim();
    let slug = slug_of(name);
    if name.chars().count() < 3 || name.chars().count() > 80 || slug.is_empty() {
        errors.add(
            "name",
            "Enter a name of 3 to 80 characters, with letters or digits",
        );
    }
    let description = input.description.trim();
    if description.is_empty() {
        errors.add(
            "description",
            "Say what the offering is for, as people will read it",
        );
    } else if description.chars().count() > 500 {
        errors.add(
            "description",
            "The description can be at most 500 characters",
        );
    }
    let mut command = String::new();
    if kind.is_some_and(Kind::runs) {
        match Template::new(&input.program, input.arguments.clone()) {
            Ok(t) => match programs.find(&t.program) {
                Ok(_) => command = t.to_stored(),
                Err(why) => errors.add("program", why),
            },
            Err(e @ (TemplateError::NoProgram | TemplateError::BadProgram)) => {
                errors.add("program", e.to_string())
            }
            Err(e) => errors.add("arguments", e.to_string()),
        }
    }
    let default_days = errors.check("default_days", default_days(&input.default_days));
    let size = kind.map(|k| parse_size(k, &input.size));
    if let Some(Err(e)) = &size {
        for (f, m) in &e.0 {
            errors.add(f, m.clone());
        }
    }
    if !errors.is_empty() {
        return Err(CoreError::Invalid(errors));
    }
    let (Some(kind), Some(Ok(size)), Some(default_days)) = (kind, size, default_days) else {
        return Err(CoreError::Internal(
            "offering input checked but incomplete".into(),
        ));
    };
    let sizes = [size];
    let mut tx = db.pool.begin().await?;
    let id = catalogue::insert_in(
        &mut tx,
        NewOffering {
            slug: &slug,
            kind,
            tool,
            name,
            description,
            command: &command,
            needs_approval: input.needs_approval,
            default_days,
            extension_days: 0,
            max_extensions: 0,
            idle_stop_minutes: 0,
            retired: false,
            sizes: &sizes,
        },
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            CoreError::field("name", "An offering with this name already exists")
        } else {
            e.into()
        }
    })?;
    let after = format!("{name} ({slug}, {}, {tool})", kind.as_str());
    record(&mut tx, actor, "offering.create", id, "", &after).await?;
    tx.commit().await?;
    Ok(id)
}

/// A project's quota as its members and operators see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectQuota {
    pub project_id: i64,
    pub project_name: String,
    pub usage: QuotaUse,
    /// Whether an operator may change it.
    pub can_change: bool,
    /// Whether the actor may ask for resources for this project.
    pub can_request: bool,
}

pub async fn project_quota(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<ProjectQuota, CoreError> {
    let (project, object) = project_object(db, actor, project_id).await?;
    authz::check(actor, Action::ViewProject, object)?;
    let limit = quotas::get(db, project_id).await?;
    let mut conn = db.pool.acquire().await?;
    let held = resources::allocations(&mut conn, Some(project_id)).await?;
    Ok(ProjectQuota {
        project_id,
        project_name: project.name,
        usage: quota_use(limit, &held),
        can_change: authz::check(actor, Action::Operate, Object::Portal).is_ok(),
        can_request: authz::check(actor, Action::RequestResource, object).is_ok(),
    })
}

/// What an operator typed into a project's quota form, by [`QuotaResource::key`].
pub type QuotaInput = std::collections::BTreeMap<String, String>;

pub fn parse_quota(input: &QuotaInput) -> Result<Amounts, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut limit = Amounts::default();
    for r in QuotaResource::ALL {
        let raw = input.get(r.key()).map(String::as_str).unwrap_or("");
        let what = format!("the limit for {}", r.label());
        if let Some(v) = errors.check(r.key(), whole_number(raw, &what, 0, r.max_limit())) {
            limit.set(r, v);
        }
    }
    if errors.is_empty() {
        Ok(limit)
    } else {
        Err(errors)
    }
}

/// Sets a project's quota. A limit below what the project holds now is allowed (nothing running
/// is taken away); it only stops new requests being approved without an operator.
pub async fn set_quota(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    input: &QuotaInput,
) -> Result<ProjectQuota, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    project_object(db, actor, project_id).await?;
    let limit = parse_quota(input).map_err(CoreError::Invalid)?;
    let before = quotas::get(db, project_id).await?;
    let mut tx = db.pool.begin().await?;
    quotas::set(&mut tx, project_id, &limit).await?;
    audit::record(
        &mut tx,
        &audit::NewEntry {
            actor_id: actor.map(|a| a.user_id),
            action: "project.quota",
            object_type: "project",
            object_id: &project_id.to_string(),
            before: &before.describe(),
            after: &limit.describe(),
            request_id: &audit_context::request_id(),
        },
        crate::clock::now(),
    )
    .await?;
    tx.commit().await?;
    project_quota(db, actor, project_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(d: &str, e: &str, m: &str, i: &str) -> PolicyInput {
        PolicyInput {
            needs_approval: true,
            default_days: d.into(),
            extension_days: e.into(),
            max_extensions: m.into(),
            idle_stop_minutes: i.into(),
            retired: false,
        }
    }

    fn size(code: &str, cpu: &str, ram: &str, gpus: &str, storage: &str) -> SizeInput {
        SizeInput {
            code: code.into(),
            label: "A size".into(),
            cpu_cores: cpu.into(),
            ram_gb: ram.into(),
            gpus: gpus.into(),
            storage_gb: storage.into(),
        }
    }

    #[test]
    fn sizes_that_run_need_cores_and_memory_and_storage_is_space_alone() {
        let s = parse_size(Kind::Workspace, &size(" XL ", "16", "128", "2", "100")).unwrap();
        assert_eq!((s.code.as_str(), s.cpu_cores, s.gpus), ("xl", 16, 2));
        let e = parse_size(Kind::WebService, &size("tiny", "0", "0", "0", "0")).unwrap_err();
        assert_eq!(
            e.get("cpu_cores"),
            Some("Enter the CPU cores as a whole number from 1 to 512")
        );
        assert!(e.get("ram_gb").is_some() && e.get("storage_gb").is_none());
        let e = parse_size(Kind::Storage, &size("1tb", "2", "0", "0", "1000")).unwrap_err();
        assert_eq!(
            e.get("cpu_cores"),
            Some("Storage has no CPU cores: enter 0")
        );
        assert!(parse_size(Kind::Storage, &size("1tb", "0", "0", "0", "1000")).is_ok());
        let e = parse_size(Kind::Storage, &size("big one", "0", "0", "0", "0")).unwrap_err();
        assert!(e.get("code").unwrap().contains("lower-case letters"));
        assert!(e.get("storage_gb").is_some());
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(slug_of("  Shiny  app (R) 2 "), "shiny-app-r-2");
        assert_eq!(slug_of("!!!"), "");
    }

    #[test]
    fn a_whole_policy_parses() {
        let p = parse_policy(&input("30", "14", "2", "120")).unwrap();
        assert_eq!(
            (
                p.default_days,
                p.extension_days,
                p.max_extensions,
                p.idle_stop_minutes
            ),
            (30, 14, 2, 120)
        );
        assert!(p.needs_approval && !p.retired);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let e = parse_policy(&input("0", "x", "21", "")).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "default_days",
                "extension_days",
                "max_extensions",
                "idle_stop_minutes"
            ]
        );
        assert_eq!(
            e.get("idle_stop_minutes"),
            Some("Enter the idle minutes before a stop (0 for never)")
        );
    }

    #[test]
    fn extensions_without_a_length_are_refused_but_none_at_all_is_fine() {
        let e = parse_policy(&input("30", "0", "2", "0")).unwrap_err();
        assert!(e
            .get("extension_days")
            .unwrap()
            .contains("or set the number"));
        assert!(parse_policy(&input("30", "0", "0", "0")).is_ok());
    }

    #[test]
    fn a_quota_needs_every_limit_and_keeps_them_in_place() {
        let mut q: QuotaInput = QuotaResource::ALL
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key().to_owned(), i.to_string()))
            .collect();
        let a = parse_quota(&q).unwrap();
        assert_eq!((a.cpu_cores, a.web_services), (0, 6));
        q.insert("workspaces".into(), "1001".into());
        q.remove("gpus");
        let e = parse_quota(&q).unwrap_err();
        assert_eq!(e.get("gpus"), Some("Enter the limit for GPUs"));
        assert_eq!(
            e.get("workspaces"),
            Some("Enter the limit for workspaces as a whole number from 0 to 1000")
        );
    }
}
