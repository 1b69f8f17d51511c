//! A scene as the store keeps it, and the rules that move it. Time is passed in (unix ms).

use super::{Event, Provider, Scene, SceneStatus, TransitionError};
use crate::ids::AppId;
use serde::{Deserialize, Serialize};

/// The browser that created the scene, shown on the phone before the user confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub ip: String,
    pub user_agent: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Set when the browser logs in to an OpenID client through Saoma's hosted login page.
    #[serde(default)]
    pub for_client: Option<ClientRequest>,
}

/// The OpenID client a scene logs in to: the phone shows its name, and the pick-up hands the
/// browser a one-time ticket for the authorization request instead of tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRequest {
    /// The client's display name (`[[oidc.clients]] name`).
    pub client_name: String,
    /// The id of the stored authorization request.
    pub request: String,
    /// SHA-256 (hex) of the secret that the browser which created the scene holds in its
    /// `saoma_login_` cookie: the ticket signs in that browser only (login CSRF). Empty in a
    /// record written before this field existed, which no cookie matches.
    #[serde(default)]
    pub browser: String,
    /// The client's id, for the login event. Empty in a record written before this field
    /// existed.
    #[serde(default)]
    pub client_id: String,
}

/// What the phone chose to reveal about the user once scanned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScannedBy {
    // Every field is always written: stored records are positional (see store/redis/scenes.rs).
    /// The user's nickname, when the phone revealed it.
    pub nickname: Option<String>,
    /// URL of the avatar image.
    pub avatar: Option<String>,
}

/// Why a login was refused after WeChat identified the person: the scene ends `cancelled`
/// with it, and the page and the phone say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The account is disabled by an administrator.
    AccountDisabled,
    /// `accounts.sign_up = "provisioned_only"` and nobody provisioned this person.
    NotProvisioned,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::AccountDisabled => "account_disabled",
            Refusal::NotProvisioned => "not_provisioned",
        }
    }
}

/// Who logged in, recorded at `confirmed` (tokens are minted for it at pick-up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub account_id: String,
    pub app_id: AppId,
}

/// The SMS code sent to verify a `need_phone` scene's phone number. Only a hash of the code is
/// kept; a few wrong guesses burn it. `Debug` leaves the number and the hash out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCheck {
    /// E.164, as the code was sent to.
    pub phone: String,
    /// Hex SHA-256 of the scene, the phone and the code.
    pub code_hash: String,
    /// Wrong codes presented so far.
    pub attempts: u32,
    /// Unix milliseconds after which the code is refused.
    pub expires_at: i64,
}

impl std::fmt::Debug for PhoneCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneCheck")
            .field("attempts", &self.attempts)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A scene as stored. Redis keeps it as positional MessagePack (`store/redis/scenes.rs`), so
/// field names cost nothing there and the order of the fields is the format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneRecord {
    pub scene: Scene,
    pub provider: Provider,
    pub status: SceneStatus,
    /// Hash of the poll token (see `PollToken::hash`); the token itself is never stored.
    pub poll_token_hash: String,
    pub requester: Requester,
    /// Unix milliseconds after which a waiting scene is expired.
    pub expires_at: i64,
    pub scanned_by: Option<ScannedBy>,
    pub outcome: Option<Outcome>,
    /// Website login: where the callback sends the browser (an allowed URL chosen at creation;
    /// `None`: the configured `website.return_url`).
    pub return_url: Option<String>,
    /// The SMS code of a `need_phone` scene, once sent.
    pub phone_check: Option<PhoneCheck>,
    /// Set when Saoma cancelled the scene because the login was refused.
    pub refused: Option<Refusal>,
}

impl SceneRecord {
    /// The status as seen at `now`: a waiting scene past its time is expired even before the
    /// store has written it so.
    pub fn status_at(&self, now: i64) -> SceneStatus {
        if self.status.is_waiting() && now >= self.expires_at {
            SceneStatus::Expired
        } else {
            self.status
        }
    }

    /// Seconds left before expiry (0 once expired or final).
    pub fn expires_in(&self, now: i64) -> u64 {
        if self.status_at(now).is_final() {
            return 0;
        }
        // Rounded up: a scene created this millisecond says 300, not 299.
        u64::try_from((self.expires_at - now).max(0))
            .unwrap_or(0)
            .div_ceil(1000)
    }

    /// Apply one event at `now`. A waiting scene past its time is expired first, so a late
    /// confirmation is refused as `expired --confirm-->`.
    pub fn apply(&mut self, event: Event, now: i64) -> Result<(), TransitionError> {
        let current = self.status_at(now);
        self.status = current.next(event)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_at: i64) -> SceneRecord {
        SceneRecord {
            scene: Scene::parse("abcdefgh").unwrap(),
            provider: Provider::MiniProgram,
            status: SceneStatus::Pending,
            poll_token_hash: String::new(),
            requester: Requester {
                ip: "127.0.0.1".into(),
                user_agent: "test".into(),
                created_at: 0,
                for_client: None,
            },
            expires_at,
            scanned_by: None,
            outcome: None,
            return_url: None,
            phone_check: None,
            refused: None,
        }
    }

    #[test]
    fn a_waiting_scene_expires_at_its_deadline() {
        let r = record(1_000);
        assert_eq!(r.status_at(999), SceneStatus::Pending);
        assert_eq!(r.status_at(1_000), SceneStatus::Expired);
        assert_eq!(r.expires_in(0), 1);
        assert_eq!(r.expires_in(1_000), 0);
    }

    #[test]
    fn a_late_confirmation_is_refused_as_expired() {
        let mut r = record(1_000);
        r.apply(Event::Scan, 10).unwrap();
        let err = r.apply(Event::Confirm, 1_000).unwrap_err();
        assert_eq!(err.from, SceneStatus::Expired);
    }

    #[test]
    fn a_confirmed_scene_can_be_picked_up_after_the_deadline() {
        let mut r = record(1_000);
        r.apply(Event::Scan, 10).unwrap();
        r.apply(Event::Confirm, 20).unwrap();
        r.apply(Event::PickUp, 5_000).unwrap();
        assert_eq!(r.status, SceneStatus::Consumed);
    }
}
