//! The official account's APIs: `POST cgi-bin/qrcode/create` (a temporary parametric QR) and
//! `GET cgi-bin/user/info` (whether a user follows, and their unionid).

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::{OpenId, UnionId};
use serde::{Deserialize, Serialize};

const QRCODE_CREATE: &str = "cgi-bin/qrcode/create";
const USER_INFO: &str = "cgi-bin/user/info";

/// A temporary QR carrying `scene_str` (`QR_STR_SCENE`), valid `expire_seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCodeRequest {
    pub scene_str: String,
    pub expire_seconds: u64,
}

#[derive(Serialize)]
struct QrCodeBody<'a> {
    expire_seconds: u64,
    action_name: &'static str,
    action_info: ActionInfo<'a>,
}

#[derive(Serialize)]
struct ActionInfo<'a> {
    scene: SceneStr<'a>,
}

#[derive(Serialize)]
struct SceneStr<'a> {
    scene_str: &'a str,
}

/// What qrcode/create answers. `url` is what the QR encodes: render it locally.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QrTicket {
    pub ticket: String,
    #[serde(default)]
    pub expire_seconds: Option<u64>,
    pub url: String,
}

/// A user as the official account sees them (no nickname or avatar since 2021-12-27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerInfo {
    pub subscribed: bool,
    pub openid: OpenId,
    /// Only when the account is bound to an open-platform account (and the user follows).
    pub unionid: Option<UnionId>,
}

#[derive(Deserialize)]
struct UserInfoReply {
    #[serde(default)]
    subscribe: i64,
    openid: OpenId,
    #[serde(default)]
    unionid: Option<String>,
}

impl WeChatClient {
    /// A temporary `QR_STR_SCENE` code. Errors: 40053 (bad body), token, quota (45009).
    pub async fn qrcode_create(
        &self,
        app: &AppCredentials,
        req: &QrCodeRequest,
    ) -> Result<QrTicket, WeChatError> {
        let body = QrCodeBody {
            expire_seconds: req.expire_seconds,
            action_name: "QR_STR_SCENE",
            action_info: ActionInfo {
                scene: SceneStr {
                    scene_str: &req.scene_str,
                },
            },
        };
        self.with_token(app, |token| {
            let body = &body;
            async move {
                let query = [("access_token", token.expose())];
                self.post_json(QRCODE_CREATE, &app.app_id, &query, body)
                    .await
            }
        })
        .await
    }

    /// `cgi-bin/user/info` of a user of the official account. Errors: 40003 (unknown openid),
    /// 40013, token errors.
    pub async fn user_info(
        &self,
        app: &AppCredentials,
        openid: &OpenId,
    ) -> Result<FollowerInfo, WeChatError> {
        let reply: UserInfoReply = self
            .with_token(app, |token| async move {
                let query = [
                    ("access_token", token.expose()),
                    ("openid", openid.as_str()),
                    ("lang", "zh_CN"),
                ];
                self.get_json(USER_INFO, &app.app_id, &query).await
            })
            .await?;
        let unionid = reply
            .unionid
            .filter(|u| !u.is_empty())
            .map(UnionId::parse)
            .transpose()
            .map_err(|e| WeChatError::Decode(e.to_string()))?;
        Ok(FollowerInfo {
            subscribed: reply.subscribe == 1,
            openid: reply.openid,
            unionid,
        })
    }
}
