//! The profile a person fills in from the mini-program (头像昵称填写): WeChat checks the
//! content (`msg_sec_check`) before Saoma stores it and shows it to anyone else.

use super::{AccountView, Error, Saoma};
use crate::scene::Provider;
use crate::wechat::placeholder::real_nickname;
use crate::wechat::{PROFILE_SCENE, Suggest};

/// The longest nickname, in characters.
pub const NICKNAME_MAX_CHARS: usize = 32;

/// The nickname as stored: trimmed, 1..=[`NICKNAME_MAX_CHARS`] characters, no control
/// character, not WeChat's placeholder.
fn valid_nickname(nickname: &str) -> Result<String, Error> {
    let trimmed = nickname.trim();
    let fits = (1..=NICKNAME_MAX_CHARS).contains(&trimmed.chars().count())
        && !trimmed.chars().any(char::is_control);
    match real_nickname(trimmed) {
        Some(nickname) if fits => Ok(nickname),
        _ => Err(Error::InvalidNickname),
    }
}

impl Saoma {
    /// Set the nickname of the bearer's account (a token of this mini-program), once WeChat's
    /// content check passed it for the person's openid. `review` and `risky` both refuse:
    /// Saoma has no human review to wait for.
    pub async fn set_nickname(
        &self,
        bearer: Option<&str>,
        nickname: &str,
    ) -> Result<AccountView, Error> {
        let account_id = self.mini_program_bearer(bearer)?;
        let nickname = valid_nickname(nickname)?;
        let app = self.app_of(Provider::MiniProgram)?;
        let account = self
            .parts
            .accounts
            .get(&account_id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        let openid = account
            .identities
            .iter()
            .find(|i| i.app_id == app.app_id)
            .map(|i| i.openid.clone())
            .ok_or(Error::TokenNotAccepted)?;
        let suggest = self
            .parts
            .wechat
            .msg_sec_check(app, &openid, PROFILE_SCENE, &nickname)
            .await?;
        if suggest != Suggest::Pass {
            tracing::info!(?suggest, "a nickname was refused by WeChat's content check");
            return Err(Error::NicknameRefused);
        }
        let account = self
            .parts
            .accounts
            .set_nickname(&account_id, &nickname)
            .await?;
        Ok(AccountView::from(&account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nickname_is_trimmed_bounded_and_never_the_placeholder() {
        assert_eq!(valid_nickname("  小明 ").ok().as_deref(), Some("小明"));
        assert_eq!(
            valid_nickname(&"名".repeat(NICKNAME_MAX_CHARS))
                .ok()
                .map(|n| n.chars().count()),
            Some(NICKNAME_MAX_CHARS)
        );
        for bad in [
            "",
            "   ",
            "微信用户",
            "a\u{7}b",
            &"名".repeat(NICKNAME_MAX_CHARS + 1),
        ] {
            assert!(
                matches!(valid_nickname(bad), Err(Error::InvalidNickname)),
                "{bad:?}"
            );
        }
    }
}
