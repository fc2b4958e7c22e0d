//! Roles from the identity provider, read again while people are signed in.

use crate::auth::oidc::client::{OidcClient, Refresh};
use app::forms::keys;
use campus_core::services::accounts;

/// What one pass of [`resync`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resynced {
    pub checked: usize,
    pub changed: usize,
    pub ended: usize,
}

/// Reads the groups of everyone signed in through the provider whose last reading is
/// `every_secs` old or more, and applies them: changed roles take effect (and tokens whose
/// scopes need a lost role are revoked); a session the provider no longer vouches for ends.
pub async fn resync(
    db: &campus_core::Db,
    oidc: &OidcClient,
    every_secs: i64,
    now: i64,
) -> Result<Resynced, campus_core::CoreError> {
    use campus_core::store::sessions;
    let mut done = Resynced::default();
    for s in sessions::live_signed_in(db, now).await? {
        let Some(user_id) = s.user_id else { continue };
        let mut data: serde_json::Value = serde_json::from_str(&s.data).unwrap_or_default();
        let Some(refresh) = data
            .get(keys::IDP_REFRESH)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
        else {
            continue;
        };
        let synced = data
            .get(keys::IDP_SYNCED_AT)
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        if now - synced < every_secs {
            continue;
        }
        done.checked += 1;
        match oidc.roles_now(&refresh).await {
            Ok((roles, kept)) => {
                if accounts::sync_idp_roles(db, user_id, &roles).await? {
                    done.changed += 1;
                }
                data[keys::IDP_REFRESH] = serde_json::Value::from(kept);
                data[keys::IDP_SYNCED_AT] = serde_json::Value::from(now);
                sessions::set_data_by_key(db, &s.key, &data.to_string()).await?;
            }
            Err(Refresh::Refused(why)) => {
                tracing::warn!(
                    user_id,
                    why,
                    "the identity provider no longer vouches for a session: ended"
                );
                sessions::delete_by_key(db, &s.key).await?;
                done.ended += 1;
            }
            Err(Refresh::Unreachable(e)) => {
                tracing::warn!(user_id, error = %e, "could not read a person's groups again; will retry");
            }
        }
    }
    Ok(done)
}
