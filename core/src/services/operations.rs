//! The operators' view of the platform: capacity, what runs where, the queue and the audit trail.

use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::error::CoreError;
use crate::paging::{self, Page};
use crate::requests::capacity::Capacity;
use crate::requests::lifecycle::State;
use crate::store::inventory::{self, HostRow};
use crate::store::jobs::{self, Job};
use crate::store::resources::{self, Resource};
use crate::store::{audit, notifications};

pub struct Overview {
    pub hosts: Vec<HostRow>,
    pub total: Capacity,
    pub free: Capacity,
    pub running: Vec<Resource>,
    pub dead: Vec<Job>,
    pub queue: Vec<(String, i64)>,
}

pub async fn overview(db: &Db, actor: Option<&Actor>) -> Result<Overview, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    let mut conn = db.pool.acquire().await?;
    let hosts = inventory::list_hosts(&mut conn).await?;
    let (total, free) = super::resources::free_capacity(&mut conn).await?;
    drop(conn);
    Ok(Overview {
        free,
        total,
        hosts,
        running: resources::in_states(
            db,
            &[
                State::Approved,
                State::Provisioning,
                State::Active,
                State::Stopped,
                State::Expiring,
                State::Failed,
            ],
        )
        .await?,
        dead: jobs::dead_letters(db).await?,
        queue: jobs::counts(db).await?,
    })
}

pub async fn redrive(db: &Db, actor: Option<&Actor>, job_id: i64) -> Result<(), CoreError> {
    authz::check(actor, Action::Operate, Object::Portal)?;
    if !jobs::redrive(db, job_id, crate::clock::now_ms()).await? {
        return Err(CoreError::field(
            "job",
            "That job is not a dead letter (it may have been re-driven already)",
        ));
    }
    let mut conn = db.pool.acquire().await?;
    audit::record(
        &mut conn,
        &audit::NewEntry {
            actor_id: actor.map(|a| a.user_id),
            action: "job.redrive",
            object_type: "job",
            object_id: &job_id.to_string(),
            before: "dead",
            after: "queued",
            request_id: &super::audit_context::request_id(),
        },
        crate::clock::now(),
    )
    .await?;
    Ok(())
}

pub async fn audit(
    db: &Db,
    actor: Option<&Actor>,
    filter: &audit::Filter,
) -> Result<Vec<audit::Entry>, CoreError> {
    authz::check(actor, Action::ViewOperations, Object::Portal)?;
    Ok(audit::list(db, filter).await?)
}

/// A page of the actor's own notifications, newest first, and how many are unread in all.
pub async fn notifications(
    db: &Db,
    actor: Option<&Actor>,
    before: Option<i64>,
    size: usize,
) -> Result<(Page<notifications::Notification>, i64), CoreError> {
    let actor = actor.ok_or(authz::Denied::NotSignedIn)?;
    let rows =
        notifications::for_user(db, actor.user_id, before, paging::fetch_limit(size)).await?;
    let unread = notifications::unread_count(db, actor.user_id).await?;
    Ok((Page::from_rows(rows, size, |n| n.id), unread))
}

pub async fn mark_notifications_read(db: &Db, actor: Option<&Actor>) -> Result<u64, CoreError> {
    let actor = actor.ok_or(authz::Denied::NotSignedIn)?;
    Ok(notifications::mark_all_read(db, actor.user_id, crate::clock::now()).await?)
}
