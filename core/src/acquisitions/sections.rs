//! The application as a task list: each section is not started, in progress or completed from
//! what has been saved in it, and submitting needs every section completed, with each gap named
//! by its field so the error summary can link to it.

use super::classification::{self, Classification};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Section {
    Purpose,
    SafePeople,
    SafeProjects,
    SafeData,
    SafeSettings,
    SafeOutputs,
    TheData,
    Collaborators,
}

/// How a field is answered, so every form shows it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A line of text.
    Short,
    /// Paragraphs.
    Long,
    /// A date as YYYY-MM-DD.
    Date,
    /// One of the classifications (`classification::Classification`).
    Classification,
}

/// A field of a section: (key, label, required, how it is answered).
pub type Field = (&'static str, &'static str, bool, Answer);

impl Section {
    pub const ALL: [Section; 8] = [
        Section::Purpose,
        Section::SafePeople,
        Section::SafeProjects,
        Section::SafeData,
        Section::SafeSettings,
        Section::SafeOutputs,
        Section::TheData,
        Section::Collaborators,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Section::Purpose => "purpose",
            Section::SafePeople => "safe-people",
            Section::SafeProjects => "safe-projects",
            Section::SafeData => "safe-data",
            Section::SafeSettings => "safe-settings",
            Section::SafeOutputs => "safe-outputs",
            Section::TheData => "the-data",
            Section::Collaborators => "collaborators",
        }
    }

    pub fn parse(slug: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The section a field belongs to.
    pub fn of_field(key: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|s| s.fields().iter().any(|f| f.0 == key))
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Purpose => "Project and purpose",
            Section::SafePeople => "Safe people",
            Section::SafeProjects => "Safe projects",
            Section::SafeData => "Safe data",
            Section::SafeSettings => "Safe settings",
            Section::SafeOutputs => "Safe outputs",
            Section::TheData => "The data",
            Section::Collaborators => "Collaborators",
        }
    }

    pub fn fields(self) -> &'static [Field] {
        use Answer::*;
        match self {
            Section::Purpose => &[
                ("title", "Title of the work", true, Short),
                ("organisation", "Organisation doing the work", true, Short),
                ("lay_summary", "Lay summary", true, Long),
                ("public_benefit", "Public benefit", true, Long),
            ],
            Section::SafePeople => &[(
                "researchers",
                "Who will work with the data, and their training",
                true,
                Long,
            )],
            Section::SafeProjects => &[(
                "project_justification",
                "Why the work needs this data",
                true,
                Long,
            )],
            Section::SafeData => &[(
                "disclosure_control",
                "How people and organisations are kept from being identified",
                true,
                Long,
            )],
            Section::SafeSettings => &[(
                "settings",
                "Where the data is held and who can reach it",
                true,
                Long,
            )],
            Section::SafeOutputs => &[(
                "output_checks",
                "How outputs are checked before they leave",
                true,
                Long,
            )],
            Section::TheData => &[
                ("supplier", "Supplier", true, Short),
                ("licence", "Licence", true, Short),
                ("format", "Format", true, Short),
                ("volume", "Volume", true, Short),
                ("refresh", "How often it is refreshed", true, Short),
                (
                    "classification",
                    "Your classification of the data",
                    true,
                    Classification,
                ),
                ("retention_date", "Keep until", true, Date),
                ("deletion_date", "Delete by", true, Date),
            ],
            // Optional: an application may have no collaborators.
            Section::Collaborators => &[(
                "collaborators",
                "User names of collaborators who may edit",
                false,
                Short,
            )],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Progress {
    NotStarted,
    InProgress,
    Completed,
}

impl Progress {
    pub fn label(self) -> &'static str {
        match self {
            Progress::NotStarted => "Not started",
            Progress::InProgress => "In progress",
            Progress::Completed => "Completed",
        }
    }
}

/// What has been saved, by field key.
pub type Answers = BTreeMap<String, String>;

fn filled(answers: &Answers, key: &str) -> bool {
    answers.get(key).is_some_and(|v| !v.trim().is_empty())
}

