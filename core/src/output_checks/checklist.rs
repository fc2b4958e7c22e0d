//! The disclosure-control checklist a requester answers for each output. Operators keep the
//! items; each item applies to some kinds of output ("every cell counts at least 10 people" to
//! tables, not to code). Every item that applies must be answered, and an answer other than
//! "yes" must say why, so checkers never have to guess what was meant.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an output is, which decides the items that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    Table,
    Chart,
    Model,
    Code,
    Document,
}

impl OutputKind {
    pub const ALL: [OutputKind; 5] = [
        OutputKind::Table,
        OutputKind::Chart,
        OutputKind::Model,
        OutputKind::Code,
        OutputKind::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Table => "table",
            OutputKind::Chart => "chart",
            OutputKind::Model => "model",
            OutputKind::Code => "code",
            OutputKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<OutputKind> {
        OutputKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OutputKind::Table => "Table of figures",
            OutputKind::Chart => "Chart or map",
            OutputKind::Model => "Statistical or machine-learning model",
            OutputKind::Code => "Code",
            OutputKind::Document => "Report or other text",
        }
    }
}

/// One statement the requester confirms for each output it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Stable across edits of the wording, so past answers keep their meaning.
    pub key: String,
    pub statement: String,
    pub applies_to: Vec<OutputKind>,
}

fn item(key: &str, statement: &str, applies_to: &[OutputKind]) -> Item {
    Item {
        key: key.to_owned(),
        statement: statement.to_owned(),
        applies_to: applies_to.to_vec(),
    }
}

/// The items a new installation starts with, from the common rules of thumb for statistical
/// disclosure control; operators change them.
pub fn default_items() -> Vec<Item> {
    use OutputKind::*;
    vec![
        item(
            "no_record_level",
            "It holds no record-level data: nothing describes one person or business.",
            &OutputKind::ALL,
        ),
        item(
            "min_cell_count",
            "Every count, and every cell a figure is worked out from, covers at least 10 units.",
            &[Table, Chart],
        ),
        item(
            "dominance",
            "No cell is dominated by one or two units (none holds more than half of a total).",
            &[Table, Chart],
        ),
        item(
            "rounding",
            "Counts are rounded as the data's conditions require, and totals agree with them.",
            &[Table, Chart],
        ),
        item(
            "differencing",
            "Figures cannot be subtracted from other published figures to reveal a small group.",
            &[Table, Chart, Document],
        ),
        item(
            "model_residuals",
            "No residuals, single observations or extreme values are included in the model or its outputs.",
            &[Model],
        ),
        item(
            "no_embedded_data",
            "The code holds no data, credentials or paths to data: only what runs it.",
            &[Code],
        ),
    ]
}

/// A requester's answer to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", content = "why", rename_all = "snake_case")]
pub enum Answer {
    Yes,
    /// It does not hold, and why it is still safe (checkers decide).
    No(String),
    NotApplicable(String),
}

impl Answer {
    /// An answer as a form or the API sends it: `yes`, `no` or `not_applicable`, with why
    /// (kept for the last two); anything else is not an answer.
    pub fn parse(answer: &str, why: &str) -> Option<Answer> {
        match answer.trim() {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No(why.trim().to_owned())),
            "not_applicable" => Some(Answer::NotApplicable(why.trim().to_owned())),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No(_) => "no",
            Answer::NotApplicable(_) => "not_applicable",
        }
    }

    pub fn why(&self) -> &str {
        match self {
            Answer::Yes => "",
            Answer::No(why) | Answer::NotApplicable(why) => why,
        }
    }
}

/// One output as submitted: what it is, what it shows, and its answers keyed by item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// A path in the snapshot, or a name for the whole service.
    pub name: String,
    pub kind: OutputKind,
    pub shows: String,
    pub answers: BTreeMap<String, Answer>,
}

/// What is missing from one output's answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("add at least one output to check")]
    NoOutputs,
    #[error("say what this output shows")]
    NoDescription,
    #[error("give this output a name (the file, or the page it is on)")]
    NoName,
    #[error("answer “{0}”")]
    Unanswered(String),
    #[error("say why, for “{0}”")]
    NoReason(String),
    #[error("“{0}” is not an item of the checklist")]
    UnknownItem(String),
}

