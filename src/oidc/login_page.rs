//! The hosted login page: the demo page's card, titled with the client's name, whose scene is
//! bound to the authorization request. Its script waits like the demo page (the SDK), and on
//! the outcome sends the browser on (`/oidc/resume` or `/oidc/abort`). Inside WeChat's browser,
//! with the in-WeChat login configured, it leads with "微信一键登录" (`login.js` creates an
//! `in_wechat` scene at `/oidc/login/scene`; WeChat's redirect comes back to this page).

use super::server::Oidc;
use super::state::{AuthRequest, Lang};
use crate::html::{csp_hash, escape};
use crate::scene::Provider;
use poem::http::{StatusCode, header};
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use std::sync::{Arc, LazyLock};

const LOGIN_JS: &str = include_str!("assets/login.js");
/// The demo card's form for `need_phone` (`accounts.require_phone`); the script fills in the
/// words in the page's language.
const PHONE_FORM: &str = "<form id=\"phone-form\" hidden novalidate>\
<p data-i18n=\"phone_intro\"></p>\
<label for=\"phone-number\" data-i18n=\"phone_label\"></label>\
<div class=\"row\"><input id=\"phone-number\" name=\"phone\" type=\"tel\" inputmode=\"tel\" \
autocomplete=\"tel\" required><button id=\"send-sms\" type=\"button\" data-i18n=\"send_sms\"></button></div>\
<label for=\"sms-code\" data-i18n=\"code_label\"></label>\
<input id=\"sms-code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required>\
<button id=\"bind-phone\" type=\"submit\" class=\"primary\" data-i18n=\"bind\"></button>\
<p id=\"phone-message\" class=\"message\" role=\"alert\" aria-live=\"assertive\"></p></form>\n";

#[derive(serde::Deserialize)]
pub struct PageQuery {
    request: String,
}

/// `/oidc/login?request=...`: the login page again, for a request `/oidc/authorize` stored
/// (where WeChat's in-WeChat redirect comes back to, and a reload).
#[handler]
pub async fn page(oidc: Data<&Arc<Oidc>>, req: &Request, Query(q): Query<PageQuery>) -> Response {
    let request = match oidc.request(&q.request).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "login_expired",
                "this login request has expired: go back to the app and log in again",
                Lang::Zh,
            );
        }
        Err(e) => return e.into_page(),
    };
    login_page(&oidc, req, &q.request, &request).into_response()
}

/// The hosted login page for the stored authorization request `id`: what `/oidc/authorize`
/// answers when a scan is needed, and `/oidc/login` for a stored request.
pub fn login_page(oidc: &Oidc, req: &Request, id: &str, request: &AuthRequest) -> Page {
    let name = oidc
        .clients
        .get(request.client_id.as_str())
        .map_or_else(|| request.client_id.to_string(), |c| c.name.clone());
    let in_wechat = req
        .header(header::USER_AGENT)
        .is_some_and(|ua| ua.contains("MicroMessenger"));
    let html = login_html(&LoginPage {
        name: &name,
        request: id,
        provider: request.provider,
        lang: request.lang,
        sandbox: oidc.saoma.settings().sandbox,
        in_wechat,
        offer_in_wechat: in_wechat && oidc.saoma.offers(Provider::InWechat),
    });
    Page {
        status: StatusCode::OK,
        html,
        csp: crate::web::page_csp(&oidc.saoma),
    }
}

struct LoginPage<'a> {
    name: &'a str,
    request: &'a str,
    provider: Provider,
    lang: Lang,
    sandbox: bool,
    in_wechat: bool,
    /// Inside WeChat with the in-WeChat login configured: "微信一键登录" leads.
    offer_in_wechat: bool,
}

