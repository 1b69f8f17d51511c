//! The webhook endpoints under `/admin/v1/webhooks` (`docs/webhooks.md`): list, create, read,
//! rotate the secret, disable, enable, the delivery log and redelivery. Same admin tokens,
//! tag and error lists as `admin.rs`; every call is recorded as `admin.called`.

use super::admin::{AdminAuth, ApiTags, Done, MAX_LIMIT, admin_call};
use crate::accounts::events::EventType;
use crate::accounts::{DeliveryLogRow, Endpoint};
use crate::edge::op_error::{OpError, errors};
use crate::login::Saoma;
use crate::webhooks::signature::SigningSecret;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use std::sync::Arc;

/// Why an endpoint is disabled.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum DisabledReason {
    /// An admin disabled it.
    Admin,
    /// The receiver answered 410 Gone.
    Gone,
    /// It is no longer in `[[webhooks]]`.
    Config,
}

/// A webhook endpoint (its secret is shown only when it is created or rotated).
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct WebhookView {
    /// `whe_` + 32 hex digits (a configured endpoint's is derived from its URL).
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// From `[[webhooks]]`: its URL, events and secret are changed in the file; the API may
    /// disable and enable it, read its log and redeliver.
    pub configured: bool,
    /// The event types delivered; absent: every type.
    pub events: Option<Vec<EventType>>,
    /// When it was created (or first configured).
    pub created_at: DateTime<Utc>,
    /// Since when it is disabled; absent: enabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it is disabled.
    pub disabled_reason: Option<DisabledReason>,
    /// After a rotation, the previous secret signs next to the current one until then.
    pub previous_secret_until: Option<DateTime<Utc>>,
}

/// Every endpoint, oldest first.
#[derive(Object, Debug)]
#[oai(example)]
pub struct WebhookList {
    /// Configured and created endpoints, enabled or not.
    pub endpoints: Vec<WebhookView>,
}

/// A new endpoint.
#[derive(Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct CreateWebhook {
    /// `https://...` (http only with `webhook_delivery.allow_http`, or to loopback in sandbox
    /// mode); no private address unless `webhook_delivery.allow_private_networks`.
    #[oai(validator(max_length = 2048))]
    pub url: String,
    /// The event types to deliver; absent: every type.
    #[oai(validator(min_items = 1, max_items = 16))]
    pub events: Option<Vec<EventType>>,
    /// `whsec_` + base64 of 24 to 64 bytes; absent: Saoma generates one.
    #[oai(validator(max_length = 200))]
    pub secret: Option<String>,
}

/// A new secret for an endpoint.
#[derive(Object, Default)]
#[oai(skip_serializing_if_is_none, example)]
pub struct RotateSecret {
    /// `whsec_` + base64 of 24 to 64 bytes; absent: Saoma generates one.
    #[oai(validator(max_length = 200))]
    pub secret: Option<String>,
}

/// An endpoint and its secret: shown this once.
#[derive(Object)]
#[oai(example)]
pub struct WebhookWithSecret {
    /// The endpoint.
    pub endpoint: WebhookView,
    /// The secret receivers verify with (`whsec_...`). Saoma never shows it again.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: `next_attempt_at` says when it is tried.
    Pending,
    /// A 2xx was answered.
    Delivered,
    /// Every try failed: it stays here, and may be redelivered.
    Failed,
}

