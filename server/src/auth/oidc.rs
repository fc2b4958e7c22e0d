//! Sign-in with OpenID Connect: authorization code flow with PKCE (S256). State, nonce and the
//! PKCE verifier live in the server-side session and are removed when the callback uses them.
//! The ID token is checked for signature (JWKS), exact issuer, audience, expiry and nonce.

use crate::config::OidcConfig;
use crate::state::AppState;
use crate::web::flash::{internal, see_other};
use app::forms::keys;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use campus_core::domain::RoleSet;
use campus_core::services::accounts::{self, VerifiedIdentity};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use tower_sessions::Session;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a started sign-in may take before its state is no longer accepted.
const PENDING_TTL_SECS: i64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or described itself wrongly: {0}")]
    Discovery(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Provider(String),
    #[error("this sign-in link has expired or was already used")]
    NoPendingSignIn,
    #[error("the sign-in response does not match the sign-in that was started")]
    StateMismatch,
    #[error("the sign-in response has no authorisation code")]
    MissingCode,
    #[error("the identity provider's token could not be obtained: {0}")]
    Exchange(String),
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
}

pub struct OidcClient {
    config: OidcConfig,
    redirect_url: RedirectUrl,
    http: reqwest::Client,
    metadata: RwLock<Option<CoreProviderMetadata>>,
}

#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    pkce_verifier: String,
    next: String,
    started_at: i64,
}

impl OidcClient {
    pub fn new(config: OidcConfig, public_url: &str) -> Result<Self, OidcError> {
        let redirect_url = RedirectUrl::new(format!("{public_url}/auth/oidc/callback"))
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        // No redirects: following them from the token endpoint would open the door to SSRF.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        Ok(Self {
            config,
            redirect_url,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// The client, discovering the provider on first use so the portal starts even if it is down.
    async fn client(&self) -> Result<Client, OidcError> {
        let cached = self.metadata.read().await.clone();
        let metadata = match cached {
            Some(m) => m,
            None => {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| OidcError::Discovery(e.to_string()))?;
                let m = CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
                *self.metadata.write().await = Some(m.clone());
                m
            }
        };
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect_url.clone()))
    }

    /// Checks an ID token and turns it into an identity with roles mapped from its groups.
    /// `now` overrides the clock, for checking expiry.
    pub async fn verify_id_token(
        &self,
        id_token: &CoreIdToken,
        nonce: &Nonce,
        now: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<VerifiedIdentity, OidcError> {
        let client = self.client().await?;
        let mut verifier = client.id_token_verifier();
        if let Some(now) = now {
            verifier = verifier.set_time_fn(move || now);
        }
        let claims = id_token
            .claims(&verifier, nonce)
            .map_err(|e| OidcError::InvalidIdToken(e.to_string()))?;
        // The token's signature is verified above, so its payload can be read for the groups claim.
        let roles = self.roles_of(&token_groups(&id_token.to_string()));
        Ok(VerifiedIdentity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            preferred_username: claims.preferred_username().map(|u| u.to_string()),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            email: claims.email().map(|e| e.to_string()),
            roles,
            unix_account: self
                .config
                .unix_account_claim
                .as_deref()
                .and_then(|c| token_claim(&id_token.to_string(), c))
                .and_then(|v| v.as_str().map(str::to_owned)),
        })
    }

    /// The portal roles the configured map gives these IdP groups.
    fn roles_of(&self, groups: &[String]) -> RoleSet {
        RoleSet::new(
            self.config
                .role_map
                .iter()
                .filter(|(group, _)| groups.iter().any(|g| g == group))
                .map(|(_, role)| *role),
        )
    }

    /// Exchanges a code at the token endpoint (with the PKCE verifier) for an ID token, and the
    /// refresh token that lets the portal read the person's groups again later, if the
    /// provider gives one.
    pub async fn exchange(
        &self,
        code: String,
        pkce_verifier: String,
    ) -> Result<Exchanged, OidcError> {
        let client = self.client().await?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Exchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        Ok(Exchanged {
            id_token: response.id_token().cloned().ok_or(OidcError::NoIdToken)?,
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        })
    }

    /// The person's roles now, by their refresh token: a fresh access token, then their groups
    /// from the userinfo endpoint. Also the refresh token to keep (providers may rotate it).
    pub async fn roles_now(&self, refresh_token: &str) -> Result<(RoleSet, String), Refresh> {
        use openidconnect::RefreshToken;
        let client = self.client().await.map_err(Refresh::Unreachable)?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let request = client
            .exchange_refresh_token(&token)
            .map_err(|e| Refresh::Unreachable(OidcError::Exchange(e.to_string())))?;
        let response = match request.request_async(&self.http).await {
            Ok(r) => r,
            // The provider answered and said no: it no longer vouches for this person.
            Err(openidconnect::RequestTokenError::ServerResponse(e)) => {
                return Err(Refresh::Refused(e.to_string()))
            }
            Err(e) => return Err(Refresh::Unreachable(OidcError::Exchange(error_chain(&e)))),
        };
        let kept = response
            .refresh_token()
            .map(|t| t.secret().clone())
            .unwrap_or_else(|| refresh_token.to_owned());
        let endpoint = self
            .metadata
            .read()
            .await
            .as_ref()
            .and_then(|m| m.userinfo_endpoint().map(|u| u.url().clone()))
            .ok_or_else(|| {
                Refresh::Unreachable(OidcError::Discovery(
                    "the provider has no userinfo endpoint".into(),
                ))
            })?;
        let info: serde_json::Value = self
            .http
            .get(endpoint)
            .bearer_auth(response.access_token().secret())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| Refresh::Unreachable(OidcError::Exchange(error_chain(&e))))?
            .json()
            .await
            .map_err(|e| Refresh::Unreachable(OidcError::Exchange(error_chain(&e))))?;
        let groups: Vec<String> = info
            .get("groups")
            .and_then(|g| g.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((self.roles_of(&groups), kept))
    }
}

