use super::*;
use crate::accounts::events::{Actor, DeletedBy};
use crate::accounts::{EventLog, EventQuery, Lifecycle};
use crate::secret::Secret;

async fn account(store: &SqlAccounts, openid: &str) -> String {
    store
        .find_or_create(&identity("wxa", openid, None))
        .await
        .unwrap()
        .id
}

fn new(account_id: &str, expires_in_ms: i64) -> NewSso {
    NewSso {
        account_id: account_id.to_owned(),
        provider: Provider::Website,
        app_id: AppId::parse("wxa").unwrap(),
        auth_time: 1_767_323_045,
        expires_at: chrono::Utc::now().timestamp_millis() + expires_in_ms,
    }
}

/// The `session.revoked` events of an account: (sid, client ids, cause), oldest first.
async fn revoked(store: &SqlAccounts, account_id: &str) -> Vec<(String, Vec<String>, String)> {
    let page = store
        .events(&EventQuery {
            account_id: Some(account_id.to_owned()),
            event_type: Some(crate::accounts::events::EventType::SessionRevoked),
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    page.iter()
        .rev()
        .map(|e| {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            assert_eq!(data["kind"], "sso");
            let clients = data["client_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect();
            let sid = data["session_id"].as_str().unwrap().to_owned();
            (sid, clients, data["cause"].as_str().unwrap().to_owned())
        })
        .collect()
}

pub(super) async fn a_session_is_found_by_its_cookie_and_named_by_another_sid(store: SqlAccounts) {
    let id = account(&store, "o1").await;
    let cookie = Secret::new("cookie-secret-of-the-browser");
    let sid = store.open(&cookie, &new(&id, 60_000)).await.unwrap();
    assert_ne!(sid, cookie.expose());

    let found = store.find(&cookie).await.unwrap().expect("live");
    assert_eq!(
        (found.sid.as_str(), found.account_id.as_str()),
        (sid.as_str(), id.as_str())
    );
    assert_eq!(found.auth_time, 1_767_323_045);
    assert!(
        store.find(&Secret::new(&sid)).await.unwrap().is_none(),
        "the sid opens nothing"
    );

    store.add_client(&sid, "grafana").await.unwrap();
    store.add_client(&sid, "spa").await.unwrap();
    store.add_client(&sid, "grafana").await.unwrap();
    let listed = store.of_account(&id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_ids, ["grafana", "spa"]);
}

pub(super) async fn logout_ends_the_session_with_one_event(store: SqlAccounts) {
    let id = account(&store, "o1").await;
    let cookie = Secret::new("cookie-1");
    let sid = store.open(&cookie, &new(&id, 60_000)).await.unwrap();
    store.add_client(&sid, "grafana").await.unwrap();

    assert!(store.end(&cookie).await.unwrap());
    assert!(store.find(&cookie).await.unwrap().is_none());
    assert!(!store.end(&cookie).await.unwrap(), "ended once");
    store.add_client(&sid, "spa").await.unwrap();
    assert_eq!(
        revoked(&store, &id).await,
        [(sid, vec!["grafana".to_owned()], "logout".to_owned())]
    );
}

pub(super) async fn admin_disable_and_delete_end_every_session_of_the_account(store: SqlAccounts) {
    let [a, b, other] = [
        account(&store, "oa").await,
        account(&store, "ob").await,
        account(&store, "oc").await,
    ];
    let admin = Actor::Admin("client:ops".into());
    let mut cookies = Vec::new();
    for (n, id) in [&a, &a, &b, &other].into_iter().enumerate() {
        let cookie = Secret::new(format!("cookie-{n}"));
        store.open(&cookie, &new(id, 60_000)).await.unwrap();
        cookies.push(cookie);
    }

    let ended = store.end_sessions(&a, &admin).await.unwrap();
    assert_eq!(ended.sso, 2);
    assert!(store.find(&cookies[0]).await.unwrap().is_none());
    assert!(store.find(&cookies[1]).await.unwrap().is_none());
    assert_eq!(revoked(&store, &a).await.len(), 2);
    assert!(
        !store.end(&cookies[0]).await.unwrap(),
        "a logout after it ends nothing"
    );
    assert_eq!(revoked(&store, &a).await.len(), 2, "nor records anything");

    let ended = store.disable(&b, None, &admin).await.unwrap();
    assert_eq!(ended.sso, 1);
    assert!(store.find(&cookies[2]).await.unwrap().is_none());
    assert_eq!(revoked(&store, &b).await[0].2, "disabled");

    store
        .delete(&other, DeletedBy::Admin, &admin)
        .await
        .unwrap();
    assert!(store.find(&cookies[3]).await.unwrap().is_none());
    let kept = revoked(&store, &other).await;
    assert_eq!(kept.len(), 1, "kept past the erasure: {kept:?}");
    assert_eq!(kept[0].2, "deleted");
}

pub(super) async fn expired_sessions_answer_nothing_and_are_swept(store: SqlAccounts) {
    let id = account(&store, "o1").await;
    let old = Secret::new("cookie-old");
    let live = Secret::new("cookie-live");
    store.open(&old, &new(&id, -1)).await.unwrap();
    store.open(&live, &new(&id, 60_000)).await.unwrap();
    assert!(store.find(&old).await.unwrap().is_none());
    assert_eq!(store.of_account(&id).await.unwrap().len(), 1);

    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(store.prune_expired(now).await.unwrap(), 1);
    assert_eq!(store.prune_expired(now).await.unwrap(), 0);
    assert!(store.find(&live).await.unwrap().is_some());
}

pub(super) async fn a_merge_moves_the_sessions_to_the_survivor(store: SqlAccounts) {
    let phone = Phone::parse("+8613800138000").unwrap();
    let survivor = account(&store, "o1").await;
    store.bind_phone(&survivor, &phone).await.unwrap();
    let joining = account(&store, "o2").await;
    let cookie = Secret::new("cookie-1");
    store.open(&cookie, &new(&joining, 60_000)).await.unwrap();

    let bound = store.bind_phone(&joining, &phone).await.unwrap();
    assert_eq!(bound.account.id, survivor);
    let found = store
        .find(&cookie)
        .await
        .unwrap()
        .expect("the login goes on");
    assert_eq!(found.account_id, survivor);
}

fn backchannel(client_id: &str) -> crate::accounts::backchannel::BackchannelSpec {
    crate::accounts::backchannel::BackchannelSpec {
        client_id: client_id.to_owned(),
        url: format!("https://{client_id}.example/backchannel"),
    }
}

pub(super) async fn an_ended_session_is_queued_for_the_logout_uri_of_each_of_its_clients(
    store: SqlAccounts,
) {
    use crate::accounts::DeliveryKind;
    let id = account(&store, "o1").await;
    store
        .sync_backchannel_endpoints(&[backchannel("grafana"), backchannel("idle")])
        .await
        .unwrap();
    let webhook = crate::accounts::EndpointSpec {
        url: "https://hooks.example/".into(),
        secret: Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        events: None,
    };
    store
        .sync_configured_webhooks(&[webhook], std::time::Duration::ZERO)
        .await
        .unwrap();
    let cookie = Secret::new("cookie-1");
    let sid = store.open(&cookie, &new(&id, 60_000)).await.unwrap();
    // `spa` got tokens but has no logout URI; `idle` has one but got no tokens.
    for client in ["grafana", "spa"] {
        store.add_client(&sid, client).await.unwrap();
    }

    assert!(store.end(&cookie).await.unwrap());
    let due = store
        .claim_deliveries(100, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let mut kinds: Vec<(DeliveryKind, String, String)> = due
        .iter()
        .map(|d| (d.kind, d.endpoint_id.clone(), d.event_type.clone()))
        .collect();
    kinds.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        kinds,
        [
            (
                DeliveryKind::BackchannelLogout,
                "bcl:grafana".to_owned(),
                "session.revoked".to_owned()
            ),
            (
                DeliveryKind::Webhook,
                kinds[1].1.clone(),
                "session.revoked".to_owned()
            ),
        ]
    );
    assert!(kinds[1].1.starts_with("whe_"), "{kinds:?}");
    let logout = due.iter().find(|d| d.endpoint_id == "bcl:grafana").unwrap();
    assert_eq!(logout.url, "https://grafana.example/backchannel");
    assert_eq!(logout.account_id.as_deref(), Some(id.as_str()));
    let data: serde_json::Value = serde_json::from_str(&logout.data).unwrap();
    assert_eq!(data["session_id"], sid);

    // A client no longer configured: its endpoint is disabled, the next session's logout waits.
    store.sync_backchannel_endpoints(&[]).await.unwrap();
    let again = Secret::new("cookie-2");
    let sid = store.open(&again, &new(&id, 60_000)).await.unwrap();
    store.add_client(&sid, "grafana").await.unwrap();
    store.end(&again).await.unwrap();
    let due = store
        .claim_deliveries(100, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        due.iter().all(|d| d.kind == DeliveryKind::Webhook),
        "{due:?}"
    );
}

pub(super) async fn unlinking_an_identity_ends_the_sessions_through_its_app(store: SqlAccounts) {
    let oa = identity("wxoa", "o_follower", Some("u1"));
    let mp = identity("wxmp", "o_mini", Some("u1"));
    let id = store.find_or_create(&oa).await.unwrap().id;
    store.find_or_create(&mp).await.unwrap();
    let through = |app: &str| NewSso {
        app_id: AppId::parse(app).unwrap(),
        ..new(&id, 60_000)
    };
    let [by_oa, by_mp] = [Secret::new("cookie-oa"), Secret::new("cookie-mp")];
    let sid = store.open(&by_oa, &through("wxoa")).await.unwrap();
    store.open(&by_mp, &through("wxmp")).await.unwrap();

    assert!(store.unlink(&oa.app_id, &oa.openid).await.unwrap());
    assert!(store.find(&by_oa).await.unwrap().is_none());
    assert!(store.find(&by_mp).await.unwrap().is_some(), "another app's");
    assert_eq!(
        revoked(&store, &id).await,
        [(sid, vec![], "unlinked".to_owned())]
    );

    // The last identity: the account goes, and its every session with it, recorded.
    assert!(store.unlink(&mp.app_id, &mp.openid).await.unwrap());
    assert!(store.find(&by_mp).await.unwrap().is_none());
    assert_eq!(revoked(&store, &id).await.len(), 2);
}
