//! The relying parties from `[[oidc.clients]]`, checked once at start: an invalid list stops
//! the start with a message naming the client and the field.

use super::error::OAuthError;
use super::types::ClientId;
use crate::config::{OidcClientConfig, OidcConfig};
use crate::secret::Secret;
use crate::tokens::ADMIN_SCOPE;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::Request;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// How a client's id_tokens are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenAlg {
    Rs256,
    EdDsa,
}

/// A relying party. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    /// `None`: a public client (PKCE required, no authentication at the token endpoint).
    pub secret: Option<Secret>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub alg: IdTokenAlg,
    /// May use `authorization_code` (and `refresh_token`).
    pub code_grant: bool,
    /// May get admin tokens by `client_credentials` (`saoma:admin`).
    pub admin: bool,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret.is_none()
    }

    /// Whether `presented` is this client's secret (compared in constant time, as hashes so
    /// that the lengths do not leak either).
    pub fn secret_matches(&self, presented: &str) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        let expected = Sha256::digest(secret.expose().as_bytes());
        let given = Sha256::digest(presented.as_bytes());
        expected.ct_eq(&given).into()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Clients {
    by_id: HashMap<ClientId, Client>,
}

impl Clients {
    pub fn from_config(config: &OidcConfig) -> anyhow::Result<Clients> {
        let mut by_id = HashMap::new();
        for (i, client) in config.clients.iter().enumerate() {
            let named = format!("oidc.clients[{i}] (client_id {:?})", client.client_id);
            let parsed = parse(client).with_context(|| named.clone())?;
            if by_id.insert(parsed.id.clone(), parsed).is_some() {
                bail!("{named}: client_id: another client has the same id");
            }
        }
        Ok(Clients { by_id })
    }

    /// A built-in client (the console's), whose id `from_config` reserves.
    pub fn register(&mut self, client: Client) {
        self.by_id.insert(client.id.clone(), client);
    }

    pub fn get(&self, id: &str) -> Option<&Client> {
        self.by_id.get(id)
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn parse(c: &OidcClientConfig) -> anyhow::Result<Client> {
    if c.client_id.trim().is_empty() || c.client_id.contains(':') {
        bail!("client_id: must be non-empty and must not contain ':'");
    }
    if c.client_id == super::CONSOLE_CLIENT_ID {
        bail!(
            "client_id: {:?} is the admin console's, built in (it is registered when [admin] or an admin client is configured)",
            c.client_id
        );
    }
    if c.name.trim().is_empty() {
        bail!("name: must not be empty (it is shown on the login page and the phone)");
    }
    let secret = match (&c.client_secret, &c.client_secret_file) {
        (Some(_), Some(_)) => bail!("client_secret_file: set client_secret or the file, not both"),
        (Some(secret), None) => Some(secret.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("client_secret_file: reading {}", path.display()))?;
            Some(Secret::new(text.trim()))
        }
        (None, None) => None,
    };
    if secret.as_ref().is_some_and(Secret::is_empty) {
        bail!("client_secret: must not be empty (omit it for a public client)");
    }
    let grants = if c.grant_types.is_empty() {
        vec!["authorization_code".to_owned(), "refresh_token".to_owned()]
    } else {
        c.grant_types.clone()
    };
    for grant in &grants {
        if !["authorization_code", "refresh_token", "client_credentials"].contains(&grant.as_str())
        {
            bail!(
                "grant_types: {grant:?} is not one of authorization_code, refresh_token, client_credentials"
            );
        }
    }
    for scope in &c.scopes {
        if scope != ADMIN_SCOPE {
            bail!("scopes: {scope:?} is not known (the only one is {ADMIN_SCOPE:?})");
        }
    }
    let code_grant = grants.iter().any(|g| g == "authorization_code");
    let admin = grants.iter().any(|g| g == "client_credentials");
    if admin && secret.is_none() {
        bail!("grant_types: client_credentials needs a client_secret (a confidential client)");
    }
    if admin != c.scopes.iter().any(|s| s == ADMIN_SCOPE) {
        bail!(
            "scopes: client_credentials grants admin tokens only: set grant_types = [\"client_credentials\"] and scopes = [\"{ADMIN_SCOPE}\"] together"
        );
    }
    if code_grant && c.redirect_uris.is_empty() {
        bail!("redirect_uris: at least one is needed");
    }
    for uri in &c.redirect_uris {
        check_uri(uri).with_context(|| format!("redirect_uris: {uri:?}"))?;
    }
    for uri in &c.post_logout_redirect_uris {
        check_uri(uri).with_context(|| format!("post_logout_redirect_uris: {uri:?}"))?;
    }
    let alg = match c.id_token_signed_response_alg.as_deref() {
        None | Some("RS256") => IdTokenAlg::Rs256,
        Some("EdDSA") => IdTokenAlg::EdDsa,
        Some(other) => {
            bail!("id_token_signed_response_alg: {other:?} is not supported (RS256 or EdDSA)")
        }
    };
    Ok(Client {
        id: ClientId::new(c.client_id.clone()),
        name: c.name.clone(),
        secret,
        redirect_uris: c.redirect_uris.clone(),
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        alg,
        code_grant,
        admin,
    })
}

/// An absolute URL without a fragment, https or http on a loopback host (RFC 6749 3.1.2,
/// RFC 8252 7.3).
fn check_uri(uri: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(uri).context("not an absolute URL")?;
    if url.fragment().is_some() || uri.contains('#') {
        bail!("must not have a fragment (#...)");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => bail!("http is allowed only on a loopback host (localhost, 127.0.0.1, [::1])"),
        other => bail!("scheme {other:?} is not allowed (https, or http on loopback)"),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A client's credentials as a form carries them: `client_id` and `client_secret`
/// (`client_secret_post`), or the id alone (a public client, or beside Basic).
pub struct FormCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
}

/// The client, authenticated by one method: HTTP Basic, the form's `client_secret`, or none
/// (public clients).
pub fn authenticate<'a>(
    clients: &'a Clients,
    req: &Request,
    form: FormCredentials,
) -> Result<&'a Client, OAuthError> {
    let basic = credentials(req, "Basic").map(parse_basic).transpose()?;
    let FormCredentials {
        client_id: form_id,
        client_secret: form_secret,
    } = form;
    let (id, secret) = match (basic, form_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not Basic and client_secret both",
            ));
        }
        (Some((id, secret)), None) => {
            if form_id.as_ref().is_some_and(|f| *f != id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the Basic credentials",
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => (
            form_id.ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?,
            secret,
        ),
    };
    let client = clients
        .get(&id)
        .ok_or_else(|| OAuthError::invalid_client("client authentication failed"))?;
    let ok = match (&client.secret, secret) {
        (None, None) => true,
        (Some(_), Some(given)) => client.secret_matches(given.expose()),
        _ => false,
    };
    if !ok {
        tracing::info!(client = %client.id, "oidc: client authentication failed");
        return Err(OAuthError::invalid_client("client authentication failed"));
    }
    Ok(client)
}

