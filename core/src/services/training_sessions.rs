//! Training sessions (cohorts): a course's owner books a time, seats and a sandbox offering;
//! attendees enrol or are added by email; from the lead time the worker makes one sandbox per
//! attendee through the queue, and after the end and its grace period removes them all.
//! Each session has its own project (led by the trainer) whose quota is exactly its seats, so
//! the sandboxes count against the hardware like any other resource.

use crate::authz::{self, Action, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::CoreError;
use crate::requests::kind::Kind;
use crate::requests::quota::Amounts;
use crate::services::audit_context;
use crate::services::resources::{self as resource_service, RequestInput, UserAction};
use crate::store::training_sessions::{self as store, Attendee, NewSession, Session};
use crate::store::{catalogue, projects, quotas, resources, showcase, training, users};
use crate::training::session::{self as rules, Phase, Seat};
use serde::{Deserialize, Serialize};

fn times(a: Amounts, n: u32) -> Amounts {
    Amounts {
        cpu_cores: a.cpu_cores.saturating_mul(n),
        ram_gb: a.ram_gb.saturating_mul(n),
        gpus: a.gpus.saturating_mul(n),
        storage_gb: a.storage_gb.saturating_mul(n),
        workspaces: a.workspaces.saturating_mul(n),
        datasets: a.datasets.saturating_mul(n),
        web_services: a.web_services.saturating_mul(n),
    }
}

/// The offerings a session may give its attendees: workspaces and web services that need no
/// operator's approval (everyone must have theirs on the day).
pub async fn sandbox_offerings(db: &Db) -> Result<Vec<catalogue::Offering>, CoreError> {
    Ok(catalogue::list(db)
        .await?
        .into_iter()
        .filter(|o| {
            !o.retired
                && o.unavailable.is_empty()
                && !o.needs_approval
                && matches!(o.kind, Kind::Workspace | Kind::WebService)
        })
        .collect())
}

/// Books a session of the course. Refused with the numbers when the hardware has no room for
/// every seat's sandbox.
pub async fn book(
    db: &Db,
    actor: Option<&Actor>,
    course_slug: &str,
    form: &rules::Form,
) -> Result<i64, CoreError> {
    let course = training::by_slug(db, course_slug)
        .await?
        .ok_or(CoreError::NotFound("course"))?;
    authz::check(
        actor,
        Action::EditCourse,
        crate::services::training::object(&course),
    )?;
    let now = clock::now();
    let b = rules::parse(form, now).map_err(CoreError::Invalid)?;
    let offering = sandbox_offerings(db)
        .await?
        .into_iter()
        .find(|o| o.id == b.offering_id)
        .ok_or_else(|| CoreError::field("sandbox", "Choose one of the sandboxes listed"))?;
    let size = offering
        .size(&b.size_code)
        .ok_or_else(|| CoreError::field("sandbox", "Choose one of the sandboxes listed"))?;
    let seats = u32::try_from(b.seats).unwrap_or(u32::MAX);
    let all = times(size.amounts(offering.kind), seats);
    let trainer = actor.map(|a| a.user_id).unwrap_or_default();
    let last_day = clock::format_date(
        time::OffsetDateTime::from_unix_timestamp(b.ends_at + b.grace_minutes * 60)
            .map(|t| t.date())
            .unwrap_or_else(|_| clock::today()),
    );
    let starts = clock::format_utc(b.starts_at);
    let mut tx = db.pool.begin().await?;
    if let Err((placed, why)) =
        super::placement::room_for_many(&mut tx, offering.kind, &size.amounts(offering.kind), seats)
            .await?
    {
        return Err(CoreError::field(
            "seats",
            format!(
                "There is not enough room for {} sandboxes of {} ({}): only {placed} find a host now. {why} Choose fewer seats or a smaller sandbox.",
                b.seats, offering.name, size.label,
            ),
        ));
    }
    // Named after the session below, which needs the project first; this name only has to be
    // unique until then.
    let project_id = projects::insert_on(
        &mut tx,
        projects::NewProject {
            name: &format!("Training: {} ({starts}, #{now})", course.title),
            summary: &format!("Sandboxes for a session of the course {}.", course.title),
            lead_id: trainer,
            end_date: &last_day,
        },
        now,
    )
    .await?;
    quotas::set(&mut tx, project_id, &all).await?;
    let id = store::insert(
        &mut tx,
        &NewSession {
            course_id: course.id,
            trainer_id: trainer,
            project_id,
            offering_id: offering.id,
            size_code: &size.code,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            seats: b.seats,
            lead_minutes: b.lead_minutes,
            grace_minutes: b.grace_minutes,
        },
        now,
    )
    .await?;
    projects::rename_on(
        &mut tx,
        project_id,
        &format!("Training: {}, session {id} ({starts})", course.title),
    )
    .await?;
    showcase::bump_generation(&mut tx).await?;
    audit_context::record(
        &mut tx,
        actor,
        "training_session",
        "training.book",
        id,
        "",
        &format!(
            "{} seats of {} ({}) from {starts}",
            b.seats, offering.name, size.code
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One attendee as the roster shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterLine {
    pub attendee: Attendee,
    pub seat: Seat,
    pub reason: String,
    /// Where the attendee opens it through the proxy, once it is ready.
    pub open: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub session: Session,
    pub phase: Phase,
    pub taken: i64,
    /// The trainer (or an administrator): sees and manages the roster.
    pub can_manage: bool,
    /// Everyone on the roster (only for those who manage it).
    pub roster: Vec<RosterLine>,
    /// The viewer's own place, if they attend.
    pub mine: Option<RosterLine>,
    /// Whether the viewer may take a seat themselves: anyone with an internal role, and
    /// partners only where the course allows it.
    pub can_enrol: bool,
}

async fn line(db: &Db, a: Attendee) -> Result<RosterLine, CoreError> {
    let r = match a.resource_id {
        Some(id) => resources::find(db, id).await?,
        None => None,
    };
    let seat = Seat::of(r.as_ref().map(|r| r.state));
    Ok(RosterLine {
        open: r
            .as_ref()
            .filter(|_| seat == Seat::Ready)
            .and_then(|r| r.kind.proxy_prefix().map(|p| format!("{p}cp-{}/", r.id))),
        seat,
        reason: r.map(|r| r.reason).unwrap_or_default(),
        attendee: a,
    })
}

pub async fn view(db: &Db, actor: Option<&Actor>, id: i64) -> Result<SessionView, CoreError> {
    let s = store::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("session"))?;
    let course = training::by_slug(db, &s.course_slug)
        .await?
        .ok_or(CoreError::NotFound("session"))?;
    // Seeing a session needs an account, and the course must be one the person may read.
    let Some(me) = actor else {
        return Err(crate::authz::Denied::NotSignedIn.into());
    };
    authz::check(
        actor,
        Action::ViewCourse,
        crate::services::training::object(&course),
    )?;
    let can_manage = authz::check(
        actor,
        Action::EditCourse,
        crate::services::training::object(&course),
    )
    .is_ok();
    let attendees = store::attendees(db, id).await?;
    let taken = attendees.len() as i64;
    let mut roster = Vec::new();
    let mut mine = None;
    for a in attendees {
        if a.user_id == me.user_id {
            mine = Some(line(db, a.clone()).await?);
        }
        if can_manage {
            roster.push(line(db, a).await?);
        }
    }
    let internal = me.roles.is_internal();
    Ok(SessionView {
        can_enrol: internal || course.partners_enrol,
        phase: rules::phase(
            clock::now(),
            s.starts_at,
            s.ends_at,
            s.lead_minutes,
            s.grace_minutes,
        ),
        session: s,
        taken,
        can_manage,
        roster,
        mine,
    })
}

/// The sessions of a course still to come or running, for its page.
pub async fn for_course(db: &Db, course_id: i64) -> Result<Vec<Session>, CoreError> {
    Ok(store::for_course(db, course_id).await?)
}

/// Puts people on the session: the seat check and the additions happen under the session
/// project's lock, so two enrolments cannot both take the last seat.
async fn add(
    db: &Db,
    actor: Option<&Actor>,
    s: &Session,
    people: &[i64],
) -> Result<usize, CoreError> {
    let now = clock::now();
    if matches!(
        rules::phase(now, s.starts_at, s.ends_at, s.lead_minutes, s.grace_minutes),
        Phase::Grace | Phase::Over
    ) {
        return Err(CoreError::field(
            "attendees",
            "This session has ended: nobody more can join it",
        ));
    }
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    resources::lock_project(&mut tx, s.project_id).await?;
    let taken = store::count_attendees(&mut tx, s.id).await?;
    let existing: Vec<i64> = store::attendees(db, s.id)
        .await?
        .iter()
        .map(|a| a.user_id)
        .collect();
    let new: Vec<i64> = people
        .iter()
        .copied()
        .filter(|p| !existing.contains(p))
        .collect();
    if new.is_empty() {
        return Err(CoreError::field(
            "attendees",
            "Everyone named is already on this session",
        ));
    }
    if taken + new.len() as i64 > s.seats {
        return Err(CoreError::field(
            "attendees",
            format!(
                "The session has {} seats and {taken} are taken: {} more cannot join. Nobody was added.",
                s.seats,
                new.len()
            ),
        ));
    }
    for p in &new {
        store::add_attendee(&mut tx, s.id, *p, by, now).await?;
        audit_context::record(
            &mut tx,
            actor,
            "training_session",
            "training.enrol",
            s.id,
            "",
            &p.to_string(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(new.len())
}

/// The signed-in person takes a seat.
pub async fn enrol(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let v = view(db, actor, id).await?;
    if !v.can_enrol {
        return Err(crate::authz::Denied::Forbidden(
            "on this course the trainer adds partners to a session: ask them to add you".into(),
        )
        .into());
    }
    if v.mine.is_some() {
        return Err(CoreError::field(
            "attendees",
            "You are already on this session",
        ));
    }
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    add(db, actor, &v.session, &[me]).await.map(|_| ())
}

/// The trainer adds people by email, one per line or separated by commas. Every address must
/// belong to an account, or nobody is added.
pub async fn add_by_email(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    raw: &str,
) -> Result<usize, CoreError> {
    let v = view(db, actor, id).await?;
    if !v.can_manage {
        return Err(crate::authz::Denied::Forbidden(
            "only the course's owner or an administrator can add attendees".into(),
        )
        .into());
    }
    let emails: Vec<&str> = raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if emails.is_empty() {
        return Err(CoreError::field(
            "attendees",
            "Enter at least one email address",
        ));
    }
    if emails.len() > rules::MAX_SEATS as usize {
        return Err(CoreError::field(
            "attendees",
            format!("Add at most {} people at once", rules::MAX_SEATS),
        ));
    }
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for e in &emails {
        match users::find_by_email(db, e).await? {
            Some(u) => ids.push(u.id),
            None => unknown.push(*e),
        }
    }
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(5)
            .map(|e| e.chars().take(80).collect())
            .collect();
        return Err(CoreError::field(
            "attendees",
            format!(
                "No Campus Portal account has {}: ask them to sign in once first. Nobody was added.",
                shown.join(", ")
            ),
        ));
    }
    ids.sort_unstable();
    ids.dedup();
    add(db, actor, &v.session, &ids).await
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub made: u32,
    pub removed: u32,
    pub sessions_ended: u32,
}

/// Makes the sandboxes of sessions past their lead time and removes those of sessions past
/// their grace period. Run by the worker; safe to run again at any time.
pub async fn sweep(db: &Db, now: i64) -> Result<Swept, CoreError> {
    let mut swept = Swept::default();
    for s in store::needing_attention(db, now).await? {
        match rules::phase(now, s.starts_at, s.ends_at, s.lead_minutes, s.grace_minutes) {
            Phase::Booked | Phase::Grace => {}
            Phase::Provisioning => swept.made += provision(db, &s).await?,
            Phase::Over => {
                swept.removed += tear_down(db, &s, now).await?;
                swept.sessions_ended += 1;
            }
        }
    }
    Ok(swept)
}

async fn provision(db: &Db, s: &Session) -> Result<u32, CoreError> {
    let project = projects::find(db, s.project_id)
        .await?
        .ok_or(CoreError::NotFound("project"))?;
    let mut made = 0;
    for a in store::attendees(db, s.id)
        .await?
        .into_iter()
        .filter(|a| a.resource_id.is_none())
    {
        let Some(attendee) = crate::services::accounts::actor(db, a.user_id).await? else {
            continue;
        };
        let input = RequestInput {
            project_id: s.project_id,
            offering_id: s.offering_id.to_string(),
            size: s.size_code.clone(),
            end_date: project.end_date.clone(),
            purpose: format!(
                "Sandbox for {} on {}",
                s.course_title,
                clock::format_utc(s.starts_at)
            ),
            visibility: "private".into(),
            site: String::new(),
        };
        match resource_service::request_for(db, &attendee, &input).await {
            Ok((rid, _)) => {
                let mut tx = db.pool.begin().await?;
                store::set_resource(&mut tx, s.id, a.user_id, rid).await?;
                tx.commit().await?;
                made += 1;
            }
            // No room or a changed catalogue: the roster shows it as not made, and the next
            // sweep tries again.
            Err(e) => {
                tracing::warn!(session = s.id, user = a.user_id, error = %e, "could not ask for a sandbox")
            }
        }
    }
    Ok(made)
}

async fn tear_down(db: &Db, s: &Session, now: i64) -> Result<u32, CoreError> {
    let trainer = crate::services::accounts::actor(db, s.trainer_id).await?;
    let mut removed = 0;
    for a in store::attendees(db, s.id).await? {
        let Some(rid) = a.resource_id else { continue };
        match resource_service::act(db, trainer.as_ref(), rid, UserAction::Decommission).await {
            Ok(_) => removed += 1,
            // Already removed, or in a state that cannot be: nothing more to do for it.
            Err(CoreError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let mut tx = db.pool.begin().await?;
    if store::mark_torn_down(&mut tx, s.id, now).await? {
        audit_context::record(
            &mut tx,
            None,
            "training_session",
            "training.teardown",
            s.id,
            "",
            &format!("{removed} sandbox(es) removed after the session ended"),
        )
        .await?;
        showcase::bump_generation(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sessions_quota_is_its_seats_times_one_sandbox() {
        let one = super::Amounts {
            cpu_cores: 2,
            ram_gb: 8,
            workspaces: 1,
            ..Default::default()
        };
        let all = super::times(one, 12);
        assert_eq!(
            (all.cpu_cores, all.ram_gb, all.workspaces, all.gpus),
            (24, 96, 12, 0)
        );
    }
}
