//! Personal access tokens for the JSON API. Only a SHA-256 of each token is stored; the token
//! itself is shown once, when it is made.

use crate::clock;
use crate::db::Db;
use crate::token_scope::{Scope, Scopes};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

pub const PREFIX: &str = "cpat_";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// As stored: scope names separated by spaces (`token_scope::Scopes::parse`).
    pub scopes: String,
    pub expires_at: i64,
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new secret: `prefix` and 32 random bytes from the OS, URL-safe.
pub(crate) fn secret(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Makes a token and returns (its id, the secret to show once).
pub async fn create(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    name: &str,
    scopes: Scopes,
    expires_at: i64,
) -> Result<(i64, String), sqlx::Error> {
    let secret = secret(PREFIX);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, scopes, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(digest(&secret))
    .bind(clock::now())
    .bind(scopes.to_string())
    .bind(expires_at)
    .fetch_one(conn)
    .await?;
    Ok((id, secret))
}

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// Live: its owner and scopes (its use is recorded).
    Live {
        user_id: i64,
        scopes: Scopes,
    },
    Revoked,
    Expired {
        at: i64,
    },
    Unknown,
}

/// Looks a presented token up, recording the use of a live one.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Presented, sqlx::Error> {
    let now = clock::now();
    let hash = digest(secret);
    let live = sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 \
         WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > $1 \
         RETURNING user_id, scopes",
    )
    .bind(now)
    .bind(&hash)
    .fetch_optional(&db.pool)
    .await?;
    if let Some(r) = live {
        return Ok(Presented::Live {
            user_id: r.try_get("user_id")?,
            scopes: Scopes::parse(&r.try_get::<String, _>("scopes")?),
        });
    }
    let dead = sqlx::query("SELECT revoked_at, expires_at FROM api_tokens WHERE token_hash = $1")
        .bind(&hash)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match dead {
        None => Presented::Unknown,
        Some(r) if r.try_get::<Option<i64>, _>("revoked_at")?.is_some() => Presented::Revoked,
        Some(r) => Presented::Expired {
            at: r.try_get("expires_at")?,
        },
    })
}

/// Revokes every live token of a person (signing out everywhere); how many.
pub async fn revoke_all(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(clock::now())
        .bind(user_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

/// Revokes a person's live tokens holding `scope` (its role was taken away); how many.
pub async fn revoke_with_scope(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    scope: Scope,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
         AND (' ' || scopes || ' ') LIKE $3",
    )
    .bind(clock::now())
    .bind(user_id)
    .bind(format!("% {} %", scope.as_str()))
    .execute(conn)
    .await
    .map(|r| r.rows_affected())
}

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, revoked_at, scopes, expires_at \
         FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
                revoked_at: r.try_get("revoked_at")?,
                scopes: r.try_get("scopes")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
}

/// Revokes one of the user's tokens; false if there is no such live token of theirs.
pub async fn revoke(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    token_id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(clock::now())
    .bind(token_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
