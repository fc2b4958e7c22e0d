//! Output checks of web services before they go public: the project asks with a frozen
//! snapshot and its outputs described, two output checkers from outside the project decide,
//! and the second approval of one snapshot is what makes the service public. The rules are
//! `crate::output_checks`; this applies them, stores each step and audits it in one
//! transaction.

use super::audit_context;
use super::resources::resource_object;
use crate::authz::{self, Action, Actor};
use crate::clock;
use crate::db::Db;
use crate::error::{capitalise, CoreError, FieldErrors};
use crate::output_checks::checklist::{self, Output};
use crate::output_checks::review::{self, Checker, DecisionRefused, Event, State, Verdict};
use crate::output_checks::snapshot::{self, Entry};
use crate::requests::kind::{Kind, Visibility};
use crate::store::jobs::{self, JobKind};
use crate::store::output_checks::{self as store, Check, Decision, Move, Round};
use crate::store::{notifications, projects, resources, users};
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;

/// What the requester sends: the outputs described against the checklist, and the snapshot
/// the server froze (its files with their digests; never taken from the requester's word).
#[derive(Debug, Clone)]
pub struct Submission {
    pub outputs: Vec<Output>,
    pub files: Vec<Entry>,
    /// The largest snapshot the portal accepts, in bytes.
    pub limit: u64,
}

/// A check with everything a page about it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub check: Check,
    /// The web service's offering, as its page is titled.
    pub service: String,
    pub rounds: Vec<Round>,
    pub decisions: Vec<Decision>,
    /// The current round's files.
    pub files: Vec<Entry>,
    pub may: Permitted,
}

/// What the person looking may do with a check now, so pages offer only what would be taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permitted {
    /// Decide on the current round: an output checker from outside the project who has not
    /// decided on it yet, while it waits.
    pub decide: bool,
    pub withdraw: bool,
    /// Send a new snapshot, after changes were asked for.
    pub resubmit: bool,
}

/// What the form asking for a check shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskContext {
    pub resource_id: i64,
    pub service: String,
    pub project_id: i64,
    pub project_name: String,
    pub items: Vec<checklist::Item>,
    /// The check that asked for changes, with the round it asked them of, when this is a
    /// new snapshot for it.
    pub changes_asked: Option<(Check, Round)>,
    /// The checkers' comments on that round.
    pub comments: Vec<Decision>,
}

fn me(actor: Option<&Actor>) -> i64 {
    actor.map(|a| a.user_id).unwrap_or_default()
}

/// The checklist's problems as form fields: `outputs` for the list itself, `outputs.N.name` and
/// `outputs.N.shows` for an output's own fields, `outputs.N.KEY` for one of its answers (N from
/// 0).
fn submission_errors(outputs: &[Output]) -> FieldErrors {
    use checklist::Problem;
    let mut errors = FieldErrors::new();
    for (i, key, problem) in checklist::problems(&checklist::default_items(), outputs) {
        let field = match &problem {
            Problem::NoOutputs => "outputs".to_owned(),
            Problem::NoName => format!("outputs.{i}.name"),
            Problem::NoDescription => format!("outputs.{i}.shows"),
            _ => format!("outputs.{i}.{key}"),
        };
        errors.add(&field, capitalise(&problem.to_string()));
    }
    errors
}

/// Whether `actor` may ask for this resource's outputs to be checked with these outputs
/// described: everything short of the snapshot, so the server freezes files only for a
/// submission that would be taken.
pub async fn may_submit(
    db: &Db,
    actor: Option<&Actor>,
    resource_id: i64,
    outputs: &[Output],
) -> Result<resources::Resource, CoreError> {
    let r = may_ask(db, actor, resource_id).await?;
    submission_errors(outputs).into_result()?;
    let mut conn = db.pool.acquire().await?;
    match store::live_for_resource(&mut conn, resource_id).await? {
        Some(c) if c.state != State::ChangesRequested => Err(live_already(&c)),
        _ => Ok(r),
    }
}

