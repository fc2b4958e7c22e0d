//! What public pages (the showcase and training materials) show. These pages ship no WASM: the
//! server loads their data before rendering and hands it over in [`PublicRender`], so they
//! create no resources and need no hydration, and anonymous visitors get them from a cache.
//! Also the announcements every page shows, and search, which hydrated pages read as usual.

use crate::api::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementView {
    pub id: i64,
    /// information, maintenance or incident
    pub kind: String,
    pub label: String,
    pub message: String,
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseItem {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub year: Option<i64>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseList {
    pub projects: Vec<ShowcaseItem>,
    pub tags: Vec<(String, i64)>,
    pub years: Vec<i64>,
    pub tag: Option<String>,
    pub year: Option<i64>,
    /// The address of the next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub text: String,
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub name: String,
    pub purpose: String,
    pub href: String,
    /// The output check that released it: (its record's address, when approved, SHA-256).
    pub check: Option<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseProject {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub team: Vec<String>,
    pub outputs: Vec<String>,
    pub links: Vec<LinkView>,
    pub tags: Vec<String>,
    pub year: Option<i64>,
    /// Rendered and sanitised on the server when it was published.
    pub html: String,
    pub published: String,
    pub services: Vec<ServiceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseItem {
    pub slug: String,
    pub title: String,
    pub topic: String,
    pub summary: String,
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseList {
    pub courses: Vec<CourseItem>,
    pub next: Option<String>,
    pub can_create: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub name: String,
    pub href: String,
    pub size: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseDetail {
    pub course: CourseItem,
    pub owner: String,
    pub pages: Vec<LinkView>,
    pub attachments: Vec<AttachmentView>,
    pub can_edit: bool,
    /// The page being read, if one is: its title and sanitised HTML.
    pub page: Option<(String, String)>,
    /// Sessions to come or running: (address, when, sandbox).
    pub sessions: Vec<(String, String, String)>,
    pub previous: Option<LinkView>,
    pub next: Option<LinkView>,
}

/// One public page's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicData {
    Showcase(ShowcaseList),
    Project(ShowcaseProject),
    Courses(CourseList),
    Course(CourseDetail),
}

/// Everything a public page renders from, provided as context by the server's public-page
/// handler. Its presence also tells the shell to leave out the hydration scripts.
#[derive(Debug, Clone)]
pub struct PublicRender {
    pub user: Option<CurrentUser>,
    pub announcements: Vec<AnnouncementView>,
    pub data: Result<PublicData, AppError>,
}

/// What shows now in the banner of every page.
#[server(prefix = "/_sf", endpoint = "get_announcements")]
pub async fn get_announcements() -> Result<Vec<AnnouncementView>, AppError> {
    let db = crate::ssr::db()?;
    ssr::announcements(&db).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResultView {
    pub kind: String,
    pub href: String,
    pub title: Vec<(String, bool)>,
    pub excerpt: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchView {
    pub query: String,
    pub results: Vec<SearchResultView>,
    pub next: Option<String>,
    pub no_words: bool,
    pub too_common: Vec<String>,
}

#[server(prefix = "/_sf", endpoint = "search")]
pub async fn search(q: String, after: Option<String>) -> Result<SearchView, AppError> {
    use campus_core::store::search::Kind;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let r =
        campus_core::services::search::search(&db, actor.as_ref(), &q, after.as_deref()).await?;
    let encoded = |s: &str| crate::forms::url_encode(s);
    Ok(SearchView {
        next: r
            .next
            .map(|n| format!("/search?q={}&after={}", encoded(&r.query), encoded(&n))),
        query: r.query,
        no_words: r.no_words,
        too_common: r.too_common,
        results: r
            .results
            .into_iter()
            .map(|f| SearchResultView {
                kind: match f.kind {
                    Kind::Project => "Project",
                    Kind::Course => "Training",
                    Kind::Dataset => "Dataset",
                    Kind::Request => "Request",
                }
                .into(),
                href: f.url,
                title: f.title,
                excerpt: f.excerpt,
            })
            .collect(),
    })
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The loaders the server's public-page handler calls, one per page.
    use super::*;
    use campus_core::authz::Actor;
    use campus_core::services::{announcements as ann, showcase, training};
    use campus_core::Db;

    pub async fn announcements(db: &Db) -> Result<Vec<AnnouncementView>, AppError> {
        Ok(ann::showing(db)
            .await?
            .into_iter()
            .map(|a| AnnouncementView {
                id: a.id,
                kind: a.kind.as_str().into(),
                label: a.kind.label().into(),
                message: a.message,
                until: campus_core::clock::format_utc(a.expires_at),
            })
            .collect())
    }

    pub async fn showcase_list(
        db: &Db,
        tag: Option<String>,
        year: Option<i64>,
        after: Option<i64>,
    ) -> Result<PublicData, AppError> {
        let filter = showcase::Filter {
            tag: tag.clone(),
            year,
            after,
        };
        let l = showcase::list(db, &filter).await?;
        let mut next_q = Vec::new();
        if let Some(t) = &tag {
            next_q.push(format!("tag={}", crate::forms::url_encode(t)));
        }
        if let Some(y) = year {
            next_q.push(format!("year={y}"));
        }
        Ok(PublicData::Showcase(ShowcaseList {
            next: l.next.map(|n| {
                next_q.push(format!("after={n}"));
                format!("/showcase?{}", next_q.join("&"))
            }),
            projects: l
                .projects
                .into_iter()
                .map(|p| ShowcaseItem {
                    slug: p.slug,
                    title: p.title,
                    summary: p.summary,
                    year: p.year,
                    tags: p.tags,
                })
                .collect(),
            tags: l.tags,
            years: l.years,
            tag: tag.filter(|t| !t.is_empty()),
            year,
        }))
    }

    pub async fn showcase_project(db: &Db, slug: &str) -> Result<PublicData, AppError> {
        let p = showcase::public_page(db, slug).await?;
        let c = p.published.content;
        Ok(PublicData::Project(ShowcaseProject {
            slug: p.slug,
            title: c.title,
            summary: c.summary,
            team: c.team,
            outputs: c.outputs,
            links: c
                .links
                .into_iter()
                .map(|l| LinkView {
                    text: l.text,
                    href: l.url,
                })
                .collect(),
            tags: c.tags,
            year: c.year,
            html: p.published.html,
            published: campus_core::clock::format_utc(p.published_at),
            services: p
                .services
                .into_iter()
                .map(|s| ServiceView {
                    name: s.name,
                    purpose: s.purpose,
                    href: s.href,
                    check: s.check.map(|c| {
                        (
                            format!("/output-checks/{}", c.id),
                            campus_core::clock::format_utc(c.approved_at)
                                .chars()
                                .take(10)
                                .collect(),
                            c.digest,
                        )
                    }),
                })
                .collect(),
        }))
    }

    fn item(c: &campus_core::store::training::Course) -> CourseItem {
        CourseItem {
            slug: c.slug.clone(),
            title: c.title.clone(),
            topic: c.topic.clone(),
            summary: c.summary.clone(),
            public: c.public,
        }
    }

    pub async fn courses(
        db: &Db,
        actor: Option<&Actor>,
        after: Option<i64>,
    ) -> Result<PublicData, AppError> {
        use campus_core::authz::{check, Action, Object};
        let (courses, next) = training::list(db, actor, after).await?;
        Ok(PublicData::Courses(CourseList {
            courses: courses.iter().map(item).collect(),
            next: next.map(|n| format!("/training?after={n}")),
            can_create: check(actor, Action::CreateCourse, Object::Portal).is_ok(),
        }))
    }

    pub async fn course(
        db: &Db,
        actor: Option<&Actor>,
        slug: &str,
        page: Option<&str>,
    ) -> Result<PublicData, AppError> {
        let v = training::view(db, actor, slug).await?;
        let base = format!("/training/{}", v.course.slug);
        let link = |p: &campus_core::store::training::CoursePage| LinkView {
            text: p.title.clone(),
            href: format!("{base}/pages/{}", p.slug),
        };
        let (current, previous, next) = match page {
            None => (None, None, v.pages.first().map(link)),
            Some(s) => {
                let i = v
                    .pages
                    .iter()
                    .position(|p| p.slug == s)
                    .ok_or_else(|| AppError::NotFound("page".into()))?;
                let p = &v.pages[i];
                (
                    Some((p.title.clone(), p.html.clone())),
                    i.checked_sub(1)
                        .map(|j| link(&v.pages[j]))
                        .or(Some(LinkView {
                            text: "Course overview".into(),
                            href: base.clone(),
                        })),
                    v.pages.get(i + 1).map(link),
                )
            }
        };
        Ok(PublicData::Course(CourseDetail {
            course: item(&v.course),
            owner: v.course.owner_name.clone(),
            pages: v.pages.iter().map(link).collect(),
            attachments: v
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    name: a.file_name.clone(),
                    href: format!("{base}/files/{}", crate::forms::url_encode(&a.file_name)),
                    size: campus_core::units::bytes(a.size_bytes.max(0) as u64),
                })
                .collect(),
            can_edit: v.can_edit,
            sessions: campus_core::services::training_sessions::for_course(db, v.course.id)
                .await?
                .into_iter()
                .map(|s| {
                    (
                        format!("/training/sessions/{}", s.id),
                        format!(
                            "{} to {}",
                            campus_core::clock::format_utc(s.starts_at),
                            campus_core::clock::format_utc(s.ends_at)
                        ),
                        s.offering_name,
                    )
                })
                .collect(),
            page: current,
            previous,
            next,
        }))
    }
}
