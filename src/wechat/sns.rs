//! `GET sns/jscode2session`: a mini-program login code for the user's openid and session_key.

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use crate::ids::{OpenId, UnionId};
use crate::secret::Secret;

const JSCODE2SESSION: &str = "sns/jscode2session";

/// Who logged in. `Debug` redacts `session_key`, which never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub openid: OpenId,
    /// Only when the mini-program is bound to an open-platform account.
    pub unionid: Option<UnionId>,
    pub session_key: Secret,
}

#[derive(serde::Deserialize)]
struct SessionReply {
    openid: OpenId,
    #[serde(default)]
    unionid: Option<String>,
    session_key: Secret,
}

impl WeChatClient {
    /// Exchange a `wx.login()` code. Codes are single use: 40029 (invalid), 40163 (used) and
    /// 40226 (blocked) come back as `Api` and are never retried.
    pub async fn jscode2session(
        &self,
        app: &AppCredentials,
        code: &str,
    ) -> Result<Session, WeChatError> {
        let query = [
            ("appid", app.app_id.as_str()),
            ("secret", app.secret.expose()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ];
        let reply: SessionReply = self
            .get_json(JSCODE2SESSION, &app.app_id, &query)
            .await
            .map_err(|e| e.redact(&app.secret))?;
        // Some apps get `"unionid":""` rather than no field: both mean "not bound".
        let unionid = reply
            .unionid
            .filter(|u| !u.is_empty())
            .map(UnionId::parse)
            .transpose()
            .map_err(|e| WeChatError::Decode(e.to_string()))?;
        Ok(Session {
            openid: reply.openid,
            unionid,
            session_key: reply.session_key,
        })
    }
}
