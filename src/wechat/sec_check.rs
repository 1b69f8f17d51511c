//! WeChat's content security (内容安全), before Saoma shows what a user filled in to anyone
//! else: `POST wxa/msg_sec_check` (version 2) for a text, answered at once;
//! `POST wxa/media_check_async` (version 2) for an image at a URL WeChat fetches, answered later
//! by a `wxa_media_check` push.

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::OpenId;
use serde::{Deserialize, Serialize};

const MSG_SEC_CHECK: &str = "wxa/msg_sec_check";
const MEDIA_CHECK_ASYNC: &str = "wxa/media_check_async";
/// `media_check_async`'s `media_type` for an image.
const MEDIA_IMAGE: u8 = 2;

/// `msg_sec_check`'s scene for a profile (资料).
pub const PROFILE_SCENE: u8 = 1;

/// WeChat's verdict (`result.suggest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suggest {
    Pass,
    /// Uncertain: WeChat suggests a human review.
    Review,
    Risky,
}

#[derive(Deserialize)]
struct Verdict {
    suggest: Suggest,
}

#[derive(Deserialize)]
struct Reply {
    result: Verdict,
}

#[derive(Deserialize)]
struct Traced {
    trace_id: String,
}

#[derive(Serialize)]
struct MediaBody<'a> {
    media_url: &'a str,
    media_type: u8,
    version: u8,
    scene: u8,
    openid: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    content: &'a str,
    version: u8,
    scene: u8,
    openid: &'a str,
}

impl WeChatClient {
    /// Check `content`, written by `openid` (a user of this mini-program within the last two
    /// hours), in `scene`.
    pub async fn msg_sec_check(
        &self,
        app: &AppCredentials,
        openid: &OpenId,
        scene: u8,
        content: &str,
    ) -> Result<Suggest, WeChatError> {
        let body = Body {
            content,
            version: 2,
            scene,
            openid: openid.as_str(),
        };
        self.with_token(app, |token| {
            let body = &body;
            async move {
                let query = [("access_token", token.expose())];
                let reply: Reply = self
                    .post_json(MSG_SEC_CHECK, &app.app_id, &query, body)
                    .await?;
                Ok(reply.result.suggest)
            }
        })
        .await
    }

    /// Have WeChat check the image at `media_url` for `openid`, in `scene`: the trace id its
    /// `wxa_media_check` push will carry.
    pub async fn media_check_async(
        &self,
        app: &AppCredentials,
        openid: &OpenId,
        scene: u8,
        media_url: &str,
    ) -> Result<String, WeChatError> {
        let body = MediaBody {
            media_url,
            media_type: MEDIA_IMAGE,
            version: 2,
            scene,
            openid: openid.as_str(),
        };
        self.with_token(app, |token| {
            let body = &body;
            async move {
                let query = [("access_token", token.expose())];
                let reply: Traced = self
                    .post_json(MEDIA_CHECK_ASYNC, &app.app_id, &query, body)
                    .await?;
                Ok(reply.trace_id)
            }
        })
        .await
    }
}
