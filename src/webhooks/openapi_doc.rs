//! The events in the OpenAPI document: a schema per event payload (with an example) under
//! `components`, and an `x-webhooks` entry per event type (OpenAPI 3.0's extension for what 3.1
//! calls `webhooks`) whose body is the delivery: the envelope and that type's `data`.

use crate::accounts::events::{
    AccountCreated, AccountDeleted, AccountDisabled, AccountEnabled, AccountUpdated, AdminCalled,
    EventType, LoginRefused, LoginSucceeded, SessionRevoked,
};
use poem_openapi::registry::Registry;
use poem_openapi::types::Type;
use serde_json::{Value, json};

/// An event type, the name of its payload's schema, and how to register it.
type Payload = (EventType, String, fn(&mut Registry));

fn payloads() -> [Payload; 9] {
    fn of<T: Type>() -> (String, fn(&mut Registry)) {
        (T::name().into_owned(), T::register)
    }
    let rows = [
        (EventType::AccountCreated, of::<AccountCreated>()),
        (EventType::LoginSucceeded, of::<LoginSucceeded>()),
        (EventType::LoginRefused, of::<LoginRefused>()),
        (EventType::AccountUpdated, of::<AccountUpdated>()),
        (EventType::AccountDisabled, of::<AccountDisabled>()),
        (EventType::AccountEnabled, of::<AccountEnabled>()),
        (EventType::AccountDeleted, of::<AccountDeleted>()),
        (EventType::SessionRevoked, of::<SessionRevoked>()),
        (EventType::AdminCalled, of::<AdminCalled>()),
    ];
    rows.map(|(event, (name, register))| (event, name, register))
}

fn envelope(event: EventType, data: &str) -> Value {
    json!({
        "type": "object",
        "description": "A delivery's body, signed with the webhook-id, webhook-timestamp and \
                        webhook-signature headers (Standard Webhooks; docs/webhooks.md).",
        "required": ["id", "type", "timestamp", "actor", "data"],
        "properties": {
            "id": {"type": "string", "description": "The event's id (`evt_` + 32 hex digits), \
                   also its webhook-id: the same on every retry.", "example": "evt_6a1f0c2b9d3e4f5a8b7c6d5e4f3a2b1c"},
            "type": {"type": "string", "enum": [event.as_str()]},
            "timestamp": {"type": "string", "format": "date-time",
                          "description": "When the event happened."},
            "account_id": {"type": "string", "description": "The account it happened to \
                           (absent when there is none)."},
            "actor": {"type": "string", "description": "Who caused it: `system`, \
                      `account:<id>`, `client:<id>` or `admin:<sub>`.", "example": "system"},
            "data": {"$ref": format!("#/components/schemas/{data}")}
        }
    })
}

/// Adds the event schemas and `x-webhooks` to the generated document.
pub fn add_events(spec: &mut Value) {
    let mut registry = Registry::new();
    let payloads = payloads();
    for (_, _, register) in &payloads {
        register(&mut registry);
    }
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in registry.schemas {
        if let Ok(mut schema) = serde_json::to_value(&schema) {
            // The one payload without an example of its own.
            if name == AccountEnabled::name() && schema.get("example").is_none() {
                schema["example"] = json!({"was_disabled": true});
            }
            schemas.entry(name).or_insert(schema);
        }
    }
    let mut hooks = serde_json::Map::new();
    for (event, data, _) in &payloads {
        hooks.insert(
            event.as_str().to_string(),
            json!({"post": {
                "summary": format!("The `{}` event, delivered to a webhook endpoint", event.as_str()),
                "operationId": format!("webhook_{}", event.as_str().replace('.', "_")),
                "tags": ["Webhooks"],
                "security": [],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": envelope(*event, data)
                }}},
                "responses": {
                    "200": {"description": "Any 2xx: delivered."},
                    "410": {"description": "The endpoint is gone: Saoma disables it."},
                    "400": {"description": "Anything else: tried again later (5 s, 30 s, \
                            2 min, 10 min, 1 h, 6 h, then every 6 h for three days)."}
                }
            }}),
        );
    }
    if let Some(root) = spec.as_object_mut() {
        root.insert("x-webhooks".into(), Value::Object(hooks));
    }
}
