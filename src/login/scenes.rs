//! What every provider shares: creating a scene, moving it (compare-and-set), reading it with
//! the poll token, and handing its tokens to the first authorised reader.

use super::{CreatedScene, Error, PollToken, Qr, Saoma, SceneView, TokenSet};
use crate::accounts::Account;
use crate::ids::AppId;
use crate::scene::{ClientRequest, Event, Provider, Requester, Scene, SceneRecord, SceneStatus};
use crate::secret::Secret;
use crate::store::{StoreError, now_ms};
use crate::tokens::AccessSubject;

/// How many times a transition re-reads after losing a compare-and-set race.
const CAS_ATTEMPTS: usize = 16;
/// The longest User-Agent kept with a scene (real ones are 100-200 bytes; a longer one would
/// only make every stored scene bigger).
const MAX_USER_AGENT: usize = 256;

/// A scene to create: `scene` as the browser sent it (`None`: Saoma picks one).
pub struct NewScene {
    pub provider: Provider,
    pub scene: Option<String>,
    pub requester_ip: String,
    pub user_agent: String,
    /// Website login only: a return URL from `website.allowed_return_urls`.
    pub return_url: Option<String>,
    /// The OpenID client's authorization request this login is for (the hosted login page).
    pub for_client: Option<ClientRequest>,
}

/// What WeChat sent the browser back with, after the website's QR login or the web
/// authorization inside WeChat.
pub struct BrowserCallback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's cookie (`saoma_website`, `saoma_in_wechat`) of the browser that followed
    /// the redirect: the poll token of the scene it created, if the browser sent it.
    pub browser: Option<String>,
}

impl Saoma {
    /// Reserve the scene in the store; `Exists` means another browser holds it.
    pub(crate) async fn insert_scene(&self, new: NewScene) -> Result<(SceneRecord, Secret), Error> {
        self.admit_scene(&new.requester_ip).await?;
        let scene = match new.scene {
            Some(s) => Scene::parse(s)?,
            None => Scene::generate(),
        };
        let now = now_ms();
        let (token, poll_token_hash) = PollToken::generate();
        let record = SceneRecord {
            scene,
            provider: new.provider,
            status: SceneStatus::Pending,
            poll_token_hash,
            requester: Requester {
                ip: new.requester_ip,
                user_agent: truncate(new.user_agent, MAX_USER_AGENT),
                created_at: now,
                for_client: new.for_client,
            },
            expires_at: now + millis(self.settings.scene_ttl),
            scanned_by: None,
            outcome: None,
            return_url: new.return_url,
            phone_check: None,
            refused: None,
        };
        match self
            .scenes
            .create(&record, self.keep_until(&record, now))
            .await
        {
            Ok(()) => {
                self.metrics.scene_created(record.provider);
                Ok((record, token))
            }
            Err(StoreError::Exists) => Err(Error::SceneExists),
            Err(e) => Err(self.store_failed(e)),
        }
    }

    /// The answer to a created scene: its id, poll token and deadline, and what the browser
    /// shows (`qr`).
    pub(crate) fn created_scene(
        &self,
        record: &SceneRecord,
        poll_token: &Secret,
        qr: Qr,
    ) -> CreatedScene {
        CreatedScene {
            scene: record.scene.to_string(),
            provider: record.provider,
            poll_token: poll_token.expose().to_string(),
            status: record.status,
            expires_in: record.expires_in(now_ms()),
            interval: self.settings.interval_secs,
            qr,
        }
    }

    /// Delete a scene that could not be shown (WeChat failed to draw its code), so that the
    /// browser may retry with the same id. A failure is logged: the scene then just expires.
    pub(crate) async fn release_scene(&self, scene: &Scene) {
        if let Err(del) = self.scenes.delete(scene).await {
            tracing::warn!(error = %crate::telemetry::chain(&del), "could not release a scene after a WeChat error");
        }
    }

    /// A scene's record as the store has it now; `None` when unknown or gone.
    pub(crate) async fn scene_record(&self, scene: &Scene) -> Result<Option<SceneRecord>, Error> {
        Ok(self.scenes.get(scene).await?.map(|found| found.record))
    }

