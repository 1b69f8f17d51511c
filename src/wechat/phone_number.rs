//! `POST wxa/business/getuserphonenumber`: the code of the mini-program's getPhoneNumber button
//! for the user's phone number.

use super::access_token::AppCredentials;
use super::client::WeChatClient;
use super::error::WeChatError;
use serde::{Deserialize, Serialize};

const GET_USER_PHONE_NUMBER: &str = "wxa/business/getuserphonenumber";

/// The number as WeChat vouches for it. `Debug` masks it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneInfo {
    /// With the country code for foreign numbers.
    pub phone_number: String,
    /// Without the country code.
    pub pure_phone_number: String,
    /// A string, such as `"86"`.
    pub country_code: String,
    pub watermark: Watermark,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Watermark {
    pub timestamp: i64,
    pub appid: String,
}

impl std::fmt::Debug for PhoneInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneInfo")
            .field("country_code", &self.country_code)
            .field("watermark", &self.watermark)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Reply {
    phone_info: PhoneInfo,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
}

impl WeChatClient {
    /// Redeem a getPhoneNumber code (single use, 5 minutes): 40029 when it is unknown, used or
    /// expired (never retried).
    pub async fn user_phone_number(
        &self,
        app: &AppCredentials,
        code: &str,
    ) -> Result<PhoneInfo, WeChatError> {
        self.with_token(app, |token| async move {
            let query = [("access_token", token.expose())];
            let reply: Reply = self
                .post_json(GET_USER_PHONE_NUMBER, &app.app_id, &query, &Body { code })
                .await?;
            Ok(reply.phone_info)
        })
        .await
    }
}
