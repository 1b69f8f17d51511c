//! `connect/oauth2/authorize` on the fake platform: what WeChat's browser does with a page's
//! web authorization (docs/wechat.md section 7b). `snsapi_base` redirects at once with a code;
//! `snsapi_userinfo` shows a consent page first (允许 / 拒绝, and, to try the refusal Saoma must
//! make, "以快照页打开": a snapshot-page grant). The code is single use and lives 5 minutes.
//!
//! WeChat knows who is browsing; the sandbox learns it from a cookie set by the phone
//! simulator's "open a page inside WeChat" (`GET /browser?user=&url=`) or by the user picker
//! this page shows when it has none.

use poem::http::{StatusCode, header};
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use super::tokens::is_valid_app_id;
use super::web_auth::{SNSAPI_BASE, SNSAPI_USERINFO};
use super::web_auth_tools::{known_scope, redirect_with_code};
use crate::html::{csp_hash, escape};

/// Who browses inside the sandbox's "WeChat": a fake user id.
const USER_COOKIE: &str = "saoma_sandbox_wechat_user";
const MAX_STATE_LEN: usize = 128;

#[derive(Deserialize)]
pub(crate) struct AuthorizeQuery {
    appid: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    /// The picker's choice (sandbox only).
    sandbox_user: Option<String>,
    /// The consent page's answer: `allow`, `deny` or `snapshot` (sandbox only).
    sandbox_consent: Option<String>,
}

/// WeChat's own look, roughly: a white page, the request in the middle, a green 允许.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#fff;color:#111}\
main{max-width:420px;margin:0 auto;padding:48px 24px;text-align:center}\
h1{font-size:20px;font-weight:600}p{color:#555;line-height:1.6}\
#allow,#deny{display:block;margin:12px auto;width:184px;padding:10px 0;border-radius:6px;\
text-decoration:none;font-size:17px}#allow{background:#07c160;color:#fff}\
#deny{background:#f2f2f2;color:#07c160}small{color:#999}\
ul{list-style:none;padding:0}li a{display:block;padding:12px;border-bottom:1px solid #eee}";

fn page(status: StatusCode, title: &str, body: &str, set_user: Option<&str>) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head>\
         <body>{body}</body></html>",
        escape(title)
    );
    let csp = format!(
        "default-src 'none'; img-src 'self' data:; style-src '{}'; base-uri 'none'; \
         form-action 'none'",
        csp_hash(STYLE.as_bytes())
    );
    let mut response = Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, csp)
        .header(header::CACHE_CONTROL, "no-store")
        .body(html);
    if let Some(user) = set_user.and_then(|u| user_cookie(u).parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, user);
    }
    response
}

fn error(message: &str) -> Response {
    let body = format!(
        "<main><h1>Oops! Something went wrong:(</h1><p id=\"error\">{}</p></main>",
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, "微信网页授权", &body, None)
}

fn user_cookie(user: &str) -> String {
    format!("{USER_COOKIE}={user}; Path=/sandbox; HttpOnly; SameSite=Lax")
}

fn cookie_user(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == USER_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn redirect(to: &str, set_user: Option<&str>) -> Response {
    let mut response = Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish();
    if let Some(user) = set_user.and_then(|u| user_cookie(u).parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, user);
    }
    response
}

/// This URL again with one more parameter (the picker's and the consent's links).
fn again(req: &Request, name: &str, value: &str) -> String {
    let mut query = req.original_uri().query().unwrap_or_default().to_owned();
    let extra = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&extra);
    format!("{}?{query}", req.original_uri().path())
}

