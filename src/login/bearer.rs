//! The mini-program's bearer tokens, as the core's operations for the person in the
//! mini-program take them (the profile, the avatar, a phone bound by SMS), and its scenes
//! waiting for a phone.

use super::sms_verification::ensure_need_phone;
use super::{Error, Saoma};
use crate::scene::{Event, Provider, Scene, SceneRecord};
use crate::store::now_ms;

impl Saoma {
    /// The account of a bearer token issued to this mini-program.
    pub(crate) fn mini_program_bearer(&self, bearer: Option<&str>) -> Result<String, Error> {
        let app = self.app_of(Provider::MiniProgram)?;
        let claims = bearer
            .and_then(|t| self.parts.signer.verify(t).ok())
            .ok_or(Error::Unauthenticated)?;
        if claims.provider != Provider::MiniProgram.as_str() || claims.app_id != app.app_id.as_str()
        {
            return Err(Error::TokenNotAccepted);
        }
        Ok(claims.sub)
    }

    /// The mini-program scene `scene`, waiting for a phone for `account_id`.
    pub(crate) async fn mini_program_need_phone(
        &self,
        scene: &Scene,
        account_id: &str,
    ) -> Result<SceneRecord, Error> {
        let found = self
            .parts
            .scenes
            .get(scene)
            .await?
            .ok_or(Error::SceneNotFound)?;
        ensure_mini_program(&found.record)?;
        ensure_need_phone(&found.record, now_ms(), Event::PhoneBound)?;
        if found.record.outcome.as_ref().map(|o| o.account_id.as_str()) != Some(account_id) {
            return Err(Error::TokenNotAccepted);
        }
        Ok(found.record)
    }
}

/// `WrongProvider` unless `record` is a mini-program scene.
pub(crate) fn ensure_mini_program(record: &SceneRecord) -> Result<(), Error> {
    if record.provider != Provider::MiniProgram {
        return Err(Error::WrongProvider(record.provider));
    }
    Ok(())
}
