//! The client for the WeChat server APIs (`https://api.weixin.qq.com`, or the embedded sandbox
//! at another base URL).
//!
//! Adding an endpoint is one method: build the query/body, then `get_json`/`post_json` (errcode
//! check and the bounded retry on -1 included), inside `with_token` when it needs an access token
//! (expire-and-retry-once on 40001/40014/42001 included). Secrets (app secret, access tokens,
//! session_key) travel as [`Secret`](crate::secret::Secret) and never reach a log or an error.

mod access_token;
pub mod callback;
mod client;
mod error;
mod oauth;
mod official_account;
mod phone_number;
pub mod placeholder;
mod refresh_locks;
mod sec_check;
mod sns;
mod wxacode;

#[cfg(test)]
mod tests;

pub use access_token::AppCredentials;
pub use client::WeChatClient;
pub use error::WeChatError;
pub use oauth::{UserGrant, UserInfo};
pub use official_account::{FollowerInfo, QrCodeRequest, QrTicket};
pub use phone_number::{PhoneInfo, Watermark};
pub use sec_check::{PROFILE_SCENE, Suggest};
pub use sns::Session;
pub use wxacode::{CodeImage, WxaCodeRequest};
