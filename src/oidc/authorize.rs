//! The authorization endpoint (code flow only), and where the hosted login page sends the
//! browser afterwards: `resume` (logged in: a session cookie and a code for the client) and
//! `abort` (cancelled or expired on the phone: `access_denied`).

use super::error::OAuthError;
use super::login_page::error_page;
use super::session::session_cookie;
use super::state::{AuthRequest, CodeGrant, Lang, Login, code_key, request_key, session_key};
use super::{Client, Oidc};
use crate::providers::random_token;
use crate::scene::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Query};
use poem::{Request, Response, handler};
use std::collections::HashMap;
use std::sync::Arc;

type Params = Vec<(String, String)>;

/// Where an authorization request ends: a redirect to the client (success or error), a
/// redirect to the hosted login page, or an error page when the client cannot be trusted with
/// a redirect (unknown client, unregistered redirect URI: RFC 6749 4.1.2.1).
enum Outcome {
    Redirect(String),
    Page(StatusCode, &'static str, String),
}

#[handler]
pub async fn authorize(
    oidc: Data<&Arc<Oidc>>,
    req: &Request,
    Query(params): Query<Params>,
) -> Response {
    run(&oidc, req, params).await
}

#[handler]
pub async fn authorize_form(
    oidc: Data<&Arc<Oidc>>,
    req: &Request,
    Form(params): Form<Params>,
) -> Response {
    run(&oidc, req, params).await
}

async fn run(oidc: &Oidc, req: &Request, params: Params) -> Response {
    let lang = ui_lang(
        params
            .iter()
            .find(|(k, _)| k == "ui_locales")
            .map(|(_, v)| v.as_str()),
    );
    match decide(oidc, req, params).await {
        Outcome::Redirect(to) => see_other(&to),
        Outcome::Page(status, code, message) => error_page(status, code, &message, lang),
    }
}

pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

/// A parsed authorization request, and what it asks of the session.
struct Asked {
    request: AuthRequest,
    prompt_none: bool,
    prompt_login: bool,
    max_age: Option<i64>,
}

async fn decide(oidc: &Oidc, req: &Request, params: Params) -> Outcome {
    let mut map: HashMap<&str, &str> = HashMap::new();
    let mut repeated = None;
    for (k, v) in &params {
        if map.insert(k.as_str(), v.as_str()).is_some() {
            repeated = Some(k.clone());
        }
    }
    let Some(client) = map.get("client_id").and_then(|id| oidc.clients.get(id)) else {
        return Outcome::Page(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id: no redirect is made".into(),
        );
    };
    let Some(redirect_uri) = map
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| r == *uri))
    else {
        return Outcome::Page(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            format!(
                "redirect_uri is missing or not registered for {}: no redirect is made",
                client.name
            ),
        );
    };
    let state = map.get("state").map(|s| s.to_string());
    let fail = |code: &'static str, text: &str| {
        Outcome::Redirect(error_redirect(
            oidc,
            redirect_uri,
            state.as_deref(),
            code,
            text,
        ))
    };
    if let Some(name) = repeated {
        return fail("invalid_request", &format!("{name} appears more than once"));
    }
    let asked = match parse(oidc, client, redirect_uri, &map) {
        Ok(asked) => asked,
        Err((code, text)) => return fail(code, &text),
    };
    match oidc.current_session(req).await {
        Ok(Some(login))
            if !asked.prompt_login
                && asked
                    .max_age
                    .is_none_or(|max| now_secs() - login.auth_time <= max) =>
        {
            return match oidc.issue_code(asked.request, login).await {
                Ok(to) => Outcome::Redirect(to),
                Err(e) => fail(e.code, &e.description),
            };
        }
        Ok(_) => {}
        Err(e) => return fail(e.code, &e.description),
    }
    if asked.prompt_none {
        return fail(
            "login_required",
            "no signed-in session: the user must scan a code",
        );
    }
    let id = random_token();
    if let Err(e) = oidc
        .put(&request_key(id.expose()), &asked.request, oidc.request_ttl)
        .await
    {
        return fail(e.code, &e.description);
    }
    Outcome::Redirect(format!("/oidc/login?request={}", id.expose()))
}

