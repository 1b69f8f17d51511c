//! Website login on the fake platform (docs/wechat.md section 7): codes minted by the approve tool
//! (`connect.rs`), redeemed once within 10 minutes by `sns/oauth2/access_token`; the user's
//! access tokens (2 hours) and refresh tokens (30 days); `sns/userinfo`, `sns/auth`,
//! `sns/oauth2/refresh_token`.

use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{self, random_hex, random_token, wx_error, wx_json};
use super::faults::{self, observe};

const CODE_TTL: Duration = Duration::from_secs(600);
const ACCESS_TTL: Duration = Duration::from_secs(7200);
const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long spent or expired codes and tokens are remembered, to answer 40163/42003/42001
/// rather than "unknown".
const REMEMBER: Duration = Duration::from_secs(3600);
const PRUNE_EVERY: Duration = Duration::from_secs(10);
const SCOPE: &str = "snsapi_login";

struct Code {
    user_id: String,
    app_id: String,
    minted_at: Instant,
    redeemed: bool,
}

/// A user's access or refresh token.
struct Grant {
    user_id: String,
    app_id: String,
    expires_at: Instant,
}

#[derive(Default)]
struct Book {
    codes: HashMap<String, Code>,
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
    last_prune: Option<Instant>,
}

#[derive(Default)]
pub(crate) struct OAuth {
    inner: Mutex<Book>,
}

