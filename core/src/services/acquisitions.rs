//! Data acquisitions: the applicant's task list, data control's legal gateway and classification,
//! the ethics review, the final decision by two reviewers, and the public data-use register.
//! Every change is authorised, checked against the rules in [`crate::acquisitions`], and written
//! with its event, notifications and audit entry in one transaction.

use crate::acquisitions::classification::{self, Classification, Gate};
use crate::acquisitions::decision::{self, Event, Phase, State, Verdict};
use crate::acquisitions::ethics::{self, Principle, Rating, Risk, Route};
use crate::acquisitions::sections::{self, Answer, Progress, Section};
use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::domain::Role;
use crate::error::capitalise;
use crate::error::{CoreError, FieldErrors};
use crate::paging::{self, Page};
use crate::services::audit_context;
use crate::store::acquisitions::{self as store, Acquisition, Change, Comment};
use crate::store::{notifications, users};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Longest answer kept, in characters.
const MAX_ANSWER: usize = 5_000;

/// Loads an application with the actor's position on it.
async fn load(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(Acquisition, Object), CoreError> {
    let a = store::find(db, id)
        .await?
        .ok_or(CoreError::NotFound("application"))?;
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let collaborators = store::collaborators(db, id).await?;
    let object = Object::Acquisition {
        applicant_id: a.applicant_id,
        actor_is_collaborator: collaborators.iter().any(|(u, _)| *u == me),
    };
    Ok((a, object))
}

fn me(actor: Option<&Actor>) -> i64 {
    actor.map(|a| a.user_id).unwrap_or_default()
}

async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: Option<&Actor>,
    action: &str,
    id: i64,
    before: &str,
    after: &str,
) -> Result<(), sqlx::Error> {
    audit_context::record(conn, actor, "acquisition", action, id, before, after).await
}

/// Tells the applicant and collaborators.
async fn tell_applicants(
    conn: &mut AnyConnection,
    db: &Db,
    a: &Acquisition,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    let mut to = vec![a.applicant_id];
    to.extend(
        store::collaborators(db, a.id)
            .await?
            .into_iter()
            .map(|c| c.0),
    );
    let link = format!("/acquisitions/{}", a.id);
    for u in to {
        notifications::insert(conn, u, subject, body, &link, clock::now()).await?;
    }
    Ok(())
}

/// Tells every reviewer who is not on the application.
async fn tell_reviewers(
    conn: &mut AnyConnection,
    db: &Db,
    a: &Acquisition,
    subject: &str,
) -> Result<(), sqlx::Error> {
    let mut on_it = vec![a.applicant_id];
    on_it.extend(
        store::collaborators(db, a.id)
            .await?
            .into_iter()
            .map(|c| c.0),
    );
    let link = format!("/acquisitions/{}", a.id);
    for u in users::ids_with_role(conn, Role::Reviewer).await? {
        if !on_it.contains(&u) {
            notifications::insert(conn, u, subject, &a.title, &link, clock::now()).await?;
        }
    }
    Ok(())
}

fn moved_on() -> CoreError {
    CoreError::field(
        "state",
        "The application changed while you were working on it: reload it and try again",
    )
}

/// The compare-and-set state change every step makes, with its decision-path event; refused in
/// words when someone else moved the application first.
#[allow(clippy::too_many_arguments)]
async fn move_to(
    conn: &mut AnyConnection,
    id: i64,
    from: State,
    to: State,
    actor_id: Option<i64>,
    note: &str,
    change: &Change<'_>,
    now: i64,
) -> Result<(), CoreError> {
    if store::transition(conn, id, from, to, actor_id, note, change, now).await? {
        Ok(())
    } else {
        Err(moved_on())
    }
}

fn refused(from: State, what: &str) -> CoreError {
    CoreError::field(
        "state",
        format!(
            "An application that is {} cannot be {what}",
            from.label().to_lowercase()
        ),
    )
}

/// Starts a draft application with its title.
pub async fn start(db: &Db, actor: Option<&Actor>, title: &str) -> Result<i64, CoreError> {
    authz::check(actor, Action::StartAcquisition, Object::Portal)?;
    let title = title.trim();
    if title.is_empty() {
        return Err(CoreError::field("title", "Enter a title for the work"));
    }
    if title.chars().count() > 200 {
        return Err(CoreError::field(
            "title",
            "Keep the title to 200 characters or fewer",
        ));
    }
    let mut tx = db.pool.begin().await?;
    let id = store::insert(&mut tx, me(actor), title, clock::now()).await?;
    record(&mut tx, actor, "acquisition.start", id, "", title).await?;
    tx.commit().await?;
    Ok(id)
}

