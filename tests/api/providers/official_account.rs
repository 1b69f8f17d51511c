//! The official-account login, as WeChat, the browser and the phone live it.

use crate::support::helpers::{error_code, spawn_app, spawn_app_with};
use crate::support::oa_helpers::{event_xml, now, reply_text, sign, spawn_oa_app};
use base64::Engine;
use saoma::config::{CallbackMode, SANDBOX_OFFICIAL_ACCOUNT_APP_ID};
use serde_json::{Value, json};

const MODES: [CallbackMode; 3] = [
    CallbackMode::Plain,
    CallbackMode::Compatible,
    CallbackMode::Safe,
];

/// The QR in `qr.image` decodes to the ticket's url.
fn decode_qr(data_url: &str) -> String {
    let b64 = data_url
        .strip_prefix("data:image/png;base64,")
        .expect("a PNG data URL");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let image = image::load_from_memory(&bytes).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn a_new_follower_logs_the_browser_in_in_every_mode() {
    for mode in MODES {
        let app = spawn_oa_app(mode).await;
        let created = app.create_oa_scene().await;
        assert_eq!(created.body["provider"], "official_account");
        assert_eq!(created.body["status"], "pending");
        let url = decode_qr(created.body["qr"]["image"].as_str().unwrap());
        assert!(url.starts_with("http://weixin.qq.com/q/"), "{url}");
        assert_eq!(app.calls("cgi-bin/qrcode/create").await, 1);
        assert_eq!(app.calls("cgi-bin/showqrcode").await, 0, "drawn locally");

        let user = app.new_user("关注者").await;
        let pushed = app.oa_scan(&user, &created.scene, true).await;

        assert_eq!(pushed["event"], "subscribe", "{mode:?}");
        assert_eq!(
            pushed["event_key"],
            format!("qrscene_{}", created.scene).as_str()
        );
        assert_eq!(pushed["attempts"], 1);
        assert_eq!(pushed["callback"]["status"], 200);
        assert_eq!(pushed["reply"]["content"], "登录成功", "{mode:?}: {pushed}");
        assert_eq!(pushed["reply"]["encrypted"], mode != CallbackMode::Plain);

        let confirmed: Value = app
            .poll_json(&created.scene, Some(&created.poll_token))
            .await;
        assert_eq!(confirmed["status"], "confirmed");
        let access = confirmed["tokens"]["access_token"].as_str().unwrap();
        let me: Value = app
            .http
            .get(app.url("/api/v1/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let identity = &me["identities"][0];
        assert_eq!(identity["provider"], "official_account");
        assert_eq!(identity["app_id"], SANDBOX_OFFICIAL_ACCOUNT_APP_ID);
        assert!(identity["openid"].as_str().unwrap().starts_with('o'));
        assert!(
            identity["unionid"].is_string(),
            "user/info gave the unionid"
        );
    }
}

#[tokio::test]
async fn an_existing_follower_scans_with_the_bare_scene_in_every_mode() {
    for mode in MODES {
        let app = spawn_oa_app(mode).await;
        let user = app.new_user("老粉").await;
        let first = app.create_oa_scene().await;
        app.oa_scan(&user, &first.scene, true).await;

        let second = app.create_oa_scene().await;
        let mut events = app.events(&second.scene, &second.poll_token).await;
        assert_eq!(events.next_status().await.unwrap()["status"], "pending");
        let pushed = app.oa_scan(&user, &second.scene, true).await;

        assert_eq!(pushed["event"], "SCAN", "{mode:?}");
        assert_eq!(pushed["event_key"], second.scene.as_str());
        assert_eq!(pushed["reply"]["content"], "登录成功");
        let confirmed = events.next_status().await.unwrap();
        assert_eq!(confirmed["status"], "confirmed");
        assert!(confirmed["tokens"]["access_token"].is_string());
    }
}

#[tokio::test]
async fn the_url_check_echoes_only_a_genuine_signature() {
    let app = spawn_app().await;
    let signed = sign(CallbackMode::Plain, "", now(), "12345");
    let mut query = signed.query.clone();
    query.push(("echostr".into(), "8843412373210887153".into()));
    let check = |query: Vec<(String, String)>| {
        app.http
            .get(app.url("/api/v1/official-account/callback"))
            .query(&query)
            .send()
    };

    let ok = check(query.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(ok.text().await.unwrap(), "8843412373210887153");

    let mut forged = query.clone();
    forged[0].1 = "0".repeat(40);
    let res = check(forged).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "invalid_signature");

    let res = check(signed.query).await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_request");
}

#[tokio::test]
async fn a_browser_chosen_scene_is_refused_for_the_official_account() {
    let app = spawn_app().await;
    let res = app
        .create_scene(json!({"provider": "official_account", "scene": "mychosenscene1"}))
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "scene_not_allowed");
}

#[tokio::test]
async fn the_qr_lives_no_longer_than_the_scene() {
    let app = spawn_app_with(|c| {
        c.limits.scene_ttl_seconds = 120;
        c.official_account.qr_expire_seconds = Some(9999);
    })
    .await;
    let created = app.create_oa_scene().await;
    let user = app.new_user("迟到").await;
    let res = app
        .post("/sandbox/api/clock", json!({"seconds": 121}))
        .await;
    assert!(res.status().is_success());

    let res = app
        .post(
            "/sandbox/api/official-account/scan",
            json!({"user": user, "scene": created.scene}),
        )
        .await;
    assert_eq!(res.status(), 410, "the QR expired with the scene");
    assert_eq!(error_code(res).await, "qr_expired");
}

#[tokio::test]
async fn a_push_for_an_expired_scene_is_answered_so_and_changes_nothing() {
    let app = spawn_app_with(|c| c.limits.scene_ttl_seconds = 1).await;
    let created = app.create_oa_scene().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let xml = event_xml("o_late", now(), "SCAN", Some(&created.scene));
    let res = app
        .push(&sign(CallbackMode::Safe, &xml, now(), "1001"))
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(
        reply_text(&res.text().await.unwrap()).as_deref(),
        Some("二维码已过期")
    );
    let res = app.poll(&created.scene, Some(&created.poll_token)).await;
    assert_eq!(res.status(), 410);
    assert_eq!(error_code(res).await, "scene_expired");
}

#[tokio::test]
async fn pushes_that_are_not_ours_get_success_and_change_nothing() {
    let app = spawn_app().await;
    let created = app.create_oa_scene().await;
    let t = now();
    let text = format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_t]]></FromUserName>\
         <CreateTime>{t}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{}]]></Content><MsgId>1234567890</MsgId></xml>",
        created.scene
    );
    let mini_program = app.create_mp_scene().await;
    for (i, xml) in [
        event_xml("o_plain", t, "subscribe", None),
        event_xml("o_unfollow", t, "unsubscribe", None),
        event_xml("o_other", t, "subscribe", Some("qrscene_unknownscene42")),
        event_xml("o_mp", t, "SCAN", Some(&mini_program.scene)),
        event_xml("o_menu", t, "CLICK", Some(&created.scene)),
        text,
    ]
    .iter()
    .enumerate()
    {
        let res = app
            .push(&sign(CallbackMode::Safe, xml, t, &format!("20{i}")))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "success", "{xml}");
    }
    assert_eq!(app.status_of(&created).await, "pending");
    assert_eq!(app.status_of(&mini_program).await, "pending");
}

