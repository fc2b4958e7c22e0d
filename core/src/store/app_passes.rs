//! Passes into app hosts: one portal session, one resource. A pass starts as a one-time code
//! the portal puts in a redirect and becomes the app host's cookie when that code is redeemed.
//! Only SHA-256 hashes of codes and cookies are stored, and the session is named by its stored
//! key, so a copy of this table opens nothing.

use crate::db::Db;
use crate::store::sessions;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How long a code may wait to be redeemed: long enough for one redirect.
pub const CODE_SECS: i64 = 30;

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh random secret, URL-safe.
pub fn secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Records a code for `session_id` (the id the browser holds) to open `resource_id`.
pub async fn issue(
    db: &Db,
    code: &str,
    session_id: &str,
    resource_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO app_passes (code_hash, session_key, resource_id, code_expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(code))
    .bind(sessions::key_of(session_id))
    .bind(resource_id)
    .bind(now + CODE_SECS)
    .bind(now)
    .execute(&db.pool)
    .await
    .map(|_| ())
}

/// Why a code did not become a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Never issued, or already used.
    Unknown,
    /// Issued for another resource's host.
    OtherResource,
    Expired,
}

/// Redeems `code` on `resource_id`'s host, making `cookie` the pass; returns the stored key of
/// the session it lets in. A code works once: whatever the outcome, it is gone afterwards, so a
/// code that leaked to the wrong host or arrived late cannot be tried again.
pub async fn redeem(
    db: &Db,
    code: &str,
    cookie: &str,
    resource_id: i64,
    now: i64,
) -> Result<Result<String, Refused>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE app_passes SET code_hash = NULL, cookie_hash = $2 WHERE code_hash = $1 \
         RETURNING id, session_key, resource_id, code_expires_at",
    )
    .bind(digest(code))
    .bind(digest(cookie))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Err(Refused::Unknown));
    };
    let refused = if row.try_get::<i64, _>("resource_id")? != resource_id {
        Some(Refused::OtherResource)
    } else if row.try_get::<i64, _>("code_expires_at")? < now {
        Some(Refused::Expired)
    } else {
        None
    };
    if let Some(why) = refused {
        sqlx::query("DELETE FROM app_passes WHERE id = $1")
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&db.pool)
            .await?;
        return Ok(Err(why));
    }
    Ok(Ok(row.try_get("session_key")?))
}

/// The stored session key a pass cookie stands for on `resource_id`'s host, if it is one.
pub async fn session_of(
    db: &Db,
    cookie: &str,
    resource_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT session_key FROM app_passes WHERE cookie_hash = $1 AND resource_id = $2",
    )
    .bind(digest(cookie))
    .bind(resource_id)
    .fetch_optional(&db.pool)
    .await
}

/// Removes codes nobody redeemed and passes whose session has ended.
pub async fn delete_stale(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "DELETE FROM app_passes WHERE (cookie_hash IS NULL AND code_expires_at < $1) \
         OR session_key NOT IN (SELECT id FROM sessions)",
    )
    .bind(now)
    .execute(&db.pool)
    .await
    .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_long_random_and_url_safe() {
        let (a, b) = (super::secret(), super::secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
