//! Only genuine WeChat pushes move a scene: every forgery, replay and malformed push is refused
//! with a stable code and leaves the scene untouched; retries are handled once.

use crate::support::helpers::{error_code, spawn_app, spawn_app_with};
use crate::support::oa_helpers::{event_xml, now, reply_text, sign, sign_as};
use saoma::config::CallbackMode;
use serde_json::json;

#[tokio::test]
async fn forged_tampered_stale_and_malformed_pushes_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let created = app.create_oa_scene().await;
    let t = now();
    let xml = event_xml("o_attacker", t, "SCAN", Some(&created.scene));
    let safe = sign(CallbackMode::Safe, &xml, t, "3001");
    let doctype = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{xml}"
    );
    let cases = [
        (
            "forged signature",
            safe.clone().set("signature", &"a".repeat(40)),
            403,
            "invalid_signature",
        ),
        (
            "no signature",
            safe.clone().set("signature", ""),
            403,
            "invalid_signature",
        ),
        (
            "tampered msg_signature",
            safe.clone().set("msg_signature", &"b".repeat(40)),
            403,
            "invalid_signature",
        ),
        (
            "stale timestamp",
            sign(CallbackMode::Safe, &xml, t - 3600, "3002"),
            403,
            "stale_timestamp",
        ),
        (
            "future timestamp",
            sign(CallbackMode::Safe, &xml, t + 3600, "3003"),
            403,
            "stale_timestamp",
        ),
        (
            "wrong app id inside",
            sign_as(CallbackMode::Safe, &xml, t, "3004", "wx0000000000000000"),
            403,
            "wrong_app_id",
        ),
        (
            "plaintext in safe mode",
            sign(CallbackMode::Plain, &xml, t, "3005"),
            403,
            "encryption_required",
        ),
        (
            "DOCTYPE",
            sign(CallbackMode::Safe, &doctype, t, "3006"),
            400,
            "invalid_xml",
        ),
        (
            "garbage XML",
            sign(CallbackMode::Safe, "<xml><Event>SCAN", t, "3007"),
            400,
            "invalid_xml",
        ),
        (
            "not XML",
            sign(CallbackMode::Safe, "{\"Event\":\"SCAN\"}", t, "3008"),
            400,
            "invalid_xml",
        ),
    ];
    for (what, signed, status, code) in cases {
        let res = app.push(&signed).await;
        assert_eq!(res.status(), status, "{what}");
        assert_eq!(error_code(res).await, code, "{what}");
    }
    // An envelope whose Encrypt is not a ciphertext.
    let mut bad = safe.clone();
    bad.body = bad
        .body
        .replace("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA");
    let res = app.push(&bad).await;
    assert_eq!(res.status(), 403, "the msg_signature covers Encrypt");
    assert_eq!(error_code(res).await, "invalid_signature");

    assert_eq!(app.status_of(&created).await, "pending");
    // The genuine push still works afterwards: nothing above burnt it.
    let res = app.push(&safe).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        reply_text(&res.text().await.unwrap()).as_deref(),
        Some("登录成功")
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    // Past the server's body cap...
    let app = spawn_app().await;
    let created = app.create_oa_scene().await;
    let t = now();
    let padding = "x".repeat(20 * 1024);
    let xml = event_xml("o_big", t, "SCAN", Some(&created.scene))
        .replace("</xml>", &format!("<Pad>{padding}</Pad></xml>"));
    let res = app.push(&sign(CallbackMode::Plain, &xml, t, "4001")).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");
    assert_eq!(app.status_of(&created).await, "pending");

    // ...and past the callback's own cap when the server allows more.
    let app = spawn_app_with(|c| {
        c.limits.max_body_bytes = 1024 * 1024;
        c.official_account.mode = Some(CallbackMode::Compatible);
    })
    .await;
    let created = app.create_oa_scene().await;
    let xml = event_xml("o_big", t, "SCAN", Some(&created.scene))
        .replace("</xml>", &format!("<Pad>{padding}</Pad></xml>"));
    let res = app.push(&sign(CallbackMode::Plain, &xml, t, "4002")).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");
    assert_eq!(app.status_of(&created).await, "pending");
}

#[tokio::test]
async fn the_same_push_three_times_moves_the_scene_once() {
    let app = spawn_app().await;
    let created = app.create_oa_scene().await;
    let mut events = app.events(&created.scene, &created.poll_token).await;
    assert_eq!(events.next_status().await.unwrap()["status"], "pending");
    let t = now();
    let xml = event_xml("o_retried", t, "SCAN", Some(&created.scene));
    let signed = sign(CallbackMode::Safe, &xml, t, "5001");

    let mut answers = Vec::new();
    for _ in 0..3 {
        let res = app.push(&signed).await;
        assert_eq!(res.status(), 200);
        answers.push(res.text().await.unwrap());
    }
    // WeChat may also sign a retry afresh: the event (FromUserName + CreateTime) is the same.
    let resigned = app.push(&sign(CallbackMode::Safe, &xml, t, "5002")).await;
    answers.push(resigned.text().await.unwrap());

    assert_eq!(reply_text(&answers[0]).as_deref(), Some("登录成功"));
    assert_eq!(&answers[1..], ["success", "success", "success"]);
    assert_eq!(app.calls("cgi-bin/user/info").await, 1, "handled once");
    let confirmed = events.next_status().await.unwrap();
    assert_eq!(confirmed["status"], "confirmed");
    assert!(
        events.next_status().await.is_none(),
        "one transition, then the end"
    );
}

#[tokio::test]
async fn user_info_failing_still_logs_in_without_unionid() {
    let app = spawn_app().await;
    // -1 is retried by the client (three attempts), so fail all three.
    app.inject_fault(json!({"endpoint": "cgi-bin/user/info", "errcode": -1, "times": 3}))
        .await;
    let created = app.create_oa_scene().await;
    let user = app.new_user("无联合").await;

    let pushed = app.oa_scan(&user, &created.scene, true).await;
    assert_eq!(pushed["reply"]["content"], "登录成功");

    let view: serde_json::Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    let access = view["tokens"]["access_token"].as_str().unwrap();
    let me: serde_json::Value = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["identities"][0]["provider"], "official_account");
    assert!(me["identities"][0].get("unionid").is_none(), "{me}");
}

#[tokio::test]
async fn a_slow_user_info_does_not_hold_the_answer_past_wechats_patience() {
    let app = spawn_app().await;
    app.inject_fault(json!({"endpoint": "cgi-bin/user/info", "delay_ms": 8000}))
        .await;
    let created = app.create_oa_scene().await;
    let user = app.new_user("慢").await;

    let pushed = app.oa_scan(&user, &created.scene, true).await;

    assert_eq!(
        pushed["attempts"], 1,
        "answered before WeChat's 5 s: {pushed}"
    );
    assert_eq!(pushed["reply"]["content"], "登录成功");
    assert_eq!(app.status_of(&created).await, "confirmed");
}

#[tokio::test]
async fn qrcode_create_failing_releases_the_scene_and_reports_wechat() {
    let app = spawn_app().await;
    app.inject_fault(json!({"endpoint": "cgi-bin/qrcode/create", "errcode": 45009}))
        .await;
    let res = app
        .create_scene(json!({"provider": "official_account"}))
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(error_code(res).await, "wechat_quota_exhausted");
}
