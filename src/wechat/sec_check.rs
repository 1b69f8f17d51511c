//! WeChat's content security (内容安全): `POST wxa/msg_sec_check` (version 2) for a text the
//! user wrote, before Saoma shows it to anyone else.

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::OpenId;
use serde::{Deserialize, Serialize};

const MSG_SEC_CHECK: &str = "wxa/msg_sec_check";

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
}
