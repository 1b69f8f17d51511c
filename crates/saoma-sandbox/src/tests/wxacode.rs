use serde_json::{Value, json};

use super::{Harness, errcode, wechat_json};

async fn jpeg(h: &Harness, body: Value) -> image::GrayImage {
    let token = h.token().await;
    let resp = h.wxacode(&token, body.to_string()).await;
    resp.assert_status_is_ok();
    resp.assert_content_type("image/jpeg");
    let bytes = resp.0.into_body().into_vec().await.unwrap();
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .unwrap()
        .to_luma8()
}

fn decode(img: image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn qr_code_decodes_to_the_phone_url_with_the_scene_percent_encoded() {
    let h = Harness::new();
    let scene = "a&b=c?d#e+f/g~h";
    let img = jpeg(&h, json!({"scene": scene, "page": "pages/login/login"})).await;
    assert_eq!(img.dimensions(), (430, 430));
    let payload = decode(img);
    assert_eq!(
        payload,
        "http://127.0.0.1:8080/sandbox/phone?scene=a%26b%3Dc%3Fd%23e%2Bf%2Fg%7Eh"
    );
    let url = url::Url::parse(&payload).unwrap();
    let (_, decoded) = url.query_pairs().find(|(k, _)| k == "scene").unwrap();
    assert_eq!(decoded, scene);
}

#[tokio::test]
async fn width_is_clamped_to_280_through_1280_and_stays_scannable() {
    let h = Harness::new();
    for (asked, got) in [(100, 280), (5000, 1280), (600, 600)] {
        let body = json!({"scene": "0123456789abcdefghijABCDEFGHIJ-_", "width": asked});
        let img = jpeg(&h, body).await;
        assert_eq!(img.width(), got, "width {asked}");
        assert!(decode(img).ends_with("scene=0123456789abcdefghijABCDEFGHIJ-_"));
    }
}

#[tokio::test]
async fn other_fields_are_accepted_and_ignored() {
    let h = Harness::new();
    let body = json!({"scene": "x", "auto_color": false, "line_color": {"r": 1, "g": 2, "b": 3},
        "is_hyaline": true, "env_version": "develop", "check_path": true});
    let img = jpeg(&h, body).await;
    assert!(decode(img).ends_with("scene=x"));
}

#[tokio::test]
async fn body_not_json_is_47001() {
    let h = Harness::new();
    let token = h.token().await;
    for body in ["scene=abc", "", "[1,2]"] {
        let resp = h.wxacode(&token, body).await;
        assert_eq!(errcode(&wechat_json(resp).await), 47001, "body {body:?}");
    }
}

#[tokio::test]
async fn empty_missing_or_long_scene_is_40169() {
    let h = Harness::new();
    let token = h.token().await;
    let long = "a".repeat(33);
    for body in [
        json!({"scene": ""}),
        json!({}),
        json!({"scene": long}),
        json!({"scene": 5}),
    ] {
        assert_eq!(
            h.wxacode_errcode(&token, body.clone()).await,
            40169,
            "{body}"
        );
    }
    let longest = json!({"scene": "a".repeat(32)});
    assert_eq!(h.wxacode_errcode(&token, longest).await, 0);
}

#[tokio::test]
async fn scene_char_outside_the_charset_is_40129() {
    let h = Harness::new();
    let token = h.token().await;
    for scene in ["50%off", "with space", "中文", "a\"b", "<b>"] {
        let body = json!({"scene": scene});
        assert_eq!(h.wxacode_errcode(&token, body).await, 40129, "{scene}");
    }
    let every_allowed = json!({"scene": "!#$&'()*+,/:;=?@-._~09AZaz"});
    assert_eq!(h.wxacode_errcode(&token, every_allowed).await, 0);
}

#[tokio::test]
async fn unknown_env_version_is_40097() {
    let h = Harness::new();
    let token = h.token().await;
    let body = json!({"scene": "abc", "env_version": "beta"});
    assert_eq!(h.wxacode_errcode(&token, body).await, 40097);
}

#[tokio::test]
async fn unreleased_page_is_41030_unless_check_path_is_false() {
    let h = Harness::new();
    let token = h.token().await;
    let body = json!({"scene": "abc", "page": "pages/new/new"});
    assert_eq!(h.wxacode_errcode(&token, body).await, 41030);
    let body = json!({"scene": "abc", "page": "pages/new/new", "check_path": false});
    assert_eq!(h.wxacode_errcode(&token, body).await, 0);
    for page in ["pages/login/login", "pages/index/index"] {
        let body = json!({"scene": "abc", "page": page});
        assert_eq!(h.wxacode_errcode(&token, body).await, 0, "{page}");
    }
}
