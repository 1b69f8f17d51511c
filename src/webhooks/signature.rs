//! Standard Webhooks signing (<https://www.standardwebhooks.com/>): every delivery carries
//! `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated
//! list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per live secret (two during a
//! rotation). Secrets are `whsec_` + base64 of 24 to 64 random bytes, as every receiver library
//! expects them.

use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A webhook secret, `whsec_<base64>`: checked when it is read, redacted in `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningSecret(Secret);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("must start with whsec_ followed by base64 (a Standard Webhooks secret)")]
    Format,
    #[error("must hold 24 to 64 bytes once base64-decoded")]
    Length,
}

impl SigningSecret {
    pub fn parse(value: &str) -> Result<Self, SecretError> {
        let encoded = value
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SecretError::Format)?;
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::Format)?;
        if !(24..=64).contains(&key.len()) {
            return Err(SecretError::Length);
        }
        Ok(Self(Secret::new(format!("{PREFIX}{encoded}"))))
    }

    /// A new secret: 32 random bytes.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self(Secret::new(format!("{PREFIX}{}", STANDARD.encode(key))))
    }

    /// The secret as the receiver configures it (`whsec_...`).
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    fn key(&self) -> Vec<u8> {
        // Checked by `parse` or made by `generate`: the part after the prefix is base64.
        self.0
            .expose()
            .strip_prefix(PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .unwrap_or_default()
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key()) else {
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[&SigningSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference libraries (its test
    // suites use this secret, message and timestamp).
    #[test]
    fn signs_the_reference_example() {
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn refuses_what_is_not_a_whsec_secret() {
        assert_eq!(SigningSecret::parse("hunter2"), Err(SecretError::Format));
        assert_eq!(SigningSecret::parse("whsec_!!!"), Err(SecretError::Format));
        assert_eq!(
            SigningSecret::parse("whsec_c2hvcnQ="),
            Err(SecretError::Length)
        );
        let made = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(made.expose()), Ok(made.clone()));
        assert_eq!(format!("{made:?}"), "SigningSecret([redacted])");
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let (old, new) = (SigningSecret::generate(), SigningSecret::generate());
        let header = signature_header(&[&new, &old], "msg_1", 1, b"{}");
        let parts: Vec<_> = header.split(' ').collect();
        assert_eq!(
            parts,
            [new.sign("msg_1", 1, b"{}"), old.sign("msg_1", 1, b"{}")]
        );
    }
}
