//! Administration of people and their roles.

use crate::authz::{self, Action, Actor, Object};
use crate::db::Db;
use crate::domain::{Role, RoleSet};
use crate::error::CoreError;
use crate::paging::{self, Page, PAGE_SIZE};
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

/// The user with the roles an administrator granted in the portal, for the edit form.
pub async fn for_role_edit(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
) -> Result<(User, RoleSet), CoreError> {
    authz::check(actor, Action::ManageRoles, Object::Portal)?;
    let user = users::find(db, user_id)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    let granted = users::portal_roles_of(db, user_id).await?;
    Ok((user, granted))
}

/// Replaces the roles granted in the portal. Roles that come from the identity provider's
/// groups are not touched here: they follow the IdP at each sign-in.
pub async fn set_roles(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
    raw_roles: &[String],
) -> Result<(), CoreError> {
    authz::check(actor, Action::ManageRoles, Object::Portal)?;
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
    users::set_portal_roles(db, user_id, &roles).await?;
    Ok(())
}
