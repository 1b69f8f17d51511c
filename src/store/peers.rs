//! What the instances sharing a store must agree on. The account database: one value, held by
//! the first instance to claim it. The signing keys: each instance claims the `kid` it signs
//! with and the ones it accepts, and every instance's signing `kid` must be accepted by every
//! other, so that a key can be published everywhere, then swapped in, then dropped, one
//! instance at a time.

use super::StoreError;
use async_trait::async_trait;
use std::time::Duration;

/// Which signing key a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The Ed25519 key of access tokens (and of EdDSA id_tokens).
    AccessToken,
    /// The RSA key of RS256 id_tokens (only where OpenID clients are configured).
    IdToken,
}

impl KeyKind {
    /// Its name in the store's keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token_key",
            Self::IdToken => "id_token_key",
        }
    }

    /// What it is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AccessToken => "access-token (Ed25519)",
            Self::IdToken => "id_token (RSA)",
        }
    }
}

/// One instance's keys of one kind, by `kid` (public thumbprints, never key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    /// This instance, unique among the live ones (its claim is renewed under this name).
    pub instance: String,
    /// The `kid` it signs with.
    pub signing: String,
    /// The `kid`s it publishes and accepts besides.
    pub published: Vec<String>,
}

/// Why a key claim is refused: one `kid` that one side does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyConflict {
    /// `peer` does not accept `kid`, the key this instance signs with.
    OursNotAccepted { peer: String, kid: String },
    /// `peer` signs with `kid`, which this instance does not accept.
    TheirsNotAccepted { peer: String, kid: String },
}

#[async_trait]
pub trait Peers: Send + Sync {
    /// Hold `name = value` for `ttl`, renewed by every call that brings the same value. `Some`
    /// with the other value when another instance holds `name` with a different one.
    async fn agree(
        &self,
        name: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StoreError>;

    /// Claim `claim` for `ttl` (replacing this instance's earlier claim of `kind`) and compare
    /// it, in one step, with the live claims of the other instances that agree: `Some` with the
    /// first `kid` that one side does not accept. A refused claim is still held, marked
    /// refused, and does not count against the instances that come after it; claims not
    /// renewed within their `ttl` stop counting.
    async fn claim_keys(
        &self,
        kind: KeyKind,
        claim: &KeyClaim,
        ttl: Duration,
    ) -> Result<Option<KeyConflict>, StoreError>;

    /// Withdraw `instance`'s claim of `kind` (a clean shutdown): it stops counting at once
    /// instead of when its `ttl` runs out.
    async fn release_keys(&self, kind: KeyKind, instance: &str) -> Result<(), StoreError>;
}
