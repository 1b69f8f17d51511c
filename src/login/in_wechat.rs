//! Login inside WeChat's browser (公众号网页授权, docs/wechat.md section 7b): the page sends the
//! browser to the official account's `connect/oauth2/authorize` (`state` = the scene), WeChat
//! sends it back to Saoma's callback with a code, which Saoma exchanges to confirm the scene.
//! The state is bound to the browser that created the scene: the callback's cookie must carry
//! the scene's poll token, else nothing is spent and nothing changes. The page then picks the
//! tokens up with its poll token, as with every provider.

use super::complete::LoginOrigin;
use super::{BrowserCallback, CreatedScene, Error, LoginMethod, NewScene, PollToken, Qr, Saoma};
use crate::accounts::NewIdentity;
use crate::scene::{Event, Provider, ScannedBy, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;
use crate::wechat::AppCredentials;

/// The official account's web authorization and where browsers go.
#[derive(Debug, Clone)]
pub struct InWechat {
    /// The official account's app id and secret.
    pub app: AppCredentials,
    /// `https://open.weixin.qq.com/connect/oauth2/authorize` (or the sandbox's).
    pub authorize_url: url::Url,
    /// `<public_url>/api/v1/in-wechat/callback`.
    pub callback_url: url::Url,
    /// `snsapi_userinfo` (consent page, profile) rather than the silent `snsapi_base`.
    pub fetch_profile: bool,
    pub return_url: url::Url,
    pub allowed_return_urls: Vec<url::Url>,
}

/// How the callback ended: where the browser goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InWechatOutcome {
    Confirmed {
        return_url: String,
    },
    /// No code: the user turned the consent page down.
    Cancelled {
        return_url: String,
    },
}

impl InWechat {
    pub fn scope(&self) -> &'static str {
        if self.fetch_profile {
            "snsapi_userinfo"
        } else {
            "snsapi_base"
        }
    }

    /// Where WeChat's redirect may end. A scene bound to an OpenID authorization request: only
    /// `client_page`, the hosted login page of that very request (never `return_url`, never
    /// another request's page). Any other scene: `return_url` or one of `allowed_return_urls`.
    fn allowed_return_url(
        &self,
        asked: &str,
        client_page: Option<&url::Url>,
    ) -> Result<String, Error> {
        let asked = url::Url::parse(asked).map_err(|_| Error::InvalidReturnUrl)?;
        let allowed = match client_page {
            Some(page) => asked == *page,
            None => asked == self.return_url || self.allowed_return_urls.contains(&asked),
        };
        if allowed {
            Ok(asked.into())
        } else {
            Err(Error::InvalidReturnUrl)
        }
    }

    /// `authorize?appid=&redirect_uri=&response_type=code&scope=&state=#wechat_redirect`, the
    /// parameters in the order WeChat's documentation gives (it is known to care).
    pub fn authorize(&self, scene: &Scene) -> String {
        let mut url = self.authorize_url.clone();
        url.query_pairs_mut()
            .clear()
            .append_pair("appid", self.app.app_id.as_str())
            .append_pair("redirect_uri", self.callback_url.as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", self.scope())
            .append_pair("state", scene.as_str());
        url.set_fragment(Some("wechat_redirect"));
        url.into()
    }
}

/// WeChat's `state` is at most 128 characters of `a-zA-Z0-9`: 32 hex digits (128 bits).
fn alphanumeric_scene() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[async_trait::async_trait]
impl LoginMethod for InWechat {
    fn provider(&self) -> Provider {
        Provider::InWechat
    }

    /// A page inside WeChat's browser has no tab: `GET /api/v1/providers` says `in_wechat`.
    fn listed(&self) -> bool {
        false
    }

    /// Saoma picks the id (it travels as `state`) and answers the authorize URL the browser
    /// goes to.
    async fn create_scene(&self, saoma: &Saoma, mut new: NewScene) -> Result<CreatedScene, Error> {
        let in_wechat = self;
        if new.scene.is_some() {
            return Err(Error::SceneNotAllowed(Provider::InWechat));
        }
        new.scene = Some(alphanumeric_scene());
        // A scene for the hosted OpenID login page comes back to that page by default (on
        // Saoma's public origin: the callback's).
        let client_page = new.for_client.as_ref().map(|client| {
            saoma
                .client_resume
                .login_page(&in_wechat.callback_url, &client.request)
        });
        let asked = new
            .return_url
            .take()
            .or_else(|| client_page.as_ref().map(|page| page.to_string()));
        new.return_url = asked
            .as_deref()
            .map(|asked| in_wechat.allowed_return_url(asked, client_page.as_ref()))
            .transpose()?;
        let (record, poll_token) = saoma.insert_scene(new).await?;
        Ok(CreatedScene {
            scene: record.scene.to_string(),
            provider: Provider::InWechat,
            poll_token: poll_token.expose().to_string(),
            status: record.status,
            expires_in: record.expires_in(now_ms()),
            interval: saoma.settings.interval_secs,
            qr: Qr {
                url: Some(in_wechat.authorize(&record.scene)),
                ..Qr::default()
            },
        })
    }
}

