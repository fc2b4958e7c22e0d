//! Projects: starting one, seeing them, and their members.

use crate::authz::{self, Action, Actor, Object};
use crate::clock;
use crate::db::Db;
use crate::domain::{EndDate, ProjectName, ProjectSummary, Username};
use crate::error::{is_unique_violation, CoreError, FieldErrors};
use crate::paging::{self, Page};
use crate::store::projects::{self, Member, Project};
use crate::store::users;

/// What a person typed into the new-project form.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ProjectInput {
    pub name: String,
    pub summary: String,
    pub end_date: String,
}

/// Starts a project led by the actor and returns its id.
pub async fn create(
    db: &Db,
    actor: Option<&Actor>,
    input: &ProjectInput,
) -> Result<i64, CoreError> {
    authz::check(actor, Action::CreateProject, Object::Portal)?;
    let lead = actor.map(|a| a.user_id).unwrap_or_default();
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ProjectName::parse(&input.name));
    let summary = errors.check("summary", ProjectSummary::parse(&input.summary));
    let end = errors.check("end_date", EndDate::parse(&input.end_date, clock::today()));
    errors.into_result()?;
    let (name, summary, end) = (name.unwrap(), summary.unwrap(), end.unwrap());
    projects::insert(
        db,
        projects::NewProject {
            name: name.as_str(),
            summary: summary.as_str(),
            lead_id: lead,
            end_date: &end.to_string(),
        },
    )
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            CoreError::field(
                "name",
                "A project with that name already exists: choose another name",
            )
        } else {
            e.into()
        }
    })
}

/// A page of the projects the actor may see, by name: each one passes the same `ViewProject`
/// check as its page. People who may see any project page through every project; others only
/// through their own, so a partner's list does not read the whole table.
pub async fn list(
    db: &Db,
    actor: Option<&Actor>,
    after: Option<i64>,
    size: usize,
) -> Result<Page<Project>, CoreError> {
    authz::check(actor, Action::ListProjects, Object::Portal)?;
    let me = actor.map(|a| a.user_id).unwrap_or_default();
    let stranger = Object::Project {
        lead_id: 0,
        actor_is_member: false,
    };
    let scope = if authz::check(actor, Action::ViewProject, stranger).is_ok() {
        projects::Scope::Every
    } else {
        projects::Scope::Of(me)
    };
    let rows = projects::list_page(db, scope, after, paging::fetch_limit(size)).await?;
    let mine = projects::ids_for_member(db, me).await?;
    let page = Page::from_rows(rows, size, |p| p.id);
    Ok(Page {
        items: page
            .items
            .into_iter()
            .filter(|p| {
                let object = Object::Project {
                    lead_id: p.lead_id,
                    actor_is_member: mine.contains(&p.id),
                };
                authz::check(actor, Action::ViewProject, object).is_ok()
            })
            .collect(),
        next: page.next,
    })
}

/// What the project page shows, plus whether the actor may manage members.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProjectView {
    pub project: Project,
    pub members: Vec<Member>,
    pub can_manage_members: bool,
}

async fn object_for(
    db: &Db,
    actor: Option<&Actor>,
    project: &Project,
) -> Result<Object, CoreError> {
    let member = match actor {
        Some(a) => projects::is_member(db, project.id, a.user_id).await?,
        None => false,
    };
    Ok(Object::Project {
        lead_id: project.lead_id,
        actor_is_member: member,
    })
}

/// Loads the project and checks the actor may do `action` on it.
async fn authorised(
    db: &Db,
    actor: Option<&Actor>,
    action: Action,
    project_id: i64,
) -> Result<Project, CoreError> {
    let project = load(db, project_id).await?;
    authz::check(actor, action, object_for(db, actor, &project).await?)?;
    Ok(project)
}

async fn load(db: &Db, project_id: i64) -> Result<Project, CoreError> {
    projects::find(db, project_id)
        .await?
        .ok_or(CoreError::NotFound("project"))
}

pub async fn view(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
) -> Result<ProjectView, CoreError> {
    let project = load(db, project_id).await?;
    let object = object_for(db, actor, &project).await?;
    authz::check(actor, Action::ViewProject, object)?;
    let can_manage_members = authz::check(actor, Action::ManageMembers, object).is_ok();
    let members = projects::members(db, project_id).await?;
    Ok(ProjectView {
        project,
        members,
        can_manage_members,
    })
}

/// Adds the person with `raw_username` to the project.
pub async fn add_member(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    raw_username: &str,
) -> Result<Member, CoreError> {
    authorised(db, actor, Action::ManageMembers, project_id).await?;
    let username = Username::parse(raw_username).map_err(|e| CoreError::field("username", e))?;
    let user = users::find_by_username(db, username.as_str())
        .await?
        .ok_or_else(|| {
            CoreError::field(
                "username",
                format!("There is no one with the user name \"{username}\""),
            )
        })?;
    let by = actor.map(|a| a.user_id).unwrap_or_default();
    let mut tx = db.pool.begin().await?;
    if !projects::add_member(&mut tx, project_id, user.id, by).await? {
        return Err(CoreError::field(
            "username",
            format!("{} is already a member", user.display_name),
        ));
    }
    crate::services::audit_context::record(
        &mut tx,
        actor,
        "project",
        "project.member_add",
        project_id,
        "",
        &user.username,
    )
    .await?;
    tx.commit().await?;
    Ok(Member {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        added_at: clock::now(),
    })
}

pub async fn remove_member(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    user_id: i64,
) -> Result<(), CoreError> {
    let project = authorised(db, actor, Action::ManageMembers, project_id).await?;
    if user_id == project.lead_id {
        return Err(CoreError::field(
            "member",
            "The project lead cannot be removed",
        ));
    }
    let name = users::find(db, user_id)
        .await?
        .map(|u| u.username)
        .unwrap_or_else(|| user_id.to_string());
    let mut tx = db.pool.begin().await?;
    if !projects::remove_member(&mut tx, project_id, user_id).await? {
        return Err(CoreError::NotFound("member"));
    }
    crate::services::audit_context::record(
        &mut tx,
        actor,
        "project",
        "project.member_remove",
        project_id,
        &name,
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
