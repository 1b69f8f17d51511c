//! user/info and the scan tool's pushes, against a fake callback on port 0.

use poem::listener::TcpAcceptor;
use poem::test::TestClient;
use poem::web::Data;
use poem::{EndpointExt, Response, Route, Server, handler, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::official_account::{qrcode_create, str_scene};
use super::{APP, Harness, errcode, wechat_json};
use crate::crypto;
use crate::xml;
use crate::{CallbackMode, Sandbox, SandboxConfig, SandboxOfficialAccount, Secret};

const TOKEN: &str = "callbacktoken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// What the fake callback does with each push, in order; then it answers `success`.
#[derive(Clone, Copy)]
enum Behaviour {
    Fail,
    Hang,
}

#[derive(Default)]
struct Received {
    script: Mutex<Vec<Behaviour>>,
    pushes: Mutex<Vec<(String, String)>>,
}

#[handler]
async fn fake_callback(
    Data(received): Data<&Arc<Received>>,
    req: &poem::Request,
    body: String,
) -> Response {
    let query = req.uri().query().unwrap_or_default().to_owned();
    received.pushes.lock().unwrap().push((query, body));
    let next = {
        let mut script = received.script.lock().unwrap();
        (!script.is_empty()).then(|| script.remove(0))
    };
    match next {
        Some(Behaviour::Fail) => Response::builder()
            .status(poem::http::StatusCode::BAD_GATEWAY)
            .finish(),
        Some(Behaviour::Hang) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Response::builder().body("success")
        }
        None => Response::builder().body("success"),
    }
}

/// A sandbox whose official account is `APP`, pushing to a fake callback in `mode`.
async fn harness(mode: CallbackMode, script: Vec<Behaviour>) -> (Harness, Arc<Received>) {
    let received = Arc::new(Received::default());
    *received.script.lock().unwrap() = script;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Route::new()
        .at("/callback", post(fake_callback))
        .data(received.clone());
    tokio::spawn(Server::new_with_acceptor(TcpAcceptor::from_tokio(listener).unwrap()).run(app));
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::open(SandboxConfig {
        data_dir: dir.path().to_path_buf(),
        public_url: "http://127.0.0.1:8080/".parse().unwrap(),
        official_account: Some(SandboxOfficialAccount {
            app_id: APP.into(),
            callback_url: format!("http://{addr}/callback").parse().unwrap(),
            token: Secret::new(TOKEN),
            encoding_aes_key: Some(Secret::new(KEY)),
            mode,
            push_timeout: Duration::from_millis(300),
        }),
        phone_trial_quota: SandboxConfig::PHONE_TRIAL_QUOTA,
    })
    .unwrap();
    let cli = TestClient::new(sandbox.routes());
    (Harness { dir, sandbox, cli }, received)
}

async fn scan(h: &Harness, user: &str, scene: &str) -> Value {
    let resp = h
        .cli
        .post("/api/official-account/scan")
        .body_json(&json!({"user": user, "scene": scene}))
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.json().await.value().deserialize()
}

#[tokio::test]
async fn user_info_knows_followers_and_refuses_unknown_openids() {
    let (h, _) = harness(CallbackMode::Plain, vec![]).await;
    let token = h.token().await;
    let user = h.new_user().await;
    let user = user["id"].as_str().unwrap().to_owned();
    let openid = h.sandbox.state.openid(&user, APP);
    let info = |openid: String| {
        let token = token.clone();
        let h = &h;
        async move {
            let resp = h
                .cli
                .get("/wechat/cgi-bin/user/info")
                .query("access_token", &token)
                .query("openid", &openid)
                .query("lang", &"zh_CN")
                .send()
                .await;
            wechat_json(resp).await
        }
    };
    assert_eq!(errcode(&info("o-unknown".into()).await), 40003);
    let before = info(openid.clone()).await;
    assert_eq!(before["subscribe"], 0);
    assert!(before.get("unionid").is_none());

    qrcode_create(&h, &token, str_scene("scene-2", 60)).await;
    assert_eq!(scan(&h, &user, "scene-2").await["event"], "subscribe");
    let after = info(openid.clone()).await;
    assert_eq!(after["subscribe"], 1);
    assert_eq!(after["openid"], openid.as_str());
    assert_eq!(after["unionid"], h.sandbox.state.unionid(&user).as_str());
    assert_eq!(after["qr_scene_str"], "scene-2");
}

