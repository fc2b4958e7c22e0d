//! Per-resource secrets, derived from the portal's workload key so none is ever stored: the
//! token JupyterLab demands, and the secret a cluster job's gate challenges the proxy with.
//! Each is an HMAC of the resource's name and what it is for, so knowing one (a person may read
//! their own workspace's token) tells nothing of another.

use hmac::{Hmac, Mac};

#[derive(Clone)]
pub struct Secrets {
    key: std::sync::Arc<Vec<u8>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(***)")
    }
}

impl Secrets {
    pub fn new(key: &[u8]) -> Secrets {
        Secrets {
            key: std::sync::Arc::new(key.to_vec()),
        }
    }

    fn derive(&self, purpose: &str, resource: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("any key size");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(resource.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The token a resource's JupyterLab demands; only the proxy sends it.
    pub fn jupyter_token(&self, resource: &str) -> String {
        self.derive("jupyter-token", resource)
    }

    /// The secret a resource's gate challenges connections with.
    pub fn gate_secret(&self, resource: &str) -> String {
        self.derive("gate", resource)
    }
}

/// The answer to a gate's challenge: HMAC-SHA256(secret, nonce) in hex.
pub fn answer(secret: &str, nonce: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_differ_by_resource_and_purpose_and_key() {
        let s = Secrets::new(b"a key of the portal's own");
        assert_eq!(s.jupyter_token("cp-1"), s.jupyter_token("cp-1"));
        assert_ne!(s.jupyter_token("cp-1"), s.jupyter_token("cp-2"));
        assert_ne!(s.jupyter_token("cp-1"), s.gate_secret("cp-1"));
        assert_ne!(
            s.jupyter_token("cp-1"),
            Secrets::new(b"another key").jupyter_token("cp-1")
        );
        assert_eq!(s.gate_secret("cp-1").len(), 64);
        assert_ne!(answer("s", "n1"), answer("s", "n2"));
    }
}
