//! Personal access tokens for the JSON API. Only a SHA-256 of each token is stored; the token
//! itself is shown once, when it is made.

use crate::clock;
use crate::db::Db;
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
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn generate() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Makes a token and returns (its id, the secret to show once).
pub async fn create(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    name: &str,
) -> Result<(i64, String), sqlx::Error> {
    let secret = generate();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(digest(&secret))
    .bind(clock::now())
    .fetch_one(conn)
    .await?;
    Ok((id, secret))
}

/// The owner of a live token, recording its use.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<i64>, sqlx::Error> {
    let user: Option<i64> = sqlx::query_scalar(
        "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id",
    )
    .bind(clock::now())
    .bind(digest(secret))
    .fetch_optional(&db.pool)
    .await?;
    Ok(user)
}

pub async fn list(db: &Db, user_id: i64) -> Result<Vec<TokenInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
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
