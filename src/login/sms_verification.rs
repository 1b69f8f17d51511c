//! Phone verification by SMS for `need_phone` scenes: send a 6-digit code, then bind the phone
//! with it, which confirms the scene. The browser holds the scene's poll token for both.
//!
//! The code lives in the scene record (so in the ephemeral store, with the scene), as a hash;
//! every wrong guess is counted atomically with the scene's compare-and-set, and after
//! `max_attempts` the code is burnt. Where codes may go and how many is `sms_caps`.

use super::{Error, Saoma, SceneView};
use crate::accounts::Phone;
use crate::scene::{Event, Outcome, PhoneCheck, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::secret::Secret;
use crate::store::now_ms;
use rand::Rng;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use subtle::ConstantTimeEq;

/// A code was sent.
#[derive(Debug, Clone, poem_openapi::Object)]
#[oai(example)]
pub struct SmsSent {
    /// The number the code went to, normalised (E.164).
    pub phone: String,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

enum Verdict {
    Match,
    Wrong { attempts_left: u32 },
}

impl Saoma {
    /// Send a code to `phone` for a `need_phone` scene, asked from the client address `ip`.
    pub async fn send_phone_code(
        &self,
        scene: &str,
        poll_token: Option<&str>,
        phone: &str,
        ip: &str,
    ) -> Result<SmsSent, Error> {
        let phone = self.sms_destination(phone)?;
        let record = self.authorised(scene, poll_token).await?;
        self.send_code_for(&record, &phone, ip).await
    }

    /// The same for the mini-program's own `need_phone` scene (when getPhoneNumber's quota is
    /// spent), authorised by the bearer token of the account the scene waits for.
    pub async fn mini_program_send_phone_code(
        &self,
        bearer: Option<&str>,
        scene: &str,
        phone: &str,
        ip: &str,
    ) -> Result<SmsSent, Error> {
        let account_id = self.mini_program_bearer(bearer)?;
        let phone = self.sms_destination(phone)?;
        let scene = Scene::parse(scene)?;
        let record = self.mini_program_need_phone(&scene, &account_id).await?;
        self.send_code_for(&record, &phone, ip).await
    }

    /// A number SMS codes may go to.
    fn sms_destination(&self, phone: &str) -> Result<Phone, Error> {
        let phone = Phone::parse(phone).map_err(|_| Error::InvalidPhone)?;
        let countries = &self.parts.settings.sms.countries;
        if !countries.allow(&phone) {
            return Err(Error::PhoneCountryNotAllowed {
                allowed: countries.to_string(),
            });
        }
        Ok(phone)
    }

    /// Every cap of `sms_caps` first, then the code into the scene record and out by SMS.
    async fn send_code_for(
        &self,
        record: &SceneRecord,
        phone: &Phone,
        ip: &str,
    ) -> Result<SmsSent, Error> {
        let s = &self.parts.settings.sms;
        let phone = phone.clone();
        ensure_need_phone(record, now_ms(), Event::PhoneBound)?;
        self.admit_sms(record, &phone, ip).await?;

        let code = Secret::new(format!("{:06}", rand::rng().random_range(0..1_000_000u32)));
        let check = PhoneCheck {
            phone: phone.to_string(),
            code_hash: code_hash(&record.scene, &phone, code.expose()),
            attempts: 0,
            expires_at: now_ms() + super::scenes::millis(s.code_ttl),
        };
        self.transition(&record.scene, |r, now| {
            ensure_need_phone(r, now, Event::PhoneBound)?;
            r.phone_check = Some(check.clone());
            Ok(())
        })
        .await?;
        self.parts
            .sms
            .send_code(&phone, &code, s.code_ttl)
            .await
            .map_err(Error::Sms)?;
        self.parts.metrics.sms_sent();
        tracing::info!(scene = %record.scene, phone = %phone.masked(), "phone code sent");
        Ok(SmsSent {
            phone: phone.to_string(),
            expires_in: s.code_ttl.as_secs(),
        })
    }

    /// Check the code, bind the phone to the scene's account (linking it to the account that
    /// already has this phone, if any) and confirm the scene.
    pub async fn bind_phone_by_sms(
        &self,
        scene: &str,
        poll_token: Option<&str>,
        phone: &str,
        code: &str,
    ) -> Result<SceneView, Error> {
        let phone = Phone::parse(phone).map_err(|_| Error::InvalidPhone)?;
        let record = self.authorised(scene, poll_token).await?;
        self.bind_by_sms_for(&record, &phone, code).await
    }

    /// The same for the mini-program's own `need_phone` scene, authorised by its bearer token.
    pub async fn mini_program_bind_phone_by_sms(
        &self,
        bearer: Option<&str>,
        scene: &str,
        phone: &str,
        code: &str,
    ) -> Result<SceneView, Error> {
        let account_id = self.mini_program_bearer(bearer)?;
        let phone = Phone::parse(phone).map_err(|_| Error::InvalidPhone)?;
        let scene = Scene::parse(scene)?;
        let record = self.mini_program_need_phone(&scene, &account_id).await?;
        self.bind_by_sms_for(&record, &phone, code).await
    }

    async fn bind_by_sms_for(
        &self,
        record: &SceneRecord,
        phone: &Phone,
        code: &str,
    ) -> Result<SceneView, Error> {
        let phone = phone.clone();
        let max_attempts = self.parts.settings.sms.max_attempts;
        let presented = code_hash(&record.scene, &phone, code.trim());
        let verdict = Mutex::new(None);
        let checked = self
            .transition(&record.scene, |r, now| {
                ensure_need_phone(r, now, Event::PhoneBound)?;
                let check = r.phone_check.as_mut().ok_or(Error::SmsCodeExpired)?;
                if check.attempts >= max_attempts {
                    return Err(Error::TooManyAttempts);
                }
                if now >= check.expires_at || check.phone != phone.as_str() {
                    return Err(Error::SmsCodeExpired);
                }
                let matches: bool = check
                    .code_hash
                    .as_bytes()
                    .ct_eq(presented.as_bytes())
                    .into();
                let outcome = if matches {
                    Verdict::Match
                } else {
                    check.attempts += 1;
                    Verdict::Wrong {
                        attempts_left: max_attempts.saturating_sub(check.attempts),
                    }
                };
                *verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
                Ok(())
            })
            .await?;
        let verdict = verdict.into_inner().unwrap_or_else(|e| e.into_inner());
        match verdict {
            Some(Verdict::Match) => {}
            Some(Verdict::Wrong { attempts_left: 0 }) => return Err(Error::TooManyAttempts),
            Some(Verdict::Wrong { attempts_left }) => {
                return Err(Error::WrongSmsCode { attempts_left });
            }
            None => return Err(Error::Internal(anyhow::anyhow!("no verdict on the code"))),
        }

        let outcome = checked.outcome.clone().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("need_phone scene without an outcome"))
        })?;
        let binding = self
            .parts
            .accounts
            .bind_phone(&outcome.account_id, &phone)
            .await?;
        let code_hash = presented;
        let confirmed = self
            .transition(&record.scene, |r, now| {
                ensure_need_phone(r, now, Event::PhoneBound)?;
                // The same code still pending: no one else used it meanwhile.
                if r.phone_check.as_ref().map(|c| &c.code_hash) != Some(&code_hash) {
                    return Err(Error::SmsCodeExpired);
                }
                r.apply(Event::PhoneBound, now)?;
                r.phone_check = None;
                r.outcome = Some(Outcome {
                    account_id: binding.account.id.clone(),
                    app_id: outcome.app_id.clone(),
                });
                Ok(())
            })
            .await?;
        tracing::info!(
            scene = %record.scene,
            phone = %phone.masked(),
            linked = binding.linked,
            "phone bound by SMS"
        );
        Ok(self.view(&confirmed, now_ms()))
    }
}

/// The scene must wait for a phone; an expired or consumed scene says so (410).
pub(crate) fn ensure_need_phone(r: &SceneRecord, now: i64, event: Event) -> Result<(), Error> {
    let from = r.status_at(now);
    if from != SceneStatus::NeedPhone {
        return Err(TransitionError { from, event }.into());
    }
    Ok(())
}

/// What the record keeps instead of the code: bound to the scene and the phone, so a code is
/// good for nothing else.
fn code_hash(scene: &Scene, phone: &Phone, code: &str) -> String {
    let mut hash = Sha256::new();
    for part in [scene.as_str(), phone.as_str(), code] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(hash.finalize())
}
