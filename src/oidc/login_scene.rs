//! `POST /oidc/login/scene`: the hosted login page's scene, bound to the authorization request.
//! For the request's provider, or `in_wechat` (the page opened inside WeChat's browser leads
//! with "微信一键登录"), whose WeChat redirect comes back to this very login page.

use super::server::Oidc;
use super::state::hash;
use crate::edge::{CallbackCookie, PollCookie};
use crate::login::{Error, NewScene};
use crate::scene::{ClientRequest, Provider};
use poem::http::{StatusCode, header};
use poem::web::{Data, Json};
use poem::{IntoResponse, Request, Response, handler};
use poem_openapi::types::ToJSON;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub struct CreateScene {
    request: String,
    /// The request's provider when absent; otherwise only that one or `in_wechat`.
    provider: Option<Provider>,
    /// `in_wechat` only, and only this request's own login page (the default): anything else
    /// is `invalid_return_url`, so the page can never be made an open redirect.
    return_url: Option<String>,
}

/// The hosted page's scene: bound to the authorization request. Answers like
/// `POST /api/v1/scenes` (and sets the same cookies: the poll cookie, `saoma_in_wechat`).
#[handler]
pub async fn create_scene(
    oidc: Data<&Arc<Oidc>>,
    req: &Request,
    Json(body): Json<CreateScene>,
) -> Response {
    let request = match oidc.request(&body.request).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            return api_error(
                StatusCode::NOT_FOUND,
                "login_expired",
                "this login request has expired",
            );
        }
        Err(e) => return e.into_response(),
    };
    let provider = body.provider.unwrap_or(request.provider);
    if provider != request.provider && provider != Provider::InWechat {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this login request is for another provider",
        );
    }
    if body.return_url.is_some() && provider != Provider::InWechat {
        return domain_error(Error::InvalidReturnUrl);
    }
    let client_name = oidc
        .clients
        .get(request.client_id.as_str())
        .map_or_else(|| request.client_id.to_string(), |c| c.name.clone());
    let (ip, user_agent) = crate::edge::client_of(req);
    let browser = super::session::login_secret(req, &body.request);
    let new = NewScene {
        provider,
        scene: None,
        requester_ip: ip,
        user_agent,
        return_url: body.return_url,
        for_client: Some(ClientRequest {
            client_name,
            request: body.request.clone(),
            browser: hash(browser.expose()),
            client_id: request.client_id.to_string(),
        }),
    };
    let request_id = body.request;
    let saoma = &oidc.saoma;
    let created = match saoma.create_scene(new).await {
        Ok(created) => created,
        Err(e) => return domain_error(e),
    };
    let secure = oidc.secure_cookies;
    let mut cookies = vec![
        PollCookie::set(
            &created.scene,
            &created.poll_token,
            created.expires_in,
            secure,
        ),
        super::session::login_cookie(&request_id, browser.expose(), oidc.request_ttl, secure),
    ];
    if created.provider == Provider::InWechat {
        // The callback's proof that WeChat came back to the browser that started the login.
        cookies.push(CallbackCookie::IN_WECHAT.set(
            &created.poll_token,
            created.expires_in,
            secure,
        ));
    }
    let body = created.to_json().unwrap_or_default();
    let mut response = Response::builder()
        .status(StatusCode::CREATED)
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body.to_string());
    for value in cookies {
        if let Ok(value) = value.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// As `POST /api/v1/scenes` answers it (`invalid_return_url`, `provider_unavailable`, ...).
fn domain_error(e: Error) -> Response {
    crate::edge::ApiError::from(e).into_response()
}

/// The API's error shape (`{code, message}`), as the SDK reads it.
fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(serde_json::json!({ "code": code, "message": message }).to_string())
}
