//! WeChat's message encryption: AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 padding to
//! 32-byte blocks (pad values 1..=32, which a 16-byte unpadder refuses), and the plaintext
//! `random(16) || len(msg) as u32 big-endian || msg || appid`.

use super::PushCodecError;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use std::fmt;

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// WeChat pads to 32 bytes, twice the AES block.
const PAD_BLOCK: usize = 32;
const RANDOM_LEN: usize = 16;
const LEN_LEN: usize = 4;

/// Real EncodingAESKeys are 43 random base64 characters whose last one often carries non-zero
/// trailing bits; a strict decoder would refuse them.
const KEY_DECODER: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The 32-byte AES key behind an EncodingAESKey. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// `base64_decode(EncodingAESKey + "=")`: 43 characters give 32 bytes.
    pub fn parse(encoding_aes_key: &str) -> Result<AesKey, PushCodecError> {
        if encoding_aes_key.len() != 43 {
            return Err(PushCodecError::InvalidAesKey);
        }
        let bytes = KEY_DECODER
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| PushCodecError::InvalidAesKey)?;
        let key =
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| PushCodecError::InvalidAesKey)?;
        Ok(AesKey(key))
    }

    fn iv(&self) -> &[u8] {
        &self.0[..16]
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey([redacted])")
    }
}

/// Encrypt `msg` for `app_id` with the given 16 random bytes; returns the base64 `Encrypt`.
pub fn encrypt(key: &AesKey, app_id: &str, msg: &[u8], random: &[u8; 16]) -> String {
    let msg_len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
    let mut plain = Vec::with_capacity(RANDOM_LEN + LEN_LEN + msg.len() + app_id.len() + PAD_BLOCK);
    plain.extend_from_slice(random);
    plain.extend_from_slice(&msg_len.to_be_bytes());
    plain.extend_from_slice(msg);
    plain.extend_from_slice(app_id.as_bytes());
    let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
    // `pad` is 1..=32, so it fits a byte.
    plain.extend(std::iter::repeat_n(pad as u8, pad));
    let len = plain.len();
    let cipher = Encryptor::new_from_slices(&key.0, key.iv()).map(|enc| {
        enc.encrypt_padded_mut::<NoPadding>(&mut plain, len)
            .map(<[u8]>::to_vec)
    });
    match cipher {
        Ok(Ok(bytes)) => STANDARD.encode(bytes),
        // Unreachable: the key is 32 bytes, the IV 16, and the buffer whole blocks.
        _ => String::new(),
    }
}

/// Decrypt a base64 `Encrypt` and check that it was made for `app_id`; returns the message.
pub fn decrypt(key: &AesKey, app_id: &str, encrypt: &str) -> Result<Vec<u8>, PushCodecError> {
    let mut data = STANDARD
        .decode(encrypt.trim())
        .map_err(|_| PushCodecError::InvalidCiphertext)?;
    if data.is_empty() || data.len() % PAD_BLOCK != 0 {
        return Err(PushCodecError::InvalidCiphertext);
    }
    let decryptor = Decryptor::new_from_slices(&key.0, key.iv())
        .map_err(|_| PushCodecError::InvalidCiphertext)?;
    let plain = decryptor
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .map_err(|_| PushCodecError::InvalidCiphertext)?;
    let plain = unpad(plain)?;
    let header = plain
        .get(..RANDOM_LEN + LEN_LEN)
        .ok_or(PushCodecError::InvalidCiphertext)?;
    let mut len = [0u8; 4];
    len.copy_from_slice(&header[RANDOM_LEN..]);
    let msg_len =
        usize::try_from(u32::from_be_bytes(len)).map_err(|_| PushCodecError::InvalidCiphertext)?;
    let rest = &plain[RANDOM_LEN + LEN_LEN..];
    if msg_len > rest.len() {
        return Err(PushCodecError::InvalidCiphertext);
    }
    let (msg, trailing_app_id) = rest.split_at(msg_len);
    if trailing_app_id != app_id.as_bytes() {
        return Err(PushCodecError::WrongAppId);
    }
    Ok(msg.to_vec())
}

/// PKCS#7 with pad values 1..=32, every pad byte checked.
fn unpad(plain: &[u8]) -> Result<&[u8], PushCodecError> {
    let pad = usize::from(*plain.last().ok_or(PushCodecError::InvalidCiphertext)?);
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(PushCodecError::InvalidCiphertext);
    }
    let (body, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&b| usize::from(b) != pad) {
        return Err(PushCodecError::InvalidCiphertext);
    }
    Ok(body)
}
