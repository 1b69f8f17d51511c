//! `/api/v1/me`, `/api/v1/tokens/*` and the JWKS.

use super::op_error::{OpError, errors};
use super::public_json::public_json;
use crate::providers::{AccountView, Saoma, TokenSet};
use crate::tokens::Jwks;
use poem::web::Data;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
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
    /// The token's family is revoked (also when the token was unknown).
    #[oai(status = 204)]
    Revoked,
}

errors!(
    /// `getMe`'s errors.
    MeErrors = "getMe", json: false, [Unauthenticated, DatabaseUnavailable]
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
