//! The profile a person fills in (头像昵称填写): what WeChat's content check passed, shown
//! instead of what a WeChat identity says.

use super::AccountError;

/// The filled-in profile; empty until the person fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// A nickname WeChat's content check passed.
    pub nickname: Option<String>,
    /// The newest avatar and where its content check stands.
    pub avatar: Option<(String, AvatarStatus)>,
    /// The newest avatar WeChat's content check accepted: the one shown to others.
    pub shown_avatar: Option<String>,
}

/// Where an avatar's content check (WeChat's `media_check_async`) stands.
#[derive(poem_openapi::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum AvatarStatus {
    /// WeChat has not answered yet: shown to its owner only.
    Pending,
    /// WeChat passed it: shown to others.
    Accepted,
    /// WeChat refused it: never shown.
    Refused,
}

impl AvatarStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AvatarStatus::Pending => "pending",
            AvatarStatus::Accepted => "accepted",
            AvatarStatus::Refused => "refused",
        }
    }

    pub(super) fn parse(status: &str) -> Result<Self, AccountError> {
        match status {
            "pending" => Ok(AvatarStatus::Pending),
            "accepted" => Ok(AvatarStatus::Accepted),
            "refused" => Ok(AvatarStatus::Refused),
            other => Err(AccountError::Inconsistent(format!(
                "unknown avatar status {other:?}"
            ))),
        }
    }
}

impl Profile {
    /// The profile from the columns an account is read with (`identities::account_rows`): the
    /// checked nickname, the newest avatar and its status, the newest accepted avatar.
    pub(super) fn from_columns(
        nickname: Option<String>,
        newest_avatar: Option<String>,
        newest_avatar_status: Option<&str>,
        shown_avatar: Option<String>,
    ) -> Result<Profile, AccountError> {
        let avatar = match (newest_avatar, newest_avatar_status) {
            (Some(id), Some(status)) => Some((id, AvatarStatus::parse(status)?)),
            _ => None,
        };
        Ok(Profile {
            nickname,
            avatar,
            shown_avatar,
        })
    }
}
