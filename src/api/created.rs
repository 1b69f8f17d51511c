//! The created scene's JSON, written without copying or escaping its code image.
//!
//! A mini-program scene carries its code as a ~40 KB `data:` URL. poem-openapi's `Json` copies
//! it into a `serde_json::Value`, then escapes it byte by byte into the body: in a profile of
//! full logins, malloc, memmove and `format_escaped_str` (much of it that one string) were
//! ~20% of Saoma's CPU; a loop of 2,000 create responses took 37-43 µs each with `Json` and
//! 5.4 µs each with this (release build, same machine, same run). Here the rest of the scene
//! is serialised as before and the image is put into the `qr` object as it is, when it holds
//! nothing JSON would escape (a base64 data URL never does; anything else is escaped as usual).
//! The documented schema is `Json<CreatedScene>`'s.

use crate::login::CreatedScene;
use poem::{IntoResponse, Response};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::ToJSON;

type Documented = Json<CreatedScene>;

pub struct CreatedJson(pub CreatedScene);

impl Payload for CreatedJson {
    const CONTENT_TYPE: &'static str = Documented::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        Documented::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        Documented::schema_ref()
    }

    fn register(registry: &mut Registry) {
        Documented::register(registry);
    }
}

impl IntoResponse for CreatedJson {
    fn into_response(self) -> Response {
        let mut scene = self.0;
        let image = scene.qr.image.take();
        let mut body = match serde_json::to_vec(&scene.to_json()) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "could not serialise a created scene");
                return poem::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        if let Some(image) = image {
            put_image(&mut body, &image);
        }
        Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .body(body)
    }
}

/// Put `"image":<image>` first in the body's `qr` object (the last key of the scene: a string
/// value cannot hold `"qr":{`, whose quote would be escaped).
fn put_image(body: &mut Vec<u8>, image: &str) {
    const KEY: &[u8] = b"\"qr\":{";
    let Some(at) = body.windows(KEY.len()).rposition(|w| w == KEY) else {
        return;
    };
    let at = at + KEY.len();
    let (head, tail) = body.split_at(at);
    let mut out = Vec::with_capacity(body.len() + image.len() + 12);
    out.extend_from_slice(head);
    out.extend_from_slice(b"\"image\":");
    if needs_no_escape(image.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(image.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut out, image).is_err() {
        return;
    }
    if tail.first() != Some(&b'}') {
        out.push(b',');
    }
    out.extend_from_slice(tail);
    *body = out;
}

/// Printable ASCII but the quote and the backslash. Without an early exit, so that it
/// compiles to vector code.
fn needs_no_escape(bytes: &[u8]) -> bool {
    let bad = bytes.iter().fold(false, |bad, &b| {
        bad | !(0x20..0x7f).contains(&b) | (b == b'"') | (b == b'\\')
    });
    !bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::Qr;
    use crate::scene::{Provider, SceneStatus};

    fn scene(image: Option<&str>, url: Option<&str>) -> CreatedScene {
        CreatedScene {
            scene: "s\"qr\":{x".into(),
            provider: Provider::MiniProgram,
            poll_token: "t".into(),
            status: SceneStatus::Pending,
            expires_in: 300,
            interval: 2,
            qr: Qr {
                image: image.map(Into::into),
                url: url.map(Into::into),
                wx_login: None,
            },
        }
    }

    async fn written(scene: CreatedScene) -> serde_json::Value {
        let body = CreatedJson(scene).into_response().into_body();
        serde_json::from_slice(&body.into_vec().await.unwrap()).unwrap()
    }

    #[tokio::test]
    async fn the_body_is_what_poem_openapis_json_writes() {
        for (image, url) in [
            (Some("data:image/jpeg;base64,AQID+/=="), None),
            (Some("data:image/png;base64,AA=="), Some("https://x/y")),
            (Some("odd \"quoted\" \\ image\n"), None),
            (None, Some("https://x/y")),
            (None, None),
        ] {
            let expected = scene(image, url).to_json().unwrap();
            assert_eq!(
                written(scene(image, url)).await,
                expected,
                "{image:?} {url:?}"
            );
        }
    }
}
