//! Parsing an authorization request into what it asks (pure: no store, no network).

use super::clients::Client;
use super::server::Oidc;
use super::state::{AuthRequest, Lang};
use super::types::{RedirectUri, Scopes};
use crate::scene::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;

/// A parsed authorization request, and what it asks of the session.
pub struct Asked {
    pub request: AuthRequest,
    pub prompt_none: bool,
    /// A scan even with a session: `prompt=login`, and `prompt=consent` and
    /// `prompt=select_account`, which the scan honours (the phone names the client and the
    /// user confirms; the WeChat account that scans is the one selected).
    pub fresh_login: bool,
    pub max_age: Option<i64>,
    /// The account of a valid `id_token_hint`: a session of another account is not used.
    pub hinted_account: Option<String>,
}

/// The longest `state` and `nonce` kept (they are stored while the user logs in, and echoed).
pub const MAX_ECHOED: usize = 512;

pub fn parse(
    oidc: &Oidc,
    client: &Client,
    redirect_uri: &str,
    map: &HashMap<&str, &str>,
) -> Result<Asked, (&'static str, String)> {
    let invalid = |text: &str| ("invalid_request", text.to_string());
    if map.contains_key("request") {
        return Err((
            "request_not_supported",
            "request objects are not supported".into(),
        ));
    }
    if map.contains_key("request_uri") {
        return Err((
            "request_uri_not_supported",
            "request_uri is not supported".into(),
        ));
    }
    match map.get("response_type") {
        Some(&"code") => {}
        None => return Err(invalid("response_type is missing")),
        Some(_) => {
            return Err((
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    if map.get("response_mode").is_some_and(|m| *m != "query") {
        return Err(invalid("only response_mode=query is supported"));
    }
    let asked: Vec<&str> = map
        .get("scope")
        .map_or_else(Vec::new, |s| s.split(' ').collect());
    if !asked.contains(&"openid") {
        return Err(("invalid_scope", "scope must include openid".into()));
    }
    let mut scopes: Scopes = super::discovery::SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .copied()
        .collect();
    scopes.extend(super::console_client::extra_scopes(client, &asked));
    let code_challenge = match (map.get("code_challenge"), map.get("code_challenge_method")) {
        (Some(challenge), Some(&"S256")) => {
            let valid = challenge.len() == 43
                && URL_SAFE_NO_PAD
                    .decode(challenge)
                    .is_ok_and(|b| b.len() == 32);
            if !valid {
                return Err(invalid(
                    "code_challenge is not a base64url SHA-256 (43 characters)",
                ));
            }
            Some(challenge.to_string())
        }
        (Some(_), _) => return Err(invalid("code_challenge_method must be S256")),
        (None, Some(_)) => return Err(invalid("code_challenge_method without code_challenge")),
        (None, None) if client.is_public() => {
            return Err(invalid(
                "PKCE is required for this client: send code_challenge (S256)",
            ));
        }
        (None, None) => None,
    };
    let prompts: Vec<&str> = map.get("prompt").map_or_else(Vec::new, |p| {
        p.split(' ').filter(|p| !p.is_empty()).collect()
    });
    if let Some(unknown) = prompts
        .iter()
        .find(|p| !matches!(**p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(invalid(&format!("prompt={unknown} is not supported")));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(invalid("prompt=none cannot be combined with other values"));
    }
    if map.get("nonce").is_some_and(|n| n.len() > MAX_ECHOED) {
        return Err(invalid(&format!("nonce is longer than {MAX_ECHOED} bytes")));
    }
    let hinted_account = match map.get("id_token_hint") {
        Some(hint) => Some(
            oidc.verify_hint(hint)
                .and_then(|claims| claims.get("sub")?.as_str().map(str::to_string))
                .ok_or_else(|| invalid("id_token_hint is not an id_token of this provider"))?,
        ),
        None => None,
    };
    let max_age = match map.get("max_age") {
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| invalid("max_age must be a number of seconds"))?,
        ),
        None => None,
    };
    let provider = pick_provider(oidc, map).map_err(|text| invalid(&text))?;
    Ok(Asked {
        request: AuthRequest {
            client_id: client.id.clone(),
            redirect_uri: RedirectUri::new(redirect_uri),
            scopes,
            state: map.get("state").map(|s| s.to_string()),
            nonce: map.get("nonce").map(|s| s.to_string()),
            code_challenge,
            provider,
            lang: ui_lang(map.get("ui_locales").copied()),
        },
        prompt_none,
        fresh_login: prompts
            .iter()
            .any(|p| matches!(*p, "login" | "consent" | "select_account")),
        max_age,
        hinted_account,
    })
}

/// `provider=` (or `login_hint=provider:<name>`): which WeChat login the page offers.
/// Default: the mini-program code.
fn pick_provider(oidc: &Oidc, map: &HashMap<&str, &str>) -> Result<Provider, String> {
    let named = map.get("provider").copied().or_else(|| {
        map.get("login_hint")
            .and_then(|hint| hint.strip_prefix("provider:"))
    });
    let provider = match named {
        None => Provider::MiniProgram,
        Some("mini_program") => Provider::MiniProgram,
        Some("official_account") => Provider::OfficialAccount,
        Some("website") => Provider::Website,
        Some(other) => return Err(format!("unknown provider {other:?}")),
    };
    if !oidc.saoma.providers().contains(&provider) {
        return Err(format!(
            "the {} provider is not configured",
            provider.as_str()
        ));
    }
    Ok(provider)
}

/// The first of `ui_locales` Saoma speaks; Chinese by default.
pub fn ui_lang(ui_locales: Option<&str>) -> Lang {
    for tag in ui_locales.unwrap_or("").split(' ') {
        let tag = tag.to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") {
            return Lang::Zh;
        }
        if tag == "en" || tag.starts_with("en-") {
            return Lang::En;
        }
    }
    Lang::Zh
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
