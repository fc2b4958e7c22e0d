//! Form posts for output checks: a project asks for one (or sends a new snapshot), a checker
//! decides, the requester or lead withdraws.

use crate::auth::actor::Acting;
use crate::state::AppState;
use crate::web::flash::{back_to_form, field, finish, notice, refused, see_other};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use campus_core::authz::Denied;
use campus_core::output_checks::checklist::{self, Answer, Output, OutputKind};
use campus_core::output_checks::review::{State as CheckState, Verdict};
use campus_core::services::output_checks as checks;
use campus_core::{CoreError, FieldErrors};
use std::collections::BTreeMap;
use tower_sessions::Session;

type Fields = BTreeMap<String, String>;

/// The most outputs one form holds; more is a sign of a form not typed by a person.
const MOST_OUTPUTS: usize = 20;

fn ask_page(id: i64) -> String {
    format!("/requests/{id}/output-check")
}

fn check_page(id: i64) -> String {
    format!("/output-checks/{id}")
}

/// The outputs as typed: `outputs.N.name`, `.kind`, `.shows`, and for each checklist item that
/// applies to the kind chosen, `outputs.N.KEY` (yes, no, not_applicable) with `outputs.N.KEY.why`.
/// Blocks left wholly empty are skipped. Returns the outputs with the form position of each, so
/// the core's messages (which count the outputs it was given) go beside the right fields.
fn outputs_from(f: &Fields, count: usize) -> Result<(Vec<Output>, Vec<usize>), FieldErrors> {
    let items = checklist::default_items();
    let mut errors = FieldErrors::new();
    let mut outputs = Vec::new();
    let mut positions = Vec::new();
    for i in 0..count {
        let at = |k: &str| field(f, &format!("outputs.{i}.{k}"));
        let (name, kind, shows) = (at("name"), at("kind"), at("shows"));
        let answered = items.iter().any(|it| !at(&it.key).is_empty());
        if name.trim().is_empty() && kind.is_empty() && shows.trim().is_empty() && !answered {
            continue;
        }
        let Some(kind) = OutputKind::parse(kind.trim()) else {
            errors.add(
                &format!("outputs.{i}.kind"),
                "Choose what this output is: a table, chart, model, code or report",
            );
            continue;
        };
        let mut answers = BTreeMap::new();
        for it in items.iter().filter(|it| it.applies_to.contains(&kind)) {
            let given = at(&it.key);
            if given.is_empty() {
                continue;
            }
            match Answer::parse(&given, &at(&format!("{}.why", it.key))) {
                Some(a) => {
                    answers.insert(it.key.clone(), a);
                }
                None => errors.add(
                    &format!("outputs.{i}.{}", it.key),
                    "Answer yes, no or does not apply",
                ),
            }
        }
        outputs.push(Output {
            name: name.trim().to_owned(),
            kind,
            shows: shows.trim().to_owned(),
            answers,
        });
        positions.push(i);
    }
    if errors.is_empty() {
        Ok((outputs, positions))
    } else {
        Err(errors)
    }
}

/// The core's `outputs.N…` fields renamed to the form's positions.
fn to_form_fields(errors: FieldErrors, positions: &[usize]) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|(name, message)| {
                let renamed = name
                    .strip_prefix("outputs.")
                    .and_then(|rest| {
                        let (n, tail) = rest.split_once('.').unwrap_or((rest, ""));
                        let at = positions.get(n.parse::<usize>().ok()?)?;
                        Some(if tail.is_empty() {
                            format!("outputs.{at}")
                        } else {
                            format!("outputs.{at}.{tail}")
                        })
                    })
                    .unwrap_or(name);
                (renamed, message)
            })
            .collect(),
    )
}

