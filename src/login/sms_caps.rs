//! How many SMS codes go out, and where to: what makes SMS pumping (an attacker looping logins
//! to have codes sent to numbers whose traffic pays them) pointless.
//!
//! A code goes only to a number of an allowed country (`sms.allowed_country_codes`, default
//! `+86`), and each send is counted per scene, per phone, per client address, per account and,
//! for the whole cluster, per hour (`sms.budget_per_hour`). The counters are the store's rate
//! limits, so with Redis they hold across instances. A spent budget answers 503
//! `sms_budget_exhausted` and counts in `saoma_sms_budget_exhausted_total`, for an alert.

use super::{Error, Saoma};
use crate::accounts::Phone;
use crate::limits::{Rule, Verdict};
use crate::scene::SceneRecord;
use sha2::{Digest, Sha256};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `[sms]`: how codes behave, where they may go and how many may be sent.
#[derive(Debug, Clone)]
pub struct SmsSettings {
    pub code_ttl: Duration,
    pub max_attempts: u32,
    /// Codes per scene, within the scene's lifetime.
    pub per_scene: Rule,
    /// One code per phone per `sms.resend_interval_seconds`.
    pub resend: Rule,
    pub per_phone: Rule,
    pub per_address: Rule,
    pub per_account: Rule,
    /// Every code sent by the cluster, per hour.
    pub budget: Rule,
    pub countries: CountryCodes,
}

/// The `[sms]` numbers, as configured.
pub struct SmsCaps<'a> {
    pub code_ttl_seconds: u64,
    pub max_attempts: u32,
    pub resend_interval_seconds: u64,
    pub max_per_scene: u64,
    pub max_per_phone_per_hour: u64,
    pub max_per_ip_per_hour: u64,
    pub max_per_account_per_day: u64,
    pub budget_per_hour: u64,
    pub allowed_country_codes: &'a [String],
}

impl SmsSettings {
    /// `caps` for scenes that live `scene_lifetime`; a malformed country code is refused,
    /// naming the setting.
    pub fn new(caps: SmsCaps<'_>, scene_lifetime: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            code_ttl: Duration::from_secs(caps.code_ttl_seconds),
            max_attempts: caps.max_attempts,
            per_scene: Rule::new(caps.max_per_scene, scene_lifetime),
            resend: Rule::new(1, Duration::from_secs(caps.resend_interval_seconds)),
            per_phone: Rule::new(caps.max_per_phone_per_hour, HOUR),
            per_address: Rule::new(caps.max_per_ip_per_hour, HOUR),
            per_account: Rule::new(caps.max_per_account_per_day, DAY),
            budget: Rule::new(caps.budget_per_hour, HOUR),
            countries: CountryCodes::parse(caps.allowed_country_codes)?,
        })
    }
}

/// The E.164 country codes SMS may go to (`+86`, `+852`, `+1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCodes(Vec<String>);

impl CountryCodes {
    /// `+` and 1 to 3 digits, not starting with 0; at least one.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !entries.is_empty(),
            "sms.allowed_country_codes is empty: list the country codes SMS codes may go to, \
             such as [\"+86\"]"
        );
        let mut codes = Vec::with_capacity(entries.len());
        for entry in entries {
            let digits = entry.trim().strip_prefix('+').unwrap_or_default();
            anyhow::ensure!(
                (1..=3).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0'),
                "sms.allowed_country_codes: {entry:?} is not a country code \
                 (`+` and 1 to 3 digits, such as \"+86\")"
            );
            codes.push(format!("+{digits}"));
        }
        Ok(Self(codes))
    }

    /// Whether `phone` is a number of one of the countries (E.164 country codes are
    /// prefix-free, so a prefix match is a country match).
    pub fn allow(&self, phone: &Phone) -> bool {
        self.0.iter().any(|code| phone.as_str().starts_with(code))
    }
}

impl std::fmt::Display for CountryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

impl Saoma {
    /// Count one code for `phone`, asked by `ip` for the `need_phone` scene `record`, against
    /// every cap; the cluster-wide budget last, so that only a send every other cap allows
    /// spends it.
    pub(super) async fn admit_sms(
        &self,
        record: &SceneRecord,
        phone: &Phone,
        ip: &str,
    ) -> Result<(), Error> {
        let s = &self.parts.settings.sms;
        let phone_key = hex::encode(&Sha256::digest(phone.as_str().as_bytes())[..12]);
        // Each cap counts its hit before it checks, so the order matters: first what the sender
        // controls (its scene, address and account), then the number. A send refused for its
        // sender never counts against the number, or a capped sender could lock other
        // people's numbers out of their codes without a message going out.
        let mut caps = vec![
            (
                format!("sms:scene:{}", record.scene),
                s.per_scene,
                "sms_per_scene",
            ),
            (
                format!("sms:ip:{}", self.parts.limits.addresses.key(ip)),
                s.per_address,
                "sms_per_ip",
            ),
        ];
        if let Some(outcome) = &record.outcome {
            caps.push((
                format!("sms:account:{}", outcome.account_id),
                s.per_account,
                "sms_per_account",
            ));
        }
        caps.push((format!("sms:phone:{phone_key}"), s.resend, "sms_resend"));
        caps.push((
            format!("sms:phone-hour:{phone_key}"),
            s.per_phone,
            "sms_per_phone",
        ));
        for (key, rule, limit) in caps {
            self.enforce(&key, rule, limit, "SMS codes").await?;
        }
        match self.hit("sms:budget", s.budget).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after } => {
                tracing::warn!(
                    "sms.budget_per_hour is spent: no SMS code goes out until the hour ends"
                );
                self.parts.metrics.sms_budget_exhausted();
                Err(Error::SmsBudgetExhausted { retry_after })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> anyhow::Result<CountryCodes> {
        CountryCodes::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_number_is_allowed_by_its_country_code_only() {
        let cn = codes(&["+86"]).unwrap();
        assert!(cn.allow(&Phone::parse("13800138000").unwrap()));
        assert!(!cn.allow(&Phone::parse("+447700900123").unwrap()));
        assert!(!cn.allow(&Phone::parse("+85251234567").unwrap()));
        let more = codes(&["+86", " +852", "+1"]).unwrap();
        assert!(more.allow(&Phone::parse("+85251234567").unwrap()));
        assert!(more.allow(&Phone::parse("+14155552671").unwrap()));
    }

    #[test]
    fn a_malformed_or_empty_list_is_refused_naming_the_setting() {
        for bad in [&[][..], &["86"], &["+"], &["+0"], &["+8612"], &["+8a"]] {
            let err = codes(bad).unwrap_err().to_string();
            assert!(err.contains("sms.allowed_country_codes"), "{bad:?}: {err}");
        }
    }
}
