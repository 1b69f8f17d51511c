//! WeChat's side of the official account's callback, written from WeChat's documentation
//! (docs/wechat.md sections 6 and 8), not from Saoma's: the sandbox signs and encrypts its
//! pushes with this code and reads Saoma's encrypted replies with it, so that a mistake in
//! Saoma's crypto cannot be mirrored here. Both pass the same known-answer vectors.
//!
//! - `signature = sha1(sorted([token, timestamp, nonce]))`, `msg_signature` adds `Encrypt`;
//!   lowercase hex.
//! - AES-256-CBC, key = `base64_decode(EncodingAESKey + "=")`, IV = the key's first 16 bytes,
//!   PKCS#7 padding to 32-byte blocks, plaintext
//!   `random(16) || len(msg) as u32 big-endian || msg || appid`.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use sha1::{Digest, Sha1};
use std::fmt;
use subtle::ConstantTimeEq;

/// WeChat pads to 32 bytes (pad values 1..=32), not to the 16-byte AES block.
const WECHAT_BLOCK: usize = 32;

/// EncodingAESKeys are 43 random base64 characters: the last one may carry bits past the 32
/// bytes, which WeChat's own (lenient) decoder ignores.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why an EncodingAESKey or a ciphertext was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// Not 43 base64 characters.
    AesKey,
    /// Not base64, not whole blocks, badly padded, or a length past the end.
    Ciphertext,
    /// The plaintext ends with another app id.
    AppId,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptoError::AesKey => "the EncodingAESKey must be 43 base64 characters",
            CryptoError::Ciphertext => "the ciphertext is not base64, whole blocks or padded",
            CryptoError::AppId => "the decrypted message is for another app id",
        })
    }
}

impl std::error::Error for CryptoError {}

/// `sha1` over the strings sorted and joined, as lowercase hex.
fn sorted_sha1(mut parts: Vec<&str>) -> String {
    parts.sort_unstable();
    let mut sha1 = Sha1::new();
    for part in parts {
        sha1.update(part.as_bytes());
    }
    hex::encode(sha1.finalize())
}

/// The `signature` query parameter of every push (and of the URL check).
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(vec![token, timestamp, nonce])
}

/// The `msg_signature` of an encrypted push, or the `MsgSignature` of an encrypted reply.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(vec![token, timestamp, nonce, encrypt])
}

/// Whether a received signature is the expected one: constant time, hex case ignored.
pub fn verify(expected: &str, received: &str) -> bool {
    let received = received.to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
}

/// The 32-byte key behind an EncodingAESKey. `Debug` redacts it.
#[derive(Clone)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// `base64_decode(EncodingAESKey + "=")`.
    pub fn parse(encoding_aes_key: &str) -> Result<AesKey, CryptoError> {
        if encoding_aes_key.len() != 43 {
            return Err(CryptoError::AesKey);
        }
        let decoded = LENIENT
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| CryptoError::AesKey)?;
        decoded
            .try_into()
            .map(AesKey)
            .map_err(|_| CryptoError::AesKey)
    }

    fn cipher_parts(&self) -> (&[u8; 32], &[u8]) {
        (&self.0, &self.0[..16])
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey([redacted])")
    }
}

/// `Encrypt` (base64) for `msg` sent by `app_id`, with these 16 random bytes in front.
pub fn encrypt(key: &AesKey, app_id: &str, msg: &[u8], random: &[u8; 16]) -> String {
    let length = u32::try_from(msg.len()).unwrap_or(u32::MAX);
    let mut plain = Vec::with_capacity(20 + msg.len() + app_id.len() + WECHAT_BLOCK);
    plain.extend_from_slice(random);
    plain.extend_from_slice(&length.to_be_bytes());
    plain.extend_from_slice(msg);
    plain.extend_from_slice(app_id.as_bytes());
    let pad = WECHAT_BLOCK - plain.len() % WECHAT_BLOCK;
    // `pad` is 1..=32: it fits a byte.
    plain.resize(plain.len() + pad, pad as u8);
    let (k, iv) = key.cipher_parts();
    let len = plain.len();
    let encrypted = match cbc::Encryptor::<aes::Aes256>::new(k.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut plain, len)
    {
        Ok(bytes) => bytes.to_vec(),
        // Unreachable: the buffer is whole 32-byte blocks.
        Err(_) => Vec::new(),
    };
    STANDARD.encode(encrypted)
}

/// The message inside `Encrypt`, after checking that it ends with `app_id`.
pub fn decrypt(key: &AesKey, app_id: &str, encrypt: &str) -> Result<Vec<u8>, CryptoError> {
    let mut data = STANDARD
        .decode(encrypt.trim())
        .map_err(|_| CryptoError::Ciphertext)?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err(CryptoError::Ciphertext);
    }
    let (k, iv) = key.cipher_parts();
    let plain = cbc::Decryptor::<aes::Aes256>::new(k.into(), iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .map_err(|_| CryptoError::Ciphertext)?;
    let pad = usize::from(*plain.last().ok_or(CryptoError::Ciphertext)?);
    if !(1..=WECHAT_BLOCK).contains(&pad)
        || pad > plain.len()
        || plain[plain.len() - pad..]
            .iter()
            .any(|&b| usize::from(b) != pad)
    {
        return Err(CryptoError::Ciphertext);
    }
    let body = &plain[..plain.len() - pad];
    let length_bytes: [u8; 4] = body
        .get(16..20)
        .and_then(|b| b.try_into().ok())
        .ok_or(CryptoError::Ciphertext)?;
    let length =
        usize::try_from(u32::from_be_bytes(length_bytes)).map_err(|_| CryptoError::Ciphertext)?;
    let msg = body
        .get(20..20usize.saturating_add(length))
        .ok_or(CryptoError::Ciphertext)?;
    if &body[20 + msg.len()..] != app_id.as_bytes() {
        return Err(CryptoError::AppId);
    }
    Ok(msg.to_vec())
}
