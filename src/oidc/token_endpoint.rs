//! The token endpoint: `authorization_code` (60 s, once, for its client, redirect URI and PKCE
//! verifier; a replay revokes what the code gave) and `refresh_token` (rotation, bound to the
//! client). Client authentication: `client_secret_basic`, `client_secret_post`, `none`.

use super::claims::scope_claims;
use super::clients::Client;
use super::clients::authenticate;
use super::error::OAuthError;
use super::server::Oidc;
use super::token_body::TokenBody;
use super::token_request::{Grant, TokenRequest};
use super::types::{AuthCode, CodeVerifier, RedirectUri, Scopes};
use crate::accounts::RefreshSubject;
use crate::secret::Secret;
use crate::tokens::{ADMIN_SCOPE, AdminSubject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::Request;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token endpoint's work, on the request read from its form.
pub async fn token(
    oidc: &Oidc,
    req: &Request,
    request: TokenRequest,
) -> Result<TokenBody, OAuthError> {
    let client = authenticate(&oidc.clients, req, request.credentials)?;
    match request.grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => exchange_code(oidc, client, code, redirect_uri, verifier).await,
        Grant::RefreshToken { refresh_token } => refresh(oidc, client, refresh_token).await,
        Grant::ClientCredentials { scope } => admin_token(oidc, client, &scope),
        Grant::Unsupported(grant_type) => {
            tracing::info!(client = %client.id, grant_type = ?grant_type, "oidc: unsupported grant_type");
            Err(OAuthError::new(
                poem::http::StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be authorization_code, refresh_token or client_credentials",
            ))
        }
        Grant::Missing => Err(OAuthError::invalid_request("grant_type is missing")),
    }
}

async fn exchange_code(
    oidc: &Oidc,
    client: &Client,
    code: Option<AuthCode>,
    redirect_uri: Option<RedirectUri>,
    verifier: Option<CodeVerifier>,
) -> Result<TokenBody, OAuthError> {
    if !client.code_grant {
        return Err(unauthorized_client("authorization_code"));
    }
    let code = code.ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let Some(mut grant) = oidc.take_code(&code).await? else {
        if let Some(family) = oidc.used_code(&code).await? {
            oidc.saoma
                .revoke_family(&family)
                .await
                .map_err(OAuthError::domain)?;
            tracing::warn!(client = %client.id, "oidc: a used code came back; its tokens are revoked");
        }
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or was already used",
        ));
    };
    if grant.request.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if redirect_uri.as_ref() != Some(&grant.request.redirect_uri) {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    check_pkce(grant.request.code_challenge.as_deref(), verifier.as_ref())?;
    if grant.request.scopes.contains(ADMIN_SCOPE) {
        if let Some(admin) = super::console_client::admin_tokens(oidc, client, &grant).await? {
            record_on_session(oidc, client, &grant).await?;
            return Ok(admin);
        }
        grant.request.scopes.remove(ADMIN_SCOPE);
    }
    let scope = grant.request.scopes.to_string();
    let issued = oidc
        .saoma
        .mint_for_client(RefreshSubject {
            account_id: grant.login.account_id.clone(),
            provider: grant.login.provider,
            app_id: grant.login.app_id.clone(),
            client_id: Some(client.id.to_string()),
            scope: Some(scope.clone()),
        })
        .await
        .map_err(OAuthError::domain)?;
    if let Some(family) = &issued.family_id {
        oidc.mark_code_used(&code, family).await?;
    }
    record_on_session(oidc, client, &grant).await?;
    let account = oidc.account(&grant.login.account_id).await?;
    let scopes = grant.request.scopes.as_strs();
    let id_token = oidc.id_token(
        &grant,
        client.alg,
        &issued.tokens.access_token,
        &scope_claims(&account, &scopes, &oidc.issuer),
    )?;
    tracing::info!(client = %client.id, "oidc: code exchanged");
    Ok(TokenBody {
        access_token: issued.tokens.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.tokens.expires_in,
        refresh_token: Some(issued.tokens.refresh_token),
        id_token: Some(id_token),
        scope,
    })
}

/// The client got tokens under the login's SSO session: the admin plane lists it there, and
/// the session's end tells it (back-channel logout).
async fn record_on_session(
    oidc: &Oidc,
    client: &Client,
    grant: &super::state::CodeGrant,
) -> Result<(), OAuthError> {
    if let Some(sid) = &grant.login.sid {
        oidc.saoma
            .sso_client_got_tokens(sid, client.id.as_str())
            .await
            .map_err(OAuthError::domain)?;
    }
    Ok(())
}

/// RFC 7636 4.6: S256(verifier) must equal the challenge; a verifier without a challenge is
/// refused too (RFC 9700 2.1.1).
fn check_pkce(challenge: Option<&str>, verifier: Option<&CodeVerifier>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is missing")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent, but the authorization request had no code_challenge",
        )),
        (Some(challenge), Some(verifier)) => {
            let verifier = verifier.expose();
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if well_formed && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("code_verifier does not match"))
            }
        }
    }
}

async fn refresh(
    oidc: &Oidc,
    client: &Client,
    refresh_token: Option<Secret>,
) -> Result<TokenBody, OAuthError> {
    let presented =
        refresh_token.ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let issued = oidc
        .saoma
        .refresh_for_client(presented.expose(), client.id.as_str())
        .await
        .map_err(OAuthError::domain)?;
    Ok(TokenBody {
        access_token: issued.tokens.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.tokens.expires_in,
        refresh_token: Some(issued.tokens.refresh_token),
        id_token: None,
        scope: issued.subject.scope.unwrap_or_default(),
    })
}

/// RFC 6749 4.4: an admin token (scope `saoma:admin`, short-lived, no refresh token) for a
/// client configured with `grant_types = ["client_credentials"]`.
fn admin_token(oidc: &Oidc, client: &Client, asked: &Scopes) -> Result<TokenBody, OAuthError> {
    if !client.admin {
        return Err(unauthorized_client("client_credentials"));
    }
    if asked.as_strs().iter().any(|s| *s != ADMIN_SCOPE) {
        return Err(OAuthError::new(
            poem::http::StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the only scope of client_credentials is saoma:admin",
        ));
    }
    let token = oidc
        .saoma
        .signer()
        .issue_admin(&AdminSubject::Client(client.id.to_string()))
        .map_err(|e| OAuthError::domain(crate::login::Error::Internal(e)))?;
    tracing::info!(client = %client.id, "oidc: admin token issued");
    Ok(TokenBody {
        access_token: token.token.expose().to_owned(),
        token_type: "Bearer".into(),
        expires_in: token.expires_in,
        refresh_token: None,
        id_token: None,
        scope: ADMIN_SCOPE.to_owned(),
    })
}

fn unauthorized_client(grant: &str) -> OAuthError {
    OAuthError::new(
        poem::http::StatusCode::BAD_REQUEST,
        "unauthorized_client",
        format!("this client may not use {grant} (its grant_types)"),
    )
}
