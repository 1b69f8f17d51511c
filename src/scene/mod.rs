//! The scene: one pending browser login. Pure: no I/O, no clock of its own.

mod id;
mod machine;
mod provider;
mod record;

#[cfg(test)]
mod proptests;

pub use id::{MAX_LEN as SCENE_MAX_LEN, MIN_LEN as SCENE_MIN_LEN};
pub use id::{Scene, SceneError};
pub use machine::{Event, SceneStatus, TransitionError};
pub use provider::Provider;
pub use record::{ClientRequest, Outcome, PhoneCheck, Refusal, Requester, ScannedBy, SceneRecord};
