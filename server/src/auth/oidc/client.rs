//! The identity provider as the portal talks to it: discovery, the authorization request with
//! PKCE, the code exchange with the ID token's checks (signature by JWKS, exact issuer,
//! audience, expiry, nonce), and reading a person's groups again with a refresh token.

use crate::config::OidcConfig;
use base64::Engine;
use campus_core::domain::RoleSet;
use campus_core::services::accounts::VerifiedIdentity;
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeVerifier, RedirectUrl, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long a started sign-in may take before its state is no longer accepted.
pub(super) const PENDING_TTL_SECS: i64 = 600;

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
pub(super) struct Pending {
    pub(super) state: String,
    pub(super) nonce: String,
    pub(super) pkce_verifier: String,
    pub(super) next: String,
    pub(super) started_at: i64,
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
    pub(super) async fn client(&self) -> Result<Client, OidcError> {
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
