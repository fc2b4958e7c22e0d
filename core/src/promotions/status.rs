//! A promotion's states. A reviewer approves it, the portal pushes the bundle to the intake
//! remote, and the receiving CI then reports back in order: received, tests running, accepted or
//! rejected. A report that comes out of order (accepted before received, anything after a
//! verdict) is refused, so the history on the project page is the one that happened.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Asked for by the project's lead; waiting for a reviewer.
    Requested,
    /// A reviewer approved; the push is queued.
    Approved,
    /// The intake remote refused the push, or could not be reached; it may be pushed again.
    PushFailed,
    /// The bundle is on the intake remote as a tagged commit.
    Pushed,
    Received,
    TestsRunning,
    Accepted,
    /// The receiving side rejected it, with a reason.
    Rejected,
    /// A reviewer declined to promote it.
    Declined,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Requested,
        State::Approved,
        State::PushFailed,
        State::Pushed,
        State::Received,
        State::TestsRunning,
        State::Accepted,
        State::Rejected,
        State::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Approved => "approved",
            State::PushFailed => "push_failed",
            State::Pushed => "pushed",
            State::Received => "received",
            State::TestsRunning => "tests_running",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Requested => "Waiting for a reviewer",
            State::Approved => "Approved: being sent",
            State::PushFailed => "Could not be sent",
            State::Pushed => "Sent to the data service",
            State::Received => "Received by the data service",
            State::TestsRunning => "Tests running at the data service",
            State::Accepted => "Accepted by the data service",
            State::Rejected => "Rejected by the data service",
            State::Declined => "Declined by a reviewer",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, State::Accepted | State::Rejected | State::Declined)
    }
}

/// What the receiving CI may report, as its webhook names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Received,
    TestsRunning,
    Accepted,
    Rejected,
}

impl Report {
    pub fn parse(s: &str) -> Option<Report> {
        match s {
            "received" => Some(Report::Received),
            "tests_running" => Some(Report::TestsRunning),
            "accepted" => Some(Report::Accepted),
            "rejected" => Some(Report::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("a promotion that is {} cannot be {action}", .from.label().to_lowercase())]
    NotNow { from: State, action: &'static str },
    #[error("a report of “{report:?}” cannot follow “{}”", .from.label().to_lowercase())]
    OutOfOrder { from: State, report: Report },
    #[error("a rejection needs its reason")]
    ReasonRequired,
}

/// A reviewer's decision on a requested promotion.
pub fn decide(from: State, approve: bool) -> Result<State, Refused> {
    match from {
        State::Requested if approve => Ok(State::Approved),
        State::Requested => Ok(State::Declined),
        _ => Err(Refused::NotNow {
            from,
            action: "decided",
        }),
    }
}

/// The outcome of pushing an approved bundle (or pushing again after a failure).
pub fn pushed(from: State, ok: bool) -> Result<State, Refused> {
    match from {
        State::Approved | State::PushFailed => {
            Ok(if ok { State::Pushed } else { State::PushFailed })
        }
        _ => Err(Refused::NotNow {
            from,
            action: "sent",
        }),
    }
}

/// A report from the receiving CI. Reports move forward only; the same report twice is taken
/// once (the second changes nothing), as webhooks are delivered at least once.
pub fn report(from: State, report: Report, reason: &str) -> Result<Option<State>, Refused> {
    let to = match report {
        Report::Received => State::Received,
        Report::TestsRunning => State::TestsRunning,
        Report::Accepted => State::Accepted,
        Report::Rejected => State::Rejected,
    };
    if from == to {
        return Ok(None);
    }
    let allowed = match report {
        Report::Received => from == State::Pushed,
        Report::TestsRunning => matches!(from, State::Pushed | State::Received),
        Report::Accepted | Report::Rejected => {
            matches!(from, State::Pushed | State::Received | State::TestsRunning)
        }
    };
    if !allowed {
        return Err(Refused::OutOfOrder { from, report });
    }
    if report == Report::Rejected && reason.trim().is_empty() {
        return Err(Refused::ReasonRequired);
    }
    Ok(Some(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_names() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        for r in ["received", "tests_running", "accepted", "rejected"] {
            assert!(Report::parse(r).is_some());
        }
        assert_eq!(Report::parse("approved"), None);
    }

    #[test]
    fn the_whole_way_from_request_to_acceptance() {
        let s = decide(State::Requested, true).unwrap();
        let s = pushed(s, false).unwrap();
        assert_eq!(s, State::PushFailed);
        let s = pushed(s, true).unwrap();
        assert_eq!(s, State::Pushed);
        let s = report(s, Report::Received, "").unwrap().unwrap();
        let s = report(s, Report::TestsRunning, "").unwrap().unwrap();
        let s = report(s, Report::Accepted, "").unwrap().unwrap();
        assert_eq!(s, State::Accepted);
        assert!(s.is_final());
    }

    #[test]
    fn a_declined_promotion_is_never_sent() {
        let s = decide(State::Requested, false).unwrap();
        assert_eq!(s, State::Declined);
        assert!(pushed(s, true).is_err());
        assert!(decide(s, true).is_err());
    }

    #[test]
    fn reports_out_of_order_are_refused_and_repeats_change_nothing() {
        assert_eq!(
            report(State::Approved, Report::Accepted, ""),
            Err(Refused::OutOfOrder {
                from: State::Approved,
                report: Report::Accepted
            })
        );
        assert!(report(State::TestsRunning, Report::Received, "").is_err());
        assert!(report(State::Accepted, Report::Rejected, "late").is_err());
        assert!(report(State::Rejected, Report::Accepted, "").is_err());
        assert_eq!(report(State::Received, Report::Received, ""), Ok(None));
        // A CI that skips "received" still moves forward.
        assert_eq!(
            report(State::Pushed, Report::Accepted, ""),
            Ok(Some(State::Accepted))
        );
    }

    #[test]
    fn a_rejection_needs_its_reason() {
        assert_eq!(
            report(State::TestsRunning, Report::Rejected, " "),
            Err(Refused::ReasonRequired)
        );
        assert_eq!(
            report(State::TestsRunning, Report::Rejected, "Tests failed"),
            Ok(Some(State::Rejected))
        );
    }
}
