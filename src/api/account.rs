//! `/api/v1/me`, `/api/v1/tokens/*` and the JWKS.

use crate::edge::op_error::{OpError, errors};
use crate::edge::public_json::public_json;
use crate::login::{AccountExport, AccountView, Saoma, TokenSet};
use crate::tokens::Jwks;
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, Tags};
use std::sync::Arc;

#[derive(Tags)]
pub(super) enum ApiTags {
    /// The logged-in account and its tokens.
    Account,
}

/// A Saoma access token (EdDSA JWT).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT")]
pub struct BearerAuth(pub Bearer);

#[derive(Object)]
#[oai(example)]
pub struct RefreshRequest {
    /// The refresh token of a token set (spent by `refreshTokens`).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub refresh_token: String,
}

#[derive(ApiResponse)]
pub enum RevokeResponse {
    /// Done: the token's family is revoked (also when the token was unknown), or the account
    /// erased.
    #[oai(status = 204)]
    Revoked,
}

errors!(
    /// `getMe`'s errors.
    MeErrors = "getMe", json: false, [Unauthenticated, DatabaseUnavailable]
);
errors!(
    /// `deleteMe`'s errors.
    DeleteMeErrors = "deleteMe", json: false,
    [Unauthenticated, ReauthenticationRequired, DatabaseUnavailable]
);
errors!(
    /// `exportMe`'s errors.
    ExportErrors = "exportMe", json: false, [Unauthenticated, DatabaseUnavailable]
);
errors!(
    /// `refreshTokens`' errors.
    RefreshErrors = "refreshTokens", json: true, [InvalidRefreshToken, DatabaseUnavailable]
);
errors!(
    /// `revokeTokens`' errors.
    RevokeErrors = "revokeTokens", json: true, [DatabaseUnavailable]
);
errors!(
    /// `getJwks`' errors.
    JwksErrors = "getJwks", json: false, []
);

public_json!(JwksAnswer, Jwks);

#[derive(Default)]
pub struct AccountApi;

#[OpenApi(tag = "ApiTags::Account")]
impl AccountApi {
    /// The account behind the bearer access token
    #[oai(path = "/api/v1/me", method = "get", operation_id = "getMe")]
    async fn me(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
    ) -> Result<Json<AccountView>, OpError<MeErrors>> {
        let account = saoma.me(Some(&auth.0.token)).await?;
        Ok(Json(AccountView::from(&account)))
    }

    /// Erase the account behind the bearer access token
    ///
    /// Its identities, phone, sessions, tokens and events go; one `account.deleted` event
    /// without personal data remains. Needs the tokens of a login within the last 10 minutes
    /// (a refreshed access token gets 403 `reauthentication_required`).
    #[oai(path = "/api/v1/me", method = "delete", operation_id = "deleteMe")]
    async fn delete_me(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
    ) -> Result<RevokeResponse, OpError<DeleteMeErrors>> {
        saoma.delete_me(&auth.0.token).await?;
        Ok(RevokeResponse::Revoked)
    }

    /// Everything Saoma holds about the account behind the bearer access token, as JSON
    #[oai(path = "/api/v1/me/export", method = "get", operation_id = "exportMe")]
    async fn export_me(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
    ) -> Result<Json<AccountExport>, OpError<ExportErrors>> {
        Ok(Json(saoma.export_me(&auth.0.token).await?))
    }

    /// Exchange a refresh token for a new token set (the old one is spent)
    #[oai(
        path = "/api/v1/tokens/refresh",
        method = "post",
        operation_id = "refreshTokens"
    )]
    async fn refresh(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<RefreshRequest>,
    ) -> Result<Json<TokenSet>, OpError<RefreshErrors>> {
        Ok(Json(saoma.refresh(&body.0.refresh_token).await?))
    }

    /// Revoke a refresh token and its whole family
    #[oai(
        path = "/api/v1/tokens/revoke",
        method = "post",
        operation_id = "revokeTokens"
    )]
    async fn revoke(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<RefreshRequest>,
    ) -> Result<RevokeResponse, OpError<RevokeErrors>> {
        saoma.revoke(&body.0.refresh_token).await?;
        Ok(RevokeResponse::Revoked)
    }

    /// Public keys that verify Saoma's access tokens
    #[oai(
        path = "/.well-known/jwks.json",
        method = "get",
        operation_id = "getJwks"
    )]
    async fn jwks(&self, saoma: Data<&Arc<Saoma>>) -> Result<JwksAnswer, OpError<JwksErrors>> {
        Ok(saoma.jwks().into())
    }
}
