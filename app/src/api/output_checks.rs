//! Output checks for pages: the checkers' queue, one check's record, and what the form asking
//! for a check shows.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputCheckRow {
    pub id: i64,
    pub request_id: i64,
    pub project: String,
    pub requester: String,
    pub state: String,
    pub state_label: String,
    /// The design system's status tone for the state.
    pub tone: String,
    pub round: i64,
    pub asked: String,
    /// When the checkers are due to have decided, while they are asked to.
    pub due: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItemView {
    pub key: String,
    pub statement: String,
    /// The kinds of output it is asked of, in words ("tables, charts").
    pub applies_to: String,
    /// The kinds' codes, for the form to say which answers count.
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerView {
    pub statement: String,
    pub answer: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputView {
    /// Counted from 1, as checkers' comments name it.
    pub number: usize,
    pub name: String,
    pub kind: String,
    pub shows: String,
    pub answers: Vec<AnswerView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub round: i64,
    pub checker: String,
    pub verdict: String,
    pub reason: String,
    /// (output number, comment)
    pub comments: Vec<(usize, String)>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFileView {
    pub path: String,
    pub size: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputCheckView {
    pub row: OutputCheckRow,
    pub service: String,
    pub project_id: i64,
    /// Why it was rejected.
    pub reason: String,
    /// The current round's snapshot: what is checked, and what is released if approved.
    pub digest: String,
    pub size: String,
    pub submitted: String,
    pub outputs: Vec<OutputView>,
    pub files: Vec<SnapshotFileView>,
    /// Earlier rounds: (round, digest, submitted).
    pub earlier: Vec<(i64, String, String)>,
    pub decisions: Vec<DecisionView>,
    pub may_decide: bool,
    pub may_withdraw: bool,
    pub may_resubmit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskCheckView {
    pub request_id: i64,
    pub service: String,
    pub project_id: i64,
    pub project: String,
    /// (code, label) of each kind of output.
    pub kinds: Vec<(String, String)>,
    pub items: Vec<ChecklistItemView>,
    /// The check this sends a new snapshot for, after its checkers asked for changes.
    pub resubmitting: Option<i64>,
    /// The form's fields as that check's last round had them.
    pub previous: BTreeMap<String, String>,
    pub previous_count: usize,
    /// The checkers' comments on that round: (output number, checker, comment).
    pub comments: Vec<(usize, String, String)>,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use campus_core::clock;
    use campus_core::output_checks::checklist::{Item, Output, OutputKind};
    use campus_core::output_checks::review::State;
    use campus_core::store::output_checks::Check;

    fn tone(s: State) -> &'static str {
        match s {
            State::Approved => "success",
            State::Rejected => "error",
            State::Withdrawn | State::Lapsed => "dead",
            State::ChangesRequested => "info",
            State::Submitted => "pending",
        }
    }

    pub fn date(t: i64) -> String {
        clock::format_utc(t).chars().take(10).collect()
    }

    pub fn row(c: &Check) -> OutputCheckRow {
        let waiting = c.state == State::Submitted;
        OutputCheckRow {
            id: c.id,
            request_id: c.resource_id,
            project: c.project_name.clone(),
            requester: c.requester_name.clone(),
            state: c.state.as_str().to_owned(),
            state_label: c.state.label().to_owned(),
            tone: tone(c.state).to_owned(),
            round: c.round,
            asked: date(c.created_at),
            due: if waiting {
                date(c.due_at)
            } else {
                String::new()
            },
            overdue: waiting && c.due_at < clock::now(),
        }
    }

    pub fn item(it: &Item) -> ChecklistItemView {
        ChecklistItemView {
            key: it.key.clone(),
            statement: it.statement.clone(),
            applies_to: it
                .applies_to
                .iter()
                .map(|k| kind_plural(*k))
                .collect::<Vec<_>>()
                .join(", "),
            kinds: it
                .applies_to
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
        }
    }

    fn kind_plural(k: OutputKind) -> &'static str {
        match k {
            OutputKind::Table => "tables",
            OutputKind::Chart => "charts and maps",
            OutputKind::Model => "models",
            OutputKind::Code => "code",
            OutputKind::Document => "reports",
        }
    }

    pub fn answer_label(answer: &str) -> &'static str {
        match answer {
            "yes" => "Yes",
            "no" => "No",
            _ => "Does not apply",
        }
    }

    pub fn outputs(outputs: &[Output], items: &[Item]) -> Vec<OutputView> {
        outputs
            .iter()
            .enumerate()
            .map(|(i, o)| OutputView {
                number: i + 1,
                name: o.name.clone(),
                kind: o.kind.label().to_owned(),
                shows: o.shows.clone(),
                answers: o
                    .answers
                    .iter()
                    .map(|(key, a)| AnswerView {
                        statement: items
                            .iter()
                            .find(|it| &it.key == key)
                            .map(|it| it.statement.clone())
                            .unwrap_or_else(|| key.clone()),
                        answer: answer_label(a.as_str()).to_owned(),
                        why: a.why().to_owned(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The ask form's fields filled from a submitted round, named as the form names them.
    pub fn form_values(outputs: &[Output]) -> BTreeMap<String, String> {
        let mut values = BTreeMap::new();
        for (i, o) in outputs.iter().enumerate() {
            values.insert(format!("outputs.{i}.name"), o.name.clone());
            values.insert(format!("outputs.{i}.kind"), o.kind.as_str().to_owned());
            values.insert(format!("outputs.{i}.shows"), o.shows.clone());
            for (key, a) in &o.answers {
                values.insert(format!("outputs.{i}.{key}"), a.as_str().to_owned());
                values.insert(format!("outputs.{i}.{key}.why"), a.why().to_owned());
            }
        }
        values
    }

    pub fn verdict_label(v: &str) -> &'static str {
        match v {
            "approve" => "Approved",
            "request_changes" => "Asked for changes",
            _ => "Rejected",
        }
    }
}

/// Checks waiting for output checkers, oldest first.
#[server(prefix = "/_sf", endpoint = "list_output_checks")]
pub async fn list_output_checks() -> Result<Vec<OutputCheckRow>, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let list = campus_core::services::output_checks::queue(&db, actor.as_ref()).await?;
    Ok(list.iter().map(convert::row).collect())
}

#[server(prefix = "/_sf", endpoint = "get_output_check")]
pub async fn get_output_check(id: i64) -> Result<OutputCheckView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let d = campus_core::services::output_checks::detail(&db, actor.as_ref(), id).await?;
    let current = d.rounds.iter().find(|r| r.round == d.check.round);
    Ok(OutputCheckView {
        row: convert::row(&d.check),
        service: d.service.clone(),
        project_id: d.check.project_id,
        reason: d.check.reason.clone(),
        digest: current.map(|r| r.digest.clone()).unwrap_or_default(),
        size: current
            .map(|r| campus_core::units::bytes(r.size_bytes.max(0) as u64))
            .unwrap_or_default(),
        submitted: current
            .map(|r| campus_core::clock::format_utc(r.submitted_at))
            .unwrap_or_default(),
        outputs: current
            .map(|r| convert::outputs(&r.outputs, &r.items))
            .unwrap_or_default(),
        files: d
            .files
            .iter()
            .map(|f| SnapshotFileView {
                path: f.path.clone(),
                size: campus_core::units::bytes(f.size),
                sha256: f.sha256.clone(),
            })
            .collect(),
        earlier: d
            .rounds
            .iter()
            .filter(|r| r.round != d.check.round)
            .map(|r| {
                (
                    r.round,
                    r.digest.clone(),
                    campus_core::clock::format_utc(r.submitted_at),
                )
            })
            .collect(),
        decisions: d
            .decisions
            .iter()
            .map(|x| DecisionView {
                round: x.round,
                checker: x.checker_name.clone(),
                verdict: convert::verdict_label(&x.verdict).to_owned(),
                reason: x.reason.clone(),
                comments: x.comments.iter().map(|(i, t)| (i + 1, t.clone())).collect(),
                at: campus_core::clock::format_utc(x.decided_at),
            })
            .collect(),
        may_decide: d.may.decide,
        may_withdraw: d.may.withdraw,
        may_resubmit: d.may.resubmit,
    })
}

/// What the form asking for a web service's check needs; refused when asking would be.
#[server(prefix = "/_sf", endpoint = "get_output_check_form")]
pub async fn get_output_check_form(request_id: i64) -> Result<AskCheckView, AppError> {
    use campus_core::output_checks::checklist::OutputKind;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let c =
        campus_core::services::output_checks::ask_context(&db, actor.as_ref(), request_id).await?;
    let (previous, previous_count) = match &c.changes_asked {
        Some((_, round)) => (convert::form_values(&round.outputs), round.outputs.len()),
        None => (BTreeMap::new(), 0),
    };
    Ok(AskCheckView {
        request_id,
        service: c.service,
        project_id: c.project_id,
        project: c.project_name,
        kinds: OutputKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
            .collect(),
        items: c.items.iter().map(convert::item).collect(),
        resubmitting: c.changes_asked.as_ref().map(|(check, _)| check.id),
        previous,
        previous_count,
        comments: c
            .comments
            .iter()
            .flat_map(|d| {
                d.comments
                    .iter()
                    .map(|(i, t)| (i + 1, d.checker_name.clone(), t.clone()))
            })
            .collect(),
    })
}

/// A web service's checks for its page, newest first; none for other kinds of resource.
#[cfg(feature = "ssr")]
pub(crate) async fn checks_of(
    db: &campus_core::db::Db,
    actor: Option<&campus_core::authz::Actor>,
    request_id: i64,
) -> Result<(Vec<OutputCheckRow>, bool), AppError> {
    let list = campus_core::services::output_checks::for_resource(db, actor, request_id).await?;
    let may_ask = campus_core::services::output_checks::ask_context(db, actor, request_id)
        .await
        .is_ok();
    Ok((list.iter().map(convert::row).collect(), may_ask))
}