#[tokio::test]
async fn pushes_are_signed_and_encrypted_as_the_mode_says() {
    for mode in [
        CallbackMode::Plain,
        CallbackMode::Compatible,
        CallbackMode::Safe,
    ] {
        let (h, received) = harness(mode, vec![]).await;
        let token = h.token().await;
        let user = h.new_user().await;
        qrcode_create(&h, &token, str_scene("scene-3", 60)).await;
        scan(&h, user["id"].as_str().unwrap(), "scene-3").await;

        let (query, body) = received.pushes.lock().unwrap()[0].clone();
        let q: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        let expected = crypto::signature(TOKEN, &q["timestamp"], &q["nonce"]);
        assert_eq!(q["signature"], expected);
        let fields = xml::parse(body.as_bytes()).unwrap();
        assert_eq!(
            fields.get("Event").is_some(),
            mode != CallbackMode::Safe,
            "{mode:?}"
        );
        if mode == CallbackMode::Plain {
            assert!(!q.contains_key("encrypt_type"));
            assert_eq!(fields.get("EventKey"), Some("qrscene_scene-3"));
            continue;
        }
        assert_eq!(q["encrypt_type"], "aes");
        let encrypt = fields.get("Encrypt").unwrap();
        let sig = crypto::msg_signature(TOKEN, &q["timestamp"], &q["nonce"], encrypt);
        assert_eq!(q["msg_signature"], sig);
        let key = crypto::AesKey::parse(KEY).unwrap();
        let inner = crypto::decrypt(&key, APP, encrypt).unwrap();
        let inner = xml::parse(&inner).unwrap();
        assert_eq!(inner.get("EventKey"), Some("qrscene_scene-3"));
        assert_eq!(inner.get("MsgType"), Some("event"));
        assert!(inner.get("ToUserName").unwrap().starts_with("gh_"));
    }
}

#[tokio::test]
async fn a_failing_or_slow_callback_is_tried_three_times_with_the_same_push() {
    let (h, received) = harness(CallbackMode::Safe, vec![Behaviour::Fail, Behaviour::Hang]).await;
    let token = h.token().await;
    let user = h.new_user().await;
    qrcode_create(&h, &token, str_scene("scene-4", 60)).await;

    let report = scan(&h, user["id"].as_str().unwrap(), "scene-4").await;

    assert_eq!(report["attempts"], 3, "{report}");
    assert_eq!(report["delivered"], true);
    assert_eq!(report["callback"]["body"], "success");
    let pushes = received.pushes.lock().unwrap().clone();
    assert_eq!(pushes.len(), 3);
    assert!(
        pushes.iter().all(|p| *p == pushes[0]),
        "retries resend the same push"
    );

    // Never answering: three tries, then the tool says so.
    let (h, _) = harness(CallbackMode::Plain, vec![Behaviour::Hang; 3]).await;
    let token = h.token().await;
    let user = h.new_user().await;
    qrcode_create(&h, &token, str_scene("scene-5", 60)).await;
    let report = scan(&h, user["id"].as_str().unwrap(), "scene-5").await;
    assert_eq!(report["delivered"], false);
    assert_eq!(report["attempts"], 3);
}

#[tokio::test]
async fn the_scan_tool_refuses_unknown_users_qrs_and_an_unconfigured_account() {
    let (h, _) = harness(CallbackMode::Safe, vec![]).await;
    let user = h.new_user().await;
    let scan_resp = |body: Value| {
        h.cli
            .post("/api/official-account/scan")
            .body_json(&body)
            .send()
    };
    let resp = scan_resp(json!({"user": "nobody", "scene": "x"})).await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
    resp.assert_json(json!({"code": "unknown_user", "message": "no fake user \"nobody\"; create one with POST /api/users"})).await;
    let resp = scan_resp(json!({"user": user["id"], "scene": "never-created"})).await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
    let resp = scan_resp(json!({"user": user["id"]})).await;
    resp.assert_status(poem::http::StatusCode::BAD_REQUEST);

    let plain = Harness::new();
    let resp = plain
        .cli
        .post("/api/official-account/scan")
        .body_json(&json!({"user": "u", "scene": "s"}))
        .send()
        .await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
}