    /// Until when the store keeps a record: while it waits, then a grace period so that late
    /// readers learn it expired or was consumed.
    fn keep_until(&self, record: &SceneRecord, now: i64) -> i64 {
        let grace = millis(self.settings.grace);
        if record.status.is_waiting() {
            record.expires_at + grace
        } else {
            record.expires_at.max(now) + grace
        }
    }

    /// Read, change and compare-and-set, retrying when another writer won; publishes the change.
    pub(crate) async fn transition<F>(&self, scene: &Scene, change: F) -> Result<SceneRecord, Error>
    where
        F: Fn(&mut SceneRecord, i64) -> Result<(), Error>,
    {
        for _ in 0..CAS_ATTEMPTS {
            let current = self
                .scenes
                .get(scene)
                .await
                .map_err(|e| self.store_failed(e))?
                .ok_or(Error::SceneNotFound)?;
            let now = now_ms();
            let mut record = current.record.clone();
            change(&mut record, now)?;
            let keep_until = self.keep_until(&record, now);
            let replaced = self
                .scenes
                .replace(&record, current.version, keep_until)
                .await
                .map_err(|e| self.store_failed(e))?;
            if replaced {
                if record.status != current.record.status {
                    self.metrics.scene_reached(record.provider, record.status);
                }
                if let Err(e) = self.notifier.publish(scene).await {
                    // Streams also wake at expiry and re-read on reconnect; a lost hint delays,
                    // never loses, an outcome.
                    tracing::warn!(error = %crate::telemetry::chain(&e), "could not publish a scene change");
                }
                return Ok(record);
            }
        }
        Err(Error::Internal(anyhow::anyhow!(
            "scene {scene} changed {CAS_ATTEMPTS} times while being updated"
        )))
    }

    /// Load a scene for the holder of its poll token. A missing token is refused before the
    /// store is asked, so that nothing is learnt without one.
    pub(crate) async fn authorised(
        &self,
        scene: &str,
        poll_token: Option<&str>,
    ) -> Result<SceneRecord, Error> {
        let poll_token = poll_token
            .filter(|t| !t.is_empty())
            .ok_or(Error::BadPollToken)?;
        let scene = Scene::parse(scene).map_err(|_| Error::SceneNotFound)?;
        let found = self
            .scenes
            .get(&scene)
            .await
            .map_err(|e| self.store_failed(e))?
            .ok_or(Error::SceneNotFound)?;
        if !PollToken::matches(poll_token, &found.record.poll_token_hash) {
            return Err(Error::BadPollToken);
        }
        Ok(found.record)
    }

    /// The poll answer. The first reader to see `confirmed` gets the tokens and moves the scene
    /// to `consumed`; everyone after gets `SceneConsumed`.
    pub async fn poll(&self, scene: &str, poll_token: Option<&str>) -> Result<SceneView, Error> {
        let record = self.authorised(scene, poll_token).await?;
        self.pace_poll(&record.scene).await?;
        self.view_or_pick_up(record).await
    }

    pub(crate) async fn view_or_pick_up(&self, record: SceneRecord) -> Result<SceneView, Error> {
        let now = now_ms();
        match record.status_at(now) {
            SceneStatus::Expired => {
                if record.status.is_waiting() {
                    // Write the expiry down once: it reaches every stream and is counted once.
                    let _ = self.transition(&record.scene, expire).await;
                }
                Err(Error::SceneExpired)
            }
            SceneStatus::Consumed => Err(Error::SceneConsumed),
            SceneStatus::Confirmed if record.requester.for_client.is_some() => {
                self.pick_up_for_client(record, now).await
            }
            SceneStatus::Confirmed => {
                let tokens = self.pick_up(&record).await?;
                let mut view = self.view(&record, now);
                view.tokens = Some(tokens);
                Ok(view)
            }
            _ => Ok(self.view(&record, now)),
        }
    }

