//! Website login (open platform): WeChat hosts the QR page (`connect/qrconnect`, `state` = the
//! scene); after the user approves, WeChat sends the browser to Saoma's callback with a code,
//! which Saoma exchanges (`sns/oauth2/access_token`, `sns/userinfo`) to confirm the scene. The
//! page still learns the outcome through its poll token, so no token ever rides in a URL.

mod api;
mod callback;

pub(crate) use api::WebsiteApi;

use super::Setup;
use crate::login::{CreatedScene, Error, LoginMethod, NewScene, Qr, Saoma, WxLogin};
use crate::scene::{Provider, Scene};
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
    /// The website app `[website]` configures, if any.
    pub(crate) fn from_setup(setup: &Setup<'_>) -> anyhow::Result<Option<Website>> {
        let (config, public_url) = (setup.config, setup.public_url);
        let Some((app_id, secret)) = config.website_credentials() else {
            return Ok(None);
        };
        Ok(Some(Website {
            app: AppCredentials { app_id, secret },
            qrconnect_url: config.website_qrconnect_url(public_url)?,
            callback_url: config.website_callback_url(public_url)?,
            return_url: config.website_return_url(public_url),
            allowed_return_urls: config.website.allowed_return_urls.clone(),
        }))
    }

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
}

#[async_trait::async_trait]
impl LoginMethod for Website {
    fn provider(&self) -> Provider {
        Provider::Website
    }

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
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
        Ok(saoma.created_scene(&record, &poll_token, website.qr(&record.scene)))
    }

    fn framed_origin(&self) -> Option<String> {
        let framed = self.qrconnect_url.origin();
        if framed == self.callback_url.origin() {
            Some("'self'".into())
        } else if framed.is_tuple() {
            Some(framed.ascii_serialization())
        } else {
            None
        }
    }

    /// `'self'` plus the origins of the return URLs: the pages that may frame the callback's
    /// "done" page (CSP `frame-ancestors`).
    fn frame_ancestors(&self) -> Option<String> {
        let mut sources = vec!["'self'".to_string()];
        for url in std::iter::once(&self.return_url).chain(&self.allowed_return_urls) {
            let origin = url.origin();
            if origin.is_tuple() && !sources.contains(&origin.ascii_serialization()) {
                sources.push(origin.ascii_serialization());
            }
        }
        Some(sources.join(" "))
    }
}
