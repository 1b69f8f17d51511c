//! Contract tests of the SQL store: accounts and identities, then refresh-token families.

mod accounts;
mod refresh;

use super::*;

pub(super) const HOUR: Duration = Duration::from_secs(3600);

pub(super) async fn memory() -> SqlAccounts {
    SqlAccounts::connect("sqlite::memory:").await.unwrap()
}

/// A store in a fresh database file, with the directory that holds it.
pub(super) async fn on_disk() -> (SqlAccounts, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    (SqlAccounts::connect(&url).await.unwrap(), dir)
}

pub(super) fn identity(app_id: &str, openid: &str, unionid: Option<&str>) -> NewIdentity {
    NewIdentity {
        provider: Provider::MiniProgram,
        app_id: AppId::parse(app_id).unwrap(),
        openid: OpenId::parse(openid).unwrap(),
        unionid: unionid.map(|u| UnionId::parse(u).unwrap()),
        nickname: None,
        avatar: None,
    }
}
