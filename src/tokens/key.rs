//! The Ed25519 signing key: a PKCS#8 v1 PEM file (what `openssl genpkey -algorithm ed25519`
//! writes), generated from OS randomness on first start when allowed, and its RFC 7638 thumbprint.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::path::Path;

/// PKCS#8 v1 `PrivateKeyInfo` for Ed25519 (RFC 8410), up to the 32-byte seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Reads the key in `path`; when it does not exist and `generate_if_missing`, creates it first
/// (mode 0600, never overwriting a file another process wrote meanwhile).
pub(super) fn load_or_generate(
    path: &Path,
    generate_if_missing: bool,
) -> anyhow::Result<SigningKey> {
    if !path.exists() {
        if !generate_if_missing {
            bail!(
                "the signing key {} does not exist; allow generating it, or create one with \
                 `openssl genpkey -algorithm ed25519 -out {}`",
                path.display(),
                path.display()
            );
        }
        generate(path)?;
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    warn_if_readable_by_others(path);
    let seed =
        decode_pem(&text).with_context(|| format!("parsing the signing key {}", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn generate(path: &Path) -> anyhow::Result<()> {
    let mut seed = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut seed)
        .context("reading OS randomness for the signing key")?;
    let pem = encode_pem(&seed);
    if !super::key_file::write_new(path, &pem, "signing key")? {
        // Another instance generated it first: use theirs.
        return Ok(());
    }
    tracing::info!(path = %path.display(), "generated a new token signing key");
    Ok(())
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the token signing key is readable by others; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The PKCS#8 v1 DER of a seed, as `jsonwebtoken`'s `EncodingKey::from_ed_der` takes it.
pub(super) fn pkcs8_der(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = Vec::with_capacity(48);
    der.extend_from_slice(&PKCS8_PREFIX);
    der.extend_from_slice(seed);
    der
}

pub(super) fn encode_pem(seed: &[u8; 32]) -> String {
    format!(
        "{PEM_BEGIN}\n{}\n{PEM_END}\n",
        STANDARD.encode(pkcs8_der(seed))
    )
}

/// The seed in a PKCS#8 v1 PEM. Errors never quote the key.
pub(super) fn decode_pem(text: &str) -> anyhow::Result<[u8; 32]> {
    let body = text
        .trim()
        .strip_prefix(PEM_BEGIN)
        .and_then(|rest| rest.strip_suffix(PEM_END))
        .context("not a PEM \"PRIVATE KEY\" (PKCS#8) file")?;
    let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD
        .decode(body)
        .map_err(|_| anyhow::anyhow!("the PEM body is not valid base64"))?;
    let seed = der
        .strip_prefix(&PKCS8_PREFIX[..])
        .and_then(|seed| <[u8; 32]>::try_from(seed).ok())
        .context("not an Ed25519 PKCS#8 v1 private key")?;
    Ok(seed)
}

/// RFC 7638 thumbprint of an Ed25519 JWK with public key `x` (base64url).
pub(super) fn thumbprint(x: &str) -> String {
    // The required members, lexicographically ordered, no whitespace (RFC 7638 section 3.2).
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
