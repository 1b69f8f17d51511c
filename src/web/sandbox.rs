//! What the phone simulator needs from Saoma itself (the sandbox cannot see Saoma's scenes):
//! which provider a scanned scene belongs to, so that the page shows the matching buttons.
//! Mounted under `/sandbox` only when the sandbox is on.

use crate::login::Saoma;
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{IntoResponse, Response, handler};
use poem_openapi::types::ToJSON;
use serde_json::json;
use std::sync::Arc;

/// `GET /sandbox/api/scenes/{scene}` -> `{provider, status, requester}`; 404 `scene_not_found`.
#[handler]
pub async fn scanned_scene(saoma: Data<&Arc<Saoma>>, Path(scene): Path<String>) -> Response {
    match saoma.scanned(&scene).await {
        Ok(Some(scanned)) => Json(json!({
            "provider": scanned.provider,
            "status": scanned.status,
            "requester": scanned.requester.to_json(),
        }))
        .into_response(),
        Ok(None) => {
            let body = json!({"code": "scene_not_found", "message": "no such scene"});
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %crate::telemetry::chain(&e), "sandbox scene lookup failed");
            let body = json!({"code": "store_unavailable", "message": "the store is unavailable"});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}
