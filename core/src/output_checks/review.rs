//! A check's path from submission to release, and who may decide. A check is decided in rounds:
//! each submission freezes a snapshot, and only approvals of the current round's snapshot count,
//! so what goes public is exactly what two checkers looked at. Any checker may send it back with
//! comments, which ends the round; a rejection is final. A released output that changes lapses,
//! and needs a new check.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Waiting for checkers on the current round's snapshot.
    Submitted,
    /// A checker asked for changes; the requester submits a new snapshot.
    ChangesRequested,
    /// Two checkers approved the current snapshot: it may be public.
    Approved,
    Rejected,
    Withdrawn,
    /// It was approved, then what was released changed: back to project visibility.
    Lapsed,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Submitted,
        State::ChangesRequested,
        State::Approved,
        State::Rejected,
        State::Withdrawn,
        State::Lapsed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::ChangesRequested => "changes_requested",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
            State::Lapsed => "lapsed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// As requesters and checkers read it.
    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "With output checkers",
            State::ChangesRequested => "Changes requested",
            State::Approved => "Approved for release",
            State::Rejected => "Rejected",
            State::Withdrawn => "Withdrawn",
            State::Lapsed => "Changed since approval: needs a new check",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, State::Rejected | State::Withdrawn | State::Lapsed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The requester sends a new snapshot after changes were asked for.
    Resubmit,
    /// The second distinct approval of the current round.
    Approve,
    RequestChanges,
    Reject,
    Withdraw,
    /// What was released no longer matches the approved snapshot.
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an output check that is {from:?} cannot be {event:?}")]
pub struct Refusal {
    pub from: State,
    pub event: Event,
}

pub fn transition(from: State, event: Event) -> Result<State, Refusal> {
    use Event as E;
    use State as S;
    let to = match (from, event) {
        (S::ChangesRequested, E::Resubmit) => S::Submitted,
        (S::Submitted, E::Approve) => S::Approved,
        (S::Submitted, E::RequestChanges) => S::ChangesRequested,
        (S::Submitted, E::Reject) => S::Rejected,
        (S::Submitted | S::ChangesRequested, E::Withdraw) => S::Withdrawn,
        (S::Approved, E::Changed) => S::Lapsed,
        _ => return Err(Refusal { from, event }),
    };
    Ok(to)
}

/// Distinct checkers whose approval of one snapshot a release needs.
pub const APPROVALS_NEEDED: usize = 2;

/// Days a round has before its checkers are reminded, as data control has for acquisitions.
pub const DAYS_ALLOWED: i64 = 5;

/// Which reminder of a round's deadline is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The day before it is due.
    Before,
    Overdue,
}

/// The reminder a waiting round with this deadline needs now, if any: each once per round. A
/// reminder sent before this round began (`due_at` less the days allowed) was for an earlier one.
pub fn reminder_due(due_at: i64, reminded_at: Option<i64>, now: i64) -> Option<Reminder> {
    const DAY: i64 = 86_400;
    let round_began = due_at - DAYS_ALLOWED * DAY;
    let last = reminded_at.filter(|&t| t >= round_began);
    if now > due_at {
        (last.is_none_or(|t| t <= due_at)).then_some(Reminder::Overdue)
    } else if now >= due_at - DAY {
        last.is_none().then_some(Reminder::Before)
    } else {
        None
    }
}

/// What a checker decides about the current round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    /// Comments keyed by the output they are about (its position in the submission).
    RequestChanges {
        comments: Vec<(usize, String)>,
    },
    Reject {
        reason: String,
    },
}

/// Who is deciding, and where they stand.
#[derive(Debug, Clone, Copy)]
pub struct Checker<'a> {
    pub id: i64,
    /// Holds the output-checker role.
    pub is_checker: bool,
    /// The project's lead and members, and whoever submitted.
    pub project_people: &'a [i64],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error("only output checkers decide output checks")]
    NotAChecker,
    #[error("you are on this project: a checker from outside it must decide")]
    OnTheProject,
    #[error("you have already approved this snapshot: a second, different checker must")]
    AlreadyApproved,
    #[error("say what should change: add a comment to at least one output")]
    CommentsRequired,
    #[error("output {0} is not in this submission")]
    NoSuchOutput(usize),
    #[error("give the reason for the rejection")]
    ReasonRequired,
    #[error("this check is {0}: it is not waiting for a decision")]
    NotWaiting(&'static str),
}

/// Whether `checker` may decide anything on a check in `state`: an output checker from outside
/// the project, while the check waits for checkers.
pub fn may_take_part(checker: Checker<'_>, state: State) -> Result<(), DecisionRefused> {
    if !checker.is_checker {
        return Err(DecisionRefused::NotAChecker);
    }
    if checker.project_people.contains(&checker.id) {
        return Err(DecisionRefused::OnTheProject);
    }
    if state != State::Submitted {
        return Err(DecisionRefused::NotWaiting(state.label()));
    }
    Ok(())
}

/// Whether `checker` may give `verdict` on a check in `state` whose submission has `outputs`
/// outputs and whose current round `approved_by` have approved.
pub fn may_decide(
    checker: Checker<'_>,
    state: State,
    outputs: usize,
    approved_by: &[i64],
    verdict: &Verdict,
) -> Result<(), DecisionRefused> {
    may_take_part(checker, state)?;
    match verdict {
        Verdict::Approve if approved_by.contains(&checker.id) => {
            Err(DecisionRefused::AlreadyApproved)
        }
        Verdict::Approve => Ok(()),
        Verdict::RequestChanges { comments } => {
            let said: Vec<_> = comments
                .iter()
                .filter(|(_, text)| !text.trim().is_empty())
                .collect();
            if said.is_empty() {
                return Err(DecisionRefused::CommentsRequired);
            }
            match said.iter().find(|(output, _)| *output >= outputs) {
                Some((output, _)) => Err(DecisionRefused::NoSuchOutput(output.saturating_add(1))),
                None => Ok(()),
            }
        }
        Verdict::Reject { reason } if reason.trim().is_empty() => {
            Err(DecisionRefused::ReasonRequired)
        }
        Verdict::Reject { .. } => Ok(()),
    }
}

