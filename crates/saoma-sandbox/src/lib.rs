//! The embedded fake WeChat platform (docs/wechat.md is its contract) and the phone simulator.
//!
//! Mounted by the app at `/sandbox` (the QR codes it draws assume that mount point):
//!
//! - `/wechat/cgi-bin/token`, `/wechat/cgi-bin/stable_token`, `/wechat/wxa/getwxacodeunlimit`,
//!   `/wechat/sns/jscode2session`: the fake platform, WeChat's replies, errcodes and expiries.
//! - `/wechat/connect/qrconnect` (the website QR page), `/wechat/sns/oauth2/access_token`,
//!   `/wechat/sns/oauth2/refresh_token`, `/wechat/sns/userinfo`, `/wechat/sns/auth`; tools
//!   `/api/website/approve` (POST), `/api/website/session` (GET), `/api/users/:id/avatar`.
//!   `/wechat/sns/jscode2session`, `/wechat/cgi-bin/qrcode/create`, `/wechat/cgi-bin/showqrcode`,
//!   `/wechat/cgi-bin/user/info`: the fake platform, WeChat's replies, errcodes and expiries.
//! - `/api/official-account/scan` and `/unfollow`: push the event WeChat would push to Saoma's
//!   callback (signed, encrypted per the mode, retried like WeChat) and report the answer.
//! - `/api/users` (GET, POST), `/api/wx-login`, `/api/mini-program-code`, `/api/stats` (GET,
//!   DELETE), `/api/faults` (POST, DELETE), `/api/invalidate-token`, `/api/clock`: tools for tests and the phone page.
//! - `/wechat/wxa/business/getuserphonenumber`, `/api/phone-code` and `/api/phone-quota`: the
//!   getPhoneNumber button and its paid quota.
//! - `/api/sms`: the messages of Saoma's `log` SMS sender.
//! - `/wechat/connect/oauth2/authorize`, `/browser`, `/api/in-wechat/authorize`,
//!   `/api/mobile-app/auth`: web authorization inside WeChat and the mobile SDK (`web_auth*.rs`).
//! - `/phone?scene=` (also `?url=<official-account QR payload>`, `?state=&provider=website`),
//!   `/phone.js`, `/phone.css`: the phone simulator.
//!
//! Everything lives in one [`State`] behind an `Arc`; only the fake users and the secret their
//! ids derive from are persisted (`<data_dir>/sandbox/`).
//!
//! This crate depends on nothing of Saoma's server: it plays WeChat from WeChat's documentation,
//! the signing and encryption of its pushes included ([`crypto`]), so that a mistake in Saoma's
//! callback crypto shows in the tests instead of being mirrored here. The server maps its
//! configuration to [`SandboxConfig`] and mounts [`Sandbox::routes`].

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::await_holding_lock)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod access_log;
mod clock;
mod connect;
pub mod crypto;
mod errors;
mod faults;
mod html;
mod oa_deliver;
mod oa_push;
mod oauth;
mod official_account;
mod pages;
mod phone;
mod phone_number;
mod phone_quota;
mod secret;
pub mod sms;
mod sns;
mod standalone;
mod tokens;
mod users;
mod web_auth;
mod web_auth_page;
mod web_auth_tools;
mod wxacode;
pub mod xml;

#[cfg(test)]
mod tests;

pub use secret::Secret;
pub use standalone::{CALLBACK_TOKEN, ENCODING_AES_KEY, OFFICIAL_ACCOUNT_APP_ID, serve_standalone};

use anyhow::Context;
use poem::{EndpointExt, Route, get, post};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the sandbox keeps its files and how browsers reach the Saoma instance that mounts it.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Saoma's data directory; the sandbox uses `<data_dir>/sandbox/`.
    pub data_dir: PathBuf,
    /// Saoma's public URL (e.g. `http://127.0.0.1:8080/`): the QR codes point at
    /// `<public_url>sandbox/phone?scene=...`.
    pub public_url: url::Url,
    /// The official account whose events the scan tool pushes; `None`: the tool answers 404.
    pub official_account: Option<SandboxOfficialAccount>,
    /// getPhoneNumber's trial calls (WeChat's 1,000); 0 starts with the quota spent.
    pub phone_trial_quota: u64,
}

