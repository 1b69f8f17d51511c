//! The browser-facing OAuth operations in the OpenAPI document: the authorization endpoint
//! (GET with a query, POST with a form) and end-session. They answer with redirects and small
//! HTML pages, never JSON; the work is in `authorize` and `logout`.

use super::authorize::{Params, run};
use super::browser_answers::{AuthorizeAnswer, AuthorizeForm, LogoutAnswer, LogoutForm};
use super::http_layer::HttpLayer;
use super::logout::{LogoutQuery, end_session};
use super::server::Oidc;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Form;
use poem_openapi::{OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// OpenID Provider: the endpoints an OpenID Connect relying party calls.
    OpenIdConnect,
}

#[derive(Default)]
pub struct OidcBrowserApi;

#[OpenApi(tag = "ApiTags::OpenIdConnect")]
impl OidcBrowserApi {
    /// Authorization endpoint: start a login (authorization code flow, PKCE S256)
    ///
    /// Every parameter is read from the query as sent (a parameter given twice is
    /// `invalid_request`). Without a usable single sign-on session the answer is the hosted
    /// login page itself, titled with the client's name, where the user scans the code.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/oidc/authorize",
        method = "get",
        operation_id = "oidcAuthorize"
    )]
    async fn authorize(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        /// The client, as in `[[oidc.clients]]`.
        #[oai(name = "client_id")]
        _client_id: Query<Option<String>>,
        /// One of the client's `redirect_uris`, exactly.
        #[oai(name = "redirect_uri")]
        _redirect_uri: Query<Option<String>>,
        /// `code` (the only flow).
        #[oai(name = "response_type")]
        _response_type: Query<Option<String>>,
        /// Space-separated; must include `openid`. Also `profile`, `phone`, `wechat`,
        /// `offline_access`.
        #[oai(name = "scope")]
        _scope: Query<Option<String>>,
        /// Returned as is with the code or the error; at most 512 bytes.
        #[oai(name = "state")]
        _state: Query<Option<String>>,
        /// Copied into the id_token; at most 512 bytes.
        #[oai(name = "nonce")]
        _nonce: Query<Option<String>>,
        /// PKCE (RFC 7636): base64url SHA-256 of the verifier; required for public clients.
        #[oai(name = "code_challenge")]
        _code_challenge: Query<Option<String>>,
        /// `S256`.
        #[oai(name = "code_challenge_method")]
        _code_challenge_method: Query<Option<String>>,
        /// `none` (no scan: `login_required` without a usable session), or `login`,
        /// `consent`, `select_account` (each asks for a scan despite a session).
        #[oai(name = "prompt")]
        _prompt: Query<Option<String>>,
        /// An id_token of this provider (expired too): a session of another account is not
        /// used (`prompt=none`: `login_required`).
        #[oai(name = "id_token_hint")]
        _id_token_hint: Query<Option<String>>,
        /// Not supported: `request_not_supported`.
        #[oai(name = "request")]
        _request: Query<Option<String>>,
        /// Not supported: `request_uri_not_supported`.
        #[oai(name = "request_uri")]
        _request_uri: Query<Option<String>>,
        /// Seconds: an older session means a new scan.
        #[oai(name = "max_age")]
        _max_age: Query<Option<String>>,
        /// `zh-CN` (default) or `en`: the login page's language.
        #[oai(name = "ui_locales")]
        _ui_locales: Query<Option<String>>,
        /// `provider:mini_program`, `provider:official_account` or `provider:website`.
        #[oai(name = "login_hint")]
        _login_hint: Query<Option<String>>,
        /// `mini_program` (default), `official_account` or `website`: the WeChat login offered.
        #[oai(name = "provider")]
        _provider: Query<Option<String>>,
        /// `query` (the only mode).
        #[oai(name = "response_mode")]
        _response_mode: Query<Option<String>>,
    ) -> HttpLayer<AuthorizeAnswer> {
        let params: Params =
            url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        HttpLayer(run(&oidc, req, params).await.into())
    }

    /// Authorization endpoint, POST: the same request in a form body
    #[oai(
        path = "/oidc/authorize",
        method = "post",
        operation_id = "oidcAuthorizePost"
    )]
    async fn authorize_post(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        form: Form<AuthorizeForm>,
    ) -> HttpLayer<AuthorizeAnswer> {
        HttpLayer(run(&oidc, req, form.0.into_params()).await.into())
    }

    /// End-session endpoint (RP-initiated logout): end the single sign-on session
    ///
    /// At once when `id_token_hint` is an id_token of the session's own account; otherwise
    /// the answer is a page asking the user first (RP-Initiated Logout 1.0 section 2).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/oidc/logout", method = "get", operation_id = "oidcEndSession")]
    async fn logout(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        /// An id_token this provider issued (expired ones too): names the client.
        id_token_hint: Query<Option<String>>,
        /// One of the client's `post_logout_redirect_uris`, exactly; needs the client named
        /// by `id_token_hint` or `client_id`.
        post_logout_redirect_uri: Query<Option<String>>,
        /// Returned as is on the redirect.
        state: Query<Option<String>>,
        /// The client, when there is no `id_token_hint`.
        client_id: Query<Option<String>>,
        /// `zh-CN` (default) or `en`: the page's language.
        ui_locales: Query<Option<String>>,
    ) -> HttpLayer<LogoutAnswer> {
        let query = LogoutQuery {
            id_token_hint: id_token_hint.0,
            post_logout_redirect_uri: post_logout_redirect_uri.0,
            state: state.0,
            client_id: client_id.0,
            ui_locales: ui_locales.0,
        };
        let logout = end_session(&oidc, req, query).await;
        HttpLayer(LogoutAnswer::new(logout, oidc.secure_cookies))
    }

    /// End-session endpoint, POST: the same request in a form body
    #[oai(
        path = "/oidc/logout",
        method = "post",
        operation_id = "oidcEndSessionPost"
    )]
    async fn logout_post(
        &self,
        oidc: Data<&Arc<Oidc>>,
        req: &Request,
        form: Form<LogoutForm>,
    ) -> HttpLayer<LogoutAnswer> {
        let logout = end_session(&oidc, req, form.0.into()).await;
        HttpLayer(LogoutAnswer::new(logout, oidc.secure_cookies))
    }
}
