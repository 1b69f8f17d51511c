//! Each operation's own error list: the one source of both what the OpenAPI document says an
//! operation can answer and what it may answer at run time.
//!
//! An operation returns `Result<_, OpError<ItsErrors>>`, where `ItsErrors` is declared with
//! [`errors!`] next to the operation. The document gets one response per status of the list,
//! whose `code` enum holds only the list's codes at that status; at run time an answer with a
//! code not on the list is logged as a bug and, in debug builds (every test, the fuzzer),
//! replaced by a 500 that names it, so that a `return Err(...)` the document does not know
//! fails the tests that reach it.

use super::error::{ApiError, ErrorCode, body};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::ToJSON;
use std::marker::PhantomData;

/// What every operation can answer whatever it does: a malformed request line or
/// Content-Length, a body over the cap, headers over the cap, a bug.
pub const ALWAYS: &[ErrorCode] = &[
    ErrorCode::InvalidRequest,
    ErrorCode::BodyTooLarge,
    ErrorCode::HeadersTooLarge,
    ErrorCode::Internal,
];

/// What every operation with a JSON body can answer on top of [`ALWAYS`].
pub const JSON_BODY: &[ErrorCode] = &[ErrorCode::InvalidBody, ErrorCode::UnsupportedMediaType];

/// One operation's errors. Declared with [`errors!`].
pub trait Errors: Send + Sync + 'static {
    /// The operation's `operationId`, for the log line of an undocumented answer.
    const OPERATION: &'static str;
    /// Whether the operation reads a JSON body (adds [`JSON_BODY`]).
    const JSON_BODY: bool;
    /// The operation's own codes (beyond [`ALWAYS`] and [`JSON_BODY`]).
    const CODES: &'static [ErrorCode];

    /// Every code the operation may answer.
    fn codes() -> Vec<ErrorCode> {
        let body: &[ErrorCode] = if Self::JSON_BODY { JSON_BODY } else { &[] };
        let mut codes: Vec<ErrorCode> = ALWAYS
            .iter()
            .chain(body)
            .chain(Self::CODES)
            .copied()
            .collect();
        codes.sort_by_key(|c| (c.status(), c.as_str()));
        codes.dedup();
        codes
    }
}

/// Declare an operation's error list: `errors!(PollErrors = "getScene", json: false,
/// [InvalidPollToken, SceneNotFound]);`
macro_rules! errors {
    ($(#[$meta:meta])* $name:ident = $op:literal, json: $json:literal, [$($code:ident),* $(,)?]) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::edge::op_error::Errors for $name {
            const OPERATION: &'static str = $op;
            const JSON_BODY: bool = $json;
            const CODES: &'static [$crate::edge::ErrorCode] = &[$($crate::edge::ErrorCode::$code),*];
        }
    };
}
pub(crate) use errors;

/// An operation's error: an [`ApiError`] whose code is on the operation's list `L`.
pub struct OpError<L>(pub ApiError, PhantomData<L>);

impl<L> std::fmt::Debug for OpError<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<L: Errors> From<crate::login::Error> for OpError<L> {
    fn from(e: crate::login::Error) -> Self {
        Self(ApiError::from(e), PhantomData)
    }
}

impl<L: Errors> From<ApiError> for OpError<L> {
    fn from(e: ApiError) -> Self {
        Self(e, PhantomData)
    }
}

impl<L: Errors> ApiResponse for OpError<L> {
    fn meta() -> MetaResponses {
        let codes = L::codes();
        let mut meta = ApiError::meta();
        meta.responses.retain_mut(|response| {
            let at: Vec<ErrorCode> = codes
                .iter()
                .copied()
                .filter(|c| Some(c.status()) == response.status)
                .collect();
            for content in &mut response.content {
                content.schema = error_schema(&at);
            }
            !at.is_empty()
        });
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
    }
}

/// The body of one status of one operation: `ErrorBody` with the `code` enum narrowed to the
/// codes the operation answers with at that status.
pub(crate) fn error_schema(codes: &[ErrorCode]) -> MetaSchemaRef {
    let example = codes
        .first()
        .map(|c| serde_json::json!({"code": c.to_json(), "message": c.example_message()}));
    let code = MetaSchema {
        description: Some("The stable error code: one of this operation's at this status."),
        enum_items: codes.iter().filter_map(ToJSON::to_json).collect(),
        ..MetaSchema::new("string")
    };
    let message = MetaSchema {
        description: Some("What went wrong, for a person (not stable: match on `code`)."),
        ..MetaSchema::new("string")
    };
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("An error: `{code, message}`."),
        required: vec!["code", "message"],
        properties: vec![
            ("code", MetaSchemaRef::Inline(Box::new(code))),
            ("message", MetaSchemaRef::Inline(Box::new(message))),
        ],
        example,
        ..MetaSchema::new("object")
    }))
}

impl<L: Errors> IntoResponse for OpError<L> {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let response = self.0.into_response();
        let status = response.status().as_u16();
        if status == code.status() && L::codes().contains(&code) {
            return response;
        }
        tracing::error!(
            operation = L::OPERATION,
            code = code.as_str(),
            status,
            "an error the OpenAPI document does not list for this operation"
        );
        if cfg!(debug_assertions) {
            let message = format!(
                "undocumented error: {} answered {status} `{}`; add it to the operation's errors! list",
                L::OPERATION,
                code.as_str()
            );
            return ApiError::Internal(body(ErrorCode::Internal, message)).into_response();
        }
        response
    }
}

impl<L: Errors> From<OpError<L>> for poem::Error {
    fn from(e: OpError<L>) -> Self {
        poem::Error::from_response(e.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::Error;
    use poem_openapi::types::ParseFromJSON;

    errors!(TestErrors = "testOperation", json: false, [SceneNotFound]);

    #[test]
    fn a_listed_code_is_answered_as_it_is() {
        let answer = OpError::<TestErrors>::from(Error::SceneNotFound).into_response();
        assert_eq!(answer.status(), 404);
    }

    #[test]
    fn an_unlisted_code_is_a_500_that_names_it_in_tests() {
        let answer = OpError::<TestErrors>::from(Error::SceneExpired).into_response();
        assert_eq!(answer.status(), 500);
    }

    #[test]
    fn the_document_lists_exactly_the_statuses_of_the_list() {
        let statuses: Vec<_> = OpError::<TestErrors>::meta()
            .responses
            .iter()
            .filter_map(|r| r.status)
            .collect();
        assert_eq!(statuses, [400, 404, 413, 431, 500]);
    }

    #[test]
    fn every_code_has_a_status_the_error_enum_documents() {
        let documented: Vec<_> = ApiError::meta()
            .responses
            .iter()
            .filter_map(|r| r.status)
            .collect();
        let spec: serde_json::Value = serde_json::from_str(&crate::app::spec_json()).unwrap();
        for name in spec["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
        {
            let code = ErrorCode::parse_from_json(Some(name.clone())).unwrap();
            if matches!(code, ErrorCode::NotFound | ErrorCode::MethodNotAllowed) {
                continue; // the router's, never an operation's
            }
            assert!(documented.contains(&code.status()), "{code:?}");
        }
    }
}
