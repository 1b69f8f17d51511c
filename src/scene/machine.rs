//! The scene state machine of DESIGN.md, as a total function over (state, event).
//!
//! ```text
//! pending --scan--> scanned --confirm--> confirmed --pick_up--> consumed
//!    |                 |  \--cancel--> cancelled
//!    |                 \--require_phone--> need_phone --phone_bound--> confirmed
//!    \---------- expire (from any non-final state) ----------> expired
//! ```

use serde::{Deserialize, Serialize};

/// Where a scene is. `status` in every API answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum SceneStatus {
    /// The code is on the screen; nobody has scanned it.
    Pending,
    /// A phone opened the code; the user has not decided yet.
    Scanned,
    /// The user is known but must bind a phone number first.
    NeedPhone,
    /// The user approved; tokens wait for the first authorised reader.
    Confirmed,
    /// The tokens were handed out.
    Consumed,
    /// The user refused on the phone.
    Cancelled,
    /// The scene's time ran out before it was confirmed.
    Expired,
}

impl SceneStatus {
    pub const ALL: [SceneStatus; 7] = [
        SceneStatus::Pending,
        SceneStatus::Scanned,
        SceneStatus::NeedPhone,
        SceneStatus::Confirmed,
        SceneStatus::Consumed,
        SceneStatus::Cancelled,
        SceneStatus::Expired,
    ];

    /// No transition leaves a final state (confirmed only leaves by pick-up, never by expiry).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SceneStatus::Consumed | SceneStatus::Cancelled | SceneStatus::Expired
        )
    }

    /// States in which the scene still waits for the user (and so can expire).
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            SceneStatus::Pending | SceneStatus::Scanned | SceneStatus::NeedPhone
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SceneStatus::Pending => "pending",
            SceneStatus::Scanned => "scanned",
            SceneStatus::NeedPhone => "need_phone",
            SceneStatus::Confirmed => "confirmed",
            SceneStatus::Consumed => "consumed",
            SceneStatus::Cancelled => "cancelled",
            SceneStatus::Expired => "expired",
        }
    }
}

/// What can happen to a scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Scan,
    Confirm,
    Cancel,
    RequirePhone,
    PhoneBound,
    PickUp,
    Expire,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::Scan,
        Event::Confirm,
        Event::Cancel,
        Event::RequirePhone,
        Event::PhoneBound,
        Event::PickUp,
        Event::Expire,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a scene that is {} cannot {event:?}", from.as_str())]
pub struct TransitionError {
    pub from: SceneStatus,
    pub event: Event,
}

impl SceneStatus {
    /// The state after `event`, or why it is refused. A scan of a scanned scene is allowed and
    /// changes nothing: the mini-program may reopen its page.
    pub fn next(self, event: Event) -> Result<SceneStatus, TransitionError> {
        use Event as E;
        use SceneStatus as S;
        match (self, event) {
            (S::Pending | S::Scanned, E::Scan) => Ok(S::Scanned),
            (S::Scanned, E::Confirm) => Ok(S::Confirmed),
            (S::Scanned | S::NeedPhone, E::Cancel) => Ok(S::Cancelled),
            (S::Scanned, E::RequirePhone) => Ok(S::NeedPhone),
            (S::NeedPhone, E::PhoneBound) => Ok(S::Confirmed),
            (S::Confirmed, E::PickUp) => Ok(S::Consumed),
            (S::Pending | S::Scanned | S::NeedPhone, E::Expire) => Ok(S::Expired),
            (from, event) => Err(TransitionError { from, event }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Event as E;
    use super::SceneStatus as S;
    use super::*;

    /// The whole diagram: every (state, event) pair that is allowed, and where it leads.
    const ALLOWED: &[(S, E, S)] = &[
        (S::Pending, E::Scan, S::Scanned),
        (S::Pending, E::Expire, S::Expired),
        (S::Scanned, E::Scan, S::Scanned),
        (S::Scanned, E::Confirm, S::Confirmed),
        (S::Scanned, E::Cancel, S::Cancelled),
        (S::Scanned, E::RequirePhone, S::NeedPhone),
        (S::Scanned, E::Expire, S::Expired),
        (S::NeedPhone, E::PhoneBound, S::Confirmed),
        (S::NeedPhone, E::Cancel, S::Cancelled),
        (S::NeedPhone, E::Expire, S::Expired),
        (S::Confirmed, E::PickUp, S::Consumed),
    ];

    #[test]
    fn every_allowed_transition_leads_where_the_diagram_says() {
        for &(from, event, to) in ALLOWED {
            assert_eq!(from.next(event), Ok(to), "{from:?} --{event:?}-->");
        }
    }

    #[test]
    fn every_other_transition_is_refused() {
        let mut refused = 0;
        for from in S::ALL {
            for event in E::ALL {
                if ALLOWED.iter().any(|&(f, e, _)| f == from && e == event) {
                    continue;
                }
                assert_eq!(
                    from.next(event),
                    Err(TransitionError { from, event }),
                    "{from:?} --{event:?}--> must be refused"
                );
                refused += 1;
            }
        }
        assert_eq!(refused, 7 * 7 - ALLOWED.len());
    }

    #[test]
    fn final_states_have_no_way_out() {
        for from in S::ALL.into_iter().filter(|s| s.is_final()) {
            for event in E::ALL {
                assert!(from.next(event).is_err(), "{from:?} --{event:?}-->");
            }
        }
    }

    #[test]
    fn confirmed_does_not_expire_and_pending_cannot_be_confirmed_without_a_scan() {
        assert!(S::Confirmed.next(E::Expire).is_err());
        assert!(S::Pending.next(E::Confirm).is_err());
        assert!(S::Pending.next(E::Cancel).is_err());
        assert!(S::Pending.next(E::PickUp).is_err());
    }
}