/// After `checker` approves: whether the current round now has enough distinct approvals.
pub fn approved_after(approved_by: &[i64], checker: i64) -> bool {
    crate::domain::two_person::distinct_after(approved_by, checker) >= APPROVALS_NEEDED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_is_reminded_the_day_before_and_once_overdue_each_once() {
        const DAY: i64 = 86_400;
        let due = 100 * DAY;
        let began = due - DAYS_ALLOWED * DAY;
        assert_eq!(reminder_due(due, None, began + DAY), None);
        assert_eq!(reminder_due(due, None, due - DAY), Some(Reminder::Before));
        assert_eq!(reminder_due(due, Some(due - DAY), due - 60), None);
        assert_eq!(
            reminder_due(due, Some(due - DAY), due + 1),
            Some(Reminder::Overdue)
        );
        assert_eq!(reminder_due(due, None, due + 1), Some(Reminder::Overdue));
        assert_eq!(reminder_due(due, Some(due + 1), due + 2 * DAY), None);
        // A reminder of an earlier round does not count for this one.
        assert_eq!(
            reminder_due(due, Some(began - 1), due - 1),
            Some(Reminder::Before)
        );
    }

    const PROJECT: &[i64] = &[1, 2];

    fn checker(id: i64) -> Checker<'static> {
        Checker {
            id,
            is_checker: true,
            project_people: PROJECT,
        }
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("released"), None);
    }

    #[test]
    fn a_check_goes_back_and_forth_until_approved_then_lapses_when_changed() {
        let s = transition(State::Submitted, Event::RequestChanges).unwrap();
        assert_eq!(s, State::ChangesRequested);
        let s = transition(s, Event::Resubmit).unwrap();
        assert_eq!(s, State::Submitted);
        let s = transition(s, Event::Approve).unwrap();
        assert_eq!(s, State::Approved);
        assert_eq!(transition(s, Event::Changed).unwrap(), State::Lapsed);
    }

    #[test]
    fn final_states_take_nothing_more() {
        for from in [State::Rejected, State::Withdrawn, State::Lapsed] {
            for event in [
                Event::Resubmit,
                Event::Approve,
                Event::RequestChanges,
                Event::Reject,
                Event::Withdraw,
                Event::Changed,
            ] {
                assert_eq!(
                    transition(from, event),
                    Err(Refusal { from, event }),
                    "{from:?} took {event:?}"
                );
            }
        }
        // An approved release is not withdrawn or decided again: it lapses when it changes.
        assert!(transition(State::Approved, Event::Withdraw).is_err());
        assert!(transition(State::Approved, Event::Reject).is_err());
        // Nobody resubmits what is already with the checkers.
        assert!(transition(State::Submitted, Event::Resubmit).is_err());
    }

    #[test]
    fn only_checkers_from_outside_the_project_decide() {
        let outsider = Checker {
            is_checker: false,
            ..checker(9)
        };
        assert_eq!(
            may_decide(outsider, State::Submitted, 1, &[], &Verdict::Approve),
            Err(DecisionRefused::NotAChecker)
        );
        assert_eq!(
            may_decide(checker(2), State::Submitted, 1, &[], &Verdict::Approve),
            Err(DecisionRefused::OnTheProject)
        );
        assert_eq!(
            may_decide(checker(9), State::Submitted, 1, &[], &Verdict::Approve),
            Ok(())
        );
    }

    #[test]
    fn one_checker_cannot_approve_twice_and_two_distinct_approvals_release() {
        assert_eq!(
            may_decide(checker(9), State::Submitted, 1, &[9], &Verdict::Approve),
            Err(DecisionRefused::AlreadyApproved)
        );
        assert!(!approved_after(&[], 9));
        assert!(!approved_after(&[9], 9));
        assert!(approved_after(&[9], 10));
    }

    #[test]
    fn changes_need_a_comment_on_an_output_that_exists_and_a_rejection_a_reason() {
        let changes = |comments: Vec<(usize, &str)>| Verdict::RequestChanges {
            comments: comments
                .into_iter()
                .map(|(o, c)| (o, c.to_owned()))
                .collect(),
        };
        let decide = |v: &Verdict| may_decide(checker(9), State::Submitted, 2, &[], v);
        assert_eq!(
            decide(&changes(vec![(0, "  ")])),
            Err(DecisionRefused::CommentsRequired)
        );
        assert_eq!(
            decide(&changes(vec![(0, "Round to 5"), (2, "What is this?")])),
            Err(DecisionRefused::NoSuchOutput(3))
        );
        assert_eq!(
            decide(&changes(vec![(1, "Suppress the cell under 10")])),
            Ok(())
        );
        assert_eq!(
            decide(&Verdict::Reject { reason: " ".into() }),
            Err(DecisionRefused::ReasonRequired)
        );
        assert_eq!(
            decide(&Verdict::Reject {
                reason: "Record-level data".into()
            }),
            Ok(())
        );
    }

    #[test]
    fn nothing_is_decided_unless_it_waits_for_checkers() {
        for state in [State::ChangesRequested, State::Approved, State::Rejected] {
            assert_eq!(
                may_decide(checker(9), state, 1, &[], &Verdict::Approve),
                Err(DecisionRefused::NotWaiting(state.label()))
            );
        }
    }
}
