//! OpenAPI links from `createScene` to the operations that take its scene and poll token, so
//! that a client generator or a stateful fuzzer (schemathesis) can follow a login.
//! poem-openapi has no links, so they are added to the generated document here.

use serde_json::{Value, json};

/// The links of `createScene`'s 201: (link name, target operationId, what it carries).
fn links() -> Value {
    let scene_and_token = json!({
        "scene": "$response.body#/scene",
        "header.X-Poll-Token": "$response.body#/poll_token",
    });
    let body_with_scene = |description: &str| {
        json!({
            "description": description,
            "requestBody": {"scene": "$response.body#/scene"},
            "parameters": {"header.X-Poll-Token": "$response.body#/poll_token"},
        })
    };
    json!({
        "GetScene": {
            "operationId": "getScene",
            "description": "Poll the new scene with its poll token.",
            "parameters": scene_and_token,
        },
        "StreamSceneEvents": {
            "operationId": "streamSceneEvents",
            "description": "Stream the new scene's status with its poll token.",
            "parameters": scene_and_token,
        },
        "MiniProgramScan": {
            "operationId": "miniProgramScan",
            "description": "The mini-program reports that it opened the new scene.",
            "requestBody": {"scene": "$response.body#/scene"},
        },
        "SendPhoneSms": merge(
            body_with_scene("Send an SMS code for the new scene (once it is `need_phone`)."),
            "sendPhoneSms",
        ),
        "BindPhone": merge(
            body_with_scene("Bind a phone to the new scene (once it is `need_phone`)."),
            "bindPhone",
        ),
    })
}

fn merge(mut link: Value, operation_id: &str) -> Value {
    if let Some(map) = link.as_object_mut() {
        map.insert("operationId".into(), operation_id.into());
    }
    link
}

/// Put the links into the document: on `createScene`'s 201.
pub(crate) fn add_links(spec: &mut Value) {
    if let Some(created) = spec.pointer_mut("/paths/~1api~1v1~1scenes/post/responses/201")
        && let Some(map) = created.as_object_mut()
    {
        map.insert("links".into(), links());
    }
}