fn login_html(p: &LoginPage<'_>) -> String {
    let (button, button_hint) = match p.lang {
        Lang::Zh => ("微信一键登录", "或长按下方二维码识别"),
        Lang::En => ("Log in with WeChat", "or long-press the code below"),
    };
    let (html_lang, lang, title, loading, wechat_hint, sandbox_hint, phone) = match p.lang {
        Lang::Zh => (
            "zh-CN",
            "zh",
            format!("登录到 {}", p.name),
            "正在生成二维码…",
            "你正在微信中打开此页面：长按下方小程序码，选择“识别图中小程序码”，或用另一台设备的微信扫码。",
            "沙盒模式：用手机模拟器扫码",
            "打开手机模拟器",
        ),
        Lang::En => (
            "en",
            "en",
            format!("Log in to {}", p.name),
            "Getting a code…",
            "You opened this page inside WeChat: long-press the code below and choose \
             “识别图中小程序码” (recognise the mini-program code), or scan it from a second device.",
            "Sandbox mode: scan with the phone simulator",
            "Open the phone simulator",
        ),
    };
    let wechat = if p.offer_in_wechat {
        format!(
            "<button id=\"in-wechat-login\" type=\"button\" class=\"primary\">{button}</button>\
             <p id=\"in-wechat-hint\" class=\"hint\">{button_hint}</p>"
        )
    } else if p.in_wechat {
        format!(
            "<p id=\"in-wechat\" class=\"hint\">{}</p>",
            escape(wechat_hint)
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Saoma</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <link rel=\"stylesheet\" href=\"/saoma.css\">\n\
         <script type=\"module\" src=\"/oidc/login.js\"></script>\n</head>\n<body>\n\
         <main class=\"card\" id=\"oidc-login\" data-request=\"{request}\" data-provider=\"{provider}\" \
         data-lang=\"{lang}\" data-sandbox=\"{sandbox}\" data-in-wechat=\"{offer}\">\n<h1 id=\"title\">{title}</h1>\n{wechat}\
         <section id=\"panel\">\n<div id=\"code\" class=\"code\"></div>\n\
         <p id=\"status\" role=\"status\" aria-live=\"polite\" data-state=\"loading\">{loading}</p>\n\
         {PHONE_FORM}</section>\n<p id=\"sandbox-hint\" class=\"hint\" hidden><span>{sandbox_hint}</span> \
         <a id=\"phone-link\" href=\"/sandbox/phone\" target=\"_blank\" rel=\"noopener\">{phone}</a></p>\n\
         </main>\n</body>\n</html>\n",
        title = escape(&title),
        request = escape(p.request),
        provider = p.provider.as_str(),
        sandbox = p.sandbox,
        offer = p.offer_in_wechat,
    )
}

#[handler]
pub fn script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(LOGIN_JS)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#fff;color:#222}\
main{max-width:360px;margin:32px auto;padding:0 16px;text-align:center}\
h1{font-size:20px}p{color:#555}code{background:#f2f2f2;padding:2px 6px;border-radius:4px}\
button{font:inherit;font-size:17px;padding:10px 28px;border:0;border-radius:6px;background:#07c160;color:#fff}";

static STYLE_HASH: LazyLock<String> = LazyLock::new(|| csp_hash(STYLE.as_bytes()));

/// A small page under a strict CSP: what the browser-facing operations answer (their
/// `ApiResponse`s carry the parts) and what the other handlers send as a `Response`.
pub struct Page {
    pub status: StatusCode,
    pub html: String,
    /// The `Content-Security-Policy`: nothing but the page's own style.
    pub csp: String,
}

impl Page {
    pub fn into_response(self) -> Response {
        Response::builder()
            .status(self.status)
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::CONTENT_SECURITY_POLICY, self.csp)
            .body(self.html)
    }
}

/// A page for an authorization error that must not be redirected (RFC 6749 4.1.2.1), naming
/// the OAuth error code.
pub fn error_page(status: StatusCode, code: &str, message: &str, lang: Lang) -> Response {
    error_page_parts(status, code, message, lang).into_response()
}

pub fn error_page_parts(status: StatusCode, code: &str, message: &str, lang: Lang) -> Page {
    let (title, hint) = match lang {
        Lang::Zh => (
            "登录失败",
            "请返回原应用重试；如果问题持续，请联系应用的管理员。",
        ),
        Lang::En => (
            "Login failed",
            "Go back to the app and try again; if this persists, tell the app's administrator.",
        ),
    };
    let body = format!(
        "<h1>{title}</h1><p>{hint}</p><p>{message}</p>\
         <p>Error: <code id=\"error-code\">{code}</code></p>",
        message = escape(message),
        code = escape(code),
    );
    simple_page_parts(status, title, &body, lang)
}

/// A small page (`body` is trusted HTML) under a strict CSP.
pub fn simple_page_parts(status: StatusCode, title: &str, body: &str, lang: Lang) -> Page {
    simple_page_parts_with(status, title, body, lang, "'none'")
}

/// [`simple_page_parts`] whose forms may post to `form_action` (CSP sources; a redirect
/// after the post must be allowed too).
pub fn simple_page_parts_with(
    status: StatusCode,
    title: &str,
    body: &str,
    lang: Lang,
    form_action: &str,
) -> Page {
    let html = format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        html_lang = if lang == Lang::Zh { "zh-CN" } else { "en" },
        title = escape(title),
    );
    let csp = format!(
        "default-src 'none'; style-src '{}'; base-uri 'none'; form-action {form_action}; \
         frame-ancestors 'none'",
        STYLE_HASH.as_str()
    );
    Page { status, html, csp }
}
