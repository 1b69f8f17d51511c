//! The OAuth values the provider passes around, each its own type: an authorization code, a
//! PKCE verifier, a client id, a redirect URI and a set of scopes. Each serializes as the plain string (or list)
//! stored before these types existed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An authorization code, as issued and as presented at the token endpoint. `Debug` and
/// `Display` print `[redacted]`; the value is only reachable through [`AuthCode::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuthCode(String);

impl AuthCode {
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code itself. Call sites are easy to grep for.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCode([redacted])")
    }
}

/// A PKCE `code_verifier` (RFC 7636), as presented at the token endpoint. `Debug` prints
/// `[redacted]`: with the code, it is what redeems a public client's login.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    pub fn new(verifier: impl Into<String>) -> Self {
        Self(verifier.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

/// A client's `client_id`, as registered. Looked up by `&str` (`Borrow<str>`), as a form or a
/// query names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientId(String);

impl ClientId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for ClientId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A `redirect_uri`: in a stored authorization request one of the client's registered ones
/// (checked before the request is made); at the token endpoint the one presented, compared
/// with the request's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn new(uri: impl Into<String>) -> Self {
        Self(uri.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scopes of a request: each once, in the order they were granted (the order of the
/// `scope` answered to the client).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// A `scope` parameter: space-separated, empty entries skipped.
    pub fn parse(scope: &str) -> Self {
        scope.split(' ').filter(|s| !s.is_empty()).collect()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// Adds `scope` unless it is there already.
    pub fn insert(&mut self, scope: impl Into<String>) {
        let scope = scope.into();
        if !self.contains(&scope) {
            self.0.push(scope);
        }
    }

    pub fn remove(&mut self, scope: &str) {
        self.0.retain(|s| s != scope);
    }

    /// The scopes as the claims' filter takes them.
    pub fn as_strs(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

/// Space-separated, as OAuth writes a scope.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

impl<S: Into<String>> FromIterator<S> for Scopes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut scopes = Scopes::default();
        for scope in iter {
            scopes.insert(scope);
        }
        scopes
    }
}

impl<S: Into<String>> Extend<S> for Scopes {
    fn extend<I: IntoIterator<Item = S>>(&mut self, iter: I) {
        for scope in iter {
            self.insert(scope);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_never_shows_in_debug() {
        let code = AuthCode::new("c0de-value");
        assert!(!format!("{code:?}").contains("c0de-value"));
        assert_eq!(code.expose(), "c0de-value");
        let verifier = CodeVerifier::new("v3rifier-value");
        assert!(!format!("{verifier:?}").contains("v3rifier-value"));
        assert_eq!(verifier.expose(), "v3rifier-value");
    }

    #[test]
    fn values_serialize_as_stored_before() {
        let stored = r#"{"c":"app","r":"https://rp.example/cb","s":["openid","profile"]}"#;
        #[derive(Serialize, Deserialize)]
        struct Shape {
            c: ClientId,
            r: RedirectUri,
            s: Scopes,
        }
        let read: Shape = serde_json::from_str(stored).unwrap();
        assert_eq!(read.c.as_str(), "app");
        assert_eq!(read.r.as_str(), "https://rp.example/cb");
        assert_eq!(read.s.to_string(), "openid profile");
        assert_eq!(serde_json::to_string(&read).unwrap(), stored);
    }

    #[test]
    fn scopes_are_a_set_in_grant_order() {
        let mut scopes: Scopes = ["openid", "phone", "openid"].into_iter().collect();
        scopes.extend(Some("saoma:admin"));
        assert_eq!(scopes.to_string(), "openid phone saoma:admin");
        scopes.remove("saoma:admin");
        assert!(!scopes.contains("saoma:admin"));
        assert_eq!(scopes.as_strs(), ["openid", "phone"]);
        assert_eq!(
            Scopes::parse(" saoma:admin  openid").as_strs(),
            ["saoma:admin", "openid"]
        );
        assert!(Scopes::parse("").as_strs().is_empty());
    }
}