/// The credentials of the `Authorization` header in `scheme`, whose name is case-insensitive
/// (RFC 7235 2.1: `Bearer`, `BEARER` and `bearer` are one scheme).
pub fn credentials<'r>(req: &'r Request, scheme: &str) -> Option<&'r str> {
    let (name, value) = req.header("Authorization")?.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme)
        .then(|| value.trim_start())
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 2.3.1).
fn parse_basic(value: &str) -> Result<(String, Secret), OAuthError> {
    let bad = || OAuthError::invalid_client("malformed Basic credentials");
    let decoded = STANDARD.decode(value.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    };
    Ok((unescape(id), Secret::new(unescape(secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, redirect: &str) -> OidcClientConfig {
        OidcClientConfig {
            client_id: id.into(),
            client_secret: Some(Secret::new("s")),
            client_secret_file: None,
            redirect_uris: vec![redirect.into()],
            post_logout_redirect_uris: vec![],
            name: "App".into(),
            id_token_signed_response_alg: None,
            grant_types: Vec::new(),
            scopes: Vec::new(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        }
    }

    fn error(clients: Vec<OidcClientConfig>) -> String {
        let config = OidcConfig {
            clients,
            ..OidcConfig::default()
        };
        format!("{:#}", Clients::from_config(&config).unwrap_err())
    }

    #[test]
    fn a_duplicate_id_names_the_client_and_the_field() {
        let e = error(vec![
            client("grafana", "https://a.example/cb"),
            client("grafana", "https://b.example/cb"),
        ]);
        assert!(
            e.contains("oidc.clients[1]") && e.contains("\"grafana\""),
            "{e}"
        );
        assert!(e.contains("client_id"), "{e}");
    }

    #[test]
    fn a_fragment_or_plain_http_elsewhere_than_loopback_is_refused() {
        let e = error(vec![client("a", "https://a.example/cb#x")]);
        assert!(e.contains("redirect_uris") && e.contains("fragment"), "{e}");
        let e = error(vec![client("b", "http://b.example/cb")]);
        assert!(e.contains("\"b\"") && e.contains("loopback"), "{e}");
        let ok = OidcConfig {
            clients: vec![client("c", "http://127.0.0.1:3000/cb")],
            ..OidcConfig::default()
        };
        assert!(Clients::from_config(&ok).is_ok());
    }

    #[test]
    fn secrets_compare_exactly_and_never_print() {
        let config = OidcConfig {
            clients: vec![client("a", "https://a.example/cb")],
            ..OidcConfig::default()
        };
        let clients = Clients::from_config(&config).unwrap();
        let a = clients.get("a").unwrap();
        assert!(a.secret_matches("s") && !a.secret_matches("S") && !a.secret_matches(""));
        assert!(!format!("{a:?}").contains("\"s\""));
    }
}
