//! OAuth errors (RFC 6749 section 5.2): `{"error", "error_description"}` with
//! `Cache-Control: no-store`; a failed client authentication is 401 with `WWW-Authenticate`.

use crate::login::Error as DomainError;
use crate::store::StoreError;
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};

#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    /// The RFC's error code: `invalid_request`, `invalid_grant`, ...
    pub code: &'static str,
    /// Human text; never carries a secret.
    pub description: String,
    /// A 401's challenge names the error; not when the request carried no credentials at
    /// all (RFC 6750 3.1).
    pub challenge_error: bool,
}

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            challenge_error: true,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
    }

    /// No access token at all: `invalid_token` in the body, a bare `Bearer` challenge.
    pub fn no_token(description: impl Into<String>) -> Self {
        Self {
            challenge_error: false,
            ..Self::invalid_token(description)
        }
    }

    /// The store failed: the caller may retry (fail closed, never a token from stale state).
    pub fn store(e: StoreError) -> Self {
        tracing::warn!(error = %e, "oidc: the ephemeral store failed");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the server is temporarily unavailable; retry",
        )
    }

    /// A fault of ours: logged with its cause, a generic text for the client.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "oidc: internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        )
    }

    /// A login-layer error, as OAuth says it.
    pub fn domain(e: DomainError) -> Self {
        match e {
            DomainError::InvalidRefreshToken => {
                Self::invalid_grant("the refresh token is invalid, expired or was already used")
            }
            DomainError::Unauthenticated => Self::invalid_token("the access token is invalid"),
            // A disabled account's SSO session or code: no tokens (RFC 6749 5.2).
            DomainError::LoginRefused(_) => Self::invalid_grant(e.to_string()),
            DomainError::Store(_) | DomainError::Accounts(_) => {
                tracing::warn!(error = %e, "oidc: a store failed");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "the server is temporarily unavailable; retry",
                )
            }
            DomainError::Internal(e) => Self::internal(format!("{e:#}")),
            DomainError::RateLimited { what, .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "temporarily_unavailable",
                format!("too many {what}; retry in a minute"),
            ),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                other.to_string(),
            ),
        }
    }
}

impl OAuthError {
    /// The `WWW-Authenticate` challenge of a 401.
    pub fn www_authenticate(&self) -> String {
        if self.code == "invalid_token" && !self.challenge_error {
            "Bearer realm=\"saoma\"".to_string()
        } else if self.code == "invalid_token" {
            format!("Bearer realm=\"saoma\", error=\"{}\"", self.code)
        } else {
            "Basic realm=\"saoma\"".to_string()
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code,
            "error_description": self.description,
        });
        let mut response = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::PRAGMA, "no-cache");
        if self.status == StatusCode::UNAUTHORIZED {
            response = response.header(header::WWW_AUTHENTICATE, self.www_authenticate());
        }
        response.body(body.to_string())
    }
}
