//! Reading people and roles, for administrators.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub signs_in_with: String,
    pub last_sign_in: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub value: String,
    pub label: String,
    pub granted: bool,
    pub from_idp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoles {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    /// Empty unless the viewer may change roles (administrators).
    pub choices: Vec<RoleChoice>,
    pub unix_account: String,
}

/// A page of people, by display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    /// The user id the next page continues after, if there is more.
    pub next: Option<i64>,
}

#[server(prefix = "/_sf", endpoint = "list_users")]
pub async fn list_users(after: Option<i64>) -> Result<UserPage, AppError> {
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let page = campus_core::services::users::list(&db, actor.as_ref(), after).await?;
    let users = page
        .items
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            roles: u.roles.iter().map(|r| r.label().to_owned()).collect(),
            signs_in_with: if u.oidc_issuer.is_some() {
                "Single sign-on".into()
            } else {
                "Password".into()
            },
            last_sign_in: u
                .last_sign_in_at
                .map(campus_core::clock::format_utc)
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    Ok(UserPage {
        users,
        next: page.next,
    })
}

#[server(prefix = "/_sf", endpoint = "get_user_roles")]
pub async fn get_user_roles(id: i64) -> Result<UserRoles, AppError> {
    use campus_core::domain::Role;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let (user, granted) = campus_core::services::users::for_edit(&db, actor.as_ref(), id).await?;
    Ok(UserRoles {
        id: user.id,
        display_name: user.display_name,
        username: user.username,
        choices: granted
            .map(|granted| {
                Role::ALL
                    .into_iter()
                    .map(|r| RoleChoice {
                        value: r.as_str().to_owned(),
                        label: r.label().to_owned(),
                        granted: granted.has(r),
                        from_idp: user.roles.has(r) && !granted.has(r),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        unix_account: user.unix_account.unwrap_or_default(),
    })
}
