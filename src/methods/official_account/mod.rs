//! The official account: the page shows a temporary parametric QR (`QR_STR_SCENE`); a new
//! user follows (WeChat pushes `subscribe` with `EventKey=qrscene_<scene>`), a follower scans
//! (`SCAN` with the bare scene); the push, once authenticated, confirms the scene.
//!
//! - `push`: authenticate and read a push (signatures, replay window, decryption, XML).
//! - `effects`: what each event does to scenes and accounts, and the passive reply.
//! - `qr`: the QR drawn locally from the ticket's `url`.

mod api;
mod effects;
mod push;
mod qr;

pub(crate) use api::OfficialAccountApi;
pub use push::{PushQuery, UrlCheck};

use super::Setup;
use crate::config::{CallbackMode, OfficialAccountSettings, UnfollowPolicy};
use crate::login::{CreatedScene, Error, LoginMethod, NewScene, Qr, Saoma};
use crate::scene::Provider;
use crate::secret::Secret;
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
    /// The account `[official_account]` configures (or the sandbox plays), if any.
    pub(crate) fn from_setup(setup: &Setup<'_>) -> anyhow::Result<Option<OfficialAccount>> {
        setup
            .official_account
            .map(|oa| OfficialAccount::from_settings(oa.clone(), setup.config.accounts.unfollow))
            .transpose()
    }

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

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
    }

    /// Create a server-generated scene and its temporary QR, drawn locally from the ticket's
    /// `url` (no second round trip to showqrcode). If WeChat fails, the scene is released.
    async fn create_scene(&self, saoma: &Saoma, new: NewScene) -> Result<CreatedScene, Error> {
        let oa = self;
        if new.scene.is_some() {
            return Err(Error::SceneNotAllowed(Provider::OfficialAccount));
        }
        let (record, poll_token) = saoma.insert_scene(new).await?;
        let request = QrCodeRequest {
            scene_str: record.scene.to_string(),
            expire_seconds: oa.qr_expire_seconds,
        };
        let drawn = match saoma.wechat().qrcode_create(&oa.app, &request).await {
            Ok(ticket) => qr::data_url(ticket.url).await,
            Err(e) => Err(e.into()),
        };
        let image = match drawn {
            Ok(image) => image,
            Err(e) => {
                saoma.release_scene(&record.scene).await;
                return Err(e);
            }
        };
        let qr = Qr {
            image: Some(image),
            ..Qr::default()
        };
        Ok(saoma.created_scene(&record, &poll_token, qr))
    }
}
