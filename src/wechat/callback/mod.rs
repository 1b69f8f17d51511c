//! The official account's callback (docs/wechat.md section 6), pure: no I/O, no clock.
//!
//! - [`signature`]: `sha1(sorted([token, timestamp, nonce]))` and the `msg_signature` that adds
//!   `Encrypt`, both checked in constant time.
//! - [`crypto`]: AES-256-CBC with IV = key[..16], PKCS#7 to 32-byte blocks, plaintext
//!   `random(16) || u32be len || msg || appid` with the app id checked.
//! - [`xml`]: a flat `<xml>` document read with a size cap and no DTD (a DOCTYPE is refused, so
//!   no entity is ever declared or expanded), and replies written with CDATA.

mod crypto;
mod signature;
mod xml;

#[cfg(test)]
mod tests;

pub use crypto::{AesKey, decrypt, encrypt};
pub use signature::{msg_signature, signature, verify};
pub use xml::{Fields, MAX_XML_BYTES, encrypted_reply, parse, text_reply};

/// Why a push (or a reply, on the sandbox's side) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushCodecError {
    #[error("the EncodingAESKey must be 43 base64 characters")]
    InvalidAesKey,
    #[error("the ciphertext is not base64, not whole AES blocks, or badly padded")]
    InvalidCiphertext,
    #[error("the decrypted message is for another app id")]
    WrongAppId,
    #[error("the XML body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("a DOCTYPE is not allowed in a push")]
    DocType,
    #[error("the XML is malformed: {0}")]
    InvalidXml(String),
}
