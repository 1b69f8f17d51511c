use serde::{Deserialize, Serialize};

/// How the phone proves who it is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    poem_openapi::Enum,
)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Provider {
    /// A mini-program code; the mini-program confirms with `wx.login()`'s code.
    MiniProgram,
    /// A temporary parametric QR of the official account; WeChat pushes the follow/scan event.
    OfficialAccount,
    /// WeChat's own QR page (open platform); WeChat redirects back with a code.
    Website,
    /// A page opened inside WeChat's browser: the official account's web authorization
    /// (`connect/oauth2/authorize`); WeChat redirects back with a code.
    InWechat,
    /// A native app: WeChat's mobile SDK hands the app a code, which the app posts.
    MobileApp,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::MiniProgram => "mini_program",
            Provider::OfficialAccount => "official_account",
            Provider::Website => "website",
            Provider::InWechat => "in_wechat",
            Provider::MobileApp => "mobile_app",
        }
    }

    /// Whether a scene of this provider may name where the browser goes after WeChat's
    /// redirect (`return_url`): the providers whose WeChat step happens in the browser.
    pub fn takes_return_url(self) -> bool {
        matches!(self, Provider::Website | Provider::InWechat)
    }
}