impl SandboxConfig {
    /// WeChat's trial of quick phone-number verifications.
    pub const PHONE_TRIAL_QUOTA: u64 = 1_000;
}

/// What the sandbox needs to push an official account's events as WeChat does.
#[derive(Debug, Clone)]
pub struct SandboxOfficialAccount {
    pub app_id: String,
    /// Saoma's `/api/v1/official-account/callback`.
    pub callback_url: url::Url,
    pub token: Secret,
    pub encoding_aes_key: Option<Secret>,
    pub mode: CallbackMode,
    /// How long a push waits for the callback before WeChat tries again (5 s).
    pub push_timeout: std::time::Duration,
}

/// How the account's messages are sent (the "消息加解密方式" set on the WeChat console).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackMode {
    /// Plaintext XML ("明文模式").
    Plain,
    /// Plaintext and `<Encrypt>` together ("兼容模式").
    Compatible,
    /// `<Encrypt>` only ("安全模式").
    Safe,
}

impl SandboxOfficialAccount {
    /// WeChat's patience with a callback.
    pub const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
}

/// The fake WeChat platform. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    state: Arc<State>,
}

/// Everything the sandbox knows, each part behind its own lock.
pub(crate) struct State {
    /// The phone page's URL (`<public_url>sandbox/phone`), without a query.
    phone_url: url::Url,
    clock: clock::Clock,
    /// Derives openids and unionids, so that they survive restarts of the same data dir.
    id_secret: Secret,
    apps: tokens::Apps,
    tokens: tokens::TokenBook,
    codes: sns::Codes,
    users: users::Users,
    monitor: faults::Monitor,
    oauth: oauth::OAuth,
    sessions: connect::Sessions,
    web_auth: web_auth::WebAuth,
    official_account: Option<SandboxOfficialAccount>,
    oa: official_account::OfficialAccounts,
    /// Pushes events to Saoma's callback (never follows redirects).
    push_client: reqwest::Client,
    phone_codes: phone_number::PhoneCodes,
    phone_quota: phone_quota::PhoneQuota,
    /// What Saoma's `log` SMS sender delivered (shared with it by `app`).
    sms: Arc<sms::Inbox>,
}

impl Sandbox {
    /// Loads (or creates) `<data_dir>/sandbox/{secret,users.json}`.
    pub fn open(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let dir = config.data_dir.join("sandbox");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the sandbox directory {}", dir.display()))?;
        let id_secret = users::load_or_create_secret(&dir.join("secret"))?;
        let users = users::Users::load(dir.join("users.json"))?;
        let mut base = config.public_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let phone_url = base
            .join("sandbox/phone")
            .context("building the phone page URL from the public URL")?;
        let state = State {
            phone_url,
            clock: clock::Clock::default(),
            id_secret,
            apps: tokens::Apps::default(),
            tokens: tokens::TokenBook::default(),
            codes: sns::Codes::default(),
            users,
            monitor: faults::Monitor::default(),
            oauth: oauth::OAuth::default(),
            sessions: connect::Sessions::default(),
            web_auth: web_auth::WebAuth::default(),
            official_account: config.official_account.clone(),
            oa: official_account::OfficialAccounts::default(),
            push_client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .context("building the sandbox's push client")?,
            phone_codes: phone_number::PhoneCodes::default(),
            phone_quota: phone_quota::PhoneQuota::new(config.phone_trial_quota),
            sms: Arc::default(),
        };
        Ok(Sandbox {
            state: Arc::new(state),
        })
    }

    /// The inbox the `log` SMS sender delivers to, listed at `/api/sms`.
    pub fn sms_inbox(&self) -> Arc<sms::Inbox> {
        self.state.sms.clone()
    }

