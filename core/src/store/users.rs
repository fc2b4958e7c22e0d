//! People: local accounts and accounts from the identity provider, and their roles.

use crate::clock;
use crate::db::Db;
use crate::domain::{Role, RoleSet};
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub roles: RoleSet,
    /// Where the person signs in: `None` for a local account, else the issuer URL.
    pub oidc_issuer: Option<String>,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    /// The Unix account their workloads run as, where one is mapped.
    pub unix_account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleSource {
    Idp,
    Portal,
}

impl RoleSource {
    fn as_str(self) -> &'static str {
        match self {
            RoleSource::Idp => "idp",
            RoleSource::Portal => "portal",
        }
    }
}

const USER_COLUMNS: &str =
    "id, username, display_name, email, oidc_issuer, created_at, last_sign_in_at, unix_account";

fn user_from_row(row: &sqlx::any::AnyRow, roles: RoleSet) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        roles,
        oidc_issuer: row.try_get("oidc_issuer")?,
        created_at: row.try_get("created_at")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        unix_account: row.try_get("unix_account")?,
    })
}

/// Roles from rows with a `role` column; values the schema does not know are ignored.
fn role_set(rows: &[sqlx::any::AnyRow]) -> RoleSet {
    RoleSet::new(rows.iter().filter_map(|r| {
        r.try_get::<String, _>("role")
            .ok()
            .and_then(|s| s.parse::<Role>().ok())
    }))
}

pub async fn roles_of(db: &Db, user_id: i64) -> Result<RoleSet, sqlx::Error> {
    let rows = sqlx::query("SELECT DISTINCT role FROM user_roles WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(role_set(&rows))
}

/// Roles an administrator granted in the portal (as opposed to those mapped from the IdP).
pub async fn portal_roles_of(db: &Db, user_id: i64) -> Result<RoleSet, sqlx::Error> {
    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 AND source = 'portal'")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(role_set(&rows))
}

pub async fn find(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&db.pool).await? else {
        return Ok(None);
    };
    let roles = roles_of(db, id).await?;
    user_from_row(&row, roles).map(Some)
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<User>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&db.pool)
        .await?;
    match id {
        Some(id) => find(db, id).await,
        None => Ok(None),
    }
}

/// The account with this email address (ignoring case), if exactly one has it.
pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
        .bind(email.trim())
        .fetch_all(&db.pool)
        .await?;
    match ids.as_slice() {
        [id] => find(db, *id).await,
        _ => Ok(None),
    }
}

/// The stored password hash of a local account, if the name exists and has one.
pub async fn password_hash(db: &Db, username: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, password_hash FROM users WHERE username = $1 AND password_hash IS NOT NULL",
    )
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("password_hash")?)))
        .transpose()
}

