//! Data every page can need: who is signed in, what the portal offers, one-off notices and forms.

use crate::error::AppError;
use crate::forms::FormState;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub can_create_projects: bool,
    pub is_admin: bool,
    pub is_operator: bool,
    /// Holds the output-checker role (the checkers' queue).
    pub is_checker: bool,
    /// Campus staff of any role (not external partners).
    pub is_internal: bool,
    pub unread_notifications: i64,
}

/// Portal settings pages need, provided by the server at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSettings {
    /// Show "Sign in with your organisation account".
    pub oidc_enabled: bool,
    /// Demo content is loaded: the sign-in page lists the demo accounts.
    pub demo_accounts: Vec<(String, String)>,
    /// API tokens last this many days unless asked otherwise, and at most `token_max_days`.
    pub token_default_days: i64,
    pub token_max_days: i64,
}

/// Who is signed in, or `None`.
#[server(prefix = "/_sf", endpoint = "get_current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    match crate::ssr::actor().await? {
        Some(actor) => current_user(&crate::ssr::db()?, &actor).await,
        None => Ok(None),
    }
}

/// The header's view of a signed-in person.
#[cfg(feature = "ssr")]
pub async fn current_user(
    db: &campus_core::Db,
    actor: &campus_core::authz::Actor,
) -> Result<Option<CurrentUser>, AppError> {
    use campus_core::authz::{check, Action, Object};
    let Some(user) = campus_core::store::users::find(db, actor.user_id)
        .await
        .map_err(campus_core::CoreError::from)?
    else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        roles: actor.roles.iter().map(|r| r.label().to_owned()).collect(),
        can_create_projects: check(Some(actor), Action::CreateProject, Object::Portal).is_ok(),
        is_admin: check(Some(actor), Action::ManageRoles, Object::Portal).is_ok(),
        is_operator: check(Some(actor), Action::Operate, Object::Portal).is_ok(),
        is_checker: check(Some(actor), Action::ListOutputChecks, Object::Portal).is_ok(),
        is_internal: check(Some(actor), Action::ListDatasets, Object::Portal).is_ok(),
        unread_notifications: campus_core::store::notifications::unread_count(db, actor.user_id)
            .await
            .map_err(campus_core::CoreError::from)?,
    }))
}

#[server(prefix = "/_sf", endpoint = "get_portal_settings")]
pub async fn get_portal_settings() -> Result<PortalSettings, AppError> {
    Ok(use_context::<PortalSettings>().unwrap_or_default())
}

/// The values and messages a failed form post left for `form_id`, once.
#[server(prefix = "/_sf", endpoint = "take_form")]
pub async fn take_form(form_id: String) -> Result<FormState, AppError> {
    Ok(
        crate::ssr::take::<FormState>(&crate::forms::keys::form(&form_id))
            .await?
            .unwrap_or_default(),
    )
}

/// A success message left by the last form post, once.
#[server(prefix = "/_sf", endpoint = "take_notice")]
pub async fn take_notice() -> Result<Option<String>, AppError> {
    crate::ssr::take::<String>(crate::forms::keys::NOTICE).await
}
