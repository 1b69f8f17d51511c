//! The provider's typed store over the ephemeral store: authorization requests waiting for a
//! login, the tickets of confirmed logins, codes, and the markers of used codes. The keys are
//! private to this file; keys of secrets are their SHA-256 hashes (sign-on sessions are in SQL:
//! `session.rs`).

use super::error::OAuthError;
use super::server::Oidc;
use super::state::{AuthRequest, CodeGrant, hash};
use super::types::AuthCode;
use crate::login::{ClientLogin, ClientResume, Error, random_token};
use crate::store::Ephemeral;
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long the browser has to follow a ticket to `/oidc/resume`.
const TICKET_TTL: Duration = Duration::from_secs(60);

/// How long a used code is remembered, so that its replay revokes what it gave.
const USED_CODE_MEMORY: Duration = Duration::from_secs(600);

fn request_key(id: &str) -> String {
    format!("oidc:req:{id}")
}

fn ticket_key(ticket: &str) -> String {
    format!("oidc:ticket:{}", hash(ticket))
}

fn code_key(code: &AuthCode) -> String {
    format!("oidc:code:{}", hash(code.expose()))
}

fn used_code_key(code: &AuthCode) -> String {
    format!("oidc:used:{}", hash(code.expose()))
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

/// What `providers` hands a confirmed client scene's login to (registered in `Parts`, so it
/// knows neither keys nor URLs): parks the login under a one-time ticket, and names the
/// hosted login page an in-WeChat login comes back to.
pub struct OidcResume {
    ephemeral: Arc<dyn Ephemeral>,
}

impl OidcResume {
    pub fn new(ephemeral: Arc<dyn Ephemeral>) -> Self {
        Self { ephemeral }
    }
}

#[async_trait]
impl ClientResume for OidcResume {
    /// The ticket is the browser's way to `/oidc/resume`.
    async fn park(&self, login: &ClientLogin) -> Result<String, Error> {
        let ticket = random_token();
        let value = serde_json::to_vec(login).map_err(|e| Error::Internal(e.into()))?;
        self.ephemeral
            .put_value(&ticket_key(ticket.expose()), &value, TICKET_TTL)
            .await
            .map_err(Error::Store)?;
        Ok(format!("/oidc/resume?ticket={}", ticket.expose()))
    }

    /// `<origin>/oidc/login?request=<id>`, where the page resumes.
    fn login_page(&self, origin: &url::Url, request: &str) -> url::Url {
        let mut url = origin.clone();
        url.set_path("/oidc/login");
        url.set_query(None);
        url.set_fragment(None);
        url.query_pairs_mut().append_pair("request", request);
        url
    }
}

impl Oidc {
    /// The login a ticket stands for, once, for the browser whose binding secret for the
    /// ticket's authorization request is `browser_secret(request id)` (the value of its
    /// `saoma_login_` cookie). The binding is checked before the ticket is spent.
    pub async fn redeem_ticket(
        &self,
        ticket: &str,
        browser_secret: impl FnOnce(&str) -> Option<String>,
    ) -> Result<Redeemed, Error> {
        let key = ticket_key(ticket);
        let store = self.saoma.ephemeral();
        let Some(value) = store
            .get_value(&key)
            .await
            .map_err(|e| self.saoma.store_failed(e))?
        else {
            return Ok(Redeemed::Expired);
        };
        let login: ClientLogin =
            serde_json::from_slice(&value).map_err(|e| Error::Internal(e.into()))?;
        let presented = browser_secret(&login.request).map(|s| hash(&s));
        let same_browser = !login.browser.is_empty()
            && presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(login.browser.as_bytes())));
        if !same_browser {
            return Ok(Redeemed::Elsewhere);
        }
        let spent = store
            .take_value(&key)
            .await
            .map_err(|e| self.saoma.store_failed(e))?;
        Ok(match spent {
            Some(_) => Redeemed::Login(login),
            None => Redeemed::Expired,
        })
    }

    /// Keeps a validated request for the hosted login page, under its id, for `request_ttl`.
    pub async fn save_request(&self, id: &str, request: &AuthRequest) -> Result<(), OAuthError> {
        self.put(&request_key(id), request, self.request_ttl).await
    }

    /// The stored request `id`, left in place (the login page, its scene).
    pub async fn request(&self, id: &str) -> Result<Option<AuthRequest>, OAuthError> {
        self.get(&request_key(id)).await
    }

    /// The stored request `id`, once: the login ended (confirmed, cancelled or expired).
    pub async fn take_request(&self, id: &str) -> Result<Option<AuthRequest>, OAuthError> {
        self.take(&request_key(id)).await
    }

    /// Keeps what `code` grants, for `code_ttl`.
    pub async fn save_code(&self, code: &AuthCode, grant: &CodeGrant) -> Result<(), OAuthError> {
        self.put(&code_key(code), grant, self.code_ttl).await
    }

    /// What `code` grants, once.
    pub async fn take_code(&self, code: &AuthCode) -> Result<Option<CodeGrant>, OAuthError> {
        self.take(&code_key(code)).await
    }

    /// Remembers that `code` was exchanged and the refresh family it opened (revoked if the
    /// code comes back).
    pub async fn mark_code_used(&self, code: &AuthCode, family: &str) -> Result<(), OAuthError> {
        self.put(&used_code_key(code), &family, USED_CODE_MEMORY)
            .await
    }

    /// The refresh family a used `code` opened, while it is remembered.
    pub async fn used_code(&self, code: &AuthCode) -> Result<Option<String>, OAuthError> {
        self.get(&used_code_key(code)).await
    }

    async fn put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<(), OAuthError> {
        let bytes = serde_json::to_vec(value).map_err(OAuthError::internal)?;
        self.saoma
            .ephemeral()
            .put_value(key, &bytes, ttl)
            .await
            .map_err(OAuthError::store)
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
        let bytes = self
            .saoma
            .ephemeral()
            .get_value(key)
            .await
            .map_err(OAuthError::store)?;
        decode(bytes)
    }

    async fn take<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, OAuthError> {
        let bytes = self
            .saoma
            .ephemeral()
            .take_value(key)
            .await
            .map_err(OAuthError::store)?;
        decode(bytes)
    }
}

fn decode<T: DeserializeOwned>(bytes: Option<Vec<u8>>) -> Result<Option<T>, OAuthError> {
    bytes
        .map(|b| serde_json::from_slice(&b).map_err(OAuthError::internal))
        .transpose()
}
