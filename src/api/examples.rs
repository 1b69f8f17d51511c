//! The examples of the OpenAPI document's bodies (`#[oai(example)]`): one realistic value per
//! type, so that the document shows a client what to send and what comes back.

use super::account::RefreshRequest;
use super::health::{ComponentState, Health, Readiness};
use super::providers::ProvidersResponse;
use super::scenes::CreateSceneRequest;
use super::sms_verification::{BindPhoneRequest, SendCodeRequest};
use crate::edge::error::{ErrorBody, ErrorCode};
use crate::login::{
    AccountView, ClusterState, CreatedScene, IdentityView, LoginResult, ProfileView, Qr, SceneView,
    SmsSent, TokenSet,
};
use crate::scene::{Provider, SceneStatus};
use crate::tokens::{Jwk, Jwks};
use chrono::{DateTime, Utc};
use poem_openapi::types::Example;

pub(crate) const SCENE: &str = "Hk3v9Qm2TzL8wXr4bN6pYa";
const POLL_TOKEN: &str = "q8W2vN4kT7xR1mZ5bJ9cL3fH6dS0gY2aP8eU4iO7tKw";

pub(crate) fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(|_| DateTime::default(), |t| t.to_utc())
}

impl Example for CreateSceneRequest {
    fn example() -> Self {
        Self {
            provider: Provider::MiniProgram,
            scene: None,
            return_url: None,
        }
    }
}

impl Example for CreatedScene {
    fn example() -> Self {
        Self {
            scene: SCENE.into(),
            provider: Provider::MiniProgram,
            poll_token: POLL_TOKEN.into(),
            status: SceneStatus::Pending,
            expires_in: 300,
            interval: 2,
            qr: Qr {
                image: Some("data:image/png;base64,iVBORw0KGgo=".into()),
                url: None,
                wx_login: None,
            },
        }
    }
}

impl Example for TokenSet {
    fn example() -> Self {
        Self {
            access_token: "eyJhbGciOiJFZERTQSIsImtpZCI6IjNrWjkifQ.eyJzdWIiOiJhY2NfOGYzayJ9.c2ln"
                .into(),
            token_type: "Bearer".into(),
            expires_in: 900,
            refresh_token: "rt_Vb7mQ2xK9pL4wZ8cN1fR5tY3hJ6gD0sA".into(),
        }
    }
}

impl Example for SceneView {
    fn example() -> Self {
        Self {
            scene: SCENE.into(),
            status: SceneStatus::Confirmed,
            expires_in: 241,
            interval: 2,
            scanned_by: None,
            refused: None,
            tokens: Some(TokenSet::example()),
            redirect: None,
        }
    }
}

impl Example for AccountView {
    fn example() -> Self {
        Self {
            id: "acc_8f3kQ2vN7xT1".into(),
            phone: Some("+8613800138000".into()),
            created_at: at("2026-01-02T03:04:05Z"),
            identities: vec![IdentityView {
                provider: Provider::MiniProgram,
                app_id: "wx0123456789abcdef".into(),
                openid: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M".into(),
                unionid: Some("o6_bmasdasdsad6_2sgVt7hMZOPfL".into()),
                nickname: None,
                avatar: None,
                created_at: at("2026-01-02T03:04:05Z"),
            }],
            profile: Some(ProfileView {
                nickname: Some("小明".into()),
                avatar: Some("/avatars/Xq3Jd0vT8kZ2mN5pR7sW9yB1cE4fG6hI8jK0lM2nO4p.png".into()),
                avatar_status: Some(crate::accounts::AvatarStatus::Accepted),
            }),
        }
    }
}

impl Example for LoginResult {
    fn example() -> Self {
        Self {
            account: AccountView::example(),
            tokens: TokenSet::example(),
            scene_status: Some(SceneStatus::Confirmed),
        }
    }
}

impl Example for SmsSent {
    fn example() -> Self {
        Self {
            phone: "+8613800138000".into(),
            expires_in: 300,
        }
    }
}

impl Example for Jwks {
    fn example() -> Self {
        Self {
            keys: vec![Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".into(),
                kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k".into(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            }],
        }
    }
}

impl Example for ErrorBody {
    fn example() -> Self {
        Self {
            code: ErrorCode::SceneNotFound,
            message: ErrorCode::SceneNotFound.example_message().into(),
        }
    }
}

impl Example for SendCodeRequest {
    fn example() -> Self {
        Self {
            scene: SCENE.into(),
            phone: "13800138000".into(),
        }
    }
}

impl Example for BindPhoneRequest {
    fn example() -> Self {
        Self {
            scene: SCENE.into(),
            phone: "13800138000".into(),
            code: "482913".into(),
        }
    }
}

impl Example for RefreshRequest {
    fn example() -> Self {
        Self {
            refresh_token: TokenSet::example().refresh_token,
        }
    }
}

impl Example for Health {
    fn example() -> Self {
        Self {
            status: "ok".into(),
        }
    }
}

impl Example for Readiness {
    fn example() -> Self {
        Self {
            status: ComponentState::Ok,
            store: ComponentState::Ok,
            database: ComponentState::Ok,
            cluster: ClusterState::Ok,
            sandbox: false,
        }
    }
}

impl Example for ProvidersResponse {
    fn example() -> Self {
        Self {
            providers: vec![
                Provider::MiniProgram,
                Provider::OfficialAccount,
                Provider::Website,
            ],
            sandbox: false,
            in_wechat: true,
        }
    }
}
