//! Never lost: Saoma killed (SIGKILL) while a delivery is in flight delivers it after a
//! restart; two instances on one PostgreSQL database deliver every event once.

use crate::accounts::webhooks::endpoint;
use crate::contract::cli::{Running, free_port, serve, wait_for};
use crate::support::helpers::{TestApp, spawn_app_with};
use crate::support::webhook_receiver::{Answer, Received, Receiver, SECRET};
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

fn start(port: u16, data: &std::path::Path, receiver: &str) -> Running {
    let toml = data.join("saoma.toml");
    std::fs::write(
        &toml,
        format!(
            "[[webhooks]]\nurl = \"{receiver}\"\nsecret = \"{SECRET}\"\n\n\
             [webhook_delivery]\ntimeout_seconds = 2\n"
        ),
    )
    .unwrap();
    Running(
        serve(port, &data.join("data"))
            .arg("--config")
            .arg(toml)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[tokio::test]
async fn a_delivery_cut_by_sigkill_is_delivered_after_the_restart() {
    let receiver = Receiver::start(Answer::Hang).await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut saoma = start(port, data.path(), &receiver.url);
    let base = format!("http://127.0.0.1:{port}");
    wait_for(&format!("{base}/healthz")).await;
    let app = TestApp::at(&base);
    let user = app.new_user("小张").await;
    app.mp_session(&user).await;
    // The receiver holds the first delivery open: kill Saoma now, mid-delivery.
    let cut = receiver
        .until(Duration::from_secs(10), |r| !r.is_empty())
        .await;
    saoma.0.kill().unwrap(); // SIGKILL
    saoma.0.wait().unwrap();
    let cut_ids: Vec<String> = cut.iter().map(|r| r.id.clone()).collect();

    receiver.answer(Answer::Status(200));
    let before = receiver.received().len();
    let _restarted = start(port, data.path(), &receiver.url);
    wait_for(&format!("{base}/healthz")).await;
    // Its lease (twice the 2 s time limit, plus 5 s) passes, and it goes out again.
    let after = receiver
        .until(Duration::from_secs(30), |r| {
            let again: Vec<&Received> = r[before..].iter().collect();
            cut_ids.iter().all(|id| again.iter().any(|d| &d.id == id))
                && again.iter().any(|d| d.event_type() == "login.succeeded")
                && again.iter().any(|d| d.event_type() == "account.created")
        })
        .await;
    assert!(after[before..].iter().all(|d| d.signed_with(SECRET)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgresql_deliver_every_event_once() {
    let Some(cluster) = crate::pg::PgCluster::start() else {
        return;
    };
    let url = cluster.fresh_database("webhooks").await;
    let receiver = Receiver::start(Answer::Status(200)).await;
    let with = |url: String, hook: String| {
        move |config: &mut saoma::config::Config| {
            config.database_url = Some(url);
            config.sandbox = Some(true);
            config.webhooks = vec![endpoint(&hook)];
        }
    };
    let a = spawn_app_with(with(url.clone(), receiver.url.clone())).await;
    let b = spawn_app_with(with(url.clone(), receiver.url.clone())).await;
    // Logins through both instances: each writes its events to the one outbox.
    let mut logins = Vec::new();
    for (n, app) in [&a, &b].into_iter().cycle().take(20).enumerate() {
        let user = app.new_user(&format!("用户{n}")).await;
        logins.push(app.mp_session(&user).await.0);
    }
    // Two events per first login: account.created and login.succeeded.
    let received = receiver
        .until(Duration::from_secs(30), |r| r.len() >= 40)
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = if receiver.received().len() > received.len() {
        receiver.received()
    } else {
        received
    };
    let mut per_event: HashMap<&str, usize> = HashMap::new();
    for delivery in &received {
        *per_event.entry(delivery.id.as_str()).or_default() += 1;
    }
    assert_eq!(per_event.len(), 40, "every event delivered");
    let twice: Vec<_> = per_event.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    for account in logins {
        assert!(
            received
                .iter()
                .any(|d| d.json()["account_id"] == account.as_str()
                    && d.event_type() == "account.created")
        );
    }
}
