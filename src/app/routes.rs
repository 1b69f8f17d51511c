//! Every route of the server, in one table read top to bottom. The OpenAPI service is built
//! once and mounted at the prefixes its operations live under; the shared state (`Saoma`, and
//! `Oidc` when configured) is attached once, around the whole table; then the middleware.

use super::openapi;
use super::parts::render_metrics;
use crate::api;
use crate::config::Config;
use crate::login::Saoma;
use crate::oidc::{Oidc, browser};
use crate::web;
use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, Route, get, post};
use std::sync::Arc;

/// The table. `admin_on`: some client may get admin tokens, or `[admin]` names people (else
/// `/admin/*` is a 404).
/// `sandbox`: the fake WeChat's own routes, when the sandbox plays WeChat.
pub(super) fn routes(oidc_on: bool, admin_on: bool, sandbox: Option<Route>) -> Route {
    let service = openapi::service();
    let spec = openapi::document(&service);
    let (ui_html, ui) = (
        openapi::swagger_ui_html(&service, &spec),
        service.swagger_ui(),
    );
    let api = Arc::new(service.boxed());
    let mut route = Route::new()
        // The demo login page, its scripts and the browser SDK (web/).
        .at("/", get(web::index))
        .at("/demo.js", get(web::demo_js))
        .at("/demo-text.js", get(web::demo_text_js))
        .at("/saoma.js", get(web::sdk_js))
        .at("/saoma.css", get(web::style_css))
        // The contract: the poem-openapi operations (api/, oidc/api.rs).
        .nest_no_strip("/api", api.clone())
        .at("/healthz", api.clone())
        .at("/readyz", api.clone())
        .nest_no_strip("/.well-known", api.clone())
        // Filled-in avatars (api/profile.rs).
        .nest_no_strip("/avatars", api.clone())
        // Its document and Swagger UI, rendered once (web/docs.rs).
        .at("/openapi.json", web::document(spec))
        .nest("/docs", web::docs(ui_html, ui))
        // Prometheus.
        .at("/metrics", get(render_metrics));
    if admin_on {
        // The management API (api/admin.rs), and the console that uses it (web/admin_console.rs;
        // its login needs the OpenID Provider, which the admin plane turns on).
        route = route
            .nest_no_strip("/admin/v1", api.clone())
            .at("/admin", get(web::admin_console::to_page))
            .at("/admin/", get(web::admin_console::page))
            .at("/admin/console.js", get(web::admin_console::script))
            .at("/admin/console.css", get(web::admin_console::style));
    }
    if oidc_on {
        // The OpenID Provider, with `[[oidc.clients]]` (oidc/): the browser's endpoints, then
        // the OAuth operations of the contract.
        route = route
            .at("/oidc/login", get(browser::page))
            .at("/oidc/login.js", get(browser::script))
            .at("/oidc/login/scene", post(browser::login_scene))
            .at("/oidc/resume", get(browser::resume))
            .at("/oidc/abort", get(browser::abort))
            .at("/oidc/logout/confirm", post(browser::logout_confirm))
            .at("/oidc/authorize", api.clone())
            .at("/oidc/logout", api.clone())
            .at("/oidc/jwks", api.clone())
            .at("/oidc/token", api.clone())
            .at("/oidc/userinfo", api.clone())
            .at("/oidc/revoke", api);
    }
    if let Some(sandbox) = sandbox {
        // The fake WeChat and the phone simulator (sandbox/), and what the phone page asks
        // Saoma itself (web/sandbox.rs).
        let helpers = sandbox.at("/api/scenes/:scene", get(web::scanned_scene));
        route = route.nest("/sandbox", helpers);
    }
    route
}

/// The table with its state and middleware: size limits, JSON errors, the access log, CORS
/// for the SDK, security headers.
pub(super) fn endpoint(
    route: Route,
    saoma: Arc<Saoma>,
    oidc: Option<Arc<Oidc>>,
    config: &Config,
) -> anyhow::Result<BoxEndpoint<'static>> {
    let max_body = config.limits.max_body_bytes;
    let max_headers = config.limits.max_header_bytes;
    let endpoint = route
        .around(move |ep, req| api::body_limit(ep, req, max_body))
        .around(move |ep, req| api::header_limit(ep, req, max_headers))
        .catch_all_error(crate::edge::json_errors)
        .around(api::access_log)
        .data(saoma);
    let endpoint = match oidc {
        Some(oidc) => endpoint.data(oidc).boxed(),
        None => endpoint.boxed(),
    };
    Ok(web::allow_origins(endpoint, &config.web.cors_origins)?
        .around(web::security_headers)
        .boxed())
}
