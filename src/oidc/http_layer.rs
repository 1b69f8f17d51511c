//! What the HTTP layer answers on the browser-facing OAuth operations before they run (a body
//! or headers over the cap, a malformed request, a fault): Saoma's `{code, message}` JSON, in
//! the document next to the operations' own redirects and HTML pages, as `edge::op_error`'s
//! `ALWAYS` is on every other operation.

use super::oauth_doc::status_description;
use crate::edge::ErrorCode;
use crate::edge::op_error::{ALWAYS, error_schema};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};

/// An answer `A` with the HTTP layer's JSON errors added to its documented responses.
pub struct HttpLayer<A>(pub A);

impl<A: ApiResponse> ApiResponse for HttpLayer<A> {
    const BAD_REQUEST_HANDLER: bool = A::BAD_REQUEST_HANDLER;

    fn meta() -> MetaResponses {
        let mut meta = A::meta();
        let mut statuses: Vec<u16> = ALWAYS.iter().map(|c| c.status()).collect();
        statuses.dedup();
        for status in statuses {
            let codes: Vec<ErrorCode> = ALWAYS
                .iter()
                .copied()
                .filter(|c| c.status() == status)
                .collect();
            let media = MetaMediaType {
                content_type: "application/json; charset=utf-8",
                schema: error_schema(&codes),
            };
            match meta.responses.iter_mut().find(|r| r.status == Some(status)) {
                Some(response) => response.content.push(media),
                None => meta.responses.push(MetaResponse {
                    description: status_description(status, false, true, false),
                    status: Some(status),
                    status_range: None,
                    content: vec![media],
                    headers: Vec::new(),
                }),
            }
        }
        meta.responses.sort_by_key(|r| r.status);
        meta
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Self(A::from_parse_request_error(err))
    }
}

impl<A: IntoResponse> IntoResponse for HttpLayer<A> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