    /// Routes relative to the mount point; the app nests them at "/sandbox".
    pub fn routes(&self) -> Route {
        let s = &self.state;
        Route::new()
            .at(
                "/wechat/cgi-bin/token",
                get(tokens::cgi_bin_token).data(s.clone()),
            )
            .at(
                "/wechat/cgi-bin/stable_token",
                post(tokens::stable_token).data(s.clone()),
            )
            .at(
                "/wechat/wxa/getwxacodeunlimit",
                post(wxacode::getwxacodeunlimit).data(s.clone()),
            )
            .at(
                "/wechat/sns/jscode2session",
                get(sns::jscode2session).data(s.clone()),
            )
            .at(
                "/api/users",
                get(users::list_users)
                    .post(users::create_user)
                    .data(s.clone()),
            )
            .at(
                "/wechat/cgi-bin/qrcode/create",
                post(official_account::qrcode_create).data(s.clone()),
            )
            .at(
                "/wechat/cgi-bin/showqrcode",
                get(official_account::showqrcode).data(s.clone()),
            )
            .at(
                "/wechat/cgi-bin/user/info",
                get(official_account::user_info).data(s.clone()),
            )
            .at(
                "/api/official-account/scan",
                post(oa_push::scan).data(s.clone()),
            )
            .at(
                "/api/official-account/unfollow",
                post(oa_push::unfollow).data(s.clone()),
            )
            .at("/api/wx-login", post(sns::wx_login).data(s.clone()))
            // wx.getMiniProgramCode in a multi-platform app: a code of the same kind as wx.login's,
            // resolved by the mini-program's jscode2session.
            .at(
                "/api/mini-program-code",
                post(sns::wx_login).data(s.clone()),
            )
            .at(
                "/api/stats",
                get(faults::get_stats)
                    .delete(faults::reset_stats)
                    .data(s.clone()),
            )
            .at(
                "/api/faults",
                post(faults::add_fault)
                    .delete(faults::clear_faults)
                    .data(s.clone()),
            )
            .at(
                "/api/invalidate-token",
                post(tokens::invalidate_token).data(s.clone()),
            )
            .at("/api/clock", post(clock::advance).data(s.clone()))
            .at(
                "/wechat/wxa/business/getuserphonenumber",
                post(phone_number::getuserphonenumber).data(s.clone()),
            )
            .at(
                "/api/phone-code",
                post(phone_number::phone_code).data(s.clone()),
            )
            .at(
                "/api/phone-quota",
                get(phone_quota::get_quota)
                    .post(phone_quota::set_quota)
                    .data(s.clone()),
            )
            .at("/api/sms", get(sms::list_sms).data(s.clone()))
            .at("/phone", get(phone::page))
            .at("/phone.js", get(phone::script))
            .at("/phone.css", get(phone::style))
            .at(
                "/wechat/connect/qrconnect",
                get(connect::qrconnect).data(s.clone()),
            )
            .at(
                "/wechat/sns/oauth2/access_token",
                get(web_auth::shared(
                    web_auth::Kind::AccessToken,
                    oauth::access_token,
                ))
                .data(s.clone()),
            )
            .at(
                "/wechat/sns/oauth2/refresh_token",
                get(oauth::refresh_token).data(s.clone()),
            )
            .at(
                "/wechat/sns/userinfo",
                get(web_auth::shared(web_auth::Kind::UserInfo, oauth::userinfo)).data(s.clone()),
            )
            .at(
                "/wechat/sns/auth",
                get(web_auth::shared(web_auth::Kind::Auth, oauth::auth)).data(s.clone()),
            )
            .at(
                "/wechat/connect/oauth2/authorize",
                get(web_auth_page::authorize).data(s.clone()),
            )
            .at(
                "/api/in-wechat/authorize",
                post(web_auth_tools::authorize_tool).data(s.clone()),
            )
            .at("/browser", get(web_auth_page::browser).data(s.clone()))
            .at(
                "/api/mobile-app/auth",
                post(web_auth_tools::mobile_app_auth).data(s.clone()),
            )
            .at(
                "/api/website/approve",
                post(connect::approve).data(s.clone()),
            )
            .at(
                "/api/website/session",
                get(connect::session_status).data(s.clone()),
            )
            .at("/api/users/:id/avatar", get(pages::avatar))
    }
}
