//! The profile a person fills in (头像昵称填写): what WeChat's content check passed, shown
//! instead of what a WeChat identity says.

use super::AccountError;
use sqlx::AnyConnection;

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

/// One statement: logins read it (a returning person's login reads the account and this, and
/// writes only its event).
pub(super) async fn load_profile(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Profile, AccountError> {
    // An upload deletes the account's avatars that are not accepted, so one that is not is the
    // newest (a millisecond clock cannot tell two quick uploads apart).
    let (nickname, newest, newest_status, shown_avatar): (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT (SELECT nickname FROM profiles WHERE account_id = $1), \
           (SELECT id FROM avatars WHERE account_id = $1 \
             ORDER BY CASE WHEN status = 'accepted' THEN 1 ELSE 0 END, created_at DESC, id LIMIT 1), \
           (SELECT status FROM avatars WHERE account_id = $1 \
             ORDER BY CASE WHEN status = 'accepted' THEN 1 ELSE 0 END, created_at DESC, id LIMIT 1), \
           (SELECT id FROM avatars WHERE account_id = $1 AND status = 'accepted' \
             ORDER BY created_at DESC, id LIMIT 1)",
    )
    .bind(account_id)
    .fetch_one(&mut *conn)
    .await?;
    let avatar = match (newest, newest_status) {
        (Some(id), Some(status)) => Some((id, AvatarStatus::parse(&status)?)),
        _ => None,
    };
    Ok(Profile {
        nickname,
        avatar,
        shown_avatar,
    })
}
