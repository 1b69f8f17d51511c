use super::*;
use crate::accounts::events::{EventType, LoginDetails, StoredEvent};
use crate::accounts::{EventLog, EventQuery};
use crate::config::SignUp;
use crate::scene::Refusal;

pub(super) fn details(identity: &NewIdentity) -> LoginDetails {
    LoginDetails {
        provider: identity.provider.as_str().into(),
        app_id: identity.app_id.to_string(),
        client_id: None,
        ip: Some("203.0.113.7".into()),
        user_agent: Some("test".into()),
    }
}

async fn events_of(store: &SqlAccounts, account_id: Option<&str>) -> Vec<StoredEvent> {
    store
        .events(&EventQuery {
            account_id: account_id.map(str::to_owned),
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap()
}

/// The types, sorted: what a test asserts is which events were recorded.
fn types(events: &[StoredEvent]) -> Vec<&'static str> {
    let mut types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    types.sort_unstable();
    types
}

fn data_of(events: &[StoredEvent], event_type: EventType) -> serde_json::Value {
    let event = events.iter().find(|e| e.event_type == event_type).unwrap();
    serde_json::from_str(&event.data).unwrap()
}

pub(super) async fn a_first_login_records_the_account_created_and_the_login(store: SqlAccounts) {
    let account = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();

    let events = events_of(&store, Some(&account.id)).await;
    assert_eq!(
        types(&events),
        ["account.created", "login.succeeded", "login.succeeded"]
    );
    let data = data_of(&events, EventType::AccountCreated);
    assert_eq!(data["login"]["ip"], "203.0.113.7");
    assert_eq!(data["provisioned"], false);
    assert_eq!(events[0].actor, "system");
}

/// Events of one millisecond list newest first as they happened: a first login's
/// `login.succeeded` above its `account.created`, for every one of twenty people (their ids
/// decide within a millisecond: random ids put them in the wrong order about half the time).
pub(super) async fn events_of_one_millisecond_list_in_the_order_they_happened(store: SqlAccounts) {
    for n in 0..20 {
        let account = store
            .find_or_create(&identity("wxa", &format!("o{n}"), None))
            .await
            .unwrap();
        let events = events_of(&store, Some(&account.id)).await;
        let listed: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(listed, ["login.succeeded", "account.created"], "person {n}");
    }
}

/// Returning people logging in at once (their events are written in groups): every login is
/// one `login.succeeded` of its own account, each queued once for the webhook endpoint, and
/// all of it is committed when the logins answer.
pub(super) async fn concurrent_returning_logins_each_record_their_event_and_delivery(
    store: SqlAccounts,
) {
    store
        .sync_configured_webhooks(
            &[super::outbox::spec("https://hook.example/", None)],
            super::outbox::DAY,
        )
        .await
        .unwrap();
    let people: Vec<NewIdentity> = (0..40)
        .map(|n| identity("wxa", &format!("o{n}"), None))
        .collect();
    let mut accounts = Vec::new();
    for person in &people {
        accounts.push(store.find_or_create(person).await.unwrap().id);
    }

    let details: Vec<_> = people.iter().map(details).collect();
    let logins = people.iter().zip(&details).map(|(p, d)| store.log_in(p, d));
    let admitted = futures::future::join_all(logins).await;

    for (n, admission) in admitted.into_iter().enumerate() {
        let Admission::Admitted { account, created } = admission.unwrap() else {
            panic!("person {n} was refused");
        };
        assert_eq!(
            (account.id.as_str(), created),
            (accounts[n].as_str(), false)
        );
        let events = events_of(&store, Some(&account.id)).await;
        assert_eq!(
            types(&events),
            ["account.created", "login.succeeded", "login.succeeded"],
            "person {n}"
        );
    }
    let (queued,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
         WHERE e.type = 'login.succeeded'",
    )
    .fetch_one(&store.db.pool)
    .await
    .unwrap();
    assert_eq!(queued, 80);
}

pub(super) async fn provisioned_only_refuses_an_unknown_person_and_creates_nothing(
    store: SqlAccounts,
) {
    let store = store.sign_up(SignUp::ProvisionedOnly);
    let person = identity("wxa", "o1", Some("u1"));

    let admission = store.log_in(&person, &details(&person)).await.unwrap();

    assert_eq!(
        admission,
        Admission::Refused {
            account_id: None,
            reason: Refusal::NotProvisioned
        }
    );
    let (accounts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(&store.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
    let events = events_of(&store, None).await;
    assert_eq!(types(&events), ["login.refused"]);
    assert!(events[0].account_id.is_none());
}

pub(super) async fn a_disabled_account_is_refused_and_the_refusal_recorded(store: SqlAccounts) {
    let person = identity("wxa", "o1", None);
    let account = store.find_or_create(&person).await.unwrap();
    sqlx::query("UPDATE accounts SET disabled_at = 1 WHERE id = $1")
        .bind(&account.id)
        .execute(&store.db.pool)
        .await
        .unwrap();

    let admission = store.log_in(&person, &details(&person)).await.unwrap();

    assert_eq!(
        admission,
        Admission::Refused {
            account_id: Some(account.id.clone()),
            reason: Refusal::AccountDisabled
        }
    );
    let events = events_of(&store, Some(&account.id)).await;
    assert_eq!(events[0].event_type, EventType::LoginRefused);
}

pub(super) async fn a_merge_records_both_ids_on_the_survivor(store: SqlAccounts) {
    let phone = Phone::parse("+8613800138000").unwrap();
    let first = store
        .find_or_create(&identity("wxa", "o1", None))
        .await
        .unwrap();
    store.bind_phone(&first.id, &phone).await.unwrap();
    let second = store
        .find_or_create(&identity("wxb", "o2", None))
        .await
        .unwrap();

    store.bind_phone(&second.id, &phone).await.unwrap();

    let events = events_of(&store, Some(&first.id)).await;
    let changes: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.event_type == EventType::AccountUpdated)
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let merged = changes.iter().find(|c| c["change"] == "merged").unwrap();
    assert_eq!(merged["merged_from"], second.id.as_str());
    assert_eq!(merged["merged_into"], first.id.as_str());
    assert!(changes.iter().any(|c| c["change"] == "phone_bound"));
}

pub(super) async fn events_page_newest_first_by_cursor_and_filter(store: SqlAccounts) {
    for openid in ["o1", "o2", "o3"] {
        store
            .find_or_create(&identity("wxa", openid, None))
            .await
            .unwrap();
    }
    let all = events_of(&store, None).await;
    assert_eq!(all.len(), 6);
    let newest_first = all
        .windows(2)
        .all(|w| (w[0].created_at, &w[0].id) > (w[1].created_at, &w[1].id));
    assert!(newest_first);

    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .events(&EventQuery {
                before: before.clone(),
                limit: 4,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.created_at, last.id.clone()));
        // An event recorded between two pages is newer than the cursor: never on a later page.
        tokio::time::sleep(Duration::from_millis(2)).await;
        store
            .find_or_create(&identity("wxa", "o1", None))
            .await
            .unwrap();
        paged.extend(page);
    }
    assert_eq!(paged, all);

    let created = store
        .events(&EventQuery {
            event_type: Some(EventType::AccountCreated),
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(created.len(), 3);
}

pub(super) async fn search_finds_by_id_openid_and_unionid_newest_first(store: SqlAccounts) {
    use crate::accounts::Lifecycle;
    let first = store
        .find_or_create(&identity("wxa", "o1", Some("u1")))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2)).await;
    let second = store
        .find_or_create(&identity("wxa", "o2", None))
        .await
        .unwrap();

    let ids = |accounts: Vec<Account>| accounts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.search("", None, 10).await.unwrap()),
        vec![second.id.clone(), first.id.clone()]
    );
    assert_eq!(
        ids(store.search("u1", None, 10).await.unwrap()),
        vec![first.id.clone()]
    );
    assert_eq!(
        ids(store.search("o2", None, 10).await.unwrap()),
        vec![second.id.clone()]
    );
    assert_eq!(
        ids(store.search(&first.id, None, 10).await.unwrap()),
        vec![first.id.clone()]
    );
    let cursor = (second.created_at.timestamp_millis(), second.id.clone());
    assert_eq!(
        ids(store.search("", Some(cursor), 10).await.unwrap()),
        vec![first.id.clone()]
    );
    assert!(store.search("nobody", None, 10).await.unwrap().is_empty());
}
