use super::*;
use std::sync::Arc;

pub(super) async fn same_identity_twice_is_the_same_account(store: SqlAccounts) {
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

pub(super) async fn identities_with_the_same_unionid_share_one_account(store: SqlAccounts) {
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

pub(super) async fn different_people_get_different_accounts(store: SqlAccounts) {
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

pub(super) async fn a_unionid_revealed_later_is_recorded_and_links_later_identities(
    store: SqlAccounts,
) {
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

/// The person of `accounts.join`: first seen by the official account without a unionid
/// (user/info did not answer) while an older account already holds the unionid; a later login
/// that reveals it makes one account of the two. The older survives, with the other's
/// identities, sessions and (having none itself) phone.
pub(super) async fn a_unionid_revealed_later_joins_the_account_that_holds_it(store: SqlAccounts) {
    let older = store
        .find_or_create(&identity("wxweb", "o_web", Some("u_joined")))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let newer = store
        .find_or_create(&identity("wxoa", "o_oa", None))
        .await
        .unwrap();
    assert_ne!(newer.id, older.id, "nothing tells them apart yet");
    let phone = Phone::parse("+8613800138123").unwrap();
    store.bind_phone(&newer.id, &phone).await.unwrap();
    let app = AppId::parse("wxoa").unwrap();
    let session = store
        .issue(&newer.id, Provider::OfficialAccount, &app, HOUR)
        .await
        .unwrap();
    let by_mini_program = store
        .find_or_create(&identity("wxmp", "o_mp", Some("u_joined")))
        .await
        .unwrap();
    assert_eq!(by_mini_program.id, older.id);

    let joined = store
        .find_or_create(&identity("wxoa", "o_oa", Some("u_joined")))
        .await
        .unwrap();

    assert_eq!(joined.id, older.id, "the older account survives");
    assert_eq!(joined.identities.len(), 3);
    assert_eq!(joined.phone.as_deref(), Some(phone.as_str()));
    assert!(store.get(&newer.id).await.unwrap().is_none());
    let (_, subject) = store.rotate(&session.token, HOUR).await.unwrap();
    assert_eq!(
        subject.account_id, older.id,
        "its sessions go on, in the survivor"
    );
    let found = store.find_by_phone(&phone).await.unwrap().unwrap();
    assert_eq!(found.id, older.id);
}

pub(super) async fn when_both_have_a_phone_the_survivor_keeps_its_own(store: SqlAccounts) {
    let older = store
        .find_or_create(&identity("wxweb", "o_web", Some("u_two_phones")))
        .await
        .unwrap();
    let kept = Phone::parse("+8613800138001").unwrap();
    store.bind_phone(&older.id, &kept).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let newer = store
        .find_or_create(&identity("wxoa", "o_oa", None))
        .await
        .unwrap();
    let released = Phone::parse("+8613800138002").unwrap();
    store.bind_phone(&newer.id, &released).await.unwrap();

    let joined = store
        .find_or_create(&identity("wxoa", "o_oa", Some("u_two_phones")))
        .await
        .unwrap();

    assert_eq!(joined.id, older.id);
    assert_eq!(joined.phone.as_deref(), Some(kept.as_str()));
    assert!(store.find_by_phone(&released).await.unwrap().is_none());
}

pub(super) async fn nickname_and_avatar_are_updated_when_given_and_kept_otherwise(
    store: SqlAccounts,
) {
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

pub(super) async fn a_filled_in_nickname_is_loaded_with_the_account_and_replaced(
    store: SqlAccounts,
) {
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    assert_eq!(account.profile.nickname, None);

    store.set_nickname(&account.id, "小明").await.unwrap();
    let renamed = store.set_nickname(&account.id, "小明明").await.unwrap();
    let again = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();

    assert_eq!(renamed.profile.nickname.as_deref(), Some("小明明"));
    assert_eq!(
        again.profile.nickname.as_deref(),
        Some("小明明"),
        "a returning login"
    );
    assert!(matches!(
        store.set_nickname("no-such-account", "x").await,
        Err(AccountError::UnknownAccount)
    ));
}

pub(super) async fn an_avatar_is_pending_until_settled_and_the_accepted_one_stays_shown(
    store: SqlAccounts,
) {
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    let profile = |id: &str| {
        let store = &store;
        let id = id.to_owned();
        async move { store.get(&id).await.unwrap().unwrap().profile }
    };

    store.add_avatar(&account.id, "a1", b"png-1").await.unwrap();
    store.set_avatar_trace("a1", "t1").await.unwrap();
    let pending = profile(&account.id).await;
    assert_eq!(pending.avatar, Some(("a1".into(), AvatarStatus::Pending)));
    assert_eq!(pending.shown_avatar, None);
    assert_eq!(
        store.settle_avatar("t1", true).await.unwrap(),
        Some(account.id.clone())
    );

    store.add_avatar(&account.id, "a2", b"png-2").await.unwrap();
    store.set_avatar_trace("a2", "t2").await.unwrap();
    assert!(store.settle_avatar("t2", false).await.unwrap().is_some());
    let after = profile(&account.id).await;

    assert_eq!(after.avatar, Some(("a2".into(), AvatarStatus::Refused)));
    assert_eq!(after.shown_avatar.as_deref(), Some("a1"));
    assert_eq!(
        store.settle_avatar("t1", false).await.unwrap(),
        None,
        "settled once"
    );
    assert_eq!(
        store.avatar("a1").await.unwrap(),
        Some((b"png-1".to_vec(), AvatarStatus::Accepted))
    );
    assert_eq!(store.avatar("nope").await.unwrap(), None);
    assert!(matches!(
        store.add_avatar("no-such-account", "a3", b"x").await,
        Err(AccountError::UnknownAccount)
    ));
}

pub(super) async fn concurrent_first_logins_of_one_identity_make_one_account(store: SqlAccounts) {
    let store = Arc::new(store);

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
        .fetch_one(&store.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

pub(super) async fn concurrent_first_logins_of_one_person_by_two_apps_make_one_account(
    store: SqlAccounts,
) {
    let store = Arc::new(store);

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let app = format!("wxapp{i}");
                store
                    .find_or_create(&identity(&app, "o1", Some("u1")))
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
    let account = store.get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(account.identities.len(), 10);
}

pub(super) async fn get_returns_the_account_with_its_identities(store: SqlAccounts) {
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
        .fetch_one(&reopened.db.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

/// `accounts.unfollow = "unlink"`: the identity goes, its sessions through that app end, the
/// person's other identities and sessions stay; an account left with nothing is deleted.
pub(super) async fn unlinking_an_identity_ends_its_sessions_only(store: SqlAccounts) {
    let oa = identity("wxoa", "o_follower", Some("u1"));
    let mp = identity("wxmp", "o_mini", Some("u1"));
    let account = store.find_or_create(&oa).await.unwrap();
    assert_eq!(store.find_or_create(&mp).await.unwrap().id, account.id);
    let through_oa = store
        .issue(&account.id, Provider::OfficialAccount, &oa.app_id, HOUR)
        .await
        .unwrap();
    let through_mp = store
        .issue(&account.id, Provider::MiniProgram, &mp.app_id, HOUR)
        .await
        .unwrap();

    assert!(store.unlink(&oa.app_id, &oa.openid).await.unwrap());

    let left = store.get(&account.id).await.unwrap().unwrap();
    assert_eq!(left.identities.len(), 1);
    assert_eq!(left.identities[0].app_id, mp.app_id);
    assert!(matches!(
        store.rotate(&through_oa.token, HOUR).await,
        Err(AccountError::RefreshInvalid)
    ));
    assert!(store.rotate(&through_mp.token, HOUR).await.is_ok());
    assert!(
        !store.unlink(&oa.app_id, &oa.openid).await.unwrap(),
        "already gone"
    );

    // The last identity: the account goes too, phone binding and all; following again starts
    // afresh, and the phone is free to bind.
    let phone = Phone::parse("13800138000").unwrap();
    store.bind_phone(&account.id, &phone).await.unwrap();
    assert!(store.unlink(&mp.app_id, &mp.openid).await.unwrap());
    assert!(store.get(&account.id).await.unwrap().is_none());
    assert!(store.find_by_phone(&phone).await.unwrap().is_none());
    let again = store.find_or_create(&oa).await.unwrap();
    assert_ne!(again.id, account.id);
}
