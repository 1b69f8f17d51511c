//! The admin console's client (`saoma-console`): built in, registered when the admin plane is
//! on. A public client (PKCE S256, no secret) whose one redirect URI is `<public_url>/admin/`.
//! It alone may ask for `saoma:admin`, and the code exchange grants it only to a person who is
//! an admin at that moment (`[admin]`): a short-lived admin token and an id_token, no refresh
//! token. Anyone else gets the tokens of an ordinary login, without the scope.

use super::claims::scope_claims;
use super::clients::{Client, IdTokenAlg};
use super::error::OAuthError;
use super::server::Oidc;
use super::state::CodeGrant;
use super::token_body::TokenBody;
use super::types::ClientId;
use crate::tokens::{ADMIN_SCOPE, AdminSubject};

/// The console's client id, reserved: `[[oidc.clients]]` may not use it.
pub const CONSOLE_CLIENT_ID: &str = "saoma-console";

/// The console's client for the server at `public_url`.
pub fn console_client(public_url: &url::Url) -> Client {
    let base = public_url.as_str().trim_end_matches('/');
    Client {
        id: ClientId::new(CONSOLE_CLIENT_ID),
        name: "Saoma 管理控制台".to_owned(),
        secret: None,
        redirect_uris: vec![format!("{base}/admin/")],
        post_logout_redirect_uris: vec![format!("{base}/admin/")],
        alg: IdTokenAlg::Rs256,
        code_grant: true,
        admin: false,
    }
}

impl Oidc {
    /// Where the console's logins come back (`<public_url>/admin/`), when it is registered.
    pub fn console_redirect_uri(&self) -> Option<&str> {
        self.clients
            .get(CONSOLE_CLIENT_ID)
            .and_then(|c| c.redirect_uris.first())
            .map(String::as_str)
    }
}

/// The scopes of an authorization request of `client` beyond OpenID's own: `saoma:admin`
/// for the console when asked.
pub fn extra_scopes(client: &Client, asked: &[&str]) -> Option<String> {
    (client.id.as_str() == CONSOLE_CLIENT_ID && asked.contains(&ADMIN_SCOPE))
        .then(|| ADMIN_SCOPE.to_owned())
}

/// The code exchange of a grant that asks for `saoma:admin`: the admin's tokens, or `None`
/// when the person is no admin now (the caller then answers an ordinary login, without the
/// scope, and the console says "not an admin").
pub async fn admin_tokens(
    oidc: &Oidc,
    client: &Client,
    grant: &CodeGrant,
) -> Result<Option<TokenBody>, OAuthError> {
    let account_id = &grant.login.account_id;
    if !oidc
        .saoma
        .is_admin(account_id)
        .await
        .map_err(OAuthError::domain)?
    {
        tracing::info!(client = %client.id, "oidc: saoma:admin asked by a person who is no admin");
        return Ok(None);
    }
    let token = oidc
        .saoma
        .signer()
        .issue_admin(&AdminSubject::Account {
            account_id: account_id.clone(),
            client_id: client.id.to_string(),
        })
        .map_err(|e| OAuthError::domain(crate::login::Error::Internal(e)))?;
    let access_token = token.token.expose().to_owned();
    let account = oidc.account(account_id).await?;
    let scopes = grant.request.scopes.as_strs();
    let id_token = oidc.id_token(
        grant,
        client.alg,
        &access_token,
        &scope_claims(&account, &scopes, &oidc.issuer),
    )?;
    tracing::info!(client = %client.id, account = %account_id, "oidc: admin token issued to a person");
    Ok(Some(TokenBody {
        access_token,
        token_type: "Bearer".into(),
        expires_in: token.expires_in,
        refresh_token: None,
        id_token: Some(id_token),
        scope: grant.request.scopes.to_string(),
    }))
}
