//! What operators set: each offering's policy (approval, lifetime, renewal, idle stop, retired)
//! and each project's quota. Every change is audited with its before and after, in the same
//! transaction.

use super::audit_context;
use super::resources::{project_object, quota_use, QuotaUse};
use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::domain::numbers::whole_number;
use crate::error::{CoreError, FieldErrors};
use crate::requests::quota::{Amounts, Resource as QuotaResource};
use crate::store::catalogue::{self, Offering, Policy};
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

/// Checks every field and the one rule across them: extensions need a length.
pub fn parse_policy(input: &PolicyInput) -> Result<Policy, FieldErrors> {
    let mut errors = FieldErrors::new();
    let default_days = errors.check(
        "default_days",
        whole_number(
            &input.default_days,
            "the usual lifetime in days",
            1,
            MAX_DEFAULT_DAYS,
        ),
    );
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
    authz::check(actor, Action::Operate, Object::Portal)?;
    Ok(catalogue::list(db).await?)
}

pub async fn offering(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Offering, CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
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