    /// No login lost: the tokens are minted first, and only then is the scene marked consumed.
    /// A failure while minting leaves the scene confirmed (the caller gets a 503 and reads
    /// again); a reader that loses the race to consume revokes what it minted.
    async fn pick_up(&self, record: &SceneRecord) -> Result<TokenSet, Error> {
        let outcome = record.outcome.clone().ok_or_else(|| {
            Error::Internal(anyhow::anyhow!("confirmed scene without an outcome"))
        })?;
        let tokens = self
            .mint(&outcome.account_id, record.provider, &outcome.app_id)
            .await?;
        match self
            .transition(&record.scene, |r, now| Ok(r.apply(Event::PickUp, now)?))
            .await
        {
            Ok(_) => Ok(tokens),
            Err(e) => {
                // Another reader took the login, or the store failed: these tokens go to nobody.
                if let Err(revoke) = self.revoke(&tokens.refresh_token).await {
                    tracing::warn!(error = %crate::telemetry::chain(&revoke), "could not revoke the tokens of a lost pick-up");
                }
                Err(e)
            }
        }
    }

    pub(crate) fn view(&self, record: &SceneRecord, now: i64) -> SceneView {
        SceneView {
            scene: record.scene.to_string(),
            status: record.status_at(now),
            expires_in: record.expires_in(now),
            interval: self.settings.interval_secs,
            scanned_by: record.scanned_by.clone(),
            refused: record.refused,
            tokens: None,
            redirect: None,
        }
    }

    /// A fresh token set for an account, as authenticated by `provider` of `app_id`.
    pub(crate) async fn mint(
        &self,
        account_id: &str,
        provider: Provider,
        app_id: &AppId,
    ) -> Result<TokenSet, Error> {
        let refresh = self
            .refresh_tokens
            .issue(account_id, provider, app_id, self.settings.refresh_ttl)
            .await?;
        let subject = AccessSubject {
            account_id: account_id.to_string(),
            provider,
            app_id: app_id.clone(),
            auth_time: Some(jsonwebtoken::get_current_timestamp()),
        };
        self.token_set(&subject, &refresh.token)
    }

    fn token_set(&self, subject: &AccessSubject, refresh: &Secret) -> Result<TokenSet, Error> {
        let access = self.signer.issue(subject).map_err(Error::Internal)?;
        Ok(TokenSet {
            access_token: access.token.expose().to_string(),
            token_type: "Bearer".into(),
            expires_in: access.expires_in,
            refresh_token: refresh.expose().to_string(),
        })
    }

    /// Rotate a refresh token of Saoma's own API into a new token set (reuse revokes the
    /// family; so does a token of an OpenID client's family, which is not this API's).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, Error> {
        let (issued, subject) = self.rotate_held_by(refresh_token, None).await?;
        let subject = AccessSubject {
            account_id: subject.account_id,
            provider: subject.provider,
            app_id: subject.app_id,
            // A refreshed token proves no recent login (`DELETE /api/v1/me` asks for one).
            auth_time: None,
        };
        self.token_set(&subject, &issued.token)
    }

    pub async fn revoke(&self, refresh_token: &str) -> Result<(), Error> {
        Ok(self
            .refresh_tokens
            .revoke(&Secret::new(refresh_token))
            .await?)
    }

    /// The account behind a bearer access token.
    pub async fn me(&self, bearer: Option<&str>) -> Result<Account, Error> {
        let claims = bearer
            .and_then(|t| self.signer.verify(t).ok())
            .ok_or(Error::Unauthenticated)?;
        self.accounts
            .get(&claims.sub)
            .await?
            .ok_or(Error::Unauthenticated)
    }
}

/// Move a waiting scene past its deadline to `expired`; anything else was written already.
fn expire(r: &mut SceneRecord, now: i64) -> Result<(), Error> {
    if r.status.is_waiting() && r.status_at(now) == SceneStatus::Expired {
        r.status = r.status.next(Event::Expire)?;
        Ok(())
    } else {
        Err(Error::SceneExpired)
    }
}

impl Saoma {
    /// Count a store failure and turn it into the domain error (503 for the caller).
    pub(crate) fn store_failed(&self, e: StoreError) -> Error {
        self.metrics.store_error("ephemeral");
        Error::Store(e)
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let end = (0..=max)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        s.truncate(end);
    }
    s
}

pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
