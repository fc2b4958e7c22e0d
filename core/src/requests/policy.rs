//! Who decides a request, and how far a resource may be extended.

use super::quota::OverQuota;
use time::Date;

/// Why a request goes to an operator instead of being approved at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedsDecision {
    /// The offering always needs an operator.
    OfferingNeedsApproval,
    OverQuota(Vec<OverQuota>),
}

/// How a submitted request proceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    AutoApprove,
    Operator(Vec<NeedsDecision>),
}

/// Requests within quota for offerings that need no approval are approved at once; the rest go
/// to an operator. Capacity is not a routing question: a request that does not fit the hardware
/// is refused outright, with the numbers, because no approval makes room.
pub fn route(needs_approval: bool, quota: Result<(), Vec<OverQuota>>) -> Route {
    let mut why = Vec::new();
    if needs_approval {
        why.push(NeedsDecision::OfferingNeedsApproval);
    }
    if let Err(over) = quota {
        why.push(NeedsDecision::OverQuota(over));
    }
    if why.is_empty() {
        Route::AutoApprove
    } else {
        Route::Operator(why)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error("you cannot decide your own request: another operator must")]
    OwnRequest,
    #[error("{0}")]
    NoCapacity(String),
}

/// An operator may approve a request unless they asked for it, and only if it still fits the
/// hardware (`room` says why not). Quota is the operator's to override: that is what approval is
/// for.
pub fn may_approve(
    decider_id: i64,
    requester_id: i64,
    room: Result<(), String>,
) -> Result<(), DecisionRefused> {
    if decider_id == requester_id {
        return Err(DecisionRefused::OwnRequest);
    }
    room.map_err(DecisionRefused::NoCapacity)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionRefused {
    #[error("this offering cannot be extended")]
    NotExtendable,
    #[error("it has already been extended {0} times, the most this offering allows")]
    LimitReached(u32),
    #[error("it already ends on the project's end date ({0}); extend the project first")]
    AtProjectEnd(Date),
}

/// The new end date after one extension: `extension_days` later, never past the project's end.
pub fn extend(
    end: Date,
    project_end: Date,
    extensions_so_far: u32,
    extension_days: u32,
    max_extensions: u32,
) -> Result<Date, ExtensionRefused> {
    if extension_days == 0 || max_extensions == 0 {
        return Err(ExtensionRefused::NotExtendable);
    }
    if extensions_so_far >= max_extensions {
        return Err(ExtensionRefused::LimitReached(extensions_so_far));
    }
    if end >= project_end {
        return Err(ExtensionRefused::AtProjectEnd(project_end));
    }
    let wanted = end.saturating_add(time::Duration::days(i64::from(extension_days)));
    Ok(wanted.min(project_end))
}

/// The end date a new request starts with: the offering's default lifetime, but never past the
/// project's end.
pub fn default_end(today: Date, default_days: u32, project_end: Date) -> Date {
    today
        .saturating_add(time::Duration::days(i64::from(default_days)))
        .min(project_end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::quota::Resource;
    use time::macros::date;

    fn over() -> Vec<OverQuota> {
        vec![OverQuota {
            resource: Resource::Gpus,
            limit: 0,
            used: 0,
            would_be: 1,
        }]
    }

    #[test]
    fn routing_covers_every_combination() {
        assert_eq!(route(false, Ok(())), Route::AutoApprove);
        assert_eq!(
            route(true, Ok(())),
            Route::Operator(vec![NeedsDecision::OfferingNeedsApproval])
        );
        assert_eq!(
            route(false, Err(over())),
            Route::Operator(vec![NeedsDecision::OverQuota(over())])
        );
        assert_eq!(
            route(true, Err(over())),
            Route::Operator(vec![
                NeedsDecision::OfferingNeedsApproval,
                NeedsDecision::OverQuota(over())
            ])
        );
    }

    #[test]
    fn nobody_approves_their_own_request_even_when_it_fits() {
        assert_eq!(may_approve(7, 7, Ok(())), Err(DecisionRefused::OwnRequest));
        assert_eq!(may_approve(8, 7, Ok(())), Ok(()));
        assert_eq!(
            may_approve(8, 7, Err("No host has 1 GPUs free".into())),
            Err(DecisionRefused::NoCapacity(
                "No host has 1 GPUs free".into()
            ))
        );
    }

    #[test]
    fn extensions_follow_the_offering_and_stop_at_the_project_end() {
        let end = date!(2027 - 01 - 01);
        let project_end = date!(2027 - 03 - 01);
        assert_eq!(
            extend(end, project_end, 0, 30, 2),
            Ok(date!(2027 - 01 - 31))
        );
        assert_eq!(
            extend(date!(2027 - 02 - 20), project_end, 1, 30, 2),
            Ok(project_end)
        );
        assert_eq!(
            extend(end, project_end, 2, 30, 2),
            Err(ExtensionRefused::LimitReached(2))
        );
        assert_eq!(
            extend(end, project_end, 0, 0, 2),
            Err(ExtensionRefused::NotExtendable)
        );
        assert_eq!(
            extend(end, project_end, 0, 30, 0),
            Err(ExtensionRefused::NotExtendable)
        );
        assert_eq!(
            extend(project_end, project_end, 0, 30, 2),
            Err(ExtensionRefused::AtProjectEnd(project_end))
        );
    }

    #[test]
    fn new_requests_end_at_the_default_lifetime_or_the_project_end() {
        let today = date!(2026 - 11 - 26);
        assert_eq!(
            default_end(today, 30, date!(2027 - 06 - 30)),
            date!(2026 - 12 - 26)
        );
        assert_eq!(
            default_end(today, 90, date!(2026 - 12 - 31)),
            date!(2026 - 12 - 31)
        );
    }
}
