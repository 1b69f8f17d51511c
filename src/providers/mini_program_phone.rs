//! The mini-program's getPhoneNumber button: WeChat vouches for the number, so it is bound
//! like a number verified by SMS (a number already on another account links this one to it).

use super::mini_program::ensure_mini_program;
use super::sms_verification::ensure_need_phone;
use super::{AccountView, Error, Saoma, TokenSet};
use crate::accounts::Phone;
use crate::scene::{Event, Outcome, Provider, Scene, SceneStatus};
use crate::store::now_ms;

/// The account after binding.
#[derive(Debug, Clone, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct PhoneResult {
    /// The account the number is now bound to.
    pub account: AccountView,
    /// The number belonged to another account: this identity now logs into that one.
    pub linked: bool,
    /// New tokens for the linked account, present when `linked` (the old ones name an account
    /// that no longer exists).
    pub tokens: Option<TokenSet>,
    /// The browser scene's status after binding, when a `need_phone` scene was given.
    pub scene_status: Option<SceneStatus>,
}

impl Saoma {
    /// Redeem a getPhoneNumber `code` for the account of the bearer token (issued to this
    /// mini-program). With `scene`, a `need_phone` scene this account is logging into is
    /// confirmed too.
    pub async fn mini_program_phone(
        &self,
        bearer: Option<&str>,
        code: &str,
        scene: Option<&str>,
    ) -> Result<PhoneResult, Error> {
        let mp = self.mini_program()?.clone();
        let claims = bearer
            .and_then(|t| self.signer.verify(t).ok())
            .ok_or(Error::Unauthenticated)?;
        if claims.provider != Provider::MiniProgram.as_str()
            || claims.app_id != mp.app.app_id.as_str()
        {
            return Err(Error::TokenNotAccepted);
        }
        let scene = scene.map(Scene::parse).transpose()?;
        if let Some(scene) = &scene {
            // Fail before spending the single-use code on a scene that cannot move.
            let found = self.scenes.get(scene).await?.ok_or(Error::SceneNotFound)?;
            ensure_mini_program(&found.record)?;
            ensure_need_phone(&found.record, now_ms(), Event::PhoneBound)?;
            if found.record.outcome.as_ref().map(|o| &o.account_id) != Some(&claims.sub) {
                return Err(Error::TokenNotAccepted);
            }
        }
        let info = self.wechat.user_phone_number(&mp.app, code).await?;
        if info.watermark.appid != mp.app.app_id.as_str() {
            return Err(Error::Internal(anyhow::anyhow!(
                "getuserphonenumber answered with another app's watermark"
            )));
        }
        let phone = Phone::from_parts(&info.country_code, &info.pure_phone_number)
            .map_err(|_| Error::InvalidPhone)?;
        let binding = self.accounts.bind_phone(&claims.sub, &phone).await?;
        tracing::info!(phone = %phone.masked(), linked = binding.linked, "phone bound by WeChat");

        let scene_status = match &scene {
            Some(scene) => {
                let outcome = Outcome {
                    account_id: binding.account.id.clone(),
                    app_id: mp.app.app_id.clone(),
                };
                let record = self
                    .transition(scene, |r, now| {
                        ensure_need_phone(r, now, Event::PhoneBound)?;
                        r.apply(Event::PhoneBound, now)?;
                        r.phone_check = None;
                        r.outcome = Some(outcome.clone());
                        Ok(())
                    })
                    .await?;
                Some(record.status)
            }
            None => None,
        };
        let tokens = if binding.linked {
            Some(
                self.mint(&binding.account.id, Provider::MiniProgram, &mp.app.app_id)
                    .await?,
            )
        } else {
            None
        };
        Ok(PhoneResult {
            account: AccountView::from(&binding.account),
            linked: binding.linked,
            tokens,
            scene_status,
        })
    }
}
