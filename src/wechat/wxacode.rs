//! `POST wxa/getwxacodeunlimit`: a mini-program code for a scene, as image bytes.

use super::access_token::AppCredentials;
use super::client::{Call, Reply, WeChatClient, encode_json};
use super::error::WeChatError;
use std::fmt;

const GET_WXACODE_UNLIMIT: &str = "wxa/getwxacodeunlimit";

/// The JSON body of getwxacodeunlimit. An empty `page` or `env_version` is left out, so WeChat
/// applies its default (the home page, `release`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WxaCodeRequest {
    pub scene: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub page: String,
    pub check_path: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub env_version: String,
    pub width: u32,
}

impl WxaCodeRequest {
    /// A request with WeChat's defaults: path checked, `release`, 430 px.
    pub fn new(scene: impl Into<String>, page: impl Into<String>) -> Self {
        Self {
            scene: scene.into(),
            page: page.into(),
            check_path: true,
            env_version: "release".into(),
            width: 430,
        }
    }
}

/// A code image as WeChat sent it (`image/jpeg`, even when the bytes are a PNG).
#[derive(Clone, PartialEq, Eq)]
pub struct CodeImage {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl CodeImage {
    /// `data:<type>;base64,<bytes>`, as the scene API hands the code to the browser.
    pub fn data_url(&self) -> String {
        use base64::Engine;
        format!(
            "data:{};base64,{}",
            self.content_type,
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }
}

impl fmt::Debug for CodeImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeImage")
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl WeChatClient {
    /// A mini-program code for `req.scene`. Errors: 40129/40169 (bad scene), 41030 (page not in
    /// the released version), 40097 (bad env_version), quota, token and transport errors.
    pub async fn wxacode_unlimit(
        &self,
        app: &AppCredentials,
        req: &WxaCodeRequest,
    ) -> Result<CodeImage, WeChatError> {
        let body = encode_json(req)?;
        self.with_token(app, |token| {
            let body = &body;
            async move {
                let query = [("access_token", token.expose())];
                let call = Call {
                    endpoint: GET_WXACODE_UNLIMIT,
                    app_id: &app.app_id,
                    query: &query,
                    json_body: Some(body),
                };
                self.call(&call, into_code_image).await
            }
        })
        .await
    }
}

/// The media type decides: `image/*` is the code, anything else must be a JSON error.
fn into_code_image(reply: Reply) -> Result<CodeImage, WeChatError> {
    let media_type = reply.media_type().unwrap_or_default();
    if media_type.starts_with("image/") {
        return Ok(CodeImage {
            bytes: reply.body,
            content_type: reply.content_type.unwrap_or(media_type),
        });
    }
    reply.check_errcode()?;
    Err(WeChatError::Decode(format!(
        "getwxacodeunlimit answered {media_type:?} without an image or an errcode"
    )))
}
