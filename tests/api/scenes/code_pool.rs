//! The mini-program code pool: codes drawn ahead of time for scenes Saoma picks.

use crate::support::helpers::{TestApp, error_code, spawn_app_with};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

const WXACODE: &str = "wxa/getwxacodeunlimit";

/// A pool of `size` codes whose refill, after the initial fill, waits a minute per code: no
/// refill happens while a test runs unless the test asks for a fast one.
async fn spawn_pooled(size: usize, refill_per_minute: u32, max_age_seconds: u64) -> TestApp {
    spawn_app_with(|c| {
        c.mini_program.pool_size = size;
        c.mini_program.pool_refill_per_minute = refill_per_minute;
        c.mini_program.pool_max_age_seconds = max_age_seconds;
    })
    .await
}

/// Waits (10 s at most) until the pool holds `ready` codes and the sandbox has drawn `drawn`.
async fn wait_for_pool(app: &TestApp, ready: u64, drawn: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let gauge = format!("saoma_code_pool_codes {ready}\n");
    loop {
        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
        if metrics.text().await.unwrap().contains(&gauge) {
            assert_eq!(app.calls(WXACODE).await, drawn);
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the pool never held {ready} codes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every later getwxacodeunlimit call fails with the quota error.
async fn wechat_refuses_codes(app: &TestApp) {
    app.inject_fault(json!({"endpoint": WXACODE, "errcode": 45009, "times": 100}))
        .await;
}

/// The scene the code image carries (the sandbox's code is a QR of the phone page's URL).
fn scene_in_code(body: &Value) -> String {
    let data_url = body["qr"]["image"].as_str().expect("a code image");
    let b64 = data_url
        .strip_prefix("data:image/jpeg;base64,")
        .expect("a JPEG data URL");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let image = image::load_from_memory(&bytes).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR in the image");
    let payload = grids[0].decode().unwrap().1;
    let url = url::Url::parse(&payload).unwrap();
    let (_, scene) = url.query_pairs().find(|(k, _)| k == "scene").unwrap();
    scene.into_owned()
}

#[tokio::test]
async fn with_the_pool_warm_a_scene_is_created_without_calling_wechat() {
    let app = spawn_pooled(2, 1, 3600).await;
    wait_for_pool(&app, 2, 2).await;
    wechat_refuses_codes(&app).await;

    let created = app.create_mp_scene().await;

    assert_eq!(app.calls(WXACODE).await, 2, "no draw at creation");
    assert_eq!(scene_in_code(&created.body), created.scene);
    assert_eq!(created.body["status"], "pending");
    // The pooled scene is an ordinary scene: the phone confirms it, the browser gets tokens.
    app.phone_answers(&created.scene, true).await;
    let view: Value = app
        .poll_json(&created.scene, Some(&created.poll_token))
        .await;
    assert_eq!(view["status"], "confirmed");
    assert!(view["tokens"]["access_token"].is_string());
}

#[tokio::test]
async fn a_pooled_code_is_never_handed_out_twice() {
    let app = spawn_pooled(4, 1, 3600).await;
    wait_for_pool(&app, 4, 4).await;

    let creations = (0..6).map(|_| app.create_mp_scene());
    let created = futures::future::join_all(creations).await;

    let scenes: HashSet<String> = created.iter().map(|c| c.scene.clone()).collect();
    assert_eq!(scenes.len(), 6, "six different scenes");
    for c in &created {
        assert_eq!(
            scene_in_code(&c.body),
            c.scene,
            "each code carries its own scene"
        );
    }
    // Four came from the pool, two were drawn at creation once it was empty.
    assert_eq!(app.calls(WXACODE).await, 6, "{}", app.stats().await);
}

#[tokio::test]
async fn the_pool_refills_after_handing_codes_out() {
    let app = spawn_pooled(2, 6000, 3600).await;
    wait_for_pool(&app, 2, 2).await;
    app.create_mp_scene().await;
    app.create_mp_scene().await;

    wait_for_pool(&app, 2, 4).await;
    wechat_refuses_codes(&app).await;

    let created = app.create_mp_scene().await;
    assert_eq!(scene_in_code(&created.body), created.scene);
}

#[tokio::test]
async fn a_browser_chosen_scene_bypasses_the_pool() {
    let app = spawn_pooled(1, 1, 3600).await;
    wait_for_pool(&app, 1, 1).await;

    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "chosen-by-browser"}))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scene"], "chosen-by-browser");
    assert_eq!(scene_in_code(&body), "chosen-by-browser");
    assert_eq!(app.calls(WXACODE).await, 2, "drawn for the chosen scene");

    // The pooled code is still there for the next browser that lets Saoma choose.
    wechat_refuses_codes(&app).await;
    let chosen_again = app
        .create_scene(json!({"provider": "mini_program", "scene": "chosen-by-browser-2"}))
        .await;
    assert_eq!(chosen_again.status(), 503);
    assert_eq!(error_code(chosen_again).await, "wechat_quota_exhausted");
    app.create_mp_scene().await;
}

#[tokio::test]
async fn a_code_older_than_the_max_age_is_dropped_not_handed_out() {
    let app = spawn_pooled(1, 1, 1).await;
    wait_for_pool(&app, 1, 1).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    wechat_refuses_codes(&app).await;

    // The only pooled code is stale, so creation goes to WeChat, which refuses.
    let res = app.create_scene(json!({"provider": "mini_program"})).await;

    assert_eq!(res.status(), 503);
    assert_eq!(error_code(res).await, "wechat_quota_exhausted");
}

#[tokio::test]
async fn the_pool_spends_the_clusters_code_budget_with_the_browsers() {
    // A budget of 3 codes a minute, a pool that would hold 5.
    let app = spawn_app_with(|c| {
        c.mini_program.pool_size = 5;
        c.mini_program.pool_refill_per_minute = 60;
        c.mini_program.pool_max_age_seconds = 3600;
        c.limits.wxacode_per_minute = 3;
    })
    .await;
    wait_for_pool(&app, 3, 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.calls(WXACODE).await,
        3,
        "the refill stops at the budget"
    );

    // The budget is spent: a browser-chosen scene is refused before WeChat is called.
    let res = app
        .create_scene(json!({"provider": "mini_program", "scene": "chosen-by-browser"}))
        .await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(error_code(res).await, "wechat_quota_exhausted");
    assert_eq!(app.calls(WXACODE).await, 3);
}
