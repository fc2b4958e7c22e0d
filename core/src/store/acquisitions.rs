//! Data acquisitions: the application, its collaborators, reviewers, approvals, comments and its
//! decision path. Answers, ratings and conditions are JSON text (the same on both backends).

use crate::acquisitions::decision::{Phase, State};
use crate::acquisitions::ethics::Rating;
use crate::acquisitions::sections::{Answers, Section};
use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquisition {
    pub id: i64,
    pub applicant_id: i64,
    pub applicant_name: String,
    pub title: String,
    pub state: State,
    pub answers: Answers,
    pub visited: Vec<Section>,
    pub ethics: Vec<Rating>,
    /// What was last submitted, for the changes a resubmission shows.
    pub submitted: Answers,
    /// The submission before that one (empty before a resubmission).
    pub previous: Answers,
    pub revision: i64,
    pub reviewer_class: String,
    pub lawful_basis: String,
    pub legislation: String,
    pub agreement_ref: String,
    pub route: String,
    pub committee_date: String,
    pub phase_due: Option<i64>,
    pub reminded: String,
    pub outcome_reason: String,
    pub conditions: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub decided_at: Option<i64>,
    /// An approved acquisition being amended or renewed: its approved terms stand meanwhile.
    pub amending: bool,
}

const SELECT: &str = "SELECT a.id, a.applicant_id, u.display_name AS applicant_name, a.title, \
     a.state, a.answers, a.visited, a.ethics, a.submitted, a.previous, a.revision, a.reviewer_class, \
     a.lawful_basis, a.legislation, a.agreement_ref, a.route, a.committee_date, a.phase_due, \
     a.reminded, a.outcome_reason, a.conditions, a.created_at, a.updated_at, a.decided_at, \
     a.amending \
     FROM acquisitions a JOIN users u ON u.id = a.applicant_id";

fn decode_err(what: &str, v: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unreadable {what} {v:?}").into())
}