/// Changes who may open a web service and restarts it, so it serves what that allows: public,
/// its approved snapshot, read-only; otherwise its working files. A stopped one starts from the
/// right files when started.
async fn serve_as(
    conn: &mut sqlx::AnyConnection,
    resource_id: i64,
    visibility: Visibility,
    now: i64,
) -> Result<(), CoreError> {
    resources::set_visibility(conn, resource_id, visibility).await?;
    jobs::enqueue(
        conn,
        JobKind::Restart,
        resource_id,
        crate::requests::retry::MAX_ATTEMPTS,
        now * 1000,
    )
    .await?;
    Ok(())
}

fn check_link(id: i64) -> String {
    format!("/output-checks/{id}")
}

/// Which check's round a notice is about, and whose project it is.
struct About {
    id: i64,
    round: i64,
    project_id: i64,
    requester_id: i64,
}

/// Tells every output checker who may decide on the round (none on its project, none who has
/// decided it) `subject`, on the transaction's connection.
async fn tell_checkers(
    conn: &mut sqlx::AnyConnection,
    about: &About,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<usize, CoreError> {
    let mut people = projects::people_on(conn, about.project_id).await?;
    people.push(about.requester_id);
    let decided = store::decided_by(conn, about.id, about.round).await?;
    let mut told = 0;
    for u in users::ids_with_role(conn, crate::domain::Role::OutputChecker).await? {
        if !people.contains(&u) && !decided.contains(&u) {
            notifications::insert(conn, u, subject, body, &check_link(about.id), now).await?;
            told += 1;
        }
    }
    Ok(told)
}

/// Whether `actor` may ask for this resource to be checked at all: its requester or project
/// lead, for a web service that is not ended.
async fn may_ask(
    db: &Db,
    actor: Option<&Actor>,
    resource_id: i64,
) -> Result<resources::Resource, CoreError> {
    let (r, object) = resource_object(db, actor, resource_id).await?;
    authz::check(actor, Action::AskOutputCheck, object)?;
    if r.kind != Kind::WebService {
        return Err(CoreError::field(
            "resource",
            "Only web services are checked for release: this is not one",
        ));
    }
    if r.state.is_final() {
        return Err(CoreError::field(
            "resource",
            format!(
                "This web service is {}: it cannot be released",
                r.state.label()
            ),
        ));
    }
    Ok(r)
}

/// What the form asking for a check needs: refused as asking would be, and refused too while a
/// check is under way or approved (its page says so; a new snapshot is asked for only after
/// changes were).
pub async fn ask_context(
    db: &Db,
    actor: Option<&Actor>,
    resource_id: i64,
) -> Result<AskContext, CoreError> {
    let r = may_ask(db, actor, resource_id).await?;
    let mut conn = db.pool.acquire().await?;
    let live = store::live_for_resource(&mut conn, resource_id).await?;
    drop(conn);
    let changes_asked = match live {
        Some(c) if c.state == State::ChangesRequested => {
            let round = store::rounds(db, c.id)
                .await?
                .into_iter()
                .find(|x| x.round == c.round);
            round.map(|round| (c, round))
        }
        Some(c) => return Err(live_already(&c)),
        None => None,
    };
    let comments = match &changes_asked {
        Some((c, round)) => store::decisions(db, c.id)
            .await?
            .into_iter()
            .filter(|d| d.round == round.round && d.verdict == "request_changes")
            .collect(),
        None => Vec::new(),
    };
    Ok(AskContext {
        resource_id,
        service: r.offering_name,
        project_id: r.project_id,
        project_name: r.project_name,
        items: checklist::default_items(),
        changes_asked,
        comments,
    })
}

fn live_already(c: &Check) -> CoreError {
    CoreError::field(
        "resource",
        format!(
            "This web service already has an output check ({}): {}",
            c.state.label(),
            match c.state {
                State::Approved => "it is released as checked",
                _ => "withdraw it before asking again",
            }
        ),
    )
}

/// Asks for a web service's outputs to be checked, or sends a new snapshot after changes were
/// asked for. Returns the check's id.
pub async fn submit(
    db: &Db,
    actor: Option<&Actor>,
    resource_id: i64,
    s: &Submission,
) -> Result<i64, CoreError> {
    let r = may_submit(db, actor, resource_id, &s.outputs).await?;
    let digest = snapshot::digest(&s.files, s.limit)
        .map_err(|e| CoreError::field("snapshot", capitalise(&e.to_string())))?;
    let size: u64 = s.files.iter().map(|f| f.size).sum();
    let now = clock::now();
    let due_at = now + review::DAYS_ALLOWED * DAY;
    let mut tx = db.begin_write().await?;
    let (id, round, action) = match store::live_for_resource(&mut tx, resource_id).await? {
        None => match store::insert(&mut tx, resource_id, me(actor), due_at, now).await? {
            Some(id) => (id, 1, "output_check.submit"),
            None => return Err(already_live()),
        },
        Some(c) if c.state == State::ChangesRequested => {
            let to = review::transition(c.state, Event::Resubmit)
                .map_err(|e| CoreError::field("resource", capitalise(&e.to_string())))?;
            if !store::claim(&mut tx, c.id, c.state, c.round, now).await? {
                return Err(already_live());
            }
            let round = c.round + 1;
            let m = Move {
                to,
                round,
                reason: "",
                due_at,
                decided: false,
            };
            store::move_to(&mut tx, c.id, &m, now).await?;
            (c.id, round, "output_check.resubmit")
        }
        Some(c) => return Err(live_already(&c)),
    };
    let items = checklist::default_items();
    let new_round = store::NewRound {
        check_id: id,
        round,
        digest: &digest,
        size_bytes: size,
        outputs: &s.outputs,
        items: &items,
        files: &s.files,
        submitted_by: me(actor),
    };
    store::add_round(&mut tx, &new_round, now).await?;
    let due_on: String = clock::format_utc(due_at).chars().take(10).collect();
    let about = About {
        id,
        round,
        project_id: r.project_id,
        requester_id: r.requester_id,
    };
    tell_checkers(
        &mut tx,
        &about,
        &format!("{} asks to go public", r.offering_name),
        &format!(
            "{} of {} asks for an output check (round {round}), due by {due_on}.",
            r.offering_name, r.project_name
        ),
        now,
    )
    .await?;
    let after = format!("round {round}, snapshot {digest}, {size} bytes");
    audit_context::record(&mut tx, actor, "output_check", action, id, "", &after).await?;
    tx.commit().await?;
    Ok(id)
}

fn already_live() -> CoreError {
    CoreError::field(
        "resource",
        "This web service's output check changed while you were sending: reload it and try again",
    )
}

/// A checker's decision on the current round. Returns the check's state after it.
pub async fn decide(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    verdict: &Verdict,
) -> Result<State, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let c = store::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("output check"))?;
    let mut people = projects::people_on(&mut conn, c.project_id).await?;
    people.push(c.requester_id);
    drop(conn);
    let (_, object) = resource_object(db, actor, c.resource_id).await?;
    authz::check(actor, Action::DecideOutputCheck, object)?;
    let outputs = store::rounds(db, id)
        .await?
        .into_iter()
        .find(|r| r.round == c.round)
        .map(|r| r.outputs.len())
        .unwrap_or(0);
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    // The row is taken before the approvals are counted, so a second checker deciding at the
    // same moment counts after this one.
    if !store::claim(&mut tx, id, State::Submitted, c.round, now).await? {
        let state = store::find(&mut tx, id).await?.map(|x| x.state);
        return Err(CoreError::field(
            "decision",
            capitalise(&DecisionRefused::NotWaiting(state.unwrap_or(c.state).label()).to_string()),
        ));
    }
    let approved_by = store::approvals(&mut tx, id, c.round).await?;
    let checker = Checker {
        id: me(actor),
        is_checker: actor.is_some_and(|a| a.roles.has(crate::domain::Role::OutputChecker)),
        project_people: &people,
    };
    review::may_decide(checker, State::Submitted, outputs, &approved_by, verdict).map_err(|e| {
        let field = match e {
            DecisionRefused::ReasonRequired => "reason",
            DecisionRefused::CommentsRequired | DecisionRefused::NoSuchOutput(_) => "comments",
            _ => "decision",
        };
        CoreError::field(field, capitalise(&e.to_string()))
    })?;
    let (name, reason, comments, event) = match verdict {
        Verdict::Approve => (
            "approve",
            String::new(),
            Vec::new(),
            review::approved_after(&approved_by, me(actor)).then_some(Event::Approve),
        ),
        Verdict::RequestChanges { comments } => (
            "request_changes",
            String::new(),
            comments
                .iter()
                .filter(|(_, t)| !t.trim().is_empty())
                .map(|(i, t)| (*i, t.trim().to_owned()))
                .collect(),
            Some(Event::RequestChanges),
        ),
        Verdict::Reject { reason } => (
            "reject",
            reason.trim().to_owned(),
            Vec::new(),
            Some(Event::Reject),
        ),
    };
    let decision = store::NewDecision {
        check_id: id,
        round: c.round,
        checker_id: me(actor),
        verdict: name,
        reason: &reason,
        comments: &comments,
    };
    if !store::add_decision(&mut tx, &decision, now).await? {
        return Err(CoreError::field(
            "decision",
            "You have already decided on this snapshot: a second, different checker must",
        ));
    }
    let to = match event {
        None => State::Submitted,
        Some(event) => {
            let to = review::transition(State::Submitted, event)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            let m = Move {
                to,
                round: c.round,
                reason: &reason,
                due_at: c.due_at,
                decided: matches!(to, State::Approved | State::Rejected),
            };
            store::move_to(&mut tx, id, &m, now).await?;
            to
        }
    };
    let told = match to {
        State::Approved => Some((
            "approved for release",
            "Two output checkers approved it: it is public, serving exactly the snapshot they checked.",
        )),
        State::ChangesRequested => Some((
            "needs changes before release",
            "An output checker asked for changes: read the comments, then send a new snapshot.",
        )),
        State::Rejected => Some((
            "was rejected for release",
            "An output checker rejected it; the check's page says why. It stays with the project.",
        )),
        _ => None,
    };
    if let Some((what, body)) = told {
        notifications::insert(
            &mut tx,
            c.requester_id,
            &format!("Output check {id} {what}"),
            body,
            &check_link(id),
            now,
        )
        .await?;
    }
    if to == State::Approved {
        // Exactly what two checkers approved is what goes public: a running service is
        // restarted from the snapshot (a stopped one starts from it).
        serve_as(&mut tx, c.resource_id, Visibility::Public, now).await?;
    }
    let after = format!("{name} round {}: {}", c.round, to.as_str());
    audit_context::record(
        &mut tx,
        actor,
        "output_check",
        &format!("output_check.{name}"),
        id,
        c.state.as_str(),
        &after,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// The requester or project lead takes back a check that is not yet decided.
pub async fn withdraw(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let mut conn = db.pool.acquire().await?;
    let c = store::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("output check"))?;
    drop(conn);
    let (_, object) = resource_object(db, actor, c.resource_id).await?;
    authz::check(actor, Action::AskOutputCheck, object)?;
    let to = review::transition(c.state, Event::Withdraw).map_err(|_| {
        CoreError::field(
            "decision",
            format!(
                "This check is {}: it can no longer be withdrawn",
                c.state.label()
            ),
        )
    })?;
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    if !store::claim(&mut tx, id, c.state, c.round, now).await? {
        return Err(already_live());
    }
    let m = Move {
        to,
        round: c.round,
        reason: "",
        due_at: c.due_at,
        decided: false,
    };
    store::move_to(&mut tx, id, &m, now).await?;
    audit_context::record(
        &mut tx,
        actor,
        "output_check",
        "output_check.withdraw",
        id,
        c.state.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks waiting for a decision, for output checkers.
pub async fn queue(db: &Db, actor: Option<&Actor>) -> Result<Vec<Check>, CoreError> {
    authz::check(actor, Action::ListOutputChecks, authz::Object::Portal)?;
    Ok(store::waiting(db).await?)
}

pub async fn detail(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Detail, CoreError> {
    let mut conn = db.pool.acquire().await?;
    let check = store::find(&mut conn, id)
        .await?
        .ok_or(CoreError::NotFound("output check"))?;
    drop(conn);
    let (r, object) = resource_object(db, actor, check.resource_id).await?;
    authz::check(actor, Action::ViewOutputCheck, object)?;
    let decisions = store::decisions(db, id).await?;
    let asker = authz::check(actor, Action::AskOutputCheck, object).is_ok();
    let mut conn = db.pool.acquire().await?;
    let mut people = projects::people_on(&mut conn, check.project_id).await?;
    drop(conn);
    people.push(check.requester_id);
    let checker = Checker {
        id: me(actor),
        is_checker: actor.is_some_and(|a| a.roles.has(crate::domain::Role::OutputChecker)),
        project_people: &people,
    };
    let decided_this_round = decisions
        .iter()
        .any(|d| d.round == check.round && d.checker_id == me(actor));
    let may = Permitted {
        decide: authz::check(actor, Action::DecideOutputCheck, object).is_ok()
            && review::may_take_part(checker, check.state).is_ok()
            && !decided_this_round,
        withdraw: asker && review::transition(check.state, Event::Withdraw).is_ok(),
        resubmit: asker && check.state == State::ChangesRequested && !r.state.is_final(),
    };
    Ok(Detail {
        service: r.offering_name,
        rounds: store::rounds(db, id).await?,
        files: store::files(db, id, check.round).await?,
        decisions,
        check,
        may,
    })
}

/// A resource's checks, newest first, for its page.
pub async fn for_resource(
    db: &Db,
    actor: Option<&Actor>,
    resource_id: i64,
) -> Result<Vec<Check>, CoreError> {
    let (_, object) = resource_object(db, actor, resource_id).await?;
    authz::check(actor, Action::ViewOutputCheck, object)?;
    Ok(store::for_resource(db, resource_id).await?)
}

/// Reminds the checkers who may decide on a waiting check a day before it is due and once when
/// it is overdue (each once per round, however many workers sweep). Returns how many were told.
pub async fn remind_deadlines(db: &Db, now: i64) -> Result<usize, CoreError> {
    let mut sent = 0;
    for c in store::waiting(db).await? {
        let Some(which) = review::reminder_due(c.due_at, c.reminded_at, now) else {
            continue;
        };
        let mut tx = db.begin_write().await?;
        if !store::mark_reminded(&mut tx, c.id, c.round, c.reminded_at, now).await? {
            continue;
        }
        let due_on: String = clock::format_utc(c.due_at).chars().take(10).collect();
        let subject = match which {
            review::Reminder::Before => format!("Output check {} is due by {due_on}", c.id),
            review::Reminder::Overdue => {
                format!("Output check {} is overdue since {due_on}", c.id)
            }
        };
        let body = format!(
            "Round {} of {}'s output check is waiting for a decision.",
            c.round, c.project_name
        );
        let about = About {
            id: c.id,
            round: c.round,
            project_id: c.project_id,
            requester_id: c.requester_id,
        };
        sent += tell_checkers(&mut tx, &about, &subject, &body, now).await?;
        tx.commit().await?;
    }
    Ok(sent)
}

/// An approved release whose files on disk no longer match what its checkers approved goes back
/// to its project: the check lapses (with `what` changed as its reason), the service is
/// project-only again and restarts from its working files, and the requester is told. A check
/// that is no longer approved (lapsed already, by another worker) is left alone: returns false.
pub async fn lapse(db: &Db, id: i64, round: i64, what: &str) -> Result<bool, CoreError> {
    let now = clock::now();
    let mut tx = db.begin_write().await?;
    if !store::claim(&mut tx, id, State::Approved, round, now).await? {
        return Ok(false);
    }
    let Some(c) = store::find(&mut tx, id).await? else {
        return Ok(false);
    };
    let to = review::transition(State::Approved, Event::Changed)
        .map_err(|e| CoreError::Internal(e.to_string()))?;
    let reason = format!("What was released changed after approval: {what}");
    let m = Move {
        to,
        round,
        reason: &reason,
        due_at: c.due_at,
        decided: false,
    };
    store::move_to(&mut tx, id, &m, now).await?;
    serve_as(&mut tx, c.resource_id, Visibility::Project, now).await?;
    notifications::insert(
        &mut tx,
        c.requester_id,
        &format!("Output check {id} lapsed: the service is no longer public"),
        &format!("{reason}. It is back with the project; ask for a new check to release it again."),
        &check_link(id),
        now,
    )
    .await?;
    audit_context::record(
        &mut tx,
        None,
        "output_check",
        "output_check.lapse",
        id,
        State::Approved.as_str(),
        &reason,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
