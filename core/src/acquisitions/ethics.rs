//! The ethics self-assessment against the UK Statistics Authority's six ethical principles, and
//! where a completed assessment is reviewed: by the data ethics team, or, with any high-risk
//! item, by the national ethics committee.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Principle {
    PublicGood,
    Confidentiality,
    MethodsAndQuality,
    LegalCompliance,
    PublicViews,
    Transparency,
}

impl Principle {
    pub const ALL: [Principle; 6] = [
        Principle::PublicGood,
        Principle::Confidentiality,
        Principle::MethodsAndQuality,
        Principle::LegalCompliance,
        Principle::PublicViews,
        Principle::Transparency,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Principle::PublicGood => "Public good",
            Principle::Confidentiality => "Confidentiality and data security",
            Principle::MethodsAndQuality => "Methods and quality",
            Principle::LegalCompliance => "Legal compliance",
            Principle::PublicViews => "Public views and engagement",
            Principle::Transparency => "Transparency",
        }
    }

    /// The questions the applicant rates for this principle: (key, question).
    pub fn items(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Principle::PublicGood => &[
                (
                    "benefit",
                    "Does the work have a clear benefit for the public or for policy?",
                ),
                (
                    "harm",
                    "Could any group be harmed or disadvantaged by the work or its results?",
                ),
            ],
            Principle::Confidentiality => &[
                (
                    "identification",
                    "Could a person or organisation be identified from the data or the outputs?",
                ),
                (
                    "security",
                    "Is the data held, moved and deleted securely throughout?",
                ),
            ],
            Principle::MethodsAndQuality => &[
                (
                    "methods",
                    "Are the methods sound, with their limits understood and stated?",
                ),
                (
                    "oversight",
                    "Is there enough human oversight of automated or novel methods?",
                ),
            ],
            Principle::LegalCompliance => &[
                (
                    "basis",
                    "Is there a lawful basis for acquiring and using the data?",
                ),
                (
                    "terms",
                    "Does the use keep to the supplier's licence and agreement?",
                ),
            ],
            Principle::PublicViews => &[
                (
                    "acceptability",
                    "Would the public find this use of the data acceptable?",
                ),
                (
                    "engagement",
                    "Have the views of people the data is about been sought or considered?",
                ),
            ],
            Principle::Transparency => &[
                (
                    "openness",
                    "Will the use of the data be described publicly?",
                ),
                ("results", "Will the methods and results be published?"),
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Risk {
    Low,
    Average,
    High,
}

impl Risk {
    pub fn parse(s: &str) -> Option<Risk> {
        match s.trim() {
            "low" => Some(Risk::Low),
            "average" => Some(Risk::Average),
            "high" => Some(Risk::High),
            _ => None,
        }
    }
}

/// One item as the applicant rated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub principle: Principle,
    pub item: String,
    pub risk: Option<Risk>,
    pub justification: String,
}

/// Something missing from the assessment, to link to from the error summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// `<principle>-<item>-risk` or `…-justification`, the form field's id.
    pub field: String,
    pub message: String,
}

/// The form field of one item's rating (`risk`) or `justification`.
pub fn item_field(p: Principle, item: &str, part: &str) -> String {
    format!("{p:?}-{item}-{part}").to_lowercase()
}

/// Every item of every principle needs a rating and a justification of it.
pub fn gaps(ratings: &[Rating]) -> Vec<Gap> {
    let mut out = Vec::new();
    for p in Principle::ALL {
        for (item, question) in p.items() {
            let r = ratings.iter().find(|r| r.principle == p && r.item == *item);
            if r.and_then(|r| r.risk).is_none() {
                out.push(Gap {
                    field: item_field(p, item, "risk"),
                    message: format!("{}: rate the risk of \u{201c}{question}\u{201d}", p.label()),
                });
            }
            if r.is_none_or(|r| r.justification.trim().is_empty()) {
                out.push(Gap {
                    field: item_field(p, item, "justification"),
                    message: format!(
                        "{}: say why you rated \u{201c}{question}\u{201d} as you did",
                        p.label()
                    ),
                });
            }
        }
    }
    out
}

