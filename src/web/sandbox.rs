//! What the phone simulator needs from Saoma itself (the sandbox cannot see Saoma's scenes):
//! which provider a scanned scene belongs to, so that the page shows the matching buttons.
//! Mounted under `/sandbox` only when the sandbox is on.

use crate::providers::{RequesterView, Saoma};
use crate::scene::Scene;
use crate::store::now_ms;
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{IntoResponse, Response, Route, get, handler};
use poem_openapi::types::ToJSON;
use serde_json::json;
use std::sync::Arc;

/// Add the phone page's helpers to the sandbox's routes.
pub fn sandbox_helpers(route: Route) -> Route {
    route.at("/api/scenes/:scene", get(scene_info))
}

/// `GET /sandbox/api/scenes/{scene}` -> `{provider, status, requester}`; 404 `scene_not_found`.
#[handler]
async fn scene_info(saoma: Data<&Arc<Saoma>>, Path(scene): Path<String>) -> Response {
    let not_found = || {
        let body = json!({"code": "scene_not_found", "message": "no such scene"});
        (StatusCode::NOT_FOUND, Json(body)).into_response()
    };
    let Ok(scene) = Scene::parse(scene) else {
        return not_found();
    };
    match saoma.scenes.get(&scene).await {
        Ok(Some(found)) => {
            let record = found.record;
            Json(json!({
                "provider": record.provider,
                "status": record.status_at(now_ms()),
                "requester": RequesterView::from(&record.requester).to_json(),
            }))
            .into_response()
        }
        Ok(None) => not_found(),
        Err(e) => {
            tracing::warn!(error = %crate::telemetry::chain(&e), "sandbox scene lookup failed");
            let body = json!({"code": "store_unavailable", "message": "the store is unavailable"});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}