fn parse(
    oidc: &Oidc,
    client: &Client,
    redirect_uri: &str,
    map: &HashMap<&str, &str>,
) -> Result<Asked, (&'static str, String)> {
    let invalid = |text: &str| ("invalid_request", text.to_string());
    if map.contains_key("request") {
        return Err((
            "request_not_supported",
            "request objects are not supported".into(),
        ));
    }
    if map.contains_key("request_uri") {
        return Err((
            "request_uri_not_supported",
            "request_uri is not supported".into(),
        ));
    }
    match map.get("response_type") {
        Some(&"code") => {}
        None => return Err(invalid("response_type is missing")),
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    if map.get("response_mode").is_some_and(|m| *m != "query") {
        return Err(invalid("only response_mode=query is supported"));
    }
    let asked: Vec<&str> = map
        .get("scope")
        .map_or_else(Vec::new, |s| s.split(' ').collect());
    if !asked.contains(&"openid") {
        return Err(("invalid_scope", "scope must include openid".into()));
    }
    let scopes: Vec<String> = super::discovery::SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .map(|s| s.to_string())
        .collect();
    let code_challenge = match (map.get("code_challenge"), map.get("code_challenge_method")) {
        (Some(challenge), Some(&"S256")) => {
            let valid = challenge.len() == 43
                && URL_SAFE_NO_PAD
                    .decode(challenge)
                    .is_ok_and(|b| b.len() == 32);
            if !valid {
                return Err(invalid(
                    "code_challenge is not a base64url SHA-256 (43 characters)",
                ));
            }
            Some(challenge.to_string())
        }
        (Some(_), _) => return Err(invalid("code_challenge_method must be S256")),
        (None, Some(_)) => return Err(invalid("code_challenge_method without code_challenge")),
        (None, None) if client.is_public() => {
            return Err(invalid(
                "PKCE is required for this client: send code_challenge (S256)",
            ));
        }
        (None, None) => None,
    };
    let prompts: Vec<&str> = map.get("prompt").map_or_else(Vec::new, |p| {
        p.split(' ').filter(|p| !p.is_empty()).collect()
    });
    if let Some(unknown) = prompts
        .iter()
        .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(invalid(&format!("prompt={unknown} is not supported")));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(invalid("prompt=none cannot be combined with other values"));
    }
    let max_age = match map.get("max_age") {
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| invalid("max_age must be a number of seconds"))?,
        ),
        None => None,
    };
    let provider = pick_provider(oidc, map).map_err(|text| invalid(&text))?;
    Ok(Asked {
        request: AuthRequest {
            client_id: client.id.clone(),
            redirect_uri: redirect_uri.to_string(),
            scopes,
            state: map.get("state").map(|s| s.to_string()),
            nonce: map.get("nonce").map(|s| s.to_string()),
            code_challenge,
            provider,
            lang: ui_lang(map.get("ui_locales").copied()),
        },
        prompt_none,
        prompt_login: prompts.contains(&"login"),
        max_age,
    })
}

/// `provider=` (or `login_hint=provider:<name>`): which WeChat login the page offers.
/// Default: the mini-program code.
fn pick_provider(oidc: &Oidc, map: &HashMap<&str, &str>) -> Result<Provider, String> {
    let named = map.get("provider").copied().or_else(|| {
        map.get("login_hint")
            .and_then(|hint| hint.strip_prefix("provider:"))
    });
    let provider = match named {
        None => Provider::MiniProgram,
        Some("mini_program") => Provider::MiniProgram,
        Some("official_account") => Provider::OfficialAccount,
        Some("website") => Provider::Website,
        Some(other) => return Err(format!("unknown provider {other:?}")),
    };
    if !oidc.saoma.providers().contains(&provider) {
        return Err(format!(
            "the {} provider is not configured",
            provider.as_str()
        ));
    }
    Ok(provider)
}

/// The first of `ui_locales` Saoma speaks; Chinese by default.
pub fn ui_lang(ui_locales: Option<&str>) -> Lang {
    for tag in ui_locales.unwrap_or("").split(' ') {
        let tag = tag.to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") {
            return Lang::Zh;
        }
        if tag == "en" || tag.starts_with("en-") {
            return Lang::En;
        }
    }
    Lang::Zh
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `redirect_uri` with `params` added to its query (its own query kept).
fn with_params(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (k, v) in params {
                    if let Some(v) = v {
                        query.append_pair(k, v);
                    }
                }
            }
            url.to_string()
        }
        // Registered URIs were parsed at start; this cannot happen.
        Err(_) => redirect_uri.to_string(),
    }
}

