//! The lifecycle of a resource request as data: states, events, and one transition function
//! that returns the next state or a refusal that says why in words.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    Submitted,
    Approved,
    Rejected,
    ChangesRequested,
    Provisioning,
    Active,
    Stopped,
    Expiring,
    Decommissioned,
    Failed,
}

impl State {
    pub const ALL: [State; 11] = [
        State::Draft,
        State::Submitted,
        State::Approved,
        State::Rejected,
        State::ChangesRequested,
        State::Provisioning,
        State::Active,
        State::Stopped,
        State::Expiring,
        State::Decommissioned,
        State::Failed,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::ChangesRequested => "changes_requested",
            State::Provisioning => "provisioning",
            State::Active => "active",
            State::Stopped => "stopped",
            State::Expiring => "expiring",
            State::Decommissioned => "decommissioned",
            State::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// What a person reads on the request page.
    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "Draft",
            State::Submitted => "Waiting for approval",
            State::Approved => "Approved",
            State::Rejected => "Rejected",
            State::ChangesRequested => "Changes requested",
            State::Provisioning => "Being set up",
            State::Active => "Running",
            State::Stopped => "Stopped",
            State::Expiring => "Expired",
            State::Decommissioned => "Removed",
            State::Failed => "Failed",
        }
    }

    /// No event leaves these states.
    pub fn is_final(self) -> bool {
        matches!(self, State::Rejected | State::Decommissioned)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What can happen to a request. Reasons and comments travel with the event that needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Submit,
    /// Within quota and policy: approved without a person.
    AutoApprove,
    Approve,
    Reject {
        reason: String,
    },
    RequestChanges {
        comment: String,
    },
    StartProvisioning,
    Provisioned,
    ProvisioningFailed {
        reason: String,
    },
    Retry,
    Stop,
    Start,
    /// The end date has passed: the resource is stopped and waits to be removed.
    BeginExpiry,
    /// Extended within policy after it expired: back to stopped, ready to start.
    Extend,
    Decommission,
}

impl Event {
    fn verb(&self) -> &'static str {
        match self {
            Event::Submit => "submit",
            Event::AutoApprove | Event::Approve => "approve",
            Event::Reject { .. } => "reject",
            Event::RequestChanges { .. } => "ask for changes to",
            Event::StartProvisioning => "set up",
            Event::Provisioned => "finish setting up",
            Event::ProvisioningFailed { .. } => "fail",
            Event::Retry => "retry",
            Event::Stop => "stop",
            Event::Start => "start",
            Event::BeginExpiry => "begin ending",
            Event::Extend => "extend",
            Event::Decommission => "remove",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("you cannot {verb} a request that is {state}")]
    NotNow {
        verb: &'static str,
        state: &'static str,
    },
    #[error("give a reason")]
    ReasonRequired,
}

/// The next state after `event`, or why the event cannot happen now.
pub fn transition(from: State, event: &Event) -> Result<State, Refusal> {
    use Event as E;
    use State as S;
    let next = match (from, event) {
        (S::Draft | S::ChangesRequested, E::Submit) => S::Submitted,
        (S::Submitted, E::AutoApprove | E::Approve) => S::Approved,
        (S::Submitted, E::Reject { reason }) => {
            if reason.trim().is_empty() {
                return Err(Refusal::ReasonRequired);
            }
            S::Rejected
        }
        (S::Submitted, E::RequestChanges { comment }) => {
            if comment.trim().is_empty() {
                return Err(Refusal::ReasonRequired);
            }
            S::ChangesRequested
        }
        (S::Approved, E::StartProvisioning) | (S::Failed, E::Retry) => S::Provisioning,
        (S::Provisioning, E::Provisioned) | (S::Stopped, E::Start) => S::Active,
        // An expired resource was stopped; extending it gives it back stopped, to start again.
        (S::Expiring, E::Extend) => S::Stopped,
        (S::Provisioning, E::ProvisioningFailed { reason }) => {
            if reason.trim().is_empty() {
                return Err(Refusal::ReasonRequired);
            }
            S::Failed
        }
        (S::Active, E::Stop) => S::Stopped,
        (S::Active | S::Stopped, E::BeginExpiry) => S::Expiring,
        (S::Active | S::Stopped | S::Expiring | S::Failed, E::Decommission) => S::Decommissioned,
        (state, event) => {
            return Err(Refusal::NotNow {
                verb: event.verb(),
                state: state.as_str(),
            })
        }
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use Event as E;
    use State as S;

    fn every_event() -> Vec<Event> {
        vec![
            E::Submit,
            E::AutoApprove,
            E::Approve,
            E::Reject {
                reason: "over budget".into(),
            },
            E::RequestChanges {
                comment: "smaller size".into(),
            },
            E::StartProvisioning,
            E::Provisioned,
            E::ProvisioningFailed {
                reason: "no free GPU".into(),
            },
            E::Retry,
            E::Stop,
            E::Start,
            E::BeginExpiry,
            E::Extend,
            E::Decommission,
        ]
    }

    /// Every move the lifecycle allows, written out independently of `transition`.
    const ALLOWED: &[(State, State)] = &[
        (S::Draft, S::Submitted),
        (S::ChangesRequested, S::Submitted),
        (S::Submitted, S::Approved),
        (S::Submitted, S::Rejected),
        (S::Submitted, S::ChangesRequested),
        (S::Approved, S::Provisioning),
        (S::Failed, S::Provisioning),
        (S::Provisioning, S::Active),
        (S::Provisioning, S::Failed),
        (S::Active, S::Stopped),
        (S::Stopped, S::Active),
        (S::Active, S::Expiring),
        (S::Stopped, S::Expiring),
        (S::Expiring, S::Stopped),
        (S::Expiring, S::Decommissioned),
        (S::Active, S::Decommissioned),
        (S::Stopped, S::Decommissioned),
        (S::Failed, S::Decommissioned),
    ];

    #[test]
    fn every_pair_of_states_is_allowed_exactly_when_the_table_says() {
        let allowed: BTreeSet<(State, State)> = ALLOWED.iter().copied().collect();
        let mut reached = BTreeSet::new();
        for from in State::ALL {
            for event in every_event() {
                if let Ok(to) = transition(from, &event) {
                    assert!(
                        allowed.contains(&(from, to)),
                        "{from:?} --{event:?}--> {to:?} is not in the lifecycle"
                    );
                    reached.insert((from, to));
                }
            }
        }
        for from in State::ALL {
            for to in State::ALL {
                assert_eq!(
                    reached.contains(&(from, to)),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn final_states_accept_no_event() {
        for state in State::ALL.into_iter().filter(|s| s.is_final()) {
            for event in every_event() {
                assert!(
                    transition(state, &event).is_err(),
                    "{state:?} accepted {event:?}"
                );
            }
        }
    }

    #[test]
    fn refusals_need_a_reason() {
        assert_eq!(
            transition(
                S::Submitted,
                &E::Reject {
                    reason: "  ".into()
                }
            ),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            transition(
                S::Submitted,
                &E::RequestChanges {
                    comment: String::new()
                }
            ),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            transition(
                S::Provisioning,
                &E::ProvisioningFailed {
                    reason: String::new()
                }
            ),
            Err(Refusal::ReasonRequired)
        );
    }

    #[test]
    fn a_refusal_says_what_and_why_in_words() {
        let e = transition(S::Decommissioned, &E::Start).unwrap_err();
        assert_eq!(
            e.to_string(),
            "you cannot start a request that is decommissioned"
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("nonsense"), None);
    }
}