/// One event's delivery to the endpoint.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none, example)]
pub struct DeliveryView {
    /// The event (also the `webhook-id` header).
    pub event_id: String,
    /// The event's type.
    #[oai(rename = "type")]
    pub event_type: Option<EventType>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts so far (since the last redelivery).
    pub attempts: i64,
    /// When it was queued (with its event).
    pub created_at: DateTime<Utc>,
    /// When it is tried next (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status, if the receiver answered.
    pub last_status: Option<i64>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When a 2xx was answered.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A page of an endpoint's deliveries, newest first.
#[derive(Object, Debug)]
#[oai(skip_serializing_if_is_none, example)]
pub struct DeliveryPage {
    /// At most `limit`, newest first.
    pub deliveries: Vec<DeliveryView>,
    /// Pass it as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
pub enum Created {
    /// Created: the secret is in this answer only.
    #[oai(status = 201)]
    Created(Json<WebhookWithSecret>),
}

errors!(
    /// `adminListWebhooks`' errors.
    ListErrors = "adminListWebhooks", json: false,
    [Unauthenticated, InsufficientScope, DatabaseUnavailable]
);
errors!(
    /// `adminCreateWebhook`'s errors.
    CreateErrors = "adminCreateWebhook", json: true,
    [Unauthenticated, InsufficientScope, InvalidWebhookUrl, InvalidWebhookSecret,
     DatabaseUnavailable]
);
errors!(
    /// `adminGetWebhook`'s errors.
    GetErrors = "adminGetWebhook", json: false,
    [Unauthenticated, InsufficientScope, WebhookNotFound, DatabaseUnavailable]
);
errors!(
    /// `adminRotateWebhookSecret`'s errors.
    RotateErrors = "adminRotateWebhookSecret", json: true,
    [Unauthenticated, InsufficientScope, WebhookNotFound, InvalidWebhookSecret,
     WebhookDisabled, WebhookConfigured, DatabaseUnavailable]
);
errors!(
    /// `adminDisableWebhook`'s errors.
    DisableErrors = "adminDisableWebhook", json: false,
    [Unauthenticated, InsufficientScope, WebhookNotFound, WebhookDisabled, DatabaseUnavailable]
);
errors!(
    /// `adminEnableWebhook`'s errors.
    EnableErrors = "adminEnableWebhook", json: false,
    [Unauthenticated, InsufficientScope, WebhookNotFound, WebhookNotDisabled,
     WebhookConfigured, DatabaseUnavailable]
);
errors!(
    /// `adminListWebhookDeliveries`' errors.
    DeliveriesErrors = "adminListWebhookDeliveries", json: false,
    [Unauthenticated, InsufficientScope, WebhookNotFound, InvalidCursor, DatabaseUnavailable]
);
errors!(
    /// `adminRedeliverWebhook`'s errors.
    RedeliverErrors = "adminRedeliverWebhook", json: false,
    [Unauthenticated, InsufficientScope, WebhookNotFound, WebhookDeliveryNotFound,
     DatabaseUnavailable]
);

#[derive(Default)]
pub struct AdminWebhooksApi;

#[OpenApi(prefix_path = "/admin/v1", tag = "ApiTags::Admin")]
impl AdminWebhooksApi {
    /// Every webhook endpoint, configured and created, oldest first
    #[oai(path = "/webhooks", method = "get", operation_id = "adminListWebhooks")]
    async fn list(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
    ) -> Result<Json<WebhookList>, OpError<ListErrors>> {
        admin_call(
            &saoma,
            &auth,
            ("GET", "/admin/v1/webhooks", 200),
            async |_| {
                let endpoints = saoma.webhook_endpoints().await?;
                Ok(Json(WebhookList {
                    endpoints: endpoints.into_iter().map(view).collect(),
                }))
            },
        )
        .await
    }

    /// Create an endpoint: its secret is answered this once
    #[oai(
        path = "/webhooks",
        method = "post",
        operation_id = "adminCreateWebhook"
    )]
    async fn create(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        body: Json<CreateWebhook>,
    ) -> Result<Created, OpError<CreateErrors>> {
        let CreateWebhook {
            url,
            events,
            secret,
        } = body.0;
        admin_call(
            &saoma,
            &auth,
            ("POST", "/admin/v1/webhooks", 201),
            async |_| {
                let (endpoint, secret) = saoma
                    .create_webhook(&url, events, secret.as_deref())
                    .await?;
                Ok(Created::Created(with_secret(endpoint, &secret)))
            },
        )
        .await
    }

