//! [`Signer`]: issues and verifies access tokens with this server's Ed25519 key, and with the
//! keys it publishes besides (rotation: the next key before it signs, the previous one until the
//! last token it signed has expired).

use super::{
    AccessSubject, AccessToken, Claims, ClientClaims, Jwk, Jwks, TokenError, TokenSettings, key,
};
use crate::secret::Secret;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
#[cfg(test)]
use jsonwebtoken::EncodingKey;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use std::fmt;
use std::path::{Path, PathBuf};

/// The `typ` of every access token (RFC 9068 2.1), so that no other JWT of this key (an
/// EdDSA id_token) passes as one, nor an access token as an id_token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// `at+jwt`, or its media type `application/at+jwt` (RFC 9068 4), in any case.
pub fn is_access_token_typ(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    typ == ACCESS_TOKEN_TYP || typ == "application/at+jwt"
}

/// An access token's claims, with the `client_id` that marks an OpenID client's.
#[derive(serde::Deserialize)]
struct OwnClaims {
    #[serde(flatten)]
    base: Claims,
    client_id: Option<String>,
}

/// An Ed25519 key published in the JWKS and accepted when verifying, but not signing.
struct PublishedKey {
    kid: String,
    x: String,
    decoding: DecodingKey,
}

/// Signs access tokens and verifies them; publishes the public key as a JWKS.
pub struct Signer {
    /// Parsed once (`jws`: jsonwebtoken would re-derive the public key at every signature).
    signing: SigningKey,
    #[cfg(test)]
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// The RFC 7638 thumbprint of the public key.
    kid: String,
    /// The public key, base64url.
    x: String,
    settings: TokenSettings,
    published: Vec<PublishedKey>,
}

impl Signer {
    /// Reads the Ed25519 key from `key_file` (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`),
    /// generating it (OS randomness) and writing it with mode 0600 when `generate_if_missing` and
    /// it does not exist.
    pub fn load_or_generate(
        key_file: &Path,
        generate_if_missing: bool,
        settings: TokenSettings,
    ) -> anyhow::Result<Signer> {
        let key = key::load_or_generate(key_file, generate_if_missing)?;
        Self::from_key(&key, settings)
    }

