//! Never a sandbox by accident, never a provider configured in part.
//!
//! The sandbox runs when asked (`sandbox = true`) or when nothing real is configured: no
//! WeChat credential of any provider and the embedded SQLite database. A provider is either
//! configured whole or not at all; the start stops on anything in between, naming what is
//! missing, so that nothing is swapped for the sandbox's silently.

use super::{CallbackMode, Config};
use crate::secret::Secret;

/// Why this instance plays WeChat itself, or does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxReason {
    /// `sandbox = true` (`SAOMA_SANDBOX=true`).
    Asked,
    /// Nothing real is configured: no credential, the embedded database.
    NothingReal,
}

impl SandboxReason {
    pub fn describe(self) -> &'static str {
        match self {
            SandboxReason::Asked => "sandbox = true",
            SandboxReason::NothingReal => {
                "nothing real is configured (no WeChat credential; the embedded SQLite database)"
            }
        }
    }
}

fn set(secret: &Option<Secret>) -> bool {
    secret.as_ref().is_some_and(|s| !s.is_empty())
}

impl Config {
    /// Sandbox mode and why, or `None` for the real WeChat.
    pub fn sandbox_reason(&self) -> Option<SandboxReason> {
        match self.sandbox {
            Some(true) => Some(SandboxReason::Asked),
            Some(false) => None,
            None if !self.any_wechat_credential() && self.database_is_embedded() => {
                Some(SandboxReason::NothingReal)
            }
            None => None,
        }
    }

    pub fn sandbox_enabled(&self) -> bool {
        self.sandbox_reason().is_some()
    }

    /// Any setting of any provider that only a real app has.
    fn any_wechat_credential(&self) -> bool {
        let (mp, web, oa) = (&self.mini_program, &self.website, &self.official_account);
        mp.app_id.is_some()
            || set(&mp.app_secret)
            || mp.app_secret_file.is_some()
            || web.app_id.is_some()
            || set(&web.app_secret)
            || web.app_secret_file.is_some()
            || oa.app_id.is_some()
            || set(&oa.app_secret)
            || oa.app_secret_file.is_some()
            || set(&oa.token)
            || set(&oa.encoding_aes_key)
            || self.mobile_app.app_id.is_some()
            || set(&self.mobile_app.app_secret)
            || self.mobile_app.app_secret_file.is_some()
    }

    /// The SQLite file in the data directory (or another SQLite file), not a shared server.
    pub fn database_is_embedded(&self) -> bool {
        self.database_url
            .as_deref()
            .is_none_or(|url| url.starts_with("sqlite:"))
    }

    /// Every rule a start needs before anything is opened; the message names the setting.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut missing = Vec::new();
        for (section, app_id, secret) in [
            (
                "mini_program",
                self.mini_program.app_id.is_some(),
                set(&self.mini_program.app_secret),
            ),
            (
                "website",
                self.website.app_id.is_some(),
                set(&self.website.app_secret),
            ),
            (
                "mobile_app",
                self.mobile_app.app_id.is_some(),
                set(&self.mobile_app.app_secret),
            ),
        ] {
            match (app_id, secret) {
                (true, false) => missing.push(format!(
                    "{section}.app_id is set but {section}.app_secret is not \
                     (set it, {section}.app_secret_file, or SAOMA_{}__APP_SECRET)",
                    section.to_ascii_uppercase()
                )),
                (false, true) => missing.push(format!(
                    "{section}.app_secret is set but {section}.app_id is not"
                )),
                _ => {}
            }
        }
        self.check_official_account(&mut missing);
        self.check_in_wechat(&mut missing);
        if self.sandbox.is_none() && !self.any_wechat_credential() && !self.database_is_embedded() {
            missing.push(
                "no WeChat credential is configured, and database_url names a database server: \
                 the sandbox does not start on it by accident. Configure a provider \
                 ([mini_program], [official_account] or [website]), or set sandbox = true"
                    .into(),
            );
        }
        anyhow::ensure!(
            missing.is_empty(),
            "the configuration is incomplete: {}",
            missing.join("; ")
        );
        Ok(())
    }

    fn check_official_account(&self, missing: &mut Vec<String>) {
        let oa = &self.official_account;
        let needs_key = oa.mode.is_some_and(|m| m != CallbackMode::Plain);
        let parts = [
            ("app_id", oa.app_id.is_some()),
            ("app_secret", set(&oa.app_secret)),
            ("token", set(&oa.token)),
        ];
        let any = parts.iter().any(|(_, on)| *on) || set(&oa.encoding_aes_key);
        if !any {
            // The sandbox's own account takes `mode` from here; a real server has no account
            // for it to apply to.
            if oa.mode.is_some() && !self.sandbox_enabled() {
                missing.push(
                    "official_account.mode is set but no official account is configured \
                     (official_account.app_id, app_secret, token)"
                        .into(),
                );
            }
            return;
        }
        let absent: Vec<&str> = parts
            .iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| *name)
            .collect();
        if !absent.is_empty() {
            missing.push(format!(
                "[official_account] is configured in part: official_account.{} missing",
                absent.join(", official_account.")
            ));
        }
        if needs_key && !set(&oa.encoding_aes_key) {
            missing.push(format!(
                "official_account.mode = \"{}\" needs official_account.encoding_aes_key",
                oa.mode.map(CallbackMode::as_str).unwrap_or_default()
            ));
        }
    }
}
