//! The one way every provider finishes a login, so that the phone policy applies to all alike.

use super::{Error, Saoma};
use crate::accounts::Account;
use crate::ids::AppId;
use crate::scene::{Event, Outcome, Provider, ScannedBy, Scene, SceneRecord, SceneStatus};

impl Saoma {
    /// The user behind `scene` (a scene of `provider`, else `WrongProvider`) is known: `account` logged in through `app_id`. Confirms the
    /// scene, or, when `accounts.require_phone` is on and the account has no phone, moves it to
    /// `need_phone` (the browser then verifies a phone by SMS, `POST /api/v1/phone/*`). A
    /// pending scene is scanned first (official account and website learn of the scan and the
    /// login at once). Records who logged in (the outcome tokens are minted for) and, when
    /// given, what the phone revealed about the user.
    pub(crate) async fn confirm_identity(
        &self,
        scene: &Scene,
        provider: Provider,
        account: &Account,
        app_id: &AppId,
        scanned_by: Option<ScannedBy>,
    ) -> Result<SceneRecord, Error> {
        let event = if self.parts.settings.require_phone && account.phone.is_none() {
            Event::RequirePhone
        } else {
            Event::Confirm
        };
        let outcome = Outcome {
            account_id: account.id.clone(),
            app_id: app_id.clone(),
        };
        let record = self
            .transition(scene, |r, now| {
                if r.provider != provider {
                    return Err(Error::WrongProvider(r.provider));
                }
                if r.status_at(now) == SceneStatus::Pending {
                    r.apply(Event::Scan, now)?;
                }
                r.apply(event, now)?;
                r.outcome = Some(outcome.clone());
                if let Some(by) = &scanned_by {
                    r.scanned_by = Some(by.clone());
                }
                Ok(())
            })
            .await?;
        tracing::info!(
            scene = %scene,
            provider = record.provider.as_str(),
            status = record.status.as_str(),
            "identity confirmed"
        );
        Ok(record)
    }
}
