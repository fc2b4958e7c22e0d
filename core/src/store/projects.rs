//! Projects and their members.

use crate::clock;
use crate::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub lead_id: i64,
    pub lead_name: String,
    pub end_date: String,
    pub created_at: i64,
    pub member_count: i64,
    /// The training session this project was made for: it holds that session's sandboxes.
    pub training_session: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub added_at: i64,
}

const PROJECT_SELECT: &str =
    "SELECT p.id, p.name, p.summary, p.lead_id, u.display_name AS lead_name, \
     p.end_date, p.created_at, \
     (SELECT COUNT(*) FROM project_members m WHERE m.project_id = p.id) AS member_count, \
     (SELECT MIN(s.id) FROM training_sessions s WHERE s.project_id = p.id) AS training_session \
     FROM projects p JOIN users u ON u.id = p.lead_id";

fn project_from_row(r: &sqlx::any::AnyRow) -> Result<Project, sqlx::Error> {
    Ok(Project {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        summary: r.try_get("summary")?,
        lead_id: r.try_get("lead_id")?,
        lead_name: r.try_get("lead_name")?,
        end_date: r.try_get("end_date")?,
        created_at: r.try_get("created_at")?,
        member_count: r.try_get("member_count")?,
        training_session: r.try_get("training_session")?,
    })
}

pub struct NewProject<'a> {
    pub name: &'a str,
    pub summary: &'a str,
    pub lead_id: i64,
    pub end_date: &'a str,
}

pub async fn rename_on(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE projects SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Creates the project with its lead as the first member, in one transaction.
pub async fn insert(db: &Db, p: NewProject<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let id = insert_on(&mut tx, p, clock::now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates the project with its lead as the first member, on the caller's transaction.
pub async fn insert_on(
    tx: &mut sqlx::AnyConnection,
    p: NewProject<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (name, summary, lead_id, end_date, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(p.name)
    .bind(p.summary)
    .bind(p.lead_id)
    .bind(p.end_date)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO project_members (project_id, user_id, added_by, added_at) VALUES ($1, $2, $2, $3)",
    )
    .bind(id)
    .bind(p.lead_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Project>, sqlx::Error> {
    let sql = format!("{PROJECT_SELECT} WHERE p.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await?;
    row.as_ref().map(project_from_row).transpose()
}

/// Every project, by name.
pub async fn list_all(db: &Db) -> Result<Vec<Project>, sqlx::Error> {
    let sql = format!("{PROJECT_SELECT} ORDER BY p.name");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(project_from_row).collect()
}

/// Whose projects a page of the list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Every,
    /// Those the person leads or belongs to.
    Of(i64),
}

/// Projects by name, after the project with id `after`, at most `limit`.
pub async fn list_page(
    db: &Db,
    scope: Scope,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Project>, sqlx::Error> {
    let person = match scope {
        Scope::Every => 0,
        Scope::Of(id) => id,
    };
    let sql = format!(
        "{PROJECT_SELECT} WHERE ($1 = 0 OR p.lead_id = $1 OR EXISTS \
         (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = $1)) \
         AND ($2 = 0 OR (p.name, p.id) > (SELECT a.name, a.id FROM projects a WHERE a.id = $2)) \
         ORDER BY p.name, p.id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(person)
        .bind(after.unwrap_or(0))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(project_from_row).collect()
}

/// The ids of the projects a person belongs to.
pub async fn ids_for_member(
    db: &Db,
    user_id: i64,
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT project_id FROM project_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&db.pool)
            .await?;
    Ok(ids.into_iter().collect())
}

pub async fn members(db: &Db, project_id: i64) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.display_name, m.added_at FROM project_members m \
         JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.display_name",
    )
    .bind(project_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Member {
                user_id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                added_at: r.try_get("added_at")?,
            })
        })
        .collect()
}

/// The Unix accounts of a project's members that have one, which cluster reservations name.
pub async fn member_unix_accounts(
    conn: &mut sqlx::AnyConnection,
    project_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.unix_account FROM project_members m JOIN users u ON u.id = m.user_id \
         WHERE m.project_id = $1 AND u.unix_account IS NOT NULL ORDER BY u.unix_account",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
}

/// The project's lead and members, by id, read on the caller's connection.
pub async fn people_on(
    conn: &mut sqlx::AnyConnection,
    project_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT lead_id FROM projects WHERE id = $1 \
         UNION SELECT user_id FROM project_members WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
}

pub async fn is_member(db: &Db, project_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT user_id FROM project_members WHERE project_id = $1 AND user_id = $2",
    )
    .bind(project_id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}

/// Adds a member; false if they already were one.
pub async fn add_member(
    conn: &mut sqlx::AnyConnection,
    project_id: i64,
    user_id: i64,
    by: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO project_members (project_id, user_id, added_by, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, user_id) DO NOTHING",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(by)
    .bind(clock::now())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_member(
    conn: &mut sqlx::AnyConnection,
    project_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
        .bind(project_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
