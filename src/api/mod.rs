//! The HTTP contract (poem-openapi): thin operations that parse, call `providers`, and map
//! errors in one place (`error`).

mod account;
mod admin;
mod admin_accounts_create;
mod admin_examples;
mod admin_webhooks;
mod admin_webhooks_examples;
mod callback_error;
mod created;
mod error;
mod error_status;
mod examples;
mod health;
pub(crate) mod links;
mod middleware;
mod mini_program;
mod mini_program_sms;
mod official_account;
pub(crate) mod op_error;
pub(crate) mod pages;
mod poll_auth;
mod profile;
mod providers;
pub(crate) mod public_json;
mod scene_id;
mod scenes;
mod sms_verification;
mod sse;

pub use account::AccountApi;
pub use admin::AdminApi;
pub use admin_accounts_create::AdminProvisionApi;
pub use admin_webhooks::AdminWebhooksApi;
pub use error::{ApiError, ErrorBody, ErrorCode, json_errors};
pub use health::HealthApi;
pub use middleware::{access_log, body_limit, header_limit};
pub use mini_program::MiniProgramApi;
pub use mini_program_sms::MiniProgramSmsApi;
pub use official_account::OfficialAccountApi;
pub use profile::ProfileApi;
pub use providers::ProvidersApi;
pub use scene_id::{SCENE_PATTERN, SceneId};
pub use scenes::{ScenesApi, scene_path};
pub use sms_verification::PhoneApi;

use poem::Request;
use std::net::IpAddr;
use std::sync::Arc;

/// The client's address and User-Agent, as shown on the phone.
pub(crate) fn client_of(req: &Request) -> (String, String) {
    let ip = client_ip(req).map_or_else(|| "unknown".into(), |ip| ip.to_string());
    let user_agent: String = req
        .header("User-Agent")
        .unwrap_or("")
        .chars()
        .take(256)
        .collect();
    (ip, user_agent)
}

/// The client's address: the TCP peer, or the client a trusted proxy forwards for
/// (`limits.trusted_proxies`). What limits count and what the phone shows.
pub(crate) fn client_ip(req: &Request) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    Some(match req.data::<Arc<crate::login::Saoma>>() {
        Some(saoma) => saoma.client_ip(peer, forwarded),
        None => peer.to_canonical(),
    })
}

/// The website-login cookie: the poll token again, for the one path WeChat sends the browser
/// back to, so that a refusal cancels the scene only from the browser that created it.
/// SameSite=Lax: it rides the top-level redirect from WeChat, nothing else cross-site.
pub(crate) struct WebsiteCookie;

impl WebsiteCookie {
    pub const NAME: &'static str = "saoma_website";
    pub const PATH: &'static str = "/api/v1/website/callback";

    pub fn set(token: &str, max_age: u64, secure: bool) -> String {
        format!(
            "{}={token}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            Self::NAME,
            Self::PATH,
            if secure { "; Secure" } else { "" }
        )
    }
}

/// The in-WeChat login's cookie: the poll token again, for the one path WeChat sends the
/// browser back to, which binds the `state` to the browser that started the login.
pub(crate) struct InWechatCookie;

impl InWechatCookie {
    pub const NAME: &'static str = "saoma_in_wechat";
    pub const PATH: &'static str = "/api/v1/in-wechat/callback";

    pub fn set(token: &str, max_age: u64, secure: bool) -> String {
        format!(
            "{}={token}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            Self::NAME,
            Self::PATH,
            if secure { "; Secure" } else { "" }
        )
    }
}

/// A second `Set-Cookie` for an operation (poem-openapi writes one header per name): the
/// handler leaves it here, the operation's transform appends it to the response.
#[derive(Clone, Default)]
pub(crate) struct ExtraCookie(Arc<std::sync::Mutex<Option<String>>>);

impl ExtraCookie {
    pub fn put(&self, cookie: String) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(cookie);
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The transform of an operation that sets an [`ExtraCookie`]: give the handler a slot, append
/// what it left there.
pub(crate) fn with_extra_cookie<E: poem::Endpoint + 'static>(ep: E) -> impl poem::Endpoint {
    use poem::{EndpointExt, IntoResponse};
    ep.around(|ep, mut req| async move {
        let slot = ExtraCookie::default();
        req.extensions_mut().insert(slot.clone());
        let mut response = ep.call(req).await?.into_response();
        if let Some(value) = slot
            .take()
            .and_then(|c| poem::http::HeaderValue::from_str(&c).ok())
        {
            response
                .headers_mut()
                .append(poem::http::header::SET_COOKIE, value);
        }
        Ok(response)
    })
}

/// The poll-token cookie: HttpOnly, scoped to one scene's path, gone when the scene is.
pub(crate) struct PollCookie;

impl PollCookie {
    pub const NAME: &'static str = "saoma_poll";

    pub fn set(scene: &str, token: &str, max_age: u64, secure: bool) -> String {
        format!(
            "{}={token}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            Self::NAME,
            scene_path(scene),
            if secure { "; Secure" } else { "" }
        )
    }
}
