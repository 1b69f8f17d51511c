//! Website login (open platform): WeChat hosts the QR page (`connect/qrconnect`, `state` = the
//! scene); after the user approves, WeChat sends the browser to Saoma's callback with a code,
//! which Saoma exchanges (`sns/oauth2/access_token`, `sns/userinfo`) to confirm the scene. The
//! page still learns the outcome through its poll token, so no token ever rides in a URL.

use super::complete::LoginOrigin;
use super::{
    BrowserCallback, CreatedScene, Error, LoginMethod, NewScene, PollToken, Qr, Saoma, WxLogin,
};
use crate::accounts::NewIdentity;
use crate::scene::{Event, Provider, ScannedBy, Scene, SceneRecord, SceneStatus, TransitionError};
use crate::store::now_ms;
use crate::wechat::AppCredentials;

const SCOPE: &str = "snsapi_login";
/// The marker Saoma puts in the iframe-mode redirect_uri (WeChat does not say which mode).
const SELF_REDIRECT: &str = "self_redirect";

/// The configured website app and where browsers go.
#[derive(Debug, Clone)]
pub struct Website {
    pub app: AppCredentials,
    /// `https://open.weixin.qq.com/connect/qrconnect` (or the sandbox's).
    pub qrconnect_url: url::Url,
    /// `<public_url>/api/v1/website/callback`.
    pub callback_url: url::Url,
    /// Where the browser goes after the callback unless the scene names an allowed one.
    pub return_url: url::Url,
    pub allowed_return_urls: Vec<url::Url>,
}

/// How the callback ended: where the browser goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    Confirmed {
        return_url: String,
    },
    /// The user refused on the phone (no code), and the browser that created the scene says so.
    Cancelled {
        return_url: String,
    },
    /// A refusal from a browser that cannot show it created the scene: nothing changes (the
    /// state is in the QR page's URL, which anyone near the screen can read).
    RefusedElsewhere,
}

impl Website {
    /// The return URL a page asked for, if it is allowed (URL-normalised exact match; the
    /// configured `return_url` itself is always allowed).
    fn allowed_return_url(&self, asked: &str) -> Result<String, Error> {
        let asked = url::Url::parse(asked).map_err(|_| Error::InvalidReturnUrl)?;
        if asked == self.return_url || self.allowed_return_urls.contains(&asked) {
            Ok(asked.into())
        } else {
            Err(Error::InvalidReturnUrl)
        }
    }

    fn redirect_uri(&self, self_redirect: bool) -> url::Url {
        let mut uri = self.callback_url.clone();
        if self_redirect {
            uri.query_pairs_mut().append_pair(SELF_REDIRECT, "true");
        }
        uri
    }

    /// `qrconnect?appid=&redirect_uri=&response_type=code&scope=snsapi_login&state=#wechat_redirect`
    /// (iframe mode: `&login_type=jssdk&self_redirect=true`, no fragment, as wxLogin.js builds it).
    fn qrconnect(&self, scene: &Scene, self_redirect: bool) -> String {
        let mut url = self.qrconnect_url.clone();
        url.query_pairs_mut()
            .clear()
            .append_pair("appid", self.app.app_id.as_str())
            .append_pair("redirect_uri", self.redirect_uri(self_redirect).as_str())
            .append_pair("response_type", "code")
            .append_pair("scope", SCOPE)
            .append_pair("state", scene.as_str());
        if self_redirect {
            url.query_pairs_mut()
                .append_pair("login_type", "jssdk")
                .append_pair(SELF_REDIRECT, "true");
        } else {
            url.set_fragment(Some("wechat_redirect"));
        }
        url.into()
    }

    fn qr(&self, scene: &Scene) -> Qr {
        let redirect_uri = self.redirect_uri(true);
        let encoded: String =
            url::form_urlencoded::byte_serialize(redirect_uri.as_str().as_bytes()).collect();
        Qr {
            url: Some(self.qrconnect(scene, false)),
            wx_login: Some(WxLogin {
                appid: self.app.app_id.to_string(),
                scope: SCOPE.into(),
                redirect_uri: encoded,
                state: scene.to_string(),
                self_redirect: true,
                iframe_url: self.qrconnect(scene, true),
            }),
            ..Qr::default()
        }
    }

    /// `'self'` plus the origins of the return URLs: the pages that may frame the callback's
    /// "done" page (CSP `frame-ancestors`).
    pub fn frame_ancestors(&self) -> String {
        let mut sources = vec!["'self'".to_string()];
        for url in std::iter::once(&self.return_url).chain(&self.allowed_return_urls) {
            let origin = url.origin();
            if origin.is_tuple() && !sources.contains(&origin.ascii_serialization()) {
                sources.push(origin.ascii_serialization());
            }
        }
        sources.join(" ")
    }
}

