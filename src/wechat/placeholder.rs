//! WeChat's placeholder profile. Since the recall of `wx.getUserProfile` (2022-10/11), and for
//! a user who shares nothing, WeChat answers the nickname "微信用户" and a grey default avatar.
//! Neither names anyone: Saoma treats both as absent, so they are never stored as a name.

/// The placeholder nickname.
const NICKNAME: &str = "微信用户";

/// The grey default avatar's path segment, whatever the host (`thirdwx.qlogo.cn`,
/// `wx.qlogo.cn`) and the size suffix (`/0`, `/132`) before or after it.
const GREY_AVATAR: &str = "/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/";

/// The nickname, unless it is empty or WeChat's placeholder.
pub fn real_nickname(nickname: &str) -> Option<String> {
    let trimmed = nickname.trim();
    (!trimmed.is_empty() && trimmed != NICKNAME).then(|| nickname.to_owned())
}

/// The avatar URL, unless it is empty or WeChat's grey default.
pub fn real_avatar(url: &str) -> Option<String> {
    (!url.trim().is_empty() && !url.contains(GREY_AVATAR)).then(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_pair_is_absent_and_anything_else_is_kept() {
        assert_eq!(real_nickname("微信用户"), None);
        assert_eq!(real_nickname(" 微信用户 "), None);
        assert_eq!(real_nickname(""), None);
        assert_eq!(
            real_nickname("微信用户小明").as_deref(),
            Some("微信用户小明")
        );
        let grey = "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132";
        assert_eq!(real_avatar(grey), None);
        assert_eq!(real_avatar(&grey.replace("/132", "/0")), None);
        assert_eq!(real_avatar(""), None);
        let own = "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132";
        assert_eq!(real_avatar(own).as_deref(), Some(own));
    }
}
