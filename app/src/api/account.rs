//! Reading one's own account: details, sessions and tokens.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub this_device: bool,
    pub signed_in: String,
    pub device: String,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
    /// "read, write", …
    pub scopes: String,
    pub expires: String,
    pub expired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub signs_in_with: String,
    /// A local account, whose password can be changed here.
    pub local: bool,
    pub sessions: Vec<SessionRow>,
    pub tokens: Vec<TokenRow>,
    /// A token made just now, shown this once.
    pub new_token: Option<String>,
    /// Scopes this person may give a token beyond read: (value, label).
    pub scope_choices: Vec<(String, String)>,
    /// The token form's hint: how long tokens last.
    pub token_days_hint: String,
    /// A calendar feed address just made, shown once.
    pub new_calendar: Option<String>,
    /// When the person's calendar feed was made, if they have one.
    pub calendar_made: Option<String>,
}

#[server(prefix = "/_sf", endpoint = "get_account")]
pub async fn get_account() -> Result<AccountView, AppError> {
    use campus_core::clock::format_utc;
    use campus_core::services::accounts;
    let actor = crate::ssr::actor().await?;
    let db = crate::ssr::db()?;
    let sessions = accounts::list_sessions(&db, actor.as_ref()).await?;
    let tokens = accounts::list_tokens(&db, actor.as_ref()).await?;
    let me = actor.as_ref().map(|a| a.user_id).unwrap_or_default();
    let user = campus_core::store::users::find(&db, me)
        .await
        .map_err(campus_core::CoreError::from)?
        .ok_or(AppError::NotSignedIn)?;
    let current = crate::ssr::session()
        .await?
        .id()
        .map(|id| campus_core::store::sessions::key_of(&id.to_string()));
    let new_token = crate::ssr::take::<String>(crate::forms::keys::NEW_TOKEN).await?;
    let new_calendar = crate::ssr::take::<String>(crate::forms::keys::NEW_CALENDAR).await?;
    let calendar_made = campus_core::services::bookings::feed_made(&db, actor.as_ref())
        .await?
        .map(format_utc);
    let settings = use_context::<crate::api::PortalSettings>().unwrap_or_default();
    let now = campus_core::clock::now();
    Ok(AccountView {
        username: user.username,
        display_name: user.display_name,
        email: user.email,
        roles: user.roles.iter().map(|r| r.label().to_owned()).collect(),
        local: user.oidc_issuer.is_none(),
        signs_in_with: match user.oidc_issuer {
            Some(_) => "Your organisation account (single sign-on)".into(),
            None => "A Campus Portal password".into(),
        },
        sessions: sessions
            .into_iter()
            .map(|s| {
                let data: serde_json::Value = serde_json::from_str(&s.data).unwrap_or_default();
                let field = |k: &str| data.get(k).cloned();
                SessionRow {
                    this_device: current.as_deref() == Some(s.key.as_str()),
                    signed_in: field(crate::forms::keys::SIGNED_IN_AT)
                        .and_then(|v| v.as_i64())
                        .map(format_utc)
                        .unwrap_or_else(|| "unknown".into()),
                    device: field(crate::forms::keys::USER_AGENT)
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_else(|| "unknown browser".into()),
                    expires: format_utc(s.expires_at),
                }
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name,
                created: format_utc(t.created_at),
                last_used: t
                    .last_used_at
                    .map(format_utc)
                    .unwrap_or_else(|| "never".into()),
                revoked: t.revoked_at.is_some(),
                scopes: campus_core::token_scope::Scopes::parse(&t.scopes)
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                expires: format_utc(t.expires_at),
                expired: t.expires_at <= now,
            })
            .collect(),
        new_token,
        scope_choices: campus_core::token_scope::Scope::ALL
            .into_iter()
            .filter(|s| *s != campus_core::token_scope::Scope::Read)
            .filter(|s| s.role().is_none_or(|r| user.roles.has(r)))
            .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
            .collect(),
        token_days_hint: format!(
            "A whole number of days, at most {}. Leave it empty for {} days.",
            settings.token_max_days, settings.token_default_days
        ),
        new_calendar,
        calendar_made,
    })
}

/// What the password page needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPageView {
    /// Signed in with a one-time password: nothing else until a new one is chosen.
    pub forced: bool,
    /// A local account (an organisation account's password is the organisation's).
    pub local: bool,
}

#[server(prefix = "/_sf", endpoint = "get_password_page")]
pub async fn get_password_page() -> Result<PasswordPageView, AppError> {
    let actor = crate::ssr::actor().await?.ok_or(AppError::NotSignedIn)?;
    let db = crate::ssr::db()?;
    let forced = crate::ssr::session()
        .await?
        .get::<bool>(crate::forms::keys::MUST_CHANGE_PASSWORD)
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
    let local = campus_core::store::users::password_hash_of(&db, actor.user_id)
        .await
        .map_err(campus_core::CoreError::from)?
        .is_some();
    Ok(PasswordPageView { forced, local })
}
