//! The poll token: a 256-bit secret handed to the browser that created a scene. Only a hash
//! is stored (the first 128 bits of its SHA-256, base64url: 22 characters, so that a pending
//! scene stays small in Redis; finding any token with that hash still costs 2^128 tries);
//! presented tokens are compared in constant time.

use crate::secret::Secret;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub struct PollToken;

impl PollToken {
    /// A fresh token and the hash to store.
    pub fn generate() -> (Secret, String) {
        let bytes: [u8; 32] = rand::random();
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let hash = Self::hash(&token);
        (Secret::new(token), hash)
    }

    pub fn hash(token: &str) -> String {
        let digest = Sha256::digest(token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    }

    /// Whether `presented` is the token whose hash is `stored_hash`.
    pub fn matches(presented: &str, stored_hash: &str) -> bool {
        let presented = Self::hash(presented);
        presented.as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_hash_only() {
        let (token, hash) = PollToken::generate();
        assert_eq!(token.expose().len(), 43);
        assert!(PollToken::matches(token.expose(), &hash));
        assert!(!PollToken::matches("not-the-token", &hash));
        assert!(!PollToken::matches("", &hash));
        let (other, _) = PollToken::generate();
        assert_ne!(token, other);
    }
}
