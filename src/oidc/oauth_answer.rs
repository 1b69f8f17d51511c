//! What the OAuth operations (token, userinfo, revocation) answer, and the one list per
//! operation of the errors it can answer: the source of both the document's `error` enums and
//! the run-time guard, as `edge::op_error` is for Saoma's `{code, message}` operations.
//!
//! An OAuth error is `{error, error_description}` (RFC 6749 5.2) with `Cache-Control:
//! no-store`; what the HTTP layer refuses before the operation runs (a body or headers over the
//! cap, a body that is not a form, a malformed request) is Saoma's `{code, message}`, so a
//! status where both can come documents both (`oneOf`). An answer whose `(status, error)` is not
//! on the operation's list is logged as a bug and, in debug builds, replaced by a 500 that
//! names it.

use super::error::OAuthError;
use super::oauth_doc::{JSON, error_response, string_header};
use crate::edge::op_error::ALWAYS;
use crate::edge::{ApiError, ErrorBody, ErrorCode};
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ToJSON, Type};
use std::marker::PhantomData;

/// One OAuth operation's errors. Declared with [`oauth_errors!`].
pub trait OAuthErrors: Send + Sync + 'static {
    /// The operation's `operationId`, for the log line of an undocumented answer.
    const OPERATION: &'static str;
    /// The description of the 200.
    const OK: &'static str;
    /// Whether the operation reads a form body (adds 415 `unsupported_media_type`).
    const FORM: bool;
    /// The `(status, error)` pairs the operation answers.
    const CODES: &'static [(u16, &'static str)];

    /// What the HTTP layer may answer before the operation, as `{code, message}`.
    fn framework() -> Vec<ErrorCode> {
        let mut codes = ALWAYS.to_vec();
        if Self::FORM {
            codes.push(ErrorCode::UnsupportedMediaType);
        }
        codes
    }
}

/// Declare an OAuth operation's errors: `oauth_errors!(RevokeErrors = "oidcRevoke",
/// ok: "Revoked.", form: true, [400 invalid_request, 401 invalid_client]);`
macro_rules! oauth_errors {
    ($(#[$meta:meta])* $name:ident = $op:literal, ok: $ok:literal, form: $form:literal,
     [$($status:literal $code:ident),* $(,)?]) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::oidc::oauth_answer::OAuthErrors for $name {
            const OPERATION: &'static str = $op;
            const OK: &'static str = $ok;
            const FORM: bool = $form;
            const CODES: &'static [(u16, &'static str)] = &[$(($status, stringify!($code))),*];
        }
    };
}
pub(crate) use oauth_errors;

/// The answer of an OAuth operation whose 200 carries `T` and whose errors are `L`'s.
pub struct OAuthAnswer<T, L>(Response, PhantomData<fn() -> (T, L)>);

impl<T: ToJSON, L: OAuthErrors> OAuthAnswer<T, L> {
    /// The 200, `Cache-Control: no-store` (RFC 6749 5.1).
    pub fn ok(body: T) -> Self {
        let response = Response::builder()
            .content_type(JSON)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::PRAGMA, "no-cache")
            .body(body.to_json_string());
        Self(response, PhantomData)
    }
}

impl<T, L: OAuthErrors> From<OAuthError> for OAuthAnswer<T, L> {
    fn from(e: OAuthError) -> Self {
        let status = e.status.as_u16();
        if L::CODES.contains(&(status, e.code)) {
            return Self(oauth_response(&e), PhantomData);
        }
        tracing::error!(
            operation = L::OPERATION,
            error = e.code,
            status,
            "an OAuth error the OpenAPI document does not list for this operation"
        );
        if cfg!(debug_assertions) {
            let message = format!(
                "undocumented error: {} answered {status} `{}`; add it to the operation's \
                 oauth_errors! list",
                L::OPERATION,
                e.code
            );
            return Self(internal(message), PhantomData);
        }
        Self(oauth_response(&e), PhantomData)
    }
}

fn oauth_response(e: &OAuthError) -> Response {
    let body = serde_json::json!({"error": e.code, "error_description": e.description});
    let mut response = Response::builder()
        .status(e.status)
        .content_type(JSON)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache");
    if e.status == StatusCode::UNAUTHORIZED {
        response = response.header(header::WWW_AUTHENTICATE, e.www_authenticate());
    }
    response.body(body.to_string())
}

fn internal(message: String) -> Response {
    ApiError::Internal(Json(ErrorBody {
        code: ErrorCode::Internal,
        message,
    }))
    .into_response()
}

impl<T, L> IntoResponse for OAuthAnswer<T, L>
where
    T: Send,
    L: OAuthErrors,
{
    fn into_response(self) -> Response {
        self.0
    }
}

impl<T: Type + ToJSON, L: OAuthErrors> ApiResponse for OAuthAnswer<T, L> {
    /// A form that cannot be read is the operation's own `invalid_request`; a body that is not
    /// a form is the HTTP layer's 415, as on every other operation.
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let framework = L::framework();
        let mut statuses: Vec<u16> = L::CODES
            .iter()
            .map(|(s, _)| *s)
            .chain(framework.iter().map(|c| c.status()))
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        let mut responses = vec![MetaResponse {
            description: L::OK,
            status: Some(200),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: JSON,
                schema: T::schema_ref(),
            }],
            headers: vec![string_header("Cache-Control", "`no-store`.", true)],
        }];
        for status in statuses {
            let oauth: Vec<&str> = L::CODES
                .iter()
                .filter(|(s, _)| *s == status)
                .map(|(_, c)| *c)
                .collect();
            let http: Vec<ErrorCode> = framework
                .iter()
                .copied()
                .filter(|c| c.status() == status)
                .collect();
            responses.push(error_response(status, &oauth, &http));
        }
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        if err.is::<poem_openapi::error::ContentTypeError>() {
            let response = ApiError::UnsupportedMediaType(Json(ErrorBody {
                code: ErrorCode::UnsupportedMediaType,
                message: err.to_string(),
            }))
            .into_response();
            return Self(response, PhantomData);
        }
        if err.status().is_client_error() {
            return OAuthError::invalid_request(format!("the request cannot be read: {err}"))
                .into();
        }
        tracing::error!(error = %err, operation = L::OPERATION, "oidc: a request was not read");
        Self(internal("internal error".into()), PhantomData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    oauth_errors!(TestErrors = "testOperation", ok: "Done.", form: true,
        [400 invalid_grant, 401 invalid_client]);
    type Answer = OAuthAnswer<String, TestErrors>;

    #[test]
    fn a_listed_error_is_answered_as_it_is() {
        let answer = Answer::from(OAuthError::invalid_client("no")).into_response();
        assert_eq!(answer.status(), 401);
        assert_eq!(
            answer.headers()["www-authenticate"],
            "Basic realm=\"saoma\""
        );
    }

    #[test]
    fn an_unlisted_error_is_a_500_that_names_it_in_tests() {
        let answer = Answer::from(OAuthError::invalid_token("no")).into_response();
        assert_eq!(answer.status(), 500);
    }

    #[test]
    fn the_document_lists_the_lists_statuses_and_the_http_layers() {
        let statuses: Vec<_> = Answer::meta()
            .responses
            .iter()
            .filter_map(|r| r.status)
            .collect();
        assert_eq!(statuses, [200, 400, 401, 413, 415, 431, 500]);
    }
}
