//! The userinfo endpoint (Bearer) and revocation (RFC 7009).

use super::claims::{UserInfo, scope_claims};
use super::clients::{FormCredentials, authenticate, credentials};
use super::error::OAuthError;
use super::server::Oidc;
use poem::Request;

/// The claims behind the request's Bearer access token.
pub async fn userinfo(oidc: &Oidc, req: &Request) -> Result<UserInfo, OAuthError> {
    let token = credentials(req, "Bearer")
        .ok_or_else(|| OAuthError::no_token("a Bearer access token is required"))?;
    let claims = oidc
        .saoma
        .signer()
        .verify_for_client(token)
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
    Ok(scope_claims(&account, &scopes, &oidc.issuer))
}

/// RFC 7009: the client authenticates like at the token endpoint; its own refresh token ends
/// its whole session (family). Unknown tokens and access tokens (which expire by themselves)
/// are answered 200 as well; another client's token is `unauthorized_client` and stays live
/// (section 2.1).
pub async fn revoke(
    oidc: &Oidc,
    req: &Request,
    credentials: FormCredentials,
    token: Option<String>,
) -> Result<(), OAuthError> {
    let client = authenticate(&oidc.clients, req, credentials)?;
    let token = token.ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    if oidc.saoma.signer().verify(&token).is_ok() {
        return Ok(());
    }
    let revoked = oidc
        .saoma
        .revoke_for_client(&token, client.id.as_str())
        .await
        .map_err(OAuthError::domain)?;
    if revoked {
        Ok(())
    } else {
        Err(OAuthError::new(
            poem::http::StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the token was not issued to this client",
        ))
    }
}
