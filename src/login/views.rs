//! What the API answers. These are the contract's field names (DESIGN.md).

use crate::accounts::{Account, Identity};
use crate::scene::{Provider, Refusal, Requester, ScannedBy, SceneStatus};
use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::Object;
use std::fmt;

/// Access and refresh token for one account.
#[derive(Object, Clone)]
#[oai(example)]
pub struct TokenSet {
    /// EdDSA-signed JWT; verify with `/.well-known/jwks.json`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque; rotated on every use at `/api/v1/tokens/refresh`.
    pub refresh_token: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"[redacted]")
            .finish()
    }
}

/// The status of a scene, as polled or pushed by SSE.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct SceneView {
    /// The scene's id.
    pub scene: String,
    /// Where the login stands: `pending`, `scanned`, `need_phone` wait; `confirmed` carries
    /// `tokens` once; the others are final.
    pub status: SceneStatus,
    /// Seconds left before a waiting scene expires.
    pub expires_in: u64,
    /// Seconds a poller should wait between polls.
    pub interval: u64,
    /// What the phone revealed about the user, once scanned.
    pub scanned_by: Option<ScannedBy>,
    /// Why a `cancelled` scene was cancelled by Saoma rather than by the user: the person was
    /// identified and the login refused (`account_disabled`, `not_provisioned`).
    pub refused: Option<Refusal>,
    /// The token set, present once: in the first answer that sees `confirmed`.
    pub tokens: Option<TokenSet>,
    /// Instead of `tokens`, for a login to an OpenID client on Saoma's hosted login page:
    /// where the browser goes next (a one-time, same-origin URL), present once.
    pub redirect: Option<String>,
}

/// What the page shows to be scanned.
#[derive(Object, Debug, Clone, Default)]
#[oai(skip_serializing_if_is_none)]
pub struct Qr {
    /// `data:image/...;base64,...` (mini-program code, official-account QR).
    pub image: Option<String>,
    /// A URL to open or embed (website login).
    pub url: Option<String>,
    /// Website login: the parameters of `new WxLogin({...})` (wxLogin.js) to embed WeChat's QR
    /// in the page (iframe mode).
    pub wx_login: Option<WxLogin>,
}

/// Website login embedded in the page: pass `appid`, `scope`, `redirect_uri`, `state` and
/// `self_redirect` to `new WxLogin({id, ...})`, or use `iframe_url` as an iframe's `src`
/// (what wxLogin.js builds; also works against the sandbox).
#[derive(Object, Debug, Clone)]
pub struct WxLogin {
    /// The website application's AppID on WeChat's open platform.
    pub appid: String,
    /// Always `snsapi_login`.
    pub scope: String,
    /// Saoma's callback in iframe mode, already percent-encoded as wxLogin.js expects.
    pub redirect_uri: String,
    /// The scene.
    pub state: String,
    /// Always true: the callback's "done" page replaces the QR inside the iframe, and the
    /// page learns the outcome from its poll or SSE stream.
    pub self_redirect: bool,
    /// The qrconnect URL wxLogin.js would put in its iframe (`login_type=jssdk`).
    pub iframe_url: String,
}

/// A new scene. `poll_token` is shown once: keep it to read the scene.
#[derive(Object, Clone)]
#[oai(example)]
pub struct CreatedScene {
    /// The scene's id (the browser's, or 22 random characters).
    pub scene: String,
    /// The WeChat login the scene is for.
    pub provider: Provider,
    /// The key to the scene's outcome: send it as `X-Poll-Token` (also set as the
    /// `saoma_poll` cookie). Shown only here.
    pub poll_token: String,
    /// Always `pending` at creation.
    pub status: SceneStatus,
    /// Seconds before the scene expires.
    pub expires_in: u64,
    /// Seconds to wait between polls (faster answers 429 `slow_down`).
    pub interval: u64,
    /// What to show to be scanned.
    pub qr: Qr,
}

impl fmt::Debug for CreatedScene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedScene")
            .field("scene", &self.scene)
            .field("provider", &self.provider)
            .field("poll_token", &"[redacted]")
            .finish()
    }
}

/// The browser that asked to log in, shown on the phone before the user confirms.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct RequesterView {
    /// The browser's address (as seen by Saoma, behind trusted proxies).
    pub ip: String,
    /// The browser's User-Agent (at most 256 characters).
    pub user_agent: String,
    /// When the scene was created.
    pub created_at: DateTime<Utc>,
    /// The app the user logs in to, when the login is for an OpenID client (its `name`).
    pub client_name: Option<String>,
}

