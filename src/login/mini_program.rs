//! The mini-program code: the page shows a code carrying the scene; the mini-program opens
//! with it, reports the scan, and confirms with `wx.login()`'s code.

use super::bearer::ensure_mini_program;
use super::code_pool::CodePool;
use super::complete::LoginOrigin;
use super::{
    AccountView, CreatedScene, Error, LoginMethod, LoginResult, NewScene, Qr, RequesterView, Saoma,
};
use crate::accounts::NewIdentity;
use crate::scene::{Event, Provider, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;
use crate::wechat::{AppCredentials, WxaCodeRequest};
use std::sync::Arc;

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

/// `wx.login()`'s code, and optionally the scene the user is answering.
pub struct LoginRequest {
    pub code: String,
    pub scene: Option<String>,
    pub approve: bool,
    /// The phone's address: a login without a scene is throttled by it.
    pub requester_ip: String,
}

#[async_trait::async_trait]
impl LoginMethod for MiniProgram {
    fn provider(&self) -> Provider {
        Provider::MiniProgram
    }

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
    }

    async fn create_scene(&self, saoma: &Saoma, new: NewScene) -> Result<CreatedScene, Error> {
        saoma.create_mini_program_scene(new).await
    }
}

impl Saoma {
    pub(super) fn mini_program(&self) -> Result<&MiniProgram, Error> {
        self.method(Provider::MiniProgram)
    }

    /// Create a scene and draw its mini-program code. Without a browser-chosen scene, a code
    /// from the pool is used when one is ready (no WeChat call). If WeChat fails, the scene is
    /// released so the browser may retry with the same id.
    async fn create_mini_program_scene(&self, new: NewScene) -> Result<CreatedScene, Error> {
        let mp = self.mini_program()?.clone();
        let pooled = match (&new.scene, &mp.pool) {
            (None, Some(pool)) => pool.take(std::time::Instant::now()),
            _ => None,
        };
        if let Some(pooled) = pooled {
            let new = NewScene {
                scene: Some(pooled.scene.to_string()),
                ..new
            };
            let (record, poll_token) = self.insert_scene(new).await?;
            return Ok(self.created_scene(&record, &poll_token, code(pooled.data_url)));
        }
        let (record, poll_token) = self.insert_scene(new).await?;
        let request = WxaCodeRequest {
            scene: record.scene.to_string(),
            page: mp.page.clone(),
            check_path: mp.check_path,
            env_version: mp.env_version.clone(),
            width: mp.width,
        };
        let drawn = match self.wxacode_budget(&mp.app.app_id).await {
            Ok(()) => self
                .parts
                .wechat
                .wxacode_unlimit(&mp.app, &request)
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        let image = match drawn {
            Ok(image) => image,
            Err(e) => {
                self.release_scene(&record.scene).await;
                return Err(e);
            }
        };
        Ok(self.created_scene(&record, &poll_token, code(image.data_url())))
    }

    /// The mini-program opened the code: mark the scene scanned and say who asked to log in.
    pub async fn mini_program_scan(&self, scene: &str) -> Result<RequesterView, Error> {
        let scene = Scene::parse(scene)?;
        let record = self
            .transition(&scene, |r, now| {
                ensure_mini_program(r)?;
                Ok(r.apply(Event::Scan, now)?)
            })
            .await?;
        Ok(RequesterView::from(&record.requester))
    }

    /// `jscode2session`, the account, and with a scene: confirm or cancel it.
    pub async fn mini_program_login(&self, req: LoginRequest) -> Result<LoginResult, Error> {
        let mp = self.mini_program()?.clone();
        let scene = req.scene.map(Scene::parse).transpose()?;
        if let Some(scene) = &scene {
            // Fail before spending the user's single-use code on a scene that cannot move.
            let found = self
                .parts
                .scenes
                .get(scene)
                .await?
                .ok_or(Error::SceneNotFound)?;
            ensure_mini_program(&found.record)?;
            let status = found.record.status_at(now_ms());
            if !status.is_waiting() {
                let refused = TransitionError {
                    from: status,
                    event: Event::Confirm,
                };
                return Err(refused.into());
            }
        } else {
            self.admit_direct_login(&req.requester_ip).await?;
        }
        let session = match self.parts.wechat.jscode2session(&mp.app, &req.code).await {
            Ok(session) => session,
            Err(e) => return Err(self.login_failed(scene.as_ref(), e.into()).await),
        };
        let identity = NewIdentity {
            provider: Provider::MiniProgram,
            app_id: mp.app.app_id.clone(),
            openid: session.openid,
            unionid: session.unionid,
            nickname: None,
            avatar: None,
        };
        let origin = LoginOrigin {
            scene: scene.clone(),
            ip: Some(req.requester_ip.clone()),
            user_agent: None,
        };
        let account = self.complete_login(&identity, origin).await?;
        let scene_status = match &scene {
            Some(scene) => {
                let record = if req.approve {
                    self.confirm_identity(
                        scene,
                        Provider::MiniProgram,
                        &account,
                        &mp.app.app_id,
                        None,
                    )
                    .await?
                } else {
                    let record = self.transition(scene, cancel).await?;
                    tracing::info!(scene = %scene, "mini-program cancelled");
                    record
                };
                Some(record.status)
            }
            None => None,
        };
        let tokens = self
            .mint(&account.id, Provider::MiniProgram, &mp.app.app_id)
            .await?;
        Ok(LoginResult {
            account: AccountView::from(&account),
            tokens,
            scene_status,
        })
    }
}

/// What the browser shows: the code, as a `data:` URL.
fn code(data_url: String) -> Qr {
    Qr {
        image: Some(data_url),
        ..Qr::default()
    }
}

/// The user refused; a scene the mini-program never reported as scanned is scanned first.
fn cancel(r: &mut SceneRecord, now: i64) -> Result<(), Error> {
    if r.status_at(now) == SceneStatus::Pending {
        r.apply(Event::Scan, now)?;
    }
    r.apply(Event::Cancel, now)?;
    Ok(())
}