/// A page of the actor's applications (made or collaborating on), newest first.
pub async fn mine(
    db: &Db,
    actor: Option<&Actor>,
    before: Option<i64>,
    size: usize,
) -> Result<Page<Acquisition>, CoreError> {
    authz::check(actor, Action::ListProjects, Object::Portal)?;
    let rows = store::for_member(db, me(actor), before, paging::fetch_limit(size)).await?;
    Ok(Page::from_rows(rows, size, |a| a.id))
}

/// Applications under review, soonest deadline first, for reviewers.
pub async fn review_queue(db: &Db, actor: Option<&Actor>) -> Result<Vec<Acquisition>, CoreError> {
    authz::check(actor, Action::ListReviews, Object::Portal)?;
    Ok(store::in_states(
        db,
        &[
            State::DataControl,
            State::Ethics,
            State::Referred,
            State::FinalDecision,
        ],
    )
    .await?)
}

/// One task on the applicant's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub slug: String,
    pub title: String,
    pub progress: Progress,
    /// Comments on this section from the last request for changes.
    pub comments: Vec<String>,
}

/// What the actor may do with the application now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub can_edit: bool,
    pub can_withdraw: bool,
    /// Approved, and the actor is its applicant or a collaborator: data may be uploaded.
    pub can_upload: bool,
    /// Approved and open, and the actor is its applicant or a collaborator.
    pub can_amend: bool,
    pub can_review: bool,
    pub assigned: bool,
}

/// A changed answer since the submission before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    pub section: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub acquisition: Acquisition,
    pub tasks: Vec<Task>,
    pub ethics_progress: Progress,
    pub route: Option<Route>,
    pub collaborators: Vec<String>,
    pub reviewers: Vec<(Phase, i64, String)>,
    pub approvals: Vec<(i64, String, Vec<String>)>,
    pub comments: Vec<Comment>,
    pub changed: Vec<Changed>,
    pub events: Vec<store::Event>,
    pub position: Position,
    /// The dataset an approved application brings data into.
    pub dataset_id: Option<i64>,
}

fn ethics_progress(ratings: &[Rating]) -> Progress {
    if ratings.is_empty() {
        Progress::NotStarted
    } else if ethics::gaps(ratings).is_empty() {
        Progress::Completed
    } else {
        Progress::InProgress
    }
}

