//! How the OAuth operations' answers are written in the OpenAPI document: per error status,
//! the operation's OAuth codes (`{error, error_description}`, the `error` enum narrowed to
//! them), the HTTP layer's `{code, message}`, or a `oneOf` of both, with their headers.

use crate::edge::ErrorCode;
use crate::edge::op_error::error_schema;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaSchema, MetaSchemaRef};
use poem_openapi::types::Type;

pub(super) const JSON: &str = "application/json; charset=utf-8";

pub(super) fn string_header(name: &str, description: &str, required: bool) -> MetaHeader {
    MetaHeader {
        name: name.to_string(),
        description: Some(description.to_string()),
        required,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

/// One error status of one operation: its OAuth codes, the HTTP layer's, or both.
pub(super) fn error_response(
    status: u16,
    oauth: &[&'static str],
    http: &[ErrorCode],
) -> MetaResponse {
    let schema = match (oauth.is_empty(), http.is_empty()) {
        (false, true) => oauth_schema(oauth),
        (true, _) => error_schema(http),
        (false, false) => MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "An OAuth error (`{error, error_description}`), or Saoma's `{code, message}` \
                 when the HTTP layer answers before the operation runs.",
            ),
            one_of: vec![oauth_schema(oauth), error_schema(http)],
            example: Some(oauth_example(oauth[0])),
            ..MetaSchema::ANY
        })),
    };
    let mut headers = Vec::new();
    if !oauth.is_empty() {
        headers.push(string_header(
            "Cache-Control",
            "`no-store` (on the OAuth errors).",
            http.is_empty(),
        ));
    }
    let bearer = oauth.contains(&"invalid_token");
    if status == 401 {
        let challenge = if bearer {
            "`Bearer realm=\"saoma\", error=\"invalid_token\"` for a token refused; \
             `Bearer realm=\"saoma\"` alone when none was sent (RFC 6750 3.1)."
        } else {
            "`Basic realm=\"saoma\"`."
        };
        headers.push(string_header("WWW-Authenticate", challenge, true));
    }
    MetaResponse {
        description: status_description(status, !oauth.is_empty(), !http.is_empty(), bearer),
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: JSON,
            schema,
        }],
        headers,
    }
}

pub(super) fn status_description(
    status: u16,
    oauth: bool,
    http: bool,
    bearer: bool,
) -> &'static str {
    match (status, oauth, http) {
        (400, true, true) => {
            "The request is refused (RFC 6749 5.2); a request the HTTP layer cannot read (a \
             malformed `Content-Length`) is answered `{code, message}` before the operation."
        }
        (400, _, _) => "A request the HTTP layer cannot read (a malformed `Content-Length`).",
        (401, _, _) if bearer => {
            "The access token is missing, invalid or expired, or was not issued with `openid` \
             (`invalid_token`)."
        }
        (401, _, _) => "Client authentication failed (`invalid_client`).",
        (413, _, _) => "The body is larger than the server's cap.",
        (415, _, _) => "The body is not `application/x-www-form-urlencoded`.",
        (431, _, _) => "The request headers are larger than the server's cap.",
        (500, true, _) => {
            "A fault of the server (`server_error`; `{code: internal}` when it happens outside \
             the OAuth layer)."
        }
        (500, _, _) => "A fault of the server.",
        (503, _, _) => "`temporarily_unavailable`: a store failed; retry.",
        _ => "An error.",
    }
}

/// `{error, error_description}` with the `error` enum narrowed to `codes`.
fn oauth_schema(codes: &[&'static str]) -> MetaSchemaRef {
    let error = MetaSchema {
        description: Some("The RFC 6749 error code: one of this operation's at this status."),
        enum_items: codes.iter().map(|c| serde_json::json!(c)).collect(),
        ..MetaSchema::new("string")
    };
    let description = MetaSchema {
        description: Some("What went wrong, for a person (not stable: match on `error`)."),
        ..MetaSchema::new("string")
    };
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("An OAuth error (RFC 6749 5.2): `{error, error_description}`."),
        required: vec!["error", "error_description"],
        properties: vec![
            ("error", MetaSchemaRef::Inline(Box::new(error))),
            (
                "error_description",
                MetaSchemaRef::Inline(Box::new(description)),
            ),
        ],
        example: codes.first().map(|c| oauth_example(c)),
        ..MetaSchema::new("object")
    }))
}

fn oauth_example(code: &str) -> serde_json::Value {
    let description = match code {
        "invalid_request" => "grant_type is missing",
        "invalid_client" => "client authentication failed",
        "invalid_grant" => "the code is invalid, expired or was already used",
        "unsupported_grant_type" => "grant_type must be authorization_code or refresh_token",
        "invalid_token" => "the access token is invalid or expired",
        "temporarily_unavailable" => "the server is temporarily unavailable; retry",
        _ => "internal error",
    };
    serde_json::json!({"error": code, "error_description": description})
}
