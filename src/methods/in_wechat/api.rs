//! `/api/v1/in-wechat`: where WeChat sends the browser after the official account's web
//! authorization (a page opened inside WeChat). Pages and redirects, as for the website login.

use super::InWechatOutcome;
use crate::api::pages::{self, page_headers};
use crate::edge::error::{ApiError, ErrorBody, ErrorCode};
use crate::login::{BrowserCallback, Saoma};
use poem::web::Data;
use poem_openapi::param::{Cookie, Query};
use poem_openapi::payload::Html;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use std::sync::Arc;

#[derive(Tags)]
enum ApiTags {
    /// Login inside WeChat's browser (公众号网页授权): WeChat's redirect back to Saoma.
    InWechat,
}

#[derive(ApiResponse)]
pub enum InWechatCallbackResponse {
    /// Confirmed (or refused on the consent page): the browser goes back to the return URL,
    /// where the page picks the tokens up with its poll token. No token rides in the URL.
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
    /// `invalid_state`: the state is missing or unknown, or this browser did not start it
    /// (no `saoma_in_wechat` cookie carrying the scene's poll token); nothing changes and the
    /// code is not spent. Also a finished scene (a replayed URL) and a code WeChat refuses
    /// (`invalid_code`: 40029, 40163, 42003).
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// `snapshot_user`: WeChat opened the page as a snapshot (快照页, `is_snapshotuser`); the
    /// page tells the user to tap "使用完整服务". The scene is left as it was.
    #[oai(status = 403)]
    Forbidden(Html<String>),
    /// The in-WeChat login is not configured.
    #[oai(status = 404)]
    NotFound(Html<String>),
    #[oai(status = 500)]
    Internal(Html<String>),
    /// WeChat answered with another error (e.g. 48001, scope not granted).
    #[oai(status = 502)]
    BadGateway(Html<String>),
    /// The store, the database or WeChat's quota is unavailable; retry after the delay.
    #[oai(status = 503)]
    Unavailable(Html<String>, #[oai(header = "Retry-After")] u64),
    /// WeChat did not answer in time.
    #[oai(status = 504)]
    GatewayTimeout(Html<String>),
}

#[derive(Default)]
pub struct InWechatApi;

#[OpenApi(prefix_path = "/api/v1/in-wechat", tag = "ApiTags::InWechat")]
impl InWechatApi {
    /// WeChat's redirect after the web authorization inside WeChat
    ///
    /// `state` is the scene, bound to the browser that created it by the `saoma_in_wechat`
    /// cookie. With `code`, Saoma exchanges it (`sns/oauth2/access_token`, and `sns/userinfo`
    /// with `in_wechat.fetch_profile`), confirms the scene (or moves it to `need_phone`) and
    /// sends the browser to the return URL; without one the scene is cancelled.
    #[oai(
        path = "/callback",
        method = "get",
        operation_id = "inWechatCallback",
        transform = "page_headers"
    )]
    async fn callback(
        &self,
        saoma: Data<&Arc<Saoma>>,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        /// Set when this browser created the in-WeChat scene: the scene's poll token.
        #[oai(name = "saoma_in_wechat")]
        browser: Cookie<Option<String>>,
    ) -> InWechatCallbackResponse {
        let callback = BrowserCallback {
            code: code.0,
            state: state.0,
            browser: browser.0,
        };
        match super::callback::callback(&saoma, callback).await {
            Ok(InWechatOutcome::Confirmed { return_url })
            | Ok(InWechatOutcome::Cancelled { return_url }) => {
                InWechatCallbackResponse::Redirect(return_url)
            }
            Err(e) => error_page(ApiError::from(e)),
        }
    }
}

/// The JSON API's mapping, as a page: anything about the scene is a 400 here.
fn error_page(error: ApiError) -> InWechatCallbackResponse {
    use InWechatCallbackResponse as R;
    let page =
        |b: poem_openapi::payload::Json<ErrorBody>| Html(pages::error(b.0.code, &b.0.message));
    match error {
        ApiError::BadRequest(b)
        | ApiError::Conflict(b)
        | ApiError::Gone(b)
        | ApiError::PayloadTooLarge(b)
        | ApiError::UnsupportedMediaType(b)
        | ApiError::HeadersTooLarge(b)
        | ApiError::Unauthorized(b) => R::BadRequest(page(b)),
        ApiError::Forbidden(b) => R::Forbidden(page(b)),
        ApiError::TooManyRequests(b, retry_after) | ApiError::Unavailable(b, retry_after) => {
            R::Unavailable(page(b), retry_after)
        }
        ApiError::NotFound(b) if b.0.code == ErrorCode::ProviderUnavailable => R::NotFound(page(b)),
        ApiError::NotFound(b) => R::BadRequest(page(b)),
        ApiError::Internal(b) => R::Internal(page(b)),
        ApiError::BadGateway(b) => R::BadGateway(page(b)),
        ApiError::GatewayTimeout(b) => R::GatewayTimeout(page(b)),
    }
}