    /// A webhook endpoint
    #[oai(
        path = "/webhooks/:id",
        method = "get",
        operation_id = "adminGetWebhook"
    )]
    async fn get(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<WebhookView>, OpError<GetErrors>> {
        let path = format!("/admin/v1/webhooks/{}", id.0);
        admin_call(&saoma, &auth, ("GET", &path, 200), async |_| {
            saoma.webhook_endpoint(&id.0).await.map(|e| Json(view(e)))
        })
        .await
    }

    /// Rotate an endpoint's secret: the previous one keeps signing next to it for the overlap
    ///
    /// For `webhook_delivery.rotation_overlap_seconds` every delivery carries both signatures,
    /// so receivers switch to the new secret whenever they like within that time. A configured
    /// endpoint's secret is changed in `[[webhooks]]` instead.
    #[oai(
        path = "/webhooks/:id/rotate",
        method = "post",
        operation_id = "adminRotateWebhookSecret"
    )]
    async fn rotate(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
        body: Json<RotateSecret>,
    ) -> Result<Json<WebhookWithSecret>, OpError<RotateErrors>> {
        let path = format!("/admin/v1/webhooks/{}/rotate", id.0);
        admin_call(&saoma, &auth, ("POST", &path, 200), async |_| {
            let (endpoint, secret) = saoma
                .rotate_webhook_secret(&id.0, body.0.secret.as_deref())
                .await?;
            Ok(with_secret(endpoint, &secret))
        })
        .await
    }

    /// Disable an endpoint: nothing is delivered to it; its waiting deliveries stay
    #[oai(
        path = "/webhooks/:id/disable",
        method = "post",
        operation_id = "adminDisableWebhook"
    )]
    async fn disable(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<WebhookView>, OpError<DisableErrors>> {
        let path = format!("/admin/v1/webhooks/{}/disable", id.0);
        admin_call(&saoma, &auth, ("POST", &path, 200), async |_| {
            saoma.disable_webhook(&id.0).await.map(|e| Json(view(e)))
        })
        .await
    }

    /// Enable a disabled endpoint (by an admin, or by a 410): its waiting deliveries go out
    #[oai(
        path = "/webhooks/:id/enable",
        method = "post",
        operation_id = "adminEnableWebhook"
    )]
    async fn enable(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
    ) -> Result<Json<WebhookView>, OpError<EnableErrors>> {
        let path = format!("/admin/v1/webhooks/{}/enable", id.0);
        admin_call(&saoma, &auth, ("POST", &path, 200), async |_| {
            saoma.enable_webhook(&id.0).await.map(|e| Json(view(e)))
        })
        .await
    }

    /// An endpoint's delivery log, newest first
    #[oai(
        path = "/webhooks/:id/deliveries",
        method = "get",
        operation_id = "adminListWebhookDeliveries"
    )]
    async fn deliveries(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
        /// `next_cursor` of the previous page.
        #[oai(validator(max_length = 128))]
        cursor: Query<Option<String>>,
        /// At most this many deliveries (1 to 100, default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> Result<Json<DeliveryPage>, OpError<DeliveriesErrors>> {
        let limit = limit.0.unwrap_or(50).min(MAX_LIMIT);
        let path = format!("/admin/v1/webhooks/{}/deliveries", id.0);
        admin_call(&saoma, &auth, ("GET", &path, 200), async |_| {
            let (rows, next_cursor) = saoma
                .webhook_deliveries(&id.0, cursor.0.as_deref(), limit)
                .await?;
            Ok(Json(DeliveryPage {
                deliveries: rows.into_iter().map(delivery_view).collect(),
                next_cursor,
            }))
        })
        .await
    }

    /// Deliver an event to the endpoint again, now, with a fresh schedule of retries
    ///
    /// Whether it was delivered, failed or still waiting; to a disabled endpoint it goes out
    /// once the endpoint is enabled.
    #[oai(
        path = "/webhooks/:id/deliveries/:event_id/redeliver",
        method = "post",
        operation_id = "adminRedeliverWebhook"
    )]
    async fn redeliver(
        &self,
        saoma: Data<&Arc<Saoma>>,
        auth: AdminAuth,
        /// The endpoint's id.
        #[oai(validator(max_length = 64))]
        id: Path<String>,
        /// The event's id (`evt_...`).
        #[oai(validator(max_length = 64))]
        event_id: Path<String>,
    ) -> Result<Done, OpError<RedeliverErrors>> {
        let path = format!(
            "/admin/v1/webhooks/{}/deliveries/{}/redeliver",
            id.0, event_id.0
        );
        admin_call(&saoma, &auth, ("POST", &path, 204), async |_| {
            saoma
                .redeliver_webhook(&id.0, &event_id.0)
                .await
                .map(|()| Done::Done)
        })
        .await
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn view(endpoint: Endpoint) -> WebhookView {
    let disabled_reason = endpoint
        .disabled_at
        .map(|_| match endpoint.disabled_reason.as_deref() {
            Some("gone") => DisabledReason::Gone,
            Some("config") => DisabledReason::Config,
            _ => DisabledReason::Admin,
        });
    WebhookView {
        configured: endpoint.source == "config",
        events: endpoint
            .events
            .map(|types| types.iter().filter_map(|t| EventType::parse(t)).collect()),
        created_at: at(endpoint.created_at),
        disabled_at: endpoint.disabled_at.map(at),
        disabled_reason,
        previous_secret_until: endpoint.previous_secret_until.map(at),
        id: endpoint.id,
        url: endpoint.url,
    }
}

fn with_secret(endpoint: Endpoint, secret: &SigningSecret) -> Json<WebhookWithSecret> {
    Json(WebhookWithSecret {
        endpoint: view(endpoint),
        secret: secret.expose().to_owned(),
    })
}

fn delivery_view(row: DeliveryLogRow) -> DeliveryView {
    let state = match row.state.as_str() {
        "delivered" => DeliveryState::Delivered,
        "failed" => DeliveryState::Failed,
        _ => DeliveryState::Pending,
    };
    DeliveryView {
        event_type: EventType::parse(&row.event_type),
        state,
        attempts: row.attempts,
        created_at: at(row.created_at),
        next_attempt_at: row.next_attempt_at.map(at),
        last_attempt_at: row.last_attempt_at.map(at),
        last_status: row.last_status,
        last_error: row.last_error,
        delivered_at: row.delivered_at.map(at),
        event_id: row.event_id,
    }
}