/// Who reviews a complete assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Route {
    /// Every item low or average.
    DataEthicsTeam,
    /// At least one item high: referred to the national ethics committee's next meeting.
    NationalCommittee,
}

/// Routes a complete assessment; an incomplete one has its gaps instead.
pub fn route(ratings: &[Rating]) -> Result<Route, Vec<Gap>> {
    let gaps = gaps(ratings);
    if !gaps.is_empty() {
        return Err(gaps);
    }
    if ratings.iter().any(|r| r.risk == Some(Risk::High)) {
        Ok(Route::NationalCommittee)
    } else {
        Ok(Route::DataEthicsTeam)
    }
}

/// Whether the ethics phase may be cleared now: the data ethics team clears what it reviews;
/// an assessment with a high-risk item only after its referral to the committee.
pub fn may_clear(route: Route, referred: bool) -> Result<(), &'static str> {
    match (route, referred) {
        (Route::DataEthicsTeam, _) | (Route::NationalCommittee, true) => Ok(()),
        (Route::NationalCommittee, false) => Err(
            "an item is rated high risk: refer the application to the national ethics committee, with its meeting date, first",
        ),
    }
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::DataEthicsTeam => "team",
            Route::NationalCommittee => "committee",
        }
    }

    pub fn parse(s: &str) -> Option<Route> {
        [Route::DataEthicsTeam, Route::NationalCommittee]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::DataEthicsTeam => "Data ethics team",
            Route::NationalCommittee => "National ethics committee (an item is rated high risk)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(risk: Risk) -> Vec<Rating> {
        Principle::ALL
            .iter()
            .flat_map(|p| {
                p.items().iter().map(move |(item, _)| Rating {
                    principle: *p,
                    item: (*item).to_owned(),
                    risk: Some(risk),
                    justification: "Because.".into(),
                })
            })
            .collect()
    }

    #[test]
    fn every_principle_has_items_with_distinct_keys() {
        for p in Principle::ALL {
            let keys: std::collections::BTreeSet<_> = p.items().iter().map(|(k, _)| k).collect();
            assert!(keys.len() >= 2 && keys.len() == p.items().len(), "{p:?}");
        }
    }

    #[test]
    fn low_and_average_go_to_the_team_and_any_single_high_item_to_the_committee() {
        assert_eq!(route(&all(Risk::Low)), Ok(Route::DataEthicsTeam));
        assert_eq!(route(&all(Risk::Average)), Ok(Route::DataEthicsTeam));
        let n = all(Risk::Low).len();
        for i in 0..n {
            let mut r = all(Risk::Low);
            r[i].risk = Some(Risk::High);
            assert_eq!(route(&r), Ok(Route::NationalCommittee), "item {i}");
        }
    }

    #[test]
    fn a_missing_rating_or_justification_is_a_gap_named_by_its_field() {
        let mut r = all(Risk::Low);
        r[0].risk = None;
        r[3].justification = "  ".into();
        r.pop();
        let missing = route(&r).unwrap_err();
        let fields: Vec<&str> = missing.iter().map(|g| g.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "publicgood-benefit-risk",
                "confidentiality-security-justification",
                "transparency-results-risk",
                "transparency-results-justification",
            ]
        );
        assert!(missing[0].message.starts_with("Public good: rate the risk"));
        assert_eq!(gaps(&[]).len(), 2 * all(Risk::Low).len());
    }

    #[test]
    fn the_committee_route_is_cleared_only_after_referral() {
        assert!(may_clear(Route::DataEthicsTeam, false).is_ok());
        assert!(may_clear(Route::DataEthicsTeam, true).is_ok());
        assert!(may_clear(Route::NationalCommittee, false).is_err());
        assert!(may_clear(Route::NationalCommittee, true).is_ok());
        for r in [Route::DataEthicsTeam, Route::NationalCommittee] {
            assert_eq!(Route::parse(r.as_str()), Some(r));
        }
    }
}