pub fn error_redirect(
    oidc: &Oidc,
    redirect_uri: &str,
    state: Option<&str>,
    code: &str,
    description: &str,
) -> String {
    with_params(
        redirect_uri,
        &[
            ("error", Some(code)),
            ("error_description", Some(description)),
            ("state", state),
            ("iss", Some(&oidc.issuer)),
        ],
    )
}

impl Oidc {
    /// Store a code for `login` and answer with the client's redirect (RFC 9207 `iss`).
    pub(super) async fn issue_code(
        &self,
        request: AuthRequest,
        login: Login,
    ) -> Result<String, OAuthError> {
        let code = random_token();
        let to = with_params(
            &request.redirect_uri,
            &[
                ("code", Some(code.expose())),
                ("state", request.state.as_deref()),
                ("iss", Some(&self.issuer)),
            ],
        );
        self.put(
            &code_key(code.expose()),
            &CodeGrant { request, login },
            self.code_ttl,
        )
        .await?;
        Ok(to)
    }
}

#[derive(serde::Deserialize)]
pub struct Ticket {
    ticket: String,
}

/// The hosted page's next stop once the phone confirmed: sign the browser in, then send it to
/// the client with a code.
#[handler]
pub async fn resume(oidc: Data<&Arc<Oidc>>, Query(q): Query<Ticket>) -> Response {
    let expired = |lang| {
        error_page(
            StatusCode::BAD_REQUEST,
            "login_expired",
            "this login link has expired or was already used: go back to the app and log in again",
            lang,
        )
    };
    let login = match oidc.saoma.redeem_client_ticket(&q.ticket).await {
        Ok(Some(login)) => login,
        Ok(None) => return expired(Lang::Zh),
        Err(e) => return OAuthError::domain(e).into_page(),
    };
    let request: AuthRequest = match oidc.take(&request_key(&login.request)).await {
        Ok(Some(request)) => request,
        Ok(None) => return expired(Lang::Zh),
        Err(e) => return e.into_page(),
    };
    let login = Login {
        account_id: login.account_id,
        provider: login.provider,
        app_id: login.app_id,
        auth_time: login.auth_time,
    };
    let sid = random_token();
    let failed = |e: OAuthError| {
        see_other(&error_redirect(
            &oidc,
            &request.redirect_uri,
            request.state.as_deref(),
            e.code,
            &e.description,
        ))
    };
    if let Err(e) = oidc
        .put(&session_key(sid.expose()), &login, oidc.session_ttl)
        .await
    {
        return failed(e);
    }
    let cookie = session_cookie(sid.expose(), oidc.session_ttl, oidc.secure_cookies);
    match oidc.issue_code(request.clone(), login).await {
        Ok(to) => {
            let mut response = see_other(&to);
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            tracing::info!(client = %request.client_id, "oidc: login confirmed, code issued");
            response
        }
        Err(e) => failed(e),
    }
}

#[derive(serde::Deserialize)]
pub struct Abort {
    request: String,
    reason: Option<String>,
}

/// The hosted page's next stop when the phone cancelled or the code expired.
#[handler]
pub async fn abort(oidc: Data<&Arc<Oidc>>, Query(q): Query<Abort>) -> Response {
    let request: AuthRequest = match oidc.take(&request_key(&q.request)).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "login_expired",
                "this login request has expired or was already answered",
                Lang::Zh,
            );
        }
        Err(e) => return e.into_page(),
    };
    let text = match q.reason.as_deref() {
        Some("expired") => "the login code expired before it was confirmed",
        _ => "the user cancelled the login on the phone",
    };
    see_other(&error_redirect(
        &oidc,
        &request.redirect_uri,
        request.state.as_deref(),
        "access_denied",
        text,
    ))
}

impl OAuthError {
    /// This error as a page (when there is nowhere safe to redirect to).
    pub fn into_page(self) -> Response {
        error_page(self.status, self.code, &self.description, Lang::Zh)
    }
}
