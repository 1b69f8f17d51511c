//! A webhook receiver for the tests: records every request, answers as the test says (a
//! status, or never), and checks signatures with its own HMAC (not Saoma's code; the e2e test
//! checks them with the official `standardwebhooks` library).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Request, Response};
use serde_json::Value;
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Never answers (holds the connection).
    Hang,
    /// 302 to this URL.
    Redirect(String),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_string()
    }

    /// Whether one of the `v1,` signatures is the HMAC of `id.timestamp.body` under `secret`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.", self.id, self.timestamp).as_bytes());
        mac.update(&self.body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct State {
    answer: Mutex<Option<Answer>>,
    received: Mutex<Vec<Received>>,
}

pub struct Receiver {
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Receiver {
        let state = Arc::new(State::default());
        *state.answer.lock().unwrap() = Some(answer);
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let shared = Arc::clone(&state);
        let endpoint = poem::endpoint::make(move |req: Request| {
            let state = Arc::clone(&shared);
            async move { respond(state, req).await }
        });
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
        Receiver {
            url: format!("http://{addr}/hooks"),
            state,
        }
    }

    pub fn answer(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = Some(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to `within`) until `done` holds for what was received; returns it.
    pub async fn until(
        &self,
        within: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the receiver got only {:?}",
                received
                    .iter()
                    .map(Received::event_type)
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn respond(state: Arc<State>, req: Request) -> Response {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, timestamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let body = req.into_body().into_vec().await.unwrap_or_default();
    state.received.lock().unwrap().push(Received {
        id,
        timestamp,
        signature,
        body,
    });
    let answer = state.answer.lock().unwrap().clone();
    match answer {
        Some(Answer::Status(status)) => Response::builder()
            .status(poem::http::StatusCode::from_u16(status).unwrap())
            .body("receiver says so"),
        Some(Answer::Redirect(to)) => Response::builder()
            .status(poem::http::StatusCode::FOUND)
            .header("location", to)
            .finish(),
        Some(Answer::Hang) | None => futures::future::pending().await,
    }
}
