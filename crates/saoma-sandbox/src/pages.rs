//! The HTML the fake platform serves for website login: the QR page, its error page, and the
//! fake users' avatars. Every value is escaped; scripts and styles are pinned by hash in the CSP.

use base64::Engine;
use image::{ImageBuffer, ImageFormat, Luma};
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Response, handler};
use qrcode::{EcLevel, QrCode};
use std::sync::LazyLock;

use super::State;
use crate::html::{csp_hash, escape};
use sha2::{Digest, Sha256};

/// Fits the 300x400 iframe wxLogin.js embeds; a whole window gets the grey page and a card.
const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#fff;margin:0}\
main{max-width:320px;margin:0 auto;padding:8px 12px;background:#fff;border-radius:8px;\
text-align:center}h1{font-size:20px;margin:8px 0}img{width:240px;height:240px}\
p{margin:6px 0}.hint{color:#888;font-size:12px}\
@media (min-height:480px){body{background:#f7f7f7}main{margin:24px auto;padding:16px}}";

/// Follows the phone's answer: polls the session, then goes where WeChat would send the browser.
const SCRIPT: &str = r#"(function () {
  const main = document.getElementById("qrconnect");
  const url = new URL(main.dataset.sessionUrl);
  url.searchParams.set("state", main.dataset.state);
  async function poll() {
    try {
      const res = await fetch(url, { cache: "no-store" });
      if (res.ok) {
        const session = await res.json();
        if (session.redirect) {
          const target = main.dataset.selfRedirect === "true" ? window : window.top;
          target.location.href = session.redirect;
          return;
        }
        if (session.status === "expired") return;
      }
    } catch (e) {}
    setTimeout(poll, 1000);
  }
  poll();
})();"#;

static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; img-src data:; style-src '{}'; script-src '{}'; \
         connect-src 'self'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE.as_bytes()),
        csp_hash(SCRIPT.as_bytes())
    )
});

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        title = escape(title),
    );
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CSP.as_str())
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(html)
}

/// The page WeChat shows for bad parameters (the real one answers 200; the sandbox says 400).
pub(crate) fn error(message: &str) -> Response {
    let body = format!(
        "<main><h1>请求参数错误</h1><p id=\"error\">{}</p></main>",
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, "微信登录", &body)
}

pub(crate) struct QrPage<'a> {
    pub app_id: &'a str,
    pub state: &'a str,
    pub self_redirect: bool,
    pub phone_link: &'a str,
    pub session_url: &'a str,
}

/// The QR page: a scannable code of `phone_link`, the same link for a desktop click, and the
/// session data the script (and tests) read from `#qrconnect`'s `data-` attributes.
pub(crate) async fn qrconnect(p: QrPage<'_>) -> Response {
    let payload = p.phone_link.to_owned();
    let png = match tokio::task::spawn_blocking(move || render_png(&payload)).await {
        Ok(Ok(png)) => png,
        _ => return error("the sandbox could not draw the QR code"),
    };
    let image = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    let body = format!(
        "<main id=\"qrconnect\" data-state=\"{state}\" data-appid=\"{app}\" \
         data-self-redirect=\"{self_redirect}\" data-session-url=\"{session}\" \
         data-phone-url=\"{phone}\"><h1>微信登录</h1>\
         <img id=\"qr\" alt=\"QR code\" src=\"{image}\"><p>使用微信扫一扫登录 {app}</p>\
         <p class=\"hint\">Saoma sandbox: scan it with a phone, or open \
         <a id=\"phone-link\" href=\"{phone}\" target=\"_blank\" rel=\"noopener\">the phone \
         simulator</a>.</p></main><script>{SCRIPT}</script>",
        state = escape(p.state),
        app = escape(p.app_id),
        self_redirect = p.self_redirect,
        session = escape(p.session_url),
        phone = escape(p.phone_link),
    );
    page(StatusCode::OK, "微信登录", &body)
}

fn render_png(payload: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    let qr: ImageBuffer<Luma<u8>, Vec<u8>> = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .min_dimensions(240, 240)
        .build();
    let mut png = std::io::Cursor::new(Vec::new());
    qr.write_to(&mut png, ImageFormat::Png)?;
    Ok(png.into_inner())
}

/// The nickname WeChat answers for a user who shares no profile (since the 2022 recall of
/// `wx.getUserProfile`), with [`GREY_AVATAR`].
pub(crate) const PLACEHOLDER_NICKNAME: &str = "微信用户";
/// WeChat's grey default avatar, as `sns/userinfo` and `getUserProfile` answer it.
pub(crate) const GREY_AVATAR: &str = "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132";

impl State {
    /// `sns/userinfo`'s `nickname` and `headimgurl` for a fake user: a user named "微信用户"
    /// shares no profile, and WeChat answers its placeholder pair; any other has an avatar
    /// served by [`avatar`].
    pub(crate) fn profile(&self, user_id: &str) -> (String, String) {
        let nickname = self
            .users
            .get(user_id)
            .map(|u| u.nickname)
            .unwrap_or_default();
        if nickname == PLACEHOLDER_NICKNAME {
            return (nickname, GREY_AVATAR.to_owned());
        }
        (nickname, self.avatar_url(user_id))
    }

    fn avatar_url(&self, user_id: &str) -> String {
        let path = format!(
            "api/users/{}/avatar",
            url::form_urlencoded::byte_serialize(user_id.as_bytes()).collect::<String>()
        );
        self.phone_url
            .join(&path)
            .map(String::from)
            .unwrap_or_default()
    }
}

/// `GET /api/users/:id/avatar`: a flat SVG avatar whose colour derives from the user id.
#[handler]
pub(crate) async fn avatar(Path(id): Path<String>) -> Response {
    let digest = Sha256::digest(id.as_bytes());
    let colour = hex::encode(digest.get(..3).unwrap_or_default());
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"132\" height=\"132\" \
         viewBox=\"0 0 132 132\"><rect width=\"132\" height=\"132\" fill=\"#{colour}\"/>\
         <circle cx=\"66\" cy=\"52\" r=\"24\" fill=\"#fff\" opacity=\".85\"/>\
         <rect x=\"26\" y=\"86\" width=\"80\" height=\"46\" rx=\"23\" fill=\"#fff\" \
         opacity=\".85\"/></svg>"
    );
    Response::builder()
        .content_type("image/svg+xml")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .body(svg)
}