impl OAuth {
    fn book(&self, now: Instant) -> MutexGuard<'_, Book> {
        let mut book = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if book.last_prune.is_none_or(|at| now >= at + PRUNE_EVERY) {
            book.last_prune = Some(now);
            book.codes.retain(|_, c| now < c.minted_at + REMEMBER);
            book.access.retain(|_, g| now < g.expires_at + REMEMBER);
            book.refresh.retain(|_, g| now < g.expires_at + REMEMBER);
        }
        book
    }

    /// A code for `user_id` approving a login to `app_id`.
    pub(crate) fn mint_code(&self, user_id: &str, app_id: &str, now: Instant) -> String {
        let code = random_hex(16);
        let entry = Code {
            user_id: user_id.to_owned(),
            app_id: app_id.to_owned(),
            minted_at: now,
            redeemed: false,
        };
        self.book(now).codes.insert(code.clone(), entry);
        code
    }

    /// Marks the code used and returns its user; `Err` is the errcode. Atomic.
    fn redeem(&self, code: &str, app_id: &str, now: Instant) -> Result<String, i64> {
        let mut book = self.book(now);
        let entry = match book.codes.get_mut(code) {
            Some(entry) if entry.app_id == app_id => entry,
            _ => return Err(errors::INVALID_CODE),
        };
        if entry.redeemed {
            return Err(errors::CODE_BEEN_USED);
        }
        if now >= entry.minted_at + CODE_TTL {
            return Err(errors::CODE_EXPIRED);
        }
        entry.redeemed = true;
        Ok(entry.user_id.clone())
    }

    /// A new access token, and a new refresh token unless one is given.
    fn issue(
        &self,
        user_id: &str,
        app_id: &str,
        refresh: Option<String>,
        now: Instant,
    ) -> (String, String) {
        let grant = |ttl| Grant {
            user_id: user_id.to_owned(),
            app_id: app_id.to_owned(),
            expires_at: now + ttl,
        };
        let mut book = self.book(now);
        let access = random_token();
        book.access.insert(access.clone(), grant(ACCESS_TTL));
        let refresh = refresh.unwrap_or_else(|| {
            let token = random_token();
            book.refresh.insert(token.clone(), grant(REFRESH_TTL));
            token
        });
        (access, refresh)
    }

    /// The (user, app) of a live access token; `Err` is the errcode, with the app when known.
    fn check_access(&self, token: &str, now: Instant) -> Result<(String, String), (i64, String)> {
        let book = self.book(now);
        match book.access.get(token) {
            None => Err((errors::INVALID_CREDENTIAL, faults::UNKNOWN_APP.to_owned())),
            Some(g) if now >= g.expires_at => Err((errors::ACCESS_TOKEN_EXPIRED, g.app_id.clone())),
            Some(g) => Ok((g.user_id.clone(), g.app_id.clone())),
        }
    }

    fn check_refresh(&self, token: &str, app_id: &str, now: Instant) -> Result<String, i64> {
        let book = self.book(now);
        match book.refresh.get(token) {
            Some(g) if g.app_id == app_id && now >= g.expires_at => {
                Err(errors::REFRESH_TOKEN_EXPIRED)
            }
            Some(g) if g.app_id == app_id => Ok(g.user_id.clone()),
            _ => Err(errors::INVALID_REFRESH_TOKEN),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct GrantQuery {
    appid: Option<String>,
    secret: Option<String>,
    code: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
}

fn app_label(app_id: &str) -> &str {
    if app_id.is_empty() {
        faults::UNKNOWN_APP
    } else {
        app_id
    }
}

/// `GET /wechat/sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`
#[handler]
pub(crate) async fn access_token(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<GrantQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    if let Some(reply) = observe(state, faults::OAUTH2_ACCESS_TOKEN, app_label(&app_id)).await {
        return reply;
    }
    if let Err(errcode) = state.apps.check(&app_id, &q.secret.unwrap_or_default()) {
        return wx_error(errcode);
    }
    if q.grant_type.as_deref() != Some("authorization_code") {
        return wx_error(errors::INVALID_GRANT_TYPE);
    }
    let now = state.clock.now();
    let code = q.code.unwrap_or_default();
    let user_id = match state.oauth.redeem(&code, &app_id, now) {
        Ok(user_id) => user_id,
        Err(errcode) => return wx_error(errcode),
    };
    let (access, refresh) = state.oauth.issue(&user_id, &app_id, None, now);
    wx_json(&serde_json::json!({
        "access_token": access,
        "expires_in": ACCESS_TTL.as_secs(),
        "refresh_token": refresh,
        "openid": state.openid(&user_id, &app_id),
        "scope": SCOPE,
        "unionid": state.unionid(&user_id),
    }))
}

/// `GET /wechat/sns/oauth2/refresh_token?appid=&grant_type=refresh_token&refresh_token=`
#[handler]
pub(crate) async fn refresh_token(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<GrantQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    if let Some(reply) = observe(state, faults::OAUTH2_REFRESH_TOKEN, app_label(&app_id)).await {
        return reply;
    }
    if !super::tokens::is_valid_app_id(&app_id) {
        return wx_error(errors::INVALID_APPID);
    }
    if q.grant_type.as_deref() != Some("refresh_token") {
        return wx_error(errors::INVALID_GRANT_TYPE);
    }
    let now = state.clock.now();
    let refresh = q.refresh_token.unwrap_or_default();
    let user_id = match state.oauth.check_refresh(&refresh, &app_id, now) {
        Ok(user_id) => user_id,
        Err(errcode) => return wx_error(errcode),
    };
    let (access, refresh) = state.oauth.issue(&user_id, &app_id, Some(refresh), now);
    wx_json(&serde_json::json!({
        "access_token": access,
        "expires_in": ACCESS_TTL.as_secs(),
        "refresh_token": refresh,
        "openid": state.openid(&user_id, &app_id),
        "scope": SCOPE,
    }))
}

#[derive(Deserialize)]
pub(crate) struct UserQuery {
    access_token: Option<String>,
    openid: Option<String>,
}

/// The user behind a user access token presented with `openid`; `Err` is the reply to send.
async fn authorised_user(
    state: &State,
    endpoint: &str,
    q: UserQuery,
) -> Result<(String, String), Response> {
    let now = state.clock.now();
    let checked = state
        .oauth
        .check_access(&q.access_token.unwrap_or_default(), now);
    let app_id = match &checked {
        Ok((_, app_id)) | Err((_, app_id)) => app_id.clone(),
    };
    if let Some(reply) = observe(state, endpoint, &app_id).await {
        return Err(reply);
    }
    let (user_id, app_id) = checked.map_err(|(errcode, _)| wx_error(errcode))?;
    if q.openid.as_deref() != Some(state.openid(&user_id, &app_id).as_str()) {
        return Err(wx_error(errors::INVALID_OPENID));
    }
    Ok((user_id, app_id))
}

/// `GET /wechat/sns/userinfo?access_token=&openid=&lang=`
#[handler]
pub(crate) async fn userinfo(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<UserQuery>,
) -> Response {
    let (user_id, app_id) = match authorised_user(state, faults::USERINFO, q).await {
        Ok(user) => user,
        Err(reply) => return reply,
    };
    let (nickname, headimgurl) = state.profile(&user_id);
    wx_json(&serde_json::json!({
        "openid": state.openid(&user_id, &app_id),
        "nickname": nickname,
        "sex": 0,
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": headimgurl,
        "privilege": [],
        "unionid": state.unionid(&user_id),
    }))
}

/// `GET /wechat/sns/auth?access_token=&openid=`: `{"errcode":0,"errmsg":"ok"}` while valid.
#[handler]
pub(crate) async fn auth(Data(state): Data<&Arc<State>>, Query(q): Query<UserQuery>) -> Response {
    match authorised_user(state, faults::SNS_AUTH, q).await {
        Ok(_) => wx_json(&serde_json::json!({"errcode": 0, "errmsg": "ok"})),
        Err(reply) => reply,
    }
}
