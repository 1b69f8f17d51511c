//! `/api/v1/mini-program`: what the mini-program calls.

use super::SceneId;
use super::error::ApiError;
use crate::providers::{LoginRequest, LoginResult, RequesterView, Saoma};
use crate::scene::SceneStatus;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Called by the mini-program on the user's phone.
    MiniProgram,
}

/// The scene the mini-program was opened with (`decodeURIComponent(query.scene)`).
#[derive(Object, Debug)]
pub struct ScanRequest {
    pub scene: SceneId,
}

/// Who asked to log in: show it before the user confirms.
#[derive(Object, Debug)]
pub struct ScanResponse {
    pub scene: String,
    pub status: SceneStatus,
    pub requester: RequesterView,
}

/// `wx.login()`'s code; with a scene, the user's answer to the browser's login.
#[derive(Object)]
pub struct MiniProgramLoginRequest {
    /// The code from `wx.login()` (single use, 5 minutes).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub code: String,
    pub scene: Option<SceneId>,
    /// Confirm (true) or cancel (false) the scene's login.
    #[oai(default = "default_approve")]
    pub approve: bool,
}

fn default_approve() -> bool {
    true
}

impl std::fmt::Debug for MiniProgramLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniProgramLoginRequest")
            .field("code", &"[redacted]")
            .field("scene", &self.scene)
            .field("approve", &self.approve)
            .finish()
    }
}

pub struct MiniProgramApi;

#[OpenApi(prefix_path = "/api/v1/mini-program", tag = "ApiTags::MiniProgram")]
impl MiniProgramApi {
    /// Report that the code was scanned
    ///
    /// Marks the scene `scanned` and returns the requester to display.
    #[oai(path = "/scan", method = "post")]
    async fn scan(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<ScanRequest>,
    ) -> Result<Json<ScanResponse>, ApiError> {
        let requester = saoma.mini_program_scan(&body.0.scene.0).await?;
        Ok(Json(ScanResponse {
            scene: body.0.scene.0,
            status: SceneStatus::Scanned,
            requester,
        }))
    }

    /// Log in with wx.login()'s code, and confirm or cancel a scene
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        saoma: Data<&Arc<Saoma>>,
        body: Json<MiniProgramLoginRequest>,
    ) -> Result<Json<LoginResult>, ApiError> {
        let body = body.0;
        let result = saoma
            .mini_program_login(LoginRequest {
                code: body.code,
                scene: body.scene.map(|s| s.0),
                approve: body.approve,
            })
            .await?;
        Ok(Json(result))
    }
}
