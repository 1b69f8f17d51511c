//! The official account: the page shows a temporary parametric QR (`QR_STR_SCENE`); a new
//! user follows (WeChat pushes `subscribe` with `EventKey=qrscene_<scene>`), a follower scans
//! (`SCAN` with the bare scene); the push, once authenticated, confirms the scene.
//!
//! - `push`: authenticate and read a push (signatures, replay window, decryption, XML).
//! - `effects`: what each event does to scenes and accounts, and the passive reply.
//! - `qr`: the QR drawn locally from the ticket's `url`.

mod effects;
mod push;
mod qr;

pub use push::{PushQuery, PushRefusal, UrlCheck};

use super::{CreatedScene, Error, LoginMethod, NewScene, Qr, Saoma};
use crate::config::{CallbackMode, OfficialAccountSettings, UnfollowPolicy};
use crate::scene::Provider;
use crate::secret::Secret;
use crate::store::now_ms;
use crate::wechat::callback::AesKey;
use crate::wechat::{AppCredentials, QrCodeRequest};
use anyhow::Context;

/// The configured official account and how its callback is checked.
#[derive(Debug, Clone)]
pub struct OfficialAccount {
    pub app: AppCredentials,
    /// The callback Token (signs every push).
    pub token: Secret,
    /// From the EncodingAESKey; required unless the mode is `plain`.
    pub aes_key: Option<AesKey>,
    pub mode: CallbackMode,
    pub qr_expire_seconds: u64,
    pub unfollow: UnfollowPolicy,
}

impl OfficialAccount {
    /// From the resolved config; fails on an EncodingAESKey that is not 43 base64 characters.
    pub fn from_settings(
        settings: OfficialAccountSettings,
        unfollow: UnfollowPolicy,
    ) -> anyhow::Result<OfficialAccount> {
        let aes_key = settings
            .encoding_aes_key
            .as_ref()
            .map(|key| AesKey::parse(key.expose()))
            .transpose()
            .context("official_account.encoding_aes_key must be 43 base64 characters")?;
        Ok(OfficialAccount {
            app: AppCredentials {
                app_id: settings.app_id,
                secret: settings.app_secret,
            },
            token: settings.token,
            aes_key,
            mode: settings.mode,
            qr_expire_seconds: settings.qr_expire_seconds,
            unfollow,
        })
    }
}

/// What the callback answers a push that was accepted: `success`, or a passive reply (XML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAnswer {
    Success,
    Xml(String),
}

impl PushAnswer {
    pub fn into_body(self) -> String {
        match self {
            PushAnswer::Success => "success".into(),
            PushAnswer::Xml(xml) => xml,
        }
    }
}

#[async_trait::async_trait]
impl LoginMethod for OfficialAccount {
    fn provider(&self) -> Provider {
        Provider::OfficialAccount
    }

    async fn create_scene(&self, saoma: &Saoma, new: NewScene) -> Result<CreatedScene, Error> {
        saoma.create_official_account_scene(new).await
    }
}

impl Saoma {
    pub(crate) fn official_account(&self) -> Result<&OfficialAccount, Error> {
        self.method(Provider::OfficialAccount)
    }

    /// Create a server-generated scene and its temporary QR, drawn locally from the ticket's
    /// `url` (no second round trip to showqrcode). If WeChat fails, the scene is released.
    async fn create_official_account_scene(&self, new: NewScene) -> Result<CreatedScene, Error> {
        let oa = self.official_account()?;
        if new.scene.is_some() {
            return Err(Error::SceneNotAllowed(Provider::OfficialAccount));
        }
        let (record, poll_token) = self.insert_scene(new).await?;
        let request = QrCodeRequest {
            scene_str: record.scene.to_string(),
            expire_seconds: oa.qr_expire_seconds,
        };
        let drawn = match self.wechat.qrcode_create(&oa.app, &request).await {
            Ok(ticket) => qr::data_url(ticket.url).await,
            Err(e) => Err(e.into()),
        };
        let image = match drawn {
            Ok(image) => image,
            Err(e) => {
                if let Err(del) = self.scenes.delete(&record.scene).await {
                    tracing::warn!(error = %crate::telemetry::chain(&del), "could not release a scene after a WeChat error");
                }
                return Err(e);
            }
        };
        Ok(CreatedScene {
            scene: record.scene.to_string(),
            provider: Provider::OfficialAccount,
            poll_token: poll_token.expose().to_string(),
            status: record.status,
            expires_in: record.expires_in(now_ms()),
            interval: self.settings.interval_secs,
            qr: Qr {
                image: Some(image),
                ..Qr::default()
            },
        })
    }
}
