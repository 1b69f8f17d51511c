//! The userinfo endpoint (Bearer) and revocation (RFC 7009).

use super::Oidc;
use super::claims::{UserInfo, scope_claims};
use super::clients::authenticate;
use super::error::OAuthError;
use crate::tokens::ClientClaims;
use poem::Request;
use std::collections::HashMap;

/// The claims behind the request's Bearer access token.
pub async fn userinfo(oidc: &Oidc, req: &Request) -> Result<UserInfo, OAuthError> {
    let token = req
        .header("Authorization")
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .ok_or_else(|| OAuthError::invalid_token("a Bearer access token is required"))?;
    let claims: ClientClaims = oidc
        .saoma
        .signer()
        .verify_as(token)
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
    Ok(scope_claims(&account, &scopes))
}

/// RFC 7009: the client authenticates like at the token endpoint; a refresh token ends its
/// whole session (family). Unknown tokens and access tokens (which expire by themselves) are
/// answered 200 as well.
pub async fn revoke(
    oidc: &Oidc,
    req: &Request,
    mut params: HashMap<String, String>,
) -> Result<(), OAuthError> {
    authenticate(oidc, req, &mut params)?;
    let token = params
        .remove("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    if oidc.saoma.signer().verify(&token).is_err() {
        oidc.saoma
            .revoke(&token)
            .await
            .map_err(OAuthError::domain)?;
    }
    Ok(())
}
