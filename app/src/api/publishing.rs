//! Server functions for the pages that write public content: the project page editor, the
//! operators' announcements, and writing courses.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowcaseEditorView {
    pub project_id: i64,
    pub project_name: String,
    /// The public address, once the page exists.
    pub public_href: Option<String>,
    pub values: Vec<(String, String)>,
    pub preview_html: String,
    pub gaps: Vec<(String, String)>,
    pub published: Option<String>,
    pub unpublished_changes: bool,
}

#[server(prefix = "/_sf", endpoint = "get_showcase_editor")]
pub async fn get_showcase_editor(project_id: i64) -> Result<ShowcaseEditorView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let e = campus_core::services::showcase::editor(&db, actor.as_ref(), project_id).await?;
    let f = e.form;
    Ok(ShowcaseEditorView {
        project_id: e.project_id,
        project_name: e.project_name,
        public_href: e.slug.map(|s| format!("/showcase/{s}")),
        values: vec![
            ("title".into(), f.title),
            ("summary".into(), f.summary),
            ("team".into(), f.team),
            ("outputs".into(), f.outputs),
            ("links".into(), f.links),
            ("tags".into(), f.tags),
            ("year".into(), f.year),
            ("body".into(), f.body),
        ],
        preview_html: e.preview_html,
        gaps: e.gaps,
        published: e.published_at.map(campus_core::clock::format_utc),
        unpublished_changes: e.unpublished_changes,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncementRow {
    pub id: i64,
    pub label: String,
    pub message: String,
    pub starts: String,
    pub expires: String,
    pub by: String,
    /// Showing now or still to come, so it can be withdrawn.
    pub current: bool,
    pub status: String,
}

#[server(prefix = "/_sf", endpoint = "list_announcements")]
pub async fn list_announcements() -> Result<Vec<AnnouncementRow>, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let now = campus_core::clock::now();
    Ok(
        campus_core::services::announcements::recent(&db, actor.as_ref())
            .await?
            .into_iter()
            .map(|a| {
                let status = if a.withdrawn_at.is_some() {
                    "Withdrawn"
                } else if a.expires_at <= now {
                    "Ended"
                } else if a.starts_at > now {
                    "Scheduled"
                } else {
                    "Showing"
                };
                AnnouncementRow {
                    id: a.id,
                    label: a.kind.label().into(),
                    message: a.message,
                    starts: campus_core::clock::format_utc(a.starts_at),
                    expires: campus_core::clock::format_utc(a.expires_at),
                    by: a.created_by_name,
                    current: a.withdrawn_at.is_none() && a.expires_at > now,
                    status: status.into(),
                }
            })
            .collect(),
    )
}

#[server(prefix = "/_sf", endpoint = "may_create_course")]
pub async fn may_create_course() -> Result<Vec<String>, AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    check(actor.as_ref(), Action::CreateCourse, Object::Portal)
        .map_err(campus_core::CoreError::from)?;
    Ok(campus_core::services::training::TOPICS
        .iter()
        .map(|t| (*t).to_owned())
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseManageView {
    pub slug: String,
    pub title: String,
    /// (slug, title, markdown) of each page, in order.
    pub pages: Vec<(String, String, String)>,
    pub attachments: Vec<(String, String)>,
    /// Sandboxes a session may give: (`<offering id>:<size>`, label).
    pub sandboxes: Vec<(String, String)>,
    /// Partners may enrol themselves on its sessions.
    pub partners_enrol: bool,
}

#[server(prefix = "/_sf", endpoint = "get_course_manage")]
pub async fn get_course_manage(slug: String) -> Result<CourseManageView, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let v = campus_core::services::training::view(&db, actor.as_ref(), &slug).await?;
    if !v.can_edit {
        return Err(AppError::Forbidden(
            "only the course's owner or an administrator can change it".into(),
        ));
    }
    Ok(CourseManageView {
        partners_enrol: v.course.partners_enrol,
        slug: v.course.slug,
        title: v.course.title,
        pages: v
            .pages
            .into_iter()
            .map(|p| (p.slug, p.title, p.body))
            .collect(),
        attachments: v
            .attachments
            .into_iter()
            .map(|a| {
                (
                    a.file_name,
                    campus_core::units::bytes(a.size_bytes.max(0) as u64),
                )
            })
            .collect(),
        sandboxes: campus_core::services::training_sessions::sandbox_offerings(&db)
            .await?
            .into_iter()
            .flat_map(|o| {
                o.sizes
                    .iter()
                    .map(|s| {
                        (
                            format!("{}:{}", o.id, s.code),
                            format!("{}: {}", o.name, s.label),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatView {
    pub name: String,
    pub email: String,
    pub status: String,
    pub reason: String,
    /// The sandbox's request page, and its address when ready.
    pub request_href: Option<String>,
    pub open_href: Option<String>,
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPageView {
    pub id: i64,
    pub course_title: String,
    pub course_href: String,
    pub when: String,
    pub sandbox: String,
    pub trainer: String,
    pub seats: i64,
    pub taken: i64,
    pub phase: String,
    pub can_manage: bool,
    pub roster: Vec<SeatView>,
    pub mine: Option<SeatView>,
    pub can_enrol: bool,
    /// A partner on a course where the trainer adds partners: told so instead of a button.
    pub trainer_adds_partners: bool,
}

#[server(prefix = "/_sf", endpoint = "get_session")]
pub async fn get_session(id: i64) -> Result<SessionPageView, AppError> {
    use campus_core::services::training_sessions::RosterLine;
    use campus_core::training::session::{Phase, Seat};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let v = campus_core::services::training_sessions::view(&db, actor.as_ref(), id).await?;
    let seat = |l: RosterLine| SeatView {
        name: l.attendee.display_name,
        email: l.attendee.email,
        status: l.seat.label().into(),
        reason: l.reason,
        request_href: l.attendee.resource_id.map(|r| format!("/requests/{r}")),
        open_href: l.open,
        failed: l.seat == Seat::Failed,
    };
    let s = v.session;
    let open = matches!(v.phase, Phase::Booked | Phase::Provisioning);
    Ok(SessionPageView {
        id: s.id,
        course_href: format!("/training/{}", s.course_slug),
        course_title: s.course_title,
        when: format!(
            "{} to {}",
            campus_core::clock::format_utc(s.starts_at),
            campus_core::clock::format_utc(s.ends_at)
        ),
        sandbox: format!("{} ({})", s.offering_name, s.size_code),
        trainer: s.trainer_name,
        seats: s.seats,
        taken: v.taken,
        phase: match v.phase {
            Phase::Booked => format!(
                "Booked: sandboxes are made {} minutes before the start",
                s.lead_minutes
            ),
            Phase::Provisioning if s.grace_minutes == 0 => {
                "Open: sandboxes are made for everyone with a seat, and removed when it ends".into()
            }
            Phase::Provisioning => format!(
                "Open: sandboxes are made for everyone with a seat, and removed {} minutes after the end",
                s.grace_minutes
            ),
            Phase::Grace => format!(
                "The session has ended: sandboxes are removed {} minutes after the end",
                s.grace_minutes
            ),
            Phase::Over => "Over: every sandbox has been removed".into(),
        },
        can_manage: v.can_manage,
        roster: v.roster.into_iter().map(seat).collect(),
        can_enrol: v.can_enrol && open && v.mine.is_none() && v.taken < s.seats,
        trainer_adds_partners: !v.can_enrol && open && v.mine.is_none(),
        mine: v.mine.map(seat),
    })
}
