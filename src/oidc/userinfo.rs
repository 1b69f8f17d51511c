//! The claims scopes grant, the userinfo endpoint (GET and POST, Bearer), and revocation
//! (RFC 7009).

use super::Oidc;
use super::error::{OAuthError, no_store_json, respond};
use super::token::{authenticate, form};
use crate::accounts::Account;
use crate::tokens::ClientClaims;
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Every claim Saoma can assert (discovery's `claims_supported`).
pub const CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "at_hash",
    "azp",
    "name",
    "picture",
    "phone_number",
    "phone_number_verified",
    "wechat_identities",
];

/// What the scopes grant: `profile`: name (the WeChat nickname) and picture; `phone`:
/// phone_number (E.164) and phone_number_verified (always true: Saoma binds only verified
/// numbers); `wechat`: `wechat_identities`, one object per WeChat app the person logged in
/// with: `{provider, app_id, openid, unionid?}`.
pub fn scope_claims(account: &Account, scopes: &[&str]) -> Map<String, Value> {
    let mut claims = Map::new();
    if scopes.contains(&"profile") {
        if let Some(name) = account
            .identities
            .iter()
            .rev()
            .find_map(|i| i.nickname.clone())
        {
            claims.insert("name".into(), name.into());
        }
        if let Some(picture) = account
            .identities
            .iter()
            .rev()
            .find_map(|i| i.avatar.clone())
        {
            claims.insert("picture".into(), picture.into());
        }
    }
    if scopes.contains(&"phone")
        && let Some(phone) = &account.phone
    {
        claims.insert("phone_number".into(), phone.clone().into());
        claims.insert("phone_number_verified".into(), true.into());
    }
    if scopes.contains(&"wechat") {
        let identities: Vec<Value> = account
            .identities
            .iter()
            .map(|i| {
                let mut id = json!({
                    "provider": i.provider.as_str(),
                    "app_id": i.app_id.as_str(),
                    "openid": i.openid.to_string(),
                });
                if let (Some(unionid), Some(obj)) = (&i.unionid, id.as_object_mut()) {
                    obj.insert("unionid".into(), unionid.to_string().into());
                }
                id
            })
            .collect();
        claims.insert("wechat_identities".into(), identities.into());
    }
    claims
}

impl Oidc {
    /// The account, or an OAuth error a client can act on.
    pub(super) async fn account(&self, account_id: &str) -> Result<Account, OAuthError> {
        self.saoma
            .accounts
            .get(account_id)
            .await
            .map_err(|e| OAuthError::domain(e.into()))?
            .ok_or_else(|| OAuthError::invalid_grant("the account no longer exists"))
    }
}

#[handler]
pub async fn userinfo(oidc: Data<&Arc<Oidc>>, req: &Request, body: Body) -> Response {
    respond(userinfo_inner(&oidc, req, body).await)
}

async fn userinfo_inner(oidc: &Oidc, req: &Request, body: Body) -> Result<Response, OAuthError> {
    let bearer = req
        .header("Authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::to_string);
    let token = match bearer {
        Some(token) => token,
        None => form(body)
            .await?
            .remove("access_token")
            .ok_or_else(|| OAuthError::invalid_token("a Bearer access token is required"))?,
    };
    let claims: ClientClaims = oidc
        .saoma
        .signer
        .verify_as(&token)
        .map_err(|_| OAuthError::invalid_token("the access token is invalid or expired"))?;
    let scopes: Vec<&str> = claims.scope.split(' ').collect();
    if !scopes.contains(&"openid") {
        return Err(OAuthError::invalid_token(
            "the access token was not issued with the openid scope",
        ));
    }
    let account = oidc
        .account(&claims.base.sub)
        .await
        .map_err(|_| OAuthError::invalid_token("the account no longer exists"))?;
    let mut out = scope_claims(&account, &scopes);
    out.insert("sub".into(), claims.base.sub.into());
    Ok(no_store_json(&Value::Object(out)))
}

/// RFC 7009: the client authenticates like at the token endpoint; a refresh token ends its
/// whole session (family). Unknown tokens and access tokens (which expire by themselves) are
/// answered 200 as well.
#[handler]
pub async fn revoke(oidc: Data<&Arc<Oidc>>, req: &Request, body: Body) -> Response {
    respond(revoke_inner(&oidc, req, body).await)
}

async fn revoke_inner(oidc: &Oidc, req: &Request, body: Body) -> Result<Response, OAuthError> {
    let mut params = form(body).await?;
    authenticate(oidc, req, &mut params)?;
    let token = params
        .remove("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    if oidc.saoma.signer.verify(&token).is_err() {
        oidc.saoma
            .revoke(&token)
            .await
            .map_err(OAuthError::domain)?;
    }
    Ok(Response::builder()
        .header("Cache-Control", "no-store")
        .body(""))
}
