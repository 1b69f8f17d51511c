//! Prometheus metrics (`saoma_` prefix), served at `/metrics`. One `Metrics` per process,
//! built by `app` and handed to whoever records.

use crate::scene::{Provider, SceneStatus};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::time::Duration;

pub struct Metrics {
    registry: Registry,
    scenes: IntCounterVec,
    wechat_calls: IntCounterVec,
    wechat_seconds: HistogramVec,
    sse_streams: IntGauge,
    store_errors: IntCounterVec,
    rate_limited: IntCounterVec,
    sms_sent: IntCounter,
    sms_budget_exhausted: IntCounter,
    code_pool: IntGauge,
    sandbox: IntGauge,
    connections_refused: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    webhook_backlog: IntGauge,
    webhook_oldest_undelivered: IntGauge,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new_custom(Some("saoma".into()), None)?;
        let scenes = IntCounterVec::new(
            Opts::new(
                "scenes_total",
                "Scene events: created, confirmed, cancelled, expired, consumed, need_phone",
            ),
            &["provider", "event"],
        )?;
        let wechat_calls = IntCounterVec::new(
            Opts::new(
                "wechat_calls_total",
                "WeChat API calls by endpoint and errcode (0: success; -2: transport or timeout)",
            ),
            &["endpoint", "errcode"],
        )?;
        let wechat_seconds = HistogramVec::new(
            HistogramOpts::new("wechat_call_seconds", "WeChat API call latency").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["endpoint"],
        )?;
        let sse_streams = IntGauge::new("sse_streams", "Open Server-Sent Events streams")?;
        let store_errors = IntCounterVec::new(
            Opts::new(
                "store_errors_total",
                "Failed calls to the ephemeral store or the database",
            ),
            &["store"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests refused by a limit in [limits] (and scenes cancelled after bad codes)",
            ),
            &["limit"],
        )?;
        registry.register(Box::new(rate_limited.clone()))?;
        let sms_sent = IntCounter::new(
            "sms_sent_total",
            "SMS codes handed to the sender (sum over instances to compare with \
             sms.budget_per_hour)",
        )?;
        registry.register(Box::new(sms_sent.clone()))?;
        let sms_budget_exhausted = IntCounter::new(
            "sms_budget_exhausted_total",
            "SMS codes refused because sms.budget_per_hour was spent for the whole cluster \
             (alert on any increase)",
        )?;
        registry.register(Box::new(sms_budget_exhausted.clone()))?;
        let code_pool = IntGauge::new(
            "code_pool_codes",
            "Mini-program codes drawn ahead of time and ready to hand out",
        )?;
        registry.register(Box::new(code_pool.clone()))?;
        let connections_refused = IntCounterVec::new(
            Opts::new(
                "connections_refused_total",
                "Connections refused at once by limits.max_connections (total) or \
                 limits.max_connections_per_ip (per_ip)",
            ),
            &["cap"],
        )?;
        registry.register(Box::new(connections_refused.clone()))?;
        registry.register(Box::new(scenes.clone()))?;
        registry.register(Box::new(wechat_calls.clone()))?;
        registry.register(Box::new(wechat_seconds.clone()))?;
        registry.register(Box::new(sse_streams.clone()))?;
        registry.register(Box::new(store_errors.clone()))?;
        let sandbox = IntGauge::new(
            "sandbox",
            "1 when WeChat is the embedded sandbox (logins prove nothing), else 0",
        )?;
        registry.register(Box::new(sandbox.clone()))?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered, retried (failed, tried again \
                 later), failed (the last try failed; redeliverable), endpoint_disabled (410)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        let webhook_backlog = IntGauge::new(
            "webhook_backlog",
            "Webhook deliveries waiting in the outbox (the whole database's: every instance \
             reports the same number)",
        )?;
        registry.register(Box::new(webhook_backlog.clone()))?;
        let webhook_oldest_undelivered = IntGauge::new(
            "webhook_oldest_undelivered_seconds",
            "Age of the oldest webhook delivery still waiting (0: none)",
        )?;
        registry.register(Box::new(webhook_oldest_undelivered.clone()))?;
        Ok(Metrics {
            registry,
            scenes,
            wechat_calls,
            wechat_seconds,
            sse_streams,
            store_errors,
            rate_limited,
            sms_sent,
            sms_budget_exhausted,
            code_pool,
            sandbox,
            connections_refused,
            webhook_deliveries,
            webhook_backlog,
            webhook_oldest_undelivered,
        })
    }

    /// Whether this instance plays WeChat with its sandbox.
    pub fn set_sandbox(&self, on: bool) {
        self.sandbox.set(i64::from(on));
    }

    pub fn scene_created(&self, provider: Provider) {
        self.scenes
            .with_label_values(&[provider.as_str(), "created"])
            .inc();
    }

    /// A scene reached `status` (counted once, by the writer that moved it).
    pub fn scene_reached(&self, provider: Provider, status: SceneStatus) {
        if status != SceneStatus::Scanned && status != SceneStatus::Pending {
            self.scenes
                .with_label_values(&[provider.as_str(), status.as_str()])
                .inc();
        }
    }

    pub fn wechat_call(&self, endpoint: &str, errcode: i64, took: Duration) {
        self.wechat_calls
            .with_label_values(&[endpoint, &errcode.to_string()])
            .inc();
        self.wechat_seconds
            .with_label_values(&[endpoint])
            .observe(took.as_secs_f64());
    }

    pub fn store_error(&self, store: &str) {
        self.store_errors.with_label_values(&[store]).inc();
    }

    /// A request refused by the limit named `limit` (`scenes_per_ip`, `slow_down`, ...).
    pub fn rate_limited(&self, limit: &str) {
        self.rate_limited.with_label_values(&[limit]).inc();
    }

    /// An SMS code handed to the sender.
    pub fn sms_sent(&self) {
        self.sms_sent.inc();
    }

    /// An SMS code refused because the cluster's hourly budget is spent.
    pub fn sms_budget_exhausted(&self) {
        self.sms_budget_exhausted.inc();
    }

    /// A connection refused by the cap named `cap` (`total`, `per_ip`).
    pub fn connection_refused(&self, cap: &str) {
        self.connections_refused.with_label_values(&[cap]).inc();
    }

    /// A webhook delivery attempt came to `outcome`.
    pub fn webhook_delivery(&self, outcome: &str) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
    }

    /// The outbox's backlog, and the age of its oldest delivery (seconds).
    pub fn webhook_backlog(&self, pending: i64, oldest_age: Option<i64>) {
        self.webhook_backlog.set(pending);
        self.webhook_oldest_undelivered.set(oldest_age.unwrap_or(0));
    }

    /// Counts an open SSE stream until the guard is dropped.
    pub fn sse_stream(&self) -> SseGuard {
        self.sse_streams.inc();
        SseGuard(self.sse_streams.clone())
    }

    /// The gauge the code pool keeps at its number of ready codes.
    pub fn code_pool_gauge(&self) -> IntGauge {
        self.code_pool.clone()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %e, "could not encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

pub struct SseGuard(IntGauge);

impl Drop for SseGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_the_saoma_prefix() {
        let m = Metrics::new().unwrap();
        m.scene_created(Provider::MiniProgram);
        m.scene_reached(Provider::MiniProgram, SceneStatus::Confirmed);
        m.wechat_call("sns/jscode2session", 40163, Duration::from_millis(12));
        {
            let _open = m.sse_stream();
            assert!(m.render().contains("saoma_sse_streams 1"));
        }
        let text = m.render();
        assert!(text.contains("saoma_sse_streams 0"));
        assert!(text.contains(r#"saoma_scenes_total{event="created",provider="mini_program"} 1"#));
        assert!(
            text.contains(r#"saoma_scenes_total{event="confirmed",provider="mini_program"} 1"#)
        );
        assert!(text.contains(
            r#"saoma_wechat_calls_total{endpoint="sns/jscode2session",errcode="40163"} 1"#
        ));
        assert!(text.contains("saoma_wechat_call_seconds_bucket"));
    }
}
