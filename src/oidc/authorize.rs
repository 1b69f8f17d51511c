//! The authorization endpoint (code flow only): an error page, an error redirect, a code at
//! once (single sign-on), or the hosted login page itself (no redirect to it: one round trip
//! less); and how codes and redirects are made.

use super::error::OAuthError;
use super::login_page::{Page, login_page};
use super::request::{MAX_ECHOED, now_secs, parse, ui_lang};
use super::server::Oidc;
use super::state::{AuthRequest, CodeGrant, Lang, Login};
use super::types::AuthCode;
use crate::login::random_token;
use crate::secret::Secret;
use poem::http::{StatusCode, header};
use poem::{Request, Response};
use std::collections::HashMap;

pub(super) type Params = Vec<(String, String)>;

/// Where an authorization request ends: a redirect to the client (success or error), the
/// hosted login page, or an error page when the client cannot be trusted with a redirect
/// (unknown client, unregistered redirect URI: RFC 6749 4.1.2.1).
pub(super) enum Outcome {
    Redirect(String),
    /// The hosted login page (200) for the request just stored.
    Login(Page),
    /// Always 400.
    Page(&'static str, String, Lang),
}

/// The authorization request in `params` (the query's or the form's, in order, repeats kept).
pub(super) async fn run(oidc: &Oidc, req: &Request, params: Params) -> Outcome {
    let lang = ui_lang(
        params
            .iter()
            .find(|(k, _)| k == "ui_locales")
            .map(|(_, v)| v.as_str()),
    );
    match decide(oidc, req, params).await {
        Ok(Decision::Code(to)) => Outcome::Redirect(to),
        Ok(Decision::Login(id, request)) => {
            Outcome::Login(login_page(oidc, req, id.expose(), &request))
        }
        Err(refusal) => refused(oidc, refusal, lang),
    }
}

/// What the protocol decided for an authorization request it accepts.
enum Decision {
    /// A signed-in session: the client's redirect URI with the code.
    Code(String),
    /// A scan is needed: the stored request's id, and the request.
    Login(Secret, AuthRequest),
}

/// Why an authorization request is refused, decided apart from how it is answered
/// ([`refused`] alone maps it to a page or a redirect; kanidm's `Oauth2Error` is the model).
enum Refusal {
    /// An unknown `client_id`: no redirect can be trusted (RFC 6749 4.1.2.1).
    UnknownClient,
    /// `redirect_uri` missing or not registered for the client (its name): no redirect either.
    UnregisteredRedirectUri(String),
    /// The redirect URI is the client's: the error goes back to it, with the request's state.
    ToClient {
        back: Back,
        code: &'static str,
        description: String,
    },
}

/// Where a refusal goes back to once the redirect URI is the client's: it, and the request's
/// `state` (unless oversized).
#[derive(Clone)]
struct Back {
    redirect_uri: String,
    state: Option<String>,
}

impl Back {
    fn refuse(&self, code: &'static str, description: impl Into<String>) -> Refusal {
        Refusal::ToClient {
            back: self.clone(),
            code,
            description: description.into(),
        }
    }

    fn failed(&self, e: OAuthError) -> Refusal {
        self.refuse(e.code, e.description)
    }
}

/// The one answer of each refusal: an error page (400) where a redirect would be unsafe, else
/// the client's redirect URI with `error`, `error_description`, `state` and `iss`.
fn refused(oidc: &Oidc, refusal: Refusal, lang: Lang) -> Outcome {
    match refusal {
        Refusal::UnknownClient => Outcome::Page(
            "invalid_client",
            "unknown client_id: no redirect is made".into(),
            lang,
        ),
        Refusal::UnregisteredRedirectUri(client) => Outcome::Page(
            "invalid_redirect_uri",
            format!("redirect_uri is missing or not registered for {client}: no redirect is made"),
            lang,
        ),
        Refusal::ToClient {
            back,
            code,
            description,
        } => Outcome::Redirect(error_redirect(
            oidc,
            &back.redirect_uri,
            back.state.as_deref(),
            code,
            &description,
        )),
    }
}

pub fn see_other(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

async fn decide(oidc: &Oidc, req: &Request, params: Params) -> Result<Decision, Refusal> {
    let mut map: HashMap<&str, &str> = HashMap::new();
    let mut repeated = None;
    for (k, v) in &params {
        if map.insert(k.as_str(), v.as_str()).is_some() {
            repeated = Some(k.clone());
        }
    }
    let client = map
        .get("client_id")
        .and_then(|id| oidc.clients.get(id))
        .ok_or(Refusal::UnknownClient)?;
    let redirect_uri = map
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|r| r == *uri))
        .ok_or_else(|| Refusal::UnregisteredRedirectUri(client.name.clone()))?;
    // An oversized state is refused without being echoed back (nor stored).
    let oversized = map.get("state").is_some_and(|s| s.len() > MAX_ECHOED);
    let back = Back {
        redirect_uri: redirect_uri.to_string(),
        state: map
            .get("state")
            .filter(|_| !oversized)
            .map(|s| s.to_string()),
    };
    if let Some(name) = repeated {
        return Err(back.refuse("invalid_request", format!("{name} appears more than once")));
    }
    if oversized {
        return Err(back.refuse(
            "invalid_request",
            format!("state is longer than {MAX_ECHOED} bytes"),
        ));
    }
    let asked =
        parse(oidc, client, redirect_uri, &map).map_err(|(code, text)| back.refuse(code, text))?;
    // Counted whether a scan follows or a code at once: each stores something for a while (the
    // request for the login page, or a code with its state and nonce).
    let (ip, _) = crate::edge::client_of(req);
    oidc.saoma
        .admit_authorization_request(&ip)
        .await
        .map_err(|e| back.failed(OAuthError::domain(e)))?;
    let session = oidc
        .current_session(req)
        .await
        .map_err(|e| back.failed(e))?;
    if let Some(login) = session
        && !asked.fresh_login
        && asked
            .max_age
            .is_none_or(|max| now_secs() - login.auth_time <= max)
        && asked
            .hinted_account
            .as_ref()
            .is_none_or(|hinted| *hinted == login.account_id)
    {
        if let Some(sid) = &login.sid
            && let Err(e) = oidc.saoma.sso_session_used(sid).await
        {
            // Only the admin plane's "last used" is behind: the login itself stands.
            tracing::warn!(error = %e, "oidc: could not record an SSO session's use");
        }
        return oidc
            .issue_code(asked.request, login)
            .await
            .map(Decision::Code)
            .map_err(|e| back.failed(e));
    }
    if asked.prompt_none {
        return Err(back.refuse(
            "login_required",
            "no signed-in session: the user must scan a code",
        ));
    }
    let id = random_token();
    oidc.save_request(id.expose(), &asked.request)
        .await
        .map_err(|e| back.failed(e))?;
    Ok(Decision::Login(id, asked.request))
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
        let code = AuthCode::new(random_token().expose());
        let to = with_params(
            request.redirect_uri.as_str(),
            &[
                ("code", Some(code.expose())),
                ("state", request.state.as_deref()),
                ("iss", Some(&self.issuer)),
            ],
        );
        self.save_code(&code, &CodeGrant { request, login }).await?;
        Ok(to)
    }
}
