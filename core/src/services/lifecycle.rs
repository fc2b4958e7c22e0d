//! The lifecycle sweep the worker runs every minute: reminders before the end date (one digest
//! per person per day), expiry at the end date, removal after the grace period, idle stop.
//! Safe to run from several workers at once: jobs are only added where none is pending, under
//! the project's lock, and each digest is claimed by one row before it is sent.

use crate::clock::parse_date;
use crate::db::Db;
use crate::error::CoreError;
use crate::requests::expiry::{self, Due, Facts};
use crate::requests::lifecycle::State;
use crate::requests::retry::MAX_ATTEMPTS;
use crate::store::jobs::{self, JobKind};
use crate::store::{audit, catalogue, notifications, resources};
use std::collections::BTreeMap;
use time::Date;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub expired: u32,
    pub removed: u32,
    pub idle_stopped: u32,
    pub digests: u32,
}

pub async fn sweep(db: &Db, today: Date, now: i64) -> Result<Swept, CoreError> {
    let idle_limits: BTreeMap<i64, u32> = catalogue::list(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.idle_stop_minutes))
        .collect();
    let live = resources::in_states(db, &[State::Active, State::Stopped, State::Expiring]).await?;
    let mut swept = Swept::default();
    let mut reminders: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in &live {
        let Some(end) = parse_date(&r.end_date) else {
            continue;
        };
        let facts = Facts {
            kind: r.kind,
            state: r.state,
            end,
            idle_minutes: (now - r.last_active_at.max(r.updated_at)) / 60,
            idle_stop_minutes: i64::from(idle_limits.get(&r.offering_id).copied().unwrap_or(0)),
        };
        let (kind, why) = match expiry::due(today, &facts) {
            None => continue,
            Some(Due::Remind(days)) => {
                let when = match days {
                    0 => "today".to_owned(),
                    d => format!("in {d} days, on {}", r.end_date),
                };
                reminders.entry(r.requester_id).or_default().push(format!(
                    "{} ({}) for {} ends {when}: /requests/{}",
                    r.offering_name, r.size_code, r.project_name, r.id
                ));
                continue;
            }
            Some(Due::Expire) => (JobKind::Expire, "its end date has passed"),
            Some(Due::Remove) => (
                JobKind::Destroy,
                "it expired more than the grace period ago",
            ),
            Some(Due::IdleStop) => (JobKind::Stop, "nobody has used it for a while"),
        };
        let mut tx = db.pool.begin().await?;
        resources::lock_project(&mut tx, r.project_id).await?;
        if jobs::has_pending(&mut tx, r.id).await? {
            continue;
        }
        jobs::enqueue(&mut tx, kind, r.id, MAX_ATTEMPTS, now * 1000).await?;
        audit::record(
            &mut tx,
            &audit::NewEntry {
                actor_id: None,
                action: &format!("lifecycle.{}", kind.as_str()),
                object_type: "resource",
                object_id: &r.id.to_string(),
                before: r.state.as_str(),
                after: why,
                request_id: "",
            },
            now,
        )
        .await?;
        tx.commit().await?;
        match kind {
            JobKind::Expire => swept.expired += 1,
            JobKind::Destroy => swept.removed += 1,
            _ => swept.idle_stopped += 1,
        }
    }
    let day = today.to_string();
    for (user, items) in reminders {
        let mut tx = db.pool.begin().await?;
        if !notifications::claim_digest(&mut tx, user, &day).await? {
            continue;
        }
        let subject = if items.len() == 1 {
            "One of your resources ends soon".to_owned()
        } else {
            format!("{} of your resources end soon", items.len())
        };
        let body = format!(
            "Extend them from their pages if you still need them; otherwise they stop at their end date and are removed {} days later, with their data.\n{}",
            expiry::GRACE_DAYS,
            items.join("\n")
        );
        notifications::insert(&mut tx, user, &subject, &body, "/requests", now).await?;
        tx.commit().await?;
        swept.digests += 1;
    }
    Ok(swept)
}