fn json<T: serde::de::DeserializeOwned>(
    r: &sqlx::any::AnyRow,
    col: &str,
) -> Result<T, sqlx::Error> {
    let text: String = r.try_get(col)?;
    serde_json::from_str(&text).map_err(|_| decode_err(col, &text))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Acquisition, sqlx::Error> {
    let state: String = r.try_get("state")?;
    Ok(Acquisition {
        id: r.try_get("id")?,
        applicant_id: r.try_get("applicant_id")?,
        applicant_name: r.try_get("applicant_name")?,
        title: r.try_get("title")?,
        state: State::parse(&state).ok_or_else(|| decode_err("state", &state))?,
        answers: json(r, "answers")?,
        visited: json(r, "visited")?,
        ethics: json(r, "ethics")?,
        submitted: json(r, "submitted")?,
        previous: json(r, "previous")?,
        revision: r.try_get("revision")?,
        reviewer_class: r.try_get("reviewer_class")?,
        lawful_basis: r.try_get("lawful_basis")?,
        legislation: r.try_get("legislation")?,
        agreement_ref: r.try_get("agreement_ref")?,
        route: r.try_get("route")?,
        committee_date: r.try_get("committee_date")?,
        phase_due: r.try_get("phase_due")?,
        reminded: r.try_get("reminded")?,
        outcome_reason: r.try_get("outcome_reason")?,
        conditions: json(r, "conditions")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        decided_at: r.try_get("decided_at")?,
        amending: r.try_get::<i64, _>("amending")? == 1,
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

/// Starts a draft with its first event.
pub async fn insert(
    conn: &mut AnyConnection,
    applicant_id: i64,
    title: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let answers = Answers::from([("title".to_owned(), title.to_owned())]);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO acquisitions (applicant_id, title, answers, visited, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(applicant_id)
    .bind(title)
    .bind(to_json(&answers))
    .bind(to_json(&[Section::Purpose]))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    add_event(
        conn,
        id,
        Some(applicant_id),
        State::Draft,
        State::Draft,
        "started",
        now,
    )
    .await?;
    Ok(id)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Acquisition>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Applications the user made or collaborates on, newest first, older than `before`.
pub async fn for_member(
    db: &Db,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Acquisition>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE (a.applicant_id = $1 OR a.id IN \
         (SELECT acquisition_id FROM acquisition_collaborators WHERE user_id = $1)) \
         AND a.id < $2 ORDER BY a.id DESC LIMIT $3"
    ))
    .bind(user_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn in_states(db: &Db, states: &[State]) -> Result<Vec<Acquisition>, sqlx::Error> {
    let list: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE a.state IN ({}) ORDER BY a.phase_due, a.id",
        list.join(", ")
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What the public register shows: approved acquisitions, those being amended included.
pub async fn on_register(db: &Db) -> Result<Vec<Acquisition>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE a.state = 'approved' OR a.amending = 1 ORDER BY a.id"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Saves the applicant's answers (and the sections saved so far), only while the application is
/// in `state`: false means it moved on and nothing was saved.
pub async fn save_answers(
    conn: &mut AnyConnection,
    id: i64,
    state: State,
    answers: &Answers,
    visited: &[Section],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let title = answers.get("title").map(|t| t.trim()).unwrap_or_default();
    let done = sqlx::query(
        "UPDATE acquisitions SET answers = $1, visited = $2, title = $3, updated_at = $4 \
         WHERE id = $5 AND state = $6",
    )
    .bind(to_json(answers))
    .bind(to_json(&visited))
    .bind(title)
    .bind(now)
    .bind(id)
    .bind(state.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn save_ethics(
    conn: &mut AnyConnection,
    id: i64,
    state: State,
    ratings: &[Rating],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE acquisitions SET ethics = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to_json(&ratings))
    .bind(now)
    .bind(id)
    .bind(state.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a change of state also sets.
#[derive(Debug, Default)]
pub struct Change<'a> {
    /// A new phase's deadline (and its reminders start again).
    pub phase_due: Option<Option<i64>>,
    /// A submission: the answers as submitted and the next revision.
    pub submitted: Option<&'a Answers>,
    pub outcome_reason: Option<&'a str>,
    pub conditions: Option<&'a [String]>,
    pub decided: bool,
    /// Starts (`Some(true)`) or ends (`Some(false)`) an amendment.
    pub amending: Option<bool>,
}

/// Moves an application from `from` to `to` and records the step, only if it is still in
/// `from`: false means someone else moved it first and nothing was changed.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    conn: &mut AnyConnection,
    id: i64,
    from: State,
    to: State,
    actor_id: Option<i64>,
    note: &str,
    change: &Change<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE acquisitions SET state = $1, updated_at = $2, \
         phase_due = CASE WHEN $3 = 1 THEN $4 ELSE phase_due END, \
         reminded = CASE WHEN $3 = 1 THEN '' ELSE reminded END, \
         previous = CASE WHEN $5 = '' THEN previous ELSE submitted END, \
         submitted = CASE WHEN $5 = '' THEN submitted ELSE $5 END, \
         revision = CASE WHEN $5 = '' THEN revision ELSE revision + 1 END, \
         outcome_reason = CASE WHEN $6 = 1 THEN $7 ELSE outcome_reason END, \
         conditions = CASE WHEN $8 = '' THEN conditions ELSE $8 END, \
         decided_at = CASE WHEN $9 = 1 THEN $2 ELSE decided_at END, \
         amending = CASE WHEN $12 < 0 THEN amending ELSE $12 END \
         WHERE id = $10 AND state = $11",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(change.phase_due.is_some() as i64)
    .bind(change.phase_due.flatten())
    .bind(change.submitted.map(to_json).unwrap_or_default())
    .bind(change.outcome_reason.is_some() as i64)
    .bind(change.outcome_reason.unwrap_or_default())
    .bind(change.conditions.map(|c| to_json(&c)).unwrap_or_default())
    .bind(change.decided as i64)
    .bind(id)
    .bind(from.as_str())
    .bind(change.amending.map(i64::from).unwrap_or(-1))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    add_event(conn, id, actor_id, from, to, note, now).await?;
    Ok(true)
}

/// Data control's record: the legal gateway and its classification of the work.
pub async fn set_data_control(
    conn: &mut AnyConnection,
    id: i64,
    lawful_basis: &str,
    legislation: &str,
    agreement_ref: &str,
    reviewer_class: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE acquisitions SET lawful_basis = $1, legislation = $2, agreement_ref = $3, \
         reviewer_class = $4, updated_at = $5 WHERE id = $6 AND state = 'data_control'",
    )
    .bind(lawful_basis)
    .bind(legislation)
    .bind(agreement_ref)
    .bind(reviewer_class)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The ethics route taken, and the committee's meeting date when referred.
pub async fn set_route(
    conn: &mut AnyConnection,
    id: i64,
    route: &str,
    committee_date: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE acquisitions SET route = $1, committee_date = $2 WHERE id = $3")
        .bind(route)
        .bind(committee_date)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

pub async fn mark_reminded(db: &Db, id: i64, which: &str, was: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE acquisitions SET reminded = $1 WHERE id = $2 AND reminded = $3")
        .bind(which)
        .bind(id)
        .bind(was)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn add_event(
    conn: &mut AnyConnection,
    id: i64,
    actor_id: Option<i64>,
    from: State,
    to: State,
    note: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO acquisition_events (acquisition_id, at, actor_id, from_state, to_state, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(now)
    .bind(actor_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: i64,
    pub actor_name: Option<String>,
    pub from: String,
    pub to: String,
    pub note: String,
}

pub async fn events(db: &Db, id: i64) -> Result<Vec<Event>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT e.at, u.display_name, e.from_state, e.to_state, e.note FROM acquisition_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.acquisition_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get(0)?,
                actor_name: r.try_get(1)?,
                from: r.try_get(2)?,
                to: r.try_get(3)?,
                note: r.try_get(4)?,
            })
        })
        .collect()
}

/// (user id, display name) of each collaborator.
pub async fn collaborators(db: &Db, id: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.username FROM acquisition_collaborators c JOIN users u ON u.id = c.user_id \
         WHERE c.acquisition_id = $1 ORDER BY u.username",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn set_collaborators(
    conn: &mut AnyConnection,
    id: i64,
    user_ids: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM acquisition_collaborators WHERE acquisition_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for u in user_ids {
        sqlx::query(
            "INSERT INTO acquisition_collaborators (acquisition_id, user_id) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(u)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Assigns a reviewer to a phase; assigning twice changes nothing.
pub async fn assign(
    conn: &mut AnyConnection,
    id: i64,
    phase: Phase,
    user_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO acquisition_reviewers (acquisition_id, phase, user_id, assigned_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(phase.as_str())
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// (phase, user id, display name) of everyone assigned.
pub async fn reviewers(db: &Db, id: i64) -> Result<Vec<(Phase, i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.phase, u.id, u.display_name FROM acquisition_reviewers r \
         JOIN users u ON u.id = r.user_id WHERE r.acquisition_id = $1 ORDER BY r.assigned_at, u.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let phase: String = r.try_get(0)?;
            Ok((
                Phase::parse(&phase).ok_or_else(|| decode_err("phase", &phase))?,
                r.try_get(1)?,
                r.try_get(2)?,
            ))
        })
        .collect()
}

/// Takes the application for one change: true only if it is still in `state` at `revision`.
/// On PostgreSQL the row stays locked until the transaction ends.
pub async fn claim(
    conn: &mut AnyConnection,
    id: i64,
    state: State,
    revision: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE acquisitions SET updated_at = $4 WHERE id = $1 AND state = $2 AND revision = $3",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(revision)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A final-decision approval of one submission; false if this reviewer had already approved it.
pub async fn add_approval(
    conn: &mut AnyConnection,
    id: i64,
    revision: i64,
    reviewer_id: i64,
    conditions: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO acquisition_approvals (acquisition_id, revision, reviewer_id, conditions, at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(revision)
    .bind(reviewer_id)
    .bind(to_json(&conditions))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// (reviewer id, display name, conditions) of each approval of one submission.
pub async fn approvals(
    conn: &mut AnyConnection,
    id: i64,
    revision: i64,
) -> Result<Vec<(i64, String, Vec<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.reviewer_id, u.display_name, a.conditions FROM acquisition_approvals a \
         JOIN users u ON u.id = a.reviewer_id WHERE a.acquisition_id = $1 AND a.revision = $2 \
         ORDER BY a.at, a.reviewer_id",
    )
    .bind(id)
    .bind(revision)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, json(r, "conditions")?)))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub revision: i64,
    pub section: String,
    pub body: String,
    pub author_name: String,
    pub at: i64,
}

pub async fn add_comment(
    conn: &mut AnyConnection,
    id: i64,
    revision: i64,
    section: &str,
    body: &str,
    author_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO acquisition_comments (acquisition_id, revision, section, body, author_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(revision)
    .bind(section)
    .bind(body)
    .bind(author_id)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

pub async fn comments(db: &Db, id: i64) -> Result<Vec<Comment>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.revision, c.section, c.body, u.display_name, c.at FROM acquisition_comments c \
         JOIN users u ON u.id = c.author_id WHERE c.acquisition_id = $1 ORDER BY c.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Comment {
                revision: r.try_get(0)?,
                section: r.try_get(1)?,
                body: r.try_get(2)?,
                author_name: r.try_get(3)?,
                at: r.try_get(4)?,
            })
        })
        .collect()
}