impl Saoma {
    fn in_wechat(&self) -> Result<&InWechat, Error> {
        self.method(Provider::InWechat)
    }

    /// WeChat sent the browser back. The state must name a waiting in-WeChat scene created by
    /// this very browser (its cookie), checked before the code is spent. Then: exchange the
    /// code; a snapshot-page user (`is_snapshotuser`) is refused and the scene left as it is;
    /// with `snsapi_userinfo`, read the profile; find or create the account; confirm.
    pub async fn in_wechat_callback(&self, cb: BrowserCallback) -> Result<InWechatOutcome, Error> {
        let in_wechat = self.in_wechat()?;
        let scene = cb
            .state
            .and_then(|s| Scene::parse(s).ok())
            .ok_or(Error::InvalidState)?;
        let found = self.scenes.get(&scene).await?.ok_or(Error::InvalidState)?;
        let from_creator = cb
            .browser
            .as_deref()
            .is_some_and(|token| PollToken::matches(token, &found.record.poll_token_hash));
        if found.record.provider != Provider::InWechat || !from_creator {
            tracing::info!(scene = %scene, "in-WeChat callback from a browser that did not start it; scene unchanged");
            return Err(Error::InvalidState);
        }
        ensure_waiting(&found.record, now_ms())?;
        let return_url = found
            .record
            .return_url
            .clone()
            .unwrap_or_else(|| in_wechat.return_url.to_string());

        let Some(code) = cb.code.filter(|c| !c.is_empty()) else {
            self.transition(&scene, |r, now| {
                ensure_waiting(r, now)?;
                if r.status_at(now) == SceneStatus::Pending {
                    r.apply(Event::Scan, now)?;
                }
                Ok(r.apply(Event::Cancel, now)?)
            })
            .await?;
            tracing::info!(scene = %scene, "in-WeChat login refused");
            return Ok(InWechatOutcome::Cancelled { return_url });
        };

        let grant = match self.wechat.oauth2_access_token(&in_wechat.app, &code).await {
            Ok(grant) => grant,
            Err(e) => return Err(self.login_failed(Some(&scene), e.into()).await),
        };
        if grant.is_snapshotuser {
            tracing::info!(scene = %scene, "in-WeChat login from a snapshot page; scene unchanged");
            return Err(Error::SnapshotUser);
        }
        let (mut unionid, mut scanned_by) = (grant.unionid.clone(), None);
        if in_wechat.fetch_profile && grant.scope.contains("snsapi_userinfo") {
            let info = self
                .wechat
                .userinfo(&in_wechat.app.app_id, &grant.access_token, &grant.openid)
                .await?;
            scanned_by = Some(ScannedBy {
                nickname: info.real_nickname(),
                avatar: info.real_avatar(),
            });
            unionid = info.unionid.or(unionid);
        }
        let identity = NewIdentity {
            provider: Provider::InWechat,
            app_id: in_wechat.app.app_id.clone(),
            openid: grant.openid,
            unionid,
            nickname: scanned_by.as_ref().and_then(|s| s.nickname.clone()),
            avatar: scanned_by.as_ref().and_then(|s| s.avatar.clone()),
        };
        let origin = LoginOrigin {
            scene: Some(scene.clone()),
            ..LoginOrigin::default()
        };
        // Refused: the scene is cancelled with the reason, which the page at the return URL
        // reads from it.
        let account = match self.complete_login(&identity, origin).await {
            Ok(account) => account,
            Err(Error::LoginRefused(_)) => return Ok(InWechatOutcome::Cancelled { return_url }),
            Err(e) => return Err(e),
        };
        self.confirm_identity(
            &scene,
            Provider::InWechat,
            &account,
            &in_wechat.app.app_id,
            scanned_by,
        )
        .await?;
        tracing::info!(scene = %scene, "in-WeChat login confirmed");
        Ok(InWechatOutcome::Confirmed { return_url })
    }
}

/// An in-WeChat scene still waiting for WeChat; anything else is refused as it stands.
fn ensure_waiting(record: &SceneRecord, now: i64) -> Result<(), Error> {
    if record.provider != Provider::InWechat {
        return Err(Error::WrongProvider(record.provider));
    }
    let status = record.status_at(now);
    if !status.is_waiting() {
        return Err(TransitionError {
            from: status,
            event: Event::Confirm,
        }
        .into());
    }
    Ok(())
}
