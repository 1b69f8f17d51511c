//! A login for an OpenID client (Saoma's hosted login page): at pick-up the browser gets a
//! way on to the OpenID Provider, never tokens. The provider registers what parks the login
//! ([`ClientResume`], in [`super::Parts`]); it later redeems it for a sign-on session and an
//! authorization code.

use super::{Error, Saoma, SceneView};
use crate::ids::AppId;
use crate::scene::{Event, Provider, SceneRecord};
use crate::secret::Secret;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Who logged in, for which authorization request: what the OpenID Provider is handed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientLogin {
    /// The id of the stored authorization request.
    pub request: String,
    pub account_id: String,
    pub provider: Provider,
    pub app_id: AppId,
    /// Unix seconds: when the user confirmed on the phone (read at pick-up).
    pub auth_time: i64,
    /// The scene's browser binding (`ClientRequest::browser`).
    #[serde(default)]
    pub browser: String,
}

/// Where a confirmed client scene's login goes: the OpenID Provider keeps it for the browser
/// and answers where that browser goes next.
#[async_trait]
pub trait ClientResume: Send + Sync {
    /// Keeps `login` for a short while; the URL (on Saoma's origin) the browser follows to
    /// finish the login. A store failure is `Error::Store`.
    async fn park(&self, login: &ClientLogin) -> Result<String, Error>;

    /// The hosted login page of the authorization request `request`, on `origin`: where an
    /// in-WeChat login for it comes back to.
    fn login_page(&self, origin: &url::Url, request: &str) -> url::Url;
}

/// 256 random bits, base64url.
pub(crate) fn random_token() -> Secret {
    Secret::new(URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

impl Saoma {
    /// The pick-up of a confirmed scene bound to an OpenID client: the login is parked first,
    /// then the scene is consumed, so a failure leaves the scene confirmed for a retry.
    pub(crate) async fn pick_up_for_client(
        &self,
        record: SceneRecord,
        now: i64,
    ) -> Result<SceneView, Error> {
        let (Some(client), Some(outcome)) = (&record.requester.for_client, &record.outcome) else {
            return Err(Error::Internal(anyhow::anyhow!(
                "confirmed client scene without a request or an outcome"
            )));
        };
        let login = ClientLogin {
            request: client.request.clone(),
            account_id: outcome.account_id.clone(),
            provider: record.provider,
            app_id: outcome.app_id.clone(),
            auth_time: now / 1000,
            browser: client.browser.clone(),
        };
        let redirect = self.client_resume.park(&login).await.inspect_err(|e| {
            if matches!(e, Error::Store(_)) {
                self.metrics.store_error("ephemeral");
            }
        })?;
        self.transition(&record.scene, |r, now| Ok(r.apply(Event::PickUp, now)?))
            .await?;
        let mut view = self.view(&record, now);
        view.redirect = Some(redirect);
        Ok(view)
    }
}

impl Saoma {
    /// The hosted login page of an OpenID authorization request, on `origin`.
    pub(crate) fn client_login_page(&self, origin: &url::Url, request: &str) -> url::Url {
        self.client_resume.login_page(origin, request)
    }
}
