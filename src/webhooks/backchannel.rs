//! A back-channel logout delivery (OpenID Connect Back-Channel Logout 1.0, section 2.5): a form
//! POST of `logout_token`, a JWT the OpenID Provider signs when the delivery is attempted (so
//! that a retry carries a fresh `iat`/`exp`). The provider is built above this module, after
//! the worker starts; it hands its signer over through [`LogoutSigner`].

use crate::accounts::DueDelivery;
use crate::accounts::backchannel::client_of;
use std::sync::{Arc, OnceLock};

/// Signs logout tokens: the OpenID Provider, with the client's id_token key.
pub trait LogoutTokens: Send + Sync {
    /// A logout token for `client_id` about the session `sid` of the account `sub`.
    fn logout_token(&self, client_id: &str, sub: &str, sid: &str) -> anyhow::Result<String>;
}

/// Where the worker finds the signer, set once the OpenID Provider exists.
#[derive(Clone, Default)]
pub struct LogoutSigner(Arc<OnceLock<Arc<dyn LogoutTokens>>>);

impl LogoutSigner {
    pub fn set(&self, tokens: Arc<dyn LogoutTokens>) {
        // Set once at start; a second call would be a bug, and the first signer stays.
        let _ = self.0.set(tokens);
    }
}

/// The form body of the delivery (`logout_token=...`), or why there is none (retried).
pub fn form(delivery: &DueDelivery, signer: &LogoutSigner) -> Result<String, String> {
    let tokens = signer
        .0
        .get()
        .ok_or("the OpenID Provider is not configured on this instance")?;
    let client_id = client_of(&delivery.endpoint_id).ok_or("not a back-channel endpoint")?;
    let data: serde_json::Value = serde_json::from_str(&delivery.data)
        .map_err(|e| format!("the event's data is not JSON: {e}"))?;
    let sid = data["session_id"]
        .as_str()
        .ok_or("the event names no session")?;
    let sub = delivery
        .account_id
        .as_deref()
        .ok_or("the event names no account")?;
    let token = tokens
        .logout_token(client_id, sub, sid)
        .map_err(|e| format!("could not sign the logout token: {e:#}"))?;
    Ok(url::form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &token)
        .finish())
}