/// Whether the person must choose a new password before doing anything else.
pub async fn must_change_password(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let flag: Option<i64> =
        sqlx::query_scalar("SELECT must_change_password FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(flag == Some(1))
}

/// Makes the person choose a new password at their next sign-in.
pub async fn require_password_change(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET must_change_password = 1 WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

/// Replaces a local account's password hash; the person has then chosen their own.
pub async fn set_password(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = 0 \
         WHERE id = $2 AND password_hash IS NOT NULL",
    )
    .bind(hash)
    .bind(id)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The stored password hash of a local account by id, if it has one.
pub async fn password_hash_of(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT password_hash FROM users WHERE id = $1 AND password_hash IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// People by display name, after the person with id `after`, at most `limit`, with their roles.
pub async fn list(db: &Db, after: Option<i64>, limit: i64) -> Result<Vec<User>, sqlx::Error> {
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users \
         WHERE ($1 = 0 OR (display_name, id) > (SELECT a.display_name, a.id FROM users a WHERE a.id = $1)) \
         ORDER BY display_name, id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(after.unwrap_or(0))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut roles_of: std::collections::HashMap<i64, Vec<Role>> = Default::default();
    if !ids.is_empty() {
        let role_rows = sqlx::query(&format!(
            "SELECT DISTINCT user_id, role FROM user_roles WHERE user_id IN ({})",
            super::id_list(&ids)
        ))
        .fetch_all(&db.pool)
        .await?;
        for r in &role_rows {
            if let Ok(role) = r.try_get::<String, _>("role")?.parse() {
                roles_of
                    .entry(r.try_get("user_id")?)
                    .or_default()
                    .push(role);
            }
        }
    }
    rows.iter()
        .zip(ids)
        .map(|(row, id)| user_from_row(row, RoleSet::new(roles_of.remove(&id).unwrap_or_default())))
        .collect()
}

pub struct NewLocalUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub roles: &'a RoleSet,
}

pub async fn insert_local(db: &Db, u: NewLocalUser<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, email, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(clock::now())
    .fetch_one(&mut *tx)
    .await?;
    for role in u.roles.iter() {
        insert_role(&mut tx, id, role, RoleSource::Portal).await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn insert_role(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    role: Role,
    source: RoleSource,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO user_roles (user_id, role, source) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(role.as_str())
        .bind(source.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub struct OidcIdentity<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub idp_roles: &'a RoleSet,
}

/// Finds or creates the account keyed by (issuer, subject), refreshes its name and e-mail,
/// and replaces its IdP-mapped roles. Roles granted in the portal are kept.
pub async fn upsert_oidc(db: &Db, who: OidcIdentity<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2")
            .bind(who.issuer)
            .bind(who.subject)
            .fetch_optional(&mut *tx)
            .await?;
    let now = clock::now();
    let id = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE users SET display_name = $1, email = $2, last_sign_in_at = $3 WHERE id = $4",
            )
            .bind(who.display_name)
            .bind(who.email)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            // The preferred user name may be taken by a local account; suffix until it is free.
            let mut candidate = who.username.to_owned();
            let mut n = 1;
            while sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE username = $1")
                .bind(&candidate)
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                n += 1;
                candidate = format!("{}-{n}", who.username);
            }
            sqlx::query_scalar(
                "INSERT INTO users (username, display_name, email, oidc_issuer, oidc_subject, created_at, last_sign_in_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&candidate)
            .bind(who.display_name)
            .bind(who.email)
            .bind(who.issuer)
            .bind(who.subject)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND source = 'idp'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for role in who.idp_roles.iter() {
        insert_role(&mut tx, id, role, RoleSource::Idp).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Replaces the roles that come from the identity provider's groups (re-read while signed in).
pub async fn set_idp_roles(db: &Db, user_id: i64, roles: &RoleSet) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND source = 'idp'")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for role in roles.iter() {
        insert_role(&mut tx, user_id, role, RoleSource::Idp).await?;
    }
    tx.commit().await
}

/// The roles a person holds through the identity provider's groups.
pub async fn idp_roles_of(db: &Db, user_id: i64) -> Result<RoleSet, sqlx::Error> {
    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 AND source = 'idp'")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(role_set(&rows))
}

/// Replaces the roles given on the portal, on the caller's transaction (which audits it).
pub async fn set_portal_roles(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    roles: &RoleSet,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND source = 'portal'")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for role in roles.iter() {
        insert_role(tx, user_id, role, RoleSource::Portal).await?;
    }
    Ok(())
}

pub async fn record_sign_in(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(clock::now())
        .bind(user_id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await
}

/// Everyone holding `role` from either source, for notifications to a team.
pub async fn ids_with_role(
    conn: &mut sqlx::AnyConnection,
    role: crate::domain::Role,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT user_id FROM user_roles WHERE role = $1 ORDER BY user_id")
        .bind(role.as_str())
        .fetch_all(&mut *conn)
        .await
}

/// Who holds a Unix account, if anyone.
pub async fn holder_of_unix_account(
    conn: &mut sqlx::AnyConnection,
    account: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM users WHERE unix_account = $1")
        .bind(account)
        .fetch_optional(&mut *conn)
        .await
}

pub async fn set_unix_account(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    account: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET unix_account = $1 WHERE id = $2")
        .bind(account)
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}
