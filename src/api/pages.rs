//! The few HTML pages Saoma itself renders (WeChat sends browsers, not scripts, to the website
//! callback): small, every value escaped, the one style pinned by hash in a strict CSP.

use crate::edge::error::ErrorCode;
use poem::http::header;
use poem::{Endpoint, EndpointExt, IntoResponse, Response};
use poem_openapi::types::ToJSON;
use std::sync::{Arc, LazyLock};

use crate::html::{csp_hash, escape};
use crate::login::Saoma;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#fff;color:#222}\
main{max-width:360px;margin:32px auto;padding:0 16px;text-align:center}\
h1{font-size:20px}p{color:#555}code{background:#f2f2f2;padding:2px 6px;border-radius:4px}";

static STYLE_HASH: LazyLock<String> = LazyLock::new(|| csp_hash(STYLE.as_bytes()));

fn html(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        title = escape(title),
    )
}

/// A page that says how the login ended; shown inside the iframe in embedded mode.
pub(crate) fn done(confirmed: bool) -> String {
    if confirmed {
        html(
            "登录成功 · Signed in",
            "<h1 id=\"done\">登录成功 · Signed in</h1><p>You can close this window: the page that \
             asked will continue by itself.</p>",
        )
    } else {
        html(
            "已取消 · Cancelled",
            "<h1 id=\"cancelled\">已取消登录 · Login cancelled</h1><p>The login was refused on \
             the phone.</p>",
        )
    }
}

/// An error page naming the stable error code (the same codes as the JSON API).
pub(crate) fn error(code: ErrorCode, message: &str) -> String {
    let code = match code.to_json() {
        Some(serde_json::Value::String(code)) => code,
        _ => "internal".to_string(),
    };
    let hint = match code.as_str() {
        "invalid_code" => "微信登录码无效、已过期或已被使用，请返回原页面重新扫码。",
        "scene_not_found" | "scene_expired" | "scene_consumed" | "scene_conflict"
        | "wrong_provider" => "此登录请求已失效或已完成，请返回原页面重新扫码。",
        "invalid_state" => "此登录链接不是在本浏览器中发起的，或已被改动，请返回原页面重新登录。",
        "snapshot_user" => "当前是快照页：请点击页面下方的“使用完整服务”，然后重新登录。",
        _ => "登录未能完成，请稍后返回原页面重试。",
    };
    let body = format!(
        "<h1>登录失败 · Login failed</h1><p>{hint}</p><p>{message}</p>\
         <p>Error code: <code id=\"error-code\">{code}</code></p>",
        message = escape(message),
        code = escape(&code),
    );
    html("登录失败 · Login failed", &body)
}

/// Adds the page headers: a strict CSP whose `frame-ancestors` lets the site's own pages frame
/// the iframe-mode page, no caching, no referrer (the URL carried a code), no sniffing.
pub(crate) fn page_headers<E: Endpoint + 'static>(ep: E) -> impl Endpoint {
    ep.around(|ep, req| async move {
        let ancestors = req
            .data::<Arc<Saoma>>()
            .and_then(|saoma| saoma.frame_ancestors())
            .unwrap_or_else(|| "'none'".to_string());
        let mut response: Response = ep.call(req).await?.into_response();
        let csp = format!(
            "default-src 'none'; style-src '{}'; base-uri 'none'; form-action 'none'; \
             frame-ancestors {ancestors}",
            STYLE_HASH.as_str()
        );
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CONTENT_SECURITY_POLICY, csp.as_str()),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        Ok(response)
    })
}
