//! Web authorization inside WeChat (公众号网页授权) and mobile-app login on the fake platform
//! (docs/wechat.md section 7b): codes with a scope (`snsapi_base`, `snsapi_userinfo`), single
//! use, 5 minutes; the user's access tokens remember their scope, so `sns/userinfo` answers
//! 48001 for `snsapi_base` and for a snapshot-page user (`is_snapshotuser: 1`, a virtual
//! openid). The codes are minted by the authorize page (`web_auth_page.rs`) and by the tools
//! `POST /api/in-wechat/authorize` and `POST /api/mobile-app/auth`.
//!
//! `sns/oauth2/access_token`, `sns/userinfo` and `sns/auth` are shared with the website login
//! (`oauth.rs`): the endpoints here answer for the codes and tokens they minted and hand
//! everything else to `oauth.rs` unchanged.

use poem::{Endpoint, IntoResponse, Request, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{self, random_hex, random_token, wx_error, wx_json};
use super::faults::{self, observe};

const CODE_TTL: Duration = Duration::from_secs(300);
const ACCESS_TTL: Duration = Duration::from_secs(7200);
const REMEMBER: Duration = Duration::from_secs(3600);
const API_UNAUTHORIZED: i64 = 48001;
pub(crate) const SNSAPI_BASE: &str = "snsapi_base";
pub(crate) const SNSAPI_USERINFO: &str = "snsapi_userinfo";

#[derive(Clone)]
struct Grant {
    user_id: String,
    app_id: String,
    scope: &'static str,
    snapshot: bool,
}

struct Code {
    grant: Grant,
    minted_at: Instant,
    redeemed: bool,
}

#[derive(Default)]
struct Book {
    codes: HashMap<String, Code>,
    access: HashMap<String, (Grant, Instant)>,
}

#[derive(Default)]
pub(crate) struct WebAuth {
    inner: Mutex<Book>,
}

impl WebAuth {
    fn book(&self, now: Instant) -> MutexGuard<'_, Book> {
        let mut book = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        book.codes.retain(|_, c| now < c.minted_at + REMEMBER);
        book.access.retain(|_, (_, exp)| now < *exp + REMEMBER);
        book
    }

    /// A code for `user_id` authorizing `app_id` with `scope` (snapshot: a snapshot page's).
    pub(crate) fn mint_code(
        &self,
        user_id: &str,
        app_id: &str,
        scope: &'static str,
        snapshot: bool,
        now: Instant,
    ) -> String {
        let code = random_hex(16);
        let grant = Grant {
            user_id: user_id.to_owned(),
            app_id: app_id.to_owned(),
            scope,
            snapshot,
        };
        let entry = Code {
            grant,
            minted_at: now,
            redeemed: false,
        };
        self.book(now).codes.insert(code.clone(), entry);
        code
    }

    fn owns_code(&self, code: &str, now: Instant) -> bool {
        self.book(now).codes.contains_key(code)
    }

    fn owns_token(&self, token: &str, now: Instant) -> bool {
        self.book(now).access.contains_key(token)
    }

    /// Marks the code used and issues the user's access token; `Err` is the errcode (40029
    /// also for another app's code). Atomic.
    fn redeem(&self, code: &str, app_id: &str, now: Instant) -> Result<(Grant, String), i64> {
        let mut book = self.book(now);
        let entry = match book.codes.get_mut(code) {
            Some(entry) if entry.grant.app_id == app_id => entry,
            _ => return Err(errors::INVALID_CODE),
        };
        if entry.redeemed {
            return Err(errors::CODE_BEEN_USED);
        }
        if now >= entry.minted_at + CODE_TTL {
            return Err(errors::CODE_EXPIRED);
        }
        entry.redeemed = true;
        let grant = entry.grant.clone();
        let token = random_token();
        book.access
            .insert(token.clone(), (grant.clone(), now + ACCESS_TTL));
        Ok((grant, token))
    }

    /// The grant of a live access token; `Err` is the errcode with the app when known.
    fn check_access(&self, token: &str, now: Instant) -> Result<Grant, (i64, String)> {
        let book = self.book(now);
        match book.access.get(token) {
            None => Err((errors::INVALID_CREDENTIAL, faults::UNKNOWN_APP.to_owned())),
            Some((g, exp)) if now >= *exp => Err((errors::ACCESS_TOKEN_EXPIRED, g.app_id.clone())),
            Some((g, _)) => Ok(g.clone()),
        }
    }
}