/// A section's progress. An optional-only section counts as completed once the applicant has
/// saved it (`visited`), even empty.
pub fn progress(section: Section, answers: &Answers, visited: bool) -> Progress {
    let fields = section.fields();
    let required: Vec<&Field> = fields.iter().filter(|f| f.2).collect();
    if required.is_empty() {
        return if visited {
            Progress::Completed
        } else {
            Progress::NotStarted
        };
    }
    let done = required.iter().filter(|f| filled(answers, f.0)).count();
    let any = fields.iter().any(|f| filled(answers, f.0));
    if done == required.len() {
        Progress::Completed
    } else if any || visited {
        Progress::InProgress
    } else {
        Progress::NotStarted
    }
}

/// One thing missing before the application can be submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub section: Section,
    pub field: &'static str,
    pub message: String,
}

/// Every missing required answer, in task-list order. Dates must be real and the deletion date
/// no earlier than the retention date.
pub fn gaps(answers: &Answers, visited: &[Section]) -> Vec<Gap> {
    let mut out = Vec::new();
    for s in Section::ALL {
        for (key, label, required, _) in s.fields() {
            if *required && !filled(answers, key) {
                out.push(Gap {
                    section: s,
                    field: key,
                    message: format!("{}: enter {}", s.title(), label.to_lowercase()),
                });
            }
        }
        if !s.fields().iter().any(|f| f.2) && !visited.contains(&s) {
            out.push(Gap {
                section: s,
                field: s.fields()[0].0,
                message: format!("{}: confirm this section, even if empty", s.title()),
            });
        }
    }
    let date = |k: &str| {
        answers
            .get(k)
            .and_then(|v| crate::clock::parse_date(v.trim()))
    };
    for key in ["retention_date", "deletion_date"] {
        if filled(answers, key) && date(key).is_none() {
            out.push(Gap {
                section: Section::TheData,
                field: key,
                message: "The data: enter dates as real dates, like 2027-03-31".into(),
            });
        }
    }
    if filled(answers, "classification") {
        match Classification::parse(&answers["classification"]) {
            None => out.push(Gap {
                section: Section::TheData,
                field: "classification",
                message: "The data: choose one of the classifications listed".into(),
            }),
            Some(c) if c.is_sensitive() => out.push(Gap {
                section: Section::TheData,
                field: "classification",
                message: format!("The data: {}", classification::refusal_reason(c, c)),
            }),
            Some(_) => {}
        }
    }
    if let (Some(keep), Some(delete)) = (date("retention_date"), date("deletion_date")) {
        if delete < keep {
            out.push(Gap {
                section: Section::TheData,
                field: "deletion_date",
                message: "The data: the deletion date must be on or after the keep-until date"
                    .into(),
            });
        }
    }
    out
}

