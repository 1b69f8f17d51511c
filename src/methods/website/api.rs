//! `/api/v1/website`: where WeChat sends the browser after a website login. The answers are
//! pages and redirects, not JSON: a browser, not a script, is on the other end.

use super::CallbackOutcome;
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
    /// Website login (open platform): WeChat's redirect back to Saoma.
    Website,
}

#[derive(ApiResponse)]
pub enum CallbackResponse {
    /// Confirmed or refused: the browser goes to the return URL. No token rides in it: the page
    /// picks the tokens up through the scene API with its poll token.
    #[oai(status = 302)]
    Redirect(#[oai(header = "Location")] String),
    /// Iframe mode (`self_redirect=true`): a small page saying the login is done or refused;
    /// the outer page learns the outcome from its poll or SSE stream.
    #[oai(status = 200)]
    Done(Html<String>),
    /// The state is unknown or its scene finished (a replayed URL), or WeChat refused the code
    /// (40029 invalid, 40163 used, 42003 expired). The page names a stable error code.
    #[oai(status = 400)]
    BadRequest(Html<String>),
    /// The website provider is not configured.
    #[oai(status = 404)]
    NotFound(Html<String>),
    #[oai(status = 500)]
    Internal(Html<String>),
    /// WeChat answered with another error.
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
pub(crate) struct WebsiteApi;

#[OpenApi(prefix_path = "/api/v1/website", tag = "ApiTags::Website")]
impl WebsiteApi {
    /// WeChat's redirect after a website login
    ///
    /// `state` is the scene. Without `code` (the user refused) the scene is cancelled; with one,
    /// Saoma exchanges it (`sns/oauth2/access_token`, `sns/userinfo`), confirms the scene and
    /// sends the browser to the return URL, or, in iframe mode, shows a "done" page. A state
    /// that is unknown or no longer waiting is refused, so a replayed URL mints nothing.
    #[oai(
        path = "/callback",
        method = "get",
        operation_id = "websiteCallback",
        transform = "page_headers"
    )]
    async fn callback(
        &self,
        saoma: Data<&Arc<Saoma>>,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        /// `true` in the iframe-mode redirect_uri (Saoma puts it there; WeChat keeps it).
        #[oai(name = "self_redirect")]
        self_redirect: Query<Option<String>>,
        /// Set when the browser created the website scene: a refusal (no `code`) cancels the
        /// scene only when it comes with this cookie.
        #[oai(name = "saoma_website")]
        browser: Cookie<Option<String>>,
    ) -> CallbackResponse {
        let iframe = self_redirect.0.as_deref() == Some("true");
        let callback = BrowserCallback {
            code: code.0,
            state: state.0,
            browser: browser.0,
        };
        match super::callback::callback(&saoma, callback).await {
            Ok(outcome) => {
                let (confirmed, return_url) = match outcome {
                    CallbackOutcome::Confirmed { return_url } => (true, return_url),
                    CallbackOutcome::Cancelled { return_url } => (false, return_url),
                    CallbackOutcome::RefusedElsewhere => {
                        return CallbackResponse::Done(Html(pages::done(false)));
                    }
                };
                if iframe {
                    CallbackResponse::Done(Html(pages::done(confirmed)))
                } else {
                    CallbackResponse::Redirect(return_url)
                }
            }
            Err(e) => error_page(ApiError::from(e)),
        }
    }
}

/// The JSON API's mapping, as a page. Everything about the scene itself (unknown, finished,
/// another provider's) is a 400 here: the browser followed a link it cannot use.
fn error_page(error: ApiError) -> CallbackResponse {
    let page =
        |b: poem_openapi::payload::Json<ErrorBody>| Html(pages::error(b.0.code, &b.0.message));
    match error {
        ApiError::BadRequest(b)
        | ApiError::Conflict(b)
        | ApiError::Gone(b)
        | ApiError::PayloadTooLarge(b)
        | ApiError::UnsupportedMediaType(b)
        | ApiError::HeadersTooLarge(b) => CallbackResponse::BadRequest(page(b)),
        // No limit applies to WeChat's redirect; a limit of the store's would be a retry.
        ApiError::TooManyRequests(b, retry_after) => {
            CallbackResponse::Unavailable(page(b), retry_after)
        }
        ApiError::NotFound(b) if b.0.code == ErrorCode::SceneNotFound => {
            CallbackResponse::BadRequest(page(b))
        }
        ApiError::NotFound(b) => CallbackResponse::NotFound(page(b)),
        ApiError::Unauthorized(b) | ApiError::Forbidden(b) | ApiError::Internal(b) => {
            CallbackResponse::Internal(page(b))
        }
        ApiError::BadGateway(b) => CallbackResponse::BadGateway(page(b)),
        ApiError::Unavailable(b, retry_after) => {
            CallbackResponse::Unavailable(page(b), retry_after)
        }
        ApiError::GatewayTimeout(b) => CallbackResponse::GatewayTimeout(page(b)),
    }
}