/// Each problem with the outputs, by output position and item key ("" for the output itself);
/// empty when the submission is complete. A submission needs at least one output.
pub fn problems(items: &[Item], outputs: &[Output]) -> Vec<(usize, String, Problem)> {
    let mut found = Vec::new();
    if outputs.is_empty() {
        found.push((0, String::new(), Problem::NoOutputs));
    }
    for (i, output) in outputs.iter().enumerate() {
        if output.name.trim().is_empty() {
            found.push((i, String::new(), Problem::NoName));
        }
        if output.shows.trim().is_empty() {
            found.push((i, String::new(), Problem::NoDescription));
        }
        for it in items
            .iter()
            .filter(|it| it.applies_to.contains(&output.kind))
        {
            match output.answers.get(&it.key) {
                None => found.push((i, it.key.clone(), Problem::Unanswered(it.statement.clone()))),
                Some(Answer::No(why) | Answer::NotApplicable(why)) if why.trim().is_empty() => {
                    found.push((i, it.key.clone(), Problem::NoReason(it.statement.clone())))
                }
                Some(_) => {}
            }
        }
        for key in output.answers.keys() {
            if !items
                .iter()
                .any(|it| &it.key == key && it.applies_to.contains(&output.kind))
            {
                found.push((i, key.clone(), Problem::UnknownItem(key.clone())));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_their_names_and_anything_else_is_refused() {
        assert_eq!(Answer::parse(" yes ", "ignored"), Some(Answer::Yes));
        assert_eq!(
            Answer::parse("no", " rounded to 5 "),
            Some(Answer::No("rounded to 5".into()))
        );
        assert_eq!(
            Answer::parse("not_applicable", "no counts"),
            Some(Answer::NotApplicable("no counts".into()))
        );
        assert_eq!(Answer::parse("maybe", ""), None);
        assert_eq!(Answer::parse("", ""), None);
        for a in [
            Answer::Yes,
            Answer::No("w".into()),
            Answer::NotApplicable("w".into()),
        ] {
            assert_eq!(Answer::parse(a.as_str(), a.why()), Some(a.clone()));
        }
    }

    fn table(answers: &[(&str, Answer)]) -> Output {
        Output {
            name: "tables/by_region.csv".into(),
            kind: OutputKind::Table,
            shows: "Households by region, 2025".into(),
            answers: answers
                .iter()
                .map(|(k, a)| ((*k).to_owned(), a.clone()))
                .collect(),
        }
    }

    fn all_yes(kind: OutputKind) -> BTreeMap<String, Answer> {
        default_items()
            .into_iter()
            .filter(|it| it.applies_to.contains(&kind))
            .map(|it| (it.key, Answer::Yes))
            .collect()
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in OutputKind::ALL {
            assert_eq!(OutputKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OutputKind::parse("spreadsheet"), None);
    }

    #[test]
    fn every_kind_has_items_and_record_level_data_applies_to_all() {
        let items = default_items();
        for k in OutputKind::ALL {
            assert!(items.iter().any(|it| it.applies_to.contains(&k)), "{k:?}");
        }
        let keys: std::collections::BTreeSet<_> = items.iter().map(|it| &it.key).collect();
        assert_eq!(keys.len(), items.len(), "keys are unique");
    }

    #[test]
    fn a_complete_submission_has_no_problems() {
        let mut out = table(&[]);
        out.answers = all_yes(OutputKind::Table);
        out.answers.insert(
            "rounding".into(),
            Answer::NotApplicable("Figures are rates".into()),
        );
        assert_eq!(problems(&default_items(), &[out]), vec![]);
    }

    #[test]
    fn each_unanswered_item_is_named_with_its_output() {
        let items = default_items();
        let mut second = table(&[]);
        second.answers = all_yes(OutputKind::Table);
        second.answers.remove("dominance");
        let found = problems(
            &items,
            &[table(&[("no_record_level", Answer::Yes)]), second],
        );
        let first_missing: Vec<_> = found
            .iter()
            .filter(|(i, _, _)| *i == 0)
            .map(|(_, k, _)| k.as_str())
            .collect();
        assert_eq!(
            first_missing,
            ["min_cell_count", "dominance", "rounding", "differencing"]
        );
        assert_eq!(
            found
                .iter()
                .filter(|(i, _, _)| *i == 1)
                .map(|(_, k, p)| (k.as_str(), p.clone()))
                .collect::<Vec<_>>(),
            [("dominance", Problem::Unanswered(items[2].statement.clone()))]
        );
    }

    #[test]
    fn a_submission_without_outputs_is_refused() {
        assert_eq!(
            problems(&default_items(), &[]),
            [(0, String::new(), Problem::NoOutputs)]
        );
    }

    #[test]
    fn no_and_not_applicable_need_a_reason() {
        let mut out = table(&[]);
        out.answers = all_yes(OutputKind::Table);
        out.answers
            .insert("rounding".into(), Answer::No(" ".into()));
        out.answers
            .insert("dominance".into(), Answer::NotApplicable(String::new()));
        let keys: Vec<_> = problems(&default_items(), &[out])
            .into_iter()
            .map(|(_, k, p)| (k, matches!(p, Problem::NoReason(_))))
            .collect();
        assert_eq!(
            keys,
            [
                ("dominance".to_owned(), true),
                ("rounding".to_owned(), true)
            ]
        );
    }

    #[test]
    fn an_output_needs_a_name_and_what_it_shows_and_answers_only_its_own_items() {
        let mut out = Output {
            name: " ".into(),
            kind: OutputKind::Code,
            shows: String::new(),
            answers: all_yes(OutputKind::Code),
        };
        out.answers.insert("min_cell_count".into(), Answer::Yes);
        let found: Vec<_> = problems(&default_items(), &[out])
            .into_iter()
            .map(|(_, k, p)| (k, p))
            .collect();
        assert_eq!(
            found,
            [
                (String::new(), Problem::NoName),
                (String::new(), Problem::NoDescription),
                (
                    "min_cell_count".to_owned(),
                    Problem::UnknownItem("min_cell_count".into())
                ),
            ]
        );
    }
}
