//! Login inside WeChat's browser (公众号网页授权, docs/wechat.md section 7b): the page sends the
//! browser to the official account's `connect/oauth2/authorize` (`state` = the scene), WeChat
//! sends it back to Saoma's callback with a code, which Saoma exchanges to confirm the scene.
//! The state is bound to the browser that created the scene: the callback's cookie must carry
//! the scene's poll token, else nothing is spent and nothing changes. The page then picks the
//! tokens up with its poll token, as with every provider.

mod api;
mod callback;

pub(crate) use api::InWechatApi;

use super::Setup;
use crate::login::{CreatedScene, Error, LoginMethod, NewScene, Qr, Saoma};
use crate::scene::{Provider, Scene};
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
    /// The official account's web authorization, when the account is configured and
    /// `in_wechat.enabled` does not turn it off.
    pub(crate) fn from_setup(setup: &Setup<'_>) -> anyhow::Result<Option<InWechat>> {
        let (config, public_url) = (setup.config, setup.public_url);
        let Some(oa) = setup
            .official_account
            .filter(|_| config.in_wechat_enabled(true))
        else {
            return Ok(None);
        };
        Ok(Some(InWechat {
            app: AppCredentials {
                app_id: oa.app_id.clone(),
                secret: oa.app_secret.clone(),
            },
            authorize_url: config.in_wechat_authorize_url(public_url)?,
            callback_url: config.in_wechat_callback_url(public_url)?,
            fetch_profile: config.in_wechat.fetch_profile,
            return_url: config.in_wechat_return_url(public_url),
            allowed_return_urls: config.in_wechat.allowed_return_urls.clone(),
        }))
    }

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

    fn app(&self) -> Option<&AppCredentials> {
        Some(&self.app)
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
        let client_page = new
            .for_client
            .as_ref()
            .map(|client| saoma.client_login_page(&in_wechat.callback_url, &client.request));
        let asked = new
            .return_url
            .take()
            .or_else(|| client_page.as_ref().map(|page| page.to_string()));
        new.return_url = asked
            .as_deref()
            .map(|asked| in_wechat.allowed_return_url(asked, client_page.as_ref()))
            .transpose()?;
        let (record, poll_token) = saoma.insert_scene(new).await?;
        let qr = Qr {
            url: Some(in_wechat.authorize(&record.scene)),
            ..Qr::default()
        };
        Ok(saoma.created_scene(&record, &poll_token, qr))
    }
}
