//! `[official_account]` and `[accounts]`: the service account whose temporary QR logs users in
//! by follow or scan, and what an unfollow does.

use super::Config;
use crate::ids::AppId;
use crate::secret::Secret;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The app id the embedded sandbox plays when no real official account is configured (the
/// sandbox owns it: a standalone sandbox plays the same account).
pub const SANDBOX_OFFICIAL_ACCOUNT_APP_ID: &str = saoma_sandbox::OFFICIAL_ACCOUNT_APP_ID;
const SANDBOX_OFFICIAL_ACCOUNT_SECRET: &str = "saoma-sandbox-oa-secret";
/// The sandbox's callback token and EncodingAESKey (43 base64 characters).
pub const SANDBOX_CALLBACK_TOKEN: &str = saoma_sandbox::CALLBACK_TOKEN;
pub const SANDBOX_ENCODING_AES_KEY: &str = saoma_sandbox::ENCODING_AES_KEY;

/// How the account's messages are sent (the "消息加解密方式" set on the WeChat console).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallbackMode {
    /// Plaintext XML ("明文模式").
    Plain,
    /// Plaintext and `<Encrypt>` together ("兼容模式").
    Compatible,
    /// `<Encrypt>` only ("安全模式").
    Safe,
}

impl CallbackMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackMode::Plain => "plain",
            CallbackMode::Compatible => "compatible",
            CallbackMode::Safe => "safe",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfficialAccountConfig {
    pub app_id: Option<AppId>,
    pub app_secret: Option<Secret>,
    pub app_secret_file: Option<PathBuf>,
    /// The callback Token set on the WeChat console (3..=32 letters and digits).
    pub token: Option<Secret>,
    /// The EncodingAESKey set on the WeChat console (43 characters); needed unless `plain`.
    pub encoding_aes_key: Option<Secret>,
    /// Default: `safe` in sandbox mode or when an EncodingAESKey is set, else `plain`.
    pub mode: Option<CallbackMode>,
    /// Lifetime of the temporary QR; default and maximum: the scene TTL.
    pub qr_expire_seconds: Option<u64>,
}

/// The official account as the provider and the sandbox use it: credentials resolved (the
/// sandbox's in sandbox mode), mode decided, QR lifetime capped.
#[derive(Debug, Clone)]
pub struct OfficialAccountSettings {
    pub app_id: AppId,
    pub app_secret: Secret,
    pub token: Secret,
    pub encoding_aes_key: Option<Secret>,
    pub mode: CallbackMode,
    pub qr_expire_seconds: u64,
}