impl From<&Requester> for RequesterView {
    fn from(r: &Requester) -> Self {
        Self {
            ip: r.ip.clone(),
            user_agent: r.user_agent.clone(),
            created_at: Utc
                .timestamp_millis_opt(r.created_at)
                .single()
                .unwrap_or_default(),
            client_name: r.for_client.as_ref().map(|c| c.client_name.clone()),
        }
    }
}

/// A WeChat identity linked to the account.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct IdentityView {
    /// The WeChat login this identity came from.
    pub provider: Provider,
    /// The WeChat app (mini-program, official account, website application) it belongs to.
    pub app_id: String,
    /// The user's openid in that app.
    pub openid: String,
    /// The user's unionid across the open platform's apps, when WeChat gave one.
    pub unionid: Option<String>,
    /// The nickname WeChat gave, if any (never its placeholder "微信用户").
    pub nickname: Option<String>,
    /// The avatar URL WeChat gave, if any (never its grey default avatar).
    pub avatar: Option<String>,
    /// When the identity was first seen.
    pub created_at: DateTime<Utc>,
}

/// The person, across providers.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct AccountView {
    /// The account's id (the access token's `sub`).
    pub id: String,
    /// The verified phone number (E.164), once bound.
    pub phone: Option<String>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// The WeChat identities linked to the account.
    pub identities: Vec<IdentityView>,
    /// What the person filled in (头像昵称填写), once WeChat's content check passed it;
    /// absent until then.
    pub profile: Option<ProfileView>,
}

/// The profile a person filled in from the mini-program.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none)]
pub struct ProfileView {
    /// The nickname (WeChat's content check passed it).
    pub nickname: Option<String>,
    /// The newest avatar, a path on this server (`/avatars/<id>.png`); others see it only
    /// once `avatar_status` is `accepted`.
    pub avatar: Option<String>,
    /// Where WeChat's content check of `avatar` stands.
    pub avatar_status: Option<crate::accounts::AvatarStatus>,
}

/// Where avatar `id` is served, on this server.
pub fn avatar_path(id: &str) -> String {
    format!("/avatars/{id}.png")
}

impl From<&Identity> for IdentityView {
    fn from(i: &Identity) -> Self {
        Self {
            provider: i.provider,
            app_id: i.app_id.to_string(),
            openid: i.openid.to_string(),
            unionid: i.unionid.as_ref().map(ToString::to_string),
            nickname: i.nickname.clone(),
            avatar: i.avatar.clone(),
            created_at: i.created_at,
        }
    }
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.clone(),
            phone: a.phone.clone(),
            created_at: a.created_at,
            identities: a.identities.iter().map(IdentityView::from).collect(),
            profile: (a.profile.nickname.is_some() || a.profile.avatar.is_some()).then(|| {
                ProfileView {
                    nickname: a.profile.nickname.clone(),
                    avatar: a.profile.avatar.as_ref().map(|(id, _)| avatar_path(id)),
                    avatar_status: a.profile.avatar.as_ref().map(|(_, status)| *status),
                }
            }),
        }
    }
}

/// What the mini-program gets back from a login: its own session with Saoma.
#[derive(Object, Debug, Clone)]
#[oai(skip_serializing_if_is_none, example)]
pub struct LoginResult {
    /// The account the mini-program user is logged into.
    pub account: AccountView,
    /// The mini-program's own tokens for that account.
    pub tokens: TokenSet,
    /// The browser scene's status after this login, when a scene was given.
    pub scene_status: Option<SceneStatus>,
}

/// What a phone learns by scanning a scene's code: whose scene it is and who asks. The
/// sandbox's phone page shows the matching buttons from it.
pub struct ScannedScene {
    pub provider: Provider,
    pub status: SceneStatus,
    pub requester: RequesterView,
}

impl super::Saoma {
    /// The scene as the phone that scanned its code sees it; `None` when there is no such scene.
    pub async fn scanned(&self, scene: &str) -> Result<Option<ScannedScene>, super::Error> {
        let Ok(scene) = crate::scene::Scene::parse(scene.to_string()) else {
            return Ok(None);
        };
        let Some(found) = self.parts.scenes.get(&scene).await? else {
            return Ok(None);
        };
        let record = found.record;
        Ok(Some(ScannedScene {
            provider: record.provider,
            status: record.status_at(crate::store::now_ms()),
            requester: RequesterView::from(&record.requester),
        }))
    }
}
