//! The official account's fake APIs: qrcode/create and showqrcode.

use serde_json::{Value, json};

use super::{Harness, errcode, wechat_json};

pub(super) async fn qrcode_create(h: &Harness, token: &str, body: Value) -> Value {
    let resp = h
        .cli
        .post("/wechat/cgi-bin/qrcode/create")
        .query("access_token", &token)
        .body_json(&body)
        .send()
        .await;
    wechat_json(resp).await
}

pub(super) fn str_scene(scene: &str, expire: u64) -> Value {
    json!({"expire_seconds": expire, "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": scene}}})
}

#[tokio::test]
async fn qrcode_create_answers_a_ticket_and_showqrcode_draws_its_url_until_it_expires() {
    let h = Harness::new();
    let token = h.token().await;
    let reply = qrcode_create(&h, &token, str_scene("scene-1", 120)).await;
    assert_eq!(reply["expire_seconds"], 120);
    assert!(reply.get("errmsg").is_none(), "no errmsg in a success body");
    let url = reply["url"].as_str().unwrap();
    assert!(url.starts_with("http://weixin.qq.com/q/"));
    let ticket = reply["ticket"].as_str().unwrap();

    let show = h
        .cli
        .get("/wechat/cgi-bin/showqrcode")
        .query("ticket", &ticket)
        .send()
        .await;
    show.assert_status_is_ok();
    let bytes = show.0.into_body().into_vec().await.unwrap();
    let img = image::load_from_memory(&bytes).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    assert_eq!(prepared.detect_grids()[0].decode().unwrap().1, url);

    h.advance(121);
    let show = h
        .cli
        .get("/wechat/cgi-bin/showqrcode")
        .query("ticket", &ticket)
        .send()
        .await;
    show.assert_status(poem::http::StatusCode::NOT_FOUND);
    let show = h
        .cli
        .get("/wechat/cgi-bin/showqrcode")
        .query("ticket", &"gQnope")
        .send()
        .await;
    show.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn qrcode_create_refuses_bad_bodies_with_40053_and_bad_tokens() {
    let h = Harness::new();
    let token = h.token().await;
    for bad in [
        json!({}),
        json!({"action_name": "QR_STR_SCENE"}),
        json!({"action_name": "QR_NOPE", "action_info": {"scene": {"scene_str": "a"}}}),
        str_scene("", 60),
        str_scene(&"a".repeat(65), 60),
        json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 0}}}),
        json!({"expire_seconds": -5, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "a"}}}),
    ] {
        assert_eq!(
            errcode(&qrcode_create(&h, &token, bad.clone()).await),
            40053,
            "{bad}"
        );
    }
    assert_eq!(
        errcode(&qrcode_create(&h, "made-up", str_scene("a", 60)).await),
        40001
    );
    h.advance(7300);
    assert_eq!(
        errcode(&qrcode_create(&h, &token, str_scene("a", 60)).await),
        42001
    );
}
