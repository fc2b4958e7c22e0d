//! An application's path through review, and who may decide. Phases run data control → ethics
//! (or the national committee) → final decision; changes requested at any phase return it to the
//! applicant. Final approval needs two distinct reviewers, neither an applicant nor a
//! collaborator, each signed in within the last 15 minutes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Draft,
    DataControl,
    Ethics,
    /// With the national ethics committee, awaiting its meeting.
    Referred,
    FinalDecision,
    ChangesRequested,
    Approved,
    Rejected,
    Withdrawn,
    /// Classified sensitive: not for the Campus network.
    Refused,
    /// Approved, and later closed: grants revoked and the data deleted, with a certificate.
    Closed,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Draft,
        State::DataControl,
        State::Ethics,
        State::Referred,
        State::FinalDecision,
        State::ChangesRequested,
        State::Approved,
        State::Rejected,
        State::Withdrawn,
        State::Refused,
        State::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::DataControl => "data_control",
            State::Ethics => "ethics",
            State::Referred => "referred",
            State::FinalDecision => "final_decision",
            State::ChangesRequested => "changes_requested",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
            State::Refused => "refused",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// As the applicant and reviewers read it.
    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "Draft",
            State::DataControl => "With data control",
            State::Ethics => "With the data ethics team",
            State::Referred => "Referred to the national ethics committee",
            State::FinalDecision => "Awaiting the final decision",
            State::ChangesRequested => "Changes requested",
            State::Approved => "Approved",
            State::Rejected => "Rejected",
            State::Withdrawn => "Withdrawn",
            State::Refused => "Refused: sensitive data",
            State::Closed => "Closed: data deleted",
        }
    }

    /// The review phase a state is in, for assignments and deadlines.
    pub fn phase(self) -> Option<Phase> {
        match self {
            State::DataControl => Some(Phase::DataControl),
            State::Ethics | State::Referred => Some(Phase::Ethics),
            State::FinalDecision => Some(Phase::FinalDecision),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Approved | State::Rejected | State::Withdrawn | State::Refused | State::Closed
        )
    }

    /// Under review by someone other than the applicant.
    pub fn in_review(self) -> bool {
        matches!(
            self,
            State::DataControl | State::Ethics | State::Referred | State::FinalDecision
        )
    }
}

/// A review phase, each with its own reviewers and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    DataControl,
    Ethics,
    FinalDecision,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::DataControl, Phase::Ethics, Phase::FinalDecision];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::DataControl => "data_control",
            Phase::Ethics => "ethics",
            Phase::FinalDecision => "final_decision",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::DataControl => "Data control",
            Phase::Ethics => "Ethics review",
            Phase::FinalDecision => "Final decision",
        }
    }

    /// Working time each phase has, in days, from when the application reaches it.
    pub fn days_allowed(self) -> i64 {
        match self {
            Phase::DataControl => 10,
            Phase::Ethics => 15,
            Phase::FinalDecision => 5,
        }
    }
}

/// Days before a deadline that its reviewers are reminded.
pub const REMIND_DAYS_BEFORE: i64 = 2;

