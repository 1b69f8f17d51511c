//! Tokens for OpenID clients: the same access tokens as Saoma's own, refresh-token families
//! bound to the client they were issued to.

use super::{Error, Saoma, TokenSet};
use crate::accounts::{IssuedRefresh, RefreshSubject};
use crate::secret::Secret;
use crate::tokens::AccessSubject;

/// A token set issued to an OpenID client, with the refresh family it opened or continued.
#[derive(Debug)]
pub struct ClientTokens {
    pub tokens: TokenSet,
    pub subject: RefreshSubject,
    /// `None` after a refresh (the family is the presented token's).
    pub family_id: Option<String>,
}

impl Saoma {
    /// A new session (refresh family) for `subject.client_id`.
    /// A disabled account gets none (its SSO sessions may still answer authorization
    /// requests with codes: this is where they stop).
    pub async fn mint_for_client(&self, subject: RefreshSubject) -> Result<ClientTokens, Error> {
        let account = self.parts.accounts.get(&subject.account_id).await?;
        if account.is_none_or(|a| a.disabled.is_some()) {
            return Err(Error::LoginRefused(crate::scene::Refusal::AccountDisabled));
        }
        let (refresh, family_id) = self
            .parts
            .refresh_tokens
            .issue_for_client(&subject, self.parts.settings.refresh_ttl)
            .await?;
        let tokens = self.client_token_set(&subject, &refresh.token)?;
        Ok(ClientTokens {
            tokens,
            subject,
            family_id: Some(family_id),
        })
    }

    /// Rotate a refresh token presented by `client_id`.
    pub async fn refresh_for_client(
        &self,
        refresh_token: &str,
        client_id: &str,
    ) -> Result<ClientTokens, Error> {
        let (issued, subject) = self.rotate_held_by(refresh_token, Some(client_id)).await?;
        let tokens = self.client_token_set(&subject, &issued.token)?;
        Ok(ClientTokens {
            tokens,
            subject,
            family_id: None,
        })
    }

    /// Rotate a refresh token presented by `holder` (an OpenID client, or `None`: Saoma's own
    /// API). A family is bound to whom it was issued to (RFC 9700 4.14): presented by anyone
    /// else, the token has leaked, so its family is revoked and the answer is the same as for
    /// an unknown token.
    pub(super) async fn rotate_held_by(
        &self,
        refresh_token: &str,
        holder: Option<&str>,
    ) -> Result<(IssuedRefresh, RefreshSubject), Error> {
        let (issued, subject) = self
            .parts
            .refresh_tokens
            .rotate(&Secret::new(refresh_token), self.parts.settings.refresh_ttl)
            .await?;
        if subject.client_id.as_deref() != holder {
            self.parts.refresh_tokens.revoke(&issued.token).await?;
            tracing::warn!(
                issued_to = subject.client_id.as_deref().unwrap_or("the API"),
                presented_by = holder.unwrap_or("the API"),
                "a refresh token came back from another holder; its session is revoked"
            );
            return Err(Error::InvalidRefreshToken);
        }
        Ok((issued, subject))
    }

    /// RFC 7009 2.1: revoke a refresh token for the client that holds it. `false` (nothing
    /// revoked) when it belongs to another client or to Saoma's own API; an unknown token is
    /// revoked already.
    pub async fn revoke_for_client(&self, token: &str, client_id: &str) -> Result<bool, Error> {
        let token = Secret::new(token);
        match self.parts.refresh_tokens.holder(&token).await? {
            None => Ok(true),
            Some(holder) if holder.as_deref() == Some(client_id) => {
                self.parts.refresh_tokens.revoke(&token).await?;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    /// End a session by its family id.
    pub async fn revoke_family(&self, family_id: &str) -> Result<(), Error> {
        Ok(self.parts.refresh_tokens.revoke_family(family_id).await?)
    }

    fn client_token_set(
        &self,
        subject: &RefreshSubject,
        refresh: &Secret,
    ) -> Result<TokenSet, Error> {
        let access = self
            .parts
            .signer
            .issue_for_client(
                &AccessSubject {
                    account_id: subject.account_id.clone(),
                    provider: subject.provider,
                    app_id: subject.app_id.clone(),
                    auth_time: None,
                },
                subject.client_id.as_deref().unwrap_or_default(),
                subject.scope.as_deref().unwrap_or_default(),
            )
            .map_err(Error::Internal)?;
        Ok(TokenSet {
            access_token: access.token.expose().to_string(),
            token_type: "Bearer".into(),
            expires_in: access.expires_in,
            refresh_token: refresh.expose().to_string(),
        })
    }
}
