use super::*;

fn phone(s: &str) -> Phone {
    Phone::parse(s).unwrap()
}

pub(super) async fn a_free_phone_is_bound_and_found(store: SqlAccounts) {
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();

    let bound = store
        .bind_phone(&account.id, &phone("13800138000"))
        .await
        .unwrap();

    assert!(!bound.linked);
    assert_eq!(bound.account.id, account.id);
    assert_eq!(bound.account.phone.as_deref(), Some("+8613800138000"));
    let found = store.find_by_phone(&phone("+8613800138000")).await.unwrap();
    assert_eq!(found.unwrap().id, account.id);
    assert!(
        store
            .find_by_phone(&phone("13900139000"))
            .await
            .unwrap()
            .is_none()
    );
}

pub(super) async fn binding_the_same_phone_again_changes_nothing(store: SqlAccounts) {
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    store
        .bind_phone(&account.id, &phone("13800138000"))
        .await
        .unwrap();

    let again = store
        .bind_phone(&account.id, &phone("13800138000"))
        .await
        .unwrap();

    assert!(!again.linked);
    assert_eq!(again.account.id, account.id);
}

pub(super) async fn a_phone_of_another_account_links_this_one_into_it(store: SqlAccounts) {
    let owner = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();
    store
        .bind_phone(&owner.id, &phone("13800138000"))
        .await
        .unwrap();
    let other = store
        .find_or_create(&identity("wxb", "o2", Some("u2")))
        .await
        .unwrap();
    let session = store
        .issue(
            &other.id,
            Provider::Website,
            &AppId::parse("wxb").unwrap(),
            HOUR,
        )
        .await
        .unwrap();

    let bound = store
        .bind_phone(&other.id, &phone("13800138000"))
        .await
        .unwrap();

    assert!(bound.linked);
    assert_eq!(bound.account.id, owner.id);
    assert_eq!(bound.account.identities.len(), 2);
    assert!(store.get(&other.id).await.unwrap().is_none());
    // The identity now logs into the owner's account, and its session followed it.
    let again = store
        .find_or_create(&identity("wxb", "o2", Some("u2")))
        .await
        .unwrap();
    assert_eq!(again.id, owner.id);
    let (_, subject) = store.rotate(&session.token, HOUR).await.unwrap();
    assert_eq!(subject.account_id, owner.id);
}

pub(super) async fn binding_to_an_unknown_account_is_refused(store: SqlAccounts) {
    let result = store
        .bind_phone("no-such-account", &phone("13800138000"))
        .await;

    assert!(matches!(result, Err(AccountError::UnknownAccount)));
}

pub(super) async fn without_unionid_linking_each_identity_has_its_own_account(store: SqlAccounts) {
    let store = store.link_by_unionid(false);
    let mini = store
        .find_or_create(&identity("wxmini", "o1", Some("u1")))
        .await
        .unwrap();

    let web = store
        .find_or_create(&identity("wxweb", "o2", Some("u1")))
        .await
        .unwrap();

    assert_ne!(mini.id, web.id);
    assert_eq!(
        web.identities[0].unionid,
        Some(UnionId::parse("u1").unwrap())
    );
}

pub(super) async fn a_merged_account_brings_its_filled_in_profile_unless_the_survivor_has_one(
    store: SqlAccounts,
) {
    let owner = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();
    store
        .bind_phone(&owner.id, &phone("13800138000"))
        .await
        .unwrap();
    let filled = store
        .find_or_create(&identity("wxb", "o2", Some("u2")))
        .await
        .unwrap();
    store.set_nickname(&filled.id, "小明").await.unwrap();
    store.add_avatar(&filled.id, "a1", b"png").await.unwrap();
    let named = store
        .find_or_create(&identity("wxc", "o3", Some("u3")))
        .await
        .unwrap();
    store.set_nickname(&named.id, "别的名字").await.unwrap();

    let bound = store
        .bind_phone(&filled.id, &phone("13800138000"))
        .await
        .unwrap();
    let survivor = store.get(&owner.id).await.unwrap().unwrap();

    assert_eq!(bound.account.id, owner.id);
    assert_eq!(survivor.profile.nickname.as_deref(), Some("小明"));
    assert_eq!(
        survivor.profile.avatar,
        Some(("a1".into(), AvatarStatus::Pending))
    );

    store
        .bind_phone(&named.id, &phone("13800138000"))
        .await
        .unwrap();
    let kept = store.get(&owner.id).await.unwrap().unwrap();
    assert_eq!(
        kept.profile.nickname.as_deref(),
        Some("小明"),
        "the survivor keeps its own"
    );
}
