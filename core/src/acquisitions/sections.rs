//! The application as a task list: each section is not started, in progress or completed from
//! what has been saved in it, and submitting needs every section completed, with each gap named
//! by its field so the error summary can link to it.

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

/// A field of a section: (key, label, required).
type Field = (&'static str, &'static str, bool);

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
        match self {
            Section::Purpose => &[
                ("title", "Title of the work", true),
                ("lay_summary", "Lay summary", true),
                ("public_benefit", "Public benefit", true),
            ],
            Section::SafePeople => &[(
                "researchers",
                "Who will work with the data, and their training",
                true,
            )],
            Section::SafeProjects => &[(
                "project_justification",
                "Why the work needs this data",
                true,
            )],
            Section::SafeData => &[(
                "disclosure_control",
                "How people and organisations are kept from being identified",
                true,
            )],
            Section::SafeSettings => &[(
                "settings",
                "Where the data is held and who can reach it",
                true,
            )],
            Section::SafeOutputs => &[(
                "output_checks",
                "How outputs are checked before they leave",
                true,
            )],
            Section::TheData => &[
                ("supplier", "Supplier", true),
                ("licence", "Licence", true),
                ("format", "Format", true),
                ("volume", "Volume", true),
                ("refresh", "How often it is refreshed", true),
                ("retention_date", "Keep until (YYYY-MM-DD)", true),
                ("deletion_date", "Delete by (YYYY-MM-DD)", true),
            ],
            // Optional: an application may have no collaborators.
            Section::Collaborators => &[(
                "collaborators",
                "User names of collaborators who may edit",
                false,
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
        for (key, label, required) in s.fields() {
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
                message: "The data: dates must be real dates, like 2027-03-31".into(),
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Answers {
        Section::ALL
            .iter()
            .flat_map(|s| s.fields())
            .filter(|f| f.2)
            .map(|(k, _, _)| ((*k).to_owned(), "Something".to_owned()))
            .chain([
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
}
