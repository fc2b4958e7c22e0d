//! Administration of people and their roles.

use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::domain::{Role, RoleSet};
use crate::error::CoreError;
use crate::paging::{self, Page, PAGE_SIZE};
use crate::requests::identity::UnixAccount;
use crate::store::users::{self, User};

/// A page of everyone with an account, by display name.
pub async fn list(
    db: &Db,
    actor: Option<&Actor>,
    after: Option<i64>,
) -> Result<Page<User>, CoreError> {
    authz::check(actor, Action::ListUsers, Object::Portal)?;
    let rows = users::list(db, after, paging::fetch_limit(PAGE_SIZE)).await?;
    Ok(Page::from_rows(rows, PAGE_SIZE, |u| u.id))
}

/// A person's page: the user, and the roles granted in the portal when the actor may change
/// them (administrators; operators see the page to map Unix accounts).
pub async fn for_edit(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
) -> Result<(User, Option<RoleSet>), CoreError> {
    authz::check(actor, Action::ListUsers, Object::Portal)?;
    let user = users::find(db, user_id)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    let granted = match authz::check(actor, Action::ManageRoles, Object::Portal) {
        Ok(()) => Some(users::portal_roles_of(db, user_id).await?),
        Err(_) => None,
    };
    Ok((user, granted))
}

/// Replaces the roles granted in the portal. Roles that come from the identity provider's
/// groups are not touched here: they follow the IdP at each sign-in. Needs the administrator's
/// sign-in (`signed_in_at`) to be recent.
pub async fn set_roles(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
    raw_roles: &[String],
    signed_in_at: Option<i64>,
) -> Result<(), CoreError> {
    authz::check(actor, Action::ManageRoles, Object::Portal)?;
    if !crate::recent_sign_in::is_recent(signed_in_at, crate::clock::now()) {
        let (link, message) = crate::recent_sign_in::sign_in_again(
            &format!("/admin/users/{user_id}"),
            "change roles",
        );
        return Err(CoreError::field(&link, message));
    }
    let mut roles = Vec::new();
    for raw in raw_roles {
        roles.push(
            raw.parse::<Role>()
                .map_err(|e| CoreError::field("roles", e.to_string()))?,
        );
    }
    let roles = RoleSet::new(roles);
    if users::find(db, user_id).await?.is_none() {
        return Err(CoreError::NotFound("user"));
    }
    let me = actor.map(|a| a.user_id);
    if me == Some(user_id) && !roles.has(Role::Admin) {
        let others = users::roles_of(db, user_id).await?;
        let admin_from_idp =
            others.has(Role::Admin) && !users::portal_roles_of(db, user_id).await?.has(Role::Admin);
        if !admin_from_idp {
            return Err(CoreError::field(
                "roles",
                "You cannot remove your own administrator role: ask another administrator",
            ));
        }
    }
    let before = users::portal_roles_of(db, user_id).await?;
    let mut tx = db.pool.begin().await?;
    users::set_portal_roles(&mut tx, user_id, &roles).await?;
    crate::services::audit_context::record(
        &mut tx,
        actor,
        "user",
        "user.roles",
        user_id,
        &role_list(&before),
        &role_list(&roles),
    )
    .await?;
    tx.commit().await?;
    crate::services::accounts::revoke_tokens_beyond_roles(db, actor, user_id).await?;
    Ok(())
}

/// Maps a person to the Unix account their workloads run as (under Slurm, required; under the
/// local driver, instead of an id from the portal's range), or removes the mapping when `raw`
/// is empty. Two people never share an account. Audited with before and after.
pub async fn set_unix_account(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
    raw: &str,
) -> Result<(), CoreError> {
    authz::check(actor, Action::MapUnixAccount, Object::Portal)?;
    let account = match raw.trim() {
        "" => None,
        s => Some(UnixAccount::parse(s).map_err(|e| CoreError::field("unix_account", e))?),
    };
    let mut tx = db.pool.begin().await?;
    let user = users::find(db, user_id)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    if let Some(a) = &account {
        if let Some(holder) = users::holder_of_unix_account(&mut tx, a.as_str()).await? {
            if holder != user_id {
                return Err(CoreError::field(
                    "unix_account",
                    format!(
                        "{} is already the account of someone else: each person has their own",
                        a.as_str()
                    ),
                ));
            }
        }
    }
    let after = account.as_ref().map(|a| a.as_str());
    if user.unix_account.as_deref() == after {
        return Ok(());
    }
    users::set_unix_account(&mut tx, user_id, after).await?;
    crate::services::audit_context::record(
        &mut tx,
        actor,
        "user",
        "user.unix_account",
        user_id,
        user.unix_account.as_deref().unwrap_or(""),
        after.unwrap_or(""),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Roles as the audit trail shows them: "staff, reviewer".
fn role_list(roles: &RoleSet) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
