//! Data acquisitions as pages read them: the lists, one application with what the reader may do
//! with it, a section's form, the ethics self-assessment and the public register.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionRow {
    pub id: i64,
    pub title: String,
    pub applicant: String,
    pub state: String,
    /// The status tag's variant: `success`, `error`, `pending`, `info` or empty.
    pub tone: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionLists {
    pub can_start: bool,
    pub mine: Vec<AcquisitionRow>,
    /// The application id the next (older) page of `mine` continues after, if there is more.
    pub mine_next: Option<i64>,
    /// Applications under review, for reviewers; `None` for everyone else.
    pub reviews: Option<Vec<AcquisitionRow>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub href: String,
    pub title: String,
    pub progress: String,
    pub done: bool,
    pub comments: Vec<String>,
}

/// One answered question, for the summary reviewers read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRow {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerGroup {
    pub title: String,
    pub rows: Vec<AnswerRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedRow {
    pub section: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRow {
    pub at: String,
    pub who: String,
    pub step: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquisitionView {
    pub id: i64,
    pub title: String,
    pub applicant: String,
    pub collaborators: Vec<String>,
    pub state: String,
    pub state_label: String,
    pub tone: String,
    pub phase: String,
    pub due: String,
    pub route: String,
    pub committee_date: String,
    pub tasks: Vec<TaskRow>,
    pub ethics_progress: String,
    pub ethics_done: bool,
    pub can_edit: bool,
    pub can_withdraw: bool,
    pub can_review: bool,
    pub can_upload: bool,
    pub can_amend: bool,
    /// An amendment or renewal is under way; the approved terms stand meanwhile.
    pub amending: bool,
    pub dataset_id: Option<i64>,
    pub assigned: bool,
    pub reviewers: Vec<(String, String)>,
    pub answers: Vec<AnswerGroup>,
    pub ethics: Vec<AnswerGroup>,
    pub applicant_class: String,
    pub reviewer_class: String,
    pub legal: Vec<AnswerRow>,
    pub approvals: Vec<(String, Vec<String>)>,
    pub conditions: Vec<String>,
    pub outcome_reason: String,
    pub changed: Vec<ChangedRow>,
    pub comments: Vec<PathRow>,
    pub path: Vec<PathRow>,
    pub classification_options: Vec<(String, String)>,
    pub sections: Vec<(String, String)>,
    pub secure_service: String,
}

/// One field of a section's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub required: bool,
    /// `short`, `long`, `date` or `classification`.
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionView {
    pub id: i64,
    pub application: String,
    pub slug: String,
    pub title: String,
    pub fields: Vec<FieldView>,
    pub classification_options: Vec<(String, String)>,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EthicsItemView {
    pub risk_field: String,
    pub why_field: String,
    pub question: String,
    pub risk: String,
    pub justification: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EthicsView {
    pub id: i64,
    pub application: String,
    pub principles: Vec<(String, Vec<EthicsItemView>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterEntryView {
    pub id: i64,
    pub title: String,
    pub organisation: String,
    pub lay_summary: String,
    pub public_benefit: String,
    pub datasets: Vec<String>,
    pub legal_basis: String,
    pub start_date: String,
    pub end_date: String,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use campus_core::acquisitions::classification::{Classification, SECURE_SERVICE};
    use campus_core::acquisitions::decision::State;
    use campus_core::acquisitions::ethics::{Principle, Risk};
    use campus_core::acquisitions::sections::{Answer, Progress, Section};
    use campus_core::clock;
    use campus_core::store::acquisitions::Acquisition;

    pub fn tone(s: State) -> &'static str {
        match s {
            State::Approved => "success",
            State::Rejected | State::Refused => "error",
            State::Withdrawn => "dead",
            State::Draft | State::ChangesRequested => "info",
            _ => "pending",
        }
    }

    fn date(t: Option<i64>) -> String {
        t.map(|t| clock::format_utc(t).chars().take(10).collect())
            .unwrap_or_default()
    }

    pub fn row(a: &Acquisition) -> AcquisitionRow {
        AcquisitionRow {
            id: a.id,
            title: if a.title.is_empty() {
                "Untitled application".into()
            } else {
                a.title.clone()
            },
            applicant: a.applicant_name.clone(),
            state: a.state.label().to_owned(),
            tone: tone(a.state).to_owned(),
            due: date(a.phase_due),
            overdue: a.phase_due.is_some_and(|d| d < clock::now()),
        }
    }

    pub fn classification_options() -> Vec<(String, String)> {
        Classification::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.label().to_owned()))
            .collect()
    }

    fn class_label(v: &str) -> String {
        Classification::parse(v)
            .map(|c| c.label().to_owned())
            .unwrap_or_default()
    }

    fn risk_label(r: Option<Risk>) -> &'static str {
        match r {
            Some(Risk::Low) => "Low risk",
            Some(Risk::Average) => "Average risk",
            Some(Risk::High) => "High risk",
            None => "Not rated",
        }
    }

    pub fn progress(p: Progress) -> (String, bool) {
        (p.label().to_owned(), p == Progress::Completed)
    }

    pub fn kind(k: Answer) -> &'static str {
        match k {
            Answer::Short => "short",
            Answer::Long => "long",
            Answer::Date => "date",
            Answer::Classification => "classification",
        }
    }

    pub fn view(d: campus_core::services::acquisitions::Detail) -> AcquisitionView {
        let a = &d.acquisition;
        // Reviewers read what was submitted; the applicant reads what they have saved.
        let shown = if a.state.in_review() || a.state.is_final() {
            &a.submitted
        } else {
            &a.answers
        };
        let answers = Section::ALL
            .iter()
            .map(|s| AnswerGroup {
                title: s.title().to_owned(),
                rows: s
                    .fields()
                    .iter()
                    .map(|(key, label, _, kind)| {
                        let v = shown.get(*key).cloned().unwrap_or_default();
                        AnswerRow {
                            label: (*label).to_owned(),
                            value: if *kind == Answer::Classification {
                                class_label(&v)
                            } else {
                                v
                            },
                        }
                    })
                    .collect(),
            })
            .collect();
        let ethics = Principle::ALL
            .iter()
            .map(|p| AnswerGroup {
                title: p.label().to_owned(),
                rows: p
                    .items()
                    .iter()
                    .map(|(item, question)| {
                        let r = a
                            .ethics
                            .iter()
                            .find(|r| r.principle == *p && r.item == *item);
                        AnswerRow {
                            label: (*question).to_owned(),
                            value: format!(
                                "{}. {}",
                                risk_label(r.and_then(|r| r.risk)),
                                r.map(|r| r.justification.clone()).unwrap_or_default()
                            ),
                        }
                    })
                    .collect(),
            })
            .collect();
        let legal = if a.lawful_basis.is_empty() {
            Vec::new()
        } else {
            vec![
                AnswerRow {
                    label: "Lawful basis".into(),
                    value: a.lawful_basis.clone(),
                },
                AnswerRow {
                    label: "Legislation".into(),
                    value: a.legislation.clone(),
                },
                AnswerRow {
                    label: "Agreement reference".into(),
                    value: a.agreement_ref.clone(),
                },
            ]
        };
        let (ethics_progress, ethics_done) = progress(d.ethics_progress);
        AcquisitionView {
            id: a.id,
            title: row(a).title,
            applicant: a.applicant_name.clone(),
            collaborators: d.collaborators.clone(),
            state: a.state.as_str().to_owned(),
            state_label: a.state.label().to_owned(),
            tone: tone(a.state).to_owned(),
            phase: a
                .state
                .phase()
                .map(|p| p.label().to_owned())
                .unwrap_or_default(),
            due: date(a.phase_due),
            route: d.route.map(|r| r.label().to_owned()).unwrap_or_default(),
            committee_date: a.committee_date.clone(),
            tasks: d
                .tasks
                .iter()
                .map(|t| {
                    let (p, done) = progress(t.progress);
                    TaskRow {
                        href: format!("/acquisitions/{}/sections/{}", a.id, t.slug),
                        title: t.title.clone(),
                        progress: p,
                        done,
                        comments: t.comments.clone(),
                    }
                })
                .collect(),
            ethics_progress,
            ethics_done,
            can_edit: d.position.can_edit,
            can_withdraw: d.position.can_withdraw,
            can_review: d.position.can_review,
            can_upload: d.position.can_upload,
            can_amend: d.position.can_amend,
            amending: a.amending,
            dataset_id: d.dataset_id,
            assigned: d.position.assigned,
            reviewers: d
                .reviewers
                .iter()
                .map(|(p, _, n)| (p.label().to_owned(), n.clone()))
                .collect(),
            answers,
            ethics,
            applicant_class: class_label(
                a.submitted
                    .get("classification")
                    .or(a.answers.get("classification"))
                    .map(String::as_str)
                    .unwrap_or_default(),
            ),
            reviewer_class: class_label(&a.reviewer_class),
            legal,
            approvals: d
                .approvals
                .iter()
                .map(|(_, n, c)| (n.clone(), c.clone()))
                .collect(),
            conditions: a.conditions.clone(),
            outcome_reason: a.outcome_reason.clone(),
            changed: d
                .changed
                .iter()
                .map(|c| ChangedRow {
                    section: c.section.clone(),
                    label: c.label.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect(),
            comments: d
                .comments
                .iter()
                .map(|c| PathRow {
                    at: clock::format_utc(c.at),
                    who: c.author_name.clone(),
                    step: Section::parse(&c.section)
                        .map(|s| s.title().to_owned())
                        .unwrap_or_default(),
                    note: c.body.clone(),
                })
                .collect(),
            path: d
                .events
                .iter()
                .map(|e| PathRow {
                    at: clock::format_utc(e.at),
                    who: e.actor_name.clone().unwrap_or_else(|| "The portal".into()),
                    step: State::parse(&e.to)
                        .map(|s| s.label().to_owned())
                        .unwrap_or_default(),
                    note: e.note.clone(),
                })
                .collect(),
            classification_options: classification_options(),
            sections: Section::ALL
                .iter()
                .map(|s| (s.slug().to_owned(), s.title().to_owned()))
                .collect(),
            secure_service: SECURE_SERVICE.to_owned(),
        }
    }
}

#[server(prefix = "/_sf", endpoint = "list_acquisitions")]
pub async fn list_acquisitions(after: Option<i64>) -> Result<AcquisitionLists, AppError> {
    use campus_core::authz::{check, Action, Object};
    use campus_core::paging::PAGE_SIZE;
    use campus_core::services::acquisitions as svc;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let mine = svc::mine(&db, actor.as_ref(), after, PAGE_SIZE).await?;
    let reviews = if check(actor.as_ref(), Action::ListReviews, Object::Portal).is_ok() {
        Some(
            svc::review_queue(&db, actor.as_ref())
                .await?
                .iter()
                .map(convert::row)
                .collect(),
        )
    } else {
        None
    };
    Ok(AcquisitionLists {
        can_start: check(actor.as_ref(), Action::StartAcquisition, Object::Portal).is_ok(),
        mine: mine.items.iter().map(convert::row).collect(),
        mine_next: mine.next,
        reviews,
    })
}

#[server(prefix = "/_sf", endpoint = "get_acquisition")]
pub async fn get_acquisition(id: i64) -> Result<AcquisitionView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let d = campus_core::services::acquisitions::detail(&db, actor.as_ref(), id).await?;
    Ok(convert::view(d))
}

#[server(prefix = "/_sf", endpoint = "get_acquisition_section")]
pub async fn get_acquisition_section(id: i64, slug: String) -> Result<SectionView, AppError> {
    use campus_core::acquisitions::sections::Section;
    let section = Section::parse(&slug).ok_or(AppError::NotFound("section".into()))?;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let d = campus_core::services::acquisitions::detail(&db, actor.as_ref(), id).await?;
    if !d.position.can_edit {
        return Err(AppError::Forbidden(
            "this application is not yours to change now".into(),
        ));
    }
    let a = &d.acquisition;
    Ok(SectionView {
        id,
        application: convert::row(a).title,
        slug: slug.clone(),
        title: section.title().to_owned(),
        fields: section
            .fields()
            .iter()
            .map(|(key, label, required, kind)| FieldView {
                key: (*key).to_owned(),
                label: (*label).to_owned(),
                required: *required,
                kind: convert::kind(*kind).to_owned(),
                value: a.answers.get(*key).cloned().unwrap_or_default(),
            })
            .collect(),
        classification_options: convert::classification_options(),
        comments: d
            .tasks
            .iter()
            .find(|t| t.slug == slug)
            .map(|t| t.comments.clone())
            .unwrap_or_default(),
    })
}

#[server(prefix = "/_sf", endpoint = "get_acquisition_ethics")]
pub async fn get_acquisition_ethics(id: i64) -> Result<EthicsView, AppError> {
    use campus_core::acquisitions::ethics::{item_field, Principle, Risk};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let d = campus_core::services::acquisitions::detail(&db, actor.as_ref(), id).await?;
    if !d.position.can_edit {
        return Err(AppError::Forbidden(
            "this application is not yours to change now".into(),
        ));
    }
    let a = &d.acquisition;
    Ok(EthicsView {
        id,
        application: convert::row(a).title,
        principles: Principle::ALL
            .iter()
            .map(|p| {
                let items = p
                    .items()
                    .iter()
                    .map(|(item, question)| {
                        let r = a
                            .ethics
                            .iter()
                            .find(|r| r.principle == *p && r.item == *item);
                        EthicsItemView {
                            risk_field: item_field(*p, item, "risk"),
                            why_field: item_field(*p, item, "justification"),
                            question: (*question).to_owned(),
                            risk: match r.and_then(|r| r.risk) {
                                Some(Risk::Low) => "low",
                                Some(Risk::Average) => "average",
                                Some(Risk::High) => "high",
                                None => "",
                            }
                            .to_owned(),
                            justification: r.map(|r| r.justification.clone()).unwrap_or_default(),
                        }
                    })
                    .collect();
                (p.label().to_owned(), items)
            })
            .collect(),
    })
}

/// The public data-use register: no account needed.
#[server(prefix = "/_sf", endpoint = "get_register")]
pub async fn get_register() -> Result<Vec<RegisterEntryView>, AppError> {
    let db = crate::ssr::db()?;
    Ok(campus_core::services::acquisitions::register(&db)
        .await?
        .into_iter()
        .map(|e| RegisterEntryView {
            id: e.id,
            title: e.title,
            organisation: e.organisation,
            lay_summary: e.lay_summary,
            public_benefit: e.public_benefit,
            datasets: e.datasets,
            legal_basis: e.legal_basis,
            start_date: e.start_date,
            end_date: e.end_date,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub id: i64,
    pub title: String,
    /// Empty while open; otherwise when and why it closed.
    pub closed: String,
    pub source: String,
    pub licence: String,
    pub classification: String,
    pub owner: String,
    pub retention_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub number: i64,
    pub created: String,
    pub files: Vec<FileLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadView {
    pub name: String,
    pub size: String,
    pub sha256: String,
    pub outcome: String,
    pub uploader: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub project: String,
    pub granted: String,
    pub reason: String,
    /// Who revoked it, when and why; empty while live.
    pub revoked: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetView {
    pub row: DatasetRow,
    pub description: String,
    pub acquisition_id: i64,
    pub conditions: Vec<String>,
    pub versions: Vec<VersionView>,
    pub uploads: Vec<UploadView>,
    pub grants: Vec<GrantView>,
    pub can_manage: bool,
    pub projects: Vec<(String, String)>,
    pub certificate: Option<CertificateView>,
}

/// A file as listed: (name, size, SHA-256).
pub type FileLine = (String, String, String);

/// The deletion certificate of a closed dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateView {
    /// When and by whom.
    pub when: String,
    pub files: Vec<FileLine>,
    /// Files that could not be deleted, with why.
    pub failures: Vec<String>,
}

#[cfg(feature = "ssr")]
fn dataset_row(d: &campus_core::store::datasets::Dataset) -> DatasetRow {
    use campus_core::acquisitions::classification::Classification;
    DatasetRow {
        id: d.id,
        title: d.title.clone(),
        closed: d
            .closed_at
            .map(|t| {
                format!(
                    "Closed {}: {}",
                    campus_core::clock::format_utc(t),
                    d.close_reason
                )
            })
            .unwrap_or_default(),
        source: d.source.clone(),
        licence: d.licence.clone(),
        classification: Classification::parse(&d.classification)
            .map(|c| c.label().to_owned())
            .unwrap_or_default(),
        owner: d.owner_name.clone(),
        retention_date: d.retention_date.clone(),
    }
}

/// A page of the dataset catalogue, by title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetPage {
    pub rows: Vec<DatasetRow>,
    /// The dataset id the next page continues after, if there is more.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "list_datasets")]
pub async fn list_datasets(q: String, after: Option<i64>) -> Result<DatasetPage, AppError> {
    use campus_core::paging::PAGE_SIZE;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let page =
        campus_core::services::datasets::list(&db, actor.as_ref(), &q, after, PAGE_SIZE).await?;
    Ok(DatasetPage {
        rows: page.items.iter().map(dataset_row).collect(),
        next: page.next,
    })
}

#[server(prefix = "/_sf", endpoint = "get_dataset")]
pub async fn get_dataset(id: i64) -> Result<DatasetView, AppError> {
    use campus_core::clock::format_utc;
    use campus_core::units::bytes;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let d = campus_core::services::datasets::detail(&db, actor.as_ref(), id).await?;
    Ok(DatasetView {
        row: dataset_row(&d.dataset),
        description: d.dataset.description.clone(),
        acquisition_id: d.dataset.acquisition_id,
        conditions: d.dataset.conditions.clone(),
        versions: d
            .versions
            .iter()
            .map(|v| VersionView {
                number: v.number,
                created: format!("{} by {}", format_utc(v.created_at), v.created_by),
                files: v
                    .files
                    .iter()
                    .map(|f| (f.name.clone(), bytes(f.bytes as u64), f.sha256.clone()))
                    .collect(),
            })
            .collect(),
        uploads: d
            .uploads
            .iter()
            .map(|u| UploadView {
                name: u.name.clone(),
                size: bytes(u.bytes as u64),
                sha256: u.sha256.clone(),
                outcome: if u.outcome == "infected" {
                    format!("Quarantined: {}", u.signature)
                } else {
                    "Clean".into()
                },
                uploader: u.uploader.clone(),
                at: format_utc(u.at),
            })
            .collect(),
        grants: d
            .grants
            .iter()
            .map(|g| GrantView {
                id: g.id,
                project: g.project_name.clone(),
                granted: format!("{} by {}", format_utc(g.granted_at), g.granted_by),
                reason: g.reason.clone(),
                revoked: match (&g.revoked_by, g.revoked_at) {
                    (Some(by), Some(at)) => {
                        format!("Revoked {} by {}: {}", format_utc(at), by, g.revoke_reason)
                    }
                    _ => String::new(),
                },
            })
            .collect(),
        can_manage: d.can_manage && d.dataset.closed_at.is_none(),
        certificate: d.certificate.as_ref().map(|c| CertificateView {
            when: format!("{} by {}", format_utc(c.at), c.by),
            files: c
                .files
                .iter()
                .map(|f| (f.name.clone(), bytes(f.bytes as u64), f.sha256.clone()))
                .collect(),
            failures: c.failures.clone(),
        }),
        projects: d
            .projects
            .iter()
            .map(|(id, n)| (id.to_string(), n.clone()))
            .collect(),
    })
}