impl State {
    /// The openid WeChat gives a grant: the user's for the app, or a snapshot page's virtual one.
    fn grant_openid(&self, grant: &Grant) -> String {
        if grant.snapshot {
            self.openid(&format!("snapshot:{}", grant.user_id), &grant.app_id)
        } else {
            self.openid(&grant.user_id, &grant.app_id)
        }
    }
}

/// Which shared endpoint a [`Shared`] stands in front of.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    AccessToken,
    UserInfo,
    Auth,
}

/// Answers the codes and tokens minted here; hands anything else to `inner` (`oauth.rs`).
pub(crate) struct Shared<E> {
    kind: Kind,
    inner: E,
}

pub(crate) fn shared<E: Endpoint>(kind: Kind, inner: E) -> Shared<E> {
    Shared { kind, inner }
}

impl<E: Endpoint> Endpoint for Shared<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        if let Some(state) = req.data::<Arc<State>>().cloned() {
            let mine = match self.kind {
                Kind::AccessToken => access_token(&state, &query).await,
                Kind::UserInfo => userinfo(&state, &query, false).await,
                Kind::Auth => userinfo(&state, &query, true).await,
            };
            if let Some(reply) = mine {
                return Ok(reply);
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

fn arg<'a>(query: &'a HashMap<String, String>, name: &str) -> &'a str {
    query.get(name).map_or("", String::as_str)
}

/// `GET sns/oauth2/access_token` for a code minted here; `None` for any other code.
async fn access_token(state: &State, q: &HashMap<String, String>) -> Option<Response> {
    let now = state.clock.now();
    if !state.web_auth.owns_code(arg(q, "code"), now) {
        return None;
    }
    let app_id = arg(q, "appid");
    if let Some(reply) = observe(state, faults::OAUTH2_ACCESS_TOKEN, app_id).await {
        return Some(reply);
    }
    if let Err(errcode) = state.apps.check(app_id, arg(q, "secret")) {
        return Some(wx_error(errcode));
    }
    if arg(q, "grant_type") != "authorization_code" {
        return Some(wx_error(errors::INVALID_GRANT_TYPE));
    }
    let (grant, access) = match state.web_auth.redeem(arg(q, "code"), app_id, now) {
        Ok(issued) => issued,
        Err(errcode) => return Some(wx_error(errcode)),
    };
    let mut body = serde_json::json!({
        "access_token": access,
        "expires_in": ACCESS_TTL.as_secs(),
        "refresh_token": random_token(),
        "openid": state.grant_openid(&grant),
        "scope": grant.scope,
    });
    if grant.snapshot {
        body["is_snapshotuser"] = 1.into();
    } else {
        body["unionid"] = state.unionid(&grant.user_id).into();
    }
    Some(wx_json(&body))
}

/// `GET sns/userinfo` (or with `auth_only`, `sns/auth`) for a token issued here.
async fn userinfo(state: &State, q: &HashMap<String, String>, auth_only: bool) -> Option<Response> {
    let now = state.clock.now();
    let token = arg(q, "access_token");
    if !state.web_auth.owns_token(token, now) {
        return None;
    }
    let checked = state.web_auth.check_access(token, now);
    let app_id = match &checked {
        Ok(g) => g.app_id.clone(),
        Err((_, app_id)) => app_id.clone(),
    };
    let endpoint = if auth_only {
        faults::SNS_AUTH
    } else {
        faults::USERINFO
    };
    if let Some(reply) = observe(state, endpoint, &app_id).await {
        return Some(reply);
    }
    let grant = match checked {
        Ok(grant) => grant,
        Err((errcode, _)) => return Some(wx_error(errcode)),
    };
    let openid = state.grant_openid(&grant);
    if arg(q, "openid") != openid {
        return Some(wx_error(errors::INVALID_OPENID));
    }
    if auth_only {
        return Some(wx_json(&serde_json::json!({"errcode": 0, "errmsg": "ok"})));
    }
    if grant.scope != SNSAPI_USERINFO || grant.snapshot {
        return Some(wx_error(API_UNAUTHORIZED));
    }
    let (nickname, headimgurl) = state.profile(&grant.user_id);
    Some(wx_json(&serde_json::json!({
        "openid": openid,
        "nickname": nickname,
        "sex": 0,
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": headimgurl,
        "privilege": [],
        "unionid": state.unionid(&grant.user_id),
    })))
}
