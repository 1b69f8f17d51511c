//! The OpenAPI document against itself and against the running app: each operation lists only
//! its own errors, and what it answers is on its list; every body has an example and every
//! property a description.

use crate::support::helpers::spawn_app;
use serde_json::{Value, json};

pub fn spec() -> Value {
    serde_json::from_str(&saoma::app::spec_json()).unwrap()
}

fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

/// The schema of a request body or response in JSON (`application/json; charset=utf-8`) or
/// a form (`application/x-www-form-urlencoded`, the OAuth endpoints' requests).
fn json_schema(holder: &Value) -> Value {
    holder["content"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(media, _)| {
            media.starts_with("application/json")
                || media.starts_with("application/x-www-form-urlencoded")
        })
        .map_or(Value::Null, |(_, m)| m["schema"].clone())
}

/// Follow a `$ref` (or an `allOf` of one) to its schema.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = match schema["allOf"].as_array() {
        Some(all) if all.len() == 1 => &all[0],
        _ => schema,
    };
    match schema["$ref"].as_str() {
        Some(r) => spec.pointer(&r.replacen('#', "", 1)).unwrap(),
        None => schema,
    }
}

/// The codes the document lists for `method path` at `status`: Saoma's `code` and OAuth's
/// `error` (RFC 6749 5.2), in the schema or in each branch of its `oneOf`.
pub fn documented_codes(spec: &Value, path: &str, method: &str, status: u16) -> Vec<String> {
    let op = &spec["paths"][path][method];
    let schema = json_schema(&op["responses"][status.to_string()]);
    let schema = resolve(spec, &schema);
    let branches: Vec<&Value> = match schema["oneOf"].as_array() {
        Some(branches) => branches.iter().map(|b| resolve(spec, b)).collect(),
        None => vec![schema],
    };
    let mut codes = Vec::new();
    for branch in branches {
        for field in ["code", "error"] {
            let listed = resolve(spec, &branch["properties"][field]);
            for code in listed["enum"].as_array().into_iter().flatten() {
                codes.push(code.as_str().unwrap().to_string());
            }
        }
    }
    codes
}

