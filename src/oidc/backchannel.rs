//! Logout tokens (OpenID Connect Back-Channel Logout 1.0, section 2.4), signed with the
//! client's id_token key and typed `logout+jwt`; the webhook outbox delivers them
//! (`webhooks::backchannel`) when a session the client got tokens under ends.

use super::clients::IdTokenAlg;
use super::server::Oidc;
use crate::webhooks::backchannel::LogoutTokens;
use serde_json::{Map, Value, json};

/// The event a logout token carries (section 2.4).
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token lives this long: the spec recommends at most two minutes; each retry of a
/// delivery signs a new one.
const LOGOUT_TOKEN_TTL_SECS: i64 = 120;

impl LogoutTokens for Oidc {
    fn logout_token(&self, client_id: &str, sub: &str, sid: &str) -> anyhow::Result<String> {
        let client = self
            .clients
            .get(client_id)
            .ok_or_else(|| anyhow::anyhow!("the client {client_id:?} is no longer configured"))?;
        let now = chrono::Utc::now().timestamp();
        let mut claims = Map::new();
        claims.insert("iss".into(), self.issuer.clone().into());
        claims.insert("sub".into(), sub.into());
        claims.insert("aud".into(), client_id.into());
        claims.insert("iat".into(), now.into());
        claims.insert("exp".into(), (now + LOGOUT_TOKEN_TTL_SECS).into());
        claims.insert(
            "jti".into(),
            uuid::Uuid::new_v4().simple().to_string().into(),
        );
        claims.insert("events".into(), json!({ LOGOUT_EVENT: {} }));
        claims.insert("sid".into(), Value::from(sid));
        match client.alg {
            IdTokenAlg::Rs256 => self.rsa.sign_typed(&claims, "logout+jwt"),
            IdTokenAlg::EdDsa => self.saoma.signer().sign_typed(&claims, "logout+jwt"),
        }
    }
}
