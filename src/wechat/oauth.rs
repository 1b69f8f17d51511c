//! Website login (open platform, docs/wechat.md section 7): the `sns/oauth2/*` exchanges and the
//! user's profile. These use the app id and secret, or the *user's* access token, never the
//! app access token, so they do not go through `with_token`.

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::{AppId, OpenId, UnionId};
use crate::secret::Secret;

const OAUTH2_ACCESS_TOKEN: &str = "sns/oauth2/access_token";
const OAUTH2_REFRESH_TOKEN: &str = "sns/oauth2/refresh_token";
const USERINFO: &str = "sns/userinfo";
const SNS_AUTH: &str = "sns/auth";

/// The user's grant. `Debug` redacts both tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGrant {
    pub access_token: Secret,
    /// Seconds (7200).
    pub expires_in: u64,
    /// Valid 30 days; `sns/oauth2/refresh_token` trades it for a new access token.
    pub refresh_token: Secret,
    pub openid: OpenId,
    pub scope: String,
    pub unionid: Option<UnionId>,
    /// Web authorization inside WeChat (section 7b): the user is browsing a snapshot page
    /// (快照页) and `openid` is a virtual one; not a login.
    pub is_snapshotuser: bool,
}

#[derive(serde::Deserialize)]
struct GrantReply {
    access_token: Secret,
    #[serde(default)]
    expires_in: u64,
    refresh_token: Secret,
    openid: OpenId,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    unionid: Option<String>,
    #[serde(default)]
    is_snapshotuser: u8,
}

/// `sns/userinfo`: what the user's WeChat profile reveals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct UserInfo {
    pub openid: OpenId,
    #[serde(default)]
    pub nickname: String,
    /// 0 unknown, 1 male, 2 female (WeChat answers 0 since 2021).
    #[serde(default)]
    pub sex: i64,
    #[serde(default)]
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    /// The avatar's URL; empty when the user has none.
    #[serde(default)]
    pub headimgurl: String,
    #[serde(default)]
    pub privilege: Vec<String>,
    #[serde(default, deserialize_with = "empty_unionid_is_none")]
    pub unionid: Option<UnionId>,
}

impl UserInfo {
    /// The nickname, unless it is empty or WeChat's placeholder "微信用户".
    pub fn real_nickname(&self) -> Option<String> {
        super::placeholder::real_nickname(&self.nickname)
    }

    /// The avatar URL, unless it is empty or WeChat's grey default.
    pub fn real_avatar(&self) -> Option<String> {
        super::placeholder::real_avatar(&self.headimgurl)
    }
}

impl WeChatClient {
    /// `GET sns/oauth2/access_token`: trade the code of a website login (single use, 10 minutes)
    /// for the user's grant. 40029 (invalid), 40163 (used) and 42003 (expired) come back as
    /// `Api` and are never retried.
    pub async fn oauth2_access_token(
        &self,
        app: &AppCredentials,
        code: &str,
    ) -> Result<UserGrant, WeChatError> {
        let query = [
            ("appid", app.app_id.as_str()),
            ("secret", app.secret.expose()),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        let reply: GrantReply = self
            .get_json(OAUTH2_ACCESS_TOKEN, &app.app_id, &query)
            .await
            .map_err(|e| e.redact(&app.secret))?;
        grant(reply)
    }

    /// `GET sns/oauth2/refresh_token`: a new access token for the user (the refresh token
    /// stays the same). 40030 (invalid) and 42002 (expired) come back as `Api`.
    pub async fn oauth2_refresh_token(
        &self,
        app_id: &AppId,
        refresh_token: &Secret,
    ) -> Result<UserGrant, WeChatError> {
        let query = [
            ("appid", app_id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        let reply: GrantReply = self
            .get_json(OAUTH2_REFRESH_TOKEN, app_id, &query)
            .await
            .map_err(|e| e.redact(refresh_token))?;
        grant(reply)
    }

    /// `GET sns/userinfo`: the profile behind a user's access token. `app_id` only labels the
    /// call in logs.
    pub async fn userinfo(
        &self,
        app_id: &AppId,
        access_token: &Secret,
        openid: &OpenId,
    ) -> Result<UserInfo, WeChatError> {
        let query = [
            ("access_token", access_token.expose()),
            ("openid", openid.as_str()),
            ("lang", "zh_CN"),
        ];
        self.get_json(USERINFO, app_id, &query)
            .await
            .map_err(|e| e.redact(access_token))
    }

    /// `GET sns/auth`: whether the user's access token is still valid for `openid`
    /// (`{"errcode":0}`; otherwise an `Api` error such as 40003, 40001 or 42001).
    pub async fn sns_auth(
        &self,
        app_id: &AppId,
        access_token: &Secret,
        openid: &OpenId,
    ) -> Result<(), WeChatError> {
        let query = [
            ("access_token", access_token.expose()),
            ("openid", openid.as_str()),
        ];
        let _: serde::de::IgnoredAny = self
            .get_json(SNS_AUTH, app_id, &query)
            .await
            .map_err(|e| e.redact(access_token))?;
        Ok(())
    }
}

fn grant(reply: GrantReply) -> Result<UserGrant, WeChatError> {
    let unionid = reply
        .unionid
        .filter(|u| !u.is_empty())
        .map(UnionId::parse)
        .transpose()
        .map_err(|e| WeChatError::Decode(e.to_string()))?;
    Ok(UserGrant {
        access_token: reply.access_token,
        expires_in: reply.expires_in,
        refresh_token: reply.refresh_token,
        openid: reply.openid,
        scope: reply.scope,
        unionid,
        is_snapshotuser: reply.is_snapshotuser == 1,
    })
}

/// Some apps get `"unionid":""` rather than no field: both mean "not bound".
fn empty_unionid_is_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<UnionId>, D::Error> {
    let value: Option<String> = serde::Deserialize::deserialize(d)?;
    value
        .filter(|u| !u.is_empty())
        .map(UnionId::parse)
        .transpose()
        .map_err(serde::de::Error::custom)
}
