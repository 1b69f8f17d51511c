use super::refresh::hash_token;
use super::*;
use std::sync::Arc;

const HOUR: Duration = Duration::from_secs(3600);

async fn memory() -> SqlAccounts {
    SqlAccounts::connect("sqlite::memory:").await.unwrap()
}

fn identity(app_id: &str, openid: &str, unionid: Option<&str>) -> NewIdentity {
    NewIdentity {
        provider: Provider::MiniProgram,
        app_id: AppId::parse(app_id).unwrap(),
        openid: OpenId::parse(openid).unwrap(),
        unionid: unionid.map(|u| UnionId::parse(u).unwrap()),
        nickname: None,
        avatar: None,
    }
}

#[tokio::test]
async fn same_identity_twice_is_the_same_account() {
    let store = memory().await;
    let first = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();

    let second = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();

    assert_eq!(first.id, second.id);
    assert_eq!(second.identities.len(), 1);
}

#[tokio::test]
async fn identities_with_the_same_unionid_share_one_account() {
    let store = memory().await;
    let mini = store
        .find_or_create(&identity("wxmini", "o1", Some("u1")))
        .await
        .unwrap();

    let mut web = identity("wxweb", "o2", Some("u1"));
    web.provider = Provider::Website;
    let website = store.find_or_create(&web).await.unwrap();

    assert_eq!(mini.id, website.id);
    assert_eq!(website.identities.len(), 2);
    assert_eq!(website.identities[1].provider, Provider::Website);
}

#[tokio::test]
async fn different_people_get_different_accounts() {
    let store = memory().await;
    let a = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();

    let b = store
        .find_or_create(&identity("wxa", "o2", Some("u2")))
        .await
        .unwrap();

    assert_ne!(a.id, b.id);
}

#[tokio::test]
async fn a_unionid_revealed_later_is_recorded_and_links_later_identities() {
    let store = memory().await;
    let first = store
        .find_or_create(&identity("wxoa", "o1", None))
        .await
        .unwrap();

    let again = store
        .find_or_create(&identity("wxoa", "o1", Some("u1")))
        .await
        .unwrap();
    let other = store
        .find_or_create(&identity("wxweb", "o2", Some("u1")))
        .await
        .unwrap();

    assert_eq!(again.id, first.id);
    assert_eq!(
        again.identities[0].unionid,
        Some(UnionId::parse("u1").unwrap())
    );
    assert_eq!(other.id, first.id);
}

#[tokio::test]
async fn nickname_and_avatar_are_updated_when_given_and_kept_otherwise() {
    let store = memory().await;
    let mut named = identity("wxa", "o1", None);
    named.nickname = Some("Ann".into());
    named.avatar = Some("https://a/1.png".into());
    store.find_or_create(&named).await.unwrap();

    let unnamed = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    named.nickname = Some("Anna".into());
    let renamed = store.find_or_create(&named).await.unwrap();

    assert_eq!(unnamed.identities[0].nickname.as_deref(), Some("Ann"));
    assert_eq!(
        unnamed.identities[0].avatar.as_deref(),
        Some("https://a/1.png")
    );
    assert_eq!(renamed.identities[0].nickname.as_deref(), Some("Anna"));
}

#[tokio::test]
async fn concurrent_first_logins_of_one_identity_make_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    let store = Arc::new(SqlAccounts::connect(&url).await.unwrap());

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .find_or_create(&identity("wxa", "o1", Some("u1")))
                    .await
                    .unwrap()
                    .id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }

    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1);
    let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn get_returns_the_account_with_its_identities() {
    let store = memory().await;
    let created = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();
    store
        .find_or_create(&identity("wxb", "o2", Some("u1")))
        .await
        .unwrap();

    let account = store.get(&created.id).await.unwrap().unwrap();

    assert_eq!(account.identities.len(), 2);
    assert_eq!(account.identities[0].app_id.as_str(), "wxa");
    assert_eq!(account.identities[1].app_id.as_str(), "wxb");
    assert!(store.get("no-such-account").await.unwrap().is_none());
    store.ping().await.unwrap();
}