/// The code of an error answer: Saoma's `code` or OAuth's `error`.
pub fn answered_code(body: &Value) -> String {
    body["code"]
        .as_str()
        .or_else(|| body["error"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Whether a response is an HTML page (the browser's OAuth endpoints): no code to list.
fn html_only(response: &Value) -> bool {
    let content = response["content"].as_object();
    content.is_some_and(|c| c.keys().all(|media| media.starts_with("text/html")))
}

#[test]
fn every_json_body_has_an_example_and_every_property_a_description() {
    let spec = spec();
    let mut missing = Vec::new();
    for (path, method, op) in operations(&spec) {
        let request = json_schema(&op["requestBody"]);
        let mut bodies = vec![("request".to_string(), request)];
        for (status, response) in op["responses"].as_object().unwrap() {
            let schema = json_schema(response);
            bodies.push((status.clone(), schema));
        }
        for (which, schema) in bodies {
            if schema.is_null() {
                continue;
            }
            if resolve(&spec, &schema)["example"].is_null() {
                missing.push(format!("{method} {path} {which}: no example"));
            }
        }
    }
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            if value["description"].is_null() {
                missing.push(format!("{name}.{property}: no description"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_error_response_lists_codes_of_its_own_status() {
    let spec = spec();
    let mut wrong = Vec::new();
    for (path, method, op) in operations(&spec) {
        for (status, response) in op["responses"].as_object().unwrap() {
            let Ok(status) = status.parse::<u16>() else {
                continue;
            };
            // `/readyz`'s 503 is the readiness body, not an error; the official-account
            // callback answers WeChat, its codes are in its descriptions (CallbackError); the
            // browser callbacks' error pages are HTML.
            if status < 400
                || path == "/readyz"
                || path.contains("/official-account/")
                || html_only(response)
            {
                continue;
            }
            let codes = documented_codes(&spec, &path, &method, status);
            if codes.is_empty() {
                wrong.push(format!("{method} {path} {status}: no code listed"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each request drives an operation into an error; the answer's status and code must be on
/// the operation's list in the document (the runtime guard would have made an unlisted one a
/// 500, which is on no list with that message).
#[tokio::test]
async fn the_errors_operations_answer_are_the_ones_the_document_lists() {
    let app = spawn_app().await;
    let spec = spec();
    let created = app.create_mp_scene().await;
    let scene = created.scene.clone();
    let unknown = "unknownscene1234";
    let http = &app.http;
    let url = |p: &str| app.url(p);
    let cases: Vec<(&str, &str, reqwest::RequestBuilder)> = vec![
        (
            "/api/v1/scenes",
            "post",
            http.post(url("/api/v1/scenes"))
                .json(&json!({"provider": "mini_program", "scene": "bad"})),
        ),
        (
            "/api/v1/scenes",
            "post",
            http.post(url("/api/v1/scenes"))
                .json(&json!({"provider": "mini_program", "scene": scene})),
        ),
        (
            "/api/v1/scenes",
            "post",
            http.post(url("/api/v1/scenes"))
                .json(&json!({"provider": "mini_program", "return_url": "https://x"})),
        ),
        (
            "/api/v1/scenes",
            "post",
            http.post(url("/api/v1/scenes"))
                .json(&json!({"provider": 7})),
        ),
        (
            "/api/v1/scenes",
            "post",
            http.post(url("/api/v1/scenes")).body("x"),
        ),
        (
            "/api/v1/scenes/{scene}",
            "get",
            http.get(url(&format!("/api/v1/scenes/{scene}"))),
        ),
        (
            "/api/v1/scenes/{scene}",
            "get",
            http.get(url(&format!("/api/v1/scenes/{unknown}")))
                .header("X-Poll-Token", "x"),
        ),
        (
            "/api/v1/scenes/{scene}",
            "get",
            http.get(url(&format!("/api/v1/scenes/{scene}")))
                .header("X-Poll-Token", "x".repeat(200)),
        ),
        (
            "/api/v1/scenes/{scene}/events",
            "get",
            http.get(url(&format!("/api/v1/scenes/{scene}/events")))
                .header("X-Poll-Token", "wrong"),
        ),
        (
            "/api/v1/mini-program/scan",
            "post",
            http.post(url("/api/v1/mini-program/scan"))
                .json(&json!({"scene": unknown})),
        ),
        (
            "/api/v1/mini-program/scan",
            "post",
            http.post(url("/api/v1/mini-program/scan"))
                .json(&json!({"scene": "bad"})),
        ),
        (
            "/api/v1/mini-program/login",
            "post",
            http.post(url("/api/v1/mini-program/login"))
                .json(&json!({"code": "not-a-code"})),
        ),
        (
            "/api/v1/mini-program/login",
            "post",
            http.post(url("/api/v1/mini-program/login"))
                .json(&json!({"code": "c", "scene": unknown})),
        ),
        (
            "/api/v1/mini-program/phone",
            "post",
            http.post(url("/api/v1/mini-program/phone"))
                .bearer_auth("x")
                .json(&json!({"code": "c"})),
        ),
        (
            "/api/v1/me",
            "get",
            http.get(url("/api/v1/me")).bearer_auth("not.a.jwt"),
        ),
        (
            "/api/v1/tokens/refresh",
            "post",
            http.post(url("/api/v1/tokens/refresh"))
                .json(&json!({"refresh_token": "nope"})),
        ),
        (
            "/api/v1/phone/sms",
            "post",
            http.post(url("/api/v1/phone/sms"))
                .json(&json!({"scene": scene, "phone": "13800138000"})),
        ),
        (
            "/api/v1/phone/sms",
            "post",
            http.post(url("/api/v1/phone/sms"))
                .header("X-Poll-Token", created.poll_token.as_str())
                .json(&json!({"scene": scene, "phone": "1"})),
        ),
        (
            "/api/v1/phone/bind",
            "post",
            http.post(url("/api/v1/phone/bind"))
                .header("X-Poll-Token", created.poll_token.as_str())
                .json(&json!({"scene": scene, "phone": "13800138000", "code": "123456"})),
        ),
    ];
    for (path, method, request) in cases {
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        let code = answered_code(&body);
        assert!(status >= 400, "{method} {path}: {status} {body}");
        let listed = documented_codes(&spec, path, method, status);
        assert!(
            listed.contains(&code) && status != 500,
            "{method} {path} answered {status} {body}; the document lists {listed:?} at {status}"
        );
    }
}
