//! The admin plane's work on webhook endpoints (`src/api/admin_webhooks.rs`): the endpoints
//! of `[[webhooks]]` (marked configured) and those created through the API, their secrets,
//! their delivery logs. A configured endpoint's URL, events and secret belong to the file: the
//! API may disable and enable it, read its log and redeliver, never rotate its secret (the next
//! start would put the file's back).

use super::{Error, Saoma};
use crate::accounts::events::EventType;
use crate::accounts::{DeliveryLogRow, Endpoint, EndpointSpec};
use crate::secret::Secret;
use crate::webhooks::signature::SigningSecret;

/// `source` of an endpoint written from `[[webhooks]]`.
const CONFIGURED: &str = "config";

impl Saoma {
    pub async fn webhook_endpoints(&self) -> Result<Vec<Endpoint>, Error> {
        Ok(self.parts.webhooks.webhook_endpoints().await?)
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Endpoint, Error> {
        self.parts
            .webhooks
            .webhook_endpoint(id)
            .await?
            .ok_or(Error::WebhookNotFound)
    }

    /// A new endpoint, and its secret (the one given, or a new one): the only time it is shown.
    pub async fn create_webhook(
        &self,
        url: &str,
        events: Option<Vec<EventType>>,
        secret: Option<&str>,
    ) -> Result<(Endpoint, SigningSecret), Error> {
        self.parts
            .webhook_settings
            .policy
            .check_url(url)
            .map_err(Error::InvalidWebhookUrl)?;
        let secret = signing_secret(secret)?;
        let spec = EndpointSpec {
            url: url.to_owned(),
            secret: Secret::new(secret.expose()),
            events: events.map(|types| types.iter().map(|t| t.as_str().to_owned()).collect()),
        };
        Ok((self.parts.webhooks.create_webhook(&spec).await?, secret))
    }

    /// A new secret (given, or new); the current one signs next to it for
    /// `webhook_delivery.rotation_overlap_seconds`.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        secret: Option<&str>,
    ) -> Result<(Endpoint, SigningSecret), Error> {
        let endpoint = self.webhook_endpoint(id).await?;
        if endpoint.source == CONFIGURED {
            return Err(Error::WebhookConfigured(
                "the endpoint is configured in [[webhooks]]: change its secret there (the \
                 previous one keeps signing for the overlap after the restart)",
            ));
        }
        if endpoint.disabled_at.is_some() {
            return Err(Error::WebhookDisabled);
        }
        let secret = signing_secret(secret)?;
        let overlap = self.parts.webhook_settings.rotation_overlap;
        let rotated = self
            .parts
            .webhooks
            .rotate_webhook_secret(id, &Secret::new(secret.expose()), overlap)
            .await?
            .ok_or(Error::WebhookNotFound)?;
        Ok((rotated, secret))
    }

    pub async fn disable_webhook(&self, id: &str) -> Result<Endpoint, Error> {
        if self.webhook_endpoint(id).await?.disabled_at.is_some() {
            return Err(Error::WebhookDisabled);
        }
        self.parts
            .webhooks
            .disable_webhook(id, "admin")
            .await?
            .ok_or(Error::WebhookNotFound)
    }

    pub async fn enable_webhook(&self, id: &str) -> Result<Endpoint, Error> {
        let endpoint = self.webhook_endpoint(id).await?;
        match endpoint.disabled_reason.as_deref() {
            _ if endpoint.disabled_at.is_none() => return Err(Error::WebhookNotDisabled),
            Some(CONFIGURED) => {
                return Err(Error::WebhookConfigured(
                    "the endpoint is no longer in [[webhooks]]: put it back there and restart",
                ));
            }
            _ => {}
        }
        self.parts
            .webhooks
            .enable_webhook(id)
            .await?
            .ok_or(Error::WebhookNotFound)
    }

    /// A page of the endpoint's deliveries, newest first, and the next page's cursor.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<DeliveryLogRow>, Option<String>), Error> {
        let before = cursor.map(super::admin::parse_cursor).transpose()?;
        self.webhook_endpoint(id).await?;
        let rows = self
            .parts
            .webhooks
            .webhook_deliveries(id, before, limit.into())
            .await?;
        let next = match rows.last() {
            Some(last) if rows.len() == usize::try_from(limit).unwrap_or(usize::MAX) => {
                Some(format!("{}.{}", last.created_at, last.event_id))
            }
            _ => None,
        };
        Ok((rows, next))
    }

    /// Deliver the event to the endpoint again now, with a fresh schedule of retries (to a
    /// disabled endpoint: once it is enabled).
    pub async fn redeliver_webhook(&self, id: &str, event_id: &str) -> Result<(), Error> {
        self.webhook_endpoint(id).await?;
        if self.parts.webhooks.redeliver(id, event_id).await? {
            Ok(())
        } else {
            Err(Error::DeliveryNotFound)
        }
    }
}

fn signing_secret(given: Option<&str>) -> Result<SigningSecret, Error> {
    match given {
        Some(secret) => SigningSecret::parse(secret).map_err(Error::InvalidWebhookSecret),
        None => Ok(SigningSecret::generate()),
    }
}
