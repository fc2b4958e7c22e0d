//! The classification gate: the applicant and the data-control reviewer each classify the work,
//! they must agree, and anything sensitive is refused for the Campus network, which may hold
//! non-sensitive data only.

use serde::{Deserialize, Serialize};

/// Where sensitive work goes instead.
pub const SECURE_SERVICE: &str =
    "the office's secure corporate data service (the ONS Data Service on the core network)";

/// A classification on either scale the office uses: data tiers 0 to 4, or the Government
/// Security Classifications. Tiers 0–2 (open, published, unpublished non-sensitive) and OFFICIAL
/// are non-sensitive; tiers 3–4 (personal or commercially sensitive, and special category) and
/// OFFICIAL-SENSITIVE are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Classification {
    Tier(u8),
    Official,
    OfficialSensitive,
}

impl Classification {
    pub const ALL: [Classification; 7] = [
        Classification::Tier(0),
        Classification::Tier(1),
        Classification::Tier(2),
        Classification::Tier(3),
        Classification::Tier(4),
        Classification::Official,
        Classification::OfficialSensitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Tier(0) => "tier-0",
            Classification::Tier(1) => "tier-1",
            Classification::Tier(2) => "tier-2",
            Classification::Tier(3) => "tier-3",
            Classification::Tier(_) => "tier-4",
            Classification::Official => "official",
            Classification::OfficialSensitive => "official-sensitive",
        }
    }

    pub fn parse(s: &str) -> Option<Classification> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Classification::Tier(0) => "Tier 0: open data",
            Classification::Tier(1) => "Tier 1: published, non-sensitive",
            Classification::Tier(2) => "Tier 2: unpublished, non-sensitive",
            Classification::Tier(3) => "Tier 3: personal or commercially sensitive",
            Classification::Tier(_) => "Tier 4: special category or highly sensitive",
            Classification::Official => "OFFICIAL",
            Classification::OfficialSensitive => "OFFICIAL-SENSITIVE",
        }
    }

    pub fn is_sensitive(self) -> bool {
        match self {
            Classification::Tier(t) => t >= 3,
            Classification::Official => false,
            Classification::OfficialSensitive => true,
        }
    }
}

/// What the two classifications decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Both agree and it is non-sensitive: the application goes on.
    Passed(Classification),
    /// They differ and neither is sensitive: they must agree before it goes on.
    Disagree {
        applicant: Classification,
        reviewer: Classification,
    },
    /// Either says sensitive: refused for the Campus network, whatever the other says.
    Refused { by_reviewer: bool },
}

pub fn gate(applicant: Classification, reviewer: Classification) -> Gate {
    if reviewer.is_sensitive() || applicant.is_sensitive() {
        return Gate::Refused {
            by_reviewer: reviewer.is_sensitive(),
        };
    }
    if applicant == reviewer {
        Gate::Passed(applicant)
    } else {
        Gate::Disagree {
            applicant,
            reviewer,
        }
    }
}

/// The refusal in words, with where to go instead.
pub fn refusal_reason(applicant: Classification, reviewer: Classification) -> String {
    let worst = if reviewer.is_sensitive() {
        reviewer
    } else {
        applicant
    };
    format!(
        "the work is classified {}, and the Campus network may hold non-sensitive data only: \
         apply to {SECURE_SERVICE} instead",
        worst.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_classification_round_trips_and_only_tiers_3_4_and_sensitive_are_sensitive() {
        for c in Classification::ALL {
            assert_eq!(Classification::parse(c.as_str()), Some(c));
            let sensitive = matches!(
                c,
                Classification::Tier(3)
                    | Classification::Tier(4)
                    | Classification::OfficialSensitive
            );
            assert_eq!(c.is_sensitive(), sensitive, "{c:?}");
        }
        assert_eq!(Classification::parse("tier-5"), None);
    }

    #[test]
    fn the_gate_over_every_pair() {
        for a in Classification::ALL {
            for r in Classification::ALL {
                let g = gate(a, r);
                match g {
                    Gate::Refused { by_reviewer } => {
                        assert!(a.is_sensitive() || r.is_sensitive(), "{a:?} {r:?}");
                        assert_eq!(by_reviewer, r.is_sensitive());
                    }
                    Gate::Passed(c) => {
                        assert!(a == r && !a.is_sensitive(), "{a:?} {r:?}");
                        assert_eq!(c, a);
                    }
                    Gate::Disagree { .. } => {
                        assert!(
                            a != r && !a.is_sensitive() && !r.is_sensitive(),
                            "{a:?} {r:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_refusal_names_the_sensitive_classification_and_the_secure_service() {
        let why = refusal_reason(Classification::Tier(1), Classification::OfficialSensitive);
        assert!(why.contains("OFFICIAL-SENSITIVE"), "{why}");
        assert!(why.contains("secure corporate data service"), "{why}");
    }
}