/// What the token endpoint gave at sign-in.
pub struct Exchanged {
    pub id_token: CoreIdToken,
    pub refresh_token: Option<String>,
}

/// Why a person's roles could not be read again.
#[derive(Debug)]
pub enum Refresh {
    /// The provider refused the refresh token: the person was removed, or their grant revoked.
    Refused(String),
    /// The provider could not be asked; try again later.
    Unreachable(OidcError),
}

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

/// An error with its causes, so the log says why a request to the provider failed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One claim of a token's payload (its signature checked already).
fn token_claim(jwt: &str, name: &str) -> Option<serde_json::Value> {
    jwt.split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get(name).cloned())
}

fn token_groups(jwt: &str) -> Vec<String> {
    token_claim(jwt, "groups")
        .and_then(|g| serde_json::from_value::<Vec<String>>(g).ok())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// GET /auth/oidc/start: remembers state, nonce and PKCE verifier, then sends the browser to the IdP.
/// Changes only the visitor's own pending sign-in, which a plain link must be able to start.
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StartQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    let client = match oidc.client().await {
        Ok(c) => c,
        Err(e) => return failure(&e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("groups".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next: crate::auth::redirect::after_sign_in(&state.config.public_url, q.next.as_deref()),
        started_at: campus_core::clock::now(),
    };
    if let Err(e) = session.insert(keys::OIDC_PENDING, pending).await {
        return internal(e);
    }
    see_other(url.as_str())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET /auth/oidc/callback: completes the sign-in, or shows why it failed and signs nobody in.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    crate::auth::address::ClientAddress(address): crate::auth::address::ClientAddress,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return not_configured();
    };
    // Take the pending sign-in out first, so whatever happens next it cannot be used twice.
    let pending: Option<Pending> = match session.remove(keys::OIDC_PENDING).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    match complete(&state, &oidc, pending, q, &address).await {
        Ok((user_id, next, refresh)) => {
            if let Err(e) = crate::auth::establish(&session, user_id, &headers).await {
                return internal(e);
            }
            // Kept server-side with the session, so the person's groups can be read again.
            if let Some(refresh) = refresh {
                let now = campus_core::clock::now();
                if let Err(e) = session.insert(keys::IDP_REFRESH, refresh).await {
                    return internal(e);
                }
                if let Err(e) = session.insert(keys::IDP_SYNCED_AT, now).await {
                    return internal(e);
                }
            }
            tracing::info!(user_id, "signed in with OpenID Connect");
            see_other(&next)
        }
        Err(Completion::Oidc(e)) => failure(&e),
        Err(Completion::Internal(e)) => internal(e),
    }
}

enum Completion {
    Oidc(OidcError),
    Internal(String),
}

impl From<OidcError> for Completion {
    fn from(e: OidcError) -> Self {
        Completion::Oidc(e)
    }
}

async fn complete(
    state: &AppState,
    oidc: &OidcClient,
    pending: Option<Pending>,
    q: CallbackQuery,
    address: &str,
) -> Result<(i64, String, Option<String>), Completion> {
    let pending = pending.ok_or(OidcError::NoPendingSignIn)?;
    if campus_core::clock::now() - pending.started_at > PENDING_TTL_SECS {
        return Err(OidcError::NoPendingSignIn.into());
    }
    if q.state.as_deref() != Some(pending.state.as_str()) {
        return Err(OidcError::StateMismatch.into());
    }
    if let Some(error) = q.error {
        let detail = q
            .error_description
            .map(|d| format!("{error}: {d}"))
            .unwrap_or(error);
        return Err(OidcError::Provider(detail).into());
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or(OidcError::MissingCode)?;
    let exchanged = oidc.exchange(code, pending.pkce_verifier).await?;
    let identity = oidc
        .verify_id_token(&exchanged.id_token, &Nonce::new(pending.nonce), None)
        .await?;
    let user_id = accounts::sign_in_oidc(&state.db, identity, address)
        .await
        .map_err(|e| Completion::Internal(e.to_string()))?;
    Ok((user_id, pending.next, exchanged.refresh_token))
}

fn failure(e: &OidcError) -> Response {
    tracing::warn!(error = %e, "OpenID Connect sign-in failed");
    let status = match e {
        OidcError::Discovery(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = format!("We could not sign you in because {e}. You have not been signed in. Go back to the sign-in page and start again.");
    (
        status,
        crate::web::error_page::html("We could not sign you in", &body),
    )
        .into_response()
}

fn not_configured() -> Response {
    (
        StatusCode::NOT_FOUND,
        crate::web::error_page::html("Single sign-on is not set up", "This portal has no identity provider configured. Sign in with a local account instead."),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_are_read_from_a_token_payload() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"a","groups":["campus-staff","x"]}"#);
        assert_eq!(
            super::token_groups(&format!("h.{payload}.s")),
            vec!["campus-staff", "x"]
        );
        assert!(super::token_groups("garbage").is_empty());
    }
}