pub async fn detail(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Detail, CoreError> {
    let (a, object) = load(db, actor, id).await?;
    authz::check(actor, Action::ViewAcquisition, object)?;
    let editable = matches!(a.state, State::Draft | State::ChangesRequested);
    let can_edit = editable && authz::check(actor, Action::EditAcquisition, object).is_ok();
    let can_review =
        a.state.in_review() && authz::check(actor, Action::ReviewAcquisition, object).is_ok();
    let reviewers = store::reviewers(db, id).await?;
    let assigned = a
        .state
        .phase()
        .is_some_and(|p| reviewers.iter().any(|r| r.0 == p && r.1 == me(actor)));
    let comments = store::comments(db, id).await?;
    let latest: Vec<&Comment> = comments
        .iter()
        .filter(|c| a.state == State::ChangesRequested && c.revision == a.revision)
        .collect();
    let tasks = Section::ALL
        .iter()
        .map(|s| Task {
            slug: s.slug().to_owned(),
            title: s.title().to_owned(),
            progress: sections::progress(*s, &a.answers, a.visited.contains(s)),
            comments: latest
                .iter()
                .filter(|c| c.section == s.slug())
                .map(|c| c.body.clone())
                .collect(),
        })
        .collect();
    let changed = if a.revision > 1 {
        sections::changed(&a.previous, &a.submitted)
            .into_iter()
            .map(|(s, key, label)| Changed {
                section: s.title().to_owned(),
                label: label.to_owned(),
                before: a.previous.get(key).cloned().unwrap_or_default(),
                after: a.submitted.get(key).cloned().unwrap_or_default(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut conn = db.pool.acquire().await?;
    let approvals = store::approvals(&mut conn, id, a.revision).await?;
    drop(conn);
    Ok(Detail {
        tasks,
        ethics_progress: ethics_progress(&a.ethics),
        route: Route::parse(&a.route).or_else(|| ethics::route(&a.ethics).ok()),
        collaborators: store::collaborators(db, id)
            .await?
            .into_iter()
            .map(|c| c.1)
            .collect(),
        reviewers,
        approvals,
        comments,
        changed,
        events: store::events(db, id).await?,
        dataset_id: crate::store::datasets::for_acquisition(db, id)
            .await?
            .map(|d| d.id),
        position: Position {
            can_edit,
            can_amend: a.state == State::Approved
                && authz::check(actor, Action::EditAcquisition, object).is_ok(),
            can_upload: a.state == State::Approved
                && authz::check(actor, Action::EditAcquisition, object).is_ok(),
            can_withdraw: !a.state.is_final()
                && authz::check(actor, Action::EditAcquisition, object).is_ok(),
            can_review,
            assigned,
        },
        acquisition: a,
    })
}

/// Checks the actor may change the application's answers now.
async fn editable(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Acquisition, CoreError> {
    let (a, object) = load(db, actor, id).await?;
    authz::check(actor, Action::EditAcquisition, object)?;
    if !matches!(a.state, State::Draft | State::ChangesRequested) {
        return Err(refused(a.state, "changed: it is with its reviewers"));
    }
    Ok(a)
}

/// Saves one section as typed (save as you go: completeness is checked on submission). Values
/// too long, a classification not on the list, or collaborators who have no account are refused
/// and nothing is saved.
pub async fn save_section(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    section: Section,
    values: &BTreeMap<String, String>,
) -> Result<(), CoreError> {
    let a = editable(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let mut answers = a.answers.clone();
    for (key, label, _, kind) in section.fields() {
        let v = values.get(*key).map(|v| v.trim()).unwrap_or_default();
        if v.chars().count() > MAX_ANSWER {
            errors.add(
                key,
                format!("{label}: keep it to {MAX_ANSWER} characters or fewer"),
            );
        }
        if *kind == Answer::Classification && !v.is_empty() && Classification::parse(v).is_none() {
            errors.add(key, "Choose one of the classifications listed");
        }
        if *kind == Answer::Date && !v.is_empty() && clock::parse_date(v).is_none() {
            errors.add(key, format!("{label}: enter a real date, like 2027-03-31"));
        }
        answers.insert((*key).to_owned(), v.to_owned());
    }
    if section == Section::Purpose && answers.get("title").is_none_or(|t| t.is_empty()) {
        errors.add("title", "Enter a title for the work");
    }
    let mut collaborators = Vec::new();
    if section == Section::Collaborators {
        let names: Vec<String> = answers
            .get("collaborators")
            .map(|v| {
                v.split([',', ' ', '\n', '\r'])
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            match users::find_by_username(db, &name.to_lowercase()).await? {
                Some(u) if u.id == a.applicant_id => errors.add(
                    "collaborators",
                    format!("{name} is the applicant already: list only others"),
                ),
                Some(u) => collaborators.push(u.id),
                None => errors.add(
                    "collaborators",
                    format!("There is no one with the user name {name}: check the spelling"),
                ),
            }
        }
    }
    errors.into_result()?;
    let mut visited = a.visited.clone();
    if !visited.contains(&section) {
        visited.push(section);
    }
    let mut tx = db.pool.begin().await?;
    if !store::save_answers(&mut tx, id, a.state, &answers, &visited, clock::now()).await? {
        return Err(moved_on());
    }
    if section == Section::Collaborators {
        store::set_collaborators(&mut tx, id, &collaborators).await?;
    }
    record(&mut tx, actor, "acquisition.save", id, section.slug(), "").await?;
    tx.commit().await?;
    Ok(())
}

/// Saves the ethics self-assessment as typed: a rating must be low, average or high; gaps are
/// allowed until submission.
pub async fn save_ethics(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    values: &BTreeMap<String, String>,
) -> Result<(), CoreError> {
    let a = editable(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let mut ratings = Vec::new();
    for p in Principle::ALL {
        for (item, _) in p.items() {
            let risk_field = ethics::item_field(p, item, "risk");
            let why_field = ethics::item_field(p, item, "justification");
            let raw = values
                .get(&risk_field)
                .map(|v| v.trim())
                .unwrap_or_default();
            let risk = Risk::parse(raw);
            if !raw.is_empty() && risk.is_none() {
                errors.add(&risk_field, "Choose low, average or high");
            }
            let justification = values
                .get(&why_field)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            if justification.chars().count() > MAX_ANSWER {
                errors.add(
                    &why_field,
                    format!("Keep it to {MAX_ANSWER} characters or fewer"),
                );
            }
            ratings.push(Rating {
                principle: p,
                item: (*item).to_owned(),
                risk,
                justification,
            });
        }
    }
    errors.into_result()?;
    let mut tx = db.pool.begin().await?;
    if !store::save_ethics(&mut tx, id, a.state, &ratings, clock::now()).await? {
        return Err(moved_on());
    }
    record(&mut tx, actor, "acquisition.save", id, "ethics", "").await?;
    tx.commit().await?;
    Ok(())
}

/// Every gap before submission: each section's, then the assessment's, each with the form field
/// that the error summary links to (`section/field` or `ethics/field`).
pub fn submission_gaps(a: &Acquisition) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for g in sections::gaps(&a.answers, &a.visited) {
        errors.add(&format!("{}/{}", g.section.slug(), g.field), g.message);
    }
    for g in ethics::gaps(&a.ethics) {
        errors.add(
            &format!("ethics/{}", g.field),
            format!("Ethics self-assessment: {}", g.message),
        );
    }
    errors
}

/// Submits a complete application (or resends one after changes) to data control.
pub async fn submit(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let a = editable(db, actor, id).await?;
    submission_gaps(&a).into_result()?;
    let to =
        decision::transition(a.state, Event::Submit).map_err(|_| refused(a.state, "submitted"))?;
    let now = clock::now();
    let changed = sections::changed(&a.submitted, &a.answers).len();
    let note = if a.revision == 0 {
        "submitted".to_owned()
    } else if a.amending {
        format!("amendment submitted with {changed} answer(s) changed")
    } else {
        format!("resubmitted with {changed} answer(s) changed")
    };
    let mut tx = db.pool.begin().await?;
    let change = Change {
        phase_due: Some(Some(now + Phase::DataControl.days_allowed() * 86_400)),
        submitted: Some(&a.answers),
        ..Change::default()
    };
    move_to(
        &mut tx,
        id,
        a.state,
        to,
        Some(me(actor)),
        &note,
        &change,
        now,
    )
    .await?;
    tell_reviewers(
        &mut tx,
        db,
        &a,
        "An application is waiting for data control",
    )
    .await?;
    record(
        &mut tx,
        actor,
        "acquisition.submit",
        id,
        a.state.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant or a collaborator withdraws it, at any point before a final outcome.
pub async fn withdraw(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let (a, object) = load(db, actor, id).await?;
    authz::check(actor, Action::EditAcquisition, object)?;
    let to = decision::transition(a.state, Event::Withdraw)
        .map_err(|_| refused(a.state, "withdrawn"))?;
    // Withdrawing an amendment keeps the approval it would have changed.
    let (to, note) = if a.amending {
        (
            decision::when_amending(to),
            "amendment withdrawn: the approved terms stand",
        )
    } else {
        (to, "withdrawn")
    };
    let change = Change {
        phase_due: Some(None),
        decided: !a.amending,
        amending: Some(false),
        ..Change::default()
    };
    let mut tx = db.pool.begin().await?;
    move_to(
        &mut tx,
        id,
        a.state,
        to,
        Some(me(actor)),
        note,
        &change,
        clock::now(),
    )
    .await?;
    record(
        &mut tx,
        actor,
        "acquisition.withdraw",
        id,
        a.state.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The applicant or a collaborator amends or renews an approved acquisition (new terms, a later
/// retention date): it returns to them to change and then goes through review again, while the
/// approved terms, dataset and grants stand until it is decided.
pub async fn amend(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let (a, object) = load(db, actor, id).await?;
    authz::check(actor, Action::EditAcquisition, object)?;
    let to = decision::transition(a.state, Event::Amend)
        .map_err(|_| refused(a.state, "amended: only an approved application can be"))?;
    let change = Change {
        phase_due: Some(None),
        amending: Some(true),
        ..Change::default()
    };
    let note = "amendment or renewal started: the approved terms stand until it is decided";
    let mut tx = db.pool.begin().await?;
    move_to(
        &mut tx,
        id,
        a.state,
        to,
        Some(me(actor)),
        note,
        &change,
        clock::now(),
    )
    .await?;
    record(
        &mut tx,
        actor,
        "acquisition.amend",
        id,
        a.state.as_str(),
        to.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the actor may review the application in its current phase.
async fn reviewable(db: &Db, actor: Option<&Actor>, id: i64) -> Result<Acquisition, CoreError> {
    let (a, object) = load(db, actor, id).await?;
    authz::check(actor, Action::ReviewAcquisition, object)?;
    if !a.state.in_review() {
        return Err(refused(a.state, "reviewed"));
    }
    Ok(a)
}

/// A reviewer takes the application's current phase.
pub async fn assign_me(db: &Db, actor: Option<&Actor>, id: i64) -> Result<(), CoreError> {
    let a = reviewable(db, actor, id).await?;
    let phase = a
        .state
        .phase()
        .ok_or_else(|| refused(a.state, "assigned"))?;
    let mut tx = db.pool.begin().await?;
    if store::assign(&mut tx, id, phase, me(actor), clock::now()).await? {
        record(&mut tx, actor, "acquisition.assign", id, "", phase.as_str()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What data control records.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DataControlInput {
    pub lawful_basis: String,
    pub legislation: String,
    pub agreement_ref: String,
    pub classification: String,
}

/// What data control's record led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataControlOutcome {
    /// Both classifications agree and are non-sensitive: on to ethics review.
    Passed,
    /// They differ: recorded, and it stays with data control until they agree.
    Disagree { applicant: String, reviewer: String },
    /// Sensitive: refused for the Campus network, with the reason and where to go instead.
    Refused { reason: String },
}

/// Data control records the legal gateway and its classification; the classification gate then
/// passes the application on, holds it until both agree, or refuses it as sensitive.
pub async fn record_data_control(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    input: &DataControlInput,
) -> Result<DataControlOutcome, CoreError> {
    let a = reviewable(db, actor, id).await?;
    if a.state != State::DataControl {
        return Err(refused(
            a.state,
            "given a legal gateway: data control is done",
        ));
    }
    let mut errors = FieldErrors::new();
    let text = |errors: &mut FieldErrors, key: &str, v: &str, what: &str| {
        let v = v.trim();
        if v.is_empty() {
            errors.add(key, format!("Enter the {what}"));
        } else if v.chars().count() > 500 {
            errors.add(key, format!("Keep the {what} to 500 characters or fewer"));
        }
        v.to_owned()
    };
    let basis = text(
        &mut errors,
        "lawful_basis",
        &input.lawful_basis,
        "lawful basis",
    );
    let legislation = text(
        &mut errors,
        "legislation",
        &input.legislation,
        "legislation",
    );
    let agreement = text(
        &mut errors,
        "agreement_ref",
        &input.agreement_ref,
        "agreement reference",
    );
    let reviewer = Classification::parse(&input.classification);
    if reviewer.is_none() {
        errors.add("classification", "Choose your classification of the work");
    }
    errors.into_result()?;
    let reviewer = reviewer.expect("checked above");
    let applicant = a
        .submitted
        .get("classification")
        .and_then(|c| Classification::parse(c))
        .ok_or_else(|| {
            CoreError::Internal("a submitted application has no classification".into())
        })?;
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    if !store::set_data_control(
        &mut tx,
        id,
        &basis,
        &legislation,
        &agreement,
        reviewer.as_str(),
        now,
    )
    .await?
    {
        return Err(moved_on());
    }
    let after = format!(
        "lawful basis: {basis}; legislation: {legislation}; agreement: {agreement}; classified {} (applicant: {})",
        reviewer.as_str(),
        applicant.as_str()
    );
    record(&mut tx, actor, "acquisition.data_control", id, "", &after).await?;
    let outcome = match classification::gate(applicant, reviewer) {
        Gate::Passed(c) => {
            let route = ethics::route(&a.ethics).unwrap_or(Route::DataEthicsTeam);
            let change = Change {
                phase_due: Some(Some(now + Phase::Ethics.days_allowed() * 86_400)),
                ..Change::default()
            };
            let note = format!(
                "legal gateway recorded; both classified {}; to the {}",
                c.label(),
                route.label().to_lowercase()
            );
            move_to(
                &mut tx,
                id,
                State::DataControl,
                State::Ethics,
                Some(me(actor)),
                &note,
                &change,
                now,
            )
            .await?;
            store::set_route(&mut tx, id, route.as_str(), "").await?;
            tell_applicants(
                &mut tx,
                db,
                &a,
                "Your application passed data control",
                &note,
            )
            .await?;
            DataControlOutcome::Passed
        }
        Gate::Disagree {
            applicant,
            reviewer,
        } => {
            let note = format!(
                "classifications differ: the applicant says {}, data control says {}; they must agree before review goes on",
                applicant.label(),
                reviewer.label()
            );
            store::add_event(
                &mut tx,
                id,
                Some(me(actor)),
                State::DataControl,
                State::DataControl,
                &note,
                now,
            )
            .await?;
            DataControlOutcome::Disagree {
                applicant: applicant.label().to_owned(),
                reviewer: reviewer.label().to_owned(),
            }
        }
        Gate::Refused { .. } => {
            let mut reason = classification::refusal_reason(applicant, reviewer);
            // A refused amendment leaves the approval it would have changed standing.
            let to = if a.amending {
                reason = format!("amendment refused, the approved terms stand: {reason}");
                decision::when_amending(State::Refused)
            } else {
                State::Refused
            };
            let change = Change {
                phase_due: Some(None),
                outcome_reason: (!a.amending).then_some(reason.as_str()),
                decided: !a.amending,
                amending: Some(false),
                ..Change::default()
            };
            move_to(
                &mut tx,
                id,
                State::DataControl,
                to,
                Some(me(actor)),
                &reason,
                &change,
                now,
            )
            .await?;
            record(
                &mut tx,
                actor,
                "acquisition.refuse",
                id,
                "data_control",
                &reason,
            )
            .await?;
            tell_applicants(
                &mut tx,
                db,
                &a,
                "Your application cannot come into the Campus network",
                &reason,
            )
            .await?;
            DataControlOutcome::Refused { reason }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// What an ethics reviewer decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EthicsStep {
    /// The team (or, after referral, the committee) finds it acceptable.
    Clear { note: String },
    /// Referred to the national ethics committee, which meets on this date (YYYY-MM-DD).
    Refer { meeting_date: String },
}

pub async fn ethics_review(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    step: &EthicsStep,
) -> Result<State, CoreError> {
    let a = reviewable(db, actor, id).await?;
    let route = Route::parse(&a.route).unwrap_or(Route::DataEthicsTeam);
    let now = clock::now();
    let mut tx = db.pool.begin().await?;
    let to = match step {
        EthicsStep::Clear { note } => {
            let to = decision::transition(a.state, Event::EthicsCleared)
                .map_err(|_| refused(a.state, "cleared by ethics review"))?;
            ethics::may_clear(route, a.state == State::Referred)
                .map_err(|m| CoreError::field("ethics", capitalise(m)))?;
            let who = if a.state == State::Referred {
                "the national ethics committee"
            } else {
                "the data ethics team"
            };
            let note = match note.trim() {
                "" => format!("cleared by {who}"),
                n => format!("cleared by {who}: {n}"),
            };
            let change = Change {
                phase_due: Some(Some(now + Phase::FinalDecision.days_allowed() * 86_400)),
                ..Change::default()
            };
            move_to(
                &mut tx,
                id,
                a.state,
                to,
                Some(me(actor)),
                &note,
                &change,
                now,
            )
            .await?;
            record(
                &mut tx,
                actor,
                "acquisition.ethics_clear",
                id,
                a.state.as_str(),
                &note,
            )
            .await?;
            tell_reviewers(
                &mut tx,
                db,
                &a,
                "An application is waiting for the final decision",
            )
            .await?;
            to
        }
        EthicsStep::Refer { meeting_date } => {
            let to = decision::transition(a.state, Event::Refer)
                .map_err(|_| refused(a.state, "referred"))?;
            let date = clock::parse_date(meeting_date.trim()).ok_or_else(|| {
                CoreError::field(
                    "meeting_date",
                    "Enter the committee's meeting date, like 2027-01-14",
                )
            })?;
            if date < clock::today() {
                return Err(CoreError::field(
                    "meeting_date",
                    "The meeting date must be today or later",
                ));
            }
            let date = clock::format_date(date);
            let note = format!("referred to the national ethics committee meeting on {date}");
            // The committee's meeting is the deadline now.
            let due = time::PrimitiveDateTime::new(
                clock::parse_date(&date).expect("formatted above"),
                time::Time::MIDNIGHT,
            )
            .assume_utc()
            .unix_timestamp()
                + 86_400;
            let change = Change {
                phase_due: Some(Some(due)),
                ..Change::default()
            };
            move_to(
                &mut tx,
                id,
                a.state,
                to,
                Some(me(actor)),
                &note,
                &change,
                now,
            )
            .await?;
            store::set_route(&mut tx, id, Route::NationalCommittee.as_str(), &date).await?;
            record(
                &mut tx,
                actor,
                "acquisition.refer",
                id,
                a.state.as_str(),
                &note,
            )
            .await?;
            tell_applicants(
                &mut tx,
                db,
                &a,
                "Your application was referred to the national ethics committee",
                &note,
            )
            .await?;
            to
        }
    };
    tx.commit().await?;
    Ok(to)
}

/// A reviewer asks for changes, section by section (section slug → comment); each comment goes
/// back to the applicant beside its section.
pub async fn request_changes(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    comments: &BTreeMap<String, String>,
) -> Result<(), CoreError> {
    let a = reviewable(db, actor, id).await?;
    let comments: Vec<(Section, &str)> = comments
        .iter()
        .filter_map(|(k, v)| Some((Section::parse(k)?, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if comments.is_empty() {
        return Err(CoreError::field(
            "comments",
            "Write a comment on at least one section: it tells the applicant what to change",
        ));
    }
    if let Some((s, _)) = comments
        .iter()
        .find(|(_, v)| v.chars().count() > MAX_ANSWER)
    {
        return Err(CoreError::field(
            &format!("comment-{}", s.slug()),
            format!("Keep the comment to {MAX_ANSWER} characters or fewer"),
        ));
    }
    let to = decision::transition(a.state, Event::RequestChanges)
        .map_err(|_| refused(a.state, "sent back"))?;
    let now = clock::now();
    let note = format!(
        "changes requested to {}",
        comments
            .iter()
            .map(|(s, _)| s.title())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let change = Change {
        phase_due: Some(None),
        ..Change::default()
    };
    let mut tx = db.pool.begin().await?;
    move_to(
        &mut tx,
        id,
        a.state,
        to,
        Some(me(actor)),
        &note,
        &change,
        now,
    )
    .await?;
    for (s, body) in &comments {
        store::add_comment(&mut tx, id, a.revision, s.slug(), body, me(actor), now).await?;
    }
    record(
        &mut tx,
        actor,
        "acquisition.changes",
        id,
        a.state.as_str(),
        &note,
    )
    .await?;
    tell_applicants(
        &mut tx,
        db,
        &a,
        "Changes were requested to your application",
        &note,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What came of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decided {
    /// One approval recorded; a second reviewer must approve.
    FirstApproval,
    Approved,
    Rejected,
}

/// A reviewer approves (with conditions) or rejects. Approval is only at the final decision and
/// needs two distinct reviewers; rejection at any review phase needs a reason. Either needs a
/// sign-in within the last 15 minutes (`signed_in_at`, Unix seconds; `None` for API tokens).
pub async fn decide(
    db: &Db,
    actor: Option<&Actor>,
    id: i64,
    signed_in_at: Option<i64>,
    verdict: &Verdict,
) -> Result<Decided, CoreError> {
    let a = reviewable(db, actor, id).await?;
    let now = clock::now();
    let mut conn = db.pool.acquire().await?;
    let approved_by: Vec<i64> = store::approvals(&mut conn, id, a.revision)
        .await?
        .into_iter()
        .map(|x| x.0)
        .collect();
    drop(conn);
    let mut applicants = vec![a.applicant_id];
    applicants.extend(store::collaborators(db, id).await?.into_iter().map(|c| c.0));
    decision::may_decide(
        me(actor),
        signed_in_at.unwrap_or(i64::MIN / 2),
        now,
        &applicants,
        &approved_by,
        verdict,
    )
    .map_err(|e| {
        let field = match e {
            decision::DecisionRefused::ReasonRequired => "reason",
            _ => "decision",
        };
        CoreError::field(field, capitalise(&e.to_string()))
    })?;
    let mut tx = db.begin_write().await?;
    let outcome = match verdict {
        Verdict::Approve { conditions } => {
            if a.state != State::FinalDecision {
                return Err(refused(
                    a.state,
                    "approved yet: it has not reached the final decision",
                ));
            }
            // The application is taken before its approvals are counted, so a second reviewer
            // approving at the same moment counts after this one, not beside it.
            if !store::claim(&mut tx, id, State::FinalDecision, a.revision, now).await? {
                return Err(moved_on());
            }
            let approved_by: Vec<i64> = store::approvals(&mut tx, id, a.revision)
                .await?
                .into_iter()
                .map(|x| x.0)
                .collect();
            let conditions: Vec<String> = conditions
                .iter()
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect();
            if !store::add_approval(&mut tx, id, a.revision, me(actor), &conditions, now).await? {
                return Err(CoreError::field(
                    "decision",
                    decision::DecisionRefused::AlreadyApproved.to_string(),
                ));
            }
            let listed = if conditions.is_empty() {
                "no conditions".to_owned()
            } else {
                format!("conditions: {}", conditions.join("; "))
            };
            if decision::approved_after(&approved_by, me(actor)) {
                // The conditions of every approval apply.
                let mut all: Vec<String> = store::approvals(&mut tx, id, a.revision)
                    .await?
                    .into_iter()
                    .flat_map(|x| x.2)
                    .collect();
                all.dedup();
                let note = format!("approved by a second reviewer, {listed}");
                let change = Change {
                    phase_due: Some(None),
                    conditions: Some(&all),
                    decided: true,
                    amending: Some(false),
                    ..Change::default()
                };
                move_to(
                    &mut tx,
                    id,
                    State::FinalDecision,
                    State::Approved,
                    Some(me(actor)),
                    &note,
                    &change,
                    now,
                )
                .await?;
                record(
                    &mut tx,
                    actor,
                    "acquisition.approve",
                    id,
                    "final_decision",
                    &note,
                )
                .await?;
                // The dataset the approved data will come into, carrying the conditions.
                // An approved amendment or renewal gives the existing dataset its new terms.
                let get = |k: &str| a.submitted.get(k).cloned().unwrap_or_default();
                let terms = crate::store::datasets::NewDataset {
                    acquisition_id: id,
                    title: &a.title,
                    description: &get("lay_summary"),
                    source: &get("supplier"),
                    licence: &get("licence"),
                    classification: &a.reviewer_class,
                    conditions: &all,
                    owner_id: a.applicant_id,
                    retention_date: &get("retention_date"),
                };
                let dataset_id = if a.amending {
                    crate::store::datasets::update_terms(&mut tx, id, &terms).await?
                } else {
                    Some(crate::store::datasets::insert(&mut tx, &terms, now).await?)
                };
                if let Some(dataset_id) = dataset_id {
                    crate::services::datasets::index(&mut tx, dataset_id, &terms, now).await?;
                }
                let body = if all.is_empty() {
                    "Approved without conditions.".to_owned()
                } else {
                    format!("Approved with conditions: {}", all.join("; "))
                };
                tell_applicants(&mut tx, db, &a, "Your application was approved", &body).await?;
                Decided::Approved
            } else {
                let note = format!("first approval, {listed}; a second reviewer must approve");
                store::add_event(&mut tx, id, Some(me(actor)), a.state, a.state, &note, now)
                    .await?;
                record(&mut tx, actor, "acquisition.approve", id, "", &note).await?;
                Decided::FirstApproval
            }
        }
        Verdict::Reject { reason } => {
            let to = decision::transition(a.state, Event::Reject)
                .map_err(|_| refused(a.state, "rejected"))?;
            let reason = reason.trim();
            // A rejected amendment leaves the approval it would have changed standing.
            let (to, note) = if a.amending {
                (
                    decision::when_amending(to),
                    format!("amendment rejected, the approved terms stand: {reason}"),
                )
            } else {
                (to, reason.to_owned())
            };
            let change = Change {
                phase_due: Some(None),
                outcome_reason: (!a.amending).then_some(reason),
                decided: !a.amending,
                amending: Some(false),
                ..Change::default()
            };
            move_to(
                &mut tx,
                id,
                a.state,
                to,
                Some(me(actor)),
                &note,
                &change,
                now,
            )
            .await?;
            record(
                &mut tx,
                actor,
                "acquisition.reject",
                id,
                a.state.as_str(),
                reason,
            )
            .await?;
            tell_applicants(&mut tx, db, &a, "Your application was rejected", reason).await?;
            Decided::Rejected
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// One entry of the public data-use register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntry {
    pub id: i64,
    pub title: String,
    pub organisation: String,
    pub lay_summary: String,
    pub public_benefit: String,
    pub datasets: Vec<String>,
    pub legal_basis: String,
    pub start_date: String,
    pub end_date: String,
}

/// Every approved acquisition, as the public sees it: no account needed, and nothing beyond
/// what the register publishes.
pub async fn register(db: &Db) -> Result<Vec<RegisterEntry>, CoreError> {
    let approved = store::on_register(db).await?;
    let mut out: Vec<RegisterEntry> = approved
        .into_iter()
        .map(|a| {
            let get = |k: &str| a.submitted.get(k).cloned().unwrap_or_default();
            RegisterEntry {
                id: a.id,
                title: a.title.clone(),
                organisation: get("organisation"),
                lay_summary: get("lay_summary"),
                public_benefit: get("public_benefit"),
                datasets: vec![format!(
                    "{} ({}), from {}",
                    get("format"),
                    get("volume"),
                    get("supplier")
                )],
                legal_basis: format!("{} under {}", a.lawful_basis, a.legislation),
                start_date: a
                    .decided_at
                    .map(|t| clock::format_utc(t).chars().take(10).collect())
                    .unwrap_or_default(),
                end_date: get("deletion_date"),
            }
        })
        .collect();
    out.sort_by(|x, y| y.start_date.cmp(&x.start_date).then(y.id.cmp(&x.id)));
    Ok(out)
}

/// Reminds each phase's reviewers before and after its deadline, once each. Returns how many
/// reminders went.
pub async fn remind_deadlines(db: &Db, now: i64) -> Result<usize, CoreError> {
    let mut sent = 0;
    let waiting = store::in_states(
        db,
        &[
            State::DataControl,
            State::Ethics,
            State::Referred,
            State::FinalDecision,
        ],
    )
    .await?;
    for a in waiting {
        let (Some(due), Some(phase)) = (a.phase_due, a.state.phase()) else {
            continue;
        };
        let Some(which) = decision::reminder_due(due, now, &a.reminded) else {
            continue;
        };
        if !store::mark_reminded(db, a.id, which, &a.reminded).await? {
            continue;
        }
        let assigned: Vec<i64> = store::reviewers(db, a.id)
            .await?
            .into_iter()
            .filter(|r| r.0 == phase)
            .map(|r| r.1)
            .collect();
        let mut tx = db.pool.begin().await?;
        let to = if assigned.is_empty() {
            users::ids_with_role(&mut tx, Role::Reviewer).await?
        } else {
            assigned
        };
        let due_on: String = clock::format_utc(due).chars().take(10).collect();
        let subject = if which == "before" {
            format!("{} is due by {due_on}", phase.label())
        } else {
            format!("{} is overdue since {due_on}", phase.label())
        };
        for u in to {
            if u != a.applicant_id {
                notifications::insert(
                    &mut tx,
                    u,
                    &subject,
                    &a.title,
                    &format!("/acquisitions/{}", a.id),
                    now,
                )
                .await?;
                sent += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}
