//! Callback signatures: SHA-1 over the sorted concatenation, lowercase hex.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// `signature` of the URL check and of every push: `sha1(sorted([token, timestamp, nonce]))`.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce])
}

/// `msg_signature` of an encrypted push or reply: the same over `[token, timestamp, nonce, Encrypt]`.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce, encrypt])
}

/// Constant-time comparison of an expected signature with the one presented (case-insensitive
/// hex: both are lowercased first, which leaks nothing about the expected value).
pub fn verify(expected: &str, presented: &str) -> bool {
    let presented = presented.to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

fn sorted_sha1(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    let mut hash = Sha1::new();
    for part in parts.iter() {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}
