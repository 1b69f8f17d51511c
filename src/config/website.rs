//! `[website]`: the open-platform website app (WeChat's own QR page, `connect/qrconnect`).

use super::{Config, SANDBOX_SECRET};
use crate::ids::AppId;
use crate::secret::Secret;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The app id the embedded sandbox plays when no real website app is configured.
pub const SANDBOX_WEBSITE_APP_ID: &str = "wxsaomasandboxweb1";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WebsiteConfig {
    pub app_id: Option<AppId>,
    pub app_secret: Option<Secret>,
    pub app_secret_file: Option<PathBuf>,
    /// Where the browser goes after the callback; default `<public_url>/`.
    pub return_url: Option<url::Url>,
    /// Return URLs a page may ask for when it creates a scene (exact match: no open redirect).
    pub allowed_return_urls: Vec<url::Url>,
    /// Base of `connect/qrconnect`; default `<public_url>/sandbox/wechat/` in sandbox mode, else
    /// `https://open.weixin.qq.com/`.
    pub connect_base: Option<url::Url>,
}

impl Config {
    /// The website app's credentials: the configured ones, or the sandbox's in sandbox mode.
    pub fn website_credentials(&self) -> Option<(AppId, Secret)> {
        match (&self.website.app_id, &self.website.app_secret) {
            (Some(id), Some(secret)) if !secret.is_empty() => Some((id.clone(), secret.clone())),
            _ if self.sandbox_enabled() => Some((
                AppId::parse(SANDBOX_WEBSITE_APP_ID).ok()?,
                Secret::new(SANDBOX_SECRET),
            )),
            _ => None,
        }
    }

    /// Where browsers open `connect/qrconnect`: below `website.connect_base`, the embedded
    /// sandbox (sandbox mode) or the open platform.
    pub fn website_qrconnect_url(&self, public_url: &url::Url) -> anyhow::Result<url::Url> {
        let base = match &self.website.connect_base {
            Some(base) => base.clone(),
            None if self.sandbox_enabled() => with_slash(public_url).join("sandbox/wechat/")?,
            None => url::Url::parse("https://open.weixin.qq.com/")?,
        };
        with_slash(&base)
            .join("connect/qrconnect")
            .context("building the qrconnect URL from website.connect_base")
    }

    /// Saoma's callback, which WeChat sends the browser to: `<public_url>/api/v1/website/callback`.
    /// Its domain is the one to register on the open platform.
    pub fn website_callback_url(&self, public_url: &url::Url) -> anyhow::Result<url::Url> {
        Ok(with_slash(public_url).join("api/v1/website/callback")?)
    }

    /// `website.return_url`, else the public URL's root page.
    pub fn website_return_url(&self, public_url: &url::Url) -> url::Url {
        self.website
            .return_url
            .clone()
            .unwrap_or_else(|| with_slash(public_url))
    }
}

/// The URL with a path ending in `/`, so that joining a relative path keeps its prefix.
pub(crate) fn with_slash(url: &url::Url) -> url::Url {
    let mut url = url.clone();
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
mod tests {
    use super::*;

    #[test]
    fn sandbox_mode_plays_a_website_app_and_hosts_qrconnect() {
        figment::Jail::expect_with(|_jail| {
            let c = Config::load(None).map_err(|e| e.to_string())?;
            let (app, _) = c.website_credentials().ok_or("no sandbox website app")?;
            assert_eq!(app.as_str(), SANDBOX_WEBSITE_APP_ID);
            let public: url::Url = "http://127.0.0.1:8080/login".parse().unwrap();
            assert_eq!(
                c.website_qrconnect_url(&public).unwrap().as_str(),
                "http://127.0.0.1:8080/login/sandbox/wechat/connect/qrconnect"
            );
            assert_eq!(
                c.website_return_url(&public).as_str(),
                "http://127.0.0.1:8080/login/"
            );
            assert_eq!(
                c.website_callback_url(&public).unwrap().as_str(),
                "http://127.0.0.1:8080/login/api/v1/website/callback"
            );
            Ok(())
        });
    }

    #[test]
    fn website_section_reads_credentials_return_urls_and_the_connect_host() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "saoma.toml",
                "[website]\napp_id = \"wxweb\"\nreturn_url = \"https://a.example/done\"\n\
                 allowed_return_urls = [\"https://a.example/x\", \"https://b.example/y\"]\n",
            )?;
            jail.create_file("web.txt", "w3bsecret\n")?;
            jail.set_env("SAOMA_WEBSITE__APP_SECRET_FILE", "web.txt");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(
                !c.sandbox_enabled(),
                "a website secret turns the sandbox off"
            );
            let (app, secret) = c.website_credentials().ok_or("no website app")?;
            assert_eq!((app.as_str(), secret.expose()), ("wxweb", "w3bsecret"));
            assert_eq!(c.website.allowed_return_urls.len(), 2);
            let public: url::Url = "https://login.example/".parse().unwrap();
            assert_eq!(
                c.website_qrconnect_url(&public).unwrap().as_str(),
                "https://open.weixin.qq.com/connect/qrconnect"
            );
            assert_eq!(
                c.website_return_url(&public).as_str(),
                "https://a.example/done"
            );
            assert!(!format!("{c:?}").contains("w3bsecret"));
            Ok(())
        });
    }

    #[test]
    fn connect_base_can_point_at_a_standalone_sandbox() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "SAOMA_WEBSITE__CONNECT_BASE",
                "http://10.0.0.5:9000/sandbox/wechat",
            );
            let c = Config::load(None).map_err(|e| e.to_string())?;
            let public: url::Url = "http://127.0.0.1:8080/".parse().unwrap();
            assert_eq!(
                c.website_qrconnect_url(&public).unwrap().as_str(),
                "http://10.0.0.5:9000/sandbox/wechat/connect/qrconnect"
            );
            Ok(())
        });
    }
}
