//! Reading projects.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub lead_name: String,
    pub end_date: String,
    pub member_count: i64,
    /// The training session whose sandboxes the project holds, if it was made for one.
    pub training_session: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub is_lead: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDetail {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub lead_name: String,
    pub end_date: String,
    pub created: String,
    pub training_session: Option<i64>,
    pub members: Vec<MemberRow>,
    pub can_manage_members: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectList {
    pub projects: Vec<ProjectRow>,
    pub can_create: bool,
    /// The project id the next page continues after, if there is more.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "list_projects")]
pub async fn list_projects(after: Option<i64>) -> Result<ProjectList, AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let page = campus_core::services::projects::list(
        &db,
        actor.as_ref(),
        after,
        campus_core::paging::PAGE_SIZE,
    )
    .await?;
    Ok(ProjectList {
        can_create: check(actor.as_ref(), Action::CreateProject, Object::Portal).is_ok(),
        next: page.next,
        projects: page
            .items
            .into_iter()
            .map(|p| ProjectRow {
                id: p.id,
                name: p.name,
                summary: p.summary,
                lead_name: p.lead_name,
                end_date: p.end_date,
                member_count: p.member_count,
                training_session: p.training_session,
            })
            .collect(),
    })
}

/// Checks the actor may start a project before the form is shown.
#[server(prefix = "/_sf", endpoint = "may_create_project")]
pub async fn may_create_project() -> Result<(), AppError> {
    use campus_core::authz::{check, Action, Object};
    let actor = crate::ssr::actor().await?;
    check(actor.as_ref(), Action::CreateProject, Object::Portal)
        .map_err(|d| AppError::from(campus_core::CoreError::from(d)))
}

#[server(prefix = "/_sf", endpoint = "get_project")]
pub async fn get_project(id: i64) -> Result<ProjectDetail, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let v = campus_core::services::projects::view(&db, actor.as_ref(), id).await?;
    let lead = v.project.lead_id;
    Ok(ProjectDetail {
        id: v.project.id,
        name: v.project.name,
        summary: v.project.summary,
        lead_name: v.project.lead_name,
        end_date: v.project.end_date,
        created: campus_core::clock::format_utc(v.project.created_at),
        training_session: v.project.training_session,
        members: v
            .members
            .into_iter()
            .map(|m| MemberRow {
                is_lead: m.user_id == lead,
                user_id: m.user_id,
                username: m.username,
                display_name: m.display_name,
            })
            .collect(),
        can_manage_members: v.can_manage_members,
    })
}
