//! `/api/v1/me/profile`, `/api/v1/me/avatar` and `/avatars/{file}`: the profile a person fills
//! in from the mini-program (头像昵称填写).

use super::account::{ApiTags, BearerAuth};
use crate::edge::op_error::{OpError, errors};
use crate::login::{AccountView, AvatarFormat, Saoma};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
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

/// The image `<button open-type="chooseAvatar">` gave, as it is: PNG, JPEG or WebP, within
/// `limits.max_body_bytes` and 2048x2048 px.
#[derive(ApiRequest)]
pub enum AvatarUpload {
    #[oai(content_type = "image/png")]
    Png(Binary<Vec<u8>>),
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>),
    #[oai(content_type = "image/webp")]
    Webp(Binary<Vec<u8>>),
}

/// Where a filled-in avatar is: not on a page of its own.
const AVATAR_CSP: &str = "default-src 'none'";

#[derive(ApiResponse)]
pub enum AvatarImage {
    /// The avatar, re-encoded by Saoma.
    #[oai(status = 200, content_type = "image/png")]
    Png(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

errors!(
    /// `setMyAvatar`'s errors.
    AvatarErrors = "setMyAvatar", json: false,
    [InvalidAvatar, UnsupportedMediaType, Unauthenticated, TokenNotAccepted, ProviderUnavailable,
     WechatError, WechatQuotaExhausted, WechatTimeout, DatabaseUnavailable]
);
errors!(
    /// `getAvatar`'s errors.
    GetAvatarErrors = "getAvatar", json: false, [AvatarNotFound, DatabaseUnavailable]
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

    /// Set the avatar the person chose (mini-program token)
    ///
    /// The image is decoded as its Content-Type says and re-encoded as a PNG of at most 256 px
    /// a side (its metadata does not survive), served at `profile.avatar`, and WeChat checks it
    /// (`wxa/media_check_async`): `profile.avatar_status` is `pending` until WeChat's
    /// `wxa_media_check` push, then `accepted` (the OpenID `picture` claim shows it) or
    /// `refused` (never shown). Another Content-Type is 415 `unsupported_media_type`; a body
    /// over `limits.max_body_bytes` 413 `body_too_large`.
    #[oai(
        path = "/api/v1/me/avatar",
        method = "put",
        operation_id = "setMyAvatar"
    )]
    async fn set_avatar(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: BearerAuth,
        body: AvatarUpload,
    ) -> Result<Json<AccountView>, OpError<AvatarErrors>> {
        let (bytes, format) = match body {
            AvatarUpload::Png(b) => (b.0, AvatarFormat::Png),
            AvatarUpload::Jpeg(b) => (b.0, AvatarFormat::Jpeg),
            AvatarUpload::Webp(b) => (b.0, AvatarFormat::Webp),
        };
        let account = saoma.set_avatar(Some(&auth.0.token), bytes, format).await?;
        Ok(Json(account))
    }

    /// A filled-in avatar (`/avatars/<id>.png`)
    ///
    /// 404 `avatar_not_found` for an unknown id and for an avatar WeChat's content check
    /// refused.
    #[oai(path = "/avatars/:file", method = "get", operation_id = "getAvatar")]
    async fn avatar(
        &self,
        saoma: Data<&Arc<Saoma>>,
        /// `<id>.png`
        file: Path<String>,
    ) -> Result<AvatarImage, OpError<GetAvatarErrors>> {
        let id = file.0.strip_suffix(".png").unwrap_or_default();
        let png = saoma.avatar_png(id).await?;
        let cache = "public, max-age=86400".to_owned();
        Ok(AvatarImage::Png(Binary(png), AVATAR_CSP.to_owned(), cache))
    }
}
