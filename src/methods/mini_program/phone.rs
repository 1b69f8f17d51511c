//! The mini-program's getPhoneNumber button: WeChat vouches for the number, so it is bound
//! like a number verified by SMS (a number already on another account links this one to it).
//!
//! Every successful `getuserphonenumber` is charged (docs/wechat.md section 9), so WeChat is
//! asked only for an account without a number, and each address only so often
//! (`limits.phone_numbers_per_ip_per_minute`). The calls are counted in
//! `saoma_wechat_calls_total{endpoint="wxa/business/getuserphonenumber"}`.

use super::MiniProgram;
use crate::accounts::Phone;
use crate::login::{AccountView, Error, Saoma, TokenSet, ensure_need_phone};
use crate::scene::{Event, Outcome, Provider, Scene, SceneStatus};

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

/// Redeem a getPhoneNumber `code` for the account of the bearer token (issued to this
/// mini-program), asked from the client address `ip`. With `scene`, a `need_phone` scene
/// this account is logging into is confirmed too. An account that already has a number
/// keeps it, and WeChat is not asked (the code stays unspent).
pub(super) async fn bind(
    saoma: &Saoma,
    bearer: Option<&str>,
    code: &str,
    scene: Option<&str>,
    ip: &str,
) -> Result<PhoneResult, Error> {
    let mp = saoma.method::<MiniProgram>(Provider::MiniProgram)?.clone();
    let account_id = saoma.mini_program_bearer(bearer)?;
    saoma.admit_phone_number(ip).await?;
    let scene = scene.map(Scene::parse).transpose()?;
    if let Some(scene) = &scene {
        // Fail before spending the single-use code on a scene that cannot move.
        saoma.mini_program_need_phone(scene, &account_id).await?;
    }
    let account = saoma
        .account(&account_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if account.phone.is_some() {
        tracing::info!("getPhoneNumber skipped: the account has a verified number");
        let scene_status = match &scene {
            Some(scene) => Some(confirm_with_phone(saoma, scene, &account.id, &mp).await?),
            None => None,
        };
        return Ok(PhoneResult {
            account: AccountView::from(&account),
            linked: false,
            tokens: None,
            scene_status,
        });
    }
    let info = saoma.wechat().user_phone_number(&mp.app, code).await?;
    if info.watermark.appid != mp.app.app_id.as_str() {
        return Err(Error::Internal(anyhow::anyhow!(
            "getuserphonenumber answered with another app's watermark"
        )));
    }
    let phone = Phone::from_parts(&info.country_code, &info.pure_phone_number)
        .map_err(|_| Error::InvalidPhone)?;
    let binding = saoma.accounts().bind_phone(&account.id, &phone).await?;
    tracing::info!(phone = %phone.masked(), linked = binding.linked, "phone bound by WeChat");

    let scene_status = match &scene {
        Some(scene) => Some(
            confirm_with_phone(saoma, scene, &binding.account.id, &mp)
                .await?,
        ),
        None => None,
    };
    let tokens = if binding.linked {
        Some(
            saoma.mint(&binding.account.id, Provider::MiniProgram, &mp.app.app_id)
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

/// The `need_phone` scene's login goes on with `account_id`, which now has a number.
async fn confirm_with_phone(
    saoma: &Saoma,
    scene: &Scene,
    account_id: &str,
    mp: &MiniProgram,
) -> Result<SceneStatus, Error> {
    let outcome = Outcome {
        account_id: account_id.to_owned(),
        app_id: mp.app.app_id.clone(),
    };
    let record = saoma
        .transition(scene, |r, now| {
            ensure_need_phone(r, now, Event::PhoneBound)?;
            r.apply(Event::PhoneBound, now)?;
            r.phone_check = None;
            r.outcome = Some(outcome.clone());
            Ok(())
        })
        .await?;
    Ok(record.status)
}
