//! Two instances on one Redis and one PostgreSQL database: an account disabled through the
//! admin API of one instance completes no login on the other, even a login whose scene was
//! made before the disable.

use crate::accounts::admin::{admin_token, with_admin};
use crate::support::helpers::error_code;
use crate::support::redis_pair::spawn_pair_with;
use crate::support::redis_server::RedisServer;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disabling_on_one_instance_refuses_a_login_completed_on_the_other() {
    let Some(cluster) = crate::pg::PgCluster::start() else {
        return;
    };
    let database = cluster.fresh_database("admin_instances").await;
    let redis = RedisServer::start();
    let pair = spawn_pair_with(&redis.url(), |c| {
        with_admin(c);
        c.database_url = Some(database.clone());
    })
    .await;
    let user = pair.sandbox.new_user("两处").await;
    let code = pair.sandbox.wx_login(&user).await;
    let first = pair.b.mp_login(&code, None, true).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let account = first["account"]["id"].as_str().unwrap();
    let refresh = first["tokens"]["refresh_token"].as_str().unwrap();

    // A scene on B, opened before the disable; the admin disables on A.
    let created = pair.b.create_mp_scene().await;
    assert_eq!(pair.b.scan(&created.scene).await.status(), 200);
    let token = admin_token(&pair.a).await;
    let disabled = pair
        .a
        .http
        .post(pair.a.url(&format!("/admin/v1/accounts/{account}/disable")))
        .bearer_auth(&token)
        .json(&json!({"reason": "seen on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);

    // B completes the login: refused, and the page (polling A) is told why.
    let code = pair.sandbox.wx_login(&user).await;
    let on_b = pair.b.mp_login(&code, Some(&created.scene), true).await;
    assert_eq!(on_b.status(), 403);
    assert_eq!(error_code(on_b).await, "account_disabled");
    let page = pair
        .a
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(page["status"], "cancelled");
    assert_eq!(page["refused"], "account_disabled");
    let code = pair.sandbox.wx_login(&user).await;
    let direct = pair.b.mp_login(&code, None, true).await;
    assert_eq!(error_code(direct).await, "account_disabled");
    let refreshed = pair
        .b
        .post("/api/v1/tokens/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status(), 401, "the session B issued ended too");
}
