//! `wxa/getwxacodeunlimit`: a real, scannable JPEG whose payload is the phone page's URL with
//! the scene (the sandbox's stand-in for a mini-program code).

use image::codecs::jpeg::JpegEncoder;
use image::{ImageBuffer, Luma};
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;
use std::sync::Arc;

use super::State;
use super::errors::{self, wx_error};
use super::faults::{self, observe};
use super::tokens::TokenCheck;

/// The pages of the sandbox's "released" mini-program; the first is its home page.
pub(crate) const RELEASED_PAGES: [&str; 2] = ["pages/index/index", "pages/login/login"];
const ENV_VERSIONS: [&str; 3] = ["release", "trial", "develop"];
const DEFAULT_WIDTH: u32 = 430;
const MIN_WIDTH: u32 = 280;
const MAX_WIDTH: u32 = 1280;
const MAX_SCENE_CHARS: usize = 32;
const JPEG_QUALITY: u8 = 95;

#[derive(Deserialize)]
pub(crate) struct AccessTokenQuery {
    access_token: Option<String>,
}

/// The body fields the sandbox looks at; the others (auto_color, line_color, is_hyaline) are
/// accepted and ignored.
#[derive(Deserialize)]
struct CodeRequest {
    scene: Option<serde_json::Value>,
    page: Option<String>,
    check_path: Option<bool>,
    env_version: Option<String>,
    width: Option<serde_json::Value>,
}

/// WeChat's scene rule: 1..=32 chars of `0-9A-Za-z` and ``!#$&'()*+,/:;=?@-._~``. `Err` is the
/// errcode.
pub(crate) fn check_scene(scene: &str) -> Result<(), i64> {
    let chars = scene.chars().count();
    if chars == 0 || chars > MAX_SCENE_CHARS {
        return Err(errors::INVALID_SCENE_LENGTH);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$&'()*+,/:;=?@-._~".contains(c);
    if scene.chars().all(allowed) {
        Ok(())
    } else {
        Err(errors::INVALID_SCENE)
    }
}

/// `POST /wechat/wxa/getwxacodeunlimit?access_token=` with a JSON body.
#[handler]
pub(crate) async fn getwxacodeunlimit(
    Data(state): Data<&Arc<State>>,
    Query(q): Query<AccessTokenQuery>,
    body: Vec<u8>,
) -> Response {
    let token = q.access_token.unwrap_or_default();
    let check = state.tokens.check(&token, state.clock.now());
    let app_id = match &check {
        TokenCheck::Valid { app_id } | TokenCheck::Invalid { app_id, .. } => app_id.as_str(),
        TokenCheck::Unknown => faults::UNKNOWN_APP,
    };
    if let Some(reply) = observe(state, faults::GETWXACODEUNLIMIT, app_id).await {
        return reply;
    }
    match check {
        TokenCheck::Valid { .. } => {}
        TokenCheck::Invalid { errcode, .. } => return wx_error(errcode),
        TokenCheck::Unknown => return wx_error(errors::INVALID_CREDENTIAL),
    }
    let Some(request) = parse_body(&body) else {
        return wx_error(errors::DATA_FORMAT_ERROR);
    };
    let scene = match &request.scene {
        Some(serde_json::Value::String(scene)) => scene.clone(),
        _ => return wx_error(errors::INVALID_SCENE_LENGTH),
    };
    if let Err(errcode) = check_scene(&scene) {
        return wx_error(errcode);
    }
    let env_version = request.env_version.as_deref().unwrap_or("release");
    if !ENV_VERSIONS.contains(&env_version) {
        return wx_error(errors::INVALID_ARGS);
    }
    let page = match request.page.as_deref() {
        None | Some("") => RELEASED_PAGES[0],
        Some(page) => page,
    };
    if request.check_path.unwrap_or(true) && !RELEASED_PAGES.contains(&page) {
        return wx_error(errors::INVALID_PAGE);
    }
    let width = request
        .width
        .as_ref()
        .and_then(serde_json::Value::as_f64)
        .map_or(DEFAULT_WIDTH, |w| {
            w.clamp(f64::from(MIN_WIDTH), f64::from(MAX_WIDTH)) as u32
        });

    let payload = phone_link(&state.phone_url, &scene);
    let rendered = tokio::task::spawn_blocking(move || render_jpeg(&payload, width)).await;
    match rendered {
        Ok(Ok(jpeg)) => Response::builder()
            .status(StatusCode::OK)
            .content_type("image/jpeg")
            .body(jpeg),
        Ok(Err(e)) => {
            tracing::error!(error = format!("{e:#}"), "sandbox: rendering a code failed");
            wx_error(errors::SYSTEM_ERROR)
        }
        Err(e) => {
            tracing::error!(error = %e, "sandbox: the rendering task failed");
            wx_error(errors::SYSTEM_ERROR)
        }
    }
}

/// The body must be a JSON object (WeChat refuses a form post or an array: 47001).
fn parse_body(body: &[u8]) -> Option<CodeRequest> {
    match serde_json::from_slice(body) {
        Ok(object @ serde_json::Value::Object(_)) => serde_json::from_value(object).ok(),
        _ => None,
    }
}

/// `<phone_url>?scene=<scene percent-encoded as a query value>`.
pub(crate) fn phone_link(phone_url: &url::Url, scene: &str) -> String {
    let mut link = phone_url.clone();
    link.query_pairs_mut().clear().append_pair("scene", scene);
    link.into()
}

/// A `width` x `width` JPEG of a QR code with its quiet zone, centred on white.
pub(crate) fn render_jpeg(payload: &str, width: u32) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    let qr: ImageBuffer<Luma<u8>, Vec<u8>> = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .max_dimensions(width, width)
        .build();
    let side = width.max(qr.width()).max(qr.height());
    let mut canvas = ImageBuffer::from_pixel(side, side, Luma([255u8]));
    let x = i64::from((side - qr.width()) / 2);
    let y = i64::from((side - qr.height()) / 2);
    image::imageops::overlay(&mut canvas, &qr, x, y);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY).encode_image(&canvas)?;
    Ok(jpeg)
}
