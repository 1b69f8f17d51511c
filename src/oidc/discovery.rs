//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and the JWKS that holds
//! every key an id_token or access token may be signed with.

use super::Oidc;
use super::userinfo::CLAIMS;

/// The scopes and what each grants (see `userinfo::CLAIMS`).
pub const SCOPES: &[&str] = &["openid", "profile", "phone", "wechat", "offline_access"];

pub fn configuration(oidc: &Oidc) -> serde_json::Value {
    serde_json::json!({
        "issuer": oidc.issuer,
        "authorization_endpoint": oidc.url("/oidc/authorize"),
        "token_endpoint": oidc.url("/oidc/token"),
        "userinfo_endpoint": oidc.url("/oidc/userinfo"),
        "jwks_uri": oidc.url("/oidc/jwks"),
        "revocation_endpoint": oidc.url("/oidc/revoke"),
        "end_session_endpoint": oidc.url("/oidc/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "subject_types_supported": ["public"],
        "scopes_supported": SCOPES,
        "claims_supported": CLAIMS,
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": ["zh-CN", "en"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": oidc.url("/docs"),
    })
}

pub fn jwks(oidc: &Oidc) -> serde_json::Value {
    let mut keys = vec![oidc.rsa.jwk()];
    keys.extend(oidc.published.iter().map(|k| k.jwk()));
    for key in oidc.saoma.jwks().keys {
        keys.push(serde_json::to_value(key).unwrap_or_default());
    }
    serde_json::json!({ "keys": keys })
}
