//! Argon2id password hashing. Hashing is deliberately slow, so it runs on the blocking pool,
//! never on the async threads.

use crate::error::CoreError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

/// A PHC-format argon2id hash. Deliberately neither `Debug`-printable in full nor `Serialize`,
/// so it cannot leak into logs or responses.
#[derive(Clone)]
pub struct PasswordHashString(pub(crate) String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(..)")
    }
}

impl PasswordHashString {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hash of a password nobody knows, verified against when the user does not exist so that
/// "no such user" and "wrong password" take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3jY1b8r4VeoXsEqQbYq/0Ml5f0hKkS1Q9vJ0mYVdJXc";

pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 12 {
        return Err("Password must be 12 characters or more".into());
    }
    if password.len() > 256 {
        return Err("Password must be 256 characters or fewer".into());
    }
    Ok(())
}

pub async fn hash(password: String) -> Result<PasswordHashString, CoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| PasswordHashString(h.to_string()))
            .map_err(|e| CoreError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("hashing task failed: {e}")))?
}

/// True when `password` matches `stored`; with no stored hash it still does the work and fails.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

/// A random password for one-time use, printed once by the bootstrap.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.as_str().starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.0.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h.0)).await);
    }

    #[tokio::test]
    async fn a_missing_account_never_verifies() {
        assert!(!verify("anything at all".into(), None).await);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough pass").is_ok());
    }
}
