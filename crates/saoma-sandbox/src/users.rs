//! Fake WeChat users, persisted in `<data_dir>/sandbox/users.json`, and their ids: an openid
//! per app and one unionid, derived from the user, the app and a per-data-dir secret so that
//! they survive restarts.

use anyhow::Context;
use base64::Engine;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::State;
use super::errors::{api_error, parse_api_body, random_hex};
use crate::secret::Secret;

const MAX_NICKNAME_CHARS: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) nickname: String,
    pub(crate) created_at: chrono::DateTime<chrono::Utc>,
}

pub(crate) struct Users {
    path: PathBuf,
    list: Mutex<Vec<User>>,
    /// Serialises file writes so that the last snapshot written is the newest.
    write: tokio::sync::Mutex<()>,
}

impl Users {
    pub(crate) fn load(path: PathBuf) -> anyhow::Result<Users> {
        let list = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(Users {
            path,
            list: Mutex::new(list),
            write: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<User>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn all(&self) -> Vec<User> {
        self.lock().clone()
    }

    pub(crate) fn get(&self, id: &str) -> Option<User> {
        self.lock().iter().find(|u| u.id == id).cloned()
    }

    async fn add(&self, nickname: String) -> anyhow::Result<User> {
        let _writing = self.write.lock().await;
        let (user, snapshot) = {
            let mut list = self.lock();
            let mut id = format!("u{}", random_hex(4));
            while list.iter().any(|u| u.id == id) {
                id = format!("u{}", random_hex(4));
            }
            let user = User {
                id,
                nickname,
                created_at: chrono::Utc::now(),
            };
            list.push(user.clone());
            (user, serde_json::to_vec_pretty(&*list)?)
        };
        let tmp = self.path.with_extension("json.tmp");
        tokio::fs::write(&tmp, snapshot)
            .await
            .with_context(|| format!("writing {}", tmp.display()))?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .with_context(|| format!("replacing {}", self.path.display()))?;
        Ok(user)
    }
}

/// Reads the id-derivation secret, or creates it (32 random bytes, hex) on first start.
pub(crate) fn load_or_create_secret(path: &Path) -> anyhow::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Ok(Secret::new(text.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let secret = random_hex(32);
    std::fs::write(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    Ok(Secret::new(secret))
}

/// 28 characters starting with `o`, like real openids and unionids.
fn derive_id(secret: &Secret, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(secret.expose().as_bytes());
    for part in parts {
        hash.update([0u8]);
        hash.update(part.as_bytes());
    }
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash.finalize());
    format!("o{}", encoded.get(..27).unwrap_or(&encoded))
}

impl State {
    pub(crate) fn openid(&self, user_id: &str, app_id: &str) -> String {
        derive_id(&self.id_secret, &["openid", user_id, app_id])
    }

    pub(crate) fn unionid(&self, user_id: &str) -> String {
        derive_id(&self.id_secret, &["unionid", user_id])
    }

    fn user_view(&self, user: &User, app_ids: &[String]) -> serde_json::Value {
        let openids: BTreeMap<&String, String> = app_ids
            .iter()
            .map(|app| (app, self.openid(&user.id, app)))
            .collect();
        // Whether they follow the sandbox's official account (`null`: none configured): the
        // phone page offers "follow and log in" or "log in" accordingly.
        let follows = self
            .official_account
            .as_ref()
            .map(|oa| self.oa.follower(&oa.app_id, &user.id).is_some());
        serde_json::json!({
            "id": user.id,
            "nickname": user.nickname,
            "unionid": self.unionid(&user.id),
            "openids": openids,
            "created_at": user.created_at,
            "follows_official_account": follows,
        })
    }
}

#[derive(Deserialize)]
struct CreateUser {
    nickname: Option<String>,
}

/// `POST /api/users {nickname?}`: a new fake WeChat user
/// `{id, nickname, unionid, openids, follows_official_account}`
/// (`openids`: one per app the sandbox has seen so far).
#[handler]
pub(crate) async fn create_user(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: CreateUser = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    let nickname = body.nickname.unwrap_or_default().trim().to_owned();
    if nickname.chars().count() > MAX_NICKNAME_CHARS {
        let message = format!("nickname is longer than {MAX_NICKNAME_CHARS} characters");
        return api_error(StatusCode::BAD_REQUEST, "bad_request", &message);
    }
    let nickname = if nickname.is_empty() {
        format!("微信用户{}", rand::rng().random_range(1000..10000))
    } else {
        nickname
    };
    match state.users.add(nickname).await {
        Ok(user) => {
            let view = state.user_view(&user, &state.apps.ids());
            (StatusCode::CREATED, Json(view)).into_response()
        }
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "sandbox: saving a fake user failed"
            );
            let message = "could not save the user";
            api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
        }
    }
}

/// `GET /api/users`: every fake user, oldest first.
#[handler]
pub(crate) async fn list_users(Data(state): Data<&Arc<State>>) -> Json<serde_json::Value> {
    let app_ids = state.apps.ids();
    let users = state.users.lock().clone();
    let views: Vec<_> = users.iter().map(|u| state.user_view(u, &app_ids)).collect();
    Json(serde_json::Value::Array(views))
}
