//! The sandbox's clock: real time plus an offset that tests (and `POST /api/clock`) can advance,
//! so that expiries can be exercised without waiting.

use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::State;
use super::errors::{api_error, parse_api_body};

#[derive(Default)]
pub(crate) struct Clock {
    offset: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.offset()
    }

    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: u64,
}

/// `POST /api/clock {seconds}`: moves the sandbox's clock forward (tokens and codes age).
#[handler]
pub(crate) async fn advance(Data(state): Data<&Arc<State>>, body: Vec<u8>) -> Response {
    let body: AdvanceBody = match parse_api_body(&body) {
        Ok(body) => body,
        Err(bad) => return bad.into_response(),
    };
    if body.seconds > 10 * 365 * 24 * 3600 {
        return api_error(
            poem::http::StatusCode::BAD_REQUEST,
            "bad_request",
            "seconds is too large",
        );
    }
    state.clock.advance(Duration::from_secs(body.seconds));
    Json(serde_json::json!({ "advanced_seconds": body.seconds })).into_response()
}
