//! The mini-program code: the page shows a code carrying the scene; the mini-program opens
//! with it, reports the scan, and confirms with `wx.login()`'s code.
//!
//! - `login`: the scan and the login (`jscode2session`), with a scene or without.
//! - `phone`: the getPhoneNumber button's number bound to the account.
//! - `code_pool`: codes drawn ahead of time for scenes Saoma picks.
//! - `api`, `sms_api`: its HTTP operations (`/api/v1/mini-program/*`).

mod api;
mod code_pool;
mod login;
mod phone;
mod sms_api;

pub(crate) use api::MiniProgramApi;
pub use login::LoginRequest;
pub use phone::PhoneResult;
pub(crate) use sms_api::MiniProgramSmsApi;

use super::Setup;
use crate::login::{CreatedScene, Error, LoginMethod, NewScene, Qr, Saoma};
use crate::scene::Provider;
use crate::wechat::{AppCredentials, WxaCodeRequest};
use code_pool::CodePool;
use std::sync::Arc;

/// Its two groups of HTTP operations, as the methods' table mounts them.
pub(crate) type MiniProgramApis = (MiniProgramApi, MiniProgramSmsApi);

/// The configured mini-program and how its code is drawn.
#[derive(Debug, Clone)]
pub struct MiniProgram {
    pub app: AppCredentials,
    pub page: String,
    pub env_version: String,
    pub check_path: bool,
    pub width: u32,
    /// Codes drawn ahead of time (`mini_program.pool_size`; `None`: off).
    pub pool: Option<Arc<CodePool>>,
}

impl MiniProgram {
    /// The mini-program `[mini_program]` configures (or the sandbox plays), if any, with its
    /// code pool filling in the background when `pool_size` asks for one.
    pub(crate) fn from_setup(setup: &Setup<'_>) -> anyhow::Result<Option<MiniProgram>> {
        let config = setup.config;
        let Some((app_id, secret)) = config.mini_program_credentials() else {
            return Ok(None);
        };
        let mp = MiniProgram {
            app: AppCredentials { app_id, secret },
            page: config.mini_program.page.clone(),
            env_version: config.mini_program.env_version.clone(),
            check_path: config.mini_program.check_path,
            width: config.mini_program.width,
            pool: None,
        };
        Ok(Some(MiniProgram {
            pool: code_pool::from_setup(setup, &mp),
            ..mp
        }))
    }
}

#[async_trait::async_trait]
impl LoginMethod for MiniProgram {
    fn provider(&self) -> Provider {
        Provider::MiniProgram
    }

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
    }

    /// Create a scene and draw its mini-program code. Without a browser-chosen scene, a code
    /// from the pool is used when one is ready (no WeChat call). If WeChat fails, the scene is
    /// released so the browser may retry with the same id.
    async fn create_scene(&self, saoma: &Saoma, new: NewScene) -> Result<CreatedScene, Error> {
        let mp = self;
        let pooled = match (&new.scene, &mp.pool) {
            (None, Some(pool)) => pool.take(std::time::Instant::now()),
            _ => None,
        };
        if let Some(pooled) = pooled {
            let new = NewScene {
                scene: Some(pooled.scene.to_string()),
                ..new
            };
            let (record, poll_token) = saoma.insert_scene(new).await?;
            return Ok(saoma.created_scene(&record, &poll_token, code(pooled.data_url)));
        }
        let (record, poll_token) = saoma.insert_scene(new).await?;
        let request = WxaCodeRequest {
            scene: record.scene.to_string(),
            page: mp.page.clone(),
            check_path: mp.check_path,
            env_version: mp.env_version.clone(),
            width: mp.width,
        };
        let drawn = match saoma.wxacode_budget(&mp.app.app_id).await {
            Ok(()) => saoma
                .wechat()
                .wxacode_unlimit(&mp.app, &request)
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        let image = match drawn {
            Ok(image) => image,
            Err(e) => {
                saoma.release_scene(&record.scene).await;
                return Err(e);
            }
        };
        Ok(saoma.created_scene(&record, &poll_token, code(image.data_url())))
    }
}

/// What the browser shows: the code, as a `data:` URL.
fn code(data_url: String) -> Qr {
    Qr {
        image: Some(data_url),
        ..Qr::default()
    }
}

