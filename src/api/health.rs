//! Liveness and readiness.

use super::error::ApiError;
use crate::providers::Saoma;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// For load balancers and orchestrators.
    Health,
}

#[derive(Object)]
pub struct Health {
    /// `ok`
    pub status: String,
}

pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The process is alive
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// The store and the database answer
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self, saoma: Data<&Arc<Saoma>>) -> Result<Json<Health>, ApiError> {
        saoma.ready().await?;
        Ok(Json(Health {
            status: "ok".into(),
        }))
    }
}
