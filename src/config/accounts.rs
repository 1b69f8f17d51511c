//! `[accounts]` and `[sms]`: how identities link, whether a phone is required, and how phone
//! numbers are verified by SMS.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What to do when a follower unfollows the official account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UnfollowPolicy {
    /// Keep the identity linked (default).
    #[default]
    Ignore,
    /// Unlink the official-account identity from its account.
    Unlink,
}

/// Who may get an account by logging in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SignUp {
    /// Anyone WeChat identifies gets an account on first login (default).
    #[default]
    Open,
    /// Only people provisioned ahead (`POST /admin/v1/accounts`) or already known may log in;
    /// an unknown person is refused and nothing is created.
    ProvisionedOnly,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsConfig {
    /// An identity whose account has no phone leaves the scene in `need_phone`.
    pub require_phone: bool,
    /// A new identity joins the account that already holds its unionid.
    pub link_by_unionid: bool,
    pub unfollow: UnfollowPolicy,
    pub sign_up: SignUp,
    /// Events older than this many days are deleted (0: kept forever).
    pub event_retention_days: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    /// Log a redacted line; in sandbox mode the message appears at `GET /sandbox/api/sms`.
    #[default]
    Log,
    Tencent,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsConfig {
    pub provider: SmsProvider,
    /// How long a code is valid.
    pub code_ttl_seconds: u64,
    /// Wrong codes allowed before the code is burnt.
    pub max_attempts: u32,
    /// At most one code per phone in this many seconds (0: no such limit).
    pub resend_interval_seconds: u64,
    /// At most this many codes per phone per hour (0: no limit).
    pub max_per_phone_per_hour: u64,
    /// At most this many codes per scene (0: no limit).
    pub max_per_scene: u64,
    /// At most this many codes asked from one client address per hour (0: no limit).
    pub max_per_ip_per_hour: u64,
    /// At most this many codes for one account (the scene's WeChat user) per day (0: no
    /// limit).
    pub max_per_account_per_day: u64,
    /// At most this many codes per hour for the whole cluster; past it 503
    /// `sms_budget_exhausted` and `saoma_sms_budget_exhausted_total` (0: no budget).
    pub budget_per_hour: u64,
    /// The country codes codes may go to (`"+86"`, `"+852"`); other numbers get 400
    /// `phone_country_not_allowed`. At least one.
    pub allowed_country_codes: Vec<String>,
    pub tencent: TencentSmsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TencentSmsConfig {
    pub secret_id: Option<String>,
    pub secret_key: Option<Secret>,
    pub secret_key_file: Option<PathBuf>,
    pub sdk_app_id: Option<String>,
    /// The approved SMS signature (签名).
    pub sign_name: Option<String>,
    /// A template with two parameters: the code and the minutes it is valid.
    pub template_id: Option<String>,
    pub region: String,
    /// Default `https://sms.tencentcloudapi.com/`.
    pub endpoint: Option<url::Url>,
    pub timeout_ms: u64,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            require_phone: false,
            link_by_unionid: true,
            unfollow: UnfollowPolicy::Ignore,
            sign_up: SignUp::Open,
            event_retention_days: 365,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: SmsProvider::Log,
            code_ttl_seconds: 300,
            max_attempts: 5,
            resend_interval_seconds: 60,
            max_per_phone_per_hour: 5,
            max_per_scene: 3,
            max_per_ip_per_hour: 20,
            max_per_account_per_day: 10,
            budget_per_hour: 1_000,
            allowed_country_codes: vec!["+86".into()],
            tencent: TencentSmsConfig::default(),
        }
    }
}

impl Default for TencentSmsConfig {
    fn default() -> Self {
        Self {
            secret_id: None,
            secret_key: None,
            secret_key_file: None,
            sdk_app_id: None,
            sign_name: None,
            template_id: None,
            region: "ap-guangzhou".into(),
            endpoint: None,
            timeout_ms: 5_000,
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own error type
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn accounts_and_sms_keys_have_defaults_and_read_the_environment() {
        let defaults = Config::default();
        assert!(!defaults.accounts.require_phone);
        assert!(defaults.accounts.link_by_unionid);
        assert_eq!(defaults.accounts.unfollow, UnfollowPolicy::Ignore);
        assert_eq!(defaults.sms.provider, SmsProvider::Log);
        figment::Jail::expect_with(|jail| {
            jail.create_file("sms-key.txt", "tc-key\n")?;
            jail.set_env("SAOMA_ACCOUNTS__REQUIRE_PHONE", "true");
            jail.set_env("SAOMA_ACCOUNTS__LINK_BY_UNIONID", "false");
            jail.set_env("SAOMA_ACCOUNTS__UNFOLLOW", "unlink");
            jail.set_env("SAOMA_SMS__PROVIDER", "tencent");
            jail.set_env("SAOMA_SMS__TENCENT__SECRET_ID", "AKIDx");
            jail.set_env("SAOMA_SMS__TENCENT__SECRET_KEY_FILE", "sms-key.txt");
            jail.set_env("SAOMA_SMS__TENCENT__ENDPOINT", "http://127.0.0.1:9/");
            let c = Config::load(None).map_err(|e| e.to_string())?;
            assert!(c.accounts.require_phone);
            assert!(!c.accounts.link_by_unionid);
            assert_eq!(c.accounts.unfollow, UnfollowPolicy::Unlink);
            assert_eq!(c.sms.provider, SmsProvider::Tencent);
            assert_eq!(
                c.sms.tencent.secret_key.as_ref().map(Secret::expose),
                Some("tc-key")
            );
            assert!(!format!("{c:?}").contains("tc-key"));
            // Without sdk_app_id, sign_name and template_id, the sender is refused by name.
            let refused = crate::sms::from_config(&c.sms, None)
                .err()
                .map(|e| e.to_string());
            assert!(
                refused
                    .unwrap_or_default()
                    .contains("sms.tencent.sdk_app_id")
            );
            Ok(())
        });
    }
}
