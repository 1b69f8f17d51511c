//! Property tests: arbitrary input never panics, and no sequence of events leaves the diagram.

use super::{Event, Provider, Requester, Scene, SceneRecord, SceneStatus};
use proptest::prelude::*;

fn any_event() -> impl Strategy<Value = Event> {
    proptest::sample::select(Event::ALL.to_vec())
}

fn record(expires_at: i64) -> SceneRecord {
    SceneRecord {
        scene: Scene::generate(),
        provider: Provider::MiniProgram,
        status: SceneStatus::Pending,
        poll_token_hash: String::new(),
        requester: Requester {
            ip: String::new(),
            user_agent: String::new(),
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

/// Which states can follow which in DESIGN.md's diagram (a state may also stay as it is).
fn reachable_in_one_step(from: SceneStatus, to: SceneStatus) -> bool {
    use SceneStatus as S;
    from == to
        || matches!(
            (from, to),
            (S::Pending, S::Scanned)
                | (S::Pending | S::Scanned | S::NeedPhone, S::Expired)
                | (S::Scanned, S::Confirmed | S::Cancelled | S::NeedPhone)
                | (S::NeedPhone, S::Confirmed | S::Cancelled)
                | (S::Confirmed, S::Consumed)
        )
}

proptest! {
    #[test]
    fn parsing_any_string_never_panics_and_accepts_only_the_charset(s in "\\PC{0,40}") {
        if let Ok(scene) = Scene::parse(s.clone()) {
            prop_assert!((8..=32).contains(&scene.as_str().len()));
            prop_assert!(!s.contains('%') && !s.contains(' '));
        }
    }

    #[test]
    fn every_string_of_the_charset_with_a_valid_length_parses(
        s in "[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{8,32}"
    ) {
        prop_assert!(Scene::parse(s).is_ok());
    }

    #[test]
    fn no_sequence_of_events_leaves_the_diagram(
        events in proptest::collection::vec((any_event(), 0i64..2_000), 0..24)
    ) {
        let mut r = record(1_000);
        let mut now = 0;
        for (event, step) in events {
            now += step;
            let before = r.status_at(now);
            let result = r.apply(event, now);
            let after = r.status_at(now);
            match result {
                Ok(()) => prop_assert!(reachable_in_one_step(before, after), "{before:?} -> {after:?}"),
                Err(e) => prop_assert_eq!(e.from, before),
            }
            prop_assert!(SceneStatus::ALL.contains(&after));
            // Nothing ever leaves a final state.
            if before.is_final() {
                prop_assert!(result.is_err());
                prop_assert_eq!(after, before);
            }
        }
    }
}