/// Which reminder is due for a phase with `due`, given which have gone (`''`, `before`,
/// `after`): the one to send now, if any. Each is sent once per phase.
pub fn reminder_due(due: i64, now: i64, sent: &str) -> Option<&'static str> {
    if now > due && sent != "after" {
        Some("after")
    } else if now >= due - REMIND_DAYS_BEFORE * 86_400 && now <= due && sent.is_empty() {
        Some("before")
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The applicant submits a complete application, or resubmits after changes.
    Submit,
    /// Data control recorded the legal gateway and the classifications agree, non-sensitive.
    DataControlPassed,
    /// The classification gate refused it.
    ClassifiedSensitive,
    /// The assessment has a high-risk item: to the national committee.
    Refer,
    /// The data ethics team, or the committee, found it acceptable.
    EthicsCleared,
    RequestChanges,
    /// The second distinct approval at the final decision.
    Approve,
    Reject,
    Withdraw,
    /// Data control closes an approved acquisition at the end of its use.
    Close,
    /// The applicant amends or renews an approved acquisition: it goes back through review while
    /// the approved terms stand.
    Amend,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an application that is {from:?} cannot be {event:?}")]
pub struct Refusal {
    pub from: State,
    pub event: Event,
}

pub fn transition(from: State, event: Event) -> Result<State, Refusal> {
    use Event as E;
    use State as S;
    let to = match (from, event) {
        (S::Draft | S::ChangesRequested, E::Submit) => S::DataControl,
        (S::DataControl, E::DataControlPassed) => S::Ethics,
        (S::DataControl, E::ClassifiedSensitive) => S::Refused,
        (S::Ethics, E::Refer) => S::Referred,
        (S::Ethics | S::Referred, E::EthicsCleared) => S::FinalDecision,
        (s, E::RequestChanges) if s.in_review() => S::ChangesRequested,
        (S::FinalDecision, E::Approve) => S::Approved,
        (s, E::Reject) if s.in_review() => S::Rejected,
        (s, E::Withdraw) if !s.is_final() => S::Withdrawn,
        (S::Approved, E::Close) => S::Closed,
        (S::Approved, E::Amend) => S::ChangesRequested,
        _ => return Err(Refusal { from, event }),
    };
    Ok(to)
}

/// Where an amendment or renewal ends when it is not approved: rejected, refused or withdrawn,
/// the approval it amends stands.
pub fn when_amending(to: State) -> State {
    match to {
        State::Rejected | State::Refused | State::Withdrawn => State::Approved,
        other => other,
    }
}

/// How recently a reviewer must have signed in to decide.
pub const REAUTH_SECS: i64 = crate::recent_sign_in::WITHIN_SECS;
/// Distinct reviewers whose approval a final approval needs.
pub const APPROVALS_NEEDED: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error(
        "you are an applicant or collaborator on this application: another reviewer must decide"
    )]
    OwnApplication,
    #[error("you have already approved this application: a second, different reviewer must")]
    AlreadyApproved,
    #[error("sign in again to decide: deciding needs a sign-in within the last 15 minutes")]
    SignInTooOld,
    #[error("give the reason for the rejection")]
    ReasonRequired,
}

/// What a reviewer is deciding at the final decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Approve { conditions: Vec<String> },
    Reject { reason: String },
}

/// Whether `reviewer` may give `verdict` now.
pub fn may_decide(
    reviewer: i64,
    signed_in_at: i64,
    now: i64,
    applicants: &[i64],
    approved_by: &[i64],
    verdict: &Verdict,
) -> Result<(), DecisionRefused> {
    if applicants.contains(&reviewer) {
        return Err(DecisionRefused::OwnApplication);
    }
    if now - signed_in_at > REAUTH_SECS {
        return Err(DecisionRefused::SignInTooOld);
    }
    match verdict {
        Verdict::Approve { .. } if approved_by.contains(&reviewer) => {
            Err(DecisionRefused::AlreadyApproved)
        }
        Verdict::Reject { reason } if reason.trim().is_empty() => {
            Err(DecisionRefused::ReasonRequired)
        }
        _ => Ok(()),
    }
}