#[tokio::test]
async fn a_database_file_is_created_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    let id = {
        let store = SqlAccounts::connect(&url).await.unwrap();
        store
            .find_or_create(&identity("wxa", "o1", None))
            .await
            .unwrap()
            .id
    };

    let reopened = SqlAccounts::connect(&url).await.unwrap();

    assert!(reopened.get(&id).await.unwrap().is_some());
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&reopened.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

async fn account(store: &SqlAccounts) -> String {
    store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap()
        .id
}

fn app() -> AppId {
    AppId::parse("wxa").unwrap()
}

#[tokio::test]
async fn rotation_returns_a_working_token_and_the_subject() {
    let store = memory().await;
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::Website, &app(), HOUR)
        .await
        .unwrap();

    let (rotated, subject) = store.rotate(&issued.token, HOUR).await.unwrap();

    assert_ne!(rotated.token, issued.token);
    assert_eq!(subject.account_id, account_id);
    assert_eq!(subject.provider, Provider::Website);
    assert_eq!(subject.app_id, app());
    assert!(store.rotate(&rotated.token, HOUR).await.is_ok());
}

#[tokio::test]
async fn a_reused_token_revokes_its_family() {
    let store = memory().await;
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (newest, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    let reused = store.rotate(&issued.token, HOUR).await;

    assert!(matches!(reused, Err(AccountError::RefreshReused)));
    let newest = store.rotate(&newest.token, HOUR).await;
    assert!(matches!(newest, Err(AccountError::RefreshInvalid)));
}

#[tokio::test]
async fn concurrent_rotations_of_one_token_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    let store = Arc::new(SqlAccounts::connect(&url).await.unwrap());
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (store, token) = (store.clone(), issued.token.clone());
            tokio::spawn(async move { store.rotate(&token, HOUR).await })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Ok((rotated, _)) = task.await.unwrap() {
            winners.push(rotated);
        }
    }

    assert_eq!(winners.len(), 1);
    // The losers replayed a used token: the winner's session is revoked too.
    let after = store.rotate(&winners[0].token, HOUR).await;
    assert!(matches!(after, Err(AccountError::RefreshInvalid)));
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_invalid() {
    let store = memory().await;
    let account_id = account(&store).await;
    let expired = store
        .issue(&account_id, Provider::MiniProgram, &app(), Duration::ZERO)
        .await
        .unwrap();

    let unknown = store.rotate(&Secret::new("nope"), HOUR).await;
    let late = store.rotate(&expired.token, HOUR).await;

    assert!(matches!(unknown, Err(AccountError::RefreshInvalid)));
    assert!(matches!(late, Err(AccountError::RefreshInvalid)));
}

#[tokio::test]
async fn revoke_kills_the_family_and_ignores_unknown_tokens() {
    let store = memory().await;
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (newest, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    store.revoke(&issued.token).await.unwrap();
    store.revoke(&Secret::new("unknown")).await.unwrap();

    let after = store.rotate(&newest.token, HOUR).await;
    assert!(matches!(after, Err(AccountError::RefreshInvalid)));
}

#[tokio::test]
async fn the_database_never_holds_a_plain_token() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("saoma.db").display());
    let store = SqlAccounts::connect(&url).await.unwrap();
    let account_id = account(&store).await;
    let issued = store
        .issue(&account_id, Provider::MiniProgram, &app(), HOUR)
        .await
        .unwrap();
    let (rotated, _) = store.rotate(&issued.token, HOUR).await.unwrap();

    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }

    for token in [&issued.token, &rotated.token] {
        assert_eq!(token.expose().len(), 43);
        let plain = token.expose().as_bytes();
        assert!(!bytes.windows(plain.len()).any(|w| w == plain));
        let hash = hash_token(token);
        assert!(bytes.windows(hash.len()).any(|w| w == hash.as_bytes()));
    }
    assert!(!format!("{issued:?}").contains(issued.token.expose()));
}