#[async_trait::async_trait]
impl LoginMethod for Website {
    fn provider(&self) -> Provider {
        Provider::Website
    }

    /// Saoma picks the id (it travels as `state` through WeChat) and answers the qrconnect URL
    /// plus what wxLogin.js needs to embed it.
    async fn create_scene(&self, saoma: &Saoma, mut new: NewScene) -> Result<CreatedScene, Error> {
        let website = self;
        if new.scene.is_some() {
            return Err(Error::SceneNotAllowed(Provider::Website));
        }
        new.return_url = new
            .return_url
            .as_deref()
            .map(|asked| website.allowed_return_url(asked))
            .transpose()?;
        let (record, poll_token) = saoma.insert_scene(new).await?;
        Ok(CreatedScene {
            scene: record.scene.to_string(),
            provider: Provider::Website,
            poll_token: poll_token.expose().to_string(),
            status: record.status,
            expires_in: record.expires_in(now_ms()),
            interval: saoma.settings.interval_secs,
            qr: website.qr(&record.scene),
        })
    }
}

impl Saoma {
    /// WeChat sent the browser back. Without a code the user refused: cancel, when the browser
    /// is the one that created the scene (its `saoma_website` cookie). With one:
    /// exchange it and read the profile (before touching any account, so a WeChat error leaves
    /// nothing half made), find or create the account, then scan and confirm the scene.
    pub async fn website_callback(&self, cb: BrowserCallback) -> Result<CallbackOutcome, Error> {
        let website: &Website = self.method(Provider::Website)?;
        let scene = cb
            .state
            .and_then(|s| Scene::parse(s).ok())
            .ok_or(Error::SceneNotFound)?;
        // Refuse a finished scene before spending the code: a replayed URL mints nothing.
        let found = self.scenes.get(&scene).await?.ok_or(Error::SceneNotFound)?;
        ensure_waiting(&found.record, now_ms())?;
        let return_url = found
            .record
            .return_url
            .clone()
            .unwrap_or_else(|| website.return_url.to_string());

        let Some(code) = cb.code.filter(|c| !c.is_empty()) else {
            let from_creator = cb
                .browser
                .as_deref()
                .is_some_and(|token| PollToken::matches(token, &found.record.poll_token_hash));
            if !from_creator {
                tracing::info!(scene = %scene, "website refusal from another browser; scene unchanged");
                return Ok(CallbackOutcome::RefusedElsewhere);
            }
            self.transition(&scene, |r, now| {
                ensure_waiting(r, now)?;
                scan_if_pending(r, now)?;
                Ok(r.apply(Event::Cancel, now)?)
            })
            .await?;
            tracing::info!(scene = %scene, "website login refused");
            return Ok(CallbackOutcome::Cancelled { return_url });
        };

        let grant = match self.wechat.oauth2_access_token(&website.app, &code).await {
            Ok(grant) => grant,
            Err(e) => return Err(self.login_failed(Some(&scene), e.into()).await),
        };
        let info = self
            .wechat
            .userinfo(&website.app.app_id, &grant.access_token, &grant.openid)
            .await?;
        let nickname = info.real_nickname();
        let avatar = info.real_avatar();
        let identity = NewIdentity {
            provider: Provider::Website,
            app_id: website.app.app_id.clone(),
            openid: grant.openid,
            unionid: info.unionid.or(grant.unionid),
            nickname: nickname.clone(),
            avatar: avatar.clone(),
        };
        let origin = LoginOrigin {
            scene: Some(scene.clone()),
            ..LoginOrigin::default()
        };
        // Refused: the scene is cancelled with the reason, which the page at the return URL
        // reads from it.
        let account = match self.complete_login(&identity, origin).await {
            Ok(account) => account,
            Err(Error::LoginRefused(_)) => return Ok(CallbackOutcome::Cancelled { return_url }),
            Err(e) => return Err(e),
        };
        let scanned_by = ScannedBy { nickname, avatar };
        self.confirm_identity(
            &scene,
            Provider::Website,
            &account,
            &website.app.app_id,
            Some(scanned_by),
        )
        .await?;
        tracing::info!(scene = %scene, "website login confirmed");
        Ok(CallbackOutcome::Confirmed { return_url })
    }
}

/// A website scene still waiting for WeChat; anything else is refused as it stands.
fn ensure_waiting(record: &SceneRecord, now: i64) -> Result<(), Error> {
    if record.provider != Provider::Website {
        return Err(Error::WrongProvider(record.provider));
    }
    let status = record.status_at(now);
    if !status.is_waiting() {
        let event = Event::Confirm;
        return Err(TransitionError {
            from: status,
            event,
        }
        .into());
    }
    Ok(())
}

fn scan_if_pending(r: &mut SceneRecord, now: i64) -> Result<(), Error> {
    if r.status_at(now) == SceneStatus::Pending {
        r.apply(Event::Scan, now)?;
    }
    Ok(())
}
