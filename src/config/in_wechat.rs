//! `[in_wechat]`: login for pages opened inside WeChat's browser, through the official
//! account's web authorization (公众号网页授权, `connect/oauth2/authorize`); and
//! `[mobile_app]`: the open platform's mobile app whose WeChat SDK codes Saoma exchanges.

use super::website::with_slash;
use super::{Config, SANDBOX_SECRET};
use crate::ids::AppId;
use crate::secret::Secret;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The app id the embedded sandbox plays when no real mobile app is configured.
pub const SANDBOX_MOBILE_APP_ID: &str = "wxsaomasandboxapp1";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InWechatConfig {
    /// Default: on whenever an official account is configured (or played by the sandbox).
    /// `true` without an official account stops the start.
    pub enabled: Option<bool>,
    /// Ask for `snsapi_userinfo` (a consent page; nickname and avatar) instead of the silent
    /// `snsapi_base` (openid and unionid only).
    pub fetch_profile: bool,
    /// Where the browser goes after the callback unless the scene names an allowed one;
    /// default `<public_url>/`.
    pub return_url: Option<url::Url>,
    /// Return URLs a page may ask for when it creates a scene (exact match).
    pub allowed_return_urls: Vec<url::Url>,
    /// Base of `connect/oauth2/authorize`; default `<public_url>/sandbox/wechat/` in sandbox
    /// mode, else `https://open.weixin.qq.com/`.
    pub connect_base: Option<url::Url>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MobileAppConfig {
    pub app_id: Option<AppId>,
    pub app_secret: Option<Secret>,
    pub app_secret_file: Option<PathBuf>,
}

impl Config {
    pub(super) fn read_mobile_app_secret_file(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.mobile_app.app_secret_file {
            let secret = std::fs::read_to_string(path).with_context(|| {
                format!("reading mobile_app.app_secret_file {}", path.display())
            })?;
            self.mobile_app.app_secret = Some(Secret::new(secret.trim()));
        }
        Ok(())
    }

    /// The mobile app's credentials: the configured ones, or the sandbox's in sandbox mode.
    pub fn mobile_app_credentials(&self) -> Option<(AppId, Secret)> {
        match (&self.mobile_app.app_id, &self.mobile_app.app_secret) {
            (Some(id), Some(secret)) if !secret.is_empty() => Some((id.clone(), secret.clone())),
            _ if self.sandbox_enabled() => Some((
                AppId::parse(SANDBOX_MOBILE_APP_ID).ok()?,
                Secret::new(SANDBOX_SECRET),
            )),
            _ => None,
        }
    }

    /// Whether in-WeChat login is on, given whether an official account is there to do it.
    pub fn in_wechat_enabled(&self, has_official_account: bool) -> bool {
        self.in_wechat.enabled.unwrap_or(true) && has_official_account
    }

    /// Where browsers open `connect/oauth2/authorize`.
    pub fn in_wechat_authorize_url(&self, public_url: &url::Url) -> anyhow::Result<url::Url> {
        let base = match &self.in_wechat.connect_base {
            Some(base) => base.clone(),
            None if self.sandbox_enabled() => with_slash(public_url).join("sandbox/wechat/")?,
            None => url::Url::parse("https://open.weixin.qq.com/")?,
        };
        with_slash(&base)
            .join("connect/oauth2/authorize")
            .context("building the authorize URL from in_wechat.connect_base")
    }

    /// `<public_url>/api/v1/in-wechat/callback`: its host is the 网页授权域名 to register.
    pub fn in_wechat_callback_url(&self, public_url: &url::Url) -> anyhow::Result<url::Url> {
        Ok(with_slash(public_url).join("api/v1/in-wechat/callback")?)
    }

    /// `in_wechat.return_url`, else the public URL's root page.
    pub fn in_wechat_return_url(&self, public_url: &url::Url) -> url::Url {
        self.in_wechat
            .return_url
            .clone()
            .unwrap_or_else(|| with_slash(public_url))
    }

    /// `in_wechat.enabled = true` needs the official account whose web authorization it uses.
    pub(super) fn check_in_wechat(&self, missing: &mut Vec<String>) {
        let oa = &self.official_account;
        let has_account = oa.app_id.is_some() || self.sandbox_enabled();
        if self.in_wechat.enabled == Some(true) && !has_account {
            missing.push(
                "in_wechat.enabled = true needs the official account whose web authorization it \
                 uses: official_account.app_id, app_secret, token"
                    .into(),
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
mod tests {
    use super::*;

    #[test]
    fn sandbox_mode_plays_a_mobile_app_and_hosts_authorize() {
        figment::Jail::expect_with(|_jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            let (app, _) = c.mobile_app_credentials().ok_or("no sandbox mobile app")?;
            assert_eq!(app.as_str(), SANDBOX_MOBILE_APP_ID);
            assert!(c.in_wechat_enabled(true));
            let public: url::Url = "http://127.0.0.1:8080/".parse().unwrap();
            assert_eq!(
                c.in_wechat_authorize_url(&public).unwrap().as_str(),
                "http://127.0.0.1:8080/sandbox/wechat/connect/oauth2/authorize"
            );
            assert_eq!(
                c.in_wechat_callback_url(&public).unwrap().as_str(),
                "http://127.0.0.1:8080/api/v1/in-wechat/callback"
            );
            Ok(())
        });
    }

    #[test]
    fn a_mobile_app_in_part_or_in_wechat_without_an_account_stops_the_start() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAOMA_MOBILE_APP__APP_ID", "wxapp");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains("mobile_app.app_secret"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.set_env("SAOMA_MOBILE_APP__APP_ID", "wxapp");
            jail.set_env("SAOMA_MOBILE_APP__APP_SECRET", "m0bilesecret");
            jail.set_env("SAOMA_IN_WECHAT__ENABLED", "true");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(!c.sandbox_enabled(), "a mobile app turns the sandbox off");
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains("in_wechat.enabled"), "{err}");
            assert!(!err.contains("m0bilesecret") && !format!("{c:?}").contains("m0bilesecret"));
            Ok(())
        });
    }
}