/// `GET /wechat/connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=`
#[handler]
pub(crate) async fn authorize(
    Data(state): Data<&Arc<State>>,
    req: &Request,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    let app_id = q.appid.unwrap_or_default();
    if !is_valid_app_id(&app_id) {
        return error("appid 参数错误 (invalid appid)");
    }
    let redirect_uri = match q.redirect_uri.as_deref().map(url::Url::parse) {
        Some(Ok(url)) if matches!(url.scheme(), "http" | "https") => url,
        _ => return error("redirect_uri 参数错误 (invalid redirect_uri)"),
    };
    if q.response_type.as_deref() != Some("code") {
        return error("response_type 参数错误 (must be code)");
    }
    let Some(scope) = q.scope.as_deref().and_then(known_scope) else {
        return error("scope 参数错误或没有 scope 权限 (snsapi_base or snsapi_userinfo)");
    };
    let login_state = q.state.unwrap_or_default();
    if login_state.len() > MAX_STATE_LEN || !login_state.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return error("state 参数错误 (at most 128 characters of a-zA-Z0-9)");
    }
    let chosen = q.sandbox_user.filter(|u| state.users.get(u).is_some());
    let Some(user) = chosen.clone().or_else(|| cookie_user(req)) else {
        return picker(state, req, "sandbox_user");
    };
    let Some(user) = state.users.get(&user) else {
        return picker(state, req, "sandbox_user");
    };
    let set_user = chosen.as_deref();
    let now = state.clock.now();
    let answer = if scope == SNSAPI_BASE {
        Some(false)
    } else {
        match q.sandbox_consent.as_deref() {
            Some("allow") => Some(false),
            Some("snapshot") => Some(true),
            Some("deny") => None,
            _ => return consent(req, &app_id, &user.nickname, set_user),
        }
    };
    let target = match answer {
        Some(snapshot) => {
            let code = state
                .web_auth
                .mint_code(&user.id, &app_id, scope, snapshot, now);
            redirect_with_code(&redirect_uri, Some(&code), &login_state)
        }
        None => redirect_with_code(&redirect_uri, None, &login_state),
    };
    redirect(&target, set_user)
}

/// No one is known to browse: pick a fake user (the phone simulator creates them).
fn picker(state: &State, req: &Request, param: &str) -> Response {
    let users = state.users.all();
    let items: String = users
        .iter()
        .map(|u| {
            format!(
                "<li><a class=\"user\" data-user=\"{id}\" href=\"{href}\">{name}</a></li>",
                id = escape(&u.id),
                href = escape(&again(req, param, &u.id)),
                name = escape(&u.nickname),
            )
        })
        .collect();
    let list = if users.is_empty() {
        "<p>还没有微信用户：先在<a href=\"/sandbox/phone\">手机模拟器</a>里创建一个。</p>".into()
    } else {
        format!("<ul id=\"users\">{items}</ul>")
    };
    let body = format!(
        "<main id=\"picker\"><h1>Saoma 沙盒 · 微信浏览器</h1>\
         <p>这个浏览器里登录的是哪个微信用户？(Sandbox: which WeChat user is browsing?)</p>\
         {list}</main>"
    );
    page(StatusCode::OK, "微信网页授权", &body, None)
}

/// The consent page of `snsapi_userinfo`.
fn consent(req: &Request, app_id: &str, nickname: &str, set_user: Option<&str>) -> Response {
    let link = |answer: &str| escape(&again(req, "sandbox_consent", answer));
    let body = format!(
        "<main id=\"consent\" data-appid=\"{app}\" data-scope=\"{SNSAPI_USERINFO}\">\
         <h1>微信授权</h1><p>{app} 申请获得以下权限：</p><p>获得你的公开信息（昵称、头像等）</p>\
         <p>当前微信用户：{nickname}</p>\
         <p><a id=\"allow\" href=\"{allow}\">允许</a><a id=\"deny\" href=\"{deny}\">拒绝</a></p>\
         <p><small>Sandbox: <a id=\"snapshot\" href=\"{snapshot}\">以快照页打开</a> \
         (WeChat's snapshot page: <code>is_snapshotuser: 1</code>)</small></p></main>",
        app = escape(app_id),
        nickname = escape(nickname),
        allow = link("allow"),
        deny = link("deny"),
        snapshot = link("snapshot"),
    );
    page(StatusCode::OK, "微信授权", &body, set_user)
}

#[derive(Deserialize)]
pub(crate) struct BrowserQuery {
    user: Option<String>,
    url: Option<String>,
}

/// `GET /browser?user=&url=`: the phone simulator opens `url` (a path of this server) "inside
/// WeChat" as `user`. A desktop browser cannot change its User-Agent, so the page gets
/// `in_wechat=1`, which the demo page honours in sandbox mode only.
#[handler]
pub(crate) async fn browser(
    Data(state): Data<&Arc<State>>,
    req: &Request,
    Query(q): Query<BrowserQuery>,
) -> Response {
    let Some(user) = q.user.filter(|u| state.users.get(u).is_some()) else {
        return picker(state, req, "user");
    };
    let path = q.url.filter(|u| u.starts_with('/') && !u.starts_with("//"));
    let mut target = path.unwrap_or_else(|| "/".into());
    target.push_str(if target.contains('?') { "&" } else { "?" });
    target.push_str("in_wechat=1");
    redirect(&target, Some(&user))
}
