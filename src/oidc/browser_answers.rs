//! What the browser-facing OAuth operations (`browser_api`) answer: redirects and small HTML
//! pages, described status by status for the OpenAPI document; and the POST form of an
//! authorization request.

use super::authorize::{Outcome, Params};
use super::login_page::{Page, error_page_parts};
use super::logout::{Logout, LogoutQuery};
use super::session::clear_cookie;
use super::state::Lang;
use poem::http::StatusCode;
use poem_openapi::payload::Html;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object};

const NO_STORE: &str = "no-store";
const NO_REFERRER: &str = "no-referrer";

/// What the authorization endpoint answers.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "unreadable_authorize_form")]
pub enum AuthorizeAnswer {
    /// A redirect: to the client's `redirect_uri` with `code`, `state` and `iss` (RFC 9207)
    /// when the browser's session allows a login without a scan; to the same URI with
    /// `error`, `error_description`, `state` and `iss` for every other error
    /// (`invalid_request`, `invalid_scope`, `unsupported_response_type`,
    /// `request_not_supported`, `request_uri_not_supported`, `login_required`,
    /// `temporarily_unavailable`, `server_error`).
    #[oai(status = 303)]
    SeeOther(
        /// The redirect's target.
        #[oai(header = "Location")]
        String,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
    /// A scan is needed: the hosted login page itself, titled with the client's name. It
    /// shows the code and, once the phone answers, sends the browser on to the client with a
    /// code (or `error=access_denied` when the user cancels or the code expires). The same
    /// page stays at `/oidc/login?request=...` while the request lives (WeChat's in-WeChat
    /// redirect comes back there).
    #[oai(status = 200)]
    LoginPage(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// The login page's: its script, the styles, the code images.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
    /// An HTML error page and no redirect (RFC 6749 4.1.2.1): `invalid_client` (unknown
    /// `client_id`) or `invalid_redirect_uri` (missing, or not registered for the client);
    /// also a POST whose form cannot be read (a parameter twice, not
    /// `application/x-www-form-urlencoded`). A request the HTTP layer cannot read (a malformed
    /// `Content-Length`) is answered `{code, message}` in JSON instead.
    #[oai(status = 400)]
    BadRequest(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// Nothing but the page's own style.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}

impl AuthorizeAnswer {
    fn page(page: Page) -> Self {
        Self::BadRequest(
            Html(page.html),
            NO_STORE.into(),
            NO_REFERRER.into(),
            page.csp,
        )
    }
}

fn unreadable_authorize_form(err: poem::Error) -> AuthorizeAnswer {
    AuthorizeAnswer::page(error_page_parts(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("the authorization request cannot be read: {err}"),
        Lang::Zh,
    ))
}

impl From<Outcome> for AuthorizeAnswer {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Redirect(to) => Self::SeeOther(to, NO_STORE.into()),
            Outcome::Login(page) => Self::LoginPage(
                Html(page.html),
                NO_STORE.into(),
                NO_REFERRER.into(),
                page.csp,
            ),
            Outcome::Page(code, message, lang) => Self::page(error_page_parts(
                StatusCode::BAD_REQUEST,
                code,
                &message,
                lang,
            )),
        }
    }
}

/// What the end-session endpoint answers. The 303 and the logged-out 200 end the single
/// sign-on session and clear its cookie; the question (200) and the errors keep it.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "unreadable_logout_form")]
pub enum LogoutAnswer {
    /// To the registered `post_logout_redirect_uri`, with `state` when one was sent.
    #[oai(status = 303)]
    SeeOther(
        /// `post_logout_redirect_uri`, with `state`.
        #[oai(header = "Location")]
        String,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// Clears the session cookie (`saoma_sso`, `Max-Age=0`).
        #[oai(header = "Set-Cookie")]
        String,
    ),
    /// An HTML page. Logged out: no `post_logout_redirect_uri` was given (the session cookie
    /// is cleared). Or a question, nothing ended yet (RP-Initiated Logout 1.0 section 2): when
    /// the request does not show it comes from the session's own account (no `id_token_hint`,
    /// another account's, or a POST without the session cookie, as a cross-site form posts),
    /// the page asks the user, and its form posts the same parameters to
    /// `/oidc/logout/confirm` (accepted only from this server's own pages).
    #[oai(status = 200)]
    Page(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// The page's own style; the question's form may post to this server (and follow the
        /// redirect to the `post_logout_redirect_uri`).
        #[oai(header = "Content-Security-Policy")]
        String,
        /// Logged out: clears the session cookie (`saoma_sso`, `Max-Age=0`). Absent on the
        /// question.
        #[oai(header = "Set-Cookie")]
        Option<String>,
    ),
    /// An HTML error page, `invalid_request`: an `id_token_hint` this provider did not sign, a
    /// `client_id` other than the hint's audience, a `post_logout_redirect_uri` not registered
    /// for the client (or with no client named); a POST whose form cannot be read (not
    /// `application/x-www-form-urlencoded`). A request the HTTP layer cannot read (a
    /// malformed `Content-Length`) is answered `{code, message}` in JSON instead.
    #[oai(status = 400)]
    BadRequest(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// Nothing but the page's own style.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
    /// An HTML error page, `server_error` (`{code, message}` in JSON for a fault outside the
    /// operation).
    #[oai(status = 500)]
    ServerError(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// Nothing but the page's own style.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
    /// An HTML error page, `temporarily_unavailable`: the session store failed; retry.
    #[oai(status = 503)]
    Unavailable(
        Html<String>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// `no-referrer`.
        #[oai(header = "Referrer-Policy")]
        String,
        /// Nothing but the page's own style.
        #[oai(header = "Content-Security-Policy")]
        String,
    ),
}

fn unreadable_logout_form(err: poem::Error) -> LogoutAnswer {
    LogoutAnswer::new(
        Logout::Refused(error_page_parts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("the end-session request cannot be read: {err}"),
            Lang::Zh,
        )),
        false,
    )
}

impl LogoutAnswer {
    pub(super) fn new(logout: Logout, secure_cookies: bool) -> Self {
        let cookie = clear_cookie(secure_cookies);
        match logout {
            Logout::Redirect(to) => Self::SeeOther(to, NO_STORE.into(), cookie),
            Logout::LoggedOut(page) => Self::Page(
                Html(page.html),
                NO_STORE.into(),
                NO_REFERRER.into(),
                page.csp,
                Some(cookie),
            ),
            Logout::Confirm(page) => Self::Page(
                Html(page.html),
                NO_STORE.into(),
                NO_REFERRER.into(),
                page.csp,
                None,
            ),
            Logout::Refused(page) => {
                let status = page.status.as_u16();
                let parts = (
                    Html(page.html),
                    NO_STORE.to_string(),
                    NO_REFERRER.to_string(),
                    page.csp,
                );
                match status {
                    503 => Self::Unavailable(parts.0, parts.1, parts.2, parts.3),
                    500 => Self::ServerError(parts.0, parts.1, parts.2, parts.3),
                    _ => Self::BadRequest(parts.0, parts.1, parts.2, parts.3),
                }
            }
        }
    }
}

/// An end-session request in a form body (RP-Initiated Logout 1.0 section 2: GET and POST).
#[derive(Object, Default, serde::Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct LogoutForm {
    /// An id_token this provider issued (expired ones too): names the client, and the account
    /// whose session may end without asking.
    pub id_token_hint: Option<String>,
    /// One of the client's `post_logout_redirect_uris`, exactly; needs the client named by
    /// `id_token_hint` or `client_id`.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned as is on the redirect.
    pub state: Option<String>,
    /// The client, when there is no `id_token_hint`.
    pub client_id: Option<String>,
    /// `zh-CN` (default) or `en`: the page's language.
    pub ui_locales: Option<String>,
}

impl Example for LogoutForm {
    fn example() -> Self {
        LogoutForm {
            client_id: Some("grafana".into()),
            post_logout_redirect_uri: Some("https://grafana.example.com/".into()),
            state: Some("af0ifjsldkj".into()),
            ..LogoutForm::default()
        }
    }
}

impl From<LogoutForm> for LogoutQuery {
    fn from(f: LogoutForm) -> Self {
        LogoutQuery {
            id_token_hint: f.id_token_hint,
            post_logout_redirect_uri: f.post_logout_redirect_uri,
            state: f.state,
            client_id: f.client_id,
            ui_locales: f.ui_locales,
        }
    }
}

/// An authorization request in a form body (OpenID Connect Core 3.1.2.1 allows POST).
#[derive(Object, Default, serde::Deserialize)]
#[oai(example, skip_serializing_if_is_none)]
pub struct AuthorizeForm {
    /// The client, as in `[[oidc.clients]]`.
    pub client_id: Option<String>,
    /// One of the client's `redirect_uris`, exactly.
    pub redirect_uri: Option<String>,
    /// `code` (the only flow).
    pub response_type: Option<String>,
    /// Space-separated; must include `openid`. Also `profile`, `phone`, `wechat`,
    /// `offline_access`.
    pub scope: Option<String>,
    /// Returned as is with the code or the error; at most 512 bytes.
    pub state: Option<String>,
    /// Copied into the id_token; at most 512 bytes.
    pub nonce: Option<String>,
    /// PKCE (RFC 7636): base64url SHA-256 of the verifier; required for public clients.
    pub code_challenge: Option<String>,
    /// `S256`.
    pub code_challenge_method: Option<String>,
    /// `none` (no scan: `login_required` without a usable session), or `login`, `consent`,
    /// `select_account` (each asks for a scan despite a session).
    pub prompt: Option<String>,
    /// An id_token of this provider (expired too): a session of another account is not used
    /// (`prompt=none`: `login_required`).
    pub id_token_hint: Option<String>,
    /// Not supported: `request_not_supported`.
    pub request: Option<String>,
    /// Not supported: `request_uri_not_supported`.
    pub request_uri: Option<String>,
    /// Seconds: an older session means a new scan.
    pub max_age: Option<String>,
    /// `zh-CN` (default) or `en`: the login page's language.
    pub ui_locales: Option<String>,
    /// `provider:mini_program`, `provider:official_account` or `provider:website`.
    pub login_hint: Option<String>,
    /// `mini_program` (default), `official_account` or `website`: the WeChat login offered.
    pub provider: Option<String>,
    /// `query` (the only mode).
    pub response_mode: Option<String>,
}

impl Example for AuthorizeForm {
    fn example() -> Self {
        AuthorizeForm {
            client_id: Some("grafana".into()),
            redirect_uri: Some("https://grafana.example.com/login/generic_oauth".into()),
            response_type: Some("code".into()),
            scope: Some("openid profile phone".into()),
            state: Some("af0ifjsldkj".into()),
            nonce: Some("n-0S6_WzA2Mj".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            code_challenge_method: Some("S256".into()),
            ..AuthorizeForm::default()
        }
    }
}

impl AuthorizeForm {
    pub(super) fn into_params(self) -> Params {
        [
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("response_type", self.response_type),
            ("scope", self.scope),
            ("state", self.state),
            ("nonce", self.nonce),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", self.code_challenge_method),
            ("prompt", self.prompt),
            ("id_token_hint", self.id_token_hint),
            ("request", self.request),
            ("request_uri", self.request_uri),
            ("max_age", self.max_age),
            ("ui_locales", self.ui_locales),
            ("login_hint", self.login_hint),
            ("provider", self.provider),
            ("response_mode", self.response_mode),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
        .collect()
    }
}
