//! RSA keys for RS256 id_tokens (what every OpenID relying party verifies): a PKCS#8 PEM file
//! (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`), generated on first start
//! when allowed, published in the JWKS with its RFC 7638 thumbprint as `kid`.
//!
//! Signing is `ring`'s (already built for rustls), on a key parsed once: `jsonwebtoken`'s
//! RustCrypto backend re-parses the DER and signs with `num-bigint-dig`, 5.6 ms per RS256
//! signature here against ring's 0.65 ms (BENCHMARKS.md, oidc-login). PKCS#1 v1.5 signatures
//! are deterministic, so a test checks that both produce the same token byte for byte.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";
const BITS: usize = 2048;

/// One RSA key: signs RS256, and is published as a JWK.
pub struct RsaKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
    decoding: DecodingKey,
    kid: String,
    /// Modulus and exponent, base64url (the JWK's `n` and `e`).
    n: String,
    e: String,
}

impl RsaKey {
    /// Reads the key in `path`; when it does not exist and `generate_if_missing`, generates it
    /// first (mode 0600; a file another process wrote meanwhile wins).
    pub fn load_or_generate(path: &Path, generate_if_missing: bool) -> anyhow::Result<RsaKey> {
        if !path.exists() {
            if !generate_if_missing {
                bail!(
                    "the RSA key {} does not exist; create one with `openssl genpkey -algorithm \
                     RSA -pkeyopt rsa_keygen_bits:2048 -out {}`",
                    path.display(),
                    path.display()
                );
            }
            generate(path)?;
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the RSA key {}", path.display()))?;
        Self::from_pem(&text).with_context(|| format!("parsing the RSA key {}", path.display()))
    }

    /// A key from a PKCS#8 PEM. Errors never quote the key.
    pub fn from_pem(text: &str) -> anyhow::Result<RsaKey> {
        let body = text
            .trim()
            .strip_prefix(PEM_BEGIN)
            .and_then(|rest| rest.strip_suffix(PEM_END))
            .context("not a PEM \"PRIVATE KEY\" (PKCS#8) file")?;
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| anyhow::anyhow!("the PEM body is not valid base64"))?;
        let key = rsa::RsaPrivateKey::from_pkcs8_der(&der)
            .map_err(|_| anyhow::anyhow!("not an RSA PKCS#8 private key"))?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|_| {
            anyhow::anyhow!("an RSA key ring cannot sign with (at least 2048 bits)")
        })?;
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).context("the RSA public key components")?;
        Ok(RsaKey {
            pair,
            rng: SystemRandom::new(),
            decoding,
            kid: thumbprint(&n, &e),
            n,
            e,
        })
    }

    /// The RFC 7638 thumbprint, the `kid` of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Sign `claims` RS256 with `kid` in the header.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        self.sign_with(claims, None)
    }

    /// The same, explicitly typed (`typ`: a logout token's `logout+jwt`).
    pub fn sign_typed<T: serde::Serialize>(&self, claims: &T, typ: &str) -> anyhow::Result<String> {
        self.sign_with(claims, Some(typ))
    }

    fn sign_with<T: serde::Serialize>(
        &self,
        claims: &T,
        typ: Option<&str>,
    ) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        if let Some(typ) = typ {
            header.typ = Some(typ.to_owned());
        }
        super::jws::compact(&header, claims, |input| {
            let mut signature = vec![0u8; self.pair.public().modulus_len()];
            self.pair
                .sign(&RSA_PKCS1_SHA256, &self.rng, input, &mut signature)
                .map_err(|_| anyhow::anyhow!("signing RS256"))?;
            Ok(signature)
        })
    }

    /// For verifying what this key signed.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public key as a JWK (RFC 7517).
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA",
            "n": self.n,
            "e": self.e,
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        })
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn generate(path: &Path) -> anyhow::Result<()> {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, BITS)
        .context("generating an RSA key")?;
    let der = key
        .to_pkcs8_der()
        .map_err(|_| anyhow::anyhow!("encoding the RSA key"))?;
    let pem = format!(
        "{PEM_BEGIN}\n{}\n{PEM_END}\n",
        STANDARD
            .encode(der.as_bytes())
            .as_bytes()
            .chunks(64)
            .map(String::from_utf8_lossy)
            .collect::<Vec<_>>()
            .join("\n")
    );
    if !super::key_file::write_new(path, &pem, "RSA key")? {
        return Ok(());
    }
    tracing::info!(path = %path.display(), "generated a new id_token signing key (RSA)");
    Ok(())
}

/// RFC 7638 thumbprint of an RSA JWK.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}
