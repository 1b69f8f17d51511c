//! The one place every login completes: scene logins (mini-program, official account,
//! website, in-WeChat, the hosted login page of the OpenID Provider) and the direct logins of
//! the mini-program and the native app. WeChat has identified the person; here the account is
//! found or created (or refused: disabled, or not provisioned under
//! `accounts.sign_up = "provisioned_only"`), and the event log records which.

use super::{Error, Saoma};
use crate::accounts::events::LoginDetails;
use crate::accounts::{Account, Admission, NewIdentity, Recorded};
use crate::scene::{Event, Refusal, Scene, SceneRecord, SceneStatus};

/// Where a login comes from, besides the WeChat identity.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoginOrigin {
    /// The scene the login completes; `None`: a direct login (it answers tokens itself).
    pub scene: Option<Scene>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Saoma {
    /// The account `identity` logs into. A refused login is `Error::LoginRefused`, and its
    /// scene, if any, ends `cancelled` with the reason (the page polls it, the phone is told).
    pub(crate) async fn complete_login(
        &self,
        identity: &NewIdentity,
        origin: LoginOrigin,
    ) -> Result<Account, Error> {
        let (account, recorded) = self.complete_login_recording(identity, origin).await?;
        recorded.wait().await?;
        Ok(account)
    }

    /// [`Saoma::complete_login`], answering before a returning person's `login.succeeded` is
    /// committed: the caller does the rest of its login meanwhile (a login that mints its
    /// session has both written in one group) and waits for `Recorded` before it answers.
    pub(crate) async fn complete_login_recording(
        &self,
        identity: &NewIdentity,
        origin: LoginOrigin,
    ) -> Result<(Account, Recorded), Error> {
        let record = match &origin.scene {
            Some(scene) => self
                .parts
                .scenes
                .get(scene)
                .await?
                .map(|found| found.record),
            None => None,
        };
        let details = details(identity, &origin, record.as_ref());
        let (admission, recorded) = self
            .parts
            .accounts
            .log_in_recording(identity, &details)
            .await?;
        match admission {
            Admission::Admitted { account, .. } => Ok((account, recorded)),
            Admission::Refused { reason, .. } => {
                tracing::info!(
                    provider = identity.provider.as_str(),
                    reason = reason.as_str(),
                    "login refused"
                );
                if let Some(scene) = &origin.scene {
                    self.cancel_refused(scene, reason).await;
                }
                Err(Error::LoginRefused(reason))
            }
        }
    }

    /// The scene ends `cancelled`, saying why. Best effort: the login is refused either way.
    async fn cancel_refused(&self, scene: &Scene, reason: Refusal) {
        let cancelled = self
            .transition(scene, |r, now| {
                if r.status_at(now) == SceneStatus::Pending {
                    r.apply(Event::Scan, now)?;
                }
                r.apply(Event::Cancel, now)?;
                r.refused = Some(reason);
                Ok(())
            })
            .await;
        if let Err(e) = cancelled {
            tracing::warn!(scene = %scene, error = %crate::telemetry::chain(&e), "a refused login's scene could not be cancelled");
        }
    }
}

/// The login as the event log shows it: the requester of the scene (the browser) when there is
/// one, else the direct login's caller.
fn details(
    identity: &NewIdentity,
    origin: &LoginOrigin,
    record: Option<&SceneRecord>,
) -> LoginDetails {
    let requester = record.map(|r| &r.requester);
    let client_id = requester
        .and_then(|r| r.for_client.as_ref())
        .map(|c| c.client_id.clone())
        .filter(|id| !id.is_empty());
    LoginDetails {
        provider: identity.provider.as_str().to_owned(),
        app_id: identity.app_id.to_string(),
        client_id,
        ip: requester
            .map(|r| r.ip.clone())
            .or_else(|| origin.ip.clone()),
        user_agent: requester
            .map(|r| r.user_agent.clone())
            .or_else(|| origin.user_agent.clone()),
    }
}
