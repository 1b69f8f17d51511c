//! The delivery worker: claims due deliveries from the outbox, sends each once (signed, with
//! the SSRF guard and a time limit), and writes the outcome. Any number of instances may run
//! one; the claim's lease keeps each delivery with one worker at a time, and a worker that
//! dies leaves its deliveries to be claimed again once their lease has passed.

use super::backchannel::{LogoutSigner, form};
use super::envelope::body;
use super::guard::{GuardedResolver, Policy};
use super::schedule;
use super::signature::{SigningSecret, signature_header};
use crate::accounts::{DeliveryKind, DueDelivery, Outcome, SqlAccounts};
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How often the outbox is asked for due deliveries.
const POLL: Duration = Duration::from_millis(500);
/// How often the backlog gauges are read.
const GAUGES_EVERY: Duration = Duration::from_secs(5);
/// Deliveries in flight per instance (a receiver that hangs holds one for the time limit).
const IN_FLIGHT: usize = 32;
/// How much of a failed answer is read (for the delivery log); the rest is never read.
const MAX_ANSWER_BYTES: usize = 1024;

pub struct Worker {
    accounts: Arc<SqlAccounts>,
    client: reqwest::Client,
    policy: Policy,
    metrics: Arc<Metrics>,
    lease: Duration,
    slots: Arc<Semaphore>,
    logout: LogoutSigner,
}

impl Worker {
    pub fn new(
        accounts: Arc<SqlAccounts>,
        policy: Policy,
        timeout: Duration,
        metrics: Arc<Metrics>,
        logout: LogoutSigner,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            // A proxy would resolve the name itself, past the guard.
            .no_proxy()
            .dns_resolver(GuardedResolver::shared(policy))
            .user_agent(concat!("Saoma-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            accounts,
            client,
            policy,
            metrics,
            // Longer than an attempt can take, so that a live attempt keeps its claim.
            lease: timeout * 2 + Duration::from_secs(5),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
            logout,
        })
    }

    /// Deliver until shutdown. Deliveries in flight then are cut off and claimed again after
    /// their lease (at least once, never lost).
    pub fn spawn(self, shutdown: Shutdown) {
        let worker = Arc::new(self);
        tokio::spawn(async move {
            let stop = shutdown.triggered();
            tokio::pin!(stop);
            let mut gauges_at = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(POLL) => {}
                }
                worker.claim_and_send().await;
                if gauges_at.elapsed() >= GAUGES_EVERY {
                    gauges_at = tokio::time::Instant::now();
                    worker.read_gauges().await;
                }
            }
        });
    }

    async fn claim_and_send(self: &Arc<Self>) {
        let free = self.slots.available_permits();
        if free == 0 {
            return;
        }
        let due = match self
            .accounts
            .claim_deliveries(i64::try_from(free).unwrap_or(1), self.lease)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                self.metrics.store_error("database");
                tracing::warn!(error = %e, "could not claim webhook deliveries");
                return;
            }
        };
        for delivery in due {
            let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
                return;
            };
            let worker = Arc::clone(self);
            tokio::spawn(async move {
                let outcome = worker.attempt(&delivery).await;
                worker.metrics.webhook_delivery(outcome_name(&outcome));
                if let Err(e) = worker.accounts.record_delivery(&delivery, &outcome).await {
                    // The lease passes and the delivery is tried again: at least once.
                    tracing::warn!(error = %e, event_id = %delivery.event_id, "could not record a webhook delivery");
                }
                drop(slot);
            });
        }
    }

    async fn read_gauges(&self) {
        match self.accounts.webhook_backlog().await {
            Ok(backlog) => self.metrics.webhook_backlog(
                backlog.pending,
                backlog
                    .oldest_created_at
                    .map(|at| (chrono::Utc::now().timestamp_millis() - at).max(0) / 1000),
            ),
            Err(e) => tracing::warn!(error = %e, "could not read the webhook backlog"),
        }
    }

    /// One attempt, signed with every live secret.
    async fn attempt(&self, delivery: &DueDelivery) -> Outcome {
        let (status, error) = match self.send(delivery).await {
            Ok((status, _)) if (200..300).contains(&status) => {
                return Outcome::Delivered { status };
            }
            Ok((410, _)) => {
                return Outcome::Gone {
                    next_attempt_at: self.next_attempt_at(delivery.attempt),
                };
            }
            Ok((status, answer)) => (
                Some(status),
                format!("the receiver answered {status}{answer}"),
            ),
            Err(error) => (None, error),
        };
        tracing::info!(event_id = %delivery.event_id, endpoint_id = %delivery.endpoint_id, attempt = delivery.attempt, %error, "webhook delivery failed");
        let next_attempt_at = self.next_attempt_at(delivery.attempt);
        if next_attempt_at > delivery.retry_until {
            Outcome::Failed { status, error }
        } else {
            Outcome::Retry {
                next_attempt_at,
                status,
                error,
            }
        }
    }

    fn next_attempt_at(&self, attempt: i64) -> i64 {
        let delay = i64::try_from(schedule::delay(attempt).as_millis()).unwrap_or(i64::MAX);
        chrono::Utc::now().timestamp_millis().saturating_add(delay)
    }

    /// Sends the delivery: the receiver's status with, for a failure, the start of its answer
    /// (`: ...`); or why there was no answer.
    async fn send(&self, delivery: &DueDelivery) -> Result<(u16, String), String> {
        let url = self
            .policy
            .check_url(&delivery.url)
            .map_err(|e| format!("the URL {e}"))?;
        let request = match delivery.kind {
            DeliveryKind::Webhook => self.webhook(url, delivery)?,
            DeliveryKind::BackchannelLogout => self
                .client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(delivery, &self.logout)?),
        };
        let response = request.send().await.map_err(describe)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) || status == 410 {
            return Ok((status, String::new()));
        }
        Ok((status, start_of(response).await))
    }
}

impl Worker {
    /// A webhook delivery: the event's body, signed the Standard Webhooks way.
    fn webhook(
        &self,
        url: url::Url,
        delivery: &DueDelivery,
    ) -> Result<reqwest::RequestBuilder, String> {
        let secrets: Vec<SigningSecret> = delivery
            .secrets
            .iter()
            .filter_map(|s| SigningSecret::parse(s.expose()).ok())
            .collect();
        let body = body(delivery).map_err(|e| format!("the event's data is not JSON: {e}"))?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature_header(
            &secrets.iter().collect::<Vec<_>>(),
            &delivery.event_id,
            timestamp,
            &body,
        );
        Ok(self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body))
    }
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered { .. } => "delivered",
        Outcome::Retry { .. } => "retried",
        Outcome::Failed { .. } => "failed",
        Outcome::Gone { .. } => "endpoint_disabled",
    }
}

/// `: <the start of the answer>`, at most [`MAX_ANSWER_BYTES`] read; empty for no answer.
async fn start_of(mut response: reqwest::Response) -> String {
    let mut start = Vec::new();
    while start.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER_BYTES - start.len();
                start.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&start);
    match text.trim() {
        "" => String::new(),
        text => format!(": {text}"),
    }
}

/// The failure and its causes (the guard's refusal is one), without the URL: it may carry a
/// token in its query.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
