//! The cookies Saoma sets: the poll token's (one scene's path), a login callback's (the poll
//! token again, for the path WeChat sends the browser back to), and the slot for a second
//! `Set-Cookie` on one operation.

use std::sync::Arc;

/// The poll-token cookie: HttpOnly, scoped to one scene's path, gone when the scene is.
pub struct PollCookie;

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

/// The path a scene's cookie is scoped to, percent-encoded as `encodeURIComponent` would.
fn scene_path(scene: &str) -> String {
    const KEEP: &[u8] = b"-_.!~*'()";
    let mut out = String::from("/api/v1/scenes/");
    for b in scene.bytes() {
        if b.is_ascii_alphanumeric() || KEEP.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A login callback's cookie: the poll token again, for the one path WeChat sends the browser
/// back to, so that the callback acts only for the browser that created the scene (the
/// website login's refusal cancels the scene; the in-WeChat login's `state` is bound to it).
/// SameSite=Lax: it rides the top-level redirect from WeChat, nothing else cross-site.
pub struct CallbackCookie {
    name: &'static str,
    path: &'static str,
}

impl CallbackCookie {
    /// The website login's (`saoma_website`).
    pub const WEBSITE: Self = Self {
        name: "saoma_website",
        path: "/api/v1/website/callback",
    };
    /// The in-WeChat login's (`saoma_in_wechat`).
    pub const IN_WECHAT: Self = Self {
        name: "saoma_in_wechat",
        path: "/api/v1/in-wechat/callback",
    };

    pub fn set(&self, token: &str, max_age: u64, secure: bool) -> String {
        format!(
            "{}={token}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
            self.name,
            self.path,
            if secure { "; Secure" } else { "" }
        )
    }
}

/// A second `Set-Cookie` for an operation (poem-openapi writes one header per name): the
/// handler leaves it here, the operation's transform appends it to the response.
#[derive(Clone, Default)]
pub struct ExtraCookie(Arc<std::sync::Mutex<Option<String>>>);

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
pub fn with_extra_cookie<E: poem::Endpoint + 'static>(ep: E) -> impl poem::Endpoint {
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
