//! A login for an OpenID client (Saoma's hosted login page): at pick-up the browser gets a
//! one-time ticket, never tokens. `oidc` redeems the ticket for a sign-on session and an
//! authorization code.

use super::{Error, Saoma, SceneView};
use crate::ids::AppId;
use crate::scene::{Event, Provider, SceneRecord};
use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long the browser has to follow the ticket to `/oidc/resume`.
pub const TICKET_TTL: Duration = Duration::from_secs(60);

/// Who logged in, for which authorization request: what a ticket stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientLogin {
    /// The id of the stored authorization request.
    pub request: String,
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds: when the user confirmed on the phone (read at pick-up).
    pub auth_time: i64,
    /// The scene's browser binding (`ClientRequest::browser`).
    #[serde(default)]
    pub browser: String,
}

/// What a ticket is worth to the browser that follows it.
#[derive(Debug)]
pub enum Redeemed {
    /// Unknown, expired or already used.
    Expired,
    /// Live, but followed by another browser than the one that created the scene: the ticket
    /// is left for the right one (a leaked link cannot spend it).
    Elsewhere,
    /// Spent by its own browser: the login it stood for.
    Login(ClientLogin),
}

fn ticket_key(ticket: &str) -> String {
    format!(
        "oidc:ticket:{}",
        hex::encode(Sha256::digest(ticket.as_bytes()))
    )
}

/// 256 random bits, base64url.
pub(crate) fn random_token() -> Secret {
    Secret::new(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

impl Saoma {
    /// The pick-up of a confirmed scene bound to an OpenID client: the ticket is stored first,
    /// then the scene is consumed, so a failure leaves the scene confirmed for a retry.
    pub(crate) async fn pick_up_for_client(
        &self,
        record: SceneRecord,
        now: i64,
    ) -> Result<SceneView, Error> {
        let (Some(client), Some(outcome)) = (&record.requester.for_client, &record.outcome) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "confirmed client scene without a request or an outcome"
            )));
        };
        let login = ClientLogin {
            request: client.request.clone(),
            account_id: outcome.account_id.clone(),
            provider: record.provider,
            app_id: outcome.app_id.clone(),
            auth_time: now / 1000,
            browser: client.browser.clone(),
        };
        let ticket = random_token();
        let value = serde_json::to_vec(&login).map_err(|e| Error::Internal(e.into()))?;
        self.ephemeral
            .put_value(&ticket_key(ticket.expose()), &value, TICKET_TTL)
            .await
            .map_err(|e| self.store_failed(e))?;
        self.transition(&record.scene, |r, now| Ok(r.apply(Event::PickUp, now)?))
            .await?;
        let mut view = self.view(&record, now);
        view.redirect = Some(format!("/oidc/resume?ticket={}", ticket.expose()));
        Ok(view)
    }

    /// The login a ticket stands for, once, for the browser whose binding secret for the
    /// ticket's authorization request is `browser_secret(request id)` (the value of its
    /// `saoma_login_` cookie). The binding is checked before the ticket is spent.
    pub async fn redeem_client_ticket(
        &self,
        ticket: &str,
        browser_secret: impl FnOnce(&str) -> Option<String>,
    ) -> Result<Redeemed, Error> {
        let key = ticket_key(ticket);
        let Some(value) = self
            .ephemeral
            .get_value(&key)
            .await
            .map_err(|e| self.store_failed(e))?
        else {
            return Ok(Redeemed::Expired);
        };
        let login: ClientLogin =
            serde_json::from_slice(&value).map_err(|e| Error::Internal(e.into()))?;
        let presented =
            browser_secret(&login.request).map(|s| hex::encode(Sha256::digest(s.as_bytes())));
        let same_browser = !login.browser.is_empty()
            && presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(login.browser.as_bytes())));
        if !same_browser {
            return Ok(Redeemed::Elsewhere);
        }
        let spent = self
            .ephemeral
            .take_value(&key)
            .await
            .map_err(|e| self.store_failed(e))?;
        Ok(match spent {
            Some(_) => Redeemed::Login(login),
            None => Redeemed::Expired,
        })
    }
}
