//! No login lost: the tokens of a confirmed scene exist before the scene is consumed. While the
//! account database cannot mint them, readers get 503 (poll) or an `error` event (SSE), the
//! scene stays confirmed, and the first read after the database is back gets the tokens.
//!
//! The database fails for real: a trigger in the instance's own SQLite file refuses every new
//! session, as a full disk or a failover would, and dropping it heals the database.

use crate::support::helpers::{Created, TestApp, error_code, spawn_app, spawn_app_with};
use crate::support::redis_server::RedisServer;
use saoma::config::StoreKind;
use serde_json::Value;
use sqlx::{Connection, SqliteConnection};

/// The instance's database refuses new rows in a table until `heal`.
pub struct BrokenDatabase(SqliteConnection);

impl BrokenDatabase {
    pub async fn refuse_inserts(app: &TestApp, table: &str) -> BrokenDatabase {
        let mut db = SqliteConnection::connect(&app.database_url())
            .await
            .unwrap();
        sqlx::query(&format!(
            "CREATE TRIGGER saoma_test_fail BEFORE INSERT ON {table} \
             BEGIN SELECT RAISE(ABORT, 'injected: the database refuses writes'); END"
        ))
        .execute(&mut db)
        .await
        .unwrap();
        BrokenDatabase(db)
    }

    async fn break_sessions(app: &TestApp) -> BrokenDatabase {
        Self::refuse_inserts(app, "refresh_families").await
    }

    pub async fn heal(mut self) {
        sqlx::query("DROP TRIGGER saoma_test_fail")
            .execute(&mut self.0)
            .await
            .unwrap();
    }
}

/// A scene the phone has confirmed, its tokens not yet picked up.
async fn confirmed_scene(app: &TestApp) -> Created {
    let created = app.create_mp_scene().await;
    let answer = app.phone_answers(&created.scene, true).await;
    assert_eq!(answer["scene_status"], "confirmed");
    created
}

async fn poll_survives_a_failing_database(app: TestApp) {
    let created = confirmed_scene(&app).await;
    let broken = BrokenDatabase::break_sessions(&app).await;

    for _ in 0..2 {
        let res = app.poll(&created.scene, Some(&created.poll_token)).await;
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(error_code(res).await, "database_unavailable");
    }
    broken.heal().await;

    let picked: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(picked["status"], "confirmed");
    let access = picked["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(app.me(access).await.status(), 200);
    let again = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(again.status(), 410, "handed out once");
    assert_eq!(error_code(again).await, "scene_consumed");
}

async fn stream_survives_a_failing_database(app: TestApp) {
    let created = confirmed_scene(&app).await;
    let broken = BrokenDatabase::break_sessions(&app).await;

    let mut events = app.events(&created.scene, &created.poll_token).await;
    let (event, data) = events.next_event().await.unwrap();
    assert_eq!(event, "error", "{data}");
    assert_eq!(data["code"], "database_unavailable");
    broken.heal().await;

    let picked = events.next_status().await.unwrap();
    assert_eq!(picked["status"], "confirmed");
    let access = picked["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(app.me(access).await.status(), 200);
    assert!(events.next_status().await.is_none(), "the stream ends");
    let res = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(error_code(res).await, "scene_consumed");
}

pub async fn on_redis(redis: &RedisServer) -> TestApp {
    let url = redis.url();
    spawn_app_with(move |c| {
        c.store = StoreKind::Redis;
        c.redis_url = Some(url);
    })
    .await
}

#[tokio::test]
async fn a_poll_while_the_database_fails_gets_503_and_the_tokens_after_memory() {
    poll_survives_a_failing_database(spawn_app().await).await;
}

#[tokio::test]
async fn a_poll_while_the_database_fails_gets_503_and_the_tokens_after_redis() {
    let redis = RedisServer::start();
    poll_survives_a_failing_database(on_redis(&redis).await).await;
}

#[tokio::test]
async fn a_stream_while_the_database_fails_gets_an_error_event_then_the_tokens_memory() {
    stream_survives_a_failing_database(spawn_app().await).await;
}

#[tokio::test]
async fn a_stream_while_the_database_fails_gets_an_error_event_then_the_tokens_redis() {
    let redis = RedisServer::start();
    stream_survives_a_failing_database(on_redis(&redis).await).await;
}
