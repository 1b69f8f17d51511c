//! The examples of the OAuth operations' bodies in the OpenAPI document (`#[oai(example)]`).

use super::api::{EmptyBody, RevokeForm};
use super::claims::{UserInfo, WeChatIdentity};
use super::token_body::TokenBody;
use super::token_request::TokenForm;
use crate::scene::Provider;
use poem_openapi::types::Example;

const REFRESH_TOKEN: &str = "r7Yb2Kq9Xv4Lm8Tn1Wc6Pz3Hd5Gf0Js2Ua7Ek9Oi4Ql";
const ACCESS_TOKEN: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImtQcksifQ.eyJzdWIiOiJhY2NfN2YzYSJ9.c2ln";

impl Example for TokenForm {
    fn example() -> Self {
        Self {
            grant_type: Some("authorization_code".into()),
            code: Some("Sx8vQ2mLk4Tz9Wn1Yb6Rc3Hp".into()),
            redirect_uri: Some("https://grafana.example.com/login/generic_oauth".into()),
            code_verifier: Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
            refresh_token: None,
            client_id: Some("grafana".into()),
            client_secret: Some("s3cr3t-from-client_secret_file".into()),
            scope: None,
        }
    }
}

impl Example for TokenBody {
    fn example() -> Self {
        Self {
            access_token: ACCESS_TOKEN.into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            refresh_token: Some(REFRESH_TOKEN.into()),
            id_token: Some(
                "eyJhbGciOiJSUzI1NiIsImtpZCI6InJzYS0yMDI2LTExIn0.eyJzdWIiOiJhY2NfN2YzYSJ9.c2ln"
                    .into(),
            ),
            scope: "openid profile phone".into(),
        }
    }
}

impl Example for RevokeForm {
    fn example() -> Self {
        Self {
            token: Some(REFRESH_TOKEN.into()),
            token_type_hint: Some("refresh_token".into()),
            client_id: Some("grafana".into()),
            client_secret: Some("s3cr3t-from-client_secret_file".into()),
        }
    }
}

impl Example for EmptyBody {
    fn example() -> Self {
        Self {}
    }
}

impl Example for UserInfo {
    fn example() -> Self {
        Self {
            sub: "acc_7f3a9c2e5b".into(),
            name: Some("小明".into()),
            picture: Some("https://thirdwx.qlogo.cn/mmopen/vi_32/avatar/132".into()),
            phone_number: Some("+8613800138000".into()),
            phone_number_verified: Some(true),
            wechat_identities: Some(vec![WeChatIdentity {
                provider: Provider::MiniProgram,
                app_id: "wx1234567890abcdef".into(),
                openid: "oAbCd1234567890efghijklmnop".into(),
                unionid: Some("o6_bmasdasdsad6_2sgVt7hMZOPfL".into()),
            }]),
        }
    }
}