/// After one more approval by `reviewer`: whether the application is now approved.
pub fn approved_after(approved_by: &[i64], reviewer: i64) -> bool {
    crate::domain::two_person::distinct_after(approved_by, reviewer) >= APPROVALS_NEEDED
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [Event; 11] = [
        Event::Submit,
        Event::DataControlPassed,
        Event::ClassifiedSensitive,
        Event::Refer,
        Event::EthicsCleared,
        Event::RequestChanges,
        Event::Approve,
        Event::Reject,
        Event::Withdraw,
        Event::Close,
        Event::Amend,
    ];

    #[test]
    fn every_state_and_event_pair_is_decided_as_the_table_says() {
        use Event as E;
        use State as S;
        let allowed = [
            (S::Draft, E::Submit, S::DataControl),
            (S::ChangesRequested, E::Submit, S::DataControl),
            (S::DataControl, E::DataControlPassed, S::Ethics),
            (S::DataControl, E::ClassifiedSensitive, S::Refused),
            (S::Ethics, E::Refer, S::Referred),
            (S::Ethics, E::EthicsCleared, S::FinalDecision),
            (S::Referred, E::EthicsCleared, S::FinalDecision),
            (S::FinalDecision, E::Approve, S::Approved),
            (S::Approved, E::Close, S::Closed),
            (S::Approved, E::Amend, S::ChangesRequested),
        ];
        for from in State::ALL {
            for event in EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to)
                    .or(match event {
                        E::RequestChanges if from.in_review() => Some(S::ChangesRequested),
                        E::Reject if from.in_review() => Some(S::Rejected),
                        E::Withdraw if !from.is_final() => Some(S::Withdrawn),
                        _ => None,
                    });
                assert_eq!(transition(from, event).ok(), expected, "{from:?} {event:?}");
            }
        }
    }

    #[test]
    fn final_states_accept_nothing_but_the_closure_or_amendment_of_an_approval() {
        for from in State::ALL
            .into_iter()
            .filter(|s| s.is_final() && *s != State::Approved)
        {
            assert!(
                EVENTS.iter().all(|e| transition(from, *e).is_err()),
                "{from:?}"
            );
        }
        let approved: Vec<_> = EVENTS
            .iter()
            .filter(|e| transition(State::Approved, **e).is_ok())
            .collect();
        assert_eq!(approved, [&Event::Close, &Event::Amend]);
    }

    #[test]
    fn an_amendment_not_approved_leaves_the_approval_standing() {
        for st in State::ALL {
            let expected = match st {
                State::Rejected | State::Refused | State::Withdrawn => State::Approved,
                other => other,
            };
            assert_eq!(when_amending(st), expected);
        }
    }

    const NOW: i64 = 1_000_000;
    fn approve() -> Verdict {
        Verdict::Approve {
            conditions: vec!["Aggregate to local authority level".into()],
        }
    }

    #[test]
    fn applicants_and_collaborators_never_decide() {
        assert_eq!(
            may_decide(7, NOW, NOW, &[3, 7], &[], &approve()),
            Err(DecisionRefused::OwnApplication)
        );
    }

    #[test]
    fn a_decision_needs_a_sign_in_within_15_minutes() {
        assert!(may_decide(9, NOW - REAUTH_SECS, NOW, &[3], &[], &approve()).is_ok());
        assert_eq!(
            may_decide(9, NOW - REAUTH_SECS - 1, NOW, &[3], &[], &approve()),
            Err(DecisionRefused::SignInTooOld)
        );
    }

    #[test]
    fn the_same_reviewer_cannot_approve_twice_and_two_distinct_approve() {
        assert_eq!(
            may_decide(9, NOW, NOW, &[3], &[9], &approve()),
            Err(DecisionRefused::AlreadyApproved)
        );
        assert!(!approved_after(&[], 9));
        assert!(!approved_after(&[9], 9));
        assert!(approved_after(&[9], 10));
        // A reviewer who approved may still reject (a change of mind needs a reason).
        let reject = Verdict::Reject {
            reason: "Not needed".into(),
        };
        assert!(may_decide(9, NOW, NOW, &[3], &[9], &reject).is_ok());
    }

    #[test]
    fn a_rejection_needs_a_reason() {
        let reject = Verdict::Reject { reason: " ".into() };
        assert_eq!(
            may_decide(9, NOW, NOW, &[3], &[], &reject),
            Err(DecisionRefused::ReasonRequired)
        );
    }

    #[test]
    fn states_round_trip_and_phases_cover_the_review_states() {
        for st in State::ALL {
            assert_eq!(State::parse(st.as_str()), Some(st));
            assert_eq!(st.phase().is_some(), st.in_review(), "{st:?}");
        }
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn reminders_go_once_before_and_once_after_a_deadline() {
        let due = NOW;
        let day = 86_400;
        assert_eq!(reminder_due(due, due - 3 * day, ""), None);
        assert_eq!(reminder_due(due, due - 2 * day, ""), Some("before"));
        assert_eq!(reminder_due(due, due - day, "before"), None);
        assert_eq!(reminder_due(due, due, ""), Some("before"));
        assert_eq!(reminder_due(due, due + 1, "before"), Some("after"));
        // A phase first seen after its deadline gets only the overdue reminder.
        assert_eq!(reminder_due(due, due + day, ""), Some("after"));
        assert_eq!(reminder_due(due, due + 5 * day, "after"), None);
    }
}
