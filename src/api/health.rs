//! Liveness and readiness.

use crate::edge::op_error::{OpError, errors};
use crate::login::{ClusterState, Saoma};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// For load balancers and orchestrators.
    Health,
}

#[derive(Object)]
#[oai(example)]
pub struct Health {
    /// `ok`
    pub status: String,
}

/// The state of one component.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ComponentState {
    Ok,
    Unavailable,
}

impl ComponentState {
    fn of(up: bool) -> Self {
        if up { Self::Ok } else { Self::Unavailable }
    }
}

/// Each dependency's state.
#[derive(Object)]
#[oai(example)]
pub struct Readiness {
    /// `ok` when every component is.
    pub status: ComponentState,
    /// The ephemeral store (memory or Redis): scenes, limits, WeChat tokens.
    pub store: ComponentState,
    /// The account database (SQLite or PostgreSQL).
    pub database: ComponentState,
    /// Whether the instances sharing this store share the account database and the signing
    /// key; an instance that differs is never ready.
    pub cluster: ClusterState,
    /// True when WeChat is the embedded sandbox: logins prove nothing about anyone.
    pub sandbox: bool,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Every component answers.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// A component does not answer; the body says which.
    #[oai(status = 503)]
    NotReady(Json<Readiness>, #[oai(header = "Retry-After")] u64),
}

errors!(
    /// `getHealth`'s errors.
    HealthErrors = "getHealth", json: false, []
);
errors!(
    /// `getReadiness`' errors (not ready is an answer of its own, with the body).
    ReadyErrors = "getReadiness", json: false, []
);

#[derive(Default)]
pub struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The process is alive
    #[oai(path = "/healthz", method = "get", operation_id = "getHealth")]
    async fn healthz(&self) -> Result<Json<Health>, OpError<HealthErrors>> {
        Ok(Json(Health {
            status: "ok".into(),
        }))
    }

    /// The store and the database answer, and the instance agrees with its peers
    #[oai(path = "/readyz", method = "get", operation_id = "getReadiness")]
    async fn readyz(
        &self,
        saoma: Data<&Arc<Saoma>>,
    ) -> Result<ReadyResponse, OpError<ReadyErrors>> {
        let (store, database) = saoma.readiness().await;
        let cluster = saoma.cluster_state().await;
        let ready = store && database && cluster == ClusterState::Ok;
        let body = Readiness {
            status: ComponentState::of(ready),
            store: ComponentState::of(store),
            database: ComponentState::of(database),
            cluster,
            sandbox: saoma.settings().sandbox,
        };
        Ok(if ready {
            ReadyResponse::Ready(Json(body))
        } else {
            ReadyResponse::NotReady(Json(body), 2)
        })
    }
}
