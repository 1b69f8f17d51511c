//! `/api/v1/scenes`: create a scene, poll it, stream it.

use super::SceneId;
use super::created::CreatedJson;
use super::poll_auth::PollToken;
use super::sse::SceneEvents;
use crate::edge::error::ApiError;
use crate::edge::op_error::{OpError, errors};
use crate::edge::{
    CallbackCookie, ExtraCookie, PollCookie, client_ip, client_of, with_extra_cookie,
};
use crate::login::{NewScene, Saoma, SceneView};
use crate::scene::Provider;
use futures::StreamExt;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Tags)]
enum ApiTags {
    /// A scene is one pending browser login.
    Scenes,
}

/// Start a login.
#[derive(Object, Debug)]
#[oai(example, skip_serializing_if_is_none)]
pub struct CreateSceneRequest {
    /// Which WeChat login to use.
    pub provider: Provider,
    /// A browser-chosen scene id (8..=32 chars of `0-9A-Za-z!#$&'()*+,/:;=?@-._~`); omit to let
    /// Saoma generate one (128 random bits).
    pub scene: Option<SceneId>,
    /// Website login only: where the browser goes after WeChat's callback; must be one of
    /// `website.allowed_return_urls` (default `website.return_url`).
    #[oai(validator(max_length = 2048))]
    pub return_url: Option<String>,
}

#[derive(ApiResponse)]
pub enum CreateSceneResponse {
    /// The scene exists; show `qr` and wait with `poll_token`. A `saoma_poll` HttpOnly cookie
    /// scoped to the scene's path carries the poll token for same-origin `EventSource`.
    #[oai(status = 201)]
    Created(CreatedJson, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
pub enum SceneEventsResponse {
    /// One `status` event per transition (data: the poll body); closes after a final state.
    /// When the server shuts down, an `event: reconnect` comes last: reconnect (the load
    /// balancer picks another instance) or poll.
    #[oai(status = 200)]
    Stream(
        SceneEvents,
        #[oai(header = "X-Accel-Buffering")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

errors!(
    /// `createScene`'s errors.
    CreateErrors = "createScene", json: true,
    [InvalidScene, SceneNotAllowed, InvalidReturnUrl, ProviderUnavailable, SceneExists,
     RateLimited, WechatError, WechatQuotaExhausted, StoreUnavailable, WechatTimeout]
);
errors!(
    /// `getScene`'s errors.
    PollErrors = "getScene", json: false,
    [InvalidPollToken, SceneNotFound, SceneExpired, SceneConsumed, SlowDown, StoreUnavailable,
     DatabaseUnavailable]
);
errors!(
    /// `streamSceneEvents`' errors (before the stream starts; after, they are `error` events).
    EventsErrors = "streamSceneEvents", json: false,
    [InvalidPollToken, SceneNotFound, SceneExpired, SceneConsumed, RateLimited, StoreUnavailable]
);

#[derive(Default)]
pub struct ScenesApi;

#[OpenApi(prefix_path = "/api/v1/scenes", tag = "ApiTags::Scenes")]
impl ScenesApi {
    /// Create a scene and its code
    ///
    /// A website scene also gets a `saoma_website` cookie (HttpOnly, SameSite=Lax, path
    /// `/api/v1/website/callback`), by which a refusal is taken only from this browser. An
    /// `in_wechat` scene (a page inside WeChat: `qr.url` is the official account's
    /// `connect/oauth2/authorize`, to navigate to) gets `saoma_in_wechat` (path
    /// `/api/v1/in-wechat/callback`), without which its callback is refused.
    #[oai(
        path = "/",
        method = "post",
        operation_id = "createScene",
        transform = "with_extra_cookie"
    )]
    async fn create(
        &self,
        saoma: Data<&Arc<Saoma>>,
        extra_cookie: Data<&ExtraCookie>,
        req: &Request,
        body: Json<CreateSceneRequest>,
    ) -> Result<CreateSceneResponse, OpError<CreateErrors>> {
        let (ip, user_agent) = client_of(req);
        let new = NewScene {
            provider: body.0.provider,
            scene: body.0.scene.map(|s| s.0),
            requester_ip: ip,
            user_agent,
            return_url: body.0.return_url,
            for_client: None,
        };
        let created = saoma.create_scene(new).await?;
        let cookie = PollCookie::set(
            &created.scene,
            &created.poll_token,
            created.expires_in,
            saoma.settings().secure_cookies,
        );
        let callback = match created.provider {
            Provider::Website => Some(CallbackCookie::WEBSITE),
            Provider::InWechat => Some(CallbackCookie::IN_WECHAT),
            _ => None,
        };
        if let Some(callback) = callback {
            extra_cookie.put(callback.set(
                &created.poll_token,
                created.expires_in,
                saoma.settings().secure_cookies,
            ));
        }
        tracing::info!(scene = %created.scene, provider = created.provider.as_str(), "scene created");
        Ok(CreateSceneResponse::Created(CreatedJson(created), cookie))
    }

    /// Poll a scene
    ///
    /// The first authorised read that sees `confirmed` carries `tokens`; later reads answer
    /// 410 `scene_consumed`.
    #[oai(path = "/:scene", method = "get", operation_id = "getScene")]
    async fn poll(
        &self,
        saoma: Data<&Arc<Saoma>>,
        scene: Path<SceneId>,
        token: PollToken,
    ) -> Result<Json<SceneView>, OpError<PollErrors>> {
        Ok(Json(saoma.poll(&scene.0.0, token.0.as_deref()).await?))
    }

    /// Stream a scene's status (Server-Sent Events)
    #[oai(
        path = "/:scene/events",
        method = "get",
        operation_id = "streamSceneEvents"
    )]
    async fn events(
        &self,
        saoma: Data<&Arc<Saoma>>,
        req: &Request,
        scene: Path<SceneId>,
        token: PollToken,
    ) -> Result<SceneEventsResponse, OpError<EventsErrors>> {
        let ip = client_ip(req).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let stream = saoma
            .watch_from(ip, &scene.0.0, token.0.as_deref())
            .await?
            .map(|item| item.map(|read| read.map_err(|e| ApiError::from(e).into_body())));
        let events = SceneEvents::new(stream.boxed(), KEEP_ALIVE);
        Ok(SceneEventsResponse::Stream(
            events,
            "no".into(),
            "no-cache".into(),
        ))
    }
}