impl Config {
    pub(super) fn read_official_account_secret_file(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.official_account.app_secret_file {
            let secret = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "reading official_account.app_secret_file {}",
                    path.display()
                )
            })?;
            self.official_account.app_secret = Some(Secret::new(secret.trim()));
        }
        Ok(())
    }

    /// The official account: the configured one (which needs a token, and an EncodingAESKey
    /// unless the mode is `plain`), or the sandbox's in sandbox mode; `None` when neither.
    pub fn official_account_settings(&self) -> anyhow::Result<Option<OfficialAccountSettings>> {
        let oa = &self.official_account;
        let qr_expire_seconds = oa
            .qr_expire_seconds
            .unwrap_or(self.limits.scene_ttl_seconds)
            .clamp(1, self.limits.scene_ttl_seconds.max(1));
        let configured = match (&oa.app_id, &oa.app_secret) {
            (Some(id), Some(secret)) if !secret.is_empty() => Some((id.clone(), secret.clone())),
            _ => None,
        };
        let Some((app_id, app_secret)) = configured else {
            if !self.sandbox_enabled() {
                return Ok(None);
            }
            // `check` refused a token or key without the account they belong to, so the
            // sandbox's account is used whole: nothing configured is swapped for it.
            return Ok(Some(OfficialAccountSettings {
                app_id: AppId::parse(SANDBOX_OFFICIAL_ACCOUNT_APP_ID)?,
                app_secret: Secret::new(SANDBOX_OFFICIAL_ACCOUNT_SECRET),
                token: Secret::new(SANDBOX_CALLBACK_TOKEN),
                encoding_aes_key: Some(Secret::new(SANDBOX_ENCODING_AES_KEY)),
                mode: oa.mode.unwrap_or(CallbackMode::Safe),
                qr_expire_seconds,
            }));
        };
        let token = oa
            .token
            .clone()
            .filter(|t| !t.is_empty())
            .context("official_account.token is required with official_account.app_id")?;
        let encoding_aes_key = oa.encoding_aes_key.clone().filter(|k| !k.is_empty());
        let mode = oa.mode.unwrap_or(if encoding_aes_key.is_some() {
            CallbackMode::Safe
        } else {
            CallbackMode::Plain
        });
        anyhow::ensure!(
            mode == CallbackMode::Plain || encoding_aes_key.is_some(),
            "official_account.mode = {:?} needs official_account.encoding_aes_key",
            mode.as_str()
        );
        Ok(Some(OfficialAccountSettings {
            app_id,
            app_secret,
            token,
            encoding_aes_key,
            mode,
            qr_expire_seconds,
        }))
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
mod tests {
    use super::*;

    #[test]
    fn sandbox_mode_gets_sandbox_credentials_in_safe_mode() {
        let c = Config::default();
        let oa = c.official_account_settings().unwrap().unwrap();
        assert_eq!(oa.app_id.as_str(), SANDBOX_OFFICIAL_ACCOUNT_APP_ID);
        assert_eq!(oa.mode, CallbackMode::Safe);
        assert_eq!(oa.qr_expire_seconds, 300);
        assert_eq!(
            oa.encoding_aes_key.unwrap().expose(),
            SANDBOX_ENCODING_AES_KEY
        );
        assert!(crate::wechat::callback::AesKey::parse(SANDBOX_ENCODING_AES_KEY).is_ok());
    }

    #[test]
    fn configured_account_from_environment_with_secrets_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("oa-secret.txt", "oa-s3cret\n")?;
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__APP_ID", "wxoa");
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__APP_SECRET_FILE", "oa-secret.txt");
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__TOKEN", "tok3n");
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__MODE", "compatible");
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__ENCODING_AES_KEY", "k".repeat(43));
            jail.set_env("SAOMA_OFFICIAL_ACCOUNT__QR_EXPIRE_SECONDS", "9999");
            jail.set_env("SAOMA_ACCOUNTS__UNFOLLOW", "unlink");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(!c.sandbox_enabled());
            assert_eq!(c.accounts.unfollow, crate::config::UnfollowPolicy::Unlink);
            let oa = c.official_account_settings().unwrap().unwrap();
            assert_eq!(
                (oa.app_id.as_str(), oa.app_secret.expose()),
                ("wxoa", "oa-s3cret")
            );
            assert_eq!(oa.mode, CallbackMode::Compatible);
            assert_eq!(oa.qr_expire_seconds, 300, "capped at the scene TTL");
            let debug = format!("{c:?} {oa:?}");
            for secret in ["oa-s3cret", "tok3n", "kkkkkkkk"] {
                assert!(!debug.contains(secret), "{secret} leaked");
            }
            Ok(())
        });
    }

    #[test]
    fn an_encrypted_mode_without_a_key_or_an_account_without_token_fails_fast() {
        let mut c = Config::default();
        c.official_account.app_id = Some(AppId::parse("wxoa").unwrap());
        c.official_account.app_secret = Some(Secret::new("s"));
        assert!(c.official_account_settings().is_err(), "no token");
        c.official_account.token = Some(Secret::new("t"));
        c.official_account.mode = Some(CallbackMode::Safe);
        assert!(c.official_account_settings().is_err(), "safe without a key");
        c.official_account.mode = None;
        let oa = c.official_account_settings().unwrap().unwrap();
        assert_eq!(oa.mode, CallbackMode::Plain);
    }
}
