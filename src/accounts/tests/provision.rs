use super::*;
use crate::accounts::Lifecycle;
use crate::accounts::events::Actor;

fn admin() -> Actor {
    Actor::Admin("client:ops".into())
}

pub(super) async fn a_provisioned_unionid_is_the_first_logins_account_and_is_taken(
    store: SqlAccounts,
) {
    let unionid = UnionId::parse("u-provisioned").unwrap();
    let provisioned = store
        .provision(None, Some(&unionid), &admin())
        .await
        .unwrap();
    assert!(provisioned.provisioned_at.is_some() && provisioned.identities.is_empty());
    let found = store.search("u-provisioned", None, 10).await.unwrap();
    assert_eq!(found.len(), 1, "found by its provisioned unionid");

    let again = store.provision(None, Some(&unionid), &admin()).await;
    assert!(matches!(again, Err(AccountError::AccountExists)));

    let account = store
        .find_or_create(&identity("wxa", "o1", Some("u-provisioned")))
        .await
        .unwrap();
    assert_eq!(account.id, provisioned.id);
    let held = UnionId::parse("u-provisioned").unwrap();
    let taken = store.provision(None, Some(&held), &admin()).await;
    assert!(matches!(taken, Err(AccountError::AccountExists)));
}

pub(super) async fn a_taken_phone_is_refused_and_nothing_is_created(store: SqlAccounts) {
    let phone = Phone::parse("+8613800138000").unwrap();
    let account = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();
    store.bind_phone(&account.id, &phone).await.unwrap();
    let free = UnionId::parse("u-free").unwrap();

    let taken = store.provision(Some(&phone), Some(&free), &admin()).await;

    assert!(matches!(taken, Err(AccountError::AccountExists)));
    assert_eq!(store.search("", None, 10).await.unwrap().len(), 1);
    let other = Phone::parse("+8613900139000").unwrap();
    let made = store
        .provision(Some(&other), Some(&free), &admin())
        .await
        .unwrap();
    assert_eq!(made.phone, None, "an admin's word, not a proof");
    assert_eq!(made.provisioned_phone.as_deref(), Some("+8613900139000"));
}