/// POST /requests/{id}/output-checks: `action=add` comes back with one more output's fields;
/// otherwise the service's files are frozen and the check asked for (or a new snapshot sent).
pub async fn ask(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(mut f): Form<Fields>,
) -> Response {
    let Some(actor) = actor else {
        return refused(CoreError::Denied(Denied::NotSignedIn));
    };
    let count = field(&f, "count")
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, MOST_OUTPUTS);
    if field(&f, "action") == "add" {
        // Nothing is checked or kept beyond the session: the page comes back with what was
        // typed and room for one more.
        if let Err(e) = checks::ask_context(&state.db, Some(&actor), id).await {
            return refused(e);
        }
        f.insert("count".into(), (count + 1).min(MOST_OUTPUTS).to_string());
        return back_to_form(
            &session,
            "ask-output-check",
            f,
            FieldErrors::new(),
            &ask_page(id),
        )
        .await;
    }
    let (outputs, positions) = match outputs_from(&f, count) {
        Ok(read) => read,
        Err(errors) => {
            return back_to_form(&session, "ask-output-check", f, errors, &ask_page(id)).await
        }
    };
    let submitted = crate::provision::snapshot::submit_for_check(
        &state.db,
        &state.config.provisioning,
        &actor,
        id,
        outputs,
    )
    .await;
    match submitted {
        Ok(check) => {
            notice(
                &session,
                "The service's files are frozen and two output checkers have been asked. Its page says what they decide.",
            )
            .await;
            see_other(&check_page(check))
        }
        Err(CoreError::Invalid(errors)) => {
            let errors = to_form_fields(errors, &positions);
            back_to_form(&session, "ask-output-check", f, errors, &ask_page(id)).await
        }
        Err(e) => refused(e),
    }
}

/// POST /output-checks/{id}/decision: approve, ask for changes (`comment-N` per output, from 1)
/// or reject (`reason`).
pub async fn decide(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let verdict = match field(&f, "decision").as_str() {
        "approve" => Verdict::Approve,
        "request_changes" => Verdict::RequestChanges {
            comments: f
                .iter()
                .filter_map(|(k, v)| {
                    let n = k.strip_prefix("comment-")?.parse::<usize>().ok()?;
                    Some((n.checked_sub(1)?, v.clone()))
                })
                .collect(),
        },
        "reject" => Verdict::Reject {
            reason: field(&f, "reason"),
        },
        _ => {
            let mut e = FieldErrors::new();
            e.add(
                "decision",
                "Choose whether to approve, ask for changes or reject",
            );
            return back_to_form(&session, "output-check", f, e, &check_page(id)).await;
        }
    };
    let result = checks::decide(&state.db, actor.as_ref(), id, &verdict)
        .await
        .map(|to| {
            match to {
                CheckState::Approved => {
                    "Approved by two checkers: the service is restarting from this snapshot and is public."
                }
                CheckState::Submitted => {
                    "Your approval is recorded. A second output checker must approve too."
                }
                CheckState::ChangesRequested => "Sent back to the project with your comments.",
                _ => "Rejected. The project has been told why.",
            }
            .to_owned()
        });
    let page = check_page(id);
    finish(&session, result, "output-check", f, &page, &page).await
}

/// POST /output-checks/{id}/withdraw
pub async fn withdraw(
    State(state): State<AppState>,
    Acting(actor): Acting,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let result = checks::withdraw(&state.db, actor.as_ref(), id)
        .await
        .map(|()| "The check is withdrawn. The service stays with its project.".to_owned());
    let page = check_page(id);
    finish(
        &session,
        result,
        "output-check",
        Fields::new(),
        &page,
        &page,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn empty_blocks_are_skipped_and_positions_kept_for_messages() {
        let f = form(&[
            ("outputs.1.name", "tables/by_region.csv"),
            ("outputs.1.kind", "table"),
            ("outputs.1.shows", "Households by region"),
            ("outputs.1.min_cell_count", "yes"),
            // An answer to an item of another kind is not kept.
            ("outputs.1.no_embedded_data", "yes"),
        ]);
        let (outputs, positions) = outputs_from(&f, 2).unwrap();
        assert_eq!(positions, vec![1]);
        assert_eq!(outputs.len(), 1);
        assert_eq!(outputs[0].kind, OutputKind::Table);
        assert_eq!(outputs[0].answers.len(), 1);
        let mut core = FieldErrors::new();
        core.add("outputs.0.dominance", "answer it");
        core.add("outputs.0.name", "name it");
        core.add("outputs", "add one");
        let renamed = to_form_fields(core, &positions);
        let names: Vec<_> = renamed.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["outputs.1.dominance", "outputs.1.name", "outputs"]);
    }

    #[test]
    fn a_kind_or_answer_not_among_the_choices_is_named_by_its_field() {
        let f = form(&[
            ("outputs.0.name", "a"),
            ("outputs.0.kind", "spreadsheet"),
            ("outputs.1.name", "b"),
            ("outputs.1.kind", "code"),
            ("outputs.1.no_record_level", "perhaps"),
        ]);
        let errors = outputs_from(&f, 2).unwrap_err();
        let names: Vec<_> = errors.0.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["outputs.0.kind", "outputs.1.no_record_level"]);
    }
}