#[tokio::test]
async fn an_unfollow_is_pushed_and_ignored_by_default() {
    let app = spawn_app().await;
    let user = app.new_user("取关").await;
    let created = app.create_oa_scene().await;
    app.oa_scan(&user, &created.scene, true).await;

    let res = app
        .post(
            "/sandbox/api/official-account/unfollow",
            json!({"user": user}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let pushed: Value = res.json().await.unwrap();
    assert_eq!(pushed["event"], "unsubscribe");
    assert_eq!(pushed["callback"]["body"], "success");

    // Following again is a subscribe, not a SCAN.
    let again = app.create_oa_scene().await;
    let pushed = app.oa_scan(&user, &again.scene, true).await;
    assert_eq!(pushed["event"], "subscribe");
    assert_eq!(pushed["reply"]["content"], "登录成功");
}

#[tokio::test]
async fn with_unfollow_unlink_an_unfollow_ends_the_sessions_it_logged_in() {
    let app = spawn_app_with(|c| c.accounts.unfollow = saoma::config::UnfollowPolicy::Unlink).await;
    let user = app.new_user("取关解绑").await;
    let created = app.create_oa_scene().await;
    app.oa_scan(&user, &created.scene, true).await;
    let confirmed: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    let refresh = confirmed["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    let pushed: Value = app
        .post(
            "/sandbox/api/official-account/unfollow",
            json!({"user": user}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pushed["callback"]["body"], "success");

    let res = app
        .post("/api/v1/tokens/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "invalid_refresh_token");
    // Following again logs in as a new account (nothing else was linked to the old one).
    let again = app.create_oa_scene().await;
    let pushed = app.oa_scan(&user, &again.scene, true).await;
    assert_eq!(pushed["reply"]["content"], "登录成功");
}

#[tokio::test]
async fn a_user_who_does_not_follow_pushes_nothing() {
    let app = spawn_app().await;
    let user = app.new_user("路人").await;
    let created = app.create_oa_scene().await;
    let pushed = app.oa_scan(&user, &created.scene, false).await;
    assert_eq!(pushed["pushed"], false);
    assert_eq!(app.status_of(&created).await, "pending");
}
