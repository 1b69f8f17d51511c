//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and the JWKS that holds
//! every key an id_token or access token may be signed with.

use super::claims::CLAIMS;
use super::server::Oidc;
use poem_openapi::Object;

/// The scopes and what each grants (see `claims::CLAIMS`).
pub const SCOPES: &[&str] = &["openid", "profile", "phone", "wechat", "offline_access"];

/// The client authentication methods of the token and revocation endpoints.
const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "none"];

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(ToString::to_string).collect()
}

/// The OpenID Provider's metadata (OpenID Connect Discovery 1.0 section 3, RFC 8414).
#[derive(Object, Debug, Clone)]
#[oai(example)]
pub struct ProviderMetadata {
    /// The issuer: the server's public URL, the `iss` of every token.
    pub issuer: String,
    /// Where the browser starts a login (`oidcAuthorize`).
    pub authorization_endpoint: String,
    /// Where the client exchanges a code or a refresh token (`oidcToken`).
    pub token_endpoint: String,
    /// The claims of an access token (`oidcUserInfo`).
    pub userinfo_endpoint: String,
    /// The keys that verify the id_token and the access token (`oidcJwks`).
    pub jwks_uri: String,
    /// RFC 7009 revocation (`oidcRevoke`).
    pub revocation_endpoint: String,
    /// RP-initiated logout (`oidcEndSession`).
    pub end_session_endpoint: String,
    /// `code`: the authorization code flow only.
    pub response_types_supported: Vec<String>,
    /// `query`.
    pub response_modes_supported: Vec<String>,
    /// `authorization_code`, `refresh_token`.
    pub grant_types_supported: Vec<String>,
    /// `S256`.
    pub code_challenge_methods_supported: Vec<String>,
    /// `client_secret_basic`, `client_secret_post`, `none` (public clients, PKCE).
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The same as at the token endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    /// `RS256` (the default) and `EdDSA` (clients configured so).
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `public`: `sub` is the account id, the same for every client.
    pub subject_types_supported: Vec<String>,
    /// `openid`, `profile`, `phone`, `wechat`, `offline_access`.
    pub scopes_supported: Vec<String>,
    /// Every claim an id_token or userinfo may carry.
    pub claims_supported: Vec<String>,
    /// `none`, `login`, `consent`, `select_account` (the last two by a scan: the phone names the
    /// client and the user confirms, and the WeChat account that scans is the one selected).
    pub prompt_values_supported: Vec<String>,
    /// `zh-CN`, `en`: the login page's languages.
    pub ui_locales_supported: Vec<String>,
    /// `false`: the `claims` parameter is not supported.
    pub claims_parameter_supported: bool,
    /// `false`: request objects are not supported.
    pub request_parameter_supported: bool,
    /// `false`: `request_uri` is not supported.
    pub request_uri_parameter_supported: bool,
    /// `true`: the redirect carries `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// `true`: clients with a `backchannel_logout_uri` get logout tokens (Back-Channel
    /// Logout 1.0).
    pub backchannel_logout_supported: bool,
    /// `true`: logout tokens carry `sid`, the id_tokens' session id.
    pub backchannel_logout_session_supported: bool,
    /// The API's documentation (Swagger UI).
    pub service_documentation: String,
}

impl ProviderMetadata {
    fn of(issuer: &str, url: impl Fn(&str) -> String) -> Self {
        Self {
            issuer: issuer.to_string(),
            authorization_endpoint: url("/oidc/authorize"),
            token_endpoint: url("/oidc/token"),
            userinfo_endpoint: url("/oidc/userinfo"),
            jwks_uri: url("/oidc/jwks"),
            revocation_endpoint: url("/oidc/revoke"),
            end_session_endpoint: url("/oidc/logout"),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: strings(&["authorization_code", "refresh_token"]),
            code_challenge_methods_supported: strings(&["S256"]),
            token_endpoint_auth_methods_supported: strings(AUTH_METHODS),
            revocation_endpoint_auth_methods_supported: strings(AUTH_METHODS),
            id_token_signing_alg_values_supported: strings(&["RS256", "EdDSA"]),
            subject_types_supported: strings(&["public"]),
            scopes_supported: strings(SCOPES),
            claims_supported: strings(CLAIMS),
            prompt_values_supported: strings(&["none", "login", "consent", "select_account"]),
            ui_locales_supported: strings(&["zh-CN", "en"]),
            claims_parameter_supported: false,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            service_documentation: url("/docs"),
        }
    }
}

impl poem_openapi::types::Example for ProviderMetadata {
    fn example() -> Self {
        let issuer = "https://login.example.com";
        Self::of(issuer, |path| format!("{issuer}{path}"))
    }
}

pub fn configuration(oidc: &Oidc) -> ProviderMetadata {
    ProviderMetadata::of(&oidc.issuer, |path| oidc.url(path))
}

/// The provider's public keys (RFC 7517).
#[derive(Object, Debug, Clone)]
#[oai(example)]
pub struct ProviderJwks {
    /// The RSA key that signs id_tokens now, the RSA keys still or already published around
    /// a rotation, and the Ed25519 keys of the access tokens (and of EdDSA id_tokens).
    pub keys: Vec<ProviderJwk>,
}

/// One public key: RSA (`n`, `e`) or Ed25519 (`crv`, `x`).
#[derive(Object, Debug, Clone, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ProviderJwk {
    /// `RSA` or `OKP`.
    pub kty: String,
    /// `sig`.
    #[serde(rename = "use")]
    #[oai(rename = "use")]
    pub use_: String,
    /// `RS256` or `EdDSA`.
    pub alg: String,
    /// The key's id, the `kid` of the tokens it signs.
    pub kid: String,
    /// RSA: the modulus, base64url.
    pub n: Option<String>,
    /// RSA: the exponent, base64url.
    pub e: Option<String>,
    /// OKP: `Ed25519`.
    pub crv: Option<String>,
    /// OKP: the public key, base64url.
    pub x: Option<String>,
}

impl poem_openapi::types::Example for ProviderJwks {
    fn example() -> Self {
        let key = |kty: &str, alg: &str, kid: &str| ProviderJwk {
            kty: kty.into(),
            use_: "sig".into(),
            alg: alg.into(),
            kid: kid.into(),
            n: None,
            e: None,
            crv: None,
            x: None,
        };
        Self {
            keys: vec![
                ProviderJwk {
                    n: Some("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt".into()),
                    e: Some("AQAB".into()),
                    ..key("RSA", "RS256", "rsa-2026-11")
                },
                ProviderJwk {
                    crv: Some("Ed25519".into()),
                    x: Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into()),
                    ..key(
                        "OKP",
                        "EdDSA",
                        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
                    )
                },
            ],
        }
    }
}

pub fn jwks(oidc: &Oidc) -> ProviderJwks {
    let rsa = std::iter::once(&oidc.rsa).chain(&oidc.published);
    let mut keys: Vec<ProviderJwk> = rsa
        .filter_map(|key| match serde_json::from_value(key.jwk()) {
            Ok(jwk) => Some(jwk),
            Err(e) => {
                tracing::error!(error = %e, "oidc: an RSA key's JWK does not read back");
                None
            }
        })
        .collect();
    keys.extend(oidc.saoma.jwks().keys.into_iter().map(|k| ProviderJwk {
        kty: k.kty,
        use_: k.use_,
        alg: k.alg,
        kid: k.kid,
        n: None,
        e: None,
        crv: Some(k.crv),
        x: Some(k.x),
    }));
    ProviderJwks { keys }
}
