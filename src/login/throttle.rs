//! Where the scene flow meets `[limits]`: admitting a new scene from a client address, the
//! poll pace (`slow_down`), rejected login codes against one scene, logins without a scene
//! from one address, and the cluster-wide `getwxacodeunlimit` budget. Other features (SMS
//! sends) use [`Saoma::enforce`] with their own key and rule.

use super::{Error, Saoma};
use crate::ids::AppId;
use crate::limits::{self, Rule, Verdict};
use crate::scene::{Event, Scene, SceneStatus};
use std::time::Duration;

impl Saoma {
    /// Count one hit on `key` against `rule`: past it, 429 `rate_limited` ("too many `what`"),
    /// counted in `saoma_rate_limited_total{limit}`.
    pub async fn enforce(
        &self,
        key: &str,
        rule: Rule,
        limit: &'static str,
        what: &'static str,
    ) -> Result<(), Error> {
        match self.hit(key, rule).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after } => {
                tracing::info!(limit, "rate limited");
                self.parts.metrics.rate_limited(limit);
                Err(Error::RateLimited { what, retry_after })
            }
        }
    }

    pub(super) async fn hit(&self, key: &str, rule: Rule) -> Result<Verdict, Error> {
        limits::check(self.parts.limiter.as_ref(), key, rule)
            .await
            .map_err(|e| self.store_failed(e))
    }

    /// A client address may create so many scenes a minute, and have so many waiting.
    pub(crate) async fn admit_scene(&self, ip: &str) -> Result<(), Error> {
        self.admit_waiting(ip, &SCENES).await
    }

    /// A client address may make so many OpenID authorization requests (each stores a request
    /// waiting for a login on the hosted page, or a code answered from the session) a minute,
    /// and have so many waiting: the same rules as scenes, counted apart.
    pub(crate) async fn admit_authorization_request(&self, ip: &str) -> Result<(), Error> {
        self.admit_waiting(ip, &AUTHORIZATION_REQUESTS).await
    }

    async fn admit_waiting(&self, ip: &str, counted: &Waiting) -> Result<(), Error> {
        let rules = &self.parts.limits;
        let ip = rules.addresses.key(ip);
        self.enforce(
            &format!("{}:{ip}", counted.per_minute.0),
            rules.scenes_per_minute,
            counted.per_minute.1,
            counted.per_minute.2,
        )
        .await?;
        self.enforce(
            &format!("{}:{ip}", counted.waiting.0),
            rules.pending_scenes,
            counted.waiting.1,
            counted.waiting.2,
        )
        .await
    }

    /// A login without a scene from a client address, before its code is exchanged with
    /// WeChat: so many a minute.
    pub(crate) async fn admit_direct_login(&self, ip: &str) -> Result<(), Error> {
        let ip = self.parts.limits.addresses.key(ip);
        self.enforce(
            &format!("logins:{ip}"),
            self.parts.limits.direct_logins,
            "direct_logins_per_ip",
            "logins without a scene from this address",
        )
        .await
    }

    /// A phone number asked of WeChat (`getuserphonenumber`, charged per success) from a client
    /// address, before WeChat is called: so many a minute.
    pub(crate) async fn admit_phone_number(&self, ip: &str) -> Result<(), Error> {
        let ip = self.parts.limits.addresses.key(ip);
        self.enforce(
            &format!("phone-numbers:{ip}"),
            self.parts.limits.phone_numbers,
            "phone_numbers_per_ip",
            "phone numbers asked from this address",
        )
        .await
    }

    /// RFC 8628's `slow_down`: one poll per scene per interval. Only called once the poll
    /// token is checked, so that nobody else can spend the holder's polls.
    pub(crate) async fn pace_poll(&self, scene: &Scene) -> Result<(), Error> {
        match self
            .hit(&format!("poll:{scene}"), self.parts.limits.poll_pace)
            .await?
        {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after } => {
                self.parts.metrics.rate_limited("slow_down");
                Err(Error::SlowDown { retry_after })
            }
        }
    }

    /// Count a rejected login code against `scene`; at `failed_logins_per_scene` the scene is
    /// cancelled, so that no further code is spent on it (each costs a WeChat call). Returns
    /// `err` for the caller to answer with.
    pub(crate) async fn login_failed(&self, scene: Option<&Scene>, err: Error) -> Error {
        let (Error::InvalidCode(_), Some(scene)) = (&err, scene) else {
            return err;
        };
        let rule = self.parts.limits.failed_logins;
        if rule.is_off() {
            return err;
        }
        let hits = match self
            .parts
            .limiter
            .hit(&format!("fail:{scene}"), rule.window)
            .await
        {
            Ok((hits, _)) => hits,
            Err(e) => {
                tracing::warn!(error = %crate::telemetry::chain(&e), "could not count a failed login");
                return err;
            }
        };
        if hits >= rule.max {
            let cancelled = self
                .transition(scene, |r, now| {
                    if r.status_at(now) == SceneStatus::Pending {
                        r.apply(Event::Scan, now)?;
                    }
                    Ok(r.apply(Event::Cancel, now)?)
                })
                .await;
            if cancelled.is_ok() {
                tracing::warn!(scene = %scene, hits, "scene cancelled after repeated bad login codes");
                self.parts.metrics.rate_limited("failed_logins");
            }
        }
        err
    }

    /// Keep `getwxacodeunlimit` under its per-minute budget for the whole cluster: past it,
    /// 503 `wechat_quota_exhausted` before WeChat is called.
    pub(crate) async fn wxacode_budget(&self, app_id: &AppId) -> Result<(), Error> {
        match self
            .hit(&wxacode_key(app_id), self.parts.limits.wxacode)
            .await?
        {
            Verdict::Allowed => Ok(()),
            Verdict::Refused { retry_after } => {
                tracing::warn!(app_id = %app_id, "getwxacodeunlimit budget spent for this minute");
                self.parts.metrics.rate_limited("wxacode_budget");
                Err(Error::WeChatQuota {
                    retry_after: retry_after.max(Duration::from_secs(1)),
                })
            }
        }
    }
}

/// What waits for a login, counted per client address under `limits.scenes_per_ip_per_minute`
/// and `limits.pending_scenes_per_ip`: for each rule, the counter's key prefix, the limit's
/// name in `saoma_rate_limited_total` and what the refusal says is too many.
struct Waiting {
    per_minute: (&'static str, &'static str, &'static str),
    waiting: (&'static str, &'static str, &'static str),
}

const SCENES: Waiting = Waiting {
    per_minute: (
        "scenes",
        "scenes_per_ip",
        "scenes created from this address",
    ),
    waiting: (
        "pending",
        "pending_scenes_per_ip",
        "waiting scenes from this address",
    ),
};

const AUTHORIZATION_REQUESTS: Waiting = Waiting {
    per_minute: (
        "authorize",
        "authorize_per_ip",
        "authorization requests from this address",
    ),
    waiting: (
        "authorize-pending",
        "pending_authorize_per_ip",
        "waiting authorization requests from this address",
    ),
};

/// The counter of `getwxacodeunlimit` calls for one app, shared with the code pool's refill.
pub(crate) fn wxacode_key(app_id: &AppId) -> String {
    format!("wxacode:{app_id}")
}
