//! The OpenID Provider: refusals, the outside attack's findings, the flow end to end, inside WeChat, key rotation, the OAuth operations against the document.
pub mod attacks_browser;
pub mod attacks_tokens;
pub mod backchannel;
pub mod flow;
pub mod in_wechat;
pub mod keys;
pub mod openapi;
pub mod refusals;
pub mod sso_sessions;