    pub(super) fn from_key(key: &SigningKey, settings: TokenSettings) -> anyhow::Result<Signer> {
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let decoding = DecodingKey::from_ed_components(&x).context("the Ed25519 public key")?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Signer {
            signing: key.clone(),
            #[cfg(test)]
            encoding: EncodingKey::from_ed_der(&key::pkcs8_der(key.as_bytes())),
            decoding,
            validation,
            kid: key::thumbprint(&x),
            x,
            settings,
            published: Vec::new(),
        })
    }

    /// Also publish (and accept tokens signed by) the Ed25519 keys in `files`
    /// (`tokens.published_key_files`). A file must exist; the signing key itself is skipped.
    pub fn with_published(mut self, files: &[PathBuf]) -> anyhow::Result<Signer> {
        for path in files {
            let key = key::load_or_generate(path, false)
                .with_context(|| format!("tokens.published_key_files: {}", path.display()))?;
            self.publish(&key)?;
        }
        Ok(self)
    }

    pub(super) fn publish(&mut self, key: &SigningKey) -> anyhow::Result<()> {
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let kid = key::thumbprint(&x);
        if kid == self.kid || self.published.iter().any(|p| p.kid == kid) {
            return Ok(());
        }
        let decoding = DecodingKey::from_ed_components(&x).context("the Ed25519 public key")?;
        self.published.push(PublishedKey { kid, x, decoding });
        Ok(())
    }

    /// The public key that verifies tokens with `kid`: the signing key's or a published one's.
    pub fn decoding_key_for(&self, kid: &str) -> Option<&DecodingKey> {
        if kid == self.kid {
            return Some(&self.decoding);
        }
        self.published
            .iter()
            .find(|p| p.kid == kid)
            .map(|p| &p.decoding)
    }

    /// The key id every token carries in its header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key ids of the published keys (accepted, not signing), in the JWKS' order.
    pub fn published_kids(&self) -> impl Iterator<Item = &str> {
        self.published.iter().map(|p| p.kid.as_str())
    }

    /// A new access token for `subject`, valid for the configured `access_ttl`.
    pub fn issue(&self, subject: &AccessSubject) -> anyhow::Result<AccessToken> {
        let claims = self.claims(subject);
        Ok(AccessToken {
            token: Secret::new(self.sign_typed(&claims, ACCESS_TOKEN_TYP)?),
            expires_in: self.settings.access_ttl.as_secs(),
        })
    }

    /// An access token for an OpenID client: the same claims plus `client_id` and `scope`.
    pub fn issue_for_client(
        &self,
        subject: &AccessSubject,
        client_id: &str,
        scope: &str,
    ) -> anyhow::Result<AccessToken> {
        let claims = ClientClaims {
            base: self.claims(subject),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
        };
        Ok(AccessToken {
            token: Secret::new(self.sign_typed(&claims, ACCESS_TOKEN_TYP)?),
            expires_in: self.settings.access_ttl.as_secs(),
        })
    }

    fn claims(&self, subject: &AccessSubject) -> Claims {
        let now = jsonwebtoken::get_current_timestamp();
        let ttl = self.settings.access_ttl.as_secs();
        Claims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: subject.account_id.clone(),
            iat: now,
            exp: now.saturating_add(ttl),
            jti: uuid::Uuid::new_v4().to_string(),
            amr: vec!["wechat".to_owned()],
            provider: subject.provider.as_str().to_owned(),
            app_id: subject.app_id.as_str().to_owned(),
            auth_time: subject.auth_time,
        }
    }

    #[cfg(test)]
    pub(super) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// Claims other than an access token's (an id_token's) signed EdDSA with this key, `kid`
    /// in the header and `typ: JWT`, so that they never pass as an access token.
    pub fn sign_claims<T: serde::Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        self.sign_typed(claims, "JWT")
    }

    /// Sign `claims` EdDSA, typed `typ` in the header.
    pub fn sign_typed<T: serde::Serialize>(&self, claims: &T, typ: &str) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some(typ.to_owned());
        super::jws::compact(&header, claims, |input| {
            Ok(ed25519_dalek::Signer::sign(&self.signing, input)
                .to_bytes()
                .to_vec())
        })
    }

    /// The claims of an access token of Saoma's own API, if this server signed it (signature
    /// and `kid`: the signing key or a published one), it is typed `at+jwt` (RFC 9068), it has
    /// not expired (60 s leeway for clock skew), its issuer and audience are ours, and it was
    /// not issued to an OpenID client (whose tokens are for the userinfo endpoint only).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let own: OwnClaims = self.verify_access(token)?;
        match own.client_id {
            None => Ok(own.base),
            Some(_) => Err(TokenError::Invalid(
                "the token was issued to an OpenID client".to_owned(),
            )),
        }
    }

    /// Like [`Signer::verify`], for an access token issued to an OpenID client: its claims
    /// with `client_id` and `scope`.
    pub fn verify_for_client(&self, token: &str) -> Result<ClientClaims, TokenError> {
        self.verify_access(token)
    }

    pub(super) fn verify_access<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if !header.typ.as_deref().is_some_and(is_access_token_typ) {
            return Err(TokenError::Invalid("not an access token (typ)".to_owned()));
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding_key_for(kid))
            .ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<T>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            })
    }

    /// The public key, to verify with other rules (an id_token's audience is its client).
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// Issuer, audience and access-token lifetime.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The public key set, for `/.well-known/jwks.json`: the signing key, then the published.
    pub fn jwks(&self) -> Jwks {
        let jwk = |x: &str, kid: &str| Jwk {
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            x: x.to_owned(),
            kid: kid.to_owned(),
            alg: "EdDSA".to_owned(),
            use_: "sig".to_owned(),
        };
        let published = self.published.iter().map(|p| jwk(&p.x, &p.kid));
        Jwks {
            keys: std::iter::once(jwk(&self.x, &self.kid))
                .chain(published)
                .collect(),
        }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field(
                "published",
                &self.published.iter().map(|p| &p.kid).collect::<Vec<_>>(),
            )
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .field("access_ttl", &self.settings.access_ttl)
            .finish_non_exhaustive()
    }
}
