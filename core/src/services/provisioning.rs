//! What the worker records as it carries out jobs. The worker acts for the portal, not for a
//! person, so these take no actor; each records its step, the job's end, the audit entry and
//! any notification on one transaction, fenced by the job's lease token.

use crate::clock::{self, now_ms};
use crate::db::Db;
use crate::error::CoreError;
use crate::requests::lifecycle::{transition, Event, State};
use crate::requests::retry::{self, AfterFailure};
use crate::store::jobs::{self, Job};
use crate::store::resources::{self, Resource};
use crate::store::{audit, notifications};

async fn entry(
    conn: &mut sqlx::AnyConnection,
    action: &str,
    resource_id: i64,
    before: &str,
    after: &str,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        &audit::NewEntry {
            actor_id: None,
            action,
            object_type: "resource",
            object_id: &resource_id.to_string(),
            before,
            after,
            request_id: "",
        },
        clock::now(),
    )
    .await
}

/// Moves an approved resource into provisioning when the worker first picks it up.
pub async fn begin_provisioning(db: &Db, r: &Resource, driver: &str) -> Result<(), CoreError> {
    if r.state != State::Approved {
        return Ok(());
    }
    let to = transition(r.state, &Event::StartProvisioning)
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    let mut tx = db.pool.begin().await?;
    let note = format!("Setting up with the {driver} driver");
    if resources::transition(&mut tx, r.id, r.state, to, None, &note, clock::now()).await? {
        entry(
            &mut tx,
            "provision.begin",
            r.id,
            r.state.as_str(),
            to.as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a finished step did to the resource, for its history and its owner.
pub struct Outcome {
    /// The lifecycle event the step completes, if it changes the state.
    pub event: Option<Event>,
    pub note: String,
    pub notify: Option<(String, String)>,
}

/// Records a step that succeeded and ends its job. False if the lease was lost meanwhile: then
/// nothing is recorded and whoever holds the job now will redo the (idempotent) step.
pub async fn succeed(
    db: &Db,
    job: &Job,
    r: &Resource,
    outcome: Outcome,
) -> Result<bool, CoreError> {
    let now = clock::now();
    if outcome.event.is_none() && outcome.notify.is_none() {
        // Nothing else to record: one autocommitted statement, not a transaction.
        let mut conn = db.pool.acquire().await?;
        return Ok(jobs::complete(&mut conn, job.id, &job.lease_token, now_ms()).await?);
    }
    let mut tx = db.pool.begin().await?;
    if !jobs::complete(&mut tx, job.id, &job.lease_token, now_ms()).await? {
        return Ok(false);
    }
    if let Some(event) = &outcome.event {
        let to = transition(r.state, event).map_err(|e| CoreError::Internal(e.to_string()))?;
        if resources::transition(&mut tx, r.id, r.state, to, None, &outcome.note, now).await? {
            entry(
                &mut tx,
                &format!("{}.done", job.kind.as_str()),
                r.id,
                r.state.as_str(),
                to.as_str(),
            )
            .await?;
        }
    }
    if let Some((subject, body)) = &outcome.notify {
        notifications::insert(
            &mut tx,
            r.requester_id,
            subject,
            body,
            &format!("/requests/{}", r.id),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Records a failed attempt. Transient errors are retried with backoff until the attempts run
/// out; a permanent error, or the last attempt, fails a provisioning with the driver's reason
/// (the person sees it and may retry) and leaves the job as a dead letter for operators.
pub async fn fail(
    db: &Db,
    job: &Job,
    r: Option<&Resource>,
    reason: &str,
    permanent: bool,
    jitter: f64,
) -> Result<bool, CoreError> {
    let next = if permanent {
        AfterFailure::DeadLetter
    } else {
        retry::after_failure(job.attempts, job.max_attempts, jitter)
    };
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    if !jobs::fail(&mut tx, job.id, &job.lease_token, reason, next, now_ms()).await? {
        return Ok(false);
    }
    if let Some(r) = r {
        match next {
            AfterFailure::RetryInMs(ms) => {
                entry(
                    &mut tx,
                    &format!("{}.retry", job.kind.as_str()),
                    r.id,
                    "",
                    &format!(
                        "attempt {} failed, retrying in {} ms: {reason}",
                        job.attempts, ms
                    ),
                )
                .await?;
            }
            AfterFailure::DeadLetter => {
                let failed = Event::ProvisioningFailed {
                    reason: reason.to_owned(),
                };
                if let Ok(to) = transition(r.state, &failed) {
                    resources::transition(&mut tx, r.id, r.state, to, None, reason, now).await?;
                }
                entry(
                    &mut tx,
                    &format!("{}.failed", job.kind.as_str()),
                    r.id,
                    r.state.as_str(),
                    reason,
                )
                .await?;
                notifications::insert(
                    &mut tx,
                    r.requester_id,
                    &format!(
                        "{} could not be {}",
                        r.offering_name,
                        match job.kind {
                            jobs::JobKind::Provision => "set up",
                            jobs::JobKind::Start => "started",
                            jobs::JobKind::Stop | jobs::JobKind::Expire => "stopped",
                            _ => "changed",
                        }
                    ),
                    &format!("The reason: {reason}"),
                    &format!("/requests/{}", r.id),
                    now,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(true)
}
