//! id_tokens (OpenID Connect Core 2): signed RS256 with the RSA key, or EdDSA with Saoma's
//! Ed25519 key when the client asks for it; verifying one again (`id_token_hint`).

use super::claims::UserInfo;
use super::clients::IdTokenAlg;
use super::error::OAuthError;
use super::server::Oidc;
use super::state::CodeGrant;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Validation};
use poem_openapi::types::ToJSON;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

/// How the user authenticated (RFC 8176 has no value for a WeChat scan).
pub const AMR: &str = "wechat";

impl Oidc {
    /// The id_token for a code's grant, with the claims its scopes grant.
    pub(super) fn id_token(
        &self,
        grant: &CodeGrant,
        alg: IdTokenAlg,
        access_token: &str,
        scope_claims: &UserInfo,
    ) -> Result<String, OAuthError> {
        let now = chrono::Utc::now().timestamp();
        let mut claims = Map::new();
        claims.insert("iss".into(), self.issuer.clone().into());
        claims.insert("sub".into(), grant.login.account_id.clone().into());
        claims.insert("aud".into(), grant.request.client_id.as_str().into());
        claims.insert("azp".into(), grant.request.client_id.as_str().into());
        claims.insert("iat".into(), now.into());
        let ttl = i64::try_from(self.id_token_ttl.as_secs()).unwrap_or(3600);
        claims.insert("exp".into(), (now + ttl).into());
        claims.insert("auth_time".into(), grant.login.auth_time.into());
        if let Some(nonce) = &grant.request.nonce {
            claims.insert("nonce".into(), nonce.clone().into());
        }
        if let Some(sid) = &grant.login.sid {
            claims.insert("sid".into(), sid.clone().into());
        }
        claims.insert("amr".into(), vec![AMR].into());
        claims.insert("at_hash".into(), at_hash(alg, access_token).into());
        if let Some(Value::Object(granted)) = scope_claims.to_json() {
            for (k, v) in granted {
                claims.entry(k).or_insert(v);
            }
        }
        let signed = match alg {
            IdTokenAlg::Rs256 => self.rsa.sign(&claims),
            IdTokenAlg::EdDsa => self.saoma.signer().sign_claims(&claims),
        };
        signed.map_err(|e| OAuthError::internal(format!("{e:#}")))
    }

    /// The claims of an id_token this provider signed (any of its keys), expired or not: what
    /// `id_token_hint` names. `None` when the signature, the key or the issuer is not ours, or
    /// when it is typed as something else (an access token's `at+jwt`, a logout token's
    /// `logout+jwt`).
    pub(super) fn verify_hint(&self, token: &str) -> Option<Map<String, Value>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header
            .typ
            .as_deref()
            .is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT"))
        {
            // Other tokens signed by the same keys name no client session (L7): an access
            // token, or a logout token a relying party received by the back channel.
            return None;
        }
        let kid = header.kid?;
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["iss", "sub", "aud"]);
        let key = match header.alg {
            Algorithm::RS256 => std::iter::once(&self.rsa)
                .chain(self.published.iter())
                .find(|k| k.kid() == kid)?
                .decoding_key(),
            Algorithm::EdDSA => self.saoma.signer().decoding_key_for(&kid)?,
            _ => return None,
        };
        jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// The left half of the access token's hash, base64url (OpenID Connect Core 3.1.3.6): SHA-256
/// for RS256, SHA-512 for EdDSA over Ed25519.
pub fn at_hash(alg: IdTokenAlg, access_token: &str) -> String {
    match alg {
        IdTokenAlg::Rs256 => {
            let digest = Sha256::digest(access_token.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..16])
        }
        IdTokenAlg::EdDsa => {
            let digest = Sha512::digest(access_token.as_bytes());
            URL_SAFE_NO_PAD.encode(&digest[..32])
        }
    }
}
