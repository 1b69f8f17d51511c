//! `/api/v1/me/profile`: the profile a person fills in from the mini-program (头像昵称填写).

use super::account::{ApiTags, BearerAuth};
use super::op_error::{OpError, errors};
use crate::providers::{AccountView, Saoma};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;

/// What `<input type="nickname">` gave.
#[derive(Object, Debug)]
#[oai(example)]
pub struct NicknameRequest {
    /// 1 to 32 characters once trimmed; not WeChat's placeholder "微信用户".
    #[oai(validator(max_length = 256))]
    pub nickname: String,
}

impl poem_openapi::types::Example for NicknameRequest {
    fn example() -> Self {
        Self {
            nickname: "小明".into(),
        }
    }
}

errors!(
    /// `setMyProfile`'s errors.
    ProfileErrors = "setMyProfile", json: true,
    [InvalidNickname, Unauthenticated, TokenNotAccepted, NicknameRefused, ProviderUnavailable,
     WechatError, WechatQuotaExhausted, WechatTimeout, DatabaseUnavailable]
);

#[derive(Default)]
pub struct ProfileApi;

#[OpenApi(tag = "ApiTags::Account")]
impl ProfileApi {
    /// Set the nickname the person filled in (mini-program token)
    ///
    /// WeChat's content check (`wxa/msg_sec_check`, version 2, for the person's openid) must
    /// pass it first: else 403 `nickname_refused` and nothing changes. Then `/api/v1/me`'s
    /// `profile` and the OpenID `name` claim show it, and an `account.updated` event
    /// (`profile`) is recorded.
    #[oai(
        path = "/api/v1/me/profile",
        method = "put",
        operation_id = "setMyProfile"
    )]
    async fn set_profile(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
        body: Json<NicknameRequest>,
    ) -> Result<Json<AccountView>, OpError<ProfileErrors>> {
        let account = saoma
            .set_nickname(Some(&auth.0.token), &body.0.nickname)
            .await?;
        Ok(Json(account))
    }
}