/// The fields whose answers differ between two submissions, in task-list order.
pub fn changed(before: &Answers, after: &Answers) -> Vec<(Section, &'static str, &'static str)> {
    let get = |a: &Answers, k: &str| a.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    Section::ALL
        .iter()
        .flat_map(|s| s.fields().iter().map(move |f| (*s, f.0, f.1)))
        .filter(|(_, key, _)| get(before, key) != get(after, key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Answers {
        Section::ALL
            .iter()
            .flat_map(|s| s.fields())
            .filter(|f| f.2)
            .map(|(k, _, _, _)| ((*k).to_owned(), "Something".to_owned()))
            .chain([
                ("classification".to_owned(), "tier-1".to_owned()),
                ("retention_date".to_owned(), "2028-03-31".to_owned()),
                ("deletion_date".to_owned(), "2028-04-30".to_owned()),
            ])
            .collect()
    }

    #[test]
    fn slugs_round_trip_and_field_keys_are_unique_across_sections() {
        for s in Section::ALL {
            assert_eq!(Section::parse(s.slug()), Some(s));
        }
        let keys: Vec<_> = Section::ALL
            .iter()
            .flat_map(|s| s.fields())
            .map(|f| f.0)
            .collect();
        let unique: std::collections::BTreeSet<_> = keys.iter().collect();
        assert_eq!(keys.len(), unique.len());
    }

    #[test]
    fn progress_follows_what_is_saved() {
        let mut a = Answers::new();
        assert_eq!(progress(Section::Purpose, &a, false), Progress::NotStarted);
        assert_eq!(progress(Section::Purpose, &a, true), Progress::InProgress);
        a.insert("title".into(), "Housing".into());
        assert_eq!(progress(Section::Purpose, &a, false), Progress::InProgress);
        a.insert("lay_summary".into(), "x".into());
        a.insert("organisation".into(), "ONS".into());
        a.insert("public_benefit".into(), "  ".into());
        assert_eq!(progress(Section::Purpose, &a, false), Progress::InProgress);
        a.insert("public_benefit".into(), "Better housing policy".into());
        assert_eq!(progress(Section::Purpose, &a, false), Progress::Completed);
        assert_eq!(
            progress(Section::Collaborators, &a, false),
            Progress::NotStarted
        );
        assert_eq!(
            progress(Section::Collaborators, &a, true),
            Progress::Completed
        );
    }

    #[test]
    fn a_complete_application_has_no_gaps_and_each_missing_answer_is_one() {
        assert_eq!(gaps(&complete(), &[Section::Collaborators]), vec![]);
        let mut a = complete();
        a.remove("lay_summary");
        a.insert("licence".into(), " ".into());
        let g = gaps(&a, &[]);
        let fields: Vec<_> = g.iter().map(|g| (g.section, g.field)).collect();
        assert_eq!(
            fields,
            [
                (Section::Purpose, "lay_summary"),
                (Section::TheData, "licence"),
                (Section::Collaborators, "collaborators"),
            ]
        );
        assert_eq!(g[0].message, "Project and purpose: enter lay summary");
    }

    #[test]
    fn dates_must_be_real_and_deletion_not_before_retention() {
        let mut a = complete();
        a.insert("retention_date".into(), "2028-02-30".into());
        assert_eq!(
            gaps(&a, &[Section::Collaborators])[0].field,
            "retention_date"
        );
        let mut a = complete();
        a.insert("deletion_date".into(), "2028-01-01".into());
        let g = gaps(&a, &[Section::Collaborators]);
        assert_eq!(g.len(), 1);
        assert!(g[0].message.contains("on or after"));
    }

    #[test]
    fn the_applicants_classification_must_be_known_and_non_sensitive() {
        for c in Classification::ALL {
            let mut a = complete();
            a.insert("classification".into(), c.as_str().into());
            let g = gaps(&a, &[Section::Collaborators]);
            if c.is_sensitive() {
                assert_eq!(g.len(), 1, "{c:?}");
                assert_eq!(g[0].field, "classification");
                assert!(g[0].message.contains("secure corporate data service"));
            } else {
                assert!(g.is_empty(), "{c:?}: {g:?}");
            }
        }
        let mut a = complete();
        a.insert("classification".into(), "secret".into());
        assert_eq!(
            gaps(&a, &[Section::Collaborators])[0].message,
            "The data: choose one of the classifications listed"
        );
    }

    #[test]
    fn every_field_belongs_to_exactly_its_section() {
        for s in Section::ALL {
            for f in s.fields() {
                assert_eq!(Section::of_field(f.0), Some(s));
            }
        }
        assert_eq!(Section::of_field("nonsense"), None);
    }

    #[test]
    fn changes_are_listed_by_field_in_order_ignoring_spacing() {
        let before = complete();
        let mut after = complete();
        assert!(changed(&before, &after).is_empty());
        after.insert("lay_summary".into(), " Something ".into());
        assert!(changed(&before, &after).is_empty());
        after.insert("volume".into(), "2 GB".into());
        after.insert("title".into(), "New title".into());
        after.insert("collaborators".into(), "bea".into());
        let keys: Vec<_> = changed(&before, &after).iter().map(|c| c.1).collect();
        assert_eq!(keys, ["title", "volume", "collaborators"]);
    }
}
